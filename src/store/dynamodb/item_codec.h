// cctv activities as DynamoDB items, the layout of ../shared DESIGN.md kept
// by the 2014 gem: `target` (S, hash key), `timestamp` (S, sort key, see
// sort_key.h), `actor` (S, hash key of the actor-index GSI), and every
// attribute at the item's top level.
//
// Attribute values map to DynamoDB types: string S, integer and double N,
// bool BOOL, null NULL, list L, map M. DynamoDB keeps numbers as decimals,
// so a double with an integral value (1.0) reads back as an integer and
// -0.0 as 0. Sets written by other tools read back as lists (SS, NS), and
// binary values (B, BS) as their base64 text.
#ifndef CCTV_STORE_DYNAMODB_ITEM_CODEC_H_
#define CCTV_STORE_DYNAMODB_ITEM_CODEC_H_

#include <rapidjson/document.h>

#include <string>

#include "cctv/activity.h"
#include "core/record_batch.h"

namespace cctv::store::dynamodb {

// The global secondary index that views by actor read (actor HASH,
// timestamp RANGE, projection ALL).
inline constexpr const char* kActorIndex = "actor-index";

// The AWS CLI command that adds the actor index to table `remote_name`
// (tables the 2014 gem made have none), for messages.
std::string add_index_command(const std::string& remote_name);

// An attribute cctv keeps on items written conditionally (put_tokens.h);
// no attribute of the activity, and a reserved name.
inline constexpr const char* kPutTokenAttribute = "_cctv_put";
// Another: the writer and generation of counts by the minute that count
// the activity (minute_counts.h), writer * 2^32 + generation.
inline constexpr const char* kCountsTagAttribute = "_cctv_c";

// The JSON that puts counts tag `tag` on an item as kCountsTagAttribute,
// for append_item(): formatted once per write, since every item of a
// write carries the same tag.
std::string counts_tag_json(std::uint64_t tag);

// Appends `record` as a DynamoDB item (a JSON object of AttributeValues) to
// `out`, and its sort key to `sort_key`. With `expires_at` > 0 the item
// carries it (epoch seconds), for DynamoDB's TTL; `counts_tag` is
// counts_tag_json() of its tag, or empty for none.
void append_item(const core::RecordView& record, std::int64_t expires_at,
                 std::string_view counts_tag, std::string& out, std::string& sort_key);

// `item` (a JSON object) with its put token (kPutTokenAttribute) added.
std::string with_put_token(std::string_view item, std::string_view token);

// Reads an item (`expires_at` is no attribute of the activity). Throws StoreError for an item
// without a string `target` or a `timestamp` of either form.
Activity read_item(const rapidjson::Value& item);

// Appends s as a JSON string literal, quotes included. (Items are built by
// appending to one string; RapidJSON's writer would need a buffer per item.)
void append_json_string(std::string& out, std::string_view s);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_ITEM_CODEC_H_
