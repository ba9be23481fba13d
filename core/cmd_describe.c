/* cmd_describe: the describe command — column profiles of a CSV file as a table or JSON. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "csv.h"
#include "fetch.h"
#include "profile.h"

/* Files at least this large get a progress line while loading (when progress is wanted). */
#define PROGRESS_MIN_BYTES ((size_t)16 << 20)
#define NAME_WIDTH_MAX     40
#define TOP_WIDTH_MAX      28

static const ll_optspec describe_opts[] = {
    {"target", 't', LL_OPT_STRING, "COL", "target column (default: guessed, see below)"},
    {"positive", 0, LL_OPT_STRING, "LABEL", "positive class of the target (default: detected)"},
    {"no-target", 0, LL_OPT_FLAG, NULL, "profile without a target column"},
    {"json", 0, LL_OPT_FLAG, NULL, "print one JSON object instead of the table"},
    {"delimiter", 'd', LL_OPT_STRING, "C",
     "field delimiter: one character or 'tab' (default: detected)"},
    {"skip-bad-rows", 0, LL_OPT_FLAG, NULL, "skip malformed rows instead of failing"},
    {"type", 0, LL_OPT_LIST, "COL=TYPE", "force a column's type: numeric, categorical, boolean"},
};

/* ---- progress -------------------------------------------------------------------------------- */

typedef struct {
    FILE *f;
    const char *path;
    const volatile int *cancel;
    int last;  /* last percentage (or MB when the size is unknown) shown, -1 = none */
    int width; /* characters of the line on screen, to blank it at the end */
} progress_state;

static int on_progress(size_t done, size_t total, void *ud)
{
    progress_state *ps = ud;
    int now = total ? (int)(done * 100.0 / (double)total) : (int)(done >> 20);
    if (now != ps->last) {
        ps->last = now;
        int w;
        if (total)
            w = fprintf(ps->f, "\rloading %s: %d%% (%zu of %zu MB)", ps->path, now, done >> 20,
                        total >> 20);
        else
            w = fprintf(ps->f, "\rloading %s: %zu MB", ps->path, done >> 20);
        if (w > ps->width) ps->width = w;
        fflush(ps->f);
    }
    return ps->cancel && *ps->cancel;
}

static void progress_clear(progress_state *ps)
{
    if (ps->width > 0) {
        fprintf(ps->f, "\r%*s\r", ps->width, "");
        fflush(ps->f);
    }
}

/* ---- output helpers -------------------------------------------------------------------------- */

/* The text table is for people, but it must not change with LC_NUMERIC either: the locale's
 * decimal point is replaced by '.'. */
static void c_decimal_point(char *buf)
{
    const char *dp = localeconv()->decimal_point;
    if (!dp || !strcmp(dp, ".")) return;
    char *p = strstr(buf, dp);
    if (p) {
        size_t dl = strlen(dp);
        *p = '.';
        memmove(p + 1, p + dl, strlen(p + dl) + 1);
    }
}

/* Number for the text table: whole numbers in full, others with 6 significant digits. */
static const char *disp(double v, char *buf, size_t len)
{
    if (isnan(v)) return "";
    v += 0.0;
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.6g", v);
    c_decimal_point(buf);
    return buf;
}

static const char *pct(size_t part, size_t whole, int decimals, char *buf, size_t len)
{
    double p = whole ? 100.0 * (double)part / (double)whole : 0.0;
    double smallest = decimals == 1 ? 0.1 : 0.01;
    if (part && p < smallest / 2)
        snprintf(buf, len, "<%.*f%%", decimals, smallest);
    else
        snprintf(buf, len, "%.*f%%", decimals, p);
    c_decimal_point(buf);
    return buf;
}

static void json_top(FILE *f, const ll_profile_column *c, int with_rates)
{
    fputs(",\"top\":[", f);
    for (size_t k = 0; k < c->ntop; k++) {
        const ll_profile_level *lv = &c->levels[k];
        fputs(k ? ",{\"value\":" : "{\"value\":", f);
        ll_cmd_json_string(f, lv->value);
        fprintf(f, ",\"count\":%zu", lv->count);
        if (with_rates) {
            fputs(",\"target_rate\":", f);
            ll_cmd_json_number(f, lv->target_rate);
        }
        fputc('}', f);
    }
    fputc(']', f);
}

static void json_stat(FILE *f, const char *name, double v)
{
    fprintf(f, ",\"%s\":", name);
    ll_cmd_json_number(f, v);
}

static void print_json(FILE *f, const char *path, const ll_profile *p, size_t skipped)
{
    fputs("{\"path\":", f);
    ll_cmd_json_string(f, path);
    fprintf(f, ",\"rows\":%zu,\"columns\":[", p->nrows);
    for (size_t i = 0; i < p->ncols; i++) {
        const ll_profile_column *c = &p->cols[i];
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
        ll_cmd_json_string(f, c->name);
        fputs(",\"type\":", f);
        ll_cmd_json_string(f, ll_coltype_name(c->type));
        fprintf(f, ",\"count\":%zu,\"missing\":%zu,\"distinct\":%zu", c->count, c->missing,
                c->distinct);
        if (c->type != LL_COL_CATEGORICAL) {
            json_stat(f, "min", c->min);
            json_stat(f, "max", c->max);
            json_stat(f, "mean", c->mean);
            json_stat(f, "std", c->std);
        }
        if (c->type == LL_COL_NUMERIC) {
            fputs(",\"quantiles\":{", f);
            for (int q = 0; q < LL_PROFILE_NQUANT; q++) {
                fprintf(f, "%s\"%s\":", q ? "," : "", ll_profile_quantile_names[q]);
                ll_cmd_json_number(f, c->quantiles[q]);
            }
            fputs("},\"histogram\":{\"edges\":[", f);
            for (int b = 0; b <= c->nbins && c->nbins; b++) {
                if (b) fputc(',', f);
                ll_cmd_json_number(f, c->hist_edges[b]);
            }
            fputs("],\"counts\":[", f);
            for (int b = 0; b < c->nbins; b++) fprintf(f, "%s%zu", b ? "," : "", c->hist_counts[b]);
            fputs("]}", f);
        } else {
            json_top(f, c, p->has_target && !c->is_target);
        }
        fputc('}', f);
    }
    fputs("],\n\"target\":", f);
    if (p->has_target) {
        const ll_profile_target *t = &p->target;
        fputs("{\"column\":", f);
        ll_cmd_json_string(f, t->name);
        fputs(",\"positive\":", f);
        ll_cmd_json_string(f, t->classes[t->positive_index].value);
        fputs(",\"positive_rate\":", f);
        ll_cmd_json_number(f, t->positive_rate);
        fputs(",\"classes\":[", f);
        for (int k = 0; k < 2; k++) {
            fputs(k ? ",{\"value\":" : "{\"value\":", f);
            ll_cmd_json_string(f, t->classes[k].value);
            fprintf(f, ",\"count\":%zu}", t->classes[k].count);
        }
        fputs("]}", f);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\"skipped_rows\":%zu}\n", skipped);
}

static void print_table(FILE *f, const char *path, const ll_profile *p, int guessed)
{
    int nw = 6;
    for (size_t i = 0; i < p->ncols; i++) {
        int l = (int)strlen(p->cols[i].name);
        if (l > nw) nw = l;
    }
    if (nw > NAME_WIDTH_MAX) nw = NAME_WIDTH_MAX;
    fprintf(f, "%s: %zu rows, %zu columns\n\n", path, p->nrows, p->ncols);
    fprintf(f, "%-*s  %-11s  %14s  %8s  %11s  %11s  %11s  %s\n", nw, "column", "type", "missing",
            "distinct", "min", "mean", "max", "top");
    for (size_t i = 0; i < p->ncols; i++) {
        const ll_profile_column *c = &p->cols[i];
        char miss[48], pbuf[16], mn[32], mean[32], mx[32];
        snprintf(miss, sizeof miss, "%zu (%s)", c->missing,
                 pct(c->missing, p->nrows, 1, pbuf, sizeof pbuf));
        const char *smin = "", *smean = "", *smax = "";
        if (c->type == LL_COL_NUMERIC) {
            smin = disp(c->min, mn, sizeof mn);
            smax = disp(c->max, mx, sizeof mx);
        }
        if (c->type != LL_COL_CATEGORICAL) smean = disp(c->mean, mean, sizeof mean);
        fprintf(f, "%-*.*s  %-11s  %14s  %8zu", nw, nw, c->name, ll_coltype_name(c->type), miss,
                c->distinct);
        if (*smin || *smean || *smax || c->ntop)
            fprintf(f, "  %11s  %11s  %11s", smin, smean, smax);
        if (c->type != LL_COL_NUMERIC && c->ntop) {
            const ll_profile_level *lv = &c->levels[0];
            fprintf(f, "  %.*s%s (%zu, %s)", TOP_WIDTH_MAX, lv->value,
                    strlen(lv->value) > TOP_WIDTH_MAX ? "..." : "", lv->count,
                    pct(lv->count, c->count, 1, pbuf, sizeof pbuf));
        }
        fputc('\n', f);
    }
    fputc('\n', f);
    if (!p->has_target) {
        fputs("no target column (choose one with --target COL)\n", f);
        return;
    }
    const ll_profile_target *t = &p->target;
    const ll_profile_level *pos = &t->classes[t->positive_index];
    char pbuf[16];
    fprintf(f, "target %s: positive class '%s', %zu of %zu rows (%s)\n", t->name, pos->value,
            pos->count, t->count, pct(pos->count, t->count, 2, pbuf, sizeof pbuf));
    if (guessed) fputs("  (chosen by its name; use --target COL or --no-target to change)\n", f);
    int cw = 5;
    for (int k = 0; k < 2; k++) {
        int l = (int)strlen(t->classes[k].value);
        if (l > cw) cw = l;
    }
    if (cw > NAME_WIDTH_MAX) cw = NAME_WIDTH_MAX;
    fprintf(f, "  %-*s  %10s  %7s\n", cw, "class", "rows", "share");
    for (int k = 0; k < 2; k++) {
        const ll_profile_level *lv = &t->classes[k];
        fprintf(f, "  %-*.*s  %10zu  %7s%s\n", cw, cw, lv->value, lv->count,
                pct(lv->count, t->count, 2, pbuf, sizeof pbuf),
                k == t->positive_index ? "  positive" : "");
    }
}

/* ---- the command ----------------------------------------------------------------------------- */

static void print_error(const ll_cmd_ctx *ctx, const char *path, const ll_error *err)
{
    char buf[2048];
    ll_error_format(err, buf, sizeof buf);
    if (err->file[0])
        fprintf(ctx->err, "lendlab describe: %s\n", buf);
    else
        fprintf(ctx->err, "lendlab describe: %s: %s\n", path, buf);
}

static int usage_error(const ll_cmd_ctx *ctx, const char *msg, const char *arg)
{
    fprintf(ctx->err, "lendlab describe: %s '%s'\nTry 'lendlab --batch describe --help'.\n", msg,
            arg);
    return LL_EXIT_USAGE;
}

static int exec_describe(const ll_cmd_ctx *ctx, const ll_args *args)
{
    const char *path = args->pos[0];
    const char *target = ll_args_str(args, "target");
    const char *positive = ll_args_str(args, "positive");
    int no_target = ll_args_has(args, "no-target");
    if (no_target && (target || positive))
        return usage_error(ctx, "--no-target conflicts with", target ? "--target" : "--positive");

    ll_csv_options copt = {0};
    copt.skip_bad_rows = ll_args_has(args, "skip-bad-rows");
    copt.cancel = ctx->cancel;
    const char *delim = ll_args_str(args, "delimiter");
    if (delim) {
        if (!strcmp(delim, "tab") || !strcmp(delim, "\\t"))
            copt.delimiter = '\t';
        else if (strlen(delim) == 1 && delim[0] != '"' && delim[0] != '\n' && delim[0] != '\r')
            copt.delimiter = delim[0];
        else
            return usage_error(ctx, "--delimiter expects one character or 'tab', got", delim);
    }

    const char *const *tv;
    size_t ntypes = ll_args_list(args, "type", &tv);
    const char **tnames = calloc(ntypes ? ntypes : 1, sizeof *tnames);
    char **tcopies = calloc(ntypes ? ntypes : 1, sizeof *tcopies);
    int *types = calloc(ntypes ? ntypes : 1, sizeof *types);
    int rc = LL_EXIT_OK;
    ll_table *table = NULL;
    ll_profile *prof = NULL;
    if (!tnames || !tcopies || !types) {
        fprintf(ctx->err, "lendlab describe: out of memory\n");
        rc = LL_EXIT_ERROR;
        goto done;
    }
    for (size_t i = 0; i < ntypes; i++) {
        const char *eq = strrchr(tv[i], '=');
        int ty = eq ? ll_coltype_parse(eq + 1) : -1;
        if (!eq || eq == tv[i] || ty < 0) {
            rc = usage_error(ctx, "--type expects COL=numeric|categorical|boolean, got", tv[i]);
            goto done;
        }
        if (!(tcopies[i] = strndup(tv[i], (size_t)(eq - tv[i])))) {
            fprintf(ctx->err, "lendlab describe: out of memory\n");
            rc = LL_EXIT_ERROR;
            goto done;
        }
        tnames[i] = tcopies[i];
        types[i] = ty;
    }
    copt.type_names = tnames;
    copt.types = types;
    copt.ntypes = ntypes;

    progress_state ps = {ctx->err, path, ctx->cancel, -1, 0};
    if (ctx->progress) {
        struct stat sb;
        int big = ll_fetch_is_url(path) || !strcmp(path, "-") ||
                  (stat(path, &sb) == 0 && (size_t)sb.st_size >= PROGRESS_MIN_BYTES);
        if (big) {
            copt.progress = on_progress;
            copt.progress_ud = &ps;
        }
    }
    ll_csv_report report;
    memset(&report, 0, sizeof report);
    ll_error err;
    ll_error_clear(&err);
    ll_status st = ll_csv_read_table(path, &copt, &table, &report, &err);
    progress_clear(&ps);
    if (st != LL_OK) {
        print_error(ctx, path, &err);
        rc = st == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
        goto done;
    }
    if (report.skipped_rows) {
        fprintf(ctx->err, "lendlab describe: %s: skipped %zu bad row%s (line", path,
                report.skipped_rows, report.skipped_rows == 1 ? "" : "s");
        size_t shown = report.skipped_rows < 5 ? report.skipped_rows : 5;
        for (size_t i = 0; i < shown; i++)
            fprintf(ctx->err, "%s %ld", i ? "," : (shown > 1 ? "s" : ""),
                    report.first_skipped_lines[i]);
        fprintf(ctx->err, "%s)\n", report.skipped_rows > shown ? ", ..." : "");
    }

    int guessed = 0;
    if (!target && !no_target) {
        long gi = ll_profile_guess_target(table);
        if (gi >= 0) {
            target = table->cols[gi].name;
            guessed = 1;
        }
    }
    if (positive && !target) {
        fprintf(ctx->err,
                "lendlab describe: %s: --positive needs a target column, and none "
                "was found (use --target COL)\n",
                path);
        rc = LL_EXIT_USAGE;
        goto done;
    }
    ll_profile_options popt = {.target = target, .positive = positive, .cancel = ctx->cancel};
    st = ll_profile_compute(table, &popt, &prof, &err);
    if (st != LL_OK) {
        print_error(ctx, path, &err);
        rc = st == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
        goto done;
    }
    if (ll_args_has(args, "json"))
        print_json(ctx->out, path, prof, report.skipped_rows);
    else
        print_table(ctx->out, path, prof, guessed);
    if (fflush(ctx->out) != 0 || ferror(ctx->out)) {
        fprintf(ctx->err, "lendlab describe: cannot write the output\n");
        rc = LL_EXIT_ERROR;
    }
done:
    ll_profile_free(prof);
    ll_table_free(table);
    for (size_t i = 0; tcopies && i < ntypes; i++) free(tcopies[i]);
    free(tcopies);
    free(tnames);
    free(types);
    return rc;
}

const ll_cmd_entry ll_cmd_describe = {
    .name = "describe",
    .args = "FILE",
    .summary = "profile a dataset: types, missing values, distributions, target balance",
    .help = "FILE is a CSV path, '-' for standard input, or an http(s) URL (cached).\n"
            "Prints one line per column (type, missing values, distinct values, min, mean and\n"
            "max of numbers, most frequent value of categories) and the target's class balance;\n"
            "--json adds quantiles, histograms, top categories and their positive rates.\n\n"
            "Without --target, the rightmost column named Class, target, default, loan_status,\n"
            "y, label, outcome or bad_loan (any case) holding exactly two values is the target.\n"
            "The positive class is detected (1, true, yes, y, bad, default, charged off) or is\n"
            "the minority class; --positive overrides it. See lendlab-describe(1).",
    .opts = describe_opts,
    .nopts = sizeof describe_opts / sizeof *describe_opts,
    .min_pos = 1,
    .max_pos = 1,
    .exec = exec_describe,
};
