/* servemon: a scoring server's own counters as the Serve screen shows them — /metrics read
 * over HTTP, parsed, turned into rates and latency percentiles. */
#include "servemon.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

#define MAX_LABELS 8

typedef struct {
    char key[32];
    char value[1024];
} label;

/* Parse one sample line "name{k="v",...} value" (Prometheus text format 0.0.4). Returns the
 * number of labels, or -1 when the line is not a sample. */
static int parse_line(const char *s, const char *end, char *name, size_t nlen, label *labels,
                      double *value)
{
    size_t n = 0;
    while (s < end && *s != '{' && *s != ' ' && n + 1 < nlen) name[n++] = *s++;
    name[n] = '\0';
    if (!n) return -1;
    int nl = 0;
    if (s < end && *s == '{') {
        s++;
        while (s < end && *s != '}') {
            /* labels past MAX_LABELS are read into scratch and forgotten */
            label scratch;
            memset(&scratch, 0, sizeof scratch);
            label *l = nl < MAX_LABELS ? &labels[nl] : &scratch;
            size_t k = 0;
            while (s < end && *s != '=' && *s != '}' && k + 1 < sizeof l->key) l->key[k++] = *s++;
            l->key[k] = '\0';
            if (s >= end || *s != '=' || s + 1 >= end || s[1] != '"') return -1;
            s += 2;
            size_t v = 0;
            while (s < end && *s != '"') {
                char c = *s++;
                if (c == '\\' && s < end) {
                    c = *s++;
                    if (c == 'n') c = '\n';
                }
                if (v + 1 < sizeof l->value) l->value[v++] = c;
            }
            l->value[v] = '\0';
            if (s >= end) return -1;
            s++; /* the closing quote */
            if (nl < MAX_LABELS) nl++;
            if (s < end && *s == ',') s++;
        }
        if (s >= end) return -1;
        s++;
    }
    while (s < end && *s == ' ') s++;
    const char *v = s;
    while (s < end && *s != ' ') s++; /* a timestamp may follow */
    size_t vl = (size_t)(s - v);
    if (vl == 4 && !strncmp(v, "+Inf", 4))
        *value = INFINITY;
    else if (vl == 3 && !strncmp(v, "NaN", 3))
        *value = NAN;
    else if (!ll_numparse(v, vl, value))
        return -1;
    return nl;
}

static const char *get(const label *l, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(l[i].key, key)) return l[i].value;
    return NULL;
}

static tui_serve_endpoint *endpoint(tui_serve_sample *s, const char *name)
{
    for (size_t i = 0; i < s->nep; i++)
        if (!strcmp(s->ep[i].name, name)) return &s->ep[i];
    if (s->nep == TUI_SERVE_ENDPOINTS) return NULL;
    tui_serve_endpoint *e = &s->ep[s->nep++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    return e;
}

/* Add count to the cumulative bucket with bound le (buckets kept ascending). */
static void add_bucket(tui_serve_sample *s, double le, double count)
{
    size_t i = 0;
    while (i < s->nb && s->le[i] < le) i++;
    if (i < s->nb && s->le[i] == le) {
        s->cum[i] += count;
        return;
    }
    if (s->nb == TUI_SERVE_BUCKETS) return;
    memmove(&s->le[i + 1], &s->le[i], (s->nb - i) * sizeof *s->le);
    memmove(&s->cum[i + 1], &s->cum[i], (s->nb - i) * sizeof *s->cum);
    s->le[i] = le;
    s->cum[i] = count;
    s->nb++;
}

int tui_serve_parse(const char *text, size_t len, tui_serve_sample *s)
{
    double t = s->t_ms;
    memset(s, 0, sizeof *s);
    s->t_ms = t;
    int seen = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        char name[128];
        label l[MAX_LABELS];
        double v;
        int nl = *p == '#' ? -1 : parse_line(p, e, name, sizeof name, l, &v);
        p = e + 1;
        if (nl < 0 || strncmp(name, "lendlab_", 8)) continue;
        seen = 1;
        const char *ep = get(l, nl, "endpoint");
        /* the scrape itself is not the traffic being watched */
        if (ep && !strcmp(ep, "/metrics")) continue;
        const char *code = get(l, nl, "code");
        if (!strcmp(name, "lendlab_http_requests_total")) {
            s->requests += v;
            tui_serve_endpoint *x = ep ? endpoint(s, ep) : NULL;
            if (x) x->requests += v;
        } else if (!strcmp(name, "lendlab_http_request_errors_total")) {
            s->errors += v;
            if (code && code[0] == '5')
                s->errors_5xx += v;
            else
                s->errors_4xx += v;
            tui_serve_endpoint *x = ep ? endpoint(s, ep) : NULL;
            if (x) x->errors += v;
        } else if (!strcmp(name, "lendlab_http_request_duration_seconds_bucket")) {
            const char *le = get(l, nl, "le");
            double b;
            if (le && !strcmp(le, "+Inf"))
                add_bucket(s, INFINITY, v);
            else if (le && ll_numparse(le, strlen(le), &b))
                add_bucket(s, b, v);
        } else if (!strcmp(name, "lendlab_http_request_duration_seconds_sum")) {
            s->lat_sum += v;
            tui_serve_endpoint *x = ep ? endpoint(s, ep) : NULL;
            if (x) x->lat_sum += v;
        } else if (!strcmp(name, "lendlab_http_request_duration_seconds_count")) {
            s->lat_count += v;
            tui_serve_endpoint *x = ep ? endpoint(s, ep) : NULL;
            if (x) x->lat_count += v;
        } else if (!strcmp(name, "lendlab_rows_scored_total")) {
            s->rows = v;
        } else if (!strcmp(name, "lendlab_requests_in_flight")) {
            /* the scrape is in flight while the server counts */
            s->inflight = v >= 1 ? v - 1 : 0;
        } else if (!strcmp(name, "lendlab_model_reloads_total")) {
            s->reloads = v;
        } else if (!strcmp(name, "lendlab_model_loaded")) {
            s->loaded = v > 0;
        } else if (!strcmp(name, "lendlab_model_info")) {
            const char *f[5] = {get(l, nl, "name"), get(l, nl, "alias"), get(l, nl, "kind"),
                                get(l, nl, "run_id"), get(l, nl, "uri")};
            char *dst[5] = {s->name, s->alias, s->kind, s->run_id, s->uri};
            const size_t cap[5] = {sizeof s->name, sizeof s->alias, sizeof s->kind,
                                   sizeof s->run_id, sizeof s->uri};
            for (int i = 0; i < 5; i++) snprintf(dst[i], cap[i], "%s", f[i] ? f[i] : "");
            const char *ver = get(l, nl, "version");
            s->version = ver ? strtol(ver, NULL, 10) : 0;
        }
    }
    return seen ? 0 : -1;
}

static double per_second(double a, double b, double dt_ms)
{
    if (!(dt_ms > 0) || b < a) return NAN;
    return (b - a) * 1000.0 / dt_ms;
}

double tui_serve_rate(const tui_serve_sample *a, const tui_serve_sample *b)
{
    return per_second(a->requests, b->requests, b->t_ms - a->t_ms);
}

double tui_serve_error_rate(const tui_serve_sample *a, const tui_serve_sample *b)
{
    return per_second(a->errors, b->errors, b->t_ms - a->t_ms);
}

/* Cumulative count of a at bound le (0 when a has no such bucket). */
static double cum_at(const tui_serve_sample *a, double le)
{
    for (size_t i = 0; a && i < a->nb; i++)
        if (a->le[i] == le) return a->cum[i];
    return 0;
}

double tui_serve_quantile(const tui_serve_sample *a, const tui_serve_sample *b, double q)
{
    if (!b->nb) return NAN;
    double total = b->cum[b->nb - 1] - cum_at(a, b->le[b->nb - 1]);
    if (!(total > 0)) return NAN;
    double rank = q * total, prev_le = 0, prev_c = 0;
    for (size_t i = 0; i < b->nb; i++) {
        double c = b->cum[i] - cum_at(a, b->le[i]);
        if (c >= rank && c > prev_c) {
            if (isinf(b->le[i])) return i ? b->le[i - 1] : NAN;
            /* linear inside the bucket, as Prometheus' histogram_quantile */
            return prev_le + (b->le[i] - prev_le) * (rank - prev_c) / (c - prev_c);
        }
        prev_le = b->le[i];
        prev_c = c;
    }
    return b->nb > 1 ? b->le[b->nb - 2] : NAN;
}

char *tui_serve_fmt_latency(double s, char *buf, size_t len)
{
    if (isnan(s))
        snprintf(buf, len, "-");
    else if (s < 0.01)
        snprintf(buf, len, "%.2f ms", s * 1000);
    else if (s < 1)
        snprintf(buf, len, "%.1f ms", s * 1000);
    else
        snprintf(buf, len, "%.2f s", s);
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
    return buf;
}

/* ---- HTTP ---- */

/* curl_global_init is not thread-safe on every libcurl build: once, before the first use. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct {
    char *buf;
    size_t len, cap;
} sink;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sink *k = ud;
    size_t n = size * nmemb;
    if (k->len + n + 1 > k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 16384;
        while (nc < k->len + n + 1) nc *= 2;
        char *nb = realloc(k->buf, nc);
        if (!nb) return 0;
        k->buf = nb;
        k->cap = nc;
    }
    memcpy(k->buf + k->len, ptr, n);
    k->len += n;
    k->buf[k->len] = '\0';
    return n;
}

int tui_http_get(const char *url, double timeout_s, char **body, size_t *len, long *status,
                 char *err, size_t errlen)
{
    *body = NULL;
    *len = 0;
    *status = 0;
    pthread_once(&curl_once, curl_init);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "cannot start an HTTP request");
        return -1;
    }
    sink k = {0};
    char ebuf[CURL_ERROR_SIZE] = "";
    long ms = (long)(timeout_s * 1000);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(rc));
        free(k.buf);
        return -1;
    }
    if (!k.buf) k.buf = calloc(1, 1);
    *body = k.buf;
    *len = k.len;
    return 0;
}
