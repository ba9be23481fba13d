/* Unit tests for pipeline: config parsing, step bookkeeping (ledger, next step), schedule text. */
#define _GNU_SOURCE
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "drift.h"
#include "pipeline.h"
#include "store.h"

static const char *const minimal =
    "{\"model_name\": \"credit-risk\", \"train\": {\"data\": \"lending_club.csv\", \"target\": "
    "\"Class\"}, \"batch\": \"batch_input.csv\"}";

static ll_pipeline_config *parse_ok(const char *json, const char *path)
{
    ll_pipeline_config *c = NULL;
    ll_error err;
    ll_error_clear(&err);
    ll_status s = ll_pipeline_config_parse(json, path, &c, &err);
    if (s) fprintf(stderr, "unexpected error: %s\n", err.msg);
    assert_int_equal(s, LL_OK);
    assert_non_null(c);
    return c;
}

/* Parse json expecting an error whose message contains want. */
static void parse_fails(const char *json, const char *want)
{
    ll_pipeline_config *c = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_not_equal(ll_pipeline_config_parse(json, "/srv/p/pipeline.json", &c, &err), LL_OK);
    assert_null(c);
    if (!strstr(err.msg, want)) fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, want);
    assert_non_null(strstr(err.msg, want));
}

static void test_config_defaults_and_paths(void **state)
{
    (void)state;
    ll_pipeline_config *c = parse_ok(minimal, "/srv/p/pipeline.json");
    assert_string_equal(c->path, "/srv/p/pipeline.json");
    assert_string_equal(c->dir, "/srv/p");
    assert_string_equal(c->experiment, "pipeline");
    assert_string_equal(c->model_name, "credit-risk");
    assert_string_equal(c->train_data, "/srv/p/lending_club.csv");
    assert_string_equal(c->target, "Class");
    assert_null(c->positive);
    assert_string_equal(c->model_kind, "gbdt");
    assert_int_equal(c->nparams, 0);
    assert_null(c->test_data);
    assert_true(c->test_fraction == 0.2);
    assert_int_equal(c->seed, 42);
    assert_int_equal(c->tune, 0);
    assert_null(c->policy);
    assert_string_equal(c->batch, "/srv/p/batch_input.csv");
    assert_null(c->retrain_data);
    assert_string_equal(c->output_dir, "/srv/p/pipeline-out");
    assert_true(c->drift_share == 0.5);
    assert_int_equal(c->stattest, LL_STATTEST_AUTO);
    assert_true(isnan(c->threshold));
    ll_pipeline_config_free(c);

    /* without a path, relative paths resolve against the current directory */
    char cwd[4096], want[4200];
    assert_non_null(getcwd(cwd, sizeof cwd));
    c = parse_ok(minimal, NULL);
    assert_null(c->path);
    snprintf(want, sizeof want, "%s/batch_input.csv", cwd);
    assert_string_equal(c->batch, want);
    ll_pipeline_config_free(c);
}

static void test_config_full(void **state)
{
    (void)state;
    const char *json =
        "{\"experiment\": \"nightly\", \"model_name\": \"credit-risk\",\n"
        " \"description\": \"the nightly job\",\n"
        " \"train\": {\"data\": \"./data/train.csv\", \"target\": \"Class\", \"positive\": "
        "\"bad\",\n"
        "           \"model\": \"forest\", \"params\": {\"n_trees\": 50, \"bootstrap\": true,\n"
        "           \"class_weight\": \"balanced\", \"max_features\": 0.25},\n"
        "           \"test\": \"/data/holdout.csv\", \"seed\": 7},\n"
        " \"tune\": {\"trials\": 12, \"cv\": 3, \"no-prune\": true, \"resume\": false,\n"
        "          \"set\": [\"threads=1\", \"max_bin=64\"]},\n"
        " \"policy\": \"policy.json\", \"batch\": \"/in/batch.csv\", \"retrain_data\": "
        "\"recent.csv\",\n"
        " \"output_dir\": \"/out\", \"drift\": {\"drift_share\": 0.25, \"stattest\": \"psi\", "
        "\"threshold\": 0.2}}";
    ll_pipeline_config *c = parse_ok(json, "/etc/lendlab/pipeline.json");
    assert_string_equal(c->experiment, "nightly");
    assert_string_equal(c->train_data, "/etc/lendlab/data/train.csv");
    assert_string_equal(c->positive, "bad");
    assert_string_equal(c->model_kind, "forest");
    assert_int_equal(c->nparams, 4);
    assert_string_equal(c->params[0].key, "n_trees");
    assert_string_equal(c->params[0].value, "50");
    assert_string_equal(c->params[1].value, "true");
    assert_string_equal(c->params[2].value, "balanced");
    assert_string_equal(c->params[3].key, "max_features");
    assert_string_equal(c->params[3].value, "0.25");
    assert_string_equal(c->test_data, "/data/holdout.csv");
    assert_int_equal(c->seed, 7);
    assert_int_equal(c->tune, 1);
    assert_int_equal(c->tune_trials, 12);
    /* false options are left out; arrays repeat the option; true is a flag */
    assert_int_equal(c->ntune_opts, 4);
    assert_string_equal(c->tune_opts[0].key, "cv");
    assert_string_equal(c->tune_opts[0].value, "3");
    assert_string_equal(c->tune_opts[1].key, "no-prune");
    assert_string_equal(c->tune_opts[1].value, "");
    assert_string_equal(c->tune_opts[2].key, "set");
    assert_string_equal(c->tune_opts[2].value, "threads=1");
    assert_string_equal(c->tune_opts[3].value, "max_bin=64");
    assert_string_equal(c->policy, "/etc/lendlab/policy.json");
    assert_string_equal(c->batch, "/in/batch.csv");
    assert_string_equal(c->retrain_data, "/etc/lendlab/recent.csv");
    assert_string_equal(c->output_dir, "/out");
    assert_true(c->drift_share == 0.25);
    assert_int_equal(c->stattest, LL_STATTEST_PSI);
    assert_true(c->threshold == 0.2);
    ll_pipeline_config_free(c);

    /* the example shipped in data/ parses */
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_pipeline_config_load("../data/pipeline.json", &c, &err), LL_OK);
    assert_non_null(strstr(c->train_data, "/data/lending_club.csv"));
    assert_non_null(strstr(c->policy, "/data/policy.json"));
    assert_non_null(strstr(c->batch, "/data/batch_input.csv"));
    assert_int_equal(c->nparams, 3);
    ll_pipeline_config_free(c);
}

static void test_config_errors(void **state)
{
    (void)state;
    parse_fails("{\"model_name\": \"m\",\n \"train\": {\"data\": \"x\", \"target\": \"y\",},\n}",
                "invalid JSON");
    parse_fails("[1, 2]", "a pipeline config is a JSON object");
    parse_fails("{\"model_name\": \"m\", \"trian\": {}}", "unknown key trian");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\", "
                "\"parms\": {}}, \"batch\": \"b\"}",
                "unknown key train.parms");
    parse_fails("{\"train\": {\"data\": \"x\", \"target\": \"y\"}, \"batch\": \"b\"}",
                "model_name is required");
    parse_fails("{\"model_name\": \"a/b\", \"train\": {\"data\": \"x\", \"target\": \"y\"}, "
                "\"batch\": \"b\"}",
                "invalid registered model name");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"target\": \"y\"}, \"batch\": \"b\"}",
                "train.data is required");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\"}, \"batch\": \"b\"}",
                "train.target is required");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\"}}",
                "batch is required");
    parse_fails("{\"model_name\": \"m\", \"batch\": \"b\"}", "train is required");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\", "
                "\"model\": \"svm\"}, \"batch\": \"b\"}",
                "unknown model 'svm'");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\", "
                "\"params\": {\"max_depth\": 0}}, \"batch\": \"b\"}",
                "train.params: ");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\", "
                "\"params\": {\"etaa\": 0.1}}, \"batch\": \"b\"}",
                "etaa");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\", "
                "\"test\": \"t\", \"test_fraction\": 0.3}, \"batch\": \"b\"}",
                "exclude each other");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\", "
                "\"test_fraction\": 1}, \"batch\": \"b\"}",
                "train.test_fraction must be in (0, 1)");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\", "
                "\"seed\": 1.5}, \"batch\": \"b\"}",
                "train.seed must be an integer");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\"}, "
                "\"batch\": 5}",
                "batch must be a string");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\"}, "
                "\"batch\": \"b\", \"tune\": {\"cv\": 3}}",
                "tune.trials is required");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\"}, "
                "\"batch\": \"b\", \"tune\": {\"trials\": 0}}",
                "tune.trials must be an integer");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\"}, "
                "\"batch\": \"b\", \"drift\": {\"drift_share\": 2}}",
                "drift.drift_share must be in (0, 1]");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\"}, "
                "\"batch\": \"b\", \"drift\": {\"stattest\": \"t-test\"}}",
                "unknown test 't-test'");
    parse_fails("{\"model_name\": \"m\", \"train\": {\"data\": \"x\", \"target\": \"y\"}, "
                "\"batch\": \"b\", \"drift\": {\"share\": 0.3}}",
                "unknown key drift.share");

    /* a syntax error is reported at its line and column, naming the file */
    ll_pipeline_config *c = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(
        ll_pipeline_config_parse("{\n  \"model_name\": \"m\",\n  oops\n}", "/p/c.json", &c, &err),
        LL_EPARSE);
    assert_string_equal(err.file, "/p/c.json");
    assert_int_equal(err.line, 3);
    assert_in_range(err.column, 3, 4); /* cJSON reports the offending token or just past it */
    /* a missing file names itself */
    assert_int_equal(ll_pipeline_config_load("/nonexistent/pipeline.json", &c, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/pipeline.json"));
}

static void test_step_names_and_dates(void **state)
{
    (void)state;
    for (int i = 0; i < LL_PIPE_STEP_COUNT; i++)
        assert_int_equal(ll_pipeline_step_parse(ll_pipeline_step_name((ll_pipeline_step)i)), i);
    assert_string_equal(ll_pipeline_step_name(LL_PIPE_RETRAIN_PROMOTE), "retrain-promote");
    assert_int_equal(ll_pipeline_step_parse("retrain_monitor"), LL_PIPE_RETRAIN_MONITOR);
    assert_int_equal(ll_pipeline_step_parse("deploy"), -1);
    assert_true(ll_pipeline_valid_date("2025-01-31"));
    assert_true(ll_pipeline_valid_date("2024-02-29"));
    assert_false(ll_pipeline_valid_date("2025-02-29"));
    assert_false(ll_pipeline_valid_date("1900-02-29"));
    assert_true(ll_pipeline_valid_date("2000-02-29"));
    assert_false(ll_pipeline_valid_date("2025-13-01"));
    assert_false(ll_pipeline_valid_date("2025-1-01"));
    assert_false(ll_pipeline_valid_date("20250101"));
    assert_false(ll_pipeline_valid_date("2025-01-32"));
    assert_false(ll_pipeline_valid_date(NULL));
}

static void record(ll_pipeline_ledger *l, ll_pipeline_step s, const char *k1, const char *v1,
                   const char *k2, const char *v2)
{
    ll_kv kv[2] = {{(char *)k1, (char *)v1}, {(char *)k2, (char *)v2}};
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_pipeline_ledger_record(l, s, "0123456789abcdef0123456789abcdef", kv,
                                               k2   ? 2
                                               : k1 ? 1
                                                    : 0,
                                               &err),
                     LL_OK);
}

static void record_monitor(ll_pipeline_ledger *l, ll_pipeline_step s, int drift)
{
    ll_kv kv[] = {{"dataset_drift", drift ? "true" : "false"},
                  {"number_of_drifted_columns", drift ? "4" : "0"},
                  {"number_of_columns", "22"},
                  {"share_of_drifted_columns", drift ? "0.18181818181818182" : "0"},
                  {"drift_share", "0.1"},
                  {"drifted_columns", drift ? "int_rate, term" : ""}};
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_pipeline_ledger_record(l, s, "r", kv, 6, &err), LL_OK);
}

static ll_pipeline_state next(const ll_pipeline_ledger *l, int retrain_data, ll_pipeline_step *s,
                              char *reason)
{
    return ll_pipeline_next(l, retrain_data, s, reason, 1024);
}

static void test_next_step(void **state)
{
    (void)state;
    ll_pipeline_ledger l;
    memset(&l, 0, sizeof l);
    ll_pipeline_step s;
    char reason[1024];
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_TRAIN);
    record(&l, LL_PIPE_TRAIN, "model_run_id", "abc", NULL, NULL);
    assert_string_equal(ll_pipeline_ledger_value(&l, LL_PIPE_TRAIN, "model_run_id"), "abc");
    assert_null(ll_pipeline_ledger_value(&l, LL_PIPE_TRAIN, "nope"));
    assert_null(ll_pipeline_ledger_value(&l, LL_PIPE_REGISTER, "model_version"));
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_REGISTER);
    record(&l, LL_PIPE_REGISTER, "model_version", "3", NULL, NULL);
    /* a refused first promotion is still a done step: the pipeline goes on with production */
    record(&l, LL_PIPE_PROMOTE, "outcome", "refused", "production_version", "2");
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_PREDICT);
    record(&l, LL_PIPE_PREDICT, "rows", "1971", NULL, NULL);
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_MONITOR);

    /* no drift: done, whatever retrain_data says */
    record_monitor(&l, LL_PIPE_MONITOR, 0);
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_COMPLETED);
    assert_int_equal(s, LL_PIPE_STEP_COUNT);
    assert_string_equal(reason, "");
    assert_int_equal(next(&l, 0, &s, reason), LL_PIPE_COMPLETED);

    /* drift without retrain data stops with the reason */
    record_monitor(&l, LL_PIPE_MONITOR, 1);
    assert_int_equal(next(&l, 0, &s, reason), LL_PIPE_STOPPED);
    assert_string_equal(reason, "dataset drift (4 of 22 columns drifted (share 0.1818 >= 0.1): "
                                "int_rate, term) and no retrain_data is configured");
    /* with retrain data: the retrain steps, once */
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_RETRAIN);
    record(&l, LL_PIPE_RETRAIN, "model_run_id", "def", NULL, NULL);
    /* a retrain already done is finished even when the config no longer has retrain_data */
    assert_int_equal(next(&l, 0, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_RETRAIN_REGISTER);
    record(&l, LL_PIPE_RETRAIN_REGISTER, "model_version", "4", NULL, NULL);
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_RETRAIN_PROMOTE);

    /* the retrained version refused: stop, never a second retrain */
    record(&l, LL_PIPE_RETRAIN_PROMOTE, "outcome", "refused", "policy_failed", "auc >= 0.7: FAIL");
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_STOPPED);
    assert_int_equal(s, LL_PIPE_STEP_COUNT);
    assert_string_equal(reason,
                        "the retrained version 4 was refused by the policy: auc >= 0.7: FAIL");

    /* promoted: score again, check drift again */
    record(&l, LL_PIPE_RETRAIN_PROMOTE, "outcome", "promoted", "production_version", "4");
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_RETRAIN_PREDICT);
    record(&l, LL_PIPE_RETRAIN_PREDICT, "rows", "1971", NULL, NULL);
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_RETRAIN_MONITOR);
    record_monitor(&l, LL_PIPE_RETRAIN_MONITOR, 1);
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_STOPPED);
    assert_non_null(strstr(reason, "dataset drift persists after retraining: 4 of 22"));
    record_monitor(&l, LL_PIPE_RETRAIN_MONITOR, 0);
    assert_int_equal(next(&l, 1, &s, reason), LL_PIPE_COMPLETED);
    assert_string_equal(reason, "");
    ll_pipeline_ledger_clear(&l);
    assert_int_equal(next(&l, 1, &s, NULL), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_TRAIN);
}

/* ---- the ledger read back from a store ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

typedef struct {
    char dir[256];
    char store[300];
    ll_store *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/lendlab-pipeline-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->store, sizeof f->store, "%s/mlruns", f->dir);
    if (ll_store_open(f->store, 1, &f->st, NULL)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ll_store_close(f->st);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* A run in experiment "pipeline" with tags (key, value, ..., NULL), ended with status. Writes
 * its id (33 bytes). */
static void make_run(fixture *f, ll_run_status status, char *id, const char *const *tags)
{
    ll_run_handle *h;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_store_run_begin(f->st, "pipeline", NULL, NULL, &h, &err), LL_OK);
    snprintf(id, 33, "%s", ll_store_run_id(h));
    for (size_t i = 0; tags[i]; i += 2)
        assert_int_equal(ll_store_set_tag(h, tags[i], tags[i + 1], &err), LL_OK);
    assert_int_equal(ll_store_run_end(h, status, &err), LL_OK);
    usleep(3000); /* distinct start times order the runs */
}

#define TAGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_ledger_load(void **state)
{
    fixture *f = *state;
    ll_pipeline_ledger l;
    ll_error err;
    ll_error_clear(&err);
    /* no experiment yet: an empty ledger */
    assert_int_equal(ll_pipeline_ledger_load(f->st, "pipeline", "2025-01-01", &l, &err), LL_OK);
    assert_string_equal(l.parent_id, "");
    assert_int_equal(l.steps[LL_PIPE_TRAIN].done, 0);
    ll_pipeline_ledger_clear(&l);
    assert_int_equal(ll_pipeline_ledger_load(f->st, "pipeline", "2025-1-1", &l, &err), LL_EINVAL);

    char old[33], parent[33], other[33], id[33], train[33], reg_ok[33], promote_bad[33];
    /* an older parent of the same date and its step: superseded by the newer parent */
    make_run(f, LL_RUN_FAILED, old, TAGS("lendlab.pipeline_date", "2025-01-01"));
    make_run(f, LL_RUN_FINISHED, id,
             TAGS("mlflow.parentRunId", old, "lendlab.pipeline_step", "predict",
                  "lendlab.pipeline_date", "2025-01-01"));
    make_run(f, LL_RUN_FAILED, parent, TAGS("lendlab.pipeline_date", "2025-01-01"));
    make_run(f, LL_RUN_FINISHED, train,
             TAGS("mlflow.parentRunId", parent, "lendlab.pipeline_step", "train",
                  "lendlab.pipeline_date", "2025-01-01", "lendlab.model_run_id", "feed",
                  "lendlab.outcome", "trained"));
    make_run(f, LL_RUN_FAILED, id,
             TAGS("mlflow.parentRunId", parent, "lendlab.pipeline_step", "register",
                  "lendlab.pipeline_date", "2025-01-01", "lendlab.error", "registry locked"));
    make_run(f, LL_RUN_FINISHED, reg_ok,
             TAGS("mlflow.parentRunId", parent, "lendlab.pipeline_step", "register",
                  "lendlab.pipeline_date", "2025-01-01", "lendlab.model_version", "7"));
    make_run(f, LL_RUN_FAILED, promote_bad,
             TAGS("mlflow.parentRunId", parent, "lendlab.pipeline_step", "promote",
                  "lendlab.pipeline_date", "2025-01-01", "lendlab.error",
                  "policy.json: no such file"));
    /* another date, and a plain run */
    make_run(f, LL_RUN_FINISHED, other, TAGS("lendlab.pipeline_date", "2025-01-02"));
    make_run(f, LL_RUN_FINISHED, id,
             TAGS("mlflow.parentRunId", other, "lendlab.pipeline_step", "promote",
                  "lendlab.pipeline_date", "2025-01-02"));
    make_run(f, LL_RUN_FINISHED, id, TAGS(NULL));

    assert_int_equal(ll_pipeline_ledger_load(f->st, "pipeline", "2025-01-01", &l, &err), LL_OK);
    assert_string_equal(l.date, "2025-01-01");
    assert_string_equal(l.parent_id, parent);
    assert_int_equal(l.parent_status, LL_RUN_FAILED);
    assert_int_equal(l.parent_running, 0);
    assert_int_equal(l.steps[LL_PIPE_TRAIN].done, 1);
    assert_string_equal(l.steps[LL_PIPE_TRAIN].run_id, train);
    assert_string_equal(ll_pipeline_ledger_value(&l, LL_PIPE_TRAIN, "model_run_id"), "feed");
    assert_string_equal(ll_pipeline_ledger_value(&l, LL_PIPE_TRAIN, "outcome"), "trained");
    /* bookkeeping tags are not step values */
    assert_null(ll_pipeline_ledger_value(&l, LL_PIPE_TRAIN, "pipeline_date"));
    assert_null(ll_pipeline_ledger_value(&l, LL_PIPE_TRAIN, "pid"));
    assert_int_equal(l.steps[LL_PIPE_REGISTER].done, 1);
    assert_string_equal(l.steps[LL_PIPE_REGISTER].run_id, reg_ok);
    assert_int_equal(l.steps[LL_PIPE_REGISTER].failures, 1);
    assert_string_equal(ll_pipeline_ledger_value(&l, LL_PIPE_REGISTER, "model_version"), "7");
    assert_int_equal(l.steps[LL_PIPE_PROMOTE].done, 0);
    assert_int_equal(l.steps[LL_PIPE_PROMOTE].failures, 1);
    assert_string_equal(l.steps[LL_PIPE_PROMOTE].error, "policy.json: no such file");
    /* the older parent's predict step does not count */
    assert_int_equal(l.steps[LL_PIPE_PREDICT].done, 0);
    ll_pipeline_step s;
    assert_int_equal(ll_pipeline_next(&l, 0, &s, NULL, 0), LL_PIPE_PENDING);
    assert_int_equal(s, LL_PIPE_PROMOTE);
    ll_pipeline_ledger_clear(&l);

    assert_int_equal(ll_pipeline_ledger_load(f->st, "pipeline", "2025-01-02", &l, &err), LL_OK);
    assert_string_equal(l.parent_id, other);
    assert_int_equal(l.parent_status, LL_RUN_FINISHED);
    assert_int_equal(l.steps[LL_PIPE_PROMOTE].done, 1);
    assert_int_equal(l.steps[LL_PIPE_TRAIN].done, 0);
    ll_pipeline_ledger_clear(&l);

    /* a deleted parent is not resumed */
    assert_int_equal(ll_store_delete_run(f->st, other, &err), LL_OK);
    assert_int_equal(ll_pipeline_ledger_load(f->st, "pipeline", "2025-01-02", &l, &err), LL_OK);
    assert_string_equal(l.parent_id, "");
    ll_pipeline_ledger_clear(&l);
}

static void test_schedule_text(void **state)
{
    (void)state;
    ll_pipeline_config *c = parse_ok(minimal, "/srv/p/pipeline.json");
    char *text = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_pipeline_schedule_text(c, "/usr/bin/lendlab", "/var/lib/mlruns",
                                               LL_PIPE_DAILY, 3, 15, &text, &err),
                     LL_OK);
    assert_non_null(strstr(text, "\n15 3 * * * /usr/bin/lendlab --store /var/lib/mlruns --batch "
                                 "pipeline run --config /srv/p/pipeline.json --date "
                                 "\"$(date +\\%F)\"\n"));
    assert_non_null(strstr(text, "ExecStart=/bin/sh -c 'exec /usr/bin/lendlab --store "
                                 "/var/lib/mlruns --batch pipeline run --config "
                                 "/srv/p/pipeline.json --date \"$$(date +%%F)\"'\n"));
    assert_non_null(strstr(text, "[Timer]\nOnCalendar=*-*-* 03:15:00\nPersistent=true\n"
                                 "Unit=lendlab-pipeline-credit-risk.service\n"));
    assert_non_null(strstr(text, "[Install]\nWantedBy=timers.target\n"));
    free(text);
    assert_int_equal(ll_pipeline_schedule_text(c, "/usr/bin/lendlab", "/var/lib/my runs/100%",
                                               LL_PIPE_HOURLY, 0, 20, &text, &err),
                     LL_OK);
    /* cron's % is escaped, systemd's doubled; a path with a space is quoted */
    assert_non_null(
        strstr(text, "\n20 * * * * /usr/bin/lendlab --store '/var/lib/my runs/100\\%'"));
    assert_non_null(strstr(text, "--store \"/var/lib/my runs/100%%\""));
    assert_non_null(strstr(text, "OnCalendar=*-*-* *:20:00\n"));
    free(text);
    assert_int_equal(ll_pipeline_schedule_text(c, "/usr/bin/lendlab", "/var/$HOME", LL_PIPE_DAILY,
                                               1, 0, &text, &err),
                     LL_EINVAL);
    assert_null(text);
    assert_int_equal(
        ll_pipeline_schedule_text(c, "lendlab", "/s", LL_PIPE_DAILY, 1, 0, &text, &err), LL_EINVAL);
    assert_int_equal(ll_pipeline_schedule_text(c, "/l", "/s", LL_PIPE_DAILY, 24, 0, &text, &err),
                     LL_EINVAL);

    assert_int_equal(ll_pipeline_airflow_text(c, "/usr/bin/lendlab", "/var/lib/mlruns",
                                              LL_PIPE_DAILY, 2, 0, &text, &err),
                     LL_OK);
    assert_non_null(strstr(text, "dag_id=\"lendlab_pipeline_credit_risk\""));
    assert_non_null(strstr(text, "schedule=\"0 2 * * *\""));
    assert_non_null(strstr(text, "CONFIG = \"/srv/p/pipeline.json\"\n"));
    assert_non_null(strstr(text, "OUTPUT_DIR = \"/srv/p/pipeline-out\"\n"));
    assert_non_null(strstr(text, "train >> register >> promote >> predict >> monitor >> "
                                 "retrain_on_drift\n"));
    assert_non_null(strstr(text, "retrain_on_drift >> [retrain, no_drift]\n"));
    free(text);
    ll_pipeline_config_free(c);
    /* without a config file there is nothing to point a scheduler at */
    c = parse_ok(minimal, NULL);
    assert_int_equal(ll_pipeline_schedule_text(c, "/l", "/s", LL_PIPE_DAILY, 1, 0, &text, &err),
                     LL_EINVAL);
    ll_pipeline_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults_and_paths),
        cmocka_unit_test(test_config_full),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_step_names_and_dates),
        cmocka_unit_test(test_next_step),
        cmocka_unit_test_setup_teardown(test_ledger_load, setup, teardown),
        cmocka_unit_test(test_schedule_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
