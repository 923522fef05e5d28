#include "cctv/json.h"

#include <gtest/gtest.h>

#include <cmath>

#include "cctv/error.h"

namespace cctv {
namespace {

const Timestamp kReference = parse_time("2026-11-01T10:00:00Z");

TEST(ActivityJson, ExactShape) {
  Activity a;
  a.actor = "bob";
  a.target = "/store";
  a.time = parse_time("2026-11-01T10:00:00Z");
  a.id = 0x00c0ffee00c0ffeeULL;
  a.attributes = {{"browser", "Chrome"}, {"n", 2}, {"x", 1.0}, {"tags", List{"a"}}};
  EXPECT_EQ(
      to_json(a),
      R"({"actor":"bob","target":"/store","time":"2026-11-01T10:00:00.000000Z",)"
      R"("id":"00c0ffee00c0ffee","attributes":{"browser":"Chrome","n":2,"x":1.0,"tags":["a"]}})");
}

TEST(ActivityJson, FormatParseFormatIsIdentical) {
  Activity a;
  a.actor = "al\"ice\n";
  a.target = "/caf\xc3\xa9\t\\";
  a.time = parse_time("2026-11-01T10:00:00.000001Z");
  a.id = 1;
  a.attributes = {{"tenth", 0.1},     {"third", 1.0 / 3},
                  {"big", 1e125},     {"neg0", -0.0},
                  {"min", INT64_MIN}, {"ctl", std::string("\x01\x1f", 2)},
                  {"nul", nullptr},   {"nested", Map{{"l", List{List{}, Map{}}}}}};
  const std::string once = to_json(a);
  const Activity parsed = activity_from_json(once, kReference);
  EXPECT_EQ(parsed, a);
  EXPECT_EQ(to_json(parsed), once);
  EXPECT_TRUE(std::signbit(find(parsed.attributes, "neg0")->as_double()));
}

TEST(ActivityJson, OptionalFields) {
  const Activity a = activity_from_json(R"({"actor":"bob","target":"/store"})", kReference);
  EXPECT_EQ(a.time, kReference);
  EXPECT_EQ(a.id, kNoId);
  EXPECT_TRUE(a.attributes.empty());
  const Activity b = activity_from_json(
      R"({"actor":"bob","target":"/s","time":1411702475,"attributes":null})", kReference);
  EXPECT_EQ(b.time, Timestamp(std::chrono::seconds(1411702475)));
  const Activity c =
      activity_from_json(R"({"actor":"bob","target":"/s","time":"-1h"})", kReference);
  EXPECT_EQ(c.time, kReference - std::chrono::hours(1));
  const Activity d =
      activity_from_json(R"({"actor":"b","target":"/s","time":1411702475.5})", kReference);
  EXPECT_EQ(d.time, Timestamp(std::chrono::seconds(1411702475)) + Microseconds(500000));
}

std::string field_of(const std::string& json) {
  try {
    activity_from_json(json, kReference);
  } catch (const InvalidArgument& e) {
    return e.field();
  }
  return "<accepted>";
}

TEST(ActivityJson, RejectsWithTheField) {
  EXPECT_EQ(field_of("not json"), "activity");
  EXPECT_EQ(field_of("[1]"), "activity");
  EXPECT_EQ(field_of(R"({"target":"/s"})"), "actor");
  EXPECT_EQ(field_of(R"({"actor":"b"})"), "target");
  EXPECT_EQ(field_of(R"({"actor":1,"target":"/s"})"), "actor");
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s","time":"soon"})"), "time");
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s","time":-5})"), "time");
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s","id":"xyz"})"), "id");
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s","id":"0000000000000000"})"), "id");
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s","attributes":[1]})"), "attributes");
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s","browser":"Chrome"})"), "field 'browser'");
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s","attributes":{"n":18446744073709551615}})"),
            "attributes");
  EXPECT_EQ(field_of("{\"actor\":\"\xff\",\"target\":\"/s\"}"), "actor");  // invalid UTF-8
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s"} trailing)"), "activity");
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s","actor":"c"})"), "activity");
  // Inside a top-level array there is no key to name.
  EXPECT_EQ(field_of(R"([{"a":1,"a":2}])"), "activity");
  EXPECT_EQ(field_of(R"([1,18446744073709551615])"), "activity");
}

// The number that crashed `cctv serve`, `cctv import` and `cctv record`,
// wherever an activity can hold it.
TEST(ActivityJson, ALongZeroFractionIsAnswerableAnywhere) {
  const std::string zeros = "0." + std::string(400, '0');
  const Activity a =
      activity_from_json(R"({"actor":"a","target":"/u","attributes":{"x":)" + zeros + "}}");
  EXPECT_EQ(*find(a.attributes, "x"), Value(0.0));
  EXPECT_EQ(activity_from_json(R"({"actor":"a","target":"/u","time":)" + zeros + "}").time,
            Timestamp{});
  EXPECT_EQ(field_of(R"({"actor":"a","target":"/u","other":)" + zeros + "}"), "field 'other'");
  EXPECT_EQ(field_of(R"({"actor":"a","target":"/u","time":1e-2147483648})"), "time");
  EXPECT_EQ(field_of(R"({"actor":"a","target":"/u","attributes":{"n":[1,-9223372036854775809]}})"),
            "attributes");
}

TEST(ActivityJson, AnActorOrAnyFieldGivenTwiceIsRefused) {
  for (const char* json : {R"({"actor":"a","actor":"b","target":"/u"})",
                           R"({"actor":"a","target":"/u","target":"/v"})",
                           R"({"actor":"a","target":"/u","time":1,"time":2})",
                           R"({"actor":"a","target":"/u","attributes":{},"attributes":{}})"}) {
    try {
      activity_from_json(json, kReference);
      ADD_FAILURE() << json;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("appears more than once"), std::string::npos)
          << e.what();
    }
  }
}

TEST(ValueJson, TypesSurvive) {
  EXPECT_TRUE(value_from_json("1").is_int());
  EXPECT_TRUE(value_from_json("1.0").is_double());
  EXPECT_TRUE(value_from_json("1e2").is_double());
  EXPECT_EQ(value_from_json("-9223372036854775808").as_int(), INT64_MIN);
  EXPECT_THROW(value_from_json("9223372036854775808"), InvalidArgument);
  EXPECT_EQ(to_json(value_from_json(R"({"b":[true,null,"x"],"a":{}})")),
            R"({"b":[true,null,"x"],"a":{}})");
}

// Inputs that crashed RapidJSON 1.1.0's number conversion (full precision:
// a long run of zeros after the point; an exponent that overflows an int
// once the fraction's digits are added), and their neighbours: each is an
// answer, never a crash.
TEST(ValueJson, NumbersThatCrashedTheParserAreReadOrRefused) {
  const std::string zeros = "0." + std::string(400, '0');
  EXPECT_EQ(value_from_json(zeros), Value(0.0));
  EXPECT_EQ(value_from_json("-" + zeros), Value(-0.0));
  EXPECT_EQ(value_from_json("1." + std::string(5000, '0') + "1"), Value(1.0));
  EXPECT_EQ(value_from_json("0." + std::string(400, '0') + "1e400"), Value(0.1));
  EXPECT_THROW(value_from_json("0.0000000001e-2147483639"), InvalidArgument);
  EXPECT_THROW(value_from_json("1e-2147483648"), InvalidArgument);
  EXPECT_THROW(value_from_json("1e400"), InvalidArgument);
  EXPECT_THROW(value_from_json("1e-400"), InvalidArgument);
  EXPECT_THROW(value_from_json(std::string(400, '9') + ".5"), InvalidArgument);
  EXPECT_EQ(value_from_json("4.9e-324"), Value(4.9e-324));
  EXPECT_EQ(value_from_json("1.7976931348623157e308"), Value(1.7976931348623157e308));
}

TEST(ValueJson, IntegersOutsideInt64AreRefusedNotRounded) {
  for (const char* text :
       {"9223372036854775808", "18446744073709551615", "18446744073709551616",
        "99999999999999999999999999", "-9223372036854775809", "-99999999999999999999999999"}) {
    try {
      value_from_json(text, "n");
      ADD_FAILURE() << text << " was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.field(), "n");
      EXPECT_NE(std::string(e.what()).find("64-bit signed range"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(value_from_json("9223372036854775807"), Value(INT64_MAX));
  EXPECT_EQ(value_from_json("-9223372036854775808"), Value(INT64_MIN));
  EXPECT_EQ(value_from_json("-0"), Value(0));
  // A message quotes at most the start of a long number.
  try {
    value_from_json(std::string(100000, '9'));
    ADD_FAILURE();
  } catch (const InvalidArgument& e) {
    EXPECT_LT(std::string(e.what()).size(), 300u);
  }
}

TEST(ValueJson, RepeatedKeysAreRefusedAtAnyDepth) {
  EXPECT_THROW(value_from_json(R"({"a":1,"a":2})"), InvalidArgument);
  EXPECT_THROW(value_from_json(R"({"x":[{"b":1,"c":2,"b":3}]})"), InvalidArgument);
  std::string wide = "{";
  for (int i = 0; i < 100; ++i) wide += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  EXPECT_NO_THROW(value_from_json(wide + "\"k100\":1}"));
  EXPECT_THROW(value_from_json(wide + "\"k57\":1}"), InvalidArgument);
  try {
    value_from_json(R"({"x":[{"b":1},{"b":1,"b":2}]})", "body");
    ADD_FAILURE();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()), "body: at 'x[1]': key 'b' appears more than once");
  }
}

TEST(ValueJson, OnlyOneValueAndNothingAfterIt) {
  EXPECT_THROW(value_from_json(std::string("{}\0{}", 5)), InvalidArgument);
  EXPECT_THROW(value_from_json(std::string("1\0", 2)), InvalidArgument);
  EXPECT_THROW(value_from_json(std::string("\"a\0b\"", 5)),
               InvalidArgument);  // raw NUL in a string
  EXPECT_EQ(value_from_json(R"("a\u0000b")"), Value(std::string("a\0b", 3)));
  EXPECT_THROW(value_from_json("1 2"), InvalidArgument);
  EXPECT_THROW(value_from_json(""), InvalidArgument);
  EXPECT_EQ(value_from_json(" \t\n1\r\n"), Value(1));
}

TEST(ValueJson, HostileNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THROW(value_from_json(deep), InvalidArgument);
}

TEST(ActivityId, FormatAndParse) {
  EXPECT_EQ(format_id(0x00c0ffee00c0ffeeULL), "00c0ffee00c0ffee");
  EXPECT_EQ(parse_id("00C0FFEE00C0FFEE"), 0x00c0ffee00c0ffeeULL);
  EXPECT_THROW(parse_id("00c0ffee"), InvalidArgument);
  EXPECT_THROW(parse_id("00c0ffee00c0ffeg"), InvalidArgument);
}

}  // namespace
}  // namespace cctv
