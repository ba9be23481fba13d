/* Unit tests for Compare's logic (params side by side, differences, best metric per run) and
 * the Runs table (cells, durations, sorting with missing values last). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compare.h"
#include "runlist.h"

/* A run built by hand: params and metrics as given (the lookups only read the arrays). */
static ll_run *mk(const char *id, const char *name, long long start, long long end,
                  const char *const *kv, const char *const *mk_keys, const double *mv)
{
    ll_run *r = calloc(1, sizeof *r);
    r->run_id = (char *)id;
    r->run_name = (char *)name;
    r->status = end > 0 ? LL_RUN_FINISHED : LL_RUN_RUNNING;
    r->start_time = start;
    r->end_time = end;
    while (kv && kv[2 * r->nparams]) r->nparams++;
    r->params = calloc(r->nparams + 1, sizeof *r->params);
    for (size_t i = 0; i < r->nparams; i++)
        r->params[i] = (ll_kv){(char *)kv[2 * i], (char *)kv[2 * i + 1]};
    while (mk_keys && mk_keys[r->nmetrics]) r->nmetrics++;
    r->metrics = calloc(r->nmetrics + 1, sizeof *r->metrics);
    for (size_t i = 0; i < r->nmetrics; i++)
        r->metrics[i] = (ll_metric){(char *)mk_keys[i], mv[i], 0, 0};
    return r;
}

static void unmk(ll_run *r)
{
    free(r->params);
    free(r->metrics);
    free(r);
}

static void test_params(void **state)
{
    (void)state;
    static const char *const pa[] = {"model", "gbdt", "seed", "42", "eta", "0.1", NULL};
    static const char *const pb[] = {"seed", "42", "model", "logreg", "C", "1", NULL};
    static const char *const pc[] = {"model", "gbdt", "seed", "42", "eta", "0.1", NULL};
    ll_run *runs[3] = {mk("a", "a", 1, 2, pa, NULL, NULL), mk("b", "b", 1, 2, pb, NULL, NULL),
                       mk("c", "c", 1, 2, pc, NULL, NULL)};
    tui_cmp_param *p;
    size_t n = tui_compare_params(runs, 2, 0, &p);
    assert_int_equal(n, 4);
    /* sorted by key (byte order: upper case first), equal only when every run has the value */
    assert_string_equal(p[0].key, "C");
    assert_false(p[0].equal);
    assert_string_equal(p[1].key, "eta");
    assert_false(p[1].equal);
    assert_string_equal(p[2].key, "model");
    assert_false(p[2].equal);
    assert_string_equal(p[3].key, "seed");
    assert_true(p[3].equal);
    free(p);
    /* diff only: seed goes */
    n = tui_compare_params(runs, 2, 1, &p);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) assert_string_not_equal(p[i].key, "seed");
    free(p);
    /* identical runs: nothing differs */
    ll_run *same[2] = {runs[0], runs[2]};
    assert_int_equal(tui_compare_params(same, 2, 1, &p), 0);
    assert_null(p);
    assert_int_equal(tui_compare_params(same, 2, 0, &p), 3);
    for (size_t i = 0; i < 3; i++) assert_true(p[i].equal);
    free(p);
    for (int i = 0; i < 3; i++) unmk(runs[i]);
}

static void test_metrics_best(void **state)
{
    (void)state;
    static const char *const ka[] = {"auc", "logloss", "ks", "f1", NULL};
    static const double va[] = {0.72, 0.19, 0.35, NAN};
    static const char *const kb[] = {"auc", "logloss", "f1", NULL};
    static const double vb[] = {0.75, 0.18, 0.2};
    static const char *const kc[] = {"auc", "logloss", NULL};
    static const double vc[] = {0.75, 0.25};
    ll_run *runs[3] = {mk("a", "a", 1, 2, NULL, ka, va), mk("b", "b", 1, 2, NULL, kb, vb),
                       mk("c", "c", 1, 2, NULL, kc, vc)};
    tui_cmp_metric *m;
    size_t n = tui_compare_metrics(runs, 3, &m);
    assert_int_equal(n, 4);
    assert_string_equal(m[0].key, "auc");
    assert_true(m[0].higher_better);
    assert_int_equal(m[0].best, 1); /* 0.75 twice: the first wins */
    assert_string_equal(m[1].key, "f1");
    assert_int_equal(m[1].best, -1); /* only run b has a number (NaN never counts) */
    assert_string_equal(m[2].key, "ks");
    assert_int_equal(m[2].best, -1); /* a single run has it */
    assert_string_equal(m[3].key, "logloss");
    assert_false(m[3].higher_better);
    assert_int_equal(m[3].best, 1); /* the lowest loss */
    free(m);
    for (int i = 0; i < 3; i++) unmk(runs[i]);
}

static void test_runlist(void **state)
{
    (void)state;
    static const char *const pg[] = {"model", "gbdt", NULL}, *const pl[] = {"model", "logreg",
                                                                            NULL};
    static const char *const k[] = {"auc", "logloss", NULL}, *const k1[] = {"auc", NULL};
    static const double v0[] = {0.70, 0.20}, v1[] = {0.75, 0.18}, v2[] = {0.72};
    ll_run *runs[4] = {
        mk("r0", "beta", 1000, 61000, pg, k, v0),            /* 60 s */
        mk("r1", "alpha", 3000, 4500, pl, k, v1),            /* 1.5 s */
        mk("r2", "gamma", 2000, 2000 + 3600000, pg, k1, v2), /* an hour, no logloss */
        mk("r3", "delta", 4000, -1, NULL, NULL, NULL),       /* running, nothing logged */
    };
    char buf[64];
    assert_string_equal(tui_runlist_cell(runs[1], TUI_RL_AUC, 0, buf, sizeof buf), "0.7500");
    assert_string_equal(tui_runlist_cell(runs[2], TUI_RL_LOGLOSS, 0, buf, sizeof buf), "-");
    assert_string_equal(tui_runlist_cell(runs[1], TUI_RL_DURATION, 0, buf, sizeof buf), "1.5s");
    assert_string_equal(tui_runlist_cell(runs[0], TUI_RL_DURATION, 0, buf, sizeof buf), "1m00s");
    assert_string_equal(tui_runlist_cell(runs[2], TUI_RL_DURATION, 0, buf, sizeof buf), "1h00m");
    /* a running run lasts until now */
    assert_string_equal(tui_runlist_cell(runs[3], TUI_RL_DURATION, 9000, buf, sizeof buf), "5.0s");
    assert_string_equal(tui_runlist_cell(runs[3], TUI_RL_MODEL, 0, buf, sizeof buf), "-");
    assert_string_equal(tui_runlist_cell(runs[3], TUI_RL_STATUS, 0, buf, sizeof buf), "RUNNING");
    runs[3]->died = 1;
    assert_string_equal(tui_runlist_cell(runs[3], TUI_RL_STATUS, 0, buf, sizeof buf), "DIED");
    assert_true(isnan(tui_runlist_duration(runs[3], 9000)));

    size_t idx[4] = {0, 1, 2, 3};
    tui_runlist_sort(runs, idx, 4, TUI_RL_AUC, 1, 0);
    assert_true(idx[0] == 1 && idx[1] == 2 && idx[2] == 0 && idx[3] == 3); /* missing last */
    tui_runlist_sort(runs, idx, 4, TUI_RL_AUC, 0, 0);
    assert_true(idx[0] == 0 && idx[1] == 2 && idx[2] == 1 && idx[3] == 3); /* still last */
    tui_runlist_sort(runs, idx, 4, TUI_RL_NAME, 0, 0);
    assert_true(idx[0] == 1 && idx[1] == 0 && idx[2] == 3 && idx[3] == 2);
    tui_runlist_sort(runs, idx, 4, TUI_RL_START, 1, 0);
    assert_true(idx[0] == 3 && idx[1] == 1 && idx[2] == 2 && idx[3] == 0);
    /* ties (same model) keep the newest start first, whatever the direction */
    tui_runlist_sort(runs, idx, 4, TUI_RL_MODEL, 0, 0);
    assert_true(idx[0] == 2 && idx[1] == 0 && idx[2] == 1 && idx[3] == 3);
    tui_runlist_sort(runs, idx, 4, TUI_RL_MODEL, 1, 0);
    assert_true(idx[0] == 1 && idx[1] == 2 && idx[2] == 0 && idx[3] == 3);
    assert_int_equal(tui_runlist_find("logloss"), TUI_RL_LOGLOSS);
    assert_int_equal(tui_runlist_find("nope"), -1);
    for (int i = 0; i < 4; i++) unmk(runs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_metrics_best),
        cmocka_unit_test(test_runlist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
