"""Reach page states as a person would: sign in, follow links, send forms (with their
CSRF token), and keep every page the app answers with, for a checker to read later.

`Recorder` listens to Flask's `request_finished`, so it sees every response the test
client gets, redirects followed included, with the endpoint that served it.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, request, request_finished
from flask.testing import FlaskClient

TOKEN = re.compile(r'<input[^>]*\bname="([\w-]*csrf_token)"[^>]*>')
VALUE = re.compile(r'\bvalue="([^"]*)"')


def without_csrf(response: Response) -> str:
    """The page less its CSRF tokens, which are signed with the second they were made:
    two pages that say the same thing differ there when a second boundary falls between."""
    return TOKEN.sub(r'<input name="\1">', response.get_data(as_text=True))


@dataclass
class Page:
    who: str
    method: str
    path: str
    endpoint: str | None
    status: int
    mimetype: str
    body: bytes

    @property
    def is_html(self) -> bool:
        return self.mimetype == "text/html" and not 300 <= self.status < 400


@dataclass
class Recorder:
    """Every response of `app`, tagged with who asked (set `who` before asking)."""

    app: Flask
    who: str = "nobody"
    pages: list[Page] = field(default_factory=list)

    def __post_init__(self) -> None:
        request_finished.connect(self._record, self.app)

    def close(self) -> None:
        request_finished.disconnect(self._record, self.app)

    def _record(self, _sender: Flask, response: Response, **extra: object) -> None:
        body = response.get_data() if response.mimetype == "text/html" else b""
        self.pages.append(
            Page(
                self.who,
                request.method,
                request.full_path.rstrip("?"),
                request.endpoint,
                response.status_code,
                response.mimetype or "",
                body,
            )
        )

    def save(self, folder: Path) -> dict[str, Page]:
        """Write each distinct HTML page to `folder`; file name -> the page it holds."""
        folder.mkdir(parents=True, exist_ok=True)
        saved: dict[str, Page] = {}
        bodies: set[bytes] = set()
        for n, page in enumerate(p for p in self.pages if p.is_html):
            if page.body in bodies:
                continue
            bodies.add(page.body)
            slug = re.sub(r"[^a-z0-9]+", "-", f"{page.method} {page.path}".lower()).strip("-")
            name = f"{n:04d}-{page.who}-{slug[:80]}.html"
            (folder / name).write_bytes(page.body)
            saved[name] = page
        return saved


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links(html: str) -> list[str]:
    """The app's own addresses linked from a page, without fragments."""
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith("/static/"):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


class Visitor:
    """One person's browser: a test client that sends the CSRF token with every form."""

    def __init__(self, app: Flask, recorder: Recorder, who: str, language: str = "en-US"):
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.recorder = recorder
        self.who = who
        self.headers = {"Accept-Language": language}
        self.token = ""
        self.token_names: set[str] = {"csrf_token"}

    def _remember(self, response: Response) -> None:
        if response.mimetype != "text/html":
            return
        for match in TOKEN.finditer(response.get_data(as_text=True)):
            self.token_names.add(match.group(1))
            value = VALUE.search(match.group(0))
            if value:
                self.token = value.group(1)

    def get(self, path: str, follow: bool = True) -> Response:
        self.recorder.who = self.who
        response = self.client.get(path, headers=self.headers, follow_redirects=follow)
        self._remember(response)
        return response

    def post(self, path: str, data: dict | None = None, follow: bool = True, **kw) -> Response:
        """POST with the token under every name a form of this session used for it."""
        if not self.token:
            self.get("/login")
        self.recorder.who = self.who
        tokens = {name: self.token for name in self.token_names}
        response = self.client.post(
            path,
            data={**tokens, **(data or {})},
            headers=self.headers,
            follow_redirects=follow,
            **kw,
        )
        self._remember(response)
        return response

    def sign_in(self, username: str, password: str) -> Response:
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password}, follow=False)
        assert response.status_code == 302, f"{username} could not sign in"
        return self.get(response.headers["Location"])

    def crawl(self, start: str, per_kind: int = 2, most: int = 400) -> int:
        """Follow links from `start`, opening at most `per_kind` addresses of each route
        and set of query parameters (one mentee's page stands for the others)."""
        kinds: dict[tuple[str, tuple[str, ...]], int] = {}
        queue, seen, opened = [start], {start}, 0
        adapter = self.app.url_map.bind("localhost")
        while queue and opened < most:
            path = queue.pop(0)
            parts = urlsplit(path)
            try:
                endpoint, _ = adapter.match(parts.path, "GET")
            except Exception:  # noqa: BLE001 - a link to nowhere is opened once (a 404)
                endpoint = "?"
            keys = tuple(sorted({q.split("=")[0] for q in parts.query.split("&") if q}))
            kind = (endpoint, keys)
            if kinds.get(kind, 0) >= per_kind:
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
            response = self.get(path, follow=False)
            opened += 1
            if 300 <= response.status_code < 400:
                target = response.headers["Location"]
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
            if response.mimetype == "text/html":
                for link in links(response.get_data(as_text=True)):
                    if link not in seen:
                        seen.add(link)
                        queue.append(link)
        return opened
