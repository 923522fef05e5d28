// cctv::Client (cctv/client.h).
#include "cctv/client.h"

#include <spdlog/spdlog.h>

#include "cctv/error.h"
#include "core/validate.h"
#include "store/dynamodb/dynamo_uri.h"
#include "store/open_store.h"
#include "tracker/client_state.h"

namespace cctv {

Client::Client(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
Client::Client(Client&& other) noexcept = default;
Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    Client closing(std::move(*this));  // closes what this client held
    state_ = std::move(other.state_);
  }
  return *this;
}
Client::~Client() {
  if (!state_) return;  // moved from
  try {
    state_->close();
  } catch (const std::exception& e) {
    spdlog::error("closing {}: {}", state_->uri(), e.what());
  }
}

Client Client::open(std::string_view uri, const ClientOptions& options) {
  store::OpenOptions open_options;
  open_options.read_only = options.read_only;
  open_options.clock = options.clock;
  open_options.api_key = options.api_key;
  auto store = store::open_store(uri, open_options);
  return Client(
      std::make_shared<internal::ClientState>(std::string(uri), options, std::move(store)));
}

Client Client::open(const DynamoOptions& dynamo, const ClientOptions& options) {
  store::OpenOptions open_options;
  open_options.read_only = options.read_only;
  open_options.clock = options.clock;
  const std::string location = store::dynamodb::describe_dynamo(dynamo);
  auto store = store::open_dynamo_store(dynamo, location, open_options);
  return Client(std::make_shared<internal::ClientState>(location, options, std::move(store)));
}

Tracker Client::tracker(std::string_view table) {
  core::check_table_name(table);
  const store::TableHandle handle = state_->with_store([&](store::Store& s) {
    if (auto found = s.find_table(table)) return *found;
    if (state_->options().read_only || !state_->options().create_tables) {
      throw NotFound(s.missing_table(table));
    }
    if (auto later = s.created_by_first_write(table)) return *later;
    try {
      return s.create_table(table, TableOptions{});
    } catch (const AlreadyExists&) {
      // Another thread created it first.
      return *s.find_table(table);
    }
  });
  return Tracker(state_, std::string(table), handle);
}

std::vector<std::string> Client::tables() const {
  return state_->with_store([](store::Store& s) { return s.list_tables(); });
}

TableInfo Client::create_table(std::string_view name, const TableOptions& options) {
  core::check_table_name(name);
  core::check_table_options(options);
  return state_->with_store([&](store::Store& s) {
    s.create_table(name, options);
    return s.describe_table(name);
  });
}

void Client::alter_table(std::string_view name, const TableOptions& options) {
  core::check_table_name(name);
  core::check_table_options(options);
  state_->with_store([&](store::Store& s) { s.alter_table(name, options); });
}

void Client::apply_retention(std::string_view name) {
  core::check_table_name(name);
  state_->flush();
  state_->with_store([&](store::Store& s) { s.apply_retention(name); });
}

TableInfo Client::describe_table(std::string_view name) const {
  core::check_table_name(name);
  return state_->with_store([&](store::Store& s) { return s.describe_table(name); });
}

void Client::drop_table(std::string_view name) {
  core::check_table_name(name);
  // Write what is queued first, so no queued activity re-creates the table
  // right after the drop.
  state_->flush();
  state_->with_store([&](store::Store& s) { s.drop_table(name); });
}

void Client::flush() { state_->flush(); }

Metrics Client::metrics() const { return state_->metrics(); }

StoreHealth Client::health() const {
  return state_->with_store([](store::Store& s) { return s.health(); });
}

void Client::close() { state_->close(); }

void Client::advertise(std::string_view url) {
  state_->with_store([&](store::Store& s) { s.advertise(std::string(url)); });
}

std::optional<std::string> Client::serving_url(std::string_view uri) {
  return store::serving_url(uri);
}

const std::string& Client::uri() const noexcept { return state_->uri(); }

}  // namespace cctv
