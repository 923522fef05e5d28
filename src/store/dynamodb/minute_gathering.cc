#include "store/dynamodb/minute_gathering.h"

#include <algorithm>
#include <tuple>

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
  // Activities come mostly in time order: the newest cell is nearly
  // always the one.
  std::uint32_t c = targets_[target].newest_cell;
  while (c != kNone && cells_[c].minute != minute) c = cells_[c].older;
  if (c == kNone) {
    c = static_cast<std::uint32_t>(cells_.size());
    cells_.push_back(Cell{minute, 0, target, targets_[target].newest_cell, 0, 0});
    targets_[target].newest_cell = c;
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

std::vector<std::vector<MinuteRecord>> MinuteGathering::take(bool ordered) {
  std::vector<std::vector<MinuteRecord>> out(kCountBuckets);
  // The entries grouped by cell (a counting sort: each cell knows how many
  // it listed).
  std::vector<std::uint32_t> begin(cells_.size() + 1, 0);
  for (std::size_t c = 0; c < cells_.size(); ++c) begin[c + 1] = begin[c] + cells_[c].listed;
  std::vector<std::uint32_t> grouped(entries_.size());
  {
    std::vector<std::uint32_t> next(begin.begin(), begin.end() - 1);
    for (const auto& [c, e] : entries_) grouped[next[c]++] = e;
  }
  for (std::size_t c = 0; c < cells_.size(); ++c) {
    const Cell& cell = cells_[c];
    const Target& t = targets_[cell.target];
    MinuteRecord r{names_.substr(t.name_begin, t.name_size), cell.minute, cell.count, {}};
    const auto first = grouped.begin() + begin[c];
    const auto last = grouped.begin() + begin[c + 1];
    if (cell.registers == 0) {
      r.entries.assign(first, last);
      HyperLogLog::normalize_entries(r.entries);
    } else {
      std::vector<std::uint8_t>& registers = registers_[cell.registers - 1];
      for (auto e = first; e != last; ++e) raise(registers, *e);
      for (std::uint32_t k = 0; k < registers.size(); ++k) {
        if (registers[k] != 0) r.entries.push_back(k << HyperLogLog::kRankBits | registers[k]);
      }
    }
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

}  // namespace cctv::store::dynamodb
