from pathlib import Path

import pytest
from sqlalchemy import func, select

from skills.config import PROJECT_ROOT
from skills.extensions import db
from skills.models import CurriculumLoad, Domain, SignoffEvent, Skill, SkillStatus
from skills.services import curriculum as cs
from skills.services.signoffs import SignoffDetails, SignoffError, record_signoff

from .conftest import MINI_CURRICULUM, today

DEFAULT = PROJECT_ROOT / "curriculum" / "daily-living.yaml"


def errors_for(text: str) -> list[str]:
    with pytest.raises(cs.CurriculumInvalid) as info:
        cs.parse_curriculum(text, "bad.yaml")
    return [str(e) for e in info.value.errors]


def mini_text() -> str:
    return MINI_CURRICULUM.read_text()


def test_default_curriculum_is_valid_and_large_enough():
    spec = cs.read_curriculum_file(DEFAULT)
    assert len(spec.domains) >= 9
    assert spec.skill_count >= 90
    keys = {d.key for d in spec.domains}
    assert {"getting-around", "staying-well", "community-and-services"} <= keys
    all_text = " ".join(s.i_can + " " + s.title for d in spec.domains for s in d.skills)
    for must in ("988", "transit card", "reduced-fare", "library card", "paratransit"):
        assert must.lower() in all_text.lower(), must


def test_bad_yaml_reports_the_line_where_the_bracket_opens_in_plain_words():
    errors = errors_for("id: x\nlevels: [1, 2\ndomains: []\n")
    assert errors == [
        "bad.yaml:2: a '[' opened on this line is not closed with ']' (or its items are not "
        "separated by commas); put text that contains these marks in quotes."
    ]


def test_every_error_is_reported_with_its_line():
    text = mini_text()
    text = text.replace("signed_off_level: 3", "signed_off_level: 7")  # unknown level (line 5)
    text = text.replace(
        "        title: Read a timetable\n", "        title: [Read]\n"
    )  # wrong type
    text = text.replace("      - key: use-atm\n", "      - key: ride-and-pay\n")  # duplicate key
    text = text.replace("        i_can: I can open a bank account.\n", "")  # missing field
    text = text.replace("    icon: bank\n", "    icon: bank\n    colour: blue\n")  # unknown field
    errors = errors_for(text)
    joined = "\n".join(errors)
    assert "bad.yaml:5: curriculum: signed_off_level 7 is not a level in the scale" in joined
    assert "'title' must be text, found a list" in joined
    assert "duplicate skill key (first used at line" in joined
    assert "missing required field 'i_can'" in joined
    assert "unknown field 'colour'" in joined
    assert len(errors) == 5
    assert all(e.split(":")[1].isdigit() for e in errors)


def test_duplicate_field_in_a_mapping_is_an_error():
    text = mini_text().replace("title: Mini curriculum\n", "title: Mini curriculum\ntitle: Again\n")
    assert errors_for(text) == [
        "bad.yaml:5: curriculum: duplicate field 'title' (first given at line 4)"
    ]


def test_file_with_an_error_loads_nothing(app, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(mini_text().replace("id: mini", "id: other"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        mini_text().replace("id: mini", "id: broken").replace('version: "1"', "version: [1]")
    )
    with pytest.raises(cs.CurriculumInvalid) as info:
        cs.load_files([good, bad])
    db.session.rollback()
    assert "bad.yaml:3:" in str(info.value)
    assert db.session.scalar(select(func.count()).select_from(Skill)) == 5  # only the mini fixture


def test_loading_twice_changes_nothing(app):
    before = db.session.scalar(select(func.count()).select_from(CurriculumLoad))
    summary = cs.load_files([MINI_CURRICULUM])[0]
    db.session.commit()
    assert not summary.changed
    assert db.session.scalar(select(func.count()).select_from(Skill)) == 5
    assert db.session.scalar(select(func.count()).select_from(CurriculumLoad)) == before


def test_changed_text_updates_in_place(app, tmp_path):
    skill_id = db.session.scalar(select(Skill.id).where(Skill.key == "use-atm"))
    changed = tmp_path / "mini.yaml"
    changed.write_text(mini_text().replace("I can use an ATM.", "I can use a cash machine."))
    summary = cs.load_files([changed])[0]
    db.session.commit()
    assert summary.updated == ["use-atm"]
    skill = db.session.get(Skill, skill_id)
    assert skill.i_can == "I can use a cash machine."


def test_removed_skill_is_retired_and_keeps_history(app, make_user, make_mentee, assign, tmp_path):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    atm = db.session.scalar(select(Skill).where(Skill.key == "use-atm"))
    record_signoff(mentee, atm, mentor, SignoffDetails(level=2, shown_on=today()))
    db.session.commit()

    smaller = tmp_path / "mini.yaml"
    text = mini_text()
    start = text.index("      - key: use-atm")
    smaller.write_text(text[:start])
    summary = cs.load_files([smaller])[0]
    db.session.commit()

    assert summary.retired == ["use-atm"]
    db.session.refresh(atm)
    assert atm.retired and atm.retired_at is not None
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 1
    assert db.session.get(SkillStatus, (mentee.id, atm.id)).level == 2
    with pytest.raises(SignoffError, match="retired"):
        record_signoff(mentee, atm, mentor, SignoffDetails(level=3, shown_on=today()))

    back = cs.load_files([MINI_CURRICULUM])[0]
    db.session.commit()
    assert back.restored == ["use-atm"]
    db.session.refresh(atm)
    assert not atm.retired


def test_changing_the_signed_off_level_recounts_what_is_signed_off(
    app, make_user, make_mentee, assign, tmp_path
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    atm = db.session.scalar(select(Skill).where(Skill.key == "use-atm"))
    record_signoff(mentee, atm, mentor, SignoffDetails(level=2, shown_on=today()))
    db.session.commit()
    assert not db.session.get(SkillStatus, (mentee.id, atm.id)).signed_off

    lower = tmp_path / "mini.yaml"
    lower.write_text(mini_text().replace("signed_off_level: 3", "signed_off_level: 2"))
    cs.load_files([lower])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(SkillStatus, (mentee.id, atm.id)).signed_off  # 2 >= 2

    cs.load_files([MINI_CURRICULUM])
    db.session.commit()
    db.session.expire_all()
    assert not db.session.get(SkillStatus, (mentee.id, atm.id)).signed_off  # 2 < 3


def test_removing_a_domain_retires_it(app, tmp_path):
    text = mini_text()
    smaller = tmp_path / "mini.yaml"
    smaller.write_text(text[: text.index("  - key: money")])
    cs.load_files([smaller])
    db.session.commit()
    money = db.session.scalar(select(Domain).where(Domain.key == "money"))
    assert money.retired


def test_a_level_in_use_cannot_be_removed(app, make_user, make_mentee, assign, skill, tmp_path):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=today()))
    db.session.commit()
    text = mini_text()
    start = text.index("  - value: 1")
    end = text.index("  - value: 2")
    path = tmp_path / "mini.yaml"
    path.write_text(text[:start] + text[end:])
    with pytest.raises(
        cs.CurriculumInvalid, match="level 1 cannot be removed: 1 recorded sign-offs"
    ):
        cs.load_files([path])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Skill)) == 5


def test_check_files_reports_unreadable_file(tmp_path):
    missing = Path(tmp_path / "nope.yaml")
    errors = cs.check_files([missing])
    assert len(errors) == 1 and "cannot read file" in str(errors[0])


def test_i_can_must_start_with_i_can():
    errors = errors_for(mini_text().replace("I can use an ATM.", "Use an ATM."))
    assert len(errors) == 1 and "'i_can' must start with \"I can \"" in errors[0]


def test_bad_recheck_days_and_key():
    text = (
        mini_text()
        .replace("recheck_days: 180", "recheck_days: -3")
        .replace("key: use-atm", "key: Use ATM")
    )
    errors = errors_for(text)
    assert any("'recheck_days' must be 1 or more" in e for e in errors)
    assert any("must be lowercase letters" in e for e in errors)


# --- Writing a curriculum back out (the admin's download) ---------------------------------


def _content(spec: cs.CurriculumSpec) -> tuple:
    """What a spec says, without where it was read from (lines, file, fingerprint)."""
    return (
        spec.key,
        spec.version,
        spec.title,
        spec.signed_off_level,
        [(lv.value, lv.name, lv.mentee_text) for lv in spec.levels],
        [
            (
                d.key,
                d.title,
                d.summary,
                d.icon,
                [
                    (s.key, s.title, s.i_can, s.description, s.steps, s.recheck_days)
                    for s in d.skills
                ],
            )
            for d in spec.domains
        ],
    )


def test_the_real_curriculum_written_out_reads_back_the_same(app):
    from skills.models import Curriculum
    from skills.services.curriculum.export import curriculum_yaml

    original = cs.read_curriculum_file(DEFAULT)
    cs.apply_curriculum(original)
    db.session.commit()
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.key == original.key))
    text = curriculum_yaml(curriculum)
    assert _content(cs.parse_curriculum(text, "out.yaml")) == _content(original)
    summary = cs.apply_curriculum(cs.parse_curriculum(text, "out.yaml"))
    assert not summary.changed


def test_the_template_passes_the_check_and_is_not_loaded_with_the_curriculum_files():
    template = PROJECT_ROOT / "curriculum" / "template.yaml.txt"
    assert cs.check_files([template]) == []
    assert template not in cs.curriculum_files(template.parent)
