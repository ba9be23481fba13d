/* cmd_drift: the drift and profile commands (data drift between a reference and a current set). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "csv.h"
#include "drift.h"
#include "fsutil.h"
#include "model.h"
#include "modeluri.h"
#include "numfmt.h"
#include "store.h"

static void print_error(const ll_cmd_ctx *ctx, const char *cmd, const ll_error *err)
{
    char buf[2048];
    fprintf(ctx->err, "lendlab %s: %s\n", cmd, ll_error_format(err, buf, sizeof buf));
}

static int exit_for(ll_status st)
{
    return st == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
}

/* Profile of a data set given as a saved profile or as CSV (read, profiled, then released,
 * or handed back in *table when table is not NULL). */
static ll_status load_profile(const ll_cmd_ctx *ctx, const char *cmd, const char *path,
                              const char *target, ll_drift_profile **out, ll_table **table,
                              ll_error *err)
{
    if (ll_drift_profile_is_saved(path)) {
        if (ctx->progress) fprintf(ctx->err, "%s: reading profile %s\n", cmd, path);
        return ll_drift_profile_load(path, out, err);
    }
    if (ctx->progress) fprintf(ctx->err, "%s: reading %s\n", cmd, path);
    ll_csv_options o;
    memset(&o, 0, sizeof o);
    o.cancel = ctx->cancel;
    ll_table *t = NULL;
    ll_status st = ll_csv_read_table(path, &o, &t, NULL, err);
    if (st != LL_OK) return st;
    st = ll_drift_profile_from_table(t, path, target, 2, ctx->cancel, out, err);
    if (st == LL_OK && table)
        *table = t;
    else
        ll_table_free(t);
    return st;
}

/* A drift run in the tracking store, from its beginning (before any data is read, so a
 * failed comparison is recorded as FAILED) to its end. */
typedef struct {
    ll_store *st;
    ll_run_handle *h;
    ll_status first; /* first metric logging error */
    ll_error err;
} track;

static ll_status track_begin(const ll_cmd_ctx *ctx, track *t, const char *experiment,
                             const char *refp, const char *curp, const ll_drift_options *o,
                             const char *model, ll_error *err)
{
    ll_status st = ll_store_open(ctx->store ? ctx->store : "mlruns", 1, &t->st, err);
    if (st) return st;
    time_t now = time(NULL);
    struct tm tm;
    char ts[32], name[64], share[64];
    localtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
    snprintf(name, sizeof name, "drift-%s", ts);
    if ((st = ll_store_run_begin(t->st, experiment, name, "lendlab drift", &t->h, err))) return st;
    ll_numfmt_double(o->drift_share, share, sizeof share);
    if ((st = ll_store_set_tag(t->h, "lendlab.kind", "monitoring", err)) ||
        (st = ll_store_log_param(t->h, "reference", refp, err)) ||
        (st = ll_store_log_param(t->h, "current", curp, err)) ||
        (st = ll_store_log_param(t->h, "drift_share", share, err)) ||
        (st = ll_store_log_param(t->h, "stattest", ll_stattest_name(o->stattest), err)))
        return st;
    if (model) st = ll_store_log_param(t->h, "model", model, err);
    return st;
}

static void log_metric(const char *key, double value, void *ud)
{
    track *t = ud;
    /* a column name MLflow refuses as a key is left out rather than failing the run */
    if (t->first || !ll_store_valid_key(key)) return;
    t->first = ll_store_log_metric(t->h, key, value, 0, &t->err);
}

/* Log the report's metrics and artifacts (drift.json, drift.html with --html) and finish the
 * run; r->run_id is set first so drift.json names its run. */
static ll_status track_finish(track *t, ll_drift_report *r, const char *html, ll_error *err)
{
    if (!(r->run_id = strdup(ll_store_run_id(t->h))))
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    ll_drift_report_metrics(r, log_metric, t);
    if (t->first) {
        *err = t->err;
        return t->first;
    }
    char dir[4096], path[4200];
    ll_status st = ll_store_run_artifact_dir(t->h, NULL, dir, sizeof dir, err);
    if (st) return st;
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    if (!mf) return ll_error_set(err, LL_ENOMEM, "out of memory");
    ll_drift_write_json(r, mf);
    int bad = ferror(mf);
    bad |= fclose(mf) != 0;
    if (bad) {
        free(buf);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    snprintf(path, sizeof path, "%s/drift.json", dir);
    st = ll_fsutil_write_atomic(path, buf, len, NULL, err);
    free(buf);
    if (st) return st;
    if (html) {
        snprintf(path, sizeof path, "%s/drift.html", dir);
        if ((st = ll_drift_write_html(r, path, err))) return st;
    }
    st = ll_store_run_end(t->h, LL_RUN_FINISHED, err);
    t->h = NULL;
    return st;
}

/* End a run that did not finish: KILLED when cancelled, else FAILED with the cause in tag
 * lendlab.error; then close the store. */
static void track_close(track *t, const ll_error *cause, int cancelled)
{
    if (t->h) {
        ll_error e;
        ll_error_clear(&e);
        if (!cancelled) {
            char buf[1600];
            (void)ll_store_set_tag(t->h, "lendlab.error", ll_error_format(cause, buf, sizeof buf),
                                   &e);
        }
        (void)ll_store_run_end(t->h, cancelled ? LL_RUN_KILLED : LL_RUN_FAILED, &e);
        t->h = NULL;
    }
    ll_store_close(t->st);
    t->st = NULL;
}

/* Score both sets with the model at uri and compare the score distributions into
 * r->prediction (automatic test, default threshold, as for a numeric column). */
static ll_status prediction_drift(const ll_cmd_ctx *ctx, const char *uri, const ll_table *ref,
                                  const ll_table *cur, ll_drift_report *r, ll_error *err)
{
    ll_model_ref *mref = calloc(1, sizeof *mref);
    if (!mref) return ll_error_set(err, LL_ENOMEM, "out of memory");
    ll_model *m = NULL;
    ll_status st = ll_modeluri_resolve(ctx->store, uri, mref, err);
    if (st == LL_OK) st = ll_model_load(mref->dir, &m, err);
    free(mref);
    if (st) return st;
    double *pr = malloc((ref->nrows ? ref->nrows : 1) * sizeof *pr);
    double *pc = malloc((cur->nrows ? cur->nrows : 1) * sizeof *pc);
    ll_drift_column cr, cc;
    memset(&cr, 0, sizeof cr);
    memset(&cc, 0, sizeof cc);
    if (!pr || !pc || !(r->prediction = calloc(1, sizeof *r->prediction)))
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
    if (st == LL_OK && ctx->progress) fprintf(ctx->err, "drift: scoring with %s\n", uri);
    if (st == LL_OK) st = ll_model_predict(m, ref, pr, err);
    if (st == LL_OK) st = ll_model_predict(m, cur, pc, err);
    if (st == LL_OK) st = ll_drift_column_from_values("prediction", pr, ref->nrows, &cr, err);
    if (st == LL_OK) st = ll_drift_column_from_values("prediction", pc, cur->nrows, &cc, err);
    if (st == LL_OK)
        st = ll_drift_compare_columns(&cr, &cc, LL_STATTEST_AUTO, NAN, r->prediction, err);
    if (st && r->prediction) {
        ll_drift_result_clear(r->prediction);
        free(r->prediction);
        r->prediction = NULL;
    }
    ll_drift_column_clear(&cr);
    ll_drift_column_clear(&cc);
    free(pr);
    free(pc);
    ll_model_free(m);
    return st;
}

static void print_row(FILE *f, const ll_drift_result *c, const char *name, int w)
{
    char s[48], t[48], p[48];
    fprintf(f, "%-*s  %-4s  %-30s %-10s %-9s  %-5s  %-10s %s\n", w, name,
            c->kind == LL_DRIFT_NUM ? "num" : "cat", c->tested ? ll_stattest_display(c->test) : "-",
            ll_drift_fmt(c->score, s, sizeof s),
            c->tested ? ll_drift_fmt(c->threshold, t, sizeof t) : "-",
            c->tested ? (c->drifted ? "yes" : "no") : "-", ll_drift_fmt(c->psi, p, sizeof p),
            ll_drift_psi_band(c->psi));
}

static void print_notes(FILE *f, const ll_drift_result *c)
{
    if (c->note) fprintf(f, "  %s: not tested (%s)\n", c->column_name, c->note);
    if (c->nnew) {
        fprintf(f, "  %s: %zu categor%s not in the reference:", c->column_name, c->nnew,
                c->nnew == 1 ? "y" : "ies");
        for (size_t i = 0; i < c->nnew && i < 10; i++)
            fprintf(f, "%s %s", i ? "," : "", c->new_categories[i]);
        fputs(c->nnew > 10 ? ", ...\n" : "\n", f);
    }
}

static void print_text(FILE *f, const ll_drift_report *r)
{
    char a[48], b[48];
    fprintf(f, "reference  %s (%zu rows)\ncurrent    %s (%zu rows)\n", r->reference,
            r->rows_reference, r->current, r->rows_current);
    fprintf(f, "dataset drift: %s (%zu of %zu columns drifted, share %s %s %s)\n\n",
            r->dataset_drift ? "YES" : "no", r->number_of_drifted_columns, r->number_of_columns,
            ll_drift_fmt(r->share_of_drifted_columns, a, sizeof a), r->dataset_drift ? ">=" : "<",
            ll_drift_fmt(r->drift_share, b, sizeof b));
    int w = 6;
    for (size_t i = 0; i < r->ncols; i++)
        if ((int)strlen(r->cols[i].column_name) > w) w = (int)strlen(r->cols[i].column_name);
    if (r->target && (int)strlen(r->target->column_name) + 8 > w)
        w = (int)strlen(r->target->column_name) + 8;
    if (r->prediction && w < 18) w = 18;
    fprintf(f, "%-*s  %-4s  %-30s %-10s %-9s  %-5s  %-10s %s\n", w, "column", "type", "test",
            "score", "threshold", "drift", "PSI", "band");
    size_t *idx = malloc((r->ncols ? r->ncols : 1) * sizeof *idx);
    if (!idx) return;
    ll_drift_report_order(r, idx);
    for (size_t i = 0; i < r->ncols; i++)
        print_row(f, &r->cols[idx[i]], r->cols[idx[i]].column_name, w);
    if (r->target) {
        char name[600];
        snprintf(name, sizeof name, "target: %s", r->target->column_name);
        fputc('\n', f);
        print_row(f, r->target, name, w);
    }
    if (r->prediction) {
        fputc('\n', f);
        print_row(f, r->prediction, "prediction (score)", w);
    }
    int notes = 0;
    for (size_t i = 0; i < r->ncols; i++) notes |= r->cols[idx[i]].note || r->cols[idx[i]].nnew;
    if (r->target) notes |= r->target->note || r->target->nnew;
    if (r->prediction) notes |= r->prediction->note != NULL;
    if (notes) {
        fputs("\nnotes:\n", f);
        for (size_t i = 0; i < r->ncols; i++) print_notes(f, &r->cols[idx[i]]);
        if (r->target) print_notes(f, r->target);
        if (r->prediction) print_notes(f, r->prediction);
    }
    free(idx);
}

static int exec_drift(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *refp = ll_args_str(a, "reference"), *curp = ll_args_str(a, "current");
    if (!refp || !curp) {
        fprintf(ctx->err, "lendlab drift: --reference and --current are required\n"
                          "Try 'lendlab --batch drift --help'.\n");
        return LL_EXIT_USAGE;
    }
    ll_drift_options o;
    ll_drift_options_init(&o);
    o.drift_share = ll_args_double(a, "drift-share", LL_DRIFT_DEFAULT_SHARE);
    o.threshold = ll_args_double(a, "threshold", NAN);
    o.target = ll_args_str(a, "target");
    if (!(o.drift_share >= 0 && o.drift_share <= 1)) {
        fprintf(ctx->err, "lendlab drift: --drift-share must be between 0 and 1\n");
        return LL_EXIT_USAGE;
    }
    if (ll_args_has(a, "threshold") && !(o.threshold >= 0)) {
        fprintf(ctx->err, "lendlab drift: --threshold must not be negative\n");
        return LL_EXIT_USAGE;
    }
    const char *st_name = ll_args_str(a, "stattest");
    if (st_name) {
        int t = ll_stattest_parse(st_name);
        if (t < 0) {
            fprintf(ctx->err,
                    "lendlab drift: unknown --stattest '%s' (auto, ks, chisquare, z, wasserstein, "
                    "jensenshannon, psi)\n",
                    st_name);
            return LL_EXIT_USAGE;
        }
        o.stattest = (ll_stattest)t;
    }
    const char *const *ct;
    size_t nct = ll_args_list(a, "column-test", &ct);
    ll_drift_column_test *tests = calloc(nct ? nct : 1, sizeof *tests);
    if (!tests) {
        fprintf(ctx->err, "lendlab drift: out of memory\n");
        return LL_EXIT_ERROR;
    }
    for (size_t i = 0; i < nct; i++) {
        char eb[256];
        if (ll_drift_column_test_parse(ct[i], &tests[i], eb, sizeof eb)) {
            fprintf(ctx->err, "lendlab drift: --column-test: %s\n", eb);
            free(tests);
            return LL_EXIT_USAGE;
        }
    }
    o.column_tests = tests;
    o.ncolumn_tests = nct;

    const char *model = ll_args_str(a, "model");
    ll_error err;
    ll_error_clear(&err);
    if (model) {
        ll_model_uri pu;
        char eb[1600];
        if (ll_modeluri_parse(model, &pu, &err)) {
            fprintf(ctx->err, "lendlab drift: --model: %s\n", ll_error_format(&err, eb, sizeof eb));
            free(tests);
            return LL_EXIT_USAGE;
        }
        /* scoring needs rows: a saved profile only holds value counts */
        const char *prof = ll_drift_profile_is_saved(refp)   ? refp
                           : ll_drift_profile_is_saved(curp) ? curp
                                                             : NULL;
        if (prof) {
            fprintf(ctx->err,
                    "lendlab drift: --model needs the reference and current data as CSV to "
                    "score them; %s is a saved profile\n",
                    prof);
            free(tests);
            return LL_EXIT_ERROR;
        }
    }
    const char *html = ll_args_str(a, "html");
    track tr;
    memset(&tr, 0, sizeof tr);
    ll_error_clear(&tr.err);
    int tracked = !ll_args_has(a, "no-track");
    const char *experiment = ll_args_str(a, "experiment");
    ll_status st = LL_OK;
    if (tracked)
        st = track_begin(ctx, &tr, experiment ? experiment : "monitoring", refp, curp, &o, model,
                         &err);
    ll_drift_profile *ref = NULL, *cur = NULL;
    ll_table *tref = NULL, *tcur = NULL;
    ll_drift_report *rep = NULL;
    if (st == LL_OK) st = load_profile(ctx, "drift", refp, NULL, &ref, model ? &tref : NULL, &err);
    if (st == LL_OK) st = load_profile(ctx, "drift", curp, NULL, &cur, model ? &tcur : NULL, &err);
    if (st == LL_OK) {
        /* name the sets as the user did, whatever file a profile was built from */
        free(ref->source);
        ref->source = strdup(refp);
        free(cur->source);
        cur->source = strdup(curp);
        if (!ref->source || !cur->source) st = ll_error_set(&err, LL_ENOMEM, "out of memory");
    }
    if (st == LL_OK) st = ll_drift_compare(ref, cur, &o, &rep, &err);
    if (st == LL_OK && model) st = prediction_drift(ctx, model, tref, tcur, rep, &err);
    ll_table_free(tref);
    ll_table_free(tcur);
    const char *target = o.target ? o.target : (ref ? ref->target : NULL);
    if (st == LL_OK && target && !rep->target)
        fprintf(ctx->err,
                "lendlab drift: warning: target column '%s' is not in %s; no target drift\n",
                target, curp);
    if (st == LL_OK && html) st = ll_drift_write_html(rep, html, &err);
    if (st == LL_OK && tr.h) st = track_finish(&tr, rep, html, &err);
    track_close(&tr, &err, st == LL_ECANCELLED || (ctx->cancel && *ctx->cancel));
    ll_drift_profile_free(ref);
    ll_drift_profile_free(cur);
    free(tests);
    if (st != LL_OK) {
        print_error(ctx, "drift", &err);
        ll_drift_report_free(rep);
        return exit_for(st);
    }
    if (ll_args_has(a, "json"))
        ll_drift_write_json(rep, ctx->out);
    else
        print_text(ctx->out, rep);
    if (!ll_args_has(a, "json")) {
        if (html) fprintf(ctx->out, "\nHTML report: %s\n", html);
        if (rep->run_id)
            fprintf(ctx->out, "%srun %s in experiment %s\n", html ? "" : "\n", rep->run_id,
                    experiment ? experiment : "monitoring");
    }
    int rc = ll_args_has(a, "fail-on-drift") && rep->dataset_drift ? LL_EXIT_DRIFT : LL_EXIT_OK;
    ll_drift_report_free(rep);
    return rc;
}

static int exec_profile(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *in = a->pos[0], *outp = ll_args_str(a, "output");
    if (!outp) {
        fprintf(ctx->err, "lendlab profile: -o OUT is required\n"
                          "Try 'lendlab --batch profile --help'.\n");
        return LL_EXIT_USAGE;
    }
    ll_error err;
    ll_error_clear(&err);
    ll_drift_profile *p = NULL;
    const char *target = ll_args_str(a, "target");
    ll_status st = load_profile(ctx, "profile", in, target, &p, NULL, &err);
    if (st == LL_OK && target && !p->target) {
        /* a saved profile re-saved with a target */
        if (ll_drift_profile_find(p, target) < 0)
            st = ll_error_set(&err, LL_ENOTFOUND, "target column '%s' is not in %s", target, in);
        else if (!(p->target = strdup(target)))
            st = ll_error_set(&err, LL_ENOMEM, "out of memory");
    }
    if (st == LL_OK) st = ll_drift_profile_save(p, outp, &err);
    if (st != LL_OK) {
        print_error(ctx, "profile", &err);
        ll_drift_profile_free(p);
        return exit_for(st);
    }
    fprintf(ctx->out, "wrote %s: %zu rows, %zu columns%s%s\n", outp, p->nrows, p->ncols,
            p->target ? ", target " : "", p->target ? p->target : "");
    ll_drift_profile_free(p);
    return LL_EXIT_OK;
}

static const ll_optspec drift_opts[] = {
    {"reference", 0, LL_OPT_STRING, "REF", "reference data: CSV or a saved profile (required)"},
    {"current", 0, LL_OPT_STRING, "CUR", "current data: CSV or a saved profile (required)"},
    {"target", 0, LL_OPT_STRING, "COL", "target column, tested and reported apart"},
    {"drift-share", 0, LL_OPT_DOUBLE, "X",
     "dataset drift when this share of columns drifted (default 0.5)"},
    {"stattest", 0, LL_OPT_STRING, "TEST",
     "auto|ks|chisquare|z|wasserstein|jensenshannon|psi (default auto)"},
    {"threshold", 0, LL_OPT_DOUBLE, "X", "threshold for every test (default: per test)"},
    {"column-test", 0, LL_OPT_LIST, "COL=TEST[:X]", "test (and threshold) for one column"},
    {"json", 0, LL_OPT_FLAG, NULL, "write the report as JSON"},
    {"html", 0, LL_OPT_STRING, "OUT.html", "also write a self-contained HTML report"},
    {"fail-on-drift", 0, LL_OPT_FLAG, NULL, "exit with status 3 when dataset drift is found"},
    {"model", 0, LL_OPT_STRING, "URI",
     "also test drift of this model's scores (needs CSV on both sides)"},
    {"experiment", 0, LL_OPT_STRING, "NAME", "experiment of the run (default monitoring)"},
    {"no-track", 0, LL_OPT_FLAG, NULL, "do not record the run in the tracking store"},
};

const ll_cmd_entry ll_cmd_drift = {
    .name = "drift",
    .args = NULL,
    .summary = "compare a current data set with a reference: per-column drift, PSI",
    .help = "Each column gets Evidently's default test unless one is chosen. With at most\n"
            "1000 reference rows: K-S for numbers with more than 5 distinct values, chi-square\n"
            "for categories (and numbers with 3-5 values), Z-test for two values; drift when\n"
            "p < 0.05. With more rows: Wasserstein distance normed by the reference std for\n"
            "numbers, Jensen-Shannon distance otherwise; drift when >= 0.1. PSI is reported\n"
            "for every column. The data set drifted when the observed share of drifted\n"
            "columns (target excluded) reaches --drift-share. With --model URI both sets are\n"
            "scored and the score distributions compared the same way (prediction drift,\n"
            "with the scores' PSI; not counted in the share). Unless --no-track is given,\n"
            "the run is recorded in the tracking store (--store DIR before --batch, else\n"
            "$LENDLAB_STORE, else ./mlruns), experiment --experiment (default monitoring),\n"
            "with the metrics and drift.json (and drift.html) as artifacts.\n"
            "See lendlab-drift(1).",
    .opts = drift_opts,
    .nopts = sizeof drift_opts / sizeof *drift_opts,
    .min_pos = 0,
    .max_pos = 0,
    .exec = exec_drift,
};

static const ll_optspec profile_opts[] = {
    {"output", 'o', LL_OPT_STRING, "OUT", "profile file to write (required)"},
    {"target", 0, LL_OPT_STRING, "COL", "record COL as the target column"},
};

const ll_cmd_entry ll_cmd_profile = {
    .name = "profile",
    .args = "FILE",
    .summary = "save a reference profile for drift (distinct values, categories, PSI bins)",
    .help = "The profile holds everything drift needs from the reference (exact distinct\n"
            "values with counts, categories with counts, missing counts, PSI bin edges), so\n"
            "drift against the profile equals drift against the CSV it was made from.",
    .opts = profile_opts,
    .nopts = sizeof profile_opts / sizeof *profile_opts,
    .min_pos = 1,
    .max_pos = 1,
    .exec = exec_profile,
};
