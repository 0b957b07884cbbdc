"""Observation -> vital signs, pregnancy status and the inflammatory-process finding."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from herniarules.fhir import extensions as ext
from herniarules.fhir._base import (
    LOINC,
    SNOMED,
    Note,
    codings,
    concept_text,
    has_code,
    number,
    parse_day,
    shown,
    status_code,
)
from herniarules.fhir._reading import (
    Reading,
    Source,
    list_of,
    split_element,
    text_of,
)

# LOINC codes read from Observations.
_BP_PANELS = frozenset({"85354-9", "55284-4"})


_SYSTOLIC = frozenset({"8480-6"})


_DIASTOLIC = frozenset({"8462-4"})


#: Body temperature and its site-specific codes (oral, rectal, tympanic, axillary).
_TEMPERATURE = frozenset({"8310-5", "8331-1", "8332-9", "8333-7", "8328-7"})


_PAIN = frozenset({"72514-3"})


_INFLAMMATORY = frozenset({"inflammatory-process"})


_PREGNANCY = frozenset({"82810-3"})


_PREGNANCY_ANSWERS: Mapping[str, bool | None] = {
    "77386006": True,  # Pregnant
    "60001007": False,  # Not pregnant
    "261665006": None,  # Unknown
}


_LOINC_KINDS: Mapping[str, str] = {
    **{code: "bp" for code in _BP_PANELS},
    **{code: "systolic" for code in _SYSTOLIC},
    **{code: "diastolic" for code in _DIASTOLIC},
    **{code: "temperature" for code in _TEMPERATURE},
    **{code: "pain" for code in _PAIN},
    **{code: "pregnancy" for code in _PREGNANCY},
}


#: A panel is read before its parts; one Observation is read as one kind.
_KIND_ORDER = ("bp", "inflammatory", "systolic", "diastolic", "temperature", "pain", "pregnancy")


_OBSERVATION_IGNORED_STATUS = frozenset({"cancelled", "entered-in-error", "registered"})


_MMHG = frozenset({"mm[Hg]", "mmHg"})


def _effective(resource: Mapping[str, Any]) -> tuple[date | None, str]:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in resource:
            span = parse_day(resource[key])
            return (span[0] if span and span[0] == span[1] else None), key
    period = resource.get("effectivePeriod")
    if type(period) is dict or isinstance(period, Mapping):
        for key in ("end", "start"):
            span = parse_day(period.get(key))
            if span is not None:
                return (span[0] if span[0] == span[1] else None), f"effectivePeriod.{key}"
    span = parse_day(resource.get("issued"))
    return (span[0] if span and span[0] == span[1] else None), "issued"


def read_observation(source: Source, reading: Reading) -> None:
    resource, path, name = source.resource, source.path, source.name
    kinds: list[str] = []
    for coding in codings(resource.get("code")):
        system = coding.get("system")
        if system == LOINC:
            kind = _LOINC_KINDS.get(text_of(coding.get("code")) or "")
            if kind is not None:
                kinds.append(kind)
        elif system == ext.FINDINGS and text_of(coding.get("code")) in _INFLAMMATORY:
            kinds.append("inflammatory")
    kinds.sort(key=_KIND_ORDER.index)
    if not kinds:
        reading.skipped["Observation (not read)"] = (
            reading.skipped.get("Observation (not read)", 0) + 1
        )
        return
    status = text_of(resource.get("status"))
    if status in _OBSERVATION_IGNORED_STATUS:
        reading.ignored.append(Note(name, "status", f"{status}: not a result"))
        return
    day, date_key = _effective(resource)
    if day is None:
        reading.ignored.append(Note(name, date_key, "no effective day: its freshness is unknown"))
        return
    if day > reading.as_of:
        reading.ignored.append(
            Note(name, date_key, f"{day.isoformat()} is after the assessment day")
        )
        return
    kind = kinds[0]
    if kind == "bp":
        for index, component in enumerate(list_of(resource.get("component"))):
            if not (type(component) is dict or isinstance(component, Mapping)):
                continue
            for part, codes in (("systolic", _SYSTOLIC), ("diastolic", _DIASTOLIC)):
                if has_code(component.get("code"), LOINC, codes) is not None:
                    _quantity_mmhg(
                        component,
                        f"{path}.component[{index}]",
                        f"{name}.component[{index}]",
                        part,
                        day,
                        reading,
                    )
        return
    if kind in ("systolic", "diastolic"):
        _quantity_mmhg(resource, path, name, kind, day, reading)
    elif kind == "temperature":
        _temperature(resource, path, name, day, reading)
    elif kind == "pain":
        _pain(resource, path, name, day, reading)
    elif kind == "inflammatory":
        flag = resource.get("valueBoolean")
        if flag is not True and flag is not False:
            reading.problems.add(
                f"{path}.valueBoolean", f"must be true or false, got {shown(flag)}"
            )
            return
        reading.observe("inflammatory", day, flag, f"{name}.valueBoolean")
    else:
        _pregnancy(resource, path, name, day, reading)


def _absent(element: Mapping[str, Any], name: str, reading: Reading, what: str) -> bool:
    if "dataAbsentReason" in element and "valueQuantity" not in element:
        reason = concept_text(element["dataAbsentReason"]) or status_code(
            element["dataAbsentReason"], "http://terminology.hl7.org/CodeSystem/data-absent-reason"
        )
        reading.ignored.append(
            Note(
                *split_element(f"{name}.dataAbsentReason"),
                f"{what} absent ({reason}): not recorded",
            )
        )
        return True
    return False


def _quantity(
    element: Mapping[str, Any], path: str, reading: Reading, units: frozenset[str], expected: str
) -> tuple[float, str] | None:
    quantity = element.get("valueQuantity")
    if not (type(quantity) is dict or isinstance(quantity, Mapping)):
        got = next((k for k in element if k.startswith("value")), None)
        reading.problems.add(
            f"{path}.valueQuantity", f"expected a Quantity in {expected}, got {got or 'no value'}"
        )
        return None
    value = number(quantity.get("value"))
    if value is None:
        reading.problems.add(
            f"{path}.valueQuantity.value", f"must be a number, got {shown(quantity.get('value'))}"
        )
        return None
    key = "code" if "code" in quantity else "unit"
    unit = quantity.get(key)
    if not isinstance(unit, str) or unit not in units:
        reading.problems.add(
            f"{path}.valueQuantity.{key}", f"expected {expected}, got {shown(unit)}"
        )
        return None
    return value, str(unit)


def _quantity_mmhg(
    element: Mapping[str, Any], path: str, name: str, kind: str, day: date, reading: Reading
) -> None:
    if _absent(element, name, reading, f"{kind} blood pressure"):
        return
    found = _quantity(element, path, reading, _MMHG, "mm[Hg]")
    if found is not None:
        reading.observe(kind, day, math.floor(found[0] + 0.5), f"{name}.valueQuantity")


def _temperature(
    element: Mapping[str, Any], path: str, name: str, day: date, reading: Reading
) -> None:
    if _absent(element, name, reading, "temperature"):
        return
    found = _quantity(element, path, reading, frozenset({"Cel", "[degF]"}), "Cel or [degF]")
    if found is None:
        return
    value, unit = found
    celsius = value if unit == "Cel" else (value - 32) * 5 / 9
    reading.observe("temperature", day, round(celsius, 2), f"{name}.valueQuantity")


def _pain(element: Mapping[str, Any], path: str, name: str, day: date, reading: Reading) -> None:
    # A fractional score is rounded up: pain never counts as less than recorded.
    if "valueInteger" in element:
        value = element["valueInteger"]
        if isinstance(value, bool) or not isinstance(value, int):
            reading.problems.add(
                f"{path}.valueInteger", f"must be a whole number, got {shown(value)}"
            )
            return
        reading.observe("pain", day, value, f"{name}.valueInteger")
        return
    if "valueQuantity" in element:
        found = _quantity(element, path, reading, frozenset({"{score}", "1"}), "{score}")
        if found is not None:
            reading.observe("pain", day, math.ceil(found[0]), f"{name}.valueQuantity")
        return
    if "valueCodeableConcept" in element:
        answer = element["valueCodeableConcept"]
        words = [concept_text(answer) or ""]
        words += [str(c.get("display", "")) for c in codings(answer)]
        for word in words:
            if word.strip().isdigit():
                reading.observe("pain", day, int(word.strip()), f"{name}.valueCodeableConcept")
                return
        reading.problems.add(
            f"{path}.valueCodeableConcept",
            "expected an answer whose display is a score from 0 to 10",
        )
        return
    if _absent(element, name, reading, "pain score"):
        return
    reading.problems.add(
        f"{path}.value[x]", "expected valueInteger, valueQuantity {score} or valueCodeableConcept"
    )


def _pregnancy(
    element: Mapping[str, Any], path: str, name: str, day: date, reading: Reading
) -> None:
    if _absent(element, name, reading, "pregnancy status"):
        return
    answer = element.get("valueCodeableConcept")
    index = has_code(answer, SNOMED, frozenset(_PREGNANCY_ANSWERS))
    if index is None:
        allowed = "77386006 Pregnant, 60001007 Not pregnant, 261665006 Unknown"
        reading.problems.add(
            f"{path}.valueCodeableConcept", f"expected a SNOMED CT answer: {allowed}"
        )
        return
    code = codings(answer)[index]["code"]
    reading.observe(
        "pregnancy", day, _PREGNANCY_ANSWERS[code], f"{name}.valueCodeableConcept.coding[{index}]"
    )
