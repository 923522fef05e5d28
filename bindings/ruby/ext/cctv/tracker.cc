// Cctv::Tracker: records and views one table, through the client it was
// made from. Recording holds the GVL (it only queues); waiting -- for room
// in a full queue, for views, counts and flushes -- releases it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "cctv_ruby.h"
#include "client_box.h"
#include "values.h"

namespace cctv::ruby {

VALUE cTracker;

namespace {

struct TrackerBox {
  std::shared_ptr<ForkSafeClient> client;
  std::string table;
  std::chrono::milliseconds enqueue_timeout;
  // Made from the client of this process: again in a child after a fork
  // (ForkSafeClient::generation()).
  std::optional<Tracker> tracker;
  std::uint64_t generation = 0;
  bool closed = false;  // Tracker#close
};

void free_tracker(void* box) { delete static_cast<TrackerBox*>(box); }
std::size_t tracker_size(const void*) { return sizeof(TrackerBox); }

const rb_data_type_t kTrackerType = {"Cctv::Tracker",
                                     {nullptr, free_tracker, tracker_size, nullptr, {nullptr}},
                                     nullptr,
                                     nullptr,
                                     0};

TrackerBox& box_of(VALUE tracker) {
  return *static_cast<TrackerBox*>(rb_check_typeddata(tracker, &kTrackerType));
}

// The tracker of this process. Making it may ask the store (DynamoDB, a
// cctv server) about the table: without the GVL. Two threads that both
// find it missing both make one, and either is right.
Tracker& tracker_of(TrackerBox& box) {
  if (box.closed) throw Error("this tracker of table '" + box.table + "' is closed; make another");
  const std::uint64_t generation = box.client->generation();
  if (!box.tracker || box.generation != generation) {
    std::shared_ptr<ForkSafeClient> client = box.client;
    const std::string table = box.table;
    Tracker made = without_gvl([&] { return client->client().tracker(table); });
    box.tracker = std::move(made);
    box.generation = generation;
  }
  return *box.tracker;
}

ActivityId record(TrackerBox& box, const Activity& activity) {
  try {
    return tracker_of(box).record(activity);
  } catch (const Backpressure&) {
  }
  // The queue is full: wait for room, letting other threads run, as long
  // as the client's enqueue timeout allows. An interrupt (Timeout,
  // Thread#raise, Ctrl-C) stops the wait at once, with the activity not
  // recorded: a caller that retries then records it once.
  // A copy: the box's may be replaced while this waits without the GVL.
  Tracker tracker = tracker_of(box);
  const auto timeout = box.enqueue_timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    std::atomic<bool> interrupted{false};
    const std::optional<ActivityId> recorded = without_gvl_until_interrupted(
        [&]() -> std::optional<ActivityId> {
          for (;;) {
            std::this_thread::sleep_for(pause);
            if (interrupted.load(std::memory_order_relaxed)) return std::nullopt;
            try {
              return tracker.record(activity);
            } catch (const Backpressure&) {
              if (std::chrono::steady_clock::now() >= deadline) {
                throw Backpressure(
                    "the ingest queue stayed full for " + std::to_string(timeout.count()) +
                    " ms: the store is not keeping up; the activity was not recorded, "
                    "retry it later or give the client a longer enqueue_timeout");
              }
            }
            pause = std::min(pause * 2, std::chrono::microseconds(50'000));
          }
        },
        interrupted);
    if (recorded) return *recorded;
    // Woken by an interrupt that raised nothing (Thread#wakeup): wait on.
  }
}

// A keyword of `options` (a Hash of them, or nil), deleted from it.
VALUE take_keyword(VALUE options, const char* name) {
  if (NIL_P(options)) return Qnil;
  const VALUE key = ID2SYM(rb_intern(name));
  const VALUE value = rb_hash_lookup2(options, key, Qundef);
  if (value == Qundef) return Qnil;
  rb_hash_delete(options, key);
  return value;
}

// record_activity(actor, target, attributes = {}, time: nil, id: nil) -> id
//
// Attributes may also come as keywords, as Ruby 3 takes a brace-less Hash
// at the end of a call: record_activity("bob", "/store", browser: "Chrome").
VALUE tracker_record_activity(int argc, VALUE* argv, VALUE self) {
  VALUE actor, target, attributes, options;
  rb_scan_args(argc, argv, "21:", &actor, &target, &attributes, &options);
  if (!NIL_P(options)) options = rb_hash_dup(options);  // the caller's is not ours to change
  const VALUE time = take_keyword(options, "time");
  const VALUE id = take_keyword(options, "id");
  const bool attribute_keywords = !NIL_P(options) && RHASH_SIZE(options) > 0;
  return guarded([&] {
    TrackerBox& box = box_of(self);
    Activity activity;
    activity.actor = text_of(actor, "actor");
    activity.target = text_of(target, "target");
    if (attribute_keywords && !NIL_P(attributes)) {
      throw InvalidArgument("attributes", "give them as a Hash or as keywords, not both");
    }
    activity.attributes = attributes_of(attribute_keywords ? options : attributes);
    activity.time = NIL_P(time) ? now() : timestamp_of(time, "time");
    if (!NIL_P(id)) activity.id = parse_id(text_of(id, "id"));
    return ruby_string_of(format_id(record(box, activity)));
  });
}

// A range lib/cctv.rb resolved: from and to are Times (or Dates), nil for
// no bound; `to_inclusive` counts an instant `to` in.
TimeRange range_of(VALUE from, VALUE to, VALUE to_inclusive) {
  TimeRange range;
  if (!NIL_P(from)) range.from = timestamp_of(from, "range start");
  if (!NIL_P(to)) {
    range.to = timestamp_of(to, "range end");
    if (RTEST(to_inclusive)) range.to += Microseconds(1);
  }
  return range;
}

std::size_t count_of(VALUE number, const char* field) {
  if (!RB_INTEGER_TYPE_P(number) || !FIXNUM_P(number) || FIX2LONG(number) < 0) {
    throw InvalidArgument(field, "must be a positive Integer");
  }
  return static_cast<std::size_t>(FIX2LONG(number));
}

// _view(by_actor, key, from, to, to_inclusive, limit, oldest_first, cursor) -> Page
VALUE tracker_view(VALUE self, VALUE by_actor, VALUE key, VALUE from, VALUE to, VALUE to_inclusive,
                   VALUE limit, VALUE oldest_first, VALUE cursor) {
  return guarded([&] {
    TrackerBox& box = box_of(self);
    const std::string of = text_of(key, RTEST(by_actor) ? "actor" : "target");
    const TimeRange range = range_of(from, to, to_inclusive);
    ViewOptions options;
    if (!NIL_P(limit)) options.limit = count_of(limit, "limit");
    options.order = RTEST(oldest_first) ? Order::kOldestFirst : Order::kNewestFirst;
    if (!NIL_P(cursor)) options.cursor = text_of(cursor, "cursor");
    Tracker tracker = tracker_of(box);
    const Page page = without_gvl([&] {
      tracker.wait_visible();  // what this process recorded is in the view
      return RTEST(by_actor) ? tracker.view_actor_activity(of, range, options)
                             : tracker.view_activity(of, range, options);
    });
    return ruby_page_of(page);
  });
}

// _count(target, from, to, to_inclusive, bucket, unique, utc_offset_minutes) -> [BucketCount]
VALUE tracker_count(VALUE self, VALUE target, VALUE from, VALUE to, VALUE to_inclusive,
                    VALUE bucket, VALUE unique, VALUE utc_offset) {
  return guarded([&] {
    TrackerBox& box = box_of(self);
    const std::optional<std::string> of =
        NIL_P(target) ? std::nullopt : std::optional<std::string>(text_of(target, "target"));
    const Bucket width = parse_bucket(text_of(bucket, "bucket"));
    const TimeRange range = range_of(from, to, to_inclusive);  // open ends: the tracker's defaults
    CountOptions options;
    if (!NIL_P(utc_offset)) {
      if (!RB_TYPE_P(utc_offset, T_STRING) && !RB_TYPE_P(utc_offset, T_SYMBOL)) {
        if (!FIXNUM_P(utc_offset))
          throw InvalidArgument("utc_offset", "must be minutes or \"+05:30\"");
        options.utc_offset = std::chrono::minutes(FIX2LONG(utc_offset));
      } else {
        options.utc_offset = parse_utc_offset(text_of(utc_offset, "utc_offset"));
      }
    }
    Tracker tracker = tracker_of(box);
    const Series series = without_gvl([&] {
      tracker.wait_visible();
      if (RTEST(unique)) {
        return of ? tracker.count_unique_actors(*of, range, width, options)
                  : tracker.count_unique_actors(range, width, options);
      }
      return of ? tracker.count_activity(*of, range, width, options)
                : tracker.count_activity(range, width, options);
    });
    return ruby_series_of(series);
  });
}

// _unique_actors(target, from, to, to_inclusive) -> Integer
VALUE tracker_unique_actors(VALUE self, VALUE target, VALUE from, VALUE to, VALUE to_inclusive) {
  return guarded([&] {
    TrackerBox& box = box_of(self);
    const std::optional<std::string> of =
        NIL_P(target) ? std::nullopt : std::optional<std::string>(text_of(target, "target"));
    const TimeRange range = range_of(from, to, to_inclusive);
    Tracker tracker = tracker_of(box);
    const std::int64_t n = without_gvl([&] {
      tracker.wait_visible();
      return of ? tracker.unique_actors(*of, range) : tracker.unique_actors(range);
    });
    return LL2NUM(n);
  });
}

// _top_targets(from, to, to_inclusive, limit) -> [TargetCount]
VALUE tracker_top_targets(VALUE self, VALUE from, VALUE to, VALUE to_inclusive, VALUE limit) {
  return guarded([&] {
    TrackerBox& box = box_of(self);
    const TimeRange range = range_of(from, to, to_inclusive);
    const std::size_t most = count_of(limit, "limit");
    Tracker tracker = tracker_of(box);
    const auto top = without_gvl([&] {
      tracker.wait_visible();
      return tracker.top_targets(range, most);
    });
    return ruby_target_counts_of(top);
  });
}

VALUE tracker_flush(VALUE self) {
  return guarded([&] {
    Tracker tracker = tracker_of(box_of(self));
    without_gvl([&] { tracker.flush(); });
    return self;
  });
}

// Whether this call closed it (false when it was closed already).
VALUE tracker_close(VALUE self) {
  return guarded([&] {
    TrackerBox& box = box_of(self);
    if (box.closed) return Qfalse;
    box.closed = true;
    box.tracker.reset();
    return Qtrue;
  });
}

VALUE tracker_closed(VALUE self) {
  return guarded([&] { return box_of(self).closed ? Qtrue : Qfalse; });
}

VALUE tracker_table(VALUE self) {
  return guarded([&] { return ruby_string_of(box_of(self).table); });
}

// Cctv::Client#_tracker(table): the table is created on first use.
VALUE client_tracker(VALUE client, VALUE table) {
  return guarded([&] {
    ClientBox& owner = client_box(client);
    auto box = std::make_unique<TrackerBox>();
    box->client = owner.client;
    box->table = text_of(table, "table");
    box->enqueue_timeout = owner.enqueue_timeout;
    tracker_of(*box);  // checks the name, and that the table exists or can be made
    VALUE made = TypedData_Wrap_Struct(cTracker, &kTrackerType, box.get());
    box.release();
    rb_ivar_set(made, rb_intern("@client"), client);
    return made;
  });
}

}  // namespace

void define_tracker() {
  cTracker = rb_define_class_under(mCctv, "Tracker", rb_cObject);
  rb_gc_register_mark_object(cTracker);
  rb_undef_alloc_func(cTracker);
  rb_define_method(cClient, "_tracker", RUBY_METHOD_FUNC(client_tracker), 1);
  rb_define_method(cTracker, "record_activity", RUBY_METHOD_FUNC(tracker_record_activity), -1);
  rb_define_method(cTracker, "_view", RUBY_METHOD_FUNC(tracker_view), 8);
  rb_define_method(cTracker, "_count", RUBY_METHOD_FUNC(tracker_count), 7);
  rb_define_method(cTracker, "_unique_actors", RUBY_METHOD_FUNC(tracker_unique_actors), 4);
  rb_define_method(cTracker, "_top_targets", RUBY_METHOD_FUNC(tracker_top_targets), 4);
  rb_define_method(cTracker, "flush", RUBY_METHOD_FUNC(tracker_flush), 0);
  rb_define_method(cTracker, "table", RUBY_METHOD_FUNC(tracker_table), 0);
  rb_define_method(cTracker, "_close", RUBY_METHOD_FUNC(tracker_close), 0);
  rb_define_method(cTracker, "closed?", RUBY_METHOD_FUNC(tracker_closed), 0);
}

}  // namespace cctv::ruby
