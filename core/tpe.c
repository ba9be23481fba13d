/* tpe: Optuna's TPE sampler (independent per parameter) and median pruner, pure and seeded. */
#include "tpe.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TPE_EPS      1e-12
#define LOG_SQRT_2PI 0.91893853320467274178

static const char *const state_names[LL_TPE_STATE_COUNT] = {"RUNNING", "COMPLETE", "PRUNED",
                                                            "FAIL"};

const char *ll_tpe_state_name(ll_tpe_state s)
{
    return (unsigned)s < LL_TPE_STATE_COUNT ? state_names[s] : "UNKNOWN";
}

int ll_tpe_state_parse(const char *s)
{
    for (int i = 0; s && i < LL_TPE_STATE_COUNT; i++)
        if (!strcasecmp(s, state_names[i])) return i;
    return -1;
}

void ll_tpe_options_default(ll_tpe_options *o)
{
    o->n_startup_trials = 10;
    o->n_ei_candidates = 24;
    o->prior_weight = 1.0;
    o->consider_magic_clip = 1;
    o->consider_endpoints = 0;
    o->maximize = 1;
}

/* ---------- random numbers ---------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void ll_tpe_rng_seed(ll_tpe_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t ll_tpe_rng_next(ll_tpe_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double ll_tpe_rng_uniform(ll_tpe_rng *r)
{
    return (double)(ll_tpe_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---------- building blocks ---------- */

int ll_tpe_gamma(int n)
{
    int g = (int)ceil(0.1 * n);
    return g < 25 ? g : 25;
}

void ll_tpe_weights(int n, double *w)
{
    if (n < 25) {
        for (int i = 0; i < n; i++) w[i] = 1.0;
        return;
    }
    /* numpy.linspace(1/n, 1, n - 25): endpoints included */
    int m = n - 25;
    double lo = 1.0 / n;
    for (int i = 0; i < m; i++)
        w[i] = m == 1 ? lo : (i == m - 1 ? 1.0 : lo + (1.0 - lo) * i / (double)(m - 1));
    for (int i = m; i < n; i++) w[i] = 1.0;
}

/* Horner evaluation of c[0] + c[1] x + ... + c[7] x^7. */
static double poly7(const double *c, double x)
{
    double v = c[7];
    for (int i = 6; i >= 0; i--) v = v * x + c[i];
    return v;
}

/* Wichura, Algorithm AS241 (PPND16), Applied Statistics 37 (1988): rational approximations in
 * the centre, the near tail and the far tail. */
static const double as241_a[8] = {
    3.387132872796366608,  133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
    45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727};
static const double as241_b[8] = {1.0,
                                  42.313330701600911252,
                                  687.1870074920579083,
                                  5394.1960214247511077,
                                  21213.794301586595867,
                                  39307.89580009271061,
                                  28729.085735721942674,
                                  5226.495278852545925};
static const double as241_c[8] = {1.42343711074968357734,   4.6303378461565452959,
                                  5.7694972214606914055,    3.64784832476320460504,
                                  1.27045825245236838258,   0.24178072517745061177,
                                  0.0227238449892691845833, 7.7454501427834140764e-4};
static const double as241_d[8] = {1.0,
                                  2.05319162663775882187,
                                  1.6763848301838038494,
                                  0.68976733498510000455,
                                  0.14810397642748007459,
                                  0.0151986665636164571966,
                                  5.475938084995344946e-4,
                                  1.05075007164441684324e-9};
static const double as241_e[8] = {6.6579046435011037772,     5.4637849111641143699,
                                  1.7848265399172913358,     0.29656057182850489123,
                                  0.026532189526576123093,   0.0012426609473880784386,
                                  2.71155556874348757815e-5, 2.01033439929228813265e-7};
static const double as241_f[8] = {1.0,
                                  0.59983220655588793769,
                                  0.13692988092273580531,
                                  0.0148753612908506148525,
                                  7.868691311456132591e-4,
                                  1.8463183175100546818e-5,
                                  1.4215117583164458887e-7,
                                  2.04426310338993978564e-15};

double ll_tpe_ndtri(double p)
{
    if (isnan(p) || p < 0 || p > 1) return NAN;
    if (p == 0) return -INFINITY;
    if (p == 1) return INFINITY;
    double q = p - 0.5, r, v;
    if (fabs(q) <= 0.425) {
        r = 0.180625 - q * q;
        return q * poly7(as241_a, r) / poly7(as241_b, r);
    }
    r = sqrt(-log(q < 0 ? p : 1 - p));
    if (r <= 5)
        v = poly7(as241_c, r - 1.6) / poly7(as241_d, r - 1.6);
    else
        v = poly7(as241_e, r - 5) / poly7(as241_f, r - 5);
    return q < 0 ? -v : v;
}

static double ndtr(double x)
{
    return 0.5 * erfc(-x * M_SQRT1_2);
}

/* log Phi(x); the asymptotic series takes over where erfc would underflow. */
static double log_ndtr(double x)
{
    if (x > 6) return log1p(-0.5 * erfc(x * M_SQRT1_2));
    if (x > -37) return log(0.5 * erfc(-x * M_SQRT1_2));
    double z = 1.0 / (x * x), s = 1, t = 1;
    for (int k = 1; k <= 6; k++) {
        t *= -(2.0 * k - 1) * z;
        s += t;
    }
    return -0.5 * x * x - log(-x) - LOG_SQRT_2PI + log(s);
}

/* log(exp(lp) - exp(lq)) for lp >= lq */
static double log_diff(double lp, double lq)
{
    if (lq == -INFINITY) return lp;
    return lp + log1p(-exp(lq - lp));
}

static double log_sum(double a, double b)
{
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}

double ll_tpe_log_gauss_mass(double a, double b)
{
    if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
    if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
    return log1p(-ndtr(a) - ndtr(-b));
}

/* x with log Phi(x) = y: direct for moderate y, Newton on log_ndtr deep in the left tail, and
 * through the upper tail when Phi(x) is close to 1. */
static double ndtri_exp(double y)
{
    if (y >= 0) return INFINITY;
    if (y > -0.6931471805599453) return -ll_tpe_ndtri(-expm1(y));
    if (y > -700) return ll_tpe_ndtri(exp(y));
    double x = -sqrt(-2 * y);
    for (int i = 0; i < 60; i++) {
        double lp = log_ndtr(x);
        double d = exp(-0.5 * x * x - LOG_SQRT_2PI - lp); /* phi(x) / Phi(x) */
        double nx = x - (lp - y) / d;
        if (fabs(nx - x) <= 1e-14 * fabs(x)) return nx;
        x = nx;
    }
    return x;
}

/* Standardised truncated normal on [a, b] at quantile q (Optuna's _truncnorm.ppf). */
static double truncnorm_ppf(double q, double a, double b)
{
    if (a >= b) return a;
    double mass = ll_tpe_log_gauss_mass(a, b), x;
    if (a < 0)
        x = ndtri_exp(log_sum(log_ndtr(a), log(q) + mass));
    else
        x = -ndtri_exp(log_sum(log_ndtr(-b), log1p(-q) + mass));
    if (!(x >= a)) x = a; /* also catches NaN */
    if (x > b) x = b;
    return x;
}

/* ---------- Parzen estimator ---------- */

static int is_discrete(const ll_tpe_dist *d)
{
    return d->kind == LL_TPE_INT || (d->kind == LL_TPE_FLOAT && d->step > 0);
}

static double half_step(const ll_tpe_dist *d)
{
    return is_discrete(d) ? d->step / 2 : 0;
}

static double to_internal(const ll_tpe_dist *d, double x)
{
    return d->log ? log(x) : x;
}

static double from_internal(const ll_tpe_dist *d, double v)
{
    double x = d->log ? exp(v) : v;
    if (is_discrete(d)) x = d->low + rint((x - d->low) / d->step) * d->step;
    if (x < d->low) x = d->low;
    if (x > d->high) x = d->high;
    return x;
}

/* Internal bounds: padded by half a step for a grid, then in log space for log dimensions. */
static void internal_bounds(const ll_tpe_dist *d, double *lo, double *hi)
{
    double h = half_step(d);
    *lo = to_internal(d, d->low - h);
    *hi = to_internal(d, d->high + h);
}

void ll_tpe_parzen_free(ll_tpe_parzen *p)
{
    if (!p) return;
    free(p->weight);
    free(p->mu);
    free(p->sigma);
    free(p->prob);
    memset(p, 0, sizeof *p);
}

typedef struct {
    double v;
    int i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return x->i - y->i;
}

/* Bandwidths of Optuna's univariate rule: each kernel's distance to its farther neighbour among
 * the sorted centres (the prior's centre included, the bounds as outer neighbours), the extreme
 * kernels using their inner neighbour only (consider_endpoints off), clipped to
 * [range / min(100, nobs + 2), range] with the magic clip. */
static int compute_sigmas(const double *mus, int nobs, double lo, double hi,
                          const ll_tpe_options *o, double *sigma)
{
    int m = nobs + 1;
    keyed *k = malloc((size_t)m * sizeof *k);
    double *e = malloc((size_t)(m + 2) * sizeof *e), *ss = malloc((size_t)m * sizeof *ss);
    if (!k || !e || !ss) {
        free(k);
        free(e);
        free(ss);
        return -1;
    }
    for (int i = 0; i < nobs; i++) k[i] = (keyed){mus[i], i};
    k[nobs] = (keyed){0.5 * (lo + hi), nobs};
    qsort(k, (size_t)m, sizeof *k, cmp_keyed);
    e[0] = lo;
    for (int i = 0; i < m; i++) e[i + 1] = k[i].v;
    e[m + 1] = hi;
    for (int j = 0; j < m; j++) {
        double l = e[j + 1] - e[j], r = e[j + 2] - e[j + 1];
        ss[j] = l > r ? l : r;
    }
    if (!o->consider_endpoints && m + 2 >= 4) {
        ss[0] = e[2] - e[1];
        ss[m - 1] = e[m] - e[m - 1];
    }
    double maxs = hi - lo;
    double mins = o->consider_magic_clip ? (hi - lo) / fmin(100.0, 1.0 + (nobs + 1)) : TPE_EPS;
    for (int j = 0; j < m; j++) {
        if (k[j].i == nobs) continue;
        double s = ss[j];
        if (s < mins) s = mins;
        if (s > maxs) s = maxs;
        sigma[k[j].i] = s;
    }
    free(k);
    free(e);
    free(ss);
    return 0;
}

ll_status ll_tpe_parzen_fit(const ll_tpe_dist *d, const double *obs, int nobs,
                            const ll_tpe_options *o, ll_tpe_parzen *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    out->dist = *d;
    if (nobs < 0) nobs = 0;
    if (o->prior_weight <= 0 && nobs == 0)
        return ll_error_set(err, LL_EINVAL, "tpe: no observations and no prior");
    int n = nobs + 1;
    out->n = n;
    out->weight = malloc((size_t)n * sizeof *out->weight);
    if (!out->weight) goto oom;
    if (nobs == 0) {
        out->weight[0] = 1.0;
    } else {
        ll_tpe_weights(nobs, out->weight);
        out->weight[nobs] = o->prior_weight;
        double s = 0;
        for (int i = 0; i < n; i++) s += out->weight[i];
        for (int i = 0; i < n; i++) out->weight[i] /= s;
    }
    if (d->kind == LL_TPE_CATEGORICAL) {
        int c = d->nchoices;
        out->prob = malloc((size_t)n * (size_t)c * sizeof *out->prob);
        if (!out->prob) goto oom;
        for (int i = 0; i < n; i++) {
            double *row = out->prob + (size_t)i * (size_t)c, s = 0;
            for (int j = 0; j < c; j++) row[j] = o->prior_weight / n;
            if (i < nobs) {
                int idx = (int)obs[i];
                if (idx >= 0 && idx < c) row[idx] += 1;
            }
            for (int j = 0; j < c; j++) s += row[j];
            for (int j = 0; j < c && s > 0; j++) row[j] /= s;
        }
        return LL_OK;
    }
    internal_bounds(d, &out->low, &out->high);
    out->mu = malloc((size_t)n * sizeof *out->mu);
    out->sigma = malloc((size_t)n * sizeof *out->sigma);
    if (!out->mu || !out->sigma) goto oom;
    for (int i = 0; i < nobs; i++) {
        double x = obs[i];
        if (x < d->low) x = d->low;
        if (x > d->high) x = d->high;
        out->mu[i] = to_internal(d, x);
    }
    if (compute_sigmas(out->mu, nobs, out->low, out->high, o, out->sigma)) goto oom;
    out->mu[nobs] = 0.5 * (out->low + out->high);
    out->sigma[nobs] = out->high - out->low;
    return LL_OK;
oom:
    ll_tpe_parzen_free(out);
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

static int pick(const double *w, int n, double u)
{
    double c = 0;
    for (int i = 0; i < n; i++) {
        c += w[i];
        if (u < c) return i;
    }
    return n - 1;
}

double ll_tpe_parzen_sample(const ll_tpe_parzen *p, ll_tpe_rng *rng)
{
    int k = pick(p->weight, p->n, ll_tpe_rng_uniform(rng));
    const ll_tpe_dist *d = &p->dist;
    if (d->kind == LL_TPE_CATEGORICAL)
        return pick(p->prob + (size_t)k * (size_t)d->nchoices, d->nchoices,
                    ll_tpe_rng_uniform(rng));
    double mu = p->mu[k], s = p->sigma[k];
    double z = truncnorm_ppf(ll_tpe_rng_uniform(rng), (p->low - mu) / s, (p->high - mu) / s);
    return from_internal(d, mu + s * z);
}

/* log density of kernel k at external value x (NaN-free; -inf outside the support). */
static double kernel_log_pdf(const ll_tpe_parzen *p, int k, double x)
{
    const ll_tpe_dist *d = &p->dist;
    double mu = p->mu[k], s = p->sigma[k];
    double norm = ll_tpe_log_gauss_mass((p->low - mu) / s, (p->high - mu) / s);
    if (is_discrete(d)) {
        double h = d->step / 2;
        double l = to_internal(d, x - h), r = to_internal(d, x + h);
        return ll_tpe_log_gauss_mass((l - mu) / s, (r - mu) / s) - norm;
    }
    double v = to_internal(d, x);
    if (v < p->low || v > p->high) return -INFINITY;
    double z = (v - mu) / s;
    return -0.5 * z * z - LOG_SQRT_2PI - log(s) - norm;
}

double ll_tpe_parzen_log_pdf(const ll_tpe_parzen *p, double x)
{
    const ll_tpe_dist *d = &p->dist;
    double mx = -INFINITY;
    double stack[64], *t = p->n <= 64 ? stack : malloc((size_t)p->n * sizeof *t);
    if (!t) return NAN;
    for (int k = 0; k < p->n; k++) {
        double lp;
        if (d->kind == LL_TPE_CATEGORICAL) {
            int c = (int)x;
            lp = c >= 0 && c < d->nchoices ? log(p->prob[(size_t)k * (size_t)d->nchoices + c])
                                           : -INFINITY;
        } else {
            lp = kernel_log_pdf(p, k, x);
        }
        t[k] = lp + log(p->weight[k]);
        if (t[k] > mx) mx = t[k];
    }
    double out = -INFINITY;
    if (mx > -INFINITY) {
        double s = 0;
        for (int k = 0; k < p->n; k++) s += exp(t[k] - mx);
        out = s > 0 ? log(s) + mx : -INFINITY; /* s >= 1: the largest term is exp(0) */
    }
    if (t != stack) free(t);
    return out;
}

double ll_tpe_sample_random(const ll_tpe_dist *d, ll_tpe_rng *rng)
{
    double u = ll_tpe_rng_uniform(rng);
    if (d->kind == LL_TPE_CATEGORICAL) {
        int c = (int)(u * d->nchoices);
        return c < d->nchoices ? c : d->nchoices - 1;
    }
    double lo, hi;
    internal_bounds(d, &lo, &hi);
    return from_internal(d, lo + u * (hi - lo));
}

/* ---------- the sampler ---------- */

typedef struct {
    double group; /* -inf: completed; -step: pruned after a report; +inf: pruned before any */
    double score; /* objective made "lower is better" */
    size_t i;
} rank_key;

static int cmp_rank(const void *a, const void *b)
{
    const rank_key *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->score != y->score) {
        if (isnan(x->score)) return 1;
        if (isnan(y->score)) return -1;
        return x->score < y->score ? -1 : 1;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}

size_t ll_tpe_split(const ll_tpe_obs *hist, size_t nhist, int maximize, signed char *below)
{
    rank_key *k = malloc((nhist ? nhist : 1) * sizeof *k);
    size_t n = 0;
    double sign = maximize ? -1 : 1;
    for (size_t i = 0; i < nhist; i++) {
        below[i] = -1;
        const ll_tpe_obs *h = &hist[i];
        rank_key r = {0, 0, i};
        if (h->state == LL_TPE_COMPLETE && !isnan(h->value)) {
            r.group = -INFINITY;
            r.score = sign * h->value;
        } else if (h->state == LL_TPE_PRUNED) {
            if (h->last_step >= 0) {
                r.group = -(double)h->last_step;
                r.score = isnan(h->last_value) ? INFINITY : sign * h->last_value;
            } else {
                r.group = INFINITY;
                r.score = 0;
            }
        } else {
            continue;
        }
        below[i] = 0;
        if (k) k[n] = r;
        n++;
    }
    if (!k) return n; /* out of memory: everything stays "above" */
    qsort(k, n, sizeof *k, cmp_rank);
    size_t nb = (size_t)ll_tpe_gamma((int)n);
    for (size_t j = 0; j < nb && j < n; j++) below[k[j].i] = 1;
    free(k);
    return n;
}

ll_status ll_tpe_suggest(const ll_tpe_dist *space, int ndim, const ll_tpe_obs *hist, size_t nhist,
                         const ll_tpe_options *o, ll_tpe_rng *rng, double *x_out, ll_error *err)
{
    signed char *below = malloc(nhist ? nhist : 1);
    if (!below) return ll_error_set(err, LL_ENOMEM, "out of memory");
    size_t n = ll_tpe_split(hist, nhist, o->maximize, below);
    if (n < (size_t)(o->n_startup_trials > 0 ? o->n_startup_trials : 0) || n == 0) {
        for (int d = 0; d < ndim; d++) x_out[d] = ll_tpe_sample_random(&space[d], rng);
        free(below);
        return LL_OK;
    }
    double *ob = malloc(n * sizeof *ob), *oa = malloc(n * sizeof *oa);
    int ncand = o->n_ei_candidates > 0 ? o->n_ei_candidates : 1;
    ll_status st = LL_OK;
    if (!ob || !oa) st = ll_error_set(err, LL_ENOMEM, "out of memory");
    for (int d = 0; d < ndim && !st; d++) {
        int nb = 0, na = 0;
        for (size_t i = 0; i < nhist; i++) { /* chronological within each set */
            if (below[i] < 0 || isnan(hist[i].x[d])) continue;
            if (below[i])
                ob[nb++] = hist[i].x[d];
            else
                oa[na++] = hist[i].x[d];
        }
        ll_tpe_parzen l, g;
        if ((st = ll_tpe_parzen_fit(&space[d], ob, nb, o, &l, err))) break;
        if ((st = ll_tpe_parzen_fit(&space[d], oa, na, o, &g, err))) {
            ll_tpe_parzen_free(&l);
            break;
        }
        double best = -INFINITY, bx = NAN;
        for (int c = 0; c < ncand; c++) {
            double x = ll_tpe_parzen_sample(&l, rng);
            double score = ll_tpe_parzen_log_pdf(&l, x) - ll_tpe_parzen_log_pdf(&g, x);
            if (c == 0 || score > best) {
                best = score;
                bx = x;
            }
        }
        x_out[d] = bx;
        ll_tpe_parzen_free(&l);
        ll_tpe_parzen_free(&g);
    }
    free(ob);
    free(oa);
    free(below);
    return st;
}

/* ---------- the median pruner ---------- */

void ll_tpe_pruner_default(ll_tpe_pruner *p)
{
    p->percentile = 50;
    p->n_startup_trials = 5;
    p->n_warmup_steps = 0;
    p->interval_steps = 1;
    p->n_min_trials = 1;
    p->maximize = 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ll_tpe_percentile(const double *v, size_t n, double q)
{
    double stack[128], *t = n <= 128 ? stack : malloc(n * sizeof *t);
    if (!t) return NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) t[m++] = v[i];
    double out = NAN;
    if (m) {
        qsort(t, m, sizeof *t, cmp_double);
        double pos = q / 100.0 * (double)(m - 1);
        size_t lo = (size_t)floor(pos), hi = lo + 1 < m ? lo + 1 : lo;
        out = t[lo] + (t[hi] - t[lo]) * (pos - (double)lo);
    }
    if (t != stack) free(t);
    return out;
}

int ll_tpe_pruner_check(const ll_tpe_pruner *p, size_t ncomplete, long step, long prev_step,
                        double best, const double *at_step, size_t nat)
{
    if (ncomplete == 0 || ncomplete < (size_t)(p->n_startup_trials > 0 ? p->n_startup_trials : 0))
        return 0;
    if (step < 0 || step < p->n_warmup_steps) return 0;
    long iv = p->interval_steps > 0 ? p->interval_steps : 1;
    long nearest = (step - p->n_warmup_steps) / iv * iv + p->n_warmup_steps;
    if (!(prev_step < nearest)) return 0;
    if (isnan(best)) return 1;
    if (nat < (size_t)(p->n_min_trials > 0 ? p->n_min_trials : 0) || nat == 0) return 0;
    double q = ll_tpe_percentile(at_step, nat, p->maximize ? 100 - p->percentile : p->percentile);
    if (isnan(q)) return 0;
    return p->maximize ? best < q : best > q;
}
