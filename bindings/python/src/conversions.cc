#include "conversions.h"

// The datetime C API, whose pointer is this file's own (datetime.h makes
// it static): init_conversions() loads it.
#include <datetime.h>

#include <chrono>
#include <cstdint>

namespace cctv::python {

namespace {

// Past validation's own limit (32), so that its message is the one given,
// but short of a stack overflow on a list that holds itself.
constexpr int kDeepestConversion = 40;

std::string type_name(py::handle value) { return Py_TYPE(value.ptr())->tp_name; }

std::string attribute_field(std::string_view name) {
  return "attribute '" + std::string(name) + "'";
}

Value value_of(py::handle value, const std::string& field, int depth);

Map map_of(py::handle dict, const std::string& field, int depth) {
  Map map;
  map.reserve(static_cast<std::size_t>(PyDict_Size(dict.ptr())));
  PyObject* key = nullptr;
  PyObject* item = nullptr;
  Py_ssize_t position = 0;
  while (PyDict_Next(dict.ptr(), &position, &key, &item)) {
    std::string name = text_of(key, depth == 0 ? "attributes" : field);
    const std::string item_field = depth == 0 ? attribute_field(name) : field;
    Value converted = value_of(item, item_field, depth + 1);
    map.emplace_back(std::move(name), std::move(converted));
  }
  return map;
}

Value value_of(py::handle value, const std::string& field, int depth) {
  if (depth > kDeepestConversion)
    throw InvalidArgument(field, "nests lists or dicts deeper than 32 levels");
  PyObject* v = value.ptr();
  if (v == Py_None) return Value();
  if (PyBool_Check(v)) return Value(v == Py_True);
  if (PyLong_Check(v)) {
    int overflow = 0;
    const long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow != 0)
      throw InvalidArgument(field, "is an int beyond 64 bits; store such numbers as str");
    return Value(static_cast<std::int64_t>(n));
  }
  if (PyFloat_Check(v)) return Value(PyFloat_AS_DOUBLE(v));
  if (PyUnicode_Check(v)) return Value(text_of(value, field));
  if (PyList_Check(v) || PyTuple_Check(v)) {
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(v);
    PyObject** items = PySequence_Fast_ITEMS(v);
    List list;
    list.reserve(static_cast<std::size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) list.push_back(value_of(items[i], field, depth + 1));
    return Value(std::move(list));
  }
  if (PyDict_Check(v)) return Value(map_of(value, field, depth));
  const std::string hint = PyDateTime_Check(v) || PyDate_Check(v)
                               ? "; store a time as a str (t.isoformat()) or an int"
                           : PyBytes_Check(v) ? "; decode it to a str"
                                              : "";
  throw InvalidArgument(field, "cannot store a " + type_name(value) +
                                   ": use a str, int, float, bool, None, list, tuple or dict" +
                                   hint);
}

}  // namespace

void init_conversions() {
  PyDateTime_IMPORT;
  if (PyDateTimeAPI == nullptr) throw py::error_already_set();
}

ResultTypes& result_types() {
  static ResultTypes* types =
      new ResultTypes();  // never destroyed: outlives the interpreter's teardown
  return *types;
}

std::string text_of(py::handle text, std::string_view field) {
  if (!PyUnicode_Check(text.ptr())) {
    throw InvalidArgument(std::string(field), "must be a str, not " + type_name(text));
  }
  Py_ssize_t size = 0;
  const char* bytes = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
  if (bytes == nullptr) {
    PyErr_Clear();
    throw InvalidArgument(std::string(field), "is not valid UTF-8 (it holds a lone surrogate)");
  }
  return std::string(bytes, static_cast<std::size_t>(size));
}

Attributes attributes_of(py::handle attributes) {
  if (attributes.is_none()) return {};
  if (!PyDict_Check(attributes.ptr())) {
    throw InvalidArgument("attributes", "must be a dict, not " + type_name(attributes));
  }
  return map_of(attributes, "attributes", 0);
}

Timestamp timestamp_of(py::handle time, std::string_view field) {
  PyObject* t = time.ptr();
  if (!PyDate_Check(t)) {
    throw InvalidArgument(std::string(field),
                          "must be a datetime or a date, not " + type_name(time));
  }
  using namespace std::chrono;
  const year_month_day date{year(PyDateTime_GET_YEAR(t)),
                            month(static_cast<unsigned>(PyDateTime_GET_MONTH(t))),
                            day(static_cast<unsigned>(PyDateTime_GET_DAY(t)))};
  microseconds since_epoch = sys_days(date).time_since_epoch();
  if (PyDateTime_Check(t)) {
    since_epoch += hours(PyDateTime_DATE_GET_HOUR(t)) + minutes(PyDateTime_DATE_GET_MINUTE(t)) +
                   seconds(PyDateTime_DATE_GET_SECOND(t)) +
                   microseconds(PyDateTime_DATE_GET_MICROSECOND(t));
    py::object offset = time.attr("utcoffset")();
    if (!offset.is_none()) {
      PyObject* delta = offset.ptr();
      if (!PyDelta_Check(delta)) {
        throw InvalidArgument(std::string(field), "has a utcoffset() that is not a timedelta");
      }
      since_epoch -= days(PyDateTime_DELTA_GET_DAYS(delta)) +
                     seconds(PyDateTime_DELTA_GET_SECONDS(delta)) +
                     microseconds(PyDateTime_DELTA_GET_MICROSECONDS(delta));
    }
  }
  const std::int64_t us = since_epoch.count();
  if (us < 0 || us >= kMaxTime.time_since_epoch().count()) {
    throw InvalidArgument(std::string(field),
                          "must lie from 1970-01-01 up to 2286-11-20, the times a store can hold");
  }
  return Timestamp(Microseconds(us));
}

py::object python_time_of(Timestamp time) {
  using namespace std::chrono;
  // Floored to the day: a bucket of a day at a UTC offset may start before
  // 1970.
  const sys_days day_start = floor<days>(time);
  const year_month_day date{day_start};
  const hh_mm_ss clock{time - day_start};
  PyObject* made = PyDateTimeAPI->DateTime_FromDateAndTime(
      static_cast<int>(date.year()), static_cast<int>(static_cast<unsigned>(date.month())),
      static_cast<int>(static_cast<unsigned>(date.day())), static_cast<int>(clock.hours().count()),
      static_cast<int>(clock.minutes().count()), static_cast<int>(clock.seconds().count()),
      static_cast<int>(clock.subseconds().count()), PyDateTime_TimeZone_UTC,
      PyDateTimeAPI->DateTimeType);
  if (made == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(made);
}

py::object python_value_of(const Value& value) {
  switch (value.type()) {
    case Value::Type::kNull:
      return py::none();
    case Value::Type::kBool:
      return py::bool_(value.as_bool());
    case Value::Type::kInt:
      return py::int_(value.as_int());
    case Value::Type::kDouble:
      return py::float_(value.as_double());
    case Value::Type::kString:
      return py::str(value.as_string());
    case Value::Type::kList: {
      py::list list(value.as_list().size());
      std::size_t i = 0;
      for (const Value& item : value.as_list()) list[i++] = python_value_of(item);
      return list;
    }
    case Value::Type::kMap: {
      py::dict dict;
      for (const auto& [name, item] : value.as_map()) dict[py::str(name)] = python_value_of(item);
      return dict;
    }
  }
  return py::none();
}

py::object python_activity_of(const Activity& activity) {
  py::dict attributes;
  for (const auto& [name, item] : activity.attributes)
    attributes[py::str(name)] = python_value_of(item);
  return result_types().activity(py::str(activity.actor), py::str(activity.target),
                                 python_time_of(activity.time), py::str(format_id(activity.id)),
                                 std::move(attributes));
}

}  // namespace cctv::python
