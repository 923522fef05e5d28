#include "tracker/client_state.h"

#include <spdlog/spdlog.h>

#include "cctv/error.h"

namespace cctv::internal {

ClientState::ClientState(std::string uri, const ClientOptions& options,
                         std::unique_ptr<store::Store> store)
    : uri_(std::move(uri)),
      options_(options),
      store_(std::move(store)),
      gate_(store_->write_gate()) {
  if (!options_.read_only) {
    pipeline::PipelineOptions p;
    p.max_queued_activities = std::max<std::size_t>(options_.max_queued_activities, 1);
    p.max_queued_bytes = std::max<std::size_t>(options_.max_queued_bytes, std::size_t{1} << 20);
    p.enqueue_timeout = options_.enqueue_timeout;
    p.writers = store_->writers();
    // The store outlives the pipeline: close() stops the pipeline first.
    store::Store* s = store_.get();
    pipeline_ = std::make_unique<pipeline::Pipeline>(
        [s](const core::RecordBatch& batch, bool sync) { s->write(batch, sync); }, p);
  }
}

ClientState::~ClientState() {
  try {
    close();
  } catch (const std::exception& e) {
    spdlog::error("closing {}: {}", uri_, e.what());
  }
}

void ClientState::throw_closed() const { throw Error("the client for " + uri_ + " is closed"); }

pipeline::Pipeline& ClientState::pipeline() {
  if (!pipeline_) {
    throw Error("the client for " + uri_ + " is read-only; open it without read_only to record");
  }
  return *pipeline_;
}

void ClientState::wait_written() {
  if (pipeline_) {
    // A write that waits for disk space holds the flush no longer than it
    // takes to see that the store is full: the caller hears so.
    pipeline_->flush([this] {
      if (gate_ && !gate_->open() && gate_->full()) {
        try {
          gate_->refuse();
        } catch (const StoreFull& full) {
          throw StoreFull(std::string(full.what()) +
                          " (what was recorded stays queued, and is written once there is room)");
        }
      }
    });
  }
}

void ClientState::flush() {
  wait_written();
  with_store([](store::Store& s) { s.sync(); });
}

void ClientState::close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::shared_lock lock(lifecycle_);
    if (!store_) return;
  }
  std::exception_ptr failure;
  if (pipeline_) {
    // A write waiting for disk space must not hold the close past the
    // pipeline's own deadline.
    store_->closing(std::chrono::steady_clock::now() + pipeline_->close_timeout());
    try {
      pipeline_->close();
    } catch (...) {
      failure = std::current_exception();
    }
  }
  std::unique_lock lock(lifecycle_);
  try {
    store_->sync();
  } catch (...) {
    if (!failure) failure = std::current_exception();
  }
  store_.reset();
  if (failure) std::rethrow_exception(failure);
}

Metrics ClientState::metrics() {
  Metrics out = pipeline_ ? pipeline_->metrics() : Metrics{};
  std::shared_lock lock(lifecycle_);
  if (store_) out.store_requests = store_->request_metrics();
  return out;
}

}  // namespace cctv::internal
