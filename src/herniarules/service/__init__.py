"""An HL7 CDS Hooks 2.0 service: massage eligibility as cards in the EHR.

Install the extra (``pip install 'herniarules[service]'``) and run ``herniarules serve``, or
build the ASGI application yourself::

    from herniarules.service import ServiceConfig, create_app, load_issuer, open_audit_log

    app = create_app(
        audit=open_audit_log("sqlite:///audit.db"),
        config=ServiceConfig(issuers={"https://ehr.example.org": load_issuer(
            "https://ehr.example.org", "ehr-jwks.json")}),
    )

The core SDK never imports this package; it needs Starlette, httpx, PyJWT (with
cryptography) and, for a shared audit log, psycopg.
"""

from herniarules.service.app import HOOKS, ServiceConfig, create_app, services
from herniarules.service.audit import (
    AuditLog,
    PostgresAuditLog,
    SQLiteAuditLog,
    open_audit_log,
)
from herniarules.service.auth import AuthError, Issuer, TokenVerifier, load_issuer
from herniarules.service.hook_request import RequestError

__all__ = [
    "HOOKS",
    "AuditLog",
    "AuthError",
    "Issuer",
    "PostgresAuditLog",
    "RequestError",
    "SQLiteAuditLog",
    "ServiceConfig",
    "TokenVerifier",
    "create_app",
    "load_issuer",
    "open_audit_log",
    "services",
]
