// Where the server holding an embedded store can be reached: `cctv serve`
// leaves its address in the store's directory while it runs (a file only
// its user can read), so that another process that cannot open the store
// -- one process at a time may write it -- can go through the server's API
// instead.
//
// The note is believed only while the store is held for writing: a server
// killed with SIGKILL leaves it behind, and the LOCK it held is then free.
#ifndef CCTV_STORE_EMBEDDED_SERVING_NOTE_H_
#define CCTV_STORE_EMBEDDED_SERVING_NOTE_H_

#include <optional>
#include <string>

namespace cctv::store::embedded {

// Whether another process (or another client in this one) holds the store
// in `dir` open for writing (RocksDB's lock on its LOCK file).
bool held_by_another_process(const std::string& dir);

// Writes `url` as the note in `dir`, replacing any, readable by this user
// only. Throws StoreError.
void write_serving_note(const std::string& dir, const std::string& url);
// Removes the note, if any. Does not throw.
void remove_serving_note(const std::string& dir) noexcept;
// The URL in the note in `dir` when there is one and the store is held by
// another process; nullopt otherwise.
std::optional<std::string> serving_url(const std::string& dir);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_SERVING_NOTE_H_
