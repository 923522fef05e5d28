// Counts on DynamoDB at a fraction of a write unit per activity: the
// "minutes" layout of a table's companion `<table>.counts`.
//
// Writers never rewrite a per-target item. Each process gathers the counts
// of what it wrote in memory and, every few seconds and on flush, writes
// them as write-once items, one per bucket of targets (64 buckets, by the
// target's hash), keyed by the minute it wrote them in (the write minute
// W) and its own writer number: `m#<W>#<bucket>` / writer << 20 | sequence.
// An item's content is fixed before it is first sent, so a retry rewrites
// the same item, and nothing counts twice.
//
// One compactor per table -- whichever process holds the lease in `c#`,
// renewed by a conditional write, so any process takes over when it stops
// -- folds each write minute once it is sealed (kSealMinutes old) into the
// open hours' totals, one item per (hour, bucket): `o#<hour>#<bucket>`,
// which names the last write minute it holds (`w`) and every write minute
// that added to it (`ws`). When an hour has ended and is sealed, it is
// closed: per target, its minutes and distinct-actor sketch
// (`h2#<target>` / hour), and the hour's ranked (target, count) list
// `T#<hour>` / page; when a day has closed, every target's day item
// (`d2#<target>` / day, `hHH` with `wHH`) and the day's `D#<day>` / page.
// Activities recorded late (an import of last week) land in a later write
// minute and are folded into their own hour, which is closed again.
//
// Readers combine: closed hours from their items, open hours from `o#`,
// and the write minutes not yet folded from `m#`, each counted once by the
// write minute each source holds up to. Counts are visible as soon as
// flush() returns.
//
// A writer killed before it sent its counts is repaired from the
// activities. A writer's counts come in generations (one per flush), and
// each minute item names its own. Before a write sends activities, the
// writer puts the ids it gave them in an intent item of the write's
// generation (`n#<writer>`: about a byte an activity, where a tag on each
// item was 36); an activity with an id of its own, which another writer may
// have stored and counted first, is tagged instead with the writer number
// and generation (kCountsTagAttribute), set only by a write that stores it.
// Its record in the counts table, `k#` / writer, holds a heartbeat and the
// generation it has committed -- every activity written in that generation
// or an earlier one is counted in minute items DynamoDB holds -- and before
// it writes an activity, the writer declares its (target, hour) in
// `i#<writer>` items (once per hour of its clock). The compactor folds a
// write minute only once every live writer has committed what it wrote
// there. A writer whose heartbeat is older than its `dead_after` is fenced:
// one conditional update sets its first void generation, after which its
// commits fail; its minute items of void generations are skipped by every
// reader (the progress item lists fences); and the compactor recounts the
// void generations' activities (tagged with one, or in one's intents) from
// the declared (target, hour)s into minute items of its own. A writer that
// finds itself fenced (it was paused longer than dead_after) starts again
// under a new writer number.
//
// Thread-safe.
#ifndef CCTV_STORE_DYNAMODB_MINUTE_COUNTS_H_
#define CCTV_STORE_DYNAMODB_MINUTE_COUNTS_H_

#include <rapidjson/document.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cctv/counts.h"
#include "core/hash_set64.h"
#include "core/hyperloglog.h"
#include "core/record_batch.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/dynamo_counts.h"
#include "store/dynamodb/minute_gathering.h"
#include "store/dynamodb/minute_records.h"
#include "store/dynamodb/request_engine.h"

namespace cctv::store::dynamodb {

// A write minute is folded once it is this many minutes old: a writer
// confirms (or moves) its items of a minute well within it.
inline constexpr std::int64_t kSealMinutes = 2;

// A random writer number, below 10^7 (minute item starts hold seven digits).
std::uint64_t random_writer();

// What an o#<hour>#<bucket> item holds: totals by target, the write minute
// it holds to (-1: no item), the write minute its closed items hold to, and
// the write minutes that added to it.
struct OpenHour {
  std::int64_t hour = 0;
  std::int64_t w = -1;
  std::int64_t closed_w = -1;
  // After a rebuild: the write minute its recount (r# pages) holds to, and
  // how many pages; ws then names only later write minutes.
  std::int64_t rebuilt_w = -1;
  std::int64_t rebuilt_pages = 0;
  std::vector<std::int64_t> ws;
  std::vector<MinuteRecord> totals;  // minute: the hour's first; no entries
};

class MinuteCounts {
 public:
  // `now` says what time it is, in microseconds since the epoch. A writer
  // silent for `dead_after_s` seconds is taken for dead and repaired.
  MinuteCounts(RequestEngine& engine, std::function<std::int64_t()> now, std::int64_t dead_after_s);

  // One write of activities by the minute: its tag, for the items that
  // carry one, and whether its activities without ids of their own are in
  // an intent (then their items carry none).
  struct WriteTicket {
    std::int64_t generation = 0;
    std::uint64_t tag = 0;  // writer * 2^32 + generation
    bool intended = false;
  };
  // What a write is about to store: an activity with id `id` on a
  // (target, hour) of counts table `remote`; `target_hash` is
  // core::actor_hash(target). `supplied`: the id came with the activity,
  // which another writer may have stored and counted first; its item
  // carries the tag, which only a write that stores it sets.
  struct Touch {
    const std::string* remote;
    std::string_view target;
    std::uint64_t target_hash;
    std::int64_t hour;
    std::uint64_t id;
    bool supplied;
  };
  // A write puts the ids of its activities without ids of their own in an
  // intent when it has at least this many, and tags their items otherwise.
  // An intent costs a request and a write unit at least: over 2,000 ids
  // that is at most 0.0005 of a unit an activity on top of the ids' own
  // bytes (about 0.0014), while small writes -- 1,000 activities a second
  // go out in writes of a few dozen -- would pay up to a unit each.
  static constexpr std::size_t kIntentAtLeast = 2000;
  // Before a write sends activities counted by the minute: makes sure this
  // writer's record in each counts table touched is alive (and not fenced),
  // every (target, hour) touched is declared, and -- in a write of
  // kIntentAtLeast or more -- the ids of the activities without ids of
  // their own are in an intent item of the ticket's generation. Every
  // begin_write() is followed by one end_write(). Throws StoreError (then
  // nothing was begun).
  WriteTicket begin_write(const std::vector<Touch>& touched);
  // After the write: `unsettled` names the activities (put_key()) it may
  // have stored without counting them (their write failed, or its answer
  // was lost); its generation is committed only once a later write stores
  // each of them.
  void end_write(const WriteTicket& ticket, std::vector<std::string> unsettled);
  // Whether some activities wait to be settled.
  bool has_unsettled() const;
  // `key` (put_key()) was stored or found stored by a write: settled.
  void settle(const std::string& key);

  // Gathers the counts of `batch`'s records whose `counted` flag is set,
  // in the generation of `ticket`. `target_hashes` holds
  // core::actor_hash() of each record's target.
  void absorb(const core::RecordBatch& batch, const std::vector<bool>& counted,
              const std::vector<std::uint64_t>& target_hashes, const WriteTicket& ticket);

  // Renews this writer's records when due (and commits what was sent).
  // Throws StoreError.
  void heartbeat();
  // What this process would leave behind if killed now: forgets what it
  // gathered and did not send, and writes nothing more. For tests.
  void abandon();
  // Points in a compactor round where a rebuild in another process may
  // land, for tests to put one there.
  enum class RoundStage {
    kHourClosed,     // an hour closed in turn, before the round saves that
    kClearingDirty,  // no hour waits to be closed again; `dirty` clears next
  };
  // For tests: `hook` runs at each RoundStage of this process's rounds.
  void on_round_stage(std::function<void(RoundStage)> hook);
  // On a clean stop, after the last flush: removes this writer's records
  // where everything it wrote is committed (the rest is repaired once the
  // compactor takes it for dead).
  void retire();

  // Writes what was gathered as minute items. Throws StoreError; what was
  // not written stays and goes first next time.
  void flush(const std::function<CountsTarget(std::uint32_t table)>& table_of);

  // Drops what was gathered for a dropped table.
  void forget(std::uint32_t table, const std::string& remote);

  // One round of the compactor on the counts table `remote`: takes or
  // renews the lease, folds sealed write minutes, closes ended hours.
  // Returns false when another process holds the lease (or took it over
  // during the round); true also when there is nothing to do yet. Throws
  // StoreError.
  bool compact(const std::string& remote, std::int64_t retention_s);

  // Replaces the counts of hours [first_hour, end_hour) with a recount of
  // the activities `scan` visits (every one stored in those hours): for
  // each (hour, bucket) the recount becomes the hour's base, holding every
  // write minute up to now, and the compactor closes the hour again from
  // it. The caller makes sure nothing this process wrote before waits
  // unsent. Throws StoreError.
  using Visit =
      std::function<void(std::string_view target, std::string_view actor, std::int64_t time_us)>;
  void rebuild(const std::string& remote, std::int64_t first_hour, std::int64_t end_hour,
               const std::function<void(const Visit&)>& scan, std::int64_t retention_s);

  // Removes the records of minutes before `minute` from the minute items
  // of `remote` (retention: older counts go whatever item holds them).
  void drop_records_before(const std::string& remote, std::int64_t minute);

  std::vector<std::int64_t> counts(const std::string& remote, std::string_view target,
                                   Bucket bucket, std::int64_t first, std::size_t n);
  std::vector<core::HyperLogLog> sketches(const std::string& remote, std::string_view target,
                                          Bucket bucket, std::int64_t first, std::size_t n);
  std::vector<TargetCount> top_targets(const std::string& remote, std::int64_t from_minute,
                                       std::int64_t to_minute, std::size_t limit);

  // This process's writer number (below 10^7), for tests.
  std::uint64_t writer() const { return writer_.load(); }

 private:
  // A generation not committed yet.
  struct Generation {
    int writing = 0;                                     // writes of it under way
    std::size_t unsettled = 0;                           // its activities maybe stored, not counted
    bool frozen = false;                                 // its counts were taken for sending
    std::size_t unsent = 0;                              // its items DynamoDB does not have yet
    std::int64_t since_s = 0;                            // when writes began to take it
    std::int64_t first_w = INT64_MAX;                    // the first write minute of its items
    std::map<std::uint32_t, MinuteGathering> gathering;  // by table
  };
  // This writer's record in one counts table.
  struct Record {
    std::int64_t confirmed_s = -1;    // the heartbeat DynamoDB last took
    std::int64_t declared_hour = -1;  // the hour of this clock declared for
    core::HashSet64 declared;         // (target, hour) hashes declared then
    std::uint64_t sequence = 0;       // of its declaration items
  };
  // Items frozen for sending, their keys and content final: the counts
  // (m#) and, apart, the sketch entries (s#) of the same records, so that
  // reading counts does not read the actors.
  struct Frozen {
    std::string remote;
    std::int64_t generation;
    std::int64_t write_minute;
    int bucket;
    std::int64_t start;
    std::int64_t oldest_hour;  // of its records
    std::string counts;        // payload of m#; empty once DynamoDB has it
    std::string sketches;      // payload of s#; empty once DynamoDB has it
    std::int64_t expires_at;   // 0: kept as long as the table
  };
  // The compactor's view of the `c#` item.
  struct Progress {
    std::int64_t to = -1;         // write minutes <= to are folded
    std::int64_t closed_to = -1;  // hours < closed_to were closed (once at least)
    std::int64_t last_w = -1;     // the newest write minute any writer used
    // The newest write minute holding records of hours that may be closed
    // (activities recorded late): until it is folded, a closed day's list
    // is not the whole answer.
    std::int64_t late_w = -1;
    // Whether hours folded into after closing may wait to be closed again
    // (z# items): saved with `to`, so readers skip looking when none do.
    bool dirty = true;
    // How many rebuilds have marked hours to close again (`dv`): the
    // compactor clears `dirty` only where no rebuild marked hours since it
    // read the progress item, which it did before it looked for marks.
    std::int64_t dirty_version = 0;
  };
  // What the compactor reads of a writer's record.
  struct WriterState {
    std::uint64_t writer = 0;
    std::int64_t heartbeat_s = 0;
    std::int64_t dead_after_s = 0;
    std::int64_t committed = 0;     // generation
    std::int64_t committed_w = -1;  // every item of write minutes <= it is committed
    std::int64_t next_since_s = 0;  // when its first uncommitted generation began
    std::int64_t fenced_from = -1;  // its first void generation, once fenced
    std::int64_t repair_w = -1;     // the write minute its repair goes to
    bool repaired = false;
  };
  // The UpdateItem that makes the progress item of `remote` (when it is
  // the first) and tells it of write minute `w`: readers look at write
  // minutes up to the newest any writer used. It fails its condition when
  // a newer minute is known.
  std::string progress_mark(const std::string& remote, std::int64_t w) const;
  // The UpdateItem that tells the progress item of `remote` that write
  // minute `w` holds records of hours that may be closed already.
  static std::string late_mark(const std::string& remote, std::int64_t w);
  // Whether records of hour `hour` written in write minute `w` may belong
  // to a closed hour: one closes once the write minutes up to the one after
  // it are folded, and `w` is not.
  static bool is_late(std::int64_t hour, std::int64_t w) {
    return hour < w / 60 - 1 || (hour == w / 60 - 1 && w % 60 >= 2);
  }
  // The generations an unsettled activity held back no longer wait for
  // it. REQUIRES: mu_ held.
  void release_unsettled(const std::vector<std::int64_t>& generations);
  // Counts each generation's items not sent yet: unsent_ and `sending`.
  // REQUIRES: send_mu_ and mu_ held.
  void count_unsent(const std::vector<Frozen>& sending);
  // Sends this writer's heartbeat, with what it commits, to every counts
  // table it writes. REQUIRES: send_mu_ held.
  void send_heartbeats();
  // Sends `frozen` items; keeps what was not written in unsent_.
  void send(std::vector<Frozen> frozen);
  // Moves unsent items whose write minute is near its seal to the current
  // write minute -- unless they were stored meanwhile.
  void move_late(std::vector<Frozen>& items);

  // The compactor's steps. take_lease: the progress, with the lease; a
  // progress with `to` < 0 where nothing is counted by the minute yet;
  // nullopt when another process holds the lease.
  std::optional<Progress> take_lease(const std::string& remote);
  // Saves `progress` (and renews the lease), if this process still holds
  // the lease; false when it does not. It sets `dirty`, never clears it:
  // a rebuild may have set it since `progress` was read.
  bool save_progress(const std::string& remote, const Progress& progress);
  // Clears `dirty` unless a rebuild marked hours after `progress` was read
  // (or the lease was lost): then the next round looks again.
  void clear_dirty(const std::string& remote, const Progress& progress);
  // Runs the test's hook, if any, at `stage`.
  void reach(RoundStage stage);
  void fold(const std::string& remote, std::int64_t write_minute, Progress& progress,
            std::int64_t retention_s);
  // Closes `hour` for `buckets`: per target its minutes and sketch, and,
  // when its day was closed already, its hour in the day's item. Returns,
  // by bucket, the write minute the hour's closed items hold to (buckets
  // without an o# item are left out).
  std::map<int, std::int64_t> close_hour(const std::string& remote, std::int64_t hour,
                                         const std::vector<int>& buckets, bool day_closed,
                                         std::int64_t retention_s);
  // The UpdateItem (body) that sets `target`'s count `n` of `hour` in its
  // day's item, as closed from write minutes up to `w` -- unless the item
  // holds that hour from as many already.
  static std::string day_hour_update(const std::string& remote, std::string_view target,
                                     std::int64_t hour, std::int64_t n, std::int64_t w,
                                     std::int64_t retention_s);
  void rank_hour(const std::string& remote, std::int64_t hour, std::int64_t retention_s);
  // The day's ranked list and, with `day_items`, every target's day item
  // (held to write minute `w`).
  void rank_day(const std::string& remote, std::int64_t day, bool day_items, std::int64_t w,
                std::int64_t retention_s);

  // Reading.
  Progress read_progress(const std::string& remote);
  // Visits the records of every item of write minutes [first_w, last_w],
  // bucket `bucket` (all buckets when -1), with each item's write minute:
  // counts only, or with their sketch entries.
  // Items of fenced writers' void generations are skipped (as the
  // progress item read last says: fences only grow, and every reader and
  // compactor round reads it first).
  void read_minutes(const std::string& remote, std::int64_t first_w, std::int64_t last_w,
                    int bucket,
                    const std::function<void(std::int64_t w, MinuteRecord& record)>& visit,
                    bool with_entries = false, bool consistent = true);

  // Writers and repair (minute_writers.cc, minute_repair.cc).
  // What this writer commits: generations up to `generation`, every item
  // of write minutes up to `write_minute`, and when the first generation
  // after those began.
  struct Commit {
    std::int64_t generation = 0;
    std::int64_t write_minute = -1;
    std::int64_t next_since_s = 0;
  };
  // Sends this writer's heartbeat to `remote` with `commit` (the `first`
  // makes its record); false when it was fenced.
  bool send_heartbeat(const std::string& remote, const Commit& commit, bool first);
  // What this writer commits now; forgets the generations committed.
  // REQUIRES: mu_ held.
  Commit committable(std::int64_t now_minute);
  // Remembers the fences a progress item lists (its `vd` attribute).
  void learn_fences(const std::string& remote, const rapidjson::Value& progress_item);
  // Whether an item of `remote` with start `start` and generation `g` (0:
  // none) is void.
  bool is_void(const std::string& remote, std::int64_t start, std::int64_t g);
  // This writer was fenced: drops what it gathered of void generations and
  // starts again under a new writer number. REQUIRES: send_mu_ held.
  void restart_fenced();
  std::vector<WriterState> read_writers(const std::string& remote);
  // Fences the writers of `writers` taken for dead, and repairs those
  // fenced and not repaired yet; leaves in `writers` the live ones (a
  // fenced one's items of void generations are skipped, so folding waits
  // on the live alone). False when the lease was lost.
  bool repair_dead(const std::string& remote, std::vector<WriterState>& writers,
                   const std::function<bool()>& hold, std::int64_t retention_s);
  // Fences a dead writer; false when it renewed its heartbeat meanwhile.
  bool fence(const std::string& remote, WriterState& writer);
  // Recounts a fenced writer's void generations into minute items of its
  // repair minute, and marks its record repaired (kept a day, so that the
  // writer, should it wake, finds it fenced).
  void repair(const std::string& remote, const WriterState& writer, std::int64_t retention_s);
  // Visits the records that the write minutes folded into `o`, an open
  // hour of bucket `bucket`, added (of any hour: the caller filters).
  void each_folded(const std::string& remote, const OpenHour& o, int bucket,
                   const std::function<void(MinuteRecord& record)>& visit,
                   bool with_entries = false, bool consistent = true);
  std::map<std::pair<std::int64_t, int>, OpenHour> read_open_hours(
      const std::string& remote, const std::vector<std::pair<std::int64_t, int>>& keys,
      bool consistent = true);
  // What page 0 of a ranked list says of the list.
  struct RankedHead {
    std::int64_t through = -1;  // the last hour it holds
    std::int64_t version = 0;
    // What its hours' sources held, from its first hour (the hour's, or
    // the day's first) to `through`; none where page 0 does not say (no
    // list, or one written before lists said so).
    std::optional<std::vector<HeldMinutes>> held;
  };
  // A ranked list's first `at_most` entries (whole pages); `head` gets
  // what its page 0 says. A list that stays torn (pages of two versions,
  // or missing) throws StoreError -- or, given `torn`, sets it and gives
  // no entries and, in `head`, what its page 0 says, if there is one.
  std::vector<MinuteRecord> read_ranked(const std::string& remote, const std::string& key,
                                        std::size_t at_most, bool consistent = true,
                                        RankedHead* head = nullptr, bool* torn = nullptr);
  // The (hour, bucket)s of hours [h0, h1] folded into since they were
  // last closed: their closed items are behind, their o# is not.
  std::set<std::pair<std::int64_t, int>> read_dirty(const std::string& remote, std::int64_t h0,
                                                    std::int64_t h1);
  // The hours of [h0, h1] of bucket `bucket` that wait to be closed again
  // (none read when the progress says none do).
  std::set<std::int64_t> dirty_hours(const std::string& remote, const Progress& p, std::int64_t h0,
                                     std::int64_t h1, int bucket);

  RequestEngine& engine_;
  const std::function<std::int64_t()> now_us_;
  const std::int64_t dead_after_s_;
  std::atomic<std::uint64_t> writer_;
  const std::string lease_holder_;

  mutable std::mutex mu_;                           // guards the generations and unsettled_
  std::int64_t generation_ = 1;                     // the one writes take now
  std::map<std::int64_t, Generation> generations_;  // not committed yet
  // Activities maybe stored and not counted -> their generations.
  std::unordered_map<std::string, std::vector<std::int64_t>> unsettled_;
  std::atomic<bool> any_unsettled_{false};
  std::atomic<bool> abandoned_{false};
  std::mutex hook_mu_;  // guards round_stage_hook_
  std::function<void(RoundStage)> round_stage_hook_;
  std::atomic<bool> fenced_{false};        // a heartbeat found this writer fenced
  std::mutex records_mu_;                  // guards records_ and declaring
  std::map<std::string, Record> records_;  // by counts table
  std::mutex fences_mu_;
  // Fenced writers of each counts table: writer -> its first void generation.
  std::map<std::string, std::map<std::uint64_t, std::int64_t>> fences_;
  std::mutex send_mu_;  // one flush at a time; guards the rest
  std::uint64_t sequence_ = 0;
  std::atomic<std::uint64_t> intent_sequence_{0};  // of intent items
  // No item goes to a write minute before this one: a rebuild's recount
  // holds the minutes up to the one it ran in.
  std::int64_t next_write_minute_ = 0;
  std::vector<Frozen> unsent_;
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_MINUTE_COUNTS_H_
