/* cmd_predict: the `predict` command — stream a CSV through a saved model in constant memory. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "csv.h"
#include "fsutil.h"
#include "model.h"
#include "modeluri.h"
#include "numfmt.h"
#include "payload.h"
#include "prep.h"
#include "scorecard.h"
#include "shap.h"
#include "yamlmap.h"

static const ll_optspec predict_opts[] = {
    {"model", 'm', LL_OPT_STRING, "URI",
     "directory, models:/NAME@ALIAS, models:/NAME/VERSION or runs:/ID/model"},
    {"input", 'i', LL_OPT_STRING, "FILE", "rows to score, CSV with a header ('-' = stdin)"},
    {"output", 'o', LL_OPT_STRING, "FILE", "scored CSV ('-' = stdout, the default)"},
    {"threshold", 0, LL_OPT_DOUBLE, "T",
     "probability at or above which the label is positive (default 0.5)"},
    {"score", 0, LL_OPT_FLAG, NULL, "add a score column (scorecard points)"},
    {"reasons", 0, LL_OPT_INT, "K", "add score and the K features raising the risk most"},
    {"contributions", 0, LL_OPT_FLAG, NULL, "add every feature's contribution and the bias"},
    {"base-points", 0, LL_OPT_DOUBLE, "P", "points at the base odds (default 600)"},
    {"base-odds", 0, LL_OPT_DOUBLE, "O", "good:bad odds scoring the base points (default 50)"},
    {"pdo", 0, LL_OPT_DOUBLE, "D", "points to double the odds (default 20)"},
    {"timestamp", 0, LL_OPT_FLAG, NULL, "write NAME_YYYY-mm-dd_HH-MM-SS.csv (UTC) for NAME.csv"},
    {"marker", 0, LL_OPT_STRING, "FILE", "write the JSON describing the output to FILE"},
    {"chunk", 0, LL_OPT_INT, "N", "rows scored per chunk (default 65536)"},
};

#define DEFAULT_CHUNK 65536
#define MAX_REASONS   1000
/* Bytes reserved for a number with its comma: the room ll_numfmt_put asks for. */
#define NUM_FIELD_MAX (1 + LL_NUMFMT_MAX)
/* Output written per fwrite. */
#define OUT_BLOCK ((size_t)1 << 20)
/* Fewest rows worth a second thread for contributions. */
#define SHAP_SPLIT_ROWS 256

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

static int sb_put(sbuf *b, const char *s, size_t n)
{
    if (sb_reserve(b, n + 1)) return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int sb_puts(sbuf *b, const char *s)
{
    return sb_put(b, s, strlen(s));
}

static inline int is_special(char c)
{
    return c == ',' || c == '"' || c == '\n' || c == '\r';
}

/* Write a CSV field at w (room for 2 n + 2 bytes), quoted when it holds a comma, quote or
 * line break; returns the end. */
static char *put_field(char *w, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && !is_special(s[i])) i++;
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

/* Append a CSV field (quoted as put_field does). */
static int sb_field(sbuf *b, const char *s, size_t n)
{
    if (sb_reserve(b, 2 * n + 3)) return -1;
    b->len = (size_t)(put_field(b->p + b->len, s, n) - b->p);
    b->p[b->len] = '\0';
    return 0;
}

/* Non-zero when s[0..n) holds a byte that needs quoting: eight bytes at a time, a byte equal
 * to c shows up as a zero byte of w ^ c (exact test: (x - 1) & ~x & 0x80 per byte). */
static int any_special(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t a = w ^ (ones * ','), b = w ^ (ones * '"'), c = w ^ (ones * '\n'),
                 d = w ^ (ones * '\r');
        if ((((a - ones) & ~a) | ((b - ones) & ~b) | ((c - ones) & ~c) | ((d - ones) & ~d)) & high)
            return 1;
    }
    for (; i < n; i++)
        if (is_special(s[i])) return 1;
    return 0;
}

/* Eight bytes at a time: category texts are short, so this is a handful of multiplies. */
static uint64_t hash_text(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
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
    catmap *maps;    /* per feature (categorical ones used) */
    sbuf text;       /* the rows' input fields, re-quoted, concatenated */
    size_t *off;     /* n + 1 row offsets into text */
    double *prob;    /* n probabilities */
    double *contrib; /* with reasons or contributions: n x (nfeat + 1) */
    sbuf out;
} chunk;

typedef struct {
    const ll_cmd_ctx *ctx;
    const ll_model *model;
    const ll_prep *prep;
    const ll_shap *shap; /* NULL unless contributions are needed */
    int nfeat;
    const char *input;
    size_t cap;
    double threshold;
    int want_score, reasons, want_contrib;
    ll_scorecard scale;
    int threads; /* for contributions */
    FILE *out;
    const char *out_name; /* the output as errors name it */
    /* schema */
    int have_header;
    size_t ncols_in;
    long *feat_col; /* per feature: input column */
    sbuf header;
    char *pos_q, *neg_q; /* labels as CSV fields */
    size_t pos_len, neg_len;
    char **fname_q; /* feature names as CSV fields */
    size_t *fname_len;
    size_t row_extra; /* most bytes a row's added columns take */
    size_t *ridx;     /* reasons of one row */
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
    if (S->shap && !(c->contrib = malloc(cap * ((size_t)S->nfeat + 1) * sizeof *c->contrib)))
        return -1;
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
    free(c->contrib);
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

/* ---------- contributions on several threads ---------- */

/* Rows explained per call: exact TreeSHAP of a large model takes a good fraction of a
 * millisecond a row, so cancellation is looked at between blocks. */
#define SHAP_BLOCK 512

/* One thread's share of a chunk: rows [r0, r0 + n) of t. */
typedef struct {
    const ll_shap *shap;
    const ll_table *t;
    size_t r0, n, stride;
    double *out; /* the chunk's contributions (row r0 first) */
    const volatile int *cancel;
    ll_column *cols; /* a view of t's columns, offset to the block being explained */
    ll_error err;
    ll_status st;
} shap_part;

static void *shap_part_main(void *arg)
{
    shap_part *p = arg;
    ll_error_clear(&p->err);
    ll_table view = *p->t;
    view.cols = p->cols;
    for (size_t b = 0; b < p->n && !p->st; b += SHAP_BLOCK) {
        if (p->cancel && *p->cancel) {
            p->st = ll_error_set(&p->err, LL_ECANCELLED, "cancelled");
            break;
        }
        size_t r = p->r0 + b;
        for (size_t j = 0; j < p->t->ncols; j++) {
            p->cols[j] = p->t->cols[j];
            if (p->cols[j].num) p->cols[j].num += r;
            if (p->cols[j].codes) p->cols[j].codes += r;
        }
        view.nrows = p->n - b < SHAP_BLOCK ? p->n - b : SHAP_BLOCK;
        p->st = ll_shap_explain(p->shap, &view, p->out + b * p->stride, &p->err);
    }
    return NULL;
}

/* Contributions of every row of the chunk: the rows are split between S->threads threads (the
 * explainer is read-only, each part has its own output rows). */
static ll_status chunk_explain(pstate *S, chunk *c, ll_error *err)
{
    size_t n = c->n, stride = (size_t)S->nfeat + 1;
    int T = S->threads;
    if ((size_t)T > n / SHAP_SPLIT_ROWS) T = (int)(n / SHAP_SPLIT_ROWS);
    if (T < 1) T = 1;
    shap_part part[8];
    pthread_t tid[8];
    int started[8] = {0};
    ll_status st = LL_OK;
    int made = 0;
    for (int i = 0; i < T; i++) {
        size_t r0 = n * (size_t)i / (size_t)T, r1 = n * (size_t)(i + 1) / (size_t)T;
        shap_part *p = &part[i];
        memset(p, 0, sizeof *p);
        p->shap = S->shap;
        p->t = &c->table;
        p->r0 = r0;
        p->n = r1 - r0;
        p->stride = stride;
        p->out = c->contrib + r0 * stride;
        p->cancel = S->ctx->cancel;
        if (!(p->cols = malloc((c->table.ncols ? c->table.ncols : 1) * sizeof *p->cols))) {
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        made = i + 1;
    }
    for (int i = 1; !st && i < T; i++)
        started[i] = !pthread_create(&tid[i], NULL, shap_part_main, &part[i]);
    if (!st) {
        shap_part_main(&part[0]);
        for (int i = 1; i < T; i++) {
            if (started[i])
                pthread_join(tid[i], NULL);
            else
                shap_part_main(&part[i]); /* no thread: this one does its part too */
        }
        for (int i = 0; i < T && !st; i++)
            if (part[i].st) {
                *err = part[i].err;
                st = part[i].st;
            }
    }
    for (int i = 0; i < made; i++) free(part[i].cols);
    return st;
}

/* ---------- formatting ---------- */

static inline char *put_num(char *w, double v)
{
    return w + ll_numfmt_put(v, w);
}

/* The columns added to one row: probability, label, then score, reasons, contributions as
 * asked. w has room for S->row_extra bytes. */
static char *put_added(pstate *S, chunk *c, size_t r, char *w)
{
    double p = c->prob[r];
    *w++ = ',';
    w = put_num(w, p);
    *w++ = ',';
    int pos = p >= S->threshold;
    memcpy(w, pos ? S->pos_q : S->neg_q, pos ? S->pos_len : S->neg_len);
    w += pos ? S->pos_len : S->neg_len;
    if (S->want_score) {
        *w++ = ',';
        w = put_num(w, ll_scorecard_points(&S->scale, p));
    }
    if (!S->shap) return w;
    size_t nf = (size_t)S->nfeat;
    const double *row = c->contrib + r * (nf + 1);
    if (S->reasons) {
        size_t k = ll_scorecard_reasons(row, nf, (size_t)S->reasons, S->ridx);
        for (size_t j = 0; j < (size_t)S->reasons; j++) {
            *w++ = ',';
            if (j < k) {
                memcpy(w, S->fname_q[S->ridx[j]], S->fname_len[S->ridx[j]]);
                w += S->fname_len[S->ridx[j]];
            }
        }
        for (size_t j = 0; j < (size_t)S->reasons; j++) {
            *w++ = ',';
            if (j < k) w = put_num(w, row[S->ridx[j]]);
        }
    }
    if (S->want_contrib)
        for (size_t f = 0; f <= nf; f++) {
            *w++ = ',';
            w = put_num(w, row[f]);
        }
    return w;
}

/* Score one chunk and write its rows with the added columns. */
static ll_status chunk_score(pstate *S, chunk *c, ll_error *err)
{
    ll_status st = ll_model_predict(S->model, &c->table, c->prob, err);
    if (!st && S->shap) st = chunk_explain(S, c, err);
    if (st) return st;
    sbuf *o = &c->out;
    o->len = 0;
    char *w = o->p;
    for (size_t r = 0; r < c->n; r++) {
        size_t tl = c->off[r + 1] - c->off[r];
        if ((size_t)(w - o->p) + tl + S->row_extra > o->cap) {
            /* written out in blocks of about OUT_BLOCK bytes, so the buffer stays small even
             * when every contribution is written */
            o->len = (size_t)(w - o->p);
            if (o->len && fwrite(o->p, 1, o->len, S->out) != o->len)
                return ll_error_set(err, LL_EIO, "writing %s: %s", S->out_name, strerror(errno));
            o->len = 0;
            if (sb_reserve(o, OUT_BLOCK + tl + S->row_extra))
                return ll_error_set(err, LL_ENOMEM, "out of memory");
            w = o->p;
        }
        memcpy(w, c->text.p + c->off[r], tl);
        w = put_added(S, c, r, w + tl);
        *w++ = '\n';
    }
    o->len = o->p ? (size_t)(w - o->p) : 0;
    if (o->len && fwrite(o->p, 1, o->len, S->out) != o->len)
        return ll_error_set(err, LL_EIO, "writing %s: %s", S->out_name, strerror(errno));
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

static void wait_idle(pstate *S)
{
    if (!S->th_started) return;
    pthread_mutex_lock(&S->mu);
    while (S->job >= 0) pthread_cond_wait(&S->cv, &S->mu);
    pthread_mutex_unlock(&S->mu);
}

static void stop_worker(pstate *S)
{
    if (!S->th_started) return;
    pthread_mutex_lock(&S->mu);
    S->quit = 1;
    pthread_cond_broadcast(&S->cv);
    pthread_mutex_unlock(&S->mu);
    pthread_join(S->th, NULL);
    S->th_started = 0;
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

static int fail_oom(pstate *S)
{
    ll_error_set(&S->perr, LL_ENOMEM, "out of memory");
    S->pfailed = 1;
    return 1;
}

/* The header row: feature columns by name, and the output's header line. */
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
    for (size_t i = 0; i < row->nfields; i++)
        if ((i && sb_put(h, ",", 1)) || sb_field(h, row->field[i], row->len[i])) return fail_oom(S);
    if (sb_puts(h, ",probability,label") || (S->want_score && sb_puts(h, ",score")))
        return fail_oom(S);
    char name[64];
    for (int j = 1; j <= S->reasons; j++) {
        snprintf(name, sizeof name, ",reason_%d", j);
        if (sb_puts(h, name)) return fail_oom(S);
    }
    for (int j = 1; j <= S->reasons; j++) {
        snprintf(name, sizeof name, ",reason_%d_contribution", j);
        if (sb_puts(h, name)) return fail_oom(S);
    }
    if (S->want_contrib) {
        for (int f = 0; f <= S->nfeat; f++) {
            const char *fn = f < S->nfeat ? ll_prep_feature_name(S->prep, f) : "bias";
            size_t nl = strlen(fn);
            char *col = malloc(nl + 14);
            if (!col) return fail_oom(S);
            memcpy(col, "contribution_", 13);
            memcpy(col + 13, fn, nl + 1);
            int bad = sb_put(h, ",", 1) || sb_field(h, col, nl + 13);
            free(col);
            if (bad) return fail_oom(S);
        }
    }
    if (sb_put(h, "\n", 1)) return fail_oom(S);
    if (fwrite(h->p, 1, h->len, S->out) != h->len) {
        ll_error_set(&S->perr, LL_EIO, "writing %s: %s", S->out_name, strerror(errno));
        S->pfailed = 1;
        return 1;
    }
    S->have_header = 1;
    return 0;
}

/* Append the row's fields, comma-separated and quoted where needed, to the chunk's text. The
 * reader hands a row's fields one after the other, each NUL-terminated: when no field needs
 * quoting the row is one copy and the NULs become commas. */
static int put_row_text(sbuf *t, const ll_csv_row *row)
{
    size_t nf = row->nfields;
    const char *const *fd = row->field;
    const size_t *len = row->len;
    int contiguous = nf > 0;
    for (size_t i = 0; contiguous && i + 1 < nf; i++) contiguous = fd[i] + len[i] + 1 == fd[i + 1];
    if (contiguous) {
        size_t span = (size_t)(fd[nf - 1] + len[nf - 1] - fd[0]);
        if (!any_special(fd[0], span)) {
            if (sb_reserve(t, span)) return -1;
            char *w = t->p + t->len;
            memcpy(w, fd[0], span);
            for (size_t i = 0; i + 1 < nf; i++) w[fd[i] + len[i] - fd[0]] = ',';
            t->len += span;
            return 0;
        }
    }
    size_t need = 0;
    for (size_t i = 0; i < nf; i++) need += 2 * len[i] + 3;
    if (sb_reserve(t, need)) return -1;
    char *w = t->p + t->len;
    for (size_t i = 0; i < nf; i++) {
        if (i) *w++ = ',';
        w = put_field(w, fd[i], len[i]);
    }
    t->len = (size_t)(w - t->p);
    return 0;
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
            if (code < 0) return fail_oom(S);
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
    if (put_row_text(&c->text, row)) return fail_oom(S);
    c->off[r + 1] = c->text.len;
    c->n = r + 1;
    S->rows++;
    if (c->n == S->cap && submit(S)) return 1;
    return 0;
}

/* ---------- set-up ---------- */

static char *quoted(const char *s, size_t *len)
{
    sbuf b = {0};
    if (sb_field(&b, s, strlen(s))) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* Labels and feature names as CSV fields, and the most bytes a row's added columns take. */
static int prepare_names(pstate *S)
{
    S->pos_q = quoted(ll_prep_positive_label(S->prep), &S->pos_len);
    S->neg_q = quoted(ll_prep_negative_label(S->prep), &S->neg_len);
    S->fname_q = calloc((size_t)S->nfeat + 1, sizeof *S->fname_q);
    S->fname_len = calloc((size_t)S->nfeat + 1, sizeof *S->fname_len);
    S->ridx = malloc(((size_t)S->reasons + 1) * sizeof *S->ridx);
    if (!S->pos_q || !S->neg_q || !S->fname_q || !S->fname_len || !S->ridx) return -1;
    size_t longest = 0;
    for (int f = 0; f < S->nfeat; f++) {
        if (!(S->fname_q[f] = quoted(ll_prep_feature_name(S->prep, f), &S->fname_len[f])))
            return -1;
        if (S->fname_len[f] > longest) longest = S->fname_len[f];
    }
    size_t num = NUM_FIELD_MAX;
    /* two commas and the line break, probability, label */
    size_t e = 3 + num + (S->pos_len > S->neg_len ? S->pos_len : S->neg_len);
    if (S->want_score) e += num;
    e += (size_t)S->reasons * (longest + 1 + num);
    if (S->want_contrib) e += ((size_t)S->nfeat + 1) * num;
    S->row_extra = e;
    return 0;
}

static void free_names(pstate *S)
{
    if (S->fname_q)
        for (int f = 0; f < S->nfeat; f++) free(S->fname_q[f]);
    free(S->fname_q);
    free(S->fname_len);
    free(S->ridx);
    free(S->pos_q);
    free(S->neg_q);
}

/* ---------- output names and the marker ---------- */

/* NAME_YYYY-mm-dd_HH-MM-SS.csv for --output NAME.csv at time t (UTC). */
static int stamped_name(const char *output, time_t t, char *out, size_t len)
{
    size_t n = strlen(output);
    if (n >= 4 && !strcasecmp(output + n - 4, ".csv")) n -= 4;
    struct tm tm;
    char stamp[32];
    if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof stamp, "%Y-%m-%d_%H-%M-%S", &tm)) return -1;
    int w = snprintf(out, len, "%.*s_%s.csv", (int)n, output, stamp);
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* The run that produced a model directory, from its MLmodel file ("" when unknown). */
static void mlmodel_run_id(const char *dir, char *out, size_t len)
{
    char path[4200];
    out[0] = '\0';
    if (!ll_fsutil_is_dir(dir)) return;
    snprintf(path, sizeof path, "%s/MLmodel", dir);
    ll_yamlmap m = {0};
    ll_error e;
    ll_error_clear(&e);
    if (ll_yamlmap_load(path, &m, &e)) return;
    const char *id = ll_yamlmap_str(&m, "run_id");
    if (id) snprintf(out, len, "%s", id);
    ll_yamlmap_free(&m);
}

/* Append a JSON string, or null for "". */
static int json_str(sbuf *b, const char *s)
{
    if (!*s) return sb_puts(b, "null");
    return ll_payload_json_string(&b->p, &b->len, &b->cap, s, strlen(s));
}

/* The marker's JSON text (malloc'd), or NULL on ENOMEM. */
static char *marker_json(const char *path, time_t t, const ll_model_ref *ref, const char *run_id,
                         size_t rows, const char *input, double threshold, size_t *len)
{
    sbuf b = {0};
    char version[32], nrows[32], thr[64], when[40];
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(when, sizeof when, "1970-01-01T00:00:00Z");
    if (ref->version > 0)
        snprintf(version, sizeof version, "%ld", ref->version);
    else
        snprintf(version, sizeof version, "null");
    snprintf(nrows, sizeof nrows, "%zu", rows);
    ll_numfmt_double(threshold, thr, sizeof thr);
    int bad =
        sb_puts(&b, "{\"path\": ") || json_str(&b, path) || sb_puts(&b, ", \"created_at\": ") ||
        json_str(&b, when) || sb_puts(&b, ", \"model\": {\"uri\": ") || json_str(&b, ref->uri) ||
        sb_puts(&b, ", \"name\": ") || json_str(&b, ref->name) || sb_puts(&b, ", \"version\": ") ||
        sb_puts(&b, version) || sb_puts(&b, ", \"alias\": ") || json_str(&b, ref->alias) ||
        sb_puts(&b, ", \"run_id\": ") || json_str(&b, run_id) || sb_puts(&b, "}, \"rows\": ") ||
        sb_puts(&b, nrows) || sb_puts(&b, ", \"input\": ") || json_str(&b, input) ||
        sb_puts(&b, ", \"threshold\": ") || sb_puts(&b, thr) || sb_puts(&b, "}\n");
    if (bad) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* fsync a written file by name (the marker must not point at data still in the page cache). */
static int sync_file(FILE *f)
{
    return fflush(f) || fsync(fileno(f)) ? -1 : 0;
}

static int dir_of(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return snprintf(out, len, ".") < 0 ? -1 : 0;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= len) return -1;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

/* ---------- the command ---------- */

static int usage_error(const ll_cmd_ctx *ctx, const char *msg)
{
    fprintf(ctx->err, "lendlab predict: %s\nTry 'lendlab --batch predict --help'.\n", msg);
    return LL_EXIT_USAGE;
}

static int exec_predict(const ll_cmd_ctx *ctx, const ll_args *a)
{
    const char *uri = ll_args_str(a, "model");
    const char *input = ll_args_str(a, "input");
    const char *output = ll_args_str(a, "output");
    const char *marker = ll_args_str(a, "marker");
    if (!output) output = "-";
    int to_stdout = !strcmp(output, "-");
    int stamp = ll_args_has(a, "timestamp");
    double threshold = ll_args_double(a, "threshold", 0.5);
    long cap = ll_args_int(a, "chunk", DEFAULT_CHUNK);
    long reasons = ll_args_int(a, "reasons", 0);
    ll_scorecard scale;
    ll_scorecard_default(&scale);
    scale.base_points = ll_args_double(a, "base-points", scale.base_points);
    scale.base_odds = ll_args_double(a, "base-odds", scale.base_odds);
    scale.pdo = ll_args_double(a, "pdo", scale.pdo);
    if (!uri || !input) return usage_error(ctx, "--model URI and --input FILE are required");
    if (!(threshold >= 0 && threshold <= 1))
        return usage_error(ctx, "--threshold must be in [0, 1]");
    if (cap < 1 || cap > 16777216) return usage_error(ctx, "--chunk must be in 1..16777216");
    if (ll_args_has(a, "reasons") && (reasons < 1 || reasons > MAX_REASONS))
        return usage_error(ctx, "--reasons must be in 1..1000");
    if (stamp && to_stdout) return usage_error(ctx, "--timestamp needs --output FILE");
    if (marker && to_stdout) return usage_error(ctx, "--marker needs --output FILE");
    ll_error err;
    ll_error_clear(&err);
    char ebuf[1600];
    if (ll_scorecard_check(&scale, &err)) {
        fprintf(ctx->err, "lendlab predict: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        return LL_EXIT_USAGE;
    }
    ll_model_uri pu;
    if (ll_modeluri_parse(uri, &pu, &err)) {
        fprintf(ctx->err, "lendlab predict: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        return LL_EXIT_USAGE;
    }
    time_t started = time(NULL);
    char final[4200];
    if (to_stdout || !stamp) {
        snprintf(final, sizeof final, "%s", output);
    } else if (stamped_name(output, started, final, sizeof final)) {
        return usage_error(ctx, "--output is too long");
    }
    ll_model_ref *ref = calloc(1, sizeof *ref);
    if (!ref) {
        fprintf(ctx->err, "lendlab predict: out of memory\n");
        return LL_EXIT_ERROR;
    }
    ll_model *model = NULL;
    ll_shap *shap = NULL;
    if (ll_modeluri_resolve(ctx->store, uri, ref, &err) || ll_model_load(ref->dir, &model, &err)) {
        fprintf(ctx->err, "lendlab predict: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        free(ref);
        return LL_EXIT_ERROR;
    }
    int want_contrib = ll_args_has(a, "contributions");
    if ((reasons || want_contrib) && ll_shap_new(model, &shap, &err)) {
        fprintf(ctx->err, "lendlab predict: contributions are not available for this model: %s\n",
                ll_error_format(&err, ebuf, sizeof ebuf));
        ll_model_free(model);
        free(ref);
        return LL_EXIT_ERROR;
    }
    pstate S;
    memset(&S, 0, sizeof S);
    S.ctx = ctx;
    S.model = model;
    S.prep = ll_model_prep(model);
    S.shap = shap;
    S.nfeat = ll_prep_nfeat(S.prep);
    S.input = input;
    S.cap = (size_t)cap;
    S.threshold = threshold;
    S.want_score = reasons > 0 || ll_args_has(a, "score");
    S.reasons = (int)reasons;
    S.want_contrib = want_contrib;
    S.scale = scale;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    S.threads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu;
    S.job = -1;
    int rc = LL_EXIT_ERROR;
    char tmp[4300] = "";
    int in_place = 0; /* the output is a device or FIFO (--output /dev/null): written into */
    S.feat_col = calloc((size_t)S.nfeat + 1, sizeof *S.feat_col);
    int sync_ok = !pthread_mutex_init(&S.mu, NULL);
    if (sync_ok && pthread_cond_init(&S.cv, NULL)) {
        pthread_mutex_destroy(&S.mu);
        sync_ok = 0;
    }
    if (!S.feat_col || prepare_names(&S) || !sync_ok || chunk_init(&S, &S.ch[0]) ||
        chunk_init(&S, &S.ch[1])) {
        fprintf(ctx->err, "lendlab predict: out of memory\n");
        goto done;
    }
    if (stamp && ll_fsutil_exists(final)) {
        fprintf(ctx->err, "lendlab predict: %s exists\n", final);
        goto done;
    }
    S.out_name = to_stdout ? "standard output" : final;
    if (!to_stdout && ll_fsutil_check_output(final, &in_place, &err)) {
        fprintf(ctx->err, "lendlab predict: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
        goto done;
    }
    if (to_stdout) {
        S.out = ctx->out;
    } else {
        if (!in_place) snprintf(tmp, sizeof tmp, "%s.tmp.%ld", final, (long)getpid());
        S.out = fopen(in_place ? final : tmp, "wb");
        if (!S.out) {
            fprintf(ctx->err, "lendlab predict: %s: %s\n", final, strerror(errno));
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
    if (!st && !S.pfailed && S.ch[S.cur].n) submit(&S);
    wait_idle(&S);
    stop_worker(&S);
    /* the first cause wins: our own row error, then the worker's, then the reader's */
    const ll_error *e = S.pfailed ? &S.perr : S.failed ? &S.werr : st ? &err : NULL;
    if (e) {
        fprintf(ctx->err, "lendlab predict: %s\n", ll_error_format(e, ebuf, sizeof ebuf));
        rc = e->code == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
        goto done;
    }
    if (fflush(S.out) || (marker && !to_stdout && !in_place && sync_file(S.out))) {
        fprintf(ctx->err, "lendlab predict: writing %s: %s\n", final, strerror(errno));
        goto done;
    }
    if (!to_stdout) {
        /* renamed into place (a device or FIFO was written in place); synced only when a
         * marker will point at it: a scored batch can be recomputed, and syncing hundreds of
         * megabytes would dominate the run */
        int bad = fclose(S.out) != 0;
        S.out = NULL;
        if (bad) {
            fprintf(ctx->err, "lendlab predict: %s: %s\n", final, strerror(errno));
            goto done;
        }
        if (stamp && !in_place) {
            if (ll_fsutil_rename_noreplace(tmp, final, &err)) {
                fprintf(ctx->err, "lendlab predict: %s\n",
                        ll_error_format(&err, ebuf, sizeof ebuf));
                goto done;
            }
        } else if (!in_place && rename(tmp, final)) {
            fprintf(ctx->err, "lendlab predict: %s: %s\n", final, strerror(errno));
            goto done;
        }
        tmp[0] = '\0';
    }
    if (marker) {
        char abs_out[4300], abs_in[4300], dir[4200], run_id[128];
        if (!realpath(final, abs_out)) snprintf(abs_out, sizeof abs_out, "%s", final);
        if (!strcmp(input, "-") || strstr(input, "://") || !realpath(input, abs_in))
            snprintf(abs_in, sizeof abs_in, "%s", input);
        snprintf(run_id, sizeof run_id, "%s", ref->run_id);
        if (!run_id[0]) mlmodel_run_id(ref->dir, run_id, sizeof run_id);
        size_t mlen = 0;
        char *mj = marker_json(abs_out, started, ref, run_id, S.rows, abs_in, threshold, &mlen);
        if (!mj) {
            fprintf(ctx->err, "lendlab predict: out of memory\n");
            goto done;
        }
        ll_status ms = LL_OK;
        if (!stamp && !in_place && !dir_of(final, dir, sizeof dir))
            ms = ll_fsutil_fsync_dir(dir, &err);
        if (!ms) ms = ll_fsutil_write_atomic(marker, mj, mlen, NULL, &err);
        free(mj);
        if (ms) {
            fprintf(ctx->err, "lendlab predict: %s\n", ll_error_format(&err, ebuf, sizeof ebuf));
            goto done;
        }
    }
    if (ctx->progress)
        fprintf(ctx->err, "predict: %zu rows scored%s%s\n", S.rows, to_stdout ? "" : " into ",
                to_stdout ? "" : final);
    else if (stamp)
        fprintf(ctx->err, "lendlab predict: wrote %s\n", final);
    rc = LL_EXIT_OK;
done:
    stop_worker(&S);
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
    free_names(&S);
    ll_shap_free(shap);
    ll_model_free(model);
    free(ref);
    return rc;
}

const ll_cmd_entry ll_cmd_predict = {
    "predict",
    NULL,
    "score a CSV file with a saved or registered model, streaming, adding probability and label",
    "Every input row is written back (fields quoted as needed) followed by `probability`\n"
    "(of the positive class) and `label` (the positive label when probability >= --threshold,\n"
    "else the negative one); --score adds `score` (points: --base-points at --base-odds\n"
    "good:bad, --pdo more to double the odds); --reasons K adds score, reason_1..K (features\n"
    "whose contributions raise the default risk most, as the server's output=full) and\n"
    "reason_1_contribution..K; --contributions adds every feature's contribution and the bias\n"
    "(log-odds for gbdt and logreg, probability for forest). Numbers are written exactly as\n"
    "the scoring server writes them. The model is a directory or a models:/ or runs:/ URI\n"
    "resolved in the tracking store. Columns are matched by name; extra columns pass through;\n"
    "a missing feature column is an error. The input is read in chunks, so memory stays\n"
    "constant; the output appears under its name only once complete. --timestamp names it\n"
    "NAME_YYYY-mm-dd_HH-MM-SS.csv (UTC); --marker FILE then records it for monitoring. See\n"
    "lendlab-predict(1); an interrupted run exits with status 130.",
    predict_opts,
    sizeof predict_opts / sizeof *predict_opts,
    0,
    0,
    exec_predict,
};
