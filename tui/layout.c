/* layout: pure geometry of the workbench — frame, tabs, pane splits, column fitting, scrolling. */
#include "layout.h"

#include <string.h>

#include "fmt.h"

tui_frame tui_layout_frame(int rows, int cols)
{
    tui_frame f;
    memset(&f, 0, sizeof f);
    f.too_small = rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS;
    if (rows < 3 || cols < 1) {
        f.too_small = 1;
        return f;
    }
    f.tabs = (tui_rect){0, 0, 1, cols};
    f.body = (tui_rect){1, 0, rows - 2, cols};
    f.status = (tui_rect){rows - 1, 0, 1, cols};
    return f;
}

int tui_layout_tabs(const char *const *names, int n, int width, int *xs, int *ws)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        /* " N name " */
        int w = 3 + tui_text_width(names[i], strlen(names[i])) + 1;
        if (x + w > width) {
            xs[i] = x;
            ws[i] = 0;
            continue;
        }
        xs[i] = x;
        ws[i] = w;
        x += w + 1; /* one separator cell */
    }
    return x > 0 ? x - 1 : 0;
}

int tui_layout_tab_at(const int *xs, const int *ws, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (ws[i] > 0 && x >= xs[i] && x < xs[i] + ws[i]) return i;
    return -1;
}

int tui_rect_contains(tui_rect r, int y, int x)
{
    return y >= r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w;
}

tui_rect tui_rect_inner(tui_rect r)
{
    tui_rect in = {r.y + 1, r.x + 1, r.h - 2, r.w - 2};
    if (in.h < 0) in.h = 0;
    if (in.w < 0) in.w = 0;
    return in;
}

tui_datasets_layout tui_layout_datasets(tui_rect body)
{
    tui_datasets_layout L;
    memset(&L, 0, sizeof L);
    int top = body.h * 11 / 20;
    if (top < 8) top = body.h < 16 ? body.h / 2 : 8;
    int fw = body.w / 5;
    if (fw < 20) fw = 20;
    if (fw > 30) fw = 30;
    if (fw > body.w / 2) fw = body.w / 2;
    int dw = body.w >= 110 ? 44 : body.w >= 100 ? 38 : 0;
    L.files = (tui_rect){body.y, body.x, top, fw};
    L.columns = (tui_rect){body.y, body.x + fw, top, body.w - fw};
    L.grid = (tui_rect){body.y + top, body.x, body.h - top, body.w - dw};
    L.detail = (tui_rect){body.y + top, body.x + body.w - dw, body.h - top, dw};
    return L;
}

int tui_layout_columns(const int *widths, const int *prio, int n, int avail, int grow_max,
                       int *shown)
{
    for (int i = 0; i < n; i++) shown[i] = 0;
    if (n <= 0 || avail <= 0) return 0;
    int used = widths[0] < avail ? widths[0] : avail;
    shown[0] = used;
    /* add columns by priority (ties by position) while they fit */
    for (;;) {
        int best = -1;
        for (int i = 1; i < n; i++)
            if (!shown[i] && widths[i] > 0 && (best < 0 || prio[i] < prio[best])) best = i;
        if (best < 0) break;
        if (used + 1 + widths[best] <= avail) {
            shown[best] = widths[best];
            used += 1 + widths[best];
        } else {
            shown[best] = -1; /* considered, does not fit */
        }
    }
    for (int i = 1; i < n; i++)
        if (shown[i] < 0) shown[i] = 0;
    int spare = avail - used;
    if (spare > 0 && grow_max > shown[0]) {
        int g = grow_max - shown[0];
        if (g > spare) g = spare;
        shown[0] += g;
        used += g;
    }
    return used;
}

long tui_scroll_follow(long top, long cursor, long visible, long total)
{
    if (visible <= 0 || total <= 0) return 0;
    if (cursor < top) top = cursor;
    if (cursor >= top + visible) top = cursor - visible + 1;
    if (top > total - visible) top = total - visible;
    if (top < 0) top = 0;
    return top;
}

long tui_clamp_cursor(long cursor, long total)
{
    if (total <= 0 || cursor < 0) return 0;
    return cursor >= total ? total - 1 : cursor;
}
