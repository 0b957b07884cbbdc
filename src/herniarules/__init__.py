"""herniarules: may a patient with an intervertebral disc hernia receive a massage technique?

The SDK supports clinicians; it does not replace them. Typical use::

    import herniarules

    engine = herniarules.Engine()
    patient = herniarules.load_patient("patient.json")
    assessment = engine.assess(patient)
    for decision in assessment.decisions:
        print(decision.technique, decision.outcome.label)
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from herniarules.courses import CoursePlan, Session
    from herniarules.engine import Engine, NotPermittedError, PluginError
    from herniarules.errors import InputError, ModelError, Problem
    from herniarules.facts import Facts, derive_facts
    from herniarules.hookspecs import hookimpl
    from herniarules.i18n.text import explain
    from herniarules.io import (
        dumps,
        load_patient,
        loads_patient,
        patient_from_dict,
    )
    from herniarules.model import (
        Allergy,
        Clearance,
        ClinicalStatus,
        Condition,
        Hernia,
        HerniaKind,
        MassageCourse,
        Medication,
        Patient,
        Phase,
        Region,
        Sex,
        Surgery,
        Verification,
        Vitals,
    )
    from herniarules.outcomes import (
        Assessment,
        Decision,
        Finding,
        Outcome,
        PluginInfo,
        Protocol,
        ProtocolStep,
    )
    from herniarules.rules import Custom, F, Rule, RuleError
    from herniarules.safety import Policy, PolicyError
    from herniarules.technique import Technique
    from herniarules.terminology import CodeRange, CodeSystem, Concept, Terminology, ValueSet
    from herniarules.vocabulary import Indication, MedicationCategory, Site, Substance

# The public names live in the submodules and are imported on first use, so that
# ``import herniarules`` stays cheap for applications that need only part of the SDK.
_EXPORTS: dict[str, str] = {
    "Allergy": "herniarules.model",
    "Assessment": "herniarules.outcomes",
    "Clearance": "herniarules.model",
    "ClinicalStatus": "herniarules.model",
    "CodeRange": "herniarules.terminology",
    "CodeSystem": "herniarules.terminology",
    "Concept": "herniarules.terminology",
    "Condition": "herniarules.model",
    "CoursePlan": "herniarules.courses",
    "Custom": "herniarules.rules",
    "Decision": "herniarules.outcomes",
    "Engine": "herniarules.engine",
    "F": "herniarules.rules",
    "Facts": "herniarules.facts",
    "Finding": "herniarules.outcomes",
    "Hernia": "herniarules.model",
    "HerniaKind": "herniarules.model",
    "Indication": "herniarules.vocabulary",
    "InputError": "herniarules.errors",
    "MassageCourse": "herniarules.model",
    "Medication": "herniarules.model",
    "MedicationCategory": "herniarules.vocabulary",
    "ModelError": "herniarules.errors",
    "NotPermittedError": "herniarules.engine",
    "Outcome": "herniarules.outcomes",
    "Patient": "herniarules.model",
    "Phase": "herniarules.model",
    "PluginError": "herniarules.engine",
    "PluginInfo": "herniarules.outcomes",
    "Policy": "herniarules.safety",
    "PolicyError": "herniarules.safety",
    "Problem": "herniarules.errors",
    "Protocol": "herniarules.outcomes",
    "ProtocolFacts": "herniarules.technique",
    "ProtocolStep": "herniarules.outcomes",
    "Region": "herniarules.model",
    "Rule": "herniarules.rules",
    "RuleError": "herniarules.rules",
    "Session": "herniarules.courses",
    "Sex": "herniarules.model",
    "Site": "herniarules.vocabulary",
    "Substance": "herniarules.vocabulary",
    "Surgery": "herniarules.model",
    "Technique": "herniarules.technique",
    "Terminology": "herniarules.terminology",
    "ValueSet": "herniarules.terminology",
    "Verification": "herniarules.model",
    "Vitals": "herniarules.model",
    "derive_facts": "herniarules.facts",
    "dumps": "herniarules.io",
    "explain": "herniarules.i18n.text",
    "hookimpl": "herniarules.hookspecs",
    "load_patient": "herniarules.io",
    "loads_patient": "herniarules.io",
    "patient_from_dict": "herniarules.io",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'herniarules' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = "0.2.0"

__all__ = [
    "Allergy",
    "Assessment",
    "Clearance",
    "ClinicalStatus",
    "CodeRange",
    "CodeSystem",
    "Concept",
    "Condition",
    "CoursePlan",
    "Custom",
    "Decision",
    "Engine",
    "F",
    "Facts",
    "Finding",
    "Hernia",
    "HerniaKind",
    "Indication",
    "InputError",
    "MassageCourse",
    "Medication",
    "MedicationCategory",
    "ModelError",
    "NotPermittedError",
    "Outcome",
    "Patient",
    "Phase",
    "PluginError",
    "PluginInfo",
    "Policy",
    "PolicyError",
    "Problem",
    "Protocol",
    "ProtocolFacts",
    "ProtocolStep",
    "Region",
    "Rule",
    "RuleError",
    "Session",
    "Sex",
    "Site",
    "Substance",
    "Surgery",
    "Technique",
    "Terminology",
    "ValueSet",
    "Verification",
    "Vitals",
    "__version__",
    "derive_facts",
    "dumps",
    "explain",
    "hookimpl",
    "load_patient",
    "loads_patient",
    "patient_from_dict",
]
