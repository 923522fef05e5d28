// Reading DynamoDB's JSON responses and writing its AttributeValues.
// Responses come from engines cctv does not control: every access checks,
// and a response of the wrong shape is a StoreError, never a crash.
#ifndef CCTV_STORE_DYNAMODB_JSON_ACCESS_H_
#define CCTV_STORE_DYNAMODB_JSON_ACCESS_H_

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::store::dynamodb {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// How responses are parsed. Iterative: a hostile response cannot exhaust the
// stack. Numbers as text: RapidJSON 1.1.0's number conversion reads out of
// bounds on some inputs (see core/json_reader.h); the few numbers DynamoDB
// sends outside AttributeValues (which hold them as strings anyway) are
// read with number_member(). Encoding validated: what reaches an Activity
// is valid UTF-8, whatever the engine sent.
inline constexpr unsigned kResponseParseFlags = rapidjson::kParseIterativeFlag |
                                                rapidjson::kParseNumbersAsStringsFlag |
                                                rapidjson::kParseValidateEncodingFlag;

// Parses any response body; the caller checks HasParseError().
rapidjson::Document parse_json(std::string_view body);

// Parses a response body of `operation`. Throws StoreError unless it is a
// JSON object.
rapidjson::Document parse(const std::string& body, std::string_view operation);

// A number member of `v` (read from its text; see kResponseParseFlags), or
// nullopt when absent or not a number.
std::optional<double> number_member(const rapidjson::Value& v, const char* name);

// Member `name` of `v`: throws StoreError when absent (or not of the type).
const rapidjson::Value& member(const rapidjson::Value& v, const char* name);
const rapidjson::Value& object_member(const rapidjson::Value& v, const char* name);
rapidjson::Value::ConstArray array_member(const rapidjson::Value& v, const char* name);

// A string member, or "" when absent or not a string.
std::string string_member(const rapidjson::Value& v, const char* name);

// The S, N or B value of attribute `name` of an item. Throws StoreError.
std::string_view s_value(const rapidjson::Value& item, const char* name);
std::int64_t n_value(const rapidjson::Value& item, const char* name);
std::string_view b_value(const rapidjson::Value& item, const char* name);
// Whether the item has attribute `name`.
// The numbers of number-set attribute `name`; none when it is absent.
// Throws StoreError when it is no number set.
std::vector<std::int64_t> ns_value(const rapidjson::Value& item, const char* name);
bool has_attribute(const rapidjson::Value& item, const char* name);

// Writes "name":{"S":"value"} and "name":{"N":"value"}.
void put_s(Writer& w, const char* name, std::string_view value);
void put_n(Writer& w, const char* name, std::int64_t value);
void put_n(Writer& w, const char* name, std::uint64_t value);

// Base64 (RFC 4648, padded), DynamoDB's form of binary values. decode
// returns false for text that is not base64.
std::string base64_encode(std::string_view bytes);
// Appends base64_encode(bytes) to `out`.
void append_base64(std::string& out, std::string_view bytes);
bool base64_decode(std::string_view text, std::string& out);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_JSON_ACCESS_H_
