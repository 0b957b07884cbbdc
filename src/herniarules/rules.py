"""Rules as data: a small expression layer over :class:`~herniarules.facts.Facts`.

A predicate is built from fact references and operators::

    from herniarules.rules import F, Rule
    F.pain_score >= 7
    F.has_hernia & F.worst_phase.in_("acute", "exacerbation")
    F.concepts.contains("malignancy")

and the same value can be evaluated, compiled to plain Python, rendered as text ("pain score
8 ≥ 7") and inspected (which facts it reads). Logic is three-valued (Kleene): a comparison
with an unrecorded fact is *unknown*, ``False & unknown`` is ``False``, ``True & unknown`` is
unknown. A rule whose predicate is unknown yields *insufficient data*, never *allowed*.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

import attrs

from herniarules.facts import FACT_LABELS, Facts
from herniarules.outcomes import Outcome

__all__ = [
    "All",
    "Always",
    "Any_",
    "CompiledRules",
    "Custom",
    "Expr",
    "F",
    "Fact",
    "Not",
    "Rule",
    "RuleError",
]

Tri = bool | None
T = TypeVar("T")

_OPS: dict[str, tuple[str, str]] = {
    ">=": (">=", "≥"),
    ">": (">", ">"),
    "<=": ("<=", "≤"),
    "<": ("<", "<"),
    "==": ("==", "="),
    "!=": ("!=", "≠"),
}


class RuleError(ValueError):
    """Raised when a rule or rule set is malformed (bad id, unknown fact, duplicate id)."""


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, frozenset | set | tuple | list):
        return "{" + ", ".join(sorted(map(str, value))) + "}" if value else "none"
    if value is None:
        return "not recorded"
    return str(value)


class Expr(abc.ABC):
    """A three-valued predicate over facts. Combine with ``&``, ``|`` and ``~``."""

    @abc.abstractmethod
    def evaluate(self, facts: Facts) -> Tri:
        """Return ``True``, ``False`` or ``None`` (unknown) for ``facts``."""

    @abc.abstractmethod
    def code(self, ctx: _Codegen) -> str:
        """Return a Python expression computing :meth:`evaluate` on a local ``f``."""

    @abc.abstractmethod
    def render(self, facts: Facts | None = None) -> str:
        """Return the predicate as text, with the patient's values when ``facts`` is given."""

    @abc.abstractmethod
    def reads(self) -> tuple[str, ...]:
        """Return the names of the facts this predicate reads, in order of first use."""

    def __and__(self, other: Expr) -> Expr:
        return All(self, other)

    def __or__(self, other: Expr) -> Expr:
        return Any_(self, other)

    def __invert__(self) -> Expr:
        return Not(self)

    def __bool__(self) -> bool:
        raise TypeError("use & | ~ to combine predicates, not and / or / not")


class Fact:
    """A reference to one fact by name; operators on it build predicates."""

    def __init__(self, name: str) -> None:
        if name not in attrs.fields_dict(Facts):
            known = ", ".join(sorted(attrs.fields_dict(Facts)))
            raise RuleError(f"unknown fact {name!r}; known facts: {known}")
        self.name = name
        self.label = FACT_LABELS.get(name, name.replace("_", " "))

    def __repr__(self) -> str:
        return f"F.{self.name}"

    def _cmp(self, op: str, value: object) -> Compare:
        return Compare(self, op, value)

    def __ge__(self, value: object) -> Compare:
        return self._cmp(">=", value)

    def __gt__(self, value: object) -> Compare:
        return self._cmp(">", value)

    def __le__(self, value: object) -> Compare:
        return self._cmp("<=", value)

    def __lt__(self, value: object) -> Compare:
        return self._cmp("<", value)

    def eq(self, value: object) -> Compare:
        """Return the predicate ``fact == value``."""
        return self._cmp("==", value)

    def ne(self, value: object) -> Compare:
        """Return the predicate ``fact != value``."""
        return self._cmp("!=", value)

    def is_true(self) -> Compare:
        """Return the predicate "this yes/no fact is yes"."""
        return self._cmp("==", True)

    def is_false(self) -> Compare:
        """Return the predicate "this yes/no fact is no"."""
        return self._cmp("==", False)

    def in_(self, *values: object) -> In:
        """Return the predicate "the fact's value is one of ``values``"."""
        return In(self, frozenset(values))

    def contains(self, item: str) -> Contains:
        """Return the predicate "this set-valued fact contains ``item``"."""
        return Contains(self, frozenset({item}))

    def contains_any(self, *items: str) -> Contains:
        """Return the predicate "this set-valued fact contains any of ``items``"."""
        return Contains(self, frozenset(items))

    def not_empty(self) -> NotEmpty:
        """Return the predicate "this set-valued fact is not empty"."""
        return NotEmpty(self)


class _FactNamespace:
    """``F.pain_score`` is ``Fact("pain_score")``; unknown names raise :class:`RuleError`."""

    def __getattr__(self, name: str) -> Fact:
        if name.startswith("__"):
            raise AttributeError(name)
        return Fact(name)


#: Fact references for building predicates: ``F.pain_score >= 7``.
F = _FactNamespace()


#: Facts holding a frozenset; membership of one item in them is a plain ``in`` test.
_SET_FACTS = frozenset(
    field.name for field in attrs.fields(Facts) if str(field.type).startswith("frozenset")
)


class _Codegen:
    """Collects constants and helpers a generated function refers to.

    Each fact a predicate reads is loaded once into a local at the top of the generated
    function (:meth:`fact`); facts are immutable, so one read serves every rule.
    """

    def __init__(self) -> None:
        self.constants: dict[str, object] = {}
        self.counter = 0
        self.facts: dict[str, str] = {}
        self.sets: dict[str, str] = {}

    def constant(self, value: object) -> str:
        self.counter += 1
        name = f"_c{self.counter}"
        self.constants[name] = value
        return name

    def temp(self) -> str:
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

    def prologue(self) -> list[str]:
        """Return the lines loading every fact used so far into its local."""
        lines = [f"    {local} = f.{name}" for name, local in self.facts.items()]
        lines += [
            f"    {flag} = type({self.facts[name]}) is frozenset"
            for name, flag in self.sets.items()
        ]
        return lines


class Compare(Expr):
    """``fact <op> value``; unknown when the fact was not recorded."""

    def __init__(self, fact: Fact, op: str, value: object) -> None:
        if op not in _OPS:
            raise RuleError(f"unknown operator {op!r}")
        self.fact, self.op, self.value = fact, op, value
        self._fn: Callable[[Any, Any], bool] = {
            ">=": lambda a, b: a >= b,
            ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b,
            "<": lambda a, b: a < b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }[op]

    def evaluate(self, facts: Facts) -> Tri:
        actual = getattr(facts, self.fact.name)
        return None if actual is None else self._fn(actual, self.value)

    def code(self, ctx: _Codegen) -> str:
        v = ctx.fact(self.fact.name)
        return f"(None if {v} is None else {v} {_OPS[self.op][0]} {ctx.constant(self.value)})"

    def render(self, facts: Facts | None = None) -> str:
        symbol = _OPS[self.op][1]
        if self.value is True and self.op == "==":
            head = f"{self.fact.label}"
            return head if facts is None else f"{head} ({_fmt(getattr(facts, self.fact.name))})"
        if facts is None:
            return f"{self.fact.label} {symbol} {_fmt(self.value)}"
        actual = getattr(facts, self.fact.name)
        if actual is None:
            return f"{self.fact.label} not recorded (rule: {symbol} {_fmt(self.value)})"
        return f"{self.fact.label} {_fmt(actual)} {symbol} {_fmt(self.value)}"

    def reads(self) -> tuple[str, ...]:
        return (self.fact.name,)


class In(Expr):
    """The fact's value is one of a set of values."""

    def __init__(self, fact: Fact, values: frozenset[object]) -> None:
        self.fact, self.values = fact, values

    def evaluate(self, facts: Facts) -> Tri:
        actual = getattr(facts, self.fact.name)
        return None if actual is None else actual in self.values

    def code(self, ctx: _Codegen) -> str:
        v = ctx.fact(self.fact.name)
        return f"(None if {v} is None else {v} in {ctx.constant(self.values)})"

    def render(self, facts: Facts | None = None) -> str:
        actual = "" if facts is None else f" {_fmt(getattr(facts, self.fact.name))}"
        return f"{self.fact.label}{actual} ∈ {_fmt(self.values)}"

    def reads(self) -> tuple[str, ...]:
        return (self.fact.name,)


class Contains(Expr):
    """A set-valued fact contains any of the given items."""

    def __init__(self, fact: Fact, items: frozenset[str]) -> None:
        if not items:
            raise RuleError("contains_any needs at least one item")
        self.fact, self.items = fact, items

    def evaluate(self, facts: Facts) -> Tri:
        actual = getattr(facts, self.fact.name)
        return None if actual is None else not self.items.isdisjoint(actual)

    def code(self, ctx: _Codegen) -> str:
        v = ctx.fact(self.fact.name)
        general = f"(None if {v} is None else not {ctx.constant(self.items)}.isdisjoint({v}))"
        if len(self.items) == 1 and self.fact.name in _SET_FACTS:
            # For a frozenset, ``item in value`` is ``not {item}.isdisjoint(value)`` without
            # the method call; any other value (a hand-built Facts) takes the general path.
            (item,) = self.items
            return f"({ctx.constant(item)} in {v} if {ctx.is_set(self.fact.name)} else {general})"
        return general

    def render(self, facts: Facts | None = None) -> str:
        items = " or ".join(sorted(self.items))
        if facts is None:
            return f"{self.fact.label} include {items}"
        actual = getattr(facts, self.fact.name)
        if actual is None:
            return f"{self.fact.label} not recorded (rule: include {items})"
        present = sorted(self.items & actual)
        if present:
            return f"{self.fact.label} include {' and '.join(present)}"
        return f"{self.fact.label} {_fmt(actual)} include none of {', '.join(sorted(self.items))}"

    def reads(self) -> tuple[str, ...]:
        return (self.fact.name,)


class NotEmpty(Expr):
    """A set-valued fact is not empty."""

    def __init__(self, fact: Fact) -> None:
        self.fact = fact

    def evaluate(self, facts: Facts) -> Tri:
        actual = getattr(facts, self.fact.name)
        return None if actual is None else bool(actual)

    def code(self, ctx: _Codegen) -> str:
        v = ctx.fact(self.fact.name)
        return f"(None if {v} is None else bool({v}))"

    def render(self, facts: Facts | None = None) -> str:
        actual = "" if facts is None else f" ({_fmt(getattr(facts, self.fact.name))})"
        return f"{self.fact.label}{actual} present"

    def reads(self) -> tuple[str, ...]:
        return (self.fact.name,)


def _all3(values: Iterable[Tri]) -> Tri:
    unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def _any3(values: Iterable[Tri]) -> Tri:
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


class _Group(Expr):
    joiner: ClassVar[str]
    combine: ClassVar[Callable[[Iterable[Tri]], Tri]]
    parts: tuple[Expr, ...]

    def __init__(self, *parts: Expr) -> None:
        if len(parts) < 2:
            raise RuleError(f"{type(self).__name__} needs at least two predicates")
        flat: list[Expr] = []
        for part in parts:
            if not isinstance(part, Expr):
                raise RuleError(f"expected a predicate, got {part!r}")
            flat.extend(
                part.parts if isinstance(part, _Group) and type(part) is type(self) else (part,)
            )
        self.parts = tuple(flat)

    def evaluate(self, facts: Facts) -> Tri:
        return type(self).combine(p.evaluate(facts) for p in self.parts)

    def code(self, ctx: _Codegen) -> str:
        combine = type(self).combine
        if combine is not _all3 and combine is not _any3:
            helper = ctx.constant(combine)
            return f"{helper}(({', '.join(p.code(ctx) for p in self.parts)},))"
        # Kleene logic written out: every part is evaluated first (as the helper would), then
        # the deciding value wins over unknown, and unknown over the neutral one.
        names = [ctx.temp() for _ in self.parts]
        parts = ", ".join(f"({v} := {p.code(ctx)})" for v, p in zip(names, self.parts, strict=True))
        decisive, neutral = (False, True) if combine is _all3 else (True, False)
        hit = " or ".join(f"{v} is {decisive}" for v in names)
        unknown = " or ".join(f"{v} is None" for v in names)
        return f"(({parts}) and ({decisive} if {hit} else None if {unknown} else {neutral}))"

    def render(self, facts: Facts | None = None) -> str:
        inner = f" {self.joiner} ".join(
            f"({p.render(facts)})" if isinstance(p, _Group) else p.render(facts) for p in self.parts
        )
        return inner

    def reads(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for p in self.parts for name in p.reads()))


class All(_Group):
    """True when every part is true; false when any part is false; unknown otherwise."""

    joiner = "and"
    combine = staticmethod(_all3)  # type: ignore[assignment]


class Any_(_Group):
    """True when any part is true; false when every part is false; unknown otherwise."""

    joiner = "or"
    combine = staticmethod(_any3)  # type: ignore[assignment]


class Not(Expr):
    """Negation; unknown stays unknown."""

    def __init__(self, part: Expr) -> None:
        self.part = part

    def evaluate(self, facts: Facts) -> Tri:
        value = self.part.evaluate(facts)
        return None if value is None else not value

    def code(self, ctx: _Codegen) -> str:
        v = ctx.temp()
        return f"(None if ({v} := {self.part.code(ctx)}) is None else not {v})"

    def render(self, facts: Facts | None = None) -> str:
        return f"not ({self.part.render(facts)})"

    def reads(self) -> tuple[str, ...]:
        return self.part.reads()


class Always(Expr):
    """A predicate that always holds, for rules that apply to every patient."""

    def evaluate(self, facts: Facts) -> Tri:
        return True

    def code(self, ctx: _Codegen) -> str:
        return "True"

    def render(self, facts: Facts | None = None) -> str:
        return "always"

    def reads(self) -> tuple[str, ...]:
        return ()


class Custom(Expr):
    """Escape hatch: a Python function of the facts, with a required description.

    ``reads`` names the facts the function uses, so findings can show them as evidence. The
    function must return ``True``, ``False`` or ``None``; anything else counts as unknown.
    """

    def __init__(
        self, function: Callable[[Facts], Tri], description: str, reads: Iterable[str] = ()
    ) -> None:
        if not callable(function):
            raise RuleError("Custom needs a callable")
        if not description or not description.strip():
            raise RuleError("Custom predicates need a description")
        self.function, self.description = function, description.strip()
        self._reads = tuple(Fact(name).name for name in reads)

    def evaluate(self, facts: Facts) -> Tri:
        result = self.function(facts)
        return result if isinstance(result, bool) else None

    def code(self, ctx: _Codegen) -> str:
        if type(self).evaluate is not Custom.evaluate:  # a subclass decides for itself
            return f"{ctx.constant(self.evaluate)}(f)"
        v = ctx.temp()
        return f"({v} if type({v} := {ctx.constant(self.function)}(f)) is bool else None)"

    def render(self, facts: Facts | None = None) -> str:
        if facts is None or not self._reads:
            return self.description
        values = ", ".join(
            f"{FACT_LABELS.get(n, n)} {_fmt(getattr(facts, n))}" for n in self._reads
        )
        return f"{self.description} ({values})"

    def reads(self) -> tuple[str, ...]:
        return self._reads


_RULE_ID = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9-]*)+$")


def _rule_id(instance: Rule, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _RULE_ID.match(value):
        raise RuleError(f"rule id must look like 'plugin.rule-name', got {value!r}")


def _non_empty(instance: Rule, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"rule {instance.id!r}: {attribute.name} must be a non-empty string")


def _expr(instance: Rule, attribute: attrs.Attribute[Expr], value: Expr) -> None:
    if not isinstance(value, Expr):
        raise RuleError(f"rule {instance.id!r}: 'when' must be a predicate, got {value!r}")


def _outcome(instance: Rule, attribute: attrs.Attribute[Outcome], value: Outcome) -> None:
    if not isinstance(value, Outcome) or value is Outcome.ALLOWED:
        raise RuleError(f"rule {instance.id!r}: outcome must be an Outcome above ALLOWED")


def _technique_set(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


@attrs.frozen
class Rule:
    """One rule: when its predicate holds for a patient, it yields its outcome.

    ``techniques`` limits the rule to those technique ids; core rules leave it ``None`` and
    apply to every technique, including techniques not written yet.
    """

    id: str = attrs.field(validator=_rule_id)
    title: str = attrs.field(validator=_non_empty)
    when: Expr = attrs.field(validator=_expr, eq=False)
    outcome: Outcome = attrs.field(validator=_outcome)
    message: str = attrs.field(validator=_non_empty)
    """Plain text for the clinician; the rendered predicate is shown beside it."""
    source: str = attrs.field(validator=_non_empty)
    """The passage of the clinical source the rule implements, quoted, or the convention."""
    section: str = ""
    """Heading of the source section the passage is under."""
    techniques: frozenset[str] | None = attrs.field(default=None, converter=_technique_set)
    site: str | None = None
    """Body area, for local contraindications; the finding carries it."""

    @property
    def is_core(self) -> bool:
        """Return whether this is a core rule that applies to every technique."""
        return self.techniques is None

    def describe(self) -> str:
        """Return the rule as one line of text: ``id: predicate -> outcome``."""
        return f"{self.id}: {self.when.render()} → {self.outcome.label}"


class CompiledRules:
    """A rule set compiled once into one Python function.

    Calling :meth:`fired` returns ``(rule, result)`` pairs for the rules whose predicate is
    true or unknown; rules that are false cost one comparison.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise RuleError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        #: The facts each rule reads, by rule index (computed once, used for evidence).
        self.reads: tuple[tuple[str, ...], ...] = tuple(rule.when.reads() for rule in self.rules)
        #: Findings already built, by (rule index, result, values read); filled by the
        #: functions :meth:`findings_function` returns.
        self.findings: dict[tuple[object, ...], Any] = {}
        self._finders: dict[tuple[object, int], Callable[[Facts], list[Any]]] = {}
        ctx = _Codegen()
        body = []
        for index, rule in enumerate(self.rules):
            body.append(f"    r = {rule.when.code(ctx)}")
            body.append(f"    if r is not False: out.append(({index}, r))")
        #: The compiled function: facts → ``(rule index, result)`` for the rules whose
        #: predicate is true or unknown.
        self.fired_indices: Callable[[Facts], list[tuple[int, Tri]]] = _define(ctx, "_fired", body)

    def fired(self, facts: Facts) -> list[tuple[Rule, Tri]]:
        """Return the rules whose predicate is true (``True``) or unknown (``None``)."""
        rules = self.rules
        return [(rules[i], r) for i, r in self.fired_indices(facts)]

    def findings_function(
        self, make: Callable[[Rule, Tri, tuple[str, ...], Facts], T], limit: int
    ) -> Callable[[Facts], list[T]]:
        """Return a function from facts to the findings of the rules that fire, in rule order.

        ``make(rule, result, reads, facts)`` builds the finding of a rule whose predicate gave
        ``result``. A finding must depend only on the rule, its result and the values of the
        facts it reads: the function keeps up to ``limit`` of them in :attr:`findings`, keyed
        by ``(rule index, result, *values read)``, and reuses them for equal keys. The
        function is generated once per ``(make, limit)``.
        """
        finder = self._finders.get((make, limit))
        if finder is not None:
            return finder
        rules, reads, cache = self.rules, self.reads, self.findings

        def miss(key: tuple[Any, ...], facts: Facts) -> T:
            index = key[0]
            finding = make(rules[index], key[1], reads[index], facts)
            if len(cache) < limit:
                cache[key] = finding
            return finding

        ctx = _Codegen()
        get, build = ctx.constant(cache.get), ctx.constant(miss)
        # Every predicate is evaluated before any finding is built, as fired_indices does, so
        # that a rule that raises stops the set before any other finding is made.
        body = [f"    r{index} = {rule.when.code(ctx)}" for index, rule in enumerate(self.rules)]
        for index in range(len(self.rules)):
            key = "".join(f", {ctx.fact(name)}" for name in reads[index])
            body += [
                f"    if r{index} is not False:",
                f"        k = ({index}, r{index}{key})",
                f"        x = {get}(k)",
                f"        out.append({build}(k, f) if x is None else x)",
            ]
        finder = _define(ctx, "_findings", body)
        self._finders[(make, limit)] = finder
        return finder


def _define(ctx: _Codegen, name: str, body: list[str]) -> Callable[..., Any]:
    """Compile ``def name(f)`` from ``body``, after the facts ``ctx`` recorded are loaded."""
    lines = [f"def {name}(f):", *ctx.prologue(), "    out = []", *body, "    return out"]
    namespace: dict[str, Any] = dict(ctx.constants)
    exec(compile("\n".join(lines), "<herniarules-rules>", "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function
