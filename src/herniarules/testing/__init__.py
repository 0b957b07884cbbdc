"""Tools for testing herniarules plugins: strategies, a conformance suite, raising plugins.

Needs the ``testing`` extra (``pip install herniarules[testing]``: hypothesis and pytest)::

    from herniarules.testing import PluginConformance, patients

    class TestMyPlugin(PluginConformance):
        plugin = my_plugin_module

:class:`TechniqueTests` and :class:`ApprovalTechniqueTests` (in
:mod:`herniarules.testing.techniques`) hold the example-based checks a technique's own tests
would otherwise repeat.

Names are imported on first use, so importing this package (which pytest does for every run
through the ``pytest11`` entry point) costs nothing until a test needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from herniarules.testing.conformance import (
        CHECKS,
        ConformanceError,
        PluginConformance,
        check_plugin,
        conformance_engine,
    )
    from herniarules.testing.hostile import (
        TamperingPlugin,
        check_fails_closed,
        check_tamper_proof,
        raising_plugin,
        tampering_plugins,
    )
    from herniarules.testing.strategies import (
        AS_OF,
        CONTRAINDICATING_CONCEPTS,
        allergies,
        clearances,
        codes,
        conditions,
        hernias,
        massage_courses,
        medications,
        patients,
        surgeries,
        vitals,
    )
    from herniarules.testing.techniques import (
        ApprovalTechniqueTests,
        TechniqueTests,
        clearance_for,
        healthy_patient,
    )

__all__ = [
    "AS_OF",
    "CHECKS",
    "CONTRAINDICATING_CONCEPTS",
    "ApprovalTechniqueTests",
    "ConformanceError",
    "PluginConformance",
    "TamperingPlugin",
    "TechniqueTests",
    "allergies",
    "check_fails_closed",
    "check_plugin",
    "check_tamper_proof",
    "clearance_for",
    "clearances",
    "codes",
    "conditions",
    "conformance_engine",
    "healthy_patient",
    "hernias",
    "massage_courses",
    "medications",
    "patients",
    "raising_plugin",
    "surgeries",
    "tampering_plugins",
    "vitals",
]

_CONFORMANCE = {
    "CHECKS",
    "ConformanceError",
    "PluginConformance",
    "check_plugin",
    "conformance_engine",
}

_HOSTILE = {
    "TamperingPlugin",
    "check_fails_closed",
    "check_tamper_proof",
    "raising_plugin",
    "tampering_plugins",
}


_TECHNIQUES = {
    "ApprovalTechniqueTests",
    "TechniqueTests",
    "clearance_for",
    "healthy_patient",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'herniarules.testing' has no attribute {name!r}")
    if name in _CONFORMANCE:
        module = "conformance"
    elif name in _HOSTILE:
        module = "hostile"
    elif name in _TECHNIQUES:
        module = "techniques"
    else:
        module = "strategies"
    value = getattr(importlib.import_module(f"herniarules.testing.{module}"), name)
    globals()[name] = value
    return value
