"""What the readers of each resource type share: a resource with where it is, what is read
for one patient, and small readers of FHIR elements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from herniarules.fhir._base import (
    Freshness,
    Note,
    Problems,
    parse_day,
)
from herniarules.model import (
    Allergy,
    Condition,
    Hernia,
    Medication,
    Surgery,
)
from herniarules.vocabulary import (
    Site,
    Substance,
)

#: Verification codes that mean a record is not the patient's at all (a refuted diagnosis or
#: allergy, or one entered in error): it is left out, with a note.
NOT_A_DIAGNOSIS = frozenset({"refuted", "entered-in-error"})


class Source:
    """One resource of the input, with where it is."""

    __slots__ = ("full_url", "name", "path", "resource", "type")

    def __init__(self, resource: Mapping[str, Any], path: str, full_url: str | None) -> None:
        self.resource = resource
        self.path = path
        self.full_url = full_url
        kind = resource.get("resourceType")
        self.type: str = kind if isinstance(kind, str) else ""
        rid = resource.get("id")
        if isinstance(rid, str) and rid:
            self.name = f"{self.type}/{rid}"
        elif isinstance(full_url, str) and full_url:
            self.name = full_url
        else:
            self.name = f"{self.type}@{path}"


class Reading:
    """What the reader collects for one patient, before the Patient is built."""

    def __init__(self, as_of: date, freshness: Freshness) -> None:
        self.as_of = as_of
        self.freshness = freshness
        self.problems = Problems()
        self.provenance: dict[str, str] = {}
        self.unclassified: list[Note] = []
        self.ignored: list[Note] = []
        self.skipped: dict[str, int] = {}
        self.conditions: list[tuple[Condition, dict[str, str]]] = []
        self.hernias: list[tuple[Hernia, dict[str, str]]] = []
        self.medications: list[tuple[Medication, str]] = []
        self.allergies: list[tuple[Allergy, str]] = []
        self.surgeries: list[tuple[Surgery, str]] = []
        # kind -> candidates (day, value, element)
        self.observed: dict[str, list[tuple[date, Any, str]]] = {}

    def observe(self, kind: str, day: date, value: Any, element: str) -> None:
        self.observed.setdefault(kind, []).append((day, value, element))

    def latest(self, kind: str, days: int) -> tuple[Any, str] | None:
        """Return the latest value of ``kind`` within ``days`` before the assessment day.

        Values of the same day: the highest, so that a worse reading is never hidden.
        Older values are left out with a note.
        """
        found = self.observed.get(kind)
        if not found:
            return None
        fresh = [c for c in found if 0 <= (self.as_of - c[0]).days <= days]
        for day, _value, element in found:
            if (self.as_of - day).days > days:
                self.ignored.append(
                    Note(*split_element(element), f"{day.isoformat()} is older than {days} days")
                )
        if not fresh:
            return None
        newest = max(c[0] for c in fresh)
        same = [c for c in fresh if c[0] == newest]
        best = max(same, key=lambda c: (c[1] is not None, c[1] if c[1] is not None else 0))
        return best[1], best[2]


def split_element(element: str) -> tuple[str, str]:
    """Split ``Type/id.path`` into the resource and the element path."""
    head, _, rest = element.partition(".")
    if "/" not in head:  # a fullUrl such as urn:uuid:... has dots of its own
        return element, ""
    return head, rest


def reference_of(value: object) -> str | None:
    if type(value) is dict or isinstance(value, Mapping):
        ref = value.get("reference")
        if isinstance(ref, str):
            return ref
    return None


def text_of(value: object) -> str | None:
    """Return ``value`` if it is a string (a code), else ``None``."""
    return value if isinstance(value, str) else None


def list_of(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def first_day(resource: Mapping[str, Any], prefix: str) -> date | None:
    span = parse_day(resource.get(f"{prefix}DateTime"))
    if span is None:
        period = resource.get(f"{prefix}Period")
        if type(period) is dict or isinstance(period, Mapping):
            span = parse_day(period.get("start"))
    return span[0] if span is not None else None


def extension_of(resource: Mapping[str, Any], url: str) -> tuple[int, Mapping[str, Any]] | None:
    for index, extension in enumerate(list_of(resource.get("extension"))):
        if (type(extension) is dict or isinstance(extension, Mapping)) and extension.get(
            "url"
        ) == url:
            return index, extension
    return None


T = TypeVar("T", Site, Substance)


def term_of(kind: type[T], word: str) -> T | None:
    """Return the member of a vocabulary ``word`` names (value or synonym), or ``None``.

    A lookup, not :meth:`~herniarules.vocabulary.Term.parse`: a word that names nothing is
    common here (free text from an EHR), and the parse error's close-match search is costly.
    """
    found = kind.synonyms().get(word) or kind._value2member_map_.get(word)
    return found if isinstance(found, kind) else None
