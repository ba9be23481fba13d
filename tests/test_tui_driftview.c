/* Unit tests for the Drift screen's pure parts: severity classes, their order, histogram bars. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"
#include "driftview.h"

static ll_drift_result res(const char *name, int tested, int drifted, ll_stattest test,
                           double score, double threshold, double psi)
{
    ll_drift_result r;
    memset(&r, 0, sizeof r);
    r.column_name = (char *)name;
    r.tested = tested;
    r.drifted = drifted;
    r.test = test;
    r.score = score;
    r.threshold = threshold;
    r.psi = psi;
    return r;
}

static void test_severity(void **state)
{
    (void)state;
    ll_drift_result r = res("x", 1, 1, LL_STATTEST_KS, 0.001, 0.05, 0.02);
    assert_int_equal(tui_drift_severity(&r), TUI_SEV_ALERT); /* drifted, whatever the PSI */
    r = res("x", 1, 0, LL_STATTEST_KS, 0.2, 0.05, 0.1);
    assert_int_equal(tui_drift_severity(&r), TUI_SEV_WARN); /* PSI exactly at "moderate" */
    r = res("x", 1, 0, LL_STATTEST_KS, 0.2, 0.05, 0.0999);
    assert_int_equal(tui_drift_severity(&r), TUI_SEV_OK);
    r = res("x", 1, 0, LL_STATTEST_WASSERSTEIN, 0.05, 0.1, NAN);
    assert_int_equal(tui_drift_severity(&r), TUI_SEV_OK);
    r = res("x", 0, 0, LL_STATTEST_KS, NAN, NAN, NAN);
    assert_int_equal(tui_drift_severity(&r), TUI_SEV_UNTESTED);
    assert_string_equal(tui_severity_name(TUI_SEV_ALERT), "ALERT");
    assert_string_equal(tui_severity_name(TUI_SEV_UNTESTED), "-");
}

/* The core orders by drift, then by how far past the threshold; the screen groups by class
 * first, so a column with a moderate PSI comes before a quiet one that is nearer its test's
 * threshold. */
static void test_rows(void **state)
{
    (void)state;
    ll_drift_result cols[5] = {
        res("a", 1, 0, LL_STATTEST_KS, 0.2, 0.05, 0.3),           /* warn */
        res("b", 1, 1, LL_STATTEST_WASSERSTEIN, 0.15, 0.1, 0.05), /* alert */
        res("c", 1, 0, LL_STATTEST_WASSERSTEIN, 0.09, 0.1, 0.02), /* ok, 0.9 of its threshold */
        res("d", 0, 0, LL_STATTEST_KS, NAN, NAN, NAN),            /* untested */
        res("e", 1, 1, LL_STATTEST_WASSERSTEIN, 0.5, 0.1, 0.01),  /* alert, further past */
    };
    ll_drift_report r;
    memset(&r, 0, sizeof r);
    r.cols = cols;
    r.ncols = 5;
    size_t core[5], idx[5];
    ll_drift_report_order(&r, core);
    /* the core puts c (severity 0.9) before a (log 0.2 / log 0.05 = 0.54) */
    const size_t want_core[5] = {4, 1, 2, 0, 3};
    for (int i = 0; i < 5; i++) assert_int_equal(core[i], want_core[i]);
    assert_int_equal(tui_drift_rows(&r, idx), 0);
    const size_t want[5] = {4, 1, 0, 2, 3};
    for (int i = 0; i < 5; i++) assert_int_equal(idx[i], want[i]);
    /* classes never go up along the rows */
    for (int i = 1; i < 5; i++)
        assert_true(tui_drift_severity(&cols[idx[i - 1]]) >= tui_drift_severity(&cols[idx[i]]));
    r.ncols = 0;
    assert_int_equal(tui_drift_rows(&r, idx), 0);
}

static void test_hist_scale(void **state)
{
    (void)state;
    const double a[3] = {0.1, 0.5, 0}, b[3] = {0.25, 0.0001, 0.5};
    int ea[3], eb[3];
    tui_hist_scale(a, b, 3, 4, ea, eb); /* 4 cells = 32 eighths for the largest share */
    assert_int_equal(ea[0], 6);         /* 0.1 / 0.5 * 32 = 6.4 */
    assert_int_equal(ea[1], 32);
    assert_int_equal(ea[2], 0);
    assert_int_equal(eb[0], 16);
    assert_int_equal(eb[1], 1); /* tiny but not empty: one eighth */
    assert_int_equal(eb[2], 32);
    const double z[2] = {0, 0};
    tui_hist_scale(z, z, 2, 5, ea, eb);
    assert_int_equal(ea[0] + ea[1] + eb[0] + eb[1], 0);
    tui_hist_scale(a, b, 3, 0, ea, eb);
    assert_int_equal(ea[1], 0);
}

static void test_hist_label(void **state)
{
    (void)state;
    char *labels[2] = {"term_36", "term_60"};
    ll_drift_result r;
    memset(&r, 0, sizeof r);
    r.nbins = 2;
    r.hist_labels = labels;
    char buf[64];
    assert_string_equal(tui_hist_label(&r, 1, buf, sizeof buf), "term_60");
    r.hist_labels = NULL;
    r.nbins = 4;
    r.hist_lo = 0;
    r.hist_hi = 2;
    assert_string_equal(tui_hist_label(&r, 0, buf, sizeof buf), "< 0.5");
    assert_string_equal(tui_hist_label(&r, 1, buf, sizeof buf), "[0.5, 1)");
    assert_string_equal(tui_hist_label(&r, 3, buf, sizeof buf), ">= 1.5");
}

static ll_drift_profile *profile_of(const char *path)
{
    ll_table *t = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_csv_read_table(path, NULL, &t, NULL, &err), LL_OK);
    ll_drift_profile *p = NULL;
    assert_int_equal(ll_drift_profile_from_table(t, path, NULL, 2, NULL, &p, &err), LL_OK);
    ll_table_free(t);
    return p;
}

/* The fixtures: int_rate was shifted in the drifted copy (Wasserstein distance over the
 * reference std 0.60214 by scipy), so it heads the table as an alert; its 24 bins span the
 * 1st to 99th percentiles [5.32, 29.746] (numpy). */
static void test_fixture_report(void **state)
{
    (void)state;
    ll_drift_profile *ref = profile_of("fixtures/lending_club_test.csv");
    ll_drift_profile *cur = profile_of("fixtures/lending_club_drifted.csv");
    ll_drift_report *rep = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_drift_compare(ref, cur, NULL, &rep, &err), LL_OK);
    size_t *idx = malloc(rep->ncols * sizeof *idx);
    assert_non_null(idx);
    assert_int_equal(tui_drift_rows(rep, idx), 0);
    const ll_drift_result *top = &rep->cols[idx[0]];
    assert_string_equal(top->column_name, "int_rate");
    assert_int_equal(tui_drift_severity(top), TUI_SEV_ALERT);
    assert_true(fabs(top->score - 0.6021382965146975) < 1e-9);
    size_t alerts = 0;
    for (size_t i = 0; i < rep->ncols; i++)
        alerts += tui_drift_severity(&rep->cols[i]) == TUI_SEV_ALERT;
    assert_int_equal(alerts, rep->number_of_drifted_columns);
    assert_int_equal(top->nbins, 24);
    char buf[64];
    assert_string_equal(tui_hist_label(top, 0, buf, sizeof buf), "< 6.338");
    assert_string_equal(tui_hist_label(top, 12, buf, sizeof buf), "[17.53, 18.55)");
    assert_string_equal(tui_hist_label(top, 23, buf, sizeof buf), ">= 28.73");
    free(idx);
    ll_drift_report_free(rep);
    ll_drift_profile_free(ref);
    ll_drift_profile_free(cur);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_severity),       cmocka_unit_test(test_rows),
        cmocka_unit_test(test_hist_scale),     cmocka_unit_test(test_hist_label),
        cmocka_unit_test(test_fixture_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
