"""Procedure -> spinal operations."""

from __future__ import annotations

from collections.abc import Mapping

from herniarules.fhir._base import (
    CPT,
    ICD10_PCS,
    Note,
    codings,
    concept_text,
    one_line,
    parse_day,
)
from herniarules.fhir._reading import (
    Reading,
    Source,
    text_of,
)
from herniarules.model import (
    Surgery,
)

_PROCEDURE_DONE = frozenset({"completed", "in-progress", "stopped", "unknown"})


#: Words of a procedure's code display or text that name an operation on the spine.
_SPINAL_WORDS = (
    "discectomy",
    "diskectomy",
    "laminectomy",
    "laminotomy",
    "laminoplasty",
    "foraminotomy",
    "facetectomy",
    "corpectomy",
    "vertebroplasty",
    "kyphoplasty",
    "spinal fusion",
    "spine fusion",
    "fusion of spine",
    "arthrodesis of spine",
    "spinal arthrodesis",
    "intervertebral disc",
    "intervertebral disk",
    "spinal decompression",
    "decompression of spinal",
    "spinal surgery",
    "spine surgery",
    "operation on spine",
    "operation on vertebral",
)


# ICD-10-PCS medical and surgical body systems and parts of the spine: 0R upper joints
# (vertebral joints and discs), 0S lower joints (lumbar and lumbosacral), 0P upper bones
# (cervical and thoracic vertebrae), 0Q lower bones (lumbar vertebra, sacrum).
_PCS_SPINE = {
    "0R": frozenset("013456 9AB".replace(" ", "")),
    "0S": frozenset("0234"),
    "0P": frozenset("34"),
    "0Q": frozenset("01"),
}


def _is_spinal(concept: object) -> bool:
    for coding in codings(concept):
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(code, str):
            continue
        if system == ICD10_PCS and len(code) == 7:
            parts = _PCS_SPINE.get(code[:2])
            if parts is not None and code[3] in parts:
                return True
        if system == CPT and code.isdigit():
            value = int(code)
            if 22010 <= value <= 22899 or 63001 <= value <= 63295 or value == 62380:
                return True
    words = [concept_text(concept) or ""] + [str(c.get("display", "")) for c in codings(concept)]
    folded = " ".join(words).lower()
    return any(word in folded for word in _SPINAL_WORDS)


def read_procedure(source: Source, reading: Reading) -> None:
    resource, path, name = source.resource, source.path, source.name
    status = text_of(resource.get("status"))
    if status not in _PROCEDURE_DONE:
        reading.ignored.append(Note(name, "status", f"{status}: not performed"))
        return
    if not _is_spinal(resource.get("code")):
        reading.ignored.append(Note(name, "code", "not an operation on the spine"))
        return
    span = parse_day(resource.get("performedDateTime"))
    element = "performedDateTime"
    period = resource.get("performedPeriod")
    if span is None and (type(period) is dict or isinstance(period, Mapping)):
        for key in ("end", "start"):
            span = parse_day(period.get(key))
            if span is not None:
                element = f"performedPeriod.{key}"
                break
    if span is None:
        reading.problems.add(
            f"{path}.performed[x]",
            "a spinal operation needs its date: the healing rules count from it",
        )
        return
    if span[0] > reading.as_of:
        reading.ignored.append(
            Note(name, element, f"performed {span[0].isoformat()}, after the assessment day")
        )
        return
    text = concept_text(resource.get("code"))
    # the latest day it may have been: the healing period is never counted short
    reading.surgeries.append(
        (Surgery(date=span[1], procedure=one_line(text) if text else None), f"{name}.{element}")
    )
