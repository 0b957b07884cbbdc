"""Sphinx extension generating the herniarules reference pages from the installed code.

Directives:

``.. herniarules-catalogue:: overview|core|techniques|value-sets``
    The rule catalogue, built from an :class:`herniarules.Engine` with every installed plugin,
    so the catalogue a clinician reviews is the rule set the code enforces.
``.. herniarules-sources::``
    Every rule id with the passage of the clinical source it implements, the reasoning behind
    each policy default and, when ``traceability/source-map.json`` exists, the passage map.
``.. herniarules-hook:: <hook name>``
    The reference entry of one hook, from its docstring in ``herniarules/hookspecs.py``. The
    build warns (an error under ``-W``) when a hook has no entry, so the hook page cannot fall
    behind the plugin contract.
``.. herniarules-value-sets::``
    Every core value-set definition line by line (range, systems, include or exclude, tier,
    site, reason) with the number of codes of each system it covers per tier, counted in the
    code tables the package ships, so the page shows what a lookup answers without needing
    the ICD-10 libraries.

Role ``:outcome:`defer``` renders an outcome as a coloured badge.

The generating functions (:func:`catalogue_rst`, :func:`sources_rst`, :func:`hook_rst`,
:func:`value_set_definitions_rst`) return reStructuredText and take the engine (or the value
sets and code tables) as an argument, so tests can call them with their own.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import json
import re
import textwrap
import typing
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

import herniarules
from herniarules import hookspecs
from herniarules.outcomes import Outcome
from herniarules.rules import Rule
from herniarules.safety import Policy
from herniarules.technique import Technique
from herniarules.terminology import (
    CORE_VALUE_SETS,
    CodeRange,
    CodeSystem,
    CodeTable,
    ValueSet,
    code_table,
)
from herniarules.terminology.table import table_file_name

logger = logging.getLogger(__name__)

PARTS = ("overview", "core", "techniques", "value-sets")
ROOT = Path(__file__).resolve().parents[2]
SOURCE_MAP = ROOT / "traceability" / "source-map.json"

# --------------------------------------------------------------------------- text helpers

_SPECIAL = re.compile(r"([\\`*_|\[\]<>:#+=~^.-])")


def esc(text: str) -> str:
    """Return ``text`` as literal reStructuredText, on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def lit(text: str) -> str:
    """Return ``text`` as an inline literal."""
    flat = " ".join(str(text).split())
    return f"``{flat}``" if "`" not in flat else esc(flat)


def label_for(rule_id: str) -> str:
    """Return the cross-reference label of a rule: ``rule-core-acute-phase``."""
    return "rule-" + re.sub(r"[^a-z0-9]+", "-", rule_id.lower()).strip("-")


def rule_ref(rule_id: str) -> str:
    """Return a reference to a rule's catalogue entry, shown as its id."""
    return f":ref:`{rule_id} <{label_for(rule_id)}>`"


def quote(text: str) -> str:
    """Return ``text`` escaped and in quotation marks, unless it is quoted already."""
    flat = " ".join(str(text).split())
    return esc(flat) if flat[:1] in "\"“«'" else f"“{esc(flat)}”"


def _indent(text: str, by: int = 3) -> str:
    return textwrap.indent(text, " " * by)


def attribute_docs(cls: type) -> dict[str, str]:
    """Return the docstrings written under the attributes of ``cls`` (PEP 257 style)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _type_name(tp: Any) -> str:
    if isinstance(tp, str):
        return tp
    if isinstance(tp, type) and typing.get_origin(tp) is None:
        return tp.__name__
    return str(tp).replace("typing.", "")


def _field_default(field: attrs.Attribute[Any]) -> object:
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return "(computed)" if default.takes_self else default.factory()
    return default


def _show(value: object) -> str:
    if isinstance(value, tuple) and value and not hasattr(value, "_fields"):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def list_table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], widths: str, css: str = "hr-table"
) -> str:
    """Return a ``list-table`` directive; cells are reStructuredText already."""
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        f"   :widths: {widths}",
        f"   :class: {css}",
        "",
    ]
    for row in [headers, *rows]:
        first, *rest = row
        lines.append(f"   * - {first or ' '}")
        lines.extend(f"     - {cell or ' '}" for cell in rest)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the engine


@functools.cache
def default_engine() -> herniarules.Engine:
    """Return one engine with every installed plugin, shared by the whole build."""
    return herniarules.Engine()


def _scope(rule: Rule) -> str:
    if rule.techniques is None:
        return "every technique"
    return ", ".join(f"``{t}``" for t in sorted(rule.techniques))


def rule_rst(rule: Rule) -> str:
    """Return one rule's catalogue entry: id, badge, predicate, message, source."""
    source = f"*{esc(rule.section)}* — {quote(rule.source)}" if rule.section else quote(rule.source)
    fields = [
        f":When: {lit(rule.when.render())}",
        f":Message: {esc(rule.message)}",
        f":Source: {source}",
        f":Applies to: {_scope(rule)}",
    ]
    if rule.site:
        fields.append(f":Body site: {esc(rule.site)}")
    if rule.local:
        fields.append(
            ":Local: yes — at the sites of the conditions that fire it; outside a technique's "
            "area it gives allowed with modifications"
        )
    reads = ", ".join(f"``{name}``" for name in rule.when.reads()) or "none"
    fields.append(f":Reads facts: {reads}")
    body = "\n".join(fields)
    return (
        f".. _{label_for(rule.id)}:\n\n"
        f".. container:: hr-rule hr-rule-{rule.outcome.label}\n\n"
        f"   .. container:: hr-rule-head\n\n"
        f"      ``{rule.id}`` :outcome:`{rule.outcome.label}` {esc(rule.title)}\n\n"
        f"{_indent(body)}\n\n"
    )


def _rules_summary(rules: Sequence[Rule]) -> str:
    rows = [(rule_ref(r.id), esc(r.title), f":outcome:`{r.outcome.label}`") for r in rules]
    return list_table(("Rule", "Title", "Outcome"), rows, "35 45 20", "hr-table hr-summary")


def parameters_rst(technique: Technique, in_force: object | None = None) -> str:
    """Return the table of a technique's parameters with defaults and the values in force."""
    params = technique.parameters
    if params is None:
        return "This technique declares no parameters.\n\n"
    cls = type(params)
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):  # a base class's fields documented where declared
        if attrs.has(klass):
            docs.update(attribute_docs(klass))
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        hints = {}
    current = in_force if in_force is not None else params
    rows = []
    for field in attrs.fields(cls):
        default = _field_default(field)
        if default == "(computed)":  # from the class: read it off the technique's defaults
            default = getattr(params, field.name)
        default_text = "required" if default is attrs.NOTHING else lit(_show(default))
        rows.append(
            (
                f"``{field.name}``",
                lit(_type_name(hints.get(field.name, field.type))),
                default_text,
                lit(_show(getattr(current, field.name))),
                esc(docs.get(field.name, "")),
            )
        )
    intro = (
        f"Parameter class ``{cls.__module__}.{cls.__qualname__}``. A clinic may pass a stricter "
        f'instance through ``Engine(parameters={{"{technique.id}": ...}})``.\n\n'
    )
    return intro + list_table(
        ("Parameter", "Type", "Default", "In force", "Meaning"), rows, "18 14 12 12 44"
    )


def _technique_rst(engine: herniarules.Engine, technique: Technique) -> str:
    rules = [r for r in engine.rules if r.techniques and technique.id in r.techniques]
    plugin = next((p for p in engine.plugins if technique.id in p.techniques), None)
    title = f"{technique.name} (``{technique.id}``)"
    out = [f".. _technique-{technique.id}:\n", title, "-" * (len(title) + 4), ""]
    out.append(f"{esc(technique.description)}\n")
    meta = []
    if plugin is not None:
        meta.append(f":Plugin: ``{plugin.name}`` {esc(plugin.version)}")
    if technique.indications:
        meta.append(":Indicated for: " + ", ".join(f"``{i}``" for i in technique.indications))
    if technique.variant_of:
        meta.append(
            f":Variant of: :ref:`{technique.variant_of} <technique-{technique.variant_of}>`"
        )
    meta.append(
        ":Works on: "
        + ", ".join(f"``{site.value}``" for site in sorted(technique.area))
        + " (a local contraindication outside these sites is avoided, not blocking)"
    )
    meta.append(f":Source: {quote(technique.source)}")
    meta.append(
        f":Rules: {len(rules)} of its own, plus the {sum(1 for r in engine.rules if r.is_core)} "
        ":doc:`core rules <core>`"
    )
    out.append(".. container:: hr-meta\n\n" + _indent("\n".join(meta)) + "\n")
    if plugin is not None and plugin.error:
        out.append(f".. warning::\n\n   This plugin failed to load: {esc(plugin.error)}\n")
    out.append(".. rubric:: Parameters\n")
    out.append(parameters_rst(technique, engine.parameters(technique.id)))
    out.append(".. rubric:: Rules\n")
    if rules:
        out.append(_rules_summary(rules))
        out.extend(rule_rst(r) for r in rules)
    else:
        out.append("Only the core rules apply.\n")
    return "\n".join(out) + "\n"


def _code_range(code_range: CodeRange) -> str:
    text = code_range.render()
    if code_range.systems == frozenset(CodeSystem):
        return f"``{text}``"
    systems = "/".join(sorted(s.value.upper() for s in code_range.systems))
    return f"``{text}`` ({systems} only)"


def value_sets_rst(value_sets: Sequence[ValueSet]) -> str:
    """Return the table of value sets with their ICD-10 ranges."""
    rows = [
        (
            f"``{vs.id}``",
            f"``{vs.concept}``",
            esc(vs.title),
            ", ".join(_code_range(c) for c in vs.codes),
            esc(vs.source),
        )
        for vs in value_sets
    ]
    return list_table(
        ("Value set", "Concept", "Title", "ICD-10 codes", "Source"),
        rows,
        "14 14 18 24 30",
        "hr-table hr-value-sets",
    )


def catalogue_rst(engine: herniarules.Engine, part: str) -> str:
    """Return one part of the rule catalogue (see :data:`PARTS`) for ``engine``."""
    if part not in PARTS:
        raise ValueError(f"unknown catalogue part {part!r}; expected one of {', '.join(PARTS)}")
    core = [r for r in engine.rules if r.is_core]
    if part == "core":
        intro = (
            f"The safety kernel: {len(core)} rules applied to every technique, including "
            "techniques not written yet. No plugin can remove, weaken or bypass them.\n\n"
        )
        return intro + _rules_summary(core) + "\n" + "".join(rule_rst(r) for r in core)
    if part == "techniques":
        if not engine.techniques:
            return ".. note::\n\n   No technique plugin is installed in this build.\n\n"
        return "\n".join(_technique_rst(engine, t) for t in engine.techniques)
    if part == "value-sets":
        sets = engine.terminology.value_sets
        intro = (
            f"{len(sets)} value sets map ICD-10 codes (WHO and ICD-10-CM) to the concepts the "
            "rules read. Ranges use prefix semantics: ``C00–C97`` contains ``C34.1``.\n\n"
        )
        return intro + value_sets_rst(sets)
    rows = []
    for technique in engine.techniques:
        own = sum(1 for r in engine.rules if r.techniques and technique.id in r.techniques)
        rows.append(
            (
                f":ref:`{esc(technique.name)} <technique-{technique.id}>`",
                f"``{technique.id}``",
                ", ".join(f"``{i}``" for i in technique.indications) or "—",
                str(own),
            )
        )
    plugins = [
        (
            f"``{p.name}``",
            esc(p.version),
            ", ".join(f"``{t}``" for t in p.techniques) or "—",
            "loaded" if p.error is None else f"**failed**: {esc(p.error)}",
        )
        for p in engine.plugins
    ]
    text = [
        f"This build found {len(engine.plugins)} plugins providing {len(engine.techniques)} "
        f"techniques, {len(engine.rules)} rules in all ({len(core)} core) and "
        f"{len(engine.terminology.value_sets)} value sets, with this ruleset fingerprint:\n",
        # A paragraph of its own, so that its translation does not go stale when it changes.
        f"``{engine.fingerprint}``\n",
    ]
    if rows:
        text.append(
            list_table(("Technique", "Id", "Indicated for", "Own rules"), rows, "30 20 35 15")
        )
    if plugins:
        text.append(".. rubric:: Plugins in this build\n")
        text.append(
            list_table(("Distribution", "Version", "Techniques", "Status"), plugins, "30 12 28 30")
        )
    return "\n".join(text) + "\n"


# --------------------------------------------------------------------------- sources


def source_map_rst(path: Path, known: set[str]) -> str:
    """Return the traceability map of ``path``: passages, their rules or the reason for none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f".. warning::\n\n   ``{path.name}`` could not be read: {esc(str(exc))}\n\n"
    entries = data.get("entries", []) if isinstance(data, dict) else []
    if not entries:
        return f"``{path.name}`` lists no passages.\n\n"
    rows = []
    for entry in entries:
        ids = entry.get("implemented_by") or []
        reason = entry.get("not_encoded_reason") or ""
        refs = ", ".join(rule_ref(i) if i in known else f"``{i}``" for i in ids)
        section = entry.get("section") or ""
        where = f"*{esc(section)}* — " if section else ""
        rows.append((f"{where}{quote(entry.get('passage', ''))}", refs or "—", esc(reason)))
    return list_table(("Passage", "Rules", "Not encoded because"), rows, "50 25 25")


def policy_rst() -> str:
    """Return the policy thresholds with their defaults and the reasoning for each."""
    docs = attribute_docs(Policy)
    rows = [
        (f"``{f.name}``", lit(_show(f.default)), esc(docs.get(f.name, "")))
        for f in attrs.fields(Policy)
    ]
    return list_table(("Threshold", "Default", "Why this default"), rows, "22 10 68")


def sources_rst(engine: herniarules.Engine, source_map: Path | None = SOURCE_MAP) -> str:
    """Return the clinical-sources page body: passages, rules, and the reasons for defaults."""
    out = [
        "Rules by source passage",
        "-----------------------",
        "",
        "Each passage of the clinical source that a rule implements, with the rules that "
        "implement it. Several rules can share one passage (one sentence names acute stage "
        "and exacerbation together).",
        "",
    ]
    groups: dict[str, dict[str, list[Rule]]] = {}
    for rule in engine.rules:
        section = rule.section or ("Clinical convention" if rule.techniques else "Core")
        groups.setdefault(section, {}).setdefault(rule.source, []).append(rule)
    for section, passages in groups.items():
        out.append(f".. rubric:: {esc(section)}\n")
        rows = []
        for passage, rules in passages.items():
            ids = "\n\n       ".join(
                f"{rule_ref(r.id)} :outcome:`{r.outcome.label}`" for r in rules
            )
            rows.append((quote(passage), ids))
        out.append(list_table(("Passage", "Rules"), rows, "60 40", "hr-table hr-sources"))
    out += [
        "Reasoning for policy defaults",
        "-----------------------------",
        "",
        "Where the source leaves a threshold open, :class:`herniarules.Policy` holds a default "
        "from clinical convention. A clinic may only make it stricter.",
        "",
        policy_rst(),
        "Reasoning for technique parameters",
        "----------------------------------",
        "",
    ]
    with_params = [t for t in engine.techniques if t.parameters is not None]
    if not with_params:
        out.append("No installed technique declares parameters.\n")
    for technique in with_params:
        out.append(f".. rubric:: {esc(technique.name)} (``{technique.id}``)\n")
        out.append(parameters_rst(technique))
    out += ["Value sets", "----------", ""]
    out.append(
        "Why each ICD-10 range belongs to its concept is in the value sets' sources, listed "
        "in full on :doc:`catalogue/value-sets`.\n"
    )
    out += ["Traceability map", "----------------", ""]
    if source_map is not None and source_map.exists():
        out.append(
            "Every rule-bearing passage of the source, from ``traceability/source-map.json``, "
            "with the rules that implement it or the reason it is not encoded.\n"
        )
        out.append(source_map_rst(source_map, {r.id for r in engine.rules}))
    else:
        out.append(
            "``traceability/source-map.json`` is not present in this build; the table above "
            "is generated from the rules alone.\n"
        )
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- value-set definitions


def value_set_label(value_set_id: str) -> str:
    """Return the cross-reference label of a value set: ``value-set-core-malignancy``."""
    return "value-set-" + re.sub(r"[^a-z0-9]+", "-", value_set_id.lower()).strip("-")


def _systems_text(systems: frozenset[CodeSystem]) -> str:
    if systems == frozenset(CodeSystem):
        return "both"
    return ", ".join(s.display_name for s in CodeSystem if s in systems)


def _line_row(value_set: ValueSet, line: CodeRange) -> tuple[str, ...]:
    if line.exclude:
        effect, tier = "exclude", "—"
    else:
        effect = "include"
        own = line.tier if line.tier is not None else value_set.tier
        tier = f":outcome:`{own.label}`" + ("" if line.tier is not None else " (set)")
    return (
        f"``{line.render()}``",
        _systems_text(line.systems),
        effect,
        tier,
        f"``{line.site}``" if line.site else "—",
        esc(line.reason) or "—",
    )


def coverage(
    tables: Mapping[CodeSystem, CodeTable],
) -> Counter[tuple[str, CodeSystem, Outcome]]:
    """Count the codes of each table per ``(value set id, system, tier)``."""
    counts: Counter[tuple[str, CodeSystem, Outcome]] = Counter()
    for system, table in tables.items():
        for _, _, found in table.items():
            for classification in found:
                counts[classification.value_set, system, classification.tier] += 1
    return counts


def _coverage_table(
    value_set: ValueSet,
    systems: Sequence[CodeSystem],
    counts: Counter[tuple[str, CodeSystem, Outcome]],
) -> str:
    present = sorted({tier for (vs_id, _, tier) in counts if vs_id == value_set.id}, reverse=True)
    if not present:
        return "It covers no code of the shipped tables.\n"
    rows = [
        (f":outcome:`{tier.label}`", *(f"{counts[value_set.id, s, tier]:,}" for s in systems))
        for tier in present
    ]
    rows.append(
        (
            "**all**",
            *(f"**{sum(counts[value_set.id, s, t] for t in present):,}**" for s in systems),
        )
    )
    width = 60 // len(systems)
    return list_table(
        ("Tier", *(s.display_name for s in systems)),
        rows,
        " ".join(["40", *(str(width) for _ in systems)]),
        "hr-table hr-value-set-coverage",
    )


def _value_set_entry(
    value_set: ValueSet,
    systems: Sequence[CodeSystem],
    counts: Counter[tuple[str, CodeSystem, Outcome]],
) -> str:
    history = (
        f":outcome:`{value_set.history_tier.label}`"
        if value_set.history_tier is not None
        else "not counted: a condition no longer active does not express the concept"
    )
    fields = "\n".join(
        [
            f":Concept: ``{value_set.concept}``",
            f":Source: {quote(value_set.source)}",
            f":Default tier: :outcome:`{value_set.tier.label}`",
            f":History tier: {history}",
        ]
    )
    lines = list_table(
        ("Range", "Systems", "Effect", "Tier", "Site", "Reason"),
        [_line_row(value_set, line) for line in value_set.codes],
        "14 14 9 17 8 38",
        "hr-table hr-value-set-lines",
    )
    return (
        f".. _{value_set_label(value_set.id)}:\n\n"
        f".. container:: hr-rule hr-value-set hr-rule-{value_set.strictest_tier.label}\n\n"
        f"   .. container:: hr-rule-head\n\n"
        f"      ``{value_set.id}`` {esc(value_set.title)}\n\n"
        f"{_indent(fields)}\n\n"
        f"   .. rubric:: Lines\n\n"
        f"{_indent(lines)}\n"
        f"   .. rubric:: Codes covered\n\n"
        f"{_indent(_coverage_table(value_set, systems, counts))}\n"
    )


def value_set_definitions_rst(
    value_sets: Sequence[ValueSet], tables: Mapping[CodeSystem, CodeTable]
) -> str:
    """Return every value set's definition with the codes of ``tables`` it covers per tier.

    The counts come from the classifications stored in ``tables`` (the shipped code tables in
    the docs build), so they are what a lookup answers, not a fresh expansion.
    """
    systems = [s for s in CodeSystem if s in tables]
    counts = coverage(tables)
    totals: Counter[tuple[str, CodeSystem]] = Counter()
    for (vs_id, system, _), count in counts.items():
        totals[vs_id, system] += count
    summary = [
        (
            f":ref:`{vs.id} <{value_set_label(vs.id)}>`",
            esc(vs.title),
            f":outcome:`{vs.tier.label}`",
            *(f"{totals[vs.id, system]:,}" for system in systems),
        )
        for vs in value_sets
    ]
    sizes = ", ".join(f"{len(tables[s]):,} {s.display_name}" for s in systems)
    intro = (
        f"{len(value_sets)} value sets over the shipped code tables ({sizes} codes). Where "
        "several lines of a set contain a code, the narrowest decides; a tier marked *(set)* "
        "is the set's default tier.\n\n"
    )
    head = ("Value set", "Title", "Default tier", *(f"{s.display_name} codes" for s in systems))
    widths = " ".join(["22", "34", "16", *(str(28 // len(systems)) for _ in systems)])
    out = [intro, list_table(head, summary, widths, "hr-table hr-summary"), ""]
    out.extend(_value_set_entry(vs, systems, counts) for vs in value_sets)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- hooks


def hook_names() -> list[str]:
    """Return the names of every hook specified in :mod:`herniarules.hookspecs`."""
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if name.startswith("herniarules_") and callable(value) and hasattr(value, marker)
    )


def hook_rst(name: str) -> str:
    """Return the reference entry of hook ``name``: signature, docstring, how it is called."""
    if name not in hook_names():
        raise ValueError(f"{name!r} is not a hook in herniarules.hookspecs")
    spec = getattr(hookspecs, name)
    opts = getattr(spec, f"{hookspecs.PROJECT_NAME}_spec", {}) or {}
    first = opts.get("firstresult", False)
    call = (
        "The first non-``None`` result wins; the engine calls it only on the plugin that "
        "declared the technique."
        if first
        else "Called once, when the engine loads, on each plugin separately through the "
        "guard; each plugin's result is checked on its own."
    )
    return (
        f".. autofunction:: herniarules.hookspecs.{name}\n\n"
        f"   .. container:: hr-hook-call\n\n"
        f"      **Calling convention.** {call}\n\n"
    )


# --------------------------------------------------------------------------- Sphinx glue


class _Generated(SphinxDirective):
    def _parse(self, text: str) -> list[nodes.Node]:
        container = nodes.section()
        container.document = self.state.document
        from docutils.statemachine import StringList

        lines = StringList(text.splitlines(), source=f"<{self.name}>")
        nested_parse_with_titles(self.state, lines, container)
        return list(container.children)


def _note_generated(env: BuildEnvironment) -> None:
    generated: set[str] = getattr(env, "herniarules_generated", set())
    generated.add(env.docname)
    env.herniarules_generated = generated  # type: ignore[attr-defined]


class CatalogueDirective(_Generated):
    """``.. herniarules-catalogue:: part`` — one part of the generated rule catalogue."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        part = self.arguments[0].strip()
        if part not in PARTS:
            raise self.error(f"unknown catalogue part {part!r}; expected one of {', '.join(PARTS)}")
        _note_generated(self.env)
        return self._parse(catalogue_rst(default_engine(), part))


class SourcesDirective(_Generated):
    """``.. herniarules-sources::`` — rules by source passage and reasons for defaults."""

    def run(self) -> list[nodes.Node]:
        if SOURCE_MAP.exists():
            self.env.note_dependency(str(SOURCE_MAP))
        _note_generated(self.env)
        return self._parse(sources_rst(default_engine()))


class HookDirective(_Generated):
    """``.. herniarules-hook:: name`` — one hook's reference entry from its docstring."""

    required_arguments = 1
    option_spec: typing.ClassVar[dict[str, Any]] = {"noindex": directives.flag}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0].strip()
        if name not in hook_names():
            raise self.error(f"{name!r} is not a hook in herniarules.hookspecs")
        documented: set[str] = getattr(self.env, "herniarules_hooks", set())
        documented.add(name)
        self.env.herniarules_hooks = documented  # type: ignore[attr-defined]
        return self._parse(hook_rst(name))


class ValueSetsDirective(_Generated):
    """``.. herniarules-value-sets::`` — the core value-set definitions and their coverage."""

    def run(self) -> list[nodes.Node]:
        data = resources.files("herniarules.terminology").joinpath("data")
        for system in CodeSystem:
            self.env.note_dependency(str(data.joinpath(table_file_name(system))))
        _note_generated(self.env)
        tables = {system: code_table(system) for system in CodeSystem}
        return self._parse(value_set_definitions_rst(CORE_VALUE_SETS, tables))


def outcome_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: dict[str, Any] | None = None,
    content: Sequence[str] = (),
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """Render ``:outcome:`defer``` as a coloured badge."""
    try:
        outcome = Outcome.from_label(text.strip())
    except ValueError as exc:
        msg = inliner.reporter.error(str(exc), line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    node = nodes.inline(
        rawtext,
        outcome.label.replace("-", " "),
        classes=["hr-outcome", f"hr-outcome-{outcome.label}"],
    )
    return [node], []


def _check_hooks(app: Sphinx, env: BuildEnvironment) -> None:
    documented: set[str] = getattr(env, "herniarules_hooks", set())
    for name in sorted(set(hook_names()) - documented):
        logger.warning(
            "hook %s is specified in hookspecs.py but has no 'herniarules-hook' entry in the docs",
            name,
        )


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    # Entries are re-added when the document is read again.
    if docname == "hooks":
        env.herniarules_hooks = set()  # type: ignore[attr-defined]


def _outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    # The generated pages depend on the installed plugins, which Sphinx cannot see: always
    # read them again (they are cheap) so an incremental build never shows stale rules.
    return sorted(getattr(env, "herniarules_generated", set()) - removed)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, the role and the hook coverage check."""
    app.add_directive("herniarules-catalogue", CatalogueDirective)
    app.add_directive("herniarules-sources", SourcesDirective)
    app.add_directive("herniarules-hook", HookDirective)
    app.add_directive("herniarules-value-sets", ValueSetsDirective)
    app.add_role("outcome", outcome_role)
    app.connect("env-purge-doc", _purge)
    app.connect("env-check-consistency", _check_hooks)
    app.connect("env-get-outdated", _outdated)
    return {"version": herniarules.__version__, "parallel_read_safe": False, "env_version": 1}
