#include "cli/output.h"

#include <algorithm>

namespace cctv::cli {

namespace {

// Cells wider than this are cut, for people; CSV and JSON keep everything.
constexpr std::size_t kMaxCellWidth = 48;

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

// Cuts `text` to at most `width` code points, marking the cut with "…".
std::string cut(const std::string& text, std::size_t width) {
  if (display_width(text) <= width) return text;
  std::string out;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts && ++seen == width) break;
    out.push_back(text[i]);
  }
  return out + "…";
}

// A value as a person reads it: strings bare, null empty, the rest as JSON.
std::string cell(const Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_null()) return "";
  return to_json(v);
}

// The attribute names of `rows`, in order of first appearance.
std::vector<std::string> attribute_columns(const std::vector<Activity>& rows) {
  std::vector<std::string> names;
  for (const Activity& a : rows) {
    for (const auto& entry : a.attributes) {
      if (std::find(names.begin(), names.end(), entry.first) == names.end()) {
        names.push_back(entry.first);
      }
    }
  }
  return names;
}

}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string with_commas(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

Format parse_format(const std::string& text) {
  if (text == "table") return Format::kTable;
  if (text == "json") return Format::kJson;
  if (text == "ndjson") return Format::kNdjson;
  if (text == "csv") return Format::kCsv;
  throw InvalidArgument("--format", "'" + text + "' must be table, json, ndjson or csv");
}

void write_all(std::FILE* out, const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size()) {
    throw Error("could not write the output (disk full or closed pipe?)");
  }
}

ViewPrinter::ViewPrinter(Format format, std::FILE* out) : format_(format), out_(out) {}

void ViewPrinter::write(const std::string& text) { write_all(out_, text); }

void ViewPrinter::add(const std::vector<Activity>& activities) {
  for (const Activity& a : activities) {
    switch (format_) {
      case Format::kJson:
        line_ = first_ ? "{\"activities\":[" : ",";
        append_json(a, line_);
        write(line_);
        break;
      case Format::kNdjson:
        line_.clear();
        append_json(a, line_);
        line_.push_back('\n');
        write(line_);
        break;
      case Format::kTable:
      case Format::kCsv:
        rows_.push_back(a);
        break;
    }
    first_ = false;
  }
}

void ViewPrinter::finish(const std::string& next_cursor) {
  switch (format_) {
    case Format::kJson: {
      std::string end = first_ ? "{\"activities\":[" : "";
      end += "],\"next_cursor\":";
      end += next_cursor.empty() ? "null" : to_json(Value(next_cursor));
      end += "}\n";
      write(end);
      return;
    }
    case Format::kNdjson:
      break;
    case Format::kTable:
      print_table();
      break;
    case Format::kCsv:
      print_csv();
      break;
  }
  if (!next_cursor.empty()) {
    std::fprintf(stderr, "more activities: add --cursor %s (or --all)\n", next_cursor.c_str());
  }
}

void ViewPrinter::print_table() {
  if (rows_.empty()) {
    std::fprintf(stderr, "no activities\n");
    return;
  }
  std::vector<std::string> header = {"TIME", "ACTOR", "TARGET"};
  const std::vector<std::string> names = attribute_columns(rows_);
  for (const auto& name : names) header.push_back(name);

  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows_.size());
  for (const Activity& a : rows_) {
    std::vector<std::string> row = {format_time(a.time), cut(a.actor, kMaxCellWidth),
                                    cut(a.target, kMaxCellWidth)};
    for (const auto& name : names) {
      const Value* v = find(a.attributes, name);
      row.push_back(v == nullptr ? "" : cut(cell(*v), kMaxCellWidth));
    }
    cells.push_back(std::move(row));
  }
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = display_width(header[c]);
    for (const auto& row : cells) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(widths[c] - display_width(row[c]) + 2, ' ');
    }
    line.push_back('\n');
    write(line);
  };
  print_row(header);
  for (const auto& row : cells) print_row(row);
}

void ViewPrinter::print_csv() {
  const std::vector<std::string> names = attribute_columns(rows_);
  std::string line = "time,actor,target,id";
  for (const auto& name : names) line += "," + csv_field(name);
  line += "\r\n";
  write(line);
  for (const Activity& a : rows_) {
    line = format_time(a.time) + "," + csv_field(a.actor) + "," + csv_field(a.target) + "," +
           format_id(a.id);
    for (const auto& name : names) {
      const Value* v = find(a.attributes, name);
      line += ",";
      if (v != nullptr) line += csv_field(cell(*v));
    }
    line += "\r\n";
    write(line);
  }
}

}  // namespace cctv::cli
