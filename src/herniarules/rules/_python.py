"""The Python code generator: a rule set as one plain Python function, the engine's fast path.

Each node becomes a Python expression with the value the interpreter
(:mod:`herniarules.rules._interpret`) gives it, on a local ``f`` holding the facts. A rule set
becomes one function (:func:`fired_function`, :func:`findings_function`) that loads each fact
it reads once, evaluates every predicate and collects the rules that are true or unknown. The
source goes through :func:`herniarules._codegen.define`, which registers it with
:mod:`linecache`, so a traceback through a rule set shows the generated line that ran.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from herniarules._codegen import define
from herniarules.facts import ITEM_COLLECTIONS, Facts
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
    CONDITION_ITEMS,
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

__all__ = ["Context", "code", "findings_function", "fired_function", "item_code", "kleene_code"]


class Context:
    """Collects the constants and the fact locals a generated function refers to.

    Each fact a predicate reads is loaded once into a local at the top of the generated
    function (:meth:`fact`); facts are immutable, so one read serves every rule.
    """

    def __init__(self) -> None:
        self.constants: dict[str, object] = {}
        self.counter = 0
        self.facts: dict[str, str] = {}
        self.sets: dict[str, str] = {}
        self.derived: dict[str, str] = {}
        #: The token of each rule over conditions decided by the (concept, tier) table, by
        #: the ``id`` of its ``Some`` node.
        self.pair_tokens: dict[int, str] = {}

    def constant(self, value: object) -> str:
        """Return the global name the generated function finds ``value`` under."""
        self.counter += 1
        name = f"_c{self.counter}"
        self.constants[name] = value
        return name

    def temp(self) -> str:
        """Return a fresh local name."""
        self.counter += 1
        return f"_v{self.counter}"

    def fact(self, name: str) -> str:
        """Return the local that holds fact ``name`` in the generated function."""
        local = self.facts.get(name)
        if local is None:
            local = self.facts[name] = f"_f_{name}"
        return local

    def is_set(self, name: str) -> str:
        """Return the local that tells whether fact ``name`` holds a frozenset."""
        local = self.sets.get(name)
        if local is None:
            local = self.sets[name] = f"_s_{name}"
        return local

    def derive(self, local: str, expression: str) -> str:
        """Return ``local``, computed once from ``expression`` after the facts are loaded.

        For values several predicates share, such as an index of the condition items.
        """
        self.derived.setdefault(local, expression)
        return local

    def prologue(self) -> list[str]:
        """Return the lines loading every fact used so far into its local."""
        lines = [f"    {local} = f.{name}" for name, local in self.facts.items()]
        lines += [
            f"    {flag} = type({self.facts[name]}) is frozenset"
            for name, flag in self.sets.items()
        ]
        lines += [f"    {local} = {expression}" for local, expression in self.derived.items()]
        return lines


def kleene_code(ctx: Context, conjunction: bool, parts: list[str]) -> str:
    """Return Python combining the expressions ``parts`` in Kleene logic (``and`` or ``or``).

    Every part is evaluated first, then the deciding value wins over unknown, and unknown
    over the neutral one.
    """
    names = [ctx.temp() for _ in parts]
    loaded = ", ".join(f"({v} := {p})" for v, p in zip(names, parts, strict=True))
    decisive, neutral = (False, True) if conjunction else (True, False)
    hit = " or ".join(f"{v} is {decisive}" for v in names)
    unknown = " or ".join(f"{v} is None" for v in names)
    return f"(({loaded}) and ({decisive} if {hit} else None if {unknown} else {neutral}))"


#: Facts holding a frozenset; membership of one item in them is a plain ``in`` test.
_SET_FACTS = frozenset(
    field.name for field in attrs.fields(Facts) if str(field.type).startswith("frozenset")
)

# --------------------------------------------------------------------------- whole facts

#: ``code(node, ctx)``: a Python expression computing the node's value on the local ``f``.
CODE: Dispatch[str] = Dispatch("code", "ctx", "the Python code generator")
code: Callable[[Expr, Context], str] = CODE.function


@CODE.register(Compare)
def _compare(node: Compare, ctx: Context) -> str:
    v = ctx.fact(node.fact.name)
    return f"(None if {v} is None else {v} {node.op} {ctx.constant(node.value)})"


@CODE.register(In)
def _in(node: In, ctx: Context) -> str:
    v = ctx.fact(node.fact.name)
    return f"(None if {v} is None else {v} in {ctx.constant(node.values)})"


@CODE.register(Contains)
def _contains(node: Contains, ctx: Context) -> str:
    name = node.fact.name
    v = ctx.fact(name)
    general = f"(None if {v} is None else not {ctx.constant(node.items)}.isdisjoint({v}))"
    if len(node.items) == 1 and name in _SET_FACTS:
        # For a frozenset, ``item in value`` is ``not {item}.isdisjoint(value)`` without the
        # method call; any other value (a hand-built Facts) takes the general path.
        (item,) = node.items
        return f"({ctx.constant(item)} in {v} if {ctx.is_set(name)} else {general})"
    return general


@CODE.register(NotEmpty)
def _not_empty(node: NotEmpty, ctx: Context) -> str:
    v = ctx.fact(node.fact.name)
    return f"(None if {v} is None else bool({v}))"


@CODE.register(All, Any_)
def _group(node: All | Any_, ctx: Context) -> str:
    return kleene_code(ctx, type(node) is All, [code(part, ctx) for part in node.parts])


@CODE.register(Not)
def _not(node: Not, ctx: Context) -> str:
    v = ctx.temp()
    return f"(None if ({v} := {code(node.part, ctx)}) is None else not {v})"


@CODE.register(Always)
def _always(node: Always, ctx: Context) -> str:
    return "True"


@CODE.register(Custom)
def _custom(node: Custom, ctx: Context) -> str:
    v = ctx.temp()
    return f"({v} if type({v} := {ctx.constant(node.function)}(f)) is bool else None)"


def _loop(node: Some | Every | CountCompare, ctx: Context) -> tuple[str, str]:
    """Return the local holding the collection and the list of the item values."""
    collection = ctx.fact(node.kind.collection)
    item = ctx.temp()
    return collection, f"[{item_code(node.predicate, ctx, item)} for {item} in {collection}]"


@CODE.register(Some)
def _some(node: Some, ctx: Context) -> str:
    collection, values = _loop(node, ctx)
    v = ctx.temp()
    general = (
        f"(None if {collection} is None else False if not {collection} "
        f"else True if True in ({v} := {values}) else None if None in {v} else False)"
    )
    if node.kind is not CONDITION_ITEMS:
        return general
    pair = concept_and_tier(node.predicate)
    if pair is not None:
        # Most rules over conditions ask for one concept at one tier. One pass over the items,
        # once per evaluation, looks each item's (concept, tier) up in a table of every such
        # rule of the function and gives the set of those that hold; a rule not in it is
        # false when every item has a concept and a tier (an item lacking one leaves the
        # predicate unknown, so then the general loop decides).
        table = ctx.constants.setdefault("_k_condition_pairs", {})
        assert isinstance(table, dict)
        ctx.constants.setdefault("_condition_hits", condition_hits)
        token = ctx.temp()
        table.setdefault(pair, []).append(token)
        ctx.pair_tokens[id(node)] = token
        ctx.derive(
            "_d_condition_hits, _d_condition_exact",
            f"_condition_hits({collection}, _k_condition_pairs)",
        )
        return (
            f"(True if {token!r} in _d_condition_hits "
            f"else False if _d_condition_exact else {general})"
        )
    concept = required_concept(node.predicate)
    if concept is None:
        return general
    # Most rules over conditions select one concept, and most patients have none of it: the
    # set of the items' concepts, built once per evaluation, decides those rules without a
    # loop. It can only say "no item has the concept", and only when no item lacks a concept
    # (an item without one leaves the predicate unknown, not false).
    present = ctx.derive(
        "_d_condition_concepts",
        f"{{_x.concept for _x in {collection}}} if {collection} else ()",
    )
    return (
        f"(False if {collection} and {ctx.constant(concept)} not in {present} "
        f"and None not in {present} else {general})"
    )


def concept_and_tier(predicate: ItemExpr) -> tuple[str, str] | None:
    """Return ``(c, t)`` if ``predicate`` is ``Dx.concept.eq(c) & Dx.tier.eq(t)`` (any order).

    Through labels; each value a plain ``str``. Such a predicate holds for an item exactly when
    the item's concept is ``c`` and its tier ``t``.
    """
    while isinstance(predicate, Labelled):
        predicate = predicate.inner
    if type(predicate) is not ItemAll or len(predicate.parts) != 2:
        return None
    values: dict[str, str] = {}
    for part in predicate.parts:
        if (
            type(part) is not ItemCompare
            or part.op != "=="
            or type(part.value) is not str
            or part.field.name not in ("concept", "tier")
        ):
            return None
        values[part.field.name] = part.value
    if len(values) != 2:
        return None
    return values["concept"], values["tier"]


def condition_hits(
    items: Sequence[Any] | None, table: dict[tuple[str, str], list[str]]
) -> tuple[frozenset[str], bool]:
    """Return the tokens of ``table`` whose (concept, tier) pair some item has, and exactness.

    ``table`` maps a (concept, tier) pair to the tokens of the rules asking for it. Exact
    means the collection is recorded and every item has a concept and a tier that are plain
    strings, so a rule whose token is missing is false.
    """
    if items is None:
        return frozenset(), False
    hits: list[str] = []
    exact = True
    get = table.get
    for item in items:
        concept, tier = item.concept, item.tier
        if type(concept) is not str or type(tier) is not str:
            exact = False
            continue
        tokens = get((concept, tier))
        if tokens is not None:
            hits += tokens
    return frozenset(hits), exact


def required_concept(predicate: ItemExpr) -> str | None:
    """Return the concept an item must have for ``predicate`` to hold, if it names one.

    That is ``Dx.concept.eq(c)`` alone or as a part of a conjunction (through a label).
    """
    while isinstance(predicate, Labelled):
        predicate = predicate.inner
    parts = predicate.parts if isinstance(predicate, ItemAll) else (predicate,)
    for part in parts:
        if (
            isinstance(part, ItemCompare)
            and part.field.name == "concept"
            and part.op == "=="
            and isinstance(part.value, str)
        ):
            return part.value
    return None


@CODE.register(Every)
def _every(node: Every, ctx: Context) -> str:
    collection, values = _loop(node, ctx)
    v = ctx.temp()
    return (
        f"(None if {collection} is None else False if False in ({v} := {values}) "
        f"else None if None in {v} else True)"
    )


@CODE.register(CountCompare)
def _count(node: CountCompare, ctx: Context) -> str:
    collection, values = _loop(node, ctx)
    decide = ctx.constant(functools.partial(_interpret.decide_count, node.op, node.number))
    return f"(None if {collection} is None else {decide}({values}))"


# --------------------------------------------------------------------------- items

#: ``item_code(node, ctx, item)``: a Python expression computing an item predicate's value on
#: the local named ``item``.
ITEM_CODE: Dispatch[str] = Dispatch("item_code", "ctx, item", "the Python code generator")
item_code: Callable[[ItemExpr, Context, str], str] = ITEM_CODE.function


@ITEM_CODE.register(ItemCompare)
def _item_compare(node: ItemCompare, ctx: Context, item: str) -> str:
    v = ctx.temp()
    value = ctx.constant(node.value)
    return f"(None if ({v} := {item}.{node.field.name}) is None else {v} {node.op} {value})"


@ITEM_CODE.register(ItemIn)
def _item_in(node: ItemIn, ctx: Context, item: str) -> str:
    v = ctx.temp()
    values = ctx.constant(node.values)
    return f"(None if ({v} := {item}.{node.field.name}) is None else {v} in {values})"


@ITEM_CODE.register(ItemAlways)
def _item_always(node: ItemAlways, ctx: Context, item: str) -> str:
    return "True"


@ITEM_CODE.register(ItemAll, ItemAny)
def _item_group(node: ItemAll | ItemAny, ctx: Context, item: str) -> str:
    parts = [item_code(part, ctx, item) for part in node.parts]
    return kleene_code(ctx, type(node) is ItemAll, parts)


@ITEM_CODE.register(ItemNot)
def _item_not(node: ItemNot, ctx: Context, item: str) -> str:
    v = ctx.temp()
    return f"(None if ({v} := {item_code(node.part, ctx, item)}) is None else not {v})"


@ITEM_CODE.register(Labelled)
def _labelled(node: Labelled, ctx: Context, item: str) -> str:
    return item_code(node.inner, ctx, item)


def item_function(predicate: ItemExpr) -> Callable[[Any], Tri]:
    """Return the compiled function from one item to ``predicate``'s value on it.

    The same values as :data:`herniarules.rules._interpret.evaluate_item`, without walking
    the nodes for every item.
    """
    ctx = Context()
    body = item_code(predicate, ctx, "item")
    function: Callable[[Any], Tri] = define(
        f"def item_value(item):\n    return {body}\n",
        "item_value",
        "item predicate",
        dict(ctx.constants),
    )
    return function


# --------------------------------------------------------------------------- rule sets


def _define(
    ctx: Context, name: str, body: list[str], what: str, outs: int = 0
) -> Callable[..., Any]:
    """Compile ``def name(f)`` from ``body``, after the facts ``ctx`` recorded are loaded.

    The function returns the list ``out``, or with ``outs`` lists ``out0``... a tuple of them.
    """
    if outs:
        names = [f"out{group}" for group in range(outs)]
        start = [f"    {name} = []" for name in names]
        end = f"    return ({', '.join(names)},)"
    else:
        start, end = ["    out = []"], "    return out"
    lines = [f"def {name}(f):", *ctx.prologue(), *start, *body, end]
    function: Callable[..., Any] = define("\n".join(lines), name, what, dict(ctx.constants))
    return function


def fired_function(
    predicates: Sequence[Expr], what: str
) -> Callable[[Facts], list[tuple[int, Tri]]]:
    """Return the function from facts to ``(index, result)`` of the predicates not false.

    :param what: what the predicates are, for the generated code's file name (``"core
        rules"``).
    """
    ctx = Context()
    parts = [
        [f"r = {code(predicate, ctx)}", f"if r is not False: out.append(({index}, r))"]
        for index, predicate in enumerate(predicates)
    ]
    body = _guarded(parts, _pair_runs(predicates, ctx))
    return _define(ctx, "_fired", body, f"{what}, predicates")


def findings_function(
    predicates: Sequence[Expr],
    reads: Sequence[tuple[str, ...]],
    get: Callable[[tuple[object, ...]], Any],
    build: Callable[[tuple[Any, ...], Facts], Any],
    what: str,
    groups: tuple[int, Sequence[tuple[int, ...]]] | None = None,
) -> Callable[[Facts], Any]:
    """Return the function from facts to the findings of the predicates not false, in order.

    The finding of predicate ``i`` with result ``r`` is ``get(key)`` if that is not ``None``,
    else ``build(key, facts)``, where ``key`` is ``(i, r, *values of the facts reads[i]
    names)``.

    :param what: what the predicates are, for the generated code's file name.
    :param groups: if given, ``(count, groups)``: the number of groups and the groups each
        predicate's finding belongs to; the function then returns ``count`` lists of findings
        (a tuple), each in predicate order.
    """
    ctx = Context()
    get_name, build_name = ctx.constant(get), ctx.constant(build)
    # Every predicate is evaluated before any finding is built, so that a predicate that
    # raises stops the set before any finding is made.
    evaluations = [
        f"r{index} = {code(predicate, ctx)}" for index, predicate in enumerate(predicates)
    ]
    blocks: list[list[str]] = []
    for index in range(len(predicates)):
        key = "".join(f", {_key_part(ctx, name)}" for name in reads[index])
        block = [
            f"if r{index} is not False:",
            f"    k = ({index}, r{index}{key})",
            f"    x = {get_name}(k)",
        ]
        if groups is None:
            block.append(f"    out.append({build_name}(k, f) if x is None else x)")
        else:
            block.append(f"    x = {build_name}(k, f) if x is None else x")
            block += [f"    out{group}.append(x)" for group in groups[1][index]]
        blocks.append(block)
    guards = _pair_runs(predicates, ctx)
    body = _guarded(evaluations, guards) + _guarded(blocks, guards)
    outs = 0 if groups is None else groups[0]
    return _define(ctx, "_findings", body, f"{what}, findings", outs)


#: The fewest consecutive table-decided rules over conditions worth one guard.
_SHORTEST_RUN = 2


def _pair_runs(predicates: Sequence[Expr], ctx: Context) -> dict[int, tuple[int, str]]:
    """Return the runs of consecutive rules decided by the (concept, tier) table.

    By first index: ``(end, guard)``, the run being ``predicates[first:end]`` and ``guard`` a
    local that is false exactly when every rule of the run is false for certain: every
    condition item has a concept and a tier and none of the run's pairs is among the hits
    (see :func:`condition_hits`). Runs shorter than :data:`_SHORTEST_RUN` are left out.
    """
    tokens = [ctx.pair_tokens.get(id(predicate)) for predicate in predicates]
    runs: dict[int, tuple[int, str]] = {}
    index = 0
    while index < len(tokens):
        end = index
        while end < len(tokens) and tokens[end] is not None:
            end += 1
        if end - index >= _SHORTEST_RUN:
            own = ctx.constant(frozenset(tokens[index:end]))
            guard = ctx.derive(
                f"_d_pairs_{index}",
                "not _d_condition_exact or "
                f"(_d_condition_hits and not {own}.isdisjoint(_d_condition_hits))",
            )
            runs[index] = (end, guard)
        index = max(end, index + 1)
    return runs


def _guarded(parts: Sequence[str | list[str]], guards: dict[int, tuple[int, str]]) -> list[str]:
    """Return the lines of ``parts`` (one part per predicate: its evaluation, or the block
    that makes its finding), indented for the generated function's body, each run of
    ``guards`` under its guard.

    The evaluations and the finding blocks of a run share its guard: when it is false the
    run's results are neither computed nor read.
    """
    lines: list[str] = []
    index = 0
    while index < len(parts):
        run = guards.get(index)
        end, indent = (index + 1, "    ") if run is None else (run[0], "        ")
        if run is not None:
            lines.append(f"    if {run[1]}:")
        for part in parts[index:end]:
            lines += [f"{indent}{line}" for line in ([part] if isinstance(part, str) else part)]
        index = end
    return lines


def _float_fields(cls: type[Any]) -> tuple[str, ...]:
    hints = typing.get_type_hints(cls)
    return tuple(name for name in attrs.fields_dict(cls) if float in typing.get_args(hints[name]))


#: Facts, and fields of the items of item collections, that hold a number written as a float.
_FLOAT_FACTS: frozenset[str] = frozenset(_float_fields(Facts))
_FLOAT_ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    name: fields for name, cls in ITEM_COLLECTIONS.items() if (fields := _float_fields(cls))
}


#: The fields of the items of each item collection, in order.
_ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    name: tuple(field.name for field in attrs.fields(cls)) for name, cls in ITEM_COLLECTIONS.items()
}

#: What the local of an item collection's findings key holds until a finding needs it.
_UNSET = object()


def _key_part(ctx: Context, name: str) -> str:
    """Return the expression for fact ``name`` in a findings key.

    ``38 == 38.0`` while the two are written differently (``38`` and ``38.0``), and the Python
    model accepts an int for a float field; so a value that may be either carries its type
    in the key, and two patients whose values differ only so never share a finding.

    An item collection is keyed by the tuple of its items' field values (with the types of
    float fields), computed once per evaluation when the first finding needs it: equal to
    another patient's exactly when the items are equal, and hashed and compared without a
    call of the items' own ``__hash__`` and ``__eq__``, which are Python code.
    """
    local = ctx.fact(name)
    if name in _FLOAT_FACTS:
        return f"{local}, {local}.__class__"
    fields = _ITEM_FIELDS.get(name)
    if fields is None:
        return local
    parts = [f"i.{field}" for field in fields]
    parts += [f"i.{field}.__class__" for field in _FLOAT_ITEM_FIELDS.get(name, ())]
    ctx.constants["_UNSET"] = _UNSET
    key = ctx.derive(f"_d_key_{name}", "_UNSET")
    # An unrecorded collection (None) is a value too: its rules are unknown.
    items = f"None if {local} is None else tuple([({', '.join(parts)},) for i in {local}])"
    return f"{key} if {key} is not _UNSET else ({key} := {items})"
