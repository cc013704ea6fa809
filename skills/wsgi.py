"""The WSGI entry point for production servers: `gunicorn skills.wsgi:app`."""

import gc

from . import create_app

app = create_app()
# Keep the garbage collector from rescanning the start-up objects on every collection:
# measured to halve the mentor page's p99 (bench/run.py). Not in create_app, because
# tests and the CLI build many apps and would pin each of them in memory.
gc.collect()
gc.freeze()
