/* cmd_predict: the `predict` command — stream a CSV through a saved model in constant memory. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "csv.h"
#include "model.h"
#include "numfmt.h"
#include "prep.h"

static const ll_optspec predict_opts[] = {
    {"model", 'm', LL_OPT_STRING, "DIR", "model directory (or model.json / XGBoost JSON file)"},
    {"input", 'i', LL_OPT_STRING, "FILE", "rows to score, CSV with a header ('-' = stdin)"},
    {"output", 'o', LL_OPT_STRING, "FILE", "scored CSV ('-' = stdout, the default)"},
    {"threshold", 0, LL_OPT_DOUBLE, "T",
     "probability at or above which the label is positive "
     "(default 0.5)"},
    {"chunk", 0, LL_OPT_INT, "N", "rows scored per chunk (default 65536)"},
};

#define DEFAULT_CHUNK 65536

/* ---------- fast probability text ---------- */

/* 17 significant digits computed in 64-bit-mantissa long double: the product p * 10^k carries
 * at most 2^-64 relative error, so the rounded 17-digit decimal lies within half an ulp of p
 * and reads back to exactly p (the full argument is in lendlab-predict(1)'s NOTES). Other
 * values and platforms take ll_numfmt_double. Returns the length written to buf (>= 32). */
static size_t fmt_prob(double p, char *buf)
{
#if LDBL_MANT_DIG >= 64
    static const long double p10[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                      1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                      1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
                                      1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
    if (p >= 1e-10 && p < 1) {
        int k = 17;
        long double x = (long double)p * p10[k];
        while (x < 1e16L && k < 27) x = (long double)p * p10[++k];
        unsigned long long n = (unsigned long long)llrintl(x);
        if (n >= 100000000000000000ULL) { /* rounded up to 10^17: one digit fewer */
            n /= 10;
            k--;
        }
        if (k >= 17) {
            char digits[17];
            for (int i = 16; i >= 0; i--) {
                digits[i] = (char)('0' + n % 10);
                n /= 10;
            }
            int nd = 17;
            while (nd > 1 && digits[nd - 1] == '0') nd--;
            size_t o = 0;
            buf[o++] = '0';
            buf[o++] = '.';
            for (int z = 0; z < k - 17; z++) buf[o++] = '0';
            memcpy(buf + o, digits, (size_t)nd);
            o += (size_t)nd;
            buf[o] = '\0';
            return o;
        }
    }
#endif
    ll_numfmt_double(p, buf, 64);
    return strlen(buf);
}

/* ---------- text helpers ---------- */

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static int sb_reserve(sbuf *b, size_t extra)
{
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->len + extra) cap *= 2;
    char *n = realloc(b->p, cap);
    if (!n) return -1;
    b->p = n;
    b->cap = cap;
    return 0;
}

/* Append a CSV field, quoted when it holds a comma, quote or line break. */
static int sb_field(sbuf *b, const char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r') {
            quote = 1;
            break;
        }
    }
    if (sb_reserve(b, quote ? 2 * n + 2 : n)) return -1;
    if (!quote) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
        return 0;
    }
    b->p[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') b->p[b->len++] = '"';
        b->p[b->len++] = s[i];
    }
    b->p[b->len++] = '"';
    return 0;
}

/* Write a CSV field at w (room for 2 n + 2 bytes), quoted when needed; returns the end. */
static char *put_field(char *w, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != ',' && s[i] != '"' && s[i] != '\n' && s[i] != '\r') i++;
    if (i == n) {
        memcpy(w, s, n);
        return w + n;
    }
    *w++ = '"';
    for (i = 0; i < n; i++) {
        if (s[i] == '"') *w++ = '"';
        *w++ = s[i];
    }
    *w++ = '"';
    return w;
}

static uint64_t hash_text(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* Text -> code map (open addressing) for one categorical feature: the plan's categories are
 * permanent, texts unseen by the plan are added per chunk and dropped at the next one. */
typedef struct {
    int32_t *slot; /* code + 1, 0 = empty */
    size_t mask;
    int ncat; /* plan categories: codes 0..ncat-1 */
    const char *const *cats;
    size_t *catlen;
    char **extra; /* this chunk's unseen texts: codes ncat.. */
    size_t *extralen;
    size_t nextra, cap_extra;
    char **dict; /* cats then extras: the chunk column's dictionary */
    size_t cap_dict;
} catmap;

static const char *catmap_text(const catmap *m, int32_t code)
{
    return code < m->ncat ? m->cats[code] : m->extra[code - m->ncat];
}

static size_t catmap_len(const catmap *m, int32_t code)
{
    return code < m->ncat ? m->catlen[code] : m->extralen[code - m->ncat];
}

static int catmap_grow(catmap *m);

static int32_t catmap_find(catmap *m, const char *s, size_t n, int add)
{
    size_t i = (size_t)hash_text(s, n) & m->mask;
    for (;; i = (i + 1) & m->mask) {
        int32_t v = m->slot[i];
        if (!v) break;
        if (catmap_len(m, v - 1) == n && !memcmp(catmap_text(m, v - 1), s, n)) return v - 1;
    }
    if (!add) return -1;
    if ((size_t)m->ncat + m->nextra + 1 > (m->mask + 1) / 2) {
        if (catmap_grow(m)) return -2;
        return catmap_find(m, s, n, add);
    }
    if (m->nextra == m->cap_extra) {
        size_t cap = m->cap_extra ? m->cap_extra * 2 : 64;
        char **e = realloc(m->extra, cap * sizeof *e);
        if (!e) return -2;
        m->extra = e;
        size_t *el = realloc(m->extralen, cap * sizeof *el);
        if (!el) return -2;
        m->extralen = el;
        m->cap_extra = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy) return -2;
    memcpy(copy, s, n);
    copy[n] = '\0';
    int32_t code = (int32_t)(m->ncat + (int)m->nextra);
    m->extralen[m->nextra] = n;
    m->extra[m->nextra++] = copy;
    m->slot[i] = code + 1;
    return code;
}

static void catmap_insert_code(catmap *m, int32_t code)
{
    size_t i = (size_t)hash_text(catmap_text(m, code), catmap_len(m, code)) & m->mask;
    while (m->slot[i]) i = (i + 1) & m->mask;
    m->slot[i] = code + 1;
}

static int catmap_grow(catmap *m)
{
    size_t size = (m->mask + 1) * 2;
    int32_t *s = calloc(size, sizeof *s);
    if (!s) return -1;
    free(m->slot);
    m->slot = s;
    m->mask = size - 1;
    for (int32_t c = 0; c < m->ncat + (int32_t)m->nextra; c++) catmap_insert_code(m, c);
    return 0;
}

static int catmap_init(catmap *m, const char *const *cats, int ncat)
{
    memset(m, 0, sizeof *m);
    m->cats = cats;
    m->ncat = ncat;
    size_t size = 64;
    while (size < (size_t)ncat * 4) size *= 2;
    m->slot = calloc(size, sizeof *m->slot);
    m->catlen = malloc((size_t)(ncat ? ncat : 1) * sizeof *m->catlen);
    if (!m->slot || !m->catlen) return -1;
    m->mask = size - 1;
    for (int32_t c = 0; c < ncat; c++) m->catlen[c] = strlen(cats[c]);
    for (int32_t c = 0; c < ncat; c++) catmap_insert_code(m, c);
    return 0;
}

/* Forget the extras of the previous chunk. */
static void catmap_reset(catmap *m)
{
    if (!m->nextra) return;
    for (size_t i = 0; i < m->nextra; i++) free(m->extra[i]);
    m->nextra = 0;
    memset(m->slot, 0, (m->mask + 1) * sizeof *m->slot);
    for (int32_t c = 0; c < m->ncat; c++) catmap_insert_code(m, c);
}

static void catmap_free(catmap *m)
{
    for (size_t i = 0; i < m->nextra; i++) free(m->extra[i]);
    free(m->extra);
    free(m->extralen);
    free(m->catlen);
    free(m->slot);
    free(m->dict);
    memset(m, 0, sizeof *m);
}

/* ---------- chunks and the scoring worker ---------- */

typedef struct {
    size_t n;       /* rows filled */
    ll_table table; /* the model's schema; column arrays hold `cap` rows */
    ll_column *cols;
    catmap *maps; /* per feature (categorical ones used) */
    sbuf text;    /* the rows' input fields, re-quoted, concatenated */
    size_t *off;  /* n + 1 row offsets into text */
    double *prob;
    sbuf out;
} chunk;

typedef struct {
    const ll_cmd_ctx *ctx;
    const ll_model *model;
    const ll_prep *prep;
    int nfeat;
    const char *input;
    size_t cap;
    double threshold;
    FILE *out;
    /* schema */
    int have_header;
    size_t ncols_in;
    long *feat_col; /* per feature: input column */
    sbuf header;
    char *pos_q, *neg_q; /* labels as CSV fields */
    size_t pos_len, neg_len;
    /* double buffering */
    chunk ch[2];
    int cur;
    pthread_t th;
    int th_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int job; /* index of the chunk handed to the worker, -1 none */
    int quit;
    int failed; /* worker error (in werr) */
    ll_error werr;
    /* scan-side error */
    ll_error perr;
    int pfailed;
    size_t rows;
} pstate;

static int chunk_init(pstate *S, chunk *c)
{
    memset(c, 0, sizeof *c);
    size_t cap = S->cap;
    c->cols = calloc((size_t)S->nfeat, sizeof *c->cols);
    c->maps = calloc((size_t)S->nfeat, sizeof *c->maps);
    c->off = malloc((cap + 1) * sizeof *c->off);
    c->prob = malloc(cap * sizeof *c->prob);
    if (!c->cols || !c->maps || !c->off || !c->prob) return -1;
    for (int f = 0; f < S->nfeat; f++) {
        ll_column *col = &c->cols[f];
        col->name = (char *)ll_prep_feature_name(S->prep, f);
        col->type = ll_prep_feature_type(S->prep, f);
        if (col->type == LL_COL_CATEGORICAL) {
            int ncat;
            const char *const *cats = ll_prep_categories(S->prep, f, &ncat);
            if (catmap_init(&c->maps[f], cats, ncat)) return -1;
            if (!(col->codes = malloc(cap * sizeof *col->codes))) return -1;
        } else {
            if (!(col->num = malloc(cap * sizeof *col->num))) return -1;
        }
    }
    c->table.cols = c->cols;
    c->table.ncols = (size_t)S->nfeat;
    c->table.cap_cols = (size_t)S->nfeat;
    c->off[0] = 0;
    return 0;
}

static void chunk_free(pstate *S, chunk *c)
{
    if (c->cols)
        for (int f = 0; f < S->nfeat; f++) {
            free(c->cols[f].num);
            free(c->cols[f].codes);
        }
    if (c->maps)
        for (int f = 0; f < S->nfeat; f++) catmap_free(&c->maps[f]);
    free(c->cols);
    free(c->maps);
    free(c->off);
    free(c->prob);
    free(c->text.p);
    free(c->out.p);
    memset(c, 0, sizeof *c);
}

static void chunk_reset(pstate *S, chunk *c)
{
    c->n = 0;
    c->text.len = 0;
    for (int f = 0; f < S->nfeat; f++)
        if (c->cols[f].type == LL_COL_CATEGORICAL) catmap_reset(&c->maps[f]);
}

/* Finish the chunk's table: dictionaries of its categorical columns (plan categories, then the
 * unseen texts of this chunk). */
static int chunk_seal(pstate *S, chunk *c)
{
    c->table.nrows = c->n;
    for (int f = 0; f < S->nfeat; f++) {
        ll_column *col = &c->cols[f];
        if (col->type != LL_COL_CATEGORICAL) continue;
        catmap *m = &c->maps[f];
        size_t nd = (size_t)m->ncat + m->nextra;
        if (nd > m->cap_dict) {
            char **d = realloc(m->dict, (nd ? nd : 1) * sizeof *d);
            if (!d) return -1;
            m->dict = d;
            m->cap_dict = nd;
        }
        for (int32_t i = 0; i < (int32_t)nd; i++) m->dict[i] = (char *)catmap_text(m, i);
        col->dict = m->dict;
        col->ndict = (int32_t)nd;
    }
    return 0;
}

/* Score one chunk and write its rows with probability and label. */
static ll_status chunk_score(pstate *S, chunk *c, ll_error *err)
{
    ll_status st = ll_model_predict(S->model, &c->table, c->prob, err);
    if (st) return st;
    sbuf *o = &c->out;
    o->len = 0;
    for (size_t r = 0; r < c->n; r++) {
        size_t tl = c->off[r + 1] - c->off[r];
        int pos = c->prob[r] >= S->threshold;
        size_t ll = pos ? S->pos_len : S->neg_len;
        if (sb_reserve(o, tl + ll + 72)) return ll_error_set(err, LL_ENOMEM, "out of memory");
        char *w = o->p + o->len;
        memcpy(w, c->text.p + c->off[r], tl);
        w += tl;
        *w++ = ',';
        w += fmt_prob(c->prob[r], w);
        *w++ = ',';
        memcpy(w, pos ? S->pos_q : S->neg_q, ll);
        w += ll;
        *w++ = '\n';
        o->len = (size_t)(w - o->p);
    }
    if (fwrite(o->p, 1, o->len, S->out) != o->len)
        return ll_error_set(err, LL_EIO, "writing the output: %s", strerror(errno));
    return LL_OK;
}

static void *worker_main(void *arg)
{
    pstate *S = arg;
    pthread_mutex_lock(&S->mu);
    for (;;) {
        while (S->job < 0 && !S->quit) pthread_cond_wait(&S->cv, &S->mu);
        if (S->job < 0) break;
        chunk *c = &S->ch[S->job];
        int failed = S->failed;
        pthread_mutex_unlock(&S->mu);
        ll_error e;
        ll_error_clear(&e);
        ll_status st = failed ? LL_OK : chunk_score(S, c, &e);
        pthread_mutex_lock(&S->mu);
        if (st && !S->failed) {
            S->failed = 1;
            S->werr = e;
        }
        S->job = -1;
        pthread_cond_broadcast(&S->cv);
    }
    pthread_mutex_unlock(&S->mu);
    return NULL;
}

/* Hand the current chunk to the worker (waiting for it to finish the previous one) and start
 * filling the other. Without a worker thread the chunk is scored inline. */
static int submit(pstate *S)
{
    chunk *c = &S->ch[S->cur];
    if (chunk_seal(S, c)) {
        ll_error_set(&S->perr, LL_ENOMEM, "out of memory");
        S->pfailed = 1;
        return -1;
    }
    if (!S->th_started) {
        ll_status st = chunk_score(S, c, &S->werr);
        if (st) S->failed = 1;
        chunk_reset(S, c);
        return S->failed ? -1 : 0;
    }
    pthread_mutex_lock(&S->mu);
    while (S->job >= 0) pthread_cond_wait(&S->cv, &S->mu);
    int failed = S->failed;
    if (!failed) {
        S->job = S->cur;
        pthread_cond_broadcast(&S->cv);
    }
    pthread_mutex_unlock(&S->mu);
    if (failed) return -1;
    S->cur = 1 - S->cur;
    chunk_reset(S, &S->ch[S->cur]);
    return 0;
}

static int wait_idle(pstate *S)
{
    if (!S->th_started) return S->failed ? -1 : 0;
    pthread_mutex_lock(&S->mu);
    while (S->job >= 0) pthread_cond_wait(&S->cv, &S->mu);
    int failed = S->failed;
    pthread_mutex_unlock(&S->mu);
    return failed ? -1 : 0;
}

/* ---------- the row callback ---------- */

static int bool_text(const char *s, size_t n, double *out)
{
    static const char *const t[] = {"true", "yes", "y", "t"};
    static const char *const f[] = {"false", "no", "n", "f"};
    for (int i = 0; i < 4; i++) {
        if (strlen(t[i]) == n && !strncasecmp(s, t[i], n)) {
            *out = 1;
            return 1;
        }
        if (strlen(f[i]) == n && !strncasecmp(s, f[i], n)) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static int on_header(pstate *S, const ll_csv_row *row)
{
    S->ncols_in = row->nfields;
    for (int f = 0; f < S->nfeat; f++) {
        const char *name = ll_prep_feature_name(S->prep, f);
        size_t nl = strlen(name);
        S->feat_col[f] = -1;
        for (size_t i = 0; i < row->nfields; i++)
            if (row->len[i] == nl && !memcmp(row->field[i], name, nl)) {
                S->feat_col[f] = (long)i;
                break;
            }
        if (S->feat_col[f] < 0) {
            ll_error_set_at(&S->perr, LL_ENOTFOUND, S->input, row->line, 0,
                            "feature column '%s' is missing from the input", name);
            S->pfailed = 1;
            return 1;
        }
    }
    sbuf *h = &S->header;
    for (size_t i = 0; i < row->nfields; i++) {
        if (i) {
            if (sb_reserve(h, 1)) goto oom;
            h->p[h->len++] = ',';
        }
        if (sb_field(h, row->field[i], row->len[i])) goto oom;
    }
    static const char tail[] = ",probability,label\n";
    if (sb_reserve(h, sizeof tail)) goto oom;
    memcpy(h->p + h->len, tail, sizeof tail - 1);
    h->len += sizeof tail - 1;
    if (fwrite(h->p, 1, h->len, S->out) != h->len) {
        ll_error_set(&S->perr, LL_EIO, "writing the output: %s", strerror(errno));
        S->pfailed = 1;
        return 1;
    }
    S->have_header = 1;
    return 0;
oom:
    ll_error_set(&S->perr, LL_ENOMEM, "out of memory");
    S->pfailed = 1;
    return 1;
}

static int on_row(const ll_csv_row *row, void *ud)
{
    pstate *S = ud;
    if (!S->have_header) return on_header(S, row);
    if (S->ctx->cancel && *S->ctx->cancel) {
        ll_error_set(&S->perr, LL_ECANCELLED, "cancelled");
        S->pfailed = 1;
        return 1;
    }
    if (row->nfields != S->ncols_in) {
        ll_error_set_at(&S->perr, LL_EPARSE, S->input, row->line, 0,
                        "expected %zu fields as in the header, got %zu", S->ncols_in, row->nfields);
        S->pfailed = 1;
        return 1;
    }
    chunk *c = &S->ch[S->cur];
    size_t r = c->n;
    for (int f = 0; f < S->nfeat; f++) {
        size_t i = (size_t)S->feat_col[f];
        const char *s = row->field[i];
        size_t n = row->len[i];
        ll_column *col = &c->cols[f];
        if (col->type == LL_COL_CATEGORICAL) {
            if (ll_csv_is_missing(s, n)) {
                col->codes[r] = -1;
                continue;
            }
            int32_t code = catmap_find(&c->maps[f], s, n, 1);
            if (code < 0) {
                ll_error_set(&S->perr, LL_ENOMEM, "out of memory");
                S->pfailed = 1;
                return 1;
            }
            col->codes[r] = code;
            continue;
        }
        double v;
        if (ll_numparse(s, n, &v)) {
            col->num[r] = v;
        } else if (ll_csv_is_missing(s, n)) {
            col->num[r] = NAN;
        } else if (col->type == LL_COL_BOOLEAN && bool_text(s, n, &v)) {
            col->num[r] = v;
        } else {
            ll_error_set_at(&S->perr, LL_EPARSE, S->input, row->line, (long)i + 1,
                            "column '%s' should be %s but holds '%.*s'", col->name,
                            col->type == LL_COL_BOOLEAN ? "boolean" : "numeric",
                            (int)(n > 64 ? 64 : n), s);
            S->pfailed = 1;
            return 1;
        }
    }
    sbuf *t = &c->text;
    size_t need = 0;
    for (size_t i = 0; i < row->nfields; i++) need += 2 * row->len[i] + 3;
    if (sb_reserve(t, need)) goto oom;
    char *w = t->p + t->len;
    for (size_t i = 0; i < row->nfields; i++) {
        if (i) *w++ = ',';
        w = put_field(w, row->field[i], row->len[i]);
    }
    t->len = (size_t)(w - t->p);
    c->off[r + 1] = t->len;
    c->n = r + 1;
    S->rows++;
    if (c->n == S->cap && submit(S)) return 1;
    return 0;
oom:
    ll_error_set(&S->perr, LL_ENOMEM, "out of memory");
    S->pfailed = 1;
    return 1;
}

static char *quoted_label(const char *s, size_t *len)
{
    sbuf b = {0};
    if (sb_field(&b, s, strlen(s)) || sb_reserve(&b, 1)) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    *len = b.len;
    return b.p;
}

static int exec_predict(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *model_path = ll_args_str(a, "model");
    const char *input = ll_args_str(a, "input");
    const char *output = ll_args_str(a, "output");
    if (!output) output = "-";
    double threshold = ll_args_double(a, "threshold", 0.5);
    long cap = ll_args_int(a, "chunk", DEFAULT_CHUNK);
    if (!model_path || !input) {
        fprintf(ctx->err, "lendlab predict: --model DIR and --input FILE are required\n"
                          "Try 'lendlab --batch predict --help'.\n");
        return LL_EXIT_USAGE;
    }
    if (!(threshold >= 0 && threshold <= 1)) {
        fprintf(ctx->err, "lendlab predict: --threshold must be in [0, 1]\n");
        return LL_EXIT_USAGE;
    }
    if (cap < 1 || cap > 16777216) {
        fprintf(ctx->err, "lendlab predict: --chunk must be in 1..16777216\n");
        return LL_EXIT_USAGE;
    }
    ll_error err;
    ll_error_clear(&err);
    char ebuf[1600];
    ll_model *model = NULL;
    if (ll_model_load(model_path, &model, &err)) {
        fprintf(ctx->err, "lendlab predict: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        return LL_EXIT_ERROR;
    }
    pstate S;
    memset(&S, 0, sizeof S);
    S.ctx = ctx;
    S.model = model;
    S.prep = ll_model_prep(model);
    S.nfeat = ll_prep_nfeat(S.prep);
    S.input = input;
    S.cap = (size_t)cap;
    S.threshold = threshold;
    S.job = -1;
    int rc = LL_EXIT_ERROR;
    char tmp[4200] = "";
    int to_stdout = !strcmp(output, "-");
    S.feat_col = calloc((size_t)S.nfeat, sizeof *S.feat_col);
    S.pos_q = quoted_label(ll_prep_positive_label(S.prep), &S.pos_len);
    S.neg_q = quoted_label(ll_prep_negative_label(S.prep), &S.neg_len);
    int sync_ok = !pthread_mutex_init(&S.mu, NULL);
    if (sync_ok && pthread_cond_init(&S.cv, NULL)) {
        pthread_mutex_destroy(&S.mu);
        sync_ok = 0;
    }
    if (!S.feat_col || !S.pos_q || !S.neg_q || !sync_ok || chunk_init(&S, &S.ch[0]) ||
        chunk_init(&S, &S.ch[1])) {
        fprintf(ctx->err, "lendlab predict: out of memory\n");
        goto done;
    }
    if (to_stdout) {
        S.out = ctx->out;
    } else {
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", output, (long)getpid());
        S.out = fopen(tmp, "wb");
        if (!S.out) {
            fprintf(ctx->err, "lendlab predict: %s: %s\n", output, strerror(errno));
            tmp[0] = '\0';
            goto done;
        }
        setvbuf(S.out, NULL, _IOFBF, 1 << 20);
    }
    /* one worker thread scores and writes chunk k while this thread parses chunk k + 1 */
    S.th_started = !pthread_create(&S.th, NULL, worker_main, &S);
    ll_csv_options copt = {0};
    copt.cancel = ctx->cancel;
    ll_status st = ll_csv_scan(input, &copt, on_row, &S, NULL, &err);
    if (!st && !S.have_header) st = ll_error_set_at(&err, LL_EPARSE, input, 1, 0, "no header row");
    if (!st && S.ch[S.cur].n) submit(&S);
    wait_idle(&S);
    if (S.th_started) {
        pthread_mutex_lock(&S.mu);
        S.quit = 1;
        pthread_cond_broadcast(&S.cv);
        pthread_mutex_unlock(&S.mu);
        pthread_join(S.th, NULL);
        S.th_started = 0;
    }
    /* the first cause wins: our own row error, then the worker's, then the reader's */
    const ll_error *e = S.pfailed ? &S.perr : S.failed ? &S.werr : st ? &err : NULL;
    if (e) {
        fprintf(ctx->err, "lendlab predict: %s\n", ll_error_format(e, ebuf, sizeof ebuf));
        rc = e->code == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
        goto done;
    }
    if (fflush(S.out)) {
        fprintf(ctx->err, "lendlab predict: writing %s: %s\n", output, strerror(errno));
        goto done;
    }
    if (!to_stdout) {
        /* renamed into place, not fsynced: a scored batch can be recomputed, and syncing
         * hundreds of megabytes would dominate the run */
        int bad = fclose(S.out) != 0;
        S.out = NULL;
        if (bad || rename(tmp, output)) {
            fprintf(ctx->err, "lendlab predict: %s: %s\n", output, strerror(errno));
            goto done;
        }
        tmp[0] = '\0';
    }
    if (ctx->progress) fprintf(ctx->err, "predict: %zu rows scored\n", S.rows);
    rc = LL_EXIT_OK;
done:
    if (S.th_started) {
        pthread_mutex_lock(&S.mu);
        S.quit = 1;
        pthread_cond_broadcast(&S.cv);
        pthread_mutex_unlock(&S.mu);
        pthread_join(S.th, NULL);
    }
    if (!to_stdout && S.out) fclose(S.out);
    if (tmp[0]) unlink(tmp);
    if (sync_ok) {
        pthread_cond_destroy(&S.cv);
        pthread_mutex_destroy(&S.mu);
    }
    chunk_free(&S, &S.ch[0]);
    chunk_free(&S, &S.ch[1]);
    free(S.feat_col);
    free(S.header.p);
    free(S.pos_q);
    free(S.neg_q);
    ll_model_free(model);
    return rc;
}

const ll_cmd_entry ll_cmd_predict = {
    "predict",
    NULL,
    "score a CSV file with a saved model, streaming, writing probability and label columns",
    "Every input row is written back (fields re-quoted as needed) followed by `probability`\n"
    "(of the positive class) and `label` (the positive label when probability >= --threshold,\n"
    "else the negative one). Columns are matched by name; extra columns pass through; a\n"
    "missing feature column is an error. Categories unseen in training are scored as the\n"
    "plan's 'other' bucket. The input is read in chunks, so memory stays constant. A model\n"
    "directory holding only an XGBoost JSON model is scored on raw values. See\n"
    "lendlab-predict(1); an interrupted run exits with status 130.",
    predict_opts,
    sizeof predict_opts / sizeof *predict_opts,
    0,
    0,
    exec_predict,
};
