"""The ``herniarules`` command line.

``herniarules assess FILE... [--technique ID] [--format text|json] [--as-of DATE]``
``herniarules plan FILE --technique ID --start DATE``
``herniarules techniques`` · ``herniarules rules`` · ``herniarules plugins``
``herniarules schema patient|assessment``
``herniarules screen INPUT --out FILE [--technique ID...] [--as-of DATE] [--policy TOML --compare]``

Exit status: 0 on success, 2 on invalid input (the path-named problems go to stderr), 3 when
a course is refused because the technique is not permitted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import TextIO

from herniarules.courses import CoursePlan
from herniarules.engine import ENTRY_POINT_GROUP, Engine, NotPermittedError
from herniarules.io import InputError, assessment_to_dict, dumps, load_patient
from herniarules.outcomes import Assessment, Decision
from herniarules.schema import assessment_schema, patient_schema

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_REFUSED = 0, 2, 3


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date as YYYY-MM-DD, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="herniarules",
        description="Decide whether, and how, a patient with an intervertebral disc hernia may "
        "receive each massage technique. Supports clinicians; does not replace them.",
    )
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
    sub = parser.add_subparsers(dest="command", required=True)
    assess = sub.add_parser("assess", help="assess patient files against every technique")
    assess.add_argument("files", nargs="+", metavar="FILE")
    assess.add_argument("--technique", action="append", metavar="ID", help="only this technique")
    assess.add_argument("--format", choices=("text", "json"), default="text")
    assess.add_argument(
        "--as-of", type=_date, metavar="DATE", help="assessment date (default today)"
    )
    plan = sub.add_parser("plan", help="plan the dated sessions of a course")
    plan.add_argument("file", metavar="FILE")
    plan.add_argument("--technique", required=True, metavar="ID")
    plan.add_argument("--start", type=_date, required=True, metavar="DATE")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_parser("techniques", help="list the available techniques")
    sub.add_parser("rules", help="list every rule with its rendered condition")
    plugins = sub.add_parser("plugins", help="list loaded plugins with versions and load errors")
    plugins.add_argument(
        "--lock",
        action="store_true",
        dest="write_lock",
        help="print a lock file pinning every installed plugin distribution's version and files",
    )
    schema = sub.add_parser("schema", help="print a JSON Schema")
    schema.add_argument("which", choices=("patient", "assessment"))
    _screen_parser(sub)
    return parser


def _screen_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``herniarules screen``; it runs in :mod:`herniarules.screen._cli`."""
    screen = sub.add_parser(
        "screen", help="decide every technique for a whole population file (extra [screen])"
    )
    screen.add_argument("input", metavar="INPUT", help=".parquet, .arrow, .csv or .ndjson")
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


def _text_decision(decision: Decision, out: TextIO) -> None:
    verdict = "PERMITTED" if decision.permitted else "NOT PERMITTED"
    out.write(f"  {decision.technique:<14} {verdict:<14} {decision.outcome.label}\n")
    for finding in sorted(decision.findings, key=lambda f: (-f.effective_outcome, f.rule_id)):
        cleared = f" (cleared by {finding.cleared_by})" if finding.cleared_by else ""
        out.write(
            f"      - [{finding.outcome.label}{cleared}] {finding.rule_id}: {finding.message}\n"
        )
        if finding.explanation and finding.explanation != "always":
            out.write(f"        because {finding.explanation}\n")
    protocol = decision.protocol
    if protocol is not None:
        low, high = protocol.session_minutes
        first, last = protocol.course_sessions
        out.write(
            f"      protocol: sessions of {low:g}-{high:g} min, course of {first}-{last} "
            f"sessions, pressure: {protocol.pressure}\n"
        )
        for number, step in enumerate(protocol.steps, 1):
            reps = f" x{step.repetitions}" if step.repetitions else ""
            out.write(f"        {number}. {step.name}{reps}: {step.description}\n")
        for area in protocol.avoid:
            out.write(f"        avoid: {area}\n")


def _text_assessment(assessment: Assessment, out: TextIO) -> None:
    out.write(f"Patient {assessment.patient_id} (assessed {assessment.as_of.isoformat()})\n")
    for decision in assessment.decisions:
        _text_decision(decision, out)
    if assessment.ranking:
        out.write(f"  best match to indications: {', '.join(assessment.ranking)}\n")
    for technique in assessment.unmatched_clearances:
        out.write(
            f"  note: a clearance is recorded for {technique!r}, which no installed plugin "
            "provides; it clears nothing\n"
        )
    out.write("\n")


def _text_plan(plan: CoursePlan, out: TextIO) -> None:
    out.write(f"Course of {plan.technique} for patient {plan.patient_id}\n")
    out.write(f"  {'#':>3}  {'date':<10}  {'minutes':>7}\n")
    for session in plan.sessions:
        out.write(f"  {session.number:>3}  {session.date.isoformat():<10}  {session.minutes:>7g}\n")
    out.write(f"  course ends {plan.end.isoformat()}; break of {plan.break_days} days\n")
    out.write(f"  next course no earlier than {plan.next_course_earliest.isoformat()}\n")
    for note in plan.notes:
        out.write(f"  note: {note}\n")


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    if args.command == "plugins" and args.write_lock:
        from herniarules.discovery import lock_lines

        out.write("# herniarules plugin lock: name==version sha256:<digest of installed files>\n")
        for line in lock_lines(ENTRY_POINT_GROUP):
            out.write(line + "\n")
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
    if args.command == "schema":
        schema = patient_schema() if args.which == "patient" else assessment_schema()
        out.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    if args.command == "techniques":
        for technique in engine.techniques:
            indications = ", ".join(technique.indications) or "-"
            out.write(f"{technique.id:<14} {technique.name} (for: {indications})\n")
        return EXIT_OK
    if args.command == "plugins":
        for info in engine.plugins:
            status = f"FAILED: {info.error}" if info.error else ", ".join(info.techniques)
            out.write(f"{info.name} {info.version}: {status}\n")
        return EXIT_OK
    if args.command == "rules":
        for rule in engine.rules:
            scope = (
                "all techniques" if rule.techniques is None else ", ".join(sorted(rule.techniques))
            )
            out.write(f"{rule.describe()}  [{scope}]\n    {rule.message}\n")
        out.write(f"ruleset fingerprint {engine.fingerprint}\n")
        return EXIT_OK
    if args.command == "screen":
        from herniarules.screen._cli import run_screen

        return run_screen(args, allow, out, err)
    try:
        if args.command == "plan":
            patient = load_patient(args.file)
            try:
                plan = engine.plan_course(patient, args.technique, args.start)
            except NotPermittedError as exc:
                err.write(f"refused: {exc}\n")
                return EXIT_REFUSED
            if args.format == "json":
                out.write(dumps(plan, indent=2) + "\n")
            else:
                _text_plan(plan, out)
            return EXIT_OK
        patients = [load_patient(path) for path in args.files]
    except InputError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_INPUT
    except KeyError as exc:
        err.write(f"error: {exc.args[0]}\n")
        return EXIT_INPUT
    try:
        assessments = [
            engine.assess(p, as_of=args.as_of, techniques=args.technique) for p in patients
        ]
    except KeyError as exc:
        err.write(f"error: {exc.args[0]}\n")
        return EXIT_INPUT
    if args.format == "json":
        data = [assessment_to_dict(a) for a in assessments]
        out.write(json.dumps(data if len(data) > 1 else data[0], indent=2, ensure_ascii=False))
        out.write("\n")
    else:
        for assessment in assessments:
            _text_assessment(assessment, out)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
