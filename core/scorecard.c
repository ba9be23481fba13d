/* scorecard: points scaling of default probabilities and reason-code selection. */
#include "scorecard.h"

#include <math.h>

void ll_scorecard_default(ll_scorecard *s)
{
    s->base_points = 600;
    s->base_odds = 50;
    s->pdo = 20;
}

ll_status ll_scorecard_check(const ll_scorecard *s, ll_error *err)
{
    if (!isfinite(s->base_points))
        return ll_error_set(err, LL_EINVAL, "base_points must be a finite number");
    if (!isfinite(s->base_odds) || s->base_odds <= 0)
        return ll_error_set(err, LL_EINVAL, "base_odds must be a number > 0");
    if (!isfinite(s->pdo) || s->pdo <= 0)
        return ll_error_set(err, LL_EINVAL, "pdo must be a number > 0");
    return LL_OK;
}

double ll_scorecard_points(const ll_scorecard *s, double p)
{
    const double lo = 1e-6, hi = 1 - 1e-6;
    if (isnan(p)) return NAN;
    if (p < lo) p = lo;
    if (p > hi) p = hi;
    double factor = s->pdo / log(2.0);
    double offset = s->base_points - factor * log(s->base_odds);
    return offset - factor * log(p / (1 - p));
}

size_t ll_scorecard_reasons(const double *contrib, size_t n, size_t k, size_t *idx)
{
    size_t m = 0;
    /* insertion into a short sorted list: k is a handful, n a few dozen features */
    for (size_t i = 0; i < n && k; i++) {
        double v = contrib[i];
        if (!(v > 0)) continue;
        if (m == k && !(v > contrib[idx[m - 1]])) continue;
        size_t pos = m < k ? m : k - 1;
        while (pos > 0 && v > contrib[idx[pos - 1]]) {
            idx[pos] = idx[pos - 1];
            pos--;
        }
        idx[pos] = i;
        if (m < k) m++;
    }
    return m;
}
