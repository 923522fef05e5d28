#include "store/dynamodb/aws_config.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <vector>

#include "cctv/error.h"

namespace cctv::store::dynamodb {

namespace {

// One profile's settings from an INI-style AWS file.
using Section = std::map<std::string, std::string>;

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// Returns the settings under [section] in `path`, or nullopt when the file
// or the section is missing.
std::optional<Section> read_section(const std::string& path, const std::string& section) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::optional<Section> found;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      inside = trim(line.substr(1, line.size() - 2)) == section;
      if (inside && !found) found = Section{};
      continue;
    }
    const auto eq = line.find('=');
    if (inside && eq != std::string::npos) {
      (*found)[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
  }
  return found;
}

std::string non_empty(const std::optional<std::string>& v) { return v ? *v : std::string(); }

struct Files {
  std::string credentials;
  std::string config;
  std::string profile;
  std::string config_section;  // "default" or "profile NAME"
};

Files shared_files(const DynamoOptions& options, const Environment& env) {
  Files f;
  const std::string home = non_empty(env("HOME"));
  f.credentials = non_empty(env("AWS_SHARED_CREDENTIALS_FILE"));
  if (f.credentials.empty()) f.credentials = home + "/.aws/credentials";
  f.config = non_empty(env("AWS_CONFIG_FILE"));
  if (f.config.empty()) f.config = home + "/.aws/config";
  f.profile = options.profile.empty() ? non_empty(env("AWS_PROFILE")) : options.profile;
  if (f.profile.empty()) f.profile = "default";
  f.config_section = f.profile == "default" ? "default" : "profile " + f.profile;
  return f;
}

std::string explicit_endpoint(const DynamoOptions& options, const Environment& env) {
  if (!options.endpoint.empty()) return options.endpoint;
  for (const char* name : {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"}) {
    if (auto v = env(name); v && !v->empty()) return *v;
  }
  return "";
}

std::string resolve_region(const DynamoOptions& options, const Environment& env,
                           const Files& files) {
  if (!options.region.empty()) return options.region;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto v = env(name); v && !v->empty()) return *v;
  }
  if (auto section = read_section(files.config, files.config_section)) {
    if (auto it = section->find("region"); it != section->end() && !it->second.empty())
      return it->second;
  }
  // Local engines take any region.
  if (is_loopback_endpoint(explicit_endpoint(options, env))) return "local";
  // Configuration missing from where it is looked for, not a bad input:
  // a store error (the command exits 1, not 2).
  throw StoreError(
      "DynamoDB region: none found; looked in: the store URI (dynamodb://REGION) or "
      "DynamoOptions::region, AWS_REGION, AWS_DEFAULT_REGION, [" +
      files.config_section + "] in " + files.config);
}

void resolve_endpoint(const DynamoOptions& options, const Environment& env, AwsConfig& config) {
  config.endpoint = options.endpoint;
  config.endpoint_source = "the store URI or DynamoOptions";
  for (const char* name : {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"}) {
    if (!config.endpoint.empty()) break;
    if (auto v = env(name); v && !v->empty()) {
      config.endpoint = *v;
      config.endpoint_source = name;
    }
  }
  if (config.endpoint.empty()) {
    if (config.region == "local") {
      throw InvalidArgument("DynamoDB endpoint",
                            "dynamodb://local needs one: add ?endpoint=http://HOST:PORT");
    }
    const bool china = config.region.rfind("cn-", 0) == 0;
    config.endpoint = "https://dynamodb." + config.region + ".amazonaws.com" + (china ? ".cn" : "");
    config.endpoint_source = "the region";
  }
  if (config.endpoint.rfind("http://", 0) != 0 && config.endpoint.rfind("https://", 0) != 0) {
    throw InvalidArgument("DynamoDB endpoint", "'" + config.endpoint + "' (from " +
                                                   config.endpoint_source +
                                                   ") must start with http:// or https://");
  }
  while (config.endpoint.size() > 8 && config.endpoint.back() == '/') config.endpoint.pop_back();
}

std::optional<Credentials> from_section(const std::optional<Section>& section,
                                        const std::string& source) {
  if (!section) return std::nullopt;
  auto get = [&](const char* key) {
    auto it = section->find(key);
    return it == section->end() ? std::string() : it->second;
  };
  Credentials c{get("aws_access_key_id"), get("aws_secret_access_key"), get("aws_session_token"),
                source};
  if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
  return c;
}

Credentials resolve_credentials(const DynamoOptions& options, const Environment& env,
                                const Files& files, const std::string& endpoint) {
  if (!options.access_key_id.empty() || !options.secret_access_key.empty()) {
    if (options.access_key_id.empty() || options.secret_access_key.empty()) {
      throw InvalidArgument("DynamoDB credentials",
                            "DynamoOptions sets only one of access_key_id and secret_access_key; "
                            "set both");
    }
    return Credentials{options.access_key_id, options.secret_access_key, options.session_token,
                       "DynamoOptions"};
  }
  const std::string key = non_empty(env("AWS_ACCESS_KEY_ID"));
  const std::string secret = non_empty(env("AWS_SECRET_ACCESS_KEY"));
  if (!key.empty() && !secret.empty()) {
    return Credentials{key, secret, non_empty(env("AWS_SESSION_TOKEN")),
                       "the environment (AWS_ACCESS_KEY_ID)"};
  }
  if (auto c = from_section(read_section(files.credentials, files.profile),
                            "[" + files.profile + "] in " + files.credentials)) {
    return *c;
  }
  if (auto c = from_section(read_section(files.config, files.config_section),
                            "[" + files.config_section + "] in " + files.config)) {
    return *c;
  }
  if (is_loopback_endpoint(endpoint)) {
    return Credentials{"cctv-local", "cctv-local", "", "placeholders for a local endpoint"};
  }
  throw StoreError(
      "DynamoDB credentials: none found; looked in: DynamoOptions "
      "access_key_id/secret_access_key, the environment "
      "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" +
      std::string(key.empty() != secret.empty() ? ", of which only one is set" : "") + "), [" +
      files.profile + "] in " + files.credentials + ", [" + files.config_section + "] in " +
      files.config);
}

}  // namespace

Environment process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

bool is_loopback_endpoint(const std::string& endpoint) {
  const auto start = endpoint.find("://");
  if (start == std::string::npos) return false;
  std::string host = endpoint.substr(start + 3);
  host = host.substr(0, host.find('/'));
  if (host.rfind('[', 0) == 0) return host.rfind("[::1]", 0) == 0;
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

std::string redact_key_id(const std::string& access_key_id) {
  if (access_key_id.size() <= 8) return "****";
  return access_key_id.substr(0, 4) + "..." + access_key_id.substr(access_key_id.size() - 4);
}

AwsConfig resolve_aws_config(const DynamoOptions& options, const Environment& env) {
  const Files files = shared_files(options, env);
  AwsConfig config;
  config.region = resolve_region(options, env, files);
  resolve_endpoint(options, env, config);
  config.credentials = resolve_credentials(options, env, files, config.endpoint);
  return config;
}

}  // namespace cctv::store::dynamodb
