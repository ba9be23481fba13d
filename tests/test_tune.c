/* Unit tests for tune: search spaces (parse, checks, JSON round trip) and small studies. */
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

#include "csv.h"
#include "fsutil.h"
#include "store.h"
#include "tune.h"

static ll_status parse(ll_model_kind kind, const char *json, ll_tune_space *s, ll_error *err)
{
    ll_error_clear(err);
    return ll_tune_space_parse(kind, json, strlen(json), "space.json", s, err);
}

static void test_default_spaces(void **state)
{
    (void)state;
    ll_tune_space s;
    ll_tune_space_default(LL_MODEL_GBDT, &s);
    const char *names[] = {"max_depth",        "eta",   "n_estimators", "subsample",
                           "colsample_bytree", "gamma", "alpha",        "lambda"};
    assert_int_equal(s.ndim, 8);
    for (int d = 0; d < 8; d++) assert_string_equal(ll_tune_space_name(&s, d), names[d]);
    assert_int_equal(s.dist[0].kind, LL_TPE_INT);
    assert_true(s.dist[0].low == 3 && s.dist[0].high == 10 && s.dist[0].step == 1);
    assert_true(s.dist[1].log && s.dist[1].low == 0.01 && s.dist[1].high == 0.3);
    assert_true(s.dist[2].low == 100 && s.dist[2].high == 500);
    ll_tune_space_default(LL_MODEL_LOGREG, &s);
    assert_int_equal(s.ndim, 1);
    assert_string_equal(ll_tune_space_name(&s, 0), "C");
    assert_true(s.dist[0].log && s.dist[0].low == 1e-3 && s.dist[0].high == 1e2);
    ll_tune_space_default(LL_MODEL_FOREST, &s);
    assert_int_equal(s.ndim, 4);
    assert_string_equal(ll_tune_space_name(&s, 0), "n_trees");
}

static void test_parse_and_round_trip(void **state)
{
    (void)state;
    ll_tune_space s, back;
    ll_error err;
    assert_int_equal(
        parse(LL_MODEL_FOREST,
              "{\"max_features\": {\"low\": 0.2, \"high\": 0.8, \"step\": 0.2},"
              " \"n_trees\": {\"type\": \"int\", \"low\": 10, \"high\": 50, \"step\": 10},"
              " \"class_weight\": {\"choices\": [\"balanced\", \"none\"]},"
              " \"bootstrap\": {\"type\": \"categorical\", \"choices\": [false, true]},"
              " \"min_samples_leaf\": {\"type\": \"int\", \"low\": 1, \"high\": 64,"
              " \"log\": true}}",
              &s, &err),
        LL_OK);
    assert_int_equal(s.ndim, 5);
    assert_int_equal(s.dist[0].kind, LL_TPE_FLOAT); /* inferred from the parameter */
    assert_true(s.dist[0].step == 0.2);
    assert_int_equal(s.dist[2].kind, LL_TPE_CATEGORICAL);
    assert_int_equal(s.dist[2].nchoices, 2);
    assert_true(s.choice[2][0] == 1 && s.choice[2][1] == 0); /* balanced, none */
    assert_true(s.choice[3][0] == 0 && s.choice[3][1] == 1);
    assert_true(s.dist[4].log && s.dist[4].kind == LL_TPE_INT);
    /* JSON out and back in gives the same space */
    cJSON *j = ll_tune_space_to_json(&s);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    assert_int_equal(parse(LL_MODEL_FOREST, text, &back, &err), LL_OK);
    free(text);
    assert_true(ll_tune_space_equal(&s, &back));
    back.dist[4].high = 63;
    assert_false(ll_tune_space_equal(&s, &back));
    /* values as text and back, and applied to parameters */
    double x[5] = {0.6000000000000001, 30, 0, 1, 17}, y;
    char buf[64];
    assert_string_equal(ll_tune_value_text(&s, 2, x[2], buf, sizeof buf), "balanced");
    assert_string_equal(ll_tune_value_text(&s, 3, x[3], buf, sizeof buf), "true");
    assert_string_equal(ll_tune_value_text(&s, 1, x[1], buf, sizeof buf), "30");
    assert_true(ll_tune_value_parse(&s, 2, "balanced", &y) && y == 0);
    assert_true(ll_tune_value_parse(&s, 0, "0.6000000000000001", &y) && y == x[0]);
    assert_false(ll_tune_value_parse(&s, 1, "30.5", &y));
    assert_false(ll_tune_value_parse(&s, 1, "60", &y)); /* outside the space */
    assert_false(ll_tune_value_parse(&s, 2, "heavy", &y));
    ll_model_params p;
    ll_model_params_default(LL_MODEL_FOREST, &p);
    ll_tune_space_apply(&s, x, &p);
    assert_true(ll_model_params_get(&p, "n_trees") == 30);
    assert_true(ll_model_params_get(&p, "class_weight") == 1);
    assert_true(ll_model_params_get(&p, "bootstrap") == 1);
    assert_true(ll_model_params_get(&p, "min_samples_leaf") == 17);
    assert_true(ll_model_params_is_set(&p, "max_features"));
    assert_false(ll_model_params_is_set(&p, "threads"));
}

static void expect_error(ll_model_kind kind, const char *json, ll_status code, const char *msg)
{
    ll_tune_space s;
    ll_error err;
    assert_int_equal(parse(kind, json, &s, &err), code);
    if (!strstr(err.msg, msg)) {
        print_error("message '%s' lacks '%s'\n", err.msg, msg);
        fail();
    }
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error(LL_MODEL_GBDT, "[1]", LL_EINVAL, "space.json: the search space must be");
    expect_error(LL_MODEL_GBDT, "{\"C\": {\"low\": 1, \"high\": 2}}", LL_EINVAL,
                 "unknown parameter 'C' for gbdt (tunable: n_estimators, eta, max_depth,");
    expect_error(LL_MODEL_LOGREG, "{\"C\": {\"low\": 0, \"high\": 2}}", LL_EINVAL,
                 "'C': low 0 is out of range (number in (0, 1000000000])");
    expect_error(LL_MODEL_GBDT, "{\"seed\": {\"low\": 1, \"high\": 2}}", LL_EINVAL,
                 "'seed' cannot be tuned");
    expect_error(LL_MODEL_GBDT, "{\"max_bin\": {\"low\": 16, \"high\": 64}}", LL_EINVAL,
                 "'max_bin' cannot be tuned: the bins are fitted once per fold");
    expect_error(LL_MODEL_GBDT,
                 "{\"eta\": {\"low\": 0.1, \"high\": 0.2}, \"eta\": {\"low\": 0.1, \"high\": 0.2}}",
                 LL_EINVAL, "'eta' appears twice");
    expect_error(LL_MODEL_GBDT, "{\"eta\": {\"type\": \"real\", \"low\": 0.1, \"high\": 0.2}}",
                 LL_EINVAL, "unknown type 'real'");
    expect_error(LL_MODEL_GBDT, "{\"max_depth\": {\"type\": \"int\", \"low\": 2.5, \"high\": 4}}",
                 LL_EINVAL, "an int range needs integer bounds");
    expect_error(LL_MODEL_GBDT,
                 "{\"max_depth\": {\"type\": \"int\", \"low\": 2, \"high\": 9, \"step\": 2}}",
                 LL_EINVAL, "high - low must be a multiple of step");
    expect_error(LL_MODEL_GBDT,
                 "{\"eta\": {\"low\": 0.1, \"high\": 0.2, \"step\": 0.05, \"log\": true}}",
                 LL_EINVAL, "\"step\" cannot be combined with \"log\"");
    expect_error(LL_MODEL_FOREST, "{\"class_weight\": {\"choices\": [\"heavy\"]}}", LL_EINVAL,
                 "'class_weight': bad choice");
    expect_error(LL_MODEL_FOREST, "{\"bootstrap\": {\"type\": \"int\", \"low\": 0, \"high\": 1}}",
                 LL_EINVAL, "'bootstrap' takes one of true|false");
    expect_error(LL_MODEL_FOREST, "{\"bootstrap\": {\"low\": 0, \"high\": 1}}", LL_EINVAL,
                 "'bootstrap': a categorical parameter takes \"choices\"");
    expect_error(LL_MODEL_GBDT, "{\"eta\": 0.1}", LL_EINVAL, "'eta': expected an object");
    ll_tune_space s;
    ll_error err;
    assert_int_equal(parse(LL_MODEL_GBDT, "{\n  \"eta\": {\"low\": 0.1,, \"high\": 1}}", &s, &err),
                     LL_EPARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 23);
    assert_string_equal(err.file, "space.json");
}

/* A small study on the training fixture: shapes of the result and reproducibility. */
static ll_table *train_table(void)
{
    static ll_table *t;
    if (!t) {
        ll_error err;
        ll_csv_options o = {0};
        assert_int_equal(ll_csv_read_table("fixtures/lending_club_train.csv", &o, &t, NULL, &err),
                         LL_OK);
    }
    return t;
}

static void small_options(ll_tune_options *o, int jobs)
{
    ll_tune_options_default(LL_MODEL_GBDT, o);
    ll_error err;
    const char *sp = "{\"max_depth\": {\"type\": \"int\", \"low\": 2, \"high\": 4},"
                     " \"n_estimators\": {\"type\": \"int\", \"low\": 5, \"high\": 15},"
                     " \"eta\": {\"low\": 0.05, \"high\": 0.5, \"log\": true}}";
    assert_int_equal(ll_tune_space_parse(LL_MODEL_GBDT, sp, strlen(sp), NULL, &o->space, &err),
                     LL_OK);
    o->target = "Class";
    o->positive = "bad";
    o->trials = 14;
    o->cv = 3;
    o->jobs = jobs;
    o->seed = 3;
    ll_model_params_set(&o->base, "threads", "1", NULL);
}

typedef struct {
    int start, trials, refit;
} counts;

static void count_events(const ll_tune_event *ev, void *ud)
{
    counts *c = ud;
    c->start += ev->kind == LL_TUNE_EV_START;
    c->trials += ev->kind == LL_TUNE_EV_TRIAL;
    c->refit += ev->kind == LL_TUNE_EV_REFIT;
    assert_true(ev->total == 14 && ev->folds == 3);
}

static void test_small_study(void **state)
{
    (void)state;
    ll_tune_options o;
    small_options(&o, 1);
    counts c = {0, 0, 0};
    o.progress = count_events;
    o.progress_ud = &c;
    ll_tune_result r, r2;
    ll_error err;
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &r, &err), LL_OK);
    assert_true(c.start == 1 && c.trials == 14 && c.refit == 1);
    assert_int_equal(r.ntrials, 14);
    assert_int_equal(r.ncomplete + r.npruned + r.nfail, 14);
    assert_true(r.ncomplete >= 5); /* the pruner waits for 5 completed trials */
    assert_int_equal(r.nfail, 0);
    assert_true(isnan(r.test_auc) && r.model && r.study_run_id[0] == '\0');
    for (size_t i = 0; i < r.ntrials; i++) {
        const ll_tune_trial *t = &r.trials[i];
        assert_int_equal(t->number, (int)i);
        assert_true(t->x[0] >= 2 && t->x[0] <= 4 && t->x[0] == floor(t->x[0]));
        assert_true(t->x[2] >= 0.05 && t->x[2] <= 0.5);
        if (t->state == LL_TPE_COMPLETE) {
            double m = (t->fold_auc[0] + t->fold_auc[1] + t->fold_auc[2]) / 3;
            assert_true(fabs(m - t->value) < 1e-12 && t->value <= r.best_cv_auc);
        } else {
            assert_int_equal(t->state, LL_TPE_PRUNED);
            assert_true(t->pruned_fold >= 0 && t->pruned_fold < 2 && t->folds_done < 3);
        }
    }
    assert_true(r.best_cv_auc == r.trials[r.best].value);
    assert_true(ll_model_params_get(&r.best_params, "max_depth") == r.trials[r.best].x[0]);
    assert_true(r.best_cv_auc > 0.70 && r.best_cv_auc < 0.80);
    /* the same options give the same study */
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &r2, &err), LL_OK);
    for (size_t i = 0; i < r.ntrials; i++) {
        assert_memory_equal(r.trials[i].x, r2.trials[i].x, sizeof r.trials[i].x);
        assert_true(r.trials[i].state == r2.trials[i].state);
    }
    ll_tune_result_free(&r2);
    ll_tune_result_free(&r);
}

static void test_two_jobs_deterministic(void **state)
{
    (void)state;
    ll_tune_options o;
    small_options(&o, 2);
    ll_tune_result a, b;
    ll_error err;
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &a, &err), LL_OK);
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &b, &err), LL_OK);
    assert_int_equal(a.ntrials, 14);
    for (size_t i = 0; i < a.ntrials; i++) {
        assert_memory_equal(a.trials[i].x, b.trials[i].x, sizeof a.trials[i].x);
        assert_true(a.trials[i].state == b.trials[i].state);
        assert_true(a.trials[i].value == b.trials[i].value || isnan(a.trials[i].value));
    }
    ll_tune_result_free(&a);
    ll_tune_result_free(&b);
}

/* A tracked study with two jobs: the store gets the parent and every trial, and the study is
 * found again with its settings. */
static void test_tracked_study(void **state)
{
    (void)state;
    char dir[] = "/tmp/lendlab-test-tune-XXXXXX";
    assert_non_null(mkdtemp(dir));
    ll_store *st;
    ll_error err;
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    ll_tune_options o;
    small_options(&o, 2);
    o.store = st;
    o.experiment = "unit";
    o.study_name = "study-a";
    ll_tune_result r;
    assert_int_equal(ll_tune_run(&o, train_table(), train_table(), &r, &err), LL_OK);
    assert_int_equal(strlen(r.study_run_id), 32);
    assert_true(r.test_auc > 0.7 && r.test_auc < 0.9); /* scored on its own training rows */
    for (size_t i = 0; i < r.ntrials; i++) assert_int_equal(strlen(r.trials[i].run_id), 32);
    ll_tune_study_info info;
    assert_int_equal(ll_tune_study_find(st, "unit", "study-a", &info, &err), LL_OK);
    assert_string_equal(info.run_id, r.study_run_id);
    assert_int_equal(info.ntrials, 14);
    assert_int_equal(info.cv, 3);
    assert_true(info.seed == 3 && info.kind == LL_MODEL_GBDT);
    assert_true(ll_tune_space_equal(&info.space, &o.space));
    assert_int_equal(ll_tune_study_find(st, "unit", "study-b", &info, &err), LL_ENOTFOUND);
    /* the study's run ended FINISHED with its summary metrics, the best model and params */
    ll_run *pr;
    char path[4200];
    assert_int_equal(ll_store_get_run(st, r.study_run_id, &pr, &err), LL_OK);
    assert_int_equal(pr->status, LL_RUN_FINISHED);
    long long first_end = pr->end_time;
    assert_true(first_end >= pr->start_time);
    assert_int_equal(ll_run_metric(pr, "best_cv_auc")->step, 14);
    assert_true(ll_run_metric(pr, "best_cv_auc")->value == r.best_cv_auc);
    assert_int_equal(ll_run_metric(pr, "trials_complete")->value, r.ncomplete);
    int last_complete = -1;
    for (size_t i = 0; i < r.ntrials; i++)
        if (r.trials[i].state == LL_TPE_COMPLETE && r.trials[i].number > last_complete)
            last_complete = r.trials[i].number;
    assert_int_equal(ll_run_metric(pr, "trial_cv_auc")->step, last_complete);
    assert_int_equal(
        ll_store_run_artifact_path(st, pr, "model/model.json", path, sizeof path, &err), LL_OK);
    assert_true(ll_fsutil_exists(path));
    ll_run_free(pr);
    /* as if an earlier process had begun it: --resume must claim it again */
    assert_int_equal(ll_store_set_run_tag(st, r.study_run_id, "lendlab.pid", "1@elsewhere", &err),
                     LL_OK);
    /* resuming with more trials continues the same study run */
    ll_tune_result r2;
    o.resume = 1;
    o.trials = 16;
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &r2, &err), LL_OK);
    assert_string_equal(r2.study_run_id, r.study_run_id);
    assert_true(r2.ntrials == 16 && r2.nresumed == 14 && r2.nnew == 2);
    assert_int_equal(r2.trials[15].number, 15);
    /* reopened and finished again: this process's pid, a later end, the metrics continued */
    char host[256], pidtag[320];
    assert_int_equal(gethostname(host, sizeof host), 0);
    host[sizeof host - 1] = '\0';
    snprintf(pidtag, sizeof pidtag, "%ld@%s", (long)getpid(), host);
    assert_int_equal(ll_store_get_run(st, r.study_run_id, &pr, &err), LL_OK);
    assert_int_equal(pr->status, LL_RUN_FINISHED);
    assert_true(pr->end_time >= first_end);
    assert_string_equal(ll_run_tag(pr, "lendlab.pid"), pidtag);
    assert_int_equal(ll_run_metric(pr, "best_cv_auc")->step, 16);
    ll_metric_point *pts;
    size_t npts;
    assert_int_equal(ll_store_metric_history(st, pr, "trials_complete", &pts, &npts, &err), LL_OK);
    assert_int_equal(npts, 2);
    free(pts);
    ll_run_free(pr);
    ll_tune_result_free(&r);
    o.cv = 4; /* another fold count is refused */
    o.trials = 18;
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &r, &err) == LL_EINVAL, 1);
    assert_non_null(strstr(err.msg, "uses 3 folds, not 4"));
    ll_tune_result_free(&r2);
    ll_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_bad_options(void **state)
{
    (void)state;
    ll_tune_options o;
    small_options(&o, 1);
    ll_tune_result r;
    ll_error err;
    o.cv = 1;
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &r, &err), LL_EINVAL);
    small_options(&o, 1);
    o.target = "nosuch";
    assert_int_not_equal(ll_tune_run(&o, train_table(), NULL, &r, &err), LL_OK);
    small_options(&o, 1);
    o.kind = LL_MODEL_LOGREG; /* space and parameters are gbdt's */
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &r, &err), LL_EINVAL);
    static const volatile int cancelled = 1;
    small_options(&o, 1);
    o.cancel = &cancelled;
    assert_int_equal(ll_tune_run(&o, train_table(), NULL, &r, &err), LL_ECANCELLED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_spaces),
        cmocka_unit_test(test_parse_and_round_trip),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_small_study),
        cmocka_unit_test(test_two_jobs_deterministic),
        cmocka_unit_test(test_tracked_study),
        cmocka_unit_test(test_bad_options),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ll_table_free(train_table());
    return rc;
}
