// A program outside the cctv tree, built against the installed package.
#include <cctv/cctv.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  cctv::Client client = cctv::Client::open(argv[1]);
  cctv::Tracker t = client.tracker("consumer-test");
  const cctv::ActivityId id = t.record_activity("installer", "/installed", {{"ok", true}});
  t.flush();
  const cctv::Page page = t.view_activity("/installed");
  if (page.activities.size() != 1 || page.activities[0].id != id) {
    std::fprintf(stderr, "consumer: recorded activity not found\n");
    return 1;
  }
  try {
    t.record_activity("", "/x");
    return 1;
  } catch (const cctv::InvalidArgument& e) {  // exception types cross the library boundary
    std::printf("consumer: %s\n", e.what());
  }
  return 0;
}
