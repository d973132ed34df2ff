"""Reports as code (spec/reports.md): a JSON definition, checked, run as one query."""

from cs_core.reports.definition import Report, ReportError, parse
from cs_core.reports.engine import Result, check, run

__all__ = ["Report", "ReportError", "Result", "check", "parse", "run"]
