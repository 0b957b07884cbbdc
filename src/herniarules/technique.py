"""What a technique plugin declares: :class:`Technique`."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from herniarules.model import CONCEPT_ID_PATTERN, TECHNIQUE_ID_PATTERN
from herniarules.vocabulary import Indication, Site

__all__ = ["Technique"]


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


def _parameters(instance: Technique, attribute: attrs.Attribute[object], value: object) -> None:
    if value is not None and not attrs.has(type(value)):
        raise ValueError(
            f"technique {instance.id!r}: parameters must be an attrs instance, got {value!r}"
        )


@attrs.frozen
class Technique:
    """A massage technique a plugin provides.

    ``parameters`` is an instance of the plugin's own frozen attrs class holding the session
    parameters with defaults from the source; a clinic passes a stricter instance to the engine.
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

    def treats(self, site: Site) -> bool:
        """Return whether ``site`` overlaps the technique's area."""
        return any(part.covers(site) or site.covers(part) for part in self.area)
