"""The renderer: a predicate as text, alone or with a patient's values ("pain score 8 ≥ 7").

Without facts a predicate renders as its rule (``pain score (0-10) ≥ 7``); with them, as the
explanation a finding carries: the values the patient has, and of a quantifier only the items
that made its result. The explanation follows the interpreter's values
(:mod:`herniarules.rules._interpret`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from herniarules.facts import FACT_LABELS, ITEM_COLLECTIONS, ConditionFact, Facts, HerniaFact
from herniarules.frozen import FrozenDict
from herniarules.i18n.markers import C_
from herniarules.outcomes import Pending
from herniarules.rules import _interpret
from herniarules.rules._core import (
    All,
    Always,
    Any_,
    Compare,
    Contains,
    Custom,
    Expr,
    In,
    Not,
    NotEmpty,
    Tri,
)
from herniarules.rules._items import (
    CountCompare,
    Every,
    ItemAll,
    ItemAlways,
    ItemAny,
    ItemCompare,
    ItemExpr,
    ItemIn,
    ItemNot,
    Labelled,
    Some,
)
from herniarules.rules._visit import Dispatch

if TYPE_CHECKING:
    from herniarules.i18n import Translator

__all__ = [
    "SYMBOLS",
    "explain",
    "finding_parts",
    "finding_texts",
    "fmt",
    "in_locale",
    "item_name",
    "render",
    "render_item",
]

#: How each comparison operator is written in text.
SYMBOLS: dict[str, str] = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}

#: Nodes whose text needs parentheses inside ``and`` / ``or``.
_COMPOUND: frozenset[type] = frozenset({All, Any_, Some, Every, CountCompare, ItemAll, ItemAny})


def item_name(item: object) -> str:
    """Return the name of one item in text: ``hernia C5-C6 (cervical, 7 mm)``, ``condition C61``.

    A condition is named by its code and display name (``condition C61 Malignant neoplasm of
    prostate``) when it has them, else by its concept.
    """
    if isinstance(item, HerniaFact):
        size = "size not recorded" if item.size_mm is None else f"{item.size_mm:g} mm"
        return f"hernia {item.level} ({item.region}, {size})"
    if isinstance(item, ConditionFact):
        if item.code is not None:
            return f"condition {item.code}" + ("" if item.display is None else f" {item.display}")
        return f"condition {item.display or item.concept}"
    return str(item)


def fmt(value: object) -> str:
    """Return a value as a rule's text shows it: ``yes``, ``7.5``, ``{a, b}``, ``not recorded``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple) and value and isinstance(value[0], HerniaFact | ConditionFact):
        return "; ".join(map(item_name, value))
    if isinstance(value, frozenset | set | tuple | list):
        return "{" + ", ".join(sorted(map(str, value))) + "}" if value else "none"
    if value is None:
        return "not recorded"
    return str(value)


def _part(node: Expr | ItemExpr, text: str) -> str:
    return f"({text})" if type(node) in _COMPOUND else text


# --------------------------------------------------------------------------- whole facts

#: ``render(node, facts=None)``: the predicate as text, with the patient's values if given.
RENDER: Dispatch[str] = Dispatch("render", "facts=None", "the renderer")
render: Callable[..., str] = RENDER.function


def _comparison(label: str, op: str, value: object, actual: object, known: bool) -> str:
    """Return ``label actual <op> value``; ``known`` is whether there is an actual value."""
    symbol = SYMBOLS[op]
    if value is True and op == "==":
        return label if not known else f"{label} ({fmt(actual)})"
    if not known:
        return f"{label} {symbol} {fmt(value)}"
    if actual is None:
        return f"{label} not recorded (rule: {symbol} {fmt(value)})"
    return f"{label} {fmt(actual)} {symbol} {fmt(value)}"


@RENDER.register(Compare)
def _compare(node: Compare, facts: Facts | None = None) -> str:
    actual = None if facts is None else getattr(facts, node.fact.name)
    return _comparison(node.fact.label, node.op, node.value, actual, facts is not None)


@RENDER.register(In)
def _in(node: In, facts: Facts | None = None) -> str:
    actual = "" if facts is None else f" {fmt(getattr(facts, node.fact.name))}"
    return f"{node.fact.label}{actual} ∈ {fmt(node.values)}"


@RENDER.register(Contains)
def _contains(node: Contains, facts: Facts | None = None) -> str:
    label = node.fact.label
    items = " or ".join(sorted(node.items))
    if facts is None:
        return f"{label} include {items}"
    actual = getattr(facts, node.fact.name)
    if actual is None:
        return f"{label} not recorded (rule: include {items})"
    present = sorted(node.items & actual)
    if present:
        return f"{label} include {' and '.join(present)}"
    return f"{label} {fmt(actual)} include none of {', '.join(sorted(node.items))}"


@RENDER.register(NotEmpty)
def _not_empty(node: NotEmpty, facts: Facts | None = None) -> str:
    actual = "" if facts is None else f" ({fmt(getattr(facts, node.fact.name))})"
    return f"{node.fact.label}{actual} present"


@RENDER.register(All, Any_)
def _group(node: All | Any_, facts: Facts | None = None) -> str:
    joiner = " and " if type(node) is All else " or "
    return joiner.join(_part(part, render(part, facts)) for part in node.parts)


@RENDER.register(Not)
def _not(node: Not, facts: Facts | None = None) -> str:
    return f"not ({render(node.part, facts)})"


@RENDER.register(Always)
def _always(node: Always, facts: Facts | None = None) -> str:
    return "always"


@RENDER.register(Custom)
def _custom(node: Custom, facts: Facts | None = None) -> str:
    if facts is None or not node.fact_names:
        return node.description
    values = ", ".join(f"{FACT_LABELS.get(n, n)} {fmt(getattr(facts, n))}" for n in node.fact_names)
    return f"{node.description} ({values})"


def _recorded(items: Sequence[Any]) -> str:
    return "none recorded" if not items else f"{len(items)} recorded"


def _listed(node: Some | Every, items: Sequence[Any], positions: Iterable[int], result: Tri) -> str:
    predicate = node.predicate
    if type(predicate) is Labelled:  # a label explains itself the same for every item
        text = predicate.text
        return "; ".join([f"{item_name(items[i])}: {text}" for i in positions])
    return "; ".join(
        [f"{item_name(items[i])}: {explain(predicate, items[i], result)}" for i in positions]
    )


@RENDER.register(Some)
def _some(node: Some, facts: Facts | None = None) -> str:
    found = None if facts is None else _interpret.item_values(node, facts)
    if found is not None:
        items, values = found
        result = _interpret.decide(node, values)
        if result is not False:  # the items that made the result, each with its values
            return _listed(node, items, _interpret.picks(node, values, result), result)
    singular, predicate = node.kind.singular, render_item(node.predicate)
    if found is not None:
        return f"no {singular} with {predicate} ({_recorded(found[0])})"
    head = f"some {singular}: {predicate}"
    return head if facts is None else f"{head} ({node.items.label} not recorded)"


def finding_texts(node: Expr, facts: Facts) -> tuple[Mapping[str, Any], str]:
    """Return ``(evidence, explanation)`` of a finding of ``node`` for ``facts``.

    The same as ``(_interpret.evidence(node, facts), render(node, facts))``, which stay the
    reference; a predicate that is one ``some`` quantifier (most rules over conditions) has its
    item predicate evaluated once for both, not once for each.
    """
    if type(node) is Some:
        found = _interpret.item_values(node, facts)
        if found is not None:
            items, values = found
            result = _interpret.any3(values)
            if result is not False:  # as _interpret.picks and _some take them: the deciding items
                positions = [i for i, value in enumerate(values) if value is result]
                chosen = tuple([items[i].evidence() for i in positions])
                evidence = FrozenDict({node.kind.collection: chosen})
                return evidence, _listed(node, items, positions, result)
    return _interpret.evidence(node, facts), render(node, facts)


def finding_parts(
    node: Expr, facts: Facts, names: tuple[str, ...]
) -> tuple[Mapping[str, Any], str | Pending]:
    """Return :func:`finding_texts`, with the explanation left to be rendered on first read.

    ``names`` are the facts ``node`` reads (:func:`~herniarules.rules._reads.reads`). The
    explanation is a :class:`~herniarules.outcomes.Pending` holding what its text is rendered
    from, which a finding's evidence quotes already: of a ``some`` quantifier, the items that
    decided it; of a predicate over whole facts only (comparisons, sets, ``and``, ``or``,
    ``not`` of those), the values of the facts it reads. Any other predicate's explanation is
    rendered here. The text is the one :func:`finding_texts` gives, which stays the reference.
    """
    if type(node) is Some:
        items = getattr(facts, node.kind.collection)
        if items is not None:  # as _interpret.item_values and any3 give them, in line
            values = list(map(_interpret.item_function(node.predicate), items))
            result = True if True in values else None if None in values else False
            if result is not False:  # as finding_texts takes them: the deciding items
                chosen = tuple([items[i] for i, value in enumerate(values) if value is result])
                evidence = FrozenDict(
                    {node.kind.collection: tuple([item.evidence() for item in chosen])}
                )
                return evidence, Pending((_listed_all, node, chosen, result))
    elif _ITEM_COLLECTION_NAMES.isdisjoint(names) and _reads_plainly(node):
        # No item collection read: the evidence is the facts' own (as _interpret.evidence
        # gives it then), and the text needs their values alone.
        if len(names) == 1:
            (name,) = names
            value = getattr(facts, name)
            quoted: Mapping[str, Any]
            if isinstance(value, frozenset):  # as Facts.evidence(names) gives it
                quoted = FrozenDict({name: tuple(sorted(value))})
            elif type(value) is tuple:
                quoted = facts.evidence(names)
            else:
                quoted = FrozenDict({name: value})
            return quoted, Pending((_render_one, node, name, value))
        read = tuple(map(getattr, repeat(facts), names))
        return facts.evidence(names), Pending((_render_read, node, names, read))
    return finding_texts(node, facts)


_ITEM_COLLECTION_NAMES: frozenset[str] = frozenset(ITEM_COLLECTIONS)


#: Predicates whose text reads the facts by name and nothing else.
_PLAIN: frozenset[type] = frozenset({Compare, In, Contains, NotEmpty, Always})


def _reads_plainly(node: Expr) -> bool:
    """Return whether ``node`` renders from the values of the facts it reads alone."""
    if type(node) in _PLAIN:
        return True
    if type(node) is All or type(node) is Any_:
        return all(map(_reads_plainly, node.parts))
    if type(node) is Not:
        return _reads_plainly(node.part)
    return False


def _listed_all(node: Some, items: Sequence[Any], result: Tri) -> str:
    return _listed(node, items, range(len(items)), result)


def _render_read(node: Expr, names: tuple[str, ...], values: tuple[Any, ...]) -> str:
    # The renderer reads facts by attribute: a namespace of the values read, made for this
    # rendering only (what the Pending keeps is the immutable names and values).
    return render(node, SimpleNamespace(**dict(zip(names, values, strict=True))))


def _render_one(node: Expr, name: str, value: object) -> str:
    return render(node, SimpleNamespace(**{name: value}))


@RENDER.register(Every)
def _every(node: Every, facts: Facts | None = None) -> str:
    head = f"every {node.kind.singular}: {render_item(node.predicate)}"
    found = None if facts is None else _interpret.item_values(node, facts)
    if found is None:
        return head if facts is None else f"{head} ({node.items.label} not recorded)"
    items, values = found
    if not items:
        return f"{head} ({_recorded(items)})"
    result = _interpret.decide(node, values)
    return _listed(node, items, _interpret.picks(node, values, result), result)


@RENDER.register(CountCompare)
def _count(node: CountCompare, facts: Facts | None = None) -> str:
    what = f"number of {node.kind.collection}"
    if type(node.predicate) is not ItemAlways:
        what += f" with {render_item(node.predicate)}"
    rule = f"{SYMBOLS[node.op]} {node.number}"
    found = None if facts is None else _interpret.item_values(node, facts)
    if found is None:
        return f"{what} {rule}" if facts is None else f"{what} not recorded (rule: {rule})"
    items, values = found
    certain, unknown = values.count(True), values.count(None)
    count = str(certain) if not unknown else f"{certain} (+{unknown} not decided)"
    listed = "; ".join(
        item_name(items[i]) + ("" if values[i] else ": not decided")
        for i in _interpret.picks(node, values, None)
    )
    return f"{what} {count} {rule}" + (f" — {listed}" if listed else "")


# --------------------------------------------------------------------------- items

#: ``render_item(node, item=None)``: an item predicate as text, with the item's values if given.
RENDER_ITEM: Dispatch[str] = Dispatch("render_item", "item=None", "the renderer")
render_item: Callable[..., str] = RENDER_ITEM.function


@RENDER_ITEM.register(ItemCompare)
def _item_compare(node: ItemCompare, item: Any = None) -> str:
    actual = None if item is None else getattr(item, node.field.name)
    return _comparison(node.field.label, node.op, node.value, actual, item is not None)


@RENDER_ITEM.register(ItemIn)
def _item_in(node: ItemIn, item: Any = None) -> str:
    label = node.field.label
    if item is None:
        return f"{label} ∈ {fmt(node.values)}"
    actual = getattr(item, node.field.name)
    if actual is None:
        return f"{label} not recorded (rule: ∈ {fmt(node.values)})"
    return f"{label} {fmt(actual)} ∈ {fmt(node.values)}"


@RENDER_ITEM.register(ItemAlways)
def _item_always(node: ItemAlways, item: Any = None) -> str:
    return "any"


@RENDER_ITEM.register(ItemAll, ItemAny)
def _item_group(node: ItemAll | ItemAny, item: Any = None) -> str:
    joiner = " and " if type(node) is ItemAll else " or "
    return joiner.join(_part(part, render_item(part, item)) for part in node.parts)


@RENDER_ITEM.register(ItemNot)
def _item_not(node: ItemNot, item: Any = None) -> str:
    return f"not ({render_item(node.part, item)})"


@RENDER_ITEM.register(Labelled)
def _labelled(node: Labelled, item: Any = None) -> str:
    return node.text


#: ``explain(node, item, result)``: the parts of an item predicate that gave ``result`` for
#: ``item``, with the item's values.
EXPLAIN: Dispatch[str] = Dispatch("explain", "item, result", "the renderer")
explain: Callable[[ItemExpr, Any, Tri], str] = EXPLAIN.function


@EXPLAIN.register(ItemCompare, ItemIn, ItemAlways, Labelled)
def _explain_leaf(node: ItemExpr, item: Any, result: Tri) -> str:
    return render_item(node, item)


@EXPLAIN.register(ItemAll, ItemAny)
def _explain_group(node: ItemAll | ItemAny, item: Any, result: Tri) -> str:
    # As for whole facts: a conjunction that holds (or is unknown) shows every part, one that
    # fails its false parts; a disjunction that holds (or is unknown) shows the parts with its
    # value, one that fails every part.
    pairs = [(part, _interpret.evaluate_item(part, item)) for part in node.parts]
    conjunction = type(node) is ItemAll
    if (result is False) if conjunction else (result is not False):
        pairs = [(p, v) for p, v in pairs if v is result]
    if len(pairs) == 1:
        ((part, value),) = pairs
        return explain(part, item, value)
    joiner = " and " if conjunction else " or "
    return joiner.join(_part(p, explain(p, item, v)) for p, v in pairs)


@EXPLAIN.register(ItemNot)
def _explain_not(node: ItemNot, item: Any, result: Tri) -> str:
    return f"not ({explain(node.part, item, None if result is None else not result)})"


# --------------------------------------------------------------------------- in a locale

#: The context (``msgctxt``) of the renderer's own words in the catalogues.
CONTEXT = "explanation"

#: The renderer's fixed words and the values an explanation shows, as it writes them in
#: English; an explanation in another locale is the same text with each of them translated.
WORDS: tuple[str, ...] = (
    # the renderer's own words
    C_("explanation", "not recorded"),
    C_("explanation", "rule"),
    C_("explanation", "include"),
    C_("explanation", "include none of"),
    C_("explanation", "none"),
    C_("explanation", "present"),
    C_("explanation", "always"),
    C_("explanation", "any"),
    C_("explanation", "not"),
    C_("explanation", "and"),
    C_("explanation", "or"),
    C_("explanation", "yes"),
    C_("explanation", "no"),
    C_("explanation", "with"),
    C_("explanation", "mm"),
    C_("explanation", "not decided"),
    C_("explanation", "none recorded"),
    C_("explanation", "recorded"),
    C_("explanation", "size not recorded"),
    C_("explanation", "hernia"),
    C_("explanation", "condition"),
    C_("explanation", "some hernia"),
    C_("explanation", "some condition"),
    C_("explanation", "every hernia"),
    C_("explanation", "every condition"),
    C_("explanation", "no hernia with"),
    C_("explanation", "no condition with"),
    C_("explanation", "number of hernias"),
    C_("explanation", "number of conditions"),
    # the fields of the items
    C_("explanation", "region"),
    C_("explanation", "level"),
    C_("explanation", "kind"),
    C_("explanation", "phase"),
    C_("explanation", "size (mm)"),
    C_("explanation", "surgery indicated"),
    C_("explanation", "concept"),
    C_("explanation", "tier"),
    C_("explanation", "site"),
    C_("explanation", "code"),
    C_("explanation", "code system"),
    C_("explanation", "name"),
    C_("explanation", "status"),
    # the values of the facts and fields
    C_("explanation", "cervical"),
    C_("explanation", "thoracic"),
    C_("explanation", "lumbar"),
    C_("explanation", "lumbosacral"),
    C_("explanation", "protrusion"),
    C_("explanation", "extrusion"),
    C_("explanation", "sequestration"),
    C_("explanation", "schmorl-node"),
    C_("explanation", "acute"),
    C_("explanation", "exacerbation"),
    C_("explanation", "subacute"),
    C_("explanation", "remission"),
    C_("explanation", "post-surgical"),
    C_("explanation", "female"),
    C_("explanation", "male"),
    C_("explanation", "other"),
    C_("explanation", "unknown"),
    C_("explanation", "active"),
    C_("explanation", "recurrence"),
    C_("explanation", "relapse"),
    C_("explanation", "resolved"),
    C_("explanation", "inactive"),
    C_("explanation", "allowed"),
    C_("explanation", "allowed-with-modifications"),
    C_("explanation", "requires-clearance"),
    C_("explanation", "insufficient-data"),
    C_("explanation", "defer"),
    C_("explanation", "contraindicated"),
    C_("explanation", "allowed with modifications"),
    C_("explanation", "requires clearance"),
    C_("explanation", "insufficient data"),
    # the concepts of the contraindications (herniarules.vocabulary.CONDITION_CONCEPTS)
    C_("explanation", "anticoagulant-therapy"),
    C_("explanation", "antiplatelet-therapy"),
    C_("explanation", "blood-disease"),
    C_("explanation", "bone-tuberculosis"),
    C_("explanation", "chronic-disease-exacerbation"),
    C_("explanation", "digestive-disorder"),
    C_("explanation", "disc-hernia"),
    C_("explanation", "fever"),
    C_("explanation", "heart-dysfunction"),
    C_("explanation", "honey-allergy"),
    C_("explanation", "hypertension"),
    C_("explanation", "hypertension-organ-damage"),
    C_("explanation", "infectious-disease"),
    C_("explanation", "inflammatory-process"),
    C_("explanation", "malignancy"),
    C_("explanation", "open-wound"),
    C_("explanation", "osteomyelitis"),
    C_("explanation", "osteoporosis"),
    C_("explanation", "pregnancy"),
    C_("explanation", "psychiatric-disorder"),
    C_("explanation", "purulent-skin-rash"),
    C_("explanation", "skin-pathology"),
    C_("explanation", "thrombolytic-therapy"),
    C_("explanation", "thrombosis-tendency"),
    C_("explanation", "urticaria-oedema"),
    C_("explanation", "varicose-veins"),
)

_NUMBER_TOKEN = r"(?<![\w.+-])-?\d+(?:\.\d+)?(?![\w.])"


@functools.cache
def _phrases() -> tuple[dict[str, bool], re.Pattern[str]]:
    # phrase -> whether it is one of the renderer's words (True) or a fact label (False)
    phrases = {label: False for label in FACT_LABELS.values()}
    phrases.update(dict.fromkeys(WORDS, True))
    listed = sorted(phrases, key=len, reverse=True)
    words = "|".join(re.escape(p) for p in listed)
    return phrases, re.compile(rf"(?<![\w-])(?:{words})(?![\w-])|{_NUMBER_TOKEN}")


def in_locale(text: str, tr: Translator, verbatim: Iterable[str] = ()) -> str:
    """Return the explanation ``text`` (as :func:`render` writes it) in ``tr``'s locale.

    The labels, the renderer's words and the values are translated one by one and numbers
    written by the locale's rules (``38,1``); codes, vertebral levels, operators and the
    strings in ``verbatim`` (the names of recorded diagnoses) are kept as they are. In English
    the text is returned unchanged.
    """
    if tr.locale == "en" or not text:
        return text
    phrases, pattern = _phrases()
    kept = sorted({v for v in verbatim if v and v in text}, key=len, reverse=True)
    pieces = re.split("(" + "|".join(map(re.escape, kept)) + ")", text) if kept else [text]

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        own = phrases.get(token)
        if own is None:  # a number
            return tr.number(float(token) if "." in token else int(token))
        return tr.pgettext(CONTEXT, token) if own else tr.text(token)

    # the split alternates text and kept strings: every odd piece is kept as it is
    return "".join(p if i % 2 else pattern.sub(one, p) for i, p in enumerate(pieces))
