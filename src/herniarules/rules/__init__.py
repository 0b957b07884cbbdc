"""Rules as data: a small expression layer over :class:`~herniarules.facts.Facts`.

A predicate is built from fact references and operators::

    from herniarules.rules import F, H, Rule
    F.pain_score >= 7
    F.has_hernia & F.worst_phase.in_("acute", "exacerbation")
    F.concepts.contains("malignancy")
    F.hernias.any(H.region.eq("cervical") & (H.size_mm >= 6))

and the same value can be evaluated, compiled to plain Python, rendered as text ("pain score
8 ≥ 7") and inspected (which facts it reads). The predicate itself is plain frozen data; each
of those is a back-end module that visits it (see the docs page "Expression layer: nodes and
back-ends"). Logic is three-valued (Kleene): a comparison
with an unrecorded fact is *unknown*, ``False & unknown`` is ``False``, ``True & unknown`` is
unknown. A rule whose predicate is unknown yields *insufficient data*, never *allowed*.

``F.hernias`` and ``F.conditions`` hold one item per hernia and per (active condition,
concept); ``any``, ``all`` and ``count`` over them take a predicate on one item, built from the
item fields ``H`` (hernias) and ``Dx`` (conditions)::

    F.hernias.any(H.region.in_("cervical", "thoracic") & (H.size_mm >= 6))
    F.hernias.all(H.phase.eq("remission"))
    F.hernias.count(H.phase.eq("acute")) >= 2
    F.conditions.any(Dx.concept.eq("varicose-veins") & Dx.site.eq("legs"))

An item predicate is three-valued too: a comparison with an item field that was not recorded
is unknown. ``any`` holds when some item holds, is unknown when none holds but some is
unknown, and fails otherwise (no items: fails); ``all`` is its dual (no items: holds);
``count(p) >= n`` holds when the items that certainly satisfy ``p`` reach ``n``, fails when
even counting the unknown ones they cannot, and is unknown otherwise.
"""

from __future__ import annotations

from herniarules.rules._core import (
    All,
    Always,
    Any_,
    Compare,
    Contains,
    Custom,
    Expr,
    Fact,
    In,
    Not,
    NotEmpty,
    RuleError,
    Tri,
    Witnesses,
)
from herniarules.rules._items import (
    CONDITION_ITEMS,
    HERNIA_ITEMS,
    Count,
    CountCompare,
    Dx,
    Every,
    F,
    H,
    ItemExpr,
    ItemField,
    ItemKind,
    Items,
    Some,
)
from herniarules.rules._rule import CompiledRules, Rule

__all__ = [
    "CONDITION_ITEMS",
    "HERNIA_ITEMS",
    "All",
    "Always",
    "Any_",
    "Compare",
    "CompiledRules",
    "Contains",
    "Count",
    "CountCompare",
    "Custom",
    "Dx",
    "Every",
    "Expr",
    "F",
    "Fact",
    "H",
    "In",
    "ItemExpr",
    "ItemField",
    "ItemKind",
    "Items",
    "Not",
    "NotEmpty",
    "Rule",
    "RuleError",
    "Some",
    "Tri",
    "Witnesses",
]
