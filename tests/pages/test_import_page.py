"""Settings → Import in AppTest: upload the Telco file, check it, import it, see it in Customers."""

from tests.conftest import ROOT, SETTINGS_MANAGER
from tests.pages.conftest import plain, scalar

TELCO = ROOT / "tests" / "data" / "telco-customer-churn.csv"


def _upload(app, user_id, content: bytes, name="telco.csv"):
    at = app(user_id)
    at.switch_page("app_pages/settings.py").run()
    at.file_uploader(key="import.file").set_value((name, content, "text/csv")).run()
    assert not at.exception
    return at


def test_the_telco_file_imports_through_the_page(app, demo_path):
    at = _upload(app, SETTINGS_MANAGER, TELCO.read_bytes())
    assert any("**telco.csv**: 7,043 rows, 21 columns." in plain(m.value) for m in at.markdown)
    mapping = next(d for d in at.dataframe if d.key and d.key.startswith("import.mapping")).value
    assert len(mapping) == 21
    rows = mapping.set_index("Column")
    assert rows.loc["customerID", "Becomes"] == "Record ID (id in the source system)"
    assert (rows.loc["TotalCharges", "Becomes"], rows.loc["TotalCharges", "Type"]) == (
        "New property",
        "number",
    )
    assert rows.loc["TotalCharges", "New property name"] == "total_charges"
    at.button(key="import.check").click().run()
    assert [s.value for s in at.success] == ["All 7,043 rows can be imported."]
    at.button(key="import.run").click().run()
    assert [plain(s.value) for s in at.success] == [
        "Imported 7,043 of 7,043 rows: 7,043 created, 0 updated."
    ]
    assert (
        scalar(demo_path, "SELECT count(*) FROM record_external_ids WHERE object = 'companies'")
        == 7043
    )
    assert scalar(demo_path, "SELECT type FROM properties WHERE object = 'companies' AND name = 'contract'") == (
        "enumeration")  # fmt: skip
    assert (
        scalar(demo_path, "SELECT count(*) FROM companies WHERE total_charges IS NULL AND id > 400")
        == 11
    )
    assert (
        scalar(demo_path, "SELECT count(*) FROM import_runs WHERE actor_id = ?", [SETTINGS_MANAGER])
        == 1
    )


def test_a_corrupted_file_is_refused_with_its_report(app, demo_path):
    good = _upload(app, SETTINGS_MANAGER, TELCO.read_bytes())
    good.button(key="import.run").click().run()
    lines = TELCO.read_text().splitlines()
    lines[5] = lines[5].replace(",Month-to-month,", ",Monthly-ish,")
    at = _upload(app, SETTINGS_MANAGER, ("\n".join(lines) + "\n").encode(), name="telco-edited.csv")
    before = scalar(demo_path, "SELECT count(*) FROM property_history")
    at.button(key="import.run").click().run()
    assert "Nothing was imported: 1 of 7,043 rows have problems (1 in all)." in plain(
        at.error[0].value
    )
    report = at.dataframe[-1].value  # the report, under the error
    assert report.to_dict("records") == [{"Row": 5, "Column": "Contract", "Value": "Monthly-ish",
                                          "Reason": "not one of: Month-to-month, One year, Two year"}]  # fmt: skip
    assert scalar(demo_path, "SELECT count(*) FROM property_history") == before
    assert any(b.key == "import.run_report.download" for b in at.get("download_button"))


def test_imported_records_are_filtered_on_their_new_properties_in_customers(app, demo_path):
    at = _upload(app, SETTINGS_MANAGER, TELCO.read_bytes())
    at.button(key="import.run").click().run()
    at.switch_page("app_pages/customers.py").run()
    at.session_state["customers.advanced"] = True  # the user opens "Advanced filters"
    at.run()
    (group,) = at.session_state["customers.draft"]  # "Owned by me": one condition
    at.button(key=f"customers.c{group[0]['_id']}.remove").click().run()
    at.button(key="customers.add_group").click().run()
    (group,) = at.session_state["customers.draft"]
    key = f"customers.c{group[0]['_id']}"
    at.selectbox(key=f"{key}.prop").set_value("contract").run()
    at.selectbox(key=f"{key}.value.contract.eq").set_value("Two year").run()
    line = next(m.value for m in at.markdown if m.value.startswith("**"))
    assert line == "**1,695** companies"
    at.multiselect(key="customers.columns").set_value(["name", "contract", "tenure"]).run()
    table = at.dataframe(key="customers.table").value
    assert set(table["Contract"]) == {"Two year"}
    assert list(table.columns) == ["id", "Company name", "Contract", "tenure"]


def test_an_upload_is_read_from_disk_in_part_and_removed_after_its_session(app, demo_path):
    import gc

    at = _upload(app, SETTINGS_MANAGER, TELCO.read_bytes())
    held = at.session_state["import.upload"]
    # The page keeps the first rows only (the preview shows ten); the file waits on disk.
    assert len(held.sample) == min(7_043, 10_000) and held.rows == 7_043
    assert [len(d.value) for d in at.dataframe if list(d.value.columns)[:1] == ["customerID"]] == [
        10
    ]
    assert held.path.exists() and held.path.read_bytes() == TELCO.read_bytes()
    path = held.path
    # Clearing the upload deletes the copy at once; so does the end of the session.
    at.file_uploader(key="import.file").clear().run()
    assert not path.exists()
    at = _upload(app, SETTINGS_MANAGER, TELCO.read_bytes())
    path = at.session_state["import.upload"].path
    assert path.exists()
    del at, held
    gc.collect()
    assert not path.exists()
