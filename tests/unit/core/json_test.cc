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
  EXPECT_EQ(field_of("{\"actor\":\"\xff\",\"target\":\"/s\"}"), "activity");  // invalid UTF-8
  EXPECT_EQ(field_of(R"({"actor":"b","target":"/s"} trailing)"), "activity");
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
