/* stats: two-sample tests and distances for drift detection, exact where SciPy is exact. */
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---------------------------------------------------------------- sorting */

/* Order-preserving map of a double's bits to an unsigned key: negative numbers have all bits
 * flipped (so larger magnitude sorts first), non-negative ones only the sign bit. */
static uint64_t key_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u ^ ((u >> 63) ? ~UINT64_C(0) : UINT64_C(0x8000000000000000));
}

static double double_of(uint64_t k)
{
    uint64_t u = k ^ ((k >> 63) ? UINT64_C(0x8000000000000000) : ~UINT64_C(0));
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* LSD radix sort with 11-bit digits: 6 passes whose 2048 counters per pass stay in cache. */
enum { RADIX_BITS = 11, RADIX_BUCKETS = 1 << RADIX_BITS, RADIX_PASSES = 6 };
typedef size_t radix_counts[RADIX_PASSES][RADIX_BUCKETS];

/* Count key k's digit for every pass (all histograms come from one read of the data). */
static inline void radix_count(radix_counts c, uint64_t k)
{
    c[0][k & 0x7ff]++;
    c[1][(k >> 11) & 0x7ff]++;
    c[2][(k >> 22) & 0x7ff]++;
    c[3][(k >> 33) & 0x7ff]++;
    c[4][(k >> 44) & 0x7ff]++;
    c[5][k >> 55]++;
}

/* Sort n keys whose digits were counted into c; a pass where every key has the same digit
 * is skipped, which removes most passes for integer-valued data (zero low mantissa bits).
 * tmp has n slots; the result ends in keys. */
static void radix_sort_counted(uint64_t *keys, uint64_t *tmp, size_t n, radix_counts c)
{
    uint64_t *src = keys, *dst = tmp;
    for (int p = 0; p < RADIX_PASSES; p++) {
        size_t *cp = c[p];
        int shift = p * RADIX_BITS;
        if (!n || cp[(src[0] >> shift) & (RADIX_BUCKETS - 1)] == n) continue;
        size_t sum = 0;
        for (size_t b = 0; b < RADIX_BUCKETS; b++) {
            size_t t = cp[b];
            cp[b] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = src[i];
            dst[cp[(k >> shift) & (RADIX_BUCKETS - 1)]++] = k;
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys) memcpy(keys, src, n * sizeof *keys);
}

int ll_stats_sort(double *a, size_t n)
{
    if (n < 2) return 0;
    uint64_t *keys = malloc(2 * n * sizeof *keys);
    if (!keys) return -1;
    radix_counts *c = calloc(1, sizeof *c);
    if (!c) {
        free(keys);
        return -1;
    }
    for (size_t i = 0; i < n; i++) radix_count(*c, keys[i] = key_of(a[i]));
    radix_sort_counted(keys, keys + n, n, *c);
    free(c);
    for (size_t i = 0; i < n; i++) a[i] = double_of(keys[i]);
    free(keys);
    return 0;
}

int ll_stats_distinct(const double *v, size_t n, double **values, size_t **counts, size_t *k,
                      size_t *nobs)
{
    uint64_t *scratch = malloc((n ? 2 * n : 1) * sizeof *scratch);
    if (!scratch) {
        *values = NULL;
        *counts = NULL;
        *k = *nobs = 0;
        return -1;
    }
    int rc = ll_stats_distinct_with(v, n, scratch, values, counts, k, nobs);
    free(scratch);
    return rc;
}

/* Columns with few distinct values (most columns of loan data) are counted in a small
 * open-addressing table instead of sorting every value; only the distinct keys are then
 * radix-sorted. Gives up (returns 1) past DISTINCT_HASH_MAX distinct values. The table lives
 * in scratch, which needs 2 << DISTINCT_HASH_BITS slots. */
#define DISTINCT_HASH_BITS 15
#define DISTINCT_HASH_MAX  (1 << (DISTINCT_HASH_BITS - 1))

static int distinct_by_hash(const double *v, size_t n, uint64_t *scratch, double **values,
                            size_t **counts, size_t *k, size_t *nobs)
{
    const size_t size = (size_t)1 << DISTINCT_HASH_BITS, mask = size - 1;
    uint64_t *slot = scratch, *cnt = scratch + size; /* key 0 never occurs: it is a NaN */
    memset(slot, 0, size * sizeof *slot);
    size_t nd = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) continue;
        uint64_t key = key_of(v[i] == 0 ? 0.0 : v[i]);
        size_t h = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - DISTINCT_HASH_BITS));
        while (slot[h] && slot[h] != key) h = (h + 1) & mask;
        if (!slot[h]) {
            if (++nd > DISTINCT_HASH_MAX) return 1;
            slot[h] = key;
            cnt[h] = 0;
        }
        cnt[h]++;
        m++;
    }
    *nobs = m;
    if (!nd) return 0;
    uint64_t *keys = malloc(2 * nd * sizeof *keys);
    radix_counts *c = calloc(1, sizeof *c);
    double *vals = malloc(nd * sizeof *vals);
    size_t *cn = malloc(nd * sizeof *cn);
    if (!keys || !c || !vals || !cn) {
        free(keys);
        free(c);
        free(vals);
        free(cn);
        return -1;
    }
    size_t j = 0;
    for (size_t h = 0; h < size; h++)
        if (slot[h]) radix_count(*c, keys[j++] = slot[h]);
    radix_sort_counted(keys, keys + nd, nd, *c);
    for (size_t i = 0; i < nd; i++) {
        size_t h = (size_t)((keys[i] * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - DISTINCT_HASH_BITS));
        while (slot[h] != keys[i]) h = (h + 1) & mask;
        vals[i] = double_of(keys[i]);
        cn[i] = (size_t)cnt[h];
    }
    free(keys);
    free(c);
    *values = vals;
    *counts = cn;
    *k = nd;
    return 0;
}

int ll_stats_distinct_with(const double *v, size_t n, uint64_t *scratch, double **values,
                           size_t **counts, size_t *k, size_t *nobs)
{
    *values = NULL;
    *counts = NULL;
    *k = 0;
    *nobs = 0;
    if (n >= ((size_t)1 << DISTINCT_HASH_BITS)) {
        int rc = distinct_by_hash(v, n, scratch, values, counts, k, nobs);
        if (rc <= 0) return rc;
        *nobs = 0;
    }
    uint64_t *keys = scratch, *tmp = scratch + n;
    radix_counts *c = calloc(1, sizeof *c);
    if (!c) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) continue;
        uint64_t k = key_of(v[i] == 0 ? 0.0 : v[i]);
        keys[m++] = k;
        radix_count(*c, k);
    }
    radix_sort_counted(keys, tmp, m, *c);
    free(c);
    size_t nd = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || keys[i] != keys[i - 1]) nd++;
    *nobs = m;
    if (!nd) return 0;
    double *vals = malloc(nd * sizeof *vals);
    size_t *cnt = malloc(nd * sizeof *cnt);
    if (!vals || !cnt) {
        free(vals);
        free(cnt);
        return -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || keys[i] != keys[i - 1]) {
            vals[j] = double_of(keys[i]);
            cnt[j++] = 0;
        }
        cnt[j - 1]++;
    }
    *values = vals;
    *counts = cnt;
    *k = nd;
    *nobs = m;
    return 0;
}

static size_t total_count(const size_t *c, size_t k)
{
    if (!c) return k;
    size_t s = 0;
    for (size_t i = 0; i < k; i++) s += c[i];
    return s;
}

#define CNT(c, i) ((c) ? (c)[i] : 1)

/* ---------------------------------------------------- Kolmogorov-Smirnov */

/* Pr(D_{n,n} >= h/n) for two samples of equal size n (SciPy's _compute_prob_outside_square):
 * 2 * sum_k (-1)^k binom(2n, n-kh) / binom(2n, n), evaluated as a Horner-like product to avoid
 * subtractive cancellation. */
static double ks_prob_outside_square(long n, long h)
{
    double P = 0.0;
    for (long k = n / h; k >= 0; k--) {
        double p1 = 1.0;
        for (long j = 0; j < h; j++)
            p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
        P = p1 * (1.0 - P);
    }
    return 2 * P;
}

/* Proportion of lattice paths from (0,0) to (m,n) leaving the band |x/m - y/n| < h/lcm(m,n)
 * (Hodges' inside method, SciPy's _compute_outer_prob_inside_method): the recursion is run on
 * 1 - p directly (Viehmann 2021), keeping one sliding column of the path-count table. */
static double ks_outer_prob_inside(long m, long n, long g, long h)
{
    if (m < n) {
        long t = m;
        m = n;
        n = t;
    }
    long mg = m / g, ng = n / g;
    long minj = 0, maxj = (long)ceil((double)h / (double)mg);
    if (maxj > n + 1) maxj = n + 1;
    long curlen = maxj - minj;
    long lenA = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
    double *A = malloc((size_t)lenA * sizeof *A);
    if (!A) return NAN;
    for (long i = 0; i < lenA; i++) A[i] = 1.0;
    for (long i = minj; i < maxj && i < lenA; i++) A[i] = 0.0;
    for (long i = 1; i <= m; i++) {
        long lastminj = minj, lastlen = curlen;
        minj = (long)floor((double)(ng * i - h) / (double)mg) + 1;
        if (minj < 0) minj = 0;
        if (minj > n) minj = n;
        maxj = (long)ceil((double)(ng * i + h) / (double)mg);
        if (maxj > n + 1) maxj = n + 1;
        if (maxj <= minj) {
            free(A);
            return 1.0;
        }
        double val = minj == 0 ? 0.0 : 1.0;
        for (long jj = 0; jj < maxj - minj; jj++) {
            long j = jj + minj;
            val = (A[jj + minj - lastminj] * (double)i + val * (double)j) / (double)(i + j);
            A[jj] = val;
        }
        curlen = maxj - minj;
        if (lastlen > curlen)
            for (long t = maxj - minj; t < maxj - minj + (lastlen - curlen) && t < lenA; t++)
                A[t] = 1.0;
    }
    double r = A[maxj - minj - 1];
    free(A);
    return r;
}

static const double EP128 = 3.402823669209384634633746074317682114560e38;  /* 2^128 */
static const double EM128 = 2.938735877055718769921841343055614194547e-39; /* 2^-128 */

static double clip01(double p)
{
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* log(n! / n^n) by Stirling's series with n log n removed up front. */
static double log_nfact_div_npown(double n)
{
    static const double c[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3,
                               -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                               -5.952380952380952381e-4,  7.9365079365079365079e-4,
                               -2.7777777777777777778e-3, 8.3333333333333333333e-2};
    double rn = 1.0 / n, x = rn / n, s = 0;
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) s = s * x + c[i];
    return log(n) / 2 - n + log(2 * M_PI) / 2 + rn * s;
}

/* Square matrix product C = A B (m x m, row-major). */
static void matmul(const double *A, const double *B, double *C, int m)
{
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) C[i * m + j] = 0;
        for (int k = 0; k < m; k++) {
            double a = A[i * m + k];
            if (a == 0) continue;
            for (int j = 0; j < m; j++) C[i * m + j] += a * B[k * m + j];
        }
    }
}

/* Pr(D_n <= d) by Durbin's matrix method as Marsaglia, Tsang & Wang compute it: the k-th
 * diagonal entry of H^n scaled by n!/n^n, with exponents tracked to avoid overflow. */
static double kolmogn_dmtw_cdf(long n, double d)
{
    if (d >= 1.0) return 1.0;
    double nd = (double)n * d;
    if (nd <= 0.5) return 0.0;
    int k = (int)ceil(nd);
    double h = k - nd;
    int m = 2 * k - 1;
    size_t mm = (size_t)m * (size_t)m;
    double *H = calloc(mm, sizeof *H), *P = calloc(mm, sizeof *P), *T = malloc(mm * sizeof *T);
    double *v = malloc((size_t)m * sizeof *v), *w = malloc((size_t)m * sizeof *w);
    double result = NAN;
    if (!H || !P || !T || !v || !w) goto done;
    double fac = 1.0;
    for (int j = 1; j <= m; j++) {
        v[j - 1] = 1.0 - pow(h, j);
        w[j - 1] = fac;
        fac /= j;
        v[j - 1] *= fac;
    }
    double tt = pow(fmax(2 * h - 1.0, 0), m) - 2 * pow(h, m);
    v[m - 1] = (1.0 + tt) * fac;
    for (int i = 1; i < m; i++)
        for (int r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)];
    for (int r = 0; r < m; r++) H[r * m] = v[r];
    for (int c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];
    for (int i = 0; i < m; i++) P[i * m + i] = 1.0;
    long nn = n;
    long expnt = 0, Hexpnt = 0;
    while (nn > 0) {
        if (nn % 2) {
            matmul(P, H, T, m);
            memcpy(P, T, mm * sizeof *T);
            expnt += Hexpnt;
        }
        matmul(H, H, T, m);
        memcpy(H, T, mm * sizeof *T);
        Hexpnt *= 2;
        if (fabs(H[(k - 1) * m + (k - 1)]) > EP128) {
            for (size_t i = 0; i < mm; i++) H[i] /= EP128;
            Hexpnt += 128;
        }
        nn /= 2;
    }
    long double p = P[(k - 1) * m + (k - 1)];
    for (long i = 1; i <= n; i++) {
        p = (long double)i * p / (long double)n;
        if (fabsl(p) < EM128) {
            p *= EP128;
            expnt -= 128;
        }
    }
    if (expnt != 0) p = ldexpl(p, (int)expnt);
    result = clip01((double)p);
done:
    free(H);
    free(P);
    free(T);
    free(v);
    free(w);
    return result;
}

static void pomeranz_j1j2(long i, long n, long ll, long ceilf, long roundf, long *j1, long *j2)
{
    long a, b;
    if (i == 0) {
        a = -ll - ceilf - 1;
        b = ll + ceilf - 1;
    } else {
        long ip1div2 = (i + 1) / 2, ip1mod2 = (i + 1) % 2;
        if (ip1mod2 == 0) {
            if (ip1div2 == n + 1) {
                a = n - ll - ceilf - 1;
                b = n + ll + ceilf - 1;
            } else {
                a = ip1div2 - 1 - ll - roundf - 1;
                b = ip1div2 + ll - 1 + ceilf - 1;
            }
        } else {
            a = ip1div2 - 1 - ll - 1;
            b = ip1div2 + ll + roundf - 1;
        }
    }
    *j1 = a + 2 > 0 ? a + 2 : 0;
    *j2 = b < n ? b : n;
}

/* Pr(D_n <= x) by Pomeranz's recursion (1974): rows are convolutions of the previous row with
 * (unnormalised) Poisson probabilities; only a band of each row is non-zero. */
static double kolmogn_pomeranz_cdf(long n, double x)
{
    double t = (double)n * x;
    long ll = (long)floor(t);
    double f = t - (double)ll;
    double g = fmin(f, 1.0 - f);
    long ceilf = f > 0 ? 1 : 0, roundf = f > 0.5 ? 1 : 0;
    long npwrs = 2 * (ll + 1);
    double *buf = calloc((size_t)npwrs * 5 + (size_t)(4 * npwrs), sizeof *buf);
    if (!buf) return NAN;
    double *gpower = buf, *twogpower = buf + npwrs, *onem2gpower = buf + 2 * npwrs;
    double *V0 = buf + 3 * npwrs, *V1 = buf + 4 * npwrs, *conv = buf + 5 * npwrs;
    gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
    long expnt = 0;
    double g_n = g / (double)n, two_g_n = 2 * g / (double)n, om2g_n = (1 - 2 * g) / (double)n;
    for (long m = 1; m < npwrs; m++) {
        gpower[m] = gpower[m - 1] * g_n / (double)m;
        twogpower[m] = twogpower[m - 1] * two_g_n / (double)m;
        onem2gpower[m] = onem2gpower[m - 1] * om2g_n / (double)m;
    }
    V1[0] = 1;
    long V0s = 0, V1s = 0, j1, j2;
    pomeranz_j1j2(0, n, ll, ceilf, roundf, &j1, &j2);
    for (long i = 1; i < 2 * n + 2; i++) {
        long k1 = j1;
        double *tv = V0;
        V0 = V1;
        V1 = tv;
        long ts = V0s;
        V0s = V1s;
        V1s = ts;
        memset(V1, 0, (size_t)npwrs * sizeof *V1);
        pomeranz_j1j2(i, n, ll, ceilf, roundf, &j1, &j2);
        const double *pw = (i == 1 || i == 2 * n + 1) ? gpower : (i % 2 ? twogpower : onem2gpower);
        long ln2 = j2 - k1 + 1;
        if (ln2 > 0) {
            long off = k1 - V0s;
            long la = ln2;
            if (off + la > npwrs) la = npwrs - off;
            if (la < 0 || off < 0) la = 0;
            long lb = ln2 < npwrs ? ln2 : npwrs;
            long lc = la && lb ? la + lb - 1 : 0;
            for (long c = 0; c < lc; c++) {
                double s = 0;
                long lo = c - (lb - 1) > 0 ? c - (lb - 1) : 0, hi = c < la - 1 ? c : la - 1;
                for (long a = lo; a <= hi; a++) s += V0[off + a] * pw[c - a];
                conv[c] = s;
            }
            long conv_start = j1 - k1, conv_len = j2 - j1 + 1;
            double mx = 0;
            for (long c = 0; c < conv_len; c++) {
                long src = conv_start + c;
                V1[c] = (src >= 0 && src < lc) ? conv[src] : 0.0;
                if (V1[c] > mx) mx = V1[c];
            }
            if (0 < mx && mx < EM128) {
                for (long c = 0; c < npwrs; c++) V1[c] *= EP128;
                expnt -= 128;
            }
            V1s = V0s + j1 - k1;
        }
    }
    double ans = V1[n - V1s];
    for (long m = 1; m <= n; m++) {
        if (fabs(ans) > EP128) {
            ans *= EM128;
            expnt += 128;
        }
        ans *= (double)m;
    }
    if (expnt != 0) ans = ldexp(ans, (int)expnt);
    free(buf);
    return clip01(ans);
}

/* Pelz-Good (1976) approximation of Pr(D_n <= x): the Li-Chien/Korolyuk expansion in powers of
 * 1/sqrt(n), each term rewritten through Jacobi theta identities so it converges for small z. */
static double kolmogn_pelzgood_cdf(long n, double x)
{
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    const double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    double z = sqrt((double)n) * x;
    double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
    double qlog = -pi2 / 8 / z2;
    if (qlog < -708) return 0.0;
    double q = exp(qlog);
    double k1a = -z2, k1b = pi2 / 4;
    double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
    double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
    double k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * pow(z, 8);
    double K[4] = {0, 0, 0, 0};
    long maxk = (long)ceil(16 * z / M_PI);
    for (long k = maxk; k > 0; k--) {
        double m = (double)(2 * k - 1);
        double m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
        double qp = pow(q, (double)(8 * k));
        double c[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                       k3a + k3b * m2 + k3c * m4 + k3d * m6};
        for (int i = 0; i < 4; i++) K[i] = K[i] * qp + c[i];
    }
    double s2pi = sqrt(2 * M_PI);
    double den[4] = {z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)};
    for (int i = 0; i < 4; i++) K[i] = K[i] * q * s2pi / den[i];
    q = exp(-pi2 / 2 / z2);
    double e2 = 0, e3 = 0, s3z = sqrt(3.0) * z;
    for (long k = maxk; k > 0; k--) {
        double kk = (double)k * (double)k, qp = pow(q, kk), kpi = M_PI * (double)k;
        e2 += kk * qp;
        e3 += (s3z + kpi) * (s3z - kpi) * kk * qp;
    }
    K[2] += e2 * (pi2 * s2pi / (-36 * z3));
    K[3] += e3 * (pi2 * s2pi / (216 * z6));
    double sum = 0;
    for (int i = 0; i < 4; i++) sum += K[i] / pow((double)n, i / 2.0);
    return sum;
}

double ll_stats_kolmogorov(double x)
{
    /* SciPy's two series for K(x): theta-function form below 0.82, alternating above. */
    if (isnan(x)) return NAN;
    if (x <= 0) return 1.0;
    if (x <= M_PI / sqrt(746.0 * 8)) return 1.0;
    double P = 1.0, sf;
    if (x <= 0.82) {
        double w = sqrt(2 * M_PI) / x;
        double logu8 = -M_PI * M_PI / (x * x);
        double u = exp(logu8 / 8);
        if (u == 0) {
            P = exp(logu8 / 8 + log(w));
        } else {
            double u8 = exp(logu8), u8cub = pow(u8, 3);
            P = 1 + u8cub * P;
            P = 1 + u8 * u8 * P;
            P = 1 + u8 * P;
            P = w * u * P;
        }
        sf = 1 - P;
    } else {
        double v = exp(-2 * x * x), vsq = v * v, v3 = pow(v, 3);
        P = 1 - v3 * v3 * v * P;
        P = 1 - v3 * vsq * P;
        P = 1 - v3 * P;
        sf = 2 * v * P;
    }
    return clip01(sf);
}

/* Exact floor(n x) and its fractional remainder, through an error-free product. */
static long floor_nx(long n, double x, double *alpha)
{
    double hi = (double)n * x, lo = fma((double)n, x, -hi);
    double fl = floor(hi);
    if (hi == fl && lo < 0) fl -= 1;
    double a = (hi - fl) + lo;
    long f = (long)fl;
    if (a >= 1) {
        f += 1;
        a = 0;
    }
    if (a < 0) a = 0;
    *alpha = a;
    return f;
}

double ll_stats_smirnov(long n, double x)
{
    /* Birnbaum-Tingey: Pr(D_n+ >= x) = x sum_{v=0}^{floor(n(1-x))} C(n,v) (x + v/n)^(v-1)
     * (1 - x - v/n)^(n-v). All terms are positive; they are formed in long double logs and
     * summed with SciPy's early-termination rule, so the sum stops where SciPy's does. */
    if (isnan(x)) return NAN;
    if (!(n > 0 && x >= 0.0 && x <= 1.0)) return NAN;
    if (n == 1) return 1 - x;
    if (x == 0.0) return 1.0;
    if (x == 1.0) return 0.0;
    double alpha;
    long nxfl = floor_nx(n, x, &alpha);
    long n1mxfl = n - nxfl - (alpha == 0 ? 0 : 1);
    if (alpha == 0) n1mxfl -= 1;
    if (nxfl == 0 || (nxfl == 1 && alpha == 0)) {
        double t = pow(1 + x, (double)(n - 1));
        return clip01(1 - x * t);
    }
    if (-2 * (double)n * x * x < -7.08396418532264106224e2) return 0.0;
    if (nxfl >= n - 1) return clip01(pow(1 - x, (double)n));
    if (n > 1000000) {
        double nd = (double)n;
        double logp = -pow(6.0 * nd * x + 1, 2) / 18.0 / nd;
        return logp < -M_LN2 ? exp(logp) : 1 + expm1(logp);
    }
    long nterms = n1mxfl + 1;
    long double sum = 0, logC = 0, lx = x, ln = (long double)n;
    /* j = 0: (1 - x)^n / x */
    sum += (long double)exp((double)(ln * log1pl(-lx) - logl(lx)));
    logC += logl(ln);
    for (long j = 1; j < nterms; j++) {
        long double e = lx + (long double)j / ln;
        long double la = logC + (ln - (long double)j) * log1pl(-e) + (long double)(j - 1) * logl(e);
        double aj = exp((double)la);
        if (isfinite(aj) && aj != 0) sum += aj;
        if (aj != 0) {
            if (4.0 * (double)(nterms - j) * aj < DBL_EPSILON * (double)sum && j != nterms - 1)
                break;
        } else if (j > n / 2) {
            break;
        }
        logC += logl((ln - (long double)j) / (long double)(j + 1));
    }
    return clip01((double)(lx * sum));
}

double ll_stats_kolmogn_sf(long n, double x)
{
    /* Simard & L'Ecuyer's (2011) choice of method by n and n x^2, as SciPy's kolmogn. */
    if (n <= 0 || isnan(x)) return NAN;
    if (x >= 1.0) return 0.0;
    if (x <= 0.0) return 1.0;
    double nd = (double)n, t = nd * x;
    if (t <= 1.0) {
        if (t <= 0.5) return 1.0;
        double prob;
        if (n <= 140) {
            prob = 1.0;
            for (long i = 1; i <= n; i++) prob *= (double)i * (1.0 / nd) * (2 * t - 1);
        } else {
            prob = exp(log_nfact_div_npown(nd) + nd * log(2 * t - 1));
        }
        return clip01(1.0 - prob);
    }
    if (t >= nd - 1) return clip01(2 * pow(1.0 - x, nd));
    if (x >= 0.5) return clip01(2 * ll_stats_smirnov(n, x));
    double nxsq = t * x;
    if (n <= 140) {
        if (nxsq <= 0.754693) return clip01(1.0 - kolmogn_dmtw_cdf(n, x));
        if (nxsq <= 4) return clip01(1.0 - kolmogn_pomeranz_cdf(n, x));
        return clip01(2 * ll_stats_smirnov(n, x));
    }
    if (nxsq >= 370.0) return 0.0;
    if (nxsq >= 2.2) return clip01(2 * ll_stats_smirnov(n, x));
    double cdf;
    if (nxsq >= 18.0)
        cdf = 1.0;
    else if (n <= 100000 && nd * pow(x, 1.5) <= 1.4)
        cdf = kolmogn_dmtw_cdf(n, x);
    else
        cdf = kolmogn_pelzgood_cdf(n, x);
    return clip01(1.0 - cdf);
}

static long gcd_long(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

double ll_stats_ks_2samp_pvalue(double d, size_t n1, size_t n2, double *d_used, int *exact)
{
    if (d_used) *d_used = d;
    if (exact) *exact = 0;
    if (!n1 || !n2 || isnan(d)) return NAN;
    long a = (long)n1, b = (long)n2;
    double prob = NAN;
    int use_exact = (a > b ? a : b) <= LL_STATS_KS_MAX_EXACT_N;
    if (use_exact) {
        long g = gcd_long(a, b);
        long lcm = (a / g) * b;
        long h = (long)nearbyint(d * (double)lcm);
        d = (double)h * 1.0 / (double)lcm;
        if (d_used) *d_used = d;
        if (h == 0) {
            prob = 1.0;
        } else if (a == b) {
            prob = ks_prob_outside_square(a, h);
        } else {
            prob = ks_outer_prob_inside(a, b, g, h);
        }
        if (!(prob >= 0 && prob <= 1)) use_exact = 0;
    }
    if (use_exact) {
        if (exact) *exact = 1;
        return clip01(prob);
    }
    /* Asymptotic: the one-sample distribution of D_en with en = mn/(m+n), as SciPy does. */
    double m = (double)(a > b ? a : b), n = (double)(a > b ? b : a);
    double en = m * n / (m + n);
    long ne = (long)nearbyint(en);
    if (ne < 1) return NAN;
    if (d <= 0.5 / (double)ne) return 1.0;
    return clip01(ll_stats_kolmogn_sf(ne, d));
}

void ll_stats_ks_2samp(const double *x, const size_t *cx, size_t kx, const double *y,
                       const size_t *cy, size_t ky, double *stat, double *p, int *exact)
{
    size_t n1 = total_count(cx, kx), n2 = total_count(cy, ky);
    if (exact) *exact = 0;
    if (!n1 || !n2) {
        *stat = NAN;
        *p = NAN;
        return;
    }
    /* D is the largest ECDF gap over all observed points, each ECDF evaluated as
     * count(<= v) / n exactly as SciPy's searchsorted(side="right") / n. */
    size_t i = 0, j = 0, c1 = 0, c2 = 0;
    double maxS = -INFINITY, minS = INFINITY;
    while (i < kx || j < ky) {
        double v = (j >= ky || (i < kx && x[i] <= y[j])) ? x[i] : y[j];
        while (i < kx && x[i] == v) {
            c1 += CNT(cx, i);
            i++;
        }
        while (j < ky && y[j] == v) {
            c2 += CNT(cy, j);
            j++;
        }
        double diff = (double)c1 / (double)n1 - (double)c2 / (double)n2;
        if (diff > maxS) maxS = diff;
        if (diff < minS) minS = diff;
    }
    double mins = -minS;
    if (mins < 0) mins = 0;
    if (mins > 1) mins = 1;
    double d = mins > maxS ? mins : maxS;
    double du;
    *p = ll_stats_ks_2samp_pvalue(d, n1, n2, &du, exact);
    *stat = du;
}

/* ------------------------------------------------------- incomplete gamma */

#define IG_MACHEP 1.11022302462515654042E-16
#define IG_MAXLOG 7.09782712893383996843E2
#define IG_BIG    4.503599627370496e15
#define IG_BIGINV 2.22044604925031308085e-16

/* exp(a log x - x - lgamma(a)), the common prefactor; 0 when it underflows. */
static double igam_prefactor(double a, double x)
{
    int sign;
    double ax = a * log(x) - x - lgamma_r(a, &sign);
    if (ax < -IG_MAXLOG) return 0.0;
    return exp(ax);
}

/* Q(a, x) by its continued fraction (Cephes igamc), for x >= 1 and x >= a. */
static double igamc_cf(double a, double x)
{
    double ax = igam_prefactor(a, x);
    if (ax == 0.0) return 0.0;
    double y = 1.0 - a, z = x + y + 1.0, c = 0.0;
    double pkm2 = 1.0, qkm2 = x, pkm1 = x + 1.0, qkm1 = z * x;
    double ans = pkm1 / qkm1, t;
    int it = 0;
    do {
        c += 1.0;
        y += 1.0;
        z += 2.0;
        double yc = y * c;
        double pk = pkm1 * z - pkm2 * yc;
        double qk = qkm1 * z - qkm2 * yc;
        if (qk != 0) {
            double r = pk / qk;
            t = fabs((ans - r) / r);
            ans = r;
        } else {
            t = 1.0;
        }
        pkm2 = pkm1;
        pkm1 = pk;
        qkm2 = qkm1;
        qkm1 = qk;
        if (fabs(pk) > IG_BIG) {
            pkm2 *= IG_BIGINV;
            pkm1 *= IG_BIGINV;
            qkm2 *= IG_BIGINV;
            qkm1 *= IG_BIGINV;
        }
    } while (t > IG_MACHEP && ++it < 100000);
    return ans * ax;
}

/* P(a, x) by its power series (Cephes igam), for x <= 1 or x <= a. */
static double igam_series(double a, double x)
{
    double ax = igam_prefactor(a, x);
    if (ax == 0.0) return 0.0;
    double r = a, c = 1.0, ans = 1.0;
    int it = 0;
    do {
        r += 1.0;
        c *= x / r;
        ans += c;
    } while (c / ans > IG_MACHEP && ++it < 100000);
    return ans * ax / a;
}

double ll_stats_igam(double a, double x)
{
    if (isnan(a) || isnan(x) || x < 0 || a < 0) return NAN;
    if (a == 0) return x > 0 ? 1.0 : NAN;
    if (x == 0) return 0.0;
    if (isinf(a)) return isinf(x) ? NAN : 0.0;
    if (isinf(x)) return 1.0;
    if (x > 1.0 && x > a) return 1.0 - igamc_cf(a, x);
    return igam_series(a, x);
}

double ll_stats_igamc(double a, double x)
{
    if (isnan(a) || isnan(x) || x < 0 || a < 0) return NAN;
    if (a == 0) return x > 0 ? 0.0 : NAN;
    if (x == 0) return 1.0;
    if (isinf(a)) return isinf(x) ? NAN : 1.0;
    if (isinf(x)) return 0.0;
    if (x < 1.0 || x < a) return 1.0 - igam_series(a, x);
    return igamc_cf(a, x);
}

double ll_stats_chi2_sf(double x, double dof)
{
    if (isnan(x) || !(dof > 0)) return NAN;
    if (x < 0) return 1.0;
    return ll_stats_igamc(dof / 2.0, x / 2.0);
}

void ll_stats_chisquare(const double *obs, const double *exp, size_t k, double *stat, double *p)
{
    if (k < 2) {
        *stat = 0;
        *p = 1.0;
        return;
    }
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        double d = obs[i] - exp[i];
        if (exp[i] == 0) {
            if (d != 0) s = INFINITY;
            continue;
        }
        s += d * d / exp[i];
    }
    *stat = s;
    *p = isinf(s) ? 0.0 : ll_stats_chi2_sf(s, (double)(k - 1));
}

/* ----------------------------------------------------------------- normal */

double ll_stats_norm_sf(double z)
{
    return 0.5 * erfc(z / M_SQRT2);
}

void ll_stats_ztest_2prop(double k1, double n1, double k2, double n2, double *z, double *p)
{
    double p1 = k1 / n1, p2 = k2 / n2;
    double P = (p1 * n1 + p2 * n2) / (n1 + n2);
    double se = sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2));
    if (!(se > 0)) {
        *z = 0;
        *p = 1.0;
        return;
    }
    *z = (p1 - p2) / se;
    *p = 2 * ll_stats_norm_sf(fabs(*z));
}

/* ------------------------------------------------------------- distances */

double ll_stats_wasserstein(const double *x, const size_t *cx, size_t kx, const double *y,
                            const size_t *cy, size_t ky)
{
    size_t nu = total_count(cx, kx), nv = total_count(cy, ky);
    if (!nu || !nv) return NAN;
    /* integral of |U(t) - V(t)| dt: between consecutive distinct points both ECDFs are flat */
    size_t i = 0, j = 0, cu = 0, cv = 0;
    long double sum = 0;
    double prev = 0;
    int first = 1;
    while (i < kx || j < ky) {
        double v = (j >= ky || (i < kx && x[i] <= y[j])) ? x[i] : y[j];
        if (!first)
            sum += (long double)fabs((double)cu / (double)nu - (double)cv / (double)nv) *
                   (long double)(v - prev);
        first = 0;
        while (i < kx && x[i] == v) {
            cu += CNT(cx, i);
            i++;
        }
        while (j < ky && y[j] == v) {
            cv += CNT(cy, j);
            j++;
        }
        prev = v;
    }
    return (double)sum;
}

static double rel_entr(double x, double y)
{
    if (x > 0 && y > 0) return x * log(x / y);
    if (x == 0 && y >= 0) return 0.0;
    return INFINITY;
}

double ll_stats_jensenshannon(const double *p, const double *q, size_t k)
{
    double sp = 0, sq = 0;
    for (size_t i = 0; i < k; i++) {
        sp += p[i];
        sq += q[i];
    }
    if (!(sp > 0) || !(sq > 0)) return NAN;
    double left = 0, right = 0;
    for (size_t i = 0; i < k; i++) {
        double a = p[i] / sp, b = q[i] / sq, m = (a + b) / 2.0;
        left += rel_entr(a, m);
        right += rel_entr(b, m);
    }
    double js = left + right;
    return sqrt(js / 2.0);
}

void ll_stats_floor_zero_shares(double *share, size_t k)
{
    double mn = INFINITY;
    for (size_t i = 0; i < k; i++)
        if (share[i] != 0 && share[i] < mn) mn = share[i];
    if (isinf(mn)) return;
    double fill = mn <= 0.0001 ? mn / 1e6 : 0.0001;
    for (size_t i = 0; i < k; i++)
        if (share[i] == 0) share[i] = fill;
}

double ll_stats_psi(const double *p, const double *q, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++) s += (p[i] - q[i]) * log(p[i] / q[i]);
    return s;
}

/* ------------------------------------------------------------- summaries */

/* Value at 0-based rank r of the sample (distinct values with counts). */
static double value_at_rank(const double *values, const size_t *counts, size_t k, size_t r)
{
    if (!counts) return values[r < k ? r : k - 1];
    size_t cum = 0;
    for (size_t i = 0; i < k; i++) {
        cum += counts[i];
        if (r < cum) return values[i];
    }
    return values[k - 1];
}

double ll_stats_quantile(const double *values, const size_t *counts, size_t k, size_t nobs,
                         double q)
{
    if (!k || !nobs || isnan(q)) return NAN;
    double vi = (double)(nobs - 1) * q;
    double prevf = floor(vi);
    long prev = (long)prevf, next = prev + 1;
    if (vi >= (double)(nobs - 1)) prev = next = (long)nobs - 1, prevf = -1;
    if (vi < 0) prev = next = 0, prevf = 0;
    double a = value_at_rank(values, counts, k, (size_t)prev);
    double b = value_at_rank(values, counts, k, (size_t)next);
    double t = vi - prevf;
    double diff = b - a;
    /* numpy's _lerp: from the nearer end so the result stays within [a, b] */
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

double ll_stats_std(const double *values, const size_t *counts, size_t k)
{
    size_t n = total_count(counts, k);
    if (!n) return NAN;
    long double s = 0;
    for (size_t i = 0; i < k; i++) s += (long double)values[i] * CNT(counts, i);
    long double mean = s / n, ss = 0;
    for (size_t i = 0; i < k; i++) {
        long double d = values[i] - mean;
        ss += d * d * CNT(counts, i);
    }
    return (double)sqrtl(ss / n);
}
