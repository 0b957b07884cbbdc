"""The safety kernel: every core rule, missing data, the acute-phase guarantee and policy."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herniarules import (
    Clearance,
    ClinicalStatus,
    CodeSystem,
    Concept,
    Condition,
    Decision,
    Engine,
    F,
    Finding,
    Hernia,
    HerniaKind,
    MassageCourse,
    Outcome,
    Patient,
    Phase,
    Policy,
    PolicyError,
    Region,
    Rule,
    Sex,
    Vitals,
)
from herniarules.safety import DEFAULT_POLICY, core_rules

SEED = Path("/work/shared/seeds/000_755de5a2e3641f64.txt")
AS_OF = date(2026, 11, 27)
Tweak = Callable[[dict[str, Any]], None]


# --------------------------------------------------------------------------- tweaks


def vitals(**values: Any) -> Tweak:
    def tweak(data: dict[str, Any]) -> None:
        data["vitals"].update(values)

    return tweak


def hernia(**values: Any) -> Tweak:
    def tweak(data: dict[str, Any]) -> None:
        data["hernias"][0].update(values)

    return tweak


def record(**values: Any) -> Tweak:
    def tweak(data: dict[str, Any]) -> None:
        data.update(values)

    return tweak


def condition(
    code: str | None = None,
    status: str = "active",
    concept: str | None = None,
    system: str | None = None,
    **more: str,
) -> Tweak:
    entry: dict[str, Any] = {"status": status, **more}
    if code is not None:
        entry["code"] = code
    if system is not None:
        entry["system"] = system
    if concept is not None:
        entry["concept"] = concept

    def tweak(data: dict[str, Any]) -> None:
        data.setdefault("conditions", []).append(dict(entry))

    return tweak


def course_ended(days_ago: int) -> Tweak:
    def tweak(data: dict[str, Any]) -> None:
        end = AS_OF - timedelta(days=days_ago)
        data["massage_courses"] = [{"end_date": end.isoformat()}]

    return tweak


def surgery_ago(days_ago: int) -> Tweak:
    def tweak(data: dict[str, Any]) -> None:
        data["surgeries"] = [{"date": (AS_OF - timedelta(days=days_ago)).isoformat()}]

    return tweak


def drop(*path: str | int) -> Tweak:
    def tweak(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return tweak


def findings_by_rule(decision: Decision) -> dict[str, Finding]:
    return {f.rule_id: f for f in decision.findings}


@pytest.fixture(scope="module")
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


CORE = {rule.id: rule for rule in core_rules()}

# (rule id, tweak that makes it fire, nearest tweak that does not). Where the rule has a
# threshold the pair straddles it, so an off-by-one in the rule fails one of the two tests.
CORE_RULE_CASES: list[tuple[str, Tweak, Tweak]] = [
    ("core.acute-phase", hernia(phase="acute"), hernia(phase="subacute")),
    ("core.exacerbation", hernia(phase="exacerbation"), hernia(phase="subacute")),
    ("core.pain-not-eliminated", vitals(pain_score=4), vitals(pain_score=3)),
    ("core.severe-pain", vitals(pain_score=7), vitals(pain_score=6)),
    (
        "core.inflammatory-process",
        record(inflammatory_process=True),
        record(inflammatory_process=False),
    ),
    ("core.raised-temperature", vitals(temperature_c=37.5), vitals(temperature_c=37.4)),
    ("core.fever-diagnosis", condition("R50.9"), condition("R50.9", status="resolved")),
    ("core.surgery-indicated", hernia(surgery_indicated=True), hernia(surgery_indicated=False)),
    ("core.disc-prolapsed", hernia(kind="extrusion"), hernia(kind="schmorl-node")),
    ("core.post-surgical", hernia(phase="post-surgical"), hernia(phase="remission")),
    (
        "core.high-blood-pressure",
        vitals(systolic_mmhg=160, diastolic_mmhg=95),
        vitals(systolic_mmhg=159, diastolic_mmhg=99),
    ),
    ("core.hypertension-stage-2-3", condition("I11.9"), condition("I10")),
    ("core.hypertension", condition("I10"), condition("I10", status="resolved")),
    (
        "core.hypertension-defer",
        condition("I16.0", system="icd-10-cm"),
        condition("I10", system="icd-10-cm"),
    ),
    (
        "core.pregnancy",
        record(sex="female", age=30, pregnant=True),
        record(sex="female", age=30, pregnant=False),
    ),
    # A resolved thrombosis counts as its history does; chronic venous insufficiency does not.
    ("core.thrombosis-tendency", condition("I80.2"), condition("I87.2")),
    ("core.thrombosis-tendency-requires-clearance", condition("I63.9"), condition("I69.3")),
    ("core.blood-disease", condition("D66"), condition("D66", status="remission")),
    ("core.blood-disease-defer", condition("D62"), condition("D62", status="resolved")),
    ("core.blood-disease-requires-clearance", condition("D50.9"), condition("D84.1")),
    ("core.malignancy", condition("C50.9"), condition("C50.9", status="remission")),
    # A malignancy in remission and a history of cancer need the oncologist's clearance.
    ("core.malignancy-requires-clearance", condition("Z85.3"), condition("D24")),
    ("core.heart-dysfunction", condition("I50.9"), condition("I50.9", status="inactive")),
    ("core.heart-dysfunction-requires-clearance", condition("I44.0"), condition("R00.2")),
    ("core.osteomyelitis", condition("M86.1"), condition("M86.1", status="resolved")),
    # B90.2 records only the sequelae of bone tuberculosis, not the disease.
    ("core.bone-tuberculosis", condition("A18.0"), condition("B90.2")),
    # Psoriasis is a skin pathology but not an inflammatory or purulent rash.
    ("core.purulent-skin-rash", condition("L02.2"), condition("L40.0")),
    ("core.skin-pathology", condition("L40.0"), condition("L40.0", status="resolved")),
    (
        "core.skin-pathology-requires-clearance",
        condition("L63.9"),
        condition("L63.9", status="inactive"),
    ),
    # Tobacco dependence is deliberately outside the psychiatric value set.
    ("core.psychiatric-disorder", condition("F20.0"), condition("F17.2")),
    ("core.psychiatric-disorder-defer", condition("F05.0"), condition("F05.0", status="resolved")),
    # Insomnia, anxiety and the like need clearance; intellectual disability is not in the set.
    ("core.psychiatric-disorder-requires-clearance", condition("F51.0"), condition("F70")),
    # Haemorrhoids (K64) are not varicose veins in either ICD-10 edition.
    ("core.varicose-veins", condition(concept="varicose-veins"), condition("K64.9")),
    ("core.varicose-veins-requires-clearance", condition("I85.9"), condition("K64.9")),
    (
        "core.exacerbated-chronic-disease",
        condition("J45.9", status="recurrence"),
        condition("J45.9", status="active"),
    ),
    # Lymphoedema is treated by lymphatic massage and is not "swelling" in the source's sense.
    ("core.urticaria-oedema", condition("L50.0"), condition("I89.0")),
    ("core.infectious-disease", condition("J06.9"), condition("J06.9", status="resolved")),
    ("core.infectious-disease-requires-clearance", condition("B18.1"), condition("B94.2")),
    # An inguinal hernia is an abdominal-wall hernia, not a digestive-tract disturbance.
    ("core.digestive-disorder", condition("K29.7"), condition("K40.9")),
    (
        "core.digestive-disorder-requires-clearance",
        condition("K58.9", system="icd-10-cm"),
        condition("K40.9"),
    ),
    ("core.course-break", course_ended(days_ago=59), course_ended(days_ago=60)),
    ("core.spinal-surgery-healing", surgery_ago(13), surgery_ago(14)),
    ("core.spinal-surgery-rehabilitation", surgery_ago(89), surgery_ago(90)),
    # The clear patient's hernia is lumbar: a cervical hernia code has no record, a lumbar one has.
    ("core.hernia-code-without-record", condition("M50.1"), condition("M51.1")),
    # A provisional cancer cannot be ignored; a provisional code that means nothing can.
    (
        "core.unconfirmed-condition",
        condition("C50.9", verification="provisional"),
        condition("J30.2", system="icd-10-cm", verification="provisional"),
    ),
    # A condition known only by SNOMED CT cannot be read; a refuted-free, coded one can.
    (
        "core.unclassified-condition",
        condition(other_code="http://snomed.info/sct|38341003", display="Hypertension"),
        condition("J30.2", system="icd-10-cm", other_code="http://snomed.info/sct|367498001"),
    ),
]


def test_rule_table_covers_every_core_rule() -> None:
    table = [rule_id for rule_id, _, _ in CORE_RULE_CASES]
    assert len(table) == len(set(table)), "a core rule is listed twice"
    assert set(table) == set(CORE), "every core rule needs a firing and a quiet case here"


def test_clear_patient_has_no_findings_and_is_permitted(engine: Engine, make_patient) -> None:
    decision = engine.evaluate(make_patient(), "probe", as_of=AS_OF)
    assert decision.findings == ()
    assert decision.outcome is Outcome.ALLOWED
    assert decision.permitted
    assert decision.protocol is not None


@pytest.mark.parametrize(
    ("rule_id", "fires", "quiet"), CORE_RULE_CASES, ids=[case[0] for case in CORE_RULE_CASES]
)
def test_core_rule_fires_with_its_outcome_and_source(
    engine: Engine, make_patient, rule_id: str, fires: Tweak, quiet: Tweak
) -> None:
    rule = CORE[rule_id]
    decision = engine.evaluate(make_patient(fires), "probe", as_of=AS_OF)
    finding = findings_by_rule(decision)[rule_id]
    assert finding.outcome is rule.outcome
    assert finding.message == rule.message
    assert finding.source == rule.source
    assert set(finding.evidence) == set(rule.when.reads())
    # Every core outcome withholds the technique until something changes.
    assert not decision.permitted
    assert decision.protocol is None
    assert decision.outcome >= rule.outcome


@pytest.mark.parametrize(
    ("rule_id", "fires", "quiet"), CORE_RULE_CASES, ids=[case[0] for case in CORE_RULE_CASES]
)
def test_core_rule_stays_quiet_just_short_of_firing(
    engine: Engine, make_patient, rule_id: str, fires: Tweak, quiet: Tweak
) -> None:
    decision = engine.evaluate(make_patient(quiet), "probe", as_of=AS_OF)
    assert rule_id not in findings_by_rule(decision)


def test_every_core_rule_applies_to_every_technique_and_cites_the_source() -> None:
    for rule in core_rules():
        assert rule.id.startswith("core.")
        assert rule.is_core and rule.techniques is None
        assert rule.outcome > Outcome.ALLOWED_WITH_MODIFICATIONS
        assert rule.source.strip() and rule.section.strip() and rule.message.strip()


@pytest.mark.skipif(not SEED.exists(), reason="clinical source text not available")
def test_every_core_rule_quotes_a_passage_of_the_clinical_source() -> None:
    text = " ".join(SEED.read_text(encoding="utf-8").split()).lower()
    for rule in core_rules():
        for passage in rule.source.split(";"):
            quoted = " ".join(passage.split()).rstrip(".").lower()
            assert quoted in text, f"{rule.id}: {quoted!r} is not in the clinical source"
        assert " ".join(rule.section.split()).lower() in text, rule.id


def test_core_rule_applies_to_a_technique_the_core_has_never_heard_of(
    make_engine, plugin_class, make_patient
) -> None:
    engine = make_engine(plugin_class("brand-new-technique"))
    decision = engine.evaluate(
        make_patient(hernia(phase="acute")), "brand-new-technique", as_of=AS_OF
    )
    assert "core.acute-phase" in findings_by_rule(decision)
    assert not decision.permitted


# --------------------------------------------------------------------------- missing data


@pytest.mark.parametrize(
    ("tweak", "rule_ids"),
    [
        (drop("vitals", "pain_score"), {"core.pain-not-eliminated", "core.severe-pain"}),
        (drop("vitals", "temperature_c"), {"core.raised-temperature"}),
        (drop("vitals", "systolic_mmhg"), {"core.high-blood-pressure"}),
        (drop("vitals", "diastolic_mmhg"), {"core.high-blood-pressure"}),
        (drop("inflammatory_process"), {"core.inflammatory-process"}),
        (drop("hernias", 0, "surgery_indicated"), {"core.surgery-indicated"}),
        (record(sex="female", age=30), {"core.pregnancy"}),
    ],
    ids=[
        "pain-score",
        "temperature",
        "systolic",
        "diastolic",
        "inflammatory-process",
        "surgery-indicated",
        "pregnancy-of-a-woman-of-30",
    ],
)
def test_missing_value_a_rule_needs_gives_insufficient_data_never_allowed(
    engine: Engine, make_patient, tweak: Tweak, rule_ids: set[str]
) -> None:
    decision = engine.evaluate(make_patient(tweak), "probe", as_of=AS_OF)
    insufficient = {f.rule_id for f in decision.findings if f.outcome is Outcome.INSUFFICIENT_DATA}
    assert insufficient == rule_ids
    assert decision.outcome is Outcome.INSUFFICIENT_DATA
    assert not decision.permitted
    assert decision.protocol is None
    for rule_id in rule_ids:
        assert "not recorded" in findings_by_rule(decision)[rule_id].message


def test_insufficient_data_finding_names_the_missing_value(engine: Engine, make_patient) -> None:
    decision = engine.evaluate(make_patient(drop("vitals", "temperature_c")), "probe", as_of=AS_OF)
    finding = findings_by_rule(decision)["core.raised-temperature"]
    assert "temperature" in finding.message
    assert finding.evidence == {"temperature_c": None}


@pytest.mark.parametrize(
    ("sex", "age"),
    [("female", 12), ("female", 30), ("female", 55), ("other", 30), ("unknown", 30)],
)
def test_unrecorded_pregnancy_of_a_possibly_pregnant_patient_is_insufficient_data(
    engine: Engine, make_patient, sex: str, age: int
) -> None:
    decision = engine.evaluate(make_patient(sex=sex, age=age), "probe", as_of=AS_OF)
    assert findings_by_rule(decision)["core.pregnancy"].outcome is Outcome.INSUFFICIENT_DATA
    assert not decision.permitted


@pytest.mark.parametrize(
    ("sex", "age"), [("male", 30), ("female", 70), ("female", 56), ("female", 11)]
)
def test_unrecorded_pregnancy_is_not_asked_of_a_man_or_outside_childbearing_age(
    engine: Engine, make_patient, sex: str, age: int
) -> None:
    decision = engine.evaluate(make_patient(sex=sex, age=age), "probe", as_of=AS_OF)
    assert "core.pregnancy" not in findings_by_rule(decision)
    assert decision.permitted


def test_pregnancy_code_overrides_a_recorded_not_pregnant(engine: Engine, make_patient) -> None:
    patient = make_patient(record(sex="female", age=30, pregnant=False), condition("Z34.0"))
    decision = engine.evaluate(patient, "probe", as_of=AS_OF)
    assert findings_by_rule(decision)["core.pregnancy"].outcome is Outcome.DEFER


LARGE_HERNIA = Rule(
    "probe.large-hernia",
    "Large hernia",
    F.max_hernia_size_mm >= 8,
    Outcome.CONTRAINDICATED,
    "Hernias of 8 mm and more are excluded in this test.",
    "test suite",
    techniques={"probe"},
)


def _two_hernias(first: float | None, second: float | None) -> Tweak:
    def tweak(data: dict[str, Any]) -> None:
        base = {"region": "lumbar", "kind": "protrusion", "phase": "remission"}
        base["surgery_indicated"] = False
        hernias = [dict(base, level="L3-L4"), dict(base, level="L4-L5")]
        for item, size in zip(hernias, (first, second), strict=True):
            if size is not None:
                item["size_mm"] = size
        data["hernias"] = hernias

    return tweak


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ((3.0, None), Outcome.INSUFFICIENT_DATA),
        ((None, 9.0), Outcome.INSUFFICIENT_DATA),
        ((3.0, 9.0), Outcome.CONTRAINDICATED),
        ((3.0, 8.0), Outcome.CONTRAINDICATED),
        ((3.0, 7.9), None),
    ],
)
def test_size_rule_with_an_unmeasured_hernia_is_insufficient_data(
    make_engine, plugin_class, make_patient, sizes: tuple[float | None, float | None], expected
) -> None:
    engine = make_engine(plugin_class(rules=[LARGE_HERNIA]))
    decision = engine.evaluate(make_patient(_two_hernias(*sizes)), "probe", as_of=AS_OF)
    finding = findings_by_rule(decision).get("probe.large-hernia")
    if expected is None:
        assert finding is None
        assert decision.permitted
    else:
        assert finding is not None and finding.outcome is expected
        assert not decision.permitted


def test_record_with_only_identity_and_hernia_is_not_permitted(engine: Engine) -> None:
    patient = Patient(
        id="bare",
        age=40,
        sex=Sex.FEMALE,
        hernias=(Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.REMISSION),),
    )
    decision = engine.evaluate(patient, "probe", as_of=AS_OF)
    assert decision.outcome is Outcome.INSUFFICIENT_DATA
    assert not decision.permitted


# --------------------------------------------------------------------------- acute phase

_LEVELS = [
    (Region.CERVICAL, "C5-C6"),
    (Region.CERVICAL, "C6-C7"),
    (Region.THORACIC, "T8"),
    (Region.THORACIC, "T11-T12"),
    (Region.LUMBAR, "L3-L4"),
    (Region.LUMBAR, "L4-L5"),
    (Region.LUMBOSACRAL, "L5-S1"),
]
_CODES = [
    "C50.9", "I10", "I11.9", "J06.9", "K29.7", "L40.0", "F32.1", "I80.2", "D50.9", "R50.9",
    "Z34.0", "M86.1", "A18.0", "L50.0", "T63.4", "M51.1", "J45.9", "K40.9", "F17.2",
]  # fmt: skip


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def _vitals(draw: st.DrawFn) -> Vitals:
    systolic = draw(_optional(st.integers(51, 300)))
    high = 200 if systolic is None else min(200, systolic - 1)
    return Vitals(
        systolic_mmhg=systolic,
        diastolic_mmhg=draw(_optional(st.integers(20, high))),
        temperature_c=draw(_optional(st.floats(30.0, 45.0, allow_nan=False))),
        pain_score=draw(_optional(st.integers(0, 10))),
    )


def _hernia(phases: st.SearchStrategy[Phase]) -> st.SearchStrategy[Hernia]:
    return st.builds(
        lambda place, kind, phase, size, surgery: Hernia(
            place[0], place[1], kind, phase, size, surgery
        ),
        st.sampled_from(_LEVELS),
        st.sampled_from(HerniaKind),
        phases,
        _optional(st.floats(0.0, 40.0, allow_nan=False)),
        _optional(st.booleans()),
    )


_conditions = st.one_of(
    st.builds(
        Condition,
        status=st.sampled_from(ClinicalStatus),
        code=st.sampled_from(_CODES),
        system=st.sampled_from(CodeSystem),
    ),
    st.builds(Condition, status=st.sampled_from(ClinicalStatus), concept=st.sampled_from(Concept)),
)


@st.composite
def _acute_or_exacerbated_patients(draw: st.DrawFn, techniques: tuple[str, ...]) -> Patient:
    sex = draw(st.sampled_from(Sex))
    pregnant = (
        draw(st.none() | st.booleans())
        if sex is not Sex.MALE
        else draw(st.sampled_from([None, False]))
    )
    forced = draw(_hernia(st.sampled_from([Phase.ACUTE, Phase.EXACERBATION])))
    others = draw(st.lists(_hernia(st.sampled_from(Phase)), max_size=3))
    hernias = draw(st.permutations([forced, *others]))
    clearances = tuple(
        Clearance(
            technique=t,
            physician="Dr. Test",
            date=AS_OF - timedelta(days=draw(st.integers(0, 30))),
            valid_until=draw(_optional(st.just(AS_OF + timedelta(days=30)))),
        )
        for t in techniques
    )
    courses = draw(
        st.lists(
            st.integers(0, 800).map(lambda d: MassageCourse(end_date=AS_OF - timedelta(days=d))),
            max_size=2,
        )
    )
    return Patient(
        id="prop",
        age=draw(st.integers(0, 130)),
        sex=sex,
        vitals=draw(_vitals()),
        hernias=tuple(hernias),
        pregnant=pregnant,
        inflammatory_process=draw(_optional(st.booleans())),
        conditions=tuple(draw(st.lists(_conditions, max_size=4))),
        massage_courses=tuple(courses),
        clearances=clearances,
        indications=tuple(
            draw(st.lists(st.sampled_from(["compression", "prevention"]), unique=True))
        ),
    )


_PROPERTY_TECHNIQUES = ("probe", "second-probe")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient=_acute_or_exacerbated_patients(_PROPERTY_TECHNIQUES))
def test_acute_or_exacerbated_hernia_is_never_permitted_whatever_else_is_recorded(
    property_engine: Engine, patient: Patient
) -> None:
    assessment = property_engine.assess(patient, as_of=AS_OF)
    assert {d.technique for d in assessment.decisions} == set(_PROPERTY_TECHNIQUES)
    assert assessment.permitted == ()
    assert assessment.ranking == ()
    for decision in assessment.decisions:
        assert not decision.permitted
        assert decision.protocol is None
        assert decision.outcome >= Outcome.DEFER
        stage = {"core.acute-phase", "core.exacerbation"} & set(findings_by_rule(decision))
        assert stage, "the stage rule must be among the reasons"
        for finding in decision.findings:
            if finding.rule_id in stage:
                assert finding.effective_outcome is Outcome.DEFER


@pytest.fixture(scope="module")
def property_engine(make_engine, plugin_class) -> Engine:
    return make_engine(*(plugin_class(t) for t in _PROPERTY_TECHNIQUES))


# --------------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("severe_pain_score", 6),
        ("severe_pain_score", 7),
        ("residual_pain_max", 0),
        ("raised_temperature_c", 37.2),
        ("deferring_bp_grade", 1),
        ("min_course_break_days", 90),
    ],
)
def test_policy_accepts_equal_or_stricter_thresholds(field: str, value: float) -> None:
    assert getattr(Policy(**{field: value}), field) == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("severe_pain_score", 8),
        ("residual_pain_max", 4),
        ("raised_temperature_c", 38.0),
        ("deferring_bp_grade", 3),
        ("min_course_break_days", 59),
    ],
)
def test_policy_rejects_looser_thresholds(field: str, value: float) -> None:
    # The break floor equals the default, so a shorter break is out of range as well.
    with pytest.raises(PolicyError, match=rf"{field} (may only be made stricter|must be between)"):
        Policy(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("severe_pain_score", 0),
        ("raised_temperature_c", 30.0),
        ("severe_pain_score", True),
        ("severe_pain_score", "6"),
        ("min_course_break_days", 10_000),
    ],
)
def test_policy_rejects_nonsense_values(field: str, value: object) -> None:
    with pytest.raises(PolicyError, match=field):
        Policy(**{field: value})


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


def test_stricter_severe_pain_policy_treats_pain_6_as_severe(make_engine, make_patient) -> None:
    patient = make_patient(vitals(pain_score=6))
    default = make_engine().evaluate(patient, "probe", as_of=AS_OF)
    strict = make_engine(policy=Policy(severe_pain_score=6)).evaluate(patient, "probe", as_of=AS_OF)
    assert "core.severe-pain" not in findings_by_rule(default)
    assert findings_by_rule(strict)["core.severe-pain"].outcome is Outcome.DEFER


@pytest.mark.parametrize(
    ("policy", "tweak", "strict_outcome"),
    [
        (Policy(raised_temperature_c=37.2), vitals(temperature_c=37.3), Outcome.DEFER),
        (Policy(residual_pain_max=2), vitals(pain_score=3), Outcome.DEFER),
        (
            Policy(deferring_bp_grade=1),
            vitals(systolic_mmhg=145, diastolic_mmhg=85),
            Outcome.DEFER,
        ),
        (Policy(min_course_break_days=90), course_ended(days_ago=75), Outcome.REQUIRES_CLEARANCE),
    ],
)
def test_stricter_policy_changes_an_allowed_verdict(
    make_engine, make_patient, policy: Policy, tweak: Tweak, strict_outcome: Outcome
) -> None:
    patient = make_patient(tweak)
    assert make_engine().evaluate(patient, "probe", as_of=AS_OF).outcome is Outcome.ALLOWED
    strict = make_engine(policy=policy).evaluate(patient, "probe", as_of=AS_OF)
    assert strict.outcome is strict_outcome
    assert not strict.permitted


def test_core_rules_follow_the_policy_thresholds() -> None:
    rules = {r.id: r for r in core_rules(Policy(severe_pain_score=5))}
    assert "5" in rules["core.severe-pain"].when.render()
    assert "7" in {r.id: r for r in core_rules(DEFAULT_POLICY)}["core.severe-pain"].when.render()


def test_engine_rejects_a_policy_that_is_not_a_policy(make_engine) -> None:
    with pytest.raises(TypeError):
        make_engine(policy={"severe_pain_score": 9})


def test_rendered_core_rule_catalogue_has_unique_ids() -> None:
    ids = [r.id for r in core_rules()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"core\.[a-z0-9-]+", i) for i in ids)
