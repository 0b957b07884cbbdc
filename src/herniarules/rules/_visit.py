"""The dispatch tables the back-ends of the expression layer are written with.

Each operation of a back-end (evaluating a predicate, rendering it, generating its Python
code, listing the facts it reads) is one :class:`Dispatch`: a table from a node type to the
function that handles nodes of exactly that type, and the function that looks the node's type
up in it. A node whose type is not in the table is an error that names it, never a default
answer: a subclass of a node is a different node, and a back-end that has not been taught
about it must not guess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from herniarules._codegen import define
from herniarules.rules._core import RuleError

__all__ = ["Dispatch"]

R = TypeVar("R")
C = TypeVar("C", bound=Callable[..., Any])


class Dispatch(Generic[R]):
    """One operation of a back-end, implemented once per node type.

    :param operation: the name of the operation, and of :attr:`function` (``"evaluate"``).
    :param parameters: the parameters after the node, as in a ``def`` (``"facts=None"``).
    :param backend: the back-end, for errors (``"the interpreter"``).

    ``function(node, ...)`` calls the function registered for ``type(node)`` with the same
    arguments. It is generated with the parameters spelled out, because the back-ends call it
    once per node they visit and a call through ``*args`` costs several times as much.
    """

    def __init__(self, operation: str, parameters: str, backend: str) -> None:
        #: What the operation is, for errors: ``"the interpreter (evaluate)"``.
        self.name = f"{backend} ({operation})"
        #: The function for each node type.
        self.table: dict[type, Callable[..., R]] = {}
        names = [p.split("=")[0].strip() for p in parameters.split(",") if p.strip()]
        declared = "".join(f", {p.strip()}" for p in parameters.split(",") if p.strip())
        passed = "".join(f", {name}" for name in names)
        source = (
            f"def {operation}(node{declared}):\n"
            "    function = get(type(node))\n"
            "    if function is None:\n"
            "        raise unknown(node)\n"
            f"    return function(node{passed})\n"
        )
        namespace = {"get": self.table.get, "unknown": self.unknown}
        #: The operation: looks up the node's type and calls its function.
        self.function: Callable[..., R] = define(
            source, operation, f"dispatch of {self.name}", namespace
        )

    def __repr__(self) -> str:
        return f"Dispatch({self.name!r}, {len(self.table)} node types)"

    def register(self, *types: type) -> Callable[[C], C]:
        """Return a decorator registering a function for each of ``types``."""

        def decorate(function: C) -> C:
            for node_type in types:
                if node_type in self.table:
                    raise RuleError(f"{self.name} already handles {node_type.__qualname__}")
                self.table[node_type] = function
            return function

        return decorate

    def unknown(self, node: object) -> RuleError:
        """Return the error for a node this operation has no function for."""
        kind = type(node)
        return RuleError(
            f"{self.name} does not know the node type {kind.__module__}.{kind.__qualname__}: "
            "build predicates from F, H, Dx and Custom"
        )
