/* Unit tests for model: parameter parsing, fit/save/load round trips, XGBoost import. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "csv.h"
#include "forest.h"
#include "gbdt.h"
#include "logreg.h"
#include "metrics.h"
#include "model.h"

static void test_param_errors_list_valid_keys(void **state)
{
    (void)state;
    ll_model_params p;
    ll_error err;
    ll_model_params_default(LL_MODEL_GBDT, &p);
    assert_int_equal(ll_model_params_parse(&p, "bogus=1", &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "unknown parameter 'bogus'"));
    assert_non_null(strstr(err.msg, "valid keys"));
    assert_non_null(strstr(err.msg, "n_estimators (integer 1..100000)"));
    assert_non_null(strstr(err.msg, "eta (number in (0, 1])"));
    assert_non_null(strstr(err.msg, "early_stopping_rounds"));
    assert_int_equal(ll_model_params_parse(&p, "eta=2", &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "(0, 1]"));
    assert_int_equal(ll_model_params_parse(&p, "eta=0", &err), LL_EINVAL);
    assert_int_equal(ll_model_params_parse(&p, "eta=abc", &err), LL_EINVAL);
    assert_int_equal(ll_model_params_parse(&p, "max_depth=2.5", &err), LL_EINVAL);
    assert_int_equal(ll_model_params_parse(&p, "noequals", &err), LL_EINVAL);
    assert_int_equal(ll_model_params_parse(&p, "n_estimators=0", &err), LL_EINVAL);
    /* forest and logreg keys are not gbdt keys */
    assert_int_equal(ll_model_params_parse(&p, "n_trees=10", &err), LL_EINVAL);
    assert_int_equal(ll_model_params_parse(&p, "eta=0.05", &err), LL_OK);
    assert_int_equal(ll_model_params_parse(&p, "max_depth=2", &err), LL_OK);
    assert_true(ll_model_params_get(&p, "eta") == 0.05);
    assert_true(ll_model_params_is_set(&p, "eta"));
    assert_false(ll_model_params_is_set(&p, "lambda"));
    assert_true(isnan(ll_model_params_get(&p, "C")));
    assert_int_equal(ll_model_params_check(&p, &err), LL_OK);

    ll_model_params_default(LL_MODEL_FOREST, &p);
    assert_int_equal(ll_model_params_parse(&p, "bootstrap=false", &err), LL_OK);
    assert_true(ll_model_params_get(&p, "bootstrap") == 0);
    assert_int_equal(ll_model_params_parse(&p, "class_weight=balanced", &err), LL_OK);
    assert_true(ll_model_params_get(&p, "class_weight") == 1);
    assert_int_equal(ll_model_params_parse(&p, "class_weight=heavy", &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "none|balanced"));
    assert_int_equal(ll_model_params_parse(&p, "eta=0.1", &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "n_trees"));

    ll_model_params_default(LL_MODEL_LOGREG, &p);
    assert_int_equal(ll_model_params_parse(&p, "C=0", &err), LL_EINVAL);
    assert_int_equal(ll_model_params_parse(&p, "C=0.5", &err), LL_OK);
    /* JSON round trip keeps values and types */
    cJSON *j = ll_model_params_to_json(&p);
    ll_model_params q;
    assert_int_equal(ll_model_params_from_json(LL_MODEL_LOGREG, j, &q, &err), LL_OK);
    cJSON_Delete(j);
    assert_memory_equal(p.value, q.value, sizeof p.value);
}

static void test_param_defaults_match_learners(void **state)
{
    (void)state;
    ll_model_params p;
    ll_gbdt_params g;
    ll_gbdt_params_default(&g);
    ll_model_params_default(LL_MODEL_GBDT, &p);
    assert_true(ll_model_params_get(&p, "n_estimators") == g.n_estimators);
    assert_true(ll_model_params_get(&p, "eta") == g.eta);
    assert_true(ll_model_params_get(&p, "max_depth") == g.max_depth);
    assert_true(ll_model_params_get(&p, "min_child_weight") == g.min_child_weight);
    assert_true(ll_model_params_get(&p, "lambda") == g.lambda);
    assert_true(ll_model_params_get(&p, "max_bin") == g.max_bin);
    /* deliberately not XGBoost's 4: one-vs-rest generalises better on US states and grades */
    assert_true(ll_model_params_get(&p, "max_cat_to_onehot") == 256);
    ll_forest_params f;
    ll_forest_params_default(&f);
    ll_model_params_default(LL_MODEL_FOREST, &p);
    assert_true(ll_model_params_get(&p, "n_trees") == f.n_trees);
    assert_true(ll_model_params_get(&p, "max_depth") == f.max_depth);
    assert_true(ll_model_params_get(&p, "min_samples_leaf") == f.min_samples_leaf);
    assert_true(ll_model_params_get(&p, "bootstrap") == f.bootstrap);
    ll_logreg_params l;
    ll_logreg_params_default(&l);
    ll_model_params_default(LL_MODEL_LOGREG, &p);
    assert_true(ll_model_params_get(&p, "C") == l.C);
    assert_true(ll_model_params_get(&p, "max_iter") == l.max_iter);
    assert_true(ll_model_params_get(&p, "tol") == l.tol);
    /* every default is inside its own range */
    for (int k = 0; k < LL_MODEL_KIND_COUNT; k++) {
        ll_error err;
        ll_model_params_default((ll_model_kind)k, &p);
        assert_int_equal(ll_model_params_check(&p, &err), LL_OK);
    }
    assert_int_equal(ll_model_kind_parse("gbdt"), LL_MODEL_GBDT);
    assert_int_equal(ll_model_kind_parse("nope"), -1);
    assert_string_equal(ll_model_kind_name(LL_MODEL_FOREST), "forest");
}

static void test_params_to_learners(void **state)
{
    (void)state;
    ll_model_params p;
    ll_error err;
    ll_model_params_default(LL_MODEL_GBDT, &p);
    const char *gset[] = {"n_estimators=77",      "eta=0.05",       "max_depth=3", "subsample=0.8",
                          "scale_pos_weight=4.5", "seed=4000000000"};
    for (size_t i = 0; i < sizeof gset / sizeof *gset; i++)
        assert_int_equal(ll_model_params_parse(&p, gset[i], &err), LL_OK);
    ll_gbdt_params g;
    ll_model_params_to_gbdt(&p, &g);
    assert_int_equal(g.n_estimators, 77);
    assert_true(g.eta == 0.05 && g.subsample == 0.8 && g.scale_pos_weight == 4.5);
    assert_int_equal(g.max_depth, 3);
    assert_true(g.seed == 4000000000ULL);
    assert_true(g.lambda == ll_model_params_get(&p, "lambda")); /* untouched: the default */

    ll_model_params_default(LL_MODEL_FOREST, &p);
    const char *fset[] = {"n_trees=12", "bootstrap=false", "class_weight=balanced",
                          "max_features=0.25"};
    for (size_t i = 0; i < sizeof fset / sizeof *fset; i++)
        assert_int_equal(ll_model_params_parse(&p, fset[i], &err), LL_OK);
    ll_forest_params f;
    ll_model_params_to_forest(&p, &f);
    assert_int_equal(f.n_trees, 12);
    assert_false(f.bootstrap);
    assert_true(f.class_weight_balanced);
    assert_true(f.max_features == 0.25);

    ll_model_params_default(LL_MODEL_LOGREG, &p);
    assert_int_equal(ll_model_params_parse(&p, "C=0.125", &err), LL_OK);
    assert_int_equal(ll_model_params_parse(&p, "class_weight=balanced", &err), LL_OK);
    ll_logreg_params l;
    ll_model_params_to_logreg(&p, &l);
    assert_true(l.C == 0.125);
    assert_int_equal(l.class_weight, LL_CLASS_WEIGHT_BALANCED);
    ll_model_params_default(LL_MODEL_LOGREG, &p);
    ll_model_params_to_logreg(&p, &l);
    assert_int_equal(l.class_weight, LL_CLASS_WEIGHT_NONE);
}

static ll_table *load(const char *path)
{
    ll_table *t = NULL;
    ll_error err;
    if (ll_csv_read_table(path, NULL, &t, NULL, &err)) fail_msg("%s: %s", path, err.msg);
    return t;
}

static void rm_model_dir(const char *dir)
{
    static const char *const files[] = {"model.json", "MLmodel", "model.xgb.json"};
    char p[1024];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int exists(const char *dir, const char *name)
{
    char p[1024];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return !stat(p, &sb) && sb.st_size > 0;
}

/* Fit, predict, save, load, predict again: the reloaded model scores identically. */
static void round_trip(ll_model_kind kind, const char *const *sets, double min_auc)
{
    ll_table *train = load("fixtures/lending_club_train.csv");
    ll_table *test = load("fixtures/lending_club_test.csv");
    ll_model_params p;
    ll_error err;
    ll_model_params_default(kind, &p);
    for (size_t i = 0; sets[i]; i++) assert_int_equal(ll_model_params_parse(&p, sets[i], &err), 0);
    ll_model *m = NULL;
    ll_status st = ll_model_fit(kind, &p, train, NULL, "Class", "bad", NULL, NULL, NULL, &m, &err);
    if (st) fail_msg("fit %s: %s", ll_model_kind_name(kind), err.msg);
    size_t n = test->nrows;
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    assert_int_equal(ll_model_predict(m, test, a, &err), LL_OK);
    /* a weak but real bar: the model learned something */
    double *y = malloc(n * sizeof *y), auc;
    assert_int_equal(ll_prep_labels(ll_model_prep(m), test, y, &err), LL_OK);
    assert_int_equal(ll_metrics_auc(y, a, n, NULL, &auc, &err), LL_OK);
    free(y);
    if (auc < min_auc)
        fail_msg("%s: test AUC %.4f below %.3f", ll_model_kind_name(kind), auc, min_auc);

    char dir[] = "/tmp/test_model.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[600];
    snprintf(sub, sizeof sub, "%s/model", dir);
    st = ll_model_save(m, sub, &err);
    if (st) fail_msg("save: %s", err.msg);
    assert_true(exists(sub, "model.json"));
    assert_true(exists(sub, "MLmodel"));
    assert_int_equal(exists(sub, "model.xgb.json"), kind == LL_MODEL_GBDT);
    ll_model *m2 = NULL;
    st = ll_model_load(sub, &m2, &err);
    if (st) fail_msg("load: %s", err.msg);
    assert_int_equal(ll_model_kind_of(m2), kind);
    assert_false(ll_model_is_imported(m2));
    assert_int_equal(ll_model_predict(m2, test, b, &err), LL_OK);
    assert_memory_equal(a, b, n * sizeof *a);
    assert_memory_equal(ll_model_params_of(m)->value, ll_model_params_of(m2)->value,
                        sizeof p.value);
    /* importance survives too */
    int nf = ll_model_nfeat(m);
    assert_int_equal(nf, 22);
    const char **names = malloc((size_t)nf * sizeof *names);
    double *v1 = malloc((size_t)nf * sizeof *v1), *v2 = malloc((size_t)nf * sizeof *v2);
    ll_model_importance(m, names, v1);
    ll_model_importance(m2, NULL, v2);
    assert_string_equal(names[0], "funded_amnt");
    double total = 0;
    for (int i = 0; i < nf; i++) {
        assert_true(v1[i] >= 0);
        assert_true(fabs(v1[i] - v2[i]) <= 1e-12 * fabs(v1[i]));
        total += v1[i];
    }
    assert_true(total > 0);
    /* loading model.json by its path works as well */
    char mj[700];
    snprintf(mj, sizeof mj, "%s/model.json", sub);
    ll_model *m3 = NULL;
    assert_int_equal(ll_model_load(mj, &m3, &err), LL_OK);
    ll_model_free(m3);
    free(names);
    free(v1);
    free(v2);
    ll_model_free(m2);
    ll_model_free(m);
    rm_model_dir(sub);
    rmdir(dir);
    free(a);
    free(b);
    ll_table_free(train);
    ll_table_free(test);
}

static void test_round_trip_logreg(void **state)
{
    (void)state;
    static const char *const sets[] = {NULL};
    round_trip(LL_MODEL_LOGREG, sets, 0.68);
}

static void test_round_trip_forest(void **state)
{
    (void)state;
    static const char *const sets[] = {"n_trees=30", "min_samples_leaf=5", "seed=3", NULL};
    round_trip(LL_MODEL_FOREST, sets, 0.66);
}

static void test_round_trip_gbdt(void **state)
{
    (void)state;
    static const char *const sets[] = {"n_estimators=40", "eta=0.1", "max_depth=3", NULL};
    round_trip(LL_MODEL_GBDT, sets, 0.68);
}

/* A gbdt exported to XGBoost's format and imported back scores raw rows like the original. */
static void test_xgboost_import(void **state)
{
    (void)state;
    enum { N = 3000 };
    ll_table *t = ll_table_new(N, NULL);
    double *x1 = malloc(N * sizeof *x1), *x2 = malloc(N * sizeof *x2), *yv = malloc(N * sizeof *yv);
    uint64_t s = 99;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x1[i] = (double)(s >> 40) / 16777216.0 * 10.0;
        x2[i] = i % 13 == 0 ? NAN : (double)((s >> 20) % 1000) / 10.0;
        double z = x1[i] - 5 + (isnan(x2[i]) ? 1 : x2[i] / 50 - 1);
        yv[i] = ((double)((s >> 8) % 1000) / 1000.0) < 1 / (1 + exp(-z));
    }
    ll_table_add_numeric(t, "x1", LL_COL_NUMERIC, x1);
    ll_table_add_numeric(t, "x2", LL_COL_NUMERIC, x2);
    ll_table_add_numeric(t, "y", LL_COL_NUMERIC, yv);
    ll_model_params p;
    ll_error err;
    ll_model_params_default(LL_MODEL_GBDT, &p);
    assert_int_equal(ll_model_params_parse(&p, "n_estimators=20", &err), LL_OK);
    ll_model *m = NULL;
    ll_status st = ll_model_fit(LL_MODEL_GBDT, &p, t, NULL, "y", NULL, NULL, NULL, NULL, &m, &err);
    if (st) fail_msg("fit: %s", err.msg);
    char dir[] = "/tmp/test_model.XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(ll_model_save(m, dir, &err), LL_OK);
    /* a directory with only the XGBoost file */
    char path[600];
    snprintf(path, sizeof path, "%s/model.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/MLmodel", dir);
    unlink(path);
    ll_model *imp = NULL;
    st = ll_model_load(dir, &imp, &err);
    if (st) fail_msg("import: %s", err.msg);
    assert_true(ll_model_is_imported(imp));
    assert_int_equal(ll_model_nfeat(imp), 2);
    double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    assert_int_equal(ll_model_predict(m, t, a, &err), LL_OK);
    assert_int_equal(ll_model_predict(imp, t, b, &err), LL_OK);
    for (int i = 0; i < N; i++)
        if (!(fabs(a[i] - b[i]) < 1e-6))
            fail_msg("row %d: %.17g vs %.17g (x1 %.17g x2 %.17g)", i, a[i], b[i], x1[i], x2[i]);
    assert_string_equal(ll_prep_positive_label(ll_model_prep(imp)), "1");
    ll_model_free(imp);
    ll_model_free(m);
    rm_model_dir(dir);
    free(a);
    free(b);
    free(x1);
    free(x2);
    free(yv);
    ll_table_free(t);
}

static void test_load_errors(void **state)
{
    (void)state;
    ll_model *m = NULL;
    ll_error err;
    assert_int_equal(ll_model_load("/nonexistent/lendlab/model", &m, &err), LL_ENOTFOUND);
    char dir[] = "/tmp/test_model.XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(ll_model_load(dir, &m, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no model"));
    char path[600];
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"format\": \"lendlab-model\", \"schema_version\": 99, \"kind\": \"gbdt\"}", f);
    fclose(f);
    assert_int_equal(ll_model_load(dir, &m, &err), LL_EPARSE);
    assert_non_null(strstr(err.msg, "99"));
    f = fopen(path, "w");
    fputs("{\"format\": \"lendlab-model\",\n \"schema_version\": 1,, }", f);
    fclose(f);
    assert_int_equal(ll_model_load(dir, &m, &err), LL_EPARSE);
    assert_int_equal(err.line, 2);
    assert_null(m);
    unlink(path);
    rmdir(dir);
}

/* The man page documents every parameter with its default: the table is the one source. */
static void test_man_page_lists_parameters(void **state)
{
    (void)state;
    FILE *f = fopen("../man/lendlab-train.1", "r");
    assert_non_null(f);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    for (char *c = text; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    for (int k = 0; k < LL_MODEL_KIND_COUNT; k++) {
        int np;
        const ll_param_spec *s = ll_model_param_specs((ll_model_kind)k, &np);
        /* the kind's own subsection, then each parameter's item inside it */
        char head[64];
        snprintf(head, sizeof head, ".ss %s\n", ll_model_kind_name((ll_model_kind)k));
        const char *sec = strstr(text, head);
        if (!sec) fail_msg("no subsection for %s", ll_model_kind_name((ll_model_kind)k));
        for (int i = 0; i < np; i++) {
            char item[96], low[64], def[64], want[96];
            snprintf(low, sizeof low, "%s", s[i].name);
            for (char *c = low; *c; c++)
                if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
            snprintf(item, sizeof item, ".it cm %s\n", low);
            const char *it = strstr(sec, item);
            if (!it) fail_msg("%s: %s is not documented", head, s[i].name);
            const char *end = strstr(it + 1, ".it ");
            size_t len = end ? (size_t)(end - it) : strlen(it);
            char body[1024];
            snprintf(body, sizeof body, "%.*s",
                     (int)(len < sizeof body - 1 ? len : sizeof body - 1), it);
            if (!strcmp(s[i].name, "seed")) continue; /* its default is --seed */
            ll_model_param_text(&s[i], s[i].def, def, sizeof def);
            snprintf(want, sizeof want, "default %s", def);
            if (!strstr(body, want)) fail_msg("%s: '%s' lacks '%s'", head, s[i].name, want);
        }
    }
}

/* A logistic regression whose weights do not match its plan's design (here one categorical
 * level more) is refused at load; it used to load and read past the plan's feature arrays
 * (found by tests/fuzz/fuzz_model). */
/* Write j to path as compact JSON and free it. */
static void write_json_and_free(const char *path, cJSON *j)
{
    char *out = cJSON_PrintUnformatted(j);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(out, f);
    fclose(f);
    free(out);
    cJSON_Delete(j);
}

static void test_load_logreg_design_mismatch(void **state)
{
    (void)state;
    enum { N = 200 };
    ll_table *t = ll_table_new(N, NULL);
    double x[N], y[N];
    int32_t c[N];
    static const char *const levels[] = {"a", "b", "c"};
    for (int i = 0; i < N; i++) {
        x[i] = (i * 37) % 101 / 10.0;
        c[i] = i % 3;
        y[i] = (x[i] + c[i] * 2 + i % 5) > 8;
    }
    ll_table_add_numeric(t, "x", LL_COL_NUMERIC, x);
    ll_table_add_categorical(t, "c", c, levels, 3);
    ll_table_add_numeric(t, "y", LL_COL_NUMERIC, y);
    ll_model *m = NULL;
    ll_error err;
    ll_status st =
        ll_model_fit(LL_MODEL_LOGREG, NULL, t, NULL, "y", NULL, NULL, NULL, NULL, &m, &err);
    if (st) fail_msg("fit: %s", err.msg);
    char dir[] = "/tmp/test_model.XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(ll_model_save(m, dir, &err), LL_OK);
    ll_model_free(m);
    ll_table_free(t);

    char path[600];
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = 0;
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    cJSON *lr = cJSON_GetObjectItemCaseSensitive(j, "model");
    cJSON *levels_j = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(lr, "cat_levels"), 0);
    assert_non_null(levels_j);
    cJSON_SetNumberValue(levels_j, levels_j->valuedouble + 1);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(lr, "coef"), cJSON_CreateNumber(0.5));
    write_json_and_free(path, j);

    m = NULL;
    assert_int_equal(ll_model_load(dir, &m, &err), LL_EPARSE);
    assert_null(m);
    assert_non_null(strstr(err.msg, "weights"));

    /* counts beyond int (cJSON clamps them to INT_MAX; their sum overflowed an int) */
    static const struct {
        const char *field;
        double value;
        const char *msg;
    } bad[] = {{"pnum", 1e300, "pnum"},
               {"pnum", -1, "pnum"},
               {"pnum", 1.5, "pnum"},
               {"cat_levels", 3e9, "cat_levels"},
               {"cat_levels", -2, "cat_levels"}};
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        j = cJSON_Parse(text);
        lr = cJSON_GetObjectItemCaseSensitive(j, "model");
        cJSON *target = cJSON_GetObjectItemCaseSensitive(lr, bad[b].field);
        if (cJSON_IsArray(target)) target = cJSON_GetArrayItem(target, 0);
        assert_non_null(target);
        cJSON_SetNumberValue(target, bad[b].value);
        write_json_and_free(path, j);
        m = NULL;
        assert_int_equal(ll_model_load(dir, &m, &err), LL_EPARSE);
        assert_null(m);
        if (!strstr(err.msg, bad[b].msg))
            fail_msg("%s = %g: %s", bad[b].field, bad[b].value, err.msg);
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_errors_list_valid_keys),
        cmocka_unit_test(test_param_defaults_match_learners),
        cmocka_unit_test(test_params_to_learners),
        cmocka_unit_test(test_man_page_lists_parameters),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_round_trip_logreg),
        cmocka_unit_test(test_round_trip_forest),
        cmocka_unit_test(test_round_trip_gbdt),
        cmocka_unit_test(test_xgboost_import),
        cmocka_unit_test(test_load_logreg_design_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
