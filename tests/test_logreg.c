/* Unit tests for logreg: scikit-learn 1.2.1 agreement on the lending club fixtures, threads,
 * progress, cancellation and parameter checks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "features.h"
#include "logreg.h"
#include "metrics.h"
#include "numfmt.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* ---- a tiny reader for the fixtures (plain comma-separated, no quoting, no missing cells) ---- */

typedef struct {
    size_t nrows, ncols;
    char **head;  /* ncols names */
    char ***cell; /* nrows x ncols strings */
    char *text;
} csvdata;

static void csv_free(csvdata *c)
{
    for (size_t r = 0; r < c->nrows; r++) free(c->cell[r]);
    free(c->cell);
    free(c->head);
    free(c->text);
}

static size_t split(char *line, char **out, size_t max)
{
    size_t k = 0;
    for (char *p = line;; p++) {
        if (k < max) out[k] = p;
        k++;
        p = strchr(p, ',');
        if (!p) break;
        *p = '\0';
    }
    return k;
}

static void csv_read(const char *path, csvdata *c)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    c->text = malloc((size_t)len + 1);
    assert_non_null(c->text);
    assert_int_equal(fread(c->text, 1, (size_t)len, f), (size_t)len);
    c->text[len] = '\0';
    fclose(f);
    size_t nl = 0;
    for (long i = 0; i < len; i++) nl += c->text[i] == '\n';
    char *save = NULL, *line = strtok_r(c->text, "\n", &save);
    char *fields[64];
    c->ncols = split(line, fields, 64);
    c->head = malloc(c->ncols * sizeof *c->head);
    memcpy(c->head, fields, c->ncols * sizeof *c->head);
    c->cell = malloc(nl * sizeof *c->cell);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        assert_int_equal(split(line, fields, 64), c->ncols);
        c->cell[c->nrows] = malloc(c->ncols * sizeof(char *));
        memcpy(c->cell[c->nrows], fields, c->ncols * sizeof(char *));
        c->nrows++;
    }
}

static size_t col_of(const csvdata *c, const char *name)
{
    for (size_t j = 0; j < c->ncols; j++)
        if (strcmp(c->head[j], name) == 0) return j;
    fail_msg("no column %s", name);
    return 0;
}

static double num_at(const csvdata *c, size_t r, size_t j)
{
    double v;
    const char *s = c->cell[r][j];
    assert_true(ll_numparse(s, strlen(s), &v));
    return v;
}

/* Design on rows of d: numeric columns standardised with train's mean and (population) std,
 * categoricals one-hot by level index in order of first appearance in train (unseen: -1). This
 * is exactly the matrix the scikit-learn reference was fitted on. */
static void build_design(const csvdata *train, const csvdata *d, const char *const *nums, int pnum,
                         const char *const *cats, int ncat, ll_design *X, double *means,
                         double *stds)
{
    memset(X, 0, sizeof *X);
    X->n = d->nrows;
    X->pnum = pnum;
    X->ncat = ncat;
    X->num = calloc((size_t)pnum + 1, sizeof *X->num);
    X->cat = calloc((size_t)ncat + 1, sizeof *X->cat);
    X->cat_levels = calloc((size_t)ncat + 1, sizeof *X->cat_levels);
    X->cat_offset = calloc((size_t)ncat + 1, sizeof *X->cat_offset);
    for (int j = 0; j < pnum; j++) {
        size_t cj = col_of(train, nums[j]);
        double s = 0, ss = 0;
        for (size_t r = 0; r < train->nrows; r++) s += num_at(train, r, cj);
        double mean = s / (double)train->nrows;
        for (size_t r = 0; r < train->nrows; r++) {
            double e = num_at(train, r, cj) - mean;
            ss += e * e;
        }
        double sd = sqrt(ss / (double)train->nrows);
        if (means) means[j] = mean;
        if (stds) stds[j] = sd;
        X->num[j] = malloc(d->nrows * sizeof(double));
        size_t dj = col_of(d, nums[j]);
        for (size_t r = 0; r < d->nrows; r++) X->num[j][r] = (num_at(d, r, dj) - mean) / sd;
    }
    int off = pnum;
    for (int g = 0; g < ncat; g++) {
        size_t cj = col_of(train, cats[g]), dj = col_of(d, cats[g]);
        const char *lv[64];
        int nl = 0;
        for (size_t r = 0; r < train->nrows; r++) {
            int k = 0;
            while (k < nl && strcmp(lv[k], train->cell[r][cj]) != 0) k++;
            if (k == nl) {
                assert_true(nl < 64);
                lv[nl++] = train->cell[r][cj];
            }
        }
        X->cat[g] = malloc(d->nrows * sizeof(int32_t));
        for (size_t r = 0; r < d->nrows; r++) {
            int k = 0;
            while (k < nl && strcmp(lv[k], d->cell[r][dj]) != 0) k++;
            X->cat[g][r] = k < nl ? k : -1;
        }
        X->cat_levels[g] = nl;
        X->cat_offset[g] = off;
        off += nl;
    }
    X->nweights = off;
}

static double *labels(const csvdata *d)
{
    size_t j = col_of(d, "Class");
    double *y = malloc(d->nrows * sizeof *y);
    for (size_t r = 0; r < d->nrows; r++) y[r] = strcmp(d->cell[r][j], "bad") == 0;
    return y;
}

static csvdata train, test;
static double *ytrain, *ytest;

static int setup(void **state)
{
    (void)state;
    csv_read("fixtures/lending_club_train.csv", &train);
    csv_read("fixtures/lending_club_test.csv", &test);
    ytrain = labels(&train);
    ytest = labels(&test);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    csv_free(&train);
    csv_free(&test);
    free(ytrain);
    free(ytest);
    return 0;
}

static const char *const all_nums[] = {"funded_amnt",
                                       "int_rate",
                                       "annual_inc",
                                       "delinq_2yrs",
                                       "inq_last_6mths",
                                       "revol_util",
                                       "acc_now_delinq",
                                       "open_il_6m",
                                       "open_il_12m",
                                       "open_il_24m",
                                       "total_bal_il",
                                       "all_util",
                                       "inq_fi",
                                       "inq_last_12m",
                                       "delinq_amnt",
                                       "num_il_tl",
                                       "total_il_high_credit_limit"};
static const char *const all_cats[] = {"term", "sub_grade", "addr_state", "verification_status",
                                       "emp_length"};

/* Whole fixture design: test AUC must reach 0.710. Reference: scikit-learn's
 * LogisticRegression(C=1, tol=1e-8, max_iter=10000, solver='newton-cg') on this very design:
 * test AUC 0.711945, objective 1397.0581097831, intercept -3.6405143066. */
static void test_lending_club_auc(void **state)
{
    (void)state;
    ll_design Xtr, Xte;
    build_design(&train, &train, all_nums, 17, all_cats, 5, &Xtr, NULL, NULL);
    build_design(&train, &test, all_nums, 17, all_cats, 5, &Xte, NULL, NULL);
    ll_logreg_params prm;
    ll_logreg_params_default(&prm);
    ll_logreg *m;
    ll_error err;
    assert_int_equal(ll_logreg_fit(&Xtr, ytrain, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err),
                     LL_OK);
    ll_logreg_info info;
    ll_logreg_get_info(m, &info);
    assert_true(info.converged);
    assert_true(info.grad_norm_rel <= 1e-6);
    NEAR(info.objective, 1397.0581097831, 1e-6);
    NEAR(ll_logreg_intercept(m), -3.6405143066, 1e-4);
    const double *w = ll_logreg_coef(m);
    NEAR(w[0], 0.0410035499, 1e-5);
    NEAR(w[1], 0.7967229605, 1e-5);
    NEAR(w[2], 0.1068177817, 1e-5);
    NEAR(w[4], 0.1000681731, 1e-5);
    double *p = malloc(test.nrows * sizeof *p), auc;
    assert_int_equal(ll_logreg_predict(m, &Xte, p), LL_OK);
    assert_int_equal(ll_metrics_auc(ytest, p, test.nrows, NULL, &auc, &err), LL_OK);
    assert_true(auc >= 0.710);
    NEAR(auc, 0.711945, 2e-4);
    free(p);
    ll_logreg_free(m);
    ll_design_free(&Xtr);
    ll_design_free(&Xte);
}

/* A small design: 5 numeric columns and 3 categorical groups (2 + 3 + 12 levels). Reference:
 * sklearn.linear_model.LogisticRegression(C=1.0, tol=1e-8, max_iter=10000, solver='newton-cg'
 * [, class_weight='balanced']) fitted on the same standardised numeric + one-hot matrix.
 * The default lbfgs solver is not used as the reference: scipy's relative-decrease test stops it
 * early (|grad| 1.5e-2, objective 3e-6 above the optimum) along the flat directions where a
 * one-hot group and the intercept trade off, leaving its one-hot coefficients off by up to 5e-4
 * (its term levels sum to 1.1e-3 where the optimum has them summing to 0). */
static const char *const sub_nums[] = {"int_rate", "annual_inc", "revol_util", "funded_amnt",
                                       "inq_last_6mths"};
static const char *const sub_cats[] = {"term", "verification_status", "emp_length"};
static const double sk_coef[22] = {
    0.8765711827,  0.1165226868,  -0.0525494580, 0.0074197955,  0.0595801536,  0.2909636288,
    -0.2909636295, -0.0811064427, 0.1091061760,  -0.0279997339, -0.2845686268, -0.0006917038,
    0.1413667918,  0.1673353566,  -0.1608905605, 0.1952878304,  0.1577892673,  -0.5094004181,
    -0.3957726069, 0.0535003747,  0.3586070967,  0.2774371980};
static const double sk_b = -3.3695757663, sk_f = 1451.1311220535;
static const double sk_bal_coef[22] = {
    0.9834389535,  0.1617789408,  -0.0515287889, -0.0473734671, 0.0791327217,  0.2872872472,
    -0.2872872472, -0.0235877623, 0.0816170507,  -0.0580292884, -0.3123221932, -0.0220210011,
    0.1546414721,  0.0511766663,  -0.0975424362, 0.1286051297,  0.2058889533,  -0.4029874764,
    -0.3632569434, 0.1420686560,  0.3174319750,  0.1983171977};
static const double sk_bal_b = -0.5067257064, sk_bal_f = 4629.8782262228;

static void test_matches_sklearn(void **state)
{
    (void)state;
    ll_design X;
    double means[5], stds[5];
    build_design(&train, &train, sub_nums, 5, sub_cats, 3, &X, means, stds);
    assert_int_equal(X.nweights, 22);
    ll_logreg_params prm;
    ll_logreg_params_default(&prm);
    ll_logreg *m;
    ll_error err;
    assert_int_equal(ll_logreg_fit(&X, ytrain, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err),
                     LL_OK);
    assert_int_equal(ll_logreg_nweights(m), 22);
    const double *w = ll_logreg_coef(m);
    for (int j = 0; j < 22; j++) NEAR(w[j], sk_coef[j], 1e-5);
    NEAR(ll_logreg_intercept(m), sk_b, 1e-5);
    ll_logreg_info info;
    ll_logreg_get_info(m, &info);
    NEAR(info.objective, sk_f, 1e-6);

    /* original units: the unstandardised model gives the same margins on raw values */
    double cu[22], bu;
    assert_int_equal(ll_logreg_unstandardize(m, means, stds, 5, cu, &bu), LL_OK);
    assert_int_equal(ll_logreg_unstandardize(m, means, stds, 4, cu, &bu), LL_EINVAL);
    double *z = malloc(X.n * sizeof *z);
    assert_int_equal(ll_logreg_decision(m, &X, z), LL_OK);
    for (size_t r = 0; r < X.n; r += 97) {
        double raw = bu;
        for (int j = 0; j < 5; j++) raw += cu[j] * num_at(&train, r, col_of(&train, sub_nums[j]));
        for (int g = 0; g < 3; g++) raw += cu[X.cat_offset[g] + X.cat[g][r]];
        NEAR(raw, z[r], 1e-9 * (1.0 + fabs(z[r])));
    }
    NEAR(cu[0], w[0] / stds[0], 1e-15);
    free(z);
    ll_logreg_free(m);

    prm.class_weight = LL_CLASS_WEIGHT_BALANCED;
    assert_int_equal(ll_logreg_fit(&X, ytrain, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err),
                     LL_OK);
    w = ll_logreg_coef(m);
    for (int j = 0; j < 22; j++) NEAR(w[j], sk_bal_coef[j], 1e-5);
    NEAR(ll_logreg_intercept(m), sk_bal_b, 1e-5);
    ll_logreg_get_info(m, &info);
    NEAR(info.objective, sk_bal_f, 1e-6);
    NEAR(info.class_weight[1], 7886.0 / (2.0 * 414.0), 1e-12);
    ll_logreg_free(m);
    ll_design_free(&X);
}

/* ---- synthetic designs for thread, progress and error tests ---- */

static double lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

static void synth(size_t n, uint64_t seed, ll_design *X, double *y)
{
    static const int levels[2] = {7, 4};
    memset(X, 0, sizeof *X);
    X->n = n;
    X->pnum = 3;
    X->ncat = 2;
    X->num = calloc(3, sizeof *X->num);
    X->cat = calloc(2, sizeof *X->cat);
    X->cat_levels = calloc(2, sizeof(int));
    X->cat_offset = calloc(2, sizeof(int));
    for (int j = 0; j < 3; j++) X->num[j] = malloc(n * sizeof(double));
    for (int g = 0; g < 2; g++) {
        X->cat[g] = malloc(n * sizeof(int32_t));
        X->cat_levels[g] = levels[g];
    }
    X->cat_offset[0] = 3;
    X->cat_offset[1] = 10;
    X->nweights = 14;
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double z = -1.5;
        for (int j = 0; j < 3; j++) {
            X->num[j][i] = 2.0 * lcg(&s) - 1.0;
            z += (j + 1) * 0.7 * X->num[j][i];
        }
        X->cat[0][i] = (int32_t)(lcg(&s) * 7);
        X->cat[1][i] = lcg(&s) < 0.1 ? -1 : (int32_t)(lcg(&s) * 4);
        z += 0.3 * X->cat[0][i] - 0.9;
        y[i] = lcg(&s) < 1.0 / (1.0 + exp(-z));
    }
}

typedef struct {
    int calls, last_iter, cancel_at, valid_seen;
    double first_ll, last_ll;
} progress_log;

static int on_progress(const ll_fit_progress *p, void *ud)
{
    progress_log *lg = ud;
    lg->calls++;
    assert_int_equal(p->iteration, lg->last_iter + 1);
    lg->last_iter = p->iteration;
    if (lg->calls == 1) lg->first_ll = p->train_logloss;
    lg->last_ll = p->train_logloss;
    assert_true(isfinite(p->train_logloss) && isfinite(p->train_auc));
    if (isfinite(p->valid_logloss) && isfinite(p->valid_auc)) lg->valid_seen++;
    assert_true(p->elapsed_s >= 0.0);
    return lg->cancel_at && p->iteration >= lg->cancel_at;
}

static void test_threads_identical(void **state)
{
    (void)state;
    const size_t n = 40000; /* several row blocks */
    ll_design X;
    double *y = malloc(n * sizeof *y);
    synth(n, 5, &X, y);
    ll_logreg_params prm;
    ll_logreg_params_default(&prm);
    ll_logreg *m[3];
    ll_error err;
    for (int t = 0; t < 3; t++) {
        prm.threads = t + 1;
        assert_int_equal(ll_logreg_fit(&X, y, &prm, NULL, NULL, NULL, NULL, NULL, &m[t], &err),
                         LL_OK);
    }
    for (int t = 1; t < 3; t++) {
        assert_memory_equal(ll_logreg_coef(m[0]), ll_logreg_coef(m[t]), 14 * sizeof(double));
        assert_true(ll_logreg_intercept(m[0]) == ll_logreg_intercept(m[t]));
    }
    /* several row blocks, and the same solution as scikit-learn's LogisticRegression(C=1,
     * solver='newton-cg', tol=1e-10) on these rows (regenerated in Python with the same LCG) */
    const double *w = ll_logreg_coef(m[0]);
    NEAR(w[0], 0.69171768, 1e-6);
    NEAR(w[1], 1.42065007, 1e-6);
    NEAR(w[2], 2.14897114, 1e-6);
    NEAR(w[3], -0.99584316, 1e-6);
    NEAR(w[9], 0.98854657, 1e-6);
    NEAR(w[13], 0.01929177, 1e-6);
    NEAR(ll_logreg_intercept(m[0]), -1.50313775, 1e-6);
    for (int t = 0; t < 3; t++) ll_logreg_free(m[t]);
    ll_design_free(&X);
    free(y);
}

static void test_progress_and_cancel(void **state)
{
    (void)state;
    const size_t n = 20000, nv = 5000;
    ll_design X, V;
    double *y = malloc(n * sizeof *y), *yv = malloc(nv * sizeof *yv);
    synth(n, 11, &X, y);
    synth(nv, 12, &V, yv);
    ll_logreg_params prm;
    ll_logreg_params_default(&prm);
    ll_logreg *m;
    ll_error err;
    progress_log lg = {0};
    assert_int_equal(ll_logreg_fit(&X, y, &prm, &V, yv, on_progress, &lg, NULL, &m, &err), LL_OK);
    ll_logreg_info info;
    ll_logreg_get_info(m, &info);
    assert_int_equal(lg.calls, info.iterations);
    assert_true(lg.calls >= 2 && lg.valid_seen == lg.calls);
    assert_true(lg.last_ll < lg.first_ll);
    assert_true(info.converged && info.cg_iterations >= info.iterations);
    ll_logreg_free(m);

    /* callback asks to stop */
    lg = (progress_log){.cancel_at = 2};
    assert_int_equal(ll_logreg_fit(&X, y, &prm, &V, yv, on_progress, &lg, NULL, &m, &err),
                     LL_ECANCELLED);
    assert_null(m);
    assert_int_equal(lg.calls, 2);
    /* cancel flag already raised */
    volatile int flag = 1;
    assert_int_equal(ll_logreg_fit(&X, y, &prm, NULL, NULL, NULL, NULL, &flag, &m, &err),
                     LL_ECANCELLED);
    assert_null(m);
    assert_int_equal(err.code, LL_ECANCELLED);

    /* max_iter bounds the steps; the model is still returned, not converged */
    prm.max_iter = 1;
    lg = (progress_log){0};
    assert_int_equal(ll_logreg_fit(&X, y, &prm, NULL, NULL, on_progress, &lg, NULL, &m, &err),
                     LL_OK);
    ll_logreg_get_info(m, &info);
    assert_int_equal(info.iterations, 1);
    assert_false(info.converged);
    assert_int_equal(lg.calls, 1);
    ll_logreg_free(m);
    ll_design_free(&X);
    ll_design_free(&V);
    free(y);
    free(yv);
}

static void test_params_and_errors(void **state)
{
    (void)state;
    ll_logreg_params prm;
    ll_logreg_params_default(&prm);
    assert_true(prm.C == 1.0 && prm.max_iter == 100 && prm.class_weight == LL_CLASS_WEIGHT_NONE);
    assert_null(ll_logreg_params_check(&prm));
    prm.C = 0;
    assert_non_null(strstr(ll_logreg_params_check(&prm), "C must"));
    prm.C = NAN;
    assert_non_null(ll_logreg_params_check(&prm));
    ll_logreg_params_default(&prm);
    prm.max_iter = 0;
    assert_non_null(strstr(ll_logreg_params_check(&prm), "max_iter"));
    ll_logreg_params_default(&prm);
    prm.tol = 0;
    assert_non_null(strstr(ll_logreg_params_check(&prm), "tol"));
    ll_logreg_params_default(&prm);
    prm.threads = 65;
    assert_non_null(strstr(ll_logreg_params_check(&prm), "threads"));
    ll_logreg_params_default(&prm);
    prm.class_weight = LL_CLASS_WEIGHT_COUNT;
    assert_non_null(strstr(ll_logreg_params_check(&prm), "class_weight"));
    assert_int_equal(ll_logreg_class_weight_parse("balanced"), LL_CLASS_WEIGHT_BALANCED);
    assert_int_equal(ll_logreg_class_weight_parse("none"), LL_CLASS_WEIGHT_NONE);
    assert_int_equal(ll_logreg_class_weight_parse("auto"), -1);
    assert_string_equal(ll_logreg_class_weight_name(LL_CLASS_WEIGHT_BALANCED), "balanced");

    const size_t n = 500;
    ll_design X;
    double *y = malloc(n * sizeof *y);
    synth(n, 3, &X, y);
    ll_logreg *m = NULL;
    ll_error err;
    ll_logreg_params_default(&prm);
    prm.C = -1;
    assert_int_equal(ll_logreg_fit(&X, y, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "C must"));
    ll_logreg_params_default(&prm);
    /* one class only */
    double *y0 = calloc(n, sizeof *y0);
    assert_int_equal(ll_logreg_fit(&X, y0, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err),
                     LL_EINVAL);
    assert_non_null(strstr(err.msg, "single class"));
    y0[3] = 0.5;
    assert_int_equal(ll_logreg_fit(&X, y0, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err),
                     LL_EINVAL);
    assert_non_null(strstr(err.msg, "y[3] = 0.5"));
    free(y0);
    /* level index out of range */
    X.cat[1][10] = 4;
    assert_int_equal(ll_logreg_fit(&X, y, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "row 10"));
    X.cat[1][10] = -1;
    /* inconsistent offsets */
    X.cat_offset[1] = 9;
    assert_int_equal(ll_logreg_fit(&X, y, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err), LL_EINVAL);
    X.cat_offset[1] = 10;
    assert_null(m);

    assert_int_equal(ll_logreg_fit(&X, y, &prm, NULL, NULL, NULL, NULL, NULL, &m, &err), LL_OK);
    /* a model rebuilt from its coefficients predicts the same */
    ll_logreg *m2;
    assert_int_equal(
        ll_logreg_new(3, 2, X.cat_levels, ll_logreg_coef(m), ll_logreg_intercept(m), &m2, &err),
        LL_OK);
    double *p1 = malloc(n * sizeof *p1), *p2 = malloc(n * sizeof *p2);
    assert_int_equal(ll_logreg_predict(m, &X, p1), LL_OK);
    assert_int_equal(ll_logreg_predict(m2, &X, p2), LL_OK);
    assert_memory_equal(p1, p2, n * sizeof *p1);
    ll_logreg_free(m2);
    for (size_t i = 0; i < n; i++) assert_true(p1[i] > 0.0 && p1[i] < 1.0);
    /* scoring a design of another shape is refused */
    X.cat_levels[1] = 5;
    X.nweights = 15;
    assert_int_equal(ll_logreg_predict(m, &X, p1), LL_EINVAL);
    X.cat_levels[1] = 4;
    X.nweights = 14;
    const int bad_levels[1] = {0};
    assert_int_equal(ll_logreg_new(0, 1, bad_levels, p1, 0.0, &m2, &err), LL_EINVAL);
    assert_null(m2);
    free(p1);
    free(p2);
    ll_logreg_free(m);
    ll_design_free(&X);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lending_club_auc),  cmocka_unit_test(test_matches_sklearn),
        cmocka_unit_test(test_threads_identical), cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_params_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
