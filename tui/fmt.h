/* fmt: pure text helpers of the workbench — numbers, percentages, sparklines, bars, widths. */
#ifndef TUI_FMT_H
#define TUI_FMT_H

#include <stddef.h>

/* An unsigned count with thousands separators: 9857 -> "9,857". Returns buf. */
char *tui_fmt_count(size_t n, char *buf, size_t len);
/* A fraction as a percentage with one decimal (0.1861 -> "18.6%"); NaN -> "-". Returns buf. */
char *tui_fmt_pct(double frac, char *buf, size_t len);
/* A number in at most width characters: integers with separators when they fit, else fewer
 * significant digits, else k/M/G/T suffixes, else scientific; NaN -> "-". Returns buf. */
char *tui_fmt_num(double v, int width, char *buf, size_t len);
/* A byte size: "812 B", "1.4 MB". Returns buf. */
char *tui_fmt_bytes(double bytes, char *buf, size_t len);

/* Resample n counts into width columns (each column sums the bins it covers) and scale them to
 * levels 0..nlevels-1: 0 only for an empty column, the largest column at nlevels-1. Returns the
 * number of columns written to out (min(width, n) when n < width, so bins are never stretched). */
int tui_spark_levels(const size_t *counts, int n, int width, int nlevels, int *out);
/* Scale v from [lo, hi] to a cell index 0..n-1 (clamped; lo == hi maps to 0). */
int tui_scale(double v, double lo, double hi, int n);
/* Split a bar of width cells filled to frac into *full whole cells and a partial cell of
 * *eighths (0..7) eighths; frac is clamped to [0, 1]. */
void tui_bar_cells(double frac, int width, int *full, int *eighths);

/* Display width of UTF-8 text s (first len bytes) in the current locale; control and invalid
 * bytes count as one cell each (they are drawn as '?'). */
int tui_text_width(const char *s, size_t len);
/* Number of bytes of s (len bytes) whose display fits in width cells; *cells gets the width
 * they use (may be NULL). Never splits a multi-byte character. */
size_t tui_text_fit(const char *s, size_t len, int width, int *cells);

#endif
