/* screen_help: the help screen, generated from the key tables' notes and the command tables. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmd.h"
#include "draw.h"

enum { LINE_HEADING, LINE_ROW, LINE_BLANK };

typedef struct {
    int kind;
    char left[96];
    char text[256];
} help_line;

typedef struct {
    help_line *lines;
    size_t n, cap;
    long top;
    int page;
} help;

static void add(help *h, int kind, const char *left, const char *text)
{
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 128;
        help_line *nl = realloc(h->lines, nc * sizeof *nl);
        if (!nl) return;
        h->lines = nl;
        h->cap = nc;
    }
    help_line *l = &h->lines[h->n++];
    l->kind = kind;
    snprintf(l->left, sizeof l->left, "%s", left ? left : "");
    snprintf(l->text, sizeof l->text, "%s", text ? text : "");
}

static void *help_create(tui_app *app)
{
    (void)app;
    return calloc(1, sizeof(help));
}

static void help_destroy(void *self)
{
    help *h = self;
    if (!h) return;
    free(h->lines);
    free(h);
}

static void add_verbs(help *h, const tui_verb *v)
{
    for (size_t i = 0; v && v[i].name; i++) {
        char left[96];
        snprintf(left, sizeof left, "%s%s%s", v[i].name, v[i].args[0] ? " " : "", v[i].args);
        add(h, LINE_ROW, left, v[i].summary);
    }
}

/* Rebuild the lines: every table's notes, then the prompt's verbs and the command table. */
static void help_update(void *self, tui_app *app)
{
    help *h = self;
    if (!h) return;
    h->n = 0;
    for (size_t t = 0; tui_keytables[t]; t++) {
        tui_help_row rows[128];
        size_t n = tui_keytable_help(tui_keytables[t], rows, 128);
        add(h, LINE_HEADING, NULL, tui_keytables[t]->title);
        for (size_t i = 0; i < n; i++) add(h, LINE_ROW, rows[i].keys, rows[i].note);
        add(h, LINE_BLANK, NULL, NULL);
    }
    add(h, LINE_HEADING, NULL, "Prompt commands (type ':' then the command)");
    add_verbs(h, tui_app_verbs);
    for (int s = 0; s < TUI_NSCREENS; s++) {
        if (!app->ops[s] || !app->ops[s]->verbs) continue;
        add_verbs(h, app->ops[s]->verbs);
    }
    add(h, LINE_BLANK, NULL, NULL);
    add(h, LINE_HEADING, NULL,
        "Command table (also lendlab --batch COMMAND; ':help COMMAND' shows its options)");
    for (size_t i = 0; ll_cmd_table[i]; i++) {
        char left[96];
        const ll_cmd_entry *e = ll_cmd_table[i];
        snprintf(left, sizeof left, "%s%s%s", e->name, e->args ? " " : "", e->args ? e->args : "");
        add(h, LINE_ROW, left, e->summary);
    }
}

static void help_resize(void *self, tui_app *app, tui_rect r)
{
    help *h = self;
    if (h) h->page = r.h - 2 > 1 ? r.h - 2 : 1;
}

static void help_draw(void *self, tui_app *app, tui_rect r)
{
    help *h = self;
    if (!h) return;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    char title[96];
    snprintf(title, sizeof title, "Help: keys and commands (%zu lines)", h->n);
    tui_draw_box(r, TUI_SLOT_PANE_BORDER_FOCUS, title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    h->page = in.h > 1 ? in.h : 1;
    long maxtop = (long)h->n - in.h;
    if (h->top > maxtop) h->top = maxtop;
    if (h->top < 0) h->top = 0;
    int kw = 30;
    for (int i = 0; i < in.h; i++) {
        size_t k = (size_t)h->top + (size_t)i;
        if (k >= h->n) break;
        const help_line *l = &h->lines[k];
        if (l->kind == LINE_HEADING) {
            tui_draw_text(in.y + i, in.x + 1, in.w - 2, TUI_SLOT_HEADER, l->text, TUI_ALIGN_LEFT);
        } else if (l->kind == LINE_ROW) {
            tui_draw_text(in.y + i, in.x + 3, kw - 1, TUI_SLOT_KEY, l->left, TUI_ALIGN_LEFT);
            tui_draw_text(in.y + i, in.x + 3 + kw, in.w - kw - 4, TUI_SLOT_TEXT, l->text,
                          TUI_ALIGN_LEFT);
        }
    }
}

static int help_action(void *self, tui_app *app, int argc, char **argv)
{
    help *h = self;
    const char *v = argv[0], *a = argc > 1 ? argv[1] : "";
    if (!strcmp(v, "scroll") && !strcmp(a, "up"))
        h->top--;
    else if (!strcmp(v, "scroll") && !strcmp(a, "down"))
        h->top++;
    else if (!strcmp(v, "page") && !strcmp(a, "up"))
        h->top -= h->page;
    else if (!strcmp(v, "page") && !strcmp(a, "down"))
        h->top += h->page;
    else if (!strcmp(v, "cursor") && !strcmp(a, "top"))
        h->top = 0;
    else if (!strcmp(v, "cursor") && !strcmp(a, "bottom"))
        h->top = (long)h->n;
    else
        return 0;
    if (h->top < 0) h->top = 0;
    return 1;
}

static void help_mouse(void *self, tui_app *app, int y, int x, int what)
{
    help *h = self;
    if (what == TUI_MOUSE_WHEEL_UP) h->top -= 3;
    if (what == TUI_MOUSE_WHEEL_DOWN) h->top += 3;
    if (h->top < 0) h->top = 0;
}

const tui_pane_ops tui_screen_help = {
    .name = "Help",
    .keys = &tui_keys_help,
    .create = help_create,
    .destroy = help_destroy,
    .update = help_update,
    .draw = help_draw,
    .action = help_action,
    .resize = help_resize,
    .mouse = help_mouse,
};
