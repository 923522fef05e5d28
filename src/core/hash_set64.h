// A set of 64-bit hashes, flat: one array, open addressing with linear
// probing, at most half full. For sets consulted once per activity
// (whether a target was declared this hour), where std::unordered_set
// costs a node allocation per key and a pointer chase per lookup.
//
// Keys are taken to be hashes already (they are mixed once more, cheaply,
// so that keys differing only in their high bits spread too).
//
// Not thread-safe.
#ifndef CCTV_CORE_HASH_SET64_H_
#define CCTV_CORE_HASH_SET64_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace cctv::core {

class HashSet64 {
 public:
  // Adds `key`; false when it was there already.
  bool insert(std::uint64_t key) {
    if (key == kFree) {
      const bool added = !has_free_key_;
      has_free_key_ = true;
      return added;
    }
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = home(key);
    while (slots_[i] != kFree) {
      if (slots_[i] == key) return false;
      i = (i + 1) & mask_;
    }
    slots_[i] = key;
    ++size_;
    return true;
  }

  bool contains(std::uint64_t key) const {
    if (key == kFree) return has_free_key_;
    if (slots_.empty()) return false;
    for (std::size_t i = home(key); slots_[i] != kFree; i = (i + 1) & mask_) {
      if (slots_[i] == key) return true;
    }
    return false;
  }

  // Removes `key`; false when it was not there. Later keys of its probe
  // run move back into the gap, so lookups need no tombstones.
  bool erase(std::uint64_t key) {
    if (key == kFree) {
      const bool had = has_free_key_;
      has_free_key_ = false;
      return had;
    }
    if (slots_.empty()) return false;
    std::size_t gap = home(key);
    while (slots_[gap] != key) {
      if (slots_[gap] == kFree) return false;
      gap = (gap + 1) & mask_;
    }
    for (std::size_t i = (gap + 1) & mask_; slots_[i] != kFree; i = (i + 1) & mask_) {
      // A key may fill the gap when its home is not in (gap, i].
      const std::size_t h = home(slots_[i]);
      if (((i - h) & mask_) >= ((i - gap) & mask_)) {
        slots_[gap] = slots_[i];
        gap = i;
      }
    }
    slots_[gap] = kFree;
    --size_;
    return true;
  }

  // A hint that `key` is looked up soon: a caller with many keys at hand
  // asks a few ahead, so that their cache misses overlap rather than come
  // one after another. Changes nothing.
  void prefetch(std::uint64_t key) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[home(key)]);
  }

  std::size_t size() const noexcept { return size_ + (has_free_key_ ? 1 : 0); }
  bool empty() const noexcept { return size() == 0; }

  // Empties the set, keeping its array for the next keys.
  void clear() noexcept {
    std::fill(slots_.begin(), slots_.end(), kFree);
    size_ = 0;
    has_free_key_ = false;
  }

 private:
  static constexpr std::uint64_t kFree = 0;

  // The product's top bits: every bit of the key reaches them.
  std::size_t home(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }

  void grow() {
    const std::size_t slots = slots_.empty() ? 16 : slots_.size() * 2;
    const std::vector<std::uint64_t> old =
        std::exchange(slots_, std::vector<std::uint64_t>(slots, kFree));
    mask_ = slots - 1;
    shift_ = 64 - std::countr_zero(slots);
    for (std::uint64_t key : old) {
      if (key == kFree) continue;
      std::size_t i = home(key);
      while (slots_[i] != kFree) i = (i + 1) & mask_;
      slots_[i] = key;
    }
  }

  std::vector<std::uint64_t> slots_;  // kFree: no key; a power of two in size
  std::size_t mask_ = 0;
  int shift_ = 63;             // 64 - log2(slots)
  std::size_t size_ = 0;       // keys in slots_
  bool has_free_key_ = false;  // whether key kFree, which no slot can hold, is in
};

}  // namespace cctv::core

#endif  // CCTV_CORE_HASH_SET64_H_
