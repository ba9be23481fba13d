/* runlist: the Runs screen's table as pure functions — columns, cell text and sorting of runs. */
#ifndef TUI_RUNLIST_H
#define TUI_RUNLIST_H

#include <stddef.h>

#include "store.h"

typedef enum {
    TUI_RL_NAME = 0,
    TUI_RL_STATUS,
    TUI_RL_START,
    TUI_RL_MODEL,
    TUI_RL_AUC,
    TUI_RL_KS,
    TUI_RL_LOGLOSS,
    TUI_RL_DURATION,
    TUI_RL_COUNT
} tui_rl_col;

/* Header text of a column ("name", "auc"...). */
const char *tui_runlist_header(tui_rl_col c);
/* Column by header name, or -1. */
int tui_runlist_find(const char *name);
/* Numeric columns are right-aligned and sort descending first. */
int tui_runlist_numeric(tui_rl_col c);
/* Seconds a run took (still running: until now_ms); NaN when unknown. */
double tui_runlist_duration(const ll_run *r, long long now_ms);
/* Text of run r in column c ("-" when missing). */
char *tui_runlist_cell(const ll_run *r, tui_rl_col c, long long now_ms, char *buf, size_t len);
/* Order idx[0..n-1] (indexes into runs) by column c, ascending or descending; runs lacking the
 * value go last either way; ties keep the newest start first, then the run id. */
void tui_runlist_sort(ll_run *const *runs, size_t *idx, size_t n, tui_rl_col c, int desc,
                      long long now_ms);

#endif
