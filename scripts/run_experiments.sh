#!/usr/bin/env bash
# Run the full experiment suite with two worker processes and print each experiment's wall time
# and the total, so that the claim "the whole full suite runs in <= 2 hours on a 2-core machine
# with --workers 2" can be checked (on an idle machine: the load average is printed before and
# after each experiment, and each JSON records its own run_seconds and load average).
#
#   scripts/run_experiments.sh                    # the six non-convex experiments -> docs/figures
#   OUT=/tmp/results scripts/run_experiments.sh   # elsewhere
#   WORKERS=4 scripts/run_experiments.sh plateau mixture    # a subset, more workers
#
# Run from the repository root (fisherlab importable: installed, or PYTHONPATH=$PWD).
set -euo pipefail

OUT=${OUT:-docs/figures}
WORKERS=${WORKERS:-2}
if [ "$#" -gt 0 ]; then
    names=("$@")
else
    names=(plateau local-extrema mixture heteroscedastic kl-trust kunstner-real)
fi

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }

total=0
declare -a rows
for name in "${names[@]}"; do
    echo "== $name (load average $(load))" >&2
    start=$(date +%s)
    python -c "import sys; from fisherlab.cli import main; sys.exit(main(sys.argv[1:]))" \
        experiment "$name" --workers "$WORKERS" --out "$OUT"
    took=$(( $(date +%s) - start ))
    total=$(( total + took ))
    rows+=("$(printf '%-16s %7d s' "$name" "$took")")
    echo "== $name: ${took} s (load average $(load))" >&2
done

echo
printf '%-16s %9s\n' experiment "wall time"
for r in "${rows[@]}"; do echo "$r"; done
printf '%-16s %7d s  (%d h %02d min; workers %s)\n' total "$total" $(( total / 3600 )) \
    $(( (total % 3600) / 60 )) "$WORKERS"
