/* plot: curses drawing of XY line charts (several coloured series, axis labels, a legend). */
#ifndef TUI_PLOT_H
#define TUI_PLOT_H

#include "curve.h"
#include "layout.h"
#include "theme.h"

typedef struct {
    const char *name; /* legend text */
    tui_series s;
    tui_slot slot;
} tui_plot_line;

typedef struct {
    const char *title;
    int fixed_x, fixed_y; /* use the ranges below instead of fitting them to the data */
    double xlo, xhi, ylo, yhi;
    double pad; /* y padding when fitted (fraction of the span) */
} tui_plot_opts;

/* Draw a chart filling r (no border): the title and the legend on the first row, the y range
 * at the left, the x range on the last row, the lines in between (braille dots in UTF-8, ASCII
 * otherwise); where series cross, the later one's colour shows. "no data" when empty. */
void tui_plot_draw(tui_rect r, const tui_plot_opts *o, const tui_plot_line *lines, int n);

#endif
