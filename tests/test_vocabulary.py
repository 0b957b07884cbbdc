"""The closed vocabularies: every word is known or an error, and each means what it says."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herniarules import Engine, InputError, patient_from_dict
from herniarules.model import Allergy, ClinicalStatus, Condition, Medication, Patient, Sex
from herniarules.terminology import Concept
from herniarules.vocabulary import (
    ANTICOAGULANT_THERAPY,
    ANTIPLATELET_THERAPY,
    CONDITION_CONCEPTS,
    INGREDIENT_SYNONYMS,
    INGREDIENTS,
    MEDICATION_VALUE_SETS,
    PLUGIN_CONCEPTS,
    SITE_PARTS,
    THROMBOLYTIC_THERAPY,
    Indication,
    MedicationCategory,
    Site,
    Substance,
    VocabularyError,
    allergy_concepts,
    atc_concepts,
    atc_concepts_reference,
    check_concept,
    classify_medication,
    ingredient_atc,
)

ANTICOAGULANT = frozenset({ANTICOAGULANT_THERAPY})
ANTIPLATELET = frozenset({ANTIPLATELET_THERAPY})
THROMBOLYTIC = frozenset({THROMBOLYTIC_THERAPY})
NOTHING: frozenset[str] = frozenset()

# What each listed ingredient is, written out by hand from the WHO ATC/DDD index rather than
# derived from the prefixes, so that a wrong prefix or a wrong code fails here.
ANTICOAGULANTS = {
    "warfarin": "B01AA03",
    "acenocoumarol": "B01AA07",
    "phenprocoumon": "B01AA04",
    "heparin": "B01AB01",
    "enoxaparin": "B01AB05",
    "dalteparin": "B01AB04",
    "nadroparin": "B01AB06",
    "tinzaparin": "B01AB10",
    "fondaparinux": "B01AX05",
    "apixaban": "B01AF02",
    "rivaroxaban": "B01AF01",
    "edoxaban": "B01AF03",
    "dabigatran etexilate": "B01AE07",
    "argatroban": "B01AE03",
    "bivalirudin": "B01AE06",
}
ANTIPLATELETS = {
    "clopidogrel": "B01AC04",
    "ticagrelor": "B01AC24",
    "prasugrel": "B01AC22",
    "acetylsalicylic acid": "B01AC06",
    "dipyridamole": "B01AC07",
    "ticlopidine": "B01AC05",
    "cilostazol": "B01AC23",
}
THROMBOLYTICS = {
    "alteplase": "B01AD02",
    "streptokinase": "B01AD01",
    "urokinase": "B01AD04",
    "reteplase": "B01AD07",
    "tenecteplase": "B01AD11",
}
UNRELATED = {
    "paracetamol": "N02BE01",
    "ibuprofen": "M01AE01",
    "diclofenac": "M01AB05",
    "naproxen": "M01AE02",
    "meloxicam": "M01AC06",
    "tramadol": "N02AX02",
    "pregabalin": "N03AX16",
    "gabapentin": "N03AX12",
    "metformin": "A10BA02",
    "amlodipine": "C08CA01",
    "lisinopril": "C09AA03",
    "atorvastatin": "C10AA05",
    "omeprazole": "A02BC01",
    "levothyroxine sodium": "H03AA01",
    "tolperisone": "M03BX04",
    "tizanidine": "M03BX02",
    "baclofen": "M03BX01",
}
EXPECTED = (
    [(name, atc, ANTICOAGULANT) for name, atc in ANTICOAGULANTS.items()]
    + [(name, atc, ANTIPLATELET) for name, atc in ANTIPLATELETS.items()]
    + [(name, atc, THROMBOLYTIC) for name, atc in THROMBOLYTICS.items()]
    + [(name, atc, NOTHING) for name, atc in UNRELATED.items()]
)


# --------------------------------------------------------------------------- medications


@pytest.mark.parametrize(("name", "atc", "concepts"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_each_listed_ingredient_has_its_who_atc_code(
    name: str, atc: str, concepts: frozenset[str]
) -> None:
    assert INGREDIENTS[name] == atc


@pytest.mark.parametrize(("name", "atc", "concepts"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_each_listed_ingredient_by_name_means_its_therapy_class(
    name: str, atc: str, concepts: frozenset[str]
) -> None:
    assert classify_medication(Medication(name=name)) == concepts


@pytest.mark.parametrize(("name", "atc", "concepts"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_each_listed_ingredient_by_atc_code_means_its_therapy_class(
    name: str, atc: str, concepts: frozenset[str]
) -> None:
    assert classify_medication(Medication(atc=atc)) == concepts


def test_every_ingredient_in_the_table_is_classified() -> None:
    for name in INGREDIENTS:
        assert classify_medication(Medication(name=name)) is not None, name


def test_every_ingredient_synonym_names_a_listed_ingredient() -> None:
    assert set(INGREDIENT_SYNONYMS.values()) <= set(INGREDIENTS)
    assert not set(INGREDIENT_SYNONYMS) & set(INGREDIENTS)


def test_warfarin_by_name_is_anticoagulant_therapy() -> None:
    assert classify_medication(Medication(name="warfarin")) == {"anticoagulant-therapy"}


@pytest.mark.parametrize("name", ["Warfarin", "WARFARIN", "Coumadin", "warfarin  sodium"])
def test_warfarin_is_recognised_in_any_case_and_by_its_brand(name: str) -> None:
    assert ingredient_atc(name) == "B01AA03"
    assert classify_medication(Medication(name=name)) == ANTICOAGULANT


def test_a_medication_name_has_no_surrounding_space() -> None:
    assert ingredient_atc(" warfarin ") == "B01AA03"
    with pytest.raises(InputError, match="name: must be a name of 1-200 characters"):
        Medication(name=" warfarin ")


@pytest.mark.parametrize(
    ("brand", "concepts"),
    [
        ("Xarelto", ANTICOAGULANT),
        ("Eliquis", ANTICOAGULANT),
        ("Pradaxa", ANTICOAGULANT),
        ("Clexane", ANTICOAGULANT),
        ("Plavix", ANTIPLATELET),
        ("Brilinta", ANTIPLATELET),
        ("Actilyse", THROMBOLYTIC),
        ("acetaminophen", NOTHING),
    ],
)
def test_unambiguous_brand_names_mean_their_ingredient(
    brand: str, concepts: frozenset[str]
) -> None:
    assert classify_medication(Medication(name=brand)) == concepts


def test_aspirin_is_antiplatelet_therapy() -> None:
    assert classify_medication(Medication(name="Aspirin")) == ANTIPLATELET


def test_aspirin_coded_as_an_analgesic_still_inhibits_platelets() -> None:
    assert classify_medication(Medication(atc="N02BA01")) == ANTIPLATELET


def test_a_known_drug_of_no_concern_means_no_concept_rather_than_unknown() -> None:
    assert classify_medication(Medication(name="paracetamol")) == NOTHING


@pytest.mark.parametrize(
    ("category", "concepts"),
    [
        (MedicationCategory.ANTICOAGULANT, ANTICOAGULANT),
        (MedicationCategory.ANTIPLATELET, ANTIPLATELET),
        (MedicationCategory.THROMBOLYTIC, THROMBOLYTIC),
        (MedicationCategory.NSAID, NOTHING),
    ],
)
def test_a_category_alone_means_its_therapy_class(
    category: MedicationCategory, concepts: frozenset[str]
) -> None:
    assert classify_medication(Medication(category)) == concepts


def test_antiplatelet_category_is_antiplatelet_not_anticoagulant_therapy() -> None:
    assert classify_medication(Medication("antiplatelet")) == {"antiplatelet-therapy"}


def test_an_unlisted_drug_name_alone_cannot_be_classified() -> None:
    assert classify_medication(Medication(name="zorblatin")) is None


def test_category_other_alone_cannot_be_classified() -> None:
    assert classify_medication(Medication(MedicationCategory.OTHER)) is None
    assert classify_medication(Medication(MedicationCategory.OTHER, "zorblatin")) is None


def test_category_other_with_a_known_name_is_classified_by_the_name() -> None:
    assert classify_medication(Medication("other", "rivaroxaban")) == ANTICOAGULANT


def test_an_unlisted_name_with_an_anticoagulant_category_is_anticoagulant_therapy() -> None:
    assert classify_medication(Medication("anticoagulant", "zorblatin")) == ANTICOAGULANT


def test_an_unlisted_name_with_its_atc_code_is_classified_by_the_code() -> None:
    assert classify_medication(Medication(name="zorblatin", atc="B01AF")) == ANTICOAGULANT
    assert classify_medication(Medication(name="zorblatin", atc="R06AX13")) == NOTHING


def test_warfarin_recorded_as_an_antiplatelet_means_both_therapies() -> None:
    medication = Medication(MedicationCategory.ANTIPLATELET, "warfarin")
    assert classify_medication(medication) == ANTICOAGULANT | ANTIPLATELET


def test_name_and_code_that_disagree_mean_both_therapies() -> None:
    medication = Medication(name="clopidogrel", atc="B01AD02")
    assert classify_medication(medication) == ANTIPLATELET | THROMBOLYTIC


@pytest.mark.parametrize("code", ["B01", "B01A", "B01AX", "N02", "N02B", "N02BA"])
def test_an_atc_group_holding_drugs_with_and_without_a_concept_cannot_be_classified(
    code: str,
) -> None:
    assert atc_concepts(code) is None
    assert classify_medication(Medication(atc=code)) is None


@pytest.mark.parametrize(
    ("code", "concepts"),
    [
        ("B01AA", ANTICOAGULANT),
        ("B01AC", ANTIPLATELET),
        ("B01AD", THROMBOLYTIC),
        ("B01AX05", ANTICOAGULANT),
        ("B01AX01", NOTHING),
        ("M01A", NOTHING),
        ("C10", NOTHING),
    ],
)
def test_an_atc_group_inside_or_outside_every_value_set_is_classified(
    code: str, concepts: frozenset[str]
) -> None:
    assert atc_concepts(code) == concepts


def test_each_medication_concept_has_one_value_set() -> None:
    assert set(MEDICATION_VALUE_SETS) == {
        "anticoagulant-therapy",
        "antiplatelet-therapy",
        "thrombolytic-therapy",
    }
    assert Concept.ANTICOAGULANT_THERAPY.value == ANTICOAGULANT_THERAPY


@pytest.mark.parametrize("code", ["b01aa03", "E01", "B1", "B01AA3", "B01AA033", "B01-AA", ""])
def test_a_malformed_atc_code_is_rejected(code: str) -> None:
    with pytest.raises(InputError, match="WHO ATC code") as caught:
        Medication(atc=code)
    assert caught.value.problems[0].path == "atc"


def test_blood_thinner_category_is_rejected_with_suggestion() -> None:
    with pytest.raises(InputError) as caught:
        Medication("blood-thinner")
    [problem] = caught.value.problems
    assert problem.path == "category"
    assert problem.message.endswith("did you mean 'anticoagulant' or 'antiplatelet'?")
    assert "'thrombolytic'" in problem.message  # the allowed values are listed


def test_anticoagulants_in_the_plural_is_rejected_with_suggestion() -> None:
    with pytest.raises(InputError, match="did you mean 'anticoagulant'\\?"):
        Medication("anticoagulants")


def test_a_medication_must_say_what_it_is() -> None:
    with pytest.raises(InputError, match="needs a name, an ATC code or a category"):
        Medication()


# --------------------------------------------------------------------------- allergies


@pytest.mark.parametrize(
    ("spelling", "substance"),
    [
        ("bee-products", Substance.BEE_PRODUCTS),
        ("bee products", Substance.BEE_PRODUCTS),
        ("apitoxin", Substance.BEE_VENOM),
        ("bee stings", Substance.BEE_VENOM),
        ("royal-jelly", Substance.ROYAL_JELLY),
        ("bee glue", Substance.PROPOLIS),
        ("cera alba", Substance.BEESWAX),
        ("sweet almond oil", Substance.ALMOND_OIL),
        ("wool wax", Substance.LANOLIN),
    ],
)
def test_substance_synonyms_are_recorded_as_the_canonical_substance(
    spelling: str, substance: Substance
) -> None:
    assert Allergy(spelling).substance is substance
    record = {"id": "p", "age": 40, "sex": "male", "allergies": [{"substance": spelling}]}
    [allergy] = patient_from_dict(record).allergies
    assert allergy.substance is substance


@pytest.mark.parametrize(
    "substance",
    ["honey", "propolis", "royal jelly", "bee venom", "bee pollen", "beeswax", "bee products"],
)
def test_every_bee_product_means_honey_allergy(substance: str) -> None:
    assert allergy_concepts(Allergy(substance)) == {"honey-allergy"}


@pytest.mark.parametrize(
    ("substance", "concept"),
    [
        ("latex", "allergy-latex"),
        ("adhesive", "allergy-adhesive"),
        ("acrylic", "allergy-acrylic"),
        ("almond oil", "allergy-almond-oil"),
        ("essential oils", "allergy-essential-oils"),
    ],
)
def test_other_listed_substances_mean_their_own_allergy_concept(
    substance: str, concept: str
) -> None:
    assert allergy_concepts(Allergy(substance)) == {concept}


def test_an_allergy_to_an_unlisted_substance_means_no_concept() -> None:
    assert allergy_concepts(Allergy(Substance.OTHER, display="Chlorhexidine")) == NOTHING


def test_an_allergy_to_an_unlisted_substance_must_name_it() -> None:
    with pytest.raises(InputError) as caught:
        Allergy("other")
    assert caught.value.problems[0].path == "display"


def test_a_misspelt_substance_is_rejected_with_the_closest_ones() -> None:
    with pytest.raises(VocabularyError) as caught:
        Substance.parse("hony")
    assert caught.value.suggestions == ("honey",)
    assert "'propolis'" in str(caught.value)


def test_a_capitalised_substance_is_rejected_with_its_lower_case_spelling() -> None:
    with pytest.raises(InputError, match="did you mean 'honey'"):
        Allergy("Honey")


def test_a_synonym_close_to_a_typo_suggests_the_canonical_substance() -> None:
    assert Substance.unknown("apitoxine").suggestions == ("bee venom",)


def test_no_synonym_shadows_a_substance() -> None:
    for vocabulary in (Substance, Site, Indication, MedicationCategory):
        values = {member.value for member in vocabulary}
        assert not values & set(vocabulary.synonyms()), vocabulary


# --------------------------------------------------------------------------- indications


def test_indications_are_exactly_those_the_bundled_techniques_serve() -> None:
    served = {i for technique in Engine().techniques for i in technique.indications}
    assert served == {indication.value for indication in Indication}


def test_an_unknown_indication_is_rejected_with_the_closest_ones() -> None:
    with pytest.raises(InputError) as caught:
        patient_from_dict({"id": "p", "age": 40, "sex": "male", "indications": ["pain relief"]})
    [problem] = caught.value.problems
    assert problem.path == "indications[0]"
    assert problem.message.endswith("did you mean 'pain-relief'?")


def test_the_us_spelling_of_pinched_muscle_fibres_is_accepted() -> None:
    assert Indication.parse("pinched-muscle-fibers") is Indication.PINCHED_MUSCLE_FIBRES


# --------------------------------------------------------------------------- concepts


def test_every_core_concept_and_medication_concept_may_name_a_condition() -> None:
    assert {c.value for c in Concept} | set(MEDICATION_VALUE_SETS) <= set(CONDITION_CONCEPTS)


def test_every_plugin_concept_is_defined_by_a_bundled_plugin() -> None:
    defined = {value_set.concept for value_set in Engine().terminology.value_sets}
    assert set(PLUGIN_CONCEPTS) <= defined


@pytest.mark.parametrize(
    ("word", "suggestion"),
    [("varicose-vein", "varicose-veins"), ("pregnant", "pregnancy"), ("Fever", "fever")],
)
def test_an_unknown_concept_is_rejected_with_a_suggestion(word: str, suggestion: str) -> None:
    with pytest.raises(VocabularyError) as caught:
        check_concept(word)
    assert suggestion in caught.value.suggestions
    assert caught.value.allowed == CONDITION_CONCEPTS


def test_cancer_is_not_a_concept_and_the_message_lists_the_allowed_ones() -> None:
    with pytest.raises(InputError) as caught:
        Condition("active", concept="cancer")  # type: ignore[arg-type]
    problems = {p.path: p.message for p in caught.value.problems}
    assert "'malignancy'" in problems["concept"]
    assert problems["status"].startswith("must be a ClinicalStatus")


# --------------------------------------------------------------------------- sites


def test_the_back_covers_the_upper_and_lower_back_and_the_sacrum() -> None:
    assert SITE_PARTS[Site.BACK] == {Site.THORACIC_BACK, Site.LUMBAR, Site.SACRAL}
    assert Site.BACK.covers(Site.LUMBAR)
    assert not Site.LUMBAR.covers(Site.BACK)
    assert not Site.BACK.covers(Site.NECK)


def test_the_whole_body_covers_every_site() -> None:
    assert all(Site.WHOLE_BODY.covers(site) for site in Site)


def test_every_site_covers_itself_and_no_unrelated_site() -> None:
    for site in Site:
        assert site.covers(site)
    assert not Site.LEGS.covers(Site.ARMS)


@pytest.mark.parametrize(
    ("spelling", "site"),
    [("upper-back", Site.THORACIC_BACK), ("lower-back", Site.LUMBAR), ("sacrum", Site.SACRAL)],
)
def test_common_names_of_back_regions_are_recorded_as_sites(spelling: str, site: Site) -> None:
    condition = Condition(ClinicalStatus.ACTIVE, concept="skin-pathology", site=spelling)
    assert condition.site is site


def test_an_unknown_site_is_rejected_with_the_closest_ones() -> None:
    with pytest.raises(VocabularyError) as caught:
        Site.parse("lumbal")
    assert caught.value.suggestions[0] == "lumbar"


# --------------------------------------------------------------------------- reaching the facts

AS_OF = date(2026, 11, 27)


def facts_concepts(**fields: Any) -> frozenset[str]:
    patient = Patient(id="P-1", age=40, sex=Sex.MALE, **fields)
    return Engine(entry_points=False).facts(patient, AS_OF).concepts


def test_warfarin_by_name_alone_reaches_the_facts_as_anticoagulant_therapy() -> None:
    assert ANTICOAGULANT_THERAPY in facts_concepts(medications=(Medication(name="warfarin"),))


def test_beeswax_allergy_reaches_the_facts_as_honey_allergy() -> None:
    assert "honey-allergy" in facts_concepts(allergies=(Allergy("beeswax"),))


_ATC_CODES = sorted(
    {atc[:end] for atc in (*INGREDIENTS.values(), "B01AX05", "N02BA01") for end in range(8)}
)


@given(
    code=st.sampled_from(_ATC_CODES)
    | st.text(alphabet="ABCDMNX0123456789", max_size=8)
    | st.builds(lambda code, tail: code + tail, st.sampled_from(_ATC_CODES), st.text(max_size=3))
)
def test_atc_concepts_agree_with_the_value_sets_compared_in_turn(code: str) -> None:
    assert atc_concepts(code) == atc_concepts_reference(code)
