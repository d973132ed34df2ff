"""Reading an import file (CSV or Parquet) as text, exactly as written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


class ImportFileError(ValueError):
    """The file cannot be read as a table; the message says why."""


def read_table(path: str | Path) -> pd.DataFrame:
    """Every cell as text (None where the file has nothing), columns as in the header."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"There is no file {path}.")
    suffix = path.suffix.lower()
    con = duckdb.connect()
    try:
        if suffix == ".parquet":
            # Every column as text, keeping its name: no column name is put into SQL.
            frame = con.read_parquet(str(path)).project("CAST(COLUMNS(*) AS VARCHAR)").df()
        elif suffix in (".csv", ".txt", ".tsv"):
            frame = con.read_csv(str(path), all_varchar=True, header=True).df()
        else:
            raise ImportFileError(f"{path.name}: import a .csv or .parquet file.")
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
