# Helpers sourced by integration tests: temp dir, assertions.
set -eu
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
ROOT=${LENDLAB_ROOT:?}
die() { echo "FAIL: $*" >&2; exit 1; }
# expect_rc CODE CMD... : run CMD, require exit status CODE
expect_rc() {
    want=$1; shift
    set +e; "$@" >"$TMP/out" 2>"$TMP/err"; got=$?; set -e
    [ "$got" -eq "$want" ] || { cat "$TMP/out" "$TMP/err" >&2; die "'$*' exited $got, wanted $want"; }
}
# contains FILE TEXT : FILE contains the fixed string TEXT
contains() { grep -qF -- "$2" "$1" || { cat "$1" >&2; die "$1 lacks '$2'"; }; }
# jq-free JSON checks through python3's json module: json_eq FILE EXPR VALUE
json_eq() {
    python3 - "$1" "$2" "$3" <<'PY' || die "json check $2 == $3 failed on $1"
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d})
want = sys.argv[3]
ok = (str(v) == want) or (isinstance(v, float) and abs(v - float(want)) < 1e-9)
if not ok:
    print("got", repr(v), "want", want, file=sys.stderr); sys.exit(1)
PY
}
