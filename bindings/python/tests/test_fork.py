"""A Python process that makes a tracker and then forks -- os.fork,
multiprocessing, gunicorn's pre-fork workers -- goes on recording in the
parent and in every child: nothing lost, nothing written twice, and what
each process queued is written when it exits."""

import pytest

import cctv
from conftest import run_python

APP = """
import multiprocessing
import os
import sys
import cctv

tracker = cctv.Tracker("forks", store=STORE)
# Queued, not yet written, when the process forks: the parent's alone.
for i in range(200):
    tracker.record_activity("parent", "before", {"n": i})

def child(c):
    for i in range(500):
        tracker.record_activity("child", f"child-{c}", {"n": i})
    # Read through the same store, right after recording.
    if len(tracker.view_activity(f"child-{c}", limit=1000)) != 500:
        os._exit(3)
    # Queued at exit: written by the exit hooks.
    for i in range(100):
        tracker.record_activity("child", f"child-{c}-at-exit", {"n": i})
    if c == 0:
        grandchild = os.fork()
        if grandchild == 0:
            for i in range(100):
                tracker.record_activity("grandchild", "grandchild", {"n": i})
            sys.exit(0)  # a normal exit: atexit writes what is queued
        _, status = os.waitpid(grandchild, 0)
        if status != 0:
            os._exit(4)

pids = []
for c in range(2):
    pid = os.fork()
    if pid == 0:
        child(c)
        sys.exit(0)
    pids.append(pid)
# multiprocessing's children end with os._exit, which skips atexit.
worker = multiprocessing.get_context("fork").Process(target=child, args=(2,))
worker.start()
for i in range(200):
    tracker.record_activity("parent", "after", {"n": i})
for pid in pids:
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit(2)
worker.join()
if worker.exitcode != 0:
    sys.exit(5)
print("forked")
"""

EXPECTED = {"before": 200, "after": 200, "child-0": 500, "child-1": 500, "child-2": 500, "grandchild": 100,
            "child-0-at-exit": 100, "child-1-at-exit": 100, "child-2-at-exit": 100}


@pytest.mark.parametrize("kind", ["embedded", "dynamodb"])
def test_forked_children_write_everything_once(request, kind):
    store = request.getfixturevalue("embedded_store" if kind == "embedded" else "dynalite_store")
    done = run_python(APP.replace("STORE", repr(store)))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "forked\n"
    tracker = cctv.Client.open(store).tracker("forks")
    ids = []
    for target, count in EXPECTED.items():
        activities = list(tracker.iter_activity(target))
        assert sorted(a.attributes["n"] for a in activities) == list(range(count)), target
        ids += [a.id for a in activities]
    assert len(ids) == len(set(ids)), "two activities took one id"
