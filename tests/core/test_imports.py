"""Imports (DAT-2) on real data: the Telco churn file, mapping, all-or-nothing, updates."""

import hashlib
import os
import subprocess
import sys
from datetime import timedelta

import pandas as pd
import pytest

from cs_core import db, imports, record_list
from cs_core.imports import ColumnMap, MappingError, infer_type, snake_case
from cs_core.record_list import Query, Viewer
from cs_core.users import PermissionDenied
from tests.conftest import CSM, NOW, ROOT, SETTINGS_MANAGER

TELCO = ROOT / "tests" / "data" / "telco-customer-churn.csv"


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    return imports.read_table(TELCO)


def one(con, sql, params=()):
    return con.execute(sql, list(params)).fetchone()[0]


def content(con) -> dict:
    """Every table's row count and content hash: "unchanged" means equal dicts."""
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1"
        ).fetchall()
    ]
    return {
        t: con.execute(f'SELECT count(*), sum(hash(t)::HUGEINT) FROM "{t}" t').fetchone()
        for t in tables
    }


@pytest.mark.parametrize(
    ("header", "name"),
    [("TotalCharges", "total_charges"), ("customerID", "customer_id"), ("Contract", "contract"),
     ("Company name", "company_name"), ("SeniorCitizen", "senior_citizen"), ("Country/Region", "country_region"),
     ("  Net Revenue (EUR) ", "net_revenue_eur"), ("2024 revenue", "c_2024_revenue"),
     ("Associated Company IDs", "associated_company_ids"), ("URLs", "urls")],
)  # fmt: skip
def test_new_property_names_are_snake_case(header, name):
    assert snake_case(header) == name


@pytest.mark.parametrize(
    ("header", "label"),
    [("MonthlyCharges", "Monthly charges"), ("customerID", "Customer ID"), ("senior_citizen", "Senior citizen"),
     ("tenure", "Tenure"), ("NPS score", "NPS score"), ("Company name", "Company name"),
     ("Associated Company IDs", "Associated Company IDs"), ("PaymentMethod", "Payment method"), ("ARR", "ARR")],
)  # fmt: skip
def test_new_properties_get_readable_labels(header, label):
    """Found 14: an imported column's label reads as words, not as the file's header."""
    from cs_core.imports.mapping import header_label

    assert header_label(header) == label


@pytest.mark.parametrize(
    ("values", "kind", "options"),
    [(["1", " 2.5", "", None, "1,000"], "number", ()), (["Yes", "no", "YES"], "boolean", ()),
     (["2026-01-31", "2025-12-01"], "date", ()), (["2026-01-31 10:00", "2026-01-31"], "datetime", ()),
     (["a", "b", "a", "b", "a", "b", "a", "b", "a", "b"], "enumeration", ("a", "b")),
     (["x1", "x2", "x3"], "string", ()), (["", "  ", None], "string", ())],
)  # fmt: skip
def test_type_inference(values, kind, options):
    assert infer_type(pd.Series(values, dtype=object)) == (kind, options)


def test_the_telco_file_imports_whole_with_the_right_types(empty_con, telco):
    mapping = imports.suggest_mapping(empty_con, telco, object_name="companies")
    assert mapping[0] == ColumnMap("customerID", "external_id")
    result = imports.run_import(empty_con, telco, mapping, object_name="companies", actor=None, now=NOW,
                                file_name="telco.csv")  # fmt: skip
    assert (result.written, result.rows, result.created, result.updated, result.rejected_rows) == (
        True, 7043, 7043, 0, 0)  # fmt: skip
    assert one(empty_con, "SELECT count(*) FROM companies") == 7043
    types = dict(empty_con.execute(
        "SELECT name, type FROM properties WHERE object = 'companies' AND is_custom").fetchall())  # fmt: skip
    assert types["tenure"] == "number" and types["total_charges"] == "number"
    assert types["contract"] == "enumeration" and types["churn"] == "boolean"
    assert types["senior_citizen"] == "number" and types["multiple_lines"] == "enumeration"
    assert one(empty_con, "SELECT options FROM properties WHERE name = 'contract'") == (
        '["Month-to-month", "One year", "Two year"]')  # fmt: skip
    assert (
        one(empty_con, "SELECT label FROM properties WHERE name = 'total_charges'")
        == "Total charges"
    )
    # Blank TotalCharges cells are empty values, not zeros and not errors.
    assert one(empty_con, "SELECT count(*) FROM companies WHERE total_charges IS NULL") == 11
    row = empty_con.execute(
        "SELECT c.name, c.tenure, c.contract, c.total_charges, c.churn FROM companies c "
        "JOIN record_external_ids x ON x.record_id = c.id AND x.object = 'companies' WHERE x.external_id = '5575-GNVDE'"
    ).fetchone()
    assert row == (
        "5575-GNVDE",
        34.0,
        "One year",
        1889.5,
        False,
    )  # no name column: the id is the name
    assert one(empty_con, "SELECT count(*) FROM companies WHERE churn") == 1869


def test_imported_records_can_be_filtered_on_their_new_properties(empty_con, telco):
    imports.run_import(empty_con, telco, imports.suggest_mapping(empty_con, telco, object_name="companies"),
                       object_name="companies", actor=None, now=NOW, file_name="telco.csv")  # fmt: skip
    spec = [[{"property": "contract", "operator": "eq", "value": "Two year"},
             {"property": "tenure", "operator": "gte", "value": 60}]]  # fmt: skip
    q = Query("companies", spec, ("name", "contract", "tenure"))
    expected = int(((telco["Contract"] == "Two year") & (telco["tenure"].astype(int) >= 60)).sum())
    assert record_list.count(empty_con, q, Viewer(None, NOW)) == expected


def test_three_bad_cells_reject_the_whole_file_and_change_nothing(demo_con, telco, user):
    """After a first import made the properties (tenure a number, Contract three options),
    the same file with three corrupted cells is refused whole."""
    imports.run_import(demo_con, telco, imports.suggest_mapping(demo_con, telco, object_name="companies"),
                       object_name="companies", actor=user(SETTINGS_MANAGER), now=NOW, file_name="telco.csv")  # fmt: skip
    bad = telco.copy()
    bad.loc[10, "tenure"] = "ten"
    bad.loc[2000, "Contract"] = "Three year"
    bad.loc[6999, "TotalCharges"] = "12.5.1"
    before = content(demo_con)
    result = imports.run_import(demo_con, bad, imports.suggest_mapping(demo_con, bad, object_name="companies"),
                                object_name="companies", actor=user(SETTINGS_MANAGER), now=NOW,
                                file_name="telco.csv")  # fmt: skip
    assert not result.written
    assert result.report.to_dict("records") == [
        {"Row": 11, "Column": "tenure", "Value": "ten", "Reason": "not a number"},
        {"Row": 2001, "Column": "Contract", "Value": "Three year",
         "Reason": "not one of: Month-to-month, One year, Two year"},
        {"Row": 7000, "Column": "TotalCharges", "Value": "12.5.1", "Reason": "not a number"},
    ]  # fmt: skip
    assert result.summary() == "Nothing was imported: 3 of 7,043 rows have problems (3 in all)."
    assert content(demo_con) == before


def test_skip_invalid_imports_the_valid_rows_only(empty_con, telco):
    bad = telco.copy()
    bad.loc[0, "tenure"] = "ten"
    mapping = imports.suggest_mapping(empty_con, telco, object_name="companies")  # tenure: a number
    result = imports.run_import(empty_con, bad, mapping, object_name="companies", actor=None, now=NOW,
                                file_name="t.csv", skip_invalid=True)  # fmt: skip
    assert (result.written, result.created, result.rejected_rows) == (True, 7042, 1)
    assert (
        one(empty_con, "SELECT count(*) FROM record_external_ids WHERE external_id = '7590-VHVEG'")
        == 0
    )


def test_reimport_updates_by_external_id_with_history(empty_con, telco):
    mapping = imports.suggest_mapping(empty_con, telco, object_name="companies")
    imports.run_import(
        empty_con, telco, mapping, object_name="companies", actor=None, now=NOW, file_name="a.csv"
    )
    changed = telco.copy()
    changed.loc[1, "tenure"] = "35"
    changed.loc[2, "Contract"] = "one year"  # matched to the option case-insensitively
    changed.loc[3, "TotalCharges"] = "  "  # a blank leaves the value as it is
    later = NOW + timedelta(days=1)
    result = imports.run_import(empty_con, changed, mapping, object_name="companies", actor=None, now=later,
                                file_name="b.csv")  # fmt: skip
    assert (result.created, result.updated) == (0, 2)
    assert one(empty_con, "SELECT count(*) FROM companies") == 7043
    history = empty_con.execute(
        "SELECT property, old_value, new_value, source FROM property_history WHERE changed_at = ? ORDER BY property",
        [later.replace(tzinfo=None)],
    ).fetchall()
    assert history == [
        ("contract", "Month-to-month", "One year", "import"),
        ("tenure", "34", "35", "import"),
    ]
    assert (
        one(empty_con, "SELECT total_charges FROM companies WHERE name = '7795-CFOCW'") == 1840.75
    )


def test_crm_export_headers_are_recognised(demo_con, tmp_path, user):
    path = tmp_path / "hubspot-companies.csv"
    path.write_text(
        "Record ID,Company name,Company owner,Create Date,Number of Employees,Segment\n"
        "9001,Quayside Robotics,lucas.fischer@northwind.example,2024-03-01 09:30,120,Mid-Market\n"
        "9002,Harbour Lane Foods,Mei Chen,2023-11-15,  ,SMB\n"
    )
    frame = imports.read_table(path)
    mapping = imports.suggest_mapping(demo_con, frame, object_name="companies")
    assert [(m.action, m.property) for m in mapping] == [
        ("external_id", None), ("existing", "name"), ("existing", "owner_id"), ("existing", "created_at"),
        ("existing", "employees"), ("existing", "segment")]  # fmt: skip
    result = imports.run_import(demo_con, frame, mapping, object_name="companies", actor=user(SETTINGS_MANAGER),
                                now=NOW, file_name=path.name)  # fmt: skip
    assert result.created == 2
    rows = demo_con.execute(
        "SELECT c.name, u.name, c.created_at::VARCHAR, c.employees, c.segment FROM companies c "
        "JOIN users u ON u.id = c.owner_id WHERE c.id > 400 ORDER BY c.id").fetchall()  # fmt: skip
    assert rows == [("Quayside Robotics", "Lucas Fischer", "2024-03-01 09:30:00", 120.0, "Mid-Market"),
                    ("Harbour Lane Foods", "Mei Chen", "2023-11-15 00:00:00", None, "SMB")]  # fmt: skip
    # The new owners' assignment is in the history (for "Assigned to me" views).
    assert one(demo_con, "SELECT count(*) FROM property_history WHERE record_id > 400 AND property = 'owner_id' "
                         "AND source = 'import'") == 2  # fmt: skip


def test_contacts_link_to_imported_companies(empty_con, tmp_path):
    companies = tmp_path / "companies.csv"
    companies.write_text("Record ID,Company name\nC1,Acme\nC2,Globex\n")
    imports.import_file(empty_con, companies, object_name="companies", actor=None, now=NOW)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "Record ID,First Name,Last Name,Associated Company IDs\nP1,Ada,Lovelace,C1\nP2,Alan,Turing,C1;C2\n"
    )
    result = imports.import_file(empty_con, contacts, object_name="contacts", actor=None, now=NOW)
    assert result.created == 2
    links = empty_con.execute(
        "SELECT c.last_name, co.name FROM associations a JOIN contacts c ON c.id = a.from_id "
        "JOIN companies co ON co.id = a.to_id WHERE a.from_object = 'contacts' ORDER BY 1, 2").fetchall()  # fmt: skip
    assert links == [("Lovelace", "Acme"), ("Turing", "Acme"), ("Turing", "Globex")]
    assert one(empty_con, "SELECT count(*) FROM associations WHERE from_object = 'companies'") == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("Record ID,Last Name,Associated Company IDs\nP3,Hopper,C9\n")
    result = imports.import_file(empty_con, bad, object_name="contacts", actor=None, now=NOW)
    assert result.report.to_dict("records") == [
        {
            "Row": 1,
            "Column": "Associated Company IDs",
            "Value": "C9",
            "Reason": "no companies record has this id",
        }
    ]


def test_unusable_mappings_and_files_are_explained(empty_con, tmp_path, telco):
    with pytest.raises(MappingError) as err:
        imports.check(empty_con, telco[["gender"]], [ColumnMap("gender", "new", property="Gender!", type="string")],
                      object_name="companies")  # fmt: skip
    assert err.value.problems == [
        "Column 'gender': 'Gender!' cannot name a new property (lower-case letters, digits and underscores, "
        "not an existing name).",
        "Map a column to the Company name or choose the column with record ids: every record needs a name.",
    ]
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    with pytest.raises(imports.ImportFileError, match="has a header but no rows"):
        imports.read_table(empty)
    with pytest.raises(imports.ImportFileError, match="import a .csv or .parquet file"):
        imports.read_table(tmp_path / "x.xlsx") if (tmp_path / "x.xlsx").write_text("x") else None


def test_parquet_files_import_too(empty_con, tmp_path, telco):
    path = tmp_path / "telco.parquet"
    telco.head(100).astype(str).replace("None", None).to_parquet(path)
    result = imports.import_file(empty_con, path, object_name="companies", actor=None, now=NOW)
    assert (result.written, result.created) == (True, 100)


def test_imports_need_the_permission(demo_con, telco, user):
    with pytest.raises(PermissionDenied):
        imports.run_import(
            demo_con, telco, [], object_name="companies", actor=user(CSM), now=NOW, file_name="x"
        )


def test_saved_mappings_are_reused(demo_con, telco, user):
    mapping = imports.suggest_mapping(demo_con, telco, object_name="companies")
    imports.save_mapping(demo_con, actor=user(SETTINGS_MANAGER), name="Telco export", object_name="companies",
                         mapping=mapping, now=NOW)  # fmt: skip
    assert imports.saved_mappings(demo_con, "companies") == {"Telco export": mapping}


def test_a_process_killed_mid_write_leaves_nothing(tmp_path, telco):
    """The import stops (os._exit) after the records are inserted, before commit."""
    path = tmp_path / "ws.duckdb"
    con = db.open_workspace(str(path))
    before = content(con)
    con.close()
    script = (
        "import os, sys\n"
        "from cs_core.imports import writing\n"
        "writing.checkpoint = lambda step: os._exit(9) if step == 'records' else None\n"
        "from cs_core.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, "import", "--db", str(path), "--object", "companies", "--file", str(TELCO)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ},
    )  # fmt: skip
    assert run.returncode == 9, run.stderr
    con = db.open_workspace(str(path))
    assert content(con) == before
    assert one(con, "SELECT count(*) FROM properties WHERE object = 'companies' AND is_custom") == 0
    con.close()
    # And the same import, not interrupted, writes everything.
    done = subprocess.run([sys.executable, "-m", "cs_core", "import", "--db", str(path), "--object", "companies",
                           "--file", str(TELCO)], cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Imported 7,043 of 7,043 rows: 7,043 created, 0 updated." in done.stdout
    assert hashlib.sha256(path.read_bytes()).hexdigest()


def test_tasks_and_activities_import_onto_imported_records(empty_con, tmp_path):
    empty_con.execute("INSERT INTO users (id, name, email, created_at) VALUES (4, 'Lucas Fischer', 'l@x.example', ?)",
                      [NOW.replace(tzinfo=None)])  # fmt: skip
    companies = tmp_path / "companies.csv"
    companies.write_text("Record ID,Company name\nC1,Acme\nC2,Globex\n")
    imports.import_file(empty_con, companies, object_name="companies", actor=None, now=NOW)
    tasks = tmp_path / "tasks.csv"
    tasks.write_text(
        "Record ID,Task title,Due date,Task owner,Priority,Notes\n"
        "C1,Send QBR deck,2026-12-01 15:00,Lucas Fischer,high,\n"
        "C2,Call the sponsor,2026-12-02,l@x.example,,Ask about renewal\n"
    )
    mapping = imports.suggest_mapping(empty_con, imports.read_table(tasks), object_name="tasks")
    assert [(m.action, m.property) for m in mapping] == [
        ("external_id", None), ("existing", "title"), ("existing", "due_at"), ("existing", "owner_id"),
        ("existing", "priority"), ("existing", "notes")]  # fmt: skip
    result = imports.import_file(empty_con, tasks, object_name="tasks", actor=None, now=NOW)
    assert (result.written, result.created) == (True, 2)
    rows = empty_con.execute(
        "SELECT t.title, c.name, t.due_at::VARCHAR, t.owner_id, t.priority, t.task_type, t.status, t.notes "
        "FROM tasks t JOIN companies c ON c.id = t.record_id AND t.object = 'companies' ORDER BY t.id").fetchall()  # fmt: skip
    assert rows == [("Send QBR deck", "Acme", "2026-12-01 15:00:00", 4, "high", "todo", "open", None),
                    ("Call the sponsor", "Globex", "2026-12-02 00:00:00", 4, "none", "todo", "open",
                     "Ask about renewal")]  # fmt: skip
    activities = tmp_path / "activities.csv"
    activities.write_text(
        "Record ID,Activity type,Activity date,Subject\n"
        "C1,email_reply,2026-11-20 10:00,Re: renewal\nC1,meeting,2026-11-25 16:00,QBR\nC2,call,2026-11-01 09:00,\n"
    )
    result = imports.import_file(
        empty_con, activities, object_name="activities", actor=None, now=NOW
    )
    assert result.created == 3
    assert empty_con.execute(
        "SELECT c.name, count(*), max(a.occurred_at)::VARCHAR, c.last_activity_at::VARCHAR FROM activities a "
        "JOIN companies c ON c.id = a.company_id GROUP BY c.name, c.last_activity_at ORDER BY 1").fetchall() == [
        ("Acme", 2, "2026-11-25 16:00:00", "2026-11-25 16:00:00"),
        ("Globex", 1, "2026-11-01 09:00:00", "2026-11-01 09:00:00")]  # fmt: skip
    bad = tmp_path / "bad-activities.csv"
    bad.write_text(
        "Record ID,Activity type,Activity date\nC9,call,2026-11-01\nC1,fax,2026-11-02\nC2,note,\n"
    )
    before = content(empty_con)
    result = imports.import_file(empty_con, bad, object_name="activities", actor=None, now=NOW)
    assert not result.written
    assert result.report.to_dict("records") == [
        {"Row": 1, "Column": "Record ID", "Value": "C9", "Reason": "no companies record has this id"},
        {"Row": 2, "Column": "Activity type", "Value": "fax", "Reason": "not one of: " + ", ".join(
            imports.events.ACTIVITY_TYPES)},
        {"Row": 3, "Column": "Activity date", "Value": "", "Reason": "Activity date is required"},
    ]  # fmt: skip
    assert content(empty_con) == before


def test_association_columns_link_records_of_any_object_custom_ones_too(empty_con, tmp_path):
    from cs_core import records, users

    empty_con.execute("INSERT INTO users (id, name, email, is_super_admin, has_service_seat, has_workspace_access, "
                      "created_at) VALUES (1, 'Admin', 'a@x.example', TRUE, TRUE, TRUE, ?)", [NOW.replace(tzinfo=None)])  # fmt: skip
    records.create_custom_object(empty_con, actor=users.get_user(empty_con, 1), name="licenses",
                                 label="License", label_plural="Licenses",
                                 properties=[{"name": "seats", "label": "Seats", "type": "number"}])  # fmt: skip
    companies = tmp_path / "companies.csv"
    companies.write_text("Record ID,Company name\nC1,Acme\nC2,Globex\n")
    imports.import_file(empty_con, companies, object_name="companies", actor=None, now=NOW)
    lines = tmp_path / "subscriptions.csv"
    lines.write_text(
        "Record ID,Name,ARR,Associated Company IDs\nS1,Acme base,1200,C1\nS2,Globex base,800,C2\n"
    )
    mapping = imports.suggest_mapping(
        empty_con, imports.read_table(lines), object_name="subscriptions"
    )
    assert [(m.column, m.action, m.property) for m in mapping] == [
        ("Record ID", "external_id", None), ("Name", "existing", "name"), ("ARR", "existing", "arr"),
        ("Associated Company IDs", "associate", "companies")]  # fmt: skip
    result = imports.import_file(empty_con, lines, object_name="subscriptions", actor=None, now=NOW)
    assert (result.written, result.created) == (True, 2)
    linked = empty_con.execute(
        "SELECT s.name, c.name FROM associations a JOIN subscriptions s ON s.id = a.from_id JOIN companies c "
        "ON c.id = a.to_id WHERE a.from_object = 'subscriptions' AND a.to_object = 'companies' ORDER BY s.name").fetchall()  # fmt: skip
    assert linked == [("Acme base", "Acme"), ("Globex base", "Globex")]
    assert "associated_company_i_ds" not in {
        p.name for p in records.list_properties(empty_con, "subscriptions")
    }
    assert "associated_company_ids" not in {
        p.name for p in records.list_properties(empty_con, "subscriptions")
    }
