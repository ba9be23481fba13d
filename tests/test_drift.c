/* Unit tests for drift: test choice, dataset drift share, profiles, bad input, reports. Expected
 * scores were computed with SciPy following Evidently's stattest code and written as literals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "csv.h"
#include "drift.h"

static void check_rel(double got, double want, double tol, const char *what)
{
    double err = want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
    if (!(err <= tol)) {
        fprintf(stderr, "%s: got %.17g want %.17g (rel err %.3g)\n", what, got, want, err);
        fail();
    }
}

static ll_table *load(const char *path)
{
    ll_csv_options o;
    memset(&o, 0, sizeof o);
    ll_table *t = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_csv_read_table(path, &o, &t, NULL, &err), LL_OK);
    return t;
}

static ll_drift_profile *profile_of(const ll_table *t, const char *source)
{
    ll_drift_profile *p = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_drift_profile_from_table(t, source, NULL, 2, NULL, &p, &err), LL_OK);
    return p;
}

static const ll_drift_result *find(const ll_drift_report *r, const char *name)
{
    for (size_t i = 0; i < r->ncols; i++)
        if (!strcmp(r->cols[i].column_name, name)) return &r->cols[i];
    fail_msg("no column %s", name);
    return NULL;
}

/* First n rows of t as a new table (numeric and categorical columns). */
static ll_table *head(const ll_table *t, size_t n)
{
    ll_table *h = ll_table_new(n, "head");
    for (size_t i = 0; i < t->ncols; i++) {
        const ll_column *c = &t->cols[i];
        if (c->type == LL_COL_CATEGORICAL)
            assert_true(ll_table_add_categorical(h, c->name, c->codes, (const char *const *)c->dict,
                                                 c->ndict) >= 0);
        else
            assert_true(ll_table_add_numeric(h, c->name, c->type, c->num) >= 0);
    }
    return h;
}

static void test_fixture_drift(void **state)
{
    (void)state;
    ll_table *rt = load("fixtures/lending_club_test.csv");
    ll_table *ct = load("fixtures/lending_club_drifted.csv");
    ll_drift_profile *ref = profile_of(rt, "test"), *cur = profile_of(ct, "drifted");
    ll_drift_options o;
    ll_drift_options_init(&o);
    o.target = "Class";
    ll_drift_report *r = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_drift_compare(ref, cur, &o, &r, &err), LL_OK);
    /* 1971 reference rows: Wasserstein / Jensen-Shannon by default */
    struct {
        const char *col;
        ll_stattest t;
        double score, psi;
        int drifted;
    } want[] = {
        {"int_rate", LL_STATTEST_WASSERSTEIN, 0.6021382965146946, 0.9928452432677517, 1},
        {"annual_inc", LL_STATTEST_WASSERSTEIN, 0.28604021558509335, 0.22411797183535676, 1},
        {"term", LL_STATTEST_JENSENSHANNON, 0.15859837488704792, 0.20329922278697143, 1},
        {"sub_grade", LL_STATTEST_JENSENSHANNON, 0.121508078995961, 0.11971839772186879, 1},
        {"addr_state", LL_STATTEST_JENSENSHANNON, 0.0, 0.0, 0},
        {"funded_amnt", LL_STATTEST_WASSERSTEIN, 0.0, 0.0, 0},
        {"acc_now_delinq", LL_STATTEST_JENSENSHANNON, 0.0, 0.0, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const ll_drift_result *c = find(r, want[i].col);
        assert_int_equal(c->test, want[i].t);
        check_rel(c->score, want[i].score, 1e-9, want[i].col);
        check_rel(c->psi, want[i].psi, 1e-9, want[i].col);
        assert_int_equal(c->drifted, want[i].drifted);
    }
    assert_int_equal(r->ncols, 22);
    assert_int_equal(r->number_of_columns, 22);
    assert_int_equal(r->number_of_drifted_columns, 4);
    check_rel(r->share_of_drifted_columns, 4.0 / 22.0, 1e-15, "share");
    assert_false(r->dataset_drift); /* 4/22 < 0.5: the observed share, not the setting */
    assert_non_null(r->target);
    assert_string_equal(r->target->column_name, "Class");
    assert_false(r->target->drifted);
    size_t idx[22];
    ll_drift_report_order(r, idx);
    for (int i = 0; i < 4; i++) assert_true(r->cols[idx[i]].drifted);
    assert_string_equal(r->cols[idx[0]].column_name, "int_rate");
    ll_drift_report_free(r);

    o.drift_share = 0.1;
    assert_int_equal(ll_drift_compare(ref, cur, &o, &r, &err), LL_OK);
    assert_true(r->dataset_drift);
    ll_drift_report_free(r);

    /* a 500-row reference: K-S, chi-square and Z-test by default */
    ll_table *small = head(rt, 500);
    ll_drift_profile *sref = profile_of(small, "head");
    o.drift_share = 0.5;
    o.target = NULL;
    assert_int_equal(ll_drift_compare(sref, cur, &o, &r, &err), LL_OK);
    struct {
        const char *col;
        ll_stattest t;
        double score, psi;
        int drifted;
    } want2[] = {
        {"int_rate", LL_STATTEST_KS, 1.0350044114933843e-36, 1.081951878913626, 1},
        {"term", LL_STATTEST_Z, 6.981600666825159e-21, 0.23610665244719947, 1},
        {"sub_grade", LL_STATTEST_CHISQUARE, 0.0, 0.23110673654154107, 1},
        {"acc_now_delinq", LL_STATTEST_CHISQUARE, 0.0, 0.00196936169857646, 1},
        {"inq_last_6mths", LL_STATTEST_KS, 0.9715913490387202, 0.005580552873965959, 0},
        {"verification_status", LL_STATTEST_CHISQUARE, 0.7736194024801296, 0.0002613389819575659,
         0},
    };
    for (size_t i = 0; i < sizeof want2 / sizeof *want2; i++) {
        const ll_drift_result *c = find(r, want2[i].col);
        assert_int_equal(c->test, want2[i].t);
        check_rel(c->score, want2[i].score, 1e-6, want2[i].col);
        check_rel(c->psi, want2[i].psi, 1e-9, want2[i].col);
        assert_int_equal(c->drifted, want2[i].drifted);
    }
    ll_drift_report_free(r);
    ll_drift_profile_free(sref);
    ll_table_free(small);
    ll_drift_profile_free(ref);
    ll_drift_profile_free(cur);
    ll_table_free(rt);
    ll_table_free(ct);
}

/* Table with four numeric columns; in "cur", column d3 is shifted. */
static ll_drift_profile *synthetic(size_t n, int shift, const char *source)
{
    ll_table *t = ll_table_new(n, source);
    double *v = malloc(n * sizeof *v);
    const char *names[] = {"d0", "d1", "d2", "d3"};
    for (int c = 0; c < 4; c++) {
        for (size_t i = 0; i < n; i++) v[i] = (double)((i * 37 + (size_t)c) % 101);
        if (shift && c == 3)
            for (size_t i = 0; i < n; i++) v[i] += 60;
        assert_true(ll_table_add_numeric(t, names[c], LL_COL_NUMERIC, v) >= 0);
    }
    free(v);
    ll_drift_profile *p = profile_of(t, source);
    ll_table_free(t);
    return p;
}

static void test_observed_share(void **state)
{
    (void)state;
    ll_drift_profile *ref = synthetic(800, 0, "ref"), *cur = synthetic(600, 1, "cur");
    ll_drift_options o;
    ll_drift_options_init(&o);
    ll_drift_report *r;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_drift_compare(ref, cur, &o, &r, &err), LL_OK);
    assert_int_equal(r->number_of_drifted_columns, 1);
    check_rel(r->share_of_drifted_columns, 0.25, 0, "share");
    /* the configured share is 0.5 and only a quarter drifted: no dataset drift */
    assert_false(r->dataset_drift);
    ll_drift_report_free(r);
    o.drift_share = 0.25;
    assert_int_equal(ll_drift_compare(ref, cur, &o, &r, &err), LL_OK);
    assert_true(r->dataset_drift);
    ll_drift_report_free(r);
    o.drift_share = 0.26;
    assert_int_equal(ll_drift_compare(ref, cur, &o, &r, &err), LL_OK);
    assert_false(r->dataset_drift);
    ll_drift_report_free(r);
    ll_drift_profile_free(ref);
    ll_drift_profile_free(cur);
}

static void test_column_tests(void **state)
{
    (void)state;
    ll_drift_column_test t[3];
    char eb[256];
    assert_int_equal(ll_drift_column_test_parse("d3=psi:0.2", &t[0], eb, sizeof eb), 0);
    assert_int_equal(t[0].test, LL_STATTEST_PSI);
    check_rel(t[0].threshold, 0.2, 0, "threshold");
    assert_int_equal(ll_drift_column_test_parse("d1=wasserstein", &t[1], eb, sizeof eb), 0);
    assert_true(isnan(t[1].threshold));
    assert_int_equal(ll_drift_column_test_parse("d1=nope", &t[2], eb, sizeof eb), -1);
    assert_non_null(strstr(eb, "nope"));
    assert_int_equal(ll_drift_column_test_parse("novalue", &t[2], eb, sizeof eb), -1);

    ll_drift_profile *ref = synthetic(800, 0, "ref"), *cur = synthetic(600, 1, "cur");
    ll_drift_options o;
    ll_drift_options_init(&o);
    o.column_tests = t;
    o.ncolumn_tests = 2;
    ll_drift_report *r;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_drift_compare(ref, cur, &o, &r, &err), LL_OK);
    const ll_drift_result *c3 = find(r, "d3"), *c1 = find(r, "d1"), *c0 = find(r, "d0");
    assert_int_equal(c3->test, LL_STATTEST_PSI);
    check_rel(c3->threshold, 0.2, 0, "psi threshold");
    check_rel(c3->score, c3->psi, 0, "psi score");
    assert_int_equal(c1->test, LL_STATTEST_WASSERSTEIN);
    check_rel(c1->threshold, 0.1, 0, "wasserstein default");
    assert_int_equal(c0->test, LL_STATTEST_KS); /* 800 rows, 101 values */
    ll_drift_report_free(r);

    o.ncolumn_tests = 0;
    o.stattest = LL_STATTEST_JENSENSHANNON;
    o.threshold = 0.5;
    assert_int_equal(ll_drift_compare(ref, cur, &o, &r, &err), LL_OK);
    for (size_t i = 0; i < r->ncols; i++) {
        assert_int_equal(r->cols[i].test, LL_STATTEST_JENSENSHANNON);
        check_rel(r->cols[i].threshold, 0.5, 0, "global threshold");
    }
    ll_drift_report_free(r);

    ll_drift_column_test bad;
    assert_int_equal(ll_drift_column_test_parse("zz=ks", &bad, eb, sizeof eb), 0);
    o.column_tests = &bad;
    o.ncolumn_tests = 1;
    assert_int_not_equal(ll_drift_compare(ref, cur, &o, &r, &err), LL_OK);
    assert_non_null(strstr(err.msg, "zz"));
    ll_drift_profile_free(ref);
    ll_drift_profile_free(cur);
}

static void test_bad_input(void **state)
{
    (void)state;
    size_t n = 50;
    double v[50], m[50];
    int32_t codes[50];
    const char *dict[] = {"a", "b", "c"};
    for (size_t i = 0; i < n; i++) {
        v[i] = (double)(i % 7);
        m[i] = NAN;
        codes[i] = (int32_t)(i % 3);
    }
    ll_table *a = ll_table_new(n, "a.csv"), *b = ll_table_new(n, "b.csv");
    assert_true(ll_table_add_numeric(a, "x", LL_COL_NUMERIC, v) >= 0);
    assert_true(ll_table_add_numeric(a, "gone", LL_COL_NUMERIC, v) >= 0);
    assert_true(ll_table_add_numeric(a, "empty", LL_COL_NUMERIC, m) >= 0);
    assert_true(ll_table_add_numeric(b, "x", LL_COL_NUMERIC, v) >= 0);
    assert_true(ll_table_add_numeric(b, "empty", LL_COL_NUMERIC, v) >= 0);
    assert_true(ll_table_add_numeric(b, "extra", LL_COL_NUMERIC, v) >= 0);
    ll_drift_profile *pa = profile_of(a, "a.csv"), *pb = profile_of(b, "b.csv");
    ll_drift_report *r = NULL;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_drift_compare(pa, pb, NULL, &r, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "'gone'"));
    assert_non_null(strstr(err.msg, "'extra'"));
    ll_drift_profile_free(pb);
    ll_table_free(b);

    /* all-missing column: reported, not tested, not counted */
    b = ll_table_new(n, "b.csv");
    assert_true(ll_table_add_numeric(b, "x", LL_COL_NUMERIC, v) >= 0);
    assert_true(ll_table_add_numeric(b, "gone", LL_COL_NUMERIC, v) >= 0);
    assert_true(ll_table_add_numeric(b, "empty", LL_COL_NUMERIC, v) >= 0);
    pb = profile_of(b, "b.csv");
    assert_int_equal(ll_drift_compare(pa, pb, NULL, &r, &err), LL_OK);
    const ll_drift_result *e = find(r, "empty");
    assert_false(e->tested);
    assert_false(e->drifted);
    assert_non_null(e->note);
    check_rel(e->missing_share_reference, 1.0, 0, "missing share");
    assert_int_equal(r->number_of_columns, 2);
    ll_drift_report_free(r);
    ll_drift_profile_free(pb);
    ll_table_free(b);

    /* numeric in the reference, text in the current data */
    b = ll_table_new(n, "b.csv");
    assert_true(ll_table_add_categorical(b, "x", codes, dict, 3) >= 0);
    assert_true(ll_table_add_numeric(b, "gone", LL_COL_NUMERIC, v) >= 0);
    assert_true(ll_table_add_numeric(b, "empty", LL_COL_NUMERIC, v) >= 0);
    pb = profile_of(b, "b.csv");
    assert_int_equal(ll_drift_compare(pa, pb, NULL, &r, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "'x'"));
    assert_non_null(strstr(err.msg, "numeric"));
    ll_drift_profile_free(pb);
    ll_table_free(b);

    /* no rows */
    b = ll_table_new(0, "b.csv");
    assert_true(ll_table_add_numeric(b, "x", LL_COL_NUMERIC, v) >= 0);
    pb = profile_of(b, "b.csv");
    assert_int_equal(ll_drift_compare(pa, pb, NULL, &r, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "no rows"));
    ll_drift_profile_free(pb);
    ll_table_free(b);

    /* ks needs numbers */
    b = ll_table_new(n, "b.csv");
    assert_true(ll_table_add_categorical(b, "x", codes, dict, 3) >= 0);
    pb = profile_of(b, "b.csv");
    ll_drift_result res;
    assert_int_equal(
        ll_drift_compare_columns(&pb->cols[0], &pb->cols[0], LL_STATTEST_KS, NAN, &res, &err),
        LL_EINVAL);
    assert_int_equal(
        ll_drift_compare_columns(&pb->cols[0], &pb->cols[0], LL_STATTEST_AUTO, NAN, &res, &err),
        LL_OK);
    assert_int_equal(res.test, LL_STATTEST_CHISQUARE);
    check_rel(res.score, 1.0, 1e-12, "identical chi-square");
    ll_drift_result_clear(&res);
    ll_drift_profile_free(pb);
    ll_table_free(b);
    ll_drift_profile_free(pa);
    ll_table_free(a);
}

static void test_booleans_and_categories(void **state)
{
    (void)state;
    size_t n = 40;
    double flag[40], num[40];
    int32_t codes[40];
    const char *dict_r[] = {"x", "y"}, *dict_c[] = {"y", "z", "x"};
    for (size_t i = 0; i < n; i++) {
        flag[i] = (double)(i % 2);
        num[i] = (double)(i % 3);
        codes[i] = (int32_t)(i % 3);
    }
    ll_table *a = ll_table_new(n, "a"), *b = ll_table_new(n, "b");
    assert_true(ll_table_add_numeric(a, "f", LL_COL_BOOLEAN, flag) >= 0);
    /* spelled 0/1, as the CSV reader types a column of zeros and ones */
    for (int32_t i = 0; a->cols[0].dict && i < a->cols[0].ndict; i++) free(a->cols[0].dict[i]);
    free(a->cols[0].dict);
    a->cols[0].dict = calloc(2, sizeof(char *));
    a->cols[0].dict[0] = strdup("0");
    a->cols[0].dict[1] = strdup("1");
    a->cols[0].ndict = 2;
    assert_true(ll_table_add_categorical(a, "c", codes, dict_r, 2) >= 0);
    assert_true(ll_table_add_numeric(b, "f", LL_COL_NUMERIC, num) >= 0);
    assert_true(ll_table_add_categorical(b, "c", codes, dict_c, 3) >= 0);
    for (size_t i = 0; i < n; i++) a->cols[1].codes[i] = (int32_t)(i % 2);
    ll_drift_profile *pa = profile_of(a, "a"), *pb = profile_of(b, "b");
    /* a 0/1 boolean is the same column as a numeric one with 0, 1, 2 */
    assert_int_equal(pa->cols[0].kind, LL_DRIFT_NUM);
    assert_int_equal(pb->cols[0].kind, LL_DRIFT_NUM);
    assert_int_equal(pa->cols[1].kind, LL_DRIFT_CAT);
    ll_drift_report *r;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(ll_drift_compare(pa, pb, NULL, &r, &err), LL_OK);
    const ll_drift_result *c = find(r, "c");
    assert_int_equal(c->nnew, 1);
    assert_string_equal(c->new_categories[0], "z");
    assert_int_equal(c->test, LL_STATTEST_CHISQUARE);
    assert_true(c->score == 0.0); /* a category never seen: infinite statistic */
    assert_true(c->drifted);
    ll_drift_report_free(r);
    ll_drift_profile_free(pa);
    ll_drift_profile_free(pb);
    ll_table_free(a);
    ll_table_free(b);
}

static char *slurp(FILE *f)
{
    fflush(f);
    long len = ftell(f);
    rewind(f);
    char *s = malloc((size_t)len + 1);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    return s;
}

static void metric_count(const char *key, double value, void *ud)
{
    (void)value;
    if (!strcmp(key, "dataset_drift") || !strncmp(key, "drift_score.", 12)) ++*(int *)ud;
}

static void metric_prediction(const char *key, double value, void *ud)
{
    if (!strcmp(key, "prediction_drift_score")) *(double *)ud = value;
}

static void test_profile_roundtrip_and_reports(void **state)
{
    (void)state;
    char dir[] = "/tmp/lendlab-drift-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char ppath[128], hpath[128];
    snprintf(ppath, sizeof ppath, "%s/ref.profile.json", dir);
    snprintf(hpath, sizeof hpath, "%s/report.html", dir);
    ll_table *rt = load("fixtures/lending_club_train.csv");
    ll_table *ct = load("fixtures/lending_club_drifted.csv");
    ll_drift_profile *ref = profile_of(rt, "train"), *cur = profile_of(ct, "drifted");
    ll_error err;
    ll_error_clear(&err);
    free(ref->target);
    ref->target = strdup("Class");
    assert_int_equal(ll_drift_profile_save(ref, ppath, &err), LL_OK);
    assert_true(ll_drift_profile_is_saved(ppath));
    assert_false(ll_drift_profile_is_saved("fixtures/lending_club_train.csv"));
    ll_drift_profile *back = NULL;
    assert_int_equal(ll_drift_profile_load(ppath, &back, &err), LL_OK);
    assert_string_equal(back->source, "train");
    assert_string_equal(back->target, "Class");
    assert_int_equal(back->ncols, ref->ncols);
    for (size_t i = 0; i < ref->ncols; i++) {
        const ll_drift_column *x = &ref->cols[i], *y = &back->cols[i];
        assert_int_equal(x->k, y->k);
        assert_int_equal(x->missing, y->missing);
        assert_int_equal(x->npsi_edges, y->npsi_edges);
        for (size_t j = 0; j < x->k; j++) {
            assert_int_equal(x->counts[j], y->counts[j]);
            if (x->kind == LL_DRIFT_NUM)
                assert_true(x->values[j] == y->values[j]);
            else
                assert_string_equal(x->cats[j], y->cats[j]);
        }
        for (size_t j = 0; j < x->npsi_edges; j++) assert_true(x->psi_edges[j] == y->psi_edges[j]);
    }
    /* drift from the profile equals drift from the data it was made from */
    ll_drift_report *r1, *r2;
    assert_int_equal(ll_drift_compare(ref, cur, NULL, &r1, &err), LL_OK);
    assert_int_equal(ll_drift_compare(back, cur, NULL, &r2, &err), LL_OK);
    FILE *f1 = tmpfile(), *f2 = tmpfile();
    ll_drift_write_json(r1, f1);
    ll_drift_write_json(r2, f2);
    char *j1 = slurp(f1), *j2 = slurp(f2);
    assert_string_equal(j1, j2);
    cJSON *doc = cJSON_Parse(j1);
    assert_non_null(doc);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "dataset_drift")));
    assert_int_equal(cJSON_GetObjectItem(doc, "number_of_drifted_columns")->valueint, 4);
    cJSON *by = cJSON_GetObjectItem(doc, "drift_by_columns");
    cJSON *ir = cJSON_GetObjectItem(by, "int_rate");
    assert_string_equal(cJSON_GetObjectItem(ir, "stattest_name")->valuestring,
                        "Wasserstein distance (normed)");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(ir, "drift_detected")));
    assert_string_equal(cJSON_GetObjectItem(ir, "psi_band")->valuestring, "significant");
    cJSON *td = cJSON_GetObjectItem(doc, "target_drift");
    assert_string_equal(cJSON_GetObjectItem(td, "column_name")->valuestring, "Class");
    assert_null(cJSON_GetObjectItem(by, "Class"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "run_id")));
    assert_null(cJSON_GetObjectItem(doc, "prediction_drift"));
    cJSON_Delete(doc);
    free(j1);
    free(j2);
    fclose(f1);
    fclose(f2);

    int n = 0;
    ll_drift_report_metrics(r1, metric_count, &n);
    assert_int_equal(n, 1 + 22);

    /* model scores: 0..99 against 50..149 (K-S D = 0.5, p far below 0.05), a run id */
    double sr[100], sc[100];
    for (int i = 0; i < 100; i++) sr[i] = i, sc[i] = i + 50;
    ll_drift_column pr, pc;
    assert_int_equal(ll_drift_column_from_values("prediction", sr, 100, &pr, &err), LL_OK);
    assert_int_equal(ll_drift_column_from_values("prediction", sc, 100, &pc, &err), LL_OK);
    r1->prediction = calloc(1, sizeof *r1->prediction);
    assert_int_equal(
        ll_drift_compare_columns(&pr, &pc, LL_STATTEST_AUTO, NAN, r1->prediction, &err), LL_OK);
    ll_drift_column_clear(&pr);
    ll_drift_column_clear(&pc);
    r1->run_id = strdup("0123456789abcdef0123456789abcdef");
    double pscore = NAN;
    ll_drift_report_metrics(r1, metric_prediction, &pscore);
    check_rel(pscore, r1->prediction->score, 0, "prediction metric");
    FILE *f3 = tmpfile();
    ll_drift_write_json(r1, f3);
    char *j3 = slurp(f3);
    fclose(f3);
    doc = cJSON_Parse(j3);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "run_id")->valuestring, r1->run_id);
    cJSON *pd = cJSON_GetObjectItem(doc, "prediction_drift");
    assert_string_equal(cJSON_GetObjectItem(pd, "stattest_name")->valuestring, "K-S p_value");
    check_rel(cJSON_GetObjectItem(pd, "statistic")->valuedouble, 0.5, 1e-12, "prediction D");
    check_rel(cJSON_GetObjectItem(pd, "threshold")->valuedouble, 0.05, 0, "prediction threshold");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(pd, "drift_detected")));
    assert_int_equal(cJSON_GetObjectItem(doc, "number_of_drifted_columns")->valueint, 4);
    cJSON_Delete(doc);
    free(j3);

    assert_int_equal(ll_drift_write_html(r1, hpath, &err), LL_OK);
    FILE *h = fopen(hpath, "r");
    assert_non_null(h);
    fseek(h, 0, SEEK_END);
    char *html = slurp(h);
    fclose(h);
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "int_rate"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    free(html);

    /* a damaged profile is refused with a message */
    FILE *b = fopen(ppath, "w");
    fputs("{\"schema\":\"lendlab-drift-profile\",\"schema_version\":1,\"rows\":3,\"columns\":"
          "[{\"name\":\"a\",\"type\":\"num\",\"rows\":3,\"missing\":0,\"values\":[2,1],"
          "\"counts\":[1,2]}]}",
          b);
    fclose(b);
    ll_drift_profile *bad = NULL;
    assert_int_equal(ll_drift_profile_load(ppath, &bad, &err), LL_EPARSE);
    assert_non_null(strstr(err.msg, "ascending"));

    ll_drift_report_free(r1);
    ll_drift_report_free(r2);
    ll_drift_profile_free(back);
    ll_drift_profile_free(ref);
    ll_drift_profile_free(cur);
    ll_table_free(rt);
    ll_table_free(ct);
    unlink(ppath);
    unlink(hpath);
    rmdir(dir);
}

static void test_names_and_format(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(ll_drift_fmt(0.123456, buf, sizeof buf), "0.1235");
    assert_string_equal(ll_drift_fmt(3.2e-41, buf, sizeof buf), "3.2e-41");
    assert_string_equal(ll_drift_fmt(NAN, buf, sizeof buf), "-");
    assert_string_equal(ll_drift_fmt(12345678.0, buf, sizeof buf), "1.235e+07");
    assert_string_equal(ll_drift_psi_band(0.05), "stable");
    assert_string_equal(ll_drift_psi_band(0.25), "moderate");
    assert_string_equal(ll_drift_psi_band(0.2501), "significant");
    assert_int_equal(ll_stattest_parse("jensenshannon"), LL_STATTEST_JENSENSHANNON);
    assert_int_equal(ll_stattest_parse("bogus"), -1);
    assert_true(ll_stattest_is_pvalue(LL_STATTEST_Z));
    assert_false(ll_stattest_is_pvalue(LL_STATTEST_PSI));
    check_rel(ll_stattest_default_threshold(LL_STATTEST_KS), 0.05, 0, "ks threshold");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_drift),
        cmocka_unit_test(test_observed_share),
        cmocka_unit_test(test_column_tests),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_booleans_and_categories),
        cmocka_unit_test(test_profile_roundtrip_and_reports),
        cmocka_unit_test(test_names_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
