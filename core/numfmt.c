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

char *ll_numfmt_double(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, len, v < 0 ? "-Infinity" : "Infinity");
        return buf;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
        if (!strcmp(buf, "-0")) snprintf(buf, len, "0");
        return buf;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        fix_point(buf);
        double back;
        if (ll_numparse(buf, strlen(buf), &back) && back == v) break;
    }
    return buf;
}
