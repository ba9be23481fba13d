/* cmd_tune: the `tune` command — hyper-parameter search (TPE + median pruning) with K-fold CV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "csv.h"
#include "model.h"
#include "numfmt.h"
#include "prep.h"
#include "store.h"
#include "tune.h"

static const ll_optspec tune_opts[] = {
    {"target", 't', LL_OPT_STRING, "COL", "target column (two classes)"},
    {"positive", 0, LL_OPT_STRING, "LABEL",
     "positive class (default: detected from the labels, as describe does)"},
    {"model", 'm', LL_OPT_STRING, "KIND", "logreg, forest or gbdt (default gbdt)"},
    {"test", 0, LL_OPT_STRING, "FILE", "score the best model on FILE (tuning never sees it)"},
    {"test-fraction", 0, LL_OPT_DOUBLE, "F",
     "without --test, hold out this fraction of DATA before tuning (0.2)"},
    {"trials", 'n', LL_OPT_INT, "N", "trials in the study, resumed ones included (50)"},
    {"timeout", 0, LL_OPT_DOUBLE, "S", "start no new trial after S seconds"},
    {"space", 0, LL_OPT_STRING, "FILE", "JSON search space (default: the model's own)"},
    {"cv", 0, LL_OPT_INT, "K", "stratified folds scoring each trial (5)"},
    {"seed", 0, LL_OPT_INT, "N", "seed of the split, the folds, the sampler and the learner (42)"},
    {"jobs", 'j', LL_OPT_INT, "N", "trials evaluated in parallel (1)"},
    {"threads", 0, LL_OPT_INT, "N", "learner threads per fit (2 with one job, else 1)"},
    {"set", 's', LL_OPT_LIST, "KEY=VALUE", "fixed model parameter (not tuned)"},
    {"prune", 0, LL_OPT_STRING, "WHEN",
     "median pruning after each fold (fold, the default), iteration, or none"},
    {"experiment", 'e', LL_OPT_STRING, "NAME", "experiment holding the study (Default)"},
    {"study-name", 0, LL_OPT_STRING, "NAME", "name of the study's run (default MODEL-DATA)"},
    {"resume", 0, LL_OPT_FLAG, NULL, "continue the latest study of that name"},
    {"no-track", 0, LL_OPT_FLAG, NULL, "do not record the study in the store"},
    {"output", 'o', LL_OPT_STRING, "DIR", "save the refitted best model into DIR"},
    {"json", 0, LL_OPT_FLAG, NULL, "print the result as JSON"},
    {"progress", 0, LL_OPT_FLAG, NULL, "print a line per trial even when stderr is not a terminal"},
    {"print-space", 0, LL_OPT_FLAG, NULL, "print the search space as JSON and exit"},
};

static int fail(const ll_cmd_ctx *ctx, const ll_error *err)
{
    char buf[1600];
    fprintf(ctx->err, "lendlab tune: %s\n", ll_error_format(err, buf, sizeof buf));
    return err->code == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
}

static int usage_error(const ll_cmd_ctx *ctx, const char *msg)
{
    fprintf(ctx->err, "lendlab tune: %s\nTry 'lendlab --batch tune --help'.\n", msg);
    return LL_EXIT_USAGE;
}

typedef struct {
    const ll_cmd_ctx *ctx;
    int show;
    const char *study_name;
    ll_tune_prune prune;
} progress_state;

/* "max_depth=5 eta=0.0214 ..." with three significant digits for real values. */
static void short_params(FILE *f, const ll_tune_space *s, const double *x)
{
    for (int d = 0; d < s->ndim; d++) {
        char buf[64];
        if (s->dist[d].kind == LL_TPE_FLOAT) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "%.3g", x[d]);
            double v;
            ll_numparse(tmp, strlen(tmp), &v); /* re-read so the text is locale-independent */
            ll_numfmt_double(v, buf, sizeof buf);
        } else {
            ll_tune_value_text(s, d, x[d], buf, sizeof buf);
        }
        fprintf(f, "%s%s=%s", d ? " " : "", ll_tune_space_name(s, d), buf);
    }
}

static void on_progress(const ll_tune_event *ev, void *ud)
{
    progress_state *ps = ud;
    if (!ps->show) return;
    FILE *f = ps->ctx->err;
    switch (ev->kind) {
    case LL_TUNE_EV_START:
        fprintf(f, "tune: %d-fold CV on %zu rows, %d parameters, %d trials", ev->folds, ev->rows,
                ev->space->ndim, ev->total);
        if (ev->resumed) fprintf(f, " (%d resumed)", ev->resumed);
        if (ev->study_run_id[0])
            fprintf(f, ", study %s (run %s)", ps->study_name, ev->study_run_id);
        fputc('\n', f);
        break;
    case LL_TUNE_EV_TRIAL: {
        const ll_tune_trial *t = ev->trial;
        fprintf(f, "tune: [%d/%d] trial #%d  ", ev->done, ev->total, t->number);
        short_params(f, ev->space, t->x);
        if (t->state == LL_TPE_COMPLETE)
            fprintf(f, "  cv AUC %.5f", t->value);
        else if (t->state == LL_TPE_PRUNED && ps->prune == LL_TUNE_PRUNE_ITERATION)
            fprintf(f, "  pruned at fold %d iteration %d (AUC %.5f)", t->pruned_fold + 1,
                    t->pruned_iteration, t->last_value);
        else if (t->state == LL_TPE_PRUNED)
            fprintf(f, "  pruned after fold %d (mean AUC %.5f)", t->pruned_fold + 1, t->last_value);
        else
            fprintf(f, "  failed: %s", t->error);
        if (ev->best) fprintf(f, "  best %.5f (#%d)", ev->best->value, ev->best->number);
        fprintf(f, "  %.1fs  elapsed %.1fs", t->seconds, ev->elapsed_s);
        if (isfinite(ev->eta_s) && ev->done < ev->total) fprintf(f, "  ETA %.0fs", ev->eta_s);
        fputc('\n', f);
        break;
    }
    case LL_TUNE_EV_REFIT:
        fprintf(f, "tune: refitting trial #%d's parameters on %zu rows\n", ev->best->number,
                ev->rows);
        break;
    default:
        break;
    }
    fflush(f);
}

static cJSON *jnum(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

/* The best trial's tuned parameters as JSON values (numbers, or names for categories). */
static cJSON *best_params_json(const ll_tune_space *s, const ll_tune_trial *b)
{
    cJSON *o = cJSON_CreateObject();
    for (int d = 0; o && d < s->ndim; d++) {
        char buf[64];
        ll_tune_value_text(s, d, b->x[d], buf, sizeof buf);
        double v;
        cJSON *item;
        if (!strcmp(buf, "true") || !strcmp(buf, "false"))
            item = cJSON_CreateBool(buf[0] == 't');
        else if (ll_numparse(buf, strlen(buf), &v))
            item = cJSON_CreateRaw(buf);
        else
            item = cJSON_CreateString(buf);
        cJSON_AddItemToObject(o, ll_tune_space_name(s, d), item);
    }
    return o;
}

/* "gbdt-lending_club_train" from the model kind and the data file's base name. */
static void default_study_name(const char *kind, const char *data, char *out, size_t len)
{
    const char *b = strrchr(data, '/');
    b = b ? b + 1 : data;
    size_t n = strlen(b);
    if (n > 4 && !strcmp(b + n - 4, ".csv")) n -= 4;
    if (n == 0 || !strcmp(data, "-")) {
        b = "stdin";
        n = 5;
    }
    snprintf(out, len, "%s-%.*s", kind, (int)n, b);
}

static int exec_tune(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *kind_s = ll_args_str(a, "model");
    int kind = kind_s ? ll_model_kind_parse(kind_s) : LL_MODEL_GBDT;
    char msg[1400];
    if (kind < 0) {
        snprintf(msg, sizeof msg, "unknown model '%s' (logreg, forest or gbdt)", kind_s);
        return usage_error(ctx, msg);
    }
    ll_error err;
    ll_error_clear(&err);
    ll_tune_options o;
    ll_tune_options_default((ll_model_kind)kind, &o);
    const char *space_path = ll_args_str(a, "space");
    if (ll_args_has(a, "print-space") && !space_path) {
        cJSON *j = ll_tune_space_to_json(&o.space);
        char *text = j ? cJSON_Print(j) : NULL;
        cJSON_Delete(j);
        if (!text) return LL_EXIT_ERROR;
        fprintf(ctx->out, "%s\n", text);
        free(text);
        return LL_EXIT_OK;
    }
    if (space_path && ll_tune_space_load((ll_model_kind)kind, space_path, &o.space, &err)) {
        ll_error_format(&err, msg, sizeof msg);
        return usage_error(ctx, msg);
    }
    if (ll_args_has(a, "print-space")) {
        cJSON *j = ll_tune_space_to_json(&o.space);
        char *text = j ? cJSON_Print(j) : NULL;
        cJSON_Delete(j);
        if (!text) return LL_EXIT_ERROR;
        fprintf(ctx->out, "%s\n", text);
        free(text);
        return LL_EXIT_OK;
    }
    if (a->npos < 1) return usage_error(ctx, "'tune' needs DATA (a CSV file)");
    const char *data = a->pos[0];
    o.target = ll_args_str(a, "target");
    if (!o.target) return usage_error(ctx, "--target COL is required");
    o.positive = ll_args_str(a, "positive");
    const char *test_path = ll_args_str(a, "test");
    double frac = ll_args_double(a, "test-fraction", 0.2);
    if (test_path && ll_args_has(a, "test-fraction"))
        return usage_error(ctx, "--test and --test-fraction exclude each other");
    if (!(frac > 0 && frac < 1)) return usage_error(ctx, "--test-fraction must be in (0, 1)");
    long trials = ll_args_int(a, "trials", 50), cv = ll_args_int(a, "cv", 5);
    long seed = ll_args_int(a, "seed", 42), jobs = ll_args_int(a, "jobs", 1);
    double timeout = ll_args_double(a, "timeout", 0);
    if (trials < 1 || trials > 100000) return usage_error(ctx, "--trials must be in 1..100000");
    if (cv < 2 || cv > LL_TUNE_MAX_FOLDS) {
        snprintf(msg, sizeof msg, "--cv must be in 2..%d", LL_TUNE_MAX_FOLDS);
        return usage_error(ctx, msg);
    }
    if (seed < 0) return usage_error(ctx, "--seed must be a non-negative integer");
    if (jobs < 1 || jobs > 64) return usage_error(ctx, "--jobs must be in 1..64");
    if (timeout < 0) return usage_error(ctx, "--timeout must be >= 0");
    int track = !ll_args_has(a, "no-track"), resume = ll_args_has(a, "resume");
    if (resume && !track) return usage_error(ctx, "--resume needs the store (drop --no-track)");
    const char *experiment = ll_args_str(a, "experiment");
    char study_name[256];
    if (ll_args_str(a, "study-name"))
        snprintf(study_name, sizeof study_name, "%s", ll_args_str(a, "study-name"));
    else
        default_study_name(ll_model_kind_name((ll_model_kind)kind), data, study_name,
                           sizeof study_name);

    ll_store *store = NULL;
    int rc = LL_EXIT_ERROR;
    ll_table *all = NULL, *train = NULL, *test = NULL;
    ll_tune_result res = {0};
    progress_state ps = {ctx, ctx->progress || ll_args_has(a, "progress"), study_name,
                         LL_TUNE_PRUNE_FOLD};
    if (track && ll_store_open(ctx->store, 1, &store, &err)) return fail(ctx, &err);
    if (resume) {
        /* a resumed study keeps its model, folds, seed and space unless they are given again */
        ll_tune_study_info info;
        if (ll_tune_study_find(store, experiment, study_name, &info, &err)) goto failed;
        if (kind_s && info.kind != (ll_model_kind)kind) {
            snprintf(msg, sizeof msg, "study '%s' tunes %s, not %s", study_name,
                     ll_model_kind_name(info.kind), ll_model_kind_name((ll_model_kind)kind));
            rc = usage_error(ctx, msg);
            goto done;
        }
        if (!kind_s && info.kind != (ll_model_kind)kind) {
            kind = info.kind;
            ll_tune_options_default(info.kind, &o);
            o.target = ll_args_str(a, "target");
            o.positive = ll_args_str(a, "positive");
        }
        const char *diff = NULL;
        if (ll_args_has(a, "cv") && info.cv != cv) diff = "--cv";
        if (ll_args_has(a, "seed") && (uint64_t)seed != info.seed) diff = "--seed";
        if (space_path && !ll_tune_space_equal(&info.space, &o.space)) diff = "--space";
        if (diff) {
            snprintf(msg, sizeof msg,
                     "study '%s' was created with another %s (cv %d, seed %llu); drop the option "
                     "to resume it",
                     study_name, diff, info.cv, (unsigned long long)info.seed);
            rc = usage_error(ctx, msg);
            goto done;
        }
        cv = info.cv;
        seed = (long)info.seed;
        o.space = info.space;
    } else if (track && ps.show) {
        ll_tune_study_info info;
        ll_error e2;
        if (ll_tune_study_find(store, experiment, study_name, &info, &e2) == LL_OK)
            fprintf(ctx->err,
                    "tune: note: study '%s' already exists (run %s); starting a new one "
                    "(--resume continues it)\n",
                    study_name, info.run_id);
    }
    o.trials = (int)trials;
    o.cv = (int)cv;
    o.seed = (uint64_t)seed;
    o.jobs = (int)jobs;
    o.timeout_s = timeout;
    const char *pw = ll_args_str(a, "prune");
    o.prune = LL_TUNE_PRUNE_FOLD;
    if (pw && !strcmp(pw, "none"))
        o.prune = LL_TUNE_PRUNE_NONE;
    else if (pw && !strcmp(pw, "iteration"))
        o.prune = LL_TUNE_PRUNE_ITERATION;
    else if (pw && strcmp(pw, "fold")) {
        snprintf(msg, sizeof msg, "--prune must be fold, iteration or none, got '%s'", pw);
        rc = usage_error(ctx, msg);
        goto done;
    }
    o.store = store;
    o.experiment = experiment;
    o.study_name = study_name;
    o.resume = resume;
    o.data_name = data;
    o.test_name = test_path;
    ps.prune = o.prune;
    o.progress = on_progress;
    o.progress_ud = &ps;
    o.cancel = ctx->cancel;

    /* fixed parameters: --set, then the learner's seed and threads unless given */
    const char *const *sets;
    size_t nsets = ll_args_list(a, "set", &sets);
    for (size_t i = 0; i < nsets; i++) {
        if (ll_model_params_parse(&o.base, sets[i], &err)) {
            rc = usage_error(ctx, err.msg);
            goto done;
        }
    }
    for (int d = 0; d < o.space.ndim; d++) {
        if (ll_model_params_is_set(&o.base, ll_tune_space_name(&o.space, d))) {
            snprintf(msg, sizeof msg, "'%s' is both tuned and fixed by --set",
                     ll_tune_space_name(&o.space, d));
            rc = usage_error(ctx, msg);
            goto done;
        }
    }
    char num[32];
    if (!isnan(ll_model_params_get(&o.base, "seed")) && !ll_model_params_is_set(&o.base, "seed")) {
        snprintf(num, sizeof num, "%ld", seed);
        ll_model_params_set(&o.base, "seed", num, NULL);
    }
    if (ll_args_has(a, "threads") && ll_model_params_is_set(&o.base, "threads")) {
        rc = usage_error(ctx, "--threads and --set threads=N exclude each other");
        goto done;
    }
    if (!ll_model_params_is_set(&o.base, "threads")) {
        long th = ll_args_int(a, "threads", jobs == 1 ? 2 : 1);
        snprintf(num, sizeof num, "%ld", th);
        if (ll_model_params_set(&o.base, "threads", num, &err)) {
            rc = usage_error(ctx, err.msg);
            goto done;
        }
    }
    if (ll_model_params_check(&o.base, &err)) {
        rc = usage_error(ctx, err.msg);
        goto done;
    }

    ll_csv_options copt = {0};
    copt.cancel = ctx->cancel;
    if (ps.show) fprintf(ctx->err, "tune: reading %s\n", data);
    if (ll_csv_read_table(data, &copt, &all, NULL, &err)) goto failed;
    if (test_path) {
        if (ps.show) fprintf(ctx->err, "tune: reading %s\n", test_path);
        if (ll_csv_read_table(test_path, &copt, &test, NULL, &err)) goto failed;
        train = all;
        all = NULL;
    } else {
        /* the test rows are carved before tuning, so no trial ever sees them */
        if (ll_prep_split(all, o.target, frac, (unsigned long)seed, &train, &test, &err))
            goto failed;
        ll_table_free(all);
        all = NULL;
    }
    if (ll_tune_run(&o, train, test, &res, &err)) goto failed;
    const char *outdir = ll_args_str(a, "output");
    if (outdir && ll_model_save(res.model, outdir, &err)) goto failed;

    const ll_tune_trial *best = &res.trials[res.best];
    if (ll_args_has(a, "json")) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToObject(j, "best_params", best_params_json(&o.space, best));
        cJSON_AddItemToObject(j, "best_cv_auc", jnum(res.best_cv_auc));
        cJSON_AddItemToObject(j, "test_auc", jnum(res.test_auc));
        cJSON_AddItemToObject(j, "trials", jnum((double)res.ntrials));
        cJSON_AddItemToObject(j, "pruned", jnum(res.npruned));
        cJSON_AddItemToObject(j, "seconds", jnum(res.seconds));
        if (res.study_run_id[0])
            cJSON_AddStringToObject(j, "study_run_id", res.study_run_id);
        else
            cJSON_AddNullToObject(j, "study_run_id");
        cJSON_AddItemToObject(j, "complete", jnum(res.ncomplete));
        cJSON_AddItemToObject(j, "failed", jnum(res.nfail));
        cJSON_AddItemToObject(j, "resumed", jnum(res.nresumed));
        cJSON_AddItemToObject(j, "best_trial", jnum(best->number));
        cJSON_AddBoolToObject(j, "timed_out", res.timed_out);
        cJSON_AddStringToObject(j, "model", ll_model_kind_name(o.kind));
        cJSON_AddStringToObject(j, "study_name", study_name);
        cJSON_AddItemToObject(j, "cv", jnum(o.cv));
        cJSON_AddItemToObject(j, "rows", jnum((double)res.ntrain));
        cJSON_AddItemToObject(j, "test_rows", jnum((double)res.ntest));
        if (outdir)
            cJSON_AddStringToObject(j, "output", outdir);
        else
            cJSON_AddNullToObject(j, "output");
        char *text = cJSON_Print(j);
        cJSON_Delete(j);
        if (!text) {
            ll_error_set(&err, LL_ENOMEM, "out of memory");
            goto failed;
        }
        fprintf(ctx->out, "%s\n", text);
        free(text);
    } else {
        FILE *f = ctx->out;
        if (res.study_run_id[0])
            fprintf(f, "%-18s %s (run %s)\n", "study", study_name, res.study_run_id);
        else
            fprintf(f, "%-18s %s (not tracked)\n", "study", study_name);
        fprintf(f, "%-18s %s, %d-fold CV on %zu rows\n", "model", ll_model_kind_name(o.kind), o.cv,
                res.ntrain);
        fprintf(f, "%-18s %zu (%d complete, %d pruned, %d failed; %d resumed)%s\n", "trials",
                res.ntrials, res.ncomplete, res.npruned, res.nfail, res.nresumed,
                res.timed_out ? ", stopped by --timeout" : "");
        fprintf(f, "%-18s #%d\n%-18s %.4f\n", "best trial", best->number, "best CV AUC",
                res.best_cv_auc);
        fprintf(f, "%-18s %.4f (%zu rows)\n", "test AUC", res.test_auc, res.ntest);
        fprintf(f, "%-18s %.1f\n\nbest parameters\n", "seconds", res.seconds);
        for (int d = 0; d < o.space.ndim; d++) {
            char buf[64];
            fprintf(f, "  %-22s %s\n", ll_tune_space_name(&o.space, d),
                    ll_tune_value_text(&o.space, d, best->x[d], buf, sizeof buf));
        }
        if (outdir) fprintf(f, "\nmodel saved to %s\n", outdir);
    }
    rc = LL_EXIT_OK;
    goto done;
failed:
    rc = fail(ctx, &err);
done:
    ll_tune_result_free(&res);
    ll_table_free(all);
    ll_table_free(train);
    ll_table_free(test);
    ll_store_close(store);
    return rc;
}

const ll_cmd_entry ll_cmd_tune = {
    "tune",
    "DATA",
    "search model parameters with TPE and median pruning, scored by K-fold cross-validation",
    "Each trial's parameters are drawn by a TPE sampler (Optuna's defaults: 10 random trials,\n"
    "then 24 candidates from the good trials' Parzen estimator) and scored by the mean\n"
    "validation AUC of stratified --cv folds of the training rows. A trial whose mean AUC over\n"
    "its folds so far falls below the median of earlier completed trials after the same fold\n"
    "is pruned (--prune iteration judges every boosting round instead). The best parameters\n"
    "are refitted on all training rows and scored on test rows that tuning never saw (--test,\n"
    "or a --test-fraction split carved first). The study is a parent run in the store with one\n"
    "child run per trial; --resume continues it. --print-space shows the search space, the\n"
    "format --space reads. See lendlab-tune(1).",
    tune_opts,
    sizeof tune_opts / sizeof *tune_opts,
    0,
    1,
    exec_tune,
};
