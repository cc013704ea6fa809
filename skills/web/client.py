"""The client of the current request, as the audit log records it.

The address is Werkzeug's `remote_addr`: the peer of the connection, or, when
TRUSTED_PROXIES is set, the address the trusted proxies passed on (ProxyFix in
`create_app`). A client's own X-Forwarded-For is never believed otherwise.
"""

from flask import Flask, has_request_context, request

from ..services import audit

ADDRESS_MAX = 45  # the longest IPv6 text form
USER_AGENT_MAX = 255


def _clean(value: str | None, limit: int) -> str | None:
    # A header is whatever the client sent: keep printable characters only (PostgreSQL
    # refuses a NUL) and a bounded length.
    text = "".join(ch for ch in value or "" if ch.isprintable())[:limit]
    return text or None


def current_client() -> audit.Client | None:
    """The client of the request being handled; None outside a request (command line)."""
    if not has_request_context():
        return None
    return audit.Client(
        address=_clean(request.remote_addr, ADDRESS_MAX),
        user_agent=_clean(request.headers.get("User-Agent"), USER_AGENT_MAX),
    )


def init_app(app: Flask) -> None:
    audit.set_client_source(current_client)
