"""Read a CDS Hooks 2.0 request: every field checked, every problem named by its JSON path.

:func:`read_request` turns the parsed JSON body of ``POST /cds-services/{id}`` into a
:class:`HookRequest` or raises :class:`RequestError` listing every problem at once
(``context.patientId: required``). The fields and their rules are those of the specification's
tables (*Calling a CDS Service*, *Passing the Access Token to the CDS Service*) and of the
hook definitions of the CDS Hooks library 1.0 (``patient-view``, ``appointment-book``).
Nothing unknown passes: a top-level field, a context field or a prefetch key the service did
not ask for is an error listing the allowed names.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import attrs

from herniarules.errors import InputError, Problem

__all__ = ["MAX_APPOINTMENTS", "FhirAuthorization", "HookRequest", "RequestError", "read_request"]

#: Most appointments one ``appointment-book`` call may carry.
MAX_APPOINTMENTS = 50
#: Longest string accepted in a request field other than a prefetch resource, in characters.
MAX_TEXT = 8192

_TOP_LEVEL = (
    "hook",
    "hookInstance",
    "fhirServer",
    "fhirAuthorization",
    "context",
    "prefetch",
    "extension",
)
_AUTHORIZATION = ("access_token", "token_type", "expires_in", "scope", "subject", "patient")
#: Context fields of each hook (CDS Hooks library 1.0), required ones first.
_CONTEXT: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "patient-view": (("userId", "patientId"), ("encounterId",)),
    "appointment-book": (("userId", "patientId", "appointments"), ("encounterId",)),
}
_USER_TYPES: Mapping[str, tuple[str, ...]] = {
    "patient-view": ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson"),
    "appointment-book": ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson"),
}
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}\Z")
#: RFC 6750 section 2.1: the characters a bearer token may hold in an Authorization header.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*\Z")
_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?\Z"
)


class RequestError(InputError):
    """A CDS Hooks request that cannot be read; lists every problem with its JSON path."""

    def _subject(self) -> str:
        return "CDS Hooks request"


@attrs.frozen
class FhirAuthorization:
    """The access token a CDS client passes for calls to its FHIR server."""

    access_token: str = attrs.field(repr=False)
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


@attrs.frozen
class HookRequest:
    """A checked CDS Hooks call."""

    hook: str
    hook_instance: str
    context: Mapping[str, Any]
    patient_id: str
    prefetch: Mapping[str, Any]
    """The prefetch results the client sent, by key; keys sent as ``null`` are left out."""
    fhir_server: str | None = None
    authorization: FhirAuthorization | None = None
    appointment_dates: tuple[date, ...] = ()
    """For ``appointment-book``: the distinct days the proposed appointments start, sorted."""


def _text(value: object, path: str, problems: list[Problem], *, limit: int = MAX_TEXT) -> bool:
    if not isinstance(value, str):
        problems.append(Problem(path, f"must be a string, got {_kind(value)}"))
        return False
    if not value.strip():
        problems.append(Problem(path, "must not be empty"))
        return False
    if len(value) > limit:
        problems.append(Problem(path, f"must be at most {limit} characters, got {len(value)}"))
        return False
    return True


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return repr(value)[:80]


def _unknown(
    data: Mapping[str, Any], allowed: Collection[str], path: str, problems: list[Problem]
) -> None:
    for key in data:
        if key not in allowed:
            where = member(path, key)
            problems.append(Problem(where, f"unknown field; allowed: {', '.join(sorted(allowed))}"))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,99}\Z")


def member(path: str, key: object) -> str:
    """Return the path of member ``key`` of the object at ``path`` (``context.userId``); a key
    that is not a plain name is quoted (``context["a b"]``) and shortened."""
    text = str(key)
    if _NAME.match(text):
        return f"{path}.{text}" if path else text
    quoted = json.dumps(text if len(text) <= 40 else text[:40] + "...")
    return f"{path}[{quoted}]" if path else f"[{quoted}]"


def _server(value: object, problems: list[Problem]) -> str | None:
    if not _text(value, "fhirServer", problems, limit=2048):
        return None
    assert isinstance(value, str)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(Problem("fhirServer", f"must be an absolute http(s) URL, got {value!r}"))
        return None
    if parts.query or parts.fragment:
        problems.append(Problem("fhirServer", "must be a base URL without query or fragment"))
        return None
    return value


def _authorization(value: object, problems: list[Problem]) -> FhirAuthorization | None:
    path = "fhirAuthorization"
    if not isinstance(value, Mapping):
        problems.append(Problem(path, f"must be an object, got {_kind(value)}"))
        return None
    before = len(problems)
    _unknown(value, _AUTHORIZATION, path, problems)
    for key in ("access_token", "token_type", "scope", "subject"):
        if key not in value:
            problems.append(Problem(f"{path}.{key}", "required"))
        else:
            _text(value[key], f"{path}.{key}", problems)
    token = value.get("access_token")
    if isinstance(token, str) and token.strip() and not _BEARER_TOKEN.match(token):
        problems.append(
            Problem(
                f"{path}.access_token",
                "must be a bearer token of the characters RFC 6750 allows "
                "(letters, digits and - . _ ~ + / with = at the end)",
            )
        )
    if value.get("token_type") not in (None, "Bearer") and isinstance(value["token_type"], str):
        problems.append(
            Problem(f"{path}.token_type", f"must be 'Bearer', got {value['token_type']!r}")
        )
    expires = value.get("expires_in")
    if "expires_in" not in value:
        problems.append(Problem(f"{path}.expires_in", "required"))
    elif type(expires) is not int or expires < 0:
        problems.append(
            Problem(
                f"{path}.expires_in", f"must be a whole number of seconds, got {_kind(expires)}"
            )
        )
    if "patient" in value:
        _text(value["patient"], f"{path}.patient", problems, limit=64)
    if len(problems) > before:
        return None
    return FhirAuthorization(
        value["access_token"],
        value["token_type"],
        value["expires_in"],
        value["scope"],
        value["subject"],
        value.get("patient"),
    )


def _reference(value: object, path: str, types: Sequence[str], problems: list[Problem]) -> None:
    if not _text(value, path, problems, limit=200):
        return
    assert isinstance(value, str)
    kind, _, ident = value.partition("/")
    if kind not in types or not _FHIR_ID.match(ident):
        problems.append(
            Problem(
                path, f"must be a reference {' | '.join(t + '/<id>' for t in types)}, got {value!r}"
            )
        )


def _appointments(value: object, problems: list[Problem]) -> tuple[date, ...]:
    """Return the start days of the proposed appointments (a Bundle or, as the library's
    examples send it, an array of Appointment resources)."""
    path = "context.appointments"
    resources: list[tuple[str, object]] = []
    if isinstance(value, Mapping):
        if value.get("resourceType") != "Bundle":
            problems.append(Problem(f"{path}.resourceType", "must be 'Bundle'"))
            return ()
        entries = value.get("entry", [])
        if not isinstance(entries, list):
            problems.append(Problem(f"{path}.entry", f"must be an array, got {_kind(entries)}"))
            return ()
        for index, entry in enumerate(entries):
            where = f"{path}.entry[{index}]"
            if not isinstance(entry, Mapping) or "resource" not in entry:
                problems.append(Problem(where, "must be an object with a resource"))
                continue
            resources.append((f"{where}.resource", entry["resource"]))
    elif isinstance(value, list):
        resources = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        problems.append(
            Problem(path, f"must be a Bundle of Appointment resources, got {_kind(value)}")
        )
        return ()
    if not resources:
        problems.append(Problem(path, "must hold at least one Appointment"))
        return ()
    if len(resources) > MAX_APPOINTMENTS:
        problems.append(
            Problem(
                path, f"must hold at most {MAX_APPOINTMENTS} appointments, got {len(resources)}"
            )
        )
        return ()
    days: set[date] = set()
    for where, resource in resources:
        if not isinstance(resource, Mapping):
            problems.append(
                Problem(where, f"must be an Appointment resource, got {_kind(resource)}")
            )
            continue
        if resource.get("resourceType") != "Appointment":
            problems.append(
                Problem(
                    f"{where}.resourceType",
                    f"must be 'Appointment', got {_kind(resource.get('resourceType'))}",
                )
            )
            continue
        start = resource.get("start")
        if start is None:
            problems.append(
                Problem(
                    f"{where}.start",
                    "required: the day of the appointment decides the assessment date",
                )
            )
            continue
        day = _day(start)
        if day is None:
            problems.append(
                Problem(
                    f"{where}.start",
                    f"must be a FHIR instant such as 2026-12-01T09:00:00Z, got {_kind(start)}",
                )
            )
            continue
        days.add(day)
    return tuple(sorted(days))


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    match = _DATE_TIME.match(value)
    if match is None:
        return None
    try:
        return date.fromisoformat(match["date"])
    except ValueError:
        return None


def read_request(data: object, *, hook: str, prefetch_keys: Collection[str]) -> HookRequest:
    """Check the JSON body of a call to a service of ``hook``; raise :class:`RequestError`.

    :param data: the parsed JSON body.
    :param hook: the hook the called service answers (``patient-view``).
    :param prefetch_keys: the prefetch keys the service's discovery entry declares.
    """
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise RequestError([Problem("$", f"must be a JSON object, got {_kind(data)}")])
    _unknown(data, _TOP_LEVEL, "", problems)
    for key in ("hook", "hookInstance", "context"):
        if key not in data:
            problems.append(Problem(key, "required"))
    if "hook" in data and _text(data["hook"], "hook", problems, limit=100) and data["hook"] != hook:
        problems.append(
            Problem("hook", f"this service answers the {hook!r} hook, got {data['hook']!r}")
        )
    instance = data.get("hookInstance")
    if "hookInstance" in data and _text(instance, "hookInstance", problems, limit=100):
        try:
            uuid.UUID(str(instance))
        except ValueError:
            problems.append(Problem("hookInstance", f"must be a UUID, got {instance!r}"))
    server = None
    if "fhirServer" in data:
        server = _server(data["fhirServer"], problems)
    authorization = None
    if "fhirAuthorization" in data:
        authorization = _authorization(data["fhirAuthorization"], problems)
        if "fhirServer" not in data:
            problems.append(Problem("fhirServer", "required when fhirAuthorization is sent"))
    if "extension" in data and not isinstance(data["extension"], Mapping):
        problems.append(Problem("extension", f"must be an object, got {_kind(data['extension'])}"))
    context = data.get("context")
    patient_id = ""
    days: tuple[date, ...] = ()
    if "context" in data:
        if not isinstance(context, Mapping):
            problems.append(Problem("context", f"must be an object, got {_kind(context)}"))
        else:
            required, optional = _CONTEXT[hook]
            _unknown(context, (*required, *optional), "context", problems)
            for key in required:
                if key not in context:
                    problems.append(Problem(f"context.{key}", "required"))
            if "userId" in context:
                _reference(context["userId"], "context.userId", _USER_TYPES[hook], problems)
            if "patientId" in context and _text(
                context["patientId"], "context.patientId", problems, limit=64
            ):
                if not _FHIR_ID.match(context["patientId"]):
                    problems.append(
                        Problem(
                            "context.patientId",
                            f"must be a FHIR id (letters, digits, '-', '.'; at most 64), "
                            f"got {context['patientId']!r}",
                        )
                    )
                else:
                    patient_id = context["patientId"]
            if (
                "encounterId" in context
                and _text(context["encounterId"], "context.encounterId", problems, limit=64)
                and not _FHIR_ID.match(context["encounterId"])
            ):
                problems.append(
                    Problem(
                        "context.encounterId",
                        f"must be a FHIR id, got {context['encounterId']!r}",
                    )
                )
            if "appointments" in context:
                days = _appointments(context["appointments"], problems)
    prefetch: dict[str, Any] = {}
    if "prefetch" in data:
        sent = data["prefetch"]
        if not isinstance(sent, Mapping):
            problems.append(Problem("prefetch", f"must be an object, got {_kind(sent)}"))
        else:
            _unknown(sent, prefetch_keys, "prefetch", problems)
            for key, value in sent.items():
                if key not in prefetch_keys or value is None:
                    continue
                if not isinstance(value, Mapping) or not isinstance(value.get("resourceType"), str):
                    problems.append(
                        Problem(
                            f"prefetch.{key}",
                            f"must be a FHIR resource or null, got {_kind(value)}",
                        )
                    )
                    continue
                prefetch[key] = value
    if problems:
        raise RequestError(problems)
    assert isinstance(context, Mapping)
    return HookRequest(
        hook=hook,
        hook_instance=str(instance),
        context=context,
        patient_id=patient_id,
        prefetch=prefetch,
        fhir_server=server,
        authorization=authorization,
        appointment_dates=days,
    )
