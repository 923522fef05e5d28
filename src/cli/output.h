// Printing activities: an aligned table for people, JSON, NDJSON or CSV for
// programs.
#ifndef CCTV_CLI_OUTPUT_H_
#define CCTV_CLI_OUTPUT_H_

#include <cstdio>
#include <string>
#include <vector>

#include "cctv/cctv.h"

namespace cctv::cli {

enum class Format { kTable, kJson, kNdjson, kCsv };

// "table", "json", "ndjson" or "csv". Throws InvalidArgument.
Format parse_format(const std::string& text);

// Prints the activities of one view, given page by page. JSON and NDJSON
// stream; the table and CSV need every row to choose their columns, so they
// print at finish().
class ViewPrinter {
 public:
  ViewPrinter(Format format, std::FILE* out);
  void add(const std::vector<Activity>& activities);
  // Ends the output. `next_cursor` is empty at the last page.
  void finish(const std::string& next_cursor);

 private:
  void write(const std::string& text);
  void print_table();
  void print_csv();

  const Format format_;
  std::FILE* const out_;
  bool first_ = true;
  std::vector<Activity> rows_;  // table and CSV only
  std::string line_;
};

// `text` as one CSV field: quoted when it holds a comma, quote or newline.
std::string csv_field(const std::string& text);

// 1234567 -> "1,234,567", for counts people read.
std::string with_commas(std::uint64_t n);

// "activity" for 1, "activities" otherwise.
inline const char* activities_word(std::uint64_t n) { return n == 1 ? "activity" : "activities"; }

// Writes `text` to `out`; throws Error when the write fails (disk full).
void write_all(std::FILE* out, const std::string& text);

}  // namespace cctv::cli

#endif  // CCTV_CLI_OUTPUT_H_
