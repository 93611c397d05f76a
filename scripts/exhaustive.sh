#!/usr/bin/env bash
# Exhaustive mode: the test selection that FISHERLAB_EXHAUSTIVE=1 widens, run on many more points
# (twenty interior points per identity, 300 per accuracy case, every section of every derivation
# report), then a one-line-per-failure summary and the wall time.
#
# Usage: scripts/exhaustive.sh [pytest arguments]
#   default selection: the identities, the kernels' accuracy, the multivariate normal and the
#   derivation reports. Pass test files or -k expressions to run part of it, e.g.
#   scripts/exhaustive.sh tests/verify/test_identities.py -k beta
#   tests/kernels/test_generated.py also honours the mode (it then regenerates the
#   multivariate normal d = 3, about 20 minutes): name it to include it.
set -uo pipefail
cd "$(dirname "$0")/.."
export FISHERLAB_EXHAUSTIVE=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ "$#" -eq 0 ]; then
  set -- tests/verify/test_identities.py tests/kernels/test_accuracy.py \
    tests/families/test_multivariate_normal_textbook.py tests/report/test_derivation_reports.py
fi
log="$(mktemp -t fisherlab-exhaustive.XXXXXX)"
start=$(date +%s)
python -m pytest -rf -p no:randomly "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
end=$(date +%s)
echo
echo "== exhaustive summary =="
echo "selection: $*"
echo "wall time: $((end - start)) s"
grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed).* =+$' "$log" | tail -1
failures=$(grep -c '^FAILED ' "$log")
echo "failures: $failures"
grep '^FAILED ' "$log" | sed 's/^FAILED /  /'
echo "full log: $log"
exit "$status"
