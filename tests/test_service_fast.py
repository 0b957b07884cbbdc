"""The service's quick paths agree with the slow, obvious references beside them."""

from __future__ import annotations

import base64
import json
import time
from datetime import date
from typing import Any

import attrs
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse, Response

from herniarules import Engine
from herniarules.fhir import (
    PREFETCH,
    FhirRecord,
    ProvenanceIndex,
    finding_provenance,
    from_bundle,
    from_prefetch,
)
from herniarules.i18n import LOCALES
from herniarules.service import app, cards
from herniarules.service.auth import AuthError, TokenVerifier, load_issuer
from herniarules.service.hook_request import RequestError
from tests.service_support import (
    SANDBOX,
    SANDBOX_ISS,
    SANDBOX_KID,
    SYNTHEA,
    prefetch_for,
    us_core_resources,
)
from tests.test_fhir import load

ENGINE = Engine()


def _records() -> list[tuple[str, FhirRecord]]:
    records = []
    for path in sorted(SYNTHEA.glob("*.json")):
        for day in (date(2015, 8, 14), date(2024, 1, 1)):
            records.append((f"{path.name} {day}", from_bundle(load(path), as_of=day)))
    prefetch = prefetch_for(PREFETCH, us_core_resources(), "example")
    for day in (date(2020, 1, 1), date(2026, 12, 3)):
        records.append((f"us-core example {day}", from_prefetch(prefetch, as_of=day)))
    return records


_RECORDS = _records()


@pytest.mark.parametrize(("name", "record"), _RECORDS, ids=[name for name, _ in _RECORDS])
def test_the_provenance_index_names_what_the_reference_scan_names(
    name: str, record: FhirRecord
) -> None:
    index = ProvenanceIndex(record)
    assessment = ENGINE.assess(record.patient, as_of=record.as_of)
    findings = [f for d in assessment.decisions for f in d.findings]
    assert findings, name
    for finding in findings:
        assert index(finding) == finding_provenance(finding, record), (name, finding.rule_id)


@given(st.text(alphabet=st.sampled_from("ab \\`*_[]#|<>\n\t\u00e9\u2028{}()!")) | st.text())
def test_markdown_escaping_by_translation_is_the_regular_expression(text: str) -> None:
    assert cards._escape(text) == cards._escape_reference(text)


# -- tokens: the one-pass reader against PyJWT's decoder ------------------------------------

AUD = "https://cds.example.org/cds-services/herniarules-patient-view"
_EC_KEY = serialization.load_pem_private_key((SANDBOX / "ecprivkey.pem").read_bytes(), None)
_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_RSA_ISS = "https://rsa.example.org"
_RSA_JWK = {
    **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_RSA_KEY.public_key())),
    "kid": "rsa-1",
    "alg": "RS384",
}


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _signed(header: bytes, payload: bytes, rsa_key: bool = False) -> str:
    """A compact JWS of raw header and payload bytes, signed ES384 (or RS384)."""
    signing_input = _b64(header) + b"." + _b64(payload)
    if rsa_key:
        signature = _RSA_KEY.sign(signing_input, padding.PKCS1v15(), hashes.SHA384())
    else:
        der = _EC_KEY.sign(signing_input, ec.ECDSA(hashes.SHA384()))  # type: ignore[union-attr, call-arg]
        r, s = utils.decode_dss_signature(der)
        signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    return (signing_input + b"." + _b64(signature)).decode()


def _header(**fields: Any) -> dict[str, Any]:
    return {"alg": "ES384", "typ": "JWT", "kid": SANDBOX_KID, **fields}


def _claims(**fields: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": SANDBOX_ISS, "aud": AUD, "iat": now, "exp": now + 120, "jti": "j-1"}
    claims.update(fields)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _tokens() -> list[tuple[str, str]]:
    now = int(time.time())
    cases: list[tuple[str, str]] = [
        ("valid", _signed(_json(_header()), _json(_claims()))),
        ("aud in a list", _signed(_json(_header()), _json(_claims(aud=["x", AUD])))),
        ("aud not this endpoint", _signed(_json(_header()), _json(_claims(aud="x")))),
        ("aud list without it", _signed(_json(_header()), _json(_claims(aud=["x"])))),
        ("aud empty", _signed(_json(_header()), _json(_claims(aud="")))),
        ("aud empty list", _signed(_json(_header()), _json(_claims(aud=[])))),
        ("aud number", _signed(_json(_header()), _json(_claims(aud=5)))),
        ("aud list of numbers", _signed(_json(_header()), _json(_claims(aud=[AUD, 5])))),
        ("iss unknown", _signed(_json(_header()), _json(_claims(iss="https://x")))),
        ("iss number", _signed(_json(_header()), _json(_claims(iss=5)))),
        ("nbf past", _signed(_json(_header()), _json(_claims(nbf=now - 10)))),
        ("nbf future", _signed(_json(_header()), _json(_claims(nbf=now + 100)))),
        ("nbf text", _signed(_json(_header()), _json(_claims(nbf="soon")))),
        ("nbf numeric text", _signed(_json(_header()), _json(_claims(nbf=str(now - 5))))),
        ("sub text", _signed(_json(_header()), _json(_claims(sub="Practitioner/1")))),
        ("sub number", _signed(_json(_header()), _json(_claims(sub=1)))),
        ("jti number", _signed(_json(_header()), _json(_claims(jti=7)))),
        ("jti empty", _signed(_json(_header()), _json(_claims(jti="")))),
        ("exp text", _signed(_json(_header()), _json(_claims(exp="later")))),
        ("exp passed", _signed(_json(_header()), _json(_claims(exp=now - 100)))),
        ("exp far", _signed(_json(_header()), _json(_claims(exp=now + 3600)))),
        ("iat future", _signed(_json(_header()), _json(_claims(iat=now + 100)))),
        ("iat bool", _signed(_json(_header()), _json(_claims(iat=True)))),
        ("kid unknown", _signed(_json(_header(kid="other")), _json(_claims()))),
        ("kid number", _signed(_json(_header(kid=3)), _json(_claims()))),
        ("kid missing", _signed(_json({"alg": "ES384"}), _json(_claims()))),
        ("alg RS384 on the EC key", _signed(_json(_header(alg="RS384")), _json(_claims()))),
        ("alg none", _signed(_json(_header(alg="none")), _json(_claims()))),
        ("alg missing", _signed(_json({"kid": SANDBOX_KID}), _json(_claims()))),
        ("header a list", _signed(b"[1]", _json(_claims()))),
        ("header not JSON", _signed(b"{nope", _json(_claims()))),
        ("header not UTF-8", _signed(b'{"alg": "\xff"}', _json(_claims()))),
        ("payload a list", _signed(_json(_header()), b"[1, 2]")),
        ("payload not JSON", _signed(_json(_header()), b"nope")),
        ("payload nested deep", _signed(_json(_header()), b"[" * 5000 + b"]" * 5000)),
        ("crit empty", _signed(_json(_header(crit=[])), _json(_claims()))),
        ("crit unknown", _signed(_json(_header(crit=["exp"], exp=1)), _json(_claims()))),
        ("b64 false", _signed(_json(_header(b64=False, crit=["b64"])), b"")),
        (
            "RS384 valid",
            _signed(
                _json({"alg": "RS384", "kid": "rsa-1"}), _json(_claims(iss=_RSA_ISS)), rsa_key=True
            ),
        ),
        (
            "RS384 signed by another issuer's key",
            _signed(_json({"alg": "RS384", "kid": "rsa-1"}), _json(_claims()), rsa_key=True),
        ),
    ]
    for name, claim in [(c, _DROP) for c in ("iss", "aud", "exp", "iat", "jti")] + [
        (c, None) for c in ("iss", "aud", "exp", "iat", "jti")
    ]:
        label = f"{name} {'missing' if claim is _DROP else 'null'}"
        cases.append((label, _signed(_json(_header()), _json(_claims(**{name: claim})))))
    valid = cases[0][1]
    head, body, signature = valid.split(".")
    cases += [
        ("two segments", f"{head}.{body}"),
        ("four segments", f"{valid}.{signature}"),
        ("payload swapped", f"{head}.{_b64(_json(_claims(jti='other'))).decode()}.{signature}"),
        ("signature padded where no padding is due", f"{valid}=="),
        ("signature over-padded", f"{valid}==="),
        ("signature with a foreign character", f"{head}.{body}.{signature[:-1]}!"),
        ("signature cut", f"{head}.{body}.{signature[:-4]}"),
        ("signature one character short", f"{head}.{body}.{signature[:-1]}"),
        ("signature empty", f"{head}.{body}."),
        ("header padded", f"{head}==.{body}.{signature}"),
        ("non-ASCII", f"{head}.{body}é.{signature}"),
    ]
    return cases


def _verifier() -> TokenVerifier:
    return TokenVerifier(
        {
            SANDBOX_ISS: load_issuer(SANDBOX_ISS, SANDBOX / "jwks.json"),
            _RSA_ISS: load_issuer(_RSA_ISS, {"keys": [_RSA_JWK]}),
        }
    )


def _outcome(check: Any, token: str) -> tuple[bool, Any]:
    try:
        return True, dict(check(f"Bearer {token}", AUD))
    except AuthError as exc:
        return False, str(exc)


#: The tokens of :func:`_tokens` that are accepted.
_ACCEPTED = ("valid", "aud in a list", "nbf past", "nbf numeric text", "sub text", "RS384 valid")
#: Tokens with JWS extensions in their header: the one-pass reader refuses every one, where
#: PyJWT accepts a ``crit`` it supports.
_EXTENSIONS = ("crit", "b64")


@pytest.mark.parametrize("name", [name for name, _ in _tokens()])
def test_the_one_pass_token_check_accepts_what_pyjwt_accepts(name: str) -> None:
    # Signed when the test runs, so that a token's exp is not past by then.
    token = dict(_tokens())[name]
    fast, reference = (
        _outcome(_verifier().verify, token),
        _outcome(_verifier().verify_reference, token),
    )
    if name.startswith(_EXTENSIONS):
        assert fast[0] is False, fast
        return
    assert fast[0] == reference[0], (fast, reference)
    if fast[0]:
        assert fast[1] == reference[1]
    assert fast[0] == (name in _ACCEPTED), (name, fast)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from("AQgw_-=.!xZ9"))
def test_a_token_changed_anywhere_is_judged_alike_by_both_checks(at: int, char: str) -> None:
    valid = _tokens()[0][1]
    at %= len(valid)
    token = valid[:at] + char + valid[at + 1 :]
    fast, reference = (
        _outcome(_verifier().verify, token),
        _outcome(_verifier().verify_reference, token),
    )
    assert fast[0] == reference[0], (token, fast, reference)
    if fast[0]:
        assert fast[1] == reference[1]


# -- request bodies: the C scanner alone against the exact reader ----------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.sampled_from('ab":\\ \n{}[],é'), max_size=8)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.sampled_from('ab":\\ '), max_size=4), inner, max_size=4
        )
    ),
    max_leaves=30,
)


def _parsed(parse: Any, body: bytes) -> tuple[bool, Any]:
    try:
        return True, parse(body)
    except RequestError as exc:
        return False, [str(p) for p in exc.problems]


def _judged_alike(body: bytes) -> None:
    fast, reference = _parsed(app._parse, body), _parsed(app._parse_reference, body)
    assert fast == reference, body


@settings(max_examples=400, deadline=None)
@given(
    _VALUES,
    st.sampled_from([(",", ":"), (", ", ": "), (",", " : "), (",\n", ":\t")]),
    st.booleans(),
)
def test_a_body_is_read_alike_by_the_scanner_and_the_exact_reader(
    value: Any, separators: tuple[str, str], indent: bool
) -> None:
    text = json.dumps(value, separators=separators, indent=2 if indent else None)
    _judged_alike(text.encode())
    _judged_alike(f" {text}\n".encode())
    # the same with a key repeated in its object, wherever the text has an object
    if text.startswith("{") and len(text) > 2:
        _judged_alike(b'{"a": 1, "a": 2, ' + text[1:].encode())
        _judged_alike(
            ('{"k' + '":1,"k' + '" :2' + ("," + text[1:] if text != "{}" else "}")).encode()
        )


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_the_level_walk_counts_keys_as_the_plain_walk_and_bounds_its_depth(value: Any) -> None:
    data = json.loads(json.dumps(value))
    bound, keys = app._shape(data)
    depth, expected_keys = app._shape_reference(data)
    assert keys == expected_keys
    assert depth <= bound <= depth + 1


@pytest.mark.parametrize("depth", [0, 1, 2, 63, 64, 65, 200])
def test_the_level_walk_bounds_deep_nesting(depth: int) -> None:
    for leaf in ("[]", "{}", "1", '"x"', '{"a": 1}', "[null]"):
        data = json.loads("[" * depth + leaf + "]" * depth)
        bound, keys = app._shape(data)
        exact, expected_keys = app._shape_reference(data)
        assert keys == expected_keys
        assert exact <= bound <= exact + 1


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',
        b'{"a": 1, "a" : 2}',
        b'{"x": "\\":", "a": 1, "a": 2}',
        b'{"x": "\\" :", "a": 1, "a" :2}',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1} x',
        b'{"a": 1}  \n',
        b"\xff{}",
        b"",
        b"[" * 65 + b"]" * 65,
        b"[" * 64 + b"]" * 64,
        b"[" * 5000 + b"]" * 5000,
        b'{"a": {"b": {"a": 1, "a": 2}}}',
        b'[{"a": 1}, {"a": 2}]',
        b'"just a string"',
    ],
)
def test_bodies_at_the_edges_are_read_alike(body: bytes) -> None:
    _judged_alike(body)


def test_the_benchmark_request_is_read_by_the_scanner_alone(monkeypatch: Any) -> None:
    body = json.dumps(
        {
            "hook": "patient-view",
            "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/example", "patientId": "example"},
            "prefetch": prefetch_for(PREFETCH, us_core_resources(), "example"),
        }
    ).encode()

    def refuse(body: bytes) -> Any:
        raise AssertionError("the exact reader was called")

    expected = app._parse_reference(body)
    monkeypatch.setattr(app, "_parse_reference", refuse)
    assert app._parse(body) == expected


# -- response bodies: the ASCII encoder against Starlette's JSONResponse ---------------------

_TEXTS = st.text(alphabet=st.sampled_from('ab"\\\n\t\x00\x1f\x7f é…ж\u2028\U0001f600u'))
_CONTENT = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXTS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXTS, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(_CONTENT)
def test_a_response_body_is_the_bytes_json_response_writes(content: Any) -> None:
    assert app._json_body(content) == JSONResponse(content).body


_KEYED = st.recursive(
    _CONTENT,
    lambda inner: (
        st.dictionaries(
            st.integers()
            | st.booleans()
            | st.none()
            | st.floats(allow_nan=False, allow_infinity=False)
            | _TEXTS,
            inner,
            max_size=3,
        )
        | st.tuples(inner, inner)
    ),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(_KEYED, st.lists(_TEXTS, min_size=1, max_size=3))
def test_a_card_answer_with_any_values_is_the_bytes_json_response_writes(
    content: Any, lines: list[str]
) -> None:
    card = {"uuid": "u", "detail": "\n".join(lines), "source": content}
    pairs: list[tuple[Any, list[str] | None]] = [(card, lines), ({"summary": content}, None)]
    assert app._cards_body(pairs) == JSONResponse({"cards": [c for c, _ in pairs]}).body


@pytest.mark.parametrize(
    "where", ["summary", "detail of a card without lines", "detail line", "key"]
)
def test_a_value_holding_the_detail_mark_is_still_written_as_json_response_writes_it(
    where: str,
) -> None:
    mark = app._DETAIL_MARK
    lines = ["a", "b"]
    card: dict[str, Any] = {"uuid": "u", "summary": "s", "detail": "a\nb"}
    plain: dict[str, Any] = {"uuid": "v", "detail": "plain"}
    if where == "summary":
        card["summary"] = f"x{mark}y"
    elif where == "detail of a card without lines":
        plain["detail"] = mark
    elif where == "detail line":
        lines = ["a", mark]
        card["detail"] = "\n".join(lines)
    else:
        plain[mark] = 1
    pairs: list[tuple[Any, list[str] | None]] = [(card, lines), (plain, None), (dict(card), lines)]
    assert app._cards_body(pairs) == JSONResponse({"cards": [c for c, _ in pairs]}).body


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXTS, min_size=1, max_size=5), _CONTENT, st.booleans())
def test_a_card_answer_written_from_detail_lines_is_the_bytes_json_response_writes(
    lines: list[str], other: Any, shared: bool
) -> None:
    card = {"uuid": "u", "detail": "\n".join(lines), "source": other}
    plain = {"detail": "\n".join(lines[:1]), "summary": other}
    pairs: list[tuple[dict[str, Any], list[str] | None]] = [(card, lines), (plain, None)]
    if shared:
        pairs.append((dict(card), lines))
    expected = JSONResponse({"cards": [c for c, _ in pairs]}).body
    assert app._cards_body(pairs) == expected


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize(("name", "record"), _RECORDS, ids=[name for name, _ in _RECORDS])
def test_the_cards_of_every_corpus_record_are_written_as_json_response_writes_them(
    name: str, record: FhirRecord, locale: str
) -> None:
    days = [record.as_of, date(record.as_of.year + 1, 1, 1)]
    made = cards.detailed_cards(
        [ENGINE.assess(record.patient, as_of=day) for day in days[: 1 + len(name) % 2]],
        names={t.id: t.name for t in ENGINE.techniques},
        base_url="http://127.0.0.1:8080",
        version="1.0",
        provenance=ProvenanceIndex(record),
        locale=locale,
    )
    for _, card, lines in made:
        assert "\n".join(lines) == card["detail"]
    notice = cards.notice_card("x", "a\nb", "warning", base_url="http://h", version="1")
    pairs = [(notice, None), *((card, lines) for _, card, lines in made)]
    assert app._cards_body(pairs) == JSONResponse({"cards": [c for c, _ in pairs]}).body


def test_a_value_json_does_not_have_is_refused_alike() -> None:
    for value in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="not JSON compliant"):
            app._json_body({"x": [value]})
        with pytest.raises(ValueError, match="not JSON compliant"):
            JSONResponse({"x": [value]})
        with pytest.raises(ValueError, match="not JSON compliant"):
            app._cards_body([({"source": {"x": [value]}}, None)])


def test_a_card_response_has_the_headers_json_response_gives() -> None:
    content = {"cards": [{"summary": "Massage…", "detail": "**x**"}]}
    quick = Response(app._json_body(content), media_type="application/json")
    assert quick.raw_headers == JSONResponse(content).raw_headers


@pytest.mark.parametrize("freeze", [False, True])
def test_freezing_at_startup_changes_no_answer(freeze: bool, tmp_path: Any) -> None:
    import gc

    from starlette.testclient import TestClient

    from herniarules.service import ServiceConfig, create_app, open_audit_log

    config = ServiceConfig(insecure_dev=True, freeze_at_startup=freeze)
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": "example"},
        "prefetch": prefetch_for(PREFETCH, us_core_resources(), "example"),
    }
    assert gc.get_freeze_count() == 0
    try:
        audit = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
        with TestClient(create_app(audit=audit, config=config)) as http:
            frozen = gc.get_freeze_count()
            answer = http.post("/cds-services/herniarules-patient-view", json=body)
    finally:
        gc.unfreeze()
    assert (frozen > 0) is freeze
    assert answer.status_code == 200
    assert answer.json()["cards"]


def test_a_call_past_its_time_limit_is_answered_503_and_records_no_decision(
    tmp_path: Any,
) -> None:
    import sqlite3

    from starlette.testclient import TestClient

    from herniarules.service import ServiceConfig, create_app, open_audit_log

    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": "example"},
        "prefetch": prefetch_for(PREFETCH, us_core_resources(), "example"),
    }
    path = "/cds-services/herniarules-patient-view"
    for limit, status in ((1e-9, 503), (30.0, 200)):
        audit = open_audit_log(f"sqlite:///{tmp_path / f'audit-{status}.db'}")
        config = ServiceConfig(insecure_dev=True, request_timeout_s=limit)
        with TestClient(create_app(audit=audit, config=config)) as http:
            answer = http.post(path, json=body)
        audit.close()
        assert answer.status_code == status, answer.text
        db = sqlite3.connect(tmp_path / f"audit-{status}.db")
        recorded = db.execute("SELECT count(*) FROM decisions").fetchone()[0]
        db.close()
        assert recorded == (0 if status == 503 else 1)
        if status == 503:
            assert answer.json()["resourceType"] == "OperationOutcome"


@settings(max_examples=1000, deadline=None)
@given(st.binary(min_size=16, max_size=16))
def test_a_card_uuid_is_the_text_uuid_writes_for_the_same_random_bytes(raw: bytes) -> None:
    assert cards.uuid_text(raw) == cards.uuid_text_reference(raw)


def test_new_card_uuids_are_random_version_4_uuids() -> None:
    import uuid

    made = {cards.new_uuid() for _ in range(200)}
    assert len(made) == 200
    for text in made:
        value = uuid.UUID(text)
        assert value.version == 4 and value.variant == uuid.RFC_4122 and str(value) == text


def _without_uuids(made: list[Any]) -> list[Any]:
    return [(d, {k: v for k, v in c.items() if k != "uuid"}, lines) for d, c, lines in made]


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize(("name", "record"), _RECORDS, ids=[name for name, _ in _RECORDS])
def test_the_cards_from_shared_blocks_are_the_cards_rendered_per_decision(
    name: str, record: FhirRecord, locale: str
) -> None:
    days = [record.as_of, date(record.as_of.year + 1, 1, 1)]
    assessments = [ENGINE.assess(record.patient, as_of=day) for day in days[: 1 + len(name) % 2]]
    arguments: dict[str, Any] = {
        "names": {t.id: t.name for t in ENGINE.techniques},
        "base_url": "http://127.0.0.1:8080",
        "version": "1.0",
        "provenance": ProvenanceIndex(record),
        "locale": locale,
    }
    quick = cards.detailed_cards(assessments, **arguments)
    reference = cards.detailed_cards_reference(assessments, **arguments)
    assert len({c["uuid"] for _, c, _ in quick}) == len(quick)
    assert _without_uuids(quick) == _without_uuids(reference)


def test_findings_of_equal_rank_keep_each_decisions_order() -> None:
    from herniarules.outcomes import Finding, Outcome

    record = next(record for _, record in _RECORDS)
    assessment = ENGINE.assess(record.patient, as_of=record.as_of)
    first, second = (
        Finding(rule_id="same.rule", outcome=Outcome.DEFER, message=text, source="s")
        for text in ("finding number one", "finding number two")
    )
    decisions = list(assessment.decisions[:2])
    decisions[0] = attrs.evolve(decisions[0], findings=(first, second))
    decisions[1] = attrs.evolve(decisions[1], findings=(second, first))
    changed = attrs.evolve(assessment, decisions=tuple(decisions))
    arguments: dict[str, Any] = {"names": {}, "base_url": "http://h", "version": "1"}
    quick = cards.detailed_cards([changed], **arguments)
    assert _without_uuids(quick) == _without_uuids(
        cards.detailed_cards_reference([changed], **arguments)
    )
    one, two = (card["detail"] for _, card, _ in quick[:2])
    assert one.index("number one") < one.index("number two")
    assert two.index("number two") < two.index("number one")
