#include "store/embedded/sorted_batch.h"

#include <algorithm>
#include <cstring>

#include "core/bucket.h"
#include "core/coding.h"
#include "core/count_aggregator.h"
#include "store/embedded/key_layout.h"

namespace cctv::store::embedded {

namespace {

constexpr std::uint32_t kActorBit = 0x8000'0000U;

// The indexed string of an entry: the target, or for the actor index the actor.
std::string_view indexed(const core::RecordView& r, bool actor) {
  return actor ? r.actor : r.target;
}

// Writes varint(len) and returns its size. The key starts with these bytes.
std::size_t varint_bytes(std::size_t len, unsigned char* out) {
  std::size_t n = 0;
  while (len >= 0x80) {
    out[n++] = static_cast<unsigned char>(len | 0x80);
    len >>= 7;
  }
  out[n++] = static_cast<unsigned char>(len);
  return n;
}

// The first eight bytes of the encoded key, as a number that orders as the
// bytes do.
std::uint64_t key_prefix(std::string_view s) {
  unsigned char buf[16] = {};
  const std::size_t n = varint_bytes(s.size(), buf);
  std::memcpy(buf + n, s.data(), std::min<std::size_t>(s.size(), 8));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | buf[i];
  return v;
}

// Compares two encoded keys without building them: varint(len) s, then the
// inverted time, then the inverted id.
bool key_less(std::string_view a, std::int64_t a_time, std::uint64_t a_id, std::string_view b,
              std::int64_t b_time, std::uint64_t b_id) {
  if (a.size() != b.size()) {
    unsigned char va[10], vb[10];
    const std::size_t na = varint_bytes(a.size(), va), nb = varint_bytes(b.size(), vb);
    const int c = std::memcmp(va, vb, std::min(na, nb));
    if (c != 0) return c < 0;
    // One length's varint is a prefix of the other's: cannot happen for
    // different lengths (the last byte of a varint has its top bit clear,
    // every other byte has it set).
    return na < nb;
  }
  if (const int c = std::memcmp(a.data(), b.data(), a.size()); c != 0) return c < 0;
  const auto at = ~static_cast<std::uint64_t>(a_time), bt = ~static_cast<std::uint64_t>(b_time);
  if (at != bt) return at < bt;
  return ~a_id < ~b_id;
}

}  // namespace

void SortedBatchBuilder::build(const core::RecordBatch& batch,
                               const std::function<Families(std::uint32_t table)>& families,
                               bool count, rocksdb::WriteBatch& out) {
  entries_.clear();
  entries_.reserve(batch.size() * 2);
  std::uint32_t last_table = UINT32_MAX;
  Families f{};
  auto remember = [this](rocksdb::ColumnFamilyHandle* family) {
    const std::uint32_t id = family->GetID();
    if (id >= by_id_.size()) by_id_.resize(id + 1, nullptr);
    by_id_[id] = family;
    return id;
  };
  std::uint32_t target_id = 0, actor_id = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const core::RecordView r = batch[i];
    if (r.table != last_table) {
      f = families(r.table);
      target_id = remember(f.by_target);
      actor_id = remember(f.by_actor);
      last_table = r.table;
    }
    const auto index = static_cast<std::uint32_t>(i);
    entries_.push_back(Entry{key_prefix(r.target), target_id, index});
    entries_.push_back(Entry{key_prefix(r.actor), actor_id, index | kActorBit});
  }
  std::sort(entries_.begin(), entries_.end(), [&batch](const Entry& a, const Entry& b) {
    if (a.family != b.family) return a.family < b.family;
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    const core::RecordView ra = batch[a.record & ~kActorBit], rb = batch[b.record & ~kActorBit];
    return key_less(indexed(ra, (a.record & kActorBit) != 0), ra.time_us, ra.id,
                    indexed(rb, (b.record & kActorBit) != 0), rb.time_us, rb.id);
  });

  out.Clear();
  count_hits_.clear();
  std::uint64_t target_hash = 0;
  for (const Entry& e : entries_) {
    const bool actor = (e.record & kActorBit) != 0;
    const core::RecordView r = batch[e.record & ~kActorBit];
    if (count && !actor) {
      // Hits come grouped by target: its hash is taken once per run.
      if (count_hits_.empty() || count_hits_.back().target != r.target) {
        target_hash = core::CountAggregator::target_hash(r.target);
      }
      count_hits_.push_back(CountHit{r.target, target_hash, r.table, e.record,
                                     static_cast<std::uint32_t>(core::minute_of(r.time_us)),
                                     r.actor_entry});
    }
    key_.clear();
    value_.clear();
    append_index_key(key_, indexed(r, actor), r.time_us, r.id);
    append_stored_value(value_, actor ? r.target : r.actor, r.attributes);
    out.Put(by_id_[e.family], key_, value_);
  }
}

}  // namespace cctv::store::embedded
