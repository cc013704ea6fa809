"""The world snapshot (tests/snapshots.py) puts back exactly the rows it saved, and the
next row a test adds gets the id it would have had in a world built anew."""

from sqlalchemy import select

from skills.extensions import db
from skills.models import User

from .snapshots import Snapshot, fingerprint, tables


def _rows() -> dict[str, list[tuple]]:
    return {
        t.name: [tuple(r) for r in db.session.execute(select(t).order_by(*t.primary_key))]
        for t in tables()
    }


def test_a_restored_snapshot_holds_the_saved_rows_and_ids_go_on_from_them(
    world, make_user, owner_engine, tmp_path
):
    before = fingerprint()
    saved_rows = _rows()
    snapshot = Snapshot.take(before, {}, {}, tmp_path)
    assert snapshot is not None
    first = make_user("mentor", username="after1")
    first_id = first.id
    make_user("mentor", username="after2")
    assert fingerprint() != before

    snapshot.restore(owner_engine or db.engine)
    assert fingerprint() == before
    assert _rows() == saved_rows
    again = make_user("mentor", username="after3")
    assert again.id == first_id
    assert db.session.scalar(select(User.username).where(User.id == first_id)) == "after3"


def test_the_world_a_snapshot_gives_is_the_world_the_services_build(world):
    """Whether this test's world was restored or built, the same people and notes."""
    assert world.users["mentor_a"].username == "mentor1"
    assert world.mentee_a.full_name == "Alma Qzmarkera"
    assert world.users["mentee_a"].id == world.mentee_a.user_id
    assert world.users["other_org_admin"].organisation_id == world.mentee_c.organisation_id
