"""Column mapping for imports: recognised CRM headers, snake_case names, inferred types."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pandas as pd

from cs_core.sql import readable_label

# Names a new property cannot take: the record id and the listing's computed health columns.
RESERVED_PROPERTIES = frozenset({"id", "health_score", "health_category"})
# Actions a column can have.
EXISTING, NEW, SKIP, EXTERNAL_ID, ASSOCIATE = "existing", "new", "skip", "external_id", "associate"
ENUM_MAX_OPTIONS = 12
_TRUE, _FALSE = {"yes", "true"}, {"no", "false"}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ",
                    "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S.%f")  # fmt: skip

# Headers of CRM exports, lower-cased, per object: header -> property (or a special action).
CRM_HEADERS = {
    "*": {"record id": EXTERNAL_ID, "create date": "created_at", "last activity date": "last_activity_at"},
    "companies": {"company name": "name", "name": "name", "company owner": "owner_id",
                  "company domain name": "domain", "website url": "domain", "industry": "industry",
                  "number of employees": "employees", "annual revenue": "annual_revenue",
                  "city": "city", "country/region": "country", "country": "country",
                  "lifecycle stage": "lifecycle_stage", "customer success manager": "csm_id",
                  "renewal date": "renewal_date"},
    "contacts": {"first name": "first_name", "last name": "last_name", "email": "email",
                 "job title": "job_title", "phone number": "phone", "contact owner": "owner_id",
                 "lifecycle stage": "lifecycle_stage", "associated company ids": "companies",
                 "associated company id": "companies"},
    "deals": {"deal name": "name", "amount": "amount", "close date": "close_date",
              "deal owner": "owner_id", "deal type": "deal_type", "pipeline": "pipeline_id",
              "deal stage": "stage_id", "associated company ids": "companies",
              "associated company id": "companies"},
}  # fmt: skip


@dataclass(frozen=True)
class ColumnMap:
    """What one column of the file becomes."""

    column: str
    action: str  # existing, new, skip, external_id, associate
    property: str | None = None  # existing or new property name; object name for associate
    label: str | None = None  # a new property's label
    type: str | None = None  # a new property's type
    options: tuple[str, ...] = ()  # a new enumeration's options

    def to_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @staticmethod
    def from_json(value: dict) -> ColumnMap:
        return ColumnMap(**{**value, "options": tuple(value.get("options") or ())})


_PLURAL_ACRONYM = re.compile(r"([A-Z]{2,})s(?![a-z])")  # IDs, URLs: an acronym's plural


def _words(header: str) -> list[str]:
    """A header's words: split at spaces, underscores and camel case (IDs stays one word)."""
    text = _PLURAL_ACRONYM.sub(lambda m: m.group(1) + "\0", header.strip())
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return [w.replace("\0", "s") for w in re.split(r"[^0-9a-zA-Z\0]+", text) if w]


def header_label(header: str) -> str:
    """A new property's label from a file's header, as people write labels: `MonthlyCharges` →
    Monthly charges, `customerID` → Customer ID, `senior_citizen` → Senior citizen; a header
    that already reads as words (`NPS score`, `Company name`), or is not one identifier, is kept."""
    clean = readable_label(header)
    if " " in clean or not re.fullmatch(r"[0-9A-Za-z_]+", clean):
        return clean  # written as words (or as anything but one identifier): kept as it is
    words = _words(clean)
    if not words:
        return clean
    out = []
    for i, w in enumerate(words):
        acronym = len(w) > 1 and (w.isupper() or (w[:-1].isupper() and w.endswith("s")))
        out.append(w if acronym else (w.capitalize() if i == 0 else w.lower()))
    return " ".join(out)


def snake_case(header: str) -> str:
    """`TotalCharges` → total_charges, `customerID` → customer_id, `Company name` → company_name,
    `Associated Company IDs` → associated_company_ids."""
    text = _PLURAL_ACRONYM.sub(lambda m: m.group(1).lower() + "s", header.strip())
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    if not text:
        return "column"
    return text if text[0].isalpha() else f"c_{text}"


def non_blank(values: pd.Series) -> pd.Series:
    """The column's values that are not empty (blank or whitespace-only cells are empty)."""
    stripped = values.dropna().astype(str).str.strip()
    return stripped[stripped != ""]


def parse_dates(values: pd.Series, *, with_time: bool) -> pd.Series:
    """Parsed timestamps (NaT where a value fits none of the accepted formats)."""
    formats = DATETIME_FORMATS + DATE_FORMATS if with_time else DATE_FORMATS
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    for fmt in formats:
        missing = out.isna()
        if not missing.any():
            break
        out[missing] = pd.to_datetime(values[missing], format=fmt, errors="coerce")
    return out


def parse_numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.str.replace(",", "", regex=False), errors="coerce")


_DATE_LIKE = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"


def infer_type(values: pd.Series) -> tuple[str, tuple[str, ...]]:
    """The type (and enumeration options) that fits every non-empty value of a column.

    Each distinct value is tried once, so a column of a few values costs little.
    """
    present = non_blank(values)
    if present.empty:
        return "string", ()
    distinct = pd.Series(present.unique(), dtype=object).astype(str)
    lowered = distinct.str.lower()
    if lowered.isin(_TRUE | _FALSE).all():
        return "boolean", ()
    if parse_numbers(distinct).notna().all():
        return "number", ()
    if distinct.str.match(_DATE_LIKE).all():
        if parse_dates(distinct, with_time=False).notna().all():
            return "date", ()
        if parse_dates(distinct, with_time=True).notna().all():
            return "datetime", ()
    if len(distinct) <= ENUM_MAX_OPTIONS and len(distinct) * 5 <= len(present):
        return "enumeration", tuple(sorted(distinct, key=str.lower))
    return "string", ()


_ASSOCIATED = re.compile(r"^associated (.+?) ids?$")  # a CRM export's link column, any object
_STANDARD_OBJECTS = {"company": "companies", "contact": "contacts", "deal": "deals", "service": "services",
                     "subscription": "subscriptions"}  # fmt: skip


def linked_object(
    header: str, object_name: str, objects: dict[str, str] | None = None
) -> str | None:
    """The object an "Associated <object> IDs" column links to (another one than
    ``object_name``), by the object's singular label (``objects``: label -> name)."""
    found = _ASSOCIATED.match(" ".join(header.strip().lower().split()))
    if not found:
        return None
    word = found.group(1)
    target = (objects or {}).get(word) or _STANDARD_OBJECTS.get(word)
    return target if target and target != object_name else None


def suggest(columns: list[str], sample: pd.DataFrame, *, object_name: str, props: dict,
            id_column: str | None = None, objects: dict[str, str] | None = None) -> list[ColumnMap]:  # fmt: skip
    """A first mapping: recognised headers and existing properties, else new typed properties.

    ``props`` is the object's catalog by name; ``sample`` holds the file's rows as text;
    ``objects`` (singular label -> name) names what "Associated <object> IDs" links to.
    """
    known = {**CRM_HEADERS["*"], **CRM_HEADERS.get(object_name, {})}
    by_label = {p.label.lower(): name for name, p in props.items()}
    taken: set[str] = set()
    out = []
    for col in columns:
        key = col.strip().lower()
        target = known.get(key)
        if col == id_column or (id_column is None and target == EXTERNAL_ID):
            out.append(ColumnMap(col, EXTERNAL_ID))
            continue
        if target in ("companies", "contacts", "deals"):
            out.append(ColumnMap(col, ASSOCIATE, property=target))
            continue
        if (linked := linked_object(col, object_name, objects)) is not None and (
            objects is None or linked in objects.values()
        ):
            out.append(ColumnMap(col, ASSOCIATE, property=linked))
            continue
        name = target if target in props else by_label.get(key) or (key if key in props else None)
        if name is None and snake_case(col) in props:
            name = snake_case(col)
        if name and name not in taken:
            taken.add(name)
            out.append(ColumnMap(col, EXISTING, property=name))
            continue
        new_name = snake_case(col)
        while new_name in props or new_name in taken or new_name in RESERVED_PROPERTIES:
            new_name += "_2"
        taken.add(new_name)
        kind, options = infer_type(sample[col])
        out.append(
            ColumnMap(
                col, NEW, property=new_name, label=header_label(col), type=kind, options=options
            )
        )
    return out
