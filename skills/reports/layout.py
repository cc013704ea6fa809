"""The page layout: flows text, tables, bars and charts down pages.

Pages are drawn straight onto a reportlab canvas with a small layout of our own
(platypus measured about three times slower for a batch). Each report is laid out
first as lists of text and shape operations per page, so the total page count is
known before drawing and every page can say "Page X of Y"; `writer` draws them.

Each line of text is also tagged with its structure element (`tagging`): a paragraph,
a heading, a table cell, a list item's label or body; the running header and the
repeated table headers are artifacts, and every shape is decoration. Headings are
recorded with their place for the bookmarks.

It knows nothing of mentees or caseloads: the report layouts are in `pdf.py` and
`caseload_pdf.py`.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .tagging import COLUMN_HEADER, HEADER, PAGINATION, ROW_HEADER, Element, Tag, text_string
from .text import BOLD, FONT, one_line, text_width, wrap

Color = tuple[float, float, float]  # RGB, each 0 to 1

BLACK = (0.0, 0.0, 0.0)
GREY = (0.33, 0.33, 0.33)
RULE = (0.75, 0.75, 0.75)
STRIPE = (0.95, 0.95, 0.95)
BAR_EMPTY = (0.87, 0.89, 0.92)
BAR_FILL = (0.13, 0.45, 0.32)

MARGIN = 54  # 3/4 inch
FOOTER_SPACE = 50
CELL_PAD = 2.5  # a table cell's padding on each side


class Layout:
    """Flows text, tables and shapes down pages, recording them for drawing later."""

    def __init__(
        self,
        pagesize: tuple[float, float],
        running_header: str | Sequence[str] = "",
        body: float = 9.0,
    ) -> None:
        self.page_width, self.page_height = pagesize
        self.left = MARGIN
        self.right = self.page_width - MARGIN
        self.width = self.right - self.left
        self.top = self.page_height - MARGIN + 12
        self.bottom = FOOTER_SPACE + 14
        # Lines repeated at the top of every page after the first (a legend, say).
        self.running = [running_header] if isinstance(running_header, str) else running_header
        self.running = [line for line in self.running if line]
        self.body = body  # the size of body text: larger on the mentee's copy
        # The structure: everything laid out goes in the innermost open group.
        self.root = Element("Sect")
        self.groups = [self.root]
        # Headings for the bookmarks: (page index, top y, title, heading level).
        self.outline: list[tuple[int, float, str, int]] = []
        # Per page: texts, shapes, reportlab drawings (with their x, y and figure
        # element), and each text's tag (an element or an artifact).
        self.pages: list[tuple[list, list, list, list[Tag]]] = []
        self.new_page()

    def new_page(self) -> None:
        self.texts: list[tuple] = []
        self.shapes: list[tuple] = []
        self.drawings: list[tuple[Any, float, float, Element]] = []
        self.tags: list[Tag] = []
        self.pages.append((self.texts, self.shapes, self.drawings, self.tags))
        self.y = self.top
        if self.running and len(self.pages) > 1:
            for line in self.running:
                line = one_line(line, FONT, 8, self.width)
                self.text(self.left, self.y - 8, line, FONT, 8, GREY, HEADER)
                self.y -= 10.5
            self.shapes.append(("line", self.left, self.y - 2, self.right, self.y - 2, RULE))
            self.y -= 14

    def element(self, role: str, attrs: str = "") -> Element:
        """A new structure element in the innermost open group."""
        return Element(role, self.groups[-1], attrs)

    @contextmanager
    def group(self, role: str, attrs: str = "") -> Iterator[Element]:
        """A structure element (a list, say) that holds what is laid out inside `with`."""
        element = self.element(role, attrs)
        self.groups.append(element)
        try:
            yield element
        finally:
            self.groups.pop()

    def bookmark(self, title: str, level: int) -> None:
        """A bookmark to the current place, at heading `level` (1 is the top)."""
        self.outline.append((len(self.pages) - 1, self.y, title, level))

    def drawing(self, drawing: Any, height: float, alt: str) -> None:
        """A reportlab graphics `Drawing` of `height` points, kept whole on one page;
        tagged as a figure, `alt` saying in words what it shows."""
        self.need(height)
        bottom = self.y - height
        box = f"[{self.left:.1f} {bottom:.1f} {self.left + drawing.width:.1f} {self.y:.1f}]"
        figure = self.element("Figure", f"/Alt {text_string(alt)} /A <</O /Layout /BBox {box}>>")
        self.drawings.append((drawing, self.left, bottom, figure))
        self.y -= height

    def caption_size(self, size: float | None = None) -> float:
        """A table's caption, or the same heading over a paragraph: bold, at least 10 pt
        (the body's size where that is larger, as in the mentee copy)."""
        return max(size or self.body, 10.0)

    def lines(self, count: int = 3, size: float | None = None) -> float:
        """The height of `count` lines (body size unless `size`): as `keep_with_next`,
        room for the start of the next paragraph, which asks for up to three lines before
        it starts; keeping less strands a heading or a first line at a page's foot."""
        return count * (size or self.body) * 1.3

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
        tag: Tag | None = None,
    ) -> None:
        """One line of text; `tag` is its structure element (a new paragraph if none)."""
        self.texts.append((font, size, color, x, y, s))
        self.tags.append(self.element("P") if tag is None else tag)

    def paragraph(
        self,
        s: str,
        font: str = FONT,
        size: float | None = None,
        color: Color = BLACK,
        indent: float = 0,
        keep_with_next: float = 0,
        role: str = "P",
        into: Element | None = None,
    ) -> Element:
        """Wrapped text that may run on to the next page line by line (body size unless
        `size` is given): a new element of `role`, or more text `into` an element."""
        size = size or self.body
        leading = size * 1.3
        tag = into or self.element(role)
        lines = wrap(s, font, size, self.width - indent)
        self.need(min(len(lines), 3) * leading + keep_with_next)
        x = self.left + indent
        for line in lines:
            self.need(leading)
            if line:
                self.text(x, self.y - size, line, font, size, color, tag)
            self.y -= leading
        return tag

    def item(self, label: str, s: str, indent: float = 4, size: float | None = None) -> None:
        """A list item: `label` (a bullet) hanging left of wrapped text, in an open "L"."""
        size = size or self.body
        leading = size * 1.3
        entry = self.element("LI")
        lbl, body = Element("Lbl", entry), Element("LBody", entry)
        x = self.left + indent + (text_width(label, FONT) + 0.6) * size
        lines = wrap(s, FONT, size, self.right - x)
        self.need(min(len(lines), 3) * leading)
        self.text(self.left + indent, self.y - size, label, FONT, size, BLACK, lbl)
        for n, line in enumerate(lines):
            if n:
                self.need(leading)
            if line:
                self.text(x, self.y - size, line, FONT, size, BLACK, body)
            self.y -= leading

    def heading(
        self, s: str, size: float = 13.0, keep_with_next: float = 40, level: int = 2
    ) -> Element:
        """A section heading with a rule under it, and a bookmark."""
        self.gap(size * 0.8)
        self.need(size * 1.4 + keep_with_next)
        self.bookmark(s, level)
        tag = self.element(f"H{level}")
        line = one_line(s, BOLD, size, self.width)
        self.text(self.left, self.y - size, line, BOLD, size, BLACK, tag)
        self.y -= size * 1.4
        self.shapes.append(("line", self.left, self.y + 2, self.right, self.y + 2, RULE))
        self.y -= 4
        return tag

    def bar(self, x: float, y: float, width: float, height: float, fraction: float) -> None:
        self.shapes.append(("rect", x, y, width, height, BAR_EMPTY))
        if fraction > 0:
            self.shapes.append(("rect", x, y, width * min(fraction, 1.0), height, BAR_FILL))

    def table(
        self,
        columns: list[tuple[str, float]],
        rows: Iterable[list[str]],
        size: float | None = None,
        caption: str = "",
        right: Sequence[int] = (),
        bold_last: bool = False,
        caption_role: str = "Caption",
        row_headers: bool = False,
    ) -> None:
        """A table with a header row, repeated (with the caption) on each new page.

        Columns whose index is in `right` are right-aligned (numbers); `bold_last` sets the
        last row in bold (a row of totals or averages). The caption is the table's
        "Caption", or a heading before it ("H3"); with `row_headers` the first cell of a
        row is the header of its row. Repeats of the header are artifacts."""
        size = size or self.body
        rows = list(rows) if bold_last else rows
        last_row = rows[-1] if bold_last and rows else None  # type: ignore[index]
        leading = size * 1.25
        pad = CELL_PAD
        caption_size = self.caption_size(size)
        widths = [w for _, w in columns]
        xs: list[float] = [self.left]
        for w in widths[:-1]:
            xs.append(xs[-1] + w)
        title = self.element(caption_role) if caption and caption_role != "Caption" else None
        table = self.element("Table")
        if caption and title is None:
            title = Element("Caption", table)

        def header(continued: bool) -> None:
            head = Element("TR", table) if not continued else None
            if caption:
                label = caption + (" (continued)" if continued else "")
                tag: Tag = PAGINATION if continued or title is None else title
                line = one_line(label, BOLD, caption_size, self.width)
                self.text(self.left, self.y - caption_size, line, BOLD, caption_size, BLACK, tag)
                self.y -= caption_size * 1.5
            for i, ((name, w), x) in enumerate(zip(columns, xs, strict=True)):
                label = one_line(name, BOLD, size, w - 2 * pad)
                if i in right:
                    x += w - 2 * pad - text_width(label, BOLD) * size
                tag = Element("TH", head, COLUMN_HEADER) if head else PAGINATION
                self.text(x + pad, self.y - size, label, BOLD, size, BLACK, tag)
            self.y -= leading + pad
            self.shapes.append(("line", self.left, self.y, self.right, self.y, RULE))

        head_height = (caption_size * 1.5 if caption else 0) + leading + pad
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
            font = BOLD if row is last_row else FONT
            tr = Element("TR", table)
            for i, (lines, x, w) in enumerate(zip(cells, xs, widths, strict=True)):
                cell = Element("TH", tr, ROW_HEADER) if row_headers and not i else Element("TD", tr)
                y = self.y - pad - size
                for line in lines:
                    if line:
                        dx = w - 2 * pad - text_width(line, font) * size if i in right else 0
                        self.text(x + pad + dx, y, line, font, size, BLACK, cell)
                    y -= leading
            self.y -= height
        if first_row:
            return
        self.shapes.append(("line", self.left, self.y, self.right, self.y, RULE))
