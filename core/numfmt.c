/* numfmt: locale-independent number parsing and shortest round-trip formatting. */
#include "numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Slow path: copy into a C-locale-shaped buffer and use strtod. The buffer only ever holds
 * digits, sign, '.', 'e', so the only locale dependence is the decimal point, which we swap
 * for the current locale's if it differs. */
static int numparse_slow(const char *s, size_t len, double *out)
{
    char buf[512];
    if (len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char point = '.';
    {
        char probe[8];
        snprintf(probe, sizeof probe, "%.1f", 1.5);
        point = probe[1];
    }
    if (point != '.')
        for (size_t i = 0; i < len; i++)
            if (buf[i] == '.') buf[i] = point;
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end != buf + len) return 0;
    *out = v;
    return 1;
}

int ll_numparse(const char *s, size_t len, double *out)
{
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (!len) return 0;
    const char *p = s, *end = s + len;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = (*p++ == '-');
    uint64_t mant = 0;
    int ndig = 0, exp10 = 0, seen_digit = 0, dropped = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        seen_digit = 1;
        if (ndig < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            if (mant) ndig++;
        } else {
            exp10++;
            dropped = 1;
        }
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            seen_digit = 1;
            if (ndig < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                if (mant) ndig++;
                exp10--;
            } else {
                dropped = 1;
            }
            p++;
        }
    }
    if (!seen_digit) return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, e = 0, edig = 0;
        if (p < end && (*p == '+' || *p == '-')) eneg = (*p++ == '-');
        while (p < end && *p >= '0' && *p <= '9') {
            if (e < 100000) e = e * 10 + (*p - '0');
            p++;
            edig++;
        }
        if (!edig) return 0;
        exp10 += eneg ? -e : e;
    }
    if (p != end) return 0;
    /* Clinger's fast path: exact when the mantissa fits in 53 bits and 10^|e| is exact. */
    if (!dropped && mant < (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mant;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return 1;
    }
    return numparse_slow(s, len, out);
}

static void fix_point(char *buf)
{
    for (char *q = buf; *q; q++)
        if (*q == ',') *q = '.';
}

/* The definition of the text: "%.0f" for integers below 1e15, else the first of "%.15g",
 * "%.16g", "%.17g" that reads back. snprintf-based, so every value is covered; the
 * integer-arithmetic path gives the same bytes many times faster where it applies. */
static void format_slow(double v, char *buf, size_t len)
{
    if (!len) return;
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
        if (!strcmp(buf, "-0")) snprintf(buf, len, "0");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        fix_point(buf);
        double back;
        if (ll_numparse(buf, strlen(buf), &back) && back == v) break;
    }
}

/* ---------- integer-arithmetic path ---------- */

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;

static const uint64_t pow5[] = {1ULL,
                                5ULL,
                                25ULL,
                                125ULL,
                                625ULL,
                                3125ULL,
                                15625ULL,
                                78125ULL,
                                390625ULL,
                                1953125ULL,
                                9765625ULL,
                                48828125ULL,
                                244140625ULL,
                                1220703125ULL,
                                6103515625ULL,
                                30517578125ULL,
                                152587890625ULL,
                                762939453125ULL,
                                3814697265625ULL,
                                19073486328125ULL,
                                95367431640625ULL,
                                476837158203125ULL,
                                2384185791015625ULL};

static const uint64_t pow10u[] = {1ULL,
                                  10ULL,
                                  100ULL,
                                  1000ULL,
                                  10000ULL,
                                  100000ULL,
                                  1000000ULL,
                                  10000000ULL,
                                  100000000ULL,
                                  1000000000ULL,
                                  10000000000ULL,
                                  100000000000ULL,
                                  1000000000000ULL,
                                  10000000000000ULL,
                                  100000000000000ULL,
                                  1000000000000000ULL,
                                  10000000000000000ULL,
                                  100000000000000000ULL};

#define NPOW5 ((int)(sizeof pow5 / sizeof *pow5))

/* v = m * 2^e2 exactly. Scaled by 10^k it is m * 5^k / 2^s with s = -(e2 + k) > 0. */
typedef struct {
    uint64_t m;
    int e2;
} binary;

/* Round m * 2^e2 * 10^k to an integer, ties to even (what glibc's printf does in the default
 * rounding mode); *floor_out gets the value rounded down. 0 when k or the shift is out of the
 * tables' range. */
static int scaled(binary b, int k, uint64_t *rounded, uint64_t *floor_out)
{
    int s = -(b.e2 + k);
    if (k < 0 || k >= NPOW5 || s <= 0 || s >= 100) return 0;
    u128 n = (u128)b.m * pow5[k];
    u128 fl = n >> s, rem = n - (fl << s), half = (u128)1 << (s - 1);
    if (fl >> 64) return 0;
    uint64_t d = (uint64_t)fl;
    *floor_out = d;
    if (rem > half || (rem == half && (d & 1))) d++;
    *rounded = d;
    return 1;
}

/* Does the decimal d * 10^-k read back as b (nearest double, ties to even)? Compared against
 * the midpoints to the neighbouring doubles, scaled by 2^(s + 2) * 10^k to stay integral. */
static int reads_back(binary b, uint64_t d, int k)
{
    int s = -(b.e2 + k);
    u128 x = (u128)d << (s + 2), p5 = pow5[k];
    int even = !(b.m & 1);
    u128 hi = (u128)(4 * b.m + 2) * p5;
    if (x > hi || (x == hi && !even)) return 0;
    /* at a power of two the lower neighbour is half as far away */
    u128 lo = (u128)(b.m == (1ULL << 52) ? 4 * b.m - 1 : 4 * b.m - 2) * p5;
    if (x < lo || (x == lo && !even)) return 0;
    return 1;
}

/* %g's fixed notation of d * 10^(x - nd + 1) with nd significant digits, trailing zeros of d
 * dropped; returns the end of the text. */
static char *put_fixed(char *w, uint64_t d, int nd, int x)
{
    while (nd > 1 && d % 10 == 0) {
        d /= 10;
        nd--;
    }
    char dig[20];
    for (int i = nd - 1; i >= 0; i--) {
        dig[i] = (char)('0' + d % 10);
        d /= 10;
    }
    if (x < 0) {
        *w++ = '0';
        *w++ = '.';
        for (int i = 0; i < -x - 1; i++) *w++ = '0';
        memcpy(w, dig, (size_t)nd);
        return w + nd;
    }
    int ip = x + 1; /* digits before the point */
    if (nd <= ip) {
        memcpy(w, dig, (size_t)nd);
        w += nd;
        for (int i = nd; i < ip; i++) *w++ = '0';
        return w;
    }
    memcpy(w, dig, (size_t)ip);
    w += ip;
    *w++ = '.';
    memcpy(w, dig + ip, (size_t)(nd - ip));
    return w + (nd - ip);
}

/* The integer-arithmetic path: the text of v for integers below 1e15 and for the others with
 * 1e-4 <= |v| < 1e14 (probabilities, scores, contributions), NUL-terminated, at most 24
 * bytes; 0 when v is not for it. */
static size_t format_fast(double v, char *buf)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e15)) return 0;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int bexp = (int)((bits >> 52) & 0x7ff);
    binary b = {(bits & ((1ULL << 52) - 1)) | (1ULL << 52), bexp - 1075};
    /* integers: the digits "%.0f" writes (here 3 <= -e2 <= 66) */
    int sh = -b.e2;
    if (sh < 53 && !(b.m & ((1ULL << sh) - 1))) {
        char *w = buf;
        if (v < 0) *w++ = '-';
        uint64_t n = b.m >> sh;
        int nd = 1;
        while (nd < 15 && n >= pow10u[nd]) nd++;
        for (int i = nd - 1; i >= 0; i--) {
            w[i] = (char)('0' + n % 10);
            n /= 10;
        }
        w[nd] = '\0';
        return (size_t)(w + nd - buf);
    }
    if (a >= 1e14) return 0;
    /* decimal exponent x: 10^x <= a < 10^(x+1); floor(E log10 2) is x or x - 1, and the
     * exact 15-digit scaling settles it */
    int x = ((bexp - 1023) * 1233 + 409600) / 4096 - 100;
    uint64_t d, fl;
    for (int tries = 0;; tries++) {
        if (tries > 3 || !scaled(b, 14 - x, &d, &fl)) return 0;
        if (fl < pow10u[14])
            x--;
        else if (fl >= pow10u[15])
            x++;
        else
            break;
    }
    /* the first of 15, 16, 17 significant digits that reads back, as format_slow picks */
    for (int p = 15; p <= 17; p++) {
        int k = p - 1 - x;
        if (p > 15 && !scaled(b, k, &d, &fl)) return 0;
        if (p < 17 && !reads_back(b, d, k)) continue;
        int xe = x, nd = p;
        if (d == pow10u[p]) { /* rounded up to the next power of ten */
            d = pow10u[p - 1];
            xe++;
        }
        char *w = buf;
        if (v < 0) *w++ = '-';
        w = put_fixed(w, d, nd, xe);
        *w = '\0';
        return (size_t)(w - buf);
    }
    return 0;
}
#endif

size_t ll_numfmt_put(double v, char *buf)
{
#if defined(__SIZEOF_INT128__)
    size_t n = format_fast(v, buf);
    if (n) return n;
#endif
    format_slow(v, buf, LL_NUMFMT_MAX);
    return strlen(buf);
}

char *ll_numfmt_double(double v, char *buf, size_t len)
{
    if (len >= LL_NUMFMT_MAX) {
        ll_numfmt_put(v, buf);
        return buf;
    }
    char tmp[LL_NUMFMT_MAX];
    size_t n = ll_numfmt_put(v, tmp);
    if (n < len)
        memcpy(buf, tmp, n + 1);
    else /* too short: cut exactly where the snprintf candidates get cut */
        format_slow(v, buf, len);
    return buf;
}
