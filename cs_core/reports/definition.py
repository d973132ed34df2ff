"""A report definition (spec/reports.md) read and checked: every problem is named, in words,
before anything runs or is saved."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from cs_core.errors import Problems

OPS = ("count", "count_distinct", "sum", "avg", "min", "max", "median")
NUMBER_OPS = ("sum", "avg", "min", "max", "median")
GRAINS = ("day", "week", "month", "quarter", "year")
SORTS = ("dimension", "measure_desc")
CHARTS = ("bar", "stacked_bar", "line", "area", "pie", "number", "table")
RETENTION_MEASURES = ("start_arr", "expansion", "contraction", "churned_arr", "new_arr", "end_arr", "grr", "nrr",
                      "logo_churn")  # fmt: skip
MAX_NAME = 200
MAX_DESCRIPTION = 2_000


class ReportError(Problems):
    """A definition that cannot run; ``problems`` names each reason."""


@dataclass(frozen=True)
class Dimension:
    property: str
    grain: str | None = None

    @property
    def column(self) -> str:
        return f"{self.property}_{self.grain}" if self.grain else self.property


@dataclass(frozen=True)
class Report:
    name: str
    source: str
    op: str
    measure_property: str | None = None
    filters: list = field(default_factory=list)
    dimensions: tuple[Dimension, ...] = ()
    sort: str = "dimension"
    limit: int | None = None
    chart: str = "table"
    description: str | None = None
    first: date | None = None  # retention sources: the range of periods
    last: date | None = None

    @property
    def kind(self) -> str:
        return self.source.split(":", 1)[0]

    @property
    def target(self) -> str | None:
        return self.source.split(":", 1)[1] if ":" in self.source else None

    def as_json(self) -> dict:
        measure = {"op": self.op}
        if self.measure_property is not None:
            measure["property"] = self.measure_property
        out = {"name": self.name, "description": self.description, "source": self.source, "filters": self.filters,
               "measure": measure, "dimensions": [{"property": d.property, **({"grain": d.grain} if d.grain else {})}
                                                   for d in self.dimensions],
               "sort": self.sort, "limit": self.limit, "chart": self.chart}  # fmt: skip
        if self.first is not None:
            out["from"] = self.first.isoformat()
        if self.last is not None:
            out["to"] = self.last.isoformat()
        return out


def parse(text_or_dict: str | dict) -> Report:
    """The definition's shape (types, known words); the catalog is checked when it runs
    (:func:`cs_core.reports.engine.check`)."""
    problems: list[str] = []
    if isinstance(text_or_dict, str):
        try:
            raw = json.loads(text_or_dict)
        except json.JSONDecodeError as exc:
            raise ReportError([f"The definition is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."]) from None  # fmt: skip
    else:
        raw = text_or_dict
    if not isinstance(raw, dict):
        raise ReportError(["A report definition is a JSON object."])
    known = {
        "name",
        "description",
        "source",
        "filters",
        "measure",
        "dimensions",
        "sort",
        "limit",
        "chart",
        "from",
        "to",
    }
    for extra in sorted(set(raw) - known):
        problems.append(f"Unknown field {extra!r}.")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("Give the report a name.")
    elif len(name.strip()) > MAX_NAME:
        problems.append(f"A report name has at most {MAX_NAME} characters.")
    description = raw.get("description")
    if description is not None and (
        not isinstance(description, str) or len(description) > MAX_DESCRIPTION
    ):
        problems.append(f"The description is text of at most {MAX_DESCRIPTION:,} characters.")
    source = raw.get("source")
    if not isinstance(source, str) or not (
        source in ("tasks", "activities")
        or (
            source.split(":", 1)[0] in ("object", "health", "retention")
            and ":" in source
            and source.split(":", 1)[1].strip()
        )  # fmt: skip
    ):
        problems.append(
            f"Unknown source {source!r}: object:NAME, tasks, activities, health:PROFILE or retention:OBJECT."
        )
        source = None
    filters = raw.get("filters") or []
    if not isinstance(filters, list):
        problems.append("filters is a list of groups of conditions.")
        filters = []
    measure = raw.get("measure")
    op, prop = None, None
    if not isinstance(measure, dict) or not isinstance(measure.get("op"), str):
        problems.append('Give the measure: {"op": ..., "property": ...}.')
    else:
        op, prop = measure["op"], measure.get("property")
        retention = source is not None and source.startswith("retention:")
        if retention:
            if op not in RETENTION_MEASURES:
                problems.append(
                    f"Unknown measure {op!r} of a retention source: one of {', '.join(RETENTION_MEASURES)}."
                )
        elif op not in OPS:
            problems.append(f"Unknown op {op!r}: one of {', '.join(OPS)}.")
        elif op != "count" and not isinstance(prop, str):
            problems.append(f"The {op} measure needs a property.")
        if prop is not None and not isinstance(prop, str):
            problems.append("The measure's property is a property name.")
            prop = None
    dims_raw = raw.get("dimensions") or []
    dims: list[Dimension] = []
    if not isinstance(dims_raw, list):
        problems.append("dimensions is a list.")
        dims_raw = []
    if len(dims_raw) > 2:
        problems.append(f"A report has at most two dimensions ({len(dims_raw)} given).")
    for d in dims_raw[:2]:
        if not isinstance(d, dict) or not isinstance(d.get("property"), str):
            problems.append(
                'A dimension is {"property": NAME} or {"property": NAME, "grain": GRAIN}.'
            )
            continue
        grain = d.get("grain")
        if grain is not None and grain not in GRAINS:
            problems.append(f"Unknown grain {grain!r}: one of {', '.join(GRAINS)}.")
            grain = None
        dims.append(Dimension(d["property"], grain))
    sort = raw.get("sort") or "dimension"
    if sort not in SORTS:
        problems.append(f"Unknown sort {sort!r}: dimension or measure_desc.")
    limit = raw.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        problems.append("limit is a positive whole number (or null).")
    chart = raw.get("chart") or "table"
    if chart not in CHARTS:
        problems.append(f"Unknown chart {chart!r}: one of {', '.join(CHARTS)}.")
    if chart == "number" and dims_raw:
        problems.append("A number chart has no dimensions.")
    days = {}
    for key in ("from", "to"):
        value = raw.get(key)
        if value is None:
            continue
        try:
            days[key] = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            days[key] = None
        if days[key] is None:
            problems.append(f"{key} is a day, YYYY-MM-DD.")
    if problems:
        raise ReportError(problems)
    return Report(name=name.strip(), source=source, op=op, measure_property=prop, filters=filters,
                  dimensions=tuple(dims), sort=sort, limit=limit, chart=chart, description=description,
                  first=days.get("from"), last=days.get("to"))  # fmt: skip
