"""Tagged PDF: marked content on the pages and the structure tree that points into it.

reportlab has no tagging API, but the page operators are ours already (`writer`), so the
tags are made in the one pass that draws: the layout records which structure element
(P, H2, TD, …) each line of text belongs to; the writer wraps each element's lines in
`/P <</MCID n>> BDC … EMC`, and the running header, footer, rules and bars in
`/Artifact … EMC`. This module keeps each drawn report's elements as compact bytes and,
when reportlab has written the file (the elements' object numbers follow reportlab's,
known only then), appends them in compressed object streams, the catalog again (now
pointing at the tree) and a cross-reference stream in place of reportlab's table.

Why not reportlab objects, or pikepdf afterwards: a batch of 500 reports has over half
a million structure elements. As reportlab objects (one uncompressed object each, and
its bookkeeping) they doubled the batch's CPU time and took its memory from 290 to
780 MB and its file from 14 to 82 MB; pikepdf would have to parse and rewrite the whole
file and add each element through a per-object API. Written here, compressed, the
batch's file is 25 MB and its time and memory are what they were untagged (with the
cycle collector paused: `caseload_pdf`). pikepdf stays a test dependency, where it
walks this tree.
"""

import re
import sys
import zlib
from array import array
from collections.abc import Iterator
from itertools import islice

from reportlab.pdfbase.pdfdoc import (
    PDFDictionary,
    PDFDocument,
    PDFName,
    PDFObjectReference,
    PDFPage,
    format,
)
from reportlab.pdfgen.canvas import Canvas

# Marked-content openers for what is not content: repeated on every page, or decoration.
HEADER = "/Artifact <</Type /Pagination /Subtype /Header>> BDC"
FOOTER = "/Artifact <</Type /Pagination /Subtype /Footer>> BDC"
PAGINATION = "/Artifact <</Type /Pagination>> BDC"  # a table header repeated, a blank page
ARTIFACT = "/Artifact BMC"  # rules, stripes, bars, signature lines

COLUMN_HEADER = "/A <</O /Table /Scope /Column>>"
ROW_HEADER = "/A <</O /Table /Scope /Row>>"

# In the compact form, a reference to another structure object is "\0 0 R" with its
# index kept aside, and objects are separated by "\1": neither byte occurs otherwise.
_REF, _NEXT = "\0", "\1"
_KID = f"{_REF} 0 R"
_PER_STREAM = 500  # objects per object stream
_ROOT, _DOCUMENT = 0, 1  # indexes of the tree's root and the Document element
_CELLS = ("TD", "TH")  # kept when empty, so a table's columns still line up
# reportlab writes only the page keys it lists: a tagged page has two more.
_PAGE_KEYS = [*PDFPage.__NoDefault__, "StructParents", "Tabs"]


def text_string(text: str) -> str:
    """A PDF text string (UTF-16BE with its byte-order mark), for /T, /Alt and the like."""
    return "<feff" + text.encode("utf-16-be").hex() + ">"


class Element:
    """A structure element: its role, its kids in reading order, and the marked-content
    runs (page, MCID) that hold its own text, filled in as the pages are drawn.

    Text belongs to leaves (P, H2, TD, Lbl, …); containers (Table, TR, L, LI, Sect)
    only hold elements."""

    __slots__ = ("role", "kids", "runs", "attrs", "index")

    def __init__(self, role: str, parent: "Element | None" = None, attrs: str = "") -> None:
        self.role = role
        self.kids: list[Element] = []
        self.runs: list[tuple[int, int]] = []  # (reportlab's page counter, MCID)
        self.attrs = attrs  # more dictionary entries, in PDF syntax
        self.index = 0  # among the document's structure objects, once written
        if parent is not None:
            parent.kids.append(self)


# What a line of text is tagged with: its element, or one of the artifact openers above.
Tag = Element | str


class Tagger:
    """The structure tree of one document: marked content is numbered as the pages are
    drawn (`begin`, `end_page`), each report's elements kept compact once it is drawn
    (`add`), and the tree written after reportlab's objects when the file is made."""

    def __init__(self, canvas: Canvas) -> None:
        self.doc = canvas._doc  # type: ignore[attr-defined]
        self.count = 2  # structure objects so far: the root and the Document come first
        self.top: list[int] = []  # the Document's kids
        self.chunks: list[tuple[bytes, array]] = []  # (objects, their references) a report
        self.on_page: list[Element] = []  # the element of each MCID on the page being drawn
        self.drawn: list[list[Element]] = []  # those of the report's pages already shown
        self.parents: list[array] = []  # the parent tree: element indexes by MCID, a page
        self.doc.Catalog.MarkInfo = PDFDictionary({"Marked": "true"})
        self.doc.format = self._format  # reportlab's, then the tree (see `_format`)

    def begin(self, element: Element) -> str:
        """The operator opening a run of `element`'s text on the page being drawn."""
        mcid = len(self.on_page)
        self.on_page.append(element)
        element.runs.append((self.doc.pageCounter, mcid))
        return f"/{element.role} <</MCID {mcid}>> BDC"

    def end_page(self) -> None:
        """After `showPage`: the page's key into the parent tree."""
        if not self.on_page:
            return
        page = self.doc.Pages.pages[-1]
        page.__NoDefault__ = _PAGE_KEYS
        page.StructParents = len(self.parents) + len(self.drawn)
        page.Tabs = PDFName("S")  # tab order follows the structure
        self.drawn.append(self.on_page)
        self.on_page = []

    def add(self, root: Element) -> None:
        """Keep a drawn report's elements (`root` and all below it) under the Document,
        as compact text; empty elements (a paragraph of no text) are left out."""
        numbers = self.doc.idToObjectNumberAndVersion
        pages: dict[int, int] = {}

        def page(counter: int) -> int:
            number = pages.get(counter)
            if number is None:
                number = pages[counter] = numbers[f"Page{counter}"][0]
            return number

        parts: list[str] = []
        refs = array("I")
        put, refer = parts.append, refs.append  # bound once: a batch makes a million calls
        count = self.count
        root.index = count
        count += 1
        queue = [(root, _DOCUMENT)]
        # Breadth first, so a parent numbers its kids as it is written.
        for element, parent in queue:
            refer(parent)
            runs = element.runs
            if len(runs) == 1 and not element.kids:  # most: a line, a cell
                counter, mcid = runs[0]
                put(
                    f"<</S/{element.role}/P {_REF} 0 R{element.attrs}/Pg {page(counter)} 0 R"
                    f"/K {mcid}>>{_NEXT}"
                )
                continue
            put(f"<</S/{element.role}/P {_REF} 0 R{element.attrs}")
            kids: list[str] = []
            if runs:
                first = runs[0][0]
                put(f"/Pg {page(first)} 0 R")
                for counter, mcid in runs:
                    if counter == first:
                        kids.append(str(mcid))
                    else:
                        kids.append(f"<</Type/MCR/Pg {page(counter)} 0 R/MCID {mcid}>>")
            for kid in element.kids:
                if kid.runs or kid.kids or kid.role in _CELLS:
                    kid.index = count
                    queue.append((kid, element.index))
                    kids.append(_KID)
                    refer(count)
                    count += 1
            if len(kids) == 1:
                put(f"/K {kids[0]}>>{_NEXT}")
            elif kids:
                put(f"/K[{' '.join(kids)}]>>{_NEXT}")
            else:
                put(f">>{_NEXT}")
        self.count = count
        self.top.append(root.index)
        # Compressed until the file is written (a fifth of the size): a batch holds
        # hundreds of reports' elements.
        self.chunks.append((zlib.compress("".join(parts)[:-1].encode(), 1), refs))
        self.parents += [array("I", [e.index for e in page]) for page in self.drawn]
        self.drawn = []

    def _objects(self, first: int) -> Iterator[bytes]:
        """The structure objects in index order, numbered from `first`."""
        arrays = self.count  # the parent tree's arrays come after the elements
        nums = " ".join(f"{key} {first + arrays + key} 0 R" for key in range(len(self.parents)))
        yield (
            f"<</Type/StructTreeRoot/K {first + _DOCUMENT} 0 R/ParentTree <</Nums [{nums}]>>"
            f"/ParentTreeNextKey {len(self.parents)}>>"
        ).encode()
        kids = " ".join(f"{first + index} 0 R" for index in self.top)
        yield f"<</S/Document/P {first + _ROOT} 0 R/K [{kids}]>>".encode()
        shift = first.__add__
        for objects, refs in self.chunks:
            pieces = zlib.decompress(objects).decode().split(_REF)
            out = [""] * (2 * len(pieces) - 1)
            out[::2] = pieces
            out[1::2] = map(str, map(shift, refs))
            yield from "".join(out).encode().split(_NEXT.encode())
        for page in self.parents:
            yield f"[{' 0 R '.join(map(str, map(shift, page)))} 0 R]".encode()

    def _format(self) -> bytes:
        """reportlab's file with the tree appended: the structure objects in object
        streams, the catalog again (now pointing at the tree) and a cross-reference
        stream in place of reportlab's table."""
        doc = self.doc
        pdf: bytes = PDFDocument.format(doc)
        start = int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0])
        out: list[bytes | memoryview] = [memoryview(pdf)[:start]]
        first = len(doc.numberToId) + 1  # reportlab's objects are numbered 1 to first - 1
        count = self.count + len(self.parents)
        # The cross-reference entries, in three columns (arrays: a batch has a million):
        # type (1: at an offset, 2: in an object stream), offset or object stream, and
        # generation or index in the stream. Object 0 heads the list of free objects.
        kinds = bytearray(b"\0" + b"\1" * (first - 1) + b"\2" * count)
        wide = array("I", [0])
        wide.extend(doc.idToOffset[doc.numberToId[n]] for n in range(1, first))
        narrow = array("H", [0xFFFF]) + array("H", [0]) * (first - 1)
        position = start

        def put(number: int, head: bytes, stream: bytes = b"") -> None:
            nonlocal position
            data = b"%d 0 obj\n%s" % (number, head)
            if stream:
                data += b"\nstream\n" + stream + b"\nendstream"
            data += b"\nendobj\n"
            if number < len(wide):
                wide[number] = position
            else:
                if number != len(wide):
                    raise RuntimeError(f"object {number} out of order in the cross-reference")
                kinds.append(1)
                wide.append(position)
                narrow.append(0)
            out.append(data)
            position += len(data)

        objects = self._objects(first)
        streams = -(-count // _PER_STREAM)
        # Every structure object's entry before the first stream's own: `put` appends
        # that at the end of the table, which must then be its number.
        for s in range(streams):
            size = min(_PER_STREAM, count - s * _PER_STREAM)
            wide.extend(array("I", [first + count + s]) * size)
            narrow.extend(range(size))
        for s in range(streams):
            batch = list(islice(objects, _PER_STREAM))
            at = [0]
            for body in batch[:-1]:
                at.append(at[-1] + len(body) + 1)
            number = first + s * _PER_STREAM
            head = " ".join(f"{number + i} {a}" for i, a in enumerate(at)).encode() + b"\n"
            data = zlib.compress(head + b"\n".join(batch), 1)
            del batch
            put(
                first + count + s,
                b"<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>"
                % (len(at), len(head), len(data)),
                data,
            )
        # The catalog again, pointing at the tree's root (the first structure object).
        doc.idToObjectNumberAndVersion["StructTreeRoot"] = (first + _ROOT, 0)
        doc.Catalog.StructTreeRoot = PDFObjectReference("StructTreeRoot")
        root = int(doc.idToObjectNumberAndVersion[doc.Catalog.__InternalName__][0])
        put(root, format(doc.Catalog, doc, toplevel=1))
        info = int(doc.idToObjectNumberAndVersion[doc.info.__InternalName__][0])
        # The cross-reference stream, itself the last object: 7 bytes an entry.
        number = len(wide)
        kinds.append(1)
        wide.append(position)
        narrow.append(0)
        if wide.itemsize != 4 or narrow.itemsize != 2:
            raise RuntimeError("unexpected C integer sizes")
        if sys.byteorder == "little":
            wide.byteswap()
            narrow.byteswap()
        table = bytearray(7 * len(kinds))
        table[0::7] = kinds
        for column, width, skip in ((wide.tobytes(), 4, 1), (narrow.tobytes(), 2, 5)):
            for b in range(width):
                table[skip + b :: 7] = column[b::width]
        data = zlib.compress(table, 1)
        ids = re.search(rb"\[<[0-9a-fA-F]*><[0-9a-fA-F]*>\]", doc.ID())
        put(
            number,
            b"<</Type/XRef/Size %d/W [1 4 2]/Root %d 0 R/Info %d 0 R%s/Filter/FlateDecode"
            b"/Length %d>>"
            % (number + 1, root, info, b"/ID " + ids.group() if ids else b"", len(data)),
            data,
        )
        out.append(b"startxref\n%d\n%%%%EOF\n" % (position - len(out[-1])))
        return b"".join(out)
