/* compare: the pure logic of the Compare view — params of several runs side by side with their
 * differences, and metrics with the best run of each. */
#ifndef TUI_COMPARE_H
#define TUI_COMPARE_H

#include <stddef.h>

#include "store.h"

typedef struct {
    const char *key; /* borrowed from a run */
    int equal;       /* every run has the param, with the same value */
} tui_cmp_param;

typedef struct {
    const char *key; /* borrowed from a run */
    int higher_better;
    long best; /* index of the best run; -1 when fewer than two runs have the metric */
} tui_cmp_metric;

/* The union of the params of n runs, sorted by key, each marked equal or not; with diff_only
 * the equal ones are left out. *out is malloc'd (NULL when the count is 0). Returns the count,
 * or (size_t)-1 when out of memory. */
size_t tui_compare_params(ll_run *const *runs, size_t n, int diff_only, tui_cmp_param **out);
/* The union of the metrics of n runs, sorted by key, with the best run of each (highest, or
 * lowest for losses as ll_store_metric_higher_better says; the first of equal values; NaN
 * never wins), as the batch compare picks it. Same conventions as tui_compare_params. */
size_t tui_compare_metrics(ll_run *const *runs, size_t n, tui_cmp_metric **out);

#endif
