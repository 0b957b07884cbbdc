"""The screen's protocol builders: run once per distinct set of declared facts, sets unordered."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from herniarules import Engine, Patient
from herniarules.screen import screen

AS_OF = date(2026, 11, 27)
PLUGIN_ERROR = "engine.plugin-error"

_HERNIA = {
    "level": "L4-L5",
    "kind": "protrusion",
    "phase": "remission",
    "size_mm": 4.0,
    "surgery_indicated": False,
}
_LEVELS = {"lumbar": "L4-L5", "thoracic": "T7-T8", "cervical": "C5-C6"}


def _hernias(*regions: str) -> list[dict[str, Any]]:
    return [{**copy.deepcopy(_HERNIA), "region": r, "level": _LEVELS[r]} for r in regions]


def _outcomes(engine: Engine, patients: list[Patient]) -> dict[tuple[str, str], tuple[Any, ...]]:
    result = screen(patients, as_of=AS_OF, engine=engine)
    assert not result.errors
    return {
        (r["patient_id"], r["technique"]): (r["verdict"], sorted(r["fired_rules"]))
        for r in result.decisions.iter_rows(named=True)
    }


def _assessed(engine: Engine, patients: list[Patient]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (patient.id, d.technique): (d.outcome.label, sorted(f.rule_id for f in d.findings))
        for patient in patients
        for d in engine.assess(patient, as_of=AS_OF).decisions
    }


def test_a_builder_reading_a_set_runs_once_per_set_whatever_the_order_of_its_records(
    make_engine: Any, plugin_class: Any, make_patient: Any
) -> None:
    # The screen groups the permitted rows on the facts a builder declares. A set-valued fact
    # (here the regions of the hernias) comes out of the records in their order: patients
    # whose hernias are listed in another order have the same set, one builder call between
    # them, and the same outcome, as the engine decides them one by one.
    class Regional(plugin_class):  # type: ignore[misc]
        def protocol(self, facts: Any, parameters: object) -> object:
            self.seen = [*getattr(self, "seen", []), frozenset(facts.hernia_regions)]
            if facts.hernia_regions == frozenset({"lumbar", "thoracic"}):
                raise RuntimeError("no protocol for two regions")
            return super().protocol(facts, parameters)

    orders = [
        ("lumbar", "thoracic"),
        ("thoracic", "lumbar"),
        ("lumbar",),
        ("thoracic", "lumbar", "lumbar"),
        ("lumbar", "lumbar"),
    ]
    patients = [
        make_patient(id=f"P-{n}", hernias=_hernias(*regions)) for n, regions in enumerate(orders)
    ]

    def engine() -> tuple[Engine, Any]:
        regional = Regional("regional", reads=("hernia_regions",))
        return make_engine(plugin_class("good"), regional), regional

    screening_engine, regional = engine()
    screened = _outcomes(screening_engine, patients)
    assert screened == _assessed(engine()[0], patients)
    blocked = {
        pid
        for (pid, t), (_, fired) in screened.items()
        if t == "regional" and PLUGIN_ERROR in fired
    }
    assert blocked == {"P-0", "P-1", "P-3"}
    assert screened[("P-2", "regional")][0] == "allowed"
    assert screened[("P-4", "regional")][0] == "allowed"
    # Two distinct sets among five patients: two calls, one for each set.
    assert sorted(regional.seen, key=len) == [
        frozenset({"lumbar"}),
        frozenset({"lumbar", "thoracic"}),
    ]
