// A map from 64-bit hashes to positions (say, in a batch), flat: one
// array of (key, position) slots, open addressing with linear probing, at
// most half full. For finding repeated keys among the activities of one
// write, where std::unordered_map costs a node allocation per activity.
//
// Sized for a known number of keys up front and refilled for each batch;
// nothing is ever erased. Keys are taken to be hashes already (mixed once
// more, cheaply, so that keys differing only in their high bits spread
// too); any 64-bit value is a key, 0 included.
//
// Not thread-safe.
#ifndef CCTV_CORE_HASH_INDEX64_H_
#define CCTV_CORE_HASH_INDEX64_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cctv::core {

class HashIndex64 {
 public:
  // Empties the map and makes room for up to `keys` keys. Keeps its array
  // when that is large enough.
  void reset(std::size_t keys) {
    const std::size_t slots = std::bit_ceil(std::max<std::size_t>(16, 2 * keys));
    slots_.assign(slots, Slot{0, kNone});
    mask_ = slots - 1;
    shift_ = 64 - std::countr_zero(slots);
    limit_ = keys;
    size_ = 0;
  }

  // The position stored under `key`; when there is none, stores
  // `position` there and returns it. At most reset()'s `keys` keys.
  std::uint32_t find_or_insert(std::uint64_t key, std::uint32_t position) {
    if (size_ == limit_) grow();  // more keys than promised: still right
    std::size_t i = home(key);
    while (slots_[i].position != kNone) {
      if (slots_[i].key == key) return slots_[i].position;
      i = (i + 1) & mask_;
    }
    slots_[i] = Slot{key, position};
    ++size_;
    return position;
  }

  // A hint that `key` is looked up soon: a caller with many keys at hand
  // asks a few ahead, so that their cache misses overlap rather than come
  // one after another. Changes nothing.
  void prefetch(std::uint64_t key) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[home(key)]);
  }

  std::size_t size() const noexcept { return size_; }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Slot {
    std::uint64_t key;
    std::uint32_t position;  // kNone: free
  };

  // The product's top bits: every bit of the key reaches them.
  std::size_t home(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }

  // A larger array, the same keys.
  void grow() {
    const std::vector<Slot> old = std::move(slots_);
    reset(2 * limit_ + 1);
    for (const Slot& s : old) {
      if (s.position != kNone) find_or_insert(s.key, s.position);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  int shift_ = 63;         // 64 - log2(slots)
  std::size_t limit_ = 0;  // keys room was made for
  std::size_t size_ = 0;
};

}  // namespace cctv::core

#endif  // CCTV_CORE_HASH_INDEX64_H_
