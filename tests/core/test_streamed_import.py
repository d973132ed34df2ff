"""A file larger than one chunk is imported chunk by chunk through a staging table: the same
records as in one piece, all or nothing, row numbers across chunks, a size limit (DAT-2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cs_core import db, imports
from cs_core.imports import streaming
from tests.conftest import NOW

ROWS = 3_500


def _file(tmp_path, rows: int = ROWS, **changes) -> str:
    frame = pd.DataFrame({
        "Record ID": [f"C-{i}" for i in range(rows)],
        "Company name": [f"Company {i}" for i in range(rows)],
        "Number of employees": [str(10 + i % 500) for i in range(rows)],
        "Plan": ["Enterprise" if i % 3 else "Starter" for i in range(rows)],
        "Renewal": [f"2027-0{1 + i % 9}-15" for i in range(rows)],
    })  # fmt: skip
    for (row, column), value in changes.get("cells", {}).items():
        frame.loc[row, column] = value
    path = tmp_path / "accounts.csv"
    frame.to_csv(path, index=False)
    return str(path)


def _import(con, path, **kwargs):
    return imports.import_file(con, path, object_name="companies", actor=None, now=NOW, **kwargs)


def _table(con) -> list[tuple]:
    return con.execute(
        "SELECT x.external_id, c.name, c.employees, c.plan, c.renewal FROM companies c JOIN record_external_ids x "
        "ON x.object = 'companies' AND x.record_id = c.id ORDER BY c.id"
    ).fetchall()  # fmt: skip


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 1_000)


def test_a_chunked_import_writes_what_an_import_in_one_piece_writes(
    tmp_path, small_chunks, monkeypatch
):
    path = _file(tmp_path)
    chunked = db.open_workspace(":memory:")
    result = _import(chunked, path)
    assert (result.rows, result.created, result.updated, result.written) == (ROWS, ROWS, 0, True)
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 10_000)  # now the whole file is one chunk
    whole = db.open_workspace(":memory:")
    _import(whole, path)
    assert _table(chunked) == _table(whole) and len(_table(chunked)) == ROWS
    # Ids are the records' own, contiguous, in file order; no staging table is left.
    assert chunked.execute("SELECT min(id), max(id) FROM companies").fetchone() == (1, ROWS)
    assert not chunked.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, 'import_staging_')"
    ).fetchone()[0]
    # Importing it again updates in chunks: one history row per changed value.
    changed = _file(tmp_path, cells={(2_500, "Number of employees"): "9999"})
    again = _import(chunked, changed)
    assert (again.created, again.updated) == (0, 1)
    assert chunked.execute("SELECT old_value, new_value FROM property_history WHERE property = 'employees'"
                           ).fetchall() == [("10", "9999")]  # fmt: skip


def test_a_bad_row_in_the_last_chunk_imports_nothing(tmp_path, small_chunks):
    path = _file(
        tmp_path, cells={(3_200, "Number of employees"): "lots", (1_500, "Record ID"): "C-10"}
    )
    con = db.open_workspace(":memory:")
    result = _import(con, path)
    assert not result.written and result.rows == ROWS
    assert con.execute("SELECT count(*) FROM companies").fetchone()[0] == 0
    assert [(r.Row, r.Column, r.Reason) for r in result.report.itertuples()] == [
        (1_501, "Record ID", "this id appears earlier in the file"),  # found in an earlier chunk
        (3_201, "Number of employees", "not a number"),
    ]
    assert not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, 'import_staging_')"
    ).fetchone()[0]
    # With skip_invalid, every other row is imported.
    skipped = _import(con, path, skip_invalid=True)
    assert (skipped.written, skipped.created, skipped.rejected_rows) == (True, ROWS - 2, 2)


def test_each_chunk_is_a_short_transaction_of_its_own(tmp_path, small_chunks, monkeypatch):
    """Other users' writes get their turn between chunks: the import is many transactions,
    one per chunk staged and one at the end, not one that holds the lock throughout."""
    opened = []
    real = db.transaction

    def counting(con):
        opened.append(1)
        return real(con)

    monkeypatch.setattr(db, "transaction", counting)
    con = db.open_workspace(":memory:")
    _import(con, _file(tmp_path))
    assert len(opened) >= 4 + 1  # four chunks staged, then the records written


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = _file(tmp_path)
    monkeypatch.setenv(streaming.MAX_MB_VARIABLE, "0.01")
    con = db.open_workspace(":memory:")
    with pytest.raises(imports.ImportFileError) as err:
        _import(con, path)
    size = f"{Path(path).stat().st_size / 1e6:.2f}"
    assert str(err.value) == (f"accounts.csv is {size} MB; an import takes files up to 0.01 MB. Split the "
                              "file, or raise the limit (CS_MAX_IMPORT_MB).")  # fmt: skip
    assert con.execute("SELECT count(*) FROM companies").fetchone()[0] == 0


def test_an_import_starting_drops_leftover_staging_tables_but_not_one_under_way(demo_con):
    """A staging table left by a killed import is dropped when the next import starts; one of
    an import running in another session at that moment is kept (it would fail half-way)."""
    leftover = f"{streaming.STAGING_PREFIX}999999"
    demo_con.execute(f'CREATE TABLE "{leftover}" (_row BIGINT)')
    running = streaming.Staging(demo_con, "companies", [], [], "name")
    try:
        streaming.drop_leftovers(demo_con)  # the second import's start
        tables = {r[0] for r in demo_con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, ?)",
            [streaming.STAGING_PREFIX]).fetchall()}  # fmt: skip
        assert tables == {running.table}
    finally:
        running.drop()
    streaming.drop_leftovers(demo_con)
    assert not demo_con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, ?)",
        [streaming.STAGING_PREFIX],
    ).fetchone()[0]
