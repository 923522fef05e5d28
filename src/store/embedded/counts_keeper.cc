#include "store/embedded/counts_keeper.h"

#include <algorithm>
#include <random>
#include <unordered_map>

#include "cctv/error.h"
#include "core/bucket.h"
#include "store/embedded/count_rows.h"

namespace cctv::store::embedded {

namespace {

// How long counts gather in memory before they are written. Longer means
// fewer, larger merges (a busy target costs one per interval); counts
// become visible this much later, except after flush(), which writes them.
constexpr auto kInterval = std::chrono::seconds(1);

void append_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

}  // namespace

CountsKeeper::CountsKeeper(rocksdb::DB* db, std::string location)
    : db_(db), location_(std::move(location)), next_mark_(std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32)) {
  for (auto& slot : slots_) slot.since = std::chrono::steady_clock::now();
}

void CountsKeeper::fail(const char* what, const rocksdb::Status& status) const {
  throw StoreError("could not " + std::string(what) + " in " + location_ + ": " + status.ToString());
}

CountsKeeper::Marks CountsKeeper::mark(const core::RecordBatch& batch, const FamilyOf& counts_family,
                                       rocksdb::WriteBatch& out) {
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

void CountsKeeper::absorb(const core::RecordBatch& batch, const std::vector<bool>& already_stored, Marks marks,
                          const FamilyOf& counts_family) {
  Slot* slot = nullptr;
  std::unique_lock<std::mutex> lock;
  for (unsigned attempt = 0;; ++attempt) {
    Slot& s = slots_[(next_slot_.fetch_add(1, std::memory_order_relaxed)) % 2];
    lock = std::unique_lock(s.mu, std::try_to_lock);
    if (lock.owns_lock()) {
      slot = &s;
      break;
    }
    if (attempt >= 2) {
      lock = std::unique_lock(s.mu);
      slot = &s;
      break;
    }
  }
  core::CountAggregator* aggregator = nullptr;
  std::uint32_t current = UINT32_MAX;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!already_stored.empty() && already_stored[i]) continue;
    const auto r = batch[i];
    if (r.table != current) {
      current = r.table;
      aggregator = &slot->tables[r.table];
    }
    aggregator->add(r.target, r.time_us, core::actor_hash(r.actor));
  }
  slot->marks.insert(slot->marks.end(), std::make_move_iterator(marks.begin()), std::make_move_iterator(marks.end()));
  if (std::chrono::steady_clock::now() - slot->since >= kInterval) write_slot_locked(*slot, counts_family);
}

void CountsKeeper::flush(const FamilyOf& counts_family) {
  for (auto& slot : slots_) {
    std::lock_guard lock(slot.mu);
    write_slot_locked(slot, counts_family);
  }
}

void CountsKeeper::forget(std::uint32_t table) {
  for (auto& slot : slots_) {
    std::lock_guard lock(slot.mu);
    slot.tables.erase(table);
    std::erase_if(slot.marks, [table](const auto& m) { return m.first == table; });
  }
}

void CountsKeeper::write_slot_locked(Slot& slot, const FamilyOf& counts_family) {
  slot.since = std::chrono::steady_clock::now();
  if (slot.tables.empty() && slot.marks.empty()) return;
  rocksdb::WriteBatch out;
  std::string value;
  std::map<std::int64_t, Slots> hours;  // hour -> minute slots
  std::map<std::int64_t, Slots> days;   // day -> hour slots
  for (auto& [table, aggregator] : slot.tables) {
    rocksdb::ColumnFamilyHandle* family = counts_family(table);
    if (family == nullptr) continue;  // dropped
    for (const auto& [target, counts] : aggregator.targets()) {
      hours.clear();
      days.clear();
      for (const auto& [minute, n] : counts.minutes) {
        hours[minute / 60].emplace_back(static_cast<std::uint32_t>(minute % 60), n);
        Slots& day = days[minute / (24 * 60)];
        const auto hour_slot = static_cast<std::uint32_t>((minute / 60) % 24);
        auto it = std::find_if(day.begin(), day.end(), [&](const auto& e) { return e.first == hour_slot; });
        if (it == day.end()) {
          day.emplace_back(hour_slot, n);
        } else {
          it->second += n;
        }
      }
      for (auto* rows : {&hours, &days}) {
        const char kind = rows == &hours ? kMinuteRow : kHourRow;
        for (auto& [period, slots] : *rows) {
          std::sort(slots.begin(), slots.end());
          // A minute seen twice (activities out of order) is one slot.
          Slots merged;
          for (const auto& e : slots) {
            if (!merged.empty() && merged.back().first == e.first) {
              merged.back().second += e.second;
            } else {
              merged.push_back(e);
            }
          }
          value.clear();
          encode_row(merged, value);
          out.Merge(family, row_key(kind, period, target), value);
        }
      }
      for (const auto& cell : counts.sketches) {
        value.clear();
        cell.sketch.encode(value);
        out.Merge(family, sketch_key(cell.bucket, cell.period, target), value);
      }
    }
  }
  for (const auto& [table, key] : slot.marks) {
    if (rocksdb::ColumnFamilyHandle* family = counts_family(table)) out.Delete(family, key);
  }
  auto status = db_->Write(rocksdb::WriteOptions(), &out);
  if (!status.ok()) fail("write counts", status);
  slot.tables.clear();
  slot.marks.clear();
}

std::vector<std::int64_t> CountsKeeper::counts(rocksdb::ColumnFamilyHandle* family, std::string_view target,
                                               Bucket bucket, std::int64_t first, std::size_t n) {
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
  for (std::int64_t row = first_row; row <= last_row; ++row) keys.push_back(row_key(kind, row, target));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), family, keys.size(), slices.data(), values.data(), statuses.data(),
                /*sorted_input=*/true);
  std::vector<std::int64_t> slots(static_cast<std::size_t>(per_row));
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok()) fail("read counts", statuses[k]);
    std::fill(slots.begin(), slots.end(), 0);
    if (!add_row(std::string_view(values[k].data(), values[k].size()), slots)) {
      throw StoreError("corrupt counts in " + location_ + "; rebuild them with `cctv counts rebuild`");
    }
    const std::int64_t base = (first_row + static_cast<std::int64_t>(k)) * per_row;
    for (std::int64_t s = 0; s < per_row; ++s) {
      const std::int64_t bucket_number = base + s;
      if (bucket_number >= first && bucket_number <= last) out[static_cast<std::size_t>(bucket_number - first)] += slots[static_cast<std::size_t>(s)];
    }
  }
  return out;
}

std::vector<core::HyperLogLog> CountsKeeper::sketches(rocksdb::ColumnFamilyHandle* family, std::string_view target,
                                                      Bucket bucket, std::int64_t first, std::size_t n) {
  std::vector<core::HyperLogLog> out(n);
  std::vector<std::string> keys;
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t period = first + static_cast<std::int64_t>(i);
    if (period < 0) continue;
    keys.push_back(sketch_key(bucket, period, target));
    where.push_back(i);
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), family, keys.size(), slices.data(), values.data(), statuses.data(),
                /*sorted_input=*/true);
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok()) fail("read distinct-actor sketches", statuses[k]);
    if (!out[where[k]].merge_encoded(std::string_view(values[k].data(), values[k].size()))) {
      throw StoreError("corrupt distinct-actor sketch in " + location_ + "; rebuild counts with `cctv counts rebuild`");
    }
  }
  return out;
}

std::vector<TargetCount> CountsKeeper::top_targets(rocksdb::ColumnFamilyHandle* family, std::int64_t from_minute,
                                                   std::int64_t to_minute, std::size_t limit) {
  std::unordered_map<std::string, std::int64_t> totals;
  std::vector<std::int64_t> slots(60);
  // Adds slots [lo, hi) of every target's row of (kind, period).
  auto scan = [&](char kind, std::int64_t period, std::int64_t lo, std::int64_t hi) {
    std::string prefix(1, kind);
    append_be32(prefix, static_cast<std::uint32_t>(period));
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);  // BE32 + 1 within the same kind unless it wraps
    if (static_cast<unsigned char>(prefix.back()) == 0xff) end = std::string(1, static_cast<char>(kind + 1));
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions options;
    options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, family));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      const std::string_view key(it->key().data(), it->key().size());
      if (key.size() <= kRowKeyPrefix) continue;  // "": the whole table
      slots.assign(60, 0);
      if (!add_row(std::string_view(it->value().data(), it->value().size()), slots)) {
        throw StoreError("corrupt counts in " + location_ + "; rebuild them with `cctv counts rebuild`");
      }
      std::int64_t sum = 0;
      for (std::int64_t s = lo; s < hi; ++s) sum += slots[static_cast<std::size_t>(s)];
      if (sum != 0) totals[std::string(key.substr(kRowKeyPrefix))] += sum;
    }
    if (!it->status().ok()) fail("read counts", it->status());
  };
  std::int64_t m = std::max<std::int64_t>(from_minute, 0);
  while (m < to_minute) {
    const std::int64_t day = m / (24 * 60), hour = m / 60;
    if (m % (24 * 60) == 0 && m + 24 * 60 <= to_minute) {
      scan(kHourRow, day, 0, 24);  // a whole day
      m += 24 * 60;
    } else if (m % 60 == 0 && m + 60 <= to_minute) {
      // Whole hours of this day, up to the range's end or the day's.
      const std::int64_t day_end = (day + 1) * 24 * 60;
      const std::int64_t hours = (std::min(to_minute, day_end) - m) / 60;
      scan(kHourRow, day, hour % 24, hour % 24 + hours);
      m += hours * 60;
    } else {
      const std::int64_t hour_end = (hour + 1) * 60;
      const std::int64_t stop = std::min(to_minute, hour_end);
      scan(kMinuteRow, hour, m % 60, m % 60 + (stop - m));
      m = stop;
    }
  }
  std::vector<TargetCount> out;
  out.reserve(totals.size());
  for (auto& [target, count] : totals) out.push_back(TargetCount{target, count});
  const auto by_count = [](const TargetCount& a, const TargetCount& b) {
    return a.count != b.count ? a.count > b.count : a.target < b.target;
  };
  if (out.size() > limit) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(limit), out.end(), by_count);
    out.resize(limit);
  } else {
    std::sort(out.begin(), out.end(), by_count);
  }
  return out;
}

}  // namespace cctv::store::embedded
