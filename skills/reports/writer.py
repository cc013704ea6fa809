"""Draws laid-out pages onto a reportlab canvas, each with its footer, tagged: every
line of text inside marked content of its structure element or an artifact (`tagging`),
a bookmark per heading, the document's language and title (PDF 1.7)."""

import re
import zlib
from io import BytesIO
from typing import IO, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.graphics import renderPDF
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFDocument, PDFName, PDFStream
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .layout import BLACK, GREY, MARGIN, Layout
from .tagging import ARTIFACT, FOOTER, PAGINATION, Tagger
from .text import BOLD, FONT, one_line, register_fonts, text_width

# Lazy: printed in the language of the report (str() where it is used).
CONFIDENTIAL = _l("Confidential: contains health information. Do not share without consent.")

# PDF string escapes for a byte string of glyph codes (as reportlab's escapePDF).
_ESCAPE = {c: f"\\{c:03o}" for c in (*range(32), *range(127, 256))}
_ESCAPE.update({ord("\\"): "\\\\", ord("("): "\\(", ord(")"): "\\)"})
# Runs of ASCII and of other characters: most lines are ASCII but for a name or a dash.
_SEGMENTS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")


def _escape_ascii(text: str) -> str:
    """`text` (ASCII: its own codes in the first subset) escaped as a PDF string."""
    if text.isprintable():  # the usual case; three replaces are much quicker than translate
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return text.translate(_ESCAPE)


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
        self.tagger = Tagger(canvas)
        self.bookmarks = 0
        # The canvas's document, which the font subset API takes; types-reportlab leaves
        # this private attribute out.
        self.doc = canvas._doc  # type: ignore[attr-defined]
        self.fonts = {name: _true_type(name) for name in (FONT, BOLD)}
        self.runs: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.segments: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self.pages = 0  # pages drawn so far in the whole document

    def _runs(self, font: str, text: str) -> list[tuple[str, str]]:
        """`text` as (subset font name, "(codes) Tj") runs, cached."""
        runs = self.runs.get((font, text))
        if runs is None:
            if len(self.runs) > 20_000:  # notes rarely repeat: keep a batch's memory flat
                self.runs.clear()
            runs = [(name, f"({codes}) Tj") for name, codes in self._encode(font, text)]
            self.runs[(font, text)] = runs
        return runs

    def _encode(self, font: str, text: str) -> list[tuple[str, str]]:
        """`text` as (subset font name, escaped codes) runs, as the font's `splitString`
        would split it, the subset lookup made only for the text that is not ASCII."""
        ttf = self.fonts[font]
        if text.isascii():
            # Fonts are registered asciiReadable, so ASCII characters are their own
            # codes in subset 0: no need for the per-character subset lookup.
            return [(ttf.getSubsetInternalName(0, self.doc), _escape_ascii(text))]
        runs: list[tuple[int, str]] = []
        for segment in _SEGMENTS.findall(text):
            if segment.isascii():
                parts = [(0, _escape_ascii(segment))]
            else:
                parts = self._split(font, segment)
            for subset, codes in parts:
                if runs and runs[-1][0] == subset:  # one run, as splitString makes it
                    runs[-1] = (subset, runs[-1][1] + codes)
                else:
                    runs.append((subset, codes))
        return [(ttf.getSubsetInternalName(subset, self.doc), codes) for subset, codes in runs]

    def _split(self, font: str, segment: str) -> list[tuple[int, str]]:
        """A run of characters that are not ASCII as (subset, escaped codes), cached: a
        few dashes, accents and ticks recur throughout a batch. Codes are given in the
        order characters are first met, as when whole lines are split."""
        parts = self.segments.get((font, segment))
        if parts is None:
            if len(self.segments) > 20_000:
                self.segments.clear()
            parts = self.segments[(font, segment)] = [
                (subset, chunk.decode("latin-1").translate(_ESCAPE))
                for subset, chunk in self.fonts[font].splitString(segment, self.doc)
            ]
        return parts

    def draw(self, layout: Layout, footer: str, outline: bool = True) -> int:
        """Draw every page of `layout`, each with the footer and "Page X of Y", and add
        its structure to the document's (and its headings to the bookmarks unless
        `outline` is false); returns the number of pages drawn."""
        count = len(layout.pages)
        left, right = MARGIN, layout.page_width - MARGIN
        confidential = one_line(str(CONFIDENTIAL), FONT, 7.5, right - left - 80)
        footer = one_line(footer, FONT, 7.5, right - left - 80)
        marks = list(layout.outline) if outline else []
        begin = self.tagger.begin
        known = self.runs.get
        page_of = _("Page %(number)s of %(count)s")  # looked up once, filled in per page
        for number, (texts, shapes, drawings, tags) in enumerate(layout.pages, 1):
            page = page_of % {"number": number, "count": count}
            out = [ARTIFACT, "0.6 w"]
            put = out.append
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
            out += ["EMC", "BT"]
            current_name = current_size = current_color = None
            current_tag: object = None
            for (font, size, color, x, y, text), tag in zip(
                (
                    *texts,
                    (FONT, 7.5, GREY, left, 38, confidential),
                    (FONT, 7.5, GREY, left, 28, footer),
                    (BOLD, 8, BLACK, right - text_width(page, BOLD) * 8, 38, page),
                ),
                (*tags, FOOTER, FOOTER, FOOTER),
                strict=True,
            ):
                if tag is not current_tag:
                    if current_tag is not None:
                        put("EMC")
                    put(tag if isinstance(tag, str) else begin(tag))
                    current_tag = tag
                elif not isinstance(tag, str):
                    # The next line of the same element: a space ends this one, so text
                    # read from the tags keeps its words apart.
                    put("( ) Tj")
                if color != current_color:
                    put(_rgb(color, "rg"))
                    current_color = color
                put(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
                for name, shown in known((font, text)) or self._runs(font, text):
                    if name != current_name or size != current_size:
                        put(f"{name} {size:g} Tf")
                        current_name, current_size = name, size
                    put(shown)
            out += ["EMC", "ET"]
            self.canvas.addLiteral("\n".join(out))
            for drawing, x, y, figure in drawings:
                self.canvas.addLiteral(begin(figure))
                renderPDF.draw(drawing, self.canvas, x, y)
                self.canvas.addLiteral("EMC")
            while marks and marks[0][0] == number - 1:
                _page, top, title, level = marks.pop(0)
                self.bookmarks += 1
                key = f"h{self.bookmarks}"
                self.canvas.bookmarkHorizontalAbsolute(key, top)
                self.canvas.addOutlineEntry(title, key, level=level - 1)
            self._show_page()
            self.tagger.end_page()
        self.tagger.add(layout.root)
        return count

    def blank(self, layout: Layout, words: str) -> None:
        """A page with only `words` on it: the back of a sheet in a double-sided print."""
        self.canvas.addLiteral(PAGINATION)
        self.canvas.setFont(FONT, 8)
        self.canvas.setFillColorRGB(*GREY)
        self.canvas.drawCentredString(layout.page_width / 2, layout.page_height / 2, words)
        self.canvas.addLiteral("EMC")
        self._show_page()

    def _show_page(self) -> None:
        """End the page, its content compressed now rather than when the file is
        written: a batch of 500 holds thousands of pages until then."""
        self.canvas.showPage()
        page = self.doc.Pages.pages[-1]
        content = zlib.compress(page.stream.encode())
        page.Contents = _Content(PDFDictionary({"Filter": PDFName("FlateDecode")}), content)
        page.stream = None
        self.pages += 1

    def save(self) -> None:
        """Write the file (with the structure tree: `Tagger`)."""
        self.runs.clear()  # memory for the file instead
        self.segments.clear()
        self.canvas.save()


class _Content(PDFStream):
    """A page's compressed content, let go of once it is written into the file: else a
    batch holds every page's content and the file made of them at once."""

    def format(self, document: PDFDocument) -> bytes:
        try:
            return super().format(document)
        finally:
            self.content = None


class PdfFile:
    """Where a canvas writes its file: it keeps the bytes reportlab hands over, where a
    BytesIO would copy them (a batch's file is 25 MB: a copy fewer at the memory peak)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(data)
        return len(data)

    def getvalue(self) -> bytes:
        """The file (the bytes written, not a copy, when written at once as reportlab
        does)."""
        return b"".join(self.parts)


def new_canvas(
    buffer: BytesIO | PdfFile,
    title: str,
    author: str,
    pagesize: tuple[float, float] = letter,
    language: str = "en-US",
) -> Canvas:
    """A PDF 1.7 canvas with our fonts registered, the document's language, and its
    title (shown in the viewer's title bar), author and notice set."""
    register_fonts()
    canvas = Canvas(
        cast(IO[bytes], buffer),  # reportlab only calls its `write`
        pagesize=pagesize,
        pageCompression=1,
        # types-reportlab types this as a number; reportlab takes the font's name.
        initialFontName=FONT,  # type: ignore[arg-type]
        initialFontSize=9,
        pdfVersion=(1, 7),
        lang=language,
    )
    canvas.setViewerPreference("DisplayDocTitle", "true")
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(str(CONFIDENTIAL))
    canvas.setCreator("Skills tracker")
    return canvas
