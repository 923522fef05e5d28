#include "cli/usage_error.h"

#include <string>
#include <vector>

namespace cctv::cli {

namespace {

// The commands the parse reached: {"tables", "create"} for
// `cctv tables create …`; empty when it stopped before the first.
std::vector<const CLI::App*> reached(const CLI::App& app) {
  std::vector<const CLI::App*> path;
  const CLI::App* at = &app;
  for (;;) {
    const std::vector<CLI::App*> chosen = at->get_subcommands();
    if (chosen.empty()) return path;
    at = chosen.front();
    path.push_back(at);
  }
}

std::string names_of(const CLI::App& app) {
  std::string out;
  const std::vector<const CLI::App*> subs = app.get_subcommands({});
  for (std::size_t i = 0; i < subs.size(); ++i) {
    if (i > 0) out += i + 1 == subs.size() ? " or " : ", ";
    out += subs[i]->get_name();
  }
  return out;
}

// The parser's message on one line, starting lower case as the commands'
// own messages do.
std::string one_line(std::string text) {
  for (std::size_t at; (at = text.find('\n')) != std::string::npos;) text.replace(at, 1, "; ");
  while (!text.empty() && (text.back() == ' ' || text.back() == ';')) text.pop_back();
  if (text.size() > 1 && text[0] >= 'A' && text[0] <= 'Z' && !(text[1] >= 'A' && text[1] <= 'Z'))
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

}  // namespace

std::string usage_error(const CLI::App& app, const CLI::ParseError& error) {
  const std::vector<const CLI::App*> path = reached(app);
  const CLI::App& last = path.empty() ? app : *path.back();
  std::string command = "cctv";
  for (const CLI::App* sub : path) command += " " + sub->get_name();
  const std::string help = "see `" + command + " --help`";
  const std::string where = path.empty() ? std::string() : command.substr(5) + ": ";

  const std::vector<std::string> remaining = app.remaining(true);
  if (path.empty() && !remaining.empty()) {
    return "unknown command '" + remaining.front() + "'; the commands are " + names_of(app) +
           " (cctv --help)";
  }
  const std::string what = error.what();
  if (what.find("A subcommand is required") != std::string::npos ||
      what.find("subcommand required") != std::string::npos) {
    return where + "give a command: " + names_of(last) + "; " + help;
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    const std::string extra = what.substr(what.find(": ") + 2);
    const std::string commands =
        last.get_subcommands({}).empty() ? "" : "; the commands here are " + names_of(last);
    return where + "'" + extra + "' is not expected here" + commands + "; " + help;
  }
  if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    // "Could not convert: --limit = abc"
    const std::size_t colon = what.find(": ");
    const std::size_t equals = what.find(" = ");
    if (colon != std::string::npos && equals != std::string::npos && equals > colon) {
      return where + what.substr(colon + 2, equals - colon - 2) + ": '" + what.substr(equals + 3) +
             "' is not a number; " + help;
    }
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr &&
      what.find(" missing") != std::string::npos) {
    // "--from: 1 required TEXT missing"
    return where + what.substr(0, what.find(':')) + ": needs a value; " + help;
  }
  return where + one_line(what) + "; " + help;
}

}  // namespace cctv::cli
