/* csv: streaming CSV reading with libcsv into rows or a typed ll_table. */
#include "csv.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "numfmt.h"

#define CSV_CHUNK       ((size_t)1 << 20)
#define CSV_FIRST_CHUNK ((size_t)64 << 10) /* small, so the header is known early */
#define CSV_SPLIT_MIN   ((long long)1 << 20)
#define CSV_MAX_ROW     ((size_t)64 << 20)
#define CSV_INIT_ROWS   ((size_t)1 << 14)
#define CSV_NSKIP       5

/* libcsv keeps its parser state in struct csv_parser.pstate; these are the values its source
 * defines (not exported by csv.h). We read them to tell "between rows" from "inside quotes". */
#define CSV_PSTATE_ROW_NOT_BEGUN 0
#define CSV_PSTATE_FIELD_BEGUN   2

/* ---------------------------------------------------------------------------------------- */
/* Field checks                                                                             */

static inline int is_missing(const char *s, size_t len)
{
    if (len == 0) return 1;
    if (len > 4 || (s[0] | 0x20) != 'n') return 0;
    switch (len) {
    case 2:
        return (s[1] | 0x20) == 'a';
    case 3:
        return (s[1] == '/' && (s[2] | 0x20) == 'a') ||
               ((s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'n');
    case 4: {
        char w[4];
        for (int i = 0; i < 4; i++) w[i] = (char)(s[i] | 0x20);
        return !memcmp(w, "null", 4) || !memcmp(w, "none", 4);
    }
    default:
        return 0;
    }
}

int ll_csv_is_missing(const char *s, size_t len)
{
    return is_missing(s, len);
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 when invalid (overlong
 * forms, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

/* Slow part of the per-field check, from the first byte that is a control character or
 * non-ASCII: counts line breaks (only quoted fields hold them) and flags binary data. */
static int field_slow(const unsigned char *s, size_t n, long *nl)
{
    int bin = 0;
    for (size_t k = 0; k < n;) {
        unsigned c = s[k];
        if (c < 0x80) {
            if (c == '\n')
                (*nl)++;
            else if (c == '\r' && (k + 1 == n || s[k + 1] != '\n'))
                (*nl)++;
            else if (c == 0)
                bin = 1;
            k++;
            continue;
        }
        size_t len = utf8_seq(s + k, n - k);
        if (!len) {
            bin = 1;
            k++;
        } else {
            k += len;
        }
    }
    return bin;
}

/* Delimiter of the first line: the most frequent of , ; TAB outside quotes (ties: , ; TAB). */
static char sniff_delim(const char *s, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0;
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') {
            inq = !inq;
        } else if (!inq) {
            if (c == '\n' || c == '\r') break;
            comma += c == ',';
            semi += c == ';';
            tab += c == '\t';
        }
    }
    if (semi > comma && semi >= tab) return ';';
    if (tab > comma && tab > semi) return '\t';
    return ',';
}

static const double csv_pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* ll_numparse for the common shape of data ([-]digits[.digits], at most 15 digits), where the
 * result is exact (Clinger's fast path, as in ll_numparse); anything else goes to ll_numparse. */
static inline int num_parse(const char *s, size_t n, double *out)
{
    const char *p = s, *end = s + n;
    int neg = 0;
    if (p < end && *p == '-') neg = 1, p++;
    uint64_t mant = 0;
    int nd = 0, frac = 0;
    const char *dot = NULL;
    for (; p < end; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d < 10) {
            mant = mant * 10 + d;
            nd++;
        } else if (*p == '.' && !dot) {
            dot = p;
        } else {
            return ll_numparse(s, n, out);
        }
    }
    if (nd == 0 || nd > 15) return ll_numparse(s, n, out);
    if (dot) frac = (int)(end - dot - 1);
    double v = (double)mant;
    if (frac) v /= csv_pow10[frac];
    *out = neg ? -v : v;
    return 1;
}

/* libcsv grows its field buffer through this; refusing beyond the field limit keeps memory
 * bounded on a runaway field (libcsv then stops with CSV_ENOMEM, which we report). */
static void *capped_realloc(void *p, size_t n)
{
    if (n > LL_CSV_MAX_FIELD + 64) return NULL;
    return realloc(p, n);
}

/* ---------------------------------------------------------------------------------------- */
/* The row parser: libcsv callbacks assemble rows, check them and hand them to a sink.       */

typedef struct {
    /* the first row; NULL = deliver it through row like any other */
    ll_status (*header)(void *hud, const ll_csv_row *row, ll_error *err);
    void *hud;
    ll_status (*row)(void *ud, const ll_csv_row *row, ll_error *err);
    void *ud;
} csv_sink;

typedef struct {
    struct csv_parser p;
    const char *name; /* input name for error positions */
    char delim;       /* 0 until sniffed */
    int at_start;     /* next bytes begin the file: strip a BOM, sniff the delimiter */
    int skip_bad;
    /* the row being assembled: fields packed NUL-terminated in buf */
    char *buf;
    size_t len, cap;
    size_t *off, *flen;
    const char **fptr;
    size_t fcap;
    size_t nf;      /* fields seen in this row (can exceed what is stored) */
    size_t maxf;    /* fields stored per row: ncols once the header is known */
    size_t bad_col; /* first field holding binary data (1-based), 0 = none */
    long line;      /* current physical line (1-based, relative to where parsing began) */
    long row_line;  /* line where the current row starts */
    int last_cr;    /* the previous event was a CR ending a row (so an LF completes CRLF) */
    int saw_header;
    size_t ncols;
    size_t rows; /* data rows delivered */
    /* Columns the sink wants as numbers (NULL = none): such fields are parsed straight from
     * libcsv's buffer into val with kind FIELD_NUM / FIELD_MISSING and not copied; anything
     * else in them arrives as text (FIELD_TEXT) like in other columns. */
    const uint8_t *numhint;
    uint8_t *kind;
    double *val;
    csv_sink sink;
    /* outcome */
    ll_status st;
    ll_error err;
    int stop;
    size_t skipped;
    long skip_lines[CSV_NSKIP];
} csv_parser_t;

static void parser_fail(csv_parser_t *P, ll_status st)
{
    P->st = st;
    P->stop = 1;
}

static ll_status parser_init(csv_parser_t *P, const char *name, char delim, int skip_bad,
                             const csv_sink *sink, ll_error *err)
{
    memset(P, 0, sizeof *P);
    if (csv_init(&P->p, CSV_REPALL_NL) != 0)
        return ll_error_set(err, LL_ENOMEM, "cannot initialise the CSV parser");
    csv_set_realloc_func(&P->p, capped_realloc);
    csv_set_blk_size(&P->p, 4096);
    P->name = name;
    P->delim = delim;
    if (delim) csv_set_delim(&P->p, (unsigned char)delim);
    P->at_start = 1;
    P->skip_bad = skip_bad;
    P->maxf = SIZE_MAX;
    P->line = 1;
    P->row_line = 1;
    P->sink = *sink;
    ll_error_clear(&P->err);
    return LL_OK;
}

enum { FIELD_TEXT = 0, FIELD_NUM, FIELD_MISSING };

static void parser_free(csv_parser_t *P)
{
    free(P->kind);
    free(P->val);
    P->kind = NULL;
    P->val = NULL;
    csv_free(&P->p);
    free(P->buf);
    free(P->off);
    free(P->flen);
    free(P->fptr);
    P->buf = NULL;
    P->off = P->flen = NULL;
    P->fptr = NULL;
}

/* Let the sink receive numbers for the columns flagged in hint (ncols entries, owned by the
 * sink, which may clear flags as it goes). Needs the header to be known. */
static int parser_set_numhint(csv_parser_t *P, const uint8_t *hint)
{
    size_t n = P->ncols ? P->ncols : 1;
    P->kind = calloc(n, sizeof *P->kind);
    P->val = calloc(n, sizeof *P->val);
    if (!P->kind || !P->val) return -1;
    P->numhint = hint;
    return 0;
}

/* Continue parsing mid-file (a second segment): the header is already known. */
static void parser_set_columns(csv_parser_t *P, size_t ncols)
{
    P->saw_header = 1;
    P->ncols = ncols;
    P->maxf = ncols;
    P->at_start = 0;
}

static void parser_bad_row(csv_parser_t *P, size_t col, const char *what, size_t a, size_t b)
{
    if (P->skip_bad && P->saw_header) {
        if (P->skipped < CSV_NSKIP) P->skip_lines[P->skipped] = P->row_line;
        P->skipped++;
        return;
    }
    if (what)
        ll_error_set_at(&P->err, LL_EPARSE, P->name, P->row_line, (long)col,
                        "expected %zu fields, found %zu", a, b);
    else
        ll_error_set_at(&P->err, LL_EPARSE, P->name, P->row_line, (long)col,
                        "binary data (a NUL byte or invalid UTF-8) in field %zu", col);
    parser_fail(P, LL_EPARSE);
}

static void row_commit(csv_parser_t *P)
{
    size_t ns = P->nf < P->maxf ? P->nf : P->maxf;
    if (P->numhint) {
        /* fields stored as numbers keep the empty text set by on_field */
        for (size_t i = 0; i < ns; i++)
            if (P->kind[i] == FIELD_TEXT) P->fptr[i] = P->buf + P->off[i];
    } else {
        for (size_t i = 0; i < ns; i++) P->fptr[i] = P->buf + P->off[i];
    }
    ll_csv_row row = {P->fptr, P->flen, ns, P->row_line};
    if (P->bad_col) {
        parser_bad_row(P, P->bad_col, NULL, 0, 0);
        return;
    }
    ll_status st;
    if (!P->saw_header) {
        P->saw_header = 1;
        P->ncols = P->nf;
        P->maxf = P->nf;
        st = P->sink.header ? P->sink.header(P->sink.hud, &row, &P->err)
                            : P->sink.row(P->sink.ud, &row, &P->err);
        if (st != LL_OK) parser_fail(P, st);
        return;
    }
    if (P->nf != P->ncols) {
        size_t col = (P->nf < P->ncols ? P->nf : P->ncols) + 1;
        parser_bad_row(P, col, "ragged", P->ncols, P->nf);
        return;
    }
    st = P->sink.row(P->sink.ud, &row, &P->err);
    if (st != LL_OK)
        parser_fail(P, st);
    else
        P->rows++;
}

static int parser_grow_fields(csv_parser_t *P)
{
    size_t cap = P->fcap ? P->fcap * 2 : 64;
    size_t *off = realloc(P->off, cap * sizeof *off);
    if (off) P->off = off;
    size_t *flen = realloc(P->flen, cap * sizeof *flen);
    if (flen) P->flen = flen;
    const char **fptr = realloc(P->fptr, cap * sizeof *fptr);
    if (fptr) P->fptr = fptr;
    if (!off || !flen || !fptr) return -1;
    P->fcap = cap;
    return 0;
}

static void on_field(void *data, size_t n, void *ud)
{
    csv_parser_t *P = ud;
    if (P->stop) return;
    size_t i = P->nf++;
    if (i == 0) P->row_line = P->line;
    P->last_cr = 0;
    if (P->numhint && i < P->maxf && P->numhint[i] && n <= 64) {
        /* a number or a missing marker is plain ASCII without line breaks: no checks needed */
        if (is_missing(data, n)) {
            P->kind[i] = FIELD_MISSING;
            goto stored_elsewhere;
        }
        if (num_parse(data, n, &P->val[i])) {
            P->kind[i] = FIELD_NUM;
            goto stored_elsewhere;
        }
    }
    if (P->numhint && i < P->maxf) P->kind[i] = FIELD_TEXT;
    const unsigned char *u = data;
    size_t k = 0;
    /* 8 bytes at a time: any byte < 0x20 or >= 0x80 sends us to the careful path */
    for (; k + 8 <= n; k += 8) {
        uint64_t w;
        memcpy(&w, u + k, 8);
        if (((w - 0x2020202020202020ull) | w) & 0x8080808080808080ull) break;
    }
    while (k < n && u[k] >= 0x20 && u[k] < 0x80) k++;
    if (k < n) {
        long nl = 0;
        if (field_slow(u + k, n - k, &nl) && !P->bad_col) P->bad_col = i + 1;
        P->line += nl;
    }
    if (n > LL_CSV_MAX_FIELD) {
        ll_error_set_at(&P->err, LL_EPARSE, P->name, P->row_line, (long)i + 1,
                        "field %zu is longer than %zu bytes", i + 1, (size_t)LL_CSV_MAX_FIELD);
        parser_fail(P, LL_EPARSE);
        return;
    }
    if (i >= P->maxf) return;
    if (i >= P->fcap && parser_grow_fields(P)) goto nomem;
    if (P->len + n + 1 > P->cap) {
        if (P->len + n + 1 > CSV_MAX_ROW) {
            ll_error_set_at(&P->err, LL_EPARSE, P->name, P->row_line, (long)i + 1,
                            "row longer than %zu bytes", (size_t)CSV_MAX_ROW);
            parser_fail(P, LL_EPARSE);
            return;
        }
        size_t cap = P->cap ? P->cap : 4096;
        while (cap < P->len + n + 1) cap *= 2;
        char *b = realloc(P->buf, cap);
        if (!b) goto nomem;
        P->buf = b;
        P->cap = cap;
    }
    if (n <= 16 && P->len + 17 <= P->cap)
        memcpy(P->buf + P->len, data, 16); /* libcsv's field buffer is >= 4096 bytes */
    else if (n)
        memcpy(P->buf + P->len, data, n);
    P->buf[P->len + n] = '\0';
    P->off[i] = P->len;
    P->flen[i] = n;
    P->len += n + 1;
    return;
stored_elsewhere:
    if (i >= P->fcap && parser_grow_fields(P)) goto nomem;
    P->fptr[i] = "";
    P->flen[i] = 0;
    return;
nomem:
    ll_error_set(&P->err, LL_ENOMEM, "out of memory reading a CSV row");
    parser_fail(P, LL_ENOMEM);
}

static void on_row(int c, void *ud)
{
    csv_parser_t *P = ud;
    if (!P->stop && P->nf > 0) row_commit(P);
    P->nf = 0;
    P->len = 0;
    P->bad_col = 0;
    if (c == '\r') {
        P->line++;
        P->last_cr = 1;
    } else if (c == '\n') {
        if (!P->last_cr) P->line++;
        P->last_cr = 0;
    }
}

static void parser_feed(csv_parser_t *P, const char *buf, size_t n)
{
    if (P->stop) return;
    if (P->at_start) {
        P->at_start = 0;
        if (n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) buf += 3, n -= 3;
        if (!P->delim) P->delim = sniff_delim(buf, n);
        csv_set_delim(&P->p, (unsigned char)P->delim);
    }
    size_t used = csv_parse(&P->p, buf, n, on_field, on_row, P);
    if (used < n && !P->stop) {
        /* the quote opening the field and the row start sit on the current line unless the
         * row already had fields */
        long line = P->nf ? P->row_line : P->line;
        if (csv_get_buffer_size(&P->p) >= LL_CSV_MAX_FIELD) {
            ll_error_set_at(&P->err, LL_EPARSE, P->name, line, (long)P->nf + 1,
                            "field %zu is longer than %zu bytes%s", P->nf + 1,
                            (size_t)LL_CSV_MAX_FIELD, P->p.quoted ? " (unbalanced quote?)" : "");
            parser_fail(P, LL_EPARSE);
        } else {
            ll_error_set(&P->err, LL_ENOMEM, "out of memory parsing CSV: %s",
                         csv_strerror(csv_error(&P->p)));
            parser_fail(P, LL_ENOMEM);
        }
    }
}

/* End of input: report an unterminated quote, flush a last row without a line break. */
static void parser_finish(csv_parser_t *P)
{
    if (P->stop) return;
    if (P->p.pstate == CSV_PSTATE_FIELD_BEGUN && P->p.quoted) {
        /* nothing but the open field follows the last callback, so the quote opened on the
         * line that callback left us on */
        ll_error_set_at(&P->err, LL_EPARSE, P->name, P->line, (long)P->nf + 1,
                        "unterminated quoted field: the quote opened here is never closed");
        parser_fail(P, LL_EPARSE);
        return;
    }
    csv_fini(&P->p, on_field, on_row, P);
}

/* ---------------------------------------------------------------------------------------- */
/* Input sources: files, stdin, URLs (through the fetch cache)                              */

typedef struct {
    const char *name; /* as given: used in error positions */
    char path[4096];  /* file to (re)open; "" = stream stdin */
    FILE *f;
    long long size; /* -1 when unknown */
    int spooled;    /* path is our temporary copy of stdin: unlink when done */
} csv_source;

static ll_status source_open(csv_source *S, const char *path, const ll_csv_options *opt,
                             int need_regular, ll_error *err)
{
    memset(S, 0, sizeof *S);
    S->size = -1;
    if (!path || !*path) return ll_error_set(err, LL_EINVAL, "no input file given");
    S->name = strcmp(path, "-") ? path : "<stdin>";
    if (ll_fetch_is_url(path)) {
        ll_fetch_options fo;
        memset(&fo, 0, sizeof fo);
        fo.cache_dir = opt->cache_dir;
        fo.progress = opt->progress;
        fo.progress_ud = opt->progress_ud;
        ll_status st = ll_fetch_to_cache(path, &fo, S->path, sizeof S->path, err);
        if (st != LL_OK) return st;
    } else if (strcmp(path, "-") != 0) {
        if (snprintf(S->path, sizeof S->path, "%s", path) >= (int)sizeof S->path)
            return ll_error_set_at(err, LL_EINVAL, path, 0, 0, "path too long");
    }
    if (S->path[0]) {
        S->f = fopen(S->path, "rb");
        if (!S->f) {
            if (errno == ENOENT)
                return ll_error_set_at(err, LL_ENOTFOUND, path, 0, 0, "no such file: %s", path);
            return ll_error_set_at(err, LL_EIO, path, 0, 0, "cannot open %s: %s", path,
                                   strerror(errno));
        }
        /* we read in 1 MiB chunks ourselves: stdio buffering would only add a copy */
        setvbuf(S->f, NULL, _IONBF, 0);
        struct stat sb;
        if (fstat(fileno(S->f), &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                fclose(S->f);
                S->f = NULL;
                return ll_error_set_at(err, LL_EIO, path, 0, 0, "%s is a directory", path);
            }
            if (S_ISREG(sb.st_mode)) S->size = (long long)sb.st_size;
        }
    } else {
        S->f = stdin;
    }
    if (!need_regular || S->size >= 0) return LL_OK;

    /* Loading a table may read the input twice and in two places at once: copy a stream
     * (stdin, a pipe) to a temporary file first, in chunks. */
    const char *tmp = getenv("TMPDIR");
    char tpl[4096];
    snprintf(tpl, sizeof tpl, "%s/lendlab-csv-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(tpl);
    if (fd < 0) {
        if (S->f != stdin) fclose(S->f);
        S->f = NULL;
        return ll_error_set(err, LL_EIO, "cannot create a temporary file in %s: %s",
                            tmp && *tmp ? tmp : "/tmp", strerror(errno));
    }
    FILE *out = fdopen(fd, "w+b");
    char *buf = malloc(CSV_CHUNK);
    ll_status st = LL_OK;
    if (!out || !buf) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory spooling %s", path);
    } else {
        size_t n;
        long long total = 0;
        while ((n = fread(buf, 1, CSV_CHUNK, S->f)) > 0) {
            if (fwrite(buf, 1, n, out) != n) {
                st = ll_error_set(err, LL_EIO, "cannot write temporary file: %s", strerror(errno));
                break;
            }
            total += (long long)n;
            if (opt->cancel && *opt->cancel) {
                st = ll_error_set(err, LL_ECANCELLED, "cancelled");
                break;
            }
        }
        if (st == LL_OK && ferror(S->f))
            st = ll_error_set_at(err, LL_EIO, path, 0, 0, "read error: %s", strerror(errno));
        if (st == LL_OK && fflush(out) != 0)
            st = ll_error_set(err, LL_EIO, "cannot write temporary file: %s", strerror(errno));
        S->size = total;
    }
    free(buf);
    if (S->f != stdin) fclose(S->f);
    S->f = NULL;
    if (out)
        fclose(out);
    else
        close(fd);
    snprintf(S->path, sizeof S->path, "%s", tpl);
    S->spooled = 1;
    if (st == LL_OK) {
        S->f = fopen(S->path, "rb");
        if (!S->f)
            return ll_error_set(err, LL_EIO, "cannot reopen %s: %s", S->path, strerror(errno));
        setvbuf(S->f, NULL, _IONBF, 0);
    }
    return st;
}

static void source_close(csv_source *S)
{
    if (S->f && S->f != stdin) fclose(S->f);
    S->f = NULL;
    if (S->spooled) unlink(S->path);
    S->spooled = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Segments: a byte range of the input read in chunks through one parser.                  */

typedef struct {
    csv_parser_t P;
    FILE *f;
    int own_f;
    long long begin, pos, end; /* end < 0: until EOF */
    int first;
    char *chunk;
    atomic_llong done; /* bytes parsed, read by the progress reporter */
    atomic_int abort;
    const volatile int *cancel;
    /* completion, for a segment parsed on a worker thread */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished;
} csv_seg;

enum { SEG_STOP, SEG_END, SEG_EOF };

typedef int (*seg_hook)(void *ctx, csv_seg *S);

static int seg_run(csv_seg *S, seg_hook hook, void *hctx)
{
    for (;;) {
        if (S->P.stop) return SEG_STOP;
        size_t want = S->first ? CSV_FIRST_CHUNK : CSV_CHUNK;
        if (S->end >= 0) {
            if (S->pos >= S->end) return SEG_END;
            if ((long long)want > S->end - S->pos) want = (size_t)(S->end - S->pos);
        }
        size_t n = fread(S->chunk, 1, want, S->f);
        if (n == 0) {
            if (ferror(S->f)) {
                ll_error_set_at(&S->P.err, LL_EIO, S->P.name, 0, 0, "read error: %s",
                                strerror(errno));
                parser_fail(&S->P, LL_EIO);
                return SEG_STOP;
            }
            parser_finish(&S->P);
            return S->P.stop ? SEG_STOP : SEG_EOF;
        }
        S->first = 0;
        S->pos += (long long)n;
        parser_feed(&S->P, S->chunk, n);
        atomic_store(&S->done, S->pos - S->begin);
        if (S->P.stop) return SEG_STOP;
        if (atomic_load(&S->abort) || (S->cancel && *S->cancel) || (hook && hook(hctx, S))) {
            ll_error_set(&S->P.err, LL_ECANCELLED, "cancelled");
            parser_fail(&S->P, LL_ECANCELLED);
            return SEG_STOP;
        }
    }
}

static ll_status seg_init(csv_seg *S, FILE *f, long long begin, const char *name, char delim,
                          int skip_bad, const csv_sink *sink, const volatile int *cancel,
                          ll_error *err)
{
    memset(S, 0, sizeof *S);
    ll_status st = parser_init(&S->P, name, delim, skip_bad, sink, err);
    if (st != LL_OK) return st;
    S->chunk = malloc(CSV_CHUNK);
    if (!S->chunk) {
        parser_free(&S->P);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    S->f = f;
    S->begin = S->pos = begin;
    S->end = -1;
    S->first = begin == 0;
    S->cancel = cancel;
    atomic_init(&S->done, 0);
    atomic_init(&S->abort, 0);
    return LL_OK;
}

static void seg_free(csv_seg *S)
{
    parser_free(&S->P);
    free(S->chunk);
    S->chunk = NULL;
    if (S->own_f && S->f) fclose(S->f);
    S->f = NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* ll_csv_scan                                                                               */

typedef struct {
    ll_csv_row_fn fn;
    void *ud;
    const ll_csv_options *opt;
    long long total;
} scan_ctx;

static ll_status scan_row(void *ud, const ll_csv_row *row, ll_error *err)
{
    scan_ctx *C = ud;
    if (C->fn(row, C->ud)) return ll_error_set(err, LL_ECANCELLED, "stopped by the row callback");
    return LL_OK;
}

static int scan_hook(void *ctx, csv_seg *S)
{
    scan_ctx *C = ctx;
    if (!C->opt->progress) return 0;
    return C->opt->progress((size_t)S->pos, C->total > 0 ? (size_t)C->total : 0,
                            C->opt->progress_ud);
}

static void report_fill(ll_csv_report *rep, const csv_parser_t *P)
{
    if (!rep) return;
    rep->skipped_rows = P->skipped;
    for (size_t i = 0; i < CSV_NSKIP; i++) rep->first_skipped_lines[i] = P->skip_lines[i];
    rep->delimiter = P->delim;
}

ll_status ll_csv_scan(const char *path, const ll_csv_options *opt, ll_csv_row_fn fn, void *ud,
                      ll_csv_report *report, ll_error *err)
{
    static const ll_csv_options defaults;
    if (!opt) opt = &defaults;
    if (report) memset(report, 0, sizeof *report);
    ll_error_clear(err);
    if (!fn) return ll_error_set(err, LL_EINVAL, "no row callback given");
    csv_source src;
    ll_status st = source_open(&src, path, opt, 0, err);
    if (st != LL_OK) return st;
    scan_ctx C = {fn, ud, opt, src.size};
    csv_sink sink = {NULL, NULL, scan_row, &C};
    csv_seg S;
    st = seg_init(&S, src.f, 0, src.name, opt->delimiter, opt->skip_bad_rows, &sink, opt->cancel,
                  err);
    if (st != LL_OK) {
        source_close(&src);
        return st;
    }
    int r = seg_run(&S, scan_hook, &C);
    if (r == SEG_EOF && opt->progress &&
        opt->progress((size_t)S.pos, (size_t)S.pos, opt->progress_ud))
        r = SEG_STOP, S.P.st = ll_error_set(&S.P.err, LL_ECANCELLED, "cancelled");
    if (r == SEG_STOP) {
        st = S.P.st;
        if (err) *err = S.P.err;
    } else if (!S.P.saw_header) {
        st = ll_error_set_at(err, LL_EPARSE, src.name, 1, 1, "empty file");
    }
    report_fill(report, &S.P);
    if (report) report->threads = report->passes = 1;
    seg_free(&S);
    source_close(&src);
    return st;
}

/* ---------------------------------------------------------------------------------------- */
/* Dictionaries: first-seen order, hashed by the bytes.                                     */

typedef struct {
    char **str;
    uint32_t *slen;
    uint32_t *hash;
    int32_t n, cap;
    int32_t *tab; /* open addressing: index into str, -1 = empty */
    uint32_t mask;
} csv_dict;

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return (uint32_t)h;
}

static void dict_free(csv_dict *d)
{
    if (d->str)
        for (int32_t i = 0; i < d->n; i++) free(d->str[i]);
    free(d->str);
    free(d->slen);
    free(d->hash);
    free(d->tab);
    memset(d, 0, sizeof *d);
}

static int dict_rehash(csv_dict *d, uint32_t size)
{
    int32_t *tab = malloc(size * sizeof *tab);
    if (!tab) return -1;
    memset(tab, 0xff, size * sizeof *tab);
    for (int32_t i = 0; i < d->n; i++) {
        uint32_t j = d->hash[i] & (size - 1);
        while (tab[j] >= 0) j = (j + 1) & (size - 1);
        tab[j] = i;
    }
    free(d->tab);
    d->tab = tab;
    d->mask = size - 1;
    return 0;
}

/* Index of s in d, or -1. */
static int32_t dict_find(const csv_dict *d, const char *s, size_t n, uint32_t h)
{
    if (!d->tab) return -1;
    for (uint32_t j = h & d->mask;; j = (j + 1) & d->mask) {
        int32_t e = d->tab[j];
        if (e < 0) return -1;
        if (d->hash[e] == h && d->slen[e] == n && !memcmp(d->str[e], s, n)) return e;
    }
}

/* Index of s in d, adding a copy when new; -1 when out of memory or the dictionary is full. */
static int32_t dict_intern(csv_dict *d, const char *s, size_t n)
{
    uint32_t h = hash_bytes(s, n);
    int32_t e = dict_find(d, s, n, h);
    if (e >= 0) return e;
    if (d->n == INT32_MAX - 1 || n > UINT32_MAX) return -1;
    if (!d->tab || (uint32_t)d->n * 2 >= d->mask) {
        uint32_t size = d->tab ? (d->mask + 1) * 2 : 64;
        if (dict_rehash(d, size)) return -1;
    }
    if (d->n == d->cap) {
        int32_t cap = d->cap ? d->cap * 2 : 16;
        char **str = realloc(d->str, (size_t)cap * sizeof *str);
        if (str) d->str = str;
        uint32_t *slen = realloc(d->slen, (size_t)cap * sizeof *slen);
        if (slen) d->slen = slen;
        uint32_t *hash = realloc(d->hash, (size_t)cap * sizeof *hash);
        if (hash) d->hash = hash;
        if (!str || !slen || !hash) return -1;
        d->cap = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy) return -1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    e = d->n++;
    d->str[e] = copy;
    d->slen[e] = (uint32_t)n;
    d->hash[e] = h;
    uint32_t j = h & d->mask;
    while (d->tab[j] >= 0) j = (j + 1) & d->mask;
    d->tab[j] = e;
    return e;
}

/* ---------------------------------------------------------------------------------------- */
/* Column builders                                                                           */

typedef enum {
    M_NUM,   /* inferring: every value so far numeric or missing */
    M_CAT,   /* inferring: text (boolean words are recognised at the end) */
    M_LOST,  /* numbers were stored, then text came: the original text must be re-read */
    M_FNUM,  /* forced numeric */
    M_FCAT,  /* forced categorical */
    M_FBOOL, /* forced boolean */
    M_SKIP   /* not collected (second pass) */
} col_mode;

/* Boolean spellings: pairs {false, true}; pair 4 is the numbers 0/1. */
static const char *const bool_words[4][2] = {
    {"false", "true"}, {"no", "yes"}, {"n", "y"}, {"f", "t"}};
#define BOOL_PAIR_01 4

/* Pair*2 + truth of a boolean word (case-insensitive), or -1. */
static int bool_word(const char *s, size_t n)
{
    if (n == 0 || n > 5) return -1;
    char w[6];
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        w[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    w[n] = '\0';
    for (int p = 0; p < 4; p++)
        for (int t = 0; t < 2; t++)
            if (!strcmp(w, bool_words[p][t])) return p * 2 + t;
    return -1;
}

typedef struct {
    col_mode mode;
    double *num;
    int32_t *codes;
    size_t nonmissing, missing;
    int all01;
    csv_dict d;
    /* forced boolean */
    int pair;       /* -1 until the first value */
    long pair_line; /* line of the value that chose the pair */
    char *spell[2]; /* first-seen false/true spelling */
} col_build;

typedef struct {
    col_build *cols;
    size_t ncols, nrows, cap;
    uint8_t *numhint;    /* per column: wants numbers from the parser (see csv_parser_t) */
    const uint8_t *kind; /* the parser's per-field kinds and values, NULL = text only */
    const double *val;
    const char *const *names; /* borrowed */
    const char *file;
} tab_build;

static void col_free(col_build *c)
{
    free(c->num);
    free(c->codes);
    dict_free(&c->d);
    free(c->spell[0]);
    free(c->spell[1]);
    memset(c, 0, sizeof *c);
}

static void tb_free(tab_build *B)
{
    if (B->cols)
        for (size_t i = 0; i < B->ncols; i++) col_free(&B->cols[i]);
    free(B->cols);
    free(B->numhint);
    B->numhint = NULL;
    B->kind = NULL;
    B->val = NULL;
    B->cols = NULL;
    B->ncols = B->nrows = B->cap = 0;
}

static ll_status tb_init(tab_build *B, size_t ncols, const int *modes, const char *const *names,
                         const char *file, ll_error *err)
{
    memset(B, 0, sizeof *B);
    B->names = names;
    B->file = file;
    B->cols = calloc(ncols ? ncols : 1, sizeof *B->cols);
    B->numhint = calloc(ncols ? ncols : 1, 1);
    if (!B->cols || !B->numhint) {
        free(B->cols);
        free(B->numhint);
        B->cols = NULL;
        B->numhint = NULL;
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    B->ncols = ncols;
    B->cap = CSV_INIT_ROWS;
    for (size_t i = 0; i < ncols; i++) {
        col_build *c = &B->cols[i];
        c->mode = (col_mode)modes[i];
        c->all01 = 1;
        c->pair = -1;
        B->numhint[i] = c->mode == M_NUM || c->mode == M_FNUM;
        if (c->mode == M_NUM || c->mode == M_FNUM || c->mode == M_FBOOL)
            c->num = malloc(B->cap * sizeof *c->num);
        else if (c->mode == M_CAT || c->mode == M_FCAT)
            c->codes = malloc(B->cap * sizeof *c->codes);
        else
            continue;
        if (!c->num && !c->codes) {
            tb_free(B);
            return ll_error_set(err, LL_ENOMEM, "out of memory");
        }
    }
    return LL_OK;
}

static int tb_grow(tab_build *B)
{
    size_t cap = B->cap * 2;
    for (size_t i = 0; i < B->ncols; i++) {
        col_build *c = &B->cols[i];
        if (c->num) {
            double *p = realloc(c->num, cap * sizeof *p);
            if (!p) return -1;
            c->num = p;
        }
        if (c->codes) {
            int32_t *p = realloc(c->codes, cap * sizeof *p);
            if (!p) return -1;
            c->codes = p;
        }
    }
    B->cap = cap;
    return 0;
}

/* Attach the builder to the parser feeding it, so numbers skip the text path. */
static int tb_attach(tab_build *B, csv_parser_t *P)
{
    if (parser_set_numhint(P, B->numhint)) return -1;
    B->kind = P->kind;
    B->val = P->val;
    return 0;
}

/* What field i of the current row is: FIELD_NUM (value in *v), FIELD_MISSING or FIELD_TEXT. */
static inline int tb_field_kind(const tab_build *B, size_t i, const char *s, size_t n, double *v)
{
    int k = B->kind ? B->kind[i] : FIELD_TEXT;
    if (k == FIELD_NUM) {
        *v = B->val[i];
        return k;
    }
    if (k == FIELD_MISSING || is_missing(s, n)) return FIELD_MISSING;
    return num_parse(s, n, v) ? FIELD_NUM : FIELD_TEXT;
}

/* A numeric column that has seen only missing values turns categorical without loss. */
static int col_num_to_cat(col_build *c, size_t nrows, size_t cap)
{
    int32_t *codes = malloc((cap ? cap : 1) * sizeof *codes);
    if (!codes) return -1;
    for (size_t r = 0; r < nrows; r++) codes[r] = -1;
    free(c->num);
    c->num = NULL;
    c->codes = codes;
    c->mode = M_CAT;
    return 0;
}

static ll_status col_bool_value(tab_build *B, col_build *c, size_t r, const char *s, size_t n,
                                long line, size_t ci, ll_error *err)
{
    int w = bool_word(s, n);
    double v;
    if (w < 0 && ll_numparse(s, n, &v) && (v == 0.0 || v == 1.0)) w = BOOL_PAIR_01 * 2 + (v == 1.0);
    if (w < 0)
        return ll_error_set_at(err, LL_EPARSE, B->file, line, (long)ci + 1,
                               "column '%s' is boolean but '%.*s' is not true/false, yes/no, "
                               "y/n, t/f or 0/1",
                               B->names[ci], (int)(n > 64 ? 64 : n), s);
    int pair = w / 2, truth = w % 2;
    if (c->pair < 0) {
        c->pair = pair;
        c->pair_line = line;
    } else if (c->pair != pair) {
        return ll_error_set_at(err, LL_EPARSE, B->file, line, (long)ci + 1,
                               "column '%s' is boolean but '%.*s' does not match the spelling "
                               "of earlier values",
                               B->names[ci], (int)(n > 64 ? 64 : n), s);
    }
    if (!c->spell[truth] && pair != BOOL_PAIR_01) {
        c->spell[truth] = malloc(n + 1);
        if (!c->spell[truth]) return ll_error_set(err, LL_ENOMEM, "out of memory");
        memcpy(c->spell[truth], s, n);
        c->spell[truth][n] = '\0';
    }
    c->num[r] = truth;
    c->nonmissing++;
    return LL_OK;
}

static ll_status tb_row(void *ud, const ll_csv_row *row, ll_error *err)
{
    tab_build *B = ud;
    if (B->nrows == B->cap && tb_grow(B))
        return ll_error_set(err, LL_ENOMEM, "out of memory loading %s", B->file);
    size_t r = B->nrows;
    for (size_t i = 0; i < B->ncols; i++) {
        col_build *c = &B->cols[i];
        const char *s = row->field[i];
        size_t n = row->len[i];
        double v;
        int kd;
        switch (c->mode) {
        case M_NUM:
            kd = tb_field_kind(B, i, s, n, &v);
            if (kd == FIELD_MISSING) {
                c->num[r] = NAN;
                c->missing++;
            } else if (kd == FIELD_NUM) {
                c->num[r] = v;
                c->nonmissing++;
                if (v != 0.0 && v != 1.0) c->all01 = 0;
            } else if (c->nonmissing == 0) {
                if (col_num_to_cat(c, r, B->cap)) goto nomem;
                B->numhint[i] = 0;
                goto text;
            } else {
                free(c->num);
                c->num = NULL;
                c->mode = M_LOST;
                B->numhint[i] = 0;
            }
            break;
        case M_CAT:
        case M_FCAT:
        text:
            if (is_missing(s, n)) {
                c->codes[r] = -1;
                c->missing++;
            } else {
                int32_t code = dict_intern(&c->d, s, n);
                if (code < 0) goto nomem;
                c->codes[r] = code;
                c->nonmissing++;
            }
            break;
        case M_FNUM:
            kd = tb_field_kind(B, i, s, n, &v);
            if (kd == FIELD_MISSING) {
                c->num[r] = NAN;
                c->missing++;
            } else if (kd == FIELD_NUM) {
                c->num[r] = v;
                c->nonmissing++;
            } else {
                return ll_error_set_at(err, LL_EPARSE, B->file, row->line, (long)i + 1,
                                       "column '%s' is numeric but '%.*s' is not a number",
                                       B->names[i], (int)(n > 64 ? 64 : n), s);
            }
            break;
        case M_FBOOL:
            if (is_missing(s, n)) {
                c->num[r] = NAN;
                c->missing++;
            } else {
                ll_status st = col_bool_value(B, c, r, s, n, row->line, i, err);
                if (st != LL_OK) return st;
            }
            break;
        case M_LOST:
        case M_SKIP:
            break;
        }
    }
    B->nrows++;
    return LL_OK;
nomem:
    return ll_error_set(err, LL_ENOMEM, "out of memory loading %s", B->file);
}

/* Append column b (nb rows) to column a (na rows). line_base shifts b's line numbers. */
static ll_status col_merge(tab_build *A, size_t ci, col_build *a, size_t na, col_build *b,
                           size_t nb, long line_base, ll_error *err)
{
    size_t total = na + nb;
    if (a->mode == M_SKIP) return LL_OK;
    if (a->mode == M_NUM && b->mode == M_CAT && a->nonmissing == 0) {
        if (col_num_to_cat(a, na, total)) goto nomem;
    } else if (a->mode == M_CAT && b->mode == M_NUM && b->nonmissing == 0) {
        if (col_num_to_cat(b, nb, nb)) goto nomem;
    }
    if (a->mode == M_LOST || b->mode == M_LOST || a->mode != b->mode) {
        /* numbers on one side, text on the other: the numbers' text is gone */
        free(a->num);
        free(a->codes);
        a->num = NULL;
        a->codes = NULL;
        a->mode = M_LOST;
        return LL_OK;
    }
    if (a->num) {
        double *p = realloc(a->num, (total ? total : 1) * sizeof *p);
        if (!p) goto nomem;
        a->num = p;
        if (nb) memcpy(p + na, b->num, nb * sizeof *p);
        free(b->num);
        b->num = NULL;
        a->all01 &= b->all01;
    } else if (a->codes) {
        int32_t *p = realloc(a->codes, (total ? total : 1) * sizeof *p);
        if (!p) goto nomem;
        a->codes = p;
        int32_t *map = malloc((b->d.n ? (size_t)b->d.n : 1) * sizeof *map);
        if (!map) goto nomem;
        for (int32_t j = 0; j < b->d.n; j++) {
            map[j] = dict_intern(&a->d, b->d.str[j], b->d.slen[j]);
            if (map[j] < 0) {
                free(map);
                goto nomem;
            }
        }
        for (size_t r = 0; r < nb; r++) p[na + r] = b->codes[r] < 0 ? -1 : map[b->codes[r]];
        free(map);
        free(b->codes);
        b->codes = NULL;
    }
    if (a->mode == M_FBOOL && b->pair >= 0) {
        if (a->pair >= 0 && a->pair != b->pair)
            return ll_error_set_at(err, LL_EPARSE, A->file, b->pair_line + line_base, (long)ci + 1,
                                   "column '%s' is boolean but this value does not match the "
                                   "spelling of earlier values",
                                   A->names[ci]);
        if (a->pair < 0) a->pair = b->pair, a->pair_line = b->pair_line + line_base;
        for (int t = 0; t < 2; t++)
            if (!a->spell[t]) a->spell[t] = b->spell[t], b->spell[t] = NULL;
    }
    a->nonmissing += b->nonmissing;
    a->missing += b->missing;
    return LL_OK;
nomem:
    return ll_error_set(err, LL_ENOMEM, "out of memory loading %s", A->file);
}

static ll_status tb_merge(tab_build *A, tab_build *B, long line_base, ll_error *err)
{
    for (size_t i = 0; i < A->ncols; i++) {
        ll_status st =
            col_merge(A, i, &A->cols[i], A->nrows, &B->cols[i], B->nrows, line_base, err);
        if (st != LL_OK) return st;
    }
    A->nrows += B->nrows;
    A->cap = A->nrows;
    return LL_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* ll_csv_read_table: one or two segments per pass, a second pass for re-typed columns.     */

typedef struct {
    csv_source *src;
    const ll_csv_options *opt;
    int threads;
    char delim; /* 0 until the first pass sniffed it */
    /* header (from the first pass) */
    char **names;
    size_t ncols;
    int *modes; /* per column: col_mode for this pass */
    int pass;   /* 1 or 2 */
    /* segments of the current pass */
    csv_seg s0, s1;
    tab_build b0, b1;
    long long split;  /* byte offset where s1 starts, 0 = no split */
    int used_threads; /* of the first pass */
    int s1_live;      /* s1 and b1 are set up (free them after the pass) */
    int worker;       /* s1 running on a thread */
    pthread_t tid;
    ll_error werr; /* error starting the worker */
} load_ctx;

static void names_free(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* Set up the first segment's builder once the header is known. */
static ll_status load_attach(load_ctx *X, ll_error *err)
{
    ll_status st =
        tb_init(&X->b0, X->ncols, X->modes, (const char *const *)X->names, X->src->name, err);
    if (st == LL_OK && tb_attach(&X->b0, &X->s0.P))
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
    return st;
}

/* First pass: names from the header row (empty ones become column_N), duplicates rejected,
 * type overrides resolved. Second pass: the header must not have changed width. */
static ll_status load_header(void *ud, const ll_csv_row *row, ll_error *err)
{
    load_ctx *X = ud;
    const char *file = X->src->name;
    if (X->pass == 2) {
        if (row->nfields != X->ncols)
            return ll_error_set_at(err, LL_EIO, file, row->line, 0,
                                   "the file changed while it was being read");
        return load_attach(X, err);
    }
    size_t n = row->nfields;
    X->names = calloc(n, sizeof *X->names);
    X->modes = calloc(n, sizeof *X->modes);
    if (!X->names || !X->modes) return ll_error_set(err, LL_ENOMEM, "out of memory");
    X->ncols = n;
    csv_dict seen;
    memset(&seen, 0, sizeof seen);
    ll_status st = LL_OK;
    for (size_t i = 0; i < n && st == LL_OK; i++) {
        char tmp[32];
        const char *s = row->field[i];
        size_t len = row->len[i];
        if (len == 0) {
            snprintf(tmp, sizeof tmp, "column_%zu", i + 1);
            s = tmp;
            len = strlen(tmp);
        }
        int32_t prev = dict_find(&seen, s, len, hash_bytes(s, len));
        if (prev >= 0) {
            st = ll_error_set_at(err, LL_EPARSE, file, row->line, (long)i + 1,
                                 "duplicate column name '%.*s' (columns %d and %zu)",
                                 (int)(len > 200 ? 200 : len), s, prev + 1, i + 1);
            break;
        }
        if (dict_intern(&seen, s, len) != (int32_t)i || !(X->names[i] = strdup(seen.str[i]))) {
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        X->modes[i] = M_NUM;
    }
    for (size_t k = 0; st == LL_OK && k < X->opt->ntypes; k++) {
        const char *name = X->opt->type_names ? X->opt->type_names[k] : NULL;
        int t = X->opt->types ? X->opt->types[k] : -1;
        int32_t i =
            name ? dict_find(&seen, name, strlen(name), hash_bytes(name, strlen(name))) : -1;
        if (i < 0) {
            st = ll_error_set_at(err, LL_ENOTFOUND, file, 0, 0,
                                 "type override for '%s': no such column", name ? name : "");
        } else if (t == LL_COL_NUMERIC) {
            X->modes[i] = M_FNUM;
        } else if (t == LL_COL_CATEGORICAL) {
            X->modes[i] = M_FCAT;
        } else if (t == LL_COL_BOOLEAN) {
            X->modes[i] = M_FBOOL;
        } else {
            st = ll_error_set(err, LL_EINVAL, "type override for '%s': unknown type %d", name, t);
        }
    }
    dict_free(&seen);
    if (st != LL_OK) return st;
    return load_attach(X, err);
}

static void *worker_main(void *arg)
{
    csv_seg *S = arg;
    seg_run(S, NULL, NULL);
    pthread_mutex_lock(&S->mu);
    S->finished = 1;
    pthread_cond_signal(&S->cv);
    pthread_mutex_unlock(&S->mu);
    return NULL;
}

static int load_progress(load_ctx *X)
{
    if (!X->opt->progress) return 0;
    long long done = atomic_load(&X->s0.done);
    if (X->worker) done += atomic_load(&X->s1.done);
    long long total = X->src->size;
    if (done > total) done = total;
    return X->opt->progress((size_t)done, (size_t)total, X->opt->progress_ud);
}

static void load_drop_worker(load_ctx *X)
{
    if (!X->s1_live) return;
    seg_free(&X->s1);
    tb_free(&X->b1);
    X->s1_live = 0;
}

/* Start parsing the second half on a thread once the header is known. */
static void maybe_start_worker(load_ctx *X)
{
    csv_seg *S0 = &X->s0;
    if (!X->split || X->worker || !S0->P.saw_header || S0->pos >= X->split) return;
    csv_sink sink = {NULL, NULL, tb_row, &X->b1};
    ll_error *e = &X->werr;
    if (tb_init(&X->b1, X->ncols, X->modes, (const char *const *)X->names, X->src->name, e))
        goto nosplit;
    FILE *f = fopen(X->src->path, "rb");
    if (!f) {
        tb_free(&X->b1);
        goto nosplit;
    }
    setvbuf(f, NULL, _IONBF, 0); /* chunked reads of our own */
    if (fseeko(f, (off_t)X->split, SEEK_SET) != 0 ||
        seg_init(&X->s1, f, X->split, X->src->name, S0->P.delim, X->opt->skip_bad_rows, &sink,
                 X->opt->cancel, e) != LL_OK) {
        fclose(f);
        tb_free(&X->b1);
        goto nosplit;
    }
    X->s1.own_f = 1;
    X->s1_live = 1;
    parser_set_columns(&X->s1.P, X->ncols);
    if (tb_attach(&X->b1, &X->s1.P)) goto nosplit;
    pthread_mutex_init(&X->s1.mu, NULL);
    pthread_cond_init(&X->s1.cv, NULL);
    if (pthread_create(&X->tid, NULL, worker_main, &X->s1) != 0) {
        pthread_mutex_destroy(&X->s1.mu);
        pthread_cond_destroy(&X->s1.cv);
        goto nosplit;
    }
    X->worker = 1;
    S0->end = X->split;
    return;
nosplit:
    load_drop_worker(X);
    X->split = 0;
}

static int load_hook(void *ctx, csv_seg *S)
{
    load_ctx *X = ctx;
    (void)S;
    maybe_start_worker(X);
    return load_progress(X);
}

/* Wait for the worker, still reporting progress (and honouring cancel) meanwhile. */
static void worker_join(load_ctx *X, int discard)
{
    if (!X->worker) return;
    csv_seg *S1 = &X->s1;
    if (discard) atomic_store(&S1->abort, 1);
    pthread_mutex_lock(&S1->mu);
    while (!S1->finished) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&S1->cv, &S1->mu, &ts);
        if (!S1->finished && !discard) {
            pthread_mutex_unlock(&S1->mu);
            if (load_progress(X) || (X->opt->cancel && *X->opt->cancel))
                atomic_store(&S1->abort, 1);
            pthread_mutex_lock(&S1->mu);
        }
    }
    pthread_mutex_unlock(&S1->mu);
    pthread_join(X->tid, NULL);
    pthread_mutex_destroy(&S1->mu);
    pthread_cond_destroy(&S1->cv);
    X->worker = 0;
}

/* Byte offset just after the first line break at or after the middle of the file, or 0. */
static long long find_split(FILE *f, long long size)
{
    char buf[65536];
    long long at = size / 2;
    int fd = fileno(f);
    for (int tries = 0; tries < 16 && at < size; tries++) {
        ssize_t n = pread(fd, buf, sizeof buf, (off_t)at);
        if (n <= 0) return 0;
        const char *nl = memchr(buf, '\n', (size_t)n);
        if (nl) {
            long long split = at + (nl - buf) + 1;
            return split < size ? split : 0;
        }
        at += n;
    }
    return 0;
}

static void merge_skips(csv_parser_t *A, const csv_parser_t *B, long line_base)
{
    for (size_t i = 0; i < B->skipped && i < CSV_NSKIP; i++) {
        if (A->skipped + i >= CSV_NSKIP) break;
        A->skip_lines[A->skipped + i] = B->skip_lines[i] + line_base;
    }
    A->skipped += B->skipped;
}

/* One pass over the file; on success the rows are in X->b0 (and X->s0.P has the counts). */
static ll_status load_pass(load_ctx *X, ll_error *err)
{
    csv_source *src = X->src;
    csv_sink sink = {load_header, X, tb_row, &X->b0};
    if (fseeko(src->f, 0, SEEK_SET) != 0)
        return ll_error_set_at(err, LL_EIO, src->name, 0, 0, "cannot rewind: %s", strerror(errno));
    ll_status st = seg_init(&X->s0, src->f, 0, src->name, X->delim, X->opt->skip_bad_rows, &sink,
                            X->opt->cancel, err);
    if (st != LL_OK) return st;
    X->split = 0;
    if (X->threads > 1 && src->size >= CSV_SPLIT_MIN) X->split = find_split(src->f, src->size);
    int r = seg_run(&X->s0, load_hook, X);
    if (r == SEG_END) {
        /* The first half ended at the split point: valid only if that line break was outside
         * quotes, i.e. libcsv is between rows. Otherwise parse the rest on this thread. */
        if (X->s0.P.p.pstate != CSV_PSTATE_ROW_NOT_BEGUN) {
            worker_join(X, 1);
            load_drop_worker(X);
            X->split = 0;
            X->s0.end = -1;
            r = seg_run(&X->s0, load_hook, X);
        }
    }
    if (r == SEG_STOP) {
        worker_join(X, 1);
        st = X->s0.P.st;
        if (err) *err = X->s0.P.err;
    } else if (r == SEG_END) {
        worker_join(X, 0);
        long base = X->s0.P.line - 1;
        csv_parser_t *P1 = &X->s1.P;
        if (P1->st != LL_OK) {
            st = P1->st;
            if (err) {
                *err = P1->err;
                if (err->line > 0) err->line += base;
            }
        } else {
            st = tb_merge(&X->b0, &X->b1, base, err);
            if (X->pass == 1) X->used_threads = 2;
            merge_skips(&X->s0.P, P1, base);
            X->s0.P.rows += P1->rows;
        }
    }
    load_drop_worker(X); /* after a merge only emptied builders are left */
    X->split = 0;
    if (st == LL_OK && !X->s0.P.saw_header)
        st = ll_error_set_at(err, LL_EPARSE, src->name, 1, 1, "empty file");
    if (st == LL_OK && X->opt->progress &&
        X->opt->progress((size_t)src->size, (size_t)src->size, X->opt->progress_ud))
        st = ll_error_set(err, LL_ECANCELLED, "cancelled");
    X->delim = X->s0.P.delim;
    return st;
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Give back the growth slack of a column array (cheap: shrinking never copies much). */
static void *shrink(void *p, size_t bytes)
{
    void *q = bytes ? realloc(p, bytes) : NULL;
    return q ? q : p;
}

/* Build the final ll_column from a merged builder, inferring booleans. */
static ll_status col_finish(col_build *c, const char *name, size_t nrows, ll_column *out,
                            ll_error *err)
{
    memset(out, 0, sizeof *out);
    out->name = xstrdup(name);
    if (!out->name) goto nomem;
    out->missing = c->missing;
    if (c->num) c->num = shrink(c->num, nrows * sizeof *c->num);
    if (c->codes) c->codes = shrink(c->codes, nrows * sizeof *c->codes);
    if (c->mode == M_NUM || c->mode == M_FNUM) {
        int is_bool = c->mode == M_NUM && c->nonmissing > 0 && c->all01;
        out->type = is_bool ? LL_COL_BOOLEAN : LL_COL_NUMERIC;
        out->num = c->num;
        c->num = NULL;
        if (is_bool) {
            out->dict = calloc(2, sizeof *out->dict);
            if (!out->dict || !(out->dict[0] = strdup("0")) || !(out->dict[1] = strdup("1")))
                goto nomem;
            out->ndict = 2;
        }
        return LL_OK;
    }
    if (c->mode == M_FBOOL) {
        out->type = LL_COL_BOOLEAN;
        out->num = c->num;
        c->num = NULL;
        int pair = c->pair < 0 ? 0 : c->pair;
        out->dict = calloc(2, sizeof *out->dict);
        if (!out->dict) goto nomem;
        out->ndict = 2;
        for (int t = 0; t < 2; t++) {
            if (c->spell[t]) {
                out->dict[t] = c->spell[t];
                c->spell[t] = NULL;
            } else if (!(out->dict[t] = strdup(pair == BOOL_PAIR_01 ? (t ? "1" : "0")
                                                                    : bool_words[pair][t]))) {
                goto nomem;
            }
        }
        return LL_OK;
    }
    /* text: boolean when every level is a word of one pair */
    int pair = -1, first[2] = {-1, -1};
    if (c->mode == M_CAT && c->d.n > 0 && c->d.n <= 16) {
        for (int32_t j = 0; j < c->d.n; j++) {
            int w = bool_word(c->d.str[j], c->d.slen[j]);
            if (w < 0 || (pair >= 0 && w / 2 != pair)) {
                pair = -1;
                break;
            }
            pair = w / 2;
            if (first[w % 2] < 0) first[w % 2] = j;
        }
    }
    if (pair >= 0) {
        double *num = malloc((nrows ? nrows : 1) * sizeof *num);
        char **dict = calloc(2, sizeof *dict);
        if (!num || !dict) {
            free(num);
            free(dict);
            goto nomem;
        }
        for (size_t r = 0; r < nrows; r++) {
            int32_t k = c->codes[r];
            num[r] = k < 0 ? NAN : (double)(bool_word(c->d.str[k], c->d.slen[k]) % 2);
        }
        out->type = LL_COL_BOOLEAN;
        out->num = num;
        out->dict = dict;
        out->ndict = 2;
        for (int t = 0; t < 2; t++) {
            dict[t] = first[t] >= 0 ? strdup(c->d.str[first[t]]) : strdup(bool_words[pair][t]);
            if (!dict[t]) goto nomem;
        }
        return LL_OK;
    }
    out->type = LL_COL_CATEGORICAL;
    out->codes = c->codes;
    c->codes = NULL;
    out->dict = c->d.str;
    out->ndict = c->d.n;
    if (!out->dict) {
        out->dict = calloc(1, sizeof *out->dict);
        if (!out->dict) goto nomem;
    }
    c->d.str = NULL;
    c->d.n = 0;
    return LL_OK;
nomem:
    ll_column_clear(out);
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

ll_status ll_csv_read_table(const char *path, const ll_csv_options *opt, ll_table **out,
                            ll_csv_report *report, ll_error *err)
{
    static const ll_csv_options defaults;
    if (!opt) opt = &defaults;
    if (report) memset(report, 0, sizeof *report);
    ll_error_clear(err);
    if (!out) return ll_error_set(err, LL_EINVAL, "no output table given");
    *out = NULL;
    csv_source src;
    ll_status st = source_open(&src, path, opt, 1, err);
    if (st != LL_OK) {
        source_close(&src);
        return st;
    }
    load_ctx X;
    memset(&X, 0, sizeof X);
    X.src = &src;
    X.opt = opt;
    X.delim = opt->delimiter;
    X.pass = 1;
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    X.threads = opt->threads == 1 || nproc < 2 ? 1 : 2;
    ll_table *t = NULL;

    st = load_pass(&X, err);
    csv_parser_t P1 = X.s0.P; /* counts and skips of the first pass */
    seg_free(&X.s0);
    if (st == LL_OK && X.b0.nrows == 0) {
        if (P1.skipped)
            st = ll_error_set_at(err, LL_EPARSE, src.name, P1.line, 1,
                                 "no data rows (%zu bad rows skipped)", P1.skipped);
        else
            st = ll_error_set_at(err, LL_EPARSE, src.name, P1.line, 1, "no data rows");
    }
    int need_rescan = 0;
    for (size_t i = 0; st == LL_OK && i < X.ncols; i++) need_rescan |= X.b0.cols[i].mode == M_LOST;
    if (st == LL_OK && need_rescan) {
        /* Some columns held numbers and later text: read their original text again. */
        tab_build first = X.b0;
        memset(&X.b0, 0, sizeof X.b0);
        for (size_t i = 0; i < X.ncols; i++)
            X.modes[i] = first.cols[i].mode == M_LOST ? M_CAT : M_SKIP;
        X.pass = 2;
        st = load_pass(&X, err);
        seg_free(&X.s0);
        if (st == LL_OK && X.b0.nrows != first.nrows)
            st = ll_error_set_at(err, LL_EIO, src.name, 0, 0,
                                 "the file changed while it was being read");
        if (st == LL_OK) {
            for (size_t i = 0; i < X.ncols; i++) {
                if (first.cols[i].mode != M_LOST) continue;
                col_free(&first.cols[i]);
                first.cols[i] = X.b0.cols[i];
                memset(&X.b0.cols[i], 0, sizeof X.b0.cols[i]);
            }
        }
        tb_free(&X.b0);
        X.b0 = first;
    }
    if (st == LL_OK) {
        t = ll_table_new(X.b0.nrows, src.name);
        if (!t) st = ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; st == LL_OK && i < X.ncols; i++) {
        ll_column c;
        st = col_finish(&X.b0.cols[i], X.names[i], X.b0.nrows, &c, err);
        if (st == LL_OK && ll_table_adopt_column(t, &c) < 0) {
            ll_column_clear(&c);
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
        }
    }
    tb_free(&X.b0);
    names_free(X.names, X.ncols);
    free(X.modes);
    if (report) {
        report_fill(report, &P1);
        report->delimiter = X.delim;
        report->threads = X.used_threads ? X.used_threads : 1;
        report->passes = need_rescan ? 2 : 1;
    }
    source_close(&src);
    if (st != LL_OK) {
        ll_table_free(t);
        return st;
    }
    *out = t;
    return LL_OK;
}
