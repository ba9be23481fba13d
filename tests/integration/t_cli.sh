# The global command line: help, version, unknown commands and options, exit codes.
. "$(dirname "$0")/lib.sh"
expect_rc 0 "$LENDLAB" --help
contains "$TMP/out" "usage: lendlab"
contains "$TMP/out" "Commands:"
expect_rc 0 "$LENDLAB" --version
contains "$TMP/out" "lendlab "
expect_rc 2 "$LENDLAB" --bogus
contains "$TMP/err" "unknown option '--bogus'"
expect_rc 2 "$LENDLAB" --batch no-such-command
contains "$TMP/err" "unknown command 'no-such-command'"
expect_rc 2 "$LENDLAB" --batch
# numbers in output never follow the user's decimal comma
if locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
    LC_ALL=de_DE.UTF-8 "$LENDLAB" --batch describe "$ROOT/data/lending_club.csv" --json >"$TMP/de.json"
    json_eq "$TMP/de.json" 'd["columns"][2]["mean"]' 12.526536471543066
fi
