# frozen_string_literal: true

require "helper"

# Recording and viewing on the embedded store and on dynalite alike.
module TrackerCases
  def tracker(table = "visits") = Cctv::Client.open(store).tracker(table)

  def test_every_attribute_type_round_trips
    t = tracker
    attributes = {
      "text" => "naïve ☃", "empty" => "", "int" => -(2**63), "big" => 2**63 - 1, "float" => 0.1,
      "true" => true, "false" => false, "nil" => nil, "list" => [1, "two", 3.5, nil, [true]],
      "map" => { "nested" => { "deep" => [{ "x" => 1 }] } }, "binary" => "abc".b
    }
    id = t.record_activity("bob", "/store", attributes)
    activity = t.view_activity("/store").first
    assert_equal id, activity.id
    assert_match(/\A\h{16}\z/, id)
    assert_equal attributes, activity.attributes
    assert_equal Encoding::UTF_8, activity.attributes["text"].encoding
    assert_kind_of Integer, activity.attributes["int"]
    assert_kind_of Float, activity.attributes["float"]
    # Symbol keys and keyword attributes come back as String keys.
    t.record_activity("amy", "/symbols", { browser: "Chrome", "n" => 1 })
    t.record_activity("amy", "/keywords", browser: "Firefox", time: Time.utc(2026, 1, 2))
    assert_equal({ "browser" => "Chrome", "n" => 1 }, t.view_activity("/symbols").first.attributes)
    keyword = t.view_activity("/keywords").first
    assert_equal({ "browser" => "Firefox" }, keyword.attributes)
    assert_equal Time.utc(2026, 1, 2), keyword.time
  end

  def test_times_ids_and_ranges
    t = tracker
    at = Time.utc(2026, 11, 3, 10, 30, 15, 123_456)
    id = t.record_activity("bob", "/p", time: at, id: "00000000000000aa")
    assert_equal "00000000000000aa", id
    # The same id again is the same activity: stored once.
    t.record_activity("bob", "/p", time: at, id: "00000000000000aa")
    t.record_activity("bob", "/p", time: DateTime.new(2026, 11, 4, 12, 0, 0, "+02:00"))
    t.record_activity("bob", "/p", time: Date.new(2026, 11, 5))
    all = t.view_activity("/p", order: :oldest_first).activities
    assert_equal [at, Time.utc(2026, 11, 4, 10), Date.new(2026, 11, 5).to_time.utc], all.map(&:time)
    assert all.first.time.utc?
    assert_equal 123_456, all.first.time.usec

    # A Date end takes in its whole day; an excluded Date end does not.
    assert_equal 3, t.view_activity("/p", Date.new(2026, 11, 3)..Date.new(2026, 11, 5)).size
    assert_equal 2, t.view_activity("/p", Date.new(2026, 11, 3)...Date.new(2026, 11, 5)).size
    assert_equal 1, t.view_activity("/p", Date.new(2026, 11, 3)).size
    # A Time end is an instant: in when the range includes it.
    assert_equal 1, t.view_activity("/p", at..at).size
    assert_equal 1, t.view_activity("/p", at...at + Rational(1, 1_000_000)).size
    assert_equal 0, t.view_activity("/p", Time.utc(2020)...at).size
    # Beginless and endless ranges.
    assert_equal 2, t.view_activity("/p", ..Time.utc(2026, 11, 4, 23)).size
    assert_equal 2, t.view_activity("/p", Time.utc(2026, 11, 4)..).size
    assert_equal 3, t.view_actor_activity("bob", nil).size
  end

  def test_pages_follow_cursors_and_each_activity_is_lazy
    t = tracker
    250.times { |i| t.record_activity("actor#{i % 3}", "/busy", { "n" => i }, time: Time.utc(2026, 1, 1) + i) }
    seen = []
    cursor = nil
    loop do
      page = t.view_activity("/busy", limit: 100, order: :oldest_first, cursor: cursor)
      seen.concat(page.map { |a| a.attributes["n"] })
      cursor = page.next_cursor
      break if cursor.nil?
    end
    assert_equal (0...250).to_a, seen
    assert_equal (0...250).to_a.reverse, t.each_activity("/busy", page_size: 7).map { |a| a.attributes["n"] }
    # Lazily: the first few need the first page only.
    assert_equal [249, 248], t.each_activity("/busy", page_size: 2).lazy.map { |a| a.attributes["n"] }.first(2)
    assert_equal 84, t.each_actor_activity("actor0").count
    page = t.view_actor_activity("actor1", limit: 10)
    assert_equal 10, page.size
    refute page.last_page?
  end

  def test_counts_top_targets_and_unique_actors
    t = tracker
    hour = Time.utc(2026, 3, 1, 10)
    5.times { |i| t.record_activity("a#{i}", "/one", time: hour + i) }
    3.times { |i| t.record_activity("a#{i}", "/two", time: hour + 3600 + i) }
    t.flush # on DynamoDB, counts show what was recorded before a flush
    range = hour...(hour + 7200)
    series = t.count_activity("/one", range, bucket: :hour)
    assert_equal [[hour, 5], [hour + 3600, 0]], series.map { |c| [c.start, c.count] }
    assert_equal [5, 3], t.count_activity(nil, range, bucket: "hour").map(&:count)
    assert_equal [8], t.count_activity(nil, Date.new(2026, 3, 1), bucket: :day).map(&:count)
    assert_equal [5, 3], t.count_activity(nil, range, unique: true).map(&:count)
    assert_equal 5, t.unique_actors(nil, range)
    top = t.top_targets(range, limit: 1)
    assert_equal [["/one", 5]], top.map { |c| [c.target, c.count] }
  end

  # As `cctv count` does: up to now, back a day of hours, 30 days of days.
  def test_counts_without_a_range_cover_the_buckets_default_span
    t = tracker
    t.record_activity("amy", "/now")
    t.flush
    hours = t.count_activity("/now")
    assert_includes 24..25, hours.size
    assert_equal 1, hours.last.count
    days = t.count_activity("/now", bucket: :day, utc_offset: "+05:30")
    assert_includes 30..31, days.size
    assert_equal 1, days.sum(&:count)
    assert_equal 1, t.unique_actors("/now")
    # A day at +05:30 whose bucket starts before 1970 still has a time.
    first = t.count_activity("/now", Time.utc(1970)...Time.utc(1970, 1, 2), bucket: :day, utc_offset: 330)
    assert_equal Time.utc(1969, 12, 31, 18, 30), first.first.start
  end

  def test_threads_record_at_once
    t = tracker
    threads = 8.times.map do |n|
      Thread.new { 500.times { |i| t.record_activity("thread#{n}", "/shared", { "i" => i }) } }
    end
    ids = threads.map(&:value)
    t.flush
    activities = t.each_activity("/shared").to_a
    assert_equal 4000, activities.size
    assert_equal 4000, activities.map(&:id).uniq.size
    assert_equal [500] * 8, activities.group_by(&:actor).values.map(&:size)
    refute_nil ids
  end

  def test_flush_close_and_after_close
    client = Cctv::Client.open(store)
    t = client.tracker("closing")
    t.record_activity("bob", "/x")
    assert_same t, t.flush
    assert_includes client.tables, "closing"
    client.close
    assert client.closed?
    error = assert_raises(Cctv::Error) { t.record_activity("bob", "/x") }
    assert_match(/closed/, error.message)
    client.close # again: nothing
    t.close # a tracker of a closed client closes quietly
    # What was recorded before the close was written.
    assert_equal 1, Cctv::Client.open(store).tracker("closing").view_activity("/x").size
  end

  # Rails hands out ActiveSupport::TimeWithZone, which is a Time only by
  # its own is_a?.
  def test_activesupport_times_are_times
    require "active_support"
    require "active_support/core_ext/time"
    t = tracker
    zone = ActiveSupport::TimeZone["Europe/Paris"]
    at = zone.local(2026, 6, 1, 12, 0, 0)
    t.record_activity("rails", "/zoned", time: at)
    assert_equal [Time.utc(2026, 6, 1, 10)], t.view_activity("/zoned", (at - 60)..at).map(&:time)
  end

  def test_closing_a_tracker_twice_lets_go_of_its_client_once
    a = Cctv::Tracker.new("twice-a", store: store)
    b = Cctv::Tracker.new("twice-b", store: store)
    a.close
    a.close
    refute b.client.closed?, "the second close of a released the client b uses"
    b.record_activity("x", "/y")
    b.close
  end

  def test_tracker_new_shares_one_client_per_store
    a = Cctv::Tracker.new("shared-a", store: store)
    b = Cctv::Tracker.new("shared-b", store: store)
    assert_same a.client, b.client
    a.record_activity("x", "/y")
    a.close
    assert a.closed?
    refute a.client.closed?, "b still uses it"
    b.record_activity("x", "/y")
    b.close
    assert b.client.closed?
  end
end

class TestTrackerEmbedded < Minitest::Test
  include CctvTest::Stores
  include TrackerCases

  def store = embedded_store

  # Objects the extension makes, and the classes it keeps, survive a
  # collection at every allocation and a compaction.
  def test_everything_survives_gc_stress_and_compaction
    t = tracker
    GC.compact
    GC.stress = true
    begin
      3.times { |i| t.record_activity("gc", "/stress", { "list" => [i, { "k" => "v" * i }], "s" => "x" }) }
      page = t.view_activity("/stress")
    ensure
      GC.stress = false
    end
    GC.compact
    assert_equal [2, 1, 0], page.map { |a| a.attributes["list"][0] }
    assert_equal({ "k" => "vv" }, page.first.attributes["list"][1])
    assert_kind_of Cctv::Activity, t.view_activity("/stress").first
    assert_raises(Cctv::InvalidArgument) { t.record_activity("", "/x") }
  end
end

class TestTrackerDynamo < Minitest::Test
  include CctvTest::Stores
  include TrackerCases

  def store = (@store ||= CctvTest.dynalite_store)
end
