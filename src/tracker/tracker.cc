// cctv::Tracker (cctv/tracker.h).
#include "cctv/tracker.h"

#include <string>

#include "cctv/error.h"
#include "core/cursor.h"
#include "core/id_generator.h"
#include "core/validate.h"
#include "tracker/client_state.h"

namespace cctv {

namespace {

char index_letter(store::Index index) { return index == store::Index::kTarget ? 't' : 'a'; }

// Validates and encodes one activity and queues it; assigns an id when `id`
// is kNoId. Nothing is queued when validation throws.
ActivityId enqueue(internal::ClientState& state, store::TableHandle handle, std::string_view actor,
                   std::string_view target, const Attributes& attributes, Timestamp time,
                   ActivityId id) {
  // The buffer is reused: a steady stream of records does not allocate here.
  thread_local std::string encoded;
  encoded.clear();
  core::check_and_encode(actor, target, attributes, time, encoded);
  const bool supplied = id != kNoId;
  if (!supplied) id = core::next_id();
  state.check_accepting();
  state.pipeline().enqueue(handle, time.time_since_epoch().count(), id, actor, target, encoded,
                           supplied);
  return id;
}

// A page of a query whose cursor carries `fingerprint`: the limit
// checked, the cursor decoded, fetch(store, position) run, the next cursor
// made.
template <class Fetch>
Page paged(internal::ClientState& state, std::uint32_t fingerprint, const ViewOptions& options,
           Fetch fetch) {
  if (options.limit < 1 || options.limit > kMaxViewLimit) {
    throw InvalidArgument("limit", "must be 1 to 10000, got " + std::to_string(options.limit));
  }
  std::string after;
  if (!options.cursor.empty())
    after = core::decode_cursor(options.cursor, fingerprint, options.order);
  store::QueryResult result =
      state.with_store([&](store::Store& s) { return fetch(s, std::string_view(after)); });
  Page page;
  page.activities = std::move(result.activities);
  if (!result.next_position.empty()) {
    page.next_cursor = core::encode_cursor(fingerprint, options.order, result.next_position);
  }
  return page;
}

Page view(internal::ClientState& state, const std::string& table, store::TableHandle handle,
          store::Index index, std::string_view key, const TimeRange& range,
          const ViewOptions& options) {
  core::check_key(index == store::Index::kTarget ? "target" : "actor", key);
  const TimeRange clamped = core::check_range(range);
  return paged(state, core::query_fingerprint(table, index_letter(index), key), options,
               [&](store::Store& s, std::string_view after) {
                 store::Query q;
                 q.table = handle;
                 q.index = index;
                 q.key = key;
                 q.from_us = clamped.from.time_since_epoch().count();
                 q.to_us = clamped.to.time_since_epoch().count();
                 q.order = options.order;
                 q.limit = options.limit;
                 q.after = after;
                 return s.query(q);
               });
}

}  // namespace

Tracker::Tracker(std::shared_ptr<internal::ClientState> state, std::string table,
                 std::uint32_t handle)
    : state_(std::move(state)), table_(std::move(table)), handle_(handle) {}

ActivityId Tracker::record_activity(std::string_view actor, std::string_view target,
                                    const Attributes& attributes, Timestamp time) {
  return enqueue(*state_, handle_, actor, target, attributes, time, kNoId);
}

ActivityId Tracker::record(const Activity& activity) {
  return enqueue(*state_, handle_, activity.actor, activity.target, activity.attributes,
                 activity.time, activity.id);
}

BatchResult Tracker::record_batch(std::span<const Activity> activities,
                                  const BatchOptions& options) {
  BatchResult result;
  result.ids.assign(activities.size(), kNoId);
  result.stopped_at = activities.size();
  // Validated and encoded first, then queued in one go. Reused: a steady
  // stream of batches does not allocate here.
  thread_local core::RecordBatch staging;
  thread_local std::vector<std::size_t> index_of;  // staged record -> activity
  thread_local std::string encoded;
  staging.clear();
  index_of.clear();
  for (std::size_t i = 0; i < activities.size(); ++i) {
    const Activity& a = activities[i];
    encoded.clear();
    try {
      core::check_and_encode(a.actor, a.target, a.attributes, a.time, encoded);
    } catch (const InvalidArgument& e) {
      result.errors.push_back(ItemError{i, e.what()});
      continue;
    }
    const bool supplied = a.id != kNoId;
    const ActivityId id = supplied ? a.id : core::next_id();
    staging.append(handle_, a.time.time_since_epoch().count(), id, a.actor, a.target, encoded,
                   supplied);
    index_of.push_back(i);
    result.ids[i] = id;
  }
  if (staging.empty()) return result;
  state_->check_accepting();
  pipeline::GroupOptions group;
  group.sync = options.sync;
  if (options.on_stored) {
    // Positions in the group are indexes in the batch unless some were
    // skipped.
    std::vector<std::size_t> map;
    if (!result.errors.empty()) map = index_of;
    group.done = [on_stored = options.on_stored,
                  map = std::move(map)](const pipeline::GroupOutcome& o) {
      BatchStored stored;
      if (o.first_failed != pipeline::GroupOutcome::kAllStored) {
        stored.first_unstored = map.empty() ? o.first_failed : map[o.first_failed];
        stored.error = o.error;
      }
      on_stored(stored);
    };
  }
  std::string refused;
  const std::size_t queued = state_->pipeline().enqueue_group(staging, std::move(group), refused);
  if (queued < staging.size()) {
    result.stopped_at = index_of[queued];
    result.refused = std::move(refused);
    result.closed = state_->pipeline().closing();
    for (std::size_t k = queued; k < index_of.size(); ++k) result.ids[index_of[k]] = kNoId;
    std::erase_if(result.errors, [&](const ItemError& e) { return e.index >= result.stopped_at; });
  }
  return result;
}

std::size_t BatchResult::accepted() const noexcept {
  std::size_t n = 0;
  for (ActivityId id : ids) n += id != kNoId ? 1 : 0;
  return n;
}

Page Tracker::view_activity(std::string_view target, const TimeRange& range,
                            const ViewOptions& options) const {
  return view(*state_, table_, handle_, store::Index::kTarget, target, range, options);
}

Page Tracker::view_actor_activity(std::string_view actor, const TimeRange& range,
                                  const ViewOptions& options) const {
  return view(*state_, table_, handle_, store::Index::kActor, actor, range, options);
}

void Tracker::for_each_activity(const TimeRange& range,
                                const std::function<void(const Activity&)>& visit) const {
  const TimeRange clamped = core::check_range(range);
  state_->with_store([&](store::Store& s) {
    s.scan(handle_, clamped.from.time_since_epoch().count(), clamped.to.time_since_epoch().count(),
           visit);
  });
}

Page Tracker::view_all_activity(const TimeRange& range, const ViewOptions& options) const {
  if (options.order != Order::kNewestFirst) {
    throw InvalidArgument("order",
                          "a view of the whole table comes in the store's order of "
                          "targets; leave the order out");
  }
  const TimeRange clamped = core::check_range(range);
  // 's' (scan) is no index letter: a view's cursor is refused here.
  return paged(*state_, core::query_fingerprint(table_, 's', ""), options,
               [&](store::Store& s, std::string_view after) {
                 return s.scan_page(handle_, clamped.from.time_since_epoch().count(),
                                    clamped.to.time_since_epoch().count(), after, options.limit);
               });
}

void Tracker::flush() { state_->flush(); }

void Tracker::wait_visible() const { state_->wait_written(); }

}  // namespace cctv
