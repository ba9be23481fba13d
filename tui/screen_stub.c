/* screen_stub: the screens whose core is still to come — each says what it will hold. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"

typedef struct {
    const char *title;
    const char *holds; /* what the screen will show */
    int kind;          /* which live setting to show: 0 dataset/target, 1 store, 2 none */
} stub_info;

static const stub_info stubs[] = {
    {"Train",
     "Will hold: choice of learner (logistic regression, random forest, gradient boosting), its "
     "parameters, live training curves and held-out metrics for the dataset and target chosen "
     "on the Datasets screen.",
     0},
    {"Runs",
     "Will hold: the tracked runs of the store (params, metrics, artifacts) and a side-by-side "
     "comparison of selected runs with their ROC and calibration curves.",
     1},
    {"Registry",
     "Will hold: registered models with their versions and aliases, promotion under the "
     "policy, and the audit history of each model.",
     1},
    {"Drift",
     "Will hold: per-column drift of a new batch against a reference (KS, chi-square, PSI) "
     "with the dataset verdict and a report export.",
     0},
    {"Serve",
     "Will hold: the scoring server (MLflow /invocations protocol): model, address, request "
     "rate and latency, recent errors.",
     1},
};

typedef struct {
    const stub_info *info;
} stub;

static void *stub_create_n(tui_app *app, int n)
{
    (void)app;
    stub *s = malloc(sizeof *s);
    if (s) s->info = &stubs[n];
    return s;
}

static void stub_destroy(void *self)
{
    free(self);
}

/* Word-wrap text into r starting at row y; returns the next free row. */
static int wrap(tui_rect r, int y, tui_slot slot, const char *text)
{
    const char *p = text;
    while (*p && y < r.y + r.h) {
        int w = r.w;
        size_t n = strlen(p);
        if ((int)n > w) {
            n = (size_t)w;
            while (n > 0 && p[n] != ' ') n--;
            if (n == 0) n = (size_t)w;
        }
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)n, p);
        tui_draw_text(y++, r.x, r.w, slot, line, TUI_ALIGN_LEFT);
        p += n;
        while (*p == ' ') p++;
    }
    return y;
}

static void stub_draw(void *self, tui_app *app, tui_rect r)
{
    const stub *s = self;
    if (!s) return;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    char title[64];
    snprintf(title, sizeof title, "%s", s->info->title);
    tui_draw_box(r, TUI_SLOT_PANE_BORDER, title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    in.x += 2;
    in.w -= 4;
    in.y += 1;
    in.h -= 1;
    int y = wrap(in, in.y, TUI_SLOT_TEXT, s->info->holds);
    y++;
    tui_draw_text(y++, in.x, in.w, TUI_SLOT_TEXT_DIM,
                  "This screen arrives with its part of the core; until then every command is "
                  "available at the ':' prompt.",
                  TUI_ALIGN_LEFT);
    y++;
    char buf[2400];
    if (s->info->kind == 0) {
        snprintf(buf, sizeof buf, "dataset: %s",
                 app->dataset[0] ? app->dataset : "(none loaded; choose one on Datasets)");
        tui_draw_text(y++, in.x, in.w, TUI_SLOT_TEXT, buf, TUI_ALIGN_LEFT);
        snprintf(buf, sizeof buf, "target:  %s",
                 app->target[0] ? app->target : "(none; press t on a column of Datasets)");
        tui_draw_text(y++, in.x, in.w, app->target[0] ? TUI_SLOT_TARGET : TUI_SLOT_TEXT, buf,
                      TUI_ALIGN_LEFT);
    } else if (s->info->kind == 1) {
        snprintf(buf, sizeof buf, "store: %s   experiment: %s", app->store, app->experiment);
        tui_draw_text(y++, in.x, in.w, TUI_SLOT_TEXT, buf, TUI_ALIGN_LEFT);
    }
}

#define STUB_OPS(var, n, label)                                                                    \
    static void *create_##var(tui_app *app)                                                        \
    {                                                                                              \
        return stub_create_n(app, n);                                                              \
    }                                                                                              \
    const tui_pane_ops var = {                                                                     \
        .name = label,                                                                             \
        .create = create_##var,                                                                    \
        .destroy = stub_destroy,                                                                   \
        .draw = stub_draw,                                                                         \
    }

STUB_OPS(tui_screen_train, 0, "Train");
STUB_OPS(tui_screen_runs, 1, "Runs");
STUB_OPS(tui_screen_registry, 2, "Registry");
STUB_OPS(tui_screen_drift, 3, "Drift");
STUB_OPS(tui_screen_serve, 4, "Serve");
