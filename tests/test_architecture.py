"""The layering rules of design.md, checked on the source."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET)\b")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _py(folder: str) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files in {folder}"
    return files


def test_cs_core_has_no_ui_imports():
    offenders = [p.relative_to(ROOT) for p in _py("cs_core") if "streamlit" in _imports(p)]
    assert offenders == []


def _streamlit_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {
        n.module
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and n.level == 0
    }
    return {m for m in names if m.split(".")[0] == "streamlit"}


def test_only_the_entry_pages_and_ui_import_streamlit():
    """cs_core never; bench only Streamlit's test harness (it times pages in AppTest) and its
    wire protocol's messages (bench/load.py is a client of the running server)."""
    assert [p.relative_to(ROOT) for p in _py("cs_core") if "streamlit" in _imports(p)] == []
    harness = [(p.relative_to(ROOT), m) for p in _py("bench") for m in _streamlit_modules(p)
               if not m.startswith(("streamlit.testing", "streamlit.proto."))]  # fmt: skip
    assert harness == []


def test_pages_hold_no_sql_and_do_not_import_duckdb():
    for page in [*_py("app_pages"), ROOT / "streamlit_app.py"]:
        assert "duckdb" not in _imports(page), page.name
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            assert not SQL.search(line), f"{page.name}:{number} holds SQL: {line.strip()}"


def test_ui_reaches_the_database_only_through_cs_core():
    for module in _py("ui"):
        for number, line in enumerate(module.read_text().splitlines(), start=1):
            assert not SQL.search(line), f"{module.name}:{number} holds SQL: {line.strip()}"


def test_no_pages_folder_beside_the_entry_script():
    """A folder named pages/ would make Streamlit route to every file in it, bypassing
    the entry script's sign-in and permission-filtered navigation."""
    assert not (ROOT / "pages").exists()


def test_core_modules_stay_small():
    long = {
        p.relative_to(ROOT): n
        for p in _py("cs_core")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}
