// Cctv::Error and its subclasses, one for each of cctv's exceptions
// (cctv/error.h), and the translation from a C++ exception to them.
#include <new>

#include "cctv_ruby.h"

namespace cctv::ruby {

namespace {

VALUE eError;
VALUE eInvalidArgument;
VALUE eNotFound;
VALUE eAlreadyExists;
VALUE eBackpressure;
VALUE eStoreError;
VALUE eStoreFull;

VALUE error_of(VALUE klass, const char* message) {
  return rb_exc_new_str(klass, rb_utf8_str_new_cstr(message));
}

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
  try {
    std::rethrow_exception(error);
  } catch (const InvalidArgument& e) {
    VALUE exception = error_of(eInvalidArgument, e.what());
    rb_ivar_set(exception, rb_intern("@field"),
                rb_utf8_str_new(e.field().data(), static_cast<long>(e.field().size())));
    return exception;
  } catch (const NotFound& e) {
    return error_of(eNotFound, e.what());
  } catch (const AlreadyExists& e) {
    return error_of(eAlreadyExists, e.what());
  } catch (const Backpressure& e) {
    return error_of(eBackpressure, e.what());
  } catch (const StoreFull& e) {
    return error_of(eStoreFull, e.what());
  } catch (const StoreError& e) {
    return error_of(eStoreError, e.what());
  } catch (const Error& e) {
    return error_of(eError, e.what());
  } catch (const std::bad_alloc&) {
    return rb_exc_new_cstr(rb_eNoMemError, "out of memory in cctv");
  } catch (const std::exception& e) {
    return error_of(eError, e.what());
  } catch (...) {
    return error_of(eError, "an unknown error in cctv");
  }
}

}  // namespace cctv::ruby
