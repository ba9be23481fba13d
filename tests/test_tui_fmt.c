/* Unit tests for the workbench's pure text helpers: numbers, sparklines, bars, widths. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "draw.h"
#include "fmt.h"

static void test_count(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(tui_fmt_count(0, b, sizeof b), "0");
    assert_string_equal(tui_fmt_count(999, b, sizeof b), "999");
    assert_string_equal(tui_fmt_count(1000, b, sizeof b), "1,000");
    assert_string_equal(tui_fmt_count(9857, b, sizeof b), "9,857");
    assert_string_equal(tui_fmt_count(1005414, b, sizeof b), "1,005,414");
    assert_string_equal(tui_fmt_count(100000, b, sizeof b), "100,000");
}

static void test_pct(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(tui_fmt_pct(0.0525, b, sizeof b), "5.2%");
    assert_string_equal(tui_fmt_pct(0, b, sizeof b), "0.0%");
    assert_string_equal(tui_fmt_pct(1, b, sizeof b), "100.0%");
    assert_string_equal(tui_fmt_pct(NAN, b, sizeof b), "-");
}

static void test_num(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(tui_fmt_num(40000, 9, b, sizeof b), "40,000");
    assert_string_equal(tui_fmt_num(15683.6, 9, b, sizeof b), "15,683.6");
    assert_string_equal(tui_fmt_num(12.5265, 9, b, sizeof b), "12.5265");
    assert_string_equal(tui_fmt_num(-3.5, 9, b, sizeof b), "-3.5");
    assert_string_equal(tui_fmt_num(0.00628995, 9, b, sizeof b), "0.0062899");
    /* too wide for separators: drop them before dropping digits */
    assert_string_equal(tui_fmt_num(15683.6, 7, b, sizeof b), "15683.6");
    /* integers too wide get a suffix */
    assert_string_equal(tui_fmt_num(1234567, 7, b, sizeof b), "1.235M");
    assert_string_equal(tui_fmt_num(1234567, 4, b, sizeof b), "1.2M");
    assert_string_equal(tui_fmt_num(-2500000000.0, 6, b, sizeof b), "-2.5G");
    /* tiny numbers go scientific */
    assert_string_equal(tui_fmt_num(1.5e-7, 7, b, sizeof b), "1.5e-7");
    assert_string_equal(tui_fmt_num(NAN, 5, b, sizeof b), "-");
    assert_string_equal(tui_fmt_num(INFINITY, 5, b, sizeof b), "inf");
    /* nothing fits: hashes, never a misleading shorter number */
    assert_string_equal(tui_fmt_num(123456, 1, b, sizeof b), "#");
    for (int w = 3; w <= 12; w++) {
        const double vals[] = {0.1234, 987654321, -0.000321, 42, 1e20};
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
            assert_true((int)strlen(tui_fmt_num(vals[i], w, b, sizeof b)) <= w);
    }
}

static void test_bytes(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(tui_fmt_bytes(812, b, sizeof b), "812 B");
    assert_string_equal(tui_fmt_bytes(1068896, b, sizeof b), "1.1 MB");
    assert_string_equal(tui_fmt_bytes(108995072, b, sizeof b), "109 MB");
}

static void test_spark_levels(void **state)
{
    (void)state;
    int lv[16];
    const size_t c[4] = {0, 1, 5, 10};
    assert_int_equal(tui_spark_levels(c, 4, 16, 9, lv), 4); /* never stretched */
    assert_int_equal(lv[0], 0);                             /* empty stays empty */
    assert_int_equal(lv[1], 1);                             /* any count is visible */
    assert_int_equal(lv[2], 4);                             /* ceil(5 * 8 / 10) */
    assert_int_equal(lv[3], 8);                             /* the maximum is full */
    /* 6 bins into 3 columns: sums 3, 0, 12 */
    const size_t d[6] = {1, 2, 0, 0, 6, 6};
    assert_int_equal(tui_spark_levels(d, 6, 3, 9, lv), 3);
    assert_int_equal(lv[0], 2); /* ceil(3 * 8 / 12) */
    assert_int_equal(lv[1], 0);
    assert_int_equal(lv[2], 8);
    const size_t z[3] = {0, 0, 0};
    assert_int_equal(tui_spark_levels(z, 3, 3, 9, lv), 3);
    assert_int_equal(lv[0] + lv[1] + lv[2], 0);
    assert_int_equal(tui_spark_levels(z, 0, 3, 9, lv), 0);
}

static void test_scale_and_bar(void **state)
{
    (void)state;
    assert_int_equal(tui_scale(0, 0, 10, 5), 0);
    assert_int_equal(tui_scale(10, 0, 10, 5), 4);
    assert_int_equal(tui_scale(5, 0, 10, 5), 2);
    assert_int_equal(tui_scale(-3, 0, 10, 5), 0);
    assert_int_equal(tui_scale(99, 0, 10, 5), 4);
    assert_int_equal(tui_scale(3, 3, 3, 5), 0);
    assert_int_equal(tui_scale(NAN, 0, 1, 5), 0);
    int full, e;
    tui_bar_cells(0.5, 10, &full, &e);
    assert_int_equal(full, 5);
    assert_int_equal(e, 0);
    tui_bar_cells(0.33, 10, &full, &e); /* 26.4 eighths -> 26 = 3 cells + 2/8 */
    assert_int_equal(full, 3);
    assert_int_equal(e, 2);
    tui_bar_cells(1.7, 10, &full, &e);
    assert_int_equal(full, 10);
    assert_int_equal(e, 0);
    tui_bar_cells(-1, 10, &full, &e);
    assert_int_equal(full + e, 0);
}

static void test_widths(void **state)
{
    (void)state;
    if (!setlocale(LC_CTYPE, "C.UTF-8")) skip();
    const char *s = "caf\xc3\xa9 \xe2\x96\x88"; /* "café █" */
    assert_int_equal(tui_text_width(s, strlen(s)), 6);
    int cells;
    size_t n = tui_text_fit(s, strlen(s), 4, &cells);
    assert_int_equal(n, 5); /* "café" is 5 bytes, never split inside é */
    assert_int_equal(cells, 4);
    n = tui_text_fit(s, strlen(s), 3, &cells);
    assert_int_equal(n, 3);
    const char *wide = "\xe4\xb8\xad\xe6\x96\x87"; /* two double-width CJK characters */
    assert_int_equal(tui_text_width(wide, strlen(wide)), 4);
    n = tui_text_fit(wide, strlen(wide), 3, &cells);
    assert_int_equal(n, 3);
    assert_int_equal(cells, 2);
    /* invalid bytes count one cell each */
    assert_int_equal(tui_text_width("a\xff"
                                    "b",
                                    3),
                     3);
    setlocale(LC_CTYPE, "C");
}

static void test_sanitize(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(tui_text_sanitize("a\tb\x1b[2J", 0, out, sizeof out), "a?b?[2J");
    assert_string_equal(tui_text_sanitize("caf\xc3\xa9", 0, out, sizeof out), "caf??");
    if (setlocale(LC_CTYPE, "C.UTF-8")) {
        assert_string_equal(tui_text_sanitize("caf\xc3\xa9", 1, out, sizeof out), "caf\xc3\xa9");
        assert_string_equal(tui_text_sanitize("x\xff"
                                              "y",
                                              1, out, sizeof out),
                            "x?y");
        setlocale(LC_CTYPE, "C");
    }
    char small[4];
    assert_string_equal(tui_text_sanitize("abcdef", 0, small, sizeof small), "abc");
}

static void test_glyphs(void **state)
{
    (void)state;
    const tui_glyphs *a = tui_glyphs_get(0), *u = tui_glyphs_get(1);
    /* the ASCII set must be pure ASCII, one cell each */
    const char *const *all[] = {&a->hl,   &a->vl, &a->tl,   &a->tr,     &a->bl,       &a->br,
                                &a->full, &a->up, &a->down, &a->target, &a->ellipsis, &a->missing};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        assert_int_equal(strlen(*all[i]), 1);
        assert_true((unsigned char)(*all[i])[0] < 0x80);
    }
    for (int i = 0; i < 9; i++) assert_int_equal(strlen(a->spark[i]), 1);
    assert_int_equal(u->utf8, 1);
    assert_int_equal(a->utf8, 0);
    assert_string_equal(u->spark[8], "\xe2\x96\x88"); /* U+2588 full block */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count),        cmocka_unit_test(test_pct),
        cmocka_unit_test(test_num),          cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_spark_levels), cmocka_unit_test(test_scale_and_bar),
        cmocka_unit_test(test_widths),       cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_glyphs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
