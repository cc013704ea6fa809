"""Names vulture cannot see used (`vulture`, configured in pyproject.toml).

Each is read by something outside Python's view: a template, a library, the database
schema or a string lookup. Everything else defined and never used fails the suite.
"""

# ruff: noqa: F821, B018
# Columns kept for history and read by SQL or the audit trail, not by attribute access.
_.source_sha256
_.updated_at
_.created_by_id
_.set_by_id
_.resolved_by_id
_.resolved_at
_.updated_by_id
# Read by templates: history entries (me/_entries.html, mentees/_history.html), the pager.
_.level_text
_.lower_than_before
_.has_prev
# Read by me/progress.html: next steps the mentee has not picked yet.
_.suggestions
# Read by libraries: Flask-Login, Flask's session, reportlab's canvas, WTForms widgets,
# Flask's test client class, pytest's module marks, HTMLParser's callbacks.
_.is_active
_.permanent
_.useA85
_.widget
_.option_widget
_.test_client_class
pytestmark
_.handle_starttag
_.handle_endtag
_.handle_data
# Read by SQLAlchemy after a handle_error listener sets it (skills/outages.py).
_.is_disconnect
# Browser-test world fields looked up by name from page templates ("{mentor_user_id}").
_.unlinked_mentee
_.mentor_user_id
# Fixtures asked for their side effect (an app on SQLite) rather than their value.
sqlite_app
# Photo evidence: read by photos/record.html; set for Pillow and Flask (request_class).
_.uploaded_at
_.uploaded_by
_.withdrawn_by
_.MAX_IMAGE_PIXELS
_.request_class
# Written when a row is made, for the record (when an organisation began using a
# curriculum; who wrote an addendum or comment): read by people, in the database.
_.adopted_at
_.author_id
# Framework hooks, called by PyYAML, WTForms and Flask rather than by our code.
_.ignore_aliases
_.pre_validate
_overdue_lists
# Read by templates/mentees/_voice_said.html.
_.rating_label
# Set on the session for one commit (skills/web/loading.py `audit_list`).
_.expire_on_commit
_.indentless
# Read by people in the database (who replaced a session note's version, and when).
_.replaced_at
# Called from templates/admin/audit.html.
_.outcome_text
# Called by Jinja and MarkupSafe on every value a page prints (skills/i18n.py).
_.__html__
# Read by name from the browser tests' seed (getattr(site.people, role)).
_.spanish_mentee
_.spanish_mentor
_.spanish_admin
# Fixtures asked for by tests for their effect (tests/test_spanish_curriculum_text.py).
_.spanish_curriculum
# Read by templates/caseload/index.html and templates/mentees/mine.html.
_.percent_cells
_.last_signoff
# SQLAlchemy reads these: a cacheable SQL construct and its compilers (skills/models/sql_dates.py).
_.inherit_cache
_._add_days_sqlite
_._add_days
# Read by templates/session_notes/_overdue_items.html.
_.mentor_name
# A Jinja context processor, registered by its decorator (skills/web/session_notes/blueprint.py).
_._labels
