"""The plain-text report of an assessment, in a chosen locale.

The text of ``herniarules assess`` (``--format text``), rendered through a
:class:`~herniarules.i18n.Translator`: in English it is the same text byte for byte (a test
compares them for every example patient).
"""

from __future__ import annotations

from collections.abc import Iterator

from herniarules.i18n import Translator, localize, translator
from herniarules.i18n.markers import N_
from herniarules.model import Patient
from herniarules.outcomes import Assessment, Decision, Finding, Outcome, Protocol

__all__ = ["explain"]


def explain(
    assessment: Assessment,
    locale: str = "en",
    *,
    verbose: bool = True,
    patient: Patient | None = None,
    indications: dict[str, tuple[str, ...]] | None = None,
) -> str:
    """Return the plain-text report of ``assessment`` in ``locale`` (``"en"`` or ``"ru"``).

    ``patient`` adds notes on clearances that clear nothing; ``indications`` (technique id to
    its indications) says why the permitted techniques are ranked as they are.
    """
    tr = translator(locale)
    lines: list[str] = []
    _assessment(localize(assessment, tr), tr, lines, verbose, patient, indications or {})
    return "".join(lines)


def _pressure(pressure: str) -> str:
    level, _, how = pressure.partition(": ")
    return f"{level} ({how})" if how else level


def _finding(finding: Finding, tr: Translator, out: list[str]) -> None:
    label = finding.outcome.label if tr.locale == "en" else tr.outcome(finding.outcome)
    cleared = (
        tr.text(N_(", cleared by {physician}")).format(physician=finding.cleared_by)
        if finding.cleared_by
        else ""
    )
    site = tr.text(N_(" at {site}")).format(site=tr.text(finding.site)) if finding.site else ""
    out.append(f"      - [{label}{cleared}] {finding.rule_id}{site}: {finding.message}\n")
    if finding.explanation and finding.explanation not in _always(tr):
        out.append(
            tr.text(N_("        because {explanation}\n")).format(explanation=finding.explanation)
        )


def _always(tr: Translator) -> tuple[str, str]:
    # a rule that always applies has no condition worth a line, in any locale
    return ("always", tr.pgettext("explanation", "always"))


def _minutes(tr: Translator, value: float) -> str:
    return f"{value:g}" if tr.locale == "en" else tr.number(value)


def _protocol(protocol: Protocol, tr: Translator, out: list[str], verbose: bool) -> None:
    low, high = protocol.session_minutes
    first, last = protocol.course_sessions
    steps = len(protocol.steps)
    out.append(
        "      "
        + tr.ngettext("protocol: {n} step", "protocol: {n} steps", steps).format(n=steps)
        + tr.text(N_(", sessions of {low}-{high} min")).format(
            low=_minutes(tr, low), high=_minutes(tr, high)
        )
        + tr.ngettext(
            ", course of {first}-{n} session", ", course of {first}-{n} sessions", last
        ).format(first=first, n=last)
        + tr.text(N_(", pressure {pressure}\n")).format(pressure=_pressure(protocol.pressure))
    )
    if verbose:
        for number, step in enumerate(protocol.steps, 1):
            reps = f" x{step.repetitions}" if step.repetitions else ""
            out.append(f"        {number}. {step.name}{reps}: {step.description}\n")
    for area in protocol.avoid:
        out.append(tr.text(N_("        avoid: {area}\n")).format(area=area))


def _decision(decision: Decision, tr: Translator, out: list[str], verbose: bool) -> None:
    verdict = tr.text(N_("PERMITTED") if decision.permitted else N_("NOT PERMITTED"))
    label = decision.outcome.label if tr.locale == "en" else tr.outcome(decision.outcome)
    out.append(f"  {decision.technique:<14} {verdict:<14} {label}\n")
    findings = sorted(decision.findings, key=lambda f: (-f.effective_outcome, f.rule_id))
    shown = [
        f
        for f in findings
        if verbose
        or f.effective_outcome == decision.outcome
        or f.effective_outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    ]
    for finding in shown:
        _finding(finding, tr, out)
    if len(shown) < len(findings):
        more = len(findings) - len(shown)
        out.append(
            tr.ngettext(
                "      ({n} less restrictive finding; --verbose)\n",
                "      ({n} less restrictive findings; --verbose)\n",
                more,
            ).format(n=more)
        )
    if decision.protocol is not None:
        _protocol(decision.protocol, tr, out, verbose)


def _assessment(
    assessment: Assessment,
    tr: Translator,
    out: list[str],
    verbose: bool,
    patient: Patient | None,
    indications: dict[str, tuple[str, ...]],
) -> None:
    day = assessment.as_of.isoformat() if tr.locale == "en" else tr.date(assessment.as_of)
    out.append(
        tr.text(N_("Patient {patient} (assessed {day})\n")).format(
            patient=assessment.patient_id, day=day
        )
    )
    for decision in assessment.decisions:
        _decision(decision, tr, out, verbose)
    if assessment.ranking:
        out.append(tr.text(N_("  ranking of the permitted techniques, best first:\n")))
        wanted = set(patient.indications) if patient is not None else set()
        for number, technique in enumerate(assessment.ranking, 1):
            outcome = assessment.decision(technique).outcome
            label = outcome.label if tr.locale == "en" else tr.outcome(outcome)
            matches = sorted(wanted.intersection(indications.get(technique, ())))
            why = (
                tr.text(N_("matches {indications}")).format(
                    indications=", ".join(tr.text(m) for m in matches)
                )
                if matches
                else tr.text(N_("matches none of the patient's indications"))
                if wanted
                else tr.text(N_("no indications recorded"))
            )
            out.append(f"    {number}. {technique} ({label}; {why})\n")
    if patient is not None:
        for note in _clearance_notes(patient, assessment, tr):
            out.append(tr.text(N_("  note: {note}\n")).format(note=note))
    for technique in assessment.unmatched_clearances:
        out.append(
            tr.text(
                N_(
                    "  note: a clearance is recorded for {technique}, which no installed "
                    "plugin provides; it clears nothing\n"
                )
            ).format(technique=repr(technique))
        )
    out.append("\n")


def _clearance_notes(patient: Patient, assessment: Assessment, tr: Translator) -> Iterator[str]:
    day = assessment.as_of
    for clearance in patient.clearances:
        if clearance.date > day:
            yield tr.text(
                N_(
                    "the clearance for {technique} by {physician} is dated {day}, after the "
                    "assessment day"
                )
            ).format(
                technique=clearance.technique,
                physician=clearance.physician,
                day=clearance.date.isoformat(),
            )
        elif clearance.valid_until is not None and clearance.valid_until < day:
            yield tr.text(
                N_(
                    "the clearance for {technique} by {physician} expired on {day}; it clears "
                    "nothing"
                )
            ).format(
                technique=clearance.technique,
                physician=clearance.physician,
                day=clearance.valid_until.isoformat(),
            )


#: The outcome labels in words, as the text report writes them in a locale other than English.
OUTCOME_WORDS: tuple[str, ...] = (
    N_("allowed"),
    N_("allowed with modifications"),
    N_("requires clearance"),
    N_("insufficient data"),
    N_("defer"),
    N_("contraindicated"),
)

#: The body sites (:class:`herniarules.Site`) as a message names them.
SITE_WORDS: tuple[str, ...] = (
    N_("whole-body"),
    N_("head"),
    N_("neck"),
    N_("back"),
    N_("thoracic-back"),
    N_("lumbar"),
    N_("sacral"),
    N_("buttocks"),
    N_("chest"),
    N_("abdomen"),
    N_("arms"),
    N_("legs"),
)

#: The indications (:class:`herniarules.Indication`), as the ranking names them.
INDICATION_WORDS: tuple[str, ...] = (
    N_("pain-relief"),
    N_("muscle-relaxation"),
    N_("muscle-weakness"),
    N_("compression"),
    N_("pinched-muscle-fibres"),
    N_("circulation"),
    N_("disc-nutrition"),
    N_("prevention"),
    N_("rehabilitation"),
)
