"""Mentee pages stay small for cheap phones on little data: the HTML plus every file it
uses (style sheets, the fonts and icons they name, images) is at most 100 KB.

Counted uncompressed, as the app serves them (no gzip), for every mentee of a demo
organisation on the real curriculum, so the longest history sets the number.
"""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from skills.demo import create_demo
from skills.extensions import db
from skills.models import Mentee, SignoffEvent, Skill, User
from skills.services import curriculum as curriculum_service

CURRICULUM = Path(__file__).resolve().parents[1] / "curriculum" / "daily-living.yaml"
BUDGET = 100_000  # bytes
DEMO_PASSWORD = "page-weight-pass-1"


def referenced_files(client, html: str) -> dict[str, int]:
    """Bytes of each local file the page loads, following url() inside style sheets."""
    sizes: dict[str, int] = {}
    pending = re.findall(r'<(?:link|img|script)\b[^>]*?(?:href|src)="(/[^"]+)"', html)
    while pending:
        url = pending.pop()
        if url in sizes:
            continue
        with client.get(url) as response:
            assert response.status_code == 200, url
            body = response.data
        sizes[url] = len(body)
        if url.endswith(".css"):
            base = url.rsplit("/", 1)[0]
            for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", body.decode()):
                if not ref.startswith(("data:", "http:", "https:", "/")):
                    pending.append(f"{base}/{ref}")
    return sizes


def page_weight(client, path: str) -> tuple[int, dict[str, int]]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    files = referenced_files(client, html)
    return len(response.data) + sum(files.values()), files


@pytest.fixture
def demo(app):
    curriculum_service.load_files([CURRICULUM])
    create_demo(mentees=12, mentors=2, case_managers=1, months=6, password=DEMO_PASSWORD)
    db.session.commit()
    rows = db.session.execute(
        select(User.username, Mentee.id).join(Mentee, Mentee.user_id == User.id)
    ).all()
    busiest = {}
    for _, mentee_id in rows:
        busiest[mentee_id] = db.session.scalar(
            select(SignoffEvent.skill_id)
            .join(Skill, Skill.id == SignoffEvent.skill_id)
            .where(SignoffEvent.mentee_id == mentee_id, Skill.retired.is_(False))
            .group_by(SignoffEvent.skill_id)
            .order_by(func.count().desc(), SignoffEvent.skill_id)
            .limit(1)
        )
    any_skill = db.session.scalar(select(Skill.id).where(Skill.retired.is_(False)).limit(1))
    db.session.commit()
    return [(username, busiest[mentee_id] or any_skill) for username, mentee_id in rows]


PAGES = [
    pytest.param("/me/", id="progress"),
    pytest.param("/me/skills/<id>", id="skill"),
    pytest.param("/me/history", id="history"),
    pytest.param("/me/areas/<domain>", id="area"),  # the area with the most skills
]


def largest_area() -> int:
    return db.session.scalar(
        select(Skill.domain_id)
        .where(Skill.retired.is_(False))
        .group_by(Skill.domain_id)
        .order_by(func.count().desc(), Skill.domain_id)
        .limit(1)
    )


@pytest.mark.parametrize("page", PAGES)
def test_mentee_page_with_its_files_is_at_most_100_kb(page, client, demo):
    heaviest = (0, "", {})
    page = page.replace("<domain>", str(largest_area()))
    db.session.commit()
    for username, skill_id in demo:
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        total, files = page_weight(client, page.replace("<id>", str(skill_id)))
        assert any(f.endswith(".woff2") for f in files), "the fonts are counted"
        heaviest = max(heaviest, (total, username, files))
    total, username, files = heaviest
    assert total <= BUDGET, f"{page} for {username}: {total} bytes; files: {files}"
