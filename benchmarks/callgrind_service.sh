#!/bin/sh
# Instructions per hook call of the service in-process (service_profile.py), counted by
# callgrind: two runs signing the same tokens, 20 and 120 calls; prints their difference / 100.
#     benchmarks/callgrind_service.sh [FULL|NORMAL]   (the audit log's synchronous mode)
set -e
mode=${1:-FULL}
cd "$(dirname "$0")/.."
out=$(mktemp -d)
for calls in 20 120; do
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file="$out/cg.$calls" \
        .venv/bin/python benchmarks/service_profile.py --calls "$calls" --tokens 120 --synchronous "$mode" \
        >/dev/null 2>"$out/log.$calls"
done
a=$(grep -m1 '^summary:' "$out/cg.20" | cut -d' ' -f2)
b=$(grep -m1 '^summary:' "$out/cg.120" | cut -d' ' -f2)
echo "instructions per call ($mode): $(( (b - a) / 100 ))"
echo "callgrind files in $out"
