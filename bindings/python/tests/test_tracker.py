"""Recording and viewing on the embedded store and on dynalite alike."""

import datetime as dt
import threading

import pytest

import cctv

UTC = dt.timezone.utc


@pytest.fixture(params=["embedded", "dynamodb"])
def store(request):
    return request.getfixturevalue("embedded_store" if request.param == "embedded" else "dynalite_store")


def test_every_attribute_type_round_trips(store):
    t = cctv.Client.open(store).tracker("visits")
    attributes = {"text": "naïve ☃", "empty": "", "int": -(2**63), "big": 2**63 - 1, "float": 0.1,
                  "true": True, "false": False, "none": None, "list": [1, "two", 3.5, None, [True]],
                  "map": {"nested": {"deep": [{"x": 1}]}}}
    activity_id = t.record_activity("bob", "/store", attributes)
    activity = t.view_activity("/store").activities[0]
    assert activity.id == activity_id and len(activity_id) == 16
    assert activity.attributes == attributes
    assert type(activity.attributes["true"]) is bool and type(activity.attributes["int"]) is int
    # A tuple is stored as a list.
    t.record_activity("amy", "/tuple", {"t": (1, 2)})
    assert t.view_activity("/tuple").activities[0].attributes == {"t": [1, 2]}


def test_times_ids_and_ranges(store):
    t = cctv.Client.open(store).tracker("visits")
    at = dt.datetime(2026, 11, 3, 10, 30, 15, 123456, tzinfo=UTC)
    assert t.record_activity("bob", "/p", time=at, id="00000000000000aa") == "00000000000000aa"
    t.record_activity("bob", "/p", time=at, id="00000000000000aa")  # the same activity: once
    paris = dt.timezone(dt.timedelta(hours=2))
    t.record_activity("bob", "/p", time=dt.datetime(2026, 11, 4, 12, tzinfo=paris))
    t.record_activity("bob", "/p", time=dt.datetime(2026, 11, 5))  # naive: UTC
    times = [a.time for a in t.view_activity("/p", order="oldest_first")]
    assert times == [at, dt.datetime(2026, 11, 4, 10, tzinfo=UTC), dt.datetime(2026, 11, 5, tzinfo=UTC)]
    # An end date takes in its whole day; a datetime end is excluded.
    assert len(t.view_activity("/p", (dt.date(2026, 11, 3), dt.date(2026, 11, 5)))) == 3
    assert len(t.view_activity("/p", dt.date(2026, 11, 3))) == 1
    assert len(t.view_activity("/p", since=at, until=at + dt.timedelta(microseconds=1))) == 1
    assert len(t.view_activity("/p", since=at, until=at + dt.timedelta(microseconds=1))) == 1
    assert len(t.view_activity("/p", (dt.datetime(2020, 1, 1), at))) == 0
    assert len(t.view_activity("/p", until=dt.datetime(2026, 11, 4, 23))) == 2
    assert len(t.view_activity("/p", since=dt.datetime(2026, 11, 4))) == 2
    assert len(t.view_actor_activity("bob")) == 3


def test_pages_follow_cursors_and_iterate_lazily(store):
    t = cctv.Client.open(store).tracker("visits")
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(250):
        t.record_activity(f"actor{i % 3}", "/busy", {"n": i}, time=start + dt.timedelta(seconds=i))
    seen, cursor = [], None
    while True:
        page = t.view_activity("/busy", limit=100, order="oldest_first", cursor=cursor)
        seen += [a.attributes["n"] for a in page]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(range(250))
    assert [a.attributes["n"] for a in t.iter_activity("/busy", page_size=7)] == list(range(249, -1, -1))
    first_two = t.iter_activity("/busy", page_size=2)
    assert [next(first_two).attributes["n"], next(first_two).attributes["n"]] == [249, 248]
    assert sum(1 for _ in t.iter_actor_activity("actor0")) == 84
    assert not t.view_actor_activity("actor1", limit=10).last_page


def test_counts_top_targets_and_unique_actors(store):
    t = cctv.Client.open(store).tracker("visits")
    hour = dt.datetime(2026, 3, 1, 10, tzinfo=UTC)
    for i in range(5):
        t.record_activity(f"a{i}", "/one", time=hour + dt.timedelta(seconds=i))
    for i in range(3):
        t.record_activity(f"a{i}", "/two", time=hour + dt.timedelta(hours=1, seconds=i))
    t.flush()  # on DynamoDB, counts show what was recorded before a flush
    window = (hour, hour + dt.timedelta(hours=2))
    assert [(c.start, c.count) for c in t.count_activity("/one", window)] == \
        [(hour, 5), (hour + dt.timedelta(hours=1), 0)]
    assert [c.count for c in t.count_activity(None, window)] == [5, 3]
    assert [c.count for c in t.count_activity(None, dt.date(2026, 3, 1), bucket="day")] == [8]
    assert [c.count for c in t.count_activity(None, window, unique=True)] == [5, 3]
    assert t.unique_actors(None, window) == 5
    assert [(c.target, c.count) for c in t.top_targets(window, limit=1)] == [("/one", 5)]


def test_counts_without_a_range_cover_the_buckets_default_span(store):
    """As `cctv count` does: up to now, back a day of hours, 30 days of days."""
    t = cctv.Client.open(store).tracker("visits")
    t.record_activity("amy", "/now")
    t.flush()
    hours = t.count_activity("/now")
    assert 24 <= len(hours) <= 25 and hours[-1].count == 1
    days = t.count_activity("/now", bucket="day", utc_offset=dt.timedelta(hours=5, minutes=30))
    assert 30 <= len(days) <= 31 and sum(d.count for d in days) == 1
    assert days[-1].start.utcoffset() == dt.timedelta(0)
    assert t.unique_actors("/now") == 1
    # A day at +05:30 whose bucket starts before 1970 still has a time.
    first = t.count_activity("/now", (dt.date(1970, 1, 1), dt.date(1970, 1, 1)), bucket="day", utc_offset=330)
    assert first[0].start == dt.datetime(1969, 12, 31, 18, 30, tzinfo=UTC)


def test_threads_record_at_once(store):
    t = cctv.Client.open(store).tracker("visits")

    def record(n):
        for i in range(500):
            t.record_activity(f"thread{n}", "/shared", {"i": i})

    threads = [threading.Thread(target=record, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    activities = list(t.iter_activity("/shared"))
    assert len(activities) == 4000
    assert len({a.id for a in activities}) == 4000
    by_actor = {}
    for a in activities:
        by_actor[a.actor] = by_actor.get(a.actor, 0) + 1
    assert sorted(by_actor.values()) == [500] * 8


def test_flush_close_and_after_close(store):
    client = cctv.Client.open(store)
    t = client.tracker("closing")
    t.record_activity("bob", "/x")
    assert t.flush() is t
    assert "closing" in client.tables()
    client.close()
    with pytest.raises(cctv.Error, match="closed"):
        t.record_activity("bob", "/x")
    client.close()  # again: nothing
    t.close()  # a tracker of a closed client closes quietly
    assert len(cctv.Client.open(store).tracker("closing").view_activity("/x")) == 1


def test_trackers_share_one_client_per_store(store):
    a = cctv.Tracker("shared-a", store=store)
    b = cctv.Tracker("shared-b", store=store)
    assert a.client is b.client
    a.close()
    a.close()
    assert not b.client.closed
    b.record_activity("x", "/y")
    with b:
        pass
    assert b.client.closed
