# Disk full: train (with --register/--alias), register, promote and predict --output against a
# store on a small tmpfs filled up to a range of free sizes (as root; elsewhere, and in addition,
# a file size limit via ulimit -f makes writes fail with EFBIG). Every failure must exit 1 naming
# the cause (no space / file too large) and a path, and leave the store loading and consistent
# (check_store.py): a failed run is FAILED or absent, never RUNNING or half-written; predict
# leaves no partial file under the output name.
. "$(dirname "$0")/lib.sh"
TRAIN="$ROOT/tests/fixtures/lending_club_train.csv"
TEST="$ROOT/tests/fixtures/lending_club_test.csv"
CHECK="$ROOT/tests/integration/check_store.py"
MNT="$TMP/small"
mkdir -p "$MNT"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=6m tmpfs "$MNT" 2>/dev/null; then
    trap 'umount "$MNT" 2>/dev/null || true; rm -rf "$TMP"' EXIT INT TERM
    tmpfs=1
else
    echo "t_diskfull: cannot mount a tmpfs (not root?); only the file size limit is tested"
    tmpfs=0
fi

# The checker, and every run must have ended: FINISHED or FAILED, nothing RUNNING or DIED
check() {
    /usr/bin/python3 "$CHECK" "$LENDLAB" "$1" --no-running >"$TMP/check" 2>&1 ||
        { cat "$TMP/check" >&2; die "store $1 inconsistent after $2"; }
    "$LENDLAB" --store "$1" --batch runs --json --all >"$TMP/runs.json" ||
        die "runs failed after $2"
    /usr/bin/python3 - "$TMP/runs.json" "$2" <<'PY' || die "a run neither ended nor vanished after $2"
import json, sys
bad = [r["run_id"] + " " + r["status"] for r in json.load(open(sys.argv[1]))["runs"]
       if r["status"] not in ("FINISHED", "FAILED")]
if bad:
    print("runs left unfinished after", sys.argv[2], ":", bad, file=sys.stderr)
    sys.exit(1)
PY
}

# failed RC ERRFILE WHAT DIR: a failure is exit 1 with the cause and a path under DIR
failed() {
    [ "$1" -eq 1 ] || { cat "$2" >&2; die "$3 exited $1 on a full disk, wanted 1"; }
    grep -qE "No space left on device|File too large" "$2" ||
        { cat "$2" >&2; die "$3: the message does not name the cause"; }
    grep -qF "$4" "$2" || { cat "$2" >&2; die "$3: the message names no path under $4"; }
}

# fill KIB: leave about KIB KiB free on the tmpfs
fill() {
    rm -f "$MNT/fill"
    avail=$(df -k "$MNT" | awk 'NR == 2 { print $4 }')
    n=$((avail - $1))
    if [ "$n" -gt 0 ]; then dd if=/dev/zero of="$MNT/fill" bs=1024 count="$n" 2>/dev/null || true; fi
}

n_fail=0
n_ok=0
# per-operation tallies of clean failures: "train register promote predict"
tally=""
if [ "$tmpfs" = 1 ]; then
    S="$MNT/store"
    ll() { "$LENDLAB" --store "$S" --batch "$@"; }
    expect_rc 0 ll train "$TRAIN" --test "$TEST" -t Class -s n_estimators=5 --register m --alias staging
    expect_rc 0 ll train "$TRAIN" --test "$TEST" -t Class -s n_estimators=6 --register m
    MODEL=$(ls -d "$S"/0/*/artifacts/model | head -1)
    RUN=$(basename "$(dirname "$(dirname "$MODEL")")")
    to=1
    # free space from nothing to about what a training run with its model needs
    for kib in 0 4 8 16 24 32 48 64 96 128 160 200 256 320 400 512; do
        fill "$kib"
        set +e
        ll train "$TRAIN" --test "$TEST" -t Class -s n_estimators=40 --register m --alias staging \
            >/dev/null 2>"$TMP/err"
        rc=$?
        set -e
        if [ "$rc" -eq 0 ]; then n_ok=$((n_ok + 1)); else
            n_fail=$((n_fail + 1))
            tally="$tally train"
            failed "$rc" "$TMP/err" "train with ${kib} KiB free" "$MNT"
        fi
        set +e
        ll register "$RUN" -m m -a staging >/dev/null 2>"$TMP/err"
        rc=$?
        set -e
        if [ "$rc" -eq 0 ]; then n_ok=$((n_ok + 1)); else
            n_fail=$((n_fail + 1))
            tally="$tally register"
            failed "$rc" "$TMP/err" "register with ${kib} KiB free" "$MNT"
        fi
        to=$((3 - to))
        set +e
        ll promote m --version "$to" --to production --force --comment full >/dev/null 2>"$TMP/err"
        rc=$?
        set -e
        if [ "$rc" -eq 0 ]; then n_ok=$((n_ok + 1)); elif grep -q "already holds" "$TMP/err"; then
            : # an earlier promotion with this much room already moved the alias there
        else
            n_fail=$((n_fail + 1))
            tally="$tally promote"
            failed "$rc" "$TMP/err" "promote with ${kib} KiB free" "$MNT"
        fi
        set +e
        "$LENDLAB" --batch predict -m "$MODEL" -i "$TEST" -o "$MNT/scored.csv" >/dev/null 2>"$TMP/err"
        rc=$?
        set -e
        if [ "$rc" -eq 0 ]; then n_ok=$((n_ok + 1)); rm -f "$MNT/scored.csv"; else
            n_fail=$((n_fail + 1))
            tally="$tally predict"
            failed "$rc" "$TMP/err" "predict --output with ${kib} KiB free" "$MNT/scored.csv"
            [ ! -e "$MNT/scored.csv" ] || die "predict left a partial $MNT/scored.csv"
        fi
        rm -f "$MNT/fill"
        check "$S" "the operations with ${kib} KiB free"
        ls -a "$MNT" | grep -q 'scored' && die "predict left $(ls -a "$MNT" | grep scored)"
    done
    # with room again, the next changes settle whatever a failure left pending
    expect_rc 0 ll train "$TRAIN" --test "$TEST" -t Class -s n_estimators=5 --register m --alias staging
    expect_rc 0 ll registry m --json
    last=$(/usr/bin/python3 -c 'import json,sys; print(max(v["version"] for v in json.load(open(sys.argv[1]))["versions"]))' "$TMP/out")
    expect_rc 0 ll promote m --version "$last" --to production --force --comment room
    /usr/bin/python3 "$CHECK" "$LENDLAB" "$S" --no-running --settled >"$TMP/check" 2>&1 ||
        { cat "$TMP/check" >&2; die "store not settled once there was room again"; }
    umount "$MNT"
fi

# A file size limit: writes past it fail with EFBIG once SIGXFSZ is ignored (the shell's
# ignored disposition survives exec)
S="$TMP/limited"
ll() { "$LENDLAB" --store "$S" --batch "$@"; }
expect_rc 0 ll train "$TRAIN" --test "$TEST" -t Class -s n_estimators=5 --register m --alias staging
MODEL=$(ls -d "$S"/0/*/artifacts/model | head -1)
# the 100-tree model.json is far above 64 KiB, every file of the store is below it
set +e
(trap '' XFSZ; ulimit -f 128; exec "$LENDLAB" --store "$S" --batch train "$TRAIN" --test "$TEST" \
    -t Class -s n_estimators=100 --register m >/dev/null 2>"$TMP/err")
rc=$?
set -e
n_fail=$((n_fail + 1))
tally="$tally train-ulimit"
failed "$rc" "$TMP/err" "train under ulimit -f" "$S"
check "$S" "train under ulimit -f"
"$LENDLAB" --store "$S" --batch runs --json >"$TMP/runs.json"
json_eq "$TMP/runs.json" "sorted(r['status'] for r in d['runs'])" "['FAILED', 'FINISHED']"
set +e
(trap '' XFSZ; ulimit -f 8; exec "$LENDLAB" --batch predict -m "$MODEL" -i "$TEST" \
    -o "$TMP/scored.csv" >/dev/null 2>"$TMP/err")
rc=$?
set -e
n_fail=$((n_fail + 1))
tally="$tally predict-ulimit"
failed "$rc" "$TMP/err" "predict --output under ulimit -f" "$TMP/scored.csv"
[ ! -e "$TMP/scored.csv" ] || die "predict left a partial $TMP/scored.csv"
ls "$TMP" | grep -q scored && die "predict left $(ls "$TMP" | grep scored)"
echo "t_diskfull: $n_fail operations failed cleanly for lack of room ($(echo $tally |
    tr ' ' '\n' | sort | uniq -c | awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1 }')), $n_ok had enough"
