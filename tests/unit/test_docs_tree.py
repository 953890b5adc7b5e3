"""docs/architecture.md's tree of core/ lists exactly the modules there are."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"


def _documented() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"### Inside `core/`.*?```text\n(.*?)```", text, re.S)
    assert block is not None, "the tree of core/ is missing from docs/architecture.md"
    paths: set[str] = set()
    stack: list[str] = []
    for line in block[1].splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        name = line.split()[0]
        stack[depth:] = [name]
        paths.add("".join(stack))
    return paths


def _in_tree() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "core").rglob("*"):
        rel = path.relative_to(ROOT).as_posix()
        if "__pycache__" in rel or path.name == "__init__.py":
            continue
        if "/migrations/" in rel:  # the migrations folder is one line
            continue
        found.add(rel + "/" if path.is_dir() else rel)
    found.update({"core/", "core/db/migrations/"})
    return found


def test_the_documented_tree_of_core_is_the_real_one() -> None:
    documented, real = _documented(), _in_tree()
    assert documented - real == set(), "documented but not in core/"
    assert real - documented == set(), "in core/ but not documented"
