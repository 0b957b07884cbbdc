"""The one place herniarules turns generated Python source into functions.

Rules, the JSON readers and writers, the fact constructors and the model's doors compile
source they write at run time. They all do it through :func:`define`, which gives each piece
of source a file name of its own and, as attrs does for its generated methods, registers the
source with :mod:`linecache`, so that a traceback through generated code shows the line that
ran. The registration lasts as long as the function: when it is collected, its source leaves
the cache, so an application that builds many engines does not accumulate source text.
"""

from __future__ import annotations

import itertools
import linecache
import weakref
from typing import Any

__all__ = ["define"]

_numbers = itertools.count(1)


def _forget(filename: str) -> None:
    linecache.cache.pop(filename, None)


def define(
    source: str,
    name: str,
    what: str,
    namespace: dict[str, Any],
    *,
    local: dict[str, Any] | None = None,
    register: bool = True,
) -> Any:
    """Compile and run ``source`` and return the object it binds to ``name``.

    :param source: one or more complete statements, usually a ``def``.
    :param name: the name ``source`` defines.
    :param what: what the code is, for its file name (``"rules of classic"``): tracebacks
        show ``<herniarules rules of classic #12>``.
    :param namespace: the globals the code runs with (and finds its constants in).
    :param local: where the definition lands, if not in ``namespace``.
    :param register: put the source in :mod:`linecache` for tracebacks. The model's doors
        pass ``False``: tools that read a function's source to rewrite its signature (Sphinx's
        ``autodoc_preserve_defaults``) would otherwise rewrite the generated ``__init__``.
    """
    filename = f"<herniarules {what} #{next(_numbers)}>"
    text = source if source.endswith("\n") else source + "\n"
    code = compile(text, filename, "exec")
    target = namespace if local is None else local
    exec(code, namespace, target)
    result = target[name]
    if register:
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        try:
            weakref.finalize(result, _forget, filename)
        except TypeError:  # no weak reference to tie the source to: leave it out
            _forget(filename)
    return result
