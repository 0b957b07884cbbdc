"""ICD-10 terminology: which clinical concepts a diagnosis code expresses, and how severely.

The clinical source lists the conditions under which massage for an intervertebral disc
hernia is unacceptable. Each :class:`Concept` names one of them; each :class:`ValueSet` is a
definition of the ICD-10 codes that express it, in WHO ICD-10 and/or ICD-10-CM, line by line
with reasons, severity tiers and body sites (:mod:`herniarules.terminology.definitions`).
The definitions are expanded at build time against the maintained ICD-10 libraries into a
code table shipped with the package (:mod:`herniarules.terminology.table`): every valid code
of both systems, its display and its concepts. A code that does not exist in its system is an
error (:func:`check_code`), never a code with no concept.

A :class:`Terminology` is an immutable registry: the core table plus the value sets plugins
add with :meth:`Terminology.with_value_sets`, which are checked against the table and expanded
over it when the registry is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from herniarules.outcomes import Outcome
from herniarules.terminology.codes import CodeSystem, dotted, is_icd10_code, normalize_code
from herniarules.terminology.definitions import CORE_VALUE_SETS, REVIEWED
from herniarules.terminology.table import (
    Classification,
    CodeEntry,
    CodeTable,
    Resolved,
    UnknownCodeError,
    check_code,
    code_table,
    expand_value_set,
    validate_value_set,
)
from herniarules.terminology.valuesets import CodeRange, Concept, ValueSet

__all__ = [
    "CORE_VALUE_SETS",
    "DEFAULT_TERMINOLOGY",
    "REVIEWED",
    "Classification",
    "CodeEntry",
    "CodeRange",
    "CodeSystem",
    "CodeTable",
    "Concept",
    "Terminology",
    "UnknownCodeError",
    "ValueSet",
    "check_code",
    "code_table",
    "dotted",
    "is_icd10_code",
    "normalize_code",
]

_NONE: tuple[Classification, ...] = ()
_CORE_IDS = frozenset(value_set.id for value_set in CORE_VALUE_SETS)


class Terminology:
    """Immutable registry of value sets over the shipped code tables.

    The core value sets are read from the shipped table; value sets added by plugins are
    validated against the table and expanded over it once, when the registry is built (on
    first use, since the table itself is read lazily). A lookup is then a dictionary access:
    there is no cache to overflow however many distinct codes arrive.
    """

    def __init__(self, value_sets: Iterable[ValueSet] = CORE_VALUE_SETS) -> None:
        """Build a registry; raise ``ValueError`` if two value sets share an id."""
        by_id: dict[str, ValueSet] = {}
        for value_set in value_sets:
            if not isinstance(value_set, ValueSet):
                raise TypeError(f"expected ValueSet, got {type(value_set).__name__}")
            if value_set.id in by_id:
                raise ValueError(f"duplicate value set id {value_set.id!r}")
            by_id[value_set.id] = value_set
        self._value_sets = tuple(by_id[key] for key in sorted(by_id))
        core = {value_set.id: value_set for value_set in CORE_VALUE_SETS}
        self._extra = tuple(vs for vs in self._value_sets if core.get(vs.id) is not vs)
        # The core sets are in the shipped table; a registry that leaves one out, or replaces
        # it, expands its own copy like a plugin's and masks the shipped classification.
        self._masked = frozenset(
            vs_id for vs_id in _CORE_IDS if by_id.get(vs_id) is not core[vs_id]
        )
        self._expanded: dict[CodeSystem, dict[str, tuple[Classification, ...]]] | None = None
        # The shipped table of each system looked up so far, when no value set of this
        # registry changes its classifications: a lookup is then one dictionary access.
        self._shipped: dict[CodeSystem, Mapping[str, Resolved]] = {}
        self._by_concept: dict[str, ValueSet] = {}
        self._concept_tiers: dict[str, Outcome] = {}
        self._history_tiers: dict[str, Outcome] = {}
        for value_set in self._value_sets:
            concept = value_set.concept
            self._by_concept.setdefault(concept, value_set)
            tier = value_set.strictest_tier
            self._concept_tiers[concept] = max(tier, self._concept_tiers.get(concept, tier))
            history = value_set.history_tier
            if history is not None:
                self._history_tiers[concept] = max(
                    history, self._history_tiers.get(concept, history)
                )
        if self._extra:
            self._expansion()  # validate plugin value sets now, so a bad one fails its plugin

    def __repr__(self) -> str:
        """Return a short description listing the value set ids."""
        return f"Terminology({[value_set.id for value_set in self._value_sets]!r})"

    @property
    def value_sets(self) -> tuple[ValueSet, ...]:
        """All registered value sets, sorted by id."""
        return self._value_sets

    def with_value_sets(self, *value_sets: ValueSet) -> Terminology:
        """Return a new Terminology with ``value_sets`` added; ``ValueError`` on a duplicate id.

        Each added set is checked against the code tables: a line naming a code that does not
        exist raises ``ValueError``.
        """
        return Terminology((*self._value_sets, *value_sets))

    def _expansion(self) -> dict[CodeSystem, dict[str, tuple[Classification, ...]]]:
        expanded = self._expanded
        if expanded is None:
            tables = {system: code_table(system) for system in CodeSystem}
            expanded = {system: {} for system in CodeSystem}
            for value_set in self._extra:
                validate_value_set(value_set, tables)
            for system, table in tables.items():
                found: dict[str, list[Classification]] = {}
                for value_set in self._extra:
                    for code, klass in expand_value_set(value_set, table).items():
                        found.setdefault(code, []).append(klass)
                if self._masked:
                    for code, _, shipped in table.items():
                        if any(klass.value_set in self._masked for klass in shipped):
                            found.setdefault(code, [])
                expanded[system] = {
                    code: tuple(
                        sorted(
                            (
                                *(k for k in _shipped(table, code) if k.value_set not in
                                  self._masked),
                                *extra,
                            ),
                            key=lambda k: (k.value_set, k.concept),
                        )
                    )
                    for code, extra in found.items()
                }  # fmt: skip
            self._expanded = expanded
        return expanded

    def lookup(self, code: str, system: CodeSystem = CodeSystem.ICD10) -> CodeEntry:
        """Return the entry of ``code`` in ``system``: dotted code, display, classifications.

        Raises :class:`UnknownCodeError` (a ``ValueError``) if the code does not exist in the
        system, naming close matches or the other system.
        """
        system = system if type(system) is CodeSystem else CodeSystem(system)
        normalized = check_code(code, system)
        entry = code_table(system).entry(normalized)
        found = self.classify(normalized, system)
        return entry if found is entry.classifications else CodeEntry(
            entry.code, system, entry.display, found
        )  # fmt: skip

    def classify(
        self, code: str, system: CodeSystem = CodeSystem.ICD10
    ) -> tuple[Classification, ...]:
        """Return the classifications of ``code`` in ``system`` (empty for no concept).

        Raises :class:`UnknownCodeError` if the code does not exist in the system.
        """
        try:
            shipped = self._shipped.get(system)
        except TypeError:  # an unhashable system: _resolve names the problem
            shipped = None
        if shipped is not None and type(code) is str:
            found = shipped.get(code[:3] + code[4:] if len(code) > 4 and code[3] == "." else code)
            if found is not None:
                return found[2]
        return self._resolve(code, system)[2]

    def resolve(
        self, code: str, system: CodeSystem = CodeSystem.ICD10
    ) -> tuple[str, str, tuple[Classification, ...]]:
        """Return ``(normalized code, display, classifications)`` of ``code`` in ``system``.

        The fast form of :meth:`lookup` that :func:`herniarules.facts.derive_facts` uses;
        raises :class:`UnknownCodeError` if the code does not exist in the system.
        """
        # The usual spellings, the table's own (M5116) and the dotted one (M51.16), are
        # looked up at once; any other is normalized and checked by _resolve.
        try:
            shipped = self._shipped.get(system)
        except TypeError:  # an unhashable system: _resolve names the problem
            shipped = None
        if shipped is not None and type(code) is str:
            found = shipped.get(code[:3] + code[4:] if len(code) > 4 and code[3] == "." else code)
            if found is not None:
                return found
        return self._resolve(code, system)

    def _resolve(self, code: str, system: CodeSystem) -> Resolved:
        """:meth:`resolve` for any spelling, and for a registry with value sets of its own."""
        system = system if type(system) is CodeSystem else CodeSystem(system)
        table = code_table(system)
        if not (self._extra or self._masked):
            self._shipped[system] = table.resolved()
        # Every key of the table is a valid normalized code, so a code already spelled that
        # way needs no further check; any other spelling is normalized and checked.
        key = code
        found = None
        if type(code) is str:
            # The usual dotted spelling (M51.16) is looked up without its dot at once.
            if len(code) > 4 and code[3] == ".":
                key = code[:3] + code[4:]
            found = table.get(key)
        if found is None:
            key = check_code(code, system)
            found = table.get(key)
            assert found is not None
        if self._extra or self._masked:
            extra = self._expansion()[system].get(key)
            if extra is not None:
                return key, found[0], extra
        return key, found[0], found[1]

    def concept_tier(self, concept: str) -> Outcome:
        """Return the tier of a condition recorded by ``concept`` alone, without a code.

        Without a code nothing says how severe the condition is, so it takes the most severe
        tier of the concept's value sets; a concept with none (a medication concept) is
        *contraindicated*.
        """
        return self._concept_tiers.get(concept, Outcome.CONTRAINDICATED)

    def history_tier(self, concept: str) -> Outcome | None:
        """Return the tier of a condition of ``concept`` that is no longer active, or ``None``.

        ``None`` (the concept's value sets give no history tier) means such a condition does
        not count; otherwise the most severe history tier of its value sets.
        """
        return self._history_tiers.get(concept)

    def concepts_for(self, code: str, system: CodeSystem = CodeSystem.ICD10) -> frozenset[str]:
        """Return the concepts the code expresses in ``system`` (empty if none).

        The code is normalized first, so ``"c34.1"`` and ``"C341"`` give the same answer;
        :class:`UnknownCodeError` (a ``ValueError``) if the code does not exist in the system.
        """
        return frozenset(klass.concept for klass in self.classify(code, system))

    def codes_for(self, concept: str) -> tuple[ValueSet, ...]:
        """Return the value sets expressing ``concept``, sorted by id (empty if none)."""
        return tuple(value_set for value_set in self._value_sets if value_set.concept == concept)

    def value_set_for(self, concept: str) -> ValueSet | None:
        """Return the first value set (by id) expressing ``concept``, or ``None``."""
        return self._by_concept.get(concept)

    @property
    def concepts(self) -> frozenset[str]:
        """Every concept some registered value set expresses."""
        return frozenset(self._by_concept)


def _shipped(table: CodeTable, code: str) -> tuple[Classification, ...]:
    found = table.get(code)
    return found[1] if found is not None else _NONE


DEFAULT_TERMINOLOGY: Terminology = Terminology(CORE_VALUE_SETS)
"""Terminology holding :data:`CORE_VALUE_SETS`; plugins derive from it."""
