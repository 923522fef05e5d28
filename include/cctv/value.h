// A Value is one JSON-model value: null, bool, 64-bit integer, double,
// UTF-8 string, list or map. Activities carry their extra attributes as a
// Map, and every store gives them back exactly as recorded: an integer stays
// an integer, 1.0 stays a double, and a map keeps its key order.
//
// A Value is a plain value type: copy it, compare it, and read it from any
// number of threads; mutate it from one.
#ifndef CCTV_VALUE_H_
#define CCTV_VALUE_H_

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "cctv/export.h"

namespace cctv {

class Value;

// A JSON array.
using List = std::vector<Value>;
// A JSON object with its keys in insertion order. Keys must be unique;
// recording an activity whose attributes repeat a key is an error.
using Map = std::vector<std::pair<std::string, Value>>;
// The extra attributes of an activity.
using Attributes = Map;

class CCTV_EXPORT Value {
 public:
  enum class Type : std::uint8_t { kNull, kBool, kInt, kDouble, kString, kList, kMap };

  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)
  Value(bool b) noexcept : v_(b) {}  // NOLINT(google-explicit-constructor)
  // Any integer type. An unsigned value above INT64_MAX throws
  // InvalidArgument: store such numbers as strings.
  template <std::integral T>
  requires(!std::same_as<T, bool>) Value(T n)
      : v_(checked_int(n)) {}                          // NOLINT(google-explicit-constructor)
  Value(double d) noexcept : v_(d) {}                  // NOLINT(google-explicit-constructor)
  Value(const char* s) : v_(std::string(s)) {}         // NOLINT(google-explicit-constructor)
  Value(std::string_view s) : v_(std::string(s)) {}    // NOLINT(google-explicit-constructor)
  Value(std::string s) noexcept : v_(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  Value(List l) noexcept : v_(std::move(l)) {}         // NOLINT(google-explicit-constructor)
  Value(Map m) noexcept : v_(std::move(m)) {}          // NOLINT(google-explicit-constructor)

  Type type() const noexcept { return static_cast<Type>(v_.index()); }
  bool is_null() const noexcept { return type() == Type::kNull; }
  bool is_bool() const noexcept { return type() == Type::kBool; }
  bool is_int() const noexcept { return type() == Type::kInt; }
  bool is_double() const noexcept { return type() == Type::kDouble; }
  bool is_number() const noexcept { return is_int() || is_double(); }
  bool is_string() const noexcept { return type() == Type::kString; }
  bool is_list() const noexcept { return type() == Type::kList; }
  bool is_map() const noexcept { return type() == Type::kMap; }

  // Accessors. Each throws cctv::Error when the value holds another type,
  // except as_number(), which reads an integer or a double.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;
  double as_number() const;
  const std::string& as_string() const;
  const List& as_list() const;
  List& as_list();
  const Map& as_map() const;
  Map& as_map();

  // For a map: the value under `key`, or nullptr when absent or not a map.
  const Value* find(std::string_view key) const noexcept;

  // Exact equality: the same type and the same contents (1 != 1.0).
  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

  // Returns the name of a type for messages: "null", "bool", "integer", ...
  static const char* type_name(Type type) noexcept;

 private:
  template <std::integral T>
  static std::int64_t checked_int(T n) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (n > static_cast<T>(INT64_MAX)) throw_unsigned_out_of_range(static_cast<std::uint64_t>(n));
    }
    return static_cast<std::int64_t>(n);
  }
  [[noreturn]] static void throw_unsigned_out_of_range(std::uint64_t n);

  std::variant<std::monostate, bool, std::int64_t, double, std::string, List, Map> v_;
};

// Returns the value under `key` in `map`, or nullptr.
CCTV_EXPORT const Value* find(const Map& map, std::string_view key) noexcept;

}  // namespace cctv

#endif  // CCTV_VALUE_H_
