/* draw: curses drawing helpers — clipped UTF-8 text, boxes, bars and sparklines in slots. */
#ifndef TUI_DRAW_H
#define TUI_DRAW_H

#include <stddef.h>

#include "layout.h"
#include "theme.h"

/* Characters for lines, blocks and marks: UTF-8, or ASCII when the locale is not UTF-8. */
typedef struct {
    const char *hl, *vl, *tl, *tr, *bl, *br; /* box drawing */
    const char *spark[9];                    /* sparkline levels 0 (empty) .. 8 (full) */
    const char *eighths[8];                  /* partial bar cells: 0..7 eighths */
    const char *full;                        /* a full bar cell */
    const char *up, *down;                   /* sort markers */
    const char *target;                      /* marks the target column */
    const char *loaded;                      /* marks the loaded file */
    const char *ellipsis;                    /* clipped text */
    const char *sep;                         /* separator between tabs / fields */
    const char *missing;                     /* a missing cell */
    int utf8;
} tui_glyphs;

/* The glyph set for a UTF-8 (utf8 != 0) or ASCII terminal. */
const tui_glyphs *tui_glyphs_get(int utf8);
/* Select the glyphs the drawing helpers use. */
void tui_draw_init(int utf8);
const tui_glyphs *tui_draw_glyphs(void);

enum { TUI_ALIGN_LEFT = 0, TUI_ALIGN_RIGHT, TUI_ALIGN_CENTER };

/* Draw text s in slot at (y, x) within w cells, clipped (with an ellipsis when clip_mark),
 * padded with blanks to w and aligned. Non-printable or, in ASCII mode, non-ASCII bytes are
 * shown as '?'. Returns the cells of text drawn (without padding). */
int tui_draw_text(int y, int x, int w, tui_slot slot, const char *s, int align);
/* Like tui_draw_text without padding: draws at most w cells; returns cells drawn. */
int tui_draw_str(int y, int x, int w, tui_slot slot, const char *s);
/* printf-style tui_draw_str. */
int tui_draw_fmt(int y, int x, int w, tui_slot slot, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Fill w cells at (y, x) with blanks in slot. */
void tui_draw_fill(int y, int x, int w, tui_slot slot);
/* Fill a rectangle with blanks in slot. */
void tui_draw_clear(tui_rect r, tui_slot slot);
/* A box around r with title drawn in the top border. */
void tui_draw_box(tui_rect r, tui_slot border, const char *title, tui_slot title_slot);
/* A horizontal bar of w cells filled to frac (partial cells in UTF-8). */
void tui_draw_bar(int y, int x, int w, double frac, tui_slot fill, tui_slot empty);
/* A sparkline of n counts resampled to at most w cells; returns cells drawn. */
int tui_draw_spark(int y, int x, int w, const size_t *counts, int n, tui_slot slot);

/* A line chart of ys (NaN = gap) over [lo, hi] in a w x h cell area: braille dots in UTF-8,
 * a coarse ASCII rendering otherwise. */
void tui_draw_chart(int y, int x, int w, int h, const double *ys, int n, double lo, double hi,
                    tui_slot slot);

/* Replace bytes that must not reach the terminal (controls, invalid or, when !utf8, any
 * non-ASCII byte) by '?', copying at most outlen-1 bytes. Returns out. */
char *tui_text_sanitize(const char *s, int utf8, char *out, size_t outlen);

#endif
