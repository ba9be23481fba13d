# The manual covers the command table: every command listed by `lendlab --help` has working
# --help text and a synopsis line in a man page, and every page is mandoc -Tlint clean.
. "$(dirname "$0")/lib.sh"
expect_rc 0 "$LENDLAB" --help
cmds=$(awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{exit}' "$TMP/out")
[ -n "$cmds" ] || die "no commands listed by --help"
n=0
for c in $cmds; do
    expect_rc 0 "$LENDLAB" --batch "$c" --help
    contains "$TMP/out" "usage: lendlab --batch $c"
    grep -qE "^\.Fl -batch Cm $c( |\$)" "$ROOT"/man/*.1 || die "no man page has a synopsis for '$c'"
    grep -qx "\.It Cm $c" "$ROOT/man/lendlab.1" || die "lendlab(1) COMMANDS does not list '$c'"
    n=$((n + 1))
done
echo "$n commands have --help and a man synopsis"
if command -v mandoc >/dev/null 2>&1; then
    for p in "$ROOT"/man/*.[15]; do
        out=$(mandoc -Tlint -W warning "$p" 2>&1) || { echo "$out" >&2; die "mandoc -Tlint: $p"; }
    done
fi
