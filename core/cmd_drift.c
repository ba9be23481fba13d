/* cmd_drift: the drift and profile commands (data drift between a reference and a current set). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "csv.h"
#include "drift.h"

static void print_error(const ll_cmd_ctx *ctx, const char *cmd, const ll_error *err)
{
    char buf[2048];
    fprintf(ctx->err, "lendlab %s: %s\n", cmd, ll_error_format(err, buf, sizeof buf));
}

static int exit_for(ll_status st)
{
    return st == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
}

/* Profile of a data set given as a saved profile or as CSV (read, profiled, released). */
static ll_status load_profile(const ll_cmd_ctx *ctx, const char *cmd, const char *path,
                              const char *target, ll_drift_profile **out, ll_error *err)
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
    ll_table_free(t);
    return st;
}

/* The boundary where a drift run will be logged to the tracking store once it exists: the
 * metrics come from ll_drift_report_metrics, the JSON and HTML reports become artifacts. */
static ll_status record_run(const ll_cmd_ctx *ctx, const ll_drift_report *r, const char *html,
                            ll_error *err)
{
    (void)ctx;
    (void)r;
    (void)html;
    (void)err;
    return LL_OK;
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
    int notes = 0;
    for (size_t i = 0; i < r->ncols; i++) notes |= r->cols[idx[i]].note || r->cols[idx[i]].nnew;
    if (r->target) notes |= r->target->note || r->target->nnew;
    if (notes) {
        fputs("\nnotes:\n", f);
        for (size_t i = 0; i < r->ncols; i++) print_notes(f, &r->cols[idx[i]]);
        if (r->target) print_notes(f, r->target);
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

    ll_error err;
    ll_error_clear(&err);
    ll_drift_profile *ref = NULL, *cur = NULL;
    ll_drift_report *rep = NULL;
    ll_status st = load_profile(ctx, "drift", refp, NULL, &ref, &err);
    if (st == LL_OK) st = load_profile(ctx, "drift", curp, NULL, &cur, &err);
    if (st == LL_OK) {
        /* name the sets as the user did, whatever file a profile was built from */
        free(ref->source);
        ref->source = strdup(refp);
        free(cur->source);
        cur->source = strdup(curp);
        if (!ref->source || !cur->source) st = ll_error_set(&err, LL_ENOMEM, "out of memory");
    }
    if (st == LL_OK) st = ll_drift_compare(ref, cur, &o, &rep, &err);
    const char *target = o.target ? o.target : (ref ? ref->target : NULL);
    if (st == LL_OK && target && !rep->target)
        fprintf(ctx->err,
                "lendlab drift: warning: target column '%s' is not in %s; no target drift\n",
                target, curp);
    const char *html = ll_args_str(a, "html");
    if (st == LL_OK && html) st = ll_drift_write_html(rep, html, &err);
    if (st == LL_OK) st = record_run(ctx, rep, html, &err);
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
    if (html && !ll_args_has(a, "json")) fprintf(ctx->out, "\nHTML report: %s\n", html);
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
    ll_status st = load_profile(ctx, "profile", in, target, &p, &err);
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
            "columns (target excluded) reaches --drift-share. See lendlab-drift(1).",
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
