#include "store/dynamodb/minute_gathering.h"

#include <algorithm>
#include <tuple>

#include "core/bucket.h"
#include "core/hyperloglog.h"
#include "store/dynamodb/count_items.h"

namespace cctv::store::dynamodb {

namespace {

using core::HyperLogLog;

// A cell lists its entries until it has this many, then keeps registers.
constexpr std::uint32_t kRegistersAfter = 2048;

void raise(std::vector<std::uint8_t>& registers, std::uint32_t entry) {
  auto& rank = registers[HyperLogLog::entry_register(entry)];
  rank = std::max(rank, static_cast<std::uint8_t>(HyperLogLog::entry_rank(entry)));
}

}  // namespace

std::uint32_t MinuteGathering::target_of(std::string_view target, std::uint64_t hash) {
  if (slots_.empty()) {
    targets_.push_back(Target{core::actor_hash(""), 0, 0, kNone});  // the whole table
    slots_.assign(1024, 0);
  }
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = hash & mask;; s = (s + 1) & mask) {
    const std::uint32_t slot = slots_[s];
    if (slot == 0) break;
    const Target& t = targets_[slot - 1];
    if (t.hash == hash && std::string_view(names_.data() + t.name_begin, t.name_size) == target) {
      return slot - 1;
    }
  }
  const auto index = static_cast<std::uint32_t>(targets_.size());
  targets_.push_back(Target{hash, names_.size(), static_cast<std::uint32_t>(target.size()), kNone});
  names_.append(target);
  if (2 * targets_.size() > slots_.size()) {
    grow_slots();  // places the new target too
  } else {
    std::size_t s = hash & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = index + 1;
  }
  return index;
}

void MinuteGathering::prefetch(std::uint64_t hash, Prefetch step) const noexcept {
  if (slots_.empty()) return;
  const std::uint32_t* slot = &slots_[hash & (slots_.size() - 1)];
  if (step == Prefetch::kSlot) {
    __builtin_prefetch(slot);
    return;
  }
  if (*slot == 0) return;  // a new target, or one further along its probe run
  const Target& t = targets_[*slot - 1];
  if (step == Prefetch::kTarget) {
    __builtin_prefetch(&t);
    return;
  }
  if (t.hash != hash) return;
  __builtin_prefetch(names_.data() + t.name_begin);
  if (t.latest_cell != kNone) __builtin_prefetch(&cells_[t.latest_cell]);
}

void MinuteGathering::grow_slots() {
  slots_.assign(slots_.size() * 2, 0);
  const std::size_t mask = slots_.size() - 1;
  for (std::uint32_t i = 1; i < targets_.size(); ++i) {
    std::size_t s = targets_[i].hash & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = i + 1;
  }
}

void MinuteGathering::count(std::uint32_t target, std::int64_t minute, std::uint32_t entry) {
  // A target's cells are chained by minute, latest first. Activities come
  // mostly in time order: the latest cell is nearly always the one, or a
  // new one goes before it -- found without walking the earlier minutes,
  // each a cache miss.
  std::uint32_t before = kNone;  // the cell whose `older` leads to c
  std::uint32_t c = targets_[target].latest_cell;
  while (c != kNone && cells_[c].minute > minute) {
    before = c;
    c = cells_[c].older;
  }
  if (c == kNone || cells_[c].minute != minute) {
    const auto added = static_cast<std::uint32_t>(cells_.size());
    cells_.push_back(Cell{minute, 0, target, c, 0, 0});
    (before == kNone ? targets_[target].latest_cell : cells_[before].older) = added;
    c = added;
  }
  Cell& cell = cells_[c];
  ++cell.count;
  if (cell.registers != 0) {
    raise(registers_[cell.registers - 1], entry);
    return;
  }
  entries_.emplace_back(c, entry);
  if (++cell.listed == kRegistersAfter) {
    registers_.emplace_back(HyperLogLog::kRegisters, 0);
    cell.registers = static_cast<std::uint32_t>(registers_.size());
  }
}

void MinuteGathering::add(std::string_view target, std::uint64_t hash, std::int64_t minute,
                          std::uint32_t entry) {
  count(target_of(target, hash), minute, entry);
  count(0, minute, entry);
}

void MinuteGathering::group_entries(std::vector<std::uint32_t>& begin,
                                    std::vector<std::uint32_t>& grouped) const {
  // A counting sort: each cell knows how many it listed.
  begin.assign(cells_.size() + 1, 0);
  for (std::size_t c = 0; c < cells_.size(); ++c) begin[c + 1] = begin[c] + cells_[c].listed;
  grouped.resize(entries_.size());
  std::vector<std::uint32_t> next(begin.begin(), begin.end() - 1);
  for (const auto& [c, e] : entries_) grouped[next[c]++] = e;
}

void MinuteGathering::cell_entries(const Cell& cell, std::span<const std::uint32_t> listed,
                                   std::vector<std::uint32_t>& out) {
  out.clear();
  if (cell.registers == 0) {
    out.assign(listed.begin(), listed.end());
    HyperLogLog::normalize_entries(out);
    return;
  }
  std::vector<std::uint8_t>& registers = registers_[cell.registers - 1];
  for (std::uint32_t e : listed) raise(registers, e);
  for (std::uint32_t k = 0; k < registers.size(); ++k) {
    if (registers[k] != 0) out.push_back(k << HyperLogLog::kRankBits | registers[k]);
  }
}

std::vector<std::vector<MinuteRecord>> MinuteGathering::take(bool ordered) {
  std::vector<std::vector<MinuteRecord>> out(kCountBuckets);
  std::vector<std::uint32_t> begin;
  std::vector<std::uint32_t> grouped;
  group_entries(begin, grouped);
  for (std::size_t c = 0; c < cells_.size(); ++c) {
    const Cell& cell = cells_[c];
    const Target& t = targets_[cell.target];
    MinuteRecord r{names_.substr(t.name_begin, t.name_size), cell.minute, cell.count, {}};
    cell_entries(cell, std::span(grouped).subspan(begin[c], begin[c + 1] - begin[c]), r.entries);
    out[static_cast<std::size_t>(count_bucket_of_hash(t.hash))].push_back(std::move(r));
  }
  if (ordered) {
    for (auto& records : out) {
      std::sort(records.begin(), records.end(), [](const MinuteRecord& a, const MinuteRecord& b) {
        return std::tie(a.target, a.minute) < std::tie(b.target, b.minute);
      });
    }
  }
  *this = MinuteGathering();
  return out;
}

std::vector<MinuteGathering::Payloads> MinuteGathering::take_payloads(std::size_t max_payload) {
  std::vector<Payloads> out;
  std::vector<std::uint32_t> begin;
  std::vector<std::uint32_t> grouped;
  group_entries(begin, grouped);
  // The cells by bucket, each bucket's in the order take() gives them.
  std::vector<std::vector<std::uint32_t>> by_bucket(kCountBuckets);
  for (std::uint32_t c = 0; c < cells_.size(); ++c) {
    by_bucket[static_cast<std::size_t>(count_bucket_of_hash(targets_[cells_[c].target].hash))]
        .push_back(c);
  }
  MinutePayloadBuilder builder;
  std::vector<std::uint32_t> entries;
  for (int b = 0; b < kCountBuckets; ++b) {
    std::int64_t oldest_hour = INT64_MAX;
    auto finish = [&] {
      Payloads& p = out.emplace_back();
      p.bucket = b;
      p.oldest_hour = std::exchange(oldest_hour, INT64_MAX);
      builder.finish(p.counts, p.sketches);
    };
    for (const std::uint32_t c : by_bucket[static_cast<std::size_t>(b)]) {
      const Cell& cell = cells_[c];
      const Target& t = targets_[cell.target];
      cell_entries(cell, std::span(grouped).subspan(begin[c], begin[c + 1] - begin[c]), entries);
      if (!builder.fits(t.name_size, entries.size(), max_payload)) finish();
      builder.add(std::string_view(names_.data() + t.name_begin, t.name_size), cell.minute,
                  cell.count, entries);
      oldest_hour = std::min(oldest_hour, core::floor_div(cell.minute, 60));
    }
    if (builder.records() > 0) finish();
  }
  *this = MinuteGathering();
  return out;
}

}  // namespace cctv::store::dynamodb
