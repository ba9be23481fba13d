/* screen_train: the Train screen — a form for one training job, jobs running side by side on
 * worker threads with live progress, curves and a log, and the results of finished runs. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "app.h"
#include "curve.h"
#include "draw.h"
#include "fmt.h"
#include "plot.h"
#include "trainform.h"
#include "trainrun.h"

enum { ST_RUNNING = 0, ST_FINISHED, ST_KILLED, ST_FAILED };
enum { FOCUS_LIST = 0, FOCUS_MAIN };
enum { C_TRAIN_LOSS = 0, C_TRAIN_AUC, C_VALID_LOSS, C_VALID_AUC, C_COUNT };

#define LOG_LINES    300
#define LOG_WIDTH    240
#define TOP_FEATURES 10
/* Points per curve handed to the charts: two per bucket, more than the dots of a wide chart. */
#define CURVE_BUCKETS 256
#define LIST_W        26

/* Progress shared between a worker and the UI thread (the worker writes under mu). */
typedef struct {
    pthread_mutex_t mu;
    int iteration, total;
    double fit_elapsed; /* the learner's seconds */
    double *curve[C_COUNT];
    size_t n, cap;
    char stage[200];
    int stage_id;
    char run_id[33];
    char log[LOG_LINES][LOG_WIDTH];
    size_t nlog; /* lines ever written: the ring holds the last LOG_LINES */
    double last_line_ms;
    ll_fit_progress last_fit; /* the latest iteration, logged or not */
    int last_fit_logged;
} live;

/* What a finished job left for the screen (the model itself is not kept). */
typedef struct {
    ll_metrics mt;
    ll_confusion best;
    double fit_s, oob_auc;
    size_t ntrain, nvalid, ntest;
    double roc_fpr[LL_TRAINRUN_ROC_POINTS], roc_tpr[LL_TRAINRUN_ROC_POINTS];
    size_t roc_n;
    char imp_name[TOP_FEATURES][64];
    double imp_val[TOP_FEATURES];
    int nimp, nf;
    char experiment_id[64];
    int registered;
    long version;
    char reg_stage[32];
    char reg_error[400];
} results;

typedef struct {
    unsigned num;
    char title[64]; /* "#2 gbdt" */
    tui_trainform form;
    ll_trainrun_cfg cfg; /* points into form and store */
    char store[1024];
    live lv;
    tui_job *job;
    unsigned job_id;
    int state;
    double t_start, t_end; /* ms (monotonic) */
    results res;
    int has_res;
    char error[1200];
} entry;

typedef struct {
    ll_status st;
    ll_error err;
    ll_trainrun_result r;
} job_result;

typedef struct {
    tui_app *app;
    tui_trainform form;
    entry **runs; /* oldest first; the list shows the newest first */
    size_t nruns;
    unsigned next_num;
    long sel; /* 0: the form; k: the k-th newest run */
    int focus;
    long field, ftop;
    int editing;
    tui_lineedit ed;
    long log_back; /* lines scrolled back from the end of the log */
    int page;
    unsigned store_seen; /* run ids already announced to the other screens */
    /* view model of the selected run, refreshed by update() */
    int v_iteration, v_total;
    double v_fit_elapsed;
    double v_x[C_COUNT][2 * CURVE_BUCKETS], v_y[C_COUNT][2 * CURVE_BUCKETS];
    size_t v_n[C_COUNT];
    double v_last[C_COUNT];
    char v_stage[200];
    char v_run_id[33];
    char v_log[LOG_LINES][LOG_WIDTH];
    size_t v_nlog;
    /* geometry of the last draw (mouse) */
    tui_rect r_list, r_main;
    int form_y0; /* screen row of field ftop */
} train;

static const tui_verb train_verbs[] = {
    {"set", "FIELD VALUE",
     "Train: set a form field (dataset, target, positive, model, test-file, test-fraction, seed, "
     "experiment, run-name, register, alias, or a model parameter)"},
    {"start", "", "Train: start a training run with the form's values"},
    {"cancel-run", "", "Train: cancel the selected run (recorded KILLED)"},
    {NULL, NULL, NULL},
};

/* ---- the worker ---- */

static void log_add(live *lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_add(live *lv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lv->log[lv->nlog % LOG_LINES], LOG_WIDTH, fmt, ap);
    va_end(ap);
    lv->nlog++;
}

static int curve_reserve(live *lv, size_t need)
{
    if (need <= lv->cap) return 0;
    size_t cap = lv->cap ? lv->cap : 64;
    while (cap < need) cap *= 2;
    for (int c = 0; c < C_COUNT; c++) {
        double *p = realloc(lv->curve[c], cap * sizeof *p);
        if (!p) return -1;
        for (size_t i = lv->cap; i < cap; i++) p[i] = NAN;
        lv->curve[c] = p;
    }
    lv->cap = cap;
    return 0;
}

typedef struct {
    tui_job *job;
    entry *e;
} wctx;

static void fit_line(char *buf, size_t len, const ll_fit_progress *p)
{
    int o = snprintf(buf, len, "iteration %d/%d", p->iteration, p->total);
    if (!isnan(p->train_logloss) && o > 0 && (size_t)o < len)
        o += snprintf(buf + o, len - (size_t)o, "  train logloss %.5f", p->train_logloss);
    if (!isnan(p->train_auc) && o > 0 && (size_t)o < len)
        o += snprintf(buf + o, len - (size_t)o, " auc %.4f", p->train_auc);
    if (!isnan(p->valid_logloss) && o > 0 && (size_t)o < len)
        o += snprintf(buf + o, len - (size_t)o, "  valid logloss %.5f", p->valid_logloss);
    if (!isnan(p->valid_auc) && o > 0 && (size_t)o < len)
        snprintf(buf + o, len - (size_t)o, " auc %.4f", p->valid_auc);
}

static int on_event(const ll_trainrun_event *ev, void *ud)
{
    wctx *w = ud;
    live *lv = &w->e->lv;
    double progress = -1;
    pthread_mutex_lock(&lv->mu);
    if (ev->kind == LL_TRAINRUN_EV_STAGE) {
        if (!lv->last_fit_logged && lv->last_fit.iteration > 0) {
            /* a fit that stopped early: show where */
            char line[LOG_WIDTH];
            fit_line(line, sizeof line, &lv->last_fit);
            log_add(lv, "%s", line);
            lv->last_fit_logged = 1;
        }
        snprintf(lv->stage, sizeof lv->stage, "%s", ev->message);
        lv->stage_id = ev->stage;
        log_add(lv, "%s", ev->message);
        if (ev->stage > LL_TRAINRUN_FIT) progress = 1;
    } else if (ev->kind == LL_TRAINRUN_EV_RUN) {
        snprintf(lv->run_id, sizeof lv->run_id, "%s", ev->run_id);
        log_add(lv, "run %s recorded in %s", ev->run_id, w->e->store);
    } else if (ev->kind == LL_TRAINRUN_EV_FIT) {
        const ll_fit_progress *p = ev->fit;
        lv->iteration = p->iteration;
        lv->total = p->total;
        lv->fit_elapsed = p->elapsed_s;
        size_t i = p->iteration > 0 ? (size_t)p->iteration - 1 : 0;
        size_t want = (size_t)(p->total > p->iteration ? p->total : p->iteration);
        if (curve_reserve(lv, want) == 0) {
            lv->curve[C_TRAIN_LOSS][i] = p->train_logloss;
            lv->curve[C_TRAIN_AUC][i] = p->train_auc;
            lv->curve[C_VALID_LOSS][i] = p->valid_logloss;
            lv->curve[C_VALID_AUC][i] = p->valid_auc;
            if (i + 1 > lv->n) lv->n = i + 1;
        }
        double now = tui_now_ms();
        lv->last_fit = *p;
        lv->last_fit_logged = 0;
        if (p->iteration == 1 || p->iteration >= p->total || now - lv->last_line_ms >= 500) {
            char line[LOG_WIDTH];
            fit_line(line, sizeof line, p);
            log_add(lv, "%s", line);
            lv->last_line_ms = now;
            lv->last_fit_logged = 1;
        }
        progress = p->total > 0 ? (double)p->iteration / p->total : -1;
    }
    pthread_mutex_unlock(&lv->mu);
    tui_job_progress(w->job, progress, ev->kind == LL_TRAINRUN_EV_FIT ? "training" : "preparing");
    return 0;
}

static void *train_worker(tui_job *job, void *arg)
{
    entry *e = arg;
    job_result *jr = calloc(1, sizeof *jr);
    if (!jr) return NULL;
    wctx w = {job, e};
    ll_error_clear(&jr->err);
    jr->st = ll_trainrun_run(&e->cfg, on_event, &w, tui_job_cancel_flag(job), &jr->r, &jr->err);
    return jr;
}

static void keep_results(entry *e, const ll_trainrun_result *r)
{
    results *o = &e->res;
    memset(o, 0, sizeof *o);
    o->mt = r->mt;
    o->best = r->best;
    o->fit_s = r->fit_s;
    o->oob_auc = r->oob_auc;
    o->ntrain = r->ntrain;
    o->nvalid = r->nvalid;
    o->ntest = r->ntest;
    o->roc_n = r->roc_n;
    memcpy(o->roc_fpr, r->roc_fpr, sizeof o->roc_fpr);
    memcpy(o->roc_tpr, r->roc_tpr, sizeof o->roc_tpr);
    o->nf = r->nf;
    for (int i = 0; i < r->nf && i < TOP_FEATURES; i++) {
        snprintf(o->imp_name[i], sizeof o->imp_name[i], "%s", r->imp[i].name);
        o->imp_val[i] = r->imp[i].value;
        o->nimp++;
    }
    if (r->info) snprintf(o->experiment_id, sizeof o->experiment_id, "%s", r->info->experiment_id);
    o->registered = r->registered;
    o->version = r->version;
    snprintf(o->reg_stage, sizeof o->reg_stage, "%s", r->reg_stage);
    if (r->reg_failed) snprintf(o->reg_error, sizeof o->reg_error, "%.399s", r->reg_err.msg);
    e->has_res = 1;
}

static void train_done(tui_job *job, void *result, void *ud)
{
    train *t = ud;
    entry *e = job->arg;
    job_result *jr = result;
    tui_app *app = t->app;
    e->job = NULL;
    e->t_end = tui_now_ms();
    char buf[1400];
    if (!jr) {
        e->state = ST_FAILED;
        snprintf(e->error, sizeof e->error, "out of memory");
    } else if (jr->st == LL_OK) {
        e->state = ST_FINISHED;
        keep_results(e, &jr->r);
    } else {
        int killed = jr->st == LL_ECANCELLED || jr->r.status == LL_RUN_KILLED;
        e->state = killed ? ST_KILLED : ST_FAILED;
        snprintf(e->error, sizeof e->error, "%s", ll_error_format(&jr->err, buf, sizeof buf));
    }
    pthread_mutex_lock(&e->lv.mu);
    if (!e->lv.last_fit_logged && e->lv.last_fit.iteration > 0) {
        char line[LOG_WIDTH];
        fit_line(line, sizeof line, &e->lv.last_fit);
        log_add(&e->lv, "%s", line);
        e->lv.last_fit_logged = 1;
    }
    snprintf(e->lv.stage, sizeof e->lv.stage, "%s in %.1f s",
             e->state == ST_FINISHED ? "finished"
             : e->state == ST_KILLED ? "cancelled"
                                     : "failed",
             (e->t_end - e->t_start) / 1000);
    if (e->state == ST_FINISHED) {
        log_add(&e->lv, "finished: test AUC %.4f, KS %.4f, log loss %.5f (%.1f s)", e->res.mt.auc,
                e->res.mt.ks, e->res.mt.logloss, (e->t_end - e->t_start) / 1000);
        if (e->res.registered)
            log_add(&e->lv, "registered as %s version %ld", e->cfg.reg_name, e->res.version);
        if (e->res.reg_error[0]) log_add(&e->lv, "registering failed: %s", e->res.reg_error);
    } else {
        log_add(&e->lv, "%s: %s", e->state == ST_KILLED ? "cancelled" : "failed", e->error);
    }
    if (jr && jr->r.aborted) {
        if (jr->r.tag_failed)
            log_add(&e->lv, "cannot record the error in the run: %s", jr->r.tag_err.msg);
        if (jr->r.end_failed)
            log_add(&e->lv, "cannot record the end of the run: %s", jr->r.end_err.msg);
        else
            log_add(&e->lv, "run %s marked %s", jr->r.run_id, ll_run_status_str(jr->r.status));
    }
    pthread_mutex_unlock(&e->lv.mu);
    if (e->state == ST_FINISHED)
        tui_app_status(app, "%s finished: test AUC %.4f, KS %.4f (run %.8s)", e->title,
                       e->res.mt.auc, e->res.mt.ks, e->lv.run_id);
    else if (e->state == ST_KILLED)
        tui_app_status(app, "%s cancelled: run %.8s recorded KILLED", e->title, e->lv.run_id);
    else
        tui_app_error(app, "%s failed: %s", e->title, e->error);
    tui_app_debug(app, "train %s done state %d", e->title, e->state);
    if (jr) {
        ll_trainrun_result_free(&jr->r);
        free(jr);
    }
    app->store_gen++;
    tui_app_touch(app, NULL);
}

/* ---- helpers ---- */

static entry *selected(const train *t)
{
    if (t->sel <= 0 || (size_t)t->sel > t->nruns) return NULL;
    return t->runs[t->nruns - (size_t)t->sel];
}

static void clamp_sel(train *t)
{
    if (t->sel < 0) t->sel = 0;
    if (t->sel > (long)t->nruns) t->sel = (long)t->nruns;
    int nf = tui_trainform_nfields(&t->form);
    t->field = tui_clamp_cursor(t->field, nf);
}

static void entry_free(entry *e)
{
    for (int c = 0; c < C_COUNT; c++) free(e->lv.curve[c]);
    pthread_mutex_destroy(&e->lv.mu);
    free(e);
}

static void start_run(train *t)
{
    tui_app *app = t->app;
    if (t->editing) return;
    tui_trainform_follow(&t->form, app->dataset, app->target);
    ll_trainrun_cfg cfg;
    char msg[1200];
    int bad = tui_trainform_build(&t->form, app->store, &cfg, msg, sizeof msg);
    if (bad >= 0) {
        t->sel = 0;
        t->focus = FOCUS_MAIN;
        t->field = bad;
        tui_app_error(app, "cannot start: %s", msg);
        return;
    }
    entry *e = calloc(1, sizeof *e);
    entry **nr = realloc(t->runs, (t->nruns + 1) * sizeof *nr);
    if (!e || !nr) {
        free(e);
        if (nr) t->runs = nr;
        tui_app_error(app, "out of memory");
        return;
    }
    t->runs = nr;
    pthread_mutex_init(&e->lv.mu, NULL);
    e->num = ++t->next_num;
    e->form = t->form;
    snprintf(e->store, sizeof e->store, "%s", app->store);
    tui_trainform_build(&e->form, e->store, &e->cfg, msg, sizeof msg);
    snprintf(e->title, sizeof e->title, "#%u %s", e->num, ll_model_kind_name(e->form.kind));
    e->state = ST_RUNNING;
    e->t_start = tui_now_ms();
    snprintf(e->lv.stage, sizeof e->lv.stage, "starting");
    char name[128];
    snprintf(name, sizeof name, "train %s", e->title);
    tui_job *job = tui_job_start(&app->jobs, name, train_worker, e, train_done, t);
    if (!job) {
        entry_free(e);
        tui_app_error(app, "cannot start a worker thread");
        return;
    }
    e->job = job;
    e->job_id = job->id;
    t->runs[t->nruns++] = e;
    t->sel = 1;
    t->log_back = 0;
    tui_app_debug(app, "train %s start", e->title);
    tui_app_status(app, "%s started on %s (c cancels it, n shows the form)", e->title, e->cfg.data);
    tui_app_touch(app, &tui_screen_train);
}

static void cancel_run(train *t)
{
    entry *e = selected(t);
    if (!e) {
        tui_app_error(t->app, "select a running run in the list first (Tab, Up/Down)");
        return;
    }
    if (e->state != ST_RUNNING || !e->job) {
        tui_app_error(t->app, "%s is not running", e->title);
        return;
    }
    e->job->cancel = 1;
    tui_app_status(t->app, "cancelling %s ...", e->title);
}

/* Field index by name for the `set` verb. */
static int field_by_name(const train *t, const char *name)
{
    static const struct {
        const char *name;
        tui_tf_fixed f;
    } names[] = {{"dataset", TUI_TF_DATASET},   {"data", TUI_TF_DATASET},
                 {"target", TUI_TF_TARGET},     {"positive", TUI_TF_POSITIVE},
                 {"model", TUI_TF_MODEL},       {"test-file", TUI_TF_TEST_FILE},
                 {"test", TUI_TF_TEST_FILE},    {"test-fraction", TUI_TF_TEST_FRACTION},
                 {"seed", TUI_TF_SEED},         {"experiment", TUI_TF_EXPERIMENT},
                 {"run-name", TUI_TF_RUN_NAME}, {"register", TUI_TF_REGISTER},
                 {"alias", TUI_TF_ALIAS}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(names[i].name, name)) return tui_trainform_index(&t->form, names[i].f);
    if (!strcmp(name, "learner_seed")) return tui_trainform_param_index(&t->form, "seed");
    return tui_trainform_param_index(&t->form, name);
}

/* Set a field and say what happened; the refusal also stays beside the field. */
static void set_field(train *t, int i, const char *text)
{
    tui_tf_view v;
    if (tui_trainform_set(&t->form, i, text)) {
        tui_trainform_view(&t->form, i, &v);
        tui_app_error(t->app, "%s: %s", v.label, v.err);
    } else {
        tui_trainform_view(&t->form, i, &v);
        tui_app_status(t->app, "%s = %s", v.label, v.value[0] ? v.value : "(empty)");
    }
    clamp_sel(t);
}

/* ---- pane ---- */

static void *train_create(tui_app *app)
{
    train *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->app = app;
    tui_trainform_init(&t->form, LL_MODEL_GBDT, app->experiment);
    t->focus = FOCUS_MAIN;
    return t;
}

static void train_destroy(void *self)
{
    train *t = self;
    if (!t) return;
    /* the jobs ended before the screens are destroyed (tui_jobs_destroy runs first) */
    for (size_t i = 0; i < t->nruns; i++) entry_free(t->runs[i]);
    free(t->runs);
    tui_lineedit_free(&t->ed);
    free(t);
}

static void train_update(void *self, tui_app *app)
{
    train *t = self;
    if (!t) return;
    tui_trainform_follow(&t->form, app->dataset, app->target);
    clamp_sel(t);
    /* a run that began shows up in the store at once: the Runs screen may reload */
    unsigned begun = 0;
    for (size_t i = 0; i < t->nruns; i++) {
        pthread_mutex_lock(&t->runs[i]->lv.mu);
        begun += t->runs[i]->lv.run_id[0] != 0;
        pthread_mutex_unlock(&t->runs[i]->lv.mu);
    }
    if (begun != t->store_seen) {
        t->store_seen = begun;
        app->store_gen++;
    }
    entry *e = selected(t);
    if (!e) return;
    live *lv = &e->lv;
    pthread_mutex_lock(&lv->mu);
    t->v_iteration = lv->iteration;
    t->v_total = lv->total;
    t->v_fit_elapsed = lv->fit_elapsed;
    for (int c = 0; c < C_COUNT; c++) {
        t->v_n[c] =
            lv->n ? tui_curve_thin(NULL, lv->curve[c], lv->n, CURVE_BUCKETS, t->v_x[c], t->v_y[c])
                  : 0;
        t->v_last[c] = lv->n ? lv->curve[c][lv->n - 1] : NAN;
    }
    snprintf(t->v_stage, sizeof t->v_stage, "%s", lv->stage);
    snprintf(t->v_run_id, sizeof t->v_run_id, "%s", lv->run_id);
    size_t keep = lv->nlog < LOG_LINES ? lv->nlog : LOG_LINES;
    for (size_t i = 0; i < keep; i++)
        memcpy(t->v_log[i], lv->log[(lv->nlog - keep + i) % LOG_LINES], LOG_WIDTH);
    t->v_nlog = keep;
    pthread_mutex_unlock(&lv->mu);
}

static void train_resize(void *self, tui_app *app, tui_rect r)
{
    train *t = self;
    if (t) t->page = r.h > 6 ? r.h - 6 : 1;
}

/* ---- drawing ---- */

static const char *state_glyph(int st)
{
    int u = tui_draw_glyphs()->utf8;
    switch (st) {
    case ST_RUNNING:
        return u ? "\u25b6" : ">";
    case ST_FINISHED:
        return u ? "\u2713" : "*";
    case ST_KILLED:
        return u ? "\u25a0" : "#";
    default:
        return u ? "\u2717" : "x";
    }
}

static const char *state_name(int st)
{
    static const char *const n[] = {"RUNNING", "FINISHED", "KILLED", "FAILED"};
    return n[st];
}

static void draw_list(train *t, tui_rect r)
{
    tui_draw_box(r, t->focus == FOCUS_LIST ? TUI_SLOT_PANE_BORDER_FOCUS : TUI_SLOT_PANE_BORDER,
                 "Runs this session", TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    long rows = (long)t->nruns + 1;
    long top = tui_scroll_follow(0, t->sel, in.h, rows);
    for (int i = 0; i < in.h && top + i < rows; i++) {
        long k = top + i;
        int y = in.y + i;
        tui_slot s = k == t->sel
                         ? (t->focus == FOCUS_LIST ? TUI_SLOT_SELECTION : TUI_SLOT_SELECTION_DIM)
                         : TUI_SLOT_TEXT;
        tui_draw_fill(y, in.x, in.w, s);
        if (k == 0) {
            tui_draw_str(y, in.x + 1, in.w - 1, s, "+ new run (the form)");
            continue;
        }
        entry *e = t->runs[t->nruns - (size_t)k];
        char right[32] = "";
        tui_slot rs = s;
        if (e->state == ST_RUNNING) {
            pthread_mutex_lock(&e->lv.mu);
            int it = e->lv.iteration, tot = e->lv.total;
            pthread_mutex_unlock(&e->lv.mu);
            if (tot > 0)
                snprintf(right, sizeof right, "%3.0f%%", 100.0 * it / tot);
            else
                snprintf(right, sizeof right, "...");
        } else if (e->state == ST_FINISHED) {
            snprintf(right, sizeof right, "AUC %.4f", e->res.mt.auc);
            if (k != t->sel) rs = TUI_SLOT_METRIC_GOOD;
        } else {
            snprintf(right, sizeof right, "%s", state_name(e->state));
            if (k != t->sel) rs = TUI_SLOT_METRIC_BAD;
        }
        tui_draw_str(y, in.x + 1, 2, k == t->sel ? s : rs, state_glyph(e->state));
        tui_draw_str(y, in.x + 3, in.w - 14, s, e->title);
        int rw = (int)strlen(right);
        tui_draw_str(y, in.x + in.w - rw - 1, rw, rs, right);
    }
}

static void draw_form(train *t, tui_rect r)
{
    char title[300];
    const char *base = strrchr(t->form.v[TUI_TF_DATASET].text, '/');
    snprintf(title, sizeof title, "New run: %s%s%.200s", ll_model_kind_name(t->form.kind),
             t->form.v[TUI_TF_DATASET].text[0] ? " on " : "",
             base ? base + 1 : t->form.v[TUI_TF_DATASET].text);
    tui_draw_box(r, t->focus == FOCUS_MAIN ? TUI_SLOT_PANE_BORDER_FOCUS : TUI_SLOT_PANE_BORDER,
                 title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    int n = tui_trainform_nfields(&t->form);
    /* below the fields: the selected field's whole hint or refusal, then the keys */
    int rows = in.h - 4;
    if (rows < 1) return;
    t->ftop = tui_scroll_follow(t->ftop, t->field, rows, n);
    t->form_y0 = in.y;
    int lw = 21, vw = in.w >= 110 ? 34 : in.w >= 80 ? 24 : 18;
    int hx = in.x + 1 + lw + 1 + vw + 1, hw = in.x + in.w - hx;
    for (int i = 0; i < rows && t->ftop + i < n; i++) {
        int k = (int)t->ftop + i, y = in.y + i;
        tui_tf_view v;
        tui_trainform_view(&t->form, k, &v);
        int sel = k == t->field;
        tui_slot ls = sel ? (t->focus == FOCUS_MAIN ? TUI_SLOT_SELECTION : TUI_SLOT_SELECTION_DIM)
                          : (v.param >= 0 ? TUI_SLOT_TEXT : TUI_SLOT_HEADER);
        tui_draw_fill(y, in.x, 1 + lw, ls);
        tui_draw_text(y, in.x + 1, lw, ls, v.label, TUI_ALIGN_LEFT);
        int vx = in.x + 1 + lw + 1;
        if (sel && t->editing) {
            /* the line being edited, the cursor cell in reverse */
            tui_lineedit *ed = &t->ed;
            size_t start = 0;
            while (tui_text_width(ed->buf + start, ed->cur - start) >= vw && start < ed->cur) {
                start++;
                while (start < ed->cur && ((unsigned char)ed->buf[start] & 0xC0) == 0x80) start++;
            }
            tui_draw_text(y, vx, vw, TUI_SLOT_PROMPT, ed->buf + start, TUI_ALIGN_LEFT);
            int cx = vx + tui_text_width(ed->buf + start, ed->cur - start);
            if (cx < vx + vw) {
                char c[8] = " ";
                if (ed->cur < ed->len) {
                    size_t l = 1;
                    while (ed->cur + l < ed->len &&
                           ((unsigned char)ed->buf[ed->cur + l] & 0xC0) == 0x80)
                        l++;
                    snprintf(c, sizeof c, "%.*s", (int)l, ed->buf + ed->cur);
                }
                tui_draw_str(y, cx, 1, TUI_SLOT_SELECTION, c);
            }
        } else {
            tui_slot vs = v.is_default ? TUI_SLOT_TEXT_DIM : TUI_SLOT_TEXT;
            if (v.fixed == TUI_TF_TARGET && v.value[0]) vs = TUI_SLOT_TARGET;
            const char *shown = v.value[0] ? v.value : "-";
            char tmp[TUI_TF_TEXT + 8];
            if (v.choice) {
                snprintf(tmp, sizeof tmp, "%s %s", shown,
                         tui_draw_glyphs()->utf8 ? "\u25c2\u25b8" : "<>");
                shown = tmp;
            }
            tui_draw_text(y, vx, vw, vs, shown, TUI_ALIGN_LEFT);
        }
        if (hw > 4) {
            if (v.err && v.err[0]) {
                char msg[800];
                if (v.bad && v.bad[0] && !strstr(v.err, v.bad))
                    snprintf(msg, sizeof msg, "%s '%s': %s",
                             tui_draw_glyphs()->utf8 ? "\u2717" : "x", v.bad, v.err);
                else
                    snprintf(msg, sizeof msg, "%s %s", tui_draw_glyphs()->utf8 ? "\u2717" : "x",
                             v.err);
                tui_draw_text(y, hx, hw, TUI_SLOT_METRIC_BAD, msg, TUI_ALIGN_LEFT);
            } else {
                tui_draw_text(y, hx, hw, TUI_SLOT_TEXT_DIM, v.hint, TUI_ALIGN_LEFT);
            }
        }
    }
    tui_tf_view sv;
    tui_trainform_view(&t->form, (int)t->field, &sv);
    char about[900];
    if (sv.err && sv.err[0]) {
        snprintf(about, sizeof about, "%s: %.700s", sv.label, sv.err);
        tui_draw_text(in.y + in.h - 3, in.x + 1, in.w - 2, TUI_SLOT_METRIC_BAD, about,
                      TUI_ALIGN_LEFT);
    } else {
        snprintf(about, sizeof about, "%s: %s", sv.label, sv.hint);
        tui_draw_text(in.y + in.h - 3, in.x + 1, in.w - 2, TUI_SLOT_TEXT, about, TUI_ALIGN_LEFT);
    }
    const char *help = t->editing ? "Enter keep  Esc leave unchanged  C-u clear"
                                  : "Enter/s start  e edit  Left/Right choices  d default  "
                                    "Tab runs list";
    tui_draw_text(in.y + in.h - 1, in.x + 1, in.w - 2, TUI_SLOT_TEXT_DIM, help, TUI_ALIGN_LEFT);
}

static void fmt_secs(double s, char *buf, size_t len)
{
    if (!(s >= 0))
        snprintf(buf, len, "-");
    else if (s < 60)
        snprintf(buf, len, "%.1f s", s);
    else
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
}

static void draw_metrics(entry *e, tui_rect r)
{
    const results *o = &e->res;
    const struct {
        const char *name;
        double v;
    } m[] = {{"AUC", o->mt.auc},
             {"KS", o->mt.ks},
             {"log loss", o->mt.logloss},
             {"PR AUC", o->mt.pr_auc},
             {"Gini", o->mt.gini},
             {"Brier", o->mt.brier},
             {"accuracy", o->mt.at.accuracy},
             {"precision", o->mt.at.precision},
             {"recall", o->mt.at.recall},
             {"F1 (best)", o->mt.f1_best},
             {"OOB AUC", o->oob_auc}};
    tui_draw_str(r.y, r.x, r.w, TUI_SLOT_HEADER, "Test metrics");
    int y = r.y + 1;
    for (size_t i = 0; i < sizeof m / sizeof *m && y < r.y + r.h; i++) {
        if (isnan(m[i].v) && !strcmp(m[i].name, "OOB AUC")) continue;
        char v[32];
        snprintf(v, sizeof v, "%.4f", m[i].v);
        tui_draw_text(y, r.x, 11, TUI_SLOT_TEXT, m[i].name, TUI_ALIGN_LEFT);
        tui_draw_text(y, r.x + 11, r.w - 11, i == 0 ? TUI_SLOT_METRIC_GOOD : TUI_SLOT_TEXT,
                      isnan(m[i].v) ? "-" : v, TUI_ALIGN_LEFT);
        y++;
    }
    if (y < r.y + r.h) {
        char rows[96];
        snprintf(rows, sizeof rows, "rows %zu train, %zu test", o->ntrain, o->ntest);
        tui_draw_text(y++, r.x, r.w, TUI_SLOT_TEXT_DIM, rows, TUI_ALIGN_LEFT);
    }
}

static void draw_importance(entry *e, tui_rect r)
{
    const results *o = &e->res;
    tui_draw_str(r.y, r.x, r.w, TUI_SLOT_HEADER, "Top features");
    double mx = 0;
    for (int i = 0; i < o->nimp; i++)
        if (o->imp_val[i] > mx) mx = o->imp_val[i];
    int nw = r.w > 40 ? 22 : r.w / 2;
    for (int i = 0; i < o->nimp && 1 + i < r.h; i++) {
        int y = r.y + 1 + i;
        tui_draw_text(y, r.x, nw, TUI_SLOT_TEXT, o->imp_name[i], TUI_ALIGN_LEFT);
        int bw = r.w - nw - 1;
        if (bw > 2)
            tui_draw_bar(y, r.x + nw + 1, bw, mx > 0 ? o->imp_val[i] / mx : 0, TUI_SLOT_CHART_1,
                         TUI_SLOT_TEXT);
    }
}

static void draw_run(train *t, entry *e, tui_rect r)
{
    char title[300], buf[600];
    snprintf(title, sizeof title, "%s %s %s", e->title, tui_draw_glyphs()->sep,
             state_name(e->state));
    tui_draw_box(r, t->focus == FOCUS_MAIN ? TUI_SLOT_PANE_BORDER_FOCUS : TUI_SLOT_PANE_BORDER,
                 title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    in.x += 1;
    in.w -= 2;
    if (in.h < 6 || in.w < 30) return;
    int y = in.y;
    /* progress */
    double frac = t->v_total > 0 ? (double)t->v_iteration / t->v_total : 0;
    if (e->state == ST_FINISHED) frac = 1;
    double el = ((e->state == ST_RUNNING ? tui_now_ms() : e->t_end) - e->t_start) / 1000.0;
    char els[32], eta[32] = "-";
    fmt_secs(el, els, sizeof els);
    if (e->state == ST_RUNNING && t->v_iteration > 0 && t->v_total > t->v_iteration &&
        t->v_fit_elapsed > 0)
        fmt_secs(t->v_fit_elapsed / t->v_iteration * (t->v_total - t->v_iteration), eta,
                 sizeof eta);
    else if (e->state != ST_RUNNING)
        snprintf(eta, sizeof eta, "done");
    snprintf(buf, sizeof buf, "%3.0f%%  iteration %d/%d  elapsed %s  ETA %s", frac * 100,
             t->v_iteration, t->v_total, els, eta);
    int bw = in.w / 3;
    tui_draw_bar(y, in.x, bw, frac, TUI_SLOT_PROGRESS, TUI_SLOT_STATUS);
    tui_draw_text(y, in.x + bw + 1, in.w - bw - 1, TUI_SLOT_TEXT, buf, TUI_ALIGN_LEFT);
    y++;
    char v[4][32];
    for (int c = 0; c < C_COUNT; c++) tui_fmt_num(t->v_last[c], 8, v[c], sizeof v[c]);
    if (t->v_n[C_VALID_LOSS] || e->cfg.params.kind == LL_MODEL_LOGREG ||
        !(ll_model_params_get(&e->cfg.params, "early_stopping_rounds") == 0))
        snprintf(buf, sizeof buf, "train log loss %s  AUC %s    valid log loss %s  AUC %s", v[0],
                 v[1], v[2], v[3]);
    else
        snprintf(buf, sizeof buf,
                 "train log loss %s  AUC %s    no validation rows (early_stopping_rounds > 0 "
                 "holds some out)",
                 v[0], v[1]);
    tui_draw_text(y++, in.x, in.w, TUI_SLOT_TEXT, buf, TUI_ALIGN_LEFT);
    const char *base = strrchr(e->cfg.data, '/');
    snprintf(buf, sizeof buf, "%s %s %s  %s  run %s", base ? base + 1 : e->cfg.data,
             tui_draw_glyphs()->utf8 ? "\u2192" : "->", e->cfg.target, t->v_stage,
             t->v_run_id[0] ? t->v_run_id : "-");
    tui_draw_text(y++, in.x, in.w, TUI_SLOT_TEXT_DIM, buf, TUI_ALIGN_LEFT);
    if (e->state == ST_FAILED || e->state == ST_KILLED)
        tui_draw_text(y++, in.x, in.w, TUI_SLOT_METRIC_BAD, e->error, TUI_ALIGN_LEFT);
    else if (e->has_res && e->res.reg_error[0])
        tui_draw_text(y++, in.x, in.w, TUI_SLOT_METRIC_BAD, e->res.reg_error, TUI_ALIGN_LEFT);
    int left = in.y + in.h - y;
    /* charts, results, log: share what is left */
    int ch = e->has_res ? left * 2 / 5 : left * 3 / 5;
    if (ch > 14) ch = 14;
    int res_h = e->has_res ? (left - ch) * 3 / 5 : 0;
    if (res_h > 14) res_h = 14;
    if (ch >= 4) {
        int cw = in.w / 2;
        tui_plot_line loss[2] = {
            {"train",
             {t->v_x[C_TRAIN_LOSS], t->v_y[C_TRAIN_LOSS], t->v_n[C_TRAIN_LOSS]},
             TUI_SLOT_CHART_1},
            {"valid",
             {t->v_x[C_VALID_LOSS], t->v_y[C_VALID_LOSS], t->v_n[C_VALID_LOSS]},
             TUI_SLOT_CHART_2}};
        tui_plot_line auc[2] = {{"train",
                                 {t->v_x[C_TRAIN_AUC], t->v_y[C_TRAIN_AUC], t->v_n[C_TRAIN_AUC]},
                                 TUI_SLOT_CHART_1},
                                {"valid",
                                 {t->v_x[C_VALID_AUC], t->v_y[C_VALID_AUC], t->v_n[C_VALID_AUC]},
                                 TUI_SLOT_CHART_2}};
        tui_plot_opts o = {.title = "log loss", .pad = 0.05};
        if (t->v_total > 1) {
            o.fixed_x = 1;
            o.xlo = 1;
            o.xhi = t->v_total;
        }
        tui_plot_draw((tui_rect){y, in.x, ch, cw - 1}, &o, loss, 2);
        o.title = "AUC";
        tui_plot_draw((tui_rect){y, in.x + cw + 1, ch, in.w - cw - 1}, &o, auc, 2);
        y += ch + 1;
    }
    if (res_h >= 5) {
        int mw = 26, rw = (in.w - mw) / 2;
        draw_metrics(e, (tui_rect){y, in.x, res_h, mw - 1});
        double diag[2] = {0, 1};
        tui_plot_line roc[2] = {
            {"chance", {diag, diag, 2}, TUI_SLOT_TEXT_DIM},
            {"test ROC", {e->res.roc_fpr, e->res.roc_tpr, e->res.roc_n}, TUI_SLOT_CHART_1}};
        tui_plot_opts o = {
            .title = "ROC", .fixed_x = 1, .xlo = 0, .xhi = 1, .fixed_y = 1, .ylo = 0, .yhi = 1};
        tui_plot_draw((tui_rect){y, in.x + mw, res_h, rw - 1}, &o, roc, 2);
        draw_importance(e, (tui_rect){y, in.x + mw + rw + 1, res_h, in.w - mw - rw - 1});
        y += res_h + 1;
    }
    /* the log, following its end unless scrolled back */
    int lh = in.y + in.h - y;
    if (lh < 2) return;
    tui_draw_str(y++, in.x, in.w, TUI_SLOT_HEADER, "Log");
    lh--;
    long total = (long)t->v_nlog;
    long maxback = total > lh ? total - lh : 0;
    if (t->log_back > maxback) t->log_back = maxback;
    if (t->log_back < 0) t->log_back = 0;
    long first = total - lh - t->log_back;
    if (first < 0) first = 0;
    for (int i = 0; i < lh && first + i < total; i++)
        tui_draw_text(y + i, in.x, in.w, TUI_SLOT_TEXT_DIM, t->v_log[first + i], TUI_ALIGN_LEFT);
}

static void train_draw(void *self, tui_app *app, tui_rect r)
{
    train *t = self;
    if (!t) return;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    int lw = r.w >= 100 ? LIST_W + 4 : LIST_W;
    t->r_list = (tui_rect){r.y, r.x, r.h, lw};
    t->r_main = (tui_rect){r.y, r.x + lw, r.h, r.w - lw};
    draw_list(t, t->r_list);
    entry *e = selected(t);
    if (e)
        draw_run(t, e, t->r_main);
    else
        draw_form(t, t->r_main);
}

/* ---- keys ---- */

static void edit_begin(train *t)
{
    if (selected(t)) {
        t->sel = 0;
        t->focus = FOCUS_MAIN;
    }
    char buf[TUI_TF_TEXT];
    tui_trainform_edit_text(&t->form, (int)t->field, buf, sizeof buf);
    tui_lineedit_set(&t->ed, buf);
    t->editing = 1;
}

static void edit_accept(train *t)
{
    char text[TUI_LINE_MAX];
    snprintf(text, sizeof text, "%s", t->ed.buf);
    t->editing = 0;
    tui_lineedit_remember(&t->ed, text);
    set_field(t, (int)t->field, text);
}

static int train_modal_key(void *self, tui_app *app, int key, int is_char)
{
    train *t = self;
    if (!t || !t->editing) return 0;
    if (is_char && key >= 32 && key != 127) {
        char mb[MB_LEN_MAX];
        mbstate_t st;
        memset(&st, 0, sizeof st);
        size_t n = wcrtomb(mb, (wchar_t)key, &st);
        if (n != (size_t)-1 && tui_lineedit_insert(&t->ed, mb, n))
            tui_app_error(app, "the field is full");
        return 1;
    }
    const tui_binding *b = tui_keytable_lookup(&tui_keys_edit, key);
    if (!b) return 1;
    if (!strcmp(b->action, "accept"))
        edit_accept(t);
    else if (!strcmp(b->action, "abort"))
        t->editing = 0;
    else
        tui_lineedit_action(&t->ed, b->action);
    return 1;
}

static void move(train *t, long d, int absolute)
{
    if (t->focus == FOCUS_LIST) {
        t->sel = absolute ? d : t->sel + d;
        t->log_back = 0;
        clamp_sel(t);
        tui_app_touch(t->app, &tui_screen_train);
    } else if (!selected(t)) {
        t->field = absolute ? d : t->field + d;
        clamp_sel(t);
    } else {
        /* a run's pane: the keys scroll its log (down = towards the end) */
        t->log_back = absolute ? (d ? 0 : LONG_MAX / 4) : t->log_back - d;
        if (t->log_back < 0) t->log_back = 0;
    }
}

static int train_action(void *self, tui_app *app, int argc, char **argv)
{
    train *t = self;
    if (!t) return 0;
    const char *v = argv[0], *a = argc > 1 ? argv[1] : "";
    if (!strcmp(v, "focus")) {
        t->focus = t->focus == FOCUS_LIST ? FOCUS_MAIN : FOCUS_LIST;
    } else if (!strcmp(v, "cursor") && !strcmp(a, "up")) {
        move(t, -1, 0);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "down")) {
        move(t, 1, 0);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "top")) {
        move(t, 0, 1);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "bottom")) {
        move(t, t->focus == FOCUS_LIST ? (long)t->nruns : selected(t) ? 1 : 9999, 1);
    } else if (!strcmp(v, "page")) {
        long p = t->page > 1 ? t->page : 1;
        if (selected(t))
            t->log_back += !strcmp(a, "up") ? p : -p;
        else
            move(t, !strcmp(a, "up") ? -p : p, 0);
        if (t->log_back < 0) t->log_back = 0;
    } else if (!strcmp(v, "edit")) {
        if (selected(t) && t->focus == FOCUS_LIST) t->focus = FOCUS_MAIN;
        edit_begin(t);
    } else if (!strcmp(v, "choice")) {
        if (selected(t)) {
            tui_app_status(app, "n shows the form");
        } else if (tui_trainform_cycle(&t->form, (int)t->field, !strcmp(a, "prev") ? -1 : 1)) {
            tui_app_status(app, "this field has no choices: e edits it");
        } else {
            tui_tf_view fv;
            tui_trainform_view(&t->form, (int)t->field, &fv);
            tui_app_status(app, "%s = %s", fv.label, fv.value);
            clamp_sel(t);
        }
    } else if (!strcmp(v, "default")) {
        if (!selected(t)) {
            tui_trainform_reset(&t->form, (int)t->field);
            tui_trainform_follow(&t->form, app->dataset, app->target);
            clamp_sel(t);
        }
    } else if (!strcmp(v, "start")) {
        start_run(t);
    } else if (!strcmp(v, "cancel-run")) {
        cancel_run(t);
    } else if (!strcmp(v, "new")) {
        t->sel = 0;
        t->focus = FOCUS_MAIN;
    } else if (!strcmp(v, "set")) {
        if (argc < 2) {
            tui_app_error(app, "set needs FIELD VALUE");
            return 1;
        }
        int i = field_by_name(t, argv[1]);
        if (i < 0) {
            tui_app_error(app, "no field '%s' in the %s form", argv[1],
                          ll_model_kind_name(t->form.kind));
            return 1;
        }
        char val[TUI_TF_TEXT] = "";
        for (int k = 2; k < argc; k++) {
            size_t l = strlen(val);
            snprintf(val + l, sizeof val - l, "%s%s", k > 2 ? " " : "", argv[k]);
        }
        t->sel = 0;
        t->field = i;
        set_field(t, i, val);
    } else {
        return 0;
    }
    return 1;
}

static void train_mouse(void *self, tui_app *app, int y, int x, int what)
{
    train *t = self;
    if (!t) return;
    if (what != TUI_MOUSE_CLICK) {
        long d = what == TUI_MOUSE_WHEEL_UP ? -3 : 3;
        int keep = t->focus;
        t->focus = tui_rect_contains(t->r_list, y, x) ? FOCUS_LIST : FOCUS_MAIN;
        move(t, d, 0);
        t->focus = keep;
        return;
    }
    if (tui_rect_contains(t->r_list, y, x)) {
        tui_rect in = tui_rect_inner(t->r_list);
        long k = tui_scroll_follow(0, t->sel, in.h, (long)t->nruns + 1) + (y - in.y);
        t->focus = FOCUS_LIST;
        if (y >= in.y && k <= (long)t->nruns) t->sel = k;
        tui_app_touch(app, &tui_screen_train);
    } else if (tui_rect_contains(t->r_main, y, x)) {
        t->focus = FOCUS_MAIN;
        if (!selected(t) && !t->editing) {
            long k = t->ftop + (y - t->form_y0);
            if (y >= t->form_y0 && k < tui_trainform_nfields(&t->form)) t->field = k;
        }
    }
}

const tui_pane_ops tui_screen_train = {
    .name = "Train",
    .keys = &tui_keys_train,
    .verbs = train_verbs,
    .create = train_create,
    .destroy = train_destroy,
    .update = train_update,
    .draw = train_draw,
    .action = train_action,
    .resize = train_resize,
    .mouse = train_mouse,
    .modal_key = train_modal_key,
};
