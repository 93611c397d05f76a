#!/usr/bin/env bash
# Exhaustive mode: the test selection that FISHERLAB_EXHAUSTIVE=1 widens, run on many more points
# (twenty interior points per identity and per textbook case, 300 per accuracy case, every
# section of every derivation report, 300 fuzzed user declarations), then a one-line-per-failure
# summary and the wall time.
#
# Usage: scripts/exhaustive.sh [pytest arguments]
#   default selection: every test file that honours the mode (below). On two cores the whole of
#   it takes well over an hour: run it in parts, by file and by family, e.g.
#   scripts/exhaustive.sh tests/verify/test_identities.py tests/kernels/test_accuracy.py --family beta
#   scripts/exhaustive.sh tests/kernels/test_accuracy.py -k "logarithmic-natural"
#   (--family keeps the tests of one family; tests without a family argument still run).
set -uo pipefail
cd "$(dirname "$0")/.."
export FISHERLAB_EXHAUSTIVE=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ "$#" -eq 0 ]; then
  set -- tests/verify/test_identities.py tests/kernels/test_accuracy.py \
    tests/families/test_textbook.py tests/families/test_simplex_textbook.py \
    tests/families/test_multivariate_normal_textbook.py tests/kernels/test_simplex_generic.py \
    tests/kernels/test_multivariate_normal.py tests/kernels/test_wishart_matrix_form.py \
    tests/report/test_derivation_reports.py \
    tests/symbolic/test_declaration_fuzz.py tests/families/test_von_mises_fisher_textbook.py \
    tests/families/test_multivariate_normal_variants_textbook.py tests/kernels/test_mvn_subfamily.py
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
