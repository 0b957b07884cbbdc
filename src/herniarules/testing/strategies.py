"""Hypothesis strategies that build valid herniarules records.

Every strategy here yields values that pass the model's validators, so a property test spends
its examples on the rules, not on rejected input. Parameters pin what a test is about::

    from herniarules.testing import patients
    from herniarules.model import Phase

    @given(patients(phase=Phase.ACUTE))
    def test_never_permitted(patient): ...

Dates are drawn around :data:`AS_OF`, the assessment date the conformance suite uses, so that
clearances, courses and surgeries are sometimes current and sometimes not.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

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
from herniarules.terminology import (
    DEFAULT_TERMINOLOGY,
    CodeSystem,
    Concept,
    Terminology,
    code_table,
    dotted,
)
from herniarules.vocabulary import (
    CONDITION_CONCEPTS,
    INGREDIENT_SYNONYMS,
    INGREDIENTS,
    Indication,
    MedicationCategory,
    Site,
    Substance,
)

__all__ = [
    "AS_OF",
    "CONTRAINDICATING_CONCEPTS",
    "INDICATIONS",
    "allergies",
    "clearances",
    "codes",
    "conditions",
    "hernia_levels",
    "hernias",
    "massage_courses",
    "medications",
    "patients",
    "surgeries",
    "vitals",
]

#: The assessment date the conformance suite passes to the engine.
AS_OF = date(2025, 3, 14)

#: The concepts the core rules restrict on; every concept except the disc hernia itself.
CONTRAINDICATING_CONCEPTS: tuple[str, ...] = tuple(
    c.value for c in Concept if c is not Concept.DISC_HERNIA
)

#: The indication vocabulary techniques rank on (:class:`~herniarules.vocabulary.Indication`).
INDICATIONS: tuple[str, ...] = tuple(indication.value for indication in Indication)

# Codes outside every core value set: a patient can carry history that does not matter.
_NEUTRAL_CODES: tuple[str, ...] = ("M54.5", "E11.9", "H52.1", "J30.1", "M17.1", "E78.0")


def _levels(region: Region) -> tuple[str, ...]:
    if region is Region.CERVICAL:
        return tuple(f"C{i}-C{i + 1}" for i in range(1, 7)) + tuple(f"C{i}" for i in range(1, 8))
    if region is Region.THORACIC:
        return tuple(f"T{i}-T{i + 1}" for i in range(1, 12)) + tuple(f"T{i}" for i in range(1, 13))
    if region is Region.LUMBAR:
        return tuple(f"L{i}-L{i + 1}" for i in range(1, 5)) + tuple(f"L{i}" for i in range(1, 6))
    return ("L5-S1", "S1", "L5")


def hernia_levels(region: Region) -> st.SearchStrategy[str]:
    """Return vertebral levels that lie in ``region``."""
    return st.sampled_from(_levels(region))


def _dates(days_before: int, days_after: int) -> st.SearchStrategy[date]:
    return st.dates(AS_OF - timedelta(days=days_before), AS_OF + timedelta(days=days_after))


@st.composite
def hernias(
    draw: st.DrawFn,
    *,
    phase: Phase | Sequence[Phase] | None = None,
    region: Region | None = None,
    kind: HerniaKind | Sequence[HerniaKind] | None = None,
    size_known: bool | None = None,
    surgery_indicated: bool | str | None = "any",
) -> Hernia:
    """Return a valid :class:`Hernia`.

    ``phase`` and ``kind`` pin one value or a choice; ``size_known`` forces a recorded (or an
    unrecorded) size; ``surgery_indicated`` pins that flag (``"any"`` draws it).
    """
    chosen_region = region if region is not None else draw(st.sampled_from(list(Region)))
    phases = [phase] if isinstance(phase, Phase) else list(phase or Phase)
    kinds = [kind] if isinstance(kind, HerniaKind) else list(kind or HerniaKind)
    known = draw(st.booleans()) if size_known is None else size_known
    size = draw(st.floats(0.0, 40.0, allow_nan=False).map(lambda x: round(x, 1))) if known else None
    indicated = (
        draw(st.sampled_from([True, False, None]))
        if surgery_indicated == "any"
        else surgery_indicated
    )
    return Hernia(
        region=chosen_region,
        level=draw(hernia_levels(chosen_region)),
        kind=draw(st.sampled_from(kinds)),
        phase=draw(st.sampled_from(phases)),
        size_mm=size,
        surgery_indicated=indicated if isinstance(indicated, bool) else None,
    )


@st.composite
def vitals(
    draw: st.DrawFn,
    *,
    recorded: bool | None = None,
    pain: tuple[int, int] = (0, 10),
    temperature: tuple[float, float] = (35.0, 41.0),
    systolic: tuple[int, int] = (90, 200),
) -> Vitals:
    """Return valid :class:`Vitals`; ``recorded=True`` records every value.

    ``pain``, ``temperature`` and ``systolic`` bound the drawn values (inclusive).
    """

    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        if recorded is True:
            return draw(strategy)
        if recorded is False:
            return None
        return draw(st.none() | strategy)

    sys_ = maybe(st.integers(*systolic))
    dia = maybe(st.integers(40, 120))
    if sys_ is not None and dia is not None and dia >= sys_:
        dia = sys_ - 20
    temp = maybe(st.floats(*temperature, allow_nan=False).map(lambda x: round(x, 1)))
    return Vitals(
        systolic_mmhg=sys_,
        diastolic_mmhg=dia,
        temperature_c=temp,
        pain_score=maybe(st.integers(*pain)),
    )


# Keyed by terminology and concept, holding codes of the shipped tables: no patient data.
@functools.lru_cache(maxsize=256)
def _concept_codes(terminology: Terminology, concept: str) -> tuple[tuple[str, CodeSystem], ...]:
    """Real codes of each line of the concept's value sets (first, middle and last it holds)."""
    pairs: list[tuple[str, CodeSystem]] = []
    for value_set in terminology.codes_for(concept):
        for code_range in value_set.codes:
            if code_range.exclude:
                continue
            for system in sorted(code_range.systems):
                table = code_table(system)
                lo, hi = table.span(code_range.start, code_range.end)
                held = table.codes()[lo:hi]
                for code in dict.fromkeys((held[0], held[len(held) // 2], held[-1])):
                    if concept in terminology.concepts_for(code, system):
                        pairs.append((dotted(code), system))
    return tuple(dict.fromkeys(pairs))


def codes(
    concept: str, terminology: Terminology = DEFAULT_TERMINOLOGY
) -> st.SearchStrategy[tuple[str, CodeSystem]]:
    """Return ``(code, system)`` pairs that ``terminology`` maps to ``concept``.

    Codes are read from the value sets, so they are the real ICD-10 codes the sets name;
    ``ValueError`` if no value set expresses ``concept``.
    """
    pairs = _concept_codes(terminology, concept)
    if not pairs:
        raise ValueError(f"no value set in {terminology!r} expresses {concept!r}")
    return st.sampled_from(pairs)


@st.composite
def conditions(
    draw: st.DrawFn,
    *,
    concepts: Iterable[str] | None = None,
    status: ClinicalStatus | Sequence[ClinicalStatus] | None = None,
    terminology: Terminology = DEFAULT_TERMINOLOGY,
    coded: bool | None = None,
) -> Condition:
    """Return a valid :class:`Condition` expressing one of ``concepts``.

    With ``concepts=None`` the condition is drawn from every value set of ``terminology`` plus
    codes that lie in none. ``coded=True`` always uses an ICD-10 code, ``False`` the concept id,
    ``None`` either; a concept the model does not know by name (a plugin's own, not in
    :data:`~herniarules.vocabulary.CONDITION_CONCEPTS`) is always coded. The body site is
    drawn too, or left out.
    """
    statuses = [status] if isinstance(status, ClinicalStatus) else list(status or ClinicalStatus)
    chosen_status = draw(st.sampled_from(statuses))
    if concepts is None:
        all_concepts = sorted({vs.concept for vs in terminology.value_sets})
        neutral = draw(st.booleans()) and coded is not False
        if neutral:
            code = draw(st.sampled_from(_NEUTRAL_CODES))
            return Condition(status=chosen_status, code=code)
        concept = draw(st.sampled_from(all_concepts))
    else:
        concept = draw(st.sampled_from(sorted(concepts)))
    use_code = draw(st.booleans()) if coded is None else coded
    site = draw(st.none() | st.sampled_from(list(Site)))
    if (use_code or concept not in CONDITION_CONCEPTS) and terminology.codes_for(concept):
        code, system = draw(codes(concept, terminology))
        return Condition(status=chosen_status, code=code, system=system, site=site)
    return Condition(status=chosen_status, concept=concept, site=site)


@st.composite
def allergies(draw: st.DrawFn) -> Allergy:
    """Return an allergy to any listed substance, bee products among them.

    A substance is given as its member, its name or a synonym; ``other`` names the substance.
    """
    substance = draw(st.sampled_from(list(Substance)))
    if substance is Substance.OTHER:
        return Allergy(substance, display=draw(st.sampled_from(["Nickel", "Chlorhexidine"])))
    spellings = [substance, substance.value]
    spellings += [word for word, meant in Substance.synonyms().items() if meant is substance]
    return Allergy(draw(st.sampled_from(spellings)))


_NAMES = sorted([*INGREDIENTS, *INGREDIENT_SYNONYMS])
_ATC_CODES = sorted({*INGREDIENTS.values(), "B01A", "B01AX", "M01AE", "N02BE01", "R06AX13"})


@st.composite
def medications(draw: st.DrawFn) -> Medication:
    """Return a medication with a category, and sometimes a name and an ATC code.

    Names and codes come from the ingredient table (and a few codes of groups); they need
    not agree with the category, as in real records.
    """
    return Medication(
        category=draw(st.sampled_from(list(MedicationCategory))),
        name=draw(st.none() | st.sampled_from(_NAMES)),
        atc=draw(st.none() | st.sampled_from(_ATC_CODES)),
    )


@st.composite
def massage_courses(draw: st.DrawFn) -> MassageCourse:
    """Return a finished massage course ending up to two years before :data:`AS_OF`."""
    end = draw(_dates(730, 0))
    length = draw(st.integers(0, 30))
    return MassageCourse(end_date=end, start_date=end - timedelta(days=length))


def surgeries() -> st.SearchStrategy[Surgery]:
    """Return spinal operations dated up to three years before :data:`AS_OF`."""
    return st.builds(
        Surgery, date=_dates(1095, 0), procedure=st.sampled_from([None, "microdiscectomy"])
    )


@st.composite
def clearances(
    draw: st.DrawFn, techniques: Sequence[str] = ("classic",), *, valid: bool | None = None
) -> Clearance:
    """Return a clearance for one of ``techniques``; ``valid=True`` makes it hold on AS_OF."""
    technique = draw(st.sampled_from(list(techniques)))
    if valid is True:
        start = draw(_dates(180, 0))
        until = draw(st.none() | _dates(0, 180))
    else:
        start = draw(_dates(365, 30))
        until = draw(st.none() | st.dates(start, start + timedelta(days=365)))
        if valid is False:
            end = start if until is None else until
            if start <= AS_OF <= end:
                start = end = AS_OF + timedelta(days=1)
            until = end
    return Clearance(technique=technique, physician="Dr. A. Petrova", date=start, valid_until=until)


@st.composite
def patients(
    draw: st.DrawFn,
    *,
    phase: Phase | Sequence[Phase] | None = None,
    concepts: Iterable[str] | None = None,
    with_hernia: bool | None = True,
    complete: bool = False,
    clean: bool = False,
    terminology: Terminology = DEFAULT_TERMINOLOGY,
    clearance_for: Sequence[str] = (),
) -> Patient:
    """Return a valid :class:`Patient`.

    :param phase: every hernia is in this phase (or one of these).
    :param concepts: the patient has one active condition for each of these concepts.
    :param with_hernia: ``True`` at least one hernia, ``False`` none, ``None`` either.
    :param complete: record every value the core rules read (vitals, flags, sizes).
    :param clean: no condition, medication, allergy, course or surgery, normal vitals, mild
        pain, protrusions in remission or subacute phase unless ``phase`` says otherwise: a
        patient the core rules permit, for testing a plugin's own rules.
    :param terminology: where condition codes are drawn from.
    :param clearance_for: record a clearance valid on :data:`AS_OF` for each technique id.
    """
    sex = draw(st.sampled_from(list(Sex)))
    age = draw(st.integers(18, 90))
    hernia_phase = (
        phase if phase is not None else ((Phase.REMISSION, Phase.SUBACUTE) if clean else None)
    )
    count = 0 if with_hernia is False else draw(st.integers(1 if with_hernia else 0, 3))
    hernia_list = tuple(
        draw(
            hernias(
                phase=hernia_phase,
                kind=HerniaKind.PROTRUSION if clean else None,
                size_known=True if complete or clean else None,
                surgery_indicated=False if complete or clean else "any",
            )
        )
        for _ in range(count)
    )
    if clean:
        vital = draw(
            vitals(recorded=True, pain=(0, 3), temperature=(36.0, 37.2), systolic=(100, 135))
        )
        if vital.diastolic_mmhg is not None and vital.diastolic_mmhg >= 90:
            vital = Vitals(vital.systolic_mmhg, 80, vital.temperature_c, vital.pain_score)
    else:
        vital = draw(vitals(recorded=True if complete else None))
    condition_list: list[Condition] = []
    if concepts is not None:
        for concept in sorted(set(concepts)):
            condition_list.append(
                draw(
                    conditions(
                        concepts=[concept], status=ClinicalStatus.ACTIVE, terminology=terminology
                    )
                )
            )
    if not clean:
        condition_list.extend(draw(st.lists(conditions(terminology=terminology), max_size=3)))
    pregnant: bool | None
    if sex is Sex.MALE or clean:
        pregnant = False if (complete or clean) else draw(st.sampled_from([False, None]))
    else:
        pregnant = draw(st.booleans()) if complete else draw(st.sampled_from([True, False, None]))
    inflammatory = (
        False
        if clean
        else draw(st.booleans() if complete else st.sampled_from([True, False, None]))
    )
    technique_clearances = tuple(
        draw(clearances([technique], valid=True)) for technique in clearance_for
    )
    extra_clearances = () if clean else tuple(draw(st.lists(clearances(), max_size=1)))
    return Patient(
        id=draw(st.from_regex(r"\AP-[0-9]{1,6}\Z")),
        age=age,
        sex=sex,
        vitals=vital,
        hernias=hernia_list,
        pregnant=pregnant,
        inflammatory_process=inflammatory,
        conditions=tuple(condition_list),
        allergies=() if clean else tuple(draw(st.lists(allergies(), max_size=2, unique=True))),
        medications=() if clean else tuple(draw(st.lists(medications(), max_size=2))),
        massage_courses=() if clean else tuple(draw(st.lists(massage_courses(), max_size=2))),
        surgeries=() if clean else tuple(draw(st.lists(surgeries(), max_size=1))),
        clearances=technique_clearances + extra_clearances,
        indications=tuple(draw(st.lists(st.sampled_from(INDICATIONS), max_size=3, unique=True))),
    )
