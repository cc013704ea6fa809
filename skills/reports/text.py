"""Fonts and text: the embedded DejaVu Sans faces, cleaning, measuring and wrapping.

Shared by the page layout (`layout`) and the writer that draws it (`writer`).
"""

import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"

_font_lock = threading.Lock()
_fonts_ready = False


def register_fonts() -> None:
    """Register the embedded DejaVu Sans faces, once per process."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _font_lock:
        if not _fonts_ready:
            # asciiReadable: ASCII keeps its own codes in the first subset (see Writer).
            for name, file in ((FONT, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
                pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file), asciiReadable=True))
            # Compressed streams are binary; ASCII85 around them only adds a quarter to
            # the size and, without reportlab's C accelerator, a lot of time.
            rl_config.useA85 = 0
            _fonts_ready = True


# Control characters would print as boxes or break lines: tabs become spaces, line
# breaks are kept (and split into lines later), every other one is dropped.
_CONTROL: dict[int, str | None] = {c: None for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
_CONTROL.update({0x09: " ", 0x0A: "\n", 0x0D: "\n", 0x2028: "\n", 0x2029: "\n"})


def clean(text: str) -> str:
    """Composed (NFC) text without control characters, so accents print as one glyph."""
    if text.isprintable():  # most text: no control character or line break to handle
        return unicodedata.normalize("NFC", text)
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).translate(_CONTROL)


# Widths at size 1 by font, then text: the same words and titles recur page after page.
_widths: dict[str, dict[str, float]] = {}


def text_width(text: str, font: str) -> float:
    """Width of `text` at size 1, cached."""
    widths = _widths.setdefault(font, {})
    width = widths.get(text)
    if width is None:
        if len(widths) > 25_000:  # two fonts: at most 50,000 widths kept in all
            widths.clear()
        register_fonts()  # a layout may be measured before any PDF is written
        width = widths[text] = pdfmetrics.stringWidth(text, font, 1)
    return width


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """Split a word too long for a line (a URL, a long run of letters) by characters."""
    pieces, start, used = [], 0, 0.0
    for i, char in enumerate(word):
        w = text_width(char, font) * size
        if used + w > width and i > start:
            pieces.append(word[start:i])
            start, used = i, 0.0
        used += w
    pieces.append(word[start:])
    return pieces


@lru_cache(maxsize=4096)
def wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Lines of `text` that fit `width`; paragraphs kept, runs of blank lines collapsed."""
    lines: list[str] = []
    space = text_width(" ", font) * size
    known = _widths[font]  # looked up here, not through text_width, for each word
    for paragraph in clean(text).split("\n"):
        words = paragraph.split()
        if not words:
            if lines and lines[-1]:
                lines.append("")
            continue
        line: list[str] = []
        used = 0.0
        for word in words:
            w = known.get(word)
            w = (text_width(word, font) if w is None else w) * size
            if w > width:
                if line:
                    lines.append(" ".join(line))
                *full, last = _break_word(word, font, size, width)
                lines.extend(full)
                line, used = [last], text_width(last, font) * size
            elif line and used + space + w > width:
                lines.append(" ".join(line))
                line, used = [word], w
            else:
                used += w + (space if line else 0.0)
                line.append(word)
        if line:
            lines.append(" ".join(line))
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines) or ("",)


def one_line(text: str, font: str, size: float, width: float) -> str:
    """The first line of `text` that fits `width`, with an ellipsis if cut."""
    lines = wrap(text, font, size, width)
    if len(lines) == 1:
        return lines[0]
    first = lines[0]
    while first and text_width(first + "…", font) * size > width:
        first = first[:-1]
    return first + "…"
