/* curve: pure scaling of XY line charts — several series on shared axes (learning curves, ROC
 * curves), thinning of long series, rasterising into braille cells that remember their series. */
#include "curve.h"

#include <math.h>
#include <string.h>

static double xat(const tui_series *s, size_t i)
{
    return s->x ? s->x[i] : (double)(i + 1);
}

int tui_curve_bounds(const tui_series *s, int ns, double pad, double *xlo, double *xhi, double *ylo,
                     double *yhi)
{
    double x0 = NAN, x1 = NAN, y0 = NAN, y1 = NAN;
    for (int k = 0; k < ns; k++) {
        for (size_t i = 0; i < s[k].n; i++) {
            double x = xat(&s[k], i), y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            if (isnan(x0) || x < x0) x0 = x;
            if (isnan(x1) || x > x1) x1 = x;
            if (isnan(y0) || y < y0) y0 = y;
            if (isnan(y1) || y > y1) y1 = y;
        }
    }
    if (isnan(x0)) {
        *xlo = *ylo = 0;
        *xhi = *yhi = 1;
        return -1;
    }
    if (x1 == x0) {
        x0 -= 0.5;
        x1 += 0.5;
    }
    double span = y1 - y0;
    if (span == 0) {
        /* a level line: give it room proportional to its value, or one unit at zero */
        double d = fabs(y0) > 0 ? fabs(y0) * 0.05 : 0.5;
        y0 -= d;
        y1 += d;
    } else if (pad > 0) {
        y0 -= span * pad;
        y1 += span * pad;
    }
    *xlo = x0;
    *xhi = x1;
    *ylo = y0;
    *yhi = y1;
    return 0;
}

size_t tui_curve_thin(const double *x, const double *y, size_t n, size_t buckets, double *xo,
                      double *yo)
{
    if (!buckets) return 0;
    if (n <= 2 * buckets) {
        for (size_t i = 0; i < n; i++) {
            xo[i] = x ? x[i] : (double)(i + 1);
            yo[i] = y[i];
        }
        return n;
    }
    size_t o = 0;
    for (size_t b = 0; b < buckets; b++) {
        size_t from = n * b / buckets, to = n * (b + 1) / buckets;
        size_t lo = to, hi = to;
        for (size_t i = from; i < to; i++) {
            if (isnan(y[i])) continue;
            if (lo == to || y[i] < y[lo]) lo = i;
            if (hi == to || y[i] > y[hi]) hi = i;
        }
        if (lo == to) {
            /* an all-missing slice stays a gap */
            xo[o] = x ? x[from] : (double)(from + 1);
            yo[o++] = NAN;
            continue;
        }
        size_t first = lo < hi ? lo : hi, second = lo < hi ? hi : lo;
        xo[o] = x ? x[first] : (double)(first + 1);
        yo[o++] = y[first];
        if (second != first) {
            xo[o] = x ? x[second] : (double)(second + 1);
            yo[o++] = y[second];
        }
    }
    return o;
}

int tui_curve_pos(double v, double lo, double hi, int n)
{
    if (n <= 1) return 0;
    if (!(hi > lo)) return (n - 1) / 2;
    double f = (v - lo) / (hi - lo);
    if (!(f > 0)) f = 0; /* also NaN */
    if (f > 1) f = 1;
    return (int)lround(f * (n - 1));
}

static void dot(unsigned char *bits, signed char *owner, int w, int h, int x, int y, int k)
{
    static const unsigned char left[4] = {0x01, 0x02, 0x04, 0x40};
    static const unsigned char right[4] = {0x08, 0x10, 0x20, 0x80};
    if (x < 0 || y < 0 || x >= 2 * w || y >= 4 * h) return;
    int c = (y / 4) * w + x / 2;
    bits[c] |= (x % 2) ? right[y % 4] : left[y % 4];
    owner[c] = (signed char)k;
}

/* Bresenham between two dots, both ends included (8-connected: no holes). */
static void seg(unsigned char *bits, signed char *owner, int w, int h, int x0, int y0, int x1,
                int y1, int k)
{
    int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
    int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        dot(bits, owner, w, h, x0, y0, k);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

void tui_curve_raster(const tui_series *s, int ns, double xlo, double xhi, double ylo, double yhi,
                      int w, int h, unsigned char *bits, signed char *owner)
{
    if (w <= 0 || h <= 0) return;
    memset(bits, 0, (size_t)w * (size_t)h);
    memset(owner, -1, (size_t)w * (size_t)h);
    int cols = 2 * w, rows = 4 * h;
    for (int k = 0; k < ns; k++) {
        int px = -1, py = -1;
        for (size_t i = 0; i < s[k].n; i++) {
            double x = xat(&s[k], i), y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) {
                px = -1;
                continue;
            }
            int cx = tui_curve_pos(x, xlo, xhi, cols);
            int cy = rows - 1 - tui_curve_pos(y, ylo, yhi, rows);
            if (px >= 0)
                seg(bits, owner, w, h, px, py, cx, cy, k);
            else
                dot(bits, owner, w, h, cx, cy, k);
            px = cx;
            py = cy;
        }
    }
}
