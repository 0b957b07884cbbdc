"""MedicationRequest, MedicationStatement -> medications; AllergyIntolerance -> allergies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herniarules.fhir._base import (
    ATC,
    RXNORM,
    Note,
    codings,
    concept_text,
    one_line,
    parse_day,
    status_code,
)
from herniarules.fhir._reading import (
    NOT_A_DIAGNOSIS,
    Reading,
    Source,
    list_of,
    reference_of,
    split_element,
    term_of,
    text_of,
)
from herniarules.model import (
    Allergy,
    Medication,
)
from herniarules.vocabulary import (
    Substance,
    check_atc,
    classify_medication,
    ingredient_atc,
)

MED_REQUEST_CURRENT = frozenset({"active", "on-hold", "draft", "unknown"})


MED_STATEMENT_CURRENT = frozenset({"active", "intended", "on-hold", "unknown"})


_BEE_WORDS: tuple[tuple[str, Substance], ...] = (
    ("royal jelly", Substance.ROYAL_JELLY),
    ("propolis", Substance.PROPOLIS),
    ("bee venom", Substance.BEE_VENOM),
    ("bee sting", Substance.BEE_VENOM),
    ("bee pollen", Substance.BEE_POLLEN),
    ("beeswax", Substance.BEESWAX),
    ("honey", Substance.HONEY),
    ("bee product", Substance.BEE_PRODUCTS),
)


def _medication_concept(
    source: Source, index: Mapping[str, Source]
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, str]:
    """Return the medication's CodeableConcept, its Medication resource (when it refers to
    one), and the element they were read from."""
    resource, name = source.resource, source.name
    if "medicationCodeableConcept" in resource:
        return resource["medicationCodeableConcept"], None, f"{name}.medicationCodeableConcept"
    ref = reference_of(resource.get("medicationReference"))
    if ref is None:
        return None, None, f"{name}.medication[x]"
    if ref.startswith("#"):
        for contained in list_of(resource.get("contained")):
            if (type(contained) is dict or isinstance(contained, Mapping)) and contained.get(
                "id"
            ) == ref[1:]:
                return contained.get("code"), contained, f"{name}.contained[{ref}].code"
        return None, None, f"{name}.medicationReference"
    target = index.get(ref)
    if target is None:
        tail = "/".join(ref.rsplit("/", 2)[-2:])
        target = index.get(tail)
    if target is None:
        return None, None, f"{name}.medicationReference"
    element = f"{name}.medicationReference ({target.name}.code)"
    return target.resource.get("code"), target.resource, element


def _ingredient_texts(medication: Mapping[str, Any] | None) -> list[str]:
    """Return the names of a Medication's ``ingredient[].itemCodeableConcept``."""
    if medication is None:
        return []
    names = []
    for ingredient in list_of(medication.get("ingredient")):
        if type(ingredient) is dict or isinstance(ingredient, Mapping):
            words = concept_text(ingredient.get("itemCodeableConcept"))
            if words is None:
                return []  # an ingredient without a name: the list is not complete
            names.append(words.lower())
    return names


def _ingredients(words: str) -> list[str]:
    """Return the ingredient names of an RxNorm name: the words before the strength."""
    names = []
    for part in words.split(" / "):
        tokens = []
        for token in part.split():
            if token[:1].isdigit():
                break
            tokens.append(token)
        if tokens:
            names.append(" ".join(tokens).lower())
    return names


def read_medication(
    source: Source, reading: Reading, index: Mapping[str, Source], current: frozenset[str]
) -> None:
    resource, path, name = source.resource, source.path, source.name
    status = text_of(resource.get("status"))
    if status not in current:
        reading.ignored.append(Note(name, "status", f"{status}: not taken now"))
        return
    started = parse_day(resource.get("authoredOn"))
    if started is None:
        period = resource.get("effectivePeriod")
        started = parse_day(
            period.get("start")
            if (type(period) is dict or isinstance(period, Mapping))
            else resource.get("effectiveDateTime")
        )
    if started is not None and started[0] > reading.as_of:
        reading.ignored.append(
            Note(name, "", f"started {started[0].isoformat()}, after the assessment day")
        )
        return
    concept, medication_resource, element = _medication_concept(source, index)
    atc: str | None = None
    for k, coding in enumerate(codings(concept)):
        if coding.get("system") == ATC and isinstance(coding.get("code"), str):
            try:
                check_atc(coding["code"])
            except ValueError as exc:
                reading.problems.add(f"{path}.medicationCodeableConcept.coding[{k}].code", str(exc))
                return
            atc = coding["code"]
    words = concept_text(concept)
    if words is None:
        display = reference_of(resource.get("medicationReference")) or "(no name)"
        words = f"medication {display}"
    names = _ingredients(words) if any(c.get("system") == RXNORM for c in codings(concept)) else []
    known = bool(names) and all(ingredient_atc(n) is not None for n in names)
    if not known:
        texts = _ingredient_texts(medication_resource)
        if texts:
            names = texts
            known = all(ingredient_atc(n) is not None for n in names)
    made: list[Medication] = []
    if known:
        made = [Medication(name=n) for n in names]
        if atc is not None:
            made[0] = Medication(name=names[0], atc=atc)
    else:
        made = [Medication(name=one_line(words), atc=atc)]
    for medication in made:
        reading.medications.append((medication, element))
        if classify_medication(medication) is None:
            reading.unclassified.append(
                Note(*split_element(element), f"medication {words!r}: its class cannot be told")
            )


def _substance(words: str) -> Substance:
    folded = " ".join(words.lower().split())
    for candidate in (folded, folded.replace(" ", "-")):
        found = term_of(Substance, candidate)
        if found is not None:
            return found
    for word, substance in _BEE_WORDS:
        if word in folded:
            return substance
    if "latex" in folded:
        return Substance.LATEX
    return Substance.OTHER


def read_allergy(source: Source, reading: Reading) -> None:
    resource, name = source.resource, source.name
    clinical = status_code(
        resource.get("clinicalStatus"),
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
    )
    if clinical in ("inactive", "resolved"):
        reading.ignored.append(Note(name, "clinicalStatus", f"{clinical}: not current"))
        return
    verification = status_code(
        resource.get("verificationStatus"),
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
    )
    if verification in NOT_A_DIAGNOSIS:
        reading.ignored.append(Note(name, "verificationStatus", f"{verification}: not an allergy"))
        return
    texts = [concept_text(resource.get("code"))]
    texts += [c.get("display") for c in codings(resource.get("code"))]
    words = [t for t in texts if isinstance(t, str) and t.strip()]
    if not words:
        reading.problems.add(
            f"{source.path}.code", "an AllergyIntolerance needs a coded or named substance"
        )
        return
    substance = Substance.OTHER
    for text in words:
        substance = _substance(text)
        if substance is not Substance.OTHER:
            break
    display = None if substance is not Substance.OTHER else one_line(words[0])
    reading.allergies.append((Allergy(substance, display=display), f"{name}.code"))
