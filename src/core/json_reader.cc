#include "core/json_reader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

#include "cctv/error.h"
#include "core/utf8.h"

namespace cctv::core {

namespace {

// Iterative: hostile nesting costs heap, not stack. Numbers as text: see the
// header. UTF-8 is validated by the builder (core/utf8.h, eight ASCII bytes
// at a time, and stricter: RapidJSON lets "\udc00" through as a lone
// surrogate); RapidJSON's own validation, a call per byte, took a quarter of
// the parsing time.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

// A fault found while building, with where it lies (set before the reader
// is told to stop, and turned into an exception after it returns).
struct Fault {
  std::string path;  // "cart.items[2]", or "" at the top
  std::string rule;
};

// Receives the reader's events and builds the Value they describe.
class ValueBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ValueBuilder> {
 public:
  ValueBuilder() { frames_.reserve(8); }

  bool Null() { return put(Value()); }
  bool Bool(bool b) { return put(Value(b)); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    try {
      return put(number_from_text(std::string_view(text, length), ""));
    } catch (const InvalidArgument& e) {
      // The rule without the empty field's ": " prefix.
      return fail(std::string(e.what()).substr(2));
    }
  }
  bool String(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    const std::string_view s(text, length);
    if (!valid(s)) return false;
    return put(Value(std::string(s)));
  }
  bool StartObject() {
    Map map;
    map.reserve(8);  // growing one entry at a time cost a fifth of parsing
    return open(Value(std::move(map)));
  }
  bool Key(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    const std::string_view key(text, length);
    if (!valid(key)) return false;
    // The entry is made now and its value filled in by put().
    frames_.back().value.as_map().emplace_back(std::string(key), Value());
    frames_.back().awaiting_value = true;
    return true;
  }
  bool EndObject(rapidjson::SizeType /*members*/) {
    if (auto repeated = repeated_key(frames_.back().value.as_map())) {
      return fail("key '" + shorten(*repeated) + "' appears more than once");
    }
    return close();
  }
  bool StartArray() { return open(Value(List())); }
  bool EndArray(rapidjson::SizeType /*elements*/) { return close(); }

  Value take() { return std::move(result_); }
  const std::optional<Fault>& fault() const { return fault_; }

 private:
  struct Frame {
    Value value;                  // the list or map being filled
    bool awaiting_value = false;  // a map whose last key has no value yet
  };

  bool valid(std::string_view text) {
    const std::size_t bad = find_invalid_utf8(text);
    if (bad == std::string_view::npos) return true;
    return fail("string is not valid UTF-8 (bad byte at offset " + std::to_string(bad) + ")");
  }

  bool put(Value v) {
    if (frames_.empty()) {
      result_ = std::move(v);
      return true;
    }
    Frame& f = frames_.back();
    if (f.value.is_map()) {
      f.value.as_map().back().second = std::move(v);
      f.awaiting_value = false;
    } else {
      f.value.as_list().push_back(std::move(v));
    }
    return true;
  }

  bool open(Value container) {
    if (static_cast<int>(frames_.size()) >= kMaxJsonDepth) {
      return fail("nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    frames_.push_back(Frame{std::move(container)});
    return true;
  }

  bool close() {
    Value done = std::move(frames_.back().value);
    frames_.pop_back();
    return put(std::move(done));
  }

  // The first key of `map` that an earlier one repeats, if any.
  static std::optional<std::string> repeated_key(const Map& map) {
    if (map.size() < 2) return std::nullopt;
    if (map.size() <= 16) {
      for (std::size_t i = 1; i < map.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (map[i].first == map[j].first) return map[i].first;
        }
      }
      return std::nullopt;
    }
    std::vector<std::string_view> names;
    names.reserve(map.size());
    for (const auto& entry : map) names.emplace_back(entry.first);
    std::sort(names.begin(), names.end());
    const auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup == names.end()) return std::nullopt;
    return std::string(*dup);
  }

  // Records `rule` at the current position and stops the reader.
  bool fail(std::string rule) {
    std::string path;
    for (const Frame& f : frames_) {
      if (f.value.is_map()) {
        // Inside a map: under its last key, unless that key's value is
        // what broke the rule (a repeated key names itself).
        if (!f.awaiting_value && &f == &frames_.back()) break;
        if (f.value.as_map().empty()) break;
        path += (path.empty() ? "" : ".") + f.value.as_map().back().first;
      } else {
        path += "[" + std::to_string(f.value.as_list().size()) + "]";
      }
    }
    fault_ = Fault{std::move(path), std::move(rule)};
    return false;
  }

  std::vector<Frame> frames_;
  Value result_;
  std::optional<Fault> fault_;
};

}  // namespace

std::string shorten(std::string_view text, std::size_t most) {
  if (text.size() <= most) return std::string(text);
  std::size_t cut = most;
  // Not inside a UTF-8 sequence: messages end up in JSON answers.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

Value number_from_text(std::string_view text, std::string_view field) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (text.find_first_of(".eE") == std::string_view::npos) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(first, last, n);
    if (ec == std::errc() && end == last) return Value(n);
    if (ec == std::errc::result_out_of_range) {
      throw InvalidArgument(std::string(field),
                            "integer " + shorten(text) +
                                " is outside the 64-bit signed range (-9223372036854775808 to "
                                "9223372036854775807); send it as a string");
    }
  } else {
    double d = 0;
    const auto [end, ec] = std::from_chars(first, last, d);
    if (ec == std::errc() && end == last) return Value(d);
    if (ec == std::errc::result_out_of_range) {
      throw InvalidArgument(std::string(field),
                            "number " + shorten(text) +
                                " is outside the range of a double (magnitudes about 1e-308 to "
                                "1e308); send it as a string");
    }
  }
  throw InvalidArgument(std::string(field), "'" + shorten(text) + "' is not a JSON number");
}

Value read_json(std::string_view json, std::string_view field, FaultNaming naming) {
  ValueBuilder builder;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(json.data(), json.size());
  const rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, builder);
  if (result) {
    // The reader takes a NUL byte for the end of its input.
    if (stream.Tell() != json.size()) {
      throw InvalidArgument(std::string(field),
                            "is not valid JSON: a NUL byte follows the value (at byte " +
                                std::to_string(stream.Tell()) + ")");
    }
    return builder.take();
  }
  if (const auto& fault = builder.fault()) {
    std::string name(field);
    std::string path = fault->path;
    // A top-level array ("[2].x") has no key to name: the field stays.
    if (naming == FaultNaming::kByTopKey && !path.empty() && path[0] != '[') {
      // "attributes.cart[2]": the field is "attributes", the rest a path in it.
      const std::size_t end = std::min(path.find('.'), path.find('['));
      name = shorten(path.substr(0, end));
      path = end == std::string::npos ? "" : path.substr(end + (path[end] == '.' ? 1 : 0));
    }
    std::string rule = fault->rule;
    if (!path.empty()) rule = "at '" + shorten(path, 200) + "': " + rule;
    throw InvalidArgument(std::move(name), rule);
  }
  throw InvalidArgument(std::string(field), std::string("is not valid JSON: ") +
                                                rapidjson::GetParseError_En(result.Code()) +
                                                " (at byte " + std::to_string(result.Offset()) +
                                                ")");
}

}  // namespace cctv::core
