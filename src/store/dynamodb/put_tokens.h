// Tokens that make a conditional write of an activity count once however
// often it is sent.
//
// An activity that comes with its id (an import, the HTTP API) may be
// stored already, so it is written with a PutItem conditional on its key
// being free, and counted only if the put succeeds. Sent again after its
// answer was lost, such a put would find the item it stored itself and
// fail -- and the activity would never be counted. So each put carries a
// token in the item (kPutTokenAttribute), and its condition also lets it
// overwrite an item holding the same token: its own earlier attempt, and
// nothing another write stored. A token whose put ended without a known
// outcome is kept and handed to the next write of the same activity (the
// pipeline retrying the batch), so that one succeeds and counts.
//
// Thread-safe.
#ifndef CCTV_STORE_DYNAMODB_PUT_TOKENS_H_
#define CCTV_STORE_DYNAMODB_PUT_TOKENS_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/record_batch.h"

namespace cctv::store::dynamodb {

class PutTokens {
 public:
  PutTokens();

  // The token for a put of the activity `key` (put_key()): the one a put
  // left unsettled, taken so that no concurrent write shares it, or a new
  // one, unique to this process.
  std::string token_for(const std::string& key);

  // The put of `key` with `token` ended without a known outcome (the
  // request failed for good, and may have been applied): the token is kept
  // for the next write of the same activity. A put with a known outcome
  // (stored, stored before, refused) needs nothing: its token is done.
  void keep(const std::string& key, const std::string& token);

  // How many tokens are kept now.
  std::size_t unsettled() const;

 private:
  const std::string prefix_;  // random, per process
  std::atomic<std::uint64_t> next_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> unsettled_;  // activity key -> token
};

// An activity's identity within one store: table, time, id and target.
std::string put_key(const core::RecordView& record);
// What put_key() of every activity of table `table` starts with.
std::string put_key_prefix(std::uint32_t table);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_PUT_TOKENS_H_
