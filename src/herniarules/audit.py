"""Audit records that replay: input hash, decision ids, replay, masking and compact records.

Every decision and assessment an engine makes carries, in its JSON record, the schema version,
the as-of day, a decision id, the SHA-256 of the canonical input, the ruleset fingerprint, the
SDK and plugin versions and the policy in force. :meth:`herniarules.Engine.replay` re-runs a
stored record and reports whether today's engine decides the same, and if not, what differs
and why.

The canonical input of a patient is the JSON text of the patient record the SDK writes for the
parsed patient (:func:`herniarules.io.patient_to_dict`): object keys sorted, no whitespace,
non-ASCII characters written as they are, encoded in UTF-8, with numbers written as RFC 8785
(JCS) writes them: a float with an integral value is written without fraction (``37.0`` as
``37``). For the values a patient record holds (strings, integers, floats of at most a few
decimals, booleans, null, arrays and objects with ASCII keys) this text is the JCS
canonicalisation of the record. Its SHA-256, in lowercase hex, is the record's
``input_sha256``; the hash is computed only when a record is written or the value is read,
never while assessing.

A decision id is the UUID 5 (in :data:`NAMESPACE`) of
``"<input_sha256>|<technique>|<ruleset_fingerprint>|<as_of>"``; the assessment as a whole uses
``*`` for the technique.
"""

from __future__ import annotations

import enum
import hashlib
import json
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from herniarules.errors import InputError, Problem
from herniarules.model import Patient
from herniarules.outcomes import SCHEMA_VERSION, Assessment, Decision

if TYPE_CHECKING:
    from herniarules.engine import Engine

__all__ = [
    "IDENTIFYING_FIELDS",
    "NAMESPACE",
    "SUPPORTED_SCHEMA_VERSIONS",
    "Difference",
    "Masker",
    "RecordError",
    "Replay",
    "canonical_input",
    "canonical_input_reference",
    "compact",
    "decision_id",
    "expand",
    "input_sha256",
    "mask",
    "read_record",
]

#: The namespace of decision ids (a UUID 5 of the DNS namespace and ``herniarules.audit``).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "herniarules.audit")

#: Record layouts :func:`read_record` reads; 1.0 records carry no input hash and cannot replay.
SUPPORTED_SCHEMA_VERSIONS: tuple[str, ...] = (SCHEMA_VERSION,)

#: Fields a :class:`Masker` drops by default: who the patient is, who cleared what, and the
#: display texts of conditions in the evidence (a patient's own free text reaches them when
#: its code is not in the code table). A finding's explanation and message may quote such a
#: display too: add ``"explanation"`` and ``"message"`` to drop them as well.
IDENTIFYING_FIELDS: tuple[str, ...] = ("patient_id", "cleared_by", "display")


class RecordError(InputError):
    """Raised when an audit record cannot be read; lists every problem with its JSON path."""

    def _subject(self) -> str:
        return "audit record"

    def with_source(self, source: str) -> RecordError:
        """Return the same error naming the file or stream it came from."""
        return RecordError(self.problems, source)


# -- canonical input, hash and ids ---------------------------------------------------------


def _jcs_numbers(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        return {key: _jcs_numbers(item) for key, item in value.items()}
    if kind is list:
        return [_jcs_numbers(item) for item in value]
    return value


def canonical_input_reference(patient: Patient) -> bytes:
    """Return :func:`canonical_input` the plain way: the patient's JSON data, whole floats
    made integers, written with sorted keys by :func:`json.dumps`. The reference the
    generated writer is tested against."""
    from herniarules.io import patient_to_dict

    data = _jcs_numbers(patient_to_dict(patient))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def canonical_input(patient: Patient) -> bytes:
    """Return the canonical JSON of ``patient`` (UTF-8 bytes), the text ``input_sha256`` hashes.

    Written by one generated function per model class, keys in sorted order, with the text
    :func:`canonical_input_reference` gives.
    """
    writer = _WRITERS.get(Patient)
    if writer is None:
        writer = _canonical_writers()[Patient]
    return writer(patient).encode("utf-8")


_WRITERS: dict[type, Callable[[Any], str]] = {}


#: JSON's string escape, as :func:`json.dumps` writes strings with ``ensure_ascii=False``.
_string: Callable[[str], str] = json.encoder.encode_basestring


def _number(value: int | float) -> str:
    if type(value) is float:
        return str(int(value)) if value.is_integer() else float.__repr__(value)
    return int.__repr__(value)


def _value_code(hint: Any, expression: str, classes: list[type]) -> str:
    """Return Python writing ``expression``, of type ``hint``, as canonical JSON text."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return f"('null' if ({expression}) is None else {_value_code(inner, expression, classes)})"
    if typing.get_origin(hint) is tuple:
        item = args[0]
        return (
            f"('[' + ','.join([{_value_code(item, '_i', classes)} for _i in {expression}]) + ']')"
        )
    if hint is str:
        return f"_string({expression})"
    if hint is bool:
        return f"('true' if {expression} else 'false')"
    if hint is int:  # an int field holds an int (the model checks), written as Python writes it
        return f"(int.__repr__(_n) if type(_n := {expression}) is int else _number(_n))"
    if hint is float:
        return f"_number({expression})"
    if hint is date:
        return f"('\"' + {expression}.isoformat() + '\"')"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if not all(type(member.value) is str for member in hint):
            raise TypeError(f"{hint.__name__}: only enumerations of strings are written")
        return f"_string({expression}._value_)"
    if isinstance(hint, type) and attrs.has(hint):
        if hint not in classes:
            classes.append(hint)
        return f"_w_{hint.__name__}({expression})"
    raise TypeError(f"no canonical JSON for {hint!r}")


def _canonical_writers() -> dict[type, Callable[[Any], str]]:
    """Build (once) the writer of each model class reachable from :class:`Patient`."""
    from herniarules._codegen import define

    classes: list[type] = [Patient]
    namespace: dict[str, Any] = {"_string": _string, "_number": _number}
    sources = []
    done = 0
    while done < len(classes):
        cls = classes[done]
        done += 1
        hints = typing.get_type_hints(cls)
        fields = sorted(attrs.fields(cls), key=lambda f: f.name.encode("utf-16-be"))
        parts = []
        for index, field in enumerate(fields):
            key = json.dumps(field.name, ensure_ascii=False)
            prefix = ("{" if index == 0 else ",") + key + ":"
            parts += [repr(prefix), _value_code(hints[field.name], f"x.{field.name}", classes)]
        # One join per object: the texts are copied once, not once per field.
        body = f"''.join(({', '.join(parts)}, '}}'))" if parts else "'{}'"
        sources.append(f"def _w_{cls.__name__}(x):\n    return {body}\n")
    define("\n".join(sources) + "\n_all = None\n", "_all", "canonical input writers", namespace)
    for cls in classes:
        _WRITERS[cls] = namespace[f"_w_{cls.__name__}"]
    return _WRITERS


def input_sha256(patient: Patient) -> str:
    """Return the SHA-256 (lowercase hex) of :func:`canonical_input` of ``patient``."""
    return hashlib.sha256(canonical_input(patient)).hexdigest()


def decision_id(input_hash: str, technique: str, fingerprint: str, as_of: str) -> str:
    """Return the decision id of ``technique`` (``*`` for an assessment) as a UUID string.

    The same text as ``str(uuid.uuid5(NAMESPACE, name))`` gives, built without the
    :class:`uuid.UUID` object (a record of eight decisions writes nine ids).
    """
    name = f"{input_hash}|{technique}|{fingerprint}|{as_of}".encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_NAMESPACE_BYTES = NAMESPACE.bytes


# -- masking ---------------------------------------------------------------------------------


def _drop(value: object) -> None:
    return None


@attrs.frozen
class Masker:
    """Replace identifying fields of a record, wherever they occur, before it is logged.

    ``fields`` are the JSON keys masked (by default :data:`IDENTIFYING_FIELDS`); ``replace``
    gives the value written instead of a non-null one (by default ``null``; pass, for
    example, a keyed hash to keep records of one patient linkable). The masked record lists
    the masked keys in ``masked``; its input hash, ids and outcomes are unchanged, so it still
    replays given the patient.
    """

    fields: tuple[str, ...] = attrs.field(default=IDENTIFYING_FIELDS, converter=tuple)
    replace: Callable[[object], object] = _drop

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        """Return a masked copy of ``record`` (the plain JSON data of a record)."""
        masked = _masked(record, frozenset(self.fields), self.replace)
        if not isinstance(masked, dict):  # pragma: no cover - a record is an object
            raise TypeError("a record is a JSON object")
        masked["masked"] = sorted(set(self.fields) | set(record.get("masked") or ()))
        return masked


def _masked(value: Any, fields: frozenset[str], replace: Callable[[object], object]) -> Any:
    if isinstance(value, dict):
        return {
            key: (replace(item) if item is not None else None)
            if key in fields
            else _masked(item, fields, replace)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked(item, fields, replace) for item in value]
    return value


def mask(record: Mapping[str, Any], masker: Callable[[dict[str, Any]], dict[str, Any]]) -> dict:  # type: ignore[type-arg]
    """Return ``record`` masked by ``masker`` (a :class:`Masker` or any such callable).

    A callable other than a :class:`Masker` must return the masked record; ``masked`` is
    set to ``["*"]`` if it does not say which keys it masked.
    """
    result = masker(json.loads(json.dumps(record)))
    if not isinstance(result, dict):
        raise TypeError(f"a mask must return the record as a dict, got {type(result).__name__}")
    result.setdefault("masked", ["*"])
    return result


# -- reading records -------------------------------------------------------------------------


def _record_data(record: object) -> Any:
    from herniarules.io import dumps, parse_json

    if type(record) in (Assessment, Decision):
        return json.loads(dumps(record))  # the record as stored: arrays, not tuples
    if isinstance(record, str | bytes):
        try:
            return parse_json(record)
        except InputError as exc:
            raise RecordError(exc.problems) from None
    return record


def _is_hex(text: object, length: int) -> bool:
    return (
        isinstance(text, str) and len(text) == length and all(c in "0123456789abcdef" for c in text)
    )


def read_record(record: object) -> dict[str, Any]:
    """Return ``record`` (JSON text, its data, or a Decision or Assessment) checked for replay.

    Full, masked and compact records of both kinds are read. Raise :class:`RecordError`
    naming the path of every problem: a field missing or of the wrong type, a layout this
    SDK does not read (records of layout 1.0 have no input hash: assess again).
    """
    data = _record_data(record)
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise RecordError([Problem("$", f"must be an object, got {type(data).__name__}")])
    version = data.get("schema_version")
    if not isinstance(version, str):
        raise RecordError([Problem("schema_version", "required: a string such as '2.0'")])
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(SUPPORTED_SCHEMA_VERSIONS)
        hint = (
            "; a 1.x record has no input hash or decision ids and cannot be replayed"
            if version.startswith("1.")
            else ""
        )
        raise RecordError(
            [Problem("schema_version", f"unsupported {version!r}; supported: {supported}{hint}")]
        )
    if data.get("compact") is True and isinstance(data.get("decisions"), list):
        data = _resolved(data, problems)
    if not _is_hex(data.get("input_sha256"), 64):
        problems.append(Problem("input_sha256", "required: 64 lowercase hex digits"))
    if not isinstance(data.get("ruleset_fingerprint"), str):
        problems.append(Problem("ruleset_fingerprint", "required: a string"))
    if not isinstance(data.get("sdk_version"), str):
        problems.append(Problem("sdk_version", "required: a string"))
    as_of = data.get("as_of")
    try:
        date.fromisoformat(as_of) if isinstance(as_of, str) else None
    except ValueError:
        as_of = None
    if not isinstance(as_of, str):
        problems.append(Problem("as_of", "required: a date YYYY-MM-DD"))
    if not isinstance(data.get("policy"), dict):
        problems.append(Problem("policy", "required: an object of the policy thresholds"))
    plugins = data.get("plugins")
    if not isinstance(plugins, list):
        problems.append(Problem("plugins", "required: an array of plugin records"))
    else:
        for index, plugin in enumerate(plugins):
            for key in ("name", "version"):
                if not isinstance(plugin, dict) or not isinstance(plugin.get(key), str):
                    problems.append(Problem(f"plugins[{index}].{key}", "required: a string"))
    if "decisions" in data:
        decisions = data["decisions"]
        if not isinstance(decisions, list):
            problems.append(Problem("decisions", "must be an array of decisions"))
        else:
            for index, item in enumerate(decisions):
                _check_decision(item, f"decisions[{index}]", problems)
    elif "technique" in data:
        _check_decision(data, "", problems)
    else:
        problems.append(
            Problem("$", "neither an assessment (decisions) nor a decision (technique)")
        )
    if problems:
        raise RecordError(problems)
    checked: dict[str, Any] = data
    return checked


def _resolved(data: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """Return a compact assessment with each decision's finding indices replaced by findings."""
    table = data.get("findings")
    if not isinstance(table, list):
        problems.append(Problem("findings", "required in a compact assessment: an array"))
        return data
    decisions = []
    for index, item in enumerate(data["decisions"]):
        refs = item.get("findings") if isinstance(item, dict) else None
        if not isinstance(refs, list):
            decisions.append(item)
            continue
        resolved = []
        for position, ref in enumerate(refs):
            if type(ref) is not int or not 0 <= ref < len(table):
                problems.append(
                    Problem(
                        f"decisions[{index}].findings[{position}]",
                        f"must be an index into findings (0 to {len(table) - 1})",
                    )
                )
            else:
                resolved.append(table[ref])
        decisions.append({**item, "findings": resolved})
    return {**data, "decisions": decisions}


def _check_decision(item: object, path: str, problems: list[Problem]) -> None:
    from herniarules.outcomes import Outcome

    prefix = f"{path}." if path else ""
    if not isinstance(item, dict):
        problems.append(Problem(path or "$", "must be an object"))
        return
    if not isinstance(item.get("technique"), str):
        problems.append(Problem(prefix + "technique", "required: a string"))
    outcome = item.get("outcome")
    labels = [o.label for o in Outcome]
    if outcome not in labels:
        problems.append(Problem(prefix + "outcome", f"must be one of {', '.join(labels)}"))
    findings = item.get("findings")
    if not isinstance(findings, list):
        problems.append(Problem(prefix + "findings", "required: an array"))
        return
    for index, finding in enumerate(findings):
        if not isinstance(finding, dict) or not isinstance(finding.get("rule_id"), str):
            problems.append(Problem(f"{prefix}findings[{index}].rule_id", "required: a string"))


# -- replay ------------------------------------------------------------------------------------


@attrs.frozen
class Difference:
    """One way a replayed record differs from the stored one."""

    what: str
    """What differs: input, fingerprint, sdk-version, plugin, policy, technique, verdict,
    rules (recorded holds the rule ids removed since, replayed those added), protocol (its
    session and course numbers and parameters) or ranking."""
    subject: str
    """The field, plugin, threshold or technique that differs (``pain_score``, ``honey``)."""
    recorded: Any
    """The value in the stored record (``None`` when absent there)."""
    replayed: Any
    """The value now (``None`` when absent now)."""
    why: str = ""
    """Why it differs, where that can be known (``another plugin version``)."""

    def __str__(self) -> str:
        text = f"{self.what} {self.subject}: {_show(self.recorded)} -> {_show(self.replayed)}"
        return f"{text} ({self.why})" if self.why else text


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


@attrs.frozen
class Replay:
    """The result of replaying a stored record under the engine in use now."""

    identical: bool
    """Whether the engine decides now exactly as the record says, for the same input."""
    differences: tuple[Difference, ...]
    """What differs, most fundamental first (input, then ruleset, then verdicts)."""
    record_id: str | None
    """The decision id of the stored record."""
    replayed_id: str | None
    """The decision id of the decision made now."""
    as_of: date
    """The day the record was made for, and replayed at."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "identical": self.identical,
            "as_of": self.as_of.isoformat(),
            "record_id": self.record_id,
            "replayed_id": self.replayed_id,
            "differences": [
                {
                    "what": d.what,
                    "subject": d.subject,
                    "recorded": d.recorded,
                    "replayed": d.replayed,
                    "why": d.why,
                }
                for d in self.differences
            ],
        }


def _decisions(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    items = data.get("decisions", [data])
    return {item["technique"]: item for item in items}


def _plugin_versions(plugins: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {p["name"]: p["version"] for p in plugins}


def replay(engine: Engine, record: object, patient: Patient) -> Replay:
    """Re-run ``record`` for ``patient`` with ``engine`` at the record's as-of day; compare.

    See :meth:`herniarules.Engine.replay`.
    """
    from herniarules.io import dumps

    data = read_record(record)
    as_of = date.fromisoformat(data["as_of"])
    recorded = _decisions(data)
    if "decisions" in data:
        techniques = [t for t in recorded if t in engine_techniques(engine)]
        now = json.loads(dumps(engine.assess(patient, as_of=as_of, techniques=techniques)))
    elif data["technique"] in engine_techniques(engine):
        now = json.loads(dumps(engine.evaluate(patient, data["technique"], as_of=as_of)))
    else:
        now = None
    differences: list[Difference] = []
    sha = input_sha256(patient)
    if sha != data["input_sha256"]:
        differences.append(
            Difference("input", "input_sha256", data["input_sha256"], sha, "another input")
        )
    if engine.fingerprint != data["ruleset_fingerprint"]:
        differences.append(
            Difference(
                "fingerprint",
                "ruleset_fingerprint",
                data["ruleset_fingerprint"],
                engine.fingerprint,
                _fingerprint_why(engine, data),
            )
        )
    from herniarules import __version__

    if __version__ != data["sdk_version"]:
        differences.append(
            Difference(
                "sdk-version", "herniarules", data["sdk_version"], __version__, "another SDK"
            )
        )
    differences += _plugin_differences(data["plugins"], engine)
    differences += _policy_differences(data["policy"], _policy_data(engine))
    current = {} if now is None else _decisions(now)
    for technique, old in recorded.items():
        new = current.get(technique)
        if new is None:
            differences.append(
                Difference(
                    "technique", technique, old["outcome"], None, "no installed plugin provides it"
                )
            )
            continue
        if new["outcome"] != old["outcome"]:
            differences.append(
                Difference("verdict", technique, old["outcome"], new["outcome"], _why(differences))
            )
        old_rules = {f["rule_id"] for f in old["findings"]}
        new_rules = {f["rule_id"] for f in new["findings"]}
        if old_rules != new_rules:
            differences.append(
                Difference(
                    "rules",
                    technique,
                    sorted(old_rules - new_rules),
                    sorted(new_rules - old_rules),
                    _why(differences) or "another ruleset",
                )
            )
        both = all(
            isinstance(d.get("protocol"), dict) and "parameters" in d["protocol"]
            for d in (old, new)
        )
        old_protocol, new_protocol = _protocol_key(old, both), _protocol_key(new, both)
        if old_protocol != new_protocol:
            differences.append(
                Difference(
                    "protocol",
                    technique,
                    old_protocol,
                    new_protocol,
                    _why(differences) or "another protocol builder or parameters",
                )
            )
    if now is not None and "ranking" in data and data["ranking"] != now["ranking"]:
        differences.append(
            Difference("ranking", "ranking", data["ranking"], now["ranking"], _why(differences))
        )
    record_id = data.get("decision_id")
    replayed_id = None if now is None else now.get("decision_id")
    return Replay(not differences, tuple(differences), record_id, replayed_id, as_of)


def _protocol_key(decision: Mapping[str, Any], parameters: bool) -> dict[str, Any] | None:
    # What a protocol is in any language and in full and compact records alike: its session
    # and course numbers, and its parameters when both records being compared hold them.
    protocol = decision.get("protocol")
    if not isinstance(protocol, dict):
        return None
    key = {name: protocol.get(name) for name in ("session_minutes", "course_sessions")}
    if parameters:
        key["parameters"] = protocol.get("parameters")
    return key


def engine_techniques(engine: Engine) -> frozenset[str]:
    """Return the ids of the techniques ``engine`` can decide."""
    return frozenset(t.id for t in engine.techniques)


def _why(differences: Sequence[Difference]) -> str:
    kinds = [d for d in differences if d.what in ("input", "plugin", "policy", "sdk-version")]
    if not kinds:
        return ""
    parts = []
    for d in kinds:
        label = {"input": "another input", "sdk-version": "another SDK"}.get(d.what)
        parts.append(label or f"another {d.what} ({d.subject})")
    return ", ".join(dict.fromkeys(parts))


def _fingerprint_why(engine: Engine, data: Mapping[str, Any]) -> str:
    reasons = []
    if _plugin_differences(data["plugins"], engine):
        reasons.append("another plugin version or set of plugins")
    if _policy_differences(data["policy"], _policy_data(engine)):
        reasons.append("another policy")
    return ", ".join(reasons) or "other rules, parameters or plugin files"


def _plugin_differences(recorded: Sequence[Mapping[str, Any]], engine: Engine) -> list[Difference]:
    old = _plugin_versions(recorded)
    new = {p.name: p.version for p in engine.plugins}
    differences = []
    for name in sorted(old.keys() | new.keys()):
        if old.get(name) != new.get(name):
            why = (
                "another plugin version"
                if name in old and name in new
                else "plugin not installed now"
                if name in old
                else "plugin added"
            )
            differences.append(Difference("plugin", name, old.get(name), new.get(name), why))
    return differences


def _policy_data(engine: Engine) -> Mapping[str, Any]:
    from herniarules.io import _cattrs

    data: Mapping[str, Any] = _cattrs().unstructure(engine.policy)
    return data


def _policy_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Difference]:
    return [
        Difference("policy", name, old.get(name), new.get(name), "another policy")
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


# -- compact records ---------------------------------------------------------------------------

#: Fields of a finding a compact record keeps; the message and source are rendered.
_FINDING_KEPT = ("rule_id", "outcome", "effective_outcome", "evidence", "explanation", "site")


def _catalogue(engine: Engine) -> dict[str, tuple[str, str]]:
    return {rule.id: (rule.message, rule.source) for rule in engine.rules}


def compact(record: object, engine: Engine | None = None) -> dict[str, Any]:
    """Return the compact form of a record: ids, outcomes, evidence and fingerprints.

    ``record`` is a Decision or Assessment, or a full record's text or data. Messages and
    sources are left out where the rule catalogue renders them exactly (the catalogue of the
    engine that decided, for a Decision or Assessment; else that of ``engine``, by default one
    with the installed plugins); protocols are kept as the SHA-256 of their JSON text in the
    full record, with their session and course numbers. In a compact assessment each distinct
    finding is written once, in ``findings``, and each decision lists its findings by their
    index there. :func:`expand` renders the rest.
    """
    audit = getattr(record, "_audit", None) if type(record) in (Decision, Assessment) else None
    if audit is not None and engine is None:
        return _compact_objects(record, audit[2].catalogue)  # type: ignore[arg-type]
    data = read_record(record)
    if data.get("compact") is True:
        raise RecordError([Problem("compact", "the record is compact already")])
    if engine is None:
        from herniarules.engine import Engine

        engine = Engine()
    rules = _catalogue(engine)
    out: dict[str, Any] = {"compact": True}
    for key, value in data.items():
        if key not in ("decisions", "findings", "protocol"):
            out[key] = value
    if "technique" in data:
        decision, findings = _compact_decision(data, rules)
        out.update(decision, findings=findings)
        return out
    table: list[dict[str, Any]] = []
    positions: dict[str, int] = {}
    decisions = []
    for item in data["decisions"]:
        decision, findings = _compact_decision(item, rules)
        refs = []
        for finding in findings:
            key = json.dumps(finding, sort_keys=True)
            if key not in positions:
                positions[key] = len(table)
                table.append(finding)
            refs.append(positions[key])
        decision["findings"] = refs
        decisions.append(decision)
    out["decisions"], out["findings"] = decisions, table
    return out


def _protocol_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _protocol_text(protocol: Mapping[str, Any]) -> str:
    # The text the full record holds (herniarules.io.dumps without indent): sorted keys, the
    # separators of json.dumps, non-ASCII characters as they are.
    return json.dumps(protocol, sort_keys=True, ensure_ascii=False)


def _compact_objects(
    value: Decision | Assessment, rules: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    from herniarules.io import _cattrs, _emitter
    from herniarules.outcomes import ASSESSMENT_AUDIT, DECISION_AUDIT, PluginInfo, Protocol

    unstructure = _cattrs().unstructure
    protocol_text = _emitter()._writers[Protocol]  # the kept text of a shared protocol
    table: list[dict[str, Any]] = []
    positions: dict[int, int] = {}  # by identity: the engine shares one finding for equal ones

    def finding_dict(finding: Any) -> dict[str, Any]:
        kept: dict[str, Any] = {
            "rule_id": finding.rule_id,
            "outcome": finding.outcome.label,
            "effective_outcome": finding.effective_outcome.label,
            "evidence": unstructure(finding.evidence, Mapping[str, Any]),
            "explanation": finding.explanation,
            "site": finding.site,
        }
        if finding.cleared_by is not None:
            kept["cleared_by"] = finding.cleared_by
        message, source = rules.get(finding.rule_id, (None, None))
        if message != finding.message:
            kept["message"] = finding.message
        if source != finding.source:
            kept["source"] = finding.source
        return kept

    def decision_dict(decision: Decision) -> dict[str, Any]:
        protocol = decision.protocol
        return {
            "technique": decision.technique,
            "patient_id": decision.patient_id,
            "outcome": decision.outcome.label,
            "permitted": decision.permitted,
            "decision_id": decision.decision_id,
            "protocol": None
            if protocol is None
            else {
                "sha256": _protocol_sha256(protocol_text(protocol)),
                "session_minutes": list(protocol.session_minutes),
                "course_sessions": list(protocol.course_sessions),
            },
        }

    plugins_type = tuple[PluginInfo, ...]
    if type(value) is Decision:
        out = decision_dict(value)
        for name, tp in DECISION_AUDIT.items():
            out[name] = unstructure(getattr(value, name), tp)
        out["findings"] = [finding_dict(finding) for finding in value.findings]
        out["compact"] = True
        return out
    assessment: Assessment = value  # type: ignore[assignment]
    decisions = []
    for decision in assessment.decisions:
        item = decision_dict(decision)
        refs = []
        for finding in decision.findings:
            position = positions.get(id(finding))
            if position is None:
                position = positions[id(finding)] = len(table)
                table.append(finding_dict(finding))
            refs.append(position)
        item["findings"] = refs
        decisions.append(item)
    out = {
        "compact": True,
        "patient_id": assessment.patient_id,
        "as_of": assessment.as_of.isoformat(),
        "plugins": unstructure(assessment.plugins, plugins_type),
        "ruleset_fingerprint": assessment.ruleset_fingerprint,
        "schema_version": assessment.schema_version,
        "ranking": list(assessment.ranking),
        "unmatched_clearances": list(assessment.unmatched_clearances),
        "decisions": decisions,
        "findings": table,
    }
    for name, tp in ASSESSMENT_AUDIT.items():
        out[name] = unstructure(getattr(assessment, name), tp)
    return out


def _compact_decision(
    item: Mapping[str, Any], rules: Mapping[str, tuple[str, str]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    out = {k: v for k, v in item.items() if k not in ("findings", "protocol")}
    findings = []
    for finding in item["findings"]:
        kept = {key: finding[key] for key in _FINDING_KEPT if key in finding}
        if finding.get("cleared_by") is not None:
            kept["cleared_by"] = finding["cleared_by"]
        message, source = rules.get(finding["rule_id"], (None, None))
        if message is None or message != finding.get("message"):
            kept["message"] = finding.get("message")
        if source is None or source != finding.get("source"):
            kept["source"] = finding.get("source")
        findings.append(kept)
    protocol = item.get("protocol")
    if protocol is not None:
        out["protocol"] = {
            "sha256": _protocol_sha256(_protocol_text(protocol)),
            "session_minutes": protocol["session_minutes"],
            "course_sessions": protocol["course_sessions"],
        }
    else:
        out["protocol"] = None
    return out, findings


def expand(
    record: Mapping[str, Any],
    *,
    locale: str | None = None,
    engine: Engine | None = None,
    patient: Patient | None = None,
) -> dict[str, Any]:
    """Return the full record of a compact one, its texts rendered in ``locale``.

    Messages and sources come from the rule catalogue of ``engine`` (by default one with the
    installed plugins), translated into ``locale`` (``en`` or ``ru``). Protocols are built
    again by the techniques' plugins from ``patient`` at the record's as-of day, and checked
    against the SHA-256 the compact record keeps; without ``patient`` a protocol keeps its
    numbers and a ``steps`` of ``null``. Raise :class:`RecordError` if a rule the record names
    is not in the catalogue, if the patient is not the record's input, or if a rebuilt
    protocol differs.
    """
    from herniarules.engine import Engine

    if not isinstance(record, Mapping) or record.get("compact") is not True:
        raise RecordError([Problem("compact", "required: true (a compact record)")])
    data = read_record(dict(record))
    engine = engine or Engine()
    rules = _catalogue(engine)
    tr = None
    if locale is not None:
        from herniarules.i18n import check_locale, translator

        tr = translator(check_locale(locale))
    if patient is not None and input_sha256(patient) != data["input_sha256"]:
        raise RecordError([Problem("input_sha256", "the patient given is not this record's input")])
    problems: list[Problem] = []
    as_of = date.fromisoformat(data["as_of"])
    out: dict[str, Any] = {k: v for k, v in data.items() if k != "compact"}
    if "decisions" in data:
        out.pop("findings", None)  # the table of distinct findings, resolved by read_record
        out["decisions"] = [
            _expand_decision(item, f"decisions[{i}]", rules, tr, engine, patient, as_of, problems)
            for i, item in enumerate(data["decisions"])
        ]
    else:
        out.update(_expand_decision(data, "", rules, tr, engine, patient, as_of, problems))
        out.pop("compact", None)
    if problems:
        raise RecordError(problems)
    return out


def _expand_decision(
    item: Mapping[str, Any],
    path: str,
    rules: Mapping[str, tuple[str, str]],
    tr: Any,
    engine: Engine,
    patient: Patient | None,
    as_of: date,
    problems: list[Problem],
) -> dict[str, Any]:
    from herniarules.io import decision_to_dict, dumps

    prefix = f"{path}." if path else ""
    out = dict(item)
    findings = []
    for index, finding in enumerate(item["findings"]):
        full = dict(finding)
        full.setdefault("cleared_by", None)
        rule = rules.get(finding["rule_id"])
        for position, key in enumerate(("message", "source")):
            if key not in full:
                if rule is None:
                    problems.append(
                        Problem(
                            f"{prefix}findings[{index}].rule_id",
                            f"rule {finding['rule_id']!r} is not in the installed catalogue",
                        )
                    )
                    full[key] = None
                else:
                    full[key] = rule[position]
        if tr is not None and isinstance(full["message"], str):
            full["message"] = tr.text(full["message"])
        findings.append(full)
    out["findings"] = findings
    protocol = item.get("protocol")
    if protocol is not None:
        if patient is None:
            out["protocol"] = {**protocol, "steps": None}
        else:
            decision = engine.evaluate(patient, item["technique"], as_of=as_of)
            full_protocol = json.loads(dumps(decision))["protocol"] if decision.protocol else None
            if full_protocol is None or _protocol_sha256(
                _protocol_text(full_protocol)
            ) != protocol.get("sha256"):
                problems.append(
                    Problem(prefix + "protocol", "the protocol built now differs from the record's")
                )
            if tr is not None and decision.protocol is not None:
                full_protocol = decision_to_dict(
                    attrs.evolve(
                        decision, protocol=_localized(decision, tr), outcome=decision.outcome
                    )
                )["protocol"]
            out["protocol"] = full_protocol
    return out


def _localized(decision: Decision, tr: Any) -> Any:
    from herniarules.i18n import localize

    return localize(decision, tr).protocol
