"""The text of the ``plan``, ``techniques`` and ``rules`` commands in a chosen locale.

In English the text is the one the command line has always printed (a test compares them);
in another locale the same lines with the texts translated: technique names, indications,
rule titles, messages and conditions, outcome labels, dates and numbers by CLDR. Ids, codes
and the ruleset fingerprint stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from herniarules.courses import CoursePlan
from herniarules.i18n import Translator, translator
from herniarules.i18n.markers import N_
from herniarules.rules import Rule
from herniarules.technique import Technique

__all__ = ["NOTES", "plan_lines", "rule_lines", "technique_lines"]

#: The notes the plugins' course plans write, as templates (``{n}`` numbers by CLDR).
NOTES: tuple[str, ...] = (
    N_(
        "Sessions are booked at {low} minutes; the therapist may lengthen them up to {high} "
        "minutes as the patient tolerates."
    ),
    N_("The course may be extended to {n} daily sessions (planned: {first})."),
    N_("The course may be extended to {n} daily sessions."),
    N_(
        "A break of {days} days follows the course; a repeated course is prescribed by the "
        "attending physician."
    ),
)


def _tr(locale: str | Translator) -> Translator:
    return locale if isinstance(locale, Translator) else translator(locale)


def technique_lines(techniques: Iterable[Technique], locale: str | Translator) -> Iterator[str]:
    """Yield the lines of ``herniarules techniques``: id, name and indications."""
    tr = _tr(locale)
    for technique in techniques:
        indications = ", ".join(tr.text(i) for i in technique.indications) or "-"
        yield tr.text(N_("{id} {name} (for: {indications})\n")).format(
            id=f"{technique.id:<14}", name=tr.text(technique.name), indications=indications
        )


def rule_lines(rules: Iterable[Rule], fingerprint: str, locale: str | Translator) -> Iterator[str]:
    """Yield the lines of ``herniarules rules``: each rule's condition, outcome and message."""
    from herniarules.rules import _render

    tr = _tr(locale)
    for rule in rules:
        if rule.techniques is None:
            scope = tr.text(N_("all techniques"))
        else:
            scope = ", ".join(sorted(rule.techniques))
        condition = _render.render(rule.when)
        if tr.locale != "en":
            condition = _render.in_locale(condition, tr)
        outcome = rule.outcome.label if tr.locale == "en" else tr.outcome(rule.outcome)
        yield f"{rule.id}: {condition} → {outcome}  [{scope}]\n    {tr.text(rule.message)}\n"
    yield tr.text(N_("ruleset fingerprint {fingerprint}\n")).format(fingerprint=fingerprint)


def _day(tr: Translator, value: object) -> str:
    from datetime import date

    assert isinstance(value, date)
    return value.isoformat() if tr.locale == "en" else tr.date(value)


def plan_lines(plan: CoursePlan, locale: str | Translator) -> Iterator[str]:
    """Yield the lines of ``herniarules plan``: the dated sessions, the break and the notes."""
    tr = _tr(locale)
    yield tr.text(N_("Course of {technique} for patient {patient}\n")).format(
        technique=plan.technique, patient=plan.patient_id
    )
    number, day, minutes = tr.text(N_("#")), tr.text(N_("date")), tr.text(N_("minutes"))
    width = 10 if tr.locale == "en" else 16
    yield f"  {number:>3}  {day:<{width}}  {minutes:>7}\n"
    for session in plan.sessions:
        value = f"{session.minutes:g}" if tr.locale == "en" else tr.number(session.minutes)
        yield f"  {session.number:>3}  {_day(tr, session.date):<{width}}  {value:>7}\n"
    yield tr.ngettext(
        "  course ends {end}; break of {n} day\n",
        "  course ends {end}; break of {n} days\n",
        plan.break_days,
    ).format(end=_day(tr, plan.end), n=plan.break_days)
    yield tr.text(N_("  next course no earlier than {day}\n")).format(
        day=_day(tr, plan.next_course_earliest)
    )
    for note in plan.notes:
        yield tr.text(N_("  note: {note}\n")).format(note=tr.text(note))
