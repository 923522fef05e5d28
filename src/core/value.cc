#include "cctv/value.h"

#include <string>

#include "cctv/error.h"

namespace cctv {

namespace {

[[noreturn]] void wrong_type(Value::Type have, Value::Type want) {
  throw Error(std::string("value is ") + Value::type_name(have) + ", not " +
              Value::type_name(want));
}

}  // namespace

const char* Value::type_name(Type type) noexcept {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "integer";
    case Type::kDouble:
      return "double";
    case Type::kString:
      return "string";
    case Type::kList:
      return "list";
    case Type::kMap:
      return "map";
  }
  return "unknown";
}

void Value::throw_unsigned_out_of_range(std::uint64_t n) {
  throw InvalidArgument("value", "integer " + std::to_string(n) +
                                     " is above the 64-bit signed maximum; store it as a string");
}

bool Value::as_bool() const {
  if (!is_bool()) wrong_type(type(), Type::kBool);
  return std::get<bool>(v_);
}

std::int64_t Value::as_int() const {
  if (!is_int()) wrong_type(type(), Type::kInt);
  return std::get<std::int64_t>(v_);
}

double Value::as_double() const {
  if (!is_double()) wrong_type(type(), Type::kDouble);
  return std::get<double>(v_);
}

double Value::as_number() const {
  if (is_int()) return static_cast<double>(std::get<std::int64_t>(v_));
  return as_double();
}

const std::string& Value::as_string() const {
  if (!is_string()) wrong_type(type(), Type::kString);
  return std::get<std::string>(v_);
}

const List& Value::as_list() const {
  if (!is_list()) wrong_type(type(), Type::kList);
  return std::get<List>(v_);
}

List& Value::as_list() {
  if (!is_list()) wrong_type(type(), Type::kList);
  return std::get<List>(v_);
}

const Map& Value::as_map() const {
  if (!is_map()) wrong_type(type(), Type::kMap);
  return std::get<Map>(v_);
}

Map& Value::as_map() {
  if (!is_map()) wrong_type(type(), Type::kMap);
  return std::get<Map>(v_);
}

const Value* Value::find(std::string_view key) const noexcept {
  if (!is_map()) return nullptr;
  return cctv::find(std::get<Map>(v_), key);
}

const Value* find(const Map& map, std::string_view key) noexcept {
  for (const auto& [name, value] : map) {
    if (name == key) return &value;
  }
  return nullptr;
}

}  // namespace cctv
