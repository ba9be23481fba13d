/* Unit tests for payload: every MLflow request shape, parameters, answers and errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "csv.h"
#include "model.h"
#include "payload.h"
#include "scorecard.h"
#include "shap.h"

/* A small model on columns x (numeric), c (categorical a/b/c), flag (boolean), target y. */
static ll_model *small;
static ll_shap *small_shap;
/* A gbdt on the lending club fixture, for the sample request shipped in data/. */
static ll_model *lc;
static ll_shap *lc_shap;

static const double X[] = {0.5, 1.5, 2.0, 3.5, 0.1, 4.2, 2.2, 1.1, 3.9, 0.7, 2.8, 3.3};
static const int32_t C[] = {0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 1, 0};
static const double F[] = {1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0};
static const int32_t Y[] = {0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1};

static ll_table *small_table(size_t copies, int with_target)
{
    size_t n = 12 * copies;
    double *x = malloc(n * sizeof *x), *fl = malloc(n * sizeof *fl);
    int32_t *c = malloc(n * sizeof *c), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        /* a little noise so every row is distinct */
        x[i] = X[i % 12] + (double)(i / 12) * 0.01;
        c[i] = C[i % 12];
        fl[i] = F[(i + i / 12) % 12];
        y[i] = Y[(i + i / 24) % 12];
    }
    ll_table *t = ll_table_new(n, NULL);
    const char *cats[] = {"a", "b", "c"}, *labels[] = {"0", "1"};
    ll_table_add_numeric(t, "x", LL_COL_NUMERIC, x);
    ll_table_add_categorical(t, "c", c, cats, 3);
    ll_table_add_numeric(t, "flag", LL_COL_BOOLEAN, fl);
    if (with_target) ll_table_add_categorical(t, "y", y, labels, 2);
    free(x);
    free(fl);
    free(c);
    free(y);
    return t;
}

static int setup(void **state)
{
    (void)state;
    ll_error err;
    ll_table *t = small_table(10, 1);
    if (ll_model_fit(LL_MODEL_LOGREG, NULL, t, NULL, "y", "1", NULL, NULL, NULL, &small, &err)) {
        fprintf(stderr, "fit: %s\n", err.msg);
        return -1;
    }
    ll_table_free(t);
    if (ll_shap_new(small, &small_shap, &err)) return -1;
    ll_csv_options o = {0};
    ll_table *train;
    if (ll_csv_read_table("fixtures/lending_club_train.csv", &o, &train, NULL, &err)) return -1;
    ll_model_params p;
    ll_model_params_default(LL_MODEL_GBDT, &p);
    ll_model_params_parse(&p, "n_estimators=20", &err);
    if (ll_model_fit(LL_MODEL_GBDT, &p, train, NULL, "Class", "bad", NULL, NULL, NULL, &lc, &err))
        return -1;
    ll_table_free(train);
    return ll_shap_new(lc, &lc_shap, &err) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    ll_shap_free(small_shap);
    ll_model_free(small);
    ll_shap_free(lc_shap);
    ll_model_free(lc);
    return 0;
}

/* Call the endpoint; returns the parsed JSON answer (NULL for a text answer), status in *st. */
static cJSON *call_q(const ll_model *m, const ll_shap *s, const char *ct, const char *body,
                     const char *const *q, size_t nq, int *st, ll_payload_response *keep)
{
    ll_payload_response r = {0};
    size_t rows = 0;
    ll_payload_invoke(m, s, ct, body, strlen(body), q, nq, &r, &rows);
    *st = r.status;
    assert_non_null(r.body);
    assert_int_equal(strlen(r.body), r.len);
    cJSON *j = NULL;
    if (!strcmp(r.content_type, "application/json")) {
        j = cJSON_Parse(r.body);
        if (!j) print_error("not JSON: %s\n", r.body);
        assert_non_null(j);
    }
    if (r.status == 200) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "predictions");
        assert_true(cJSON_IsArray(p));
        assert_int_equal((size_t)cJSON_GetArraySize(p), rows);
    }
    if (keep)
        *keep = r;
    else
        ll_payload_response_free(&r);
    return j;
}

static cJSON *call(const char *ct, const char *body, int *st)
{
    return call_q(small, small_shap, ct, body, NULL, 0, st, NULL);
}

#define JSON "application/json"

/* The probabilities of a JSON request (params output=probability added by the caller). */
static void probs_of(const cJSON *j, double *out, int n)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "predictions");
    assert_int_equal(cJSON_GetArraySize(p), n);
    int i = 0;
    for (const cJSON *v = p->child; v; v = v->next) {
        assert_true(cJSON_IsNumber(v));
        out[i++] = v->valuedouble;
    }
}

/* Reference probabilities: the model on rows (x, c, flag) built directly. */
static void reference(const double *x, const char *const *c, const double *flag, int n, double *out)
{
    ll_table *t = ll_table_new((size_t)n, NULL);
    int32_t codes[16];
    const char *dict[16];
    for (int i = 0; i < n; i++) {
        codes[i] = c[i] ? i : -1;
        dict[i] = c[i] ? c[i] : "";
    }
    ll_table_add_numeric(t, "x", LL_COL_NUMERIC, x);
    ll_table_add_categorical(t, "c", codes, dict, n);
    ll_table_add_numeric(t, "flag", LL_COL_BOOLEAN, flag);
    ll_error err;
    assert_int_equal(ll_model_predict(small, t, out, &err), LL_OK);
    ll_table_free(t);
}

static void expect_error(cJSON *j, int st, int want_status, const char *code, const char *text)
{
    if (st != want_status) {
        char *s = cJSON_Print(j);
        print_error("status %d, wanted %d: %s\n", st, want_status, s ? s : "(text)");
        free(s);
    }
    assert_int_equal(st, want_status);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "error_code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    assert_true(cJSON_IsString(c) && cJSON_IsString(m));
    assert_string_equal(c->valuestring, code);
    if (!strstr(m->valuestring, text))
        print_error("message lacks '%s': %s\n", text, m->valuestring);
    assert_non_null(strstr(m->valuestring, text));
    cJSON_Delete(j);
}

/* Checks an error answer; the call runs first so its status is known. */
#define EXPECT_ERROR(CALL, ...)                                                                    \
    do {                                                                                           \
        cJSON *j_ = (CALL);                                                                        \
        expect_error(j_, st, __VA_ARGS__);                                                         \
    } while (0)

/* ---------- shapes ---------- */

static const double RX[] = {0.5, 3.9, 2.2};
static const char *const RC[] = {"a", "b", "zzz"}; /* zzz: unseen, scored as "other" */
static const double RF[] = {1, 0, 1};

static void check_probs(const char *body, const char *what)
{
    int st;
    cJSON *j = call(JSON, body, &st);
    if (st != 200) print_error("%s: %s\n", what, cJSON_PrintUnformatted(j));
    assert_int_equal(st, 200);
    double got[3], want[3];
    probs_of(j, got, 3);
    reference(RX, RC, RF, 3, want);
    for (int i = 0; i < 3; i++) {
        if (got[i] != want[i]) print_error("%s row %d: %.17g vs %.17g\n", what, i, got[i], want[i]);
        assert_true(got[i] == want[i]);
    }
    cJSON_Delete(j);
}

static void test_every_json_shape(void **state)
{
    (void)state;
    const char *P = "\"params\": {\"output\": \"probability\"}";
    char b[2048];
    snprintf(b, sizeof b,
             "{\"dataframe_split\": {\"columns\": [\"x\", \"c\", \"flag\"], \"data\": [[0.5, "
             "\"a\", true], [3.9, \"b\", false], [2.2, \"zzz\", 1]]}, %s}",
             P);
    check_probs(b, "split");
    snprintf(b, sizeof b,
             "{%s, \"dataframe_split\": {\"index\": [7, 8, 9], \"columns\": [\"extra\", \"flag\", "
             "\"c\", \"x\"], \"data\": [[\"q\", \"true\", \"a\", \"0.5\"], [null, \"no\", \"b\", "
             "3.9], [1, \"1\", \"zzz\", 2.2]]}}",
             P);
    check_probs(b, "split with index, reordered and extra columns, text values");
    snprintf(b, sizeof b,
             "{\"dataframe_split\": {\"data\": [[0.5, \"a\", true], [3.9, \"b\", false], [2.2, "
             "\"zzz\", true]]}, %s}",
             P);
    check_probs(b, "split without columns (model order)");
    snprintf(b, sizeof b,
             "{\"dataframe_records\": [{\"x\": 0.5, \"c\": \"a\", \"flag\": true}, {\"flag\": "
             "false, \"x\": 3.9, \"c\": \"b\", \"other\": 5}, {\"c\": \"zzz\", \"x\": 2.2, "
             "\"flag\": 1}], %s}",
             P);
    check_probs(b, "records");
    snprintf(b, sizeof b,
             "{\"instances\": [{\"x\": 0.5, \"c\": \"a\", \"flag\": true}, {\"x\": 3.9, \"c\": "
             "\"b\", \"flag\": false}, {\"x\": 2.2, \"c\": \"zzz\", \"flag\": true}], %s}",
             P);
    check_probs(b, "instances records");
    snprintf(b, sizeof b,
             "{%s, \"inputs\": {\"x\": [0.5, 3.9, 2.2], \"c\": [\"a\", \"b\", \"zzz\"], \"flag\": "
             "[true, false, true]}}",
             P);
    check_probs(b, "inputs columns");
    snprintf(b, sizeof b, "{\"inputs\": [[0.5, \"a\", 1], [3.9, \"b\", 0], [2.2, \"zzz\", 1]], %s}",
             P);
    check_probs(b, "inputs rows");
    snprintf(b, sizeof b,
             "{\"instances\": [[0.5, \"a\", 1], [3.9, \"b\", 0], [2.2, \"zzz\", 1]], %s}", P);
    check_probs(b, "instances rows");
    /* one row as a dictionary of scalars */
    int st;
    cJSON *j = call(JSON,
                    "{\"inputs\": {\"x\": 3.9, \"c\": \"b\", \"flag\": false}, "
                    "\"params\": {\"output\": \"probability\"}}",
                    &st);
    assert_int_equal(st, 200);
    double got, want[3];
    probs_of(j, &got, 1);
    reference(RX, RC, RF, 3, want);
    assert_true(got == want[1]);
    cJSON_Delete(j);
    /* empty requests answer an empty list */
    const char *empty[] = {"{\"instances\": []}",
                           "{\"dataframe_split\": {\"columns\": [\"x\", \"c\", \"flag\"], "
                           "\"data\": []}}"};
    for (int i = 0; i < 2; i++) {
        j = call(JSON, empty[i], &st);
        assert_int_equal(st, 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "predictions")), 0);
        cJSON_Delete(j);
    }
    /* an empty list of records has no columns at all, as pandas builds it */
    EXPECT_ERROR(call(JSON, "{\"dataframe_records\": []}", &st), 400, "INVALID_PARAMETER_VALUE",
                 "Model is missing inputs ['x', 'c', 'flag']");
}

static void test_missing_values(void **state)
{
    (void)state;
    /* a key absent from a record, null and "NA" are missing values, as in a CSV file */
    int st;
    cJSON *a = call(JSON,
                    "{\"dataframe_records\": [{\"x\": 1, \"c\": \"a\", \"flag\": true}, {\"c\": "
                    "null, \"flag\": \"NA\"}], \"params\": {\"output\": \"probability\"}}",
                    &st);
    assert_int_equal(st, 200);
    cJSON *b = call(JSON,
                    "{\"dataframe_split\": {\"columns\": [\"x\", \"c\", \"flag\"], \"data\": "
                    "[[null, \"\", null]]}, \"params\": {\"output\": \"probability\"}}",
                    &st);
    assert_int_equal(st, 200);
    double pa[2], pb[1];
    probs_of(a, pa, 2);
    probs_of(b, pb, 1);
    assert_true(pa[1] == pb[0]);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_csv(void **state)
{
    (void)state;
    int st;
    const char *q[] = {"output", "probability"};
    cJSON *j = call_q(small, small_shap, "text/csv; charset=UTF-8",
                      "\xEF\xBB\xBF"
                      "flag,x,c,ignored\r\ntrue,0.5,a,\"q,\"\"r\"\r\nno,3.9,b,\n1,2.2,\"zzz\",x\n",
                      q, 1, &st, NULL);
    if (st != 200) print_error("%s\n", cJSON_PrintUnformatted(j));
    assert_int_equal(st, 200);
    double got[3], want[3];
    probs_of(j, got, 3);
    reference(RX, RC, RF, 3, want);
    for (int i = 0; i < 3; i++) assert_true(got[i] == want[i]);
    cJSON_Delete(j);
    /* labels by default */
    j = call("text/csv", "x,c,flag\n0.5,a,1\n", &st);
    assert_int_equal(st, 200);
    assert_true(cJSON_IsNumber(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "predictions"), 0)));
    cJSON_Delete(j);
    /* errors */
    EXPECT_ERROR(call("text/csv", "x,c,flag\n0.5,a,1,9\n", &st), 400, "BAD_REQUEST",
                 "Expected 3 fields in line 2, saw 4");
    EXPECT_ERROR(call("text/csv", "x,c,flag\n0.5,a\n", &st), 400, "BAD_REQUEST",
                 "Expected 3 fields in line 2, saw 2");
    EXPECT_ERROR(call("text/csv", "", &st), 400, "BAD_REQUEST", "No columns to parse from file");
    EXPECT_ERROR(call("text/csv", "x,flag\n1,1\n", &st), 400, "INVALID_PARAMETER_VALUE",
                 "Model is missing inputs ['c']");
    EXPECT_ERROR(call("text/csv", "x,c,flag\n1,a,1\nabc,b,0\n", &st), 400,
                 "INVALID_PARAMETER_VALUE", "column 'x' (line 3)");
    EXPECT_ERROR(call("text/csv", "x,c,flag\n1,a,maybe\n", &st), 400, "INVALID_PARAMETER_VALUE",
                 "column 'flag' (line 2): expected a boolean");
}

/* ---------- lending club sample ---------- */

static void test_sample_request(void **state)
{
    (void)state;
    FILE *f = fopen("../data/sample_input.json", "rb");
    assert_non_null(f);
    char body[8192];
    size_t n = fread(body, 1, sizeof body - 1, f);
    fclose(f);
    body[n] = '\0';
    int st;
    ll_payload_response keep;
    const char *q[] = {"output", "full", "reasons", "2"};
    cJSON *j = call_q(lc, lc_shap, JSON, body, q, 2, &st, &keep);
    assert_int_equal(st, 200);
    const cJSON *preds = cJSON_GetObjectItem(j, "predictions");
    assert_int_equal(cJSON_GetArraySize(preds), 3);
    /* the probabilities are the model's on the same rows read from the CSV batch */
    ll_csv_options o = {0};
    ll_table *t;
    ll_error err;
    assert_int_equal(ll_csv_read_table("../data/batch_input.csv", &o, &t, NULL, &err), LL_OK);
    double *p = malloc(t->nrows * sizeof *p);
    assert_int_equal(ll_model_predict(lc, t, p, &err), LL_OK);
    ll_scorecard sc;
    ll_scorecard_default(&sc);
    int i = 0;
    for (const cJSON *row = preds->child; row; row = row->next, i++) {
        const cJSON *pr = cJSON_GetObjectItem(row, "probability");
        assert_true(pr->valuedouble == p[i]);
        int label = p[i] >= 0.5;
        assert_int_equal(cJSON_GetObjectItem(row, "label")->valueint, label);
        assert_string_equal(cJSON_GetObjectItem(row, "class")->valuestring, label ? "bad" : "good");
        assert_true(fabs(cJSON_GetObjectItem(row, "score")->valuedouble -
                         ll_scorecard_points(&sc, p[i])) < 1e-9);
        const cJSON *rs = cJSON_GetObjectItem(row, "reasons");
        assert_true(cJSON_GetArraySize(rs) <= 2);
        double prev = INFINITY;
        for (const cJSON *r = rs->child; r; r = r->next) {
            double c = cJSON_GetObjectItem(r, "contribution")->valuedouble;
            assert_true(c > 0 && c <= prev);
            prev = c;
            assert_true(cJSON_IsString(cJSON_GetObjectItem(r, "feature")));
            assert_non_null(cJSON_GetObjectItem(r, "value"));
        }
    }
    free(p);
    ll_table_free(t);
    cJSON_Delete(j);
    ll_payload_response_free(&keep);
}

static void test_full_output_matches_contributions(void **state)
{
    (void)state;
    int st;
    cJSON *j = call(JSON,
                    "{\"dataframe_split\": {\"columns\": [\"x\", \"c\", \"flag\"], \"data\": "
                    "[[3.9, \"c\", true]]}, \"params\": {\"output\": \"full\", \"reasons\": 5, "
                    "\"base_points\": 500, \"base_odds\": 20, \"pdo\": 40, \"threshold\": 0.9}}",
                    &st);
    assert_int_equal(st, 200);
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "predictions"), 0);
    double p = cJSON_GetObjectItem(row, "probability")->valuedouble;
    /* score = 500 - 40 / ln 2 * ln 20 - 40 / ln 2 * ln(p / (1 - p)) */
    double want = 500 - 40 / log(2.0) * log(20.0) - 40 / log(2.0) * log(p / (1 - p));
    assert_true(fabs(cJSON_GetObjectItem(row, "score")->valuedouble - want) < 1e-9);
    assert_int_equal(cJSON_GetObjectItem(row, "label")->valueint, p >= 0.9);
    /* reasons: exactly the positive contributions, largest first, values echoed */
    double c[4];
    ll_error err;
    ll_table *one = ll_table_new(1, NULL);
    double x = 3.9, fl = 1;
    int32_t code = 0;
    const char *cc[] = {"c"};
    ll_table_add_numeric(one, "x", LL_COL_NUMERIC, &x);
    ll_table_add_categorical(one, "c", &code, cc, 1);
    ll_table_add_numeric(one, "flag", LL_COL_BOOLEAN, &fl);
    assert_int_equal(ll_shap_explain(small_shap, one, c, &err), LL_OK);
    int npos = 0;
    for (int f = 0; f < 3; f++) npos += c[f] > 0;
    const cJSON *rs = cJSON_GetObjectItem(row, "reasons");
    assert_int_equal(cJSON_GetArraySize(rs), npos);
    for (const cJSON *r = rs->child; r; r = r->next) {
        const char *name = cJSON_GetObjectItem(r, "feature")->valuestring;
        int f = !strcmp(name, "x") ? 0 : !strcmp(name, "c") ? 1 : 2;
        assert_true(cJSON_GetObjectItem(r, "contribution")->valuedouble == c[f]);
        const cJSON *v = cJSON_GetObjectItem(r, "value");
        if (f == 1)
            assert_string_equal(v->valuestring, "c");
        else
            assert_true(v->valuedouble == (f == 0 ? 3.9 : 1));
    }
    ll_table_free(one);
    cJSON_Delete(j);
}

static void test_params(void **state)
{
    (void)state;
    int st;
    const char *rows = "\"dataframe_split\": {\"columns\": [\"x\", \"c\", \"flag\"], \"data\": "
                       "[[3.9, \"c\", true], [0.1, \"a\", false]]}";
    char b[1024];
    /* threshold 0 labels every row 1, threshold 1 (almost) none */
    snprintf(b, sizeof b, "{%s, \"params\": {\"threshold\": 0}}", rows);
    cJSON *j = call(JSON, b, &st);
    assert_int_equal(st, 200);
    for (const cJSON *v = cJSON_GetObjectItem(j, "predictions")->child; v; v = v->next)
        assert_int_equal(v->valueint, 1);
    cJSON_Delete(j);
    /* unknown params are ignored, as MLflow ignores params the model does not declare */
    snprintf(b, sizeof b, "{%s, \"params\": {\"temperature\": 3}}", rows);
    j = call(JSON, b, &st);
    assert_int_equal(st, 200);
    cJSON_Delete(j);
    /* the body's params override the query string's */
    const char *q[] = {"output", "label"};
    snprintf(b, sizeof b, "{%s, \"params\": {\"output\": \"probability\"}}", rows);
    j = call_q(small, small_shap, JSON, b, q, 1, &st, NULL);
    assert_true(cJSON_IsNumber(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "predictions"), 0)));
    assert_true(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "predictions"), 0)->valuedouble < 1);
    cJSON_Delete(j);
    /* bad values */
    const char *bad[][2] = {
        {"{\"output\": \"everything\"}", "parameter 'output': 'everything'"},
        {"{\"output\": 3}", "parameter 'output'"},
        {"{\"threshold\": 1.5}", "parameter 'threshold': 1.5"},
        {"{\"threshold\": \"high\"}", "'high' is not a number"},
        {"{\"pdo\": 0}", "parameter 'pdo'"},
        {"{\"base_odds\": -1}", "parameter 'base_odds'"},
        {"{\"reasons\": 2.5}", "parameter 'reasons'"},
        {"{\"reasons\": [1]}", "parameter 'reasons'"},
        /* out of int's range (converting it was undefined; found by tests/fuzz/fuzz_payload) */
        {"{\"reasons\": 1e308}", "parameter 'reasons'"},
        {"{\"reasons\": -1e308}", "parameter 'reasons'"},
        {"[1]", "params must be a dictionary"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(b, sizeof b, "{%s, \"params\": %s}", rows, bad[i][0]);
        EXPECT_ERROR(call(JSON, b, &st), 400, "INVALID_PARAMETER_VALUE", bad[i][1]);
    }
    const char *qb[] = {"threshold", "x"};
    snprintf(b, sizeof b, "{%s}", rows);
    EXPECT_ERROR(call_q(small, small_shap, JSON, b, qb, 1, &st, NULL), 400,
                 "INVALID_PARAMETER_VALUE", "parameter 'threshold'");
    /* output=full needs an explainer */
    snprintf(b, sizeof b, "{%s, \"params\": {\"output\": \"full\"}}", rows);
    EXPECT_ERROR(call_q(small, NULL, JSON, b, NULL, 0, &st, NULL), 400, "INVALID_PARAMETER_VALUE",
                 "output=full");
}

/* ---------- errors ---------- */

static void test_json_errors(void **state)
{
    (void)state;
    int st;
    EXPECT_ERROR(call(JSON, "{\"dataframe_split\": ", &st), 400, "BAD_REQUEST",
                 "Ensure that input is a valid JSON formatted string");
    EXPECT_ERROR(call(JSON, "", &st), 400, "BAD_REQUEST", "valid JSON");
    EXPECT_ERROR(call(JSON, "[1, 2]", &st), 400, "BAD_REQUEST", "Received a list.");
    EXPECT_ERROR(call(JSON, "\"text\"", &st), 400, "BAD_REQUEST",
                 "Received unexpected input type '<class 'str'>");
    EXPECT_ERROR(call(JSON, "{\"data\": []}", &st), 400, "BAD_REQUEST",
                 "Received dictionary with input fields: [].");
    EXPECT_ERROR(call(JSON, "{\"inputs\": [], \"instances\": []}", &st), 400, "BAD_REQUEST",
                 "Received dictionary with input fields: ['inputs', 'instances'].");
    EXPECT_ERROR(call(JSON, "{\"dataframe_split\": [[1]]}", &st), 400, "BAD_REQUEST",
                 "Dataframe split format must be a dictionary. Got list.");
    EXPECT_ERROR(call(JSON, "{\"dataframe_split\": 3}", &st), 400, "BAD_REQUEST",
                 "Got type <class 'int'>");
    EXPECT_ERROR(call(JSON, "{\"dataframe_split\": {\"columns\": [\"x\"]}}", &st), 400,
                 "BAD_REQUEST", "must have 'data' field");
    EXPECT_ERROR(call(JSON, "{\"dataframe_split\": {\"data\": [], \"rows\": 1}}", &st), 400,
                 "BAD_REQUEST", "Got {'data', 'rows'}");
    EXPECT_ERROR(call(JSON,
                      "{\"dataframe_split\": {\"columns\": [\"x\", \"c\", \"flag\"], \"data\": "
                      "[[1, \"a\"]]}}",
                      &st),
                 400, "BAD_REQUEST", "3 columns passed, passed data had 2 columns");
    EXPECT_ERROR(call(JSON, "{\"dataframe_split\": {\"data\": [[1, \"a\"]]}}", &st), 400,
                 "BAD_REQUEST", "row 1 has 2 values but the model has 3 inputs");
    EXPECT_ERROR(call(JSON,
                      "{\"dataframe_split\": {\"index\": [1], \"columns\": [\"x\", \"c\", "
                      "\"flag\"], \"data\": [[1, \"a\", 1], [2, \"b\", 0]]}}",
                      &st),
                 400, "BAD_REQUEST", "index implies");
    EXPECT_ERROR(call(JSON, "{\"dataframe_records\": {\"x\": 1}}", &st), 400, "BAD_REQUEST",
                 "Dataframe records format must be a list of records. Got dictionary.");
    EXPECT_ERROR(
        call(JSON, "{\"dataframe_records\": [{\"x\": 1, \"c\": \"a\", \"flag\": 1}, 5]}", &st), 400,
        "BAD_REQUEST", "record 2 is a int, not an object");
    EXPECT_ERROR(call(JSON, "{\"inputs\": {\"x\": [1, 2], \"c\": [\"a\"], \"flag\": [1, 0]}}", &st),
                 400, "BAD_REQUEST",
                 "length of values for each input/column name are not the same");
    EXPECT_ERROR(call(JSON, "{\"inputs\": [1, 2]}", &st), 400, "BAD_REQUEST", "this model has 3");
    EXPECT_ERROR(call(JSON, "{\"inputs\": 7}", &st), 400, "BAD_REQUEST", "'inputs' must be");
    /* schema errors name the column (and the row) */
    EXPECT_ERROR(call(JSON,
                      "{\"dataframe_split\": {\"columns\": [\"x\", \"colour\"], \"data\": [[1, "
                      "\"a\"]]}}",
                      &st),
                 400, "INVALID_PARAMETER_VALUE",
                 "Model is missing inputs ['c', 'flag']. Note that there were extra inputs: "
                 "['colour']");
    EXPECT_ERROR(call(JSON, "{\"dataframe_records\": [{\"x\": 1, \"flag\": 1}]}", &st), 400,
                 "INVALID_PARAMETER_VALUE", "Model is missing inputs ['c']");
    EXPECT_ERROR(call(JSON,
                      "{\"dataframe_records\": [{\"x\": 1, \"c\": \"a\", \"flag\": 1}, {\"x\": "
                      "\"ten\", \"c\": \"a\", \"flag\": 1}]}",
                      &st),
                 400, "INVALID_PARAMETER_VALUE",
                 "Incompatible input types for column 'x' (row 2): expected a number, got 'ten'");
    EXPECT_ERROR(call(JSON, "{\"inputs\": {\"x\": [[1]], \"c\": [\"a\"], \"flag\": [1]}}", &st),
                 400, "INVALID_PARAMETER_VALUE",
                 "column 'x' (row 1): expected a number, got a list");
    EXPECT_ERROR(call(JSON, "{\"inputs\": {\"x\": [1], \"c\": [{}], \"flag\": [1]}}", &st), 400,
                 "INVALID_PARAMETER_VALUE", "column 'c' (row 1): expected text, got an object");
    EXPECT_ERROR(
        call(JSON, "{\"inputs\": {\"x\": [1], \"c\": [\"a\"], \"flag\": [\"perhaps\"]}}", &st), 400,
        "INVALID_PARAMETER_VALUE", "column 'flag' (row 1): expected a boolean");
}

static void test_content_types(void **state)
{
    (void)state;
    const char *body = "{\"inputs\": {\"x\": [1], \"c\": [\"a\"], \"flag\": [1]}}";
    struct {
        const char *ct;
        int status;
        const char *text;
    } cases[] = {
        {"application/json", 200, NULL},
        {"Application/JSON; charset=utf-8", 200, NULL},
        {"application/json; charset=\"UTF-8\"", 200, NULL},
        {"text/plain", 415,
         "This predictor only supports the following content types: Types: "
         "['text/csv', 'application/json']. Got 'text/plain'."},
        {NULL, 415,
         "This predictor only supports the following content types: Types: "
         "['text/csv', 'application/json']. Got 'None'."},
        {"application/json; charset=latin-1", 415, "The scoring server only supports UTF-8"},
        {"application/json; format=pandas-split", 415,
         "Unrecognized content type parameters: format."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ll_payload_response r = {0};
        ll_payload_invoke(small, small_shap, cases[i].ct, body, strlen(body), NULL, 0, &r, NULL);
        assert_int_equal(r.status, cases[i].status);
        if (cases[i].text) {
            assert_string_equal(r.content_type, "text/plain");
            assert_string_equal(r.body, cases[i].text);
        }
        ll_payload_response_free(&r);
    }
}

static void test_categories_from_numbers(void **state)
{
    (void)state;
    /* numbers and booleans sent for a categorical column are looked up as text */
    int st;
    cJSON *j = call(JSON,
                    "{\"inputs\": {\"x\": [1, 1], \"c\": [12, true], \"flag\": [1, 1]}, "
                    "\"params\": {\"output\": \"full\", \"reasons\": 3}}",
                    &st);
    assert_int_equal(st, 200);
    cJSON_Delete(j);
}

static void test_error_json_escaping(void **state)
{
    (void)state;
    ll_payload_response r = {0};
    ll_payload_error(&r, 400, "BAD_REQUEST", "a \"quoted\" \\ name\nwith\ttabs \x01");
    cJSON *j = cJSON_Parse(r.body);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "message")->valuestring,
                        "a \"quoted\" \\ name\nwith\ttabs \x01");
    cJSON_Delete(j);
    ll_payload_response_free(&r);
}

static void test_scorecard(void **state)
{
    (void)state;
    ll_scorecard s;
    ll_scorecard_default(&s);
    /* 600 points at 50:1 good:bad, 20 more each time the odds double */
    assert_true(fabs(ll_scorecard_points(&s, 1.0 / 51) - 600) < 1e-9);
    assert_true(fabs(ll_scorecard_points(&s, 1.0 / 101) - 620) < 1e-9);
    assert_true(fabs(ll_scorecard_points(&s, 1.0 / 26) - 580) < 1e-9);
    /* probabilities of exactly 0 or 1 (a forest's) score as 1e-6 and 1 - 1e-6 */
    assert_true(ll_scorecard_points(&s, 0) == ll_scorecard_points(&s, 1e-6));
    assert_true(ll_scorecard_points(&s, 1) == ll_scorecard_points(&s, 1 - 1e-6));
    assert_true(fabs(ll_scorecard_points(&s, 1e-6) - 600 - 20 * log2(999999.0 / 50)) < 1e-9);
    ll_error err;
    s.pdo = 0;
    assert_int_equal(ll_scorecard_check(&s, &err), LL_EINVAL);
    double c[] = {0.1, -2, 0.5, 0.5, 0, 0.3};
    size_t idx[4];
    assert_int_equal(ll_scorecard_reasons(c, 6, 3, idx), 3);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 3);
    assert_int_equal(idx[2], 5);
    assert_int_equal(ll_scorecard_reasons(c, 6, 10, idx), 4);
    assert_int_equal(idx[3], 0);
    assert_int_equal(ll_scorecard_reasons(c, 6, 0, idx), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_json_shape),
        cmocka_unit_test(test_missing_values),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_sample_request),
        cmocka_unit_test(test_full_output_matches_contributions),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_categories_from_numbers),
        cmocka_unit_test(test_error_json_escaping),
        cmocka_unit_test(test_scorecard),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
