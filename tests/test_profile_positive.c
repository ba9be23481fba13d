/* Unit tests for ll_profile_positive_label: the one positive-class rule describe (profile) and
 * train (prep) share, checked directly and through both modules on the same tables. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prep.h"
#include "profile.h"

static int pick(const char *a, size_t na, const char *b, size_t nb, int bool_true)
{
    const char *labels[2] = {a, b};
    const size_t counts[2] = {na, nb};
    return ll_profile_positive_label(labels, counts, bool_true);
}

static void test_encodings(void **state)
{
    (void)state;
    /* the positive class is the majority each time, so "minority" cannot explain the choice */
    assert_int_equal(pick("1", 9, "0", 1, -1), 0);
    assert_int_equal(pick("0", 1, "1", 9, -1), 1);
    assert_int_equal(pick("1.0", 9, "0", 1, -1), 0);
    assert_int_equal(pick("FALSE", 1, "TRUE", 9, -1), 1);
    assert_int_equal(pick("t", 9, "f", 1, -1), 0);
    assert_int_equal(pick(" Yes ", 9, "no", 1, -1), 0);
    assert_int_equal(pick("N", 1, "y", 9, -1), 1);
    assert_int_equal(pick("Bad", 9, "GOOD", 1, -1), 0);
    assert_int_equal(pick("Defaulted", 9, "Paid", 1, -1), 0);
    assert_int_equal(pick("Fully Paid", 1, "Charged Off", 9, -1), 1);
    assert_int_equal(pick("current", 1, "charged_off", 9, -1), 1);
    assert_int_equal(pick("Charged-Off", 9, "current", 1, -1), 0);
    assert_int_equal(pick("charged\toff", 9, "current", 1, -1), 0);
    /* the encodings win over a boolean target's true value */
    assert_int_equal(pick("no", 1, "yes", 9, 0), 1);
}

static void test_fallbacks(void **state)
{
    (void)state;
    /* a boolean target's true class, even as the majority */
    assert_int_equal(pick("on", 9, "off", 1, 0), 0);
    assert_int_equal(pick("off", 1, "on", 9, 1), 1);
    /* otherwise the minority class, and on a tie the label sorting last (byte order) */
    assert_int_equal(pick("alpha", 5, "beta", 2, -1), 1);
    assert_int_equal(pick("alpha", 2, "beta", 5, -1), 0);
    assert_int_equal(pick("beta", 3, "alpha", 3, -1), 0);
    assert_int_equal(pick("Zeta", 3, "alpha", 3, -1), 1);
    assert_int_equal(pick("2", 3, "7", 9, -1), 0);
}

/* A table whose categorical column y holds a (na rows) then b (nb rows). */
static ll_table *two_class_table(const char *a, size_t na, const char *b, size_t nb)
{
    size_t n = na + nb;
    ll_table *t = ll_table_new(n, NULL);
    assert_non_null(t);
    int32_t *codes = malloc(n * sizeof *codes);
    double *x = malloc(n * sizeof *x);
    assert_non_null(codes);
    assert_non_null(x);
    for (size_t r = 0; r < n; r++) {
        codes[r] = r < na ? 0 : 1;
        x[r] = (double)(r % 7);
    }
    const char *dict[2] = {a, b};
    assert_true(ll_table_add_numeric(t, "x", LL_COL_NUMERIC, x) >= 0);
    assert_true(ll_table_add_categorical(t, "y", codes, dict, 2) >= 0);
    free(codes);
    free(x);
    return t;
}

static void test_profile_and_prep_agree(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        size_t na, nb;
        const char *want;
    } cases[] = {
        {"bad", "good", 30, 10, "bad"},
        {"good", "bad", 30, 10, "bad"},
        {"Current", "Default", 8, 32, "Default"},
        {"N", "Y", 35, 5, "Y"},
        {"east", "west", 30, 10, "west"},
        {"east", "west", 20, 20, "west"},
        {"paid", "charged off", 30, 10, "charged off"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ll_table *t = two_class_table(cases[k].a, cases[k].na, cases[k].b, cases[k].nb);
        ll_error err;
        ll_profile *p = NULL;
        ll_profile_options opt = {.target = "y"};
        assert_int_equal(ll_profile_compute(t, &opt, &p, &err), LL_OK);
        assert_string_equal(p->target.classes[p->target.positive_index].value, cases[k].want);
        ll_prep *pp = NULL;
        assert_int_equal(ll_prep_fit(t, "y", NULL, NULL, &pp, &err), LL_OK);
        assert_string_equal(ll_prep_positive_label(pp), cases[k].want);
        ll_prep_free(pp);
        ll_profile_free(p);
        ll_table_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_profile_and_prep_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
