"""Tagged PDFs (issue 16, item 8), read back with pikepdf: every line of text is in
the structure tree or an artifact, the tree's order is the order pdftotext reads,
and the document says its language, shows its title and has bookmarks (PDF 1.7)."""

import gc
import io
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pikepdf
import pytest

from skills.extensions import db
from skills.permissions import MENTEE_COPY, Viewer
from skills.reports import (
    caseload_batch_pdf,
    caseload_data,
    caseload_summary_pdf,
    mentee_report_data,
    mentee_report_pdf,
)
from skills.reports.caseload import CaseloadFilter
from skills.reports.caseload_pdf import BatchCover
from skills.services import voice
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import today

STAFF = Viewer(sees_staff_notes=True)
TODAY = today()
TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}


# --- Reading a tagged PDF back ----------------------------------------------------------


def _cmap(font: pikepdf.Dictionary) -> dict[int, str]:
    """Glyph code to text, from the font's ToUnicode CMap (reportlab writes bfchar)."""
    data = font.ToUnicode.read_bytes().decode("latin-1")
    codes = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            codes[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    return codes


@dataclass
class Page:
    """What one page shows: the text of each MCID, and of each kind of artifact."""

    mcids: dict[int, str] = field(default_factory=dict)
    artifacts: dict[str, list[str]] = field(default_factory=dict)  # by /Subtype
    untagged: list[str] = field(default_factory=list)


def read_page(page: pikepdf.Page) -> Page:
    """Walk the content stream: each text operator's text goes to the innermost marked
    content that is an MCID or an artifact; text outside both is `untagged`."""
    fonts = dict(page.Resources.Font.items())
    cmaps: dict[str, dict[int, str]] = {}
    result = Page()
    stack: list[tuple[str, int | None, str]] = []  # (tag, MCID, artifact subtype)
    codes: dict[int, str] = {}
    line: list[str] = []

    def owner() -> tuple[int | None, str | None]:
        for tag, mcid, subtype in reversed(stack):
            if tag == "/Artifact":
                return None, subtype
            if mcid is not None:
                return mcid, None
        return None, None

    def flush() -> None:
        if not line:
            return
        text = "".join(line)
        line.clear()
        mcid, artifact = owner()
        if mcid is not None:
            result.mcids[mcid] = (result.mcids.get(mcid, "") + " " + text).strip()
        elif artifact is not None:
            result.artifacts.setdefault(artifact, []).append(text)
        else:
            result.untagged.append(text)

    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op in ("BDC", "BMC"):
            flush()
            props = operands[1] if op == "BDC" else None
            mcid = props.get("/MCID") if isinstance(props, pikepdf.Dictionary) else None
            subtype = str(props.get("/Subtype", "")) if props is not None else ""
            stack.append((str(operands[0]), None if mcid is None else int(mcid), subtype))
        elif op == "EMC":
            flush()
            stack.pop()
        elif op in ("Tm", "Td", "TD", "T*", "ET"):
            flush()  # a new line of text
        elif op == "Tf":
            name = str(operands[0])
            if name not in cmaps:
                font = fonts[name]
                assert "/FontFile2" in font.FontDescriptor, f"{font.BaseFont} is not embedded"
                cmaps[name] = _cmap(font)
            codes = cmaps[name]
        elif op in TEXT_OPERATORS:
            strings = operands[0] if op == "TJ" else operands[-1:]
            for s in strings:
                if isinstance(s, pikepdf.String):
                    line.append("".join(codes[b] for b in bytes(s)))
    assert not stack, "marked content left open at the end of the page"
    return result


@dataclass
class Tree:
    """The structure tree, flattened: elements in reading order with their roles, and
    the marked content (page index, MCID) of each in that order."""

    roles: list[str] = field(default_factory=list)
    elements: list[pikepdf.Dictionary] = field(default_factory=list)
    order: list[tuple[int, int, str]] = field(default_factory=list)  # page, MCID, role
    owners: dict[tuple[int, int], pikepdf.Dictionary] = field(default_factory=dict)


def read_tree(pdf: pikepdf.Pdf) -> Tree:
    pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
    tree = Tree()

    def walk(element: pikepdf.Dictionary, page: int | None) -> None:
        role = str(element.S)
        tree.roles.append(role)
        tree.elements.append(element)
        if "/Pg" in element:
            page = pages[element.Pg.objgen]
        kids = element.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, int):
                key = (page, int(kid))
            elif kid.get("/Type") == "/MCR":
                key = (pages[kid.Pg.objgen], int(kid.MCID))
            else:
                assert kid.P.objgen == element.objgen, "a kid's /P is not its parent"
                walk(kid, page)
                continue
            assert key not in tree.owners, f"MCID {key} belongs to two elements"
            tree.owners[key] = element
            tree.order.append((*key, role))

    root = pdf.Root.StructTreeRoot
    walk(root.K, None)
    return tree


def pdftotext_words(pdf: bytes, page: int) -> list[str]:
    """pdftotext's words on page `page` (0-based), in its reading order.

    `-layout` reads the page's lines top to bottom, each left to right. (Its default
    mode guesses at columns: it moved a table's last header cell, alone in its column
    at the end of a page, below the table.)"""
    out = subprocess.run(  # noqa: S603 - a fixed command on our own file
        ["pdftotext", "-layout", "-f", str(page + 1), "-l", str(page + 1), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return out.split()


def check_tagged(body: bytes, title: str, language: str = "en-US", bookmarks: bool = True) -> dict:
    """Everything every tagged report must pass; returns what the caller checks further."""
    assert body.startswith(b"%PDF-1.7")
    pdf = pikepdf.open(io.BytesIO(body))
    assert pdf.pdf_version == "1.7"
    assert pdf.check_pdf_syntax() == []
    if shutil.which("qpdf"):  # pikepdf is qpdf's library; the command says more
        with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
            file.write(body)
            file.flush()
            check = subprocess.run(["qpdf", "--check", file.name], capture_output=True)  # noqa: S603, S607
        assert check.returncode == 0, check.stdout + check.stderr
    root = pdf.Root
    assert str(root.Lang) == language
    assert root.MarkInfo.Marked is True
    assert root.ViewerPreferences.DisplayDocTitle is True
    assert str(pdf.docinfo.Title) == title
    assert str(pdf.docinfo.Author)
    with pdf.open_outline() as outline:
        assert (len(outline.root) > 0) is bookmarks
    tree = read_tree(pdf)
    pages = [read_page(page) for page in pdf.pages]
    parent_tree = dict(pikepdf.NumberTree(root.StructTreeRoot.ParentTree).items())
    for n, (page, obj) in enumerate(zip(pages, pdf.pages, strict=True)):
        assert page.untagged == [], f"page {n + 1}: text outside marked content"
        assert obj.Contents.Filter == "/FlateDecode"  # compressed as the page was done
        assert "/Tabs" not in obj if not page.mcids else obj.Tabs == "/S"  # structure order
        for mcid in page.mcids:
            owner = tree.owners.get((n, mcid))
            assert owner is not None, f"page {n + 1}: MCID {mcid} is in no structure element"
            assert parent_tree[int(obj.StructParents)][mcid].objgen == owner.objgen
        footer = " ".join(page.artifacts.get("/Footer", []))
        if page.mcids:
            assert re.search(r"Page \d+ of \d+", footer), f"page {n + 1}: {footer}"
            assert "Confidential" in footer
        else:  # the back of a sheet, between two reports of a batch
            assert "left blank on purpose" in " ".join(page.artifacts[""])
    for n, mcid in tree.owners:
        assert mcid in pages[n].mcids, f"page {n + 1}: the tree points at a missing MCID"
    order = [n for n, _, _ in tree.order]
    assert order == sorted(order), "the structure tree jumps back a page"
    for n, page in enumerate(pages):
        check_order(body, n, page, tree)
    return {"pdf": pdf, "tree": tree, "pages": pages}


def check_order(body: bytes, n: int, page: Page, tree: Tree) -> None:
    """pdftotext reads page `n` in the structure tree's order: its words are the tree's
    words in turn, but for the page's artifacts and the labels of a chart (a figure,
    read by its alternative text), which may come anywhere."""
    tagged = [
        word
        for page_n, mcid, role in tree.order
        if page_n == n and role != "/Figure"
        for word in page.mcids[mcid].split()
    ]
    spare = Counter(word for texts in page.artifacts.values() for t in texts for word in t.split())
    for page_n, mcid, role in tree.order:
        if page_n == n and role == "/Figure":
            spare.update(page.mcids[mcid].split())
    at = 0
    for word in pdftotext_words(body, n):
        if at < len(tagged) and word == tagged[at]:
            at += 1
        elif spare[word] > 0:
            spare[word] -= 1
        else:
            raise AssertionError(
                f"page {n + 1}: pdftotext read {word!r} where the tree has "
                f"{' '.join(tagged[at : at + 6])!r}"
            )
    assert at == len(tagged), f"page {n + 1}: not read by pdftotext: {tagged[at : at + 6]}"


def roles_of(tree: Tree) -> Counter:
    return Counter(role.lstrip("/") for role in tree.roles)


# --- Data ---------------------------------------------------------------------------------


def sign(mentee, skill, mentor, level, shown_on, note=""):
    details = SignoffDetails(level=level, shown_on=shown_on, note=note, note_visibility="mentee")
    record_signoff(mentee, skill, mentor, details, allow_lower=True)
    db.session.commit()


@pytest.fixture
def busy(make_user, make_mentee, assign, skill):
    """A mentee with three months of sign-offs, notes long enough for several pages,
    a goal, and skills under way (a list of what comes next)."""
    mentor = make_user("mentor", name="Pat Guide")
    manager = make_user("case_manager", name="Casey Owner")
    mentee = make_mentee(
        name="Ana María Long", start_date=TODAY - timedelta(days=200), with_login=True
    )
    assign(mentor, mentee)
    assign(manager, mentee)
    for n, (key, level, days) in enumerate(
        [
            ("get-transit-card", 3, 80),
            ("read-timetable", 3, 45),
            ("ride-and-pay", 2, 20),
            ("use-atm", 1, 10),
            ("open-bank-account", 3, 5),
        ]
    ):
        sign(mentee, skill(key), mentor, level, TODAY - timedelta(days=days),
             note=f"Practised step {n} together at the station " * 12)  # fmt: skip
    for n in range(8):
        sign(mentee, skill("use-atm"), mentor, 1, TODAY - timedelta(days=9 - n),
             note=f"Went over the card and the PIN again, round {n}. " * 8)  # fmt: skip
    voice.set_goal(mentee, skill("ride-and-pay"), mentee.user)
    db.session.commit()
    return mentee, manager


PERIOD = {"period_from": TODAY - timedelta(days=85)}


# --- Tests --------------------------------------------------------------------------------


def test_staff_copy_is_tagged_in_reading_order(busy):
    mentee, _ = busy
    data = mentee_report_data(mentee, STAFF, **PERIOD)
    assert len(data.trend) > 1 and not data.baseline  # the chart is drawn
    body = mentee_report_pdf(data)
    found = check_tagged(body, f"Progress report, record {mentee.record_number} (staff copy)")
    tree, pages = found["tree"], found["pages"]
    roles = roles_of(tree)
    assert roles["H1"] == 1 and roles["H2"] >= 6 and roles["H3"] >= 1
    assert roles["Table"] >= 1 and roles["TD"] > roles["TR"] and roles["P"] > 10
    assert roles["L"] >= 1 and roles["LI"] == roles["Lbl"] == roles["LBody"] >= 1
    assert roles["Figure"] == 1
    figure = next(e for e in tree.elements if e.S == "/Figure")
    assert "A bar chart." in str(figure.Alt)
    scopes = Counter(str(e.A.Scope) for e in tree.elements if e.S == "/TH")
    assert scopes["/Column"] >= 4 and scopes["/Row"] >= 1
    texts = [pages[n].mcids[m] for n, m, role in tree.order if role == "/H1"]
    assert texts == ["Progress report Ana María Long"]  # one heading, two lines
    # Poppler reads the tree too, with the words of a heading's two lines kept apart.
    struct = subprocess.run(  # noqa: S603 - a fixed command on our own file
        ["pdfinfo", "-struct-text", "-"], input=body, capture_output=True, check=True
    ).stdout.decode()
    assert 'H1 (block)\n      "Progress report Ana María Long"' in struct
    assert "TH:\n           /Scope /Column" in struct
    assert len(pages) > 1
    for n, page in enumerate(pages[1:], 2):
        header = " ".join(page.artifacts["/Header"])
        assert "Progress report · Staff copy · Ana María Long" in header, n
    with found["pdf"].open_outline() as outline:
        assert [str(item.title) for item in outline.root] == ["Progress report: Ana María Long"]
        sections = [str(item.title) for item in outline.root[0].children]
    assert sections[:2] == ["Summary", "Skills signed off in this period"]


def test_mentee_copy_is_tagged_and_says_its_language(busy):
    mentee, _ = busy
    data = mentee_report_data(mentee, MENTEE_COPY, **PERIOD)
    data.language = "es-US"  # the mentee copy may print in Spanish
    title = f"Progress report, record {mentee.record_number} (mentee copy)"
    found = check_tagged(mentee_report_pdf(data), title, "es-US")
    roles = roles_of(found["tree"])
    assert roles["H1"] == 1 and roles["H2"] >= 6
    assert roles["L"] >= 2 and roles["LI"] >= 2  # what's next, and my goals
    assert roles["Table"] >= 1 and roles["TH"] >= 4
    # The signature block: its words are content, its lines decoration.
    words = " ".join(found["pages"][-1].mcids.values())
    assert "Mentee signature" in words and "We went through this report together." in words


def test_caseload_summary_is_tagged_across_pages(make_mentee, busy):
    mentees = [busy[0], *(make_mentee(name=f"Person Number{n:02d}") for n in range(40))]
    data = caseload_data(mentees, filters=CaseloadFilter("all"))
    found = check_tagged(caseload_summary_pdf(data), "Caseload summary")
    roles = roles_of(found["tree"])
    assert roles["H1"] == 1 and roles["Table"] == 1
    assert roles["TR"] == len(mentees) + 2  # the header, a row each, the averages
    scopes = Counter(str(e.A.Scope) for e in found["tree"].elements if e.S == "/TH")
    assert scopes["/Row"] == len(mentees) + 1 and scopes["/Column"] >= 8
    pages = found["pages"]
    assert len(pages) > 1
    # The table's header row repeats on the next page as an artifact, not a second row.
    assert "Name" in " ".join(pages[1].artifacts[""])
    assert "Areas: 1. Getting around" in " ".join(pages[1].artifacts["/Header"])


def test_batch_is_one_tree_with_a_section_per_mentee(make_mentee, assign, busy):
    mentee, manager = busy
    short = make_mentee(name="Wei Zhang")
    assign(manager, short)
    reports = [mentee_report_data(m, STAFF, **PERIOD) for m in (mentee, short)]
    reports[1].language = "es-US"
    cover = BatchCover("Riverside", "Casey Owner", [(r.name, r.record_number) for r in reports])
    body = caseload_batch_pdf(iter(reports), cover)
    found = check_tagged(body, "Progress reports, caseload of Casey Owner")
    tree = found["tree"]
    sections = [e for e in tree.elements if e.S == "/Sect"]
    assert [str(s.get("/T", "")) for s in sections] == ["", "Ana María Long", "Wei Zhang"]
    assert [str(s.get("/Lang", "")) for s in sections] == ["", "", "es-US"]
    roles = roles_of(tree)
    assert roles["H1"] == 3 and roles["Table"] >= 3 and roles["L"] >= 2
    blank = [p for p in found["pages"] if not p.mcids]
    assert blank and all("left blank on purpose" in " ".join(p.artifacts[""]) for p in blank)
    with found["pdf"].open_outline() as outline:
        titles = [str(item.title).split(" (")[0] for item in outline.root]
    assert titles == ["Ana María Long", "Wei Zhang"]  # a bookmark a mentee, no more


def test_a_batch_of_several_object_streams_keeps_its_tree(make_mentee, assign, busy):
    # The demo caseload's batch: more structure objects than one object stream holds.
    # Each stream's own entry once went where the next stream's first object belongs,
    # so qpdf found "object stream 1174 is not a stream" and lost the StructTreeRoot.
    mentee, manager = busy
    other = make_mentee(name="Wei Zhang")
    assign(manager, other)
    reports = [mentee_report_data(m, STAFF, **PERIOD) for m in (*[mentee] * 6, other)]
    cover = BatchCover("Riverside", "Casey Owner", [(r.name, r.record_number) for r in reports])
    body = caseload_batch_pdf(iter(reports), cover)
    assert body.count(b"/Type/ObjStm") > 1, "one object stream: not the case of the bug"
    found = check_tagged(body, "Progress reports, caseload of Casey Owner")  # qpdf --check
    root = found["pdf"].Root
    assert "/StructTreeRoot" in root
    parent_tree = dict(pikepdf.NumberTree(root.StructTreeRoot.ParentTree).items())
    tagged = [page for page in found["pdf"].pages if "/StructParents" in page.obj]
    assert len(tagged) > 5
    assert all(int(page.obj.StructParents) in parent_tree for page in tagged)


def test_an_empty_caseload_batch_is_tagged_too(app):
    body = caseload_batch_pdf(iter([]), BatchCover("Riverside", "Casey Owner", []))
    found = check_tagged(body, "Progress reports, caseload of Casey Owner", bookmarks=False)
    roles = roles_of(found["tree"])
    assert roles["H1"] == 2 and roles["Sect"] == 2  # the cover, and the empty caseload
    words = " ".join(text for page in found["pages"] for text in page.mcids.values())
    assert "The caseload is empty" in words


def test_a_batch_gives_the_cycle_collector_back_even_when_it_fails(busy):
    def reports():
        yield mentee_report_data(busy[0], STAFF)
        raise RuntimeError("the database went away")

    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="went away"):
        caseload_batch_pdf(reports())
    assert gc.isenabled()
    gc.disable()  # and leaves it off when it was off
    try:
        caseload_batch_pdf(iter([mentee_report_data(busy[0], STAFF)]))
        assert not gc.isenabled()
    finally:
        gc.enable()
