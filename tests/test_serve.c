/* Unit tests for serve and modeluri: endpoints over loopback, hot swap, drain, the commands. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "cmd.h"
#include "csv.h"
#include "fsutil.h"
#include "model.h"
#include "modeluri.h"
#include "registry.h"
#include "serve.h"
#include "store.h"

static ll_model *gb, *lr; /* two models of the same features */
static char sample[8192];

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static ll_model *fit(ll_model_kind kind, const char *set, const ll_table *t)
{
    ll_model_params p;
    ll_error err;
    ll_model_params_default(kind, &p);
    if (set) ll_model_params_parse(&p, set, &err);
    ll_model *m = NULL;
    if (ll_model_fit(kind, &p, t, NULL, "Class", "bad", NULL, NULL, NULL, &m, &err)) return NULL;
    return m;
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ll_error err;
    ll_csv_options o = {0};
    ll_table *t;
    if (ll_csv_read_table("fixtures/lending_club_train.csv", &o, &t, NULL, &err)) return -1;
    gb = fit(LL_MODEL_GBDT, "n_estimators=20", t);
    lr = fit(LL_MODEL_LOGREG, NULL, t);
    ll_table_free(t);
    FILE *f = fopen("../data/sample_input.json", "rb");
    if (!f) return -1;
    size_t n = fread(sample, 1, sizeof sample - 1, f);
    sample[n] = '\0';
    fclose(f);
    return gb && lr ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ll_model_free(gb);
    ll_model_free(lr);
    curl_global_cleanup();
    return 0;
}

/* A served handle on a copy of m (the server frees its models). */
static ll_serve_model *handle_of(const ll_model *m, long version)
{
    char dir[] = "/tmp/test_serve_m.XXXXXX";
    ll_error err;
    if (!mkdtemp(dir) || ll_model_save(m, dir, &err)) return NULL;
    ll_model_ref ref;
    memset(&ref, 0, sizeof ref);
    snprintf(ref.dir, sizeof ref.dir, "%s", dir);
    snprintf(ref.uri, sizeof ref.uri, "models:/credit@production");
    snprintf(ref.name, sizeof ref.name, "credit");
    snprintf(ref.alias, sizeof ref.alias, "production");
    ref.version = version;
    ll_serve_model *h = NULL;
    ll_status st = ll_serve_model_load(&ref, &h, &err);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return NULL;
    return st ? NULL : h;
}

/* ---------- a small HTTP client ---------- */

typedef struct {
    long status;
    char body[1 << 16];
    size_t len;
    char allow[128];
    char ctype[128];
    long connects;
} reply;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    size_t k = size * n;
    if (r->len + k >= sizeof r->body) k = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    size_t k = size * n;
    if (k > 7 && !strncasecmp(p, "Allow: ", 7))
        snprintf(r->allow, sizeof r->allow, "%.*s", (int)(k - 9), p + 7);
    return k;
}

static CURL *shared_handle;

static void http(int port, const char *method, const char *path, const char *ct, const char *body,
                 long len, int chunked, reply *r)
{
    CURL *h = shared_handle ? shared_handle : curl_easy_init();
    curl_easy_reset(h);
    memset(r, 0, sizeof *r);
    char url[256], cth[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct curl_slist *hdr = curl_slist_append(NULL, "Expect:");
    if (ct) {
        snprintf(cth, sizeof cth, "Content-Type: %s", ct);
        hdr = curl_slist_append(hdr, cth);
    }
    if (chunked) hdr = curl_slist_append(hdr, "Transfer-Encoding: chunked");
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, len < 0 ? (long)strlen(body) : len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        char *ctype = NULL;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
        if (ctype) snprintf(r->ctype, sizeof r->ctype, "%s", ctype);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
    } else {
        r->status = -(long)rc;
    }
    curl_slist_free_all(hdr);
    if (!shared_handle) curl_easy_cleanup(h);
}

static void get(int port, const char *path, reply *r)
{
    http(port, "GET", path, NULL, NULL, 0, 0, r);
}

static ll_server *start(ll_serve_model *m, size_t max_body)
{
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.port = 0;
    if (max_body) o.max_body = max_body;
    ll_server *s = NULL;
    ll_error err;
    assert_int_equal(ll_serve_start(&o, m, &s, &err), LL_OK);
    assert_true(ll_serve_port(s) > 0);
    return s;
}

/* ---------- URIs ---------- */

static void test_uri_parse(void **state)
{
    (void)state;
    ll_model_uri u;
    ll_error err;
    assert_int_equal(ll_modeluri_parse("models:/credit@production", &u, &err), LL_OK);
    assert_int_equal(u.kind, LL_URI_MODEL_ALIAS);
    assert_string_equal(u.name, "credit");
    assert_string_equal(u.alias, "production");
    assert_int_equal(ll_modeluri_parse("models:/credit/3", &u, &err), LL_OK);
    assert_int_equal(u.kind, LL_URI_MODEL_VERSION);
    assert_string_equal(u.selector, "3");
    assert_int_equal(ll_modeluri_parse("runs:/abc123/model", &u, &err), LL_OK);
    assert_int_equal(u.kind, LL_URI_RUN);
    assert_string_equal(u.run_id, "abc123");
    assert_string_equal(u.path, "model");
    assert_int_equal(ll_modeluri_parse("file:///tmp/a%20b/model", &u, &err), LL_OK);
    assert_int_equal(u.kind, LL_URI_PATH);
    assert_string_equal(u.path, "/tmp/a b/model");
    assert_int_equal(ll_modeluri_parse("some/dir", &u, &err), LL_OK);
    assert_string_equal(u.path, "some/dir");
    const char *bad[] = {"",
                         "models:/",
                         "models:/credit",
                         "models:/@prod",
                         "models:/credit@",
                         "models:/credit/",
                         "runs:/",
                         "models:/a/b/c"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ll_modeluri_parse(bad[i], &u, &err), LL_EINVAL);
}

static void test_uri_resolve_mlflow_store(void **state)
{
    (void)state;
    /* a store written by MLflow elsewhere: sources point at a missing /home/analyst/..., so
     * the run's copy in this store is used */
    const char *store = "fixtures/mlruns_mlflow";
    const char *run2 = "b7e3d1c9a5f24b6e8d0c2a4f6e8b1d3f",
               *run1 = "a1f0c2e4b6d8490a8c1e3f5a7b9d0c2e";
    ll_model_ref r;
    ll_error err;
    assert_int_equal(ll_modeluri_resolve(store, "models:/credit-risk@champion", &r, &err), LL_OK);
    assert_int_equal(r.version, 2);
    assert_string_equal(r.alias, "champion");
    assert_string_equal(r.name, "credit-risk");
    assert_string_equal(r.run_id, run2);
    assert_non_null(strstr(r.dir, run2));
    assert_non_null(strstr(r.dir, "/artifacts/model"));
    assert_true(ll_fsutil_is_dir(r.dir));
    assert_int_equal(ll_modeluri_resolve(store, "models:/credit-risk/1", &r, &err), LL_OK);
    assert_int_equal(r.version, 1);
    assert_string_equal(r.alias, "");
    assert_non_null(strstr(r.dir, run1));
    assert_int_equal(ll_modeluri_resolve(store, "models:/credit-risk/latest", &r, &err), LL_OK);
    assert_int_equal(r.version, 2);
    char uri[128];
    snprintf(uri, sizeof uri, "runs:/%s/model", run1);
    assert_int_equal(ll_modeluri_resolve(store, uri, &r, &err), LL_OK);
    assert_non_null(strstr(r.dir, run1));
    assert_string_equal(r.run_id, run1);
    long v;
    assert_int_equal(ll_modeluri_alias_version(store, "credit-risk", "champion", &v, &err), LL_OK);
    assert_int_equal(v, 2);
    assert_int_equal(ll_modeluri_resolve(store, "models:/credit-risk@nope", &r, &err),
                     LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no alias 'nope'"));
    assert_int_equal(ll_modeluri_resolve(store, "models:/credit-risk/9", &r, &err), LL_ENOTFOUND);
    assert_int_equal(ll_modeluri_resolve(store, "models:/other@x", &r, &err), LL_ENOTFOUND);
    assert_int_equal(ll_modeluri_resolve("/nonexistent/store", "models:/a@b", &r, &err),
                     LL_ENOTFOUND);
    assert_int_equal(ll_modeluri_resolve(store, "/nonexistent/model", &r, &err), LL_ENOTFOUND);
}

/* ---------- endpoints ---------- */

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) return 1;
    return 0;
}

static void test_endpoints(void **state)
{
    (void)state;
    ll_server *s = start(NULL, 0);
    int port = ll_serve_port(s);
    reply r;
    get(port, "/health", &r);
    assert_int_equal(r.status, 503);
    get(port, "/ping", &r);
    assert_int_equal(r.status, 503);
    get(port, "/model", &r);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "TEMPORARILY_UNAVAILABLE"));
    http(port, "POST", "/invocations", "application/json", sample, -1, 0, &r);
    assert_int_equal(r.status, 503);
    get(port, "/version", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "0.1.0");

    ll_serve_swap(s, handle_of(gb, 4));
    get(port, "/ping", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "\n");
    get(port, "/health", &r);
    assert_int_equal(r.status, 200);
    get(port, "/model", &r);
    assert_int_equal(r.status, 200);
    cJSON *j = cJSON_Parse(r.body);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "gbdt");
    assert_int_equal(cJSON_GetObjectItem(j, "version")->valueint, 4);
    assert_string_equal(cJSON_GetObjectItem(j, "alias")->valuestring, "production");
    assert_string_equal(cJSON_GetObjectItem(j, "contributions")->valuestring, "log-odds");
    const cJSON *schema = cJSON_GetObjectItem(j, "input_schema");
    assert_int_equal(cJSON_GetArraySize(schema), 22);
    const cJSON *term = cJSON_GetArrayItem(schema, 1);
    assert_string_equal(cJSON_GetObjectItem(term, "name")->valuestring, "term");
    assert_string_equal(cJSON_GetObjectItem(term, "type")->valuestring, "categorical");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(term, "categories")), 2);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "loaded_at")));
    cJSON_Delete(j);

    http(port, "POST", "/invocations", "application/json", sample, -1, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/json");
    j = cJSON_Parse(r.body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "predictions")), 3);
    cJSON_Delete(j);
    http(port, "POST", "/invocations?output=probability", "text/csv",
         "funded_amnt,term,int_rate,sub_grade,addr_state,verification_status,annual_inc,"
         "emp_length,delinq_2yrs,inq_last_6mths,revol_util,acc_now_delinq,open_il_6m,open_il_12m,"
         "open_il_24m,total_bal_il,all_util,inq_fi,inq_last_12m,delinq_amnt,num_il_tl,"
         "total_il_high_credit_limit\n"
         "3500,term_36,7.39,A4,CA,Source_Verified,50100,emp_unk,0,0,78.3,0,0,0,0,0,78,0,0,0,3,0\n",
         -1, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "0."));

    /* errors */
    get(port, "/nope", &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"error_code\": \"ENDPOINT_NOT_FOUND\""));
    get(port, "/invocations", &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "POST");
    http(port, "DELETE", "/model", NULL, NULL, 0, 0, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET, HEAD");
    http(port, "POST", "/invocations", "text/html", "<p>", -1, 0, &r);
    assert_int_equal(r.status, 415);
    assert_non_null(strstr(r.ctype, "text/plain"));
    http(port, "POST", "/invocations", "application/json", "{", -1, 0, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "BAD_REQUEST"));
    http(port, "HEAD", "/ping", NULL, NULL, 0, 0, &r);
    assert_int_equal(r.status, 200);

    get(port, "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "text/plain; version=0.0.4"));
    assert_true(
        has_line(r.body, "lendlab_http_requests_total{endpoint=\"/health\",code=\"503\"} 1"));
    assert_true(
        has_line(r.body, "lendlab_http_requests_total{endpoint=\"/invocations\",code=\"200\"} 2"));
    assert_true(
        has_line(r.body, "lendlab_http_requests_total{endpoint=\"/invocations\",code=\"415\"} 1"));
    assert_true(
        has_line(r.body, "lendlab_http_request_errors_total{endpoint=\"other\",code=\"404\"} 1"));
    assert_true(has_line(r.body, "lendlab_rows_scored_total 4"));
    assert_true(has_line(r.body, "lendlab_model_loaded 1"));
    assert_true(has_line(r.body, "lendlab_model_reloads_total 0"));
    assert_true(has_line(r.body, "lendlab_model_version{name=\"credit\",alias=\"production\"} 4"));
    assert_true(has_line(
        r.body, "lendlab_http_request_duration_seconds_count{endpoint=\"/invocations\"} 6"));
    assert_true(has_line(
        r.body,
        "lendlab_http_request_duration_seconds_bucket{endpoint=\"/invocations\",le=\"+Inf\"} 6"));
    ll_serve_stop(s, 1);
}

static void test_body_limit_and_keepalive(void **state)
{
    (void)state;
    ll_server *s = start(handle_of(gb, 1), 2048);
    int port = ll_serve_port(s);
    char *big = malloc(5000);
    memset(big, ' ', 4999);
    big[4999] = '\0';
    reply r;
    http(port, "POST", "/invocations", "application/json", big, 4999, 0, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "2048 bytes"));
    http(port, "POST", "/invocations", "application/json", big, 4999, 1, &r);
    assert_int_equal(r.status, 413);
    /* a body at the limit is read */
    http(port, "POST", "/invocations", "application/json", sample, -1, 0, &r);
    assert_int_equal(r.status, 200);
    free(big);
    /* answers keep the connection open */
    shared_handle = curl_easy_init();
    get(port, "/ping", &r);
    assert_int_equal(r.connects, 1);
    http(port, "POST", "/invocations", "application/json", sample, -1, 0, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.connects, 0);
    get(port, "/health", &r);
    assert_int_equal(r.connects, 0);
    curl_easy_cleanup(shared_handle);
    shared_handle = NULL;
    ll_serve_stop(s, 1);
}

/* ---------- hot swap under load ---------- */

typedef struct {
    int port;
    atomic_int *stop;
    long ok, failed;
} loader;

static void *load_loop(void *arg)
{
    loader *l = arg;
    reply *r = malloc(sizeof *r);
    while (!atomic_load(l->stop)) {
        http(l->port, "POST", "/invocations", "application/json", sample, -1, 0, r);
        if (r->status == 200)
            l->ok++;
        else
            l->failed++;
    }
    free(r);
    return NULL;
}

static void test_swap_under_load(void **state)
{
    (void)state;
    ll_server *s = start(handle_of(gb, 1), 0);
    atomic_int stop = 0;
    loader L[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        L[i] = (loader){ll_serve_port(s), &stop, 0, 0};
        pthread_create(&th[i], NULL, load_loop, &L[i]);
    }
    ll_serve_model *a = handle_of(gb, 2), *b = handle_of(lr, 3);
    for (int k = 0; k < 40; k++) {
        ll_serve_model *h = k % 2 ? a : b;
        ll_serve_model_retain(h);
        ll_serve_swap(s, h);
        sleep_ms(10);
    }
    atomic_store(&stop, 1);
    long ok = 0, failed = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        ok += L[i].ok;
        failed += L[i].failed;
    }
    assert_int_equal(failed, 0);
    assert_true(ok > 10);
    ll_serve_model *cur = ll_serve_current(s);
    assert_int_equal(ll_serve_model_ref(cur)->version, 2);
    ll_serve_model_release(cur);
    ll_serve_model_release(a);
    ll_serve_model_release(b);
    reply r;
    get(ll_serve_port(s), "/metrics", &r);
    assert_true(has_line(r.body, "lendlab_model_reloads_total 40"));
    ll_serve_stop(s, 1);
}

/* ---------- drain on stop ---------- */

typedef struct {
    int port;
    long status;
    int sent;
    char body[8192];
} slow;

/* Sends the sample in two halves with a pause between them. */
static size_t slow_read(char *buf, size_t size, size_t n, void *ud)
{
    slow *s = ud;
    size_t total = strlen(sample), half = total / 2;
    if (s->sent == 0) {
        memcpy(buf, sample, half);
        s->sent = 1;
        return half;
    }
    if (s->sent == 1) {
        sleep_ms(400);
        size_t k = total - half;
        if (k > size * n) k = size * n;
        memcpy(buf, sample + half, k);
        s->sent = 2;
        return k;
    }
    return 0;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void *slow_post(void *arg)
{
    slow *s = arg;
    CURL *h = curl_easy_init();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/invocations", s->port);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, slow_read);
    curl_easy_setopt(h, CURLOPT_READDATA, s);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(sample));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &s->status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return NULL;
}

static void test_stop_finishes_requests_in_flight(void **state)
{
    (void)state;
    ll_server *s = start(handle_of(gb, 1), 0);
    slow sl = {ll_serve_port(s), 0, 0, ""};
    pthread_t th;
    pthread_create(&th, NULL, slow_post, &sl);
    for (int i = 0; i < 200 && ll_serve_inflight(s) == 0; i++) sleep_ms(5);
    assert_int_equal(ll_serve_inflight(s), 1);
    ll_serve_stop(s, 5);
    pthread_join(th, NULL);
    assert_int_equal(sl.status, 200);
}

/* ---------- the commands, with a registry ---------- */

static char store_dir[] = "/tmp/test_serve_store.XXXXXX";

static void make_run(ll_store *st, const ll_model *m, char *run_id, size_t len)
{
    ll_error err;
    ll_run_handle *h;
    assert_int_equal(ll_store_run_begin(st, NULL, NULL, NULL, &h, &err), LL_OK);
    char dir[4096];
    assert_int_equal(ll_store_run_artifact_dir(h, "model", dir, sizeof dir, &err), LL_OK);
    if (m) {
        assert_int_equal(ll_model_save(m, dir, &err), LL_OK);
    } else {
        /* a complete-looking model directory (MLmodel present) whose model.json is not a
         * model: registration accepts it, loading it fails */
        char p[4200];
        snprintf(p, sizeof p, "%s/model.json", dir);
        assert_int_equal(ll_fsutil_write_atomic(p, "{}", 2, NULL, &err), LL_OK);
        snprintf(p, sizeof p, "%s/MLmodel", dir);
        assert_int_equal(ll_fsutil_write_atomic(p, "artifact_path: model\n", 21, NULL, &err),
                         LL_OK);
    }
    snprintf(run_id, len, "%s", ll_store_run_id(h));
    assert_int_equal(ll_store_run_end(h, LL_RUN_FINISHED, &err), LL_OK);
}

typedef struct {
    ll_cmd_ctx ctx;
    volatile int cancel;
    int argc;
    char **argv;
    int rc;
} cmdrun;

static void *run_cmd(void *arg)
{
    cmdrun *c = arg;
    c->rc = ll_cmd_run(&c->ctx, c->argc, c->argv);
    return NULL;
}

static int read_port(const char *path)
{
    for (int i = 0; i < 400; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            int p = 0;
            int ok = fscanf(f, "%d", &p) == 1;
            fclose(f);
            if (ok && p > 0) return p;
        }
        sleep_ms(10);
    }
    return -1;
}

static long model_version(int port)
{
    reply r;
    get(port, "/model", &r);
    cJSON *j = cJSON_Parse(r.body);
    const cJSON *v = cJSON_GetObjectItem(j, "version");
    long out = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(j);
    return out;
}

static void test_serve_command_hot_reload(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(store_dir));
    ll_store *st;
    ll_error err;
    assert_int_equal(ll_store_open(store_dir, 1, &st, &err), LL_OK);
    char run1[64], run2[64];
    make_run(st, gb, run1, sizeof run1);
    make_run(st, lr, run2, sizeof run2);
    long v1 = 0, v2 = 0;
    assert_int_equal(ll_registry_register(st, run1, "credit", "production", "first", &v1, &err),
                     LL_OK);
    assert_int_equal(ll_registry_register(st, run2, "credit", NULL, "second", &v2, &err), LL_OK);
    assert_int_equal(v1, 1);
    assert_int_equal(v2, 2);

    char port_file[4200], errlog[4200];
    snprintf(port_file, sizeof port_file, "%s/port", store_dir);
    snprintf(errlog, sizeof errlog, "%s/serve.log", store_dir);
    FILE *elog = fopen(errlog, "w+");
    char *argv[] = {"serve",       "--model", "models:/credit@production", "--port", "0",
                    "--port-file", port_file, "--reload-interval",         "0.1",    NULL};
    cmdrun c = {{stdout, elog, store_dir, 0, NULL}, 0, 9, argv, -1};
    c.ctx.cancel = &c.cancel;
    pthread_t th;
    pthread_create(&th, NULL, run_cmd, &c);
    int port = read_port(port_file);
    assert_true(port > 0);
    assert_int_equal(model_version(port), 1);

    atomic_int stop = 0;
    loader L = {port, &stop, 0, 0};
    pthread_t lt;
    pthread_create(&lt, NULL, load_loop, &L);
    sleep_ms(100);
    ll_promote_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(ll_registry_set_alias(st, "credit", "production", 2, "switch", &res, &err),
                     LL_OK);
    ll_promote_result_clear(&res);
    long v = 0;
    for (int i = 0; i < 200 && (v = model_version(port)) != 2; i++) sleep_ms(20);
    assert_int_equal(v, 2);
    reply r;
    get(port, "/model", &r);
    assert_non_null(strstr(r.body, "\"kind\":\"logreg\""));
    assert_non_null(strstr(r.body, run2));
    sleep_ms(100);
    atomic_store(&stop, 1);
    pthread_join(lt, NULL);
    assert_int_equal(L.failed, 0);
    assert_true(L.ok > 0);

    /* an alias moved to a version that does not load keeps the old model */
    char run3[64];
    long v3 = 0;
    make_run(st, NULL, run3, sizeof run3);
    assert_int_equal(ll_registry_register(st, run3, "credit", "production", "broken", &v3, &err),
                     LL_OK);
    assert_int_equal(v3, 3);
    sleep_ms(500);
    assert_int_equal(model_version(port), 2);
    get(port, "/health", &r);
    assert_int_equal(r.status, 200);
    c.cancel = 1;
    pthread_join(th, NULL);
    assert_int_equal(c.rc, 0);
    fflush(elog);
    rewind(elog);
    char log[8192];
    size_t n = fread(log, 1, sizeof log - 1, elog);
    log[n] = '\0';
    fclose(elog);
    assert_non_null(strstr(log, "listening on http://127.0.0.1:"));
    assert_non_null(strstr(log, "reloaded models:/credit@production: version 1 -> 2"));
    assert_non_null(strstr(log, "now points at version 3, which does not load"));
    assert_non_null(strstr(log, "stopped"));

    /* invoke against a fresh server on a directory, and against nothing */
    snprintf(port_file, sizeof port_file, "%s/port2", store_dir);
    char model_dir[4200];
    snprintf(model_dir, sizeof model_dir, "runs:/%s/model", run1);
    char *argv2[] = {"serve", "--model", model_dir, "--port", "0", "--port-file", port_file, NULL};
    FILE *elog2 = tmpfile();
    cmdrun c2 = {{stdout, elog2, store_dir, 0, NULL}, 0, 7, argv2, -1};
    c2.ctx.cancel = &c2.cancel;
    pthread_create(&th, NULL, run_cmd, &c2);
    port = read_port(port_file);
    assert_true(port > 0);
    char url[128], in[4200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    snprintf(in, sizeof in, "%s/in.json", store_dir);
    FILE *f = fopen(in, "w");
    fputs(sample, f);
    fclose(f);
    FILE *out = tmpfile(), *eo = tmpfile();
    cmdrun ic = {{out, eo, store_dir, 0, NULL}, 0, 0, NULL, -1};
    char *iv[] = {
        "invoke", "--url", url, "--input", in, "--params", "{\"output\": \"probability\"}",
        "--json", NULL};
    assert_int_equal(ll_cmd_run(&ic.ctx, 8, iv), LL_EXIT_OK);
    rewind(out);
    n = fread(log, 1, sizeof log - 1, out);
    log[n] = '\0';
    assert_non_null(strstr(log, "{\"predictions\": [0.0"));
    /* an HTTP error prints the server's message and exits 1 */
    f = fopen(in, "w");
    fputs("{\"dataframe_split\": {\"columns\": [\"x\"], \"data\": [[1]]}}", f);
    fclose(f);
    char *iv2[] = {"invoke", "--url", url, "--input", in, NULL};
    assert_int_equal(ll_cmd_run(&ic.ctx, 5, iv2), LL_EXIT_ERROR);
    rewind(eo);
    n = fread(log, 1, sizeof log - 1, eo);
    log[n] = '\0';
    assert_non_null(strstr(log, "HTTP 400 INVALID_PARAMETER_VALUE: Model is missing inputs"));
    c2.cancel = 1;
    pthread_join(th, NULL);
    assert_int_equal(c2.rc, 0);
    /* nobody listens now */
    char *iv3[] = {"invoke", "--url", url, "--input", in, "--timeout", "2", NULL};
    assert_int_equal(ll_cmd_run(&ic.ctx, 7, iv3), LL_EXIT_ERROR);
    rewind(eo);
    n = fread(log, 1, sizeof log - 1, eo);
    log[n] = '\0';
    assert_non_null(strstr(log, "cannot connect to"));
    fclose(out);
    fclose(eo);
    fclose(elog2);
    ll_store_close(st);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", store_dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_parse),
        cmocka_unit_test(test_uri_resolve_mlflow_store),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_body_limit_and_keepalive),
        cmocka_unit_test(test_swap_under_load),
        cmocka_unit_test(test_stop_finishes_requests_in_flight),
        cmocka_unit_test(test_serve_command_hot_reload),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
