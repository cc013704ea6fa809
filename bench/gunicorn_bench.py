"""gunicorn settings for the benchmarks (`bench/served.py`, `bench/soak.py`).

The app comes from `skills.wsgi`, which already calls `gc.freeze()` after building it;
nothing here changes how it runs, only what gunicorn logs.
"""

loglevel = "warning"
accesslog = None
