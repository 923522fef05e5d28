#include "server/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "cctv/error.h"

namespace cctv::server {

namespace {

std::array<unsigned char, 32> digest_of(std::string_view key) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), out.data());
  return out;
}

// The Scope bits of "read,write"; throws InvalidArgument(where, …) naming an
// unknown scope.
std::uint8_t parse_scopes(const std::string& list, const std::string& where) {
  std::uint8_t bits = 0;
  std::stringstream words(list);
  for (std::string scope; std::getline(words, scope, ',');) {
    if (scope == "read") {
      bits |= kRead;
    } else if (scope == "write") {
      bits |= kWrite;
    } else if (scope == "admin") {
      bits |= kRead | kWrite | kAdmin;
    } else {
      throw InvalidArgument(where,
                            "names scope '" + scope + "'; the scopes are read, write and admin");
    }
  }
  if (bits == 0)
    throw InvalidArgument(where, "names no scope; the scopes are read, write and admin");
  return bits;
}

}  // namespace

std::string_view scope_name(Scope scope) noexcept {
  switch (scope) {
    case kRead:
      return "read";
    case kWrite:
      return "write";
    case kAdmin:
      return "admin";
  }
  return "?";
}

ApiKeys ApiKeys::load(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw Error("cannot read the API key file " + path + "; check the path given to --api-keys");
  return read(in, path, "the API key file " + path);
}

ApiKeys ApiKeys::parse(const std::string& lines, const std::string& origin) {
  std::istringstream in(lines);
  return read(in, origin, origin);
}

ApiKeys ApiKeys::read(std::istream& in, const std::string& origin, const std::string& holder) {
  ApiKeys keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = origin + " line " + std::to_string(number);
    std::istringstream words(line);
    std::string key, scopes, extra;
    if (!(words >> key) || key.front() == '#') continue;
    if (!(words >> scopes) || (words >> extra)) {
      throw InvalidArgument(where, "must be KEY SCOPE[,SCOPE] (scopes read, write, admin)");
    }
    if (key.size() < 16) {
      throw InvalidArgument(where,
                            "holds a key of " + std::to_string(key.size()) +
                                " characters; use at least 16 (e.g. `openssl rand -hex 24`)");
    }
    const std::uint8_t bits = parse_scopes(scopes, where);
    const auto digest = digest_of(key);
    for (const Key& k : keys.keys_) {
      if (k.digest == digest)
        throw InvalidArgument(where, "repeats a key given on an earlier line");
    }
    keys.keys_.push_back(Key{digest, bits});
  }
  if (keys.keys_.empty()) throw Error(holder + " holds no key");
  return keys;
}

std::uint8_t ApiKeys::scopes_of(std::string_view key) const {
  const auto digest = digest_of(key);
  std::uint8_t found = 0;
  // Every key is compared, whichever matches: the time taken says nothing
  // about which key, or how much of one, was right.
  for (const Key& k : keys_) {
    const bool same = CRYPTO_memcmp(k.digest.data(), digest.data(), digest.size()) == 0;
    found |= static_cast<std::uint8_t>(-static_cast<int>(same)) & k.scopes;
  }
  return found;
}

std::string new_key_line(const std::string& scopes) {
  parse_scopes(scopes, "--scope");
  // 24 bytes: 192 bits, as `openssl rand -hex 24` gives.
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw Error("could not make a key: OpenSSL's random generator failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string line;
  for (const unsigned char b : bytes) {
    line.push_back(kHex[b >> 4]);
    line.push_back(kHex[b & 15]);
  }
  OPENSSL_cleanse(bytes, sizeof bytes);
  return line + " " + scopes;
}

}  // namespace cctv::server
