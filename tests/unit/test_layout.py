"""The layout is a rule, not a habit: old module paths stay gone, core stands alone, and every
SQL query lives in a repository module."""

from __future__ import annotations

import ast
import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# (module, name) pairs as they were imported before core/ was grouped by feature: no shim may
# bring them back.
OLD_IMPORTS = [
    ("core.services", "ReceiptService"),
    ("core.corrections", "parse_correction"),
    ("core.signing", "sign"),
    ("core.files", "sniff"),
    ("core.categories", "list_categories"),
    ("core.budgets", "set_budget"),
    ("core.summaries", "summarize"),
    ("core.questions", "answer"),
    ("core.questions_bedrock", "BedrockQuestionReader"),
    ("core.admin", "AdminService"),
    ("core.tokens", "verify"),
    ("core.stats", "system_stats"),
    ("core.documents", "probe"),
    ("core.ocr.base", "OcrEngine"),
    ("core.extraction.rules", "RulesExtractor"),
    ("core.reading.extraction.rules", "RulesExtractor"),  # a package now: rules.extractor
    ("core.reading.extraction.rules", "parse_money"),  # rules.values.parse_amount
    ("core.validation", "validate"),
    ("core.engines", "build_ocr"),
    ("core.costs", "receipt_cost"),
    ("core.currencies", "is_iso_currency"),
    ("core.aws", "S3Store"),
    ("core.aws_errors", "error_code"),
    ("core.db.repositories", "ReceiptRepository"),
    ("core.db.admin_queries", "AdminUserQueries"),
]


@pytest.mark.parametrize(("module", "name"), OLD_IMPORTS, ids=[m for m, _ in OLD_IMPORTS])
def test_old_import_path_is_gone(module: str, name: str) -> None:
    try:
        found = importlib.import_module(module)
    except ImportError:
        return
    assert not hasattr(found, name), f"{module}.{name} is importable again: no shims"


def _python_files(*parts: str) -> list[pathlib.Path]:
    return sorted(p for part in parts for p in (ROOT / part).rglob("*.py"))


def _imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)  # and, for `from package import module`, the module
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_core_imports_none_of_the_other_parts() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] in {"api", "bot", "processor"}
        )
        for path in _python_files("core")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


_QUERY = re.compile(
    r"(?<![.\w])(?:select|insert|update|delete)\((?=[A-Z_a-z])"  # SQLAlchemy statements
    r"|\bsession\.(?:execute|scalars?|get|query|delete|merge)\("
)


def test_every_query_lives_in_a_repository_module() -> None:
    """Repositories hold every query (core/<feature>/repository.py); core/db holds the engine,
    the models and the migrations."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _python_files("core", "api", "bot", "processor", "receiptsnap", "devstack")
        if path.name != "repository.py" and "core/db" not in path.as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _QUERY.search(line) and not line.lstrip().startswith(("#", "@", "def "))
    ]
    assert offenders == []


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_core_modules_import_each_other_without_cycles() -> None:
    """Imports inside functions count too: a cycle hidden in a function is still a cycle."""
    modules = {_module_name(p): p for p in _python_files("core")}
    graph = {
        name: {m for m in _imported_modules(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(graph[name]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []
