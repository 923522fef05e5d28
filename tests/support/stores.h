// The stores a parameterised suite runs on ("Stores/..."): "rocksdb" (a
// real RocksDB in a temporary directory), "dynamodb" (a real dynalite,
// counts by the minute), "dynamodb_per_target" (the same with the earlier
// counts layout, counts_layout=per_target) and "cctv" (a
// `cctv serve` on an embedded store of its own, reached as
// http://127.0.0.1:PORT).
#ifndef CCTV_TESTS_SUPPORT_STORES_H_
#define CCTV_TESTS_SUPPORT_STORES_H_

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cctv::testing {

inline const auto kEveryStore =
    ::testing::Values("rocksdb", "dynamodb", "dynamodb_per_target", "cctv");

inline std::string store_name(const ::testing::TestParamInfo<std::string>& p) { return p.param; }

class StoreUnderTest {
 public:
  explicit StoreUnderTest(std::string kind) : kind_(std::move(kind)) {}

  bool dynamo() const { return kind_.starts_with("dynamodb"); }
  bool per_target_counts() const { return kind_ == "dynamodb_per_target"; }
  bool server() const { return kind_ == "cctv"; }

  // The store's URI, with `parameter` ("counts=off") on the store that
  // holds the data. A server is started on first use, and again when the
  // parameter changes (its data stays: the same directory).
  std::string uri(const std::string& parameter = "") {
    if (dynamo()) {
      if (!dynalite_) dynalite_.emplace();
      return dynalite_->store(prefix_) + (per_target_counts() ? "&counts_layout=per_target" : "") +
             (parameter.empty() ? "" : "&" + parameter);
    }
    const std::string embedded = dir_.store() + (parameter.empty() ? "" : "?" + parameter);
    if (!server()) return embedded;
    if (!server_ || serving_ != embedded) {
      server_.reset();  // stops it (SIGTERM), writing what it accepted
      server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
          CCTV_BINARY, "--store", embedded, "serve", "--listen", "127.0.0.1:0"});
      serving_ = embedded;
    }
    return server_->url();
  }

  // Table names on dynalite start with this, so tests stay apart.
  void set_table_prefix(std::string prefix) { prefix_ = std::move(prefix); }

 private:
  const std::string kind_;
  TempDir dir_;
  std::optional<Dynalite> dynalite_;
  std::unique_ptr<ServerProcess> server_;
  std::string serving_;
  std::string prefix_ = "t-";
};

}  // namespace cctv::testing

#endif  // CCTV_TESTS_SUPPORT_STORES_H_
