/* shap: feature contributions — exact TreeSHAP for gbdt and forest, linear terms for logreg. */
#ifndef LL_SHAP_H
#define LL_SHAP_H

#include <stddef.h>

#include "error.h"
#include "model.h"
#include "table.h"
#include "tree.h"

/* Contributions of a row add up with the bias to the model's output in its explained space:
 *   gbdt:   log-odds (margin); bias = base margin + the trees' expected values (XGBoost's
 *           pred_contribs, node cover = sum of hessians);
 *   forest: probability; bias = mean over trees of their expected values (cover = weighted
 *           row counts), contributions averaged over the trees;
 *   logreg: log-odds; contribution = coefficient x standardised (imputed) value for numeric
 *           features, i.e. relative to the training mean, and the coefficient of the row's
 *           level for a categorical feature (one-hot groups summed per feature); bias =
 *           intercept. */
typedef enum {
    LL_SHAP_LOGODDS = 0, /* contributions add up to the margin */
    LL_SHAP_PROBABILITY, /* contributions add up to the probability */
    LL_SHAP_SPACE_COUNT
} ll_shap_space;

typedef struct ll_shap ll_shap;

/* An explainer for m: trees' expected values are computed once. m must outlive it. */
ll_status ll_shap_new(const ll_model *m, ll_shap **out, ll_error *err);
void ll_shap_free(ll_shap *s);
/* Space the contributions are in. */
ll_shap_space ll_shap_space_of(const ll_shap *s);
/* "log-odds" or "probability". */
const char *ll_shap_space_name(ll_shap_space sp);
/* Number of features (the model's, in plan order). */
int ll_shap_nfeat(const ll_shap *s);
/* Contributions for every row of t (columns found by name, as ll_model_predict finds them):
 * out holds t->nrows x (nfeat + 1) values, row-major; the last value of a row is the bias. */
ll_status ll_shap_explain(const ll_shap *s, const ll_table *t, double *out, ll_error *err);

/* Exact TreeSHAP (Lundberg et al. 2018, Algorithm 2) of one tree for one row of raw values
 * x[0..nfeat-1] (NaN = missing, categorical features as category index), routed as
 * ll_tree_leaf_raw routes it. Adds weight x contribution to phi[f] and weight x the tree's
 * expected value (cover-weighted mean of its leaves) to *bias. */
ll_status ll_shap_tree_raw(const ll_tree *t, const double *x, int nfeat, double weight, double *phi,
                           double *bias, ll_error *err);

#endif
