"""JSON Schemas generated from the model classes, never written by hand.

:func:`patient_schema` describes what :func:`herniarules.io.patient_from_dict` accepts;
:func:`assessment_schema` describes what :func:`herniarules.io.assessment_to_dict` writes.
Both walk the attrs classes and their type hints, so they cannot drift from the code.
"""

from __future__ import annotations

import enum
import itertools
import re
import types
import typing
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from herniarules.model import Patient
from herniarules.outcomes import (
    ASSESSMENT_AUDIT,
    DECISION_AUDIT,
    NESTED_DECISION_AUDIT,
    Assessment,
    Decision,
    Outcome,
)
from herniarules.vocabulary import Term

__all__ = ["assessment_schema", "decision_schema", "patient_schema", "plain_text"]

#: The audit fields each record writes beside its attrs fields (see herniarules._emit).
_AUDIT: dict[type, dict[str, Any]] = {Decision: NESTED_DECISION_AUDIT, Assessment: ASSESSMENT_AUDIT}

_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`<]*?)(?:\s*<[^>]*>)?`")
_LITERAL = re.compile(r"``([^`]*)``")


def plain_text(doc: str) -> str:
    """Return a docstring's text without reStructuredText markup, on one line.

    ``:class:`~herniarules.Decision``` becomes ``Decision``, a double-backquoted literal its
    text, ``:func:`label <target>``` its label.
    """

    def role(match: re.Match[str]) -> str:
        target = match.group(1).strip()
        return target.rsplit(".", 1)[-1] if "<" not in match.group(0) else target

    text = _ROLE.sub(role, doc)
    text = _LITERAL.sub(r"\1", text)
    return " ".join(text.replace("`", "'").split())


_DRAFT = "https://json-schema.org/draft/2020-12/schema"


class _Builder:
    def __init__(self, *, output: bool, audit: dict[type, dict[str, Any]] | None = None) -> None:
        self.output = output
        self.audit = _AUDIT if audit is None else audit
        self.defs: dict[str, Any] = {}

    def of(self, tp: Any) -> dict[str, Any]:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args: Any = [a for a in typing.get_args(tp) if a is not type(None)]
            inner = self.of(args[0]) if len(args) == 1 else {"anyOf": [self.of(a) for a in args]}
            return {"anyOf": [inner, {"type": "null"}]}
        if origin in (tuple, frozenset):
            args = typing.get_args(tp)
            if origin is tuple and len(args) == 2 and args[1] is not Ellipsis:
                return {
                    "type": "array",
                    "prefixItems": [self.of(a) for a in args],
                    "minItems": 2,
                    "maxItems": 2,
                }
            return {"type": "array", "items": self.of(args[0])}
        if origin is not None and issubclass(origin, Mapping):
            return {"type": "object"}
        if tp is Outcome:
            return {"type": "string", "enum": [o.label for o in Outcome]}
        if isinstance(tp, type) and issubclass(tp, Term):
            # A vocabulary reads its synonyms too; they are listed after the terms.
            return {"type": "string", "enum": [*(m.value for m in tp), *tp.synonyms()]}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"type": "string", "enum": [m.value for m in tp]}
        if isinstance(tp, type) and attrs.has(tp):
            self.define(tp)
            return {"$ref": f"#/$defs/{tp.__name__}"}
        simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
        if tp in simple:
            return {"type": simple[tp]}
        if tp is date:
            return {"type": "string", "format": "date"}
        if tp is object or tp is Any:
            return {}
        raise TypeError(f"no schema for {tp!r}")  # pragma: no cover

    def define(self, cls: type, name: str | None = None) -> None:
        name = name or cls.__name__
        if name in self.defs:
            return
        self.defs[name] = {}
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        audit = self.audit.get(cls, {}) if self.output else {}
        for field in attrs.fields(cls):
            if (not self.output and not field.init) or field.name.startswith("_"):
                continue
            prop = self.of(hints[field.name])
            target = prop["anyOf"][0] if "anyOf" in prop else prop
            bounds = getattr(field.validator, "bounds", None)
            if bounds is not None:
                target["minimum"], target["maximum"] = bounds
            pattern = getattr(field.validator, "pattern", None)
            if pattern is not None:
                target["pattern"] = pattern.pattern
            choices = getattr(field.validator, "choices", None)
            if choices is not None:
                target["enum"] = list(choices)
            doc = _field_doc(cls, field.name)
            if doc:
                prop["description"] = plain_text(doc)
            properties[field.name] = prop
            if self.output or field.default is attrs.NOTHING:
                required.append(field.name)
        for extra, tp in audit.items():
            prop = self.of(tp)
            doc = getattr(cls, extra).__doc__ or ""
            prop["description"] = plain_text(doc.split("\n\n")[0])
            properties[extra] = prop
            required.append(extra)
        if audit:
            properties["masked"] = {
                "type": "array",
                "items": {"type": "string"},
                "description": "Present only in a masked record: the keys whose values a mask "
                "replaced wherever they occur ('*' when a custom mask does not say).",
            }
        properties = dict(sorted(properties.items()))
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        if cls.__doc__:
            schema["description"] = plain_text(cls.__doc__.strip().split("\n\n")[0])
        self.defs[name] = schema


def _field_doc(cls: type, name: str) -> str:
    import ast
    import inspect

    try:
        tree = ast.parse(inspect.getsource(cls))
    except (OSError, TypeError):  # pragma: no cover - source always ships with the package
        return ""
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            return " ".join(following.value.value.split())
    return ""


def _schema(
    cls: type, title: str, *, output: bool, audit: dict[type, dict[str, Any]] | None = None
) -> dict[str, Any]:
    builder = _Builder(output=output, audit=audit)
    builder.define(cls, "$root")
    root = builder.defs.pop("$root")
    return {"$schema": _DRAFT, "title": title, **root, "$defs": builder.defs}


def patient_schema() -> dict[str, Any]:
    """Return the JSON Schema of a patient record (input)."""
    return _schema(Patient, "herniarules patient record", output=False)


def assessment_schema() -> dict[str, Any]:
    """Return the JSON Schema of an assessment (output)."""
    return _schema(Assessment, "herniarules assessment", output=True)


def decision_schema() -> dict[str, Any]:
    """Return the JSON Schema of a decision recorded on its own (``dumps(engine.evaluate())``)."""
    return _schema(
        Decision,
        "herniarules decision",
        output=True,
        audit={**_AUDIT, Decision: DECISION_AUDIT},
    )
