/* cmd_train: the `train` command — options in, one training job (core/trainrun) run inline,
 * results out as text or JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "model.h"
#include "numfmt.h"
#include "registry.h"
#include "trainrun.h"

static const ll_optspec train_opts[] = {
    {"target", 't', LL_OPT_STRING, "COL", "target column (two classes)"},
    {"positive", 0, LL_OPT_STRING, "LABEL",
     "positive class (default: detected from the labels, as describe does)"},
    {"model", 'm', LL_OPT_STRING, "KIND", "logreg, forest or gbdt (default gbdt)"},
    {"test", 0, LL_OPT_STRING, "FILE", "evaluate on FILE instead of a split of DATA"},
    {"test-fraction", 0, LL_OPT_DOUBLE, "F", "held-out fraction of DATA without --test (0.2)"},
    {"set", 's', LL_OPT_LIST, "KEY=VALUE", "model parameter (--list-params shows them)"},
    {"seed", 0, LL_OPT_INT, "N", "seed of the splits and the learner (default 42)"},
    {"output", 'o', LL_OPT_STRING, "DIR", "also save a copy of the model into DIR"},
    {"predictions", 0, LL_OPT_STRING, "FILE", "write the test rows' probabilities to FILE"},
    {"experiment", 'e', LL_OPT_STRING, "NAME",
     "experiment to record the run in, created when new (default Default)"},
    {"run-name", 0, LL_OPT_STRING, "NAME", "name of the run (default MODEL-YYYYmmdd-HHMMSS)"},
    {"register", 0, LL_OPT_STRING, "MODEL",
     "register the finished run's model as a new version of MODEL"},
    {"alias", 0, LL_OPT_STRING, "ALIAS", "with --register: point ALIAS (e.g. staging) at it"},
    {"no-track", 0, LL_OPT_FLAG, NULL, "do not record the run in the tracking store"},
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

/* Progress lines on standard error: throttled to a few per second, always the first and the
 * last iteration, and the stages that read and fit. */
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

static int on_event(const ll_trainrun_event *ev, void *ud)
{
    progress_state *ps = ud;
    if (ev->kind == LL_TRAINRUN_EV_STAGE) {
        /* a fit that stopped early ends on a report the throttle skipped: show where it
         * stopped */
        if (ps->show && ev->stage > LL_TRAINRUN_FIT && !ps->latest_printed &&
            ps->latest.iteration > 0) {
            print_progress(ps, &ps->latest, now_s());
            ps->latest_printed = 1;
        }
        if (ps->show && (ev->stage == LL_TRAINRUN_READ || ev->stage == LL_TRAINRUN_FIT)) {
            fprintf(ps->ctx->err, "train: %s\n", ev->message);
            fflush(ps->ctx->err);
        }
        return 0;
    }
    if (ev->kind != LL_TRAINRUN_EV_FIT) return 0;
    const ll_fit_progress *p = ev->fit;
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

static cJSON *jnum(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

/* ---- output ------------------------------------------------------------------------------ */

typedef struct {
    ll_trainrun_cfg run;
    int json;
} train_cfg;

static int print_json(const ll_cmd_ctx *ctx, const train_cfg *c, const ll_trainrun_result *r)
{
    const ll_prep *pp = ll_model_prep(r->model);
    cJSON *o = cJSON_CreateObject(), *rows, *ia;
    if (!o) return -1;
    cJSON_AddStringToObject(o, "model", ll_model_kind_name(c->run.params.kind));
    cJSON_AddItemToObject(o, "params", ll_model_params_to_json(&c->run.params));
    cJSON_AddStringToObject(o, "target", c->run.target);
    cJSON_AddStringToObject(o, "positive_label", ll_prep_positive_label(pp));
    cJSON_AddStringToObject(o, "negative_label", ll_prep_negative_label(pp));
    rows = cJSON_AddObjectToObject(o, "rows");
    cJSON_AddItemToObject(rows, "train", jnum((double)r->ntrain));
    cJSON_AddItemToObject(rows, "valid", jnum((double)r->nvalid));
    cJSON_AddItemToObject(rows, "test", jnum((double)r->ntest));
    cJSON_AddItemToObject(o, "features", jnum(r->nf));
    cJSON_AddItemToObject(o, "fit_seconds", jnum(r->fit_s));
    cJSON_AddItemToObject(o, "metrics", ll_trainrun_metrics_json(r));
    ia = cJSON_AddArrayToObject(o, "importance");
    for (int i = 0; ia && i < r->nf; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "feature", r->imp[i].name);
        cJSON_AddItemToObject(e, "gain", jnum(r->imp[i].value));
        cJSON_AddItemToArray(ia, e);
    }
    if (c->run.outdir)
        cJSON_AddStringToObject(o, "output", c->run.outdir);
    else
        cJSON_AddNullToObject(o, "output");
    if (r->info) {
        cJSON_AddStringToObject(o, "run_id", r->run_id);
        cJSON_AddStringToObject(o, "experiment_id", r->info->experiment_id);
        cJSON_AddStringToObject(o, "artifact_uri", r->info->artifact_uri);
    } else {
        cJSON_AddNullToObject(o, "run_id");
        cJSON_AddNullToObject(o, "experiment_id");
        cJSON_AddNullToObject(o, "artifact_uri");
    }
    if (r->registered) {
        cJSON *reg = cJSON_AddObjectToObject(o, "registered");
        cJSON_AddStringToObject(reg, "name", c->run.reg_name);
        cJSON_AddItemToObject(reg, "version", jnum((double)r->version));
        if (c->run.alias)
            cJSON_AddStringToObject(reg, "alias", c->run.alias);
        else
            cJSON_AddNullToObject(reg, "alias");
        cJSON_AddStringToObject(reg, "stage", r->reg_stage);
    } else {
        cJSON_AddNullToObject(o, "registered");
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return -1;
    fprintf(ctx->out, "%s\n", text);
    free(text);
    return 0;
}

static void print_text(const ll_cmd_ctx *ctx, const train_cfg *c, const ll_trainrun_result *r)
{
    FILE *f = ctx->out;
    const ll_prep *pp = ll_model_prep(r->model);
    const ll_metrics *mt = &r->mt;
    ll_model_kind kind = c->run.params.kind;
    int np;
    const ll_param_spec *specs = ll_model_param_specs(kind, &np);
    fprintf(f, "%-18s %s\n", "model", ll_model_kind_name(kind));
    fprintf(f, "%-18s", "parameters");
    for (int i = 0; i < np; i++) {
        char vb[64];
        fprintf(f, "%s%s=%s", i ? (i % 5 ? " " : "\n                   ") : " ", specs[i].name,
                ll_model_param_text(&specs[i], c->run.params.value[i], vb, sizeof vb));
    }
    fprintf(f, "\n%-18s %s (positive '%s', negative '%s')\n", "target", c->run.target,
            ll_prep_positive_label(pp), ll_prep_negative_label(pp));
    fprintf(f, "%-18s train %zu, test %zu", "rows", r->ntrain, r->ntest);
    if (r->nvalid) fprintf(f, ", early-stopping validation %zu", r->nvalid);
    fprintf(f, "\n%-18s %d\n%-18s %.3f\n\n", "features", r->nf, "fit seconds", r->fit_s);
    fprintf(f, "%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n",
            "test AUC", mt->auc, "PR AUC", mt->pr_auc, "log loss", mt->logloss, "KS", mt->ks,
            "Gini", mt->gini, "Brier", mt->brier);
    fprintf(f, "\n%-18s %-10s %s %.4f\n", "", "at 0.5", "at best-F1 threshold",
            mt->f1_best_threshold);
    fprintf(f, "%-18s %-10.4f %.4f\n", "accuracy", mt->at.accuracy, r->best.accuracy);
    fprintf(f, "%-18s %-10.4f %.4f\n", "precision", mt->at.precision, r->best.precision);
    fprintf(f, "%-18s %-10.4f %.4f\n", "recall", mt->at.recall, r->best.recall);
    fprintf(f, "%-18s %-10.4f %.4f\n", "F1", mt->at.f1, r->best.f1);
    fprintf(f, "\ntop features (%s)\n",
            kind == LL_MODEL_LOGREG ? "|coefficient|, standardised" : "gain");
    for (int i = 0; i < r->nf && i < TOP_IMPORTANCE; i++)
        fprintf(f, "  %2d. %-30s %.6g\n", i + 1, r->imp[i].name, r->imp[i].value);
    if (c->run.outdir) fprintf(f, "\nmodel saved to %s\n", c->run.outdir);
    if (r->info) {
        fprintf(f, "\n%-18s %s (experiment '%s', id %s)\n", "run", r->run_id,
                c->run.experiment ? c->run.experiment : "Default", r->info->experiment_id);
        fprintf(f, "%-18s %s\n", "run name", r->info->run_name ? r->info->run_name : "");
        fprintf(f, "%-18s %s\n", "artifacts", r->info->artifact_uri);
    }
    if (r->registered) {
        fprintf(f, "%-18s %s version %ld", "registered", c->run.reg_name, r->version);
        if (c->run.alias) fprintf(f, ", alias '%s'", c->run.alias);
        if (strcmp(r->reg_stage, "None")) fprintf(f, ", stage %s", r->reg_stage);
        fputc('\n', f);
    }
}

/* ---- the command ------------------------------------------------------------------------- */

/* Options into cfg; a usage error's exit code, or -1 to go on. The option combinations are
 * checked here, the values by ll_trainrun_check (as the workbench's form does). */
static int parse_cfg(const ll_cmd_ctx *ctx, const ll_args *a, train_cfg *c)
{
    memset(c, 0, sizeof *c);
    ll_trainrun_cfg *rc = &c->run;
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
    ll_model_params_default((ll_model_kind)kind, &rc->params);
    const char *const *sets;
    size_t nsets = ll_args_list(a, "set", &sets);
    ll_error err;
    ll_error_clear(&err);
    for (size_t i = 0; i < nsets; i++)
        if (ll_model_params_parse(&rc->params, sets[i], &err)) return usage_error(ctx, err.msg);
    rc->seed = ll_args_int(a, "seed", 42);
    if (rc->seed < 0) return usage_error(ctx, "--seed must be a non-negative integer");
    if (a->npos < 1) return usage_error(ctx, "'train' needs DATA (a CSV file)");
    rc->data = a->pos[0];
    rc->target = ll_args_str(a, "target");
    if (!rc->target) return usage_error(ctx, "--target COL is required");
    rc->test_path = ll_args_str(a, "test");
    rc->test_fraction = ll_args_double(a, "test-fraction", 0.2);
    if (rc->test_path && ll_args_has(a, "test-fraction"))
        return usage_error(ctx, "--test and --test-fraction exclude each other");
    if (!(rc->test_fraction > 0 && rc->test_fraction < 1))
        return usage_error(ctx, "--test-fraction must be in (0, 1)");
    rc->positive = ll_args_str(a, "positive");
    rc->outdir = ll_args_str(a, "output");
    rc->pred_path = ll_args_str(a, "predictions");
    c->json = ll_args_has(a, "json");
    rc->track = !ll_args_has(a, "no-track");
    rc->store = ctx->store ? ctx->store : "mlruns";
    rc->experiment = ll_args_str(a, "experiment");
    rc->run_name = ll_args_str(a, "run-name");
    rc->source = "lendlab train";
    rc->reg_name = ll_args_str(a, "register");
    rc->alias = ll_args_str(a, "alias");
    if (!rc->track) {
        static const char *const tracked_only[] = {"experiment", "run-name", "register", "alias"};
        for (size_t i = 0; i < sizeof tracked_only / sizeof *tracked_only; i++)
            if (ll_args_has(a, tracked_only[i])) {
                char msg[128];
                snprintf(msg, sizeof msg, "--%s needs a tracked run (drop --no-track)",
                         tracked_only[i]);
                return usage_error(ctx, msg);
            }
    }
    if (rc->experiment && !*rc->experiment) return usage_error(ctx, "--experiment needs a name");
    if (rc->alias && !rc->reg_name) return usage_error(ctx, "--alias needs --register MODEL");
    if (ll_trainrun_check(rc, NULL, &err)) return usage_error(ctx, err.msg);
    return -1;
}

static int exec_train(const ll_cmd_ctx *ctx, const ll_args *a)
{
    train_cfg c;
    int rc = parse_cfg(ctx, a, &c);
    if (rc >= 0) return rc;

    progress_state ps;
    memset(&ps, 0, sizeof ps);
    ps.ctx = ctx;
    ps.show = ctx->progress || ll_args_has(a, "progress");
    ps.start = now_s();
    ps.latest_printed = 1;
    ll_error err;
    ll_error_clear(&err);
    ll_trainrun_result r;
    if (ll_trainrun_run(&c.run, on_event, &ps, ctx->cancel, &r, &err)) {
        rc = fail(ctx, &err);
        if (r.aborted) {
            int killed = r.status == LL_RUN_KILLED;
            if (r.tag_failed)
                fprintf(ctx->err, "lendlab train: cannot record the error in run %s: %s\n",
                        r.run_id, r.tag_err.msg);
            if (r.end_failed)
                fprintf(ctx->err, "lendlab train: cannot record the end of run %s: %s\n", r.run_id,
                        r.end_err.msg);
            else
                fprintf(ctx->err, "lendlab train: run %s marked %s\n", r.run_id,
                        ll_run_status_str(r.status));
            if (killed) rc = LL_EXIT_CANCELLED;
        }
        ll_trainrun_result_free(&r);
        return rc;
    }
    if (c.json) {
        if (print_json(ctx, &c, &r)) {
            ll_error_set(&err, LL_ENOMEM, "out of memory");
            ll_trainrun_result_free(&r);
            return fail(ctx, &err);
        }
    } else {
        print_text(ctx, &c, &r);
    }
    rc = LL_EXIT_OK;
    if (r.reg_failed) {
        fprintf(ctx->err, "lendlab train: run %s finished, but registering it as '%s' failed: %s\n",
                r.run_id, c.run.reg_name, r.reg_err.msg);
        rc = LL_EXIT_ERROR;
    }
    ll_trainrun_result_free(&r);
    return rc;
}

const ll_cmd_entry ll_cmd_train = {
    "train",
    "DATA",
    "fit a logreg, forest or gbdt model on a CSV file, evaluate it and track the run",
    "DATA is split into training and test rows (stratified on the target, seeded by --seed)\n"
    "unless --test gives the test rows. With early_stopping_rounds set, 10 % of the training\n"
    "rows are held out to watch the validation loss. Results go to standard output (--json for\n"
    "a machine-readable object); progress lines go to standard error. Parameters use XGBoost's\n"
    "names for gbdt and scikit-learn's for forest and logreg; --list-params shows them with\n"
    "their defaults and ranges.\n"
    "Unless --no-track is given, the run is recorded in the tracking store (--store DIR before\n"
    "--batch, else $LENDLAB_STORE, else ./mlruns) in MLflow's layout: parameters (with the\n"
    "SHA-256 of the data and test rows), metrics per iteration and on the test rows, the model\n"
    "under artifacts/model and ROC, calibration, importance, confusion and metrics JSON files.\n"
    "The run ends FINISHED, FAILED (error in tag lendlab.error) or KILLED. --register MODEL\n"
    "then adds the model as a new registered version (--alias moves an alias to it).\n"
    "Interrupting the command marks the run KILLED and exits with status 130. See\n"
    "lendlab-train(1).",
    train_opts,
    sizeof train_opts / sizeof *train_opts,
    0,
    1,
    exec_train,
};
