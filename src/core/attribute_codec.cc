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
        throw PathError{"",
                        "magnitude must be 0 or from 1e-130 up to 1e126 (DynamoDB's number "
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

void walk_value(std::string_view& in, AttributeVisitor& v, int depth);

void walk_entries(std::string_view& in, AttributeVisitor& v, int depth) {
  std::uint64_t count;
  if (!read_varint(in, count) || count > in.size()) corrupt();
  v.begin_map(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string_view name;
    if (!read_length_prefixed(in, name)) corrupt();
    v.key(name);
    walk_value(in, v, depth);
  }
  v.end_map();
}

void walk_value(std::string_view& in, AttributeVisitor& v, int depth) {
  if (in.empty() || depth > kMaxNesting + 1) corrupt();
  const char tag = in.front();
  in.remove_prefix(1);
  switch (tag) {
    case kNull:
      v.null();
      return;
    case kFalse:
      v.boolean(false);
      return;
    case kTrue:
      v.boolean(true);
      return;
    case kInt: {
      std::uint64_t n;
      if (!read_varint(in, n)) corrupt();
      v.integer(zigzag_decode(n));
      return;
    }
    case kDouble: {
      if (in.size() < 8) corrupt();
      std::uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) {
        bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
      }
      in.remove_prefix(8);
      v.number(std::bit_cast<double>(bits));
      return;
    }
    case kString: {
      std::string_view s;
      if (!read_length_prefixed(in, s)) corrupt();
      v.string(s);
      return;
    }
    case kList: {
      std::uint64_t count;
      if (!read_varint(in, count) || count > in.size()) corrupt();
      v.begin_list(count);
      for (std::uint64_t i = 0; i < count; ++i) walk_value(in, v, depth + 1);
      v.end_list();
      return;
    }
    case kMap:
      walk_entries(in, v, depth + 1);
      return;
    default:
      corrupt();
  }
}

// Builds Values from a walk.
class ValueBuilder final : public AttributeVisitor {
 public:
  Attributes take() { return std::move(root_); }
  void null() override { put(Value()); }
  void boolean(bool b) override { put(Value(b)); }
  void integer(std::int64_t i) override { put(Value(i)); }
  void number(double d) override { put(Value(d)); }
  void string(std::string_view s) override { put(Value(std::string(s))); }
  void begin_list(std::size_t size) override {
    List list;
    list.reserve(size);
    open_.push_back(&put(Value(std::move(list))));
  }
  void end_list() override { open_.pop_back(); }
  void begin_map(std::size_t size) override {
    if (open_.empty() && !started_) {  // the top level
      started_ = true;
      root_.reserve(size);
      return;
    }
    Map map;
    map.reserve(size);
    open_.push_back(&put(Value(std::move(map))));
  }
  void key(std::string_view name) override { key_.assign(name); }
  void end_map() override {
    if (!open_.empty()) open_.pop_back();
  }

 private:
  Value& put(Value v) {
    if (open_.empty()) return root_.emplace_back(std::move(key_), std::move(v)).second;
    Value& parent = *open_.back();
    if (parent.is_list()) return parent.as_list().emplace_back(std::move(v));
    return parent.as_map().emplace_back(std::move(key_), std::move(v)).second;
  }

  Attributes root_;
  // The lists and maps being filled, innermost last. Pointers into their
  // parents stay valid because every container is reserved to its full
  // encoded size before its first element is added.
  std::vector<Value*> open_;
  std::string key_;
  bool started_ = false;
};

}  // namespace

std::size_t encode_attributes(const Attributes& attributes, std::string& out) {
  try {
    for (const auto& entry : attributes) {
      if (is_reserved_attribute(entry.first)) {
        throw PathError{entry.first,
                        "is a reserved name (actor, target, timestamp, id, expires_at, "
                        "_cctv_put and _cctv_c are set by cctv); rename it, e.g. 'my_" +
                            entry.first + "'"};
      }
    }
    return encode_entries(attributes, out, 0);
  } catch (const PathError& e) {
    throw InvalidArgument(e.path.empty() ? "attributes" : "attribute '" + e.path + "'", e.rule);
  }
}

void walk_attributes(std::string_view encoded, AttributeVisitor& visitor) {
  walk_entries(encoded, visitor, 0);
  if (!encoded.empty()) corrupt();
}

Attributes decode_attributes(std::string_view encoded) {
  ValueBuilder builder;
  walk_attributes(encoded, builder);
  return builder.take();
}

std::size_t key_item_size(std::string_view actor, std::string_view target) noexcept {
  // "target" + value, "actor" + value, "timestamp" + "SSSSSSSSSS.uuuuuu#" + 16 hex digits.
  return 6 + target.size() + 5 + actor.size() + 9 + 34;
}

}  // namespace cctv::core
