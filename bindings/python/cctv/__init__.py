"""cctv: record who (the actor) did what (the table) to which thing (the
target), when; ask what happened to a target or what an actor did, and how
often. In-process, over cctv's engine: recording queues and returns, a
writer thread stores in batches, and nothing accepted is lost.

    import cctv
    pageviews = cctv.Tracker("pageviews", store="rocksdb:./cctv-data")
    pageviews.record_activity("bob", "/store", {"browser": "Chrome"})
    for activity in pageviews.view_activity("/store", since=datetime(2026, 11, 1)):
        print(activity.time, activity.actor)
"""

from __future__ import annotations

import atexit
import datetime as _dt
import hashlib
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from multiprocessing import util as _mp_util

from . import _cctv

__all__ = [
    "Activity", "AlreadyExists", "Backpressure", "BucketCount", "Client", "Error",
    "InvalidArgument", "NotFound", "Page", "StoreError", "StoreFull", "TargetCount", "Tracker",
]
__version__ = "0.2.0"


class Error(Exception):
    """Base of every cctv exception: its message says what was wrong and how to fix it."""


class InvalidArgument(Error, ValueError):
    """An input broke a rule; ``field`` names it ("actor", "attribute 'browser'", "limit")."""

    def __init__(self, message: str = "", field: str = "") -> None:
        super().__init__(message)
        self.field = field

    def __reduce__(self):  # keeps field across pickling (multiprocessing)
        return (type(self), (str(self), self.field))


class NotFound(Error, LookupError):
    """A table, or a store, that was asked for does not exist."""


class AlreadyExists(Error):
    """A table that was asked to be created exists already."""


class Backpressure(Error):
    """The ingest queue stayed full for the whole enqueue timeout: not recorded; retry later."""


class StoreError(Error):
    """The store failed: I/O, corruption, a store held by another process."""


class StoreFull(StoreError):
    """The store's disk is near full: not recorded; writes resume once space returns."""


@dataclass(frozen=True)
class Activity:
    """One activity: actor, target, time (aware, UTC), id (16 hex digits), attributes."""

    actor: str
    target: str
    time: _dt.datetime
    id: str
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """A page of a view: its activities and the cursor of the next page (None on the last).
    Iterable over its activities."""

    activities: list
    next_cursor: Optional[str]

    def __iter__(self) -> Iterator[Activity]:
        return iter(self.activities)

    def __len__(self) -> int:
        return len(self.activities)

    @property
    def last_page(self) -> bool:
        return self.next_cursor is None


@dataclass(frozen=True)
class BucketCount:
    """One point of a series: the bucket's first instant and its count."""

    start: _dt.datetime
    count: int


@dataclass(frozen=True)
class TargetCount:
    target: str
    count: int


_cctv._set_errors(Error, InvalidArgument, NotFound, AlreadyExists, Backpressure, StoreError, StoreFull)
_cctv._set_types(Activity, BucketCount, TargetCount)

_UTC = _dt.timezone.utc
_ORDERS = {"newest_first": False, "desc": False, "oldest_first": True, "asc": True}


def _instant(value: Any, name: str, end: bool = False) -> Optional[_dt.datetime]:
    """A bound of a range as the native module takes it: a datetime (naive
    is UTC), or a date -- that day's start in UTC; as an end, the next
    day's, so that an end date takes in its whole day."""
    if value is None or isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        day = value + _dt.timedelta(days=1) if end else value
        return _dt.datetime(day.year, day.month, day.day, tzinfo=_UTC)
    raise InvalidArgument(f"{name}: must be a datetime or a date, not {type(value).__name__}", name)


def _bounds(range_: Any, since: Any, until: Any) -> tuple:
    if range_ is not None:
        if since is not None or until is not None:
            raise InvalidArgument("range: give (start, end) or since=/until=, not both", "range")
        if isinstance(range_, _dt.date) and not isinstance(range_, _dt.datetime):
            since, until = range_, range_
        elif isinstance(range_, tuple) and len(range_) == 2:
            since, until = range_
        else:
            raise InvalidArgument(
                f"range: must be a (start, end) tuple of datetimes or dates, or one date, "
                f"not {type(range_).__name__}", "range")
    return _instant(since, "since"), _instant(until, "until", end=True)


def _oldest_first(order: str) -> bool:
    try:
        return _ORDERS[order]
    except (KeyError, TypeError):
        raise InvalidArgument(f"order: must be 'newest_first' or 'oldest_first', not {order!r}",
                              "order") from None


class Tracker:
    """Records and views the activities of one table. Safe to use from many threads.

    ``Tracker(table, store=...)`` opens (or shares) a client for the store:
    "rocksdb:./cctv-data", "dynamodb://eu-west-1", "http://127.0.0.1:8080".
    Without ``store``, the DynamoDB settings given (region, endpoint,
    access_key_id, secret_access_key, ...), else CCTV_STORE, else DynamoDB
    as the environment configures it. Trackers made this way on one store
    share one client. ``client.tracker(table)`` makes one from a Client.
    """

    def __init__(self, table: str, store: Optional[str] = None, *, region: Optional[str] = None,
                 endpoint: Optional[str] = None, access_key_id: Optional[str] = None,
                 secret_access_key: Optional[str] = None, session_token: Optional[str] = None,
                 table_prefix: Optional[str] = None, api_key: Optional[str] = None,
                 enqueue_timeout: float = 5.0, _client: Optional["Client"] = None) -> None:
        if _client is None:
            dynamo = {k: v for k, v in dict(region=region, endpoint=endpoint, access_key_id=access_key_id,
                                             secret_access_key=secret_access_key,
                                             session_token=session_token,
                                             table_prefix=table_prefix).items() if v is not None}
            if store is not None and dynamo:
                raise InvalidArgument("store: give either store= or the DynamoDB settings "
                                      "(region=, endpoint=, access_key_id=, ...), not both", "store")
            if store is None and not dynamo and os.environ.get("CCTV_STORE"):
                store = os.environ["CCTV_STORE"]
            _client = _shared_client(store, dynamo, api_key, enqueue_timeout)
            self._shared = True
        else:
            self._shared = False
        self._client = _client
        try:
            self._native = _client._native.tracker(table)
        except BaseException:
            if self._shared:
                _released(_client)
            raise
        # The native method itself: no Python frame between the caller and
        # the queue.
        self.record_activity = self._native.record_activity

    # record_activity(actor, target, attributes=None, *, time=None, id=None) -> id
    #   Queues the activity and returns its id (16 hex digits) at once.

    @property
    def table(self) -> str:
        return self._native.table

    @property
    def client(self) -> "Client":
        return self._client

    @property
    def closed(self) -> bool:
        return self._native.closed

    def view_activity(self, target: str, range: Any = None, *, since: Any = None, until: Any = None,
                      limit: Optional[int] = None, order: str = "newest_first",
                      cursor: Optional[str] = None) -> Page:
        """The activities on ``target`` in [since, until): at most ``limit`` (1 to
        10,000; 100), newest first unless ``order="oldest_first"``, from ``cursor``
        (a page's next_cursor). Views show what this process recorded before them."""
        start, end = _bounds(range, since, until)
        activities, next_cursor = self._native.view(False, target, start, end, limit,
                                                    _oldest_first(order), cursor)
        return Page(activities, next_cursor)

    def view_actor_activity(self, actor: str, range: Any = None, *, since: Any = None,
                            until: Any = None, limit: Optional[int] = None,
                            order: str = "newest_first", cursor: Optional[str] = None) -> Page:
        """As view_activity, for what ``actor`` did."""
        start, end = _bounds(range, since, until)
        activities, next_cursor = self._native.view(True, actor, start, end, limit,
                                                    _oldest_first(order), cursor)
        return Page(activities, next_cursor)

    def iter_activity(self, target: str, range: Any = None, *, since: Any = None, until: Any = None,
                      order: str = "newest_first", page_size: int = 1000) -> Iterator[Activity]:
        """Every activity on ``target``, page by page as it goes."""
        return self._pages(False, target, range, since, until, order, page_size)

    def iter_actor_activity(self, actor: str, range: Any = None, *, since: Any = None,
                            until: Any = None, order: str = "newest_first",
                            page_size: int = 1000) -> Iterator[Activity]:
        """Every activity of ``actor``, page by page as it goes."""
        return self._pages(True, actor, range, since, until, order, page_size)

    def count_activity(self, target: Optional[str] = None, range: Any = None, *, since: Any = None,
                       until: Any = None, bucket: str = "hour", unique: bool = False,
                       utc_offset: Any = None) -> list:
        """Activities per bucket ("minute", "hour", "day") -- on ``target``, or the
        whole table -- as BucketCounts, oldest first; ``unique=True`` counts
        distinct actors. ``utc_offset`` ("+05:30", or minutes): where days start
        (UTC unless given). On DynamoDB counts lag by up to 30 s; flush() first."""
        start, end = _bounds(range, since, until)
        return self._native.count(target, start, end, bucket, unique, utc_offset)

    def unique_actors(self, target: Optional[str] = None, range: Any = None, *, since: Any = None,
                      until: Any = None) -> int:
        start, end = _bounds(range, since, until)
        return self._native.unique_actors(target, start, end)

    def top_targets(self, range: Any = None, *, since: Any = None, until: Any = None,
                    limit: int = 10) -> list:
        """The ``limit`` busiest targets, as TargetCounts, busiest first."""
        start, end = _bounds(range, since, until)
        return self._native.top_targets(start, end, limit)

    def flush(self) -> "Tracker":
        """Returns once everything this process recorded is durable."""
        self._native.flush()
        return self

    def close(self) -> None:
        """Flushes. A tracker made by Tracker(...) also closes its client once no
        other such tracker uses it; one from Client.tracker leaves its client open."""
        if self.closed:
            return
        try:
            if not self._client.closed:
                self.flush()
        finally:
            if self._native.close() and self._shared:
                _released(self._client)

    def __enter__(self) -> "Tracker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _pages(self, by_actor, key, range_, since, until, order, page_size):
        start, end = _bounds(range_, since, until)
        oldest_first = _oldest_first(order)
        cursor = None
        while True:
            activities, cursor = self._native.view(by_actor, key, start, end, page_size,
                                                   oldest_first, cursor)
            yield from activities
            if cursor is None:
                return


class Client:
    """An open store, shared by the trackers made from it; safe to use from
    many threads, and across fork (see the README)."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self._closed = False
        with _lock:
            _clients[id(self)] = self

    @classmethod
    def open(cls, uri: str, *, api_key: Optional[str] = None, read_only: bool = False,
             enqueue_timeout: float = 5.0) -> "Client":
        """Opens "rocksdb:PATH", "dynamodb://REGION?endpoint=URL" or "http://HOST:PORT"
        (api_key= or CCTV_API_KEY). enqueue_timeout: seconds recording waits for
        room in a full queue before it raises Backpressure."""
        return cls(_cctv.NativeClient.open(uri, api_key or "", read_only, enqueue_timeout))

    @classmethod
    def dynamodb(cls, *, region: Optional[str] = None, endpoint: Optional[str] = None,
                 access_key_id: Optional[str] = None, secret_access_key: Optional[str] = None,
                 session_token: Optional[str] = None, profile: Optional[str] = None,
                 table_prefix: Optional[str] = None, read_only: bool = False,
                 enqueue_timeout: float = 5.0) -> "Client":
        """DynamoDB, or a compatible engine at ``endpoint``; what is not given is
        found the usual AWS way (AWS_REGION, AWS_ACCESS_KEY_ID, ~/.aws/credentials)."""
        settings = dict(region=region, endpoint=endpoint, access_key_id=access_key_id,
                        secret_access_key=secret_access_key, session_token=session_token,
                        profile=profile, table_prefix=table_prefix)
        return cls(_cctv.NativeClient.open_dynamodb(settings, read_only, enqueue_timeout))

    def tracker(self, table: str) -> Tracker:
        """A tracker for ``table``, created on first use."""
        return Tracker(table, _client=self)

    def tables(self) -> list:
        return self._native.tables()

    def flush(self) -> None:
        self._native.flush()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Writes everything recorded, then closes; idempotent."""
        with _lock:
            self._close_unlocked()

    def _close_unlocked(self) -> None:
        self._closed = True
        _clients.pop(id(self), None)
        for key, entry in list(_shared.items()):
            if entry[0] is self:
                del _shared[key]
        self._native.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# Open clients (closed at exit), and those Tracker(...) shares, by a
# digest of their settings (no secret kept as a key): [client, users].
# Re-entrant: closing a shared client happens under it.
_lock = threading.RLock()
_clients: dict = {}
_shared: dict = {}


def _shared_client(store, dynamo, api_key, enqueue_timeout) -> Client:
    # Keyed by where the store is, not by enqueue_timeout: an embedded store
    # opens once per process. Opened and counted under the lock, so that
    # two threads never open one store twice, nor get one being closed.
    key = hashlib.sha256(repr((store, sorted(dynamo.items()), api_key)).encode()).hexdigest()
    with _lock:
        entry = _shared.get(key)
        if entry is None:
            client = (Client.open(store, api_key=api_key, enqueue_timeout=enqueue_timeout) if store
                      else Client.dynamodb(enqueue_timeout=enqueue_timeout, **dynamo))
            entry = _shared[key] = [client, 0]
        entry[1] += 1
        return entry[0]


def _released(client: Client) -> None:
    with _lock:
        for key, entry in list(_shared.items()):
            if entry[0] is client:
                entry[1] -= 1
                if entry[1] == 0:
                    del _shared[key]
                    # Closed under the lock: a Tracker(...) that comes
                    # meanwhile opens the store once this one has let go.
                    client._close_unlocked()


def close_all() -> None:
    """Writes what every open client holds, and closes it: at exit, in the
    parent and in every child."""
    with _lock:
        clients = list(_clients.values())
    for client in clients:
        try:
            client.close()
        except Exception as e:  # noqa: BLE001 -- at exit, say it and go on
            print(f"cctv: closing a client at exit: {e}", file=sys.stderr)


class _MultiprocessingChildren:
    """multiprocessing's forked children end with os._exit, which skips
    atexit; they run its finalizers instead. Finalizers a child inherits
    are cleared as it starts, and then its after-fork callbacks run: this
    one registers the close there."""

    @staticmethod
    def started(_hook: object) -> None:
        _mp_util.Finalize(None, close_all, exitpriority=100)


# Before a fork, an embedded store starts being served to the children to
# come; the child's side is libcctv's own (a pthread_atfork handler drops
# the parent's clients in every child).
def _lock_for_fork() -> None:
    _lock.acquire()
    _cctv.prepare_fork()


def _new_lock_in_child() -> None:
    global _lock
    _lock = threading.RLock()


os.register_at_fork(before=_lock_for_fork, after_in_parent=lambda: _lock.release(),
                    after_in_child=_new_lock_in_child)
atexit.register(close_all)
_multiprocessing_children = _MultiprocessingChildren()
_mp_util.register_after_fork(_multiprocessing_children, _MultiprocessingChildren.started)
