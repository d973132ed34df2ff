"""Reading an import file (CSV or Parquet) as text, exactly as written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


class ImportFileError(ValueError):
    """The file cannot be read as a table; the message says why."""


def relation(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    """The file as a relation of text columns (read lazily by DuckDB), names as in the header."""
    con.execute("SET enable_progress_bar = false")  # a long read draws nothing on the terminal
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        # Every column as text, keeping its name: no column name is put into SQL.
        return con.read_parquet(str(path)).project("CAST(COLUMNS(*) AS VARCHAR)")
    if suffix in (".csv", ".txt", ".tsv"):
        return con.read_csv(str(path), all_varchar=True, header=True)
    raise ImportFileError(f"{path.name}: import a .csv or .parquet file.")


def read_table(path: str | Path, *, limit: int | None = None) -> pd.DataFrame:
    """Every cell as text (None where the file has nothing), columns as in the header; with
    ``limit``, only the first rows (the rest of the file is not read)."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"There is no file {path}.")
    con = duckdb.connect()
    try:
        rel = relation(con, path)
        frame = (rel.limit(limit) if limit is not None else rel).df()
    except duckdb.Error as exc:
        raise ImportFileError(f"{path.name} could not be read as a table: {exc}") from None
    finally:
        con.close()
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise ImportFileError(f"{path.name}: the column {dup!r} appears twice in the header.")
    if frame.empty:
        raise ImportFileError(f"{path.name} has a header but no rows.")
    return frame.astype(object).where(frame.notna(), None)


def count_rows(path: str | Path) -> int:
    """How many data rows the file has (DuckDB reads it through once, without keeping it)."""
    con = duckdb.connect()
    try:
        return relation(con, Path(path)).aggregate("count(*)").fetchone()[0]
    except duckdb.Error as exc:
        raise ImportFileError(f"{Path(path).name} could not be read as a table: {exc}") from None
    finally:
        con.close()
