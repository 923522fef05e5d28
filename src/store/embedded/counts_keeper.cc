#include "store/embedded/counts_keeper.h"

#include <malloc.h>

#include <algorithm>
#include <random>
#include <unordered_map>

#include "cctv/error.h"
#include "core/bucket.h"
#include "core/busiest.h"
#include "store/counts_pace.h"
#include "store/embedded/count_rows.h"
#include "store/embedded/key_layout.h"

namespace cctv::store::embedded {

CountsKeeper::CountsKeeper(rocksdb::DB* db, std::string location, std::size_t budget,
                           std::shared_ptr<LogSpace> log_space)
    : db_(db),
      location_(std::move(location)),
      log_space_(std::move(log_space)),
      budget_(budget),
      next_mark_(std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32)),
      last_write_(std::chrono::steady_clock::now()) {}

void CountsKeeper::fail(const char* what, const rocksdb::Status& status) const {
  throw StoreError("could not " + std::string(what) + " in " + location_ + ": " +
                   status.ToString());
}

CountsKeeper::Marks CountsKeeper::mark(const core::RecordBatch& batch,
                                       const FamilyOf& counts_family, rocksdb::WriteBatch& out) {
  // The time span of each table's records.
  std::map<std::uint32_t, std::pair<std::int64_t, std::int64_t>> spans;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto r = batch[i];
    auto [it, fresh] = spans.try_emplace(r.table, r.time_us, r.time_us);
    if (!fresh) {
      it->second.first = std::min(it->second.first, r.time_us);
      it->second.second = std::max(it->second.second, r.time_us);
    }
  }
  Marks marks;
  std::string value;
  for (const auto& [table, span] : spans) {
    value.clear();
    encode_dirty(span.first, span.second, value);
    std::string key = dirty_key(next_mark_.fetch_add(1, std::memory_order_relaxed));
    out.Put(counts_family(table), key, value);
    marks.emplace_back(table, std::move(key));
  }
  return marks;
}

void CountsKeeper::absorb(const std::vector<SortedBatchBuilder::CountHit>& hits,
                          const std::vector<bool>& already_stored, Marks marks) {
  std::unique_lock lock(mu_);
  core::CountAggregator* aggregator = nullptr;
  std::uint32_t current = UINT32_MAX;
  std::string_view selected;  // hits come grouped by table and target
  for (const auto& hit : hits) {
    if (!already_stored.empty() && already_stored[hit.record]) continue;
    if (hit.table != current) {
      current = hit.table;
      aggregator = &tables_[filling_][hit.table];
      selected = {};
    }
    if (selected.data() == nullptr || hit.target != selected) {
      aggregator->select(hit.target, hit.target_hash);
      selected = hit.target;
    }
    aggregator->add(hit.minute, hit.entry);
  }
  marks_.insert(marks_.end(), std::make_move_iterator(marks.begin()),
                std::make_move_iterator(marks.end()));
}

void CountsKeeper::wait_for_room() {
  if (budget_ == SIZE_MAX) return;
  std::unique_lock lock(mu_);
  room_.wait(lock, [this] {
    std::size_t memory = 0;
    for (const auto& [table, aggregator] : tables_[filling_]) memory += aggregator.memory();
    return memory < budget_ / 2;
  });
}

bool CountsKeeper::write_due() {
  std::lock_guard lock(mu_);
  std::size_t activities = 0, targets = 0, memory = 0;
  for (const auto& [table, aggregator] : tables_[filling_]) {
    activities += aggregator.gathered();
    targets += aggregator.touched();
    memory += aggregator.memory();
  }
  return counts_write_due(std::chrono::steady_clock::now() - last_write_, activities, targets,
                          memory, budget_ / 2);
}

void CountsKeeper::flush(const FamilyOf& counts_family) { write_all(counts_family); }

bool CountsKeeper::catch_up(const FamilyOf& counts_family, std::chrono::milliseconds patience) {
  std::unique_lock write(write_mu_, std::defer_lock);
  if (!write.try_lock_for(patience)) return false;
  {
    std::lock_guard lock(mu_);
    bool gathered = false;
    for (const auto& [table, aggregator] : tables_[filling_]) gathered |= aggregator.gathered() > 0;
    if (!gathered) return true;
  }
  // The disk is full: the write would wait for room, and the read with it.
  if (log_space_ && log_space_->waiting()) return false;
  write_all_holding(counts_family);
  return true;
}

void CountsKeeper::forget(std::uint32_t table) {
  std::lock_guard lock(mu_);
  tables_[0].erase(table);
  tables_[1].erase(table);
  std::erase_if(marks_, [table](const auto& m) { return m.first == table; });
}

namespace {

// A batch of counts rows ends past either: a few megabytes, so that the
// counts family's memtable (4 MiB) flushes between batches.
constexpr std::size_t kRowBytesPerWrite = std::size_t{4} << 20;
constexpr std::size_t kRowsPerWrite = 32'768;

}  // namespace

void CountsKeeper::write_rows(std::map<std::uint32_t, core::CountAggregator>& taken,
                              const FamilyOf& counts_family, RowBuffer& buffer,
                              rocksdb::WriteBatch& out, const std::function<void()>& write_out) {
  // Rows are encoded back to back into one buffer, then merged in key order,
  // with the same insert hint as the activities (sorted_batch.h): in
  // arrival order each was a skiplist search from the top.
  buffer.rows.clear();
  buffer.bytes.clear();
  Slots slots;
  SketchSlots sketch_slots;
  std::vector<const core::TallySummary::Sketch*> sketches;
  for (auto& [table, aggregator] : taken) {
    rocksdb::ColumnFamilyHandle* family = counts_family(table);
    if (family == nullptr) continue;  // dropped
    aggregator.summarize([&](const std::string& target, const core::TallySummary& counts) {
      // Sketches by (bucket, number): minutes go into their hour's 'M' row
      // beside its counts, hours and days into their day's sketch row.
      sketches.clear();
      for (const auto& sketch : counts.sketches) sketches.push_back(&sketch);
      std::sort(sketches.begin(), sketches.end(), [](const auto* a, const auto* b) {
        return a->bucket != b->bucket ? a->bucket < b->bucket : a->number < b->number;
      });
      auto minute_sketches = std::find_if(sketches.begin(), sketches.end(), [](const auto* s) {
        return s->bucket == Bucket::kMinute;
      });
      // counts.minutes is ascending: rows come in runs. Hour rows hold the
      // minutes' counts; day rows the sums of each hour's minutes.
      for (const char kind : {kMinuteRow, kHourRow}) {
        const std::int64_t per_row = kind == kMinuteRow ? 60 : 24 * 60;
        const std::int64_t per_slot = kind == kMinuteRow ? 1 : 60;
        for (std::size_t i = 0; i < counts.minutes.size();) {
          const std::int64_t row = counts.minutes[i].first / per_row;
          slots.clear();
          for (; i < counts.minutes.size() && counts.minutes[i].first / per_row == row; ++i) {
            const auto slot =
                static_cast<std::uint32_t>((counts.minutes[i].first % per_row) / per_slot);
            if (!slots.empty() && slots.back().first == slot) {
              slots.back().second += counts.minutes[i].second;
            } else {
              slots.emplace_back(slot, counts.minutes[i].second);
            }
          }
          buffer.begin(family);
          append_row_key(buffer.bytes, kind, row, target);
          buffer.end_key();
          if (kind == kHourRow) {
            encode_row(slots, buffer.bytes);
            buffer.end_row();
            continue;
          }
          sketch_slots.clear();
          for (;
               minute_sketches != sketches.end() && (*minute_sketches)->bucket == Bucket::kMinute &&
               (*minute_sketches)->number / 60 == row;
               ++minute_sketches) {
            sketch_slots.emplace_back(sketch_slot(Bucket::kMinute, (*minute_sketches)->number),
                                      (*minute_sketches)->encoded);
          }
          encode_minute_row(slots, sketch_slots, buffer.bytes);
          buffer.end_row();
        }
      }
      // Day rows of the hours' sketches (sorted: hours come in runs by day).
      for (auto hour = std::find_if(sketches.begin(), sketches.end(),
                                    [](const auto* s) { return s->bucket == Bucket::kHour; });
           hour != sketches.end() && (*hour)->bucket == Bucket::kHour;) {
        const std::int64_t day = sketch_row(Bucket::kHour, (*hour)->number);
        sketch_slots.clear();
        for (; hour != sketches.end() && (*hour)->bucket == Bucket::kHour &&
               sketch_row(Bucket::kHour, (*hour)->number) == day;
             ++hour) {
          sketch_slots.emplace_back(sketch_slot(Bucket::kHour, (*hour)->number), (*hour)->encoded);
        }
        buffer.begin(family);
        append_sketch_key(buffer.bytes, Bucket::kHour, day * 24, target);
        buffer.end_key();
        encode_sketch_row(sketch_slots, buffer.bytes);
        buffer.end_row();
      }
      if (buffer.bytes.size() >= kRowBytesPerWrite || buffer.rows.size() >= kRowsPerWrite) {
        merge_rows(buffer, out);
        write_out();
      }
    });
  }
  merge_rows(buffer, out);
}

void CountsKeeper::merge_rows(RowBuffer& buffer, rocksdb::WriteBatch& out) {
  const std::string_view bytes(buffer.bytes);
  std::sort(buffer.rows.begin(), buffer.rows.end(), [bytes](const auto& a, const auto& b) {
    if (a.family != b.family) return a.family->GetID() < b.family->GetID();
    return bytes.substr(a.at, a.key_size) < bytes.substr(b.at, b.key_size);
  });
  for (const auto& row : buffer.rows) {
    out.Merge(row.family, rocksdb::Slice(bytes.data() + row.at, row.key_size),
              rocksdb::Slice(bytes.data() + row.at + row.key_size, row.value_size));
  }
  buffer.rows.clear();
  buffer.bytes.clear();
}

void CountsKeeper::write_all(const FamilyOf& counts_family) {
  std::lock_guard write(write_mu_);
  write_all_holding(counts_family);
}

void CountsKeeper::write_all_holding(const FamilyOf& counts_family) {
  // Take what has gathered and let the writers go on gathering while
  // this is summarized and written.
  Marks marks;
  int taken_set = 0;
  {
    std::lock_guard lock(mu_);
    taken_set = filling_;
    filling_ = 1 - filling_;
    marks.swap(marks_);
    last_write_ = std::chrono::steady_clock::now();
  }
  room_.notify_all();
  // Not guarded by mu_: the writers fill the other set until the next
  // write_all, which write_mu_ keeps from starting before this one ends.
  std::map<std::uint32_t, core::CountAggregator>& taken = tables_[taken_set];
  rocksdb::WriteBatch& out = batch_;
  out.Clear();
  // Lost from memory on a failure, but their marks stay: they are recounted.
  const auto write_out = [&] {
    if (out.Count() == 0) return;
    rocksdb::WriteOptions options;
    options.memtable_insert_hint_per_batch = true;
    if (log_space_) log_space_->reserve(out.GetDataSize());
    auto status = db_->Write(options, &out);
    out.Clear();
    if (!status.ok()) fail("write counts", status);
  };
  try {
    write_rows(taken, counts_family, rows_, out, write_out);
    for (const auto& [table, key] : marks) {
      if (rocksdb::ColumnFamilyHandle* family = counts_family(table)) out.Delete(family, key);
    }
    write_out();
  } catch (...) {
    // Whatever of this round a batch wrote, and what it did not, the marks
    // (kept: their deletion was to come last) have recounted. Left here, the
    // targets not yet summarized would be written again, on top of the
    // recount, when this set is next taken.
    taken.clear();
    throw;
  }
  // A round of many targets gives their memory back at once: kept until
  // this set is taken again, it would count against the budget that new
  // targets gathering there meanwhile must fit in (wait_for_room()).
  for (auto& [table, aggregator] : taken) {
    if (aggregator.memory() > budget_ / 8) aggregator.release_idle();
  }
#ifdef __GLIBC__
  // Summaries are built and freed once a second on this thread; glibc keeps
  // what they used in this thread's arena unless asked to give it back.
  // Measured at 3M activities: peak RSS 225 MB without, 203 MB with, at no
  // throughput cost visible beside the run-to-run noise.
  malloc_trim(0);
#endif
}

std::vector<std::int64_t> CountsKeeper::counts(rocksdb::ColumnFamilyHandle* family,
                                               std::string_view target, Bucket bucket,
                                               std::int64_t first, std::size_t n) {
  std::vector<std::int64_t> out(n, 0);
  if (n == 0) return out;
  // Minutes live in hour rows of 60 slots, hours in day rows of 24.
  const std::int64_t per_row = bucket == Bucket::kMinute ? 60 : 24;
  const char kind = bucket == Bucket::kMinute ? kMinuteRow : kHourRow;
  const std::int64_t last = first + static_cast<std::int64_t>(n) - 1;
  const std::int64_t first_row = std::max<std::int64_t>(0, first) / per_row;
  const std::int64_t last_row = last / per_row;
  if (last < 0) return out;
  std::vector<std::string> keys;
  for (std::int64_t row = first_row; row <= last_row; ++row)
    keys.push_back(row_key(kind, row, target));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), family, keys.size(), slices.data(), values.data(),
                statuses.data(),
                /*sorted_input=*/true);
  std::vector<std::int64_t> slots(static_cast<std::size_t>(per_row));
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok()) fail("read counts", statuses[k]);
    std::fill(slots.begin(), slots.end(), 0);
    if (!add_row(kind, std::string_view(values[k].data(), values[k].size()), slots)) {
      throw StoreError("corrupt counts in " + location_ +
                       "; rebuild them with `cctv counts rebuild`");
    }
    const std::int64_t base = (first_row + static_cast<std::int64_t>(k)) * per_row;
    for (std::int64_t s = 0; s < per_row; ++s) {
      const std::int64_t bucket_number = base + s;
      if (bucket_number >= first && bucket_number <= last)
        out[static_cast<std::size_t>(bucket_number - first)] += slots[static_cast<std::size_t>(s)];
    }
  }
  return out;
}

std::vector<core::HyperLogLog> CountsKeeper::sketches(rocksdb::ColumnFamilyHandle* family,
                                                      std::string_view target, Bucket bucket,
                                                      std::int64_t first, std::size_t n) {
  std::vector<core::HyperLogLog> out(n);
  const std::int64_t last = first + static_cast<std::int64_t>(n) - 1;
  if (n == 0 || last < 0) return out;
  const std::int64_t first_row = sketch_row(bucket, std::max<std::int64_t>(first, 0));
  const std::int64_t last_row = sketch_row(bucket, last);
  std::vector<std::string> keys;
  for (std::int64_t row = first_row; row <= last_row; ++row) {
    // A bucket number whose row is `row`: its first one.
    const std::int64_t number = bucket == Bucket::kMinute ? row * 60
                                : bucket == Bucket::kHour ? row * 24
                                                          : row;
    keys.push_back(sketch_key(bucket, number, target));
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), family, keys.size(), slices.data(), values.data(),
                statuses.data(),
                /*sorted_input=*/true);
  for (std::int64_t number = std::max<std::int64_t>(first, 0); number <= last; ++number) {
    const auto k = static_cast<std::size_t>(sketch_row(bucket, number) - first_row);
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok()) fail("read distinct-actor sketches", statuses[k]);
    if (!merge_sketch_slot(keys[k], std::string_view(values[k].data(), values[k].size()),
                           sketch_slot(bucket, number),
                           out[static_cast<std::size_t>(number - first)])) {
      throw StoreError("corrupt distinct-actor sketch in " + location_ +
                       "; rebuild counts with `cctv counts rebuild`");
    }
  }
  return out;
}

std::vector<TargetCount> CountsKeeper::top_targets(rocksdb::ColumnFamilyHandle* family,
                                                   std::int64_t from_minute, std::int64_t to_minute,
                                                   std::size_t limit) {
  std::unordered_map<std::string, std::int64_t> totals;
  std::vector<std::int64_t> slots(60);
  // Adds slots [lo, hi) of every target's row of (kind, period).
  auto scan = [&](char kind, std::int64_t period, std::int64_t lo, std::int64_t hi) {
    const std::string prefix = row_key(kind, period, "");
    const std::string end = row_key(kind, period + 1, "");
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions options;
    options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, family));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      const std::string_view key(it->key().data(), it->key().size());
      if (key.size() <= kRowKeyPrefix) continue;  // "": the whole table
      slots.assign(60, 0);
      if (!add_row(kind, std::string_view(it->value().data(), it->value().size()), slots)) {
        throw StoreError("corrupt counts in " + location_ +
                         "; rebuild them with `cctv counts rebuild`");
      }
      std::int64_t sum = 0;
      for (std::int64_t s = lo; s < hi; ++s) sum += slots[static_cast<std::size_t>(s)];
      if (sum != 0) totals[std::string(key.substr(kRowKeyPrefix))] += sum;
    }
    if (!it->status().ok()) fail("read counts", it->status());
  };
  // Whole days read their day rows, whole hours their slots of them, the
  // minutes left their hour rows.
  core::cover_minutes(from_minute, to_minute,
                      [&](Bucket bucket, std::int64_t first, std::int64_t n) {
                        switch (bucket) {
                          case Bucket::kDay:
                            for (std::int64_t d = first; d < first + n; ++d)
                              scan(kHourRow, d, 0, 24);
                            break;
                          case Bucket::kHour:
                            scan(kHourRow, first / 24, first % 24, first % 24 + n);
                            break;
                          case Bucket::kMinute:
                            scan(kMinuteRow, first / 60, first % 60, first % 60 + n);
                            break;
                        }
                      });
  std::vector<TargetCount> out;
  out.reserve(totals.size());
  for (auto& [target, count] : totals) out.push_back(TargetCount{target, count});
  core::keep_busiest(out, limit);
  return out;
}

void CountsKeeper::recount(rocksdb::ColumnFamilyHandle* counts,
                           rocksdb::ColumnFamilyHandle* by_target, std::int64_t from_us,
                           std::int64_t to_us) {
  const std::int64_t first_day = core::day_of(std::max<std::int64_t>(from_us, 0));
  const std::int64_t end_day = core::day_of(std::max<std::int64_t>(to_us - 1, 0)) + 1;
  const std::int64_t span_from = first_day * core::kDayUs, span_to = end_day * core::kDayUs;
  // Every target's activities in the span: one seek per target to its
  // slice of the span (keys are target, then time), one to the next target.
  core::CountAggregator aggregator;
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, by_target));
  std::string lower, upper;
  std::string current;
  it->SeekToFirst();
  while (it->Valid()) {
    IndexKey key;
    if (!parse_index_key(std::string_view(it->key().data(), it->key().size()), key)) {
      throw StoreError("corrupt activity key in " + location_ +
                       "; restore the data directory from a backup");
    }
    current.assign(key.key);
    index_range(current, span_from, span_to, lower, upper);
    aggregator.select(current);
    for (it->Seek(lower); it->Valid() && it->key().compare(upper) < 0; it->Next()) {
      std::string_view actor, attributes;
      if (!parse_index_key(std::string_view(it->key().data(), it->key().size()), key) ||
          !parse_stored_value(std::string_view(it->value().data(), it->value().size()), actor,
                              attributes)) {
        throw StoreError("corrupt activity in " + location_ +
                         "; restore the data directory from a backup");
      }
      aggregator.add(core::minute_of(key.time_us),
                     core::HyperLogLog::entry(core::actor_hash(actor)));
    }
    it->Seek(past_all_keys_of(current));
  }
  if (!it->status().ok()) fail("read activities to recount", it->status());

  rocksdb::WriteBatch out;
  // Old rows and sketches of the span go; merges after a range deletion in
  // the same batch apply to nothing.
  const std::int64_t first_hour = first_day * 24, end_hour = end_day * 24;
  out.DeleteRange(counts, row_key(kMinuteRow, first_hour, ""), row_key(kMinuteRow, end_hour, ""));
  out.DeleteRange(counts, row_key(kHourRow, first_day, ""), row_key(kHourRow, end_day, ""));
  out.DeleteRange(counts, sketch_key(Bucket::kDay, first_day, ""),
                  sketch_key(Bucket::kDay, end_day, ""));
  std::map<std::uint32_t, core::CountAggregator> one;
  one.emplace(0, std::move(aggregator));
  RowBuffer rows;
  // One batch, all or nothing: a recount replaces what was there.
  write_rows(
      one, [counts](std::uint32_t) { return counts; }, rows, out, [] {});
  if (log_space_) log_space_->reserve(out.GetDataSize());
  auto status = db_->Write(rocksdb::WriteOptions(), &out);
  if (!status.ok()) fail("write recounted counts", status);
}

std::size_t CountsKeeper::recover(rocksdb::ColumnFamilyHandle* counts,
                                  rocksdb::ColumnFamilyHandle* by_target) {
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  std::vector<std::string> keys;
  const std::string first(1, kDirtyMark), end(1, kDirtyMark + 1);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, counts));
  for (it->Seek(first); it->Valid(); it->Next()) {
    std::int64_t min_us = 0, max_us = 0;
    if (!decode_dirty(std::string_view(it->value().data(), it->value().size()), min_us, max_us)) {
      throw StoreError("corrupt counts mark in " + location_ + "; run `cctv counts rebuild`");
    }
    spans.emplace_back(min_us, max_us);
    keys.emplace_back(it->key().data(), it->key().size());
  }
  if (!it->status().ok()) fail("read counts marks", it->status());
  if (keys.empty()) return 0;
  // The marked days, joined into runs of consecutive days: one recount (one
  // pass over the activities) per run.
  std::vector<std::pair<std::int64_t, std::int64_t>> days;  // [first, end)
  for (const auto& [min_us, max_us] : spans)
    days.emplace_back(core::day_of(min_us), core::day_of(max_us) + 1);
  std::sort(days.begin(), days.end());
  std::vector<std::pair<std::int64_t, std::int64_t>> runs;
  for (const auto& d : days) {
    if (!runs.empty() && d.first <= runs.back().second) {
      runs.back().second = std::max(runs.back().second, d.second);
    } else {
      runs.push_back(d);
    }
  }
  for (const auto& [run_first, run_end] : runs) {
    recount(counts, by_target, run_first * core::kDayUs, run_end * core::kDayUs);
  }
  rocksdb::WriteBatch out;
  for (const auto& key : keys) out.Delete(counts, key);
  if (log_space_) log_space_->reserve(out.GetDataSize());
  auto status = db_->Write(rocksdb::WriteOptions(), &out);
  if (!status.ok()) fail("delete counts marks", status);
  return keys.size();
}

}  // namespace cctv::store::embedded
