/* keys: key names and the key tables (key -> action, with the note the help screen shows). */
#ifndef TUI_KEYS_H
#define TUI_KEYS_H

#include <stddef.h>

/* One binding, tmux style: a key name, the action it runs (a workbench command line, the
 * same language as the ':' prompt) and the note shown on the help screen. */
typedef struct {
    const char *key;    /* "q", "T", "C-l", "F1", "PgDn", "Enter", "Space" */
    const char *action; /* "tab 1", "quit", "cursor down" */
    const char *note;   /* one line for the help screen; NULL on an alias of the line above */
} tui_binding;

typedef struct {
    const char *name;  /* "global", "datasets", "prompt"... */
    const char *title; /* heading on the help screen */
    const tui_binding *bindings;
    size_t n;
} tui_keytable;

/* The default tables, and all of them in help order (NULL-terminated). */
extern const tui_keytable tui_keys_global, tui_keys_datasets, tui_keys_help, tui_keys_output,
    tui_keys_prompt;
extern const tui_keytable tui_keys_registry, tui_keys_drift, tui_keys_serve, tui_keys_dialog;
extern const tui_keytable tui_keys_train, tui_keys_edit, tui_keys_runs, tui_keys_compare;
extern const tui_keytable *const tui_keytables[];

/* Curses key code of a key name (tmux spellings: C-x, F1..F12, Up, Down, Left, Right, Home,
 * End, PgUp/PPage, PgDn/NPage, Enter, Tab, BTab, Esc, BSpace, DC, IC, Space, or one printable
 * character); -1 when the name is unknown. */
int tui_key_parse(const char *name);
/* Canonical name of a key code into buf ("C-l", "PgDn", "q"); returns buf. */
const char *tui_key_name(int key, char *buf, size_t len);
/* Fold equivalent codes together ('\r' and KEY_ENTER to '\n', DEL and ^H to KEY_BACKSPACE). */
int tui_key_normalize(int key);
/* The binding of key in t, or NULL. */
const tui_binding *tui_keytable_lookup(const tui_keytable *t, int key);
/* A table by name, or NULL. */
const tui_keytable *tui_keytable_find(const char *name);

/* One line of the generated help: the keys of one action joined ("1, F1") and its note. */
typedef struct {
    char keys[64];
    const char *action;
    const char *note;
} tui_help_row;

/* Help rows of a table: bindings running the same action are merged into one row (in order
 * of first appearance); rows without any note are left out. Returns the row count (at most
 * max). */
size_t tui_keytable_help(const tui_keytable *t, tui_help_row *rows, size_t max);

#endif
