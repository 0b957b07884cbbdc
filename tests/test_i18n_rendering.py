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
