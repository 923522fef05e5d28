// A cctv server as a store: `http://HOST:PORT` is a `cctv serve`, reached
// through its HTTP API (docs/http-api.md). The library's pipeline batches
// activities into NDJSON POSTs, each carrying its id and time so that a
// retry stores it once; views, counts, top targets and tables are the
// API's routes. Many processes (application workers, the `cctv` command
// beside a running server, other languages' bindings) can so share one
// embedded store.
//
// What the server answers is what this store answers: a 202 means the
// server's store holds the activities (its write-ahead log, or DynamoDB);
// counts include everything acknowledged before them when the server's
// store is embedded. Power-loss durability is the server's `--sync`: a
// flush() here returns once the server acknowledged, not once it synced.
//
// The API key (scope read,write; admin for table changes and counts
// rebuilds) comes from RemoteOptions, or the environment's CCTV_API_KEY.
//
// Thread-safe.
#ifndef CCTV_STORE_REMOTE_REMOTE_STORE_H_
#define CCTV_STORE_REMOTE_REMOTE_STORE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/http/http_client.h"
#include "store/store.h"

namespace cctv::store::remote {

struct RemoteOptions {
  std::string base_url;  // http://127.0.0.1:8080, without a path
  std::string api_key;   // empty: none sent
};

// Parses `http://HOST[:PORT][/]`; the API key comes from CCTV_API_KEY.
// Throws InvalidArgument("store URI") naming what is wrong.
RemoteOptions parse_remote_uri(std::string_view uri);

class RemoteStore : public Store {
 public:
  // Asks the server for its health, so that a wrong address or key fails
  // here, naming it. Throws StoreError.
  static std::unique_ptr<RemoteStore> open(const RemoteOptions& options);

  const std::string& location() const override { return options_.base_url; }

  std::vector<std::string> list_tables() override;
  std::optional<TableHandle> find_table(std::string_view name) override;
  std::string missing_table(std::string_view name) const override;
  // The server creates a table on its first write: a tracker needs no
  // admin key to write to a new table.
  std::optional<TableHandle> created_by_first_write(std::string_view name) override {
    return handle_of(name);
  }
  TableHandle create_table(std::string_view name, const TableOptions& options) override;
  TableInfo describe_table(std::string_view name) override;
  void drop_table(std::string_view name) override;
  void alter_table(std::string_view name, const TableOptions& options) override;
  void apply_retention(std::string_view name) override;

  void write(const core::RecordBatch& batch, bool sync) override;
  void sync() override {}  // see the file comment: the server's --sync
  // Requests in flight at once: each waits for the server's store.
  int writers() const override { return 4; }
  StoreHealth health() override;

  QueryResult query(const Query& q) override;
  void scan(TableHandle table, std::int64_t from_us, std::int64_t to_us,
            const std::function<void(const Activity&)>& visit) override;
  QueryResult scan_page(TableHandle table, std::int64_t from_us, std::int64_t to_us,
                        std::string_view after, std::size_t limit) override;

  // The server composes series and distinct actors from its own counts
  // and sketches (count_series(), unique_actors(), which the tracker uses
  // when a store offers them); their parts are not sent. Throw StoreError.
  std::vector<std::int64_t> counts(TableHandle table, std::string_view target, Bucket bucket,
                                   std::int64_t first, std::size_t n) override;
  std::vector<core::HyperLogLog> sketches(TableHandle table, std::string_view target,
                                          Bucket bucket, std::int64_t first,
                                          std::size_t n) override;
  std::optional<Series> count_series(TableHandle table, std::string_view target,
                                     const TimeRange& range, Bucket bucket,
                                     const CountOptions& options, bool unique_actors) override;
  std::optional<std::int64_t> unique_actors(TableHandle table, std::string_view target,
                                            const TimeRange& range) override;
  void rebuild_counts(TableHandle table, std::int64_t from_us, std::int64_t to_us) override;
  std::vector<TargetCount> top_targets(TableHandle table, std::int64_t from_minute,
                                       std::int64_t to_minute, std::size_t limit) override;

 private:
  explicit RemoteStore(RemoteOptions options);

  // A request to the API: `path_and_query` starts with "/v1/" or "/healthz".
  HttpResponse call(const std::string& method, const std::string& path_and_query,
                    std::string_view body = {}, std::string_view content_type = {});
  // Throws what an error answer means: NotFound (404), AlreadyExists (409),
  // InvalidArgument (400, naming the field the server named), StoreError
  // (anything else, or no answer), saying what was asked and what came back.
  [[noreturn]] void fail(const std::string& what, const HttpResponse& response) const;
  std::string composed_on_the_server() const;
  // Calls and returns the body of a 2xx answer; throws as fail() otherwise.
  std::string fetch(const std::string& what, const std::string& method,
                    const std::string& path_and_query, std::string_view body = {});

  // GETs a page of activities at `path`, from `cursor` when not empty.
  QueryResult page_at(std::string path, std::string_view cursor, const std::string& what);
  // A copy: another thread may add a table (and move the names) meanwhile.
  std::string name_of(TableHandle table);
  TableHandle handle_of(std::string_view name);
  // POSTs one table's records [begin, end) of `batch`; returns how many
  // the server refused for good, adding why to `why`.
  std::size_t post(const std::string& table, const core::RecordBatch& batch,
                   const std::vector<std::size_t>& records, bool sync, std::string& why);

  const RemoteOptions options_;
  HttpClient http_;
  std::mutex mu_;  // guards the handles
  std::vector<std::string> names_;
  std::map<std::string, TableHandle, std::less<>> handles_;
};

}  // namespace cctv::store::remote

#endif  // CCTV_STORE_REMOTE_REMOTE_STORE_H_
