/* grid: pure data-grid logic over an ll_table — view order (sorting), search, column widths. */
#ifndef TUI_GRID_H
#define TUI_GRID_H

#include <stddef.h>

#include "table.h"

/* Fill perm (nrows entries) with the row order sorting column col ascending (desc = 0) or
 * descending: numbers by value, categories by label (byte order), missing cells last in both
 * directions, ties in file order. Returns 0, or -1 when out of memory (perm then holds the
 * file order). */
int tui_grid_sort(const ll_table *t, size_t col, int desc, size_t *perm);
/* Fill perm with the file order 0..nrows-1. */
void tui_grid_identity(size_t *perm, size_t nrows);

/* Find the first view row at or after from (wrapping around) whose cell in any column contains
 * needle (case-insensitive); perm maps view rows to table rows (NULL = file order). Returns
 * the view row and sets *col (may be NULL) to the matching column, or -1. */
long tui_grid_find(const ll_table *t, const size_t *perm, size_t from, const char *needle,
                   long *col);
/* Like tui_grid_find over at most count view rows from from (wrapping), so long searches
 * can run in slices that check for cancellation. */
long tui_grid_find_range(const ll_table *t, const size_t *perm, size_t from, size_t count,
                         const char *needle, long *col);
/* Index of the first column at or after from (wrapping) whose name contains needle
 * (case-insensitive), or -1. */
long tui_grid_find_column(const ll_table *t, size_t from, const char *needle);

/* Display width for each column: the widest of its name and its cells, the cells measured on
 * up to sample rows spread over the table (every dictionary entry for categories), clamped
 * to [minw, maxw]. */
void tui_grid_widths(const ll_table *t, size_t sample, int minw, int maxw, int *widths);

/* Case-insensitive substring test (ASCII folding). */
int tui_contains_ci(const char *hay, const char *needle);

#endif
