// Cctv::Client: an open store, shared by the trackers made from it, that
// keeps working across fork (cctv/fork_safe_client.h); and the parent's
// side of a fork, which lib/cctv.rb calls from Process._fork.
#include <chrono>

#include "cctv_ruby.h"
#include "client_box.h"
#include "values.h"

namespace cctv::ruby {

VALUE cClient;

namespace {

void free_client(void* box) { delete static_cast<ClientBox*>(box); }

std::size_t client_size(const void*) { return sizeof(ClientBox); }

const rb_data_type_t kClientType = {
    "Cctv::Client", {nullptr, free_client, client_size, nullptr, {nullptr}}, nullptr, nullptr, 0};

// The queue's wait for room is the binding's to do, without the GVL
// (tracker.cc): the library's own wait would hold it.
ClientOptions library_options(bool read_only, const std::string& api_key) {
  ClientOptions options;
  options.read_only = read_only;
  options.api_key = api_key;
  options.enqueue_timeout = std::chrono::milliseconds(0);
  return options;
}

std::string optional_text(VALUE text, std::string_view field) {
  return NIL_P(text) ? std::string() : text_of(text, field);
}

std::chrono::milliseconds timeout_of(VALUE seconds) {
  if (NIL_P(seconds)) return std::chrono::milliseconds(5000);
  if (!RB_FLOAT_TYPE_P(seconds) && !RB_INTEGER_TYPE_P(seconds)) {
    throw InvalidArgument("enqueue_timeout", "must be a number of seconds");
  }
  const double value = NUM2DBL(seconds);
  if (!(value >= 0 && value <= 86'400)) {
    throw InvalidArgument("enqueue_timeout", "must be from 0 to 86400 seconds");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(value * 1000));
}

VALUE wrap(std::shared_ptr<ForkSafeClient> client, std::chrono::milliseconds enqueue_timeout) {
  auto* box = new ClientBox{std::move(client), enqueue_timeout};
  return TypedData_Wrap_Struct(cClient, &kClientType, box);
}

// Cctv::Client._open(uri, api_key, read_only, enqueue_timeout)
VALUE client_open(VALUE, VALUE uri, VALUE api_key, VALUE read_only, VALUE enqueue_timeout) {
  return guarded([&] {
    const std::string where = text_of(uri, "store");
    const ClientOptions options =
        library_options(RTEST(read_only), optional_text(api_key, "api_key"));
    const auto timeout = timeout_of(enqueue_timeout);
    auto client = without_gvl([&] { return ForkSafeClient::open(where, options); });
    return wrap(std::move(client), timeout);
  });
}

// Cctv::Client._open_dynamodb(settings, read_only, enqueue_timeout), where
// settings is a Hash of DynamoOptions' string fields (nil values skipped).
VALUE client_open_dynamodb(VALUE, VALUE settings, VALUE read_only, VALUE enqueue_timeout) {
  Check_Type(settings, T_HASH);
  return guarded([&] {
    DynamoOptions dynamo;
    const auto setting = [&](const char* name, std::string& field) {
      const VALUE value = rb_hash_lookup(settings, ID2SYM(rb_intern(name)));
      if (!NIL_P(value)) field = text_of(value, name);
    };
    setting("region", dynamo.region);
    setting("endpoint", dynamo.endpoint);
    setting("access_key_id", dynamo.access_key_id);
    setting("secret_access_key", dynamo.secret_access_key);
    setting("session_token", dynamo.session_token);
    setting("profile", dynamo.profile);
    setting("table_prefix", dynamo.table_prefix);
    const ClientOptions options = library_options(RTEST(read_only), "");
    const auto timeout = timeout_of(enqueue_timeout);
    auto client = without_gvl([&] { return ForkSafeClient::open(dynamo, options); });
    return wrap(std::move(client), timeout);
  });
}

VALUE client_flush(VALUE self) {
  return guarded([&] {
    std::shared_ptr<ForkSafeClient> client = client_box(self).client;
    without_gvl([&] { client->client().flush(); });
    return self;
  });
}

VALUE client_close(VALUE self) {
  return guarded([&] {
    std::shared_ptr<ForkSafeClient> client = client_box(self).client;
    without_gvl([&] { client->close(); });
    return Qnil;
  });
}

VALUE client_tables(VALUE self) {
  return guarded([&] {
    std::shared_ptr<ForkSafeClient> client = client_box(self).client;
    const auto names = without_gvl([&] { return client->client().tables(); });
    VALUE list = rb_ary_new_capa(static_cast<long>(names.size()));
    for (const std::string& name : names) rb_ary_push(list, ruby_string_of(name));
    return list;
  });
}

VALUE client_uri(VALUE self) {
  return guarded([&] { return ruby_string_of(client_box(self).client->client().uri()); });
}

VALUE prepare_fork(VALUE) {
  ForkSafeClient::prepare_fork();
  return Qnil;
}

}  // namespace

ClientBox& client_box(VALUE client) {
  return *static_cast<ClientBox*>(rb_check_typeddata(client, &kClientType));
}

void define_client() {
  cClient = rb_define_class_under(mCctv, "Client", rb_cObject);
  rb_gc_register_mark_object(cClient);
  rb_undef_alloc_func(cClient);
  rb_define_singleton_method(cClient, "_open", RUBY_METHOD_FUNC(client_open), 4);
  rb_define_singleton_method(cClient, "_open_dynamodb", RUBY_METHOD_FUNC(client_open_dynamodb), 3);
  rb_define_method(cClient, "flush", RUBY_METHOD_FUNC(client_flush), 0);
  rb_define_method(cClient, "_close", RUBY_METHOD_FUNC(client_close), 0);
  rb_define_method(cClient, "tables", RUBY_METHOD_FUNC(client_tables), 0);
  rb_define_method(cClient, "uri", RUBY_METHOD_FUNC(client_uri), 0);
  rb_define_module_function(mCctv, "_prepare_fork", RUBY_METHOD_FUNC(prepare_fork), 0);
}

}  // namespace cctv::ruby
