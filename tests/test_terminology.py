"""Tests for the ICD-10 terminology: code spelling and validity, value-set lines, look-up."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herniarules.outcomes import Outcome
from herniarules.terminology import (
    CORE_VALUE_SETS,
    DEFAULT_TERMINOLOGY,
    Classification,
    CodeRange,
    CodeSystem,
    Concept,
    Terminology,
    UnknownCodeError,
    ValueSet,
    check_code,
    code_table,
    dotted,
    is_icd10_code,
    normalize_code,
)

WHO = CodeSystem.ICD10
CM = CodeSystem.ICD10_CM
BOTH = (WHO, CM)
SEED = Path("/work/shared/seeds/000_755de5a2e3641f64.txt")
X = Outcome.CONTRAINDICATED
D = Outcome.DEFER
RC = Outcome.REQUIRES_CLEARANCE
CORE = {value_set.id: value_set for value_set in CORE_VALUE_SETS}


def concepts(code: str, system: CodeSystem = WHO) -> frozenset[str]:
    return DEFAULT_TERMINOLOGY.concepts_for(code, system)


def systems_having(code: str) -> tuple[CodeSystem, ...]:
    """Return the systems in which ``code`` exists; fail if it exists in neither."""
    found = tuple(s for s in BOTH if normalize_code(code) in code_table(s))
    assert found, f"{code} is a code of neither system: the test must use real codes"
    return found


def real(*codes: str) -> list[str]:
    """Return ``codes`` normalized, failing if one exists in neither system."""
    for code in codes:
        systems_having(code)
    return [normalize_code(code) for code in codes]


def plugin_set(*lines: CodeRange, concept: str = "acme-finding", **kwargs: object) -> ValueSet:
    return ValueSet(concept, "Acme finding", lines, "clinical convention: test", "acme.finding",
                    **kwargs)  # type: ignore[arg-type]  # fmt: skip


# --------------------------------------------------------------------------- normalize_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("c34.1 ", "C341"),
        ("C341", "C341"),
        ("  m86 ", "M86"),
        ("O9A.1", "O9A1"),
        ("o9a.11", "O9A11"),
        ("Z91.030", "Z91030"),
        ("T78.3XXA", "T783XXA"),
        ("A18.0†", "A180"),
        ("M49.0*", "M490"),
        ("U07.1", "U071"),
        ("QA0.0", "QA00"),
        ("qa0", "QA0"),
        ("I1A.0", "I1A0"),
        ("z3a.01", "Z3A01"),
    ],
)
def test_normalize_code_accepts_every_conventional_spelling(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected
    assert is_icd10_code(raw)


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "C3", "34.1", "C34..1", "C3.41", "C.341", "C34.", "C34.12345", "C34 1", "C-34",
     "Ä34", "C3A4.1", "C34.1.2", "*C34", "A18.0**", "3A0"],
)  # fmt: skip
def test_misshapen_codes_raise_value_error_naming_the_expected_shape(raw: str) -> None:
    assert not is_icd10_code(raw)
    with pytest.raises(ValueError, match=r"is not an ICD-10 code: expected a letter"):
        normalize_code(raw)
    for system in BOTH:
        with pytest.raises(ValueError, match="not an ICD-10 code"):
            DEFAULT_TERMINOLOGY.concepts_for(raw, system)


def test_non_string_code_is_rejected_with_type_error() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        normalize_code(341)  # type: ignore[arg-type]
    assert not is_icd10_code(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a str"):
        DEFAULT_TERMINOLOGY.concepts_for(341)  # type: ignore[arg-type]


def test_dotted_restores_the_conventional_spelling() -> None:
    assert dotted("C341") == "C34.1"
    assert dotted("M86") == "M86"
    assert dotted("T783XXA") == "T78.3XXA"
    assert dotted("QA00") == "QA0.0"


def test_code_system_display_names() -> None:
    assert WHO.value == "icd-10" and WHO.display_name == "WHO ICD-10"
    assert CM.value == "icd-10-cm" and CM.display_name == "ICD-10-CM"


# --------------------------------------------------------------------------- code validity


@pytest.mark.parametrize(
    ("code", "system"),
    [("C99.9", WHO), ("I84.9", WHO), ("U99", WHO), ("Q99.99", CM), ("C99.9", CM)],
)
def test_codes_that_do_not_exist_are_errors_with_close_matches(
    code: str, system: CodeSystem
) -> None:
    with pytest.raises(UnknownCodeError) as caught:
        check_code(code, system)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.code == code and error.system is system
    assert error.suggestions, "a misspelt code gets suggestions"
    for suggestion in error.suggestions:
        assert normalize_code(suggestion) in code_table(system), suggestion
        assert suggestion[0] == code[0]
    article = "a" if system is WHO else "an"
    assert str(error).startswith(f"{code} is not {article} {system.display_name} code")
    assert f"did you mean {', '.join(error.suggestions)}?" in str(error)
    with pytest.raises(UnknownCodeError, match=re.escape(code)):
        DEFAULT_TERMINOLOGY.concepts_for(code, system)
    with pytest.raises(UnknownCodeError, match=re.escape(code)):
        DEFAULT_TERMINOLOGY.lookup(code, system)


def test_q99_99_suggests_q99_9() -> None:
    with pytest.raises(UnknownCodeError) as caught:
        check_code("Q99.99", CM)
    assert "Q99.9" in caught.value.suggestions


def test_qa0_0_is_a_valid_icd10cm_code_and_no_who_code() -> None:
    assert check_code("QA0.0", CM) == "QA00"
    assert DEFAULT_TERMINOLOGY.lookup("qa0.0", CM).code == "QA0.0"
    with pytest.raises(
        UnknownCodeError, match=re.escape("QA0.0 is an ICD-10-CM code, not a WHO ICD-10 one")
    ):
        check_code("QA0.0", WHO)


@pytest.mark.parametrize("code", ["M49.0", "M90.0", "M01.1", "Z92.1", "U07.2"])
def test_who_only_codes_sent_as_icd10cm_name_the_who_system(code: str) -> None:
    assert check_code(code, WHO) == normalize_code(code)
    with pytest.raises(UnknownCodeError) as caught:
        check_code(code, CM)
    message = str(caught.value)
    assert message.startswith(f"{code} is a WHO ICD-10 code, not an ICD-10-CM one")
    assert "set system to 'icd-10'" in message
    assert caught.value.suggestions == ()
    with pytest.raises(UnknownCodeError, match="is a WHO ICD-10 code"):
        DEFAULT_TERMINOLOGY.concepts_for(code, CM)


@pytest.mark.parametrize("code", ["I16.0", "O9A.1", "Z3A.01", "Z86.718", "I1A.0", "QA0.0"])
def test_icd10cm_only_codes_sent_as_who_name_the_icd10cm_system(code: str) -> None:
    assert check_code(code, CM) == normalize_code(code)
    with pytest.raises(UnknownCodeError) as caught:
        check_code(code, WHO)
    message = str(caught.value)
    assert message.startswith(f"{code} is an ICD-10-CM code, not a WHO ICD-10 one")
    assert "set system to 'icd-10-cm'" in message
    with pytest.raises(UnknownCodeError, match="is an ICD-10-CM code"):
        DEFAULT_TERMINOLOGY.lookup(code, WHO)


@pytest.mark.parametrize(
    ("spelling", "system", "code"),
    [
        ("A18.0†", WHO, "A18.0"),
        ("A18.0+", WHO, "A18.0"),
        ("M49.0*", WHO, "M49.0"),
        ("m490*", WHO, "M49.0"),
        ("  c34.1\t", WHO, "C34.1"),
        ("C341", CM, "C34.1"),
        ("t78.3xxa", CM, "T78.3XXA"),
        ("o9a.11", CM, "O9A.11"),
    ],
)
def test_daggers_asterisks_dots_and_case_are_accepted(
    spelling: str, system: CodeSystem, code: str
) -> None:
    assert check_code(spelling, system) == normalize_code(code)
    entry = DEFAULT_TERMINOLOGY.lookup(spelling, system)
    assert entry.code == code and entry.system is system
    assert DEFAULT_TERMINOLOGY.concepts_for(spelling, system) == concepts(code, system)


def test_lookup_returns_the_display_and_label() -> None:
    entry = DEFAULT_TERMINOLOGY.lookup("c61")
    assert entry.code == "C61" and entry.display == "Malignant neoplasm of prostate"
    assert entry.label == "C61 Malignant neoplasm of prostate"
    assert entry.classifications == (
        Classification(Concept.MALIGNANCY, X, None, "core.malignancy"),
    )


def test_system_may_be_given_by_its_value() -> None:
    cm = "icd-10-cm"
    assert DEFAULT_TERMINOLOGY.concepts_for("Z86.718", cm) == {Concept.THROMBOSIS_TENDENCY}  # type: ignore[arg-type]
    assert DEFAULT_TERMINOLOGY.lookup("Z86.718", cm).system is CM  # type: ignore[arg-type]


def test_system_may_be_given_by_its_value_before_its_table_is_read() -> None:
    # A fresh process, so that the string reaches the table loader first.
    script = (
        "from herniarules.terminology import DEFAULT_TERMINOLOGY as T\n"
        "print(sorted(T.concepts_for('Z86.718', 'icd-10-cm')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['thrombosis-tendency']"


def test_unknown_system_is_rejected_with_value_error() -> None:
    with pytest.raises(ValueError, match="icd-11"):
        DEFAULT_TERMINOLOGY.concepts_for("C34.1", "icd-11")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="icd-11"):
        DEFAULT_TERMINOLOGY.lookup("C34.1", "icd-11")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- CodeRange


def test_code_range_contains_its_bounds_and_everything_between_by_prefix() -> None:
    cancer = CodeRange("C00", "C97")
    assert cancer.end == "C97"
    for inside in real("C00", "C00.0", "C34.1", "C96.9", "C97"):
        assert cancer.contains(inside), inside
    for outside in real("B99", "B99.9", "D00", "D00.0", "A00.0", "D10.0"):
        assert not cancer.contains(outside), outside


def test_single_category_line_holds_the_category_and_its_descendants() -> None:
    osteo = CodeRange("M86")
    assert osteo.end == "M86"
    assert all(osteo.contains(c) for c in real("M86", "M86.1", "M86.17"))
    assert not any(osteo.contains(c) for c in real("M85", "M85.9", "M87", "M87.0"))
    vte = CodeRange("Z86.71")
    assert vte.start == "Z8671"
    assert vte.contains(normalize_code("Z86.718")) and vte.contains("Z8671")
    assert not vte.contains("Z867")  # less specific than the line
    assert not any(vte.contains(c) for c in real("Z86", "Z86.72"))


def test_letter_in_third_position_sorts_after_digits() -> None:
    pregnancy_cm = CodeRange("O98", "O9A")
    assert all(pregnancy_cm.contains(c) for c in real("O98", "O99", "O99.4", "O9A", "O9A.11"))
    assert not pregnancy_cm.contains(normalize_code("O97"))
    hypertension = CodeRange("I10", "I15")
    assert not hypertension.contains(normalize_code("I1A.0"))
    assert CodeRange("I15", "I1A").contains(normalize_code("I1A.0"))
    assert not CodeRange("I15", "I1A").contains(normalize_code("I20"))


def test_letter_in_second_position_sorts_after_every_digit() -> None:
    congenital = CodeRange("Q00", "QA0")
    assert all(congenital.contains(c) for c in real("Q00", "Q99.9", "QA0", "QA0.0"))
    assert not congenital.contains(normalize_code("R00"))
    assert not CodeRange("Q00", "Q99").contains(normalize_code("QA0.0"))


def test_code_range_render_and_systems() -> None:
    assert CodeRange("c00", "C97").render() == "C00–C97"
    assert CodeRange("M86").render() == "M86"
    assert CodeRange("Z86.71", "Z86.72").render() == "Z86.71–Z86.72"
    assert CodeRange("M86").systems == frozenset({WHO, CM})
    assert CodeRange("Z79.01", systems={CM}).systems == frozenset({CM})
    assert CodeRange("Z79.01", systems={"icd-10-cm"}).systems == frozenset({CM})  # type: ignore[arg-type]


def test_code_range_validation() -> None:
    with pytest.raises(ValueError, match="sorts after"):
        CodeRange("C97", "C00")
    with pytest.raises(ValueError, match="at least one code system"):
        CodeRange("C00", systems=frozenset())
    with pytest.raises(ValueError, match="not an ICD-10 code"):
        CodeRange("C-97")
    with pytest.raises(ValueError, match="cannot carry a tier or a site"):
        CodeRange("F17", exclude=True, tier=RC)
    with pytest.raises(ValueError, match="cannot carry a tier or a site"):
        CodeRange("I83", exclude=True, site="legs")
    with pytest.raises(ValueError, match="kebab-case body-site"):
        CodeRange("I83", site="Lower Legs")
    assert CodeRange("I83", tier="requires-clearance").tier is RC  # type: ignore[arg-type]


# --------------------------------------------------------------------------- core mapping

M = Concept
CASES: list[tuple[str, tuple[CodeSystem, ...], set[str]]] = [
    ("C34.1", BOTH, {M.MALIGNANCY}),
    ("C00.0", BOTH, {M.MALIGNANCY}),
    ("D05.1", BOTH, {M.MALIGNANCY}),
    ("D45", BOTH, {M.MALIGNANCY, M.BLOOD_DISEASE, M.THROMBOSIS_TENDENCY}),
    ("I26.9", BOTH, {M.THROMBOSIS_TENDENCY}),
    ("I80.2", BOTH, {M.THROMBOSIS_TENDENCY}),
    ("I82.401", (CM,), {M.THROMBOSIS_TENDENCY}),
    ("D68.51", (CM,), {M.THROMBOSIS_TENDENCY, M.BLOOD_DISEASE}),
    ("D68.6", BOTH, {M.THROMBOSIS_TENDENCY, M.BLOOD_DISEASE}),
    ("Z86.718", (CM,), {M.THROMBOSIS_TENDENCY}),
    ("D50.9", BOTH, {M.BLOOD_DISEASE}),
    ("D69.6", BOTH, {M.BLOOD_DISEASE}),
    ("I50.9", BOTH, {M.HEART_DYSFUNCTION}),
    ("I21.0", BOTH, {M.HEART_DYSFUNCTION}),
    ("I05.0", BOTH, {M.HEART_DYSFUNCTION}),
    ("I40.0", BOTH, {M.HEART_DYSFUNCTION, M.INFLAMMATORY_PROCESS}),
    ("M86.1", BOTH, {M.OSTEOMYELITIS, M.INFLAMMATORY_PROCESS}),
    ("M46.26", (CM,), {M.OSTEOMYELITIS, M.INFLAMMATORY_PROCESS}),
    ("A18.0", BOTH, {M.BONE_TUBERCULOSIS, M.INFECTIOUS_DISEASE}),
    ("A18.01", (CM,), {M.BONE_TUBERCULOSIS, M.INFECTIOUS_DISEASE}),
    ("M49.0", (WHO,), {M.BONE_TUBERCULOSIS}),
    ("M90.0", (WHO,), {M.BONE_TUBERCULOSIS}),
    ("M01.1", (WHO,), {M.BONE_TUBERCULOSIS}),
    ("F20.0", BOTH, {M.PSYCHIATRIC_DISORDER}),
    ("F32.9", BOTH, {M.PSYCHIATRIC_DISORDER}),
    ("F99", BOTH, {M.PSYCHIATRIC_DISORDER}),
    ("I83.9", BOTH, {M.VARICOSE_VEINS}),
    ("I86.1", BOTH, {M.VARICOSE_VEINS}),
    ("L01.0", BOTH, {M.PURULENT_SKIN_RASH, M.SKIN_PATHOLOGY}),
    ("L08.0", BOTH, {M.PURULENT_SKIN_RASH, M.SKIN_PATHOLOGY}),
    ("L02.2", BOTH, {M.PURULENT_SKIN_RASH, M.SKIN_PATHOLOGY, M.INFLAMMATORY_PROCESS}),
    ("L40.0", BOTH, {M.SKIN_PATHOLOGY}),
    ("B35.4", BOTH, {M.SKIN_PATHOLOGY, M.INFECTIOUS_DISEASE}),
    ("L50.0", BOTH, {M.URTICARIA_OEDEMA, M.SKIN_PATHOLOGY}),
    ("T78.3", BOTH, {M.URTICARIA_OEDEMA}),
    ("T78.3XXA", (CM,), {M.URTICARIA_OEDEMA}),
    ("R60.0", BOTH, {M.URTICARIA_OEDEMA}),
    ("J10.1", BOTH, {M.INFECTIOUS_DISEASE}),
    ("U07.1", BOTH, {M.INFECTIOUS_DISEASE}),
    ("U07.2", (WHO,), {M.INFECTIOUS_DISEASE}),
    ("A09", BOTH, {M.INFECTIOUS_DISEASE, M.DIGESTIVE_DISORDER}),
    ("K29.7", BOTH, {M.DIGESTIVE_DISORDER}),
    ("K64.9", BOTH, {M.DIGESTIVE_DISORDER}),
    ("R19.7", (CM,), {M.DIGESTIVE_DISORDER}),
    ("I10", BOTH, {M.HYPERTENSION}),
    ("I15.0", BOTH, {M.HYPERTENSION}),
    ("I1A.0", (CM,), {M.HYPERTENSION}),
    ("I11.9", BOTH, {M.HYPERTENSION, M.HYPERTENSION_ORGAN_DAMAGE}),
    ("I11.0", BOTH, {M.HYPERTENSION, M.HYPERTENSION_ORGAN_DAMAGE, M.HEART_DYSFUNCTION}),
    ("I12.9", BOTH, {M.HYPERTENSION, M.HYPERTENSION_ORGAN_DAMAGE}),
    ("I16.0", (CM,), {M.HYPERTENSION}),
    ("I16.1", (CM,), {M.HYPERTENSION, M.HYPERTENSION_ORGAN_DAMAGE}),
    ("O80", BOTH, {M.PREGNANCY}),
    ("O99.4", BOTH, {M.PREGNANCY}),
    ("O9A.1", (CM,), {M.PREGNANCY}),
    ("O14.1", BOTH, {M.PREGNANCY, M.HYPERTENSION}),
    ("O22.3", BOTH, {M.PREGNANCY, M.THROMBOSIS_TENDENCY}),
    ("Z34.00", (CM,), {M.PREGNANCY}),
    ("Z33", BOTH, {M.PREGNANCY}),
    ("Z3A.20", (CM,), {M.PREGNANCY}),
    ("R50.9", BOTH, {M.FEVER}),
    ("N10", BOTH, {M.INFLAMMATORY_PROCESS}),
    ("J44.1", BOTH, {M.CHRONIC_EXACERBATION}),
    ("Z79.01", (CM,), {M.ANTICOAGULANT_THERAPY}),
    ("Z79.02", (CM,), {M.ANTIPLATELET_THERAPY}),
    ("Z92.1", (WHO,), {M.ANTICOAGULANT_THERAPY}),
    ("Z91.030", (CM,), {M.HONEY_ALLERGY}),
    ("M51.1", BOTH, {M.DISC_HERNIA}),
    ("M51.4", BOTH, {M.DISC_HERNIA}),
    ("S33.0", BOTH, {M.DISC_HERNIA}),
    # deliberately in no concept
    ("K02.9", BOTH, set()),  # dental caries is not a digestive-tract disturbance
    ("F17.2", BOTH, set()),  # tobacco dependence
    ("F81.0", BOTH, set()),  # dyslexia
    ("D86.0", BOTH, set()),  # sarcoidosis: immune mechanism, not blood
    ("B91", BOTH, set()),  # sequelae of poliomyelitis: no active infection
    ("I89.0", BOTH, set()),  # lymphoedema is treated by massage
    ("M54.5", BOTH, set()),  # low back pain
    ("J45.9", BOTH, set()),  # asthma without exacerbation
]


@pytest.mark.parametrize(("code", "systems", "expected"), CASES)
def test_real_codes_map_to_exact_concepts(
    code: str, systems: tuple[CodeSystem, ...], expected: set[str]
) -> None:
    assert systems_having(code) == systems, "the case lists every system the code exists in"
    undotted = code.replace(".", "")
    for system in systems:
        for spelling in (code, undotted, code.lower(), f" {undotted.lower()} "):
            assert DEFAULT_TERMINOLOGY.concepts_for(spelling, system) == expected, (
                spelling,
                system,
            )


@pytest.mark.parametrize(
    ("concept", "inside", "outside"),
    [
        (Concept.MALIGNANCY, ["C00", "C96.9", "C97", "D00", "D09.9", "D37.0", "D49"],
         ["B99", "D10", "D10.0", "D36.9", "D50"]),
        (Concept.DIGESTIVE_DISORDER, ["K20", "K38.9", "K50", "K93.8", "K95.01", "R10", "R19.8"],
         ["K14.9", "K00", "K40.9", "K46", "R09", "R20", "A15"]),
        (Concept.PSYCHIATRIC_DISORDER, ["F00", "F16.9", "F18", "F69", "F99"],
         ["E90", "E89", "F17", "F70", "F98.9", "G00"]),
        (Concept.INFECTIOUS_DISEASE, ["A00", "B89", "B99", "J00", "J22", "U07.2"],
         ["B90", "B94.8", "B97.2", "C00", "J30", "U07.3"]),
        (Concept.HYPERTENSION, ["I10", "I15.9", "I1A", "I16.9", "O10", "O16"],
         ["I09", "I20", "O12", "O12.0"]),
        (Concept.BLOOD_DISEASE, ["D50", "D77", "D47.9"], ["D48", "D49", "D78", "D80", "D89"]),
        (Concept.HEART_DYSFUNCTION, ["I05", "I09.9", "I20", "I25.9", "I30", "I52", "I5A"],
         ["I10", "I26", "I28", "I60"]),
        (Concept.PREGNANCY, ["O00", "O92.7", "O98", "O9A", "Z33", "Z36", "Z3A"],
         ["N99", "O94", "O97", "Z32", "Z37"]),
        (Concept.THROMBOSIS_TENDENCY, ["I80", "I82.9", "D68.5", "D68.69"],
         ["I79", "I83", "D68.4"]),
        (Concept.SKIN_PATHOLOGY, ["L00", "L99", "B35", "B36.9"], ["K95", "M00", "B37"]),
        (Concept.VARICOSE_VEINS, ["I83", "I85.0", "I86.8"], ["I82", "I87"]),
    ],
)  # fmt: skip
def test_range_boundaries_follow_prefix_semantics(
    concept: Concept, inside: list[str], outside: list[str]
) -> None:
    for code in inside:
        for system in systems_having(code):
            assert concept in concepts(code, system), (code, system)
    for code in outside:
        for system in systems_having(code):
            assert concept not in concepts(code, system), (code, system)


# --------------------------------------------------------------------------- narrowest line


def tiers(code: str, system: CodeSystem, terminology: Terminology = DEFAULT_TERMINOLOGY
          ) -> dict[str, Outcome]:  # fmt: skip
    return {k.concept: k.tier for k in terminology.classify(code, system)}


def test_narrower_core_line_overrides_the_tier_of_its_range() -> None:
    # F00–F09 requires clearance; F05 (delirium) inside it defers.
    for system in BOTH:
        assert tiers("F03", system) == {Concept.PSYCHIATRIC_DISORDER: RC}
        assert tiers("F05", system) == {Concept.PSYCHIATRIC_DISORDER: D}
    # I44–I45 requires clearance; I44.1–I44.2 inside it contraindicates.
    assert tiers("I44.0", WHO) == {Concept.HEART_DYSFUNCTION: RC}
    assert tiers("I44.2", WHO) == {Concept.HEART_DYSFUNCTION: X}
    assert tiers("I44.30", CM) == {Concept.HEART_DYSFUNCTION: RC}


def test_core_exclude_line_cuts_tobacco_out_of_substance_disorders() -> None:
    for system in BOTH:
        assert tiers("F16.9", system) == {Concept.PSYCHIATRIC_DISORDER: RC}
        assert tiers("F17", system) == {}
        assert tiers("F18", system) == {Concept.PSYCHIATRIC_DISORDER: RC}
    assert tiers("F17.210", CM) == {}
    assert tiers("F17.0", WHO) == {}, "tobacco intoxication is cut out with the rest of F17"


def test_plugin_line_tier_override_and_site_inside_a_range() -> None:
    terminology = Terminology([plugin_set(
        CodeRange("I80", "I82"),
        CodeRange("I80.2", tier=RC, site="legs"),
    )])  # fmt: skip
    for system in BOTH:
        assert terminology.classify("I80.2", system) == (
            Classification("acme-finding", RC, "legs", "acme.finding"),
        )
        assert terminology.classify("I81", system) == (
            Classification("acme-finding", X, None, "acme.finding"),
        )
    assert tiers("I80.201", CM, terminology) == {"acme-finding": RC}
    assert tiers("I80.3", WHO, terminology) == {"acme-finding": X}


def test_plugin_exclude_inside_include_removes_the_sub_tree_only() -> None:
    terminology = Terminology([plugin_set(
        CodeRange("I80", "I82"),
        CodeRange("I81", exclude=True),
        CodeRange("I82.2", "I82.3", tier=RC),
    )])  # fmt: skip
    for system in BOTH:
        assert terminology.concepts_for("I81", system) == frozenset()
        assert terminology.concepts_for("I80.1", system) == {"acme-finding"}
        assert tiers("I82.3", system, terminology) == {"acme-finding": RC}
        assert tiers("I82.9", system, terminology) == {"acme-finding": X}


def test_set_tier_applies_where_a_line_gives_none() -> None:
    terminology = Terminology([plugin_set(CodeRange("I89.0"), CodeRange("R60", tier=X), tier=D)])
    assert tiers("I89.0", WHO, terminology) == {"acme-finding": D}
    assert tiers("R60.0", CM, terminology) == {"acme-finding": X}


def test_equally_narrow_lines_that_disagree_are_rejected() -> None:
    message = "lines I83 and I83 are equally narrow and disagree on I83"
    with pytest.raises(ValueError, match=message):
        Terminology([plugin_set(CodeRange("I83"), CodeRange("I83", tier=RC))])
    with pytest.raises(ValueError, match="equally narrow and disagree"):
        Terminology([plugin_set(CodeRange("I83"), CodeRange("I83", exclude=True))])
    with pytest.raises(ValueError, match="equally narrow and disagree"):
        DEFAULT_TERMINOLOGY.with_value_sets(
            plugin_set(CodeRange("I83"), CodeRange("I83", site="legs"))
        )


def test_equally_narrow_lines_that_agree_are_accepted() -> None:
    terminology = Terminology([plugin_set(CodeRange("I83", reason="a"), CodeRange("I83"))])
    assert tiers("I83.9", WHO, terminology) == {"acme-finding": X}


# --------------------------------------------------------------------------- registry


def test_value_sets_are_listable_sorted_and_documented() -> None:
    value_sets = DEFAULT_TERMINOLOGY.value_sets
    assert value_sets == tuple(sorted(CORE_VALUE_SETS, key=lambda vs: vs.id))
    ids = [vs.id for vs in value_sets]
    assert len(set(ids)) == len(ids)
    for vs in value_sets:
        assert vs.id == f"core.{vs.concept}"
        assert vs.source.strip() and vs.title.strip() and vs.codes
        assert "clinical convention:" in vs.source or vs.source.startswith('"')
        assert vs.concept in {c.value for c in Concept}
        assert all(line.reason for line in vs.codes), vs.id


def test_every_concept_but_the_medication_only_one_has_a_value_set() -> None:
    covered = {vs.concept for vs in CORE_VALUE_SETS}
    assert covered == {c.value for c in Concept} - {Concept.THROMBOLYTIC_THERAPY}
    for concept in Concept:
        if concept is Concept.THROMBOLYTIC_THERAPY:
            continue
        assert DEFAULT_TERMINOLOGY.codes_for(concept), concept
        assert all(vs.concept == concept for vs in DEFAULT_TERMINOLOGY.codes_for(concept))
        assert DEFAULT_TERMINOLOGY.value_set_for(concept) is CORE[f"core.{concept}"]
    assert DEFAULT_TERMINOLOGY.codes_for(Concept.THROMBOLYTIC_THERAPY) == ()
    assert DEFAULT_TERMINOLOGY.value_set_for(Concept.THROMBOLYTIC_THERAPY) is None
    assert DEFAULT_TERMINOLOGY.concepts == covered


def test_history_tiers_of_malignancy_and_thrombosis() -> None:
    assert CORE["core.malignancy"].history_tier is RC
    assert CORE["core.thrombosis-tendency"].history_tier is X
    assert CORE["core.fever"].history_tier is None


def test_strictest_tier_is_the_most_severe_of_set_and_lines() -> None:
    assert CORE["core.hypertension"].tier is RC
    assert CORE["core.hypertension"].strictest_tier is D  # I16 hypertensive crisis
    assert CORE["core.disc-hernia"].strictest_tier is Outcome.ALLOWED
    assert CORE["core.psychiatric-disorder"].strictest_tier is X


@pytest.mark.skipif(not SEED.exists(), reason="clinical source text not available")
def test_quoted_source_passages_appear_in_the_clinical_source() -> None:
    text = " ".join(SEED.read_text(encoding="utf-8").split())
    for vs in CORE_VALUE_SETS:
        quoted_part = vs.source.split(" — ", 1)[0]
        quotes = re.findall(r'"([^"]+)"', quoted_part)
        assert quotes, vs.id
        for quote in quotes:
            assert quote in text, (vs.id, quote)


def test_codes_for_unknown_concept_is_empty() -> None:
    assert DEFAULT_TERMINOLOGY.codes_for("no-such-concept") == ()
    assert DEFAULT_TERMINOLOGY.value_set_for("no-such-concept") is None
    malignancy = DEFAULT_TERMINOLOGY.codes_for(Concept.MALIGNANCY)
    assert [vs.id for vs in malignancy] == ["core.malignancy"]
    assert "C00–C97" in [r.render() for r in malignancy[0].codes]


PLUGIN_SET = ValueSet(
    concept="lymphoedema",
    title="Lymphoedema",
    codes=(CodeRange("I89.0"), CodeRange("I97.2")),
    source="clinical convention: a plugin's own concept",
    id="acme.lymphoedema",
)


def test_with_value_sets_adds_plugin_concept_without_mutating() -> None:
    extended = DEFAULT_TERMINOLOGY.with_value_sets(PLUGIN_SET)
    assert extended is not DEFAULT_TERMINOLOGY
    assert extended.concepts_for("i89.0") == {"lymphoedema"}
    assert extended.concepts_for("I97.2", CM) == {"lymphoedema"}
    assert extended.concepts_for("C34.1") == {Concept.MALIGNANCY}
    assert extended.lookup("I89.0").classifications == (
        Classification("lymphoedema", X, None, "acme.lymphoedema"),
    )
    assert DEFAULT_TERMINOLOGY.concepts_for("I89.0") == frozenset()
    assert DEFAULT_TERMINOLOGY.lookup("I89.0").classifications == ()
    assert PLUGIN_SET in extended.value_sets and PLUGIN_SET not in DEFAULT_TERMINOLOGY.value_sets
    assert extended.codes_for("lymphoedema") == (PLUGIN_SET,)
    assert "lymphoedema" in extended.concepts and "lymphoedema" not in DEFAULT_TERMINOLOGY.concepts
    assert [vs.id for vs in extended.value_sets] == sorted(vs.id for vs in extended.value_sets)
    assert "acme.lymphoedema" in repr(extended)


def test_plugin_can_extend_a_core_concept() -> None:
    extra = ValueSet(
        Concept.MALIGNANCY, "History of cancer", (CodeRange("Z85"),), "clinical convention: x",
        "acme.cancer-history",
    )  # fmt: skip
    extended = DEFAULT_TERMINOLOGY.with_value_sets(extra)
    assert extended.concepts_for("Z85.3") == {Concept.MALIGNANCY}
    assert extended.classify("Z85.3") == (
        Classification(Concept.MALIGNANCY, X, None, "acme.cancer-history"),
        Classification(Concept.MALIGNANCY, RC, None, "core.malignancy"),
    )
    assert len(extended.codes_for(Concept.MALIGNANCY)) == 2
    assert extended.value_set_for(Concept.MALIGNANCY) is extra  # first by id


def test_replacing_a_core_value_set_masks_its_shipped_classification() -> None:
    fever = CORE["core.fever"]
    stricter = attrs.evolve(fever, tier=X)
    terminology = Terminology([*(vs for vs in CORE_VALUE_SETS if vs is not fever), stricter])
    assert tiers("R50.9", WHO, terminology) == {Concept.FEVER: X}
    assert tiers("R50.9", WHO) == {Concept.FEVER: D}


def test_empty_terminology_maps_nothing_but_still_checks_codes() -> None:
    empty = Terminology(())
    assert empty.value_sets == () and empty.concepts == frozenset()
    assert empty.concepts_for("C34.1") == frozenset()
    assert empty.lookup("C34.1").classifications == ()
    with pytest.raises(UnknownCodeError):
        empty.concepts_for("C99.9")


def test_default_terminology_holds_the_core_value_sets() -> None:
    assert Terminology().value_sets == DEFAULT_TERMINOLOGY.value_sets


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"duplicate value set id 'acme\.lymphoedema'"):
        DEFAULT_TERMINOLOGY.with_value_sets(PLUGIN_SET).with_value_sets(PLUGIN_SET)
    with pytest.raises(ValueError, match=r"duplicate value set id 'core\.malignancy'"):
        DEFAULT_TERMINOLOGY.with_value_sets(CORE["core.malignancy"])
    with pytest.raises(ValueError, match="duplicate"):
        Terminology([PLUGIN_SET, PLUGIN_SET])


def test_terminology_rejects_what_is_not_a_value_set() -> None:
    with pytest.raises(TypeError, match="expected ValueSet"):
        Terminology([CodeRange("I89.0")])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("line", "named"),
    [
        (CodeRange("C99.9", systems={WHO}), "C99.9 is not a WHO ICD-10 code"),
        (CodeRange("cancer", systems={WHO}), "CAN.CER is not a WHO ICD-10 code"),
        (CodeRange("Q99.99", systems={CM}), "Q99.99 is not an ICD-10-CM code"),
        (CodeRange("Z79.01"), "Z79.01 is not a WHO ICD-10 code"),
        (CodeRange("M49.0"), "M49.0 is not an ICD-10-CM code"),
        (CodeRange("I89.0", "I89.99"), "I89.99, a bound of I89.0–I89.99"),
        (CodeRange("U98", "U99", systems={WHO}), "U98–U99 holds no WHO ICD-10 code"),
    ],
)
def test_plugin_value_set_naming_a_code_that_does_not_exist_is_rejected(
    line: CodeRange, named: str
) -> None:
    bad = plugin_set(CodeRange("I89.0"), line)
    with pytest.raises(ValueError, match=re.escape(named)) as caught:
        Terminology([*CORE_VALUE_SETS, bad])
    assert "acme.finding" in str(caught.value)
    with pytest.raises(ValueError, match=re.escape(named)):
        DEFAULT_TERMINOLOGY.with_value_sets(bad)
    assert DEFAULT_TERMINOLOGY.concepts_for("I89.0") == frozenset()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("concept", "Lymph Oedema", "kebab-case"),
        ("concept", "lymph_oedema", "kebab-case"),
        ("id", "lymphoedema", "<plugin>.<name>"),
        ("id", "Acme.Lymph", "<plugin>.<name>"),
        ("codes", (), "at least one code range"),
        ("codes", (CodeRange("F17", exclude=True),), "at least one code range"),
        ("source", "  ", "source must not be empty"),
        ("title", "", "title must not be empty"),
    ],
)
def test_value_set_validation(field: str, value: object, message: str) -> None:
    kwargs: dict[str, object] = {
        "concept": "lymphoedema", "title": "T", "codes": (CodeRange("I89"),),
        "source": "clinical convention: x", "id": "acme.lymph",
    }  # fmt: skip
    ValueSet(**kwargs)  # type: ignore[arg-type]
    kwargs[field] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        ValueSet(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties


def _codes_of_letters(system: CodeSystem, first: str, last: str) -> list[str]:
    return [code for code in code_table(system).codes() if first <= code[0] <= last]


@functools.cache
def _width(line: CodeRange, system: CodeSystem) -> int:
    """Count, one code at a time, the codes of ``system`` that ``line`` contains."""
    pool = _codes_of_letters(system, line.start[0], line.end[0])
    return sum(1 for code in pool if line.contains(code))


def reference(
    value_sets: Iterable[ValueSet], code: str, system: CodeSystem
) -> tuple[Classification, ...]:
    """Classify ``code`` by reading every line of every value set: the narrowest line decides."""
    found = []
    for vs in sorted(value_sets, key=lambda vs: vs.id):
        lines = [line for line in vs.codes if system in line.systems and line.contains(code)]
        if not lines:
            continue
        narrowest = min(_width(line, system) for line in lines)
        deciding = {
            (line.exclude, line.tier, line.site)
            for line in lines
            if _width(line, system) == narrowest
        }
        assert len(deciding) == 1, f"{vs.id}: equally narrow lines disagree on {code}"
        ((exclude, tier, site),) = deciding
        if not exclude:
            found.append(Classification(vs.concept, tier or vs.tier, site, vs.id))
    return tuple(found)


SPELLINGS: list[Callable[[str], str]] = [
    lambda code: code,
    dotted,
    lambda code: dotted(code).lower(),
    lambda code: f" {code.lower()}\t",
]


def real_codes(system: CodeSystem) -> st.SearchStrategy[str]:
    table = code_table(system)
    classified = [code for code, _, found in table.items() if found]
    return st.one_of(st.sampled_from(table.codes()), st.sampled_from(classified))


real_code = st.one_of(*(st.tuples(real_codes(s), st.just(s)) for s in BOTH))
_FEVER, _PSYCH = CORE["core.fever"], CORE["core.psychiatric-disorder"]
#: A registry that replaces two core sets and adds a plugin's, so lookups take the expanded path.
CHANGED_SETS = (
    *(vs for vs in CORE_VALUE_SETS if vs not in (_FEVER, _PSYCH)),
    attrs.evolve(_FEVER, tier=X),
    attrs.evolve(_PSYCH, codes=(*_PSYCH.codes, CodeRange("F17.2", tier=D, reason="test"))),
    plugin_set(CodeRange("I80", "I89"), CodeRange("I85", "I86", exclude=True),
               CodeRange("I83", site="legs"), concept=Concept.VARICOSE_VEINS),
)  # fmt: skip
CHANGED = Terminology(CHANGED_SETS)


@settings(deadline=None)
@given(real_code, st.sampled_from(SPELLINGS))
def test_lookup_agrees_with_reading_every_line(
    sample: tuple[str, CodeSystem], spell: Callable[[str], str]
) -> None:
    code, system = sample
    expected = reference(CORE_VALUE_SETS, code, system)
    assert DEFAULT_TERMINOLOGY.classify(spell(code), system) == expected
    assert DEFAULT_TERMINOLOGY.lookup(spell(code), system).classifications == expected
    assert DEFAULT_TERMINOLOGY.concepts_for(spell(code), system) == {k.concept for k in expected}


@settings(deadline=None)
@given(real_code)
def test_lookup_with_replaced_and_plugin_sets_agrees_with_reading_every_line(
    sample: tuple[str, CodeSystem],
) -> None:
    code, system = sample
    assert CHANGED.classify(code, system) == reference(CHANGED_SETS, code, system)


letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
alnum = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
shapes = st.builds(lambda a, b, c, rest: a + b + c + rest, letters, alnum, alnum,
                   st.text(alnum, max_size=4))  # fmt: skip


@given(shapes)
def test_normalize_is_idempotent_and_ignores_spelling(code: str) -> None:
    assert normalize_code(code) == code
    assert normalize_code(normalize_code(code)) == code
    assert normalize_code(f"  {dotted(code).lower()}\t") == code


@given(shapes, st.sampled_from(BOTH))
def test_every_well_shaped_code_is_either_found_or_an_unknown_code_error(
    code: str, system: CodeSystem
) -> None:
    if code in code_table(system):
        assert check_code(dotted(code).lower(), system) == code
    else:
        with pytest.raises(UnknownCodeError, match=re.escape(dotted(code))):
            DEFAULT_TERMINOLOGY.concepts_for(code, system)


@given(shapes)
def test_category_range_contains_all_its_subcodes(code: str) -> None:
    assert CodeRange(code[:3]).contains(code)
    assert CodeRange(code).contains(code)


@given(st.text(max_size=12))
def test_is_icd10_code_never_raises_and_agrees_with_normalize(text: str) -> None:
    valid = is_icd10_code(text)
    try:
        normalize_code(text)
    except ValueError:
        assert not valid
    else:
        assert valid


@pytest.mark.parametrize("system", BOTH)
def test_quick_lookup_agrees_with_the_checked_one_for_every_code_and_spelling(
    system: CodeSystem,
) -> None:
    # resolve and classify look the usual spellings up in the shipped table at once; the
    # checked path (_resolve) normalizes any spelling first. Both must give the same answer
    # for every code of the system, in the table's spelling, dotted, and lower-cased.
    fresh = Terminology(CORE_VALUE_SETS)
    table = code_table(system)
    for code, display, found in table.items():
        expected = (code, display, found)
        for spelling in (code, dotted(code), f" {dotted(code).lower()}"):
            assert fresh._resolve(spelling, system) == expected
            assert fresh.resolve(spelling, system) == expected, spelling
            assert fresh.classify(spelling, system) == found, spelling


def test_quick_lookup_is_not_used_by_a_registry_with_value_sets_of_its_own() -> None:
    # A plugin value set changes the classifications of its codes: the shipped table alone
    # would answer with the core classifications, so such a registry always checks.
    extended = DEFAULT_TERMINOLOGY.with_value_sets(PLUGIN_SET)
    for _ in range(2):  # the second lookup would take a quick path if one had been kept
        assert extended.resolve("I89.0", WHO)[2] == (
            Classification("lymphoedema", X, None, "acme.lymphoedema"),
        )
        assert extended.classify("I89.0", WHO) == extended.resolve("I89.0", WHO)[2]
    assert DEFAULT_TERMINOLOGY.classify("I89.0", WHO) == ()


@pytest.mark.parametrize("system", [["icd-10"], {"icd-10": 1}, 3, None])
def test_a_system_that_is_not_one_is_a_value_error_on_the_quick_path_too(system: object) -> None:
    DEFAULT_TERMINOLOGY.resolve("C61", WHO)  # the quick path for WHO is in place
    with pytest.raises(ValueError, match="is not a valid CodeSystem"):
        DEFAULT_TERMINOLOGY.resolve("C61", system)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a valid CodeSystem"):
        DEFAULT_TERMINOLOGY.classify("C61", system)  # type: ignore[arg-type]
