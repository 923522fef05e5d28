"""Views, flushes and opening a store release the GIL while they wait. The
proof: a cctv server reached through a relay that is itself Python
threads. Were the GIL held while the library waits for an answer, the relay
could not run, and the answer would never come."""

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

import cctv


class Relay:
    def __init__(self, server_port):
        self.server_port = server_port
        self.paused = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                inbound, _ = self.listener.accept()
            except OSError:
                return
            outbound = socket.create_connection(("127.0.0.1", self.server_port))
            for source, sink in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    def pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                while self.paused:
                    time.sleep(0.01)
                sink.sendall(data)
        except OSError:
            pass
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture
def relay(embedded_store):
    server = subprocess.Popen([os.environ["CCTV_BINARY"], "--store", embedded_store, "serve",
                               "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    # Whatever else it prints is read, so that it never blocks on a full pipe.
    threading.Thread(target=server.stdout.read, daemon=True).start()
    port = int(re.search(r"http://127\.0\.0\.1:(\d+)", line).group(1))
    relay = Relay(port)
    yield relay
    cctv.close_all()
    relay.listener.close()
    server.terminate()
    server.wait()


def test_the_library_waits_without_holding_the_gil(relay):
    client = cctv.Client.open(f"http://127.0.0.1:{relay.port}")
    tracker = client.tracker("relayed")
    for i in range(300):
        tracker.record_activity("amy", "/relayed", {"i": i})
    tracker.flush()
    assert sum(1 for _ in tracker.iter_activity("/relayed", page_size=100)) == 300
    today = dt.datetime.now(dt.timezone.utc).date()
    assert sum(c.count for c in tracker.count_activity("/relayed", today, bucket="day")) == 300
    assert [(c.target, c.count) for c in tracker.top_targets(today)] == [("/relayed", 300)]
    client.close()


def test_a_signal_while_the_queue_is_full_records_nothing(relay):
    """Ctrl-C (here a timer's signal) stops a record waiting for room in a
    full queue, and the activity is not recorded: a retry records it once."""
    tracker = cctv.Client.open(f"http://127.0.0.1:{relay.port}", enqueue_timeout=60).tracker("full")
    relay.paused = True  # the server hears nothing: the queue fills

    class Alarm(Exception):
        pass

    def ring(signum, frame):
        raise Alarm()

    previous = signal.signal(signal.SIGALRM, ring)
    accepted, waited = 0, None
    try:
        while waited is None and accepted <= 200_000:
            signal.setitimer(signal.ITIMER_REAL, 0.5)
            started = time.monotonic()
            try:
                tracker.record_activity("amy", "/full", {"n": accepted})
                accepted += 1
            except Alarm:
                waited = time.monotonic() - started
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert waited is not None, "the queue never filled"
    assert waited < 30  # stopped by the signal, not by the 60 s enqueue timeout
    relay.paused = False
    tracker.flush()
    assert sum(1 for _ in tracker.iter_activity("/full")) == accepted


def test_other_threads_run_while_a_view_waits(relay):
    tracker = cctv.Client.open(f"http://127.0.0.1:{relay.port}").tracker("waiting")
    for _ in range(10):
        tracker.record_activity("amy", "/waited")
    tracker.flush()
    relay.paused = True
    result = {}
    viewer = threading.Thread(target=lambda: result.setdefault("n", len(tracker.view_activity("/waited"))))
    viewer.start()
    ticks = 0
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:  # this thread runs while the view waits
        ticks += 1
        time.sleep(0.001)
    relay.paused = False
    viewer.join()
    assert result == {"n": 10}
    assert ticks > 10
