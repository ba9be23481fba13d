/* cmdline: the ':' prompt's pure parts — splitting a command line, a line editor, completion. */
#ifndef TUI_CMDLINE_H
#define TUI_CMDLINE_H

#include <stddef.h>

/* Split line into words: blanks separate, '...' is literal, "..." allows \" and \\, a
 * backslash outside quotes escapes the next character. On success returns argc and sets
 * *argv to a malloc'd NULL-terminated array (free with tui_cmdline_free); on error (an
 * unterminated quote) returns -1 and writes a message to err. */
int tui_cmdline_split(const char *line, char ***argv, char *err, size_t errlen);
void tui_cmdline_free(char **argv);

#define TUI_LINE_MAX    1024
#define TUI_HISTORY_MAX 64

/* A one-line UTF-8 editor with history (cursor moves by characters, never inside one). */
typedef struct {
    char buf[TUI_LINE_MAX];
    size_t len, cur;             /* bytes */
    char *hist[TUI_HISTORY_MAX]; /* oldest first */
    int nhist;
    int hpos;                 /* nhist = editing a new line */
    char saved[TUI_LINE_MAX]; /* the new line while browsing history */
} tui_lineedit;

/* Empty the line (history is kept). */
void tui_lineedit_clear(tui_lineedit *e);
/* Replace the line with s, cursor at the end. */
void tui_lineedit_set(tui_lineedit *e, const char *s);
/* Insert n bytes of UTF-8 text at the cursor; returns 0, or -1 when the line would be full. */
int tui_lineedit_insert(tui_lineedit *e, const char *s, size_t n);
/* Apply an editing action of the prompt key table: left right home end, "delete back",
 * delete, "kill start", "kill end", "kill word", "history prev", "history next". Returns 1
 * when the action is known. */
int tui_lineedit_action(tui_lineedit *e, const char *action);
/* Remember a line in the history (blank lines and repeats of the last line are skipped). */
void tui_lineedit_remember(tui_lineedit *e, const char *line);
/* Release the history. */
void tui_lineedit_free(tui_lineedit *e);

/* Complete word against n candidates: writes the longest common prefix of the candidates
 * starting with word into out and returns how many candidates matched. */
size_t tui_complete(const char *word, const char *const *cands, size_t n, char *out, size_t outlen);

#endif
