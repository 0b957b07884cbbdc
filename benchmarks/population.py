"""Distinct patients for the benchmark, generated from a fixed seed with real ICD-10 codes.

The eleven example patients repeat in every round; a run over them alone cannot show the cost
of codes, conditions and records the engine has not seen before. :func:`patients` builds any
number of distinct, valid patients with a seeded :class:`random.Random`: conditions carry real
codes of both shipped code tables (half drawn from the codes some concept classifies, so that
severity tiers, sites and history tiers come up, half from the whole table, each code used once
across the population), in every clinical status, sometimes by concept alone; hernias,
vitals with values missing, medications by category, name or ATC code, allergies, courses,
surgeries, clearances and indications vary too. The same seed gives the same patients.
:func:`stream` yields the same patients one at a time, for runs too long to hold them; once a
pool of codes is used up its codes come round again, and every patient keeps its own id.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date, timedelta

from techniques import TECHNIQUES

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
from herniarules.terminology import CodeSystem, code_table, dotted
from herniarules.vocabulary import (
    CONDITION_CONCEPTS,
    INGREDIENT_SYNONYMS,
    INGREDIENTS,
    Indication,
    MedicationCategory,
    Site,
    Substance,
)

SEED = 20261127
_LEVELS = {
    Region.CERVICAL: [f"C{i}-C{i + 1}" for i in range(1, 7)],
    Region.THORACIC: [f"T{i}-T{i + 1}" for i in range(1, 12)],
    Region.LUMBAR: [f"L{i}-L{i + 1}" for i in range(1, 5)],
    Region.LUMBOSACRAL: ["L5-S1"],
}
_STATUSES = (
    [ClinicalStatus.ACTIVE] * 12
    + [ClinicalStatus.RECURRENCE, ClinicalStatus.RELAPSE]
    + [ClinicalStatus.REMISSION, ClinicalStatus.RESOLVED, ClinicalStatus.INACTIVE] * 2
)
_NAMES = sorted([*INGREDIENTS, *INGREDIENT_SYNONYMS, "vitamin c", "herbal tea"])
_ATC = sorted({*INGREDIENTS.values(), "B01A", "B01AX", "M01AE", "R06AX13"})
_TECHNIQUE_IDS = [tid for tid, _, _ in TECHNIQUES]


def code_pools(rng: random.Random) -> dict[CodeSystem, tuple[list[str], list[str]]]:
    """Return, per system, the shuffled classified codes and the shuffled whole table."""
    pools = {}
    for system in CodeSystem:
        table = code_table(system)
        every = list(table.codes())
        classified = [code for code, _, found in table.items() if found]
        rng.shuffle(every)
        rng.shuffle(classified)
        pools[system] = (classified, every)
    return pools


def _spelling(rng: random.Random, code: str) -> str:
    """Return the code as a record may write it: dotted mostly, sometimes without the dot."""
    roll = rng.random()
    if roll < 0.8:
        return dotted(code)
    if roll < 0.9:
        return code
    return dotted(code).lower()


def patients(count: int, seed: int = SEED, as_of: date = date(2026, 11, 27)) -> list[Patient]:
    """Return ``count`` distinct valid patients, the same for the same seed."""
    return list(stream(count, seed, as_of))


def stream(
    count: int | None = None, seed: int = SEED, as_of: date = date(2026, 11, 27)
) -> Iterator[Patient]:
    """Yield the patients of :func:`patients` one at a time (endlessly if ``count`` is None).

    The first ``n`` patients are those of ``patients(n)`` for every ``n``; none is kept, so a
    run over a million of them holds one patient at a time.
    """
    rng = random.Random(seed)
    pools = code_pools(rng)
    cursor = {(system, kind): 0 for system in CodeSystem for kind in (0, 1)}

    def next_code(system: CodeSystem) -> str:
        kind = 0 if rng.random() < 0.5 else 1
        pool = pools[system][kind]
        at = cursor[system, kind]
        cursor[system, kind] = at + 1
        return pool[at % len(pool)]

    def day(before: int, after: int = 0) -> date:
        return as_of + timedelta(days=rng.randint(-before, after))

    def maybe(value: object, p: float = 0.85) -> object:
        return value if rng.random() < p else None

    for number in range(count) if count is not None else itertools.count():
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        age = rng.randint(18, 90)
        hernias = []
        for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3])):
            region = rng.choice(list(Region))
            hernias.append(
                Hernia(
                    region=region,
                    level=rng.choice(_LEVELS[region]),
                    kind=rng.choice(list(HerniaKind)),
                    phase=rng.choice(list(Phase)),
                    size_mm=maybe(round(rng.uniform(1.0, 14.0), 1), 0.8),
                    surgery_indicated=rng.choice([True, False, False, False, None]),
                )
            )
        conditions = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
            status = rng.choice(_STATUSES)
            site = rng.choice(list(Site)) if rng.random() < 0.15 else None
            if rng.random() < 0.1:
                concept = rng.choice(CONDITION_CONCEPTS)
                conditions.append(
                    Condition(status=status, concept=concept, display=concept, site=site)
                )
                continue
            system = CodeSystem.ICD10 if rng.random() < 0.6 else CodeSystem.ICD10_CM
            code = _spelling(rng, next_code(system))
            conditions.append(Condition(status=status, code=code, system=system, site=site))
        medications = []
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            category = rng.choice([None, *MedicationCategory])
            name = rng.choice(_NAMES) if rng.random() < 0.6 or category is None else None
            medications.append(
                Medication(category=category, name=name, atc=maybe(rng.choice(_ATC), 0.3))
            )
        allergies = []
        if rng.random() < 0.25:
            substance = rng.choice(list(Substance))
            display = "Nickel" if substance is Substance.OTHER else None
            allergies.append(Allergy(substance, display=display))
        courses = [MassageCourse(end_date=day(400)) for _ in range(rng.choice([0, 0, 1, 1, 2]))]
        surgeries = [Surgery(date=day(400)) for _ in range(rng.choice([0, 0, 0, 1]))]
        clearances = []
        if rng.random() < 0.2:
            start = day(120, 10)
            clearances.append(
                Clearance(
                    technique=rng.choice(_TECHNIQUE_IDS),
                    physician="Dr. A. Petrova",
                    date=start,
                    valid_until=maybe(start + timedelta(days=rng.randint(0, 180)), 0.5),
                )
            )
        systolic = maybe(rng.randint(95, 200))
        diastolic = maybe(rng.randint(55, 115))
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            diastolic = systolic - 20
        pregnant = None if sex is Sex.MALE else rng.choice([None, False, False, True])
        yield Patient(
            id=f"G-{number:05d}",
            age=age,
            sex=sex,
            vitals=Vitals(
                systolic_mmhg=systolic,
                diastolic_mmhg=diastolic,
                temperature_c=maybe(round(rng.uniform(35.8, 39.0), 1)),
                pain_score=maybe(rng.randint(0, 10)),
            ),
            hernias=tuple(hernias),
            pregnant=pregnant if sex is not Sex.MALE else rng.choice([None, False]),
            inflammatory_process=rng.choice([None, False, False, True]),
            conditions=tuple(conditions),
            allergies=tuple(allergies),
            medications=tuple(medications),
            massage_courses=tuple(courses),
            surgeries=tuple(surgeries),
            clearances=tuple(clearances),
            indications=tuple(rng.sample(list(Indication), rng.randint(0, 3))),
        )
