/* Unit tests for store (and yamlmap, fsutil): MLflow's FileStore layout read and written. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "filter.h"
#include "fsutil.h"
#include "store.h"
#include "yamlmap.h"

#define FIXTURE "fixtures/mlruns_mlflow"
#define EXP     "473823019427317474"
#define R1      "a1f0c2e4b6d8490a8c1e3f5a7b9d0c2e"
#define R2      "b7e3d1c9a5f24b6e8d0c2a4f6e8b1d3f"
#define R3      "c4a8e2f6b0d14c3e9a7f5b3d1e9c7a5b"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int tmp_count;

static int count_tmp(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    size_t n = strlen(path);
    if (n > 4 && !strcmp(path + n - 4, ".tmp")) tmp_count++;
    return 0;
}

static int setup_tmp(void **state)
{
    char *dir = strdup("/tmp/lendlab-store-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    *state = dir;
    return 0;
}

static int teardown_tmp(void **state)
{
    rm_rf(*state);
    free(*state);
    return 0;
}

static char *slurp(const char *path)
{
    char *data;
    size_t len;
    if (ll_fsutil_read(path, &data, &len, NULL)) return NULL;
    return data;
}

/* ------------------------------------------------------------------ yamlmap */

static void test_yaml_writer_matches_pyyaml(void **state)
{
    (void)state;
    ll_yamlmap m = {0};
    /* inserted out of order: the writer sorts keys as PyYAML's sort_keys=True */
    ll_yamlmap_set_str(&m, "user_id", "a: b");
    ll_yamlmap_set_str(&m, "artifact_uri", "file:///tmp/s/1/ab/artifacts");
    ll_yamlmap_set_str(&m, "deleted_time", NULL);
    ll_yamlmap_set_str(&m, "end_time", NULL);
    ll_yamlmap_set_str(&m, "entry_point_name", "");
    ll_yamlmap_set_str(&m, "experiment_id", "1");
    ll_yamlmap_set_str(&m, "lifecycle_stage", "active");
    ll_yamlmap_set_str(&m, "run_id", "0ab");
    ll_yamlmap_set_str(&m, "run_name", "yes");
    ll_yamlmap_set_str(&m, "run_uuid", "0ab");
    ll_yamlmap_set_str(&m, "source_name", "");
    ll_yamlmap_set_int(&m, "source_type", 4);
    ll_yamlmap_set_str(&m, "source_version", "");
    ll_yamlmap_set_int(&m, "start_time", 1714557660000LL);
    ll_yamlmap_set_int(&m, "status", 1);
    ll_yamlmap_set_empty(&m, "tags", LL_YAML_SEQ);
    char *text;
    size_t len;
    assert_int_equal(ll_yamlmap_dump(&m, &text, &len, NULL), LL_OK);
    /* yaml.dump(d, default_flow_style=False, allow_unicode=True, sort_keys=True) */
    assert_string_equal(text, "artifact_uri: file:///tmp/s/1/ab/artifacts\ndeleted_time: null\n"
                              "end_time: null\nentry_point_name: ''\nexperiment_id: '1'\n"
                              "lifecycle_stage: active\nrun_id: 0ab\nrun_name: 'yes'\n"
                              "run_uuid: 0ab\nsource_name: ''\nsource_type: 4\n"
                              "source_version: ''\nstart_time: 1714557660000\nstatus: 1\n"
                              "tags: []\nuser_id: 'a: b'\n");
    free(text);
    ll_yamlmap_free(&m);

    const char *kv[] = {"champion", "2", "prod-1", "10"};
    ll_yamlmap_set_pairs(&m, "aliases", kv, 2);
    ll_yamlmap_set_int(&m, "creation_timestamp", 1);
    ll_yamlmap_set_str(&m, "description", NULL);
    ll_yamlmap_set_str(&m, "name", "credit risk #1");
    assert_int_equal(ll_yamlmap_dump(&m, &text, &len, NULL), LL_OK);
    assert_string_equal(text, "aliases:\n  champion: '2'\n  prod-1: '10'\ncreation_timestamp: 1\n"
                              "description: null\nname: 'credit risk #1'\n");
    free(text);
    ll_yamlmap_free(&m);
}

static void test_yaml_scalars_roundtrip(void **state)
{
    (void)state;
    /* PyYAML quotes exactly these (checked with yaml.dump); reading back gives the string */
    const char *quoted[] = {"0.5",        "x #y",  "#x",   "- x", "~", "Null", "No", "on",
                            "2024-05-01", "1_000", "0x1F", ".5",  "",  "null", "3",  "-7"};
    const char *plain[] = {"1e5", "-x", "caf\xc3\xa9", "it's", "gbdt", "a1f0c2e4", "file:///x"};
    for (size_t i = 0; i < sizeof quoted / sizeof *quoted; i++) {
        char *buf;
        size_t len;
        FILE *f = open_memstream(&buf, &len);
        ll_yamlmap_write_scalar(f, quoted[i]);
        fclose(f);
        assert_true(buf[0] == '\'');
        free(buf);
    }
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        char *buf;
        size_t len;
        FILE *f = open_memstream(&buf, &len);
        ll_yamlmap_write_scalar(f, plain[i]);
        fclose(f);
        assert_string_equal(buf, plain[i]);
        free(buf);
    }
    /* awkward strings survive write + read (libyaml path for the escaped ones) */
    const char *odd[] = {"multi\nline", "tab\there", "quote ' and \"", " lead", "trail ", "a: b",
                         "[x]",         "{y}",       "100%",           "@at",   "`tick`", "yes"};
    ll_yamlmap m = {0};
    char key[16];
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        snprintf(key, sizeof key, "k%02zu", i);
        ll_yamlmap_set_str(&m, key, odd[i]);
    }
    char *text;
    size_t len;
    assert_int_equal(ll_yamlmap_dump(&m, &text, &len, NULL), LL_OK);
    ll_yamlmap back;
    assert_int_equal(ll_yamlmap_parse(text, len, "t", &back, NULL), LL_OK);
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        snprintf(key, sizeof key, "k%02zu", i);
        assert_non_null(ll_yamlmap_str(&back, key));
        assert_string_equal(ll_yamlmap_str(&back, key), odd[i]);
    }
    free(text);
    ll_yamlmap_free(&m);
    ll_yamlmap_free(&back);
}

static void test_yaml_parse_errors_and_nesting(void **state)
{
    (void)state;
    ll_yamlmap m;
    ll_error err = {0};
    const char *bad = "a: 1\nb: [unclosed\n";
    assert_int_equal(ll_yamlmap_parse(bad, strlen(bad), "meta.yaml", &m, &err), LL_EPARSE);
    assert_string_equal(err.file, "meta.yaml");
    assert_true(err.line >= 2);
    const char *nested = "aliases:\n  champion: '2'\nname: m\ntags:\n- a\n- b\nx: ~\n";
    assert_int_equal(ll_yamlmap_parse(nested, strlen(nested), "m", &m, &err), LL_OK);
    const ll_yamlmap_entry *e = ll_yamlmap_find(&m, "aliases");
    assert_non_null(e);
    assert_int_equal(e->kind, LL_YAML_MAP);
    assert_int_equal(e->nitems, 2);
    assert_string_equal(e->items[1], "2");
    e = ll_yamlmap_find(&m, "tags");
    assert_int_equal(e->kind, LL_YAML_SEQ);
    assert_int_equal(e->nitems, 2);
    assert_string_equal(ll_yamlmap_str(&m, "name"), "m");
    assert_null(ll_yamlmap_str(&m, "x"));
    assert_int_equal(ll_yamlmap_find(&m, "x")->kind, LL_YAML_NULL);
    ll_yamlmap_free(&m);
    /* quoted digits are strings; ll_yamlmap_int still reads them */
    const char *q = "experiment_id: '42'\nstatus: 3\n";
    assert_int_equal(ll_yamlmap_parse(q, strlen(q), "m", &m, &err), LL_OK);
    assert_true(ll_yamlmap_find(&m, "experiment_id")->quoted);
    assert_false(ll_yamlmap_find(&m, "status")->quoted);
    assert_int_equal(ll_yamlmap_int(&m, "status", -1), 3);
    ll_yamlmap_free(&m);
}

/* ------------------------------------------------------------------ reading MLflow's output */

static void test_fixture_experiments(void **state)
{
    (void)state;
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(FIXTURE, 0, &st, &err), LL_OK);
    ll_experiment_list l;
    assert_int_equal(ll_store_experiments(st, 0, &l, &err), LL_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].id, "0");
    assert_string_equal(l.items[0].name, "Default");
    assert_string_equal(l.items[1].id, EXP);
    assert_string_equal(l.items[1].name, "credit-default");
    assert_int_equal(l.items[1].creation_time, 1714557600000LL);
    assert_string_equal(l.items[1].artifact_location, "file:///home/analyst/credit/mlruns/" EXP);
    ll_store_experiments_free(&l);
    ll_experiment e;
    assert_int_equal(ll_store_experiment_find(st, "credit-default", &e, &err), LL_OK);
    assert_string_equal(e.id, EXP);
    ll_experiment_clear(&e);
    assert_int_equal(ll_store_experiment_find(st, "nope", &e, &err), LL_ENOTFOUND);
    ll_store_close(st);
    /* a missing store is an error unless asked to create it */
    assert_int_equal(ll_store_open("fixtures/no-such-store", 0, &st, &err), LL_ENOTFOUND);
}

static void test_fixture_runs(void **state)
{
    (void)state;
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(FIXTURE, 0, &st, &err), LL_OK);
    ll_sortkey k[2];
    size_t nk;
    assert_int_equal(ll_filter_parse_sort("-metrics.auc", k, 2, &nk, &err), LL_OK);
    ll_run_query q = {.sort = k, .nsort = nk, .load_all = 1};
    ll_run_list l;
    assert_int_equal(ll_store_search_runs(st, &q, &l, &err), LL_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.runs[0]->run_id, R2);
    assert_string_equal(l.runs[1]->run_id, R1);
    assert_string_equal(l.runs[2]->run_id, R3);
    const ll_run *r = l.runs[1];
    assert_string_equal(r->run_name, "gbdt-baseline");
    assert_string_equal(r->user_id, "analyst");
    assert_string_equal(r->experiment_id, EXP);
    assert_int_equal(r->status, LL_RUN_FINISHED);
    assert_string_equal(ll_run_status_name(r), "FINISHED");
    assert_int_equal(r->start_time, 1714557660000LL);
    assert_int_equal(r->end_time, 1714557702000LL);
    assert_false(r->deleted);
    assert_int_equal(r->nparams, 6);
    assert_string_equal(ll_run_param(r, "model"), "gbdt");
    assert_string_equal(ll_run_param(r, "learning_rate"), "0.1");
    assert_int_equal(r->nmetrics, 6);
    assert_true(ll_run_metric(r, "auc")->value == 0.7412);
    /* the latest point of a per-step metric is its last step */
    const ll_metric *va = ll_run_metric(r, "valid_auc");
    assert_true(va->value == 0.7398);
    assert_int_equal(va->step, 4);
    assert_int_equal(va->timestamp, 1714557663000LL);
    assert_string_equal(ll_run_tag(r, "mlflow.runName"), "gbdt-baseline");
    assert_string_equal(ll_run_tag(r, "mlflow.source.type"), "LOCAL");
    assert_int_equal(r->ntags, 6);
    ll_run_list_free(&l);

    /* limit keeps the best, matched counts all; only asked keys are read from the run's files
     * (rescan: a run from the run index brings what earlier listings read, here everything) */
    const char *keys[] = {"params.model"};
    ll_run_query q2 = {.sort = k, .nsort = nk, .limit = 1, .keys = keys, .nkeys = 1, .rescan = 1};
    assert_int_equal(ll_store_search_runs(st, &q2, &l, &err), LL_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.matched, 3);
    assert_string_equal(ll_run_param(l.runs[0], "model"), "gbdt");
    assert_null(ll_run_param(l.runs[0], "max_depth"));
    assert_false(l.runs[0]->complete);
    ll_run_list_free(&l);

    /* filters */
    ll_filter *f;
    assert_int_equal(ll_filter_parse("metrics.auc > 0.72 and params.model = 'gbdt'", &f, &err),
                     LL_OK);
    ll_run_query q3 = {.filter = f};
    assert_int_equal(ll_store_search_runs(st, &q3, &l, &err), LL_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.runs[0]->run_id, R2); /* default order: newest first */
    assert_string_equal(l.runs[1]->run_id, R1);
    ll_run_list_free(&l);
    ll_filter_free(f);
    assert_int_equal(
        ll_filter_parse("params.test_sha256 LIKE '41d8%' or metrics.ks >= 0.371", &f, &err), LL_OK);
    q3.filter = f;
    assert_int_equal(ll_store_search_runs(st, &q3, &l, &err), LL_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.runs[0]->run_id, R3);
    assert_string_equal(l.runs[1]->run_id, R2);
    ll_run_list_free(&l);
    ll_filter_free(f);

    /* an experiment by name; a missing one is an error */
    ll_run_query q4 = {.experiment = "Default"};
    assert_int_equal(ll_store_search_runs(st, &q4, &l, &err), LL_OK);
    assert_int_equal(l.n, 0);
    ll_run_list_free(&l);
    q4.experiment = "missing";
    assert_int_equal(ll_store_search_runs(st, &q4, &l, &err), LL_ENOTFOUND);
    ll_store_close(st);
}

static void test_fixture_get_run_and_curves(void **state)
{
    (void)state;
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(FIXTURE, 0, &st, &err), LL_OK);
    ll_run *r;
    assert_int_equal(ll_store_get_run(st, "a1f0", &r, &err), LL_OK);
    assert_string_equal(r->run_id, R1);
    assert_true(r->complete);
    ll_metric_summary s;
    assert_int_equal(ll_store_metric_summary(st, r, "valid_logloss", 0, &s, &err), LL_OK);
    assert_int_equal(s.steps, 5);
    assert_true(s.first == 0.2312);
    assert_true(s.last == 0.1901);
    assert_true(s.best == 0.1901);
    assert_int_equal(s.best_step, 4);
    assert_int_equal(ll_store_metric_summary(st, r, "nope", 1, &s, &err), LL_ENOTFOUND);
    char path[4096];
    /* the artifact URI points at the machine that wrote the store: fall back to the run dir */
    assert_int_equal(ll_store_run_artifact_path(st, r, "model", path, sizeof path, &err), LL_OK);
    assert_string_equal(path, FIXTURE "/" EXP "/" R1 "/artifacts/model");
    ll_run_free(r);
    /* ambiguous and unknown prefixes */
    assert_int_equal(ll_store_get_run(st, "zz", &r, &err), LL_ENOTFOUND);
    assert_int_equal(ll_store_get_run(st, "../x", &r, &err), LL_EINVAL);
    ll_store_close(st);
}

/* ------------------------------------------------------------------ writing */

static void test_open_creates_default(void **state)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/new/mlruns", (char *)*state);
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    snprintf(path, sizeof path, "%s/0/meta.yaml", dir);
    ll_yamlmap m;
    assert_int_equal(ll_yamlmap_load(path, &m, &err), LL_OK);
    assert_string_equal(ll_yamlmap_str(&m, "name"), "Default");
    assert_string_equal(ll_yamlmap_str(&m, "experiment_id"), "0");
    assert_true(ll_yamlmap_find(&m, "experiment_id")->quoted);
    assert_string_equal(ll_yamlmap_str(&m, "lifecycle_stage"), "active");
    assert_true(ll_yamlmap_int(&m, "creation_time", 0) > 1600000000000LL);
    assert_true(!strncmp(ll_yamlmap_str(&m, "artifact_location"), "file:///", 8));
    ll_yamlmap_free(&m);
    snprintf(path, sizeof path, "%s/.trash", dir);
    assert_true(ll_fsutil_is_dir(path));
    /* experiments by name: created once, found again */
    char id1[32], id2[32];
    assert_int_equal(ll_store_experiment_ensure(st, "credit", id1, sizeof id1, &err), LL_OK);
    assert_int_equal(ll_store_experiment_ensure(st, "credit", id2, sizeof id2, &err), LL_OK);
    assert_string_equal(id1, id2);
    assert_true(strspn(id1, "0123456789") == strlen(id1));
    assert_int_equal(ll_store_experiment_ensure(st, "Default", id2, sizeof id2, &err), LL_OK);
    assert_string_equal(id2, "0");
    ll_store_close(st);
    /* reopening an existing store does not add a second Default */
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    ll_experiment_list l;
    assert_int_equal(ll_store_experiments(st, 1, &l, &err), LL_OK);
    assert_int_equal(l.n, 2);
    ll_store_experiments_free(&l);
    ll_store_close(st);
}

static void test_run_write_read(void **state)
{
    char dir[512], path[900];
    snprintf(dir, sizeof dir, "%s/mlruns", (char *)*state);
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    ll_run_handle *h;
    assert_int_equal(ll_store_run_begin(st, "credit", "gbdt-test", NULL, &h, &err), LL_OK);
    char run_id[40];
    snprintf(run_id, sizeof run_id, "%s", ll_store_run_id(h));
    assert_int_equal(strlen(run_id), 32);
    assert_int_equal(run_id[12], '4'); /* a version-4 UUID */
    assert_int_equal(ll_store_log_param(h, "model", "gbdt", &err), LL_OK);
    assert_int_equal(ll_store_log_param(h, "max_depth", "6", &err), LL_OK);
    assert_int_equal(ll_store_log_param(h, "model", "gbdt", &err), LL_OK);
    assert_int_equal(ll_store_log_param(h, "model", "forest", &err), LL_EEXIST);
    assert_int_equal(ll_store_log_param(h, "../escape", "x", &err), LL_EINVAL);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(
            ll_store_log_metric_at(h, "valid_auc", 0.6 + i * 0.002, i, 1700000000000LL + i, &err),
            LL_OK);
        assert_int_equal(ll_store_log_metric(h, "train/loss", 1.0 / (i + 1), i, &err), LL_OK);
    }
    assert_int_equal(ll_store_log_metric(h, "auc", 0.7531, 0, &err), LL_OK);
    assert_int_equal(ll_store_log_metric(h, "weird", NAN, 0, &err), LL_OK);
    assert_int_equal(ll_store_set_tag(h, "note", "multi\nline value", &err), LL_OK);
    assert_int_equal(ll_store_run_artifact_dir(h, "model", path, sizeof path, &err), LL_OK);
    assert_true(ll_fsutil_is_dir(path));
    /* while running, the run is listed as RUNNING (this process is alive) */
    ll_run *r;
    assert_int_equal(ll_store_get_run(st, run_id, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_RUNNING);
    assert_false(r->died);
    assert_int_equal(r->end_time, -1);
    ll_run_free(r);
    assert_int_equal(ll_store_run_end(h, LL_RUN_FINISHED, &err), LL_OK);

    assert_int_equal(ll_store_get_run(st, run_id, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_FINISHED);
    assert_true(r->end_time >= r->start_time);
    assert_string_equal(r->run_name, "gbdt-test");
    assert_string_equal(ll_run_param(r, "max_depth"), "6");
    const ll_metric *m = ll_run_metric(r, "valid_auc");
    assert_non_null(m);
    assert_true(fabs(m->value - (0.6 + 49 * 0.002)) < 1e-15);
    assert_int_equal(m->step, 49);
    assert_int_equal(m->timestamp, 1700000000049LL);
    assert_non_null(ll_run_metric(r, "train/loss")); /* a key with '/' lives in a subdir */
    assert_true(ll_run_metric(r, "train/loss")->value == 1.0 / 50);
    assert_true(isnan(ll_run_metric(r, "weird")->value));
    assert_string_equal(ll_run_tag(r, "mlflow.runName"), "gbdt-test");
    assert_string_equal(ll_run_tag(r, "mlflow.source.type"), "LOCAL");
    assert_string_equal(ll_run_tag(r, "mlflow.source.name"), "lendlab");
    assert_non_null(ll_run_tag(r, "mlflow.user"));
    assert_non_null(ll_run_tag(r, "lendlab.version"));
    assert_non_null(strchr(ll_run_tag(r, "lendlab.pid"), '@'));
    assert_string_equal(ll_run_tag(r, "note"), "multi\nline value");

    /* meta.yaml as MLflow leaves it after update_run_info: status an integer, no deleted_time */
    snprintf(path, sizeof path, "%s/meta.yaml", r->dir);
    ll_yamlmap y;
    assert_int_equal(ll_yamlmap_load(path, &y, &err), LL_OK);
    assert_false(ll_yamlmap_find(&y, "status")->quoted);
    assert_int_equal(ll_yamlmap_int(&y, "status", 0), 3);
    assert_int_equal(ll_yamlmap_int(&y, "source_type", 0), 4);
    assert_null(ll_yamlmap_find(&y, "deleted_time"));
    assert_true(ll_yamlmap_find(&y, "experiment_id")->quoted);
    assert_string_equal(ll_yamlmap_str(&y, "run_uuid"), run_id);
    assert_int_equal(ll_yamlmap_find(&y, "tags")->kind, LL_YAML_SEQ);
    ll_yamlmap_free(&y);
    /* the metric file holds MLflow's lines "<ms> <value> <step>" */
    snprintf(path, sizeof path, "%s/metrics/valid_auc", r->dir);
    char *text = slurp(path);
    assert_non_null(text);
    assert_true(!strncmp(text, "1700000000000 0.6 0\n1700000000001 0.602 1\n", 42));
    free(text);
    snprintf(path, sizeof path, "%s/metrics/weird", r->dir);
    text = slurp(path);
    assert_non_null(strstr(text, " nan 0\n"));
    free(text);
    /* no temporary file is left behind */
    tmp_count = 0;
    nftw(dir, count_tmp, 16, FTW_PHYS);
    assert_int_equal(tmp_count, 0);

    /* delete and restore flip lifecycle_stage only */
    assert_int_equal(ll_store_delete_run(st, run_id, &err), LL_OK);
    snprintf(path, sizeof path, "%s/meta.yaml", r->dir);
    assert_int_equal(ll_yamlmap_load(path, &y, &err), LL_OK);
    assert_string_equal(ll_yamlmap_str(&y, "lifecycle_stage"), "deleted");
    assert_true(ll_yamlmap_int(&y, "deleted_time", 0) > 0);
    ll_yamlmap_free(&y);
    ll_run_list l;
    ll_run_query q = {0};
    assert_int_equal(ll_store_search_runs(st, &q, &l, &err), LL_OK);
    assert_int_equal(l.n, 0);
    ll_run_list_free(&l);
    q.include_deleted = 1;
    assert_int_equal(ll_store_search_runs(st, &q, &l, &err), LL_OK);
    assert_int_equal(l.n, 1);
    assert_true(l.runs[0]->deleted);
    ll_run_list_free(&l);
    assert_int_equal(ll_store_restore_run(st, run_id, &err), LL_OK);
    assert_int_equal(ll_yamlmap_load(path, &y, &err), LL_OK);
    assert_string_equal(ll_yamlmap_str(&y, "lifecycle_stage"), "active");
    assert_null(ll_yamlmap_find(&y, "deleted_time"));
    ll_yamlmap_free(&y);
    snprintf(path, sizeof path, "%s/params/max_depth", r->dir);
    assert_true(ll_fsutil_exists(path)); /* nothing removed */
    ll_run_free(r);
    ll_store_close(st);
}

static void test_died_run(void **state)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/mlruns", (char *)*state);
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* a training process that dies without ending its run */
        ll_store *cs;
        ll_run_handle *h;
        if (ll_store_open(dir, 1, &cs, NULL) || ll_store_run_begin(cs, "x", "dies", NULL, &h, NULL))
            _exit(1);
        ll_store_log_metric(h, "valid_auc", 0.6, 0, NULL);
        ll_store_run_flush(h, NULL);
        ssize_t w = write(fd[1], ll_store_run_id(h), 32);
        _exit(w == 32 ? 0 : 1);
    }
    close(fd[1]);
    char id[33] = {0};
    assert_int_equal(read(fd[0], id, 32), 32);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    ll_run *r;
    assert_int_equal(ll_store_get_run(st, id, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_RUNNING);
    assert_true(r->died);
    assert_string_equal(ll_run_status_name(r), "DIED");
    ll_run_free(r);
    /* status = 'DIED' finds it, and it still counts as RUNNING */
    ll_filter *f;
    assert_int_equal(ll_filter_parse("status = 'DIED'", &f, &err), LL_OK);
    ll_run_query q = {.filter = f};
    ll_run_list l;
    assert_int_equal(ll_store_search_runs(st, &q, &l, &err), LL_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.runs[0]->run_id, id);
    ll_run_list_free(&l);
    ll_filter_free(f);
    ll_store_close(st);
}

/* meta.yaml of the run in dir, loaded */
static void load_meta(const char *dir, ll_yamlmap *y)
{
    char path[700];
    snprintf(path, sizeof path, "%s/meta.yaml", dir);
    assert_int_equal(ll_yamlmap_load(path, y, NULL), LL_OK);
}

static void test_reopen_and_tag_by_id(void **state)
{
    char dir[512], path[900], host[256], pidtag[320];
    snprintf(dir, sizeof dir, "%s/mlruns", (char *)*state);
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    ll_run_handle *h;
    assert_int_equal(ll_store_run_begin(st, "study", "parent", NULL, &h, &err), LL_OK);
    char id[40];
    snprintf(id, sizeof id, "%s", ll_store_run_id(h));
    assert_int_equal(ll_store_log_metric_at(h, "best", 0.5, 0, 1700000000000LL, &err), LL_OK);
    assert_int_equal(ll_store_set_tag(h, "lendlab.stop_reason", "early", &err), LL_OK);
    assert_int_equal(ll_store_run_end(h, LL_RUN_FAILED, &err), LL_OK);

    /* tags by id on a finished run: replaced atomically, mlflow.runName renames */
    assert_int_equal(ll_store_set_run_tag(st, id, "lendlab.pid", "1@elsewhere", &err), LL_OK);
    assert_int_equal(ll_store_set_run_tag(st, id, "note/sub", "nested", &err), LL_OK);
    assert_int_equal(ll_store_set_run_tag(st, id, "mlflow.runName", "parent-2", &err), LL_OK);
    assert_int_equal(ll_store_set_run_tag(st, id, "../x", "v", &err), LL_EINVAL);
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%.8s", id);
    assert_int_equal(ll_store_set_run_tag(st, prefix, "k", "v", &err), LL_ENOTFOUND);
    assert_int_equal(ll_store_set_run_tag(st, "0123456789abcdef0123456789abcdef", "k", "v", &err),
                     LL_ENOTFOUND);
    assert_int_equal(ll_store_set_run_tag(st, "../etc", "k", "v", &err), LL_EINVAL);
    ll_run *r;
    assert_int_equal(ll_store_get_run(st, id, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_FAILED);
    long long first_end = r->end_time;
    assert_true(first_end >= r->start_time);
    assert_string_equal(r->run_name, "parent-2");
    assert_string_equal(ll_run_tag(r, "note/sub"), "nested");
    assert_string_equal(ll_run_tag(r, "lendlab.pid"), "1@elsewhere");
    ll_run_free(r);

    /* reopened: RUNNING again, no end time, this process's pid, written through a handle */
    assert_int_equal(ll_store_run_reopen(st, id, &h, &err), LL_OK);
    assert_string_equal(ll_store_run_id(h), id);
    assert_int_equal(gethostname(host, sizeof host), 0);
    host[sizeof host - 1] = '\0';
    snprintf(pidtag, sizeof pidtag, "%ld@%s", (long)getpid(), host);
    assert_int_equal(ll_store_get_run(st, id, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_RUNNING);
    assert_false(r->died);
    assert_int_equal(r->end_time, -1);
    assert_string_equal(ll_run_tag(r, "lendlab.pid"), pidtag);
    ll_yamlmap y;
    load_meta(r->dir, &y);
    assert_int_equal(ll_yamlmap_find(&y, "end_time")->kind, LL_YAML_NULL);
    assert_false(ll_yamlmap_find(&y, "status")->quoted);
    assert_int_equal(ll_yamlmap_int(&y, "start_time", 0), r->start_time); /* kept */
    assert_null(ll_yamlmap_find(&y, "deleted_time"));
    ll_yamlmap_free(&y);
    ll_run_free(r);
    assert_int_equal(ll_store_log_metric_at(h, "best", 0.75, 1, 1700000000001LL, &err), LL_OK);
    assert_int_equal(ll_store_set_tag(h, "lendlab.attempts", "2", &err), LL_OK);
    assert_int_equal(ll_store_delete_tag(h, "lendlab.stop_reason", &err), LL_OK);
    assert_int_equal(ll_store_delete_tag(h, "lendlab.stop_reason", &err), LL_OK); /* gone: fine */
    assert_int_equal(ll_store_delete_tag(h, "../meta.yaml", &err), LL_EINVAL);
    /* paused: SCHEDULED without an end time */
    assert_int_equal(ll_store_run_end(h, LL_RUN_SCHEDULED, &err), LL_OK);
    assert_int_equal(ll_store_get_run(st, id, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_SCHEDULED);
    assert_int_equal(r->end_time, -1);
    assert_null(ll_run_tag(r, "lendlab.stop_reason"));
    assert_string_equal(ll_run_tag(r, "lendlab.attempts"), "2");
    assert_true(ll_run_metric(r, "best")->value == 0.75);
    snprintf(path, sizeof path, "%s/tags/lendlab.stop_reason", r->dir);
    assert_false(ll_fsutil_exists(path));
    ll_run_free(r);
    /* and finished on a second reopen */
    assert_int_equal(ll_store_run_reopen(st, id, &h, &err), LL_OK);
    assert_int_equal(ll_store_run_end(h, LL_RUN_FINISHED, &err), LL_OK);
    assert_int_equal(ll_store_get_run(st, id, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_FINISHED);
    assert_true(r->end_time >= first_end);
    ll_metric_point *pts;
    size_t n;
    assert_int_equal(ll_store_metric_history(st, r, "best", &pts, &n, &err), LL_OK);
    assert_int_equal(n, 2);
    assert_true(pts[0].value == 0.5 && pts[1].value == 0.75);
    free(pts);
    ll_run_free(r);
    tmp_count = 0;
    nftw(dir, count_tmp, 16, FTW_PHYS);
    assert_int_equal(tmp_count, 0);

    /* a deleted run is neither reopened nor tagged; unknown runs are not found */
    assert_int_equal(ll_store_delete_run(st, id, &err), LL_OK);
    assert_int_equal(ll_store_run_reopen(st, id, &h, &err), LL_ESTATE);
    assert_null(h);
    assert_int_equal(ll_store_set_run_tag(st, id, "k", "v", &err), LL_ESTATE);
    assert_int_equal(ll_store_restore_run(st, id, &err), LL_OK);
    assert_int_equal(ll_store_run_reopen(st, "0123456789abcdef0123456789abcdef", &h, &err),
                     LL_ENOTFOUND);
    assert_int_equal(ll_store_run_end(NULL, LL_RUN_FINISHED, &err), LL_EINVAL);
    assert_int_equal(ll_store_run_begin(st, "study", "x", NULL, &h, &err), LL_OK);
    assert_int_equal(ll_store_run_end(h, LL_RUN_RUNNING, &err), LL_EINVAL);
    ll_store_close(st);
}

/* In a child whose file size limit leaves no room for meta.yaml: end a run holding a big
 * artifact, reopened (kept) or begun there. Exit status: 0 when ll_store_run_end failed. */
static int end_without_room(const char *dir, const char *reopen_id, char *begun_id)
{
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        ll_store *st;
        ll_run_handle *h;
        char art[900];
        close(fd[0]);
        if (ll_store_open(dir, 1, &st, NULL)) _exit(2);
        if (reopen_id ? ll_store_run_reopen(st, reopen_id, &h, NULL)
                      : ll_store_run_begin(st, "study", "trial", NULL, &h, NULL))
            _exit(3);
        if (write(fd[1], ll_store_run_id(h), 32) != 32) _exit(4);
        if (ll_store_run_artifact_dir(h, "model", art, 700, NULL)) _exit(5);
        strcat(art, "/model.json");
        FILE *f = fopen(art, "w");
        for (int i = 0; f && i < 1000; i++) fputs("0123456789", f);
        if (!f || fclose(f)) _exit(6);
        /* writes past 64 bytes fail with EFBIG */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {64, 64};
        if (setrlimit(RLIMIT_FSIZE, &rl)) _exit(7);
        ll_error err = {0};
        _exit(ll_store_run_end(h, LL_RUN_FINISHED, &err) != LL_OK && strstr(err.msg, "too large")
                  ? 0
                  : 8);
    }
    close(fd[1]);
    char id[33] = {0};
    ssize_t n = read(fd[0], id, 32);
    close(fd[0]);
    if (begun_id && n == 32) memcpy(begun_id, id, 33);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_kept_run_without_room(void **state)
{
    char dir[512], path[900];
    snprintf(dir, sizeof dir, "%s/mlruns", (char *)*state);
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    ll_run_handle *h;
    assert_int_equal(ll_store_run_begin(st, "study", "parent", NULL, &h, &err), LL_OK);
    char parent[40], trial[40];
    snprintf(parent, sizeof parent, "%s", ll_store_run_id(h));
    assert_int_equal(ll_store_run_end(h, LL_RUN_FINISHED, &err), LL_OK);
    /* a run begun without room to end it is removed (its artifacts did not make room) */
    assert_int_equal(end_without_room(dir, NULL, trial), 0);
    ll_run *r;
    assert_int_equal(ll_store_get_run(st, trial, &r, &err), LL_ENOTFOUND);
    /* a reopened run keeps everything: RUNNING, shown DIED, its artifacts in place */
    assert_int_equal(end_without_room(dir, parent, NULL), 0);
    assert_int_equal(ll_store_get_run(st, parent, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_RUNNING);
    assert_true(r->died);
    snprintf(path, sizeof path, "%s/artifacts/model/model.json", r->dir);
    assert_true(ll_fsutil_exists(path));
    ll_run_free(r);
    /* ll_store_run_keep gives a new run the same treatment */
    assert_int_equal(ll_store_run_begin(st, "study", "parent", NULL, &h, &err), LL_OK);
    snprintf(parent, sizeof parent, "%s", ll_store_run_id(h));
    ll_store_run_keep(h);
    ll_store_run_abandon(h);
    assert_int_equal(end_without_room(dir, parent, NULL), 0);
    assert_int_equal(ll_store_get_run(st, parent, &r, &err), LL_OK);
    assert_int_equal(r->status, LL_RUN_RUNNING);
    ll_run_free(r);
    ll_store_close(st);
}

static void test_metric_tail(void **state)
{
    char dir[512], path[700];
    snprintf(dir, sizeof dir, "%s/mlruns", (char *)*state);
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    ll_run_handle *h;
    assert_int_equal(ll_store_run_begin(st, NULL, NULL, NULL, &h, &err), LL_OK);
    char id[40];
    snprintf(id, sizeof id, "%s", ll_store_run_id(h));
    /* a long file as MLflow writes it (Python floats), the latest step not on the last line */
    snprintf(path, sizeof path, "%s/metrics/m", ll_store_run_dir(h));
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 1000; i++) fprintf(f, "%d 0.%d %d\n", 1000 + i, i, i);
    fputs("2500 1e-05 1001\n2400 0.25 1000\n", f);
    fclose(f);
    assert_int_equal(ll_store_run_end(h, LL_RUN_KILLED, &err), LL_OK);
    ll_run *r;
    assert_int_equal(ll_store_get_run(st, id, &r, &err), LL_OK);
    assert_string_equal(ll_run_status_name(r), "KILLED");
    assert_true(ll_run_metric(r, "m")->value == 1e-05);
    assert_int_equal(ll_run_metric(r, "m")->step, 1001);
    /* the run got a generated name and went to Default (experiment 0) */
    assert_string_equal(r->experiment_id, "0");
    assert_true(strlen(r->run_name) > 3);
    ll_metric_point *pts;
    size_t n;
    assert_int_equal(ll_store_metric_history(st, r, "m", &pts, &n, &err), LL_OK);
    assert_int_equal(n, 1002);
    assert_true(pts[999].value == 0.999);
    free(pts);
    ll_run_free(r);
    ll_store_close(st);
}

static void test_metric_direction(void **state)
{
    (void)state;
    assert_true(ll_store_metric_higher_better("auc"));
    assert_true(ll_store_metric_higher_better("valid_auc"));
    assert_true(ll_store_metric_higher_better("ks"));
    assert_true(ll_store_metric_higher_better("f1"));
    assert_false(ll_store_metric_higher_better("logloss"));
    assert_false(ll_store_metric_higher_better("valid_logloss"));
    assert_false(ll_store_metric_higher_better("brier"));
    assert_false(ll_store_metric_higher_better("train/loss"));
    assert_false(ll_store_metric_higher_better("log_loss"));
    assert_true(ll_store_valid_key("tags.mlflow.runName"));
    assert_true(ll_store_valid_key("a b/c-d_e.f"));
    assert_false(ll_store_valid_key("../x"));
    assert_false(ll_store_valid_key("a//b"));
    assert_false(ll_store_valid_key("/abs"));
    assert_false(ll_store_valid_key("semi;colon"));
}

static void test_fsutil(void **state)
{
    char path[600], lockp[600];
    snprintf(path, sizeof path, "%s/a/b/c/file", (char *)*state);
    ll_error err = {0};
    assert_int_equal(ll_fsutil_write_atomic(path, "x", 1, NULL, &err), LL_EIO);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/a/b/c", (char *)*state);
    assert_int_equal(ll_fsutil_mkdir_p(dir, &err), LL_OK);
    assert_int_equal(ll_fsutil_mkdir_p(dir, &err), LL_OK);
    assert_int_equal(ll_fsutil_write_atomic(path, "hello", 5, NULL, &err), LL_OK);
    assert_int_equal(ll_fsutil_write_atomic(path, "bye", 3, (char *)*state, &err), LL_OK);
    char *t = slurp(path);
    assert_string_equal(t, "bye");
    free(t);
    assert_int_equal(ll_fsutil_append(path, "!", 1, 1, &err), LL_OK);
    t = slurp(path);
    assert_string_equal(t, "bye!");
    free(t);
    snprintf(lockp, sizeof lockp, "%s/.lock", (char *)*state);
    ll_fsutil_lock lk;
    assert_int_equal(ll_fsutil_lock_acquire(lockp, &lk, &err), LL_OK);
    /* another process cannot take it while held */
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(lockp, O_RDWR);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        _exit(fcntl(fd, F_SETLK, &fl) == -1 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    ll_fsutil_lock_release(&lk);
    pid = fork();
    if (pid == 0) {
        int fd = open(lockp, O_RDWR);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        _exit(fcntl(fd, F_SETLK, &fl) == 0 ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(ll_fsutil_read("/nonexistent/file", &t, NULL, &err), LL_ENOTFOUND);
}

typedef struct {
    int fd; /* the FIFO's read end, opened non-blocking before any writer */
    char buf[64];
    ssize_t n; /* bytes read until the writer closed; -1 when none came within 10 s */
} fifo_reader;

static void *read_fifo(void *arg)
{
    fifo_reader *fr = arg;
    size_t got = 0;
    fr->n = -1;
    for (;;) {
        /* a writer that never comes (the FIFO renamed over) fails the test, not hangs it */
        struct pollfd p = {.fd = fr->fd, .events = POLLIN};
        if (poll(&p, 1, 10000) != 1) break;
        ssize_t r = read(fr->fd, fr->buf + got, sizeof fr->buf - 1 - got);
        if (r > 0) {
            got += (size_t)r;
        } else if (r == 0) {
            fr->n = (ssize_t)got;
            break;
        } else if (errno != EAGAIN && errno != EINTR) {
            break;
        }
    }
    fr->buf[got] = '\0';
    return NULL;
}

static int is_type(const char *path, mode_t type)
{
    struct stat sb;
    return stat(path, &sb) == 0 && (sb.st_mode & S_IFMT) == type;
}

/* A device, FIFO or socket at the target is written into, never replaced by a rename; a
 * directory is an error naming it. */
static void test_fsutil_special_targets(void **state)
{
    const char *dir = *state;
    char path[600];
    ll_error err = {0};
    int in_place = -1;
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(ll_fsutil_check_output(path, &in_place, &err), LL_OK);
    assert_int_equal(in_place, 0);
    assert_int_equal(ll_fsutil_write_atomic(path, "r", 1, NULL, &err), LL_OK);
    assert_int_equal(ll_fsutil_check_output(path, &in_place, &err), LL_OK);
    assert_int_equal(in_place, 0);

    /* a FIFO: its reader gets the data, the FIFO stays */
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(ll_fsutil_check_output(path, &in_place, &err), LL_OK);
    assert_int_equal(in_place, 1);
    fifo_reader fr = {.fd = open(path, O_RDONLY | O_NONBLOCK)};
    assert_true(fr.fd >= 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_fifo, &fr), 0);
    assert_int_equal(ll_fsutil_write_atomic(path, "through the fifo", 16, dir, &err), LL_OK);
    pthread_join(th, NULL);
    close(fr.fd);
    assert_int_equal(fr.n, 16);
    assert_string_equal(fr.buf, "through the fifo");
    assert_true(is_type(path, S_IFIFO));

    /* a directory */
    snprintf(path, sizeof path, "%s/adir", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(ll_fsutil_write_atomic(path, "x", 1, NULL, &err), LL_EIO);
    char want[700];
    snprintf(want, sizeof want, "cannot write %s: %s", path, strerror(EISDIR));
    assert_string_equal(err.msg, want);
    assert_true(is_type(path, S_IFDIR));

    /* character devices (nodes made here when allowed: root, and a file system without nodev) */
    snprintf(path, sizeof path, "%s/null", dir);
    if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        assert_int_equal(ll_fsutil_write_atomic(path, "gone", 4, dir, &err), LL_OK);
        assert_true(is_type(path, S_IFCHR));
        snprintf(path, sizeof path, "%s/full", dir);
        assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(1, 7)), 0);
        assert_int_equal(ll_fsutil_write_atomic(path, "x", 1, NULL, &err), LL_EIO);
        snprintf(want, sizeof want, "cannot write %s: %s", path, strerror(ENOSPC));
        assert_string_equal(err.msg, want);
        assert_true(is_type(path, S_IFCHR));
    }
    /* no temporary file anywhere */
    tmp_count = 0;
    nftw(dir, count_tmp, 16, FTW_PHYS);
    assert_int_equal(tmp_count, 0);
}

/* Found by tests/fuzz/fuzz_yamlmap: the fast path agrees with libyaml, and what a map read
 * from a file is written back as reads back the same. */
static void test_yaml_fast_path_and_write_back(void **state)
{
    (void)state;
    ll_yamlmap m;
    /* a second blank after "key:" belongs to no value (the fast path kept it) */
    assert_int_equal(ll_yamlmap_parse("a:  x\nb: y\n", 11, "t", &m, NULL), LL_OK);
    assert_string_equal(ll_yamlmap_str(&m, "a"), "x");
    ll_yamlmap_free(&m);
    /* Null and NULL are null in YAML as in PyYAML, on the fast path too */
    assert_int_equal(ll_yamlmap_parse("a: Null\nb: NULL\nc: nulls\n", 25, "t", &m, NULL), LL_OK);
    assert_int_equal(ll_yamlmap_find(&m, "a")->kind, LL_YAML_NULL);
    assert_int_equal(ll_yamlmap_find(&m, "b")->kind, LL_YAML_NULL);
    assert_string_equal(ll_yamlmap_str(&m, "c"), "nulls");
    ll_yamlmap_free(&m);

    /* a plain scalar folded over lines holds a line break: written back quoted, not as is */
    static const char folded[] = "a: one\n  two\n\n  three\nb: 7\n";
    assert_int_equal(ll_yamlmap_parse(folded, sizeof folded - 1, "t", &m, NULL), LL_OK);
    assert_string_equal(ll_yamlmap_str(&m, "a"), "one two\nthree");
    char *text;
    size_t len;
    assert_int_equal(ll_yamlmap_dump(&m, &text, &len, NULL), LL_OK);
    assert_string_equal(text, "a: \"one two\\nthree\"\nb: 7\n");
    ll_yamlmap back;
    assert_int_equal(ll_yamlmap_parse(text, len, "t", &back, NULL), LL_OK);
    assert_string_equal(ll_yamlmap_str(&back, "a"), "one two\nthree");
    free(text);
    ll_yamlmap_free(&back);
    ll_yamlmap_free(&m);

    /* YAML's Unicode line breaks (NEL, LS, PS) are escaped, else they fold on reading */
    static const char *const odd[] = {"a\xc2\x85z", "b\xe2\x80\xa8z", "c\xe2\x80\xa9z"};
    memset(&m, 0, sizeof m);
    for (int i = 0; i < 3; i++) {
        char key[8];
        snprintf(key, sizeof key, "k%d", i);
        ll_yamlmap_set_str(&m, key, odd[i]);
    }
    assert_int_equal(ll_yamlmap_dump(&m, &text, &len, NULL), LL_OK);
    assert_string_equal(text, "k0: \"a\\Nz\"\nk1: \"b\\Lz\"\nk2: \"c\\Pz\"\n");
    assert_int_equal(ll_yamlmap_parse(text, len, "t", &back, NULL), LL_OK);
    for (int i = 0; i < 3; i++) assert_string_equal(back.e[i].value, odd[i]);
    free(text);
    ll_yamlmap_free(&back);
    ll_yamlmap_free(&m);

    /* a value plain only inside a flow mapping ("-" ends a block sequence entry) */
    static const char flow[] = "{9 c: -, d: 12}";
    assert_int_equal(ll_yamlmap_parse(flow, sizeof flow - 1, "t", &m, NULL), LL_OK);
    assert_int_equal(ll_yamlmap_dump(&m, &text, &len, NULL), LL_OK);
    assert_string_equal(text, "9 c: '-'\nd: 12\n");
    assert_int_equal(ll_yamlmap_parse(text, len, "t", &back, NULL), LL_OK);
    assert_string_equal(ll_yamlmap_str(&back, "9 c"), "-");
    free(text);
    ll_yamlmap_free(&back);
    ll_yamlmap_free(&m);

    /* a key written at a line start as "--- c" or "..." would be a document marker */
    memset(&m, 0, sizeof m);
    ll_yamlmap_set_str(&m, "--- c", "---");
    ll_yamlmap_set_str(&m, "...", "... x");
    ll_yamlmap_set_str(&m, "---x", "z");
    assert_int_equal(ll_yamlmap_dump(&m, &text, &len, NULL), LL_OK);
    assert_string_equal(text, "'--- c': '---'\n---x: z\n'...': '... x'\n");
    assert_int_equal(ll_yamlmap_parse(text, len, "t", &back, NULL), LL_OK);
    assert_string_equal(ll_yamlmap_str(&back, "--- c"), "---");
    assert_string_equal(ll_yamlmap_str(&back, "..."), "... x");
    assert_string_equal(ll_yamlmap_str(&back, "---x"), "z");
    free(text);
    ll_yamlmap_free(&back);
    ll_yamlmap_free(&m);

    /* a long key is an explicit key ("? key" / ": value"), as PyYAML writes it from 128
     * characters on: YAML allows an implicit key of at most 1024 (a 1,100-character key read
     * from a file was written back unreadable) */
    char big[1101], k130[131], expect[1400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memset(k130, 'k', sizeof k130 - 1);
    k130[sizeof k130 - 1] = '\0';
    memset(&m, 0, sizeof m);
    ll_yamlmap_set_str(&m, big, "v");
    ll_yamlmap_set_str(&m, k130, "w");
    const char *pairs[] = {k130, "c", "short", "d"};
    assert_int_equal(ll_yamlmap_set_pairs(&m, "a", pairs, 2), LL_OK);
    assert_int_equal(ll_yamlmap_dump(&m, &text, &len, NULL), LL_OK);
    snprintf(expect, sizeof expect, "a:\n  ? %s\n  : c\n  short: d\n? %s\n: w\n", k130, k130);
    assert_int_equal(strncmp(text, expect, strlen(expect)), 0);
    assert_int_equal(ll_yamlmap_parse(text, len, "t", &back, NULL), LL_OK);
    assert_string_equal(ll_yamlmap_str(&back, big), "v");
    assert_string_equal(ll_yamlmap_str(&back, k130), "w");
    free(text);
    ll_yamlmap_free(&back);
    ll_yamlmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_writer_matches_pyyaml),
        cmocka_unit_test(test_yaml_scalars_roundtrip),
        cmocka_unit_test(test_yaml_parse_errors_and_nesting),
        cmocka_unit_test(test_yaml_fast_path_and_write_back),
        cmocka_unit_test(test_fixture_experiments),
        cmocka_unit_test(test_fixture_runs),
        cmocka_unit_test(test_fixture_get_run_and_curves),
        cmocka_unit_test_setup_teardown(test_open_creates_default, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_run_write_read, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_died_run, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_reopen_and_tag_by_id, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_kept_run_without_room, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_metric_tail, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_metric_direction),
        cmocka_unit_test_setup_teardown(test_fsutil, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_fsutil_special_targets, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
