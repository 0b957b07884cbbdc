"""The plugin conformance suite: the safety promises every plugin must keep.

A plugin author runs it with one class in their own tests::

    from herniarules.testing import PluginConformance
    import herniarules_kinesio

    class TestKinesioConformance(PluginConformance):
        plugin = herniarules_kinesio

or calls :func:`check_plugin` (also available as the ``herniarules_conformance`` pytest
fixture). Each check builds an engine holding only the core and the plugin under test and
asserts one promise over hypothesis-generated patients:

* acute stage and exacerbation are never permitted, even with a clearance for every technique;
* a clearance never lifts *insufficient data*, *defer* or *contraindicated*;
* adding any concept, raising pain or temperature, or enlarging a hernia never relaxes a
  verdict (monotonicity);
* decisions are deterministic and survive a JSON round trip of the patient;
* the plugin loads, every rule has a unique id, a title, a message and a source;
* each technique's default parameters re-validate, and valid patients never make the plugin
  fail (no ``engine.plugin-error`` finding).

Examples per check default to 60; set ``HERNIARULES_CONFORMANCE_EXAMPLES`` (or pass
``--herniarules-examples N`` to pytest) for a longer run.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, cast

import attrs
from attrs import AttrsInstance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herniarules.engine import Engine
from herniarules.io import patient_from_dict, patient_to_dict
from herniarules.model import Clearance, ClinicalStatus, Condition, Hernia, Patient, Phase
from herniarules.outcomes import Assessment, Decision, Outcome
from herniarules.testing.strategies import AS_OF, conditions, patients

__all__ = [
    "CHECKS",
    "ConformanceError",
    "PluginConformance",
    "TranslationWarning",
    "check_catalogue",
    "check_plugin",
    "conformance_engine",
    "examples",
]

ENGINE_ERROR = "engine.plugin-error"
DEFAULT_EXAMPLES = 60
_ENV = "HERNIARULES_CONFORMANCE_EXAMPLES"


class ConformanceError(AssertionError):
    """A plugin broke one of the promises the conformance suite checks."""


def examples() -> int:
    """Return the number of hypothesis examples per check (default 60)."""
    value = os.environ.get(_ENV, "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else DEFAULT_EXAMPLES


def _settings() -> settings:
    return settings(
        max_examples=examples(),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # One failure, shrunk, is easier to act on than a group of them.
        report_multiple_bugs=False,
    )


def conformance_engine(plugin: object, **kwargs: Any) -> Engine:
    """Return an engine holding only the core rules and ``plugin``."""
    return Engine(plugins=[plugin], entry_points=False, **kwargs)


def _run(test: Callable[[], None]) -> None:
    """Run a hypothesis test; unwrap a flaky report into the plain ConformanceError inside."""
    try:
        test()
    except ExceptionGroup as group:
        # A nondeterministic plugin makes hypothesis report its failure as flaky.
        match, _ = group.split(ConformanceError)
        if match is None:
            raise
        first: BaseException = match
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from group


def _fail(message: str) -> ConformanceError:
    return ConformanceError(message)


def _technique_ids(engine: Engine) -> tuple[str, ...]:
    return tuple(t.id for t in engine.techniques)


def _with_clearances(patient: Patient, techniques: Sequence[str]) -> Patient:
    extra = tuple(
        Clearance(technique=t, physician="Dr. Conformance", date=AS_OF) for t in techniques
    )
    return attrs.evolve(patient, clearances=patient.clearances + extra)


def _assess(engine: Engine, patient: Patient) -> Assessment:
    return engine.assess(patient, as_of=AS_OF)


def _describe(decision: Decision) -> str:
    reasons = (
        "; ".join(f"{f.rule_id}={f.effective_outcome.label}" for f in decision.findings)
        or "no findings"
    )
    return f"{decision.technique} -> {decision.outcome.label} ({reasons})"


# -- checks -------------------------------------------------------------------------------


class TranslationWarning(UserWarning):
    """A plugin's texts cannot all be translated: it ships no Russian catalogue, say."""


def check_catalogue(engine: Engine) -> None:
    """The plugin ships a gettext catalogue for ``en`` under its own domain; warn without ``ru``.

    The domain is the plugin's top-level package name, the file
    ``<package>/locale/<lang>/LC_MESSAGES/<package>.po``. Every translated entry must keep
    the placeholders of its message id (``{name}``, ``%(name)s``). A missing or incomplete
    Russian catalogue is a :class:`TranslationWarning`, not a failure: the texts stay English.
    """
    # The plugin's package: where its techniques' protocol builders are defined.
    packages = sorted({str(t.protocol.__module__).partition(".")[0] for t in engine.techniques})
    for package in packages:
        _check_package_catalogue(package)


def _check_package_catalogue(package: str) -> None:
    import re
    import warnings

    from herniarules.i18n import catalog_path

    try:
        from babel.messages.pofile import read_po
    except ImportError:  # pragma: no cover - the testing extra installs Babel
        raise _fail(
            "checking a plugin's catalogue needs Babel: pip install herniarules[i18n]"
        ) from None

    def names(text: str) -> set[str]:
        return set(re.findall(r"\{([A-Za-z_]\w*)\}", text)) | set(re.findall(r"%\((\w+)\)", text))

    for locale in ("en", "ru"):
        try:
            path = catalog_path(package, locale)
            present = path.is_file()
        except (ImportError, TypeError, ValueError):
            present = False
        if not present:
            if locale == "en":
                raise _fail(
                    f"plugin package {package!r} ships no catalogue: add "
                    f"{package}/locale/en/LC_MESSAGES/{package}.po (see the plugin guide)"
                )
            warnings.warn(
                f"plugin package {package!r} ships no Russian catalogue "
                f"({package}/locale/ru/LC_MESSAGES/{package}.po); its texts stay English",
                TranslationWarning,
                stacklevel=2,
            )
            continue
        with path.open("rb") as stream:
            catalog = read_po(stream, locale=locale)
        untranslated = 0
        for message in catalog:
            if not message.id:
                continue
            raw = message.id
            ids = tuple(map(str, raw)) if isinstance(raw, tuple | list) else (str(raw),)
            string = message.string
            forms = tuple(map(str, string)) if isinstance(string, tuple) else (str(string or ""),)
            if not all(forms) or message.fuzzy:
                untranslated += 1
                continue
            for form in forms:
                if names(form) != names(ids[-1]):
                    raise _fail(
                        f"{package} {locale} catalogue: the translation of {ids[0]!r} has "
                        f"placeholders {sorted(names(form))}, the message id "
                        f"{sorted(names(ids[-1]))}"
                    )
        if locale == "ru" and untranslated:
            warnings.warn(
                f"plugin package {package!r}: {untranslated} messages have no Russian "
                "translation; they stay English",
                TranslationWarning,
                stacklevel=2,
            )


def check_loads(engine: Engine) -> None:
    """The plugin loads without error, declares at least one technique and sane rules."""
    for info in engine.plugins:
        if info.error is not None:
            raise _fail(f"plugin {info.name} failed to load: {info.error}")
    if not engine.techniques:
        raise _fail("the plugin declares no technique")
    seen: set[str] = set()
    own = set(_technique_ids(engine))
    for rule in engine.rules:
        if rule.id in seen:
            raise _fail(f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
        for field in ("title", "message", "source"):
            text = getattr(rule, field)
            if not isinstance(text, str) or not text.strip():
                raise _fail(f"rule {rule.id!r} has no {field}")
        if rule.is_core:
            if not rule.id.startswith("core."):
                raise _fail(f"rule {rule.id!r} applies to every technique; plugins may not")
            continue
        if rule.id.startswith(("core.", "engine.")):
            raise _fail(f"rule {rule.id!r} uses a reserved prefix")
        if rule.techniques is None or not rule.techniques <= own:
            raise _fail(f"rule {rule.id!r} names techniques the plugin does not declare")
        if rule.outcome is Outcome.ALLOWED:
            raise _fail(f"rule {rule.id!r} yields 'allowed'; rules may only restrict")


def check_parameters(engine: Engine) -> None:
    """Each technique's default parameters are a frozen attrs instance that re-validates."""
    for technique in engine.techniques:
        if technique.parameters is None:
            continue
        if not attrs.has(type(technique.parameters)):
            raise _fail(
                f"{technique.id}: parameters are not an attrs instance: {technique.parameters!r}"
            )
        params = cast(AttrsInstance, technique.parameters)
        try:
            attrs.validate(params)
        except Exception as exc:
            raise _fail(f"{technique.id}: default parameters fail validation: {exc}") from exc
        try:
            clone = attrs.evolve(params)  # type: ignore[misc]  # attrs' mypy plugin needs a concrete class
        except Exception as exc:
            raise _fail(f"{technique.id}: parameters cannot be rebuilt: {exc}") from exc
        if clone != params:
            raise _fail(f"{technique.id}: rebuilt parameters differ from the defaults")
        if attrs.fields(type(params)) and not _is_frozen(params):
            raise _fail(f"{technique.id}: parameters must be frozen (use @attrs.frozen)")
        if engine.parameters(technique.id) != params:
            raise _fail(f"{technique.id}: engine does not use the default parameters")


def _is_frozen(params: AttrsInstance) -> bool:
    name = attrs.fields(type(params))[0].name
    try:
        object.__getattribute__(params, "__setattr__")(name, getattr(params, name))
    except (attrs.exceptions.FrozenInstanceError, AttributeError):
        return True
    return False


def check_acute_never_permitted(engine: Engine) -> None:
    """Acute stage and exacerbation: never permitted, even with every technique cleared."""
    techniques = _technique_ids(engine)

    @_settings()
    @given(patients(phase=(Phase.ACUTE, Phase.EXACERBATION)), st.booleans())
    def run(patient: Patient, cleared: bool) -> None:
        if cleared:
            patient = _with_clearances(patient, techniques)
        for decision in _assess(engine, patient).decisions:
            if decision.permitted or decision.protocol is not None:
                raise _fail(
                    f"permitted in the acute stage or an exacerbation: {_describe(decision)}"
                )
            if decision.outcome < Outcome.DEFER:
                raise _fail(f"acute/exacerbation verdict below defer: {_describe(decision)}")

    _run(run)


def check_clearance_lifts_only_clearance(engine: Engine) -> None:
    """A clearance never lifts insufficient data, defer or contraindicated."""
    techniques = _technique_ids(engine)

    @_settings()
    @given(patients(with_hernia=None))
    def run(patient: Patient) -> None:
        plain = attrs.evolve(patient, clearances=())
        cleared = _with_clearances(plain, techniques)
        before = _assess(engine, plain)
        after = _assess(engine, cleared)
        for old, new in zip(before.decisions, after.decisions, strict=True):
            if old.outcome > Outcome.REQUIRES_CLEARANCE and new.outcome != old.outcome:
                raise _fail(
                    f"a clearance changed {old.outcome.label} to {new.outcome.label}: "
                    f"{_describe(new)}"
                )
            if new.outcome > old.outcome:
                raise _fail(f"a clearance made a verdict stricter: {_describe(new)}")
            for finding in new.findings:
                if (
                    finding.cleared_by is not None
                    and finding.outcome is not Outcome.REQUIRES_CLEARANCE
                ):
                    raise _fail(f"clearance applied to {finding.rule_id} ({finding.outcome.label})")

    _run(run)


def _ladder_pain(patient: Patient) -> list[Patient]:
    pain = patient.vitals.pain_score
    if pain is None:
        return []
    return [
        attrs.evolve(patient, vitals=attrs.evolve(patient.vitals, pain_score=p))
        for p in range(pain, 11)
    ]


def _ladder_temperature(patient: Patient) -> list[Patient]:
    temperature = patient.vitals.temperature_c
    if temperature is None:
        return []
    steps = [round(temperature + 0.25 * i, 2) for i in range(0, 41)]
    return [
        attrs.evolve(patient, vitals=attrs.evolve(patient.vitals, temperature_c=t))
        for t in steps
        if t <= 45.0
    ]


def _ladder_size(patient: Patient, index: int) -> list[Patient]:
    sized = [i for i, h in enumerate(patient.hernias) if h.size_mm is not None]
    if not sized:
        return []
    at = sized[index % len(sized)]
    hernia = patient.hernias[at]
    assert hernia.size_mm is not None
    ladder = []
    for step in range(0, 81):
        size = round(hernia.size_mm + 0.5 * step, 1)
        if size > 40.0:
            break
        bigger: Hernia = attrs.evolve(hernia, size_mm=size)
        ladder.append(
            attrs.evolve(
                patient, hernias=(*patient.hernias[:at], bigger, *patient.hernias[at + 1 :])
            )
        )
    return ladder


def _check_ladder(engine: Engine, ladder: Sequence[Patient], change: str) -> None:
    previous: Assessment | None = None
    for patient in ladder:
        current = _assess(engine, patient)
        if previous is not None:
            for a, b in zip(previous.decisions, current.decisions, strict=True):
                if b.outcome < a.outcome:
                    raise _fail(
                        f"{change} relaxed {a.technique} from {a.outcome.label} to "
                        f"{b.outcome.label}: before {_describe(a)}; after {_describe(b)}"
                    )
        previous = current


def check_monotonic(engine: Engine) -> None:
    """More disease never relaxes a verdict: concepts, pain, temperature, hernia size."""
    terminology = engine.terminology
    concepts = sorted({vs.concept for vs in terminology.value_sets})

    @_settings()
    @given(patients(with_hernia=None) | patients(clean=True), st.integers(0, 2), st.data())
    def run(patient: Patient, index: int, data: st.DataObject) -> None:
        condition: Condition = data.draw(
            conditions(
                terminology=terminology,
                status=(ClinicalStatus.ACTIVE, ClinicalStatus.RECURRENCE),
                concepts=concepts,
            )
        )
        added = attrs.evolve(patient, conditions=(*patient.conditions, condition))
        _check_ladder(engine, [patient, added], f"adding {condition.code or condition.concept}")
        _check_ladder(engine, _ladder_pain(patient), "raising pain")
        _check_ladder(engine, _ladder_temperature(patient), "raising temperature")
        _check_ladder(engine, _ladder_size(patient, index), "enlarging a hernia")

    _run(run)


def _same(first: Assessment, second: Assessment, what: str) -> None:
    if first == second:
        return
    for a, b in zip(first.decisions, second.decisions, strict=True):
        if a != b:
            raise _fail(f"{what} differs for {a.technique}: {_describe(a)} then {_describe(b)}")
    raise _fail(f"{what} differs: {first!r:.500} then {second!r:.500}")


def check_deterministic(engine: Engine) -> None:
    """Same patient, same decisions: twice in a row and after a JSON round trip."""

    @_settings()
    @given(patients(with_hernia=None))
    def run(patient: Patient) -> None:
        first = _assess(engine, patient)
        second = _assess(engine, patient)
        _same(first, second, "a second assessment of the same patient")
        copy = patient_from_dict(patient_to_dict(patient))
        if copy != patient:
            raise _fail(f"JSON round trip changed the patient: {copy} != {patient}")
        third = _assess(engine, copy)
        _same(first, third, "an assessment after a JSON round trip of the patient")

    _run(run)


def check_no_plugin_errors(engine: Engine) -> None:
    """Valid patients never make the plugin fail; a permitted technique has a sane protocol."""

    @_settings()
    @given(patients(with_hernia=None) | patients(clean=True))
    def run(patient: Patient) -> None:
        for decision in _assess(engine, patient).decisions:
            for finding in decision.findings:
                if finding.rule_id == ENGINE_ERROR:
                    raise _fail(f"the plugin failed on a valid patient: {finding.message}")
            protocol = decision.protocol
            if decision.permitted:
                if protocol is None or protocol.technique != decision.technique:
                    raise _fail(f"{decision.technique} permitted without its protocol")
                low, high = protocol.session_minutes
                first, last = protocol.course_sessions
                if not (0 < low <= high and 0 < first <= last):
                    raise _fail(
                        f"{decision.technique}: protocol ranges are not ordered: {protocol}"
                    )
            elif protocol is not None:
                raise _fail(f"{decision.technique} not permitted but has a protocol")

    _run(run)


#: Every check, by name, in the order :func:`check_plugin` runs them.
CHECKS: dict[str, Callable[[Engine], None]] = {
    "loads": check_loads,
    "parameters": check_parameters,
    "acute_never_permitted": check_acute_never_permitted,
    "clearance_lifts_only_clearance": check_clearance_lifts_only_clearance,
    "monotonic": check_monotonic,
    "deterministic": check_deterministic,
    "no_plugin_errors": check_no_plugin_errors,
    "catalogue": check_catalogue,
}


def _chosen(checks: Iterable[str] | None) -> list[str]:
    """Return the names of the checks to run; raise if one is not a check."""
    if checks is None:
        return list(CHECKS)
    if isinstance(checks, str):
        raise TypeError(f"checks must be a collection of check names, not one string: {checks!r}")
    names = list(checks)
    for name in names:
        if not isinstance(name, str) or name not in CHECKS:
            close = difflib.get_close_matches(name, CHECKS, n=1) if isinstance(name, str) else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"unknown conformance check {name!r}{hint}; the checks are: {', '.join(CHECKS)}"
            )
    return names


def check_plugin(plugin: object, checks: Iterable[str] | None = None) -> None:
    """Run the conformance checks on ``plugin``; raise :class:`ConformanceError` on a failure.

    :param plugin: the plugin module or object, checked in an engine holding only the core
        rules and it (:func:`conformance_engine`).
    :param checks: the names of the checks to run, in the order given; every check, in the
        order of :data:`CHECKS`, when ``None``. The names are:

        - ``loads``: the plugin loads and its rules are well formed (:func:`check_loads`);
        - ``parameters``: default parameters re-validate (:func:`check_parameters`);
        - ``acute_never_permitted``: acute stage and exacerbation are never permitted
          (:func:`check_acute_never_permitted`);
        - ``clearance_lifts_only_clearance``: a clearance lifts only *requires clearance*
          (:func:`check_clearance_lifts_only_clearance`);
        - ``monotonic``: more disease never relaxes a verdict (:func:`check_monotonic`);
        - ``deterministic``: same patient, same decisions (:func:`check_deterministic`);
        - ``no_plugin_errors``: valid patients never make the plugin fail
          (:func:`check_no_plugin_errors`);
        - ``catalogue``: the plugin ships an ``en`` catalogue, and warns without ``ru``
          (:func:`check_catalogue`).
    :raises ValueError: if a name is not one of these; the message lists them. Every name is
        checked before any check runs.
    :raises TypeError: if ``checks`` is one string rather than a collection of names.
    :raises ConformanceError: naming the first promise the plugin breaks.
    """
    names = _chosen(checks)
    engine = conformance_engine(plugin)
    for name in names:
        CHECKS[name](engine)


class PluginConformance:
    """Base test class: subclass it with ``plugin = your_module`` to run the suite in pytest.

    The class name of the subclass must start with ``Test`` so pytest collects it; this base
    class does not, so it is never collected on its own.
    """

    plugin: ClassVar[object] = None
    _engines: ClassVar[dict[int, Engine]] = {}

    @classmethod
    def engine(cls) -> Engine:
        """Return the engine holding the core and :attr:`plugin`, built once per plugin."""
        if cls.plugin is None:
            raise TypeError(f"{cls.__name__} must set 'plugin' to the plugin module or object")
        key = id(cls.plugin)
        if key not in PluginConformance._engines:
            PluginConformance._engines[key] = conformance_engine(cls.plugin)
        return PluginConformance._engines[key]

    def test_loads(self) -> None:
        """The plugin loads; its rules have unique ids, titles, messages and sources."""
        check_loads(self.engine())

    def test_parameters_validate(self) -> None:
        """Default parameters are frozen attrs instances that re-validate."""
        check_parameters(self.engine())

    def test_acute_and_exacerbation_never_permitted(self) -> None:
        """Acute stage and exacerbation are never permitted, clearances or not."""
        check_acute_never_permitted(self.engine())

    def test_clearance_lifts_only_requires_clearance(self) -> None:
        """Clearances never lift insufficient data, defer or contraindicated."""
        check_clearance_lifts_only_clearance(self.engine())

    def test_monotonic(self) -> None:
        """Adding disease never relaxes a verdict."""
        check_monotonic(self.engine())

    def test_deterministic_and_round_trip(self) -> None:
        """Decisions are deterministic and survive a JSON round trip."""
        check_deterministic(self.engine())

    def test_no_plugin_errors_on_valid_patients(self) -> None:
        """Valid patients never make the plugin fail."""
        check_no_plugin_errors(self.engine())

    def test_catalogue(self) -> None:
        """The plugin ships an English catalogue; a missing Russian one is a warning."""
        check_catalogue(self.engine())
