"""Run the plugin conformance suite over every installed herniarules plugin.

One test class per entry point in the ``herniarules`` group is built at collection time, so
a newly installed plugin is checked without editing this file. A plugin directory under
``plugins/`` or ``examples/`` that is not installed fails
:func:`test_every_plugin_in_the_repository_is_installed`, so CI cannot skip one silently.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

from herniarules.engine import ENTRY_POINT_GROUP
from herniarules.testing import PluginConformance

ROOT = Path(__file__).resolve().parent.parent


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _repository_plugins() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pyproject in sorted(
        [*ROOT.glob("plugins/*/pyproject.toml"), *ROOT.glob("examples/*/pyproject.toml")]
    ):
        data = tomllib.loads(pyproject.read_text())
        group = data.get("project", {}).get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
        for name in group:
            found[name] = pyproject.parent
    return found


def _safe(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _class_name(name: str) -> str:
    return "TestConformance_" + _safe(name)


for _ep in _entry_points():
    try:
        _plugin = _ep.load()
    except Exception as _exc:  # an unimportable plugin is a failure, reported as a test
        _message = f"entry point {_ep.name} = {_ep.value} cannot be imported: {_exc!r}"

        def _broken(_message: str = _message) -> None:
            pytest.fail(_message)

        globals()["test_import_" + _safe(_ep.name)] = _broken
        continue
    globals()[_class_name(_ep.name)] = type(
        _class_name(_ep.name), (PluginConformance,), {"plugin": _plugin, "__module__": __name__}
    )


def test_every_plugin_in_the_repository_is_installed() -> None:
    installed = {ep.name for ep in _entry_points()}
    missing = {
        name: str(path.relative_to(ROOT))
        for name, path in _repository_plugins().items()
        if name not in installed
    }
    assert not missing, f"install these plugins so the conformance suite checks them: {missing}"


def test_the_example_plugin_is_checked() -> None:
    assert _class_name("kinesio") in globals(), "examples/kinesio is not installed"
    assert issubclass(globals()[_class_name("kinesio")], PluginConformance)
