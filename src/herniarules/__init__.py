"""herniarules: may a patient with an intervertebral disc hernia receive a massage technique?

The SDK supports clinicians; it does not replace them. Typical use::

    import herniarules

    engine = herniarules.Engine()
    patient = herniarules.load_patient("patient.json")
    assessment = engine.assess(patient)
    for decision in assessment.decisions:
        print(decision.technique, decision.outcome.label)
"""

from herniarules.courses import CoursePlan, Session
from herniarules.engine import Engine, NotPermittedError, PluginError
from herniarules.facts import Facts, derive_facts
from herniarules.hookspecs import hookimpl
from herniarules.io import (
    InputError,
    Problem,
    dumps,
    load_patient,
    loads_patient,
    patient_from_dict,
)
from herniarules.memo import memoize_protocol
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

__version__ = "0.1.0"

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
    "InputError",
    "MassageCourse",
    "Medication",
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
    "ProtocolStep",
    "Region",
    "Rule",
    "RuleError",
    "Session",
    "Sex",
    "Surgery",
    "Technique",
    "Terminology",
    "ValueSet",
    "Vitals",
    "__version__",
    "derive_facts",
    "dumps",
    "hookimpl",
    "load_patient",
    "loads_patient",
    "memoize_protocol",
    "patient_from_dict",
]
