/* layout: pure geometry of the workbench — frame, tabs, pane splits, column fitting, scrolling. */
#ifndef TUI_LAYOUT_H
#define TUI_LAYOUT_H

/* The smallest terminal the workbench draws into. */
#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24

typedef struct {
    int y, x, h, w;
} tui_rect;

typedef struct {
    int too_small;   /* below TUI_MIN_COLS x TUI_MIN_ROWS: only a message is drawn */
    tui_rect tabs;   /* the tab bar (first row) */
    tui_rect body;   /* the current screen */
    tui_rect status; /* the status / prompt line (last row) */
} tui_frame;

/* Split a rows x cols terminal into tab bar, body and status line. */
tui_frame tui_layout_frame(int rows, int cols);
/* Place n tab labels (each drawn as " N name ") from x = 0 in a bar of width cells: fills
 * xs[i] and ws[i] (ws 0 when a tab does not fit). Returns the total width used. */
int tui_layout_tabs(const char *const *names, int n, int width, int *xs, int *ws);
/* Index of the tab under column x, or -1. */
int tui_layout_tab_at(const int *xs, const int *ws, int n, int x);
/* True when (y, x) lies inside r. */
int tui_rect_contains(tui_rect r, int y, int x);
/* The inside of a bordered rectangle (one cell less on every side; never negative). */
tui_rect tui_rect_inner(tui_rect r);

/* Datasets screen: files list (top left), columns profile (top right), data grid (bottom
 * left) and column detail (bottom right: 44 wide from 110 columns, 38 from 100, else none). */
typedef struct {
    tui_rect files, columns, grid, detail;
} tui_datasets_layout;
tui_datasets_layout tui_layout_datasets(tui_rect body);

/* Choose which of n table columns to show in avail cells: widths[i] wanted, prio[i] lower is
 * more important (column 0 is always shown), one space between columns. shown[i] is set to
 * the width given to column i (0 = hidden); the first column grows to use spare cells up to
 * grow_max. Returns the total width used. */
int tui_layout_columns(const int *widths, const int *prio, int n, int avail, int grow_max,
                       int *shown);

/* First visible row so that cursor is visible in a window of visible rows over total rows,
 * moving top as little as possible and never past the end. */
long tui_scroll_follow(long top, long cursor, long visible, long total);
/* Clamp a cursor into [0, total-1] (0 when total is 0). */
long tui_clamp_cursor(long cursor, long total);

#endif
