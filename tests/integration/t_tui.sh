# The workbench driven through tmux: Datasets screen, sorting, tabs, help generated from the key
# notes, the ':' prompt, themes, resizing, quitting; a bad theme file; the ASCII fallback.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || die "tmux is needed for this test"
SOCK=lendlab-test-$$
# tmux leaves its socket file behind after kill-server: remove it too
SOCK_PATH="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -f "$SOCK_PATH"; rm -rf "$TMP"' EXIT INT TERM
# private home: no user config, themes or recent files leak in or out
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" \
    XDG_STATE_HOME="$TMP/state" LENDLAB_STORE="$TMP/mlruns"
mkdir -p "$HOME"
unset NO_COLOR
DATA="$ROOT/data/lending_club.csv"

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
# gone WINDOW TEXT: the pane does not show TEXT (now)
gone() {
    screen "$1"
    if grep -qF -- "$2" "$TMP/screen"; then cat "$TMP/screen" >&2; die "window $1 still shows '$2'"; fi
}
keys() { w=$1; shift; tm send-keys -t "$w" "$@"; }
# start NAME COLS ROWS ENV... -- ARGS: run lendlab in a new window, exit status shown after it
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

# ---- the main run at 120x40 ----
start wb 120 40 LANG=C.UTF-8 -- "$DATA"
W=main:wb
wait_for $W "9,857 rows"
wait_for $W "funded_amnt"
wait_for $W "sub_grade"
wait_for $W "target Class (bad 5.25%)"
wait_for $W "1 Datasets"
grep -q "first-frame" "$TMP/wb.log" || die "no first frame in the debug log"

# the column detail: sub_grade's levels with their bad rate (pandas: C5 10.05%, A1 0.49%)
keys $W Down Down Down
wait_for $W "Column: sub_grade"
wait_for $W "C5"
grep "C5 " "$TMP/screen" | grep -qF "10.1%" || die "C5 rate missing"
grep "A1 " "$TMP/screen" | grep -qF "0.5%" || die "A1 rate missing"

# sort the grid by int_rate: ascending puts row 7 (5.32) first, descending row 444 (28.99)
keys $W Up Tab
wait_for $W "Column: int_rate"
keys $W s
wait_for $W "sorted by int_rate, ascending"
keys $W g
wait_for $W "Data: row 1 of 9,857, sorted by int_rate"
grep -E "^│ +7 " "$TMP/screen" | grep -qF "5.32" || { cat "$TMP/screen" >&2; die "row 7 not first"; }
keys $W s
wait_for $W "sorted by int_rate, descending"
keys $W g
wait_for $W "│  444 "
grep -E "^│ +444 " "$TMP/screen" | grep -qF "28.99" || die "row 444 not first when descending"
keys $W j j
wait_for $W "Data: row 3 of 9,857"

# every tab shows its own content
keys $W 2
wait_for $W "New run: gbdt on lending_club.csv"
grep -Eq "target +Class" "$TMP/screen" || die "the Train form does not follow the target"
keys $W 3
wait_for $W "Runs: no store at $TMP/mlruns yet"
keys $W F4
wait_for $W "Models (0)"
wait_for $W "no tracking store yet"
keys $W 5
wait_for $W "Columns by severity"
wait_for $W "reference $DATA"
keys $W 6
wait_for $W "no server is running: s starts one"
keys $W 7
wait_for $W "Help: keys and commands"
# help lines come from the key tables' notes
wait_for $W "make the current column the target"
wait_for $W "Datasets: files, column profiles and the data grid"
wait_for $W "1, F1"
keys $W End
wait_for $W "Command table"
wait_for $W "describe FILE"
keys $W 1
wait_for $W "Files ("

# the mouse (xterm X10 reports: ESC [ M, 32+button, 33+x, 33+y): click the Runs tab at
# x=25, back to Datasets at x=5, then the wheel down over the data grid (row 25; no ';' in
# the bytes, tmux would take it for a command separator)
mouse() { tm send-keys -t "$1" -l "$(printf '\033[M%s' "$2")"; }
mouse $W ' :!'
mouse $W '#:!'
wait_for $W "Runs: no store at"
mouse $W ' &!'
mouse $W '#&!'
wait_for $W "Files ("
keys $W g
wait_for $W "Data: row 1 of 9,857"
mouse $W 'a+:'
wait_for $W "Data: row 4 of 9,857"

# the ':' prompt runs a command of the command table into the output pane
keys $W : "describe data/lending_club.csv" Enter
wait_for $W "Output: describe data/lending_club.csv (exit 0"
wait_for $W "target Class: positive class 'bad', 517 of 9857 rows"
keys $W Escape
wait_for $W "Files ("
keys $W : "no-such-thing" Enter
wait_for $W "unknown command 'no-such-thing'"
# Tab completes command names
keys $W : "descr" Tab "x.csv"
wait_for $W ":describe x.csv"
keys $W C-u Escape

# themes switch live
keys $W T
wait_for $W "theme: high-contrast"
wait_for $W "theme high-contrast"
keys $W : "theme light" Enter
wait_for $W "theme light"

# resizing: the minimum size works, smaller shows the message, back again is fine
tm resize-window -t $W -x 80 -y 24
wait_for $W "Columns: lending_club.csv"
tm resize-window -t $W -x 60 -y 20
wait_for $W "enlarge the terminal (needs 80x24"
tm resize-window -t $W -x 120 -y 40
wait_for $W "Data: row"
gone $W "enlarge the terminal"

keys $W q
wait_for $W "exit status 0"

# ---- a bad theme file: the error names the line, the workbench still starts ----
printf '# bad\ntext = fg=default\nheader = fg=yelow, bold\n' >"$TMP/bad.theme"
start bad 120 40 LANG=C.UTF-8 -- --theme "$TMP/bad.theme" "$DATA"
wait_for main:bad "bad.theme:3: header: bad colour 'yelow'"
wait_for main:bad "9,857 rows"
keys main:bad q
wait_for main:bad "exit status 0"

# ---- a bad config line is reported with its line number ----
mkdir -p "$XDG_CONFIG_HOME/lendlab"
printf 'theme = mono\nthme = dark\n' >"$XDG_CONFIG_HOME/lendlab/config"
start cfg 120 40 LANG=C.UTF-8 -- "$DATA"
wait_for main:cfg "config/lendlab/config:2: unknown setting"
wait_for main:cfg "theme mono"
keys main:cfg q
wait_for main:cfg "exit status 0"
rm -f "$XDG_CONFIG_HOME/lendlab/config"

# ---- LANG=C: ASCII boxes and sparklines ----
start ascii 120 40 LANG=C LC_ALL=C -- "$DATA"
wait_for main:ascii "+- Files ("
wait_for main:ascii "9,857 rows"
gone main:ascii "─"
keys main:ascii q
wait_for main:ascii "exit status 0"

# ---- a job running: q asks first (the file is a pipe the loader waits on) ----
mkfifo "$TMP/slow.csv"
(head -50 "$DATA"; sleep 3) >"$TMP/slow.csv" &
start slow 120 40 LANG=C.UTF-8 -- "$TMP/slow.csv"
wait_for main:slow "loading $TMP/slow.csv"
keys main:slow q
wait_for main:slow "1 job running (load slow.csv): quit and cancel it? (y/n)"
keys main:slow n
wait_for main:slow "still here"
keys main:slow q
wait_for main:slow "quit and cancel it?"
keys main:slow y
wait_for main:slow "exit status 0"
wait

# ---- SIGTERM quits cleanly with status 130 ----
start sig 120 40 LANG=C.UTF-8 -- "$DATA"
wait_for main:sig "9,857 rows"
pid=$(sed -n 's/.*start pid \([0-9]*\).*/\1/p' "$TMP/sig.log" | head -1)
[ -n "$pid" ] || die "no pid in the debug log"
kill -TERM "$pid"
wait_for main:sig "exit status 130"

# ---- a crash restores the terminal before the process dies of the signal ----
start crash 120 40 LANG=C.UTF-8 -- "$DATA"
wait_for main:crash "9,857 rows"
pid=$(sed -n 's/.*start pid \([0-9]*\).*/\1/p' "$TMP/crash.log" | head -1)
kill -SEGV "$pid"
wait_for main:crash "lendlab: crashed; terminal restored"
wait_for main:crash "exit status 139"
gone main:crash "Files ("

# ---- NO_COLOR: attributes only, no colour escapes (and colours without it) ----
start nocolor 120 40 LANG=C.UTF-8 NO_COLOR=1 -- "$DATA"
wait_for main:nocolor "9,857 rows"
tm capture-pane -e -p -t main:nocolor >"$TMP/esc"
if grep -qE "$(printf '\033')\[(3[0-7]|4[0-7]|38;5|48;5)" "$TMP/esc"; then die "colours despite NO_COLOR"; fi
grep -qE "$(printf '\033')\[[0-9;]*7m" "$TMP/esc" || die "no reverse video under NO_COLOR"
keys main:nocolor q
wait_for main:nocolor "exit status 0"
start color 120 40 LANG=C.UTF-8 -- "$DATA"
wait_for main:color "9,857 rows"
tm capture-pane -e -p -t main:color >"$TMP/esc"
grep -qE "$(printf '\033')\[(3[0-7]|4[0-7]|38;5|48;5)" "$TMP/esc" || die "no colours without NO_COLOR"
keys main:color q
wait_for main:color "exit status 0"

# ---- not a terminal: a clear error and status 2 ----
expect_rc 2 "$LENDLAB" "$DATA" </dev/null
contains "$TMP/err" "needs a terminal"
exit 0
