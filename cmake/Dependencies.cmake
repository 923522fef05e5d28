# Third-party libraries, all from Debian's -dev packages (scripts/install-deps).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
# Boost: header-only Asio and Beast (the DynamoDB client's HTTP and TLS).
find_package(Boost 1.74 REQUIRED)

# RocksDB: Debian's CMake package config drags in gflags and friends that
# only its static library needs, so find the shared library directly.
find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h REQUIRED)
find_library(ROCKSDB_LIBRARY NAMES rocksdb REQUIRED)
add_library(cctv::rocksdb INTERFACE IMPORTED)
target_include_directories(cctv::rocksdb SYSTEM INTERFACE ${ROCKSDB_INCLUDE_DIR})
target_link_libraries(cctv::rocksdb INTERFACE ${ROCKSDB_LIBRARY})

# The same RocksDB as a static archive, for the `cctv` binary and the tests.
# Linked into an executable, RocksDB's thread-locals (its perf counters, read
# on every key comparison) use the initial-exec TLS model instead of a
# __tls_get_addr call each: about a tenth of ingest CPU (measured with perf).
# libcctv.so keeps the shared library: the archive's local-exec TLS cannot go
# into a shared object. So does a ThreadSanitizer build: RocksDB is not
# instrumented, and TSan can be told to ignore what it does
# (tests/tsan.supp) only when it is a library of its own.
find_library(ROCKSDB_STATIC_LIBRARY NAMES librocksdb.a)
if(ROCKSDB_STATIC_LIBRARY AND NOT CCTV_TSAN)
  find_library(SNAPPY_LIBRARY snappy REQUIRED)
  find_library(LZ4_LIBRARY lz4 REQUIRED)
  find_library(ZSTD_LIBRARY zstd REQUIRED)
  find_library(BZ2_LIBRARY bz2 REQUIRED)
  find_library(Z_LIBRARY z REQUIRED)
  add_library(cctv::rocksdb_static INTERFACE IMPORTED)
  target_include_directories(cctv::rocksdb_static SYSTEM INTERFACE ${ROCKSDB_INCLUDE_DIR})
  target_link_libraries(cctv::rocksdb_static INTERFACE ${ROCKSDB_STATIC_LIBRARY} ${SNAPPY_LIBRARY}
                        ${LZ4_LIBRARY} ${ZSTD_LIBRARY} ${BZ2_LIBRARY} ${Z_LIBRARY} Threads::Threads
                        ${CMAKE_DL_LIBS})
else()
  add_library(cctv::rocksdb_static ALIAS cctv::rocksdb)
endif()

# RapidJSON is header-only.
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(cctv::rapidjson INTERFACE IMPORTED)
target_include_directories(cctv::rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
target_compile_definitions(cctv::rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
