"""Print the mutation score of a mutmut run, per module and overall.

    python mutation/score.py WORKDIR [--survivors]

Reads ``mutmut results --all true`` in WORKDIR (the scratch copy mutation/run.sh made).
Timeouts count as killed (the mutant made the tests hang, so they did not pass); mutants no
test reached count as survived.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

KILLED = {"killed", "timeout", "segfault", "caught by type check"}
#: Functions that only run while their module is imported: ``_vs`` and ``_r`` build
#: CORE_VALUE_SETS, ``_stricter`` builds the Policy field validators. mutmut forks its test
#: workers after importing the code, so a mutant of these is never active when a test runs
#: and survives whatever the tests check.
IMPORT_TIME = (
    "herniarules.terminology.x__vs__",
    "herniarules.terminology.x__r__",
    "herniarules.safety.x__stricter__",
)


def main() -> int:
    work = Path(sys.argv[1])
    show = "--survivors" in sys.argv
    mutmut = Path(sys.executable).parent / "mutmut"
    output = subprocess.run(
        [str(mutmut), "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    per_module: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    survivors = []
    for line in output.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        module = name.split(".x_")[0].split(".xǁ")[0]
        per_module[module][status] += 1
        if status not in KILLED:
            survivors.append(f"{name}: {status}")
    total_killed = total = 0
    for module, counts in sorted(per_module.items()):
        killed = sum(v for k, v in counts.items() if k in KILLED)
        count = sum(counts.values())
        total_killed += killed
        total += count
        print(f"{module:<28} {killed:>5}/{count:<5} {100 * killed / count:6.1f}%  {dict(counts)}")
    if total:
        print(f"{'total':<28} {total_killed:>5}/{total:<5} {100 * total_killed / total:6.1f}%")
        unreachable = sum(1 for s in survivors if s.startswith(IMPORT_TIME))
        reachable = total - unreachable
        print(
            f"{'total, import-time excluded':<28} {total_killed:>5}/{reachable:<5} "
            f"{100 * total_killed / reachable:6.1f}%  ({unreachable} import-time mutants)"
        )
    if show:
        print("\n".join(survivors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
