"""Check the bearer JWT a CDS client signs, as *Trusting CDS Clients* (CDS Hooks 2.0) says.

A call carries ``Authorization: Bearer <JWT>``. The token is accepted only when

- its header names ``ES384`` or ``RS384`` and the ``kid`` of a key in the JWKS pinned for its
  issuer (a ``jku`` header is never fetched: keys come only from the pinned JWKS);
- ``iss`` is on the allow-list, ``aud`` is the URL of the endpoint called, ``exp`` has not
  passed and is at most five minutes after now, ``iat`` is not in the future, both with a
  small clock leeway;
- its ``jti`` has not been seen before while the token is valid (a replay cache bounded in
  entries: when it is full of live tokens new ones are refused, never let through).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import jwt

__all__ = ["ALGORITHMS", "AuthError", "Issuer", "ReplayCache", "TokenVerifier", "load_issuer"]

#: The signing algorithms CDS Hooks 2.0 names for client JWTs.
ALGORITHMS = ("ES384", "RS384")
#: The spec's bound on a token's lifetime: ``exp`` at most five minutes ahead.
MAX_LIFETIME_S = 300
#: Longest ``jti`` accepted, in characters.
MAX_JTI = 256


class AuthError(Exception):
    """A call whose bearer token is missing or not acceptable; the message says why."""


@attrs.frozen
class Issuer:
    """An allowed token issuer and the public keys pinned for it, by ``kid``."""

    iss: str
    keys: Mapping[str, jwt.PyJWK] = attrs.field(repr=False)


def load_issuer(iss: str, jwks: str | Path | Mapping[str, Any]) -> Issuer:
    """Return the :class:`Issuer` ``iss`` with the keys of a JWKS (a file path or a dict).

    Only keys for ``ES384`` or ``RS384`` signatures are kept; a JWKS with none of them, or a
    key without a ``kid``, is a ``ValueError``.
    """
    if isinstance(jwks, str | Path):
        data = json.loads(Path(jwks).read_text(encoding="utf-8"))
    else:
        data = jwks
    if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
        raise ValueError(f"JWKS for {iss}: must be an object with a 'keys' array")
    keys: dict[str, jwt.PyJWK] = {}
    for index, entry in enumerate(data["keys"]):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("kid"), str):
            raise ValueError(f"JWKS for {iss}: keys[{index}] has no 'kid'")
        if "d" in entry:
            raise ValueError(f"JWKS for {iss}: keys[{index}] is a private key; pin public keys")
        kty = entry.get("kty")
        alg = entry.get("alg") or ("ES384" if kty == "EC" else "RS384" if kty == "RSA" else None)
        if alg not in ALGORITHMS:
            continue
        keys[entry["kid"]] = jwt.PyJWK(dict(entry), algorithm=alg)
    if not keys:
        raise ValueError(f"JWKS for {iss}: no ES384 or RS384 key")
    return Issuer(iss, keys)


class ReplayCache:
    """The ``jti`` values of live tokens, each kept until its token expires.

    ``capacity`` bounds the entries; a token arriving when every entry is still live is
    refused (:meth:`add` returns ``False``), so a flood can never make a replay pass.
    """

    def __init__(self, capacity: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self.capacity = capacity
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, iss: str, jti: str, exp: float) -> bool:
        """Record a token; return ``False`` if it was seen already or the cache is full."""
        now = self._clock()
        with self._lock:
            seen = self._seen
            while seen:
                oldest = next(iter(seen.values()))
                if oldest > now:
                    break
                seen.popitem(last=False)
            key = (iss, jti)
            if key in seen:
                return False
            if len(seen) >= self.capacity:
                # Entries are kept in order of expiry only approximately; drop any expired.
                for stale in [k for k, v in seen.items() if v <= now]:
                    del seen[stale]
                if len(seen) >= self.capacity:
                    return False
            seen[key] = exp
            return True

    def __len__(self) -> int:
        return len(self._seen)


class TokenVerifier:
    """Verify CDS client JWTs against an issuer allow-list with pinned keys."""

    def __init__(
        self,
        issuers: Mapping[str, Issuer],
        *,
        leeway_s: float = 30.0,
        replay: ReplayCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuers:
            raise ValueError("at least one issuer with its JWKS is needed")
        self.issuers = dict(issuers)
        self.leeway_s = leeway_s
        self.replay = replay or ReplayCache(clock=clock)
        self._clock = clock

    def verify(self, authorization: str | None, audience: str) -> Mapping[str, Any]:
        """Return the claims of the bearer token in an ``Authorization`` header value.

        The token is read once (:func:`_read_token`), its signature checked with the pinned
        key's own algorithm, and its claims checked as PyJWT checks them, then as the
        specification asks. :meth:`verify_reference` does the same through PyJWT's decoder.

        :raises AuthError: naming what is wrong with the token.
        """
        token = _bearer(authorization)
        try:
            header, claims, signing_input, signature = _read_token(token)
        except ValueError as exc:
            raise AuthError(f"malformed JWT: {exc}") from None
        iss, key = self._pinned_key(header, claims)
        now = self._clock()
        if not key.Algorithm.verify(signing_input, key.key, signature):
            raise AuthError("JWT rejected: Signature verification failed")
        problem = _claims_problem(claims, audience, now)
        if problem is not None:
            if problem == "aud":
                raise AuthError(f"JWT aud must be this endpoint, {audience}")
            raise AuthError(f"JWT rejected: {problem}")
        return self._check_times(claims, iss, now)

    def _pinned_key(
        self, header: Mapping[str, Any], claims: Mapping[str, Any]
    ) -> tuple[str, jwt.PyJWK]:
        """Return the token's issuer and its pinned key, from the header's alg and kid.

        :raises AuthError: for an algorithm not allowed, an issuer not allowed, a kid not
            pinned for the issuer, or a key of another algorithm than the header's.
        """
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise AuthError(f"JWT alg must be one of {', '.join(ALGORITHMS)}, got {alg!r}")
        iss = claims.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None or not isinstance(iss, str):
            raise AuthError(f"JWT issuer {iss!r} is not allowed")
        kid = header.get("kid")
        key = issuer.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthError(f"JWT kid {kid!r} is not a key pinned for {iss}")
        if key.algorithm_name != alg:
            raise AuthError(f"JWT alg {alg} does not match the pinned key's {key.algorithm_name}")
        return iss, key

    def verify_reference(self, authorization: str | None, audience: str) -> Mapping[str, Any]:
        """:meth:`verify` through PyJWT's decoder: the header and claims read three times.

        :raises AuthError: naming what is wrong with the token.
        """
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed JWT: {exc}") from None
        iss, key = self._pinned_key(header, unverified)
        now = self._clock()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=audience,
                issuer=iss,
                # exp and iat are checked below against the verifier's own clock
                options={
                    "require": ["iss", "aud", "exp", "iat", "jti"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise AuthError(f"JWT aud must be this endpoint, {audience}") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"JWT rejected: {exc}") from None
        return self._check_times(claims, iss, now)

    def _check_times(self, claims: dict[str, Any], iss: str, now: float) -> dict[str, Any]:
        """Check ``exp``, ``iat`` and ``jti`` as the specification asks; record the ``jti``."""
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        for name, value in (("exp", exp), ("iat", iat)):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AuthError(f"JWT {name} must be a number of seconds")
        if exp <= now - self.leeway_s:
            raise AuthError("JWT has expired")
        if exp > now + MAX_LIFETIME_S + self.leeway_s:
            raise AuthError("JWT exp must be at most five minutes from now")
        if iat > now + self.leeway_s:
            raise AuthError("JWT iat is in the future")
        if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
            raise AuthError(f"JWT jti must be a string of 1 to {MAX_JTI} characters")
        if not self.replay.add(iss, jti, float(exp) + self.leeway_s):
            raise AuthError("JWT jti was already used (replay), or too many live tokens")
        return claims


def _bearer(authorization: str | None) -> str:
    """Return the token of an ``Authorization: Bearer <JWT>`` header value."""
    if not authorization:
        raise AuthError("no Authorization header: a bearer JWT is required")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("the Authorization header must be 'Bearer <JWT>'")
    return token


#: The unpadded base64url alphabet (RFC 7515 section 2).
_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")
#: Claims every call's token must carry (a claim whose value is null counts as missing).
_REQUIRED = ("iss", "aud", "exp", "iat", "jti")


def _segment(segment: bytes, name: str) -> bytes:
    """Decode one base64url segment of a compact JWS, as strictly as PyJWT does.

    Up to two ``=`` of padding are accepted (then the length is a multiple of 4); any other
    character outside the alphabet, an impossible length, or non-zero unused bits is refused.
    """
    stripped = segment.rstrip(b"=")
    padding = len(segment) - len(stripped)
    if (
        padding > 2
        or (padding and len(segment) % 4)
        or len(stripped) % 4 == 1
        or _BASE64URL.fullmatch(stripped) is None
    ):
        raise ValueError(f"Invalid {name} padding")
    decoded = base64.urlsafe_b64decode(stripped + b"=" * (-len(stripped) % 4))
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != stripped:
        raise ValueError(f"Invalid {name} padding")
    return decoded


def _read_token(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Return the header, claims, signing input and signature of a compact JWS, read once.

    :raises ValueError: naming what cannot be read. A header with ``crit`` or ``b64``
        (JWS extensions, which no CDS client needs) is refused.
    """
    raw = token.encode("utf-8")
    signing_input, dot, crypto = raw.rpartition(b".")
    head, dot2, body = signing_input.partition(b".")
    if not dot or not dot2:
        raise ValueError("Not enough segments")
    header = _json_object(head, "header")
    if "kid" in header and not isinstance(header["kid"], str):
        raise ValueError("Key ID header parameter must be a string")
    if "crit" in header or "b64" in header:
        raise ValueError("JWS extensions (crit, b64) are not accepted")
    claims = _json_object(body, "payload")
    return header, claims, signing_input, _segment(crypto, "crypto")


def _json_object(segment: bytes, name: str) -> dict[str, Any]:
    """Return the JSON object a token segment (``header`` or ``payload``) holds.

    :raises ValueError: as PyJWT words it, when the segment is not a JSON object.
    """
    try:
        value = json.loads(_segment(segment, name))
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"Invalid {name} string: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"Invalid {name} string: must be a json object")
    return value


def _claims_problem(claims: Mapping[str, Any], audience: str, now: float) -> str | None:
    """Return what PyJWT's claim checks would refuse in ``claims``, or ``None``.

    The checks :meth:`TokenVerifier.verify_reference` asks of PyJWT: the required claims,
    ``nbf`` (an integer, not after now), ``aud`` (the endpoint, alone or in a list of strings;
    ``"aud"`` is returned for any audience problem), ``sub`` and ``jti`` (strings). ``iss``
    was matched when the issuer was looked up.
    """
    for claim in _REQUIRED:
        if claims.get(claim) is None:
            return f'Token is missing the "{claim}" claim'
    if "nbf" in claims:
        try:
            nbf = int(claims["nbf"])
        except (ValueError, TypeError, OverflowError):
            return "Not Before claim (nbf) must be an integer."
        if nbf > now:
            return "The token is not yet valid (nbf)"
    aud = claims["aud"]
    if isinstance(aud, str):
        aud = [aud]
    if not isinstance(aud, list) or any(not isinstance(a, str) for a in aud) or audience not in aud:
        return "aud"
    if "sub" in claims and not isinstance(claims["sub"], str):
        return "Subject must be a string"
    if not isinstance(claims["jti"], str):
        return "JWT ID must be a string"
    return None
