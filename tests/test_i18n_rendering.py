"""Translations beyond the messages: explanations, input errors, commands, cards, sources."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import herniarules
from herniarules import Engine, load_patient
from herniarules.i18n import LocaleError, localize, translator
from herniarules.rules import _render

ROOT = Path(__file__).resolve().parents[1]
COMMAND = Path(sys.executable).with_name("herniarules")
PATIENTS = sorted((ROOT / "examples" / "patients").glob("*.json"))
#: Latin words an explanation in Russian may still hold: recorded diagnosis names aside
#: (they stay as recorded), only codes and vertebral levels.
_LATIN_WORD = re.compile(r"(?<![\w.-])[A-Za-z][a-z]{2,}")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _findings(assessment: Any) -> Iterator[Any]:
    for decision in assessment.decisions:
        yield from decision.findings


# -- explanations ------------------------------------------------------------------------------


def test_explanation_in_russian_reads_with_russian_words_and_cldr_numbers(engine: Engine) -> None:
    patient = load_patient(ROOT / "examples" / "patients" / "02-acute-lumbar.json")
    russian = {f.rule_id: f.explanation for f in _findings(engine.assess(patient, locale="ru"))}
    english = {f.rule_id: f.explanation for f in _findings(engine.assess(patient))}
    assert english["core.severe-pain"] == "pain score 8 ≥ 7"
    assert russian["core.severe-pain"] == "болевой балл 8 ≥ 7"
    assert english["core.acute-phase"] == "hernia phases include acute"
    assert russian["core.acute-phase"] == "стадии грыжи включают: острая стадия"


def test_explanation_numbers_and_missing_values() -> None:
    tr = translator("ru")
    assert (
        _render.in_locale("body temperature (°C) 38.2 ≥ 37.5", tr)
        == "температура тела (°C) 38,2 ≥ 37,5"
    )
    assert (
        _render.in_locale("pain score not recorded (rule: > 3)", tr)
        == "болевой балл нет данных (правило: > 3)"
    )
    text = (
        "hernia L4-L5 (lumbar, 11 mm): region lumbar ∈ {lumbar, lumbosacral} and size (mm) 11 ≥ 9"
    )
    assert _render.in_locale(text, tr) == (
        "грыжа L4-L5 (поясничный, 11 мм): отдел поясничный ∈ {поясничный, пояснично-крестцовый}"
        " и размер (мм) 11 ≥ 9"
    )
    # the body site lumbar is another word than the spinal region lumbar
    assert tr.text("lumbar") == "поясница"


def test_recorded_names_and_codes_stay_as_recorded() -> None:
    tr = translator("ru")
    name = "Essential (primary) hypertension with crisis"
    text = f"condition I10 {name}: hypertension, requires clearance"
    assert _render.in_locale(text, tr, [name]) == (
        f"диагноз I10 {name}: гипертония, нужно разрешение врача"
    )
    assert _render.in_locale(text, translator("en"), [name]) == text


@pytest.mark.parametrize("path", PATIENTS, ids=[p.stem for p in PATIENTS])
def test_every_explanation_of_the_examples_is_in_russian(engine: Engine, path: Path) -> None:
    russian = engine.assess(load_patient(path), locale="ru")
    for finding in _findings(russian):
        text = finding.explanation
        for name in _render_names(finding.evidence):
            text = text.replace(name, "")
        assert _LATIN_WORD.findall(text) == [], finding.explanation


def _render_names(evidence: Any) -> Iterator[str]:
    if isinstance(evidence, dict | herniarules.frozen.FrozenDict):
        for key, value in evidence.items():
            if key == "display" and isinstance(value, str):
                yield value
            else:
                yield from _render_names(value)
    elif isinstance(evidence, tuple | list):
        for value in evidence:
            yield from _render_names(value)


# -- engine.assess(locale=) ----------------------------------------------------------------------


@pytest.mark.parametrize("path", PATIENTS[:4], ids=[p.stem for p in PATIENTS[:4]])
def test_assess_with_a_locale_is_the_localized_assessment(engine: Engine, path: Path) -> None:
    patient = load_patient(path)
    english = engine.assess(patient)
    russian = engine.assess(patient, locale="ru")
    assert russian == localize(english, "ru")
    assert russian != english or not any(True for _ in _findings(english))
    assert engine.assess(patient, locale="en") == english
    strip = {"message", "explanation", "description", "name", "pressure", "avoid", "notes"}

    def bare(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "<text>" if k in strip else bare(v) for k, v in value.items()}
        if isinstance(value, list):
            return [bare(v) for v in value]
        return value

    as_json = json.loads(herniarules.dumps(russian))
    assert bare(as_json) == bare(json.loads(herniarules.dumps(english)))
    assert [d.outcome for d in russian.decisions] == [d.outcome for d in english.decisions]


def test_assess_with_an_unknown_locale_fails_before_assessing(engine: Engine) -> None:
    with pytest.raises(LocaleError, match="expected one of en, ru"):
        engine.assess(load_patient(PATIENTS[0]), locale="de")


def test_pgettext_tells_a_role_from_another() -> None:
    tr = translator("ru")
    assert tr.pgettext("explanation", "lumbar") == "поясничный"
    assert tr.pgettext("explanation", "a text no catalogue holds") == "a text no catalogue holds"


def _cli(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), *argv], capture_output=True, text=True, input=stdin, check=False
    )


# -- input errors ----------------------------------------------------------------------------------

_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
_WRONG = (None, "x", 1.5, -3, [], {}, True, "2026-02-30")


def _bad_records() -> Iterator[bytes]:
    """Records with one field wrong in each way, from every example patient's fields."""
    for path in PATIENTS[:3]:
        record = json.loads(path.read_text())
        for key, value in record.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for field in value[0]:
                    for wrong in _WRONG:
                        item = dict(value[0], **{field: wrong})
                        yield json.dumps(dict(record, **{key: [item]})).encode()
            for wrong in _WRONG:
                yield json.dumps(dict(record, **{key: wrong})).encode()
        yield json.dumps(dict(record, extra_field=1)).encode()
        yield json.dumps({k: v for k, v in record.items() if k != "age"}).encode()
    yield b"{not json"
    yield b"\xff\xfe"
    yield json.dumps([1]).encode()


def _problems() -> list[herniarules.errors.Problem]:
    found: list[herniarules.errors.Problem] = []
    for data in _bad_records():
        try:
            herniarules.loads_patient(data)
        except herniarules.InputError as exc:
            found.extend(exc.problems)
    return found


def test_every_problem_of_the_json_door_renders_in_russian() -> None:
    from herniarules.i18n.problems import render_problem

    tr = translator("ru")
    problems = _problems()
    messages = {p.message for p in problems}
    assert len(messages) > 40
    for problem in problems:
        russian = render_problem(problem, tr)
        assert russian.path == problem.path
        assert _CYRILLIC.search(russian.message), problem.message


def test_input_error_renders_in_russian_and_stays_english() -> None:
    data = json.dumps({"id": "P-1", "age": "x", "sex": "females", "hernias": []}).encode()
    with pytest.raises(herniarules.InputError) as caught:
        herniarules.loads_patient(data)
    error = caught.value
    english = str(error)
    russian = error.render("ru")
    assert error.render("en") == english
    assert str(error) == english and english.startswith("invalid patient record (2 problems):")
    assert russian.startswith("ошибки в данных: запись пациента (2 ошибки):")
    assert '  age: должно быть целым числом, получено: "x"' in russian
    # the allowed values and the value found stay as the record has to spell them
    assert "sex: должно быть одним из значений: 'female', 'male', 'other', 'unknown'" in russian
    assert 'получено: "females"' in russian
    assert [p.path for p in error.problems] == ["age", "sex"]
    with pytest.raises(LocaleError):
        error.render("de")


def test_hint_renders_in_russian() -> None:
    from herniarules.i18n.problems import render_message

    english = "must be one of 'a', 'b', got 'A'; did you mean 'a'?"
    assert render_message(english, translator("ru")) == (
        "должно быть одним из значений: 'a', 'b', получено: 'A'; возможно, имелось в виду 'a'?"
    )
    assert render_message(english, translator("en")) == english
    assert render_message("a message no template knows", translator("ru")) == (
        "a message no template knows"
    )


def test_model_error_renders_in_russian() -> None:
    with pytest.raises(herniarules.InputError) as caught:
        herniarules.Hernia(region="lumbar", level="C5-C6", kind="protrusion", phase="acute")
    russian = caught.value.render("ru")
    assert russian.startswith("ошибки в данных: Hernia (3 ошибки):")
    assert "получено: 'lumbar' (используйте Region.LUMBAR)" in russian
    m = herniarules.model
    with pytest.raises(herniarules.InputError) as caught:
        m.Hernia(
            region=m.Region.LUMBAR, level="C5-C6", kind=m.HerniaKind.PROTRUSION, phase=m.Phase.ACUTE
        )
    russian = caught.value.render("ru")
    assert "уровень C5-C6 относится к отделу cervical, а не lumbar" in russian, russian


def test_cli_prints_input_errors_in_russian(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "P-1", "age": 300, "sex": "female", "hernias": []}))
    done = _cli("--lang", "ru", "assess", str(bad))
    assert done.returncode == 2
    assert done.stderr.startswith(f"ошибка: ошибки в данных: запись пациента в {bad} (1 ошибка):")
    assert "age: должно быть от 0 до 130, получено: 300" in done.stderr
    english = _cli("assess", str(bad))
    assert english.stderr.startswith("error: invalid patient record in")
    record = json.loads(_cli("assess", "--lang", "ru", "--format", "json", str(bad)).stdout)
    assert record[0]["errors"][0]["path"] == "age"
    assert record[0]["errors"][0]["message"].startswith("должно быть от 0 до 130")


# -- plan, techniques and rules ------------------------------------------------------------------


def test_cli_techniques_in_russian() -> None:
    done = _cli("techniques", "--lang", "ru")
    assert done.returncode == 0
    assert "honey          Медовый массаж (показания: слабость мышц)\n" in done.stdout
    assert "Баночный (вакуумный) массаж" in done.stdout
    english = _cli("techniques").stdout
    assert len(done.stdout.splitlines()) == len(english.splitlines())


def test_cli_rules_in_russian() -> None:
    done = _cli("--lang", "ru", "rules")
    assert done.returncode == 0
    assert "core.severe-pain: болевой балл ≥ 7 → отложить  [все методики]\n" in done.stdout
    assert "температура тела (°C) ≥ 37,5" in done.stdout
    english = _cli("rules").stdout
    assert done.stdout.count("\n") == english.count("\n")
    assert done.stdout.splitlines()[-1].split()[-1] == english.splitlines()[-1].split()[-1]


def test_cli_plan_in_russian() -> None:
    patient = str(ROOT / "examples" / "patients" / "04-honey-weakness-small.json")
    args = ("plan", "--technique", "honey", "--start", "2026-12-10", patient)
    done = _cli("--lang", "ru", *args)
    assert done.returncode == 0
    assert done.stdout.startswith("Курс honey для пациента P-004\n")
    assert "10 дек. 2026\u202fг." in done.stdout
    assert "перерыв 60 дней" in done.stdout
    assert "Курс можно продлить до 20 ежедневных сеансов." in done.stdout


def test_english_command_texts_are_unchanged(engine: Engine) -> None:
    from herniarules.i18n.commands import plan_lines, rule_lines, technique_lines

    assert "".join(technique_lines(engine.techniques, "en")) == _cli("techniques").stdout
    assert "".join(rule_lines(engine.rules, engine.fingerprint, "en")) == _cli("rules").stdout
    patient = ROOT / "examples" / "patients" / "04-honey-weakness-small.json"
    plan = engine.plan_course(
        load_patient(patient), "honey", __import__("datetime").date(2026, 12, 10)
    )
    args = ("plan", "--technique", "honey", "--start", "2026-12-10", str(patient))
    assert "".join(plan_lines(plan, "en")) == _cli(*args).stdout


# -- the documentation in Russian -----------------------------------------------------------------

#: The pages the Russian site must translate.
DOC_PAGES = ("index", "quickstart", "concepts", "catalogue/index", "catalogue/core")
#: Texts that stay as they are: markup only (references, literals, numbers), or a passage of
#: the clinical source or a convention quoted in English (see docs/translations.md).
_KEPT = re.compile(
    r"(\s|,|[\d.\\]+|:\w+:`[^`]*`|\{\w+\}`[^`]*`|``[^`]*``|`[^`]*`)*"
    r"|(\*[^*]+\* — )?[“\"].*|clinical convention.*",
    re.DOTALL,
)


@pytest.mark.parametrize("page", DOC_PAGES)
def test_russian_doc_pages_are_translated(page: str) -> None:
    from babel.messages.pofile import read_po

    path = ROOT / "docs" / "locale" / "ru" / "LC_MESSAGES" / f"{page}.po"
    with path.open("rb") as stream:
        catalog = read_po(stream, locale="ru")
    missing = [
        m.id
        for m in catalog
        if m.id and (not m.string or m.fuzzy) and not _KEPT.fullmatch(str(m.id))
    ]
    assert missing == []
    translated = [m for m in catalog if m.id and m.string]
    assert len(translated) > 10
    english = [m for m in translated if m.string != m.id and re.search("[a-z]{4,}", m.id)]
    assert all(_CYRILLIC.search(str(m.string)) for m in english), [m.id for m in english]


def test_cli_json_of_rules_techniques_and_plan_in_russian_keeps_ids() -> None:
    english = json.loads(_cli("rules", "--format", "json").stdout)
    russian = json.loads(_cli("rules", "--lang", "ru", "--format", "json").stdout)
    assert russian["fingerprint"] == english["fingerprint"]
    assert [r["id"] for r in russian["rules"]] == [r["id"] for r in english["rules"]]
    assert [r["outcome"] for r in russian["rules"]] == [r["outcome"] for r in english["rules"]]
    severe = next(r for r in russian["rules"] if r["id"] == "core.severe-pain")
    assert (severe["title"], severe["condition"]) == ("Сильная боль", "болевой балл ≥ 7")
    techniques = json.loads(_cli("techniques", "--lang", "ru", "--format", "json").stdout)
    assert {t["id"]: t["name"] for t in techniques}["honey"] == "Медовый массаж"
    patient = str(ROOT / "examples" / "patients" / "04-honey-weakness-small.json")
    args = ("plan", "--format", "json", "--technique", "honey", "--start", "2026-12-10", patient)
    plan_en, plan_ru = (
        json.loads(_cli(*args).stdout),
        json.loads(_cli("--lang", "ru", *args).stdout),
    )
    assert plan_ru["sessions"] == plan_en["sessions"]
    assert plan_ru["notes"][0] == "Курс можно продлить до 20 ежедневных сеансов."
