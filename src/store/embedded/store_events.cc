#include "store/embedded/store_events.h"

namespace cctv::store::embedded {

void StoreEvents::OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/,
                                    rocksdb::Status* error) {
  // Soft errors leave writes going; hard ones (and worse) stop them.
  if (error == nullptr || error->ok() || error->severity() < rocksdb::Status::Severity::kHardError)
    return;
  std::lock_guard lock(mu_);
  stopped_ = *error;
  ++generation_;
}

void StoreEvents::OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                                       rocksdb::Status /*error*/, bool* auto_recovery) {
  if (auto_recovery != nullptr) *auto_recovery = false;
}

void StoreEvents::OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) {
  if (!info.new_bg_error.ok()) return;
  std::lock_guard lock(mu_);
  stopped_.reset();
}

std::optional<StoreEvents::Stop> StoreEvents::stopped() const {
  std::lock_guard lock(mu_);
  if (!stopped_) return std::nullopt;
  return Stop{*stopped_, generation_};
}

void StoreEvents::resumed(const Stop& stop) {
  std::lock_guard lock(mu_);
  if (generation_ == stop.generation) stopped_.reset();
}

}  // namespace cctv::store::embedded
