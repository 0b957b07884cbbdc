"""Rules and rule sets: :class:`Rule` and :class:`CompiledRules`, one function per set."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from herniarules.bounded import FINDINGS, BoundedCache, estimate
from herniarules.facts import Facts
from herniarules.outcomes import Outcome
from herniarules.rules import _python, _reads, _render
from herniarules.rules._core import Expr, RuleError, Tri

__all__ = ["CompiledRules", "Rule"]

T = TypeVar("T")


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
    local: bool = attrs.field(default=False, kw_only=True)
    """Whether the rule is a local contraindication whose site is the site of the condition
    items that fire it. Its finding carries those sites; a technique whose area (see
    :attr:`herniarules.Technique.area`) holds none of them gives it *allowed with
    modifications*, with the sites in the protocol's avoid list. With any site unknown, or
    inside the area, it blocks as its outcome says."""

    @property
    def is_core(self) -> bool:
        """Return whether this is a core rule that applies to every technique."""
        return self.techniques is None

    def describe(self) -> str:
        """Return the rule as one line of text: ``id: predicate -> outcome``."""
        return f"{self.id}: {_render.render(self.when)} → {self.outcome.label}"


class CompiledRules:
    """A rule set compiled once into one Python function.

    Calling :meth:`fired` returns ``(rule, result)`` pairs for the rules whose predicate is
    true or unknown; rules that are false cost one comparison.
    """

    def __init__(self, rules: Iterable[Rule], *, what: str | None = None) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise RuleError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        #: The facts each rule reads, by rule index (computed once, used for evidence).
        self.reads: tuple[tuple[str, ...], ...] = tuple(_reads.reads(r.when) for r in self.rules)
        #: What the rule set is, in the file names of its generated code (``core rules``,
        #: ``rules of honey``), so that a traceback through it says whose rules ran.
        self.what: str = _what(self.rules) if what is None else what
        #: The findings kept by each function :meth:`findings_function` returned, by its
        #: ``(make, limit)``.
        self.findings: dict[tuple[object, int], BoundedCache[tuple[object, ...], Any]] = {}
        self._finders: dict[tuple[object, int], Callable[[Facts], list[Any]]] = {}
        #: The compiled function: facts → ``(rule index, result)`` for the rules whose
        #: predicate is true or unknown.
        self.fired_indices: Callable[[Facts], list[tuple[int, Tri]]] = _python.fired_function(
            [rule.when for rule in self.rules], self.what
        )

    def fired(self, facts: Facts) -> list[tuple[Rule, Tri]]:
        """Return the rules whose predicate is true (``True``) or unknown (``None``)."""
        rules = self.rules
        return [(rules[i], r) for i, r in self.fired_indices(facts)]

    def findings_function(
        self,
        make: Callable[[Rule, Tri, tuple[str, ...], Facts], T],
        limit: int,
        budget: int | None = None,
    ) -> Callable[[Facts], list[T]]:
        """Return a function from facts to the findings of the rules that fire, in rule order.

        ``make(rule, result, reads, facts)`` builds the finding of a rule whose predicate gave
        ``result``. A finding must depend only on the rule, its result and the values of the
        facts it reads: the function keeps findings in a :class:`~herniarules.bounded.
        BoundedCache` (in :attr:`findings`), keyed by ``(rule index, result, *values read)``,
        and reuses them for equal keys. It keeps at most ``limit`` of them, within ``budget``
        estimated bytes of keys and findings (by default the budget all findings caches of
        the process share, :data:`herniarules.bounded.FINDINGS`), dropping the oldest first.
        The function and its cache are made once per ``(make, limit)``.
        """
        finder = self._finders.get((make, limit))
        if finder is not None:
            return finder
        rules, reads = self.rules, self.reads
        # A finding quotes its rule's texts, which the rule set holds anyway: not counted.
        shared = {id(getattr(rule, name)) for rule in rules for name in _RULE_TEXTS}

        def size(key: tuple[object, ...], finding: object) -> int:
            return estimate((key, finding), shared)

        cache: BoundedCache[tuple[object, ...], Any] = BoundedCache(
            "findings", FINDINGS if budget is None else budget, max_entries=limit, size=size
        )
        self.findings[(make, limit)] = cache
        put = cache.put

        def miss(key: tuple[Any, ...], facts: Facts) -> T:
            index = key[0]
            finding = make(rules[index], key[1], reads[index], facts)
            put(key, finding)
            return finding

        # Every predicate is evaluated before any finding is built, as fired_indices does, so
        # that a rule that raises stops the set before any other finding is made.
        finder = _python.findings_function(
            [rule.when for rule in rules], reads, cache.get, miss, self.what
        )
        self._finders[(make, limit)] = finder
        return finder


_RULE_TEXTS = ("id", "title", "message", "source", "section", "site")


def _what(rules: tuple[Rule, ...]) -> str:
    """Return what a rule set is, for its generated code: ``core rules``, ``rules of honey``."""
    if rules and all(rule.is_core for rule in rules):
        return "core rules"
    shared: frozenset[str] | None = None
    for rule in rules:
        techniques = rule.techniques or frozenset()
        shared = techniques if shared is None else shared & techniques
    return f"rules of {', '.join(sorted(shared))}" if shared else "rules"
