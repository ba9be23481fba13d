/* dialog: a modal dialog of a screen — message lines, a list to pick from, a text field. */
#ifndef TUI_DIALOG_H
#define TUI_DIALOG_H

#include <stddef.h>

#include "cmdline.h"
#include "layout.h"
#include "theme.h"

#define TUI_DIALOG_LINES 64
#define TUI_DIALOG_ITEMS 64

typedef enum {
    TUI_DIALOG_CLOSED = 0,
    TUI_DIALOG_CONFIRM, /* message lines, then y / n (and f when forcing is offered) */
    TUI_DIALOG_PICK,    /* a list of choices filtered by typed text (which may be the answer) */
    TUI_DIALOG_INPUT,   /* one line of text */
    TUI_DIALOG_KIND_COUNT
} tui_dialog_kind;

/* What a key did to the dialog. */
typedef enum {
    TUI_DIALOG_KEEP = 0, /* still open (the key edited, moved or was ignored) */
    TUI_DIALOG_ACCEPT,   /* y or Enter: closed, value holds the answer */
    TUI_DIALOG_CANCEL,   /* n or Esc: closed */
    TUI_DIALOG_FORCE,    /* f on a confirmation that offers forcing: closed */
    TUI_DIALOG_RESULT_COUNT
} tui_dialog_result;

typedef struct {
    char text[320];
    tui_slot slot;
} tui_dialog_line;

typedef struct {
    char value[256]; /* what accepting it answers */
    char note[128];  /* shown beside it, dim */
} tui_dialog_item;

typedef struct {
    tui_dialog_kind kind;
    int tag; /* what the owner does with the answer */
    char title[200];
    char hint[240]; /* bottom line: the keys that apply */
    tui_dialog_line lines[TUI_DIALOG_LINES];
    size_t nlines;
    long scroll; /* first message line shown */
    tui_dialog_item items[TUI_DIALOG_ITEMS];
    size_t nitems;
    long sel;      /* PICK: index among the items the typed text lets through */
    int free_text; /* PICK: typed text matching no item may be the answer */
    int allow_yes; /* CONFIRM: y and Enter accept (0 when the verdict refuses) */
    int allow_force;
    tui_lineedit ed;
    char label[64]; /* before the text field */
    char value[TUI_LINE_MAX];
} tui_dialog;

/* Open d as a confirmation (allow_yes, allow_force as described above), a pick list or a text
 * field; lines and items are added afterwards. Each resets what a previous dialog left. */
void tui_dialog_confirm(tui_dialog *d, int tag, const char *title, int allow_yes, int allow_force,
                        const char *hint);
void tui_dialog_pick(tui_dialog *d, int tag, const char *title, int free_text, const char *label,
                     const char *hint);
void tui_dialog_input(tui_dialog *d, int tag, const char *title, const char *label,
                      const char *initial, const char *hint);
/* Add a message line in slot (printf-style); lines beyond TUI_DIALOG_LINES are dropped. */
void tui_dialog_line_add(tui_dialog *d, tui_slot slot, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add a choice (duplicates of an earlier value are skipped). */
void tui_dialog_item_add(tui_dialog *d, const char *value, const char *note);
void tui_dialog_close(tui_dialog *d);
int tui_dialog_is_open(const tui_dialog *d);

/* Indexes of the items whose value contains the typed text (case-insensitive), in order, into
 * idx (TUI_DIALOG_ITEMS slots); returns their count. */
size_t tui_dialog_visible(const tui_dialog *d, size_t *idx);
/* Apply a key (a typed character when is_char, else a curses key code, normalised as the key
 * tables expect): the dialog key table, then the prompt's editing keys for the text. */
tui_dialog_result tui_dialog_key(tui_dialog *d, int key, int is_char);

/* Draw the dialog centred over body (curses). */
void tui_dialog_draw(const tui_dialog *d, tui_rect body);

#endif
