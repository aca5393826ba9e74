"""Share of public functions and methods that carry complete type hints (issue 16).

A function is public when neither it nor an enclosing class name starts with "_" (dunder methods
count as public). Complete means every parameter except self/cls and the return are annotated
(``__init__`` needs no return annotation). Migrations and tests are not counted.
Run: .venv/bin/python scripts/annotation_share.py [--list]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

APPS = [
    "accounts",
    "acmeserver",
    "api",
    "billing",
    "catalog",
    "contracts",
    "monitoring",
    "orders",
    "portal",
    "jobs",
    "outbox",
]
APPS += ["bench", "scripts"]


def _public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _complete(fn: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> bool:
    args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
    if in_class and args and args[0].arg in ("self", "cls", "mcs"):
        args = args[1:]
    extras = [a for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
    if any(a.annotation is None for a in args + extras):
        return False
    return fn.returns is not None or fn.name == "__init__"


def walk(
    tree: ast.AST, path: str, in_class: bool, public: bool, out: list[tuple[str, int, str, bool]]
) -> None:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.ClassDef):
            walk(node, path, True, public and _public(node.name), out)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and public and _public(node.name):
            # nested functions are implementation details: not counted
            out.append((path, node.lineno, node.name, _complete(node, in_class)))


def main() -> None:
    rows: list[tuple[str, int, str, bool]] = []
    for app in APPS:
        for file in sorted(Path(app).rglob("*.py")):
            if "migrations" in file.parts:
                continue
            walk(ast.parse(file.read_text()), str(file), False, True, rows)
    done = sum(1 for r in rows if r[3])
    if "--list" in sys.argv:
        for path, line, name, ok in rows:
            if not ok:
                print(f"{path}:{line}: {name}")
    print(
        f"{done}/{len(rows)} public functions and methods annotated ({100 * done / max(len(rows), 1):.1f} %)"
    )


if __name__ == "__main__":
    main()
