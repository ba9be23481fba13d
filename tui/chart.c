/* chart: pure line-chart rasterising into braille cells (2x4 dots each) or ASCII cells. */
#include "chart.h"

#include <math.h>
#include <string.h>

/* Braille dot bit for dot column dx (0..1) and dot row dy (0..3) inside a cell. */
static unsigned char dot_bit(int dx, int dy)
{
    static const unsigned char left[4] = {0x01, 0x02, 0x04, 0x40};
    static const unsigned char right[4] = {0x08, 0x10, 0x20, 0x80};
    return dx ? right[dy] : left[dy];
}

static void set_dot(unsigned char *cells, int w, int h, int x, int y)
{
    if (x < 0 || y < 0 || x >= 2 * w || y >= 4 * h) return;
    cells[(y / 4) * w + x / 2] |= dot_bit(x % 2, y % 4);
}

/* Bresenham's line between two dots, both ends included: 8-connected, so no holes. */
static void line(unsigned char *cells, int w, int h, int x0, int y0, int x1, int y1)
{
    int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
    int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        set_dot(cells, w, h, x0, y0);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

/* Dot row of value v: the top dot row for hi, the bottom one for lo. */
static int dot_row(double v, double lo, double hi, int rows)
{
    if (!(hi > lo)) return rows / 2;
    double f = (v - lo) / (hi - lo);
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return (rows - 1) - (int)lround(f * (rows - 1));
}

void tui_chart_braille(const double *ys, int n, double lo, double hi, int w, int h,
                       unsigned char *cells)
{
    if (w <= 0 || h <= 0) return;
    memset(cells, 0, (size_t)w * (size_t)h);
    int cols = 2 * w, rows = 4 * h, prev_y = -1, prev_x = -1;
    for (int i = 0; i < n; i++) {
        if (isnan(ys[i])) {
            prev_y = -1;
            continue;
        }
        int x = n == 1 ? 0 : (int)lround((double)i * (cols - 1) / (double)(n - 1));
        int y = dot_row(ys[i], lo, hi, rows);
        if (prev_y >= 0)
            line(cells, w, h, prev_x, prev_y, x, y);
        else
            set_dot(cells, w, h, x, y);
        prev_x = x;
        prev_y = y;
    }
}

char *tui_braille_utf8(unsigned char bits, char buf[4])
{
    unsigned cp = 0x2800u + bits;
    buf[0] = (char)(0xE0 | (cp >> 12));
    buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = (char)(0x80 | (cp & 0x3F));
    buf[3] = '\0';
    return buf;
}

char tui_braille_ascii(unsigned char bits)
{
    if (!bits) return ' ';
    int top = (bits & 0x09) != 0, mid = (bits & 0x36) != 0, bottom = (bits & 0xC0) != 0;
    if (top + mid + bottom > 1) return ':';
    return top ? '\'' : mid ? '-' : '.';
}

void tui_chart_range(const double *ys, int n, double *lo, double *hi)
{
    *lo = *hi = NAN;
    for (int i = 0; i < n; i++) {
        if (!isfinite(ys[i])) continue;
        if (isnan(*lo) || ys[i] < *lo) *lo = ys[i];
        if (isnan(*hi) || ys[i] > *hi) *hi = ys[i];
    }
}
