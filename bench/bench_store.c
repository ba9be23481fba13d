/* bench_store: in-process timings of run listing on a large store (see bench/store.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "filter.h"
#include "store.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Run one query reps times; print min and median seconds. */
static int time_query(ll_store *st, const char *label, const ll_run_query *q, int reps)
{
    double t[16] = {0};
    size_t n = 0, matched = 0;
    for (int i = 0; i < reps; i++) {
        ll_error err = {0};
        ll_run_list l;
        double t0 = now();
        if (ll_store_search_runs(st, q, &l, &err)) {
            fprintf(stderr, "bench_store: %s\n", err.msg);
            return 1;
        }
        t[i] = now() - t0;
        n = l.n;
        matched = l.matched;
        ll_run_list_free(&l);
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    printf("  %-52s %6zu/%zu runs  min %.3f s  median %.3f s\n", label, n, matched, t[0],
           t[reps / 2]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_store STORE [REPS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1 || reps > 16) reps = 5;
    ll_store *st;
    ll_error err = {0};
    if (ll_store_open(argv[1], 0, &st, &err)) {
        fprintf(stderr, "bench_store: %s\n", err.msg);
        return 1;
    }
    ll_sortkey sort[1];
    size_t nsort;
    ll_filter *f;
    if (ll_filter_parse_sort("-metrics.auc", sort, 1, &nsort, &err) ||
        ll_filter_parse("params.model = 'gbdt' and metrics.logloss < 0.2", &f, &err)) {
        fprintf(stderr, "bench_store: %s\n", err.msg);
        return 1;
    }
    /* what `runs --sort -metrics.auc --limit 20` asks for */
    const char *keys[] = {"params.model", "metrics.auc", "metrics.ks", "metrics.logloss"};
    ll_run_query top = {.sort = sort, .nsort = nsort, .limit = 20, .keys = keys, .nkeys = 4};
    ll_run_query table = {.sort = sort, .nsort = nsort, .keys = keys, .nkeys = 4};
    ll_run_query filtered = {
        .filter = f, .sort = sort, .nsort = nsort, .limit = 20, .keys = keys, .nkeys = 4};
    ll_run_query full = {.load_all = 1};
    printf("in-process ll_store_search_runs (%d repetitions, page cache warm):\n", reps);
    int rc = time_query(st, "list: sort -metrics.auc, limit 20", &top, reps) ||
             time_query(st, "list: every run, model/auc/ks/logloss loaded", &table, reps) ||
             time_query(st, "list: filter + sort + limit 20", &filtered, reps) ||
             time_query(st, "list: every run, every param/metric/tag (1st reads files)", &full, 2);
    ll_filter_free(f);
    ll_store_close(st);
    return rc;
}
