/* cmd_runs: experiments, runs, compare, delete-run, restore-run over the tracking store. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "filter.h"
#include "numfmt.h"
#include "store.h"

/* ------------------------------------------------------------------ shared output helpers */

/* A text table: cells copied, columns padded to their widest cell. */
typedef struct {
    char **cells;
    size_t ncols, nrows, cap;
    int *right; /* right-align column */
} texttable;

static int tt_init(texttable *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->right = calloc(ncols, sizeof *t->right);
    return t->right ? 0 : -1;
}

static int tt_add(texttable *t, const char *const *row)
{
    if ((t->nrows + 1) * t->ncols > t->cap) {
        size_t nc = t->cap ? t->cap * 2 : t->ncols * 16;
        char **n = realloc(t->cells, nc * sizeof *n);
        if (!n) return -1;
        t->cells = n;
        t->cap = nc;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        char *s = strdup(row[c] ? row[c] : "");
        if (!s) return -1;
        t->cells[t->nrows * t->ncols + c] = s;
    }
    t->nrows++;
    return 0;
}

/* Display width of UTF-8 text (code points; good enough for names). */
static size_t u8len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) n++;
    return n;
}

static void tt_print(const texttable *t, FILE *f, const char *indent)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w) return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t l = u8len(t->cells[r * t->ncols + c]);
            if (l > w[c]) w[c] = l;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(indent ? indent : "", f);
        /* drop trailing empty cells so lines carry no trailing blanks */
        size_t last = t->ncols;
        while (last > 1 && !*t->cells[r * t->ncols + last - 1]) last--;
        for (size_t c = 0; c < last; c++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t pad = w[c] - u8len(s);
            if (t->right[c]) fprintf(f, "%*s", (int)pad, "");
            fputs(s, f);
            if (c + 1 < last) fprintf(f, "%*s", (int)(t->right[c] ? 2 : pad + 2), "");
        }
        fputc('\n', f);
    }
    free(w);
}

static void tt_free(texttable *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    free(t->right);
    memset(t, 0, sizeof *t);
}

static int open_store(const ll_cmd_ctx *ctx, const char *cmd, ll_store **st)
{
    ll_error err;
    ll_error_clear(&err);
    if (ll_store_open(ctx->store, 0, st, &err)) {
        fprintf(ctx->err, "lendlab %s: %s\n", cmd, err.msg);
        return LL_EXIT_ERROR;
    }
    return LL_EXIT_OK;
}

static void json_kv_object(FILE *f, const ll_kv *kv, size_t n)
{
    fputc('{', f);
    for (size_t i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        ll_cmd_json_string(f, kv[i].key);
        fputs(": ", f);
        ll_cmd_json_string(f, kv[i].value);
    }
    fputc('}', f);
}

static void json_run(FILE *f, const ll_run *r)
{
    fputs("{\"run_id\": ", f);
    ll_cmd_json_string(f, r->run_id);
    fputs(", \"run_name\": ", f);
    ll_cmd_json_string(f, r->run_name);
    fputs(", \"experiment_id\": ", f);
    ll_cmd_json_string(f, r->experiment_id);
    fputs(", \"status\": ", f);
    ll_cmd_json_string(f, ll_run_status_name(r));
    fprintf(f, ", \"lifecycle_stage\": \"%s\", \"start_time\": %lld, \"end_time\": ",
            r->deleted ? "deleted" : "active", r->start_time);
    if (r->end_time >= 0)
        fprintf(f, "%lld", r->end_time);
    else
        fputs("null", f);
    fputs(", \"user_id\": ", f);
    ll_cmd_json_string(f, r->user_id);
    fputs(", \"artifact_uri\": ", f);
    ll_cmd_json_string(f, r->artifact_uri);
    fputs(", \"params\": ", f);
    json_kv_object(f, r->params, r->nparams);
    fputs(", \"metrics\": {", f);
    for (size_t i = 0; i < r->nmetrics; i++) {
        if (i) fputs(", ", f);
        ll_cmd_json_string(f, r->metrics[i].key);
        fputs(": ", f);
        ll_cmd_json_number(f, r->metrics[i].value);
    }
    fputs("}, \"tags\": ", f);
    json_kv_object(f, r->tags, r->ntags);
    fputc('}', f);
}

/* Print a filter/sort syntax error with a caret under the position. */
static void print_expr_error(const ll_cmd_ctx *ctx, const char *cmd, const char *what,
                             const char *expr, const ll_error *err)
{
    fprintf(ctx->err, "lendlab %s: invalid %s: %s\n", cmd, what, err->msg);
    if (err->column > 0) {
        fprintf(ctx->err, "  %s\n  %*s^\n", expr, (int)(err->column - 1), "");
    }
}

/* ------------------------------------------------------------------ experiments */

static const ll_optspec experiments_opts[] = {
    {"all", 'a', LL_OPT_FLAG, NULL, "also list deleted experiments"},
    {"json", 0, LL_OPT_FLAG, NULL, "write JSON"},
};

static int experiments_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    ll_store *st;
    int rc = open_store(ctx, "experiments", &st);
    if (rc) return rc;
    ll_error err;
    ll_error_clear(&err);
    int all = ll_args_has(args, "all");
    ll_experiment_list el;
    ll_run_list rl;
    if (ll_store_experiments(st, all, &el, &err)) {
        fprintf(ctx->err, "lendlab experiments: %s\n", err.msg);
        ll_store_close(st);
        return LL_EXIT_ERROR;
    }
    ll_run_query q = {.include_deleted = all};
    if (ll_store_search_runs(st, &q, &rl, &err)) {
        fprintf(ctx->err, "lendlab experiments: %s\n", err.msg);
        ll_store_experiments_free(&el);
        ll_store_close(st);
        return LL_EXIT_ERROR;
    }
    size_t *counts = calloc(el.n + 1, sizeof *counts);
    for (size_t r = 0; counts && r < rl.n; r++)
        for (size_t e = 0; e < el.n; e++)
            if (!strcmp(rl.runs[r]->experiment_id, el.items[e].id)) counts[e]++;
    if (ll_args_has(args, "json")) {
        fputs("[", ctx->out);
        for (size_t e = 0; e < el.n; e++) {
            const ll_experiment *x = &el.items[e];
            fputs(e ? ",\n " : "", ctx->out);
            fputs("{\"experiment_id\": ", ctx->out);
            ll_cmd_json_string(ctx->out, x->id);
            fputs(", \"name\": ", ctx->out);
            ll_cmd_json_string(ctx->out, x->name);
            fputs(", \"artifact_location\": ", ctx->out);
            ll_cmd_json_string(ctx->out, x->artifact_location);
            fprintf(ctx->out,
                    ", \"lifecycle_stage\": \"%s\", \"creation_time\": %lld, "
                    "\"last_update_time\": %lld, \"runs\": %zu}",
                    x->deleted ? "deleted" : "active", x->creation_time, x->last_update_time,
                    counts ? counts[e] : 0);
        }
        fputs("]\n", ctx->out);
    } else {
        texttable t;
        if (!tt_init(&t, 5)) {
            const char *hdr[] = {"ID", "NAME", "RUNS", "STAGE", "CREATED"};
            tt_add(&t, hdr);
            t.right[2] = 1;
            for (size_t e = 0; e < el.n; e++) {
                char n[32], when[32];
                snprintf(n, sizeof n, "%zu", counts ? counts[e] : 0);
                const char *row[] = {
                    el.items[e].id, el.items[e].name, n, el.items[e].deleted ? "deleted" : "active",
                    ll_cmd_local_time(el.items[e].creation_time, when, sizeof when)};
                tt_add(&t, row);
            }
            tt_print(&t, ctx->out, NULL);
            tt_free(&t);
        }
    }
    free(counts);
    ll_run_list_free(&rl);
    ll_store_experiments_free(&el);
    ll_store_close(st);
    return LL_EXIT_OK;
}

const ll_cmd_entry ll_cmd_experiments = {
    "experiments",
    NULL,
    "list the experiments of the tracking store",
    "Lists the experiments of the store (--store, $LENDLAB_STORE or ./mlruns) with their\n"
    "number of active runs. See lendlab-runs(1).",
    experiments_opts,
    sizeof experiments_opts / sizeof *experiments_opts,
    0,
    0,
    experiments_exec,
};

/* ------------------------------------------------------------------ runs */

static const ll_optspec runs_opts[] = {
    {"experiment", 'e', LL_OPT_STRING, "NAME", "only runs of this experiment (name or id)"},
    {"filter", 'f', LL_OPT_STRING, "EXPR", "MLflow search filter, e.g. \"metrics.auc > 0.7\""},
    {"sort", 's', LL_OPT_LIST, "KEY", "sort key: -metrics.auc (descending), start_time..."},
    {"limit", 'n', LL_OPT_INT, "N", "show at most N runs"},
    {"all", 'a', LL_OPT_FLAG, NULL, "include deleted runs"},
    {"json", 0, LL_OPT_FLAG, NULL, "write JSON (every param, metric and tag)"},
    {"rescan", 0, LL_OPT_FLAG, NULL, "read every run's files, not the run index"},
};

static const char *const default_metrics[] = {"auc", "ks", "logloss"};

static int runs_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    ll_error err;
    ll_error_clear(&err);
    const char *fexpr = ll_args_str(args, "filter");
    long limit = ll_args_int(args, "limit", 0);
    if (limit < 0) {
        fprintf(ctx->err, "lendlab runs: --limit must be positive\n");
        return LL_EXIT_USAGE;
    }
    ll_filter *filter = NULL;
    if (fexpr && ll_filter_parse(fexpr, &filter, &err)) {
        print_expr_error(ctx, "runs", "--filter", fexpr, &err);
        return LL_EXIT_USAGE;
    }
    ll_sortkey sort[16];
    size_t nsort = 0;
    const char *const *sv;
    size_t nsv = ll_args_list(args, "sort", &sv);
    for (size_t i = 0; i < nsv; i++) {
        size_t n;
        if (ll_filter_parse_sort(sv[i], sort + nsort, 16 - nsort, &n, &err)) {
            print_expr_error(ctx, "runs", "--sort", sv[i], &err);
            ll_filter_free(filter);
            return LL_EXIT_USAGE;
        }
        nsort += n;
    }
    ll_store *st;
    int rc = open_store(ctx, "runs", &st);
    if (rc) {
        ll_filter_free(filter);
        return rc;
    }
    int json = ll_args_has(args, "json");
    /* metric columns: the usual three, then any metric the sort or filter names */
    char *cols[32];
    size_t ncols = 0;
    for (size_t i = 0; i < 3; i++) cols[ncols++] = strdup(default_metrics[i]);
    for (size_t i = 0; i < nsort && ncols < 32; i++) {
        if (sort[i].kind != LL_KEY_METRIC) continue;
        int dup = 0;
        for (size_t c = 0; c < ncols; c++) dup |= cols[c] && !strcmp(cols[c], sort[i].name);
        if (!dup) cols[ncols++] = strdup(sort[i].name);
    }
    ll_filter_key *fk = NULL;
    size_t nfk = 0;
    if (filter && !ll_filter_keys(filter, &fk, &nfk, &err)) {
        for (size_t i = 0; i < nfk && ncols < 32; i++) {
            if (fk[i].kind != LL_KEY_METRIC) continue;
            int dup = 0;
            for (size_t c = 0; c < ncols; c++) dup |= cols[c] && !strcmp(cols[c], fk[i].name);
            if (!dup) cols[ncols++] = strdup(fk[i].name);
        }
    }
    free(fk);
    char keybuf[32][300];
    const char *keys[33];
    size_t nkeys = 0;
    keys[nkeys++] = "params.model";
    for (size_t c = 0; c < ncols; c++) {
        snprintf(keybuf[c], sizeof keybuf[c], "metrics.%s", cols[c] ? cols[c] : "");
        keys[nkeys++] = keybuf[c];
    }
    ll_run_query q = {.experiment = ll_args_str(args, "experiment"),
                      .include_deleted = ll_args_has(args, "all"),
                      .filter = filter,
                      .sort = nsort ? sort : NULL,
                      .nsort = nsort,
                      .limit = (size_t)limit,
                      .load_all = json,
                      .keys = keys,
                      .nkeys = nkeys,
                      .rescan = ll_args_has(args, "rescan")};
    ll_run_list rl;
    if (ll_store_search_runs(st, &q, &rl, &err)) {
        fprintf(ctx->err, "lendlab runs: %s\n", err.msg);
        rc = LL_EXIT_ERROR;
        goto done;
    }
    if (json) {
        fputs("{\"runs\": [", ctx->out);
        for (size_t i = 0; i < rl.n; i++) {
            fputs(i ? ",\n  " : "\n  ", ctx->out);
            json_run(ctx->out, rl.runs[i]);
        }
        fprintf(ctx->out, "%s], \"matched\": %zu}\n", rl.n ? "\n" : "", rl.matched);
    } else {
        texttable t;
        size_t nc = 5 + ncols + (q.include_deleted ? 1 : 0);
        if (tt_init(&t, nc)) {
            rc = LL_EXIT_ERROR;
            ll_run_list_free(&rl);
            goto done;
        }
        const char *hdr[40];
        char uhdr[32][64];
        size_t h = 0;
        hdr[h++] = "RUN";
        hdr[h++] = "NAME";
        hdr[h++] = "STATUS";
        hdr[h++] = "START";
        hdr[h++] = "MODEL";
        for (size_t c = 0; c < ncols; c++) {
            size_t k = 0;
            for (const char *p = cols[c] ? cols[c] : ""; *p && k + 1 < sizeof uhdr[c]; p++)
                uhdr[c][k++] = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
            uhdr[c][k] = '\0';
            t.right[h] = 1;
            hdr[h++] = uhdr[c];
        }
        if (q.include_deleted) hdr[h++] = "LIFECYCLE";
        tt_add(&t, hdr);
        for (size_t i = 0; i < rl.n; i++) {
            const ll_run *r = rl.runs[i];
            char id[9], when[32], vals[32][32];
            const char *row[40];
            size_t k = 0;
            snprintf(id, sizeof id, "%.8s", r->run_id);
            row[k++] = id;
            row[k++] = r->run_name;
            row[k++] = ll_run_status_name(r);
            row[k++] = ll_cmd_local_time(r->start_time, when, sizeof when);
            row[k++] = ll_run_param(r, "model") ? ll_run_param(r, "model") : "-";
            for (size_t c = 0; c < ncols; c++) {
                const ll_metric *m = cols[c] ? ll_run_metric(r, cols[c]) : NULL;
                row[k++] = m ? ll_cmd_fixed(m->value, 4, vals[c], sizeof vals[c]) : "-";
            }
            if (q.include_deleted) row[k++] = r->deleted ? "deleted" : "active";
            tt_add(&t, row);
        }
        if (rl.n) tt_print(&t, ctx->out, NULL);
        tt_free(&t);
        if (rl.n < rl.matched)
            fprintf(ctx->out, "%zu of %zu runs (--limit %ld)\n", rl.n, rl.matched, limit);
        else
            fprintf(ctx->out, "%zu run%s\n", rl.n, rl.n == 1 ? "" : "s");
    }
    ll_run_list_free(&rl);
done:
    for (size_t c = 0; c < ncols; c++) free(cols[c]);
    ll_filter_free(filter);
    ll_store_close(st);
    return rc;
}

const ll_cmd_entry ll_cmd_runs = {
    "runs",
    NULL,
    "list, filter and sort tracked runs",
    "Lists the runs of the tracking store, newest first: id (first 8 characters), name,\n"
    "status (DIED: still RUNNING but its process is gone), start time, model, AUC, KS and\n"
    "log loss.\n"
    "Filters use MLflow's search syntax, e.g.\n"
    "  --filter \"metrics.auc > 0.72 and params.model = 'gbdt'\"\n"
    "  --filter \"tags.mlflow.runName LIKE 'tuned%' or status = 'FAILED'\"\n"
    "Sort keys: -metrics.auc (descending), metrics.logloss, start_time,\n"
    "params.max_depth...; runs lacking the key come last.\n"
    "Ended runs are listed from each experiment's run index (.lendlab-runs), kept up to\n"
    "date by lendlab; --rescan reads every run's files instead (after another tool changed\n"
    "ended runs in place) and writes the index anew. See lendlab-runs(1).",
    runs_opts,
    sizeof runs_opts / sizeof *runs_opts,
    0,
    0,
    runs_exec,
};

/* ------------------------------------------------------------------ compare */

static const ll_optspec compare_opts[] = {
    {"diff-only", 'd', LL_OPT_FLAG, NULL, "hide params equal in every run"},
    {"json", 0, LL_OPT_FLAG, NULL, "write JSON"},
};

/* Sorted union of the keys of an accessor over runs. */
static size_t key_union(ll_run **runs, size_t n, int metrics, char ***out)
{
    char **keys = NULL;
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        size_t cnt = metrics ? runs[i]->nmetrics : runs[i]->nparams;
        for (size_t j = 0; j < cnt; j++) {
            const char *k = metrics ? runs[i]->metrics[j].key : runs[i]->params[j].key;
            size_t pos = 0;
            while (pos < nk && strcmp(keys[pos], k) < 0) pos++;
            if (pos < nk && !strcmp(keys[pos], k)) continue;
            char **nkp = realloc(keys, (nk + 1) * sizeof *nkp);
            if (!nkp) continue;
            keys = nkp;
            memmove(keys + pos + 1, keys + pos, (nk - pos) * sizeof *keys);
            keys[pos] = (char *)k;
            nk++;
        }
    }
    *out = keys;
    return nk;
}

static const char *const curve_metrics[] = {"valid_auc", "valid_logloss"};

/* Index of the best run for metric key (-1 when fewer than two runs have it). */
static long best_run(ll_run **runs, size_t n, const char *key)
{
    int hb = ll_store_metric_higher_better(key);
    long best = -1;
    size_t have = 0;
    for (size_t i = 0; i < n; i++) {
        const ll_metric *m = ll_run_metric(runs[i], key);
        if (!m || isnan(m->value)) continue;
        have++;
        const ll_metric *b = best >= 0 ? ll_run_metric(runs[best], key) : NULL;
        if (!b || (hb ? m->value > b->value : m->value < b->value)) best = (long)i;
    }
    return have >= 2 ? best : -1;
}

static int compare_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    ll_store *st;
    int rc = open_store(ctx, "compare", &st);
    if (rc) return rc;
    ll_error err;
    ll_error_clear(&err);
    size_t n = args->npos;
    ll_run **runs = calloc(n, sizeof *runs);
    if (!runs) {
        ll_store_close(st);
        return LL_EXIT_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        if (ll_store_get_run(st, args->pos[i], &runs[i], &err)) {
            fprintf(ctx->err, "lendlab compare: %s\n", err.msg);
            rc = LL_EXIT_ERROR;
            goto done;
        }
    }
    int diff_only = ll_args_has(args, "diff-only");
    char **pkeys, **mkeys;
    size_t np = key_union(runs, n, 0, &pkeys), nm = key_union(runs, n, 1, &mkeys);
    ll_metric_summary(*curves)[2] = calloc(n, sizeof *curves);
    int(*has_curve)[2] = calloc(n, sizeof *has_curve);
    for (size_t i = 0; curves && has_curve && i < n; i++)
        for (size_t c = 0; c < 2; c++) {
            ll_error e2;
            has_curve[i][c] =
                ll_store_metric_summary(st, runs[i], curve_metrics[c],
                                        ll_store_metric_higher_better(curve_metrics[c]),
                                        &curves[i][c], &e2) == LL_OK;
        }
    if (ll_args_has(args, "json")) {
        FILE *f = ctx->out;
        fputs("{\"runs\": [", f);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ", " : "", f);
            fputs("{\"run_id\": ", f);
            ll_cmd_json_string(f, runs[i]->run_id);
            fputs(", \"run_name\": ", f);
            ll_cmd_json_string(f, runs[i]->run_name);
            fputs(", \"status\": ", f);
            ll_cmd_json_string(f, ll_run_status_name(runs[i]));
            fputs("}", f);
        }
        fputs("],\n \"params\": [", f);
        int first = 1;
        for (size_t k = 0; k < np; k++) {
            int equal = 1;
            const char *v0 = ll_run_param(runs[0], pkeys[k]);
            for (size_t i = 1; i < n; i++) {
                const char *v = ll_run_param(runs[i], pkeys[k]);
                if (!v0 || !v || strcmp(v0, v)) equal = 0;
            }
            if (diff_only && equal) continue;
            fputs(first ? "" : ", ", f);
            first = 0;
            fputs("{\"key\": ", f);
            ll_cmd_json_string(f, pkeys[k]);
            fputs(", \"values\": [", f);
            for (size_t i = 0; i < n; i++) {
                const char *v = ll_run_param(runs[i], pkeys[k]);
                fputs(i ? ", " : "", f);
                if (v)
                    ll_cmd_json_string(f, v);
                else
                    fputs("null", f);
            }
            fprintf(f, "], \"equal\": %s}", equal ? "true" : "false");
        }
        fputs("],\n \"metrics\": [", f);
        for (size_t k = 0; k < nm; k++) {
            fputs(k ? ", " : "", f);
            fputs("{\"key\": ", f);
            ll_cmd_json_string(f, mkeys[k]);
            fputs(", \"values\": [", f);
            for (size_t i = 0; i < n; i++) {
                const ll_metric *m = ll_run_metric(runs[i], mkeys[k]);
                fputs(i ? ", " : "", f);
                if (m)
                    ll_cmd_json_number(f, m->value);
                else
                    fputs("null", f);
            }
            long b = best_run(runs, n, mkeys[k]);
            fprintf(f, "], \"higher_is_better\": %s, \"best\": ",
                    ll_store_metric_higher_better(mkeys[k]) ? "true" : "false");
            if (b >= 0) {
                ll_cmd_json_string(f, runs[b]->run_id);
            } else {
                fputs("null", f);
            }
            fputs("}", f);
        }
        fputs("],\n \"curves\": {", f);
        int firstc = 1;
        for (size_t c = 0; c < 2; c++) {
            int any = 0;
            for (size_t i = 0; has_curve && i < n; i++) any |= has_curve[i][c];
            if (!any) continue;
            fputs(firstc ? "" : ", ", f);
            firstc = 0;
            ll_cmd_json_string(f, curve_metrics[c]);
            fputs(": [", f);
            int fr = 1;
            for (size_t i = 0; i < n; i++) {
                if (!has_curve[i][c]) continue;
                const ll_metric_summary *s = &curves[i][c];
                fputs(fr ? "" : ", ", f);
                fr = 0;
                fputs("{\"run_id\": ", f);
                ll_cmd_json_string(f, runs[i]->run_id);
                fprintf(f, ", \"steps\": %zu, \"first\": ", s->steps);
                ll_cmd_json_number(f, s->first);
                fputs(", \"last\": ", f);
                ll_cmd_json_number(f, s->last);
                fputs(", \"best\": ", f);
                ll_cmd_json_number(f, s->best);
                fprintf(f, ", \"best_step\": %lld, \"last_step\": %lld}", s->best_step,
                        s->last_step);
            }
            fputs("]", f);
        }
        fputs("}}\n", f);
    } else {
        FILE *f = ctx->out;
        texttable t;
        if (tt_init(&t, n + 1)) goto text_done;
        const char **row = calloc(n + 1, sizeof *row);
        char(*ids)[9] = calloc(n, sizeof *ids);
        char(*cells)[64] = calloc(n, sizeof *cells);
        if (!row || !ids || !cells) {
            free(row);
            free(ids);
            free(cells);
            tt_free(&t);
            goto text_done;
        }
        /* one table, so run columns line up across the header, params and metrics */
        char(*pcells)[24] = calloc(n, sizeof *pcells);
        if (!pcells) {
            free(row);
            free(ids);
            free(cells);
            tt_free(&t);
            goto text_done;
        }
        row[0] = "RUN";
        for (size_t i = 0; i < n; i++) {
            snprintf(ids[i], sizeof ids[i], "%.8s", runs[i]->run_id);
            row[i + 1] = ids[i];
        }
        tt_add(&t, row);
        row[0] = "name";
        for (size_t i = 0; i < n; i++) row[i + 1] = runs[i]->run_name;
        tt_add(&t, row);
        row[0] = "status";
        for (size_t i = 0; i < n; i++) row[i + 1] = ll_run_status_name(runs[i]);
        tt_add(&t, row);
        row[0] = "start";
        for (size_t i = 0; i < n; i++)
            row[i + 1] = ll_cmd_local_time(runs[i]->start_time, cells[i], sizeof cells[i]);
        tt_add(&t, row);
        for (size_t i = 1; i <= n; i++) row[i] = "";
        row[0] = "";
        tt_add(&t, row);
        row[0] = diff_only ? "params (differing)" : "params";
        tt_add(&t, row);
        size_t shown = 0;
        char keycell[300];
        for (size_t k = 0; k < np; k++) {
            int equal = 1;
            const char *v0 = ll_run_param(runs[0], pkeys[k]);
            for (size_t i = 1; i < n; i++) {
                const char *v = ll_run_param(runs[i], pkeys[k]);
                if (!v0 || !v || strcmp(v0, v)) equal = 0;
            }
            if (diff_only && equal) continue;
            snprintf(keycell, sizeof keycell, "  %s", pkeys[k]);
            row[0] = keycell;
            for (size_t i = 0; i < n; i++) {
                const char *v = ll_run_param(runs[i], pkeys[k]);
                /* long values (hashes, paths) are shortened; --json has them whole */
                if (v && strlen(v) > 20)
                    snprintf(pcells[i], sizeof pcells[i], "%.17s...", v);
                else
                    snprintf(pcells[i], sizeof pcells[i], "%s", v ? v : "-");
                row[i + 1] = pcells[i];
            }
            tt_add(&t, row);
            shown++;
        }
        if (!shown) {
            row[0] = np ? "  (all equal)" : "  (none)";
            for (size_t i = 1; i <= n; i++) row[i] = "";
            tt_add(&t, row);
        }
        for (size_t i = 1; i <= n; i++) row[i] = "";
        row[0] = "";
        tt_add(&t, row);
        row[0] = "metrics (* best)";
        tt_add(&t, row);
        for (size_t k = 0; k < nm; k++) {
            long b = best_run(runs, n, mkeys[k]);
            snprintf(keycell, sizeof keycell, "  %s", mkeys[k]);
            row[0] = keycell;
            for (size_t i = 0; i < n; i++) {
                const ll_metric *m = ll_run_metric(runs[i], mkeys[k]);
                if (!m) {
                    row[i + 1] = "-";
                    continue;
                }
                char num[32];
                ll_cmd_fixed(m->value, 4, num, sizeof num);
                snprintf(cells[i], sizeof cells[i], "%s%s", num, (long)i == b ? " *" : "");
                row[i + 1] = cells[i];
            }
            tt_add(&t, row);
        }
        if (!nm) {
            row[0] = "  (none)";
            for (size_t i = 1; i <= n; i++) row[i] = "";
            tt_add(&t, row);
        }
        tt_print(&t, f, NULL);
        tt_free(&t);
        free(pcells);
        for (size_t c = 0; c < 2 && curves && has_curve; c++) {
            int any = 0;
            for (size_t i = 0; i < n; i++) any |= has_curve[i][c];
            if (!any) continue;
            if (tt_init(&t, 6)) break;
            const char *hdr[] = {"RUN", "STEPS", "FIRST", "LAST", "BEST", "AT STEP"};
            tt_add(&t, hdr);
            for (size_t k = 1; k < 6; k++) t.right[k] = 1;
            for (size_t i = 0; i < n; i++) {
                if (!has_curve[i][c]) continue;
                const ll_metric_summary *s = &curves[i][c];
                char steps[32], a[32], b[32], bb[32], at[32];
                snprintf(steps, sizeof steps, "%zu", s->steps);
                snprintf(at, sizeof at, "%lld", s->best_step);
                const char *r2[] = {ids[i],
                                    steps,
                                    ll_cmd_fixed(s->first, 4, a, sizeof a),
                                    ll_cmd_fixed(s->last, 4, b, sizeof b),
                                    ll_cmd_fixed(s->best, 4, bb, sizeof bb),
                                    at};
                tt_add(&t, r2);
            }
            fprintf(f, "\nLearning curve %s:\n", curve_metrics[c]);
            tt_print(&t, f, "  ");
            tt_free(&t);
        }
        free(row);
        free(ids);
        free(cells);
    }
text_done:
    free(curves);
    free(has_curve);
    free(pkeys);
    free(mkeys);
done:
    for (size_t i = 0; i < n; i++) ll_run_free(runs[i]);
    free(runs);
    ll_store_close(st);
    return rc;
}

const ll_cmd_entry ll_cmd_compare = {
    "compare",
    "RUN_ID RUN_ID...",
    "compare runs: params side by side, best metrics, learning curves",
    "Run ids may be unique prefixes (as the runs listing shows them). Metrics mark the\n"
    "best run with '*': higher is better for auc, pr_auc, ks, gini, accuracy, precision,\n"
    "recall and f1, lower for logloss and brier. Learning curves summarise valid_auc and\n"
    "valid_logloss when the runs logged them per step.",
    compare_opts,
    sizeof compare_opts / sizeof *compare_opts,
    2,
    -1,
    compare_exec,
};

/* ------------------------------------------------------------------ delete-run, restore-run */

static int lifecycle_exec(const ll_cmd_ctx *ctx, const ll_args *args, int del)
{
    const char *cmd = del ? "delete-run" : "restore-run";
    ll_store *st;
    int rc = open_store(ctx, cmd, &st);
    if (rc) return rc;
    ll_error err;
    ll_error_clear(&err);
    ll_run *r;
    if (ll_store_get_run(st, args->pos[0], &r, &err)) {
        fprintf(ctx->err, "lendlab %s: %s\n", cmd, err.msg);
        ll_store_close(st);
        return LL_EXIT_ERROR;
    }
    if (r->deleted == del) {
        fprintf(ctx->out, "run %s (%s) is already %s\n", r->run_id, r->run_name,
                del ? "deleted" : "active");
    } else if ((del ? ll_store_delete_run : ll_store_restore_run)(st, r->run_id, &err)) {
        fprintf(ctx->err, "lendlab %s: %s\n", cmd, err.msg);
        rc = LL_EXIT_ERROR;
    } else {
        fprintf(ctx->out, "%s run %s (%s)\n", del ? "deleted" : "restored", r->run_id, r->run_name);
    }
    ll_run_free(r);
    ll_store_close(st);
    return rc;
}

static int delete_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    return lifecycle_exec(ctx, args, 1);
}

static int restore_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    return lifecycle_exec(ctx, args, 0);
}

const ll_cmd_entry ll_cmd_delete_run = {
    "delete-run",
    "RUN_ID",
    "mark a run deleted (files are kept; restore-run undoes it)",
    "Sets the run's lifecycle_stage to deleted in its meta.yaml, as MLflow does; nothing\n"
    "is removed. Deleted runs are hidden from runs unless --all is given.",
    NULL,
    0,
    1,
    1,
    delete_exec,
};

const ll_cmd_entry ll_cmd_restore_run = {
    "restore-run",
    "RUN_ID",
    "make a deleted run active again",
    "Sets the run's lifecycle_stage back to active.",
    NULL,
    0,
    1,
    1,
    restore_exec,
};
