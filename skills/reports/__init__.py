"""Printable reports and exports: content gathered from services, builders that
return bytes (PDF, CSV). The web and the CLI only wrap them."""

from .caseload import caseload_data
from .caseload_pdf import caseload_batch_pdf, caseload_summary_pdf
from .content import mentee_report_data
from .csv_export import caseload_csv, mentee_history_csv
from .pdf import mentee_report_pdf

__all__ = [
    "caseload_batch_pdf",
    "caseload_csv",
    "caseload_data",
    "caseload_summary_pdf",
    "mentee_history_csv",
    "mentee_report_data",
    "mentee_report_pdf",
]
