// Records activities, flushes, says so, and keeps recording until it is
// killed: the crash test kills it with SIGKILL and checks that everything
// flushed survived.
//   crash_writer STORE COUNT
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cctv/cctv.h"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const int count = std::atoi(argv[2]);
  cctv::Client client = cctv::Client::open(argv[1]);
  cctv::Tracker t = client.tracker("events");
  for (int i = 0; i < count; ++i)
    t.record_activity("writer", "/t" + std::to_string(i % 10), {{"i", i}});
  t.flush();
  std::printf("flushed\n");
  std::fflush(stdout);
  for (long i = count;; ++i) t.record_activity("writer", "/after", {{"i", i}});
}
