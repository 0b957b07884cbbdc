"""The service's parts on their own: token checks, request reading, cards, the audit log."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest

import herniarules
from herniarules.service.audit import CardRecord, DecisionRecord, open_audit_log
from herniarules.service.auth import AuthError, ReplayCache, TokenVerifier, load_issuer
from herniarules.service.cards import MAX_SUMMARY, OVERRIDE_SYSTEM, assessment_cards
from herniarules.service.feedback import read_feedback
from herniarules.service.hook_request import RequestError, read_request
from herniarules.service.schemas import CARD
from tests.conftest import AS_OF, EXAMPLES
from tests.service_support import SANDBOX, SANDBOX_ISS, SPEC, sandbox_token, spec

AUD = "https://cds.example.org/cds-services/herniarules-patient-view"
KEYS = ("patient", "conditions")


def verifier(**kwargs: Any) -> TokenVerifier:
    return TokenVerifier({SANDBOX_ISS: load_issuer(SANDBOX_ISS, SANDBOX / "jwks.json")}, **kwargs)


def test_a_token_signed_as_the_sandbox_signs_is_accepted_once() -> None:
    check = verifier()
    token = sandbox_token(AUD)
    claims = check.verify(f"Bearer {token}", AUD)
    assert claims["iss"] == SANDBOX_ISS
    with pytest.raises(AuthError, match="replay"):
        check.verify(f"Bearer {token}", AUD)


@pytest.mark.parametrize(
    ("claims", "audience", "message"),
    [
        ({}, "https://cds.example.org/cds-services/other", "aud must be this endpoint"),
        ({"exp": int(time.time()) - 120}, AUD, "expired"),
        ({"exp": int(time.time()) + 3600}, AUD, "at most five minutes"),
        ({"iat": int(time.time()) + 600, "exp": int(time.time()) + 300}, AUD, "iat"),
        ({"jti": None}, AUD, "jti"),
        ({"iss": "https://evil.example.org"}, AUD, "not allowed"),
    ],
)
def test_a_token_is_refused_for_each_claim_the_spec_requires(
    claims: dict[str, Any], audience: str, message: str
) -> None:
    with pytest.raises(AuthError, match=message):
        verifier().verify(f"Bearer {sandbox_token(AUD, **claims)}", audience)


def test_the_spec_example_token_verifies_only_while_its_clock_says_so() -> None:
    # The spec's example JWT is signed by the spec's example key and expired in 2015.
    header = spec("jwt-authorization-header.json")["Authorization"]
    payload = spec("jwt-payload.json")
    issuer = load_issuer(payload["iss"], SPEC / "jwks-public.json")
    then = TokenVerifier({payload["iss"]: issuer}, clock=lambda: payload["iat"] + 60.0)
    with pytest.raises(AuthError, match="at most five minutes"):
        # its exp is years after its iat: longer than the spec's five minutes
        then.verify(header, payload["aud"])
    with pytest.raises(AuthError, match="expired"):
        TokenVerifier({payload["iss"]: issuer}).verify(header, payload["aud"])


def test_unsigned_and_symmetric_tokens_are_refused() -> None:
    now = int(time.time())
    claims = {"iss": SANDBOX_ISS, "aud": AUD, "iat": now, "exp": now + 60, "jti": "x"}
    for token in (
        jwt.encode(claims, "a-shared-secret-of-thirty-two-bytes", algorithm="HS256"),
        jwt.encode(claims, None, algorithm="none"),
    ):
        with pytest.raises(AuthError, match="alg"):
            verifier().verify(f"Bearer {token}", AUD)
    with pytest.raises(AuthError, match="Bearer"):
        verifier().verify("Basic abc", AUD)
    with pytest.raises(AuthError, match="no Authorization"):
        verifier().verify(None, AUD)


def test_a_private_jwks_is_not_pinned() -> None:
    with pytest.raises(ValueError, match="private key"):
        load_issuer(SANDBOX_ISS, SANDBOX / "jwk-keypair.json")


def test_a_full_replay_cache_refuses_instead_of_forgetting() -> None:
    cache = ReplayCache(capacity=2, clock=lambda: 100.0)
    assert cache.add("i", "a", 200) and cache.add("i", "b", 200)
    assert not cache.add("i", "c", 200)
    later = ReplayCache(capacity=2, clock=lambda: 100.0)
    assert later.add("i", "a", 50) and later.add("i", "b", 50)
    assert later.add("i", "c", 200)  # the expired ones made room


def _request(**changes: Any) -> dict[str, Any]:
    data = spec("request-patient-view-with-prefetch.json")
    data["prefetch"] = {"patient": data["prefetch"]["patientToGreet"]}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_spec_example_request_reads() -> None:
    hook = read_request(_request(), hook="patient-view", prefetch_keys=KEYS)
    assert hook.patient_id == "1288992"
    assert hook.fhir_server == "http://hooks.smarthealthit.org:9080"
    assert hook.authorization is not None and hook.authorization.subject == "cds-service4"
    assert set(hook.prefetch) == {"patient"}


def test_every_problem_of_a_request_is_named_by_its_path() -> None:
    bad = _request(
        hook="order-sign",
        hookInstance="not-a-uuid",
        fhirServer=None,
        context={"userId": "Device/1", "patientId": "a b", "extra": 1},
        prefetch={"patient": [], "unknownKey": {}},
        surprise=True,
    )
    with pytest.raises(RequestError) as caught:
        read_request(bad, hook="patient-view", prefetch_keys=KEYS)
    paths = {p.path for p in caught.value.problems}
    assert paths == {
        "hook",
        "hookInstance",
        "fhirServer",
        "context.userId",
        "context.patientId",
        "context.extra",
        "prefetch.patient",
        "prefetch.unknownKey",
        "surprise",
    }
    assert "allowed: conditions, patient" in str(caught.value)


def test_appointment_book_takes_the_days_of_the_library_examples() -> None:
    folder = SPEC.parent / "hooks-library-1.0.1"
    for name, days in (
        ("appointment-book-context-two-appointments.json", ["2019-08-10", "2020-08-01"]),
        ("appointment-book-context-with-encounter.json", ["2013-12-10"]),
    ):
        context = json.loads((folder / name).read_text())["context"]
        hook = read_request(
            {"hook": "appointment-book", "hookInstance": str(uuid.uuid4()), "context": context},
            hook="appointment-book",
            prefetch_keys=KEYS,
        )
        assert [d.isoformat() for d in hook.appointment_dates] == days


def _assessment(name: str) -> herniarules.Assessment:
    engine = herniarules.Engine()
    return engine.assess(herniarules.load_patient(EXAMPLES / name), as_of=AS_OF)


def test_cards_follow_the_outcome_scale_and_the_card_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    indicators = {
        "defer": "critical",
        "contraindicated": "critical",
        "requires-clearance": "warning",
        "insufficient-data": "warning",
        "allowed-with-modifications": "info",
        "allowed": "info",
    }
    engine = herniarules.Engine()
    names = {t.id: t.name for t in engine.techniques}
    seen: set[str] = set()
    for path in sorted(EXAMPLES.glob("*.json")):
        assessment = engine.assess(herniarules.load_patient(path), as_of=AS_OF)
        made = assessment_cards(
            [assessment], names=names, base_url="https://cds.example.org", version="0.2.0"
        )
        assert len(made) == len(assessment.decisions)
        for decision, card in made:
            jsonschema.validate(card, CARD)
            assert card["indicator"] == indicators[decision.outcome.label]
            assert len(card["summary"]) < MAX_SUMMARY
            assert ("overrideReasons" in card) == (decision.outcome.label == "requires-clearance")
            for finding in decision.findings:
                assert finding.rule_id in card["detail"]
            seen.add(decision.outcome.label)
    assert {"defer", "allowed-with-modifications"} <= seen


def _decision(log: Any, reasons: tuple[tuple[str, str], ...] = ()) -> CardRecord:
    decision_id = str(uuid.uuid4())
    card = CardRecord(
        str(uuid.uuid4()),
        decision_id,
        "herniarules-patient-view",
        "classic",
        "requires-clearance",
        "warning",
        reasons,
    )
    log.record_decision(
        DecisionRecord(
            decision_id,
            "2026-11-27T10:00:00+00:00",
            "herniarules-patient-view",
            "patient-view",
            str(uuid.uuid4()),
            "example",
            "0" * 64,
            "2026-11-27",
            "f" * 64,
            "0.2.0",
            json.dumps({"2026-11-27": {"classic": "requires-clearance"}}),
            (card,),
        )
    )
    return card


def _feedback_roundtrip(log: Any) -> None:
    reason = (OVERRIDE_SYSTEM, "physician-clearance-given")
    card = _decision(log, (reason,))
    assert log.card(card.uuid) == card
    assert log.card(str(uuid.uuid4())) is None
    body = spec("feedback-overridden-with-override-reason.json")
    body["feedback"][0]["card"] = card.uuid
    with pytest.raises(RequestError, match="not a reason this card offered"):
        read_feedback(body, "herniarules-patient-view", log.card)
    body["feedback"][0]["overrideReason"]["reason"] = {"system": reason[0], "code": reason[1]}
    items = read_feedback(body, "herniarules-patient-view", log.card)
    log.record_feedback(items)
    assert items[0].decision_id == card.decision_id
    with pytest.raises(RequestError, match="no card"):
        read_feedback(
            spec("feedback-overridden-without-reason.json"), "herniarules-patient-view", log.card
        )
    with pytest.raises(RequestError, match="offer none"):
        accepted = spec("feedback-suggestion-accepted.json")
        accepted["feedback"][0]["card"] = card.uuid
        read_feedback(accepted, "herniarules-patient-view", log.card)


def test_sqlite_audit_log_records_decisions_cards_and_feedback(tmp_path: Path) -> None:
    log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    _feedback_roundtrip(log)
    log.close()
    import sqlite3

    db = sqlite3.connect(tmp_path / "audit.db")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT count(*) FROM feedback").fetchone() == (1,)


def test_postgres_audit_log_is_shared_by_two_instances() -> None:
    dsn = os.environ.get("HERNIARULES_TEST_POSTGRES_DSN")
    if not dsn:
        pytest.skip(
            "HERNIARULES_TEST_POSTGRES_DSN is not set (.ci/run starts a server and sets it)"
        )
    first, second = open_audit_log(dsn), open_audit_log(dsn)
    try:
        _feedback_roundtrip(first)
        card = _decision(first)
        assert second.card(card.uuid) == card
        with pytest.raises(Exception, match="duplicate key"):
            second.record_decision(
                DecisionRecord(
                    card.decision_id, "t", "s", "h", "i", "p", "0", "d", "f", "v", "{}", ()
                )
            )
        assert second.card(card.uuid) == card  # the failed transaction left it as it was
    finally:
        first.close()
        second.close()


def test_an_unknown_audit_url_is_refused() -> None:
    with pytest.raises(ValueError, match="sqlite:///"):
        open_audit_log("mysql://x")


def test_feedback_items_are_checked_by_path() -> None:
    with pytest.raises(RequestError) as caught:
        read_feedback(
            {
                "feedback": [
                    {"card": "x", "outcome": "ignored", "outcomeTimestamp": "now", "extra": 1}
                ]
            },
            "herniarules-patient-view",
            lambda _: None,
        )
    assert {p.path for p in caught.value.problems} == {
        "feedback[0].card",
        "feedback[0].outcome",
        "feedback[0].outcomeTimestamp",
        "feedback[0].extra",
    }
