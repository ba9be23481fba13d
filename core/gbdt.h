/* gbdt: histogram gradient boosted trees for binary classification (XGBoost hist semantics). */
#ifndef LL_GBDT_H
#define LL_GBDT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "features.h"
#include "tree.h"

/* The learner is XGBoost 1.7's `hist` tree method with objective binary:logistic, depth-wise:
 *  - gradients g = (p - y) w, hessians h = max(p (1 - p), 1e-16) w, w = scale_pos_weight on
 *    positive rows; histograms of double sums per node, the smaller child built from its rows
 *    and its sibling obtained by subtraction from the parent;
 *  - loss change of a split: GL'^2/(HL+lambda) + GR'^2/(HR+lambda) - G'^2/(H+lambda) with
 *    G' = G soft-thresholded by alpha; XGBoost's own definition, without the textbook 1/2, so
 *    gamma compares with the same number. As in XGBoost, each term is rounded to float and the
 *    terms are combined in float: on the same bins lendlab grows XGBoost's trees;
 *  - leaf value -G'/(H+lambda) * eta (float); internal nodes keep the unscaled weight in
 *    ll_tree_node.value (XGBoost's base_weights), node cover = hessian sum;
 *  - numeric candidates scanned forward (missing values right) and, when the node has missing
 *    values, backward (missing left); the last forward candidate, every present value left, is
 *    stored with split_bin = nbins - 1 and threshold FLT_MAX;
 *  - categorical features with fewer than max_cat_to_onehot categories split one category
 *    against the rest, others by XGBoost's partition scan (categories sorted by weight, at most
 *    64 in the set). Categories in cat_set go right; categorical nodes are stored with missing
 *    values going left (the set complemented and the children swapped when the scan chose
 *    right), which makes XGBoost's "category past the node's bitset goes the default way"
 *    agree with "not in the set goes left" for every category index;
 *  - predictions add float leaf values tree by tree to the float base margin, exactly as
 *    XGBoost's predictor does; raw values are compared as float (x < threshold goes left).
 * Results depend only on the data, the parameters, the seed and the thread count. */

/* Parameters, named and defined as XGBoost's. */
typedef struct {
    int n_estimators;          /* boosting rounds (trees) */
    double eta;                /* learning rate: leaf values are scaled by it */
    int max_depth;             /* depth-wise growth down to this depth */
    double min_child_weight;   /* minimum hessian sum in a child */
    double lambda;             /* L2 penalty on leaf weights */
    double alpha;              /* L1 penalty on leaf weights (soft-thresholds G) */
    double gamma;              /* minimum loss change of a split */
    double subsample;          /* row sampling fraction per tree */
    double colsample_bytree;   /* feature sampling fraction per tree */
    double scale_pos_weight;   /* weight of positive rows */
    int max_bin;               /* bins per numeric feature: plan bins are merged down to it */
    int early_stopping_rounds; /* 0 = off; else stop when valid logloss has not improved */
    double base_score;         /* initial probability; NaN = positive rate of the training data */
    int max_cat_to_onehot;     /* categorical features with fewer categories split one-vs-rest */
    int threads;               /* worker threads (results depend on seed and thread count only) */
    uint64_t seed;             /* sampling seed */
} ll_gbdt_params;

/* XGBoost's defaults: 100 rounds, eta 0.3, depth 6, min_child_weight 1, lambda 1, alpha 0,
 * gamma 0, subsample 1, colsample_bytree 1, scale_pos_weight 1, max_bin 256, no early
 * stopping, base_score 0.5, max_cat_to_onehot 4; plus 2 threads and seed 0. */
void ll_gbdt_params_default(ll_gbdt_params *p);
/* Validate parameters: 0 when valid, else -1 with a message in msg. */
int ll_gbdt_params_check(const ll_gbdt_params *p, char *msg, size_t len);

typedef struct ll_gbdt ll_gbdt;

/* Fit on a binned matrix with 0/1 labels y. valid/yvalid (may be NULL) feed the progress
 * report and early stopping (when early_stopping_rounds > 0; the trees after the best round
 * are dropped). Train metrics in the report are computed on a fixed seeded subsample of at
 * most 100000 rows, validation metrics on all of valid. cb may be NULL; *cancel non-zero (or
 * cb returning non-zero) gives LL_ECANCELLED and no model. */
ll_status ll_gbdt_fit(const ll_binned *train, const double *y, const ll_binned *valid,
                      const double *yvalid, const ll_gbdt_params *p, ll_fit_fn cb, void *ud,
                      const volatile int *cancel, ll_gbdt **out, ll_error *err);
/* Positive-class probabilities for every row of a binned matrix built by the same plan (NaN
 * for models imported from XGBoost, which have no bins: use ll_gbdt_predict_raw). */
void ll_gbdt_predict_binned(const ll_gbdt *m, const ll_binned *b, double *prob_out);
/* Probabilities for n raw rows (row-major, nfeat values each, NaN = missing, categorical
 * features as their category index; a negative or >= 255 index goes the default way). */
void ll_gbdt_predict_raw(const ll_gbdt *m, const double *x_rowmajor, size_t n, double *prob_out);
/* Margins (log-odds) instead of probabilities, same input as ll_gbdt_predict_raw. */
void ll_gbdt_predict_margin_raw(const ll_gbdt *m, const double *x_rowmajor, size_t n,
                                double *margin_out);

/* Number of input features. */
int ll_gbdt_nfeat(const ll_gbdt *m);
/* Number of trees (after early stopping: best_iteration + 1). */
int ll_gbdt_ntrees(const ll_gbdt *m);
/* 0-based index of the best round (the last one without early stopping; an imported model's
 * "best_iteration" attribute when it has one). */
int ll_gbdt_best_iteration(const ll_gbdt *m);
/* Total loss change of the splits on each feature (XGBoost's "total_gain"; nfeat values). */
void ll_gbdt_importance(const ll_gbdt *m, double *gain_out);
/* Parameters the model was trained with (defaults for an imported XGBoost model). */
const ll_gbdt_params *ll_gbdt_params_of(const ll_gbdt *m);
/* Tree i (0 <= i < ll_gbdt_ntrees), or NULL. */
const ll_tree *ll_gbdt_tree(const ll_gbdt *m, int i);
/* Base score (probability) the margins start from. */
double ll_gbdt_base_score(const ll_gbdt *m);
/* Name of feature f as trained (or imported); NULL when unknown. */
const char *ll_gbdt_feature_name(const ll_gbdt *m, int f);

/* lendlab's own model.json section (type "gbdt", version 1: params, feature names and types,
 * base score, best iteration, and per tree the node arrays left, right, feature,
 * default_left, is_cat, split_bin, threshold, value, gain, cover, categories). */
cJSON *ll_gbdt_to_json(const ll_gbdt *m);
/* Rebuild a model from ll_gbdt_to_json's output (parsed or not); trees are validated. */
ll_status ll_gbdt_from_json(const cJSON *j, ll_gbdt **out, ll_error *err);

/* Write the model in XGBoost's JSON model format (what Booster.save_model("m.json") writes
 * in 1.7; xgboost.Booster(model_file=...) loads it and scores identically, categorical
 * features as pandas category dtype in the plan's category order). meta supplies feature
 * names and types (its n may be 0); NULL uses the names the model was trained with. */
ll_status ll_gbdt_export_xgboost(const ll_gbdt *m, const ll_binned *meta, const char *path,
                                 ll_error *err);
/* Load an XGBoost JSON model (gbtree, binary:logistic or reg:logistic, numeric and
 * categorical splits on category indexes 0..254). Feature names are returned as a malloc'd
 * array of nfeat malloc'd strings (free each, then the array); feature_names may be NULL. */
ll_status ll_gbdt_import_xgboost(const char *path, ll_gbdt **out, char ***feature_names, int *nfeat,
                                 ll_error *err);
void ll_gbdt_free(ll_gbdt *m);

#endif
