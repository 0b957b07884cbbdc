"""CDS Hooks cards from assessments: one card per technique, and one for what could not be read.

The card's ``indicator`` follows the outcome: ``critical`` for *defer* and *contraindicated*,
``warning`` for *requires clearance* and *insufficient data*, ``info`` for *allowed with
modifications* and *allowed*. The ``summary`` names the technique and the verdict in fewer than
140 characters; the Markdown ``detail`` lists every finding with its rule id, the patient values
behind it, where in the FHIR record those values came from, and the passage of the clinical
source; ``source`` names herniarules and links to the service's page about it; ``links`` open
each rule's page. Only a *requires clearance* card carries ``overrideReasons``: the physician
can clear the technique, while *defer* and *contraindicated* can never be lifted by a
clearance. No card holds a null or an empty value.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from herniarules.outcomes import Assessment, Decision, Finding, Outcome

__all__ = [
    "INDICATORS",
    "MAX_SUMMARY",
    "OVERRIDE_REASONS",
    "OVERRIDE_SYSTEM",
    "assessment_cards",
    "notice_card",
]

#: Summaries are shorter than this, as the specification asks.
MAX_SUMMARY = 140
INDICATORS: Mapping[Outcome, str] = {
    Outcome.ALLOWED: "info",
    Outcome.ALLOWED_WITH_MODIFICATIONS: "info",
    Outcome.REQUIRES_CLEARANCE: "warning",
    Outcome.INSUFFICIENT_DATA: "warning",
    Outcome.DEFER: "critical",
    Outcome.CONTRAINDICATED: "critical",
}
_VERDICTS: Mapping[Outcome, str] = {
    Outcome.ALLOWED: "may be given",
    Outcome.ALLOWED_WITH_MODIFICATIONS: "may be given, with modifications",
    Outcome.REQUIRES_CLEARANCE: "needs a physician's clearance first",
    Outcome.INSUFFICIENT_DATA: "cannot be assessed: data missing",
    Outcome.DEFER: "defer",
    Outcome.CONTRAINDICATED: "contraindicated",
}
#: The code system of the override reasons a *requires clearance* card offers.
OVERRIDE_SYSTEM = "urn:herniarules:cds-hooks:override-reason"
#: (code, display) of each override reason.
OVERRIDE_REASONS: tuple[tuple[str, str], ...] = (
    ("physician-clearance-given", "Physician clearance given for this technique"),
    ("clearance-recorded-elsewhere", "Physician clearance recorded in another system"),
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|<>])")


def _escape(text: str) -> str:
    """Return ``text`` with Markdown's special characters escaped (values from the record)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if value is None:
        return "not recorded"
    return str(value)


def _finding_lines(finding: Finding, provenance: Callable[[Finding], Sequence[str]]) -> list[str]:
    cleared = f", cleared by {_escape(finding.cleared_by)}" if finding.cleared_by else ""
    site = f" (site: {_escape(finding.site)})" if finding.site else ""
    lines = [
        f"- **{finding.outcome.label}**{cleared} `{finding.rule_id}`{site}: "
        f"{_escape(finding.message)}"
    ]
    if finding.explanation and finding.explanation != "always":
        lines.append(f"  - because {_escape(finding.explanation)}")
    values = "; ".join(f"{name} = {_value(v)}" for name, v in finding.evidence.items())
    if values:
        lines.append(f"  - values: {_escape(values)}")
    sources = provenance(finding)
    if sources:
        lines.append(f"  - from: {_escape(', '.join(sources))}")
    lines.append("")
    lines.append(f"  > {_escape(' '.join(finding.source.split()))}")
    lines.append("")
    return lines


def _detail(
    decision: Decision,
    name: str,
    day: date,
    fingerprint: str,
    lines_of: Callable[[Finding], list[str]],
) -> str:
    lines = [
        f"**{_escape(name)}** on {day.isoformat()}: **{decision.outcome.label}** "
        "(the most restrictive of the findings below).",
        "",
    ]
    ordered = sorted(decision.findings, key=lambda f: (-f.effective_outcome, f.rule_id))
    if ordered:
        lines.append("Findings:")
        lines.append("")
        for finding in ordered:
            lines.extend(lines_of(finding))
    else:
        lines.append("No rule restricts this technique for this patient.")
    protocol = decision.protocol
    if protocol is not None:
        low, high = protocol.session_minutes
        first, last = protocol.course_sessions
        lines += [
            "",
            f"Protocol: sessions of {low:g}-{high:g} min, a course of {first}-{last} sessions, "
            f"pressure: {_escape(protocol.pressure)}.",
        ]
        lines += [f"- avoid: {_escape(area)}" for area in protocol.avoid]
    if decision.outcome is Outcome.REQUIRES_CLEARANCE:
        lines += [
            "",
            "A physician may clear this technique; record the clearance in the patient's "
            "record (or override with a reason) to proceed.",
        ]
    lines += [
        "",
        f"herniarules supports clinicians; it does not replace them. Ruleset {fingerprint[:16]}.",
    ]
    return "\n".join(lines)


def _summary(decision: Decision, name: str, day: date | None) -> str:
    when = f" on {day.isoformat()}" if day is not None else ""
    head = f"{name}{when}: {_VERDICTS[decision.outcome]}"
    reasons = [f.message for f in decision.findings if f.effective_outcome == decision.outcome]
    if reasons and decision.outcome is not Outcome.ALLOWED:
        head = f"{head} ({reasons[0].rstrip('.')})"
    return _shorten(head, MAX_SUMMARY - 1)


def _links(decision: Decision, base_url: str) -> list[dict[str, str]]:
    ids = sorted({f.rule_id for f in decision.findings if f.effective_outcome == decision.outcome})[
        :5
    ]
    return [
        {"label": f"Rule {rule_id}", "url": f"{base_url}/rules/{rule_id}", "type": "absolute"}
        for rule_id in ids
    ]


def source(base_url: str, version: str, topic: tuple[str, str] | None = None) -> dict[str, Any]:
    """Return a card's ``source``: herniarules, its version, the service's about page."""
    value: dict[str, Any] = {
        "label": f"herniarules {version}: massage and disc hernia",
        "url": f"{base_url}/about",
    }
    if topic is not None:
        value["topic"] = {
            "system": "urn:herniarules:technique",
            "code": topic[0],
            "display": topic[1],
        }
    return value


def assessment_cards(
    assessments: Sequence[Assessment],
    *,
    names: Mapping[str, str],
    base_url: str,
    version: str,
    provenance: Callable[[Finding], Sequence[str]] = lambda finding: (),
) -> list[tuple[Decision, dict[str, Any]]]:
    """Return one card per technique and assessment day, each with its decision.

    :param assessments: one assessment per day (an ``appointment-book`` call for appointments
        on several days has several); with more than one, summaries name the day.
    :param names: display name of each technique id.
    :param base_url: the service's public base URL, for the ``source`` and rule links.
    :param provenance: where the values of a finding came from (resource and element).
    """
    cards: list[tuple[Decision, dict[str, Any]]] = []
    several = len(assessments) > 1
    # The core rules' findings are shared by every technique's decision: render each once.
    rendered: dict[int, tuple[Finding, list[str]]] = {}

    def lines_of(finding: Finding) -> list[str]:
        found = rendered.get(id(finding))
        if found is None or found[0] is not finding:
            found = rendered[id(finding)] = (finding, _finding_lines(finding, provenance))
        return found[1]

    for assessment in assessments:
        for decision in assessment.decisions:
            name = names.get(decision.technique, decision.technique)
            card: dict[str, Any] = {
                "uuid": str(uuid.uuid4()),
                "summary": _summary(decision, name, assessment.as_of if several else None),
                "indicator": INDICATORS[decision.outcome],
                "detail": _detail(
                    decision, name, assessment.as_of, assessment.ruleset_fingerprint, lines_of
                ),
                "source": source(base_url, version, (decision.technique, name)),
            }
            if decision.outcome is Outcome.REQUIRES_CLEARANCE:
                card["overrideReasons"] = [
                    {"system": OVERRIDE_SYSTEM, "code": code, "display": display}
                    for code, display in OVERRIDE_REASONS
                ]
            links = _links(decision, base_url)
            if links:
                card["links"] = links
            cards.append((decision, card))
    return cards


def notice_card(
    summary: str, detail: str, indicator: str, *, base_url: str, version: str
) -> dict[str, Any]:
    """Return a card that is not about one technique (data that could not be read)."""
    return {
        "uuid": str(uuid.uuid4()),
        "summary": _shorten(summary, MAX_SUMMARY - 1),
        "indicator": indicator,
        "detail": detail,
        "source": source(base_url, version),
    }
