/* Unit tests for the modal dialog's keys: pick lists filtered by typed text, confirmations
 * with y / n / f, text fields. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncurses.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dialog.h"

static tui_dialog_result type(tui_dialog *d, const char *s)
{
    tui_dialog_result r = TUI_DIALOG_KEEP;
    for (; *s && r == TUI_DIALOG_KEEP; s++) r = tui_dialog_key(d, (unsigned char)*s, 1);
    return r;
}

static void pick_aliases(tui_dialog *d, int free_text)
{
    tui_dialog_pick(d, 7, "Promote", free_text, "alias:", "hint");
    tui_dialog_item_add(d, "production", "not set");
    tui_dialog_item_add(d, "staging", "now on version 2");
    tui_dialog_item_add(d, "champion", "not set");
    tui_dialog_item_add(d, "staging", "a duplicate is skipped");
    tui_dialog_item_add(d, "", "an empty value is skipped");
}

static void test_pick(void **state)
{
    (void)state;
    tui_dialog d;
    memset(&d, 0, sizeof d);
    pick_aliases(&d, 1);
    assert_true(tui_dialog_is_open(&d));
    assert_int_equal(d.nitems, 3);
    /* arrows move among the choices; Enter takes the highlighted one */
    assert_int_equal(tui_dialog_key(&d, KEY_DOWN, 0), TUI_DIALOG_KEEP);
    assert_int_equal(tui_dialog_key(&d, KEY_DOWN, 0), TUI_DIALOG_KEEP);
    assert_int_equal(tui_dialog_key(&d, KEY_DOWN, 0), TUI_DIALOG_KEEP); /* stays on the last */
    assert_int_equal(tui_dialog_key(&d, '\n', 0), TUI_DIALOG_ACCEPT);
    assert_string_equal(d.value, "champion");
    assert_int_equal(d.tag, 7);
    assert_false(tui_dialog_is_open(&d));
    /* typed text filters (case-insensitive); y and n are text here, not answers */
    pick_aliases(&d, 1);
    assert_int_equal(type(&d, "AG"), TUI_DIALOG_KEEP);
    size_t idx[TUI_DIALOG_ITEMS];
    assert_int_equal(tui_dialog_visible(&d, idx), 1);
    assert_int_equal(idx[0], 1);
    assert_int_equal(tui_dialog_key(&d, '\n', 0), TUI_DIALOG_ACCEPT);
    assert_string_equal(d.value, "staging");
    /* text matching no choice is the answer when free text is allowed */
    pick_aliases(&d, 1);
    assert_int_equal(type(&d, "yellow"), TUI_DIALOG_KEEP);
    assert_int_equal(tui_dialog_visible(&d, idx), 0);
    assert_int_equal(tui_dialog_key(&d, '\n', 0), TUI_DIALOG_ACCEPT);
    assert_string_equal(d.value, "yellow");
    /* ... and not otherwise; backspace widens the filter again */
    pick_aliases(&d, 0);
    type(&d, "px");
    assert_int_equal(tui_dialog_key(&d, '\n', 0), TUI_DIALOG_KEEP);
    assert_int_equal(tui_dialog_key(&d, KEY_BACKSPACE, 0), TUI_DIALOG_KEEP);
    assert_string_equal(d.ed.buf, "p");
    assert_int_equal(tui_dialog_visible(&d, idx), 2); /* production, champion */
    assert_int_equal(tui_dialog_key(&d, KEY_DOWN, 0), TUI_DIALOG_KEEP);
    /* Tab copies the highlighted choice into the text */
    assert_int_equal(tui_dialog_key(&d, '\t', 0), TUI_DIALOG_KEEP);
    assert_string_equal(d.ed.buf, "champion");
    /* Esc closes without an answer */
    assert_int_equal(tui_dialog_key(&d, 27, 0), TUI_DIALOG_CANCEL);
    assert_false(tui_dialog_is_open(&d));
    tui_lineedit_free(&d.ed);
}

static void test_confirm(void **state)
{
    (void)state;
    tui_dialog d;
    memset(&d, 0, sizeof d);
    tui_dialog_confirm(&d, 3, "Promote", 1, 0, "y promote   n cancel");
    tui_dialog_line_add(&d, 0, "PASS  auc >= %s", "0.7");
    assert_int_equal(d.nlines, 1);
    assert_string_equal(d.lines[0].text, "PASS  auc >= 0.7");
    assert_int_equal(tui_dialog_key(&d, 'x', 1), TUI_DIALOG_KEEP); /* not an answer */
    assert_int_equal(tui_dialog_key(&d, 'f', 1), TUI_DIALOG_KEEP); /* forcing not offered */
    assert_int_equal(tui_dialog_key(&d, 'y', 1), TUI_DIALOG_ACCEPT);
    /* a refusing verdict: y and Enter do nothing, f forces, n cancels */
    tui_dialog_confirm(&d, 3, "Promote", 0, 1, "f force   n cancel");
    assert_int_equal(tui_dialog_key(&d, 'y', 1), TUI_DIALOG_KEEP);
    assert_int_equal(tui_dialog_key(&d, '\n', 0), TUI_DIALOG_KEEP);
    assert_true(tui_dialog_is_open(&d));
    assert_int_equal(tui_dialog_key(&d, 'f', 1), TUI_DIALOG_FORCE);
    assert_false(tui_dialog_is_open(&d));
    tui_dialog_confirm(&d, 3, "Promote", 0, 1, "f force   n cancel");
    assert_int_equal(tui_dialog_key(&d, 'n', 1), TUI_DIALOG_CANCEL);
    /* lines beyond the capacity are dropped */
    tui_dialog_confirm(&d, 4, "Long", 1, 0, "");
    for (int i = 0; i < TUI_DIALOG_LINES + 5; i++) tui_dialog_line_add(&d, 0, "line %d", i);
    assert_int_equal(d.nlines, TUI_DIALOG_LINES);
    /* Up and Down scroll the message */
    tui_dialog_key(&d, KEY_DOWN, 0);
    tui_dialog_key(&d, KEY_DOWN, 0);
    assert_int_equal(d.scroll, 2);
    tui_dialog_key(&d, KEY_UP, 0);
    tui_dialog_key(&d, KEY_UP, 0);
    tui_dialog_key(&d, KEY_UP, 0);
    assert_int_equal(d.scroll, 0);
}

static void test_input(void **state)
{
    (void)state;
    tui_dialog d;
    memset(&d, 0, sizeof d);
    tui_dialog_input(&d, 9, "Port", "port:", "5001", "hint");
    assert_string_equal(d.ed.buf, "5001");
    /* C-u clears to the start (the prompt's editing keys), then y and n are plain text */
    assert_int_equal(tui_dialog_key(&d, 21, 0), TUI_DIALOG_KEEP);
    assert_string_equal(d.ed.buf, "");
    assert_int_equal(type(&d, "yes no"), TUI_DIALOG_KEEP);
    assert_int_equal(tui_dialog_key(&d, KEY_LEFT, 0), TUI_DIALOG_KEEP);
    assert_int_equal(tui_dialog_key(&d, KEY_BACKSPACE, 0), TUI_DIALOG_KEEP);
    assert_string_equal(d.ed.buf, "yes o");
    assert_int_equal(tui_dialog_key(&d, '\n', 0), TUI_DIALOG_ACCEPT);
    assert_string_equal(d.value, "yes o");
    assert_int_equal(d.tag, 9);
    /* an empty line is an answer too: the owner decides */
    tui_dialog_input(&d, 9, "Comment", "comment:", NULL, "hint");
    assert_int_equal(tui_dialog_key(&d, '\n', 0), TUI_DIALOG_ACCEPT);
    assert_string_equal(d.value, "");
    tui_lineedit_free(&d.ed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_confirm),
        cmocka_unit_test(test_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
