"""The documentation cannot drift from the code.

The rule catalogue is generated from the installed plugins, every hook of the plugin contract
has a reference entry, and every code example in the docs runs.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import attrs
import pytest

import herniarules
from herniarules import (
    F,
    Outcome,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Rule,
    Technique,
    hookimpl,
    hookspecs,
)

pytest.importorskip("sphinx", reason="needs the docs extra: pip install herniarules[docs]")
pytest.importorskip("myst_parser", reason="needs the docs extra: pip install herniarules[docs]")
pytest.importorskip("furo", reason="needs the docs extra: pip install herniarules[docs]")

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _extension() -> ModuleType:
    """Import the docs extension from ``docs/_ext`` without putting it on ``sys.path``."""
    name = "herniarules_docs"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DOCS / "_ext" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@attrs.frozen
class _TapeParameters:
    wear_days: int = 3
    """Days a tape stays on the skin."""


def _tape_protocol(facts: ProtocolFacts, parameters: _TapeParameters) -> Protocol:
    return Protocol(
        technique="docstape",
        steps=(ProtocolStep("apply", "One strip."),),
        session_minutes=(10.0, 15.0),
        course_sessions=(3, 5),
        pressure="none",
        notes=(f"Leave the tape on for {parameters.wear_days} days.",),
    )


class _TapePlugin:
    """A plugin registered only in this test, with one technique and one new rule."""

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [
            Technique(
                id="docstape",
                name="Docs test taping",
                description="A technique that exists only in this test.",
                source="test fixture",
                indications=("pain-relief",),
                parameters=_TapeParameters(),
                protocol=_tape_protocol,
            )
        ]

    @hookimpl
    def herniarules_rules(self) -> list[Rule]:
        return [
            Rule(
                id="docstape.large-hernia",
                title="Large hernia under the tape",
                when=F.max_hernia_size_mm >= 9,
                outcome=Outcome.CONTRAINDICATED,
                message="No tape over a hernia of 9 mm or more.",
                source="a passage quoted only by this test",
                techniques={"docstape"},
            )
        ]


def test_a_newly_registered_rule_appears_in_the_catalogue() -> None:
    ext = _extension()
    without = herniarules.Engine(entry_points=False)
    with_plugin = herniarules.Engine(plugins=[_TapePlugin()], entry_points=False)

    before = ext.catalogue_rst(without, "techniques")
    after = ext.catalogue_rst(with_plugin, "techniques")
    overview = ext.catalogue_rst(with_plugin, "overview")

    assert "docstape.large-hernia" not in before
    assert "``docstape.large-hernia``" in after
    assert "``largest hernia (mm) ≥ 9``" in after  # the rendered predicate
    assert ":outcome:`contraindicated`" in after
    assert ext.esc("No tape over a hernia of 9 mm or more.") in after
    assert ext.esc("a passage quoted only by this test") in after
    # parameters with their defaults and the attribute docstring
    assert "``wear_days``" in after and "``3``" in after
    assert ext.esc("Days a tape stays on the skin.") in after
    assert "technique-docstape" in overview


def test_the_catalogue_lists_every_installed_rule_once() -> None:
    ext = _extension()
    engine = herniarules.Engine()
    core = ext.catalogue_rst(engine, "core")
    techniques = ext.catalogue_rst(engine, "techniques")
    for rule in engine.rules:
        page = core if rule.is_core else techniques
        assert page.count(f".. _{ext.label_for(rule.id)}:") == 1, rule.id
        assert ext.lit(rule.when.render()) in page, rule.id
    assert "core." not in re.sub(r":ref:`core rules <core>`", "", techniques.split("\n", 1)[0])


def test_value_sets_appear_with_their_icd10_ranges() -> None:
    ext = _extension()
    engine = herniarules.Engine(entry_points=False)
    page = ext.catalogue_rst(engine, "value-sets")
    for value_set in engine.terminology.value_sets:
        assert f"``{value_set.id}``" in page
        for code_range in value_set.codes:
            assert f"``{code_range.render()}``" in page


def test_every_hook_in_hookspecs_has_an_entry_on_the_hook_page() -> None:
    ext = _extension()
    specified = sorted(
        name
        for name in dir(hookspecs)
        if name.startswith("herniarules_") and hasattr(getattr(hookspecs, name), "herniarules_spec")
    )
    assert specified, "hookspecs.py declares no hook"
    assert ext.hook_names() == specified
    page = (DOCS / "hooks.rst").read_text(encoding="utf-8")
    documented = re.findall(r"^\.\. herniarules-hook:: (\S+)$", page, flags=re.MULTILINE)
    assert sorted(documented) == specified
    for name in specified:
        entry = ext.hook_rst(name)
        assert f".. autofunction:: herniarules.hookspecs.{name}" in entry


_INCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[a-z-]+:.*\n)*)", re.MULTILINE)


def test_the_plugin_guide_shows_plugin_code_only_from_real_files() -> None:
    """The guide's plugin is ``examples/kinesio``: its code is included, never pasted."""
    guide = (DOCS / "plugin-guide.md").read_text(encoding="utf-8")
    assert re.findall(r"^```(?:python|py|toml)\b", guide, flags=re.MULTILINE) == []
    includes = _INCLUDE.findall(guide)
    paths = {path for path, _ in includes}
    assert "../examples/kinesio/src/herniarules_kinesio/__init__.py" in paths
    assert "../examples/kinesio/tests/test_kinesio_plugin.py" in paths
    assert "../examples/kinesio/pyproject.toml" in paths
    for path, options in includes:
        target = (DOCS / path).resolve()
        assert target.is_file(), path
        source = target.read_text(encoding="utf-8")
        for name in re.findall(r"^:pyobject: (\S+)$", options, flags=re.MULTILINE):
            assert re.search(rf"^(?:class|def) {name}\b", source, flags=re.MULTILINE), (path, name)
        for option in ("start-at", "start-after", "end-at", "end-before"):
            for value in re.findall(rf"^:{option}: (.+)$", options, flags=re.MULTILINE):
                text = value.strip()
                if text[:1] == text[-1:] == '"':
                    text = text[1:-1].replace('\\"', '"')
                assert text in source, (path, option, text)


def test_removed_hooks_are_named_only_where_their_removal_is_documented() -> None:
    removed = ("herniarules_protocol", "herniarules_plan_course", "memoize_protocol")
    allowed = {"changelog.md", "hooks.rst"}
    for page in sorted(DOCS.rglob("*")):
        if page.suffix not in {".md", ".rst"} or "_build" in page.parts or page.name in allowed:
            continue
        text = page.read_text(encoding="utf-8")
        for name in removed:
            assert name not in text, (page.name, name)
    hooks = (DOCS / "hooks.rst").read_text(encoding="utf-8")
    removal = hooks.split("Removed in 0.2\n--------------\n", 1)
    assert len(removal) == 2, "hooks.rst has no 'Removed in 0.2' section"
    for name in removed:
        assert name not in removal[0], name
        assert name in removal[1], name


@pytest.fixture(scope="module")
def doctest_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """Run the doctest builder once; return its status and output directory.

    Its doctrees hold the rendered hook entries too, so one build serves both tests.
    """
    from sphinx.cmd.build import build_main

    out = tmp_path_factory.mktemp("doctest")
    status = build_main(["-q", "-b", "doctest", "-d", str(out / "doctrees"), str(DOCS), str(out)])
    return status, out


def test_the_hook_page_shows_every_hook_with_its_parameters(
    doctest_build: tuple[int, Path],
) -> None:
    import pickle

    from sphinx import addnodes

    _, out = doctest_build
    doctree = pickle.loads((out / "doctrees" / "hooks.doctree").read_bytes())
    signatures = {
        node_id: {p.astext().split(":")[0].strip() for p in sig.findall(addnodes.desc_parameter)}
        for sig in doctree.findall(addnodes.desc_signature)
        for node_id in sig["ids"]
    }
    for name in _extension().hook_names():
        spec = getattr(hookspecs, name)
        parameters = set(spec.__code__.co_varnames[: spec.__code__.co_argcount])
        assert signatures.get(f"herniarules.hookspecs.{name}") == parameters, name


def test_every_code_example_in_the_docs_runs(doctest_build: tuple[int, Path]) -> None:
    status, out = doctest_build
    report = (out / "output.txt").read_text(encoding="utf-8")
    assert status == 0, report
    totals = re.search(r"(\d+) tests\s+(\d+) failures in tests", report)
    assert totals is not None, report
    assert int(totals.group(1)) >= 50 and int(totals.group(2)) == 0, report
