#!/usr/bin/env bash
# Mutation testing of the safety kernel and its fast paths: safety.py, the rules package,
# the terminology package, engine.py, _emit.py and outcomes.py (the list is `only_mutate` in
# [tool.mutmut] of pyproject.toml).
#
#   bash mutation/run.sh            # run, then print the score
#   MUTATION_WORKDIR=/tmp/m bash mutation/run.sh   # keep the scratch copy in a known place
#   bash mutation/run.sh 'herniarules.rules*'      # only the mutants matching these names
#   bash mutation/run.sh 'herniarules.rules*' 'herniarules.engine*' \
#       'herniarules._emit*' 'herniarules.outcomes*'   # the fast paths, about 8 minutes
#
# mutmut writes a mutants/ tree next to pyproject.toml, so the run happens in a scratch copy
# of src/, tests/ and pyproject.toml; the working tree is left untouched. The tests that run
# are the kernel's unit tests listed in [tool.mutmut] in pyproject.toml.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
WORK="${MUTATION_WORKDIR:-$(mktemp -d /tmp/herniarules-mutation.XXXXXX)}"
mkdir -p "$WORK"
rm -rf "$WORK/src" "$WORK/tests" "$WORK/examples" "$WORK/mutants"
mkdir -p "$WORK/examples"
cp -r "$ROOT/src" "$ROOT/tests" "$ROOT/pyproject.toml" "$WORK/"
cp -r "$ROOT/examples/patients" "$WORK/examples/"
# Data the kernel's tests read: the source map and the clinical source copy it points at.
for extra in traceability; do
  if [ -e "$ROOT/$extra" ]; then rm -rf "$WORK/$extra"; cp -r "$ROOT/$extra" "$WORK/"; fi
done
find "$WORK" -name __pycache__ -prune -exec rm -rf {} +
cd "$WORK"
echo "mutation run in $WORK"
"$ROOT/.venv/bin/mutmut" run --max-children "${MUTATION_JOBS:-$(nproc)}" "$@" || true
"$PY" "$ROOT/mutation/score.py" "$WORK"
