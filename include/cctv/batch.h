// Recording many activities at once (Tracker::record_batch()), and hearing
// when the store holds them: what a server needs to acknowledge a request
// only once its activities are stored, and a queue consumer to commit its
// offset.
//
// Plain structs; the callback in BatchOptions runs on the client's writer
// thread.
#ifndef CCTV_BATCH_H_
#define CCTV_BATCH_H_

#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cctv/activity.h"
#include "cctv/export.h"

namespace cctv {

// An activity of a batch that was not accepted: its index in the batch and
// why (an InvalidArgument's message: the field and the rule).
struct CCTV_EXPORT ItemError {
  std::size_t index = 0;
  std::string message;

  friend bool operator==(const ItemError&, const ItemError&) = default;
};

// What became of a batch's accepted activities.
struct CCTV_EXPORT BatchStored {
  static constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();
  // The index in the batch of the first accepted activity that may not be
  // stored, or kAll when every accepted activity is. One may be missing when
  // the store refused part of a write for good (its message is `error`), or
  // when the client closed before the store took it.
  std::size_t first_unstored = kAll;
  std::string error;

  bool all_stored() const noexcept { return first_unstored == kAll; }
};

struct CCTV_EXPORT BatchOptions {
  // Called once every activity the batch accepted is durable in the store
  // -- in the embedded store's write-ahead log, so that killing the process
  // loses none of them; confirmed by DynamoDB -- or could not be stored.
  // Activities of many batches share each write (group commit), so a batch
  // waits for one write, not one of its own. A store that keeps failing
  // is retried until it recovers or the client closes: the call can be
  // long in coming. It runs on the client's writer thread and holds up the
  // writes behind it (or, when the batch waited for room in the queue and
  // was written meanwhile, on the calling thread before record_batch()
  // returns): it must be quick, must not take a lock the caller holds
  // around record_batch(), and must not record, flush or close through
  // this client. Not called when the batch accepted nothing.
  std::function<void(const BatchStored&)> on_stored;
  // Also have the activities synced to disk before on_stored (the embedded
  // store fsyncs its write-ahead log, once for every batch in the same
  // write), so that a power loss loses none of them either. Nothing more
  // on DynamoDB, where a confirmed write is durable.
  bool sync = false;
};

// What Tracker::record_batch() accepted.
struct CCTV_EXPORT BatchResult {
  // ids[i]: the id of activity i (the one it carried, or a new one), or
  // kNoId when it was not accepted.
  std::vector<ActivityId> ids;
  // The activities before `stopped_at` that broke a rule, in index order.
  // Nothing was queued for them.
  std::vector<ItemError> errors;
  // The activities from this index on were not accepted: the ingest queue
  // stayed full for ClientOptions::enqueue_timeout (the store is not
  // keeping up), or the client closed meanwhile; `refused` says which.
  // Equal to the batch's size when nothing was cut off.
  std::size_t stopped_at = 0;
  std::string refused;
  bool closed = false;  // what stopped it was the client closing

  // How many activities were accepted.
  std::size_t accepted() const noexcept;
};

}  // namespace cctv

#endif  // CCTV_BATCH_H_
