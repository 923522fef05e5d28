#include "store/write_gate.h"

#include "cctv/error.h"

namespace cctv::store {

void WriteGate::refuse() const {
  std::lock_guard lock(mu_);
  if (open_.load(std::memory_order_relaxed)) return;
  if (full_) throw StoreFull(why_);
  throw StoreError(why_);
}

void WriteGate::shut(std::string why, bool full) {
  std::lock_guard lock(mu_);
  why_ = std::move(why);
  full_ = full;
  open_.store(false, std::memory_order_release);
}

void WriteGate::reopen() {
  std::lock_guard lock(mu_);
  why_.clear();
  full_ = false;
  open_.store(true, std::memory_order_release);
}

std::string WriteGate::why() const {
  std::lock_guard lock(mu_);
  return why_;
}

bool WriteGate::full() const {
  std::lock_guard lock(mu_);
  return full_;
}

}  // namespace cctv::store
