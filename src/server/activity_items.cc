#include "server/activity_items.h"

#include <string>

#include "cctv/error.h"

namespace cctv::server {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

[[noreturn]] void malformed(const std::string& what) {
  throw InvalidArgument("body", what +
                                    "; send one activity object, a JSON array of them, or NDJSON "
                                    "(Content-Type: application/x-ndjson)");
}

// The end of the JSON value starting at body[i] (not whitespace): past its
// closing bracket or quote, or past the scalar.
std::size_t value_end(std::string_view body, std::size_t i) {
  const char first = body[i];
  if (first != '{' && first != '[' && first != '"') {
    while (i < body.size() && !is_space(body[i]) && body[i] != ',' && body[i] != ']') ++i;
    return i;
  }
  int depth = 0;
  bool in_string = false;
  for (; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  malformed("the body ends inside a JSON value");
}

std::size_t skip_space(std::string_view body, std::size_t i) {
  while (i < body.size() && is_space(body[i])) ++i;
  return i;
}

}  // namespace

std::vector<std::string_view> split_activity_items(std::string_view body, bool ndjson,
                                                   std::size_t most) {
  std::vector<std::string_view> items;
  if (ndjson) {
    while (!body.empty()) {
      const std::size_t nl = body.find('\n');
      std::string_view line = body.substr(0, nl);
      body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
      const std::size_t start = skip_space(line, 0);
      if (start == line.size()) continue;
      while (is_space(line.back())) line.remove_suffix(1);
      items.push_back(line.substr(start));
      if (items.size() > most) return items;
    }
    if (items.empty()) malformed("the body holds no activity");
    return items;
  }
  std::size_t i = skip_space(body, 0);
  if (i == body.size()) malformed("the body is empty");
  if (body[i] != '[') {
    const std::size_t end = value_end(body, i);
    if (skip_space(body, end) != body.size()) malformed("the body holds more than one JSON value");
    items.push_back(body.substr(i, end - i));
    return items;
  }
  i = skip_space(body, i + 1);
  if (i < body.size() && body[i] == ']') {
    malformed("the body is an empty array");
  }
  while (true) {
    if (i == body.size()) malformed("the body's array is not closed");
    const std::size_t end = value_end(body, i);
    items.push_back(body.substr(i, end - i));
    if (items.size() > most) return items;
    i = skip_space(body, end);
    if (i == body.size()) malformed("the body's array is not closed");
    if (body[i] == ']') break;
    if (body[i] != ',')
      malformed("the body's array has '" + std::string(1, body[i]) + "' where a comma belongs");
    i = skip_space(body, i + 1);
  }
  if (skip_space(body, i + 1) != body.size()) malformed("the body holds more after its array");
  return items;
}

}  // namespace cctv::server
