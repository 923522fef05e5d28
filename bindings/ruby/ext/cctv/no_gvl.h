// without_gvl() (cctv_ruby.h). The call goes through
// rb_thread_call_without_gvl, which before and after the call takes the
// interrupts pending for this thread: a switch to another thread, or an
// exception (Thread#raise, Thread#kill, Ctrl-C). Such an exception would
// longjmp over the caller's C++ frames, so the call runs under rb_protect,
// which stops the jump there; without_gvl() then throws RubyJump, and
// guarded() raises the exception again once every C++ frame is gone.
// (rb_thread_call_without_gvl2 takes no interrupt, but skips the call
// whenever one is pending -- often, once a process has threads.)
#ifndef CCTV_RUBY_NO_GVL_H_
#define CCTV_RUBY_NO_GVL_H_

#include <ruby.h>
#include <ruby/thread.h>

#include <atomic>
#include <exception>
#include <optional>
#include <type_traits>

namespace cctv::ruby {

// A Ruby exception raised while a call waited (an interrupt), held until
// guarded() can raise it again: rb_jump_tag(state).
struct RubyJump {
  int state;
};

namespace detail {

template <typename Fn>
struct NoGvlCall {
  using Result = decltype(std::declval<Fn&>()());
  Fn* fn;
  std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> result;
  std::exception_ptr error;

  static void* run(void* self) {
    auto* call = static_cast<NoGvlCall*>(self);
    try {
      if constexpr (std::is_void_v<Result>) {
        (*call->fn)();
        call->result = true;
      } else {
        call->result.emplace((*call->fn)());
      }
    } catch (...) {
      call->error = std::current_exception();
    }
    return nullptr;
  }

  // Set by the unblocking function: the caller's fn gives up at its next
  // look (without_gvl_until_interrupted()).
  std::atomic<bool>* interrupted = nullptr;

  static void unblock(void* self) {
    static_cast<NoGvlCall*>(self)->interrupted->store(true, std::memory_order_relaxed);
  }

  // Between rb_protect and the call: no C++ object lives in this frame.
  static VALUE protected_call(VALUE self) {
    auto* call = reinterpret_cast<NoGvlCall*>(self);
    // Without an interrupted flag, no unblocking function: a store call
    // cannot be cut short, so an interrupt waits for it (views and flushes
    // are bounded by the store's timeouts).
    rb_thread_call_without_gvl(&run, call, call->interrupted ? &unblock : nullptr,
                               call->interrupted ? call : nullptr);
    return Qnil;
  }
};

template <typename Fn>
auto call_without_gvl(Fn& fn, std::atomic<bool>* interrupted) -> decltype(fn()) {
  using Call = NoGvlCall<Fn>;
  Call call{&fn, {}, nullptr, interrupted};
  int state = 0;
  rb_protect(&Call::protected_call, reinterpret_cast<VALUE>(&call), &state);
  if (state != 0) throw RubyJump{state};
  if (call.error) std::rethrow_exception(call.error);
  if constexpr (!std::is_void_v<typename Call::Result>) return std::move(*call.result);
}

}  // namespace detail

template <typename Fn>
auto without_gvl(Fn&& fn) -> decltype(fn()) {
  return detail::call_without_gvl(fn, nullptr);
}

// As without_gvl(), for a wait that can stop early: an interrupt for this
// thread (Thread#raise, Ctrl-C, Timeout) sets `interrupted`, which fn
// checks between its steps and returns at once. Then the interrupt's
// exception is raised (RubyJump), or, for an interrupt that is none
// (Thread#wakeup), this returns what fn returned.
template <typename Fn>
auto without_gvl_until_interrupted(Fn&& fn, std::atomic<bool>& interrupted) -> decltype(fn()) {
  return detail::call_without_gvl(fn, &interrupted);
}

}  // namespace cctv::ruby

#endif  // CCTV_RUBY_NO_GVL_H_
