/* Unit tests for themes: slot names, colour names, the theme file parser and fallbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "theme.h"

static ll_status parse(const char *text, tui_theme *t, ll_error *err)
{
    memset(t, 0, sizeof *t);
    ll_error_clear(err);
    return tui_theme_parse(text, strlen(text), "x.theme", t, err);
}

static void test_slots(void **state)
{
    (void)state;
    assert_int_equal(tui_slot_find("tab_active"), TUI_SLOT_TAB_ACTIVE);
    assert_int_equal(tui_slot_find("TAB-ACTIVE"), TUI_SLOT_TAB_ACTIVE);
    assert_int_equal(tui_slot_find("drift_alert"), TUI_SLOT_DRIFT_ALERT);
    assert_int_equal(tui_slot_find("chart_4"), TUI_SLOT_CHART_4);
    assert_int_equal(tui_slot_find("nope"), -1);
    /* every slot has a distinct lower-case name and a description */
    for (int i = 0; i < TUI_SLOT_COUNT; i++) {
        assert_int_equal(tui_slot_find(tui_slot_name(i)), i);
        assert_true(strlen(tui_slot_doc(i)) > 5);
        for (const char *p = tui_slot_name(i); *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
    }
}

static void test_colors(void **state)
{
    (void)state;
    assert_int_equal(tui_color_parse("default"), TUI_COLOR_DEFAULT);
    assert_int_equal(tui_color_parse("black"), 0);
    assert_int_equal(tui_color_parse("Cyan"), 6);
    assert_int_equal(tui_color_parse("bright-red"), 9);
    assert_int_equal(tui_color_parse("brightwhite"), 15);
    assert_int_equal(tui_color_parse("bright_blue"), 12);
    assert_int_equal(tui_color_parse("grey"), 8);
    assert_int_equal(tui_color_parse("0"), 0);
    assert_int_equal(tui_color_parse("255"), 255);
    assert_int_equal(tui_color_parse("256"), -2);
    assert_int_equal(tui_color_parse("12a"), -2);
    assert_int_equal(tui_color_parse("purple"), -2);
    assert_int_equal(tui_color_parse(""), -2);
    assert_int_equal(tui_color_parse("-1"), -2);
}

static void test_to8(void **state)
{
    (void)state;
    int bright;
    assert_int_equal(tui_color_to8(TUI_COLOR_DEFAULT, &bright), TUI_COLOR_DEFAULT);
    assert_int_equal(tui_color_to8(3, &bright), 3);
    assert_false(bright);
    assert_int_equal(tui_color_to8(9, &bright), 1);
    assert_true(bright);
    /* xterm 196 is (255,0,0): bright red */
    assert_int_equal(tui_color_to8(196, &bright), 1);
    assert_true(bright);
    /* 236 is a near-black grey (48,48,48) */
    assert_int_equal(tui_color_to8(236, &bright), 0);
    assert_false(bright);
    /* 250 is a light grey (188,188,188): white */
    assert_int_equal(tui_color_to8(250, &bright), 7);
    assert_false(bright);
    /* 28 is (0,135,0): green */
    assert_int_equal(tui_color_to8(28, &bright), 2);
    /* 25 is (0,95,175): blue */
    assert_int_equal(tui_color_to8(25, &bright), 4);
}

static void test_parse_ok(void **state)
{
    (void)state;
    tui_theme t;
    ll_error err;
    assert_int_equal(parse("# a comment\n\n"
                           "tab_active = fg=black, bg=cyan, bold\n"
                           "  text=fg=250 , bg=default   # trailing comment\n"
                           "selection = reverse, underline\n"
                           "pane_border = none\r\n",
                           &t, &err),
                     LL_OK);
    assert_int_equal(t.slot[TUI_SLOT_TAB_ACTIVE].fg, 0);
    assert_int_equal(t.slot[TUI_SLOT_TAB_ACTIVE].bg, 6);
    assert_int_equal(t.slot[TUI_SLOT_TAB_ACTIVE].attrs, TUI_ATTR_BOLD);
    assert_int_equal(t.slot[TUI_SLOT_TEXT].fg, 250);
    assert_int_equal(t.slot[TUI_SLOT_TEXT].bg, TUI_COLOR_DEFAULT);
    assert_int_equal(t.slot[TUI_SLOT_SELECTION].fg, TUI_COLOR_DEFAULT);
    assert_int_equal(t.slot[TUI_SLOT_SELECTION].attrs, TUI_ATTR_REVERSE | TUI_ATTR_UNDERLINE);
    assert_int_equal(t.slot[TUI_SLOT_PANE_BORDER].attrs, 0);
    /* slots the file does not name keep the built-in defaults */
    tui_theme def;
    tui_theme_defaults(&def);
    assert_memory_equal(&t.slot[TUI_SLOT_DRIFT_ALERT], &def.slot[TUI_SLOT_DRIFT_ALERT],
                        sizeof(tui_style));
    assert_string_equal(def.name, "dark");
}

static void expect_error(const char *text, long line, const char *needle)
{
    tui_theme t;
    ll_error err;
    assert_int_equal(parse(text, &t, &err), LL_EPARSE);
    assert_int_equal(err.line, line);
    assert_string_equal(err.file, "x.theme");
    if (!strstr(err.msg, needle)) fail_msg("'%s' lacks '%s'", err.msg, needle);
    char buf[1200];
    char want[64];
    snprintf(want, sizeof want, "x.theme:%ld:", line);
    assert_non_null(strstr(ll_error_format(&err, buf, sizeof buf), want));
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("text = fg=red\nheader = fg=yelow, bold\n", 2, "bad colour 'yelow'");
    expect_error("\n\ntab_actve = fg=red\n", 3, "unknown slot 'tab_actve'");
    expect_error("text = fg=red, blod\n", 1, "unknown attribute 'blod'");
    expect_error("# ok\ntext fg=red\n", 2, "expected 'slot = ");
    expect_error("text = fg=red\ntext = fg=blue\n", 2, "already set on line 1");
    expect_error("text = \n", 1, "empty value");
    expect_error("text = fg=red,, bold\n", 1, "empty item");
    expect_error("text = fg=red, fg=blue\n", 1, "fg given twice");
    expect_error("text = colour=red\n", 1, "unknown key 'colour'");
    expect_error("text = fg=300\n", 1, "bad colour '300'");
    const char nul[] = "text = fg=red\0\n";
    tui_theme t;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(tui_theme_parse(nul, sizeof nul - 1, "x.theme", &t, &err), LL_EPARSE);
    assert_int_equal(err.line, 1);
}

static void test_load_shipped_themes(void **state)
{
    (void)state;
    const char *names[] = {"dark", "light", "solarized-dark", "high-contrast", "mono"};
    tui_theme def;
    tui_theme_defaults(&def);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        snprintf(path, sizeof path, "../themes/%s.theme", names[i]);
        tui_theme t;
        ll_error err;
        ll_error_clear(&err);
        if (tui_theme_load(path, &t, &err) != LL_OK) fail_msg("%s: %s", path, err.msg);
        assert_string_equal(t.name, names[i]);
        if (!strcmp(names[i], "dark")) /* the file and the built-in defaults agree */
            assert_memory_equal(t.slot, def.slot, sizeof t.slot);
        if (!strcmp(names[i], "mono"))
            for (int s = 0; s < TUI_SLOT_COUNT; s++) {
                assert_int_equal(t.slot[s].fg, TUI_COLOR_DEFAULT);
                assert_int_equal(t.slot[s].bg, TUI_COLOR_DEFAULT);
            }
    }
    /* a failed load leaves the theme unchanged */
    char tmp[] = "/tmp/lendlab-theme-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("text = fg=red\nheader = fg=nope\n", f);
    fclose(f);
    tui_theme t = def;
    ll_error err;
    ll_error_clear(&err);
    assert_int_equal(tui_theme_load(tmp, &t, &err), LL_EPARSE);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.file, tmp);
    assert_memory_equal(&t, &def, sizeof t);
    remove(tmp);
    assert_int_equal(tui_theme_load("/nonexistent/x.theme", &t, &err), LL_EIO);
}

static void test_find(void **state)
{
    (void)state;
    char buf[1024];
    /* tests run in tests/: a path works, a bare name is searched in ./themes (absent here) */
    assert_non_null(tui_theme_find("../themes/light.theme", buf, sizeof buf));
    assert_string_equal(buf, "../themes/light.theme");
    assert_null(tui_theme_find("../themes/nope.theme", buf, sizeof buf));
    setenv("XDG_DATA_HOME", "/nonexistent-xdg", 1);
    char dirs[4][1024];
    int n = tui_theme_dirs(dirs, 4);
    assert_int_equal(n, 3);
    assert_string_equal(dirs[0], "themes");
    assert_string_equal(dirs[1], "/nonexistent-xdg/lendlab/themes");
    unsetenv("XDG_DATA_HOME");
}

static void test_colormode(void **state)
{
    (void)state;
    assert_int_equal(tui_colormode_pick(1, 256, 256, NULL), TUI_COLORS_256);
    assert_int_equal(tui_colormode_pick(1, 8, 64, NULL), TUI_COLORS_8);
    assert_int_equal(tui_colormode_pick(1, 16, 256, ""), TUI_COLORS_8); /* empty = unset */
    assert_int_equal(tui_colormode_pick(1, 256, 256, "1"), TUI_COLORS_MONO);
    assert_int_equal(tui_colormode_pick(0, 0, 0, NULL), TUI_COLORS_MONO);
    assert_int_equal(tui_colormode_pick(1, 8, 8, NULL), TUI_COLORS_MONO); /* too few pairs */
}

/* lendlab-theme(5) documents every slot. */
static void test_man_page_lists_every_slot(void **state)
{
    (void)state;
    FILE *f = fopen("../man/lendlab-theme.5", "rb");
    assert_non_null(f);
    static char man[1 << 16];
    size_t n = fread(man, 1, sizeof man - 1, f);
    fclose(f);
    man[n] = '\0';
    for (int i = 0; i < TUI_SLOT_COUNT; i++) {
        char line[96];
        snprintf(line, sizeof line, "\n.It Li %s\n", tui_slot_name(i));
        if (!strstr(man, line)) fail_msg("lendlab-theme.5 lacks slot %s", tui_slot_name(i));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_colors),
        cmocka_unit_test(test_to8),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_load_shipped_themes),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_colormode),
        cmocka_unit_test(test_man_page_lists_every_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
