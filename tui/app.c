/* app: the workbench — frame (tabs, status, prompt, output pane), event loop, dispatch. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "app.h"

#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <ncurses.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "cmd.h"
#include "draw.h"
#include "fmt.h"

/* At most this often (ms) the screen is redrawn for progress: about 20 frames a second;
 * keys are answered sooner, at most once per KEY_FRAME_MS, so typing never waits on jobs. */
#define FRAME_MS     50
#define KEY_FRAME_MS 16
/* Poll timeout when nothing is pending. */
#define IDLE_MS 1000

const tui_verb tui_app_verbs[] = {
    {"tab", "N|next|prev", "switch to screen N (1-7)"},
    {"theme", "[NAME|PATH|next]", "switch the colour theme (no argument: list themes)"},
    {"help", "[COMMAND]", "the help screen, or a command's usage in the output pane"},
    {"output", "", "show the output of the last command"},
    {"cancel", "", "cancel the running jobs"},
    {"redraw", "", "redraw the whole screen"},
    {"quit", "", "leave the workbench"},
    {NULL, NULL, NULL},
};

/* State the signal handlers touch: only flags and a descriptor. */
static volatile sig_atomic_t sig_quit;
static volatile sig_atomic_t curses_on;
static int wake_fd = -1;
static struct sigaction old_winch;

double tui_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void on_quit_signal(int sig)
{
    sig_quit = sig;
    if (wake_fd >= 0) tui_jobs_wake_fd(wake_fd);
}

static void on_winch(int sig)
{
    /* ncurses' own handler records the resize; the byte wakes poll() so it is seen now */
    if (old_winch.sa_handler != SIG_DFL && old_winch.sa_handler != SIG_IGN &&
        !(old_winch.sa_flags & SA_SIGINFO) && old_winch.sa_handler)
        old_winch.sa_handler(sig);
    if (wake_fd >= 0) tui_jobs_wake_fd(wake_fd);
}

static void on_crash(int sig)
{
    /* restore the terminal so the shell stays usable, then die of the same signal */
    if (curses_on) endwin();
    static const char msg[] = "lendlab: crashed; terminal restored\n";
    ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)r;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sa.sa_flags = 0;
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, &old_winch);
    signal(SIGPIPE, SIG_IGN);
}

static void debug_log(tui_app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void debug_log(tui_app *app, const char *fmt, ...)
{
    if (!app->debug_log) return;
    fprintf(app->debug_log, "%10.3f ", tui_now_ms() - app->start_ms);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(app->debug_log, fmt, ap);
    va_end(ap);
    fputc('\n', app->debug_log);
    fflush(app->debug_log);
}

void tui_app_debug(tui_app *app, const char *fmt, ...)
{
    if (!app->debug_log) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    debug_log(app, "%s", buf);
}

void tui_app_status(tui_app *app, const char *fmt, ...)
{
    /* an error or the quit question stays visible; later messages wait behind it */
    int hold = app->status_error || app->confirm;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(hold ? app->pending : app->status, hold ? sizeof app->pending : sizeof app->status,
              fmt, ap);
    va_end(ap);
    app->redraw = 1;
}

/* A key was pressed: the user has seen the error; show what waited behind it. */
static void status_ack(tui_app *app)
{
    if (!app->status_error) return;
    app->status_error = 0;
    snprintf(app->status, sizeof app->status, "%s", app->pending);
    app->pending[0] = '\0';
    app->redraw = 1;
}

void tui_app_error(tui_app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->status, sizeof app->status, fmt, ap);
    va_end(ap);
    app->status_error = 1;
    app->pending[0] = '\0';
    app->redraw = 1;
    debug_log(app, "error %s", app->status);
}

void tui_app_redraw(tui_app *app)
{
    app->redraw = 1;
}

void tui_app_touch(tui_app *app, const tui_pane_ops *screen)
{
    for (int i = 0; i < TUI_NSCREENS; i++)
        if (!screen || app->ops[i] == screen) app->stale[i] = 1;
    app->redraw = 1;
}

void tui_app_set_dataset(tui_app *app, const char *path, const char *target)
{
    snprintf(app->dataset, sizeof app->dataset, "%s", path ? path : "");
    snprintf(app->target, sizeof app->target, "%s", target ? target : "");
    tui_app_touch(app, NULL);
}

void tui_app_prompt(tui_app *app, int kind)
{
    app->prompt = kind;
    tui_lineedit_clear(kind == '/' ? &app->search_ed : &app->cmd_ed);
    app->redraw = 1;
}

/* ---- themes ---- */

static int theme_switch(tui_app *app, const char *name)
{
    char path[2048];
    if (!tui_theme_find(name, path, sizeof path)) {
        tui_app_error(app,
                      "theme '%s' not found (looked in ./themes, $XDG_DATA_HOME/lendlab/themes"
                      " and the install directory)",
                      name);
        return -1;
    }
    tui_theme t;
    ll_error err;
    ll_error_clear(&err);
    if (tui_theme_load(path, &t, &err) != LL_OK) {
        char buf[1400];
        tui_app_error(app, "theme not loaded: %s", ll_error_format(&err, buf, sizeof buf));
        return -1;
    }
    app->theme = t;
    tui_theme_apply(&app->theme, app->cmode, app->colors, app->default_colors);
    app->full_redraw = 1;
    app->redraw = 1;
    return 0;
}

static void theme_next(tui_app *app)
{
    if (!app->ntheme_names) {
        tui_app_error(app, "no theme files found (./themes, $XDG_DATA_HOME/lendlab/themes)");
        return;
    }
    size_t i = 0;
    while (i < app->ntheme_names && strcmp(app->theme_names[i], app->theme.name)) i++;
    size_t next = i < app->ntheme_names ? (i + 1) % app->ntheme_names : 0;
    if (theme_switch(app, app->theme_names[next]) == 0)
        tui_app_status(app, "theme: %s%s", app->theme.name,
                       app->cmode == TUI_COLORS_MONO ? " (monochrome terminal)" : "");
}

/* ---- output pane ---- */

static void output_set(tui_app *app, const char *title, const char *out, size_t outlen,
                       const char *err, size_t errlen, int rc)
{
    tui_output *o = &app->out;
    free(o->text);
    free(o->lines);
    memset(o, 0, sizeof *o);
    snprintf(o->title, sizeof o->title, "%s", title);
    o->rc = rc;
    o->text = malloc(outlen + errlen + 2);
    if (!o->text) return;
    memcpy(o->text, out, outlen);
    o->len = outlen;
    if (outlen && out[outlen - 1] != '\n' && errlen) o->text[o->len++] = '\n';
    o->err_from = o->len;
    memcpy(o->text + o->len, err, errlen);
    o->len += errlen;
    o->text[o->len] = '\0';
    size_t cap = 64;
    o->lines = malloc(cap * sizeof *o->lines);
    if (!o->lines) return;
    o->lines[o->nlines++] = 0;
    for (size_t i = 0; i < o->len; i++) {
        if (o->text[i] != '\n' || i + 1 >= o->len) continue;
        if (o->nlines == cap) {
            size_t *nl = realloc(o->lines, cap * 2 * sizeof *nl);
            if (!nl) break;
            o->lines = nl;
            cap *= 2;
        }
        o->lines[o->nlines++] = i + 1;
    }
    if (o->len == 0) o->nlines = 0;
    app->output_open = 1;
    app->redraw = 1;
}

static int output_action(tui_app *app, int argc, char **argv)
{
    tui_output *o = &app->out;
    long page = app->frame.body.h - 3;
    if (page < 1) page = 1;
    const char *v = argv[0], *a = argc > 1 ? argv[1] : "";
    if (!strcmp(v, "close")) {
        app->output_open = 0;
    } else if (!strcmp(v, "scroll") && !strcmp(a, "up")) {
        o->top--;
    } else if (!strcmp(v, "scroll") && !strcmp(a, "down")) {
        o->top++;
    } else if (!strcmp(v, "scroll") && !strcmp(a, "left")) {
        o->left -= 8;
    } else if (!strcmp(v, "scroll") && !strcmp(a, "right")) {
        o->left += 8;
    } else if (!strcmp(v, "page") && !strcmp(a, "up")) {
        o->top -= page;
    } else if (!strcmp(v, "page") && !strcmp(a, "down")) {
        o->top += page;
    } else if (!strcmp(v, "cursor") && !strcmp(a, "top")) {
        o->top = 0;
    } else if (!strcmp(v, "cursor") && !strcmp(a, "bottom")) {
        o->top = LONG_MAX / 2;
    } else {
        return 0;
    }
    long maxtop = (long)o->nlines - page;
    if (o->top > maxtop) o->top = maxtop;
    if (o->top < 0) o->top = 0;
    if (o->left < 0) o->left = 0;
    app->redraw = 1;
    return 1;
}

static void output_draw(tui_app *app, tui_rect r)
{
    tui_output *o = &app->out;
    char title[700];
    if (app->cmd_job)
        snprintf(title, sizeof title, "Output: %s (running, x cancels)", app->cmd_job->name);
    else if (o->text)
        snprintf(title, sizeof title, "Output: %s (exit %d, %zu lines)", o->title, o->rc,
                 o->nlines);
    else
        snprintf(title, sizeof title, "Output");
    tui_draw_clear(r, TUI_SLOT_TEXT);
    tui_draw_box(r, TUI_SLOT_PANE_BORDER_FOCUS, title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    if (!o->text || o->nlines == 0) {
        tui_draw_text(in.y, in.x + 1, in.w - 2, TUI_SLOT_TEXT_DIM,
                      app->cmd_job ? "running..." : "(no output)", TUI_ALIGN_LEFT);
        return;
    }
    for (int i = 0; i < in.h; i++) {
        size_t ln = (size_t)o->top + (size_t)i;
        if (ln >= o->nlines) break;
        size_t s = o->lines[ln];
        size_t e = ln + 1 < o->nlines ? o->lines[ln + 1] : o->len;
        while (e > s && (o->text[e - 1] == '\n' || o->text[e - 1] == '\r')) e--;
        /* horizontal scroll by bytes is fine: command output is plain text */
        size_t skip = (size_t)o->left < e - s ? (size_t)o->left : e - s;
        char line[2048];
        size_t n = e - s - skip < sizeof line - 1 ? e - s - skip : sizeof line - 1;
        memcpy(line, o->text + s + skip, n);
        line[n] = '\0';
        tui_draw_text(in.y + i, in.x + 1, in.w - 2,
                      s >= o->err_from ? TUI_SLOT_METRIC_BAD : TUI_SLOT_TEXT, line, TUI_ALIGN_LEFT);
    }
}

/* ---- command jobs ---- */

typedef struct {
    int argc;
    char **argv;
    char store[1024];
    char line[512];
} cmd_arg;

typedef struct {
    int rc;
    char *out, *err;
    size_t outlen, errlen;
    double ms;
} cmd_result;

static void *cmd_worker(tui_job *job, void *p)
{
    cmd_arg *a = p;
    cmd_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    double t0 = tui_now_ms();
    FILE *out = open_memstream(&r->out, &r->outlen);
    FILE *err = open_memstream(&r->err, &r->errlen);
    if (!out || !err) {
        if (out) fclose(out);
        if (err) fclose(err);
        r->rc = LL_EXIT_ERROR;
        return r;
    }
    ll_cmd_ctx ctx = {
        .out = out,
        .err = err,
        .store = a->store,
        .progress = 0,
        .cancel = tui_job_cancel_flag(job),
    };
    tui_job_progress(job, -1, "running");
    r->rc = ll_cmd_run(&ctx, a->argc, a->argv);
    fclose(out);
    fclose(err);
    r->ms = tui_now_ms() - t0;
    return r;
}

static void cmd_done(tui_job *job, void *result, void *ud)
{
    tui_app *app = ud;
    cmd_arg *a = job->arg;
    cmd_result *r = result;
    if (app->cmd_job == job) app->cmd_job = NULL;
    if (!r) {
        tui_app_error(app, "%s: out of memory", a->line);
    } else {
        output_set(app, a->line, r->out ? r->out : "", r->outlen, r->err ? r->err : "", r->errlen,
                   r->rc);
        if (r->rc == LL_EXIT_OK) {
            tui_app_status(app, "%s: done in %.0f ms (o shows the output again)", a->argv[0],
                           r->ms);
        } else {
            char first[300] = "";
            if (r->err) {
                const char *nl = strchr(r->err, '\n');
                size_t n = nl ? (size_t)(nl - r->err) : strlen(r->err);
                snprintf(first, sizeof first, "%.*s", (int)(n < 299 ? n : 299), r->err);
            }
            tui_app_error(app, "%s: exit %d%s%s", a->argv[0], r->rc, first[0] ? ": " : "", first);
        }
        free(r->out);
        free(r->err);
        free(r);
    }
    tui_cmdline_free(a->argv);
    free(a);
}

static int run_command(tui_app *app, const char *line, int argc, char **argv)
{
    if (app->cmd_job) {
        tui_app_error(app, "'%s' is still running (x cancels it)", app->cmd_job->name);
        return -1;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-")) {
            tui_app_error(app, "standard input is the terminal here; give a file name");
            return -1;
        }
    }
    cmd_arg *a = calloc(1, sizeof *a);
    if (!a) return -1;
    a->argc = argc;
    a->argv = calloc((size_t)argc + 1, sizeof *a->argv);
    if (!a->argv) {
        free(a);
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        a->argv[i] = strdup(argv[i]);
        if (!a->argv[i]) {
            tui_cmdline_free(a->argv);
            free(a);
            return -1;
        }
    }
    snprintf(a->store, sizeof a->store, "%s", app->store);
    snprintf(a->line, sizeof a->line, "%s", line);
    tui_job *job = tui_job_start(&app->jobs, line, cmd_worker, a, cmd_done, app);
    if (!job) {
        tui_cmdline_free(a->argv);
        free(a);
        tui_app_error(app, "cannot start a worker thread");
        return -1;
    }
    app->cmd_job = job;
    app->cmd_job_id = job->id;
    output_set(app, line, "", 0, "", 0, 0);
    tui_app_status(app, "running %s ...", argv[0]);
    return 0;
}

static void show_usage(tui_app *app, const ll_cmd_entry *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return;
    ll_cmd_usage(e, f);
    fclose(f);
    char title[128];
    snprintf(title, sizeof title, "help %s", e->name);
    output_set(app, title, buf ? buf : "", len, "", 0, 0);
    free(buf);
}

/* ---- dispatch ---- */

static void switch_screen(tui_app *app, int i)
{
    if (i < 0 || i >= TUI_NSCREENS) return;
    app->screen = i;
    app->output_open = 0;
    app->stale[i] = 1;
    app->redraw = 1;
}

static void request_quit(tui_app *app)
{
    size_t n = tui_jobs_running(&app->jobs);
    if (!n) {
        app->quit = 1;
        return;
    }
    tui_job *j = tui_jobs_first(&app->jobs);
    tui_app_status(app, "%zu job%s running (%s): quit and cancel %s? (y/n)", n, n > 1 ? "s" : "",
                   j ? j->name : "", n > 1 ? "them" : "it");
    app->confirm = 'q';
}

static int builtin(tui_app *app, int argc, char **argv)
{
    const char *v = argv[0];
    if (!strcmp(v, "tab")) {
        if (argc < 2) {
            tui_app_error(app, "tab needs N (1-%d), next or prev", TUI_NSCREENS);
            return 1;
        }
        if (!strcmp(argv[1], "next"))
            switch_screen(app, (app->screen + 1) % TUI_NSCREENS);
        else if (!strcmp(argv[1], "prev"))
            switch_screen(app, (app->screen + TUI_NSCREENS - 1) % TUI_NSCREENS);
        else {
            int n = atoi(argv[1]);
            if (n < 1 || n > TUI_NSCREENS)
                tui_app_error(app, "no screen %s (1-%d)", argv[1], TUI_NSCREENS);
            else
                switch_screen(app, n - 1);
        }
    } else if (!strcmp(v, "theme")) {
        if (argc < 2) {
            char list[512] = "";
            for (size_t i = 0; i < app->ntheme_names; i++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", app->theme_names[i]);
            }
            tui_app_status(app, "theme %s; available: %s", app->theme.name,
                           list[0] ? list : "(none found)");
        } else if (!strcmp(argv[1], "next")) {
            theme_next(app);
        } else if (theme_switch(app, argv[1]) == 0) {
            tui_app_status(app, "theme: %s", app->theme.name);
        }
    } else if (!strcmp(v, "help")) {
        const ll_cmd_entry *e = argc > 1 ? ll_cmd_find(argv[1]) : NULL;
        if (argc > 1 && !e)
            tui_app_error(app, "no command '%s'", argv[1]);
        else if (e)
            show_usage(app, e);
        else
            switch_screen(app, TUI_NSCREENS - 1);
    } else if (!strcmp(v, "output")) {
        if (app->out.text || app->cmd_job) {
            app->output_open = 1;
            app->redraw = 1;
        } else {
            tui_app_status(app, "no command has run yet (: opens the prompt)");
        }
    } else if (!strcmp(v, "cancel")) {
        size_t n = tui_jobs_running(&app->jobs);
        tui_jobs_cancel_all(&app->jobs);
        if (n)
            tui_app_status(app, "cancelling %zu job%s", n, n > 1 ? "s" : "");
        else
            tui_app_status(app, "no job is running");
    } else if (!strcmp(v, "redraw")) {
        app->full_redraw = 1;
        app->redraw = 1;
    } else if (!strcmp(v, "quit") || !strcmp(v, "q")) {
        request_quit(app);
    } else if (!strcmp(v, "prompt")) {
        tui_app_prompt(app, ':');
    } else {
        return 0;
    }
    return 1;
}

int tui_app_exec(tui_app *app, const char *line)
{
    char **argv = NULL, err[128];
    int argc = tui_cmdline_split(line, &argv, err, sizeof err);
    if (argc < 0) {
        tui_app_error(app, "%s", err);
        return -1;
    }
    if (argc == 0) {
        tui_cmdline_free(argv);
        return 0;
    }
    int rc = 0;
    for (int i = 0; i < argc; i++) {
        const char *sub = NULL;
        if (!strcmp(argv[i], "%f")) sub = app->dataset;
        if (!strcmp(argv[i], "%t")) sub = app->target;
        if (!sub) continue;
        if (!*sub) {
            tui_app_error(app, "'%s' needs %s: none chosen yet", line,
                          argv[i][1] == 'f' ? "a dataset" : "a target");
            tui_cmdline_free(argv);
            return -1;
        }
        char *copy = strdup(sub);
        if (!copy) {
            tui_cmdline_free(argv);
            return -1;
        }
        free(argv[i]);
        argv[i] = copy;
    }
    /* the expanded line is what the output pane shows */
    char shown[512] = "";
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(shown);
        snprintf(shown + l, sizeof shown - l, "%s%s", i ? " " : "", argv[i]);
    }
    if (app->output_open && output_action(app, argc, argv)) {
    } else if (builtin(app, argc, argv)) {
    } else if (app->ops[app->screen]->action &&
               app->ops[app->screen]->action(app->self[app->screen], app, argc, argv)) {
        app->redraw = 1;
    } else if (ll_cmd_find(argv[0])) {
        rc = run_command(app, shown, argc, argv);
    } else {
        tui_app_error(app, "unknown command '%s' (Tab completes; 7 shows the help)", argv[0]);
        rc = -1;
    }
    tui_cmdline_free(argv);
    return rc;
}

/* ---- prompt ---- */

static size_t completion_candidates(const tui_app *app, const char **c, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; tui_app_verbs[i].name && n < max; i++) c[n++] = tui_app_verbs[i].name;
    const tui_verb *sv = app->ops[app->screen]->verbs;
    for (size_t i = 0; sv && sv[i].name && n < max; i++) c[n++] = sv[i].name;
    for (size_t i = 0; ll_cmd_table[i] && n < max; i++) c[n++] = ll_cmd_table[i]->name;
    return n;
}

static void prompt_complete(tui_app *app)
{
    tui_lineedit *e = &app->cmd_ed;
    if (memchr(e->buf, ' ', e->cur)) return; /* only the command name is completed */
    char word[TUI_LINE_MAX], out[TUI_LINE_MAX];
    snprintf(word, sizeof word, "%.*s", (int)e->cur, e->buf);
    const char *cands[128];
    size_t nc = completion_candidates(app, cands, 128);
    size_t m = tui_complete(word, cands, nc, out, sizeof out);
    if (!m) return;
    char rest[TUI_LINE_MAX];
    snprintf(rest, sizeof rest, "%s", e->buf + e->cur);
    char line[TUI_LINE_MAX * 2];
    snprintf(line, sizeof line, "%s%s%s", out, m == 1 && rest[0] != ' ' ? " " : "", rest);
    tui_lineedit_set(e, line);
    e->cur = strlen(out) + (m == 1 && rest[0] != ' ' ? 1 : 0);
    if (m > 1) {
        char list[512] = "";
        for (size_t i = 0; i < nc; i++) {
            if (strncmp(cands[i], word, strlen(word))) continue;
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", l ? " " : "", cands[i]);
        }
        tui_app_status(app, "%s", list);
    }
}

static void prompt_key(tui_app *app, int key, int is_char, wint_t wch)
{
    tui_lineedit *e = app->prompt == '/' ? &app->search_ed : &app->cmd_ed;
    const tui_binding *b =
        is_char && wch >= 32 && wch != 127 ? NULL : tui_keytable_lookup(&tui_keys_prompt, key);
    if (b) {
        if (!strcmp(b->action, "accept")) {
            char line[TUI_LINE_MAX];
            snprintf(line, sizeof line, "%s", e->buf);
            int kind = app->prompt;
            app->prompt = 0;
            tui_lineedit_remember(e, line);
            tui_lineedit_clear(e);
            if (kind == '/') {
                if (!line[0]) return;
                const tui_pane_ops *ops = app->ops[app->screen];
                char *argv[] = {"search", line, NULL};
                if (!ops->action || !ops->action(app->self[app->screen], app, 2, argv))
                    tui_app_error(app, "nothing to search on this screen");
            } else {
                tui_app_exec(app, line);
            }
        } else if (!strcmp(b->action, "abort")) {
            app->prompt = 0;
            tui_lineedit_clear(e);
        } else if (!strcmp(b->action, "complete")) {
            if (app->prompt == ':') prompt_complete(app);
        } else {
            tui_lineedit_action(e, b->action);
        }
        app->redraw = 1;
        return;
    }
    if (is_char && wch >= 32 && wch != 127) {
        char mb[MB_LEN_MAX];
        mbstate_t st;
        memset(&st, 0, sizeof st);
        size_t n = wcrtomb(mb, (wchar_t)wch, &st);
        if (n != (size_t)-1 && tui_lineedit_insert(e, mb, n))
            tui_app_error(app, "the command line is full");
        app->redraw = 1;
    }
}

/* ---- drawing ---- */

static void draw_tabs(tui_app *app)
{
    tui_rect r = app->frame.tabs;
    tui_draw_fill(r.y, r.x, r.w, TUI_SLOT_TAB_BAR);
    const char *names[TUI_NSCREENS];
    for (int i = 0; i < TUI_NSCREENS; i++) names[i] = app->ops[i]->name;
    int used = tui_layout_tabs(names, TUI_NSCREENS, r.w, app->tab_x, app->tab_w);
    for (int i = 0; i < TUI_NSCREENS; i++) {
        if (!app->tab_w[i]) continue;
        int x = r.x + app->tab_x[i];
        tui_slot s = i == app->screen ? TUI_SLOT_TAB_ACTIVE : TUI_SLOT_TAB_INACTIVE;
        tui_draw_fill(r.y, x, app->tab_w[i], s);
        char k[4];
        snprintf(k, sizeof k, "%d", i + 1);
        tui_draw_str(r.y, x + 1, 1, i == app->screen ? s : TUI_SLOT_TAB_KEY, k);
        tui_draw_str(r.y, x + 3, app->tab_w[i] - 3, s, names[i]);
    }
    char right[256];
    snprintf(right, sizeof right, "lendlab %s theme %s ", tui_draw_glyphs()->sep, app->theme.name);
    int rw = tui_text_width(right, strlen(right));
    if (used + 2 + rw <= r.w) tui_draw_str(r.y, r.x + r.w - rw, rw, TUI_SLOT_TAB_BAR, right);
}

static void draw_status(tui_app *app, int *cur_y, int *cur_x)
{
    tui_rect r = app->frame.status;
    *cur_y = *cur_x = -1;
    if (app->prompt) {
        tui_lineedit *e = app->prompt == '/' ? &app->search_ed : &app->cmd_ed;
        tui_draw_fill(r.y, r.x, r.w, TUI_SLOT_PROMPT);
        char lead[2] = {(char)app->prompt, 0};
        tui_draw_str(r.y, r.x, 1, TUI_SLOT_PROMPT, lead);
        /* keep the cursor in view: skip characters from the left when the line is long */
        int avail = r.w - 2;
        size_t start = 0;
        while (tui_text_width(e->buf + start, e->cur - start) >= avail && start < e->cur) {
            start++;
            while (start < e->cur && ((unsigned char)e->buf[start] & 0xC0) == 0x80) start++;
        }
        tui_draw_str(r.y, r.x + 1, avail, TUI_SLOT_PROMPT, e->buf + start);
        *cur_y = r.y;
        *cur_x = r.x + 1 + tui_text_width(e->buf + start, e->cur - start);
        return;
    }
    tui_slot s = app->status_error ? TUI_SLOT_STATUS_ERROR : TUI_SLOT_STATUS;
    tui_draw_fill(r.y, r.x, r.w, TUI_SLOT_STATUS);
    int right_w = 0;
    tui_job *j = tui_jobs_first(&app->jobs);
    if (j) {
        char lab[160];
        size_t n = tui_jobs_running(&app->jobs);
        char pct[16] = "";
        if (j->progress >= 0) snprintf(pct, sizeof pct, " %3.0f%%", j->progress * 100);
        snprintf(lab, sizeof lab, "%s%s%s%s", j->stage[0] ? j->stage : "working", pct,
                 n > 1 ? " +" : "", n > 1 ? "more" : "");
        int bw = 12;
        int lw = tui_text_width(lab, strlen(lab));
        right_w = lw + bw + 3;
        if (right_w < r.w / 2) {
            int x = r.x + r.w - right_w;
            tui_draw_str(r.y, x, lw, TUI_SLOT_STATUS, lab);
            tui_draw_bar(r.y, x + lw + 1, bw, j->progress < 0 ? 0 : j->progress, TUI_SLOT_PROGRESS,
                         TUI_SLOT_STATUS);
        } else {
            right_w = 0;
        }
    }
    int w = r.w - right_w - 1;
    if (!app->status[0]) {
        tui_draw_text(r.y, r.x + 1, w - 1, TUI_SLOT_STATUS,
                      "1-7 screens  : command  T theme  ? help  q quit", TUI_ALIGN_LEFT);
    } else if (app->status_error) {
        int tw = tui_text_width(app->status, strlen(app->status)) + 2;
        tui_draw_text(r.y, r.x, tw < w ? tw : w, s, app->status, TUI_ALIGN_CENTER);
    } else {
        tui_draw_text(r.y, r.x + 1, w - 1, s, app->status, TUI_ALIGN_LEFT);
    }
}

static void draw_too_small(tui_app *app)
{
    attrset((attr_t)tui_attr(TUI_SLOT_TEXT));
    erase();
    char msg[128];
    snprintf(msg, sizeof msg, "enlarge the terminal (needs %dx%d, now %dx%d)", TUI_MIN_COLS,
             TUI_MIN_ROWS, app->cols, app->rows);
    int y = app->rows / 2, w = app->cols;
    if (y < 0) y = 0;
    tui_draw_text(y, 0, w, TUI_SLOT_STATUS_ERROR, msg, TUI_ALIGN_CENTER);
    if (app->rows > 2) tui_draw_text(y + 1, 0, w, TUI_SLOT_TEXT_DIM, "q quits", TUI_ALIGN_CENTER);
}

static void draw(tui_app *app)
{
    if (app->full_redraw) {
        clearok(curscr, TRUE);
        app->full_redraw = 0;
    }
    int cy = -1, cx = -1;
    if (app->frame.too_small) {
        draw_too_small(app);
    } else {
        int i = app->screen;
        if (app->stale[i] && app->ops[i]->update) {
            app->ops[i]->update(app->self[i], app);
        }
        app->stale[i] = 0;
        bkgdset((chtype)(tui_attr(TUI_SLOT_TEXT) | ' '));
        erase();
        draw_tabs(app);
        if (app->output_open)
            output_draw(app, app->frame.body);
        else
            app->ops[i]->draw(app->self[i], app, app->frame.body);
        draw_status(app, &cy, &cx);
    }
    if (cy >= 0) {
        curs_set(1);
        move(cy, cx);
    } else {
        curs_set(0);
    }
    refresh();
    app->redraw = 0;
}

/* ---- input ---- */

static void on_resize(tui_app *app)
{
    getmaxyx(stdscr, app->rows, app->cols);
    app->frame = tui_layout_frame(app->rows, app->cols);
    if (!app->frame.too_small)
        for (int i = 0; i < TUI_NSCREENS; i++)
            if (app->ops[i]->resize) app->ops[i]->resize(app->self[i], app, app->frame.body);
    for (int i = 0; i < TUI_NSCREENS; i++) app->stale[i] = 1;
    app->full_redraw = 1;
    app->redraw = 1;
    debug_log(app, "resize %dx%d", app->cols, app->rows);
}

static void on_mouse(tui_app *app)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || app->frame.too_small) return;
    debug_log(app, "mouse y %d x %d state %#lx", ev.y, ev.x, (unsigned long)ev.bstate);
    int what = -1;
    if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED))
        what = TUI_MOUSE_CLICK;
    else if (ev.bstate & BUTTON4_PRESSED)
        what = TUI_MOUSE_WHEEL_UP;
#ifdef BUTTON5_PRESSED
    else if (ev.bstate & BUTTON5_PRESSED)
        what = TUI_MOUSE_WHEEL_DOWN;
#endif
    if (what < 0) return;
    if (tui_rect_contains(app->frame.tabs, ev.y, ev.x)) {
        if (what == TUI_MOUSE_CLICK) {
            int t = tui_layout_tab_at(app->tab_x, app->tab_w, TUI_NSCREENS, ev.x);
            if (t >= 0) switch_screen(app, t);
        }
        return;
    }
    if (!tui_rect_contains(app->frame.body, ev.y, ev.x)) return;
    if (app->output_open) {
        char *up[] = {"scroll", "up", NULL}, *down[] = {"scroll", "down", NULL};
        for (int k = 0; k < 3 && what != TUI_MOUSE_CLICK; k++)
            output_action(app, 2, what == TUI_MOUSE_WHEEL_UP ? up : down);
        return;
    }
    const tui_pane_ops *ops = app->ops[app->screen];
    if (ops->mouse) ops->mouse(app->self[app->screen], app, ev.y, ev.x, what);
    app->redraw = 1;
}

static void on_key(tui_app *app, int key, int is_char, wint_t wch)
{
    if (!is_char) key = tui_key_normalize(key);
    if (!is_char && key == KEY_RESIZE) {
        on_resize(app);
        return;
    }
    if (!is_char && key == KEY_MOUSE) {
        on_mouse(app);
        return;
    }
    if (is_char) key = tui_key_normalize((int)wch);
    status_ack(app);
    if (app->prompt) {
        prompt_key(app, key, is_char, wch);
        return;
    }
    if (app->confirm) {
        app->confirm = 0;
        if (key == 'y' || key == 'Y') {
            tui_jobs_cancel_all(&app->jobs);
            app->quit = 1;
        } else {
            tui_app_status(app, "still here");
        }
        return;
    }
    if (app->frame.too_small) {
        if (key == 'q') request_quit(app);
        if (key == 12) app->full_redraw = app->redraw = 1;
        return;
    }
    const tui_pane_ops *ops = app->ops[app->screen];
    if (!app->output_open && ops->modal_key &&
        ops->modal_key(app->self[app->screen], app, key, is_char)) {
        app->redraw = 1;
        return;
    }
    const tui_binding *b = NULL;
    if (app->output_open) b = tui_keytable_lookup(&tui_keys_output, key);
    if (!b && !app->output_open) b = tui_keytable_lookup(ops->keys, key);
    if (!b) b = tui_keytable_lookup(&tui_keys_global, key);
    if (b) {
        tui_app_exec(app, b->action);
        return;
    }
    if (!app->output_open && ops->key && ops->key(app->self[app->screen], app, key)) {
        app->redraw = 1;
        return;
    }
    char kn[32];
    tui_app_status(app, "%s is not bound here (7 or ? shows the keys)",
                   tui_key_name(key, kn, sizeof kn));
}

/* ---- setup ---- */

static void init_colors(tui_app *app)
{
    int hc = has_colors();
    if (hc) {
        start_color();
        app->default_colors = use_default_colors() == OK;
    }
    app->colors = hc ? COLORS : 0;
    app->cmode = tui_colormode_pick(hc, app->colors, hc ? COLOR_PAIRS : 0, getenv("NO_COLOR"));
}

static void load_start_theme(tui_app *app, const char *want)
{
    tui_theme_defaults(&app->theme);
    tui_theme_apply(&app->theme, app->cmode, app->colors, app->default_colors);
    const char *name = want && *want ? want : app->config.theme[0] ? app->config.theme : "dark";
    char path[2048];
    if (!tui_theme_find(name, path, sizeof path)) {
        if (want || app->config.theme[0])
            tui_app_error(app, "theme '%s' not found; using the built-in dark theme", name);
        return;
    }
    tui_theme t;
    ll_error err;
    ll_error_clear(&err);
    if (tui_theme_load(path, &t, &err) != LL_OK) {
        char buf[1400];
        tui_app_error(app, "%s (using the built-in theme)", ll_error_format(&err, buf, sizeof buf));
        return;
    }
    app->theme = t;
    tui_theme_apply(&app->theme, app->cmode, app->colors, app->default_colors);
}

static void app_free(tui_app *app)
{
    for (int i = 0; i < TUI_NSCREENS; i++)
        if (app->self[i] && app->ops[i]->destroy) app->ops[i]->destroy(app->self[i]);
    free(app->out.text);
    free(app->out.lines);
    tui_lineedit_free(&app->cmd_ed);
    tui_lineedit_free(&app->search_ed);
    tui_theme_names_free(app->theme_names, app->ntheme_names);
    if (app->debug_log) fclose(app->debug_log);
}

int tui_app_main(const tui_options *opt)
{
    static const tui_pane_ops *const screens[TUI_NSCREENS] = {
        &tui_screen_datasets, &tui_screen_train, &tui_screen_runs, &tui_screen_registry,
        &tui_screen_drift,    &tui_screen_serve, &tui_screen_help};
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "lendlab: the workbench needs a terminal (standard input and output "
                        "must be a tty)\nFor scripts use: lendlab --batch COMMAND ... "
                        "(see lendlab --help)\n");
        return LL_EXIT_USAGE;
    }
    tui_app *app = calloc(1, sizeof *app);
    if (!app) return LL_EXIT_ERROR;
    app->start_ms = opt->start_ms > 0 ? opt->start_ms : tui_now_ms();
    const char *dbg = getenv("LENDLAB_DEBUG_LOG");
    if (dbg && *dbg) app->debug_log = fopen(dbg, "a");
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    /* the wall clock lets an outside launcher measure exec-to-first-frame too */
    debug_log(app, "start pid %ld wall %lld.%06ld", (long)getpid(), (long long)wall.tv_sec,
              wall.tv_nsec / 1000);

    char cfgpath[2048], cfgerr[1024] = "";
    int cfgbad = 0;
    if (tui_config_path(cfgpath, sizeof cfgpath))
        cfgbad = tui_config_load(cfgpath, &app->config, cfgerr, sizeof cfgerr);
    const char *env_store = getenv("LENDLAB_STORE");
    const char *store = opt->store                ? opt->store
                        : env_store && *env_store ? env_store
                        : app->config.store[0]    ? app->config.store
                                                  : "mlruns";
    snprintf(app->store, sizeof app->store, "%s", store);
    snprintf(app->experiment, sizeof app->experiment, "%s",
             app->config.experiment[0] ? app->config.experiment : "Default");
    snprintf(app->file_arg, sizeof app->file_arg, "%s", opt->file ? opt->file : "");
    app->ntheme_names = tui_theme_names(&app->theme_names);

    if (tui_jobs_init(&app->jobs)) {
        fprintf(stderr, "lendlab: cannot create the wake-up pipe: %s\n", strerror(errno));
        app_free(app);
        free(app);
        return LL_EXIT_ERROR;
    }
    wake_fd = app->jobs.pipe[1];

    const char *cs = nl_langinfo(CODESET);
    app->utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
    tui_draw_init(app->utf8);

    if (!getenv("ESCDELAY")) set_escdelay(25);
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        fprintf(stderr, "lendlab: cannot initialise the terminal (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "");
        tui_jobs_destroy(&app->jobs);
        app_free(app);
        free(app);
        return LL_EXIT_ERROR;
    }
    const char *cup = tigetstr("cup");
    if (!cup || cup == (char *)-1) {
        /* a terminal that cannot move the cursor (TERM=dumb) cannot show screens */
        endwin();
        delscreen(scr);
        fprintf(stderr,
                "lendlab: the terminal (TERM=%s) cannot position the cursor; use a full-screen "
                "terminal or lendlab --batch\n",
                getenv("TERM") ? getenv("TERM") : "");
        tui_jobs_destroy(&app->jobs);
        app_free(app);
        free(app);
        return LL_EXIT_USAGE;
    }
    curses_on = 1;
    install_signals();
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    /* every event, filtered in on_mouse: an event outside the mask makes ncurses read on for
     * the next one, which blocks the loop until more input arrives */
    mousemask(ALL_MOUSE_EVENTS, NULL);
    mouseinterval(0);
    init_colors(app);
    load_start_theme(app, opt->theme);
    if (cfgbad) tui_app_error(app, "config: %s", cfgerr);

    for (int i = 0; i < TUI_NSCREENS; i++) {
        app->ops[i] = screens[i];
        app->self[i] = screens[i]->create ? screens[i]->create(app) : NULL;
        app->stale[i] = 1;
    }
    on_resize(app);
    double last_draw = 0, last_key_draw = 0;
    int key_pending = 0;
    double key_t0 = 0;
    char key_name[32] = "";

    while (!app->quit) {
        if (sig_quit) break;
        int timeout = IDLE_MS;
        if (app->redraw) {
            /* a key waits only for the previous key's frame, never for a progress frame */
            double now = tui_now_ms(), since = now - (key_pending ? last_key_draw : last_draw);
            double gap = key_pending ? KEY_FRAME_MS : FRAME_MS;
            if (since >= gap || !app->first_frame_done) {
                draw(app);
                last_draw = tui_now_ms();
                if (!app->first_frame_done) {
                    app->first_frame_done = 1;
                    debug_log(app, "first-frame %dx%d", app->cols, app->rows);
                }
                if (key_pending) {
                    last_key_draw = last_draw;
                    debug_log(app, "key %s redraw %.2f ms", key_name, last_draw - key_t0);
                    key_pending = 0;
                }
                continue;
            }
            timeout = (int)(gap - since) + 1;
        }
        struct pollfd pf[2] = {{STDIN_FILENO, POLLIN, 0}, {tui_jobs_fd(&app->jobs), POLLIN, 0}};
        int pr = poll(pf, 2, timeout);
        if (pr < 0 && errno != EINTR) break;
        if (pr > 0 && (pf[1].revents & POLLIN)) {
            if (tui_jobs_drain(&app->jobs)) {
                if (app->cmd_job && !tui_jobs_alive(&app->jobs, app->cmd_job, app->cmd_job_id))
                    app->cmd_job = NULL;
                tui_app_touch(app, NULL);
            }
            if (tui_jobs_running(&app->jobs)) app->redraw = 1;
            /* the jobs the quit question was about have ended: nothing left to ask */
            else if (app->confirm == 'q')
                app->quit = 1;
        }
        if (pr > 0 && (pf[0].revents & (POLLHUP | POLLERR)) && !(pf[0].revents & POLLIN)) break;
        /* read everything curses has, including input it buffered and KEY_RESIZE */
        for (int n = 0; n < 256; n++) {
            wint_t wch;
            int r = get_wch(&wch);
            if (r == ERR) break;
            if (!key_pending) {
                key_t0 = tui_now_ms();
                key_pending = 1;
                if (r == KEY_CODE_YES && wch == KEY_RESIZE)
                    snprintf(key_name, sizeof key_name, "resize");
                else
                    tui_key_name(r == KEY_CODE_YES ? (int)wch : tui_key_normalize((int)wch),
                                 key_name, sizeof key_name);
            }
            on_key(app, (int)wch, r != KEY_CODE_YES, wch);
            app->redraw = 1;
            if (app->quit) break;
        }
    }
    app->exit_code = sig_quit ? LL_EXIT_CANCELLED : LL_EXIT_OK;
    debug_log(app, "quit%s", sig_quit ? " (signal)" : "");
    tui_jobs_destroy(&app->jobs);
    wake_fd = -1;
    endwin();
    curses_on = 0;
    delscreen(scr);
    int rc = app->exit_code;
    app_free(app);
    free(app);
    return rc;
}
