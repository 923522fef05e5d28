// Creating, listing, describing and dropping tables.
#include <gtest/gtest.h>

#include "cctv/cctv.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

TEST(Tables, CreateListDescribeDrop) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  EXPECT_TRUE(client.tables().empty());
  const Timestamp before = now();
  const TableInfo info = client.create_table("logins");
  EXPECT_EQ(info.name, "logins");
  EXPECT_GE(info.created, before);
  EXPECT_TRUE(info.has_actor_index);
  EXPECT_THROW(client.create_table("logins"), AlreadyExists);
  client.tracker("store-pageviews");  // created on first use
  EXPECT_EQ(client.tables(), (std::vector<std::string>{"logins", "store-pageviews"}));

  Tracker t = client.tracker("logins");
  for (int i = 0; i < 100; ++i) t.record_activity("bob", "/login");
  t.flush();
  EXPECT_GT(client.describe_table("logins").approximate_activities, 0u);
  EXPECT_THROW(client.describe_table("nope-nope"), NotFound);

  client.drop_table("logins");
  EXPECT_EQ(client.tables(), std::vector<std::string>{"store-pageviews"});
  EXPECT_THROW(client.drop_table("logins"), NotFound);
  EXPECT_THROW(t.view_activity("/login"), NotFound);
  // A tracker that outlives the drop re-creates its table when it records.
  t.record_activity("bob", "/login");
  t.flush();
  EXPECT_EQ(t.view_activity("/login").activities.size(), 1u);
}

TEST(Tables, DropWritesQueuedActivitiesFirstAndSurvivesReopen) {
  testing::TempDir dir;
  {
    Client client = Client::open(dir.store());
    Tracker t = client.tracker("doomed");
    for (int i = 0; i < 1000; ++i) t.record_activity("bob", "/x");
    client.drop_table("doomed");
    EXPECT_TRUE(client.tables().empty());
    client.create_table("kept-table");
  }
  Client client = Client::open(dir.store());
  EXPECT_EQ(client.tables(), std::vector<std::string>{"kept-table"});
  // The dropped name starts empty when created again.
  EXPECT_TRUE(client.tracker("doomed").view_activity("/x").activities.empty());
}

TEST(Tables, CreatedTimeSurvivesReopen) {
  testing::TempDir dir;
  Timestamp created;
  {
    Client client = Client::open(dir.store());
    const Timestamp before = now();
    created = client.create_table("events").created;
    const Timestamp after = now();
    // Set to the time of creation, not left at its default (the epoch),
    // which would survive a reopen too.
    EXPECT_GE(created, before);
    EXPECT_LE(created, after);
    EXPECT_EQ(client.describe_table("events").created, created);
  }
  Client client = Client::open(dir.store());
  EXPECT_EQ(client.describe_table("events").created, created);
}

TEST(Tables, CreateTablesOffRefusesMissingTables) {
  testing::TempDir dir;
  ClientOptions options;
  options.create_tables = false;
  Client client = Client::open(dir.store(), options);
  try {
    client.tracker("events");
    FAIL();
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("cctv tables create events"), std::string::npos)
        << e.what();
  }
  client.create_table("events");
  EXPECT_NO_THROW(client.tracker("events"));
}

}  // namespace
}  // namespace cctv

namespace cctv {
namespace {

TEST(Tables, ATableNamedDefaultIsAnOrdinaryTable) {
  // RocksDB has a column family called "default"; a table of that name
  // must not collide with it.
  testing::TempDir dir;
  {
    Client client = Client::open(dir.store());
    client.tracker("default").record_activity("bob", "/x");
  }
  Client client = Client::open(dir.store());
  EXPECT_EQ(client.tables(), std::vector<std::string>{"default"});
  EXPECT_EQ(client.tracker("default").view_activity("/x").activities.size(), 1u);
  client.drop_table("default");
  EXPECT_TRUE(client.tables().empty());
}

}  // namespace
}  // namespace cctv
