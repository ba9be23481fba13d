/* screen_runs: the Runs screen — experiments and runs of the tracking store (read on worker
 * threads), sorting, MLflow filters, a run's details, and Compare of marked runs. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wchar.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "compare.h"
#include "curve.h"
#include "draw.h"
#include "filter.h"
#include "fmt.h"
#include "numfmt.h"
#include "plot.h"
#include "runlist.h"
#include "store.h"

enum { FOCUS_EXPS = 0, FOCUS_RUNS, FOCUS_COUNT };
enum { JOB_NONE = 0, JOB_LOAD, JOB_DETAIL, JOB_COMPARE };
/* Chart points kept per curve (two per bucket). */
#define CURVE_BUCKETS 200
#define MAX_ARTIFACTS 64
#define CMP_CURVES    2
static const tui_slot series_slot[4] = {TUI_SLOT_CHART_1, TUI_SLOT_CHART_2, TUI_SLOT_CHART_3,
                                        TUI_SLOT_CHART_4};

/* ---- worker results ---- */

typedef struct {
    char store[1024];
    char filter[1024];
    char id[64];
    char (*ids)[33];
    size_t nids;
} job_arg;

typedef struct {
    ll_status st;
    ll_error err;
    int missing; /* no store there yet */
    ll_experiment_list exps;
    ll_run_list runs;
    double ms;
} load_res;

typedef struct {
    ll_status st;
    ll_error err;
    ll_run *run;
    char *arts[MAX_ARTIFACTS]; /* "model/MLmodel  1.2 kB" */
    size_t narts;
} detail_res;

typedef struct {
    double *x, *y;
    size_t n;
} xy;

typedef struct {
    ll_status st;
    ll_error err;
    size_t n;
    ll_run **runs;
    char curve_key[CMP_CURVES][32]; /* the metric each learning-curve chart shows */
    xy (*curve)[CMP_CURVES];        /* per run */
    xy *roc;                        /* per run */
} cmp_res;

/* One line of the details pane. */
typedef struct {
    tui_slot slot;
    char text[700];
} dline;
#define MAX_DLINES 512

typedef struct {
    tui_app *app;
    /* the last load */
    ll_experiment_list exps;
    ll_run_list runs;
    int loaded, missing;
    char load_error[1200];
    unsigned loaded_gen;
    size_t *view; /* indexes of the runs shown (experiment chosen, sorted) */
    size_t nview;
    long esel, etop, rsel, rtop;
    int focus;
    int sort_col, sort_desc;
    char filter[1024];      /* the filter of the list shown */
    char want_filter[1024]; /* the filter of the latest load asked for */
    int editing;
    tui_lineedit ed;
    char (*marks)[33];
    size_t nmarks;
    /* jobs in flight, one of each kind; a request meanwhile waits for the running one */
    tui_job *load_job, *detail_job, *cmp_job;
    int pending_load;
    char pending_detail[33];
    /* details */
    int details;
    detail_res *detail;
    long dtop;
    dline *dlines; /* text of the details pane */
    /* compare */
    int comparing, diff_only;
    cmp_res *cmp;
    long ctop;
    int page;
    /* geometry of the last draw (mouse) */
    tui_rect r_exps, r_runs, r_details;
    int col_x[TUI_RL_COUNT], col_w[TUI_RL_COUNT];
} runs_t;

static const tui_verb runs_verbs[] = {
    {"filter", "[EXPR]",
     "Runs: show the runs matching an MLflow filter (quote it: filter \"metrics.auc > 0.7\")"},
    {"sort", "[COLUMN]",
     "Runs: sort by a column (name status start model auc ks logloss "
     "duration; again: reverse)"},
    {"compare", "", "Runs: compare the marked runs"},
    {NULL, NULL, NULL},
};

/* ---- helpers ---- */

static void load_res_free(load_res *r)
{
    if (!r) return;
    ll_store_experiments_free(&r->exps);
    ll_run_list_free(&r->runs);
    free(r);
}

static void detail_free(detail_res *d)
{
    if (!d) return;
    ll_run_free(d->run);
    for (size_t i = 0; i < d->narts; i++) free(d->arts[i]);
    free(d);
}

static void cmp_free(cmp_res *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        ll_run_free(c->runs ? c->runs[i] : NULL);
        for (int k = 0; c->curve && k < CMP_CURVES; k++) {
            free(c->curve[i][k].x);
            free(c->curve[i][k].y);
        }
        if (c->roc) {
            free(c->roc[i].x);
            free(c->roc[i].y);
        }
    }
    free(c->runs);
    free(c->curve);
    free(c->roc);
    free(c);
}

static void arg_free(job_arg *a)
{
    if (!a) return;
    free(a->ids);
    free(a);
}

static int is_marked(const runs_t *d, const char *id)
{
    for (size_t i = 0; i < d->nmarks; i++)
        if (!strcmp(d->marks[i], id)) return 1;
    return 0;
}

static ll_run *current_run(const runs_t *d)
{
    if (!d->nview || d->rsel < 0 || (size_t)d->rsel >= d->nview) return NULL;
    return d->runs.runs[d->view[d->rsel]];
}

static const char *exp_name_of(const runs_t *d, const char *id)
{
    for (size_t i = 0; i < d->exps.n; i++)
        if (!strcmp(d->exps.items[i].id, id)) return d->exps.items[i].name;
    return id;
}

/* Rebuild the view: the runs of the chosen experiment, in the chosen order; the selection
 * goes to run keep when it is there (NULL: the run selected now, while the view is valid). */
static void rebuild_view(runs_t *d, const char *keep_id)
{
    char keep[33] = "";
    ll_run *cur = keep_id ? NULL : current_run(d);
    snprintf(keep, sizeof keep, "%s", keep_id ? keep_id : cur ? cur->run_id : "");
    free(d->view);
    d->view = NULL;
    d->nview = 0;
    if (!d->runs.n) return;
    d->view = malloc(d->runs.n * sizeof *d->view);
    if (!d->view) return;
    const char *exp =
        d->esel > 0 && (size_t)d->esel <= d->exps.n ? d->exps.items[d->esel - 1].id : NULL;
    for (size_t i = 0; i < d->runs.n; i++)
        if (!exp || !strcmp(d->runs.runs[i]->experiment_id, exp)) d->view[d->nview++] = i;
    tui_runlist_sort(d->runs.runs, d->view, d->nview, (tui_rl_col)d->sort_col, d->sort_desc,
                     ll_store_now_ms());
    d->rsel = tui_clamp_cursor(d->rsel, (long)d->nview);
    for (size_t i = 0; keep[0] && i < d->nview; i++)
        if (!strcmp(d->runs.runs[d->view[i]]->run_id, keep)) d->rsel = (long)i;
}

/* ---- jobs ---- */

static void *load_worker(tui_job *job, void *p)
{
    job_arg *a = p;
    load_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    double t0 = tui_now_ms();
    ll_error_clear(&r->err);
    tui_job_progress(job, -1, "reading the store");
    ll_store *st = NULL;
    ll_filter *f = NULL;
    r->st = ll_store_open(a->store, 0, &st, &r->err);
    if (r->st == LL_ENOTFOUND) {
        r->missing = 1;
        r->st = LL_OK;
        r->ms = tui_now_ms() - t0;
        return r;
    }
    if (!r->st && a->filter[0]) r->st = ll_filter_parse(a->filter, &f, &r->err);
    if (!r->st) r->st = ll_store_experiments(st, 0, &r->exps, &r->err);
    if (!r->st) {
        static const char *const keys[] = {"params.model", "metrics.auc", "metrics.ks",
                                           "metrics.logloss"};
        ll_run_query q = {.filter = f, .keys = keys, .nkeys = sizeof keys / sizeof *keys};
        r->st = ll_store_search_runs(st, &q, &r->runs, &r->err);
    }
    ll_filter_free(f);
    ll_store_close(st);
    r->ms = tui_now_ms() - t0;
    return r;
}

static void start_job(runs_t *d, int kind, job_arg *a);
static void start_detail(runs_t *d);

static void load_done(tui_job *job, void *result, void *ud)
{
    runs_t *d = ud;
    load_res *r = result;
    job_arg *a = job->arg;
    tui_app *app = d->app;
    d->load_job = NULL;
    if (!r) {
        tui_app_error(app, "runs: out of memory");
    } else if (r->st) {
        char buf[1400];
        snprintf(d->load_error, sizeof d->load_error, "%s",
                 ll_error_format(&r->err, buf, sizeof buf));
        tui_app_error(app, "runs: %s", d->load_error);
        load_res_free(r);
    } else {
        /* the view indexes the old list: remember the selected run before it goes */
        char keep[33] = "";
        ll_run *cur = current_run(d);
        if (cur) snprintf(keep, sizeof keep, "%s", cur->run_id);
        char keep_exp[256] = "";
        if (d->esel > 0 && (size_t)d->esel <= d->exps.n)
            snprintf(keep_exp, sizeof keep_exp, "%s", d->exps.items[d->esel - 1].id);
        free(d->view);
        d->view = NULL;
        d->nview = 0;
        ll_store_experiments_free(&d->exps);
        ll_run_list_free(&d->runs);
        d->exps = r->exps;
        d->runs = r->runs;
        memset(&r->exps, 0, sizeof r->exps);
        memset(&r->runs, 0, sizeof r->runs);
        d->missing = r->missing;
        d->loaded = 1;
        d->load_error[0] = '\0';
        snprintf(d->filter, sizeof d->filter, "%s", a->filter);
        d->esel = 0;
        for (size_t i = 0; keep_exp[0] && i < d->exps.n; i++)
            if (!strcmp(d->exps.items[i].id, keep_exp)) d->esel = (long)i + 1;
        rebuild_view(d, keep);
        tui_app_debug(app, "runs loaded %zu runs, %zu experiments in %.1f ms", d->runs.n, d->exps.n,
                      r->ms);
        if (a->filter[0])
            tui_app_status(app, "%zu run%s match %s", d->runs.n, d->runs.n == 1 ? "" : "s",
                           a->filter);
        load_res_free(r);
    }
    arg_free(a);
    if (d->pending_load) {
        d->pending_load = 0;
        job_arg *na = calloc(1, sizeof *na);
        if (na) {
            snprintf(na->store, sizeof na->store, "%s", app->store);
            snprintf(na->filter, sizeof na->filter, "%s", d->want_filter);
            start_job(d, JOB_LOAD, na);
            d->loaded_gen = app->store_gen;
        }
    }
    tui_app_touch(app, &tui_screen_runs);
}

/* Artifact files under dir (one level of subdirectories), with their sizes. */
static void list_artifacts(detail_res *r, const char *dir, const char *prefix, int depth)
{
    DIR *dp = opendir(dir);
    if (!dp) return;
    struct dirent *de;
    while ((de = readdir(dp)) && r->narts < MAX_ARTIFACTS) {
        if (de->d_name[0] == '.') continue;
        char path[PATH_MAX], shown[600];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(path, &sb)) continue;
        if (S_ISDIR(sb.st_mode)) {
            snprintf(shown, sizeof shown, "%s%s/", prefix, de->d_name);
            r->arts[r->narts++] = strdup(shown);
            if (depth < 1) list_artifacts(r, path, shown, depth + 1);
        } else {
            char sz[32];
            snprintf(shown, sizeof shown, "%s%s  %s", prefix, de->d_name,
                     tui_fmt_bytes((double)sb.st_size, sz, sizeof sz));
            r->arts[r->narts++] = strdup(shown);
        }
    }
    closedir(dp);
}

static void *detail_worker(tui_job *job, void *p)
{
    job_arg *a = p;
    detail_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    ll_error_clear(&r->err);
    ll_store *st = NULL;
    r->st = ll_store_open(a->store, 0, &st, &r->err);
    if (!r->st) r->st = ll_store_get_run(st, a->id, &r->run, &r->err);
    if (!r->st) {
        char dir[PATH_MAX];
        ll_error e;
        if (!ll_store_run_artifact_path(st, r->run, NULL, dir, sizeof dir, &e))
            list_artifacts(r, dir, "", 0);
    }
    ll_store_close(st);
    return r;
}

static void detail_done(tui_job *job, void *result, void *ud)
{
    runs_t *d = ud;
    detail_res *r = result;
    d->detail_job = NULL;
    if (!r || r->st) {
        char buf[1400];
        tui_app_error(d->app, "details: %s",
                      r ? ll_error_format(&r->err, buf, sizeof buf) : "out of memory");
        detail_free(r);
    } else {
        detail_free(d->detail);
        d->detail = r;
        d->dtop = 0;
    }
    arg_free(job->arg);
    /* the cursor moved on meanwhile: read the run it is on now */
    if (d->pending_detail[0]) {
        d->pending_detail[0] = '\0';
        if (d->details) start_detail(d);
    }
    tui_app_touch(d->app, &tui_screen_runs);
}

/* A metric history as chart points (thinned). */
static void history(ll_store *st, const ll_run *r, const char *key, xy *out)
{
    ll_metric_point *pts = NULL;
    size_t n = 0;
    ll_error e;
    if (ll_store_metric_history(st, r, key, &pts, &n, &e) || !n) {
        free(pts);
        return;
    }
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    out->x = malloc(2 * CURVE_BUCKETS * sizeof *out->x);
    out->y = malloc(2 * CURVE_BUCKETS * sizeof *out->y);
    if (x && y && out->x && out->y) {
        for (size_t i = 0; i < n; i++) {
            x[i] = (double)pts[i].step;
            y[i] = pts[i].value;
        }
        out->n = tui_curve_thin(x, y, n, CURVE_BUCKETS, out->x, out->y);
    }
    free(x);
    free(y);
    free(pts);
}

/* fpr/tpr of artifacts/roc_curve.json (nulls as NaN). */
static void read_roc(ll_store *st, const ll_run *r, xy *out)
{
    char path[PATH_MAX];
    ll_error e;
    if (ll_store_run_artifact_path(st, r, "roc_curve.json", path, sizeof path, &e)) return;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) break;
            buf = nb;
        }
        size_t k = fread(buf + len, 1, cap - len - 1, f);
        if (!k) break;
        len += k;
    }
    fclose(f);
    if (!buf) return;
    buf[len] = '\0';
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    const cJSON *fx = cJSON_GetObjectItemCaseSensitive(j, "fpr");
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(j, "tpr");
    int n = cJSON_IsArray(fx) && cJSON_IsArray(ty) ? cJSON_GetArraySize(fx) : 0;
    if (n > 0 && n == cJSON_GetArraySize(ty)) {
        out->x = malloc((size_t)n * sizeof *out->x);
        out->y = malloc((size_t)n * sizeof *out->y);
        if (out->x && out->y) {
            for (int i = 0; i < n; i++) {
                const cJSON *a = cJSON_GetArrayItem(fx, i), *b = cJSON_GetArrayItem(ty, i);
                out->x[i] = cJSON_IsNumber(a) ? a->valuedouble : NAN;
                out->y[i] = cJSON_IsNumber(b) ? b->valuedouble : NAN;
            }
            out->n = (size_t)n;
        }
    }
    cJSON_Delete(j);
}

static void *compare_worker(tui_job *job, void *p)
{
    job_arg *a = p;
    cmp_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    ll_error_clear(&r->err);
    tui_job_progress(job, -1, "reading the runs");
    ll_store *st = NULL;
    r->st = ll_store_open(a->store, 0, &st, &r->err);
    if (r->st) return r;
    r->runs = calloc(a->nids, sizeof *r->runs);
    r->curve = calloc(a->nids, sizeof *r->curve);
    r->roc = calloc(a->nids, sizeof *r->roc);
    if (!r->runs || !r->curve || !r->roc) {
        r->st = ll_error_set(&r->err, LL_ENOMEM, "out of memory");
        ll_store_close(st);
        return r;
    }
    for (size_t i = 0; i < a->nids && !r->st; i++) {
        r->st = ll_store_get_run(st, a->ids[i], &r->runs[i], &r->err);
        if (!r->st) r->n++;
        if (tui_job_cancelled(job)) r->st = ll_error_set(&r->err, LL_ECANCELLED, "cancelled");
    }
    /* valid_auc when any run watched validation rows, else the training AUC */
    int any_valid = 0;
    for (size_t i = 0; i < r->n; i++) any_valid |= ll_run_metric(r->runs[i], "valid_auc") != NULL;
    snprintf(r->curve_key[0], sizeof r->curve_key[0], "%s", any_valid ? "valid_auc" : "train_auc");
    snprintf(r->curve_key[1], sizeof r->curve_key[1], "train_logloss");
    for (size_t i = 0; i < r->n && !r->st; i++) {
        for (int k = 0; k < CMP_CURVES; k++)
            history(st, r->runs[i], r->curve_key[k], &r->curve[i][k]);
        read_roc(st, r->runs[i], &r->roc[i]);
        tui_job_progress(job, (double)(i + 1) / (double)r->n, "reading the runs");
    }
    ll_store_close(st);
    return r;
}

static void compare_done(tui_job *job, void *result, void *ud)
{
    runs_t *d = ud;
    cmp_res *r = result;
    d->cmp_job = NULL;
    if (!r || r->st) {
        char buf[1400];
        if (!r || r->st != LL_ECANCELLED)
            tui_app_error(d->app, "compare: %s",
                          r ? ll_error_format(&r->err, buf, sizeof buf) : "out of memory");
        cmp_free(r);
    } else {
        cmp_free(d->cmp);
        d->cmp = r;
        d->comparing = 1;
        d->ctop = 0;
        tui_app_status(d->app, "comparing %zu runs (d: only differing params, Esc: back)", r->n);
    }
    arg_free(job->arg);
    tui_app_touch(d->app, &tui_screen_runs);
}

static void start_job(runs_t *d, int kind, job_arg *a)
{
    tui_job **slot = kind == JOB_LOAD     ? &d->load_job
                     : kind == JOB_DETAIL ? &d->detail_job
                                          : &d->cmp_job;
    if (*slot) {
        /* one at a time: the running one is followed by a fresh one */
        if (kind == JOB_LOAD) d->pending_load = 1;
        if (kind == JOB_DETAIL)
            snprintf(d->pending_detail, sizeof d->pending_detail, "%.32s", a->id);
        if (kind == JOB_COMPARE) tui_app_status(d->app, "still reading the runs to compare");
        arg_free(a);
        return;
    }
    tui_job_fn fn = kind == JOB_LOAD     ? load_worker
                    : kind == JOB_DETAIL ? detail_worker
                                         : compare_worker;
    tui_job_done_fn done = kind == JOB_LOAD     ? load_done
                           : kind == JOB_DETAIL ? detail_done
                                                : compare_done;
    const char *name = kind == JOB_LOAD     ? "read runs"
                       : kind == JOB_DETAIL ? "run details"
                                            : "compare runs";
    tui_job *job = tui_job_start(&d->app->jobs, name, fn, a, done, d);
    if (!job) {
        arg_free(a);
        tui_app_error(d->app, "cannot start a worker thread");
        return;
    }
    *slot = job;
}

static void start_load(runs_t *d, const char *filter)
{
    job_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    snprintf(a->store, sizeof a->store, "%s", d->app->store);
    snprintf(a->filter, sizeof a->filter, "%s", filter);
    if (filter != d->want_filter) snprintf(d->want_filter, sizeof d->want_filter, "%s", filter);
    d->loaded_gen = d->app->store_gen;
    start_job(d, JOB_LOAD, a);
}

static void start_detail(runs_t *d)
{
    ll_run *r = current_run(d);
    if (!r) return;
    if (d->detail && !strcmp(d->detail->run->run_id, r->run_id)) return;
    if (d->detail_job) {
        snprintf(d->pending_detail, sizeof d->pending_detail, "%s", r->run_id);
        return;
    }
    job_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    snprintf(a->store, sizeof a->store, "%s", d->app->store);
    snprintf(a->id, sizeof a->id, "%s", r->run_id);
    start_job(d, JOB_DETAIL, a);
}

static void start_compare(runs_t *d)
{
    if (d->nmarks < 2) {
        tui_app_error(d->app, "mark two or more runs with Space first (%zu marked)", d->nmarks);
        return;
    }
    job_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    a->ids = malloc(d->nmarks * sizeof *a->ids);
    if (!a->ids) {
        free(a);
        return;
    }
    memcpy(a->ids, d->marks, d->nmarks * sizeof *a->ids);
    a->nids = d->nmarks;
    snprintf(a->store, sizeof a->store, "%s", d->app->store);
    start_job(d, JOB_COMPARE, a);
    tui_app_status(d->app, "reading %zu runs for Compare ...", d->nmarks);
}

/* ---- pane ---- */

static void *runs_create(tui_app *app)
{
    runs_t *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->app = app;
    d->focus = FOCUS_RUNS;
    d->sort_col = TUI_RL_START;
    d->sort_desc = 1;
    /* read the store at once, on a worker: the list is ready when the screen is opened */
    start_load(d, "");
    return d;
}

static void runs_destroy(void *self)
{
    runs_t *d = self;
    if (!d) return;
    ll_store_experiments_free(&d->exps);
    ll_run_list_free(&d->runs);
    free(d->view);
    free(d->marks);
    detail_free(d->detail);
    cmp_free(d->cmp);
    free(d->dlines);
    tui_lineedit_free(&d->ed);
    free(d);
}

static void runs_update(void *self, tui_app *app)
{
    runs_t *d = self;
    if (!d) return;
    if (d->loaded_gen != app->store_gen) start_load(d, d->want_filter);
    if (d->details) start_detail(d);
}

static void runs_resize(void *self, tui_app *app, tui_rect r)
{
    runs_t *d = self;
    if (d) d->page = r.h > 8 ? r.h - 8 : 1;
}

/* ---- drawing: list ---- */

static void draw_exps(runs_t *d, tui_rect r)
{
    tui_draw_box(r, d->focus == FOCUS_EXPS ? TUI_SLOT_PANE_BORDER_FOCUS : TUI_SLOT_PANE_BORDER,
                 "Experiments", TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    long rows = (long)d->exps.n + 1;
    d->etop = tui_scroll_follow(d->etop, d->esel, in.h, rows);
    for (int i = 0; i < in.h && d->etop + i < rows; i++) {
        long k = d->etop + i;
        int y = in.y + i;
        tui_slot s = k == d->esel
                         ? (d->focus == FOCUS_EXPS ? TUI_SLOT_SELECTION : TUI_SLOT_SELECTION_DIM)
                         : TUI_SLOT_TEXT;
        size_t count = 0;
        const char *name = "(all)";
        if (k == 0) {
            count = d->runs.n;
        } else {
            const ll_experiment *e = &d->exps.items[k - 1];
            name = e->name;
            for (size_t j = 0; j < d->runs.n; j++)
                count += !strcmp(d->runs.runs[j]->experiment_id, e->id);
        }
        char num[32];
        tui_fmt_count(count, num, sizeof num);
        tui_draw_fill(y, in.x, in.w, s);
        int nw = (int)strlen(num);
        tui_draw_text(y, in.x + 1, in.w - nw - 3, s, name, TUI_ALIGN_LEFT);
        tui_draw_str(y, in.x + in.w - nw - 1, nw, s, num);
    }
}

static const int col_want[TUI_RL_COUNT] = {22, 8, 16, 6, 6, 6, 7, 8};
static const int col_prio[TUI_RL_COUNT] = {0, 1, 4, 2, 3, 5, 6, 7};

static void draw_table(runs_t *d, tui_rect r)
{
    char title[1400], num[32];
    const tui_glyphs *G = tui_draw_glyphs();
    if (d->missing)
        snprintf(title, sizeof title, "Runs: no store at %s yet", d->app->store);
    else
        snprintf(title, sizeof title, "Runs: %s%s%.900s, %zu marked, by %s %s%s",
                 tui_fmt_count(d->nview, num, sizeof num), d->filter[0] ? " matching " : "",
                 d->filter, d->nmarks, tui_runlist_header((tui_rl_col)d->sort_col),
                 d->sort_desc ? G->down : G->up, d->load_job ? " (reading...)" : "");
    tui_draw_box(r, d->focus == FOCUS_RUNS ? TUI_SLOT_PANE_BORDER_FOCUS : TUI_SLOT_PANE_BORDER,
                 title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    int y = in.y;
    if (d->editing) {
        /* the filter being typed, on the first row of the table */
        const char *lead = "filter: ";
        tui_draw_fill(y, in.x, in.w, TUI_SLOT_PROMPT);
        int lw = tui_draw_str(y, in.x + 1, in.w - 1, TUI_SLOT_HEADER, lead);
        int avail = in.w - 2 - lw;
        size_t start = 0;
        while (tui_text_width(d->ed.buf + start, d->ed.cur - start) >= avail && start < d->ed.cur) {
            start++;
            while (start < d->ed.cur && ((unsigned char)d->ed.buf[start] & 0xC0) == 0x80) start++;
        }
        int x0 = in.x + 1 + lw;
        tui_draw_str(y, x0, avail, TUI_SLOT_PROMPT, d->ed.buf + start);
        tui_draw_str(y, x0 + tui_text_width(d->ed.buf + start, d->ed.cur - start), 1,
                     TUI_SLOT_SELECTION,
                     d->ed.cur < d->ed.len ? (char[2]){d->ed.buf[d->ed.cur], 0} : " ");
        y++;
    }
    if (!d->loaded) {
        tui_draw_text(y, in.x + 1, in.w - 2, TUI_SLOT_TEXT_DIM,
                      d->load_error[0] ? d->load_error : "reading the store...", TUI_ALIGN_LEFT);
        return;
    }
    if (d->missing) {
        tui_draw_text(y, in.x + 1, in.w - 2, TUI_SLOT_TEXT_DIM,
                      "no runs yet: training (screen 2 or :train) creates the store",
                      TUI_ALIGN_LEFT);
        return;
    }
    int shown[TUI_RL_COUNT];
    tui_layout_columns(col_want, col_prio, TUI_RL_COUNT, in.w - 4, 40, shown);
    int x = in.x + 3;
    for (int c = 0; c < TUI_RL_COUNT; c++) {
        d->col_x[c] = x;
        d->col_w[c] = shown[c];
        if (!shown[c]) continue;
        char h[32];
        snprintf(h, sizeof h, "%s%s", tui_runlist_header((tui_rl_col)c),
                 c == d->sort_col ? (d->sort_desc ? G->down : G->up) : "");
        tui_draw_text(y, x, shown[c], TUI_SLOT_HEADER, h,
                      tui_runlist_numeric((tui_rl_col)c) ? TUI_ALIGN_RIGHT : TUI_ALIGN_LEFT);
        x += shown[c] + 1;
    }
    y++;
    int rows = in.y + in.h - y;
    if (rows < 1) return;
    d->rtop = tui_scroll_follow(d->rtop, d->rsel, rows, (long)d->nview);
    long long now = ll_store_now_ms();
    for (int i = 0; i < rows && d->rtop + i < (long)d->nview; i++) {
        long k = d->rtop + i;
        const ll_run *run = d->runs.runs[d->view[k]];
        int sel = k == d->rsel;
        tui_slot s = sel ? (d->focus == FOCUS_RUNS ? TUI_SLOT_SELECTION : TUI_SLOT_SELECTION_DIM)
                         : TUI_SLOT_TEXT;
        tui_draw_fill(y + i, in.x, in.w, s);
        if (is_marked(d, run->run_id))
            tui_draw_str(y + i, in.x + 1, 1, sel ? s : TUI_SLOT_TARGET, G->loaded);
        for (int c = 0; c < TUI_RL_COUNT; c++) {
            if (!d->col_w[c]) continue;
            char cell[300];
            tui_runlist_cell(run, (tui_rl_col)c, now, cell, sizeof cell);
            tui_slot cs = s;
            if (!sel && c == TUI_RL_STATUS) {
                const char *st = ll_run_status_name(run);
                cs = !strcmp(st, "FINISHED")  ? TUI_SLOT_METRIC_GOOD
                     : !strcmp(st, "RUNNING") ? TUI_SLOT_CHART_1
                                              : TUI_SLOT_METRIC_BAD;
            }
            tui_draw_text(y + i, d->col_x[c], d->col_w[c], cs, cell,
                          tui_runlist_numeric((tui_rl_col)c) ? TUI_ALIGN_RIGHT : TUI_ALIGN_LEFT);
        }
    }
    if (!d->nview)
        tui_draw_text(y, in.x + 1, in.w - 2, TUI_SLOT_TEXT_DIM,
                      d->filter[0] ? "no run matches the filter (f changes it)" : "no runs",
                      TUI_ALIGN_LEFT);
}

static size_t detail_lines(const runs_t *d, dline *out, size_t max)
{
    size_t n = 0;
    const ll_run *r = d->detail ? d->detail->run : NULL;
    if (!r) return 0;
#define ADD(sl, ...)                                                                               \
    do {                                                                                           \
        if (n < max) {                                                                             \
            out[n].slot = sl;                                                                      \
            snprintf(out[n].text, sizeof out[n].text, __VA_ARGS__);                                \
            n++;                                                                                   \
        }                                                                                          \
    } while (0)
    char when[64], dur[32];
    tui_runlist_cell(r, TUI_RL_START, ll_store_now_ms(), when, sizeof when);
    tui_runlist_cell(r, TUI_RL_DURATION, ll_store_now_ms(), dur, sizeof dur);
    ADD(TUI_SLOT_TEXT, "run %s  %s  experiment %s", r->run_id, ll_run_status_name(r),
        exp_name_of(d, r->experiment_id));
    ADD(TUI_SLOT_TEXT_DIM, "started %s, took %s, user %s", when, dur,
        r->user_id ? r->user_id : "-");
    ADD(TUI_SLOT_HEADER, "Params (%zu)", r->nparams);
    for (size_t i = 0; i < r->nparams; i++)
        ADD(TUI_SLOT_TEXT, "  %-20s %s", r->params[i].key, r->params[i].value);
    ADD(TUI_SLOT_HEADER, "Metrics (%zu, latest value)", r->nmetrics);
    for (size_t i = 0; i < r->nmetrics; i++) {
        char v[64];
        char st[40] = "";
        if (r->metrics[i].step > 0) snprintf(st, sizeof st, "  (step %lld)", r->metrics[i].step);
        ADD(TUI_SLOT_TEXT, "  %-20s %.10s%s", r->metrics[i].key,
            ll_numfmt_double(r->metrics[i].value, v, sizeof v), st);
    }
    ADD(TUI_SLOT_HEADER, "Tags (%zu)", r->ntags);
    for (size_t i = 0; i < r->ntags; i++)
        ADD(TUI_SLOT_TEXT, "  %-20s %s", r->tags[i].key, r->tags[i].value);
    ADD(TUI_SLOT_HEADER, "Artifacts (%zu)", d->detail->narts);
    for (size_t i = 0; i < d->detail->narts; i++) ADD(TUI_SLOT_TEXT, "  %s", d->detail->arts[i]);
#undef ADD
    return n;
}

static void draw_details(runs_t *d, tui_rect r)
{
    tui_draw_box(r, TUI_SLOT_PANE_BORDER, "Details (Enter or Esc hides them)", TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    ll_run *cur = current_run(d);
    if (!d->detail || !cur || strcmp(d->detail->run->run_id, cur->run_id)) {
        tui_draw_text(in.y, in.x + 1, in.w - 2, TUI_SLOT_TEXT_DIM, "reading the run...",
                      TUI_ALIGN_LEFT);
        return;
    }
    if (!d->dlines) d->dlines = malloc(MAX_DLINES * sizeof *d->dlines);
    if (!d->dlines) return;
    dline *lines = d->dlines;
    size_t n = detail_lines(d, lines, MAX_DLINES);
    if (in.w < 100) {
        long maxtop = (long)n - in.h;
        if (d->dtop > maxtop) d->dtop = maxtop;
        if (d->dtop < 0) d->dtop = 0;
        for (int i = 0; i < in.h && d->dtop + i < (long)n; i++)
            tui_draw_text(in.y + i, in.x + 1, in.w - 2, lines[d->dtop + i].slot,
                          lines[d->dtop + i].text, TUI_ALIGN_LEFT);
        return;
    }
    /* wide: three columns scrolled together — the run and its params | its metrics | its
     * artifacts, then its tags */
    size_t m = n, t = n, a = n;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(lines[i].text, "Metrics (", 9)) m = i;
        if (!strncmp(lines[i].text, "Tags (", 6)) t = i;
        if (!strncmp(lines[i].text, "Artifacts (", 11)) a = i;
    }
    size_t col[3][2] = {{0, m}, {m, t}, {a, n}}; /* then tags [t, a) after the artifacts */
    long h3 = (long)(n - a) + (long)(a - t), longest = (long)m;
    if ((long)(t - m) > longest) longest = (long)(t - m);
    if (h3 > longest) longest = h3;
    long maxtop = longest - in.h;
    if (d->dtop > maxtop) d->dtop = maxtop;
    if (d->dtop < 0) d->dtop = 0;
    int cw = (in.w - 1) / 3;
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < in.h; i++) {
            size_t k = (size_t)(d->dtop + i);
            const dline *l = NULL;
            if (col[c][0] + k < col[c][1])
                l = &lines[col[c][0] + k];
            else if (c == 2 && t + (k - (n - a)) < a)
                l = &lines[t + (k - (n - a))];
            if (!l) break;
            tui_draw_text(in.y + i, in.x + 1 + c * cw, cw - 1, l->slot, l->text, TUI_ALIGN_LEFT);
        }
    }
}

/* ---- drawing: compare ---- */

/* Width of each run's column in the params/metrics tables. */
static void draw_compare(runs_t *d, tui_rect r)
{
    cmp_res *c = d->cmp;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    tui_cmp_param *pr = NULL;
    tui_cmp_metric *mr = NULL;
    size_t np = tui_compare_params(c->runs, c->n, d->diff_only, &pr);
    size_t nm = tui_compare_metrics(c->runs, c->n, &mr);
    if (np == (size_t)-1) np = 0;
    if (nm == (size_t)-1) nm = 0;
    size_t ndiff = 0;
    tui_cmp_param *all = NULL;
    size_t na = tui_compare_params(c->runs, c->n, 1, &all);
    if (na != (size_t)-1) ndiff = na;
    free(all);
    char title[300];
    snprintf(title, sizeof title, "Compare: %zu runs, %zu params differ (d: %s)", c->n, ndiff,
             d->diff_only ? "all" : "only those");
    int tw = r.w * 11 / 20;
    if (tw < 50) tw = r.w;
    tui_rect tr = {r.y, r.x, r.h, tw}, cr = {r.y, r.x + tw, r.h, r.w - tw};
    tui_draw_box(tr, TUI_SLOT_PANE_BORDER_FOCUS, title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(tr);
    int kw = 20, vw = (in.w - kw - 2) / (int)(c->n ? c->n : 1);
    if (vw > 24) vw = 24;
    if (vw < 8) vw = 8;
    int y = in.y;
    /* header: the runs with their chart colours */
    tui_draw_text(y, in.x + 1, kw, TUI_SLOT_HEADER, "run", TUI_ALIGN_LEFT);
    for (size_t i = 0; i < c->n; i++) {
        int x = in.x + 1 + kw + 1 + (int)i * vw;
        if (x + vw > in.x + in.w) break;
        char h[300];
        snprintf(h, sizeof h, "#%zu %s", i + 1, c->runs[i]->run_name);
        tui_draw_text(y, x, vw - 1, series_slot[i % 4], h, TUI_ALIGN_LEFT);
    }
    y++;
    /* params, then metrics, scrolled together */
    long total = (long)(np + nm) + 3;
    int rows = in.y + in.h - y;
    long maxtop = total - rows;
    if (d->ctop > maxtop) d->ctop = maxtop;
    if (d->ctop < 0) d->ctop = 0;
    for (int i = 0; i < rows; i++) {
        long k = d->ctop + i;
        int yy = y + i;
        if (k == 0) {
            tui_draw_text(yy, in.x + 1, in.w - 2, TUI_SLOT_HEADER,
                          d->diff_only ? "Params that differ" : "Params", TUI_ALIGN_LEFT);
            continue;
        }
        k--;
        if (k < (long)np) {
            const tui_cmp_param *p = &pr[k];
            tui_draw_text(yy, in.x + 1, kw, p->equal ? TUI_SLOT_TEXT_DIM : TUI_SLOT_TEXT, p->key,
                          TUI_ALIGN_LEFT);
            for (size_t j = 0; j < c->n; j++) {
                int x = in.x + 1 + kw + 1 + (int)j * vw;
                if (x + vw > in.x + in.w) break;
                const char *v = ll_run_param(c->runs[j], p->key);
                tui_draw_text(yy, x, vw - 1, p->equal ? TUI_SLOT_TEXT_DIM : TUI_SLOT_TEXT,
                              v ? v : "-", TUI_ALIGN_LEFT);
            }
            continue;
        }
        k -= (long)np;
        if (k == 0) continue;
        if (k == 1) {
            tui_draw_text(yy, in.x + 1, in.w - 2, TUI_SLOT_HEADER, "Metrics (best highlighted)",
                          TUI_ALIGN_LEFT);
            continue;
        }
        k -= 2;
        if (k >= (long)nm) break;
        const tui_cmp_metric *m = &mr[k];
        tui_draw_text(yy, in.x + 1, kw, TUI_SLOT_TEXT, m->key, TUI_ALIGN_LEFT);
        for (size_t j = 0; j < c->n; j++) {
            int x = in.x + 1 + kw + 1 + (int)j * vw;
            if (x + vw > in.x + in.w) break;
            const ll_metric *mv = ll_run_metric(c->runs[j], m->key);
            char v[32] = "-";
            if (mv) tui_fmt_num(mv->value, vw - 2, v, sizeof v);
            tui_draw_text(yy, x, vw - 1, m->best == (long)j ? TUI_SLOT_METRIC_GOOD : TUI_SLOT_TEXT,
                          v, TUI_ALIGN_LEFT);
        }
    }
    free(pr);
    free(mr);
    if (cr.w < 20) return;
    /* the charts: two learning curves and the ROC curves, one colour per run */
    tui_draw_box(cr, TUI_SLOT_PANE_BORDER, "Curves", TUI_SLOT_PANE_TITLE);
    tui_rect ci = tui_rect_inner(cr);
    ci.x += 1;
    ci.w -= 1;
    int h = ci.h / 3;
    tui_plot_line lines[17];
    char label[16][8];
    size_t nl = c->n < 16 ? c->n : 16;
    for (size_t i = 0; i < nl; i++) snprintf(label[i], sizeof label[i], "#%zu", i + 1);
    for (int k = 0; k < CMP_CURVES; k++) {
        for (size_t i = 0; i < nl; i++)
            lines[i] = (tui_plot_line){label[i],
                                       {c->curve[i][k].x, c->curve[i][k].y, c->curve[i][k].n},
                                       series_slot[i % 4]};
        char t[64];
        snprintf(t, sizeof t, "%s by step", c->curve_key[k]);
        tui_plot_opts o = {.title = t, .pad = 0.05};
        tui_plot_draw((tui_rect){ci.y + k * h, ci.x, h - 1, ci.w}, &o, lines, (int)nl);
    }
    double diag[2] = {0, 1};
    lines[0] = (tui_plot_line){"chance", {diag, diag, 2}, TUI_SLOT_TEXT_DIM};
    for (size_t i = 0; i < nl; i++)
        lines[i + 1] =
            (tui_plot_line){label[i], {c->roc[i].x, c->roc[i].y, c->roc[i].n}, series_slot[i % 4]};
    tui_plot_opts o = {.title = "ROC (test rows)",
                       .fixed_x = 1,
                       .xlo = 0,
                       .xhi = 1,
                       .fixed_y = 1,
                       .ylo = 0,
                       .yhi = 1};
    tui_plot_draw((tui_rect){ci.y + 2 * h, ci.x, ci.h - 2 * h, ci.w}, &o, lines, (int)nl + 1);
}

static void runs_draw(void *self, tui_app *app, tui_rect r)
{
    runs_t *d = self;
    if (!d) return;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    if (d->comparing && d->cmp) {
        draw_compare(d, r);
        return;
    }
    int ew = r.w >= 110 ? 26 : 20;
    int th = d->details ? r.h / 2 : r.h;
    d->r_exps = (tui_rect){r.y, r.x, th, ew};
    d->r_runs = (tui_rect){r.y, r.x + ew, th, r.w - ew};
    d->r_details = (tui_rect){r.y + th, r.x, r.h - th, r.w};
    draw_exps(d, d->r_exps);
    draw_table(d, d->r_runs);
    if (d->details) draw_details(d, d->r_details);
}

/* ---- keys ---- */

static void filter_accept(runs_t *d)
{
    char text[TUI_LINE_MAX];
    snprintf(text, sizeof text, "%s", d->ed.buf);
    d->editing = 0;
    tui_lineedit_remember(&d->ed, text);
    ll_filter *f = NULL;
    ll_error err;
    ll_error_clear(&err);
    if (text[0] && ll_filter_parse(text, &f, &err)) {
        /* the message names the position: "at position 14: expected ..." */
        tui_app_error(d->app, "filter: %s", err.msg);
        return;
    }
    ll_filter_free(f);
    start_load(d, text);
    tui_app_status(d->app, text[0] ? "filtering ..." : "every run");
}

static int runs_modal_key(void *self, tui_app *app, int key, int is_char)
{
    runs_t *d = self;
    if (!d) return 0;
    if (d->editing) {
        if (is_char && key >= 32 && key != 127) {
            char mb[MB_LEN_MAX];
            mbstate_t st;
            memset(&st, 0, sizeof st);
            size_t n = wcrtomb(mb, (wchar_t)key, &st);
            if (n != (size_t)-1 && tui_lineedit_insert(&d->ed, mb, n))
                tui_app_error(app, "the filter is too long");
            return 1;
        }
        const tui_binding *b = tui_keytable_lookup(&tui_keys_edit, key);
        if (!b) return 1;
        if (!strcmp(b->action, "accept"))
            filter_accept(d);
        else if (!strcmp(b->action, "abort"))
            d->editing = 0;
        else
            tui_lineedit_action(&d->ed, b->action);
        return 1;
    }
    if (d->comparing) {
        /* Compare's own table first; the rest falls through to the Runs and global tables */
        const tui_binding *b = tui_keytable_lookup(&tui_keys_compare, key);
        if (b) {
            tui_app_exec(app, b->action);
            return 1;
        }
    }
    return 0;
}

static void move_cursor(runs_t *d, long delta, int absolute)
{
    if (d->focus == FOCUS_EXPS) {
        long old = d->esel;
        d->esel = tui_clamp_cursor(absolute ? delta : d->esel + delta, (long)d->exps.n + 1);
        if (d->esel != old) {
            d->rsel = 0;
            rebuild_view(d, NULL);
        }
    } else {
        d->rsel = tui_clamp_cursor(absolute ? delta : d->rsel + delta, (long)d->nview);
        if (d->details) start_detail(d);
    }
}

static void set_sort(runs_t *d, int col, int toggle)
{
    if (toggle && col == d->sort_col)
        d->sort_desc = !d->sort_desc;
    else {
        d->sort_col = col;
        d->sort_desc = tui_runlist_numeric((tui_rl_col)col) || col == TUI_RL_START;
        /* lower is better for a loss: best first */
        if (col == TUI_RL_LOGLOSS) d->sort_desc = 0;
    }
    rebuild_view(d, NULL);
    const tui_glyphs *G = tui_draw_glyphs();
    tui_app_status(d->app, "sorted by %s %s", tui_runlist_header((tui_rl_col)d->sort_col),
                   d->sort_desc ? G->down : G->up);
}

static int runs_action(void *self, tui_app *app, int argc, char **argv)
{
    runs_t *d = self;
    if (!d) return 0;
    const char *v = argv[0], *a = argc > 1 ? argv[1] : "";
    long page = d->page > 1 ? d->page : 1;
    /* `compare RUN...` with run ids is the command table's compare (output pane) */
    if (!strcmp(v, "compare") && argc > 1) return 0;
    if (d->comparing && strcmp(v, "reload") && strcmp(v, "filter")) {
        if (!strcmp(v, "back") || !strcmp(v, "compare")) {
            d->comparing = 0;
        } else if (!strcmp(v, "diff-only")) {
            d->diff_only = !d->diff_only;
            d->ctop = 0;
            tui_app_status(app,
                           d->diff_only ? "params: only those that differ" : "params: all of them");
        } else if (!strcmp(v, "scroll") || !strcmp(v, "cursor")) {
            if (!strcmp(a, "top"))
                d->ctop = 0;
            else if (!strcmp(a, "bottom"))
                d->ctop = LONG_MAX / 4;
            else
                d->ctop += !strcmp(a, "up") ? -1 : 1;
        } else if (!strcmp(v, "page")) {
            d->ctop += !strcmp(a, "up") ? -page : page;
        } else if (!strcmp(v, "focus") || !strcmp(v, "mark") || !strcmp(v, "sort") ||
                   !strcmp(v, "details") || !strcmp(v, "unmark") || !strcmp(v, "close") ||
                   !strcmp(v, "search")) {
            tui_app_status(app, "Esc goes back to the list of runs first");
        } else {
            return 0;
        }
        if (d->ctop < 0) d->ctop = 0;
        return 1;
    }
    if (!strcmp(v, "focus")) {
        d->focus = (d->focus + 1) % FOCUS_COUNT;
    } else if (!strcmp(v, "cursor") && !strcmp(a, "up")) {
        move_cursor(d, -1, 0);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "down")) {
        move_cursor(d, 1, 0);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "top")) {
        move_cursor(d, 0, 1);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "bottom")) {
        move_cursor(d, LONG_MAX / 4, 1);
    } else if (!strcmp(v, "page")) {
        move_cursor(d, !strcmp(a, "up") ? -page : page, 0);
    } else if (!strcmp(v, "details")) {
        d->details = !d->details;
        if (d->details) start_detail(d);
    } else if (!strcmp(v, "close")) {
        d->details = 0;
    } else if (!strcmp(v, "mark")) {
        ll_run *r = current_run(d);
        if (!r) return 1;
        size_t i = 0;
        while (i < d->nmarks && strcmp(d->marks[i], r->run_id)) i++;
        if (i < d->nmarks) {
            memmove(d->marks + i, d->marks + i + 1, (d->nmarks - i - 1) * sizeof *d->marks);
            d->nmarks--;
        } else {
            char(*nm)[33] = realloc(d->marks, (d->nmarks + 1) * sizeof *nm);
            if (!nm) return 1;
            d->marks = nm;
            snprintf(d->marks[d->nmarks++], sizeof *d->marks, "%s", r->run_id);
        }
        tui_app_status(app, "%zu run%s marked (C compares them)", d->nmarks,
                       d->nmarks == 1 ? "" : "s");
        move_cursor(d, 1, 0);
    } else if (!strcmp(v, "unmark")) {
        d->nmarks = 0;
        tui_app_status(app, "no run marked");
    } else if (!strcmp(v, "compare")) {
        start_compare(d);
    } else if (!strcmp(v, "sort")) {
        if (!strcmp(a, "next") || !a[0])
            set_sort(d, (d->sort_col + 1) % TUI_RL_COUNT, 0);
        else if (!strcmp(a, "reverse"))
            set_sort(d, d->sort_col, 1);
        else if (tui_runlist_find(a) >= 0)
            set_sort(d, tui_runlist_find(a), 1);
        else
            tui_app_error(app, "no column '%s' (name status start model auc ks logloss duration)",
                          a);
    } else if (!strcmp(v, "filter")) {
        if (argc > 1) {
            /* the prompt split the words: join them again */
            char line[TUI_LINE_MAX] = "";
            for (int i = 1; i < argc; i++) {
                size_t l = strlen(line);
                snprintf(line + l, sizeof line - l, "%s%s", i > 1 ? " " : "", argv[i]);
            }
            tui_lineedit_set(&d->ed, line);
            filter_accept(d);
        } else {
            tui_lineedit_set(&d->ed, d->filter);
            d->editing = 1;
            d->focus = FOCUS_RUNS;
        }
    } else if (!strcmp(v, "reload")) {
        start_load(d, d->want_filter);
        detail_free(d->detail);
        d->detail = NULL;
        if (d->details) start_detail(d);
    } else if (!strcmp(v, "search")) {
        /* '/' on this screen filters by run name */
        char line[TUI_LINE_MAX];
        snprintf(line, sizeof line, "run_name LIKE '%%%s%%'", a);
        tui_lineedit_set(&d->ed, line);
        filter_accept(d);
    } else {
        return 0;
    }
    return 1;
}

static void runs_mouse(void *self, tui_app *app, int y, int x, int what)
{
    runs_t *d = self;
    if (!d) return;
    if (d->comparing) {
        if (what == TUI_MOUSE_WHEEL_UP) d->ctop -= 3;
        if (what == TUI_MOUSE_WHEEL_DOWN) d->ctop += 3;
        if (d->ctop < 0) d->ctop = 0;
        return;
    }
    if (what != TUI_MOUSE_CLICK) {
        if (tui_rect_contains(d->r_details, y, x) && d->details) {
            d->dtop += what == TUI_MOUSE_WHEEL_UP ? -3 : 3;
            if (d->dtop < 0) d->dtop = 0;
            return;
        }
        int keep = d->focus;
        d->focus = tui_rect_contains(d->r_exps, y, x) ? FOCUS_EXPS : FOCUS_RUNS;
        move_cursor(d, what == TUI_MOUSE_WHEEL_UP ? -3 : 3, 0);
        d->focus = keep;
        return;
    }
    if (tui_rect_contains(d->r_exps, y, x)) {
        tui_rect in = tui_rect_inner(d->r_exps);
        d->focus = FOCUS_EXPS;
        if (y >= in.y) move_cursor(d, d->etop + (y - in.y), 1);
    } else if (tui_rect_contains(d->r_runs, y, x)) {
        tui_rect in = tui_rect_inner(d->r_runs);
        int hy = in.y + (d->editing ? 1 : 0);
        d->focus = FOCUS_RUNS;
        if (y == hy) {
            for (int c = 0; c < TUI_RL_COUNT; c++)
                if (d->col_w[c] && x >= d->col_x[c] && x < d->col_x[c] + d->col_w[c])
                    set_sort(d, c, 1);
        } else if (y > hy) {
            long k = d->rtop + (y - hy - 1);
            if (k < (long)d->nview) move_cursor(d, k, 1);
        }
    }
}

const tui_pane_ops tui_screen_runs = {
    .name = "Runs",
    .keys = &tui_keys_runs,
    .verbs = runs_verbs,
    .create = runs_create,
    .destroy = runs_destroy,
    .update = runs_update,
    .draw = runs_draw,
    .action = runs_action,
    .resize = runs_resize,
    .mouse = runs_mouse,
    .modal_key = runs_modal_key,
};
