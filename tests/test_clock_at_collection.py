"""No test reads the clock while pytest collects it.

What a module's top level, a decorator (``parametrize``) or a default argument computes is
fixed at collection, minutes before the test runs. A suite that crosses Vietnam's midnight
then posts as "tomorrow" a day that is already today (CI failed so once). Such cases use
``tests.days`` instead, which reads the clock inside the test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

CLOCK_READS = {"local_today", "today", "now", "utcnow", "current_statistical_year", "this_year"}
TESTS = Path(__file__).parent


def _calls_at_import(node: ast.AST) -> Iterator[ast.Call]:
    """The calls evaluated when the module is imported: everything but function and lambda
    bodies, with decorators and default arguments included."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            for evaluated in (*child.decorator_list, *child.args.defaults,
                              *(d for d in child.args.kw_defaults if d is not None)):
                if isinstance(evaluated, ast.Call):
                    yield evaluated
                yield from _calls_at_import(evaluated)
        elif not isinstance(child, ast.Lambda):
            if isinstance(child, ast.Call):
                yield child
            yield from _calls_at_import(child)


def _clock_reads(path: Path) -> Iterator[str]:
    for call in _calls_at_import(ast.parse(path.read_text(encoding="utf-8"))):
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in CLOCK_READS:
            yield f"{path.relative_to(TESTS.parent)}:{call.lineno}: {ast.unparse(call)}"


def test_no_test_module_reads_the_clock_at_collection() -> None:
    found = [read for path in sorted(TESTS.rglob("*.py")) for read in _clock_reads(path)]
    assert found == [], "\n".join(found)
