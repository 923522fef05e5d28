// Settings of `cctv serve`: where it listens, who may call it, and the
// limits that keep one client from taking the server down. Plain struct;
// every default suits a server on one machine.
#ifndef CCTV_SERVER_SERVER_OPTIONS_H_
#define CCTV_SERVER_SERVER_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <string>

namespace cctv::server {

struct ServerOptions {
  // HOST:PORT to listen on; port 0 picks a free one (Server::port()).
  std::string listen = "127.0.0.1:8080";
  // File of API keys, a line each: KEY SCOPE[,SCOPE] (read, write, admin).
  // Empty: no keys, and the server listens on loopback only unless
  // `insecure`.
  std::string api_keys_file;
  // Keys given in memory instead, in the file's form (a server inside an
  // application, whose keys live no longer than it does).
  std::string api_keys_text;
  bool insecure = false;
  // Stop on SIGTERM and SIGINT (`cctv serve`). Off for a server inside an
  // application, whose signals are its own.
  bool handle_signals = true;
  // Create a table on its first write (POST .../activities).
  bool auto_create = true;

  std::size_t max_body_bytes = std::size_t{8} << 20;  // 413 past it
  std::size_t max_items = 10'000;                     // activities per request; 413 past it
  std::size_t max_header_bytes = 16 << 10;            // 431 past it
  std::size_t max_connections = 1'024;                // open at once; 503 past it
  // A keep-alive connection waiting for its next request is closed after
  // idle_timeout; a request must arrive whole (header and body) within
  // request_timeout of its first byte, so a slow client cannot hold a
  // connection forever.
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds request_timeout{30'000};
  // Threads serving connections (0: two per core, at least four). Views
  // and DynamoDB calls block the thread that runs them.
  int threads = 0;
  // Most activities waiting to be written (ClientOptions::
  // max_queued_activities of the server's client).
  std::size_t max_queued = 25'000;
  // How long a POST waits for room in a full ingest queue before it is
  // answered 503 with Retry-After.
  std::chrono::milliseconds enqueue_timeout{1'000};
  // A POST is answered once the store holds its activities (in RocksDB's
  // write-ahead log, or confirmed by DynamoDB). With `sync`, they are also
  // synced to disk first (a request can ask with ?sync=true). A store that
  // has not confirmed them after ack_timeout gets the request a 503 that
  // lists their ids for sending again.
  bool sync = false;
  std::chrono::milliseconds ack_timeout{30'000};
  // On SIGTERM/SIGINT, how long requests in flight get to finish.
  std::chrono::milliseconds drain_timeout{10'000};
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_SERVER_OPTIONS_H_
