"""Building frozen attrs instances on the engine's path: fill an open twin, then give it its class.

Every assessment builds a few frozen, slotted attrs objects: the facts and their items, the
findings that fire, one decision per technique and the assessment. Their ``__init__`` sets
each field through ``object.__setattr__`` (a frozen class refuses plain assignment), and
setting a slot through its descriptor instead is not much cheaper: each costs about ten
times a plain store into a slot, which Python specialises.

:func:`twin` makes a subclass of such a class that adds no slots and takes plain assignment.
An instance of the twin is filled with plain stores and then given the frozen class as its
``__class__``: the twin adds nothing to the layout, so Python allows the assignment, and the
result is an instance of exactly the frozen class, equal to and indistinguishable from one its
constructor builds, and frozen from then on. :func:`constructor` generates such a builder for
classes whose ``__init__`` does nothing but store its arguments.

Only code that has already checked and frozen the values it stores may build this way; the
constructors stay the door for everyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from herniarules._codegen import define

__all__ = ["constructor", "twin"]

T = TypeVar("T", bound=attrs.AttrsInstance)

_new = object.__new__


def twin(cls: type[T]) -> type[T]:
    """Return the open twin of ``cls``, a frozen slotted attrs class.

    Fill an instance (``object.__new__(twin)``) with plain attribute stores, every field and,
    for a class with ``cache_hash``, ``_attrs_cached_hash = None``; then set its
    ``__class__`` to ``cls``. Raises :class:`TypeError` for a class this does not fit.
    """
    if not attrs.has(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a slotted attrs class")
    if cls.__setattr__ is object.__setattr__:
        raise TypeError(f"{cls.__name__} is not frozen: build it with its constructor")
    open_cls: type[T] = type(
        f"_Open{cls.__name__}",
        (cls,),
        {
            "__slots__": (),
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
            "__module__": cls.__module__,
            "__doc__": f"An unfinished {cls.__name__}, before it is given its class.",
        },
    )
    probe: Any = _new(open_cls)
    probe.__class__ = cls  # the layouts match, or this raises here rather than per object
    return open_cls


def constructor(cls: type[T]) -> Callable[..., T]:
    """Return a function building ``cls`` from its fields in order, as its ``__init__`` does.

    Only for classes whose fields all go through ``__init__`` with no validator or converter
    and that have no ``__attrs_post_init__``, so that storing the arguments is all the
    constructor would do; the values must be frozen already (the constructor does not freeze
    them either).
    """
    fields = attrs.fields(cls)
    for field in fields:
        if field.validator is not None or field.converter is not None or not field.init:
            raise TypeError(f"{cls.__name__}.{field.name} needs {cls.__name__}.__init__")
    if hasattr(cls, "__attrs_post_init__"):
        raise TypeError(f"{cls.__name__} needs its __init__ for __attrs_post_init__")
    names = [f"a{i}" for i in range(len(fields))]
    namespace: dict[str, Any] = {"new": _new, "open_cls": twin(cls), "cls": cls}
    lines = [f"def make({', '.join(names)}):", "    x = new(open_cls)"]
    lines += [f"    x.{field.name} = a{index}" for index, field in enumerate(fields)]
    if "_attrs_cached_hash" in cls.__dict__:  # cache_hash=True: no hash computed yet
        lines.append("    x._attrs_cached_hash = None")
    lines += ["    x.__class__ = cls", "    return x"]
    make: Callable[..., T] = define(
        "\n".join(lines), "make", f"constructor of {cls.__name__}", namespace
    )
    return make
