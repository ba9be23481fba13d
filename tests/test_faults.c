/* Unit tests for crash and disk-full safety of fsutil, store and registry: torn appends, failed
 * writes, temporary entries of dead writers, whole-or-nothing runs and versions, recovery of an
 * interrupted registry change. */
#define _GNU_SOURCE
#include <cJSON.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "registry.h"
#include "store.h"
#include "yamlmap.h"

typedef struct {
    char dir[256];
    char store[300];
    ll_store *st;
} fixture;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lendlab-faults-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->store, sizeof f->store, "%s/mlruns", f->dir);
    if (ll_store_open(f->store, 1, &f->st, NULL)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ll_store_close(f->st);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void put(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static char *slurp(const char *path)
{
    char *data;
    size_t len;
    if (ll_fsutil_read(path, &data, &len, NULL)) return NULL;
    return data;
}

/* Files of at most limit bytes from now on, and SIGXFSZ ignored so writes fail with EFBIG (the
 * state a full disk leaves a writer in); limit 0 restores. */
static void file_limit(long limit)
{
    static struct rlimit saved;
    static int have;
    if (limit) {
        if (!have) getrlimit(RLIMIT_FSIZE, &saved);
        have = 1;
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = saved;
        rl.rlim_cur = (rlim_t)limit;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    } else if (have) {
        setrlimit(RLIMIT_FSIZE, &saved);
        signal(SIGXFSZ, SIG_DFL);
    }
}

/* A pid that is certainly not running: a child that has been reaped. */
static long dead_pid(void)
{
    pid_t p = fork();
    if (p == 0) _exit(0);
    assert_true(p > 0);
    waitpid(p, NULL, 0);
    return (long)p;
}

static size_t count_entries(const char *dir, const char *prefix)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c '^%s' || true", dir, prefix);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned long n = 0;
    if (fscanf(p, "%lu", &n) != 1) n = 0;
    pclose(p);
    return n;
}

/* ------------------------------------------------------------------ fsutil */

/* A record torn by a writer killed mid-write is cut off before the next append. */
static void test_append_record_repairs_torn_tail(void **state)
{
    fixture *f = *state;
    char path[400];
    ll_error err = {0};
    snprintf(path, sizeof path, "%s/history.jsonl", f->dir);
    put(path, "{\"a\":1}\n{\"b\":");
    assert_int_equal(ll_fsutil_append_record(path, "{\"c\":3}\n", 8, &err), LL_OK);
    char *text = slurp(path);
    assert_string_equal(text, "{\"a\":1}\n{\"c\":3}\n");
    free(text);
    /* a file that is one torn record */
    put(path, "{\"x\"");
    assert_int_equal(ll_fsutil_append_record(path, "{}\n", 3, &err), LL_OK);
    text = slurp(path);
    assert_string_equal(text, "{}\n");
    free(text);
    /* a long record: the repair looks back past its read buffer */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put(path, "{\"a\":1}\n");
    FILE *fp = fopen(path, "ab");
    fputs(big, fp);
    fclose(fp);
    assert_int_equal(ll_fsutil_append_record(path, "{}\n", 3, &err), LL_OK);
    text = slurp(path);
    assert_string_equal(text, "{\"a\":1}\n{}\n");
    free(text);
}

/* A write that fails part way (file size limit, disk full) is taken back. */
static void test_failed_append_is_undone(void **state)
{
    fixture *f = *state;
    char path[400], line[600];
    ll_error err = {0};
    snprintf(path, sizeof path, "%s/metric", f->dir);
    put(path, "1 0.5 0\n");
    memset(line, '7', sizeof line);
    line[sizeof line - 1] = '\n';
    file_limit(100);
    ll_status s1 = ll_fsutil_append(path, line, sizeof line, 1, &err);
    file_limit(0);
    assert_int_equal(s1, LL_EIO);
    assert_non_null(strstr(err.msg, "File too large"));
    assert_non_null(strstr(err.msg, path));
    char *text = slurp(path);
    assert_string_equal(text, "1 0.5 0\n");
    free(text);
    ll_error err2 = {0};
    file_limit(100);
    ll_status s2 = ll_fsutil_append_record(path, line, sizeof line, &err2);
    file_limit(0);
    assert_int_equal(s2, LL_EIO);
    text = slurp(path);
    assert_string_equal(text, "1 0.5 0\n");
    free(text);
}

/* An atomic replace that cannot be written leaves the old file and no temporary. */
static void test_write_atomic_without_room(void **state)
{
    fixture *f = *state;
    char path[400], big[4096];
    ll_error err = {0};
    snprintf(path, sizeof path, "%s/meta.yaml", f->dir);
    put(path, "old: 1\n");
    memset(big, 'y', sizeof big);
    file_limit(1000);
    ll_status s = ll_fsutil_write_atomic(path, big, sizeof big, NULL, &err);
    file_limit(0);
    assert_int_equal(s, LL_EIO);
    assert_non_null(strstr(err.msg, "File too large"));
    assert_non_null(strstr(err.msg, "meta.yaml"));
    char *text = slurp(path);
    assert_string_equal(text, "old: 1\n");
    free(text);
    assert_int_equal(count_entries(f->dir, "\\..*tmp"), 0);
}

/* No-replace rename: an existing target, even an empty directory, is never replaced. */
static void test_rename_noreplace(void **state)
{
    fixture *f = *state;
    char a[400], b[400], c[400];
    ll_error err = {0};
    snprintf(a, sizeof a, "%s/a", f->dir);
    snprintf(b, sizeof b, "%s/b", f->dir);
    snprintf(c, sizeof c, "%s/c", f->dir);
    assert_int_equal(mkdir(a, 0777), 0);
    assert_int_equal(mkdir(b, 0777), 0);
    assert_int_equal(ll_fsutil_rename_noreplace(a, b, &err), LL_EEXIST);
    assert_true(ll_fsutil_is_dir(a));
    assert_int_equal(ll_fsutil_rename_noreplace(a, c, &err), LL_OK);
    assert_false(ll_fsutil_exists(a));
    assert_true(ll_fsutil_is_dir(c));
}

/* Temporary entries of dead processes go; ours, live ones and other names stay. */
static void test_sweep_tmp(void **state)
{
    fixture *f = *state;
    char p[600];
    long dead = dead_pid();
    snprintf(p, sizeof p, "%s/.run.%ld.ab12.tmp", f->dir, dead);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/.run.%ld.ab12.tmp/meta.yaml", f->dir, dead);
    put(p, "x: 1\n");
    snprintf(p, sizeof p, "%s/.meta.yaml.%ld.ff.tmp", f->dir, dead);
    put(p, "x");
    snprintf(p, sizeof p, "%s/.run.%ld.cd34.tmp", f->dir, (long)getpid());
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/.run.%ld.cd34.tmp", f->dir, (long)getppid());
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/.lock", f->dir);
    put(p, "");
    snprintf(p, sizeof p, "%s/.pending", f->dir);
    put(p, "{}");
    ll_fsutil_sweep_tmp(f->dir);
    assert_int_equal(count_entries(f->dir, "\\.run\\."), 2);
    assert_int_equal(count_entries(f->dir, "\\.meta"), 0);
    assert_int_equal(count_entries(f->dir, "\\.lock"), 1);
    assert_int_equal(count_entries(f->dir, "\\.pending"), 1);
}

/* ------------------------------------------------------------------ store */

static void finished_run(fixture *f, const char *exp, int with_model, char *id)
{
    ll_run_handle *h;
    ll_error err = {0};
    assert_int_equal(ll_store_run_begin(f->st, exp, NULL, NULL, &h, &err), LL_OK);
    snprintf(id, 33, "%s", ll_store_run_id(h));
    assert_int_equal(ll_store_log_metric(h, "auc", 0.7, 0, &err), LL_OK);
    if (with_model) {
        char path[4096], mlmodel[4200];
        assert_int_equal(ll_store_run_artifact_dir(h, "model", path, sizeof path, &err), LL_OK);
        snprintf(mlmodel, sizeof mlmodel, "%s/MLmodel", path);
        assert_int_equal(ll_fsutil_write_atomic(mlmodel, "artifact_path: model\n", 21, NULL, &err),
                         LL_OK);
    }
    assert_int_equal(ll_store_run_end(h, LL_RUN_FINISHED, &err), LL_OK);
}

/* A torn last metric line (writer killed mid-append) is not read as a value. */
static void test_torn_metric_line_ignored(void **state)
{
    fixture *f = *state;
    char id[33], path[4200];
    ll_error err = {0};
    finished_run(f, NULL, 0, id);
    ll_run *r;
    assert_int_equal(ll_store_get_run(f->st, id, &r, &err), LL_OK);
    snprintf(path, sizeof path, "%s/metrics/auc", r->dir);
    ll_run_free(r);
    /* "0.9" cut from "0.95 3": a well-formed but wrong point if it were read */
    FILE *fp = fopen(path, "ab");
    fputs("1700000000000 0.9", fp);
    fclose(fp);
    assert_int_equal(ll_store_get_run(f->st, id, &r, &err), LL_OK);
    const ll_metric *m = ll_run_metric(r, "auc");
    assert_non_null(m);
    assert_true(m->value == 0.7);
    ll_metric_point *pts;
    size_t n;
    assert_int_equal(ll_store_metric_history(f->st, r, "auc", &pts, &n, &err), LL_OK);
    assert_int_equal(n, 1);
    free(pts);
    ll_run_free(r);
}

/* Runs and experiments appear whole: begun runs have their meta.yaml and tags at once, and
 * what killed writers left under temporary names is removed by the next writer. */
static void test_run_and_experiment_whole(void **state)
{
    fixture *f = *state;
    char p[600];
    long dead = dead_pid();
    /* leftovers of a run and an experiment whose writers died mid-creation */
    snprintf(p, sizeof p, "%s/0/.run.%ld.1.tmp", f->store, dead);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/.experiment.%ld.2.tmp", f->store, dead);
    assert_int_equal(mkdir(p, 0777), 0);
    ll_run_handle *h;
    ll_error err = {0};
    assert_int_equal(ll_store_run_begin(f->st, "new-exp", "r", NULL, &h, &err), LL_OK);
    snprintf(p, sizeof p, "%s/meta.yaml", ll_store_run_dir(h));
    assert_true(ll_fsutil_exists(p));
    snprintf(p, sizeof p, "%s/tags/lendlab.pid", ll_store_run_dir(h));
    assert_true(ll_fsutil_exists(p));
    ll_store_run_abandon(h);
    assert_int_equal(ll_store_run_begin(f->st, NULL, "r", NULL, &h, &err), LL_OK);
    ll_store_run_abandon(h);
    snprintf(p, sizeof p, "%s/0", f->store);
    assert_int_equal(count_entries(p, "\\..*tmp"), 0);
    ll_store *st2;
    assert_int_equal(ll_store_open(f->store, 1, &st2, &err), LL_OK);
    ll_store_close(st2);
    assert_int_equal(count_entries(f->store, "\\..*tmp"), 0);
}

/* A run whose end cannot be written does not stay RUNNING: it is removed. */
static void test_run_end_without_room(void **state)
{
    fixture *f = *state;
    ll_run_handle *h;
    ll_error err = {0};
    assert_int_equal(ll_store_run_begin(f->st, NULL, "full", NULL, &h, &err), LL_OK);
    char dir[4096], id[33];
    snprintf(dir, sizeof dir, "%s", ll_store_run_dir(h));
    snprintf(id, sizeof id, "%s", ll_store_run_id(h));
    file_limit(64); /* meta.yaml is longer */
    ll_status s = ll_store_run_end(h, LL_RUN_FAILED, &err);
    file_limit(0);
    assert_int_equal(s, LL_EIO);
    assert_non_null(strstr(err.msg, "File too large"));
    assert_non_null(strstr(err.msg, "removed"));
    assert_false(ll_fsutil_exists(dir));
    ll_run *r;
    ll_error e2 = {0};
    assert_int_equal(ll_store_get_run(f->st, id, &r, &e2), LL_ENOTFOUND);
}

/* Any other failure to end a run (here an unreadable meta.yaml) removes nothing. */
static void test_run_end_failure_keeps_run(void **state)
{
    fixture *f = *state;
    ll_run_handle *h;
    ll_error err = {0};
    assert_int_equal(ll_store_run_begin(f->st, NULL, "broken", NULL, &h, &err), LL_OK);
    char dir[4096], path[4200], art[4096];
    snprintf(dir, sizeof dir, "%s", ll_store_run_dir(h));
    assert_int_equal(ll_store_run_artifact_dir(h, "model", art, sizeof art, &err), LL_OK);
    snprintf(path, sizeof path, "%s/meta.yaml", dir);
    put(path, "status: [unclosed\n");
    assert_int_not_equal(ll_store_run_end(h, LL_RUN_FAILED, &err), LL_OK);
    assert_true(ll_fsutil_is_dir(dir));
    assert_true(ll_fsutil_is_dir(art));
}

/* ------------------------------------------------------------------ registry */

static const char *stage_of(ll_registered_model *m, long v)
{
    const ll_model_version *mv = ll_registry_version(m, v);
    return mv ? mv->stage : "(missing)";
}

static void model_dir(fixture *f, const char *sub, char *out, size_t len)
{
    snprintf(out, len, "%s/models/m%s%s", f->store, *sub ? "/" : "", sub);
}

/* A model saved only in part (no MLmodel: its run died saving it) cannot be registered. */
static void test_register_needs_whole_model(void **state)
{
    fixture *f = *state;
    char id[33], path[4200];
    ll_error err = {0};
    finished_run(f, NULL, 1, id);
    ll_run *r;
    assert_int_equal(ll_store_get_run(f->st, id, &r, &err), LL_OK);
    snprintf(path, sizeof path, "%s/artifacts/model/MLmodel", r->dir);
    ll_run_free(r);
    assert_int_equal(unlink(path), 0);
    long v;
    assert_int_equal(ll_registry_register(f->st, id, "m", NULL, NULL, &v, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "incomplete model"));
}

/* Versions appear whole: a leftover build directory of a dead registration is removed and an
 * empty version directory someone else created is never taken over. */
static void test_version_whole(void **state)
{
    fixture *f = *state;
    char id[33], p[600];
    ll_error err = {0};
    finished_run(f, NULL, 1, id);
    long v;
    assert_int_equal(ll_registry_register(f->st, id, "m", NULL, NULL, &v, &err), LL_OK);
    assert_int_equal(v, 1);
    long dead = dead_pid();
    char mdir[400];
    model_dir(f, "", mdir, sizeof mdir);
    snprintf(p, sizeof p, "%s/.version.%ld.9.tmp", mdir, dead);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/version-2", mdir);
    assert_int_equal(mkdir(p, 0777), 0);
    assert_int_equal(ll_registry_register(f->st, id, "m", "staging", NULL, &v, &err), LL_OK);
    assert_int_equal(v, 3);
    snprintf(p, sizeof p, "%s/version-2/meta.yaml", mdir);
    assert_false(ll_fsutil_exists(p));
    assert_int_equal(count_entries(mdir, "\\..*tmp"), 0);
    assert_int_equal(count_entries(mdir, "\\.pending"), 0);
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_string_equal(stage_of(m, 3), "Staging");
    ll_registry_model_free(m);
}

/* The history reader skips a torn last line; the next change cuts it off and appends. */
static void test_torn_history_line(void **state)
{
    fixture *f = *state;
    char id[33], path[600];
    ll_error err = {0};
    finished_run(f, NULL, 1, id);
    long v;
    assert_int_equal(ll_registry_register(f->st, id, "m", NULL, NULL, &v, &err), LL_OK);
    model_dir(f, "history.jsonl", path, sizeof path);
    FILE *fp = fopen(path, "ab");
    fputs("{\"time\":\"2024", fp);
    fclose(fp);
    char **lines;
    size_t n;
    assert_int_equal(ll_registry_history(f->st, "m", &lines, &n, &err), LL_OK);
    assert_int_equal(n, 1);
    ll_registry_names_free(lines, n);
    assert_int_equal(ll_registry_register(f->st, id, "m", NULL, NULL, &v, &err), LL_OK);
    assert_int_equal(ll_registry_history(f->st, "m", &lines, &n, &err), LL_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_Parse(lines[i]);
        assert_non_null(o);
        cJSON_Delete(o);
    }
    ll_registry_names_free(lines, n);
}

/* The record a promotion of version 2 to production leaves when its process dies. */
static void write_pending(fixture *f, const char *candidate_stage)
{
    char path[600], text[1024];
    model_dir(f, ".pending", path, sizeof path);
    snprintf(text, sizeof text,
             "{\"time\":\"2024-05-01T10:00:00.000Z\",\"user\":\"u\",\"action\":\"promote\","
             "\"model\":\"m\",\"version\":2,\"run_id\":null,\"from_alias\":null,"
             "\"to_alias\":\"production\",\"previous_version\":1,\"stage\":null,\"archived\":[],"
             "\"metrics\":{},\"policy\":null,\"forced\":true,\"comment\":\"x\","
             "\"candidate_stage\":\"%s\"}",
             candidate_stage);
    put(path, text);
}

static void set_stage(fixture *f, long v, const char *stage)
{
    char path[600], sub[64];
    snprintf(sub, sizeof sub, "version-%ld/meta.yaml", v);
    model_dir(f, sub, path, sizeof path);
    ll_yamlmap y;
    ll_error err = {0};
    assert_int_equal(ll_yamlmap_load(path, &y, &err), LL_OK);
    assert_int_equal(ll_yamlmap_set_str(&y, "current_stage", stage), LL_OK);
    char *text;
    size_t len;
    assert_int_equal(ll_yamlmap_dump(&y, &text, &len, &err), LL_OK);
    ll_yamlmap_free(&y);
    put(path, text);
    free(text);
}

/* Two versions, 1 holding production; returns the number of history lines. */
static size_t two_versions(fixture *f)
{
    char id[33];
    ll_error err = {0};
    finished_run(f, NULL, 1, id);
    long v;
    assert_int_equal(ll_registry_register(f->st, id, "m", "production", NULL, &v, &err), LL_OK);
    assert_int_equal(ll_registry_register(f->st, id, "m", NULL, NULL, &v, &err), LL_OK);
    assert_int_equal(v, 2);
    char **lines;
    size_t n;
    assert_int_equal(ll_registry_history(f->st, "m", &lines, &n, &err), LL_OK);
    ll_registry_names_free(lines, n);
    return n;
}

/* A promotion that died after moving the alias is finished by the next change: stages follow
 * the alias and its history line is appended, marked recovered. */
static void test_recover_committed_promotion(void **state)
{
    fixture *f = *state;
    ll_error err = {0};
    size_t before = two_versions(f);
    write_pending(f, "None");
    set_stage(f, 2, "Production"); /* the candidate's stage went first */
    char path[600];
    model_dir(f, "aliases/production", path, sizeof path);
    put(path, "2");
    ll_promote_result res;
    assert_int_equal(ll_registry_set_alias(f->st, "m", "staging", 1, "next", &res, &err), LL_OK);
    ll_promote_result_clear(&res);
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_int_equal(ll_registry_alias_version(m, "production"), 2);
    assert_string_equal(stage_of(m, 2), "Production");
    assert_string_equal(stage_of(m, 1), "Staging");
    ll_registry_model_free(m);
    char **lines;
    size_t n;
    assert_int_equal(ll_registry_history(f->st, "m", &lines, &n, &err), LL_OK);
    assert_int_equal(n, before + 2);
    cJSON *o = cJSON_Parse(lines[before]);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "action")->valuestring, "promote");
    assert_int_equal(cJSON_GetObjectItem(o, "version")->valueint, 2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "recovered")));
    assert_string_equal(cJSON_GetObjectItem(o, "stage")->valuestring, "Production");
    assert_null(cJSON_GetObjectItem(o, "candidate_stage"));
    cJSON_Delete(o);
    ll_registry_names_free(lines, n);
    model_dir(f, ".pending", path, sizeof path);
    assert_false(ll_fsutil_exists(path));
}

/* A promotion that died before moving the alias is undone: the candidate's stage set ahead of
 * the alias is restored and nothing is recorded. */
static void test_recover_uncommitted_promotion(void **state)
{
    fixture *f = *state;
    ll_error err = {0};
    size_t before = two_versions(f);
    write_pending(f, "None");
    set_stage(f, 2, "Production");
    long v;
    char id[33];
    finished_run(f, NULL, 1, id);
    assert_int_equal(ll_registry_register(f->st, id, "m", NULL, NULL, &v, &err), LL_OK);
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_int_equal(ll_registry_alias_version(m, "production"), 1);
    assert_string_equal(stage_of(m, 1), "Production");
    assert_string_equal(stage_of(m, 2), "None");
    ll_registry_model_free(m);
    char **lines;
    size_t n;
    assert_int_equal(ll_registry_history(f->st, "m", &lines, &n, &err), LL_OK);
    assert_int_equal(n, before + 1); /* the registration only */
    ll_registry_names_free(lines, n);
}

/* A change whose line reached the history before its process died is not recorded twice. */
static void test_recover_already_recorded(void **state)
{
    fixture *f = *state;
    ll_error err = {0};
    size_t before = two_versions(f);
    char path[600];
    /* the last register (version 2) as pending: its line is already the last one */
    cJSON *last;
    char **lines;
    size_t n;
    assert_int_equal(ll_registry_history(f->st, "m", &lines, &n, &err), LL_OK);
    last = cJSON_Parse(lines[n - 1]);
    ll_registry_names_free(lines, n);
    char *text = cJSON_PrintUnformatted(last);
    cJSON_Delete(last);
    model_dir(f, ".pending", path, sizeof path);
    put(path, text);
    free(text);
    ll_promote_result res;
    assert_int_equal(ll_registry_set_alias(f->st, "m", "staging", 2, NULL, &res, &err), LL_OK);
    ll_promote_result_clear(&res);
    assert_int_equal(ll_registry_history(f->st, "m", &lines, &n, &err), LL_OK);
    assert_int_equal(n, before + 1);
    ll_registry_names_free(lines, n);
}

/* Without room for the version, registering fails naming the cause, and nothing appears. */
static void test_register_without_room(void **state)
{
    fixture *f = *state;
    char id[33], mdir[400];
    ll_error err = {0};
    finished_run(f, NULL, 1, id);
    long v;
    assert_int_equal(ll_registry_register(f->st, id, "m", "staging", NULL, &v, &err), LL_OK);
    file_limit(64);
    ll_status s = ll_registry_register(f->st, id, "m", "production", NULL, &v, &err);
    file_limit(0);
    assert_int_equal(s, LL_EIO);
    assert_non_null(strstr(err.msg, "File too large"));
    model_dir(f, "", mdir, sizeof mdir);
    assert_int_equal(count_entries(mdir, "version-"), 1);
    assert_int_equal(count_entries(mdir, "\\..*tmp"), 0);
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_int_equal(m->nversions, 1);
    assert_int_equal(ll_registry_alias_version(m, "production"), 0);
    ll_registry_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_record_repairs_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_append_is_undone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_atomic_without_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_noreplace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_tmp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_metric_line_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_and_experiment_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_end_without_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_end_failure_keeps_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_needs_whole_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_history_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_committed_promotion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_uncommitted_promotion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_already_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_without_room, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
