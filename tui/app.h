/* app: the workbench — frame (tabs, status, prompt, output pane), event loop, dispatch. */
#ifndef TUI_APP_H
#define TUI_APP_H

#include <stddef.h>
#include <stdio.h>

#include "cmdline.h"
#include "config.h"
#include "job.h"
#include "layout.h"
#include "pane.h"
#include "theme.h"

#define TUI_NSCREENS 7

/* What main hands over: the command line of the interactive form. */
typedef struct {
    const char *file;  /* FILE argument (path or URL), NULL when none */
    const char *store; /* --store DIR, NULL when not given */
    const char *theme; /* --theme NAME|PATH, NULL when not given */
    double start_ms;   /* CLOCK_MONOTONIC milliseconds when main started (for the debug log) */
} tui_options;

/* Output of the last ':' command, shown in the output pane. */
typedef struct {
    char title[512];
    char *text; /* stdout then stderr of the command, malloc'd */
    size_t len;
    size_t err_from; /* byte offset where stderr starts (lines after it use STATUS_ERROR) */
    size_t *lines;   /* line start offsets */
    size_t nlines;
    long top, left; /* scroll position */
    int rc;
} tui_output;

struct tui_app {
    int rows, cols;
    tui_frame frame;
    int utf8;
    tui_colormode cmode;
    int colors, default_colors;
    tui_theme theme;
    char **theme_names;
    size_t ntheme_names;

    tui_jobs jobs;
    int screen; /* current tab */
    const tui_pane_ops *ops[TUI_NSCREENS];
    void *self[TUI_NSCREENS];
    int stale[TUI_NSCREENS]; /* update() due before the next draw */
    int tab_x[TUI_NSCREENS], tab_w[TUI_NSCREENS];

    int redraw;      /* something changed: draw at the next opportunity */
    int full_redraw; /* clear the terminal first (C-l, resize, theme) */
    int quit;
    int exit_code;

    char status[1024];
    int status_error;   /* an error stays until the next key; messages meanwhile wait: */
    char pending[1024]; /* the latest message that arrived while an error was shown */

    int prompt;  /* 0, ':' (command) or '/' (search) */
    int confirm; /* 'q': waiting for y/n before quitting */
    tui_lineedit cmd_ed, search_ed;

    int output_open;
    tui_output out;
    tui_job *cmd_job;
    unsigned cmd_job_id;

    tui_config config;
    char store[1024];
    char experiment[256];
    char file_arg[2048]; /* FILE from the command line ("" when none) */

    /* the dataset and target chosen on the Datasets screen (read by Train) */
    char dataset[2048];
    char target[256];

    FILE *debug_log;
    double start_ms;
    int first_frame_done;

    /* bumped by a screen that wrote to the store, so the screens reading it reload */
    unsigned store_gen;
};

/* Run the workbench until the user quits; returns the process exit status. */
int tui_app_main(const tui_options *opt);

/* Show a message (or an error) on the status line. */
void tui_app_status(tui_app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tui_app_error(tui_app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ask for a redraw; mark a screen's view model stale (its update() runs before drawing). */
void tui_app_redraw(tui_app *app);
void tui_app_touch(tui_app *app, const tui_pane_ops *screen);
/* Open the prompt: ':' for commands, '/' for a search handed to the screen as "search TEXT". */
void tui_app_prompt(tui_app *app, int kind);
/* Run one command line: workbench verbs, the current screen's verbs, then the command table
 * (on a worker thread, output to the output pane). Tokens %f and %t become the dataset and
 * the target. Returns 0, or -1 after reporting an error on the status line. */
int tui_app_exec(tui_app *app, const char *line);
/* Record the dataset and target the other screens use. */
void tui_app_set_dataset(tui_app *app, const char *path, const char *target);
/* Milliseconds on the monotonic clock. */
double tui_now_ms(void);
/* A line in the LENDLAB_DEBUG_LOG file (milliseconds since start first); nothing without it. */
void tui_app_debug(tui_app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Workbench verbs of the prompt (NULL-name terminated), for the help screen. */
extern const tui_verb tui_app_verbs[];

#endif
