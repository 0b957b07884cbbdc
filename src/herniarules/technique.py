"""What a technique plugin declares: :class:`Technique`, with its protocol builder.

A plugin registers technique objects; each carries the functions the engine calls per
patient: :attr:`Technique.protocol`, which builds the session protocol, and optionally
:attr:`Technique.plan_course`, which lays out a course. A protocol builder sees only the
facts it declares in :attr:`Technique.reads`, through a :class:`ProtocolFacts`; reading
any other raises, so the engine can reuse a protocol for every patient whose declared facts
are equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from herniarules.model import CONCEPT_ID_PATTERN, TECHNIQUE_ID_PATTERN
from herniarules.vocabulary import Indication, Site

if TYPE_CHECKING:
    from herniarules.courses import CoursePlan
    from herniarules.facts import Facts
    from herniarules.outcomes import Protocol
    from herniarules.safety import Policy

__all__ = ["CoursePlanner", "ProtocolBuilder", "ProtocolFacts", "Technique"]

#: ``builder(facts, parameters) -> Protocol``: the session protocol for a permitted patient.
ProtocolBuilder: TypeAlias = "Callable[[ProtocolFacts, Any], Protocol]"
#: ``planner(facts, parameters, protocol, start, policy) -> CoursePlan``: a dated course.
CoursePlanner: TypeAlias = "Callable[[Facts, Any, Protocol, date, Policy], CoursePlan]"


class ProtocolFacts:
    """The facts a protocol builder declared, and only those.

    Reading a declared fact gives its value (``facts.hernia_regions``); reading any other
    raises :class:`AttributeError` naming the technique and what it declares, so a builder
    cannot depend on a value its declaration leaves out.
    """

    __slots__ = ("_technique", "_values")

    def __init__(self, technique: str, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_technique", technique)
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        try:
            return values[name]
        except KeyError:
            technique = object.__getattribute__(self, "_technique")
            declared = ", ".join(sorted(values)) or "none"
            raise AttributeError(
                f"the protocol of {technique!r} reads facts.{name}, which its Technique.reads "
                f"does not declare (declared: {declared})"
            ) from None

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"can't set attribute {name!r}: ProtocolFacts is read-only")

    def __reduce__(self) -> tuple[type[ProtocolFacts], tuple[str, dict[str, Any]]]:
        # Copies and pickles are built through __init__, as __setattr__ refuses.
        return (
            ProtocolFacts,
            (object.__getattribute__(self, "_technique"), object.__getattribute__(self, "_values")),
        )

    def __dir__(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_values"))

    def __repr__(self) -> str:
        values = object.__getattribute__(self, "_values")
        inner = ", ".join(f"{k}={v!r}" for k, v in sorted(values.items()))
        return f"ProtocolFacts({inner})"


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _technique_id(instance: Technique, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not TECHNIQUE_ID_PATTERN.match(value):
        raise ValueError(
            f"technique id must be lower-case letters, digits and '-' (at most 40), got {value!r}"
        )


def _text(instance: Technique, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"technique {instance.id!r}: {attribute.name} must be non-empty text")


def _indications(
    instance: Technique, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    for item in value:
        if not isinstance(item, str) or not CONCEPT_ID_PATTERN.match(item):
            raise ValueError(f"technique {instance.id!r}: bad indication {item!r}")
        try:
            Indication.parse(item)
        except ValueError as exc:
            raise ValueError(f"technique {instance.id!r}: {exc}") from None


def _area(values: Iterable[Site | str]) -> frozenset[Site]:
    if isinstance(values, str):
        raise TypeError("area must be a collection of sites, not one string")
    return frozenset(value if type(value) is Site else Site.parse(value) for value in values)


def _non_empty_area(
    instance: Technique, attribute: attrs.Attribute[frozenset[Site]], value: frozenset[Site]
) -> None:
    if not value:
        raise ValueError(f"technique {instance.id!r}: area must name at least one site")


def _callable(instance: Technique, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "plan_course":
        return
    if not callable(value):
        raise ValueError(
            f"technique {instance.id!r}: {attribute.name} must be a function, got {value!r}"
        )


def _reads(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError("reads must be a collection of fact names, not one string")
    return tuple(sorted(set(values)))


def _known_facts(
    instance: Technique, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    from herniarules.facts import Facts  # facts imports the model, as this module does

    known = {field.name for field in attrs.fields(Facts)}
    unknown = [name for name in value if name not in known]
    if unknown:
        raise ValueError(
            f"technique {instance.id!r}: reads names unknown facts {', '.join(unknown)}; "
            f"facts are: {', '.join(sorted(known))}"
        )


def _parameters(instance: Technique, attribute: attrs.Attribute[object], value: object) -> None:
    if value is not None and not attrs.has(type(value)):
        raise ValueError(
            f"technique {instance.id!r}: parameters must be an attrs instance, got {value!r}"
        )


@attrs.frozen
class Technique:
    """A massage technique a plugin provides, with the functions that plan it.

    ``parameters`` is an instance of the plugin's own frozen attrs class holding the session
    parameters with defaults from the source; a clinic passes a stricter instance to the engine.
    ``protocol`` builds the session protocol for a patient the technique is permitted for, from
    the facts named in ``reads`` and the parameters; ``plan_course``, if given, lays out the
    dated sessions of a course (otherwise the engine's default plan is used).
    """

    id: str = attrs.field(validator=_technique_id)
    name: str = attrs.field(validator=_text)
    description: str = attrs.field(validator=_text)
    source: str = attrs.field(validator=_text)
    """The passage of the clinical source that describes the technique."""
    indications: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=_indications
    )
    """What the technique is for (``compression``, ``muscle-weakness``, ``circulation``)."""
    parameters: object = attrs.field(default=None, validator=_parameters)
    variant_of: str | None = None
    """Id of the technique this one is a variant of (traction is a variant of classic)."""
    area: frozenset[Site] = attrs.field(
        default=frozenset({Site.WHOLE_BODY}), converter=_area, validator=_non_empty_area
    )
    """The body sites the technique works on. A local contraindication (a rule with
    ``local=True``, such as varicose veins of the legs) whose sites all lie outside it lets the
    technique go ahead with those sites avoided. The default, the whole body, keeps every
    local contraindication blocking."""
    protocol: ProtocolBuilder = attrs.field(kw_only=True, validator=_callable)
    """``protocol(facts, parameters) -> Protocol``, called per permitted patient with a
    :class:`ProtocolFacts` holding the facts in :attr:`reads`; equal declared facts (and
    equal parameters) give the protocol already built."""
    reads: tuple[str, ...] = attrs.field(
        default=(), kw_only=True, converter=_reads, validator=_known_facts
    )
    """The names of the :class:`~herniarules.facts.Facts` fields the protocol builder reads."""
    plan_course: CoursePlanner | None = attrs.field(default=None, kw_only=True, validator=_callable)
    """``plan_course(facts, parameters, protocol, start, policy) -> CoursePlan``, or ``None``
    for the engine's default plan (one session a day, the protocol's longest session, its
    fewest sessions). The clinic's course break is applied to whatever it returns."""

    def treats(self, site: Site) -> bool:
        """Return whether ``site`` overlaps the technique's area."""
        return any(part.covers(site) or site.covers(part) for part in self.area)
