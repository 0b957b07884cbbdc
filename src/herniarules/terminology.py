"""ICD-10 terminology: map diagnosis codes to the clinical concepts the massage rules use.

The clinical source lists the conditions under which massage for an intervertebral disc
hernia is unacceptable ("Contraindications" and "Indications and contraindications").
Each :class:`Concept` names one of them; each :class:`ValueSet` says which ICD-10 codes
express that concept, in WHO ICD-10 and/or the US ICD-10-CM, and quotes the passage it
implements. A :class:`Terminology` is an immutable registry of value sets that plugins extend
with :meth:`Terminology.with_value_sets`.

Codes are compared in *normalized* form (upper case, no dot, no dagger/asterisk mark) with
prefix semantics: the range ``C00–C97`` contains ``C34.1`` because ``C34`` lies between its
bounds, while a range bounded by ``Z86.71`` does not contain the less specific ``Z86``.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable

import attrs

__all__ = [
    "CORE_VALUE_SETS",
    "DEFAULT_TERMINOLOGY",
    "CodeRange",
    "CodeSystem",
    "Concept",
    "Terminology",
    "ValueSet",
    "is_icd10_code",
    "normalize_code",
]


class Concept(enum.StrEnum):
    """Clinical concepts named by the source; values are stable kebab-case identifiers."""

    MALIGNANCY = "malignancy"
    THROMBOSIS_TENDENCY = "thrombosis-tendency"
    BLOOD_DISEASE = "blood-disease"
    HEART_DYSFUNCTION = "heart-dysfunction"
    OSTEOMYELITIS = "osteomyelitis"
    BONE_TUBERCULOSIS = "bone-tuberculosis"
    PSYCHIATRIC_DISORDER = "psychiatric-disorder"
    VARICOSE_VEINS = "varicose-veins"
    PURULENT_SKIN_RASH = "purulent-skin-rash"
    SKIN_PATHOLOGY = "skin-pathology"
    URTICARIA_OEDEMA = "urticaria-oedema"
    INFECTIOUS_DISEASE = "infectious-disease"
    DIGESTIVE_DISORDER = "digestive-disorder"
    HYPERTENSION = "hypertension"
    HYPERTENSION_ORGAN_DAMAGE = "hypertension-organ-damage"
    PREGNANCY = "pregnancy"
    FEVER = "fever"
    INFLAMMATORY_PROCESS = "inflammatory-process"
    ANTICOAGULANT_THERAPY = "anticoagulant-therapy"
    HONEY_ALLERGY = "honey-allergy"
    DISC_HERNIA = "disc-hernia"
    """The condition the SDK is about (an indication, not a contraindication)."""


class CodeSystem(enum.StrEnum):
    """ICD-10 variant a code is written in."""

    ICD10 = "icd-10"
    """WHO ICD-10 (2019 edition)."""
    ICD10_CM = "icd-10-cm"
    """ICD-10-CM, the US clinical modification."""


_BOTH: frozenset[CodeSystem] = frozenset(CodeSystem)
# Category (letter, digit, digit-or-letter as in ICD-10-CM "O9A"), optional dot, then up to
# four more characters: seven in all, the ICD-10-CM maximum. WHO writes a dagger or asterisk
# after dual-classified codes ("A18.0†", "M49.0*"); the mark is accepted and dropped.
_CODE_RE = re.compile(r"([A-Z][0-9][0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?[*†]?")
_CONCEPT_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_ID_RE = re.compile(r"[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*(?:\.[a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*)+")


def normalize_code(code: str) -> str:
    """Return ``code`` upper-cased without whitespace and dot: ``'c34.1 '`` -> ``'C341'``.

    Raises ``ValueError`` if ``code`` is not shaped like a WHO ICD-10 or ICD-10-CM code:
    a letter, a digit, a digit or letter, then optionally a dot and one to four letters or
    digits (``'C34.1'``, ``'O9A.1'``, ``'Z91.030'``, ``'T78.3XXA'``).
    """
    if not isinstance(code, str):
        raise TypeError(f"ICD-10 code must be a str, not {type(code).__name__}")
    match = _CODE_RE.fullmatch(code.strip().upper())
    if match is None:
        raise ValueError(
            f"{code!r} is not an ICD-10 code: expected a letter, a digit, a digit or letter, "
            "then optionally a dot and 1-4 letters or digits (e.g. 'C34.1', 'O9A.1', 'Z91.030')"
        )
    return match.group(1) + (match.group(2) or "")


def is_icd10_code(code: str) -> bool:
    """Return whether ``code`` is shaped like an ICD-10 code (see :func:`normalize_code`)."""
    try:
        normalize_code(code)
    except (TypeError, ValueError):
        return False
    return True


def _systems(value: Iterable[CodeSystem]) -> frozenset[CodeSystem]:
    return frozenset(CodeSystem(system) for system in value)


@attrs.frozen
class CodeRange:
    """Inclusive range of ICD-10 codes, compared on normalized codes by prefix semantics.

    ``CodeRange("C00", "C97")`` contains ``"C341"``, ``"C97"`` and ``"C00"``;
    ``CodeRange("M86")`` (``end`` defaults to ``start``) contains ``"M86"``, ``"M861"`` and
    ``"M8617"``. Bounds are normalized on construction. ``systems`` lists the code systems in
    which the range is valid (default: both).
    """

    start: str = attrs.field(converter=normalize_code)
    """First code of the range (normalized)."""
    end: str = attrs.field(
        converter=normalize_code,
        default=attrs.Factory(lambda self: self.start, takes_self=True),
    )
    """Last code of the range (normalized); defaults to ``start``."""
    systems: frozenset[CodeSystem] = attrs.field(default=_BOTH, converter=_systems)
    """Code systems in which the range applies."""

    def __attrs_post_init__(self) -> None:
        """Reject ranges whose start sorts after their end, and empty ``systems``."""
        if self.start[: len(self.end)] > self.end:
            raise ValueError(f"code range start {self.start!r} sorts after end {self.end!r}")
        if not self.systems:
            raise ValueError("a code range must apply to at least one code system")

    def contains(self, normalized_code: str) -> bool:
        """Return whether the normalized code lies in this range."""
        return (
            normalized_code[: len(self.start)] >= self.start
            and normalized_code[: len(self.end)] <= self.end
        )

    def render(self) -> str:
        """Return the range in conventional spelling: ``"C00–C97"`` or ``"M86"``."""
        first, last = _dotted(self.start), _dotted(self.end)
        return first if first == last else f"{first}–{last}"


def _dotted(code: str) -> str:
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _concept(value: str) -> str:
    text = str(value)
    if not _CONCEPT_RE.fullmatch(text):
        raise ValueError(f"concept {text!r} must be kebab-case, e.g. 'bone-tuberculosis'")
    return text


def _value_set_id(value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise ValueError(f"value set id {value!r} must look like '<plugin>.<name>'")
    return value


def _code_tuple(value: Iterable[CodeRange]) -> tuple[CodeRange, ...]:
    return tuple(value)


def _non_empty(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


@attrs.frozen
class ValueSet:
    """Named set of ICD-10 code ranges that express one concept.

    ``concept`` is a :class:`Concept` value or a plugin's own kebab-case concept id; ``source``
    quotes the passage of the clinical source the set implements, or explains the clinical
    convention behind it; ``id`` is ``"core.<name>"`` for the built-in sets and
    ``"<plugin>.<name>"`` for a plugin's.
    """

    concept: str = attrs.field(converter=_concept)
    """Concept the codes express."""
    title: str = attrs.field(validator=_non_empty)
    """Human-readable title."""
    codes: tuple[CodeRange, ...] = attrs.field(converter=_code_tuple)
    """Code ranges making up the set (at least one)."""
    source: str = attrs.field(validator=_non_empty)
    """Quoted source passage or ``clinical convention: ...`` explanation."""
    id: str = attrs.field(converter=_value_set_id)
    """Unique identifier, e.g. ``core.malignancy``."""

    @codes.validator
    def _check_codes(
        self, _attribute: attrs.Attribute[tuple[CodeRange, ...]], value: tuple[CodeRange, ...]
    ) -> None:
        if not value:
            raise ValueError(f"value set {self.concept!r} must contain at least one code range")
        if not all(isinstance(item, CodeRange) for item in value):
            raise TypeError("value set codes must be CodeRange instances")


_Entry = tuple[CodeRange, str]


class Terminology:
    """Immutable registry of value sets; ``with_value_sets(*vs)`` returns a new Terminology.

    Look-ups by code are indexed by the code's first letter and cached per instance.
    """

    def __init__(self, value_sets: Iterable[ValueSet] = ()) -> None:
        """Build a registry; raise ``ValueError`` if two value sets share an id."""
        by_id: dict[str, ValueSet] = {}
        for value_set in value_sets:
            if not isinstance(value_set, ValueSet):
                raise TypeError(f"expected ValueSet, got {type(value_set).__name__}")
            if value_set.id in by_id:
                raise ValueError(f"duplicate value set id {value_set.id!r}")
            by_id[value_set.id] = value_set
        self._value_sets = tuple(by_id[key] for key in sorted(by_id))
        index: dict[str, list[_Entry]] = {}
        for value_set in self._value_sets:
            for code_range in value_set.codes:
                for letter in range(ord(code_range.start[0]), ord(code_range.end[0]) + 1):
                    index.setdefault(chr(letter), []).append((code_range, value_set.concept))
        self._index = {letter: tuple(entries) for letter, entries in index.items()}
        self._lookup: Callable[[str, CodeSystem], frozenset[str]] = functools.lru_cache(
            maxsize=16384
        )(self._concepts_uncached)

    def __repr__(self) -> str:
        """Return a short description listing the value set ids."""
        return f"Terminology({[value_set.id for value_set in self._value_sets]!r})"

    @property
    def value_sets(self) -> tuple[ValueSet, ...]:
        """All registered value sets, sorted by id."""
        return self._value_sets

    def with_value_sets(self, *value_sets: ValueSet) -> Terminology:
        """Return a new Terminology with ``value_sets`` added; ``ValueError`` on a duplicate id."""
        return Terminology((*self._value_sets, *value_sets))

    def concepts_for(self, code: str, system: CodeSystem = CodeSystem.ICD10) -> frozenset[str]:
        """Return the concepts the code expresses in ``system`` (empty if none).

        The code is normalized first, so ``"c34.1"`` and ``"C341"`` give the same answer;
        ``ValueError`` if it is not shaped like an ICD-10 code or ``system`` is unknown.
        """
        return self._lookup(code, system if type(system) is CodeSystem else CodeSystem(system))

    def _concepts_uncached(self, code: str, system: CodeSystem) -> frozenset[str]:
        normalized = normalize_code(code)
        return frozenset(
            concept
            for code_range, concept in self._index.get(normalized[0], ())
            if system in code_range.systems and code_range.contains(normalized)
        )

    def codes_for(self, concept: str) -> tuple[ValueSet, ...]:
        """Return the value sets expressing ``concept``, sorted by id (empty if none)."""
        return tuple(value_set for value_set in self._value_sets if value_set.concept == concept)


# --------------------------------------------------------------------------- core data

_WHO = frozenset({CodeSystem.ICD10})
_CM = frozenset({CodeSystem.ICD10_CM})
_CONV = "clinical convention: "


def _r(start: str, end: str | None = None, systems: frozenset[CodeSystem] = _BOTH) -> CodeRange:
    return CodeRange(start, start if end is None else end, systems)


def _vs(concept: Concept, title: str, source: str, *codes: CodeRange) -> ValueSet:
    return ValueSet(concept, title, codes, source, f"core.{concept.value}")


CORE_VALUE_SETS: tuple[ValueSet, ...] = (
    _vs(Concept.MALIGNANCY, "Malignant neoplasms, carcinoma in situ and myeloid neoplasms",
        '"upon detection of oncological processes in the body"; "The presence of cancer in the '
        'body of any location." — ' + _CONV + "all malignant neoplasms (C00–C97), in situ "
        "neoplasms (D00–D09) and the myeloproliferative/myelodysplastic neoplasms D45–D47, "
        "which ICD-O-3 codes as malignant; history of cancer (Z85) is left to the rules.",
        _r("C00", "C97"), _r("D00", "D09"), _r("D45", "D47")),
    _vs(Concept.THROMBOSIS_TENDENCY, "Thrombosis, embolism and thrombophilia",
        '"with a tendency to thrombosis" — ' + _CONV + "current or past venous/arterial "
        "thrombosis or embolism (I26, I74, I80–I82, obstetric O22.3, O87.1, O88.2), "
        "thrombophilia (D68.5, D68.6), polycythaemia vera (D45) and, in ICD-10-CM, personal "
        "history of venous thrombosis or thrombophlebitis (Z86.71, Z86.72).",
        _r("I26"), _r("I74"), _r("I80", "I82"), _r("D68.5", "D68.6"), _r("D45"),
        _r("O22.3"), _r("O87.1"), _r("O88.2"), _r("Z86.71", "Z86.72", _CM)),
    _vs(Concept.BLOOD_DISEASE, "Diseases of the blood and blood-forming organs",
        '"with a blood disease" — ' + _CONV + "D50–D77 (anaemias, coagulation defects, "
        "purpura, other blood diseases) and myeloid neoplasms D45–D47; the immune-mechanism "
        "disorders D80–D89 (immunodeficiency, sarcoidosis) and ICD-10-CM D78 "
        "(intraoperative splenic complications) are not blood diseases and are excluded.",
        _r("D50", "D77"), _r("D45", "D47")),
    _vs(Concept.HEART_DYSFUNCTION, "Heart disease",
        '"in case of disturbances in the functioning of the heart" — ' + _CONV + "rheumatic "
        "heart disease (I01, I05–I09), ischaemic heart disease (I20–I25), pulmonary heart "
        "disease (I27), other forms of heart disease (I30–I52) and hypertensive heart disease "
        "with heart failure (I11.0, I13.0, I13.2).",
        _r("I01"), _r("I05", "I09"), _r("I20", "I25"), _r("I27"), _r("I30", "I52"),
        _r("I11.0"), _r("I13.0"), _r("I13.2")),
    _vs(Concept.OSTEOMYELITIS, "Osteomyelitis",
        '"with osteomyelitis or bone tuberculosis" — ' + _CONV + "osteomyelitis (M86) and "
        "osteomyelitis of vertebra (M46.2).",
        _r("M86"), _r("M46.2")),
    _vs(Concept.BONE_TUBERCULOSIS, "Tuberculosis of bones and joints",
        '"with osteomyelitis or bone tuberculosis" — ' + _CONV + "A18.0 in both systems "
        "(ICD-10-CM A18.01 tuberculosis of spine); WHO asterisk codes M49.0 (tuberculosis of "
        "spine), M90.0 (tuberculosis of bone) and M01.1 (tuberculous arthritis), absent from "
        "ICD-10-CM.",
        _r("A18.0"), _r("M49.0", systems=_WHO), _r("M90.0", systems=_WHO),
        _r("M01.1", systems=_WHO)),
    _vs(Concept.PSYCHIATRIC_DISORDER, "Mental and behavioural disorders",
        '"Psychological disorders or diseases." — ' + _CONV + "chapter F except tobacco "
        "dependence (F17), intellectual disability (F70–F79) and developmental/childhood-onset "
        "disorders (F80–F98: dyslexia, ADHD, tics), which do not bear on massage; "
        "unspecified mental disorder (F99) is kept.",
        _r("F00", "F16"), _r("F18", "F69"), _r("F99")),
    _vs(Concept.VARICOSE_VEINS, "Varicose veins",
        '"Phlebeurysm." — ' + _CONV + "varicose veins of lower extremities (I83), "
        "oesophageal (I85) and other sites (I86), and of the legs in pregnancy (O22.0); "
        "haemorrhoids are excluded: WHO moved them from I84 to K64 and ICD-10-CM has no I84.",
        _r("I83"), _r("I85", "I86"), _r("O22.0")),
    _vs(Concept.PURULENT_SKIN_RASH, "Inflammatory or purulent skin rashes",
        '"in the presence of inflammatory or purulent rashes on the skin" — ' + _CONV
        + "pyogenic skin infections (L00–L03: impetigo, abscess, furuncle, cellulitis; L08 "
        "incl. pyoderma L08.0), hidradenitis suppurativa (L73.2), pyoderma gangrenosum (L88) "
        "and dermatitis/eczema (L20–L30).",
        _r("L00", "L03"), _r("L08"), _r("L20", "L30"), _r("L73.2"), _r("L88")),
    _vs(Concept.SKIN_PATHOLOGY, "Diseases of the skin",
        '"Pathologies of the skin." — ' + _CONV + "chapter L (L00–L99) plus skin infections "
        "and infestations classed elsewhere: herpesviral vesicular dermatitis (B00.1), zoster "
        "(B02), viral warts (B07), molluscum (B08.1), dermatophytosis and superficial mycoses "
        "(B35–B36), pediculosis and scabies (B85–B86).",
        _r("L00", "L99"), _r("B00.1"), _r("B02"), _r("B07"), _r("B08.1"), _r("B35", "B36"),
        _r("B85", "B86")),
    _vs(Concept.URTICARIA_OEDEMA, "Urticaria, angioedema and oedema",
        '"Swelling or urticaria." — ' + _CONV + "urticaria (L50, solar L56.3), angioneurotic "
        "oedema (T78.3), hereditary angioedema (D84.1) and oedema NEC (R60); lymphoedema "
        "(I89.0) is excluded because it is treated by lymphatic massage.",
        _r("L50"), _r("L56.3"), _r("T78.3"), _r("D84.1"), _r("R60")),
    _vs(Concept.INFECTIOUS_DISEASE, "Infectious and parasitic diseases",
        '"Infectious diseases." — ' + _CONV + "A00–B89 and B99; sequelae (B90–B94) and "
        "agent codes used as supplementary codes (B95–B98) are not active infections; acute "
        "respiratory infections, influenza and pneumonia (J00–J22) and COVID-19 (U07.1) are.",
        _r("A00", "B89"), _r("B99"), _r("J00", "J22"), _r("U07.1")),
    _vs(Concept.DIGESTIVE_DISORDER, "Diseases of the digestive tract",
        '"It is forbidden to massage during periods of increased body temperature, fever, or '
        'disturbances in the digestive tract." — ' + _CONV + "chapter K without oral and "
        "dental diseases (K00–K14) and abdominal-wall hernias (K40–K46): K20–K38, K50–K95 "
        "(liver, biliary and pancreatic disease included, as in the Russian 'ЖКТ'); "
        "intestinal infections (A00–A09) and digestive/abdominal symptoms (R10–R19).",
        _r("K20", "K38"), _r("K50", "K95"), _r("A00", "A09"), _r("R10", "R19")),
    _vs(Concept.HYPERTENSION, "Hypertensive diseases",
        '"High blood pressure."; "with hypertension of the second or third stage" — ' + _CONV
        + "hypertensive diseases I10–I15, ICD-10-CM hypertensive crisis (I16) and "
        "hypertension in pregnancy (O10–O11, O13–O16; O12 has no hypertension).",
        _r("I10", "I15"), _r("I16", systems=_CM), _r("O10", "O11"), _r("O13", "O16")),
    _vs(Concept.HYPERTENSION_ORGAN_DAMAGE, "Hypertension with target-organ damage",
        '"with hypertension of the second or third stage" — ' + _CONV + "in the Russian "
        "staging stage II means target-organ damage and stage III associated clinical "
        "conditions; ICD-10 records these as hypertensive heart and/or kidney disease "
        "(I11–I13), hypertensive encephalopathy (I67.4) and, in ICD-10-CM, hypertensive "
        "emergency (I16.1). Stage is otherwise a clinical finding, not a code.",
        _r("I11", "I13"), _r("I67.4"), _r("I16.1", systems=_CM)),
    _vs(Concept.PREGNANCY, "Pregnancy and puerperium",
        '"during pregnancy"; "The period of bearing a baby." — ' + _CONV + "chapter O up to "
        "the puerperium (O00–O92) and maternal diseases complicating pregnancy (O98–O99; "
        "O9A in ICD-10-CM), without sequelae and late obstetric deaths (O94–O97); "
        "pregnant state and antenatal supervision/screening (Z33–Z36; ICD-10-CM weeks of "
        "gestation Z3A).",
        _r("O00", "O92"), _r("O98", "O99"), _r("O9A", systems=_CM), _r("Z33", "Z36"),
        _r("Z3A", systems=_CM)),
    _vs(Concept.FEVER, "Fever",
        '"It is forbidden to massage during periods of increased body temperature, fever" — '
        + _CONV + "fever of other and unknown origin (R50).",
        _r("R50")),
    _vs(Concept.INFLAMMATORY_PROCESS, "Acute inflammatory processes",
        '"in the presence of an inflammatory process accompanied by high temperature" — '
        + _CONV + "acute inflammation relevant to back massage: pyogenic arthritis (M00), "
        "inflammatory spondylopathies incl. discitis (M46), osteomyelitis (M86), infective "
        "myositis (M60.0), necrotising fasciitis (M72.6), acute pyelonephritis (N10), renal "
        "and perinephric abscess (N15.1), cutaneous abscess and cellulitis (L02–L03), acute "
        "pericarditis/endocarditis/myocarditis (I30, I33, I40). Fever (R50) is kept separate "
        "so that the rules can require both.",
        _r("M00"), _r("M46"), _r("M86"), _r("M60.0"), _r("M72.6"), _r("N10"), _r("N15.1"),
        _r("L02", "L03"), _r("I30"), _r("I33"), _r("I40")),
    _vs(Concept.ANTICOAGULANT_THERAPY, "Long-term anticoagulant therapy",
        '"with a tendency to thrombosis" — ' + _CONV + "normally derived from medications; "
        "codes recording current anticoagulant use: ICD-10-CM Z79.01 and D68.32 (bleeding "
        "due to extrinsic anticoagulants), WHO Z92.1. Antiplatelets (Z79.02) are excluded.",
        _r("Z79.01", systems=_CM), _r("D68.32", systems=_CM), _r("Z92.1", systems=_WHO)),
    _vs(Concept.HONEY_ALLERGY, "Allergy relevant to honey massage",
        '"When performing a massage, honey is used as a softening and nourishing agent." — '
        + _CONV + "normally derived from allergies; ICD-10 has no honey-allergy code, so the "
        "ICD-10-CM bee allergy status (Z91.030) is taken conservatively; acute sting toxicity "
        "(T63.4) is not an allergy status and is excluded.",
        _r("Z91.030", systems=_CM)),
    _vs(Concept.DISC_HERNIA, "Intervertebral disc hernia (indication)",
        '"Schmorl\'s hernia forms gradually" — ' + _CONV + "displaced or herniated discs: "
        "cervical M50.0–M50.2, thoracic/lumbar M51.0–M51.2, Schmorl's nodes M51.4, and "
        "traumatic disc rupture (S13.0, S23.0, S33.0). An indication, not a contraindication.",
        _r("M50.0", "M50.2"), _r("M51.0", "M51.2"), _r("M51.4"), _r("S13.0"), _r("S23.0"),
        _r("S33.0")),
)  # fmt: skip
"""Built-in value sets implementing the clinical source, one per :class:`Concept`."""

DEFAULT_TERMINOLOGY: Terminology = Terminology(CORE_VALUE_SETS)
"""Terminology holding :data:`CORE_VALUE_SETS`; plugins derive from it."""
