/* Unit tests for the workbench's files: config parsing, recent files, the data directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static void test_parse(void **state)
{
    (void)state;
    tui_config c;
    memset(&c, 0, sizeof c);
    char errs[512];
    const char *text = "# lendlab settings\n"
                       "theme = solarized-dark\n"
                       "\n"
                       "  store=/data/mlruns  \n"
                       "experiment = credit risk q3\n"
                       "policy = data/policy.json\n";
    assert_int_equal(tui_config_parse(text, strlen(text), "cfg", &c, errs, sizeof errs), 0);
    assert_string_equal(c.theme, "solarized-dark");
    assert_string_equal(c.store, "/data/mlruns");
    assert_string_equal(c.experiment, "credit risk q3");
    assert_string_equal(c.policy, "data/policy.json");
    assert_string_equal(errs, "");
}

static void test_parse_errors(void **state)
{
    (void)state;
    tui_config c;
    memset(&c, 0, sizeof c);
    char errs[512];
    const char *text = "theme = light\n"
                       "them = dark\n"
                       "store\n"
                       "experiment =\n"
                       "store = ok\n";
    assert_int_equal(tui_config_parse(text, strlen(text), "cfg", &c, errs, sizeof errs), 3);
    /* good lines still apply, bad ones are reported with their line numbers */
    assert_string_equal(c.theme, "light");
    assert_string_equal(c.store, "ok");
    assert_string_equal(c.experiment, "");
    assert_non_null(strstr(errs, "cfg:2: unknown setting"));
    assert_non_null(strstr(errs, "'them'"));
    assert_non_null(strstr(errs, "cfg:3: expected 'key = value'"));
    assert_non_null(strstr(errs, "cfg:4: empty value"));
    /* a missing file is no error */
    assert_int_equal(tui_config_load("/nonexistent/lendlab/config", &c, errs, sizeof errs), 0);
}

static void test_paths(void **state)
{
    (void)state;
    char buf[512];
    setenv("HOME", "/home/u", 1);
    setenv("XDG_CONFIG_HOME", "/cfg", 1);
    assert_string_equal(tui_config_path(buf, sizeof buf), "/cfg/lendlab/config");
    setenv("XDG_CONFIG_HOME", "relative", 1); /* not absolute: ignored, as the spec says */
    assert_string_equal(tui_config_path(buf, sizeof buf), "/home/u/.config/lendlab/config");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_STATE_HOME");
    assert_string_equal(tui_recent_path(buf, sizeof buf), "/home/u/.local/state/lendlab/recent");
    unsetenv("HOME");
    assert_null(tui_recent_path(buf, sizeof buf));
}

static void test_recent(void **state)
{
    (void)state;
    char dir[] = "/tmp/lendlab-recent-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/a/b/recent", dir); /* parents are created */
    char **v = NULL;
    size_t n = 0;
    assert_int_equal(tui_recent_load(path, &v, 5), 0);
    free(v);
    v = NULL;
    assert_int_equal(tui_recent_add(&v, &n, "/x/1.csv", 3), 0);
    assert_int_equal(tui_recent_add(&v, &n, "/x/2.csv", 3), 0);
    assert_int_equal(tui_recent_add(&v, &n, "/x/3.csv", 3), 0);
    assert_int_equal(tui_recent_add(&v, &n, "/x/1.csv", 3), 0); /* moves to the front */
    assert_int_equal(n, 3);
    assert_string_equal(v[0], "/x/1.csv");
    assert_string_equal(v[1], "/x/3.csv");
    assert_int_equal(tui_recent_add(&v, &n, "/x/4.csv", 3), 0); /* the oldest falls off */
    assert_int_equal(n, 3);
    assert_string_equal(v[0], "/x/4.csv");
    assert_string_equal(v[2], "/x/3.csv");
    assert_int_equal(tui_recent_save(path, v, n), 0);
    char **w = NULL;
    size_t m = tui_recent_load(path, &w, 10);
    assert_int_equal(m, 3);
    for (size_t i = 0; i < m; i++) assert_string_equal(w[i], v[i]);
    tui_strv_free(w, m);
    m = tui_recent_load(path, &w, 2); /* at most max */
    assert_int_equal(m, 2);
    tui_strv_free(w, m);
    tui_strv_free(v, n);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void touch(const char *dir, const char *name)
{
    char p[300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
}

static void test_list(void **state)
{
    (void)state;
    char dir[] = "/tmp/lendlab-list-XXXXXX";
    assert_non_null(mkdtemp(dir));
    touch(dir, "b.csv");
    touch(dir, "A.TSV");
    touch(dir, "notes.txt");
    touch(dir, "model.json");
    touch(dir, ".hidden.csv");
    char sub[300];
    snprintf(sub, sizeof sub, "%s/folder.csv", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char **names = NULL;
    size_t n = tui_list_datasets(dir, &names);
    /* data files only, sorted by bytes; no hidden files, no directories */
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "A.TSV");
    assert_string_equal(names[1], "b.csv");
    assert_string_equal(names[2], "notes.txt");
    tui_strv_free(names, n);
    assert_int_equal(tui_list_datasets("/nonexistent", &names), 0);
    assert_null(names);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse), cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_paths), cmocka_unit_test(test_recent),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
