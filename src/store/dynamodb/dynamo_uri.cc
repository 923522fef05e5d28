#include "store/dynamodb/dynamo_uri.h"

#include <charconv>

#include "cctv/error.h"

namespace cctv::store::dynamodb {

namespace {

constexpr std::string_view kScheme = "dynamodb://";
constexpr const char* kKnown =
    "endpoint, profile, table_prefix, concurrency, billing, rcu, wcu";

[[noreturn]] void bad(std::string_view uri, const std::string& why) {
  throw InvalidArgument("store URI", "'" + std::string(uri) + "': " + why);
}

std::string percent_decode(std::string_view uri, std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int v = 0;
    if (i + 2 >= s.size() + 0 || std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr != s.data() + i + 3) {
      bad(uri, "bad percent-encoding in '" + std::string(s) + "'");
    }
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

std::int64_t number(std::string_view uri, const std::string& name, const std::string& value) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 1) {
    bad(uri, name + "='" + value + "' must be a whole number of at least 1");
  }
  return n;
}

}  // namespace

DynamoOptions parse_dynamo_uri(std::string_view uri) {
  if (!uri.starts_with(kScheme)) bad(uri, "must start with dynamodb://");
  std::string_view rest = uri.substr(kScheme.size());
  const auto question = rest.find('?');
  DynamoOptions options;
  options.region = std::string(rest.substr(0, question));
  if (!options.region.empty() && options.region.back() == '/') options.region.pop_back();
  if (options.region.find('/') != std::string::npos) {
    bad(uri, "the part after dynamodb:// is a region such as eu-west-1 (or 'local'), not a path");
  }
  if (question == std::string_view::npos) return options;
  std::string_view query = rest.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) bad(uri, "parameter '" + std::string(pair) + "' has no value");
    const std::string name(pair.substr(0, eq));
    const std::string value = percent_decode(uri, pair.substr(eq + 1));
    if (name == "endpoint") {
      options.endpoint = value;
    } else if (name == "profile") {
      options.profile = value;
    } else if (name == "table_prefix") {
      options.table_prefix = value;
    } else if (name == "concurrency") {
      options.concurrency = static_cast<int>(std::min<std::int64_t>(number(uri, name, value), 1 << 20));
    } else if (name == "billing") {
      if (value == "on_demand") {
        options.billing = Billing::kOnDemand;
      } else if (value == "provisioned") {
        options.billing = Billing::kProvisioned;
      } else {
        bad(uri, "billing='" + value + "' must be on_demand or provisioned");
      }
    } else if (name == "rcu") {
      options.read_capacity = number(uri, name, value);
    } else if (name == "wcu") {
      options.write_capacity = number(uri, name, value);
    } else if (name == "access_key_id" || name == "secret_access_key" || name == "session_token") {
      bad(uri, "credentials do not belong in a URI (it ends up in logs and shell history); use "
               "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile");
    } else {
      bad(uri, "unknown parameter '" + name + "'; the parameters are " + kKnown);
    }
  }
  return options;
}

std::string describe_dynamo(const DynamoOptions& options) {
  std::string out = std::string(kScheme) + (options.region.empty() ? "default-region" : options.region);
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
  return out;
}

}  // namespace cctv::store::dynamodb
