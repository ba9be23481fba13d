/* Unit tests for the Train form: fields per model, values checked as `train` checks them,
 * refusals kept beside their field, choices, following the Datasets screen, the job config. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trainform.h"

#define DATA "fixtures/lending_club_train.csv"

static tui_trainform *form_new(ll_model_kind k)
{
    tui_trainform *f = malloc(sizeof *f);
    assert_non_null(f);
    tui_trainform_init(f, k, NULL);
    return f;
}

static void test_fields_follow_the_model(void **state)
{
    (void)state;
    tui_trainform *f = form_new(LL_MODEL_GBDT);
    int np;
    ll_model_param_specs(LL_MODEL_GBDT, &np);
    assert_int_equal(np, 15);
    assert_int_equal(tui_trainform_nfields(f), TUI_TF_FIXED_COUNT + 15);
    tui_tf_view v;
    tui_trainform_view(f, TUI_TF_MODEL, &v);
    assert_string_equal(v.label, "model");
    assert_string_equal(v.value, "gbdt");
    assert_true(v.choice);
    /* the first parameter follows the model field, with its default and range */
    tui_trainform_view(f, TUI_TF_MODEL + 1, &v);
    assert_string_equal(v.label, "n_estimators");
    assert_string_equal(v.value, "100");
    assert_non_null(strstr(v.hint, "default 100"));
    assert_non_null(strstr(v.hint, "integer 1..100000"));
    /* the fixed fields after the parameters */
    int seed = tui_trainform_index(f, TUI_TF_SEED);
    assert_int_equal(seed, TUI_TF_SEED + 15);
    tui_trainform_view(f, seed, &v);
    assert_string_equal(v.label, "seed");
    assert_string_equal(v.value, "42");
    tui_trainform_view(f, tui_trainform_index(f, TUI_TF_EXPERIMENT), &v);
    assert_string_equal(v.value, "Default");
    /* the learner's own seed is shown as learner_seed and follows the seed field */
    int ls = tui_trainform_param_index(f, "seed");
    assert_true(ls > TUI_TF_MODEL);
    tui_trainform_view(f, ls, &v);
    assert_string_equal(v.label, "learner_seed");
    assert_string_equal(v.value, "42");
    /* logreg has 5 parameters; switching back keeps what was set for gbdt */
    assert_int_equal(tui_trainform_set(f, TUI_TF_MODEL + 1, "2000"), 0);
    assert_int_equal(tui_trainform_cycle(f, TUI_TF_MODEL, -1), 0);
    tui_trainform_view(f, TUI_TF_MODEL, &v);
    assert_string_equal(v.value, "forest");
    assert_int_equal(tui_trainform_set(f, TUI_TF_MODEL, "logreg"), 0);
    assert_int_equal(tui_trainform_nfields(f), TUI_TF_FIXED_COUNT + 5);
    assert_int_equal(tui_trainform_param_index(f, "C"), TUI_TF_MODEL + 1);
    assert_int_equal(tui_trainform_param_index(f, "eta"), -1);
    assert_int_equal(tui_trainform_set(f, TUI_TF_MODEL, "tree"), -1);
    tui_trainform_view(f, TUI_TF_MODEL, &v);
    assert_string_equal(v.value, "logreg");
    assert_string_equal(v.bad, "tree");
    assert_int_equal(tui_trainform_set(f, TUI_TF_MODEL, "xgboost"), 0);
    tui_trainform_view(f, TUI_TF_MODEL + 1, &v);
    assert_string_equal(v.value, "2000");
    free(f);
}

static void test_parameters_checked_like_train(void **state)
{
    (void)state;
    tui_trainform *f = form_new(LL_MODEL_GBDT);
    int eta = tui_trainform_param_index(f, "eta");
    tui_tf_view v;
    /* the same checker as --set: the message names the range and the value */
    assert_int_equal(tui_trainform_set(f, eta, "2"), -1);
    tui_trainform_view(f, eta, &v);
    assert_string_equal(v.value, "0.3");
    assert_string_equal(v.bad, "2");
    assert_string_equal(v.err, "gbdt: eta must be number in (0, 1], got '2'");
    assert_int_equal(tui_trainform_set(f, eta, "abc"), -1);
    assert_int_equal(tui_trainform_set(f, eta, "0"), -1); /* (0, 1]: the minimum is open */
    assert_int_equal(tui_trainform_set(f, eta, "0.05"), 0);
    tui_trainform_view(f, eta, &v);
    assert_string_equal(v.value, "0.05");
    assert_string_equal(v.err, "");
    assert_false(v.is_default);
    /* empty restores the default */
    assert_int_equal(tui_trainform_set(f, eta, ""), 0);
    tui_trainform_view(f, eta, &v);
    assert_string_equal(v.value, "0.3");
    assert_true(v.is_default);
    int ne = tui_trainform_param_index(f, "n_estimators");
    assert_int_equal(tui_trainform_set(f, ne, "1.5"), -1);
    assert_int_equal(tui_trainform_set(f, ne, "100001"), -1);
    assert_int_equal(tui_trainform_set(f, ne, "100000"), 0);
    /* d resets a field */
    assert_int_equal(tui_trainform_set(f, eta, "7"), -1);
    tui_trainform_reset(f, eta);
    tui_trainform_view(f, eta, &v);
    assert_string_equal(v.value, "0.3");
    assert_string_equal(v.bad, "");
    free(f);
}

static void test_choices(void **state)
{
    (void)state;
    tui_trainform *f = form_new(LL_MODEL_FOREST);
    tui_tf_view v;
    int b = tui_trainform_param_index(f, "bootstrap");
    tui_trainform_view(f, b, &v);
    assert_string_equal(v.value, "true");
    assert_true(v.choice);
    assert_int_equal(tui_trainform_cycle(f, b, 1), 0);
    tui_trainform_view(f, b, &v);
    assert_string_equal(v.value, "false");
    assert_int_equal(tui_trainform_cycle(f, b, 1), 0);
    tui_trainform_view(f, b, &v);
    assert_string_equal(v.value, "true");
    int cw = tui_trainform_param_index(f, "class_weight");
    assert_int_equal(tui_trainform_cycle(f, cw, -1), 0);
    tui_trainform_view(f, cw, &v);
    assert_string_equal(v.value, "balanced");
    /* numbers and text have no choices */
    assert_int_equal(tui_trainform_cycle(f, tui_trainform_param_index(f, "n_trees"), 1), -1);
    assert_int_equal(tui_trainform_cycle(f, TUI_TF_DATASET, 1), -1);
    free(f);
}

static void test_fixed_fields(void **state)
{
    (void)state;
    tui_trainform *f = form_new(LL_MODEL_GBDT);
    tui_tf_view v;
    int fr = tui_trainform_index(f, TUI_TF_TEST_FRACTION);
    assert_int_equal(tui_trainform_set(f, fr, "0"), -1);
    assert_int_equal(tui_trainform_set(f, fr, "1"), -1);
    assert_int_equal(tui_trainform_set(f, fr, "x"), -1);
    tui_trainform_view(f, fr, &v);
    assert_string_equal(v.value, "0.2");
    assert_non_null(strstr(v.err, "(0, 1)"));
    assert_int_equal(tui_trainform_set(f, fr, "0.3"), 0);
    int seed = tui_trainform_index(f, TUI_TF_SEED);
    assert_int_equal(tui_trainform_set(f, seed, "-1"), -1);
    assert_int_equal(tui_trainform_set(f, seed, "1.5"), -1);
    assert_int_equal(tui_trainform_set(f, seed, "4294967296"), -1);
    assert_int_equal(tui_trainform_set(f, seed, "7"), 0);
    int ls = tui_trainform_param_index(f, "seed");
    tui_trainform_view(f, ls, &v);
    assert_string_equal(v.value, "7");
    int reg = tui_trainform_index(f, TUI_TF_REGISTER);
    assert_int_equal(tui_trainform_set(f, reg, "a/b"), -1);
    assert_int_equal(tui_trainform_set(f, reg, "credit-risk"), 0);
    int al = tui_trainform_index(f, TUI_TF_ALIAS);
    assert_int_equal(tui_trainform_set(f, al, "latest"), -1);
    tui_trainform_view(f, al, &v);
    assert_non_null(strstr(v.err, "invalid alias 'latest'"));
    assert_int_equal(tui_trainform_set(f, al, "v2"), -1);
    assert_int_equal(tui_trainform_set(f, al, "staging"), 0);
    /* files must be readable; standard input is the terminal */
    assert_int_equal(tui_trainform_set(f, TUI_TF_DATASET, "no/such.csv"), -1);
    assert_int_equal(tui_trainform_set(f, TUI_TF_DATASET, "-"), -1);
    tui_trainform_view(f, TUI_TF_DATASET, &v);
    assert_non_null(strstr(v.err, "standard input"));
    assert_int_equal(tui_trainform_set(f, tui_trainform_index(f, TUI_TF_TEST_FILE), "nope.csv"),
                     -1);
    free(f);
}

static void test_follow_datasets(void **state)
{
    (void)state;
    tui_trainform *f = form_new(LL_MODEL_GBDT);
    tui_tf_view v;
    tui_trainform_follow(f, DATA, "Class");
    tui_trainform_view(f, TUI_TF_DATASET, &v);
    assert_string_equal(v.value, DATA);
    assert_true(v.is_default);
    tui_trainform_view(f, TUI_TF_TARGET, &v);
    assert_string_equal(v.value, "Class");
    /* a value typed here stops following; d (reset) follows again */
    assert_int_equal(tui_trainform_set(f, TUI_TF_TARGET, "term"), 0);
    tui_trainform_follow(f, DATA, "grade");
    tui_trainform_view(f, TUI_TF_TARGET, &v);
    assert_string_equal(v.value, "term");
    assert_false(v.is_default);
    tui_trainform_reset(f, TUI_TF_TARGET);
    tui_trainform_follow(f, DATA, "grade");
    tui_trainform_view(f, TUI_TF_TARGET, &v);
    assert_string_equal(v.value, "grade");
    free(f);
}

static void test_build(void **state)
{
    (void)state;
    tui_trainform *f = form_new(LL_MODEL_GBDT);
    ll_trainrun_cfg c;
    char msg[1200];
    /* nothing loaded: the dataset field is at fault */
    assert_int_equal(tui_trainform_build(f, "st", &c, msg, sizeof msg), TUI_TF_DATASET);
    assert_non_null(strstr(msg, "no dataset"));
    tui_trainform_follow(f, DATA, "");
    assert_int_equal(tui_trainform_build(f, "st", &c, msg, sizeof msg), TUI_TF_TARGET);
    tui_trainform_follow(f, DATA, "Class");
    assert_int_equal(tui_trainform_build(f, "st", &c, msg, sizeof msg), -1);
    assert_string_equal(c.data, DATA);
    assert_string_equal(c.target, "Class");
    assert_null(c.positive);
    assert_int_equal(c.params.kind, LL_MODEL_GBDT);
    assert_int_equal(c.seed, 42);
    assert_true(fabs(c.test_fraction - 0.2) < 1e-15);
    assert_null(c.test_path);
    assert_true(c.track);
    assert_string_equal(c.store, "st");
    assert_string_equal(c.experiment, "Default");
    assert_null(c.run_name);
    assert_null(c.reg_name);
    /* the learner's seed follows the seed, as `train --seed` does */
    assert_true(ll_model_params_get(&c.params, "seed") == 42);
    assert_true(ll_model_params_get(&c.params, "n_estimators") == 100);

    /* an alias without a model name: refused beside the alias field */
    int al = tui_trainform_index(f, TUI_TF_ALIAS), reg = tui_trainform_index(f, TUI_TF_REGISTER);
    assert_int_equal(tui_trainform_set(f, al, "staging"), 0);
    assert_int_equal(tui_trainform_build(f, "st", &c, msg, sizeof msg), al);
    tui_tf_view v;
    tui_trainform_view(f, al, &v);
    assert_non_null(strstr(v.err, "alias needs"));
    /* naming the model clears that refusal at the next check */
    assert_int_equal(tui_trainform_set(f, reg, "credit-risk"), 0);
    assert_int_equal(tui_trainform_build(f, "st", &c, msg, sizeof msg), -1);
    assert_string_equal(c.reg_name, "credit-risk");
    assert_string_equal(c.alias, "staging");
    tui_trainform_view(f, al, &v);
    assert_string_equal(v.err, "");

    /* a refused entry still shown stops the start: its field is at fault */
    int eta = tui_trainform_param_index(f, "eta");
    assert_int_equal(tui_trainform_set(f, eta, "5"), -1);
    assert_int_equal(tui_trainform_build(f, "st", &c, msg, sizeof msg), eta);
    assert_non_null(strstr(msg, "eta must be"));
    assert_int_equal(tui_trainform_set(f, eta, "0.1"), 0);
    assert_int_equal(tui_trainform_build(f, "st", &c, msg, sizeof msg), -1);
    assert_true(ll_model_params_get(&c.params, "eta") == 0.1);

    /* a test file replaces the fraction; a typed learner seed is kept */
    assert_int_equal(tui_trainform_set(f, tui_trainform_index(f, TUI_TF_TEST_FILE),
                                       "fixtures/lending_club_test.csv"),
                     0);
    assert_int_equal(tui_trainform_set(f, tui_trainform_param_index(f, "seed"), "9"), 0);
    assert_int_equal(tui_trainform_build(f, "st", &c, msg, sizeof msg), -1);
    assert_string_equal(c.test_path, "fixtures/lending_club_test.csv");
    assert_true(ll_model_params_get(&c.params, "seed") == 9);
    assert_int_equal(c.seed, 42);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_follow_the_model),
        cmocka_unit_test(test_parameters_checked_like_train),
        cmocka_unit_test(test_choices),
        cmocka_unit_test(test_fixed_fields),
        cmocka_unit_test(test_follow_datasets),
        cmocka_unit_test(test_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
