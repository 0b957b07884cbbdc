"""Plain data to model objects and back: strict structuring, and the private cattrs converter.

:func:`structure` is the one way from plain data to a model object: the fast structurer
(:mod:`herniarules._fast`) first, and where it gives up, the walker (:mod:`herniarules._walk`),
which raises :class:`~herniarules.errors.InputError` naming the path of every problem.

:data:`converter` writes model and result objects as plain JSON-ready data (dates in ISO form,
enumeration members as their values, outcomes as their labels, derived fields included, sets
sorted); :mod:`herniarules._emit` and :mod:`herniarules.io` write with it. It also reads, but
only through :func:`structure`, for every type: cattrs' own structuring, which turns ``"5"``
into ``5``, is never used.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from herniarules import _fast, _walk
from herniarules.outcomes import (
    ASSESSMENT_AUDIT,
    DECISION_AUDIT,
    NESTED_DECISION_AUDIT,
    Assessment,
    Decision,
    Outcome,
)

__all__ = ["converter", "structure"]

T = TypeVar("T")


def structure(value: Any, cls: type[T]) -> T:
    """Read ``value`` as ``cls``; raise :class:`~herniarules.errors.InputError` if it is not one.

    Types the table of :mod:`herniarules._checks` does not read raise ``TypeError``.
    """
    try:
        result: T = _fast.structurer(cls)(value, [0])
    except _fast.NOT_FAST_ERRORS:
        pass  # read by the walker below, outside the handler: no context is kept
    else:
        return result
    return _walk.structure(value, cls)


class _Converter(cattrs.Converter):
    """A cattrs converter that structures strictly, through :func:`structure` alone."""

    __slots__ = ()

    def structure(self, obj: Any, cl: type[T]) -> T:
        return structure(obj, cl)

    def get_structure_hook(self, type: Any, cache_result: bool = True) -> Any:
        target = type

        def hook(value: Any, _: Any = None) -> Any:
            return structure(value, target)

        return hook


_MAPPINGS: tuple[object, ...] = (Mapping, dict)


def _make_converter() -> cattrs.Converter:
    conv = _Converter(forbid_extra_keys=True, omit_if_default=False)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value
    )
    # Derived fields (a decision's outcome, a finding's effective outcome) are written too.
    conv.register_unstructure_hook_factory(
        attrs.has,
        lambda cls: make_dict_unstructure_fn(cls, conv, _cattrs_include_init_false=True),
    )
    conv.register_unstructure_hook(Outcome, lambda o: o.label)
    _register_records(conv)
    conv.register_unstructure_hook(frozenset, lambda s: sorted(s))
    conv.register_unstructure_hook_func(
        lambda t: t is Mapping or typing.get_origin(t) in _MAPPINGS,
        lambda m: {k: conv.unstructure(v) for k, v in m.items()},
    )
    return conv


def _register_records(conv: cattrs.Converter) -> None:
    # A decision or assessment is written without its private audit context and with the
    # audit properties (herniarules.outcomes.DECISION_AUDIT and friends): a decision written
    # on its own is a full audit record, one inside an assessment carries only its id.
    def audited(cls: type[Any]) -> Any:
        return make_dict_unstructure_fn(
            cls, conv, _cattrs_include_init_false=True, _audit=override(omit=True)
        )

    def extra(value: Any, fields: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        for name, tp in fields.items():
            data[name] = conv.unstructure(getattr(value, name), tp)
        return data

    decision_fields = audited(Decision)
    assessment_fields = audited(Assessment)

    def nested(decision: Decision) -> dict[str, Any]:
        return extra(decision, NESTED_DECISION_AUDIT, decision_fields(decision))

    def decision(value: Decision) -> dict[str, Any]:
        return extra(value, DECISION_AUDIT, decision_fields(value))

    def assessment(value: Assessment) -> dict[str, Any]:
        data = assessment_fields(value)
        data["decisions"] = [nested(d) for d in value.decisions]
        return extra(value, ASSESSMENT_AUDIT, data)

    conv.register_unstructure_hook(Decision, decision)
    conv.register_unstructure_hook(Assessment, assessment)


#: The converter: ``converter.unstructure(obj)`` gives plain data; ``converter.structure(data,
#: cls)`` is :func:`structure`.
converter: cattrs.Converter = _make_converter()
