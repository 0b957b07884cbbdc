"""Tests for the ICD-10 terminology: code shape, ranges, value sets and concept look-up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herniarules.terminology import (
    CORE_VALUE_SETS,
    DEFAULT_TERMINOLOGY,
    CodeRange,
    CodeSystem,
    Concept,
    Terminology,
    ValueSet,
    is_icd10_code,
    normalize_code,
)

WHO = CodeSystem.ICD10
CM = CodeSystem.ICD10_CM
BOTH = (WHO, CM)
SEED = Path("/work/shared/seeds/000_755de5a2e3641f64.txt")


def concepts(code: str, system: CodeSystem = WHO) -> frozenset[str]:
    return DEFAULT_TERMINOLOGY.concepts_for(code, system)


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
    ],
)
def test_normalize_code(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected
    assert is_icd10_code(raw)


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "C3", "34.1", "CC34", "C34..1", "C3.41", "C34.", "C34.12345", "C34 1", "C-34",
     "Ä34", "C3A4.1", "C34.1.2", "*C34", "A18.0**"],
)  # fmt: skip
def test_invalid_codes_raise_value_error_with_message(raw: str) -> None:
    assert not is_icd10_code(raw)
    with pytest.raises(ValueError, match=r"is not an ICD-10 code: expected a letter"):
        normalize_code(raw)
    with pytest.raises(ValueError, match="not an ICD-10 code"):
        DEFAULT_TERMINOLOGY.concepts_for(raw)


def test_non_string_code_is_rejected() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        normalize_code(341)  # type: ignore[arg-type]
    assert not is_icd10_code(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- CodeRange


def test_code_range_boundaries() -> None:
    cancer = CodeRange("C00", "C97")
    assert cancer.end == "C97"
    for inside in ("C00", "C000", "C341", "C97", "C979"):
        assert cancer.contains(inside), inside
    for outside in ("B99", "B999", "C98", "D00", "A00"):
        assert not cancer.contains(outside), outside


def test_single_category_range_and_subcode_bounds() -> None:
    osteo = CodeRange("M86")
    assert osteo.end == "M86"
    assert all(osteo.contains(c) for c in ("M86", "M861", "M8617"))
    assert not osteo.contains("M85") and not osteo.contains("M87")
    vte = CodeRange("Z86.71")
    assert vte.start == "Z8671" and vte.contains("Z86718") and vte.contains("Z8671")
    assert not vte.contains("Z867")  # less specific than the range
    assert not vte.contains("Z86") and not vte.contains("Z8672")


def test_letter_in_third_position_sorts_after_digits() -> None:
    pregnancy_cm = CodeRange("O98", "O9A")
    assert pregnancy_cm.contains("O99") and pregnancy_cm.contains("O9A1")
    assert not pregnancy_cm.contains("O97")


def test_code_range_render_and_systems() -> None:
    assert CodeRange("c00", "C97").render() == "C00–C97"
    assert CodeRange("M86").render() == "M86"
    assert CodeRange("Z86.71", "Z86.72").render() == "Z86.71–Z86.72"
    assert CodeRange("M86").systems == frozenset({WHO, CM})
    assert CodeRange("Z79.01", systems={CM}).systems == frozenset({CM})


def test_code_range_validation() -> None:
    with pytest.raises(ValueError, match="sorts after"):
        CodeRange("C97", "C00")
    with pytest.raises(ValueError, match="at least one code system"):
        CodeRange("C00", systems=frozenset())
    with pytest.raises(ValueError, match="not an ICD-10 code"):
        CodeRange("cancer")


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
    ("A09", BOTH, {M.INFECTIOUS_DISEASE, M.DIGESTIVE_DISORDER}),
    ("K29.7", BOTH, {M.DIGESTIVE_DISORDER}),
    ("K64.9", BOTH, {M.DIGESTIVE_DISORDER}),
    ("R19.7", (CM,), {M.DIGESTIVE_DISORDER}),
    ("I10", BOTH, {M.HYPERTENSION}),
    ("I15.0", BOTH, {M.HYPERTENSION}),
    ("I11.9", BOTH, {M.HYPERTENSION, M.HYPERTENSION_ORGAN_DAMAGE}),
    ("I11.0", BOTH, {M.HYPERTENSION, M.HYPERTENSION_ORGAN_DAMAGE, M.HEART_DYSFUNCTION}),
    ("I12.9", BOTH, {M.HYPERTENSION, M.HYPERTENSION_ORGAN_DAMAGE}),
    ("I16.1", (CM,), {M.HYPERTENSION, M.HYPERTENSION_ORGAN_DAMAGE}),
    ("O80", BOTH, {M.PREGNANCY}),
    ("O99.4", BOTH, {M.PREGNANCY}),
    ("O9A.1", (CM,), {M.PREGNANCY}),
    ("O14.1", BOTH, {M.PREGNANCY, M.HYPERTENSION}),
    ("O22.3", BOTH, {M.PREGNANCY, M.THROMBOSIS_TENDENCY}),
    ("Z34.00", (CM,), {M.PREGNANCY}),
    ("Z33", (WHO,), {M.PREGNANCY}),
    ("Z3A.20", (CM,), {M.PREGNANCY}),
    ("R50.9", BOTH, {M.FEVER}),
    ("N10", BOTH, {M.INFLAMMATORY_PROCESS}),
    ("Z79.01", (CM,), {M.ANTICOAGULANT_THERAPY}),
    ("Z92.1", (WHO,), {M.ANTICOAGULANT_THERAPY}),
    ("Z91.030", (CM,), {M.HONEY_ALLERGY}),
    ("M51.1", BOTH, {M.DISC_HERNIA}),
    ("M51.4", BOTH, {M.DISC_HERNIA}),
    ("S33.0", BOTH, {M.DISC_HERNIA}),
    # deliberately unmapped codes
    ("K02.9", BOTH, set()),  # dental caries is not a digestive-tract disturbance
    ("F17.2", BOTH, set()),  # tobacco dependence
    ("F81.0", BOTH, set()),  # dyslexia
    ("D86.0", BOTH, set()),  # sarcoidosis: immune mechanism, not blood
    ("B91", BOTH, set()),  # sequelae of poliomyelitis: no active infection
    ("I89.0", BOTH, set()),  # lymphoedema is treated by massage
    ("M54.5", (WHO,), set()),  # low back pain
    ("J45.9", BOTH, set()),
]


@pytest.mark.parametrize(("code", "systems", "expected"), CASES)
def test_real_codes_map_to_exact_concepts(
    code: str, systems: tuple[CodeSystem, ...], expected: set[str]
) -> None:
    undotted = code.replace(".", "")
    for system in systems:
        for spelling in (code, undotted, code.lower(), f" {undotted.lower()} "):
            assert DEFAULT_TERMINOLOGY.concepts_for(spelling, system) == expected, (
                spelling,
                system,
            )


@pytest.mark.parametrize(
    ("code", "who", "cm"),
    [
        ("O9A.1", set(), {Concept.PREGNANCY}),
        ("Z86.718", set(), {Concept.THROMBOSIS_TENDENCY}),
        ("M49.0", {Concept.BONE_TUBERCULOSIS}, set()),
        ("I16.0", set(), {Concept.HYPERTENSION}),
        ("Z79.01", set(), {Concept.ANTICOAGULANT_THERAPY}),
        ("Z92.1", {Concept.ANTICOAGULANT_THERAPY}, set()),
    ],
)
def test_system_specific_codes(code: str, who: set[str], cm: set[str]) -> None:
    assert concepts(code, WHO) == who
    assert concepts(code, CM) == cm
    assert DEFAULT_TERMINOLOGY.concepts_for(code, "icd-10-cm") == cm  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("concept", "inside", "outside"),
    [
        (Concept.MALIGNANCY, ["C00", "C97", "D00", "D09.9"], ["B99", "C98", "D10", "D37"]),
        (Concept.DIGESTIVE_DISORDER, ["K20", "K38.9", "K50", "K93.8", "R10", "R19.8"],
         ["K14.9", "K00", "K40.9", "K46", "R09", "R20", "A15"]),
        (Concept.PSYCHIATRIC_DISORDER, ["F00", "F16.9", "F18", "F69", "F99"],
         ["E99", "F17", "F70", "F98.9", "G00"]),
        (Concept.INFECTIOUS_DISEASE, ["A00", "B89", "B99", "J00", "J22"],
         ["B90", "B97.2", "C00", "J30", "U07.2"]),
        (Concept.HYPERTENSION, ["I10", "I15.9", "O10", "O16"], ["I09", "I16.0", "I17", "O12"]),
        (Concept.BLOOD_DISEASE, ["D50", "D77", "D47.9"], ["D49", "D78", "D80", "D89"]),
        (Concept.HEART_DYSFUNCTION, ["I05", "I09.9", "I20", "I25.9", "I30", "I52"],
         ["I04", "I10", "I26", "I28", "I53"]),
        (Concept.PREGNANCY, ["O00", "O92.7", "O98", "Z33", "Z36"],
         ["N99", "O93", "O94", "O97", "Z32", "Z37"]),
        (Concept.THROMBOSIS_TENDENCY, ["I80", "I82.9", "D68.5", "D68.69"],
         ["I79", "I83", "D68.4", "D68.7"]),
        (Concept.SKIN_PATHOLOGY, ["L00", "L99", "B35", "B36.9"], ["K99", "M00", "B37"]),
        (Concept.VARICOSE_VEINS, ["I83", "I85.0", "I86.9"], ["I82", "I84", "I87"]),
    ],
)  # fmt: skip
def test_range_boundaries_in_who_icd10(
    concept: Concept, inside: list[str], outside: list[str]
) -> None:
    for code in inside:
        assert concept in concepts(code), code
    for code in outside:
        assert concept not in concepts(code), code


# --------------------------------------------------------------------------- registry


def test_value_sets_are_listable_sorted_and_documented() -> None:
    value_sets = DEFAULT_TERMINOLOGY.value_sets
    assert len(value_sets) == len(CORE_VALUE_SETS) >= len(Concept)
    ids = [vs.id for vs in value_sets]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for vs in value_sets:
        assert vs.id.startswith("core.")
        assert vs.source.strip() and vs.title.strip() and vs.codes
        assert "clinical convention:" in vs.source or vs.source.startswith('"')
        assert vs.concept in {c.value for c in Concept}


def test_every_concept_has_a_value_set() -> None:
    covered = {vs.concept for vs in CORE_VALUE_SETS}
    assert covered == {c.value for c in Concept}
    for concept in Concept:
        assert DEFAULT_TERMINOLOGY.codes_for(concept), concept
        assert all(vs.concept == concept for vs in DEFAULT_TERMINOLOGY.codes_for(concept))


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
    assert DEFAULT_TERMINOLOGY.concepts_for("I89.0") == frozenset()
    assert PLUGIN_SET in extended.value_sets and PLUGIN_SET not in DEFAULT_TERMINOLOGY.value_sets
    assert extended.codes_for("lymphoedema") == (PLUGIN_SET,)
    assert [vs.id for vs in extended.value_sets] == sorted(vs.id for vs in extended.value_sets)
    assert "acme.lymphoedema" in repr(extended)


def test_plugin_can_extend_a_core_concept() -> None:
    extra = ValueSet(
        Concept.MALIGNANCY, "History of cancer", (CodeRange("Z85"),), "clinical convention: x",
        "acme.cancer-history",
    )  # fmt: skip
    extended = DEFAULT_TERMINOLOGY.with_value_sets(extra)
    assert extended.concepts_for("Z85.3") == {Concept.MALIGNANCY}
    assert len(extended.codes_for(Concept.MALIGNANCY)) == 2


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"duplicate value set id 'acme\.lymphoedema'"):
        DEFAULT_TERMINOLOGY.with_value_sets(PLUGIN_SET).with_value_sets(PLUGIN_SET)
    with pytest.raises(ValueError, match=r"duplicate value set id 'core\.malignancy'"):
        DEFAULT_TERMINOLOGY.with_value_sets(CORE_VALUE_SETS[0])
    with pytest.raises(ValueError, match="duplicate"):
        Terminology([PLUGIN_SET, PLUGIN_SET])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("concept", "Lymph Oedema", "kebab-case"),
        ("concept", "lymph_oedema", "kebab-case"),
        ("id", "lymphoedema", "<plugin>.<name>"),
        ("id", "Acme.Lymph", "<plugin>.<name>"),
        ("codes", (), "at least one code range"),
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


def test_unknown_system_is_rejected() -> None:
    with pytest.raises(ValueError):
        DEFAULT_TERMINOLOGY.concepts_for("C34.1", "icd-11")  # type: ignore[arg-type]


def test_empty_terminology_maps_nothing() -> None:
    empty = Terminology()
    assert empty.value_sets == () and empty.concepts_for("C34.1") == frozenset()


# --------------------------------------------------------------------------- properties

letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
digits = st.sampled_from("0123456789")
alnum = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
codes = st.builds(
    lambda a, b, c, rest: a + b + c + rest,
    letters,
    digits,
    st.one_of(digits, st.just("A")),
    st.text(alnum, max_size=4),
)


def dotted(code: str) -> str:
    return code if len(code) == 3 else f"{code[:3]}.{code[3:]}"


def brute_force(code: str, system: CodeSystem) -> frozenset[str]:
    return frozenset(
        vs.concept
        for vs in CORE_VALUE_SETS
        for r in vs.codes
        if system in r.systems and r.contains(code)
    )


@given(codes)
def test_normalize_is_idempotent_and_ignores_spelling(code: str) -> None:
    assert normalize_code(code) == code
    assert normalize_code(normalize_code(code)) == code
    assert normalize_code(f"  {dotted(code).lower()}\t") == code


@given(codes, st.sampled_from(BOTH))
def test_indexed_cached_lookup_matches_brute_force(code: str, system: CodeSystem) -> None:
    expected = brute_force(code, system)
    assert DEFAULT_TERMINOLOGY.concepts_for(code, system) == expected
    assert DEFAULT_TERMINOLOGY.concepts_for(dotted(code).lower(), system) == expected
    assert Terminology(CORE_VALUE_SETS).concepts_for(code, system) == expected


@given(codes)
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
