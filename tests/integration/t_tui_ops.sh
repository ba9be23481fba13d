# The workbench's operations screens through tmux at 120x40: Registry (versions, aliases, a
# promotion under data/policy.json confirmed in its verdict dialog, a refused one forced with
# a comment, a rollback, a demotion, checked with --batch), Drift (int_rate flagged between the
# test and drifted fixtures, its histogram) and Serve (a server on a free port, its request
# count rising under curl, stopped).
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || die "tmux is needed for this test"
command -v curl >/dev/null 2>&1 || die "curl is needed for this test"
SOCK=lendlab-ops-$$
SOCK_PATH="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -f "$SOCK_PATH"; rm -rf "$TMP"' EXIT INT TERM
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" \
    XDG_STATE_HOME="$TMP/state" LENDLAB_STORE="$TMP/mlruns"
mkdir -p "$HOME" "$XDG_CONFIG_HOME/lendlab"
unset NO_COLOR
FX="$ROOT/tests/fixtures"

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
screen() { tm capture-pane -p -t "$1" >"$TMP/screen"; }
# wait_for WINDOW TEXT [TENTHS]: poll the pane until it shows TEXT (default 10 s)
wait_for() {
    n=0
    while [ "$n" -lt "${3:-100}" ]; do
        screen "$1"
        grep -qF -- "$2" "$TMP/screen" && return 0
        sleep 0.1
        n=$((n + 1))
    done
    cat "$TMP/screen" >&2
    die "window $1 never showed '$2'"
}
# line_has WINDOW PATTERN TEXT: the pane's line matching PATTERN (grep -E) also shows TEXT
line_has() {
    screen "$1"
    grep -E -- "$2" "$TMP/screen" | grep -qF -- "$3" || { cat "$TMP/screen" >&2; die "no line /$2/ with '$3'"; }
}
keys() { w=$1; shift; tm send-keys -t "$w" "$@"; }
# start NAME ENV... -- ARGS: lendlab at 120x40 in a new window, its exit status shown after it
start() {
    name=$1
    shift
    envs=""
    while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
    shift
    cmd="ulimit -c 0; env$envs LENDLAB_DEBUG_LOG=$TMP/$name.log '$LENDLAB' $*; echo \"exit status \$?\"; sleep 60"
    if tm has-session 2>/dev/null; then
        tm new-window -d -n "$name" -c "$ROOT" "$cmd"
        tm resize-window -t "main:$name" -x 120 -y 40
    else
        tm new-session -d -s main -n "$name" -x 120 -y 40 -c "$ROOT" "$cmd"
    fi
}
reg_json() { "$LENDLAB" --batch registry credit-risk --json >"$TMP/reg.json" || die "registry --json failed"; }

# ---- a store with two versions of credit-risk, staging moved to the second ----
# version 1: gbdt (test AUC 0.6800, log loss 0.2320: fails data/policy.json's bounds)
# version 2: logreg (AUC 0.7119, KS 0.3264, log loss 0.1935: passes them)
for m in gbdt logreg; do
    "$LENDLAB" --batch train "$FX/lending_club_train.csv" -t Class --test "$FX/lending_club_test.csv" \
        -m $m --register credit-risk --alias staging >"$TMP/train.out" 2>&1 ||
        { cat "$TMP/train.out" >&2; die "train $m failed"; }
done
printf 'policy = %s/data/policy.json\n' "$ROOT" >"$XDG_CONFIG_HOME/lendlab/config"

# ---- Registry ----
start reg LANG=C.UTF-8 --
W=main:reg
keys $W 4
wait_for $W "Versions: credit-risk (2)"
wait_for $W "policy $ROOT/data/policy.json"
line_has $W "│ +2 Staging" "staging"
line_has $W "│ +2 Staging" "0.7119"
line_has $W "│ +1 Archived" "0.6800"
wait_for $W "2 versions, staging=2"
# p on the selected (newest) version: pick production, read the verdict, confirm
keys $W p
wait_for $W "Promote credit-risk version 2 to alias"
keys $W production Enter
wait_for $W "Promote credit-risk version 2 to 'production'"
wait_for $W "PASS  auc >= 0.7"
line_has $W "PASS  ks >= 0.25" "value 0.3264"
line_has $W "PASS  logloss <= 0.2" "value 0.1935"
wait_for $W "PASS  challenger: auc up by >= 0.005"
wait_for $W "no version holds the target alias yet"
wait_for $W "all 4 rules pass"
keys $W y
wait_for $W "promoted credit-risk version 2 to 'production' (stage Production)"
wait_for $W "production,staging"
reg_json
json_eq "$TMP/reg.json" "d['aliases']['production']" 2
json_eq "$TMP/reg.json" "[v['aliases'] for v in d['versions'] if v['version'] == 2][0]" "['production', 'staging']"
json_eq "$TMP/reg.json" "[v['stage'] for v in d['versions'] if v['version'] == 2][0]" Production
# the history pane shows the promotion with its verdict
line_has $W "promote +2 production" "passed"

# a refused promotion: version 1 to champion fails two bounds; y is refused, f asks a comment
keys $W j p
wait_for $W "Promote credit-risk version 1 to alias"
keys $W champion Enter
wait_for $W "FAIL  auc >= 0.7"
line_has $W "FAIL  logloss <= 0.2" "value 0.2320"
wait_for $W "2 of 4 rules fail: the policy refuses this promotion"
keys $W y
wait_for $W "the policy refuses this promotion: f forces it with a comment"
keys $W f
wait_for $W "Forcing it needs a comment"
keys $W Enter
wait_for $W "a forced promotion needs a comment; nothing changed"
reg_json
json_eq "$TMP/reg.json" "'champion' in d['aliases']" False
keys $W j p champion Enter
wait_for $W "2 of 4 rules fail"
keys $W f "backtest approved by risk" Enter
wait_for $W "promoted credit-risk version 1 to 'champion'"
wait_for $W "FORCED despite failing rules"
line_has $W "promote +1 champion" "FORCED  backtest"
"$LENDLAB" --batch history credit-risk >"$TMP/hist" || die "history failed"
grep "champion" "$TMP/hist" | grep -q "FORCED" || { cat "$TMP/hist" >&2; die "the forced promotion is not in the history"; }

# rollback: production back to version 1 (still selected), no policy
keys $W r
wait_for $W "Roll back credit-risk: 'production' to version 1"
wait_for $W "'production' moves from version 2 to version 1."
keys $W y
wait_for $W "rolled back credit-risk version 1 to 'production'"
reg_json
json_eq "$TMP/reg.json" "d['aliases']['production']" 1
# demote: the selected version's aliases come first (champion, production); remove champion
keys $W D
wait_for $W "Demote credit-risk: the alias to remove"
keys $W Enter
wait_for $W "Demote credit-risk: remove alias 'champion'"
keys $W y
wait_for $W "removed alias 'champion' from credit-risk version 1"
reg_json
json_eq "$TMP/reg.json" "sorted(d['aliases'])" "['production', 'staging']"
# a history entry in full: the forced promotion's rules as recorded
keys $W Tab g j j
keys $W Enter
wait_for $W "History: "
wait_for $W "comment: backtest approved by risk"
wait_for $W "FAIL  auc >= 0.7"
keys $W Escape
keys $W q
wait_for $W "exit status 0"

# ---- Drift: the test fixture against its drifted copy, offered as a pipeline's latest batch
# predictions (with a score column the reference lacks) ----
D="$TMP/data"
mkdir -p "$D/pipeline-out"
cp "$FX/lending_club_test.csv" "$D/"
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "probability"; next } { print $0, "0.1" }' \
    "$FX/lending_club_drifted.csv" >"$D/pipeline-out/predictions_2026-11-27.csv"
printf '{"path": "%s", "date": "2026-11-27", "rows": 1971}\n' \
    "$D/pipeline-out/predictions_2026-11-27.csv" >"$D/pipeline-out/latest_predictions.json"
start drift LANG=C.UTF-8 -- "$D/lending_club_test.csv"
W=main:drift
wait_for $W "1,971 rows"
keys $W 5
wait_for $W "reference $D/lending_club_test.csv"
keys $W c
wait_for $W "Drift: the current data"
wait_for $W "latest predictions 2026-11-27"
keys $W Enter
wait_for $W "columns drifted"
wait_for $W "left out (not in the reference): probability"
# int_rate heads the table, drifted: Wasserstein distance / reference std 0.6021 (scipy
# 0.602138); annual_inc too (0.286)
line_has $W "│ int_rate " "Wasserstein distance (normed)"
line_has $W "│ int_rate " "0.6021"
line_has $W "│ int_rate " "yes"
line_has $W "│ int_rate " "significant"
grep -A1 "column .*type" "$TMP/screen" | grep -q "int_rate" || die "int_rate is not the first row"
# its histogram: 24 bins over the 1st..99th percentiles [5.32, 29.746] (numpy)
wait_for $W "int_rate: reference vs current"
line_has $W "│ +5.32 " "29.75"
keys $W j
wait_for $W "annual_inc: reference vs current"
# unselected, int_rate is coloured as an alert (the dark theme's drift_alert: red, bold)
tm capture-pane -e -p -t $W >"$TMP/esc"
grep "int_rate" "$TMP/esc" | grep -q "$(printf '\033')\[1m$(printf '\033')\[31mint_rate" ||
    die "int_rate is not drawn in the drift_alert slot"
keys $W k
wait_for $W "int_rate: reference vs current"
# a saved profile as the reference gives the same table
"$LENDLAB" --batch profile "$FX/lending_club_test.csv" -o "$D/ref.profile.json" >/dev/null ||
    die "profile failed"
keys $W r
wait_for $W "saved profile"
keys $W ref.profile Enter
wait_for $W "reference $D/ref.profile.json"
wait_for $W "columns drifted"
line_has $W "│ int_rate " "0.6021"
keys $W q
wait_for $W "exit status 0"

# ---- Serve: a server on any free port, the count rising with each request ----
start serve LANG=C.UTF-8 --
W=main:serve
keys $W 6
wait_for $W "no server is running"
keys $W s
wait_for $W "Serve: the model"
wait_for $W "models:/credit-risk@production"
keys $W "credit-risk@production" Enter
wait_for $W "port: 5001"
keys $W C-u 0 Enter
wait_for $W "listening on http://127.0.0.1:"
port=$(sed -n "s/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p" "$TMP/screen" | head -1)
[ -n "$port" ] || die "no port on the Serve screen"
wait_for $W "requests answered: 0"
wait_for $W "credit-risk version 1 @production (gbdt)"
for i in 1 2 3; do curl -fsS "http://127.0.0.1:$port/ping" >/dev/null || die "GET /ping failed"; done
wait_for $W "requests answered: 3" 50
curl -s "http://127.0.0.1:$port/nope" >/dev/null
wait_for $W "errors: 1 (4xx 1, 5xx 0)" 50
wait_for $W "endpoints: /ping 3"
keys $W S
wait_for $W "the server stopped"
wait_for $W "lendlab serve: stopped"
if curl -s "http://127.0.0.1:$port/ping" >/dev/null 2>&1; then die "the server still answers"; fi
keys $W q
wait_for $W "exit status 0"
exit 0
