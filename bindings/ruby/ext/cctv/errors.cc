// Cctv::Error and its subclasses, one for each of cctv's exceptions
// (cctv/error.h), and the translation from a C++ exception to them.
#include <new>
#include <string>

#include "cctv_ruby.h"
#include "values.h"

namespace cctv::ruby {

namespace {

VALUE eError;
VALUE eInvalidArgument;
VALUE eNotFound;
VALUE eAlreadyExists;
VALUE eBackpressure;
VALUE eStoreError;
VALUE eStoreFull;

}  // namespace

void define_errors() {
  eError = rb_define_class_under(mCctv, "Error", rb_eStandardError);
  // Its #field names the input that broke a rule ("actor", "attribute
  // 'browser'", "limit").
  eInvalidArgument = rb_define_class_under(mCctv, "InvalidArgument", eError);
  rb_define_attr(eInvalidArgument, "field", 1, 0);
  eNotFound = rb_define_class_under(mCctv, "NotFound", eError);
  eAlreadyExists = rb_define_class_under(mCctv, "AlreadyExists", eError);
  eBackpressure = rb_define_class_under(mCctv, "Backpressure", eError);
  eStoreError = rb_define_class_under(mCctv, "StoreError", eError);
  eStoreFull = rb_define_class_under(mCctv, "StoreFull", eStoreError);
  // Kept in statics: pinned, so that GC.compact never moves them.
  for (VALUE klass : {eError, eInvalidArgument, eNotFound, eAlreadyExists, eBackpressure,
                      eStoreError, eStoreFull}) {
    rb_gc_register_mark_object(klass);
  }
}

VALUE ruby_error_of(const std::exception_ptr& error) {
  VALUE klass = eError;
  std::string message = "an unknown error in cctv";
  std::string field;
  try {
    std::rethrow_exception(error);
  } catch (const InvalidArgument& e) {
    klass = eInvalidArgument;
    message = e.what();
    field = e.field();
  } catch (const NotFound& e) {
    klass = eNotFound;
    message = e.what();
  } catch (const AlreadyExists& e) {
    klass = eAlreadyExists;
    message = e.what();
  } catch (const Backpressure& e) {
    klass = eBackpressure;
    message = e.what();
  } catch (const StoreFull& e) {
    klass = eStoreFull;
    message = e.what();
  } catch (const StoreError& e) {
    klass = eStoreError;
    message = e.what();
  } catch (const std::bad_alloc&) {
    klass = rb_eNoMemError;
    message = "out of memory in cctv";
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
  }
  // Made once no C++ exception is being handled: a Ruby raise here (out
  // of memory) jumps over nothing but these two strings.
  const VALUE exception = rb_exc_new_str(klass, ruby_string_of(message));
  if (klass == eInvalidArgument) rb_ivar_set(exception, rb_intern("@field"), ruby_string_of(field));
  return exception;
}

}  // namespace cctv::ruby
