"""Bad input raises a cctv.Error that names the field, and records nothing."""

import datetime as dt

import pytest

import cctv


@pytest.fixture
def tracker(embedded_store):
    return cctv.Client.open(embedded_store).tracker("errors")


def refused(error_class, field, pattern, call):
    with pytest.raises(error_class, match=pattern) as caught:
        call()
    assert isinstance(caught.value, cctv.Error)
    if field is not None:
        assert caught.value.field == field
    return caught.value


def test_bad_recordings_are_refused_and_nothing_is_written(tracker):
    t = tracker
    loop = []
    loop.append(loop)
    deep = "leaf"
    for _ in range(40):
        deep = [deep]
    refused(cctv.InvalidArgument, "actor", "empty", lambda: t.record_activity("", "/x"))
    refused(cctv.InvalidArgument, "actor", "must be a str, not int", lambda: t.record_activity(42, "/x"))
    refused(cctv.InvalidArgument, "target", "must be a str, not NoneType", lambda: t.record_activity("a", None))
    refused(cctv.InvalidArgument, "target", "1024", lambda: t.record_activity("a", "x" * 1025))
    refused(cctv.InvalidArgument, "actor", "surrogate", lambda: t.record_activity("\udcff", "/x"))
    refused(cctv.InvalidArgument, "actor", "must be a str, not bytes", lambda: t.record_activity(b"a", "/x"))
    refused(cctv.InvalidArgument, "attributes", "must be a dict, not list", lambda: t.record_activity("a", "/x", [1]))
    refused(cctv.InvalidArgument, "attribute 'at'", "cannot store a datetime.*isoformat",
            lambda: t.record_activity("a", "/x", {"at": dt.datetime.now()}))
    refused(cctv.InvalidArgument, "attribute 's'", "cannot store a set",
            lambda: t.record_activity("a", "/x", {"s": {1}}))
    refused(cctv.InvalidArgument, "attribute 'b'", "decode it", lambda: t.record_activity("a", "/x", {"b": b"x"}))
    refused(cctv.InvalidArgument, "attribute 'n'", "beyond 64 bits", lambda: t.record_activity("a", "/x", {"n": 2**64}))
    refused(cctv.InvalidArgument, None, "NaN|finite", lambda: t.record_activity("a", "/x", {"f": float("nan")}))
    refused(cctv.InvalidArgument, None, "32", lambda: t.record_activity("a", "/x", {"deep": deep}))
    refused(cctv.InvalidArgument, "attribute 'loop'", "deeper than 32",
            lambda: t.record_activity("a", "/x", {"loop": loop}))
    refused(cctv.InvalidArgument, "attributes", "must be a str, not int", lambda: t.record_activity("a", "/x", {1: "one"}))
    refused(cctv.InvalidArgument, None, "reserved", lambda: t.record_activity("a", "/x", {"timestamp": 1}))
    refused(cctv.InvalidArgument, "time", "must be a datetime or a date, not str",
            lambda: t.record_activity("a", "/x", time="yesterday"))
    refused(cctv.InvalidArgument, "time", "1970", lambda: t.record_activity("a", "/x", time=dt.datetime(1969, 1, 1)))
    refused(cctv.InvalidArgument, "time", "2286", lambda: t.record_activity("a", "/x", time=dt.datetime(9999, 1, 1)))
    refused(cctv.InvalidArgument, "id", "hex", lambda: t.record_activity("a", "/x", id="not-an-id"))
    with pytest.raises(TypeError):
        t.record_activity("only-one")
    with pytest.raises(ValueError):  # InvalidArgument is a ValueError too
        t.record_activity("", "/x")
    t.flush()
    assert len(t.view_actor_activity("a")) == 0, "a refused activity was recorded"


def test_bad_views_are_refused(tracker):
    t = tracker
    refused(cctv.InvalidArgument, "limit", "limit", lambda: t.view_activity("/x", limit=0))
    refused(cctv.InvalidArgument, "limit", "10,?000", lambda: t.view_activity("/x", limit=10_001))
    refused(cctv.InvalidArgument, "limit", "positive", lambda: t.view_activity("/x", limit=-1))
    refused(cctv.InvalidArgument, "order", "newest_first", lambda: t.view_activity("/x", order="sideways"))
    refused(cctv.InvalidArgument, "range", "tuple", lambda: t.view_activity("/x", "last week"))
    refused(cctv.InvalidArgument, "since", "datetime or a date", lambda: t.view_activity("/x", (1, 2)))
    refused(cctv.InvalidArgument, "range", "not both",
            lambda: t.view_activity("/x", (dt.date.today(), dt.date.today()), since=dt.date.today()))
    refused(cctv.InvalidArgument, None, "before",
            lambda: t.view_activity("/x", (dt.datetime(2026, 2, 1), dt.datetime(2026, 1, 1))))
    for _ in range(250):
        t.record_activity("b", "/many")
    cursor = t.view_activity("/many", limit=10).next_cursor
    refused(cctv.InvalidArgument, None, "cursor", lambda: t.view_activity("/other", cursor=cursor))
    refused(cctv.InvalidArgument, None, "bucket", lambda: t.count_activity("/x", bucket="fortnight"))


def test_bad_stores_and_tables_are_named(tracker, embedded_store):
    refused(cctv.InvalidArgument, None, "unknown scheme 'ftp'", lambda: cctv.Client.open("ftp://x"))
    refused(cctv.InvalidArgument, "table name", "3 to 255", lambda: tracker.client.tracker("x"))
    refused(cctv.InvalidArgument, "store", "not both",
            lambda: cctv.Tracker("pageviews", store=embedded_store, region="eu-west-1"))
    refused(cctv.StoreError, None, "already open", lambda: cctv.Client.open(embedded_store))


def test_invalid_argument_keeps_its_field_across_pickling(tracker):
    import pickle
    with pytest.raises(cctv.InvalidArgument) as caught:
        tracker.record_activity("", "/x")
    again = pickle.loads(pickle.dumps(caught.value))
    assert (str(again), again.field) == (str(caught.value), "actor")


def test_bad_utc_offsets_are_named(tracker):
    refused(cctv.InvalidArgument, "utc_offset", "minutes", lambda: tracker.count_activity(utc_offset=True))
    refused(cctv.InvalidArgument, "utc_offset", "14h", lambda: tracker.count_activity(utc_offset=10**30))


def test_error_classes_mirror_the_librarys():
    assert issubclass(cctv.StoreFull, cctv.StoreError)
    for klass in (cctv.InvalidArgument, cctv.NotFound, cctv.AlreadyExists, cctv.Backpressure, cctv.StoreError):
        assert issubclass(klass, cctv.Error)
    assert issubclass(cctv.Error, Exception)
