"""The Python side of the bindings' benchmark (bench/bindings.sh): the loop
of record_loop.cc, from Python.
    PYTHONPATH=BUILD/bindings/python python3 python_bench.py STORE_DIR CALLS VIEWS"""

import json
import sys
import time

import cctv

directory, calls, views = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
actors = [f"user-{i}" for i in range(1000)]
targets = [f"/page/{i}" for i in range(100)]
tracker = cctv.Client.open(f"rocksdb:{directory}").tracker("bench")
record = tracker.record_activity
for i in range(10_000):
    record(actors[i % 1000], targets[i % 100])
tracker.flush()


def timed(loop):
    wall, cpu = time.perf_counter(), time.thread_time()
    loop()
    return time.perf_counter() - wall, time.thread_time() - cpu


def plain():
    for i in range(calls):
        record(actors[i % 1000], targets[i % 100])


def with_attributes():
    for i in range(calls):
        record(actors[i % 1000], targets[i % 100], {"browser": "Chrome", "n": i})


seen = 0


def viewing():
    global seen
    for i in range(views):
        seen += len(tracker.view_activity(targets[i % 100], limit=100))


plain_wall, plain_cpu = timed(plain)
tracker.flush()
attrs_wall, attrs_cpu = timed(with_attributes)
tracker.flush()
view_wall, _ = timed(viewing)
if seen != views * 100:
    sys.exit(f"python_bench: views saw {seen} activities, not {views * 100}")
print(json.dumps({"language": "python", "calls": calls,
                  "record_us": round(plain_wall / calls * 1e6, 3),
                  "record_cpu_us": round(plain_cpu / calls * 1e6, 3),
                  "record_attrs_us": round(attrs_wall / calls * 1e6, 3),
                  "record_attrs_cpu_us": round(attrs_cpu / calls * 1e6, 3),
                  "view_us": round(view_wall / views * 1e6, 1)}, separators=(",", ":")))
