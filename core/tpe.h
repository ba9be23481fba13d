/* tpe: Optuna's TPE sampler (independent per parameter) and median pruner, pure and seeded. */
#ifndef LL_TPE_H
#define LL_TPE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The sampler follows Optuna's TPESampler with its defaults (consider_prior, prior_weight 1,
 * consider_magic_clip, no consider_endpoints, 10 startup trials, 24 EI candidates, gamma(n) =
 * min(ceil(n / 10), 25), default_weights, univariate): for each parameter a Parzen estimator
 * l(x) is fitted to the gamma(n) best trials and g(x) to the rest, 24 candidates are drawn
 * from l(x) and the one maximising l(x) / g(x) wins. Integers and stepped floats are
 * truncated normals integrated over [x - step/2, x + step/2] and sampled continuously then
 * rounded to the grid; log parameters live in log space (a log integer's mass is taken over
 * [log(x - step/2), log(x + step/2)], as Optuna 4 does). Randomness comes from a caller-owned
 * xoshiro256** generator, so a seed fixes the whole sequence. */

/* What a search dimension holds. */
typedef enum {
    LL_TPE_FLOAT = 0,   /* real number in [low, high] */
    LL_TPE_INT,         /* integer in [low, high] on a grid of step */
    LL_TPE_CATEGORICAL, /* index 0..nchoices-1 */
    LL_TPE_KIND_COUNT
} ll_tpe_kind;

/* One dimension of a search space. */
typedef struct {
    ll_tpe_kind kind;
    double low, high; /* inclusive bounds (CATEGORICAL: 0 and nchoices - 1) */
    double step;      /* INT: grid step >= 1; FLOAT: 0 = continuous, > 0 = grid low + k * step */
    int log;          /* sample in log space (low > 0; no FLOAT step, INT step 1) */
    int nchoices;     /* CATEGORICAL: number of choices (>= 1) */
} ll_tpe_dist;

/* Trial states, as Optuna names them. */
typedef enum {
    LL_TPE_RUNNING = 0,
    LL_TPE_COMPLETE,
    LL_TPE_PRUNED,
    LL_TPE_FAIL,
    LL_TPE_STATE_COUNT
} ll_tpe_state;

/* "RUNNING", "COMPLETE", "PRUNED", "FAIL". */
const char *ll_tpe_state_name(ll_tpe_state s);
/* Parse a state name (case-insensitive); -1 when unknown. */
int ll_tpe_state_parse(const char *s);

/* One past trial as the sampler sees it. */
typedef struct {
    ll_tpe_state state;
    const double *x;   /* one value per dimension (category index for CATEGORICAL) */
    double value;      /* COMPLETE: objective value */
    long last_step;    /* PRUNED: last reported step, -1 when none was reported */
    double last_value; /* PRUNED: intermediate value at last_step (NaN allowed) */
} ll_tpe_obs;

/* Sampler settings (ll_tpe_options_default gives Optuna's defaults). */
typedef struct {
    int n_startup_trials;    /* random trials before TPE starts (10) */
    int n_ei_candidates;     /* candidates drawn from l(x) (24) */
    double prior_weight;     /* weight of the prior kernel (1.0) */
    int consider_magic_clip; /* lower bandwidth bound (1) */
    int consider_endpoints;  /* bounds count as neighbours of the extreme kernels (0) */
    int maximize;            /* 1: higher objective values are better */
} ll_tpe_options;

/* Optuna's defaults, maximising. */
void ll_tpe_options_default(ll_tpe_options *o);

/* ---------- random numbers ---------- */

/* xoshiro256** state (seeded through splitmix64). */
typedef struct {
    uint64_t s[4];
} ll_tpe_rng;

/* Seed the generator; equal seeds give equal streams. */
void ll_tpe_rng_seed(ll_tpe_rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t ll_tpe_rng_next(ll_tpe_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double ll_tpe_rng_uniform(ll_tpe_rng *r);

/* ---------- building blocks (exposed for tests) ---------- */

/* Size of the "good" set among n observations: min(ceil(0.1 n), 25). */
int ll_tpe_gamma(int n);
/* Optuna's default_weights(n) into w[0..n-1] (oldest first): ones below 25 observations, else
 * a ramp from 1/n to 1 over the n - 25 oldest and ones for the 25 newest. */
void ll_tpe_weights(int n, double *w);
/* Standard normal quantile (Wichura's AS241, relative error about 1e-16). */
double ll_tpe_ndtri(double p);
/* log of the standard normal mass between a and b (a <= b), accurate in the tails. */
double ll_tpe_log_gauss_mass(double a, double b);

/* Parzen estimator of one dimension: a mixture of truncated normals (or, for a categorical
 * dimension, of smoothed one-hot distributions), one kernel per observation plus the prior. */
typedef struct {
    ll_tpe_dist dist;
    int n;            /* kernels: observations, then the prior last */
    double *weight;   /* n mixture weights summing to 1 */
    double *mu;       /* numeric: kernel centres in the internal (log for log) space */
    double *sigma;    /* numeric: bandwidths */
    double *prob;     /* categorical: n rows of nchoices probabilities */
    double low, high; /* numeric: internal truncation bounds (padded by step / 2) */
} ll_tpe_parzen;

/* Fit the estimator to observations obs[0..nobs-1] (external values, oldest first), weighted
 * by ll_tpe_weights(nobs) and the prior. */
ll_status ll_tpe_parzen_fit(const ll_tpe_dist *d, const double *obs, int nobs,
                            const ll_tpe_options *o, ll_tpe_parzen *out, ll_error *err);
/* Draw one external value (on the dimension's grid, inside its bounds). */
double ll_tpe_parzen_sample(const ll_tpe_parzen *p, ll_tpe_rng *rng);
/* log density of external value x (log probability for discrete and categorical dimensions;
 * log dimensions are measured in log space, so no Jacobian term). */
double ll_tpe_parzen_log_pdf(const ll_tpe_parzen *p, double x);
void ll_tpe_parzen_free(ll_tpe_parzen *p);

/* A draw from the dimension's uniform prior (Optuna's RandomSampler: log dimensions uniform
 * in log space, integers uniform over their grid). */
double ll_tpe_sample_random(const ll_tpe_dist *d, ll_tpe_rng *rng);

/* Mark the good set: below[i] = 1 for the ll_tpe_gamma(n) best of the n COMPLETE or PRUNED
 * entries of hist (completed trials by value, then pruned ones by latest step reached and
 * their value there), 0 for the others and -1 for trials the sampler ignores. Returns n. */
size_t ll_tpe_split(const ll_tpe_obs *hist, size_t nhist, int maximize, signed char *below);

/* ---------- the sampler ---------- */

/* Suggest the next trial's point x_out[0..ndim-1]: uniform draws while fewer than
 * n_startup_trials trials are COMPLETE or PRUNED, then TPE on each dimension independently.
 * The dimensions draw from rng in order. */
ll_status ll_tpe_suggest(const ll_tpe_dist *space, int ndim, const ll_tpe_obs *hist, size_t nhist,
                         const ll_tpe_options *o, ll_tpe_rng *rng, double *x_out, ll_error *err);

/* ---------- the median pruner ---------- */

/* Optuna's PercentilePruner; ll_tpe_pruner_default gives MedianPruner's defaults. */
typedef struct {
    double percentile;    /* 50 = median */
    int n_startup_trials; /* no pruning before this many trials completed (5) */
    int n_warmup_steps;   /* no pruning before this step (0) */
    int interval_steps;   /* check every this many steps after the warm-up (1) */
    int n_min_trials;     /* completed trials that must have reported the step (1) */
    int maximize;         /* 1: higher intermediate values are better */
} ll_tpe_pruner;

/* MedianPruner's defaults, maximising. */
void ll_tpe_pruner_default(ll_tpe_pruner *p);
/* numpy's nanpercentile (linear interpolation) of v[0..n-1], NaN entries ignored; NaN when
 * none is left. v is not modified. */
double ll_tpe_percentile(const double *v, size_t n, double q);
/* Whether to prune a trial now. ncomplete counts the study's completed trials; step is the step
 * just reported and prev_step the one before it (-1 when none); best is the trial's best
 * intermediate value so far; at_step[0..nat-1] are the completed trials' values at step (only
 * trials that reported it). Returns 1 to prune. */
int ll_tpe_pruner_check(const ll_tpe_pruner *p, size_t ncomplete, long step, long prev_step,
                        double best, const double *at_step, size_t nat);

#endif
