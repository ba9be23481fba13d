/* Unit tests for prep: bin edges, missing and unseen values, design scaling, labels, JSON. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prep.h"

/* A table with a numeric column "x", a categorical column "cat" and a target "y". */
static ll_table *make_table(const double *x, const int32_t *codes, const char *const *dict,
                            int32_t ndict, const int32_t *ycodes, size_t n)
{
    static const char *const ydict[] = {"good", "bad"};
    ll_table *t = ll_table_new(n, "test");
    assert_non_null(t);
    assert_true(ll_table_add_numeric(t, "x", LL_COL_NUMERIC, x) >= 0);
    assert_true(ll_table_add_categorical(t, "cat", codes, dict, ndict) >= 0);
    assert_true(ll_table_add_categorical(t, "y", ycodes, ydict, 2) >= 0);
    return t;
}

static ll_prep *fit(const ll_table *t, int max_bin, int max_cat)
{
    ll_prep_options o;
    ll_prep_options_default(&o);
    o.max_bin = max_bin;
    o.max_categories = max_cat;
    ll_prep *p = NULL;
    ll_error err;
    ll_status st = ll_prep_fit(t, "y", NULL, &o, &p, &err);
    if (st) fail_msg("fit: %s", err.msg);
    return p;
}

static void test_quantile_cuts(void **state)
{
    (void)state;
    enum { N = 1000 };
    double x[N];
    int32_t codes[N], y[N];
    static const char *const dict[] = {"a"};
    for (int i = 0; i < N; i++) {
        x[i] = i + 1; /* 1..1000 */
        codes[i] = 0;
        y[i] = i % 10 == 0;
    }
    ll_table *t = make_table(x, codes, dict, 1, y, N);
    ll_prep *p = fit(t, 4, 254);
    int nc;
    const double *cuts = ll_prep_cuts(p, 0, &nc);
    assert_int_equal(nc, 3);
    assert_true(cuts[0] == 251 && cuts[1] == 501 && cuts[2] == 751);
    ll_binned b;
    ll_error err;
    assert_int_equal(ll_prep_binned(p, t, &b, &err), LL_OK);
    assert_int_equal(b.nbins[0], 4);
    assert_int_equal(b.bins[0][249], 0); /* 250 < 251 */
    assert_int_equal(b.bins[0][250], 1); /* 251: a value equal to a cut starts the next bin */
    assert_int_equal(b.bins[0][499], 1);
    assert_int_equal(b.bins[0][500], 2);
    assert_int_equal(b.bins[0][999], 3);
    ll_binned_free(&b);
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_heavy_value_cuts(void **state)
{
    (void)state;
    /* 900 zeros then 1..100: the zeros take one bin, the rest is shared evenly again */
    enum { N = 1000 };
    double x[N];
    int32_t codes[N], y[N];
    static const char *const dict[] = {"a"};
    for (int i = 0; i < N; i++) {
        x[i] = i < 900 ? 0 : i - 899;
        codes[i] = 0;
        y[i] = i % 2;
    }
    ll_table *t = make_table(x, codes, dict, 1, y, N);
    ll_prep *p = fit(t, 4, 254);
    int nc;
    const double *cuts = ll_prep_cuts(p, 0, &nc);
    assert_int_equal(nc, 3);
    assert_true(cuts[0] == 1 && cuts[1] == 35 && cuts[2] == 68);
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_distinct_values_and_missing(void **state)
{
    (void)state;
    double x[] = {2.5, 1.5, NAN, 3.5, 2.5, 0.1};
    int32_t codes[] = {0, 1, 2, -1, 0, 1};
    int32_t y[] = {0, 1, 0, 1, 0, 0};
    static const char *const dict[] = {"c", "a", "b"};
    ll_table *t = make_table(x, codes, dict, 3, y, 6);
    ll_prep *p = fit(t, 256, 254);
    int nc;
    const double *cuts = ll_prep_cuts(p, 0, &nc);
    /* every distinct value but the smallest starts a bin; cuts are float32 values */
    assert_int_equal(nc, 3);
    assert_true(cuts[0] == 1.5 && cuts[1] == 2.5 && cuts[2] == 3.5);
    ll_binned b;
    ll_error err;
    assert_int_equal(ll_prep_binned(p, t, &b, &err), LL_OK);
    uint8_t want_x[] = {2, 1, LL_BIN_MISSING, 3, 2, 0};
    for (int i = 0; i < 6; i++) assert_int_equal(b.bins[0][i], want_x[i]);
    /* categories in byte order: a, b, c (then "other") */
    int ncat;
    const char *const *cats = ll_prep_categories(p, 1, &ncat);
    assert_int_equal(ncat, 3);
    assert_string_equal(cats[0], "a");
    assert_string_equal(cats[2], "c");
    assert_int_equal(b.nbins[1], 4);
    assert_true(b.is_cat[1] && !b.is_cat[0]);
    uint8_t want_c[] = {2, 0, 1, LL_BIN_MISSING, 2, 0};
    for (int i = 0; i < 6; i++) assert_int_equal(b.bins[1][i], want_c[i]);
    assert_int_equal(b.nfeat, 2);
    assert_string_equal(b.names[1], "cat");
    ll_binned_free(&b);
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_float32_cuts(void **state)
{
    (void)state;
    double x[] = {0.05, 0.1, 13.99, 0.1};
    int32_t codes[] = {0, 0, 0, 0}, y[] = {0, 1, 0, 1};
    static const char *const dict[] = {"a"};
    ll_table *t = make_table(x, codes, dict, 1, y, 4);
    ll_prep *p = fit(t, 256, 254);
    int nc;
    const double *cuts = ll_prep_cuts(p, 0, &nc);
    assert_int_equal(nc, 2);
    /* float32(0.1) and float32(13.99), as numpy.float32 gives them */
    assert_true(cuts[0] == 0.10000000149011612);
    assert_true(cuts[1] == 13.989999771118164);
    /* 0.1 (double) is below float32(0.1) but scores in its bin, as XGBoost's float compare */
    ll_binned b;
    ll_error err;
    assert_int_equal(ll_prep_binned(p, t, &b, &err), LL_OK);
    assert_int_equal(b.bins[0][1], 1);
    assert_int_equal(b.bins[0][2], 2);
    ll_binned_free(&b);
    double raw[8];
    assert_int_equal(ll_prep_raw(p, t, raw, &err), LL_OK);
    assert_true(raw[1 * 2 + 0] == 0.10000000149011612);
    assert_true(raw[1 * 2 + 1] == 0.0); /* category index of "a" */
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_detect_positive(void **state)
{
    (void)state;
    /* {labels, counts of label 0 and 1} -> expected positive, as the dataset profile detects */
    static const struct {
        const char *a, *b;
        int na, nb;
        const char *want;
    } cases[] = {
        {"Fully Paid", "Charged Off", 3, 1, "Charged Off"},
        {"Charged_Off", "Current", 1, 3, "Charged_Off"},
        {"No", "Yes", 1, 3, "Yes"},
        {"good", "BAD", 1, 3, "BAD"},
        {"defaulted", "paid", 3, 1, "defaulted"},
        {"x", "y", 3, 1, "y"}, /* rarer class */
        {"x", "y", 1, 3, "x"},
        {"x", "y", 2, 2, "y"}, /* tie: the label sorting last */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        size_t n = (size_t)(cases[k].na + cases[k].nb);
        ll_table *t = ll_table_new(n, NULL);
        double x[8];
        int32_t c[8];
        for (size_t i = 0; i < n; i++) {
            x[i] = (double)i;
            c[i] = i < (size_t)cases[k].na ? 0 : 1;
        }
        const char *dict[2] = {cases[k].a, cases[k].b};
        ll_table_add_numeric(t, "x", LL_COL_NUMERIC, x);
        ll_table_add_categorical(t, "t", c, dict, 2);
        ll_prep *p = NULL;
        ll_error err;
        assert_int_equal(ll_prep_fit(t, "t", NULL, NULL, &p, &err), LL_OK);
        assert_string_equal(ll_prep_positive_label(p), cases[k].want);
        ll_prep_free(p);
        ll_table_free(t);
    }
}

static void test_unseen_category_and_max_categories(void **state)
{
    (void)state;
    double x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    /* counts: a 5, b 3, c 1 */
    int32_t codes[9] = {0, 0, 0, 0, 0, 1, 1, 1, 2}, y[9] = {0, 1, 0, 1, 0, 1, 0, 0, 0};
    static const char *const dict[] = {"a", "b", "c"};
    ll_table *t = make_table(x, codes, dict, 3, y, 9);
    ll_prep *p = fit(t, 256, 2);
    int ncat;
    ll_prep_categories(p, 1, &ncat);
    assert_int_equal(ncat, 2); /* c is rarest: goes to other */
    assert_int_equal(ll_prep_category_index(p, 1, "c", 1), 2);
    assert_int_equal(ll_prep_category_index(p, 1, "b", 1), 1);

    /* scoring data with a category never seen in training: no error, "other" bucket */
    double x2[2] = {1, 2};
    int32_t c2[2] = {0, 1}, y2[2] = {0, 1};
    static const char *const dict2[] = {"zz", "a"};
    ll_table *t2 = make_table(x2, c2, dict2, 2, y2, 2);
    ll_binned b;
    ll_error err;
    assert_int_equal(ll_prep_binned(p, t2, &b, &err), LL_OK);
    assert_int_equal(b.bins[1][0], 2);
    assert_int_equal(b.bins[1][1], 0);
    ll_binned_free(&b);
    ll_design d;
    assert_int_equal(ll_prep_design(p, t2, &d, &err), LL_OK);
    assert_int_equal(d.ncat, 1);
    assert_int_equal(d.cat_levels[0], 4); /* a, b, other, missing */
    assert_int_equal(d.cat[0][0], 2);
    assert_int_equal(d.cat[0][1], 0);
    assert_int_equal(d.cat_offset[0], 1);
    assert_int_equal(d.nweights, 5);
    ll_design_free(&d);
    ll_table_free(t2);
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_design_standardisation(void **state)
{
    (void)state;
    double x[] = {10, 7, NAN, 3, 1.5, NAN};
    int32_t codes[] = {0, 1, -1, 0, 1, 0}, y[] = {1, 0, 0, 0, 1, 0};
    static const char *const dict[] = {"a", "b"};
    ll_table *t = make_table(x, codes, dict, 2, y, 6);
    ll_prep *p = fit(t, 256, 254);
    double med, mean, sd;
    ll_prep_numeric_stats(p, 0, &med, &mean, &sd);
    /* numpy: nanmedian 5.0; after imputation mean 5.25, std (ddof 0) 2.7348065135703234 */
    assert_true(med == 5.0);
    assert_true(fabs(mean - 5.25) < 1e-15);
    assert_true(fabs(sd - 2.7348065135703234) < 1e-14);
    ll_design d;
    ll_error err;
    assert_int_equal(ll_prep_design(p, t, &d, &err), LL_OK);
    /* scikit-learn SimpleImputer(median) + StandardScaler on the same column */
    const double want[] = {1.7368687607076145,  0.6398990171028054,  -0.09141414530040078,
                           -0.8227273077036069, -1.3712121795060115, -0.09141414530040078};
    assert_int_equal(d.pnum, 1);
    for (int i = 0; i < 6; i++) assert_true(fabs(d.num[0][i] - want[i]) < 1e-12);
    assert_int_equal(d.cat[0][2], 3); /* missing level = ncat + 1 */
    const double *means, *stds;
    int pnum;
    ll_prep_design_scaling(p, &means, &stds, &pnum);
    assert_int_equal(pnum, 1);
    assert_true(means[0] == mean && stds[0] == sd);
    ll_design_free(&d);
    ll_prep_free(p);
    ll_table_free(t);

    /* doubles that round to one float32 still give numpy's exact median */
    double x2[] = {1.0000000001, 1.0000000003, 1.0000000002, 5, 0.5, NAN};
    t = make_table(x2, codes, dict, 2, y, 6);
    p = fit(t, 256, 254);
    ll_prep_numeric_stats(p, 0, &med, NULL, NULL);
    assert_true(med == 1.0000000002);
    ll_prep_free(p);
    ll_table_free(t);
    double x3[] = {1.0000000001, 1.0000000003, 7, 5, 0.5, 1.0000000002};
    t = make_table(x3, codes, dict, 2, y, 6);
    p = fit(t, 256, 254);
    ll_prep_numeric_stats(p, 0, &med, NULL, NULL);
    assert_true(med == (1.0000000002 + 1.0000000003) / 2); /* numpy.median: 1.00000000025 */
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_labels_and_positive(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4};
    int32_t codes[] = {0, 0, 0, 0}, y[] = {0, 1, 0, 0};
    static const char *const dict[] = {"a"};
    ll_table *t = make_table(x, codes, dict, 1, y, 4);
    ll_prep *p = fit(t, 256, 254);
    assert_string_equal(ll_prep_positive_label(p), "bad");
    assert_string_equal(ll_prep_negative_label(p), "good");
    double y01[4];
    ll_error err;
    assert_int_equal(ll_prep_labels(p, t, y01, &err), LL_OK);
    assert_true(y01[0] == 0 && y01[1] == 1 && y01[2] == 0);
    ll_prep_free(p);

    /* explicit positive label, and one that is not a class */
    ll_prep *q = NULL;
    assert_int_equal(ll_prep_fit(t, "y", "good", NULL, &q, &err), LL_OK);
    assert_string_equal(ll_prep_positive_label(q), "good");
    assert_int_equal(ll_prep_labels(q, t, y01, &err), LL_OK);
    assert_true(y01[0] == 1 && y01[1] == 0);
    ll_prep_free(q);
    assert_int_equal(ll_prep_fit(t, "y", "ugly", NULL, &q, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "ugly"));
    assert_int_equal(ll_prep_fit(t, "nope", NULL, NULL, &q, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nope"));
    ll_table_free(t);

    /* numeric 0/1 target: 1 is positive even when it is the majority */
    ll_table *u = ll_table_new(3, NULL);
    double tv[] = {1, 1, 0}, xv[] = {1, 2, 3};
    ll_table_add_numeric(u, "x", LL_COL_NUMERIC, xv);
    ll_table_add_numeric(u, "target", LL_COL_NUMERIC, tv);
    assert_int_equal(ll_prep_fit(u, "target", NULL, NULL, &q, &err), LL_OK);
    assert_string_equal(ll_prep_positive_label(q), "1");
    assert_int_equal(ll_prep_nfeat(q), 1);
    ll_prep_free(q);
    /* two neutral classes: the rarer one is positive */
    static const char *const d2[] = {"x", "y"};
    int32_t c2[] = {0, 0, 1};
    ll_table_add_categorical(u, "t2", c2, d2, 2);
    assert_int_equal(ll_prep_fit(u, "t2", NULL, NULL, &q, &err), LL_OK);
    assert_string_equal(ll_prep_positive_label(q), "y");
    assert_int_equal(ll_prep_nfeat(q), 2); /* x and target */
    ll_prep_free(q);
    /* a missing target is an error naming the row */
    int32_t c3[] = {0, -1, 1};
    ll_table_add_categorical(u, "t3", c3, d2, 2);
    static const char *const excl[] = {"t2"};
    ll_prep_options o;
    ll_prep_options_default(&o);
    o.exclude = excl;
    o.nexclude = 1;
    assert_int_equal(ll_prep_fit(u, "t3", NULL, &o, &q, &err), LL_OK);
    assert_int_equal(ll_prep_nfeat(q), 2); /* x and target, not t2 */
    double yy[3];
    assert_int_equal(ll_prep_labels(q, u, yy, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "row 2"));
    ll_prep_free(q);
    ll_table_free(u);
}

static void test_errors_name_the_column(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4};
    int32_t codes[] = {0, 0, 0, 1}, y[] = {0, 1, 0, 0};
    static const char *const dict[] = {"a", "b"};
    ll_table *t = make_table(x, codes, dict, 2, y, 4);
    ll_prep *p = fit(t, 256, 254);
    /* a table without the feature "x" */
    ll_table *u = ll_table_new(2, NULL);
    int32_t c[] = {0, 1};
    ll_table_add_categorical(u, "cat", c, dict, 2);
    ll_binned b;
    ll_design d;
    ll_error err;
    assert_int_equal(ll_prep_binned(p, u, &b, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'x'"));
    assert_int_equal(ll_prep_design(p, u, &d, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'x'"));
    /* "x" arriving as text: numbers in text are fine, a word is an error naming it */
    static const char *const xt[] = {"1.5", "oops", "7"};
    int32_t xc[] = {0, 2};
    ll_table_add_categorical(u, "x", xc, xt, 3);
    assert_int_equal(ll_prep_binned(p, u, &b, &err), LL_OK);
    assert_int_equal(b.bins[0][0], 0);
    assert_int_equal(b.bins[0][1], 3);
    ll_binned_free(&b);
    xc[1] = 1;
    ll_table_free(u);
    u = ll_table_new(2, NULL);
    ll_table_add_categorical(u, "cat", c, dict, 2);
    ll_table_add_categorical(u, "x", xc, xt, 3);
    ll_table_add_numeric(u, "extra", LL_COL_NUMERIC, x); /* extra columns are ignored */
    assert_int_equal(ll_prep_binned(p, u, &b, &err), LL_EPARSE);
    assert_non_null(strstr(err.msg, "'x'"));
    assert_non_null(strstr(err.msg, "oops"));
    ll_table_free(u);
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    enum { N = 500 };
    double x[N];
    int32_t codes[N], y[N];
    static const char *const dict[] = {"A1", "B2", "C,3", "d\"4"};
    for (int i = 0; i < N; i++) {
        x[i] = i % 37 == 0 ? NAN : (i * 7919 % 1000) / 7.0;
        codes[i] = i % 11 == 0 ? -1 : i % 4;
        y[i] = i % 5 == 0;
    }
    ll_table *t = make_table(x, codes, dict, 4, y, N);
    ll_prep *p = fit(t, 16, 254);
    cJSON *j = ll_prep_to_json(p);
    assert_non_null(j);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    cJSON *j2 = cJSON_Parse(text);
    free(text);
    assert_non_null(j2);
    ll_prep *q = NULL;
    ll_error err;
    assert_int_equal(ll_prep_from_json(j2, &q, &err), LL_OK);
    cJSON_Delete(j2);
    ll_binned a, b;
    assert_int_equal(ll_prep_binned(p, t, &a, &err), LL_OK);
    assert_int_equal(ll_prep_binned(q, t, &b, &err), LL_OK);
    assert_int_equal(a.nfeat, b.nfeat);
    for (int f = 0; f < a.nfeat; f++) {
        assert_int_equal(a.nbins[f], b.nbins[f]);
        assert_memory_equal(a.bins[f], b.bins[f], N);
        for (int c = 0; !a.is_cat[f] && c < a.nbins[f] - 1; c++)
            assert_true(a.cuts[f][c] == b.cuts[f][c]);
    }
    ll_binned_free(&a);
    ll_binned_free(&b);
    ll_design da, db;
    assert_int_equal(ll_prep_design(p, t, &da, &err), LL_OK);
    assert_int_equal(ll_prep_design(q, t, &db, &err), LL_OK);
    for (int i = 0; i < N; i++) assert_true(da.num[0][i] == db.num[0][i]);
    assert_memory_equal(da.cat[0], db.cat[0], N * sizeof(int32_t));
    ll_design_free(&da);
    ll_design_free(&db);
    assert_string_equal(ll_prep_positive_label(q), "bad");
    assert_string_equal(ll_prep_target(q), "y");
    assert_int_equal(ll_prep_feature_type(q, 1), LL_COL_CATEGORICAL);
    ll_prep_free(q);

    /* a newer schema is refused */
    cJSON *j3 = ll_prep_to_json(p);
    cJSON_ReplaceItemInObject(j3, "schema", cJSON_CreateNumber(99));
    assert_int_equal(ll_prep_from_json(j3, &q, &err), LL_EPARSE);
    cJSON_Delete(j3);
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_split_is_stratified(void **state)
{
    (void)state;
    enum { N = 1003 };
    double x[N];
    int32_t codes[N], y[N];
    static const char *const dict[] = {"a"};
    size_t npos = 0;
    for (int i = 0; i < N; i++) {
        x[i] = i;
        codes[i] = 0;
        y[i] = i % 9 == 0;
        npos += (size_t)y[i];
    }
    ll_table *t = make_table(x, codes, dict, 1, y, N);
    ll_table *a, *b, *a2, *b2;
    ll_error err;
    assert_int_equal(ll_prep_split(t, "y", 0.2, 42, &a, &b, &err), LL_OK);
    assert_int_equal(a->nrows + b->nrows, N);
    /* round(0.2 * 112) = 22 positives and round(0.2 * 891) = 178 negatives held out */
    assert_int_equal(npos, 112);
    size_t bpos = 0;
    for (size_t r = 0; r < b->nrows; r++) bpos += b->cols[2].codes[r] == 1;
    assert_int_equal(bpos, 22);
    assert_int_equal(b->nrows, 200);
    for (size_t r = 1; r < a->nrows; r++) assert_true(a->cols[0].num[r] > a->cols[0].num[r - 1]);
    /* deterministic for a seed, different for another */
    assert_int_equal(ll_prep_split(t, "y", 0.2, 42, &a2, &b2, &err), LL_OK);
    assert_memory_equal(b->cols[0].num, b2->cols[0].num, 200 * sizeof(double));
    ll_table_free(a2);
    ll_table_free(b2);
    assert_int_equal(ll_prep_split(t, "y", 0.2, 7, &a2, &b2, &err), LL_OK);
    assert_true(memcmp(b->cols[0].num, b2->cols[0].num, 200 * sizeof(double)) != 0);
    ll_table_free(a2);
    ll_table_free(b2);
    ll_table_free(a);
    ll_table_free(b);
    ll_table_free(t);
}

static void test_boolean_is_numeric(void **state)
{
    (void)state;
    ll_table *t = ll_table_new(4, NULL);
    double flag[] = {0, 1, NAN, 1}, tv[] = {0, 1, 0, 1};
    ll_table_add_numeric(t, "flag", LL_COL_BOOLEAN, flag);
    ll_table_add_numeric(t, "t", LL_COL_BOOLEAN, tv);
    ll_prep *p = NULL;
    ll_error err;
    assert_int_equal(ll_prep_fit(t, "t", NULL, NULL, &p, &err), LL_OK);
    assert_string_equal(ll_prep_positive_label(p), "true");
    int nc;
    const double *cuts = ll_prep_cuts(p, 0, &nc);
    assert_int_equal(nc, 1);
    assert_true(cuts[0] == 1);
    ll_binned b;
    assert_int_equal(ll_prep_binned(p, t, &b, &err), LL_OK);
    assert_false(b.is_cat[0]);
    assert_int_equal(b.bins[0][1], 1);
    assert_int_equal(b.bins[0][2], LL_BIN_MISSING);
    ll_binned_free(&b);
    double y[4];
    assert_int_equal(ll_prep_labels(p, t, y, &err), LL_OK);
    assert_true(y[0] == 0 && y[1] == 1);
    ll_prep_free(p);
    ll_table_free(t);
}

static void test_binning_big_table_matches_search(void **state)
{
    (void)state;
    /* large enough for the two-thread path; check each bin against a plain linear count */
    enum { N = 120000 };
    ll_table *t = ll_table_new(N, NULL);
    double *col = malloc(N * sizeof *col), *tv = malloc(N * sizeof *tv);
    uint64_t s = 12345;
    for (int f = 0; f < 20; f++) {
        for (int i = 0; i < N; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            col[i] = (double)(s >> 40) / 1000.0 - (f % 3 ? 0 : 5000);
            if ((s >> 20) % 50 == 0) col[i] = NAN;
        }
        char name[16];
        snprintf(name, sizeof name, "f%d", f);
        ll_table_add_numeric(t, name, LL_COL_NUMERIC, col);
    }
    for (int i = 0; i < N; i++) tv[i] = i % 3 == 0;
    ll_table_add_numeric(t, "t", LL_COL_NUMERIC, tv);
    ll_prep *p = NULL;
    ll_error err;
    assert_int_equal(ll_prep_fit(t, "t", NULL, NULL, &p, &err), LL_OK);
    ll_binned b;
    assert_int_equal(ll_prep_binned(p, t, &b, &err), LL_OK);
    for (int f = 0; f < 20; f++) {
        int nc;
        const double *cuts = ll_prep_cuts(p, f, &nc);
        assert_int_equal(nc, 254); /* 255 bins when values are many */
        for (int i = 0; i < N; i += 7) {
            double v = t->cols[f].num[i];
            int want = 0;
            if (isnan(v))
                want = LL_BIN_MISSING;
            else
                while (want < nc && (double)(float)v >= cuts[want]) want++;
            assert_int_equal(b.bins[f][i], want);
        }
    }
    ll_binned_free(&b);
    ll_prep_free(p);
    ll_table_free(t);
    free(col);
    free(tv);
}

/* max_bin and max_categories out of their ranges (even of int's) are refused when a plan is
 * read; converting 1e300 to int was undefined behaviour (found by tests/fuzz/fuzz_model). */
static void test_json_settings_out_of_range(void **state)
{
    (void)state;
    static const char *const fmt =
        "{\"schema\":1,\"target\":\"y\",\"positive_label\":\"1\",\"negative_label\":\"0\","
        "\"max_bin\":%s,\"max_categories\":%s,\"features\":[{\"name\":\"x\","
        "\"type\":\"numeric\",\"cuts\":[1,2]}]}";
    static const char *const cases[][3] = {
        {"16", "254", "ok"}, {"1e300", "254", ""}, {"-1e300", "254", ""},
        {"16", "1e300", ""}, {"1", "254", ""},     {"257", "254", ""},
        {"16", "0", ""},     {"16", "255", ""},    {"256", "1", "ok"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[512];
        snprintf(text, sizeof text, fmt, cases[i][0], cases[i][1]);
        cJSON *j = cJSON_Parse(text);
        assert_non_null(j);
        ll_prep *p = NULL;
        ll_error err;
        ll_status st = ll_prep_from_json(j, &p, &err);
        cJSON_Delete(j);
        if (cases[i][2][0]) {
            assert_int_equal(st, LL_OK);
            ll_prep_free(p);
        } else {
            assert_int_equal(st, LL_EPARSE);
            assert_null(p);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile_cuts),
        cmocka_unit_test(test_heavy_value_cuts),
        cmocka_unit_test(test_distinct_values_and_missing),
        cmocka_unit_test(test_float32_cuts),
        cmocka_unit_test(test_unseen_category_and_max_categories),
        cmocka_unit_test(test_design_standardisation),
        cmocka_unit_test(test_labels_and_positive),
        cmocka_unit_test(test_detect_positive),
        cmocka_unit_test(test_errors_name_the_column),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_split_is_stratified),
        cmocka_unit_test(test_boolean_is_numeric),
        cmocka_unit_test(test_binning_big_table_matches_search),
        cmocka_unit_test(test_json_settings_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
