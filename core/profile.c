/* profile: per-column statistics of an ll_table (describe), target balance and rates. */
#include "profile.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "numfmt.h"

const double ll_profile_quantile_levels[LL_PROFILE_NQUANT] = {0.01, 0.05, 0.25, 0.5,
                                                              0.75, 0.95, 0.99};
const char *const ll_profile_quantile_names[LL_PROFILE_NQUANT] = {"p1",  "p5",  "p25", "p50",
                                                                  "p75", "p95", "p99"};

/* Numeric columns with at most this many distinct values are summarised from a hash table of
 * (value, count) pairs in one pass; the others are radix-sorted. Sized so that the table stays
 * in the L2 cache: most credit columns (counts, amounts, codes) take the fast path. */
#define LOWCARD_MAX  16384
#define HASH_BITS    15
#define HASH_SLOTS   ((size_t)1 << HASH_BITS)
#define RADIX_BITS   11
#define RADIX_SIZE   ((size_t)1 << RADIX_BITS)
#define RADIX_PASSES 6 /* ceil(64 / RADIX_BITS) */
/* Below this many cells a second thread costs more than it saves. */
#define PARALLEL_MIN_CELLS 200000
#define CLASS_LIST_MAX     5 /* classes named in the "needs 2 classes" error */

/* ---- ordered keys of doubles --------------------------------------------------------------- */

/* Map a non-NaN double to an unsigned key with the same order, so that sorting and searching
 * work on integers (radix sort) and never call a comparison function. Key 0 is never produced
 * (it would be a negative NaN), which lets the hash table use 0 as "empty". */
static inline uint64_t dkey(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : u | ((uint64_t)1 << 63);
}

static inline double kval(uint64_t k)
{
    uint64_t u = (k >> 63) ? k & ~((uint64_t)1 << 63) : ~k;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Neumaier's compensated sum: the mean of a million amounts must agree with pandas' pairwise
 * summation to many more digits than a naive running sum keeps. */
typedef struct {
    double s, c;
} ksum;

static inline void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static inline double ksum_get(const ksum *k)
{
    return k->s + k->c;
}

/* A sorted multiset of values: keys ascending; cum[i] = number of values with key <= keys[i]
 * (cum NULL: every key counts once, i.e. keys is the fully sorted column). */
typedef struct {
    const uint64_t *keys;
    const uint64_t *cum;
    size_t nkeys;
    size_t n;
} multiset;

/* i-th smallest value (0-based). */
static double ms_at(const multiset *m, size_t i)
{
    if (!m->cum) return kval(m->keys[i]);
    size_t lo = 0, hi = m->nkeys - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->cum[mid] > i)
            hi = mid;
        else
            lo = mid + 1;
    }
    return kval(m->keys[lo]);
}

/* Number of values strictly below key. */
static size_t ms_below(const multiset *m, uint64_t key)
{
    size_t lo = 0, hi = m->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!m->cum) return lo;
    return lo ? (size_t)m->cum[lo - 1] : 0;
}

/* numpy's _lerp: the two-sided form keeps the result inside [a, b] and matches numpy bit for
 * bit. */
static double lerp(double a, double b, double t)
{
    double d = b - a;
    return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

/* numpy.quantile(method="linear"): virtual index q * (n - 1). */
static double quantile(const multiset *m, double q)
{
    double vi = q * (double)(m->n - 1);
    if (vi >= (double)(m->n - 1)) return ms_at(m, m->n - 1);
    if (vi <= 0) return ms_at(m, 0);
    double fl = floor(vi);
    size_t i = (size_t)fl;
    return lerp(ms_at(m, i), ms_at(m, i + 1), vi - fl);
}

/* numpy.histogram(bins=nb) over [min, max]: edges from linspace, half-open bins except the
 * last. Counting uses the sorted values, so it is nb binary searches instead of a pass. */
static ll_status histogram(const multiset *m, double mn, double mx, int nb, ll_profile_column *pc)
{
    if (!isfinite(mn) || !isfinite(mx) || nb <= 0 || m->n == 0) return LL_OK;
    pc->hist_edges = malloc(((size_t)nb + 1) * sizeof *pc->hist_edges);
    pc->hist_counts = calloc((size_t)nb, sizeof *pc->hist_counts);
    if (!pc->hist_edges || !pc->hist_counts) return LL_ENOMEM;
    pc->nbins = nb;
    double start = mn, stop = mx;
    if (start == stop) {
        start -= 0.5;
        stop += 0.5;
    }
    double delta = stop - start, step = delta / nb;
    for (int i = 0; i < nb; i++)
        pc->hist_edges[i] = step == 0 ? ((double)i / nb) * delta + start : i * step + start;
    pc->hist_edges[nb] = stop;
    size_t prev = 0;
    for (int b = 0; b < nb; b++) {
        size_t below = m->n;
        if (b + 1 < nb) {
            double e = pc->hist_edges[b + 1] + 0.0; /* -0.0 and 0.0 share a key */
            below = ms_below(m, dkey(e));
        }
        pc->hist_counts[b] = below - prev;
        prev = below;
    }
    return LL_OK;
}

/* LSD radix sort of n keys with 11-bit digits; passes whose digit is the same for every key
 * (high exponent bits, the zero low bits of whole numbers) are skipped. Returns the buffer
 * that holds the result (a or tmp). */
static uint64_t *radix_sort(uint64_t *a, uint64_t *tmp, size_t n, size_t *hist)
{
    memset(hist, 0, RADIX_PASSES * RADIX_SIZE * sizeof *hist);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[i];
        for (int d = 0; d < RADIX_PASSES; d++)
            hist[d * RADIX_SIZE + ((k >> (d * RADIX_BITS)) & (RADIX_SIZE - 1))]++;
    }
    uint64_t *src = a, *dst = tmp;
    for (int d = 0; d < RADIX_PASSES; d++) {
        size_t *h = hist + d * RADIX_SIZE;
        int shift = d * RADIX_BITS;
        if (h[(src[0] >> shift) & (RADIX_SIZE - 1)] == n) continue;
        size_t sum = 0;
        for (size_t b = 0; b < RADIX_SIZE; b++) {
            size_t c = h[b];
            h[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = src[i];
            dst[h[(k >> shift) & (RADIX_SIZE - 1)]++] = k;
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

/* ---- per-thread scratch ---------------------------------------------------------------------- */

typedef struct {
    uint64_t *hkeys;      /* HASH_SLOTS keys, 0 = empty */
    uint64_t *hcnt;       /* HASH_SLOTS counts */
    uint64_t *keys, *tmp; /* nrows each, allocated on the first high-cardinality column */
    size_t *rhist;        /* RADIX_PASSES * RADIX_SIZE */
} scratch;

static void scratch_free(scratch *s)
{
    free(s->hkeys);
    free(s->hcnt);
    free(s->keys);
    free(s->tmp);
    free(s->rhist);
    memset(s, 0, sizeof *s);
}

typedef struct {
    uint64_t key, cnt;
} kpair;

static int kpair_cmp(const void *a, const void *b)
{
    uint64_t x = ((const kpair *)a)->key, y = ((const kpair *)b)->key;
    return (x > y) - (x < y);
}

/* ---- numeric columns ------------------------------------------------------------------------- */

static void set_nan_stats(ll_profile_column *pc)
{
    pc->min = pc->max = pc->mean = pc->std = NAN;
    for (int q = 0; q < LL_PROFILE_NQUANT; q++) pc->quantiles[q] = NAN;
}

static ll_status fill_from_multiset(const multiset *m, int bins, ll_profile_column *pc)
{
    pc->distinct = m->nkeys;
    pc->min = kval(m->keys[0]);
    pc->max = kval(m->keys[m->nkeys - 1]);
    for (int q = 0; q < LL_PROFILE_NQUANT; q++)
        pc->quantiles[q] = quantile(m, ll_profile_quantile_levels[q]);
    return histogram(m, pc->min, pc->max, bins, pc);
}

static ll_status profile_numeric(scratch *s, const ll_column *c, size_t nrows, int bins,
                                 ll_profile_column *pc, ll_error *err)
{
    const double *v = c->num;
    if (!s->hkeys) {
        s->hkeys = malloc(HASH_SLOTS * sizeof *s->hkeys);
        s->hcnt = malloc(HASH_SLOTS * sizeof *s->hcnt);
        if (!s->hkeys || !s->hcnt) return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    memset(s->hkeys, 0, HASH_SLOTS * sizeof *s->hkeys);
    memset(s->hcnt, 0, HASH_SLOTS * sizeof *s->hcnt);
    uint64_t *hk = s->hkeys, *hc = s->hcnt;
    size_t n = 0, used = 0, r = 0;
    ksum sum = {0, 0};
    int over = 0;
    /* One pass: count, sum and (value, count) pairs until there are too many distinct values. */
    for (; r < nrows; r++) {
        double x = v[r];
        if (isnan(x)) continue;
        x += 0.0; /* -0.0 becomes 0.0: one value, as in pandas */
        n++;
        ksum_add(&sum, x);
        uint64_t k = dkey(x);
        size_t h = (size_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - HASH_BITS));
        while (hk[h] != k) {
            if (!hk[h]) {
                if (used == LOWCARD_MAX) {
                    over = 1;
                    break;
                }
                hk[h] = k;
                used++;
                break;
            }
            h = (h + 1) & (HASH_SLOTS - 1);
        }
        if (over) {
            r++;
            break;
        }
        hc[h]++;
    }
    for (; r < nrows; r++) {
        double x = v[r];
        if (isnan(x)) continue;
        n++;
        ksum_add(&sum, x + 0.0);
    }
    pc->count = n;
    pc->missing = nrows - n;
    if (n == 0) {
        set_nan_stats(pc);
        return LL_OK;
    }
    double mean = ksum_get(&sum) / (double)n;
    pc->mean = mean;
    ksum ss = {0, 0};
    ll_status st;
    if (!over) {
        kpair *pairs = malloc(used * sizeof *pairs);
        uint64_t *keys = malloc(used * sizeof *keys), *cum = malloc(used * sizeof *cum);
        if (!pairs || !keys || !cum) {
            free(pairs);
            free(keys);
            free(cum);
            return ll_error_set(err, LL_ENOMEM, "out of memory");
        }
        size_t j = 0;
        for (size_t h = 0; h < HASH_SLOTS; h++)
            if (hk[h]) pairs[j++] = (kpair){hk[h], hc[h]};
        qsort(pairs, used, sizeof *pairs, kpair_cmp);
        uint64_t acc = 0;
        for (size_t i = 0; i < used; i++) {
            double d = kval(pairs[i].key) - mean;
            ksum_add(&ss, (double)pairs[i].cnt * (d * d));
            keys[i] = pairs[i].key;
            cum[i] = acc += pairs[i].cnt;
        }
        free(pairs);
        multiset m = {keys, cum, used, n};
        st = fill_from_multiset(&m, bins, pc);
        free(keys);
        free(cum);
    } else {
        if (!s->keys) {
            s->keys = malloc((nrows ? nrows : 1) * sizeof *s->keys);
            s->tmp = malloc((nrows ? nrows : 1) * sizeof *s->tmp);
            s->rhist = malloc(RADIX_PASSES * RADIX_SIZE * sizeof *s->rhist);
            if (!s->keys || !s->tmp || !s->rhist)
                return ll_error_set(err, LL_ENOMEM, "out of memory");
        }
        size_t j = 0;
        for (r = 0; r < nrows; r++) {
            double x = v[r];
            if (isnan(x)) continue;
            x += 0.0;
            double d = x - mean;
            ksum_add(&ss, d * d);
            s->keys[j++] = dkey(x);
        }
        uint64_t *sorted = radix_sort(s->keys, s->tmp, n, s->rhist);
        size_t nd = 1;
        for (size_t i = 1; i < n; i++) nd += sorted[i] != sorted[i - 1];
        multiset m = {sorted, NULL, n, n};
        st = fill_from_multiset(&m, bins, pc);
        pc->distinct = nd;
    }
    pc->std = n > 1 ? sqrt(ksum_get(&ss) / (double)(n - 1)) : NAN;
    if (st != LL_OK) return ll_error_set(err, st, "out of memory");
    return LL_OK;
}

/* ---- levels (categorical, boolean) ----------------------------------------------------------- */

typedef struct {
    const size_t *count;
    const char *const *label;
} rank_ctx;

/* a ranks before b: more rows, then label in byte order. */
static int rank_before(const rank_ctx *rc, int32_t a, int32_t b)
{
    if (rc->count[a] != rc->count[b]) return rc->count[a] > rc->count[b];
    return strcmp(rc->label[a], rc->label[b]) < 0;
}

static void heap_sift_down(const rank_ctx *rc, int32_t *heap, size_t n, size_t i)
{
    /* heap of the kept levels with the lowest-ranked one at the root */
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && rank_before(rc, heap[w], heap[l])) w = l;
        if (r < n && rank_before(rc, heap[w], heap[r])) w = r;
        if (w == i) return;
        int32_t t = heap[i];
        heap[i] = heap[w];
        heap[w] = t;
        i = w;
    }
}

static void sort_ranked(const rank_ctx *rc, int32_t *idx, size_t n)
{
    /* insertion sort is enough for the handful of levels a column usually has; larger sets
     * (at most LL_PROFILE_MAX_LEVELS) go through a heap sort */
    if (n <= 64) {
        for (size_t i = 1; i < n; i++) {
            int32_t v = idx[i];
            size_t j = i;
            while (j > 0 && rank_before(rc, v, idx[j - 1])) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
        return;
    }
    for (size_t i = n / 2; i-- > 0;) heap_sift_down(rc, idx, n, i);
    for (size_t end = n; end > 1; end--) {
        int32_t t = idx[0];
        idx[0] = idx[end - 1];
        idx[end - 1] = t;
        heap_sift_down(rc, idx, end - 1, 0);
    }
}

/* Build pc->levels from per-label counts (and target counts when tcount is not NULL): the
 * LL_PROFILE_MAX_LEVELS best-ranked labels with a non-zero count. */
static ll_status build_levels(const size_t *count, const size_t *tcount, const size_t *pos,
                              const char *const *label, int32_t nlabels, int top,
                              ll_profile_column *pc)
{
    rank_ctx rc = {count, label};
    size_t cap = LL_PROFILE_MAX_LEVELS;
    int32_t *heap = malloc(cap * sizeof *heap);
    if (!heap) return LL_ENOMEM;
    size_t n = 0, distinct = 0;
    for (int32_t i = 0; i < nlabels; i++) {
        if (!count[i]) continue;
        distinct++;
        if (n < cap) {
            heap[n++] = i;
            if (n == cap)
                for (size_t k = n / 2; k-- > 0;) heap_sift_down(&rc, heap, n, k);
        } else if (rank_before(&rc, i, heap[0])) {
            heap[0] = i;
            heap_sift_down(&rc, heap, n, 0);
        }
    }
    sort_ranked(&rc, heap, n);
    pc->distinct = distinct;
    pc->levels = calloc(n ? n : 1, sizeof *pc->levels);
    if (!pc->levels) {
        free(heap);
        return LL_ENOMEM;
    }
    pc->nlevels = n;
    pc->ntop = n < (size_t)top ? n : (size_t)top;
    for (size_t k = 0; k < n; k++) {
        int32_t i = heap[k];
        ll_profile_level *lv = &pc->levels[k];
        if (!(lv->value = strdup(label[i]))) {
            free(heap);
            return LL_ENOMEM;
        }
        lv->count = count[i];
        lv->target_rate = NAN;
        if (tcount) {
            lv->target_count = tcount[i];
            lv->positives = pos[i];
            if (tcount[i]) lv->target_rate = (double)pos[i] / (double)tcount[i];
        }
    }
    free(heap);
    return LL_OK;
}

/* Target membership of one row, shared read-only by the workers. */
enum { ROW_NEG = 0, ROW_POS = 1, ROW_NA = 2 };

static ll_status profile_categorical(const ll_column *c, size_t nrows, const uint8_t *ispos,
                                     int top, ll_profile_column *pc, ll_error *err)
{
    int32_t nd = c->ndict > 0 ? c->ndict : 0;
    size_t *count = calloc((size_t)nd + 1, sizeof *count);
    size_t *tcount = ispos ? calloc((size_t)nd + 1, sizeof *tcount) : NULL;
    size_t *pos = ispos ? calloc((size_t)nd + 1, sizeof *pos) : NULL;
    if (!count || (ispos && (!tcount || !pos))) {
        free(count);
        free(tcount);
        free(pos);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    const int32_t *codes = c->codes;
    size_t n = 0;
    for (size_t r = 0; r < nrows; r++) {
        int32_t k = codes[r];
        if (k < 0) continue;
        if (k >= nd) {
            free(count);
            free(tcount);
            free(pos);
            return ll_error_set(err, LL_EINVAL, "column '%s': row %zu has category code %ld of %ld",
                                c->name, r + 1, (long)k, (long)nd);
        }
        n++;
        count[k]++;
        if (ispos && ispos[r] != ROW_NA) {
            tcount[k]++;
            pos[k] += ispos[r];
        }
    }
    pc->count = n;
    pc->missing = nrows - n;
    ll_status st = build_levels(count, tcount, pos, (const char *const *)c->dict, nd, top, pc);
    free(count);
    free(tcount);
    free(pos);
    if (st != LL_OK) return ll_error_set(err, st, "out of memory");
    return LL_OK;
}

static const char *bool_label(const ll_column *c, int v)
{
    if (c->dict && c->ndict >= 2 && c->dict[v]) return c->dict[v];
    return v ? "true" : "false";
}

static ll_status profile_boolean(const ll_column *c, size_t nrows, const uint8_t *ispos, int top,
                                 ll_profile_column *pc, ll_error *err)
{
    size_t count[2] = {0, 0}, tcount[2] = {0, 0}, pos[2] = {0, 0};
    for (size_t r = 0; r < nrows; r++) {
        double x = c->num[r];
        if (isnan(x)) continue;
        int b = x != 0.0;
        count[b]++;
        if (ispos && ispos[r] != ROW_NA) {
            tcount[b]++;
            pos[b] += ispos[r];
        }
    }
    size_t n = count[0] + count[1];
    pc->count = n;
    pc->missing = nrows - n;
    if (n) {
        double p = (double)count[1] / (double)n;
        pc->mean = p;
        pc->min = count[0] ? 0.0 : 1.0;
        pc->max = count[1] ? 1.0 : 0.0;
        pc->std = n > 1 ? sqrt(((double)count[1] * (1 - p) * (1 - p) + (double)count[0] * p * p) /
                               (double)(n - 1))
                        : NAN;
    }
    const char *labels[2] = {bool_label(c, 0), bool_label(c, 1)};
    ll_status st = build_levels(count, ispos ? tcount : NULL, pos, labels, 2, top, pc);
    if (st != LL_OK) return ll_error_set(err, st, "out of memory");
    return LL_OK;
}

/* ---- target ---------------------------------------------------------------------------------- */

/* Lower-case, trim, and treat '_', '-' and runs of blanks as one space. ASCII only, so the
 * locale cannot change which class is positive. */
static void norm_label(const char *s, char *out, size_t len)
{
    size_t j = 0;
    int space = 0;
    for (; *s && j + 1 < len; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '_' || ch == '-' || ch == ' ' || (ch >= '\t' && ch <= '\r')) {
            space = 1;
            continue;
        }
        if (space && j) out[j++] = ' ';
        space = 0;
        if (j + 1 < len) out[j++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
    }
    out[j] = '\0';
}

static int label_number(const char *s, double *v)
{
    return ll_numparse(s, strlen(s), v);
}

int ll_profile_positive_label(const char *const labels[2], const size_t counts[2], int bool_true)
{
    static const char *const pairs[][2] = {{"1", "0"},    {"true", "false"}, {"t", "f"},
                                           {"yes", "no"}, {"y", "n"},        {"bad", "good"}};
    static const char *const against_any[] = {"default", "defaulted", "charged off"};
    const char *a = labels[0], *b = labels[1];
    char na[64], nb[64];
    norm_label(a, na, sizeof na);
    norm_label(b, nb, sizeof nb);
    double da, db;
    if (label_number(a, &da) && label_number(b, &db)) {
        if (da == 1 && db == 0) return 0;
        if (da == 0 && db == 1) return 1;
    }
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        if (!strcmp(na, pairs[i][0]) && !strcmp(nb, pairs[i][1])) return 0;
        if (!strcmp(nb, pairs[i][0]) && !strcmp(na, pairs[i][1])) return 1;
    }
    for (size_t i = 0; i < sizeof against_any / sizeof *against_any; i++) {
        if (!strcmp(na, against_any[i])) return 0;
        if (!strcmp(nb, against_any[i])) return 1;
    }
    if (bool_true == 0 || bool_true == 1) return bool_true;
    if (counts[0] != counts[1]) return counts[0] < counts[1] ? 0 : 1;
    return strcmp(a, b) > 0 ? 0 : 1;
}

/* Candidate classes of the target: label and count per distinct value (small lists). */
typedef struct {
    char label[128];
    size_t count;
    double num;   /* numeric targets: the value */
    int32_t code; /* categorical: dictionary code; boolean: 0/1 */
} tclass;

static int tclass_rank_cmp(const void *pa, const void *pb)
{
    const tclass *a = pa, *b = pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return strcmp(a->label, b->label);
}

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static ll_status classes_error(ll_error *err, const char *name, size_t nfound, const tclass *list,
                               size_t nlist)
{
    char buf[800];
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nlist && i < CLASS_LIST_MAX; i++) {
        int w = snprintf(buf + len, sizeof buf - len, "%s'%s'", i ? ", " : "", list[i].label);
        if (w < 0 || (size_t)w >= sizeof buf - len) break;
        len += (size_t)w;
    }
    if (nfound > CLASS_LIST_MAX && len + 6 < sizeof buf) strcat(buf, ", ...");
    if (nfound == 0)
        return ll_error_set(err, LL_EINVAL,
                            "target column '%s' must have exactly 2 classes, found none "
                            "(every value is missing)",
                            name);
    return ll_error_set(err, LL_EINVAL,
                        "target column '%s' must have exactly 2 classes, found %zu: %s", name,
                        nfound, buf);
}

/* Collect the target's classes; exactly two or an error naming what was found. */
static ll_status target_classes(const ll_column *c, size_t nrows, tclass cls[2], ll_error *err)
{
    memset(cls, 0, 2 * sizeof *cls);
    if (c->type == LL_COL_CATEGORICAL) {
        int32_t nd = c->ndict > 0 ? c->ndict : 0;
        size_t *count = calloc((size_t)nd + 1, sizeof *count);
        if (!count) return ll_error_set(err, LL_ENOMEM, "out of memory");
        for (size_t r = 0; r < nrows; r++)
            if (c->codes[r] >= 0 && c->codes[r] < nd) count[c->codes[r]]++;
        size_t found = 0;
        for (int32_t k = 0; k < nd; k++) found += count[k] > 0;
        tclass *all = calloc(found ? found : 1, sizeof *all);
        if (!all) {
            free(count);
            return ll_error_set(err, LL_ENOMEM, "out of memory");
        }
        size_t j = 0;
        for (int32_t k = 0; k < nd; k++) {
            if (!count[k]) continue;
            snprintf(all[j].label, sizeof all[j].label, "%s", c->dict[k]);
            all[j].count = count[k];
            all[j++].code = k;
        }
        free(count);
        qsort(all, found, sizeof *all, tclass_rank_cmp);
        ll_status st = LL_OK;
        if (found != 2)
            st = classes_error(err, c->name, found, all, found);
        else
            memcpy(cls, all, 2 * sizeof *cls);
        free(all);
        return st;
    }
    if (c->type == LL_COL_BOOLEAN) {
        size_t count[2] = {0, 0};
        for (size_t r = 0; r < nrows; r++)
            if (!isnan(c->num[r])) count[c->num[r] != 0.0]++;
        tclass all[2];
        size_t found = 0;
        for (int b = 0; b < 2; b++) {
            if (!count[b]) continue;
            memset(&all[found], 0, sizeof all[found]);
            snprintf(all[found].label, sizeof all[found].label, "%s", bool_label(c, b));
            all[found].count = count[b];
            all[found].num = b;
            all[found++].code = b;
        }
        if (found != 2) return classes_error(err, c->name, found, all, found);
        memcpy(cls, all, sizeof all);
        return LL_OK;
    }
    /* numeric: up to two distinct values tracked inline; a third one means an error, for
     * which the full list of distinct values is worth a sort */
    size_t found = 0;
    for (size_t r = 0; r < nrows; r++) {
        double x = c->num[r];
        if (isnan(x)) continue;
        size_t k = 0;
        while (k < found && cls[k].num != x) k++;
        if (k == found) {
            if (found == 2) {
                found = 3;
                break;
            }
            cls[found].num = x;
            found++;
        }
        cls[k].count++;
    }
    if (found == 2) {
        for (int k = 0; k < 2; k++)
            ll_numfmt_double(cls[k].num + 0.0, cls[k].label, sizeof cls[k].label);
        return LL_OK;
    }
    double *vals = malloc((nrows ? nrows : 1) * sizeof *vals);
    if (!vals) return ll_error_set(err, LL_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t r = 0; r < nrows; r++)
        if (!isnan(c->num[r])) vals[n++] = c->num[r] + 0.0;
    qsort(vals, n, sizeof *vals, dbl_cmp);
    tclass list[CLASS_LIST_MAX];
    size_t nd = 0, nl = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && vals[i] == vals[i - 1]) continue;
        if (nl < CLASS_LIST_MAX) ll_numfmt_double(vals[i], list[nl++].label, sizeof list[0].label);
        nd++;
    }
    free(vals);
    return classes_error(err, c->name, nd, list, nl);
}

/* Does the user's label name class c? */
static int label_matches(const ll_column *col, const tclass *c, const char *want, int pass)
{
    if (pass == 0) return !strcmp(c->label, want);
    if (pass == 1) return !strcasecmp(c->label, want);
    double v, have;
    if (!label_number(want, &v)) return 0;
    if (col->type == LL_COL_CATEGORICAL) return label_number(c->label, &have) && have == v;
    return col->type == LL_COL_BOOLEAN ? (v != 0.0) == (c->num != 0.0) : v == c->num;
}

static ll_status target_setup(const ll_table *t, long ci, const char *positive,
                              ll_profile_target *tg, uint8_t **ispos_out, ll_error *err)
{
    const ll_column *c = &t->cols[ci];
    tclass cls[2];
    ll_status st = target_classes(c, t->nrows, cls, err);
    if (st != LL_OK) return st;
    qsort(cls, 2, sizeof *cls, tclass_rank_cmp);
    int pi = -1;
    if (positive) {
        for (int pass = 0; pass < 3 && pi < 0; pass++)
            for (int k = 0; k < 2 && pi < 0; k++)
                if (label_matches(c, &cls[k], positive, pass)) pi = k;
        if (pi < 0)
            return ll_error_set(err, LL_EINVAL,
                                "positive label '%s' is not a class of target '%s' (classes: "
                                "'%s', '%s')",
                                positive, c->name, cls[0].label, cls[1].label);
    } else {
        const char *labels[2] = {cls[0].label, cls[1].label};
        const size_t counts[2] = {cls[0].count, cls[1].count};
        pi = ll_profile_positive_label(labels, counts,
                                       c->type == LL_COL_BOOLEAN ? (cls[0].code == 1 ? 0 : 1) : -1);
    }
    uint8_t *ispos = malloc(t->nrows ? t->nrows : 1);
    if (!ispos) return ll_error_set(err, LL_ENOMEM, "out of memory");
    const tclass *p = &cls[pi];
    for (size_t r = 0; r < t->nrows; r++) {
        if (c->type == LL_COL_CATEGORICAL) {
            int32_t k = c->codes[r];
            ispos[r] = k < 0 ? ROW_NA : k == p->code;
        } else {
            double x = c->num[r];
            if (isnan(x))
                ispos[r] = ROW_NA;
            else if (c->type == LL_COL_BOOLEAN)
                ispos[r] = (x != 0.0) == (p->code == 1);
            else
                ispos[r] = x == p->num;
        }
    }
    tg->column = ci;
    tg->positive_index = pi;
    tg->count = cls[0].count + cls[1].count;
    tg->positive_rate = (double)p->count / (double)tg->count;
    if (!(tg->name = strdup(c->name))) goto oom;
    for (int k = 0; k < 2; k++) {
        ll_profile_level *lv = &tg->classes[k];
        if (!(lv->value = strdup(cls[k].label))) goto oom;
        lv->count = lv->target_count = cls[k].count;
        lv->positives = k == pi ? cls[k].count : 0;
        lv->target_rate = k == pi ? 1.0 : 0.0;
    }
    *ispos_out = ispos;
    return LL_OK;
oom:
    free(ispos);
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

/* ---- driver ---------------------------------------------------------------------------------- */

typedef struct {
    const ll_table *t;
    ll_profile *p;
    const uint8_t *ispos;
    int bins, top;
    const volatile int *cancel;
    atomic_size_t next;
    atomic_int failed;
    pthread_mutex_t lock;
    ll_status status; /* first failure */
    ll_error err;
} job;

static ll_status profile_column(scratch *s, job *j, size_t i, ll_error *err)
{
    const ll_column *c = &j->t->cols[i];
    ll_profile_column *pc = &j->p->cols[i];
    pc->type = c->type;
    set_nan_stats(pc);
    if (!(pc->name = strdup(c->name))) return ll_error_set(err, LL_ENOMEM, "out of memory");
    pc->is_target = j->p->has_target && (long)i == j->p->target.column;
    const uint8_t *ispos = pc->is_target ? NULL : j->ispos;
    switch (c->type) {
    case LL_COL_NUMERIC:
        return profile_numeric(s, c, j->t->nrows, j->bins, pc, err);
    case LL_COL_CATEGORICAL:
        return profile_categorical(c, j->t->nrows, ispos, j->top, pc, err);
    case LL_COL_BOOLEAN:
        return profile_boolean(c, j->t->nrows, ispos, j->top, pc, err);
    default:
        return ll_error_set(err, LL_EINVAL, "column '%s' has an unknown type", c->name);
    }
}

static void *worker(void *arg)
{
    job *j = arg;
    scratch s = {0};
    ll_error err;
    ll_error_clear(&err);
    for (;;) {
        if (atomic_load(&j->failed)) break;
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->t->ncols) break;
        ll_status st = LL_OK;
        if (j->cancel && *j->cancel)
            st = ll_error_set(&err, LL_ECANCELLED, "cancelled");
        else
            st = profile_column(&s, j, i, &err);
        if (st != LL_OK) {
            pthread_mutex_lock(&j->lock);
            if (j->status == LL_OK) {
                j->status = st;
                j->err = err;
            }
            pthread_mutex_unlock(&j->lock);
            atomic_store(&j->failed, 1);
            break;
        }
    }
    scratch_free(&s);
    return NULL;
}

/* "a, b, c, ..." of the table's column names, as many as fit. */
static void column_list(const ll_table *t, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->ncols; i++) {
        const char *sep = i ? ", " : "";
        size_t need = strlen(sep) + strlen(t->cols[i].name);
        if (used + need + 6 >= len) {
            snprintf(buf + used, len - used, "%s...", sep);
            return;
        }
        used += (size_t)snprintf(buf + used, len - used, "%s%s", sep, t->cols[i].name);
    }
}

static int auto_threads(const ll_table *t)
{
    if (t->nrows * t->ncols < PARALLEL_MIN_CELLS || t->ncols < 2) return 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return ncpu >= 2 ? 2 : 1;
}

ll_status ll_profile_compute(const ll_table *t, const ll_profile_options *opt, ll_profile **out,
                             ll_error *err)
{
    static const ll_profile_options defaults = {0};
    if (!opt) opt = &defaults;
    *out = NULL;
    if (!t) return ll_error_set(err, LL_EINVAL, "no table to profile");
    ll_profile *p = calloc(1, sizeof *p);
    if (!p || !(p->cols = calloc(t->ncols ? t->ncols : 1, sizeof *p->cols))) {
        free(p);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    p->nrows = t->nrows;
    p->ncols = t->ncols;
    uint8_t *ispos = NULL;
    ll_status st = LL_OK;
    if (opt->target) {
        long ci = ll_table_find(t, opt->target);
        if (ci < 0) {
            char names[512];
            column_list(t, names, sizeof names);
            st =
                ll_error_set(err, LL_ENOTFOUND, "no column named '%s' for the target (columns: %s)",
                             opt->target, names);
            goto fail;
        }
        if ((st = target_setup(t, ci, opt->positive, &p->target, &ispos, err)) != LL_OK) {
            free(p->target.name);
            for (int k = 0; k < 2; k++) free(p->target.classes[k].value);
            memset(&p->target, 0, sizeof p->target);
            goto fail;
        }
        p->has_target = 1;
    } else if (opt->positive) {
        st = ll_error_set(err, LL_EINVAL, "a positive label needs a target column");
        goto fail;
    }

    job j = {.t = t, .p = p, .ispos = ispos, .cancel = opt->cancel};
    j.bins = opt->bins > 0 ? opt->bins : LL_PROFILE_BINS;
    j.top = opt->top > 0 ? opt->top : LL_PROFILE_TOP;
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    ll_error_clear(&j.err);
    pthread_mutex_init(&j.lock, NULL);
    int nt = opt->nthreads > 0 ? opt->nthreads : auto_threads(t);
    if ((size_t)nt > t->ncols) nt = t->ncols ? (int)t->ncols : 1;
    pthread_t tid[64];
    if (nt > 64) nt = 64;
    int started = 0;
    for (int k = 1; k < nt; k++) {
        if (pthread_create(&tid[started], NULL, worker, &j)) break; /* fewer threads still work */
        started++;
    }
    worker(&j);
    for (int k = 0; k < started; k++) pthread_join(tid[k], NULL);
    pthread_mutex_destroy(&j.lock);
    free(ispos);
    ispos = NULL;
    if (j.status != LL_OK) {
        st = j.status;
        if (err) *err = j.err;
        goto fail;
    }
    *out = p;
    return LL_OK;
fail:
    free(ispos);
    ll_profile_free(p);
    return st;
}

static void levels_free(ll_profile_level *lv, size_t n)
{
    if (!lv) return;
    for (size_t i = 0; i < n; i++) free(lv[i].value);
    free(lv);
}

void ll_profile_free(ll_profile *p)
{
    if (!p) return;
    for (size_t i = 0; p->cols && i < p->ncols; i++) {
        ll_profile_column *c = &p->cols[i];
        free(c->name);
        free(c->hist_edges);
        free(c->hist_counts);
        levels_free(c->levels, c->nlevels);
    }
    free(p->cols);
    free(p->target.name);
    for (int k = 0; k < 2; k++) free(p->target.classes[k].value);
    free(p);
}

/* At most 3 distinct non-missing values are looked for: 2 means binary. */
static int distinct_upto3(const ll_column *c, size_t nrows)
{
    if (c->type == LL_COL_CATEGORICAL) {
        int32_t seen[3];
        int n = 0;
        for (size_t r = 0; r < nrows && n < 3; r++) {
            int32_t k = c->codes[r];
            if (k < 0) continue;
            int i = 0;
            while (i < n && seen[i] != k) i++;
            if (i == n) seen[n++] = k;
        }
        return n;
    }
    double seen[3];
    int n = 0;
    for (size_t r = 0; r < nrows && n < 3; r++) {
        double x = c->num[r];
        if (isnan(x)) continue;
        if (c->type == LL_COL_BOOLEAN) x = x != 0.0;
        int i = 0;
        while (i < n && seen[i] != x) i++;
        if (i == n) seen[n++] = x;
    }
    return n;
}

long ll_profile_guess_target(const ll_table *t)
{
    static const char *const names[] = {"class", "target", "default", "loan_status",
                                        "y",     "label",  "outcome", "bad_loan"};
    if (!t) return -1;
    for (size_t i = t->ncols; i-- > 0;) {
        const ll_column *c = &t->cols[i];
        int named = 0;
        for (size_t k = 0; k < sizeof names / sizeof *names && !named; k++)
            named = c->name && !strcasecmp(c->name, names[k]);
        if (named && distinct_upto3(c, t->nrows) == 2) return (long)i;
    }
    return -1;
}
