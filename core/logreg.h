/* logreg: L2-regularised logistic regression on the design matrix (trust-region Newton). */
#ifndef LL_LOGREG_H
#define LL_LOGREG_H

#include "error.h"
#include "features.h"

/* How rows of each class are weighted in the loss. */
typedef enum {
    LL_CLASS_WEIGHT_NONE = 0, /* every row weighs 1 */
    LL_CLASS_WEIGHT_BALANCED, /* rows of class k weigh n / (2 * n_k), as scikit-learn */
    LL_CLASS_WEIGHT_COUNT
} ll_class_weight;

#define LL_LOGREG_MAX_THREADS 64

typedef struct {
    double C;                     /* inverse regularisation strength, > 0 (default 1) */
    int max_iter;                 /* trust-region Newton steps, >= 1 (default 100) */
    double tol;                   /* stop when |grad| <= tol * |grad at start| (default 1e-6) */
    ll_class_weight class_weight; /* default LL_CLASS_WEIGHT_NONE */
    int threads;                  /* threads for the row loops, 1..64 (default 2); the result
                                     does not depend on it */
} ll_logreg_params;

/* Facts about a fitted model. */
typedef struct {
    int iterations;         /* Newton steps taken (accepted or not) */
    int cg_iterations;      /* Hessian-vector products in total */
    int converged;          /* 1 when the gradient criterion was met */
    double grad_norm_rel;   /* final |grad| / |grad at start| */
    double objective;       /* final value of the objective below */
    double class_weight[2]; /* weights used for class 0 and class 1 */
} ll_logreg_info;

typedef struct ll_logreg ll_logreg;

/* Fill p with the defaults. */
void ll_logreg_params_default(ll_logreg_params *p);
/* NULL when p is valid, else a message saying which parameter is wrong and why. */
const char *ll_logreg_params_check(const ll_logreg_params *p);
/* "none" / "balanced". */
const char *ll_logreg_class_weight_name(ll_class_weight cw);
/* Parse "none" / "balanced"; returns -1 if unknown. */
int ll_logreg_class_weight_parse(const char *s);

/* Fit on design X with labels y01 (0/1, X->n values). When Xvalid is given (same shape,
 * labels yvalid) its log loss and AUC are reported each iteration. cb (may be NULL) is called
 * once per Newton step; the train AUC is computed at every step when X->n <= 200000, else at
 * every ceil(n / 200000)-th step and at the last (NaN in between); likewise for the validation
 * set. A non-zero *cancel or callback return stops the fit with LL_ECANCELLED. */
ll_status ll_logreg_fit(const ll_design *X, const double *y01, const ll_logreg_params *params,
                        const ll_design *Xvalid, const double *yvalid, ll_fit_fn cb, void *ud,
                        const volatile int *cancel, ll_logreg **out, ll_error *err);
/* Probability of class 1 for every row of X (p_out holds X->n values). LL_EINVAL when X's shape
 * differs from the training design or a level index is out of range. */
ll_status ll_logreg_predict(const ll_logreg *m, const ll_design *X, double *p_out);
/* Margins w.x + b (log-odds) for every row of X, same checks as ll_logreg_predict. */
ll_status ll_logreg_decision(const ll_logreg *m, const ll_design *X, double *z_out);
/* Rebuild a model from stored coefficients (pnum numeric columns, ncat groups with
 * cat_levels[g] levels, coef in design order). */
ll_status ll_logreg_new(int pnum, int ncat, const int *cat_levels, const double *coef,
                        double intercept, ll_logreg **out, ll_error *err);
void ll_logreg_free(ll_logreg *m);

/* Number of coefficients (the design's nweights; the intercept is separate). */
int ll_logreg_nweights(const ll_logreg *m);
/* Coefficients in design order: pnum numeric ones, then each group's levels. */
const double *ll_logreg_coef(const ll_logreg *m);
double ll_logreg_intercept(const ll_logreg *m);
/* Copy the fit facts into *info. */
void ll_logreg_get_info(const ll_logreg *m, ll_logreg_info *info);
/* Coefficients in original units: numeric coefficient j becomes w_j / stds[j] and the intercept
 * absorbs -w_j * means[j] / stds[j]; categorical ones are copied. coef_out holds nweights
 * values. A numeric column with std <= 0 (constant) gets coefficient 0. pnum must match. */
ll_status ll_logreg_unstandardize(const ll_logreg *m, const double *means, const double *stds,
                                  int pnum, double *coef_out, double *intercept_out);

#endif
