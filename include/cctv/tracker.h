// A Tracker records and views the activities of one table.
//
// A Tracker is a cheap handle into its Client: copy it freely. It is safe for
// concurrent use from any number of threads without external
// synchronization. Once its Client is closed, every call throws cctv::Error.
#ifndef CCTV_TRACKER_H_
#define CCTV_TRACKER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/activity.h"
#include "cctv/batch.h"
#include "cctv/counts.h"
#include "cctv/export.h"
#include "cctv/time.h"
#include "cctv/value.h"
#include "cctv/view.h"

namespace cctv {

namespace internal {
class ClientState;
}

class CCTV_EXPORT Tracker {
 public:
  // The table this tracker writes to and reads from.
  const std::string& table() const noexcept { return table_; }

  // Records that `actor` acted on `target` at `time` (default: now) and
  // returns the new activity's id.
  //
  // Does not wait for storage: it validates, stamps a unique id, and queues
  // the activity for the client's writer thread, which writes it within
  // moments. The activity is visible to views once written. Until then it
  // lives only in this process's memory: a crash or kill -9 before the
  // write loses it. flush() waits for the write (and syncs it to disk);
  // record_batch() with BatchOptions::on_stored says when a batch is
  // stored without waiting. When the queue is full it waits up to
  // ClientOptions::enqueue_timeout, then throws Backpressure: an activity
  // is either accepted (an id is returned) or refused with an exception,
  // never dropped. Closing the client writes everything accepted.
  //
  // Throws InvalidArgument, and records nothing, for an empty, over-1024-byte
  // or non-UTF-8 actor or target, a reserved or repeated attribute name, a
  // non-UTF-8 string, a NaN or infinite number, nesting deeper than 32, a
  // time outside [kMinTime, kMaxTime), or an activity over 400 KB.
  ActivityId record_activity(std::string_view actor, std::string_view target,
                             const Attributes& attributes = {}, Timestamp time = now());

  // Records a whole activity as given. Its time is kept; its id is kept
  // when set, so recording the same activity twice (a retry, a re-import)
  // stores it once. With id == kNoId a new id is assigned. Returns the id.
  // Same validation and queueing as record_activity().
  ActivityId record(const Activity& activity);

  // Records `activities` in order, as record() would each, as one group:
  // queuing them takes the queue's lock once, not once each, and
  // options.on_stored says when the store holds every one accepted.
  // Does not throw for bad input or a full queue: an invalid activity is
  // skipped and listed in the result's errors (the others are accepted),
  // and when the queue stays full for ClientOptions::enqueue_timeout the
  // rest of the batch is not accepted (the result's stopped_at). Throws
  // Error when the client is closed or read-only, accepting nothing.
  BatchResult record_batch(std::span<const Activity> activities, const BatchOptions& options = {});

  // Returns the activities on `target` whose time lies in `range`, newest
  // first unless options.order says otherwise, at most options.limit of
  // them, and a cursor for the next page when there are more.
  // Throws InvalidArgument for a bad target, an empty or inverted range, a
  // limit outside 1..10,000, or a cursor from another query.
  Page view_activity(std::string_view target, const TimeRange& range = {},
                     const ViewOptions& options = {}) const;

  // As view_activity(), for the activities `actor` performed. Throws
  // InvalidArgument, too, when the table has no index by actor (a DynamoDB
  // table the 2014 gem made; the message says how to add one).
  Page view_actor_activity(std::string_view actor, const TimeRange& range = {},
                           const ViewOptions& options = {}) const;

  // Calls `visit` for every activity of the table whose time lies in
  // `range`: target by target (in the store's order of targets), each
  // target's activities newest first on the embedded store. The embedded
  // store reads one consistent snapshot; DynamoDB scans, which is not one.
  // Meant for exports; an exception from `visit` stops the scan and
  // propagates. `visit` may call views, but must not create or drop tables
  // or close the client: the scan holds the store open.
  void for_each_activity(const TimeRange& range,
                         const std::function<void(const Activity&)>& visit) const;

  // One page of every activity of the table whose time lies in `range`, in
  // for_each_activity()'s order, at most options.limit of them, and a
  // cursor for the next page: an export that can stop and resume. A page
  // may hold fewer than the limit (on DynamoDB, none) and still have a
  // next cursor; a page without one is the last. Each page is read on its
  // own, not from one snapshot. Throws InvalidArgument for an empty or
  // inverted range, a limit outside 1..10,000, an order other than the
  // default, or a cursor from another query.
  Page view_all_activity(const TimeRange& range = {}, const ViewOptions& options = {}) const;

  // Activities on `target` per bucket of `range` (cctv/counts.h says which
  // buckets a range covers). A range without an end (kMaxTime) ends now;
  // one without a start (kMinTime) starts default_series_span(bucket)
  // before its end, as `cctv count` and the HTTP API do: a series of the
  // last day by the hour is count_activity(target, {}, Bucket::kHour).
  // Counts are kept as activities are written.
  // On the embedded store they include every activity written before the
  // call (what this client recorded and has not yet written is still
  // queued: flush() first to be sure of it). On DynamoDB they include what
  // was written 30 s ago (DynamoOptions::counts_layout kPerTarget: a
  // second ago, up to ten while many targets are active), and everything
  // recorded before a flush(); the counts a killed process had not written
  // show once another has taken it for dead (DynamoOptions::writer_timeout).
  // Throws InvalidArgument for a bad target, an
  // empty range, an offset outside +-14h, or more than kMaxSeriesBuckets
  // buckets.
  Series count_activity(std::string_view target, const TimeRange& range, Bucket bucket,
                        const CountOptions& options = {}) const;
  // The same, for every target of the table together.
  Series count_activity(const TimeRange& range, Bucket bucket, const CountOptions& options = {}) const;

  // Distinct actors on `target` per bucket: HyperLogLog estimates, within
  // about 0.8% (one standard error) at any size, exact in expectation.
  Series count_unique_actors(std::string_view target, const TimeRange& range, Bucket bucket,
                             const CountOptions& options = {}) const;
  Series count_unique_actors(const TimeRange& range, Bucket bucket, const CountOptions& options = {}) const;

  // Distinct actors on `target` over all of `range` (widened to whole
  // minutes): the union of its buckets' sketches, so a week is not the sum
  // of its days.
  std::int64_t unique_actors(std::string_view target, const TimeRange& range) const;
  std::int64_t unique_actors(const TimeRange& range) const;

  // The `limit` targets with the most activities in `range` (widened to
  // whole minutes), busiest first, ties by target. Exact.
  std::vector<TargetCount> top_targets(const TimeRange& range, std::size_t limit = 10) const;

  // Recounts the whole UTC days holding `range` from the activities stored,
  // replacing their counts: for tables filled before counts were kept (by
  // the 2014 gem, an older cctv, or with counts off), or after a bug.
  // Recording into this client's store waits while it runs. Activities
  // recorded but not yet written are counted as they are written.
  void rebuild_counts(const TimeRange& range);

  // Returns once every activity this client accepted before the call is
  // durable in the store: written and synced to disk (on the embedded
  // store, its write-ahead log is fsynced), so that neither a crash nor a
  // power loss can lose it -- and once the on_stored of every batch whose
  // record_batch() returned before the call has returned. Throws
  // StoreError when the store is failing to
  // write them (they stay queued and are retried).
  void flush();

  // Returns once every activity this client accepted before the call is
  // written -- visible to views -- without waiting for the sync to disk
  // that flush() waits for: for reading one's own writes, as the Ruby and
  // Python bindings' views do. Quick when nothing is queued. Throws as
  // flush() does.
  void wait_visible() const;

 private:
  friend class Client;
  Tracker(std::shared_ptr<internal::ClientState> state, std::string table, std::uint32_t handle);

  std::shared_ptr<internal::ClientState> state_;
  std::string table_;
  std::uint32_t handle_;
};

}  // namespace cctv

#endif  // CCTV_TRACKER_H_
