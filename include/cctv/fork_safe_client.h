// A ForkSafeClient is a Client that keeps working in a process that forks:
// pre-forking servers (Puma, Unicorn, gunicorn), job runners that fork per
// job (Resque), and the Ruby and Python bindings, which call its fork hooks
// from their languages' own.
//
// A plain Client cannot be used on both sides of a fork(): the child has
// the parent's memory but none of its threads (the writer thread, the
// store's), and an embedded store is held by one process. So in the child
// a ForkSafeClient opens a client of its own in place of the parent's:
//   - on DynamoDB, and on a cctv server (http://), the same store, with
//     its own connections and writer thread;
//   - on the embedded store (rocksdb:), the parent's store, through the
//     parent: before its first fork the parent serves its store on a
//     loopback port, with a key only its children know, and each child
//     writes and reads through that server. A child's flush() returns once
//     the parent's store holds (and has synced) what it recorded. The
//     parent must outlive its children, as the masters of Puma, Unicorn
//     and Resque do: a child whose parent is gone cannot write.
// Nothing is lost and nothing is written twice: what the parent queued
// before the fork stays the parent's to write, and the child drops its
// copy of that queue unwritten. Ids stay unique: a child draws new ones.
//
// A child of a process that has opened an embedded store ends, at exit(),
// before the static objects it copied from its parent are destroyed
// (RocksDB's thread pools, whose threads stayed in the parent): exit
// handlers the child registers, and its language's (Ruby's at_exit,
// Python's atexit), run; those the parent registered do not. stdio is
// flushed.
//
// The child's side happens by itself, in a pthread_atfork handler: in
// every child, however it was forked (a language's fork, Process.daemon,
// a C library's fork()). What needs a call is the parent's side on the
// embedded store: call prepare_fork() before fork() whenever children will
// use the store, as the Ruby and Python bindings' fork hooks do. A child
// forked without it opens the embedded store itself on first use, which
// fails while the parent holds it (and works once the parent is gone, as
// after Process.daemon).
//
// Safe for concurrent use from many threads.
#ifndef CCTV_FORK_SAFE_CLIENT_H_
#define CCTV_FORK_SAFE_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "cctv/client.h"
#include "cctv/dynamo_options.h"
#include "cctv/export.h"
#include "cctv/options.h"

namespace cctv {

namespace internal {
class StoreSharing;
}

class CCTV_EXPORT ForkSafeClient {
 public:
  // As Client::open(), and throws what it throws.
  static std::shared_ptr<ForkSafeClient> open(std::string_view uri,
                                              const ClientOptions& options = {});
  static std::shared_ptr<ForkSafeClient> open(const DynamoOptions& dynamo,
                                              const ClientOptions& options = {});

  ForkSafeClient(const ForkSafeClient&) = delete;
  ForkSafeClient& operator=(const ForkSafeClient&) = delete;
  // Closes (see close()), logging instead of throwing.
  ~ForkSafeClient();

  // The client of this process: the one opened, or in a child the one
  // opened in its stead, on the child's first call. Trackers made from the
  // parent's client must be made again in the child: generation() tells a
  // caller that keeps them. Throws what opening the child's client threw
  // (the next call tries again), and Error once closed.
  Client& client() {
    if (Client* current = current_.load(std::memory_order_acquire)) return *current;
    return open_in_child();
  }

  // Starts at 0; a child's is one more than its parent's was at the fork.
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  // Stops serving children (the embedded store), then closes the client
  // (Client::close(): writes everything accepted). Idempotent. Throws
  // what Client::close() throws.
  void close();

  // Starts serving each open writable embedded store to the children to
  // come, if it does not yet (see the file comment). Holds no lock when it
  // returns. A store that cannot be served (no loopback port) is logged,
  // not thrown: the fork goes ahead, and that store's children get
  // StoreError when they use it.
  static void prepare_fork() noexcept;

 private:
  struct Opener;
  ForkSafeClient(std::unique_ptr<Opener> opener, Client client);
  static std::shared_ptr<ForkSafeClient> registered(std::unique_ptr<Opener> opener);
  Client& open_in_child();
  void forget_in_child() noexcept;
  // The pthread_atfork handlers: inside fork(), so that no other code of
  // this process runs while they hold every client's lock.
  static void lock_for_fork() noexcept;
  static void unlock_in_parent() noexcept;
  static void forget_in_child_process() noexcept;

  std::unique_ptr<Opener> opener_;  // how to open this store again; guarded by mu_
  // Heap-held, so that a child can leave its parent's client unclosed and
  // undestroyed: its threads are not the child's to join. Null in a child
  // until its first call.
  std::atomic<Client*> current_;
  std::mutex mu_;
  std::unique_ptr<internal::StoreSharing> sharing_;  // guarded by mu_
  std::atomic<std::uint64_t> generation_{0};
  bool closed_ = false;  // guarded by mu_
};

}  // namespace cctv

#endif  // CCTV_FORK_SAFE_CLIENT_H_
