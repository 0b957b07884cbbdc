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

The key holds patient data (the values of the facts named), so the memoised hooks keep their
keys and protocols in :class:`~herniarules.bounded.BoundedCache` objects that share one
budget of estimated bytes for the process (:data:`herniarules.bounded.PROTOCOLS`, unless a
hook is given its own), dropping the oldest first.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from herniarules.bounded import PROTOCOLS, BoundedCache, estimate
from herniarules.facts import Facts

__all__ = ["memoize_protocol"]

_MISSING = object()

F = TypeVar("F", bound=Callable[..., Any])


def memoize_protocol(
    *reads: str, maxsize: int = 512, budget: int | None = None
) -> Callable[[F], F]:
    """Return a decorator caching a protocol hook by technique id, parameters and ``reads``.

    :param reads: the names of the :class:`~herniarules.facts.Facts` fields the builder reads.
    :param maxsize: most protocols kept; beyond it, the oldest are dropped.
    :param budget: most estimated bytes of keys and protocols this hook keeps; by default it
        shares :data:`herniarules.bounded.PROTOCOLS` with every other memoised hook. Beyond
        it, the oldest are dropped.
    :raises ValueError: if a name is not a fact.
    """
    unknown = sorted(set(reads) - set(Facts.__annotations__))
    if unknown:
        raise ValueError(f"memoize_protocol: unknown facts {', '.join(unknown)}")

    def decorate(function: F) -> F:
        names = list(inspect.signature(function).parameters)
        if "facts" not in names and reads:
            raise ValueError(f"{function.__name__} reads facts but takes no 'facts' argument")
        cache: BoundedCache[tuple[Any, ...], Any] = BoundedCache(
            f"protocols of {function.__qualname__}",
            PROTOCOLS if budget is None else budget,
            max_entries=maxsize,
            size=_entry_size,
        )

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
            key = (
                instance,
                getattr(technique, "id", None),
                parameters,
                *(getattr(facts, name) for name in reads),
            )
            try:
                found = cache.get(key, _MISSING)
            except TypeError:  # unhashable parameters: build every time
                return function(*args, **kwargs)
            if found is not _MISSING:
                return found
            result = function(*args, **kwargs)
            cache.put(key, result)
            return result

        wrapper.cache = cache  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _entry_size(key: tuple[Any, ...], value: Any) -> int:
    # The plugin instance (key[0]) is shared by every entry and lives as long as the plugin;
    # the technique id, the parameters, the fact values and the protocol are counted.
    return estimate((key[1:], value))
