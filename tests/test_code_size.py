"""The tree stays easy to read: no module over 600 lines (migrations, demo data and tests
aside) and no function over 80 lines in the services and selectors, where the rules of the
product live."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "finance", "forecasting", "coaching")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(
        path for app in APPS for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "demo" not in path.parts and path.stem != "demo"
    )


def _is_service_or_selector(path: Path) -> bool:
    parts = set(path.relative_to(ROOT).with_suffix("").parts)
    return bool(parts & {"services", "selectors"})


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_in_services_or_selectors_is_over_80_lines():
    long = {}
    for path in filter(_is_service_or_selector, _modules()):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = length
    assert long == {}
