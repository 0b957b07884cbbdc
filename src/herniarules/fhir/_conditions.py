"""Condition -> herniarules conditions and hernias."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from herniarules.errors import ModelError
from herniarules.fhir import extensions as ext
from herniarules.fhir._base import (
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    ICD10,
    ICD10_CM,
    SNOMED,
    Note,
    codings,
    concept_text,
    number,
    one_line,
    shown,
    status_code,
)
from herniarules.fhir._reading import (
    NOT_A_DIAGNOSIS,
    Reading,
    Source,
    extension_of,
    first_day,
    list_of,
    term_of,
    text_of,
)
from herniarules.fhir.snomed import SNOMED_NOT_A_CONDITION, SNOMED_TO_ICD10_CM
from herniarules.model import (
    ClinicalStatus,
    CodeSystem,
    Condition,
    Hernia,
    HerniaKind,
    Phase,
    Region,
    Verification,
)
from herniarules.terminology import DEFAULT_TERMINOLOGY, Concept
from herniarules.vocabulary import (
    Site,
)

_SYSTEMS = {ICD10: CodeSystem.ICD10, ICD10_CM: CodeSystem.ICD10_CM}


_CLINICAL = {status.value: status for status in ClinicalStatus}


_VERIFIED = {v.value: v for v in Verification}


_LEVEL_TEXT = re.compile(r"\b((?:C|T|L)\d{1,2}(?:-(?:C|T|L)\d{1,2}|-S1)?|S1)\b")


def read_condition(source: Source, reading: Reading) -> None:
    resource, path, name = source.resource, source.path, source.name
    problems = reading.problems
    # verification first: a refuted diagnosis is not the patient's at all
    verification: Verification | None = None
    if "verificationStatus" in resource:
        code = status_code(resource["verificationStatus"], CONDITION_VERIFICATION)
        if code in NOT_A_DIAGNOSIS:
            reading.ignored.append(Note(name, "verificationStatus", f"{code}: not a diagnosis"))
            return
        if code not in _VERIFIED:
            allowed = ", ".join([*_VERIFIED, *sorted(NOT_A_DIAGNOSIS)])
            problems.add(
                f"{path}.verificationStatus.coding",
                f"expected a code of {CONDITION_VERIFICATION}: one of {allowed}, got {shown(code)}",
            )
            return
        verification = _VERIFIED[code]
    status = ClinicalStatus.ACTIVE
    status_from = f"{name}.clinicalStatus"
    if "clinicalStatus" in resource:
        code = status_code(resource["clinicalStatus"], CONDITION_CLINICAL)
        if code not in _CLINICAL:
            allowed = ", ".join(_CLINICAL)
            problems.add(
                f"{path}.clinicalStatus.coding",
                f"expected a code of {CONDITION_CLINICAL}: one of {allowed}, got {shown(code)}",
            )
            return
        status = _CLINICAL[code]
    else:
        abated = first_day(resource, "abatement")
        if abated is not None and abated <= reading.as_of:
            status = ClinicalStatus.RESOLVED
            status_from = f"{name}.abatement[x] (no clinicalStatus: read as resolved)"
        else:
            status_from = f"{name} (no clinicalStatus: read as active)"
    onset = first_day(resource, "onset")
    if onset is not None and onset > reading.as_of:
        reading.ignored.append(
            Note(name, "onset[x]", f"began {onset.isoformat()}, after the assessment day")
        )
        return
    site = _site(resource, path, reading)
    text = concept_text(resource.get("code"))
    display = one_line(text) if text else None
    found = 0
    for index, coding in enumerate(codings(resource.get("code"))):
        system = _SYSTEMS.get(text_of(coding.get("system")) or "")
        if system is None:
            continue
        code = coding.get("code")
        element = f"{path}.code.coding[{index}].code"
        if not isinstance(code, str):
            problems.add(element, f"must be an ICD-10 code, got {shown(code)}")
            continue
        condition = _condition(
            reading, element, status, code, system, display, onset, site, verification
        )
        if condition is None:
            continue
        found += 1
        where = {
            "": name,
            "code": f"{name}.code.coding[{index}]",
            "status": status_from,
        }
        if verification is not None:
            where["verification"] = f"{name}.verificationStatus"
        if site is not None:
            where["site"] = f"{name}.bodySite[0]"
        reading.conditions.append((condition, where))
        if status.is_active:
            _read_hernia(source, reading, condition)
    if found:
        return
    # no ICD-10 coding: a SNOMED CT code the map knows, or unclassified
    for index, coding in enumerate(codings(resource.get("code"))):
        if coding.get("system") != SNOMED:
            continue
        code = text_of(coding.get("code"))
        if code in SNOMED_NOT_A_CONDITION:
            reading.ignored.append(
                Note(
                    name,
                    f"code.coding[{index}]",
                    f"SNOMED CT {code} {SNOMED_NOT_A_CONDITION[str(code)]}: "
                    "a social circumstance, not a disorder",
                )
            )
            return
        target = SNOMED_TO_ICD10_CM.get(code) if isinstance(code, str) else None
        if target is None:
            continue
        condition = _condition(
            reading,
            f"{path}.code.coding[{index}].code",
            status,
            target,
            CodeSystem.ICD10_CM,
            display,
            onset,
            site,
            verification,
            other_code=f"{SNOMED}|{code}",
        )
        if condition is None:
            return
        where = {
            "": name,
            "code": f"{name}.code.coding[{index}] (SNOMED CT {code} read as ICD-10-CM {target})",
            "status": status_from,
        }
        if verification is not None:
            where["verification"] = f"{name}.verificationStatus"
        reading.conditions.append((condition, where))
        if status.is_active:
            _read_hernia(source, reading, condition)
        return
    first = next(
        (
            c
            for c in codings(resource.get("code"))
            if isinstance(c.get("system"), str) and isinstance(c.get("code"), str)
        ),
        None,
    )
    other = f"{first['system']}|{first['code']}" if first is not None else None
    if other is not None and (" " in other or len(other) > 260):
        other = None
    if other is None and display is None:
        problems.add(f"{path}.code", "a Condition needs a code or a text")
        return
    condition = _condition(
        reading,
        f"{path}.code",
        status,
        None,
        CodeSystem.ICD10,
        display,
        onset,
        site,
        verification,
        other_code=other,
    )
    if condition is None:
        return
    reading.conditions.append((condition, {"": name, "code": f"{name}.code"}))
    what = f"coded {other}" if other else "known by its text only"
    reading.unclassified.append(
        Note(name, "code", f"{what}, in no system the SDK reads: {display or '(no text)'}")
    )


def _condition(
    reading: Reading,
    element: str,
    status: ClinicalStatus,
    code: str | None,
    system: CodeSystem,
    display: str | None,
    onset: date | None,
    site: Site | None,
    verification: Verification | None,
    *,
    other_code: str | None = None,
) -> Condition | None:
    try:
        return Condition(
            status=status,
            code=code,
            system=system,
            display=display,
            onset=onset,
            site=site,
            verification=verification,
            other_code=other_code,
        )
    except ModelError as error:
        for problem in error.problems:
            reading.problems.add(element, problem.message)
        return None


def _site(resource: Mapping[str, Any], path: str, reading: Reading) -> Site | None:
    sites = list_of(resource.get("bodySite"))
    if not sites:
        return None
    words = concept_text(sites[0])
    if words is None:
        return None
    for candidate in (words, words.lower(), words.lower().replace(" ", "-")):
        found = term_of(Site, candidate)
        if found is not None:
            return found
    return None  # a site the vocabulary does not name: unknown, so local rules block


_PHASES = {p.value: p for p in Phase}


_KINDS = {k.value: k for k in HerniaKind}


def _read_hernia(source: Source, reading: Reading, condition: Condition) -> None:
    """Read the hernia of a disc-hernia Condition from its extensions and body site."""
    assert condition.code is not None
    _normalized, _display, found = DEFAULT_TERMINOLOGY.resolve(condition.code, condition.system)
    if not any(c.concept == Concept.DISC_HERNIA.value for c in found):
        return
    resource, path, name = source.resource, source.path, source.name
    problems = reading.problems
    where: dict[str, str] = {"": name}
    values: dict[str, Any] = {}
    for key, url, table in (
        ("phase", ext.HERNIA_PHASE, _PHASES),
        ("kind", ext.HERNIA_KIND, _KINDS),
    ):
        hit = extension_of(resource, url)
        if hit is None:
            continue
        index, extension = hit
        value = text_of(extension.get("valueCode"))
        if value not in table:
            allowed = ", ".join(table)
            problems.add(
                f"{path}.extension[{index}].valueCode",
                f"{url.rsplit('/', 1)[1]} must be one of {allowed}, got {shown(value)}",
            )
            continue
        values[key] = table[str(value)]
        where[key] = f"{name}.extension[{index}].valueCode"
    hit = extension_of(resource, ext.HERNIA_SIZE)
    if hit is not None:
        index, extension = hit
        quantity = extension.get("valueQuantity")
        element = f"{path}.extension[{index}].valueQuantity"
        if (
            not (type(quantity) is dict or isinstance(quantity, Mapping))
            or number(quantity.get("value")) is None
        ):
            problems.add(element, "must be a Quantity with a number value, in mm")
        elif quantity.get("code", quantity.get("unit")) != "mm":
            got = quantity.get("code", quantity.get("unit"))
            problems.add(f"{element}.code", f"expected mm, got {shown(got)}")
        else:
            values["size_mm"] = number(quantity.get("value"))
            where["size_mm"] = f"{name}.extension[{index}].valueQuantity"
    hit = extension_of(resource, ext.SURGERY_INDICATED)
    if hit is not None:
        index, extension = hit
        flag = extension.get("valueBoolean")
        if flag is not True and flag is not False:
            problems.add(
                f"{path}.extension[{index}].valueBoolean",
                f"must be true or false, got {shown(flag)}",
            )
        else:
            values["surgery_indicated"] = flag
            where["surgery_indicated"] = f"{name}.extension[{index}].valueBoolean"
    hit = extension_of(resource, ext.HERNIA_LEVEL)
    level: str | None = None
    if hit is not None:
        index, extension = hit
        value = extension.get("valueString")
        if isinstance(value, str):
            level = value.strip().upper()
            where["level"] = f"{name}.extension[{index}].valueString"
        else:
            problems.add(
                f"{path}.extension[{index}].valueString",
                f"must be a vertebral level such as L4-L5, got {shown(value)}",
            )
    else:
        for index, site in enumerate(list_of(resource.get("bodySite"))):
            words = concept_text(site)
            match = _LEVEL_TEXT.search(words.upper()) if words else None
            if match is not None:
                level = match.group(1)
                where["level"] = f"{name}.bodySite[{index}]"
                break
    missing = [key for key in ("phase", "kind") if key not in values]
    if level is None:
        missing.append("level")
    if missing:
        reading.unclassified.append(
            Note(
                name,
                "extension",
                f"disc hernia {condition.code} without its {', '.join(missing)}: the rules of "
                "the hernia's stage cannot be checked (see the herniarules extensions)",
            )
        )
        return
    assert level is not None
    region = _region(level)
    try:
        hernia = Hernia(
            region=region,
            level=level,
            kind=values["kind"],
            phase=values["phase"],
            size_mm=values.get("size_mm"),
            surgery_indicated=values.get("surgery_indicated"),
        )
    except ModelError as error:
        for problem in error.problems:
            field = problem.path
            element = where.get(field, name)
            problems.add(_path_of(element, source), problem.message)
        return
    where["region"] = where["level"]
    reading.hernias.append((hernia, where))


def _region(level: str) -> Region:
    if "S1" in level:
        return Region.LUMBOSACRAL
    return {"C": Region.CERVICAL, "T": Region.THORACIC}.get(level[:1], Region.LUMBAR)


def _path_of(element: str, source: Source) -> str:
    """Return the input path of an element named ``Type/id.rest``."""
    if element.startswith(source.name):
        return source.path + element[len(source.name) :]
    return source.path
