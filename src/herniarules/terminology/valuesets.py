"""Concepts and value-set definitions: which ICD-10 codes express which clinical concept.

A :class:`ValueSet` is a *definition* in the manner of a FHIR ``ValueSet.compose``: a list of
:class:`CodeRange` lines, each including (or, with ``exclude=True``, excluding) a code, a
category with all its descendants, or a range of categories, in one or both code systems, each
with the reason for it and, where it differs from the set's, its own severity tier and body
site. Where several lines of one set contain a code, the *narrowest* line decides (the one
that contains the fewest codes of the system): so ``F00–F99`` may say "contraindicated" while
``F51`` inside it says "requires clearance", and an ``exclude`` line cuts a sub-tree out of a
wider include. Lines are compared on normalized codes by prefix semantics: the range
``C00–C97`` contains ``C34.1`` because ``C34`` lies between its bounds.

The definitions are expanded against the maintained ICD-10 libraries into the code table the
package ships (:mod:`herniarules.terminology.table`); every bound of every line must be a code
that exists in each system the line names.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

import attrs

from herniarules.outcomes import Outcome
from herniarules.terminology.codes import CodeSystem, dotted, normalize_code

__all__ = ["BOTH_SYSTEMS", "CodeRange", "Concept", "ValueSet"]


class Concept(enum.StrEnum):
    """Clinical concepts named by the source; values are stable kebab-case identifiers."""

    MALIGNANCY = "malignancy"
    THROMBOSIS_TENDENCY = "thrombosis-tendency"
    BLOOD_DISEASE = "blood-disease"
    HEART_DYSFUNCTION = "heart-dysfunction"
    OSTEOMYELITIS = "osteomyelitis"
    BONE_TUBERCULOSIS = "bone-tuberculosis"
    PSYCHIATRIC_DISORDER = "psychiatric-disorder"
    VARICOSE_VEINS = "varicose-veins"
    PURULENT_SKIN_RASH = "purulent-skin-rash"
    SKIN_PATHOLOGY = "skin-pathology"
    URTICARIA_OEDEMA = "urticaria-oedema"
    INFECTIOUS_DISEASE = "infectious-disease"
    DIGESTIVE_DISORDER = "digestive-disorder"
    HYPERTENSION = "hypertension"
    HYPERTENSION_ORGAN_DAMAGE = "hypertension-organ-damage"
    PREGNANCY = "pregnancy"
    FEVER = "fever"
    INFLAMMATORY_PROCESS = "inflammatory-process"
    CHRONIC_EXACERBATION = "chronic-disease-exacerbation"
    """A code whose meaning is an exacerbation of a chronic disease (COPD with acute
    exacerbation, J44.1)."""
    ANTICOAGULANT_THERAPY = "anticoagulant-therapy"
    ANTIPLATELET_THERAPY = "antiplatelet-therapy"
    THROMBOLYTIC_THERAPY = "thrombolytic-therapy"
    HONEY_ALLERGY = "honey-allergy"
    DISC_HERNIA = "disc-hernia"
    """The condition the SDK is about (an indication, not a contraindication)."""


BOTH_SYSTEMS: frozenset[CodeSystem] = frozenset(CodeSystem)
_CONCEPT_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_ID_RE = re.compile(r"[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*(?:\.[a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*)+")
_SITE_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def _systems(value: Iterable[CodeSystem]) -> frozenset[CodeSystem]:
    return frozenset(CodeSystem(system) for system in value)


def _tier(value: Outcome | None) -> Outcome | None:
    if value is None or type(value) is Outcome:
        return value
    if isinstance(value, str):
        return Outcome.from_label(value)
    raise TypeError(f"tier must be an Outcome, got {type(value).__name__}")


def _site(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and not (isinstance(value, str) and _SITE_RE.fullmatch(value)):
        raise ValueError(f"site must be a kebab-case body-site id such as 'legs', got {value!r}")


@attrs.frozen
class CodeRange:
    """One line of a value set: an inclusive range of ICD-10 codes, with its reason.

    ``CodeRange("C00", "C97")`` contains ``"C341"``, ``"C97"`` and ``"C00"``;
    ``CodeRange("M86")`` (``end`` defaults to ``start``) contains ``"M86"``, ``"M861"`` and
    ``"M8617"``. Bounds are normalized on construction. ``systems`` lists the code systems in
    which the line applies (default: both). ``exclude`` makes the line cut its codes out of the
    value set; ``tier`` (default: the value set's) says how severe the codes are for the
    concept; ``site`` names the body site the codes imply (``I83`` varicose veins of lower
    extremities: ``legs``).
    """

    start: str = attrs.field(converter=normalize_code)
    """First code of the range (normalized)."""
    end: str = attrs.field(
        converter=normalize_code,
        default=attrs.Factory(lambda self: self.start, takes_self=True),
    )
    """Last code of the range (normalized); defaults to ``start``."""
    systems: frozenset[CodeSystem] = attrs.field(default=BOTH_SYSTEMS, converter=_systems)
    """Code systems in which the line applies."""
    exclude: bool = attrs.field(default=False, kw_only=True)
    """Whether the line removes its codes from the value set instead of adding them."""
    tier: Outcome | None = attrs.field(default=None, kw_only=True, converter=_tier)
    """Severity of these codes for the concept; ``None`` takes the value set's tier."""
    site: str | None = attrs.field(default=None, kw_only=True, validator=_site)
    """Body site the codes imply, from :class:`herniarules.vocabulary.Site`."""
    reason: str = attrs.field(default="", kw_only=True)
    """Why the line is there, for the audit and the docs."""

    def __attrs_post_init__(self) -> None:
        """Reject ranges whose start sorts after their end, and empty ``systems``."""
        if self.start[: len(self.end)] > self.end:
            raise ValueError(f"code range start {self.start!r} sorts after end {self.end!r}")
        if not self.systems:
            raise ValueError("a code range must apply to at least one code system")
        if self.exclude and (self.tier is not None or self.site is not None):
            raise ValueError(f"exclude line {self.render()} cannot carry a tier or a site")

    def contains(self, normalized_code: str) -> bool:
        """Return whether the normalized code lies in this range."""
        return (
            normalized_code[: len(self.start)] >= self.start
            and normalized_code[: len(self.end)] <= self.end
        )

    def render(self) -> str:
        """Return the range in conventional spelling: ``"C00–C97"`` or ``"M86"``."""
        first, last = dotted(self.start), dotted(self.end)
        return first if first == last else f"{first}–{last}"


def _concept(value: str) -> str:
    text = str(value)
    if not _CONCEPT_RE.fullmatch(text):
        raise ValueError(f"concept {text!r} must be kebab-case, e.g. 'bone-tuberculosis'")
    return text


def _value_set_id(value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise ValueError(f"value set id {value!r} must look like '<plugin>.<name>'")
    return value


def _code_tuple(value: Iterable[CodeRange]) -> tuple[CodeRange, ...]:
    return tuple(value)


def _non_empty(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


def _outcome(value: Outcome) -> Outcome:
    tier = _tier(value)
    if tier is None:
        raise TypeError("tier must be an Outcome")
    return tier


@attrs.frozen
class ValueSet:
    """Definition of the ICD-10 codes that express one concept.

    ``concept`` is a :class:`Concept` value or a plugin's own kebab-case concept id; ``source``
    quotes the passage of the clinical source the set implements, or explains the clinical
    convention behind it; ``id`` is ``"core.<name>"`` for the built-in sets and
    ``"<plugin>.<name>"`` for a plugin's. ``tier`` is the severity of the set's codes where a
    line does not say otherwise, and the severity of a condition recorded by concept alone.
    ``history_tier`` is the severity of a condition of this concept that is no longer active
    (remission, resolved, inactive); ``None`` means such conditions do not count.
    """

    concept: str = attrs.field(converter=_concept)
    """Concept the codes express."""
    title: str = attrs.field(validator=_non_empty)
    """Human-readable title."""
    codes: tuple[CodeRange, ...] = attrs.field(converter=_code_tuple)
    """Lines making up the set (at least one including line)."""
    source: str = attrs.field(validator=_non_empty)
    """Quoted source passage or ``clinical convention: ...`` explanation."""
    id: str = attrs.field(converter=_value_set_id)
    """Unique identifier, e.g. ``core.malignancy``."""
    tier: Outcome = attrs.field(default=Outcome.CONTRAINDICATED, kw_only=True, converter=_outcome)
    """Severity of the set's codes where a line does not give its own."""
    history_tier: Outcome | None = attrs.field(default=None, kw_only=True, converter=_tier)
    """Severity of a condition of this concept that is in remission, resolved or inactive."""

    @codes.validator
    def _check_codes(
        self, _attribute: attrs.Attribute[tuple[CodeRange, ...]], value: tuple[CodeRange, ...]
    ) -> None:
        if not all(isinstance(item, CodeRange) for item in value):
            raise TypeError("value set codes must be CodeRange instances")
        if not any(not item.exclude for item in value):
            raise ValueError(f"value set {self.concept!r} must contain at least one code range")

    @property
    def strictest_tier(self) -> Outcome:
        """Return the most severe tier any line of the set gives."""
        return max((self.tier, *(line.tier for line in self.codes if line.tier is not None)))
