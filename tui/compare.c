/* compare: the pure logic of the Compare view — params of several runs side by side with their
 * differences, and metrics with the best run of each. */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted, deduplicated keys of the params (metrics = 0) or metrics of the runs. */
static size_t key_union(ll_run *const *runs, size_t n, int metrics, const char ***out)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += metrics ? runs[i]->nmetrics : runs[i]->nparams;
    *out = NULL;
    if (!total) return 0;
    const char **k = malloc(total * sizeof *k);
    if (!k) return (size_t)-1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = metrics ? runs[i]->nmetrics : runs[i]->nparams;
        for (size_t j = 0; j < c; j++)
            k[m++] = metrics ? runs[i]->metrics[j].key : runs[i]->params[j].key;
    }
    qsort(k, m, sizeof *k, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (!u || strcmp(k[u - 1], k[i])) k[u++] = k[i];
    *out = k;
    return u;
}

size_t tui_compare_params(ll_run *const *runs, size_t n, int diff_only, tui_cmp_param **out)
{
    *out = NULL;
    const char **keys;
    size_t nk = key_union(runs, n, 0, &keys);
    if (nk == (size_t)-1) return nk;
    if (!nk) return 0;
    tui_cmp_param *rows = malloc(nk * sizeof *rows);
    if (!rows) {
        free(keys);
        return (size_t)-1;
    }
    size_t o = 0;
    for (size_t k = 0; k < nk; k++) {
        const char *v0 = ll_run_param(runs[0], keys[k]);
        int equal = v0 != NULL;
        for (size_t i = 1; i < n && equal; i++) {
            const char *v = ll_run_param(runs[i], keys[k]);
            equal = v && !strcmp(v, v0);
        }
        if (diff_only && equal) continue;
        rows[o].key = keys[k];
        rows[o].equal = equal;
        o++;
    }
    free(keys);
    if (!o) {
        free(rows);
        return 0;
    }
    *out = rows;
    return o;
}

size_t tui_compare_metrics(ll_run *const *runs, size_t n, tui_cmp_metric **out)
{
    *out = NULL;
    const char **keys;
    size_t nk = key_union(runs, n, 1, &keys);
    if (nk == (size_t)-1) return nk;
    if (!nk) return 0;
    tui_cmp_metric *rows = malloc(nk * sizeof *rows);
    if (!rows) {
        free(keys);
        return (size_t)-1;
    }
    for (size_t k = 0; k < nk; k++) {
        int hb = ll_store_metric_higher_better(keys[k]);
        long best = -1;
        size_t have = 0;
        for (size_t i = 0; i < n; i++) {
            const ll_metric *m = ll_run_metric(runs[i], keys[k]);
            if (!m || isnan(m->value)) continue;
            have++;
            const ll_metric *b = best >= 0 ? ll_run_metric(runs[best], keys[k]) : NULL;
            if (!b || (hb ? m->value > b->value : m->value < b->value)) best = (long)i;
        }
        rows[k].key = keys[k];
        rows[k].higher_better = hb;
        rows[k].best = have >= 2 ? best : -1;
    }
    free(keys);
    *out = rows;
    return nk;
}
