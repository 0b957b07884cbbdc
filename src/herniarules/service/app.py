"""The ASGI application: discovery, the two hook services, feedback, and their documents.

Routes:

- ``GET /cds-services``: discovery, one ``patient-view`` and one ``appointment-book`` service,
  described from the installed techniques, with the prefetch templates the FHIR mapping reads;
- ``POST /cds-services/{id}``: a hook call, answered with cards;
- ``POST /cds-services/{id}/feedback``: what the clinician did with a card;
- ``GET /openapi.json``, ``GET /about``, ``GET /rules/{rule_id}``.

Every error is a FHIR ``OperationOutcome`` naming what is wrong: 400 for a request that cannot
be read, 401 for a missing or unacceptable token, 404 for an unknown service, 412 when data
the rules need is neither prefetched nor to be had from the FHIR server, 413 for a body over
the size limit, 503 when the call takes longer than the time limit.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import html
import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import anyio.to_thread
import attrs
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from herniarules._json import _DECODER, _JSON_SPACE, _PLAIN_SCAN, QUICK_ERRORS, _nesting
from herniarules.engine import Engine
from herniarules.errors import InputError, Problem
from herniarules.outcomes import Assessment, Decision
from herniarules.service import cards as card_module
from herniarules.service.audit import AuditLog, CardRecord, DecisionRecord
from herniarules.service.auth import AuthError, Issuer, TokenVerifier
from herniarules.service.feedback import read_feedback
from herniarules.service.fetch import FetchError, fetch_missing, server_allowed
from herniarules.service.hook_request import HookRequest, RequestError, read_request

__all__ = ["HOOKS", "ServiceConfig", "create_app", "services"]

#: Service id of each hook the service answers.
HOOKS: Mapping[str, str] = {
    "herniarules-patient-view": "patient-view",
    "herniarules-appointment-book": "appointment-book",
}
#: Deepest nesting of JSON accepted in a request body (FHIR resources nest deeply).
MAX_NESTING = 64


def _today() -> date:
    return datetime.now(UTC).date()


@attrs.frozen
class ServiceConfig:
    """How the service checks, limits and describes itself.

    :param issuers: the allowed token issuers with their pinned keys; required unless
        ``insecure_dev``.
    :param insecure_dev: accept calls without a token (local development only: the CLI
        refuses it on anything but a loopback address).
    :param public_url: the base URL clients call (``https://cds.example.org``); a token's
        ``aud`` must be this plus the endpoint's path. By default the URL the request names.
    :param cors_origins: browser origins allowed to call (``https://sandbox.cds-hooks.org``).
    :param max_body_bytes: largest request body accepted.
    :param request_timeout_s: longest a hook call may take, FHIR fetches included.
    :param fhir_timeout_s: longest one call to a FHIR server may take.
    :param fhir_max_bytes: most bytes read from FHIR servers for one hook call.
    :param allow_http_fhir: let the service call FHIR servers over plain http off loopback.
    :param freeze_at_startup: when the server starts, move every object the process holds
        then (the engine, its rules, the code tables) out of the garbage collector's sight
        (:func:`gc.freeze`), so that the collections a call's allocations set off do not
        walk them again. It acts on the whole process: ``herniarules serve`` sets it; leave
        it off when the service is one application among others in a process.
    """

    issuers: Mapping[str, Issuer] = attrs.field(factory=dict)
    insecure_dev: bool = False
    public_url: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 5_000_000
    request_timeout_s: float = 10.0
    fhir_timeout_s: float = 5.0
    fhir_max_bytes: int = 10_000_000
    allow_http_fhir: bool = False
    freeze_at_startup: bool = False
    today: Callable[[], date] = _today
    clock: Callable[[], float] = time.time


def _prefetch_templates() -> Mapping[str, str]:
    from herniarules.fhir import PREFETCH

    return PREFETCH


def services(engine: Engine) -> list[dict[str, Any]]:
    """Return the discovery entries: one service per hook, described from the techniques."""
    names = ", ".join(f"{t.name} ({t.id})" for t in engine.techniques) or "none installed"
    prefetch = dict(_prefetch_templates())
    return [
        {
            "hook": "patient-view",
            "title": "Massage with a disc hernia: eligibility",
            "description": "Whether, and how, each massage technique may be given to this "
            "patient today, with the findings behind each verdict and the passages of the "
            f"clinical source. Supports clinicians; does not replace them. Techniques: {names}.",
            "id": "herniarules-patient-view",
            "prefetch": prefetch,
        },
        {
            "hook": "appointment-book",
            "title": "Massage with a disc hernia: booking check",
            "description": "Whether each massage technique may be given on the day of the "
            "appointments being booked, with the findings behind each verdict. Supports "
            f"clinicians; does not replace them. Techniques: {names}.",
            "id": "herniarules-appointment-book",
            "prefetch": prefetch,
        },
    ]


def outcome(
    problems: Sequence[Problem], code: str = "invalid", severity: str = "error"
) -> dict[str, Any]:
    """Return a FHIR OperationOutcome with one issue per problem."""
    issues = []
    for problem in problems:
        issue: dict[str, Any] = {
            "severity": severity,
            "code": code,
            "details": {"text": str(problem) if problem.path != "$" else problem.message},
        }
        if problem.path != "$":
            issue["expression"] = [problem.path]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def _error(status: int, problems: Sequence[Problem], code: str, **headers: str) -> JSONResponse:
    return JSONResponse(outcome(problems, code), status_code=status, headers=headers or None)


#: JSON as Starlette's ``JSONResponse`` writes it.
_JSON_TEXT = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False
).encode
#: A string as that encoder writes it, quotes included.
_JSON_STRING: Callable[[str], str] = json.encoder.encode_basestring


def _json_body(content: Any) -> bytes:
    """Return ``content`` as the bytes ``JSONResponse(content).body`` holds.

    The same encoder settings as ``JSONResponse`` (UTF-8, non-ASCII as is, no NaN, compact
    separators), built once; without the check for circular references, which data built
    here never have. A card answer always holds non-ASCII text (the source passages), so
    trying the ASCII encoder first would only write it twice.
    """
    return _JSON_TEXT(content).encode("utf-8")


def _escaped(text: str, memo: dict[str, bytes]) -> bytes:
    """Return ``text`` as it is written inside a JSON string (without the quotes), in UTF-8.

    Each line is encoded once, however many cards hold it, not with every card's detail.
    """
    found = memo.get(text)
    if found is None:
        found = memo[text] = _JSON_STRING(text)[1:-1].encode("utf-8")
    return found


#: What stands for a card's detail while the rest of the answer is written: control
#: characters, which the encoder writes escaped (``\u0000``), so the text it gives for this
#: string is found in the answer only where this string was, or where a value held it too.
_DETAIL_MARK = "\x00\x01detail\x01\x00"
_DETAIL_MARK_TEXT = _JSON_STRING(_DETAIL_MARK)


def _cards_body(cards: Sequence[tuple[Mapping[str, Any], Sequence[str] | None]]) -> bytes:
    """Return ``{"cards": [...]}`` as the bytes :func:`_json_body` writes for it.

    Each card comes with the lines its ``detail`` is joined from (newlines between them), or
    ``None``. The answer is written by the encoder of :func:`_json_body` in one call, each
    detail given as lines replaced by :data:`_DETAIL_MARK`; each mark's text is then
    replaced by the escaped detail. JSON escapes a string character by character, so the
    escaped detail is the escaped lines joined by an escaped newline; a line several cards
    share (a finding of the core rules, with its source passage) is escaped once. Should the
    encoder's text of the mark be found more often than it was put in (a value held the mark
    itself), the answer is written by :func:`_json_body` from the cards as they are.
    """
    memo: dict[str, bytes] = {}
    marked: list[Mapping[str, Any]] = []
    details: list[bytes] = []
    for card, lines in cards:
        if lines is None or "detail" not in card:
            marked.append(card)
            continue
        marked.append({**card, "detail": _DETAIL_MARK})
        details.append(b'"' + b"\\n".join([_escaped(line, memo) for line in lines]) + b'"')
    text = _JSON_TEXT({"cards": marked})
    parts = text.split(_DETAIL_MARK_TEXT)
    if len(parts) != len(details) + 1:
        return _json_body({"cards": [card for card, _ in cards]})
    written = [parts[0].encode("utf-8")]
    for detail, part in zip(details, parts[1:], strict=True):
        written.append(detail)
        written.append(part.encode("utf-8"))
    return b"".join(written)


def _canonical(value: object) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


class _TooLarge(Exception):
    """The request body is larger than ``ServiceConfig.max_body_bytes``; answered with 413."""


def _parse_reference(body: bytes) -> Any:
    """Parse a request body: UTF-8, JSON without NaN or a repeated key, nested at most
    :data:`MAX_NESTING` deep; raise :class:`RequestError` naming what is wrong.

    The exact reader, with a hook on every object to find repeated keys.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError([Problem("$", f"body is not UTF-8 text ({exc.reason})")]) from None
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise RequestError([Problem("$", message)]) from None
    except RecursionError:
        raise RequestError([Problem("$", f"nested deeper than {MAX_NESTING} levels")]) from None
    except ValueError as exc:
        raise RequestError([Problem("$", f"not valid JSON: {exc}")]) from None
    if text.count("[") + text.count("{") > MAX_NESTING and _nesting(data) > MAX_NESTING:
        raise RequestError([Problem("$", f"nested deeper than {MAX_NESTING} levels")])
    return data


#: JSON's whitespace, as bytes.
_JSON_SPACE_BYTES = _JSON_SPACE.encode()


def _shape(data: Any) -> tuple[int, int]:
    """Return a bound on the nesting depth of parsed JSON data (the depth, or one more) and
    the number of keys of all its objects.

    Level by level with :func:`gc.get_referents`, which gives the values of every dict and
    the items of every list of a level in one C call (a string or a number has none); only
    the dicts of a level are picked out per value. The last level may hold only scalars,
    hence "or one more".
    :func:`_shape_reference` is the plain walk.
    """
    keys = levels = 0
    level = [data]
    referents = gc.get_referents
    while level:
        keys += sum(map(len, [node for node in level if type(node) is dict]))
        level = referents(*level)
        levels += 1
    return levels, keys


def _shape_reference(data: Any) -> tuple[int, int]:
    """Return the nesting depth of parsed JSON data and the number of keys of all its objects."""
    if type(data) is not dict and type(data) is not list:
        return 0, 0
    depth = keys = 0
    level = [data]
    while level:
        depth += 1
        below: list[Any] = []
        for node in level:
            children: Any = node
            if type(node) is dict:
                keys += len(node)
                children = node.values()
            below += [child for child in children if type(child) is dict or type(child) is list]
        level = below
    return depth, keys


def _parse(body: bytes) -> Any:
    """Parse a request body as :func:`_parse_reference` does, with the C scanner alone.

    The scanner cannot see a repeated key, so the keys of the parsed objects are counted and
    compared with the ``":`` in the body once JSON's whitespace is taken out of it: each key
    (``"key":`` or ``"key" :``) gives one, and only a string can give more (one with an
    escaped quote before a colon, or starting with a colon). UTF-8 writes no other character
    with the bytes of ``"``, ``:`` or whitespace, so the bytes are counted as they came. A
    body with fewer keys than that count, that may be nested too deep (:func:`_shape` bounds
    the depth), or that the scanner does not read, goes to the reference, which gives its
    data or names its problem.
    """
    try:
        text = body.decode("utf-8")
        data, end = _PLAIN_SCAN(text, 0)
    except (UnicodeDecodeError, *QUICK_ERRORS):
        return _parse_reference(body)
    if end != len(text) and text[end:].strip(_JSON_SPACE):
        return _parse_reference(body)
    depth, keys = _shape(data)
    if depth > MAX_NESTING or keys != body.translate(None, _JSON_SPACE_BYTES).count(b'":'):
        return _parse_reference(body)
    return data


class _Service:
    """The state the endpoints share."""

    def __init__(self, engine: Engine, audit: AuditLog, config: ServiceConfig) -> None:
        if not config.insecure_dev and not config.issuers:
            raise ValueError(
                "no token issuer configured: give issuers with their JWKS, or run with "
                "insecure_dev for local development"
            )
        self.engine = engine
        self.audit = audit
        # A log whose commit does not wait for the disk is written on the event loop when no
        # other writer holds its lock (a worker thread would cost more CPU than the write);
        # any other write goes to a thread, which may wait.
        self.record_now: Callable[[DecisionRecord], bool] | None = (
            getattr(audit, "try_record_decision", None)
            if getattr(audit, "commits_without_disk_wait", False) is True
            else None
        )
        self.config = config
        self.verifier = (
            None if config.insecure_dev else TokenVerifier(config.issuers, clock=config.clock)
        )
        self.templates = dict(_prefetch_templates())
        self.discovery = {"services": services(engine)}
        self.names = {t.id: t.name for t in engine.techniques}
        self.rules = {rule.id: rule for rule in engine.rules}
        from herniarules import __version__

        self.version = __version__
        self.client: httpx.AsyncClient | None = None

    def base_url(self, request: Request) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        return f"{request.url.scheme}://{request.url.netloc}"

    def check_token(self, request: Request, base: str) -> JSONResponse | None:
        """Return the 401 answer for a request whose token does not pass, or ``None``.

        ``base`` is :meth:`base_url` of the request.
        """
        if self.verifier is None:
            return None
        audience = base + request.url.path
        try:
            self.verifier.verify(request.headers.get("authorization"), audience)
        except AuthError as exc:
            return _error(
                401,
                [Problem("$", str(exc))],
                "security",
                **{"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return None

    async def body(self, request: Request) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _TooLarge
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    # -- the hook call -------------------------------------------------------------------
    def assess(self, hook: HookRequest, prefetch: Mapping[str, Any], fetched: bool) -> Any:
        from herniarules.fhir import from_prefetch

        days = hook.appointment_dates or (self.config.today(),)
        assessments: list[Assessment] = []
        records = []
        for day in days:
            try:
                record = from_prefetch(prefetch, as_of=day)
            except InputError as exc:
                problems = list(exc.problems)
                if fetched:
                    note = " (data prefetched or read from the FHIR server)"
                    problems = [Problem(p.path, p.message + note) for p in problems]
                raise RequestError(problems) from None
            expected = f"Patient/{hook.patient_id}"
            if record.patient_resource and record.patient_resource != expected:
                raise RequestError(
                    [
                        Problem(
                            "prefetch",
                            f"is about {record.patient_resource}, but the "
                            f"context's patientId is {hook.patient_id!r}",
                        )
                    ]
                )
            records.append(record)
            assessments.append(self.engine.assess(record.patient, as_of=day))
        return assessments, records


def _provenance(record: Any) -> Callable[[Any], Sequence[str]]:
    """Return where a finding's values came from in the FHIR record (resource and element)."""
    from herniarules.fhir import ProvenanceIndex

    return ProvenanceIndex(record)


def _record_card(
    record: Any, base_url: str, version: str, locale: str = "en"
) -> dict[str, Any] | None:
    unclassified = tuple(getattr(record, "unclassified", ()))
    if not unclassified:
        return None
    from herniarules.i18n import translator
    from herniarules.i18n.markers import N_

    text = translator(locale).text if locale != "en" else str
    lines = [
        text(
            N_(
                "These items of the FHIR record could not be classified by herniarules. Each "
                "counts as *insufficient data* where it could restrict a technique; review them:"
            )
        ),
        "",
    ]
    lines += [f"- {card_module._escape(str(note))}" for note in unclassified[:50]]
    if len(unclassified) > 50:
        lines.append(text(N_("- and {n} more")).format(n=len(unclassified) - 50))
    skipped = getattr(record, "skipped", {}) or {}
    if skipped:
        counts = ", ".join(f"{kind} {count}" for kind, count in sorted(skipped.items()))
        lines += [
            "",
            text(N_("Resources of types the mapping does not read: {counts}.")).format(
                counts=counts
            ),
        ]
    count = len(unclassified)
    if locale == "en":
        summary = f"{count} item{'s' if count != 1 else ''} of the record could not be classified"
    else:
        summary = (
            translator(locale)
            .ngettext(
                "{n} item of the record could not be classified",
                "{n} items of the record could not be classified",
                count,
            )
            .format(n=count)
        )
    return card_module.notice_card(
        summary, "\n".join(lines), "warning", base_url=base_url, version=version, locale=locale
    )


def create_app(
    engine: Engine | None = None,
    *,
    audit: AuditLog,
    config: ServiceConfig | None = None,
) -> Starlette:
    """Return the CDS Hooks service as an ASGI application.

    :param engine: the engine whose techniques the service answers for (default
        ``Engine()``, every installed plugin).
    :param audit: where every decision and feedback is recorded before the answer is sent.
    :param config: limits, token issuers, CORS; see :class:`ServiceConfig`.
    """
    config = config or ServiceConfig()
    state = _Service(engine or Engine(), audit, config)

    async def discovery(request: Request) -> Response:
        return JSONResponse(state.discovery)

    async def call(request: Request) -> Response:
        service_id = request.path_params["service_id"]
        hook_name = HOOKS.get(service_id)
        if hook_name is None:
            return _unknown_service(service_id)
        base = state.base_url(request)
        denied = state.check_token(request, base)
        if denied is not None:
            return denied
        try:
            body = await state.body(request)
            hook = read_request(_parse(body), hook=hook_name, prefetch_keys=state.templates)
        except _TooLarge:
            return _too_large(config.max_body_bytes)
        except RequestError as exc:
            return _error(400, exc.problems, "invalid")
        started = time.monotonic()
        deadline = started + config.request_timeout_s
        try:
            async with asyncio.timeout(config.request_timeout_s):
                prefetch = dict(hook.prefetch)
                missing = {k: v for k, v in state.templates.items() if k not in prefetch}
                fetched = False
                if missing:
                    response = await _fetch(hook, missing, prefetch)
                    if response is not None:
                        return response
                    fetched = True
                # The body as received, and what was read from the FHIR server.
                digest = hashlib.sha256(body)
                if fetched:
                    digest.update(_canonical({k: prefetch[k] for k in missing}))
                # The reading, the rules and the cards run here: they hold the GIL, so a
                # worker thread would not run them beside the event loop, only move the data
                # to another core. The audit write waits on the disk (or the network), so it
                # goes to a thread, unless the log says its commits do not wait.
                record, response = _answer(
                    request, base, service_id, hook, prefetch, fetched, deadline,
                    digest.hexdigest(),
                )  # fmt: skip
                if record is not None and (
                    state.record_now is None or not state.record_now(record)
                ):
                    await anyio.to_thread.run_sync(state.audit.record_decision, record)
                return response
        except TimeoutError:
            return _error(
                503,
                [Problem("$", f"the call took longer than {config.request_timeout_s:g} s")],
                "timeout",
            )

    async def _fetch(
        hook: HookRequest, missing: Mapping[str, str], prefetch: dict[str, Any]
    ) -> Response | None:
        keys = ", ".join(sorted(missing))
        if hook.fhir_server is None:
            return _error(
                412,
                [
                    Problem(
                        "$", f"prefetch keys missing and no fhirServer to read them from: {keys}"
                    )
                ],
                "processing",
            )
        if not server_allowed(
            hook.fhir_server, allow_http=config.allow_http_fhir or config.insecure_dev
        ):
            return _error(
                412,
                [
                    Problem(
                        "fhirServer",
                        f"plain http is not used for patient data; missing prefetch keys: {keys}",
                    )
                ],
                "processing",
            )
        assert state.client is not None
        try:
            prefetch.update(
                await fetch_missing(
                    state.client,
                    hook.fhir_server,
                    hook.authorization,
                    missing,
                    hook.context,
                    max_bytes=config.fhir_max_bytes,
                )
            )
        except FetchError as exc:
            return _error(412, [Problem("$", str(exc))], "processing")
        return None

    def _answer(
        request: Request,
        base: str,
        service_id: str,
        hook: HookRequest,
        prefetch: Mapping[str, Any],
        fetched: bool,
        deadline: float,
        input_hash: str,
    ) -> tuple[DecisionRecord | None, Response]:
        """Return the decision to record before the answer is sent, and the answer."""
        try:
            assessments, records = state.assess(hook, prefetch, fetched)
        except RequestError as exc:
            return None, _error(412 if fetched else 400, exc.problems, "invalid")
        locale = card_module.negotiate(request.headers.get("accept-language"))
        made = card_module.detailed_cards(
            assessments,
            names=state.names,
            base_url=base,
            version=state.version,
            provenance=_provenance(records[0]),
            locale=locale,
        )
        cards = [card for _, card, _ in made]
        pairs: list[tuple[Decision | None, dict[str, Any]]] = [(d, c) for d, c, _ in made]
        details: list[Sequence[str] | None] = [lines for _, _, lines in made]
        notice = _record_card(records[0], base, state.version, locale)
        if notice is not None:
            cards.insert(0, notice)
            pairs.insert(0, (None, notice))
            details.insert(0, None)
        if not cards:
            from herniarules.i18n import translator
            from herniarules.i18n.markers import N_

            text = translator(locale).text if locale != "en" else str
            notice = card_module.notice_card(
                text(N_("No massage technique is installed: nothing was assessed")),
                text(
                    N_(
                        "The service has no technique plugin installed, so it cannot say "
                        "whether any massage technique may be given."
                    )
                ),
                "warning",
                base_url=base,
                version=state.version,
                locale=locale,
            )
            cards.append(notice)
            pairs.append((None, notice))
            details.append(None)
        decision_id = card_module.new_uuid()
        outcomes: dict[str, Any] = {}
        for assessment in assessments:
            day = {d.technique: d.outcome.label for d in assessment.decisions}
            outcomes[assessment.as_of.isoformat()] = day
        record = DecisionRecord(
            decision_id=decision_id,
            recorded_at=datetime.now(UTC).isoformat(),
            service_id=service_id,
            hook=hook.hook,
            hook_instance=hook.hook_instance,
            patient_id=hook.patient_id,
            input_sha256=input_hash,
            as_of=" ".join(a.as_of.isoformat() for a in assessments),
            ruleset_fingerprint=assessments[0].ruleset_fingerprint,
            sdk_version=state.version,
            outcomes=json.dumps(outcomes, sort_keys=True),
            cards=tuple(
                CardRecord(
                    uuid=card["uuid"],
                    decision_id=decision_id,
                    service_id=service_id,
                    technique=decision.technique if decision is not None else "",
                    outcome=decision.outcome.label if decision is not None else "",
                    indicator=card["indicator"],
                    override_reasons=tuple(
                        (r["system"], r["code"]) for r in card.get("overrideReasons", ())
                    ),
                )
                for decision, card in pairs
            ),
        )
        if time.monotonic() > deadline:
            raise TimeoutError
        return record, Response(
            _cards_body(list(zip(cards, details, strict=True))),
            media_type="application/json",
            headers={
                "X-Decision-Id": decision_id,
                "Content-Language": locale,
                "Vary": "Accept-Language",
            },
        )

    async def feedback(request: Request) -> Response:
        service_id = request.path_params["service_id"]
        if service_id not in HOOKS:
            return _unknown_service(service_id)
        denied = state.check_token(request, state.base_url(request))
        if denied is not None:
            return denied
        try:
            body = await state.body(request)
            data = _parse(body)
            items = await anyio.to_thread.run_sync(
                read_feedback, data, service_id, state.audit.card
            )
        except _TooLarge:
            return _too_large(config.max_body_bytes)
        except RequestError as exc:
            return _error(400, exc.problems, "invalid")
        await anyio.to_thread.run_sync(state.audit.record_feedback, items)
        return JSONResponse({"recorded": len(items)})

    async def openapi(request: Request) -> Response:
        from herniarules.service.openapi import openapi_document

        return JSONResponse(openapi_document(state.base_url(request)))

    async def about(request: Request) -> Response:
        rows = "".join(
            f"<li><code>{html.escape(t.id)}</code>: {html.escape(t.name)}</li>"
            for t in state.engine.techniques
        )
        return HTMLResponse(
            f"<!doctype html><title>herniarules {state.version}</title>"
            f"<h1>herniarules {state.version}</h1><p>Decides whether, and how, a patient with "
            "an intervertebral disc hernia may receive each massage technique, citing the "
            "passage of the clinical source behind every finding. It supports clinicians; it "
            "does not replace them.</p>"
            f"<p>Ruleset fingerprint <code>{state.engine.fingerprint}</code>.</p>"
            f"<h2>Techniques</h2><ul>{rows}</ul>"
        )

    async def rule(request: Request) -> Response:
        rule_id = request.path_params["rule_id"]
        found = state.rules.get(rule_id)
        if found is None:
            return _error(404, [Problem("$", f"no rule {rule_id!r}")], "not-found")
        return HTMLResponse(
            f"<!doctype html><title>{html.escape(found.id)}</title>"
            f"<h1><code>{html.escape(found.id)}</code></h1>"
            f"<p>{html.escape(found.outcome.label)}: {html.escape(found.message)}</p>"
            f"<p>Condition: <code>{html.escape(found.describe())}</code></p>"
            f"<blockquote>{html.escape(found.source)}</blockquote>"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        async with httpx.AsyncClient(
            timeout=config.fhir_timeout_s, follow_redirects=False
        ) as client:
            state.client = client
            if config.freeze_at_startup:
                gc.collect()
                gc.freeze()
            yield

    async def server_error(request: Request, exc: Exception) -> Response:
        print(f"herniarules service: {type(exc).__name__}: {exc}", file=sys.stderr)
        return _error(500, [Problem("$", "internal error; the call was not answered")], "exception")

    middleware = []
    if config.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["X-Decision-Id"],
            )
        )
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        Exception: server_error
    }
    return Starlette(
        routes=[
            Route("/cds-services", discovery, methods=["GET"]),
            Route("/cds-services/{service_id}", call, methods=["POST"]),
            Route("/cds-services/{service_id}/feedback", feedback, methods=["POST"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/about", about, methods=["GET"]),
            Route("/rules/{rule_id}", rule, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers=handlers,
        lifespan=lifespan,
    )


def _unknown_service(service_id: str) -> JSONResponse:
    known = ", ".join(sorted(HOOKS))
    return _error(404, [Problem("$", f"no service {service_id!r}; services: {known}")], "not-found")


def _too_large(limit: int) -> JSONResponse:
    return _error(413, [Problem("$", f"the body is larger than {limit} bytes")], "too-long")
