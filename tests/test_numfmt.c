/* Unit tests for numfmt: locale-independent parsing and round-trip formatting, the formatter
 * checked byte for byte against its snprintf definition. */
#include <locale.h>
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

static double parse(const char *s, int *ok)
{
    double v = -12345;
    *ok = ll_numparse(s, strlen(s), &v);
    return v;
}

static void test_parse_valid(void **state)
{
    (void)state;
    int ok;
    assert_true(parse("12", &ok) == 12.0 && ok);
    assert_true(parse("-3.5", &ok) == -3.5 && ok);
    assert_true(parse("+7", &ok) == 7.0 && ok);
    assert_true(parse(".5", &ok) == 0.5 && ok);
    assert_true(parse("5.", &ok) == 5.0 && ok);
    assert_true(parse("1e-3", &ok) == 1e-3 && ok);
    assert_true(parse("2.5E+10", &ok) == 2.5e10 && ok);
    assert_true(parse(" 42 ", &ok) == 42.0 && ok);
    assert_true(parse("13.99", &ok) == 13.99 && ok);
    /* long mantissas take the slow path and must still be correctly rounded */
    assert_true(parse("0.1000000000000000055511151231257827", &ok) == 0.1 && ok);
    assert_true(parse("123456789012345678901234567890", &ok) == 1.2345678901234568e29 && ok);
    assert_true(parse("1e300", &ok) == 1e300 && ok);
}

static void test_parse_invalid(void **state)
{
    (void)state;
    int ok;
    const char *bad[] = {"",  " ",   "abc",  "1.2.3", "1e",  "e5",  "-",
                         ".", "12a", "0x10", "1,5",   "NaN", "inf", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        parse(bad[i], &ok);
        assert_false(ok);
    }
}

static void test_format_roundtrip(void **state)
{
    (void)state;
    const double vals[] = {0.0,       1.0,    -2.0,          0.1,           13.99,
                           1.0 / 3.0, 1e-300, 6.02214076e23, 123456789.125, -0.000123};
    char buf[64];
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        ll_numfmt_double(vals[i], buf, sizeof buf);
        double back;
        assert_true(ll_numparse(buf, strlen(buf), &back));
        assert_true(back == vals[i]);
    }
    assert_string_equal(ll_numfmt_double(0.1, buf, sizeof buf), "0.1");
    assert_string_equal(ll_numfmt_double(16100, buf, sizeof buf), "16100");
    assert_string_equal(ll_numfmt_double(NAN, buf, sizeof buf), "NaN");
}

static void test_locale_independent(void **state)
{
    (void)state;
    /* a comma-decimal locale must change neither parsing nor formatting */
    if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") && !setlocale(LC_NUMERIC, "fr_FR.UTF-8")) skip();
    int ok;
    assert_true(parse("0.123456789012345678901", &ok) == 0.12345678901234568 && ok);
    char buf[64];
    assert_string_equal(ll_numfmt_double(2.5, buf, sizeof buf), "2.5");
    setlocale(LC_NUMERIC, "C");
}

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

/* The text's definition, as numfmt first implemented it: "%.0f" for integers below 1e15,
 * else the first of "%.15g", "%.16g", "%.17g" that reads back, cut to len like snprintf. */
static void reference(double v, char *buf, size_t len)
{
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
        for (char *q = buf; *q; q++)
            if (*q == ',') *q = '.';
        double back;
        if (ll_numparse(buf, strlen(buf), &back) && back == v) break;
    }
}

/* Number of values whose text differed (the first few are printed). */
static int mismatches;

/* ll_numfmt_double and ll_numfmt_put against the reference. */
static void check(double v)
{
    char want[64], got[64], put[LL_NUMFMT_MAX];
    reference(v, want, sizeof want);
    memset(got, 'x', sizeof got);
    memset(put, 'x', sizeof put);
    ll_numfmt_double(v, got, sizeof got);
    size_t n = ll_numfmt_put(v, put);
    if (strcmp(got, want) || n != strlen(want) || strcmp(put, want)) {
        if (mismatches++ < 10)
            fprintf(stderr, "%a: reference '%s', ll_numfmt_double '%s', ll_numfmt_put '%s' (%zu)\n",
                    v, want, got, put, n);
    }
}

static void test_text_special_values(void **state)
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

static void test_text_exact_ties(void **state)
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

static void test_text_probabilities(void **state)
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

static void test_text_random_bits(void **state)
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

static void test_text_integers(void **state)
{
    (void)state;
    mismatches = 0;
    const double vals[] = {-0.0,
                           9.0,
                           10.0,
                           99999999999999.0,
                           100000000000001.0,
                           999999999999999.0,
                           -999999999999999.0,
                           1e15 - 1,
                           1e15 + 2,
                           4503599627370496.0};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) check(vals[i]);
    for (int i = 0; i < 200000; i++) {
        double n = (double)(next_u64() % 1000000000000000ULL);
        check(i & 1 ? -n : n);
        check((double)(next_u64() % 100000)); /* amounts, counts, labels */
    }
    assert_int_equal(mismatches, 0);
}

/* Buffers shorter than the text: cut exactly where the reference's snprintf cuts. */
static void test_text_cut(void **state)
{
    (void)state;
    const double vals[] = {0.1,    1.0 / 3.0,   -2.0 / 3.0,       0.19999999999999998, 123456.75,
                           1e-5,   -1.5e-300,   6.02214076e23,    nextafter(1e14, 0),  16100,
                           -16100, NAN,         -INFINITY,        0.30000000000000004, 5e-324,
                           1e15,   0.000123456, 99999999999999.99};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        for (size_t len = 1; len <= LL_NUMFMT_MAX; len++) {
            char want[LL_NUMFMT_MAX + 8], got[LL_NUMFMT_MAX + 8];
            memset(got, 'x', sizeof got);
            reference(vals[i], want, len);
            ll_numfmt_double(vals[i], got, len);
            assert_string_equal(got, want);
            assert_true(got[len] == 'x'); /* nothing written past len */
        }
}

/* One million doubles from a fixed-seed generator: every text reads back to the identical
 * double and is the reference's text. A quarter are random bit patterns (every exponent,
 * subnormals, the odd NaN), the rest exercise the integer-arithmetic path's range. */
static void test_random_roundtrip(void **state)
{
    (void)state;
    mismatches = 0;
    int unread = 0;
    for (int i = 0; i < 1000000; i++) {
        uint64_t bits = next_u64();
        double v;
        switch (i % 4) {
        case 0:
            memcpy(&v, &bits, sizeof v);
            break;
        case 1:
            v = ldexp(1.0 + (double)(bits >> 12) * 0x1p-52, (int)(next_u64() % 80) - 20);
            v = bits & 1 ? -v : v;
            break;
        case 2:
            v = (double)(bits >> 11) * 0x1p-53;
            break;
        default:
            v = (double)(bits % 100000000) / (double)(1u << (next_u64() % 20)) - 5e7;
            break;
        }
        check(v);
        if (isnan(v)) continue;
        char buf[LL_NUMFMT_MAX];
        size_t n = ll_numfmt_put(v, buf);
        int ok;
        if (isinf(v)) {
            ok = !strcmp(buf, v < 0 ? "-Infinity" : "Infinity");
        } else {
            /* -0 is written "0", which reads back as +0 (equal, by design not identical) */
            double back = NAN;
            ok = ll_numparse(buf, n, &back) && back == v && (v != 0 || !strcmp(buf, "0"));
        }
        if (!ok && unread++ < 10) fprintf(stderr, "%a: '%s' does not read back\n", v, buf);
    }
    assert_int_equal(unread, 0);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),         cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_format_roundtrip),    cmocka_unit_test(test_locale_independent),
        cmocka_unit_test(test_text_special_values), cmocka_unit_test(test_text_exact_ties),
        cmocka_unit_test(test_text_probabilities),  cmocka_unit_test(test_text_random_bits),
        cmocka_unit_test(test_text_integers),       cmocka_unit_test(test_text_cut),
        cmocka_unit_test(test_random_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
