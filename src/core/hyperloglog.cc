#include "core/hyperloglog.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "core/coding.h"

namespace cctv::core {

namespace {

constexpr int kRankBits = HyperLogLog::kRankBits;
constexpr std::uint32_t kRankMask = (1u << kRankBits) - 1;
constexpr int kMaxRank = 64 - HyperLogLog::kPrecision + 1;  // 51: the hash's rest was all zeros
// A sparse sketch turns dense past this many registers set: its encoding
// (about two bytes an entry) then nears the dense one.
constexpr std::size_t kSparseLimit = HyperLogLog::kRegisters / 4;
constexpr std::size_t kPendingLimit = 1024;


// Ertl's sigma and tau (section 4 of the paper).
double sigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0;
  double z = x;
  for (;;) {
    x *= x;
    const double before = z;
    z += x * y;
    y += y;
    if (z == before) return z;
  }
}

double tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  for (;;) {
    x = std::sqrt(x);
    const double before = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
    if (z == before) return z / 3.0;
  }
}

}  // namespace

namespace {

// MurmurHash3's 64-bit finalizer: every input bit reaches every output bit.
std::uint64_t mix64(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::uint64_t actor_hash(std::string_view actor) noexcept {
  // Eight bytes at a time, each word folded in and mixed, then the length
  // and a final mix: a few nanoseconds for a typical actor, where a
  // byte-at-a-time hash cost a sixth of the counting work.
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ actor.size();
  const char* p = actor.data();
  std::size_t n = actor.size();
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
    p += 8;
    n -= 8;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  return mix64(h ^ tail ^ (std::uint64_t{n} << 56));
}

// Entries sort by register, then rank, so the last of each run is the one
// to keep.
void HyperLogLog::normalize_entries(std::vector<std::uint32_t>& entries) {
  std::sort(entries.begin(), entries.end());
  std::size_t out = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i + 1 < entries.size() && entry_register(entries[i + 1]) == entry_register(entries[i]))
      continue;
    entries[out++] = entries[i];
  }
  entries.resize(out);
}

std::uint32_t HyperLogLog::entry(std::uint64_t hash) noexcept {
  const auto reg = static_cast<std::uint32_t>(hash >> (64 - kPrecision));
  const std::uint64_t rest = hash << kPrecision;
  const auto rank = static_cast<std::uint32_t>(std::min(std::countl_zero(rest), kMaxRank - 1) + 1);
  return reg << kRankBits | rank;
}

void HyperLogLog::encode_entries(const std::vector<std::uint32_t>& sorted_entries,
                                 std::string& out) {
  // Keep the last (highest-rank) entry of each register.
  std::size_t registers = 0;
  for (std::size_t i = 0; i < sorted_entries.size(); ++i) {
    if (i + 1 == sorted_entries.size() ||
        entry_register(sorted_entries[i + 1]) != entry_register(sorted_entries[i])) {
      ++registers;
    }
  }
  if (registers > kSparseLimit) {
    std::vector<std::uint8_t> dense(kRegisters, 0);
    for (std::uint32_t e : sorted_entries) {
      auto& r = dense[entry_register(e)];
      r = std::max<std::uint8_t>(r, static_cast<std::uint8_t>(entry_rank(e)));
    }
    encode_registers(dense.data(), out);
    return;
  }
  out.push_back('S');
  append_varint(out, registers);
  std::uint32_t previous = 0;
  for (std::size_t i = 0; i < sorted_entries.size(); ++i) {
    if (i + 1 < sorted_entries.size() &&
        entry_register(sorted_entries[i + 1]) == entry_register(sorted_entries[i])) {
      continue;
    }
    append_varint(out, sorted_entries[i] - previous);
    previous = sorted_entries[i];
  }
}

void HyperLogLog::encode_registers(const std::uint8_t* registers, std::string& out) {
  out.push_back('D');
  out.append(reinterpret_cast<const char*>(registers), kRegisters);
}

void HyperLogLog::add_entry(std::uint32_t e) {
  if (dense_) {
    auto& r = registers_[entry_register(e)];
    r = std::max<std::uint8_t>(r, static_cast<std::uint8_t>(entry_rank(e)));
    return;
  }
  pending_.push_back(e);
  if (pending_.size() >= kPendingLimit) compact();
}

void HyperLogLog::compact() const {
  if (dense_ || pending_.empty()) return;
  normalize_entries(pending_);
  std::vector<std::uint32_t> merged;
  merged.reserve(sparse_.size() + pending_.size());
  std::merge(sparse_.begin(), sparse_.end(), pending_.begin(), pending_.end(),
             std::back_inserter(merged));
  normalize_entries(merged);
  sparse_.swap(merged);
  pending_.clear();
  if (sparse_.size() > kSparseLimit) make_dense();
}

void HyperLogLog::make_dense() const {
  registers_.assign(kRegisters, 0);
  for (const auto* list : {&sparse_, &pending_}) {
    for (std::uint32_t e : *list) {
      auto& r = registers_[entry_register(e)];
      r = std::max<std::uint8_t>(r, static_cast<std::uint8_t>(entry_rank(e)));
    }
  }
  sparse_.clear();
  sparse_.shrink_to_fit();
  pending_.clear();
  pending_.shrink_to_fit();
  dense_ = true;
}

void HyperLogLog::merge(const HyperLogLog& other) {
  other.compact();
  if (other.dense_) {
    if (!dense_) make_dense();
    for (std::uint32_t i = 0; i < kRegisters; ++i)
      registers_[i] = std::max(registers_[i], other.registers_[i]);
    return;
  }
  if (dense_) {
    for (std::uint32_t e : other.sparse_) {
      auto& r = registers_[entry_register(e)];
      r = std::max<std::uint8_t>(r, static_cast<std::uint8_t>(entry_rank(e)));
    }
    return;
  }
  pending_.insert(pending_.end(), other.sparse_.begin(), other.sparse_.end());
  compact();
}

std::int64_t HyperLogLog::estimate() const {
  compact();
  std::array<double, kMaxRank + 1> histogram{};
  const double m = kRegisters;
  if (dense_) {
    for (std::uint8_t r : registers_) histogram[r] += 1;
  } else {
    histogram[0] = m - static_cast<double>(sparse_.size());
    for (std::uint32_t e : sparse_) histogram[entry_rank(e)] += 1;
  }
  constexpr int q = 64 - kPrecision;
  double z = m * tau(1.0 - histogram[q + 1] / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram[k]);
  z += m * sigma(histogram[0] / m);
  const double alpha_inf = 0.5 / std::log(2.0);
  return static_cast<std::int64_t>(std::llround(alpha_inf * m * m / z));
}

void HyperLogLog::encode(std::string& out) const {
  compact();
  if (dense_) {
    encode_registers(registers_.data(), out);
  } else {
    encode_entries(sparse_, out);
  }
}

bool HyperLogLog::merge_encoded(std::string_view encoded) {
  if (encoded.empty()) return false;
  const char tag = encoded.front();
  encoded.remove_prefix(1);
  if (tag == 'D') {
    if (encoded.size() != kRegisters) return false;
    if (!dense_) make_dense();
    for (std::uint32_t i = 0; i < kRegisters; ++i) {
      const auto r = static_cast<std::uint8_t>(encoded[i]);
      if (r > kMaxRank) return false;
      registers_[i] = std::max(registers_[i], r);
    }
    return true;
  }
  if (tag != 'S') return false;
  std::uint64_t n = 0;
  if (!read_varint(encoded, n) || n > kRegisters) return false;
  std::uint64_t value = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t delta = 0;
    if (!read_varint(encoded, delta)) return false;
    value += delta;
    if (value >= (std::uint64_t{kRegisters} << kRankBits) || (value & kRankMask) > kMaxRank)
      return false;
    const auto e = static_cast<std::uint32_t>(value);
    if (dense_) {
      auto& r = registers_[entry_register(e)];
      r = std::max<std::uint8_t>(r, static_cast<std::uint8_t>(entry_rank(e)));
    } else {
      pending_.push_back(e);
    }
  }
  if (!encoded.empty()) return false;
  compact();
  return true;
}

}  // namespace cctv::core
