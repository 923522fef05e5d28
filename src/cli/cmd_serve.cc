// cctv serve [--listen HOST:PORT] [--api-keys FILE] [--insecure]
//            [--no-auto-create] [limits...]
#include <cstdio>

#include "cctv/cctv.h"
#include "cli/command.h"
#include "cli/output.h"
#include "server/server.h"

namespace cctv::cli {

namespace {

struct ServeArgs {
  server::ServerOptions options;
  bool no_auto_create = false;
  std::size_t idle_timeout_s = 60;
  std::size_t request_timeout_s = 30;
  std::size_t drain_timeout_s = 10;
  std::size_t enqueue_timeout_ms = 1000;
  std::size_t ack_timeout_s = 30;
};

void run_serve(const Globals& globals, ServeArgs args) {
  server::ServerOptions& options = args.options;
  options.auto_create = !args.no_auto_create;
  options.idle_timeout = std::chrono::seconds(args.idle_timeout_s);
  options.request_timeout = std::chrono::seconds(args.request_timeout_s);
  options.drain_timeout = std::chrono::seconds(args.drain_timeout_s);
  options.enqueue_timeout = std::chrono::milliseconds(args.enqueue_timeout_ms);
  options.ack_timeout = std::chrono::seconds(args.ack_timeout_s);
  server::parse_listen(options.listen);  // a bad address says so before the store opens
  const auto at_least = [](std::size_t value, std::size_t min, const char* flag) {
    if (value < min) throw InvalidArgument(flag, "must be at least " + std::to_string(min));
  };
  at_least(options.max_body_bytes, 1024, "--max-body-bytes");
  at_least(options.max_items, 1, "--max-items");
  at_least(options.max_header_bytes, 1024, "--max-header-bytes");
  if (options.max_header_bytes > (std::size_t{1} << 20)) {
    throw InvalidArgument("--max-header-bytes", "must be at most 1048576");
  }
  at_least(options.max_connections, 1, "--max-connections");
  at_least(options.max_queued, 1, "--max-queued");
  at_least(args.idle_timeout_s, 1, "--idle-timeout");
  at_least(args.request_timeout_s, 1, "--request-timeout");
  at_least(args.ack_timeout_s, 1, "--ack-timeout");
  if (args.ack_timeout_s > 86400)
    throw InvalidArgument("--ack-timeout", "must be at most 86400 seconds");
  if (args.drain_timeout_s > 86400) throw InvalidArgument("--drain-timeout", "must be at most 86400 seconds");

  ClientOptions client_options;
  client_options.create_tables = options.auto_create;
  client_options.enqueue_timeout = options.enqueue_timeout;
  client_options.max_queued_activities = options.max_queued;
  Client client = Client::open(globals.store, client_options);
  server::Server server(client, options);
  std::printf("cctv serve: %s/ (the dashboard; the API under /v1) on %s\n", server.url().c_str(),
              globals.store.c_str());
  if (!server.has_api_keys()) {
    std::printf("cctv serve: no --api-keys: anyone who can reach %s may read, write and drop tables%s\n",
                server.url().c_str(),
                server.loopback() ? " (this machine only)" : "; it is reachable from other machines (--insecure)");
  }
  // Where the `cctv` command, run beside this server, finds it.
  client.advertise(server.local_url());
  std::fflush(stdout);
  server.run();
  // What is queued is written before exiting; run() left SIGTERM and
  // Ctrl-C ignored so that a second one cannot cut that short.
  const Metrics before = client.metrics();
  std::printf("cctv serve: stopping; writing the %llu %s still queued (SIGKILL would lose them)\n",
              static_cast<unsigned long long>(before.queue_depth), activities_word(before.queue_depth));
  std::fflush(stdout);
  client.close();
  std::printf("cctv serve: stopped; %llu %s accepted, all written\n",
              static_cast<unsigned long long>(before.accepted), activities_word(before.accepted));
}

}  // namespace

void add_serve_command(CLI::App& app, Globals& globals) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the HTTP API and the dashboard");
  auto& o = args->options;
  cmd->add_option("--listen", o.listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  cmd->add_option("--api-keys", o.api_keys_file, "File of lines KEY SCOPE[,SCOPE] (scopes read, write, admin)");
  cmd->add_flag("--insecure", o.insecure, "Allow a non-loopback --listen without --api-keys");
  cmd->add_flag("--no-auto-create", args->no_auto_create, "Refuse writes to tables that do not exist (404)");
  cmd->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body (413 past it)")->capture_default_str();
  cmd->add_option("--max-items", o.max_items, "Most activities in one request (413 past it)")->capture_default_str();
  cmd->add_option("--max-header-bytes", o.max_header_bytes, "Largest request line and headers (431 past it)")
      ->capture_default_str();
  cmd->add_option("--max-connections", o.max_connections, "Most connections open at once (503 past it)")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", args->idle_timeout_s, "Seconds a keep-alive connection may wait idle")
      ->capture_default_str();
  cmd->add_option("--request-timeout", args->request_timeout_s,
                  "Seconds a request may take to arrive whole (slow clients get 408)")
      ->capture_default_str();
  cmd->add_option("--enqueue-timeout-ms", args->enqueue_timeout_ms,
                  "How long a write waits for room in a full queue before 503")
      ->capture_default_str();
  cmd->add_option("--max-queued", o.max_queued, "Most activities waiting to be written (then 503)")
      ->capture_default_str();
  cmd->add_flag(
      "--sync", o.sync,
      "Sync each write to disk before answering 202, so a power loss loses no acknowledged "
      "activity (a request can ask with ?sync=true)");
  cmd->add_option(
         "--ack-timeout", args->ack_timeout_s,
         "Seconds a POST waits for the store to hold its activities before 503 (they stay queued)")
      ->capture_default_str();
  cmd->add_option("--drain-timeout", args->drain_timeout_s, "Seconds requests in flight get to finish on SIGTERM")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Serving threads (0: two per core, at least four)")->capture_default_str();
  cmd->callback([&globals, args] { run_serve(globals, *args); });
}

}  // namespace cctv::cli
