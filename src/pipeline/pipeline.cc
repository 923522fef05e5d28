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

std::string closed_message() { return "the client is closed; open a new one to record"; }

}  // namespace

Pipeline::Pipeline(WriteFn write, PipelineOptions options)
    : write_(std::move(write)), options_(options) {
  const int writers = std::max(1, options_.writers);
  for (int i = 0; i < writers; ++i) writers_.emplace_back([this] { run(); });
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

std::string Pipeline::backpressure_message() const {
  return "the ingest queue stayed full for " + std::to_string(options_.enqueue_timeout.count()) +
         " ms (" + std::to_string(pending_.size()) + " activities waiting" +
         (consecutive_failures_ == 0 ? "" : "; the store is failing: " + last_error_) + ")";
}

bool Pipeline::wait_for_room(std::unique_lock<std::mutex>& lock, std::size_t bytes) {
  if (!full(bytes)) return true;
  const auto deadline = std::chrono::steady_clock::now() + options_.enqueue_timeout;
  return not_full_.wait_until(lock, deadline, [&] { return closing_ || !full(bytes); }) &&
         !closing_;
}

void Pipeline::enqueue(std::uint32_t table, std::int64_t time_us, std::uint64_t id,
                       std::string_view actor, std::string_view target, std::string_view attributes,
                       bool supplied_id) {
  const std::size_t bytes = actor.size() + target.size() + attributes.size();
  std::unique_lock lock(mu_);
  if (closing_) throw Error(closed_message());
  if (!wait_for_room(lock, bytes)) {
    if (closing_) throw Error(closed_message());
    throw Backpressure(backpressure_message() +
                       "; the activity was not recorded: retry it, slow down, or raise "
                       "ClientOptions::max_queued_activities / enqueue_timeout");
  }
  pending_.append(table, time_us, id, actor, target, attributes, supplied_id);
  ++accepted_;
  if (idle_writers_ > 0) has_work_.notify_one();
}

std::size_t Pipeline::enqueue_group(const core::RecordBatch& records, GroupOptions options,
                                    std::string& refused) {
  std::unique_lock lock(mu_);
  if (closing_) throw Error(closed_message());
  // Registered before anything is queued: a failure of the first chunk's
  // batch must be kept while later chunks wait for room.
  std::list<Waiter>::iterator waiter = waiters_.end();
  if (options.done)
    waiter = waiters_.insert(waiters_.end(), Waiter{{}, false, std::move(options.done)});
  std::size_t i = 0;
  while (i < records.size()) {
    const auto bytes = [&](std::size_t k) {
      const auto r = records[k];
      return r.actor.size() + r.target.size() + r.attributes.size();
    };
    if (!wait_for_room(lock, bytes(i))) {
      refused = closing_ ? closed_message() : backpressure_message();
      break;
    }
    const Chunk chunk{accepted_ + 1, i, 0};
    do {
      pending_.append(records[i]);
      ++accepted_;
      ++i;
    } while (i < records.size() && !full(bytes(i)));
    if (waiter != waiters_.end())
      waiter->chunks.push_back(Chunk{chunk.first_seq, chunk.position, i - chunk.position});
    if (options.sync) sync_through_ = accepted_;
    if (idle_writers_ > 0) has_work_.notify_one();
  }
  if (waiter != waiters_.end()) {
    if (waiter->chunks.empty()) {
      waiters_.erase(waiter);
    } else {
      waiter->complete = true;
      // Its activities may all be written already, while it waited for
      // room for the last of them.
      Ready ready;
      take_ready_locked(ready);
      lock.unlock();
      call(ready);
    }
  }
  return i;
}

void Pipeline::take_ready_locked(Ready& ready) {
  std::uint64_t earliest_last = UINT64_MAX;  // of the groups taken
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (!it->complete) {
      ++it;
      continue;
    }
    if (it->chunks.empty()) {  // cut short before it queued anything
      it = waiters_.erase(it);
      continue;
    }
    const Chunk& last = it->chunks.back();
    if (last.first_seq + last.count - 1 > settled_through_) {
      ++it;
      continue;
    }
    GroupOutcome outcome;
    for (const Failure& f : failures_) {
      for (const Chunk& c : it->chunks) {
        const std::uint64_t c_last = c.first_seq + c.count - 1;
        if (f.last < c.first_seq || f.first > c_last) continue;
        const std::size_t position = c.position + (std::max(f.first, c.first_seq) - c.first_seq);
        if (position < outcome.first_failed) {
          outcome.first_failed = position;
          outcome.error = f.error;
        }
      }
    }
    earliest_last = std::min(earliest_last, last.first_seq + last.count - 1);
    ready.calls.emplace_back(std::move(it->done), std::move(outcome));
    it = waiters_.erase(it);
  }
  if (!ready.calls.empty()) ready.run = calling_.insert(earliest_last);
  if (failures_.empty()) return;
  std::uint64_t oldest = UINT64_MAX;  // the first activity a waiter still holds
  for (const Waiter& w : waiters_) {
    if (!w.chunks.empty()) oldest = std::min(oldest, w.chunks.front().first_seq);
  }
  // A waiter not yet holding a chunk may still get one, but only of
  // activities queued from now on: past every failure recorded so far.
  std::erase_if(failures_, [&](const Failure& f) { return f.last < oldest; });
}

void Pipeline::call(Ready& ready) {
  if (ready.calls.empty()) return;
  for (auto& [done, outcome] : ready.calls) {
    try {
      done(outcome);
    } catch (const std::exception& e) {
      spdlog::error("a write's completion failed: {}", e.what());
    }
  }
  ready.calls.clear();
  std::lock_guard lock(mu_);
  calling_.erase(ready.run);
  progress_.notify_all();
}

void Pipeline::report_losses(const char* when) {
  const std::uint64_t losses = rejected_ + abandoned_;
  if (losses == losses_reported_) return;
  const std::uint64_t n = losses - losses_reported_;
  losses_reported_ = losses;
  throw StoreError(std::string(when) + std::to_string(n) +
                   " activities were not written: " + last_loss_);
}

void Pipeline::flush(const std::function<void()>& stalled) {
  std::unique_lock lock(mu_);
  const std::uint64_t target = accepted_;
  const std::uint64_t failures_before = failed_writes_;
  // Written, and every group it covers told; or failing.
  const auto done = [&] {
    return (settled_through_ >= target && (calling_.empty() || *calling_.begin() > target)) ||
           failed_writes_ - failures_before >= kFailuresBeforeFlushFails;
  };
  while (!done()) {
    const std::uint64_t settled = settled_through_;
    if (!progress_.wait_for(lock, std::chrono::seconds(1), done) && stalled &&
        settled_through_ == settled) {
      lock.unlock();
      stalled();
      lock.lock();
    }
  }
  if (settled_through_ < target) {
    throw StoreError("could not write " +
                     std::to_string(accepted_ - written_ - rejected_ - abandoned_) +
                     " queued activities: " + last_error_ + " (they stay queued and are retried)");
  }
  report_losses("");
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
  for (auto& writer : writers_) writer.join();
  closed_ = true;
  // Every queued activity has settled now, and every group whose queuing
  // finished has heard; one still queuing (woken by the close) hears from
  // enqueue_group() itself.
  std::lock_guard lock(mu_);
  report_losses("closing: ");
}

bool Pipeline::closing() const {
  std::lock_guard lock(mu_);
  return closing_;
}

Metrics Pipeline::metrics() const {
  std::lock_guard lock(mu_);
  Metrics m;
  m.accepted = accepted_;
  m.written = written_;
  m.failed = rejected_ + abandoned_;
  m.retried = failed_writes_;
  m.queue_depth = accepted_ - written_ - rejected_ - abandoned_;
  m.batches = batches_;
  m.batch_latency_us_total = latency_total_us_;
  m.batch_latency_buckets = latency_buckets_;
  return m;
}

void Pipeline::record_latency(std::chrono::microseconds latency) {
  const auto us = static_cast<std::uint64_t>(latency.count());
  latency_total_us_ += us;
  const auto bucket =
      std::lower_bound(kBatchLatencyBoundsUs.begin(), kBatchLatencyBoundsUs.end(), us);
  ++latency_buckets_[static_cast<std::size_t>(bucket - kBatchLatencyBoundsUs.begin())];
}

std::optional<std::size_t> Pipeline::write_with_retries(const core::RecordBatch& batch, bool sync) {
  auto backoff = kFirstBackoff;
  for (;;) {
    try {
      write_(batch, sync);
      return 0;
    } catch (const store::WriteRejected& e) {
      std::lock_guard lock(mu_);
      last_loss_ = std::string("the store refused them: ") + e.what();
      spdlog::error("the store refused {} of {} activities; they are not written: {}", e.rejected(),
                    batch.size(), e.what());
      return e.rejected();
    } catch (const std::exception& e) {
      std::unique_lock lock(mu_);
      last_error_ = e.what();
      ++failed_writes_;
      ++consecutive_failures_;
      if (consecutive_failures_ == 1) {
        spdlog::error("writing {} activities failed, retrying: {}", batch.size(), last_error_);
      }
      progress_.notify_all();
      if (closing_ && std::chrono::steady_clock::now() >= close_deadline_) {
        last_loss_ = "gave up when closing after retrying for " +
                     std::to_string(options_.close_timeout.count()) + " ms: " + last_error_;
        spdlog::error("closing: gave up on {} activities: {}", batch.size(), last_error_);
        return std::nullopt;
      }
      lock.unlock();
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
}

void Pipeline::run() {
  core::RecordBatch batch;  // this writer's buffer; swapped with pending_
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_writers_;
    has_work_.wait(lock, [&] { return !pending_.empty() || closing_; });
    --idle_writers_;
    if (pending_.empty()) return;  // closing, and nothing left to take
    std::swap(pending_, batch);
    in_flight_.push_back(InFlight{taken_through_ + 1, accepted_, false});
    taken_through_ = accepted_;
    InFlight& mine = in_flight_.back();  // deque references survive push_back/pop_front
    const bool sync = sync_through_ >= mine.first;
    not_full_.notify_all();
    if (batch.has_supplied_ids()) {
      // An activity with a supplied id may repeat one in an earlier batch
      // still being written; the store can only tell (and not count it
      // twice) once that batch is in.
      progress_.wait(lock, [&] {
        for (const InFlight& f : in_flight_) {
          if (&f == &mine) return true;
          if (!f.done) return false;
        }
        return true;
      });
    }
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    const std::optional<std::size_t> rejected = write_with_retries(batch, sync);
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    lock.lock();
    if (rejected) {
      if (consecutive_failures_ > 0) {
        spdlog::info("writes recovered after {} failed attempts", consecutive_failures_);
      }
      consecutive_failures_ = 0;
      rejected_ += *rejected;
      written_ += batch.size() - *rejected;
      ++batches_;
      record_latency(latency);
      // Which of them the store refused is not known: a group with any
      // activity in this batch hears that it may be missing.
      if (*rejected > 0 && !waiters_.empty())
        failures_.push_back(Failure{mine.first, mine.last, last_loss_});
    } else {
      abandoned_ += batch.size();
      if (!waiters_.empty()) failures_.push_back(Failure{mine.first, mine.last, last_loss_});
    }
    mine.done = true;
    const std::uint64_t settled_before = settled_through_;
    while (!in_flight_.empty() && in_flight_.front().done) {
      settled_through_ = in_flight_.front().last;
      in_flight_.pop_front();
    }
    batch.clear();
    progress_.notify_all();
    if (settled_through_ != settled_before && !waiters_.empty()) {
      Ready ready;
      take_ready_locked(ready);
      if (!ready.calls.empty()) {
        lock.unlock();
        call(ready);
        lock.lock();
      }
    }
  }
}

}  // namespace cctv::pipeline
