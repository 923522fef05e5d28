// What a Cctv::Client object holds, for the trackers made from it.
#ifndef CCTV_RUBY_CLIENT_BOX_H_
#define CCTV_RUBY_CLIENT_BOX_H_

#include <ruby.h>

#include <chrono>
#include <memory>

#include "cctv/fork_safe_client.h"

namespace cctv::ruby {

struct ClientBox {
  std::shared_ptr<ForkSafeClient> client;
  // How long recording waits for room in a full queue before it raises
  // Cctv::Backpressure.
  std::chrono::milliseconds enqueue_timeout;
};

// The box of a Cctv::Client; raises TypeError for anything else (call it
// before any C++ object is made, or inside guarded() on a checked object).
ClientBox& client_box(VALUE client);

}  // namespace cctv::ruby

#endif  // CCTV_RUBY_CLIENT_BOX_H_
