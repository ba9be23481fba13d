/* Unit tests for shap: TreeSHAP against brute-force Shapley values, additivity, XGBoost. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "csv.h"
#include "gbdt.h"
#include "logreg.h"
#include "model.h"
#include "numfmt.h"
#include "prep.h"
#include "shap.h"
#include "tree.h"

/* ---------- helpers ---------- */

static int32_t leaf(ll_tree *t, double value, double cover)
{
    ll_tree_node n;
    memset(&n, 0, sizeof n);
    n.left = n.right = -1;
    n.value = value;
    n.cover = cover;
    return ll_tree_push(t, &n);
}

static int32_t split(ll_tree *t, int feature, double threshold, int default_left, double cover)
{
    ll_tree_node n;
    memset(&n, 0, sizeof n);
    n.left = n.right = -1;
    n.feature = feature;
    n.threshold = threshold;
    n.default_left = (uint8_t)default_left;
    n.cover = cover;
    return ll_tree_push(t, &n);
}

/* The path-dependent expectation TreeSHAP explains: features in S follow x, the others split
 * the mass by cover. */
static double expect(const ll_tree *t, int32_t i, const double *x, unsigned S)
{
    const ll_tree_node *nd = &t->nodes[i];
    if (nd->left < 0) return nd->value;
    if (S & (1u << nd->feature)) {
        double v = x[nd->feature];
        int left;
        if (isnan(v))
            left = nd->default_left;
        else if (nd->is_cat)
            left = !(v >= 0 && v < 256 && ll_tree_cat_in(nd, (int)v));
        else
            left = v < nd->threshold;
        return expect(t, left ? nd->left : nd->right, x, S);
    }
    const ll_tree_node *l = &t->nodes[nd->left], *r = &t->nodes[nd->right];
    return (l->cover * expect(t, nd->left, x, S) + r->cover * expect(t, nd->right, x, S)) /
           nd->cover;
}

/* Shapley values by enumerating every coalition. */
static void brute_shap(const ll_tree *t, const double *x, int M, double *phi)
{
    double fact[16] = {1};
    for (int i = 1; i < 16; i++) fact[i] = fact[i - 1] * i;
    for (int i = 0; i < M; i++) {
        phi[i] = 0;
        for (unsigned S = 0; S < (1u << M); S++) {
            if (S & (1u << i)) continue;
            int k = __builtin_popcount(S);
            double w = fact[k] * fact[M - k - 1] / fact[M];
            phi[i] += w * (expect(t, 0, x, S | (1u << i)) - expect(t, 0, x, S));
        }
    }
}

static uint64_t rng_state = 42;
static double urand(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* A random tree over M features (repeats on a path allowed), covers consistent. */
static double grow(ll_tree *t, int32_t at, int depth, int M)
{
    if (depth == 0 || urand() < 0.2) {
        t->nodes[at].left = t->nodes[at].right = -1;
        t->nodes[at].value = urand() * 4 - 2;
        t->nodes[at].cover = 1 + floor(urand() * 20);
        return t->nodes[at].cover;
    }
    ll_tree_node n;
    memset(&n, 0, sizeof n);
    n.feature = (int32_t)(urand() * M);
    n.default_left = urand() < 0.5;
    if (urand() < 0.3) {
        n.is_cat = 1;
        for (int c = 0; c < 6; c++)
            if (urand() < 0.5) n.cat_set[0] |= 1ull << c;
    } else {
        n.threshold = urand();
    }
    int32_t l = leaf(t, 0, 0), r = leaf(t, 0, 0);
    n.left = l;
    n.right = r;
    double cl = grow(t, l, depth - 1, M), cr = grow(t, r, depth - 1, M);
    n.cover = cl + cr;
    t->nodes[at] = n;
    return n.cover;
}

/* ---------- hand-checked and brute-force trees ---------- */

static void test_hand_checked_tree(void **state)
{
    (void)state;
    /* x0 < 0.5 ? 1 (cover 4) : (x1 < 0.5 ? 2 (cover 2) : 4 (cover 4)). For x = (1, 1):
     * E f = 2.4, v({0}) = 20/6, v({1}) = 0.4 * 1 + 0.6 * 4 = 2.8, f(x) = 4, so
     * phi0 = ((20/6 - 2.4) + (4 - 2.8)) / 2 = 16/15 and phi1 = (0.4 + 2/3) / 2 = 8/15. */
    ll_tree t = {0};
    split(&t, 0, 0.5, 1, 10);
    leaf(&t, 1, 4);
    split(&t, 1, 0.5, 1, 6);
    leaf(&t, 2, 2);
    leaf(&t, 4, 4);
    t.nodes[0].left = 1;
    t.nodes[0].right = 2;
    t.nodes[2].left = 3;
    t.nodes[2].right = 4;
    double x[2] = {1, 1}, phi[2] = {0, 0}, bias = 0;
    ll_error err;
    assert_int_equal(ll_shap_tree_raw(&t, x, 2, 1.0, phi, &bias, &err), LL_OK);
    assert_true(fabs(bias - 2.4) < 1e-12);
    assert_true(fabs(phi[0] - 16.0 / 15) < 1e-12);
    assert_true(fabs(phi[1] - 8.0 / 15) < 1e-12);
    /* x0 missing goes left by default: f = 1, v({1}) = 2.8, v({0}) = 1 */
    double y[2] = {NAN, 1}, q[2] = {0, 0};
    assert_int_equal(ll_shap_tree_raw(&t, y, 2, 1.0, q, NULL, &err), LL_OK);
    assert_true(fabs(q[0] - ((1 - 2.4) + (1 - 2.8)) / 2) < 1e-12);
    assert_true(fabs(q[1] - ((2.8 - 2.4) + (1 - 1)) / 2) < 1e-12);
    /* weight scales everything */
    double w[2] = {0, 0};
    bias = 0;
    assert_int_equal(ll_shap_tree_raw(&t, x, 2, 0.5, w, &bias, &err), LL_OK);
    assert_true(fabs(w[0] - 8.0 / 15) < 1e-12 && fabs(bias - 1.2) < 1e-12);
    /* a split on a feature outside the row is refused */
    assert_int_equal(ll_shap_tree_raw(&t, x, 1, 1.0, phi, NULL, &err), LL_EINVAL);
    ll_tree_free(&t);
}

static void test_random_trees_match_brute_force(void **state)
{
    (void)state;
    const int M = 4;
    ll_error err;
    for (int trial = 0; trial < 300; trial++) {
        ll_tree t = {0};
        leaf(&t, 0, 0);
        grow(&t, 0, 1 + trial % 6, M);
        for (int rep = 0; rep < 3; rep++) {
            double x[4];
            for (int f = 0; f < M; f++) {
                double u = urand();
                x[f] = u < 0.1 ? NAN : u < 0.5 ? floor(urand() * 7) : urand();
            }
            double phi[4] = {0}, want[4], bias = 0;
            assert_int_equal(ll_shap_tree_raw(&t, x, M, 1.0, phi, &bias, &err), LL_OK);
            brute_shap(&t, x, M, want);
            double sum = bias;
            for (int f = 0; f < M; f++) {
                if (fabs(phi[f] - want[f]) > 1e-9) {
                    print_error("trial %d feature %d: %.17g vs brute force %.17g\n", trial, f,
                                phi[f], want[f]);
                    fail();
                }
                sum += phi[f];
            }
            /* additivity: bias + contributions = the tree's output for x */
            int32_t lf = ll_tree_leaf_raw(&t, x);
            assert_true(fabs(sum - t.nodes[lf].value) < 1e-9);
            assert_true(fabs(bias - expect(&t, 0, x, 0)) < 1e-12);
        }
        ll_tree_free(&t);
    }
}

/* ---------- models trained on the fixture ---------- */

static ll_table *train_tab, *test_tab;

static int setup(void **state)
{
    (void)state;
    ll_error err;
    ll_csv_options o = {0};
    if (ll_csv_read_table("fixtures/lending_club_train.csv", &o, &train_tab, NULL, &err)) return -1;
    if (ll_csv_read_table("fixtures/lending_club_test.csv", &o, &test_tab, NULL, &err)) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ll_table_free(train_tab);
    ll_table_free(test_tab);
    return 0;
}

static ll_model *fit(ll_model_kind kind, const char *const *sets, size_t nsets)
{
    ll_model_params p;
    ll_error err;
    ll_model_params_default(kind, &p);
    for (size_t i = 0; i < nsets; i++)
        if (ll_model_params_parse(&p, sets[i], &err)) return NULL;
    ll_model *m = NULL;
    if (ll_model_fit(kind, &p, train_tab, NULL, "Class", "bad", NULL, NULL, NULL, &m, &err)) {
        print_error("fit: %s\n", err.msg);
        return NULL;
    }
    return m;
}

/* The first n rows of the test table. */
static ll_table *head_rows(size_t n)
{
    size_t *idx = malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    ll_table *t = ll_prep_table_rows(test_tab, idx, n);
    free(idx);
    return t;
}

static void test_gbdt_additivity(void **state)
{
    (void)state;
    const char *sets[] = {"n_estimators=40", "max_depth=5", "seed=3"};
    ll_model *m = fit(LL_MODEL_GBDT, sets, 3);
    assert_non_null(m);
    ll_shap *s;
    ll_error err;
    assert_int_equal(ll_shap_new(m, &s, &err), LL_OK);
    assert_int_equal(ll_shap_space_of(s), LL_SHAP_LOGODDS);
    int nf = ll_shap_nfeat(s);
    assert_int_equal(nf, 22);
    ll_table *t = head_rows(400);
    double *c = malloc(t->nrows * (size_t)(nf + 1) * sizeof *c);
    double *x = malloc(t->nrows * (size_t)nf * sizeof *x);
    double *margin = malloc(t->nrows * sizeof *margin);
    double *prob = malloc(t->nrows * sizeof *prob);
    assert_int_equal(ll_shap_explain(s, t, c, &err), LL_OK);
    assert_int_equal(ll_prep_raw(ll_model_prep(m), t, x, &err), LL_OK);
    ll_gbdt_predict_margin_raw(ll_model_gbdt(m), x, t->nrows, margin);
    assert_int_equal(ll_model_predict(m, t, prob, &err), LL_OK);
    double worst = 0;
    int nonzero = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        double sum = 0;
        for (int f = 0; f <= nf; f++) sum += c[r * (size_t)(nf + 1) + (size_t)f];
        for (int f = 0; f < nf; f++) nonzero += c[r * (size_t)(nf + 1) + (size_t)f] != 0;
        worst = fmax(worst, fabs(sum - margin[r]));
        /* the margin is the served probability's log-odds */
        assert_true(fabs(1 / (1 + exp(-sum)) - prob[r]) < 1e-6);
    }
    assert_true(worst < 1e-5);
    assert_true(nonzero > 400);
    /* the bias is the same for every row */
    assert_true(c[nf] == c[(size_t)(nf + 1) + (size_t)nf]);
    free(c);
    free(x);
    free(margin);
    free(prob);
    ll_table_free(t);
    ll_shap_free(s);
    ll_model_free(m);
}

static void test_forest_additivity(void **state)
{
    (void)state;
    const char *sets[] = {"n_trees=15", "max_depth=8", "seed=5"};
    ll_model *m = fit(LL_MODEL_FOREST, sets, 3);
    assert_non_null(m);
    ll_shap *s;
    ll_error err;
    assert_int_equal(ll_shap_new(m, &s, &err), LL_OK);
    assert_int_equal(ll_shap_space_of(s), LL_SHAP_PROBABILITY);
    int nf = ll_shap_nfeat(s);
    ll_table *t = head_rows(200);
    double *c = malloc(t->nrows * (size_t)(nf + 1) * sizeof *c);
    double *prob = malloc(t->nrows * sizeof *prob);
    assert_int_equal(ll_shap_explain(s, t, c, &err), LL_OK);
    assert_int_equal(ll_model_predict(m, t, prob, &err), LL_OK);
    for (size_t r = 0; r < t->nrows; r++) {
        double sum = 0;
        for (int f = 0; f <= nf; f++) sum += c[r * (size_t)(nf + 1) + (size_t)f];
        assert_true(fabs(sum - prob[r]) < 1e-9);
    }
    free(c);
    free(prob);
    ll_table_free(t);
    ll_shap_free(s);
    ll_model_free(m);
}

static void test_logreg_contributions(void **state)
{
    (void)state;
    ll_model *m = fit(LL_MODEL_LOGREG, NULL, 0);
    assert_non_null(m);
    ll_shap *s;
    ll_error err;
    assert_int_equal(ll_shap_new(m, &s, &err), LL_OK);
    int nf = ll_shap_nfeat(s);
    ll_table *t = head_rows(300);
    double *c = malloc(t->nrows * (size_t)(nf + 1) * sizeof *c);
    double *z = malloc(t->nrows * sizeof *z);
    assert_int_equal(ll_shap_explain(s, t, c, &err), LL_OK);
    ll_design d;
    assert_int_equal(ll_prep_design(ll_model_prep(m), t, &d, &err), LL_OK);
    assert_int_equal(ll_logreg_decision(ll_model_logreg(m), &d, z), LL_OK);
    const double *w = ll_logreg_coef(ll_model_logreg(m));
    const ll_prep *p = ll_model_prep(m);
    for (size_t r = 0; r < t->nrows; r++) {
        double sum = 0;
        for (int f = 0; f <= nf; f++) sum += c[r * (size_t)(nf + 1) + (size_t)f];
        assert_true(fabs(sum - z[r]) < 1e-9);
        /* a numeric feature's share is its coefficient times its standardised value */
        int f0 = ll_prep_design_num_feature(p, 0);
        assert_true(fabs(c[r * (size_t)(nf + 1) + (size_t)f0] - w[0] * d.num[0][r]) < 1e-12);
    }
    assert_true(c[nf] == ll_logreg_intercept(ll_model_logreg(m)));
    ll_design_free(&d);
    free(c);
    free(z);
    ll_table_free(t);
    ll_shap_free(s);
    ll_model_free(m);
}

/* ---------- XGBoost's pred_contribs on the exported model ---------- */

static const char xgb_script[] =
    "import sys\n"
    "import numpy as np\n"
    "import xgboost as xgb\n"
    "b = xgb.Booster(model_file=sys.argv[1])\n"
    "X = np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)\n"
    "d = xgb.DMatrix(X, missing=np.nan, feature_names=b.feature_names,\n"
    "                feature_types=b.feature_types, enable_categorical=True)\n"
    "c = b.predict(d, pred_contribs=True)\n"
    "np.savetxt(sys.argv[3], c, delimiter=',', fmt='%.9g')\n";

static int have_xgboost(void)
{
    return system("/usr/bin/python3 -c 'import xgboost' >/dev/null 2>&1") == 0;
}

static void test_gbdt_matches_xgboost(void **state)
{
    (void)state;
    if (!have_xgboost()) {
        print_message("python3-xgboost is not installed: skipping the cross-check\n");
        skip();
    }
    const char *sets[] = {"n_estimators=60", "max_depth=6", "seed=11", "max_cat_to_onehot=1"};
    ll_model *m = fit(LL_MODEL_GBDT, sets, 4);
    assert_non_null(m);
    char dir[] = "/tmp/test_shap.XXXXXX";
    assert_non_null(mkdtemp(dir));
    ll_error err;
    assert_int_equal(ll_model_save(m, dir, &err), LL_OK);
    ll_table *t = head_rows(500);
    int nf = ll_model_nfeat(m);
    double *x = malloc(t->nrows * (size_t)nf * sizeof *x);
    assert_int_equal(ll_prep_raw(ll_model_prep(m), t, x, &err), LL_OK);
    char xpath[256], cpath[256], spath[256], mpath[256], cmd[1200];
    snprintf(xpath, sizeof xpath, "%s/x.csv", dir);
    snprintf(cpath, sizeof cpath, "%s/contribs.csv", dir);
    snprintf(spath, sizeof spath, "%s/contribs.py", dir);
    snprintf(mpath, sizeof mpath, "%s/model.xgb.json", dir);
    FILE *f = fopen(xpath, "w");
    assert_non_null(f);
    char buf[64];
    for (size_t r = 0; r < t->nrows; r++)
        for (int j = 0; j < nf; j++) {
            double v = x[r * (size_t)nf + (size_t)j];
            fprintf(f, "%s%c", isnan(v) ? "nan" : ll_numfmt_double(v, buf, sizeof buf),
                    j + 1 < nf ? ',' : '\n');
        }
    fclose(f);
    f = fopen(spath, "w");
    assert_non_null(f);
    fputs(xgb_script, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s %s", spath, mpath, xpath, cpath);
    assert_int_equal(system(cmd), 0);

    ll_shap *s;
    assert_int_equal(ll_shap_new(m, &s, &err), LL_OK);
    double *c = malloc(t->nrows * (size_t)(nf + 1) * sizeof *c);
    assert_int_equal(ll_shap_explain(s, t, c, &err), LL_OK);
    f = fopen(cpath, "r");
    assert_non_null(f);
    char line[65536];
    size_t r = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        assert_true(r < t->nrows);
        char *p = line;
        for (int j = 0; j <= nf; j++) {
            char *e = p;
            while (*e && *e != ',' && *e != '\n') e++;
            double v;
            assert_true(ll_numparse(p, (size_t)(e - p), &v));
            double mine = c[r * (size_t)(nf + 1) + (size_t)j];
            if (fabs(v - mine) > 1e-5) {
                print_error("row %zu column %d: xgboost %.9g, lendlab %.9g\n", r, j, v, mine);
                fail();
            }
            worst = fmax(worst, fabs(v - mine));
            p = *e ? e + 1 : e;
        }
        r++;
    }
    fclose(f);
    assert_int_equal(r, t->nrows);
    print_message("largest difference from xgboost's pred_contribs: %.3g\n", worst);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(c);
    free(x);
    ll_table_free(t);
    ll_shap_free(s);
    ll_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_checked_tree),
        cmocka_unit_test(test_random_trees_match_brute_force),
        cmocka_unit_test(test_gbdt_additivity),
        cmocka_unit_test(test_forest_additivity),
        cmocka_unit_test(test_logreg_contributions),
        cmocka_unit_test(test_gbdt_matches_xgboost),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
