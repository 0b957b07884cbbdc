"""An assessment as FHIR R4: a GuidanceResponse, and a DetectedIssue per blocking finding."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from herniarules.fhir import extensions as ext
from herniarules.fhir._base import LOINC, FhirRecord
from herniarules.outcomes import Assessment, Finding, Outcome
from herniarules.terminology import DEFAULT_TERMINOLOGY, normalize_code
from herniarules.terminology.codes import dotted
from herniarules.vocabulary import allergy_concepts, classify_medication

__all__ = ["ProvenanceIndex", "detected_issues", "finding_provenance", "guidance_response"]

#: Code system of herniarules rule ids (a DetectedIssue's ``code``).
RULES_SYSTEM = f"{ext.BASE}/CodeSystem/rule"
#: Code system of herniarules outcomes.
OUTCOME_SYSTEM = f"{ext.BASE}/CodeSystem/outcome"
#: The module a GuidanceResponse names.
MODULE = f"{ext.BASE}/Library/herniarules"

_SEVERITY = {
    Outcome.CONTRAINDICATED: "high",
    Outcome.DEFER: "high",
    Outcome.INSUFFICIENT_DATA: "moderate",
    Outcome.REQUIRES_CLEARANCE: "moderate",
}

# The patient-record paths each fact is derived from.
_FACT_PATHS: Mapping[str, tuple[str, ...]] = {
    "age": ("age",),
    "sex": ("sex",),
    "patient_id": ("id",),
    "pain_score": ("vitals.pain_score",),
    "temperature_c": ("vitals.temperature_c",),
    "systolic_mmhg": ("vitals.systolic_mmhg",),
    "diastolic_mmhg": ("vitals.diastolic_mmhg",),
    "bp_grade": ("vitals.systolic_mmhg", "vitals.diastolic_mmhg"),
    "pregnant": ("pregnant",),
    "inflammatory_process": ("inflammatory_process",),
    "concepts": ("pregnant", "inflammatory_process"),
    "exacerbated_conditions": ("conditions",),
    "worst_phase": ("hernias",),
    "phases": ("hernias",),
    "hernia_regions": ("hernias",),
    "hernia_kinds": ("hernias",),
    "max_hernia_size_mm": ("hernias",),
    "surgery_indicated": ("hernias",),
    "hernias": ("hernias",),
    "had_spinal_surgery": ("surgeries",),
    "days_since_surgery": ("surgeries",),
    "unclassified_medications": ("medications",),
    "unrecorded_hernia_codes": ("conditions", "hernias"),
    "unconfirmed_conditions": ("conditions",),
    "unclassified_conditions": ("conditions",),
}

# What to ask for when a finding says data is missing: the FHIR data that would answer it.
_REQUIREMENTS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "pain_score": ("Observation", ("72514-3",)),
    "temperature_c": ("Observation", ("8310-5",)),
    "systolic_mmhg": ("Observation", ("85354-9",)),
    "diastolic_mmhg": ("Observation", ("85354-9",)),
    "bp_grade": ("Observation", ("85354-9",)),
    "pregnant": ("Observation", ("82810-3",)),
    "unclassified_medications": ("MedicationRequest", ()),
    "unconfirmed_conditions": ("Condition", ()),
    "unclassified_conditions": ("Condition", ()),
    "unrecorded_hernia_codes": ("Condition", ()),
}


def _entries(record: FhirRecord, paths: Iterable[str]) -> list[str]:
    wanted = tuple(paths)
    found: list[str] = []
    for key, element in record.provenance.items():
        for path in wanted:
            if key == path or key.startswith(path + ".") or key.startswith(path + "["):
                if element not in found:
                    found.append(element)
                break
    return found


def _condition_codes(record: FhirRecord) -> dict[str, list[int]]:
    codes: dict[str, list[int]] = {}
    for index, condition in enumerate(record.patient.conditions):
        if condition.code is not None:
            codes.setdefault(dotted(normalize_code(condition.code)), []).append(index)
        if condition.concept is not None:
            codes.setdefault(condition.concept, []).append(index)
    return codes


def _concept_items(record: FhirRecord) -> list[tuple[str, frozenset[str]]]:
    """Return each condition, medication and allergy path with the concepts it expresses."""
    found: list[tuple[str, frozenset[str]]] = []
    patient = record.patient
    for index, condition in enumerate(patient.conditions):
        meant: set[str] = set()
        if condition.code is not None and condition.status.is_active:
            _code, _display, classes = DEFAULT_TERMINOLOGY.resolve(condition.code, condition.system)
            meant.update(c.concept for c in classes)
        if condition.concept is not None and condition.status.is_active:
            meant.add(condition.concept)
        found.append((f"conditions[{index}]", frozenset(meant)))
    for index, medication in enumerate(patient.medications):
        found.append((f"medications[{index}]", classify_medication(medication) or frozenset()))
    for index, allergy in enumerate(patient.allergies):
        found.append((f"allergies[{index}]", allergy_concepts(allergy)))
    return found


def finding_provenance(finding: Finding, record: FhirRecord) -> tuple[str, ...]:
    """Return the FHIR elements the evidence of ``finding`` was read from.

    A finding about one condition (its evidence holds condition items) names that condition's
    resource; a finding about a flat fact names every element the fact is derived from
    (``bp_grade``: the systolic and diastolic components).

    This is the reference: every call scans the record's provenance again.
    :class:`ProvenanceIndex` gives the same answers for many findings of one record.
    """
    codes: list[dict[str, list[int]]] = []

    def condition_codes() -> dict[str, list[int]]:
        if not codes:
            codes.append(_condition_codes(record))
        return codes[0]

    return _provenance(
        finding,
        record,
        lambda paths: _entries(record, paths),
        condition_codes,
        lambda: _concept_items(record),
    )


class ProvenanceIndex:
    """:func:`finding_provenance` for the findings of one record, its lookups built once.

    The provenance paths are indexed by every prefix a finding's path can name
    (``conditions[0]`` for ``conditions[0].code``), so a lookup reads only the entries it
    returns; the condition codes and the concepts of each item are worked out on first use.
    The index holds the record's own data and lives as long as the caller keeps it (one
    hook call), never in a process-wide cache.
    """

    def __init__(self, record: FhirRecord) -> None:
        self.record = record
        elements = list(record.provenance.values())
        self._elements = elements
        by_prefix: dict[str, list[int]] = {}
        for position, key in enumerate(record.provenance):
            by_prefix.setdefault(key, []).append(position)
            for end, char in enumerate(key):
                if char in ".[":
                    positions = by_prefix.setdefault(key[:end], [])
                    if not positions or positions[-1] != position:
                        positions.append(position)
        self._by_prefix = by_prefix
        self._codes: dict[str, list[int]] | None = None
        self._concepts: list[tuple[str, frozenset[str]]] | None = None
        self._found: dict[tuple[str, ...], list[str]] = {}

    def _entries(self, paths: Iterable[str]) -> list[str]:
        wanted = tuple(paths)
        found = self._found.get(wanted)
        if found is None:
            positions: set[int] = set()
            for path in wanted:
                positions.update(self._by_prefix.get(path, ()))
            found = []
            for position in sorted(positions):
                element = self._elements[position]
                if element not in found:
                    found.append(element)
            self._found[wanted] = found
        return found

    def _condition_codes(self) -> dict[str, list[int]]:
        if self._codes is None:
            self._codes = _condition_codes(self.record)
        return self._codes

    def _concept_items(self) -> list[tuple[str, frozenset[str]]]:
        if self._concepts is None:
            self._concepts = _concept_items(self.record)
        return self._concepts

    def __call__(self, finding: Finding) -> tuple[str, ...]:
        """Return what :func:`finding_provenance` returns for ``finding`` and the record."""
        return _provenance(
            finding, self.record, self._entries, self._condition_codes, self._concept_items
        )


def _provenance(
    finding: Finding,
    record: FhirRecord,
    entries: Callable[[Iterable[str]], list[str]],
    condition_codes: Callable[[], dict[str, list[int]]],
    concept_items: Callable[[], list[tuple[str, frozenset[str]]]],
) -> tuple[str, ...]:
    found: list[str] = []

    def add(elements: Iterable[str]) -> None:
        for element in elements:
            if element not in found:
                found.append(element)

    for name, value in finding.evidence.items():
        if name == "conditions" and isinstance(value, tuple):
            codes = condition_codes()
            for item in value:
                key = item.get("code") or item.get("concept")
                for index in codes.get(str(key), ()):
                    add(entries([f"conditions[{index}]"]))
            continue
        if name in ("exacerbated_conditions", "unrecorded_hernia_codes", "unconfirmed_conditions"):
            codes = condition_codes()
            for key in value or ():
                for index in codes.get(str(key), ()):
                    add(entries([f"conditions[{index}]"]))
            continue
        if name == "unclassified_conditions":
            for index, condition in enumerate(record.patient.conditions):
                if condition.code is None and condition.concept is None:
                    add(entries([f"conditions[{index}]"]))
            continue
        add(entries(_FACT_PATHS.get(name, ())))
        if name in _CONCEPT_FACTS:
            wanted = _CONCEPT_FACTS[name] or frozenset(value or ())
            for path, meant in concept_items():
                if meant & wanted:
                    add(entries([path]))
    return tuple(found)


# Facts derived from the concepts of conditions, medications and allergies: the concepts that
# implicate an item (empty: the concepts the evidence lists).
_CONCEPT_FACTS: Mapping[str, frozenset[str]] = {
    "concepts": frozenset(),
    "pregnant": frozenset({"pregnancy"}),
    "inflammatory_process": frozenset({"inflammatory-process"}),
}


def _reference(element: str) -> dict[str, str]:
    resource = element.split(" ", 1)[0]
    if "/" in resource.split(".", 1)[0]:
        resource = resource.split(".", 1)[0]
    return {"reference": resource}


def _issue_id(assessment: Assessment, rule_id: str, site: str | None) -> str:
    key = f"{assessment.patient_id}|{assessment.as_of}|{rule_id}|{site or ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def detected_issues(assessment: Assessment, record: FhirRecord) -> list[dict[str, Any]]:
    """Return a FHIR R4 DetectedIssue for each finding that blocks a technique.

    A finding blocks when its effective outcome does not permit the technique (a cleared
    *requires clearance* does not block). A core finding that blocks several techniques is one
    issue, naming each technique in a ``technique`` extension. ``implicated`` names the
    resources its evidence came from, ``reference`` the rule's source is in ``detail``.
    """
    grouped: dict[tuple[str, str | None], tuple[Finding, list[str]]] = {}
    for decision in assessment.decisions:
        for finding in decision.findings:
            if finding.effective_outcome.permits:
                continue
            key = (finding.rule_id, finding.site)
            if key not in grouped:
                grouped[key] = (finding, [])
            grouped[key][1].append(decision.technique)
    issues = []
    provenance = ProvenanceIndex(record)
    patient = {"reference": record.patient_resource} if record.patient_resource else None
    for (rule_id, site), (finding, techniques) in sorted(grouped.items(), key=lambda kv: kv[0][0]):
        elements = provenance(finding)
        references: list[dict[str, str]] = []
        for element in elements:
            reference = _reference(element)
            if reference not in references:
                references.append(reference)
        detail = finding.message
        if finding.explanation and finding.explanation != "always":
            detail += f" Because {finding.explanation}."
        detail += f" Source: {finding.source}"
        issue: dict[str, Any] = {
            "resourceType": "DetectedIssue",
            "id": _issue_id(assessment, rule_id, site),
            "extension": [{"url": ext.TECHNIQUE, "valueCode": t} for t in techniques],
            "status": "final",
            "code": {
                "coding": [{"system": RULES_SYSTEM, "code": rule_id}],
                "text": f"{rule_id}: {finding.outcome.label}",
            },
            "severity": _SEVERITY.get(finding.effective_outcome, "low"),
            "identifiedDateTime": assessment.as_of.isoformat(),
            "detail": detail,
        }
        if patient is not None:
            issue["patient"] = patient
        if references:
            issue["implicated"] = references
        if elements:
            issue["evidence"] = [{"detail": references}]
        issues.append(issue)
    return issues


def guidance_response(assessment: Assessment, record: FhirRecord) -> dict[str, Any]:
    """Return a FHIR R4 GuidanceResponse for the whole assessment.

    ``status`` is ``data-required`` when some decision is *insufficient data* (and
    ``dataRequirement`` says what to record), else ``success``. The decisions are in a
    contained ``Parameters`` (``outputParameters``): one part per technique with its outcome
    and whether it is permitted.
    """
    insufficient = [
        f
        for d in assessment.decisions
        for f in d.findings
        if f.effective_outcome is Outcome.INSUFFICIENT_DATA
    ]
    parameters = {
        "resourceType": "Parameters",
        "id": "decisions",
        "parameter": [
            {
                "name": "decision",
                "part": [
                    {"name": "technique", "valueCode": d.technique},
                    {
                        "name": "outcome",
                        "valueCoding": {"system": OUTCOME_SYSTEM, "code": d.outcome.label},
                    },
                    {"name": "permitted", "valueBoolean": d.permitted},
                ],
            }
            for d in assessment.decisions
        ],
    }
    response: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "id": _issue_id(assessment, "guidance", assessment.ruleset_fingerprint),
        "contained": [parameters],
        "identifier": [
            {"system": f"{ext.BASE}/ruleset-fingerprint", "value": assessment.ruleset_fingerprint}
        ],
        "moduleUri": MODULE,
        "status": "data-required" if insufficient else "success",
        "occurrenceDateTime": assessment.as_of.isoformat(),
        "outputParameters": {"reference": "#decisions"},
    }
    if record.patient_resource:
        response["subject"] = {"reference": record.patient_resource}
    requirements: list[dict[str, Any]] = []
    for finding in insufficient:
        for name in finding.evidence:
            wanted = _REQUIREMENTS.get(name)
            if wanted is None:
                continue
            kind, codes = wanted
            requirement: dict[str, Any] = {"type": kind}
            if codes:
                requirement["codeFilter"] = [
                    {"path": "code", "code": [{"system": LOINC, "code": c} for c in codes]}
                ]
            if requirement not in requirements:
                requirements.append(requirement)
    if requirements:
        response["dataRequirement"] = requirements
    permitted = [d.technique for d in assessment.decisions if d.permitted]
    response["note"] = [
        {
            "text": "Decision support for massage in intervertebral disc hernia; it supports "
            "the clinician and does not replace them. Permitted: "
            + (", ".join(permitted) if permitted else "none")
            + "."
        }
    ]
    return response
