/* Unit tests for runindex: the per-experiment run listing cache, alone and through the store. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
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

#include "filter.h"
#include "fsutil.h"
#include "runindex.h"
#include "store.h"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup_tmp(void **state)
{
    char *dir = strdup("/tmp/lendlab-runindex-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    *state = dir;
    return 0;
}

static int teardown_tmp(void **state)
{
    nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(*state);
    return 0;
}

static void kv_add(ll_kv **arr, size_t *n, const char *k, const char *v)
{
    *arr = realloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[*n].key = strdup(k);
    (*arr)[*n].value = strdup(v);
    (*n)++;
}

static ll_run *make_run(const char *id, const char *name, ll_run_status status)
{
    ll_run *r = calloc(1, sizeof *r);
    r->run_id = strdup(id);
    r->experiment_id = strdup("7");
    r->run_name = strdup(name);
    r->user_id = strdup("ana\\lyst");
    r->artifact_uri = strdup("file:///tmp/with\ttab/and\nnewline");
    r->status = status;
    r->start_time = 1714557660000LL;
    r->end_time = 1714557702000LL;
    return r;
}

static struct stat fake_stat(unsigned long long ino, long long sec)
{
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    sb.st_ino = (ino_t)ino;
    sb.st_ctim.tv_sec = sb.st_mtim.tv_sec = (time_t)sec;
    sb.st_ctim.tv_nsec = 123456789;
    sb.st_mtim.tv_nsec = 987654321;
    return sb;
}

/* Everything a listing reads survives a write and a read: odd characters, NaN and infinite
 * metrics, absent keys, the completeness flag, the run's own lifecycle stage. */
static void test_format_parse_roundtrip(void **state)
{
    (void)state;
    ll_run *a = make_run("b0", "name\twith\\tab", LL_RUN_FINISHED);
    ll_run *b = make_run("a0", "", LL_RUN_KILLED);
    kv_add(&a->params, &a->nparams, "model", "gbdt");
    kv_add(&a->params, &a->nparams, "note", "line one\nline two\r\n\\t not a tab");
    kv_add(&a->tags, &a->ntags, "mlflow.runName", "name\twith\\tab");
    a->metrics = calloc(3, sizeof *a->metrics);
    a->metrics[0] = (ll_metric){strdup("auc"), 0.7193000000000001, 1714557702000LL, 199};
    a->metrics[1] = (ll_metric){strdup("weird"), NAN, 1, -5};
    a->metrics[2] = (ll_metric){strdup("train/loss"), -INFINITY, 2, 0};
    a->nmetrics = 3;
    a->absent = calloc(2, sizeof *a->absent);
    a->absent[0] = strdup("1ks");
    a->absent[1] = strdup("2missing param");
    a->nabsent = 2;
    b->complete = 1;
    b->end_time = -1;
    const ll_run *runs[2] = {a, b};
    struct stat sbs[2] = {fake_stat(11, 1000), fake_stat(22, 2000)};
    int del[2] = {0, 1};
    char *text;
    size_t len;
    assert_int_equal(ll_runindex_format("7", runs, sbs, del, 2, &text, &len, NULL), LL_OK);
    ll_runindex ix;
    assert_int_equal(ll_runindex_parse(text, len, "7", &ix, NULL), LL_OK);
    assert_int_equal(ix.n, 2);
    assert_string_equal(ix.items[0].name, "a0"); /* sorted by name */
    /* another status of the directory is not a hit; the recorded one is, once */
    struct stat other = sbs[0];
    other.st_ctim.tv_nsec++;
    assert_null(ll_runindex_take(&ix, "b0", &other));
    assert_null(ll_runindex_take(&ix, "c0", &sbs[0]));
    ll_run *ra = ll_runindex_take(&ix, "b0", &sbs[0]);
    assert_non_null(ra);
    assert_null(ll_runindex_take(&ix, "b0", &sbs[0]));
    assert_string_equal(ra->run_name, "name\twith\\tab");
    assert_string_equal(ra->user_id, "ana\\lyst");
    assert_string_equal(ra->artifact_uri, "file:///tmp/with\ttab/and\nnewline");
    assert_string_equal(ra->experiment_id, "7");
    assert_int_equal(ra->status, LL_RUN_FINISHED);
    assert_int_equal(ra->deleted, 0);
    assert_int_equal(ra->start_time, 1714557660000LL);
    assert_string_equal(ll_run_param(ra, "note"), "line one\nline two\r\n\\t not a tab");
    assert_string_equal(ll_run_tag(ra, "mlflow.runName"), "name\twith\\tab");
    assert_true(ll_run_metric(ra, "auc")->value == 0.7193000000000001);
    assert_int_equal(ll_run_metric(ra, "auc")->step, 199);
    assert_true(isnan(ll_run_metric(ra, "weird")->value));
    assert_int_equal(ll_run_metric(ra, "weird")->step, -5);
    assert_true(ll_run_metric(ra, "train/loss")->value == -INFINITY);
    assert_int_equal(ra->nabsent, 2);
    assert_string_equal(ra->absent[1], "2missing param");
    ll_run *rb = ll_runindex_take(&ix, "a0", &sbs[1]);
    assert_non_null(rb);
    assert_int_equal(rb->deleted, 1);
    assert_int_equal(rb->complete, 1);
    assert_int_equal(rb->end_time, -1);
    assert_string_equal(rb->run_name, "");
    ll_run_free(ra);
    ll_run_free(rb);
    ll_runindex_free(&ix);

    /* an index of another experiment, or a damaged one, is empty: it is only a cache */
    assert_int_equal(ll_runindex_parse(text, len, "8", &ix, NULL), LL_OK);
    assert_int_equal(ix.n, 0);
    for (size_t cut = 0; cut < len; cut += 7) {
        assert_int_equal(ll_runindex_parse(text, cut, "7", &ix, NULL), LL_OK);
        assert_int_equal(ix.n, 0);
    }
    char *bad = malloc(len);
    for (size_t i = 0; i < len; i += 3) {
        memcpy(bad, text, len);
        bad[i] ^= 0x20;
        assert_int_equal(ll_runindex_parse(bad, len, "7", &ix, NULL), LL_OK);
        assert_int_equal(ix.n, 0);
    }
    free(bad);
    free(text);
    ll_run_free(a);
    ll_run_free(b);
}

/* The checksum alone does not make a record valid: each field is checked. */
static void test_parse_rejects_bad_records(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "lendlab-runs\t2\t7\n",                                                /* version */
        "lendlab-runs\t1\t7\nr\tx\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\tn\tu\tf\n",   /* RUNNING */
        "lendlab-runs\t1\t7\nr\t..\t1\t0\t0\t0\t0\t3\t0\t0\t0\t0\tn\tu\tf\n",  /* name */
        "lendlab-runs\t1\t7\nr\ta/b\t1\t0\t0\t0\t0\t3\t0\t0\t0\t0\tn\tu\tf\n", /* name */
        "lendlab-runs\t1\t7\nr\tx\t-1\t0\t0\t0\t0\t3\t0\t0\t0\t0\tn\tu\tf\n",  /* inode */
        "lendlab-runs\t1\t7\nr\tx\t1\t0\t0\t0\t0\t3\t2\t0\t0\t0\tn\tu\tf\n",   /* deleted */
        "lendlab-runs\t1\t7\nr\tx\t1\t0\t0\t0\t0\t3\t0\t0\t0\t0\tn\tu\n",      /* fields */
        "lendlab-runs\t1\t7\nr\tx\t1\t0\t0\t0\t0\t3\t0\t0\t0\t0\tn\tu\tf\nm\tauc\t0.5x\t1\t2\n",
        "lendlab-runs\t1\t7\nr\tx\t1\t0\t0\t0\t0\t3\t0\t0\t0\t0\tn\tu\tf\np\tk\\qv\tv\n",
        "lendlab-runs\t1\t7\nr\tx\t1\t0\t0\t0\t0\t3\t0\t0\t0\t0\tn\tu\tf\na\t9k\n",
        "lendlab-runs\t1\t7\np\tk\tv\n", /* a param before any run */
        "lendlab-runs\t1\t7\nz\n",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        /* a correct trailer for each body: only the records are wrong */
        const char *b = bodies[i];
        size_t n = strlen(b), runs = 0;
        for (const char *p = b; (p = strstr(p, "\nr\t")); p++) runs++;
        uint64_t h = ll_runindex_checksum(b, n);
        char text[512];
        int len =
            snprintf(text, sizeof text, "%send\t%zu\t%016llx\n", b, runs, (unsigned long long)h);
        ll_runindex ix;
        assert_int_equal(ll_runindex_parse(text, (size_t)len, "7", &ix, NULL), LL_OK);
        if (ix.n) fail_msg("body %zu accepted", i);
    }
    /* the same trailer on a good body is accepted; the checksum is FNV-1a 64 */
    assert_true(ll_runindex_checksum("a", 1) == 0xaf63dc4c8601ec8cULL);
    const char *good = "lendlab-runs\t1\t7\nr\tx\t1\t0\t0\t0\t0\t3\t0\t0\t0\t0\tn\tu\tf\n";
    uint64_t h = ll_runindex_checksum(good, strlen(good));
    char text[512];
    int len = snprintf(text, sizeof text, "%send\t1\t%016llx\n", good, (unsigned long long)h);
    ll_runindex ix;
    assert_int_equal(ll_runindex_parse(text, (size_t)len, "7", &ix, NULL), LL_OK);
    assert_int_equal(ix.n, 1);
    ll_runindex_free(&ix);
}

static double list_auc(ll_store *st, const char *run_id, int rescan, const char **model)
{
    ll_sortkey sort[1];
    size_t nsort;
    ll_error err;
    assert_int_equal(ll_filter_parse_sort("-metrics.auc", sort, 1, &nsort, &err), LL_OK);
    const char *keys[] = {"params.model", "tags.stage"};
    ll_run_query q = {.sort = sort, .nsort = nsort, .keys = keys, .nkeys = 2, .rescan = rescan};
    ll_run_list rl;
    assert_int_equal(ll_store_search_runs(st, &q, &rl, &err), LL_OK);
    double v = -1;
    static char mbuf[64];
    if (model) *model = NULL;
    for (size_t i = 0; i < rl.n; i++) {
        if (strcmp(rl.runs[i]->run_id, run_id)) continue;
        const ll_metric *m = ll_run_metric(rl.runs[i], "auc");
        v = m ? m->value : NAN;
        const char *t = ll_run_tag(rl.runs[i], "stage");
        snprintf(mbuf, sizeof mbuf, "%s", t ? t : "");
        if (model) *model = mbuf;
    }
    ll_run_list_free(&rl);
    return v;
}

static void new_run(ll_store *st, const char *name, double auc, int end, char *id)
{
    ll_run_handle *h;
    ll_error err;
    assert_int_equal(ll_store_run_begin(st, "credit", name, NULL, &h, &err), LL_OK);
    strcpy(id, ll_store_run_id(h));
    assert_int_equal(ll_store_log_param(h, "model", "gbdt", &err), LL_OK);
    assert_int_equal(ll_store_log_metric(h, "auc", auc, 0, &err), LL_OK);
    if (end)
        assert_int_equal(ll_store_run_end(h, LL_RUN_FINISHED, &err), LL_OK);
    else
        ll_store_run_abandon(h); /* stays RUNNING while this process lives */
}

/* Through the store: a listing writes the index of ended runs, the next one uses it, and every
 * change lendlab makes to a run is seen at once. */
static void test_store_listing_uses_index(void **state)
{
    char dir[512], path[1200], expdir[1024];
    snprintf(dir, sizeof dir, "%s/mlruns", (char *)*state);
    ll_store *st;
    ll_error err;
    assert_int_equal(ll_store_open(dir, 1, &st, &err), LL_OK);
    char a[40], b[40], c[40];
    new_run(st, "a", 0.70, 1, a);
    new_run(st, "b", 0.80, 1, b);
    new_run(st, "c", 0.90, 0, c);
    ll_experiment e;
    assert_int_equal(ll_store_experiment_find(st, "credit", &e, &err), LL_OK);
    snprintf(expdir, sizeof expdir, "%s", e.dir);
    snprintf(path, sizeof path, "%s/%s", expdir, LL_RUNINDEX_FILE);
    ll_experiment_clear(&e);

    /* just written: too recent to cache (the file system's clock is coarse) */
    assert_true(list_auc(st, a, 0, NULL) == 0.70);
    assert_false(ll_fsutil_exists(path));
    sleep(3);
    assert_true(list_auc(st, a, 0, NULL) == 0.70);
    assert_true(ll_fsutil_exists(path));
    ll_runindex ix;
    assert_int_equal(ll_runindex_load(expdir, "", &ix, NULL), LL_OK);
    assert_int_equal(ix.n, 0); /* another experiment id: not this index */
    char expid[64];
    snprintf(expid, sizeof expid, "%s", strrchr(expdir, '/') + 1);
    assert_int_equal(ll_runindex_load(expdir, expid, &ix, NULL), LL_OK);
    assert_int_equal(ix.n, 2); /* a and b; c is still running */
    int has_a = 0, has_b = 0;
    for (size_t i = 0; i < ix.n; i++) {
        has_a |= !strcmp(ix.items[i].name, a);
        has_b |= !strcmp(ix.items[i].name, b);
        assert_non_null(ll_run_metric(ix.items[i].run, "auc"));
        assert_string_equal(ll_run_param(ix.items[i].run, "model"), "gbdt");
    }
    assert_true(has_a && has_b);
    ll_runindex_free(&ix);

    /* the index is what the listing reads: a metric file changed behind lendlab's back (the
     * run directory untouched) is not seen, until a rescan */
    char mpath[1200];
    snprintf(mpath, sizeof mpath, "%s/%s/metrics/auc", expdir, a);
    FILE *f = fopen(mpath, "w");
    assert_non_null(f);
    fputs("1714557702000 0.5 0\n", f);
    fclose(f);
    assert_true(list_auc(st, a, 0, NULL) == 0.70);
    assert_true(list_auc(st, a, 1, NULL) == 0.5);
    assert_true(list_auc(st, a, 0, NULL) == 0.5); /* the rescan rewrote the index */

    /* a damaged index is ignored and written anew */
    FILE *g = fopen(path, "r+");
    assert_non_null(g);
    fseek(g, 40, SEEK_SET);
    fputc('#', g);
    fclose(g);
    assert_true(list_auc(st, a, 0, NULL) == 0.5);
    assert_true(list_auc(st, b, 0, NULL) == 0.80);
    assert_int_equal(ll_runindex_load(expdir, expid, &ix, NULL), LL_OK);
    assert_int_equal(ix.n, 2);
    ll_runindex_free(&ix);

    /* lendlab's own writes to an ended run are seen at once */
    const char *stage;
    assert_int_equal(ll_store_set_run_tag(st, a, "stage", "champion", &err), LL_OK);
    assert_true(list_auc(st, a, 0, &stage) == 0.5);
    assert_string_equal(stage, "champion");
    assert_int_equal(ll_store_delete_run(st, b, &err), LL_OK);
    assert_true(list_auc(st, b, 0, NULL) == -1); /* deleted: not listed */
    assert_int_equal(ll_store_restore_run(st, b, &err), LL_OK);
    assert_true(list_auc(st, b, 0, NULL) == 0.80);
    ll_run_handle *h;
    assert_int_equal(ll_store_run_reopen(st, b, &h, &err), LL_OK);
    assert_int_equal(ll_store_log_metric(h, "auc", 0.85, 1, &err), LL_OK);
    assert_int_equal(ll_store_run_flush(h, &err), LL_OK);
    assert_true(list_auc(st, b, 0, NULL) == 0.85);
    assert_int_equal(ll_store_run_end(h, LL_RUN_FINISHED, &err), LL_OK);
    assert_true(list_auc(st, b, 0, NULL) == 0.85);
    /* the running run is always read from its files */
    assert_true(list_auc(st, c, 0, NULL) == 0.90);

    /* a run removed from disk disappears from the listing */
    ll_run *r;
    assert_int_equal(ll_store_get_run(st, a, &r, &err), LL_OK);
    ll_run_free(r);
    char adir[1200];
    snprintf(adir, sizeof adir, "%s/%s", expdir, a);
    nftw(adir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    assert_true(list_auc(st, a, 0, NULL) == -1);
    ll_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse_roundtrip),
        cmocka_unit_test(test_parse_rejects_bad_records),
        cmocka_unit_test_setup_teardown(test_store_listing_uses_index, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
