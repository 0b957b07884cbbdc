"""Shared fixtures: a patient factory and an in-test technique plugin.

The plugin here exists only for tests. It declares one technique, adds only the rules a test
gives it and always returns a protocol, so every restriction a test observes comes from the
core (or from the rules the test itself passed in).
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from herniarules import (
    Engine,
    Patient,
    Policy,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Rule,
    Technique,
    hookimpl,
    patient_from_dict,
)

#: The assessment date used throughout the tests, so that date arithmetic is reproducible.
AS_OF = date(2026, 11, 27)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "patients"

Tweak = Callable[[dict[str, Any]], None]

#: A patient with nothing that restricts massage: every value recorded, all of them clear.
CLEAR_PATIENT: dict[str, Any] = {
    "id": "T-001",
    "age": 46,
    "sex": "male",
    "vitals": {
        "systolic_mmhg": 120,
        "diastolic_mmhg": 80,
        "temperature_c": 36.6,
        "pain_score": 1,
    },
    "hernias": [
        {
            "region": "lumbar",
            "level": "L4-L5",
            "kind": "protrusion",
            "phase": "remission",
            "size_mm": 4.0,
            "surgery_indicated": False,
        }
    ],
    "inflammatory_process": False,
}

_NO_RESULT = object()


class TechniquePlugin:
    """A technique plugin for tests.

    :param technique: the technique id it declares.
    :param rules: the rules it declares (default none).
    :param fail_in: name of a hook (``techniques``, ``rules``, ``value_sets``, ``protocol``)
        that raises instead of answering.
    :param protocol_result: what the protocol builder returns instead of a protocol.
    :param reads: the facts the protocol builder declares.
    :param techniques_result: what ``herniarules_techniques`` returns instead of the technique.
    :param rules_result: what ``herniarules_rules`` returns instead of ``rules``.
    """

    def __init__(
        self,
        technique: str = "probe",
        rules: Sequence[Rule] = (),
        *,
        fail_in: str | None = None,
        protocol_result: object = _NO_RESULT,
        techniques_result: object = _NO_RESULT,
        rules_result: object = _NO_RESULT,
        indications: Iterable[str] = ("compression",),
        name: str | None = None,
        reads: Iterable[str] = (),
    ) -> None:
        self.reads = tuple(reads)
        self.technique_id = technique
        self.rules = tuple(rules)
        self.fail_in = fail_in
        self.protocol_result = protocol_result
        self.techniques_result = techniques_result
        self.rules_result = rules_result
        self.indications = tuple(indications)
        self.__name__ = name or f"{technique}-plugin"
        self.protocol_calls = 0

    def _maybe_fail(self, hook: str) -> None:
        if self.fail_in == hook:
            raise RuntimeError(f"{self.__name__} breaks in {hook}")

    @hookimpl
    def herniarules_techniques(self) -> object:
        self._maybe_fail("techniques")
        if self.techniques_result is not _NO_RESULT:
            return self.techniques_result
        return [
            Technique(
                id=self.technique_id,
                name=f"Test technique {self.technique_id}",
                description="A technique that exists only in the test suite.",
                source="test suite",
                indications=self.indications,
                protocol=self.protocol,
                reads=self.reads,
            )
        ]

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> object:
        self._maybe_fail("rules")
        if self.rules_result is not _NO_RESULT:
            return self.rules_result
        return list(self.rules)

    @hookimpl
    def herniarules_value_sets(self) -> object:
        self._maybe_fail("value_sets")
        return []

    def protocol(self, facts: ProtocolFacts, parameters: object) -> object:
        self.protocol_calls += 1
        self._maybe_fail("protocol")
        if self.protocol_result is not _NO_RESULT:
            return self.protocol_result
        return Protocol(
            technique=self.technique_id,
            steps=(ProtocolStep("stroking", "Light stroking along the spine.", minutes=5),),
            session_minutes=(10.0, 20.0),
            course_sessions=(10, 12),
            pressure="light",
        )


def build_patient(*tweaks: Tweak, **fields: Any) -> Patient:
    """Return the clear patient with ``fields`` replaced and each tweak applied to its data."""
    data = copy.deepcopy(CLEAR_PATIENT)
    data.update(copy.deepcopy(fields))
    for tweak in tweaks:
        tweak(data)
    return patient_from_dict(data)


def build_engine(*plugins: object, **options: Any) -> Engine:
    """Return an engine with only the given plugins (the probe plugin if none)."""
    return Engine(plugins or (TechniquePlugin(),), entry_points=False, **options)


@pytest.fixture(scope="session")
def as_of() -> date:
    """The assessment date of the test suite."""
    return AS_OF


@pytest.fixture
def patient_data() -> dict[str, Any]:
    """A fresh copy of the clear patient's JSON data, for a test to modify."""
    return copy.deepcopy(CLEAR_PATIENT)


@pytest.fixture(scope="session")
def make_patient() -> Callable[..., Patient]:
    """Factory: ``make_patient(tweak, ..., field=value)`` builds a modified clear patient."""
    return build_patient


@pytest.fixture(scope="session")
def plugin_class() -> type[TechniquePlugin]:
    """The in-test technique plugin class; instantiate it with the behaviour a test needs."""
    return TechniquePlugin


@pytest.fixture(scope="session")
def make_engine() -> Callable[..., Engine]:
    """Factory: ``make_engine(*plugins, **options)``, never loading installed plugins."""
    return build_engine


@pytest.fixture(scope="session")
def example_paths() -> list[Path]:
    """Every example patient file."""
    paths = sorted(EXAMPLES.glob("*.json"))
    assert len(paths) >= 8, f"expected the example patients in {EXAMPLES}"
    return paths


@contextlib.contextmanager
def installed_distributions(
    root: Path, distributions: Mapping[str, tuple[str, str, str, str]]
) -> Iterator[Path]:
    """Install distributions with ``herniarules`` entry points under ``root``, on ``sys.path``.

    ``distributions`` maps a distribution name to ``(version, entry-point name, module name,
    module source)``; each gets a ``.dist-info`` with its metadata, entry point and ``RECORD``.
    Everything is taken off ``sys.path`` and ``sys.modules`` again afterwards.
    """
    for dist, (version, ep_name, module, source) in distributions.items():
        info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[herniarules]\n{ep_name} = {module}\n", encoding="utf-8"
        )
        (info / "RECORD").write_text(f"{module}.py,,\n{info.name}/METADATA,,\n", "utf-8")
        (root / f"{module}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for _, _, module, _ in distributions.values():
            sys.modules.pop(module, None)
        importlib.invalidate_caches()
