#include "store/dynamodb/dynamo_uri.h"

#include "store/uri.h"

namespace cctv::store::dynamodb {

namespace {

constexpr std::string_view kScheme = "dynamodb://";
constexpr const char* kKnown =
    "endpoint, profile, table_prefix, concurrency, timeout_ms, billing, rcu, wcu, counts, "
    "counts_layout, writer_timeout";

}  // namespace

DynamoOptions parse_dynamo_uri(std::string_view uri) {
  if (!uri.starts_with(kScheme)) bad_store_uri(uri, "must start with dynamodb://");
  const StoreUri parts = split_store_uri(uri);
  DynamoOptions options;
  options.region = std::string(parts.location);
  if (!options.region.empty() && options.region.back() == '/') options.region.pop_back();
  if (options.region.find('/') != std::string::npos) {
    bad_store_uri(
        uri, "the part after dynamodb:// is a region such as eu-west-1 (or 'local'), not a path");
  }
  for (const auto& [name, value] : parts.parameters) {
    if (name == "endpoint") {
      options.endpoint = value;
    } else if (name == "profile") {
      options.profile = value;
    } else if (name == "table_prefix") {
      options.table_prefix = value;
    } else if (name == "concurrency") {
      options.concurrency = static_cast<int>(whole_number(uri, name, value, 1, 256));
    } else if (name == "timeout_ms") {
      options.request_timeout =
          std::chrono::milliseconds(whole_number(uri, name, value, 100, 600'000));
    } else if (name == "billing") {
      if (value == "on_demand") {
        options.billing = Billing::kOnDemand;
      } else if (value == "provisioned") {
        options.billing = Billing::kProvisioned;
      } else {
        bad_store_uri(uri, "billing='" + value + "' must be on_demand or provisioned");
      }
    } else if (name == "counts") {
      if (value != "on" && value != "off")
        bad_store_uri(uri, "counts='" + value + "' must be on or off");
      options.counts = value == "on";
    } else if (name == "counts_layout") {
      if (value != "per_target" && value != "minutes")
        bad_store_uri(uri, "counts_layout='" + value + "' must be per_target or minutes");
      options.counts_layout = value == "minutes" ? DynamoOptions::CountsLayout::kMinutes
                                                 : DynamoOptions::CountsLayout::kPerTarget;
    } else if (name == "writer_timeout") {
      options.writer_timeout = std::chrono::seconds(whole_number(uri, name, value, 2, 86'400));
    } else if (name == "rcu") {
      options.read_capacity = whole_number(uri, name, value, 1, 1'000'000'000);
    } else if (name == "wcu") {
      options.write_capacity = whole_number(uri, name, value, 1, 1'000'000'000);
    } else if (name == "access_key_id" || name == "secret_access_key" || name == "session_token") {
      bad_store_uri(
          uri,
          "credentials do not belong in a URI (it ends up in logs and shell history); use "
          "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile");
    } else {
      bad_store_uri(uri, "unknown parameter '" + name + "'; the parameters are " + kKnown);
    }
  }
  return options;
}

std::string describe_dynamo(const DynamoOptions& options) {
  std::string out =
      std::string(kScheme) + (options.region.empty() ? "default-region" : options.region);
  char sep = '?';
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    out += sep;
    out += name;
    out += '=';
    out += value;
    sep = '&';
  };
  add("endpoint", options.endpoint);
  add("profile", options.profile);
  add("table_prefix", options.table_prefix);
  if (!options.counts) add("counts", "off");
  if (options.counts_layout == DynamoOptions::CountsLayout::kPerTarget)
    add("counts_layout", "per_target");
  if (options.writer_timeout != DynamoOptions{}.writer_timeout)
    add("writer_timeout", std::to_string(options.writer_timeout.count()));
  return out;
}

}  // namespace cctv::store::dynamodb
