/* cmd_pipeline: the `pipeline` command: run a date's pipeline, print a schedule, export a DAG. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "drift.h"
#include "fsutil.h"
#include "pipeline.h"

static const ll_optspec pipeline_opts[] = {
    {"config", 'c', LL_OPT_STRING, "FILE", "pipeline config (JSON; default pipeline.json)"},
    {"date", 'd', LL_OPT_STRING, "YYYY-MM-DD", "run: the pipeline's date (default today)"},
    {"step", 0, LL_OPT_STRING, "STEP", "run: stop once STEP is done (train, ..., retrain-monitor)"},
    {"json", 0, LL_OPT_FLAG, NULL, "run: print the summary as JSON"},
    {"at", 0, LL_OPT_STRING, "HH:MM", "schedule, export: time of day (default 02:00)"},
    {"daily", 0, LL_OPT_FLAG, NULL, "schedule, export: run once a day (the default)"},
    {"hourly", 0, LL_OPT_FLAG, NULL, "schedule, export: run every hour at the minute of --at"},
    {"airflow", 0, LL_OPT_STRING, "FILE", "export: write an Airflow DAG (Python) to FILE"},
};

static int usage_error(const ll_cmd_ctx *ctx, const char *msg)
{
    fprintf(ctx->err, "lendlab pipeline: %s\nTry 'lendlab --batch pipeline --help'.\n", msg);
    return LL_EXIT_USAGE;
}

static int fail(const ll_cmd_ctx *ctx, const ll_error *err)
{
    char buf[2048];
    fprintf(ctx->err, "lendlab pipeline: %s\n", ll_error_format(err, buf, sizeof buf));
    return err->code == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
}

static void on_progress(const char *line, void *ud)
{
    const ll_cmd_ctx *ctx = ud;
    fprintf(ctx->err, "%s\n", line);
    fflush(ctx->err);
}

/* Options that belong to other actions are usage errors, not silently ignored. */
static int check_opts(const ll_cmd_ctx *ctx, const ll_args *a, const char *action,
                      const char *const *allowed, size_t n)
{
    for (size_t i = 0; i < a->nspec; i++) {
        if (!a->nvalues[i]) continue;
        const char *name = a->spec[i].name;
        int ok = !strcmp(name, "config");
        for (size_t k = 0; k < n && !ok; k++) ok = !strcmp(name, allowed[k]);
        if (!ok) {
            char msg[160];
            snprintf(msg, sizeof msg, "--%s does not apply to 'pipeline %s'", name, action);
            return usage_error(ctx, msg);
        }
    }
    return -1;
}

static void print_text(FILE *f, const ll_pipeline_summary *s)
{
    fprintf(f, "pipeline %s  experiment '%s'", s->date, s->experiment);
    if (s->parent_id[0]) fprintf(f, "  run %s", s->parent_id);
    fprintf(f, "\n%-14s %s%s%s\n", "status", s->status[0] ? s->status : "-",
            s->outcome[0] ? ", " : "", s->outcome);
    if (s->already_done) fprintf(f, "%-14s nothing left to run for this date\n", "");
    if (s->stop_reason[0]) fprintf(f, "%-14s %s\n", "stopped", s->stop_reason);
    fputc('\n', f);
    for (size_t i = 0; i < s->nsteps; i++) {
        const ll_pipeline_step_result *r = &s->steps[i];
        fprintf(f, "  %-17s %-9s %-8.8s %s%s%s\n", ll_pipeline_step_name(r->step), r->status,
                r->run_id[0] ? r->run_id : "-", r->reused ? "(earlier) " : "", r->detail,
                r->outcome[0] && !r->detail[0] ? r->outcome : "");
    }
    fputc('\n', f);
    fprintf(f, "%-14s %s", "model", s->model_name);
    if (s->candidate_version) fprintf(f, ", candidate version %ld", s->candidate_version);
    if (s->retrained_version) fprintf(f, ", retrained version %ld", s->retrained_version);
    if (s->promoted_version)
        fprintf(f, ", promoted version %ld", s->promoted_version);
    else if (s->candidate_version)
        fprintf(f, ", nothing promoted");
    if (s->production_version) fprintf(f, ", production version %ld", s->production_version);
    fputc('\n', f);
    if (s->dataset_drift >= 0) {
        char b[48];
        fprintf(f, "%-14s %s (share of drifted columns %s)", "drift",
                s->dataset_drift ? "dataset drift" : "no dataset drift",
                ll_drift_fmt(s->drift_share_observed, b, sizeof b));
        if (s->drift_after_retrain >= 0)
            fprintf(f, "; after retraining: %s",
                    s->drift_after_retrain ? "dataset drift" : "no dataset drift");
        fputc('\n', f);
    }
    fprintf(f, "%-14s %s%s%s\n", "retrained", s->retrained ? "yes" : "no",
            s->retrain_reason[0] ? ": " : "", s->retrain_reason);
    if (s->predictions[0])
        fprintf(f, "%-14s %s (%ld rows)\n", "predictions", s->predictions, s->rows);
    if (s->marker[0]) fprintf(f, "%-14s %s\n", "marker", s->marker);
    if (s->drift_json[0]) fprintf(f, "%-14s %s\n", "drift report", s->drift_json);
    if (s->drift_html[0]) fprintf(f, "%-14s %s\n", "", s->drift_html);
}

static int exec_run(const ll_cmd_ctx *ctx, const ll_args *a, const ll_pipeline_config *c)
{
    static const char *const allowed[] = {"date", "step", "json"};
    int rc = check_opts(ctx, a, "run", allowed, sizeof allowed / sizeof *allowed);
    if (rc >= 0) return rc;
    char today[16];
    const char *date = ll_args_str(a, "date");
    if (!date) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(today, sizeof today, "%Y-%m-%d", &tm);
        date = today;
    }
    if (!ll_pipeline_valid_date(date)) {
        char msg[128];
        snprintf(msg, sizeof msg, "invalid --date '%.40s' (YYYY-MM-DD)", date);
        return usage_error(ctx, msg);
    }
    int until = -1;
    const char *step = ll_args_str(a, "step");
    if (step && (until = ll_pipeline_step_parse(step)) < 0) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "unknown --step '%.40s' (train, register, promote, predict, monitor, retrain, "
                 "retrain-register, retrain-promote, retrain-predict, retrain-monitor)",
                 step);
        return usage_error(ctx, msg);
    }
    ll_pipeline_options o;
    memset(&o, 0, sizeof o);
    o.store = ctx->store ? ctx->store : "mlruns";
    o.date = date;
    o.until = until;
    o.cancel = ctx->cancel;
    o.progress = on_progress;
    o.progress_ud = (void *)ctx;
    ll_pipeline_summary *sum = calloc(1, sizeof *sum);
    if (!sum) {
        fprintf(ctx->err, "lendlab pipeline: out of memory\n");
        return LL_EXIT_ERROR;
    }
    ll_error err;
    ll_error_clear(&err);
    if (ll_pipeline_run(c, &o, sum, &err)) {
        rc = fail(ctx, &err);
        free(sum);
        return rc;
    }
    if (ll_args_has(a, "json")) {
        cJSON *j = ll_pipeline_summary_json(sum);
        char *text = j ? cJSON_Print(j) : NULL;
        cJSON_Delete(j);
        if (!text) {
            free(sum);
            fprintf(ctx->err, "lendlab pipeline: out of memory\n");
            return LL_EXIT_ERROR;
        }
        fprintf(ctx->out, "%s\n", text);
        free(text);
    } else {
        print_text(ctx->out, sum);
    }
    if (sum->failed_step[0]) {
        char buf[2048];
        if (sum->error.code == LL_ECANCELLED)
            fprintf(ctx->err, "lendlab pipeline: step '%s' was cancelled\n", sum->failed_step);
        else
            fprintf(ctx->err, "lendlab pipeline: step '%s' failed: %s\n", sum->failed_step,
                    ll_error_format(&sum->error, buf, sizeof buf));
        rc = sum->error.code == LL_ECANCELLED ? LL_EXIT_CANCELLED
             : sum->error.code == LL_EPOLICY  ? LL_EXIT_POLICY
                                              : LL_EXIT_ERROR;
    } else if (!strcmp(sum->outcome, "stopped")) {
        fprintf(ctx->err, "lendlab pipeline: stopped: %s\n", sum->stop_reason);
        rc = LL_EXIT_DRIFT;
    } else {
        rc = LL_EXIT_OK;
    }
    free(sum);
    return rc;
}

/* The schedule's time and period from --at, --daily and --hourly. */
static int parse_when(const ll_cmd_ctx *ctx, const ll_args *a, ll_pipeline_period *period,
                      int *hour, int *minute)
{
    if (ll_args_has(a, "daily") && ll_args_has(a, "hourly"))
        return usage_error(ctx, "--daily and --hourly exclude each other");
    *period = ll_args_has(a, "hourly") ? LL_PIPE_HOURLY : LL_PIPE_DAILY;
    *hour = 2;
    *minute = 0;
    const char *at = ll_args_str(a, "at");
    if (at) {
        int h = -1, m = -1, n = 0;
        if (sscanf(at, "%2d:%2d%n", &h, &m, &n) != 2 || at[n] || strlen(at) != 5 || h < 0 ||
            h > 23 || m < 0 || m > 59) {
            char msg[128];
            snprintf(msg, sizeof msg, "invalid --at '%.20s' (HH:MM, 00:00 to 23:59)", at);
            return usage_error(ctx, msg);
        }
        *hour = h;
        *minute = m;
    }
    return -1;
}

/* Absolute form of path without resolving symlinks of a file that may not exist yet. */
static void absolute(const char *path, char *out, size_t len)
{
    char *rp = realpath(path, NULL);
    if (rp) {
        snprintf(out, len, "%s", rp);
        free(rp);
        return;
    }
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd) ||
        snprintf(out, len, "%s/%s", cwd, path) >= (int)len)
        snprintf(out, len, "%s", path);
}

/* The running lendlab binary, so a scheduler calls this very build. */
static void self_exe(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n > 0) {
        out[n] = '\0';
        return;
    }
    snprintf(out, len, "/usr/local/bin/lendlab");
}

static int exec_text(const ll_cmd_ctx *ctx, const ll_args *a, const ll_pipeline_config *c,
                     int airflow)
{
    static const char *const sched_allowed[] = {"at", "daily", "hourly"};
    static const char *const export_allowed[] = {"at", "daily", "hourly", "airflow"};
    int rc = airflow ? check_opts(ctx, a, "export", export_allowed, 4)
                     : check_opts(ctx, a, "schedule", sched_allowed, 3);
    if (rc >= 0) return rc;
    const char *dest = ll_args_str(a, "airflow");
    if (airflow && !dest) return usage_error(ctx, "'pipeline export' needs --airflow FILE");
    ll_pipeline_period period;
    int hour, minute;
    if ((rc = parse_when(ctx, a, &period, &hour, &minute)) >= 0) return rc;
    char exe[PATH_MAX], store[PATH_MAX];
    self_exe(exe, sizeof exe);
    absolute(ctx->store ? ctx->store : "mlruns", store, sizeof store);
    char *text = NULL;
    ll_error err;
    ll_error_clear(&err);
    ll_status s = airflow
                      ? ll_pipeline_airflow_text(c, exe, store, period, hour, minute, &text, &err)
                      : ll_pipeline_schedule_text(c, exe, store, period, hour, minute, &text, &err);
    if (s) return fail(ctx, &err);
    if (!airflow) {
        fputs(text, ctx->out);
    } else if ((s = ll_fsutil_write_atomic(dest, text, strlen(text), NULL, &err))) {
        rc = fail(ctx, &err);
    } else {
        fprintf(ctx->out, "wrote %s: Airflow DAG with one task per step\n", dest);
    }
    free(text);
    return s ? rc : LL_EXIT_OK;
}

static int exec_pipeline(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *action = a->pos[0];
    int which = !strcmp(action, "run")        ? 0
                : !strcmp(action, "schedule") ? 1
                : !strcmp(action, "export")   ? 2
                                              : -1;
    if (which < 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "unknown action '%.40s' (run, schedule or export)", action);
        return usage_error(ctx, msg);
    }
    const char *path = ll_args_str(a, "config");
    if (!path) path = "pipeline.json";
    ll_pipeline_config *c = NULL;
    ll_error err;
    ll_error_clear(&err);
    if (ll_pipeline_config_load(path, &c, &err)) return fail(ctx, &err);
    int rc = which == 0 ? exec_run(ctx, a, c) : exec_text(ctx, a, c, which == 2);
    ll_pipeline_config_free(c);
    return rc;
}

const ll_cmd_entry ll_cmd_pipeline = {
    "pipeline",
    "run|schedule|export",
    "run the train-register-promote-predict-monitor pipeline of a date, schedule it, export a DAG",
    "run: train on the config's data (tuned first with a \"tune\" object), register the model\n"
    "as a version with alias staging, promote it to production when the policy passes, score\n"
    "the batch with the production model, check the batch for drift against the training\n"
    "data's profile, and on dataset drift retrain once on the training plus retrain_data rows.\n"
    "The pipeline is a parent run (pipeline-DATE) in the tracking store with one child run per\n"
    "step; running a date again repeats nothing that finished and resumes at a failed step.\n"
    "Progress lines go to standard error.\n"
    "schedule: print a crontab line and systemd service and timer units running the pipeline.\n"
    "export: write an Airflow DAG with one task per step. See lendlab-pipeline(1).\n"
    "Exit status of run: 3 when dataset drift was left unresolved, 4 when the first model\n"
    "was refused by the policy and nothing is in production.",
    pipeline_opts,
    sizeof pipeline_opts / sizeof *pipeline_opts,
    1,
    1,
    exec_pipeline,
};
