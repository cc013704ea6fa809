"""What the page-state lists share: a state to visit, sending a form, opening every
disclosure, and the files a person might choose to upload."""

import io
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image


@dataclass
class Visit:
    """A page state to check: a path to open, or steps that get the page there."""

    name: str
    path: str | None = None
    steps: Callable | None = None
    status: int = 200


def submit(page, button: str, exact: bool = False) -> None:
    """Press a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=exact).click()


def submit_css(page, selector: str) -> None:
    """The same by CSS, for pages in a language the test does not read."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def open_all_details(page) -> None:
    closed = page.locator("main details:not([open]) > summary")
    for _ in range(closed.count()):
        closed.first.click()


def photo_file(name: str = "bus-pass.png") -> dict:
    """A small real picture, as a phone's file chooser would hand it over."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, format="PNG")
    return {"name": name, "mimeType": "image/png", "buffer": buffer.getvalue()}


def not_a_photo() -> dict:
    """Text named like a picture: refused with a message beside the field."""
    return {"name": "receipt.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture at all\n"}
