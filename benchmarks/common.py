"""What the rule-engine and zen-engine versions share: rule metadata and turning fired rules
into the same result as the hand-written baseline.

Both third-party engines only evaluate predicates; fact derivation (``baseline.derive``) and the
assembly of findings, clearances, verdicts, protocols and ranking (``baseline.decide``) are the
same plain Python for all three, so the difference in time is the rule evaluation itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import baseline
from techniques import TECHNIQUE_RULES, TECHNIQUES, plugins

from herniarules.model import Patient
from herniarules.safety import DEFAULT_POLICY, core_rules

_CORE = core_rules(DEFAULT_POLICY)
_PLUGIN_RULES = [rule for plugin in plugins() for rule in plugin.rules]

#: Rule ids in evaluation order: core rules first, then the techniques' rules.
RULE_IDS: tuple[str, ...] = tuple(r.id for r in _CORE) + tuple(t.id for t in TECHNIQUE_RULES)
#: The facts each rule reads (its evidence), taken from the rule definitions.
READS: dict[str, tuple[str, ...]] = {r.id: r.when.reads() for r in (*_CORE, *_PLUGIN_RULES)}
#: The technique a rule belongs to; ``None`` for core rules.
TECHNIQUE_OF: dict[str, str | None] = {r.id: None for r in _CORE}
TECHNIQUE_OF.update({t.id: t.technique for t in TECHNIQUE_RULES})
TECHNIQUE_IDS = tuple(tid for tid, _, _ in TECHNIQUES)


#: The rules over condition items: rule id -> (concept, tier); they fire with the items.
TIERED: dict[str, tuple[str, str]] = {
    rule_id: (concept, tier) for rule_id, concept, tier in baseline.TIERED_RULES
}

Fired = tuple[str, bool | None, tuple[Any, ...] | None]


def result_from_fired(
    patient: Patient, as_of: date, f: dict[str, Any], fired: list[Fired]
) -> baseline.Result:
    """Build the baseline-shaped result from ``(rule id, True or None, items)`` triples.

    ``items`` are the condition items a rule over items fired for (its evidence), ``None``
    for a rule over whole facts, whose evidence is the values of the facts it reads.
    """
    core: list[baseline.Finding] = []
    own: dict[str, list[baseline.Finding]] = {t: [] for t in TECHNIQUE_IDS}
    for rule_id, value, items in fired:
        if items is None:
            evidence = {name: f[name] for name in READS[rule_id]}
        else:
            evidence = {"conditions": items}
        finding = baseline.hit(rule_id, evidence) if value else baseline.unknown(rule_id, evidence)
        technique = TECHNIQUE_OF[rule_id]
        (core if technique is None else own[technique]).append(finding)
    return baseline.decide(patient, as_of, f, core, own)
