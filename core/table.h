/* table: the columnar in-memory dataset (numeric, categorical, boolean columns). */
#ifndef LL_TABLE_H
#define LL_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum {
    LL_COL_NUMERIC = 0, /* doubles, NaN for missing */
    LL_COL_CATEGORICAL, /* int32 codes into a string dictionary, -1 for missing */
    LL_COL_BOOLEAN,     /* doubles 0/1, NaN for missing; dict[0]/dict[1] = false/true spelling */
    LL_COL_TYPE_COUNT
} ll_coltype;

/* One column. Exactly one of num/codes is allocated, depending on type. */
typedef struct {
    char *name;
    ll_coltype type;
    double *num;    /* LL_COL_NUMERIC, LL_COL_BOOLEAN: nrows values */
    int32_t *codes; /* LL_COL_CATEGORICAL: nrows codes, -1 = missing */
    char **dict;    /* categorical: ndict strings; boolean: 2 spellings (may be NULL) */
    int32_t ndict;
    size_t missing; /* number of missing cells */
} ll_column;

typedef struct {
    char *source; /* path or URL it was loaded from (may be NULL) */
    size_t nrows;
    size_t ncols;
    ll_column *cols;
    size_t cap_cols;
} ll_table;

/* Type name as used in --json output: "numeric", "categorical", "boolean". */
const char *ll_coltype_name(ll_coltype t);
/* Parse a type name (as above, also "num", "cat", "bool"); returns -1 if unknown. */
int ll_coltype_parse(const char *s);

/* New empty table with nrows rows and no columns (source may be NULL). */
ll_table *ll_table_new(size_t nrows, const char *source);
void ll_table_free(ll_table *t);
/* Append a numeric (or boolean) column, copying values. Returns column index or -1 (ENOMEM). */
long ll_table_add_numeric(ll_table *t, const char *name, ll_coltype type, const double *values);
/* Append a categorical column, copying codes and dictionary. Returns column index or -1. */
long ll_table_add_categorical(ll_table *t, const char *name, const int32_t *codes,
                              const char *const *dict, int32_t ndict);
/* Append a column taking ownership of an already-built ll_column (name/arrays malloc'd).
 * Returns column index or -1 (col is then left untouched for the caller to free). */
long ll_table_adopt_column(ll_table *t, ll_column *col);
/* Index of the column named name, or -1. */
long ll_table_find(const ll_table *t, const char *name);
/* Free a column's contents (not the struct itself). */
void ll_column_clear(ll_column *c);
/* True when row r of column c is missing. */
int ll_column_is_missing(const ll_column *c, size_t r);
/* Text of a cell as it would be written back to CSV (numbers with %.17g shortest form,
 * categorical/boolean spellings, "" for missing) into buf; returns buf. */
const char *ll_column_cell_text(const ll_column *c, size_t r, char *buf, size_t len);

#endif
