/* Unit tests for csv: parsing edge cases, type inference, errors, the parallel loader. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "csv.h"
#include "numfmt.h"

#define FIX "fixtures/csv/"

static ll_table *load_opt(const char *path, const ll_csv_options *opt, ll_csv_report *rep)
{
    ll_table *t = NULL;
    ll_error err;
    ll_status st = ll_csv_read_table(path, opt, &t, rep, &err);
    if (st != LL_OK) {
        char buf[2048];
        print_error("%s: %s\n", path, ll_error_format(&err, buf, sizeof buf));
    }
    assert_int_equal(st, LL_OK);
    assert_non_null(t);
    return t;
}

static ll_table *load(const char *path)
{
    return load_opt(path, NULL, NULL);
}

/* Load expecting failure; returns the error. */
static ll_error load_fail(const char *path, const ll_csv_options *opt, ll_status want)
{
    ll_table *t = (ll_table *)1;
    ll_error err;
    ll_status st = ll_csv_read_table(path, opt, &t, NULL, &err);
    assert_int_equal(st, want);
    assert_int_equal(err.code, want);
    assert_null(t);
    return err;
}

static const ll_column *col(const ll_table *t, const char *name)
{
    long i = ll_table_find(t, name);
    if (i < 0) print_error("no column %s\n", name);
    assert_true(i >= 0);
    return &t->cols[i];
}

static const char *cell(const ll_column *c, size_t r)
{
    assert_int_equal(c->type, LL_COL_CATEGORICAL);
    if (c->codes[r] < 0) return NULL;
    assert_true(c->codes[r] < c->ndict);
    return c->dict[c->codes[r]];
}

/* ---- scan ---------------------------------------------------------------------------- */

typedef struct {
    size_t nrows;
    long lines[16];
    char text[16][4][32];
    size_t nf[16];
    size_t stop_after;
} scan_rec;

static int rec_row(const ll_csv_row *row, void *ud)
{
    scan_rec *R = ud;
    if (R->nrows < 16) {
        R->lines[R->nrows] = row->line;
        R->nf[R->nrows] = row->nfields;
        for (size_t i = 0; i < row->nfields && i < 4; i++) {
            assert_int_equal(strlen(row->field[i]), row->len[i]); /* NUL-terminated */
            snprintf(R->text[R->nrows][i], 32, "%s", row->field[i]);
        }
    }
    R->nrows++;
    return R->stop_after && R->nrows >= R->stop_after;
}

static void test_scan_quoted(void **state)
{
    (void)state;
    scan_rec R;
    memset(&R, 0, sizeof R);
    ll_error err;
    ll_csv_report rep;
    assert_int_equal(ll_csv_scan(FIX "quoted.csv", NULL, rec_row, &R, &rep, &err), LL_OK);
    assert_int_equal(R.nrows, 5);
    assert_string_equal(R.text[0][0], "id"); /* header first */
    assert_string_equal(R.text[1][1], "hello, world");
    assert_string_equal(R.text[2][1], "she said \"hi\"");
    assert_string_equal(R.text[3][1], "multi\nline\ntext");
    assert_string_equal(R.text[4][1], "plain");
    const long lines[] = {1, 2, 3, 4, 7};
    for (int i = 0; i < 5; i++) assert_int_equal(R.lines[i], lines[i]);
    assert_int_equal(rep.delimiter, ',');
}

static void test_scan_crlf_and_blank_lines(void **state)
{
    (void)state;
    scan_rec R;
    memset(&R, 0, sizeof R);
    ll_error err;
    assert_int_equal(ll_csv_scan(FIX "crlf.csv", NULL, rec_row, &R, NULL, &err), LL_OK);
    assert_int_equal(R.nrows, 4);
    assert_string_equal(R.text[0][2], "amount"); /* no stray CR */
    assert_string_equal(R.text[1][1], "a\r\nb");
    assert_string_equal(R.text[3][1], "x, y");
    const long lines[] = {1, 2, 4, 5};
    for (int i = 0; i < 4; i++) assert_int_equal(R.lines[i], lines[i]);

    /* old Mac line ends (CR only), also inside a quoted field */
    memset(&R, 0, sizeof R);
    assert_int_equal(ll_csv_scan(FIX "cr_only.csv", NULL, rec_row, &R, NULL, &err), LL_OK);
    assert_int_equal(R.nrows, 4);
    assert_string_equal(R.text[2][1], "p\rq");
    const long cr_lines[] = {1, 2, 3, 5};
    for (int i = 0; i < 4; i++) assert_int_equal(R.lines[i], cr_lines[i]);

    memset(&R, 0, sizeof R);
    assert_int_equal(ll_csv_scan(FIX "no_final_newline.csv", NULL, rec_row, &R, NULL, &err), LL_OK);
    assert_int_equal(R.nrows, 3);
    assert_string_equal(R.text[2][1], "4");
    assert_int_equal(R.lines[2], 3);

    memset(&R, 0, sizeof R);
    assert_int_equal(ll_csv_scan(FIX "blank_lines.csv", NULL, rec_row, &R, NULL, &err), LL_OK);
    assert_int_equal(R.nrows, 3);
    assert_int_equal(R.lines[1], 3);
    assert_int_equal(R.lines[2], 6);
}

static void test_scan_stop_and_errors(void **state)
{
    (void)state;
    scan_rec R;
    memset(&R, 0, sizeof R);
    R.stop_after = 2;
    ll_error err;
    assert_int_equal(ll_csv_scan(FIX "quoted.csv", NULL, rec_row, &R, NULL, &err), LL_ECANCELLED);
    assert_int_equal(R.nrows, 2);

    memset(&R, 0, sizeof R);
    assert_int_equal(ll_csv_scan(FIX "ragged.csv", NULL, rec_row, &R, NULL, &err), LL_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 3);
    assert_int_equal(R.nrows, 2);

    memset(&R, 0, sizeof R);
    assert_int_equal(ll_csv_scan(FIX "empty.csv", NULL, rec_row, &R, NULL, &err), LL_EPARSE);
    assert_non_null(strstr(err.msg, "empty file"));

    /* header only is fine for a scan */
    memset(&R, 0, sizeof R);
    assert_int_equal(ll_csv_scan(FIX "header_only.csv", NULL, rec_row, &R, NULL, &err), LL_OK);
    assert_int_equal(R.nrows, 1);

    assert_int_equal(ll_csv_scan(FIX "no_such.csv", NULL, rec_row, &R, NULL, &err), LL_ENOTFOUND);
}

/* ---- dialects ------------------------------------------------------------------------ */

static void test_quoted_and_crlf_tables(void **state)
{
    (void)state;
    ll_table *t = load(FIX "quoted.csv");
    assert_int_equal(t->nrows, 4);
    assert_int_equal(t->ncols, 3);
    assert_int_equal(col(t, "id")->type, LL_COL_NUMERIC);
    assert_string_equal(cell(col(t, "text"), 0), "hello, world");
    assert_string_equal(cell(col(t, "text"), 1), "she said \"hi\"");
    assert_string_equal(cell(col(t, "text"), 2), "multi\nline\ntext");
    assert_true(col(t, "amount")->num[3] == 40.0);
    assert_string_equal(t->source, FIX "quoted.csv");
    ll_table_free(t);

    t = load(FIX "crlf.csv");
    assert_int_equal(t->nrows, 3);
    assert_string_equal(t->cols[2].name, "amount");
    assert_int_equal(col(t, "amount")->type, LL_COL_NUMERIC);
    assert_true(col(t, "amount")->num[2] == 30.0);
    assert_string_equal(cell(col(t, "text"), 0), "a\r\nb");
    ll_table_free(t);
}

static void test_bom_and_delimiters(void **state)
{
    (void)state;
    ll_csv_report rep;
    ll_table *t = load_opt(FIX "bom.csv", NULL, &rep);
    assert_string_equal(t->cols[0].name, "name");
    assert_int_equal(col(t, "value")->type, LL_COL_NUMERIC);
    ll_table_free(t);

    t = load_opt(FIX "semicolon.csv", NULL, &rep);
    assert_int_equal(rep.delimiter, ';');
    assert_int_equal(t->ncols, 3);
    /* a decimal comma is text, not a number */
    assert_string_equal(cell(col(t, "b"), 0), "2,5");
    assert_int_equal(col(t, "a")->type, LL_COL_NUMERIC);
    ll_table_free(t);

    t = load_opt(FIX "tab.tsv", NULL, &rep);
    assert_int_equal(rep.delimiter, '\t');
    assert_int_equal(t->ncols, 3);
    assert_string_equal(cell(col(t, "b"), 0), "x y");
    assert_string_equal(cell(col(t, "c"), 0), "q\tr");
    assert_null(cell(col(t, "c"), 1));
    ll_table_free(t);

    t = load_opt(FIX "explicit.csv", NULL, &rep);
    assert_int_equal(rep.delimiter, ';');
    assert_int_equal(t->ncols, 3);
    assert_string_equal(t->cols[1].name, "y,z");
    ll_table_free(t);
    ll_csv_options o = {0};
    o.delimiter = ',';
    t = load_opt(FIX "explicit.csv", &o, &rep);
    assert_int_equal(rep.delimiter, ',');
    assert_int_equal(t->ncols, 2);
    assert_string_equal(t->cols[0].name, "x;y");
    assert_string_equal(cell(&t->cols[1], 0), "3;4");
    ll_table_free(t);
}

static void test_missing_markers(void **state)
{
    (void)state;
    const char *yes[] = {"",    "NA",   "na",   "N/A",  "n/a",  "NaN", "nan",
                         "NAN", "null", "NULL", "None", "NONE", "none"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        assert_true(ll_csv_is_missing(yes[i], strlen(yes[i])));
    const char *no[] = {"0", "N", "n", "NAA", "nil", "NA ", "-", "Nonee", "N-A", "nulls"};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(ll_csv_is_missing(no[i], strlen(no[i])));

    ll_table *t = load(FIX "missing.csv");
    assert_int_equal(t->nrows, 12);
    const ll_column *n = col(t, "num");
    assert_int_equal(n->type, LL_COL_NUMERIC);
    assert_int_equal(n->missing, 11);
    assert_true(n->num[0] == 1.5);
    for (size_t r = 1; r < 12; r++) assert_true(isnan(n->num[r]));
    const ll_column *c = col(t, "cat");
    assert_int_equal(c->type, LL_COL_CATEGORICAL);
    assert_int_equal(c->missing, 4);
    assert_int_equal(c->ndict, 8);
    assert_string_equal(c->dict[7], "h");
    assert_null(cell(c, 8));
    assert_null(cell(c, 9));
    assert_null(cell(c, 10));
    assert_null(cell(c, 11));
    ll_table_free(t);
}

/* ---- type inference and overrides ---------------------------------------------------- */

static void assert_bool(const ll_column *c, const char *f, const char *t, const double *v)
{
    assert_int_equal(c->type, LL_COL_BOOLEAN);
    assert_int_equal(c->ndict, 2);
    assert_string_equal(c->dict[0], f);
    assert_string_equal(c->dict[1], t);
    for (int r = 0; r < 4; r++) assert_true(c->num[r] == v[r]);
}

static void test_type_inference(void **state)
{
    (void)state;
    ll_table *t = load(FIX "types.csv");
    assert_int_equal(t->nrows, 4);
    const ll_column *n = col(t, "n");
    assert_int_equal(n->type, LL_COL_NUMERIC);
    assert_true(n->num[0] == 1.5 && n->num[2] == -300.0);
    const ll_column *c = col(t, "c");
    assert_int_equal(c->ndict, 3);
    assert_string_equal(c->dict[0], "x");
    assert_int_equal(c->codes[2], 0);
    assert_int_equal(c->codes[3], 2);
    const double v0110[] = {0, 1, 1, 0}, v1010[] = {1, 0, 1, 0};
    assert_bool(col(t, "b01"), "0", "1", v0110);
    assert_bool(col(t, "yn"), "no", "Yes", v1010);
    assert_bool(col(t, "tf"), "False", "true", v1010);
    assert_bool(col(t, "yn1"), "n", "y", v1010);
    assert_bool(col(t, "tf2"), "f", "T", v1010);
    const ll_column *m = col(t, "mixed");
    assert_int_equal(m->ndict, 4);
    assert_string_equal(cell(m, 2), "maybe");
    assert_string_equal(cell(m, 3), "1");
    /* numbers first, then a word: the original spellings survive */
    const ll_column *z = col(t, "lead0");
    assert_int_equal(z->type, LL_COL_CATEGORICAL);
    assert_int_equal(z->ndict, 4);
    assert_string_equal(cell(z, 0), "7");
    assert_string_equal(cell(z, 2), "007");
    assert_string_equal(cell(z, 3), "abc");
    const ll_column *a = col(t, "allna");
    assert_int_equal(a->type, LL_COL_NUMERIC);
    assert_int_equal(a->missing, 4);
    const ll_column *l = col(t, "latecat");
    assert_int_equal(l->type, LL_COL_CATEGORICAL);
    assert_int_equal(l->missing, 2);
    assert_int_equal(l->ndict, 2);
    assert_string_equal(cell(l, 2), "p");
    ll_table_free(t);
}

static void test_overrides(void **state)
{
    (void)state;
    const char *names[] = {"n", "b01", "yn", "tf"};
    const int types[] = {LL_COL_CATEGORICAL, LL_COL_CATEGORICAL, LL_COL_CATEGORICAL,
                         LL_COL_BOOLEAN};
    ll_csv_options o = {0};
    o.type_names = names;
    o.types = types;
    o.ntypes = 4;
    ll_table *t = load_opt(FIX "types.csv", &o, NULL);
    const ll_column *n = col(t, "n");
    assert_int_equal(n->type, LL_COL_CATEGORICAL);
    assert_string_equal(cell(n, 0), "1.5");
    assert_string_equal(cell(n, 2), "-3e2"); /* exact text */
    assert_string_equal(cell(col(t, "b01"), 1), "1");
    assert_int_equal(col(t, "b01")->ndict, 2);
    assert_int_equal(col(t, "yn")->ndict, 4);
    const double v1010[] = {1, 0, 1, 0};
    assert_bool(col(t, "tf"), "False", "true", v1010);
    ll_table_free(t);

    /* forced numeric on text: error names line and column */
    const char *cn[] = {"c"};
    const int tn[] = {LL_COL_NUMERIC};
    o.type_names = cn;
    o.types = tn;
    o.ntypes = 1;
    ll_error e = load_fail(FIX "types.csv", &o, LL_EPARSE);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 2);
    assert_non_null(strstr(e.msg, "'x' is not a number"));

    /* forced boolean on non-boolean text */
    const int tb[] = {LL_COL_BOOLEAN};
    o.types = tb;
    e = load_fail(FIX "types.csv", &o, LL_EPARSE);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 2);

    /* forced boolean mixing two spelling pairs: "yes" then "1" in column mixed */
    const char *mn[] = {"mixed"};
    o.type_names = mn;
    e = load_fail(FIX "types.csv", &o, LL_EPARSE);
    assert_int_equal(e.line, 4);
    assert_int_equal(e.column, 8);

    /* forced numeric on a 0/1 column keeps it numeric */
    const char *bn[] = {"b01"};
    o.type_names = bn;
    o.types = tn;
    t = load_opt(FIX "types.csv", &o, NULL);
    assert_int_equal(col(t, "b01")->type, LL_COL_NUMERIC);
    ll_table_free(t);

    const char *un[] = {"nope"};
    o.type_names = un;
    e = load_fail(FIX "types.csv", &o, LL_ENOTFOUND);
    assert_non_null(strstr(e.msg, "nope"));
}

/* ---- bad input ----------------------------------------------------------------------- */

static void check_err(const char *path, ll_status code, long line, long column, const char *msg)
{
    ll_error e = load_fail(path, NULL, code);
    if (!strstr(e.msg, msg)) print_error("message '%s' lacks '%s'\n", e.msg, msg);
    assert_non_null(strstr(e.msg, msg));
    assert_string_equal(e.file, path);
    assert_int_equal(e.line, line);
    assert_int_equal(e.column, column);
}

static void test_bad_input(void **state)
{
    (void)state;
    check_err(FIX "ragged.csv", LL_EPARSE, 3, 3, "expected 3 fields, found 2");
    check_err(FIX "ragged_more.csv", LL_EPARSE, 3, 3, "expected 2 fields, found 3");
    check_err(FIX "unterminated.csv", LL_EPARSE, 3, 2, "unterminated quote");
    check_err(FIX "nul.csv", LL_EPARSE, 3, 2, "binary data");
    check_err(FIX "badutf8.csv", LL_EPARSE, 3, 2, "binary data");
    check_err(FIX "empty.csv", LL_EPARSE, 1, 1, "empty file");
    check_err(FIX "header_only.csv", LL_EPARSE, 2, 1, "no data rows");
    check_err(FIX "dup_names.csv", LL_EPARSE, 1, 4, "duplicate column name 'b' (columns 2 and 4)");

    ll_error e = load_fail(FIX "does_not_exist.csv", NULL, LL_ENOTFOUND);
    assert_non_null(strstr(e.msg, FIX "does_not_exist.csv"));
    assert_string_equal(e.file, FIX "does_not_exist.csv");
    load_fail("fixtures/csv", NULL, LL_EIO); /* a directory */

    ll_table *t = load(FIX "empty_name.csv");
    assert_string_equal(t->cols[1].name, "column_2");
    ll_table_free(t);
}

static void test_skip_bad_rows(void **state)
{
    (void)state;
    ll_csv_options o = {0};
    o.skip_bad_rows = 1;
    ll_csv_report rep;
    ll_table *t = load_opt(FIX "skip.csv", &o, &rep);
    assert_int_equal(t->nrows, 4);
    assert_int_equal(rep.skipped_rows, 6);
    const long lines[] = {3, 6, 7, 9, 10};
    for (int i = 0; i < 5; i++) assert_int_equal(rep.first_skipped_lines[i], lines[i]);
    const ll_column *a = col(t, "a");
    assert_int_equal(a->type, LL_COL_NUMERIC);
    assert_true(a->num[1] == 4.0 && a->num[3] == 17.0);
    const ll_column *b = col(t, "b");
    assert_int_equal(b->ndict, 4);
    assert_string_equal(cell(b, 1), "x\ny");
    assert_string_equal(cell(b, 3), "18");
    ll_table_free(t);

    /* without the option the first bad row fails */
    check_err(FIX "skip.csv", LL_EPARSE, 3, 2, "expected 2 fields, found 1");

    t = load_opt(FIX "ragged.csv", &o, &rep);
    assert_int_equal(t->nrows, 2);
    assert_int_equal(rep.skipped_rows, 1);
    assert_int_equal(rep.first_skipped_lines[0], 3);
    assert_int_equal(rep.first_skipped_lines[1], 0);
    ll_table_free(t);
    t = load_opt(FIX "nul.csv", &o, &rep);
    assert_int_equal(t->nrows, 1);
    assert_int_equal(rep.first_skipped_lines[0], 3);
    ll_table_free(t);

    /* skipping cannot save a broken header, nor a file where every row is bad */
    ll_error e = load_fail(FIX "bad_header.csv", &o, LL_EPARSE);
    assert_int_equal(e.line, 1);
    assert_int_equal(e.column, 2);
    assert_non_null(strstr(e.msg, "binary data"));
    e = load_fail(FIX "all_bad.csv", &o, LL_EPARSE);
    assert_non_null(strstr(e.msg, "no data rows (2 bad rows skipped)"));
}

/* ---- big fields, generated files ----------------------------------------------------- */

static char tmpdir[64];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lendlab-test-csv-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

static void write_big_field(const char *path, size_t n, int quoted)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("a,b\n1,2\n3,", f);
    if (quoted) fputc('"', f);
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
        fwrite(chunk, 1, k, f);
        done += k;
    }
    if (quoted) fputc('"', f);
    fputs("\n5,6\n", f);
    fclose(f);
}

static void test_field_limit(void **state)
{
    (void)state;
    const char *p = tmp_path("big.csv");
    write_big_field(p, (size_t)10 << 20, 1);
    ll_error e = load_fail(p, NULL, LL_EPARSE);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 2);
    assert_non_null(strstr(e.msg, "longer than"));
    write_big_field(p, (size_t)10 << 20, 0);
    e = load_fail(p, NULL, LL_EPARSE);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 2);
    /* just over the limit, and exactly at it */
    write_big_field(p, LL_CSV_MAX_FIELD + 1, 1);
    e = load_fail(p, NULL, LL_EPARSE);
    assert_int_equal(e.line, 3);
    write_big_field(p, LL_CSV_MAX_FIELD, 1);
    ll_table *t = load(p);
    assert_int_equal(t->nrows, 3);
    assert_int_equal(strlen(cell(col(t, "b"), 1)), LL_CSV_MAX_FIELD);
    ll_table_free(t);
}

/* A file big enough to be split across two threads. Row i: id, value, text, flag. */
static void write_gen(const char *path, size_t rows, size_t word_at, size_t bad_at,
                      size_t big_quote_at)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("id,val,txt,flag,code\n", f);
    for (size_t i = 0; i < rows; i++) {
        if (i == bad_at) {
            fputs("1,2\n", f); /* ragged */
            continue;
        }
        fprintf(f, "%zu,%zu.%02zu,", i, i % 997, i % 100);
        if (i == big_quote_at) {
            /* a quoted field with many line breaks, wide enough to cover the middle */
            fputc('"', f);
            for (int k = 0; k < 20000; k++) fputs("line, \"\"q\"\"\n", f);
            fputc('"', f);
        } else if (i % 7 == 0) {
            fprintf(f, "\"t%zu,\nx\"", i % 13);
        } else {
            fprintf(f, "w%zu", i % 5);
        }
        fprintf(f, ",%s,", i % 3 ? "yes" : "no");
        if (i == word_at)
            fputs("oops", f);
        else
            fprintf(f, "%03zu", i % 50);
        fputc('\n', f);
    }
    fclose(f);
}

static void assert_tables_equal(const ll_table *a, const ll_table *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(a->ncols, b->ncols);
    char x[256], y[256];
    for (size_t c = 0; c < a->ncols; c++) {
        assert_string_equal(a->cols[c].name, b->cols[c].name);
        assert_int_equal(a->cols[c].type, b->cols[c].type);
        assert_int_equal(a->cols[c].ndict, b->cols[c].ndict);
        assert_int_equal(a->cols[c].missing, b->cols[c].missing);
        for (int32_t k = 0; k < a->cols[c].ndict; k++)
            assert_string_equal(a->cols[c].dict[k], b->cols[c].dict[k]);
        for (size_t r = 0; r < a->nrows; r++) {
            ll_column_cell_text(&a->cols[c], r, x, sizeof x);
            ll_column_cell_text(&b->cols[c], r, y, sizeof y);
            if (strcmp(x, y)) print_error("col %zu row %zu: %s vs %s\n", c, r, x, y);
            assert_string_equal(x, y);
        }
    }
}

/* Load path on one thread and on two; want_threads: what the automatic load should use. */
static void check_parallel_same(const char *path, int want_threads, int want_passes)
{
    ll_csv_options one = {0}, two = {0};
    one.threads = 1;
    ll_csv_report r1, r2;
    ll_table *a = load_opt(path, &one, &r1);
    ll_table *b = load_opt(path, &two, &r2);
    assert_int_equal(r1.threads, 1);
    if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) assert_int_equal(r2.threads, want_threads);
    assert_int_equal(r1.passes, want_passes);
    assert_int_equal(r2.passes, want_passes);
    assert_tables_equal(a, b);
    ll_table_free(a);
    ll_table_free(b);
}

static void test_parallel_matches_single(void **state)
{
    (void)state;
    const char *p = tmp_path("gen.csv");
    const size_t rows = 60000;
    write_gen(p, rows, (size_t)-1, (size_t)-1, (size_t)-1);
    ll_table *t = load(p);
    assert_int_equal(t->nrows, rows);
    assert_int_equal(col(t, "id")->type, LL_COL_NUMERIC);
    assert_true(col(t, "id")->num[rows - 1] == (double)(rows - 1));
    assert_true(col(t, "val")->num[12345] == 12345 % 997 + 0.45);
    assert_int_equal(col(t, "txt")->ndict, 5 + 13);
    assert_string_equal(cell(col(t, "txt"), 7), "t7,\nx");
    assert_int_equal(col(t, "flag")->type, LL_COL_BOOLEAN);
    assert_string_equal(col(t, "flag")->dict[0], "no");
    assert_int_equal(col(t, "code")->type, LL_COL_NUMERIC);
    ll_table_free(t);
    check_parallel_same(p, 2, 1);

    /* a word late in the file: "code" must come back with its zero-padded text */
    write_gen(p, rows, rows - 3, (size_t)-1, (size_t)-1);
    t = load(p);
    const ll_column *c = col(t, "code");
    assert_int_equal(c->type, LL_COL_CATEGORICAL);
    assert_int_equal(c->ndict, 51);
    assert_string_equal(cell(c, 1), "001");
    assert_string_equal(cell(c, rows - 3), "oops");
    ll_table_free(t);
    check_parallel_same(p, 2, 2);
    /* and early in the file */
    write_gen(p, rows, 2, (size_t)-1, (size_t)-1);
    check_parallel_same(p, 2, 2);

    /* the middle of the file inside a quoted field: the split must be rejected */
    write_gen(p, 45000, (size_t)-1, (size_t)-1, 26000); /* 1.32 MB, quote spans 620-860 kB */
    check_parallel_same(p, 1, 1);
    t = load(p);
    assert_int_equal(t->nrows, 45000);
    ll_table_free(t);
}

/* Line of row i (0-based data row) in a file from write_gen without big fields. */
static long gen_line(size_t i)
{
    /* header is line 1; rows with i % 7 == 0 take two lines */
    return 2 + (long)i + (long)((i + 6) / 7);
}

static void test_parallel_error_lines(void **state)
{
    (void)state;
    const char *p = tmp_path("gen_err.csv");
    const size_t rows = 60000;
    size_t bad = rows - 10;
    write_gen(p, rows, (size_t)-1, bad, (size_t)-1);
    for (int threads = 0; threads <= 1; threads++) {
        ll_csv_options o = {0};
        o.threads = threads;
        ll_error e = load_fail(p, &o, LL_EPARSE);
        assert_int_equal(e.line, gen_line(bad));
        assert_int_equal(e.column, 3);
        o.skip_bad_rows = 1;
        ll_csv_report rep;
        ll_table *t = load_opt(p, &o, &rep);
        assert_int_equal(t->nrows, rows - 1);
        assert_int_equal(rep.skipped_rows, 1);
        assert_int_equal(rep.first_skipped_lines[0], gen_line(bad));
        ll_table_free(t);
    }
    /* one bad row in each half */
    ll_csv_options o = {0};
    o.skip_bad_rows = 1;
    ll_csv_report rep;
    write_gen(p, rows, (size_t)-1, 100, (size_t)-1);
    FILE *f = fopen(p, "ab");
    assert_non_null(f);
    fputs("x\n", f);
    fclose(f);
    ll_table *t = load_opt(p, &o, &rep);
    assert_int_equal(rep.skipped_rows, 2);
    assert_int_equal(rep.first_skipped_lines[0], gen_line(100));
    assert_int_equal(rep.first_skipped_lines[1], gen_line(rows));
    ll_table_free(t);
}

/* Numbers through the loader equal ll_numparse bit for bit (the loader has a fast path). */
static void test_numbers_match_numparse(void **state)
{
    (void)state;
    const char *fixed[] = {"0",
                           "-0",
                           "1.",
                           ".5",
                           "+3",
                           "1e5",
                           "-2.5E-3",
                           "00012.50",
                           "123456789012345",
                           "1234567890123456",
                           "9007199254740993",
                           "0.000000000000001",
                           "3.141592653589793",
                           "-999999999999999.9",
                           "0.1",
                           "13.99",
                           "4.35",
                           "1e-320",
                           "1e308"};
    const size_t nfixed = sizeof fixed / sizeof *fixed, nrand = 5000;
    const char *p = tmp_path("numbers.csv");
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs("x\n", f);
    char(*text)[40] = calloc(nfixed + nrand, sizeof *text);
    assert_non_null(text);
    srand(7);
    for (size_t i = 0; i < nfixed + nrand; i++) {
        if (i < nfixed) {
            snprintf(text[i], 40, "%s", fixed[i]);
        } else {
            /* up to 18 digits with the point anywhere, sometimes negative */
            int nd = 1 + rand() % 18, dot = rand() % (nd + 1), k = 0;
            if (rand() % 3 == 0) text[i][k++] = '-';
            for (int d = 0; d < nd; d++) {
                if (d == dot && d > 0) text[i][k++] = '.';
                text[i][k++] = (char)('0' + rand() % 10);
            }
            text[i][k] = '\0';
        }
        fprintf(f, "%s\n", text[i]);
    }
    fclose(f);
    ll_table *t = load(p);
    const ll_column *c = col(t, "x");
    assert_int_equal(c->type, LL_COL_NUMERIC);
    assert_int_equal(t->nrows, nfixed + nrand);
    for (size_t i = 0; i < t->nrows; i++) {
        double want;
        assert_true(ll_numparse(text[i], strlen(text[i]), &want));
        if (memcmp(&want, &c->num[i], sizeof want) != 0)
            print_error("%s: %.17g vs %.17g\n", text[i], c->num[i], want);
        assert_memory_equal(&want, &c->num[i], sizeof want);
    }
    free(text);
    ll_table_free(t);
}

/* ---- progress, cancel, stdin, the real data set -------------------------------------- */

typedef struct {
    size_t calls, last_done, last_total;
    int cancel_at;
} prog_rec;

static int on_progress(size_t done, size_t total, void *ud)
{
    prog_rec *P = ud;
    P->calls++;
    assert_true(done <= total);
    P->last_done = done;
    P->last_total = total;
    return P->cancel_at && (int)P->calls >= P->cancel_at;
}

static void test_progress_and_cancel(void **state)
{
    (void)state;
    const char *p = tmp_path("gen_prog.csv");
    write_gen(p, 60000, (size_t)-1, (size_t)-1, (size_t)-1);
    prog_rec pr = {0};
    ll_csv_options o = {0};
    o.progress = on_progress;
    o.progress_ud = &pr;
    ll_table *t = load_opt(p, &o, NULL);
    ll_table_free(t);
    assert_true(pr.calls >= 2);
    assert_true(pr.last_total > 1000000);
    assert_int_equal(pr.last_done, pr.last_total);

    memset(&pr, 0, sizeof pr);
    pr.cancel_at = 1;
    load_fail(p, &o, LL_ECANCELLED);

    volatile int cancel = 1;
    ll_csv_options c = {0};
    c.cancel = &cancel;
    load_fail(p, &c, LL_ECANCELLED);
    scan_rec R;
    memset(&R, 0, sizeof R);
    ll_error err;
    assert_int_equal(ll_csv_scan(p, &c, rec_row, &R, NULL, &err), LL_ECANCELLED);
}

static void test_stdin(void **state)
{
    (void)state;
    assert_non_null(freopen(FIX "quoted.csv", "rb", stdin));
    ll_table *t = load("-");
    assert_int_equal(t->nrows, 4);
    assert_string_equal(cell(col(t, "text"), 2), "multi\nline\ntext");
    ll_table_free(t);
    /* errors name stdin */
    assert_non_null(freopen(FIX "ragged.csv", "rb", stdin));
    ll_error e = load_fail("-", NULL, LL_EPARSE);
    assert_string_equal(e.file, "<stdin>");
    assert_int_equal(e.line, 3);
    /* and the streaming scan reads stdin directly */
    assert_non_null(freopen(FIX "quoted.csv", "rb", stdin));
    scan_rec R;
    memset(&R, 0, sizeof R);
    assert_int_equal(ll_csv_scan("-", NULL, rec_row, &R, NULL, &e), LL_OK);
    assert_int_equal(R.nrows, 5);
    assert_int_equal(R.lines[4], 7);
}

static void test_url_goes_through_fetch(void **state)
{
    (void)state;
    /* nothing listens on port 1: the loader must report the fetch error, not a file error */
    ll_csv_options o = {0};
    o.cache_dir = tmp_path("cache");
    ll_table *t = NULL;
    ll_error err;
    ll_status st = ll_csv_read_table("http://127.0.0.1:1/x.csv", &o, &t, NULL, &err);
    assert_int_equal(st, LL_ENET);
    assert_null(t);
}

static void test_lending_club(void **state)
{
    (void)state;
    ll_table *t = load("../data/lending_club.csv");
    assert_int_equal(t->nrows, 9857);
    assert_int_equal(t->ncols, 23);
    const ll_column *f = col(t, "funded_amnt");
    assert_int_equal(f->type, LL_COL_NUMERIC);
    double sum = 0;
    for (size_t r = 0; r < t->nrows; r++) sum += f->num[r];
    assert_true(sum == 154592825.0);
    assert_true(f->num[0] == 16100.0);
    assert_true(col(t, "int_rate")->num[t->nrows - 1] == 14.46);
    const ll_column *s = col(t, "sub_grade");
    assert_int_equal(s->type, LL_COL_CATEGORICAL);
    assert_int_equal(s->ndict, 35);
    assert_string_equal(s->dict[0], "C4");
    const ll_column *c = col(t, "Class");
    assert_int_equal(c->type, LL_COL_CATEGORICAL);
    assert_int_equal(c->ndict, 2);
    assert_string_equal(c->dict[0], "good");
    assert_string_equal(c->dict[1], "bad");
    size_t bad = 0;
    for (size_t r = 0; r < t->nrows; r++) bad += c->codes[r] == 1;
    assert_int_equal(bad, 517);
    assert_int_equal(col(t, "emp_length")->ndict, 12);
    ll_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_quoted),
        cmocka_unit_test(test_scan_crlf_and_blank_lines),
        cmocka_unit_test(test_scan_stop_and_errors),
        cmocka_unit_test(test_quoted_and_crlf_tables),
        cmocka_unit_test(test_bom_and_delimiters),
        cmocka_unit_test(test_missing_markers),
        cmocka_unit_test(test_type_inference),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_skip_bad_rows),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_parallel_matches_single),
        cmocka_unit_test(test_parallel_error_lines),
        cmocka_unit_test(test_numbers_match_numparse),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_url_goes_through_fetch),
        cmocka_unit_test(test_lending_club),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
