"""CDS Hooks cards in the language of the request's Accept-Language, over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from herniarules.service import ServiceConfig, create_app, load_issuer, open_audit_log
from herniarules.service.cards import negotiate
from herniarules.service.schemas import CARDS_RESPONSE
from tests.service_support import SANDBOX, SANDBOX_ISS, serve
from tests.test_service import PATIENT_VIEW, Client, hook_call

_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    db = tmp_path_factory.mktemp("audit") / "audit.db"
    config = ServiceConfig(issuers={SANDBOX_ISS: load_issuer(SANDBOX_ISS, SANDBOX / "jwks.json")})
    app = create_app(audit=open_audit_log(f"sqlite:///{db}"), config=config)
    with serve(app) as base:
        yield Client(base, db)


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "en"),
        ("", "en"),
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("RU-ru", "ru"),
        ("de-DE, ru;q=0.5, en;q=0.4", "ru"),
        ("en;q=0.9, ru", "ru"),
        ("ru;q=0.8, en;q=0.9", "en"),
        ("ru;q=0, en;q=0.1", "en"),
        ("ru;q=0.5, en;q=0.5", "ru"),  # a tie: the first given
        ("de, fr", "en"),
        ("*", "en"),
        ("ru;q=abc", "en"),
        ("ru;q=2", "en"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
        ("x" * 2000, "en"),
    ],
)
def test_negotiate(header: str | None, locale: str) -> None:
    assert negotiate(header) == locale


def _cards(client: Client, language: str | None) -> tuple[Any, dict[str, str]]:
    headers = {} if language is None else {"Accept-Language": language}
    response = client.post(PATIENT_VIEW, hook_call(), headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()
    jsonschema.validate(data, CARDS_RESPONSE)
    return data, dict(response.headers)


def _skeleton(card: dict[str, Any]) -> dict[str, Any]:
    """The card without its texts and uuid: what must not change with the language."""
    return {
        "indicator": card["indicator"],
        "source": {
            "url": card["source"]["url"],
            "code": card["source"].get("topic", {}).get("code"),
        },
        "links": [link["url"] for link in card.get("links", ())],
        "overrideReasons": [(r["system"], r["code"]) for r in card.get("overrideReasons", ())],
    }


def test_cards_in_russian_for_ru_ru(client: Client) -> None:
    english, english_headers = _cards(client, None)
    russian, headers = _cards(client, "ru-RU,ru;q=0.9,en;q=0.8")
    assert headers["content-language"] == "ru"
    assert english_headers["content-language"] == "en"
    assert "accept-language" in headers["vary"].lower()
    assert [_skeleton(c) for c in russian["cards"]] == [_skeleton(c) for c in english["cards"]]
    for card in russian["cards"]:
        assert _CYRILLIC.search(card["summary"]), card["summary"]
        assert _CYRILLIC.search(card["detail"])
        assert len(card["summary"]) < 140
    summaries = [c["summary"] for c in russian["cards"]]
    assert any(s.startswith("Медовый массаж: отложить") for s in summaries), summaries
    notice, first = russian["cards"][0], russian["cards"][1]
    assert "элемент" in notice["summary"] and "записи FHIR" in notice["detail"]
    assert "Выводы:" in first["detail"] and "herniarules помогает врачам" in first["detail"]
    # provenance of the values is found for the translated findings too
    assert any("Condition/condition-duodenal-ulcer" in c["detail"] for c in russian["cards"])
    assert any("откуда: " in c["detail"] for c in russian["cards"])


def test_unknown_language_gets_english_cards(client: Client) -> None:
    english, _ = _cards(client, None)
    german, headers = _cards(client, "de-DE, fr;q=0.8")
    assert headers["content-language"] == "en"
    assert [c["summary"] for c in german["cards"]] == [c["summary"] for c in english["cards"]]
    assert [c["detail"] for c in german["cards"]] == [c["detail"] for c in english["cards"]]
