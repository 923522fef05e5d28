// Options for a Client on Amazon DynamoDB or a DynamoDB-compatible engine
// (ScyllaDB Alternator, DynamoDB Local, dynalite). Plain struct; an empty
// string means "find it the usual AWS way", as each field says.
#ifndef CCTV_DYNAMO_OPTIONS_H_
#define CCTV_DYNAMO_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "cctv/export.h"

namespace cctv {

enum class Billing {
  kOnDemand,     // PAY_PER_REQUEST: no capacity to plan (the default)
  kProvisioned,  // fixed read_capacity / write_capacity units
};

struct CCTV_EXPORT DynamoOptions {
  // AWS region, e.g. "eu-west-1". Empty: AWS_REGION, AWS_DEFAULT_REGION,
  // then the profile's region in ~/.aws/config (AWS_CONFIG_FILE).
  std::string region;

  // Endpoint URL, e.g. "http://127.0.0.1:8000" for a local engine. Empty:
  // AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, then
  // https://dynamodb.<region>.amazonaws.com.
  std::string endpoint;

  // Credentials. Empty: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
  // AWS_SESSION_TOKEN, then the profile in the shared credentials file
  // (~/.aws/credentials, AWS_SHARED_CREDENTIALS_FILE), then the profile in
  // ~/.aws/config. A loopback endpoint needs none: local engines accept any.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;

  // Profile in the shared files. Empty: AWS_PROFILE, then "default".
  std::string profile;

  // Prepended to every table name: table "logins" with prefix "myapp-" is
  // the DynamoDB table "myapp-logins". Lets several applications share an
  // account.
  std::string table_prefix;

  // Requests in flight at once when writing.
  int concurrency = 16;

  // How long one request may take before it is abandoned and sent again
  // (each request is retried up to 10 times, with a growing pause): a
  // stalled connection costs this, not the whole write.
  std::chrono::milliseconds request_timeout{10'000};

  // How tables cctv creates are billed.
  Billing billing = Billing::kOnDemand;
  std::int64_t read_capacity = 5;   // with Billing::kProvisioned
  std::int64_t write_capacity = 5;  // with Billing::kProvisioned

  // How counts are laid out on DynamoDB. kMinutes, the default, costs a
  // fraction of a write unit per activity (docs/dynamodb.md, "Counts by
  // the minute"); kPerTarget is the earlier layout, an update per target
  // and bucket of each round. A table's layout is the table's own (a
  // marker: the hour from which it is kept by the minute), which every
  // store follows; this says which layout a store gives tables without a
  // marker: kMinutes marks them (tables counted per target move at the
  // hour after next), kPerTarget leaves them.
  enum class CountsLayout { kPerTarget, kMinutes };
  CountsLayout counts_layout = CountsLayout::kMinutes;

  // In the minutes layout, how long a process may go without renewing its
  // heartbeat in a counts table before another process takes it for dead
  // (killed, or paused this long) and recounts from the stored activities
  // what it had not counted yet. Shorter repairs sooner; it must stay well
  // above any pause of a live process, and DynamoDB's five minutes during
  // which a signed request is still taken.
  std::chrono::seconds writer_timeout{360};

  // Keep counts (cctv/counts.h) in each table's companion table
  // `<table>.counts`. Off: recording skips them, count queries fail, and
  // `Tracker::rebuild_counts` recounts later what was written meanwhile.
  bool counts = true;
};

}  // namespace cctv

#endif  // CCTV_DYNAMO_OPTIONS_H_
