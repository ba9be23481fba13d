/* table: the columnar in-memory dataset (numeric, categorical, boolean columns). */
#include "table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

const char *ll_coltype_name(ll_coltype t)
{
    switch (t) {
    case LL_COL_NUMERIC:
        return "numeric";
    case LL_COL_CATEGORICAL:
        return "categorical";
    case LL_COL_BOOLEAN:
        return "boolean";
    default:
        return "unknown";
    }
}

int ll_coltype_parse(const char *s)
{
    if (!s) return -1;
    if (!strcmp(s, "numeric") || !strcmp(s, "num")) return LL_COL_NUMERIC;
    if (!strcmp(s, "categorical") || !strcmp(s, "cat")) return LL_COL_CATEGORICAL;
    if (!strcmp(s, "boolean") || !strcmp(s, "bool")) return LL_COL_BOOLEAN;
    return -1;
}

ll_table *ll_table_new(size_t nrows, const char *source)
{
    ll_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->nrows = nrows;
    if (source && !(t->source = strdup(source))) {
        free(t);
        return NULL;
    }
    return t;
}

void ll_column_clear(ll_column *c)
{
    if (!c) return;
    free(c->name);
    free(c->num);
    free(c->codes);
    if (c->dict) {
        for (int32_t i = 0; i < c->ndict; i++) free(c->dict[i]);
        free(c->dict);
    }
    memset(c, 0, sizeof *c);
}

void ll_table_free(ll_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->ncols; i++) ll_column_clear(&t->cols[i]);
    free(t->cols);
    free(t->source);
    free(t);
}

long ll_table_adopt_column(ll_table *t, ll_column *col)
{
    if (t->ncols == t->cap_cols) {
        size_t cap = t->cap_cols ? t->cap_cols * 2 : 16;
        ll_column *n = realloc(t->cols, cap * sizeof *n);
        if (!n) return -1;
        t->cols = n;
        t->cap_cols = cap;
    }
    t->cols[t->ncols] = *col;
    return (long)t->ncols++;
}

static char **dict_copy(const char *const *dict, int32_t n)
{
    char **d = calloc(n > 0 ? (size_t)n : 1, sizeof *d);
    if (!d) return NULL;
    for (int32_t i = 0; i < n; i++) {
        if (!(d[i] = strdup(dict[i] ? dict[i] : ""))) {
            for (int32_t j = 0; j < i; j++) free(d[j]);
            free(d);
            return NULL;
        }
    }
    return d;
}

long ll_table_add_numeric(ll_table *t, const char *name, ll_coltype type, const double *values)
{
    ll_column c = {0};
    c.type = type == LL_COL_BOOLEAN ? LL_COL_BOOLEAN : LL_COL_NUMERIC;
    c.name = strdup(name);
    c.num = malloc((t->nrows ? t->nrows : 1) * sizeof *c.num);
    if (!c.name || !c.num) goto fail;
    for (size_t r = 0; r < t->nrows; r++) {
        c.num[r] = values[r];
        if (isnan(values[r])) c.missing++;
    }
    if (c.type == LL_COL_BOOLEAN) {
        const char *tf[2] = {"false", "true"};
        if (!(c.dict = dict_copy(tf, 2))) goto fail;
        c.ndict = 2;
    }
    long idx = ll_table_adopt_column(t, &c);
    if (idx >= 0) return idx;
fail:
    ll_column_clear(&c);
    return -1;
}

long ll_table_add_categorical(ll_table *t, const char *name, const int32_t *codes,
                              const char *const *dict, int32_t ndict)
{
    ll_column c = {0};
    c.type = LL_COL_CATEGORICAL;
    c.name = strdup(name);
    c.codes = malloc((t->nrows ? t->nrows : 1) * sizeof *c.codes);
    c.dict = dict_copy(dict, ndict);
    c.ndict = ndict;
    if (!c.name || !c.codes || !c.dict) goto fail;
    for (size_t r = 0; r < t->nrows; r++) {
        c.codes[r] = codes[r];
        if (codes[r] < 0) c.missing++;
    }
    long idx = ll_table_adopt_column(t, &c);
    if (idx >= 0) return idx;
fail:
    ll_column_clear(&c);
    return -1;
}

long ll_table_find(const ll_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (!strcmp(t->cols[i].name, name)) return (long)i;
    return -1;
}

int ll_column_is_missing(const ll_column *c, size_t r)
{
    if (c->type == LL_COL_CATEGORICAL) return c->codes[r] < 0;
    return isnan(c->num[r]);
}

const char *ll_column_cell_text(const ll_column *c, size_t r, char *buf, size_t len)
{
    if (ll_column_is_missing(c, r)) {
        if (len) buf[0] = '\0';
        return buf;
    }
    if (c->type == LL_COL_CATEGORICAL) {
        snprintf(buf, len, "%s", c->dict[c->codes[r]]);
    } else if (c->type == LL_COL_BOOLEAN && c->dict) {
        snprintf(buf, len, "%s", c->dict[c->num[r] != 0.0]);
    } else {
        ll_numfmt_double(c->num[r], buf, len);
    }
    return buf;
}
