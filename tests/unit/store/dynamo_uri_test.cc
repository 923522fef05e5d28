#include "store/dynamodb/dynamo_uri.h"

#include <gtest/gtest.h>

#include "cctv/error.h"

namespace cctv::store::dynamodb {
namespace {

TEST(DynamoUri, RegionAndParameters) {
  DynamoOptions o = parse_dynamo_uri("dynamodb://eu-west-1");
  EXPECT_EQ(o.region, "eu-west-1");
  EXPECT_EQ(o.concurrency, 16);
  EXPECT_EQ(o.request_timeout, std::chrono::seconds(10));
  EXPECT_EQ(o.billing, Billing::kOnDemand);
  EXPECT_EQ(o.counts_layout, DynamoOptions::CountsLayout::kMinutes);
  EXPECT_EQ(o.writer_timeout, std::chrono::seconds(360));
  o = parse_dynamo_uri("dynamodb://x?counts_layout=per_target&writer_timeout=30");
  EXPECT_EQ(o.counts_layout, DynamoOptions::CountsLayout::kPerTarget);
  EXPECT_EQ(o.writer_timeout, std::chrono::seconds(30));
  o = parse_dynamo_uri(
      "dynamodb://local?endpoint=http%3A%2F%2F127.0.0.1%3A8000&profile=work&table_prefix=app-&"
      "concurrency=4&billing=provisioned&rcu=10&wcu=20&timeout_ms=2500");
  EXPECT_EQ(o.region, "local");
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:8000");
  EXPECT_EQ(o.profile, "work");
  EXPECT_EQ(o.table_prefix, "app-");
  EXPECT_EQ(o.concurrency, 4);
  EXPECT_EQ(o.billing, Billing::kProvisioned);
  EXPECT_EQ(o.read_capacity, 10);
  EXPECT_EQ(o.write_capacity, 20);
  EXPECT_EQ(o.request_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(parse_dynamo_uri("dynamodb://local?endpoint=http://127.0.0.1:8000").endpoint,
            "http://127.0.0.1:8000");
  EXPECT_EQ(parse_dynamo_uri("dynamodb://").region, "");  // found the AWS way
}

std::string error_of(const std::string& uri) {
  try {
    parse_dynamo_uri(uri);
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "store URI");
    return e.what();
  }
  return "<accepted>";
}

TEST(DynamoUri, ClearErrors) {
  EXPECT_NE(error_of("dynamodb://x?colour=blue").find("unknown parameter 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of("dynamodb://x?billing=free").find("on_demand or provisioned"),
            std::string::npos);
  EXPECT_NE(error_of("dynamodb://x?concurrency=0").find("whole number from 1 to 256"),
            std::string::npos);
  EXPECT_NE(error_of("dynamodb://x?rcu=lots").find("whole number"), std::string::npos);
  const std::string timeout = error_of("dynamodb://x?writer_timeout=1");
  EXPECT_NE(timeout.find("writer_timeout"), std::string::npos) << timeout;
  EXPECT_NE(timeout.find("from 2 to 86400"), std::string::npos) << timeout;
  EXPECT_NE(error_of("dynamodb://x?endpoint").find("has no value"), std::string::npos);
  EXPECT_NE(error_of("dynamodb://eu-west-1/tables").find("not a path"), std::string::npos);
  const std::string secret = error_of("dynamodb://x?secret_access_key=abc");
  EXPECT_NE(secret.find("do not belong in a URI"), std::string::npos);
}

TEST(DynamoUri, DescriptionsCarryNoCredentials) {
  DynamoOptions o;
  o.region = "eu-west-1";
  o.access_key_id = "AKIAEXAMPLE";
  o.secret_access_key = "secret";
  o.table_prefix = "app-";
  const std::string d = describe_dynamo(o);
  EXPECT_EQ(d, "dynamodb://eu-west-1?table_prefix=app-");
  // Settings away from the defaults are named, so that a process started
  // from the description behaves alike.
  o.counts_layout = DynamoOptions::CountsLayout::kPerTarget;
  o.writer_timeout = std::chrono::seconds(60);
  EXPECT_EQ(describe_dynamo(o),
            "dynamodb://eu-west-1?table_prefix=app-&counts_layout=per_target&writer_timeout=60");
}

}  // namespace
}  // namespace cctv::store::dynamodb
