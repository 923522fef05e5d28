#include "core/record_batch.h"

#include "core/hyperloglog.h"

namespace cctv::core {

void RecordBatch::append(std::uint32_t table, std::int64_t time_us, std::uint64_t id,
                         std::string_view actor, std::string_view target,
                         std::string_view attributes, bool supplied_id) {
  entries_.push_back(Entry{
      time_us, id, data_.size(), table, static_cast<std::uint32_t>(actor.size()),
      static_cast<std::uint32_t>(target.size()), static_cast<std::uint32_t>(attributes.size()),
      HyperLogLog::entry(actor_hash(actor)), supplied_id});
  has_supplied_ids_ = has_supplied_ids_ || supplied_id;
  data_.append(actor);
  data_.append(target);
  data_.append(attributes);
}

void RecordBatch::append(const RecordView& r) {
  entries_.push_back(
      Entry{r.time_us, r.id, data_.size(), r.table, static_cast<std::uint32_t>(r.actor.size()),
            static_cast<std::uint32_t>(r.target.size()),
            static_cast<std::uint32_t>(r.attributes.size()), r.actor_entry, r.supplied_id});
  has_supplied_ids_ = has_supplied_ids_ || r.supplied_id;
  data_.append(r.actor);
  data_.append(r.target);
  data_.append(r.attributes);
}

void RecordBatch::clear() noexcept {
  data_.clear();
  entries_.clear();
  has_supplied_ids_ = false;
}

}  // namespace cctv::core
