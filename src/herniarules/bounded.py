"""Caches bounded by an estimate of the bytes they hold, not by their number of entries.

The engine's caches hold values read from patients (fact values, the evidence of findings), so
their size must have a bound that does not grow with the values: ``limit`` entries of a few
hundred bytes and ``limit`` entries quoting every condition of a patient are not the same
memory. A :class:`BoundedCache` charges each entry :func:`estimate` bytes (its key and value)
against a :class:`Budget` and drops the oldest entries when a new one would not fit; an entry
larger than the whole budget is not kept. Caches of one kind share one budget for the whole
process (every engine's findings caches share :data:`FINDINGS`, say), so
the bound does not grow with the number of engines, rule sets or techniques.

Eviction is first in, first out: a hit does not move an entry, so a lookup stays one
``dict.get``. A value that is used again after being dropped is built again and stored anew.

A cache may admit an entry only on the second sight of its key (``second_sight=True``), as
TinyLFU's doorkeeper does: the first time a key is offered only a bit in a fixed bitmap of key
hashes is set (a :class:`Doorkeeper`), and the value is stored when the key comes again. Where
most keys never come back (a register of distinct patients) this skips estimating and storing
what would only be dropped unread; where they do, each is stored one lookup later. The bitmap
has a fixed size and holds no values, only bits of hashes; it starts afresh after as many new
keys as the cache holds entries, so a key that comes back only after more keys than the cache
could keep (rounds over a register larger than the cache) counts as new and costs no estimate.

Every cache and budget made here is listed by :func:`caches` and :func:`budgets`, so a test (or
an operator) can read what all of them hold (:func:`total_bytes`) or empty them
(:func:`clear_all`).
"""

from __future__ import annotations

import itertools
import operator
import sys
import weakref
from collections import OrderedDict
from collections.abc import Callable, Collection, Container, Hashable
from typing import Any, Generic, TypeVar

__all__ = [
    "FINDINGS",
    "PROTOCOLS",
    "TEXTS",
    "BoundedCache",
    "Budget",
    "Doorkeeper",
    "budgets",
    "caches",
    "clear_all",
    "estimate",
    "total_bytes",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Bytes an entry costs beyond its key and value: its slots in the cache's two dicts and its
#: place in the budget's order (a tuple and an ordered-dict node), rounded up.
ENTRY_OVERHEAD = 240

_getsizeof = sys.getsizeof
#: Shared by every value that holds them: counted nothing.
_FREE: frozenset[type] = frozenset({type(None), bool})
#: Values whose size ``sys.getsizeof`` gives in full.
_LEAVES: frozenset[type] = frozenset({str, int, float, type(None), bool})
_SEQUENCES: frozenset[type] = frozenset({tuple, list, frozenset, set})
#: The field getter of each attrs class met, by class, and :func:`_enum_member` for each enum
#: class met (code, not data: one per class).
_FIELDS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def estimate(value: object, shared: Container[int] = ()) -> int:
    """Return an estimate of the bytes ``value`` holds, counting what it refers to.

    ``sys.getsizeof`` of the value plus, recursively, of the items of tuples, lists, sets and
    dicts and of the fields of attrs instances; ``None``, booleans, enum members and classes
    count nothing. An object reached twice (a string shared by two items, a rule's message
    quoted by many findings) is counted each time, so the estimate is an upper bound of what
    the value keeps alive, except for the objects whose ids are in ``shared``: objects that
    live anyway (a rule's own texts), counted nothing.
    """
    kind = type(value)
    if kind in _FREE or (shared and id(value) in shared):
        return 0
    if kind is str or kind is int or kind is float:
        return _getsizeof(value)
    if kind in _SEQUENCES:
        return _getsizeof(value) + _items(value, shared)  # type: ignore[arg-type]
    if isinstance(value, dict):
        return _getsizeof(value) + _items(value, shared) + _items(value.values(), shared)
    getter = _FIELDS.get(kind)  # an attrs class or an enum met before: no hasattr
    if getter is not None:
        return 0 if getter is _enum_member else _getsizeof(value) + _items(getter(value), shared)
    if hasattr(kind, "__attrs_attrs__"):
        getter = _FIELDS[kind] = _field_getter(kind)
        return _getsizeof(value) + _items(getter(value), shared)
    if isinstance(value, type):
        return 0  # a class: one per process
    if hasattr(kind, "__members__") and hasattr(value, "_value_"):
        _FIELDS[kind] = _enum_member
        return 0  # an enum member: one per process
    return _getsizeof(value)


def _enum_member(value: object) -> tuple[Any, ...]:
    """The entry of an enum class in ``_FIELDS``: its members count nothing."""
    return ()


def _items(items: Collection[Any], shared: Container[int]) -> int:
    if _LEAVES.issuperset(map(type, items)):
        if not shared:
            return sum(map(_getsizeof, items))
        return sum([_getsizeof(item) for item in items if id(item) not in shared])
    return sum([estimate(item, shared) for item in items])


def _field_getter(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    names = [field.name for field in cls.__attrs_attrs__]  # type: ignore[attr-defined]
    if not names:
        return lambda value: ()
    if len(names) == 1:
        (name,) = names
        return lambda value: (getattr(value, name),)
    getter: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*names)
    return getter


class Budget:
    """A number of bytes that one or more caches share, with the order their entries came in.

    When an entry would take the caches sharing it over :attr:`limit`, the oldest entries of
    any of them are dropped first, until it fits. An entry larger than the whole limit is not
    kept.
    """

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        #: The most estimated bytes the caches sharing this budget hold together.
        self.limit = limit
        #: The estimated bytes they hold now.
        self.bytes = 0
        # (cache number, key) -> the cache, oldest first.
        self._order: OrderedDict[tuple[int, Any], weakref.ref[BoundedCache[Any, Any]]] = (
            OrderedDict()
        )
        _BUDGETS.add(self)

    def resize(self, limit: int) -> None:
        """Set a new limit, dropping the oldest entries until the caches fit it."""
        self.limit = limit
        self._make_room(0)

    def clear(self) -> None:
        """Drop every entry of every cache sharing this budget (their tables too)."""
        for ref in set(self._order.values()):
            cache = ref()
            if cache is not None:
                cache._data.clear()
                cache._sizes.clear()
        self._order.clear()
        self.bytes = 0

    def _make_room(self, size: int) -> None:
        order = self._order
        while order and self.bytes + size > self.limit:
            (_, key), ref = order.popitem(last=False)
            cache = ref()
            if cache is not None:
                self.bytes -= cache._forget(key)

    def _release(self, number: int, sizes: dict[Any, int]) -> None:
        # A cache was freed: its entries no longer take memory, and their keys leave the order.
        order = self._order
        for key, size in sizes.items():
            del order[number, key]
            self.bytes -= size

    def __repr__(self) -> str:
        return f"<Budget {self.name!r}: {self.bytes} of {self.limit} bytes>"


_BUDGETS: weakref.WeakSet[Budget] = weakref.WeakSet()
_CACHES: weakref.WeakSet[BoundedCache[Any, Any]] = weakref.WeakSet()
_numbers = itertools.count()


class Doorkeeper:
    """Tells whether a key has been offered before: a fixed bitmap of its hash's low bits.

    A key offered for the first time answers ``False`` and is marked; offered again, ``True``
    (a different key whose hash shares the bit answers ``True`` too: then it is admitted early,
    which costs memory within the cache's budget, never a wrong value). After ``window`` keys
    have been marked the bitmap is cleared: a key that comes back only after more new keys than
    that counts as new again. A cache sizes the window to the entries it holds, because a key
    that returns only after more keys than the cache can keep would have been dropped before
    it returned; storing it would cost an estimate and buy nothing (TinyLFU ages its counts for
    the same reason). At most an eighth of the bits are set, so the chance of an early
    admission stays below about one in eight.

    :param bits: the size of the bitmap, a power of two (``bits // 8`` bytes).
    :param window: how many keys are marked before the bitmap is cleared; at most ``bits // 8``
        (the default).
    """

    __slots__ = ("_bits", "_limit", "_marks", "_mask")

    def __init__(self, bits: int = 1 << 19, window: int | None = None) -> None:
        if bits < 8 or bits & (bits - 1):
            raise ValueError(f"bits must be a power of two of at least 8, got {bits}")
        if window is not None and not 0 < window <= bits >> 3:
            raise ValueError(f"window must be between 1 and {bits >> 3}, got {window}")
        self._bits = bytearray(bits >> 3)
        self._mask = bits - 1
        self._marks = 0
        self._limit = bits >> 3 if window is None else window

    @classmethod
    def for_entries(cls, entries: int) -> Doorkeeper:
        """Return a doorkeeper whose window is ``entries`` keys (at least 64), 16 bits per key.

        The floor of 64 lets a very small cache still tell a key that comes straight back.
        """
        window = max(entries, 64)
        bits = 8
        while bits < 16 * window:
            bits <<= 1
        return cls(bits, window=window)

    @property
    def bytes(self) -> int:
        """The bytes of the bitmap: fixed, whatever keys are offered."""
        return len(self._bits)

    def seen(self, key: Hashable) -> bool:
        """Return whether ``key`` (or a key of the same hash bits) was offered before; mark it."""
        position = hash(key) & self._mask
        byte, bit = position >> 3, 1 << (position & 7)
        bits = self._bits
        if bits[byte] & bit:
            return True
        bits[byte] |= bit
        self._marks += 1
        if self._marks >= self._limit:  # too full to tell keys apart: start afresh
            self._bits = bytearray(len(bits))
            self._marks = 0
        return False


class BoundedCache(Generic[K, V]):
    """A mapping from keys to values whose entries take at most a budget of estimated bytes.

    :param name: what the cache holds, for :func:`caches` and messages.
    :param budget: the :class:`Budget` the cache shares with others, or a number of bytes
        for a budget of its own; the entries count :func:`estimate` of key and value plus
        :data:`ENTRY_OVERHEAD` each. A limit of 0 keeps nothing.
    :param max_entries: a cap on the number of entries of this cache as well, if given.
    :param size: the estimate of one entry's bytes, from its key and value.
    :param second_sight: store an entry only when its key is offered the second time (see
        :class:`Doorkeeper`); :meth:`put` of a key seen for the first time stores nothing.
    """

    def __init__(
        self,
        name: str,
        budget: Budget | int,
        *,
        max_entries: int | None = None,
        size: Callable[[K, V], int] | None = None,
        second_sight: bool = False,
    ) -> None:
        self.name = name
        self.doorkeeper = (
            None
            if not second_sight
            else Doorkeeper()
            if max_entries is None
            else Doorkeeper.for_entries(max_entries)
        )
        self.budget = budget if isinstance(budget, Budget) else Budget(name, budget)
        self.max_entries = max_entries
        self._size: Callable[[K, V], int] = size or _entry_size
        self._number = next(_numbers)
        self._data: OrderedDict[K, V] = OrderedDict()
        self._sizes: dict[K, int] = {}
        self._ref = weakref.ref(self)
        #: ``get(key[, default])`` returns the value, or ``default`` (``None``) for a key not
        #: kept; it is the dict's own method, and a hit does not reorder the entries.
        self.get = self._data.get
        weakref.finalize(self, self.budget._release, self._number, self._sizes)
        _CACHES.add(self)

    @property
    def bytes(self) -> int:
        """The estimated bytes this cache's entries take now."""
        return sum(self._sizes.values())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def put(self, key: K, value: V) -> bool:
        """Store ``value`` under ``key``, dropping the oldest entries to make room.

        Return whether it was stored: an entry larger than the whole budget is not, nor one
        whose key the cache's doorkeeper sees for the first time.
        """
        doorkeeper = self.doorkeeper
        if doorkeeper is not None and not doorkeeper.seen(key):
            return False
        size = self._size(key, value) + ENTRY_OVERHEAD
        budget = self.budget
        if size > budget.limit:
            return False
        order, place = budget._order, (self._number, key)
        if key in self._data:
            budget.bytes -= self._forget(key)
            del order[place]
        budget._make_room(size)
        if self.max_entries is not None and len(self._data) >= self.max_entries:
            oldest = next(iter(self._data))
            budget.bytes -= self._forget(oldest)
            del order[self._number, oldest]
        self._data[key] = value
        self._sizes[key] = size
        order[place] = self._ref
        budget.bytes += size
        return True

    def _forget(self, key: K) -> int:
        del self._data[key]
        return self._sizes.pop(key)

    def clear(self) -> None:
        """Drop every entry of this cache."""
        order, number = self.budget._order, self._number
        for key in self._data:
            del order[number, key]
        self.budget.bytes -= self.bytes
        self._data.clear()
        self._sizes.clear()

    def __repr__(self) -> str:
        return (
            f"<BoundedCache {self.name!r}: {len(self)} entries, {self.bytes} bytes, "
            f"budget {self.budget.name!r} {self.budget.bytes} of {self.budget.limit}>"
        )


#: The findings every compiled rule set keeps for reuse, keys (the fact values the rules read)
#: included: 8 MiB for the whole process.
FINDINGS = Budget("findings", 8 * 1024 * 1024)
#: The JSON texts :func:`herniarules.dumps` keeps of findings, protocols and plugin records,
#: with the objects they were written from: 4 MiB for the whole process.
TEXTS = Budget("JSON texts", 4 * 1024 * 1024)
#: The protocols the engine keeps for reuse (per technique, keyed by the values of the facts
#: its builder declares), with their keys: 2 MiB for the whole process.
PROTOCOLS = Budget("protocols", 2 * 1024 * 1024)


def _entry_size(key: object, value: object) -> int:
    return estimate((key, value))


def caches() -> list[BoundedCache[Any, Any]]:
    """Return every bounded cache alive in the process."""
    return list(_CACHES)


def budgets() -> list[Budget]:
    """Return every budget alive in the process."""
    return list(_BUDGETS)


def total_bytes() -> int:
    """Return the estimated bytes all bounded caches hold now."""
    return sum(budget.bytes for budget in budgets())


def clear_all() -> None:
    """Empty every bounded cache."""
    for budget in budgets():
        budget.clear()
