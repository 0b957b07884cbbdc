"""From findings to a verdict: the one place herniarules decides.

Pure functions, no plugin code and no state. The engine gathers the findings of the core
rules and of a technique's own rules, then this module turns them into the technique's
verdict for one patient:

1. **Clearances**: a physician's clearance recorded for the technique and valid on the day
   satisfies its *requires clearance* findings, and nothing else (:func:`cleared`).
2. **Sites**: a local finding (of a rule with ``local=True``) whose sites all lie outside the
   technique's area becomes *allowed with modifications*; the protocol must avoid those
   sites (:func:`outside_area`).
3. **Most restrictive wins**: the verdict is the strictest effective outcome of the findings
   (:func:`most_restrictive`); nothing can lower it.
4. **Ranking**: permitted techniques, the best match to the patient's indications first, then
   the least restrictive, then by id (:func:`rank`).

:func:`judge` does steps 1-3 for one technique. It runs before any per-patient plugin code
(a protocol builder) is called, from findings the engine built and froze, so what a plugin
does afterwards can add a failure but never lower the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from herniarules.i18n.markers import N_
from herniarules.model import Clearance
from herniarules.outcomes import Finding, Outcome, _cleared

__all__ = ["clearances_on", "cleared", "judge", "most_restrictive", "outside_area", "rank"]

_PERMITTING = Outcome.ALLOWED_WITH_MODIFICATIONS
_REQUIRES_CLEARANCE = Outcome.REQUIRES_CLEARANCE
_INSUFFICIENT_DATA = Outcome.INSUFFICIENT_DATA


def most_restrictive(findings: Iterable[Finding]) -> Outcome:
    """Return the strictest effective outcome of ``findings``; ``ALLOWED`` if there are none."""
    worst = Outcome.ALLOWED
    for finding in findings:
        if finding.effective_outcome > worst:
            worst = finding.effective_outcome
    return worst


def clearances_on(clearances: Sequence[Clearance], day: date) -> dict[str, str]:
    """Return, per technique id, the physician of the first clearance valid on ``day``."""
    valid: dict[str, str] = {}
    for clearance in clearances:
        if clearance.technique not in valid and clearance.is_valid_on(day):
            valid[clearance.technique] = clearance.physician
    return valid


def cleared(findings: tuple[Finding, ...], physician: str) -> tuple[Finding, ...]:
    """Return ``findings`` with every *requires clearance* one cleared by ``physician``."""
    return tuple(
        _cleared(f, physician) if f.outcome is _REQUIRES_CLEARANCE else f for f in findings
    )


def outside_area(
    technique_name: str,
    treated: frozenset[str],
    local: Mapping[str, str],
    findings: tuple[Finding, ...],
) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """Return ``findings`` with local ones outside the technique's area made modifications.

    :param technique_name: the technique's name, for the message.
    :param treated: the site values the technique's area overlaps.
    :param local: the local rules' ids, each with its title.
    :returns: the findings, and what the protocol must avoid (``legs: varicose veins``). A
        finding of a local rule whose sites the technique does not treat becomes *allowed
        with modifications*; a finding without a site, with one inside the area, or for
        missing data is left as it is.
    """
    avoid: list[str] = []
    out: list[Finding] = []
    for finding in findings:
        title = local.get(finding.rule_id)
        site = finding.site
        if (
            title is None
            or site is None
            or finding.effective_outcome <= _PERMITTING
            or finding.outcome is _INSUFFICIENT_DATA
        ):
            out.append(finding)
            continue
        sites = site.split(", ")
        if not treated.isdisjoint(sites):
            out.append(finding)
            continue
        where = " and ".join(sites)
        out.append(
            Finding(
                finding.rule_id,
                _PERMITTING,
                N_(
                    "{message} The condition is on the {where}, outside the area {technique} "
                    "works on: the {where} must be avoided."
                ).format(message=finding.message, where=where, technique=technique_name),
                finding.source,
                finding.evidence,
                finding.explanation,
                site,
            )
        )
        avoid.extend(f"{part}: {title.lower()}" for part in sites)
    return tuple(out), tuple(dict.fromkeys(avoid))


def judge(
    core: tuple[Finding, ...],
    core_worst: Outcome,
    own: Sequence[Finding],
    physician: str | None,
    technique_name: str,
    treated: frozenset[str] | None,
    local: Mapping[str, str],
) -> tuple[tuple[Finding, ...], Outcome, tuple[str, ...]]:
    """Decide one technique from the core findings and its own.

    :param core: the core rules' findings; ``core_worst`` their :func:`most_restrictive`.
    :param own: the technique's own rules' findings.
    :param physician: who cleared the technique for the patient on the day, if anyone.
    :param technique_name: the technique's name, for messages.
    :param treated: the site values the technique's area overlaps, or ``None`` when no local
        finding can lie outside it (a whole-body technique, or no local finding).
    :param local: the local rules' ids, each with its title.
    :returns: the findings in order (core first), the verdict, and the sites to avoid.
    """
    worst = core_worst
    if own:
        findings = (*core, *own)
        for finding in own:
            if finding.effective_outcome > worst:
                worst = finding.effective_outcome
    else:
        findings = core
    if physician is not None:
        findings = cleared(findings, physician)
        worst = most_restrictive(findings)
    avoid: tuple[str, ...] = ()
    if worst > _PERMITTING and treated is not None:
        findings, avoid = outside_area(technique_name, treated, local, findings)
        if avoid:
            worst = most_restrictive(findings)
    return findings, worst, avoid


def rank(keys: Iterable[tuple[int, Outcome, str]]) -> tuple[str, ...]:
    """Return technique ids ordered by ``(-indications served, outcome, id)`` keys.

    Outcomes are ints and the ids break every tie, so the keys sort as they are.
    """
    return tuple([key[2] for key in sorted(keys)])
