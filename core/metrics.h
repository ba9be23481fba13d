/* metrics: binary-classification metrics (ROC/PR AUC, log loss, KS, calibration, ROC curve). */
#ifndef LL_METRICS_H
#define LL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Conventions for every function below:
 *  y[i] is the label, exactly 0.0 or 1.0 (1 = positive class);
 *  p[i] is the predicted probability of class 1 (ranking metrics accept any finite score);
 *  w[i] is an optional non-negative sample weight (NULL = every row weighs 1);
 *  n may be at most 2^30-1. Counts below are weighted (plain counts when w is NULL).
 * Ties are handled exactly: rows with equal scores always move together along a curve. */

/* Number of groups in the standard calibration table (deciles). */
#define LL_METRICS_DECILES 10

/* Whether a metrics set is fully defined. */
typedef enum {
    LL_METRICS_OK = 0,    /* every metric is defined */
    LL_METRICS_EMPTY,     /* no rows (or zero total weight): every metric is NaN */
    LL_METRICS_ONE_CLASS, /* a single class: AUC, Gini and KS are NaN (PR AUC and best F1
                             too when there is no positive row) */
    LL_METRICS_STATUS_COUNT
} ll_metrics_status;

/* Confusion matrix at a threshold (p >= threshold predicts 1) and the rates derived from it.
 * Precision (recall) is 0 when nothing is predicted (actually) positive, as scikit-learn. */
typedef struct {
    double threshold;
    double tn, fp, fn, tp;
    double accuracy, precision, recall, f1;
} ll_confusion;

/* Every scalar metric, as filled by ll_metrics_all. */
typedef struct {
    ll_metrics_status status;
    size_t n;            /* rows */
    double n_pos, n_neg; /* weighted class totals */
    double auc;          /* ROC AUC (Mann-Whitney, ties count half) */
    double gini;         /* 2 * auc - 1 */
    double pr_auc;       /* average precision, as scikit-learn's average_precision_score */
    double logloss;      /* p clipped to [1e-15, 1 - 1e-15] */
    double brier;
    double ks;           /* max |TPR - FPR| over thresholds */
    double ks_threshold; /* score where the KS maximum is reached (p >= it predicts 1) */
    double mean_p;       /* mean predicted probability */
    double base_rate;    /* observed positive rate */
    ll_confusion at;     /* at the threshold given to ll_metrics_all */
    double f1_best;      /* highest F1 over all thresholds */
    double f1_best_threshold;
} ll_metrics;

/* One row of a calibration table: rows whose predicted probability falls in one quantile
 * group, in increasing order of p. */
typedef struct {
    size_t n;      /* rows in the group (0 when a large tie took its place) */
    double weight; /* weighted rows */
    double p_mean; /* mean predicted probability */
    double y_rate; /* observed positive rate */
    double p_min, p_max;
} ll_calib_bin;

/* Short description of a metrics status ("ok", "no rows", "only one class present"). */
const char *ll_metrics_status_str(ll_metrics_status s);

/* ROC AUC. Only one class present or n == 0: *out = NaN and LL_EINVAL with a message. */
ll_status ll_metrics_auc(const double *y, const double *p, size_t n, const double *w, double *out,
                         ll_error *err);
/* Gini coefficient 2 * AUC - 1 (NaN and LL_EINVAL when AUC is undefined). */
ll_status ll_metrics_gini(const double *y, const double *p, size_t n, const double *w, double *out,
                          ll_error *err);
/* Average precision (area under the precision-recall step curve, scikit-learn's definition).
 * No positive row: NaN and LL_EINVAL. */
ll_status ll_metrics_pr_auc(const double *y, const double *p, size_t n, const double *w,
                            double *out, ll_error *err);
/* Mean log loss with p clipped to [1e-15, 1 - 1e-15]; p must lie in [0, 1]. */
ll_status ll_metrics_logloss(const double *y, const double *p, size_t n, const double *w,
                             double *out, ll_error *err);
/* Brier score: mean of (p - y)^2; p must lie in [0, 1]. */
ll_status ll_metrics_brier(const double *y, const double *p, size_t n, const double *w, double *out,
                           ll_error *err);
/* Kolmogorov-Smirnov statistic max |TPR - FPR| and the score where it is reached (threshold may
 * be NULL). One class or n == 0: NaN and LL_EINVAL. */
ll_status ll_metrics_ks(const double *y, const double *p, size_t n, const double *w, double *ks,
                        double *threshold, ll_error *err);
/* Confusion matrix, accuracy, precision, recall and F1 when p >= threshold predicts 1. */
ll_status ll_metrics_confusion(const double *y, const double *p, size_t n, const double *w,
                               double threshold, ll_confusion *out, ll_error *err);
/* Highest F1 over every threshold and the threshold (a score value, the highest one on ties)
 * reaching it. No positive row: NaN and LL_EINVAL. */
ll_status ll_metrics_best_f1(const double *y, const double *p, size_t n, const double *w,
                             double *f1, double *threshold, ll_error *err);
/* Calibration table of ngroups rows (LL_METRICS_DECILES for deciles) by quantile of p: sorted
 * row r goes to group floor(ngroups * r / n), except that a run of tied p values stays whole in
 * the group of its first row (a group may then be empty: n = 0, means NaN). */
ll_status ll_metrics_calibration(const double *y, const double *p, size_t n, const double *w,
                                 int ngroups, ll_calib_bin *out, ll_error *err);
/* ROC curve from (0,0) (threshold +inf) to (1,1), one point per distinct score in decreasing
 * order, collinear points dropped, then thinned to at most max_points (>= 2) points spread
 * evenly along fpr + tpr, always keeping both end points. Arrays hold max_points values;
 * *npoints receives the count. One class or n == 0: LL_EINVAL. */
ll_status ll_metrics_roc_curve(const double *y, const double *p, size_t n, const double *w,
                               size_t max_points, double *fpr, double *tpr, double *threshold,
                               size_t *npoints, ll_error *err);
/* Fill every scalar metric, sorting once. A single class or no rows is not an error: out->status
 * says so and the undefined metrics are NaN. LL_EINVAL only for invalid input (label not 0/1,
 * p outside [0, 1] or NaN, negative weight). */
ll_status ll_metrics_all(const double *y, const double *p, size_t n, const double *w,
                         double threshold, ll_metrics *out, ll_error *err);

/* Fast repeated AUC for learners: the labels (and weights) are fixed once, then the AUC of a new
 * score vector is computed with no allocation (radix sort, about 5 ms per 200k rows). The
 * scores may be margins: AUC only depends on their order. Not thread-safe per context. */
typedef struct ll_auc_ctx ll_auc_ctx;

/* Context for labels y (0/1 doubles) and optional weights w (copied). */
ll_status ll_auc_ctx_new(const double *y, size_t n, const double *w, ll_auc_ctx **out,
                         ll_error *err);
/* Same with labels given as bytes (0 or 1). */
ll_status ll_auc_ctx_new_u8(const uint8_t *y, size_t n, const double *w, ll_auc_ctx **out,
                            ll_error *err);
/* AUC of score[0..n-1]; NaN when a class is absent or a score is NaN. */
double ll_auc_ctx_eval(ll_auc_ctx *ctx, const double *score);
void ll_auc_ctx_free(ll_auc_ctx *ctx);

#endif
