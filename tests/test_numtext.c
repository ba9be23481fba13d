/* Unit tests for numtext: byte-for-byte the text of ll_numfmt_double, on every path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "numfmt.h"
#include "numtext.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(next_u64() >> 11) * 0x1p-53;
}

/* Number of values whose text differed (the first few are printed). */
static int mismatches;

static void check(double v)
{
    char want[LL_NUMTEXT_MAX], got[LL_NUMTEXT_MAX];
    ll_numfmt_double(v, want, sizeof want);
    memset(got, 'x', sizeof got);
    size_t n = ll_numtext_double(v, got);
    if (n != strlen(want) || strcmp(got, want)) {
        if (mismatches++ < 10)
            fprintf(stderr, "%a: numfmt '%s', numtext '%s' (%zu)\n", v, want, got, n);
    }
}

static void test_special_values(void **state)
{
    (void)state;
    mismatches = 0;
    const double vals[] = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           5.0,
                           123456.0,
                           1e14,
                           1e15,
                           NAN,
                           INFINITY,
                           -INFINITY,
                           1e-4,
                           -1e-4,
                           nextafter(1e-4, 0),
                           nextafter(1e-4, 1),
                           0.1,
                           0.2,
                           0.3,
                           0.5,
                           1.0 / 3.0,
                           2.0 / 3.0,
                           nextafter(1.0, 0),
                           nextafter(0.1, 0),
                           nextafter(0.1, 1),
                           nextafter(1e14, 0),
                           99999999999999.99,
                           9999999999999.999,
                           0.99999999999999989,
                           0.0009999999999999998,
                           13.99,
                           623.45,
                           -2.5,
                           1e-5,
                           3.14159e20,
                           5e-324};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) check(vals[i]);
    /* powers of two and their neighbours (the lower neighbour of 2^k is closer) */
    for (int e = -14; e <= 47; e++) {
        double p = ldexp(1.0, e);
        check(p);
        check(nextafter(p, 0));
        check(nextafter(p, INFINITY));
        check(-nextafter(p, 0));
    }
    assert_int_equal(mismatches, 0);
}

static void test_exact_ties(void **state)
{
    (void)state;
    mismatches = 0;
    /* 16 and 17 significant digits ending in 5, exactly representable: the rounding of the
     * 15- and 16-digit candidates hits exact ties (printf rounds them to even) */
    for (int i = 0; i < 20000; i++) {
        double n = (double)(next_u64() % 90000000000000ULL + 10000000000000ULL); /* 14 digits */
        int q = 1 + (int)(next_u64() % 3);
        double frac = (double)(next_u64() % (1u << q)) / (double)(1u << q);
        check(n + frac);
        check((n + frac) / 1024.0);
        double n12 = (double)(next_u64() % 900000000000ULL + 100000000000ULL);
        check(n12 + 0.125 + 0.0625 * (double)(i % 2));
    }
    assert_int_equal(mismatches, 0);
}

static void test_probabilities(void **state)
{
    (void)state;
    mismatches = 0;
    for (int i = 0; i < 300000; i++) check(uniform());
    /* as a gbdt computes them: the sigmoid of a float margin */
    for (int i = 0; i < 200000; i++) {
        float margin = (float)(uniform() * 16.0 - 12.0);
        check(1.0 / (1.0 + exp(-(double)margin)));
    }
    /* short decimals (15 digits read back) and their neighbours */
    for (int i = 0; i < 100000; i++) {
        double d = (double)(next_u64() % 100000) / 100000.0;
        check(d);
        check(nextafter(d, 1));
    }
    assert_int_equal(mismatches, 0);
}

static void test_random_bits(void **state)
{
    (void)state;
    mismatches = 0;
    /* every binary exponent around the fast path's range, random mantissas and signs */
    for (int i = 0; i < 400000; i++) {
        uint64_t bits = next_u64();
        int e = (int)(next_u64() % 70) - 18;
        double v = ldexp(1.0 + (double)(bits >> 12) * 0x1p-52, e);
        check(bits & 1 ? -v : v);
    }
    /* scores and contributions */
    for (int i = 0; i < 100000; i++) {
        check(300 + uniform() * 600);
        check((uniform() - 0.5) * 4);
    }
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_exact_ties),
        cmocka_unit_test(test_probabilities),
        cmocka_unit_test(test_random_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
