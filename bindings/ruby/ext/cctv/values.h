// Ruby values to cctv's and back: strings, attributes (cctv::Value), times,
// and the structs views return. Conversions from Ruby throw
// cctv::InvalidArgument naming the field, never raise (cctv_ruby.h).
#ifndef CCTV_RUBY_VALUES_H_
#define CCTV_RUBY_VALUES_H_

#include <ruby.h>

#include <string>
#include <string_view>

#include "cctv/cctv.h"

namespace cctv::ruby {

// Defines Cctv::Activity, Cctv::Page, Cctv::BucketCount and
// Cctv::TargetCount (lib/cctv.rb adds their methods).
void define_structs();

// A String's bytes (other encodings than UTF-8 are converted to it; binary
// strings are taken as UTF-8), or a Symbol's name; anything else throws.
std::string text_of(VALUE text, std::string_view field);

// A Hash of attributes, String or Symbol keys; nil is none. Values:
// String, Integer, Float, true, false, nil, Array, Hash.
Attributes attributes_of(VALUE hash);

// A Time, DateTime or Date (midnight, local time, as Date#to_time).
Timestamp timestamp_of(VALUE time, std::string_view field);

VALUE ruby_value_of(const Value& value);
VALUE ruby_time_of(Timestamp time);
VALUE ruby_activity_of(const Activity& activity);
VALUE ruby_page_of(const Page& page);
VALUE ruby_series_of(const Series& series);
VALUE ruby_target_counts_of(const std::vector<TargetCount>& counts);
VALUE ruby_string_of(std::string_view text);

}  // namespace cctv::ruby

#endif  // CCTV_RUBY_VALUES_H_
