"""The app served from a thread of the test process (the browser tests' site).

Werkzeug's development server has a leak a browser triggers: when a client hangs up
while a response is being written, reading the rest of the request in its cleanup
raises, and the response iterator is never closed. A static file (the favicon,
which Chromium drops whenever a page navigates away quickly) stays open, and its
ResourceWarning fails whichever test is running when it is collected (a CI run
lost `test_skip_link_moves_focus_to_the_main_content` that way).

Production servers pass their own `wsgi.file_wrapper` (gunicorn's uses sendfile);
here the wrapper reads the file whole and closes it before anything is written, so a
dropped connection has nothing left open.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server


def read_whole(file, _block_size: int = 8192) -> list[bytes]:
    """A PEP 3333 `wsgi.file_wrapper` that has closed the file when it returns (read at
    once: no block size needed)."""
    with file:
        return [file.read()]


def closing_files(app):
    """`app` as a WSGI callable whose file responses hold no open file."""

    def serve(environ, start_response):
        environ["wsgi.file_wrapper"] = read_whole
        return app(environ, start_response)

    return serve


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """Serve `app` on a free port of 127.0.0.1 until the block ends; yields its URL."""
    server = make_server("127.0.0.1", 0, closing_files(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
