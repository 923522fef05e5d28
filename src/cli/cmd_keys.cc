// cctv keys new --scope SCOPES [--append FILE]: makes an API key for
// `cctv serve --api-keys FILE`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "cctv/error.h"
#include "cli/command.h"
#include "server/api_keys.h"

namespace cctv::cli {

namespace {

struct KeysArgs {
  std::string scopes;
  std::string append;
};

// Appends `line` to `path`, creating it readable and writable by its owner
// only: the file holds the keys themselves.
void append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error("--append: cannot open " + path + ": " + std::strerror(errno));
  }
  const std::string text = line + "\n";
  const ssize_t wrote = ::write(fd, text.data(), text.size());
  const int write_errno = errno;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (wrote != static_cast<ssize_t>(text.size()) || !synced) {
    throw Error("--append: could not write the key to " + path + ": " +
                std::strerror(wrote < 0 ? write_errno : ENOSPC));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    std::fprintf(stderr,
                 "cctv: %s can be read by other users (mode %03o); `chmod 600 %s` keeps its keys "
                 "to you\n",
                 path.c_str(), static_cast<unsigned>(st.st_mode & 0777), path.c_str());
  }
}

void run_keys_new(const KeysArgs& args) {
  const std::string line = server::new_key_line(args.scopes);
  if (!args.append.empty()) append_line(args.append, line);
  std::printf("%s\n", line.c_str());
}

}  // namespace

void add_keys_command(CLI::App& app, Globals& /*globals*/) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* keys = app.add_subcommand("keys", "Make API keys for `cctv serve --api-keys`");
  keys->require_subcommand(1);
  CLI::App* make = keys->add_subcommand(
      "new", "Print a new key line, KEY SCOPES, for the file given to `cctv serve --api-keys`");
  make->add_option("--scope", args->scopes,
                   "What the key may do: read, write, admin (admin includes both), or a list, "
                   "read,write")
      ->required();
  make->add_option("--append", args->append,
                   "Also add the line to this key file (created readable by you alone)");
  make->callback([args] { run_keys_new(*args); });
}

}  // namespace cctv::cli
