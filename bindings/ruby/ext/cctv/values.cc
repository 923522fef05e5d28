#include "values.h"

#include <ruby/encoding.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>

#include "cctv_ruby.h"

namespace cctv::ruby {

namespace {

VALUE cActivity;
VALUE cPage;
VALUE cBucketCount;
VALUE cTargetCount;

// Past validation's own limit (32), so that its message is the one given,
// but short of a stack overflow on an Array that holds itself.
constexpr int kDeepestConversion = 40;

const char* class_name(VALUE value) { return rb_obj_classname(value); }

std::string attribute_field(std::string_view name) {
  return "attribute '" + std::string(name) + "'";
}

Value value_of(VALUE value, std::string_view field, int depth);

struct HashWalk {
  Map* map;
  std::string_view field;  // the attribute being converted, for messages
  int depth;
  std::exception_ptr error;
};

int each_pair(VALUE key, VALUE value, VALUE walk_address) {
  auto* walk = reinterpret_cast<HashWalk*>(walk_address);
  try {
    std::string name = text_of(key, walk->depth == 0 ? "attributes" : walk->field);
    const std::string field = walk->depth == 0 ? attribute_field(name) : std::string(walk->field);
    Value converted = value_of(value, field, walk->depth + 1);
    walk->map->emplace_back(std::move(name), std::move(converted));
    return ST_CONTINUE;
  } catch (...) {
    walk->error = std::current_exception();
    return ST_STOP;
  }
}

Map map_of(VALUE hash, std::string_view field, int depth) {
  Map map;
  map.reserve(static_cast<std::size_t>(RHASH_SIZE(hash)));
  HashWalk walk{&map, field, depth, nullptr};
  rb_hash_foreach(hash, each_pair, reinterpret_cast<VALUE>(&walk));
  if (walk.error) std::rethrow_exception(walk.error);
  return map;
}

std::int64_t integer_of(VALUE number, std::string_view field) {
  if (FIXNUM_P(number)) return FIX2LONG(number);
  std::int64_t out = 0;
  const int overflow = rb_integer_pack(
      number, &out, 1, sizeof out, 0,
      INTEGER_PACK_LSWORD_FIRST | INTEGER_PACK_NATIVE_BYTE_ORDER | INTEGER_PACK_2COMP);
  if (overflow == 2 || overflow == -2) {
    throw InvalidArgument(std::string(field),
                          "is an Integer beyond 64 bits; store such numbers as Strings");
  }
  return out;
}

Value value_of(VALUE value, std::string_view field, int depth) {
  if (depth > kDeepestConversion) {
    throw InvalidArgument(std::string(field), "nests Arrays or Hashes deeper than 32 levels");
  }
  switch (rb_type(value)) {
    case T_NIL:
      return Value();
    case T_TRUE:
      return Value(true);
    case T_FALSE:
      return Value(false);
    case T_FIXNUM:
    case T_BIGNUM:
      return Value(integer_of(value, field));
    case T_FLOAT:
      return Value(RFLOAT_VALUE(value));
    case T_STRING:
      return Value(text_of(value, field));
    case T_ARRAY: {
      List list;
      const long n = RARRAY_LEN(value);
      list.reserve(static_cast<std::size_t>(n));
      for (long i = 0; i < n; ++i)
        list.push_back(value_of(RARRAY_AREF(value, i), field, depth + 1));
      return Value(std::move(list));
    }
    case T_HASH:
      return Value(map_of(value, field, depth));
    default:
      break;
  }
  const std::string hint = rb_obj_is_kind_of(value, rb_cTime)
                               ? "; store a time as a String (time.iso8601(6)) or an Integer"
                           : RB_TYPE_P(value, T_SYMBOL) ? "; store its name, a String (symbol.to_s)"
                                                        : "";
  throw InvalidArgument(std::string(field), std::string("cannot store a ") + class_name(value) +
                                                ": use a String, Integer, Float, true, false, "
                                                "nil, Array or Hash" +
                                                hint);
}

}  // namespace

void define_structs() {
  cActivity = rb_struct_define_under(mCctv, "Activity", "actor", "target", "time", "id",
                                     "attributes", nullptr);
  cPage = rb_struct_define_under(mCctv, "Page", "activities", "next_cursor", nullptr);
  cBucketCount = rb_struct_define_under(mCctv, "BucketCount", "start", "count", nullptr);
  cTargetCount = rb_struct_define_under(mCctv, "TargetCount", "target", "count", nullptr);
  // Kept in statics: pinned, so that GC.compact never moves them.
  for (VALUE klass : {cActivity, cPage, cBucketCount, cTargetCount})
    rb_gc_register_mark_object(klass);
}

std::string text_of(VALUE text, std::string_view field) {
  if (RB_TYPE_P(text, T_SYMBOL)) text = rb_sym2str(text);
  if (!RB_TYPE_P(text, T_STRING)) {
    throw InvalidArgument(std::string(field),
                          std::string("must be a String, not ") + class_name(text));
  }
  rb_encoding* encoding = rb_enc_get(text);
  if (encoding != rb_utf8_encoding() && encoding != rb_usascii_encoding() &&
      encoding != rb_ascii8bit_encoding()) {
    // Converted where it can be; where not, validation names the bytes
    // that are not UTF-8.
    text = rb_str_conv_enc(text, encoding, rb_utf8_encoding());
  }
  return std::string(RSTRING_PTR(text), static_cast<std::size_t>(RSTRING_LEN(text)));
}

Attributes attributes_of(VALUE hash) {
  if (NIL_P(hash)) return {};
  if (!RB_TYPE_P(hash, T_HASH)) {
    throw InvalidArgument("attributes", std::string("must be a Hash, not ") + class_name(hash));
  }
  return map_of(hash, "attributes", 0);
}

namespace {

struct TimeRead {
  VALUE time;
  timespec spec;
};

// Under rb_protect: to_time and rb_time_timespec raise for what they cannot
// read (a Time past what the system's time_t holds, a to_time that fails).
VALUE read_time(VALUE address) {
  auto* read = reinterpret_cast<TimeRead*>(address);
  VALUE time = read->time;
  if (!rb_obj_is_kind_of(time, rb_cTime)) time = rb_funcall(time, rb_intern("to_time"), 0);
  if (!rb_obj_is_kind_of(time, rb_cTime)) rb_raise(rb_eTypeError, "to_time gave no Time");
  read->spec = rb_time_timespec(time);
  return Qnil;
}

}  // namespace

Timestamp timestamp_of(VALUE time, std::string_view field) {
  // Time, and what turns into one: Date, DateTime, ActiveSupport's
  // TimeWithZone. Not a String (ActiveSupport gives it a to_time that
  // guesses).
  if (!rb_obj_is_kind_of(time, rb_cTime) &&
      (RB_TYPE_P(time, T_STRING) || !rb_respond_to(time, rb_intern("to_time")))) {
    throw InvalidArgument(std::string(field),
                          std::string("must be a Time, DateTime or Date, not ") + class_name(time));
  }
  TimeRead read{time, {}};
  int state = 0;
  rb_protect(read_time, reinterpret_cast<VALUE>(&read), &state);
  if (state != 0) {
    rb_set_errinfo(Qnil);
    throw InvalidArgument(std::string(field), std::string("cannot be read as a time: this ") +
                                                  class_name(time) +
                                                  " lies outside what a Time holds, or its "
                                                  "to_time failed");
  }
  const timespec spec = read.spec;
  // Checked before it is multiplied, so that no time wraps into range.
  if (spec.tv_sec < 0 || spec.tv_sec >= 10'000'000'000LL) {
    throw InvalidArgument(std::string(field),
                          "must lie from 1970-01-01 up to 2286-11-20, the times a store can hold");
  }
  return Timestamp(Microseconds(std::int64_t{spec.tv_sec} * 1'000'000 + spec.tv_nsec / 1000));
}

VALUE ruby_string_of(std::string_view text) {
  return rb_utf8_str_new(text.data(), static_cast<long>(text.size()));
}

VALUE ruby_value_of(const Value& value) {
  switch (value.type()) {
    case Value::Type::kNull:
      return Qnil;
    case Value::Type::kBool:
      return value.as_bool() ? Qtrue : Qfalse;
    case Value::Type::kInt:
      return LL2NUM(value.as_int());
    case Value::Type::kDouble:
      return DBL2NUM(value.as_double());
    case Value::Type::kString:
      return ruby_string_of(value.as_string());
    case Value::Type::kList: {
      const List& list = value.as_list();
      VALUE array = rb_ary_new_capa(static_cast<long>(list.size()));
      for (const Value& item : list) rb_ary_push(array, ruby_value_of(item));
      return array;
    }
    case Value::Type::kMap: {
      VALUE hash = rb_hash_new();
      for (const auto& [name, item] : value.as_map())
        rb_hash_aset(hash, ruby_string_of(name), ruby_value_of(item));
      return hash;
    }
  }
  return Qnil;
}

VALUE ruby_time_of(Timestamp time) {
  // Floored: a bucket of a day at a UTC offset may start before 1970.
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  timespec spec{};
  spec.tv_sec = static_cast<time_t>(seconds.time_since_epoch().count());
  spec.tv_nsec = static_cast<long>((time - seconds).count()) * 1000;
  return rb_time_timespec_new(&spec, INT_MAX - 1);  // INT_MAX - 1: in UTC
}

VALUE ruby_activity_of(const Activity& activity) {
  VALUE attributes = rb_hash_new();
  for (const auto& [name, item] : activity.attributes)
    rb_hash_aset(attributes, ruby_string_of(name), ruby_value_of(item));
  return rb_struct_new(cActivity, ruby_string_of(activity.actor), ruby_string_of(activity.target),
                       ruby_time_of(activity.time), ruby_string_of(format_id(activity.id)),
                       attributes);
}

VALUE ruby_page_of(const Page& page) {
  VALUE activities = rb_ary_new_capa(static_cast<long>(page.activities.size()));
  for (const Activity& activity : page.activities)
    rb_ary_push(activities, ruby_activity_of(activity));
  return rb_struct_new(cPage, activities,
                       page.next_cursor.empty() ? Qnil : ruby_string_of(page.next_cursor));
}

VALUE ruby_series_of(const Series& series) {
  VALUE points = rb_ary_new_capa(static_cast<long>(series.size()));
  for (const BucketCount& point : series)
    rb_ary_push(points,
                rb_struct_new(cBucketCount, ruby_time_of(point.start), LL2NUM(point.count)));
  return points;
}

VALUE ruby_target_counts_of(const std::vector<TargetCount>& counts) {
  VALUE list = rb_ary_new_capa(static_cast<long>(counts.size()));
  for (const TargetCount& c : counts)
    rb_ary_push(list, rb_struct_new(cTargetCount, ruby_string_of(c.target), LL2NUM(c.count)));
  return list;
}

}  // namespace cctv::ruby
