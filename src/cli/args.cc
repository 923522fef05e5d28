#include "cli/args.h"

#include <cctype>
#include <cstdio>
#include <optional>
#include <string>

namespace cctv::cli {

namespace {

// JSON scalars that a bare VALUE becomes instead of a string.
bool typed_scalar(const std::string& text, Value& out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())) ||
      std::isspace(static_cast<unsigned char>(text.back()))) {
    return false;
  }
  const char c = text.front();
  if (!(c == '-' || (c >= '0' && c <= '9') || text == "true" || text == "false" ||
        text == "null")) {
    return false;
  }
  try {
    Value v = value_from_json(text);
    if (v.is_number() || v.is_bool() || v.is_null()) {
      out = std::move(v);
      return true;
    }
  } catch (const InvalidArgument&) {
    // Not JSON (e.g. "01234" or "-x"): a string.
  }
  return false;
}

}  // namespace

Attributes parse_attributes(const std::vector<std::string>& words) {
  Attributes attributes;
  attributes.reserve(words.size());
  for (const std::string& word : words) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0 || (eq == 1 && word[0] == ':')) {
      throw InvalidArgument("attribute '" + word + "'", "must be KEY=VALUE or KEY:=JSON");
    }
    if (word[eq - 1] == ':') {
      std::string key = word.substr(0, eq - 1);
      Value v = value_from_json(word.substr(eq + 1), "attribute '" + key + "'");
      attributes.emplace_back(std::move(key), std::move(v));
      continue;
    }
    std::string key = word.substr(0, eq);
    std::string text = word.substr(eq + 1);
    Value v;
    if (!typed_scalar(text, v)) v = Value(std::move(text));
    attributes.emplace_back(std::move(key), std::move(v));
  }
  return attributes;
}

TimeRange parse_range(const std::string& from, const std::string& to, Timestamp reference,
                      Timestamp default_to) {
  TimeRange range;
  range.from = from.empty() ? kMinTime : parse_time(from, reference, "--from");
  range.to = to.empty() ? default_to : parse_time(to, reference, "--to");
  if (range.from >= range.to) {
    throw InvalidArgument("--from",
                          format_time(range.from) + " is not before --to " + format_time(range.to));
  }
  return range;
}

Order parse_order(const std::string& text) {
  if (text == "newest") return Order::kNewestFirst;
  if (text == "oldest") return Order::kOldestFirst;
  throw InvalidArgument("--order", "'" + text + "' must be newest or oldest");
}

namespace {

// The store to open: `store`, or the server holding it when it is an
// embedded store a `cctv serve` holds (one process at a time may write it,
// and going through the server reads its latest counts too). Says so on
// stderr, once a process.
std::string through_server(const std::string& store) {
  const std::optional<std::string> url = Client::serving_url(store);
  if (!url) return store;
  static bool said = false;
  if (!said) {
    std::fprintf(stderr, "cctv: %s is held by the cctv server at %s; going through its API\n",
                 store.c_str(), url->c_str());
    said = true;
  }
  return *url;
}

}  // namespace

Client open_for_reading(const std::string& store) {
  const std::string opened = through_server(store);
  ClientOptions options;
  options.read_only = opened == store;  // a server's store is read through the server
  return Client::open(opened, options);
}

Client open_for_writing(const std::string& store, std::chrono::milliseconds enqueue_timeout) {
  ClientOptions options;
  options.enqueue_timeout = enqueue_timeout;
  return Client::open(through_server(store), options);
}

}  // namespace cctv::cli
