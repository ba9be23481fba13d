/* Unit tests for metrics: values checked against scikit-learn 1.2.1 (computed when written). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* (a) hand-made example with ties at 0.1 and 0.4 */
static const double ya[10] = {0, 0, 1, 1, 0, 1, 0, 1, 1, 0};
static const double pa[10] = {0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.1, 0.65};

/* (b) deterministic pseudo-random example, generated identically in Python:
 *   s = (s * 6364136223846793005 + 1442695040888963407) mod 2^64, u = (s >> 11) / 2^53
 *   per row: u1, u2, u3; y = u1 < 0.3; p = floor(100 * (0.25 y + 0.75 u2)) / 100; w = 0.5 + u3
 * (100 distinct p values over 3000 rows, so ties everywhere). Expected values come from
 * sklearn.metrics (roc_auc_score, average_precision_score, log_loss, brier_score_loss,
 * roc_curve, confusion_matrix, precision_recall_curve) with and without sample_weight. */
#define NB 3000
static double yb[NB], pb[NB], wb[NB];

static double lcg_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

static int setup_lcg(void **state)
{
    (void)state;
    uint64_t s = 12345;
    for (int i = 0; i < NB; i++) {
        double u1 = lcg_next(&s), u2 = lcg_next(&s), u3 = lcg_next(&s);
        yb[i] = u1 < 0.3 ? 1.0 : 0.0;
        pb[i] = floor(100.0 * (0.25 * yb[i] + 0.75 * u2)) / 100.0;
        wb[i] = 0.5 + u3;
    }
    return 0;
}

static void test_small_scalar(void **state)
{
    (void)state;
    ll_error err;
    double v, thr;
    assert_int_equal(ll_metrics_auc(ya, pa, 10, NULL, &v, &err), LL_OK);
    NEAR(v, 0.62, 1e-15);
    assert_int_equal(ll_metrics_gini(ya, pa, 10, NULL, &v, &err), LL_OK);
    NEAR(v, 0.24, 1e-15);
    assert_int_equal(ll_metrics_pr_auc(ya, pa, 10, NULL, &v, &err), LL_OK);
    NEAR(v, 0.71428571428571419, 1e-15);
    assert_int_equal(ll_metrics_logloss(ya, pa, 10, NULL, &v, &err), LL_OK);
    NEAR(v, 0.699717945534161, 1e-14);
    assert_int_equal(ll_metrics_brier(ya, pa, 10, NULL, &v, &err), LL_OK);
    NEAR(v, 0.2435, 1e-15);
    assert_int_equal(ll_metrics_ks(ya, pa, 10, NULL, &v, &thr, &err), LL_OK);
    NEAR(v, 0.4, 1e-15);
    assert_true(thr == 0.8);
    /* F1 is 2/3 both at 0.35 and at 0.1: the higher threshold is reported */
    assert_int_equal(ll_metrics_best_f1(ya, pa, 10, NULL, &v, &thr, &err), LL_OK);
    NEAR(v, 2.0 / 3.0, 1e-15);
    assert_true(thr == 0.35);
    ll_confusion c;
    assert_int_equal(ll_metrics_confusion(ya, pa, 10, NULL, 0.5, &c, &err), LL_OK);
    assert_true(c.tn == 4 && c.fp == 1 && c.fn == 3 && c.tp == 2);
    NEAR(c.accuracy, 0.6, 1e-15);
    NEAR(c.precision, 2.0 / 3.0, 1e-15);
    NEAR(c.recall, 0.4, 1e-15);
    NEAR(c.f1, 0.5, 1e-15);
    /* the threshold is inclusive: p >= 0.4 predicts 1 */
    assert_int_equal(ll_metrics_confusion(ya, pa, 10, NULL, 0.4, &c, &err), LL_OK);
    assert_true(c.tp == 3 && c.fp == 3);
}

static void test_small_all(void **state)
{
    (void)state;
    ll_error err;
    ll_metrics m;
    assert_int_equal(ll_metrics_all(ya, pa, 10, NULL, 0.5, &m, &err), LL_OK);
    assert_int_equal(m.status, LL_METRICS_OK);
    assert_true(m.n == 10 && m.n_pos == 5 && m.n_neg == 5);
    NEAR(m.auc, 0.62, 1e-15);
    NEAR(m.gini, 0.24, 1e-15);
    NEAR(m.pr_auc, 0.71428571428571419, 1e-15);
    NEAR(m.logloss, 0.699717945534161, 1e-14);
    NEAR(m.brier, 0.2435, 1e-15);
    NEAR(m.ks, 0.4, 1e-15);
    assert_true(m.ks_threshold == 0.8);
    NEAR(m.f1_best, 2.0 / 3.0, 1e-15);
    assert_true(m.f1_best_threshold == 0.35);
    NEAR(m.base_rate, 0.5, 1e-15);
    NEAR(m.mean_p, 0.43, 1e-15);
    assert_true(m.at.tp == 2 && m.at.tn == 4 && m.at.threshold == 0.5);
    NEAR(m.at.f1, 0.5, 1e-15);
}

static void test_small_roc(void **state)
{
    (void)state;
    ll_error err;
    double fpr[16], tpr[16], thr[16];
    size_t np;
    /* scikit-learn's full curve minus the collinear point (0, 0.2) */
    static const double efpr[] = {0, 0, 0.2, 0.6, 0.6, 0.8, 1};
    static const double etpr[] = {0, 0.4, 0.4, 0.6, 0.8, 0.8, 1};
    static const double ethr[] = {INFINITY, 0.8, 0.65, 0.4, 0.35, 0.2, 0.1};
    assert_int_equal(ll_metrics_roc_curve(ya, pa, 10, NULL, 16, fpr, tpr, thr, &np, &err), LL_OK);
    assert_int_equal(np, 7);
    for (size_t k = 0; k < np; k++) {
        NEAR(fpr[k], efpr[k], 1e-15);
        NEAR(tpr[k], etpr[k], 1e-15);
        assert_true(thr[k] == ethr[k]);
    }
    /* thinned to 3: both end points kept */
    assert_int_equal(ll_metrics_roc_curve(ya, pa, 10, NULL, 3, fpr, tpr, NULL, &np, &err), LL_OK);
    assert_true(np >= 2 && np <= 3);
    assert_true(fpr[0] == 0 && tpr[0] == 0 && fpr[np - 1] == 1 && tpr[np - 1] == 1);
    assert_int_equal(ll_metrics_roc_curve(ya, pa, 10, NULL, 1, fpr, tpr, NULL, &np, &err),
                     LL_EINVAL);
}

static void test_lcg_unweighted(void **state)
{
    (void)state;
    ll_error err;
    ll_metrics m;
    assert_int_equal(ll_metrics_all(yb, pb, NB, NULL, 0.5, &m, &err), LL_OK);
    assert_int_equal(m.status, LL_METRICS_OK);
    assert_true(m.n_pos == 902);
    NEAR(m.auc, 0.76594275193986883, 1e-13);
    NEAR(m.pr_auc, 0.65670475553887331, 1e-13);
    NEAR(m.logloss, 0.54498831002585479, 1e-13);
    NEAR(m.brier, 0.19054593333333333, 1e-13);
    NEAR(m.ks, 0.32549529802430355, 1e-13);
    assert_true(m.ks_threshold == 0.61);
    assert_true(m.at.tn == 1384 && m.at.fp == 714 && m.at.fn == 320 && m.at.tp == 582);
    NEAR(m.at.accuracy, 0.65533333333333332, 1e-14);
    NEAR(m.at.precision, 0.44907407407407407, 1e-14);
    NEAR(m.at.recall, 0.64523281596452331, 1e-14);
    NEAR(m.at.f1, 0.52957233848953589, 1e-14);
    NEAR(m.f1_best, 0.55868689996903065, 1e-13);
    assert_true(m.f1_best_threshold == 0.25);
    double v;
    assert_int_equal(ll_metrics_auc(yb, pb, NB, NULL, &v, &err), LL_OK);
    NEAR(v, 0.76594275193986883, 1e-13);
}

static void test_lcg_weighted(void **state)
{
    (void)state;
    ll_error err;
    ll_metrics m;
    assert_int_equal(ll_metrics_all(yb, pb, NB, wb, 0.5, &m, &err), LL_OK);
    NEAR(m.auc, 0.77142599277367463, 1e-12);
    NEAR(m.pr_auc, 0.66196495772762221, 1e-12);
    NEAR(m.logloss, 0.5414435909341847, 1e-12);
    NEAR(m.brier, 0.18897146619238744, 1e-12);
    NEAR(m.ks, 0.33271556808440739, 1e-12);
    assert_true(m.ks_threshold == 0.61);
    NEAR(m.at.tn, 1394.5769783187166, 1e-9);
    NEAR(m.at.fp, 703.9385505713889, 1e-9);
    NEAR(m.at.fn, 313.3396802001277, 1e-9);
    NEAR(m.at.tp, 588.1592955780885, 1e-9);
    NEAR(m.at.f1, 0.5362510464080863, 1e-12);
    NEAR(m.f1_best, 0.55942152134797951, 1e-12);
    assert_true(m.f1_best_threshold == 0.25);
    double v;
    assert_int_equal(ll_metrics_auc(yb, pb, NB, wb, &v, &err), LL_OK);
    NEAR(v, 0.77142599277367463, 1e-12);
}

static void test_lcg_calibration(void **state)
{
    (void)state;
    ll_error err;
    ll_calib_bin t[LL_METRICS_DECILES];
    /* expected from an independent numpy implementation of the same grouping rule */
    static const size_t en[10] = {329, 295, 277, 326, 291, 307, 308, 271, 318, 278};
    static const double epm[10] = {0.054984802431610934, 0.1694237288135593,  0.26805054151624547,
                                   0.3449693251533742,   0.42068728522336774, 0.48804560260586316,
                                   0.56532467532467534,  0.64062730627306286, 0.70836477987421376,
                                   0.86712230215827324};
    static const double eyr[10] = {0,
                                   0,
                                   0.24909747292418771,
                                   0.30368098159509205,
                                   0.29209621993127149,
                                   0.3289902280130293,
                                   0.26623376623376621,
                                   0.3210332103321033,
                                   0.31761006289308175,
                                   1};
    assert_int_equal(ll_metrics_calibration(yb, pb, NB, NULL, LL_METRICS_DECILES, t, &err), LL_OK);
    for (int g = 0; g < 10; g++) {
        assert_int_equal(t[g].n, en[g]);
        NEAR(t[g].p_mean, epm[g], 1e-13);
        NEAR(t[g].y_rate, eyr[g], 1e-13);
    }
    assert_true(t[0].p_min == 0 && t[0].p_max == 0.11 && t[9].p_min == 0.75 && t[9].p_max == 0.99);
    assert_int_equal(ll_metrics_calibration(yb, pb, NB, wb, LL_METRICS_DECILES, t, &err), LL_OK);
    NEAR(t[2].weight, 278.49106497011292, 1e-10);
    NEAR(t[2].p_mean, 0.2688157427304444, 1e-13);
    NEAR(t[2].y_rate, 0.23339389873129524, 1e-13);
    NEAR(t[6].y_rate, 0.27394049582754704, 1e-13);
    /* one big tie: everything lands in group 0, the rest stay empty */
    double same[20], lab[20];
    for (int i = 0; i < 20; i++) {
        same[i] = 0.3;
        lab[i] = i % 4 == 0;
    }
    assert_int_equal(ll_metrics_calibration(lab, same, 20, NULL, 10, t, &err), LL_OK);
    assert_int_equal(t[0].n, 20);
    NEAR(t[0].y_rate, 0.25, 1e-15);
    assert_int_equal(t[1].n, 0);
    assert_true(isnan(t[1].p_mean));
}

static void test_lcg_roc(void **state)
{
    (void)state;
    ll_error err;
    static double fpr[NB + 1], tpr[NB + 1];
    size_t np;
    assert_int_equal(ll_metrics_roc_curve(yb, pb, NB, NULL, NB + 1, fpr, tpr, NULL, &np, &err),
                     LL_OK);
    /* 100 distinct scores + origin; scikit-learn keeps 98 after its (narrower) dropping */
    assert_true(np <= 98 && np > 50);
    double area = 0.0;
    for (size_t k = 1; k < np; k++) {
        assert_true(fpr[k] >= fpr[k - 1] && tpr[k] >= tpr[k - 1]);
        area += (fpr[k] - fpr[k - 1]) * (tpr[k] + tpr[k - 1]) / 2.0;
    }
    NEAR(area, 0.76594275193986883, 1e-12);
    assert_int_equal(ll_metrics_roc_curve(yb, pb, NB, NULL, 20, fpr, tpr, NULL, &np, &err), LL_OK);
    assert_true(np <= 20 && np >= 15);
    assert_true(fpr[0] == 0 && tpr[0] == 0 && fpr[np - 1] == 1 && tpr[np - 1] == 1);
    for (size_t k = 1; k < np; k++) assert_true(fpr[k] + tpr[k] > fpr[k - 1] + tpr[k - 1]);
}

static void test_auc_ctx(void **state)
{
    (void)state;
    ll_error err;
    ll_auc_ctx *c;
    assert_int_equal(ll_auc_ctx_new(yb, NB, NULL, &c, &err), LL_OK);
    NEAR(ll_auc_ctx_eval(c, pb), 0.76594275193986883, 1e-13);
    /* AUC depends on order only: margins (negative, zero, positive keys) give the same value */
    static double z[NB];
    for (int i = 0; i < NB; i++) z[i] = log(pb[i] + 1e-3) - log(1.001 - pb[i]);
    NEAR(ll_auc_ctx_eval(c, z), 0.76594275193986883, 1e-13);
    z[5] = NAN;
    assert_true(isnan(ll_auc_ctx_eval(c, z)));
    ll_auc_ctx_free(c);

    static uint8_t y8[NB];
    for (int i = 0; i < NB; i++) y8[i] = (uint8_t)yb[i];
    assert_int_equal(ll_auc_ctx_new_u8(y8, NB, wb, &c, &err), LL_OK);
    NEAR(ll_auc_ctx_eval(c, pb), 0.77142599277367463, 1e-12);
    ll_auc_ctx_free(c);
    y8[3] = 2;
    assert_int_equal(ll_auc_ctx_new_u8(y8, NB, NULL, &c, &err), LL_EINVAL);
    assert_null(c);

    /* -0.0 and +0.0 tie: one positive and one negative at zero give AUC 1/2 */
    const double yz[2] = {1, 0}, sz[2] = {-0.0, 0.0};
    double v;
    assert_int_equal(ll_metrics_auc(yz, sz, 2, NULL, &v, &err), LL_OK);
    NEAR(v, 0.5, 0);
}

/* Larger random check of the radix path against the group path (different code). */
static void test_auc_large(void **state)
{
    (void)state;
    const size_t n = 200000;
    double *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    assert_non_null(y);
    assert_non_null(p);
    uint64_t s = 99;
    for (size_t i = 0; i < n; i++) {
        y[i] = lcg_next(&s) < 0.1;
        p[i] = (lcg_next(&s) + 0.3 * y[i]) * 1e-3 * (i % 7 ? 1.0 : -1.0);
    }
    ll_error err;
    ll_metrics m;
    ll_auc_ctx *c;
    assert_int_equal(ll_auc_ctx_new(y, n, NULL, &c, &err), LL_OK);
    double a = ll_auc_ctx_eval(c, p);
    ll_auc_ctx_free(c);
    for (size_t i = 0; i < n; i++) p[i] = (p[i] + 1.3e-3) / 3e-3; /* into [0, 1] */
    assert_int_equal(ll_metrics_all(y, p, n, NULL, 0.5, &m, &err), LL_OK);
    NEAR(a, m.auc, 1e-12);
    assert_true(a > 0.55 && a < 0.75);
    free(y);
    free(p);
}

/* Scores closer together than float resolution take the run-refining paths (radix on key
 * offsets; comparison sort when the run spans zero); a monotone rescaling that spreads them
 * over many floats must give the identical AUC. */
static void test_auc_close_scores(void **state)
{
    (void)state;
    const size_t n = 50000;
    double *y = malloc(n * sizeof *y), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    assert_non_null(y);
    assert_non_null(a);
    assert_non_null(b);
    ll_error err;
    ll_auc_ctx *c;
    for (int mode = 0; mode < 2; mode++) {
        uint64_t s = 7 + (uint64_t)mode;
        for (size_t i = 0; i < n; i++) {
            y[i] = lcg_next(&s) < 0.2;
            double u = lcg_next(&s) + 0.2 * y[i];
            if (mode == 0) {
                a[i] = 0.5 + u * 1e-9;
                b[i] = (a[i] - 0.5) * 1e9;
            } else {
                a[i] = (u - 0.6) * 1e-50;
                b[i] = a[i] * 1e50;
            }
        }
        assert_int_equal(ll_auc_ctx_new(y, n, NULL, &c, &err), LL_OK);
        double va = ll_auc_ctx_eval(c, a), vb = ll_auc_ctx_eval(c, b);
        ll_auc_ctx_free(c);
        assert_true(va == vb);
        assert_true(va > 0.6 && va < 0.8);
        double v;
        assert_int_equal(ll_metrics_auc(y, a, n, NULL, &v, &err), LL_OK);
        assert_true(v == va);
    }
    free(y);
    free(a);
    free(b);
}

static void test_edge_cases(void **state)
{
    (void)state;
    ll_error err;
    ll_metrics m;
    double v, thr;
    const double y1[4] = {1, 1, 1, 1}, y0[4] = {0, 0, 0, 0}, p4[4] = {0.1, 0.2, 0.2, 0.9};

    ll_error_clear(&err);
    assert_int_equal(ll_metrics_auc(y1, p4, 4, NULL, &v, &err), LL_EINVAL);
    assert_true(isnan(v));
    assert_non_null(strstr(err.msg, "only one class"));
    assert_int_equal(ll_metrics_ks(y0, p4, 4, NULL, &v, &thr, &err), LL_EINVAL);
    assert_true(isnan(v) && isnan(thr));
    assert_int_equal(ll_metrics_pr_auc(y0, p4, 4, NULL, &v, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "no positive"));
    /* all positive: average precision is 1, as scikit-learn */
    assert_int_equal(ll_metrics_pr_auc(y1, p4, 4, NULL, &v, &err), LL_OK);
    NEAR(v, 1.0, 0);

    assert_int_equal(ll_metrics_all(y0, p4, 4, NULL, 0.5, &m, &err), LL_OK);
    assert_int_equal(m.status, LL_METRICS_ONE_CLASS);
    assert_string_equal(ll_metrics_status_str(m.status), "only one class present");
    assert_true(isnan(m.auc) && isnan(m.gini) && isnan(m.ks) && isnan(m.pr_auc));
    assert_true(isfinite(m.logloss) && isfinite(m.brier));
    NEAR(m.at.accuracy, 0.75, 1e-15);

    assert_int_equal(ll_metrics_all(NULL, NULL, 0, NULL, 0.5, &m, &err), LL_OK);
    assert_int_equal(m.status, LL_METRICS_EMPTY);
    assert_true(isnan(m.auc) && isnan(m.logloss) && isnan(m.at.accuracy));
    assert_int_equal(ll_metrics_auc(NULL, NULL, 0, NULL, &v, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "no rows"));
    assert_int_equal(ll_metrics_logloss(NULL, NULL, 0, NULL, &v, &err), LL_EINVAL);
    ll_calib_bin t[10];
    assert_int_equal(ll_metrics_calibration(NULL, NULL, 0, NULL, 10, t, &err), LL_EINVAL);
    ll_auc_ctx *c;
    assert_int_equal(ll_auc_ctx_new(NULL, 0, NULL, &c, &err), LL_OK);
    assert_true(isnan(ll_auc_ctx_eval(c, NULL)));
    ll_auc_ctx_free(c);

    /* invalid input */
    const double ybad[4] = {0, 1, 2, 0}, pbad[4] = {0.1, 1.5, 0.2, 0.3};
    const double wneg[4] = {1, 1, -1, 1};
    assert_int_equal(ll_metrics_all(ybad, p4, 4, NULL, 0.5, &m, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "y[2]"));
    assert_int_equal(ll_metrics_logloss(y1, pbad, 4, NULL, &v, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "p[1] = 1.5"));
    /* ranking metrics accept any finite score */
    const double ymix[4] = {0, 1, 0, 1};
    assert_int_equal(ll_metrics_auc(ymix, pbad, 4, NULL, &v, &err), LL_OK);
    NEAR(v, 1.0, 0);
    assert_int_equal(ll_metrics_auc(ymix, p4, 4, wneg, &v, &err), LL_EINVAL);
    /* log loss clips p = 0 / 1 at 1e-15 instead of returning infinity (scikit-learn 1.2.1 with
     * eps=1e-15; its default since 1.2 is machine epsilon, which gives 36.04 here) */
    const double p01[2] = {1.0, 0.0}, y01[2] = {0, 1};
    assert_int_equal(ll_metrics_logloss(y01, p01, 2, NULL, &v, &err), LL_OK);
    NEAR(v, 34.539176193625778, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_scalar), cmocka_unit_test(test_small_all),
        cmocka_unit_test(test_small_roc),    cmocka_unit_test(test_lcg_unweighted),
        cmocka_unit_test(test_lcg_weighted), cmocka_unit_test(test_lcg_calibration),
        cmocka_unit_test(test_lcg_roc),      cmocka_unit_test(test_auc_ctx),
        cmocka_unit_test(test_auc_large),    cmocka_unit_test(test_auc_close_scores),
        cmocka_unit_test(test_edge_cases),
    };
    return cmocka_run_group_tests(tests, setup_lcg, NULL);
}
