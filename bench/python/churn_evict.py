"""LiteLLM's end-user series cap (PR #27272, BoundedPrometheusSeriesTracker) reproduced with plain
prometheus_client: every metric with an end_user label keeps at most CAP label sets; after each
write the label set moves to the newest end of an OrderedDict and, while more than CAP are held,
the oldest is dropped with metric.remove(*label_values). (TTL cleanup is left off: 1,000,000 users
arrive in minutes, long before any TTL, so only the cap acts.)

  churn_evict.py SPEC.json USERS CAP

SPEC.json: {"families": [{"name", "type": "counter"|"histogram", "help", "labels", "labelValues",
"value", "buckets"?}]}, the families and label values one success writes (built by
bench/churn-compare/families.ts from our recorder). User i gets end_user="end-user-i".
Prints one JSON line per checkpoint and a final line with the counter sums after the run."""

import gc
import json
import sys
import time
from collections import OrderedDict

from prometheus_client import CollectorRegistry, Counter, Histogram


def rss_mib() -> int:
    gc.collect()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024)
    return -1


class CappedSeries:
    """Per metric: label tuple -> last write, oldest first; evicts past `cap` with .remove()."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.series: dict = {}
        self.evicted = 0

    def track(self, metric, name: str, label_values: tuple) -> None:
        held = self.series.setdefault(name, OrderedDict())
        held[label_values] = time.monotonic()
        held.move_to_end(label_values)
        while len(held) > self.cap:
            oldest = next(iter(held))
            try:
                metric.remove(*oldest)
            except KeyError:
                pass
            del held[oldest]
            self.evicted += 1


def main() -> None:
    spec = json.load(open(sys.argv[1]))["families"]
    users = int(sys.argv[2])
    cap = int(sys.argv[3])
    registry = CollectorRegistry()
    writes = []
    for f in spec:
        if f["type"] == "counter":
            m = Counter(f["name"], f["help"], f["labels"], registry=registry)
        else:
            m = Histogram(f["name"], f["help"], f["labels"], buckets=f["buckets"], registry=registry)
        writes.append((m, f["name"], f["labels"], dict(f["labelValues"]), float(f["value"]), f["type"] == "counter"))
    tracker = CappedSeries(cap)
    checkpoints = {100_000, 250_000, 500_000, 750_000, 1_000_000, users}
    base = rss_mib()
    print(json.dumps({"start": True, "baselineRssMiB": base, "families": len(writes)}), flush=True)
    t0 = time.perf_counter()
    for i in range(1, users + 1):
        end_user = f"end-user-{i}"
        for m, name, labelnames, labels, value, is_counter in writes:
            labels["end_user"] = end_user
            child = m.labels(**labels)
            if is_counter:
                child.inc(value)
            else:
                child.observe(value)
            tracker.track(m, name, tuple(labels[k] for k in labelnames))
        if i in checkpoints:
            held = sum(len(s) for s in tracker.series.values())
            c = {"users": i, "rssMiB": rss_mib(), "seriesHeld": held, "evicted": tracker.evicted}
            print(json.dumps({"checkpoint": c, "seconds": time.perf_counter() - t0}), flush=True)
    sums = {}
    for m, name, *_ in writes:
        for metric in m.collect():
            for s in metric.samples:
                if s.name.endswith("_total") or s.name.endswith("_count"):
                    sums[s.name] = sums.get(s.name, 0) + s.value
    print(
        json.dumps(
            {
                "final": True,
                "users": users,
                "cap": cap,
                "seconds": time.perf_counter() - t0,
                "sums": sums,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
