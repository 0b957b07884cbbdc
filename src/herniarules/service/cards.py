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

import functools
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from herniarules.i18n import LOCALES
from herniarules.i18n.markers import C_, N_
from herniarules.outcomes import Assessment, Decision, Finding, Outcome

if TYPE_CHECKING:
    from herniarules.i18n import Translator

__all__ = [
    "INDICATORS",
    "MAX_SUMMARY",
    "OVERRIDE_REASONS",
    "OVERRIDE_SYSTEM",
    "assessment_cards",
    "detailed_cards",
    "negotiate",
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
    Outcome.ALLOWED: N_("may be given"),
    Outcome.ALLOWED_WITH_MODIFICATIONS: N_("may be given, with modifications"),
    Outcome.REQUIRES_CLEARANCE: N_("needs a physician's clearance first"),
    Outcome.INSUFFICIENT_DATA: N_("cannot be assessed: data missing"),
    Outcome.DEFER: C_("verdict", "defer"),
    Outcome.CONTRAINDICATED: C_("verdict", "contraindicated"),
}
#: The code system of the override reasons a *requires clearance* card offers.
OVERRIDE_SYSTEM = "urn:herniarules:cds-hooks:override-reason"
#: (code, display) of each override reason.
OVERRIDE_REASONS: tuple[tuple[str, str], ...] = (
    ("physician-clearance-given", N_("Physician clearance given for this technique")),
    ("clearance-recorded-elsewhere", N_("Physician clearance recorded in another system")),
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|<>])")
_LANGUAGE_RANGE = re.compile(
    r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*"
)


def uuid_text(raw: bytes) -> str:
    """Return the random (version 4) UUID made of 16 random bytes, as text.

    The text ``str(uuid.UUID(bytes=raw, version=4))`` gives (:func:`uuid_text_reference`),
    written from the bytes' hex digits: the version nibble set to 4 and the variant's two
    high bits to ``10``, as :class:`uuid.UUID` sets them.
    """
    digits = raw.hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:32]}"


def uuid_text_reference(raw: bytes) -> str:
    """Return the random UUID made of 16 bytes as :mod:`uuid` writes it."""
    return str(uuid.UUID(bytes=raw, version=4))


def new_uuid() -> str:
    """Return a new random UUID (version 4, from :func:`os.urandom`), as text."""
    return uuid_text(os.urandom(16))


def negotiate(header: str | None) -> str:
    """Return the locale of the cards for an ``Accept-Language`` header (RFC 9110).

    The language range with the highest weight whose primary tag has a catalogue wins
    (``ru-RU`` is ``ru``), the first given on a tie; ``q=0`` refuses a language, ``*`` stands
    for English. A missing header, one naming no language the SDK has, or one that cannot be
    read, gives English: the cards are never refused for their language.
    """
    if not header or len(header) > 1000:
        return "en"
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        match = _LANGUAGE_RANGE.fullmatch(part)
        if match is None:
            continue
        try:
            weight = 1.0 if match[2] is None else float(match[2])
        except ValueError:
            continue
        if not 0 < weight <= 1:
            continue
        primary = match[1].split("-")[0].lower()
        locale = "en" if primary == "*" else primary
        if locale not in LOCALES:
            continue
        if best is None or weight > best[0]:
            best = (weight, position, locale)
    return "en" if best is None else best[2]


def _t(tr: Translator | None, text: str) -> str:
    """Return ``text`` in ``tr``'s locale; English without a translator."""
    return text if tr is None else tr.text(text)


def _escape_reference(text: str) -> str:
    """Return ``text`` with Markdown's special characters escaped: the regular expression."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


#: Markdown's special characters (those of ``_MARKDOWN_SPECIAL``), the backslash first.
_MARKDOWN_CHARACTERS = "\\`*_[]#|<>"


def _escape(text: str) -> str:
    """Return ``text`` with Markdown's special characters escaped (values from the record).

    One ``str.replace`` per special character present, the backslash first so no escape is
    escaped again; :func:`_escape_reference` does the same with the regular expression.
    """
    for char in _MARKDOWN_CHARACTERS:
        if char in text:
            text = text.replace(char, "\\" + char)
    return text


@functools.lru_cache(maxsize=4096)
def _passage(source: str) -> str:
    """Return a rule's source passage as a Markdown quote line, whitespace folded, escaped.

    The passages are the rules' own texts, the same for every patient: the cache holds no
    patient data and at most one entry per passage of the installed rules (bounded anyway).
    """
    return f"  > {_escape(' '.join(source.split()))}"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _value(value: Any, tr: Translator | None = None) -> str:
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool:
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value(v, tr)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v, tr) for v in value) + "]"
    if value is None:
        return "not recorded" if tr is None else tr.pgettext("explanation", "not recorded")
    return str(value)


def _finding_lines(
    finding: Finding,
    provenance: Callable[[Finding], Sequence[str]],
    tr: Translator | None = None,
) -> list[str]:
    cleared = (
        _t(tr, N_(", cleared by {physician}")).format(physician=_escape(finding.cleared_by))
        if finding.cleared_by
        else ""
    )
    site = (
        _t(tr, N_(" (site: {site})")).format(site=_escape(_t(tr, finding.site)))
        if finding.site
        else ""
    )
    label = finding.outcome.label if tr is None else tr.outcome(finding.outcome)
    lines = [f"- **{label}**{cleared} `{finding.rule_id}`{site}: {_escape(finding.message)}"]
    always = ("always",) if tr is None else ("always", tr.pgettext("explanation", "always"))
    if finding.explanation and finding.explanation not in always:
        lines.append(
            _t(tr, N_("  - because {explanation}")).format(explanation=_escape(finding.explanation))
        )
    values = "; ".join(f"{name} = {_value(v, tr)}" for name, v in finding.evidence.items())
    if values:
        lines.append(_t(tr, N_("  - values: {values}")).format(values=_escape(values)))
    sources = provenance(finding)
    if sources:
        lines.append(_t(tr, N_("  - from: {sources}")).format(sources=_escape(", ".join(sources))))
    lines.append("")
    lines.append(_passage(finding.source))
    lines.append("")
    return lines


def _rank(finding: Finding) -> tuple[int, str]:
    """Return where a finding goes in a card: the most restrictive first, then by rule id."""
    return (-finding.effective_outcome, finding.rule_id)


def _detail(
    decision: Decision,
    name: str,
    day: date,
    fingerprint: str,
    blocks: list[str],
    tr: Translator | None = None,
) -> list[str]:
    """Return the lines of a card's Markdown detail (joined by newlines, the detail).

    ``blocks`` are the decision's findings, each one item with its own lines already joined
    (:func:`_finding_lines`), most restrictive first and by rule id (:func:`_rank`), so that
    the same finding under several techniques is one string the answer writer escapes once.
    """
    label = decision.outcome.label if tr is None else tr.outcome(decision.outcome)
    when = day.isoformat() if tr is None else tr.date(day)
    lines = [
        _t(
            tr,
            N_("**{name}** on {day}: **{outcome}** (the most restrictive of the findings below)."),
        ).format(name=_escape(name), day=when, outcome=label),
        "",
    ]
    if blocks:
        lines.append(_t(tr, N_("Findings:")))
        lines.append("")
        lines += blocks
    else:
        lines.append(_t(tr, N_("No rule restricts this technique for this patient.")))
    protocol = decision.protocol
    if protocol is not None:
        low, high = protocol.session_minutes
        first, last = protocol.course_sessions
        number: Callable[[float], str] = (lambda v: f"{v:g}") if tr is None else tr.number
        lines += [
            "",
            _t(
                tr,
                N_(
                    "Protocol: sessions of {low}-{high} min, a course of {first}-{n} sessions, "
                    "pressure: {pressure}."
                ),
            ).format(
                low=number(low),
                high=number(high),
                first=first,
                n=last,
                pressure=_escape(protocol.pressure),
            ),
        ]
        lines += [
            _t(tr, N_("- avoid: {area}")).format(area=_escape(area)) for area in protocol.avoid
        ]
    if decision.outcome is Outcome.REQUIRES_CLEARANCE:
        lines += [
            "",
            _t(
                tr,
                N_(
                    "A physician may clear this technique; record the clearance in the "
                    "patient's record (or override with a reason) to proceed."
                ),
            ),
        ]
    lines += [
        "",
        _t(
            tr,
            N_("herniarules supports clinicians; it does not replace them. Ruleset {fingerprint}."),
        ).format(fingerprint=fingerprint[:16]),
    ]
    return lines


def _summary(decision: Decision, name: str, day: date | None, tr: Translator | None = None) -> str:
    when = ""
    if day is not None:
        shown = day.isoformat() if tr is None else tr.date(day)
        when = _t(tr, N_(" on {day}")).format(day=shown)
    verdict = _VERDICTS[decision.outcome]
    if tr is not None:
        verdict = (
            tr.pgettext("verdict", verdict)
            if decision.outcome in (Outcome.DEFER, Outcome.CONTRAINDICATED)
            else tr.text(verdict)
        )
    head = f"{name}{when}: {verdict}"
    reasons = [f.message for f in decision.findings if f.effective_outcome == decision.outcome]
    if reasons and decision.outcome is not Outcome.ALLOWED:
        head = f"{head} ({reasons[0].rstrip('.')})"
    return _shorten(head, MAX_SUMMARY - 1)


def _links(decision: Decision, base_url: str, tr: Translator | None = None) -> list[dict[str, str]]:
    ids = sorted({f.rule_id for f in decision.findings if f.effective_outcome == decision.outcome})[
        :5
    ]
    return [
        {
            "label": _t(tr, N_("Rule {rule_id}")).format(rule_id=rule_id),
            "url": f"{base_url}/rules/{rule_id}",
            "type": "absolute",
        }
        for rule_id in ids
    ]


def source(
    base_url: str,
    version: str,
    topic: tuple[str, str] | None = None,
    tr: Translator | None = None,
) -> dict[str, Any]:
    """Return a card's ``source``: herniarules, its version, the service's about page."""
    value: dict[str, Any] = {
        "label": _t(tr, N_("herniarules {version}: massage and disc hernia")).format(
            version=version
        ),
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
    locale: str = "en",
) -> list[tuple[Decision, dict[str, Any]]]:
    """Return one card per technique and assessment day, each with its decision.

    The parameters are those of :func:`detailed_cards`.
    """
    made = detailed_cards(
        assessments,
        names=names,
        base_url=base_url,
        version=version,
        provenance=provenance,
        locale=locale,
    )
    return [(decision, card) for decision, card, _ in made]


def detailed_cards(
    assessments: Sequence[Assessment],
    *,
    names: Mapping[str, str],
    base_url: str,
    version: str,
    provenance: Callable[[Finding], Sequence[str]] = lambda finding: (),
    locale: str = "en",
) -> list[tuple[Decision, dict[str, Any], list[str]]]:
    """Return one card per technique and assessment day, with its decision and the lines of
    its ``detail`` (``"\\n".join(lines) == card["detail"]``), for a writer that escapes a
    line shared by several cards once.

    :param assessments: one assessment per day (an ``appointment-book`` call for appointments
        on several days has several); with more than one, summaries name the day.
    :param names: display name of each technique id.
    :param base_url: the service's public base URL, for the ``source`` and rule links.
    :param provenance: where the values of a finding came from (resource and element).
    :param locale: the language of the cards' texts (:func:`negotiate`); ids, codes, URLs
        and indicators are the same in every language.
    """
    assessments, provenance, tr = _localized(assessments, provenance, locale)
    return _cards_of(assessments, names, base_url, version, provenance, tr, _blocks_in_order)


def detailed_cards_reference(
    assessments: Sequence[Assessment],
    *,
    names: Mapping[str, str],
    base_url: str,
    version: str,
    provenance: Callable[[Finding], Sequence[str]] = lambda finding: (),
    locale: str = "en",
) -> list[tuple[Decision, dict[str, Any], list[str]]]:
    """Return what :func:`detailed_cards` returns, each decision's findings rendered and
    sorted for that decision alone (:func:`_blocks_in_order_reference`)."""
    assessments, provenance, tr = _localized(assessments, provenance, locale)
    return _cards_of(
        assessments, names, base_url, version, provenance, tr, _blocks_in_order_reference
    )


def _localized(
    assessments: Sequence[Assessment],
    provenance: Callable[[Finding], Sequence[str]],
    locale: str,
) -> tuple[Sequence[Assessment], Callable[[Finding], Sequence[str]], Translator | None]:
    """Return the assessments in ``locale``, the provenance of their findings, the translator."""
    if locale == "en":
        return assessments, provenance, None
    from herniarules.i18n import localize, translator

    tr = translator(locale)
    # provenance is looked up on the findings as assessed: keep the English ones at hand
    english: dict[int, Finding] = {}
    localized = []
    for assessment in assessments:
        copy = localize(assessment, tr)
        for a, b in zip(assessment.decisions, copy.decisions, strict=True):
            for f, g in zip(a.findings, b.findings, strict=True):
                english[id(g)] = f
        localized.append(copy)

    def where(finding: Finding) -> Sequence[str]:
        return provenance(english.get(id(finding), finding))

    return localized, where, tr


def _cards_of(
    assessments: Sequence[Assessment],
    names: Mapping[str, str],
    base_url: str,
    version: str,
    provenance: Callable[[Finding], Sequence[str]],
    tr: Translator | None,
    blocks_of: Callable[
        [Sequence[Assessment], Callable[[Finding], Sequence[str]], Translator | None],
        Callable[[Decision], list[str]],
    ],
) -> list[tuple[Decision, dict[str, Any], list[str]]]:
    cards: list[tuple[Decision, dict[str, Any], list[str]]] = []
    several = len(assessments) > 1
    blocks = blocks_of(assessments, provenance, tr)
    for assessment in assessments:
        for decision in assessment.decisions:
            name = _t(tr, names.get(decision.technique, decision.technique))
            lines = _detail(
                decision,
                name,
                assessment.as_of,
                assessment.ruleset_fingerprint,
                blocks(decision),
                tr,
            )
            card: dict[str, Any] = {
                "uuid": new_uuid(),
                "summary": _summary(decision, name, assessment.as_of if several else None, tr),
                "indicator": INDICATORS[decision.outcome],
                "detail": "\n".join(lines),
                "source": source(base_url, version, (decision.technique, name), tr),
            }
            if decision.outcome is Outcome.REQUIRES_CLEARANCE:
                card["overrideReasons"] = [
                    {"system": OVERRIDE_SYSTEM, "code": code, "display": _t(tr, display)}
                    for code, display in OVERRIDE_REASONS
                ]
            links = _links(decision, base_url, tr)
            if links:
                card["links"] = links
            cards.append((decision, card, lines))
    return cards


def _blocks_in_order(
    assessments: Sequence[Assessment],
    provenance: Callable[[Finding], Sequence[str]],
    tr: Translator | None,
) -> Callable[[Decision], list[str]]:
    """Return each decision's finding blocks in their order (:func:`_detail`'s ``blocks``).

    The core rules' findings are shared by every technique's decision: each finding of the
    assessments is rendered, and its rank worked out, once, keyed by its identity (every
    finding stays alive with the assessments for as long as the lookups are made). A
    decision's blocks are then its findings' ids sorted by rank and looked up, with no Python
    call per finding; the sort is stable, so findings of equal rank keep the decision's
    order. :func:`_blocks_in_order_reference` renders and sorts per decision.
    """
    blocks: dict[int, str] = {}
    ranks: dict[int, tuple[int, str]] = {}
    for assessment in assessments:
        for decision in assessment.decisions:
            for finding in decision.findings:
                key = id(finding)
                if key not in blocks:
                    blocks[key] = "\n".join(_finding_lines(finding, provenance, tr))
                    ranks[key] = (-finding.effective_outcome, finding.rule_id)
    block = blocks.__getitem__
    rank = ranks.__getitem__

    def of(decision: Decision) -> list[str]:
        return list(map(block, sorted(map(id, decision.findings), key=rank)))

    return of


def _blocks_in_order_reference(
    assessments: Sequence[Assessment],
    provenance: Callable[[Finding], Sequence[str]],
    tr: Translator | None,
) -> Callable[[Decision], list[str]]:
    """Return each decision's finding blocks in their order: rendered and sorted per decision."""

    def of(decision: Decision) -> list[str]:
        return [
            "\n".join(_finding_lines(finding, provenance, tr))
            for finding in sorted(decision.findings, key=_rank)
        ]

    return of


def notice_card(
    summary: str,
    detail: str,
    indicator: str,
    *,
    base_url: str,
    version: str,
    locale: str = "en",
) -> dict[str, Any]:
    """Return a card that is not about one technique (data that could not be read).

    ``summary`` and ``detail`` are given in ``locale``; the ``source`` is written in it.
    """
    tr: Translator | None = None
    if locale != "en":
        from herniarules.i18n import translator

        tr = translator(locale)
    return {
        "uuid": new_uuid(),
        "summary": _shorten(summary, MAX_SUMMARY - 1),
        "indicator": indicator,
        "detail": detail,
        "source": source(base_url, version, tr=tr),
    }
