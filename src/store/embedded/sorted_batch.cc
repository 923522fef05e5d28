#include "store/embedded/sorted_batch.h"

#include <algorithm>
#include <cstring>

#include "core/coding.h"
#include "store/embedded/key_layout.h"

namespace cctv::store::embedded {

namespace {

// The first eight bytes of `key` as a big-endian number (zero-padded), so
// that comparing prefixes as numbers orders them as memcmp would.
std::uint64_t key_prefix(const char* key, std::size_t len) {
  unsigned char buf[8] = {};
  std::memcpy(buf, key, std::min<std::size_t>(len, 8));
  std::uint64_t v = 0;
  for (unsigned char b : buf) v = (v << 8) | b;
  return v;
}

}  // namespace

void SortedBatchBuilder::build(const core::RecordBatch& batch,
                               const std::function<Families(std::uint32_t table)>& families,
                               rocksdb::WriteBatch& out) {
  arena_.clear();
  entries_.clear();
  arena_.reserve(batch.bytes() * 2 + batch.size() * 64);
  entries_.reserve(batch.size() * 2);

  std::uint32_t last_table = UINT32_MAX;
  Families f{};
  auto add = [this](rocksdb::ColumnFamilyHandle* family, std::string_view key, std::int64_t time_us,
                    std::uint64_t id, std::string_view other, std::string_view attributes) {
    Entry e;
    e.family = family->GetID();
    if (e.family >= by_id_.size()) by_id_.resize(e.family + 1, nullptr);
    by_id_[e.family] = family;
    e.key_off = arena_.size();
    append_index_key(arena_, key, time_us, id);
    e.key_len = static_cast<std::uint32_t>(arena_.size() - e.key_off);
    e.value_off = arena_.size();
    append_stored_value(arena_, other, attributes);
    e.value_len = static_cast<std::uint32_t>(arena_.size() - e.value_off);
    e.prefix = 0;  // filled in once the arena stops moving
    entries_.push_back(e);
  };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const core::RecordView r = batch[i];
    if (r.table != last_table) {
      f = families(r.table);
      last_table = r.table;
    }
    add(f.by_target, r.target, r.time_us, r.id, r.actor, r.attributes);
    add(f.by_actor, r.actor, r.time_us, r.id, r.target, r.attributes);
  }
  const char* base = arena_.data();
  for (Entry& e : entries_) e.prefix = key_prefix(base + e.key_off, e.key_len);
  std::sort(entries_.begin(), entries_.end(), [base](const Entry& a, const Entry& b) {
    if (a.family != b.family) return a.family < b.family;
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    const int c = std::memcmp(base + a.key_off, base + b.key_off, std::min(a.key_len, b.key_len));
    return c != 0 ? c < 0 : a.key_len < b.key_len;
  });

  out.Clear();
  for (const Entry& e : entries_) {
    out.Put(by_id_[e.family], rocksdb::Slice(base + e.key_off, e.key_len),
            rocksdb::Slice(base + e.value_off, e.value_len));
  }
}

}  // namespace cctv::store::embedded
