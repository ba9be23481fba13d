/* Unit tests for the policy verdict lines of the Registry screen's promotion dialog. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "verdict.h"

static ll_rule_result rule(const char *text, const char *metric, double value, double threshold,
                           double incumbent, int passed, const char *detail)
{
    ll_rule_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.rule, sizeof r.rule, "%s", text);
    snprintf(r.metric, sizeof r.metric, "%s", metric);
    r.value = value;
    r.threshold = threshold;
    r.incumbent = incumbent;
    r.passed = passed;
    snprintf(r.detail, sizeof r.detail, "%s", detail);
    return r;
}

static void test_num(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(tui_verdict_num(0.71194465, b, sizeof b), "0.7119");
    assert_string_equal(tui_verdict_num(0.2, b, sizeof b), "0.2000");
    assert_string_equal(tui_verdict_num(-0.031984782, b, sizeof b), "-0.0320");
    assert_string_equal(tui_verdict_num(NAN, b, sizeof b), "n/a");
}

/* The numbers of the shipped policy against version 1 of the integration store (gbdt: AUC
 * 0.68, KS 0.2938, log loss 0.2320) with version 2 (AUC 0.7119) in production. */
static void test_refused(void **state)
{
    (void)state;
    ll_rule_result rules[4] = {
        rule("auc >= 0.7", "auc", 0.6799598760940521, 0.7, NAN, 0,
             "auc = 0.6799598760940521 is below the minimum"),
        rule("ks >= 0.25", "ks", 0.2938, 0.25, NAN, 1, ""),
        rule("logloss <= 0.2", "logloss", 0.23202915025674437, 0.2, NAN, 0,
             "logloss = 0.23202915025674437 is above the maximum"),
        rule("challenger: auc up by >= 0.005 vs version 2", "auc", 0.6799598760940521,
             0.7169446581152159, 0.7119446581152159, 0,
             "auc 0.6799598760940521 vs 0.7119446581152159 (version 2): gain -0.031984782, below "
             "the required gain"),
    };
    ll_promote_result res;
    memset(&res, 0, sizeof res);
    res.evaluated = 1;
    res.passed = 0;
    res.rules = rules;
    res.nrules = 4;
    tui_verdict_line lines[32];
    size_t n = tui_verdict_lines(&res, 80, lines, 32);
    /* rule, detail, rule, rule, detail, rule, detail (wrapped over two lines), summary */
    assert_int_equal(n, 9);
    assert_int_equal(lines[0].kind, TUI_VERDICT_FAIL);
    assert_string_equal(lines[0].text,
                        "FAIL  auc >= 0.7                                   value 0.6800");
    assert_int_equal(lines[1].kind, TUI_VERDICT_DETAIL);
    assert_string_equal(lines[1].text, "      auc = 0.6799598760940521 is below the minimum");
    assert_int_equal(lines[2].kind, TUI_VERDICT_PASS);
    assert_string_equal(lines[2].text,
                        "PASS  ks >= 0.25                                   value 0.2938");
    assert_int_equal(lines[3].kind, TUI_VERDICT_FAIL);
    assert_int_equal(lines[5].kind, TUI_VERDICT_FAIL);
    assert_string_equal(lines[5].text, "FAIL  challenger: auc up by >= 0.005 vs version 2  value "
                                       "0.6800  incumbent 0.7119  needs >= 0.7169");
    /* the detail wraps at a word inside the width, indented */
    assert_int_equal(lines[6].kind, TUI_VERDICT_DETAIL);
    assert_int_equal(lines[7].kind, TUI_VERDICT_DETAIL);
    assert_true(strlen(lines[6].text) <= 80);
    assert_string_equal(lines[6].text,
                        "      auc 0.6799598760940521 vs 0.7119446581152159 (version "
                        "2): gain");
    assert_string_equal(lines[7].text, "      -0.031984782, below the required gain");
    assert_int_equal(lines[8].kind, TUI_VERDICT_REFUSED);
    assert_string_equal(lines[8].text, "3 of 4 rules fail: the policy refuses this promotion");
    /* max caps the lines */
    assert_int_equal(tui_verdict_lines(&res, 80, lines, 3), 3);
}

static void test_passed_and_no_policy(void **state)
{
    (void)state;
    ll_rule_result rules[2] = {
        rule("auc >= 0.7", "auc", 0.7119, 0.7, NAN, 1, ""),
        rule("challenger: auc up by >= 0.005", "auc", 0.7119, NAN, NAN, 1,
             "no version holds the target alias yet"),
    };
    ll_promote_result res;
    memset(&res, 0, sizeof res);
    res.evaluated = 1;
    res.passed = 1;
    res.rules = rules;
    res.nrules = 2;
    tui_verdict_line lines[8];
    size_t n = tui_verdict_lines(&res, 100, lines, 8);
    assert_int_equal(n, 4);
    assert_string_equal(lines[0].text, "PASS  auc >= 0.7                      value 0.7119");
    /* no incumbent: no incumbent numbers */
    assert_string_equal(lines[1].text, "PASS  challenger: auc up by >= 0.005  value 0.7119");
    assert_string_equal(lines[2].text, "      no version holds the target alias yet");
    assert_int_equal(lines[3].kind, TUI_VERDICT_OK);
    assert_string_equal(lines[3].text, "all 2 rules pass");
    /* a lower-is-better challenger needs a value at most the threshold */
    ll_rule_result down =
        rule("challenger: logloss down by >= 0.01 vs version 3", "logloss", 0.18, 0.19, 0.2, 1, "");
    res.rules = &down;
    res.nrules = 1;
    n = tui_verdict_lines(&res, 100, lines, 8);
    assert_int_equal(n, 2);
    assert_non_null(strstr(lines[0].text, "incumbent 0.2000  needs <= 0.1900"));
    assert_string_equal(lines[1].text, "all 1 rule pass");
    /* without a policy nothing is evaluated */
    memset(&res, 0, sizeof res);
    res.passed = 1;
    n = tui_verdict_lines(&res, 100, lines, 8);
    assert_int_equal(n, 1);
    assert_int_equal(lines[0].kind, TUI_VERDICT_OK);
    assert_string_equal(lines[0].text, "no policy: no rule applies");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_passed_and_no_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
