/* Unit tests for the prompt: command line splitting, the line editor, completion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmdline.h"

static void test_split(void **state)
{
    (void)state;
    char **v = NULL, err[64];
    int n = tui_cmdline_split("  describe  data/x.csv --target Class ", &v, err, sizeof err);
    assert_int_equal(n, 4);
    assert_string_equal(v[0], "describe");
    assert_string_equal(v[1], "data/x.csv");
    assert_string_equal(v[3], "Class");
    assert_null(v[4]);
    tui_cmdline_free(v);
    n = tui_cmdline_split("open 'my file.csv' \"a \\\"b\\\" \\\\c\" d\\ e x'y'z", &v, err,
                          sizeof err);
    assert_int_equal(n, 5);
    assert_string_equal(v[1], "my file.csv");
    assert_string_equal(v[2], "a \"b\" \\c");
    assert_string_equal(v[3], "d e");
    assert_string_equal(v[4], "xyz");
    tui_cmdline_free(v);
    n = tui_cmdline_split("   ", &v, err, sizeof err);
    assert_int_equal(n, 0);
    assert_null(v[0]);
    tui_cmdline_free(v);
    n = tui_cmdline_split("sort ''", &v, err, sizeof err);
    assert_int_equal(n, 2);
    assert_string_equal(v[1], "");
    tui_cmdline_free(v);
    assert_int_equal(tui_cmdline_split("open 'unterminated", &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "unterminated"));
    assert_int_equal(tui_cmdline_split("open \"x", &v, err, sizeof err), -1);
}

static void type(tui_lineedit *e, const char *s)
{
    assert_int_equal(tui_lineedit_insert(e, s, strlen(s)), 0);
}

static void test_edit(void **state)
{
    (void)state;
    tui_lineedit e;
    memset(&e, 0, sizeof e);
    tui_lineedit_clear(&e);
    type(&e, "describe");
    tui_lineedit_action(&e, "home");
    type(&e, "x");
    assert_string_equal(e.buf, "xdescribe");
    assert_true(tui_lineedit_action(&e, "delete back"));
    assert_string_equal(e.buf, "describe");
    tui_lineedit_action(&e, "delete");
    assert_string_equal(e.buf, "escribe");
    tui_lineedit_action(&e, "end");
    type(&e, " caf\xc3\xa9");
    tui_lineedit_action(&e, "left"); /* one character, two bytes */
    assert_int_equal(e.cur, e.len - 2);
    tui_lineedit_action(&e, "right");
    assert_int_equal(e.cur, e.len);
    tui_lineedit_action(&e, "delete back"); /* removes the whole é */
    assert_string_equal(e.buf, "escribe caf");
    tui_lineedit_action(&e, "kill word");
    assert_string_equal(e.buf, "escribe ");
    tui_lineedit_action(&e, "left");
    tui_lineedit_action(&e, "left");
    tui_lineedit_action(&e, "kill end");
    assert_string_equal(e.buf, "escrib");
    tui_lineedit_action(&e, "left");
    tui_lineedit_action(&e, "kill start");
    assert_string_equal(e.buf, "b");
    assert_int_equal(e.cur, 0);
    assert_false(tui_lineedit_action(&e, "no such action"));
    /* full line: refused, unchanged */
    char big[TUI_LINE_MAX];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(tui_lineedit_insert(&e, big, strlen(big)), -1);
    assert_string_equal(e.buf, "b");
    tui_lineedit_free(&e);
}

static void test_history(void **state)
{
    (void)state;
    tui_lineedit e;
    memset(&e, 0, sizeof e);
    tui_lineedit_clear(&e);
    tui_lineedit_remember(&e, "one");
    tui_lineedit_remember(&e, "two");
    tui_lineedit_remember(&e, "two"); /* repeat skipped */
    tui_lineedit_remember(&e, "   "); /* blank skipped */
    assert_int_equal(e.nhist, 2);
    tui_lineedit_clear(&e);
    type(&e, "draft");
    tui_lineedit_action(&e, "history prev");
    assert_string_equal(e.buf, "two");
    tui_lineedit_action(&e, "history prev");
    assert_string_equal(e.buf, "one");
    tui_lineedit_action(&e, "history prev"); /* stays at the oldest */
    assert_string_equal(e.buf, "one");
    tui_lineedit_action(&e, "history next");
    tui_lineedit_action(&e, "history next");
    assert_string_equal(e.buf, "draft"); /* back to the line being written */
    for (int i = 0; i < TUI_HISTORY_MAX + 10; i++) {
        char l[16];
        snprintf(l, sizeof l, "cmd %d", i);
        tui_lineedit_remember(&e, l);
    }
    assert_int_equal(e.nhist, TUI_HISTORY_MAX);
    assert_string_equal(e.hist[TUI_HISTORY_MAX - 1], "cmd 73");
    tui_lineedit_free(&e);
}

static void test_complete(void **state)
{
    (void)state;
    const char *c[] = {"describe", "drift", "delete-run", "train", "tab", "theme"};
    char out[64];
    assert_int_equal(tui_complete("de", c, 6, out, sizeof out), 2);
    assert_string_equal(out, "de"); /* describe / delete-run share only "de" */
    assert_int_equal(tui_complete("des", c, 6, out, sizeof out), 1);
    assert_string_equal(out, "describe");
    assert_int_equal(tui_complete("t", c, 6, out, sizeof out), 3);
    assert_string_equal(out, "t");
    assert_int_equal(tui_complete("th", c, 6, out, sizeof out), 1);
    assert_string_equal(out, "theme");
    assert_int_equal(tui_complete("zz", c, 6, out, sizeof out), 0);
    assert_string_equal(out, "zz");
    assert_int_equal(tui_complete("", c, 6, out, sizeof out), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_edit),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
