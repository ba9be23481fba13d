/* Unit tests for the workbench geometry: frame, tabs, pane splits, column fitting, scrolling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layout.h"

static void test_frame(void **state)
{
    (void)state;
    tui_frame f = tui_layout_frame(40, 120);
    assert_false(f.too_small);
    assert_int_equal(f.tabs.y, 0);
    assert_int_equal(f.tabs.w, 120);
    assert_int_equal(f.body.y, 1);
    assert_int_equal(f.body.h, 38);
    assert_int_equal(f.status.y, 39);
    f = tui_layout_frame(24, 80);
    assert_false(f.too_small);
    assert_int_equal(f.body.h, 22);
    assert_true(tui_layout_frame(23, 80).too_small);
    assert_true(tui_layout_frame(24, 79).too_small);
    assert_true(tui_layout_frame(20, 60).too_small);
    assert_true(tui_layout_frame(1, 1).too_small);
    assert_true(tui_layout_frame(0, 0).too_small);
}

static void test_tabs(void **state)
{
    (void)state;
    const char *names[] = {"Datasets", "Train", "Help"};
    int xs[3], ws[3];
    int used = tui_layout_tabs(names, 3, 80, xs, ws);
    /* " 1 Datasets " = 12 cells, then a separator */
    assert_int_equal(xs[0], 0);
    assert_int_equal(ws[0], 12);
    assert_int_equal(xs[1], 13);
    assert_int_equal(ws[1], 9);
    assert_int_equal(xs[2], 23);
    assert_int_equal(ws[2], 8);
    assert_int_equal(used, 31);
    assert_int_equal(tui_layout_tab_at(xs, ws, 3, 0), 0);
    assert_int_equal(tui_layout_tab_at(xs, ws, 3, 11), 0);
    assert_int_equal(tui_layout_tab_at(xs, ws, 3, 12), -1); /* the separator */
    assert_int_equal(tui_layout_tab_at(xs, ws, 3, 13), 1);
    assert_int_equal(tui_layout_tab_at(xs, ws, 3, 30), 2);
    assert_int_equal(tui_layout_tab_at(xs, ws, 3, 31), -1);
    /* a tab that does not fit gets no width and cannot be hit */
    tui_layout_tabs(names, 3, 20, xs, ws);
    assert_int_equal(ws[0], 12);
    assert_int_equal(ws[1], 0);
    assert_int_equal(tui_layout_tab_at(xs, ws, 3, 14), -1);
}

static void test_rects(void **state)
{
    (void)state;
    tui_rect r = {2, 3, 10, 20};
    assert_true(tui_rect_contains(r, 2, 3));
    assert_true(tui_rect_contains(r, 11, 22));
    assert_false(tui_rect_contains(r, 12, 3));
    assert_false(tui_rect_contains(r, 2, 23));
    tui_rect in = tui_rect_inner(r);
    assert_int_equal(in.y, 3);
    assert_int_equal(in.x, 4);
    assert_int_equal(in.h, 8);
    assert_int_equal(in.w, 18);
    in = tui_rect_inner((tui_rect){0, 0, 1, 1});
    assert_int_equal(in.h, 0);
    assert_int_equal(in.w, 0);
}

static long area(tui_rect r)
{
    return (long)r.w * r.h;
}

static int overlap(tui_rect a, tui_rect b)
{
    if (!a.w || !a.h || !b.w || !b.h) return 0;
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void check_tiling(tui_rect body)
{
    tui_datasets_layout L = tui_layout_datasets(body);
    tui_rect all[4] = {L.files, L.columns, L.grid, L.detail};
    long sum = 0;
    for (int i = 0; i < 4; i++) {
        sum += area(all[i]);
        assert_true(all[i].x >= body.x && all[i].y >= body.y);
        assert_true(all[i].x + all[i].w <= body.x + body.w);
        assert_true(all[i].y + all[i].h <= body.y + body.h);
        for (int j = 0; j < i; j++) assert_false(overlap(all[i], all[j]));
    }
    assert_int_equal(sum, area(body)); /* the panes tile the body exactly */
}

static void test_datasets_layout(void **state)
{
    (void)state;
    tui_rect big = {1, 0, 38, 120}, small = {1, 0, 22, 80}, mid = {1, 0, 30, 100};
    check_tiling(big);
    check_tiling(small);
    check_tiling(mid);
    tui_datasets_layout L = tui_layout_datasets(big);
    assert_int_equal(L.files.w, 24);
    assert_int_equal(L.files.h, 20);
    assert_int_equal(L.detail.w, 44);
    L = tui_layout_datasets(mid);
    assert_int_equal(L.detail.w, 38);
    L = tui_layout_datasets(small);
    assert_int_equal(L.detail.w, 0);
    assert_int_equal(L.files.w, 20);
    assert_int_equal(L.grid.w, 80);
    assert_true(L.grid.h >= 8); /* room for a header and some rows */
}

static void test_columns(void **state)
{
    (void)state;
    const int want[5] = {10, 4, 7, 8, 16};
    const int prio[5] = {0, 1, 2, 4, 3};
    int shown[5];
    /* everything fits: 10+4+7+8+16 + 4 gaps = 49; the first column grows up to 12 */
    int used = tui_layout_columns(want, prio, 5, 60, 12, shown);
    assert_int_equal(shown[0], 12);
    assert_int_equal(shown[3], 8);
    assert_int_equal(used, 51);
    /* 40 cells: by priority 10, +4, +7 (23 with gaps), +16 = 40 exactly; then 8 no longer fits */
    used = tui_layout_columns(want, prio, 5, 40, 10, shown);
    assert_int_equal(shown[4], 16);
    assert_int_equal(shown[3], 0);
    assert_int_equal(used, 40);
    /* 39 cells: the histogram does not fit, the lower-priority distinct (8) still does */
    used = tui_layout_columns(want, prio, 5, 39, 10, shown);
    assert_int_equal(shown[4], 0);
    assert_int_equal(shown[3], 8);
    assert_int_equal(used, 10 + 4 + 7 + 8 + 3);
    /* 20 cells: name, type; missing does not fit with a gap (10+1+4+1+7 = 23) */
    used = tui_layout_columns(want, prio, 5, 20, 10, shown);
    assert_int_equal(shown[1], 4);
    assert_int_equal(shown[2], 0);
    assert_int_equal(used, 15);
    /* narrower than the first column: it is clipped */
    used = tui_layout_columns(want, prio, 5, 6, 10, shown);
    assert_int_equal(shown[0], 6);
    assert_int_equal(used, 6);
    assert_int_equal(tui_layout_columns(want, prio, 5, 0, 10, shown), 0);
}

static void test_scroll(void **state)
{
    (void)state;
    assert_int_equal(tui_scroll_follow(0, 5, 10, 100), 0);
    assert_int_equal(tui_scroll_follow(0, 10, 10, 100), 1);
    assert_int_equal(tui_scroll_follow(50, 20, 10, 100), 20);
    assert_int_equal(tui_scroll_follow(95, 99, 10, 100), 90); /* never past the end */
    assert_int_equal(tui_scroll_follow(5, 2, 10, 8), 0);      /* all rows fit */
    assert_int_equal(tui_scroll_follow(3, 0, 0, 8), 0);
    assert_int_equal(tui_clamp_cursor(-4, 10), 0);
    assert_int_equal(tui_clamp_cursor(12, 10), 9);
    assert_int_equal(tui_clamp_cursor(5, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame),   cmocka_unit_test(test_tabs),
        cmocka_unit_test(test_rects),   cmocka_unit_test(test_datasets_layout),
        cmocka_unit_test(test_columns), cmocka_unit_test(test_scroll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
