// cctv._cctv: the native part of the Python package. cctv/__init__.py
// builds the Pythonic API on it: ranges, dataclasses, the fork and exit
// hooks. Recording holds the GIL (it only queues); waiting -- for room in
// a full queue, for views, counts, flushes, opening a store -- releases it.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "cctv/cctv.h"
#include "conversions.h"

namespace cctv::python {

namespace {

// The exception classes cctv/__init__.py defines (_cctv._set_errors).
struct ErrorTypes {
  py::object error, invalid_argument, not_found, already_exists, backpressure, store_error,
      store_full;
};
ErrorTypes& error_types() {
  static ErrorTypes* types =
      new ErrorTypes();  // never destroyed: outlives the interpreter's teardown
  return *types;
}

void raise_python(const py::object& klass, const char* message,
                  const std::string* field = nullptr) {
  py::object exception = klass(py::str(message));
  if (field != nullptr) exception.attr("field") = py::str(*field);
  PyErr_SetObject(klass.ptr(), exception.ptr());
}

void translate(std::exception_ptr error) {
  const ErrorTypes& types = error_types();
  if (!types.error) std::rethrow_exception(error);  // cctv/__init__.py not imported: pybind11's own
  try {
    std::rethrow_exception(error);
  } catch (const InvalidArgument& e) {
    raise_python(types.invalid_argument, e.what(), &e.field());
  } catch (const NotFound& e) {
    raise_python(types.not_found, e.what());
  } catch (const AlreadyExists& e) {
    raise_python(types.already_exists, e.what());
  } catch (const Backpressure& e) {
    raise_python(types.backpressure, e.what());
  } catch (const StoreFull& e) {
    raise_python(types.store_full, e.what());
  } catch (const StoreError& e) {
    raise_python(types.store_error, e.what());
  } catch (const Error& e) {
    raise_python(types.error, e.what());
  } catch (const std::bad_alloc&) {
    throw;  // pybind11's: MemoryError
  } catch (const std::exception& e) {
    raise_python(types.error, e.what());
  }
}

std::chrono::milliseconds timeout_of(double seconds) {
  if (!(seconds >= 0 && seconds <= 86'400)) {
    throw InvalidArgument("enqueue_timeout", "must be from 0 to 86400 seconds");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// The queue's wait for room is the binding's to do, without the GIL: the
// library's own wait would hold it.
ClientOptions library_options(bool read_only, const std::string& api_key) {
  ClientOptions options;
  options.read_only = read_only;
  options.api_key = api_key;
  options.enqueue_timeout = std::chrono::milliseconds(0);
  return options;
}

class NativeTracker {
 public:
  NativeTracker(std::shared_ptr<ForkSafeClient> client, std::string table,
                std::chrono::milliseconds enqueue_timeout)
      : client_(std::move(client)), table_(std::move(table)), enqueue_timeout_(enqueue_timeout) {
    tracker();  // checks the name, and that the table exists or can be made
  }

  const std::string& table() const { return table_; }
  bool closed() const { return closed_; }

  // The tracker of this process, made again in a child after a fork.
  // Making it may ask the store: without the GIL. Two threads that both
  // find it missing both make one, and either is right.
  Tracker& tracker() {
    if (closed_) throw Error("this tracker of table '" + table_ + "' is closed; make another");
    const std::uint64_t generation = client_->generation();
    if (!tracker_ || generation_ != generation) {
      std::shared_ptr<ForkSafeClient> client = client_;
      Tracker made = [&] {
        py::gil_scoped_release unlocked;
        return client->client().tracker(table_);
      }();
      // Another thread may have closed it meanwhile.
      if (closed_) throw Error("this tracker of table '" + table_ + "' is closed; make another");
      tracker_ = std::move(made);
      generation_ = generation;
    }
    return *tracker_;
  }

  std::string record_activity(py::handle actor, py::handle target, py::handle attributes,
                              py::handle time, py::handle id) {
    Activity activity;
    activity.actor = text_of(actor, "actor");
    activity.target = text_of(target, "target");
    activity.attributes = attributes_of(attributes);
    activity.time = time.is_none() ? now() : timestamp_of(time, "time");
    if (!id.is_none()) activity.id = parse_id(text_of(id, "id"));
    try {
      return format_id(tracker().record(activity));
    } catch (const Backpressure&) {
    }
    // The queue is full: wait for room, letting other threads run, as long
    // as the client's enqueue timeout allows. A signal's handler (Ctrl-C's
    // KeyboardInterrupt) runs between attempts, and its exception stops
    // the wait with the activity not recorded: a retry records it once.
    // A copy: the tracker held may be replaced meanwhile.
    Tracker waiting = tracker();
    py::gil_scoped_release unlocked;
    const auto deadline = std::chrono::steady_clock::now() + enqueue_timeout_;
    auto pause = std::chrono::microseconds(50);
    for (;;) {
      std::this_thread::sleep_for(pause);
      {
        py::gil_scoped_acquire held;
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      }
      try {
        return format_id(waiting.record(activity));
      } catch (const Backpressure&) {
        if (std::chrono::steady_clock::now() >= deadline) {
          throw Backpressure("the ingest queue stayed full for " +
                             std::to_string(enqueue_timeout_.count()) +
                             " ms: the store is not keeping up; the activity was not recorded, "
                             "retry it later or give the client a longer enqueue_timeout");
        }
      }
      pause = std::min(pause * 2, std::chrono::microseconds(50'000));
    }
  }

  // (activities, next_cursor or None)
  py::tuple view(bool by_actor, py::handle key, py::handle from, py::handle to, py::handle limit,
                 bool oldest_first, py::handle cursor) {
    const std::string of = text_of(key, by_actor ? "actor" : "target");
    const TimeRange range = range_of(from, to);
    ViewOptions options;
    if (!limit.is_none()) options.limit = count_of(limit, "limit");
    options.order = oldest_first ? Order::kOldestFirst : Order::kNewestFirst;
    if (!cursor.is_none()) options.cursor = text_of(cursor, "cursor");
    Tracker t = tracker();
    Page page;
    {
      py::gil_scoped_release unlocked;
      t.wait_visible();  // what this process recorded is in the view
      page = by_actor ? t.view_actor_activity(of, range, options)
                      : t.view_activity(of, range, options);
    }
    py::list activities(page.activities.size());
    for (std::size_t i = 0; i < page.activities.size(); ++i)
      activities[i] = python_activity_of(page.activities[i]);
    return py::make_tuple(std::move(activities), page.next_cursor.empty()
                                                     ? py::object(py::none())
                                                     : py::str(page.next_cursor));
  }

  py::list count(py::handle target, py::handle from, py::handle to, const std::string& bucket,
                 bool unique, py::handle utc_offset) {
    const std::optional<std::string> of =
        target.is_none() ? std::nullopt : std::optional<std::string>(text_of(target, "target"));
    const Bucket width = parse_bucket(bucket);
    const TimeRange range = range_of(from, to);  // open ends: the tracker's defaults
    CountOptions options;
    options.utc_offset = offset_of(utc_offset);
    Tracker t = tracker();
    Series series;
    {
      py::gil_scoped_release unlocked;
      t.wait_visible();
      if (unique) {
        series = of ? t.count_unique_actors(*of, range, width, options)
                    : t.count_unique_actors(range, width, options);
      } else {
        series = of ? t.count_activity(*of, range, width, options)
                    : t.count_activity(range, width, options);
      }
    }
    py::list points(series.size());
    for (std::size_t i = 0; i < series.size(); ++i) {
      points[i] = result_types().bucket_count(python_time_of(series[i].start), series[i].count);
    }
    return points;
  }

  std::int64_t unique_actors(py::handle target, py::handle from, py::handle to) {
    const std::optional<std::string> of =
        target.is_none() ? std::nullopt : std::optional<std::string>(text_of(target, "target"));
    const TimeRange range = range_of(from, to);
    Tracker t = tracker();
    py::gil_scoped_release unlocked;
    t.wait_visible();
    return of ? t.unique_actors(*of, range) : t.unique_actors(range);
  }

  py::list top_targets(py::handle from, py::handle to, py::handle limit) {
    const TimeRange range = range_of(from, to);
    const std::size_t most = count_of(limit, "limit");
    Tracker t = tracker();
    std::vector<TargetCount> top;
    {
      py::gil_scoped_release unlocked;
      t.wait_visible();
      top = t.top_targets(range, most);
    }
    py::list counts(top.size());
    for (std::size_t i = 0; i < top.size(); ++i)
      counts[i] = result_types().target_count(top[i].target, top[i].count);
    return counts;
  }

  void flush() {
    Tracker t = tracker();
    py::gil_scoped_release unlocked;
    t.flush();
  }

  // Whether this call closed it.
  bool close() {
    if (closed_) return false;
    closed_ = true;
    tracker_.reset();
    return true;
  }

 private:
  static TimeRange range_of(py::handle from, py::handle to) {
    TimeRange range;
    if (!from.is_none()) range.from = timestamp_of(from, "since");
    if (!to.is_none()) range.to = timestamp_of(to, "until");
    return range;
  }

  // Minutes east of UTC: an int, a timedelta, or text ("+05:30").
  static std::chrono::minutes offset_of(py::handle offset) {
    PyObject* o = offset.ptr();
    if (offset.is_none()) return std::chrono::minutes(0);
    if (PyBool_Check(o))
      throw InvalidArgument("utc_offset", "must be minutes, a timedelta or \"+05:30\"");
    if (PyLong_Check(o)) {
      int overflow = 0;
      const long long minutes = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (overflow != 0 || minutes < -14 * 60 || minutes > 14 * 60)
        throw InvalidArgument("utc_offset", "must lie from -14h to +14h");
      return std::chrono::minutes(minutes);
    }
    if (py::isinstance(offset, py::module_::import("datetime").attr("timedelta"))) {
      const double seconds = offset.attr("total_seconds")().cast<double>();
      return offset_of(py::int_(static_cast<long long>(seconds) / 60));
    }
    return parse_utc_offset(text_of(offset, "utc_offset"));
  }

  static std::size_t count_of(py::handle number, const char* field) {
    if (!PyLong_Check(number.ptr()) || PyBool_Check(number.ptr()))
      throw InvalidArgument(field, "must be an int");
    int overflow = 0;
    const long long n = PyLong_AsLongLongAndOverflow(number.ptr(), &overflow);
    if (overflow != 0 || n < 0) throw InvalidArgument(field, "must be a positive int");
    return static_cast<std::size_t>(n);
  }

  std::shared_ptr<ForkSafeClient> client_;
  std::string table_;
  std::chrono::milliseconds enqueue_timeout_;
  std::optional<Tracker> tracker_;
  std::uint64_t generation_ = 0;
  bool closed_ = false;
};

class NativeClient {
 public:
  static NativeClient open(const std::string& uri, const std::string& api_key, bool read_only,
                           double enqueue_timeout) {
    const ClientOptions options = library_options(read_only, api_key);
    const auto timeout = timeout_of(enqueue_timeout);
    py::gil_scoped_release unlocked;
    return NativeClient(ForkSafeClient::open(uri, options), timeout);
  }

  static NativeClient open_dynamodb(const py::dict& settings, bool read_only,
                                    double enqueue_timeout) {
    DynamoOptions dynamo;
    const auto setting = [&](const char* name, std::string& field) {
      if (settings.contains(name) && !settings[name].is_none())
        field = text_of(settings[name], name);
    };
    setting("region", dynamo.region);
    setting("endpoint", dynamo.endpoint);
    setting("access_key_id", dynamo.access_key_id);
    setting("secret_access_key", dynamo.secret_access_key);
    setting("session_token", dynamo.session_token);
    setting("profile", dynamo.profile);
    setting("table_prefix", dynamo.table_prefix);
    const ClientOptions options = library_options(read_only, "");
    const auto timeout = timeout_of(enqueue_timeout);
    py::gil_scoped_release unlocked;
    return NativeClient(ForkSafeClient::open(dynamo, options), timeout);
  }

  NativeTracker tracker(py::handle table) {
    return NativeTracker(client_, text_of(table, "table"), timeout_);
  }

  std::vector<std::string> tables() {
    py::gil_scoped_release unlocked;
    return client_->client().tables();
  }
  void flush() {
    py::gil_scoped_release unlocked;
    client_->client().flush();
  }
  void close() {
    py::gil_scoped_release unlocked;
    client_->close();
  }

 private:
  NativeClient(std::shared_ptr<ForkSafeClient> client, std::chrono::milliseconds timeout)
      : client_(std::move(client)), timeout_(timeout) {}

  std::shared_ptr<ForkSafeClient> client_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

}  // namespace cctv::python

PYBIND11_MODULE(_cctv, m) {
  using namespace cctv::python;
  init_conversions();
  m.doc() = "cctv's engine; the API is the cctv package's";
  py::register_local_exception_translator(translate);
  m.def("_set_errors", [](py::object error, py::object invalid_argument, py::object not_found,
                          py::object already_exists, py::object backpressure,
                          py::object store_error, py::object store_full) {
    error_types() = ErrorTypes{error,        invalid_argument, not_found, already_exists,
                               backpressure, store_error,      store_full};
  });
  m.def("_set_types", [](py::object activity, py::object bucket_count, py::object target_count) {
    result_types() = ResultTypes{activity, bucket_count, target_count};
  });
  // The parent's side of a fork (cctv/fork_safe_client.h): os.register_at_fork.
  m.def("prepare_fork", [] { cctv::ForkSafeClient::prepare_fork(); });

  py::class_<NativeClient>(m, "NativeClient")
      .def_static("open", &NativeClient::open)
      .def_static("open_dynamodb", &NativeClient::open_dynamodb)
      .def("tracker", &NativeClient::tracker)
      .def("tables", &NativeClient::tables)
      .def("flush", &NativeClient::flush)
      .def("close", &NativeClient::close);

  py::class_<NativeTracker>(m, "NativeTracker")
      .def_property_readonly("table", &NativeTracker::table)
      .def_property_readonly("closed", &NativeTracker::closed)
      .def("record_activity", &NativeTracker::record_activity, py::arg("actor"), py::arg("target"),
           py::arg("attributes") = py::none(), py::kw_only(), py::arg("time") = py::none(),
           py::arg("id") = py::none())
      .def("view", &NativeTracker::view)
      .def("count", &NativeTracker::count)
      .def("unique_actors", &NativeTracker::unique_actors)
      .def("top_targets", &NativeTracker::top_targets)
      .def("flush", &NativeTracker::flush)
      .def("close", &NativeTracker::close);
}
