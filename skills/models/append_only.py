"""Tables the database itself keeps append-only, and signed session notes it keeps as
signed: the triggers, how to tell that they are still there and working, and the grants
of the app's restricted PostgreSQL role.

Triggers stop the app's own queries and a careless hand at the SQL prompt; the owner
role can still drop or disable them, which `flask check` and backup verification report
(`trigger_problems`). The app's own role holds no UPDATE, DELETE or TRUNCATE on the
append-only tables at all (docs/deployment.md, "Two roles"); it keeps UPDATE on
session_notes, as an unsigned note is edited in place.
"""

from sqlalchemy import text
from sqlalchemy.engine import Connection

# History that is never changed: sign-offs, the audit log, a mentee's confirmations and
# disagreements in their own words and their self-ratings (the newest counts; older stay);
# a session note's earlier versions, addenda, the mentee's comments and its linked
# sign-offs (the services only ever add these rows).
APPEND_ONLY_TABLES = (
    "signoff_events",
    "audit_events",
    "signoff_confirmations",
    "self_ratings",
    "signoff_disagreements",
    "session_note_versions",
    "session_note_addenda",
    "session_note_comments",
    "session_note_signoffs",
)
SQLITE_OPERATIONS = ("UPDATE", "DELETE")  # SQLite has no TRUNCATE

# A session note changes until its author signs it, then never (corrections are addenda).
# Its rows are refused UPDATE and DELETE once signed_at is set; signing itself is the
# last UPDATE, of a row not yet signed.
SIGNED_NOTES = "session_notes"
_SIGNED = "signed_at IS NOT NULL"


def _pg_triggers(table: str) -> dict[str, str]:
    """Trigger name: the clause `pg_get_triggerdef` shows for it when it is intact."""
    return {
        f"{table}_append_only": "BEFORE DELETE OR UPDATE",  # as pg_get_triggerdef says it
        # Row triggers do not fire on TRUNCATE; a statement trigger does.
        f"{table}_no_truncate": "BEFORE TRUNCATE",
    }


def _pg_signed_triggers() -> dict[str, str]:
    """As `_pg_triggers`, for the signed-note triggers on session_notes."""
    return {
        f"{SIGNED_NOTES}_signed": "BEFORE DELETE OR UPDATE",
        # TRUNCATE cannot look at rows: it is refused whatever the table holds.
        f"{SIGNED_NOTES}_no_truncate": "BEFORE TRUNCATE",
    }


def append_only_ddl(table: str, dialect: str) -> list[str]:
    """SQL that makes the database itself refuse UPDATE, DELETE (and TRUNCATE) on `table`."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
            for op in SQLITE_OPERATIONS
        ]
    row, statement = list(_pg_triggers(table))
    return [
        f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION USING MESSAGE = '{table} is append-only: ' || TG_OP || ' refused'; "
        "END; "
        "$$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {row} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        f"CREATE TRIGGER {statement} BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
    ]


def signed_notes_ddl(dialect: str) -> list[str]:
    """SQL that makes the database refuse UPDATE and DELETE of a signed session note
    (and TRUNCATE of session_notes)."""
    table = SIGNED_NOTES
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_signed_no_{op.lower()} BEFORE {op} ON {table} "
            f"WHEN OLD.{_SIGNED} "
            f"BEGIN SELECT RAISE(ABORT, 'a signed session note cannot change: {op} refused'); "
            "END"
            for op in SQLITE_OPERATIONS
        ]
    row, statement = list(_pg_signed_triggers())
    return [
        f"CREATE OR REPLACE FUNCTION {table}_signed() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION USING MESSAGE = "
        "'a signed session note cannot change: ' || TG_OP || ' refused'; "
        "END; "
        "$$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {row} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW WHEN (OLD.{_SIGNED}) EXECUTE FUNCTION {table}_signed()",
        f"CREATE TRIGGER {statement} BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_signed()",
    ]


def _sqlite_expected() -> list[tuple[str, str, str, str]]:
    """(table, trigger, operation, condition) of every guarding trigger on SQLite."""
    expected = [
        (table, f"{table}_no_{op.lower()}", op, "")
        for table in APPEND_ONLY_TABLES
        for op in SQLITE_OPERATIONS
    ]
    return expected + [
        (SIGNED_NOTES, f"{SIGNED_NOTES}_signed_no_{op.lower()}", op, f"WHEN OLD.{_SIGNED}")
        for op in SQLITE_OPERATIONS
    ]


def _pg_expected() -> list[tuple[str, str, str, str]]:
    """(table, trigger, clause, condition) as `pg_get_triggerdef` shows them."""
    expected = [
        (table, name, clause, "")
        for table in APPEND_ONLY_TABLES
        for name, clause in _pg_triggers(table).items()
    ]
    row, statement = _pg_signed_triggers().items()
    return [
        *expected,
        (SIGNED_NOTES, *row, f"WHEN ((old.{_SIGNED}))"),
        (SIGNED_NOTES, *statement, ""),
    ]


def trigger_problems(conn: Connection) -> list[str]:
    """One line per guarding trigger (append-only tables, signed notes) that is missing,
    disabled or no longer refuses."""
    problems = []
    if conn.dialect.name == "sqlite":
        found = {
            name: sql or ""
            for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            )
        }
        for table, name, op, condition in _sqlite_expected():
            sql = " ".join(found.get(name, "").split()).upper()
            if name not in found:
                problems.append(_lost(table, name))
            elif (
                f"BEFORE {op} ON {table.upper()}" not in sql
                or "RAISE(ABORT" not in sql
                or not _condition_kept(sql, condition.upper())
            ):
                problems.append(f"{table}: trigger {name} no longer refuses {op}")
        return problems
    rows = conn.execute(
        text(
            "SELECT c.relname, t.tgname, t.tgenabled, pg_get_triggerdef(t.oid), p.prosrc "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND c.relname = ANY(:tables) "
            "AND pg_table_is_visible(c.oid)"
        ),
        {"tables": [*APPEND_ONLY_TABLES, SIGNED_NOTES]},
    )
    triggers = {
        (table, name): (enabled, definition, body)
        for table, name, enabled, definition, body in rows
    }
    for table, name, clause, condition in _pg_expected():
        if (table, name) not in triggers:
            problems.append(_lost(table, name))
            continue
        enabled, definition, body = triggers[(table, name)]
        # 'D' is disabled; 'R' fires only on replicas, so never for the app.
        if enabled in ("D", "R"):
            problems.append(
                f"{table}: trigger {name} is disabled; re-enable it with "
                f"ALTER TABLE {table} ENABLE TRIGGER {name}"
            )
        elif (
            clause not in definition
            or not _condition_kept(definition, condition)
            or "RAISE EXCEPTION" not in body.upper()
        ):
            problems.append(f"{table}: trigger {name} no longer refuses changes")
    return problems


def _condition_kept(definition: str, condition: str) -> bool:
    """The trigger's WHEN is the expected one, or absent where none belongs: a condition
    added to an unconditional trigger would let rows through."""
    if condition:
        return condition in definition
    return " WHEN " not in definition


def _lost(table: str, name: str) -> str:
    if table == SIGNED_NOTES:
        return f"{table} has lost the trigger that keeps signed notes unchanged ({name})"
    return f"{table} has lost the trigger that keeps it append-only ({name})"


def app_role_grants(role: str, owner: str, schema: str = "public") -> list[str]:
    """GRANTs for the app's PostgreSQL role: read and write the tables that change,
    only read and add to the append-only ones. Run as the owner after each upgrade."""
    append_only = ", ".join(APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {append_only} FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # Tables a later upgrade adds are readable and writable at once; the REVOKE above,
        # run again after the upgrade, covers a new append-only table.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
