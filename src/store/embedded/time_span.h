// Each SST file of an index records the span of activity times it holds, so
// that a view over a time range skips whole files outside it.
//
// Files are flushed roughly in time order, so a view of recent activity --
// the usual monitoring question -- needs only the newest files; the rest are
// skipped before any of their blocks are read.
#ifndef CCTV_STORE_EMBEDDED_TIME_SPAN_H_
#define CCTV_STORE_EMBEDDED_TIME_SPAN_H_

#include <rocksdb/table_properties.h>

#include <cstdint>
#include <memory>

namespace cctv::store::embedded {

// Makes the collector that writes the span into each new SST file.
std::shared_ptr<rocksdb::TablePropertiesCollectorFactory> time_span_collector_factory();

// True when a file with these properties may hold an activity with
// from_us <= time < to_us (always true for files without a recorded span).
bool may_overlap(const rocksdb::TableProperties& properties, std::int64_t from_us, std::int64_t to_us);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_TIME_SPAN_H_
