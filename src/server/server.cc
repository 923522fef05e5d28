#include "server/server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <thread>
#include <vector>

#include "cctv/error.h"
#include "server/listener.h"

namespace cctv::server {

namespace net = boost::asio;

std::pair<std::string, unsigned short> parse_listen(const std::string& listen) {
  const auto bad = [&](const std::string& why) {
    return InvalidArgument("--listen", "'" + listen + "' " + why);
  };
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) throw bad("must be HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty())
    throw bad("names no host; use 127.0.0.1:PORT, or 0.0.0.0:PORT for every interface");
  unsigned port = 0;
  const char* first = listen.data() + colon + 1;
  const char* last = listen.data() + listen.size();
  const auto [end, ec] = std::from_chars(first, last, port);
  if (first == last || ec != std::errc() || end != last || port > 65535)
    throw bad("has no port from 0 to 65535");
  return {host, static_cast<unsigned short>(port)};
}

namespace {

int serving_threads(const ServerOptions& options) {
  return options.threads > 0
             ? options.threads
             : std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

Server::Server(Client& client, const ServerOptions& options) : options_(options) {
  for (int i = 0; i < serving_threads(options_); ++i)
    ios_.push_back(std::make_unique<net::io_context>(1));
  const auto [host, port] = parse_listen(options_.listen);
  host_ = host;
  boost::system::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec)
    throw InvalidArgument("--listen",
                          "'" + host + "' is not an IP address; use e.g. 127.0.0.1 or 0.0.0.0");
  std::optional<ApiKeys> keys;
  if (!options_.api_keys_file.empty()) keys = ApiKeys::load(options_.api_keys_file);
  if (!options_.api_keys_text.empty()) {
    if (keys) throw InvalidArgument("--api-keys", "give keys in a file or in memory, not both");
    keys = ApiKeys::parse(options_.api_keys_text, "the server's keys");
  }
  has_keys_ = keys.has_value();
  loopback_ = address.is_loopback();
  if (!has_keys_ && !address.is_loopback() && !options_.insecure) {
    throw InvalidArgument(
        "--listen", host +
                        " is reachable from other machines and no --api-keys were given; give "
                        "--api-keys FILE, listen on 127.0.0.1, or pass --insecure to serve "
                        "anyone without keys");
  }
  api_ = std::make_unique<Api>(client, options_, std::move(keys), loopback_);
  std::vector<net::io_context*> serving;
  for (auto& io : ios_) serving.push_back(io.get());
  listener_ = std::make_shared<Listener>(std::move(serving), net::ip::tcp::endpoint(address, port),
                                         *api_, options_, sessions_);
}

Server::~Server() = default;

unsigned short Server::port() const { return listener_->port(); }

namespace {

std::string http_url(const std::string& host, unsigned short port) {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

std::string Server::url() const { return http_url(host_, port()); }

std::string Server::local_url() const {
  return http_url(host_ == "0.0.0.0" ? "127.0.0.1" : host_ == "::" ? "::1" : host_, port());
}

void Server::run() {
  net::io_context& main_io = *ios_.front();
  auto signals_holder = options_.handle_signals
                            ? std::make_unique<net::signal_set>(main_io, SIGINT, SIGTERM)
                            : std::make_unique<net::signal_set>(main_io);
  net::signal_set& signals = *signals_holder;
  // Threads whose io_context has no connection yet keep running.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  for (auto& io : ios_) keep_running.push_back(net::make_work_guard(*io));
  bool stopping = false;
  std::thread drain;
  // Runs on an io thread (a signal) or is posted there (stop()): once.
  auto begin_stop = [&] {
    if (stopping) return;
    stopping = true;
    boost::system::error_code ignored;
    signals.cancel(ignored);
    listener_->stop();
    sessions_.stop_all();
    drain = std::thread([this] {
      if (!sessions_.wait_until_empty(options_.drain_timeout)) {
        // Requests still waiting for the store are told now what they would
        // be told at --ack-timeout (what to send again), not left unanswered.
        sessions_.expire_waiting();
        sessions_.wait_until_empty(std::chrono::seconds(2));
      }
      for (auto& io : ios_) io->stop();
    });
  };
  {
    std::lock_guard lock(stop_mu_);
    stop_ = [&main_io, &begin_stop] { net::post(main_io, begin_stop); };
    if (stop_asked_) stop_();  // stop() came before run()
  }
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) begin_stop();
  });
  listener_->start();

  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < ios_.size(); ++i)
    pool.emplace_back([io = ios_[i].get()] { io->run(); });
  main_io.run();
  for (auto& t : pool) t.join();
  {
    std::lock_guard lock(stop_mu_);
    stop_ = nullptr;
  }
  if (drain.joinable()) drain.join();
  // Destroying the signal set restores the default actions; from here on
  // a second signal must not end the process while the caller writes what
  // is queued.
  signals_holder.reset();
  if (options_.handle_signals) {
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
  }
}

void Server::stop() {
  std::lock_guard lock(stop_mu_);
  stop_asked_ = true;
  if (stop_) stop_();
}

void Server::forget_in_child() noexcept { listener_->close_descriptor_in_child(); }

}  // namespace cctv::server
