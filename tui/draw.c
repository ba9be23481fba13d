/* draw: curses drawing helpers — clipped UTF-8 text, boxes, bars and sparklines in slots. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "draw.h"

#include <ncurses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "chart.h"
#include "fmt.h"

static const tui_glyphs glyphs_utf8 = {
    .hl = "\u2500",
    .vl = "\u2502",
    .tl = "\u250c",
    .tr = "\u2510",
    .bl = "\u2514",
    .br = "\u2518",
    .spark = {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"},
    .eighths = {" ", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"},
    .full = "\u2588",
    .up = "\u25b2",
    .down = "\u25bc",
    .target = "\u25ce",
    .loaded = "\u25cf",
    .ellipsis = "\u2026",
    .sep = "\u2502",
    .missing = "\u00b7",
    .utf8 = 1,
};

static const tui_glyphs glyphs_ascii = {
    .hl = "-",
    .vl = "|",
    .tl = "+",
    .tr = "+",
    .bl = "+",
    .br = "+",
    .spark = {" ", "_", ".", "-", "~", "=", "+", "*", "#"},
    .eighths = {" ", " ", " ", " ", " ", " ", " ", " "},
    .full = "#",
    .up = "^",
    .down = "v",
    .target = "*",
    .loaded = ">",
    .ellipsis = "~",
    .sep = "|",
    .missing = ".",
    .utf8 = 0,
};

static const tui_glyphs *G = &glyphs_ascii;

const tui_glyphs *tui_glyphs_get(int utf8)
{
    return utf8 ? &glyphs_utf8 : &glyphs_ascii;
}

void tui_draw_init(int utf8)
{
    G = tui_glyphs_get(utf8);
}

const tui_glyphs *tui_draw_glyphs(void)
{
    return G;
}

char *tui_text_sanitize(const char *s, int utf8, char *out, size_t outlen)
{
    size_t o = 0;
    if (!outlen) return out;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t len = strlen(s), i = 0;
    while (i < len && o + 1 < outlen) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
            i++;
            continue;
        }
        if (!utf8) {
            out[o++] = '?';
            i++;
            continue;
        }
        wchar_t wc;
        size_t k = mbrtowc(&wc, s + i, len - i, &st);
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0 || wcwidth(wc) < 0) {
            memset(&st, 0, sizeof st);
            out[o++] = '?';
            i++;
            continue;
        }
        if (o + k >= outlen) break;
        memcpy(out + o, s + i, k);
        o += k;
        i += k;
    }
    out[o] = '\0';
    return out;
}

static int put(int y, int x, int w, const char *s, size_t len)
{
    int cells;
    size_t n = tui_text_fit(s, len, w, &cells);
    if (n) mvaddnstr(y, x, s, (int)n);
    return cells;
}

int tui_draw_text(int y, int x, int w, tui_slot slot, const char *s, int align)
{
    if (w <= 0) return 0;
    char buf[2048];
    tui_text_sanitize(s ? s : "", G->utf8, buf, sizeof buf);
    size_t len = strlen(buf);
    int tw = tui_text_width(buf, len);
    attrset((attr_t)tui_attr(slot));
    int drawn;
    if (tw > w) {
        /* a clipped number must never look like a shorter one: always show the ellipsis */
        int ew = tui_text_width(G->ellipsis, strlen(G->ellipsis));
        int keep = w > ew ? w - ew : 0;
        drawn = keep ? put(y, x, keep, buf, len) : 0;
        if (drawn + ew <= w) {
            mvaddstr(y, x + drawn, G->ellipsis);
            drawn += ew;
        }
        for (int i = drawn; i < w; i++) mvaddch(y, x + i, ' ');
        return drawn;
    }
    int pad = w - tw, left = 0;
    if (align == TUI_ALIGN_RIGHT) left = pad;
    if (align == TUI_ALIGN_CENTER) left = pad / 2;
    for (int i = 0; i < left; i++) mvaddch(y, x + i, ' ');
    drawn = put(y, x + left, w - left, buf, len);
    for (int i = left + drawn; i < w; i++) mvaddch(y, x + i, ' ');
    return drawn;
}

int tui_draw_str(int y, int x, int w, tui_slot slot, const char *s)
{
    if (w <= 0) return 0;
    char buf[2048];
    tui_text_sanitize(s ? s : "", G->utf8, buf, sizeof buf);
    attrset((attr_t)tui_attr(slot));
    return put(y, x, w, buf, strlen(buf));
}

int tui_draw_fmt(int y, int x, int w, tui_slot slot, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return tui_draw_str(y, x, w, slot, buf);
}

void tui_draw_fill(int y, int x, int w, tui_slot slot)
{
    attrset((attr_t)tui_attr(slot));
    for (int i = 0; i < w; i++) mvaddch(y, x + i, ' ');
}

void tui_draw_clear(tui_rect r, tui_slot slot)
{
    for (int i = 0; i < r.h; i++) tui_draw_fill(r.y + i, r.x, r.w, slot);
}

void tui_draw_box(tui_rect r, tui_slot border, const char *title, tui_slot title_slot)
{
    if (r.w < 2 || r.h < 2) return;
    attrset((attr_t)tui_attr(border));
    mvaddstr(r.y, r.x, G->tl);
    mvaddstr(r.y, r.x + r.w - 1, G->tr);
    mvaddstr(r.y + r.h - 1, r.x, G->bl);
    mvaddstr(r.y + r.h - 1, r.x + r.w - 1, G->br);
    for (int i = 1; i < r.w - 1; i++) {
        mvaddstr(r.y, r.x + i, G->hl);
        mvaddstr(r.y + r.h - 1, r.x + i, G->hl);
    }
    for (int j = 1; j < r.h - 1; j++) {
        mvaddstr(r.y + j, r.x, G->vl);
        mvaddstr(r.y + j, r.x + r.w - 1, G->vl);
    }
    if (title && *title && r.w > 6) {
        char t[512];
        snprintf(t, sizeof t, " %s ", title);
        int tw = tui_text_width(t, strlen(t));
        if (tw > r.w - 4)
            tui_draw_text(r.y, r.x + 2, r.w - 4, title_slot, t, TUI_ALIGN_LEFT);
        else
            tui_draw_str(r.y, r.x + 2, r.w - 4, title_slot, t);
    }
}

void tui_draw_bar(int y, int x, int w, double frac, tui_slot fill, tui_slot empty)
{
    int full, eighths;
    tui_bar_cells(frac, w, &full, &eighths);
    attrset((attr_t)tui_attr(fill));
    for (int i = 0; i < full; i++) mvaddstr(y, x + i, G->full);
    int i = full;
    if (i < w && eighths && G->utf8) mvaddstr(y, x + i++, G->eighths[eighths]);
    attrset((attr_t)tui_attr(empty));
    for (; i < w; i++) mvaddch(y, x + i, G->utf8 ? ' ' : '.');
}

int tui_draw_spark(int y, int x, int w, const size_t *counts, int n, tui_slot slot)
{
    if (w <= 0 || n <= 0) return 0;
    int *lv = malloc((size_t)(w < n ? w : n) * sizeof *lv);
    if (!lv) return 0;
    int cols = tui_spark_levels(counts, n, w, 9, lv);
    attrset((attr_t)tui_attr(slot));
    for (int i = 0; i < cols; i++) mvaddstr(y, x + i, G->spark[lv[i]]);
    free(lv);
    return cols;
}

void tui_draw_chart(int y, int x, int w, int h, const double *ys, int n, double lo, double hi,
                    tui_slot slot)
{
    if (w <= 0 || h <= 0) return;
    unsigned char *cells = malloc((size_t)w * (size_t)h);
    if (!cells) return;
    tui_chart_braille(ys, n, lo, hi, w, h, cells);
    attrset((attr_t)tui_attr(slot));
    for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
            unsigned char b = cells[r * w + c];
            if (G->utf8) {
                char u[4];
                mvaddstr(y + r, x + c, b ? tui_braille_utf8(b, u) : " ");
            } else {
                mvaddch(y + r, x + c, (chtype)(unsigned char)tui_braille_ascii(b));
            }
        }
    }
    free(cells);
}
