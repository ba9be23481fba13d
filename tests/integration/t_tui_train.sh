# The workbench's Train, Runs and Compare screens driven through tmux at 120x40: the form refuses
# bad values beside the field, a long gbdt run shows its progress changing and is cancelled
# (KILLED in the store), a short one finishes with its test AUC; Runs lists both, sorts,
# filters (errors with their position), shows details; Compare shows params side by side with
# the diff-only toggle; the ASCII fallback under LANG=C.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || die "tmux is needed for this test"
SOCK=lendlab-train-$$
SOCK_PATH="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -f "$SOCK_PATH"; rm -rf "$TMP"' EXIT INT TERM
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" \
    XDG_STATE_HOME="$TMP/state"
unset LENDLAB_STORE NO_COLOR
mkdir -p "$HOME"
S="$TMP/mlruns"
DATA="$ROOT/tests/fixtures/lending_club_train.csv"
PY=/usr/bin/python3

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
screen() { tm capture-pane -p -t "$1" >"$TMP/screen"; }
wait_for() {
    n=0
    while [ "$n" -lt "${3:-150}" ]; do
        screen "$1"
        grep -qF -- "$2" "$TMP/screen" && return 0
        sleep 0.1
        n=$((n + 1))
    done
    cat "$TMP/screen" >&2
    die "window $1 never showed '$2'"
}
# gone WINDOW TEXT: wait (up to 5 s) until the pane no longer shows TEXT
gone() {
    n=0
    while [ "$n" -lt 50 ]; do
        screen "$1"
        grep -qF -- "$2" "$TMP/screen" || return 0
        sleep 0.1
        n=$((n + 1))
    done
    cat "$TMP/screen" >&2
    die "window $1 still shows '$2'"
}
keys() { w=$1; shift; tm send-keys -t "$w" "$@"; }
start() {
    name=$1 cols=$2 rows=$3
    shift 3
    envs=""
    while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
    shift
    cmd="ulimit -c 0; env$envs LENDLAB_DEBUG_LOG=$TMP/$name.log '$LENDLAB' $*; echo \"exit status \$?\"; sleep 60"
    if tm has-session 2>/dev/null; then
        tm new-window -d -n "$name" -c "$ROOT" "$cmd"
        tm resize-window -t "main:$name" -x "$cols" -y "$rows"
    else
        tm new-session -d -s main -n "$name" -x "$cols" -y "$rows" -c "$ROOT" "$cmd"
    fi
}
# runs_json: the store's runs as lendlab --batch runs --json sees them
runs_json() { "$LENDLAB" --store "$S" --batch runs --json >"$TMP/runs.json"; }

start wb 120 40 LANG=C.UTF-8 -- --store "$S" "$DATA"
W=main:wb
wait_for $W "7,886 rows"
wait_for $W "target Class"

# ---- the form: the Datasets screen's file and target, every gbdt parameter with its range ----
keys $W 2
wait_for $W "New run: gbdt on lending_club_train.csv"
grep -Eq "│ target +Class " "$TMP/screen" || die "the form does not show the target"
grep -Eq "│ n_estimators +100 +default 100; integer 1..100000" "$TMP/screen" || die "no n_estimators"
grep -Eq "│ early_stopping_rounds +0 " "$TMP/screen" || die "no early_stopping_rounds"
grep -Eq "│ learner_seed +42 " "$TMP/screen" || die "the learner's seed does not follow the seed"

# a bad value is refused beside its field, by the same checker as train --set; start refuses too
keys $W : "set eta 2" Enter
wait_for $W "eta: gbdt: eta must be number in (0, 1], got '2'"
grep -Eq "│ eta +0.3 +✗ gbdt: eta must be" "$TMP/screen" || die "no refusal beside the eta field"
keys $W s
wait_for $W "cannot start: eta: gbdt: eta must be"
keys $W d
wait_for $W "learning rate"
gone $W "✗ gbdt: eta"
# the keys: down to n_estimators, edit, type, keep; a typed letter is refused
keys $W g j j j j e C-u 2000x Enter
wait_for $W "n_estimators: gbdt: n_estimators must be integer 1..100000, got '2000x'"
keys $W e BSpace Enter
wait_for $W "n_estimators = 2000"
keys $W e C-u 30000 Enter
wait_for $W "n_estimators = 30000"
keys $W : "set max_depth 2" Enter
wait_for $W "max_depth = 2"
keys $W : "set eta 0.01" Enter
wait_for $W "eta = 0.01"

# ---- a long run: the iteration counter and the metrics move, then c cancels it ----
keys $W s
wait_for $W "#1 gbdt │ RUNNING"
wait_for $W "/30000  elapsed"
wait_for $W "fitting gbdt on 6309 rows"
wait_for $W "iteration 1/30000"
sleep 1
screen $W
grep -Eo "iteration [0-9]+/30000  elapsed" "$TMP/screen" >"$TMP/it1"
grep -Eo "train log loss [0-9.]+" "$TMP/screen" >"$TMP/ll1"
[ -s "$TMP/it1" ] && [ -s "$TMP/ll1" ] || { cat "$TMP/screen" >&2; die "no progress line"; }
sleep 1
screen $W
grep -Eo "iteration [0-9]+/30000  elapsed" "$TMP/screen" >"$TMP/it2"
grep -Eo "train log loss [0-9.]+" "$TMP/screen" >"$TMP/ll2"
cmp -s "$TMP/it1" "$TMP/it2" && die "the iteration counter did not move: $(cat "$TMP/it1")"
cmp -s "$TMP/ll1" "$TMP/ll2" && die "the train log loss did not change: $(cat "$TMP/ll1")"
grep -q "log loss  █ train" "$TMP/screen" || die "no log loss chart"
keys $W c
wait_for $W "#1 gbdt │ KILLED"
wait_for $W "recorded KILLED"
runs_json
json_eq "$TMP/runs.json" "[r['status'] for r in d['runs']]" "['KILLED']"
json_eq "$TMP/runs.json" "d['runs'][0]['params']['n_estimators']" 30000
json_eq "$TMP/runs.json" "d['runs'][0]['tags']['mlflow.source.name']" "lendlab workbench"
KILLED=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"][0]["run_id"])' "$TMP/runs.json")

# ---- a short run with early stopping finishes: its test AUC as the store has it ----
keys $W n
wait_for $W "New run: gbdt"
keys $W : "set n_estimators 60" Enter
wait_for $W "n_estimators = 60"
keys $W : "set eta 0.1" Enter
keys $W : "set early_stopping_rounds 20" Enter
wait_for $W "early_stopping_rounds = 20"
keys $W Enter
wait_for $W "#2 gbdt finished: test AUC"
wait_for $W "#2 gbdt │ FINISHED"
wait_for $W "Test metrics"
wait_for $W "Top features"
runs_json
AUC=$($PY -c '
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["runs"] if r["status"] == "FINISHED"][0]
print("%.4f" % r["metrics"]["auc"])' "$TMP/runs.json")
grep -Eq "│ AUC +$AUC " "$TMP/screen" || { cat "$TMP/screen" >&2; die "the final AUC $AUC is not shown"; }
grep -q "✓ #2 gbdt" "$TMP/screen" || die "the list does not mark #2 finished"
json_eq "$TMP/runs.json" "sorted(r['status'] for r in d['runs'])" "['FINISHED', 'KILLED']"
json_eq "$TMP/runs.json" "[r['params']['rows_valid'] for r in d['runs'] if r['status'] == 'FINISHED']" "['631']"
# the list keeps both runs; Up selects the killed one again
keys $W Tab j
wait_for $W "#1 gbdt │ KILLED"
keys $W k Tab

# ---- Runs: both runs, sorting, details ----
keys $W 3
wait_for $W "Runs: 2, 0 marked"
wait_for $W "KILLED"
wait_for $W "FINISHED"
grep -Eq "gbdt-[0-9]{8}-[0-9]{6} +FINISHED" "$TMP/screen" || die "no finished run row"
keys $W S
wait_for $W "sorted by start ▲"
keys $W s s
wait_for $W "sorted by auc ▼"
# the run with an AUC first, the killed one (no AUC) last
grep -n "FINISHED\|KILLED" "$TMP/screen" | head -1 | grep -q FINISHED || die "auc sort puts KILLED first"
keys $W Enter
wait_for $W "Details (Enter or Esc hides them)"
wait_for $W "Params ("
wait_for $W "roc_curve.json"
keys $W Escape
gone $W "Details (Enter"

# ---- Compare: mark both, params side by side, diff-only ----
keys $W g Space Space
wait_for $W "2 runs marked (C compares them)"
keys $W C
wait_for $W "Compare: 2 runs"
wait_for $W "ROC (test rows)"
grep -Eq "n_estimators +60 +30000" "$TMP/screen" || grep -Eq "n_estimators +30000 +60" "$TMP/screen" ||
    { cat "$TMP/screen" >&2; die "params are not side by side"; }
grep -Eq "│ target +Class +Class" "$TMP/screen" || die "equal params are not shown"
keys $W d
wait_for $W "Params that differ"
gone $W "│ target "
grep -Eq "│ eta +" "$TMP/screen" || die "eta differs but is hidden"
keys $W d
wait_for $W "params: all of them"
keys $W Escape
wait_for $W "Runs: 2, 2 marked"

# ---- filters: an MLflow expression, a mistake with its position ----
keys $W f "params.model = 'gbdt' and metrics.auc > 0.5" Enter
wait_for $W "Runs: 1 matching params.model = 'gbdt' and metrics.auc > 0.5"
keys $W f C-u "params.model = " Enter
wait_for $W "filter: syntax error at position 16"
keys $W f C-u "params.model = 'gbdt'" Enter
wait_for $W "Runs: 2 matching params.model = 'gbdt'"
keys $W f C-u "params.model = 'logreg'" Enter
wait_for $W "no run matches the filter"
keys $W f C-u Enter
wait_for $W "Runs: 2, 2 marked"

# the help screen lists the new screens' keys, generated from their tables
keys $W 7
wait_for $W "Help: keys and commands"
n=0
until grep -qF "start a training run with the form's values" "$TMP/screen"; do
    [ $n -lt 30 ] || die "the help screen lacks the Train keys"
    keys $W PgDn
    sleep 0.2
    screen $W
    n=$((n + 1))
done
grep -qF "compare the marked runs" "$TMP/screen" || {
    keys $W PgDn
    wait_for $W "compare the marked runs"
}

keys $W q
sleep 0.3
screen $W
# a store read may still be under way: it is cancelled
grep -qF "quit and cancel" "$TMP/screen" && keys $W y
wait_for $W "exit status 0"
grep -q "first-frame" "$TMP/wb.log" || die "no first frame in the debug log"
grep -q "runs loaded 2 runs" "$TMP/wb.log" || die "the store was not read on a worker"

# ---- LANG=C: ASCII boxes and charts in Compare ----
start ascii 120 40 LANG=C LC_ALL=C -- --store "$S"
wait_for main:ascii "1 Datasets"
keys main:ascii 3
wait_for main:ascii "Runs: 2, 0 marked"
keys main:ascii Space Space C
wait_for main:ascii "Compare: 2 runs"
wait_for main:ascii "ROC (test rows)"
LC_ALL=C grep -q "$(printf '[\200-\377]')" "$TMP/screen" && die "non-ASCII bytes under LANG=C"
keys main:ascii q
wait_for main:ascii "exit status 0"

# the killed run is still KILLED, the store has nothing else
runs_json
json_eq "$TMP/runs.json" "[r['status'] for r in d['runs'] if r['run_id'] == '$KILLED']" "['KILLED']"
json_eq "$TMP/runs.json" "len(d['runs'])" 2
exit 0
