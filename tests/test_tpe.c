/* Unit tests for tpe: Parzen estimators against Optuna's formulas, the sampler, the pruner. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tpe.h"

/* Expected values were computed at authoring time by porting Optuna 4's _ParzenEstimator,
 * _MixtureOfProductDistribution.log_pdf, default_weights and default_gamma to numpy/scipy
 * (scipy.stats.truncnorm, scipy.special.ndtri / log_ndtr / logsumexp, numpy.nanpercentile). */

static void assert_close(double got, double want, double tol)
{
    if (isinf(want) && got == want) return;
    if (!(fabs(got - want) <= tol * (fabs(want) > 1 ? fabs(want) : 1))) {
        print_error("got %.17g, want %.17g\n", got, want);
        fail();
    }
}

static void assert_array(const double *got, const double *want, int n, double tol)
{
    for (int i = 0; i < n; i++) assert_close(got[i], want[i], tol);
}

static void test_gamma_and_weights(void **state)
{
    (void)state;
    const int n[] = {0, 1, 9, 10, 11, 100, 250, 251, 1000};
    const int want[] = {0, 1, 1, 1, 2, 10, 25, 25, 25};
    for (size_t i = 0; i < sizeof n / sizeof *n; i++) assert_int_equal(ll_tpe_gamma(n[i]), want[i]);
    double w[30];
    ll_tpe_weights(10, w);
    for (int i = 0; i < 10; i++) assert_true(w[i] == 1.0);
    ll_tpe_weights(30, w);
    const double w30[5] = {0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1.0};
    assert_array(w, w30, 5, 1e-15);
    for (int i = 5; i < 30; i++) assert_true(w[i] == 1.0);
    ll_tpe_weights(26, w); /* linspace with one point is its start */
    assert_close(w[0], 1.0 / 26, 1e-15);
}

static void test_normal_helpers(void **state)
{
    (void)state;
    const double p[] = {1e-300, 1e-20, 0.001, 0.02425, 0.3, 0.5, 0.975, 0.999999};
    const double want[] = {-37.0470962993612,  -9.262340089798409,  -3.090232306167813,
                           -1.972961051311885, -0.5244005127080409, 0.0,
                           1.959963984540054,  4.753424308817087};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        assert_close(ll_tpe_ndtri(p[i]), want[i], 1e-13);
    assert_true(isinf(ll_tpe_ndtri(0)) && ll_tpe_ndtri(0) < 0);
    assert_close(ll_tpe_log_gauss_mass(-1, 2), -0.20016629432446262, 1e-13);
    assert_close(ll_tpe_log_gauss_mass(-40, -38), -726.5572160188201, 1e-13); /* scipy: -inf */
    assert_close(ll_tpe_log_gauss_mass(5, 6), -15.068446096529454, 1e-12);
    assert_close(ll_tpe_log_gauss_mass(-0.1, 0.1), -2.5300420015472382, 1e-13);
    assert_close(ll_tpe_log_gauss_mass(-3, -2.5), -5.326764724079062, 1e-13);
}

static void fit(const ll_tpe_dist *d, const double *obs, int n, ll_tpe_parzen *p)
{
    ll_tpe_options o;
    ll_tpe_options_default(&o);
    ll_error err;
    assert_int_equal(ll_tpe_parzen_fit(d, obs, n, &o, p, &err), LL_OK);
    assert_int_equal(p->n, n + 1);
}

static void test_parzen_float(void **state)
{
    (void)state;
    ll_tpe_dist d = {LL_TPE_FLOAT, 0, 10, 0, 0, 0};
    const double obs[] = {1.0, 2.5, 7.0};
    ll_tpe_parzen p;
    fit(&d, obs, 3, &p);
    const double mu[] = {1.0, 2.5, 7.0, 5.0}, sg[] = {2.0, 2.5, 2.0, 10.0};
    const double w[] = {0.25, 0.25, 0.25, 0.25};
    assert_array(p.mu, mu, 4, 1e-15);
    assert_array(p.sigma, sg, 4, 1e-15);
    assert_array(p.weight, w, 4, 1e-15);
    const double x[] = {0.0, 1.0, 3.3, 9.9};
    const double lp[] = {-2.158019252990514, -1.9919691937973378, -2.1397946454277346,
                         -3.1611130253641395};
    for (int i = 0; i < 4; i++) assert_close(ll_tpe_parzen_log_pdf(&p, x[i]), lp[i], 1e-12);
    assert_true(isinf(ll_tpe_parzen_log_pdf(&p, 10.5)));
    ll_tpe_parzen_free(&p);

    /* one observation: both its neighbours are the prior's centre */
    ll_tpe_dist u = {LL_TPE_FLOAT, 0, 1, 0, 0, 0};
    const double half = 0.5;
    fit(&u, &half, 1, &p);
    assert_close(p.sigma[0], 0.3333333333333333, 1e-15); /* magic clip: 1 / (1 + 2) */
    assert_close(p.sigma[1], 1.0, 1e-15);
    ll_tpe_parzen_free(&p);
}

static void test_parzen_log_float(void **state)
{
    (void)state;
    ll_tpe_dist d = {LL_TPE_FLOAT, 0.01, 0.3, 0, 1, 0};
    const double obs[] = {0.02, 0.05, 0.2, 0.1};
    ll_tpe_parzen p;
    fit(&d, obs, 4, &p);
    const double mu[] = {-3.912023005428146, -2.995732273553991, -1.6094379124341003,
                         -2.3025850929940455, -2.9045714951570134};
    const double sg[] = {0.9162907318741551, 0.9162907318741551, 0.6931471805599452,
                         0.6931471805599452, 3.401197381662155};
    assert_array(p.mu, mu, 5, 1e-14);
    assert_array(p.sigma, sg, 5, 1e-14);
    for (int i = 0; i < 5; i++) assert_close(p.weight[i], 0.2, 1e-15);
    assert_close(p.low, -4.605170185988091, 1e-15);
    assert_close(p.high, -1.203972804325936, 1e-15);
    const double x[] = {0.01, 0.03, 0.25};
    const double lp[] = {-1.838770060491775, -1.2988770015241389, -1.2712495002921749};
    for (int i = 0; i < 3; i++) assert_close(ll_tpe_parzen_log_pdf(&p, x[i]), lp[i], 1e-12);
    ll_tpe_parzen_free(&p);
}

static void test_parzen_int(void **state)
{
    (void)state;
    ll_tpe_dist d = {LL_TPE_INT, 3, 10, 1, 0, 0};
    const double obs[] = {3, 5, 5, 9};
    ll_tpe_parzen p;
    fit(&d, obs, 4, &p);
    const double mu[] = {3, 5, 5, 9, 6.5}, sg[] = {2.0, 2.0, 1.5, 2.5, 8.0};
    assert_array(p.mu, mu, 5, 1e-15);
    assert_array(p.sigma, sg, 5, 1e-15);
    assert_close(p.low, 2.5, 0);
    assert_close(p.high, 10.5, 0);
    const double x[] = {3, 4, 5, 10};
    const double lp[] = {-1.9476504293145491, -1.7560539286676502, -1.7283702899645264,
                         -2.706335760873398};
    double total = 0;
    for (int i = 0; i < 4; i++) assert_close(ll_tpe_parzen_log_pdf(&p, x[i]), lp[i], 1e-12);
    for (int v = 3; v <= 10; v++) total += exp(ll_tpe_parzen_log_pdf(&p, v));
    assert_close(total, 1.0, 1e-12); /* a probability mass function over the grid */
    ll_tpe_parzen_free(&p);

    /* no observation: the prior alone */
    fit(&d, NULL, 0, &p);
    assert_close(p.mu[0], 6.5, 0);
    assert_close(p.sigma[0], 8.0, 0);
    assert_close(p.weight[0], 1.0, 0);
    assert_close(ll_tpe_parzen_log_pdf(&p, 6), -2.041065196528563, 1e-12);
    ll_tpe_parzen_free(&p);
}

static void test_parzen_log_int_ramp(void **state)
{
    (void)state;
    ll_tpe_dist d = {LL_TPE_INT, 1, 100, 1, 1, 0};
    double obs[30];
    for (int i = 0; i < 30; i++) obs[i] = i % 10 + 1;
    ll_tpe_parzen p;
    fit(&d, obs, 30, &p);
    const double w[5] = {0.0011661807580174927, 0.009620991253644314, 0.018075801749271137,
                         0.026530612244897955, 0.034985422740524776};
    assert_array(p.weight, w, 5, 1e-14);
    assert_close(p.weight[30], 0.034985422740524776, 1e-14);
    const double sg[6] = {0.16572827837684612, 0.6931471805599453, 0.4054651081081643,
                          0.287682072451781,   0.2231435513142097, 0.18232155679395468};
    assert_array(p.sigma, sg, 6, 1e-14);
    assert_close(p.sigma[20], 0.6931471805599453, 1e-14);
    assert_close(p.sigma[30], 5.303304908059076, 1e-14);
    assert_close(p.mu[30], 1.9585052734695925, 1e-14);
    assert_close(p.low, -0.6931471805599453, 1e-15);
    assert_close(p.high, 4.61015772749913, 1e-14);
    assert_close(ll_tpe_parzen_log_pdf(&p, 1), -2.522950117317412, 1e-11);
    assert_close(ll_tpe_parzen_log_pdf(&p, 10), -2.817189601031239, 1e-11);
    assert_close(ll_tpe_parzen_log_pdf(&p, 64), -9.225107300053024, 1e-11);
    ll_tpe_parzen_free(&p);
}

static void test_parzen_categorical(void **state)
{
    (void)state;
    ll_tpe_dist d = {LL_TPE_CATEGORICAL, 0, 2, 0, 0, 3};
    const double obs[] = {0, 2, 2};
    ll_tpe_parzen p;
    fit(&d, obs, 3, &p);
    const double lp[] = {-1.0986122886681098, -1.6582280766035324, -0.7419373447293772};
    for (int c = 0; c < 3; c++) assert_close(ll_tpe_parzen_log_pdf(&p, c), lp[c], 1e-13);
    ll_tpe_rng r;
    ll_tpe_rng_seed(&r, 7);
    int count[3] = {0};
    for (int i = 0; i < 30000; i++) {
        double c = ll_tpe_parzen_sample(&p, &r);
        assert_true(c == 0 || c == 1 || c == 2);
        count[(int)c]++;
    }
    for (int c = 0; c < 3; c++) assert_close(count[c] / 30000.0, exp(lp[c]), 0.02);
    ll_tpe_parzen_free(&p);
}

/* Samples stay on the grid and inside the bounds, and follow the estimator's mass. */
static void test_parzen_sampling(void **state)
{
    (void)state;
    ll_tpe_dist d = {LL_TPE_INT, 3, 10, 1, 0, 0};
    const double obs[] = {3, 5, 5, 9};
    ll_tpe_parzen p;
    fit(&d, obs, 4, &p);
    ll_tpe_rng r;
    ll_tpe_rng_seed(&r, 11);
    int count[11] = {0};
    const int n = 40000;
    for (int i = 0; i < n; i++) {
        double v = ll_tpe_parzen_sample(&p, &r);
        assert_true(v >= 3 && v <= 10 && v == floor(v));
        count[(int)v]++;
    }
    for (int v = 3; v <= 10; v++)
        assert_close(count[v] / (double)n, exp(ll_tpe_parzen_log_pdf(&p, v)), 0.01);
    ll_tpe_parzen_free(&p);

    ll_tpe_dist lf = {LL_TPE_FLOAT, 0.01, 0.3, 0, 1, 0};
    fit(&lf, NULL, 0, &p);
    for (int i = 0; i < 5000; i++) {
        double v = ll_tpe_parzen_sample(&p, &r);
        assert_true(v >= 0.01 && v <= 0.3);
    }
    ll_tpe_parzen_free(&p);
}

/* The startup trials are uniform draws (log-uniform for log dimensions). */
static void test_startup_random(void **state)
{
    (void)state;
    ll_tpe_dist space[3] = {{LL_TPE_INT, 3, 10, 1, 0, 0},
                            {LL_TPE_FLOAT, 0.01, 0.3, 0, 1, 0},
                            {LL_TPE_FLOAT, 0.5, 1, 0, 0, 0}};
    ll_tpe_options o;
    ll_tpe_options_default(&o);
    ll_tpe_rng r, r2;
    ll_tpe_rng_seed(&r, 5);
    ll_tpe_rng_seed(&r2, 5);
    int count[11] = {0}, below_gmean = 0;
    const int n = 8000;
    double x[3];
    ll_error err;
    ll_tpe_obs hist[9];
    double xs[9][3];
    for (int i = 0; i < 9; i++) { /* nine finished trials: still below n_startup_trials */
        for (int d = 0; d < 3; d++) xs[i][d] = space[d].low;
        hist[i] = (ll_tpe_obs){LL_TPE_COMPLETE, xs[i], 0.5 + i * 0.01, -1, NAN};
    }
    for (int i = 0; i < n; i++) {
        assert_int_equal(ll_tpe_suggest(space, 3, hist, 9, &o, &r, x, &err), LL_OK);
        for (int d = 0; d < 3; d++) assert_true(x[d] == ll_tpe_sample_random(&space[d], &r2));
        assert_true(x[0] >= 3 && x[0] <= 10 && x[0] == floor(x[0]));
        assert_true(x[1] >= 0.01 && x[1] <= 0.3);
        assert_true(x[2] >= 0.5 && x[2] <= 1);
        count[(int)x[0]]++;
        below_gmean += x[1] < sqrt(0.01 * 0.3);
    }
    for (int v = 3; v <= 10; v++) assert_close(count[v] / (double)n, 0.125, 0.02);
    assert_close(below_gmean / (double)n, 0.5, 0.03);
}

static void test_split(void **state)
{
    (void)state;
    double x = 0;
    /* 11 usable trials -> 2 in the good set: the two best completed ones */
    ll_tpe_obs h[13];
    for (int i = 0; i < 13; i++)
        h[i] = (ll_tpe_obs){LL_TPE_COMPLETE, &x, 0.60 + 0.001 * i, -1, NAN};
    h[3].value = 0.9;
    h[7].value = 0.8;
    h[5] = (ll_tpe_obs){LL_TPE_PRUNED, &x, NAN, 40, 0.99}; /* pruned: ranks after completed */
    h[6] = (ll_tpe_obs){LL_TPE_FAIL, &x, NAN, -1, NAN};
    h[9] = (ll_tpe_obs){LL_TPE_RUNNING, &x, NAN, -1, NAN};
    signed char below[13];
    assert_int_equal(ll_tpe_split(h, 13, 1, below), 11);
    for (int i = 0; i < 13; i++) {
        int want = (i == 3 || i == 7) ? 1 : (i == 6 || i == 9) ? -1 : 0;
        assert_int_equal(below[i], want);
    }
    /* minimising: the smallest completed values */
    assert_int_equal(ll_tpe_split(h, 13, 0, below), 11);
    assert_int_equal(below[0], 1);
    assert_int_equal(below[1], 1);
    assert_int_equal(below[3], 0);
    /* only pruned trials: the ones that got further win, then the better value */
    ll_tpe_obs p[12];
    for (int i = 0; i < 12; i++) p[i] = (ll_tpe_obs){LL_TPE_PRUNED, &x, NAN, 10, 0.5};
    p[4].last_step = 30;
    p[8].last_value = 0.7;
    p[2].last_step = -1; /* pruned before reporting: last */
    assert_int_equal(ll_tpe_split(p, 12, 1, below), 12);
    for (int i = 0; i < 12; i++) assert_int_equal(below[i], i == 4 || i == 8);
}

/* A small study: f is maximised over the space; returns the best value after n trials. */
typedef double (*objective_fn)(const double *x);

static double run_study(const ll_tpe_dist *space, int ndim, objective_fn f, int n, uint64_t seed,
                        int startup, double (*xs)[4])
{
    ll_tpe_options o;
    ll_tpe_options_default(&o);
    o.n_startup_trials = startup;
    ll_tpe_rng r;
    ll_tpe_rng_seed(&r, seed);
    ll_tpe_obs hist[200];
    double best = -INFINITY;
    ll_error err;
    for (int t = 0; t < n; t++) {
        assert_int_equal(ll_tpe_suggest(space, ndim, hist, (size_t)t, &o, &r, xs[t], &err), LL_OK);
        double v = f(xs[t]);
        hist[t] = (ll_tpe_obs){LL_TPE_COMPLETE, xs[t], v, -1, NAN};
        if (v > best) best = v;
    }
    return best;
}

static double bowl(const double *x)
{
    return -(x[0] - 0.3) * (x[0] - 0.3) - (x[1] - 0.7) * (x[1] - 0.7);
}

static double depth_eta(const double *x)
{
    /* an AUC-like surface peaking at depth 4 and eta 0.03 (log) */
    double a = (x[0] - 4) / 3, b = (log(x[1]) - log(0.03)) / 1.5;
    return 0.73 - 0.02 * a * a - 0.02 * b * b;
}

static void test_deterministic(void **state)
{
    (void)state;
    static double xa[60][4], xb[60][4], xc[60][4];
    ll_tpe_dist space[2] = {{LL_TPE_FLOAT, 0, 1, 0, 0, 0}, {LL_TPE_FLOAT, 0, 1, 0, 0, 0}};
    run_study(space, 2, bowl, 60, 42, 10, xa);
    run_study(space, 2, bowl, 60, 42, 10, xb);
    run_study(space, 2, bowl, 60, 43, 10, xc);
    assert_memory_equal(xa, xb, sizeof xa);
    assert_memory_not_equal(xa, xc, sizeof xa);
}

/* Over 50 trials TPE finds better points than random search (the same generator without the
 * switch to TPE): on the bowl for every seed tried, on the integer x log surface in total. */
static void test_beats_random(void **state)
{
    (void)state;
    static double xs[60][4];
    ll_tpe_dist bowl_space[2] = {{LL_TPE_FLOAT, 0, 1, 0, 0, 0}, {LL_TPE_FLOAT, 0, 1, 0, 0, 0}};
    ll_tpe_dist de_space[2] = {{LL_TPE_INT, 1, 12, 1, 0, 0}, {LL_TPE_FLOAT, 0.001, 1, 0, 1, 0}};
    double tpe_sum = 0, rnd_sum = 0, tpe_de = 0, rnd_de = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        double t = run_study(bowl_space, 2, bowl, 50, seed, 10, xs);
        double r = run_study(bowl_space, 2, bowl, 50, seed, 1000, xs);
        assert_true(t > r);
        tpe_sum += t;
        rnd_sum += r;
        tpe_de += 0.73 - run_study(de_space, 2, depth_eta, 50, seed, 10, xs);
        rnd_de += 0.73 - run_study(de_space, 2, depth_eta, 50, seed, 1000, xs);
    }
    /* regret (distance to the optimum) summed over the seeds: several times smaller */
    assert_true(-tpe_sum * 5 < -rnd_sum);
    assert_true(tpe_de * 2 < rnd_de);
    /* the suggestions concentrate near the optimum once TPE is on (random: 9 % of the square) */
    int near[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        run_study(bowl_space, 2, bowl, 50, 9, k ? 1000 : 10, xs);
        for (int t = 30; t < 50; t++)
            near[k] += fabs(xs[t][0] - 0.3) < 0.15 && fabs(xs[t][1] - 0.7) < 0.15;
    }
    assert_true(near[0] >= 6 && near[0] >= 3 * near[1]);
}

static void test_percentile(void **state)
{
    (void)state;
    const double a[] = {0.7, 0.71, NAN, 0.69, 0.8}, b[] = {1, 2, 3, 4, 5, 6, 7};
    assert_close(ll_tpe_percentile(a, 5, 50), 0.705, 1e-15);
    assert_close(ll_tpe_percentile(b, 7, 25), 2.5, 1e-15);
    assert_close(ll_tpe_percentile(b, 7, 50), 4, 0);
    const double n[] = {NAN, NAN};
    assert_true(isnan(ll_tpe_percentile(n, 2, 50)));
}

/* MedianPruner decisions on a hand-made history: completed trials' values at the step are
 * {0.60, 0.64, 0.70, 0.72, 0.75, 0.80} (median 0.71). */
static void test_pruner(void **state)
{
    (void)state;
    ll_tpe_pruner p;
    ll_tpe_pruner_default(&p);
    assert_true(p.percentile == 50 && p.n_startup_trials == 5 && p.n_warmup_steps == 0 &&
                p.interval_steps == 1 && p.n_min_trials == 1);
    const double at[] = {0.60, 0.64, 0.70, 0.72, 0.75, 0.80};
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 12, 11, 0.70, at, 6), 1);    /* below median */
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 12, 11, 0.71, at, 6), 0);    /* at the median */
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 12, 11, 0.73, at, 6), 0);    /* above */
    assert_int_equal(ll_tpe_pruner_check(&p, 4, 12, 11, 0.10, at, 4), 0);    /* < 5 completed */
    assert_int_equal(ll_tpe_pruner_check(&p, 0, 12, 11, 0.10, at, 0), 0);    /* none completed */
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 12, 11, NAN, at, 6), 1);     /* NaN best */
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 900, 899, 0.1, NULL, 0), 0); /* nobody got here */
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 0, -1, 0.59, at, 6), 1);     /* first step */
    /* warm-up and interval */
    p.n_warmup_steps = 10;
    p.interval_steps = 5;
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 9, 8, 0.1, at, 6), 0);
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 15, 14, 0.1, at, 6), 1);
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 16, 15, 0.1, at, 6), 0);
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 17, 12, 0.1, at, 6), 1); /* 15 was skipped */
    /* minimising: prune above the median */
    ll_tpe_pruner_default(&p);
    p.maximize = 0;
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 3, 2, 0.72, at, 6), 1);
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 3, 2, 0.70, at, 6), 0);
    /* another percentile: keep the top quarter when maximising */
    p.maximize = 1;
    p.percentile = 25;
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 3, 2, 0.74, at, 6), 1);
    assert_int_equal(ll_tpe_pruner_check(&p, 6, 3, 2, 0.75, at, 6), 0);
}

static void test_rng(void **state)
{
    (void)state;
    ll_tpe_rng a, b;
    ll_tpe_rng_seed(&a, 123);
    ll_tpe_rng_seed(&b, 123);
    double s = 0;
    for (int i = 0; i < 100000; i++) {
        double u = ll_tpe_rng_uniform(&a);
        assert_true(u >= 0 && u < 1);
        assert_true(u == ll_tpe_rng_uniform(&b));
        s += u;
    }
    assert_close(s / 100000, 0.5, 0.005);
    assert_string_equal(ll_tpe_state_name(LL_TPE_PRUNED), "PRUNED");
    assert_int_equal(ll_tpe_state_parse("complete"), LL_TPE_COMPLETE);
    assert_int_equal(ll_tpe_state_parse("bogus"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gamma_and_weights),
        cmocka_unit_test(test_normal_helpers),
        cmocka_unit_test(test_parzen_float),
        cmocka_unit_test(test_parzen_log_float),
        cmocka_unit_test(test_parzen_int),
        cmocka_unit_test(test_parzen_log_int_ramp),
        cmocka_unit_test(test_parzen_categorical),
        cmocka_unit_test(test_parzen_sampling),
        cmocka_unit_test(test_startup_random),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_beats_random),
        cmocka_unit_test(test_percentile),
        cmocka_unit_test(test_pruner),
        cmocka_unit_test(test_rng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
