/* grid: pure data-grid logic over an ll_table — view order (sorting), search, column widths. */
#include "grid.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

void tui_grid_identity(size_t *perm, size_t nrows)
{
    for (size_t i = 0; i < nrows; i++) perm[i] = i;
}

typedef struct {
    double key;
    size_t row;
    int missing;
} sort_item;

static int cmp_item(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (x->missing != y->missing) return x->missing - y->missing;
    if (!x->missing && x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

typedef struct {
    const char *s;
    int32_t i;
} dict_item;

static int cmp_dict(const void *a, const void *b)
{
    const dict_item *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Rank of each dictionary entry in byte order of the labels. */
static int32_t *dict_ranks(const ll_column *c)
{
    size_t n = c->ndict > 0 ? (size_t)c->ndict : 0;
    dict_item *order = malloc((n ? n : 1) * sizeof *order);
    int32_t *rank = malloc((n ? n : 1) * sizeof *rank);
    if (!order || !rank) {
        free(order);
        free(rank);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) order[i] = (dict_item){c->dict[i] ? c->dict[i] : "", (int32_t)i};
    qsort(order, n, sizeof *order, cmp_dict);
    for (size_t i = 0; i < n; i++) rank[order[i].i] = (int32_t)i;
    free(order);
    return rank;
}

int tui_grid_sort(const ll_table *t, size_t col, int desc, size_t *perm)
{
    tui_grid_identity(perm, t->nrows);
    if (col >= t->ncols || t->nrows == 0) return 0;
    const ll_column *c = &t->cols[col];
    sort_item *it = malloc(t->nrows * sizeof *it);
    if (!it) return -1;
    int32_t *rank = NULL;
    if (c->type == LL_COL_CATEGORICAL && !(rank = dict_ranks(c))) {
        free(it);
        return -1;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        double k;
        int miss;
        if (c->type == LL_COL_CATEGORICAL) {
            int32_t code = c->codes[r];
            miss = code < 0 || code >= c->ndict;
            k = miss ? 0 : rank[code];
        } else {
            k = c->num[r];
            miss = isnan(k);
        }
        it[r].key = desc ? -k : k;
        it[r].row = r;
        it[r].missing = miss;
    }
    qsort(it, t->nrows, sizeof *it, cmp_item);
    for (size_t r = 0; r < t->nrows; r++) perm[r] = it[r].row;
    free(it);
    free(rank);
    return 0;
}

int tui_contains_ci(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    if (!nl) return 1;
    for (const char *h = hay; *h; h++) {
        size_t k = 0;
        while (k < nl && h[k] && tolower((unsigned char)h[k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == nl) return 1;
    }
    return 0;
}

/* Could a formatted number contain needle? Only digits, sign, point and exponent appear. */
static int numeric_needle(const char *needle)
{
    for (const char *p = needle; *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr(".-+eE", *p)) return 0;
    return 1;
}

long tui_grid_find(const ll_table *t, const size_t *perm, size_t from, const char *needle,
                   long *col)
{
    return tui_grid_find_range(t, perm, from, t->nrows, needle, col);
}

long tui_grid_find_range(const ll_table *t, const size_t *perm, size_t from, size_t count,
                         const char *needle, long *col)
{
    if (!t->nrows || !needle || !*needle) return -1;
    /* precompute which dictionary entries match, so each row costs a lookup per column */
    unsigned char **hit = calloc(t->ncols ? t->ncols : 1, sizeof *hit);
    if (!hit) return -1;
    int numeric_ok = numeric_needle(needle);
    long found = -1;
    for (size_t c = 0; c < t->ncols; c++) {
        const ll_column *cc = &t->cols[c];
        if (cc->type == LL_COL_NUMERIC || !cc->dict) continue;
        int32_t nd = cc->type == LL_COL_BOOLEAN ? 2 : cc->ndict;
        hit[c] = calloc((size_t)(nd ? nd : 1), 1);
        if (!hit[c]) goto out;
        for (int32_t d = 0; d < nd; d++)
            hit[c][d] = cc->dict[d] && tui_contains_ci(cc->dict[d], needle);
    }
    if (count > t->nrows) count = t->nrows;
    for (size_t k = 0; k < count && found < 0; k++) {
        size_t v = (from + k) % t->nrows;
        size_t r = perm ? perm[v] : v;
        for (size_t c = 0; c < t->ncols; c++) {
            const ll_column *cc = &t->cols[c];
            int m = 0;
            if (cc->type == LL_COL_CATEGORICAL) {
                int32_t code = cc->codes[r];
                m = code >= 0 && code < cc->ndict && hit[c][code];
            } else if (cc->type == LL_COL_BOOLEAN && cc->dict) {
                double x = cc->num[r];
                m = !isnan(x) && hit[c][x != 0];
            } else if (numeric_ok && !isnan(cc->num[r])) {
                char buf[64];
                m = tui_contains_ci(ll_column_cell_text(cc, r, buf, sizeof buf), needle);
            }
            if (m) {
                found = (long)v;
                if (col) *col = (long)c;
                break;
            }
        }
    }
out:
    for (size_t c = 0; c < t->ncols; c++) free(hit[c]);
    free(hit);
    return found;
}

long tui_grid_find_column(const ll_table *t, size_t from, const char *needle)
{
    for (size_t k = 0; k < t->ncols; k++) {
        size_t c = (from + k) % t->ncols;
        if (tui_contains_ci(t->cols[c].name, needle)) return (long)c;
    }
    return -1;
}

void tui_grid_widths(const ll_table *t, size_t sample, int minw, int maxw, int *widths)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const ll_column *cc = &t->cols[c];
        int w = tui_text_width(cc->name, strlen(cc->name));
        if (cc->type == LL_COL_CATEGORICAL) {
            int32_t nd = cc->ndict < 5000 ? cc->ndict : 5000;
            for (int32_t d = 0; d < nd && w < maxw; d++) {
                int dw = tui_text_width(cc->dict[d], strlen(cc->dict[d]));
                if (dw > w) w = dw;
            }
        } else if (t->nrows) {
            size_t n = sample < t->nrows ? sample : t->nrows;
            for (size_t i = 0; i < n && w < maxw; i++) {
                size_t r = n == t->nrows ? i : (size_t)((double)i * t->nrows / n);
                char buf[64];
                const char *s = ll_column_cell_text(cc, r, buf, sizeof buf);
                int dw = tui_text_width(s, strlen(s));
                if (dw > w) w = dw;
            }
        }
        if (w < minw) w = minw;
        if (w > maxw) w = maxw;
        widths[c] = w;
    }
}
