"""The CDS Hooks service over real HTTP: uvicorn on loopback, tokens signed with the sandbox key.

Requests and responses of the CDS Hooks 2.0.1 specification are the golden fixtures; patient
data is the shared corpus (US Core examples, Synthea Bundles), served by a FHIR server stub on
loopback for the fetch-what-is-missing path.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

import herniarules
from herniarules.fhir import PREFETCH
from herniarules.service import ServiceConfig, create_app, load_issuer, open_audit_log
from herniarules.service.schemas import CARDS_RESPONSE, DISCOVERY, OPERATION_OUTCOME
from tests.service_support import (
    CDS,
    SANDBOX,
    SANDBOX_ISS,
    fhir_stub,
    prefetch_for,
    sandbox_token,
    serve,
    spec,
    synthea_resources,
    us_core_resources,
)

PATIENT_VIEW = "/cds-services/herniarules-patient-view"
BOOKING = "/cds-services/herniarules-appointment-book"


class Client:
    """Calls the service as a CDS client does: each call signed with a fresh sandbox token."""

    def __init__(self, base: str, db: Path) -> None:
        self.base = base
        self.db = db
        self.http = httpx.Client(base_url=base, timeout=30)

    def post(
        self, path: str, body: Any, *, token: str | None = "sign", **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if token == "sign":
            token = sandbox_token(self.base + path)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post(path, json=body, headers=headers, **kw)

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    db = tmp_path_factory.mktemp("audit") / "audit.db"
    config = ServiceConfig(
        issuers={SANDBOX_ISS: load_issuer(SANDBOX_ISS, SANDBOX / "jwks.json")},
        cors_origins=("https://sandbox.cds-hooks.org",),
        max_body_bytes=3_000_000,
    )
    app = create_app(audit=open_audit_log(f"sqlite:///{db}"), config=config)
    with serve(app) as base:
        yield Client(base, db)


def hook_call(hook: str = "patient-view", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": "example"},
        "prefetch": prefetch_for(PREFETCH, us_core_resources(), "example"),
    }
    body.update(changes)
    return body


def test_discovery_lists_both_hooks_with_the_mappings_prefetch(client: Client) -> None:
    data = client.http.get("/cds-services").json()
    jsonschema.validate(data, DISCOVERY)
    assert {s["hook"]: s["id"] for s in data["services"]} == {
        "patient-view": "herniarules-patient-view",
        "appointment-book": "herniarules-appointment-book",
    }
    for service in data["services"]:
        assert service["prefetch"] == dict(PREFETCH)
        for technique in herniarules.Engine().techniques:
            assert f"({technique.id})" in service["description"]


def test_the_specs_own_examples_pass_the_response_schemas() -> None:
    for name in ("response-cards-example.json", "response-empty-cards.json"):
        jsonschema.validate(spec(name), CARDS_RESPONSE)
    jsonschema.validate(spec("discovery-response.json"), DISCOVERY)
    jsonschema.validate(
        json.loads(
            (CDS / "spec-3.0.0-ballot" / "operationoutcome-412-missing-prefetch.json").read_text()
        ),
        OPERATION_OUTCOME,
    )
    card = spec("response-cards-example.json")["cards"][0]
    for broken in (
        {**card, "summary": "x" * 140},
        {**card, "detail": ""},
        {**card, "detail": None},
        {**card, "indicator": "hard-stop"},
        {**card, "links": []},
        {k: v for k, v in card.items() if k != "source"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"cards": [broken]}, CARDS_RESPONSE)


def test_a_signed_patient_view_call_gets_a_card_per_technique_and_is_audited(
    client: Client,
) -> None:
    body = hook_call()
    response = client.post(PATIENT_VIEW, body)
    assert response.status_code == 200, response.text
    data = response.json()
    jsonschema.validate(data, CARDS_RESPONSE)
    techniques = {t.name for t in herniarules.Engine().techniques}
    summaries = [c["summary"] for c in data["cards"]]
    assert {s.split(":")[0] for s in summaries} >= techniques
    # the duodenal ulcer of Patient/example is active: every technique is deferred
    assert all(c["indicator"] == "critical" for c in data["cards"] if ": defer" in c["summary"])
    assert any("Condition/condition-duodenal-ulcer" in c["detail"] for c in data["cards"])
    decision_id = response.headers["x-decision-id"]
    [row] = client.rows(
        "SELECT hook_instance, patient_id, ruleset_fingerprint, card_count, length(input_sha256)"
        " FROM decisions WHERE decision_id = ?",
        decision_id,
    )
    assert row == (
        body["hookInstance"],
        "example",
        herniarules.Engine().fingerprint,
        len(data["cards"]),
        64,
    )
    cards = client.rows("SELECT card_uuid FROM cards WHERE decision_id = ?", decision_id)
    assert {c for (c,) in cards} == {c["uuid"] for c in data["cards"]}


def test_the_spec_example_request_is_refused_for_its_foreign_prefetch_key(client: Client) -> None:
    body = spec("request-patient-view-with-prefetch.json")
    body["hook"] = "patient-view"
    response = client.post(PATIENT_VIEW, body)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["prefetch.patientToGreet"]
    assert "allowed: allergies, conditions" in issue["details"]["text"]


def test_the_spec_example_request_with_the_services_keys_is_answered(client: Client) -> None:
    body = spec("request-patient-view-with-prefetch.json")
    patient = body["prefetch"].pop("patientToGreet")
    empty = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    body["prefetch"] = {key: empty for key in PREFETCH}
    body["prefetch"]["patient"] = patient
    response = client.post(PATIENT_VIEW, body)
    assert response.status_code == 200, response.text
    data = response.json()
    jsonschema.validate(data, CARDS_RESPONSE)
    # no hernia, vitals or history recorded: nothing may be permitted
    assert all(c["indicator"] != "info" for c in data["cards"])


def test_missing_prefetch_without_a_fhir_server_is_412(client: Client) -> None:
    body = hook_call()
    del body["prefetch"]["conditions"]
    response = client.post(PATIENT_VIEW, body)
    assert response.status_code == 412
    jsonschema.validate(response.json(), OPERATION_OUTCOME)
    assert "conditions" in response.json()["issue"][0]["details"]["text"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "no Authorization header"),
        ("not-a-jwt", "malformed"),
        (sandbox_token("https://other.example.org" + PATIENT_VIEW), "aud must be this endpoint"),
    ],
)
def test_calls_without_an_acceptable_token_are_401(
    client: Client, token: str | None, reason: str
) -> None:
    response = client.post(PATIENT_VIEW, hook_call(), token=token)
    assert response.status_code == 401
    assert reason in response.json()["issue"][0]["details"]["text"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_replayed_token_is_refused(client: Client) -> None:
    token = sandbox_token(client.base + PATIENT_VIEW)
    assert client.post(PATIENT_VIEW, hook_call(), token=token).status_code == 200
    assert client.post(PATIENT_VIEW, hook_call(), token=token).status_code == 401


def test_bad_bodies_get_path_named_400s_and_limits_hold(client: Client) -> None:
    response = client.http.post(
        PATIENT_VIEW,
        content=b'{"hook": ',
        headers={"Authorization": f"Bearer {sandbox_token(client.base + PATIENT_VIEW)}"},
    )
    assert response.status_code == 400 and "not valid JSON" in response.text
    response = client.post(PATIENT_VIEW, hook_call(hook="order-sign", context={"patientId": 7}))
    assert response.status_code == 400
    paths = {i["expression"][0] for i in response.json()["issue"]}
    assert paths == {"hook", "context.patientId", "context.userId"}
    large = hook_call()
    large["extension"] = {"padding": "x" * 3_000_000}
    assert client.post(PATIENT_VIEW, large).status_code == 413
    assert client.post("/cds-services/nope", hook_call()).status_code == 404


def test_a_broken_fhir_resource_in_the_prefetch_is_a_400_naming_its_path(client: Client) -> None:
    body = hook_call()
    entries = body["prefetch"]["observations"]["entry"]
    [index] = [i for i, e in enumerate(entries) if e["resource"]["id"] == "temperature"]
    entries[index]["resource"]["valueQuantity"].update(code="kPa", unit="kPa")
    response = client.post(PATIENT_VIEW, body)
    assert response.status_code == 400
    [issue] = response.json()["issue"]
    assert issue["expression"] == [
        f"prefetch.observations.entry[{index}].resource.valueQuantity.code"
    ]
    assert 'expected Cel or [degF], got "kPa"' in issue["details"]["text"]


def test_appointment_book_assesses_the_day_of_each_appointment(client: Client) -> None:
    folder = CDS / "hooks-library-1.0.1"
    context = json.loads((folder / "appointment-book-context-two-appointments.json").read_text())
    body = hook_call(hook="appointment-book")
    body["context"] = {**context["context"], "patientId": "example"}
    response = client.post(BOOKING, body)
    assert response.status_code == 200, response.text
    data = response.json()
    jsonschema.validate(data, CARDS_RESPONSE)
    days = {"2019-08-10", "2020-08-01"}
    assert {s.split(" on ")[1][:10] for c in data["cards"] if " on " in (s := c["summary"])} == days
    [(as_of,)] = client.rows(
        "SELECT as_of FROM decisions WHERE decision_id = ?", response.headers["x-decision-id"]
    )
    assert as_of == "2019-08-10 2020-08-01"


def test_feedback_is_recorded_against_the_card_and_its_decision(client: Client) -> None:
    response = client.post(PATIENT_VIEW, hook_call())
    card = response.json()["cards"][1]
    feedback = spec("feedback-overridden-without-reason.json")
    feedback["feedback"][0]["card"] = card["uuid"]
    answer = client.post(PATIENT_VIEW + "/feedback", feedback)
    assert answer.status_code == 200 and answer.json() == {"recorded": 1}
    [(decision_id, outcome)] = client.rows(
        "SELECT decision_id, outcome FROM feedback WHERE card_uuid = ?", card["uuid"]
    )
    assert (decision_id, outcome) == (response.headers["x-decision-id"], "overridden")
    stranger = spec("feedback-overridden-with-override-reason.json")
    answer = client.post(PATIENT_VIEW + "/feedback", stranger)
    assert answer.status_code == 400 and "no card" in answer.text
    # the card was issued by the patient-view service, not the booking one
    assert client.post(BOOKING + "/feedback", feedback).status_code == 400
    assert client.post(PATIENT_VIEW + "/feedback", feedback, token=None).status_code == 401


def test_cors_lets_the_sandbox_origin_call(client: Client) -> None:
    response = client.http.options(
        PATIENT_VIEW,
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    other = client.http.options(
        PATIENT_VIEW,
        headers={"Origin": "https://evil.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in other.headers


def test_what_is_not_prefetched_is_fetched_from_the_fhir_server(client: Client) -> None:
    resources = synthea_resources("Liz_Conn")
    [patient] = [r for r in resources if r["resourceType"] == "Patient"]
    stub, seen = fhir_stub(resources, page_size=5)
    with serve(stub) as fhir:
        body = {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "fhirServer": f"{fhir}/fhir",
            "fhirAuthorization": {
                **spec("fhirAuthorization.json")["fhirAuthorization"],
                "access_token": "token-for-the-stub",
            },
            "context": {"userId": "Practitioner/example", "patientId": patient["id"]},
            "prefetch": {"patient": patient},
        }
        fetched = client.post(PATIENT_VIEW, body)
    assert fetched.status_code == 200, fetched.text
    assert {path.split("/")[2] for path, _, _ in seen} == {
        "Condition",
        "Observation",
        "AllergyIntolerance",
        "MedicationRequest",
        "MedicationStatement",
        "Procedure",
    }
    assert any("_offset" in query for _, query, _ in seen)  # a next link was followed
    assert {auth for _, _, auth in seen} == {"Bearer token-for-the-stub"}
    # the same data prefetched gives the same verdicts
    full = dict(
        body,
        hookInstance=str(uuid.uuid4()),
        prefetch=prefetch_for(PREFETCH, resources, patient["id"]),
    )
    del full["fhirServer"], full["fhirAuthorization"]
    direct = client.post(PATIENT_VIEW, full)
    assert [c["summary"] for c in direct.json()["cards"]] == [
        c["summary"] for c in fetched.json()["cards"]
    ]
    assert any(
        "Hypertension" in c["detail"] or "hypertension" in c["detail"]
        for c in fetched.json()["cards"]
    )


def test_a_fhir_server_that_fails_gives_412(client: Client) -> None:
    body = hook_call()
    del body["prefetch"]["procedures"]
    body["fhirServer"] = "http://127.0.0.1:9/fhir"  # nothing listens on the discard port
    response = client.post(PATIENT_VIEW, body)
    assert response.status_code == 412 and "procedures" in response.text
    body["fhirServer"] = "http://fhir.example.org/fhir"
    response = client.post(PATIENT_VIEW, body)
    assert response.status_code == 412 and "plain http" in response.text


def test_an_access_token_that_cannot_be_a_header_is_a_400_before_any_fetch(
    client: Client,
) -> None:
    body = hook_call()
    del body["prefetch"]["procedures"]
    body["fhirServer"] = "http://127.0.0.1:9/fhir"
    body["fhirAuthorization"] = {
        **spec("fhirAuthorization.json")["fhirAuthorization"],
        "access_token": "токен с пробелами",
    }
    response = client.post(PATIENT_VIEW, body)
    assert response.status_code == 400, response.text
    [issue] = response.json()["issue"]
    assert issue["expression"] == ["fhirAuthorization.access_token"]
    assert "RFC 6750" in issue["details"]["text"]
