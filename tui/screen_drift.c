/* screen_drift: drift of a current data set against a reference — the per-column table sorted
 * and coloured by severity, the dataset verdict, and reference-vs-current histograms. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "csv.h"
#include "dialog.h"
#include "draw.h"
#include "drift.h"
#include "driftview.h"
#include "fmt.h"
#include "pipeline.h"

enum { SIDE_REF = 0, SIDE_CUR, SIDE_COUNT };
enum { DLG_PICK_REF = 1, DLG_PICK_CUR };

/* A profile kept between comparisons, valid while its file is unchanged. */
typedef struct {
    char path[2048];
    long long mtime_ns, size;
    ll_drift_profile *p;
} cached_profile;

typedef struct {
    tui_app *app;
    char path[SIDE_COUNT][2048];
    char target[256];
    cached_profile cache[SIDE_COUNT];

    ll_drift_report *rep;
    size_t *rows;      /* display order of rep->cols */
    char ignored[512]; /* columns only in the current data, left out */
    double ms;
    long sel, top;
    char error[1400];

    tui_job *job;
    unsigned job_id;
    int again; /* compare again when the running job ends */

    tui_dialog dlg;
    tui_rect info, summary, table, hist;
} dr;

static const tui_verb dr_verbs[] = {
    {"reference", "FILE", "Drift: compare against FILE (CSV or saved profile)"},
    {"current", "FILE", "Drift: the data to check for drift (CSV or saved profile)"},
    {"html", "FILE", "Drift: write the shown comparison as a self-contained HTML report"},
    {NULL, NULL, NULL},
};

/* ---- the compare job ---- */

typedef struct {
    char path[SIDE_COUNT][2048];
    char target[256];
    cached_profile cache[SIDE_COUNT]; /* handed over; handed back in the result */
} cmp_arg;

typedef struct {
    ll_status st;
    ll_error err;
    cached_profile cache[SIDE_COUNT];
    ll_drift_report *rep;
    char ignored[512];
    double ms;
} cmp_res;

typedef struct {
    tui_job *job;
    double base, span;
    const char *stage;
} prog_ctx;

static int read_progress(size_t done, size_t total, void *ud)
{
    prog_ctx *p = ud;
    tui_job_progress(p->job, total ? p->base + p->span * (double)done / (double)total : -1,
                     p->stage);
    return tui_job_cancelled(p->job);
}

static int file_key(const char *path, long long *mtime_ns, long long *size)
{
    struct stat sb;
    if (stat(path, &sb)) return -1;
    *mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
    *size = (long long)sb.st_size;
    return 0;
}

/* The profile of path: the cached one while the file is unchanged, else read anew. */
static ll_status side_profile(tui_job *job, int side, const char *path, cached_profile *c,
                              ll_error *err)
{
    long long mt = -1, sz = -1;
    int known = file_key(path, &mt, &sz) == 0;
    if (c->p && known && !strcmp(c->path, path) && c->mtime_ns == mt && c->size == sz) return LL_OK;
    ll_drift_profile_free(c->p);
    memset(c, 0, sizeof *c);
    double base = side == SIDE_REF ? 0.0 : 0.5;
    const char *what = side == SIDE_REF ? "reference" : "current";
    char stage[96];
    ll_status s;
    if (ll_drift_profile_is_saved(path)) {
        snprintf(stage, sizeof stage, "reading the %s profile", what);
        tui_job_progress(job, base, stage);
        s = ll_drift_profile_load(path, &c->p, err);
    } else {
        snprintf(stage, sizeof stage, "reading the %s", what);
        prog_ctx pc = {job, base, 0.4, stage};
        ll_csv_options o;
        memset(&o, 0, sizeof o);
        o.progress = read_progress;
        o.progress_ud = &pc;
        o.cancel = tui_job_cancel_flag(job);
        ll_table *t = NULL;
        s = ll_csv_read_table(path, &o, &t, NULL, err);
        if (s == LL_OK) {
            snprintf(stage, sizeof stage, "profiling the %s", what);
            tui_job_progress(job, base + 0.42, stage);
            s = ll_drift_profile_from_table(t, path, NULL, 2, tui_job_cancel_flag(job), &c->p, err);
        }
        ll_table_free(t);
    }
    if (s == LL_OK) {
        snprintf(c->path, sizeof c->path, "%s", path);
        c->mtime_ns = known ? mt : -1;
        c->size = known ? sz : -1;
    }
    return s;
}

/* Leave out the current data's columns the reference lacks (a predictions file carries the
 * model's output columns), naming them in ignored. */
static void drop_extra(const ll_drift_profile *ref, ll_drift_profile *cur, const char *target,
                       char *ignored, size_t len)
{
    size_t k = 0;
    ignored[0] = '\0';
    for (size_t i = 0; i < cur->ncols; i++) {
        ll_drift_column *c = &cur->cols[i];
        int keep = ll_drift_profile_find(ref, c->name) >= 0 || (target && !strcmp(c->name, target));
        if (keep) {
            if (k != i) cur->cols[k] = *c;
            k++;
            continue;
        }
        size_t l = strlen(ignored);
        snprintf(ignored + l, len - l, "%s%s", l ? ", " : "", c->name);
        ll_drift_column_clear(c);
    }
    cur->ncols = k;
}

static void *cmp_worker(tui_job *job, void *p)
{
    cmp_arg *a = p;
    cmp_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    memcpy(r->cache, a->cache, sizeof r->cache);
    memset(a->cache, 0, sizeof a->cache);
    double t0 = tui_now_ms();
    for (int s = 0; s < SIDE_COUNT; s++)
        if ((r->st = side_profile(job, s, a->path[s], &r->cache[s], &r->err))) return r;
    tui_job_progress(job, 0.97, "comparing");
    ll_drift_profile *ref = r->cache[SIDE_REF].p, *cur = r->cache[SIDE_CUR].p;
    ll_drift_options o;
    ll_drift_options_init(&o);
    /* the target chosen on Datasets is tested apart when the reference has it */
    if (a->target[0] && ll_drift_profile_find(ref, a->target) >= 0) o.target = a->target;
    drop_extra(ref, cur, o.target ? o.target : ref->target, r->ignored, sizeof r->ignored);
    /* the profiles name the files; the report names them as chosen */
    char *rs = ref->source, *cs = cur->source;
    ref->source = a->path[SIDE_REF];
    cur->source = a->path[SIDE_CUR];
    r->st = ll_drift_compare(ref, cur, &o, &r->rep, &r->err);
    ref->source = rs;
    cur->source = cs;
    r->ms = tui_now_ms() - t0;
    return r;
}

static void start_compare(dr *d);

static void cmp_done(tui_job *job, void *result, void *ud)
{
    dr *d = ud;
    cmp_arg *a = job->arg;
    cmp_res *r = result;
    if (d->job == job) d->job = NULL;
    tui_app *app = d->app;
    if (!r) {
        tui_app_error(app, "drift: out of memory");
    } else {
        /* keep what was read even when the comparison failed */
        for (int s = 0; s < SIDE_COUNT; s++) {
            ll_drift_profile_free(d->cache[s].p);
            d->cache[s] = r->cache[s];
        }
        int current = !strcmp(a->path[SIDE_REF], d->path[SIDE_REF]) &&
                      !strcmp(a->path[SIDE_CUR], d->path[SIDE_CUR]);
        if (r->st == LL_ECANCELLED) {
            tui_app_status(app, "drift comparison cancelled");
        } else if (r->st) {
            char buf[1400];
            ll_error_format(&r->err, buf, sizeof buf);
            if (current) snprintf(d->error, sizeof d->error, "%s", buf);
            tui_app_error(app, "drift: %s", buf);
        } else if (current) {
            size_t *rows = malloc((r->rep->ncols ? r->rep->ncols : 1) * sizeof *rows);
            if (!rows) {
                tui_app_error(app, "drift: out of memory");
                ll_drift_report_free(r->rep);
            } else {
                tui_drift_rows(r->rep, rows);
                ll_drift_report_free(d->rep);
                free(d->rows);
                d->rep = r->rep;
                d->rows = rows;
                d->error[0] = '\0';
                d->ms = r->ms;
                snprintf(d->ignored, sizeof d->ignored, "%s", r->ignored);
                d->sel = tui_clamp_cursor(d->sel, (long)d->rep->ncols);
                tui_app_status(app, "drift: %zu of %zu columns drifted, dataset drift %s (%.0f ms)",
                               d->rep->number_of_drifted_columns, d->rep->number_of_columns,
                               d->rep->dataset_drift ? "YES" : "no", r->ms);
            }
        } else {
            ll_drift_report_free(r->rep);
        }
        free(r);
    }
    free(a);
    if (d->again) {
        d->again = 0;
        start_compare(d);
    }
    tui_app_touch(app, &tui_screen_drift);
}

static void start_compare(dr *d)
{
    if (!d->path[SIDE_REF][0] || !d->path[SIDE_CUR][0]) return;
    if (d->job) {
        /* one comparison at a time: this one is stale, the next starts when it ends */
        d->job->cancel = 1;
        d->again = 1;
        return;
    }
    cmp_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    for (int s = 0; s < SIDE_COUNT; s++) {
        snprintf(a->path[s], sizeof a->path[s], "%s", d->path[s]);
        a->cache[s] = d->cache[s];
        memset(&d->cache[s], 0, sizeof d->cache[s]);
    }
    snprintf(a->target, sizeof a->target, "%s", d->app->target);
    tui_job *job = tui_job_start(&d->app->jobs, "drift", cmp_worker, a, cmp_done, d);
    if (!job) {
        for (int s = 0; s < SIDE_COUNT; s++) d->cache[s] = a->cache[s];
        free(a);
        tui_app_error(d->app, "cannot start a worker thread");
        return;
    }
    d->job = job;
    d->job_id = job->id;
    d->error[0] = '\0';
}

static void set_side(dr *d, int side, const char *path)
{
    snprintf(d->path[side], sizeof d->path[side], "%s", path);
    start_compare(d);
}

/* ---- choosing files ---- */

static void data_dir(const tui_app *app, char *dir, size_t len)
{
    const char *f = app->file_arg;
    snprintf(dir, len, ".");
    if (!f[0] || !strncmp(f, "http://", 7) || !strncmp(f, "https://", 8)) return;
    snprintf(dir, len, "%s", f);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, len, ".");
}

static void join(char *out, size_t len, const char *dir, const char *name)
{
    if (!strcmp(dir, "."))
        snprintf(out, len, "%s", name);
    else
        snprintf(out, len, "%s/%s", dir, name);
}

/* Saved profiles (*.profile.json) in dir as choices. */
static void add_profiles(tui_dialog *dlg, const char *dir)
{
    DIR *dd = opendir(dir);
    if (!dd) return;
    const struct dirent *de;
    while ((de = readdir(dd))) {
        size_t n = strlen(de->d_name);
        if (n <= 13 || strcmp(de->d_name + n - 13, ".profile.json")) continue;
        char full[4096];
        join(full, sizeof full, dir, de->d_name);
        tui_dialog_item_add(dlg, full, "saved profile");
    }
    closedir(dd);
}

/* The batch predictions named by a pipeline's latest_predictions.json under dir. */
static void add_marker(tui_dialog *dlg, const char *dir)
{
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/%s/latest_predictions.json", dir,
             LL_PIPELINE_DEFAULT_OUTPUT_DIR);
    FILE *f = fopen(mpath, "rb");
    if (!f) return;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *o = cJSON_Parse(buf);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "path");
    const cJSON *date = cJSON_GetObjectItemCaseSensitive(o, "date");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(o, "rows");
    if (cJSON_IsString(p) && p->valuestring[0]) {
        char note[128];
        snprintf(note, sizeof note, "latest predictions%s%.40s", cJSON_IsString(date) ? " " : "",
                 cJSON_IsString(date) ? date->valuestring : "");
        if (cJSON_IsNumber(rows)) {
            size_t l = strlen(note);
            snprintf(note + l, sizeof note - l, ", %.0f rows", rows->valuedouble);
        }
        tui_dialog_item_add(dlg, p->valuestring, note);
    }
    cJSON_Delete(o);
}

/* True when path names a file already among the choices (under another spelling). */
static int listed(const tui_dialog *dlg, const char *path)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(path, a)) return 0;
    for (size_t i = 0; i < dlg->nitems; i++)
        if (realpath(dlg->items[i].value, b) && !strcmp(a, b)) return 1;
    return 0;
}

static void pick(dr *d, int side)
{
    tui_app *app = d->app;
    char title[128], dir[2048];
    snprintf(title, sizeof title, "Drift: the %s data", side == SIDE_REF ? "reference" : "current");
    tui_dialog_pick(&d->dlg, side == SIDE_REF ? DLG_PICK_REF : DLG_PICK_CUR, title, 1,
                    "file:", "Enter choose (or type a path)   Esc cancel");
    data_dir(app, dir, sizeof dir);
    if (side == SIDE_CUR) {
        add_marker(&d->dlg, ".");
        if (strcmp(dir, ".")) add_marker(&d->dlg, dir);
    }
    if (app->dataset[0]) tui_dialog_item_add(&d->dlg, app->dataset, "loaded on Datasets");
    char **names = NULL;
    size_t n = tui_list_datasets(dir, &names);
    for (size_t i = 0; i < n; i++) {
        char full[4096];
        join(full, sizeof full, dir, names[i]);
        tui_dialog_item_add(&d->dlg, full, "data file");
    }
    tui_strv_free(names, n);
    add_profiles(&d->dlg, dir);
    if (strcmp(dir, ".")) add_profiles(&d->dlg, ".");
    char rp[2048];
    if (tui_recent_path(rp, sizeof rp)) {
        char **rec = NULL;
        size_t nr = tui_recent_load(rp, &rec, TUI_RECENT_MAX);
        for (size_t i = 0; i < nr; i++)
            if (!listed(&d->dlg, rec[i])) tui_dialog_item_add(&d->dlg, rec[i], "recent");
        tui_strv_free(rec, nr);
    }
    /* the current choice first on the list's cursor */
    for (size_t i = 0; i < d->dlg.nitems; i++)
        if (!strcmp(d->dlg.items[i].value, d->path[side])) d->dlg.sel = (long)i;
}

static int dr_modal_key(void *self, tui_app *app, int key, int is_char)
{
    dr *d = self;
    if (!d || !tui_dialog_is_open(&d->dlg)) return 0;
    tui_dialog_result r = tui_dialog_key(&d->dlg, key, is_char);
    if (r == TUI_DIALOG_ACCEPT) {
        char value[TUI_LINE_MAX];
        snprintf(value, sizeof value, "%s", d->dlg.value);
        set_side(d, d->dlg.tag == DLG_PICK_REF ? SIDE_REF : SIDE_CUR, value);
        if (!d->path[SIDE_REF][0] || !d->path[SIDE_CUR][0])
            tui_app_status(app, "now choose the %s (%c)",
                           d->path[SIDE_REF][0] ? "current data" : "reference",
                           d->path[SIDE_REF][0] ? 'c' : 'r');
    }
    return 1;
}

/* ---- create / destroy / update ---- */

static void *dr_create(tui_app *app)
{
    dr *d = calloc(1, sizeof *d);
    if (d) d->app = app;
    return d;
}

static void dr_destroy(void *self)
{
    dr *d = self;
    if (!d) return;
    for (int s = 0; s < SIDE_COUNT; s++) ll_drift_profile_free(d->cache[s].p);
    ll_drift_report_free(d->rep);
    free(d->rows);
    tui_lineedit_free(&d->dlg.ed);
    free(d);
}

static void dr_update(void *self, tui_app *app)
{
    dr *d = self;
    if (!d) return;
    /* the dataset loaded on Datasets is the natural reference until one is chosen */
    if (!d->path[SIDE_REF][0] && app->dataset[0])
        snprintf(d->path[SIDE_REF], sizeof d->path[SIDE_REF], "%s", app->dataset);
}

/* ---- drawing ---- */

static tui_slot sev_slot(tui_severity s)
{
    switch (s) {
    case TUI_SEV_ALERT:
        return TUI_SLOT_DRIFT_ALERT;
    case TUI_SEV_WARN:
        return TUI_SLOT_DRIFT_WARN;
    case TUI_SEV_OK:
        return TUI_SLOT_DRIFT_OK;
    default:
        return TUI_SLOT_TEXT_DIM;
    }
}

static void layout(dr *d, tui_rect r)
{
    d->info = (tui_rect){r.y, r.x, 2, r.w};
    d->summary = (tui_rect){r.y + 2, r.x, 4, r.w};
    int rest = r.h - 6;
    int th = rest * 11 / 20;
    if (th < 6) th = rest < 6 ? rest : 6;
    d->table = (tui_rect){r.y + 6, r.x, th, r.w};
    d->hist = (tui_rect){r.y + 6 + th, r.x, rest - th, r.w};
}

static void draw_info(dr *d)
{
    tui_rect r = d->info;
    char line[4200];
    const ll_drift_report *rep = d->rep;
    for (int s = 0; s < SIDE_COUNT; s++) {
        const char *p = d->path[s];
        char rows[64] = "", cnt[32];
        if (rep && !d->error[0])
            snprintf(rows, sizeof rows, " (%s rows)",
                     tui_fmt_count(s == SIDE_REF ? rep->rows_reference : rep->rows_current, cnt,
                                   sizeof cnt));
        snprintf(line, sizeof line, " %-9s %s%s", s == SIDE_REF ? "reference" : "current",
                 p[0]            ? p
                 : s == SIDE_REF ? "(none: r chooses one)"
                                 : "(none: c chooses one)",
                 rows);
        tui_draw_text(r.y + s, r.x, r.w, p[0] ? TUI_SLOT_TEXT : TUI_SLOT_TEXT_DIM, line,
                      TUI_ALIGN_LEFT);
    }
    const char *keys = "r reference  c current  s swap  Enter again";
    int kw = (int)strlen(keys);
    if (r.w > kw + 60) tui_draw_text(r.y, r.x + r.w - kw - 1, kw, TUI_SLOT_TEXT_DIM, keys, 0);
}

static void draw_summary(dr *d, tui_rect r)
{
    const ll_drift_report *rep = d->rep;
    const char *title = "Dataset drift";
    tui_draw_box(r, TUI_SLOT_PANE_BORDER, title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    int x = in.x + 1, w = in.w - 2;
    if (d->job) {
        tui_job *j = d->job;
        char line[256];
        snprintf(line, sizeof line, "%s%s", j->stage[0] ? j->stage : "starting",
                 j->progress >= 0 ? "" : "...");
        int lw = tui_draw_str(in.y, x, w, TUI_SLOT_TEXT, line);
        int bw = w - lw - 12 > 40 ? 40 : w - lw - 12;
        if (bw > 4)
            tui_draw_bar(in.y, x + lw + 2, bw, j->progress < 0 ? 0 : j->progress, TUI_SLOT_PROGRESS,
                         TUI_SLOT_TEXT_DIM);
        tui_draw_text(in.y + 1, x, w, TUI_SLOT_TEXT_DIM, "x cancels", TUI_ALIGN_LEFT);
        return;
    }
    if (d->error[0]) {
        tui_draw_text(in.y, x, w, TUI_SLOT_METRIC_BAD, d->error, TUI_ALIGN_LEFT);
        return;
    }
    if (!rep) {
        tui_draw_text(in.y, x, w, TUI_SLOT_TEXT_DIM,
                      "choose the reference (r) and the current data (c); the comparison starts "
                      "when both are set",
                      TUI_ALIGN_LEFT);
        return;
    }
    char a[48], b[48], line[600];
    snprintf(line, sizeof line, "%s: %zu of %zu columns drifted, share %s %s drift share %s",
             rep->dataset_drift ? "DATASET DRIFT" : "no dataset drift",
             rep->number_of_drifted_columns, rep->number_of_columns,
             ll_drift_fmt(rep->share_of_drifted_columns, a, sizeof a),
             rep->dataset_drift ? ">=" : "<", ll_drift_fmt(rep->drift_share, b, sizeof b));
    int lw = tui_draw_str(in.y, x, w, rep->dataset_drift ? TUI_SLOT_DRIFT_ALERT : TUI_SLOT_DRIFT_OK,
                          line);
    /* the share against the dataset threshold: a bar with a mark at the drift share */
    int bw = w - lw - 3 > 30 ? 30 : w - lw - 3;
    if (bw >= 10) {
        int bx = x + lw + 2;
        tui_draw_bar(in.y, bx, bw, rep->share_of_drifted_columns,
                     rep->dataset_drift ? TUI_SLOT_DRIFT_ALERT : TUI_SLOT_DRIFT_WARN,
                     TUI_SLOT_TEXT_DIM);
        int mx = bx + (int)lround(rep->drift_share * (bw - 1));
        tui_draw_str(in.y, mx, 1, TUI_SLOT_HEADER, "|");
    }
    char sub[900] = "";
    /* what was left out first: it explains a column count that differs from the file's */
    if (d->ignored[0])
        snprintf(sub, sizeof sub, "left out (not in the reference): %s   ", d->ignored);
    size_t l = strlen(sub);
    if (rep->target) {
        const ll_drift_result *t = rep->target;
        snprintf(sub + l, sizeof sub - l, "target %s: %s (%s %s, PSI %s)   ", t->column_name,
                 t->tested ? (t->drifted ? "drifted" : "no drift") : "not tested",
                 t->tested ? ll_drift_fmt(t->score, a, sizeof a) : "-",
                 t->tested ? ll_stattest_name(t->test) : "", ll_drift_fmt(t->psi, b, sizeof b));
    }
    l = strlen(sub);
    snprintf(sub + l, sizeof sub - l, "compared in %.0f ms", d->ms);
    tui_draw_text(in.y + 1, x, w, TUI_SLOT_TEXT_DIM, sub, TUI_ALIGN_LEFT);
}

enum { DC_NAME, DC_TYPE, DC_TEST, DC_SCORE, DC_THRESH, DC_DRIFT, DC_PSI, DC_BAND, DC_COUNT };

static void draw_table(dr *d, tui_rect r)
{
    const ll_drift_report *rep = d->rep;
    char title[128];
    snprintf(title, sizeof title, "Columns by severity%s", rep ? "" : " (none compared yet)");
    tui_draw_box(r, TUI_SLOT_PANE_BORDER_FOCUS, title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    if (!rep || !d->rows) return;
    int namew = 8;
    for (size_t i = 0; i < rep->ncols; i++) {
        int w = tui_text_width(rep->cols[i].column_name, strlen(rep->cols[i].column_name));
        if (w > namew) namew = w;
    }
    if (namew > 28) namew = 28;
    static const char *const head[DC_COUNT] = {"column",    "type",    "test", "score",
                                               "threshold", "drifted", "PSI",  "band"};
    int want[DC_COUNT] = {namew + 2, 4, 29, 9, 9, 7, 8, 11};
    static const int prio[DC_COUNT] = {0, 6, 5, 1, 3, 2, 4, 7};
    int shown[DC_COUNT];
    tui_layout_columns(want, prio, DC_COUNT, in.w - 2, namew + 2, shown);
    int xs[DC_COUNT], x = in.x + 1;
    for (int c = 0; c < DC_COUNT; c++) {
        xs[c] = x;
        if (shown[c]) x += shown[c] + 1;
    }
    for (int c = 0; c < DC_COUNT; c++)
        if (shown[c])
            tui_draw_text(in.y, xs[c], shown[c], TUI_SLOT_HEADER, head[c],
                          c == DC_SCORE || c == DC_THRESH || c == DC_PSI ? TUI_ALIGN_RIGHT
                                                                         : TUI_ALIGN_LEFT);
    long n = (long)rep->ncols, rows = in.h - 1;
    d->sel = tui_clamp_cursor(d->sel, n);
    d->top = tui_scroll_follow(d->top, d->sel, rows, n);
    for (long i = 0; i < rows; i++) {
        long k = d->top + i;
        if (k >= n) break;
        const ll_drift_result *c = &rep->cols[d->rows[k]];
        tui_severity sv = tui_drift_severity(c);
        int y = in.y + 1 + (int)i, sel = k == d->sel;
        tui_slot s = sel ? TUI_SLOT_SELECTION : sev_slot(sv);
        tui_draw_fill(y, in.x, in.w, sel ? s : TUI_SLOT_TEXT);
        char sc[48], th[48], psi[48];
        const char *cells[DC_COUNT] = {
            c->column_name,
            c->kind == LL_DRIFT_NUM ? "num" : "cat",
            c->tested ? ll_stattest_display(c->test) : (c->note ? c->note : "-"),
            ll_drift_fmt(c->score, sc, sizeof sc),
            c->tested ? ll_drift_fmt(c->threshold, th, sizeof th) : "-",
            c->tested ? (c->drifted ? "yes" : "no") : "-",
            ll_drift_fmt(c->psi, psi, sizeof psi),
            c->tested ? ll_drift_psi_band(c->psi) : "-",
        };
        for (int col = 0; col < DC_COUNT; col++) {
            if (!shown[col]) continue;
            tui_slot cs = s;
            /* the PSI band carries its own severity: a stable PSI on a drifted column */
            if (!sel && col == DC_BAND && c->tested)
                cs = c->psi >= 0.25  ? TUI_SLOT_DRIFT_ALERT
                     : c->psi >= 0.1 ? TUI_SLOT_DRIFT_WARN
                                     : TUI_SLOT_DRIFT_OK;
            tui_draw_text(y, xs[col], shown[col], cs, cells[col],
                          col == DC_SCORE || col == DC_THRESH || col == DC_PSI ? TUI_ALIGN_RIGHT
                                                                               : TUI_ALIGN_LEFT);
        }
    }
}

/* Categories or few values: a row each, the reference's bar then the current's. */
static void hist_rows(const ll_drift_result *c, tui_rect in)
{
    int n = (int)c->nbins, rows = in.h - 1;
    int lw = 6;
    char lab[128];
    for (int i = 0; i < n; i++) {
        tui_hist_label(c, (size_t)i, lab, sizeof lab);
        int w = tui_text_width(lab, strlen(lab));
        if (w > lw) lw = w;
    }
    if (lw > 18) lw = 18;
    int bw = (in.w - 2 - lw - 2 - 2 * 8) / 2;
    if (bw < 4) bw = 4;
    int *ea = calloc((size_t)(n ? n : 1), sizeof *ea),
        *eb = calloc((size_t)(n ? n : 1), sizeof *eb);
    if (!ea || !eb) {
        free(ea);
        free(eb);
        return;
    }
    tui_hist_scale(c->hist_ref, c->hist_cur, (size_t)n, bw, ea, eb);
    int x = in.x + 1;
    tui_draw_text(in.y, x + lw + 2, bw + 7, TUI_SLOT_CHART_1, "reference", TUI_ALIGN_LEFT);
    tui_draw_text(in.y, x + lw + 2 + bw + 8, bw + 7, TUI_SLOT_CHART_2, "current", TUI_ALIGN_LEFT);
    for (int i = 0; i < n && i < rows; i++) {
        int y = in.y + 1 + i;
        if (i == rows - 1 && n > rows) {
            char more[64];
            snprintf(more, sizeof more, "... %d more", n - rows + 1);
            tui_draw_text(y, x, in.w - 2, TUI_SLOT_TEXT_DIM, more, TUI_ALIGN_LEFT);
            break;
        }
        tui_hist_label(c, (size_t)i, lab, sizeof lab);
        tui_draw_text(y, x, lw, TUI_SLOT_TEXT, lab, TUI_ALIGN_LEFT);
        char pct[16];
        int bx = x + lw + 2;
        tui_draw_bar(y, bx, bw, (double)ea[i] / (bw * 8.0), TUI_SLOT_CHART_1, TUI_SLOT_TEXT);
        tui_draw_text(y, bx + bw + 1, 6, TUI_SLOT_TEXT_DIM,
                      tui_fmt_pct(c->hist_ref[i], pct, sizeof pct), TUI_ALIGN_RIGHT);
        bx += bw + 8;
        tui_draw_bar(y, bx, bw, (double)eb[i] / (bw * 8.0), TUI_SLOT_CHART_2, TUI_SLOT_TEXT);
        tui_draw_text(y, bx + bw + 1, 6, TUI_SLOT_TEXT_DIM,
                      tui_fmt_pct(c->hist_cur[i], pct, sizeof pct), TUI_ALIGN_RIGHT);
    }
    free(ea);
    free(eb);
}

/* Equal-width bins of a numeric column: side-by-side columns, reference then current. */
static void hist_columns(const ll_drift_result *c, tui_rect in)
{
    const tui_glyphs *G = tui_draw_glyphs();
    int n = (int)c->nbins, h = in.h - 2; /* legend on top, axis below */
    if (h < 1 || n < 1) return;
    int gap = (in.w - 4) / n >= 4 ? 2 : 1;
    int cw = 2 + gap; /* two bars and the gap */
    int width = n * cw;
    if (width > in.w - 2) {
        gap = 0;
        cw = 2;
        width = n * cw;
    }
    int x0 = in.x + 1 + (in.w - 2 - width) / 2;
    int *ea = calloc((size_t)n, sizeof *ea), *eb = calloc((size_t)n, sizeof *eb);
    if (!ea || !eb) {
        free(ea);
        free(eb);
        return;
    }
    tui_hist_scale(c->hist_ref, c->hist_cur, (size_t)n, h, ea, eb);
    tui_draw_str(in.y, x0, 12, TUI_SLOT_CHART_1, "reference");
    tui_draw_str(in.y, x0 + 12, 10, TUI_SLOT_CHART_2, "current");
    int base = in.y + h; /* the bottom row of the bars */
    for (int i = 0; i < n; i++) {
        const int e[2] = {ea[i], eb[i]};
        for (int s = 0; s < 2; s++) {
            int x = x0 + i * cw + s;
            if (x >= in.x + in.w - 1) break;
            tui_slot slot = s ? TUI_SLOT_CHART_2 : TUI_SLOT_CHART_1;
            int full = e[s] / 8, part = e[s] % 8;
            for (int k = 0; k < full && k < h; k++) tui_draw_str(base - k, x, 1, slot, G->spark[8]);
            if (part && full < h) tui_draw_str(base - full, x, 1, slot, G->spark[part]);
        }
    }
    char lo[48], hi[48], mid[48];
    ll_drift_fmt(c->hist_lo, lo, sizeof lo);
    ll_drift_fmt(c->hist_hi, hi, sizeof hi);
    ll_drift_fmt((c->hist_lo + c->hist_hi) / 2, mid, sizeof mid);
    int y = base + 1;
    tui_draw_str(y, x0, 16, TUI_SLOT_TEXT_DIM, lo);
    int mw = (int)strlen(mid);
    tui_draw_str(y, x0 + width / 2 - mw / 2, mw, TUI_SLOT_TEXT_DIM, mid);
    int hw = (int)strlen(hi);
    tui_draw_str(y, x0 + width - hw, hw, TUI_SLOT_TEXT_DIM, hi);
    free(ea);
    free(eb);
}

static void draw_hist(dr *d, tui_rect r)
{
    const ll_drift_report *rep = d->rep;
    const ll_drift_result *c = rep && d->rows && rep->ncols
                                   ? &rep->cols[d->rows[tui_clamp_cursor(d->sel, (long)rep->ncols)]]
                                   : NULL;
    char title[400];
    if (c)
        snprintf(title, sizeof title, "%s: reference vs current (share of rows%s)", c->column_name,
                 c->hist_labels ? "" : " per bin; end bins hold the tails");
    else
        snprintf(title, sizeof title, "Histogram");
    tui_draw_box(r, TUI_SLOT_PANE_BORDER, title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    if (!c || in.h < 3) return;
    if (!c->nbins) {
        tui_draw_text(in.y, in.x + 1, in.w - 2, TUI_SLOT_TEXT_DIM,
                      c->note ? c->note : "no values to draw", TUI_ALIGN_LEFT);
        return;
    }
    if (c->hist_labels)
        hist_rows(c, in);
    else
        hist_columns(c, in);
}

static void dr_draw(void *self, tui_app *app, tui_rect r)
{
    dr *d = self;
    if (!d) return;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    layout(d, r);
    draw_info(d);
    draw_summary(d, d->summary);
    draw_table(d, d->table);
    draw_hist(d, d->hist);
    if (tui_dialog_is_open(&d->dlg)) tui_dialog_draw(&d->dlg, r);
}

static void dr_resize(void *self, tui_app *app, tui_rect r)
{
    dr *d = self;
    if (d) layout(d, r);
}

/* ---- actions ---- */

static int dr_action(void *self, tui_app *app, int argc, char **argv)
{
    dr *d = self;
    if (!d) return 0;
    const char *v = argv[0], *a = argc > 1 ? argv[1] : NULL;
    long n = d->rep ? (long)d->rep->ncols : 0;
    long page = d->table.h - 3 > 1 ? d->table.h - 3 : 1;
    if (!strcmp(v, "cursor") && a && !strcmp(a, "up"))
        d->sel = tui_clamp_cursor(d->sel - 1, n);
    else if (!strcmp(v, "cursor") && a && !strcmp(a, "down"))
        d->sel = tui_clamp_cursor(d->sel + 1, n);
    else if (!strcmp(v, "cursor") && a && !strcmp(a, "top"))
        d->sel = 0;
    else if (!strcmp(v, "cursor") && a && !strcmp(a, "bottom"))
        d->sel = tui_clamp_cursor(LONG_MAX / 2, n);
    else if (!strcmp(v, "page") && a && !strcmp(a, "up"))
        d->sel = tui_clamp_cursor(d->sel - page, n);
    else if (!strcmp(v, "page") && a && !strcmp(a, "down"))
        d->sel = tui_clamp_cursor(d->sel + page, n);
    else if (!strcmp(v, "pick-reference"))
        pick(d, SIDE_REF);
    else if (!strcmp(v, "pick-current"))
        pick(d, SIDE_CUR);
    else if (!strcmp(v, "reference") || !strcmp(v, "current")) {
        if (!a)
            pick(d, v[0] == 'r' ? SIDE_REF : SIDE_CUR);
        else
            set_side(d, v[0] == 'r' ? SIDE_REF : SIDE_CUR, a);
    } else if (!strcmp(v, "swap")) {
        char t[2048];
        snprintf(t, sizeof t, "%s", d->path[SIDE_REF]);
        snprintf(d->path[SIDE_REF], sizeof d->path[SIDE_REF], "%s", d->path[SIDE_CUR]);
        snprintf(d->path[SIDE_CUR], sizeof d->path[SIDE_CUR], "%s", t);
        /* a running comparison holds the cached profiles and hands them back unswapped; the
         * check by path and file time then reads again what does not match */
        cached_profile c = d->cache[SIDE_REF];
        d->cache[SIDE_REF] = d->cache[SIDE_CUR];
        d->cache[SIDE_CUR] = c;
        start_compare(d);
    } else if (!strcmp(v, "compare-again")) {
        if (!d->path[SIDE_REF][0] || !d->path[SIDE_CUR][0]) {
            tui_app_error(app, "choose the reference (r) and the current data (c) first");
        } else {
            for (int s = 0; s < SIDE_COUNT; s++) {
                ll_drift_profile_free(d->cache[s].p);
                memset(&d->cache[s], 0, sizeof d->cache[s]);
            }
            start_compare(d);
        }
    } else if (!strcmp(v, "html")) {
        if (!d->rep) {
            tui_app_error(app, "nothing compared yet");
        } else if (!a) {
            tui_app_error(app, "html needs a FILE");
        } else {
            ll_error err;
            ll_error_clear(&err);
            if (ll_drift_write_html(d->rep, a, &err)) {
                char buf[1400];
                tui_app_error(app, "html: %s", ll_error_format(&err, buf, sizeof buf));
            } else {
                tui_app_status(app, "wrote %s", a);
            }
        }
    } else
        return 0;
    return 1;
}

static void dr_mouse(void *self, tui_app *app, int y, int x, int what)
{
    dr *d = self;
    if (!d || tui_dialog_is_open(&d->dlg) || !d->rep) return;
    long n = (long)d->rep->ncols;
    if (what != TUI_MOUSE_CLICK) {
        d->sel = tui_clamp_cursor(d->sel + (what == TUI_MOUSE_WHEEL_UP ? -3 : 3), n);
        return;
    }
    tui_rect in = tui_rect_inner(d->table);
    if (tui_rect_contains(in, y, x) && y > in.y) {
        long k = d->top + (y - in.y - 1);
        if (k < n) d->sel = k;
    }
}

const tui_pane_ops tui_screen_drift = {
    .name = "Drift",
    .keys = &tui_keys_drift,
    .verbs = dr_verbs,
    .create = dr_create,
    .destroy = dr_destroy,
    .update = dr_update,
    .draw = dr_draw,
    .action = dr_action,
    .resize = dr_resize,
    .mouse = dr_mouse,
    .modal_key = dr_modal_key,
};
