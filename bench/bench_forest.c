/* bench_forest: random forest fit/predict timing on a CSV pair (lendlab pipeline end to end).
 *
 *   make build/liblendlab.a
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -iquote core $(pkg-config --cflags libcjson) \
 *      bench/bench_forest.c build/liblendlab.a $(pkg-config --libs libcurl libcjson) -lcsv \
 *      -lyaml -lm -lpthread -o /tmp/bench_forest
 *   /tmp/bench_forest TRAIN.csv [TEST.csv] [--trees 200] [--threads 2] [--leaf 5]
 *                     [--depth 0] [--seed 0] [--target Class] [--positive bad]
 *
 * Prints one JSON line per phase, like bench/peers.py prints scikit-learn's figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "forest.h"
#include "metrics.h"
#include "prep.h"
#include "table.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int die(const ll_error *err)
{
    char buf[1200];
    fprintf(stderr, "bench_forest: %s\n", ll_error_format(err, buf, sizeof buf));
    return 1;
}

int main(int argc, char **argv)
{
    const char *train = NULL, *test = NULL, *target = "Class", *positive = "bad";
    ll_forest_params p;
    ll_forest_params_default(&p);
    p.n_trees = 200;
    p.min_samples_leaf = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--trees") && v)
            p.n_trees = atoi(argv[++i]);
        else if (!strcmp(a, "--threads") && v)
            p.threads = atoi(argv[++i]);
        else if (!strcmp(a, "--leaf") && v)
            p.min_samples_leaf = atoi(argv[++i]);
        else if (!strcmp(a, "--depth") && v)
            p.max_depth = atoi(argv[++i]);
        else if (!strcmp(a, "--seed") && v)
            p.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--target") && v)
            target = argv[++i];
        else if (!strcmp(a, "--positive") && v)
            positive = argv[++i];
        else if (!train)
            train = a;
        else if (!test)
            test = a;
        else {
            fprintf(stderr, "usage: bench_forest TRAIN.csv [TEST.csv] [--trees N] [--threads N] "
                            "[--leaf N] [--depth N] [--seed N] [--target C] [--positive V]\n");
            return 2;
        }
    }
    if (!train) {
        fprintf(stderr, "bench_forest: no training file\n");
        return 2;
    }
    ll_error err;
    ll_table *tr = NULL, *te = NULL;
    ll_prep *pp = NULL;
    ll_binned btr, bte;
    double t0 = now_s();
    if (ll_csv_read_table(train, NULL, &tr, NULL, &err) != LL_OK) return die(&err);
    double t1 = now_s();
    if (ll_prep_fit(tr, target, positive, NULL, &pp, &err) != LL_OK) return die(&err);
    double *y = malloc(tr->nrows * sizeof *y);
    if (!y || ll_prep_binned(pp, tr, &btr, &err) != LL_OK ||
        ll_prep_labels(pp, tr, y, &err) != LL_OK)
        return die(&err);
    double t2 = now_s();
    printf("{\"rows\": %zu, \"features\": %d, \"csv_load_s\": %.3f, \"prep_s\": %.3f}\n", tr->nrows,
           btr.nfeat, t1 - t0, t2 - t1);
    ll_forest *m = NULL;
    double t3 = now_s();
    if (ll_forest_fit(&btr, y, NULL, NULL, &p, NULL, NULL, NULL, &m, &err) != LL_OK)
        return die(&err);
    double fit_s = now_s() - t3;
    printf("{\"model\": \"lendlab_forest\", \"trees\": %d, \"threads\": %d, \"fit_s\": %.3f, "
           "\"oob_auc\": %.4f",
           p.n_trees, p.threads, fit_s, ll_forest_oob_auc(m));
    if (test) {
        if (ll_csv_read_table(test, NULL, &te, NULL, &err) != LL_OK) return die(&err);
        double *yt = malloc(te->nrows * sizeof *yt), *pr = malloc(te->nrows * sizeof *pr);
        if (!yt || !pr || ll_prep_binned(pp, te, &bte, &err) != LL_OK ||
            ll_prep_labels(pp, te, yt, &err) != LL_OK)
            return die(&err);
        double t4 = now_s();
        ll_forest_predict_binned(m, &bte, pr);
        double pred_s = now_s() - t4, auc = 0, ll = 0;
        ll_metrics_auc(yt, pr, te->nrows, NULL, &auc, NULL);
        ll_metrics_logloss(yt, pr, te->nrows, NULL, &ll, NULL);
        printf(", \"auc\": %.4f, \"logloss\": %.4f, \"predict_s\": %.4f", auc, ll, pred_s);
        free(yt);
        free(pr);
        ll_binned_free(&bte);
        ll_table_free(te);
    }
    printf("}\n");
    ll_forest_free(m);
    ll_binned_free(&btr);
    free(y);
    ll_prep_free(pp);
    ll_table_free(tr);
    return 0;
}
