/* scorecard: points scaling of default probabilities and reason-code selection. */
#ifndef LL_SCORECARD_H
#define LL_SCORECARD_H

#include <stddef.h>

#include "error.h"

/* Points scaling: score = offset - factor * ln(odds_bad), factor = pdo / ln 2,
 * offset = base_points - factor * ln(base_odds), where base_odds are good:bad odds. So a
 * loan at base_odds scores base_points, and halving the odds of default adds pdo points. */
typedef struct {
    double base_points; /* points at base_odds (default 600) */
    double base_odds;   /* good:bad odds that score base_points (default 50, i.e. 50:1) */
    double pdo;         /* points to double the odds (default 20) */
} ll_scorecard;

/* Defaults: 600 points at 50:1 good:bad odds, 20 points to double the odds. */
void ll_scorecard_default(ll_scorecard *s);
/* LL_EINVAL with a message when a value is not finite or base_odds / pdo is not > 0. */
ll_status ll_scorecard_check(const ll_scorecard *s, ll_error *err);
/* Score of a probability of default p, clamped to [1e-6, 1 - 1e-6] so that a tree model's
 * probability of exactly 0 or 1 still gets a finite, plausible score. */
double ll_scorecard_points(const ll_scorecard *s, double p);

/* Indexes of the (at most k) largest strictly positive values of contrib[0..n-1], largest
 * first (ties: lower index first), written to idx; returns how many. */
size_t ll_scorecard_reasons(const double *contrib, size_t n, size_t k, size_t *idx);

#endif
