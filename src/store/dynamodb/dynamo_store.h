// The DynamoDB store: cctv tables as DynamoDB tables (layout in
// item_codec.h and docs/dynamodb.md), written with BatchWriteItem and read
// with Query, over our own signed JSON client.
#ifndef CCTV_STORE_DYNAMODB_DYNAMO_STORE_H_
#define CCTV_STORE_DYNAMODB_DYNAMO_STORE_H_

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cctv/dynamo_options.h"
#include "store/dynamodb/dynamo_client.h"
#include "store/store.h"

namespace cctv::store::dynamodb {

class DynamoStore final : public Store {
 public:
  // Resolves settings (throws InvalidArgument listing where it looked when
  // region or credentials are missing). Makes no request yet.
  static std::unique_ptr<DynamoStore> open(const DynamoOptions& options, std::string location,
                                           bool read_only, const Environment& env);

  const std::string& location() const override { return location_; }
  std::vector<std::string> list_tables() override;
  std::optional<TableHandle> find_table(std::string_view name) override;
  std::string missing_table(std::string_view name) const override;
  TableHandle create_table(std::string_view name, const TableOptions& options) override;
  TableInfo describe_table(std::string_view name) override;
  void drop_table(std::string_view name) override;
  void write(const core::RecordBatch& batch) override;
  void sync() override {}  // a write DynamoDB acknowledged is durable
  QueryResult query(const Query& q) override;
  void scan(TableHandle table, std::int64_t from_us, std::int64_t to_us,
            const std::function<void(const Activity&)>& visit) override;
  // Not yet kept on DynamoDB: these throw StoreError saying so.
  std::vector<std::int64_t> counts(TableHandle table, std::string_view target, Bucket bucket, std::int64_t first,
                                   std::size_t n) override;
  std::vector<core::HyperLogLog> sketches(TableHandle table, std::string_view target, Bucket bucket,
                                          std::int64_t first, std::size_t n) override;
  std::vector<TargetCount> top_targets(TableHandle table, std::int64_t from_minute, std::int64_t to_minute,
                                       std::size_t limit) override;
  void rebuild_counts(TableHandle table, std::int64_t from_us, std::int64_t to_us) override;
  // Retention is not kept on DynamoDB yet: these throw InvalidArgument.
  void alter_table(std::string_view name, const TableOptions& options) override;
  void apply_retention(std::string_view name) override;

 private:
  struct Table {
    std::string name;         // cctv's name
    std::string remote_name;  // DynamoDB's: prefix + name
    bool live = false;
    bool has_actor_index = false;
  };

  DynamoStore(const DynamoOptions& options, AwsConfig config, std::string location, bool read_only);

  // DescribeTable; nullopt when the table does not exist. Checks the key
  // schema and waits while the table is being created.
  std::optional<rapidjson::Document> describe_remote(const std::string& remote_name);
  TableHandle intern(std::string_view name);
  Table table(TableHandle handle);
  void create_remote(const std::string& remote_name);
  void wait_until_active(const std::string& remote_name);
  void check_writable(const char* what) const;
  [[noreturn]] void not_found(std::string_view name) const;
  void mark_live(std::string_view name, bool has_actor_index);
  // client_.call() for an operation on table `name`: a missing table is
  // NotFound with the store's message.
  std::string call_on_table(std::string_view operation, const std::string& body, std::string_view name);

  const DynamoOptions options_;
  const std::string location_;
  const bool read_only_;
  DynamoClient client_;

  std::mutex mu_;  // guards tables_ and handles_
  std::vector<Table> tables_;
  std::map<std::string, TableHandle, std::less<>> handles_;
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_DYNAMO_STORE_H_
