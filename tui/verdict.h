/* verdict: a promotion's policy verdict as text lines — each rule, pass or fail, with its numbers.
 */
#ifndef TUI_VERDICT_H
#define TUI_VERDICT_H

#include <stddef.h>

#include "registry.h"

typedef enum {
    TUI_VERDICT_PASS = 0, /* a rule that passed */
    TUI_VERDICT_FAIL,     /* a rule that failed */
    TUI_VERDICT_DETAIL,   /* the detail of the rule above (why it failed, or a note) */
    TUI_VERDICT_OK,       /* summary: the promotion may go ahead */
    TUI_VERDICT_REFUSED,  /* summary: the policy refuses it */
    TUI_VERDICT_KIND_COUNT
} tui_verdict_kind;

typedef struct {
    tui_verdict_kind kind;
    char text[320];
} tui_verdict_line;

/* A number with 4 decimals, locale-independent ("0.7119"); NaN gives "n/a". Returns buf. */
char *tui_verdict_num(double v, char *buf, size_t len);
/* The verdict in res (from ll_registry_promote_check) as lines for a width-cell dialog: one
 * line a rule ("PASS  auc >= 0.7   value 0.7119"; a challenger rule also names the incumbent's
 * value and the value needed), its detail wrapped on the lines below, and a summary line.
 * Without a policy (res->evaluated 0) only the summary says no rule applies. Returns the
 * number of lines written (at most max). */
size_t tui_verdict_lines(const ll_promote_result *res, int width, tui_verdict_line *out,
                         size_t max);

#endif
