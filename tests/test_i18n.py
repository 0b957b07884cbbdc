"""Translations: English unchanged, Russian complete, per call and thread-safe."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import herniarules
from herniarules import Engine, Policy, load_patient
from herniarules.cli import _text_assessment, main
from herniarules.i18n import LOCALES, LocaleError, Translator, localize, translator
from herniarules.safety import core_rules

ROOT = Path(__file__).resolve().parents[1]
PATIENTS = sorted((ROOT / "examples" / "patients").glob("*.json"))
#: Every source directory with a catalogue, and its gettext domain (its package name).
CATALOGUES = [(ROOT / "src" / "herniarules", "herniarules")] + [
    (path.parents[3], path.parents[3].name)
    for path in sorted(ROOT.glob("*/*/src/*/locale/en/LC_MESSAGES/*.po"))
]
#: The catalogues translated into Russian.
RUSSIAN = [(d, n) for d, n in CATALOGUES if (d / "locale" / "ru" / "LC_MESSAGES").is_dir()]
KEYWORDS: dict[str, Any] = {"N_": None, "C_": ((1, "c"), 2), "ngettext": (1, 2)}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _catalog(directory: Path, domain: str, locale: str) -> Catalog:
    with (directory / "locale" / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as stream:
        catalog: Catalog = read_po(stream, locale=locale)
    return catalog


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{([A-Za-z_]\w*)\}", text)) | set(re.findall(r"%\((\w+)\)[sd]", text))


# -- completeness (make messages has been run, and everything is translated) ------------------


def test_the_catalogues_found() -> None:
    domains = {domain for _, domain in CATALOGUES}
    assert len(domains) == 8  # the SDK, six plugins, the kinesio example
    assert {n for _, n in RUSSIAN} == domains  # every catalogue, kinesio too


@pytest.mark.parametrize(("directory", "domain"), CATALOGUES, ids=[d for _, d in CATALOGUES])
def test_catalogues_hold_every_marked_string(directory: Path, domain: str) -> None:
    extracted = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            str(directory), method_map=[("**.py", "python")], keywords=KEYWORDS
        )
    }
    locales = [p.name for p in (directory / "locale").iterdir() if p.is_dir()]
    assert "en" in locales
    for locale in locales:
        held = {
            m.id if isinstance(m.id, str) else m.id[0]
            for m in _catalog(directory, domain, locale)
            if m.id
        }
        assert extracted - held == set(), f"{domain} {locale}: run make messages"
        assert held - extracted == set(), f"{domain} {locale}: obsolete entries"


@pytest.mark.parametrize(("directory", "domain"), RUSSIAN, ids=[d for _, d in RUSSIAN])
def test_every_message_has_a_russian_translation_with_the_same_placeholders(
    directory: Path, domain: str
) -> None:
    catalog = _catalog(directory, domain, "ru")
    assert catalog.num_plurals == 3
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(forms) or len(forms) != (3 if len(ids) == 2 else 1):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = _placeholders(ids[-1])
        for form in forms:
            if _placeholders(form) != wanted:
                problems.append(f"placeholders differ: {ids[0]!r} -> {form!r}")
        joined = "".join(forms)
        english = re.search("[A-Za-z]", joined)  # a sign (№) is no English left over
        if english and not re.search("[а-яё]", joined, re.IGNORECASE) and ids[0] != forms[0]:
            problems.append(f"not Russian: {forms[0]!r}")
    assert problems == []


def test_russian_uses_the_sources_clinical_terms() -> None:
    tr = translator("ru")
    assert "острой стадии" in tr.text(
        "Massage is strictly forbidden in the acute stage of the disease."
    )
    assert "обострения" in tr.text(
        "Massage is strictly forbidden during an exacerbation of the disease."
    )
    assert tr.outcome(herniarules.Outcome.CONTRAINDICATED) == "противопоказано"


# -- English is what it was ---------------------------------------------------------------------


def _cli_text(assessment: Any, verbose: bool, patient: Any, indications: Any) -> str:
    out = io.StringIO()
    _text_assessment(assessment, out, verbose, patient, indications)
    return out.getvalue()


@pytest.mark.parametrize("path", PATIENTS, ids=[p.stem for p in PATIENTS])
def test_english_report_is_byte_identical(engine: Engine, path: Path) -> None:
    patient = load_patient(path)
    assessment = engine.assess(patient)
    indications = {t.id: tuple(t.indications) for t in engine.techniques}
    for verbose in (False, True):
        assert herniarules.explain(
            assessment, "en", verbose=verbose, patient=patient, indications=indications
        ) == _cli_text(assessment, verbose, patient, indications)
    assert herniarules.dumps(assessment, locale="en") == herniarules.dumps(assessment)
    assert localize(assessment, "en") == assessment


# -- Russian: texts change, nothing else ----------------------------------------------------------


def _without_texts(value: Any) -> Any:
    texts = {
        "message",
        "description",
        "name",
        "pressure",
        "avoid",
        "notes",
        "repetitions",
        "explanation",
    }
    if isinstance(value, dict):
        return {k: ("<text>" if k in texts else _without_texts(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_texts(v) for v in value]
    return value


@pytest.mark.parametrize("path", PATIENTS, ids=[p.stem for p in PATIENTS])
def test_russian_json_differs_only_in_texts(engine: Engine, path: Path) -> None:
    assessment = engine.assess(load_patient(path))
    english = json.loads(herniarules.dumps(assessment))
    russian = json.loads(herniarules.dumps(assessment, locale="ru"))
    assert _without_texts(russian) == _without_texts(english)
    messages = [f["message"] for d in russian["decisions"] for f in d["findings"]]
    core = [
        m
        for d in russian["decisions"]
        for f in d["findings"]
        if f["rule_id"].startswith("core.")
        for m in [f["message"]]
    ]
    assert all(re.search("[а-яё]", m, re.IGNORECASE) for m in core), core
    assert messages or path.stem.startswith("01")


def test_every_core_rule_message_and_title_is_translated() -> None:
    tr = translator("ru")
    for policy in (Policy(), Policy(surgery_healing_days=30, surgery_clearance_days=120)):
        for rule in core_rules(policy):
            assert re.search("[а-яё]", tr.text(rule.message), re.IGNORECASE), rule.id
    healing = {r.id: r for r in core_rules(Policy(surgery_healing_days=30))}
    assert "30 дн." in tr.text(healing["core.spinal-surgery-healing"].message)


def test_plugin_template_filled_with_translated_values() -> None:
    tr = translator("ru")
    text = tr.text(
        "Rubbing of the paravertebral zones of the thoracic segments (T1-T12), from the lower "
        "segments upwards and from the periphery towards the spine."
    )
    assert text.startswith("Растирание паравертебральных зон сегментов: грудные (T1–T12)")


# -- CLDR plurals, numbers and dates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "word"),
    [(1, "сеанс"), (3, "сеанса"), (5, "сеансов"), (11, "сеансов"), (21, "сеанс"), (22, "сеанса")],
)
def test_plural_forms(n: int, word: str) -> None:
    tr = translator("ru")
    form = tr.ngettext(", course of {first}-{n} session", ", course of {first}-{n} sessions", n)
    assert form.format(first=1, n=n) == f", курс 1–{n} {word}"


def test_numbers_and_dates_by_cldr() -> None:
    from datetime import date

    ru, en = translator("ru"), translator("en")
    assert f"{ru.number(38.1)} °C" == "38,1 °C"
    assert en.number(38.1) == "38.1"
    assert ru.date(date(2026, 12, 2)) == "2 дек. 2026\u202fг."  # CLDR: a narrow no-break space


# -- per call, never global ------------------------------------------------------------------------


def test_unknown_locale_is_an_error_listing_the_known_ones(engine: Engine) -> None:
    assessment = engine.assess(load_patient(PATIENTS[0]))
    with pytest.raises(LocaleError, match="expected one of en, ru"):
        herniarules.dumps(assessment, locale="de")
    with pytest.raises(LocaleError):
        herniarules.explain(assessment, "ru_RU")


def test_two_threads_two_languages(engine: Engine) -> None:
    assessment = engine.assess(load_patient(PATIENTS[1]))
    expected = {locale: herniarules.explain(assessment, locale) for locale in LOCALES}
    results: list[tuple[str, str]] = []

    def render(locale: str) -> None:
        for _ in range(30):
            results.append((locale, herniarules.explain(assessment, locale)))

    threads = [threading.Thread(target=render, args=(loc,)) for loc in LOCALES * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 120
    assert all(text == expected[locale] for locale, text in results)
    assert expected["en"] != expected["ru"]


def test_import_does_not_import_babel() -> None:
    code = "import sys, herniarules; herniarules.Engine; assert 'babel' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- catalogue files: the compiled .mo reads as the .po --------------------------------------------


@pytest.mark.parametrize(("directory", "domain"), RUSSIAN, ids=[d for _, d in RUSSIAN])
def test_compiled_catalogue_translates_as_the_po(directory: Path, domain: str) -> None:
    po = _catalog(directory, domain, "ru")
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    from_mo, from_po = Translator("ru", [read_mo(buffer)]), Translator("ru", [po])
    for message in po:
        if message.id and isinstance(message.id, str) and message.context:
            in_mo = from_mo.pgettext(message.context, message.id)
            assert in_mo == from_po.pgettext(message.context, message.id) == message.string
        elif message.id and isinstance(message.id, str):
            assert from_mo.text(message.id) == from_po.text(message.id) == message.string


# -- the command line ----------------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def _lines(text: str) -> Iterator[str]:
    return (line for line in text.splitlines() if line.strip())


def test_cli_lang_ru_text() -> None:
    files = [str(p) for p in PATIENTS]
    status, text, _ = _run("assess", "--lang", "ru", *files)
    assert status == 0
    assert "Пациент P-002" in text and "ОТЛОЖИТЬ" not in text
    assert "курс 10–20 сеансов" in text
    assert _run("--lang", "ru", "assess", *files)[1] == text
    english = _run("assess", *files)[1]
    assert len(list(_lines(text))) == len(list(_lines(english)))


def test_cli_lang_ru_json_keeps_ids() -> None:
    status, text, _ = _run("assess", "--lang", "ru", "--format", "json", str(PATIENTS[1]))
    assert status == 0
    english = json.loads(_run("assess", "--format", "json", str(PATIENTS[1]))[1])
    assert _without_texts(json.loads(text)) == _without_texts(english)


def test_cli_unknown_lang_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _run("assess", "--lang", "de", str(PATIENTS[0]))
    assert exit_info.value.code == 2
    assert "invalid choice: 'de'" in capsys.readouterr().err


def test_cli_lang_with_a_command_it_does_not_apply_to_fails() -> None:
    status, _, err = _run("--lang", "ru", "schema", "patient")
    assert status == 2
    assert "--lang applies to assess, plan, techniques and rules, not to schema" in err
    status, _, err = _run("assess", "--lang", "ru", "--fhir", str(PATIENTS[0]))
    assert status == 2
    assert "--lang does not apply to --fhir" in err


def _texts(assessment: Any) -> Iterator[str]:
    for decision in assessment.decisions:
        for finding in decision.findings:
            yield finding.message
        protocol = decision.protocol
        if protocol is not None:
            yield protocol.pressure
            yield from protocol.avoid
            yield from protocol.notes
            for step in protocol.steps:
                yield from (
                    step.name,
                    step.description,
                    step.repetitions or "",
                    step.pressure or "",
                )


def test_kept_translations_agree_with_the_reference(engine: Engine) -> None:
    tr = translator("ru")
    texts = {t for path in PATIENTS for t in _texts(engine.assess(load_patient(path))) if t}
    assert len(texts) > 100
    for _ in range(2):  # translated, then kept
        for text in sorted(texts):
            assert tr.text(text) == tr.translate(text), text
