"""The floor server of ``service.py``: parses the request and writes a response of the same size.

A bare ASGI application run by the same uvicorn as the service: it reads the body, parses it
as JSON (as the service must) and answers ``200`` with a JSON body of
``HERNIARULES_FLOOR_BYTES`` bytes. Nothing else: no token check, no mapping, no rules, no
audit log.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

_SIZE = int(os.environ.get("HERNIARULES_FLOOR_BYTES", "1000"))
_BODY = json.dumps({"cards": [], "padding": "x" * max(0, _SIZE - 28)}).encode()
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]


async def app(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Answer every HTTP request with the fixed body, after parsing its JSON body."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    if scope["method"] == "POST":
        json.loads(b"".join(chunks))
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})
