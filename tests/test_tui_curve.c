/* Unit tests for the XY chart scaling: shared ranges, thinning, axis positions and the
 * rasterising of several series (dots, owners, gaps). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "curve.h"

static void test_bounds(void **state)
{
    (void)state;
    const double y1[] = {0.9, 0.5, NAN, 0.7};
    const double x2[] = {0.5, 10}, y2[] = {1.1, 0.3};
    tui_series s[2] = {{NULL, y1, 4}, {x2, y2, 2}};
    double xlo, xhi, ylo, yhi;
    assert_int_equal(tui_curve_bounds(s, 2, 0, &xlo, &xhi, &ylo, &yhi), 0);
    /* x: 1..4 for the step series, 0.5..10 for the other */
    assert_true(xlo == 0.5 && xhi == 10);
    assert_true(ylo == 0.3 && yhi == 1.1);
    /* padding widens y by a share of its span on both sides */
    tui_curve_bounds(s, 2, 0.25, &xlo, &xhi, &ylo, &yhi);
    assert_true(fabs(ylo - 0.1) < 1e-12 && fabs(yhi - 1.3) < 1e-12);
    /* a level line sits in the middle of a widened range */
    const double flat[] = {2, 2, 2};
    tui_series f = {NULL, flat, 3};
    tui_curve_bounds(&f, 1, 0.1, &xlo, &xhi, &ylo, &yhi);
    assert_true(ylo < 2 && yhi > 2 && fabs((ylo + yhi) / 2 - 2) < 1e-12);
    assert_true(xlo == 1 && xhi == 3);
    /* nothing finite */
    const double none[] = {NAN, NAN};
    tui_series e = {NULL, none, 2};
    assert_int_equal(tui_curve_bounds(&e, 1, 0, &xlo, &xhi, &ylo, &yhi), -1);
    assert_int_equal(tui_curve_bounds(NULL, 0, 0, &xlo, &xhi, &ylo, &yhi), -1);
}

static void test_thin(void **state)
{
    (void)state;
    enum { N = 1000 };
    double *y = malloc(N * sizeof *y), xo[20], yo[20];
    assert_non_null(y);
    for (int i = 0; i < N; i++) y[i] = sin(i / 50.0);
    y[437] = 5;  /* a spike */
    y[812] = -3; /* and a dip */
    size_t n = tui_curve_thin(NULL, y, N, 10, xo, yo);
    assert_true(n <= 20 && n >= 10);
    int spike = 0, dip = 0;
    for (size_t i = 0; i < n; i++) {
        if (yo[i] == 5) spike = xo[i] == 438; /* x is the 1-based step */
        if (yo[i] == -3) dip = xo[i] == 813;
        if (i) assert_true(xo[i] > xo[i - 1]); /* kept in order */
    }
    assert_true(spike && dip);
    /* few points are copied as they are */
    const double x3[] = {5, 6, 9}, y3[] = {1, 2, 3};
    assert_int_equal(tui_curve_thin(x3, y3, 3, 10, xo, yo), 3);
    assert_true(xo[2] == 9 && yo[2] == 3);
    assert_int_equal(tui_curve_thin(NULL, y3, 3, 10, xo, yo), 3);
    assert_true(xo[0] == 1 && xo[2] == 3);
    free(y);
}

static void test_pos(void **state)
{
    (void)state;
    assert_int_equal(tui_curve_pos(0, 0, 1, 8), 0);
    assert_int_equal(tui_curve_pos(1, 0, 1, 8), 7);
    assert_int_equal(tui_curve_pos(0.5, 0, 1, 9), 4);
    assert_int_equal(tui_curve_pos(-3, 0, 1, 8), 0);
    assert_int_equal(tui_curve_pos(3, 0, 1, 8), 7);
    assert_int_equal(tui_curve_pos(NAN, 0, 1, 8), 0);
    assert_int_equal(tui_curve_pos(5, 5, 5, 9), 4);
    assert_int_equal(tui_curve_pos(0.3, 0, 1, 1), 0);
}

static void test_raster(void **state)
{
    (void)state;
    /* the ROC diagonal over 4 x 2 cells = 8 x 8 dots: one dot per dot column */
    const double d[] = {0, 1};
    tui_series s = {d, d, 2};
    unsigned char bits[8];
    signed char owner[8];
    tui_curve_raster(&s, 1, 0, 1, 0, 1, 4, 2, bits, owner);
    assert_int_equal(bits[4], 0x40 | 0x20); /* bottom-left cell: dots 7 and 6 */
    assert_int_equal(bits[3], 0x02 | 0x08); /* top-right cell: dots 2 and 4 */
    assert_int_equal(bits[0], 0);           /* top-left: empty */
    assert_int_equal(bits[7], 0);           /* bottom-right: empty */
    assert_int_equal(owner[4], 0);
    assert_int_equal(owner[0], -1);
    int dots = 0;
    for (int i = 0; i < 8; i++)
        for (unsigned v = bits[i]; v; v >>= 1) dots += v & 1;
    assert_int_equal(dots, 8);
    /* a second series over the same cells owns them */
    const double lo[] = {0, 0};
    tui_series two[2] = {{d, d, 2}, {d, lo, 2}};
    tui_curve_raster(two, 2, 0, 1, 0, 1, 4, 2, bits, owner);
    assert_int_equal(owner[4], 1); /* both pass through the bottom-left cell: the later wins */
    assert_int_equal(owner[3], 0);
    assert_int_equal(owner[7], 1);
    assert_int_equal(bits[7], 0xC0); /* the bottom dot row of the last cell */
    /* a NaN breaks the line: the two ends stay single dots */
    const double gy[] = {0, NAN, 1}, gx[] = {0, 0.5, 1};
    tui_series g = {gx, gy, 3};
    tui_curve_raster(&g, 1, 0, 1, 0, 1, 4, 2, bits, owner);
    dots = 0;
    for (int i = 0; i < 8; i++)
        for (unsigned v = bits[i]; v; v >>= 1) dots += v & 1;
    assert_int_equal(dots, 2);
    assert_int_equal(bits[4], 0x40);
    assert_int_equal(bits[3], 0x08);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_thin),
        cmocka_unit_test(test_pos),
        cmocka_unit_test(test_raster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
