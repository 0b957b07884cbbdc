"""herniarules' own FHIR extensions, for what a disc-hernia Condition has no element for.

FHIR R4 ``Condition`` gives the code, the status, the body site and the dates of a diagnosis,
but not the phase of a disc hernia, its morphology, its size on imaging or whether a surgeon
has indicated an operation. These extensions carry them on the disc-hernia Condition itself.
:func:`structure_definitions` returns each as a FHIR R4 ``StructureDefinition``; the docs
publish them as JSON under ``_static/fhir/``.
"""

from __future__ import annotations

from typing import Any

from herniarules.model import HerniaKind, Phase

__all__ = [
    "BASE",
    "FINDINGS",
    "HERNIA_KIND",
    "HERNIA_LEVEL",
    "HERNIA_PHASE",
    "HERNIA_SIZE",
    "SURGERY_INDICATED",
    "TECHNIQUE",
    "structure_definitions",
]

#: Canonical base of every herniarules conformance resource.
BASE = "https://herniarules.org/fhir"
_SD = f"{BASE}/StructureDefinition"

#: Phase of the hernia (``valueCode``): acute, exacerbation, subacute, remission, post-surgical.
HERNIA_PHASE = f"{_SD}/hernia-phase"
#: Morphology (``valueCode``): protrusion, extrusion, sequestration, schmorl-node.
HERNIA_KIND = f"{_SD}/hernia-kind"
#: Largest dimension on imaging (``valueQuantity`` in UCUM ``mm``).
HERNIA_SIZE = f"{_SD}/hernia-size"
#: Vertebral level (``valueString``): ``L4-L5``, ``L5-S1``, ``C5-C6``, ``T8``.
HERNIA_LEVEL = f"{_SD}/hernia-level"
#: Whether a surgeon has indicated an operation for the hernia (``valueBoolean``).
SURGERY_INDICATED = f"{_SD}/surgery-indicated"
#: Code system of herniarules' own observation codes: ``inflammatory-process`` (an
#: Observation with ``valueBoolean``: whether the clinician found an active inflammatory
#: process at the visit; LOINC has no code for it).
FINDINGS = f"{BASE}/CodeSystem/finding"
#: On a DetectedIssue: a technique the issue blocks (``valueCode``, a technique id).
TECHNIQUE = f"{_SD}/technique"

_DEFINITIONS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "hernia-phase",
        "Hernia phase",
        "Clinical phase of an intervertebral disc hernia: "
        + ", ".join(p.value for p in Phase)
        + ". Massage is forbidden outright in the acute phase and in an exacerbation.",
        "code",
        "Condition",
        "1",
    ),
    (
        "hernia-kind",
        "Hernia morphology",
        "Morphology of the disc lesion, from least to most displaced: "
        + ", ".join(k.value for k in HerniaKind)
        + ".",
        "code",
        "Condition",
        "1",
    ),
    (
        "hernia-size",
        "Hernia size",
        "Largest dimension of the herniation on imaging, in millimetres (UCUM mm).",
        "Quantity",
        "Condition",
        "1",
    ),
    (
        "hernia-level",
        "Hernia level",
        "Vertebral level of the hernia: two adjacent vertebrae, upper first (L4-L5, L5-S1, "
        "C5-C6), or one (T8).",
        "string",
        "Condition",
        "1",
    ),
    (
        "surgery-indicated",
        "Surgery indicated",
        "Whether a surgeon has indicated an operation for this hernia.",
        "boolean",
        "Condition",
        "1",
    ),
    (
        "technique",
        "Blocked technique",
        "A massage technique (a herniarules technique id) that the detected issue blocks.",
        "code",
        "DetectedIssue",
        "*",
    ),
)


def _definition(
    name: str, title: str, description: str, kind: str, context: str, maximum: str
) -> dict[str, Any]:
    url = f"{_SD}/{name}"
    value = "value" + kind[0].upper() + kind[1:]
    return {
        "resourceType": "StructureDefinition",
        "id": name,
        "url": url,
        "name": "".join(part.capitalize() for part in name.split("-")),
        "title": title,
        "status": "draft",
        "fhirVersion": "4.0.1",
        "description": description,
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": context}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {
            "element": [
                {
                    "id": "Extension",
                    "path": "Extension",
                    "short": title,
                    "definition": description,
                    "min": 0,
                    "max": maximum,
                },
                {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                {
                    "id": "Extension.value[x]",
                    "path": "Extension.value[x]",
                    "min": 1,
                    "type": [{"code": kind}],
                    "short": f"{title} ({value})",
                },
            ]
        },
    }


def structure_definitions() -> list[dict[str, Any]]:
    """Return the FHIR R4 StructureDefinition of every herniarules extension."""
    return [_definition(*line) for line in _DEFINITIONS]
