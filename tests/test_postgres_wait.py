"""The suite's first PostgreSQL connection waits for the server (tests/conftest.py):
a CI run once lost every PostgreSQL test to one connection attempt that timed out.

Through tests/tcp_proxy.py, which refuses connections ("down") until it is told to
forward them. Skipped only when PostgreSQL cannot be reached and CI is not set."""

import os
import threading
import time

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from .conftest import POSTGRES_URL, wait_for_postgres
from .tcp_proxy import TcpProxy

SERVER = make_url(POSTGRES_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def proxy():
    try:
        wait_for_postgres(SERVER.render_as_string(hide_password=False), within=0)
    except OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable and CI must run this test: {exc}")
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    proxy = TcpProxy(SERVER.host or "127.0.0.1", SERVER.port or 5432)
    proxy.set_mode("down")
    yield proxy, SERVER.set(host=proxy.host, port=proxy.port).render_as_string(False)
    proxy.close()


def test_the_first_connection_waits_for_a_server_that_is_not_answering_yet(proxy):
    proxy, url = proxy
    threading.Timer(2.0, proxy.set_mode, ("forward",)).start()
    started = time.monotonic()
    wait_for_postgres(url, within=30)
    assert time.monotonic() - started >= 2.0  # refused at first, then tried again


def test_a_server_that_never_answers_fails_with_its_own_error_when_the_wait_ends(proxy):
    proxy, url = proxy
    started = time.monotonic()
    with pytest.raises(OperationalError, match="Connection refused|connection failed"):
        wait_for_postgres(url, within=2)
    assert time.monotonic() - started >= 2.0  # it kept trying for as long as it was told
