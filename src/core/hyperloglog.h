// A HyperLogLog sketch: the number of distinct actors in a bucket, from
// 2^14 six-bit registers, within about 0.8% (one standard error) at any
// cardinality. Sketches of several buckets union into the sketch of their
// span -- a week from seven days -- without the actors themselves.
//
// Small sketches are sparse (a sorted list of the registers that are set),
// so a bucket with a handful of actors costs a few bytes; past a quarter of
// the dense size a sketch turns dense (16 KiB). The estimate is Ertl's
// improved estimator ("New cardinality estimation algorithms for
// HyperLogLog sketches", 2017), which needs no bias tables and is exact in
// expectation for small cardinalities too.
//
// Not thread-safe.
#ifndef CCTV_CORE_HYPERLOGLOG_H_
#define CCTV_CORE_HYPERLOGLOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::core {

// A 64-bit hash of an actor, well mixed in every bit (the sketch reads the
// top 14 bits as the register and the rest for the rank).
std::uint64_t actor_hash(std::string_view actor) noexcept;

class HyperLogLog {
 public:
  static constexpr int kPrecision = 14;
  static constexpr std::uint32_t kRegisters = 1u << kPrecision;

  // The register a hash sets and the rank it sets it to, as one number:
  // register << kRankBits | rank. Sorting entries sorts by register, then
  // rank.
  static std::uint32_t entry(std::uint64_t hash) noexcept;
  static constexpr int kRankBits = 6;
  static constexpr std::uint32_t entry_register(std::uint32_t e) noexcept { return e >> kRankBits; }
  static constexpr std::uint32_t entry_rank(std::uint32_t e) noexcept {
    return e & ((1u << kRankBits) - 1);
  }
  // Sorts `entries` and keeps one per register, the highest rank: a
  // sketch's content, as encode_entries() takes it.
  static void normalize_entries(std::vector<std::uint32_t>& entries);
  // Encodes the sketch of `entries`, sorted ascending (encode()'s form),
  // without building one: for callers that gather entries in bulk.
  static void encode_entries(const std::vector<std::uint32_t>& sorted_entries, std::string& out);
  // Encodes a dense sketch from its kRegisters registers.
  static void encode_registers(const std::uint8_t* registers, std::string& out);

  void add_hash(std::uint64_t hash) { add_entry(entry(hash)); }
  void add_entry(std::uint32_t entry);
  void add(std::string_view actor) { add_hash(actor_hash(actor)); }
  // Makes this the sketch of the union.
  void merge(const HyperLogLog& other);

  // The estimated number of distinct actors added.
  std::int64_t estimate() const;
  bool empty() const noexcept { return !dense_ && sparse_.empty() && pending_.empty(); }

  // Appends the serialized form. Sparse: 'S' varint(n) then n
  // delta-varint entries (register << 6 | rank, ascending); dense: 'D'
  // then 16,384 register bytes.
  void encode(std::string& out) const;
  // Merges a serialized sketch into this one. Returns false when `encoded`
  // is malformed (this sketch may then hold part of it).
  bool merge_encoded(std::string_view encoded);

 private:
  // Folds pending_ into sparse_, turning dense when sparse_ grows large.
  void compact() const;
  void make_dense() const;

  // Entries are register << 6 | rank. pending_ is unsorted, appended to on
  // add; compact() merges it into sparse_ (sorted, one entry per register,
  // the highest rank).
  mutable std::vector<std::uint32_t> pending_;
  mutable std::vector<std::uint32_t> sparse_;
  mutable std::vector<std::uint8_t> registers_;  // dense form, when dense_
  mutable bool dense_ = false;
};

}  // namespace cctv::core

#endif  // CCTV_CORE_HYPERLOGLOG_H_
