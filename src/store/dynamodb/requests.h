// Typed DynamoDB requests: each a plain struct naming its parts, and
// body(), the JSON 1.0 request RequestEngine sends. The store's logic fills
// structs; DynamoDB's request JSON is written here (and items by
// item_codec.h), nowhere else.
#ifndef CCTV_STORE_DYNAMODB_REQUESTS_H_
#define CCTV_STORE_DYNAMODB_REQUESTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cctv::store::dynamodb {

// A string (S), number (N), binary (B) or number set (NS) AttributeValue.
struct Attr {
  enum class Type : std::uint8_t { kS, kN, kB, kNS };
  Type type = Type::kS;
  std::string value;                  // S and N: the text; B: the bytes
  std::vector<std::int64_t> numbers;  // NS

  static Attr s(std::string_view v) { return Attr{Type::kS, std::string(v), {}}; }
  static Attr n(std::int64_t v) { return Attr{Type::kN, std::to_string(v), {}}; }
  static Attr b(std::string_view bytes) { return Attr{Type::kB, std::string(bytes), {}}; }
  static Attr ns(std::vector<std::int64_t> v) { return Attr{Type::kNS, {}, std::move(v)}; }
};

// An item's key, or any list of named values: attribute name -> value.
using Attrs = std::vector<std::pair<std::string, Attr>>;

// An expression (key condition, condition, filter, update) with the
// placeholders it uses: "#name" -> attribute name, ":value" -> value.
// Several expressions of one request share their placeholders.
struct Expression {
  std::string text;  // empty: none
  std::vector<std::pair<std::string, std::string>> names;
  Attrs values;
};

// The key schema of a table or index: hash, and range attribute.
struct KeySchema {
  std::string hash;
  std::string range;
};

struct CreateTableRequest {
  std::string table;
  KeySchema key;
  std::vector<std::pair<std::string, char>> attributes;    // every key attribute: name, 'S' or 'N'
  std::optional<std::pair<std::string, KeySchema>> index;  // a global index (projection ALL)
  bool provisioned = false;                                // else PAY_PER_REQUEST
  std::int64_t read_capacity = 0;
  std::int64_t write_capacity = 0;
  std::string body() const;
};

// DescribeTable, DeleteTable, DescribeTimeToLive: the table's name alone.
struct TableRequest {
  std::string table;
  std::string body() const;
};

struct ListTablesRequest {
  std::string start;  // ExclusiveStartTableName; empty: the first page
  std::string body() const;
};

struct UpdateTimeToLiveRequest {
  std::string table;
  std::string attribute;
  std::string body() const;  // turns it on
};

struct GetItemRequest {
  std::string table;
  Attrs key;
  bool consistent = true;
  std::string body() const;
};

struct PutItemRequest {
  std::string table;
  std::string_view item;  // the item, a JSON object of AttributeValues (item_codec.h)
  Expression condition;
  std::string body() const;
};

struct UpdateItemRequest {
  std::string table;
  Attrs key;
  Expression update;
  Expression condition;
  bool return_new = false;  // answer with the item as updated (ReturnValues ALL_NEW)
  std::string body() const;
};

struct DeleteItemRequest {
  std::string table;
  Attrs key;
  Expression condition;
  std::string body() const;
};

struct QueryRequest {
  static constexpr const char* kOperation = "Query";
  std::string table;
  std::string index;  // empty: the table itself
  bool consistent = false;
  Expression key_condition;
  Expression filter;             // FilterExpression; empty: none
  bool forward = true;           // ScanIndexForward
  std::size_t limit = 0;         // 0: DynamoDB's page size
  std::string_view start_after;  // ExclusiveStartKey as a JSON object; empty: from the start
  std::string body() const;
};

struct ScanRequest {
  static constexpr const char* kOperation = "Scan";
  std::string table;
  bool consistent = false;
  Expression filter;
  std::size_t limit = 0;
  std::string_view start_after;
  std::string body() const;
};

// BatchGetItem of one table: up to 100 keys (DynamoDB's limit, which the
// caller keeps).
struct BatchGetRequest {
  std::string table;
  std::vector<Attrs> keys;
  bool consistent = true;
  std::string body() const;
};

// BatchWriteItem: puts and deletes, any tables, up to 25 (DynamoDB's limit,
// which the caller keeps).
struct BatchWriteRequest {
  struct Write {
    std::string_view table;
    std::string_view put;         // an item (JSON object), or
    std::string_view delete_key;  // a key (JSON object)
  };
  std::vector<Write> writes;
  std::string body() const;
};

// A JSON object of AttributeValues, e.g. {"target":{"S":"/x"}}: a key for
// BatchWriteRequest's deletes or a start key.
std::string attrs_json(const Attrs& attrs);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_REQUESTS_H_
