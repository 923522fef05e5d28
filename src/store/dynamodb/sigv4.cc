#include "store/dynamodb/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

#include "store/http/http_client.h"

namespace cctv::store::dynamodb {

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xF];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims a header value and folds each run of spaces into one.
std::string trim_all(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return hex(out, len);
}

std::string canonical_request(const SignableRequest& request, std::string* signed_headers) {
  std::string out;
  out.reserve(256 + request.body.size() / 64);
  out.append(request.method);
  out.push_back('\n');
  out.append(percent_encoded(request.path.empty() ? "/" : request.path, true));
  out.push_back('\n');

  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [k, v] : request.query)
    query.emplace_back(percent_encoded(k), percent_encoded(v));
  std::sort(query.begin(), query.end());
  for (std::size_t i = 0; i < query.size(); ++i) {
    if (i > 0) out.push_back('&');
    out += query[i].first + "=" + query[i].second;
  }
  out.push_back('\n');

  // Headers: lowercase names, sorted, repeated names joined with commas.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [k, v] : request.headers) headers.emplace_back(lowercase(k), trim_all(v));
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string names;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      out.pop_back();  // the newline
      out += "," + headers[i].second + "\n";
      continue;
    }
    out += headers[i].first + ":" + headers[i].second + "\n";
    if (!names.empty()) names.push_back(';');
    names += headers[i].first;
  }
  out.push_back('\n');
  out += names;
  out.push_back('\n');
  out += sha256_hex(request.body);
  if (signed_headers != nullptr) *signed_headers = std::move(names);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out.append(amz_date);
  out.push_back('\n');
  out.append(scope);
  out.push_back('\n');
  out += sha256_hex(canonical);
  return out;
}

Signer::Signer(Credentials credentials, std::string region, std::string service)
    : credentials_(std::move(credentials)),
      region_(std::move(region)),
      service_(std::move(service)) {}

std::string Signer::authorization(const SignableRequest& request) {
  std::string amz_date;
  for (const auto& [k, v] : request.headers) {
    if (lowercase(k) == "x-amz-date") amz_date = v;
  }
  const std::string date = amz_date.substr(0, 8);
  std::string key;
  std::string access_key_id;
  {
    std::lock_guard lock(mu_);
    access_key_id = credentials_.access_key_id;
    if (key_date_ != date) {
      signing_key_ =
          hmac(hmac(hmac(hmac("AWS4" + credentials_.secret_access_key, date), region_), service_),
               "aws4_request");
      key_date_ = date;
    }
    key = signing_key_;
  }
  const std::string scope = date + "/" + region_ + "/" + service_ + "/aws4_request";
  std::string signed_headers;
  const std::string canonical = canonical_request(request, &signed_headers);
  const std::string signature = hmac(key, string_to_sign(amz_date, scope, canonical));
  return "AWS4-HMAC-SHA256 Credential=" + access_key_id + "/" + scope +
         ", SignedHeaders=" + signed_headers + ", Signature=" +
         hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

void Signer::set_credentials(Credentials credentials) {
  std::lock_guard lock(mu_);
  credentials_ = std::move(credentials);
  key_date_.clear();  // the signing key derives from the secret
}

}  // namespace cctv::store::dynamodb
