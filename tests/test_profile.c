/* Unit tests for profile: statistics against values computed with numpy 1.24 / pandas 1.5. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "numfmt.h"
#include "profile.h"
#include "table.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static int close_to(double got, double want, double rel)
{
    if (isnan(want)) return isnan(got);
    double tol = rel * fmax(1.0, fabs(want));
    return fabs(got - want) <= tol;
}

#define assert_close(got, want)                                                                    \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        if (!close_to(g_, w_, 1e-12)) fail_msg("%s = %.17g, expected %.17g", #got, g_, w_);        \
    } while (0)

static const ll_profile_column *col_named(const ll_profile *p, const char *name)
{
    for (size_t i = 0; i < p->ncols; i++)
        if (!strcmp(p->cols[i].name, name)) return &p->cols[i];
    fail_msg("no column %s in profile", name);
    return NULL;
}

static void check_quantiles(const ll_profile_column *c, const double want[LL_PROFILE_NQUANT])
{
    for (int q = 0; q < LL_PROFILE_NQUANT; q++) assert_close(c->quantiles[q], want[q]);
}

static void check_hist(const ll_profile_column *c, const size_t counts[20], const double edges[21])
{
    assert_int_equal(c->nbins, 20);
    for (int b = 0; b < 20; b++) {
        if (c->hist_counts[b] != counts[b])
            fail_msg("%s bin %d: %zu, expected %zu", c->name, b, c->hist_counts[b], counts[b]);
    }
    for (int b = 0; b <= 20; b++) assert_close(c->hist_edges[b], edges[b]);
}

/* Categorical column from a list of labels (NULL = missing), dictionary in first-seen order
 * plus an unused trailing entry (distinct counts must ignore it). */
static void add_cat(ll_table *t, const char *name, const char *const *labels)
{
    const char *dict[64];
    int32_t nd = 0;
    int32_t *codes = malloc(t->nrows * sizeof *codes);
    assert_non_null(codes);
    for (size_t r = 0; r < t->nrows; r++) {
        if (!labels[r]) {
            codes[r] = -1;
            continue;
        }
        int32_t k = 0;
        while (k < nd && strcmp(dict[k], labels[r])) k++;
        if (k == nd) dict[nd++] = labels[r];
        codes[r] = k;
    }
    dict[nd++] = "unused";
    assert_true(ll_table_add_categorical(t, name, codes, dict, nd) >= 0);
    free(codes);
}

/* ---- a small hand-made table --------------------------------------------------------------- */

static ll_table *small_table(void)
{
    ll_table *t = ll_table_new(12, "small");
    const double x[12] = {3.5, -1.0, NAN, 2.0, 2.0, 10.0, 0.0, -0.0, 7.25, NAN, 4.0, 100.0};
    const double k[12] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    const double none[12] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    const double flag[12] = {1, 0, 1, 1, NAN, 0, 0, 1, 1, 0, 1, 1};
    const char *grade[12] = {"A", "B", "A", NULL, "C", "B", "A", "D", "B", "A", "C", NULL};
    const char *cls[12] = {"good", "bad", "good", "good", "bad", "good",
                           "good", "bad", "good", "good", NULL,  "good"};
    assert_true(ll_table_add_numeric(t, "x", LL_COL_NUMERIC, x) >= 0);
    assert_true(ll_table_add_numeric(t, "k", LL_COL_NUMERIC, k) >= 0);
    assert_true(ll_table_add_numeric(t, "none", LL_COL_NUMERIC, none) >= 0);
    assert_true(ll_table_add_numeric(t, "flag", LL_COL_BOOLEAN, flag) >= 0);
    const char *tie[12] = {"z", "y", "z", "y", "x", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    add_cat(t, "grade", grade);
    add_cat(t, "Class", cls);
    add_cat(t, "tie", tie);
    return t;
}

static void test_small_numeric(void **state)
{
    (void)state;
    ll_table *t = small_table();
    ll_profile *p = NULL;
    ll_error err;
    assert_int_equal(ll_profile_compute(t, NULL, &p, &err), LL_OK);
    assert_int_equal(p->nrows, 12);
    assert_int_equal(p->ncols, 7);
    assert_false(p->has_target);

    const ll_profile_column *x = col_named(p, "x");
    assert_int_equal(x->type, LL_COL_NUMERIC);
    assert_int_equal(x->count, 10);
    assert_int_equal(x->missing, 2);
    assert_int_equal(x->distinct, 8); /* -0.0 and 0.0 count once, as pandas' nunique */
    assert_close(x->min, -1.0);
    assert_close(x->max, 100.0);
    assert_close(x->mean, 12.775);
    assert_close(x->std, 30.836137259895423);
    check_quantiles(x, (const double[]){-0.91, -0.55, 0.5, 2.75, 6.4375, 59.4999999999999, 91.9});
    check_hist(x, (const size_t[]){7, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
               (const double[]){-1.0,
                                4.05,
                                9.1,
                                14.149999999999999,
                                19.2,
                                24.25,
                                29.299999999999997,
                                34.35,
                                39.4,
                                44.449999999999996,
                                49.5,
                                54.55,
                                59.599999999999994,
                                64.64999999999999,
                                69.7,
                                74.75,
                                79.8,
                                84.85,
                                89.89999999999999,
                                94.95,
                                100.0});
    assert_int_equal(x->nlevels, 0);

    /* constant column: numpy widens the range to [v - 0.5, v + 0.5] */
    const ll_profile_column *k = col_named(p, "k");
    assert_int_equal(k->distinct, 1);
    assert_close(k->std, 0.0);
    check_quantiles(k, (const double[]){5, 5, 5, 5, 5, 5, 5});
    check_hist(k, (const size_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0},
               (const double[]){4.5,  4.55, 4.6,  4.65, 4.7,  4.75, 4.8,  4.85, 4.9,  4.95, 5.0,
                                5.05, 5.1,  5.15, 5.2,  5.25, 5.3,  5.35, 5.4,  5.45, 5.5});

    const ll_profile_column *none = col_named(p, "none");
    assert_int_equal(none->count, 0);
    assert_int_equal(none->missing, 12);
    assert_int_equal(none->distinct, 0);
    assert_true(isnan(none->mean) && isnan(none->std) && isnan(none->min));
    assert_true(isnan(none->quantiles[3]));
    assert_int_equal(none->nbins, 0);
    assert_null(none->hist_counts);
    ll_profile_free(p);
    ll_table_free(t);
}

static void test_small_categorical(void **state)
{
    (void)state;
    ll_table *t = small_table();
    ll_profile *p = NULL;
    ll_error err;
    ll_profile_options opt = {.target = "Class", .top = 3};
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);

    /* grade: A x4, B x3, C x2, D x1, 2 missing; top 3 of 4 levels */
    const ll_profile_column *g = col_named(p, "grade");
    assert_int_equal(g->type, LL_COL_CATEGORICAL);
    assert_int_equal(g->count, 10);
    assert_int_equal(g->missing, 2);
    assert_int_equal(g->distinct, 4);
    assert_int_equal(g->nlevels, 4);
    assert_int_equal(g->ntop, 3);
    assert_true(isnan(g->mean) && isnan(g->min) && g->nbins == 0);
    const char *want[] = {"A", "B", "C", "D"};
    const size_t cnt[] = {4, 3, 2, 1};
    /* positive class 'bad': rows 2, 5, 8 -> B, C, D; row 11 (C) has no target */
    const size_t tcnt[] = {4, 3, 1, 1}, pos[] = {0, 1, 1, 1};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(g->levels[i].value, want[i]);
        assert_int_equal(g->levels[i].count, cnt[i]);
        assert_int_equal(g->levels[i].target_count, tcnt[i]);
        assert_int_equal(g->levels[i].positives, pos[i]);
        assert_close(g->levels[i].target_rate, (double)pos[i] / (double)tcnt[i]);
    }

    /* equal counts rank by label, not by first appearance (z was seen first) */
    const ll_profile_column *tie = col_named(p, "tie");
    assert_int_equal(tie->nlevels, 3);
    assert_string_equal(tie->levels[0].value, "y");
    assert_string_equal(tie->levels[1].value, "z");
    assert_string_equal(tie->levels[2].value, "x");

    const ll_profile_column *f = col_named(p, "flag");
    assert_int_equal(f->type, LL_COL_BOOLEAN);
    assert_int_equal(f->count, 11);
    assert_int_equal(f->missing, 1);
    assert_int_equal(f->distinct, 2);
    assert_close(f->mean, 0.6363636363636364);
    assert_close(f->std, 0.504524979109513);
    assert_string_equal(f->levels[0].value, "true");
    assert_int_equal(f->levels[0].count, 7);
    assert_string_equal(f->levels[1].value, "false");
    assert_int_equal(f->levels[1].count, 4);
    /* bad rows 2, 5, 8 have flag 0, missing, 1 */
    assert_int_equal(f->levels[0].positives, 1);
    assert_int_equal(f->levels[1].positives, 1);

    assert_true(p->has_target);
    assert_string_equal(p->target.name, "Class");
    assert_int_equal(p->target.column, 5);
    assert_int_equal(p->target.count, 11);
    assert_string_equal(p->target.classes[0].value, "good");
    assert_int_equal(p->target.classes[0].count, 8);
    assert_string_equal(p->target.classes[1].value, "bad");
    assert_int_equal(p->target.classes[1].count, 3);
    assert_int_equal(p->target.positive_index, 1);
    assert_close(p->target.positive_rate, 3.0 / 11.0);
    const ll_profile_column *c = col_named(p, "Class");
    assert_true(c->is_target);
    assert_int_equal(c->missing, 1);
    assert_true(isnan(c->levels[0].target_rate)); /* not computed for the target itself */
    ll_profile_free(p);
    ll_table_free(t);
}

/* ---- more than LOWCARD distinct values: the radix-sort path ---------------------------------- */

static ll_table *synthetic_table(size_t n)
{
    ll_table *t = ll_table_new(n, NULL);
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = i % 97 == 0 ? NAN : (double)((i * 7919) % 50021) / 16.0 - 1000.0;
    assert_true(ll_table_add_numeric(t, "syn", LL_COL_NUMERIC, v) >= 0);
    assert_true(ll_table_add_numeric(t, "syn2", LL_COL_NUMERIC, v) >= 0);
    free(v);
    return t;
}

static void test_many_distinct(void **state)
{
    (void)state;
    ll_table *t = synthetic_table(50000);
    for (int nt = 1; nt <= 2; nt++) {
        ll_profile *p = NULL;
        ll_error err;
        ll_profile_options opt = {.nthreads = nt};
        assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);
        for (int k = 0; k < 2; k++) {
            const ll_profile_column *c = &p->cols[k];
            assert_int_equal(c->count, 49484);
            assert_int_equal(c->missing, 516);
            assert_int_equal(c->distinct, 49484);
            assert_close(c->min, -999.875);
            assert_close(c->max, 2126.25);
            assert_close(c->mean, 563.1141000121252);
            assert_close(c->std, 902.4975694884953);
            check_quantiles(c, (const double[]){-968.698125, -843.740625, -218.453125, 563.09375,
                                                1344.640625, 1969.990625, 2095.010625});
            check_hist(c,
                       (const size_t[]){2477, 2473, 2474, 2474, 2475, 2474, 2475, 2474, 2474, 2473,
                                        2475, 2474, 2474, 2475, 2473, 2474, 2472, 2476, 2473, 2475},
                       (const double[]){-999.875,           -843.56875,        -687.2625,
                                        -530.95625,         -374.65,           -218.34375,
                                        -62.03749999999991, 94.26874999999995, 250.57500000000005,
                                        406.88125000000014, 563.1875,          719.4937500000001,
                                        875.8000000000002,  1032.10625,        1188.4125,
                                        1344.71875,         1501.025,          1657.3312500000002,
                                        1813.6375000000003, 1969.94375,        2126.25});
        }
        ll_profile_free(p);
    }
    ll_table_free(t);
}

/* ---- lending_club.csv (read by a minimal reader: the file is plain, quoted strings) ---------- */

#define LC_ROWS 9857
#define LC_COLS 23

static char *unquote(char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        return s + 1;
    }
    return s;
}

static ll_table *load_lending_club(void)
{
    FILE *f = fopen("../data/lending_club.csv", "r");
    assert_non_null(f);
    static char line[4096];
    char *names[LC_COLS];
    char **cells = calloc((size_t)LC_ROWS * LC_COLS, sizeof *cells);
    assert_non_null(cells);
    size_t row = 0;
    int header = 1;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *save = NULL;
        int c = 0;
        for (char *tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            assert_true(c < LC_COLS);
            char *v = strdup(unquote(tok));
            if (header)
                names[c] = v;
            else
                cells[row * LC_COLS + (size_t)c] = v;
            c++;
        }
        assert_int_equal(c, LC_COLS);
        if (!header) row++;
        header = 0;
    }
    fclose(f);
    assert_int_equal(row, LC_ROWS);
    ll_table *t = ll_table_new(LC_ROWS, "../data/lending_club.csv");
    double *num = malloc(LC_ROWS * sizeof *num);
    const char **labels = malloc(LC_ROWS * sizeof *labels);
    for (int c = 0; c < LC_COLS; c++) {
        int numeric = 1;
        for (size_t r = 0; r < LC_ROWS && numeric; r++) {
            const char *s = cells[r * LC_COLS + (size_t)c];
            numeric = ll_numparse(s, strlen(s), &num[r]);
        }
        if (numeric) {
            assert_true(ll_table_add_numeric(t, names[c], LL_COL_NUMERIC, num) >= 0);
        } else {
            for (size_t r = 0; r < LC_ROWS; r++) labels[r] = cells[r * LC_COLS + (size_t)c];
            add_cat(t, names[c], labels);
        }
        free(names[c]);
    }
    for (size_t i = 0; i < (size_t)LC_ROWS * LC_COLS; i++) free(cells[i]);
    free(cells);
    free(num);
    free(labels);
    return t;
}

typedef struct {
    const char *name;
    size_t distinct;
    double min, max, mean, std;
    double q[LL_PROFILE_NQUANT];
    size_t counts[20];
    double edges[21];
} num_expect;

/* pandas: d[c].min(), .max(), .mean(), .std(), .nunique(); numpy.quantile(v, [...]),
 * numpy.histogram(v, bins=20) */
static const num_expect lc_num[] = {
    {"funded_amnt",
     900,
     1000.0,
     40000.0,
     15683.557370396673,
     8879.1065468201,
     {2000.0, 4000.0, 8500.0, 15000.0, 21000.0, 35000.0, 35000.0},
     {252, 476, 973, 813, 1075, 803, 485, 1014, 509, 866,
      337, 501, 418, 314, 328,  98,  70,  489,  4,   32},
     {1000.0,  2950.0,  4900.0,  6850.0,  8800.0,  10750.0, 12700.0,
      14650.0, 16600.0, 18550.0, 20500.0, 22450.0, 24400.0, 26350.0,
      28300.0, 30250.0, 32200.0, 34150.0, 36100.0, 38050.0, 40000.0}},
    {"int_rate",
     72,
     5.32,
     28.99,
     12.526536471543066,
     4.894059391240908,
     {5.32, 5.32, 8.49, 11.99, 15.31, 21.97, 26.57},
     {886, 594, 1020, 1189, 586, 1296, 653, 934, 492, 332,
      464, 314, 348,  245,  190, 128,  44,  67,  29,  46},
     {5.32,   6.503500000000001, 7.687,  8.8705,  10.054, 11.2375, 12.421, 13.6045,
      14.788, 15.9715,           17.155, 18.3385, 19.522, 20.7055, 21.889, 23.0725,
      24.256, 25.4395,           26.623, 27.8065, 28.99}},
    {"annual_inc",
     1459,
     0.0,
     960000.0,
     80320.35632038146,
     53450.16583413864,
     {19876.08, 30000.0, 50000.0, 68900.0, 96000.0, 166429.59999999983, 275000.0},
     {2256, 5111, 1692, 464, 156, 94, 31, 14, 11, 8, 9, 3, 1, 1, 2, 0, 3, 0, 0, 1},
     {0.0,      48000.0,  96000.0,  144000.0, 192000.0, 240000.0, 288000.0,
      336000.0, 384000.0, 432000.0, 480000.0, 528000.0, 576000.0, 624000.0,
      672000.0, 720000.0, 768000.0, 816000.0, 864000.0, 912000.0, 960000.0}},
    {"revol_util",
     1023,
     0.0,
     144.3,
     51.734401947854316,
     24.37896796769701,
     {1.5560000000000003, 11.0, 33.2, 51.8, 70.4, 92.0, 98.84400000000005},
     {298, 397, 504, 738, 891, 936, 986, 993, 959, 909, 769, 612, 487, 353, 21, 1, 2, 0, 0, 1},
     {0.0,
      7.215000000000001,
      14.430000000000001,
      21.645000000000003,
      28.860000000000003,
      36.075,
      43.290000000000006,
      50.505,
      57.720000000000006,
      64.935,
      72.15,
      79.36500000000001,
      86.58000000000001,
      93.79500000000002,
      101.01,
      108.22500000000001,
      115.44000000000001,
      122.65500000000002,
      129.87,
      137.085,
      144.3}},
    {"total_bal_il",
     8273,
     0.0,
     585583.0,
     35286.920158263165,
     41923.62030282809,
     {0.0, 0.0, 9450.0, 23650.0, 46297.0, 109953.79999999996, 201308.88000000003},
     {5726, 2374, 947, 387, 186, 87, 59, 32, 14, 19, 8, 6, 3, 1, 2, 3, 0, 0, 1, 2},
     {0.0,
      29279.15,
      58558.3,
      87837.45000000001,
      117116.6,
      146395.75,
      175674.90000000002,
      204954.05000000002,
      234233.2,
      263512.35000000003,
      292791.5,
      322070.65,
      351349.80000000005,
      380628.95,
      409908.10000000003,
      439187.25,
      468466.4,
      497745.55000000005,
      527024.7000000001,
      556303.85,
      585583.0}},
    {"acc_now_delinq",
     3,
     0.0,
     2.0,
     0.006289946231104799,
     0.08282380824144248,
     {0, 0, 0, 0, 0, 0, 0},
     {9798, 0, 0, 0, 0, 0, 0, 0, 0, 0, 56, 0, 0, 0, 0, 0, 0, 0, 0, 3},
     {0.0,
      0.1,
      0.2,
      0.30000000000000004,
      0.4,
      0.5,
      0.6000000000000001,
      0.7000000000000001,
      0.8,
      0.9,
      1.0,
      1.1,
      1.2000000000000002,
      1.3,
      1.4000000000000001,
      1.5,
      1.6,
      1.7000000000000002,
      1.8,
      1.9000000000000001,
      2.0}},
};

typedef struct {
    const char *value;
    size_t count, positives;
    double rate;
} level_expect;

/* pandas groupby(c) size and sum(Class == 'bad'), sorted by (-count, label); top 10 */
static const level_expect lc_sub_grade[] = {
    {"C1", 672, 28, 0.041666666666666664}, {"B5", 624, 22, 0.035256410256410256},
    {"A1", 612, 3, 0.004901960784313725},  {"B3", 607, 16, 0.026359143327841845},
    {"B4", 586, 18, 0.030716723549488054}, {"B2", 582, 7, 0.012027491408934709},
    {"B1", 555, 11, 0.01981981981981982},  {"C4", 539, 36, 0.06679035250463822},
    {"C2", 535, 22, 0.041121495327102804}, {"C3", 513, 22, 0.042884990253411304},
};
static const level_expect lc_addr_state[] = {
    {"CA", 1324, 77, 0.0581570996978852},  {"TX", 900, 49, 0.05444444444444444},
    {"NY", 767, 38, 0.04954367666232073},  {"FL", 731, 47, 0.06429548563611491},
    {"IL", 421, 20, 0.047505938242280284}, {"NJ", 349, 15, 0.04297994269340974},
    {"OH", 328, 16, 0.04878048780487805},  {"GA", 320, 20, 0.0625},
    {"PA", 299, 17, 0.056856187290969896}, {"NC", 292, 17, 0.05821917808219178},
};
static const level_expect lc_verification[] = {
    {"Source_Verified", 3742, 189, 0.05050774986638162},
    {"Not_Verified", 3434, 118, 0.0343622597553873},
    {"Verified", 2681, 210, 0.0783289817232376},
};

static void check_levels(const ll_profile_column *c, size_t distinct, const level_expect *want,
                         size_t n)
{
    assert_int_equal(c->type, LL_COL_CATEGORICAL);
    assert_int_equal(c->distinct, distinct);
    assert_int_equal(c->nlevels, distinct);
    assert_int_equal(c->ntop, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(c->levels[i].value, want[i].value);
        assert_int_equal(c->levels[i].count, want[i].count);
        assert_int_equal(c->levels[i].target_count, want[i].count);
        assert_int_equal(c->levels[i].positives, want[i].positives);
        assert_close(c->levels[i].target_rate, want[i].rate);
    }
}

static void test_lending_club(void **state)
{
    (void)state;
    ll_table *t = load_lending_club();
    assert_int_equal(ll_profile_guess_target(t), 22);
    for (int nt = 1; nt <= 2; nt++) {
        ll_profile *p = NULL;
        ll_error err;
        ll_profile_options opt = {.target = "Class", .nthreads = nt};
        assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);
        assert_int_equal(p->nrows, LC_ROWS);
        assert_int_equal(p->ncols, LC_COLS);
        for (size_t i = 0; i < sizeof lc_num / sizeof *lc_num; i++) {
            const num_expect *w = &lc_num[i];
            const ll_profile_column *c = col_named(p, w->name);
            assert_int_equal(c->type, LL_COL_NUMERIC);
            assert_int_equal(c->count, LC_ROWS);
            assert_int_equal(c->missing, 0);
            assert_int_equal(c->distinct, w->distinct);
            assert_close(c->min, w->min);
            assert_close(c->max, w->max);
            assert_close(c->mean, w->mean);
            assert_close(c->std, w->std);
            check_quantiles(c, w->q);
            check_hist(c, w->counts, w->edges);
        }
        check_levels(col_named(p, "sub_grade"), 35, lc_sub_grade, 10);
        check_levels(col_named(p, "addr_state"), 50, lc_addr_state, 10);
        check_levels(col_named(p, "verification_status"), 3, lc_verification, 3);
        assert_true(p->has_target);
        assert_string_equal(p->target.classes[p->target.positive_index].value, "bad");
        assert_int_equal(p->target.classes[p->target.positive_index].count, 517);
        assert_int_equal(p->target.count, LC_ROWS);
        assert_close(p->target.positive_rate, 517.0 / 9857.0);
        ll_profile_free(p);
    }
    ll_table_free(t);
}

/* ---- target handling ------------------------------------------------------------------------- */

/* Positive label chosen for a categorical target holding a (n_a rows) and b (n_b rows). */
static const char *positive_of(const char *a, size_t n_a, const char *b, size_t n_b,
                               const char *override, ll_status *st)
{
    static char out[64];
    size_t n = n_a + n_b;
    ll_table *t = ll_table_new(n, NULL);
    const char **labels = malloc(n * sizeof *labels);
    for (size_t r = 0; r < n; r++) labels[r] = r < n_a ? a : b;
    add_cat(t, "y", labels);
    free(labels);
    ll_profile *p = NULL;
    ll_error err;
    ll_profile_options opt = {.target = "y", .positive = override};
    *st = ll_profile_compute(t, &opt, &p, &err);
    out[0] = '\0';
    if (*st == LL_OK) {
        snprintf(out, sizeof out, "%s", p->target.classes[p->target.positive_index].value);
        assert_close(p->target.positive_rate,
                     (double)p->target.classes[p->target.positive_index].count / (double)n);
    }
    ll_profile_free(p);
    ll_table_free(t);
    return out;
}

static void test_positive_detection(void **state)
{
    (void)state;
    ll_status st;
    /* each encoding, with the positive class as the majority so "minority" cannot explain it */
    assert_string_equal(positive_of("1", 5, "0", 2, NULL, &st), "1");
    assert_string_equal(positive_of("0", 5, "1", 2, NULL, &st), "1");
    assert_string_equal(positive_of("true", 5, "false", 2, NULL, &st), "true");
    assert_string_equal(positive_of("FALSE", 2, "TRUE", 5, NULL, &st), "TRUE");
    assert_string_equal(positive_of("Yes", 5, "No", 2, NULL, &st), "Yes");
    assert_string_equal(positive_of("n", 2, "y", 5, NULL, &st), "y");
    assert_string_equal(positive_of("bad", 5, "good", 2, NULL, &st), "bad");
    assert_string_equal(positive_of("Default", 5, "Paid", 2, NULL, &st), "Default");
    assert_string_equal(positive_of("current", 2, "default", 5, NULL, &st), "default");
    assert_string_equal(positive_of("Charged Off", 5, "Fully Paid", 2, NULL, &st), "Charged Off");
    assert_string_equal(positive_of("Current", 2, "charged_off", 5, NULL, &st), "charged_off");
    /* no known encoding: the minority class; on a tie the label sorting last */
    assert_string_equal(positive_of("alpha", 5, "beta", 2, NULL, &st), "beta");
    assert_string_equal(positive_of("alpha", 2, "beta", 5, NULL, &st), "alpha");
    assert_string_equal(positive_of("alpha", 3, "beta", 3, NULL, &st), "beta");
    /* caller's choice: exact, case-insensitive, numeric */
    assert_string_equal(positive_of("bad", 5, "good", 2, "good", &st), "good");
    assert_string_equal(positive_of("bad", 5, "good", 2, "GOOD", &st), "good");
    assert_string_equal(positive_of("1", 5, "0", 2, "0.0", &st), "0");
    positive_of("bad", 5, "good", 2, "ugly", &st);
    assert_int_equal(st, LL_EINVAL);
}

static void test_positive_numeric_boolean(void **state)
{
    (void)state;
    ll_table *t = ll_table_new(6, NULL);
    const double y[6] = {0, 1, 0, 0, NAN, 0};
    const double b[6] = {1, 1, 0, 1, 1, NAN};
    const double m[6] = {-1, 3, 3, -1, -1, 3};
    assert_true(ll_table_add_numeric(t, "y", LL_COL_NUMERIC, y) >= 0);
    assert_true(ll_table_add_numeric(t, "b", LL_COL_BOOLEAN, b) >= 0);
    assert_true(ll_table_add_numeric(t, "m", LL_COL_NUMERIC, m) >= 0);
    ll_profile *p = NULL;
    ll_error err;
    ll_profile_options opt = {.target = "y"};
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);
    assert_string_equal(p->target.classes[p->target.positive_index].value, "1");
    assert_int_equal(p->target.count, 5);
    assert_close(p->target.positive_rate, 0.2);
    /* rates of the boolean column b by the positive rows of y (row 2 only, b = 1) */
    const ll_profile_column *bc = col_named(p, "b");
    assert_string_equal(bc->levels[0].value, "true");
    assert_int_equal(bc->levels[0].target_count, 3);
    assert_int_equal(bc->levels[0].positives, 1);
    ll_profile_free(p);

    opt.target = "b"; /* a boolean target: "true" is positive even as the majority */
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);
    assert_string_equal(p->target.classes[p->target.positive_index].value, "true");
    assert_close(p->target.positive_rate, 0.8);
    ll_profile_free(p);

    /* a boolean target with spellings outside the known encodings: its true value */
    ll_column onoff = {0};
    onoff.name = strdup("onoff");
    onoff.type = LL_COL_BOOLEAN;
    onoff.num = malloc(6 * sizeof *onoff.num);
    onoff.dict = malloc(2 * sizeof *onoff.dict);
    onoff.dict[0] = strdup("absent");
    onoff.dict[1] = strdup("present");
    onoff.ndict = 2;
    for (int r = 0; r < 6; r++) onoff.num[r] = r != 0;
    assert_true(ll_table_adopt_column(t, &onoff) >= 0);
    opt.target = "onoff";
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);
    assert_string_equal(p->target.classes[p->target.positive_index].value, "present");
    assert_string_equal(col_named(p, "onoff")->levels[1].value, "absent");
    ll_profile_free(p);

    opt.target = "m"; /* -1 / 3: no encoding, the minority (tie: the label sorting last) */
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);
    assert_string_equal(p->target.classes[p->target.positive_index].value, "3");
    opt.positive = "-1";
    ll_profile_free(p);
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);
    assert_string_equal(p->target.classes[p->target.positive_index].value, "-1");
    ll_profile_free(p);
    ll_table_free(t);
}

static void test_target_errors(void **state)
{
    (void)state;
    ll_table *t = ll_table_new(8, NULL);
    const char *three[8] = {"a", "b", "c", "a", "b", "a", NULL, "a"};
    const char *one[8] = {"x", "x", NULL, "x", "x", "x", "x", "x"};
    const double many[8] = {1, 2, 3, 4, 5, 6, 7, 7};
    const double none[8] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    add_cat(t, "three", three);
    add_cat(t, "one", one);
    assert_true(ll_table_add_numeric(t, "many", LL_COL_NUMERIC, many) >= 0);
    assert_true(ll_table_add_numeric(t, "none", LL_COL_NUMERIC, none) >= 0);
    ll_profile *p = NULL;
    ll_error err;
    ll_profile_options opt = {.target = "three"};
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_EINVAL);
    assert_null(p);
    assert_string_equal(err.msg, "target column 'three' must have exactly 2 classes, found 3: "
                                 "'a', 'b', 'c'");
    opt.target = "one";
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_EINVAL);
    assert_string_equal(err.msg, "target column 'one' must have exactly 2 classes, found 1: 'x'");
    opt.target = "many";
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_EINVAL);
    assert_string_equal(err.msg, "target column 'many' must have exactly 2 classes, found 7: "
                                 "'1', '2', '3', '4', '5', ...");
    opt.target = "none";
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "found none"));
    opt.target = "nosuch";
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nosuch"));
    opt.target = NULL;
    opt.positive = "a";
    assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_EINVAL);
    ll_table_free(t);
}

static void test_guess_target(void **state)
{
    (void)state;
    ll_table *t = ll_table_new(4, NULL);
    const double v[4] = {1, 2, 3, 4};
    const double bin[4] = {0, 1, 1, NAN};
    const char *three[4] = {"a", "b", "c", "a"};
    assert_true(ll_table_add_numeric(t, "amount", LL_COL_NUMERIC, v) >= 0);
    assert_int_equal(ll_profile_guess_target(t), -1);
    assert_true(ll_table_add_numeric(t, "Default", LL_COL_NUMERIC, bin) >= 0);
    assert_int_equal(ll_profile_guess_target(t), 1);
    assert_true(ll_table_add_numeric(t, "notes", LL_COL_NUMERIC, v) >= 0);
    assert_int_equal(ll_profile_guess_target(t), 1); /* rightmost target-like column */
    add_cat(t, "class", three);                      /* named like a target, not binary */
    assert_int_equal(ll_profile_guess_target(t), 1);
    ll_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_numeric),      cmocka_unit_test(test_small_categorical),
        cmocka_unit_test(test_many_distinct),      cmocka_unit_test(test_lending_club),
        cmocka_unit_test(test_positive_detection), cmocka_unit_test(test_positive_numeric_boolean),
        cmocka_unit_test(test_target_errors),      cmocka_unit_test(test_guess_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
