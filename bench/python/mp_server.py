"""The scrape side of prometheus_client's multiprocess mode: a separate process serving
generate_latest(MultiProcessCollector) over HTTP (start_http_server) on 127.0.0.1, port chosen by
the OS. Prints {"port": N}; exits when stdin closes or a line arrives."""

import json
import os
import sys

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    sys.exit("PROMETHEUS_MULTIPROC_DIR is not set")

from prometheus_client import CollectorRegistry, start_http_server  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

registry = CollectorRegistry()
MultiProcessCollector(registry)
server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
print(json.dumps({"port": server.server_port}), flush=True)
sys.stdin.readline()
server.shutdown()
