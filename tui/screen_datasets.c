/* screen_datasets: CSV files, their column profiles, a data grid, and the target choice. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "chart.h"
#include "csv.h"
#include "draw.h"
#include "fmt.h"
#include "grid.h"
#include "profile.h"

enum { FOCUS_FILES = 0, FOCUS_COLUMNS, FOCUS_GRID, FOCUS_COUNT };
enum { JOB_NONE = 0, JOB_LOAD, JOB_PROFILE, JOB_SORT, JOB_SEARCH };
/* Tables with more rows than this are sorted and searched on a worker thread. */
#define SORT_INLINE_MAX 100000

/* A loaded table shared with profile jobs; the count is only touched on the UI thread. */
typedef struct {
    ll_table *t;
    int refs;
} shared_table;

typedef struct {
    char *name; /* shown */
    char *path; /* handed to the loader */
    char *abs;  /* for comparing with the loaded file (may equal path) */
    int recent; /* from the recent list, outside the data directory */
} file_entry;

typedef struct {
    tui_app *app;
    char dir[2048];
    file_entry *files;
    size_t nfiles;
    long fsel, ftop;
    int files_dirty;
    char recent_path[2048];
    char **recent;
    size_t nrecent;

    char path[2048]; /* the loaded file */
    char abs[PATH_MAX];
    shared_table *tab;
    ll_profile *prof;
    ll_csv_report report;
    double load_ms;
    long long bytes;
    char target[256];
    int *widths; /* grid column widths */

    tui_job *job;
    unsigned job_id;
    int job_kind;
    char job_path[2048];

    long csel, ctop;
    size_t *perm;
    long sort_col;
    int sort_desc;
    long rsel, rtop, gleft;
    int focus;
    int narrow_detail; /* no room for the detail pane: it replaces the grid while set */
    char search[256];

    tui_datasets_layout L;
} ds;

static const tui_verb ds_verbs[] = {
    {"open", "FILE", "Datasets: load a CSV file (path or http(s) URL)"},
    {"target", "[COLUMN|none]", "Datasets: set the target column used by Train"},
    {"sort", "[COLUMN]", "Datasets: sort the data grid (again: descending, file order)"},
    {"search", "TEXT", "Datasets: find TEXT in the focused pane"},
    {"reload", "", "Datasets: read the loaded file again"},
    {NULL, NULL, NULL},
};

/* ---- shared table ---- */

static shared_table *table_ref(shared_table *s)
{
    if (s) s->refs++;
    return s;
}

static void table_unref(shared_table *s)
{
    if (!s || --s->refs > 0) return;
    ll_table_free(s->t);
    free(s);
}

/* ---- files ---- */

static void files_free(ds *d)
{
    for (size_t i = 0; i < d->nfiles; i++) {
        free(d->files[i].name);
        free(d->files[i].path);
        free(d->files[i].abs);
    }
    free(d->files);
    d->files = NULL;
    d->nfiles = 0;
}

static int is_url(const char *p)
{
    return !strncmp(p, "http://", 7) || !strncmp(p, "https://", 8);
}

static char *abs_of(const char *p)
{
    char buf[PATH_MAX];
    if (!is_url(p) && realpath(p, buf)) return strdup(buf);
    return strdup(p);
}

static int files_push(ds *d, const char *name, const char *path, int recent)
{
    file_entry *nf = realloc(d->files, (d->nfiles + 1) * sizeof *nf);
    if (!nf) return -1;
    d->files = nf;
    file_entry *e = &d->files[d->nfiles];
    e->name = strdup(name);
    e->path = strdup(path);
    e->abs = abs_of(path);
    e->recent = recent;
    if (!e->name || !e->path || !e->abs) {
        free(e->name);
        free(e->path);
        free(e->abs);
        return -1;
    }
    d->nfiles++;
    return 0;
}

static long files_find_abs(const ds *d, const char *abs)
{
    for (size_t i = 0; i < d->nfiles; i++)
        if (!strcmp(d->files[i].abs, abs)) return (long)i;
    return -1;
}

/* The data directory's CSV files, then recently opened files from elsewhere. */
static void files_rebuild(ds *d)
{
    char keep[PATH_MAX] = "";
    if (d->fsel >= 0 && (size_t)d->fsel < d->nfiles)
        snprintf(keep, sizeof keep, "%s", d->files[d->fsel].abs);
    files_free(d);
    char **names = NULL;
    size_t n = tui_list_datasets(d->dir, &names);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        if (!strcmp(d->dir, "."))
            snprintf(path, sizeof path, "%s", names[i]);
        else
            snprintf(path, sizeof path, "%s/%s", d->dir, names[i]);
        files_push(d, names[i], path, 0);
    }
    tui_strv_free(names, n);
    const char *home = getenv("HOME");
    size_t hl = home ? strlen(home) : 0;
    for (size_t i = 0; i < d->nrecent; i++) {
        char *a = abs_of(d->recent[i]);
        int dup = a && files_find_abs(d, a) >= 0;
        free(a);
        if (dup) continue;
        char shown[4096];
        if (hl > 1 && !strncmp(d->recent[i], home, hl) && d->recent[i][hl] == '/')
            snprintf(shown, sizeof shown, "~%s", d->recent[i] + hl);
        else
            snprintf(shown, sizeof shown, "%s", d->recent[i]);
        files_push(d, shown, d->recent[i], 1);
    }
    if (d->job_kind == JOB_LOAD || d->path[0]) {
        const char *p = d->job_kind == JOB_LOAD ? d->job_path : d->path;
        char *a = abs_of(p);
        if (a && files_find_abs(d, a) < 0) files_push(d, p, p, 1);
        free(a);
    }
    d->fsel = keep[0] ? files_find_abs(d, keep) : 0;
    if (d->fsel < 0) d->fsel = 0;
    d->files_dirty = 0;
}

static void recent_remember(ds *d, const char *path)
{
    if (!d->recent_path[0]) return;
    char *a = abs_of(path);
    if (!a) return;
    if (tui_recent_add(&d->recent, &d->nrecent, a, TUI_RECENT_MAX) == 0)
        tui_recent_save(d->recent_path, d->recent, d->nrecent);
    free(a);
}

/* ---- jobs ---- */

typedef struct {
    char path[2048];
    char target[256];
    int target_given; /* keep this target (or none when target is "") */
} load_arg;

typedef struct {
    ll_status st;
    ll_error err;
    ll_table *t;
    ll_profile *p;
    ll_csv_report rep;
    int *widths;
    double ms;
    long long bytes;
    char target[256];
    char warn[1200];
} load_res;

static int load_progress(size_t done, size_t total, void *ud)
{
    tui_job *job = ud;
    tui_job_progress(job, total ? 0.9 * (double)done / (double)total : -1, "reading");
    return tui_job_cancelled(job);
}

/* Profile t with target (NULL = none); a target the profile refuses is dropped with a
 * warning so the columns still show. */
static ll_status profile_with(tui_job *job, const ll_table *t, const char *target, ll_profile **out,
                              char *warn, size_t wlen, ll_error *err)
{
    ll_profile_options po;
    memset(&po, 0, sizeof po);
    po.target = target && *target ? target : NULL;
    po.cancel = tui_job_cancel_flag(job);
    ll_status st = ll_profile_compute(t, &po, out, err);
    if (st != LL_OK && st != LL_ECANCELLED && po.target) {
        char buf[1100];
        snprintf(warn, wlen, "target '%s' not used: %s", po.target,
                 ll_error_format(err, buf, sizeof buf));
        po.target = NULL;
        ll_error_clear(err);
        st = ll_profile_compute(t, &po, out, err);
    }
    return st;
}

static void *load_worker(tui_job *job, void *p)
{
    load_arg *a = p;
    load_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    double t0 = tui_now_ms();
    struct stat sb;
    r->bytes = stat(a->path, &sb) == 0 ? (long long)sb.st_size : -1;
    ll_csv_options o;
    memset(&o, 0, sizeof o);
    o.progress = load_progress;
    o.progress_ud = job;
    o.cancel = tui_job_cancel_flag(job);
    tui_job_progress(job, 0, "reading");
    r->st = ll_csv_read_table(a->path, &o, &r->t, &r->rep, &r->err);
    if (r->st != LL_OK) return r;
    if (a->target_given) {
        if (a->target[0] && ll_table_find(r->t, a->target) >= 0)
            snprintf(r->target, sizeof r->target, "%s", a->target);
    } else {
        long g = ll_profile_guess_target(r->t);
        if (g >= 0) snprintf(r->target, sizeof r->target, "%s", r->t->cols[g].name);
    }
    tui_job_progress(job, 0.92, "profiling");
    r->st = profile_with(job, r->t, r->target, &r->p, r->warn, sizeof r->warn, &r->err);
    if (r->st == LL_OK && !r->p->has_target) r->target[0] = '\0';
    r->widths = calloc(r->t->ncols ? r->t->ncols : 1, sizeof *r->widths);
    if (r->widths) {
        tui_grid_widths(r->t, 2000, 3, 24, r->widths);
        for (size_t c = 0; c < r->t->ncols; c++) r->widths[c]++; /* room for a sort marker */
    }
    r->ms = tui_now_ms() - t0;
    return r;
}

static void grid_reset(ds *d)
{
    free(d->perm);
    d->perm = NULL;
    d->sort_col = -1;
    d->sort_desc = 0;
    size_t n = d->tab ? d->tab->t->nrows : 0;
    d->perm = malloc((n ? n : 1) * sizeof *d->perm);
    if (d->perm) tui_grid_identity(d->perm, n);
}

static void load_done(tui_job *job, void *result, void *ud)
{
    ds *d = ud;
    load_arg *a = job->arg;
    load_res *r = result;
    tui_app *app = d->app;
    int superseded = d->job != job;
    if (!superseded) {
        d->job = NULL;
        d->job_kind = JOB_NONE;
    }
    if (superseded) {
        /* a later load replaced this one: drop its result quietly */
        if (r) {
            ll_profile_free(r->p);
            ll_table_free(r->t);
            free(r->widths);
        }
    } else if (!r) {
        tui_app_error(app, "loading %s: out of memory", a->path);
    } else if (r->st != LL_OK) {
        char buf[1400];
        if (r->st == LL_ECANCELLED)
            tui_app_status(app, "loading %s cancelled", a->path);
        else
            tui_app_error(app, "cannot load %s", ll_error_format(&r->err, buf, sizeof buf));
        ll_profile_free(r->p);
        ll_table_free(r->t);
        free(r->widths);
    } else {
        shared_table *s = malloc(sizeof *s);
        if (!s) {
            ll_profile_free(r->p);
            ll_table_free(r->t);
            free(r->widths);
            tui_app_error(app, "loading %s: out of memory", a->path);
        } else {
            int same = !strcmp(d->path, a->path);
            s->t = r->t;
            s->refs = 1;
            table_unref(d->tab);
            ll_profile_free(d->prof);
            free(d->widths);
            d->tab = s;
            d->prof = r->p;
            d->widths = r->widths;
            d->report = r->rep;
            d->load_ms = r->ms;
            d->bytes = r->bytes;
            snprintf(d->path, sizeof d->path, "%s", a->path);
            snprintf(d->target, sizeof d->target, "%s", r->target);
            char *ab = abs_of(a->path);
            snprintf(d->abs, sizeof d->abs, "%s", ab ? ab : a->path);
            free(ab);
            grid_reset(d);
            if (!same) {
                d->csel = d->ctop = d->rsel = d->rtop = d->gleft = 0;
            }
            d->csel = tui_clamp_cursor(d->csel, (long)s->t->ncols);
            d->rsel = tui_clamp_cursor(d->rsel, (long)s->t->nrows);
            recent_remember(d, a->path);
            d->files_dirty = 1;
            tui_app_set_dataset(app, d->path, d->target);
            char rows[32], cols[32];
            if (r->warn[0])
                tui_app_error(app, "%s", r->warn);
            else
                tui_app_status(app, "loaded %s: %s rows, %s columns in %.0f ms%s%s", a->path,
                               tui_fmt_count(s->t->nrows, rows, sizeof rows),
                               tui_fmt_count(s->t->ncols, cols, sizeof cols), r->ms,
                               r->rep.skipped_rows ? ", some rows skipped" : "",
                               d->target[0] ? "" : " (no target: press t on a column)");
        }
    }
    free(r);
    free(a);
    tui_app_touch(app, &tui_screen_datasets);
}

static void start_load(ds *d, const char *path, const char *target, int target_given)
{
    if (d->job) {
        if (d->job_kind == JOB_LOAD && !strcmp(d->job_path, path)) return;
        d->job->cancel = 1; /* its result is dropped when it finishes */
    }
    load_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    snprintf(a->path, sizeof a->path, "%s", path);
    snprintf(a->target, sizeof a->target, "%s", target ? target : "");
    a->target_given = target_given;
    const char *base = strrchr(path, '/');
    char name[256];
    snprintf(name, sizeof name, "load %s", base ? base + 1 : path);
    tui_job *job = tui_job_start(&d->app->jobs, name, load_worker, a, load_done, d);
    if (!job) {
        free(a);
        tui_app_error(d->app, "cannot start a worker thread");
        return;
    }
    d->job = job;
    d->job_id = job->id;
    d->job_kind = JOB_LOAD;
    snprintf(d->job_path, sizeof d->job_path, "%s", path);
    tui_app_status(d->app, "loading %s ...", path);
}

typedef struct {
    shared_table *tab;
    char target[256];
} prof_arg;

typedef struct {
    ll_status st;
    ll_error err;
    ll_profile *p;
    char warn[1200];
} prof_res;

static void *prof_worker(tui_job *job, void *p)
{
    prof_arg *a = p;
    prof_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    tui_job_progress(job, -1, "profiling");
    r->st = profile_with(job, a->tab->t, a->target, &r->p, r->warn, sizeof r->warn, &r->err);
    return r;
}

static void prof_done(tui_job *job, void *result, void *ud)
{
    ds *d = ud;
    prof_arg *a = job->arg;
    prof_res *r = result;
    if (d->job == job) {
        d->job = NULL;
        d->job_kind = JOB_NONE;
    }
    tui_app *app = d->app;
    if (r && r->st == LL_OK && a->tab == d->tab) {
        ll_profile_free(d->prof);
        d->prof = r->p;
        r->p = NULL;
        snprintf(d->target, sizeof d->target, "%s", d->prof->has_target ? a->target : "");
        tui_app_set_dataset(app, d->path, d->target);
        if (r->warn[0])
            tui_app_error(app, "%s", r->warn);
        else if (d->target[0])
            tui_app_status(app, "target: %s (positive class '%s', rate %.2f%%)", d->target,
                           d->prof->target.classes[d->prof->target.positive_index].value,
                           d->prof->target.positive_rate * 100.0);
        else
            tui_app_status(app, "no target column");
    } else if (r && r->st != LL_OK && r->st != LL_ECANCELLED) {
        char buf[1400];
        tui_app_error(app, "profile: %s", ll_error_format(&r->err, buf, sizeof buf));
    }
    if (r) ll_profile_free(r->p);
    free(r);
    table_unref(a->tab);
    free(a);
    tui_app_touch(app, &tui_screen_datasets);
}

static void set_target(ds *d, const char *name)
{
    if (!d->tab) {
        tui_app_error(d->app, "no dataset loaded");
        return;
    }
    if (d->job) {
        tui_app_error(d->app, "busy (%s); try again when it ends or press x", d->job->name);
        return;
    }
    if (name[0] && ll_table_find(d->tab->t, name) < 0) {
        tui_app_error(d->app, "no column '%s' in %s", name, d->path);
        return;
    }
    prof_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    a->tab = table_ref(d->tab);
    snprintf(a->target, sizeof a->target, "%s", name);
    tui_job *job = tui_job_start(&d->app->jobs, "profile", prof_worker, a, prof_done, d);
    if (!job) {
        table_unref(a->tab);
        free(a);
        tui_app_error(d->app, "cannot start a worker thread");
        return;
    }
    d->job = job;
    d->job_id = job->id;
    d->job_kind = JOB_PROFILE;
}

/* ---- create / destroy ---- */

static void *ds_create(tui_app *app)
{
    ds *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->app = app;
    d->sort_col = -1;
    d->focus = FOCUS_COLUMNS;
    if (tui_recent_path(d->recent_path, sizeof d->recent_path))
        d->nrecent = tui_recent_load(d->recent_path, &d->recent, TUI_RECENT_MAX);
    const char *f = app->file_arg;
    if (f[0] && !is_url(f)) {
        snprintf(d->dir, sizeof d->dir, "%s", f);
        char *slash = strrchr(d->dir, '/');
        if (slash == d->dir)
            d->dir[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            snprintf(d->dir, sizeof d->dir, ".");
    } else {
        snprintf(d->dir, sizeof d->dir, ".");
    }
    if (f[0]) start_load(d, f, NULL, 0);
    files_rebuild(d);
    if (f[0]) {
        char *a = abs_of(f);
        long i = a ? files_find_abs(d, a) : -1;
        free(a);
        if (i >= 0) d->fsel = i;
    } else {
        d->focus = FOCUS_FILES;
        tui_app_status(app, "choose a file and press Enter (or :open FILE)");
    }
    return d;
}

static void ds_destroy(void *self)
{
    ds *d = self;
    if (!d) return;
    files_free(d);
    tui_strv_free(d->recent, d->nrecent);
    table_unref(d->tab);
    ll_profile_free(d->prof);
    free(d->widths);
    free(d->perm);
    free(d);
}

static void ds_update(void *self, tui_app *app)
{
    ds *d = self;
    if (d && d->files_dirty) files_rebuild(d);
}

static void ds_resize(void *self, tui_app *app, tui_rect r)
{
    ds *d = self;
    if (d) d->L = tui_layout_datasets(r);
}

/* ---- drawing ---- */

static tui_slot border_of(const ds *d, int focus)
{
    return d->focus == focus ? TUI_SLOT_PANE_BORDER_FOCUS : TUI_SLOT_PANE_BORDER;
}

static tui_slot sel_of(const ds *d, int focus)
{
    return d->focus == focus ? TUI_SLOT_SELECTION : TUI_SLOT_SELECTION_DIM;
}

static void draw_files(ds *d, tui_rect r)
{
    const tui_glyphs *G = tui_draw_glyphs();
    char title[128];
    snprintf(title, sizeof title, "Files (%zu)", d->nfiles);
    tui_draw_box(r, border_of(d, FOCUS_FILES), title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    d->fsel = tui_clamp_cursor(d->fsel, (long)d->nfiles);
    d->ftop = tui_scroll_follow(d->ftop, d->fsel, in.h, (long)d->nfiles);
    if (!d->nfiles) {
        tui_draw_text(in.y, in.x + 1, in.w - 1, TUI_SLOT_TEXT_DIM, "no CSV files here",
                      TUI_ALIGN_LEFT);
        return;
    }
    for (int i = 0; i < in.h; i++) {
        long k = d->ftop + i;
        if (k >= (long)d->nfiles) break;
        const file_entry *e = &d->files[k];
        int loaded = d->abs[0] && !strcmp(e->abs, d->abs);
        int loading = d->job_kind == JOB_LOAD && !strcmp(e->path, d->job_path);
        tui_slot s = k == d->fsel ? sel_of(d, FOCUS_FILES)
                     : e->recent  ? TUI_SLOT_TEXT_DIM
                                  : TUI_SLOT_TEXT;
        tui_draw_fill(in.y + i, in.x, in.w, s);
        tui_draw_str(in.y + i, in.x, 1, s, loaded ? G->loaded : loading ? "~" : " ");
        tui_draw_text(in.y + i, in.x + 2, in.w - 2, s, e->name, TUI_ALIGN_LEFT);
    }
}

static const char *type_short(const ll_profile_column *c)
{
    return c->type == LL_COL_NUMERIC ? "num" : c->type == LL_COL_BOOLEAN ? "bool" : "cat";
}

/* Level counts (most frequent first) as histogram input for categorical columns. */
static int level_counts(const ll_profile_column *c, size_t *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < c->nlevels && n < max; i++) out[n++] = c->levels[i].count;
    return n;
}

enum { PC_NAME, PC_TYPE, PC_MISSING, PC_DISTINCT, PC_MIN, PC_MEAN, PC_MAX, PC_HIST, PC_COUNT };

static void draw_progress_box(ds *d, tui_rect in)
{
    tui_job *j = d->job;
    if (!j || in.h < 3) return;
    int y = in.y + in.h / 2 - 1, w = in.w - 8 > 60 ? 60 : in.w - 8, x = in.x + (in.w - w) / 2;
    char line[512];
    snprintf(line, sizeof line, "%s: %s%s", j->name, j->stage[0] ? j->stage : "starting",
             j->progress >= 0 ? "" : "...");
    if (j->progress >= 0) {
        size_t l = strlen(line);
        snprintf(line + l, sizeof line - l, " %.0f%%", j->progress * 100);
    }
    tui_draw_text(y, x, w, TUI_SLOT_TEXT, line, TUI_ALIGN_CENTER);
    tui_draw_bar(y + 1, x, w, j->progress < 0 ? 0 : j->progress, TUI_SLOT_PROGRESS,
                 TUI_SLOT_TEXT_DIM);
    tui_draw_text(y + 2, x, w, TUI_SLOT_TEXT_DIM, "x cancels", TUI_ALIGN_CENTER);
}

static void draw_columns(ds *d, tui_rect r)
{
    const tui_glyphs *G = tui_draw_glyphs();
    char title[512], a[32], b[32];
    tui_rect in = tui_rect_inner(r);
    if (!d->prof) {
        tui_draw_box(r, border_of(d, FOCUS_COLUMNS), "Columns", TUI_SLOT_PANE_TITLE);
        if (d->job)
            draw_progress_box(d, in);
        else
            tui_draw_text(in.y, in.x + 1, in.w - 1, TUI_SLOT_TEXT_DIM,
                          "no dataset loaded: choose a file on the left and press Enter",
                          TUI_ALIGN_LEFT);
        return;
    }
    const ll_profile *p = d->prof;
    const char *base = strrchr(d->path, '/');
    base = base ? base + 1 : d->path;
    int n = snprintf(title, sizeof title, "Columns: %s, %s rows, %s columns", base,
                     tui_fmt_count(p->nrows, a, sizeof a), tui_fmt_count(p->ncols, b, sizeof b));
    if (p->has_target && n > 0 && (size_t)n < sizeof title) {
        snprintf(title + n, sizeof title - (size_t)n, ", target %s (%s %.2f%%)", p->target.name,
                 p->target.classes[p->target.positive_index].value,
                 p->target.positive_rate * 100.0);
    }
    if (d->job && d->job_kind == JOB_LOAD) {
        size_t l = strlen(title);
        snprintf(title + l, sizeof title - l, " [loading %.200s]", d->job_path);
    }
    tui_draw_box(r, border_of(d, FOCUS_COLUMNS), title, TUI_SLOT_PANE_TITLE);

    /* which statistics fit */
    int namew = 6;
    for (size_t i = 0; i < p->ncols; i++) {
        int w = tui_text_width(p->cols[i].name, strlen(p->cols[i].name)) + 2;
        if (w > namew) namew = w;
    }
    if (namew > 22) namew = 22;
    static const char *const head[PC_COUNT] = {"column", "type", "missing", "distinct",
                                               "min",    "mean", "max",     "histogram"};
    int want[PC_COUNT] = {namew, 4, 7, 8, 9, 9, 9, 16};
    static const int prio[PC_COUNT] = {0, 1, 2, 5, 6, 4, 7, 3};
    int shown[PC_COUNT];
    tui_layout_columns(want, prio, PC_COUNT, in.w - 2, 30, shown);
    int xs[PC_COUNT], x = in.x + 1;
    for (int c = 0; c < PC_COUNT; c++) {
        xs[c] = x;
        if (shown[c]) x += shown[c] + 1;
    }
    for (int c = 0; c < PC_COUNT; c++)
        if (shown[c])
            tui_draw_text(in.y, xs[c], shown[c], TUI_SLOT_HEADER, head[c],
                          c == PC_NAME || c == PC_TYPE || c == PC_HIST ? TUI_ALIGN_LEFT
                                                                       : TUI_ALIGN_RIGHT);
    int rows = in.h - 1;
    d->csel = tui_clamp_cursor(d->csel, (long)p->ncols);
    d->ctop = tui_scroll_follow(d->ctop, d->csel, rows, (long)p->ncols);
    for (int i = 0; i < rows; i++) {
        long k = d->ctop + i;
        if (k >= (long)p->ncols) break;
        const ll_profile_column *c = &p->cols[k];
        int y = in.y + 1 + i;
        int sel = k == d->csel;
        tui_slot base_slot = sel ? sel_of(d, FOCUS_COLUMNS) : TUI_SLOT_TEXT;
        tui_draw_fill(y, in.x, in.w, base_slot);
        char name[300];
        snprintf(name, sizeof name, "%s %s", c->is_target ? G->target : " ", c->name);
        tui_draw_text(y, xs[PC_NAME], shown[PC_NAME],
                      c->is_target && !sel ? TUI_SLOT_TARGET : base_slot, name, TUI_ALIGN_LEFT);
        char buf[64];
        if (shown[PC_TYPE])
            tui_draw_text(y, xs[PC_TYPE], shown[PC_TYPE], base_slot,
                          c->is_target ? "tgt" : type_short(c), TUI_ALIGN_LEFT);
        if (shown[PC_MISSING]) {
            size_t tot = c->count + c->missing;
            tui_draw_text(y, xs[PC_MISSING], shown[PC_MISSING],
                          c->missing && !sel ? TUI_SLOT_METRIC_BAD : base_slot,
                          tui_fmt_pct(tot ? (double)c->missing / (double)tot : 0, buf, sizeof buf),
                          TUI_ALIGN_RIGHT);
        }
        if (shown[PC_DISTINCT])
            tui_draw_text(y, xs[PC_DISTINCT], shown[PC_DISTINCT], base_slot,
                          tui_fmt_count(c->distinct, buf, sizeof buf), TUI_ALIGN_RIGHT);
        int num = c->type != LL_COL_CATEGORICAL;
        const int stat_cols[3] = {PC_MIN, PC_MEAN, PC_MAX};
        const double stat_vals[3] = {c->min, c->mean, c->max};
        for (int s = 0; s < 3; s++)
            if (shown[stat_cols[s]] && num)
                tui_draw_text(y, xs[stat_cols[s]], shown[stat_cols[s]], base_slot,
                              tui_fmt_num(stat_vals[s], shown[stat_cols[s]], buf, sizeof buf),
                              TUI_ALIGN_RIGHT);
        if (shown[PC_HIST]) {
            tui_slot hs = sel ? base_slot : TUI_SLOT_CHART_1;
            if (c->type == LL_COL_NUMERIC && c->nbins > 0) {
                tui_draw_spark(y, xs[PC_HIST], shown[PC_HIST], c->hist_counts, c->nbins, hs);
            } else if (c->nlevels) {
                size_t counts[64];
                int nl = level_counts(c, counts, shown[PC_HIST] < 64 ? shown[PC_HIST] : 64);
                tui_draw_spark(y, xs[PC_HIST], shown[PC_HIST], counts, nl,
                               sel ? base_slot : TUI_SLOT_CHART_2);
            }
        }
    }
}

static void draw_detail(ds *d, tui_rect r)
{
    if (r.w < 10 || r.h < 3) return;
    const ll_profile *p = d->prof;
    if (!p || d->csel >= (long)p->ncols) {
        tui_draw_box(r, TUI_SLOT_PANE_BORDER, "Column", TUI_SLOT_PANE_TITLE);
        return;
    }
    const ll_profile_column *c = &p->cols[d->csel];
    char title[300], a[64], b[64];
    snprintf(title, sizeof title, "Column: %s", c->name);
    tui_draw_box(r, TUI_SLOT_PANE_BORDER, title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    int x = in.x + 1, w = in.w - 2, y = in.y, end = in.y + in.h;
    char line[512];
    snprintf(line, sizeof line, "%s%s, %s values, %s missing", ll_coltype_name(c->type),
             c->is_target ? " (target)" : "", tui_fmt_count(c->count, a, sizeof a),
             tui_fmt_count(c->missing, b, sizeof b));
    tui_draw_text(y++, x, w, TUI_SLOT_TEXT, line, TUI_ALIGN_LEFT);
    snprintf(line, sizeof line, "%s distinct", tui_fmt_count(c->distinct, a, sizeof a));
    tui_draw_text(y++, x, w, TUI_SLOT_TEXT_DIM, line, TUI_ALIGN_LEFT);
    if (c->type == LL_COL_NUMERIC) {
        const char *lab[4] = {"min", "max", "mean", "std"};
        const double val[4] = {c->min, c->max, c->mean, c->std};
        for (int k = 0; k < 4 && y < end; k += 2) {
            snprintf(line, sizeof line, "%-4s %10s  %-4s %10s", lab[k],
                     tui_fmt_num(val[k], 10, a, 64), lab[k + 1],
                     tui_fmt_num(val[k + 1], 10, b, 64));
            tui_draw_text(y++, x, w, TUI_SLOT_TEXT, line, TUI_ALIGN_LEFT);
        }
        for (int q = 0; q < LL_PROFILE_NQUANT && y < end - 2; q++) {
            snprintf(line, sizeof line, "%-4s %10s", ll_profile_quantile_names[q],
                     tui_fmt_num(c->quantiles[q], 10, a, 64));
            tui_draw_text(y++, x, w, TUI_SLOT_TEXT, line, TUI_ALIGN_LEFT);
        }
        if (c->nbins > 0 && y + 1 < end) {
            /* the distribution as a curve over the histogram bins, as tall as room allows */
            double ys[LL_PROFILE_BINS * 4];
            int nb =
                c->nbins < (int)(sizeof ys / sizeof *ys) ? c->nbins : (int)(sizeof ys / sizeof *ys);
            for (int k = 0; k < nb; k++) ys[k] = (double)c->hist_counts[k];
            double lo, hi;
            tui_chart_range(ys, nb, &lo, &hi);
            int ch = end - y - 1 < 4 ? end - y - 1 : 4;
            tui_draw_chart(y + 1, x, w, ch, ys, nb, 0, hi, TUI_SLOT_CHART_1);
        }
        return;
    }
    /* levels with share and, with a target, the positive rate per level */
    int rate = p->has_target && !c->is_target;
    if (y < end) {
        snprintf(line, sizeof line, "%-12s %6s %6s%s", "value", "count", "share",
                 rate ? "   rate" : "");
        tui_draw_text(y++, x, w, TUI_SLOT_HEADER, line, TUI_ALIGN_LEFT);
    }
    size_t tot = c->count + c->missing;
    double maxrate = 0;
    for (size_t i = 0; i < c->nlevels; i++)
        if (c->levels[i].target_rate > maxrate) maxrate = c->levels[i].target_rate;
    for (size_t i = 0; i < c->nlevels && y < end; i++) {
        const ll_profile_level *l = &c->levels[i];
        char lab[64];
        int fit = (int)tui_text_fit(l->value, strlen(l->value), 12, NULL);
        snprintf(lab, sizeof lab, "%.*s", fit, l->value);
        int lw = tui_text_width(lab, strlen(lab));
        char pad[32];
        snprintf(pad, sizeof pad, "%*s", 12 - lw > 0 ? 12 - lw : 0, "");
        char cnt[32], sh[16], rt[16];
        snprintf(line, sizeof line, "%s%s %6s %6s", lab, pad, tui_fmt_count(l->count, cnt, 32),
                 tui_fmt_pct(tot ? (double)l->count / (double)tot : 0, sh, sizeof sh));
        int used = tui_draw_text(y, x, w, TUI_SLOT_TEXT, line, TUI_ALIGN_LEFT);
        if (rate && used + 8 <= w) {
            tui_fmt_pct(l->target_rate, rt, sizeof rt);
            tui_slot rs = isnan(l->target_rate)                            ? TUI_SLOT_TEXT_DIM
                          : l->target_rate > p->target.positive_rate * 1.1 ? TUI_SLOT_METRIC_BAD
                          : l->target_rate < p->target.positive_rate * 0.9 ? TUI_SLOT_METRIC_GOOD
                                                                           : TUI_SLOT_TEXT;
            tui_draw_text(y, x + used + 1, 7, rs, rt, TUI_ALIGN_RIGHT);
            int bw = w - used - 9 < 20 ? w - used - 9 : 20;
            if (bw > 2 && !isnan(l->target_rate))
                tui_draw_bar(y, x + used + 9, bw, maxrate > 0 ? l->target_rate / maxrate : 0,
                             TUI_SLOT_CHART_1, TUI_SLOT_TEXT);
        }
        y++;
    }
}

/* Columns of the grid visible from gleft in width w; sets *last to the last shown one. */
static void grid_fix_left(ds *d, int w)
{
    const ll_table *t = d->tab->t;
    if (d->csel < d->gleft) d->gleft = d->csel;
    for (;;) {
        int x = 0;
        long last = d->gleft - 1;
        for (long c = d->gleft; c < (long)t->ncols; c++) {
            if (x + d->widths[c] > w && c > d->gleft) break;
            x += d->widths[c] + 1;
            last = c;
        }
        if (d->csel <= last || d->gleft >= d->csel) break;
        d->gleft++;
    }
}

/* Width of grid column c drawn at x when the grid ends at xend: clipped at the edge, or 0
 * when fewer than 4 cells remain for it (a sliver of a value would mislead). */
static int grid_cell_width(const ds *d, long c, int x, int xend)
{
    int cw = d->widths[c];
    if (x + cw > xend) {
        cw = xend - x;
        if (cw < 4 && cw < d->widths[c]) return 0;
    }
    return cw > 0 ? cw : 0;
}

static void draw_grid(ds *d, tui_rect r)
{
    const tui_glyphs *G = tui_draw_glyphs();
    tui_rect in = tui_rect_inner(r);
    if (!d->tab || !d->widths || !d->perm) {
        tui_draw_box(r, border_of(d, FOCUS_GRID), "Data", TUI_SLOT_PANE_TITLE);
        return;
    }
    const ll_table *t = d->tab->t;
    char title[512], a[32], b[32];
    int n = snprintf(title, sizeof title, "Data: row %s of %s",
                     tui_fmt_count(t->nrows ? (size_t)d->rsel + 1 : 0, a, sizeof a),
                     tui_fmt_count(t->nrows, b, sizeof b));
    if (d->sort_col >= 0 && n > 0 && (size_t)n < sizeof title)
        snprintf(title + n, sizeof title - (size_t)n, ", sorted by %s %s",
                 t->cols[d->sort_col].name, d->sort_desc ? G->down : G->up);
    tui_draw_box(r, border_of(d, FOCUS_GRID), title, TUI_SLOT_PANE_TITLE);
    char rn[32];
    snprintf(rn, sizeof rn, "%zu", t->nrows);
    int numw = (int)strlen(rn);
    if (numw < 3) numw = 3;
    int x0 = in.x + 1 + numw + 1, w = in.w - numw - 3;
    if (w < 4 || in.h < 2) return;
    d->csel = tui_clamp_cursor(d->csel, (long)t->ncols);
    grid_fix_left(d, w);
    int rows = in.h - 1;
    d->rsel = tui_clamp_cursor(d->rsel, (long)t->nrows);
    d->rtop = tui_scroll_follow(d->rtop, d->rsel, rows, (long)t->nrows);
    tui_draw_text(in.y, in.x + 1, numw, TUI_SLOT_HEADER, "#", TUI_ALIGN_RIGHT);
    int x = x0;
    for (long c = d->gleft; c < (long)t->ncols && x < x0 + w; c++) {
        int cw = grid_cell_width(d, c, x, x0 + w);
        if (!cw) break;
        tui_slot hs = c == d->csel                                          ? sel_of(d, FOCUS_GRID)
                      : d->target[0] && !strcmp(t->cols[c].name, d->target) ? TUI_SLOT_TARGET
                                                                            : TUI_SLOT_HEADER;
        int align = t->cols[c].type == LL_COL_CATEGORICAL ? TUI_ALIGN_LEFT : TUI_ALIGN_RIGHT;
        if (c == d->sort_col && cw > 1) {
            /* the sort marker keeps its cell even when the name is clipped */
            tui_draw_text(in.y, x, cw - 1, hs, t->cols[c].name, align);
            tui_draw_str(in.y, x + cw - 1, 1, hs, d->sort_desc ? G->down : G->up);
        } else {
            tui_draw_text(in.y, x, cw, hs, t->cols[c].name, align);
        }
        x += cw + 1;
    }
    for (int i = 0; i < rows; i++) {
        long v = d->rtop + i;
        if (v >= (long)t->nrows) break;
        size_t row = d->perm[v];
        int y = in.y + 1 + i;
        int sel = v == d->rsel;
        tui_slot base = sel ? sel_of(d, FOCUS_GRID) : TUI_SLOT_TEXT;
        if (sel) tui_draw_fill(y, in.x, in.w, base);
        snprintf(rn, sizeof rn, "%zu", row + 1);
        tui_draw_text(y, in.x + 1, numw, sel ? base : TUI_SLOT_TEXT_DIM, rn, TUI_ALIGN_RIGHT);
        x = x0;
        for (long c = d->gleft; c < (long)t->ncols && x < x0 + w; c++) {
            int cw = grid_cell_width(d, c, x, x0 + w);
            if (!cw) break;
            const ll_column *col = &t->cols[c];
            char buf[128];
            if (ll_column_is_missing(col, row)) {
                tui_draw_text(y, x, cw, sel ? base : TUI_SLOT_MISSING, G->missing,
                              TUI_ALIGN_CENTER);
            } else {
                const char *s = ll_column_cell_text(col, row, buf, sizeof buf);
                tui_draw_text(y, x, cw, base, s,
                              col->type == LL_COL_CATEGORICAL ? TUI_ALIGN_LEFT : TUI_ALIGN_RIGHT);
            }
            x += cw + 1;
        }
    }
}

static void ds_draw(void *self, tui_app *app, tui_rect r)
{
    ds *d = self;
    if (!d) return;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    d->L = tui_layout_datasets(r);
    draw_files(d, d->L.files);
    draw_columns(d, d->L.columns);
    if (d->L.detail.w > 0) {
        draw_grid(d, d->L.grid);
        draw_detail(d, d->L.detail);
    } else if (d->narrow_detail && d->focus == FOCUS_COLUMNS) {
        draw_detail(d, d->L.grid);
    } else {
        d->narrow_detail = 0;
        draw_grid(d, d->L.grid);
    }
}

/* ---- actions ---- */

static long page_of(const ds *d, int focus)
{
    tui_rect r = focus == FOCUS_FILES     ? d->L.files
                 : focus == FOCUS_COLUMNS ? d->L.columns
                                          : d->L.grid;
    long p = r.h - (focus == FOCUS_FILES ? 2 : 3);
    return p > 1 ? p : 1;
}

static void move_cursor(ds *d, long delta, int absolute)
{
    long *cur, total;
    if (d->focus == FOCUS_FILES) {
        cur = &d->fsel;
        total = (long)d->nfiles;
    } else if (d->focus == FOCUS_COLUMNS) {
        cur = &d->csel;
        total = d->prof ? (long)d->prof->ncols : 0;
    } else {
        cur = &d->rsel;
        total = d->tab ? (long)d->tab->t->nrows : 0;
    }
    *cur = tui_clamp_cursor(absolute ? delta : *cur + delta, total);
}

/* Install a new view order, keeping the selected table row selected. */
static void apply_order(ds *d, size_t *perm, long col, int desc, double ms)
{
    const ll_table *t = d->tab->t;
    size_t keep = t->nrows ? d->perm[tui_clamp_cursor(d->rsel, (long)t->nrows)] : 0;
    free(d->perm);
    d->perm = perm;
    d->sort_col = col;
    d->sort_desc = desc;
    for (size_t v = 0; v < t->nrows; v++) {
        if (d->perm[v] == keep) {
            d->rsel = (long)v;
            break;
        }
    }
    if (col < 0)
        tui_app_status(d->app, "file order");
    else
        tui_app_status(d->app, "sorted by %s, %s (%.0f ms)", t->cols[col].name,
                       desc ? "descending" : "ascending", ms);
}

typedef struct {
    shared_table *tab;
    long col;
    int desc;
} sort_arg;

typedef struct {
    size_t *perm;
    int failed;
    double ms;
} sort_res;

static void *sort_worker(tui_job *job, void *p)
{
    sort_arg *a = p;
    sort_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    double t0 = tui_now_ms();
    tui_job_progress(job, -1, "sorting");
    size_t n = a->tab->t->nrows;
    r->perm = malloc((n ? n : 1) * sizeof *r->perm);
    r->failed = !r->perm || tui_grid_sort(a->tab->t, (size_t)a->col, a->desc, r->perm);
    r->ms = tui_now_ms() - t0;
    return r;
}

static void sort_done(tui_job *job, void *result, void *ud)
{
    ds *d = ud;
    sort_arg *a = job->arg;
    sort_res *r = result;
    if (d->job == job) {
        d->job = NULL;
        d->job_kind = JOB_NONE;
    }
    if (!r || r->failed)
        tui_app_error(d->app, "sort: out of memory");
    else if (job->cancel)
        tui_app_status(d->app, "sort cancelled");
    else if (a->tab == d->tab) {
        apply_order(d, r->perm, a->col, a->desc, r->ms);
        r->perm = NULL;
    }
    if (r) free(r->perm);
    free(r);
    table_unref(a->tab);
    free(a);
    tui_app_touch(d->app, &tui_screen_datasets);
}

static void do_sort(ds *d, long col, int toggle)
{
    if (!d->tab || !d->perm) {
        tui_app_error(d->app, "no dataset loaded");
        return;
    }
    if (d->job) {
        tui_app_error(d->app, "busy (%s); try again when it ends or press x", d->job->name);
        return;
    }
    const ll_table *t = d->tab->t;
    size_t n = t->nrows;
    int desc = toggle && d->sort_col == col;
    if (toggle && d->sort_col == col && d->sort_desc) col = -1; /* third press: file order */
    if (col < 0 || n <= SORT_INLINE_MAX) {
        size_t *perm = malloc((n ? n : 1) * sizeof *perm);
        double t0 = tui_now_ms();
        if (!perm || (col >= 0 && tui_grid_sort(t, (size_t)col, desc, perm))) {
            free(perm);
            tui_app_error(d->app, "sort: out of memory");
            return;
        }
        if (col < 0) tui_grid_identity(perm, n);
        apply_order(d, perm, col, col < 0 ? 0 : desc, tui_now_ms() - t0);
        return;
    }
    sort_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    a->tab = table_ref(d->tab);
    a->col = col;
    a->desc = desc;
    tui_job *job = tui_job_start(&d->app->jobs, "sort", sort_worker, a, sort_done, d);
    if (!job) {
        table_unref(a->tab);
        free(a);
        tui_app_error(d->app, "cannot start a worker thread");
        return;
    }
    d->job = job;
    d->job_id = job->id;
    d->job_kind = JOB_SORT;
    tui_app_status(d->app, "sorting by %s ...", t->cols[col].name);
}

typedef struct {
    shared_table *tab;
    size_t *perm; /* a copy: the screen may replace its own while this runs */
    size_t from;
    char needle[256];
} search_arg;

typedef struct {
    long found, col;
} search_res;

static void *search_worker(tui_job *job, void *p)
{
    search_arg *a = p;
    search_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->found = -1;
    size_t n = a->tab->t->nrows, slice = 50000;
    for (size_t done = 0; done < n && r->found < 0 && !tui_job_cancelled(job); done += slice) {
        tui_job_progress(job, (double)done / (double)n, "searching");
        size_t cnt = n - done < slice ? n - done : slice;
        r->found =
            tui_grid_find_range(a->tab->t, a->perm, (a->from + done) % n, cnt, a->needle, &r->col);
    }
    return r;
}

static void search_done(tui_job *job, void *result, void *ud)
{
    ds *d = ud;
    search_arg *a = job->arg;
    search_res *r = result;
    if (d->job == job) {
        d->job = NULL;
        d->job_kind = JOB_NONE;
    }
    if (job->cancel)
        tui_app_status(d->app, "search cancelled");
    else if (!r || r->found < 0)
        tui_app_error(d->app, "not found: %s", a->needle);
    else if (a->tab == d->tab) {
        /* the view order may have changed meanwhile: find the same table row again */
        size_t row = a->perm[r->found];
        for (size_t v = 0; v < d->tab->t->nrows; v++) {
            if (d->perm[v] == row) {
                d->rsel = (long)v;
                break;
            }
        }
        d->csel = r->col;
        tui_app_status(d->app, "found '%s' (n: next)", a->needle);
    }
    free(r);
    free(a->perm);
    table_unref(a->tab);
    free(a);
    tui_app_touch(d->app, &tui_screen_datasets);
}

/* Search the grid on a worker thread (large tables); returns 0 when the job started. */
static int start_search(ds *d, size_t from, const char *text)
{
    if (d->job) {
        tui_app_error(d->app, "busy (%s); try again when it ends or press x", d->job->name);
        return 0;
    }
    size_t n = d->tab->t->nrows;
    search_arg *a = calloc(1, sizeof *a);
    if (!a) return -1;
    a->perm = malloc(n * sizeof *a->perm);
    if (!a->perm) {
        free(a);
        return -1;
    }
    memcpy(a->perm, d->perm, n * sizeof *a->perm);
    a->tab = table_ref(d->tab);
    a->from = from;
    snprintf(a->needle, sizeof a->needle, "%s", text);
    tui_job *job = tui_job_start(&d->app->jobs, "search", search_worker, a, search_done, d);
    if (!job) {
        table_unref(a->tab);
        free(a->perm);
        free(a);
        return -1;
    }
    d->job = job;
    d->job_id = job->id;
    d->job_kind = JOB_SEARCH;
    tui_app_status(d->app, "searching for '%s' ...", text);
    return 0;
}

static void do_search(ds *d, const char *text, int next)
{
    if (!text[0]) {
        tui_app_error(d->app, "nothing to search for (/ starts a search)");
        return;
    }
    if (text != d->search) snprintf(d->search, sizeof d->search, "%s", text);
    long found = -1;
    if (d->focus == FOCUS_FILES) {
        for (size_t k = 0; k < d->nfiles && found < 0; k++) {
            size_t i = ((size_t)d->fsel + (next ? 1 : 0) + k) % d->nfiles;
            if (tui_contains_ci(d->files[i].name, text)) found = (long)i;
        }
        if (found >= 0) d->fsel = found;
    } else if (!d->tab) {
        tui_app_error(d->app, "no dataset loaded");
        return;
    } else if (d->focus == FOCUS_COLUMNS) {
        found = tui_grid_find_column(d->tab->t, (size_t)d->csel + (next ? 1 : 0), text);
        if (found >= 0) d->csel = found;
    } else {
        long col = -1;
        const ll_table *t = d->tab->t;
        size_t from = t->nrows ? ((size_t)d->rsel + (next ? 1 : 0)) % t->nrows : 0;
        if (t->nrows > SORT_INLINE_MAX) {
            if (start_search(d, from, text)) tui_app_error(d->app, "search: out of memory");
            return;
        }
        found = tui_grid_find(t, d->perm, from, text, &col);
        if (found >= 0) {
            d->rsel = found;
            d->csel = col;
        }
    }
    if (found < 0)
        tui_app_error(d->app, "not found: %s", text);
    else
        tui_app_status(d->app, "found '%s' (n: next)", text);
}

static void open_selected(ds *d)
{
    if (!d->nfiles) return;
    const file_entry *e = &d->files[d->fsel];
    if (d->abs[0] && !strcmp(e->abs, d->abs) && !d->job) {
        d->focus = FOCUS_COLUMNS;
        return;
    }
    start_load(d, e->path, NULL, 0);
}

static int ds_action(void *self, tui_app *app, int argc, char **argv)
{
    ds *d = self;
    if (!d) return 0;
    const char *v = argv[0], *a = argc > 1 ? argv[1] : "";
    if (!strcmp(v, "focus")) {
        d->focus = (d->focus + (!strcmp(a, "prev") ? FOCUS_COUNT - 1 : 1)) % FOCUS_COUNT;
    } else if (!strcmp(v, "cursor") && (!strcmp(a, "left") || !strcmp(a, "right"))) {
        long total = d->tab ? (long)d->tab->t->ncols : 0;
        d->csel = tui_clamp_cursor(d->csel + (!strcmp(a, "left") ? -1 : 1), total);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "up")) {
        move_cursor(d, -1, 0);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "down")) {
        move_cursor(d, 1, 0);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "top")) {
        move_cursor(d, 0, 1);
    } else if (!strcmp(v, "cursor") && !strcmp(a, "bottom")) {
        move_cursor(d, LONG_MAX / 2, 1);
    } else if (!strcmp(v, "page") && !strcmp(a, "up")) {
        move_cursor(d, -page_of(d, d->focus), 0);
    } else if (!strcmp(v, "page") && !strcmp(a, "down")) {
        move_cursor(d, page_of(d, d->focus), 0);
    } else if (!strcmp(v, "select")) {
        if (d->focus == FOCUS_FILES)
            open_selected(d);
        else if (d->focus == FOCUS_COLUMNS && d->L.detail.w == 0)
            d->narrow_detail = !d->narrow_detail;
        else if (d->focus == FOCUS_COLUMNS)
            d->focus = FOCUS_GRID;
    } else if (!strcmp(v, "open")) {
        if (argc < 2)
            tui_app_error(app, "open needs a FILE");
        else
            start_load(d, a, NULL, 0);
    } else if (!strcmp(v, "reload")) {
        if (!d->path[0])
            tui_app_error(app, "no dataset loaded");
        else
            start_load(d, d->path, d->target, 1);
    } else if (!strcmp(v, "sort")) {
        if (!d->tab) {
            tui_app_error(app, "no dataset loaded");
        } else if (argc > 1) {
            long c = ll_table_find(d->tab->t, a);
            if (c < 0)
                tui_app_error(app, "no column '%s'", a);
            else {
                d->csel = c;
                do_sort(d, c, 0);
            }
        } else {
            do_sort(d, d->csel, 1);
        }
    } else if (!strcmp(v, "search-next")) {
        do_search(d, d->search, 1);
    } else if (!strcmp(v, "search")) {
        if (argc > 1)
            do_search(d, a, 0);
        else
            tui_app_prompt(app, '/');
    } else if (!strcmp(v, "target")) {
        if (!d->tab) {
            tui_app_error(app, "no dataset loaded");
        } else if (argc > 1) {
            set_target(d, !strcmp(a, "none") || !strcmp(a, "-") ? "" : a);
        } else {
            const char *name =
                d->tab->t->cols[tui_clamp_cursor(d->csel, (long)d->tab->t->ncols)].name;
            set_target(d, !strcmp(name, d->target) ? "" : name);
        }
    } else {
        return 0;
    }
    return 1;
}

static void ds_mouse(void *self, tui_app *app, int y, int x, int what)
{
    ds *d = self;
    if (!d) return;
    int focus = tui_rect_contains(d->L.files, y, x)     ? FOCUS_FILES
                : tui_rect_contains(d->L.columns, y, x) ? FOCUS_COLUMNS
                : tui_rect_contains(d->L.grid, y, x)    ? FOCUS_GRID
                                                        : -1;
    if (focus < 0) return;
    if (what != TUI_MOUSE_CLICK) {
        int keep = d->focus;
        d->focus = focus;
        move_cursor(d, what == TUI_MOUSE_WHEEL_UP ? -3 : 3, 0);
        d->focus = keep;
        return;
    }
    d->focus = focus;
    if (focus == FOCUS_FILES) {
        tui_rect in = tui_rect_inner(d->L.files);
        long k = d->ftop + (y - in.y);
        if (y < in.y || k >= (long)d->nfiles) return;
        if (k == d->fsel)
            open_selected(d);
        else
            d->fsel = k;
    } else if (focus == FOCUS_COLUMNS) {
        tui_rect in = tui_rect_inner(d->L.columns);
        long k = d->ctop + (y - in.y - 1);
        if (y > in.y && d->prof && k < (long)d->prof->ncols) d->csel = k;
    } else if (d->tab && d->widths) {
        tui_rect in = tui_rect_inner(d->L.grid);
        long k = d->rtop + (y - in.y - 1);
        if (y > in.y && k < (long)d->tab->t->nrows) d->rsel = k;
        char rn[32];
        int numw = snprintf(rn, sizeof rn, "%zu", d->tab->t->nrows);
        if (numw < 3) numw = 3;
        int cx = in.x + 1 + numw + 1;
        for (long c = d->gleft; c < (long)d->tab->t->ncols; c++) {
            if (x >= cx && x < cx + d->widths[c]) {
                d->csel = c;
                if (y == in.y) do_sort(d, c, 1);
                break;
            }
            cx += d->widths[c] + 1;
        }
    }
}

const tui_pane_ops tui_screen_datasets = {
    .name = "Datasets",
    .keys = &tui_keys_datasets,
    .verbs = ds_verbs,
    .create = ds_create,
    .destroy = ds_destroy,
    .update = ds_update,
    .draw = ds_draw,
    .action = ds_action,
    .resize = ds_resize,
    .mouse = ds_mouse,
};
