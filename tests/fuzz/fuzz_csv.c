/* fuzz_csv: CSV loading (ll_csv_scan and ll_csv_read_table) of arbitrary bytes, read from an
 * in-memory file through its /proc/self/fd path. */
#include "fuzz_util.h"

#include "csv.h"
#include "table.h"

static int count_row(const ll_csv_row *row, void *ud)
{
    size_t *n = ud;
    for (size_t i = 0; i < row->nfields; i++)
        if (row->field[i][row->len[i]] != '\0') abort(); /* fields are NUL-terminated */
    ++*n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The last byte picks the options: delimiter (sniffed or fixed), skipping bad rows, and
     * a type override for the first column. */
    unsigned mode = fz_take_last(data, &size, 32);
    static const char delims[4] = {0, ',', ';', '\t'};
    const char *path = fz_memfd_path(0, data, size);

    ll_csv_options opt;
    memset(&opt, 0, sizeof opt);
    opt.delimiter = delims[mode & 3];
    opt.skip_bad_rows = (mode >> 2) & 1;
    opt.threads = 1;
    opt.cache_dir = "/nonexistent";
    static const char *const names[] = {"a", "id"};
    static const int types[] = {LL_COL_CATEGORICAL, LL_COL_NUMERIC};
    if (mode & 8) {
        opt.type_names = names;
        opt.types = types;
        opt.ntypes = 2;
    }

    ll_error err;
    ll_csv_report rep;
    size_t rows = 0;
    ll_status s = ll_csv_scan(path, &opt, count_row, &rows, &rep, &err);
    if (s != LL_OK && !err.msg[0]) {
        fprintf(stderr, "ll_csv_scan failed (%d) without an error message\n", (int)s);
        abort();
    }

    ll_table *t = NULL;
    int scanned = s == LL_OK;
    size_t scan_skipped = rep.skipped_rows;
    s = ll_csv_read_table(path, &opt, &t, &rep, &err);
    if (s == LL_OK) {
        if (!t) abort();
        /* Both readers check rows alike: the same rows pass (the header is the scan's first). */
        if (scanned && (rows != t->nrows + 1 || scan_skipped != rep.skipped_rows)) {
            fprintf(stderr,
                    "ll_csv_scan saw %zu rows (%zu skipped), ll_csv_read_table %zu + header "
                    "(%zu skipped)\n",
                    rows, scan_skipped, t->nrows, rep.skipped_rows);
            abort();
        }
        char buf[128];
        for (size_t c = 0; c < t->ncols; c++) {
            const ll_column *col = &t->cols[c];
            if (!col->name) abort();
            for (size_t r = 0; r < t->nrows; r++) {
                (void)ll_column_is_missing(col, r);
                (void)ll_column_cell_text(col, r, buf, sizeof buf);
                if (col->type == LL_COL_CATEGORICAL && col->codes[r] >= col->ndict) abort();
            }
        }
        ll_table_free(t);
    } else if (!err.msg[0]) {
        fprintf(stderr, "ll_csv_read_table failed (%d) without an error message\n", (int)s);
        abort();
    }
    return 0;
}
