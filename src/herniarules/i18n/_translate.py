"""The translators and the catalogues they read (see :mod:`herniarules.i18n`)."""

from __future__ import annotations

import functools
import importlib.resources
import io
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from herniarules.bounded import BoundedCache, Budget
from herniarules.i18n import DOMAIN, LOCALES
from herniarules.i18n.markers import N_
from herniarules.outcomes import Assessment, Decision, Finding, Outcome, Protocol, ProtocolStep

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog
    from babel.support import Translations

__all__ = [
    "DOMAIN",
    "LOCALES",
    "LocaleError",
    "Translator",
    "catalog_path",
    "check_locale",
    "localize",
    "translator",
]


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: How texts are joined into one: a text no catalogue holds is translated part by part.
_SEPARATORS = ("; ", ": ", N_(" and "), ", ", N_(" or "))
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class LocaleError(ValueError):
    """Raised for a locale the SDK has no catalogue for, naming the ones it has."""


def check_locale(locale: str) -> str:
    """Return ``locale`` if the SDK has a catalogue for it; raise :class:`LocaleError`."""
    if locale not in LOCALES:
        raise LocaleError(f"unknown locale {locale!r}; expected one of {', '.join(LOCALES)}")
    return locale


def catalog_path(package: str, locale: str, domain: str | None = None) -> Any:
    """Return the ``.po`` file of ``package``'s catalogue for ``locale`` (it may not exist)."""
    name = domain or package
    return importlib.resources.files(package) / "locale" / locale / "LC_MESSAGES" / f"{name}.po"


def _load(package: str, locale: str, domain: str) -> Catalog | None:
    """Read a catalogue: the compiled ``.mo`` when the wheel has one, else the ``.po``."""
    try:
        from babel.messages.mofile import read_mo
        from babel.messages.pofile import read_po
    except ImportError:  # pragma: no cover - the i18n extra is part of every set-up
        raise LocaleError(
            f"rendering in {locale!r} needs Babel: pip install 'herniarules[i18n]'"
        ) from None
    po = catalog_path(package, locale, domain)
    mo = po.parent / f"{domain}.mo"
    # A .mo older than its .po (compiled before the .po was edited) is stale: read the .po.
    if mo.is_file() and (not po.is_file() or _mtime(mo) >= _mtime(po)):
        with mo.open("rb") as stream:
            catalog: Catalog = read_mo(stream)
        return catalog
    if po.is_file():
        with po.open("rb") as stream:
            catalog = read_po(stream, locale=locale, domain=domain)
        return catalog
    return None


def _mtime(path: Any) -> float:
    try:
        return float(os.stat(path).st_mtime)
    except (OSError, TypeError):  # a resource that is not a file on disk: trust the .mo
        return float("inf")


def _template(msgid: str) -> re.Pattern[str]:
    """Return the pattern an English text filled from ``msgid``'s placeholders matches."""
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[position : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        position = match.end()
    parts.append(re.escape(msgid[position:]))
    return re.compile("".join(parts), re.DOTALL)


@attrs.frozen
class _Template:
    pattern: re.Pattern[str]
    singular: str
    plural: str | None
    prefix: str = ""
    """The text before the first placeholder: a text not starting with it cannot match."""


def _prefix(msgid: str) -> str:
    match = _PLACEHOLDER.search(msgid)
    return msgid if match is None else msgid[: match.start()]


#: The budget of the translated texts every translator keeps (texts only, never evidence).
TRANSLATED = Budget("translated texts", 1024 * 1024)


class Translator:
    """Translate the SDK's English texts into one locale; safe to share between threads.

    Build one with :func:`translator`. It holds catalogues (message texts), never patient data.
    """

    def __init__(self, locale: str, catalogs: Iterable[Catalog]) -> None:
        from babel.messages.mofile import write_mo
        from babel.support import Translations

        self.locale = locale
        self._kept: BoundedCache[str, str] = BoundedCache(f"texts in {locale}", TRANSLATED)
        self._lock = threading.Lock()
        self._texts: dict[str, str] = {}
        self._contexts: dict[tuple[str, str], str] = {}
        self._templates: list[_Template] = []
        self._plurals: list[Translations] = []
        for catalog in catalogs:
            for message in catalog:
                if not message.id or not message.string:
                    continue
                if isinstance(message.id, tuple):
                    singular, plural = str(message.id[0]), str(message.id[1])
                    for form in (plural, singular):
                        self._templates.append(
                            _Template(_template(form), singular, plural, _prefix(form))
                        )
                    continue
                msgid, text = str(message.id), str(message.string)
                if message.context:
                    self._contexts[str(message.context), msgid] = text
                    continue
                self._texts[msgid] = text
                if _PLACEHOLDER.search(msgid):
                    self._templates.append(_Template(_template(msgid), msgid, None, _prefix(msgid)))
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            self._plurals.append(Translations(buffer))

    def __repr__(self) -> str:
        return f"Translator({self.locale!r})"

    def text(self, english: str) -> str:
        """Return ``english`` translated; a text no catalogue holds is returned unchanged.

        A text filled from a template (``Massage waits for 14 days ...``) is matched against
        the template and the translation filled with the same values, numbers written by the
        locale's rules and words translated in turn. The result is that of :meth:`translate`,
        kept (within :data:`TRANSLATED`) for the next time.
        """
        if not self._texts:  # English: the message ids are the texts
            return english
        found = self._texts.get(english)
        if found is not None:
            return found
        with self._lock:
            found = self._kept.get(english)
        if found is None:
            found = self._translate(english, fast=True)
            with self._lock:
                self._kept.put(english, found)
        return found

    def pgettext(self, context: str, english: str) -> str:
        """Return ``english`` in its role ``context`` (see :func:`~herniarules.i18n.markers.C_`).

        A text the catalogues do not hold in that context is translated as :meth:`text` does.
        """
        found = self._contexts.get((context, english))
        return found if found is not None else self.text(english)

    def translate(self, english: str) -> str:
        """Return ``english`` translated the plain way: every template tried, nothing kept.

        The reference :meth:`text` agrees with (a test compares them).
        """
        found = self._texts.get(english)
        return found if found is not None else self._translate(english, fast=False)

    def _translate(self, english: str, *, fast: bool) -> str:
        part = self.text if fast else self.translate
        for template in self._templates:
            if fast and not english.startswith(template.prefix):
                continue
            match = template.pattern.fullmatch(english)
            if match is None:
                continue
            values = match.groupdict()
            if template.plural is None:
                translated = self._texts[template.singular]
            else:
                count = _count(values)
                if count is None:
                    continue
                translated = self.ngettext(template.singular, template.plural, count)
            return translated.format(**{k: self._value(v, part) for k, v in values.items()})
        if english[:1].isupper() and english.endswith(".") and english[1:2].islower():
            # a phrase made a sentence: "Kneading the buttocks ..." from "kneading the ..."
            found = self._texts.get(english[:1].lower() + english[1:-1])
            if found is not None:
                return found[:1].upper() + found[1:] + "."
        if english[:1].islower():  # a title written in lower case inside a sentence
            found = self._texts.get(english[:1].upper() + english[1:])
            if found is not None:
                return found[:1].lower() + found[1:]
        for separator in _SEPARATORS:
            if separator in english:
                joined = self._texts.get(separator, separator)
                return joined.join(map(part, english.split(separator)))
        return english

    def _value(self, value: str, part: Any) -> str:
        if _NUMBER.fullmatch(value):
            return self.number(float(value) if "." in value else int(value))
        text: str = part(value)
        return text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Return the form of ``singular``/``plural`` for ``n`` by the locale's plural rules."""
        for translations in self._plurals:
            form = translations.ngettext(singular, plural, n)
            if form not in (singular, plural) or self.locale == "en":
                return form
        return singular if n == 1 else plural

    def number(self, value: float) -> str:
        """Return ``value`` written by the locale's CLDR rules (``38,1`` in Russian)."""
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=self.locale))

    def date(self, value: date) -> str:
        """Return ``value`` as the locale writes a medium date (``2 дек. 2026 г.``)."""
        from babel.dates import format_date

        return str(format_date(value, format="medium", locale=self.locale))

    def outcome(self, outcome: Outcome) -> str:
        """Return the outcome's label in words (``противопоказано``)."""
        return self.text(outcome.label.replace("-", " "))


def _count(values: dict[str, str]) -> int | None:
    for name in ("n", *values):
        value = values.get(name)
        if value is not None and value.isdigit():
            return int(value)
    return None


@functools.cache
def plugin_packages() -> tuple[str, ...]:
    """Return the packages of the installed plugins that ship a catalogue.

    Read once per process, as the installed plugins are: ``plugin_packages.cache_clear()``
    reads them again.
    """
    from importlib.metadata import entry_points

    found: list[str] = []
    for point in entry_points(group="herniarules"):
        package = point.module.partition(".")[0]
        try:
            has = catalog_path(package, "en").is_file()
        except (ImportError, TypeError, ValueError):
            continue
        if has and package not in found:
            found.append(package)
    return tuple(sorted(found))


_lock = threading.Lock()


@functools.cache
def _translator(locale: str, packages: tuple[str, ...]) -> Translator:
    with _lock:
        catalogs = [_load(DOMAIN, locale, DOMAIN)]
        catalogs += [_load(package, locale, package) for package in packages]
        return Translator(locale, (c for c in catalogs if c is not None))


def translator(locale: str, packages: Iterable[str] | None = None) -> Translator:
    """Return the translator of ``locale`` for the SDK and ``packages``' catalogues.

    ``packages`` defaults to every installed plugin that ships a catalogue. The translators
    are kept, one per locale and set of packages: they hold message texts only.
    """
    check_locale(locale)
    chosen = plugin_packages() if packages is None else tuple(sorted(set(packages)))
    return _translator(locale, chosen)


_T = TypeVar("_T", Assessment, Decision, Finding, Protocol)


def localize(value: _T, locale: str | Translator) -> _T:
    """Return a copy of ``value`` with its messages and protocol texts in ``locale``.

    Rule ids, outcomes, codes, evidence and every other field are the same objects.
    """
    tr = locale if isinstance(locale, Translator) else translator(locale)
    result: _T = _localize(value, tr)
    return result


def _localize(value: Any, tr: Translator) -> Any:
    if isinstance(value, Assessment):
        return attrs.evolve(value, decisions=tuple(_localize(d, tr) for d in value.decisions))
    if isinstance(value, Decision):
        return attrs.evolve(
            value,
            findings=tuple(_localize(f, tr) for f in value.findings),
            protocol=None if value.protocol is None else _localize(value.protocol, tr),
            outcome=value.outcome,
        )
    if isinstance(value, Finding):
        from herniarules.rules._render import in_locale

        return attrs.evolve(
            value,
            message=tr.text(value.message),
            explanation=in_locale(value.explanation, tr, _names(value.evidence)),
        )
    if isinstance(value, Protocol):
        return attrs.evolve(
            value,
            steps=tuple(_step(step, tr) for step in value.steps),
            pressure=_pressure(value.pressure, tr),
            avoid=tuple(map(tr.text, value.avoid)),
            notes=tuple(map(tr.text, value.notes)),
        )
    raise TypeError(f"cannot localize a {type(value).__name__}")


def _names(evidence: Any) -> Iterator[str]:
    """Yield the recorded names (``display``) in ``evidence``: they stay as recorded."""
    if isinstance(evidence, Mapping):
        for key, item in evidence.items():
            if key == "display" and isinstance(item, str):
                yield item
            else:
                yield from _names(item)
    elif isinstance(evidence, tuple | list):
        for item in evidence:
            yield from _names(item)


def _step(step: ProtocolStep, tr: Translator) -> ProtocolStep:
    return attrs.evolve(
        step,
        name=tr.text(step.name),
        description=tr.text(step.description),
        repetitions=None if step.repetitions is None else tr.text(step.repetitions),
        pressure=None if step.pressure is None else tr.text(step.pressure),
    )


def _pressure(pressure: str, tr: Translator) -> str:
    # Written "level: how"; translated whole where a catalogue holds it, else part by part.
    return tr.text(pressure)


def texts(values: Iterable[str], tr: Translator) -> Iterator[str]:
    """Yield each of ``values`` translated."""
    return map(tr.text, values)
