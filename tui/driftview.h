/* driftview: pure parts of the Drift screen — severity classes, their order, histogram bars. */
#ifndef TUI_DRIFTVIEW_H
#define TUI_DRIFTVIEW_H

#include <stddef.h>

#include "drift.h"

/* How bad a column's drift is; the screen colours rows by it (DRIFT_OK, DRIFT_WARN,
 * DRIFT_ALERT). */
typedef enum {
    TUI_SEV_UNTESTED = 0, /* no values on one side: nothing to say */
    TUI_SEV_OK,           /* no drift and a stable PSI */
    TUI_SEV_WARN,         /* no drift by its test, but a PSI of 0.1 or more */
    TUI_SEV_ALERT,        /* drift detected by the column's test */
    TUI_SEV_COUNT
} tui_severity;

/* The severity of one column's result. */
tui_severity tui_drift_severity(const ll_drift_result *r);
/* Word for a severity: "-", "ok", "warn", "ALERT". */
const char *tui_severity_name(tui_severity s);
/* Rows of the drift table: indexes of r->cols from the most to the least severe class, and
 * within a class in ll_drift_report_order's order (how far past its threshold, then PSI).
 * idx has r->ncols slots. Returns 0, or -1 when out of memory (idx then holds file order). */
int tui_drift_rows(const ll_drift_report *r, size_t *idx);

/* Bar lengths, in eighths of a cell, of two share vectors a and b (n bins each) drawn in
 * bars of cells cells, both against the larger of their maxima so the sides compare; a
 * non-zero share gets at least one eighth. */
void tui_hist_scale(const double *a, const double *b, size_t n, int cells, int *ea, int *eb);
/* The label of histogram bin i of r: its category or value when r has labels, else the
 * bin's range "[lo, hi)" among the equal-width bins over [hist_lo, hist_hi] (4 significant
 * digits), the end bins as "< x" and ">= x" since they also hold the values outside. Returns
 * buf. */
char *tui_hist_label(const ll_drift_result *r, size_t i, char *buf, size_t len);

#endif
