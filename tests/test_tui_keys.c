/* Unit tests for key names, the key tables and the help rows generated from their notes. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncurses.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(tui_key_parse("q"), 'q');
    assert_int_equal(tui_key_parse(":"), ':');
    assert_int_equal(tui_key_parse("C-l"), 12);
    assert_int_equal(tui_key_parse("C-A"), 1);
    assert_int_equal(tui_key_parse("F1"), KEY_F(1));
    assert_int_equal(tui_key_parse("F12"), KEY_F(12));
    assert_int_equal(tui_key_parse("Enter"), '\n');
    assert_int_equal(tui_key_parse("Space"), ' ');
    assert_int_equal(tui_key_parse("PgDn"), KEY_NPAGE);
    assert_int_equal(tui_key_parse("NPage"), KEY_NPAGE);
    assert_int_equal(tui_key_parse("pageup"), KEY_PPAGE);
    assert_int_equal(tui_key_parse("BTab"), KEY_BTAB);
    assert_int_equal(tui_key_parse("Esc"), 27);
    assert_int_equal(tui_key_parse("BSpace"), KEY_BACKSPACE);
    /* unknown names */
    assert_int_equal(tui_key_parse(""), -1);
    assert_int_equal(tui_key_parse("F0"), -1);
    assert_int_equal(tui_key_parse("F13"), -1);
    assert_int_equal(tui_key_parse("C-1"), -1);
    assert_int_equal(tui_key_parse("Hyper"), -1);
    assert_int_equal(tui_key_parse("\x01"), -1);
}

static void test_names_roundtrip(void **state)
{
    (void)state;
    char buf[32];
    const int keys[] = {'q',      'T',      ':',    '/',       '?',       12,       1,
                        KEY_F(1), KEY_F(7), KEY_UP, KEY_NPAGE, KEY_PPAGE, KEY_HOME, KEY_END,
                        KEY_BTAB, KEY_DC,   '\n',   '\t',      27,        ' '};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_int_equal(tui_key_parse(tui_key_name(keys[i], buf, sizeof buf)), keys[i]);
    assert_string_equal(tui_key_name(KEY_NPAGE, buf, sizeof buf), "PgDn");
    assert_string_equal(tui_key_name('\r', buf, sizeof buf), "Enter");
    assert_string_equal(tui_key_name(127, buf, sizeof buf), "BSpace");
    assert_string_equal(tui_key_name(12, buf, sizeof buf), "C-l");
}

static void test_normalize_lookup(void **state)
{
    (void)state;
    assert_int_equal(tui_key_normalize('\r'), '\n');
    assert_int_equal(tui_key_normalize(KEY_ENTER), '\n');
    assert_int_equal(tui_key_normalize(8), KEY_BACKSPACE);
    const tui_binding *b = tui_keytable_lookup(&tui_keys_prompt, '\r');
    assert_non_null(b);
    assert_string_equal(b->action, "accept");
    b = tui_keytable_lookup(&tui_keys_prompt, 127);
    assert_non_null(b);
    assert_string_equal(b->action, "delete back");
    b = tui_keytable_lookup(&tui_keys_global, KEY_F(3));
    assert_non_null(b);
    assert_string_equal(b->action, "tab 3");
    assert_null(tui_keytable_lookup(&tui_keys_global, 'Z'));
    assert_null(tui_keytable_lookup(NULL, 'q'));
    assert_ptr_equal(tui_keytable_find("datasets"), &tui_keys_datasets);
    assert_null(tui_keytable_find("nope"));
}

/* Every binding of every table names a real key, runs an action, and no key is bound twice
 * in one table; the first binding of each action carries the note. */
static void test_tables_well_formed(void **state)
{
    (void)state;
    size_t ntables = 0;
    for (size_t t = 0; tui_keytables[t]; t++, ntables++) {
        const tui_keytable *kt = tui_keytables[t];
        assert_true(kt->n > 0);
        assert_non_null(kt->title);
        for (size_t i = 0; i < kt->n; i++) {
            const tui_binding *b = &kt->bindings[i];
            if (tui_key_parse(b->key) < 0) fail_msg("%s: bad key name '%s'", kt->name, b->key);
            assert_true(b->action && *b->action);
            for (size_t j = 0; j < i; j++)
                if (tui_key_parse(kt->bindings[j].key) == tui_key_parse(b->key))
                    fail_msg("%s: key %s bound twice", kt->name, b->key);
            int first = 1;
            for (size_t j = 0; j < i; j++)
                if (!strcmp(kt->bindings[j].action, b->action)) first = 0;
            if (first && !b->note) fail_msg("%s: action '%s' has no note", kt->name, b->action);
        }
    }
    /* every screen's table is listed (so the help shows it) */
    static const char *const names[] = {"global",  "datasets", "train", "edit",  "runs",
                                        "compare", "registry", "drift", "serve", "dialog",
                                        "output",  "help",     "prompt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!tui_keytable_find(names[i])) fail_msg("table %s is not in tui_keytables", names[i]);
    assert_true(ntables >= sizeof names / sizeof *names);
    /* the tabs: 1..7 and F1..F7 switch screens */
    char k[4], a[16];
    for (int i = 1; i <= 7; i++) {
        snprintf(k, sizeof k, "%d", i);
        snprintf(a, sizeof a, "tab %d", i);
        assert_string_equal(tui_keytable_lookup(&tui_keys_global, k[0])->action, a);
        assert_string_equal(tui_keytable_lookup(&tui_keys_global, KEY_F(i))->action, a);
    }
}

static void test_help_rows(void **state)
{
    (void)state;
    static const tui_binding b[] = {
        {"Up", "cursor up", "previous row"},
        {"k", "cursor up", NULL},
        {"x", "secret", NULL},
        {"Down", "cursor down", "next row"},
        {"j", "cursor down", "ignored second note"},
    };
    const tui_keytable t = {"t", "T", b, sizeof b / sizeof *b};
    tui_help_row rows[8];
    size_t n = tui_keytable_help(&t, rows, 8);
    assert_int_equal(n, 2); /* the action without a note is not listed */
    assert_string_equal(rows[0].keys, "Up, k");
    assert_string_equal(rows[0].note, "previous row");
    assert_string_equal(rows[1].keys, "Down, j");
    assert_string_equal(rows[1].note, "next row");
    /* the real global table: the help lists 1, F1 with the Datasets note */
    tui_help_row g[64];
    n = tui_keytable_help(&tui_keys_global, g, 64);
    assert_true(n >= 10);
    assert_string_equal(g[0].keys, "1, F1");
    assert_non_null(strstr(g[0].note, "Datasets"));
    int found_q = 0;
    for (size_t i = 0; i < n; i++) found_q |= !strcmp(g[i].keys, "q");
    assert_true(found_q);
    /* rows are capped at max */
    assert_int_equal(tui_keytable_help(&tui_keys_global, g, 3), 3);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 18];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The man page's key lists carry every note of every table, so they cannot drift apart. */
static void test_man_page_lists_every_key(void **state)
{
    (void)state;
    const char *man = read_all("../man/lendlab.1");
    assert_non_null(man);
    for (size_t t = 0; tui_keytables[t]; t++) {
        tui_help_row rows[128];
        size_t n = tui_keytable_help(tui_keytables[t], rows, 128);
        for (size_t i = 0; i < n; i++) {
            char line[300];
            snprintf(line, sizeof line, "\n%s\n", rows[i].note);
            if (!strstr(man, line))
                fail_msg("man/lendlab.1 lacks the %s key note '%s'", tui_keytables[t]->name,
                         rows[i].note);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_names_roundtrip),
        cmocka_unit_test(test_normalize_lookup),
        cmocka_unit_test(test_tables_well_formed),
        cmocka_unit_test(test_help_rows),
        cmocka_unit_test(test_man_page_lists_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
