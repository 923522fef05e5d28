// A progress line on the terminal for long commands (import). Draws only
// when standard error is a terminal, at most ten times a second.
#ifndef CCTV_CLI_PROGRESS_H_
#define CCTV_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace cctv::cli {

class Progress {
 public:
  // `total_bytes` is 0 when the size is unknown (a pipe).
  Progress(std::string label, std::uint64_t total_bytes);
  // Cheap to call for every line.
  void update(std::uint64_t bytes, std::uint64_t items);
  // Clears the line.
  void finish();

 private:
  void draw(std::uint64_t bytes, std::uint64_t items);

  const std::string label_;
  const std::uint64_t total_bytes_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::uint64_t calls_ = 0;
};

}  // namespace cctv::cli

#endif  // CCTV_CLI_PROGRESS_H_
