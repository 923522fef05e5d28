// Turning command-line words into library values.
#ifndef CCTV_CLI_ARGS_H_
#define CCTV_CLI_ARGS_H_

#include <string>
#include <vector>

#include "cctv/cctv.h"

namespace cctv::cli {

// Parses KEY=VALUE and KEY:=JSON words into attributes. A VALUE that reads
// as a JSON number, true, false or null is typed; anything else is a string.
// Throws InvalidArgument naming the word.
Attributes parse_attributes(const std::vector<std::string>& words);

// The range [from, to) from optional --from/--to texts: from defaults to
// the beginning of time, to to `default_to`. Relative times count from
// `reference` (now).
TimeRange parse_range(const std::string& from, const std::string& to, Timestamp reference,
                      Timestamp default_to);

// "newest" or "oldest".
Order parse_order(const std::string& text);

// Opens the store for reading: works beside a process that is writing it.
// An embedded store a `cctv serve` holds is read through that server
// (Client::serving_url()), which says so on stderr.
Client open_for_reading(const std::string& store);
// Opens the store for writing; `enqueue_timeout` is how long a record may
// wait on a full queue. An embedded store a `cctv serve` holds is written
// through that server, as for reading.
Client open_for_writing(const std::string& store,
                        std::chrono::milliseconds enqueue_timeout = std::chrono::seconds(5));

}  // namespace cctv::cli

#endif  // CCTV_CLI_ARGS_H_
