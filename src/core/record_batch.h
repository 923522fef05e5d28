// A RecordBatch holds validated, encoded activities on their way to a store:
// one contiguous byte buffer plus fixed-size entries, so appending an
// activity costs a memcpy and no allocation once the batch has warmed up.
//
// Not thread-safe; the ingest pipeline guards its batches.
#ifndef CCTV_CORE_RECORD_BATCH_H_
#define CCTV_CORE_RECORD_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::core {

// One activity in a batch. The views point into the batch and stay valid
// until the batch is cleared or appended to.
struct RecordView {
  std::uint32_t table;   // the store's table handle
  std::int64_t time_us;  // microseconds since the epoch
  std::uint64_t id;
  std::string_view actor;
  std::string_view target;
  std::string_view attributes;  // encode_attributes() form
  // The id came with the activity (an import, a retry by the caller) rather
  // than from this process's generator, so the activity may be stored
  // already; a fresh id cannot be.
  bool supplied_id;
  // HyperLogLog::entry(actor_hash(actor)): counting distinct actors needs
  // it, and it is cheapest taken on append, while the actor is in cache
  // (a store reads the batch later, sorted, where each actor is a miss).
  std::uint32_t actor_entry;
};

class RecordBatch {
 public:
  void append(std::uint32_t table, std::int64_t time_us, std::uint64_t id, std::string_view actor,
              std::string_view target, std::string_view attributes, bool supplied_id = false);
  // Appends a copy of a record of another batch.
  void append(const RecordView& record);

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  // Bytes of actor, target and attributes held.
  std::size_t bytes() const noexcept { return data_.size(); }
  // Some record's id was supplied (RecordView::supplied_id).
  bool has_supplied_ids() const noexcept { return has_supplied_ids_; }

  // Inline: a store reads each record several times per write, and most
  // reads want one field.
  RecordView operator[](std::size_t i) const noexcept {
    const Entry& e = entries_[i];
    const char* p = data_.data() + e.offset;
    return RecordView{e.table,
                      e.time_us,
                      e.id,
                      std::string_view(p, e.actor_len),
                      std::string_view(p + e.actor_len, e.target_len),
                      std::string_view(p + e.actor_len + e.target_len, e.attributes_len),
                      e.supplied_id,
                      e.actor_entry};
  }

  // Empties the batch, keeping its memory for reuse.
  void clear() noexcept;

 private:
  struct Entry {
    std::int64_t time_us;
    std::uint64_t id;
    std::size_t offset;
    std::uint32_t table;
    std::uint32_t actor_len;
    std::uint32_t target_len;
    std::uint32_t attributes_len;
    std::uint32_t actor_entry;
    bool supplied_id;
  };
  std::string data_;
  std::vector<Entry> entries_;
  bool has_supplied_ids_ = false;
};

}  // namespace cctv::core

#endif  // CCTV_CORE_RECORD_BATCH_H_
