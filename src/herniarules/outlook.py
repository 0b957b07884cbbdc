"""What would change the answer: when a blocked technique becomes bookable, and what lifts it.

:func:`outlook` looks at every technique that is not permitted on the assessment day and, for
each finding that blocks it, says what would make that finding stop blocking:

- **time**: the earliest day the finding stops applying, for findings whose rule reads a fact
  that grows with the calendar (days since the last course, days since spinal surgery, the
  assessment day) and for *requires clearance* findings that a clearance dated later will
  clear. Candidate days come from the rule itself (the thresholds its comparisons name) and
  from the patient's clearances; each is checked by assessing the patient again on that day.
- **threshold**: for a *defer* or *requires clearance* finding whose rule is one comparison of a
  value measured at the visit (pain score, body temperature, blood pressure), the value that
  would lift it ("pain score is 3 or below"), read from the rule's comparison and checked by
  evaluating the rule on facts with that value.
- **clearance**: a *requires clearance* finding lifts with a physician's clearance for the
  technique.
- **data**: an *insufficient data* finding lifts once the values it names are recorded (the
  verdict may then be anything).

A finding with none of these (cancer, pregnancy, the acute stage or an exacerbation, which
have no recorded expected end) changes neither by time nor by a value: its technique gets *no
change*, and then no threshold or clearance is suggested for it at all, so the outlook never
points towards massage the core forbids.

Outlooks are computed only when asked for: :meth:`herniarules.Engine.assess` does none of
this work. :func:`outlook` assesses again on each candidate day, a few assessments per blocked
technique.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import attrs

from herniarules.engine import PLUGIN_ERROR, Engine
from herniarules.facts import FACT_LABELS, Facts
from herniarules.model import Patient
from herniarules.outcomes import Assessment, Decision, Finding, Outcome
from herniarules.rules import All, Any_, Compare, Not, Rule

__all__ = [
    "DATA",
    "NO_CHANGE",
    "PERMITTED",
    "THRESHOLD_FACTS",
    "TIME",
    "TIME_FACTS",
    "VALUE",
    "Change",
    "DecisionOutlook",
    "Outlook",
    "Threshold",
    "outlook",
]

#: Facts that grow by one each day: a rule comparing them can stop applying with time.
TIME_FACTS: frozenset[str] = frozenset({"days_since_last_course", "days_since_surgery"})
#: Values measured at the visit that a threshold suggestion may name.
THRESHOLD_FACTS: frozenset[str] = frozenset(
    {"pain_score", "temperature_c", "bp_grade", "systolic_mmhg", "diastolic_mmhg"}
)
_WHOLE = frozenset({"pain_score", "bp_grade", "systolic_mmhg", "diastolic_mmhg"})

#: Statuses of a technique's outlook.
PERMITTED = "permitted"
"""The technique is permitted on the day: nothing to change."""
TIME = "by-time"
"""Every blocking finding lapses with time: :attr:`DecisionOutlook.earliest_day` says when."""
VALUE = "by-change"
"""No blocking finding is lasting, but some lift only with a lower value, a clearance or
recorded data (some may also lapse with time)."""
DATA = "needs-data"
"""Some blocking finding needs values recorded before anything can be said."""
NO_CHANGE = "no-change"
"""Some blocking finding changes neither with time nor with a value: nothing is suggested."""

_BLOCKING = Outcome.ALLOWED_WITH_MODIFICATIONS
#: How many times :func:`outlook` re-assesses on a later day to find the first bookable day.
_MAX_STEPS = 8
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


@attrs.frozen
class Threshold:
    """A value that lifts a finding: ``pain_score <= 3``."""

    fact: str
    """The fact's name (one of :data:`THRESHOLD_FACTS`)."""
    op: str
    """``<=``, ``<``, ``>=`` or ``>``."""
    value: float | int
    """The bound."""

    def text(self) -> str:
        """Return the threshold in words: ``pain score is 3 or below``."""
        label = FACT_LABELS.get(self.fact, self.fact.replace("_", " "))
        value = f"{self.value:g}"
        words = {
            "<=": f"{value} or below",
            "<": f"below {value}",
            ">=": f"{value} or above",
            ">": f"above {value}",
        }[self.op]
        return f"{label} is {words}"


@attrs.frozen
class Change:
    """What would stop one blocking finding from blocking."""

    rule_id: str
    outcome: Outcome
    """The finding's effective outcome on the assessment day."""
    lapses_on: date | None = None
    """The earliest day the finding stops blocking by time alone, checked by assessing the
    patient on that day; ``None`` when it does not lapse with time."""
    thresholds: tuple[Threshold, ...] = ()
    """Values that would lift the finding (any one of them is enough)."""
    clearance: str | None = None
    """The technique whose recorded physician clearance would lift the finding."""
    record: tuple[str, ...] = ()
    """Values to record before the finding can be decided (an *insufficient data* finding)."""
    withheld: bool = False
    """Whether what would lift the finding is left out because another finding of the same
    technique is lasting: nothing is suggested beside a blocker that nothing lifts."""

    @property
    def lasting(self) -> bool:
        """Return whether nothing lifts the finding: neither time, a value nor a clearance."""
        return (
            not self.withheld
            and self.lapses_on is None
            and not self.thresholds
            and self.clearance is None
            and not self.record
        )

    def text(self) -> str:
        """Return what lifts the finding, in words."""
        parts: list[str] = []
        if self.lapses_on is not None:
            parts.append(f"lapses on {self.lapses_on.isoformat()}")
        parts.extend(f"lifts once the {t.text()}" for t in self.thresholds)
        if self.clearance is not None:
            parts.append(f"lifts with a physician's clearance for {self.clearance}")
        if self.record:
            parts.append(f"record {', '.join(self.record)}")
        if self.withheld:
            parts.append("nothing is suggested while a lasting finding stands")
        return "; or ".join(parts) if parts else "no change by time or by a value"


@attrs.frozen
class DecisionOutlook:
    """What would change one technique's verdict."""

    technique: str
    outcome: Outcome
    """The verdict on the assessment day."""
    status: str
    """:data:`PERMITTED`, :data:`TIME`, :data:`VALUE`, :data:`DATA` or :data:`NO_CHANGE`."""
    changes: tuple[Change, ...] = ()
    """One per blocking finding, strictest first."""
    earliest_day: date | None = None
    """The earliest day every time-bound blocker of the assessment day has lapsed, when every
    blocker is time-bound; ``None`` otherwise."""
    bookable_on: date | None = None
    """The first day the technique is permitted by waiting alone, checked by assessing the
    patient on it (with the clearances recorded); ``None`` when waiting does not permit it."""
    lifts_when: tuple[str, ...] = ()
    """Everything that, together, would lift every blocker that does not lapse with time
    (``pain score is 3 or below``, ``a physician's clearance for honey``); empty for
    :data:`NO_CHANGE`."""

    def text(self) -> str:
        """Return the outlook in one line."""
        if self.status == PERMITTED:
            return "permitted"
        if self.status == NO_CHANGE:
            lasting = ", ".join(c.rule_id for c in self.changes if c.lasting)
            return f"no change by time or by a value ({lasting})"
        parts: list[str] = []
        if self.bookable_on is not None:
            parts.append(f"first bookable day {self.bookable_on.isoformat()}")
        elif self.earliest_day is not None:
            parts.append(
                f"its time-bound findings lapse on {self.earliest_day.isoformat()}, but it is "
                "still not permitted then"
            )
        if self.lifts_when:
            lead = (
                "sooner once"
                if self.bookable_on is not None
                else "may change once"
                if self.status == DATA
                else "permitted once"
            )
            parts.append(f"{lead}: {'; and '.join(self.lifts_when)}")
        return "; ".join(parts)


@attrs.frozen
class Outlook:
    """What would change the answer for every assessed technique of one patient."""

    patient_id: str
    as_of: date
    decisions: tuple[DecisionOutlook, ...]

    def decision(self, technique: str) -> DecisionOutlook:
        """Return the outlook of ``technique``; raise ``KeyError`` if it was not assessed."""
        for decision in self.decisions:
            if decision.technique == technique:
                return decision
        raise KeyError(technique)

    def to_dict(self) -> dict[str, Any]:
        """Return the outlook as plain JSON-able data (dates as ``YYYY-MM-DD``)."""
        return {
            "patient_id": self.patient_id,
            "as_of": self.as_of.isoformat(),
            "decisions": [_decision_dict(d) for d in self.decisions],
        }


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _decision_dict(decision: DecisionOutlook) -> dict[str, Any]:
    return {
        "technique": decision.technique,
        "outcome": decision.outcome.label,
        "status": decision.status,
        "earliest_day": _day(decision.earliest_day),
        "bookable_on": _day(decision.bookable_on),
        "lifts_when": list(decision.lifts_when),
        "text": decision.text(),
        "changes": [
            {
                "rule_id": c.rule_id,
                "outcome": c.outcome.label,
                "lapses_on": _day(c.lapses_on),
                "thresholds": [
                    {"fact": t.fact, "op": t.op, "value": t.value, "text": t.text()}
                    for t in c.thresholds
                ],
                "clearance": c.clearance,
                "record": list(c.record),
                "lasting": c.lasting,
                "withheld": c.withheld,
                "text": c.text(),
            }
            for c in decision.changes
        ],
    }


# -- reading the rules --------------------------------------------------------------------------


def _compares(expr: object) -> Iterator[Compare]:
    """Yield the comparisons of a predicate over whole facts (not inside item quantifiers)."""
    if isinstance(expr, Compare):
        yield expr
    elif isinstance(expr, All | Any_):
        for part in expr.parts:
            yield from _compares(part)
    elif isinstance(expr, Not):
        yield from _compares(expr.part)


def _time_offsets(rule: Rule, facts: Facts) -> set[int]:
    """Return the days from the assessment day at which the rule's time comparisons turn."""
    offsets: set[int] = set()
    for compare in _compares(rule.when):
        name, bound = compare.fact.name, compare.value
        if name in TIME_FACTS:
            current = getattr(facts, name)
            if current is None or isinstance(bound, bool) or not isinstance(bound, int | float):
                continue
            turn = int(bound) - current
        elif name == "as_of" and type(bound) is date:
            turn = (bound - facts.as_of).days
        else:
            continue
        offsets.update(d for d in (turn, turn + 1) if d > 0)
    return offsets


def _threshold(rule: Rule, facts: Facts) -> Threshold | None:
    """Return the value that makes the rule's one comparison false, checked on the facts."""
    when = rule.when
    if (
        not isinstance(when, Compare)
        or when.fact.name not in THRESHOLD_FACTS
        or rule.outcome not in (Outcome.DEFER, Outcome.REQUIRES_CLEARANCE)
        or when.op not in ("<", "<=", ">", ">=")
        or isinstance(when.value, bool)
        or not isinstance(when.value, int | float)
    ):
        return None
    op, value = _NEGATED[when.op], when.value
    if when.fact.name in _WHOLE and float(value).is_integer():
        # Whole numbers: "below 7" is "6 or below".
        value = int(value)
        if op == "<":
            op, value = "<=", value - 1
        elif op == ">":
            op, value = ">=", value + 1
    probe = value if op in ("<=", ">=") else value - 1 if op == "<" else value + 1
    if when.fact.name == "temperature_c" and op in ("<", ">"):
        probe = value - 0.1 if op == "<" else value + 0.1
    try:
        changed: dict[str, Any] = {when.fact.name: probe}
        lifted = when.evaluate(attrs.evolve(facts, **changed))
    except (TypeError, ValueError):
        return None
    return Threshold(when.fact.name, op, value) if lifted is False else None


def _tighter(first: Threshold, second: Threshold) -> Threshold:
    """Return the stricter of two thresholds on the same fact and in the same direction."""
    if first.op in ("<", "<="):
        if second.value != first.value:
            return first if first.value < second.value else second
        return first if first.op == "<" else second
    if second.value != first.value:
        return first if first.value > second.value else second
    return first if first.op == ">" else second


# -- the outlook --------------------------------------------------------------------------------


def _blocking(decision: Decision) -> list[Finding]:
    findings = [f for f in decision.findings if f.effective_outcome > _BLOCKING]
    return sorted(findings, key=lambda f: (-f.effective_outcome, f.rule_id))


def _blocked_ids(decision: Decision) -> set[str]:
    return {f.rule_id for f in decision.findings if f.effective_outcome > _BLOCKING}


class _Days:
    """Decisions of one technique on later days, each assessed once."""

    def __init__(self, engine: Engine, patient: Patient, technique: str) -> None:
        self.engine, self.patient, self.technique = engine, patient, technique
        self.seen: dict[date, Decision] = {}

    def on(self, day: date) -> Decision:
        decision = self.seen.get(day)
        if decision is None:
            decision = self.engine.evaluate(self.patient, self.technique, as_of=day)
            self.seen[day] = decision
        return decision


def _later(day: date, offset: int) -> date | None:
    try:
        return day + timedelta(days=offset)
    except OverflowError:
        return None


def _change(
    finding: Finding,
    rules: Mapping[str, Rule],
    facts: Facts,
    patient: Patient,
    technique: str,
    days: _Days,
) -> Change:
    rule = rules.get(finding.rule_id)
    outcome = finding.effective_outcome
    if rule is None or finding.rule_id == PLUGIN_ERROR:
        return Change(finding.rule_id, outcome)
    candidates = {d for d in map(lambda o: _later(facts.as_of, o), _time_offsets(rule, facts)) if d}
    if finding.outcome is Outcome.REQUIRES_CLEARANCE:
        candidates.update(
            c.date for c in patient.clearances if c.technique == technique and c.date > facts.as_of
        )
    lapses_on = next(
        (d for d in sorted(candidates) if finding.rule_id not in _blocked_ids(days.on(d))), None
    )
    if finding.outcome is Outcome.INSUFFICIENT_DATA:
        missing = rule.when.missing(facts) if rule.outcome is not Outcome.INSUFFICIENT_DATA else ()
        record = tuple(missing) or (rule.title[:1].lower() + rule.title[1:] + ": resolve it",)
        return Change(finding.rule_id, outcome, lapses_on, record=record)
    threshold = _threshold(rule, facts)
    clearance = technique if finding.outcome is Outcome.REQUIRES_CLEARANCE else None
    return Change(
        finding.rule_id,
        outcome,
        lapses_on,
        (threshold,) if threshold is not None else (),
        clearance,
    )


def _first_bookable(days: _Days, start: date, rules: Mapping[str, Rule]) -> date | None:
    """Return the first day from ``start`` on which waiting alone permits the technique."""
    day = start
    for _ in range(_MAX_STEPS):
        decision = days.on(day)
        if decision.permitted:
            return day
        facts = days.engine.facts(days.patient, day)
        later: list[date] = []
        for finding in _blocking(decision):
            change = _change(finding, rules, facts, days.patient, days.technique, days)
            if change.lapses_on is None:
                return None
            later.append(change.lapses_on)
        day = max(later)
    return None


def _decision_outlook(
    decision: Decision,
    rules: Mapping[str, Rule],
    facts: Facts,
    engine: Engine,
    patient: Patient,
) -> DecisionOutlook:
    technique = decision.technique
    if decision.permitted:
        return DecisionOutlook(technique, decision.outcome, PERMITTED)
    days = _Days(engine, patient, technique)
    changes = tuple(_change(f, rules, facts, patient, technique, days) for f in _blocking(decision))
    if any(c.lasting for c in changes):
        # Nothing is suggested beside a lasting blocker, not even what would lift the others.
        quiet = tuple(
            c if c.lasting else Change(c.rule_id, c.outcome, c.lapses_on, withheld=True)
            for c in changes
        )
        return DecisionOutlook(technique, decision.outcome, NO_CHANGE, quiet)
    timed = [c.lapses_on for c in changes if c.lapses_on is not None]
    earliest = max(timed) if len(timed) == len(changes) else None
    bookable = _first_bookable(days, earliest, rules) if earliest is not None else None
    lifts: list[str] = []
    bounds: dict[tuple[str, bool], Threshold] = {}
    clearance = False
    record: list[str] = []
    for change in changes:
        for threshold in change.thresholds:
            key = (threshold.fact, threshold.op in ("<", "<="))
            known = bounds.get(key)
            bounds[key] = threshold if known is None else _tighter(known, threshold)
        clearance = clearance or change.clearance is not None
        record.extend(change.record)
    lifts.extend(t.text() for t in bounds.values())
    if clearance:
        lifts.append(f"a physician's clearance for {technique} is recorded")
    lifts.extend(f"{what} is recorded" for what in dict.fromkeys(record))
    if bookable is not None and not any(c.lapses_on is None for c in changes):
        status = TIME
    elif record:
        status = DATA
    else:
        status = VALUE
    return DecisionOutlook(
        technique, decision.outcome, status, changes, earliest, bookable, tuple(lifts)
    )


def outlook(
    engine: Engine,
    patient: Patient,
    *,
    as_of: date | None = None,
    techniques: Sequence[str] | None = None,
    assessment: Assessment | None = None,
) -> Outlook:
    """Return what would change the verdict of each technique for ``patient``.

    :param as_of: the assessment day (default today).
    :param techniques: the techniques to look at (default every technique).
    :param assessment: the patient's assessment on ``as_of``, if the caller has it already
        (``engine.assess(patient, as_of=as_of)``); it is assessed otherwise.
    :raises ValueError: when ``assessment`` is of another patient or another day.
    """
    if assessment is None:
        assessment = engine.assess(patient, as_of=as_of, techniques=techniques)
    elif assessment.patient_id != patient.id or (as_of is not None and assessment.as_of != as_of):
        raise ValueError("the assessment is of another patient or another day")
    facts = engine.facts(patient, assessment.as_of)
    rules = {rule.id: rule for rule in engine.rules}
    wanted = None if techniques is None else set(techniques)
    decisions = tuple(
        _decision_outlook(d, rules, facts, engine, patient)
        for d in assessment.decisions
        if wanted is None or d.technique in wanted
    )
    return Outlook(patient.id, assessment.as_of, decisions)
