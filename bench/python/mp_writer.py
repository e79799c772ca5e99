"""One writer process of prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR must be
set before the import, as in a gunicorn/uvicorn worker).

  bulk  FROM TO                 inc series i in [FROM, TO) by 1 + i % 7, print {"done": ...}, exit
  paced COUNT SERIES BATCH TICK_MS
                                print {"ready": true}, wait for a line on stdin, then COUNT inc(1)
                                spread round-robin over series 0..SERIES-1, BATCH per tick of
                                TICK_MS ms; print {"done": true, "count": COUNT}, exit
"""

import json
import os
import sys
import time

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    sys.exit("PROMETHEUS_MULTIPROC_DIR is not set")

from prometheus_client import Counter  # noqa: E402  (after the env check, like a real worker)

from workload import HELP, LABELS, METRIC, series_labels  # noqa: E402

counter = Counter(METRIC, HELP, LABELS)


def bulk(start: int, stop: int) -> None:
    t0 = time.perf_counter()
    for i in range(start, stop):
        counter.labels(**series_labels(i)).inc(1 + i % 7)
    print(json.dumps({"done": True, "series": stop - start, "seconds": time.perf_counter() - t0}), flush=True)


def paced(count: int, series: int, batch: int, tick_ms: float) -> None:
    children = [counter.labels(**series_labels(k)) for k in range(series)]
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    sys.stdin.readline()
    done = 0
    next_tick = time.monotonic()
    while done < count:
        n = min(batch, count - done)
        for _ in range(n):
            children[done % series].inc()
            done += 1
        next_tick += tick_ms / 1000
        delay = next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(json.dumps({"done": True, "count": done}), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "bulk":
        bulk(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "paced":
        paced(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(f"unknown mode {mode!r}")
