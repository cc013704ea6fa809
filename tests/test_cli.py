from sqlalchemy import func, select

from skills.extensions import db
from skills.models import AuditEvent, Mentee, SignoffEvent, User

from .conftest import DATA


def test_curriculum_check_prints_file_line_errors(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (DATA / "mini.yaml").read_text().replace("signed_off_level: 3", "signed_off_level: x")
    )
    result = runner.invoke(args=["curriculum", "check", str(bad)])
    assert result.exit_code == 1
    assert (
        f"{bad}:5: curriculum: 'signed_off_level' must be a whole number, found text"
        in result.output
    )


def test_curriculum_check_ok(runner):
    result = runner.invoke(args=["curriculum", "check", str(DATA / "mini.yaml")])
    assert result.exit_code == 0 and "1 file(s) OK." in result.output


def test_curriculum_check_without_files_is_a_usage_error(runner):
    result = runner.invoke(args=["curriculum", "check"])
    assert result.exit_code == 2 and "Usage:" in result.output


def test_curriculum_load_reports_summary(runner):
    result = runner.invoke(args=["curriculum", "load"])
    assert result.exit_code == 0, result.output
    assert "mini 1: 0 skills added, 0 updated, 0 retired" in result.output


def test_curriculum_load_writes_an_audit_event_for_the_command_line(runner, tmp_path):
    changed = tmp_path / "mini.yaml"
    changed.write_text((DATA / "mini.yaml").read_text().replace('version: "1"', 'version: "2"'))
    before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    result = runner.invoke(args=["curriculum", "load", str(changed)])
    assert result.exit_code == 0, result.output
    db.session.rollback()  # see the command's writes
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("curriculum.load", "curriculum", "mini")
    ]
    event = events[0]
    assert event.actor_id is None and event.actor_role is None
    assert event.organisation_id is None  # the shared library belongs to no organisation
    assert '"via": "cli"' in event.detail and '"version": "2"' in event.detail


def test_a_curriculum_file_with_errors_writes_no_audit_event(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((DATA / "mini.yaml").read_text().replace("signed_off_level: 3", "x: 1"))
    before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    result = runner.invoke(args=["curriculum", "load", str(bad)])
    assert result.exit_code == 1
    db.session.rollback()
    assert (db.session.scalar(select(func.max(AuditEvent.id))) or 0) == before


def test_user_create_and_bad_role(runner, org):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "pat",
            "--name",
            "Pat Doe",
            "--role",
            "mentor",
            "--password",
            "a-good-password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.roles).where(User.username == "pat")) == "mentor"
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "x",
            "--name",
            "X",
            "--role",
            "boss",
            "--password",
            "a-good-password",
        ]
    )
    assert result.exit_code == 2 and "Invalid value for '--role'" in result.output
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "pat",
            "--name",
            "P",
            "--role",
            "mentor",
            "--password",
            "a-good-password",
        ]
    )
    assert result.exit_code == 1 and "already taken" in result.output
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "weak",
            "--name",
            "W",
            "--role",
            "mentor",
            "--password",
            "password",
        ]
    )
    assert (
        result.exit_code == 1
        and "at least 8" not in result.output
        and "too common" in result.output
    )


def test_demo_creates_people_and_history(runner):
    result = runner.invoke(args=["demo", "--mentees", "8", "--mentors", "2", "--months", "3"])
    assert result.exit_code == 0, result.output
    assert "mentor1" in result.output and "casemanager1" in result.output
    assert db.session.scalar(select(func.count()).select_from(Mentee)) == 8
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) > 8
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 1 and "already exists" in again.output
    check = runner.invoke(args=["check"])
    assert check.exit_code == 0, check.output


def test_demo_builds_without_the_cyclic_collector_and_turns_it_back_on(runner, monkeypatch):
    """The build runs with the cyclic collector off (it would walk millions of rows again
    and again); afterwards it is on again, whether the build worked or failed."""
    import gc

    import skills.demo

    seen = []
    real = skills.demo.add_voice

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(skills.demo, "add_voice", watched)
    assert gc.isenabled()
    result = runner.invoke(args=["demo", "--mentees", "3", "--mentors", "1", "--months", "2"])
    assert result.exit_code == 0, result.output
    assert seen == [False] and gc.isenabled()
    again = runner.invoke(args=["demo"])  # the demo exists: refused
    assert again.exit_code == 1 and "already exists" in again.output
    assert gc.isenabled()


def test_demo_rejects_bad_size(runner):
    result = runner.invoke(args=["demo", "--mentees", "0"])
    assert result.exit_code == 2 and "--mentees" in result.output
