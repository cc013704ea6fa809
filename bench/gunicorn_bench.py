"""gunicorn settings for the served-load benchmark (`bench/served.py`)."""

import gc
import os

loglevel = "warning"
accesslog = None


def post_worker_init(worker) -> None:
    # The app is built by now: keep the collector from rescanning its objects on every
    # full collection (the p99 figure; see docs/deployment.md).
    if os.environ.get("BENCH_GC_FREEZE"):
        gc.collect()
        gc.freeze()
