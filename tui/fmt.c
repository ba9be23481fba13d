/* fmt: pure text helpers of the workbench — numbers, percentages, sparklines, bars, widths. */
#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

char *tui_fmt_count(size_t n, char *buf, size_t len)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%zu", n);
    char tmp[48];
    size_t o = 0;
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0) tmp[o++] = ',';
        tmp[o++] = digits[i];
    }
    tmp[o] = '\0';
    snprintf(buf, len, "%s", tmp);
    return buf;
}

char *tui_fmt_pct(double frac, char *buf, size_t len)
{
    if (isnan(frac))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f%%", frac * 100.0);
    return buf;
}

/* Integer part with separators and an optional sign; 0 when v is not a small integer. */
static int fmt_int(double v, char *buf, size_t len)
{
    if (v != floor(v) || fabs(v) >= 1e15) return 0;
    char tmp[48];
    tui_fmt_count((size_t)fabs(v), tmp, sizeof tmp);
    snprintf(buf, len, "%s%s", v < 0 ? "-" : "", tmp);
    return 1;
}

/* Copy a plain decimal ("-15683.6") with separators in its integer part ("-15,683.6"). */
static void group_digits(const char *s, char *out, size_t len)
{
    const char *p = s;
    size_t o = 0;
    if (*p == '-' && o + 1 < len) out[o++] = *p++;
    size_t nd = strspn(p, "0123456789");
    for (size_t i = 0; i < nd && o + 2 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0) out[o++] = ',';
        out[o++] = p[i];
    }
    snprintf(out + o, len - o, "%s", p + nd);
}

static int fits(const char *s, int width)
{
    return (int)strlen(s) <= width;
}

char *tui_fmt_num(double v, int width, char *buf, size_t len)
{
    char t[64];
    if (len == 0) return buf;
    if (width < 1) width = 1;
    if (isnan(v)) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, len, "%s", v < 0 ? "-inf" : "inf");
        return buf;
    }
    if (fmt_int(v, t, sizeof t) && fits(t, width)) {
        snprintf(buf, len, "%s", t);
        return buf;
    }
    for (int p = 6; p >= 1; p--) {
        snprintf(t, sizeof t, "%.*g", p, v);
        if (strchr(t, 'e')) continue;
        char sep[80];
        group_digits(t, sep, sizeof sep);
        if (fits(sep, width) || fits(t, width)) {
            snprintf(buf, len, "%s", fits(sep, width) ? sep : t);
            return buf;
        }
    }
    static const char suffix[] = "kMGTPE";
    double a = fabs(v);
    if (a >= 1000.0) {
        int k = 0;
        double m = a / 1000.0;
        while (m >= 999.5 && k < 5) {
            m /= 1000.0;
            k++;
        }
        for (int p = 4; p >= 1; p--) {
            snprintf(t, sizeof t, "%s%.*g%c", v < 0 ? "-" : "", p, m, suffix[k]);
            if (!strchr(t, 'e') && fits(t, width)) {
                snprintf(buf, len, "%s", t);
                return buf;
            }
        }
    }
    for (int p = 3; p >= 0; p--) {
        snprintf(t, sizeof t, "%.*e", p, v);
        /* "1.5e-07" -> "1.5e-7": drop the exponent's leading zero */
        char *e = strchr(t, 'e');
        if (e) { /* "1.50e-07" -> "1.5e-07": no trailing zeros in the mantissa */
            char *m = e;
            while (m > t && m[-1] == '0') m--;
            if (m > t && m[-1] == '.') m--;
            memmove(m, e, strlen(e) + 1);
            e = m;
        }
        if (e && (e[1] == '-' || e[1] == '+') && e[2] == '0' && e[3])
            memmove(e + 2, e + 3, strlen(e + 3) + 1);
        if (e && e[1] == '+') memmove(e + 1, e + 2, strlen(e + 2) + 1);
        if (fits(t, width)) {
            snprintf(buf, len, "%s", t);
            return buf;
        }
    }
    size_t n = (size_t)width < len - 1 ? (size_t)width : len - 1;
    memset(buf, '#', n);
    buf[n] = '\0';
    return buf;
}

char *tui_fmt_bytes(double bytes, char *buf, size_t len)
{
    static const char *unit[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000.0 && u < 4) {
        bytes /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%.0f %s", bytes, unit[u]);
    else
        snprintf(buf, len, "%.*f %s", bytes < 10 ? 1 : 0, bytes, unit[u]);
    return buf;
}

int tui_spark_levels(const size_t *counts, int n, int width, int nlevels, int *out)
{
    if (n <= 0 || width <= 0 || nlevels < 2) return 0;
    int cols = n < width ? n : width;
    size_t max = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int c = 0; c < cols; c++) {
            long lo = (long)c * n / cols, hi = (long)(c + 1) * n / cols;
            size_t s = 0;
            for (long b = lo; b < hi; b++) s += counts[b];
            if (pass == 0 && s > max) max = s;
            /* ceil: any non-empty column gets at least level 1 */
            if (pass == 1) out[c] = max ? (int)((s * (size_t)(nlevels - 1) + max - 1) / max) : 0;
        }
    }
    return cols;
}

int tui_scale(double v, double lo, double hi, int n)
{
    if (n <= 1 || !(hi > lo) || isnan(v)) return 0;
    double f = (v - lo) / (hi - lo) * n;
    if (f < 0) return 0;
    if (f >= n) return n - 1;
    return (int)f;
}

void tui_bar_cells(double frac, int width, int *full, int *eighths)
{
    if (isnan(frac) || frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    if (width < 0) width = 0;
    long total = lround(frac * width * 8.0);
    *full = (int)(total / 8);
    *eighths = (int)(total % 8);
    if (*full >= width) {
        *full = width;
        *eighths = 0;
    }
}

/* Decode one character at s (n bytes available): its byte length and display width. */
static size_t char_step(const char *s, size_t n, mbstate_t *st, int *w)
{
    wchar_t wc;
    size_t k = mbrtowc(&wc, s, n, st);
    if (k == (size_t)-1 || k == (size_t)-2) {
        memset(st, 0, sizeof *st);
        *w = 1;
        return 1;
    }
    if (k == 0) k = 1;
    int cw = wcwidth(wc);
    *w = cw < 0 ? 1 : cw;
    return k;
}

int tui_text_width(const char *s, size_t len)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int width = 0;
    size_t i = 0;
    while (i < len) {
        int w;
        i += char_step(s + i, len - i, &st, &w);
        width += w;
    }
    return width;
}

size_t tui_text_fit(const char *s, size_t len, int width, int *cells)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int used = 0;
    size_t i = 0;
    while (i < len) {
        int w;
        mbstate_t save = st;
        size_t k = char_step(s + i, len - i, &st, &w);
        if (used + w > width) {
            st = save;
            break;
        }
        used += w;
        i += k;
    }
    if (cells) *cells = used;
    return i;
}
