/* forest: random forest classifier (bagged Gini trees on the binned matrix). */
#ifndef LL_FOREST_H
#define LL_FOREST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "features.h"
#include "tree.h"

typedef struct {
    int n_trees;
    int max_depth; /* 0 = unlimited */
    int min_samples_leaf;
    double max_features; /* fraction of features tried per split; <= 0 = sqrt(nfeat) */
    int bootstrap;       /* 1 = bootstrap sample per tree, 0 = every tree sees all rows */
    int threads;         /* worker threads building trees */
    uint64_t seed;
    int class_weight_balanced; /* 1 = weight classes by n / (2 * n_class) */
} ll_forest_params;

typedef struct ll_forest ll_forest; /* opaque */

/* Defaults: 100 trees, unlimited depth, leaf 1, sqrt(nfeat) features, bootstrap, 2 threads. */
void ll_forest_params_default(ll_forest_params *p);
/* 0 when p is valid, else -1 with a human message in msg. */
int ll_forest_params_check(const ll_forest_params *p, char *msg, size_t len);
/* Fit on train (y: 0/1 labels). valid/yvalid may be NULL; cb (may be NULL) is called once per
 * finished tree in tree order; non-zero from cb or *cancel set gives LL_ECANCELLED. The result
 * depends only on the data, the parameters and the seed (never on thread scheduling). */
ll_status ll_forest_fit(const ll_binned *train, const double *y, const ll_binned *valid,
                        const double *yvalid, const ll_forest_params *p, ll_fit_fn cb, void *ud,
                        const volatile int *cancel, ll_forest **out, ll_error *err);
/* Positive-class probability (mean of the trees' leaf probabilities) for every row of b. */
void ll_forest_predict_binned(const ll_forest *m, const ll_binned *b, double *prob_out);
/* Same on raw rows: x is n rows x nfeat, NaN missing, categorical features as category index. */
void ll_forest_predict_raw(const ll_forest *m, const double *x_rowmajor, size_t n,
                           double *prob_out);
/* Out-of-bag AUC of the training rows (NaN when not available, e.g. without bootstrap). */
double ll_forest_oob_auc(const ll_forest *m);
/* Number of features the forest was trained on. */
int ll_forest_nfeat(const ll_forest *m);
/* Number of trees. */
int ll_forest_ntrees(const ll_forest *m);
/* Tree i (0 <= i < ll_forest_ntrees), or NULL; owned by the forest. Leaf values are
 * positive-class probabilities, covers weighted row counts. */
const ll_tree *ll_forest_tree(const ll_forest *m, int i);
/* Impurity-decrease importance per feature (nfeat values), normalised to sum to 1. */
void ll_forest_importance(const ll_forest *m, double *gain_out);
/* Serialise to lendlab's model.json section (caller owns the cJSON); NULL on ENOMEM. Object
 * {format, version, nfeat, n_trees, oob_auc, params, trees}: each tree is one compact string of
 * ';'-separated nodes in index order: "L value cover" (leaf), "N left right feature default_left
 * split_bin threshold gain cover value" (numeric), "C left right feature default_left w0 w1 w2
 * w3 gain cover value" (categorical; w = cat_set words in hex). */
cJSON *ll_forest_to_json(const ll_forest *m);
/* Rebuild a forest from ll_forest_to_json output. */
ll_status ll_forest_from_json(const cJSON *j, ll_forest **out, ll_error *err);
/* Free a forest (NULL is fine). */
void ll_forest_free(ll_forest *m);

#endif
