/* chart: pure line-chart rasterising into braille cells (2x4 dots each) or ASCII cells. */
#ifndef TUI_CHART_H
#define TUI_CHART_H

#include <stddef.h>

/* Rasterise the series ys[0..n-1] (NaN = gap) as a line over the value range [lo, hi] into a
 * w x h grid of braille cells: cells[row * w + col] gets the dot bits of that cell (bit 0 =
 * dot 1 ... bit 7 = dot 8, Unicode's order), row 0 at the top. Successive points are joined
 * by straight lines so the curve has no holes. The series is spread over all 2*w dot columns. */
void tui_chart_braille(const double *ys, int n, double lo, double hi, int w, int h,
                       unsigned char *cells);
/* The UTF-8 text of a braille cell with the given dot bits (3 bytes and a NUL) into buf. */
char *tui_braille_utf8(unsigned char bits, char buf[4]);
/* ASCII fallback of a braille cell: ' ' when empty, else a character suggesting where the dots
 * sit ('\'' top, '-' middle, '.' bottom, ':' spread over the cell). */
char tui_braille_ascii(unsigned char bits);
/* Smallest and largest finite value of ys (both NaN when there is none). */
void tui_chart_range(const double *ys, int n, double *lo, double *hi);

#endif
