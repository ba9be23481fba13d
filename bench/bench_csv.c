/* bench_csv: time ll_csv_read_table on one file (wall seconds, rows, columns, threads used).
 *
 * Build and run (from the repo root, after `make build/liblendlab.a`):
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -iquote core bench/bench_csv.c \
 *      build/liblendlab.a -lcsv -lcurl -lm -lpthread -o /tmp/bench_csv
 *   /usr/bin/time -v /tmp/bench_csv FILE [THREADS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "csv.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_csv FILE [THREADS]\n");
        return 2;
    }
    ll_csv_options opt = {0};
    if (argc > 2) opt.threads = atoi(argv[2]);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ll_table *t = NULL;
    ll_error err;
    ll_csv_report rep;
    ll_status st = ll_csv_read_table(argv[1], &opt, &t, &rep, &err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (st != LL_OK) {
        char buf[2048];
        fprintf(stderr, "%s\n", ll_error_format(&err, buf, sizeof buf));
        return 1;
    }
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%s: %zu rows, %zu columns, %.3f s, threads %d, passes %d\n", argv[1], t->nrows,
           t->ncols, s, rep.threads, rep.passes);
    ll_table_free(t);
    return 0;
}
