#!/usr/bin/env python3
"""Code-health check of brainmark's sources (AST-based; reads files, imports nothing).

Reports, for every ``*.py`` under the given folders (default: ``src/``):

- ``module-length``: a module over 400 lines;
- ``function-length``: a function or method over 80 lines (from its ``def`` line to its last line);
- ``docstring``: a public function, class or method without a one-line docstring (a docstring whose first line
  is the summary). Public: no leading underscore on its name or on an enclosing class; functions nested in
  functions, dunder methods (documented by their class) and ``@overload`` stubs are exempt.

    python scripts/check_code_health.py [FOLDER ...] [--json]

Exits 1 when anything is reported. ``tests/test_code_health.py`` runs it over ``src/``.
"""
from __future__ import annotations

import argparse
import ast
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
REPO_ROOT = Path(__file__).resolve().parents[1]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, order=True)
class Violation:
    """One finding: where (path relative to the repository, line), what kind, which name, and the detail."""

    path: str
    kind: str
    name: str
    line: int
    detail: str

    @property
    def key(self) -> tuple[str, str, str]:
        """(path, kind, name): what an allow-list names (line numbers move)."""
        return self.path, self.kind, self.name

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.name or '<module>'}: {self.detail}"


def _has_summary(node: ast.AST) -> bool:
    doc = ast.get_docstring(node)  # type: ignore[arg-type]
    return bool(doc and doc.strip().splitlines()[0].strip())


def _is_overload(node: FunctionNode) -> bool:
    names = {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in node.decorator_list}
    return "overload" in names


def _definitions(tree: ast.Module) -> Iterator[tuple[ast.AST, str, bool]]:
    """(node, qualified name, public) of every class, function and method, not descending into functions."""
    stack: list[tuple[ast.AST, str, bool]] = [(tree, "", True)]
    while stack:
        parent, prefix, public = stack.pop()
        for node in ast.iter_child_nodes(parent):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{node.name}"
                is_public = public and not node.name.startswith("_")
                yield node, name, is_public
                if isinstance(node, ast.ClassDef):
                    stack.append((node, f"{name}.", is_public))
            elif isinstance(node, (ast.If, ast.Try, ast.With)):  # definitions under `if TYPE_CHECKING:` etc.
                stack.append((node, prefix, public))


def check_file(path: Path, root: Path = REPO_ROOT) -> list[Violation]:
    """Every violation in one source file."""
    text = path.read_text(encoding="utf-8")
    rel = path.resolve().relative_to(root).as_posix() if path.resolve().is_relative_to(root) else path.as_posix()
    found: list[Violation] = []
    n_lines = len(text.splitlines())
    if n_lines > MAX_MODULE_LINES:
        found.append(Violation(rel, "module-length", "", 1, f"{n_lines} lines (limit {MAX_MODULE_LINES})"))
    for node, name, public in _definitions(ast.parse(text, filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(Violation(rel, "function-length", name, node.lineno,
                                       f"{length} lines (limit {MAX_FUNCTION_LINES})"))
            if node.name.startswith("__") and node.name.endswith("__") or _is_overload(node):
                continue
        if public and not _has_summary(node):
            what = "class" if isinstance(node, ast.ClassDef) else "function"
            found.append(Violation(rel, "docstring", name, node.lineno, f"public {what} without a one-line docstring"))
    return found


def check(folders: list[Path], root: Path = REPO_ROOT) -> list[Violation]:
    """Every violation under ``folders`` (sorted by path, kind, name)."""
    files = sorted({p for folder in folders for p in Path(folder).rglob("*.py") if "__pycache__" not in p.parts})
    return sorted(v for path in files for v in check_file(path, root))


def main(argv: list[str] | None = None) -> int:
    """Command line: print the violations (text or ``--json``); exit 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[REPO_ROOT / "src"])
    parser.add_argument("--json", action="store_true", help="one JSON list of violations")
    args = parser.parse_args(argv)
    violations = check(args.folders)
    if args.json:
        print(json.dumps([asdict(v) for v in violations], indent=1))
    else:
        for v in violations:
            print(v)
        print(f"{len(violations)} violation(s)", file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
