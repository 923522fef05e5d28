// Options for opening a Client. Plain struct; every field has a default
// that suits most applications.
#ifndef CCTV_OPTIONS_H_
#define CCTV_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "cctv/export.h"
#include "cctv/time.h"

namespace cctv {

struct CCTV_EXPORT ClientOptions {
  // Create a table the first time a tracker for it is asked for. When
  // false, Client::tracker() on a missing table throws NotFound.
  bool create_tables = true;

  // Open the store for reading only: recording and table changes throw.
  // On the embedded store this lets `cctv view` read a data directory that
  // another process (a running `cctv serve`) holds open for writing; it sees
  // what was written up to the moment it opened.
  bool read_only = false;

  // Most activities waiting in the ingest queue. When the queue is full,
  // record_activity() waits up to enqueue_timeout for room. It also bounds a
  // write batch: on the embedded store 25,000 measured faster than 10,000,
  // 50,000 or 100,000 (a batch's sort and inserts stay in cache), and it
  // keeps peak memory low.
  std::size_t max_queued_activities = 25'000;

  // Most bytes (encoded activities) waiting in the ingest queue. At least
  // 1 MiB, so that any single activity fits.
  std::size_t max_queued_bytes = std::size_t{64} << 20;

  // How long record_activity() waits for room in a full queue before it
  // throws Backpressure. Zero: throw at once.
  std::chrono::milliseconds enqueue_timeout{5000};

  // The API key sent to a cctv server (an http:// store), scope write
  // for recording, read for views. Empty: CCTV_API_KEY from the
  // environment, or none.
  std::string api_key;

  // What time it is, for retention (which activities and counts have
  // expired). Empty: the system clock. Tests set it to move time forward.
  std::function<Timestamp()> clock;
};

}  // namespace cctv

#endif  // CCTV_OPTIONS_H_
