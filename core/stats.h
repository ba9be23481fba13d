/* stats: two-sample tests and distances for drift detection, exact where SciPy is exact. */
#ifndef LL_STATS_H
#define LL_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Sample sizes up to which ll_stats_ks_2samp computes the exact p-value (SciPy's MAX_AUTO_N):
 * exact when max(n1, n2) <= this, asymptotic otherwise. */
#define LL_STATS_KS_MAX_EXACT_N 10000

/* Sort n doubles ascending (no NaN allowed) with an LSD radix sort on their bit patterns.
 * Returns 0, or -1 when the scratch memory could not be allocated (a is then unchanged). */
int ll_stats_sort(double *a, size_t n);

/* Distinct values of v[0..n) ascending (NaN skipped, -0.0 merged into 0.0) with their counts,
 * written to freshly malloc'd *values and *counts (NULL when *k is 0); *nobs receives the
 * number of non-NaN values. Returns 0, or -1 on allocation failure. */
int ll_stats_distinct(const double *v, size_t n, double **values, size_t **counts, size_t *k,
                      size_t *nobs);
/* As ll_stats_distinct with caller scratch space of 2 * n uint64_t for the sort (so a loop
 * over many columns allocates it once). */
int ll_stats_distinct_with(const double *v, size_t n, uint64_t *scratch, double **values,
                           size_t **counts, size_t *k, size_t *nobs);

/* Two-sample Kolmogorov-Smirnov test, two-sided, as scipy.stats.ks_2samp(method="auto").
 * Each sample is given as distinct ascending values with counts (counts NULL = each once).
 * Sets *stat to D and *p to the p-value; *exact (may be NULL) to 1 when the exact
 * distribution was used. Empty samples give NaN. */
void ll_stats_ks_2samp(const double *x, const size_t *cx, size_t kx, const double *y,
                       const size_t *cy, size_t ky, double *stat, double *p, int *exact);
/* P-value of a two-sided two-sample KS statistic d for sample sizes n1, n2 (SciPy's choice of
 * exact or asymptotic method); *d_used (may be NULL) gets d rounded to the lattice in the
 * exact case. */
double ll_stats_ks_2samp_pvalue(double d, size_t n1, size_t n2, double *d_used, int *exact);
/* Survival function of the one-sample two-sided KS statistic D_n (scipy.stats.kstwo.sf). */
double ll_stats_kolmogn_sf(long n, double x);
/* Survival function of the one-sided KS statistic D_n+ (scipy.special.smirnov). */
double ll_stats_smirnov(long n, double x);
/* Survival function of Kolmogorov's limit distribution (scipy.special.kolmogorov). */
double ll_stats_kolmogorov(double x);

/* Regularised lower incomplete gamma P(a, x) (scipy.special.gammainc). */
double ll_stats_igam(double a, double x);
/* Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x) (scipy.special.gammaincc). */
double ll_stats_igamc(double a, double x);
/* Chi-square survival function with dof degrees of freedom: Q(dof/2, x/2). */
double ll_stats_chi2_sf(double x, double dof);
/* Pearson chi-square goodness of fit of obs against exp over k cells (scipy.stats.chisquare):
 * statistic and p-value with k-1 degrees of freedom. A cell with exp 0 and obs > 0 gives an
 * infinite statistic (p 0); k < 2 gives statistic 0 and p 1. */
void ll_stats_chisquare(const double *obs, const double *exp, size_t k, double *stat, double *p);

/* Upper tail of the standard normal distribution, accurate far into the tail. */
double ll_stats_norm_sf(double z);
/* Two-proportion Z-test (pooled): k1 successes of n1 against k2 of n2; two-sided p. */
void ll_stats_ztest_2prop(double k1, double n1, double k2, double n2, double *z, double *p);

/* First Wasserstein distance between two samples given as distinct ascending values with
 * counts (counts NULL = each once), as scipy.stats.wasserstein_distance. */
double ll_stats_wasserstein(const double *x, const size_t *cx, size_t kx, const double *y,
                            const size_t *cy, size_t ky);
/* Jensen-Shannon distance (natural log) between two share vectors, each normalised to sum 1
 * first, as scipy.spatial.distance.jensenshannon. */
double ll_stats_jensenshannon(const double *p, const double *q, size_t k);
/* Replace zero shares the way Evidently does before PSI: by 0.0001, or by the smallest
 * non-zero share / 1e6 when that share is itself <= 0.0001. */
void ll_stats_floor_zero_shares(double *share, size_t k);
/* Population stability index sum (q - p) ln(q / p) over k bins (shares already floored). */
double ll_stats_psi(const double *p, const double *q, size_t k);

/* Quantile q in [0, 1] of a sample given as distinct ascending values with counts (counts
 * NULL = each once; nobs = total count), linear interpolation as numpy.quantile's default. */
double ll_stats_quantile(const double *values, const size_t *counts, size_t k, size_t nobs,
                         double q);
/* Population standard deviation (ddof 0) of a sample given as distinct values with counts. */
double ll_stats_std(const double *values, const size_t *counts, size_t k);

#endif
