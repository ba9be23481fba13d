/* shap: feature contributions — exact TreeSHAP for gbdt and forest, linear terms for logreg. */
#include "shap.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forest.h"
#include "gbdt.h"
#include "logreg.h"
#include "prep.h"

typedef struct {
    const ll_tree *t;
    double *mean; /* expected value of the subtree under each node */
    int depth;
} shap_tree;

struct ll_shap {
    const ll_model *m;
    ll_model_kind kind;
    int raw; /* route rows on raw values (imported model) instead of plan bins */
    int nfeat;
    ll_shap_space space;
    int ntrees;
    shap_tree *trees;
    double weight; /* per tree: 1 for gbdt, 1 / ntrees for forest */
    double bias;   /* expected value of the model's explained output */
    int maxdepth;
};

/* One row as the trees see it: plan bins (b, r) or raw values x. */
typedef struct {
    const ll_binned *b;
    size_t r;
    const double *x;
} shap_row;

/* One element of the path of unique features (XGBoost's PathElement, in double). */
typedef struct {
    int feature;
    double zero; /* fraction of the "feature absent" mass that flows down this path */
    double one;  /* 1 when the row itself follows this path, else 0 */
    double pweight;
} shap_path;

typedef struct {
    const ll_tree_node *nodes;
    shap_row row;
    double *phi;
    double scale;
} shap_ctx;

const char *ll_shap_space_name(ll_shap_space sp)
{
    return sp == LL_SHAP_PROBABILITY ? "probability" : "log-odds";
}

static int go_left(const ll_tree_node *nd, const shap_row *row)
{
    if (row->b) {
        unsigned v = row->b->bins[nd->feature][row->r];
        if (v == LL_BIN_MISSING) return nd->default_left;
        if (nd->is_cat) return !ll_tree_cat_in(nd, (int)v);
        return v <= nd->split_bin;
    }
    double v = row->x[nd->feature];
    if (isnan(v)) return nd->default_left;
    if (nd->is_cat) return !(v >= 0 && v < 256 && ll_tree_cat_in(nd, (int)v));
    return v < nd->threshold;
}

/* Cover-weighted mean of the leaves under node i, as XGBoost's FillNodeMeanValues. */
static double fill_means(const ll_tree *t, int32_t i, double *mean, int guard)
{
    const ll_tree_node *nd = &t->nodes[i];
    double v;
    if (nd->left < 0 || guard > t->n) {
        v = nd->value;
    } else {
        double l = fill_means(t, nd->left, mean, guard + 1);
        double r = fill_means(t, nd->right, mean, guard + 1);
        double cl = t->nodes[nd->left].cover, cr = t->nodes[nd->right].cover;
        v = nd->cover > 0 ? (l * cl + r * cr) / nd->cover : (l + r) / 2;
    }
    mean[i] = v;
    return v;
}

/* Checks child indexes so a corrupt model cannot send the recursion astray. */
static int tree_valid(const ll_tree *t)
{
    if (!t || t->n < 1 || !t->nodes) return 0;
    for (int32_t i = 0; i < t->n; i++) {
        const ll_tree_node *nd = &t->nodes[i];
        if (nd->left < 0) continue;
        if (nd->left <= i || nd->right <= i || nd->left >= t->n || nd->right >= t->n) return 0;
    }
    return 1;
}

static void extend_path(shap_path *p, int depth, double zero, double one, int feature)
{
    p[depth].feature = feature;
    p[depth].zero = zero;
    p[depth].one = one;
    p[depth].pweight = depth == 0 ? 1.0 : 0.0;
    for (int i = depth - 1; i >= 0; i--) {
        p[i + 1].pweight += one * p[i].pweight * (i + 1) / (double)(depth + 1);
        p[i].pweight = zero * p[i].pweight * (depth - i) / (double)(depth + 1);
    }
}

static void unwind_path(shap_path *p, int depth, int idx)
{
    double one = p[idx].one, zero = p[idx].zero, next = p[depth].pweight;
    for (int i = depth - 1; i >= 0; i--) {
        if (one != 0) {
            double tmp = p[i].pweight;
            p[i].pweight = next * (depth + 1) / ((i + 1) * one);
            next = tmp - p[i].pweight * zero * (depth - i) / (double)(depth + 1);
        } else {
            p[i].pweight = p[i].pweight * (depth + 1) / (zero * (depth - i));
        }
    }
    for (int i = idx; i < depth; i++) {
        p[i].feature = p[i + 1].feature;
        p[i].zero = p[i + 1].zero;
        p[i].one = p[i + 1].one;
    }
}

/* Total weight the path would have with element idx removed. */
static double unwound_sum(const shap_path *p, int depth, int idx)
{
    double one = p[idx].one, zero = p[idx].zero, next = p[depth].pweight, total = 0;
    for (int i = depth - 1; i >= 0; i--) {
        if (one != 0) {
            double tmp = next * (depth + 1) / ((i + 1) * one);
            total += tmp;
            next = p[i].pweight - tmp * zero * ((depth - i) / (double)(depth + 1));
        } else if (zero != 0) {
            total += (p[i].pweight / zero) / ((depth - i) / (double)(depth + 1));
        }
    }
    return total;
}

/* Algorithm 2 of Lundberg et al.: each call extends the path of unique features by the edge
 * into node, so at a leaf every feature on the path gets its Shapley share of the leaf value.
 * parent holds depth + 1 elements; this call's copy goes right after them. */
static void tree_shap(const shap_ctx *c, int32_t node, int depth, shap_path *parent, double pzero,
                      double pone, int pfeat)
{
    shap_path *path = parent + depth + 1;
    memcpy(path, parent, (size_t)(depth + 1) * sizeof *path);
    extend_path(path, depth, pzero, pone, pfeat);
    const ll_tree_node *nd = &c->nodes[node];
    if (nd->left < 0) {
        for (int i = 1; i <= depth; i++) {
            double w = unwound_sum(path, depth, i);
            c->phi[path[i].feature] += w * (path[i].one - path[i].zero) * nd->value * c->scale;
        }
        return;
    }
    int32_t hot = go_left(nd, &c->row) ? nd->left : nd->right;
    int32_t cold = hot == nd->left ? nd->right : nd->left;
    double w = nd->cover;
    double hz = w > 0 ? c->nodes[hot].cover / w : 0.5;
    double cz = w > 0 ? c->nodes[cold].cover / w : 0.5;
    double in_zero = 1, in_one = 1;
    /* a feature already on the path is unwound and re-entered with the combined fractions */
    int k = 0;
    for (; k <= depth; k++)
        if (path[k].feature == nd->feature) break;
    if (k <= depth) {
        in_zero = path[k].zero;
        in_one = path[k].one;
        unwind_path(path, depth, k);
        depth--;
    }
    tree_shap(c, hot, depth + 1, path, hz * in_zero, in_one, nd->feature);
    tree_shap(c, cold, depth + 1, path, cz * in_zero, 0, nd->feature);
}

static size_t path_room(int depth)
{
    size_t d = (size_t)depth + 2;
    return d * (d + 1) / 2 + 1;
}

/* Contributions of one tree for one row, with its means precomputed. */
static void shap_one(const shap_tree *st, const shap_row *row, double scale, double *phi,
                     shap_path *work)
{
    shap_ctx c = {st->t->nodes, *row, phi, scale};
    tree_shap(&c, 0, 0, work, 1, 1, -1);
}

ll_status ll_shap_tree_raw(const ll_tree *t, const double *x, int nfeat, double weight, double *phi,
                           double *bias, ll_error *err)
{
    if (!tree_valid(t)) return ll_error_set(err, LL_EINVAL, "shap: malformed tree");
    for (int32_t i = 0; i < t->n; i++)
        if (t->nodes[i].left >= 0 && (t->nodes[i].feature < 0 || t->nodes[i].feature >= nfeat))
            return ll_error_set(err, LL_EINVAL, "shap: tree splits on feature %d of %d",
                                (int)t->nodes[i].feature, nfeat);
    double *mean = malloc((size_t)t->n * sizeof *mean);
    shap_path *work = malloc(path_room(ll_tree_depth(t)) * sizeof *work);
    if (!mean || !work) {
        free(mean);
        free(work);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    fill_means(t, 0, mean, 0);
    shap_tree st = {t, mean, 0};
    shap_row row = {NULL, 0, x};
    shap_one(&st, &row, weight, phi, work);
    if (bias) *bias += weight * mean[0];
    free(mean);
    free(work);
    return LL_OK;
}

/* ---------- the explainer ---------- */

static ll_status add_tree(ll_shap *s, int i, const ll_tree *t, ll_error *err)
{
    if (!tree_valid(t)) return ll_error_set(err, LL_EPARSE, "shap: tree %d is malformed", i);
    for (int32_t k = 0; k < t->n; k++)
        if (t->nodes[k].left >= 0 && (t->nodes[k].feature < 0 || t->nodes[k].feature >= s->nfeat))
            return ll_error_set(err, LL_EPARSE, "shap: tree %d splits on an unknown feature", i);
    shap_tree *st = &s->trees[i];
    st->t = t;
    if (!(st->mean = malloc((size_t)t->n * sizeof *st->mean)))
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    fill_means(t, 0, st->mean, 0);
    st->depth = ll_tree_depth(t);
    if (st->depth > s->maxdepth) s->maxdepth = st->depth;
    s->bias += s->weight * st->mean[0];
    return LL_OK;
}

ll_status ll_shap_new(const ll_model *m, ll_shap **out, ll_error *err)
{
    *out = NULL;
    ll_shap *s = calloc(1, sizeof *s);
    if (!s) return ll_error_set(err, LL_ENOMEM, "out of memory");
    s->m = m;
    s->kind = ll_model_kind_of(m);
    s->raw = ll_model_is_imported(m);
    s->nfeat = ll_model_nfeat(m);
    s->space = s->kind == LL_MODEL_FOREST ? LL_SHAP_PROBABILITY : LL_SHAP_LOGODDS;
    ll_status st = LL_OK;
    if (s->kind == LL_MODEL_GBDT) {
        const ll_gbdt *g = ll_model_gbdt(m);
        s->ntrees = ll_gbdt_ntrees(g);
        s->weight = 1;
        /* the margin starts from logit(base_score) computed in float, as XGBoost's does */
        float pf = (float)ll_gbdt_base_score(g);
        s->bias = (double)(-logf(1.0f / pf - 1.0f));
        s->trees = calloc((size_t)(s->ntrees ? s->ntrees : 1), sizeof *s->trees);
        if (!s->trees) st = ll_error_set(err, LL_ENOMEM, "out of memory");
        for (int i = 0; !st && i < s->ntrees; i++) st = add_tree(s, i, ll_gbdt_tree(g, i), err);
    } else if (s->kind == LL_MODEL_FOREST) {
        const ll_forest *f = ll_model_forest(m);
        s->ntrees = ll_forest_ntrees(f);
        s->weight = s->ntrees ? 1.0 / s->ntrees : 0;
        s->trees = calloc((size_t)(s->ntrees ? s->ntrees : 1), sizeof *s->trees);
        if (!s->trees) st = ll_error_set(err, LL_ENOMEM, "out of memory");
        for (int i = 0; !st && i < s->ntrees; i++) st = add_tree(s, i, ll_forest_tree(f, i), err);
    } else {
        s->bias = ll_logreg_intercept(ll_model_logreg(m));
    }
    if (st) {
        ll_shap_free(s);
        return st;
    }
    *out = s;
    return LL_OK;
}

void ll_shap_free(ll_shap *s)
{
    if (!s) return;
    if (s->trees)
        for (int i = 0; i < s->ntrees; i++) free(s->trees[i].mean);
    free(s->trees);
    free(s);
}

ll_shap_space ll_shap_space_of(const ll_shap *s)
{
    return s->space;
}

int ll_shap_nfeat(const ll_shap *s)
{
    return s->nfeat;
}

static ll_status explain_linear(const ll_shap *s, const ll_table *t, double *out, ll_error *err)
{
    const ll_prep *p = ll_model_prep(s->m);
    const ll_logreg *lr = ll_model_logreg(s->m);
    ll_design d;
    ll_status st = ll_prep_design(p, t, &d, err);
    if (st) return st;
    const double *w = ll_logreg_coef(lr);
    if (d.nweights != ll_logreg_nweights(lr)) {
        ll_design_free(&d);
        return ll_error_set(err, LL_ESTATE, "shap: the design does not match the model");
    }
    size_t stride = (size_t)s->nfeat + 1;
    for (int j = 0; j < d.pnum; j++) {
        int f = ll_prep_design_num_feature(p, j);
        for (size_t r = 0; r < d.n; r++) out[r * stride + (size_t)f] += w[j] * d.num[j][r];
    }
    for (int g = 0; g < d.ncat; g++) {
        int f = ll_prep_design_cat_feature(p, g);
        for (size_t r = 0; r < d.n; r++) {
            int32_t lvl = d.cat[g][r];
            if (lvl >= 0 && lvl < d.cat_levels[g])
                out[r * stride + (size_t)f] += w[d.cat_offset[g] + lvl];
        }
    }
    ll_design_free(&d);
    return LL_OK;
}

static ll_status explain_trees(const ll_shap *s, const ll_table *t, double *out, ll_error *err)
{
    const ll_prep *p = ll_model_prep(s->m);
    size_t n = t->nrows, nf = (size_t)s->nfeat, stride = nf + 1;
    ll_binned b;
    memset(&b, 0, sizeof b);
    double *x = NULL;
    ll_status st;
    if (s->raw) {
        if (!(x = malloc((n ? n : 1) * (nf ? nf : 1) * sizeof *x)))
            return ll_error_set(err, LL_ENOMEM, "out of memory");
        st = ll_prep_raw(p, t, x, err);
    } else {
        st = ll_prep_binned(p, t, &b, err);
    }
    shap_path *work = NULL;
    if (!st && !(work = malloc(path_room(s->maxdepth) * sizeof *work)))
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
    for (size_t r = 0; !st && r < n; r++) {
        shap_row row = {s->raw ? NULL : &b, r, s->raw ? x + r * nf : NULL};
        for (int i = 0; i < s->ntrees; i++)
            shap_one(&s->trees[i], &row, s->weight, out + r * stride, work);
    }
    free(work);
    free(x);
    if (!s->raw) ll_binned_free(&b);
    return st;
}

ll_status ll_shap_explain(const ll_shap *s, const ll_table *t, double *out, ll_error *err)
{
    size_t stride = (size_t)s->nfeat + 1;
    memset(out, 0, t->nrows * stride * sizeof *out);
    ll_status st =
        s->kind == LL_MODEL_LOGREG ? explain_linear(s, t, out, err) : explain_trees(s, t, out, err);
    if (st) return st;
    for (size_t r = 0; r < t->nrows; r++) out[r * stride + (size_t)s->nfeat] = s->bias;
    return LL_OK;
}
