// Whether a store takes writes now, and why not. Recording checks it before
// queuing, so that a store that cannot write (its disk is near full, or
// RocksDB stopped writing after an error) refuses new activities at once
// instead of accepting them into a queue that cannot drain. Reads are not
// affected.
//
// Thread-safe; open() is one atomic load, cheap enough for every record.
#ifndef CCTV_STORE_WRITE_GATE_H_
#define CCTV_STORE_WRITE_GATE_H_

#include <atomic>
#include <mutex>
#include <string>

namespace cctv::store {

class WriteGate {
 public:
  bool open() const noexcept { return open_.load(std::memory_order_acquire); }

  // Throws why the gate is shut: StoreFull when the disk is near full,
  // StoreError otherwise. REQUIRES: !open() was seen (if it opened since,
  // this returns).
  void refuse() const;

  // Shuts the gate, or changes why it is shut. `full`: for lack of disk
  // space (writes resume by themselves once space returns).
  void shut(std::string why, bool full);
  void reopen();

  // Why it is shut ("" when open), and whether for lack of space.
  std::string why() const;
  bool full() const;

 private:
  std::atomic<bool> open_{true};
  mutable std::mutex mu_;
  std::string why_;  // guarded by mu_
  bool full_ = false;
};

}  // namespace cctv::store

#endif  // CCTV_STORE_WRITE_GATE_H_
