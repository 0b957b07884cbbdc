"""Strict mode: check FHIR resources against the official FHIR R4 JSON schema before reading.

The reader (:func:`herniarules.fhir.from_bundle` and friends) checks only the elements it
reads. A :class:`SchemaValidator` checks every element of every resource against HL7's
``fhir.schema.json`` for R4 (4.0.1), which the caller provides (it is published with the FHIR
specification, https://hl7.org/fhir/R4/fhir.schema.json.zip). It needs ``jsonschema``
(``pip install herniarules[fhir-strict]``), imported only here. The schema does not check
references, terminology bindings or invariants, and leaves required primitives such as
``Observation.status`` to the reader.

    validator = SchemaValidator("fhir.schema.json")
    record = from_bundle(bundle, as_of=day, strict=validator)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from herniarules.errors import Problem
from herniarules.fhir._base import FhirError

__all__ = ["SchemaValidator"]


class SchemaValidator:
    """The FHIR R4 JSON schema, ready to check resources one type at a time."""

    def __init__(self, schema: str | Path | Mapping[str, Any]) -> None:
        """Load the schema from a file (or take it as parsed JSON)."""
        import jsonschema  # type: ignore[import-untyped]  # optional: strict mode only

        if isinstance(schema, Mapping):
            data = dict(schema)
        else:
            data = json.loads(Path(schema).read_text(encoding="utf-8"))
        definitions = data.get("definitions")
        if not isinstance(definitions, dict) or "Patient" not in definitions:
            raise ValueError("not the FHIR JSON schema: it has no definitions of resources")
        self._definitions = definitions
        self._jsonschema = jsonschema
        self._validators: dict[str, Any] = {}

    def _validator(self, kind: str) -> Any:
        validator = self._validators.get(kind)
        if validator is None:
            schema = {"$ref": f"#/definitions/{kind}", "definitions": self._definitions}
            validator = self._jsonschema.Draft6Validator(schema)
            self._validators[kind] = validator
        return validator

    def problems(self, resource: object, path: str) -> list[Problem]:
        """Return the problems of one resource, each named by its path under ``path``."""
        if not isinstance(resource, Mapping):
            return [Problem(path or "$", "must be a FHIR resource (an object)")]
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or kind not in self._definitions:
            return [
                Problem(
                    f"{path}.resourceType" if path else "resourceType",
                    f"not a FHIR R4 resource type: {kind!r}",
                )
            ]
        found = []
        for error in sorted(
            self._validator(kind).iter_errors(resource),
            key=lambda e: list(map(str, e.absolute_path)),
        ):
            where = path
            for step in error.absolute_path:
                where += (
                    f"[{step}]" if isinstance(step, int) else (f".{step}" if where else str(step))
                )
            message = error.message
            if len(message) > 300:
                message = message[:297] + "..."
            found.append(Problem(where or "$", f"FHIR R4 schema: {message}"))
        return found

    def check(self, items: Iterable[tuple[object, str]]) -> None:
        """Raise :class:`~herniarules.fhir.FhirError` naming every problem of ``items``,
        pairs of a resource and its path."""
        problems = [p for resource, path in items for p in self.problems(resource, path)]
        if problems:
            raise FhirError(problems)
