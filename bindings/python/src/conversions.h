// Python values to cctv's and back: text, attributes (cctv::Value), times
// (datetime, naive taken as UTC), and the objects views return. The GIL is
// held throughout; conversions from Python throw cctv::InvalidArgument
// naming the field.
#ifndef CCTV_PYTHON_CONVERSIONS_H_
#define CCTV_PYTHON_CONVERSIONS_H_

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

#include "cctv/cctv.h"

namespace cctv::python {

namespace py = pybind11;

// Loads the datetime module's C API (for this file's use of it): once, at
// the module's import. Throws error_already_set.
void init_conversions();

// The classes cctv/__init__.py defines, which results are made of: set
// once at import (_cctv._set_types).
struct ResultTypes {
  py::object activity;      // Activity(actor, target, time, id, attributes)
  py::object bucket_count;  // BucketCount(start, count)
  py::object target_count;  // TargetCount(target, count)
};
ResultTypes& result_types();

// A str's UTF-8 bytes (surrogates refused by validation's UTF-8 check).
std::string text_of(py::handle text, std::string_view field);

// A dict of attributes (str keys), or None. Values: str, int (64-bit),
// float, bool, None, list, tuple, dict.
Attributes attributes_of(py::handle attributes);

// A datetime: aware ones at their offset, naive ones as UTC.
Timestamp timestamp_of(py::handle time, std::string_view field);

py::object python_time_of(Timestamp time);  // aware, UTC
py::object python_value_of(const Value& value);
py::object python_activity_of(const Activity& activity);

}  // namespace cctv::python

#endif  // CCTV_PYTHON_CONVERSIONS_H_
