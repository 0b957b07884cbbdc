"""Memoise a plugin's protocol builder: protocols are immutable and mostly repeat.

A protocol usually depends on the technique, its parameters and one or two facts (the hernia
regions, say). Building it anew for every patient costs more than every rule together, so a
plugin declares which facts its protocol reads and herniarules reuses the built value::

    @hookimpl
    @memoize_protocol("hernia_regions")
    def herniarules_protocol(technique, facts, parameters):
        ...

Name every fact the builder reads: a fact left out would let one patient's protocol be
returned for another whose value differs. A hook defined in a plugin class is memoised per
instance (its ``self`` is part of the key, and the cache holds a reference to it), so two
differently configured instances never share a protocol.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from herniarules.facts import Facts

__all__ = ["memoize_protocol"]

F = TypeVar("F", bound=Callable[..., Any])


def memoize_protocol(*reads: str, maxsize: int = 512) -> Callable[[F], F]:
    """Return a decorator caching a protocol hook by technique id, parameters and ``reads``.

    :param reads: the names of the :class:`~herniarules.facts.Facts` fields the builder reads.
    :param maxsize: most protocols kept; beyond it, protocols are built afresh.
    :raises ValueError: if a name is not a fact.
    """
    unknown = sorted(set(reads) - set(Facts.__annotations__))
    if unknown:
        raise ValueError(f"memoize_protocol: unknown facts {', '.join(unknown)}")

    def decorate(function: F) -> F:
        names = list(inspect.signature(function).parameters)
        if "facts" not in names and reads:
            raise ValueError(f"{function.__name__} reads facts but takes no 'facts' argument")
        cache: dict[tuple[Any, ...], Any] = {}

        # A hook defined in a class is called with the plugin instance first; instances of
        # one class may be configured differently, so the instance is part of the key.
        owner = names[0] if names and names[0] in ("self", "cls") else None
        # Where each argument sits when the hook is called with all of them by position, as
        # the engine calls it; other calls bind by name.
        at_owner, at_technique, at_parameters, at_facts = (
            names.index(name) if name in names else None
            for name in (owner, "technique", "parameters", "facts")
        )

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not kwargs and len(args) == len(names):
                instance = None if at_owner is None else args[at_owner]
                technique = None if at_technique is None else args[at_technique]
                parameters = None if at_parameters is None else args[at_parameters]
                facts = None if at_facts is None else args[at_facts]
            else:
                bound = {**dict(zip(names, args, strict=False)), **kwargs}
                instance = bound.get(owner) if owner else None
                technique = bound.get("technique")
                parameters = bound.get("parameters")
                facts = bound.get("facts")
            try:
                key = (
                    instance,
                    getattr(technique, "id", None),
                    parameters,
                    *(getattr(facts, name) for name in reads),
                )
                return cache[key]
            except KeyError:
                result = function(*args, **kwargs)
                if len(cache) < maxsize:
                    cache[key] = result
                return result
            except TypeError:  # unhashable parameters: build every time
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
