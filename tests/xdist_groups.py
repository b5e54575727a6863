"""Which tests share a pytest-xdist worker under ``--dist loadgroup`` (``make test``).

Session- and module-scoped fixtures are set up once per worker that needs them, so the
tests sharing an expensive one go to one worker together:

- the browser tests (tests/browser/): one app server and one Chromium;
- the tests reading the shared demo country (``demo_country``, tests/conftest.py);
- the tests using a module-scoped fixture of their module (e.g. a world built once, a
  subprocess run once), grouped by module;
- and, as xdist documents, the tests marked ``@pytest.mark.xdist_group(name)``.

Every other test is scheduled on its own, so the load stays balanced. xdist 3.8 passes a
test's group from the worker to the scheduler by appending ``@group`` to its node id, which
pytest 9.2 no longer lets a plugin change (pytest-dev/pytest-xdist#1386: the groups are
silently ignored). Here each worker writes the groups it collected to a file instead, and
the scheduler, in the controller, reads them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

_GROUPS_DIR = pytest.StashKey[Path]()
_WORKER_KEY = "htx_xdist_groups_file"


def group_of(item: pytest.Item) -> str | None:
    """The group ``item`` runs in, or None when it can go to any worker."""
    names = sorted(
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    )
    if names:
        return "_".join(names)
    if item.get_closest_marker("browser") or item.nodeid.startswith("tests/browser/"):
        return "browser"
    fixturenames = getattr(item, "fixturenames", ())
    if "demo_country" in fixturenames:
        return "demo_country"
    info = getattr(item, "_fixtureinfo", None)
    for name in fixturenames:
        definitions = info.name2fixturedefs.get(name) if info is not None else None
        if definitions and definitions[-1].scope == "module":
            return item.nodeid.split("::", 1)[0]
    return None


def _loadgroup_controller(config: pytest.Config) -> bool:
    return (
        not hasattr(config, "workerinput")
        and bool(config.getoption("numprocesses", None))
        and config.getoption("dist", "no") == "loadgroup"
    )


def pytest_configure(config: pytest.Config) -> None:
    if _loadgroup_controller(config):
        config.stash[_GROUPS_DIR] = Path(tempfile.mkdtemp(prefix="htx-xdist-groups-"))


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_GROUPS_DIR, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Controller: tell each worker where to write its groups."""
    folder = node.config.stash.get(_GROUPS_DIR, None)
    if folder is not None:
        node.workerinput[_WORKER_KEY] = str(folder / f"{node.gateway.id}.json")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Worker: write the groups of the tests it collected (before it reports them)."""
    target = getattr(config, "workerinput", {}).get(_WORKER_KEY)
    if not target:
        return
    groups = {item.nodeid: group for item in items if (group := group_of(item))}
    partial = f"{target}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="utf-8") as out:
        json.dump(groups, out)
    os.replace(partial, target)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Controller: ``loadgroup`` scheduling on the groups the workers wrote."""
    folder = config.stash.get(_GROUPS_DIR, None)
    if folder is None:
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FileGroupScheduling(LoadGroupScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            # Called once every worker has collected, hence written its file.
            if self.groups is None:
                self.groups = {}
                for path in sorted(folder.glob("*.json")):
                    self.groups.update(json.loads(path.read_text(encoding="utf-8")))
            group = self.groups.get(nodeid)
            return f"group:{group}" if group else super()._split_scope(nodeid)

    return FileGroupScheduling(config, log)
