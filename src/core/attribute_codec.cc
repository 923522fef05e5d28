#include "core/attribute_codec.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cctv/activity.h"
#include "cctv/error.h"
#include "core/coding.h"
#include "core/utf8.h"

namespace cctv::core {

namespace {

enum Tag : char {
  kNull = 0,
  kFalse = 1,
  kTrue = 2,
  kInt = 3,
  kDouble = 4,
  kString = 5,
  kList = 6,
  kMap = 7,
};

// Raised where a rule is broken, and re-raised by each enclosing list or map
// with its own path segment prepended, so the final message names the full
// path ("attribute 'cart.items[2].price'") at no cost on the normal path.
struct PathError {
  std::string path;
  std::string rule;
};

std::size_t digits_size(std::int64_t v) {
  // DynamoDB: one byte per two significant digits, plus one.
  std::uint64_t u = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  std::size_t digits = 1;
  while (u >= 10) {
    u /= 10;
    ++digits;
  }
  return (digits + 1) / 2 + 1;
}

void check_name(std::string_view name) {
  if (name.empty()) throw PathError{"", "names must not be empty"};
  if (!is_valid_utf8(name)) throw PathError{"", "name is not valid UTF-8"};
}

void check_unique(const Map& map) {
  if (map.size() < 2) return;
  if (map.size() <= 16) {
    for (std::size_t i = 1; i < map.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (map[i].first == map[j].first) throw PathError{map[i].first, "appears more than once"};
      }
    }
    return;
  }
  std::vector<std::string_view> names;
  names.reserve(map.size());
  for (const auto& entry : map) names.emplace_back(entry.first);
  std::sort(names.begin(), names.end());
  auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end()) throw PathError{std::string(*dup), "appears more than once"};
}

std::size_t encode_value(const Value& value, std::string& out, int depth);

std::size_t encode_entries(const Map& map, std::string& out, int depth) {
  check_unique(map);
  append_varint(out, map.size());
  std::size_t size = 0;
  for (const auto& [name, value] : map) {
    try {
      check_name(name);
      append_length_prefixed(out, name);
      size += name.size() + encode_value(value, out, depth);
    } catch (PathError& e) {
      e.path = e.path.empty() ? name : name + (e.path.front() == '[' ? "" : ".") + e.path;
      throw;
    }
  }
  return size;
}

std::size_t encode_value(const Value& value, std::string& out, int depth) {
  switch (value.type()) {
    case Value::Type::kNull:
      out.push_back(kNull);
      return 1;
    case Value::Type::kBool:
      out.push_back(value.as_bool() ? kTrue : kFalse);
      return 1;
    case Value::Type::kInt: {
      out.push_back(kInt);
      append_varint(out, zigzag_encode(value.as_int()));
      return digits_size(value.as_int());
    }
    case Value::Type::kDouble: {
      const double d = value.as_double();
      if (!std::isfinite(d)) throw PathError{"", "NaN and infinity cannot be stored (not JSON)"};
      if (const double magnitude = std::fabs(d);
          magnitude != 0 && (magnitude < kMinNumberMagnitude || magnitude >= kMaxNumberMagnitude)) {
        throw PathError{"", "magnitude must be 0 or from 1e-130 up to 1e126 (DynamoDB's number "
                            "range, applied to every store)"};
      }
      out.push_back(kDouble);
      const auto bits = std::bit_cast<std::uint64_t>(d);
      char buf[8];
      for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(bits >> (8 * i));
      out.append(buf, 8);
      return 10;  // 17 significant digits
    }
    case Value::Type::kString: {
      const std::string& s = value.as_string();
      if (auto bad = find_invalid_utf8(s); bad != std::string_view::npos) {
        throw PathError{
            "", "string is not valid UTF-8 (bad byte at offset " + std::to_string(bad) + ")"};
      }
      out.push_back(kString);
      append_length_prefixed(out, s);
      return s.size();
    }
    case Value::Type::kList: {
      if (depth >= kMaxNesting) throw PathError{"", "nests deeper than 32 levels"};
      const List& list = value.as_list();
      out.push_back(kList);
      append_varint(out, list.size());
      std::size_t size = 3;
      for (std::size_t i = 0; i < list.size(); ++i) {
        try {
          size += 1 + encode_value(list[i], out, depth + 1);
        } catch (PathError& e) {
          e.path = "[" + std::to_string(i) + "]" +
                   (e.path.empty() || e.path.front() == '[' ? "" : ".") + e.path;
          throw;
        }
      }
      return size;
    }
    case Value::Type::kMap: {
      if (depth >= kMaxNesting) throw PathError{"", "nests deeper than 32 levels"};
      out.push_back(kMap);
      return 3 + value.as_map().size() + encode_entries(value.as_map(), out, depth + 1);
    }
  }
  return 0;
}

[[noreturn]] void corrupt() { throw StoreError("corrupt attribute encoding in stored activity"); }

Value decode_value(std::string_view& in, int depth);

Map decode_entries(std::string_view& in, int depth) {
  std::uint64_t count;
  if (!read_varint(in, count) || count > in.size()) corrupt();
  Map map;
  map.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string_view name;
    if (!read_length_prefixed(in, name)) corrupt();
    Value v = decode_value(in, depth);
    map.emplace_back(std::string(name), std::move(v));
  }
  return map;
}

Value decode_value(std::string_view& in, int depth) {
  if (in.empty() || depth > kMaxNesting + 1) corrupt();
  const char tag = in.front();
  in.remove_prefix(1);
  switch (tag) {
    case kNull:
      return Value();
    case kFalse:
      return Value(false);
    case kTrue:
      return Value(true);
    case kInt: {
      std::uint64_t v;
      if (!read_varint(in, v)) corrupt();
      return Value(zigzag_decode(v));
    }
    case kDouble: {
      if (in.size() < 8) corrupt();
      std::uint64_t bits = 0;
      for (int i = 0; i < 8; ++i)
        bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
      in.remove_prefix(8);
      return Value(std::bit_cast<double>(bits));
    }
    case kString: {
      std::string_view s;
      if (!read_length_prefixed(in, s)) corrupt();
      return Value(std::string(s));
    }
    case kList: {
      std::uint64_t count;
      if (!read_varint(in, count) || count > in.size()) corrupt();
      List list;
      list.reserve(count);
      for (std::uint64_t i = 0; i < count; ++i) list.push_back(decode_value(in, depth + 1));
      return Value(std::move(list));
    }
    case kMap:
      return Value(decode_entries(in, depth + 1));
    default:
      corrupt();
  }
}

}  // namespace

std::size_t encode_attributes(const Attributes& attributes, std::string& out) {
  try {
    for (const auto& entry : attributes) {
      if (is_reserved_attribute(entry.first)) {
        throw PathError{entry.first,
                        "is a reserved name (actor, target, timestamp, id and expires_at are "
                        "set by cctv); rename it, e.g. 'my_" +
                            entry.first + "'"};
      }
    }
    return encode_entries(attributes, out, 0);
  } catch (const PathError& e) {
    throw InvalidArgument(e.path.empty() ? "attributes" : "attribute '" + e.path + "'", e.rule);
  }
}

Attributes decode_attributes(std::string_view encoded) {
  Attributes attributes = decode_entries(encoded, 0);
  if (!encoded.empty()) corrupt();
  return attributes;
}

std::size_t key_item_size(std::string_view actor, std::string_view target) noexcept {
  // "target" + value, "actor" + value, "timestamp" + "SSSSSSSSSS.uuuuuu#" + 16 hex digits.
  return 6 + target.size() + 5 + actor.size() + 9 + 34;
}

}  // namespace cctv::core
