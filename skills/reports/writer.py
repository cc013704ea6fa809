"""Draws laid-out pages onto a reportlab canvas, each with its footer, tagged: every
line of text inside marked content of its structure element or an artifact (`tagging`),
a bookmark per heading, the document's language and title (PDF 1.7)."""

import zlib
from io import BytesIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.graphics import renderPDF
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFStream
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
        self.pages = 0  # pages drawn so far in the whole document

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
        for number, (texts, shapes, drawings, tags) in enumerate(layout.pages, 1):
            page = _("Page %(number)s of %(count)s", number=number, count=count)
            out = [ARTIFACT, "0.6 w"]
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
            current_font = current_color = None
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
                        out.append("EMC")
                    out.append(tag if isinstance(tag, str) else begin(tag))
                    current_tag = tag
                elif not isinstance(tag, str):
                    # The next line of the same element: a space ends this one, so text
                    # read from the tags keeps its words apart.
                    out.append("( ) Tj")
                if color != current_color:
                    out.append(_rgb(color, "rg"))
                    current_color = color
                out.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
                for name, escaped in self._runs(font, text):
                    if (name, size) != current_font:
                        out.append(f"{name} {size:g} Tf")
                        current_font = (name, size)
                    out.append(f"({escaped}) Tj")
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
        page.Contents = PDFStream(PDFDictionary({"Filter": PDFName("FlateDecode")}), content)
        page.stream = None
        self.pages += 1

    def save(self) -> None:
        """Write the file (with the structure tree: `Tagger`)."""
        self.canvas.save()


def new_canvas(
    buffer: BytesIO,
    title: str,
    author: str,
    pagesize: tuple[float, float] = letter,
    language: str = "en-US",
) -> Canvas:
    """A PDF 1.7 canvas with our fonts registered, the document's language, and its
    title (shown in the viewer's title bar), author and notice set."""
    register_fonts()
    canvas = Canvas(
        buffer,
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
