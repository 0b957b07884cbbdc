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

import json
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

        :raises AuthError: naming what is wrong with the token.
        """
        if not authorization:
            raise AuthError("no Authorization header: a bearer JWT is required")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError("the Authorization header must be 'Bearer <JWT>'")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed JWT: {exc}") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise AuthError(f"JWT alg must be one of {', '.join(ALGORITHMS)}, got {alg!r}")
        iss = unverified.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthError(f"JWT issuer {iss!r} is not allowed")
        kid = header.get("kid")
        key = issuer.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthError(f"JWT kid {kid!r} is not a key pinned for {iss}")
        if key.algorithm_name != alg:
            raise AuthError(f"JWT alg {alg} does not match the pinned key's {key.algorithm_name}")
        now = self._clock()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
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
        assert isinstance(iss, str)
        if not self.replay.add(iss, jti, float(exp) + self.leeway_s):
            raise AuthError("JWT jti was already used (replay), or too many live tokens")
        return claims
