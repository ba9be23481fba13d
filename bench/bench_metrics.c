/* bench_metrics: timing of AUC (one-shot and reusable context) and of the full metric set. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "metrics.h"

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

int main(int argc, char **argv)
{
    /* usage: bench_metrics [ROWS [spread|ties|narrow]] */
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1000000;
    int mode = argc > 2 ? (argv[2][0] == 't' ? 1 : argv[2][0] == 'n' ? 2 : 0) : 0;
    double *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    if (!y || !p) return 1;
    uint64_t s = 1;
    for (size_t i = 0; i < n; i++) {
        y[i] = lcg(&s) < 0.1;
        double u = lcg(&s) * 0.7 + 0.3 * y[i];
        p[i] = u < 1.0 ? u : 1.0;
        if (mode == 1) p[i] = floor(p[i] * 64.0) / 64.0; /* few distinct values, as early trees */
        if (mode == 2) p[i] = 0.5 + p[i] * 1e-9;         /* closer than float resolution */
    }
    ll_error err;
    double auc = 0, t0 = now();
    ll_metrics_auc(y, p, n, NULL, &auc, &err);
    double t1 = now();
    ll_auc_ctx *c;
    if (ll_auc_ctx_new(y, n, NULL, &c, &err) != LL_OK) return 1;
    double t2 = now();
    double a2 = 0;
    for (int r = 0; r < 10; r++) a2 = ll_auc_ctx_eval(c, p);
    double t3 = now();
    ll_auc_ctx_free(c);
    ll_metrics m;
    double t4 = now();
    ll_metrics_all(y, p, n, NULL, 0.5, &m, &err);
    double t5 = now();
    printf(
        "n=%zu auc=%.6f ll_metrics_auc %.1f ms, ctx eval %.1f ms (%.6f), ll_metrics_all %.1f ms\n",
        n, auc, 1e3 * (t1 - t0), 1e3 * (t3 - t2) / 10, a2, 1e3 * (t5 - t4));
    free(y);
    free(p);
    return 0;
}
