"""The fast structurer: one generated function per record class that reads a valid record.

Most records are valid, and for them the walker's bookkeeping (paths, problem lists, one
function call per value) is most of the work. So a record is first read by a function
generated once per class, as Python source compiled the way attrs and cattrs do: the checks of
the table in :mod:`herniarules._checks` are written inline, every class the record reaches is
read inline too, and anything not exactly right abandons the attempt. The walker
(:mod:`herniarules._walk`) then reads the record again and reports every problem with its
path. The fast structurer therefore only ever answers "valid, and here is the object"; it
applies the table's own conversions and calls the same constructor with the same arguments, so
whatever it returns, the walker would have returned too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from herniarules import _checks
from herniarules._checks import Array, Case, Leaf, Optional, Record, Refusal, Unsupported
from herniarules._codegen import define
from herniarules._json import MAX_NESTING

__all__ = ["NOT_FAST_ERRORS", "NotFast", "build", "structurer"]


class NotFast(Exception):
    """The fast structurer met a value it does not accept; the walker reads the record instead.

    Raised as a fresh instance every time, like :class:`herniarules._walk.Invalid`.
    """


#: Everything a fast structurer raises on a value that is not exactly right: its own marker,
#: a failed enum lookup (KeyError, or TypeError for an unhashable value), a failed date
#: (ValueError), an integer beyond a float (OverflowError), a failed constructor or validator
#: (ValueError, TypeError). Anything else propagates, as it would from the walker.
NOT_FAST_ERRORS = (NotFast, KeyError, TypeError, ValueError, OverflowError)

#: ``fast(value, keys)``: the object, or one of :data:`NOT_FAST_ERRORS`; adds the number of
#: keys of every object it read to ``keys[0]``.
FastStructurer = Callable[[Any, list[int]], Any]


_FAST: dict[Any, FastStructurer] = {}


def structurer(cls: Any) -> FastStructurer:
    """Return the (cached) fast structurer of the attrs class ``cls``."""
    found = _FAST.get(cls)
    if found is None:
        found = _FAST[cls] = build(cls)
    return found


def build(root: Any) -> FastStructurer:
    """Generate, compile and return a fast structurer of the attrs class ``root``.

    A class whose records nest deeper than the JSON reader's limit is never read fast:
    ``loads_patient`` skips the depth check for what the fast structurer accepts. So is a
    type the generator has no inline code for.
    """
    generator = _Source()
    try:
        body = generator.record(root, "value", "result")
        if generator.deepest > MAX_NESTING:
            raise Unsupported(root)
    except Unsupported:

        def always_slow(value: Any, keys: list[int]) -> Any:
            raise NotFast

        return always_slow
    name = f"structure_{root.__name__}"
    lines = [
        f"def {name}(value, keys):",
        "    k = 0",
        *_indent(body),
        "    keys[0] += k",
        "    return result",
    ]
    fast: FastStructurer = define(
        "\n".join(lines),
        name,
        f"fast structurer of {root.__module__}.{root.__qualname__}",
        generator.namespace,
    )
    return fast


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


class _Source:
    """Writes the body of a fast structurer, with every class it reaches written inline.

    Inline, a nested record costs no function call; ``k`` counts the keys of every object read.
    ``deepest`` is the deepest nesting of objects and arrays that the structurer accepts.
    """

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"_NotFast": NotFast}
        self.names = 0
        self.inside: list[Any] = []  # the classes being written, to refuse one that holds itself
        self.depth = 0
        self.deepest = 0

    def nest(self) -> None:
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)

    def fresh(self, stem: str) -> str:
        self.names += 1
        return f"{stem}{self.names}"

    def constant(self, stem: str, value: Any) -> str:
        name = self.fresh(f"_{stem}")
        self.namespace[name] = value
        return name

    def refused(self, refusals: tuple[Refusal, ...], var: str) -> list[str]:
        """Return lines that give up if any of ``refusals`` applies to ``var``."""
        conditions = " or ".join(r.when.format(v=var) for r in refusals if r.fast)
        return [f"if {conditions}:", "    raise _NotFast"]

    def record(self, cls: Any, source: str, target: str) -> list[str]:
        """Return lines that read the object in ``source`` into an instance of ``cls``."""
        how = _checks.kind(cls)
        # The walker passes each field that is there by name and leaves the others to
        # __init__'s defaults; the generated call passes every parameter, a missing one as
        # that same default.
        if not isinstance(how, Record) or not how.direct or cls in self.inside:
            raise Unsupported(cls)
        if len(how.fields) >= _checks.MAX_ITEMS_PER_LIST:
            raise Unsupported(cls)  # the object's key limit would need checking (see OBJECT)
        self.inside.append(cls)
        self.nest()
        count = self.fresh("n")
        required = 0
        lines: list[str] = []
        positional: list[str] = []
        keywords: list[str] = []
        for field in how.fields:
            var = self.fresh("a")
            optional = _checks.kind(field.type)
            if field.required:
                required += 1
                lines.append(f"{var} = {source}[{field.name!r}]")
                lines.extend(self.checks(field.type, var))
            elif field.default is None and isinstance(optional, Optional):
                # Missing and null both give None, so only a value that is there is counted.
                lines.append(f"{var} = {source}.get({field.name!r})")
                lines.append(f"if {var} is not None:")
                lines.append(f"    {count} += 1")
                lines.extend(_indent(self.checks(optional.inner, var)))
            else:
                lines.append(f"if {field.name!r} in {source}:")
                lines.append(f"    {var} = {source}[{field.name!r}]")
                lines.append(f"    {count} += 1")
                lines.extend(_indent(self.checks(field.type, var)))
                lines.append("else:")
                lines.append(f"    {var} = {self.constant('default', field.default)}")
            if field.keyword_only:
                keywords.append(f"{field.name}={var}")
            else:
                positional.append(var)
        names = self.constant("names", how.names)
        constructor = self.constant(cls.__name__, cls)
        self.inside.pop()
        self.depth -= 1
        return [
            *self.refused(_checks.OBJECT, source),
            f"{count} = {required}",
            *lines,
            # The count of distinct fields that are there falls short of len() if a key names
            # no field, or a null was not counted; only then are the keys compared.
            f"if {count} != len({source}) and not {names}.issuperset({source}):",
            "    raise _NotFast",
            f"k += len({source})",
            f"{target} = {constructor}({', '.join([*positional, *keywords])})",
        ]

    def checks(self, tp: Any, var: str) -> list[str]:
        """Return lines that check ``var`` as the walker would, converting it in place."""
        how = _checks.kind(tp)
        if isinstance(how, Optional):
            return [f"if {var} is not None:", *_indent(self.checks(how.inner, var))]
        if isinstance(how, Array):
            item = self.fresh("e")
            self.nest()
            item_checks = _indent(self.checks(how.item, item))
            self.depth -= 1
            head = self.refused(_checks.ARRAY, var)
            if _keeps(how.item):  # nothing to convert: check each item and keep them all
                return [*head, f"for {item} in {var}:", *item_checks, f"{var} = tuple({var})"]
            items = self.fresh("items")
            return [
                *head,
                f"{items} = []",
                f"for {item} in {var}:",
                *item_checks,
                f"    {items}.append({item})",
                f"{var} = tuple({items})",
            ]
        if isinstance(how, Record):
            return self.record(tp, var, var)
        return self.leaf(how, var)

    def leaf(self, leaf: Leaf, var: str) -> list[str]:
        """Return the table's cases of ``leaf`` as lines converting ``var``, or giving up."""
        cases = _fast_cases(leaf)
        names = {"v": var}
        names.update((name, self.constant(name, value)) for name, value in leaf.constants.items())
        return self.cases(cases, names)

    def cases(self, cases: list[Case], names: dict[str, str]) -> list[str]:
        """Return lines taking the first of ``cases`` that applies, or giving up."""
        if not cases:
            return ["raise _NotFast"]
        first, rest = cases[0], cases[1:]
        gives = first.gives.format(**names)
        if first.when is None:  # always taken: if it fails, the attempt is given up
            return [f"{names['v']} = {gives}"]
        when = first.when.format(**names)
        if first.gives == "{v}":  # the value stays: check the other cases only if it fails
            return [f"if not ({when}):", *_indent(self.cases(rest, names))]
        return [
            f"if {when}:",
            f"    {names['v']} = {gives}",
            "else:",
            *_indent(self.cases(rest, names)),
        ]


def _fast_cases(leaf: Leaf) -> list[Case]:
    """The cases of ``leaf`` the fast structurer takes: up to the first it leaves to the walker
    (or the first that is always taken, after which no other is tried)."""
    cases: list[Case] = []
    for case in leaf.cases:
        if not case.fast:
            break
        if not set(case.fails).issubset(NOT_FAST_ERRORS):
            raise Unsupported(leaf)  # a failure it could not tell from a bug
        cases.append(case)
        if case.when is None:
            break
    return cases


def _keeps(tp: Any) -> bool:
    """Whether every value of the leaf type ``tp`` that the fast structurer takes stays as is."""
    how = _checks.kind(tp)
    return isinstance(how, Leaf) and all(case.gives == "{v}" for case in _fast_cases(how))
