/* Unit tests for stats: drift tests and distances against SciPy 1.10 (values computed with
 * scipy.stats / scipy.special / scipy.spatial and written here as literals). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

/* |got - want| <= tol * |want| (exact match required when want is 0) */
static void check_rel(double got, double want, double tol, const char *what)
{
    double err = want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
    if (!(err <= tol)) {
        fprintf(stderr, "%s: got %.17g want %.17g (rel err %.3g)\n", what, got, want, err);
        fail();
    }
}

#define N(a) (sizeof(a) / sizeof *(a))

/* Raw samples through ll_stats_distinct, then the KS test. */
static void ks_raw(const double *a, size_t na, const double *b, size_t nb, double *d, double *p,
                   int *exact)
{
    double *va, *vb;
    size_t *ca, *cb, ka, kb, oa, ob;
    assert_int_equal(ll_stats_distinct(a, na, &va, &ca, &ka, &oa), 0);
    assert_int_equal(ll_stats_distinct(b, nb, &vb, &cb, &kb, &ob), 0);
    assert_int_equal(oa, na);
    assert_int_equal(ob, nb);
    ll_stats_ks_2samp(va, ca, ka, vb, cb, kb, d, p, exact);
    free(va);
    free(vb);
    free(ca);
    free(cb);
}

static void test_sort_and_distinct(void **state)
{
    (void)state;
    double a[] = {3.5, -0.0, -1e300, 2.0, 1e-310, -2.5, 0.0, 3.5, 1e300, -1e-310, 2.0, 2.0};
    double want[] = {-1e300, -2.5, -1e-310, -0.0, 0.0, 1e-310, 2.0, 2.0, 2.0, 3.5, 3.5, 1e300};
    assert_int_equal(ll_stats_sort(a, N(a)), 0);
    for (size_t i = 0; i < N(a); i++) assert_true(a[i] == want[i]);
    /* a column with missing values: NaN skipped, -0.0 and 0.0 one value */
    double v[] = {5, NAN, 1, -0.0, 5, 0.0, NAN, 1, 5, 7};
    double *vals;
    size_t *cnt, k, nobs;
    assert_int_equal(ll_stats_distinct(v, N(v), &vals, &cnt, &k, &nobs), 0);
    assert_int_equal(nobs, 8);
    assert_int_equal(k, 4);
    double wv[] = {0, 1, 5, 7};
    size_t wc[] = {2, 2, 3, 1};
    for (size_t i = 0; i < k; i++) {
        assert_true(vals[i] == wv[i]);
        assert_int_equal(cnt[i], wc[i]);
    }
    assert_false(signbit(vals[0]));
    free(vals);
    free(cnt);
    /* a larger pseudo-random array must come out ascending */
    size_t n = 100000;
    double *big = malloc(n * sizeof *big);
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        big[i] = ((double)(s % 2000001) - 1000000.0) / 64.0;
    }
    /* distinct values of large samples: few values (counted in a table), many (sorted) */
    for (int many = 0; many < 2; many++) {
        double *col = malloc(n * sizeof *col), *sorted = malloc(n * sizeof *sorted);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            col[i] = many ? big[i] : (double)((i * 7919) % 1009) - 300.5;
            if (i % 97 == 0) col[i] = NAN;
            if (!isnan(col[i])) sorted[m++] = col[i];
        }
        assert_int_equal(ll_stats_sort(sorted, m), 0);
        assert_int_equal(ll_stats_distinct(col, n, &vals, &cnt, &k, &nobs), 0);
        assert_int_equal(nobs, m);
        size_t pos = 0;
        for (size_t i = 0; i < k; i++) {
            assert_true(i == 0 || vals[i - 1] < vals[i]);
            for (size_t c = 0; c < cnt[i]; c++) assert_true(sorted[pos++] == vals[i]);
        }
        assert_int_equal(pos, m);
        if (!many) assert_int_equal(k, 1009);
        free(vals);
        free(cnt);
        free(col);
        free(sorted);
    }
    assert_int_equal(ll_stats_sort(big, n), 0);
    for (size_t i = 1; i < n; i++) assert_true(big[i - 1] <= big[i]);
    free(big);
}

static void test_ks_exact_with_ties(void **state)
{
    (void)state;
    static const double a1[] = {1, 2, 2, 3, 3, 3, 4, 5}, b1[] = {2, 3, 3, 4, 4, 4, 5, 6, 6, 7};
    static const double a2[] = {0.5, 0.5, 1.5, 2.5, 2.5, 2.5, 3.5};
    static const double b2[] = {0.5, 1.5, 1.5, 2.5, 3.5, 3.5, 4.5, 4.5, 5.5};
    static const double a3[] = {1, 1, 1, 2, 2, 3}, b3[] = {1, 2, 3, 3, 3, 3};
    static const double a4[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3,
                                2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5};
    static const double b4[] = {2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5, 9, 0, 4, 5, 2, 3,
                                5, 3, 6, 0, 2, 8, 7, 4, 7, 1, 3, 5, 2, 6, 6, 2, 4, 9,
                                7, 7, 5, 7, 2, 4, 7, 0, 9, 3, 6, 9, 9, 9, 5, 7};
    static const double a5[] = {1, 2, 3};
    struct {
        const double *a, *b;
        size_t na, nb;
        double d, p;
    } c[] = {
        {a1, b1, N(a1), N(b1), 0.45, 0.2475433063668358},
        {a2, b2, N(a2), N(b2), 0.4126984126984127, 0.4302447552447553},
        {a3, b3, N(a3), N(b3), 0.5, 0.474025974025974}, /* equal sizes */
        {a4, b4, N(a4), N(b4), 0.08413461538461539, 0.9960618476131777},
        {a5, a5, N(a5), N(a5), 0.0, 1.0},
    };
    for (size_t i = 0; i < N(c); i++) {
        double d, p;
        int exact;
        ks_raw(c[i].a, c[i].na, c[i].b, c[i].nb, &d, &p, &exact);
        assert_true(exact);
        check_rel(d, c[i].d, 1e-12, "ks D");
        check_rel(p, c[i].p, 1e-6, "ks exact p");
    }
}

static void test_ks_generated_samples(void **state)
{
    (void)state;
    /* x_i = (i*7919 mod 10007)/100 (12000 values), y_i = (i*104729 mod 10009)/100 + shift
     * (15000 values): the asymptotic branch; first 9000 / 7000 of them: the exact one */
    size_t nx = 12000, ny = 15000;
    double *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *y2 = malloc(ny * sizeof *y2);
    for (size_t i = 0; i < nx; i++) x[i] = (double)((i * 7919) % 10007) / 100.0;
    for (size_t i = 0; i < ny; i++) {
        y[i] = (double)((i * 104729) % 10009) / 100.0 + 0.3;
        y2[i] = (double)((i * 104729) % 10009) / 100.0 + 2.0;
    }
    double d, p;
    int exact;
    ks_raw(x, nx, y, ny, &d, &p, &exact);
    assert_false(exact);
    check_rel(d, 0.003750000000000031, 1e-12, "ks D asymptotic");
    check_rel(p, 0.9999813925571028, 1e-6, "ks p asymptotic");
    ks_raw(x, nx, y2, ny, &d, &p, &exact);
    assert_false(exact);
    check_rel(d, 0.020749999999999935, 1e-12, "ks D asymptotic shifted");
    check_rel(p, 0.006331828521403476, 1e-6, "ks p asymptotic shifted");
    ks_raw(x, 9000, y, 7000, &d, &p, &exact);
    assert_true(exact);
    check_rel(d, 0.004206349206349207, 1e-12, "ks D exact large");
    check_rel(p, 0.999999718820063, 1e-6, "ks p exact large");
    free(x);
    free(y);
    free(y2);
}

static void test_ks_pvalue_paths(void **state)
{
    (void)state;
    /* scipy.stats.kstwo.sf(d, n): Ruben-Gambino, Durbin matrix, Pomeranz, Pelz-Good,
     * Smirnov and the n > 1e6 approximation */
    struct {
        long n;
        double d, sf;
    } k[] = {
        {5, 0.3, 0.664},
        {50, 0.1, 0.6623112704658186},
        {100, 0.05, 0.9532159710635725},
        {140, 0.2, 2.1981563302200222e-05},
        {120, 0.12, 0.05796867022718439},
        {500, 0.03, 0.7473166700457021},
        {20000, 0.005, 0.6974088406327613},
        {50000, 0.012, 1.105458913692487e-06},
        {300000, 0.001, 0.9247850590866779},
        {500000, 0.003, 0.00024632301239186754},
        {2000000, 0.001, 0.03660662431970485},
        {2000000, 0.0015, 0.00024657290508461606},
        {1000, 0.6, 0.0},
    };
    for (size_t i = 0; i < N(k); i++)
        check_rel(ll_stats_kolmogn_sf(k[i].n, k[i].d), k[i].sf, 1e-6, "kstwo.sf");
    /* ks_2samp's p for a given D: exact up to 10000 per sample, else kstwo with n = mn/(m+n) */
    struct {
        double d;
        size_t n1, n2;
        double p;
        int exact;
    } c[] = {
        {0.05, 20000, 20000, 3.632631514370292e-22, 0},
        {0.01, 1000000, 1000000, 7.374635645083527e-44, 0},
        {0.002, 1000000, 1000000, 0.036582179671620585, 0},
        {0.1, 3000, 5000, 9.18477515602574e-17, 1},
        {0.02, 9999, 10000, 0.03589605170521495, 1},
        {0.3, 40, 60, 0.02254577544638676, 1},
    };
    for (size_t i = 0; i < N(c); i++) {
        int exact;
        double p = ll_stats_ks_2samp_pvalue(c[i].d, c[i].n1, c[i].n2, NULL, &exact);
        assert_int_equal(exact, c[i].exact);
        check_rel(p, c[i].p, 1e-6, "ks p from D");
    }
    struct {
        long n;
        double x, sf;
    } s[] = {{10, 0.3, 0.1354635556},
             {500, 0.05, 0.07937040397120126},
             {500000, 0.003, 0.00012316150619593377},
             {1013, 0.04, 0.03805515040827917}};
    for (size_t i = 0; i < N(s); i++)
        check_rel(ll_stats_smirnov(s[i].n, s[i].x), s[i].sf, 1e-6, "smirnov");
    double kx[] = {0.3, 0.82, 1.0, 1.5, 3.0};
    double kv[] = {0.9999906941986655, 0.5119717052984973, 0.26999967167735456,
                   0.022217962616525127, 3.045995948942526e-08};
    for (size_t i = 0; i < N(kx); i++)
        check_rel(ll_stats_kolmogorov(kx[i]), kv[i], 1e-6, "kolmogorov");
}

static void test_chi2_and_gamma(void **state)
{
    (void)state;
    struct {
        double x, k, p;
    } c[] = {
        {0.5, 1.0, 0.47950012218695337},          {3.84, 1.0, 0.05004352124870519},
        {10.0, 3.0, 0.01856613546304325},         {25.0, 10.0, 0.005345505487134069},
        {0.001, 2.0, 0.9995001249791693},         {100.0, 5.0, 5.285148360943219e-20},
        {500.0, 3.0, 4.771672031912771e-108},     {1200.0, 50.0, 2.1083012303635564e-218},
        {60.0, 49.0, 0.1348643465253207},         {0.2, 30.0, 1.0},
        {1500.0, 1000.0, 1.0454640385980825e-22}, {2.5, 2.5, 0.38147122800307387},
    };
    for (size_t i = 0; i < N(c); i++)
        check_rel(ll_stats_chi2_sf(c[i].x, c[i].k), c[i].p, 1e-6, "chi2.sf");
    struct {
        double a, x, p, q;
    } g[] = {
        {0.5, 0.2, 0.47291074313446196, 0.5270892568655381},
        {3.0, 2.0, 0.32332358381693654, 0.6766764161830634},
        {10.0, 12.0, 0.7576078383294875, 0.24239216167051245},
        {100.0, 90.0, 0.15822098918643007, 0.84177901081357},
    };
    for (size_t i = 0; i < N(g); i++) {
        check_rel(ll_stats_igam(g[i].a, g[i].x), g[i].p, 1e-10, "gammainc");
        check_rel(ll_stats_igamc(g[i].a, g[i].x), g[i].q, 1e-10, "gammaincc");
    }
    double obs[] = {30, 14, 34, 45, 57, 20}, ex[] = {20, 20, 30, 40, 60, 30};
    double stat, p;
    ll_stats_chisquare(obs, ex, N(obs), &stat, &p);
    check_rel(stat, 11.441666666666666, 1e-12, "chisquare statistic");
    check_rel(p, 0.04329313031580497, 1e-6, "chisquare p");
    /* a category the expected counts never saw: infinite statistic, p 0 */
    double obs2[] = {5, 5, 1}, ex2[] = {5.5, 5.5, 0};
    ll_stats_chisquare(obs2, ex2, 3, &stat, &p);
    assert_true(isinf(stat));
    assert_true(p == 0.0);
}

static void test_ztest(void **state)
{
    (void)state;
    struct {
        double k1, n1, k2, n2, z, p;
    } c[] = {
        {30, 100, 45, 120, -1.1685534824642432, 0.24258357934832098},
        {500, 1000, 520, 1000, -0.894606130121643, 0.37099767373660797},
        {10, 800, 40, 600, -5.4046162253401375, 6.494729923562672e-08},
        {3, 10, 3, 10, 0.0, 1.0},
    };
    for (size_t i = 0; i < N(c); i++) {
        double z, p;
        ll_stats_ztest_2prop(c[i].k1, c[i].n1, c[i].k2, c[i].n2, &z, &p);
        check_rel(z, c[i].z, 1e-12, "z");
        check_rel(p, c[i].p, 1e-6, "z-test p");
    }
    check_rel(ll_stats_norm_sf(1.959963984540054), 0.025, 1e-12, "norm.sf");
}

static void test_distances(void **state)
{
    (void)state;
    double u[] = {0.0, 1.0, 3.0, 3.0, 7.5}, v[] = {5.0, 6.0, 8.0, 1.0, 1.0, 2.5};
    double *vu, *vv;
    size_t *cu, *cv, ku, kv, ou, ov;
    assert_int_equal(ll_stats_distinct(u, N(u), &vu, &cu, &ku, &ou), 0);
    assert_int_equal(ll_stats_distinct(v, N(v), &vv, &cv, &kv, &ov), 0);
    check_rel(ll_stats_wasserstein(vu, cu, ku, vv, cv, kv), 1.2166666666666668, 1e-12,
              "wasserstein");
    free(vu);
    free(vv);
    free(cu);
    free(cv);
    /* counts NULL: each distinct value once */
    double u2[] = {-2.0, -1.5, 0.0, 0.25, 4.0}, v2[] = {-3.0, 0.25, 9.0};
    size_t c2[] = {1, 1, 1, 1, 3}, d2[] = {1, 2, 1};
    check_rel(ll_stats_wasserstein(u2, c2, N(u2), v2, d2, N(v2)), 2.3214285714285716, 1e-12,
              "wasserstein counts");
    double one[] = {1, 2, 3};
    check_rel(ll_stats_wasserstein(one, NULL, 3, one, NULL, 3), 0.0, 0, "wasserstein same");

    double p1[] = {0.5, 0.3, 0.2}, q1[] = {0.1, 0.1, 0.8};
    double p2[] = {10, 0, 5, 5}, q2[] = {0, 10, 5, 1};
    double p3[] = {1, 2, 3, 4, 5}, q3[] = {5, 4, 3, 2, 1};
    check_rel(ll_stats_jensenshannon(p1, q1, 3), 0.44193956284451197, 1e-12, "js");
    check_rel(ll_stats_jensenshannon(p2, q2, 4), 0.6494238665649009, 1e-12, "js zeros");
    check_rel(ll_stats_jensenshannon(p3, q3, 5), 0.34595894782981007, 1e-12, "js unnormalised");
}

static void test_psi_and_floor(void **state)
{
    (void)state;
    /* Evidently: zeros become 0.0001, or min/1e6 when the smallest share is <= 0.0001 */
    double a[] = {0.5, 0.0, 0.5}, b[] = {0.99995, 0.00005, 0.0};
    ll_stats_floor_zero_shares(a, 3);
    ll_stats_floor_zero_shares(b, 3);
    assert_true(a[1] == 0.0001);
    check_rel(b[2], 0.00005 / 1e6, 1e-15, "floor small");
    double p[] = {0.25, 0.25, 0.5}, q[] = {0.5, 0.25, 0.25};
    /* (0.5-0.25) ln 2 + 0 + (0.25-0.5) ln 0.5 = 0.5 ln 2 */
    check_rel(ll_stats_psi(p, q, 3), 0.5 * log(2.0), 1e-15, "psi");
}

static void test_quantile_and_std(void **state)
{
    (void)state;
    double a[] = {3.5, -1.0, 2.0, 2.0, 7.25, 0.0, 10.0, 2.0, 5.5};
    double want[] = {-1.0,
                     -0.19999999999999996,
                     1.2000000000000002,
                     2.0,
                     2.0,
                     2.0,
                     3.200000000000001,
                     4.700000000000001,
                     6.200000000000001,
                     7.800000000000001,
                     10.0};
    double *v;
    size_t *c, k, n;
    assert_int_equal(ll_stats_distinct(a, N(a), &v, &c, &k, &n), 0);
    for (int i = 0; i <= 10; i++) {
        double q = ll_stats_quantile(v, c, k, n, i == 10 ? 1.0 : i * 0.1);
        assert_true(q == want[i]); /* bit-identical to numpy.quantile */
    }
    /* population standard deviation, numpy.std(a) */
    check_rel(ll_stats_std(v, c, k), 3.3259176771323924, 1e-12, "std");
    free(v);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_and_distinct),
        cmocka_unit_test(test_ks_exact_with_ties),
        cmocka_unit_test(test_ks_generated_samples),
        cmocka_unit_test(test_ks_pvalue_paths),
        cmocka_unit_test(test_chi2_and_gamma),
        cmocka_unit_test(test_ztest),
        cmocka_unit_test(test_distances),
        cmocka_unit_test(test_psi_and_floor),
        cmocka_unit_test(test_quantile_and_std),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
