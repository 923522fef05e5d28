// What a Client and its Trackers share: the store, the ingest pipeline, and
// the lifecycle that makes calls after close() fail cleanly instead of
// touching a closed store.
#ifndef CCTV_TRACKER_CLIENT_STATE_H_
#define CCTV_TRACKER_CLIENT_STATE_H_

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "cctv/options.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

namespace cctv::internal {

class ClientState {
 public:
  ClientState(std::string uri, const ClientOptions& options, std::unique_ptr<store::Store> store);
  ~ClientState();

  const std::string& uri() const noexcept { return uri_; }
  const ClientOptions& options() const noexcept { return options_; }

  // The pipeline, for recording. Throws Error when the client is read-only.
  pipeline::Pipeline& pipeline();

  // Throws StoreFull or StoreError when the store refuses writes now (its
  // disk is near full, or it stopped after an error): recording checks this
  // before it queues anything. One atomic load when it takes writes.
  void check_accepting() const {
    if (gate_ && !gate_->open()) gate_->refuse();
  }

  // Runs `fn(store)` unless the client is closed (then throws Error). The
  // store stays open until `fn` returns.
  template <typename Fn>
  decltype(auto) with_store(Fn&& fn) {
    std::shared_lock lock(lifecycle_);
    if (!store_) throw_closed();
    return fn(*store_);
  }

  // Waits for queued activities to be written, then syncs the store.
  void flush();
  // Waits for queued activities to be written, without the sync.
  void wait_written();

  // The pipeline's counters and the store's requests.
  Metrics metrics();

  // Flushes, stops the pipeline and closes the store. Idempotent.
  void close();

 private:
  [[noreturn]] void throw_closed() const;

  const std::string uri_;
  const ClientOptions options_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;  // null when read-only
  // Shared by every call that touches the store, exclusive to close it.
  std::shared_mutex lifecycle_;
  std::unique_ptr<store::Store> store_;  // null once closed
  // The store's write gate, kept past the store's close (declared after it:
  // it is taken from it).
  std::shared_ptr<const store::WriteGate> gate_;
  std::mutex close_mu_;
};

}  // namespace cctv::internal

#endif  // CCTV_TRACKER_CLIENT_STATE_H_
