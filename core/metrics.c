/* metrics: binary-classification metrics (ROC/PR AUC, log loss, KS, calibration, ROC curve). */
#include "metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

#define MAX_ROWS    0x3fffffffu
#define LABEL_BIT   0x80000000u /* payload: row is positive */
#define SAME_BIT    0x40000000u /* payload: row ties with the previous one in sorted order */
#define IDX_MASK    0x3fffffffu
#define RADIX_BITS  11
#define RADIX_SIZE  (1u << RADIX_BITS)
#define RADIX_MASK  (RADIX_SIZE - 1u)
#define RADIX_PASS  3 /* 11 + 11 + 10 bits cover a 32-bit key */
#define SMALL_RUN   24
#define LOGLOSS_EPS 1e-15

const char *ll_metrics_status_str(ll_metrics_status s)
{
    switch (s) {
    case LL_METRICS_OK:
        return "ok";
    case LL_METRICS_EMPTY:
        return "no rows";
    case LL_METRICS_ONE_CLASS:
        return "only one class present";
    default:
        return "unknown";
    }
}

/* ---------------------------------------------------------------------------------------------
 * Sorting. Scores are first ordered by their float32 rounding turned into an unsigned key whose
 * integer order is the numeric order (rounding is monotone, so this order is right up to ties),
 * with a 3-pass LSD radix sort (stable, O(n)); runs of equal float keys are then re-sorted by the
 * exact double. This is what makes a per-iteration AUC on a few hundred thousand rows cheap.
 * The 32-bit payload of each row is its index, its label (LABEL_BIT) and, after refining,
 * SAME_BIT when its score equals the previous row's: walks then need neither keys nor scores.
 * ------------------------------------------------------------------------------------------- */

static inline uint32_t coarse_key(double d)
{
    float f = d > FLT_MAX ? INFINITY : d < -FLT_MAX ? -INFINITY : (float)d;
    if (f == 0.0f) f = 0.0f; /* -0.0 and +0.0 must tie */
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline uint64_t exact_key(double d)
{
    if (d == 0.0) d = 0.0;
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}

typedef struct {
    uint64_t k;
    uint32_t v;
} run_item;

typedef struct {
    uint32_t *k, *k2, *v, *v2;
    run_item *run; /* scratch for re-sorting one run of equal float keys */
} sortbuf;

static void sortbuf_free(sortbuf *b)
{
    free(b->k);
    free(b->k2);
    free(b->v);
    free(b->v2);
    free(b->run);
    memset(b, 0, sizeof *b);
}

static int sortbuf_alloc(sortbuf *b, size_t n)
{
    size_t m = n ? n : 1;
    b->k = malloc(m * sizeof *b->k);
    b->k2 = malloc(m * sizeof *b->k2);
    b->v = malloc(m * sizeof *b->v);
    b->v2 = malloc(m * sizeof *b->v2);
    b->run = malloc(m * sizeof *b->run); /* pages stay untouched unless long runs occur */
    if (b->k && b->k2 && b->v && b->v2 && b->run) return 1;
    sortbuf_free(b);
    return 0;
}

/* Stable ascending sort of (k, v) by k; the result is left in b->k / b->v. Passes whose digit is
 * the same for every key (the high exponent bits of probabilities, typically) are skipped. */
static void radix_sort(sortbuf *b, size_t n)
{
    static const unsigned shifts[RADIX_PASS] = {0, 11, 22};
    uint32_t hist[RADIX_PASS][RADIX_SIZE];
    if (n < 2) return;
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = b->k[i];
        hist[0][k & RADIX_MASK]++;
        hist[1][(k >> 11) & RADIX_MASK]++;
        hist[2][k >> 22]++;
    }
    for (int p = 0; p < RADIX_PASS; p++) {
        uint32_t *h = hist[p];
        unsigned sh = shifts[p];
        if (h[(b->k[0] >> sh) & RADIX_MASK] == n) continue;
        uint32_t sum = 0;
        for (unsigned d = 0; d < RADIX_SIZE; d++) {
            uint32_t c = h[d];
            h[d] = sum;
            sum += c;
        }
        const uint32_t *k = b->k, *v = b->v;
        uint32_t *k2 = b->k2, *v2 = b->v2;
        for (size_t i = 0; i < n; i++) {
            uint32_t pos = h[(k[i] >> sh) & RADIX_MASK]++;
            k2[pos] = k[i];
            v2[pos] = v[i];
        }
        uint32_t *t = b->k;
        b->k = b->k2;
        b->k2 = t;
        t = b->v;
        b->v = b->v2;
        b->v2 = t;
    }
}

static int run_item_cmp(const void *a, const void *b)
{
    uint64_t x = ((const run_item *)a)->k, y = ((const run_item *)b)->k;
    return (x > y) - (x < y);
}

/* Order rows [i, j) (one float key) by exact score and mark exact ties with SAME_BIT. */
static void refine_run(sortbuf *b, const double *p, size_t i, size_t j)
{
    run_item *r = b->run;
    size_t len = j - i;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t t = 0; t < len; t++) {
        r[t].v = b->v[i + t];
        r[t].k = exact_key(p[r[t].v & IDX_MASK]);
        if (r[t].k < lo) lo = r[t].k;
        if (r[t].k > hi) hi = r[t].k;
    }
    if (lo == hi) { /* the usual case: a genuine tie */
        for (size_t t = 1; t < len; t++) b->v[i + t] |= SAME_BIT;
        return;
    }
    if (len > SMALL_RUN && hi - lo <= UINT32_MAX) {
        /* Many distinct doubles inside one float (scores closer than 1e-7 relative): radix sort
         * their key offsets, using the spare halves of the main buffers and the run scratch. */
        sortbuf sub = {b->k2, (uint32_t *)(void *)r, b->v2, (uint32_t *)(void *)r + len, NULL};
        for (size_t t = 0; t < len; t++) {
            b->k2[t] = (uint32_t)(r[t].k - lo);
            b->v2[t] = r[t].v;
        }
        radix_sort(&sub, len);
        for (size_t t = 0; t < len; t++)
            b->v[i + t] = sub.v[t] | (t > 0 && sub.k[t] == sub.k[t - 1] ? SAME_BIT : 0u);
        return;
    }
    if (len <= SMALL_RUN) {
        for (size_t t = 1; t < len; t++) {
            run_item x = r[t];
            size_t u = t;
            for (; u > 0 && r[u - 1].k > x.k; u--) r[u] = r[u - 1];
            r[u] = x;
        }
    } else {
        qsort(r, len, sizeof *r, run_item_cmp);
    }
    for (size_t t = 0; t < len; t++)
        b->v[i + t] = r[t].v | (t > 0 && r[t].k == r[t - 1].k ? SAME_BIT : 0u);
}

/* Sort b->k / b->v (filled by the caller with coarse keys and index|label payloads) into exact
 * ascending score order with tie marks. */
static void sort_exact(sortbuf *b, const double *p, size_t n)
{
    radix_sort(b, n);
    const uint32_t *k = b->k;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && k[j] == k[i]) j++;
        if (j - i > 1) refine_run(b, p, i, j);
        i = j;
    }
}

/* AUC from payloads sorted ascending: each positive scores 1 per negative strictly below it and
 * 1/2 per tied negative (Mann-Whitney U). */
static double sorted_auc(const uint32_t *v, size_t n, const double *w, double pos, double neg)
{
    double below = 0.0, acc = 0.0;
    size_t i = 0;
    while (i < n) {
        double gp = 0.0, gn = 0.0;
        if (w) {
            do {
                uint32_t x = v[i];
                double wt = w[x & IDX_MASK];
                if (x & LABEL_BIT)
                    gp += wt;
                else
                    gn += wt;
            } while (++i < n && (v[i] & SAME_BIT));
        } else {
            size_t c = 0, start = i;
            do c += v[i] >> 31;
            while (++i < n && (v[i] & SAME_BIT));
            gp = (double)c;
            gn = (double)(i - start - c);
        }
        acc += gp * (below + 0.5 * gn);
        below += gn;
    }
    return acc / (pos * neg);
}

/* ---------------------------------------------------------------------------------------------
 * Input checking.
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    double pos, neg; /* weighted class totals */
} totals;

/* Validate labels, scores (prob: within [0, 1]) and weights; fill class totals. */
static ll_status check_input(const double *y, const double *p, size_t n, const double *w, int prob,
                             totals *t, ll_error *err)
{
    char buf[40];
    t->pos = t->neg = 0.0;
    if (n > MAX_ROWS) return ll_error_set(err, LL_EINVAL, "metrics: too many rows (%zu)", n);
    if (n && (!y || !p)) return ll_error_set(err, LL_EINVAL, "metrics: NULL labels or scores");
    for (size_t i = 0; i < n; i++) {
        double wt = 1.0;
        if (w) {
            wt = w[i];
            if (!(wt >= 0.0) || !isfinite(wt))
                return ll_error_set(err, LL_EINVAL, "metrics: weight w[%zu] = %s is not >= 0", i,
                                    ll_numfmt_double(wt, buf, sizeof buf));
        }
        if (!isfinite(p[i]) || (prob && (p[i] < 0.0 || p[i] > 1.0)))
            return ll_error_set(err, LL_EINVAL, "metrics: p[%zu] = %s is not %s", i,
                                ll_numfmt_double(p[i], buf, sizeof buf),
                                prob ? "a probability in [0, 1]" : "a finite score");
        if (y[i] == 1.0)
            t->pos += wt;
        else if (y[i] == 0.0)
            t->neg += wt;
        else
            return ll_error_set(err, LL_EINVAL, "metrics: label y[%zu] = %s is not 0 or 1", i,
                                ll_numfmt_double(y[i], buf, sizeof buf));
    }
    return LL_OK;
}

static ll_status need_both(const totals *t, size_t n, const char *what, double *out, ll_error *err)
{
    if (t->pos > 0.0 && t->neg > 0.0) return LL_OK;
    if (out) *out = NAN;
    if (n == 0 || t->pos + t->neg == 0.0)
        return ll_error_set(err, LL_EINVAL, "%s is undefined: no rows", what);
    return ll_error_set(err, LL_EINVAL,
                        "%s is undefined: only one class present (%zu rows, all %s)", what, n,
                        t->pos > 0.0 ? "positive" : "negative");
}

static ll_status need_pos(const totals *t, size_t n, const char *what, double *out, ll_error *err)
{
    if (t->pos > 0.0) return LL_OK;
    if (out) *out = NAN;
    if (n == 0 || t->neg == 0.0)
        return ll_error_set(err, LL_EINVAL, "%s is undefined: no rows", what);
    return ll_error_set(err, LL_EINVAL, "%s is undefined: no positive row among %zu", what, n);
}

/* Fill the sort buffer with the keys of p and the index+label payloads, then sort. */
static ll_status sort_scores(const double *y, const double *p, size_t n, sortbuf *sb, ll_error *err)
{
    if (!sortbuf_alloc(sb, n)) return ll_error_set(err, LL_ENOMEM, "metrics: out of memory");
    for (size_t i = 0; i < n; i++) {
        sb->k[i] = coarse_key(p[i]);
        sb->v[i] = (uint32_t)i | (y[i] == 1.0 ? LABEL_BIT : 0u);
    }
    sort_exact(sb, p, n);
    return LL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Curves over distinct scores. A group is one distinct score with the weight of each class;
 * groups are listed in decreasing score order, so walking them lowers the threshold.
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    double s, pos, neg;
} group;

static ll_status make_groups(const double *y, const double *p, size_t n, const double *w,
                             group **out, size_t *ng, ll_error *err)
{
    sortbuf sb = {0};
    ll_status st = sort_scores(y, p, n, &sb, err);
    if (st != LL_OK) return st;
    group *g = malloc((n ? n : 1) * sizeof *g);
    if (!g) {
        sortbuf_free(&sb);
        return ll_error_set(err, LL_ENOMEM, "metrics: out of memory");
    }
    size_t m = 0, i = 0;
    while (i < n) {
        double gp = 0.0, gn = 0.0;
        g[m].s = p[sb.v[i] & IDX_MASK];
        do {
            uint32_t x = sb.v[i];
            double wt = w ? w[x & IDX_MASK] : 1.0;
            if (x & LABEL_BIT)
                gp += wt;
            else
                gn += wt;
        } while (++i < n && (sb.v[i] & SAME_BIT));
        g[m].pos = gp;
        g[m].neg = gn;
        m++;
    }
    for (size_t a = 0, z = m; a + 1 < z; a++, z--) { /* decreasing score order */
        group t = g[a];
        g[a] = g[z - 1];
        g[z - 1] = t;
    }
    sortbuf_free(&sb);
    *out = g;
    *ng = m;
    return LL_OK;
}

static double groups_auc(const group *g, size_t ng, const totals *t)
{
    double above = 0.0, acc = 0.0;
    for (size_t k = 0; k < ng; k++) {
        acc += g[k].neg * (above + 0.5 * g[k].pos);
        above += g[k].pos;
    }
    return acc / (t->pos * t->neg);
}

/* Average precision: sum over thresholds of (R_k - R_{k-1}) * P_k. */
static double groups_ap(const group *g, size_t ng, const totals *t)
{
    double tp = 0.0, fp = 0.0, ap = 0.0;
    for (size_t k = 0; k < ng; k++) {
        tp += g[k].pos;
        fp += g[k].neg;
        if (g[k].pos > 0.0) ap += (g[k].pos / t->pos) * (tp / (tp + fp));
    }
    return ap;
}

static double groups_ks(const group *g, size_t ng, const totals *t, double *thr)
{
    double tp = 0.0, fp = 0.0, best = 0.0, bt = INFINITY;
    for (size_t k = 0; k < ng; k++) {
        tp += g[k].pos;
        fp += g[k].neg;
        double d = fabs(tp / t->pos - fp / t->neg);
        if (d > best) {
            best = d;
            bt = g[k].s;
        }
    }
    if (thr) *thr = bt;
    return best;
}

/* F1 = 2TP / (2TP + FP + FN) = 2TP / (TP + FP + P). */
static double groups_best_f1(const group *g, size_t ng, const totals *t, double *thr)
{
    double tp = 0.0, fp = 0.0, best = 0.0, bt = INFINITY;
    for (size_t k = 0; k < ng; k++) {
        tp += g[k].pos;
        fp += g[k].neg;
        double f1 = 2.0 * tp / (tp + fp + t->pos);
        if (f1 > best) {
            best = f1;
            bt = g[k].s;
        }
    }
    if (thr) *thr = bt;
    return best;
}

/* ---------------------------------------------------------------------------------------------
 * Public scalar metrics.
 * ------------------------------------------------------------------------------------------- */

ll_status ll_metrics_auc(const double *y, const double *p, size_t n, const double *w, double *out,
                         ll_error *err)
{
    totals t;
    *out = NAN;
    ll_status st = check_input(y, p, n, w, 0, &t, err);
    if (st != LL_OK) return st;
    if ((st = need_both(&t, n, "AUC", out, err)) != LL_OK) return st;
    sortbuf sb = {0};
    if ((st = sort_scores(y, p, n, &sb, err)) != LL_OK) return st;
    *out = sorted_auc(sb.v, n, w, t.pos, t.neg);
    sortbuf_free(&sb);
    return LL_OK;
}

ll_status ll_metrics_gini(const double *y, const double *p, size_t n, const double *w, double *out,
                          ll_error *err)
{
    double auc;
    ll_status st = ll_metrics_auc(y, p, n, w, &auc, err);
    *out = st == LL_OK ? 2.0 * auc - 1.0 : NAN;
    return st;
}

/* Shared driver for the metrics computed on groups. */
typedef enum { G_AP, G_KS, G_F1 } group_metric;

static ll_status group_metric_run(const double *y, const double *p, size_t n, const double *w,
                                  group_metric which, double *out, double *thr, ll_error *err)
{
    totals t;
    *out = NAN;
    if (thr) *thr = NAN;
    ll_status st = check_input(y, p, n, w, 0, &t, err);
    if (st != LL_OK) return st;
    if (which == G_KS)
        st = need_both(&t, n, "KS", out, err);
    else
        st = need_pos(&t, n, which == G_AP ? "average precision" : "F1", out, err);
    if (st != LL_OK) return st;
    group *g;
    size_t ng;
    if ((st = make_groups(y, p, n, w, &g, &ng, err)) != LL_OK) return st;
    if (which == G_AP)
        *out = groups_ap(g, ng, &t);
    else if (which == G_KS)
        *out = groups_ks(g, ng, &t, thr);
    else
        *out = groups_best_f1(g, ng, &t, thr);
    free(g);
    return LL_OK;
}

ll_status ll_metrics_pr_auc(const double *y, const double *p, size_t n, const double *w,
                            double *out, ll_error *err)
{
    return group_metric_run(y, p, n, w, G_AP, out, NULL, err);
}

ll_status ll_metrics_ks(const double *y, const double *p, size_t n, const double *w, double *ks,
                        double *threshold, ll_error *err)
{
    return group_metric_run(y, p, n, w, G_KS, ks, threshold, err);
}

ll_status ll_metrics_best_f1(const double *y, const double *p, size_t n, const double *w,
                             double *f1, double *threshold, ll_error *err)
{
    return group_metric_run(y, p, n, w, G_F1, f1, threshold, err);
}

/* Sums of one linear pass: log loss, Brier, mean p, confusion counts. */
typedef struct {
    double wsum, logloss, brier, psum, tn, fp, fn, tp;
} linear_sums;

static void linear_pass(const double *y, const double *p, size_t n, const double *w,
                        double threshold, linear_sums *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        double wt = w ? w[i] : 1.0, pi = p[i];
        double pc = pi < LOGLOSS_EPS         ? LOGLOSS_EPS
                    : pi > 1.0 - LOGLOSS_EPS ? 1.0 - LOGLOSS_EPS
                                             : pi;
        int pos = y[i] == 1.0, pred = pi >= threshold;
        s->wsum += wt;
        s->logloss -= wt * (pos ? log(pc) : log1p(-pc));
        s->brier += wt * (pi - y[i]) * (pi - y[i]);
        s->psum += wt * pi;
        if (pos) {
            if (pred)
                s->tp += wt;
            else
                s->fn += wt;
        } else {
            if (pred)
                s->fp += wt;
            else
                s->tn += wt;
        }
    }
}

static void fill_confusion(const linear_sums *s, double threshold, ll_confusion *c)
{
    c->threshold = threshold;
    c->tn = s->tn;
    c->fp = s->fp;
    c->fn = s->fn;
    c->tp = s->tp;
    double tot = s->tn + s->fp + s->fn + s->tp;
    c->accuracy = tot > 0.0 ? (s->tp + s->tn) / tot : NAN;
    c->precision = s->tp + s->fp > 0.0 ? s->tp / (s->tp + s->fp) : 0.0;
    c->recall = s->tp + s->fn > 0.0 ? s->tp / (s->tp + s->fn) : 0.0;
    double d = 2.0 * s->tp + s->fp + s->fn;
    c->f1 = d > 0.0 ? 2.0 * s->tp / d : 0.0;
    if (!(tot > 0.0)) c->precision = c->recall = c->f1 = NAN;
}

static ll_status linear_metric(const double *y, const double *p, size_t n, const double *w,
                               int which, double *out, ll_error *err)
{
    totals t;
    *out = NAN;
    ll_status st = check_input(y, p, n, w, 1, &t, err);
    if (st != LL_OK) return st;
    if (!(t.pos + t.neg > 0.0))
        return ll_error_set(err, LL_EINVAL, "%s is undefined: no rows",
                            which ? "Brier score" : "log loss");
    linear_sums s;
    linear_pass(y, p, n, w, 0.5, &s);
    *out = (which ? s.brier : s.logloss) / s.wsum;
    return LL_OK;
}

ll_status ll_metrics_logloss(const double *y, const double *p, size_t n, const double *w,
                             double *out, ll_error *err)
{
    return linear_metric(y, p, n, w, 0, out, err);
}

ll_status ll_metrics_brier(const double *y, const double *p, size_t n, const double *w, double *out,
                           ll_error *err)
{
    return linear_metric(y, p, n, w, 1, out, err);
}

ll_status ll_metrics_confusion(const double *y, const double *p, size_t n, const double *w,
                               double threshold, ll_confusion *out, ll_error *err)
{
    totals t;
    linear_sums s;
    memset(&s, 0, sizeof s);
    fill_confusion(&s, threshold, out);
    ll_status st = check_input(y, p, n, w, 0, &t, err);
    if (st != LL_OK) return st;
    if (!(t.pos + t.neg > 0.0))
        return ll_error_set(err, LL_EINVAL, "confusion matrix is undefined: no rows");
    /* p may be any finite score here: clipping inside linear_pass does not matter */
    linear_pass(y, p, n, w, threshold, &s);
    fill_confusion(&s, threshold, out);
    return LL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Calibration table and ROC curve.
 * ------------------------------------------------------------------------------------------- */

ll_status ll_metrics_calibration(const double *y, const double *p, size_t n, const double *w,
                                 int ngroups, ll_calib_bin *out, ll_error *err)
{
    totals t;
    if (ngroups < 1)
        return ll_error_set(err, LL_EINVAL, "calibration: %d groups (need at least 1)", ngroups);
    for (int g = 0; g < ngroups; g++) {
        out[g].n = 0;
        out[g].weight = 0.0;
        out[g].p_mean = out[g].y_rate = out[g].p_min = out[g].p_max = NAN;
    }
    ll_status st = check_input(y, p, n, w, 0, &t, err);
    if (st != LL_OK) return st;
    if (n == 0) return ll_error_set(err, LL_EINVAL, "calibration table is undefined: no rows");
    sortbuf sb = {0};
    if ((st = sort_scores(y, p, n, &sb, err)) != LL_OK) return st;
    double *psum = calloc((size_t)ngroups * 2, sizeof *psum);
    if (!psum) {
        sortbuf_free(&sb);
        return ll_error_set(err, LL_ENOMEM, "metrics: out of memory");
    }
    double *ysum = psum + ngroups;
    size_t i = 0;
    while (i < n) {
        size_t g = (size_t)(((uint64_t)ngroups * (uint64_t)i) / (uint64_t)n);
        double s = p[sb.v[i] & IDX_MASK];
        ll_calib_bin *b = &out[g];
        if (b->n == 0) b->p_min = s;
        b->p_max = s;
        do {
            uint32_t x = sb.v[i];
            double wt = w ? w[x & IDX_MASK] : 1.0;
            b->n++;
            b->weight += wt;
            psum[g] += wt * s;
            if (x & LABEL_BIT) ysum[g] += wt;
        } while (++i < n && (sb.v[i] & SAME_BIT));
    }
    for (int g = 0; g < ngroups; g++) {
        if (out[g].weight > 0.0) {
            out[g].p_mean = psum[g] / out[g].weight;
            out[g].y_rate = ysum[g] / out[g].weight;
        }
    }
    free(psum);
    sortbuf_free(&sb);
    return LL_OK;
}

typedef struct {
    double cn, cp, s; /* cumulative negatives, positives, threshold */
} roc_pt;

ll_status ll_metrics_roc_curve(const double *y, const double *p, size_t n, const double *w,
                               size_t max_points, double *fpr, double *tpr, double *threshold,
                               size_t *npoints, ll_error *err)
{
    totals t;
    *npoints = 0;
    if (max_points < 2)
        return ll_error_set(err, LL_EINVAL, "ROC curve: max_points is %zu (need at least 2)",
                            max_points);
    ll_status st = check_input(y, p, n, w, 0, &t, err);
    if (st != LL_OK) return st;
    if ((st = need_both(&t, n, "ROC curve", NULL, err)) != LL_OK) return st;
    group *g;
    size_t ng;
    if ((st = make_groups(y, p, n, w, &g, &ng, err)) != LL_OK) return st;
    roc_pt *pt = malloc((ng + 1) * sizeof *pt);
    if (!pt) {
        free(g);
        return ll_error_set(err, LL_ENOMEM, "metrics: out of memory");
    }
    /* Build the curve, dropping a point whenever it lies on the segment joining its neighbours
     * (cumulative counts are exact integers without weights, so the test is exact there). */
    size_t m = 0;
    pt[m++] = (roc_pt){0.0, 0.0, INFINITY};
    double cn = 0.0, cp = 0.0;
    for (size_t k = 0; k < ng; k++) {
        cn += g[k].neg;
        cp += g[k].pos;
        while (m >= 2) {
            const roc_pt *a = &pt[m - 2], *b = &pt[m - 1];
            if ((b->cn - a->cn) * (cp - b->cp) != (b->cp - a->cp) * (cn - b->cn)) break;
            m--;
        }
        pt[m++] = (roc_pt){cn, cp, g[k].s};
    }
    free(g);
    size_t out = 0;
#define EMIT(q)                                                                                    \
    do {                                                                                           \
        fpr[out] = (q)->cn / t.neg;                                                                \
        tpr[out] = (q)->cp / t.pos;                                                                \
        if (threshold) threshold[out] = (q)->s;                                                    \
        out++;                                                                                     \
    } while (0)
    if (m <= max_points) {
        for (size_t k = 0; k < m; k++) EMIT(&pt[k]);
    } else {
        /* fpr + tpr grows from 0 to 2 along the curve: take the first point past each of
         * max_points - 2 evenly spaced marks. */
        EMIT(&pt[0]);
        size_t last = 0, j = 1;
        for (size_t k = 1; k + 1 < max_points; k++) {
            double mark = 2.0 * (double)k / (double)(max_points - 1);
            while (j < m - 1 && pt[j].cn / t.neg + pt[j].cp / t.pos < mark) j++;
            if (j >= m - 1) break;
            if (j > last) {
                EMIT(&pt[j]);
                last = j;
            }
        }
        EMIT(&pt[m - 1]);
    }
#undef EMIT
    free(pt);
    *npoints = out;
    return LL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Everything at once.
 * ------------------------------------------------------------------------------------------- */

ll_status ll_metrics_all(const double *y, const double *p, size_t n, const double *w,
                         double threshold, ll_metrics *out, ll_error *err)
{
    totals t;
    linear_sums s;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->auc = out->gini = out->pr_auc = out->logloss = out->brier = NAN;
    out->ks = out->ks_threshold = out->mean_p = out->base_rate = NAN;
    out->f1_best = out->f1_best_threshold = NAN;
    memset(&s, 0, sizeof s);
    fill_confusion(&s, threshold, &out->at);
    out->status = LL_METRICS_EMPTY;
    ll_status st = check_input(y, p, n, w, 1, &t, err);
    if (st != LL_OK) return st;
    out->n_pos = t.pos;
    out->n_neg = t.neg;
    if (!(t.pos + t.neg > 0.0)) return LL_OK;

    linear_pass(y, p, n, w, threshold, &s);
    out->logloss = s.logloss / s.wsum;
    out->brier = s.brier / s.wsum;
    out->mean_p = s.psum / s.wsum;
    out->base_rate = t.pos / s.wsum;
    fill_confusion(&s, threshold, &out->at);
    out->status = (t.pos > 0.0 && t.neg > 0.0) ? LL_METRICS_OK : LL_METRICS_ONE_CLASS;
    if (!(t.pos > 0.0)) return LL_OK;

    group *g;
    size_t ng;
    if ((st = make_groups(y, p, n, w, &g, &ng, err)) != LL_OK) return st;
    out->pr_auc = groups_ap(g, ng, &t);
    out->f1_best = groups_best_f1(g, ng, &t, &out->f1_best_threshold);
    if (out->status == LL_METRICS_OK) {
        out->auc = groups_auc(g, ng, &t);
        out->gini = 2.0 * out->auc - 1.0;
        out->ks = groups_ks(g, ng, &t, &out->ks_threshold);
    }
    free(g);
    return LL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Reusable AUC context.
 * ------------------------------------------------------------------------------------------- */

struct ll_auc_ctx {
    size_t n;
    uint32_t *lab; /* index | label bit, the sort payload */
    double *w;     /* copy of the weights or NULL */
    totals t;
    sortbuf sb;
};

static ll_status auc_ctx_make(const double *yd, const uint8_t *y8, size_t n, const double *w,
                              ll_auc_ctx **out, ll_error *err)
{
    char buf[40];
    *out = NULL;
    if (n > MAX_ROWS) return ll_error_set(err, LL_EINVAL, "AUC: too many rows (%zu)", n);
    if (n && !yd && !y8) return ll_error_set(err, LL_EINVAL, "AUC: NULL labels");
    ll_auc_ctx *c = calloc(1, sizeof *c);
    if (!c) return ll_error_set(err, LL_ENOMEM, "AUC: out of memory");
    c->n = n;
    c->lab = malloc((n ? n : 1) * sizeof *c->lab);
    if (w) c->w = malloc((n ? n : 1) * sizeof *c->w);
    if (!c->lab || (w && !c->w) || !sortbuf_alloc(&c->sb, n)) {
        ll_auc_ctx_free(c);
        return ll_error_set(err, LL_ENOMEM, "AUC: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        double wt = w ? w[i] : 1.0;
        if (!(wt >= 0.0) || !isfinite(wt)) {
            ll_auc_ctx_free(c);
            return ll_error_set(err, LL_EINVAL, "AUC: weight w[%zu] = %s is not >= 0", i,
                                ll_numfmt_double(wt, buf, sizeof buf));
        }
        int lab = yd ? (yd[i] == 1.0 ? 1 : yd[i] == 0.0 ? 0 : -1) : (y8[i] <= 1 ? y8[i] : -1);
        if (lab < 0) {
            ll_auc_ctx_free(c);
            return ll_error_set(err, LL_EINVAL, "AUC: label y[%zu] = %s is not 0 or 1", i,
                                ll_numfmt_double(yd ? yd[i] : (double)y8[i], buf, sizeof buf));
        }
        if (w) c->w[i] = wt;
        if (lab)
            c->t.pos += wt;
        else
            c->t.neg += wt;
        c->lab[i] = (uint32_t)i | (lab ? LABEL_BIT : 0u);
    }
    *out = c;
    return LL_OK;
}

ll_status ll_auc_ctx_new(const double *y, size_t n, const double *w, ll_auc_ctx **out,
                         ll_error *err)
{
    return auc_ctx_make(y, NULL, n, w, out, err);
}

ll_status ll_auc_ctx_new_u8(const uint8_t *y, size_t n, const double *w, ll_auc_ctx **out,
                            ll_error *err)
{
    return auc_ctx_make(NULL, y, n, w, out, err);
}

double ll_auc_ctx_eval(ll_auc_ctx *c, const double *score)
{
    if (!c || !(c->t.pos > 0.0) || !(c->t.neg > 0.0)) return NAN;
    size_t n = c->n;
    uint32_t *k = c->sb.k;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bad |= isnan(score[i]);
        k[i] = coarse_key(score[i]);
    }
    if (bad) return NAN;
    memcpy(c->sb.v, c->lab, n * sizeof *c->lab);
    sort_exact(&c->sb, score, n);
    return sorted_auc(c->sb.v, n, c->w, c->t.pos, c->t.neg);
}

void ll_auc_ctx_free(ll_auc_ctx *c)
{
    if (!c) return;
    free(c->lab);
    free(c->w);
    sortbuf_free(&c->sb);
    free(c);
}
