/* forest: random forest classifier (bagged Gini trees on the binned matrix). */
#include "forest.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "numfmt.h"
#include "tree.h"

#define FOREST_FORMAT  "lendlab-random-forest"
#define FOREST_VERSION 1
#define MAX_TREES      100000
#define MAX_THREADS    256
/* Impurity at or below this makes a node a leaf (scikit-learn uses DBL_EPSILON). */
#define PURE_EPS 1e-12
/* Fewest rows a category needs in a node to be ranked by its own positive rate. */
#define CAT_MIN_SUPPORT 10

struct ll_forest {
    int nfeat;
    int ntrees;
    ll_tree *trees;
    double oob_auc;
    ll_forest_params params;
};

void ll_forest_params_default(ll_forest_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_trees = 100;
    p->max_depth = 0;
    p->min_samples_leaf = 1;
    p->max_features = 0;
    p->bootstrap = 1;
    p->threads = 2;
    p->seed = 0;
    p->class_weight_balanced = 0;
}

int ll_forest_params_check(const ll_forest_params *p, char *msg, size_t len)
{
    const char *m = NULL;
    char buf[160];
    if (!p)
        m = "no parameters";
    else if (p->n_trees < 1 || p->n_trees > MAX_TREES) {
        snprintf(buf, sizeof buf, "n_trees must be between 1 and %d (got %d)", MAX_TREES,
                 p->n_trees);
        m = buf;
    } else if (p->max_depth < 0) {
        snprintf(buf, sizeof buf, "max_depth must be >= 0, 0 = unlimited (got %d)", p->max_depth);
        m = buf;
    } else if (p->min_samples_leaf < 1) {
        snprintf(buf, sizeof buf, "min_samples_leaf must be >= 1 (got %d)", p->min_samples_leaf);
        m = buf;
    } else if (isnan(p->max_features) || p->max_features > 1.0)
        m = "max_features must be a fraction in (0, 1], or <= 0 for sqrt(features)";
    else if (p->bootstrap != 0 && p->bootstrap != 1)
        m = "bootstrap must be 0 or 1";
    else if (p->threads < 1 || p->threads > MAX_THREADS) {
        snprintf(buf, sizeof buf, "threads must be between 1 and %d (got %d)", MAX_THREADS,
                 p->threads);
        m = buf;
    } else if (p->class_weight_balanced != 0 && p->class_weight_balanced != 1)
        m = "class_weight_balanced must be 0 or 1";
    if (msg && len) snprintf(msg, len, "%s", m ? m : "");
    return m ? -1 : 0;
}

/* ---- random numbers: xoshiro256** seeded by splitmix64, one stream per tree ---- */

typedef struct {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The stream of tree t depends only on (seed, t), so the forest never depends on which
 * worker built which tree. */
static void rng_seed_tree(rng *r, uint64_t seed, int t)
{
    uint64_t x = seed ^ (0xD1B54A32D192ED03ULL * ((uint64_t)t + 1));
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

/* Unbiased integer in [0, range) (Lemire's multiply-and-reject). */
static inline uint32_t rng_below(rng *r, uint32_t range)
{
    uint64_t m = (rng_next(r) >> 32) * (uint64_t)range;
    uint32_t l = (uint32_t)m;
    if (l < range) {
        uint32_t t = (uint32_t)(-range) % range;
        while (l < t) {
            m = (rng_next(r) >> 32) * (uint64_t)range;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Bootstrap sample of tree t: n draws with replacement; counts[r] = times row r was drawn. */
static void draw_bootstrap(uint64_t seed, int t, size_t n, uint32_t *counts)
{
    rng r;
    rng_seed_tree(&r, seed, t);
    memset(counts, 0, n * sizeof *counts);
    for (size_t i = 0; i < n; i++) counts[rng_below(&r, (uint32_t)n)]++;
}

/* ---- tree growing ---- */

typedef struct {
    double w, wp; /* weighted rows, weighted positives */
    uint32_t cnt; /* distinct rows (min_samples_leaf counts rows, as scikit-learn) */
} hist_bin;

typedef struct {
    int32_t node;
    uint32_t start, end; /* rows[start, end) of the node */
    int depth;
    double w, wp;
} stack_ent;

typedef struct {
    double proxy; /* sum over children of sum_k w_k^2 / w_child: larger = purer */
    int feature;
    int is_cat;
    int default_left;
    int split_bin;
    uint64_t cat_set[4];
} split_best;

typedef struct {
    const ll_binned *b;
    const uint8_t *y;
    double cw[2];
    const ll_forest_params *p;
    int mtry;
    int ntrees;
    ll_tree *trees;
    ll_status *status;
    uint8_t *done;
    int next;
    atomic_int stop;
    const volatile int *cancel;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} fit_shared;

/* Per-worker buffers, allocated once and reused for every tree and node. */
typedef struct {
    fit_shared *sh;
    uint32_t *counts;
    uint32_t *rows, *rtmp;
    double *w, *wy, *wtmp, *wytmp;
    int *feat;
    hist_bin hist[256]; /* class histogram of one feature (LL_BIN_MISSING is the last bin) */
    uint32_t cats[256];
    double rate[256];
    stack_ent *stack;
    uint8_t *konst; /* per stack slot: nfeat flags "known constant in this node" */
    size_t stack_cap;
} worker;

static inline double node_proxy(double w, double wp)
{
    double wn = w - wp;
    return (wp * wp + wn * wn) / w;
}

/* Try one split given left/right sums; keep it if strictly better than the best so far. */
static inline int try_split(split_best *best, int msl, double lw, double lwp, uint32_t lc,
                            double rw, double rwp, uint32_t rc)
{
    if (lc < (uint32_t)msl || rc < (uint32_t)msl) return 0;
    double pr = node_proxy(lw, lwp) + node_proxy(rw, rwp);
    if (!(pr > best->proxy)) return 0;
    best->proxy = pr;
    return 1;
}

static void eval_numeric(const worker *wk, const hist_bin *h, int f, int lo, int hi, int nbins,
                         split_best *best)
{
    const hist_bin *m = &h[LL_BIN_MISSING];
    int msl = wk->sh->p->min_samples_leaf;
    double nw = 0, nwp = 0;
    uint32_t nc = 0;
    for (int b = lo; b <= hi; b++) {
        nw += h[b].w;
        nwp += h[b].wp;
        nc += h[b].cnt;
    }
    double lw = 0, lwp = 0;
    uint32_t lc = 0;
    int prev = -1;
    for (int b = lo; b <= hi; b++) {
        if (!h[b].cnt) continue;
        if (prev >= 0) {
            /* Boundary between occupied bins prev and b: unseen bins in between are shared
             * out at the middle, like scikit-learn's mid-point thresholds. */
            int sb = prev + (b - prev - 1) / 2;
            double rw = nw - lw, rwp = nwp - lwp;
            uint32_t rc = nc - lc;
            if (try_split(best, msl, lw, lwp, lc, rw + m->w, rwp + m->wp, rc + m->cnt)) {
                best->feature = f;
                best->is_cat = 0;
                best->split_bin = sb;
                /* With no missing rows in the node, unseen missing values follow the
                 * larger child (scikit-learn's rule). */
                best->default_left = m->cnt ? 0 : lc >= rc;
            }
            if (m->cnt && try_split(best, msl, lw + m->w, lwp + m->wp, lc + m->cnt, rw, rwp, rc)) {
                best->feature = f;
                best->is_cat = 0;
                best->split_bin = sb;
                best->default_left = 1;
            }
        }
        lw += h[b].w;
        lwp += h[b].wp;
        lc += h[b].cnt;
        prev = b;
    }
    /* Missing against everything else: all non-missing bins left. */
    if (m->cnt && try_split(best, msl, nw, nwp, nc, m->w, m->wp, m->cnt)) {
        best->feature = f;
        best->is_cat = 0;
        best->split_bin = nbins - 1;
        best->default_left = 0;
    }
}

static int cmp_rate(const void *a, const void *b, const double *rate)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (rate[x] < rate[y]) return -1;
    if (rate[x] > rate[y]) return 1;
    return (x > y) - (x < y);
}

/* Insertion sort of categories by positive rate (few categories; qsort has no context). */
static void sort_cats(uint32_t *c, int m, const double *rate)
{
    for (int i = 1; i < m; i++) {
        uint32_t v = c[i];
        int j = i - 1;
        while (j >= 0 && cmp_rate(&c[j], &v, rate) > 0) {
            c[j + 1] = c[j];
            j--;
        }
        c[j + 1] = v;
    }
}

static void set_cats(split_best *best, const uint32_t *cats, int from, int m)
{
    memset(best->cat_set, 0, sizeof best->cat_set);
    for (int i = from; i < m; i++) best->cat_set[cats[i] >> 6] |= 1ULL << (cats[i] & 63);
}

/* Categorical split. Categories sorted by positive rate make the best binary partition for
 * Gini a prefix of that order (Breiman), so one left-to-right scan finds it: the prefix goes
 * left, the rest (the set) right. Categories with fewer than CAT_MIN_SUPPORT rows in the node
 * are not ranked and stay left with unseen ones: ranking them by a rate from a handful of rows
 * lets every small node isolate its few positives through a many-level feature (a 50-state
 * column then tops the importances and costs about 0.01 test AUC on the lending club data). */
static void eval_categorical(worker *wk, const hist_bin *h, int f, int lo, int hi, split_best *best)
{
    const hist_bin *m = &h[LL_BIN_MISSING];
    int msl = wk->sh->p->min_samples_leaf;
    uint32_t *cats = wk->cats;
    double *rate = wk->rate;
    int nr = 0;
    double nw = 0, nwp = 0, sw = 0, swp = 0;
    uint32_t nc = 0, sc = 0;
    for (int b = lo; b <= hi; b++) {
        if (!h[b].cnt) continue;
        nw += h[b].w;
        nwp += h[b].wp;
        nc += h[b].cnt;
        if (h[b].cnt < CAT_MIN_SUPPORT) {
            sw += h[b].w;
            swp += h[b].wp;
            sc += h[b].cnt;
            continue;
        }
        cats[nr++] = (uint32_t)b;
        rate[b] = h[b].wp / h[b].w;
    }
    sort_cats(cats, nr, rate);
    double lw = sw, lwp = swp;
    uint32_t lc = sc;
    for (int k = sc ? 0 : 1; k < nr; k++) {
        if (k > 0) {
            const hist_bin *hb = &h[cats[k - 1]];
            lw += hb->w;
            lwp += hb->wp;
            lc += hb->cnt;
        }
        double rw = nw - lw, rwp = nwp - lwp;
        uint32_t rc = nc - lc;
        if (try_split(best, msl, lw, lwp, lc, rw + m->w, rwp + m->wp, rc + m->cnt)) {
            best->feature = f;
            best->is_cat = 1;
            best->default_left = m->cnt ? 0 : lc >= rc;
            set_cats(best, cats, k, nr);
        }
        if (m->cnt && try_split(best, msl, lw + m->w, lwp + m->wp, lc + m->cnt, rw, rwp, rc)) {
            best->feature = f;
            best->is_cat = 1;
            best->default_left = 1;
            set_cats(best, cats, k, nr);
        }
    }
    /* Missing against every category. */
    if (m->cnt && try_split(best, msl, nw, nwp, nc, m->w, m->wp, m->cnt)) {
        best->feature = f;
        best->is_cat = 1;
        best->default_left = 0;
        memset(best->cat_set, 0, sizeof best->cat_set);
    }
}

static inline int goes_left(const ll_tree_node *nd, unsigned v)
{
    if (v == LL_BIN_MISSING) return nd->default_left;
    if (nd->is_cat) return !ll_tree_cat_in(nd, (int)v);
    return v <= nd->split_bin;
}

static int stack_reserve(worker *wk, size_t need, int nfeat)
{
    if (need <= wk->stack_cap) return 0;
    size_t cap = wk->stack_cap ? wk->stack_cap * 2 : 64;
    while (cap < need) cap *= 2;
    stack_ent *s = realloc(wk->stack, cap * sizeof *s);
    if (!s) return -1;
    wk->stack = s;
    uint8_t *k = realloc(wk->konst, cap * (size_t)nfeat);
    if (!k) return -1;
    wk->konst = k;
    wk->stack_cap = cap;
    return 0;
}

static int should_stop(const fit_shared *sh)
{
    return atomic_load_explicit(&sh->stop, memory_order_relaxed) || (sh->cancel && *sh->cancel);
}

/* Grow tree t (depth first, row indexes partitioned in place so every node owns a contiguous
 * and still sorted range; no allocation per node). */
static ll_status build_tree(worker *wk, int t, ll_tree *tree)
{
    fit_shared *sh = wk->sh;
    const ll_binned *b = sh->b;
    const ll_forest_params *p = sh->p;
    size_t n = b->n;
    int nfeat = b->nfeat;

    size_t nin = 0;
    double tw = 0, twp = 0;
    if (p->bootstrap) draw_bootstrap(p->seed, t, n, wk->counts);
    for (size_t r = 0; r < n; r++) {
        uint32_t c = p->bootstrap ? wk->counts[r] : 1;
        if (!c) continue;
        double w = c * sh->cw[sh->y[r]];
        wk->rows[nin] = (uint32_t)r;
        wk->w[nin] = w;
        wk->wy[nin] = sh->y[r] ? w : 0.0;
        tw += w;
        twp += wk->wy[nin];
        nin++;
    }
    /* Feature draws continue the tree's stream after the bootstrap draws. */
    rng r;
    rng_seed_tree(&r, p->seed, t);
    if (p->bootstrap)
        for (size_t i = 0; i < n; i++) (void)rng_below(&r, (uint32_t)n);
    for (int f = 0; f < nfeat; f++) wk->feat[f] = f;

    ll_tree_node nd0;
    memset(&nd0, 0, sizeof nd0);
    nd0.left = nd0.right = -1;
    if (ll_tree_push(tree, &nd0) < 0) return LL_ENOMEM;
    if (stack_reserve(wk, 64, nfeat)) return LL_ENOMEM;
    size_t sp = 0;
    wk->stack[sp] = (stack_ent){0, 0, (uint32_t)nin, 0, tw, twp};
    memset(wk->konst, 0, (size_t)nfeat);
    sp++;
    unsigned long nodes = 0;

    while (sp) {
        if ((++nodes & 255) == 0 && should_stop(sh)) return LL_ECANCELLED;
        stack_ent e = wk->stack[--sp];
        uint8_t *konst = wk->konst + sp * (size_t)nfeat;
        uint32_t cnt = e.end - e.start;
        ll_tree_node *nd = &tree->nodes[e.node];
        nd->value = e.w > 0 ? e.wp / e.w : 0.0;
        nd->cover = e.w;
        double pr = e.w > 0 ? e.wp / e.w : 0.0;
        double gini = 2.0 * pr * (1.0 - pr);
        if ((p->max_depth > 0 && e.depth >= p->max_depth) || cnt < 2 ||
            cnt < 2u * (uint32_t)p->min_samples_leaf || gini <= PURE_EPS)
            continue;

        split_best best;
        memset(&best, 0, sizeof best);
        best.proxy = -INFINITY;
        best.feature = -1;
        /* Features are drawn without replacement (partial Fisher-Yates); features found
         * constant higher up are not drawn again and, as in scikit-learn, constant features
         * do not count towards max_features. */
        int visited = 0;
        for (int i = 0; i < nfeat && visited < sh->mtry; i++) {
            int j = i + (int)rng_below(&r, (uint32_t)(nfeat - i));
            int f = wk->feat[j];
            wk->feat[j] = wk->feat[i];
            wk->feat[i] = f;
            if (konst[f]) continue;
            /* Rows stay sorted within a node, so the column is read front to back. */
            const uint8_t *col = b->bins[f];
            hist_bin *h = wk->hist;
            unsigned lo = 255, hi = 0;
            for (uint32_t k = e.start; k < e.end; k++) {
                unsigned v = col[wk->rows[k]];
                h[v].w += wk->w[k];
                h[v].wp += wk->wy[k];
                h[v].cnt++;
                lo = v < lo ? v : lo;
                hi = (v != LL_BIN_MISSING && v > hi) ? v : hi;
            }
            int has_miss = h[LL_BIN_MISSING].cnt > 0;
            if (lo <= hi && (lo < hi || has_miss)) {
                /* lo == hi with missing rows still splits on missingness. */
                visited++;
                if (b->is_cat[f])
                    eval_categorical(wk, h, f, (int)lo, (int)hi, &best);
                else
                    eval_numeric(wk, h, f, (int)lo, (int)hi, b->nbins[f], &best);
            } else {
                konst[f] = 1;
            }
            /* Clear only what was touched: deep nodes occupy a few bins. */
            if (lo <= hi) memset(&h[lo], 0, (hi - lo + 1) * sizeof *h);
            memset(&h[LL_BIN_MISSING], 0, sizeof *h);
        }
        if (best.feature < 0) continue;

        /* Partition rows: left side compacted in place (stable), right side via temp. */
        nd->feature = best.feature;
        nd->is_cat = (uint8_t)best.is_cat;
        nd->default_left = (uint8_t)best.default_left;
        nd->split_bin = (uint8_t)(best.is_cat ? 0 : best.split_bin);
        memcpy(nd->cat_set, best.cat_set, sizeof nd->cat_set);
        if (best.is_cat)
            nd->threshold = 0;
        else if (best.split_bin >= b->nbins[best.feature] - 1 || !b->cuts[best.feature])
            nd->threshold = INFINITY;
        else
            nd->threshold = b->cuts[best.feature][best.split_bin];
        nd->gain = best.proxy - node_proxy(e.w, e.wp);

        const uint8_t *col = b->bins[best.feature];
        uint32_t nl = e.start, nr = 0;
        double lw = 0, lwp = 0, rw = 0, rwp = 0;
        for (uint32_t k = e.start; k < e.end; k++) {
            uint32_t row = wk->rows[k];
            if (goes_left(nd, col[row])) {
                wk->rows[nl] = row;
                wk->w[nl] = wk->w[k];
                wk->wy[nl] = wk->wy[k];
                lw += wk->w[k];
                lwp += wk->wy[k];
                nl++;
            } else {
                wk->rtmp[nr] = row;
                wk->wtmp[nr] = wk->w[k];
                wk->wytmp[nr] = wk->wy[k];
                rw += wk->w[k];
                rwp += wk->wy[k];
                nr++;
            }
        }
        memcpy(wk->rows + nl, wk->rtmp, nr * sizeof *wk->rows);
        memcpy(wk->w + nl, wk->wtmp, nr * sizeof *wk->w);
        memcpy(wk->wy + nl, wk->wytmp, nr * sizeof *wk->wy);

        int32_t li = ll_tree_push(tree, &nd0);
        int32_t ri = li < 0 ? -1 : ll_tree_push(tree, &nd0);
        if (ri < 0) return LL_ENOMEM;
        nd = &tree->nodes[e.node]; /* push may have moved the array */
        nd->left = li;
        nd->right = ri;
        if (stack_reserve(wk, sp + 2, nfeat)) return LL_ENOMEM;
        konst = wk->konst + sp * (size_t)nfeat;
        /* Right child reuses the parent's slot (and its constant flags); left goes on top. */
        wk->stack[sp] = (stack_ent){ri, nl, e.end, e.depth + 1, rw, rwp};
        wk->stack[sp + 1] = (stack_ent){li, e.start, nl, e.depth + 1, lw, lwp};
        memcpy(konst + nfeat, konst, (size_t)nfeat);
        sp += 2;
    }
    return LL_OK;
}

static void *worker_main(void *arg)
{
    worker *wk = arg;
    fit_shared *sh = wk->sh;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        if (atomic_load(&sh->stop) || sh->next >= sh->ntrees) {
            pthread_mutex_unlock(&sh->mu);
            break;
        }
        int t = sh->next++;
        pthread_mutex_unlock(&sh->mu);
        ll_status st = should_stop(sh) ? LL_ECANCELLED : build_tree(wk, t, &sh->trees[t]);
        pthread_mutex_lock(&sh->mu);
        sh->status[t] = st;
        sh->done[t] = 1;
        if (st != LL_OK) atomic_store(&sh->stop, 1);
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
    }
    return NULL;
}

static void worker_free(worker *wk)
{
    free(wk->counts);
    free(wk->rows);
    free(wk->rtmp);
    free(wk->w);
    free(wk->wy);
    free(wk->wtmp);
    free(wk->wytmp);
    free(wk->feat);
    free(wk->stack);
    free(wk->konst);
}

static int worker_init(worker *wk, fit_shared *sh)
{
    size_t n = sh->b->n;
    memset(wk, 0, sizeof *wk);
    wk->sh = sh;
    wk->counts = malloc(n * sizeof *wk->counts);
    wk->rows = malloc(n * sizeof *wk->rows);
    wk->rtmp = malloc(n * sizeof *wk->rtmp);
    wk->w = malloc(n * sizeof *wk->w);
    wk->wy = malloc(n * sizeof *wk->wy);
    wk->wtmp = malloc(n * sizeof *wk->wtmp);
    wk->wytmp = malloc(n * sizeof *wk->wytmp);
    wk->feat = malloc((size_t)sh->b->nfeat * sizeof *wk->feat);
    if (!wk->counts || !wk->rows || !wk->rtmp || !wk->w || !wk->wy || !wk->wtmp || !wk->wytmp ||
        !wk->feat)
        return -1;
    return 0;
}

/* ---- fitting ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double mean_logloss(const uint8_t *y, const double *p, const uint8_t *use, size_t n)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        double q = p[i] < 1e-15 ? 1e-15 : p[i] > 1 - 1e-15 ? 1 - 1e-15 : p[i];
        s -= y[i] ? log(q) : log(1 - q);
        k++;
    }
    return k ? s / (double)k : NAN;
}

/* AUC over the rows flagged in use (all rows when use is NULL and ctx is given). */
static double subset_auc(ll_auc_ctx *ctx, const uint8_t *y, const double *p, const uint8_t *use,
                         size_t n, double *ybuf, double *pbuf)
{
    if (!use) return ctx ? ll_auc_ctx_eval(ctx, p) : NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!use[i]) continue;
        ybuf[k] = y[i];
        pbuf[k] = p[i];
        k++;
    }
    double auc = NAN;
    if (ll_metrics_auc(ybuf, pbuf, k, NULL, &auc, NULL) != LL_OK) return NAN;
    return auc;
}

static ll_status check_binned(const ll_binned *b, const char *what, ll_error *err)
{
    if (!b->bins || !b->nbins || !b->is_cat)
        return ll_error_set(err, LL_EINVAL, "random forest: %s matrix is incomplete", what);
    for (int f = 0; f < b->nfeat; f++) {
        if (b->nbins[f] < 0 || b->nbins[f] > 255 || !b->bins[f])
            return ll_error_set(err, LL_EINVAL, "random forest: %s feature %d has bad bins", what,
                                f);
        if (!b->is_cat[f] && b->nbins[f] > 1 && !b->cuts)
            return ll_error_set(err, LL_EINVAL, "random forest: %s feature %d has no cuts", what,
                                f);
        if (!b->is_cat[f] && b->nbins[f] > 1 && !b->cuts[f])
            return ll_error_set(err, LL_EINVAL, "random forest: %s feature %d has no cuts", what,
                                f);
        const uint8_t *c = b->bins[f];
        unsigned nb = (unsigned)b->nbins[f];
        for (size_t i = 0; i < b->n; i++)
            if (c[i] >= nb && c[i] != LL_BIN_MISSING)
                return ll_error_set(err, LL_EINVAL,
                                    "random forest: %s feature %d row %zu: bin %u out of range",
                                    what, f, i, (unsigned)c[i]);
    }
    return LL_OK;
}

static ll_status labels_u8(const double *y, size_t n, const char *what, uint8_t **out,
                           ll_error *err)
{
    uint8_t *u = malloc(n ? n : 1);
    if (!u) return ll_error_set(err, LL_ENOMEM, "random forest: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0.0 && y[i] != 1.0) {
            free(u);
            return ll_error_set(err, LL_EINVAL, "random forest: %s label of row %zu is not 0/1",
                                what, i);
        }
        u[i] = y[i] == 1.0;
    }
    *out = u;
    return LL_OK;
}

ll_status ll_forest_fit(const ll_binned *train, const double *y, const ll_binned *valid,
                        const double *yvalid, const ll_forest_params *p, ll_fit_fn cb, void *ud,
                        const volatile int *cancel, ll_forest **out, ll_error *err)
{
    char msg[200];
    double t0 = now_s();
    if (out) *out = NULL;
    if (!train || !y || !p || !out)
        return ll_error_set(err, LL_EINVAL, "random forest: missing argument");
    if (ll_forest_params_check(p, msg, sizeof msg))
        return ll_error_set(err, LL_EINVAL, "random forest: %s", msg);
    if (train->n == 0 || train->nfeat <= 0)
        return ll_error_set(err, LL_EINVAL, "random forest: no training rows or features");
    if (train->n > UINT32_MAX)
        return ll_error_set(err, LL_EINVAL, "random forest: too many rows (%zu)", train->n);
    if (valid && (!yvalid || valid->nfeat != train->nfeat))
        return ll_error_set(err, LL_EINVAL,
                            "random forest: validation matrix does not match training features");
    ll_status st = check_binned(train, "training", err);
    if (st == LL_OK && valid) st = check_binned(valid, "validation", err);
    if (st != LL_OK) return st;

    size_t n = train->n, nv = valid ? valid->n : 0;
    int nfeat = train->nfeat, ntrees = p->n_trees;
    uint8_t *yu = NULL, *yvu = NULL;
    if ((st = labels_u8(y, n, "training", &yu, err)) != LL_OK) return st;
    if (valid && (st = labels_u8(yvalid, nv, "validation", &yvu, err)) != LL_OK) {
        free(yu);
        return st;
    }

    fit_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.b = train;
    sh.y = yu;
    sh.p = p;
    sh.ntrees = ntrees;
    sh.cancel = cancel;
    sh.cw[0] = sh.cw[1] = 1.0;
    if (p->class_weight_balanced) {
        size_t npos = 0;
        for (size_t i = 0; i < n; i++) npos += yu[i];
        /* scikit-learn's "balanced": n / (n_classes * count); an absent class needs none. */
        if (npos > 0 && npos < n) {
            sh.cw[1] = (double)n / (2.0 * (double)npos);
            sh.cw[0] = (double)n / (2.0 * (double)(n - npos));
        }
    }
    sh.mtry = p->max_features > 0 ? (int)(p->max_features * nfeat) : (int)sqrt((double)nfeat);
    if (sh.mtry < 1) sh.mtry = 1;
    if (sh.mtry > nfeat) sh.mtry = nfeat;
    atomic_init(&sh.stop, 0);

    int nworkers = p->threads < ntrees ? p->threads : ntrees;
    ll_forest *m = calloc(1, sizeof *m);
    sh.trees = calloc((size_t)ntrees, sizeof *sh.trees);
    sh.status = calloc((size_t)ntrees, sizeof *sh.status);
    sh.done = calloc((size_t)ntrees, 1);
    worker *wks = calloc((size_t)nworkers, sizeof *wks);
    pthread_t *tids = calloc((size_t)nworkers, sizeof *tids);
    double *oob_sum = calloc(n, sizeof *oob_sum), *oob_p = malloc(n * sizeof *oob_p);
    uint32_t *oob_cnt = calloc(n, sizeof *oob_cnt), *bag = malloc(n * sizeof *bag);
    uint8_t *oob_use = malloc(n);
    double *ybuf = malloc(n * sizeof *ybuf), *pbuf = malloc(n * sizeof *pbuf);
    double *vsum = calloc(nv ? nv : 1, sizeof *vsum), *vp = malloc((nv ? nv : 1) * sizeof *vp);
    ll_auc_ctx *train_ctx = NULL, *valid_ctx = NULL;
    int started = 0, mu_ok = 0;
    if (!m || !sh.trees || !sh.status || !sh.done || !wks || !tids || !oob_sum || !oob_p ||
        !oob_cnt || !bag || !oob_use || !ybuf || !pbuf || !vsum || !vp) {
        st = ll_error_set(err, LL_ENOMEM, "random forest: out of memory");
        goto done;
    }
    if (valid && nv && ll_auc_ctx_new_u8(yvu, nv, NULL, &valid_ctx, NULL) != LL_OK) {
        st = ll_error_set(err, LL_ENOMEM, "random forest: out of memory");
        goto done;
    }
    for (int i = 0; i < nworkers; i++)
        if (worker_init(&wks[i], &sh)) {
            st = ll_error_set(err, LL_ENOMEM, "random forest: out of memory");
            goto done;
        }
    if (pthread_mutex_init(&sh.mu, NULL)) {
        st = ll_error_set(err, LL_ENOMEM, "random forest: cannot create a mutex");
        goto done;
    }
    if (pthread_cond_init(&sh.cv, NULL)) {
        pthread_mutex_destroy(&sh.mu);
        st = ll_error_set(err, LL_ENOMEM, "random forest: cannot create a condition variable");
        goto done;
    }
    mu_ok = 1;
    for (int i = 0; i < nworkers; i++) {
        if (pthread_create(&tids[i], NULL, worker_main, &wks[i])) {
            atomic_store(&sh.stop, 1);
            st = ll_error_set(err, LL_ENOMEM, "random forest: cannot start a worker thread");
            goto join;
        }
        started++;
    }

    /* Consume finished trees strictly in tree order: OOB and validation sums, hence every
     * reported number, are then independent of scheduling. */
    int covered = 0; /* every training row has at least one OOB vote */
    for (int t = 0; t < ntrees; t++) {
        pthread_mutex_lock(&sh.mu);
        while (!sh.done[t] && !atomic_load(&sh.stop)) pthread_cond_wait(&sh.cv, &sh.mu);
        int ok = sh.done[t] && sh.status[t] == LL_OK;
        pthread_mutex_unlock(&sh.mu);
        if (!ok) break;
        const ll_tree *tr = &sh.trees[t];
        ll_fit_progress pg;
        memset(&pg, 0, sizeof pg);
        pg.iteration = t + 1;
        pg.total = ntrees;
        pg.train_logloss = pg.train_auc = pg.valid_logloss = pg.valid_auc = NAN;
        if (p->bootstrap) {
            draw_bootstrap(p->seed, t, n, bag);
            for (size_t r = 0; r < n; r++) {
                if (bag[r]) continue;
                oob_sum[r] += tr->nodes[ll_tree_leaf_binned(tr, train, r)].value;
                oob_cnt[r]++;
            }
            size_t k = 0;
            for (size_t r = 0; r < n; r++) {
                oob_use[r] = oob_cnt[r] > 0;
                k += oob_use[r];
                oob_p[r] = oob_cnt[r] ? oob_sum[r] / oob_cnt[r] : 0.5;
            }
            if (k == n && !covered) {
                covered = 1;
                if (ll_auc_ctx_new_u8(yu, n, NULL, &train_ctx, NULL) != LL_OK) train_ctx = NULL;
            }
        } else {
            for (size_t r = 0; r < n; r++) {
                oob_sum[r] += tr->nodes[ll_tree_leaf_binned(tr, train, r)].value;
                oob_p[r] = oob_sum[r] / (t + 1);
            }
            if (!covered) {
                covered = 1;
                if (ll_auc_ctx_new_u8(yu, n, NULL, &train_ctx, NULL) != LL_OK) train_ctx = NULL;
            }
        }
        /* Sorting for the AUC costs more than the log loss: on big data only every few
         * trees (and always on the last one). */
        size_t stride = (n + nv) / 200000 + 1;
        int want_auc = t == ntrees - 1 || (size_t)t % stride == 0;
        const uint8_t *use = covered ? NULL : oob_use;
        pg.train_logloss = mean_logloss(yu, oob_p, use, n);
        if (want_auc) pg.train_auc = subset_auc(train_ctx, yu, oob_p, use, n, ybuf, pbuf);
        if (valid && nv) {
            for (size_t r = 0; r < nv; r++) {
                vsum[r] += tr->nodes[ll_tree_leaf_binned(tr, valid, r)].value;
                vp[r] = vsum[r] / (t + 1);
            }
            pg.valid_logloss = mean_logloss(yvu, vp, NULL, nv);
            if (want_auc) pg.valid_auc = ll_auc_ctx_eval(valid_ctx, vp);
        }
        if (t == ntrees - 1)
            m->oob_auc =
                p->bootstrap
                    ? (covered ? pg.train_auc : subset_auc(NULL, yu, oob_p, oob_use, n, ybuf, pbuf))
                    : NAN;
        pg.elapsed_s = now_s() - t0;
        if ((cb && cb(&pg, ud)) || (cancel && *cancel)) {
            atomic_store(&sh.stop, 1);
            break;
        }
    }

join:
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    if (st == LL_OK) {
        ll_status first = LL_OK;
        for (int t = 0; t < ntrees; t++) {
            if (!sh.done[t] || sh.status[t] == LL_OK) continue;
            if (first == LL_OK || first == LL_ECANCELLED) first = sh.status[t];
        }
        if (first == LL_OK && atomic_load(&sh.stop)) first = LL_ECANCELLED;
        if (first == LL_ECANCELLED)
            st = ll_error_set(err, LL_ECANCELLED, "random forest: training cancelled");
        else if (first != LL_OK)
            st = ll_error_set(err, first, "random forest: out of memory while growing trees");
    }
    if (st == LL_OK) {
        m->nfeat = nfeat;
        m->ntrees = ntrees;
        m->trees = sh.trees;
        m->params = *p;
        sh.trees = NULL;
        *out = m;
        m = NULL;
    }

done:
    if (mu_ok) {
        pthread_cond_destroy(&sh.cv);
        pthread_mutex_destroy(&sh.mu);
    }
    if (sh.trees)
        for (int t = 0; t < ntrees; t++) ll_tree_free(&sh.trees[t]);
    free(sh.trees);
    if (wks)
        for (int i = 0; i < nworkers; i++) worker_free(&wks[i]);
    free(wks);
    free(tids);
    free(sh.status);
    free(sh.done);
    free(oob_sum);
    free(oob_p);
    free(oob_cnt);
    free(bag);
    free(oob_use);
    free(ybuf);
    free(pbuf);
    free(vsum);
    free(vp);
    ll_auc_ctx_free(train_ctx);
    ll_auc_ctx_free(valid_ctx);
    free(yu);
    free(yvu);
    free(m);
    return st;
}

/* ---- prediction and inspection ---- */

void ll_forest_predict_binned(const ll_forest *m, const ll_binned *b, double *prob_out)
{
    memset(prob_out, 0, b->n * sizeof *prob_out);
    for (int t = 0; t < m->ntrees; t++) {
        const ll_tree *tr = &m->trees[t];
        for (size_t r = 0; r < b->n; r++)
            prob_out[r] += tr->nodes[ll_tree_leaf_binned(tr, b, r)].value;
    }
    for (size_t r = 0; r < b->n; r++) prob_out[r] /= m->ntrees;
}

void ll_forest_predict_raw(const ll_forest *m, const double *x_rowmajor, size_t n, double *prob_out)
{
    /* Same summation order as predict_binned, so both give bit-identical results. */
    memset(prob_out, 0, n * sizeof *prob_out);
    for (int t = 0; t < m->ntrees; t++) {
        const ll_tree *tr = &m->trees[t];
        for (size_t r = 0; r < n; r++)
            prob_out[r] += tr->nodes[ll_tree_leaf_raw(tr, x_rowmajor + r * (size_t)m->nfeat)].value;
    }
    for (size_t r = 0; r < n; r++) prob_out[r] /= m->ntrees;
}

double ll_forest_oob_auc(const ll_forest *m)
{
    return m->oob_auc;
}

int ll_forest_nfeat(const ll_forest *m)
{
    return m->nfeat;
}

int ll_forest_ntrees(const ll_forest *m)
{
    return m->ntrees;
}

const ll_tree *ll_forest_tree(const ll_forest *m, int i)
{
    return m && i >= 0 && i < m->ntrees ? &m->trees[i] : NULL;
}

void ll_forest_importance(const ll_forest *m, double *gain_out)
{
    /* scikit-learn's feature_importances_: each tree's impurity decreases normalised to sum
     * to 1, averaged over trees, normalised again. */
    int nf = m->nfeat;
    memset(gain_out, 0, (size_t)nf * sizeof *gain_out);
    double *tmp = calloc((size_t)nf, sizeof *tmp);
    if (!tmp) return;
    for (int t = 0; t < m->ntrees; t++) {
        const ll_tree *tr = &m->trees[t];
        memset(tmp, 0, (size_t)nf * sizeof *tmp);
        double s = 0;
        for (int32_t i = 0; i < tr->n; i++) {
            const ll_tree_node *nd = &tr->nodes[i];
            if (nd->left < 0 || nd->feature < 0 || nd->feature >= nf) continue;
            tmp[nd->feature] += nd->gain;
            s += nd->gain;
        }
        if (s > 0)
            for (int f = 0; f < nf; f++) gain_out[f] += tmp[f] / s;
    }
    double s = 0;
    for (int f = 0; f < nf; f++) s += gain_out[f];
    if (s > 0)
        for (int f = 0; f < nf; f++) gain_out[f] /= s;
    free(tmp);
}

/* ---- JSON ---- */

/* Trees are stored as one compact text string each ("L value cover" for leaves, "N"/"C" records
 * for numeric/categorical splits, ';' between nodes): forests of deep trees have 10^5+ nodes
 * and a JSON value per field would cost far more memory than the model itself. */
typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->oom) return;
    if (b->len + l + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + l + 1) cap *= 2;
        char *n = realloc(b->s, cap);
        if (!n) {
            b->oom = 1;
            return;
        }
        b->s = n;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, l + 1);
    b->len += l;
}

static void sb_num(sbuf *b, double v)
{
    char buf[40];
    if (isinf(v))
        sb_put(b, v > 0 ? "inf" : "-inf");
    else
        sb_put(b, ll_numfmt_double(v, buf, sizeof buf));
}

static void sb_int(sbuf *b, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    sb_put(b, buf);
}

static char *tree_to_text(const ll_tree *t)
{
    sbuf b = {0};
    char buf[24];
    for (int32_t i = 0; i < t->n; i++) {
        const ll_tree_node *nd = &t->nodes[i];
        if (i) sb_put(&b, ";");
        if (nd->left < 0) {
            sb_put(&b, "L ");
            sb_num(&b, nd->value);
            sb_put(&b, " ");
            sb_num(&b, nd->cover);
            continue;
        }
        sb_put(&b, nd->is_cat ? "C " : "N ");
        sb_int(&b, nd->left);
        sb_put(&b, " ");
        sb_int(&b, nd->right);
        sb_put(&b, " ");
        sb_int(&b, nd->feature);
        sb_put(&b, nd->default_left ? " 1 " : " 0 ");
        if (nd->is_cat) {
            for (int k = 0; k < 4; k++) {
                snprintf(buf, sizeof buf, "%llx ", (unsigned long long)nd->cat_set[k]);
                sb_put(&b, buf);
            }
        } else {
            sb_int(&b, nd->split_bin);
            sb_put(&b, " ");
            sb_num(&b, nd->threshold);
            sb_put(&b, " ");
        }
        sb_num(&b, nd->gain);
        sb_put(&b, " ");
        sb_num(&b, nd->cover);
        sb_put(&b, " ");
        sb_num(&b, nd->value);
    }
    if (!b.s) sb_put(&b, "");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

cJSON *ll_forest_to_json(const ll_forest *m)
{
    char buf[40];
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON *pj = cJSON_AddObjectToObject(j, "params"), *arr = cJSON_AddArrayToObject(j, "trees");
    if (!pj || !arr) goto fail;
    const ll_forest_params *p = &m->params;
    if (!cJSON_AddStringToObject(j, "format", FOREST_FORMAT) ||
        !cJSON_AddNumberToObject(j, "version", FOREST_VERSION) ||
        !cJSON_AddNumberToObject(j, "nfeat", m->nfeat) ||
        !cJSON_AddNumberToObject(j, "n_trees", m->ntrees) ||
        !(isnan(m->oob_auc)
              ? cJSON_AddNullToObject(j, "oob_auc")
              : cJSON_AddRawToObject(j, "oob_auc", ll_numfmt_double(m->oob_auc, buf, sizeof buf))))
        goto fail;
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)p->seed);
    if (!cJSON_AddNumberToObject(pj, "n_trees", p->n_trees) ||
        !cJSON_AddNumberToObject(pj, "max_depth", p->max_depth) ||
        !cJSON_AddNumberToObject(pj, "min_samples_leaf", p->min_samples_leaf) ||
        !cJSON_AddStringToObject(pj, "seed", buf) ||
        !cJSON_AddRawToObject(pj, "max_features",
                              ll_numfmt_double(p->max_features, buf, sizeof buf)) ||
        !cJSON_AddBoolToObject(pj, "bootstrap", p->bootstrap) ||
        !cJSON_AddNumberToObject(pj, "threads", p->threads) ||
        !cJSON_AddBoolToObject(pj, "class_weight_balanced", p->class_weight_balanced))
        goto fail;
    for (int t = 0; t < m->ntrees; t++) {
        char *s = tree_to_text(&m->trees[t]);
        cJSON *it = s ? cJSON_CreateString(s) : NULL;
        free(s);
        if (!it) goto fail;
        if (!cJSON_AddItemToArray(arr, it)) {
            cJSON_Delete(it);
            goto fail;
        }
    }
    return j;
fail:
    cJSON_Delete(j);
    return NULL;
}

typedef struct {
    const char *s;
    int bad;
} lexer;

static size_t lex_token(lexer *lx, const char **tok)
{
    while (*lx->s == ' ') lx->s++;
    *tok = lx->s;
    size_t l = strcspn(lx->s, " ;");
    lx->s += l;
    if (!l) lx->bad = 1;
    return l;
}

static double lex_num(lexer *lx)
{
    const char *t;
    size_t l = lex_token(lx, &t);
    double v = 0;
    if (l == 3 && !memcmp(t, "inf", 3)) return INFINITY;
    if (l == 4 && !memcmp(t, "-inf", 4)) return -INFINITY;
    if (!l || !ll_numparse(t, l, &v)) lx->bad = 1;
    return v;
}

static long long lex_int(lexer *lx)
{
    const char *t;
    size_t l = lex_token(lx, &t);
    long long v = 0;
    if (!l || l > 18) {
        lx->bad = 1;
        return 0;
    }
    int neg = *t == '-';
    size_t i = neg;
    if (i == l) lx->bad = 1;
    for (; i < l; i++) {
        if (t[i] < '0' || t[i] > '9') {
            lx->bad = 1;
            return 0;
        }
        v = v * 10 + (t[i] - '0');
    }
    return neg ? -v : v;
}

static uint64_t lex_hex(lexer *lx)
{
    const char *t;
    size_t l = lex_token(lx, &t);
    uint64_t v = 0;
    if (!l || l > 16) lx->bad = 1;
    for (size_t i = 0; i < l && !lx->bad; i++) {
        int d = t[i] >= '0' && t[i] <= '9'   ? t[i] - '0'
                : t[i] >= 'a' && t[i] <= 'f' ? t[i] - 'a' + 10
                                             : -1;
        if (d < 0) lx->bad = 1;
        v = v << 4 | (uint64_t)(d < 0 ? 0 : d);
    }
    return v;
}

static ll_status tree_from_text(const char *s, int nfeat, ll_tree *t, int ti, ll_error *err)
{
    lexer lx = {s, 0};
    ll_tree_node nd;
    while (!lx.bad) {
        memset(&nd, 0, sizeof nd);
        nd.left = nd.right = -1;
        while (*lx.s == ' ') lx.s++;
        char kind = *lx.s;
        if (kind != 'L' && kind != 'N' && kind != 'C') {
            lx.bad = 1;
            break;
        }
        lx.s++;
        if (kind == 'L') {
            nd.value = lex_num(&lx);
            nd.cover = lex_num(&lx);
        } else {
            long long l = lex_int(&lx), r = lex_int(&lx), f = lex_int(&lx), dl = lex_int(&lx);
            if (f < 0 || f >= nfeat || (dl != 0 && dl != 1) || l > INT32_MAX || r > INT32_MAX)
                lx.bad = 1;
            nd.left = (int32_t)l;
            nd.right = (int32_t)r;
            nd.feature = (int32_t)f;
            nd.default_left = (uint8_t)dl;
            if (kind == 'C') {
                nd.is_cat = 1;
                for (int k = 0; k < 4; k++) nd.cat_set[k] = lex_hex(&lx);
            } else {
                long long sb = lex_int(&lx);
                if (sb < 0 || sb > 254) lx.bad = 1;
                nd.split_bin = (uint8_t)sb;
                nd.threshold = lex_num(&lx);
            }
            nd.gain = lex_num(&lx);
            nd.cover = lex_num(&lx);
            nd.value = lex_num(&lx);
        }
        if (lx.bad) break;
        if (ll_tree_push(t, &nd) < 0)
            return ll_error_set(err, LL_ENOMEM, "random forest: out of memory");
        while (*lx.s == ' ') lx.s++;
        if (!*lx.s) break;
        if (*lx.s != ';') lx.bad = 1;
        lx.s++;
    }
    if (!lx.bad && t->n == 0) lx.bad = 1;
    /* Children always follow their parent: this rules out cycles and dangling indexes. */
    for (int32_t i = 0; !lx.bad && i < t->n; i++) {
        const ll_tree_node *x = &t->nodes[i];
        if (x->left >= 0 && (x->left <= i || x->right <= i || x->left >= t->n || x->right >= t->n))
            lx.bad = 1;
    }
    if (lx.bad)
        return ll_error_set(err, LL_EPARSE,
                            "random forest: tree %d: malformed node text near "
                            "offset %ld",
                            ti, (long)(lx.s - s));
    return LL_OK;
}

static int json_int(const cJSON *o, const char *key, int *v)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    /* range first: converting an out-of-range double to int is undefined */
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= INT_MIN && it->valuedouble <= INT_MAX) ||
        it->valuedouble != (double)(int)it->valuedouble)
        return -1;
    *v = (int)it->valuedouble;
    return 0;
}

ll_status ll_forest_from_json(const cJSON *j, ll_forest **out, ll_error *err)
{
    *out = NULL;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
    const cJSON *trees = cJSON_GetObjectItemCaseSensitive(j, "trees");
    const cJSON *oob = cJSON_GetObjectItemCaseSensitive(j, "oob_auc");
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(j, "params");
    int version, nfeat, ntrees;
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, FOREST_FORMAT))
        return ll_error_set(err, LL_EPARSE, "random forest: not a lendlab random forest");
    if (json_int(j, "version", &version) || version != FOREST_VERSION)
        return ll_error_set(err, LL_EPARSE, "random forest: unsupported format version");
    if (json_int(j, "nfeat", &nfeat) || nfeat < 1 || json_int(j, "n_trees", &ntrees) ||
        ntrees < 1 || ntrees > MAX_TREES || !cJSON_IsArray(trees) ||
        cJSON_GetArraySize(trees) != ntrees)
        return ll_error_set(err, LL_EPARSE, "random forest: bad nfeat, n_trees or trees");
    ll_forest *m = calloc(1, sizeof *m);
    if (!m || !(m->trees = calloc((size_t)ntrees, sizeof *m->trees))) {
        free(m);
        return ll_error_set(err, LL_ENOMEM, "random forest: out of memory");
    }
    m->nfeat = nfeat;
    m->ntrees = ntrees;
    m->oob_auc = cJSON_IsNumber(oob) ? oob->valuedouble : NAN;
    ll_forest_params_default(&m->params);
    m->params.n_trees = ntrees;
    if (cJSON_IsObject(pj)) {
        const cJSON *it;
        (void)json_int(pj, "max_depth", &m->params.max_depth);
        (void)json_int(pj, "min_samples_leaf", &m->params.min_samples_leaf);
        (void)json_int(pj, "threads", &m->params.threads);
        it = cJSON_GetObjectItemCaseSensitive(pj, "max_features");
        if (cJSON_IsNumber(it)) m->params.max_features = it->valuedouble;
        it = cJSON_GetObjectItemCaseSensitive(pj, "bootstrap");
        if (cJSON_IsBool(it)) m->params.bootstrap = cJSON_IsTrue(it);
        it = cJSON_GetObjectItemCaseSensitive(pj, "class_weight_balanced");
        if (cJSON_IsBool(it)) m->params.class_weight_balanced = cJSON_IsTrue(it);
        it = cJSON_GetObjectItemCaseSensitive(pj, "seed");
        if (cJSON_IsString(it)) {
            uint64_t s = 0;
            for (const char *c = it->valuestring; *c >= '0' && *c <= '9'; c++)
                s = s * 10 + (uint64_t)(*c - '0');
            m->params.seed = s;
        }
    }
    int t = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, trees)
    {
        ll_status st;
        if (!cJSON_IsString(it))
            st = ll_error_set(err, LL_EPARSE, "random forest: tree %d is not a string", t);
        else
            st = tree_from_text(it->valuestring, nfeat, &m->trees[t], t, err);
        if (st != LL_OK) {
            ll_forest_free(m);
            return st;
        }
        t++;
    }
    *out = m;
    return LL_OK;
}

void ll_forest_free(ll_forest *m)
{
    if (!m) return;
    if (m->trees)
        for (int t = 0; t < m->ntrees; t++) ll_tree_free(&m->trees[t]);
    free(m->trees);
    free(m);
}
