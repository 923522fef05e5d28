// cctv::ForkSafeClient (cctv/fork_safe_client.h).
#include "cctv/fork_safe_client.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "cctv/error.h"
#include "fork/store_sharing.h"
#include "store/embedded/rocks_store.h"

namespace cctv {

// How to open the store once more, in a child.
struct ForkSafeClient::Opener {
  std::string uri;
  std::optional<DynamoOptions> dynamo;  // set: opened with these, not `uri`
  ClientOptions options;

  // Held by this process alone: a child must go through it.
  bool embedded_for_writing() const {
    return !dynamo && uri.starts_with("rocksdb:") && !options.read_only;
  }
  Client open() const {
    return dynamo ? Client::open(*dynamo, options) : Client::open(uri, options);
  }
};

namespace {

// Every open ForkSafeClient, for the fork handlers, which hold this lock
// and every client's across fork() itself, so that no client opens,
// closes or is in the middle of anything when the process forks.
std::mutex& registry_mu() {
  static std::mutex mu;
  return mu;
}
std::vector<ForkSafeClient*>& registry() {
  static std::vector<ForkSafeClient*> clients;
  return clients;
}
// A child of a process that opened an embedded store has copies of RocksDB's
// static objects (its default environment and thread pools) whose threads
// stayed in the parent: destroying them at exit would join threads the
// child does not have, and abort it. So the child's exit stops short of
// them: registered in the child, this runs before every exit handler the
// parent registered, flushes stdio and ends the process with its status.
// Handlers registered later -- the child's own -- and the language's own
// exit work (Ruby's at_exit, Python's atexit), which come first, still run.
void end_before_the_parents_statics(int status, void*) {
  std::fflush(nullptr);
  _exit(status);
}

}  // namespace

ForkSafeClient::ForkSafeClient(std::unique_ptr<Opener> opener, Client client)
    : opener_(std::move(opener)), current_(new Client(std::move(client))) {}

std::shared_ptr<ForkSafeClient> ForkSafeClient::open(std::string_view uri,
                                                     const ClientOptions& options) {
  return registered(std::make_unique<Opener>(Opener{std::string(uri), std::nullopt, options}));
}

std::shared_ptr<ForkSafeClient> ForkSafeClient::open(const DynamoOptions& dynamo,
                                                     const ClientOptions& options) {
  return registered(std::make_unique<Opener>(Opener{"", dynamo, options}));
}

std::shared_ptr<ForkSafeClient> ForkSafeClient::registered(std::unique_ptr<Opener> opener) {
  static const bool handlers = [] {
    pthread_atfork(lock_for_fork, unlock_in_parent, forget_in_child_process);
    return true;
  }();
  static_cast<void>(handlers);
  Client client = opener->open();
  std::shared_ptr<ForkSafeClient> opened(new ForkSafeClient(std::move(opener), std::move(client)));
  std::lock_guard lock(registry_mu());
  registry().push_back(opened.get());
  return opened;
}

ForkSafeClient::~ForkSafeClient() {
  {
    std::lock_guard lock(registry_mu());
    auto& clients = registry();
    clients.erase(std::remove(clients.begin(), clients.end(), this), clients.end());
  }
  try {
    close();
  } catch (const std::exception& e) {
    spdlog::error("closing {}: {}", opener_->dynamo ? "DynamoDB" : opener_->uri, e.what());
  }
  delete current_.load();
}

Client& ForkSafeClient::open_in_child() {
  std::lock_guard lock(mu_);
  if (Client* current = current_.load(std::memory_order_acquire)) return *current;
  if (closed_) throw Error("this client is closed; open another");
  auto* opened = new Client(opener_->open());
  current_.store(opened, std::memory_order_release);
  return *opened;
}

void ForkSafeClient::close() {
  std::unique_ptr<internal::StoreSharing> sharing;
  Client* current = nullptr;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    sharing = std::move(sharing_);
    current = current_.load(std::memory_order_acquire);
  }
  // Children's requests in flight are answered before the store closes.
  sharing.reset();
  if (current != nullptr) current->close();
}

void ForkSafeClient::forget_in_child() noexcept {
  if (sharing_) {
    // The parent serves its store to this child: the child's client, and
    // its own children's, go through that server.
    sharing_->forget_in_child();
    ClientOptions options = opener_->options;
    options.api_key = sharing_->key();
    opener_ = std::make_unique<Opener>(Opener{sharing_->url(), std::nullopt, options});
    static_cast<void>(sharing_.release());  // the parent's: left as it is
  }
  // The parent's client is left as it is, unclosed and undestroyed: its
  // queue is the parent's to write, and its threads are not here to join.
  current_.store(nullptr, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

void ForkSafeClient::prepare_fork() noexcept {
  std::lock_guard registry_lock(registry_mu());
  for (ForkSafeClient* c : registry()) {
    std::lock_guard lock(c->mu_);
    Client* current = c->current_.load(std::memory_order_acquire);
    if (c->closed_ || c->sharing_ || current == nullptr || !c->opener_->embedded_for_writing())
      continue;
    try {
      c->sharing_ = std::make_unique<internal::StoreSharing>(*current);
    } catch (const std::exception& e) {
      spdlog::warn("{}; children will not reach this store", e.what());
    }
  }
}

void ForkSafeClient::lock_for_fork() noexcept {
  registry_mu().lock();
  for (ForkSafeClient* c : registry()) c->mu_.lock();
}

void ForkSafeClient::unlock_in_parent() noexcept {
  for (ForkSafeClient* c : registry()) c->mu_.unlock();
  registry_mu().unlock();
}

void ForkSafeClient::forget_in_child_process() noexcept {
  // The child has one thread, this one, which took every lock before the
  // fork: the child's copies are held by it and released here.
  for (ForkSafeClient* c : registry()) {
    c->forget_in_child();
    c->mu_.unlock();
  }
  registry_mu().unlock();
  static bool ends_early = false;
  if (store::embedded::RocksStore::opened_in_this_process() && !ends_early) {
    ends_early = true;
    on_exit(end_before_the_parents_statics, nullptr);
  }
}

}  // namespace cctv
