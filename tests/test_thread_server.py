"""The browser tests' thread server: static files served whole, none left open."""

import gc
import http.client
import socket
import struct
import time
import warnings

from skills import create_app

from .thread_server import served

FAVICON = "/static/favicon.svg"


def _app():
    return create_app({"SECRET_KEY": "thread-server", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _get(url: str, path: str, headers: dict[str, str] | None = None):
    host, port = _address(url)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def _hang_up_hard(url: str, path: str) -> None:
    """Send a request, wait for the answer to start, then reset the connection (RST).

    The server is then writing the body or draining the socket in its cleanup, the
    moment a browser's dropped favicon request catches it in.
    """
    host, port = _address(url)
    client = socket.create_connection((host, port), timeout=10)
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    client.recv(1)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def test_a_static_file_is_served_whole_and_in_ranges():
    app = _app()
    with open(app.static_folder + "/favicon.svg", "rb") as file:
        expected = file.read()
    with served(app) as url:
        whole, body = _get(url, FAVICON)
        assert whole.status == 200
        assert whole.headers["Content-Type"].startswith("image/svg+xml")
        assert body == expected
        part, body = _get(url, FAVICON, {"Range": "bytes=5-14"})
        assert part.status == 206
        assert body == expected[5:15]


def test_clients_that_hang_up_mid_response_leave_no_file_open():
    """Without the file wrapper, Werkzeug leaves most of these favicons open."""
    app = _app()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        with served(app) as url:
            for _ in range(50):
                _hang_up_hard(url, FAVICON)
            time.sleep(0.5)  # let the server threads finish their cleanup
        gc.collect()
    leaks = [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)]
    assert leaks == []
