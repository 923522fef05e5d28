// The API keys a server accepts, each with its scopes, read from a file of
// lines `KEY SCOPE[,SCOPE]` (scopes: read, write, admin; admin includes
// the other two). Blank lines and lines starting with '#' are skipped.
//
// Keys are kept as SHA-256 digests and compared in constant time, so
// neither memory nor timing gives a key away.
//
// Thread-safe after construction (const).
#ifndef CCTV_SERVER_API_KEYS_H_
#define CCTV_SERVER_API_KEYS_H_

#include <array>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::server {

enum Scope : std::uint8_t { kRead = 1, kWrite = 2, kAdmin = 4 };

std::string_view scope_name(Scope scope) noexcept;

// A new line for a key file: a key of 48 random hex digits (192 bits from
// OpenSSL's generator), a space, and `scopes` as given ("read,write").
// Throws InvalidArgument("--scope") for a scope load() would refuse; Error
// when the generator fails.
std::string new_key_line(const std::string& scopes);

class ApiKeys {
 public:
  // Reads `path`. Throws InvalidArgument naming the file and line of a
  // malformed line, an unknown scope or a key given twice; Error when the
  // file cannot be read or holds no key.
  static ApiKeys load(const std::string& path);
  // The same, from `lines` in the file's form; `origin` names them in
  // messages.
  static ApiKeys parse(const std::string& lines, const std::string& origin);

  // The scopes (a Scope bit set) of `key`; 0 when no key matches.
  std::uint8_t scopes_of(std::string_view key) const;

  std::size_t size() const noexcept { return keys_.size(); }

 private:
  // `origin` names a line's place ("ORIGIN line 3"), `holder` the whole.
  static ApiKeys read(std::istream& in, const std::string& origin, const std::string& holder);

  struct Key {
    std::array<unsigned char, 32> digest;
    std::uint8_t scopes;
  };
  std::vector<Key> keys_;
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_API_KEYS_H_
