"""The PDF layout engine: fonts, text measuring and wrapping, a page layout that flows
text, tables and bars down pages, and a writer that draws the pages with a footer.

Pages are drawn straight onto a reportlab canvas with a small layout of our own
(platypus measured about three times slower for a batch). Each report is laid out
first as lists of text and shape operations per page, so the total page count is
known before drawing and every page can say "Page X of Y". All text is drawn with
the canvas text operators, which print `<`, `>` and `&` literally.

It knows nothing of mentees or caseloads: the report layouts are in `pdf.py`.
"""

import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"

CONFIDENTIAL = "Confidential: contains health information. Do not share without consent."

Color = tuple[float, float, float]  # RGB, each 0 to 1

BLACK = (0.0, 0.0, 0.0)
GREY = (0.33, 0.33, 0.33)
RULE = (0.75, 0.75, 0.75)
STRIPE = (0.95, 0.95, 0.95)
BAR_EMPTY = (0.87, 0.89, 0.92)
BAR_FILL = (0.13, 0.45, 0.32)

MARGIN = 54  # 3/4 inch
FOOTER_SPACE = 50

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
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).translate(_CONTROL)


_widths: dict[tuple[str, str], float] = {}


def _width(text: str, font: str) -> float:
    """Width of `text` at size 1, cached: the same words and titles recur page after page."""
    key = (text, font)
    width = _widths.get(key)
    if width is None:
        if len(_widths) > 50_000:
            _widths.clear()
        width = _widths[key] = pdfmetrics.stringWidth(text, font, 1)
    return width


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """Split a word too long for a line (a URL, a long run of letters) by characters."""
    pieces, start, used = [], 0, 0.0
    for i, char in enumerate(word):
        w = _width(char, font) * size
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
    space = _width(" ", font) * size
    for paragraph in clean(text).split("\n"):
        words = paragraph.split()
        if not words:
            if lines and lines[-1]:
                lines.append("")
            continue
        line: list[str] = []
        used = 0.0
        for word in words:
            w = _width(word, font) * size
            if w > width:
                if line:
                    lines.append(" ".join(line))
                *full, last = _break_word(word, font, size, width)
                lines.extend(full)
                line, used = [last], _width(last, font) * size
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
    while first and _width(first + "…", font) * size > width:
        first = first[:-1]
    return first + "…"


class Layout:
    """Flows text, tables and shapes down pages, recording them for drawing later."""

    def __init__(self, pagesize: tuple[float, float], running_header: str = "") -> None:
        self.page_width, self.page_height = pagesize
        self.left = MARGIN
        self.right = self.page_width - MARGIN
        self.width = self.right - self.left
        self.top = self.page_height - MARGIN + 12
        self.bottom = FOOTER_SPACE + 14
        self.running_header = running_header
        self.pages: list[tuple[list, list]] = []
        self.new_page()

    def new_page(self) -> None:
        self.texts: list[tuple] = []
        self.shapes: list[tuple] = []
        self.pages.append((self.texts, self.shapes))
        self.y = self.top
        if self.running_header and len(self.pages) > 1:
            self.text(self.left, self.y - 8, self.running_header, FONT, 8, GREY)
            self.shapes.append(("line", self.left, self.y - 12, self.right, self.y - 12, RULE))
            self.y -= 24

    def need(self, height: float) -> None:
        """Start a new page unless `height` still fits on this one."""
        if self.y - height < self.bottom:
            self.new_page()

    def gap(self, height: float) -> None:
        self.y = max(self.y - height, self.bottom)

    def text(
        self,
        x: float,
        y: float,
        s: str,
        font: str = FONT,
        size: float = 9.0,
        color: Color = BLACK,
    ) -> None:
        self.texts.append((font, size, color, x, y, s))

    def paragraph(
        self,
        s: str,
        font: str = FONT,
        size: float = 9.0,
        color: Color = BLACK,
        indent: float = 0,
        keep_with_next: float = 0,
    ) -> None:
        """Wrapped text that may run on to the next page line by line."""
        leading = size * 1.3
        lines = wrap(s, font, size, self.width - indent)
        self.need(min(len(lines), 3) * leading + keep_with_next)
        x = self.left + indent
        for line in lines:
            self.need(leading)
            if line:
                self.text(x, self.y - size, line, font, size, color)
            self.y -= leading

    def heading(self, s: str, size: float = 13.0, keep_with_next: float = 40) -> None:
        self.gap(size * 0.8)
        self.need(size * 1.4 + keep_with_next)
        self.text(self.left, self.y - size, one_line(s, BOLD, size, self.width), BOLD, size)
        self.y -= size * 1.4
        self.shapes.append(("line", self.left, self.y + 2, self.right, self.y + 2, RULE))
        self.y -= 4

    def bar(self, x: float, y: float, width: float, height: float, fraction: float) -> None:
        self.shapes.append(("rect", x, y, width, height, BAR_EMPTY))
        if fraction > 0:
            self.shapes.append(("rect", x, y, width * min(fraction, 1.0), height, BAR_FILL))

    def table(
        self,
        columns: list[tuple[str, float]],
        rows: Iterable[list[str]],
        size: float = 8.5,
        caption: str = "",
    ) -> None:
        """A table with a header row, repeated (with the caption) on each new page."""
        leading = size * 1.25
        pad = 2.5
        widths = [w for _, w in columns]
        xs: list[float] = [self.left]
        for w in widths[:-1]:
            xs.append(xs[-1] + w)

        def header(continued: bool) -> None:
            if caption:
                label = caption + (" (continued)" if continued else "")
                self.text(self.left, self.y - 10, one_line(label, BOLD, 10, self.width), BOLD, 10)
                self.y -= 15
            for (title, w), x in zip(columns, xs, strict=True):
                self.text(
                    x + pad, self.y - size, one_line(title, BOLD, size, w - 2 * pad), BOLD, size
                )
            self.y -= leading + pad
            self.shapes.append(("line", self.left, self.y, self.right, self.y, RULE))

        head_height = (15 if caption else 0) + leading + pad
        first_row = True
        stripe = False
        for row in rows:
            cells = [wrap(v, FONT, size, w - 2 * pad) for v, w in zip(row, widths, strict=True)]
            height = max(len(c) for c in cells) * leading + 2 * pad
            if first_row:
                self.need(head_height + min(height, 3 * leading + 2 * pad))
                header(False)
                first_row = False
            if self.y - height < self.bottom:
                if height > self.top - self.bottom - head_height:  # taller than a page
                    cells = [
                        c[: int((self.top - self.bottom - head_height) // leading) - 1]
                        for c in cells
                    ]
                    height = max(len(c) for c in cells) * leading + 2 * pad
                self.new_page()
                header(True)
            if stripe:
                self.shapes.append(("rect", self.left, self.y - height, self.width, height, STRIPE))
            stripe = not stripe
            for lines, x in zip(cells, xs, strict=True):
                y = self.y - pad - size
                for line in lines:
                    if line:
                        self.text(x + pad, y, line, FONT, size)
                    y -= leading
            self.y -= height
        if first_row:
            return
        self.shapes.append(("line", self.left, self.y, self.right, self.y, RULE))


# PDF string escapes for a byte string of glyph codes (as reportlab's escapePDF).
_ESCAPE = {c: f"\\{c:03o}" for c in (*range(32), *range(127, 256))}
_ESCAPE.update({ord("\\"): "\\\\", ord("("): "\\(", ord(")"): "\\)"})


def _rgb(color: tuple[float, float, float], op: str) -> str:
    return f"{color[0]:.3f} {color[1]:.3f} {color[2]:.3f} {op}"


def _true_type(name: str) -> TTFont:
    """A registered TrueType font (types-reportlab says `getFont` returns a plain Font)."""
    font = pdfmetrics.getFont(name)
    if not isinstance(font, TTFont):
        raise TypeError(f"{name} is not a TrueType font")
    return font


class Writer:
    """Draws laid-out pages onto one canvas as raw PDF operators.

    reportlab's text objects measure every string again and format each number
    with a slow pure-Python routine when its C accelerator is not installed; the
    layout already knows where everything goes, so we emit the operators directly,
    using the documented subset API of TrueType fonts (`splitString` and
    `getSubsetInternalName`). Encoded strings are cached per document: skill
    titles, levels and names repeat on every page and every report of a batch.
    """

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        # The canvas's document, which the font subset API takes; types-reportlab leaves
        # this private attribute out.
        self.doc = canvas._doc  # type: ignore[attr-defined]
        self.fonts = {name: _true_type(name) for name in (FONT, BOLD)}
        self.runs: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def _runs(self, font: str, text: str) -> list[tuple[str, str]]:
        runs = self.runs.get((font, text))
        if runs is None:
            if len(self.runs) > 20_000:  # notes rarely repeat: keep a batch's memory flat
                self.runs.clear()
            ttf = self.fonts[font]
            if text.isascii():
                # Fonts are registered asciiReadable, so ASCII characters are their own
                # codes in subset 0: no need for the per-character subset lookup.
                runs = [(ttf.getSubsetInternalName(0, self.doc), text.translate(_ESCAPE))]
                self.runs[(font, text)] = runs
                return runs
            runs = self.runs[(font, text)] = [
                (
                    ttf.getSubsetInternalName(subset, self.doc),
                    chunk.decode("latin-1").translate(_ESCAPE),
                )
                for subset, chunk in ttf.splitString(text, self.doc)
            ]
        return runs

    def draw(self, layout: Layout, footer: str) -> None:
        """Draw every page of `layout`, each with the footer and "Page X of Y"."""
        count = len(layout.pages)
        left, right = MARGIN, layout.page_width - MARGIN
        confidential = one_line(CONFIDENTIAL, FONT, 7.5, right - left - 80)
        for number, (texts, shapes) in enumerate(layout.pages, 1):
            page = f"Page {number} of {count}"
            out = ["0.6 w"]
            fill = stroke = None
            for kind, x1, y1, x2, y2, color in shapes:
                if kind == "rect":
                    if color != fill:
                        out.append(_rgb(color, "rg"))
                        fill = color
                    out.append(f"{x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f} re f")
                else:
                    if color != stroke:
                        out.append(_rgb(color, "RG"))
                        stroke = color
                    out.append(f"{x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S")
            out.append("BT")
            current_font = current_color = None
            for font, size, color, x, y, text in (
                *texts,
                (FONT, 7.5, GREY, left, 38, confidential),
                (FONT, 7.5, GREY, left, 28, footer),
                (BOLD, 8, BLACK, right - _width(page, BOLD) * 8, 38, page),
            ):
                if color != current_color:
                    out.append(_rgb(color, "rg"))
                    current_color = color
                out.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
                for name, escaped in self._runs(font, text):
                    if (name, size) != current_font:
                        out.append(f"{name} {size:g} Tf")
                        current_font = (name, size)
                    out.append(f"({escaped}) Tj")
            out.append("ET")
            self.canvas.addLiteral("\n".join(out))
            self.canvas.showPage()


def new_canvas(
    buffer: BytesIO, title: str, author: str, pagesize: tuple[float, float] = letter
) -> Canvas:
    """A canvas with our fonts registered and the document's title, author and notice set."""
    register_fonts()
    canvas = Canvas(
        buffer,
        pagesize=pagesize,
        pageCompression=1,
        # types-reportlab types this as a number; reportlab takes the font's name.
        initialFontName=FONT,  # type: ignore[arg-type]
        initialFontSize=9,
    )
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(CONFIDENTIAL)
    canvas.setCreator("Skills tracker")
    return canvas
