# Third-party libraries, all from Debian's -dev packages (scripts/install-deps).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)

# RocksDB: Debian's CMake package config drags in gflags and friends that
# only its static library needs, so find the shared library directly.
find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h REQUIRED)
find_library(ROCKSDB_LIBRARY NAMES rocksdb REQUIRED)
add_library(cctv::rocksdb INTERFACE IMPORTED)
target_include_directories(cctv::rocksdb SYSTEM INTERFACE ${ROCKSDB_INCLUDE_DIR})
target_link_libraries(cctv::rocksdb INTERFACE ${ROCKSDB_LIBRARY})

# RapidJSON is header-only.
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(cctv::rapidjson INTERFACE IMPORTED)
target_include_directories(cctv::rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
target_compile_definitions(cctv::rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
