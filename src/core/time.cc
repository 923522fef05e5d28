// Parsing and formatting of times (cctv/time.h).
#include "cctv/time.h"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "cctv/error.h"
#include "core/coding.h"

namespace cctv {

namespace {

using std::chrono::days;
using std::chrono::floor;

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr const char* kForms =
    "use ISO 8601 (2026-11-01 or 2026-11-01T10:00:00Z), epoch seconds (1790000000) "
    "or a relative time (now, today, -30m, -1h, -7d)";

[[noreturn]] void fail(std::string_view field, std::string_view text, const std::string& why) {
  throw InvalidArgument(std::string(field), "'" + std::string(text) + "' " + why);
}

Timestamp check_range(Timestamp t, std::string_view field, std::string_view text) {
  if (t < kMinTime || t >= kMaxTime) {
    fail(field, text,
         "is outside the times a store can hold (1970-01-01T00:00:00Z up to "
         "2286-11-20T17:46:40Z)");
  }
  return t;
}

// A small cursor over the text being parsed.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return pos_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // Reads exactly `n` digits.
  std::optional<int> digits(int n) {
    if (pos_ + n > s_.size()) return std::nullopt;
    int v = 0;
    for (int i = 0; i < n; ++i) {
      const char c = s_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    return v;
  }
  // Reads one or more digits as a fraction of a second, in microseconds;
  // digits past the sixth are truncated.
  std::optional<std::int64_t> fraction() {
    std::int64_t micros = 0;
    int count = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(peek()))) {
      if (count < 6) micros = micros * 10 + (peek() - '0');
      ++count;
      ++pos_;
    }
    if (count == 0) return std::nullopt;
    for (int i = count; i < 6; ++i) micros *= 10;
    return micros;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Whether `s` is `word` (given in lower case), in any case. Cheaper than
// lower() on every time a batch carries.
bool is_word(std::string_view s, std::string_view word) {
  if (s.size() != word.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != word[i]) return false;
  }
  return true;
}

// "-30m", "7d", "+1h": a signed count of a unit. Unsigned means ago.
std::optional<Timestamp> parse_relative(std::string_view s, Timestamp reference) {
  if (s.size() < 2) return std::nullopt;
  int sign = -1;
  if (s.front() == '+' || s.front() == '-') {
    sign = s.front() == '+' ? 1 : -1;
    s.remove_prefix(1);
  }
  // The sign was taken above: a count of digits only ("--5m" is no time,
  // and a negative count cannot slip past the cap below).
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  std::int64_t count = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), count);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  const std::string unit = lower(std::string_view(end, s.data() + s.size() - end));
  std::int64_t seconds;
  if (unit == "s" || unit == "sec" || unit == "secs") {
    seconds = 1;
  } else if (unit == "m" || unit == "min" || unit == "mins") {
    seconds = 60;
  } else if (unit == "h" || unit == "hr" || unit == "hrs") {
    seconds = 3600;
  } else if (unit == "d" || unit == "day" || unit == "days") {
    seconds = 86400;
  } else if (unit == "w" || unit == "week" || unit == "weeks") {
    seconds = 7LL * 86400;
  } else {
    return std::nullopt;
  }
  // Anything beyond ~300 years is outside the store's range anyway; capping
  // here keeps the multiplication from overflowing.
  constexpr std::int64_t kMaxSeconds = 400LL * 366 * 86400;
  if (count > kMaxSeconds / seconds) count = kMaxSeconds / seconds + 1;
  return reference + Microseconds(sign * count * seconds * kMicrosPerSecond);
}

// "1790000000" or "1790000000.25".
std::optional<Timestamp> parse_epoch(std::string_view s, std::string_view field) {
  Scanner in(s);
  std::int64_t seconds = 0;
  int digits = 0;
  while (!in.done() && std::isdigit(static_cast<unsigned char>(in.peek()))) {
    if (digits < 18) seconds = seconds * 10 + (in.peek() - '0');
    ++digits;
    in.take(in.peek());
  }
  if (digits == 0) return std::nullopt;
  std::int64_t micros = 0;
  if (in.take('.')) {
    auto f = in.fraction();
    if (!f) return std::nullopt;
    micros = *f;
  }
  if (!in.done()) return std::nullopt;
  if (digits > 10) {
    std::string hint = digits >= 12 && digits <= 13   ? " (epoch milliseconds? divide by 1000)"
                       : digits >= 15 && digits <= 16 ? " (epoch microseconds? divide by 10^6)"
                                                      : "";
    fail(field, s, "is too large for epoch seconds" + hint);
  }
  return Timestamp(Microseconds(seconds * kMicrosPerSecond + micros));
}

// ISO 8601 / RFC 3339: date, optional time, optional offset.
std::optional<Timestamp> parse_iso(std::string_view s, std::string_view field) {
  Scanner in(s);
  auto year = in.digits(4);
  if (!year || !in.take('-')) return std::nullopt;
  auto month = in.digits(2);
  if (!month || !in.take('-')) return std::nullopt;
  auto day = in.digits(2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*year),
                                        std::chrono::month(static_cast<unsigned>(*month)),
                                        std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) fail(field, s, "is not a calendar date");
  std::int64_t micros = 0;
  if (in.take('T') || in.take('t') || in.take(' ')) {
    auto hour = in.digits(2);
    if (!hour || !in.take(':')) return std::nullopt;
    auto minute = in.digits(2);
    if (!minute) return std::nullopt;
    int second = 0;
    std::int64_t fraction = 0;
    if (in.take(':')) {
      auto sec = in.digits(2);
      if (!sec) return std::nullopt;
      second = *sec;
      if (in.take('.') || in.take(',')) {
        auto f = in.fraction();
        if (!f) return std::nullopt;
        fraction = *f;
      }
    }
    if (*hour > 23 || *minute > 59 || second > 59)
      fail(field, s, "has an out-of-range time of day");
    micros = ((*hour * 60LL + *minute) * 60 + second) * kMicrosPerSecond + fraction;
    if (in.take('Z') || in.take('z')) {
      // UTC
    } else if (in.peek() == '+' || in.peek() == '-') {
      const int sign = in.peek() == '+' ? 1 : -1;
      in.take(in.peek());
      auto oh = in.digits(2);
      if (!oh) return std::nullopt;
      int om = 0;
      if (in.take(':')) {
        auto m = in.digits(2);
        if (!m) return std::nullopt;
        om = *m;
      } else if (!in.done()) {
        auto m = in.digits(2);
        if (!m) return std::nullopt;
        om = *m;
      }
      if (*oh > 23 || om > 59) fail(field, s, "has an out-of-range UTC offset");
      micros -= sign * (*oh * 3600LL + om * 60LL) * kMicrosPerSecond;
    }
  }
  if (!in.done()) return std::nullopt;
  const auto day_start = std::chrono::sys_days(ymd);
  return Timestamp(std::chrono::duration_cast<Microseconds>(day_start.time_since_epoch()) +
                   Microseconds(micros));
}

}  // namespace

Timestamp now() noexcept {
  return std::chrono::time_point_cast<Microseconds>(std::chrono::system_clock::now());
}

TimeRange TimeRange::last(Microseconds span) noexcept {
  const Timestamp t = now();
  return {t - span, t + Microseconds(1)};
}

Timestamp parse_time(std::string_view text, Timestamp reference, std::string_view field) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) throw InvalidArgument(std::string(field), std::string("is empty; ") + kForms);

  if (is_word(s, "now")) return check_range(reference, field, text);
  if (is_word(s, "today") || is_word(s, "yesterday")) {
    auto day = floor<days>(reference);
    if (is_word(s, "yesterday")) day -= days(1);
    return check_range(Timestamp(day), field, text);
  }
  if (auto t = parse_relative(s, reference)) return check_range(*t, field, text);
  if (auto t = parse_epoch(s, field)) return check_range(*t, field, text);
  if (auto t = parse_iso(s, field)) return check_range(*t, field, text);
  fail(field, text, std::string("is not a time; ") + kForms);
}

std::string format_time(Timestamp t) {
  const auto day = floor<days>(t);
  const std::chrono::year_month_day ymd(day);
  std::int64_t micros = (t - day).count();
  const std::int64_t fraction = micros % kMicrosPerSecond;
  std::int64_t seconds = micros / kMicrosPerSecond;
  char buf[32];
  char* p = buf;
  p = core::put_digits(p, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  *p++ = '-';
  p = core::put_digits(p, static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  p = core::put_digits(p, static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  p = core::put_digits(p, static_cast<std::uint64_t>(seconds / 3600), 2);
  *p++ = ':';
  p = core::put_digits(p, static_cast<std::uint64_t>(seconds / 60 % 60), 2);
  *p++ = ':';
  p = core::put_digits(p, static_cast<std::uint64_t>(seconds % 60), 2);
  *p++ = '.';
  p = core::put_digits(p, static_cast<std::uint64_t>(fraction), 6);
  *p++ = 'Z';
  return std::string(buf, p);
}

std::chrono::seconds parse_duration(std::string_view text, std::string_view field) {
  const std::string quoted = "'" + std::string(text) + "'";
  if (text == "forever" || text == "0") return std::chrono::seconds(0);
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits + 1 != text.size() || digits > 9) {
    throw InvalidArgument(std::string(field),
                          quoted + " must be a number and a unit -- 30m, 12h, 90d, 2w, 1y -- or forever");
  }
  const std::int64_t n = std::stoll(std::string(text.substr(0, digits)));
  switch (text.back()) {
    case 's': return std::chrono::seconds(n);
    case 'm': return std::chrono::seconds(n * 60);
    case 'h': return std::chrono::seconds(n * 3600);
    case 'd': return std::chrono::seconds(n * 86400);
    case 'w': return std::chrono::seconds(n * 7 * 86400);
    case 'y': return std::chrono::seconds(n * 365 * 86400);
    default:
      throw InvalidArgument(std::string(field),
                            quoted + " must end in s, m, h, d, w or y (seconds, minutes, hours, days, weeks, years)");
  }
}

}  // namespace cctv
