#include "pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cctv/error.h"
#include "store/store.h"

namespace cctv::pipeline {

namespace {

constexpr auto kFirstBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxBackoff = std::chrono::milliseconds(1000);
// flush() reports failure once this many writes have failed since it was
// called (about 0.3 s of retrying at first, up to 5 s once backoff is at its
// cap), so one transient error does not fail a flush.
constexpr std::uint64_t kFailuresBeforeFlushFails = 5;

}  // namespace

Pipeline::Pipeline(WriteFn write, PipelineOptions options)
    : write_(std::move(write)), options_(options) {
  writer_ = std::thread([this] { run(); });
}

Pipeline::~Pipeline() {
  try {
    close();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
}

bool Pipeline::full(std::size_t bytes) const {
  if (pending_.size() >= options_.max_queued_activities) return true;
  return !pending_.empty() && pending_.bytes() + bytes > options_.max_queued_bytes;
}

void Pipeline::enqueue(std::uint32_t table, std::int64_t time_us, std::uint64_t id,
                       std::string_view actor, std::string_view target,
                       std::string_view attributes) {
  const std::size_t bytes = actor.size() + target.size() + attributes.size();
  std::unique_lock lock(mu_);
  if (closing_) throw Error("the client is closed; open a new one to record");
  if (full(bytes)) {
    const auto deadline = std::chrono::steady_clock::now() + options_.enqueue_timeout;
    const bool room =
        not_full_.wait_until(lock, deadline, [&] { return closing_ || !full(bytes); });
    if (closing_) throw Error("the client is closed; open a new one to record");
    if (!room) {
      throw Backpressure("the ingest queue stayed full for " +
                         std::to_string(options_.enqueue_timeout.count()) + " ms (" +
                         std::to_string(pending_.size()) + " activities waiting" +
                         (last_error_.empty() || consecutive_failures_ == 0
                              ? ""
                              : "; the store is failing: " + last_error_) +
                         "); the activity was not recorded: retry it, slow down, or raise "
                         "ClientOptions::max_queued_activities / enqueue_timeout");
    }
  }
  pending_.append(table, time_us, id, actor, target, attributes);
  ++accepted_;
  if (writer_idle_) has_work_.notify_one();
}

void Pipeline::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = accepted_;
  const std::uint64_t failures_before = failed_writes_;
  progress_.wait(lock, [&] {
    return written_ + abandoned_ + rejected_ >= target ||
           failed_writes_ - failures_before >= kFailuresBeforeFlushFails;
  });
  if (written_ + abandoned_ + rejected_ < target) {
    throw StoreError("could not write " + std::to_string(target - written_ - abandoned_ - rejected_) +
                     " queued activities: " + last_error_ + " (they stay queued and are retried)");
  }
  if (abandoned_ > 0) {
    throw StoreError(std::to_string(abandoned_) + " activities were not written: " + last_error_);
  }
  if (rejected_ > rejected_reported_) {
    const std::uint64_t n = rejected_ - rejected_reported_;
    rejected_reported_ = rejected_;
    throw StoreError(std::to_string(n) + " activities were refused by the store and not written: " +
                     last_rejection_);
  }
}

void Pipeline::close() {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    close_deadline_ = std::chrono::steady_clock::now() + options_.close_timeout;
  }
  has_work_.notify_all();
  not_full_.notify_all();
  writer_.join();
  closed_ = true;
  std::lock_guard lock(mu_);
  if (abandoned_ > 0) {
    throw StoreError("closed with " + std::to_string(abandoned_) +
                     " activities that could not be written: " + last_error_);
  }
  if (rejected_ > rejected_reported_) {
    throw StoreError(std::to_string(rejected_ - rejected_reported_) +
                     " activities were refused by the store and not written: " + last_rejection_);
  }
}

PipelineCounters Pipeline::counters() const {
  std::lock_guard lock(mu_);
  PipelineCounters c;
  c.accepted = accepted_;
  c.written = written_;
  c.rejected = rejected_;
  c.failed_writes = failed_writes_;
  c.batches = batches_;
  c.queued = accepted_ - written_ - abandoned_ - rejected_;
  return c;
}

std::optional<std::size_t> Pipeline::write_with_retries() {
  auto backoff = kFirstBackoff;
  for (;;) {
    try {
      write_(writing_);
      return 0;
    } catch (const store::WriteRejected& e) {
      std::lock_guard lock(mu_);
      last_rejection_ = e.what();
      spdlog::error("the store refused {} of {} activities; they are not written: {}", e.rejected(),
                    writing_.size(), last_rejection_);
      return e.rejected();
    } catch (const std::exception& e) {
      std::unique_lock lock(mu_);
      last_error_ = e.what();
      ++failed_writes_;
      ++consecutive_failures_;
      if (consecutive_failures_ == 1) {
        spdlog::error("writing {} activities failed, retrying: {}", writing_.size(), last_error_);
      }
      progress_.notify_all();
      if (closing_ && std::chrono::steady_clock::now() >= close_deadline_) return std::nullopt;
      lock.unlock();
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
}

void Pipeline::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    writer_idle_ = true;
    has_work_.wait(lock, [&] { return !pending_.empty() || closing_; });
    writer_idle_ = false;
    if (pending_.empty()) return;  // closing, and everything is written
    std::swap(pending_, writing_);
    not_full_.notify_all();
    lock.unlock();
    const std::optional<std::size_t> rejected = write_with_retries();
    lock.lock();
    if (rejected) {
      if (consecutive_failures_ > 0) {
        spdlog::info("writes recovered after {} failed attempts", consecutive_failures_);
      }
      rejected_ += *rejected;
      written_ += writing_.size() - *rejected;
      ++batches_;
      consecutive_failures_ = 0;
    } else {
      abandoned_ += writing_.size() + pending_.size();
      pending_.clear();
    }
    writing_.clear();
    progress_.notify_all();
  }
}

}  // namespace cctv::pipeline
