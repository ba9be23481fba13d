/* screen_serve: a scoring server run from the workbench — its model, address, requests per
 * second, latency percentiles and errors, live from the server's own /metrics counters. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cmd.h"
#include "dialog.h"
#include "draw.h"
#include "fmt.h"
#include "registry.h"
#include "servemon.h"
#include "store.h"

#define LOG_LINES    200
#define SAMPLES      121 /* two minutes of one reading a second */
#define SCRAPE_MS    1000
#define WINDOW_S     10 /* latency percentiles over the last seconds */
#define DEFAULT_PORT "5001"

enum { DLG_URI = 1, DLG_PORT };

/* What the monitor thread writes and the UI thread reads, under mu. */
typedef struct {
    pthread_mutex_t mu;
    char *log[LOG_LINES]; /* oldest first */
    size_t nlog;
    tui_serve_sample *samples; /* SAMPLES slots, a ring */
    size_t nsamples, head;     /* head: the next slot written */
    int port;
    char scrape_error[300];
} shared;

typedef struct {
    tui_app *app;
    shared *sh;
    tui_job *srv_job, *mon_job;
    unsigned srv_id, mon_id;
    char uri[1024];
    double started_ms, stopped_ms;
    int stopping;
    tui_dialog dlg;
    char want_uri[1024];
} sv;

static const tui_verb sv_verbs[] = {
    {"serve-start", "[URI [PORT]]", "Serve: start a scoring server for URI on PORT (0: any free)"},
    {"serve-stop", "", "Serve: stop the server"},
    {NULL, NULL, NULL},
};

/* ---- shared state ---- */

static void log_push(shared *sh, const char *line)
{
    char *copy = strdup(line);
    if (!copy) return;
    pthread_mutex_lock(&sh->mu);
    if (sh->nlog == LOG_LINES) {
        free(sh->log[0]);
        memmove(sh->log, sh->log + 1, (LOG_LINES - 1) * sizeof *sh->log);
        sh->nlog--;
    }
    sh->log[sh->nlog++] = copy;
    pthread_mutex_unlock(&sh->mu);
}

/* The i-th newest sample (0 = the latest); call with mu held. */
static const tui_serve_sample *sample_back(const shared *sh, size_t i)
{
    if (i >= sh->nsamples) return NULL;
    return &sh->samples[(sh->head + SAMPLES - 1 - i) % SAMPLES];
}

static void shared_reset(shared *sh)
{
    pthread_mutex_lock(&sh->mu);
    for (size_t i = 0; i < sh->nlog; i++) free(sh->log[i]);
    sh->nlog = 0;
    sh->nsamples = sh->head = 0;
    sh->port = 0;
    sh->scrape_error[0] = '\0';
    pthread_mutex_unlock(&sh->mu);
}

/* ---- the server job: the serve command of the command table, until cancelled ---- */

typedef struct {
    char store[1024];
    char uri[1024];
    char port[16];
    char portfile[512];
    int errfd; /* write end of the log pipe */
} srv_arg;

static void *srv_worker(tui_job *job, void *p)
{
    srv_arg *a = p;
    int *rc = malloc(sizeof *rc);
    FILE *err = fdopen(a->errfd, "w");
    /* the command writes its results to out (serve has none) and its messages to err */
    char *outbuf = NULL;
    size_t outlen = 0;
    FILE *out = open_memstream(&outbuf, &outlen);
    if (!rc || !err || !out) {
        if (err)
            fclose(err);
        else
            close(a->errfd);
        if (out) fclose(out);
        free(outbuf);
        if (rc) *rc = LL_EXIT_ERROR;
        return rc;
    }
    setvbuf(err, NULL, _IOLBF, 0);
    char *argv[] = {"serve",       "--model",   a->uri,    "--port", a->port,
                    "--port-file", a->portfile, "--drain", "5",      NULL};
    ll_cmd_ctx ctx = {.out = out,
                      .err = err,
                      .store = a->store,
                      .progress = 0,
                      .cancel = tui_job_cancel_flag(job)};
    tui_job_progress(job, -1, "serving");
    *rc = ll_cmd_run(&ctx, 9, argv);
    fclose(out);
    free(outbuf);
    fclose(err); /* the monitor sees the end of the log */
    return rc;
}

/* ---- the monitor job: the server's messages, its port and a /metrics reading a second ---- */

typedef struct {
    shared *sh;
    int rfd; /* read end of the log pipe */
    char portfile[512];
    char dir[480]; /* temporary directory holding the port file */
} mon_arg;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int port = 0;
    if (fscanf(f, "%d", &port) != 1) port = 0;
    fclose(f);
    return port;
}

static void scrape(tui_job *job, shared *sh, int port)
{
    char url[64], err[300];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    char *body = NULL;
    size_t len = 0;
    long status = 0;
    tui_serve_sample s;
    memset(&s, 0, sizeof s);
    s.t_ms = tui_now_ms();
    int ok = tui_http_get(url, 0.9, &body, &len, &status, err, sizeof err) == 0;
    if (ok && status != 200) {
        snprintf(err, sizeof err, "%s answered %ld", url, status);
        ok = 0;
    }
    if (ok && tui_serve_parse(body, len, &s)) {
        snprintf(err, sizeof err, "%s is not a lendlab server's metrics", url);
        ok = 0;
    }
    free(body);
    pthread_mutex_lock(&sh->mu);
    if (ok) {
        sh->samples[sh->head] = s;
        sh->head = (sh->head + 1) % SAMPLES;
        if (sh->nsamples < SAMPLES) sh->nsamples++;
        sh->scrape_error[0] = '\0';
    } else {
        snprintf(sh->scrape_error, sizeof sh->scrape_error, "%s", err);
    }
    pthread_mutex_unlock(&sh->mu);
    char stage[96];
    snprintf(stage, sizeof stage, "serving :%d, %.0f requests", port, ok ? s.requests : 0);
    tui_job_progress(job, -1, stage);
}

static void *mon_worker(tui_job *job, void *p)
{
    mon_arg *a = p;
    shared *sh = a->sh;
    char line[2048];
    size_t ll = 0;
    int port = 0, eof = 0;
    double next = 0;
    while (!tui_job_cancelled(job) && !eof) {
        char buf[4096];
        ssize_t n;
        int got = 0;
        while ((n = read(a->rfd, buf, sizeof buf)) > 0) {
            got = 1;
            for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n' || ll + 1 == sizeof line) {
                    line[ll] = '\0';
                    log_push(sh, line);
                    ll = 0;
                    if (buf[i] == '\n') continue;
                }
                line[ll++] = buf[i];
            }
        }
        if (n == 0) eof = 1;
        if (got) tui_job_progress(job, -1, "serving");
        if (!port && (port = read_port(a->portfile))) {
            pthread_mutex_lock(&sh->mu);
            sh->port = port;
            pthread_mutex_unlock(&sh->mu);
        }
        double now = tui_now_ms();
        if (port && !eof && now >= next) {
            scrape(job, sh, port);
            next = now + SCRAPE_MS;
        }
        if (!eof) nap_ms(100);
    }
    if (ll) {
        line[ll] = '\0';
        log_push(sh, line);
    }
    return NULL;
}

static void mon_done(tui_job *job, void *result, void *ud)
{
    sv *s = ud;
    mon_arg *a = job->arg;
    (void)result;
    close(a->rfd);
    unlink(a->portfile);
    rmdir(a->dir);
    free(a);
    if (s->mon_job == job) s->mon_job = NULL;
    tui_app_touch(s->app, &tui_screen_serve);
}

static void srv_done(tui_job *job, void *result, void *ud)
{
    sv *s = ud;
    int *rc = result;
    free(job->arg);
    if (s->srv_job == job) s->srv_job = NULL;
    /* the monitor reads the last messages and ends at the end of the log */
    s->stopped_ms = tui_now_ms();
    if (!rc || *rc != LL_EXIT_OK) {
        char last[512] = "";
        pthread_mutex_lock(&s->sh->mu);
        if (s->sh->nlog) snprintf(last, sizeof last, "%s", s->sh->log[s->sh->nlog - 1]);
        pthread_mutex_unlock(&s->sh->mu);
        tui_app_error(s->app, "the server stopped (exit %d)%s%s", rc ? *rc : LL_EXIT_ERROR,
                      last[0] ? ": " : "", last);
    } else {
        tui_app_status(s->app, "the server stopped");
    }
    s->stopping = 0;
    free(rc);
    tui_app_touch(s->app, &tui_screen_serve);
}

/* ---- starting and stopping ---- */

static void start_server(sv *s, const char *uri, const char *port)
{
    tui_app *app = s->app;
    if (s->srv_job || s->mon_job) {
        tui_app_error(app, "a server is %s (S stops it)",
                      s->stopping ? "still stopping" : "running");
        return;
    }
    char *end = NULL;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535) {
        tui_app_error(app, "port '%s': a number from 0 (any free port) to 65535", port);
        return;
    }
    srv_arg *a = calloc(1, sizeof *a);
    mon_arg *m = calloc(1, sizeof *m);
    int fds[2] = {-1, -1};
    const char *tmp = getenv("TMPDIR");
    if (!a || !m) goto fail;
    snprintf(m->dir, sizeof m->dir, "%s/lendlab-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(m->dir)) {
        tui_app_error(app, "cannot create a temporary directory in %s: %s",
                      tmp && *tmp ? tmp : "/tmp", strerror(errno));
        free(a);
        free(m);
        return;
    }
    if (pipe(fds)) goto fail;
    /* neither end may block: the monitor polls, and the server never waits on its log */
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    snprintf(m->portfile, sizeof m->portfile, "%s/port", m->dir);
    snprintf(a->portfile, sizeof a->portfile, "%s", m->portfile);
    snprintf(a->store, sizeof a->store, "%s", app->store);
    snprintf(a->uri, sizeof a->uri, "%s", uri);
    snprintf(a->port, sizeof a->port, "%ld", p);
    a->errfd = fds[1];
    m->rfd = fds[0];
    m->sh = s->sh;
    shared_reset(s->sh);
    char name[128];
    snprintf(name, sizeof name, "serve %.100s", uri);
    tui_job *sj = tui_job_start(&app->jobs, name, srv_worker, a, srv_done, s);
    if (!sj) {
        close(fds[0]);
        close(fds[1]);
        rmdir(m->dir);
        goto fail;
    }
    s->srv_job = sj;
    s->srv_id = sj->id;
    tui_job *mj = tui_job_start(&app->jobs, "serve monitor", mon_worker, m, mon_done, s);
    if (!mj) {
        /* no monitor: the server would run unseen, so it stops at once */
        sj->cancel = 1;
        close(fds[0]);
        rmdir(m->dir);
        free(m);
        tui_app_error(app, "cannot start a worker thread");
        return;
    }
    s->mon_job = mj;
    s->mon_id = mj->id;
    snprintf(s->uri, sizeof s->uri, "%s", uri);
    s->started_ms = tui_now_ms();
    s->stopping = 0;
    tui_app_status(app, "starting a server for %s on port %s%s", uri, a->port,
                   p == 0 ? " (any free port)" : "");
    return;
fail:
    if (m && m->dir[0]) rmdir(m->dir);
    free(a);
    free(m);
    tui_app_error(app, "cannot start the server: %s", strerror(errno));
}

static void stop_server(sv *s)
{
    if (!s->srv_job) {
        tui_app_error(s->app, "no server is running (s starts one)");
        return;
    }
    s->srv_job->cancel = 1;
    s->stopping = 1;
    tui_app_status(s->app, "stopping the server (requests in flight finish first)");
}

/* Model URIs of the registry as choices: every alias of every model, then their latest. */
static void uri_items(sv *s)
{
    ll_store *st;
    ll_error err;
    if (ll_store_open(s->app->store, 0, &st, &err)) return;
    char **names = NULL;
    size_t n = 0;
    if (ll_registry_list(st, &names, &n, &err) == LL_OK) {
        for (size_t i = 0; i < n; i++) {
            ll_registered_model *m;
            if (ll_registry_get(st, names[i], &m, &err)) continue;
            char uri[600], note[64];
            for (size_t k = 0; k < m->naliases; k++) {
                snprintf(uri, sizeof uri, "models:/%s@%s", m->name, m->aliases[k].key);
                snprintf(note, sizeof note, "version %s", m->aliases[k].value);
                tui_dialog_item_add(&s->dlg, uri, note);
            }
            if (m->nversions) {
                snprintf(uri, sizeof uri, "models:/%s/latest", m->name);
                snprintf(note, sizeof note, "version %ld", m->versions[m->nversions - 1].version);
                tui_dialog_item_add(&s->dlg, uri, note);
            }
            ll_registry_model_free(m);
        }
        ll_registry_names_free(names, n);
    }
    ll_store_close(st);
}

static void ask_uri(sv *s)
{
    if (s->srv_job || s->mon_job) {
        tui_app_error(s->app, "a server is %s (S stops it)",
                      s->stopping ? "still stopping" : "running");
        return;
    }
    tui_dialog_pick(&s->dlg, DLG_URI, "Serve: the model", 1, "model:",
                    "Enter choose (or type models:/NAME@ALIAS, runs:/ID/model or a path)   Esc "
                    "cancel");
    uri_items(s);
}

static int sv_modal_key(void *self, tui_app *app, int key, int is_char)
{
    sv *s = self;
    if (!s || !tui_dialog_is_open(&s->dlg)) return 0;
    tui_dialog_result r = tui_dialog_key(&s->dlg, key, is_char);
    if (r != TUI_DIALOG_ACCEPT) return 1;
    char value[TUI_LINE_MAX];
    snprintf(value, sizeof value, "%s", s->dlg.value);
    if (s->dlg.tag == DLG_URI) {
        snprintf(s->want_uri, sizeof s->want_uri, "%s", value);
        char title[1200];
        snprintf(title, sizeof title, "Serve %s on port", value);
        tui_dialog_input(&s->dlg, DLG_PORT, title, "port:", DEFAULT_PORT,
                         "0 takes any free port   Enter starts   Esc cancels");
    } else {
        start_server(s, s->want_uri, value);
    }
    return 1;
}

/* ---- create / destroy ---- */

static void *sv_create(tui_app *app)
{
    sv *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->app = app;
    s->sh = calloc(1, sizeof *s->sh);
    if (s->sh) s->sh->samples = calloc(SAMPLES, sizeof *s->sh->samples);
    if (!s->sh || !s->sh->samples) {
        if (s->sh) free(s->sh->samples);
        free(s->sh);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->sh->mu, NULL);
    return s;
}

static void sv_destroy(void *self)
{
    sv *s = self;
    if (!s) return;
    /* the jobs were joined before the screens go (tui_jobs_destroy runs first) */
    shared_reset(s->sh);
    pthread_mutex_destroy(&s->sh->mu);
    free(s->sh->samples);
    free(s->sh);
    tui_lineedit_free(&s->dlg.ed);
    free(s);
}

/* ---- drawing ---- */

static void uptime(double ms, char *buf, size_t len)
{
    long sec = (long)(ms / 1000);
    if (sec < 60)
        snprintf(buf, len, "%lds", sec);
    else if (sec < 3600)
        snprintf(buf, len, "%ldm %02lds", sec / 60, sec % 60);
    else
        snprintf(buf, len, "%ldh %02ldm", sec / 3600, (sec / 60) % 60);
}

static void draw_chart_box(tui_rect r, const char *title, const double *ys, int n, tui_slot slot,
                           const char *unit)
{
    double lo = 0, hi = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(ys[i]) && ys[i] > hi) hi = ys[i];
    char t[200];
    snprintf(t, sizeof t, "%s (max %.*f%s)", title, hi < 10 ? 2 : 1, hi, unit);
    tui_draw_box(r, TUI_SLOT_PANE_BORDER, t, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    if (in.h < 1 || in.w < 4 || n < 1) return;
    tui_draw_chart(in.y, in.x + 1, in.w - 2, in.h, ys, n, lo, hi > 0 ? hi : 1, slot);
}

static void sv_draw(void *self, tui_app *app, tui_rect r)
{
    sv *s = self;
    if (!s) return;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    shared *sh = s->sh;
    pthread_mutex_lock(&sh->mu);
    const tui_serve_sample *now = sample_back(sh, 0), *prev = sample_back(sh, 1);
    const tui_serve_sample *win =
        sh->nsamples ? sample_back(sh, sh->nsamples > WINDOW_S ? WINDOW_S : sh->nsamples - 1)
                     : NULL;
    int running = s->srv_job != NULL;
    char line[2400], a[48], b[48], c[48], d[48];
    /* model and address */
    a[0] = '\0';
    if (now && now->version) snprintf(a, sizeof a, " version %ld", now->version);
    if (now && now->loaded)
        snprintf(line, sizeof line, " model   %s -> %s%s%s%s (%s), run %.8s", s->uri,
                 now->name[0] ? now->name : "(a directory)", a, now->alias[0] ? " @" : "",
                 now->alias, now->kind, now->run_id);
    else if (running)
        snprintf(line, sizeof line, " model   %s (loading...)", s->uri);
    else
        snprintf(line, sizeof line, " no server is running: s starts one (a model URI and a port)");
    tui_draw_text(r.y, r.x, r.w - 17, running ? TUI_SLOT_TEXT : TUI_SLOT_TEXT_DIM, line,
                  TUI_ALIGN_LEFT);
    if (running || now) {
        uptime((running ? tui_now_ms() : s->stopped_ms) - s->started_ms, a, sizeof a);
        if (sh->port)
            snprintf(line, sizeof line, " server  listening on http://127.0.0.1:%d   %s %s%s",
                     sh->port, running ? "up" : "stopped after", a,
                     s->stopping ? "   stopping..." : "");
        else
            snprintf(line, sizeof line, " server  %s", running ? "starting..." : "stopped");
        tui_draw_text(r.y + 1, r.x, r.w, running ? TUI_SLOT_METRIC_GOOD : TUI_SLOT_TEXT_DIM, line,
                      TUI_ALIGN_LEFT);
    }
    const char *keys = "s start  S stop";
    tui_draw_text(r.y, r.x + r.w - 16, 15, TUI_SLOT_TEXT_DIM, keys, TUI_ALIGN_RIGHT);

    /* traffic */
    tui_rect tr = {r.y + 2, r.x, 7, r.w};
    tui_draw_box(tr, running ? TUI_SLOT_PANE_BORDER_FOCUS : TUI_SLOT_PANE_BORDER,
                 "Traffic (the server's own counters, read every second)", TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(tr);
    int x = in.x + 1, w = in.w - 2;
    if (!now) {
        tui_draw_text(in.y, x, w, TUI_SLOT_TEXT_DIM,
                      sh->scrape_error[0] ? sh->scrape_error
                      : running           ? "waiting for the first reading..."
                                          : "no readings",
                      TUI_ALIGN_LEFT);
    } else {
        double rps = prev && running ? tui_serve_rate(prev, now) : NAN;
        double eps = prev && running ? tui_serve_error_rate(prev, now) : NAN;
        snprintf(b, sizeof b, "%.1f", rps);
        snprintf(line, sizeof line,
                 "requests answered: %s   now %s/s   in flight %s   rows scored %s",
                 tui_fmt_count((size_t)now->requests, a, sizeof a), isnan(rps) ? "-" : b,
                 tui_fmt_count((size_t)now->inflight, c, sizeof c),
                 tui_fmt_count((size_t)now->rows, d, sizeof d));
        tui_draw_text(in.y, x, w, TUI_SLOT_TEXT, line, TUI_ALIGN_LEFT);
        snprintf(d, sizeof d, "%.1f", eps);
        snprintf(line, sizeof line, "errors: %s (4xx %s, 5xx %s)   now %s/s",
                 tui_fmt_count((size_t)now->errors, a, sizeof a),
                 tui_fmt_count((size_t)now->errors_4xx, b, sizeof b),
                 tui_fmt_count((size_t)now->errors_5xx, c, sizeof c), isnan(eps) ? "-" : d);
        tui_draw_text(in.y + 1, x, w, now->errors > 0 ? TUI_SLOT_METRIC_BAD : TUI_SLOT_TEXT, line,
                      TUI_ALIGN_LEFT);
        const tui_serve_sample *base = win && win != now ? win : NULL;
        double p50 = tui_serve_quantile(base, now, 0.5), p90 = tui_serve_quantile(base, now, 0.9),
               p99 = tui_serve_quantile(base, now, 0.99);
        int windowed = base && !isnan(p50);
        if (!windowed) {
            p50 = tui_serve_quantile(NULL, now, 0.5);
            p90 = tui_serve_quantile(NULL, now, 0.9);
            p99 = tui_serve_quantile(NULL, now, 0.99);
        }
        char e[48];
        snprintf(line, sizeof line, "latency p50 %s   p90 %s   p99 %s   (%s)   mean %s since start",
                 tui_serve_fmt_latency(p50, a, sizeof a), tui_serve_fmt_latency(p90, b, sizeof b),
                 tui_serve_fmt_latency(p99, c, sizeof c), windowed ? "last 10 s" : "since start",
                 tui_serve_fmt_latency(now->lat_count > 0 ? now->lat_sum / now->lat_count : NAN, e,
                                       sizeof e));
        tui_draw_text(in.y + 2, x, w, TUI_SLOT_TEXT, line, TUI_ALIGN_LEFT);
        snprintf(line, sizeof line, "model %s, reloads %.0f%s%s",
                 now->loaded ? "loaded" : "NOT loaded", now->reloads,
                 sh->scrape_error[0] ? "   last reading failed: " : "", sh->scrape_error);
        tui_draw_text(in.y + 3, x, w, sh->scrape_error[0] ? TUI_SLOT_METRIC_BAD : TUI_SLOT_TEXT_DIM,
                      line, TUI_ALIGN_LEFT);
        /* per endpoint, on one line */
        line[0] = '\0';
        for (size_t i = 0; i < now->nep; i++) {
            const tui_serve_endpoint *ep = &now->ep[i];
            size_t l = strlen(line);
            a[0] = '\0';
            if (ep->errors > 0) snprintf(a, sizeof a, " (%.0f errors)", ep->errors);
            snprintf(line + l, sizeof line - l, "%s%s %.0f%s", i ? "   " : "endpoints: ", ep->name,
                     ep->requests, a);
        }
        tui_draw_text(in.y + 4, x, w, TUI_SLOT_TEXT_DIM, line, TUI_ALIGN_LEFT);
    }

    /* charts: requests per second and p99 latency per reading */
    int ch = (r.h - 9) / 2;
    if (ch < 4) ch = 4;
    tui_rect c1 = {r.y + 9, r.x, ch, r.w / 2}, c2 = {r.y + 9, r.x + r.w / 2, ch, r.w - r.w / 2};
    /* a fixed time axis: the readings not taken yet are gaps on the left */
    double rps_s[SAMPLES - 1], p99_s[SAMPLES - 1];
    int n = SAMPLES - 1;
    for (int k = 0; k < n; k++) {
        size_t back = (size_t)(n - k); /* the reading this point ends at, counted back */
        const tui_serve_sample *pa = sample_back(sh, back), *pb = sample_back(sh, back - 1);
        rps_s[k] = pa && pb ? tui_serve_rate(pa, pb) : NAN;
        double q = pa && pb ? tui_serve_quantile(pa, pb, 0.99) : NAN;
        p99_s[k] = isnan(q) ? NAN : q * 1000;
    }
    draw_chart_box(c1, "requests/s, 2 min", rps_s, n, TUI_SLOT_CHART_1, "");
    draw_chart_box(c2, "p99 latency, 2 min", p99_s, n, TUI_SLOT_CHART_2, " ms");

    /* the server's messages */
    tui_rect lr = {r.y + 9 + ch, r.x, r.h - 9 - ch, r.w};
    tui_draw_box(lr, TUI_SLOT_PANE_BORDER, "Server log", TUI_SLOT_PANE_TITLE);
    tui_rect li = tui_rect_inner(lr);
    size_t shown = (size_t)(li.h > 0 ? li.h : 0);
    size_t first = sh->nlog > shown ? sh->nlog - shown : 0;
    for (size_t i = first; i < sh->nlog; i++)
        tui_draw_text(li.y + (int)(i - first), li.x + 1, li.w - 2,
                      strstr(sh->log[i], "cannot") || strstr(sh->log[i], "error")
                          ? TUI_SLOT_METRIC_BAD
                          : TUI_SLOT_TEXT,
                      sh->log[i], TUI_ALIGN_LEFT);
    pthread_mutex_unlock(&sh->mu);
    if (tui_dialog_is_open(&s->dlg)) tui_dialog_draw(&s->dlg, r);
}

/* ---- actions ---- */

static int sv_action(void *self, tui_app *app, int argc, char **argv)
{
    sv *s = self;
    if (!s) return 0;
    const char *v = argv[0];
    if (!strcmp(v, "serve-start")) {
        if (argc > 1)
            start_server(s, argv[1], argc > 2 ? argv[2] : DEFAULT_PORT);
        else
            ask_uri(s);
    } else if (!strcmp(v, "serve-stop")) {
        stop_server(s);
    } else {
        return 0;
    }
    return 1;
}

const tui_pane_ops tui_screen_serve = {
    .name = "Serve",
    .keys = &tui_keys_serve,
    .verbs = sv_verbs,
    .create = sv_create,
    .destroy = sv_destroy,
    .draw = sv_draw,
    .action = sv_action,
    .modal_key = sv_modal_key,
};
