"""Which public callables of cs_core write to the workspace, read from their source.

A callable writes when its body runs a statement that changes the database (INSERT, UPDATE,
DELETE, DDL, CHECKPOINT: in a string literal, an f-string, a module constant or a local
variable passed to ``execute``), runs SQL handed to it as a parameter, or refers to another
cs_core callable that writes (``db.write``, ``db.transaction``, a helper, a class whose
constructor writes, a method through ``self``), found by following names through the
module's globals and the function's own imports.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import re
import textwrap
import types

import click

import cs_core

WRITE_SQL = re.compile(
    r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+(AS\s+\w+\s+)?SET|DELETE\s+FROM|"
    r"CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?(TABLE|VIEW|INDEX|SEQUENCE|MACRO|SCHEMA)|"
    r"DROP\s+(TABLE|VIEW|INDEX|SEQUENCE)|ALTER\s+TABLE|TRUNCATE|COPY\s|CHECKPOINT)"
)
EXECUTES = ("execute", "executemany")


def public_callables() -> dict[str, object]:
    """Every public function, click command and public method of every cs_core module, by
    qualified name; a class whose constructor is written out is listed by its own name."""
    found: dict[str, object] = {}
    for info in pkgutil.walk_packages(cs_core.__path__, "cs_core."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            qual = f"{module.__name__}.{name}"
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                if isinstance(obj, click.Command) and not name.startswith("_"):
                    if obj.callback.__module__ == module.__name__:
                        found[qual] = obj.callback
                continue
            if inspect.isfunction(obj):
                found[qual] = obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    member = getattr(member, "__func__", member)  # static and class methods
                    if not inspect.isfunction(member) or not _has_source(member):
                        continue
                    if attr == "__init__":
                        found[qual] = member
                    elif not attr.startswith("_"):
                        found[f"{qual}.{attr}"] = member
    return found


def write_reasons(callables: dict[str, object]) -> dict[str, str]:
    """Of ``callables``, those that write: name -> why (its own SQL, or the write it calls)."""
    memo: dict[object, str | None] = {}

    def reason(fn, stack: tuple = ()) -> str | None:
        if fn in memo:
            return memo[fn]
        if fn in stack:
            return None
        why, callees = _facts(fn)
        if why is None:
            for callee in callees:
                if reason(callee, (*stack, fn)) is not None:
                    why = f"calls {callee.__module__}.{callee.__qualname__}"
                    break
        if why is not None or not stack:  # an answer cut short by a cycle is not kept
            memo[fn] = why
        return why

    return {name: why for name, fn in callables.items() if (why := reason(inspect.unwrap(fn)))}


def _has_source(fn) -> bool:
    """Written in a file (not generated, as @dataclass generates ``__init__``)."""
    return not inspect.unwrap(fn).__code__.co_filename.startswith("<")


@functools.cache
def _facts(fn) -> tuple[str | None, tuple]:
    """(why ``fn`` writes by itself, or None; the cs_core functions it refers to)."""
    node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    names, owner = _namespace(fn, node), _owner_class(fn)
    assigned: dict[str, list[ast.AST]] = {}
    for sub in ast.walk(node):
        targets = sub.targets if isinstance(sub, ast.Assign) else []
        if isinstance(sub, ast.AugAssign | ast.AnnAssign) and sub.value is not None:
            targets = [sub.target]
        for target in targets:
            if isinstance(target, ast.Name):
                assigned.setdefault(target.id, []).append(sub.value)
    args = node.args
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    why, callees = None, []
    for sub in _body_nodes(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.args:
            if sub.func.attr in EXECUTES:
                sql = sub.args[0]
                found = WRITE_SQL.search(_text(sql, assigned, names))
                if found:
                    why = why or f"runs {found[0].split()[0]} SQL"
                elif isinstance(sql, ast.Name) and sql.id in params and sql.id not in assigned:
                    why = why or "runs the SQL it is given"
        if isinstance(sub, ast.Name | ast.Attribute) and isinstance(sub.ctx, ast.Load):
            target = _as_function(_resolve(sub, names, owner))
            if target is not None and target is not fn:
                callees.append(target)
    return why, tuple(callees)


def _body_nodes(node: ast.AST):
    """The nodes of a function's body, leaving out annotations (naming a type calls nothing)."""
    todo = list(node.body)
    while todo:
        sub = todo.pop()
        yield sub
        for field, value in ast.iter_fields(sub):
            if field in ("annotation", "returns", "decorator_list"):
                continue
            todo += [
                c for c in (value if isinstance(value, list) else [value]) if isinstance(c, ast.AST)
            ]


def _text(node: ast.AST, assigned: dict, names: dict, seen: frozenset = frozenset()) -> str:
    """The fixed text an SQL expression is made of (``x`` where a value is filled in)."""
    parts = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            parts.append(sub.value)
        elif isinstance(sub, ast.FormattedValue):
            parts.append(" x ")
        elif isinstance(sub, ast.Name) and sub.id not in seen:
            if sub.id in assigned:
                parts += [_text(v, assigned, names, seen | {sub.id}) for v in assigned[sub.id]]
            elif isinstance(names.get(sub.id), str):  # a module constant
                parts.append(names[sub.id])
    return " ".join(parts)


def _namespace(fn, node: ast.AST) -> dict[str, object]:
    """The names a function's body can refer to: its module's, its closure's, its own imports."""
    names = dict(fn.__globals__)
    if fn.__closure__:
        names.update(
            zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__), strict=True)
        )
    for sub in ast.walk(node):
        if isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
            module = importlib.import_module(sub.module)
            for alias in sub.names:
                found = getattr(module, alias.name, None)
                if found is None:
                    found = importlib.import_module(f"{sub.module}.{alias.name}")
                names[alias.asname or alias.name] = found
        elif isinstance(sub, ast.Import):
            for alias in sub.names:
                top = alias.name if alias.asname else alias.name.split(".")[0]
                names[alias.asname or top] = importlib.import_module(top)
    return names


def _owner_class(fn) -> type | None:
    parts = fn.__qualname__.split(".")
    found = fn.__globals__.get(parts[0]) if len(parts) == 2 else None
    return found if inspect.isclass(found) else None


def _resolve(expr: ast.AST, names: dict, owner: type | None):
    """What a name or a dotted name refers to (None: not known from the source)."""
    if isinstance(expr, ast.Name):
        return names.get(expr.id)
    if not isinstance(expr, ast.Attribute):
        return None
    if isinstance(expr.value, ast.Name) and expr.value.id == "self" and owner is not None:
        return owner.__dict__.get(expr.attr)
    base = _resolve(expr.value, names, owner)
    if inspect.isclass(base):
        return base.__dict__.get(expr.attr) or getattr(base, expr.attr, None)
    if isinstance(base, types.ModuleType):
        found = getattr(base, expr.attr, None)
        if found is None and base.__name__.startswith("cs_core"):
            try:
                found = importlib.import_module(f"{base.__name__}.{expr.attr}")
            except ImportError:
                found = None
        return found
    return None


def _as_function(obj):
    """The cs_core function that runs when ``obj`` is called (None: not one of ours)."""
    obj = getattr(obj, "__func__", obj)  # static and class methods
    if isinstance(obj, click.Command):
        obj = obj.callback
    if inspect.isclass(obj) and obj.__module__.startswith("cs_core"):
        obj = obj.__dict__.get("__init__")
    if inspect.isfunction(obj) and obj.__module__.startswith("cs_core") and _has_source(obj):
        return inspect.unwrap(obj)
    return None
