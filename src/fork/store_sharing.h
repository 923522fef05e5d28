// Serves an embedded store to the children of the process that holds it
// (cctv/fork_safe_client.h): a cctv server on a loopback port, with a key
// made for it, run on a thread of its own. Only this process can hold the
// store; its children write and read it through this server.
//
// Construct and destroy from one thread; url() and key() are const.
#ifndef CCTV_FORK_STORE_SHARING_H_
#define CCTV_FORK_STORE_SHARING_H_

#include <memory>
#include <string>
#include <thread>

#include "cctv/client.h"
#include "server/server.h"

namespace cctv::internal {

class StoreSharing {
 public:
  // Starts serving `client`, which must outlive this. Throws StoreError
  // when no loopback port can be had.
  explicit StoreSharing(Client& client);
  // Stops serving: requests in flight are answered first.
  ~StoreSharing();

  // Where the children connect, and the key they send (scopes read, write
  // and admin: a child does all its parent could).
  const std::string& url() const noexcept { return url_; }
  const std::string& key() const noexcept { return key_; }

  // In a child: lets go of the parent's server without touching its
  // threads (Server::forget_in_child()). The caller then leaks this.
  void forget_in_child() noexcept { server_->forget_in_child(); }

 private:
  std::string key_;
  std::unique_ptr<server::Server> server_;
  std::string url_;
  std::thread serving_;
};

}  // namespace cctv::internal

#endif  // CCTV_FORK_STORE_SHARING_H_
