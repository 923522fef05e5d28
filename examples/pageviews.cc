// The original cctv README's example, in C++: record pageviews in an online
// store, then ask what happened. `make build` and `make test` build it:
//
//   build/examples/pageviews [STORE]      default STORE: rocksdb:./cctv-data
//
// Beside a running `cctv serve` (`make run`) it goes through the server,
// which holds the store.
#include <cctv/cctv.h>

#include <cstdio>
#include <optional>
#include <string>

int main(int argc, char** argv) {
  const char* store = argc > 1 ? argv[1] : "rocksdb:./cctv-data";
  try {
    const std::optional<std::string> server = cctv::Client::serving_url(store);
    cctv::Client client = cctv::Client::open(server ? *server : store);
    cctv::Tracker pageviews = client.tracker("pageviews");
    std::printf("recording pageviews into table pageviews in %s\n", client.uri().c_str());

    // Bob, a VIP customer who came from AdWords, views a product page.
    pageviews.record_activity(
        "bob", "/store/products/organic-goji-berries",
        {{"customer_status", "VIP"}, {"referred_by", "AdWords"}, {"browser", "Chrome"}});
    pageviews.record_activity("alice", "/store/products/organic-goji-berries",
                              {{"customer_status", "new"}, {"browser", "Firefox"}});
    pageviews.record_activity("bob", "/store", {{"browser", "Chrome"}});
    pageviews.record_activity("bob", "/store/cart", {{"items", 2}, {"total", 17.5}});
    pageviews.flush();  // recording is asynchronous; wait until it is durable
    std::printf("recorded 4 pageviews\n\n");

    std::printf("who viewed /store/products/organic-goji-berries today:\n");
    const auto today = cctv::TimeRange::since(cctv::parse_time("today"));
    for (const cctv::Activity& a :
         pageviews.view_activity("/store/products/organic-goji-berries", today).activities) {
      std::printf("  %s  %-6s %s\n", cctv::format_time(a.time).c_str(), a.actor.c_str(),
                  cctv::to_json(cctv::Value(a.attributes)).c_str());
    }

    std::printf("\nwhat bob did in the last hour:\n");
    for (const cctv::Activity& a :
         pageviews.view_actor_activity("bob", cctv::TimeRange::last(std::chrono::hours(1)))
             .activities) {
      std::printf("  %s  %s\n", cctv::format_time(a.time).c_str(), a.target.c_str());
    }
    std::printf("\npageviews per hour, last 6 hours (kept as they are recorded):\n");
    const auto six_hours = cctv::TimeRange::last(std::chrono::hours(6));
    for (const cctv::BucketCount& hour : pageviews.count_activity(six_hours, cctv::Bucket::kHour)) {
      std::printf("  %s  %lld\n", cctv::format_time(hour.start).c_str(), static_cast<long long>(hour.count));
    }
    std::printf("\nmost viewed today:\n");
    for (const cctv::TargetCount& t : pageviews.top_targets(today, 3)) {
      std::printf("  %-40s %lld\n", t.target.c_str(), static_cast<long long>(t.count));
    }
    std::printf(
        "\ntry: build/cctv view pageviews --target /store/products/organic-goji-berries\n"
        "     build/cctv count pageviews --unique\n");
  } catch (const cctv::Error& e) {
    std::fprintf(stderr, "pageviews: %s\n", e.what());
    return 1;
  }
  return 0;
}
