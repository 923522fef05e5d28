#include "store/embedded/table_check.h"

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "cctv/error.h"

namespace cctv::store::embedded {

namespace {

constexpr const char* kLedger = "cctv-checked";

// A file as the ledger knows it: its name, size and modification time.
std::string fingerprint(const std::string& dir, const std::string& name) {
  struct stat st {};
  if (::stat((dir + "/" + name).c_str(), &st) != 0) return "";
  return name + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

std::set<std::string> read_ledger(const std::string& dir) {
  std::set<std::string> lines;
  std::ifstream in(dir + "/" + kLedger);
  for (std::string line; std::getline(in, line);) lines.insert(line);
  return lines;
}

void write_ledger(const std::string& dir, const std::vector<std::string>& fingerprints) {
  const std::string path = dir + "/" + kLedger;
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    for (const auto& f : fingerprints) {
      if (!f.empty()) out << f << '\n';
    }
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      return;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) std::remove(temporary.c_str());
}

// The table files the store in `dir` uses, without changing anything (a
// read-only open; not best_efforts_recovery, which a read-only open of
// Debian's asserting RocksDB aborts on); nullopt when that open fails. Only
// asked when a file fails its check: the open replays the log.
std::optional<std::set<std::string>> live_table_files(const std::string& dir) {
  rocksdb::DBOptions options;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords;
  // As the store is written (rocks_store.cc): a read-only open without it
  // of a store whose MANIFEST tracks its logs trips an assertion.
  options.track_and_verify_wals_in_manifest = true;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(options, dir, &names).ok()) return std::nullopt;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &raw).ok())
    return std::nullopt;
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  std::set<std::string> live;
  for (const auto& f : files) live.insert(f.relative_filename);
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  return live;
}

}  // namespace

void check_table_files(const std::string& dir, const std::string& location) {
  const std::set<std::string> vouched = read_ledger(dir);
  std::vector<std::pair<std::string, std::string>> damaged;  // file, what is wrong
  std::error_code ec;
  rocksdb::Options options;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".sst") || vouched.count(fingerprint(dir, name))) continue;
    rocksdb::SstFileReader reader(options);
    rocksdb::Status status = reader.Open(entry.path().string());
    if (status.ok()) status = reader.VerifyChecksum();
    if (!status.ok()) damaged.emplace_back(name, status.ToString());
  }
  if (damaged.empty()) return;
  const auto live = live_table_files(dir);
  for (const auto& [name, what] : damaged) {
    if (live && !live->count(name)) continue;  // left over, and deleted at open
    throw StoreError("the store at " + location + " is damaged: table file " + name +
                     " fails its checksum (" + what +
                     "). It was not opened; its files were left as they are. Run `cctv --store " +
                     location +
                     " repair` to salvage what is readable, or restore the directory "
                     "from a backup");
  }
}

void record_table_files(rocksdb::DB& db, const std::string& dir) {
  std::vector<rocksdb::LiveFileMetaData> files;
  db.GetLiveFilesMetaData(&files);
  std::vector<std::string> fingerprints;
  fingerprints.reserve(files.size());
  for (const auto& f : files) fingerprints.push_back(fingerprint(dir, f.relative_filename));
  write_ledger(dir, fingerprints);
}

}  // namespace cctv::store::embedded
