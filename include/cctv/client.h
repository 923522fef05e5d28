// A Client is an open connection to one store: an embedded RocksDB data
// directory, or a table namespace in DynamoDB (or a compatible engine). It owns the ingest queue and the
// writer thread that every Tracker made from it shares.
//
// A Client is safe for concurrent use from many threads without external
// synchronization. It is move-only; destroying it closes it.
#ifndef CCTV_CLIENT_H_
#define CCTV_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/dynamo_options.h"
#include "cctv/export.h"
#include "cctv/health.h"
#include "cctv/metrics.h"
#include "cctv/options.h"
#include "cctv/table.h"
#include "cctv/tracker.h"

namespace cctv {

class CCTV_EXPORT Client {
 public:
  // Opens the store named by `uri`:
  //   rocksdb:PATH       the embedded store in directory PATH (created if
  //                      missing unless options.read_only), e.g. rocksdb:./cctv-data
  //   dynamodb://REGION  DynamoDB, e.g. dynamodb://eu-west-1, with optional
  //                      query parameters endpoint, profile, table_prefix,
  //                      concurrency, billing=on_demand|provisioned, rcu, wcu:
  //                      dynamodb://local?endpoint=http://127.0.0.1:8000
  // Throws InvalidArgument for an unknown scheme, a malformed URI, or
  // DynamoDB settings (region, credentials) that cannot be found; NotFound
  // for a read-only open of a directory that holds no store; StoreError when
  // the store cannot be opened (another process holds it for writing).
  static Client open(std::string_view uri, const ClientOptions& options = {});

  // Opens DynamoDB (or a compatible engine) with explicit settings; see
  // DynamoOptions for where empty fields are looked up.
  static Client open(const DynamoOptions& dynamo, const ClientOptions& options = {});

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Closes the client (see close()), logging instead of throwing.
  ~Client();

  // Returns a tracker for `table`, creating the table on first use unless
  // ClientOptions::create_tables is false or the client is read-only (then a
  // missing table throws NotFound). Throws InvalidArgument for a bad name.
  Tracker tracker(std::string_view table);

  // Names of all tables, sorted.
  std::vector<std::string> tables() const;

  // Creates a table. Throws AlreadyExists if it exists, InvalidArgument for a
  // bad name.
  TableInfo create_table(std::string_view name, const TableOptions& options = {});

  // Describes a table. Throws NotFound if it does not exist.
  TableInfo describe_table(std::string_view name) const;

  // Changes a table's settings (retention). Shortening a retention hides
  // the newly expired activities from views at once; the store removes them
  // as it compacts, or at once with apply_retention(). Throws NotFound,
  // InvalidArgument for a negative retention or a store that cannot keep
  // one.
  void alter_table(std::string_view name, const TableOptions& options);

  // Removes what the table's retention has expired now, instead of as the
  // store compacts: for after a retention was shortened. Can take a while
  // on a large table; recording goes on meanwhile.
  void apply_retention(std::string_view name);

  // Deletes a table and every activity in it, after writing what is queued
  // for it. Throws NotFound if it does not exist.
  void drop_table(std::string_view name);

  // Returns once every activity accepted before the call is durable (on the
  // embedded store: in RocksDB's write-ahead log, synced to disk), and the
  // on_stored of every batch whose record_batch() returned before the call
  // has returned. Throws
  // StoreFull when the embedded store's disk is full and a write is waiting
  // for room (what was recorded stays queued, and is written once there is
  // room), StoreError when the writes keep failing.
  void flush();

  // Flushes and closes the store. Afterwards every call on this client or
  // its trackers throws Error. Throws StoreError if queued activities could
  // not be written; calling close() again does nothing.
  void close();

  // What the ingest pipeline has done so far (all zero for a read-only
  // client). Cheap: a snapshot of counters.
  Metrics metrics() const;

  // Whether the store takes writes now, and its disk's free space against
  // the floor below which it refuses them. Cheap (no store call). Throws
  // Error once closed.
  StoreHealth health() const;

  // Leaves `url` -- where a server (`cctv serve`) serving this client's
  // store listens -- in the embedded store's directory, in a file only this
  // user can read, until the client closes: other processes that cannot
  // open the store while this one writes it find the server there
  // (serving_url()). Does nothing on other stores. Throws StoreError.
  void advertise(std::string_view url);

  // The URL a server holding the embedded store `uri` left with
  // advertise(), while that server still holds the store; nullopt for
  // another kind of store, a store nobody holds, or one whose holder left
  // no URL. The `cctv` command goes through that server instead of
  // failing to open the store.
  static std::optional<std::string> serving_url(std::string_view uri);

  // The URI this client was opened with.
  const std::string& uri() const noexcept;

 private:
  explicit Client(std::shared_ptr<internal::ClientState> state);
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace cctv

#endif  // CCTV_CLIENT_H_
