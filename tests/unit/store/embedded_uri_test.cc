#include "store/embedded/embedded_uri.h"

#include <gtest/gtest.h>

#include "cctv/error.h"

namespace cctv::store::embedded {
namespace {

TEST(EmbeddedUri, PathAndTuning) {
  EXPECT_EQ(parse_embedded_uri("rocksdb:./cctv-data").path, "./cctv-data");
  EXPECT_EQ(parse_embedded_uri("rocksdb:///var/lib/cctv").path, "/var/lib/cctv");
  const EmbeddedOptions o = parse_embedded_uri(
      "rocksdb:/data?memtable_mb=64&cache_mb=32&db_options=max_background_jobs%3D4&cf_options=num_levels=5");
  EXPECT_EQ(o.path, "/data");
  EXPECT_EQ(o.memtable_mb, 64u);
  EXPECT_EQ(o.cache_mb, 32u);
  EXPECT_EQ(o.db_options, "max_background_jobs=4");
  EXPECT_EQ(o.cf_options, "num_levels=5");
}

TEST(EmbeddedUri, ClearErrors) {
  for (const auto& [uri, part] : std::vector<std::pair<std::string, std::string>>{
           {"rocksdb:", "names no directory"},
           {"rocksdb:/d?cache_mb=0", "whole number from 1"},
           {"rocksdb:/d?colour=red", "unknown parameter 'colour'"},
           {"rocksdb:/d?cache_mb", "has no value"},
           {"rocksdb:/d?db_options=%zz", "bad percent-encoding"}}) {
    try {
      parse_embedded_uri(uri);
      ADD_FAILURE() << uri;
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.field(), "store URI");
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace cctv::store::embedded
