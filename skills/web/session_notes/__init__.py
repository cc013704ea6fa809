"""Session notes: the mentor's forms (one mentee, a group, edits), reading and signing,
addenda, the mentee's own pages and comments, the credential a note is signed with, and
the billing export. One blueprint, its views split by what they hold."""

from . import billing, mentee, overdue, reading, writing
from .blueprint import bp

__all__ = ["billing", "bp", "mentee", "overdue", "reading", "writing"]
