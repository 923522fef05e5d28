// A progress line on the terminal for long commands (import): how much of
// the input is done, and how many items are done (an import: stored in the
// store, not merely read). Draws only when standard error is a terminal,
// at most ten times a second.
#ifndef CCTV_CLI_PROGRESS_H_
#define CCTV_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace cctv::cli {

class Progress {
 public:
  // How many items are done, and of how many taken in so far.
  struct Done {
    std::uint64_t items = 0;
    std::uint64_t of = 0;
  };
  // `total_bytes` is 0 when the size is unknown (a pipe). `done` is asked
  // only when the line is drawn; `noun` names the items ("stored").
  Progress(std::string label, std::uint64_t total_bytes, std::function<Done()> done,
           std::string noun);
  // `bytes` of the input read so far. Cheap to call for every line.
  void update(std::uint64_t bytes);
  // Clears the line.
  void finish();

 private:
  void draw(std::uint64_t bytes);

  const std::string label_;
  const std::uint64_t total_bytes_;
  const std::function<Done()> done_;
  const std::string noun_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::uint64_t calls_ = 0;
};

}  // namespace cctv::cli

#endif  // CCTV_CLI_PROGRESS_H_
