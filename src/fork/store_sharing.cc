#include "fork/store_sharing.h"

#include <spdlog/spdlog.h>

#include "cctv/error.h"
#include "server/api_keys.h"

namespace cctv::internal {

namespace {

server::ServerOptions sharing_options(const std::string& key) {
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.api_keys_text = key + " read,write,admin";
  // The application's signals are its own.
  options.handle_signals = false;
  // A few children's writers and views at once; each request waits on the
  // store, not on the CPU.
  options.threads = 4;
  return options;
}

}  // namespace

StoreSharing::StoreSharing(Client& client) {
  const std::string line = server::new_key_line("read,write,admin");
  key_ = line.substr(0, line.find(' '));
  try {
    server_ = std::make_unique<server::Server>(client, sharing_options(key_));
  } catch (const Error& e) {
    throw StoreError("cannot serve " + client.uri() + " to this process's children: " + e.what());
  }
  url_ = server_->local_url();
  serving_ = std::thread([this] {
    try {
      server_->run();
    } catch (const std::exception& e) {
      spdlog::error("serving the embedded store to child processes stopped: {}", e.what());
    }
  });
}

StoreSharing::~StoreSharing() {
  server_->stop();
  serving_.join();
}

}  // namespace cctv::internal
