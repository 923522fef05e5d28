// What RocksDB reports from its background threads that decides whether
// the embedded store takes writes: an error that stopped writes (a flush
// that met a full disk, a log write that failed), and its end. RocksDB's
// own recovery is turned off: the store resumes RocksDB itself once its
// disk has room above the free-space floor (RocksStore::watch_disk()), so
// that one rule, the floor, says when writes come back.
//
// Thread-safe.
#ifndef CCTV_STORE_EMBEDDED_STORE_EVENTS_H_
#define CCTV_STORE_EMBEDDED_STORE_EVENTS_H_

#include <rocksdb/listener.h>

#include <cstdint>
#include <mutex>
#include <optional>

namespace cctv::store::embedded {

class StoreEvents final : public rocksdb::EventListener {
 public:
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override;
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason reason, rocksdb::Status error,
                            bool* auto_recovery) override;
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override;

  // The error that stopped writes, while it lasts, and which one it is.
  struct Stop {
    rocksdb::Status error;
    std::uint64_t generation;
  };
  std::optional<Stop> stopped() const;
  // Writes were resumed (DB::Resume() succeeded) after `stop`; an error
  // that came after it stays.
  void resumed(const Stop& stop);

 private:
  mutable std::mutex mu_;
  std::optional<rocksdb::Status> stopped_;
  std::uint64_t generation_ = 0;  // errors seen
};

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_STORE_EVENTS_H_
