/* gbdt: histogram gradient boosted trees for binary classification (XGBoost hist semantics). */
#include "gbdt.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "numfmt.h"

/* XGBoost's kRtEps: a split must reduce the loss by more than this. */
#define GB_RT_EPS 1e-6
/* XGBoost's max_cat_threshold default: most categories a partition split scans.
 */
#define GB_MAX_CAT_THRESHOLD 64
/* Train metrics in progress reports use at most this many (seeded) rows. */
#define GB_TRAIN_METRIC_ROWS 100000
/* Nodes whose children histograms are built in one parallel pass (bounds scratch memory). */
#define GB_BATCH 64
/* Rows per prediction block (the block's codes, feature-major, stay in L1/L2).
 */
#define GB_BLOCK_SHIFT 9
#define GB_BLOCK       (1 << GB_BLOCK_SHIFT)

/* ------------------------------------------------------------------------------------------
 */
/* Model and prediction engine */

/* One node of the prediction engine. A row whose bin in `feature` is b goes to child[1] when bit b
 * of mask is set, else child[0]; leaves point at themselves, so every row of a block can take the
 * same fixed number of branch-free steps per tree. */
typedef struct {
    int32_t child[2];
    int32_t feature;
    int32_t pad;
    uint64_t mask[4];
} gb_pnode;

/* Trees up to this depth are laid out as complete binary trees (children of k at 2k+1 and 2k+2,
 * shallower leaves padded with always-left nodes), so a step needs no child load. */
#define GB_IMPLICIT_MAX 10
/* Trees up to this depth also get a byte table per node (one load per step instead of a mask word
 * and a shift), while the tables of a model stay under GB_LUT_BUDGET bytes. */
#define GB_LUT_MAX    7
#define GB_LUT_BUDGET ((size_t)64 << 20)

typedef struct {
    int *steps; /* per tree: depth */
    /* implicit layout (depth <= GB_IMPLICIT_MAX) */
    uint16_t *feat; /* 2^depth - 1 per tree, at ioff[t] */
    uint64_t *mask; /* 4 words per implicit node */
    float *ileaf;   /* 2^depth per tree, at loff[t] */
    size_t *ioff, *loff;
    /* explicit layout (deeper trees) */
    gb_pnode *nodes; /* child indexes are relative to the tree */
    float *leaf;     /* per node: leaf value (0 on internal nodes) */
    size_t *off;     /* per tree: first node */
    uint8_t *lut8;   /* 256 bytes per implicit node of tables trees (1 = go right) */
    size_t *lutoff;  /* per tree: first table, or SIZE_MAX for none */
    int implicit;    /* trees up to GB_IMPLICIT_MAX deep use the implicit layout */
    int ok;          /* usable (raw engine: every feature quantisable into 255 codes) */
} gb_engine;

/* How predict_raw turns a raw value of a feature into an engine bin code. */
typedef struct {
    int kind; /* 0 unused, 1 numeric (rank among thresholds), 2 categorical (index) */
    int nthr; /* numeric: sorted distinct float thresholds */
    float *thr;
} gb_quant;

struct ll_gbdt {
    ll_gbdt_params params;
    int nfeat;
    int ntrees;
    int best_iteration;
    double base_score; /* probability */
    float base_margin; /* logit(base_score) computed in float, as XGBoost does */
    int has_bins;      /* split_bin refers to the training plan's bins */
    ll_tree *trees;
    char **names;      /* nfeat names (may hold NULLs) */
    uint8_t *is_cat;   /* nfeat flags */
    gb_engine eng_bin; /* on plan bins (has_bins only) */
    gb_engine eng_raw; /* on quantised raw values */
    gb_quant *quant;   /* nfeat */
};

static double gb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline void gb_bit_set(uint64_t *m, int b)
{
    m[b >> 6] |= (uint64_t)1 << (b & 63);
}

static inline int gb_bit_get(const uint64_t *m, int b)
{
    return (int)((m[b >> 6] >> (b & 63)) & 1u);
}

/* XGBoost's ProbToMargin for logistic objectives, in float like XGBoost. */
static float gb_prob_to_margin(double p)
{
    float pf = (float)p;
    return -logf(1.0f / pf - 1.0f);
}

static double gb_sigmoid(double m)
{
    return 1.0 / (1.0 + exp(-m));
}

static void gb_engine_free(gb_engine *e)
{
    free(e->steps);
    free(e->feat);
    free(e->mask);
    free(e->ileaf);
    free(e->lut8);
    free(e->lutoff);
    free(e->ioff);
    free(e->loff);
    free(e->nodes);
    free(e->leaf);
    free(e->off);
    memset(e, 0, sizeof *e);
}

static int gb_float_cmp(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Rank code of threshold v among q's sorted thresholds (its index). */
static int gb_quant_index(const gb_quant *q, float v)
{
    int lo = 0, hi = q->nthr - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (q->thr[mid] < v)
            lo = mid + 1;
        else if (q->thr[mid] > v)
            hi = mid - 1;
        else
            return mid;
    }
    return -1;
}

/* Engine mask of node nd: bit b set when a row with code b goes right. raw: codes are ranks among
 * q's thresholds; else plan bins. */
static void gb_node_mask(const ll_tree_node *nd, const gb_quant *q, int raw, uint64_t *mask)
{
    memset(mask, 0, 4 * sizeof *mask);
    if (nd->is_cat) {
        memcpy(mask, nd->cat_set, 4 * sizeof *mask);
        mask[3] &= ~((uint64_t)1 << 63);
    } else {
        int k = raw ? gb_quant_index(q, (float)nd->threshold) : nd->split_bin;
        for (int b = k + 1; b < 255; b++) gb_bit_set(mask, b);
    }
    if (!nd->default_left) gb_bit_set(mask, 255);
}

/* Fill the implicit layout of tree tr below implicit node k (level d of D) from node i. */
static void gb_fill_implicit(const ll_tree *tr, int32_t i, size_t k, int d, int D,
                             const gb_quant *quant, int raw, uint16_t *feat, uint64_t *mask,
                             float *leaf)
{
    const ll_tree_node *nd = &tr->nodes[i];
    if (d == D) {
        leaf[k - (((size_t)1 << D) - 1)] = (float)nd->value;
        return;
    }
    if (nd->left < 0) {
        feat[k] = 0;
        memset(mask + 4 * k, 0, 4 * sizeof *mask);
        gb_fill_implicit(tr, i, 2 * k + 1, d + 1, D, quant, raw, feat, mask, leaf);
        gb_fill_implicit(tr, i, 2 * k + 2, d + 1, D, quant, raw, feat, mask, leaf);
        return;
    }
    feat[k] = (uint16_t)nd->feature;
    gb_node_mask(nd, &quant[nd->feature], raw, mask + 4 * k);
    gb_fill_implicit(tr, nd->left, 2 * k + 1, d + 1, D, quant, raw, feat, mask, leaf);
    gb_fill_implicit(tr, nd->right, 2 * k + 2, d + 1, D, quant, raw, feat, mask, leaf);
}

/* Depth below node i (trees are checked to be acyclic before they get here). */
static int gb_tree_steps(const ll_tree *t, int32_t i)
{
    if (t->nodes[i].left < 0) return 0;
    int l = gb_tree_steps(t, t->nodes[i].left), r = gb_tree_steps(t, t->nodes[i].right);
    return 1 + (l > r ? l : r);
}

/* Build the raw-value quantisers and both engines from the trees. Returns 0 or -1 (ENOMEM). */
static int gb_model_finalize(ll_gbdt *m)
{
    gb_engine_free(&m->eng_bin);
    gb_engine_free(&m->eng_raw);
    if (m->quant) {
        for (int f = 0; f < m->nfeat; f++) free(m->quant[f].thr);
        free(m->quant);
    }
    m->quant = calloc((size_t)(m->nfeat > 0 ? m->nfeat : 1), sizeof *m->quant);
    if (!m->quant) return -1;
    int raw_ok = 1;
    /* quantiser kinds and threshold lists */
    int *cnt = calloc((size_t)(m->nfeat > 0 ? m->nfeat : 1), sizeof *cnt);
    if (!cnt) return -1;
    for (int t = 0; t < m->ntrees; t++)
        for (int32_t i = 0; i < m->trees[t].n; i++) {
            const ll_tree_node *nd = &m->trees[t].nodes[i];
            if (nd->left < 0) continue;
            gb_quant *q = &m->quant[nd->feature];
            int kind = nd->is_cat ? 2 : 1;
            if (q->kind && q->kind != kind) raw_ok = 0;
            q->kind = kind;
            if (!nd->is_cat) cnt[nd->feature]++;
            if (nd->is_cat && gb_bit_get(nd->cat_set, 255)) raw_ok = 0;
        }
    for (int f = 0; f < m->nfeat; f++) {
        if (!cnt[f]) continue;
        m->quant[f].thr = malloc((size_t)cnt[f] * sizeof(float));
        if (!m->quant[f].thr) {
            free(cnt);
            return -1;
        }
    }
    for (int t = 0; t < m->ntrees; t++)
        for (int32_t i = 0; i < m->trees[t].n; i++) {
            const ll_tree_node *nd = &m->trees[t].nodes[i];
            if (nd->left < 0 || nd->is_cat) continue;
            gb_quant *q = &m->quant[nd->feature];
            q->thr[q->nthr++] = (float)nd->threshold;
        }
    free(cnt);
    for (int f = 0; f < m->nfeat; f++) {
        gb_quant *q = &m->quant[f];
        if (q->nthr < 2) continue;
        qsort(q->thr, (size_t)q->nthr, sizeof(float), gb_float_cmp);
        int k = 1;
        for (int i = 1; i < q->nthr; i++)
            if (q->thr[i] != q->thr[k - 1]) q->thr[k++] = q->thr[i];
        q->nthr = k;
        if (k > 254) raw_ok = 0;
    }
    for (int e = 0; e < 2; e++) {
        gb_engine *g = e ? &m->eng_raw : &m->eng_bin;
        if (e == 0 && !m->has_bins) continue;
        if (e == 1 && !raw_ok) continue;
        size_t nt = (size_t)m->ntrees + 1, ni = 0, nl = 0, ne = 0;
        g->steps = malloc(nt * sizeof *g->steps);
        g->ioff = malloc(nt * sizeof *g->ioff);
        g->loff = malloc(nt * sizeof *g->loff);
        g->off = malloc(nt * sizeof *g->off);
        if (!g->steps || !g->ioff || !g->loff || !g->off) return -1;
        for (int t = 0; t < m->ntrees; t++) {
            const ll_tree *tr = &m->trees[t];
            int D = tr->n ? gb_tree_steps(tr, 0) : 0;
            g->steps[t] = D;
            g->ioff[t] = ni;
            g->loff[t] = nl;
            g->off[t] = ne;
            if (D <= GB_IMPLICIT_MAX && m->nfeat <= 65535) {
                ni += ((size_t)1 << D) - 1;
                nl += (size_t)1 << D;
            } else {
                ne += (size_t)tr->n;
            }
        }
        g->feat = malloc((ni ? ni : 1) * sizeof *g->feat);
        g->mask = malloc((ni ? ni : 1) * 4 * sizeof *g->mask);
        g->ileaf = malloc((nl ? nl : 1) * sizeof *g->ileaf);
        g->nodes = malloc((ne ? ne : 1) * sizeof *g->nodes);
        g->leaf = malloc((ne ? ne : 1) * sizeof *g->leaf);
        if (!g->feat || !g->mask || !g->ileaf || !g->nodes || !g->leaf) return -1;
        for (int t = 0; t < m->ntrees; t++) {
            const ll_tree *tr = &m->trees[t];
            if (!tr->n) continue;
            if (g->steps[t] <= GB_IMPLICIT_MAX && m->nfeat <= 65535) {
                gb_fill_implicit(tr, 0, 0, 0, g->steps[t], m->quant, e, g->feat + g->ioff[t],
                                 g->mask + 4 * g->ioff[t], g->ileaf + g->loff[t]);
                continue;
            }
            for (int32_t i = 0; i < tr->n; i++) {
                const ll_tree_node *nd = &tr->nodes[i];
                gb_pnode *p = &g->nodes[g->off[t] + (size_t)i];
                memset(p, 0, sizeof *p);
                g->leaf[g->off[t] + (size_t)i] = nd->left < 0 ? (float)nd->value : 0.0f;
                if (nd->left < 0) {
                    p->child[0] = p->child[1] = i;
                    continue;
                }
                p->child[0] = nd->left;
                p->child[1] = nd->right;
                p->feature = nd->feature;
                gb_node_mask(nd, &m->quant[nd->feature], e, p->mask);
            }
        }
        g->implicit = m->nfeat <= 65535;
        g->lutoff = malloc(nt * sizeof *g->lutoff);
        if (!g->lutoff) return -1;
        size_t nlut = 0;
        for (int t = 0; t < m->ntrees; t++) {
            size_t need = (((size_t)1 << g->steps[t]) - 1) * 256;
            g->lutoff[t] = SIZE_MAX;
            if (g->implicit && g->steps[t] <= GB_LUT_MAX && nlut + need <= GB_LUT_BUDGET) {
                g->lutoff[t] = nlut;
                nlut += need;
            }
        }
        g->lut8 = malloc(nlut ? nlut : 1);
        if (!g->lut8) return -1;
        for (int t = 0; t < m->ntrees; t++) {
            if (g->lutoff[t] == SIZE_MAX) continue;
            size_t nn = ((size_t)1 << g->steps[t]) - 1;
            const uint64_t *mk = g->mask + 4 * g->ioff[t];
            uint8_t *lt = g->lut8 + g->lutoff[t];
            for (size_t k = 0; k < nn; k++)
                for (int b = 0; b < 256; b++)
                    lt[k * 256 + (size_t)b] = (uint8_t)gb_bit_get(mk + 4 * k, b);
        }
        g->ok = 1;
    }
    return 0;
}

#define GB_BIT(k, b) ((uint32_t)((mk[4 * (size_t)(k) + ((b) >> 6)] >> ((b)&63u)) & 1u))
#define GB_LUT(k, b) ((uint32_t)lt[((size_t)(k) << 8) + (b)])
/* One step of row j of the block at cb (feature-major codes). */
#define GB_STEP(k, j, BIT)                                                                         \
    do {                                                                                           \
        unsigned b_ = cb[((size_t)ft[k] << GB_BLOCK_SHIFT) + (j)];                                 \
        k = 2 * k + 1 + BIT(k, b_);                                                                \
    } while (0)
/* Walk one implicit tree for the nb rows of a block, eight rows at a time. */
#define GB_WALK(BIT)                                                                               \
    do {                                                                                           \
        int i = 0;                                                                                 \
        for (; i + 8 <= nb; i += 8) {                                                              \
            const uint8_t *cb = codes + i;                                                         \
            uint32_t k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0;               \
            for (int d = 0; d < D; d++) {                                                          \
                GB_STEP(k0, 0, BIT);                                                               \
                GB_STEP(k1, 1, BIT);                                                               \
                GB_STEP(k2, 2, BIT);                                                               \
                GB_STEP(k3, 3, BIT);                                                               \
                GB_STEP(k4, 4, BIT);                                                               \
                GB_STEP(k5, 5, BIT);                                                               \
                GB_STEP(k6, 6, BIT);                                                               \
                GB_STEP(k7, 7, BIT);                                                               \
            }                                                                                      \
            acc[i] += lf[k0];                                                                      \
            acc[i + 1] += lf[k1];                                                                  \
            acc[i + 2] += lf[k2];                                                                  \
            acc[i + 3] += lf[k3];                                                                  \
            acc[i + 4] += lf[k4];                                                                  \
            acc[i + 5] += lf[k5];                                                                  \
            acc[i + 6] += lf[k6];                                                                  \
            acc[i + 7] += lf[k7];                                                                  \
        }                                                                                          \
        for (; i < nb; i++) {                                                                      \
            const uint8_t *cb = codes + i;                                                         \
            uint32_t k = 0;                                                                        \
            for (int d = 0; d < D; d++) GB_STEP(k, 0, BIT);                                        \
            acc[i] += lf[k];                                                                       \
        }                                                                                          \
    } while (0)

/* Margins (float, XGBoost's accumulation order: tree by tree from the base margin) of nb rows of
 * engine codes (feature-major: code of row i for feature f at f * GB_BLOCK + i). Eight rows walk
 * each tree together so their independent load chains overlap. */
static void gb_engine_block(const gb_engine *e, int ntrees, float base, const uint8_t *codes,
                            int nb, float *acc)
{
    int32_t cur[GB_BLOCK];
    for (int i = 0; i < nb; i++) acc[i] = base;
    for (int t = 0; t < ntrees; t++) {
        const int D = e->steps[t];
        if (D <= GB_IMPLICIT_MAX && e->implicit) {
            const uint16_t *ft = e->feat + e->ioff[t];
            const float *lf = e->ileaf + e->loff[t] - (((size_t)1 << D) - 1);
            if (e->lutoff[t] != SIZE_MAX) {
                const uint8_t *lt = e->lut8 + e->lutoff[t];
                GB_WALK(GB_LUT);
            } else {
                const uint64_t *mk = e->mask + 4 * e->ioff[t];
                GB_WALK(GB_BIT);
            }
            continue;
        }
        const gb_pnode *nd = e->nodes + e->off[t];
        const float *lv = e->leaf + e->off[t];
        for (int i = 0; i < nb; i++) cur[i] = 0;
        for (int d = 0; d < D; d++)
            for (int i = 0; i < nb; i++) {
                const gb_pnode *p = &nd[cur[i]];
                unsigned b = codes[((size_t)p->feature << GB_BLOCK_SHIFT) + (size_t)i];
                cur[i] = p->child[(p->mask[b >> 6] >> (b & 63)) & 1u];
            }
        for (int i = 0; i < nb; i++) acc[i] += lv[cur[i]];
    }
}

/* Engine code of a raw value of feature f. */
static inline uint8_t gb_quantize(const gb_quant *q, double x)
{
    if (q->kind == 0 || isnan(x)) return 255;
    if (q->kind == 2) {
        /* invalid categories go the default way, as XGBoost's Decision() does */
        if (!(x >= 0.0 && x < 255.0)) return 255;
        return (uint8_t)(int)x;
    }
    float v = (float)x;
    const float *base = q->thr;
    int n = q->nthr;
    if (n == 0) return 0;
    while (n > 1) {
        int half = n / 2;
        base = (base[half] <= v) ? base + half : base;
        n -= half;
    }
    return (uint8_t)((base - q->thr) + (*base <= v));
}

/* Slow path for models the raw engine cannot take: direct float comparisons. */
static float gb_margin_direct(const ll_gbdt *m, const double *x)
{
    float acc = m->base_margin;
    for (int t = 0; t < m->ntrees; t++) {
        const ll_tree *tr = &m->trees[t];
        int32_t i = 0;
        int guard = 0;
        while (tr->nodes[i].left >= 0 && guard++ <= tr->n) {
            const ll_tree_node *nd = &tr->nodes[i];
            double v = x[nd->feature];
            int left;
            if (isnan(v))
                left = nd->default_left;
            else if (nd->is_cat)
                left = (v >= 0 && v < 255) ? !ll_tree_cat_in(nd, (int)v) : nd->default_left;
            else
                left = (float)v < (float)nd->threshold;
            i = left ? nd->left : nd->right;
        }
        acc += (float)tr->nodes[i].value;
    }
    return acc;
}

typedef struct {
    const ll_gbdt *m;
    const ll_binned *b; /* binned input, or */
    const double *x;    /* raw row-major input */
    size_t n;
    double *out;
    int prob; /* 1: probabilities, 0: margins */
    int nthreads;
} gb_pred_job;

typedef struct {
    gb_pred_job *job;
    int id;
} gb_pred_arg;

static void gb_pred_range(gb_pred_job *j, int id)
{
    const ll_gbdt *m = j->m;
    int F = m->nfeat > 0 ? m->nfeat : 1;
    uint8_t *codes = malloc((size_t)GB_BLOCK * (size_t)F);
    float acc[GB_BLOCK];
    size_t nblocks = (j->n + GB_BLOCK - 1) / GB_BLOCK;
    for (size_t blk = (size_t)id; blk < nblocks; blk += (size_t)j->nthreads) {
        size_t r0 = blk * GB_BLOCK;
        int nb = (int)(j->n - r0 < GB_BLOCK ? j->n - r0 : GB_BLOCK);
        if (j->b) {
            for (int f = 0; f < m->nfeat && codes; f++)
                memcpy(codes + ((size_t)f << GB_BLOCK_SHIFT), j->b->bins[f] + r0, (size_t)nb);
        } else if (m->eng_raw.ok && codes) {
            for (int i = 0; i < nb; i++) {
                const double *xr = j->x + (r0 + (size_t)i) * (size_t)m->nfeat;
                for (int f = 0; f < m->nfeat; f++)
                    codes[((size_t)f << GB_BLOCK_SHIFT) + (size_t)i] =
                        gb_quantize(&m->quant[f], xr[f]);
            }
        }
        if (!codes || (!j->b && !m->eng_raw.ok)) {
            for (int i = 0; i < nb; i++) {
                if (j->b) {
                    acc[i] = NAN;
                    continue;
                }
                acc[i] = gb_margin_direct(m, j->x + (r0 + (size_t)i) * (size_t)m->nfeat);
            }
        } else {
            gb_engine_block(j->b ? &m->eng_bin : &m->eng_raw, m->ntrees, m->base_margin, codes, nb,
                            acc);
        }
        for (int i = 0; i < nb; i++)
            j->out[r0 + (size_t)i] = j->prob ? gb_sigmoid((double)acc[i]) : (double)acc[i];
    }
    free(codes);
}

static void *gb_pred_thread(void *arg)
{
    gb_pred_arg *a = arg;
    gb_pred_range(a->job, a->id);
    return NULL;
}

static void gb_predict_run(gb_pred_job *j)
{
    int T = j->m->params.threads > 0 ? j->m->params.threads : 1;
    size_t nblocks = (j->n + GB_BLOCK - 1) / GB_BLOCK;
    if ((size_t)T > nblocks) T = (int)(nblocks ? nblocks : 1);
    if (T > 64) T = 64;
    j->nthreads = T;
    pthread_t tid[64];
    gb_pred_arg args[64];
    int started = 0;
    for (int t = 1; t < T; t++) {
        args[t].job = j;
        args[t].id = t;
        if (pthread_create(&tid[t], NULL, gb_pred_thread, &args[t]) != 0) break;
        started = t;
    }
    if (started < T - 1) {
        /* could not start every thread: the started ones take their blocks, this thread the rest
         * (block results do not depend on which thread computes them) */
        for (int t = started + 1; t < T; t++) gb_pred_range(j, t);
    }
    gb_pred_range(j, 0);
    for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
}

/* ------------------------------------------------------------------------------------------
 */
/* Parameters */

void ll_gbdt_params_default(ll_gbdt_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_estimators = 100;
    p->eta = 0.3;
    p->max_depth = 6;
    p->min_child_weight = 1.0;
    p->lambda = 1.0;
    p->alpha = 0.0;
    p->gamma = 0.0;
    p->subsample = 1.0;
    p->colsample_bytree = 1.0;
    p->scale_pos_weight = 1.0;
    p->max_bin = 256;
    p->early_stopping_rounds = 0;
    p->base_score = 0.5;
    p->max_cat_to_onehot = 4;
    p->threads = 2;
    p->seed = 0;
}

static int gb_bad(char *msg, size_t len, const char *name, const char *rule, double v)
{
    char num[40];
    if (msg && len)
        snprintf(msg, len, "%s must be %s (got %s)", name, rule,
                 ll_numfmt_double(v, num, sizeof num));
    return -1;
}

int ll_gbdt_params_check(const ll_gbdt_params *p, char *msg, size_t len)
{
    if (msg && len) msg[0] = '\0';
    if (p->n_estimators < 1 || p->n_estimators > 100000)
        return gb_bad(msg, len, "n_estimators", "in 1..100000", p->n_estimators);
    if (!(p->eta > 0 && p->eta <= 10)) return gb_bad(msg, len, "eta", "in (0, 10]", p->eta);
    if (p->max_depth < 1 || p->max_depth > 24)
        return gb_bad(msg, len, "max_depth", "in 1..24", p->max_depth);
    if (!(p->min_child_weight >= 0 && isfinite(p->min_child_weight)))
        return gb_bad(msg, len, "min_child_weight", ">= 0", p->min_child_weight);
    if (!(p->lambda >= 0 && isfinite(p->lambda)))
        return gb_bad(msg, len, "lambda", ">= 0", p->lambda);
    if (!(p->alpha >= 0 && isfinite(p->alpha))) return gb_bad(msg, len, "alpha", ">= 0", p->alpha);
    if (!(p->gamma >= 0 && isfinite(p->gamma))) return gb_bad(msg, len, "gamma", ">= 0", p->gamma);
    if (!(p->subsample > 0 && p->subsample <= 1))
        return gb_bad(msg, len, "subsample", "in (0, 1]", p->subsample);
    if (!(p->colsample_bytree > 0 && p->colsample_bytree <= 1))
        return gb_bad(msg, len, "colsample_bytree", "in (0, 1]", p->colsample_bytree);
    if (!(p->scale_pos_weight > 0 && isfinite(p->scale_pos_weight)))
        return gb_bad(msg, len, "scale_pos_weight", "> 0", p->scale_pos_weight);
    if (p->max_bin < 2 || p->max_bin > 256)
        return gb_bad(msg, len, "max_bin", "in 2..256", p->max_bin);
    if (p->early_stopping_rounds < 0)
        return gb_bad(msg, len, "early_stopping_rounds", ">= 0", p->early_stopping_rounds);
    /* margins start from logit((float)base_score): in (0, 1) as a float too (1e-300 is 0) */
    if (!isnan(p->base_score) && !(p->base_score > 0 && p->base_score < 1 &&
                                   (float)p->base_score > 0 && (float)p->base_score < 1))
        return gb_bad(msg, len, "base_score", "in (0, 1) or NaN (from data)", p->base_score);
    if (p->max_cat_to_onehot < 1)
        return gb_bad(msg, len, "max_cat_to_onehot", ">= 1", p->max_cat_to_onehot);
    if (p->threads < 1 || p->threads > 64)
        return gb_bad(msg, len, "threads", "in 1..64", p->threads);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 */
/* Random numbers (xoshiro256**, seeded through splitmix64) */

typedef struct {
    uint64_t s[4];
} gb_rng;

static uint64_t gb_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void gb_rng_seed(gb_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = gb_splitmix(&seed);
}

static inline uint64_t gb_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t gb_rng_next(gb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = gb_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gb_rotl(s[3], 45);
    return res;
}

static double gb_rng_unif(gb_rng *r)
{
    return (double)(gb_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ------------------------------------------------------------------------------------------
 */
/* Worker pool. Task i always computes the same thing whichever thread runs it, so results depend on
 * the task decomposition (the region count) only, never on scheduling. */

typedef void (*gb_task_fn)(void *ctx, int task);

typedef struct gb_pool gb_pool;
typedef struct {
    gb_pool *pool;
    int id;
} gb_worker;

struct gb_pool {
    int nthreads; /* including the calling thread */
    pthread_t tid[64];
    gb_worker w[64];
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen;
    int busy, quit;
    gb_task_fn fn;
    void *ctx;
    int ntasks;
};

static void gb_pool_part(gb_pool *p, int id)
{
    for (int t = id; t < p->ntasks; t += p->nthreads) p->fn(p->ctx, t);
}

static void *gb_pool_main(void *arg)
{
    gb_worker *w = arg;
    gb_pool *p = w->pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->quit) pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        gb_pool_part(p, w->id);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void gb_pool_init(gb_pool *p, int nthreads)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    p->nthreads = 1;
    if (nthreads > 64) nthreads = 64;
    for (int t = 1; t < nthreads; t++) {
        p->w[t].pool = p;
        p->w[t].id = t;
        if (pthread_create(&p->tid[t], NULL, gb_pool_main, &p->w[t]) != 0) break;
        p->nthreads = t + 1;
    }
}

static void gb_pool_run(gb_pool *p, gb_task_fn fn, void *ctx, int ntasks)
{
    if (p->nthreads <= 1 || ntasks <= 1) {
        for (int t = 0; t < ntasks; t++) fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    p->busy = p->nthreads - 1;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    gb_pool_part(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void gb_pool_destroy(gb_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int t = 1; t < p->nthreads; t++) pthread_join(p->tid[t], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
}

/* ------------------------------------------------------------------------------------------
 */
/* Metrics for progress reports: log loss and ROC AUC (radix sort, exact tie handling). */

typedef struct {
    uint64_t key;
    uint64_t pos; /* 1 = positive */
} gb_keyed;

static uint64_t gb_key(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : (u | ((uint64_t)1 << 63));
}

/* AUC of scores s (any monotone transform of p) against labels; tmp holds 2n gb_keyed. */
static double gb_auc(const double *s, const uint8_t *lab, const uint32_t *sel, size_t n,
                     gb_keyed *tmp)
{
    gb_keyed *a = tmp, *b = tmp + n;
    double np = 0, nn = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = sel ? sel[i] : i;
        a[i].key = gb_key(s[r]);
        a[i].pos = lab[r];
        np += lab[r];
    }
    nn = (double)n - np;
    if (np == 0 || nn == 0) return NAN;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t cnt[257] = {0};
        for (size_t i = 0; i < n; i++) cnt[((a[i].key >> shift) & 255) + 1]++;
        if (cnt[((a[0].key >> shift) & 255) + 1] == n) continue;
        for (int d = 0; d < 256; d++) cnt[d + 1] += cnt[d];
        for (size_t i = 0; i < n; i++) b[cnt[(a[i].key >> shift) & 255]++] = a[i];
        gb_keyed *t = a;
        a = b;
        b = t;
    }
    double auc = 0, neg_below = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double gp = 0, gn = 0;
        while (j < n && a[j].key == a[i].key) {
            if (a[j].pos)
                gp++;
            else
                gn++;
            j++;
        }
        auc += gp * (neg_below + 0.5 * gn);
        neg_below += gn;
        i = j;
    }
    return auc / (np * nn);
}

static double gb_logloss_term(double m, int y)
{
    double p = gb_sigmoid(m);
    if (p < 1e-15) p = 1e-15;
    if (p > 1 - 1e-15) p = 1 - 1e-15;
    return y ? -log(p) : -log(1 - p);
}

/* ------------------------------------------------------------------------------------------
 */
/* Training */

/* Histogram entry: sums of gradients and hessians (double, as XGBoost's hist).
 */
typedef struct {
    double g, h;
} gb_gh;

/* Per-row gradient pair (float, as XGBoost's GradientPair). */
typedef struct {
    float g, h;
} gb_gpair;

typedef struct {
    double gain;
    int feature; /* -1: no split found */
    int is_cat;
    int bin;         /* numeric: rows with local code <= bin go left */
    int dl;          /* missing values go left */
    uint64_t set[4]; /* categorical: categories going right */
    double gl, hl, gr, hr;
} gb_split;

enum { GB_ACT_LEAF, GB_ACT_FINAL, GB_ACT_PART };

typedef struct {
    int32_t tn; /* node index in the tree being grown */
    int depth;
    int action;
    int small_left; /* the left child is the one whose histogram is built */
    double g, h;
    size_t cnt;
    float leaf, vl, vr; /* leaf value; FINAL: both children's values */
    int child;          /* PART: index of the left child in the next frontier */
    gb_gh *hist;
    gb_split best;
    uint32_t seg[128]; /* [begin, end) per region in the current index buffer */
} gb_node;

typedef struct {
    const ll_gbdt_params *p;
    /* XGBoost keeps these parameters as float: use the float values so splits agree */
    double lambda, alpha, mcw;
    float gamma, eta;
    size_t n;
    int F, R;
    /* data, row-major histogram slots: off[f] + local code, the local code being the numeric bin
     * (possibly coarsened) or the category, missing = nb[f]; histograms hold nb[f] + 1 entries per
     * feature at off[f] */
    uint16_t *rows;
    uint8_t *rows8; /* wide data (histograms past 65535 slots): local codes instead */
    int *nb;
    uint8_t *is_cat;
    uint8_t (*to_plan)[256];
    uint32_t *off;
    size_t TB;
    uint8_t *lab;
    float wpos;
    double *margin;
    gb_gpair *gp;
    size_t rb[65];
    uint32_t *idx[2];
    int cur;
    uint8_t *sampled; /* NULL when subsample == 1 */
    int *act, nact;
    /* tree being grown */
    ll_tree *tree;
    uint8_t (*lut)[256];  /* per tree node: 1 when a local code goes left */
    uint8_t (*plut)[256]; /* the same by plan bin (partitions read the plan's columns) */
    uint8_t *const *cols; /* the plan's column-major bins */
    int16_t (*conv)[256]; /* plan bin -> local code (-1: out of range) */
    int32_t lut_cap;
    /* histogram buffers */
    gb_gh **pool, **all;
    int npool, nall, capall;
    gb_gh *part[64 * GB_BATCH]; /* [region * GB_BATCH + j] */
    double rootg[64], rooth[64];
    /* level work */
    gb_node *fr, *nx;
    int nfr, nnx, capnode;
    int *batch, nbatch; /* frontier indexes of PART nodes in the current batch */
    /* valid set */
    const ll_binned *valid;
    float *vmargin;
    int oom;
} gb_fit;

/* Histogram buffers come from a free list; every buffer ever allocated is also listed in c->all so
 * that any exit path frees them all. */
static gb_gh *gb_hist_get(gb_fit *c)
{
    if (c->npool > 0) return c->pool[--c->npool];
    if (c->nall == c->capall) {
        int cap = c->capall ? 2 * c->capall : 64;
        gb_gh **na = realloc(c->all, (size_t)cap * sizeof *na);
        gb_gh **np = realloc(c->pool, (size_t)cap * sizeof *np);
        if (na) c->all = na;
        if (np) c->pool = np;
        if (!na || !np) {
            c->oom = 1;
            return NULL;
        }
        c->capall = cap;
    }
    gb_gh *h = malloc(c->TB * sizeof *h);
    if (!h) {
        c->oom = 1;
        return NULL;
    }
    c->all[c->nall++] = h;
    return h;
}

static void gb_hist_put(gb_fit *c, gb_gh *h)
{
    if (h) c->pool[c->npool++] = h; /* the pool is as large as the list of all buffers */
}

static inline double gb_l1(double g, double alpha)
{
    return g > alpha ? g - alpha : (g < -alpha ? g + alpha : 0.0);
}

/* Loss reduction contributed by a child: XGBoost's CalcGainGivenWeight (no constraints), computed
 * in double from double sums and returned as float like XGBoost, whose split choice then follows
 * from float sums of these terms. */
static inline float gb_gain(const gb_fit *c, double g, double h)
{
    if (h <= 0) return 0.0f;
    double t = gb_l1(g, c->alpha);
    return (float)(t * t / (h + c->lambda));
}

/* XGBoost's CalcWeight: the unscaled leaf weight, as float. */
static inline float gb_weight(const gb_fit *c, double g, double h)
{
    if (h < c->mcw || h <= 0) return 0.0f;
    return (float)(-gb_l1(g, c->alpha) / (h + c->lambda));
}

/* Loss change of a split, in XGBoost's float arithmetic. */
static inline float gb_split_gain(const gb_fit *c, double gl, double hl, double gr, double hr,
                                  float root)
{
    float sum = gb_gain(c, gl, hl) + gb_gain(c, gr, hr);
    return sum - root;
}

static inline int gb_better(const gb_split *b, float gain)
{
    return gain > (float)b->gain && !isinf(gain);
}

static void gb_take(gb_split *b, float gain, int f, int is_cat, int bin, int dl, double gl,
                    double hl, double gr, double hr)
{
    b->gain = gain;
    b->feature = f;
    b->is_cat = is_cat;
    b->bin = bin;
    b->dl = dl;
    b->gl = gl;
    b->hl = hl;
    b->gr = gr;
    b->hr = hr;
    memset(b->set, 0, sizeof b->set);
}

/* Best split of a node over the active features, enumerated as XGBoost's hist evaluator: numeric
 * bins forward (missing right) and, when the node has missing values, backward (missing left);
 * categorical one-vs-rest below max_cat_to_onehot categories, else the partition scan over
 * categories sorted by weight in both directions. Loss changes are XGBoost's: sum of the children's
 * G^2/(H+lambda) minus the parent's (no 1/2 factor). */
static void gb_eval(const gb_fit *c, gb_node *nd)
{
    const double G = nd->g, H = nd->h, mcw = c->mcw;
    const float root = gb_gain(c, G, H);
    gb_split best;
    memset(&best, 0, sizeof best);
    best.feature = -1;
    for (int j = 0; j < c->nact; j++) {
        const int f = c->act[j], nb = c->nb[f];
        const gb_gh *h = nd->hist + c->off[f];
        if (nb < 1) continue;
        if (!c->is_cat[f]) {
            /* the last forward candidate (every bin left, only missing values right) is the
             * missing-versus-present split */
            double gl = 0, hl = 0;
            for (int k = 0; k < nb; k++) {
                gl += h[k].g;
                hl += h[k].h;
                double gr = G - gl, hr = H - hl;
                if (hl >= mcw && hr >= mcw) {
                    float gain = gb_split_gain(c, gl, hl, gr, hr, root);
                    if (gb_better(&best, gain)) gb_take(&best, gain, f, 0, k, 0, gl, hl, gr, hr);
                }
            }
            /* subtraction leaves rounding noise in an empty missing bin: ignore it */
            if (!(h[nb].h > 1e-9 * H)) continue;
            double gr = 0, hr = 0;
            for (int k = nb - 1; k >= 1; k--) {
                gr += h[k].g;
                hr += h[k].h;
                double gl2 = G - gr, hl2 = H - hr;
                if (hl2 >= mcw && hr >= mcw) {
                    float gain = gb_split_gain(c, gl2, hl2, gr, hr, root);
                    if (gb_better(&best, gain))
                        gb_take(&best, gain, f, 0, k - 1, 1, gl2, hl2, gr, hr);
                }
            }
        } else if (nb < c->p->max_cat_to_onehot) {
            const double mg = h[nb].g, mh = h[nb].h;
            for (int k = 0; k < nb; k++) {
                for (int miss_right = 0; miss_right < 2; miss_right++) {
                    double gr = h[k].g + (miss_right ? mg : 0), hr = h[k].h + (miss_right ? mh : 0);
                    double gl = G - gr, hl = H - hr;
                    if (!(hl >= mcw && hr >= mcw)) continue;
                    float gain = gb_split_gain(c, gl, hl, gr, hr, root);
                    if (gb_better(&best, gain)) {
                        gb_take(&best, gain, f, 1, 0, !miss_right, gl, hl, gr, hr);
                        gb_bit_set(best.set, k);
                    }
                }
            }
        } else {
            int ord[256];
            float w[256];
            for (int k = 0; k < nb; k++) {
                ord[k] = k;
                w[k] = gb_weight(c, h[k].g, h[k].h);
            }
            for (int k = 1; k < nb; k++) { /* stable insertion sort by weight */
                int o = ord[k], i = k;
                while (i > 0 && w[ord[i - 1]] > w[o]) {
                    ord[i] = ord[i - 1];
                    i--;
                }
                ord[i] = o;
            }
            int nsel = nb < GB_MAX_CAT_THRESHOLD ? nb : GB_MAX_CAT_THRESHOLD;
            double gr = 0, hr = 0;
            for (int i = 0; i < nsel - 1; i++) { /* prefix goes right, missing left */
                gr += h[ord[i]].g;
                hr += h[ord[i]].h;
                double gl = G - gr, hl = H - hr;
                if (!(hl >= mcw && hr >= mcw)) continue;
                float gain = gb_split_gain(c, gl, hl, gr, hr, root);
                if (gb_better(&best, gain)) {
                    gb_take(&best, gain, f, 1, 0, 1, gl, hl, gr, hr);
                    for (int q = 0; q <= i; q++) gb_bit_set(best.set, ord[q]);
                }
            }
            double gl = 0, hl = 0;
            for (int i = nb - 1; i >= nb - nsel + 1; i--) { /* suffix goes left, missing right */
                gl += h[ord[i]].g;
                hl += h[ord[i]].h;
                double gr2 = G - gl, hr2 = H - hl;
                if (!(hl >= mcw && hr2 >= mcw)) continue;
                float gain = gb_split_gain(c, gl, hl, gr2, hr2, root);
                if (gb_better(&best, gain)) {
                    gb_take(&best, gain, f, 1, 0, 0, gl, hl, gr2, hr2);
                    for (int q = 0; q < i; q++) gb_bit_set(best.set, ord[q]);
                }
            }
        }
    }
    nd->best = best;
}

/* gb_hist_rows for wide data: local codes plus per-feature offsets. */
static void gb_hist_rows8(const gb_fit *c, gb_gh *hist, const uint32_t *idx, size_t b, size_t e)
{
    const size_t F = (size_t)c->F;
    const uint8_t *rows = c->rows8;
    const gb_gpair *gp = c->gp;
    const int *act = c->act, nact = c->nact;
    for (size_t i = b; i < e; i++) {
        uint32_t r = idx[i];
        if (i + 16 < e) {
            __builtin_prefetch(rows + (size_t)idx[i + 16] * F);
            __builtin_prefetch(gp + idx[i + 16]);
        }
        const uint8_t *rr = rows + (size_t)r * F;
        const double g = gp[r].g, h = gp[r].h;
        for (int j = 0; j < nact; j++) {
            gb_gh *x = hist + c->off[act[j]] + rr[act[j]];
            x->g += g;
            x->h += h;
        }
    }
}

/* Add the gradient pairs of rows idx[b..e) to hist (active features only). */
static void gb_hist_rows(const gb_fit *c, gb_gh *hist, const uint32_t *idx, size_t b, size_t e)
{
    const size_t F = (size_t)c->F;
    const uint16_t *rows = c->rows;
    const gb_gpair *gp = c->gp;
    if (!rows) {
        gb_hist_rows8(c, hist, idx, b, e);
        return;
    }
    if (c->nact == c->F) {
        for (size_t i = b; i < e; i++) {
            uint32_t r = idx[i];
            if (i + 16 < e) {
                __builtin_prefetch(rows + (size_t)idx[i + 16] * F);
                __builtin_prefetch(gp + idx[i + 16]);
            }
            const uint16_t *rr = rows + (size_t)r * F;
            const double g = gp[r].g, h = gp[r].h;
            size_t f = 0;
            for (; f + 4 <= F; f += 4) {
                gb_gh *x0 = hist + rr[f], *x1 = hist + rr[f + 1], *x2 = hist + rr[f + 2],
                      *x3 = hist + rr[f + 3];
                x0->g += g;
                x0->h += h;
                x1->g += g;
                x1->h += h;
                x2->g += g;
                x2->h += h;
                x3->g += g;
                x3->h += h;
            }
            for (; f < F; f++) {
                gb_gh *x = hist + rr[f];
                x->g += g;
                x->h += h;
            }
        }
    } else {
        const int *act = c->act, nact = c->nact;
        for (size_t i = b; i < e; i++) {
            uint32_t r = idx[i];
            if (i + 16 < e) {
                __builtin_prefetch(rows + (size_t)idx[i + 16] * F);
                __builtin_prefetch(gp + idx[i + 16]);
            }
            const uint16_t *rr = rows + (size_t)r * F;
            const double g = gp[r].g, h = gp[r].h;
            for (int j = 0; j < nact; j++) {
                gb_gh *x = hist + rr[act[j]];
                x->g += g;
                x->h += h;
            }
        }
    }
}

/* Region task at the root: gradients of the region's (sampled) rows, its index list and its partial
 * root histogram. */
static void gb_task_root(void *ctx, int t)
{
    gb_fit *c = ctx;
    gb_node *root = &c->fr[0];
    uint32_t *idx = c->idx[c->cur];
    size_t pos = c->rb[t];
    double sg = 0, sh = 0;
    for (size_t r = c->rb[t]; r < c->rb[t + 1]; r++) {
        if (c->sampled && !c->sampled[r]) continue;
        float p = 1.0f / (1.0f + expf(-(float)c->margin[r]));
        float y = (float)c->lab[r], w = c->lab[r] ? c->wpos : 1.0f;
        float h = p * (1.0f - p);
        if (h < 1e-16f) h = 1e-16f;
        c->gp[r].g = (p - y) * w;
        c->gp[r].h = h * w;
        sg += c->gp[r].g;
        sh += c->gp[r].h;
        idx[pos++] = (uint32_t)r;
    }
    root->seg[2 * t] = (uint32_t)c->rb[t];
    root->seg[2 * t + 1] = (uint32_t)pos;
    c->rootg[t] = sg;
    c->rooth[t] = sh;
    gb_gh *hist = c->part[t * GB_BATCH];
    memset(hist, 0, c->TB * sizeof *hist);
    gb_hist_rows(c, hist, idx, c->rb[t], pos);
}

/* Region task of a level: margins of rows reaching leaves, partition of split nodes' rows into the
 * other index buffer (left children forward, right children backward). */
static void gb_task_level(void *ctx, int t)
{
    gb_fit *c = ctx;
    const uint32_t *src = c->idx[c->cur];
    uint32_t *dst = c->idx[1 - c->cur];
    for (int k = 0; k < c->nfr; k++) {
        gb_node *nd = &c->fr[k];
        size_t b = nd->seg[2 * t], e = nd->seg[2 * t + 1];
        if (nd->action == GB_ACT_LEAF) {
            double v = (double)nd->leaf;
            for (size_t i = b; i < e; i++) c->margin[src[i]] += v;
            continue;
        }
        const uint8_t *lut = c->plut[nd->tn];
        const uint8_t *col = c->cols[c->tree->nodes[nd->tn].feature];
        if (nd->action == GB_ACT_FINAL) {
            const double v[2] = {(double)nd->vr, (double)nd->vl};
            for (size_t i = b; i < e; i++) {
                uint32_t r = src[i];
                c->margin[r] += v[lut[col[r]]];
            }
            continue;
        }
        size_t lo = b, hi = e;
        for (size_t i = b; i < e; i++) {
            uint32_t r = src[i];
            int go = lut[col[r]];
            dst[lo] = r;
            dst[hi - 1] = r;
            lo += (size_t)go;
            hi -= (size_t)!go;
        }
        gb_node *l = &c->nx[nd->child], *rt = &c->nx[nd->child + 1];
        l->seg[2 * t] = (uint32_t)b;
        l->seg[2 * t + 1] = (uint32_t)lo;
        rt->seg[2 * t] = (uint32_t)lo;
        rt->seg[2 * t + 1] = (uint32_t)e;
    }
}

/* Region task: partial histograms of the smaller children of the batch. */
static void gb_task_build(void *ctx, int t)
{
    gb_fit *c = ctx;
    for (int j = 0; j < c->nbatch; j++) {
        const gb_node *par = &c->fr[c->batch[j]];
        const gb_node *ch = &c->nx[par->child + (par->small_left ? 0 : 1)];
        gb_gh *hist = c->part[t * GB_BATCH + j];
        memset(hist, 0, c->TB * sizeof *hist);
        gb_hist_rows(c, hist, c->idx[c->cur], ch->seg[2 * t], ch->seg[2 * t + 1]);
    }
}

/* Node task: reduce the partials of one smaller child (in region order), derive its sibling by
 * subtraction from the parent, and find both children's best splits. */
static void gb_task_finish(void *ctx, int j)
{
    gb_fit *c = ctx;
    gb_node *par = &c->fr[c->batch[j]];
    gb_node *small = &c->nx[par->child + (par->small_left ? 0 : 1)];
    gb_node *large = &c->nx[par->child + (par->small_left ? 1 : 0)];
    gb_gh *s = c->part[j];
    for (int t = 1; t < c->R; t++) {
        const gb_gh *q = c->part[t * GB_BATCH + j];
        for (size_t i = 0; i < c->TB; i++) {
            s[i].g += q[i].g;
            s[i].h += q[i].h;
        }
    }
    gb_gh *l = par->hist;
    for (size_t i = 0; i < c->TB; i++) {
        l[i].g -= s[i].g;
        l[i].h -= s[i].h;
    }
    small->hist = s;
    large->hist = l;
    gb_eval(c, small);
    gb_eval(c, large);
}

/* Region task after a tree: margins of the rows left out by subsampling (tree walk). */
static void gb_task_unsampled(void *ctx, int t)
{
    gb_fit *c = ctx;
    const size_t F = (size_t)c->F;
    for (size_t r = c->rb[t]; r < c->rb[t + 1]; r++) {
        if (c->sampled[r]) continue;
        int32_t i = 0;
        const ll_tree_node *nodes = c->tree->nodes;
        while (nodes[i].left >= 0)
            i = c->lut[i][c->rows
                              ? c->rows[r * F + (size_t)nodes[i].feature] - c->off[nodes[i].feature]
                              : c->rows8[r * F + (size_t)nodes[i].feature]]
                    ? nodes[i].left
                    : nodes[i].right;
        c->margin[r] += (double)(float)nodes[i].value;
    }
}

/* Region task after a tree: validation margins. */
static void gb_task_valid(void *ctx, int t)
{
    gb_fit *c = ctx;
    size_t n = c->valid->n, b = n * (size_t)t / (size_t)c->R,
           e = n * (size_t)(t + 1) / (size_t)c->R;
    for (size_t r = b; r < e; r++) {
        int32_t i = ll_tree_leaf_binned(c->tree, c->valid, r);
        c->vmargin[r] += (float)c->tree->nodes[i].value;
    }
}

static int gb_grow_nodes(gb_fit *c, int need)
{
    if (need <= c->capnode) return 0;
    int cap = c->capnode ? c->capnode : 16;
    while (cap < need) cap *= 2;
    gb_node *a = realloc(c->fr, (size_t)cap * sizeof *a);
    if (!a) return -1;
    c->fr = a;
    gb_node *b = realloc(c->nx, (size_t)cap * sizeof *b);
    if (!b) return -1;
    c->nx = b;
    c->capnode = cap;
    return 0;
}

static int32_t gb_push_node(gb_fit *c)
{
    ll_tree_node z;
    memset(&z, 0, sizeof z);
    z.left = z.right = -1;
    z.feature = -1;
    int32_t i = ll_tree_push(c->tree, &z);
    if (i < 0) return -1;
    if (i >= c->lut_cap) {
        int32_t cap = c->lut_cap ? 2 * c->lut_cap : 64;
        while (cap <= i) cap *= 2;
        uint8_t(*l)[256] = realloc(c->lut, (size_t)cap * sizeof *l);
        if (!l) return -1;
        c->lut = l;
        l = realloc(c->plut, (size_t)cap * sizeof *l);
        if (!l) return -1;
        c->plut = l;
        c->lut_cap = cap;
    }
    return i;
}

static void gb_make_leaf(gb_fit *c, gb_node *nd)
{
    ll_tree_node *tn = &c->tree->nodes[nd->tn];
    nd->leaf = gb_weight(c, nd->g, nd->h) * c->eta;
    tn->left = tn->right = -1;
    tn->feature = -1;
    tn->value = (double)nd->leaf;
    tn->cover = nd->h;
    tn->gain = 0;
}

/* Turn node nd into a split with two new (leaf-initialised) children; returns -1 on ENOMEM. */
static int gb_make_split(gb_fit *c, gb_node *nd, const ll_binned *train)
{
    gb_split *s = &nd->best;
    const int f = s->feature, nb = c->nb[f];
    if (s->is_cat && !s->dl) {
        /* keep missing values on the left: XGBoost sends categories beyond a node's bitset the
         * default way, and only "default left" makes that agree with "not in the set" */
        uint64_t comp[4] = {0, 0, 0, 0};
        for (int k = 0; k < nb; k++)
            if (!gb_bit_get(s->set, k)) gb_bit_set(comp, k);
        memcpy(s->set, comp, sizeof comp);
        double tg = s->gl, th = s->hl;
        s->gl = s->gr;
        s->hl = s->hr;
        s->gr = tg;
        s->hr = th;
        s->dl = 1;
    }
    int32_t l = gb_push_node(c);
    int32_t r = l >= 0 ? gb_push_node(c) : -1;
    if (r < 0) return -1;
    ll_tree_node *tn = &c->tree->nodes[nd->tn];
    tn->left = l;
    tn->right = r;
    tn->feature = f;
    tn->default_left = (uint8_t)s->dl;
    tn->is_cat = (uint8_t)s->is_cat;
    tn->gain = s->gain;
    tn->cover = nd->h;
    tn->value = (double)gb_weight(c, nd->g, nd->h);
    uint8_t *lut = c->lut[nd->tn];
    memset(lut, s->dl, 256);
    if (s->is_cat) {
        memcpy(tn->cat_set, s->set, sizeof tn->cat_set);
        for (int k = 0; k < nb; k++) lut[k] = (uint8_t)!gb_bit_get(s->set, k);
    } else {
        int pb = c->to_plan ? c->to_plan[f][s->bin] : s->bin;
        tn->split_bin = (uint8_t)pb;
        /* "every present value left": above any value a float can hold but infinity
         */
        tn->threshold = pb >= train->nbins[f] - 1 ? (double)FLT_MAX : train->cuts[f][pb];
        for (int k = 0; k < nb; k++) lut[k] = (uint8_t)(k <= s->bin);
    }
    lut[nb] = (uint8_t)s->dl;
    uint8_t *plut = c->plut[nd->tn];
    for (int b = 0; b < 256; b++) plut[b] = c->conv[f][b] < 0 ? 1 : lut[c->conv[f][b]];
    return 0;
}

/* Grow one tree on the current gradients; margins of the training rows are updated. */
static ll_status gb_grow(gb_fit *c, gb_pool *pool, const ll_binned *train)
{
    const ll_gbdt_params *p = c->p;
    c->cur = 0;
    c->nfr = 1;
    gb_node *root = &c->fr[0];
    memset(root, 0, offsetof(gb_node, seg));
    root->tn = gb_push_node(c);
    if (root->tn < 0) return LL_ENOMEM;
    for (int t = 0; t < c->R; t++)
        if (!c->part[t * GB_BATCH] && !(c->part[t * GB_BATCH] = gb_hist_get(c))) return LL_ENOMEM;
    gb_pool_run(pool, gb_task_root, c, c->R);
    root->hist = c->part[0];
    c->part[0] = gb_hist_get(c);
    if (!c->part[0]) return LL_ENOMEM;
    for (int t = 1; t < c->R; t++) {
        const gb_gh *q = c->part[t * GB_BATCH];
        for (size_t i = 0; i < c->TB; i++) {
            root->hist[i].g += q[i].g;
            root->hist[i].h += q[i].h;
        }
    }
    for (int t = 0; t < c->R; t++) {
        root->g += c->rootg[t];
        root->h += c->rooth[t];
    }
    gb_eval(c, root);
    while (c->nfr > 0) {
        int npart = 0;
        for (int k = 0; k < c->nfr; k++) {
            gb_node *nd = &c->fr[k];
            const gb_split *s = &nd->best;
            int ok = s->feature >= 0 && (float)s->gain > (float)GB_RT_EPS &&
                     (float)s->gain >= c->gamma && s->hl > 0 && s->hr > 0 &&
                     nd->depth < p->max_depth;
            if (!ok) {
                nd->action = GB_ACT_LEAF;
                gb_make_leaf(c, nd);
                gb_hist_put(c, nd->hist);
                nd->hist = NULL;
                continue;
            }
            if (gb_make_split(c, nd, train) < 0) return LL_ENOMEM;
            gb_node kids[2];
            for (int side = 0; side < 2; side++) {
                gb_node *ch = &kids[side];
                memset(ch, 0, offsetof(gb_node, seg));
                ch->tn = side ? c->tree->nodes[nd->tn].right : c->tree->nodes[nd->tn].left;
                ch->depth = nd->depth + 1;
                ch->g = side ? s->gr : s->gl;
                ch->h = side ? s->hr : s->hl;
            }
            if (nd->depth + 1 >= p->max_depth) {
                nd->action = GB_ACT_FINAL;
                gb_make_leaf(c, &kids[0]);
                gb_make_leaf(c, &kids[1]);
                nd->vl = kids[0].leaf;
                nd->vr = kids[1].leaf;
                gb_hist_put(c, nd->hist);
                nd->hist = NULL;
                continue;
            }
            nd->action = GB_ACT_PART;
            if (gb_grow_nodes(c, 2 * (npart + 1)) < 0) return LL_ENOMEM;
            nd = &c->fr[k];
            nd->child = 2 * npart;
            memcpy(&c->nx[2 * npart], &kids[0], offsetof(gb_node, seg));
            memcpy(&c->nx[2 * npart + 1], &kids[1], offsetof(gb_node, seg));
            npart++;
        }
        gb_pool_run(pool, gb_task_level, c, c->R);
        if (npart == 0) break;
        c->cur = 1 - c->cur;
        c->nnx = 2 * npart;
        for (int k = 0; k < c->nnx; k++) {
            gb_node *ch = &c->nx[k];
            ch->cnt = 0;
            for (int t = 0; t < c->R; t++) ch->cnt += ch->seg[2 * t + 1] - ch->seg[2 * t];
        }
        /* children histograms, in batches of PART nodes */
        int k = 0;
        while (k < c->nfr) {
            c->nbatch = 0;
            for (; k < c->nfr && c->nbatch < GB_BATCH; k++) {
                gb_node *nd = &c->fr[k];
                if (nd->action != GB_ACT_PART) continue;
                nd->small_left = c->nx[nd->child].cnt <= c->nx[nd->child + 1].cnt;
                c->batch[c->nbatch++] = k;
            }
            if (c->nbatch == 0) break;
            for (int j = 0; j < c->nbatch; j++)
                for (int t = 0; t < c->R; t++)
                    if (!c->part[t * GB_BATCH + j]) {
                        c->part[t * GB_BATCH + j] = gb_hist_get(c);
                        if (!c->part[t * GB_BATCH + j]) return LL_ENOMEM;
                    }
            gb_pool_run(pool, gb_task_build, c, c->R);
            gb_pool_run(pool, gb_task_finish, c, c->nbatch);
            for (int j = 0; j < c->nbatch; j++) {
                c->fr[c->batch[j]].hist = NULL; /* now the larger child's */
                c->part[j] = NULL;              /* now the smaller child's */
            }
        }
        gb_node *tmp = c->fr;
        c->fr = c->nx;
        c->nx = tmp;
        c->nfr = c->nnx;
        c->nnx = 0;
    }
    c->nfr = 0;
    if (c->sampled) gb_pool_run(pool, gb_task_unsampled, c, c->R);
    return LL_OK;
}

typedef struct {
    gb_fit *c;
    const ll_binned *train;
    int16_t (*conv)[256];
    int bad; /* set by a task that met an out-of-range bin */
    size_t bad_row;
    int bad_feat;
} gb_conv_job;

/* Region task: row-major local codes of the region's rows. */
static void gb_task_convert(void *ctx, int t)
{
    gb_conv_job *j = ctx;
    gb_fit *c = j->c;
    const size_t F = (size_t)c->F;
    for (size_t r0 = c->rb[t]; r0 < c->rb[t + 1]; r0 += 4096) {
        size_t r1 = r0 + 4096 < c->rb[t + 1] ? r0 + 4096 : c->rb[t + 1];
        for (size_t f = 0; f < F; f++) {
            const uint8_t *col = j->train->bins[f];
            const int16_t *cv = j->conv[f];
            for (size_t r = r0; r < r1; r++) {
                int v = cv[col[r]];
                if (v < 0) {
                    j->bad = 1;
                    j->bad_row = r;
                    j->bad_feat = (int)f;
                    v = 0;
                }
                if (c->rows)
                    c->rows[r * F + f] = (uint16_t)(c->off[f] + (uint32_t)v);
                else
                    c->rows8[r * F + f] = (uint8_t)v;
            }
        }
    }
}

static void gb_fit_free(gb_fit *c)
{
    free(c->rows);
    free(c->rows8);
    free(c->nb);
    free(c->is_cat);
    free(c->to_plan);
    free(c->off);
    free(c->lab);
    free(c->margin);
    free(c->gp);
    free(c->idx[0]);
    free(c->idx[1]);
    free(c->sampled);
    free(c->act);
    free(c->lut);
    free(c->plut);
    free(c->conv);
    for (int i = 0; i < c->nall; i++) free(c->all[i]);
    free(c->all);
    free(c->pool);
    free(c->fr);
    free(c->nx);
    free(c->batch);
    free(c->vmargin);
}

static void gb_trees_free(ll_tree *trees, int n)
{
    if (!trees) return;
    for (int i = 0; i < n; i++) ll_tree_free(&trees[i]);
    free(trees);
}

/* Set up the local codes, histogram layout and buffers. */
static ll_status gb_fit_setup(gb_fit *c, const ll_binned *train, const double *y, ll_error *err)
{
    const ll_gbdt_params *p = c->p;
    const int F = train->nfeat;
    const size_t n = train->n;
    c->F = F;
    c->n = n;
    c->R = p->threads;
    c->lambda = (double)(float)p->lambda;
    c->alpha = (double)(float)p->alpha;
    c->mcw = (double)(float)p->min_child_weight;
    c->gamma = (float)p->gamma;
    c->eta = (float)p->eta;
    for (int t = 0; t <= c->R; t++) c->rb[t] = n * (size_t)t / (size_t)c->R;
    c->nb = calloc((size_t)F, sizeof *c->nb);
    c->is_cat = calloc((size_t)F, 1);
    c->off = calloc((size_t)F, sizeof *c->off);
    c->act = malloc((size_t)F * sizeof *c->act);
    int16_t(*conv)[256] = malloc((size_t)F * sizeof *conv);
    if (!c->nb || !c->is_cat || !c->off || !c->act || !conv) {
        free(conv);
        return ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
    }
    const int limit = p->max_bin < 255 ? p->max_bin : 255;
    size_t tb = 0;
    for (int f = 0; f < F; f++) {
        int nbins = train->nbins[f];
        c->is_cat[f] = train->is_cat && train->is_cat[f];
        if (nbins < 0 || nbins > 255) {
            free(conv);
            return ll_error_set(err, LL_EINVAL, "gbdt: feature %d has %d bins (at most 255)", f,
                                nbins);
        }
        if (!c->is_cat[f] && nbins > 1 && (!train->cuts || !train->cuts[f])) {
            free(conv);
            return ll_error_set(err, LL_EINVAL, "gbdt: numeric feature %d has no cut values", f);
        }
        for (int b = 0; b < 256; b++) conv[f][b] = -1;
        if (!c->is_cat[f] && nbins > limit) {
            /* coarsen to max_bin bins: merge runs of adjacent plan bins */
            if (!c->to_plan) {
                c->to_plan = calloc((size_t)F, sizeof *c->to_plan);
                if (!c->to_plan) {
                    free(conv);
                    return ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
                }
            }
            for (int b = 0; b < nbins; b++) {
                int k = (int)((long)b * limit / nbins);
                conv[f][b] = (int16_t)k;
                c->to_plan[f][k] = (uint8_t)b; /* last plan bin of local bin k */
            }
            c->nb[f] = limit;
        } else {
            for (int b = 0; b < nbins; b++) conv[f][b] = (int16_t)b;
            if (c->to_plan)
                for (int b = 0; b < nbins; b++) c->to_plan[f][b] = (uint8_t)b;
            c->nb[f] = nbins;
        }
        conv[f][LL_BIN_MISSING] = (int16_t)c->nb[f];
        c->off[f] = (uint32_t)tb;
        tb += (size_t)c->nb[f] + 1;
        c->act[f] = f;
    }
    /* features handled before the coarsening table existed map identically */
    if (c->to_plan)
        for (int f = 0; f < F; f++)
            if (c->is_cat[f] || train->nbins[f] <= limit)
                for (int b = 0; b < train->nbins[f]; b++) c->to_plan[f][b] = (uint8_t)b;
    c->TB = tb;
    c->nact = F;
    if (tb <= 65535)
        c->rows = malloc(n * (size_t)F * sizeof *c->rows);
    else
        c->rows8 = malloc(n * (size_t)F);
    c->lab = malloc(n);
    c->margin = malloc(n * sizeof *c->margin);
    c->gp = malloc(n * sizeof *c->gp);
    c->idx[0] = malloc(n * sizeof(uint32_t));
    c->idx[1] = malloc(n * sizeof(uint32_t));
    c->batch = malloc(GB_BATCH * sizeof *c->batch);
    if (p->subsample < 1) c->sampled = malloc(n);
    if ((!c->rows && !c->rows8) || !c->lab || !c->margin || !c->gp || !c->idx[0] || !c->idx[1] ||
        !c->batch || (p->subsample < 1 && !c->sampled) || gb_grow_nodes(c, 16) < 0) {
        free(conv);
        return ll_error_set(err, LL_ENOMEM, "gbdt: out of memory (%zu rows)", n);
    }
    for (int t = 0; t < c->R; t++) {
        c->part[t * GB_BATCH] = gb_hist_get(c);
        if (!c->part[t * GB_BATCH]) {
            free(conv);
            return ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
        }
    }
    for (size_t r = 0; r < n; r++) {
        if (y[r] != 0.0 && y[r] != 1.0) {
            free(conv);
            return ll_error_set(err, LL_EINVAL, "gbdt: label of row %zu is not 0 or 1", r + 1);
        }
        c->lab[r] = (uint8_t)(y[r] == 1.0);
    }
    gb_conv_job job = {.c = c, .train = train, .conv = conv};
    gb_pool tmp;
    gb_pool_init(&tmp, c->R);
    gb_pool_run(&tmp, gb_task_convert, &job, c->R);
    gb_pool_destroy(&tmp);
    c->conv = conv;
    c->cols = train->bins;
    if (job.bad)
        return ll_error_set(err, LL_EINVAL,
                            "gbdt: row %zu of feature %d has bin %u (feature has %d)",
                            job.bad_row + 1, job.bad_feat, train->bins[job.bad_feat][job.bad_row],
                            train->nbins[job.bad_feat]);
    c->wpos = (float)p->scale_pos_weight;
    return LL_OK;
}

ll_status ll_gbdt_fit(const ll_binned *train, const double *y, const ll_binned *valid,
                      const double *yvalid, const ll_gbdt_params *p, ll_fit_fn cb, void *ud,
                      const volatile int *cancel, ll_gbdt **out, ll_error *err)
{
    char msg[256];
    if (out) *out = NULL;
    if (!train || !y || !p || !out) return ll_error_set(err, LL_EINVAL, "gbdt: missing argument");
    if (ll_gbdt_params_check(p, msg, sizeof msg) != 0)
        return ll_error_set(err, LL_EINVAL, "gbdt: %s", msg);
    if (train->n == 0 || train->nfeat <= 0)
        return ll_error_set(err, LL_EINVAL, "gbdt: no training rows or no features");
    if (train->n >= UINT32_MAX)
        return ll_error_set(err, LL_EINVAL, "gbdt: too many training rows (%zu)", train->n);
    if (valid && (valid->nfeat != train->nfeat || (valid->n > 0 && !yvalid)))
        return ll_error_set(err, LL_EINVAL,
                            "gbdt: validation data has %d features, training data %d", valid->nfeat,
                            train->nfeat);
    if (valid && valid->n == 0) valid = NULL;
    if (p->early_stopping_rounds > 0 && !valid)
        return ll_error_set(err, LL_EINVAL, "gbdt: early_stopping_rounds needs validation data");

    double t0 = gb_now();
    gb_fit c;
    memset(&c, 0, sizeof c);
    c.p = p;
    ll_status st = gb_fit_setup(&c, train, y, err);
    ll_tree *trees = NULL;
    uint8_t *vlab = NULL;
    uint32_t *ts = NULL;
    gb_keyed *keyed = NULL;
    double *vscore = NULL;
    int ntrees = 0;
    gb_pool pool;
    int pool_up = 0;
    if (st != LL_OK) goto done;

    /* base score: given, or the (weighted) positive rate */
    double bs = p->base_score;
    if (isnan(bs)) {
        double sw = 0, swy = 0;
        for (size_t r = 0; r < c.n; r++) {
            double w = c.lab[r] ? p->scale_pos_weight : 1.0;
            sw += w;
            swy += w * c.lab[r];
        }
        bs = swy / sw;
        if (bs < 1e-6) bs = 1e-6;
        if (bs > 1 - 1e-6) bs = 1 - 1e-6;
    }
    const float base_margin = gb_prob_to_margin(bs);
    for (size_t r = 0; r < c.n; r++) c.margin[r] = (double)base_margin;

    if (valid) {
        c.valid = valid;
        c.vmargin = malloc(valid->n * sizeof *c.vmargin);
        vlab = malloc(valid->n);
        if (!c.vmargin || !vlab) {
            st = ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
            goto done;
        }
        for (size_t r = 0; r < valid->n; r++) {
            if (yvalid[r] != 0.0 && yvalid[r] != 1.0) {
                st = ll_error_set(err, LL_EINVAL, "gbdt: label of validation row %zu is not 0 or 1",
                                  r + 1);
                goto done;
            }
            vlab[r] = (uint8_t)(yvalid[r] == 1.0);
            c.vmargin[r] = base_margin;
        }
    }

    gb_rng rng;
    gb_rng_seed(&rng, p->seed);
    /* fixed seeded subsample for train metrics */
    size_t nts = c.n < GB_TRAIN_METRIC_ROWS ? c.n : GB_TRAIN_METRIC_ROWS;
    size_t nkeyed = nts;
    if (valid && valid->n > nkeyed) nkeyed = valid->n;
    if (cb) {
        ts = malloc(c.n * sizeof *ts);
        keyed = malloc(2 * nkeyed * sizeof *keyed);
        vscore = valid ? malloc(valid->n * sizeof *vscore) : NULL;
        if (!ts || !keyed || (valid && !vscore)) {
            st = ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
            goto done;
        }
        for (size_t i = 0; i < c.n; i++) ts[i] = (uint32_t)i;
        if (nts < c.n) {
            gb_rng mrng;
            gb_rng_seed(&mrng, p->seed ^ 0x6d657472696373ull);
            for (size_t i = 0; i < nts; i++) {
                size_t j = i + (size_t)(gb_rng_next(&mrng) % (c.n - i));
                uint32_t tmp = ts[i];
                ts[i] = ts[j];
                ts[j] = tmp;
            }
            /* ascending order: metrics then walk the margins front to back */
            uint8_t *mark = calloc(c.n, 1);
            if (!mark) {
                st = ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
                goto done;
            }
            for (size_t i = 0; i < nts; i++) mark[ts[i]] = 1;
            size_t k = 0;
            for (size_t r = 0; r < c.n; r++)
                if (mark[r]) ts[k++] = (uint32_t)r;
            free(mark);
        }
    }

    trees = calloc((size_t)p->n_estimators, sizeof *trees);
    if (!trees) {
        st = ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
        goto done;
    }
    gb_pool_init(&pool, c.R);
    pool_up = 1;
    int *perm = c.act; /* reshuffled per tree when sampling columns */
    int best_it = 0;
    double best_loss = INFINITY;
    for (int it = 0; it < p->n_estimators; it++) {
        if (cancel && *cancel) {
            st = ll_error_set(err, LL_ECANCELLED, "gbdt: training cancelled");
            goto done;
        }
        if (c.sampled)
            for (size_t r = 0; r < c.n; r++) c.sampled[r] = gb_rng_unif(&rng) < p->subsample;
        if (p->colsample_bytree < 1) {
            int k = (int)(p->colsample_bytree * c.F);
            if (k < 1) k = 1;
            for (int f = 0; f < c.F; f++) perm[f] = f;
            for (int i = 0; i < k; i++) {
                int j = i + (int)(gb_rng_next(&rng) % (uint64_t)(c.F - i));
                int tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            for (int i = 1; i < k; i++) { /* ascending: ties go to the lower feature */
                int v = perm[i], q = i;
                while (q > 0 && perm[q - 1] > v) {
                    perm[q] = perm[q - 1];
                    q--;
                }
                perm[q] = v;
            }
            c.nact = k;
        }
        c.tree = &trees[it];
        ntrees = it + 1;
        st = gb_grow(&c, &pool, train);
        if (st != LL_OK || c.oom) {
            st = ll_error_set(err, LL_ENOMEM, "gbdt: out of memory growing tree %d", it + 1);
            goto done;
        }
        double vloss = NAN;
        if (valid) {
            gb_pool_run(&pool, gb_task_valid, &c, c.R);
            double s = 0;
            for (size_t r = 0; r < valid->n; r++)
                s += gb_logloss_term((double)c.vmargin[r], vlab[r]);
            vloss = s / (double)valid->n;
        }
        int stop = 0;
        if (p->early_stopping_rounds > 0) {
            if (vloss < best_loss) {
                best_loss = vloss;
                best_it = it;
            } else if (it - best_it >= p->early_stopping_rounds) {
                stop = 1;
            }
        }
        if (cb) {
            ll_fit_progress pr;
            pr.iteration = it + 1;
            pr.total = p->n_estimators;
            double s = 0;
            for (size_t i = 0; i < nts; i++) s += gb_logloss_term(c.margin[ts[i]], c.lab[ts[i]]);
            pr.train_logloss = s / (double)nts;
            pr.train_auc = gb_auc(c.margin, c.lab, ts, nts, keyed);
            pr.valid_logloss = vloss;
            pr.valid_auc = NAN;
            if (valid) {
                for (size_t r = 0; r < valid->n; r++) vscore[r] = (double)c.vmargin[r];
                pr.valid_auc = gb_auc(vscore, vlab, NULL, valid->n, keyed);
            }
            pr.elapsed_s = gb_now() - t0;
            if (cb(&pr, ud) != 0) {
                st = ll_error_set(err, LL_ECANCELLED, "gbdt: training cancelled");
                goto done;
            }
        }
        if (stop) break;
    }
    if (p->early_stopping_rounds > 0) {
        for (int i = best_it + 1; i < ntrees; i++) ll_tree_free(&trees[i]);
        ntrees = best_it + 1;
    }

    ll_gbdt *m = calloc(1, sizeof *m);
    if (!m) {
        st = ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
        goto done;
    }
    m->params = *p;
    m->nfeat = c.F;
    m->ntrees = ntrees;
    m->best_iteration = ntrees - 1;
    m->base_score = bs;
    m->base_margin = base_margin;
    m->has_bins = 1;
    m->trees = trees;
    trees = NULL;
    m->names = calloc((size_t)c.F, sizeof *m->names);
    m->is_cat = malloc((size_t)c.F);
    int oom = !m->names || !m->is_cat;
    for (int f = 0; f < c.F && !oom; f++) {
        m->is_cat[f] = c.is_cat[f];
        if (train->names && train->names[f]) {
            m->names[f] = strdup(train->names[f]);
            if (!m->names[f]) oom = 1;
        }
    }
    if (oom || gb_model_finalize(m) != 0) {
        ll_gbdt_free(m);
        st = ll_error_set(err, LL_ENOMEM, "gbdt: out of memory");
        goto done;
    }
    *out = m;
    st = LL_OK;
done:
    if (pool_up) gb_pool_destroy(&pool);
    gb_trees_free(trees, ntrees);
    gb_fit_free(&c);
    free(vlab);
    free(ts);
    free(keyed);
    free(vscore);
    return st;
}

/* ------------------------------------------------------------------------------------------
 */
/* Prediction and accessors */

void ll_gbdt_predict_binned(const ll_gbdt *m, const ll_binned *b, double *prob_out)
{
    if (!m || !b || !prob_out) return;
    if (!m->has_bins || !m->eng_bin.ok || b->nfeat < m->nfeat) {
        for (size_t i = 0; i < b->n; i++) prob_out[i] = NAN;
        return;
    }
    gb_pred_job j = {.m = m, .b = b, .n = b->n, .out = prob_out, .prob = 1};
    gb_predict_run(&j);
}

void ll_gbdt_predict_margin_raw(const ll_gbdt *m, const double *x_rowmajor, size_t n,
                                double *margin_out)
{
    if (!m || !margin_out || (n && !x_rowmajor)) return;
    gb_pred_job j = {.m = m, .x = x_rowmajor, .n = n, .out = margin_out, .prob = 0};
    gb_predict_run(&j);
}

void ll_gbdt_predict_raw(const ll_gbdt *m, const double *x_rowmajor, size_t n, double *prob_out)
{
    if (!m || !prob_out || (n && !x_rowmajor)) return;
    gb_pred_job j = {.m = m, .x = x_rowmajor, .n = n, .out = prob_out, .prob = 1};
    gb_predict_run(&j);
}

int ll_gbdt_nfeat(const ll_gbdt *m)
{
    return m->nfeat;
}

int ll_gbdt_ntrees(const ll_gbdt *m)
{
    return m->ntrees;
}

int ll_gbdt_best_iteration(const ll_gbdt *m)
{
    return m->best_iteration;
}

void ll_gbdt_importance(const ll_gbdt *m, double *gain_out)
{
    for (int f = 0; f < m->nfeat; f++) gain_out[f] = 0;
    for (int t = 0; t < m->ntrees; t++)
        for (int32_t i = 0; i < m->trees[t].n; i++) {
            const ll_tree_node *nd = &m->trees[t].nodes[i];
            if (nd->left >= 0 && nd->feature >= 0 && nd->feature < m->nfeat)
                gain_out[nd->feature] += nd->gain;
        }
}

const ll_gbdt_params *ll_gbdt_params_of(const ll_gbdt *m)
{
    return &m->params;
}

const ll_tree *ll_gbdt_tree(const ll_gbdt *m, int i)
{
    return (i >= 0 && i < m->ntrees) ? &m->trees[i] : NULL;
}

double ll_gbdt_base_score(const ll_gbdt *m)
{
    return m->base_score;
}

const char *ll_gbdt_feature_name(const ll_gbdt *m, int f)
{
    return (f >= 0 && f < m->nfeat && m->names) ? m->names[f] : NULL;
}

void ll_gbdt_free(ll_gbdt *m)
{
    if (!m) return;
    gb_trees_free(m->trees, m->ntrees);
    if (m->names)
        for (int f = 0; f < m->nfeat; f++) free(m->names[f]);
    free(m->names);
    free(m->is_cat);
    gb_engine_free(&m->eng_bin);
    gb_engine_free(&m->eng_raw);
    if (m->quant)
        for (int f = 0; f < m->nfeat; f++) free(m->quant[f].thr);
    free(m->quant);
    free(m);
}

/* ------------------------------------------------------------------------------------------
 */
/* JSON helpers */

/* A double as JSON text that reads back exactly (null when not finite). */
static cJSON *gb_jnum(double v)
{
    char buf[64];
    if (!isfinite(v)) return cJSON_CreateNull();
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

/* Shortest decimal text that reads back to float f (XGBoost stores float32). */
static const char *gb_fmt_float(float f, char *buf, size_t len)
{
    double d = (double)f;
    if (d == 0) return ll_numfmt_double(0.0, buf, len);
    for (int p = 6; p <= 9; p++) {
        double e = floor(log10(fabs(d)));
        double scale = pow(10.0, (double)p - 1 - e);
        double r = round(d * scale) / scale;
        double back;
        ll_numfmt_double(r, buf, len);
        if (ll_numparse(buf, strlen(buf), &back) && (float)back == f) return buf;
    }
    return ll_numfmt_double(d, buf, len);
}

/* A float32 JSON number; always with a fraction or exponent, since XGBoost's parser tells integers
 * from numbers by their text. */
static cJSON *gb_jfloat(double v)
{
    char buf[64], out[72];
    if (!isfinite(v)) return cJSON_CreateNull();
    gb_fmt_float((float)v, buf, sizeof buf);
    if (strpbrk(buf, ".eE")) return cJSON_CreateRaw(buf);
    snprintf(out, sizeof out, "%s.0", buf);
    return cJSON_CreateRaw(out);
}

static cJSON *gb_jint(long v)
{
    return cJSON_CreateNumber((double)v);
}

/* Number of a JSON item: numbers, raw number text (from the builders here), null = NaN. */
static int gb_jget(const cJSON *it, double *out)
{
    if (cJSON_IsNumber(it)) {
        *out = it->valuedouble;
        return 1;
    }
    if (cJSON_IsRaw(it) && it->valuestring)
        return ll_numparse(it->valuestring, strlen(it->valuestring), out);
    if (cJSON_IsNull(it)) {
        *out = NAN;
        return 1;
    }
    if (cJSON_IsString(it) && it->valuestring) /* XGBoost writes parameters as strings */
        return ll_numparse(it->valuestring, strlen(it->valuestring), out);
    if (cJSON_IsBool(it)) {
        *out = cJSON_IsTrue(it) ? 1.0 : 0.0;
        return 1;
    }
    return 0;
}

static int gb_jget_field(const cJSON *obj, const char *name, double *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return it && gb_jget(it, out);
}

/* A node index or feature number read from JSON converts to int32 without overflow (NaN and
 * infinities do not). */
static int gb_int32_ok(double v)
{
    return v >= -2147483648.0 && v <= 2147483647.0;
}

/* Check that nodes reachable from the root form a tree (each visited once, children valid, features
 * below nfeat). Returns 0 when valid. */
static int gb_check_tree(const ll_tree *t, int nfeat, int need_all)
{
    if (t->n <= 0) return -1;
    uint8_t *seen = calloc((size_t)t->n, 1);
    int32_t *stack = malloc((size_t)t->n * sizeof *stack);
    int ok = seen && stack, sp = 0, visited = 0;
    if (ok) stack[sp++] = 0;
    while (ok && sp > 0) {
        int32_t i = stack[--sp];
        if (seen[i]) {
            ok = 0;
            break;
        }
        seen[i] = 1;
        visited++;
        const ll_tree_node *nd = &t->nodes[i];
        if (nd->left < 0 && nd->right < 0) continue;
        if (nd->left < 0 || nd->right < 0 || nd->left >= t->n || nd->right >= t->n ||
            nd->feature < 0 || nd->feature >= nfeat || sp + 2 > t->n) {
            ok = 0;
            break;
        }
        stack[sp++] = nd->right;
        stack[sp++] = nd->left;
    }
    if (ok && need_all && visited != t->n) ok = 0;
    free(seen);
    free(stack);
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------
 */
/* lendlab's model.json section */

#define GB_JSON_VERSION 1

static cJSON *gb_params_json(const ll_gbdt_params *p)
{
    cJSON *o = cJSON_CreateObject();
    char seed[32];
    if (!o) return NULL;
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
    cJSON_AddItemToObject(o, "n_estimators", gb_jint(p->n_estimators));
    cJSON_AddItemToObject(o, "eta", gb_jnum(p->eta));
    cJSON_AddItemToObject(o, "max_depth", gb_jint(p->max_depth));
    cJSON_AddItemToObject(o, "min_child_weight", gb_jnum(p->min_child_weight));
    cJSON_AddItemToObject(o, "lambda", gb_jnum(p->lambda));
    cJSON_AddItemToObject(o, "alpha", gb_jnum(p->alpha));
    cJSON_AddItemToObject(o, "gamma", gb_jnum(p->gamma));
    cJSON_AddItemToObject(o, "subsample", gb_jnum(p->subsample));
    cJSON_AddItemToObject(o, "colsample_bytree", gb_jnum(p->colsample_bytree));
    cJSON_AddItemToObject(o, "scale_pos_weight", gb_jnum(p->scale_pos_weight));
    cJSON_AddItemToObject(o, "max_bin", gb_jint(p->max_bin));
    cJSON_AddItemToObject(o, "early_stopping_rounds", gb_jint(p->early_stopping_rounds));
    cJSON_AddItemToObject(o, "base_score", gb_jnum(p->base_score));
    cJSON_AddItemToObject(o, "max_cat_to_onehot", gb_jint(p->max_cat_to_onehot));
    cJSON_AddItemToObject(o, "threads", gb_jint(p->threads));
    cJSON_AddStringToObject(o, "seed", seed);
    return o;
}

static void gb_params_from_json(const cJSON *o, ll_gbdt_params *p)
{
    double v;
    ll_gbdt_params_default(p);
    if (!o) return;
    if (gb_jget_field(o, "n_estimators", &v) && gb_int32_ok(v)) p->n_estimators = (int)v;
    if (gb_jget_field(o, "eta", &v)) p->eta = v;
    if (gb_jget_field(o, "max_depth", &v) && gb_int32_ok(v)) p->max_depth = (int)v;
    if (gb_jget_field(o, "min_child_weight", &v)) p->min_child_weight = v;
    if (gb_jget_field(o, "lambda", &v)) p->lambda = v;
    if (gb_jget_field(o, "alpha", &v)) p->alpha = v;
    if (gb_jget_field(o, "gamma", &v)) p->gamma = v;
    if (gb_jget_field(o, "subsample", &v)) p->subsample = v;
    if (gb_jget_field(o, "colsample_bytree", &v)) p->colsample_bytree = v;
    if (gb_jget_field(o, "scale_pos_weight", &v)) p->scale_pos_weight = v;
    if (gb_jget_field(o, "max_bin", &v) && gb_int32_ok(v)) p->max_bin = (int)v;
    if (gb_jget_field(o, "early_stopping_rounds", &v) && gb_int32_ok(v))
        p->early_stopping_rounds = (int)v;
    if (gb_jget_field(o, "base_score", &v)) p->base_score = v;
    if (gb_jget_field(o, "max_cat_to_onehot", &v) && gb_int32_ok(v)) p->max_cat_to_onehot = (int)v;
    if (gb_jget_field(o, "threads", &v) && gb_int32_ok(v)) p->threads = (int)v;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "seed");
    if (cJSON_IsString(s) && s->valuestring) p->seed = strtoull(s->valuestring, NULL, 10);
    if (p->threads < 1 || p->threads > 64) p->threads = 2;
}

static cJSON *gb_tree_json(const ll_tree *t)
{
    const char *names[] = {"left",   "right",     "feature",   "default_left",
                           "is_cat", "split_bin", "threshold", "value",
                           "gain",   "cover",     "categories"};
    enum { NF = 11 };
    cJSON *o = cJSON_CreateObject(), *arr[NF];
    if (!o) return NULL;
    for (int k = 0; k < NF; k++) {
        arr[k] = cJSON_CreateArray();
        if (!arr[k]) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToObject(o, names[k], arr[k]);
    }
    for (int32_t i = 0; i < t->n; i++) {
        const ll_tree_node *nd = &t->nodes[i];
        cJSON_AddItemToArray(arr[0], gb_jint(nd->left));
        cJSON_AddItemToArray(arr[1], gb_jint(nd->right));
        cJSON_AddItemToArray(arr[2], gb_jint(nd->feature));
        cJSON_AddItemToArray(arr[3], gb_jint(nd->default_left));
        cJSON_AddItemToArray(arr[4], gb_jint(nd->is_cat));
        cJSON_AddItemToArray(arr[5], gb_jint(nd->split_bin));
        cJSON_AddItemToArray(arr[6], gb_jnum(nd->left >= 0 && !nd->is_cat ? nd->threshold : 0));
        cJSON_AddItemToArray(arr[7], gb_jnum(nd->value));
        cJSON_AddItemToArray(arr[8], gb_jnum(nd->gain));
        cJSON_AddItemToArray(arr[9], gb_jnum(nd->cover));
        cJSON *cats = cJSON_CreateArray();
        if (cats && nd->left >= 0 && nd->is_cat)
            for (int c = 0; c < 256; c++)
                if (gb_bit_get(nd->cat_set, c)) cJSON_AddItemToArray(cats, gb_jint(c));
        cJSON_AddItemToArray(arr[10], cats);
    }
    return o;
}

cJSON *ll_gbdt_to_json(const ll_gbdt *m)
{
    if (!m) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "type", "gbdt");
    cJSON_AddItemToObject(o, "version", gb_jint(GB_JSON_VERSION));
    cJSON_AddItemToObject(o, "params", gb_params_json(&m->params));
    cJSON_AddItemToObject(o, "nfeat", gb_jint(m->nfeat));
    cJSON *names = cJSON_AddArrayToObject(o, "feature_names");
    cJSON *cats = cJSON_AddArrayToObject(o, "is_cat");
    for (int f = 0; f < m->nfeat && names && cats; f++) {
        cJSON_AddItemToArray(names, (m->names && m->names[f]) ? cJSON_CreateString(m->names[f])
                                                              : cJSON_CreateNull());
        cJSON_AddItemToArray(cats, gb_jint(m->is_cat ? m->is_cat[f] : 0));
    }
    cJSON_AddItemToObject(o, "base_score", gb_jnum(m->base_score));
    cJSON_AddItemToObject(o, "best_iteration", gb_jint(m->best_iteration));
    cJSON_AddItemToObject(o, "has_bins", gb_jint(m->has_bins));
    cJSON *trees = cJSON_AddArrayToObject(o, "trees");
    for (int t = 0; t < m->ntrees && trees; t++) {
        cJSON *tj = gb_tree_json(&m->trees[t]);
        if (!tj) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToArray(trees, tj);
    }
    /* any failed allocation above leaves a hole: detect it by counting */
    if (!trees || cJSON_GetArraySize(trees) != m->ntrees || !names ||
        cJSON_GetArraySize(names) != m->nfeat) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static const cJSON *gb_jarr(const cJSON *o, const char *name, int n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsArray(a) || (n >= 0 && cJSON_GetArraySize(a) != n)) return NULL;
    return a;
}

static ll_gbdt *gb_model_new(int nfeat, int ntrees)
{
    ll_gbdt *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->nfeat = nfeat;
    m->trees = calloc((size_t)(ntrees > 0 ? ntrees : 1), sizeof *m->trees);
    m->names = calloc((size_t)nfeat, sizeof *m->names);
    m->is_cat = calloc((size_t)nfeat, 1);
    if (!m->trees || !m->names || !m->is_cat) {
        ll_gbdt_free(m);
        return NULL;
    }
    return m;
}

static ll_status gb_tree_from_json(const cJSON *tj, int nfeat, ll_tree *t, ll_error *err, int ti)
{
    const cJSON *left = gb_jarr(tj, "left", -1);
    if (!left || cJSON_GetArraySize(left) < 1)
        return ll_error_set(err, LL_EPARSE, "gbdt model: tree %d has no nodes", ti);
    int n = cJSON_GetArraySize(left);
    const char *names[] = {"right",     "feature", "default_left", "is_cat", "split_bin",
                           "threshold", "value",   "gain",         "cover",  "categories"};
    const cJSON *a[11];
    a[0] = left;
    for (int k = 0; k < 10; k++) {
        a[k + 1] = gb_jarr(tj, names[k], n);
        if (!a[k + 1])
            return ll_error_set(err, LL_EPARSE,
                                "gbdt model: tree %d: \"%s\" missing or not %d long", ti, names[k],
                                n);
    }
    const cJSON *it[11];
    for (int k = 0; k < 11; k++) it[k] = a[k]->child;
    for (int i = 0; i < n; i++) {
        ll_tree_node nd;
        double v[10];
        memset(&nd, 0, sizeof nd);
        for (int k = 0; k < 10; k++)
            if (!gb_jget(it[k], &v[k]))
                return ll_error_set(err, LL_EPARSE, "gbdt model: tree %d node %d: bad number", ti,
                                    i);
        if (!gb_int32_ok(v[0]) || !gb_int32_ok(v[1]) || !gb_int32_ok(v[2]))
            return ll_error_set(err, LL_EPARSE, "gbdt model: tree %d node %d: bad node index", ti,
                                i);
        nd.left = (int32_t)v[0];
        nd.right = (int32_t)v[1];
        nd.feature = (int32_t)v[2];
        nd.default_left = (uint8_t)(v[3] != 0);
        nd.is_cat = (uint8_t)(v[4] != 0);
        if (v[5] < 0 || v[5] > 254)
            return ll_error_set(err, LL_EPARSE, "gbdt model: tree %d node %d: bad split_bin", ti,
                                i);
        nd.split_bin = (uint8_t)v[5];
        nd.threshold = v[6];
        nd.value = v[7];
        nd.gain = v[8];
        nd.cover = v[9];
        const cJSON *c;
        cJSON_ArrayForEach(c, it[10])
        {
            double cv;
            if (!gb_jget(c, &cv) || !(cv >= 0 && cv < 255))
                return ll_error_set(err, LL_EPARSE, "gbdt model: tree %d node %d: bad category", ti,
                                    i);
            gb_bit_set(nd.cat_set, (int)cv);
        }
        if (nd.left >= 0 && !nd.is_cat && !isfinite(nd.threshold))
            return ll_error_set(err, LL_EPARSE, "gbdt model: tree %d node %d: bad threshold", ti,
                                i);
        if (ll_tree_push(t, &nd) < 0) return ll_error_set(err, LL_ENOMEM, "out of memory");
        for (int k = 0; k < 11; k++) it[k] = it[k]->next;
    }
    if (gb_check_tree(t, nfeat, 1) != 0)
        return ll_error_set(err, LL_EPARSE, "gbdt model: tree %d is not a valid binary tree", ti);
    return LL_OK;
}

ll_status ll_gbdt_from_json(const cJSON *j, ll_gbdt **out, ll_error *err)
{
    double v;
    if (!out) return ll_error_set(err, LL_EINVAL, "gbdt model: missing argument");
    *out = NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
    if (!cJSON_IsObject(j) || !cJSON_IsString(type) || strcmp(type->valuestring, "gbdt") != 0)
        return ll_error_set(err, LL_EPARSE, "gbdt model: not a gbdt section");
    if (!gb_jget_field(j, "version", &v) || v != GB_JSON_VERSION)
        return ll_error_set(err, LL_EPARSE, "gbdt model: unsupported version");
    if (!gb_jget_field(j, "nfeat", &v) || !(v >= 1 && v <= 1e6))
        return ll_error_set(err, LL_EPARSE, "gbdt model: bad \"nfeat\"");
    int nfeat = (int)v;
    const cJSON *trees = gb_jarr(j, "trees", -1);
    if (!trees) return ll_error_set(err, LL_EPARSE, "gbdt model: \"trees\" missing");
    int ntrees = cJSON_GetArraySize(trees);
    ll_gbdt *m = gb_model_new(nfeat, ntrees);
    if (!m) return ll_error_set(err, LL_ENOMEM, "out of memory");
    gb_params_from_json(cJSON_GetObjectItemCaseSensitive(j, "params"), &m->params);
    /* margins start from logit((float)base_score): it must be in (0, 1) as a float too */
    if (!gb_jget_field(j, "base_score", &v) || !(v > 0 && v < 1) ||
        !((float)v > 0 && (float)v < 1)) {
        ll_gbdt_free(m);
        return ll_error_set(err, LL_EPARSE, "gbdt model: bad \"base_score\"");
    }
    m->base_score = v;
    m->base_margin = gb_prob_to_margin(v);
    m->best_iteration =
        gb_jget_field(j, "best_iteration", &v) && gb_int32_ok(v) ? (int)v : ntrees - 1;
    m->has_bins = gb_jget_field(j, "has_bins", &v) && v != 0;
    const cJSON *names = gb_jarr(j, "feature_names", nfeat);
    const cJSON *cats = gb_jarr(j, "is_cat", nfeat);
    /* walked in step (both hold nfeat items): cJSON_GetArrayItem(f) would make wide models
     * load in quadratic time */
    const cJSON *nm = names ? names->child : NULL, *cat = cats ? cats->child : NULL;
    for (int f = 0; f < nfeat; f++, nm = nm ? nm->next : NULL, cat = cat ? cat->next : NULL) {
        if (cJSON_IsString(nm) && nm->valuestring) {
            m->names[f] = strdup(nm->valuestring);
            if (!m->names[f]) {
                ll_gbdt_free(m);
                return ll_error_set(err, LL_ENOMEM, "out of memory");
            }
        }
        if (cat && gb_jget(cat, &v)) m->is_cat[f] = (uint8_t)(v != 0);
    }
    int ti = 0;
    const cJSON *tj;
    cJSON_ArrayForEach(tj, trees)
    {
        ll_status st = gb_tree_from_json(tj, nfeat, &m->trees[ti], err, ti);
        m->ntrees = ti + 1;
        if (st != LL_OK) {
            ll_gbdt_free(m);
            return st;
        }
        ti++;
    }
    m->ntrees = ntrees;
    if (m->best_iteration < 0 || m->best_iteration >= ntrees) m->best_iteration = ntrees - 1;
    if (gb_model_finalize(m) != 0) {
        ll_gbdt_free(m);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    *out = m;
    return LL_OK;
}

/* ------------------------------------------------------------------------------------------
 */
/* XGBoost JSON model interchange (the format of Booster.save_model("*.json"), 1.7 schema) */

static cJSON *gb_jstr_num(long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    return cJSON_CreateString(buf);
}

static cJSON *gb_xgb_tree(const ll_tree *t, int id, int nfeat)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    const char *names[] = {"base_weights",        "categories",       "categories_nodes",
                           "categories_segments", "categories_sizes", "default_left",
                           "left_children",       "loss_changes",     "parents",
                           "right_children",      "split_conditions", "split_indices",
                           "split_type",          "sum_hessian"};
    enum { NF = 14 };
    cJSON *a[NF];
    for (int k = 0; k < NF; k++) {
        a[k] = cJSON_CreateArray();
        if (!a[k]) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToObject(o, names[k], a[k]);
        if (k == 5) cJSON_AddItemToObject(o, "id", gb_jint(id));
    }
    int32_t *parent = malloc((size_t)t->n * sizeof *parent);
    if (!parent) {
        cJSON_Delete(o);
        return NULL;
    }
    for (int32_t i = 0; i < t->n; i++) parent[i] = 2147483647;
    for (int32_t i = 0; i < t->n; i++)
        if (t->nodes[i].left >= 0) parent[t->nodes[i].left] = parent[t->nodes[i].right] = i;
    long ncat = 0;
    for (int32_t i = 0; i < t->n; i++) {
        const ll_tree_node *nd = &t->nodes[i];
        int leaf = nd->left < 0, cat = !leaf && nd->is_cat;
        cJSON_AddItemToArray(a[0], gb_jfloat(nd->value));
        if (cat) {
            long size = 0;
            for (int c = 0; c < 256; c++)
                if (gb_bit_get(nd->cat_set, c)) {
                    cJSON_AddItemToArray(a[1], gb_jint(c));
                    size++;
                }
            cJSON_AddItemToArray(a[2], gb_jint(i));
            cJSON_AddItemToArray(a[3], gb_jint(ncat));
            cJSON_AddItemToArray(a[4], gb_jint(size));
            ncat += size;
        }
        cJSON_AddItemToArray(a[5], gb_jint(leaf ? 0 : nd->default_left));
        cJSON_AddItemToArray(a[6], gb_jint(leaf ? -1 : nd->left));
        cJSON_AddItemToArray(a[7], gb_jfloat(leaf ? 0.0 : nd->gain));
        cJSON_AddItemToArray(a[8], gb_jint(parent[i]));
        cJSON_AddItemToArray(a[9], gb_jint(leaf ? -1 : nd->right));
        /* leaves keep their value in split_conditions; categorical nodes ignore it
         */
        cJSON_AddItemToArray(a[10], gb_jfloat(leaf ? nd->value : (cat ? 0.0 : nd->threshold)));
        cJSON_AddItemToArray(a[11], gb_jint(leaf ? 0 : nd->feature));
        cJSON_AddItemToArray(a[12], gb_jint(cat));
        cJSON_AddItemToArray(a[13], gb_jfloat(nd->cover));
    }
    free(parent);
    cJSON *tp = cJSON_AddObjectToObject(o, "tree_param");
    if (tp) {
        cJSON_AddStringToObject(tp, "num_deleted", "0");
        cJSON_AddItemToObject(tp, "num_feature", gb_jstr_num(nfeat));
        cJSON_AddItemToObject(tp, "num_nodes", gb_jstr_num(t->n));
        cJSON_AddStringToObject(tp, "size_leaf_vector", "0");
    }
    return o;
}

/* Write text and a newline to path through a temporary file renamed into place (into path
 * itself when it is a device or FIFO). Errors name the file and the cause. */
static ll_status gb_write_file(const char *path, const char *text, ll_error *err)
{
    int in_place;
    ll_status st = ll_fsutil_check_output(path, &in_place, err);
    if (st) return st;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return ll_error_set(err, LL_ENOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s%s", path, in_place ? "" : ".tmp");
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = ll_error_set(err, LL_EIO, "cannot write %s: %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    size_t len = strlen(text);
    /* the first failure's errno is the cause: fclose after a failed write may set another */
    int e = 0;
    if (fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF) e = errno ? errno : EIO;
    if (fclose(f) != 0 && !e) e = errno ? errno : EIO;
    if (!e && !in_place && rename(tmp, path) != 0) e = errno;
    if (e) {
        if (!in_place) remove(tmp);
        free(tmp);
        return ll_error_set(err, LL_EIO, "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    return LL_OK;
}

ll_status ll_gbdt_export_xgboost(const ll_gbdt *m, const ll_binned *meta, const char *path,
                                 ll_error *err)
{
    if (!m || !path) return ll_error_set(err, LL_EINVAL, "gbdt export: missing argument");
    if (meta && meta->nfeat != m->nfeat)
        return ll_error_set(err, LL_EINVAL, "gbdt export: plan has %d features, model %d",
                            meta->nfeat, m->nfeat);
    char buf[64];
    cJSON *root = cJSON_CreateObject();
    cJSON *learner = cJSON_AddObjectToObject(root, "learner");
    cJSON *attr = cJSON_AddObjectToObject(learner, "attributes");
    cJSON_AddItemToObject(attr, "best_iteration", gb_jstr_num(m->best_iteration));
    cJSON_AddItemToObject(attr, "best_ntree_limit", gb_jstr_num(m->best_iteration + 1));
    cJSON *fn = cJSON_AddArrayToObject(learner, "feature_names");
    cJSON *ft = cJSON_AddArrayToObject(learner, "feature_types");
    for (int f = 0; f < m->nfeat && fn && ft; f++) {
        const char *name = meta && meta->names ? meta->names[f] : (m->names ? m->names[f] : NULL);
        int cat = meta ? (meta->is_cat && meta->is_cat[f]) : (m->is_cat && m->is_cat[f]);
        char gen[32];
        if (!name) {
            snprintf(gen, sizeof gen, "f%d", f);
            name = gen;
        }
        cJSON_AddItemToArray(fn, cJSON_CreateString(name));
        cJSON_AddItemToArray(ft, cJSON_CreateString(cat ? "c" : "float"));
    }
    cJSON *gb = cJSON_AddObjectToObject(learner, "gradient_booster");
    cJSON *model = cJSON_AddObjectToObject(gb, "model");
    cJSON *gp = cJSON_AddObjectToObject(model, "gbtree_model_param");
    cJSON_AddStringToObject(gp, "num_parallel_tree", "1");
    cJSON_AddItemToObject(gp, "num_trees", gb_jstr_num(m->ntrees));
    cJSON_AddStringToObject(gp, "size_leaf_vector", "0");
    cJSON *info = cJSON_AddArrayToObject(model, "tree_info");
    cJSON *trees = cJSON_AddArrayToObject(model, "trees");
    int ok = root && learner && attr && fn && ft && gb && model && gp && info && trees;
    for (int t = 0; t < m->ntrees && ok; t++) {
        cJSON *tj = gb_xgb_tree(&m->trees[t], t, m->nfeat);
        if (!tj) ok = 0;
        cJSON_AddItemToArray(trees, tj);
        cJSON_AddItemToArray(info, gb_jint(0));
    }
    cJSON_AddStringToObject(gb, "name", "gbtree");
    cJSON *lmp = cJSON_AddObjectToObject(learner, "learner_model_param");
    cJSON_AddStringToObject(lmp, "base_score", gb_fmt_float((float)m->base_score, buf, sizeof buf));
    cJSON_AddStringToObject(lmp, "boost_from_average", "1");
    cJSON_AddStringToObject(lmp, "num_class", "0");
    cJSON_AddItemToObject(lmp, "num_feature", gb_jstr_num(m->nfeat));
    cJSON_AddStringToObject(lmp, "num_target", "1");
    cJSON *obj = cJSON_AddObjectToObject(learner, "objective");
    cJSON_AddStringToObject(obj, "name", "binary:logistic");
    cJSON *rlp = cJSON_AddObjectToObject(obj, "reg_loss_param");
    cJSON_AddStringToObject(rlp, "scale_pos_weight",
                            ll_numfmt_double(m->params.scale_pos_weight, buf, sizeof buf));
    cJSON *ver = cJSON_AddArrayToObject(root, "version");
    cJSON_AddItemToArray(ver, gb_jint(1));
    cJSON_AddItemToArray(ver, gb_jint(7));
    cJSON_AddItemToArray(ver, gb_jint(4));
    char *text = ok && lmp && obj && rlp && ver ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) return ll_error_set(err, LL_ENOMEM, "gbdt export: out of memory");
    ll_status st = gb_write_file(path, text, err);
    cJSON_free(text);
    return st;
}

/* Replace the non-JSON tokens XGBoost writes for non-finite floats (NaN, Infinity, -Infinity)
 * outside strings by null. */
static char *gb_sanitize(const char *s, size_t len)
{
    char *o = malloc(len + len / 2 + 2), *w = o;
    if (!o) return NULL;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (in_str) {
            *w++ = ch;
            if (ch == '\\' && i + 1 < len)
                *w++ = s[++i];
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        if (ch == '"') in_str = 1;
        size_t skip = 0;
        if (len - i >= 3 && memcmp(s + i, "NaN", 3) == 0)
            skip = 3;
        else if (len - i >= 8 && memcmp(s + i, "Infinity", 8) == 0)
            skip = 8;
        else if (len - i >= 9 && memcmp(s + i, "-Infinity", 9) == 0)
            skip = 9;
        if (skip) {
            memcpy(w, "null", 4);
            w += 4;
            i += skip - 1;
            continue;
        }
        *w++ = ch;
    }
    *w = '\0';
    return o;
}

static ll_status gb_read_file(const char *path, char **text, size_t *len, ll_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ll_error_set(err, LL_ENOTFOUND, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int oom = !buf;
    for (size_t got = 1; !oom && got > 0;) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                oom = 1;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (oom) {
        free(buf);
        return ll_error_set(err, LL_ENOMEM, "out of memory reading %s", path);
    }
    if (bad) {
        free(buf);
        return ll_error_set(err, LL_EIO, "cannot read %s", path);
    }
    *text = buf;
    *len = n;
    return LL_OK;
}

static const cJSON *gb_jpath(const cJSON *o, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (x && b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (x && c) x = cJSON_GetObjectItemCaseSensitive(x, c);
    return x;
}

/* One XGBoost tree into t, re-indexed breadth-first from the root (drops deleted nodes). */
static ll_status gb_xgb_tree_in(const cJSON *tj, int nfeat, ll_tree *t, int ti, ll_error *err)
{
    const cJSON *lc = gb_jarr(tj, "left_children", -1);
    if (!lc || cJSON_GetArraySize(lc) < 1)
        return ll_error_set(err, LL_EPARSE, "XGBoost model: tree %d has no left_children", ti);
    int n = cJSON_GetArraySize(lc);
    const char *req[] = {"right_children", "split_indices", "split_conditions", "default_left"};
    const cJSON *a[4];
    for (int k = 0; k < 4; k++) {
        a[k] = gb_jarr(tj, req[k], n);
        if (!a[k])
            return ll_error_set(err, LL_EPARSE,
                                "XGBoost model: tree %d: \"%s\" missing or not %d long", ti, req[k],
                                n);
    }
    const cJSON *stype = gb_jarr(tj, "split_type", n), *bw = gb_jarr(tj, "base_weights", n);
    const cJSON *lch = gb_jarr(tj, "loss_changes", n), *sh = gb_jarr(tj, "sum_hessian", n);
    const cJSON *cats = gb_jarr(tj, "categories", -1),
                *cnodes = gb_jarr(tj, "categories_nodes", -1);
    const cJSON *csegs = gb_jarr(tj, "categories_segments", -1);
    const cJSON *csizes = gb_jarr(tj, "categories_sizes", -1);
    ll_tree tmp = {0};
    ll_status st = LL_OK;
    double *catv = NULL;
    int ncatv = cats ? cJSON_GetArraySize(cats) : 0;
    if (ncatv > 0) {
        catv = malloc((size_t)ncatv * sizeof *catv);
        if (!catv) return ll_error_set(err, LL_ENOMEM, "out of memory");
        int k = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cats) if (!gb_jget(c, &catv[k++])) catv[k - 1] = -1;
    }
    const cJSON *it[4] = {a[0]->child, a[1]->child, a[2]->child, a[3]->child};
    const cJSON *il = lc->child;
    for (int i = 0; i < n && st == LL_OK; i++) {
        ll_tree_node nd;
        double l, r, f, cond, dl, v;
        memset(&nd, 0, sizeof nd);
        if (!gb_jget(il, &l) || !gb_jget(it[0], &r) || !gb_jget(it[1], &f) ||
            !gb_jget(it[2], &cond) || !gb_jget(it[3], &dl)) {
            st = ll_error_set(err, LL_EPARSE, "XGBoost model: tree %d node %d: bad number", ti, i);
            break;
        }
        if (!gb_int32_ok(l) || !gb_int32_ok(r) || !gb_int32_ok(f)) {
            st = ll_error_set(err, LL_EPARSE, "XGBoost model: tree %d node %d: bad node index", ti,
                              i);
            break;
        }
        nd.left = l < 0 ? -1 : (int32_t)l;
        nd.right = r < 0 ? -1 : (int32_t)r;
        nd.feature = nd.left < 0 ? -1 : (int32_t)f;
        nd.default_left = (uint8_t)(dl != 0);
        if (stype && gb_jget(cJSON_GetArrayItem(stype, i), &v) && v == 1 && nd.left >= 0)
            nd.is_cat = 1;
        if (nd.left < 0)
            nd.value = (double)(float)cond;
        else {
            nd.threshold = (double)(float)cond;
            nd.value = (bw && gb_jget(cJSON_GetArrayItem(bw, i), &v)) ? (double)(float)v : 0.0;
            if (!nd.is_cat && !isfinite(nd.threshold))
                st = ll_error_set(err, LL_EPARSE, "XGBoost model: tree %d node %d: bad split", ti,
                                  i);
        }
        if (lch && gb_jget(cJSON_GetArrayItem(lch, i), &v)) nd.gain = nd.left < 0 ? 0 : v;
        if (sh && gb_jget(cJSON_GetArrayItem(sh, i), &v)) nd.cover = v;
        if (nd.is_cat && st == LL_OK) {
            /* find this node's category segment */
            int found = 0, k = 0;
            const cJSON *cn;
            cJSON_ArrayForEach(cn, cnodes)
            {
                double node, seg, size;
                if (gb_jget(cn, &node) && node == i && csegs && csizes &&
                    gb_jget(cJSON_GetArrayItem(csegs, k), &seg) &&
                    gb_jget(cJSON_GetArrayItem(csizes, k), &size) && seg >= 0 && size >= 1 &&
                    seg + size <= ncatv) {
                    int maxc = -1;
                    found = 1;
                    for (int q = (int)seg; q < (int)(seg + size); q++) {
                        if (!(catv[q] >= 0 && catv[q] < 255)) found = -1;
                        if (found < 0) break;
                        gb_bit_set(nd.cat_set, (int)catv[q]);
                        if ((int)catv[q] > maxc) maxc = (int)catv[q];
                    }
                    /* XGBoost sends categories past the node's 32-bit words the default way: with
                     * default right, those (below 255) join the right set */
                    if (found > 0 && !nd.default_left)
                        for (int q = ((maxc + 1 + 31) / 32) * 32; q < 255; q++)
                            gb_bit_set(nd.cat_set, q);
                    break;
                }
                k++;
            }
            if (found == 0)
                st = ll_error_set(err, LL_EPARSE,
                                  "XGBoost model: tree %d node %d: categories missing", ti, i);
            else if (found < 0)
                st = ll_error_set(err, LL_EINVAL,
                                  "XGBoost model: tree %d node %d: category index outside 0..254 "
                                  "is not supported",
                                  ti, i);
        }
        if (st == LL_OK && ll_tree_push(&tmp, &nd) < 0)
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
        il = il->next;
        for (int k = 0; k < 4; k++) it[k] = it[k]->next;
    }
    free(catv);
    if (st == LL_OK && gb_check_tree(&tmp, nfeat, 0) != 0)
        st = ll_error_set(err, LL_EPARSE, "XGBoost model: tree %d is not a valid binary tree", ti);
    if (st == LL_OK) {
        /* breadth-first copy: children follow their parents, deleted nodes disappear */
        int32_t *map = malloc((size_t)tmp.n * sizeof *map),
                *queue = malloc((size_t)tmp.n * sizeof *queue);
        if (!map || !queue) st = ll_error_set(err, LL_ENOMEM, "out of memory");
        int qh = 0, qt = 0;
        if (st == LL_OK) queue[qt++] = 0;
        while (st == LL_OK && qh < qt) {
            int32_t i = queue[qh++];
            map[i] = qh - 1;
            if (tmp.nodes[i].left >= 0) {
                queue[qt++] = tmp.nodes[i].left;
                queue[qt++] = tmp.nodes[i].right;
            }
        }
        for (int q = 0; q < qt && st == LL_OK; q++) {
            ll_tree_node nd = tmp.nodes[queue[q]];
            if (nd.left >= 0) {
                nd.left = map[nd.left];
                nd.right = map[nd.right];
            }
            if (ll_tree_push(t, &nd) < 0) st = ll_error_set(err, LL_ENOMEM, "out of memory");
        }
        free(map);
        free(queue);
    }
    ll_tree_free(&tmp);
    return st;
}

ll_status ll_gbdt_import_xgboost(const char *path, ll_gbdt **out, char ***feature_names,
                                 int *nfeat_out, ll_error *err)
{
    if (!path || !out) return ll_error_set(err, LL_EINVAL, "XGBoost import: missing argument");
    *out = NULL;
    if (feature_names) *feature_names = NULL;
    if (nfeat_out) *nfeat_out = 0;
    char *raw = NULL;
    size_t len = 0;
    ll_status st = gb_read_file(path, &raw, &len, err);
    if (st != LL_OK) return st;
    char *text = gb_sanitize(raw, len);
    free(raw);
    if (!text) return ll_error_set(err, LL_ENOMEM, "out of memory");
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        const char *ep = cJSON_GetErrorPtr();
        long line = 1, col = 1;
        if (ep && ep >= text && ep <= text + strlen(text))
            for (const char *q = text; q < ep; q++) {
                if (*q == '\n') {
                    line++;
                    col = 1;
                } else
                    col++;
            }
        free(text);
        return ll_error_set_at(err, LL_EPARSE, path, line, col,
                               "not an XGBoost JSON model (invalid JSON)");
    }
    free(text);
    ll_gbdt *m = NULL;
    double v;
    const cJSON *learner = cJSON_GetObjectItemCaseSensitive(root, "learner");
    const cJSON *objname = gb_jpath(learner, "objective", "name", NULL);
    const cJSON *gbname = gb_jpath(learner, "gradient_booster", "name", NULL);
    const cJSON *lmp = gb_jpath(learner, "learner_model_param", NULL, NULL);
    const cJSON *trees = gb_jpath(learner, "gradient_booster", "model", "trees");
    const cJSON *info = gb_jpath(learner, "gradient_booster", "model", "tree_info");
    int nfeat = 0, ntrees = 0;
    if (!cJSON_IsObject(learner) || !cJSON_IsString(objname) || !cJSON_IsArray(trees) || !lmp) {
        st = ll_error_set(err, LL_EPARSE, "%s: not an XGBoost JSON model", path);
        goto done;
    }
    if (strcmp(objname->valuestring, "binary:logistic") != 0 &&
        strcmp(objname->valuestring, "reg:logistic") != 0) {
        st =
            ll_error_set(err, LL_EINVAL, "%s: objective %s is not supported (binary:logistic only)",
                         path, objname->valuestring);
        goto done;
    }
    if (!cJSON_IsString(gbname) || strcmp(gbname->valuestring, "gbtree") != 0) {
        st = ll_error_set(err, LL_EINVAL, "%s: booster %s is not supported (gbtree only)", path,
                          cJSON_IsString(gbname) ? gbname->valuestring : "?");
        goto done;
    }
    if (gb_jget_field(lmp, "num_class", &v) && v > 1) {
        st = ll_error_set(err, LL_EINVAL, "%s: multi-class models are not supported", path);
        goto done;
    }
    if (!gb_jget_field(lmp, "num_feature", &v) || !(v >= 1 && v <= 1e6)) {
        st = ll_error_set(err, LL_EPARSE, "%s: bad num_feature", path);
        goto done;
    }
    nfeat = (int)v;
    double base_score;
    /* in (0, 1) as the float the model keeps too: 3E-85 would become 0, an infinite margin */
    if (!gb_jget_field(lmp, "base_score", &base_score) || !(base_score > 0 && base_score < 1) ||
        !((float)base_score > 0 && (float)base_score < 1)) {
        st = ll_error_set(err, LL_EPARSE, "%s: base_score must lie in (0, 1)", path);
        goto done;
    }
    ntrees = cJSON_GetArraySize(trees);
    if (cJSON_IsArray(info)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, info) if (!gb_jget(c, &v) || v != 0)
        {
            st = ll_error_set(err, LL_EINVAL, "%s: multi-output models are not supported", path);
            goto done;
        }
    }
    m = gb_model_new(nfeat, ntrees);
    if (!m) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    ll_gbdt_params_default(&m->params);
    m->params.n_estimators = ntrees > 0 ? ntrees : 1;
    m->base_score = (double)(float)base_score;
    m->base_margin = gb_prob_to_margin(m->base_score);
    const cJSON *spw = gb_jpath(learner, "objective", "reg_loss_param", "scale_pos_weight");
    if (spw && gb_jget(spw, &v) && v > 0) m->params.scale_pos_weight = v;
    const cJSON *fnames = gb_jarr(learner, "feature_names", nfeat);
    const cJSON *ftypes = gb_jarr(learner, "feature_types", nfeat);
    /* walked in step (both hold nfeat items), not by index: linear in the feature count */
    const cJSON *nm = fnames ? fnames->child : NULL, *ty = ftypes ? ftypes->child : NULL;
    for (int f = 0; f < nfeat; f++, nm = nm ? nm->next : NULL, ty = ty ? ty->next : NULL) {
        char gen[32];
        snprintf(gen, sizeof gen, "f%d", f);
        m->names[f] = strdup(cJSON_IsString(nm) && nm->valuestring ? nm->valuestring : gen);
        if (!m->names[f]) {
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        m->is_cat[f] = cJSON_IsString(ty) && strcmp(ty->valuestring, "c") == 0;
    }
    int ti = 0;
    const cJSON *tj;
    cJSON_ArrayForEach(tj, trees)
    {
        st = gb_xgb_tree_in(tj, nfeat, &m->trees[ti], ti, err);
        m->ntrees = ti + 1;
        if (st != LL_OK) goto done;
        for (int32_t i = 0; i < m->trees[ti].n; i++)
            if (m->trees[ti].nodes[i].left >= 0 && m->trees[ti].nodes[i].is_cat)
                m->is_cat[m->trees[ti].nodes[i].feature] = 1;
        ti++;
    }
    m->ntrees = ntrees;
    m->best_iteration = ntrees - 1;
    const cJSON *bi = gb_jpath(learner, "attributes", "best_iteration", NULL);
    if (bi && gb_jget(bi, &v) && v >= 0 && v < ntrees) m->best_iteration = (int)v;
    if (gb_model_finalize(m) != 0) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if (feature_names) {
        char **names = calloc((size_t)nfeat, sizeof *names);
        for (int f = 0; f < nfeat && names; f++) {
            names[f] = strdup(m->names[f]);
            if (!names[f]) {
                for (int g = 0; g < f; g++) free(names[g]);
                free(names);
                names = NULL;
            }
        }
        if (!names) {
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        *feature_names = names;
    }
    if (nfeat_out) *nfeat_out = nfeat;
    *out = m;
    m = NULL;
    st = LL_OK;
done:
    ll_gbdt_free(m);
    cJSON_Delete(root);
    return st;
}
