"""Names and labels never become SQL: hostile CSV headers, Parquet columns, object labels and
stored table names are quoted or kept out of queries, and SQL cannot read the server's files."""

from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cs_core import alerts, imports, record_list, records, sql, views
from cs_core.record_list import Query, Viewer
from cs_core.sql import NameRefused, clean_label, ident, literal, readable_label
from tests.conftest import NOW, SETTINGS_MANAGER

LEAK = """Score" , (SELECT string_agg(email, ',') FROM users) AS "leak"""
READ_FILE = """Plan" , (SELECT content FROM read_text('/etc/hostname')) AS "host"""
QUOTES = """Partner's "key" account"""


def _import(con, tmp_path, frame: pd.DataFrame, name: str = "hostile.csv"):
    path = tmp_path / name
    if name.endswith(".parquet"):
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    else:
        frame.to_csv(path, index=False)
    result = imports.import_file(con, path, object_name="companies", actor=None, now=NOW)
    assert result.written, result.report
    return result


def test_hostile_headers_import_as_plain_labels_and_list_their_own_values(demo_con, tmp_path):
    frame = pd.DataFrame({"Company name": ["Evil Corp", "Good Corp"], LEAK: ["7", "8"],
                          READ_FILE: ["gold", "silver"], QUOTES: ["a", "b"]})  # fmt: skip
    _import(demo_con, tmp_path, frame)
    props = {p.label: p for p in records.list_properties(demo_con, "companies")}
    assert {LEAK, READ_FILE, QUOTES} <= set(props)
    columns = ("name", *(props[label].name for label in (LEAK, READ_FILE, QUOTES)))
    spec = [[{"property": "name", "operator": "contains", "value": "corp"}]]
    page = record_list.page(demo_con, Query("companies", spec, columns, sort=(("name", "asc"),)),
                            Viewer(SETTINGS_MANAGER, NOW))  # fmt: skip
    assert list(page.rows.columns) == ["id", "Company name", LEAK, READ_FILE, QUOTES]
    assert page.rows.drop(columns="id").values.tolist() == [
        ["Evil Corp", 7.0, "gold", "a"],
        ["Good Corp", 8.0, "silver", "b"],
    ]
    emails = {r[0] for r in demo_con.execute("SELECT email FROM users").fetchall()}
    cells = " ".join(map(str, page.rows.values.ravel()))
    assert not any(e in cells for e in emails)
    exported = record_list.export_frame(
        demo_con, Query("companies", spec, columns), Viewer(None, NOW)
    )
    assert list(exported.columns) == ["Record ID", "Company name", LEAK, READ_FILE, QUOTES]
    # Filters and sorts on those properties are as safe.
    on_leak = [[{"property": props[LEAK].name, "operator": "gt", "value": 7}]]
    assert record_list.count(demo_con, Query("companies", on_leak, columns), Viewer(None, NOW)) == 1


def test_a_view_can_show_and_sort_by_them_and_carry_a_hostile_name(demo_con, tmp_path, user):
    _import(demo_con, tmp_path, pd.DataFrame({"Company name": ["Evil Corp"], LEAK: ["7"]}))
    leak = next(p.name for p in records.list_properties(demo_con, "companies") if p.label == LEAK)
    view = views.create_view(demo_con, actor=user(SETTINGS_MANAGER), object_name="companies", name=LEAK,
                             sharing="everyone", columns=["name", leak],
                             sort=[{"property": leak, "direction": "desc"}], now=NOW)  # fmt: skip
    view = views.update_view(
        demo_con, actor=user(SETTINGS_MANAGER), view_id=view.id, name=READ_FILE, now=NOW
    )
    assert view.name == READ_FILE and view.columns == ["name", leak]
    query = Query("companies", view.filters, tuple(view.columns), sort=((leak, "desc"),))
    rows = record_list.page(demo_con, query, Viewer(SETTINGS_MANAGER, NOW)).rows
    assert rows.iloc[0][LEAK] == 7.0


def test_parquet_column_names_are_never_spliced_into_sql(demo_con, tmp_path):
    frame = pd.DataFrame({"Company name": ["Quoted Co"], 'x" FROM users --': ["1"], "a'b": ["2"]})
    _import(demo_con, tmp_path, frame, "hostile.parquet")
    labels = {p.label for p in records.list_properties(demo_con, "companies")}
    assert {'x" FROM users --', "a'b"} <= labels
    read = imports.read_table(tmp_path / "hostile.parquet")
    assert list(read.columns) == ["Company name", 'x" FROM users --', "a'b"]


def test_an_object_label_with_quotes_does_not_break_search_or_titles(empty_con, user):
    con = empty_con
    con.execute("INSERT INTO users (id, name, email, is_super_admin, has_service_seat, created_at) "
                "VALUES (1, 'Admin', 'a@x.example', TRUE, TRUE, now()::TIMESTAMP)")  # fmt: skip
    from cs_core.users import get_user

    records.create_custom_object(con, actor=get_user(con, 1), name="partner_accounts",
                                 label="Partner's account", label_plural="Partner's accounts",
                                 properties=[])  # fmt: skip
    con.execute("INSERT INTO partner_accounts (id, name, created_at, updated_at) VALUES "
                "(1, 'Acme', now()::TIMESTAMP, now()::TIMESTAMP), (2, 'Bolt', now()::TIMESTAMP, now()::TIMESTAMP)")  # fmt: skip
    # The label is part of every title expression (the fallback for a record without a name).
    assert record_list.search(con, "partner_accounts", "acme") == [(1, "Acme")]
    assert records.count_records(con, "partner_accounts") == 2


def test_alerts_take_tables_from_the_catalog_never_from_stored_rows(demo_con):
    forged = 'companies" r ON TRUE; SELECT * FROM users; --'
    demo_con.execute("INSERT INTO alerts VALUES (99999, 4, ?, 1, NULL, 'neutral', 'at_risk', ?, ?)",
                     [forged, NOW.replace(tzinfo=None), datetime(2030, 1, 1)])  # fmt: skip
    found = alerts.active_alerts(demo_con, user_id=4, now=NOW)
    assert 99999 not in set(found["id"]) and len(found) > 0


def test_the_helpers_quote_whatever_they_get():
    assert ident('a"b') == '"a""b"' and ident("plain") == '"plain"'
    assert literal("it's") == "'it''s'"
    assert sql.col("r", 'x"y') == 'r."x""y"'
    for bad in ("", "a\x00b", None, 3):
        with pytest.raises(NameRefused):
            ident(bad)
    with pytest.raises(NameRefused):
        sql.col("r; DROP", "x")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "cannot be empty"), ("   ", "cannot be empty"), ("x" * 201, "at most 200 characters"),
     ("bell\x07", "control or invisible"), ("zero\u200bwidth", "control or invisible"), (5, "must be text")],
)  # fmt: skip
def test_labels_are_checked_when_created(text, problem):
    with pytest.raises(NameRefused, match=problem):
        clean_label(text)


def test_file_headers_become_readable_labels():
    assert readable_label(" Net\tRevenue\n(EUR) ") == "Net Revenue (EUR)"
    assert readable_label("\x00\x01") == "Column"
    assert len(readable_label("y" * 5000)) == 200


def test_a_new_property_label_with_control_characters_is_refused(empty_con, tmp_path):
    frame = pd.DataFrame({"name": ["A"], "score": ["1"]})
    mapping = imports.suggest_mapping(empty_con, frame, object_name="companies")
    bad = [m if m.column != "score" else imports.ColumnMap("score", "new", property="score", label="sc\x1bore",
                                                          type="number") for m in mapping]  # fmt: skip
    with pytest.raises(imports.MappingError, match="control or invisible"):
        imports.check(empty_con, frame, bad, object_name="companies")
