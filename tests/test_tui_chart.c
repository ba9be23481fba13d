/* Unit tests for chart rasterising: braille dots, joined lines, gaps, the ASCII fallback. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chart.h"

static int popcount(unsigned v)
{
    int n = 0;
    for (; v; v >>= 1) n += v & 1;
    return n;
}

static void test_rising_line(void **state)
{
    (void)state;
    /* 2 cells = 4x4 dots; values 0..3 climb one dot row per dot column */
    const double ys[4] = {0, 1, 2, 3};
    unsigned char c[2];
    tui_chart_braille(ys, 4, 0, 3, 2, 1, c);
    assert_int_equal(c[0], 0x40 | 0x20); /* dot 7 (left, bottom) and dot 6 (right, row 3) */
    assert_int_equal(c[1], 0x02 | 0x08); /* dot 2 (left, row 2) and dot 4 (right, top) */
}

static void test_flat_and_gaps(void **state)
{
    (void)state;
    const double flat[3] = {5, 5, 5};
    unsigned char c[2];
    tui_chart_braille(flat, 3, 5, 5, 2, 1, c); /* no range: the middle row */
    assert_int_equal(c[0], 0x04 | 0x20);
    assert_int_equal(c[1], 0x04 | 0x20);
    const double gap[3] = {0, NAN, 0};
    tui_chart_braille(gap, 3, 0, 1, 2, 1, c); /* NaN breaks the line */
    assert_int_equal(c[0], 0x40);
    assert_int_equal(c[1], 0x80);
    const double one[1] = {1};
    tui_chart_braille(one, 1, 0, 1, 2, 1, c);
    assert_int_equal(c[0], 0x01);
    assert_int_equal(c[1], 0);
    /* values outside [lo, hi] are clamped to the edges */
    const double out[2] = {-10, 10};
    tui_chart_braille(out, 2, 0, 1, 1, 1, c);
    assert_true(c[0] & 0x40);
    assert_true(c[0] & 0x08);
}

static void test_steep_line_has_no_holes(void **state)
{
    (void)state;
    /* from the bottom to the top of a 1x2-cell chart (2x8 dots) in one step */
    const double ys[2] = {0, 1};
    unsigned char c[2];
    tui_chart_braille(ys, 2, 0, 1, 1, 2, c);
    assert_true(c[1] & 0x40);                             /* start: bottom left of the lower cell */
    assert_true(c[0] & 0x08);                             /* end: top right of the upper cell */
    assert_int_equal(popcount(c[0]) + popcount(c[1]), 8); /* one dot on every dot row */
}

static void test_glyphs(void **state)
{
    (void)state;
    char b[4];
    assert_string_equal(tui_braille_utf8(0, b), "\xe2\xa0\x80");    /* U+2800 */
    assert_string_equal(tui_braille_utf8(0xFF, b), "\xe2\xa3\xbf"); /* U+28FF */
    assert_string_equal(tui_braille_utf8(0x41, b), "\xe2\xa1\x81"); /* U+2841 */
    assert_int_equal(tui_braille_ascii(0), ' ');
    assert_int_equal(tui_braille_ascii(0x01), '\'');
    assert_int_equal(tui_braille_ascii(0x12), '-');
    assert_int_equal(tui_braille_ascii(0x80), '.');
    assert_int_equal(tui_braille_ascii(0x41), ':');
}

static void test_range(void **state)
{
    (void)state;
    const double ys[4] = {NAN, 2, -1, INFINITY};
    double lo, hi;
    tui_chart_range(ys, 4, &lo, &hi);
    assert_true(lo == -1 && hi == 2);
    tui_chart_range(ys, 1, &lo, &hi);
    assert_true(isnan(lo) && isnan(hi));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rising_line),
        cmocka_unit_test(test_flat_and_gaps),
        cmocka_unit_test(test_steep_line_has_no_holes),
        cmocka_unit_test(test_glyphs),
        cmocka_unit_test(test_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
