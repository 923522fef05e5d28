// What the files of cctv's Ruby extension share: the Ruby classes, and the
// rule every method follows across the line between Ruby and C++.
//
// The rule: a Ruby exception is a longjmp, which would skip the destructors
// of the C++ objects it jumps over, and a C++ exception must not unwind
// through Ruby's C frames. So each method's C++ work runs inside guarded(),
// which turns a C++ exception into the matching Cctv:: exception and raises
// it only once every C++ frame of that work is gone; and the work calls no
// Ruby function that raises (conversions throw cctv::InvalidArgument
// instead).
#ifndef CCTV_RUBY_CCTV_RUBY_H_
#define CCTV_RUBY_CCTV_RUBY_H_

#include <ruby.h>

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "cctv/cctv.h"

namespace cctv::ruby {

// The Cctv module, and the classes other files make objects of.
extern VALUE mCctv;
extern VALUE cClient;
extern VALUE cTracker;

// The Cctv:: exception for what `error` holds, to raise.
VALUE ruby_error_of(const std::exception_ptr& error);

// Runs fn() without the GVL, so that other Ruby threads run while it waits
// on the store, and gives back what it returned; a C++ exception it throws
// is thrown again here, with the GVL held. fn must not touch Ruby.
// Defined in no_gvl.h, with RubyJump, which it throws when an interrupt
// raised while it waited.
template <typename Fn>
auto without_gvl(Fn&& fn) -> decltype(fn());
struct RubyJump;

// Runs fn(), which returns a VALUE; see the file comment.
template <typename Fn>
VALUE guarded(Fn&& fn);

// Defines each part's classes and methods (init.cc calls them in order).
void define_errors();
void define_client();
void define_tracker();

}  // namespace cctv::ruby

#include "no_gvl.h"

namespace cctv::ruby {

template <typename Fn>
VALUE guarded(Fn&& fn) {
  VALUE error = Qnil;
  int jump = 0;
  {
    std::exception_ptr failure;
    try {
      return std::forward<Fn>(fn)();
    } catch (const RubyJump& interrupted) {
      jump = interrupted.state;
    } catch (...) {
      failure = std::current_exception();
    }
    // Outside the handler: making the Ruby exception may itself raise.
    if (failure) error = ruby_error_of(failure);
  }
  if (jump != 0) rb_jump_tag(jump);
  rb_exc_raise(error);
}

}  // namespace cctv::ruby

#endif  // CCTV_RUBY_CCTV_RUBY_H_
