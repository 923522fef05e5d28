# frozen_string_literal: true

require "helper"

# Bad input raises a Cctv::Error that names the field, and records nothing.
class TestErrors < Minitest::Test
  include CctvTest::Stores

  def setup
    super
    @tracker = Cctv::Client.open(embedded_store).tracker("errors")
  end

  def refused(error_class, field, pattern)
    error = assert_raises(error_class) { yield }
    assert_kind_of Cctv::Error, error
    assert_equal field, error.field if field
    assert_match pattern, error.message
    error
  end

  def test_bad_recordings_are_refused_and_nothing_is_written
    t = @tracker
    self_holding = []
    self_holding << self_holding
    deep = 40.times.reduce("leaf") { |inner, _| [inner] }
    refused(Cctv::InvalidArgument, "actor", /empty/) { t.record_activity("", "/x") }
    refused(Cctv::InvalidArgument, "actor", /must be a String, not Integer/) { t.record_activity(42, "/x") }
    refused(Cctv::InvalidArgument, "target", /must be a String, not NilClass/) { t.record_activity("a", nil) }
    refused(Cctv::InvalidArgument, "target", /1024/) { t.record_activity("a", "x" * 1025) }
    refused(Cctv::InvalidArgument, "actor", /UTF-8/) { t.record_activity("\xff\xfe".b, "/x") }
    refused(Cctv::InvalidArgument, "attributes", /must be a Hash, not Array/) { t.record_activity("a", "/x", [1]) }
    refused(Cctv::InvalidArgument, "attribute 'at'", /cannot store a Time.*iso8601/) do
      t.record_activity("a", "/x", { "at" => Time.now })
    end
    refused(Cctv::InvalidArgument, "attribute 's'", /cannot store a Symbol.*symbol.to_s/) do
      t.record_activity("a", "/x", { "s" => :sym })
    end
    refused(Cctv::InvalidArgument, "attribute 'o'", /cannot store a Object/) do
      t.record_activity("a", "/x", { "o" => Object.new })
    end
    refused(Cctv::InvalidArgument, "attribute 'n'", /beyond 64 bits/) { t.record_activity("a", "/x", { "n" => 2**64 }) }
    refused(Cctv::InvalidArgument, nil, /NaN|finite/i) { t.record_activity("a", "/x", { "f" => Float::NAN }) }
    refused(Cctv::InvalidArgument, nil, /32/) { t.record_activity("a", "/x", { "deep" => deep }) }
    refused(Cctv::InvalidArgument, "attribute 'loop'", /deeper than 32/) { t.record_activity("a", "/x", { "loop" => self_holding }) }
    refused(Cctv::InvalidArgument, "attributes", /String or Symbol|must be a String/) { t.record_activity("a", "/x", { 1 => "one" }) }
    refused(Cctv::InvalidArgument, nil, /reserved/) { t.record_activity("a", "/x", { "timestamp" => 1 }) }
    refused(Cctv::InvalidArgument, nil, /repeat|twice|more than once/) { t.record_activity("a", "/x", { "k" => 1, k: 2 }) }
    refused(Cctv::InvalidArgument, "time", /Time, DateTime or Date, not String/) { t.record_activity("a", "/x", time: "yesterday") }
    refused(Cctv::InvalidArgument, "time", /1970/) { t.record_activity("a", "/x", time: Time.utc(1969)) }
    refused(Cctv::InvalidArgument, "time", /cannot be read as a time/) { t.record_activity("a", "/x", time: Time.at(2**70)) }
    refused(Cctv::InvalidArgument, "id", /hex/) { t.record_activity("a", "/x", id: "not-an-id") }
    refused(Cctv::InvalidArgument, "attributes", /not both/) { t.record_activity("a", "/x", { "a" => 1 }, b: 2) }
    assert_raises(ArgumentError) { t.record_activity("only-one") }
    t.flush
    assert_equal 0, t.view_actor_activity("a").size, "a refused activity was recorded"
  end

  def test_bad_views_are_refused
    t = @tracker
    refused(Cctv::InvalidArgument, "limit", /1.*10,?000|limit/) { t.view_activity("/x", limit: 0) }
    refused(Cctv::InvalidArgument, "limit", /10,?000/) { t.view_activity("/x", limit: 10_001) }
    refused(Cctv::InvalidArgument, "limit", /positive Integer/) { t.view_activity("/x", limit: -1) }
    refused(Cctv::InvalidArgument, "order", /newest_first/) { t.view_activity("/x", order: :sideways) }
    refused(Cctv::InvalidArgument, "range", /Range of Time/) { t.view_activity("/x", "last week") }
    refused(Cctv::InvalidArgument, "range start", /Time, DateTime or Date/) { t.view_activity("/x", 1..2) }
    refused(Cctv::InvalidArgument, nil, /before/) { t.view_activity("/x", Time.utc(2026, 2)..Time.utc(2026, 1)) }
    250.times { t.record_activity("b", "/many") }
    cursor = t.view_activity("/many", limit: 10).next_cursor
    refused(Cctv::InvalidArgument, nil, /cursor/) { t.view_activity("/other", cursor: cursor) }
    refused(Cctv::InvalidArgument, nil, /bucket/) { t.count_activity("/x", nil, bucket: :fortnight) }
  end

  def test_bad_stores_and_tables_are_named
    refused(Cctv::InvalidArgument, nil, /unknown scheme 'ftp'/) { Cctv::Client.open("ftp://x") }
    refused(Cctv::InvalidArgument, "table name", /3 to 255/) { @tracker.client.tracker("x") }
    refused(Cctv::InvalidArgument, "store", /not both/) do
      Cctv::Tracker.new("pageviews", store: embedded_store, region: "eu-west-1")
    end
    # The store is held by this process already: a second open says so.
    refused(Cctv::StoreError, nil, /lock|held|another process/i) { Cctv::Client.open(embedded_store) }
  end

  def test_error_classes_mirror_the_libraries
    assert_operator Cctv::StoreFull, :<, Cctv::StoreError
    [Cctv::InvalidArgument, Cctv::NotFound, Cctv::AlreadyExists, Cctv::Backpressure, Cctv::StoreError].each do |klass|
      assert_operator klass, :<, Cctv::Error
    end
    assert_operator Cctv::Error, :<, StandardError
  end
end
