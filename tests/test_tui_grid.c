/* Unit tests for the data grid logic: sorting (missing last, stable), search, widths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grid.h"

/* amount: 3, NaN, 1, 3, 2;  grade: b, a, (missing), c, a */
static ll_table *make_table(void)
{
    ll_table *t = ll_table_new(5, NULL);
    assert_non_null(t);
    const double amount[5] = {3, NAN, 1, 3, 2};
    const int32_t codes[5] = {0, 1, -1, 2, 1};
    const char *const dict[3] = {"b", "a", "c"};
    assert_int_equal(ll_table_add_numeric(t, "amount", LL_COL_NUMERIC, amount), 0);
    assert_int_equal(ll_table_add_categorical(t, "grade", codes, dict, 3), 1);
    return t;
}

static void expect_perm(const size_t *perm, const size_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (perm[i] != want[i]) fail_msg("perm[%zu] = %zu, want %zu", i, perm[i], want[i]);
}

static void test_sort(void **state)
{
    (void)state;
    ll_table *t = make_table();
    size_t perm[5];
    assert_int_equal(tui_grid_sort(t, 0, 0, perm), 0);
    expect_perm(perm, (const size_t[]){2, 4, 0, 3, 1}, 5); /* ties in file order, NaN last */
    assert_int_equal(tui_grid_sort(t, 0, 1, perm), 0);
    expect_perm(perm, (const size_t[]){0, 3, 4, 2, 1}, 5); /* missing last in both orders */
    assert_int_equal(tui_grid_sort(t, 1, 0, perm), 0);
    expect_perm(perm, (const size_t[]){1, 4, 0, 3, 2}, 5); /* by label, not by code */
    assert_int_equal(tui_grid_sort(t, 1, 1, perm), 0);
    expect_perm(perm, (const size_t[]){3, 0, 1, 4, 2}, 5);
    tui_grid_identity(perm, 5);
    expect_perm(perm, (const size_t[]){0, 1, 2, 3, 4}, 5);
    assert_int_equal(tui_grid_sort(t, 7, 0, perm), 0); /* no such column: file order */
    expect_perm(perm, (const size_t[]){0, 1, 2, 3, 4}, 5);
    ll_table_free(t);
}

static void test_find(void **state)
{
    (void)state;
    ll_table *t = make_table();
    long col = -1;
    assert_int_equal(tui_grid_find(t, NULL, 0, "c", &col), 3);
    assert_int_equal(col, 1);
    assert_int_equal(tui_grid_find(t, NULL, 4, "C", &col), 3); /* wraps, case-insensitive */
    assert_int_equal(tui_grid_find(t, NULL, 0, "3", &col), 0);
    assert_int_equal(col, 0);
    assert_int_equal(tui_grid_find(t, NULL, 1, "3", &col), 3);
    size_t perm[5];
    tui_grid_sort(t, 0, 0, perm); /* view order 2, 4, 0, 3, 1 */
    assert_int_equal(tui_grid_find(t, perm, 0, "3", &col), 2);
    assert_int_equal(tui_grid_find(t, perm, 0, "a", &col), 1); /* view 1 = row 4 (grade a) */
    assert_int_equal(tui_grid_find(t, NULL, 0, "zzz", &col), -1);
    /* a slice of rows: from 4, two rows (4 and 0, wrapping) hold no 'c' but row 0 has '3' */
    assert_int_equal(tui_grid_find_range(t, NULL, 4, 2, "c", &col), -1);
    assert_int_equal(tui_grid_find_range(t, NULL, 4, 2, "3", &col), 0);
    assert_int_equal(tui_grid_find_range(t, NULL, 4, 99, "c", &col), 3); /* clamped */
    assert_int_equal(tui_grid_find(t, NULL, 0, "", &col), -1);
    assert_int_equal(tui_grid_find_column(t, 0, "GRA"), 1);
    assert_int_equal(tui_grid_find_column(t, 1, "a"), 1);
    assert_int_equal(tui_grid_find_column(t, 0, "x"), -1);
    assert_true(tui_contains_ci("Source_Verified", "verif"));
    assert_false(tui_contains_ci("abc", "abcd"));
    assert_true(tui_contains_ci("abc", ""));
    ll_table_free(t);
}

static void test_widths(void **state)
{
    (void)state;
    ll_table *t = make_table();
    int w[2];
    tui_grid_widths(t, 100, 1, 30, w);
    assert_int_equal(w[0], 6); /* "amount" is wider than its cells */
    assert_int_equal(w[1], 5); /* "grade" */
    tui_grid_widths(t, 100, 1, 4, w);
    assert_int_equal(w[0], 4);
    assert_int_equal(w[1], 4);
    const double big[5] = {1, 2, 123456789.25, 4, 5};
    assert_int_equal(ll_table_add_numeric(t, "x", LL_COL_NUMERIC, big), 2);
    int w3[3];
    tui_grid_widths(t, 100, 3, 30, w3);
    assert_int_equal(w3[2], 12);      /* "123456789.25" */
    tui_grid_widths(t, 2, 3, 30, w3); /* a sample of rows 0 and 2 still sees it */
    assert_int_equal(w3[2], 12);
    ll_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_widths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
