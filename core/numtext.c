/* numtext: ll_numfmt_double's exact text, computed with integer arithmetic for bulk output. */
#include "numtext.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "numfmt.h"

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

/* The fast path; 0 when v is not for it. */
static size_t fast(double v, char *buf)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e14)) return 0;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int bexp = (int)((bits >> 52) & 0x7ff);
    binary b = {(bits & ((1ULL << 52) - 1)) | (1ULL << 52), bexp - 1075};
    /* integers are ll_numfmt_double's "%.0f" case (here e2 <= -6) */
    int sh = -b.e2;
    if (sh < 53 && !(b.m & ((1ULL << sh) - 1))) return 0;
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
    /* ll_numfmt_double: the first of 15, 16, 17 significant digits that reads back */
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

size_t ll_numtext_double(double v, char *buf)
{
#if defined(__SIZEOF_INT128__)
    size_t n = fast(v, buf);
    if (n) return n;
#endif
    ll_numfmt_double(v, buf, LL_NUMTEXT_MAX);
    return strlen(buf);
}
