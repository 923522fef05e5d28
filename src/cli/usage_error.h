// What the `cctv` command says when its command line cannot be parsed: one
// line, "cctv: …", naming the command, what is wrong, and where the help
// is, for the parser's own messages as for the commands'.
#ifndef CCTV_CLI_USAGE_ERROR_H_
#define CCTV_CLI_USAGE_ERROR_H_

#include <CLI/CLI.hpp>
#include <string>

namespace cctv::cli {

// The line (without "cctv: " and the newline) for `error`, raised while
// parsing `app`'s command line. Call after app.parse() threw.
std::string usage_error(const CLI::App& app, const CLI::ParseError& error);

}  // namespace cctv::cli

#endif  // CCTV_CLI_USAGE_ERROR_H_
