// `cctv record`'s KEY=VALUE and KEY:=JSON words: newline-separated words
// in, attributes or a refusal out, never a crash; what is accepted records.
#include <cstdint>
#include <string>
#include <vector>

#include "cctv/error.h"
#include "cli/args.h"
#include "core/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> words;
  std::string word;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(static_cast<char>(data[i]));
    }
  }
  words.push_back(std::move(word));
  try {
    const cctv::Attributes attributes = cctv::cli::parse_attributes(words);
    std::string encoded;
    cctv::core::check_and_encode("bob", "/x", attributes, cctv::parse_time("2026-11-01"), encoded);
  } catch (const cctv::InvalidArgument&) {
  }
  return 0;
}
