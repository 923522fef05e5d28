#include "store/dynamodb/aws_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "cctv/error.h"
#include "support/temp_dir.h"

namespace cctv::store::dynamodb {
namespace {

class AwsConfigTest : public ::testing::Test {
 protected:
  Environment env() {
    return [this](const char* name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }
  void write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(home_.path() / ".aws");
    std::ofstream(home_.path() / ".aws" / name) << text;
  }
  std::string error(const DynamoOptions& options) {
    try {
      resolve_aws_config(options, env());
    } catch (const Error& e) {
      return e.what();
    }
    return "<resolved>";
  }

  cctv::testing::TempDir home_;
  std::map<std::string, std::string> vars_ = {{"HOME", home_.path().string()}};
};

TEST_F(AwsConfigTest, ExplicitOptionsWin) {
  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  vars_["AWS_REGION"] = "us-east-2";
  DynamoOptions o;
  o.region = "eu-west-1";
  o.access_key_id = "OPTKEY";
  o.secret_access_key = "optsecret";
  const AwsConfig c = resolve_aws_config(o, env());
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.credentials.access_key_id, "OPTKEY");
  EXPECT_EQ(c.credentials.source, "DynamoOptions");
  EXPECT_EQ(c.endpoint, "https://dynamodb.eu-west-1.amazonaws.com");
}

TEST_F(AwsConfigTest, EnvironmentThenSharedFiles) {
  write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"
                       "[work]\naws_access_key_id=WORKKEY\naws_secret_access_key=worksecret\n"
                       "aws_session_token=worktoken\n");
  write("config", "[default]\nregion = ap-south-1\n[profile work]\nregion=eu-central-1\n");
  DynamoOptions o;
  AwsConfig c = resolve_aws_config(o, env());
  EXPECT_EQ(c.region, "ap-south-1");
  EXPECT_EQ(c.credentials.access_key_id, "FILEKEY");
  EXPECT_NE(c.credentials.source.find("[default] in"), std::string::npos) << c.credentials.source;

  vars_["AWS_PROFILE"] = "work";
  c = resolve_aws_config(o, env());
  EXPECT_EQ(c.region, "eu-central-1");
  EXPECT_EQ(c.credentials.access_key_id, "WORKKEY");
  EXPECT_EQ(c.credentials.session_token, "worktoken");

  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  vars_["AWS_SESSION_TOKEN"] = "envtoken";
  vars_["AWS_DEFAULT_REGION"] = "sa-east-1";
  c = resolve_aws_config(o, env());
  EXPECT_EQ(c.credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(c.credentials.session_token, "envtoken");
  EXPECT_EQ(c.credentials.source, "the environment (AWS_ACCESS_KEY_ID)");
  EXPECT_EQ(c.region, "sa-east-1");
  vars_["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(resolve_aws_config(o, env()).region, "us-west-2");

  o.profile = "nope";  // an explicit profile beats AWS_PROFILE
  vars_.erase("AWS_ACCESS_KEY_ID");
  EXPECT_NE(error(o).find("[nope] in"), std::string::npos);
}

TEST_F(AwsConfigTest, FilesNamedByTheEnvironment) {
  cctv::testing::TempDir other;
  std::ofstream(other.file("creds")) << "[default]\naws_access_key_id=K\naws_secret_access_key=S\n";
  std::ofstream(other.file("conf")) << "[default]\nregion=eu-north-1\n";
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = other.file("creds");
  vars_["AWS_CONFIG_FILE"] = other.file("conf");
  const AwsConfig c = resolve_aws_config({}, env());
  EXPECT_EQ(c.credentials.access_key_id, "K");
  EXPECT_EQ(c.region, "eu-north-1");
}

TEST_F(AwsConfigTest, Endpoints) {
  DynamoOptions o;
  o.region = "eu-west-1";
  vars_["AWS_ACCESS_KEY_ID"] = "K";
  vars_["AWS_SECRET_ACCESS_KEY"] = "S";
  vars_["AWS_ENDPOINT_URL"] = "http://general:1";
  EXPECT_EQ(resolve_aws_config(o, env()).endpoint, "http://general:1");
  vars_["AWS_ENDPOINT_URL_DYNAMODB"] = "http://dynamo:2/";
  AwsConfig c = resolve_aws_config(o, env());
  EXPECT_EQ(c.endpoint, "http://dynamo:2");
  EXPECT_EQ(c.endpoint_source, "AWS_ENDPOINT_URL_DYNAMODB");
  o.endpoint = "https://alternator.example:8043";
  EXPECT_EQ(resolve_aws_config(o, env()).endpoint, "https://alternator.example:8043");
  o.endpoint = "ftp://x";
  EXPECT_NE(error(o).find("must start with http:// or https://"), std::string::npos);
  o.endpoint = "";
  o.region = "cn-north-1";
  vars_.erase("AWS_ENDPOINT_URL");
  vars_.erase("AWS_ENDPOINT_URL_DYNAMODB");
  EXPECT_EQ(resolve_aws_config(o, env()).endpoint, "https://dynamodb.cn-north-1.amazonaws.com.cn");
  o.region = "local";
  EXPECT_NE(error(o).find("dynamodb://local needs one"), std::string::npos);
}

TEST_F(AwsConfigTest, NothingFoundListsWhereItLooked) {
  DynamoOptions o;
  o.region = "eu-west-1";
  const std::string credentials = error(o);
  for (const char* place : {"DynamoOptions", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                            "[default] in", ".aws/credentials", ".aws/config"}) {
    EXPECT_NE(credentials.find(place), std::string::npos) << place << " missing from: " << credentials;
  }
  const std::string region = error(DynamoOptions{});
  for (const char* place : {"AWS_REGION", "AWS_DEFAULT_REGION", ".aws/config", "dynamodb://REGION"}) {
    EXPECT_NE(region.find(place), std::string::npos) << place << " missing from: " << region;
  }
}

TEST_F(AwsConfigTest, SecretsNeverAppearInMessages) {
  vars_["AWS_SECRET_ACCESS_KEY"] = "SUPERSECRET";  // without a key id: incomplete
  DynamoOptions o;
  o.region = "eu-west-1";
  const std::string message = error(o);
  EXPECT_EQ(message.find("SUPERSECRET"), std::string::npos) << message;
  EXPECT_NE(message.find("only one is set"), std::string::npos) << message;
  o.secret_access_key = "OPTIONSECRET";
  const std::string half = error(o);
  EXPECT_EQ(half.find("OPTIONSECRET"), std::string::npos);
  EXPECT_NE(half.find("set both"), std::string::npos);
  EXPECT_EQ(redact_key_id("AKIAIOSFODNN7EXAMPLE"), "AKIA...MPLE");
}

TEST_F(AwsConfigTest, LoopbackEndpointsNeedNoCredentialsOrRegion) {
  DynamoOptions o;
  o.endpoint = "http://127.0.0.1:8000";
  const AwsConfig c = resolve_aws_config(o, env());
  EXPECT_EQ(c.region, "local");
  EXPECT_EQ(c.credentials.source, "placeholders for a local endpoint");
  EXPECT_TRUE(is_loopback_endpoint("http://localhost:8000"));
  EXPECT_TRUE(is_loopback_endpoint("http://[::1]:8000/"));
  EXPECT_FALSE(is_loopback_endpoint("https://dynamodb.eu-west-1.amazonaws.com"));
  EXPECT_FALSE(is_loopback_endpoint("http://127example.com"));
}

}  // namespace
}  // namespace cctv::store::dynamodb
