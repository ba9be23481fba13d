/* plot: curses drawing of XY line charts (several coloured series, axis labels, a legend). */
#define _XOPEN_SOURCE_EXTENDED 1
#include "plot.h"

#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "draw.h"
#include "fmt.h"

#define MAX_LINES 16

void tui_plot_draw(tui_rect r, const tui_plot_opts *o, const tui_plot_line *lines, int n)
{
    if (r.w < 12 || r.h < 3) return;
    if (n > MAX_LINES) n = MAX_LINES;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    /* title, then the legend as far as it fits */
    int x = r.x;
    if (o->title) x += tui_draw_str(r.y, x, r.w, TUI_SLOT_HEADER, o->title) + 2;
    for (int i = 0; i < n && x < r.x + r.w - 4; i++) {
        x += tui_draw_str(r.y, x, r.x + r.w - x, lines[i].slot, tui_draw_glyphs()->full);
        x += tui_draw_str(r.y, x + 1, r.x + r.w - x - 1, TUI_SLOT_TEXT_DIM, lines[i].name) + 3;
    }
    tui_series s[MAX_LINES];
    for (int i = 0; i < n; i++) s[i] = lines[i].s;
    double xlo, xhi, ylo, yhi;
    int empty = tui_curve_bounds(s, n, o->pad, &xlo, &xhi, &ylo, &yhi) != 0;
    if (o->fixed_x) {
        xlo = o->xlo;
        xhi = o->xhi;
    }
    if (o->fixed_y) {
        ylo = o->ylo;
        yhi = o->yhi;
    }
    int lw = 7, ch = r.h - 2, cw = r.w - lw - 1;
    if (ch < 1 || cw < 2) return;
    if (empty) {
        tui_draw_text(r.y + 1 + ch / 2, r.x + lw + 1, cw, TUI_SLOT_TEXT_DIM, "no data yet",
                      TUI_ALIGN_CENTER);
        return;
    }
    char lab[32];
    tui_draw_text(r.y + 1, r.x, lw - 1, TUI_SLOT_TEXT_DIM,
                  tui_fmt_num(yhi, lw - 1, lab, sizeof lab), TUI_ALIGN_RIGHT);
    tui_draw_text(r.y + ch, r.x, lw - 1, TUI_SLOT_TEXT_DIM,
                  tui_fmt_num(ylo, lw - 1, lab, sizeof lab), TUI_ALIGN_RIGHT);
    for (int i = 0; i < ch; i++)
        tui_draw_str(r.y + 1 + i, r.x + lw, 1, TUI_SLOT_PANE_BORDER, tui_draw_glyphs()->vl);
    tui_draw_str(r.y + r.h - 1, r.x + lw + 1, 12, TUI_SLOT_TEXT_DIM,
                 tui_fmt_num(xlo, 10, lab, sizeof lab));
    tui_fmt_num(xhi, 10, lab, sizeof lab);
    int xw = (int)strlen(lab);
    tui_draw_str(r.y + r.h - 1, r.x + r.w - xw, xw, TUI_SLOT_TEXT_DIM, lab);

    unsigned char *bits = malloc((size_t)cw * (size_t)ch);
    signed char *owner = malloc((size_t)cw * (size_t)ch);
    if (!bits || !owner) {
        free(bits);
        free(owner);
        return;
    }
    tui_curve_raster(s, n, xlo, xhi, ylo, yhi, cw, ch, bits, owner);
    int utf8 = tui_draw_glyphs()->utf8;
    for (int row = 0; row < ch; row++) {
        for (int col = 0; col < cw; col++) {
            unsigned char b = bits[row * cw + col];
            if (!b) continue;
            attrset((attr_t)tui_attr(lines[owner[row * cw + col]].slot));
            int yy = r.y + 1 + row, xx = r.x + lw + 1 + col;
            if (utf8) {
                char u[4];
                mvaddstr(yy, xx, tui_braille_utf8(b, u));
            } else {
                mvaddch(yy, xx, (chtype)(unsigned char)tui_braille_ascii(b));
            }
        }
    }
    free(bits);
    free(owner);
}
