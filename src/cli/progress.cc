#include "cli/progress.h"

#include "cli/output.h"

#include <unistd.h>

#include <cstdio>

namespace cctv::cli {

namespace {

constexpr int kBarWidth = 30;

}  // namespace

Progress::Progress(std::string label, std::uint64_t total_bytes, std::function<Done()> done,
                   std::string noun)
    : label_(std::move(label)),
      total_bytes_(total_bytes),
      done_(std::move(done)),
      noun_(std::move(noun)),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::update(std::uint64_t bytes) {
  // Reading the clock for every line would cost more than the line.
  if (!enabled_ || ++calls_ % 256 != 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(bytes);
}

void Progress::draw(std::uint64_t bytes) {
  const Done done_items = done_();
  const std::uint64_t items = done_items.items;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const auto rate =
      static_cast<std::uint64_t>(seconds > 0 ? static_cast<double>(items) / seconds : 0);
  std::string line = "\r" + label_ + " ";
  if (total_bytes_ > 0) {
    // The input read, scaled by the share of what was taken in that is
    // done: at 100% every item is done, not merely read.
    const double read = static_cast<double>(bytes) / static_cast<double>(total_bytes_);
    const double share =
        done_items.of == 0 ? 0 : static_cast<double>(items) / static_cast<double>(done_items.of);
    const double done = std::min(1.0, read * share);
    const int filled = static_cast<int>(done * kBarWidth);
    line += "[" + std::string(filled, '#') + std::string(kBarWidth - filled, ' ') + "] ";
    line += std::to_string(static_cast<int>(done * 100)) + "%  ";
  }
  line += with_commas(items) + " " + noun_ + "  " + with_commas(rate) + "/s\x1b[K";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
}

}  // namespace cctv::cli
