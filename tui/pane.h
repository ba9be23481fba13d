/* pane: the screen vtable — data update kept apart from drawing, keys as actions, resize. */
#ifndef TUI_PANE_H
#define TUI_PANE_H

#include "keys.h"
#include "layout.h"

typedef struct tui_app tui_app;

/* A verb a screen understands at the ':' prompt (listed on the help screen). */
typedef struct {
    const char *name;    /* "sort" */
    const char *args;    /* "[COLUMN]" */
    const char *summary; /* one line */
} tui_verb;

/* Mouse events handed to panes. */
enum { TUI_MOUSE_CLICK = 0, TUI_MOUSE_WHEEL_UP, TUI_MOUSE_WHEEL_DOWN };

/* One screen (a tab). Drawing reads only the pane's own view model, which update() refreshes
 * from the application state when the pane was marked dirty. */
typedef struct {
    const char *name;         /* tab label */
    const tui_keytable *keys; /* the screen's key table (NULL: only the global one) */
    const tui_verb *verbs;    /* prompt verbs, NULL-name terminated (may be NULL) */
    void *(*create)(tui_app *app);
    void (*destroy)(void *self);
    /* refresh the view model from the application state (UI thread, before drawing) */
    void (*update)(void *self, tui_app *app);
    /* draw the view model into r (the body of the frame) */
    void (*draw)(void *self, tui_app *app, tui_rect r);
    /* run an action (from a key binding or the prompt): argv[0] is the verb. Returns 1 when
     * handled, 0 when the verb is not the pane's. */
    int (*action)(void *self, tui_app *app, int argc, char **argv);
    /* a key without a binding (may be NULL); returns 1 when used */
    int (*key)(void *self, tui_app *app, int key);
    /* the body changed size (also called once before the first draw) */
    void (*resize)(void *self, tui_app *app, tui_rect r);
    /* a mouse event at (y, x) inside the body (may be NULL) */
    void (*mouse)(void *self, tui_app *app, int y, int x, int what);
    /* a key while the pane may hold a modal dialog (may be NULL): it sees every key before
     * the key tables (is_char: key is a typed character, not a curses key code) and returns
     * 1 when it took the key, 0 to let the tables have it */
    int (*modal_key)(void *self, tui_app *app, int key, int is_char);
} tui_pane_ops;

/* The screens, in tab order. */
extern const tui_pane_ops tui_screen_datasets, tui_screen_train, tui_screen_runs,
    tui_screen_registry, tui_screen_drift, tui_screen_serve, tui_screen_help;

#endif
