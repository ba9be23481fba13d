/* cmd_train: the `train` command — fit a model on a CSV file and evaluate it on held-out rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "csv.h"
#include "fsutil.h"
#include "metrics.h"
#include "model.h"
#include "numfmt.h"
#include "prep.h"

static const ll_optspec train_opts[] = {
    {"target", 't', LL_OPT_STRING, "COL", "target column (two classes)"},
    {"positive", 0, LL_OPT_STRING, "LABEL",
     "positive class (default: detected from the labels, as describe does)"},
    {"model", 'm', LL_OPT_STRING, "KIND", "logreg, forest or gbdt (default gbdt)"},
    {"test", 0, LL_OPT_STRING, "FILE", "evaluate on FILE instead of a split of DATA"},
    {"test-fraction", 0, LL_OPT_DOUBLE, "F", "held-out fraction of DATA without --test (0.2)"},
    {"set", 's', LL_OPT_LIST, "KEY=VALUE", "model parameter (--list-params shows them)"},
    {"seed", 0, LL_OPT_INT, "N", "seed of the splits and the learner (default 42)"},
    {"output", 'o', LL_OPT_STRING, "DIR", "save the model into DIR"},
    {"predictions", 0, LL_OPT_STRING, "FILE", "write the test rows' probabilities to FILE"},
    {"json", 0, LL_OPT_FLAG, NULL, "print the results as JSON"},
    {"progress", 0, LL_OPT_FLAG, NULL, "print progress lines even when stderr is not a terminal"},
    {"list-params", 0, LL_OPT_FLAG, NULL, "list the parameters of --model (or of every kind)"},
};

#define TOP_IMPORTANCE 10

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const ll_cmd_ctx *ctx, const ll_error *err)
{
    char buf[1600];
    fprintf(ctx->err, "lendlab train: %s\n", ll_error_format(err, buf, sizeof buf));
    return err->code == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
}

static int usage_error(const ll_cmd_ctx *ctx, const char *msg)
{
    fprintf(ctx->err, "lendlab train: %s\nTry 'lendlab --batch train --help'.\n", msg);
    return LL_EXIT_USAGE;
}

static void list_params(FILE *f, int kind)
{
    for (int k = 0; k < LL_MODEL_KIND_COUNT; k++) {
        if (kind >= 0 && k != kind) continue;
        int n;
        const ll_param_spec *s = ll_model_param_specs((ll_model_kind)k, &n);
        fprintf(f, "%s parameters (--set KEY=VALUE):\n", ll_model_kind_name((ll_model_kind)k));
        for (int i = 0; i < n; i++) {
            char def[64], range[96];
            fprintf(f, "  %-22s default %-8s %-28s %s\n", s[i].name,
                    ll_model_param_text(&s[i], s[i].def, def, sizeof def),
                    ll_model_param_range(&s[i], range, sizeof range), s[i].help);
        }
    }
}

/* Progress lines: throttled to a few per second, always the first and the last. */
typedef struct {
    const ll_cmd_ctx *ctx;
    int show;
    double start, last;
    ll_fit_progress latest; /* the last report, printed or not */
    int latest_printed;
} progress_state;

static void print_progress(progress_state *ps, const ll_fit_progress *p, double t)
{
    FILE *f = ps->ctx->err;
    fprintf(f, "train: iteration %d/%d", p->iteration, p->total);
    if (!isnan(p->train_logloss)) fprintf(f, "  train logloss %.5f", p->train_logloss);
    if (!isnan(p->train_auc)) fprintf(f, " auc %.4f", p->train_auc);
    if (!isnan(p->valid_logloss)) fprintf(f, "  valid logloss %.5f", p->valid_logloss);
    if (!isnan(p->valid_auc)) fprintf(f, " auc %.4f", p->valid_auc);
    double el = isnan(p->elapsed_s) ? t - ps->start : p->elapsed_s;
    fprintf(f, "  elapsed %.1fs", el);
    if (p->iteration > 0 && p->total > p->iteration)
        fprintf(f, "  ETA %.1fs", el / p->iteration * (p->total - p->iteration));
    fputc('\n', f);
    fflush(f);
}

static int on_progress(const ll_fit_progress *p, void *ud)
{
    progress_state *ps = ud;
    if (ps->ctx->cancel && *ps->ctx->cancel) return 1;
    if (!ps->show) return 0;
    double t = now_s();
    ps->latest = *p;
    ps->latest_printed = 0;
    if (p->iteration != 1 && p->iteration < p->total && t - ps->last < 0.25) return 0;
    ps->last = t;
    ps->latest_printed = 1;
    print_progress(ps, p, t);
    return 0;
}

typedef struct {
    const char *name;
    double value;
} imp_entry;

static int cmp_imp(const void *a, const void *b)
{
    const imp_entry *x = a, *y = b;
    if (x->value != y->value) return x->value > y->value ? -1 : 1;
    return strcmp(x->name, y->name);
}

static cJSON *jnum(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

static ll_status write_predictions(const char *path, const ll_model *m, const double *p, size_t n,
                                   ll_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return ll_error_set(err, LL_ENOMEM, "out of memory");
    const ll_prep *pp = ll_model_prep(m);
    fputs("probability,label\n", f);
    for (size_t i = 0; i < n; i++) {
        char num[64];
        const char *lab = p[i] >= 0.5 ? ll_prep_positive_label(pp) : ll_prep_negative_label(pp);
        fprintf(f, "%s,", ll_numfmt_double(p[i], num, sizeof num));
        if (strpbrk(lab, ",\"\r\n")) {
            fputc('"', f);
            for (const char *c = lab; *c; c++) {
                if (*c == '"') fputc('"', f);
                fputc(*c, f);
            }
            fputs("\"\n", f);
        } else {
            fprintf(f, "%s\n", lab);
        }
    }
    if (fclose(f)) {
        free(buf);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    ll_status st = ll_fsutil_write_atomic(path, buf, len, NULL, err);
    free(buf);
    return st;
}

static int exec_train(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *kind_s = ll_args_str(a, "model");
    int kind = kind_s ? ll_model_kind_parse(kind_s) : LL_MODEL_GBDT;
    if (kind < 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "unknown model '%s' (logreg, forest or gbdt)", kind_s);
        return usage_error(ctx, msg);
    }
    if (ll_args_has(a, "list-params")) {
        list_params(ctx->out, kind_s ? kind : -1);
        return LL_EXIT_OK;
    }
    ll_model_params params;
    ll_model_params_default((ll_model_kind)kind, &params);
    const char *const *sets;
    size_t nsets = ll_args_list(a, "set", &sets);
    ll_error err;
    ll_error_clear(&err);
    for (size_t i = 0; i < nsets; i++)
        if (ll_model_params_parse(&params, sets[i], &err)) return usage_error(ctx, err.msg);
    long seed = ll_args_int(a, "seed", 42);
    if (seed < 0) return usage_error(ctx, "--seed must be a non-negative integer");
    if (!isnan(ll_model_params_get(&params, "seed")) && !ll_model_params_is_set(&params, "seed")) {
        char sb[32];
        snprintf(sb, sizeof sb, "%ld", seed);
        if (ll_model_params_set(&params, "seed", sb, &err)) return usage_error(ctx, err.msg);
    }
    if (ll_model_params_check(&params, &err)) return usage_error(ctx, err.msg);
    if (a->npos < 1) return usage_error(ctx, "'train' needs DATA (a CSV file)");
    const char *data = a->pos[0];
    const char *target = ll_args_str(a, "target");
    if (!target) return usage_error(ctx, "--target COL is required");
    const char *test_path = ll_args_str(a, "test");
    double frac = ll_args_double(a, "test-fraction", 0.2);
    if (test_path && ll_args_has(a, "test-fraction"))
        return usage_error(ctx, "--test and --test-fraction exclude each other");
    if (!(frac > 0 && frac < 1)) return usage_error(ctx, "--test-fraction must be in (0, 1)");
    const char *positive = ll_args_str(a, "positive");
    const char *outdir = ll_args_str(a, "output");
    int json = ll_args_has(a, "json");

    progress_state ps = {ctx, ctx->progress || ll_args_has(a, "progress"), now_s(), 0, {0}, 1};
    ll_csv_options copt = {0};
    copt.cancel = ctx->cancel;
    ll_table *all = NULL, *train = NULL, *test = NULL, *fit_part = NULL, *valid = NULL;
    ll_model *model = NULL;
    double *prob = NULL, *y = NULL;
    int rc = LL_EXIT_ERROR;
    if (ps.show) fprintf(ctx->err, "train: reading %s\n", data);
    if (ll_csv_read_table(data, &copt, &all, NULL, &err)) goto failed;
    if (test_path) {
        if (ps.show) fprintf(ctx->err, "train: reading %s\n", test_path);
        if (ll_csv_read_table(test_path, &copt, &test, NULL, &err)) goto failed;
        train = all;
        all = NULL;
    } else {
        if (ll_prep_split(all, target, frac, (unsigned long)seed, &train, &test, &err)) goto failed;
        ll_table_free(all);
        all = NULL;
    }
    /* early stopping watches a part carved from the training rows, never the test rows */
    double esr = ll_model_params_get(&params, "early_stopping_rounds");
    if (!isnan(esr) && esr > 0) {
        if (ll_prep_split(train, target, 0.1, (unsigned long)seed + 1, &fit_part, &valid, &err))
            goto failed;
    }
    const ll_table *fit_on = fit_part ? fit_part : train;
    if (ps.show)
        fprintf(ctx->err, "train: fitting %s on %zu rows\n",
                ll_model_kind_name((ll_model_kind)kind), fit_on->nrows);
    double t0 = now_s();
    if (ll_model_fit((ll_model_kind)kind, &params, fit_on, valid, target, positive, on_progress,
                     &ps, ctx->cancel, &model, &err))
        goto failed;
    double fit_s = now_s() - t0;
    /* a fit that stopped early ends on a report the throttle skipped: show where it stopped */
    if (ps.show && !ps.latest_printed && ps.latest.iteration > 0)
        print_progress(&ps, &ps.latest, now_s());
    size_t nvalid = valid ? valid->nrows : 0, ntrain = fit_on->nrows;
    ll_table_free(fit_part);
    ll_table_free(valid);
    ll_table_free(train);
    fit_part = valid = train = NULL;

    size_t n = test->nrows;
    prob = malloc((n ? n : 1) * sizeof *prob);
    y = malloc((n ? n : 1) * sizeof *y);
    if (!prob || !y) {
        ll_error_set(&err, LL_ENOMEM, "out of memory");
        goto failed;
    }
    if (ll_model_predict(model, test, prob, &err)) goto failed;
    if (ll_prep_labels(ll_model_prep(model), test, y, &err)) goto failed;
    ll_metrics mt;
    ll_confusion best = {0};
    if (ll_metrics_all(y, prob, n, NULL, 0.5, &mt, &err)) goto failed;
    best.accuracy = best.precision = best.recall = best.f1 = NAN;
    if (!isnan(mt.f1_best_threshold))
        ll_metrics_confusion(y, prob, n, NULL, mt.f1_best_threshold, &best, NULL);

    const char *pred_path = ll_args_str(a, "predictions");
    if (pred_path && write_predictions(pred_path, model, prob, n, &err)) goto failed;
    if (outdir && ll_model_save(model, outdir, &err)) goto failed;

    int nf = ll_model_nfeat(model);
    const char **names = malloc((size_t)nf * sizeof *names);
    double *vals = malloc((size_t)nf * sizeof *vals);
    imp_entry *imp = malloc((size_t)nf * sizeof *imp);
    if (!names || !vals || !imp) {
        free(names);
        free(vals);
        free(imp);
        ll_error_set(&err, LL_ENOMEM, "out of memory");
        goto failed;
    }
    ll_model_importance(model, names, vals);
    for (int i = 0; i < nf; i++) imp[i] = (imp_entry){names[i], vals[i]};
    qsort(imp, (size_t)nf, sizeof *imp, cmp_imp);
    const ll_prep *pp = ll_model_prep(model);

    if (json) {
        cJSON *o = cJSON_CreateObject(), *rows, *met, *ia;
        cJSON_AddStringToObject(o, "model", ll_model_kind_name((ll_model_kind)kind));
        cJSON_AddItemToObject(o, "params", ll_model_params_to_json(&params));
        cJSON_AddStringToObject(o, "target", target);
        cJSON_AddStringToObject(o, "positive_label", ll_prep_positive_label(pp));
        cJSON_AddStringToObject(o, "negative_label", ll_prep_negative_label(pp));
        rows = cJSON_AddObjectToObject(o, "rows");
        cJSON_AddItemToObject(rows, "train", jnum((double)ntrain));
        cJSON_AddItemToObject(rows, "valid", jnum((double)nvalid));
        cJSON_AddItemToObject(rows, "test", jnum((double)n));
        cJSON_AddItemToObject(o, "features", jnum(nf));
        cJSON_AddItemToObject(o, "fit_seconds", jnum(fit_s));
        met = cJSON_AddObjectToObject(o, "metrics");
        cJSON_AddItemToObject(met, "auc", jnum(mt.auc));
        cJSON_AddItemToObject(met, "pr_auc", jnum(mt.pr_auc));
        cJSON_AddItemToObject(met, "logloss", jnum(mt.logloss));
        cJSON_AddItemToObject(met, "ks", jnum(mt.ks));
        cJSON_AddItemToObject(met, "gini", jnum(mt.gini));
        cJSON_AddItemToObject(met, "brier", jnum(mt.brier));
        cJSON_AddItemToObject(met, "accuracy", jnum(mt.at.accuracy));
        cJSON_AddItemToObject(met, "precision", jnum(mt.at.precision));
        cJSON_AddItemToObject(met, "recall", jnum(mt.at.recall));
        cJSON_AddItemToObject(met, "f1", jnum(mt.at.f1));
        cJSON_AddItemToObject(met, "f1_best", jnum(mt.f1_best));
        cJSON_AddItemToObject(met, "threshold_best", jnum(mt.f1_best_threshold));
        cJSON_AddItemToObject(met, "accuracy_best", jnum(best.accuracy));
        cJSON_AddItemToObject(met, "precision_best", jnum(best.precision));
        cJSON_AddItemToObject(met, "recall_best", jnum(best.recall));
        ia = cJSON_AddArrayToObject(o, "importance");
        for (int i = 0; i < nf; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "feature", imp[i].name);
            cJSON_AddItemToObject(e, "gain", jnum(imp[i].value));
            cJSON_AddItemToArray(ia, e);
        }
        if (outdir)
            cJSON_AddStringToObject(o, "output", outdir);
        else
            cJSON_AddNullToObject(o, "output");
        char *text = cJSON_Print(o);
        cJSON_Delete(o);
        if (!text) {
            free(names);
            free(vals);
            free(imp);
            ll_error_set(&err, LL_ENOMEM, "out of memory");
            goto failed;
        }
        fprintf(ctx->out, "%s\n", text);
        free(text);
    } else {
        FILE *f = ctx->out;
        int np;
        const ll_param_spec *specs = ll_model_param_specs((ll_model_kind)kind, &np);
        fprintf(f, "%-18s %s\n", "model", ll_model_kind_name((ll_model_kind)kind));
        fprintf(f, "%-18s", "parameters");
        for (int i = 0; i < np; i++) {
            char vb[64];
            fprintf(f, "%s%s=%s", i ? (i % 5 ? " " : "\n                   ") : " ", specs[i].name,
                    ll_model_param_text(&specs[i], params.value[i], vb, sizeof vb));
        }
        fprintf(f, "\n%-18s %s (positive '%s', negative '%s')\n", "target", target,
                ll_prep_positive_label(pp), ll_prep_negative_label(pp));
        fprintf(f, "%-18s train %zu, test %zu", "rows", ntrain, n);
        if (nvalid) fprintf(f, ", early-stopping validation %zu", nvalid);
        fprintf(f, "\n%-18s %d\n%-18s %.3f\n\n", "features", nf, "fit seconds", fit_s);
        fprintf(f, "%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n",
                "test AUC", mt.auc, "PR AUC", mt.pr_auc, "log loss", mt.logloss, "KS", mt.ks,
                "Gini", mt.gini, "Brier", mt.brier);
        fprintf(f, "\n%-18s %-10s %s %.4f\n", "", "at 0.5", "at best-F1 threshold",
                mt.f1_best_threshold);
        fprintf(f, "%-18s %-10.4f %.4f\n", "accuracy", mt.at.accuracy, best.accuracy);
        fprintf(f, "%-18s %-10.4f %.4f\n", "precision", mt.at.precision, best.precision);
        fprintf(f, "%-18s %-10.4f %.4f\n", "recall", mt.at.recall, best.recall);
        fprintf(f, "%-18s %-10.4f %.4f\n", "F1", mt.at.f1, best.f1);
        fprintf(f, "\ntop features (%s)\n",
                kind == LL_MODEL_LOGREG ? "|coefficient|, standardised" : "gain");
        for (int i = 0; i < nf && i < TOP_IMPORTANCE; i++)
            fprintf(f, "  %2d. %-30s %.6g\n", i + 1, imp[i].name, imp[i].value);
        if (outdir) fprintf(f, "\nmodel saved to %s\n", outdir);
    }
    free(names);
    free(vals);
    free(imp);
    rc = LL_EXIT_OK;
    goto done;
failed:
    rc = fail(ctx, &err);
done:
    ll_table_free(all);
    ll_table_free(train);
    ll_table_free(test);
    ll_table_free(fit_part);
    ll_table_free(valid);
    ll_model_free(model);
    free(prob);
    free(y);
    return rc;
}

const ll_cmd_entry ll_cmd_train = {
    "train",
    "DATA",
    "fit a logreg, forest or gbdt model on a CSV file and evaluate it on held-out rows",
    "DATA is split into training and test rows (stratified on the target, seeded by --seed)\n"
    "unless --test gives the test rows. With early_stopping_rounds set, 10 % of the training\n"
    "rows are held out to watch the validation loss. Results go to standard output (--json for\n"
    "a machine-readable object); progress lines go to standard error. Parameters use XGBoost's\n"
    "names for gbdt and scikit-learn's for forest and logreg; --list-params shows them with\n"
    "their defaults and ranges. Interrupting the fit exits with status 130. See\n"
    "lendlab-train(1).",
    train_opts,
    sizeof train_opts / sizeof *train_opts,
    0,
    1,
    exec_train,
};
