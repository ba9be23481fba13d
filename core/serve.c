/* serve: the scoring server (MLflow's protocol over libmicrohttpd), hot-swappable models. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "numfmt.h"
#include "payload.h"
#include "prep.h"
#include "shap.h"
#include "version.h"

/* ---------- served models ---------- */

struct ll_serve_model {
    atomic_long refs;
    ll_model *model;
    ll_shap *shap;
    ll_model_ref ref;
    double loaded_at; /* seconds since the epoch */
    char *doc;        /* /model */
    size_t doclen;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static cJSON *str_or_null(const char *s)
{
    return s && *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* Types as MLflow's signature names them for the schema's "mlflow_type". */
static const char *mlflow_type(ll_coltype t)
{
    return t == LL_COL_NUMERIC ? "double" : t == LL_COL_BOOLEAN ? "boolean" : "string";
}

static char *model_doc(const ll_serve_model *h)
{
    const ll_model *m = h->model;
    const ll_prep *p = ll_model_prep(m);
    const ll_model_ref *r = &h->ref;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddItemToObject(o, "name", str_or_null(r->name));
    cJSON_AddItemToObject(
        o, "version", r->version > 0 ? cJSON_CreateNumber((double)r->version) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "alias", str_or_null(r->alias));
    cJSON_AddItemToObject(o, "stage", str_or_null(r->stage));
    cJSON_AddItemToObject(o, "run_id", str_or_null(r->run_id));
    cJSON_AddItemToObject(o, "uri", str_or_null(r->uri));
    cJSON_AddItemToObject(o, "source", str_or_null(r->dir));
    cJSON_AddStringToObject(o, "kind", ll_model_kind_name(ll_model_kind_of(m)));
    cJSON_AddBoolToObject(o, "imported", ll_model_is_imported(m));
    cJSON_AddItemToObject(o, "target", str_or_null(ll_prep_target(p)));
    cJSON_AddItemToObject(o, "positive_label", str_or_null(ll_prep_positive_label(p)));
    cJSON_AddItemToObject(o, "negative_label", str_or_null(ll_prep_negative_label(p)));
    cJSON_AddItemToObject(o, "contributions",
                          h->shap
                              ? cJSON_CreateString(ll_shap_space_name(ll_shap_space_of(h->shap)))
                              : cJSON_CreateNull());
    char when[64];
    time_t t = (time_t)h->loaded_at;
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    cJSON_AddStringToObject(o, "loaded_at", when);
    cJSON_AddNumberToObject(o, "loaded_at_ms", floor(h->loaded_at * 1000));
    cJSON *schema = cJSON_AddArrayToObject(o, "input_schema");
    int nf = ll_prep_nfeat(p);
    for (int f = 0; schema && f < nf; f++) {
        cJSON *c = cJSON_CreateObject();
        if (!c) break;
        ll_coltype ty = ll_prep_feature_type(p, f);
        cJSON_AddStringToObject(c, "name", ll_prep_feature_name(p, f));
        cJSON_AddStringToObject(c, "type", ll_coltype_name(ty));
        cJSON_AddStringToObject(c, "mlflow_type", mlflow_type(ty));
        if (ty == LL_COL_CATEGORICAL) {
            int n = 0;
            const char *const *cats = ll_prep_categories(p, f, &n);
            cJSON *a = cJSON_AddArrayToObject(c, "categories");
            for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(cats[i]));
        }
        cJSON_AddItemToArray(schema, c);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

ll_status ll_serve_model_new(ll_model *m, const ll_model_ref *ref, ll_serve_model **out,
                             ll_error *err)
{
    *out = NULL;
    ll_serve_model *h = calloc(1, sizeof *h);
    if (!h) {
        ll_model_free(m);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    atomic_init(&h->refs, 1);
    h->model = m;
    if (ref) h->ref = *ref;
    h->loaded_at = wall_now();
    ll_error e2;
    ll_error_clear(&e2);
    if (ll_shap_new(m, &h->shap, &e2)) h->shap = NULL;
    h->doc = model_doc(h);
    if (!h->doc) {
        ll_serve_model_release(h);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    h->doclen = strlen(h->doc);
    *out = h;
    return LL_OK;
}

ll_status ll_serve_model_load(const ll_model_ref *ref, ll_serve_model **out, ll_error *err)
{
    *out = NULL;
    ll_model *m = NULL;
    ll_status s = ll_model_load(ref->dir, &m, err);
    if (s) return s;
    return ll_serve_model_new(m, ref, out, err);
}

void ll_serve_model_retain(ll_serve_model *h)
{
    if (h) atomic_fetch_add(&h->refs, 1);
}

void ll_serve_model_release(ll_serve_model *h)
{
    if (!h || atomic_fetch_sub(&h->refs, 1) != 1) return;
    ll_shap_free(h->shap);
    ll_model_free(h->model);
    free(h->doc);
    free(h);
}

const ll_model *ll_serve_model_get(const ll_serve_model *h)
{
    return h->model;
}

const ll_model_ref *ll_serve_model_ref(const ll_serve_model *h)
{
    return &h->ref;
}

const char *ll_serve_model_doc(const ll_serve_model *h)
{
    return h->doc;
}

/* ---------- metrics ---------- */

enum { EP_PING, EP_HEALTH, EP_VERSION, EP_MODEL, EP_METRICS, EP_INVOCATIONS, EP_OTHER, EP_COUNT };
static const char *const ep_path[EP_COUNT] = {"/ping",    "/health",      "/version", "/model",
                                              "/metrics", "/invocations", "other"};

static const int codes[] = {200, 400, 404, 405, 413, 415, 500, 503};
#define NCODES ((int)(sizeof codes / sizeof *codes) + 1) /* the last slot: any other code */

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS ((int)(sizeof buckets / sizeof *buckets) + 1) /* the last slot: +Inf */

static int code_slot(int status)
{
    for (int i = 0; i < NCODES - 1; i++)
        if (codes[i] == status) return i;
    return NCODES - 1;
}

/* Why the server closed a connection itself (libmicrohttpd's idle timeout aside). */
enum { CLOSE_HEADER, CLOSE_BODY, CLOSE_EVICTED, CLOSE_COUNT };
static const char *const close_reason[CLOSE_COUNT] = {"header_timeout", "body_timeout", "evicted"};

/* What a connection is doing: waiting for (or reading) a request header, reading a body,
 * answering. */
enum { PH_WAIT, PH_BODY, PH_ANSWER };

/* A connection as the sweeper sees it. libmicrohttpd's timeout is an idle timeout that every
 * byte resets, so a client sending its header a byte a second would keep a connection for
 * ever; the sweeper enforces deadlines on the whole header and a minimum body rate. */
typedef struct conn {
    struct conn *prev, *next; /* the server's list, guarded by its cmu */
    MHD_socket fd;            /* valid until the close notification, which takes cmu */
    atomic_int phase;
    atomic_int kept;     /* a request was answered: the next one waits under timeout_s */
    atomic_ullong since; /* ns: opened or answered (PH_WAIT), header complete (PH_BODY) */
    atomic_ullong body;  /* body bytes of the current request */
    int closing;         /* shut down by the sweeper (cmu) */
} conn;

struct ll_server {
    struct MHD_Daemon *d;
    ll_serve_options opt;
    int port;
    pthread_mutex_t mu; /* guards cur */
    ll_serve_model *cur;
    pthread_mutex_t cmu; /* guards conns, nconn, sweep_stop */
    pthread_cond_t ccv;
    conn *conns, *conns_tail; /* oldest first */
    unsigned long nconn;
    int sweep_stop, sweeping;
    pthread_t sweeper;
    MHD_socket listen_fd; /* given back by ll_serve_quiesce, closed by ll_serve_stop */
    atomic_ulong closed[CLOSE_COUNT];
    atomic_long inflight;
    atomic_int draining;
    atomic_ulong requests[EP_COUNT][NCODES];
    atomic_ulong hist[EP_COUNT][NBUCKETS];
    atomic_ullong latency_ns[EP_COUNT];
    atomic_ulong rows;
    atomic_ulong reloads;
    double started_at;
};

/* Requests that held this much body are followed by malloc_trim. */
#define TRIM_AFTER ((size_t)1 << 20)

/* Per request state, from the first call of the access handler to the completion callback. */
typedef struct {
    uint64_t t0;
    int endpoint;
    int status; /* 0 until an answer is queued */
    int too_big;
    int post; /* a POST to /invocations: the body is kept */
    char *body;
    size_t len, cap;
    size_t dropped; /* body bytes not kept (past the limit, or for another endpoint) */
    int trim;       /* a body buffer of TRIM_AFTER bytes or more was dropped */
    conn *conn;     /* NULL when untracked */
} reqctx;

void ll_serve_options_default(ll_serve_options *o)
{
    o->host = "127.0.0.1";
    o->port = 5001;
    o->threads = 2;
    o->max_body = (size_t)16 << 20;
    o->timeout_s = 30;
    o->max_connections = 1024;
    o->max_per_ip = 256;
    o->read_timeout_s = 10;
}

ll_serve_model *ll_serve_current(ll_server *s)
{
    pthread_mutex_lock(&s->mu);
    ll_serve_model *h = s->cur;
    ll_serve_model_retain(h);
    pthread_mutex_unlock(&s->mu);
    return h;
}

void ll_serve_swap(ll_server *s, ll_serve_model *m)
{
    pthread_mutex_lock(&s->mu);
    ll_serve_model *old = s->cur;
    s->cur = m;
    pthread_mutex_unlock(&s->mu);
    if (old) atomic_fetch_add(&s->reloads, 1);
    ll_serve_model_release(old);
}

long ll_serve_inflight(const ll_server *s)
{
    return atomic_load(&((ll_server *)s)->inflight);
}

int ll_serve_port(const ll_server *s)
{
    return s->port;
}

/* Prometheus label values escape backslash, quote and newline. */
static void prom_label(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void prom_num(FILE *f, double v)
{
    char buf[64];
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "+Inf" : "-Inf", f);
    else
        fputs(ll_numfmt_double(v, buf, sizeof buf), f);
}

static char *metrics_text(ll_server *s, size_t *len)
{
    char *buf = NULL;
    size_t sz = 0;
    FILE *f = open_memstream(&buf, &sz);
    if (!f) return NULL;
    fputs("# HELP lendlab_http_requests_total HTTP requests answered, by endpoint and status "
          "code.\n# TYPE lendlab_http_requests_total counter\n",
          f);
    for (int e = 0; e < EP_COUNT; e++)
        for (int c = 0; c < NCODES; c++) {
            unsigned long n = atomic_load(&s->requests[e][c]);
            if (!n) continue;
            fprintf(f, "lendlab_http_requests_total{endpoint=\"%s\",code=\"", ep_path[e]);
            if (c < NCODES - 1)
                fprintf(f, "%d", codes[c]);
            else
                fputs("other", f);
            fprintf(f, "\"} %lu\n", n);
        }
    fputs("# HELP lendlab_http_request_errors_total HTTP requests answered with a status of 400 "
          "or more, by endpoint and status code.\n# TYPE lendlab_http_request_errors_total "
          "counter\n",
          f);
    for (int e = 0; e < EP_COUNT; e++)
        for (int c = 0; c < NCODES; c++) {
            unsigned long n = atomic_load(&s->requests[e][c]);
            if (!n || (c < NCODES - 1 && codes[c] < 400)) continue;
            fprintf(f, "lendlab_http_request_errors_total{endpoint=\"%s\",code=\"", ep_path[e]);
            if (c < NCODES - 1)
                fprintf(f, "%d", codes[c]);
            else
                fputs("other", f);
            fprintf(f, "\"} %lu\n", n);
        }
    fputs("# HELP lendlab_http_request_duration_seconds Time from a request's first byte to "
          "its answer's last, by endpoint.\n# TYPE lendlab_http_request_duration_seconds "
          "histogram\n",
          f);
    for (int e = 0; e < EP_COUNT; e++) {
        unsigned long cum = 0, counts[NBUCKETS];
        for (int b = 0; b < NBUCKETS; b++) counts[b] = atomic_load(&s->hist[e][b]);
        unsigned long total = 0;
        for (int b = 0; b < NBUCKETS; b++) total += counts[b];
        if (!total) continue;
        for (int b = 0; b < NBUCKETS; b++) {
            cum += counts[b];
            fprintf(f, "lendlab_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"",
                    ep_path[e]);
            prom_num(f, b < NBUCKETS - 1 ? buckets[b] : INFINITY);
            fprintf(f, "\"} %lu\n", cum);
        }
        fprintf(f, "lendlab_http_request_duration_seconds_sum{endpoint=\"%s\"} ", ep_path[e]);
        prom_num(f, (double)atomic_load(&s->latency_ns[e]) / 1e9);
        fprintf(f, "\nlendlab_http_request_duration_seconds_count{endpoint=\"%s\"} %lu\n",
                ep_path[e], total);
    }
    fprintf(f,
            "# HELP lendlab_rows_scored_total Rows scored by /invocations.\n"
            "# TYPE lendlab_rows_scored_total counter\nlendlab_rows_scored_total %lu\n",
            atomic_load(&s->rows));
    fprintf(f,
            "# HELP lendlab_requests_in_flight Requests being handled.\n"
            "# TYPE lendlab_requests_in_flight gauge\nlendlab_requests_in_flight %ld\n",
            atomic_load(&s->inflight));
    pthread_mutex_lock(&s->cmu);
    unsigned long open_conns = s->nconn;
    pthread_mutex_unlock(&s->cmu);
    fprintf(f,
            "# HELP lendlab_http_connections_open Client connections open.\n"
            "# TYPE lendlab_http_connections_open gauge\nlendlab_http_connections_open %lu\n",
            open_conns);
    fputs("# HELP lendlab_http_connections_closed_total Connections the server closed itself: "
          "a header or a body too slow (--read-timeout), or an idle connection closed to make "
          "room near --max-connections.\n# TYPE lendlab_http_connections_closed_total counter\n",
          f);
    for (int r = 0; r < CLOSE_COUNT; r++)
        fprintf(f, "lendlab_http_connections_closed_total{reason=\"%s\"} %lu\n", close_reason[r],
                atomic_load(&s->closed[r]));
    fprintf(f,
            "# HELP lendlab_model_reloads_total Times the served model was replaced.\n"
            "# TYPE lendlab_model_reloads_total counter\nlendlab_model_reloads_total %lu\n",
            atomic_load(&s->reloads));
    ll_serve_model *h = ll_serve_current(s);
    fputs("# HELP lendlab_model_loaded 1 when a model is being served.\n"
          "# TYPE lendlab_model_loaded gauge\n",
          f);
    fprintf(f, "lendlab_model_loaded %d\n", h ? 1 : 0);
    if (h) {
        const ll_model_ref *r = &h->ref;
        char ver[32];
        snprintf(ver, sizeof ver, "%ld", r->version);
        fputs("# HELP lendlab_model_version Registry version of the served model (0 when it "
              "was not loaded from the registry).\n# TYPE lendlab_model_version gauge\n",
              f);
        fputs("lendlab_model_version{name=", f);
        prom_label(f, r->name);
        fputs(",alias=", f);
        prom_label(f, r->alias);
        fprintf(f, "} %ld\n", r->version);
        fputs("# HELP lendlab_model_info The served model.\n# TYPE lendlab_model_info gauge\n", f);
        fputs("lendlab_model_info{name=", f);
        prom_label(f, r->name);
        fputs(",version=", f);
        prom_label(f, r->version > 0 ? ver : "");
        fputs(",alias=", f);
        prom_label(f, r->alias);
        fputs(",run_id=", f);
        prom_label(f, r->run_id);
        fputs(",kind=", f);
        prom_label(f, ll_model_kind_name(ll_model_kind_of(h->model)));
        fputs(",uri=", f);
        prom_label(f, r->uri);
        fputs("} 1\n", f);
        fputs("# HELP lendlab_model_loaded_timestamp_seconds When the served model was loaded.\n"
              "# TYPE lendlab_model_loaded_timestamp_seconds gauge\n"
              "lendlab_model_loaded_timestamp_seconds ",
              f);
        prom_num(f, floor(h->loaded_at * 1000) / 1000);
        fputc('\n', f);
        ll_serve_model_release(h);
    }
    fprintf(f,
            "# HELP lendlab_build_info lendlab version.\n# TYPE lendlab_build_info gauge\n"
            "lendlab_build_info{version=\"%s\"} 1\n",
            LL_VERSION);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    *len = sz;
    return buf;
}

/* ---------- connections: deadlines and room ---------- */

#define NS_PER_S 1000000000.0
#define SWEEP_MS 100

static conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    ll_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        /* without memory or a descriptor, only libmicrohttpd's idle timeout applies */
        conn *k = ci ? calloc(1, sizeof *k) : NULL;
        *socket_context = k;
        if (!k) return;
        k->fd = ci->connect_fd;
        atomic_init(&k->phase, PH_WAIT);
        atomic_init(&k->kept, 0);
        atomic_init(&k->since, mono_ns());
        atomic_init(&k->body, 0);
        pthread_mutex_lock(&s->cmu);
        k->prev = s->conns_tail;
        if (s->conns_tail)
            s->conns_tail->next = k;
        else
            s->conns = k;
        s->conns_tail = k;
        s->nconn++;
        pthread_mutex_unlock(&s->cmu);
        return;
    }
    conn *k = *socket_context;
    if (!k) return;
    /* libmicrohttpd closes the descriptor after this returns, so a sweep holding cmu never
     * shuts down a descriptor that was reused */
    pthread_mutex_lock(&s->cmu);
    if (k->prev)
        k->prev->next = k->next;
    else
        s->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    else
        s->conns_tail = k->prev;
    s->nconn--;
    pthread_mutex_unlock(&s->cmu);
    *socket_context = NULL;
    free(k);
}

/* Called with cmu held: the worker thread owning the connection sees the end of its input and
 * closes it as it would a client's close. */
static void conn_close(ll_server *s, conn *k, int why)
{
    k->closing = 1;
    shutdown(k->fd, SHUT_RDWR);
    atomic_fetch_add(&s->closed[why], 1);
}

static void sweep(ll_server *s)
{
    uint64_t now = mono_ns();
    double rt = s->opt.read_timeout_s, idle = s->opt.timeout_s;
    unsigned long limit = s->opt.max_connections;
    /* near the limit, the connections waiting longest for a request make room (as nginx
     * reuses idle keep-alive connections): from 15/16 of the limit down to 7/8 */
    unsigned long room = limit / 8 ? limit / 8 : 1;
    unsigned long high = limit - room / 2, low = limit - room;
    pthread_mutex_lock(&s->cmu);
    unsigned long evict = s->nconn >= high ? s->nconn - low : 0;
    for (conn *k = s->conns; k; k = k->next) {
        if (k->closing) continue;
        int phase = atomic_load(&k->phase), why = -1, unread = 0;
        uint64_t since = atomic_load(&k->since);
        double age = now > since ? (double)(now - since) / NS_PER_S : 0;
        if (rt > 0 && phase == PH_WAIT &&
            (atomic_load(&k->kept) ? idle > 0 && age > idle + rt : age > rt))
            why = CLOSE_HEADER;
        else if (rt > 0 && phase == PH_BODY &&
                 age > rt + (double)atomic_load(&k->body) / LL_SERVE_MIN_BODY_RATE)
            why = CLOSE_BODY;
        else if (evict && phase == PH_WAIT && age >= 0.5)
            why = CLOSE_EVICTED;
        /* bytes the worker has not read yet: the client sent in time, the server is behind */
        if (why < 0 || (ioctl(k->fd, FIONREAD, &unread) == 0 && unread > 0)) continue;
        conn_close(s, k, why);
        if (why == CLOSE_EVICTED) evict--;
    }
    pthread_mutex_unlock(&s->cmu);
}

static void *sweeper_main(void *arg)
{
    ll_server *s = arg;
    pthread_mutex_lock(&s->cmu);
    while (!s->sweep_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += SWEEP_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->ccv, &s->cmu, &ts);
        if (s->sweep_stop) break;
        pthread_mutex_unlock(&s->cmu);
        sweep(s);
        pthread_mutex_lock(&s->cmu);
    }
    pthread_mutex_unlock(&s->cmu);
    return NULL;
}

/* libmicrohttpd decodes %00 into a NUL that ends the path early ("/ping%00x" would answer as
 * "/ping"); a path or argument holding one is left encoded, so it matches nothing. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *text)
{
    (void)cls;
    (void)c;
    for (const char *p = text; (p = strchr(p, '%')); p++)
        if (p[1] == '0' && p[2] == '0') return strlen(text);
    return MHD_http_unescape(text);
}

/* ---------- the HTTP side ---------- */

static int route(const char *url)
{
    for (int e = 0; e < EP_OTHER; e++)
        if (!strcmp(url, ep_path[e])) return e;
    return EP_OTHER;
}

static enum MHD_Result queue(ll_server *s, struct MHD_Connection *c, reqctx *rq,
                             ll_payload_response *r, const char *allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"",
                                        r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        ll_payload_response_free(r);
        return MHD_NO;
    }
    r->body = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, "lendlab/" LL_VERSION);
    if (allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    /* while draining, keep-alive connections are told to go away */
    if (atomic_load(&s->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    rq->status = r->status;
    if (rq->conn) atomic_store(&rq->conn->phase, PH_ANSWER);
    return ret;
}

static int is_get(const char *method)
{
    return !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

/* Every endpoint but a POST to /invocations: answered on the first call. */
static enum MHD_Result answer_simple(ll_server *s, struct MHD_Connection *c, reqctx *rq,
                                     const char *method, const char *url)
{
    ll_payload_response r = {0};
    int e = rq->endpoint;
    if (e == EP_OTHER) {
        ll_payload_error(&r, 404, LL_PAYLOAD_NOT_FOUND,
                         "No endpoint %s. The scoring server answers GET /ping, /health, "
                         "/version, /model, /metrics and POST /invocations",
                         url);
        return queue(s, c, rq, &r, NULL);
    }
    if (e == EP_INVOCATIONS) {
        ll_payload_error(&r, 405, LL_PAYLOAD_BAD_REQUEST,
                         "Method %s is not allowed for /invocations (use POST)", method);
        return queue(s, c, rq, &r, "POST");
    }
    if (!is_get(method)) {
        ll_payload_error(&r, 405, LL_PAYLOAD_BAD_REQUEST,
                         "Method %s is not allowed for %s (use GET)", method, ep_path[e]);
        return queue(s, c, rq, &r, "GET, HEAD");
    }
    ll_serve_model *h = NULL;
    switch (e) {
    case EP_PING:
    case EP_HEALTH:
        h = ll_serve_current(s);
        ll_payload_text(&r, h ? 200 : 503, "application/json", "\n", 1);
        break;
    case EP_VERSION:
        ll_payload_text(&r, 200, "application/json", LL_VERSION, strlen(LL_VERSION));
        break;
    case EP_MODEL:
        h = ll_serve_current(s);
        if (h)
            ll_payload_text(&r, 200, "application/json", h->doc, h->doclen);
        else
            ll_payload_error(&r, 503, LL_PAYLOAD_UNAVAILABLE, "no model is loaded yet");
        break;
    default: {
        size_t len = 0;
        char *text = metrics_text(s, &len);
        if (text) {
            r.status = 200;
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";
            r.body = text;
            r.len = len;
        } else {
            ll_payload_error(&r, 500, LL_PAYLOAD_INTERNAL_ERROR, "out of memory");
        }
    }
    }
    ll_serve_model_release(h);
    return queue(s, c, rq, &r, NULL);
}

/* Query arguments collected for the payload parameters. */
typedef struct {
    const char *kv[32];
    size_t n;
} qargs;

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    qargs *q = cls;
    if (q->n < 16 && key) {
        q->kv[2 * q->n] = key;
        q->kv[2 * q->n + 1] = value ? value : "";
        q->n++;
    }
    return MHD_YES;
}

static enum MHD_Result answer_invocation(ll_server *s, struct MHD_Connection *c, reqctx *rq)
{
    ll_payload_response r = {0};
    if (rq->too_big) {
        ll_payload_error(&r, 413, LL_PAYLOAD_BAD_REQUEST,
                         "The request body is larger than the server's limit of %zu bytes "
                         "(--max-body)",
                         s->opt.max_body);
        return queue(s, c, rq, &r, NULL);
    }
    ll_serve_model *h = ll_serve_current(s);
    if (!h) {
        ll_payload_error(&r, 503, LL_PAYLOAD_UNAVAILABLE, "no model is loaded yet");
        return queue(s, c, rq, &r, NULL);
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    qargs q = {{0}, 0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_arg, &q);
    size_t rows = 0;
    ll_payload_invoke(h->model, h->shap, ct, rq->body ? rq->body : "", rq->len, q.kv, q.n, &r,
                      &rows);
    ll_serve_model_release(h);
    if (r.status == 200) atomic_fetch_add(&s->rows, rows);
    return queue(s, c, rq, &r, NULL);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    ll_server *s = cls;
    reqctx *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq))) return MHD_NO;
        rq->t0 = mono_ns();
        rq->endpoint = route(url);
        atomic_fetch_add(&s->inflight, 1);
        *con_cls = rq;
        if ((rq->conn = conn_of(c))) {
            atomic_store(&rq->conn->body, 0);
            atomic_store(&rq->conn->since, rq->t0);
            atomic_store(&rq->conn->phase, PH_BODY);
        }
        rq->post = rq->endpoint == EP_INVOCATIONS && !strcmp(method, MHD_HTTP_METHOD_POST);
        /* answering now would make libmicrohttpd close the connection (it cannot know
         * whether a body follows), so every answer waits for the next call */
        if (!rq->post) return MHD_YES;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || *end || n > s->opt.max_body) {
                /* refused before reading it: MHD closes the connection after the answer */
                rq->too_big = 1;
                return answer_invocation(s, c, rq);
            }
            /* a declared length is a hint: at most 1 MiB up front, the rest as it comes */
            size_t want = n < ((size_t)1 << 20) ? (size_t)n + 1 : (size_t)1 << 20;
            if (n && !(rq->body = malloc(want))) return MHD_NO;
            rq->cap = n ? want : 0;
        }
        return MHD_YES;
    }
    if (rq->status) {
        /* already answered (refused early): drop whatever else arrives */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->conn) atomic_fetch_add(&rq->conn->body, n);
        if (rq->too_big || !rq->post) {
            /* the answer (413, or another endpoint's) waits for the end of the body; one
             * running on for --max-body bytes past the limit is not worth reading to its end */
            rq->dropped += n;
            return rq->dropped > s->opt.max_body ? MHD_NO : MHD_YES;
        }
        if (rq->len + n > s->opt.max_body) {
            rq->too_big = 1;
            rq->dropped = 0;
            rq->trim = rq->cap >= TRIM_AFTER;
            free(rq->body);
            rq->body = NULL;
            rq->len = rq->cap = 0;
            return MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 4096;
            while (cap < rq->len + n + 1) cap *= 2;
            char *b = realloc(rq->body, cap);
            if (!b) return MHD_NO;
            rq->body = b;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload, n);
        rq->len += n;
        rq->body[rq->len] = '\0';
        return MHD_YES;
    }
    /* the whole request is in: scoring time is the server's, not the client's */
    if (rq->conn) atomic_store(&rq->conn->phase, PH_ANSWER);
    if (!rq->post) return answer_simple(s, c, rq, method, url);
    return answer_invocation(s, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    ll_server *s = cls;
    reqctx *rq = *con_cls;
    if (!rq) return;
    *con_cls = NULL;
    /* looked up again: the connection may be gone already */
    conn *k = conn_of(c);
    if (k) {
        atomic_store(&k->since, mono_ns());
        atomic_store(&k->kept, 1);
        atomic_store(&k->phase, PH_WAIT);
    }
    if (rq->status) {
        uint64_t dt = mono_ns() - rq->t0;
        double sec = (double)dt / 1e9;
        int b = 0;
        while (b < NBUCKETS - 1 && sec > buckets[b]) b++;
        atomic_fetch_add(&s->requests[rq->endpoint][code_slot(rq->status)], 1);
        atomic_fetch_add(&s->hist[rq->endpoint][b], 1);
        atomic_fetch_add(&s->latency_ns[rq->endpoint], dt);
    }
    atomic_fetch_sub(&s->inflight, 1);
    int large = rq->trim || rq->cap >= TRIM_AFTER;
    free(rq->body);
    free(rq);
#ifdef __GLIBC__
    /* parsing a large body leaves tens of times its size in freed small blocks, which glibc
     * keeps (per-thread arenas) unless asked to give them back */
    if (large) malloc_trim(0);
#else
    (void)large;
#endif
}

ll_status ll_serve_start(const ll_serve_options *o, ll_serve_model *model, ll_server **out,
                         ll_error *err)
{
    *out = NULL;
    ll_serve_options def;
    ll_serve_options_default(&def);
    if (!o) o = &def;
    if (o->threads < 1 || o->threads > 256) {
        ll_serve_model_release(model);
        return ll_error_set(err, LL_EINVAL, "threads must be in 1..256");
    }
    if (o->port < 0 || o->port > 65535) {
        ll_serve_model_release(model);
        return ll_error_set(err, LL_EINVAL, "port must be in 0..65535");
    }
    ll_server *s = calloc(1, sizeof *s);
    if (!s) {
        ll_serve_model_release(model);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    s->opt = *o;
    if (!s->opt.host || !*s->opt.host) s->opt.host = "127.0.0.1";
    if (!s->opt.max_body) s->opt.max_body = def.max_body;
    s->listen_fd = MHD_INVALID_SOCKET;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->cmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->ccv, &ca);
    pthread_condattr_destroy(&ca);
    if (!s->opt.max_connections) s->opt.max_connections = def.max_connections;
    s->cur = model;
    s->started_at = wall_now();

    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", o->port);
    int gai = getaddrinfo(s->opt.host, portbuf, &hints, &ai);
    if (gai || !ai) {
        ll_status st = ll_error_set(err, LL_ENET, "cannot resolve host '%s': %s", s->opt.host,
                                    gai_strerror(gai));
        if (ai) freeaddrinfo(ai);
        ll_serve_stop(s, 0);
        return st;
    }
    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof addr);
    memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    int v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
    if (v6) flags |= MHD_USE_IPv6;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->opt.timeout_s, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)s->opt.max_connections, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)s->opt.max_per_ip, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 512, NULL},
        {o->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, o->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_access, s, MHD_OPTION_ARRAY,
                            opts, MHD_OPTION_END);
    if (!s->d) {
        int e = errno;
        ll_status st = ll_error_set(err, LL_ENET, "cannot listen on %s port %d%s%s", s->opt.host,
                                    o->port, e ? ": " : "", e ? strerror(e) : "");
        ll_serve_stop(s, 0);
        return st;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info && info->port ? info->port : o->port;
    if (pthread_create(&s->sweeper, NULL, sweeper_main, s)) {
        ll_serve_stop(s, 0);
        return ll_error_set(err, LL_ENOMEM, "cannot start the connection sweeper thread");
    }
    s->sweeping = 1;
    *out = s;
    return LL_OK;
}

void ll_serve_quiesce(ll_server *s)
{
    if (!s || !s->d || atomic_exchange(&s->draining, 1)) return;
    /* libmicrohttpd's threads may still use the listening socket, so it is closed only after
     * MHD_stop_daemon (closed here, a worker could re-add or remove a descriptor by then
     * reused); shutting it down refuses new connections at once */
    s->listen_fd = MHD_quiesce_daemon(s->d);
    if (s->listen_fd != MHD_INVALID_SOCKET) shutdown(s->listen_fd, SHUT_RDWR);
}

void ll_serve_stop(ll_server *s, double drain_s)
{
    if (!s) return;
    if (s->d) {
        ll_serve_quiesce(s);
        uint64_t deadline = mono_ns() + (uint64_t)(drain_s > 0 ? drain_s * 1e9 : 0);
        while (atomic_load(&s->inflight) > 0 && mono_ns() < deadline) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (s->sweeping) {
        pthread_mutex_lock(&s->cmu);
        s->sweep_stop = 1;
        pthread_cond_signal(&s->ccv);
        pthread_mutex_unlock(&s->cmu);
        pthread_join(s->sweeper, NULL);
    }
    if (s->d) MHD_stop_daemon(s->d);
    if (s->listen_fd != MHD_INVALID_SOCKET) close(s->listen_fd);
    ll_serve_model_release(s->cur);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->ccv);
    pthread_mutex_destroy(&s->cmu);
    free(s);
}

/* ---------- the client side (invoke) ---------- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} rbuf;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    rbuf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return 0;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

ll_status ll_serve_post(const char *url, const char *content_type, const char *body, size_t len,
                        double timeout_s, ll_http_reply *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    CURL *h = curl_easy_init();
    if (!h) return ll_error_set(err, LL_ENOMEM, "cannot start libcurl");
    char ct[256];
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    struct curl_slist *hdr = curl_slist_append(NULL, ct);
    struct curl_slist *h2 = hdr ? curl_slist_append(hdr, "Expect:") : NULL;
    if (!h2) {
        curl_slist_free_all(hdr);
        curl_easy_cleanup(h);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    hdr = h2;
    rbuf b = {0};
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "lendlab/" LL_VERSION);
    long ms = timeout_s > 0 ? (long)(timeout_s * 1000) : 0;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
    CURLcode rc = curl_easy_perform(h);
    ll_status st = LL_OK;
    if (rc == CURLE_OK && b.oom) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        st = ll_error_set(err, LL_ENET, "%s: no answer within %g s (--timeout)", url, timeout_s);
    } else if (rc == CURLE_COULDNT_CONNECT) {
        st = ll_error_set(err, LL_ENET, "cannot connect to %s: %s", url,
                          ebuf[0] ? ebuf : "connection refused");
    } else if (rc != CURLE_OK) {
        st = ll_error_set(err, LL_ENET, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
        char *ctype = NULL;
        if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
            snprintf(out->content_type, sizeof out->content_type, "%s", ctype);
        if (!b.p && !(b.p = calloc(1, 1))) st = ll_error_set(err, LL_ENOMEM, "out of memory");
        out->body = b.p;
        out->len = b.len;
        b.p = NULL;
    }
    free(b.p);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return st;
}

void ll_http_reply_free(ll_http_reply *r)
{
    if (!r) return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}
