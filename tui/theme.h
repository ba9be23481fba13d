/* theme: semantic colour slots (declared once), theme files, colour fallbacks, curses pairs. */
#ifndef TUI_THEME_H
#define TUI_THEME_H

#include <stddef.h>

#include "error.h"

/* Attribute bits of a slot (independent of curses so parsing stays pure). */
enum {
    TUI_ATTR_BOLD = 1,
    TUI_ATTR_DIM = 2,
    TUI_ATTR_UNDERLINE = 4,
    TUI_ATTR_REVERSE = 8,
    TUI_ATTR_ITALIC = 16
};

/* Colour values: TUI_COLOR_DEFAULT (the terminal's own colour) or 0..255 (xterm indexes). */
#define TUI_COLOR_DEFAULT (-1)

#define TUI_B TUI_ATTR_BOLD
#define TUI_D TUI_ATTR_DIM
#define TUI_U TUI_ATTR_UNDERLINE
#define TUI_R TUI_ATTR_REVERSE

/* Every slot once: X(ID, name, default fg, default bg, default attributes, monochrome
 * attributes, description). The defaults are the dark theme; the monochrome attributes are
 * added when colours are unavailable (or NO_COLOR is set) so slots stay distinguishable. */
#define TUI_SLOTS(X)                                                                               \
    X(TAB_BAR, "tab_bar", 250, 236, 0, TUI_R, "the tab bar behind the tabs")                       \
    X(TAB_ACTIVE, "tab_active", 0, 6, TUI_B, TUI_B, "the tab of the current screen")               \
    X(TAB_INACTIVE, "tab_inactive", 250, 236, 0, TUI_R, "the other tabs")                          \
    X(TAB_KEY, "tab_key", 3, 236, TUI_B, TUI_R | TUI_B, "the key number shown in each tab")        \
    X(PANE_BORDER, "pane_border", 240, -1, 0, 0, "borders of unfocused panes")                     \
    X(PANE_BORDER_FOCUS, "pane_border_focus", 6, -1, 0, TUI_B, "border of the focused pane")       \
    X(PANE_TITLE, "pane_title", 6, -1, TUI_B, TUI_B, "pane titles")                                \
    X(TEXT, "text", -1, -1, 0, 0, "ordinary text")                                                 \
    X(TEXT_DIM, "text_dim", 244, -1, 0, TUI_D, "secondary text, hints, placeholders")              \
    X(HEADER, "header", 3, -1, TUI_B, TUI_B | TUI_U, "table headers")                              \
    X(SELECTION, "selection", 0, 6, 0, TUI_R, "the selected row of the focused pane")              \
    X(SELECTION_DIM, "selection_dim", 255, 238, 0, TUI_U, "the selected row of other panes")       \
    X(STATUS, "status", 250, 236, 0, TUI_R, "the status line")                                     \
    X(STATUS_ERROR, "status_error", 15, 1, TUI_B, TUI_R | TUI_B, "errors on the status line")      \
    X(PROMPT, "prompt", 15, -1, TUI_B, TUI_B, "the ':' command prompt")                            \
    X(PROGRESS, "progress", 6, 236, 0, TUI_R, "progress bars of running jobs")                     \
    X(KEY, "key", 3, -1, TUI_B, TUI_B, "key names on the help screen")                             \
    X(METRIC_GOOD, "metric_good", 2, -1, TUI_B, TUI_B, "a metric that improved or passes")         \
    X(METRIC_BAD, "metric_bad", 1, -1, TUI_B, TUI_B | TUI_U, "a metric that worsened or fails")    \
    X(DRIFT_OK, "drift_ok", 2, -1, 0, 0, "columns without drift")                                  \
    X(DRIFT_WARN, "drift_warn", 3, -1, 0, TUI_U, "columns with moderate drift")                    \
    X(DRIFT_ALERT, "drift_alert", 1, -1, TUI_B, TUI_R | TUI_B, "columns with significant drift")   \
    X(CHART_1, "chart_1", 6, -1, 0, 0, "first series of charts and sparklines")                    \
    X(CHART_2, "chart_2", 5, -1, 0, TUI_B, "second chart series")                                  \
    X(CHART_3, "chart_3", 3, -1, 0, TUI_U, "third chart series")                                   \
    X(CHART_4, "chart_4", 2, -1, 0, TUI_D, "fourth chart series")                                  \
    X(TARGET, "target", 5, -1, TUI_B, TUI_B | TUI_U, "the target column")                          \
    X(MISSING, "missing", 240, -1, 0, TUI_D, "missing cells in the data grid")                     \
    X(SEARCH_MATCH, "search_match", 0, 3, 0, TUI_U | TUI_B, "search matches")

typedef enum {
#define TUI_SLOT_ENUM(id, name, fg, bg, at, mono, doc) TUI_SLOT_##id,
    TUI_SLOTS(TUI_SLOT_ENUM)
#undef TUI_SLOT_ENUM
        TUI_SLOT_COUNT
} tui_slot;

typedef struct {
    short fg, bg;   /* TUI_COLOR_DEFAULT or 0..255 */
    unsigned attrs; /* TUI_ATTR_* bits */
} tui_style;

typedef struct {
    char name[64]; /* "dark", or the file name without .theme */
    tui_style slot[TUI_SLOT_COUNT];
} tui_theme;

/* How colours reach the terminal. */
typedef enum {
    TUI_COLORS_256 = 0,
    TUI_COLORS_8,
    TUI_COLORS_MONO,
    TUI_COLORMODE_COUNT
} tui_colormode;

/* Slot name as written in theme files ("tab_active"), and its one-line description. */
const char *tui_slot_name(tui_slot s);
const char *tui_slot_doc(tui_slot s);
/* Slot by name (case-insensitive, '-' same as '_'), or -1. */
int tui_slot_find(const char *name);
/* Parse a colour: "default", a name (black red green yellow blue magenta cyan white, their
 * bright- forms, grey), or 0..255. Returns TUI_COLOR_DEFAULT, 0..255, or -2 when invalid. */
int tui_color_parse(const char *s);
/* Nearest of the 8 basic colours for an xterm colour index; *bright set for 8..15 and light
 * shades (drawn bold by 8-colour terminals). TUI_COLOR_DEFAULT maps to itself. */
int tui_color_to8(int c, int *bright);

/* The built-in theme ("dark", the X-macro defaults). */
void tui_theme_defaults(tui_theme *t);
/* Parse theme text over the built-in defaults: lines `slot = fg=COLOR, bg=COLOR, attr, ...`
 * with attributes bold dim underline reverse italic (or none), '#' comments. On error returns
 * LL_EPARSE with err's file (fname) and line set; t is then unspecified. */
ll_status tui_theme_parse(const char *text, size_t len, const char *fname, tui_theme *t,
                          ll_error *err);
/* Read and parse a theme file; t's name becomes the file's base name without ".theme". On
 * failure t is left unchanged. */
ll_status tui_theme_load(const char *path, tui_theme *t, ll_error *err);

/* Theme directories in search order: ./themes, $XDG_DATA_HOME/lendlab/themes (or
 * ~/.local/share/lendlab/themes), LL_THEME_DIR. Fills up to max paths into dirs (each of
 * size len); returns the count. */
int tui_theme_dirs(char dirs[][1024], int max);
/* Resolve a theme NAME (searched in the directories) or a path (containing '/' or ending in
 * ".theme") to a readable file into buf. Returns buf or NULL when not found. */
const char *tui_theme_find(const char *name_or_path, char *buf, size_t len);
/* Names of all themes found in the directories, sorted, each once (the first directory wins).
 * Returns the count; *names is malloc'd with malloc'd strings (free with tui_theme_names_free). */
size_t tui_theme_names(char ***names);
void tui_theme_names_free(char **names, size_t n);

/* Pick the colour mode from the terminal's capabilities and the NO_COLOR variable (set and
 * non-empty means monochrome). */
tui_colormode tui_colormode_pick(int has_colors, int colors, int pairs, const char *no_color);
/* Install t into curses colour pairs for mode, given the terminal's COLORS and whether
 * use_default_colors() succeeded (needs initscr/start_color when colours are used); afterwards
 * tui_attr() gives each slot's attributes. */
void tui_theme_apply(const tui_theme *t, tui_colormode mode, int colors, int default_colors);
/* Curses attributes (colour pair included) of a slot under the applied theme. */
unsigned long tui_attr(tui_slot s);

#endif
