/* gbdt: histogram gradient boosted trees for binary classification (XGBoost hist semantics). */
#ifndef LL_GBDT_H
#define LL_GBDT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "features.h"
#include "tree.h"

/* Parameters, named and defined as XGBoost's (objective binary:logistic, tree_method hist). */
typedef struct {
    int n_estimators;        /* boosting rounds (trees) */
    double eta;              /* learning rate: leaf values are scaled by it */
    int max_depth;           /* depth-wise growth down to this depth */
    double min_child_weight; /* minimum hessian sum in a child */
    double lambda;           /* L2 penalty on leaf weights */
    double alpha;            /* L1 penalty on leaf weights (soft-thresholds G) */
    double gamma;            /* minimum split loss reduction */
    double subsample;        /* row sampling fraction per tree */
    double colsample_bytree; /* feature sampling fraction per tree */
    double scale_pos_weight; /* weight of positive rows */
    int max_bin;             /* maximum bins per feature (<= 256; the binned matrix decides) */
    int early_stopping_rounds; /* 0 = off; else stop when valid logloss has not improved */
    double base_score;       /* initial probability; NaN = positive rate of the training data */
    int max_cat_to_onehot;   /* categorical features with fewer categories split one-vs-rest */
    int threads;             /* worker threads (results depend on seed and thread count only) */
    uint64_t seed;           /* sampling seed */
} ll_gbdt_params;

/* XGBoost's defaults: 100 rounds, eta 0.3, depth 6, min_child_weight 1, lambda 1, alpha 0,
 * gamma 0, subsample 1, colsample_bytree 1, scale_pos_weight 1, max_bin 256, no early
 * stopping, base_score 0.5, max_cat_to_onehot 4; plus 2 threads and seed 0. */
void ll_gbdt_params_default(ll_gbdt_params *p);
/* Validate parameters: 0 when valid, else -1 with a message in msg. */
int ll_gbdt_params_check(const ll_gbdt_params *p, char *msg, size_t len);

typedef struct ll_gbdt ll_gbdt;

/* Fit on a binned matrix with 0/1 labels y. valid/yvalid (may be NULL) feed the progress
 * report and early stopping (when early_stopping_rounds > 0; the best iteration is kept).
 * Train metrics in the report are computed on a fixed seeded subsample of at most 100000
 * rows. cb may be NULL; *cancel non-zero (or cb returning non-zero) gives LL_ECANCELLED. */
ll_status ll_gbdt_fit(const ll_binned *train, const double *y, const ll_binned *valid,
                      const double *yvalid, const ll_gbdt_params *p, ll_fit_fn cb, void *ud,
                      const volatile int *cancel, ll_gbdt **out, ll_error *err);
/* Positive-class probabilities for every row of a binned matrix built by the same plan. */
void ll_gbdt_predict_binned(const ll_gbdt *m, const ll_binned *b, double *prob_out);
/* Probabilities for n raw rows (row-major, nfeat values each, NaN = missing, categorical
 * features as their category index). */
void ll_gbdt_predict_raw(const ll_gbdt *m, const double *x_rowmajor, size_t n, double *prob_out);
/* Margins (log-odds) instead of probabilities, same input as ll_gbdt_predict_raw. */
void ll_gbdt_predict_margin_raw(const ll_gbdt *m, const double *x_rowmajor, size_t n,
                                double *margin_out);

/* Number of input features. */
int ll_gbdt_nfeat(const ll_gbdt *m);
/* Number of trees used for prediction (best_iteration + 1 after early stopping). */
int ll_gbdt_ntrees(const ll_gbdt *m);
/* 0-based index of the best round (the last one without early stopping). */
int ll_gbdt_best_iteration(const ll_gbdt *m);
/* Total split gain per feature over the used trees (nfeat values). */
void ll_gbdt_importance(const ll_gbdt *m, double *gain_out);
/* Parameters the model was trained with (defaults for an imported XGBoost model). */
const ll_gbdt_params *ll_gbdt_params_of(const ll_gbdt *m);
/* One tree of the model (0 <= i < total trees, including those after best_iteration). */
const ll_tree *ll_gbdt_tree(const ll_gbdt *m, int i);
/* Base score (probability) the margins start from. */
double ll_gbdt_base_score(const ll_gbdt *m);
/* Name of feature f as trained (or imported); NULL when unknown. */
const char *ll_gbdt_feature_name(const ll_gbdt *m, int f);

/* lendlab's own model.json section (trees with all node fields, params, base score). */
cJSON *ll_gbdt_to_json(const ll_gbdt *m);
/* Rebuild a model from ll_gbdt_to_json's output. */
ll_status ll_gbdt_from_json(const cJSON *j, ll_gbdt **out, ll_error *err);

/* Write the model in XGBoost's JSON model format (readable by xgboost.Booster, scoring
 * identically). meta supplies feature names, types and category counts (its n may be 0). */
ll_status ll_gbdt_export_xgboost(const ll_gbdt *m, const ll_binned *meta, const char *path,
                                 ll_error *err);
/* Load an XGBoost JSON model (binary:logistic, gbtree). Feature names are returned as a
 * malloc'd array of nfeat malloc'd strings (free each, then the array); may be NULL. */
ll_status ll_gbdt_import_xgboost(const char *path, ll_gbdt **out, char ***feature_names,
                                 int *nfeat, ll_error *err);
void ll_gbdt_free(ll_gbdt *m);

#endif
