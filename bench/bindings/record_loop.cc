// The C++ side of the bindings' benchmark (bench/bindings.sh): the same
// loop the Ruby and Python benchmarks run, through the same libcctv, so
// that their cost per call can be set against the library's own.
//   record_loop STORE_DIR CALLS VIEWS
// Prints one JSON line: per record_activity call, wall and calling-thread
// CPU microseconds, without and with two attributes; per view of 100
// activities, microseconds.
#include <cctv/cctv.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace {

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double wall_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: record_loop STORE_DIR CALLS VIEWS\n");
    return 2;
  }
  const std::string store = std::string("rocksdb:") + argv[1];
  const long calls = std::stol(argv[2]);
  const long views = std::stol(argv[3]);
  std::vector<std::string> actors, targets;
  for (int i = 0; i < 1000; ++i) actors.push_back("user-" + std::to_string(i));
  for (int i = 0; i < 100; ++i) targets.push_back("/page/" + std::to_string(i));

  cctv::Client client = cctv::Client::open(store);
  cctv::Tracker tracker = client.tracker("bench");
  for (long i = 0; i < 10'000; ++i) tracker.record_activity(actors[i % 1000], targets[i % 100]);
  tracker.flush();

  double wall = wall_s(), cpu = thread_cpu_s();
  for (long i = 0; i < calls; ++i) tracker.record_activity(actors[i % 1000], targets[i % 100]);
  const double plain_wall = wall_s() - wall, plain_cpu = thread_cpu_s() - cpu;
  tracker.flush();

  wall = wall_s();
  cpu = thread_cpu_s();
  for (long i = 0; i < calls; ++i) {
    tracker.record_activity(actors[i % 1000], targets[i % 100], {{"browser", "Chrome"}, {"n", i}});
  }
  const double attr_wall = wall_s() - wall, attr_cpu = thread_cpu_s() - cpu;
  tracker.flush();

  cctv::ViewOptions options;
  options.limit = 100;
  std::size_t seen = 0;
  wall = wall_s();
  for (long i = 0; i < views; ++i)
    seen += tracker.view_activity(targets[i % 100], {}, options).activities.size();
  const double view_wall = wall_s() - wall;
  if (seen != static_cast<std::size_t>(views) * 100) {
    std::fprintf(stderr, "record_loop: views saw %zu activities, not %ld\n", seen, views * 100);
    return 1;
  }
  std::printf(
      "{\"language\":\"c++\",\"calls\":%ld,\"record_us\":%.3f,\"record_cpu_us\":%.3f,"
      "\"record_attrs_us\":%.3f,\"record_attrs_cpu_us\":%.3f,\"view_us\":%.1f}\n",
      calls, plain_wall / calls * 1e6, plain_cpu / calls * 1e6, attr_wall / calls * 1e6,
      attr_cpu / calls * 1e6, view_wall / views * 1e6);
  return 0;
}
