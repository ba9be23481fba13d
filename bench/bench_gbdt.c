/* bench_gbdt: gradient boosting fit/score timing on a CSV pair (lendlab pipeline end to end).
 *
 *   make build/liblendlab.a
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -iquote core $(pkg-config --cflags libcjson) \
 *      bench/bench_gbdt.c build/liblendlab.a $(pkg-config --libs libcurl libcjson) -lcsv \
 *      -lyaml -lm -lpthread -o /tmp/bench_gbdt
 *   /tmp/bench_gbdt TRAIN.csv [TEST.csv] [--trees 200] [--eta 0.1] [--depth 6] [--threads 2]
 *                   [--onehot N] [--progress] [--model-out F.json] [--model-in F.json]
 *                   [--xgb-out F.json] [--target Class] [--positive bad]
 *
 * Prints one JSON line per phase (wall and CPU seconds), like bench/peers.py prints XGBoost's.
 * Scoring is timed on the training rows (ll_gbdt_predict_raw and ll_gbdt_predict_binned). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "gbdt.h"
#include "metrics.h"
#include "prep.h"
#include "table.h"

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int die(const ll_error *err)
{
    char buf[1200];
    fprintf(stderr, "bench_gbdt: %s\n", ll_error_format(err, buf, sizeof buf));
    return 1;
}

static int progress(const ll_fit_progress *p, void *ud)
{
    (void)ud;
    if (p->iteration % 50 == 0 || p->iteration == p->total)
        fprintf(stderr, "iteration %d: train logloss %.5f auc %.4f, valid logloss %.5f auc %.4f\n",
                p->iteration, p->train_logloss, p->train_auc, p->valid_logloss, p->valid_auc);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

int main(int argc, char **argv)
{
    const char *train = NULL, *test = NULL, *target = "Class", *positive = "bad";
    const char *model_out = NULL, *model_in = NULL, *xgb_out = NULL;
    int with_progress = 0;
    ll_gbdt_params p;
    ll_gbdt_params_default(&p);
    p.n_estimators = 200;
    p.eta = 0.1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--trees") && v)
            p.n_estimators = atoi(argv[++i]);
        else if (!strcmp(a, "--eta") && v)
            p.eta = atof(argv[++i]);
        else if (!strcmp(a, "--depth") && v)
            p.max_depth = atoi(argv[++i]);
        else if (!strcmp(a, "--threads") && v)
            p.threads = atoi(argv[++i]);
        else if (!strcmp(a, "--onehot") && v)
            p.max_cat_to_onehot = atoi(argv[++i]);
        else if (!strcmp(a, "--progress"))
            with_progress = 1;
        else if (!strcmp(a, "--model-out") && v)
            model_out = argv[++i];
        else if (!strcmp(a, "--model-in") && v)
            model_in = argv[++i];
        else if (!strcmp(a, "--xgb-out") && v)
            xgb_out = argv[++i];
        else if (!strcmp(a, "--target") && v)
            target = argv[++i];
        else if (!strcmp(a, "--positive") && v)
            positive = argv[++i];
        else if (!train)
            train = a;
        else if (!test)
            test = a;
        else {
            fprintf(stderr, "bench_gbdt: unexpected argument %s\n", a);
            return 2;
        }
    }
    if (!train) {
        fprintf(stderr, "usage: bench_gbdt TRAIN.csv [TEST.csv] [options]\n");
        return 2;
    }
    ll_error err;
    ll_table *tr = NULL, *te = NULL;
    double t0 = now_s(CLOCK_MONOTONIC);
    if (ll_csv_read_table(train, NULL, &tr, NULL, &err) != LL_OK) return die(&err);
    if (test && ll_csv_read_table(test, NULL, &te, NULL, &err) != LL_OK) return die(&err);
    double load_s = now_s(CLOCK_MONOTONIC) - t0;
    ll_prep *plan = NULL;
    t0 = now_s(CLOCK_MONOTONIC);
    if (ll_prep_fit(tr, target, positive, NULL, &plan, &err) != LL_OK) return die(&err);
    ll_binned btr, bte;
    memset(&bte, 0, sizeof bte);
    if (ll_prep_binned(plan, tr, &btr, &err) != LL_OK) return die(&err);
    if (te && ll_prep_binned(plan, te, &bte, &err) != LL_OK) return die(&err);
    double *ytr = malloc(tr->nrows * sizeof *ytr);
    double *yte = te ? malloc(te->nrows * sizeof *yte) : NULL;
    if (!ytr || (te && !yte)) return 1;
    if (ll_prep_labels(plan, tr, ytr, &err) != LL_OK) return die(&err);
    if (te && ll_prep_labels(plan, te, yte, &err) != LL_OK) return die(&err);
    printf("{\"rows\": %zu, \"features\": %d, \"csv_load_s\": %.3f, \"prep_s\": %.3f}\n", tr->nrows,
           btr.nfeat, load_s, now_s(CLOCK_MONOTONIC) - t0);
    fflush(stdout);

    ll_gbdt *m = NULL;
    if (model_in) {
        char *text = slurp(model_in);
        cJSON *j = text ? cJSON_Parse(text) : NULL;
        free(text);
        if (!j || ll_gbdt_from_json(j, &m, &err) != LL_OK) {
            fprintf(stderr, "bench_gbdt: cannot load %s\n", model_in);
            return 1;
        }
        cJSON_Delete(j);
    } else {
        double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        if (ll_gbdt_fit(&btr, ytr, te ? &bte : NULL, yte, &p, with_progress ? progress : NULL, NULL,
                        NULL, &m, &err) != LL_OK)
            return die(&err);
        double fit_s = now_s(CLOCK_MONOTONIC) - w0, cpu_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        printf("{\"model\": \"lendlab_gbdt\", \"trees\": %d, \"threads\": %d, \"fit_s\": %.3f, "
               "\"fit_cpu_s\": %.3f}\n",
               ll_gbdt_ntrees(m), p.threads, fit_s, cpu_s);
    }
    if (te) {
        double *pr = malloc(te->nrows * sizeof *pr), auc = 0, ll = 0;
        ll_gbdt_predict_binned(m, &bte, pr);
        ll_metrics_auc(yte, pr, te->nrows, NULL, &auc, &err);
        ll_metrics_logloss(yte, pr, te->nrows, NULL, &ll, &err);
        printf("{\"test_rows\": %zu, \"auc\": %.4f, \"logloss\": %.4f}\n", te->nrows, auc, ll);
        free(pr);
    }
    fflush(stdout);
    size_t n = tr->nrows;
    int nf = ll_prep_nfeat(plan);
    double *x = malloc(n * (size_t)nf * sizeof *x), *out = malloc(n * sizeof *out);
    if (!x || !out) return 1;
    if (ll_prep_raw(plan, tr, x, &err) != LL_OK) return die(&err);
    for (int mode = 0; mode < 2; mode++) {
        double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        if (mode == 0)
            ll_gbdt_predict_raw(m, x, n, out);
        else
            ll_gbdt_predict_binned(m, &btr, out);
        double w = now_s(CLOCK_MONOTONIC) - w0, c = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        printf("{\"score\": \"%s\", \"rows\": %zu, \"wall_s\": %.3f, \"cpu_s\": %.3f, "
               "\"rows_per_s\": %.0f}\n",
               mode ? "binned" : "raw", n, w, c, (double)n / w);
    }
    if (model_out) {
        cJSON *j = ll_gbdt_to_json(m);
        char *s = j ? cJSON_PrintUnformatted(j) : NULL;
        FILE *f = s ? fopen(model_out, "w") : NULL;
        if (f) {
            fputs(s, f);
            fclose(f);
        }
        cJSON_free(s);
        cJSON_Delete(j);
    }
    if (xgb_out && ll_gbdt_export_xgboost(m, &btr, xgb_out, &err) != LL_OK) return die(&err);
    free(x);
    free(out);
    free(ytr);
    free(yte);
    ll_gbdt_free(m);
    ll_binned_free(&btr);
    ll_binned_free(&bte);
    ll_prep_free(plan);
    ll_table_free(tr);
    ll_table_free(te);
    return 0;
}
