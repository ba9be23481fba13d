/* verdict: a promotion's policy verdict as text lines — each rule, pass or fail, with its numbers.
 */
#include "verdict.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

char *tui_verdict_num(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    snprintf(buf, len, "%.4f", v);
    /* a locale with a decimal comma must not change how numbers read */
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
    return buf;
}

static int push(tui_verdict_line *out, size_t max, size_t *n, tui_verdict_kind kind,
                const char *text)
{
    if (*n >= max) return -1;
    out[*n].kind = kind;
    snprintf(out[*n].text, sizeof out[*n].text, "%s", text);
    (*n)++;
    return 0;
}

/* Word-wrap text into lines of at most width bytes, each after indent blanks. */
static void wrap(tui_verdict_line *out, size_t max, size_t *n, const char *text, int indent,
                 int width)
{
    int avail = width - indent;
    if (avail < 20) avail = 20;
    const char *p = text;
    while (*p) {
        size_t len = strlen(p), take = len;
        if ((int)len > avail) {
            take = (size_t)avail;
            while (take > 0 && p[take] != ' ') take--;
            if (take == 0) take = (size_t)avail;
        }
        char line[320];
        snprintf(line, sizeof line, "%*s%.*s", indent, "", (int)take, p);
        if (push(out, max, n, TUI_VERDICT_DETAIL, line)) return;
        p += take;
        while (*p == ' ') p++;
    }
}

size_t tui_verdict_lines(const ll_promote_result *res, int width, tui_verdict_line *out, size_t max)
{
    size_t n = 0;
    char line[320];
    if (!res->evaluated) {
        push(out, max, &n, TUI_VERDICT_OK, "no policy: no rule applies");
        return n;
    }
    int rw = 0;
    for (size_t i = 0; i < res->nrules; i++) {
        int l = (int)strlen(res->rules[i].rule);
        if (l > rw) rw = l;
    }
    if (rw > 60) rw = 60;
    size_t failed = 0;
    for (size_t i = 0; i < res->nrules; i++) {
        const ll_rule_result *r = &res->rules[i];
        char v[32], inc[32], need[32];
        int k = snprintf(line, sizeof line, "%s  %-*.*s  value %s", r->passed ? "PASS" : "FAIL", rw,
                         rw, r->rule, tui_verdict_num(r->value, v, sizeof v));
        if (!isnan(r->incumbent) && k > 0 && (size_t)k < sizeof line) {
            const char *dir = strstr(r->rule, " down ") ? "<=" : ">=";
            snprintf(line + k, sizeof line - (size_t)k, "  incumbent %s  needs %s %s",
                     tui_verdict_num(r->incumbent, inc, sizeof inc), dir,
                     tui_verdict_num(r->threshold, need, sizeof need));
        }
        if (push(out, max, &n, r->passed ? TUI_VERDICT_PASS : TUI_VERDICT_FAIL, line)) return n;
        if (r->detail[0]) wrap(out, max, &n, r->detail, 6, width);
        failed += !r->passed;
    }
    if (!res->nrules)
        snprintf(line, sizeof line, "the policy has no rules");
    else if (!failed)
        snprintf(line, sizeof line, "all %zu rule%s pass", res->nrules,
                 res->nrules == 1 ? "" : "s");
    else
        snprintf(line, sizeof line, "%zu of %zu rule%s fail: the policy refuses this promotion",
                 failed, res->nrules, res->nrules == 1 ? "" : "s");
    push(out, max, &n, failed ? TUI_VERDICT_REFUSED : TUI_VERDICT_OK, line);
    return n;
}
