/* Unit tests for filter: MLflow's search syntax, error positions, sort keys. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter.h"
#include "store.h"

/* Build a run in memory (owned strings, freed by ll_run_free). */
static ll_run *mkrun(const char *id, const char *name, ll_run_status status, long long start)
{
    ll_run *r = calloc(1, sizeof *r);
    r->run_id = strdup(id);
    r->experiment_id = strdup("1");
    r->run_name = strdup(name);
    r->user_id = strdup("alice");
    r->artifact_uri = strdup("file:///tmp/a");
    r->dir = strdup("/tmp/none");
    r->status = status;
    r->start_time = start;
    r->end_time = -1;
    r->complete = 1;
    return r;
}

static void param(ll_run *r, const char *k, const char *v)
{
    r->params = realloc(r->params, (r->nparams + 1) * sizeof *r->params);
    r->params[r->nparams].key = strdup(k);
    r->params[r->nparams++].value = strdup(v);
}

static void tag(ll_run *r, const char *k, const char *v)
{
    r->tags = realloc(r->tags, (r->ntags + 1) * sizeof *r->tags);
    r->tags[r->ntags].key = strdup(k);
    r->tags[r->ntags++].value = strdup(v);
}

static void metric(ll_run *r, const char *k, double v)
{
    r->metrics = realloc(r->metrics, (r->nmetrics + 1) * sizeof *r->metrics);
    r->metrics[r->nmetrics].key = strdup(k);
    r->metrics[r->nmetrics].value = v;
    r->metrics[r->nmetrics].timestamp = 0;
    r->metrics[r->nmetrics++].step = 0;
}

typedef struct {
    ll_run *a, *b, *c;
} runs3;

static int setup(void **state)
{
    runs3 *s = calloc(1, sizeof *s);
    s->a = mkrun("aaaa1111", "gbdt-baseline", LL_RUN_FINISHED, 1000);
    param(s->a, "model", "gbdt");
    param(s->a, "max_depth", "4");
    param(s->a, "learning rate", "0.1");
    metric(s->a, "auc", 0.7412);
    metric(s->a, "logloss", 0.1893);
    metric(s->a, "valid auc", 0.74);
    tag(s->a, "mlflow.runName", "gbdt-baseline");
    tag(s->a, "team", "Risk");
    s->b = mkrun("bbbb2222", "gbdt-tuned", LL_RUN_FINISHED, 2000);
    param(s->b, "model", "gbdt");
    param(s->b, "max_depth", "10");
    metric(s->b, "auc", 0.7531);
    metric(s->b, "logloss", 0.1842);
    tag(s->b, "mlflow.runName", "gbdt-tuned");
    s->c = mkrun("cccc3333", "logreg", LL_RUN_FAILED, 3000);
    param(s->c, "model", "logreg");
    metric(s->c, "auc", NAN);
    s->c->end_time = 3500;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    runs3 *s = *state;
    ll_run_free(s->a);
    ll_run_free(s->b);
    ll_run_free(s->c);
    free(s);
    return 0;
}

/* Which of a, b, c match expr, as a string like "ab-" ('-' = no match). */
static void expect(runs3 *s, const char *expr, const char *want)
{
    ll_filter *f = NULL;
    ll_error err = {0};
    ll_error_clear(&err);
    ll_status st = ll_filter_parse(expr, &f, &err);
    if (st) fail_msg("'%s' did not parse: %s", expr, err.msg);
    char got[4] = {ll_filter_match(f, s->a) ? 'a' : '-', ll_filter_match(f, s->b) ? 'b' : '-',
                   ll_filter_match(f, s->c) ? 'c' : '-', 0};
    ll_filter_free(f);
    if (strcmp(got, want)) fail_msg("'%s': matched %s, wanted %s", expr, got, want);
}

static void test_metrics_numeric(void **state)
{
    runs3 *s = *state;
    expect(s, "metrics.auc > 0.75", "-b-");
    expect(s, "metrics.auc >= 0.7412", "ab-");
    expect(s, "metrics.auc < 0.75", "a--");
    expect(s, "metrics.auc <= 0.7531", "ab-");
    expect(s, "metrics.auc = 0.7531", "-b-");
    expect(s, "metrics.auc == 0.7531", "-b-");
    expect(s, "metrics.auc != 0.7531", "a-c"); /* NaN differs from everything */
    expect(s, "metric.logloss < 0.19", "ab-");
    expect(s, "metrics.logloss < 0.19", "ab-");
    expect(s, "metrics.logloss > 0", "ab-"); /* c has no logloss: never matches */
    expect(s, "metrics.logloss IS NULL", "--c");
    expect(s, "metrics.logloss is not null", "ab-");
    expect(s, "metrics.auc > -1e3", "ab-");
    expect(s, "metrics.auc > '0.75'", "-b-"); /* a quoted number still compares numerically */
    expect(s, "metrics.`valid auc` > 0.7", "a--");
    expect(s, "metrics.\"valid auc\" > 0.7", "a--");
}

static void test_params_tags_strings(void **state)
{
    runs3 *s = *state;
    expect(s, "params.model = 'gbdt'", "ab-");
    expect(s, "params.model = \"logreg\"", "--c");
    expect(s, "params.model != 'gbdt'", "--c");
    expect(s, "param.max_depth = '10'", "-b-");
    expect(s, "parameters.max_depth = 4", "a--"); /* a number literal compares as its text */
    expect(s, "params.max_depth > 5", "-b-");     /* ordering against a number: numeric */
    expect(s, "params.`learning rate` = '0.1'", "a--");
    expect(s, "params.model LIKE 'gb%'", "ab-");
    expect(s, "params.model LIKE 'GB%'", "---");
    expect(s, "params.model ILIKE 'GB%'", "ab-");
    expect(s, "params.model like 'l_greg'", "--c");
    expect(s, "params.model NOT LIKE 'gb%'", "--c");
    expect(s, "params.model IN ('logreg', 'forest')", "--c");
    expect(s, "params.model NOT IN ('logreg')", "ab-");
    expect(s, "tags.mlflow.runName = 'gbdt-tuned'", "-b-");
    expect(s, "tags.team ILIKE 'risk'", "a--");
    expect(s, "tags.team != 'x'", "a--"); /* missing tag never matches */
    expect(s, "tags.team = 'it''s'", "---");
}

static void test_attributes(void **state)
{
    runs3 *s = *state;
    expect(s, "status = 'FINISHED'", "ab-");
    expect(s, "attributes.status = 'failed'", "--c");
    expect(s, "attribute.status != 'FINISHED'", "--c");
    expect(s, "run_name LIKE '%tuned'", "-b-");
    expect(s, "attr.run_name = 'logreg'", "--c");
    expect(s, "run.run_id = 'aaaa1111'", "a--");
    expect(s, "attributes.start_time >= 2000", "-bc");
    expect(s, "created < 2000", "a--");
    expect(s, "end_time > 0", "--c");
    expect(s, "user_id = 'alice'", "abc");
    expect(s, "lifecycle_stage = 'active'", "abc");
    expect(s, "`run_name` = 'logreg'", "--c");
    /* DIED refines RUNNING */
    s->c->status = LL_RUN_RUNNING;
    s->c->died = 1;
    expect(s, "status = 'DIED'", "--c");
    expect(s, "status = 'RUNNING'", "--c");
    s->c->died = 0;
    expect(s, "status = 'DIED'", "---");
}

static void test_boolean_structure(void **state)
{
    runs3 *s = *state;
    expect(s, "metrics.auc > 0.7 and params.model = 'gbdt'", "ab-");
    expect(s, "metrics.auc > 0.75 AND params.model = 'gbdt'", "-b-");
    expect(s, "metrics.auc > 0.75 or params.model = 'logreg'", "-bc");
    /* AND binds tighter than OR */
    expect(s, "params.model = 'logreg' or params.model = 'gbdt' and metrics.auc > 0.75", "-bc");
    expect(s, "(params.model = 'logreg' or params.model = 'gbdt') and metrics.auc > 0.75", "-b-");
    expect(s, "((metrics.auc > 0.7)) Or (status = 'FAILED')", "abc");
    expect(s, "  metrics.auc>0.75  ", "-b-");
}

/* The error message and position of a syntax error. */
static void expect_error(const char *expr, long column, const char *fragment)
{
    ll_filter *f = NULL;
    ll_error err = {0};
    ll_error_clear(&err);
    ll_status st = ll_filter_parse(expr, &f, &err);
    if (st == LL_OK) {
        ll_filter_free(f);
        fail_msg("'%s' parsed but should not", expr);
    }
    assert_int_equal(st, LL_EPARSE);
    if (err.column != column)
        fail_msg("'%s': error at %ld, wanted %ld (%s)", expr, err.column, column, err.msg);
    if (!strstr(err.msg, fragment))
        fail_msg("'%s': message '%s' lacks '%s'", expr, err.msg, fragment);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("metrics.auc 0.7", 13, "expected a comparator");
    expect_error("metrics.auc >", 14, "expected a value");
    expect_error("metrics.auc > 0.7 and", 22, "expected a key");
    expect_error("metrics.auc > 0.7 nand x", 19, "expected AND, OR or the end");
    expect_error("auc > 0.7", 1, "unknown attribute 'auc'");
    expect_error("auc > 0.7", 1, "metrics.auc");
    expect_error("metricz.auc > 1", 1, "unknown key type 'metricz'");
    expect_error("params.model = 'gbdt", 16, "unterminated string");
    expect_error("(metrics.auc > 1", 17, "expected ')'");
    expect_error("params.model > 'a'", 14, "compared as a string");
    expect_error("metrics.auc LIKE 'a%'", 13, "LIKE and ILIKE compare strings");
    expect_error("metrics.auc = 'high'", 1, "compares with numbers");
    expect_error("params.model = gbdt", 16, "neither a number nor a quoted string");
    expect_error("attributes.colour = 'x'", 1, "unknown attribute 'colour'");
    expect_error("metrics. > 1", 9, "expected a name");
    expect_error("params.model IN 'a'", 17, "expected '('");
    expect_error("status IS 1", 11, "expected NULL");
    ll_filter *f;
    ll_error err = {0};
    assert_int_equal(ll_filter_parse("   ", &f, &err), LL_EPARSE);
    /* the message carries the position for people, err.column for programs */
    assert_int_equal(ll_filter_parse("metrics.auc 0.7", &f, &err), LL_EPARSE);
    assert_non_null(strstr(err.msg, "position 13"));
}

static void test_filter_keys(void **state)
{
    (void)state;
    ll_filter *f;
    ll_error err = {0};
    assert_int_equal(ll_filter_parse("metrics.auc > 0.7 and (params.model = 'x' or metrics.auc < "
                                     "1 or tags.t = 'y') and status = 'FINISHED'",
                                     &f, &err),
                     LL_OK);
    ll_filter_key *k;
    size_t n;
    assert_int_equal(ll_filter_keys(f, &k, &n, &err), LL_OK);
    assert_int_equal(n, 3); /* auc once, model, t; attributes need no loading */
    assert_int_equal(k[0].kind, LL_KEY_METRIC);
    assert_string_equal(k[0].name, "auc");
    assert_int_equal(k[1].kind, LL_KEY_PARAM);
    assert_int_equal(k[2].kind, LL_KEY_TAG);
    free(k);
    ll_filter_free(f);
}

static void test_sort(void **state)
{
    runs3 *s = *state;
    ll_sortkey k[4];
    size_t n;
    ll_error err = {0};
    assert_int_equal(ll_filter_parse_sort("-metrics.auc", k, 4, &n, &err), LL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(k[0].kind, LL_KEY_METRIC);
    assert_string_equal(k[0].name, "auc");
    assert_true(k[0].desc);
    /* b (0.7531) before a (0.7412); c has NaN: last whatever the direction */
    assert_true(ll_filter_compare(k, n, s->b, s->a) < 0);
    assert_true(ll_filter_compare(k, n, s->a, s->c) < 0);
    assert_int_equal(ll_filter_parse_sort("metrics.auc", k, 4, &n, &err), LL_OK);
    assert_false(k[0].desc);
    assert_true(ll_filter_compare(k, n, s->a, s->b) < 0);
    assert_true(ll_filter_compare(k, n, s->b, s->c) < 0);
    assert_int_equal(
        ll_filter_parse_sort("metrics.logloss DESC, attributes.start_time asc", k, 4, &n, &err),
        LL_OK);
    assert_int_equal(n, 2);
    assert_true(k[0].desc);
    assert_int_equal(k[1].kind, LL_KEY_ATTR);
    assert_string_equal(k[1].name, "start_time");
    assert_false(k[1].desc);
    assert_true(ll_filter_compare(k, n, s->a, s->b) < 0); /* 0.1893 > 0.1842 */
    assert_true(ll_filter_compare(k, n, s->b, s->c) < 0); /* c lacks logloss */
    /* params compare as numbers when both are: 4 < 10 */
    assert_int_equal(ll_filter_parse_sort("params.max_depth", k, 4, &n, &err), LL_OK);
    assert_true(ll_filter_compare(k, n, s->a, s->b) < 0);
    assert_int_equal(ll_filter_parse_sort("+run_name", k, 4, &n, &err), LL_OK);
    assert_true(ll_filter_compare(k, n, s->a, s->b) < 0);
    /* no keys: newest first */
    assert_true(ll_filter_compare(NULL, 0, s->c, s->a) < 0);
    assert_int_equal(ll_filter_parse_sort("metrics.auc,", k, 4, &n, &err), LL_EPARSE);
    assert_int_equal(ll_filter_parse_sort("metrics.auc sideways", k, 4, &n, &err), LL_EPARSE);
    assert_int_equal(err.column, 13);
    assert_int_equal(ll_filter_parse_sort("bogus", k, 4, &n, &err), LL_EPARSE);
}

static void test_like(void **state)
{
    (void)state;
    assert_true(ll_filter_like("gbdt-tuned", "gbdt%", 0));
    assert_true(ll_filter_like("gbdt-tuned", "%tuned", 0));
    assert_true(ll_filter_like("gbdt-tuned", "%dt-t%", 0));
    assert_true(ll_filter_like("gbdt", "g_d_", 0));
    assert_false(ll_filter_like("gbdt", "g_d", 0));
    assert_true(ll_filter_like("", "%", 0));
    assert_false(ll_filter_like("", "_", 0));
    assert_true(ll_filter_like("aXbXc", "%b%c", 0));
    assert_false(ll_filter_like("GBDT", "gbdt", 0));
    assert_true(ll_filter_like("GBDT", "gbdt", 1));
    assert_true(ll_filter_like("abcabc", "%abc", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metrics_numeric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_tags_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boolean_structure, setup, teardown),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_filter_keys),
        cmocka_unit_test_setup_teardown(test_sort, setup, teardown),
        cmocka_unit_test(test_like),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
