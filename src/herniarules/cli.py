"""The ``herniarules`` command line.

``herniarules assess FILE... [--technique ID] [--format text|json] [--as-of DATE]``
``herniarules plan FILE --technique ID --start DATE``
``herniarules techniques`` · ``herniarules rules`` · ``herniarules plugins``
``herniarules schema patient|assessment``
``herniarules serve [--host H] [--port P] [--audit URL] [--insecure-dev | --issuer I --jwks F]``

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
    assess.add_argument(
        "--format",
        choices=("text", "json", "fhir"),
        default="text",
        help="fhir: a FHIR R4 Bundle of a GuidanceResponse and DetectedIssues per patient",
    )
    assess.add_argument(
        "--as-of", type=_date, metavar="DATE", help="assessment date (default today)"
    )
    assess.add_argument(
        "--fhir",
        action="store_true",
        help="the files are FHIR R4: a Bundle or resource (.json) or Bulk Data NDJSON (.ndjson)",
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
    _add_serve(sub)
    return parser


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the CDS Hooks service (extra [service])")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--audit",
        default="sqlite:///herniarules-audit.db",
        metavar="URL",
        help="audit log: sqlite:///path (default sqlite:///herniarules-audit.db) or "
        "postgresql://... for several instances sharing one log",
    )
    serve.add_argument(
        "--issuer", action="append", default=[], metavar="ISS", help="allowed JWT issuer"
    )
    serve.add_argument(
        "--jwks", action="append", default=[], metavar="FILE", help="pinned JWKS of each --issuer"
    )
    serve.add_argument("--public-url", metavar="URL", help="base URL clients call (JWT aud)")
    serve.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN")
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
        audit = open_audit_log(args.audit)
    except (OSError, ValueError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_INPUT
    config = ServiceConfig(
        issuers=issuers,
        insecure_dev=args.insecure_dev,
        public_url=args.public_url,
        cors_origins=tuple(args.cors_origin),
    )
    app = create_app(engine, audit=audit, config=config)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        audit.close()
    return EXIT_OK


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


def _assess_fhir(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    """Assess the patients of FHIR files; raise InputError or KeyError on bad input."""
    from herniarules.fhir.cli import assess_files

    return assess_files(engine, args.files, args.as_of, args.technique, args.format, out)


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
    if args.command == "serve":
        return _serve(args, engine, err)
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
        if args.fhir:
            return _assess_fhir(engine, args, out)
        if args.format == "fhir":
            err.write("error: --format fhir needs --fhir input (the FHIR resources to cite)\n")
            return EXIT_INPUT
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
