/* bench_logreg: fit time of logistic regression on a synthetic 1M-row design (20 standardised
 * numeric columns, 3 categorical groups with 35 + 50 + 15 levels, deterministic), or on a CSV
 * through the real pipeline (ll_csv_read_table -> ll_prep_fit -> ll_prep_design). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "features.h"
#include "csv.h"
#include "logreg.h"
#include "metrics.h"
#include "prep.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

/* roughly standard normal: sum of 4 uniforms, rescaled */
static double gauss(uint64_t *s)
{
    return (lcg(s) + lcg(s) + lcg(s) + lcg(s) - 2.0) * 1.7320508075688772;
}

static int progress(const ll_fit_progress *p, void *ud)
{
    (void)ud;
    printf("  iter %2d  train logloss %.6f  auc %.6f  %.3f s\n", p->iteration, p->train_logloss,
           p->train_auc, p->elapsed_s);
    return 0;
}

static void fit_and_report(const ll_design *X, const double *y, int threads, int verbose,
                           double setup_s)
{
    ll_logreg_params prm;
    ll_logreg_params_default(&prm);
    prm.threads = threads;
    ll_logreg *m;
    ll_error err;
    double t0 = now();
    if (ll_logreg_fit(X, y, &prm, NULL, NULL, verbose ? progress : NULL, NULL, NULL, &m, &err) !=
        LL_OK) {
        fprintf(stderr, "fit failed: %s\n", err.msg);
        exit(1);
    }
    double t1 = now();
    ll_logreg_info info;
    ll_logreg_get_info(m, &info);
    double *p = malloc(X->n * sizeof *p), auc = NAN;
    double t2 = now();
    ll_logreg_predict(m, X, p);
    double t3 = now();
    ll_metrics_auc(y, p, X->n, NULL, &auc, &err);
    printf("rows %zu weights %d threads %d: load+prep %.3f s, fit %.3f s (%d Newton steps, %d CG "
           "steps, converged %d, |g|/|g0| %.2e), predict %.3f s, train AUC %.4f\n",
           X->n, X->nweights, threads, setup_s, t1 - t0, info.iterations, info.cg_iterations,
           info.converged, info.grad_norm_rel, t3 - t2, auc);
    free(p);
    ll_logreg_free(m);
}

static int run_csv(const char *path, int threads, int verbose)
{
    ll_error err;
    ll_table *t;
    ll_prep *plan;
    ll_design X;
    double t0 = now();
    if (ll_csv_read_table(path, NULL, &t, NULL, &err) != LL_OK ||
        ll_prep_fit(t, "Class", "bad", NULL, &plan, &err) != LL_OK ||
        ll_prep_design(plan, t, &X, &err) != LL_OK) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        return 1;
    }
    double *y = malloc(t->nrows * sizeof *y);
    if (!y || ll_prep_labels(plan, t, y, &err) != LL_OK) {
        fprintf(stderr, "%s: labels: %s\n", path, err.msg);
        free(y);
        ll_design_free(&X);
        ll_prep_free(plan);
        ll_table_free(t);
        return 1;
    }
    double t1 = now();
    fit_and_report(&X, y, threads, verbose, t1 - t0);
    free(y);
    ll_design_free(&X);
    ll_prep_free(plan);
    ll_table_free(t);
    return 0;
}

int main(int argc, char **argv)
{
    /* usage: bench_logreg [ROWS|CSVFILE [THREADS [-v]]] */
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    int verbose = argc > 3 && strcmp(argv[3], "-v") == 0;
    if (argc > 1 && strspn(argv[1], "0123456789") != strlen(argv[1]))
        return run_csv(argv[1], threads, verbose);
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1000000;
    enum { P = 20, G = 3 };
    static const int levels[G] = {35, 50, 15};
    ll_design X = {0};
    X.n = n;
    X.pnum = P;
    X.ncat = G;
    X.num = calloc(P, sizeof *X.num);
    X.cat = calloc(G, sizeof *X.cat);
    X.cat_levels = calloc(G, sizeof *X.cat_levels);
    X.cat_offset = calloc(G, sizeof *X.cat_offset);
    double *y = malloc(n * sizeof *y);
    int ok = X.num && X.cat && X.cat_levels && X.cat_offset && y;
    for (int j = 0; ok && j < P; j++) ok = (X.num[j] = malloc(n * sizeof(double))) != NULL;
    for (int g = 0; ok && g < G; g++) ok = (X.cat[g] = malloc(n * sizeof(int32_t))) != NULL;
    if (!ok) {
        fprintf(stderr, "out of memory\n");
        ll_design_free(&X);
        free(y);
        return 1;
    }
    int off = P;
    for (int g = 0; g < G; g++) {
        X.cat_levels[g] = levels[g];
        X.cat_offset[g] = off;
        off += levels[g];
    }
    X.nweights = off;
    uint64_t s = 2024;
    double beta[P];
    for (int j = 0; j < P; j++) beta[j] = (j % 3 == 0 ? 0.4 : 0.08) * (j % 2 ? -1.0 : 1.0);
    for (size_t i = 0; i < n; i++) {
        double common = gauss(&s), z = -3.0;
        for (int j = 0; j < P; j++) {
            double x = 0.6 * gauss(&s) + 0.4 * common; /* correlated columns, as real data */
            X.num[j][i] = x;
            z += beta[j] * x;
        }
        for (int g = 0; g < G; g++) {
            double u = lcg(&s);
            int32_t c = (int32_t)(u * u * levels[g]); /* skewed level frequencies */
            X.cat[g][i] = c;
            z += 0.6 * ((double)c / levels[g] - 0.3);
        }
        y[i] = lcg(&s) < 1.0 / (1.0 + exp(-z));
    }
    fit_and_report(&X, y, threads, verbose, 0.0);
    ll_design_free(&X);
    free(y);
    return 0;
}
