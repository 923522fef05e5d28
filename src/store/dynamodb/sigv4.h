// AWS Signature Version 4: signs HTTP requests to AWS services.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
#ifndef CCTV_STORE_DYNAMODB_SIGV4_H_
#define CCTV_STORE_DYNAMODB_SIGV4_H_

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cctv::store::dynamodb {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
  std::string source;         // where they were found, for messages; never a secret
};

// A request as SigV4 sees it. Header names may be any case; the headers must
// include host and x-amz-date (YYYYMMDDTHHMMSSZ) and, with temporary
// credentials, x-amz-security-token.
struct SignableRequest {
  std::string_view method;
  std::string_view path;                                     // not yet percent-encoded, e.g. "/"
  std::vector<std::pair<std::string, std::string>> query;    // not yet encoded
  std::vector<std::pair<std::string, std::string>> headers;  // all of them are signed
  std::string_view body;
};

// The steps of signing, exposed for tests and for debugging a rejected
// signature.
std::string canonical_request(const SignableRequest& request, std::string* signed_headers);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

// Lowercase hex of SHA-256(data).
std::string sha256_hex(std::string_view data);

// Signs requests for one set of credentials, region and service. Keeps the
// derived signing key for the current day. Thread-safe.
class Signer {
 public:
  Signer(Credentials credentials, std::string region, std::string service);

  // Returns the value of the Authorization header for `request`.
  std::string authorization(const SignableRequest& request);

  // Signs with `credentials` from now on (renewed ones).
  void set_credentials(Credentials credentials);

 private:
  Credentials credentials_;  // guarded by mu_
  const std::string region_;
  const std::string service_;
  std::mutex mu_;
  std::string key_date_;     // YYYYMMDD the cached key is for
  std::string signing_key_;  // HMAC chain result for key_date_
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_SIGV4_H_
