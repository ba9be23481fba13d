/* csv: streaming CSV reading with libcsv into rows or a typed ll_table. */
#ifndef LL_CSV_H
#define LL_CSV_H

#include <stddef.h>

#include "error.h"
#include "table.h"

/* Progress: bytes read so far of total (total 0 if unknown). Return non-zero to cancel. */
typedef int (*ll_progress_fn)(size_t done, size_t total, void *ud);

typedef struct {
    char delimiter;                /* ',', ';', '\t'; 0 = sniff from the first line */
    int skip_bad_rows;             /* skip ragged/broken rows instead of failing */
    const char *const *type_names; /* optional per-column type overrides: names ... */
    const int *types;              /* ... and ll_coltype values */
    size_t ntypes;
    ll_progress_fn progress; /* optional */
    void *progress_ud;
    const volatile int *cancel; /* optional: non-zero cancels (LL_ECANCELLED) */
    const char *cache_dir;      /* for URLs: NULL = $XDG_CACHE_HOME/lendlab */
    int threads;                /* ll_csv_read_table: 0 = automatic, 1 = one thread only */
} ll_csv_options;

/* Longest field accepted (bytes after unquoting); longer ones are a parse error. */
#define LL_CSV_MAX_FIELD ((size_t)1 << 20)

/* What loading skipped (with skip_bad_rows). */
typedef struct {
    size_t skipped_rows;
    long first_skipped_lines[5]; /* 1-based line numbers of the first skipped rows */
    char delimiter;              /* delimiter actually used */
    int threads;                 /* threads whose parse was used (2 = file split in halves) */
    int passes;                  /* 2 when columns were re-read to recover their text */
} ll_csv_report;

/* One row handed to a scan callback: nfields fields, each field[i] of length len[i] (also
 * NUL-terminated), line = 1-based line number where the row starts. Valid during the call. */
typedef struct {
    const char *const *field;
    const size_t *len;
    size_t nfields;
    long line;
} ll_csv_row;

/* Row callback for ll_csv_scan; return non-zero to stop (scan then returns LL_ECANCELLED). */
typedef int (*ll_csv_row_fn)(const ll_csv_row *row, void *ud);

/* True when field text is one of the missing markers: "", NA, N/A, NaN, null, None
 * (case-insensitive for the words). */
int ll_csv_is_missing(const char *s, size_t len);

/* Stream every row (header included, as the first row) of path ("-" = stdin, or an http(s)
 * URL, fetched through the cache) through fn, in chunks, never holding the whole file.
 * Rows are checked like ll_csv_read_table checks them (field count, binary data); a file
 * with a header and no data rows is not an error here. report may be NULL. */
ll_status ll_csv_scan(const char *path, const ll_csv_options *opt, ll_csv_row_fn fn, void *ud,
                      ll_csv_report *report, ll_error *err);

/* Load a whole CSV into a typed columnar table, inferring each column's type over the whole
 * file (numeric, boolean, categorical) unless overridden. report may be NULL. */
ll_status ll_csv_read_table(const char *path, const ll_csv_options *opt, ll_table **out,
                            ll_csv_report *report, ll_error *err);

#endif
