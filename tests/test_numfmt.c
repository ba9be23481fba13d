/* Unit tests for numfmt: locale-independent parsing and round-trip formatting. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_locale_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
