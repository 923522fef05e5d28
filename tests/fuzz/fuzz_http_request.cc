// The HTTP request path of `cctv serve` below its sockets: bytes parsed by
// Beast's request parser as a connection reads them, then the framing
// check, the router (check_header: route, method, Host, keys) and the
// handler, against a real embedded store in a temporary directory. Any
// request must get an answer (or be refused), never a crash or a 500.
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cctv/cctv.h"
#include "server/api.h"
#include "server/deferred_answer.h"
#include "server/framing.h"

namespace http = boost::beast::http;
using cctv::server::Api;

namespace {

// One store and one API for the whole run, a table with activities in it.
struct World {
  std::string dir;
  cctv::Client client;
  cctv::server::ServerOptions options;
  std::unique_ptr<Api> api;

  static std::string make_dir() {
    char pattern[] = "/tmp/cctv-fuzz-http-XXXXXX";
    return ::mkdtemp(pattern);
  }
  World() : dir(make_dir()), client(cctv::Client::open("rocksdb:" + dir + "/store?counts_mb=16")) {
    options.auto_create = false;  // one table: the run's disk use stays small
    options.max_items = 100;
    options.max_body_bytes = 64 << 10;
    cctv::Tracker t = client.tracker("fuzz");
    for (int i = 0; i < 100; ++i) t.record_activity("bob", "/x", {{"i", i}});
    client.flush();
    api = std::make_unique<Api>(client, options, std::nullopt, true);
  }
  ~World() {
    // The client first: its writer thread may still be answering a POST
    // into the API's metrics; closed, every answer has been given.
    client.close();
    api.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(w.options.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& request = parser.get();
  if (cctv::server::framing_fault(request.base())) return 0;
  Api::Admitted admitted;
  if (w.api->check_header(request, admitted)) return 0;
  if (!parser.is_done()) return 0;
  // Tables are not made or dropped: one store serves the whole run, and a
  // table made per input would grow it without end.
  if (request.method() == http::verb::delete_ ||
      (request.method() == http::verb::post && request.target().starts_with("/v1/tables"))) {
    return 0;
  }
  auto later = std::make_shared<cctv::server::DeferredAnswer>([](cctv::server::Response) {});
  std::optional<cctv::server::Response> response =
      w.api->handle(request, std::move(admitted), later);
  if (response && response->result() == http::status::internal_server_error) __builtin_trap();
  return 0;
}
