# Datasets given as http:// URLs: download into the cache, revalidate, report HTTP errors.
. "$(dirname "$0")/lib.sh"

if ! "$LENDLAB" --batch describe --help >/dev/null 2>&1; then
    echo "SKIP: 'describe' command not available yet"
    exit 0
fi

# A free loopback port: bind port 0, read it back, release it for the server.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$ROOT/data" "$PORT" \
    >"$TMP/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM

python3 - "$PORT" <<'PY' || die "http.server did not start on port $PORT"
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY

URL="http://127.0.0.1:$PORT/lending_club.csv"
export XDG_CACHE_HOME="$TMP/cache"

# rows_is FILE N: the describe JSON reports N data rows
rows_is() {
    python3 - "$1" "$2" <<'PY' || die "row count in $1 is not $2"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("rows", "nrows", "n_rows"):
    if k in d:
        if d[k] != int(sys.argv[2]):
            print("got", d[k], file=sys.stderr); sys.exit(1)
        sys.exit(0)
print("no row count key in", sorted(d), file=sys.stderr); sys.exit(1)
PY
}

# First run downloads the file into $XDG_CACHE_HOME/lendlab.
expect_rc 0 "$LENDLAB" --batch describe "$URL" --json
rows_is "$TMP/out" 9857
ls "$TMP/cache/lendlab/" | grep -q -- '-lending_club\.csv$' || die "no cached copy in $TMP/cache/lendlab"
ls "$TMP/cache/lendlab/" | grep -q -- '-lending_club\.csv\.meta$' || die "no cache metadata"
cmp "$ROOT/data/lending_club.csv" "$TMP/cache/lendlab/"*-lending_club.csv || die "cached copy differs"

# Second run revalidates with If-Modified-Since; http.server answers 304.
expect_rc 0 "$LENDLAB" --batch describe "$URL" --json
rows_is "$TMP/out" 9857
grep -q '"GET /lending_club.csv HTTP/1.1" 304' "$TMP/server.log" || {
    cat "$TMP/server.log" >&2
    die "second run did not revalidate (no 304 in the server log)"
}

# A missing file is an HTTP 404 naming the URL, exit status 1.
expect_rc 1 "$LENDLAB" --batch describe "http://127.0.0.1:$PORT/no_such_file.csv" --json
contains "$TMP/err" "404"
contains "$TMP/err" "no_such_file.csv"
