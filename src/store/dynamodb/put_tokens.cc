#include "store/dynamodb/put_tokens.h"

#include <random>

namespace cctv::store::dynamodb {

namespace {

std::string random_prefix() {
  std::random_device device;
  const std::uint64_t id = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(id >> shift) & 0xF]);
  return out;
}

}  // namespace

PutTokens::PutTokens() : prefix_(random_prefix()) {}

std::string PutTokens::token_for(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (auto it = unsettled_.find(key); it != unsettled_.end()) {
      std::string token = std::move(it->second);
      unsettled_.erase(it);
      return token;
    }
  }
  return prefix_ + "." + std::to_string(next_.fetch_add(1, std::memory_order_relaxed));
}

void PutTokens::keep(const std::string& key, const std::string& token) {
  std::lock_guard lock(mu_);
  unsettled_.insert_or_assign(key, token);
}

std::size_t PutTokens::unsettled() const {
  std::lock_guard lock(mu_);
  return unsettled_.size();
}

std::string put_key_prefix(std::uint32_t table) { return std::to_string(table) + ':'; }

std::string put_key(const core::RecordView& record) {
  std::string key = put_key_prefix(record.table) + std::to_string(record.time_us) + ':' +
                    std::to_string(record.id) + ':';
  key.append(record.target);
  return key;
}

}  // namespace cctv::store::dynamodb
