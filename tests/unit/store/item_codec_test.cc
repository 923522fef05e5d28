#include "store/dynamodb/item_codec.h"

#include <gtest/gtest.h>

#include "cctv/error.h"
#include "cctv/json.h"
#include "core/attribute_codec.h"

namespace cctv::store::dynamodb {
namespace {

rapidjson::Document item_json(const Activity& a, std::string* sort_key = nullptr,
                              std::uint64_t counts_tag = 0) {
  std::string encoded;
  core::encode_attributes(a.attributes, encoded);
  core::RecordBatch batch;
  batch.append(0, a.time.time_since_epoch().count(), a.id, a.actor, a.target, encoded);
  std::string out, sk;
  append_item(batch[0], 0, counts_tag != 0 ? counts_tag_json(counts_tag) : std::string(), out, sk);
  if (sort_key != nullptr) *sort_key = sk;
  rapidjson::Document doc;
  doc.Parse(out.c_str());
  EXPECT_FALSE(doc.HasParseError()) << out;
  return doc;
}

TEST(ItemCodec, TheGemsLayoutWithAttributesAtTheTop) {
  const Activity a{"bob",
                   "/store/products/organic-goji-berries",
                   parse_time("1411702475"),
                   0x2a,
                   {{"customer_status", "VIP"}, {"visits", 3}}};
  std::string sk;
  const rapidjson::Document doc = item_json(a, &sk);
  EXPECT_EQ(sk, "1411702475.000000#000000000000002a");
  EXPECT_STREQ(doc["target"]["S"].GetString(), "/store/products/organic-goji-berries");
  EXPECT_STREQ(doc["timestamp"]["S"].GetString(), "1411702475.000000#000000000000002a");
  EXPECT_STREQ(doc["actor"]["S"].GetString(), "bob");
  EXPECT_STREQ(doc["customer_status"]["S"].GetString(), "VIP");
  EXPECT_STREQ(doc["visits"]["N"].GetString(), "3");
}

TEST(ItemCodec, RoundTripsEveryTypeDynamoKeeps) {
  const Activity a{"al\"ice\n",
                   "/caf\xc3\xa9",
                   parse_time("2026-11-01T10:00:00.5Z"),
                   7,
                   {{"s", "x"},
                    {"i", INT64_MIN},
                    {"d", 0.1},
                    {"big", 1e125},
                    {"b", true},
                    {"n", nullptr},
                    {"empty", ""},
                    {"l", List{1, "a", List{}, Map{}}},
                    {"m", Map{{"z", Map{{"deep", List{false}}}}, {"a", -2.5}}}}};
  const Activity back = read_item(item_json(a));
  EXPECT_EQ(back, a) << to_json(back);
}

// The counts tag goes on as a number attribute of its reserved name, and
// is no attribute of the activity read back.
TEST(ItemCodec, ACountsTagIsANumberAttributeAndNoAttributeOfTheActivity) {
  const Activity a{"bob", "/store", parse_time("1411702475"), 7, {{"plan", "pro"}}};
  const std::uint64_t tag = 9'999'999ULL << 32 | 4'294'967'295ULL;
  const rapidjson::Document doc = item_json(a, nullptr, tag);
  ASSERT_TRUE(doc.HasMember(kCountsTagAttribute));
  EXPECT_EQ(std::string(doc[kCountsTagAttribute]["N"].GetString()), std::to_string(tag));
  EXPECT_EQ(read_item(doc), a);
}

TEST(ItemCodec, NumbersAreDecimalsInDynamo) {
  // DynamoDB keeps no int/double distinction: an integral double reads back
  // as an integer. (Documented in docs/dynamodb.md.)
  rapidjson::Document doc;
  doc.Parse(R"({"target":{"S":"/x"},"timestamp":{"S":"1411702475"},"actor":{"S":"bob"},
               "a":{"N":"1"},"b":{"N":"1.5"},"c":{"N":"100000000000000000000"},"d":{"N":"-7"}})");
  const Activity a = read_item(doc);
  EXPECT_EQ(find(a.attributes, "a")->as_int(), 1);
  EXPECT_EQ(find(a.attributes, "b")->as_double(), 1.5);
  EXPECT_EQ(find(a.attributes, "c")->as_double(), 1e20);
  EXPECT_EQ(find(a.attributes, "d")->as_int(), -7);
}

TEST(ItemCodec, ReadsTheGemsItems) {
  rapidjson::Document doc;
  doc.Parse(R"({"target":{"S":"/store"},"timestamp":{"S":"1411702475"},"actor":{"S":"bob"},
               "browser":{"S":"Chrome"},"tags":{"SS":["a","b"]},"scores":{"NS":["1","2.5"]},
               "blob":{"B":"aGk="}})");
  const Activity a = read_item(doc);
  EXPECT_EQ(a.target, "/store");
  EXPECT_EQ(a.time, parse_time("1411702475"));
  EXPECT_NE(a.id, kNoId);
  EXPECT_EQ(a.attributes, (Attributes{{"browser", "Chrome"},
                                      {"tags", List{"a", "b"}},
                                      {"scores", List{1, 2.5}},
                                      {"blob", "aGk="}}));
}

TEST(ItemCodec, UnreadableItemsAreStoreErrors) {
  for (const char* bad : {R"({"timestamp":{"S":"1411702475"}})",
                          R"({"target":{"S":"/x"},"timestamp":{"S":"yesterday"}})",
                          R"({"target":{"N":"1"},"timestamp":{"S":"1411702475"}})",
                          R"({"target":{"S":"/x"},"timestamp":{"S":"1411702475"},"a":{"Q":1}})"}) {
    rapidjson::Document doc;
    doc.Parse(bad);
    EXPECT_THROW(read_item(doc), StoreError) << bad;
  }
}

TEST(ItemCodec, AnItemNestedPastTheLimitIsRefusedNotRecursedInto) {
  const auto nested = [](int depth) {
    std::string json = R"({"target":{"S":"/x"},"timestamp":{"S":"1411702475"},"a":)";
    for (int i = 0; i < depth; ++i) json += R"({"L":[)";
    json += R"({"NULL":true})";
    for (int i = 0; i < depth; ++i) json += "]}";
    return json + "}";
  };
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(nested(20).c_str());
  EXPECT_NO_THROW(read_item(doc));
  doc.Parse<rapidjson::kParseIterativeFlag>(nested(200'000).c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_THROW(read_item(doc), StoreError);
}

}  // namespace
}  // namespace cctv::store::dynamodb
