"""What the service tests share: a real uvicorn server on loopback, signed tokens, FHIR data.

Tokens are signed with the public CDS Hooks sandbox's published test key
(``tests/interop/cds-hooks/sandbox``), exactly as the sandbox signs them. FHIR data comes
from the shared corpus: the US Core examples (Patient/example) and the Synthea transaction
Bundles of the SMART R4 sandbox, served by a FHIR server stub on loopback.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

#: The interoperability corpus written by HL7, SMART and Synthea, kept in the repository
#: (``tests/interop``, its README says where each file comes from).
INTEROP = Path(__file__).resolve().parent / "interop"
CDS = INTEROP / "cds-hooks"
SPEC = CDS / "spec-2.0.1"
SANDBOX = CDS / "sandbox"
US_CORE = INTEROP / "fhir-r4" / "us-core"
SYNTHEA = INTEROP / "fhir-r4" / "synthea" / "smart-sandbox-r4"
SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"


def spec(name: str) -> Any:
    """Return a JSON example of the CDS Hooks 2.0.1 specification."""
    return json.loads((SPEC / name).read_text(encoding="utf-8"))


def sandbox_token(audience: str, **claims: Any) -> str:
    """Return a JWT signed as the public CDS Hooks sandbox signs its calls."""
    now = int(time.time())
    payload = {
        "iss": SANDBOX_ISS,
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(
        payload,
        (SANDBOX / "ecprivkey.pem").read_text(),
        algorithm="ES384",
        headers={
            "kid": SANDBOX_KID,
            "jku": "https://sandbox.cds-hooks.org/.well-known/jwks.json",
            "typ": "JWT",
        },
    )


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app in uvicorn on a free loopback port; yield its base URL."""
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _resources(bundle: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if "resource" in e]


def us_core_resources() -> list[dict[str, Any]]:
    """Return the US Core 9.0.0 example resources (top level of the folder), Bundles opened."""
    resources: list[dict[str, Any]] = []
    for path in sorted(US_CORE.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("resourceType") == "Bundle":
            resources.extend(_resources(data))
        else:
            resources.append(data)
    return resources


def synthea_resources(name: str) -> list[dict[str, Any]]:
    """Return the resources of one Synthea transaction Bundle, references made literal."""
    [path] = SYNTHEA.glob(f"{name}*.json")
    text = path.read_text(encoding="utf-8")
    bundle = json.loads(text)
    ids = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
    }
    for full, literal in ids.items():
        text = text.replace(f'"{full}"', f'"{literal}"')
    return _resources(json.loads(text))


def _subject(resource: Mapping[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        value = resource.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("reference"), str):
            return str(value["reference"])
    return None


def prefetch_for(
    templates: Mapping[str, str], resources: list[dict[str, Any]], patient_id: str
) -> dict[str, Any]:
    """Return what a CDS client would prefetch for these templates from these resources."""
    result: dict[str, Any] = {}
    for key, template in templates.items():
        kind = template.split("?")[0].split("/")[0]
        if "?" not in template:
            found = [
                r for r in resources if r["resourceType"] == kind and r.get("id") == patient_id
            ]
            if found:
                result[key] = found[0]
            continue
        matches = [
            r
            for r in resources
            if r["resourceType"] == kind and _subject(r) == f"Patient/{patient_id}"
        ]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
        }
        if matches:
            bundle["entry"] = [
                {
                    "fullUrl": f"http://fhir.example.org/{r['resourceType']}/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in matches
            ]
        result[key] = bundle
    return result


def fhir_stub(resources: list[dict[str, Any]], page_size: int = 20) -> tuple[Starlette, list[Any]]:
    """Return a FHIR server stub serving ``resources`` (reads and ``?patient=`` searches,
    paged through ``next`` links) and the list of the requests it received."""
    seen: list[Any] = []

    async def read(request: Request) -> Response:
        seen.append(
            (request.url.path, dict(request.query_params), request.headers.get("authorization"))
        )
        kind = request.path_params["kind"]
        ident = request.path_params.get("ident")
        if ident is not None:
            for resource in resources:
                if resource["resourceType"] == kind and resource.get("id") == ident:
                    return JSONResponse(resource, media_type="application/fhir+json")
            return JSONResponse(
                {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "not-found"}],
                },
                status_code=404,
            )
        patient = request.query_params.get("patient", "")
        matches = [
            r
            for r in resources
            if r["resourceType"] == kind and _subject(r) == f"Patient/{patient}"
        ]
        offset = int(request.query_params.get("_offset", "0"))
        page = matches[offset : offset + page_size]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "link": [],
        }
        if offset + page_size < len(matches):
            base = str(request.url).split("?")[0]
            bundle["link"].append(
                {
                    "relation": "next",
                    "url": f"{base}?patient={patient}&_offset={offset + page_size}",
                }
            )
        if page:
            bundle["entry"] = [{"resource": r, "search": {"mode": "match"}} for r in page]
        return JSONResponse(bundle, media_type="application/fhir+json")

    app = Starlette(routes=[Route("/fhir/{kind}", read), Route("/fhir/{kind}/{ident}", read)])
    return app, seen
