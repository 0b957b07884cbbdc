"""Clinical test cases as data: vignettes in YAML, run against the engine.

A clinician writes what a patient's record should give, in the manner of ``opa test`` or the
CQL testing framework, and ``herniarules test FILES...`` (or :func:`run`) checks it::

    description: Stages of the hernia
    cases:
      - name: acute lumbar hernia is deferred
        description: The source forbids massage in the acute stage.
        source: "It is strictly forbidden to perform massage during the acute stage"
        patient_file: ../patients/02-acute-lumbar.json
        as_of: 2026-12-01
        expect: {classic: defer, honey: defer}
        rules: {classic: [core.acute-phase]}

Each case has a ``name`` (unique in its file), a patient (``patient``, an inline herniarules
patient record, or ``patient_file``, a JSON record's path relative to the YAML file), the
assessment day ``as_of`` (``YYYY-MM-DD``), and ``expect``: the verdict of each technique named,
an outcome label (``allowed``, ``allowed-with-modifications``, ``requires-clearance``,
``insufficient-data``, ``defer``, ``contraindicated``). ``rules`` names, per technique, rule
ids whose findings must be among the decision's; with ``exactly: true`` they must be all of
them. ``description`` and ``source`` (the clinical passage the case checks) are free text.

Files are read strictly: an unknown key, technique, verdict or rule id, a duplicate key or a
missing field is a :class:`CaseError` naming its path (``cases[2].expect.honey``) and the
values allowed. Nothing in a file is guessed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from herniarules.engine import PLUGIN_ERROR, Engine
from herniarules.errors import InputError, Problem
from herniarules.io import load_patient, patient_from_dict
from herniarules.model import Patient
from herniarules.outcomes import Outcome

__all__ = ["Case", "CaseError", "CaseResult", "Report", "check", "load", "run"]

#: Largest test case file read, in bytes.
MAX_FILE_BYTES = 1 << 20

_FILE_KEYS = frozenset({"description", "cases"})
_CASE_KEYS = frozenset(
    {
        "name",
        "description",
        "source",
        "patient",
        "patient_file",
        "as_of",
        "expect",
        "rules",
        "exactly",
    }
)
_LABELS = tuple(o.label for o in Outcome)


class CaseError(InputError):
    """Raised when a test case file cannot be read; lists every problem with its path."""

    def _subject(self) -> str:
        return "test case file"

    def with_source(self, source: str) -> CaseError:
        """Return the same error, naming ``source`` as where the input came from."""
        return CaseError(self.problems, source)


@attrs.frozen
class Case:
    """One vignette: a patient, a day, and the verdicts it must give."""

    name: str
    file: str
    """The file the case is in, as given."""
    patient: Patient
    as_of: date
    expect: Mapping[str, Outcome]
    """The verdict each technique named must get."""
    rules: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Per technique, rule ids whose findings the decision must have."""
    exactly: bool = False
    """Whether :attr:`rules` lists every finding of each technique it names."""
    description: str = ""
    source: str = ""
    """The passage of the clinical source the case checks."""


@attrs.frozen
class CaseResult:
    """How one case went: each failure says what was expected and what came."""

    case: Case
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Return whether every expectation of the case held."""
        return not self.failures


@attrs.frozen
class Report:
    """The results of every case of every file, and the files that could not be read."""

    results: tuple[CaseResult, ...]
    errors: tuple[CaseError, ...] = ()

    @property
    def passed(self) -> int:
        """Return how many cases passed."""
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        """Return how many cases failed."""
        return len(self.results) - self.passed

    @property
    def exit_status(self) -> int:
        """Return 2 if a file could not be read, else 1 if a case failed, else 0."""
        return 2 if self.errors else 1 if self.failed else 0

    def text(self, verbose: bool = False) -> str:
        """Return the report for people: failures in full, passes with ``verbose``."""
        lines: list[str] = []
        for error in self.errors:
            lines.append(f"ERROR {error}")
        for result in self.results:
            where = f"{result.case.file}: {result.case.name}"
            if result.passed:
                if verbose:
                    lines.append(f"PASS  {where}")
                continue
            lines.append(f"FAIL  {where}")
            lines.extend(f"        {failure}" for failure in result.failures)
        tail = f"{self.passed} passed, {self.failed} failed"
        if self.errors:
            tail += f", {len(self.errors)} file{'s' if len(self.errors) > 1 else ''} not read"
        lines.append(tail)
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-able data."""
        return {
            "passed": self.passed,
            "failed": self.failed,
            "errors": [
                {
                    "file": e.source,
                    "problems": [{"path": p.path, "message": p.message} for p in e.problems],
                }
                for e in self.errors
            ],
            "cases": [
                {
                    "file": r.case.file,
                    "name": r.case.name,
                    "passed": r.passed,
                    "failures": list(r.failures),
                }
                for r in self.results
            ],
        }

    def junit_xml(self) -> str:
        """Return the report as JUnit XML: a test suite per file, a test case per case."""
        root = ET.Element("testsuites", tests=str(len(self.results)), failures=str(self.failed))
        suites: dict[str, ET.Element] = {}
        for error in self.errors:
            bad = ET.SubElement(root, "testsuite", name=str(error.source), tests="0", errors="1")
            ET.SubElement(bad, "error", message="the file cannot be read").text = str(error)
        for result in self.results:
            file = result.case.file
            if file not in suites:
                suites[file] = ET.SubElement(root, "testsuite", name=file)
            element = ET.SubElement(suites[file], "testcase", classname=file, name=result.case.name)
            if result.failures:
                ET.SubElement(element, "failure", message=result.failures[0]).text = "\n".join(
                    result.failures
                )
        for name, suite in suites.items():
            mine = [r for r in self.results if r.case.file == name]
            suite.set("tests", str(len(mine)))
            suite.set("failures", str(sum(1 for r in mine if not r.passed)))
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# -- reading ------------------------------------------------------------------------------------


def _loader() -> type[Any]:
    """Return a safe YAML loader that keeps dates as text and refuses duplicate keys."""
    import yaml

    class Loader(yaml.SafeLoader):
        """PyYAML's safe loader with its own resolvers and constructors, set below."""

    # Dates stay strings, read below as YYYY-MM-DD exactly, as in patient records.
    Loader.yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def mapping(loader: Loader, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return dict(yaml.SafeLoader.construct_mapping(loader, node, deep=deep))

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Loader


def _read_yaml(path: Path, name: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise CaseError(
            [Problem("$", "reading test cases needs PyYAML: install herniarules[cases]")], name
        ) from None
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CaseError([Problem("$", f"cannot read the file: {exc.strerror}")], name) from None
    if len(data) > MAX_FILE_BYTES:
        raise CaseError([Problem("$", f"file is larger than {MAX_FILE_BYTES} bytes")], name)
    try:
        return yaml.load(data, Loader=_loader())  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise CaseError([Problem("$", f"not valid YAML{where}: {what}")], name) from None


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _keys(value: Mapping[Any, Any], allowed: frozenset[str], path: str) -> list[Problem]:
    problems = []
    for key in value:
        if key not in allowed:
            problems.append(
                Problem(
                    f"{path}.{key}" if path else str(key),
                    f"unknown key; allowed: {_allowed(allowed)}",
                )
            )
    return problems


def _text(value: object, path: str, problems: list[Problem], *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(path, f"must be a non-empty text, got {value!r}"))
        return ""
    return value


def _patient(case: Mapping[str, Any], path: str, base: Path, problems: list[Problem]) -> Any:
    inline, file = case.get("patient"), case.get("patient_file")
    if (inline is None) == (file is None):
        problems.append(Problem(path, "give exactly one of patient and patient_file"))
        return None
    try:
        if inline is not None:
            return patient_from_dict(inline)
        if not isinstance(file, str) or not file:
            problems.append(Problem(f"{path}.patient_file", f"must be a path, got {file!r}"))
            return None
        return load_patient(base / file)
    except InputError as exc:
        inner = f"{path}.patient" if inline is not None else f"{path}.patient_file"
        for problem in exc.problems:
            sub = "" if problem.path == "$" else f".{problem.path}"
            problems.append(Problem(f"{inner}{sub}", problem.message))
        return None


def _technique_map(
    value: object, path: str, techniques: frozenset[str], problems: list[Problem]
) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not value:
        problems.append(Problem(path, "must be a mapping of technique id to a value"))
        return {}
    out: dict[str, Any] = {}
    for technique, item in value.items():
        if technique not in techniques:
            problems.append(
                Problem(
                    f"{path}.{technique}",
                    f"unknown technique; installed: {_allowed(techniques)}",
                )
            )
            continue
        out[str(technique)] = item
    return out


def _case(
    data: object,
    path: str,
    base: Path,
    name: str,
    engine: Engine,
    problems: list[Problem],
) -> Case | None:
    if not isinstance(data, Mapping):
        problems.append(Problem(path, "must be a mapping with name, patient, as_of and expect"))
        return None
    before = len(problems)
    problems.extend(_keys(data, _CASE_KEYS, path))
    for key in ("name", "as_of", "expect"):
        if key not in data:
            problems.append(Problem(f"{path}.{key}", "missing"))
    title = _text(data.get("name"), f"{path}.name", problems, required=True)
    description = _text(data.get("description"), f"{path}.description", problems)
    source = _text(data.get("source"), f"{path}.source", problems)
    day: date | None = None
    raw_day = data.get("as_of")
    if "as_of" in data:
        try:
            if not isinstance(raw_day, str) or len(raw_day) != 10:
                raise ValueError
            day = date.fromisoformat(raw_day)
        except ValueError:
            problems.append(
                Problem(f"{path}.as_of", f"must be a date as YYYY-MM-DD, got {raw_day!r}")
            )
    techniques = frozenset(t.id for t in engine.techniques)
    expect: dict[str, Outcome] = {}
    if "expect" in data:
        for technique, label in _technique_map(
            data["expect"], f"{path}.expect", techniques, problems
        ).items():
            if not isinstance(label, str) or label not in _LABELS:
                problems.append(
                    Problem(
                        f"{path}.expect.{technique}",
                        f"unknown verdict {label!r}; allowed: {', '.join(_LABELS)}",
                    )
                )
                continue
            expect[technique] = Outcome.from_label(label)
    rules: dict[str, tuple[str, ...]] = {}
    if data.get("rules") is not None:
        known = frozenset(rule.id for rule in engine.rules) | {PLUGIN_ERROR}
        for technique, ids in _technique_map(
            data["rules"], f"{path}.rules", techniques, problems
        ).items():
            where = f"{path}.rules.{technique}"
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                problems.append(Problem(where, "must be a list of rule ids"))
                continue
            for index, rule_id in enumerate(ids):
                if rule_id not in known:
                    problems.append(
                        Problem(
                            f"{where}[{index}]",
                            f"unknown rule id {rule_id!r}; see 'herniarules rules' for the "
                            "installed rules",
                        )
                    )
            rules[technique] = tuple(ids)
    exactly = data.get("exactly", False)
    if not isinstance(exactly, bool):
        problems.append(Problem(f"{path}.exactly", f"must be true or false, got {exactly!r}"))
    elif exactly and not rules:
        problems.append(Problem(f"{path}.exactly", "needs rules to compare with"))
    patient = _patient(data, path, base, problems)
    if len(problems) > before or day is None or patient is None:
        return None
    return Case(title, name, patient, day, expect, rules, bool(exactly), description, source)


def load(path: str | Path, engine: Engine) -> tuple[Case, ...]:
    """Return the cases of one YAML file; raise :class:`CaseError` naming every problem.

    Techniques and rule ids are checked against ``engine``'s installed ones.
    """
    name = str(path)
    file = Path(path)
    data = _read_yaml(file, name)
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise CaseError([Problem("$", "must be a mapping with 'cases', a list of cases")], name)
    problems.extend(_keys(data, _FILE_KEYS, ""))
    _text(data.get("description"), "description", problems)
    items = data.get("cases")
    if not isinstance(items, list) or not items:
        problems.append(Problem("cases", "must be a non-empty list of cases"))
        raise CaseError(problems, name)
    cases: list[Case] = []
    names: set[str] = set()
    for index, item in enumerate(items):
        case = _case(item, f"cases[{index}]", file.parent, name, engine, problems)
        if case is None:
            continue
        if case.name in names:
            problems.append(Problem(f"cases[{index}].name", f"duplicate name {case.name!r}"))
        names.add(case.name)
        cases.append(case)
    if problems:
        raise CaseError(problems, name)
    return tuple(cases)


# -- running ------------------------------------------------------------------------------------


def check(case: Case, engine: Engine) -> CaseResult:
    """Assess the case's patient on its day and compare every expectation."""
    wanted = sorted({*case.expect, *case.rules})
    assessment = engine.assess(case.patient, as_of=case.as_of, techniques=wanted)
    failures: list[str] = []
    for technique, outcome in case.expect.items():
        decision = assessment.decision(technique)
        if decision.outcome is not outcome:
            deciding = sorted(
                {f.rule_id for f in decision.findings if f.effective_outcome is decision.outcome}
            )
            why = f" ({', '.join(deciding)})" if deciding else ""
            failures.append(
                f"{technique}: expected {outcome.label}, got {decision.outcome.label}{why}"
            )
    for technique, ids in case.rules.items():
        fired = {f.rule_id for f in assessment.decision(technique).findings}
        missing = [i for i in ids if i not in fired]
        if missing:
            failures.append(
                f"{technique}: expected findings of {', '.join(missing)}; fired: "
                f"{', '.join(sorted(fired)) or 'none'}"
            )
        extra = sorted(fired.difference(ids))
        if case.exactly and extra:
            failures.append(f"{technique}: unexpected findings of {', '.join(extra)}")
    return CaseResult(case, tuple(failures))


def run(paths: Sequence[str | Path], engine: Engine | None = None) -> Report:
    """Load and run every case of ``paths``; a file that cannot be read is reported, not run.

    :param engine: the engine to assess with (default: one with the installed plugins).
    """
    engine = engine or Engine()
    results: list[CaseResult] = []
    errors: list[CaseError] = []
    for path in paths:
        try:
            cases = load(path, engine)
        except CaseError as exc:
            errors.append(exc)
            continue
        results.extend(check(case, engine) for case in cases)
    return Report(tuple(results), tuple(errors))
