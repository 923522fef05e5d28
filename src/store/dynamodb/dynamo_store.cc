// The DynamoDB store: opening, credentials, and what its parts share.
#include "store/dynamodb/dynamo_store.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <thread>
#include <unordered_map>

#include "cctv/error.h"
#include "cctv/table.h"
#include "core/bucket.h"
#include "core/coding.h"
#include "core/validate.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/sort_key.h"

namespace cctv::store::dynamodb {

RequestEngine::Options DynamoStore::engine_options(const DynamoOptions& options) {
  RequestEngine::Options out;
  out.concurrency = options.concurrency;
  out.policy.request_timeout = options.request_timeout;
  out.refresh_credentials = [this] { renew_credentials(); };
  out.indexes_of = [this](std::string_view remote) {
    std::lock_guard lock(mu_);
    for (const Table& t : tables_) {
      if (t.remote_name == remote) return t.has_actor_index ? 1 : 0;
    }
    return 0;
  };
  return out;
}

DynamoStore::DynamoStore(const DynamoOptions& options, AwsConfig config, std::string location,
                         bool read_only, Environment env, std::function<Timestamp()> clock)
    : options_(options),
      location_(std::move(location)),
      read_only_(read_only),
      env_(std::move(env)),
      clock_(std::move(clock)),
      engine_(std::move(config), engine_options(options)),
      counts_(engine_,
              [this](const std::string& remote) { return create_counts_if_live(remote); }) {
  // Both layouts: a table's marker says which holds which hours.
  if (options_.counts) {
    minute_counts_ = std::make_unique<MinuteCounts>(
        engine_, [this] { return now_us(); }, options_.writer_timeout.count());
  }
  if (read_only_ || !options_.counts) return;
  // Per-target counts every second; minute items every 30 s (how late
  // counts are without a flush: the longer, the fewer items, since a busy
  // target's minute is one record however many writes it took); the
  // compactor a turn every 10 s, which one process at a time takes.
  counts_writer_ =
      std::make_unique<PeriodicTask>(std::chrono::seconds(1), [this, tick = 0]() mutable {
        ++tick;
        // The compactor runs whether or not this writer could write:
        // other writers' minutes wait for it.
        std::exception_ptr failure;
        try {
          counts_.flush([this](std::uint32_t t) { return counts_target(table(t)); }, false);
          if (tick % 30 == 0) {
            flush_counts(false);
          } else {
            minute_counts_->heartbeat();
          }
        } catch (...) {
          failure = std::current_exception();
        }
        if (tick % 10 == 0) compact_counts();
        if (failure) std::rethrow_exception(failure);
      });
}

namespace {

constexpr int kFinalCountsRounds = 8;

}  // namespace

void DynamoStore::flush_counts(bool final) {
  auto table_of = [this](std::uint32_t t) { return counts_target(table(t)); };
  counts_.flush(table_of, final);
  if (minute_counts_) {
    // A round of sends gives up early (minute items must land before their
    // minute is folded; what fails is checked and moved by the next round),
    // so a final flush -- sync(), close -- takes a few rounds before it
    // gives up.
    for (int round = 1;; ++round) {
      try {
        minute_counts_->flush(table_of);
        return;
      } catch (const StoreError&) {
        if (!final || round >= kFinalCountsRounds) throw;
        std::this_thread::sleep_for(backoff_delay(engine_.policy(), round));
      }
    }
  }
}

void DynamoStore::compact_counts() {
  std::vector<Table> live;
  {
    std::lock_guard lock(mu_);
    for (const Table& t : tables_) {
      if (t.live && t.minutes_from != kMinutesNever) live.push_back(t);
    }
  }
  // One table's failure does not hold up the others'; the first is
  // reported.
  std::exception_ptr failure;
  for (const Table& t : live) {
    try {
      minute_counts_->compact(counts_target(t).remote, t.options.counts_retention.count());
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

void DynamoStore::abandon_counts() {
  pause_counts_task();
  if (minute_counts_) minute_counts_->abandon();
}

void DynamoStore::on_compactor_stage(std::function<void(MinuteCounts::RoundStage)> hook) {
  if (minute_counts_) minute_counts_->on_round_stage(std::move(hook));
}

void DynamoStore::pause_counts_task() {
  if (counts_writer_) counts_writer_->stop();
}

bool DynamoStore::compact_counts_now(std::string_view name) {
  const auto handle = find_table(name);
  if (!handle || !minute_counts_) return false;
  flush_counts(true);
  const Table t = table(*handle);
  return minute_counts_->compact(counts_target(t).remote, t.options.counts_retention.count());
}

DynamoStore::~DynamoStore() {
  if (!counts_writer_) return;
  counts_writer_->stop();
  try {
    flush_counts(true);
    minute_counts_->retire();
  } catch (const std::exception& e) {
    spdlog::error(
        "{}: the counts of the last activities were not written: {}; `cctv counts rebuild` "
        "recounts them",
        location_, e.what());
  }
}

std::unique_ptr<DynamoStore> DynamoStore::open(const DynamoOptions& options, std::string location,
                                               bool read_only, const Environment& env,
                                               std::function<Timestamp()> clock) {
  for (char c : options.table_prefix) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
    if (!ok) {
      throw InvalidArgument(
          "table_prefix",
          "'" + options.table_prefix + "' may only hold A-Z a-z 0-9 _ . - (DynamoDB's rule)");
    }
  }
  if (options.concurrency < 1 || options.concurrency > 256) {
    throw InvalidArgument("concurrency",
                          "must be 1 to 256, got " + std::to_string(options.concurrency));
  }
  if (options.billing == Billing::kProvisioned &&
      (options.read_capacity < 1 || options.write_capacity < 1)) {
    throw InvalidArgument("rcu/wcu",
                          "provisioned billing needs read and write capacity of at least 1");
  }
  return std::unique_ptr<DynamoStore>(new DynamoStore(options, resolve_aws_config(options, env),
                                                      std::move(location), read_only, env,
                                                      std::move(clock)));
}

void DynamoStore::sync() {
  if (read_only_ || !options_.counts) return;
  flush_counts(true);
  // A later flush wrote what a failed one kept; the failure is still news.
  if (const std::string error = counts_writer_ ? counts_writer_->take_error() : "";
      !error.empty()) {
    spdlog::warn("{}: writing counts failed earlier and succeeded since: {}", location_, error);
  }
}

void DynamoStore::renew_credentials() {
  {
    std::lock_guard lock(renew_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_renewal_ < std::chrono::seconds(1)) return;
    last_renewal_ = now;
  }
  Credentials found;
  try {
    found = resolve_aws_config(options_, env_).credentials;
  } catch (const std::exception& e) {
    spdlog::warn("{}: DynamoDB refused the credentials, and looking for them again failed: {}",
                 location_, e.what());
    return;
  }
  const Credentials used = engine_.credentials();
  if (found.access_key_id == used.access_key_id &&
      found.secret_access_key == used.secret_access_key &&
      found.session_token == used.session_token) {
    return;
  }
  engine_.set_credentials(found);
  spdlog::info("{}: signing with renewed credentials from {} (access key {})", location_,
               found.source, redact_key_id(found.access_key_id));
}

std::int64_t DynamoStore::now_us() const {
  return (clock_ ? clock_() : cctv::now()).time_since_epoch().count();
}

std::int64_t DynamoStore::horizon_us(std::chrono::seconds kept) const {
  if (kept.count() <= 0) return 0;
  return std::max<std::int64_t>(0, now_us() - kept.count() * 1'000'000);
}

CountsTarget DynamoStore::counts_target(const Table& table) const {
  return CountsTarget{table.remote_name + std::string(kCountsSuffix),
                      table.options.counts_retention.count(), table.live};
}

void DynamoStore::check_writable(const char* what) const {
  if (read_only_) {
    throw StoreError("cannot " + std::string(what) + ": " + location_ +
                     " is open read-only; open it without read_only");
  }
}

std::string DynamoStore::missing_table(std::string_view name) const {
  return "table '" + std::string(name) + "' (DynamoDB table '" + options_.table_prefix +
         std::string(name) + "') does not exist in " + engine_.where() +
         "; create it with `cctv --store '" + location_ + "' tables create " + std::string(name) +
         "`";
}

void DynamoStore::not_found(std::string_view name) const { throw NotFound(missing_table(name)); }

rapidjson::Document DynamoStore::call_on_table(std::string_view operation, const std::string& body,
                                               std::string_view name) {
  try {
    return engine_.call(operation, body);
  } catch (const RequestError& e) {
    if (e.type() == "ResourceNotFoundException") not_found(name);
    throw;
  }
}

void DynamoStore::mark_live(std::string_view name, bool has_actor_index,
                            const TableOptions& options, std::int64_t minutes_from) {
  std::lock_guard lock(mu_);
  const TableHandle handle = intern(name);
  tables_[handle].live = true;
  tables_[handle].has_actor_index = has_actor_index;
  tables_[handle].options = options;
  tables_[handle].minutes_from = minutes_from;
}

TableHandle DynamoStore::intern(std::string_view name) {
  // REQUIRES: mu_ held.
  auto it = handles_.find(name);
  if (it != handles_.end()) return it->second;
  const auto handle = static_cast<TableHandle>(tables_.size());
  tables_.push_back(
      Table{std::string(name), options_.table_prefix + std::string(name), false, false, {}});
  handles_.emplace(std::string(name), handle);
  return handle;
}

DynamoStore::Table DynamoStore::table(TableHandle handle) {
  std::lock_guard lock(mu_);
  return tables_.at(handle);
}

std::int64_t DynamoStore::minutes_from(TableHandle handle) {
  std::lock_guard lock(mu_);
  return tables_.at(handle).minutes_from;
}

DynamoStore::Sides DynamoStore::sides_of(const Table& t, Bucket bucket, std::int64_t first,
                                         std::size_t n) {
  const std::int64_t width = core::bucket_width_us(bucket) / 60'000'000;  // minutes
  const std::int64_t first_minute = first * width;
  const std::int64_t end_minute = (first + static_cast<std::int64_t>(n)) * width;
  const std::int64_t marker_minute = t.minutes_from * 60;
  Sides sides;
  sides.per_target = first_minute < marker_minute;
  sides.by_minute = end_minute > marker_minute;
  return sides;
}

DynamoStore::Table DynamoStore::live_table(TableHandle handle) {
  Table t = table(handle);
  if (!t.live) not_found(t.name);
  return t;
}

void DynamoStore::check_counting(const Table& t) const {
  if (!options_.counts) {
    throw StoreError("counts are off in " + location_ +
                     " (counts=off); open the store without counts=off, then "
                     "rebuild the counts of table '" +
                     t.name + "' for what was written meanwhile");
  }
}

}  // namespace cctv::store::dynamodb
