// Writers that end as a crash does, run as their own process (a fork of a
// test that has RocksDB's threads running could deadlock on a lock one of
// them held).
//   crash_writer STORE COUNT
//     Records COUNT activities, flushes, says so, and keeps recording until
//     it is killed: the crash test kills it with SIGKILL and checks that
//     everything flushed survived.
//   crash_writer STORE COUNT many-logs
//     Records 50 activities in table "a-table" (kept in memtables, so the
//     first log stays live), then COUNT in "events" (filling memtables of
//     the store's size, each switch starting a log), the last 100 of them
//     after a flush (all in the newest log); flushes, and exits without
//     closing anything.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cctv/cctv.h"

namespace {

void write_many_logs(cctv::Client& client, int count) {
  cctv::Tracker a = client.tracker("a-table");
  for (int i = 0; i < 50; ++i) a.record_activity("x", "/a", {{"i", i}});
  client.flush();
  cctv::Tracker events = client.tracker("events");
  for (int i = 0; i < count; ++i) {
    if (i == count - 100) client.flush();
    events.record_activity("y", "/b" + std::to_string(i % 7),
                           {{"i", i}, {"pad", std::string(100, 'p')}});
  }
  client.flush();
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 4 && std::string_view(argv[3]) == "many-logs")) return 2;
  const int count = std::atoi(argv[2]);
  cctv::Client client = cctv::Client::open(argv[1]);
  if (argc == 4) write_many_logs(client, count);
  cctv::Tracker t = client.tracker("events");
  for (int i = 0; i < count; ++i)
    t.record_activity("writer", "/t" + std::to_string(i % 10), {{"i", i}});
  t.flush();
  std::printf("flushed\n");
  std::fflush(stdout);
  for (long i = count;; ++i) t.record_activity("writer", "/after", {{"i", i}});
}
