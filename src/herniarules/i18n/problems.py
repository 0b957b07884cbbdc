"""Input-error messages in a locale: the problems of :class:`~herniarules.errors.InputError`.

The readers write their problems in English (:mod:`herniarules._checks`, :mod:`herniarules.
_walk`, :mod:`herniarules._json`, the model's validators and :mod:`herniarules.fhir`); the
texts below are the templates of those messages. A message is rendered in a locale by its
parts: what is wrong (a template, translated), then what was found (``got ...``), then a hint
(``did you mean ...``). Paths, the values found, the allowed values, codes and names of
fields stay as they are: they are what the reader has to type. A message no template matches
stays English.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from herniarules.errors import MAX_LISTED_PROBLEMS, InputError, Problem, line
from herniarules.i18n import Translator, translator
from herniarules.i18n._translate import _template
from herniarules.i18n.markers import N_

__all__ = ["TEMPLATES", "render_error", "render_message", "render_problem"]

#: What is wrong, as the readers write it (the part before ``, got ...``). Placeholders are
#: filled with the same text in every language, numbers written by the locale's rules.
TEMPLATES: tuple[str, ...] = (
    # the JSON door (herniarules._checks, herniarules._walk)
    N_("required field is missing"),
    N_("unknown field"),
    N_("must be an array"),
    N_("must have at most {n} items"),
    N_("must be an object"),
    N_("must have at most {n} keys"),
    N_("must be true or false"),
    N_("must be a whole number"),
    N_("must be a number in range"),
    N_("must be a number"),
    N_("must be a string"),
    N_("must be a date as YYYY-MM-DD"),
    N_("must be one of {allowed}"),
    # herniarules._json and the files
    N_("input is larger than {n} bytes"),
    N_("input is nested deeper than {n} levels"),
    N_("input is not UTF-8 text ({reason})"),
    N_("not valid JSON: {detail}"),
    N_("cannot read file: {reason}"),
    N_("cannot read the file: {reason}"),
    N_("larger than {n} bytes"),
    N_("not UTF-8 text"),
    # the model's validators (both doors)
    N_("must be between {low} and {high}"),
    N_("must be a vertebral level such as {examples}"),
    N_("must name two adjacent vertebrae, upper first"),
    N_("level {level} lies in the {regions} region, not {region}"),
    N_("must be a non-empty name"),
    N_("must be a technique id: lower-case letters, digits and {characters}"),
    N_("must be {lengths} letters, digits or . _ : / - starting with a letter or digit"),
    N_(
        "must be a WHO ATC code: an anatomical group letter, two digits, then optionally a "
        "letter, a letter and two digits (e.g. {examples})"
    ),
    N_("must name the substance when substance is {other}"),
    N_("needs a name, an ATC code or a category"),
    N_(
        "needs a code or a concept (or, when neither is known, an other_code or a display: "
        "the condition is then unclassified)"
    ),
    N_("{field} ({value}) must be below {other} ({other_value})"),
    N_("start_date {start} is after end_date {end}"),
    N_("valid_until {until} is before date {day}"),
    N_("pregnant is true but sex is male"),
    N_("{code} is not a WHO ICD-10 code"),
    N_("{code} is not an ICD-10-CM code"),
    N_(
        "{code} is an ICD-10-CM code, not a WHO ICD-10 one: set system to {system} or use the "
        "WHO ICD-10 code"
    ),
    N_(
        "{code} is not an ICD-10 code: expected a letter, two letters or digits, then "
        "optionally a dot and {lengths} letters or digits (e.g. {examples})"
    ),
    N_("{code} is not an ICD-10 code: expected {form}"),
    # the Python door (herniarules.model)
    N_("must be True or False"),
    N_("must be a datetime.date, not a datetime"),
    N_("must be a datetime.date"),
    N_("must be a tuple of {kind}"),
    N_("must be a {kind}: one of {allowed}"),
    # FHIR (herniarules.fhir)
    N_("must be a FHIR Bundle (an object)"),
    N_("must be a FHIR resource (an object)"),
    N_("must be an array of entries"),
    N_("not a FHIR resource: no resourceType"),
    N_("not JSON: {detail}"),
    N_("must be a resource type"),
    N_("must be an ICD-10 code"),
    N_("a Condition needs a code or a text"),
    N_("must be a Quantity with a number value, in mm"),
    N_("expected a Quantity in {units}"),
    N_("expected a SNOMED CT answer: {answers}"),
    N_("expected a code of {system}: one of {allowed}"),
    N_("expected {expected}"),
    N_("no Patient with id {id}; Patients: {ids}"),
    N_("no Patient resource: the record needs one"),
    N_("{n} Patient resources ({ids}): name the one to read"),
    N_("must be the patient's id"),
    N_("required: the age is counted from it"),
    N_("must be a FHIR date"),
    N_("pregnant, but the Patient is male"),
    N_("FHIR R4 schema: {detail}"),
    # the last resort of the Python door: "must be Hernia"
    N_("must be {kind}"),
)

#: How a value found is described when it is not shown as JSON.
FOUND: tuple[str, ...] = (N_("an array"), N_("an object"), N_("no value"))

_GOT = re.compile(
    r"(?P<head>.*?)(?:, got (?P<got>.*?))?"
    r"(?P<hint>; did you mean (?P<mean>.*)\?| \(use (?P<use>[^()]*)\))?",
    re.DOTALL,
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: The placeholders holding a count or bound: written by the locale's rules.
_COUNTS = frozenset({"n", "low", "high"})


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((_template(t), t) for t in TEMPLATES)


def _head(text: str, tr: Translator) -> str | None:
    for pattern, template in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {
            name: tr.number(float(v) if "." in v else int(v))
            if name in _COUNTS and _NUMBER.fullmatch(v)
            else v
            for name, v in match.groupdict().items()
        }
        return tr.text(template).format(**values)
    return None


def render_message(message: str, tr: Translator) -> str:
    """Return one problem's message in ``tr``'s locale; paths and values stay as they are."""
    if tr.locale == "en":
        return message
    match = _GOT.fullmatch(message)
    head = None if match is None else _head(match["head"], tr)
    if match is None or head is None:
        whole = _head(message, tr)
        return message if whole is None else whole
    got = match["got"]
    found = (
        ""
        if got is None
        else tr.text(N_(", got {found}")).format(found=tr.text(got) if got in FOUND else got)
    )
    hint = ""
    if match["mean"] is not None:
        hint = tr.text(N_("; did you mean {value}?")).format(value=match["mean"])
    elif match["use"] is not None:
        hint = tr.text(N_(" (use {value})")).format(value=match["use"])
    return head + found + hint


def render_problem(problem: Problem, tr: Translator) -> Problem:
    """Return ``problem`` with its message in ``tr``'s locale and the same path."""
    return Problem(problem.path, render_message(problem.message, tr))


def render_error(error: InputError, locale: str | Translator) -> str:
    """Return the text of ``error`` (``str(error)`` in English) in ``locale``.

    The error itself is unchanged: its message, problems and paths stay English.
    """
    tr = locale if isinstance(locale, Translator) else translator(locale)
    if tr.locale == "en":
        return str(error)
    count = len(error.problems)
    where = tr.text(N_(" in {source}")).format(source=error.source) if error.source else ""
    subject = error.subject()
    head = tr.ngettext(
        "invalid {subject}{where} ({n} problem)", "invalid {subject}{where} ({n} problems)", count
    ).format(subject=tr.text(subject), where=where, n=count)
    lines = [head + ":", *_lines(error.problems[:MAX_LISTED_PROBLEMS], tr)]
    if count > MAX_LISTED_PROBLEMS:
        more = count - MAX_LISTED_PROBLEMS
        lines.append(tr.text(N_("... and {n} more")).format(n=more))
    return "\n  ".join(lines)


def _lines(problems: Iterable[Problem], tr: Translator) -> list[str]:
    return [line(render_problem(p, tr)) for p in problems]


#: The subjects of an input error, as its first line names them.
SUBJECTS: tuple[str, ...] = (N_("patient record"), N_("FHIR input"))
