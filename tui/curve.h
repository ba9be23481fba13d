/* curve: pure scaling of XY line charts — several series on shared axes (learning curves, ROC
 * curves), thinning of long series, rasterising into braille cells that remember their series. */
#ifndef TUI_CURVE_H
#define TUI_CURVE_H

#include <stddef.h>

/* One line: points (x[i], y[i]); x NULL means x = 1, 2, 3... (iterations). NaN y = a gap. */
typedef struct {
    const double *x;
    const double *y;
    size_t n;
} tui_series;

/* Ranges covering every finite point of ns series: x from the smallest to the largest value,
 * y likewise, widened by pad (a fraction of its span) on both sides; a flat y range is widened
 * so the level line sits in the middle, a single x value likewise. Returns 0, or -1 when no
 * series has a finite point (the ranges are then 0..1). */
int tui_curve_bounds(const tui_series *s, int ns, double pad, double *xlo, double *xhi, double *ylo,
                     double *yhi);

/* Thin n points (x NULL: x = index + 1) to at most 2 * buckets: each of buckets equal slices
 * of the index range keeps its lowest and its highest point, in their order, so spikes stay
 * visible. n <= 2 * buckets copies everything. xo and yo hold 2 * buckets values; returns
 * the count written. */
size_t tui_curve_thin(const double *x, const double *y, size_t n, size_t buckets, double *xo,
                      double *yo);

/* Index 0..n-1 of v on an axis from lo (index 0) to hi (index n-1), clamped; lo == hi maps to
 * the middle. */
int tui_curve_pos(double v, double lo, double hi, int n);

/* Rasterise ns series over [xlo, xhi] x [ylo, yhi] into a w x h grid of braille cells (2 x 4
 * dots each, row 0 at the top): bits[row * w + col] gets the dot bits (Unicode order) and
 * owner[...] the index of the last series that drew a dot there (-1 for none). Successive
 * points are joined by straight lines; a NaN breaks the line. */
void tui_curve_raster(const tui_series *s, int ns, double xlo, double xhi, double ylo, double yhi,
                      int w, int h, unsigned char *bits, signed char *owner);

#endif
