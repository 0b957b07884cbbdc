"""The OpenAPI 3.1 document of the service, served at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from herniarules.service import schemas

__all__ = ["openapi_document"]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "the request cannot be read; each issue names a field",
        401: "the bearer token is missing or not acceptable",
        404: "no such service",
        412: "data the rules need was neither prefetched nor to be had from the FHIR server",
        413: "the body is larger than the limit",
        503: "the call took longer than the time limit",
    }
    return {
        str(status): {"description": reasons[status], **_json(schemas.OPERATION_OUTCOME)}
        for status in statuses
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    """Return the OpenAPI document for a service reached at ``base_url``."""
    from herniarules import __version__
    from herniarules.service.app import HOOKS

    service_id = {
        "name": "service_id",
        "in": "path",
        "required": True,
        "schema": {"enum": sorted(HOOKS)},
    }
    security: list[dict[str, list[str]]] = [{"cdsClientJwt": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "herniarules CDS Hooks service",
            "version": __version__,
            "description": "CDS Hooks 2.0 services: may a patient with a disc hernia receive "
            "each massage technique. Supports clinicians; does not replace them.",
        },
        "servers": [{"url": base_url}],
        "components": {
            "securitySchemes": {
                "cdsClientJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
        "paths": {
            "/cds-services": {
                "get": {
                    "operationId": "discovery",
                    "responses": {
                        "200": {"description": "the services", **_json(schemas.DISCOVERY)}
                    },
                }
            },
            "/cds-services/{service_id}": {
                "post": {
                    "operationId": "callService",
                    "parameters": [service_id],
                    "security": security,
                    "requestBody": {"required": True, **_json(schemas.HOOK_REQUEST)},
                    "responses": {
                        "200": {"description": "cards", **_json(schemas.CARDS_RESPONSE)},
                        **_errors(400, 401, 404, 412, 413, 503),
                    },
                }
            },
            "/cds-services/{service_id}/feedback": {
                "post": {
                    "operationId": "feedback",
                    "parameters": [service_id],
                    "security": security,
                    "requestBody": {"required": True, **_json(schemas.FEEDBACK_REQUEST)},
                    "responses": {
                        "200": {"description": "recorded", **_json(schemas.FEEDBACK_RESPONSE)},
                        **_errors(400, 401, 404, 413),
                    },
                }
            },
        },
    }
