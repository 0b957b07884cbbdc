"""Fetch what a CDS client did not prefetch from its FHIR server (httpx).

Each prefetch template the request left out is filled in with the call's context
(``{{context.patientId}}``) and read from ``fhirServer`` with the access token of
``fhirAuthorization``. A search result is followed through its ``next`` links on the same
server, up to :data:`MAX_PAGES` pages and ``max_bytes`` in all. Anything that goes wrong is a
:class:`FetchError` naming the key and the reason; the service answers it with
``412 Precondition Failed``, as the specification asks when the data cannot be had.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from herniarules.service.hook_request import FhirAuthorization

__all__ = ["MAX_PAGES", "FetchError", "fetch_missing", "fill_template"]

#: Most pages of one search result followed through ``next`` links.
MAX_PAGES = 20
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z]+)\s*\}\}")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class FetchError(Exception):
    """A prefetch key that could not be read from the FHIR server."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"prefetch {key!r}: {reason}")


def fill_template(key: str, template: str, context: Mapping[str, Any]) -> str:
    """Return ``template`` with each ``{{context.X}}`` replaced by the context's string X."""

    def value(match: re.Match[str]) -> str:
        name = match[1]
        found = context.get(name)
        if not isinstance(found, str):
            raise FetchError(key, f"the context has no {name!r} for the template {template!r}")
        return found

    return _TOKEN.sub(value, template)


def server_allowed(server: str, *, allow_http: bool) -> bool:
    """Return whether the service may call ``server``: https, or http on loopback or when
    plain http is allowed (development only)."""
    parts = urlsplit(server)
    return parts.scheme == "https" or allow_http or parts.hostname in _LOOPBACK


async def _get(
    client: httpx.AsyncClient, key: str, url: str, headers: Mapping[str, str], budget: list[int]
) -> Any:
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 404:
                raise FetchError(key, f"{url} was not found (404)")
            if response.status_code != 200:
                raise FetchError(key, f"{url} answered HTTP {response.status_code}")
            chunks = []
            async for chunk in response.aiter_bytes():
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise FetchError(key, "the FHIR server's answers exceed the size limit")
                chunks.append(chunk)
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeEncodeError) as exc:
        raise FetchError(key, f"{url}: {type(exc).__name__}: {exc}") from None
    try:
        data = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise FetchError(key, f"{url} did not answer JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise FetchError(key, f"{url} did not answer a FHIR resource")
    return data


async def fetch_missing(
    client: httpx.AsyncClient,
    server: str,
    authorization: FhirAuthorization | None,
    templates: Mapping[str, str],
    context: Mapping[str, Any],
    *,
    max_bytes: int = 10_000_000,
) -> dict[str, Any]:
    """Return the result of each template, by key, read from ``server``.

    :raises FetchError: for the first key that could not be read.
    """
    base = server.rstrip("/")
    origin = urlsplit(base)
    headers = {"Accept": "application/fhir+json"}
    if authorization is not None:
        headers["Authorization"] = f"Bearer {authorization.access_token}"
    budget = [max_bytes]
    results: dict[str, Any] = {}
    for key, template in templates.items():
        url = f"{base}/{fill_template(key, template, context)}"
        data = await _get(client, key, url, headers, budget)
        if data["resourceType"] == "Bundle":
            entries = list(data.get("entry") or [])
            page = data
            for _ in range(MAX_PAGES - 1):
                links = page.get("link") or []
                following = [
                    link.get("url")
                    for link in links
                    if isinstance(link, dict) and link.get("relation") == "next"
                ]
                if not following or not isinstance(following[0], str):
                    break
                parts = urlsplit(following[0])
                if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                    raise FetchError(key, "a next link leads off the FHIR server")
                page = await _get(client, key, following[0], headers, budget)
                entries.extend(page.get("entry") or [])
            else:
                if any(
                    isinstance(link, dict) and link.get("relation") == "next"
                    for link in page.get("link") or []
                ):
                    raise FetchError(key, f"the search result has more than {MAX_PAGES} pages")
            data = {**data, "entry": entries}
            data.pop("link", None)
            if not entries:
                data.pop("entry")
        results[key] = data
    return results
