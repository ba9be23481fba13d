/* cmd_serve: the `serve` (scoring server with hot reload) and `invoke` (its client) commands. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "fsutil.h"
#include "modeluri.h"
#include "numfmt.h"
#include "serve.h"

/* ---------- serve ---------- */

static const ll_optspec serve_opts[] = {
    {"model", 'm', LL_OPT_STRING, "URI",
     "models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model or a directory"},
    {"host", 0, LL_OPT_STRING, "ADDR", "address to listen on (default 127.0.0.1)"},
    {"port", 'p', LL_OPT_INT, "PORT", "port to listen on, 0 = any free port (default 5001)"},
    {"threads", 0, LL_OPT_INT, "N", "worker threads (default 2)"},
    {"max-body", 0, LL_OPT_INT, "BYTES", "largest request body (default 16777216)"},
    {"reload-interval", 0, LL_OPT_DOUBLE, "S",
     "seconds between checks of the alias for a new version (default 2)"},
    {"port-file", 0, LL_OPT_STRING, "FILE", "write the port listened on to FILE"},
    {"timeout", 0, LL_OPT_INT, "S",
     "close idle connections after S seconds, 0 = never (default 30)"},
    {"read-timeout", 0, LL_OPT_INT, "S",
     "close a connection whose request header takes over S seconds, or whose body then arrives "
     "slower than 1 KiB/s; 0 = never (default 10)"},
    {"max-connections", 0, LL_OPT_INT, "N",
     "concurrent connections; near N, idle ones are closed to make room (default 1024)"},
    {"max-connections-per-ip", 0, LL_OPT_INT, "N",
     "concurrent connections from one address, 0 = no limit (default 256)"},
    {"drain", 0, LL_OPT_DOUBLE, "S",
     "at shutdown, wait up to S seconds for requests in flight (default 30)"},
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void describe_ref(const ll_model_ref *r, char *buf, size_t len)
{
    if (r->version > 0)
        snprintf(buf, len, "%s version %ld%s%s", r->name, r->version, r->alias[0] ? " @" : "",
                 r->alias);
    else
        snprintf(buf, len, "%s", r->dir);
}

/* One look at the alias: load and swap in the version it points at when that changed. */
static void check_reload(const ll_cmd_ctx *ctx, ll_server *srv, const char *uri,
                         long *failed_version, char *last_error, size_t elen)
{
    ll_error err;
    ll_error_clear(&err);
    char ebuf[1600];
    ll_model_ref ref;
    if (ll_modeluri_resolve(ctx->store, uri, &ref, &err)) {
        ll_error_format(&err, ebuf, sizeof ebuf);
        if (strcmp(ebuf, last_error)) {
            fprintf(ctx->err,
                    "lendlab serve: cannot check %s: %s (still serving the loaded "
                    "model)\n",
                    uri, ebuf);
            fflush(ctx->err);
            snprintf(last_error, elen, "%s", ebuf);
        }
        return;
    }
    last_error[0] = '\0';
    ll_serve_model *cur = ll_serve_current(srv);
    const ll_model_ref *cr = cur ? ll_serve_model_ref(cur) : NULL;
    int same = cr && cr->version == ref.version && !strcmp(cr->dir, ref.dir);
    long old = cr ? cr->version : 0;
    ll_serve_model_release(cur);
    if (same || ref.version == *failed_version) return;
    ll_serve_model *h = NULL;
    if (ll_serve_model_load(&ref, &h, &err)) {
        fprintf(ctx->err,
                "lendlab serve: %s now points at version %ld, which does not load: %s (still "
                "serving version %ld)\n",
                uri, ref.version, ll_error_format(&err, ebuf, sizeof ebuf), old);
        fflush(ctx->err);
        *failed_version = ref.version;
        return;
    }
    *failed_version = 0;
    ll_serve_swap(srv, h);
    fprintf(ctx->err, "lendlab serve: reloaded %s: version %ld -> %ld (%s)\n", uri, old,
            ref.version, ll_model_kind_name(ll_model_kind_of(ll_serve_model_get(h))));
    fflush(ctx->err);
}

static int exec_serve(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *uri = ll_args_str(a, "model");
    if (!uri) {
        fprintf(ctx->err, "lendlab serve: --model URI is required\n"
                          "Try 'lendlab --batch serve --help'.\n");
        return LL_EXIT_USAGE;
    }
    ll_serve_options o;
    ll_serve_options_default(&o);
    if (ll_args_str(a, "host")) o.host = ll_args_str(a, "host");
    long port = ll_args_int(a, "port", 5001), threads = ll_args_int(a, "threads", 2);
    long max_body = ll_args_int(a, "max-body", (long)o.max_body);
    long timeout = ll_args_int(a, "timeout", 30), maxconn = ll_args_int(a, "max-connections", 1024);
    long read_timeout = ll_args_int(a, "read-timeout", (long)o.read_timeout_s),
         per_ip = ll_args_int(a, "max-connections-per-ip", (long)o.max_per_ip);
    double interval = ll_args_double(a, "reload-interval", 2),
           drain = ll_args_double(a, "drain", 30);
    const char *bad =
        port < 0 || port > 65535                   ? "--port must be in 0..65535"
        : threads < 1 || threads > 256             ? "--threads must be in 1..256"
        : max_body < 1024                          ? "--max-body must be at least 1024"
        : timeout < 0 || timeout > 86400           ? "--timeout must be in 0..86400"
        : maxconn < 1 || maxconn > 100000          ? "--max-connections must be in 1..100000"
        : read_timeout < 0 || read_timeout > 86400 ? "--read-timeout must be in 0..86400"
        : per_ip < 0 || per_ip > 100000            ? "--max-connections-per-ip must be in 0..100000"
        : !(interval > 0 && interval <= 86400)     ? "--reload-interval must be in (0, 86400]"
        : !(drain >= 0 && drain <= 86400)          ? "--drain must be in [0, 86400]"
                                                   : NULL;
    if (bad) {
        fprintf(ctx->err, "lendlab serve: %s\n", bad);
        return LL_EXIT_USAGE;
    }
    o.port = (int)port;
    o.threads = (int)threads;
    o.max_body = (size_t)max_body;
    o.timeout_s = (unsigned)timeout;
    o.max_connections = (unsigned)maxconn;
    o.read_timeout_s = (unsigned)read_timeout;
    o.max_per_ip = (unsigned)per_ip;

    ll_error err;
    ll_error_clear(&err);
    char ebuf[1600];
    ll_model_uri pu;
    if (ll_modeluri_parse(uri, &pu, &err)) {
        fprintf(ctx->err, "lendlab serve: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        return LL_EXIT_USAGE;
    }
    ll_model_ref ref;
    ll_serve_model *h = NULL;
    if (ll_modeluri_resolve(ctx->store, uri, &ref, &err) || ll_serve_model_load(&ref, &h, &err)) {
        fprintf(ctx->err, "lendlab serve: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        return LL_EXIT_ERROR;
    }
    char what[4800];
    describe_ref(&ref, what, sizeof what);
    ll_server *srv = NULL;
    if (ll_serve_start(&o, h, &srv, &err)) {
        fprintf(ctx->err, "lendlab serve: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        return LL_EXIT_ERROR;
    }
    int bound = ll_serve_port(srv);
    const char *host = o.host;
    int v6 = strchr(host, ':') != NULL;
    fprintf(ctx->err, "lendlab serve: serving %s (%s) from %s\n", what,
            ll_model_kind_name(ll_model_kind_of(ll_serve_model_get(h))), ref.dir);
    fprintf(ctx->err, "listening on http://%s%s%s:%d\n", v6 ? "[" : "", host, v6 ? "]" : "", bound);
    fflush(ctx->err);
    const char *port_file = ll_args_str(a, "port-file");
    if (port_file) {
        char pb[32];
        int n = snprintf(pb, sizeof pb, "%d\n", bound);
        if (ll_fsutil_write_atomic(port_file, pb, (size_t)n, NULL, &err)) {
            fprintf(ctx->err, "lendlab serve: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
            ll_serve_stop(srv, 0);
            return LL_EXIT_ERROR;
        }
    }
    int watch = pu.kind == LL_URI_MODEL_ALIAS;
    double next = mono_s() + interval;
    long failed_version = 0;
    char last_error[1600] = "";
    while (!(ctx->cancel && *ctx->cancel)) {
        sleep_ms(50);
        if (watch && mono_s() >= next) {
            check_reload(ctx, srv, uri, &failed_version, last_error, sizeof last_error);
            next = mono_s() + interval;
        }
    }
    long inflight = ll_serve_inflight(srv);
    fprintf(ctx->err, "lendlab serve: shutting down (%ld request%s in flight)\n", inflight,
            inflight == 1 ? "" : "s");
    fflush(ctx->err);
    ll_serve_stop(srv, drain);
    fprintf(ctx->err, "lendlab serve: stopped\n");
    return LL_EXIT_OK;
}

const ll_cmd_entry ll_cmd_serve = {
    "serve",
    NULL,
    "serve a model over HTTP with MLflow's scoring protocol (/invocations), with hot reload",
    "Endpoints: GET /ping and /health (200 once a model is loaded), /version, /model (name,\n"
    "version, alias, run, input schema), /metrics (Prometheus text), and POST /invocations\n"
    "(application/json with one of dataframe_split, dataframe_records, instances or inputs,\n"
    "and optional params; or text/csv with a header row). Predictions are 1 for the positive\n"
    "class (default, bad) and 0 otherwise; params {\"output\": \"probability\"} answers\n"
    "probabilities and {\"output\": \"full\"} objects with probability, label, score points\n"
    "and reason codes. With a models:/NAME@ALIAS URI the alias is checked every\n"
    "--reload-interval seconds and a new version is swapped in without failing a request.\n"
    "The line 'listening on http://HOST:PORT' goes to standard error once the server\n"
    "listens. SIGTERM or SIGINT stops accepting connections, lets requests in flight finish\n"
    "and exits 0. Slow or idle clients are bounded by --timeout, --read-timeout,\n"
    "--max-connections and --max-connections-per-ip. See lendlab-serve(1).",
    serve_opts,
    sizeof serve_opts / sizeof *serve_opts,
    0,
    0,
    exec_serve,
};

/* ---------- invoke ---------- */

static const ll_optspec invoke_opts[] = {
    {"url", 'u', LL_OPT_STRING, "URL",
     "server address (http://HOST:PORT, /invocations is added when no path is given)"},
    {"input", 'i', LL_OPT_STRING, "FILE", "request body: a .json or .csv file ('-' = stdin)"},
    {"timeout", 0, LL_OPT_DOUBLE, "S", "give up after S seconds (default 30)"},
    {"params", 0, LL_OPT_STRING, "JSON",
     "request parameters, e.g. '{\"output\": \"full\"}' (query arguments for CSV)"},
    {"json", 0, LL_OPT_FLAG, NULL, "print the server's JSON answer as it is"},
};

static int looks_json(const char *path, const char *data, size_t len)
{
    size_t pl = strlen(path);
    if (pl > 5 && !strcasecmp(path + pl - 5, ".json")) return 1;
    if (pl > 4 && !strcasecmp(path + pl - 4, ".csv")) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (isspace(c)) continue;
        return c == '{' || c == '[';
    }
    return 0;
}

static ll_status read_input(const char *path, char **data, size_t *len, ll_error *err)
{
    if (strcmp(path, "-")) return ll_fsutil_read(path, data, len, err);
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    if (!b) return ll_error_set(err, LL_ENOMEM, "out of memory");
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                return ll_error_set(err, LL_ENOMEM, "out of memory");
            }
            b = nb;
        }
        size_t got = fread(b + n, 1, cap - n - 1, stdin);
        n += got;
        if (!got) break;
    }
    if (ferror(stdin)) {
        free(b);
        return ll_error_set(err, LL_EIO, "reading standard input: %s", strerror(errno));
    }
    b[n] = '\0';
    *data = b;
    *len = n;
    return LL_OK;
}

/* Append s URL-encoded (RFC 3986 unreserved characters kept). */
static void url_encode(char *out, size_t cap, size_t *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p && *o + 4 < cap; p++) {
        if (isalnum(*p) || strchr("-._~", *p)) {
            out[(*o)++] = (char)*p;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[*p >> 4];
            out[(*o)++] = hex[*p & 15];
        }
    }
    out[*o] = '\0';
}

/* Human-readable predictions: one line per row. */
static void print_predictions(FILE *f, const cJSON *preds)
{
    int full = cJSON_IsObject(cJSON_GetArrayItem(preds, 0));
    if (full)
        fprintf(f, "%-6s %-22s %-5s %-10s %s\n", "row", "probability", "label", "score", "reasons");
    int i = 0;
    char b1[64], b2[64], b3[64];
    for (const cJSON *p = preds->child; p; p = p->next, i++) {
        if (!full) {
            if (cJSON_IsNumber(p))
                fprintf(f, "%s\n", ll_numfmt_double(p->valuedouble, b1, sizeof b1));
            else if (cJSON_IsString(p))
                fprintf(f, "%s\n", p->valuestring);
            else
                fprintf(f, "null\n");
            continue;
        }
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(p, "probability");
        const cJSON *lb = cJSON_GetObjectItemCaseSensitive(p, "label");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(p, "score");
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(p, "reasons");
        fprintf(f, "%-6d %-22s %-5s %-10s ", i + 1,
                cJSON_IsNumber(pr) ? ll_numfmt_double(pr->valuedouble, b1, sizeof b1) : "null",
                cJSON_IsNumber(lb) ? ll_numfmt_double(lb->valuedouble, b2, sizeof b2) : "-",
                cJSON_IsNumber(sc) ? (snprintf(b3, sizeof b3, "%.1f", sc->valuedouble), b3) : "-");
        int j = 0;
        for (const cJSON *r = rs ? rs->child : NULL; r; r = r->next, j++) {
            const cJSON *fe = cJSON_GetObjectItemCaseSensitive(r, "feature");
            const cJSON *co = cJSON_GetObjectItemCaseSensitive(r, "contribution");
            fprintf(f, "%s%s (%+.3f)", j ? ", " : "", cJSON_IsString(fe) ? fe->valuestring : "?",
                    cJSON_IsNumber(co) ? co->valuedouble : NAN);
        }
        fprintf(f, "%s\n", j ? "" : "-");
    }
}

static int exec_invoke(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *url = ll_args_str(a, "url");
    const char *input = ll_args_str(a, "input");
    const char *params = ll_args_str(a, "params");
    double timeout = ll_args_double(a, "timeout", 30);
    if (!url || !input) {
        fprintf(ctx->err, "lendlab invoke: --url URL and --input FILE are required\n"
                          "Try 'lendlab --batch invoke --help'.\n");
        return LL_EXIT_USAGE;
    }
    if (!(timeout > 0 && timeout <= 86400)) {
        fprintf(ctx->err, "lendlab invoke: --timeout must be in (0, 86400]\n");
        return LL_EXIT_USAGE;
    }
    cJSON *pj = NULL;
    if (params) {
        pj = cJSON_Parse(params);
        if (!cJSON_IsObject(pj)) {
            cJSON_Delete(pj);
            fprintf(ctx->err, "lendlab invoke: --params must be a JSON object, e.g. "
                              "'{\"output\": \"probability\"}'\n");
            return LL_EXIT_USAGE;
        }
    }
    ll_error err;
    ll_error_clear(&err);
    char ebuf[1600];
    char *data = NULL;
    size_t len = 0;
    if (read_input(input, &data, &len, &err)) {
        cJSON_Delete(pj);
        fprintf(ctx->err, "lendlab invoke: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        return LL_EXIT_ERROR;
    }
    int json = looks_json(input, data, len);
    /* the endpoint: /invocations unless the URL names a path */
    char full[8192];
    size_t o = (size_t)snprintf(full, sizeof full, "%s", url);
    const char *scheme = strstr(url, "://");
    const char *path = strchr(scheme ? scheme + 3 : url, '/');
    if (!path || !strcmp(path, "/"))
        o += (size_t)snprintf(full + o, sizeof full - o, "%sinvocations", path ? "" : "/");
    if (o >= sizeof full) o = sizeof full - 1;
    int rc = LL_EXIT_ERROR;
    char *body = data;
    size_t blen = len;
    char *rebuilt = NULL;
    if (pj && json) {
        cJSON *doc = cJSON_ParseWithLength(data, len);
        if (!cJSON_IsObject(doc)) {
            cJSON_Delete(doc);
            fprintf(ctx->err,
                    "lendlab invoke: %s is not a JSON object, so --params cannot be "
                    "added to it\n",
                    input);
            goto done;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "params");
        cJSON_AddItemToObject(doc, "params", pj);
        pj = NULL;
        rebuilt = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);
        if (!rebuilt) {
            fprintf(ctx->err, "lendlab invoke: out of memory\n");
            goto done;
        }
        body = rebuilt;
        blen = strlen(rebuilt);
    } else if (pj) {
        int first = !strchr(full, '?');
        for (const cJSON *kv = pj->child; kv; kv = kv->next) {
            char vb[256];
            const char *v = cJSON_IsString(kv)   ? kv->valuestring
                            : cJSON_IsNumber(kv) ? ll_numfmt_double(kv->valuedouble, vb, sizeof vb)
                                                 : NULL;
            if (!v) {
                fprintf(ctx->err,
                        "lendlab invoke: parameter '%s' must be a string or a number "
                        "for a CSV request\n",
                        kv->string);
                rc = LL_EXIT_USAGE;
                goto done;
            }
            if (o + 2 < sizeof full) full[o++] = first ? '?' : '&';
            first = 0;
            url_encode(full, sizeof full, &o, kv->string);
            if (o + 1 < sizeof full) full[o++] = '=';
            url_encode(full, sizeof full, &o, v);
        }
    }
    ll_http_reply rep;
    if (ll_serve_post(full, json ? "application/json" : "text/csv", body, blen, timeout, &rep,
                      &err)) {
        fprintf(ctx->err, "lendlab invoke: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        goto done;
    }
    cJSON *ans = cJSON_ParseWithLength(rep.body, rep.len);
    if (rep.status < 200 || rep.status > 299) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(ans, "error_code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ans, "message");
        if (cJSON_IsString(msg))
            fprintf(ctx->err, "lendlab invoke: HTTP %ld %s: %s\n", rep.status,
                    cJSON_IsString(code) ? code->valuestring : "", msg->valuestring);
        else
            fprintf(ctx->err, "lendlab invoke: HTTP %ld: %.*s\n", rep.status,
                    (int)(rep.len > 2000 ? 2000 : rep.len), rep.body);
        if (ll_args_has(a, "json") && ans) fprintf(ctx->out, "%s\n", rep.body);
    } else {
        const cJSON *preds = cJSON_GetObjectItemCaseSensitive(ans, "predictions");
        if (ll_args_has(a, "json") || !cJSON_IsArray(preds))
            fprintf(ctx->out, "%s%s", rep.body,
                    rep.len && rep.body[rep.len - 1] == '\n' ? "" : "\n");
        else
            print_predictions(ctx->out, preds);
        rc = LL_EXIT_OK;
    }
    cJSON_Delete(ans);
    ll_http_reply_free(&rep);
done:
    cJSON_Delete(pj);
    free(rebuilt);
    free(data);
    return rc;
}

const ll_cmd_entry ll_cmd_invoke = {
    "invoke",
    NULL,
    "send a scoring request to a running server and print the answer",
    "The input file is posted to URL/invocations as application/json (a .json file, or one\n"
    "starting with '{') or text/csv. --params are merged into a JSON request's \"params\" (for\n"
    "CSV they go in the query string). Predictions are printed one per line (a table with\n"
    "--params '{\"output\": \"full\"}'), or as the server's JSON with --json. A refused\n"
    "connection, a timeout or an HTTP error status prints the reason (the server's message)\n"
    "and exits 1. See lendlab-serve(1).",
    invoke_opts,
    sizeof invoke_opts / sizeof *invoke_opts,
    0,
    0,
    exec_invoke,
};
