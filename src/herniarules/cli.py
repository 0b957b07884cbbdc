"""The ``herniarules`` command line.

``herniarules assess FILE... [--technique ID] [--format text|json|jsonl] [--as-of DATE] [-v]
[--outlook]``
``herniarules test CASES.yaml... [--format text|json|junit] [-v]``
``herniarules plan FILE --technique ID --start DATE``
``herniarules techniques`` · ``herniarules rules`` · ``herniarules plugins``
``herniarules schema patient|assessment``
``herniarules serve [--host H] [--port P] [--audit URL] [--audit-synchronous full|normal]
[--insecure-dev | --issuer I --jwks F]``
``herniarules screen INPUT --out FILE [--technique ID...] [--as-of DATE] [--policy TOML --compare]``

``FILE`` may be ``-`` for standard input. Exit status: 0 on success, 2 on invalid input (the
path-named problems go to standard error; with several files the others are still assessed),
3 when a course is refused because the technique is not permitted, 141 when the reader of the
output went away (``herniarules assess … | head``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, TextIO

from herniarules import __version__
from herniarules.courses import CoursePlan
from herniarules.engine import ENTRY_POINT_GROUP, Engine, NotPermittedError
from herniarules.errors import Problem
from herniarules.io import InputError, assessment_to_dict, dumps, load_patient, loads_patient
from herniarules.model import Patient
from herniarules.outcomes import Assessment, Decision, Finding, Outcome, Protocol
from herniarules.outlook import DecisionOutlook, Outlook, outlook
from herniarules.schema import assessment_schema, decision_schema, patient_schema

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_REFUSED, EXIT_BROKEN_PIPE = 0, 2, 3, 141
#: 'replay': the record does not replay identically.
EXIT_DIFFERS = 1

#: What standard input is called in messages and records.
STDIN = "-"

_EPILOG = """\
exit status:
  0    success ('replay': the record replays identically)
  1    'replay': the record replays with differences, each named on standard output
  2    invalid input or command line: each problem is named by its path on standard error
       (with several files, the others are still assessed and printed)
  3    'plan': the course is refused because the technique is not permitted
  141  the reader of the output went away (for example 'herniarules assess ... | head')

examples:
  herniarules assess examples/patients/*.json
  herniarules assess --format json --as-of 2026-12-01 patient.json
  cat patient.json | herniarules assess -
  herniarules assess --technique classic --verbose patient.json
  herniarules plan patient.json --technique classic --start 2026-12-07
  herniarules rules --format json
  herniarules replay decision-record.json patient.json

herniarules supports clinicians; it does not replace them.
"""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date as YYYY-MM-DD, got {text!r}") from None


def _add_format(parser: argparse.ArgumentParser, *, lines: bool = False) -> None:
    choices = ("text", "json", "jsonl", "fhir") if lines else ("text", "json")
    parser.add_argument(
        "--format",
        choices=choices,
        default="text",
        help="text for people (default); json for programs"
        + (
            ": one array with one entry per FILE, in order; jsonl: the same entries, one per "
            "line; fhir (with --fhir): a FHIR R4 Bundle of a GuidanceResponse and "
            "DetectedIssues per patient"
            if lines
            else ""
        ),
    )


def _add_lang(parser: argparse.ArgumentParser, default: object = None) -> None:
    from herniarules.i18n import LOCALES

    parser.add_argument(
        "--lang",
        choices=LOCALES,
        default=default,
        help="language of the messages, labels and protocol texts (rule ids, codes and JSON "
        "keys stay the same); English when not given",
    )


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="herniarules",
        description="Decide whether, and how, a patient with an intervertebral disc hernia may "
        "receive each massage technique. Supports clinicians; does not replace them.",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"herniarules {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="print the traceback of every failing plugin call to standard error",
    )
    parser.add_argument(
        "--lock",
        metavar="FILE",
        help="load only the plugin distributions a lock file names, at the versions and "
        "files it pins (write one with 'herniarules plugins --lock')",
    )
    _add_lang(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    assess = sub.add_parser(
        "assess",
        help="assess patient files against every technique",
        description="Assess each patient record (herniarules patient JSON) against every "
        "installed technique, or those named with --technique.",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    assess.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="a patient record in herniarules JSON; '-' reads standard input",
    )
    assess.add_argument(
        "--technique",
        action="append",
        metavar="ID",
        help="assess only this technique (repeat for several; see 'herniarules techniques')",
    )
    _add_format(assess, lines=True)
    assess.add_argument(
        "--as-of", type=_date, metavar="DATE", help="assessment day as YYYY-MM-DD (default today)"
    )
    assess.add_argument(
        "--fhir",
        action="store_true",
        help="the files are FHIR R4: a Bundle or resource (.json) or Bulk Data NDJSON "
        "(.ndjson, given together)",
    )
    assess.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="text: every finding and every step of each protocol, not only the deciding "
        "reasons and a protocol summary",
    )
    assess.add_argument(
        "--outlook",
        action="store_true",
        help="say what would change each refusal: the first bookable day when the blocking "
        "findings lapse with time (course break, recent surgery, a clearance dated later), "
        "and the values or clearance that would lift the others; json: an 'outlook' object "
        "in each entry (see the docs page 'What would change the answer')",
    )
    _add_lang(assess, argparse.SUPPRESS)
    plan = sub.add_parser(
        "plan",
        help="plan the dated sessions of a course",
        description="Plan the dated sessions of a course of one technique, if it is permitted.",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    plan.add_argument(
        "file", metavar="FILE", help="a patient record in herniarules JSON; '-' reads stdin"
    )
    plan.add_argument(
        "--technique", required=True, metavar="ID", help="the technique of the course"
    )
    plan.add_argument(
        "--start",
        type=_date,
        required=True,
        metavar="DATE",
        help="day of the first session as YYYY-MM-DD; the patient is assessed on that day",
    )
    _add_format(plan)
    _add_lang(plan, argparse.SUPPRESS)
    techniques = sub.add_parser("techniques", help="list the available techniques")
    _add_format(techniques)
    _add_lang(techniques, argparse.SUPPRESS)
    rules = sub.add_parser("rules", help="list every rule with its rendered condition")
    _add_format(rules)
    _add_lang(rules, argparse.SUPPRESS)
    plugins = sub.add_parser("plugins", help="list loaded plugins with versions and load errors")
    plugins.add_argument(
        "--lock",
        action="store_true",
        dest="write_lock",
        help="print a lock file pinning every installed plugin distribution's version and files",
    )
    _add_format(plugins)
    schema = sub.add_parser("schema", help="print a JSON Schema")
    schema.add_argument(
        "which",
        choices=("patient", "assessment", "decision"),
        help="the patient record (input), the assessment record or a decision record (output)",
    )
    _replay_parser(sub, formatter)
    _screen_parser(sub)
    _add_serve(sub)
    _add_test(sub)
    return parser


def _replay_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], formatter: Any
) -> None:
    replay = sub.add_parser(
        "replay",
        help="re-run a stored decision or assessment record and report what differs",
        description="Re-run a stored audit record (a decision or assessment, full, masked or "
        "compact) for its patient at the record's as-of day, and report whether the "
        "installed SDK, plugins and policy decide identically, or what differs and why.",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    replay.add_argument(
        "record", metavar="RECORD", help="the stored record (JSON); '-' reads standard input"
    )
    replay.add_argument(
        "input",
        nargs="?",
        default=STDIN,
        metavar="INPUT",
        help="the patient record the decision was made for (default '-': standard input)",
    )
    _add_format(replay)


_TEST_EPILOG = """\
exit status:
  0    every case passed
  1    some case failed (each failure says what was expected and what came)
  2    a file cannot be read: each problem is named by its path (the other files still run)

examples:
  herniarules test examples/cases/*.yaml
  herniarules test --format junit cases/*.yaml > report.xml

herniarules supports clinicians; it does not replace them.
"""


def _add_test(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    test = sub.add_parser(
        "test",
        help="run clinical test cases written in YAML (extra [cases])",
        description="Run clinical vignettes written in YAML: for each case, assess its patient "
        "on its day and compare the verdict of each technique, and the rules that fired, with "
        "what the case expects (see the docs page 'Clinical test cases').",
        epilog=_TEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument("files", nargs="+", metavar="FILE", help="a YAML file of test cases")
    test.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="text for people (default); json for programs; junit: JUnit XML for CI",
    )
    test.add_argument(
        "-v", "--verbose", action="store_true", help="text: list the cases that pass too"
    )


def _screen_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``herniarules screen``; it runs in :mod:`herniarules.screen._cli`."""
    screen = sub.add_parser(
        "screen", help="decide every technique for a whole population file (extra [screen])"
    )
    screen.add_argument(
        "input",
        metavar="INPUT",
        help=".parquet, .arrow, .csv or .ndjson of patients, or a FHIR Bulk Data export folder",
    )
    screen.add_argument("--out", required=True, help="decisions: .parquet, .csv or .ndjson")
    screen.add_argument("--errors", help="refused rows (default: next to --out, .errors.csv)")
    screen.add_argument("--report", help="write the summary as HTML with a chart")
    screen.add_argument("--technique", action="append", metavar="ID", help="only this technique")
    screen.add_argument("--as-of", type=_date, metavar="DATE", help="assessment date")
    screen.add_argument(
        "--engine",
        choices=("polars", "spark"),
        default="polars",
        help="polars (one process) or spark (extra [spark]; Parquet in, a Parquet directory out)",
    )
    screen.add_argument("--policy", metavar="TOML", help="a stricter clinic policy")
    screen.add_argument(
        "--compare", action="store_true", help="report what --policy changes against the default"
    )


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the CDS Hooks service (extra [service])")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument(
        "--audit",
        default="sqlite:///herniarules-audit.db",
        metavar="URL",
        help="audit log: sqlite:///path (default sqlite:///herniarules-audit.db) or "
        "postgresql://... for several instances sharing one log",
    )
    serve.add_argument(
        "--audit-synchronous",
        choices=("full", "normal"),
        default="full",
        help="an SQLite audit log's synchronous mode: full (default; every decision synced to "
        "the disk before it is answered) or normal (nothing lost when the process is killed, "
        "but an OS crash or power loss may lose the last decisions; no wait for the disk)",
    )
    serve.add_argument(
        "--issuer",
        action="append",
        default=[],
        metavar="ISS",
        help="an allowed JWT issuer (repeat, each with its --jwks)",
    )
    serve.add_argument(
        "--jwks", action="append", default=[], metavar="FILE", help="pinned JWKS of each --issuer"
    )
    serve.add_argument("--public-url", metavar="URL", help="base URL clients call (JWT aud)")
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin allowed to call the service (repeat for several)",
    )
    serve.add_argument(
        "--insecure-dev",
        action="store_true",
        help="accept calls without a token; loopback addresses only, never in production",
    )


def _serve(args: argparse.Namespace, engine: Engine, err: TextIO) -> int:
    try:
        import uvicorn

        from herniarules.service import ServiceConfig, create_app, load_issuer, open_audit_log
    except ImportError as exc:
        err.write(f"error: the service needs the [service] extra ({exc.name} is missing)\n")
        return EXIT_INPUT
    if args.insecure_dev:
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            err.write("error: --insecure-dev is for local use only: bind to 127.0.0.1\n")
            return EXIT_INPUT
        err.write(
            "WARNING: --insecure-dev: calls are accepted WITHOUT any token check. "
            "Local development only; never with real patient data.\n"
        )
    if len(args.issuer) != len(args.jwks):
        err.write("error: give one --jwks file for each --issuer\n")
        return EXIT_INPUT
    if not args.issuer and not args.insecure_dev:
        err.write(
            "error: give --issuer ISS --jwks FILE for each allowed client, or --insecure-dev\n"
        )
        return EXIT_INPUT
    try:
        issuers = {
            iss: load_issuer(iss, path) for iss, path in zip(args.issuer, args.jwks, strict=True)
        }
        audit = open_audit_log(
            args.audit, synchronous="NORMAL" if args.audit_synchronous == "normal" else "FULL"
        )
    except (OSError, ValueError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_INPUT
    config = ServiceConfig(
        issuers=issuers,
        insecure_dev=args.insecure_dev,
        public_url=args.public_url,
        cors_origins=tuple(args.cors_origin),
        freeze_at_startup=True,
    )
    app = create_app(engine, audit=audit, config=config)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        audit.close()
    return EXIT_OK


# -- text ---------------------------------------------------------------------------------------


def _pressure(pressure: str) -> str:
    """Return ``"none (soft movements…)"`` for a pressure written ``"none: soft movements…"``."""
    level, _, how = pressure.partition(": ")
    return f"{level} ({how})" if how else level


def _text_finding(finding: Finding, out: TextIO) -> None:
    cleared = f", cleared by {finding.cleared_by}" if finding.cleared_by else ""
    site = f" at {finding.site}" if finding.site else ""
    out.write(
        f"      - [{finding.outcome.label}{cleared}] {finding.rule_id}{site}: {finding.message}\n"
    )
    if finding.explanation and finding.explanation != "always":
        out.write(f"        because {finding.explanation}\n")


def _text_protocol(protocol: Protocol, out: TextIO, verbose: bool) -> None:
    low, high = protocol.session_minutes
    first, last = protocol.course_sessions
    out.write(
        f"      protocol: {len(protocol.steps)} step{'' if len(protocol.steps) == 1 else 's'}, "
        f"sessions of {low:g}-{high:g} min, "
        f"course of {first}-{last} sessions, pressure {_pressure(protocol.pressure)}\n"
    )
    if verbose:
        for number, step in enumerate(protocol.steps, 1):
            reps = f" x{step.repetitions}" if step.repetitions else ""
            out.write(f"        {number}. {step.name}{reps}: {step.description}\n")
    for area in protocol.avoid:
        out.write(f"        avoid: {area}\n")


def _text_decision(
    decision: Decision,
    out: TextIO,
    verbose: bool = True,
    ahead: DecisionOutlook | None = None,
) -> None:
    verdict = "PERMITTED" if decision.permitted else "NOT PERMITTED"
    out.write(f"  {decision.technique:<14} {verdict:<14} {decision.outcome.label}\n")
    findings = sorted(decision.findings, key=lambda f: (-f.effective_outcome, f.rule_id))
    # The reasons that decide: the findings as restrictive as the decision, and every finding
    # that changes the protocol (a site to avoid); the rest only with --verbose.
    shown = [
        f
        for f in findings
        if verbose
        or f.effective_outcome == decision.outcome
        or f.effective_outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    ]
    for finding in shown:
        _text_finding(finding, out)
    if len(shown) < len(findings):
        more = len(findings) - len(shown)
        out.write(f"      ({more} less restrictive finding{'s' if more > 1 else ''}; --verbose)\n")
    if decision.protocol is not None:
        _text_protocol(decision.protocol, out, verbose)
    if ahead is not None and not decision.permitted:
        out.write(f"      outlook: {ahead.text()}\n")
        if verbose:
            for change in ahead.changes:
                out.write(f"        {change.rule_id}: {change.text()}\n")


def _text_assessment(
    assessment: Assessment,
    out: TextIO,
    verbose: bool = True,
    patient: Patient | None = None,
    indications: dict[str, tuple[str, ...]] | None = None,
    ahead: Outlook | None = None,
) -> None:
    out.write(f"Patient {assessment.patient_id} (assessed {assessment.as_of.isoformat()})\n")
    for decision in assessment.decisions:
        seen = ahead.decision(decision.technique) if ahead is not None else None
        _text_decision(decision, out, verbose, seen)
    if assessment.ranking:
        out.write("  ranking of the permitted techniques, best first:\n")
        wanted = set(patient.indications) if patient is not None else set()
        for number, technique in enumerate(assessment.ranking, 1):
            outcome = assessment.decision(technique).outcome.label
            matches = sorted(wanted.intersection((indications or {}).get(technique, ())))
            why = (
                f"matches {', '.join(matches)}"
                if matches
                else "matches none of the patient's indications"
                if wanted
                else "no indications recorded"
            )
            out.write(f"    {number}. {technique} ({outcome}; {why})\n")
    if patient is not None:
        for note in _clearance_notes(patient, assessment):
            out.write(f"  note: {note}\n")
    for technique in assessment.unmatched_clearances:
        out.write(
            f"  note: a clearance is recorded for {technique!r}, which no installed plugin "
            "provides; it clears nothing\n"
        )
    out.write("\n")


def _clearance_notes(patient: Patient, assessment: Assessment) -> Iterator[str]:
    """Say which recorded clearances clear nothing on the assessment day, and why."""
    day = assessment.as_of
    for clearance in patient.clearances:
        who = f"the clearance for {clearance.technique} by {clearance.physician}"
        if clearance.date > day:
            yield f"{who} is dated {clearance.date.isoformat()}, after the assessment day"
        elif clearance.valid_until is not None and clearance.valid_until < day:
            yield f"{who} expired on {clearance.valid_until.isoformat()}; it clears nothing"


def _text_plan(plan: CoursePlan, out: TextIO) -> None:
    out.write(f"Course of {plan.technique} for patient {plan.patient_id}\n")
    out.write(f"  {'#':>3}  {'date':<10}  {'minutes':>7}\n")
    for session in plan.sessions:
        out.write(f"  {session.number:>3}  {session.date.isoformat():<10}  {session.minutes:>7g}\n")
    out.write(f"  course ends {plan.end.isoformat()}; break of {plan.break_days} days\n")
    out.write(f"  next course no earlier than {plan.next_course_earliest.isoformat()}\n")
    for note in plan.notes:
        out.write(f"  note: {note}\n")


# -- JSON ---------------------------------------------------------------------------------------


def _json_text(value: object, out: TextIO, indent: int | None = 2) -> str:
    """Return ``value`` as JSON text, escaped to ASCII if ``out`` cannot encode every character."""
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("_", "-")
    ascii_only = encoding not in ("utf-8", "utf8", "utf-16", "utf-32")
    return json.dumps(value, indent=indent, ensure_ascii=ascii_only, sort_keys=True)


def _error_record(source: str, error: InputError, lang: str | None = None) -> dict[str, Any]:
    problems = error.problems
    if lang:
        from herniarules.i18n import translator
        from herniarules.i18n.problems import render_problem

        tr = translator(lang)
        problems = tuple(render_problem(p, tr) for p in problems)
    return {
        "input": source,
        "errors": [{"path": p.path, "message": p.message} for p in problems],
    }


def _error_text(error: InputError, lang: str | None) -> str:
    """Return the line of an input error on standard error, in ``lang`` if given."""
    if not lang:
        return f"error: {error}\n"
    from herniarules.i18n import translator
    from herniarules.i18n.markers import N_

    return translator(lang).text(N_("error: {message}\n")).format(message=error.render(lang))


def _problem_record(source: str, message: str) -> dict[str, Any]:
    return {"input": source, "errors": [{"path": "$", "message": message}]}


# -- commands -----------------------------------------------------------------------------------


def _read(source: str, stdin: Callable[[], bytes]) -> Patient:
    if source == STDIN:
        try:
            return loads_patient(stdin())
        except InputError as exc:
            raise exc.with_source("standard input") from None
    return load_patient(source)


def _stdin_bytes() -> bytes:
    from herniarules._json import MAX_INPUT_BYTES

    data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            [Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes")], "standard input"
        )
    return data


def _listing(engine: Engine, command: str, fmt: str, out: TextIO, lang: str | None = None) -> int:
    if lang and fmt == "text" and command in ("techniques", "rules"):
        from herniarules.i18n.commands import rule_lines, technique_lines

        if command == "techniques":
            lines = technique_lines(engine.techniques, lang)
        else:
            lines = rule_lines(engine.rules, engine.fingerprint, lang)
        out.writelines(lines)
        return EXIT_OK
    text: Callable[[str], str] = str
    condition: Callable[[str], str] = str
    if lang:
        from herniarules.i18n import translator
        from herniarules.rules._render import in_locale

        tr = translator(lang)
        text, condition = tr.text, lambda english: in_locale(english, tr)
    if command == "techniques":
        if fmt == "json":
            data: Any = [
                {"id": t.id, "name": text(t.name), "indications": list(t.indications)}
                for t in engine.techniques
            ]
            out.write(_json_text(data, out) + "\n")
            return EXIT_OK
        for technique in engine.techniques:
            indications = ", ".join(technique.indications) or "-"
            out.write(f"{technique.id:<14} {technique.name} (for: {indications})\n")
        return EXIT_OK
    if command == "plugins":
        if fmt == "json":
            data = [
                {
                    "name": i.name,
                    "version": i.version,
                    "techniques": list(i.techniques),
                    "error": i.error,
                }
                for i in engine.plugins
            ]
            out.write(_json_text(data, out) + "\n")
            return EXIT_OK
        for info in engine.plugins:
            status = f"FAILED: {info.error}" if info.error else ", ".join(info.techniques)
            out.write(f"{info.name} {info.version}: {status}\n")
        return EXIT_OK
    # rules
    if fmt == "json":
        data = {
            "fingerprint": engine.fingerprint,
            "rules": [
                {
                    "id": rule.id,
                    "title": text(rule.title),
                    "condition": condition(rule.describe().split(": ", 1)[1].rsplit(" → ", 1)[0]),
                    "outcome": rule.outcome.label,
                    "message": text(rule.message),
                    "source": rule.source,
                    "techniques": None if rule.techniques is None else sorted(rule.techniques),
                }
                for rule in engine.rules
            ],
        }
        out.write(_json_text(data, out) + "\n")
        return EXIT_OK
    for rule in engine.rules:
        scope = "all techniques" if rule.techniques is None else ", ".join(sorted(rule.techniques))
        out.write(f"{rule.describe()}  [{scope}]\n    {rule.message}\n")
    out.write(f"ruleset fingerprint {engine.fingerprint}\n")
    return EXIT_OK


def _plan(engine: Engine, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lang = getattr(args, "lang", None)
    try:
        patient = _read(args.file, _stdin_bytes)
    except InputError as exc:
        err.write(_error_text(exc, lang))
        return EXIT_INPUT
    try:
        plan = engine.plan_course(patient, args.technique, args.start)
    except NotPermittedError as exc:
        if args.format == "json":
            decision = exc.decision
            record = {"refused": json.loads(dumps(decision)), "reason": str(exc)}
            out.write(_json_text(record, out) + "\n")
        else:
            err.write(f"refused: {exc}\n")
        return EXIT_REFUSED
    except KeyError as exc:
        err.write(f"error: {exc.args[0]}\n")
        return EXIT_INPUT
    except ValueError as exc:  # a start too late for a course to fit in the calendar
        err.write(f"error: --start: {exc}\n")
        return EXIT_INPUT
    if args.format == "json":
        if lang:
            import attrs

            from herniarules.i18n import translator

            plan = attrs.evolve(plan, notes=tuple(map(translator(lang).text, plan.notes)))
        out.write(dumps(plan, indent=2) + "\n")
    elif lang:
        from herniarules.i18n.commands import plan_lines

        out.writelines(plan_lines(plan, lang))
    else:
        _text_plan(plan, out)
    return EXIT_OK


def _assess_fhir(engine: Engine, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Assess the patients of FHIR files (``--fhir``)."""
    from herniarules.fhir.cli import assess_files

    try:
        return assess_files(
            engine, args.files, args.as_of, args.technique, args.format, out, args.verbose
        )
    except InputError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_INPUT


def _assess(engine: Engine, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.technique:
        known = {t.id for t in engine.techniques}
        unknown = [t for t in args.technique if t not in known]
        if unknown:
            err.write(
                f"error: unknown technique {unknown[0]!r}; installed: {', '.join(sorted(known))}\n"
            )
            return EXIT_INPUT
    if args.fhir and args.outlook:
        err.write("error: --outlook does not apply to --fhir input yet\n")
        return EXIT_INPUT
    if args.fhir:
        return _assess_fhir(engine, args, out, err)
    if args.format == "fhir":
        err.write("error: --format fhir needs --fhir input (the FHIR resources to cite)\n")
        return EXIT_INPUT
    if args.outlook and args.format == "text" and args.lang:
        err.write(
            "error: --outlook text is in English only: use --format json, or leave out --lang\n"
        )
        return EXIT_INPUT
    indications = {t.id: tuple(t.indications) for t in engine.techniques}
    status = EXIT_OK
    records: list[object] = []
    stdin_used = False
    for source in args.files:
        if source == STDIN and stdin_used:
            err.write("error: '-' (standard input) may be given once\n")
            return EXIT_INPUT
        stdin_used = stdin_used or source == STDIN
        try:
            patient = _read(source, _stdin_bytes)
            assessment = engine.assess(patient, as_of=args.as_of, techniques=args.technique)
            ahead = (
                outlook(engine, patient, assessment=assessment, techniques=args.technique)
                if args.outlook
                else None
            )
        except InputError as exc:
            err.write(_error_text(exc, args.lang))
            status = EXIT_INPUT
            record: object = _error_record(source, exc, args.lang)
        except OverflowError:
            message = f"--as-of {args.as_of}: a day this late cannot be assessed"
            err.write(f"error: {source}: {message}\n")
            status = EXIT_INPUT
            record = _problem_record(source, message)
        else:
            if args.format == "text" and args.lang:
                from herniarules.i18n.text import explain

                out.write(
                    explain(
                        assessment,
                        args.lang,
                        verbose=args.verbose,
                        patient=patient,
                        indications=indications,
                    )
                )
                continue
            if args.format == "text":
                _text_assessment(assessment, out, args.verbose, patient, indications, ahead)
                continue
            if args.lang:
                from herniarules.i18n import localize

                assessment = localize(assessment, args.lang)
            record = assessment_to_dict(assessment)
            if ahead is not None:
                record["outlook"] = ahead.to_dict()
        if args.format == "jsonl":
            out.write(_json_text(record, out, indent=None) + "\n")
            out.flush()
        elif args.format == "json":
            records.append(record)
    if args.format == "json":
        out.write(_json_text(records, out) + "\n")
    return status


def _run(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare call: the help, and success
        parser.print_help(out)
        return EXIT_OK
    if getattr(args, "lang", None) and args.command not in (
        "assess",
        "plan",
        "techniques",
        "rules",
    ):
        err.write(
            f"error: --lang applies to assess, plan, techniques and rules, not to {args.command}\n"
        )
        return EXIT_INPUT
    if getattr(args, "lang", None) and getattr(args, "fhir", False):
        err.write("error: --lang does not apply to --fhir input: its output stays English\n")
        return EXIT_INPUT
    if args.command == "plugins" and args.write_lock:
        from herniarules.discovery import lock_lines

        out.write("# herniarules plugin lock: name==version sha256:<digest of installed files>\n")
        for line in lock_lines(ENTRY_POINT_GROUP):
            out.write(line + "\n")
        return EXIT_OK
    if args.command == "schema":
        schemas = {
            "patient": patient_schema,
            "assessment": assessment_schema,
            "decision": decision_schema,
        }
        schema = schemas[args.which]()
        out.write(_json_text(schema, out) + "\n")
        return EXIT_OK
    allow = None
    if args.lock:
        from herniarules.discovery import read_lock

        try:
            allow = read_lock(args.lock)
        except (OSError, UnicodeDecodeError) as exc:
            err.write(f"error: cannot read the lock file {args.lock}: {exc}\n")
            return EXIT_INPUT
    try:
        engine = Engine(allow=allow, debug=args.debug)
    except ValueError as exc:  # a malformed lock line
        err.write(f"error: {args.lock}: {exc}\n")
        return EXIT_INPUT
    for info in engine.plugins:
        if info.error:
            err.write(f"warning: plugin {info.name} {info.version} failed to load: {info.error}\n")
    if args.command == "serve":
        return _serve(args, engine, err)
    if args.command in ("techniques", "rules", "plugins"):
        return _listing(engine, args.command, args.format, out, getattr(args, "lang", None))
    if args.command == "screen":
        from herniarules.screen._cli import run_screen

        return run_screen(args, allow, out, err)
    if args.command == "plan":
        return _plan(engine, args, out, err)
    if args.command == "replay":
        return _replay(engine, args, out, err)
    if args.command == "test":
        return _test(engine, args, out, err)
    return _assess(engine, args, out, err)


def _replay(engine: Engine, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from herniarules._json import read_file
    from herniarules.audit import RecordError

    if args.record == STDIN and args.input == STDIN:
        err.write("error: RECORD and INPUT cannot both be standard input\n")
        return EXIT_INPUT
    try:
        if args.record == STDIN:
            text: str | bytes = _stdin_bytes()
        else:
            text = read_file(args.record)
    except InputError as exc:
        err.write(f"{RecordError(exc.problems, exc.source or args.record)}\n")
        return EXIT_INPUT
    try:
        patient = _read(args.input, _stdin_bytes)
        result = engine.replay(text, patient)
    except RecordError as exc:
        where = "standard input" if args.record == STDIN else args.record
        err.write(f"{exc.with_source(where)}\n")
        return EXIT_INPUT
    except InputError as exc:
        err.write(f"{exc}\n")
        return EXIT_INPUT
    if args.format == "json":
        out.write(_json_text(result.to_dict(), out) + "\n")
    elif result.identical:
        out.write(f"identical: decision {result.record_id} replays as recorded on {result.as_of}\n")
    else:
        count = len(result.differences)
        out.write(f"differs ({count} difference{'s' if count != 1 else ''}) on {result.as_of}:\n")
        for difference in result.differences:
            out.write(f"  {difference}\n")
    return EXIT_OK if result.identical else EXIT_DIFFERS


def _test(engine: Engine, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from herniarules.cases import run

    report = run(args.files, engine)
    if args.format == "json":
        out.write(_json_text(report.to_dict(), out) + "\n")
    elif args.format == "junit":
        out.write(report.junit_xml())
    else:
        out.write(report.text(args.verbose))
    if args.format != "text":  # the text report names them already
        for error in report.errors:
            err.write(f"error: {error}\n")
    return report.exit_status


def _tolerant(stream: TextIO) -> TextIO:
    """Make a terminal stream that cannot encode every character escape those it cannot."""
    reconfigure = getattr(stream, "reconfigure", None)
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    if reconfigure is not None and encoding not in ("utf-8", "utf8"):
        reconfigure(errors="backslashreplace")
    return stream


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; return the exit status."""
    out = out or _tolerant(sys.stdout)
    err = err or _tolerant(sys.stderr)
    try:
        status = _run(argv, out, err)
        out.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, and do not let the interpreter
        # complain when it flushes standard output at exit.
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
