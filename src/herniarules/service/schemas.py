"""JSON Schemas (2020-12) of what the service answers, written from the CDS Hooks 2.0 tables.

:data:`CARDS_RESPONSE` follows *CDS Service Response*, *Card Attributes*, *Source*, *Link* and
*Coding* (an ``overrideReasons`` Coding needs ``code``, ``system`` and ``display``);
:data:`DISCOVERY` follows *Discovery* and its *CDS Service* table; :data:`OPERATION_OUTCOME`
the FHIR R4 OperationOutcome elements the service writes. On top of the specification's
"required" columns, every string must be non-empty, every array but ``cards`` must hold an
item and every object a member, because the specification forbids null and empty values.
Unknown members are not allowed, so a schema catches a misspelt field.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CARD",
    "CARDS_RESPONSE",
    "DISCOVERY",
    "FEEDBACK_REQUEST",
    "FEEDBACK_RESPONSE",
    "HOOK_REQUEST",
    "OPERATION_OUTCOME",
]

_TEXT: dict[str, Any] = {"type": "string", "minLength": 1}
_URL: dict[str, Any] = {"type": "string", "minLength": 1, "format": "uri"}

CODING: dict[str, Any] = {
    "type": "object",
    "required": ["code", "system", "display"],
    "properties": {"code": _TEXT, "system": _URL, "display": _TEXT},
    "additionalProperties": False,
}
SOURCE: dict[str, Any] = {
    "type": "object",
    "required": ["label"],
    "properties": {
        "label": _TEXT,
        "url": _URL,
        "icon": _URL,
        "topic": {
            "type": "object",
            "required": ["code", "system"],
            "properties": {"code": _TEXT, "system": _URL, "display": _TEXT},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
LINK: dict[str, Any] = {
    "type": "object",
    "required": ["label", "url", "type"],
    "properties": {
        "label": _TEXT,
        "url": _URL,
        "type": {"enum": ["absolute", "smart"]},
        "appContext": _TEXT,
    },
    "additionalProperties": False,
}
CARD: dict[str, Any] = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": _TEXT,
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": SOURCE,
        "overrideReasons": {"type": "array", "minItems": 1, "items": CODING},
        "links": {"type": "array", "minItems": 1, "items": LINK},
    },
    "additionalProperties": False,
}
CARDS_RESPONSE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["cards"],
    "properties": {"cards": {"type": "array", "items": CARD}},
    "additionalProperties": False,
}
DISCOVERY: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["hook", "description", "id"],
                "properties": {
                    "hook": _TEXT,
                    "title": _TEXT,
                    "description": _TEXT,
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9._~-]+$"},
                    "prefetch": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": _TEXT,
                    },
                    "usageRequirements": _TEXT,
                },
                "additionalProperties": False,
            },
        }
    },
    "additionalProperties": False,
}
OPERATION_OUTCOME: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "id": {"type": "string", "pattern": "^[A-Za-z0-9.-]{1,64}$"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"enum": ["fatal", "error", "warning", "information"]},
                    "code": _TEXT,
                    "details": {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": _TEXT},
                        "additionalProperties": False,
                    },
                    "diagnostics": _TEXT,
                    "expression": {"type": "array", "minItems": 1, "items": _TEXT},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
FEEDBACK_RESPONSE: dict[str, Any] = {
    "type": "object",
    "required": ["recorded"],
    "properties": {"recorded": {"type": "integer", "minimum": 1}},
    "additionalProperties": False,
}
#: What a hook call may send (the service checks more: see ``hook_request``).
HOOK_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"enum": ["patient-view", "appointment-book"]},
        "hookInstance": {"type": "string", "format": "uuid"},
        "fhirServer": _URL,
        "fhirAuthorization": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in", "scope", "subject"],
            "properties": {
                "access_token": {"type": "string", "pattern": "^[A-Za-z0-9._~+/-]+=*$"},
                "token_type": {"const": "Bearer"},
                "expires_in": {"type": "integer", "minimum": 0},
                "scope": _TEXT,
                "subject": _TEXT,
                "patient": _TEXT,
            },
        },
        "context": {
            "type": "object",
            "required": ["userId", "patientId"],
            "properties": {
                "userId": {"type": "string", "pattern": "^Practitioner/[A-Za-z0-9.-]{1,64}$"},
                "patientId": {"type": "string", "pattern": "^[A-Za-z0-9.-]{1,64}$"},
                "encounterId": {"type": "string", "pattern": "^[A-Za-z0-9.-]{1,64}$"},
            },
        },
        "prefetch": {"type": "object"},
        "extension": {"type": "object"},
    },
}
FEEDBACK_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": {"type": "string", "format": "uuid"},
                    "outcome": {"enum": ["accepted", "overridden"]},
                    "outcomeTimestamp": {"type": "string", "format": "date-time"},
                    "overrideReason": {
                        "type": "object",
                        "properties": {
                            "reason": {
                                "type": "object",
                                "required": ["system", "code"],
                                "properties": {"system": _TEXT, "code": _TEXT},
                            },
                            "userComment": _TEXT,
                        },
                    },
                },
            },
        }
    },
}
