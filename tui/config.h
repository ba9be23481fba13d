/* config: the workbench's files — config file, recently opened datasets, data directory list. */
#ifndef TUI_CONFIG_H
#define TUI_CONFIG_H

#include <stddef.h>

/* Settings of $XDG_CONFIG_HOME/lendlab/config (lines `key = value`, '#' comments). */
typedef struct {
    char theme[256];      /* "" when not set */
    char store[1024];     /* "" when not set */
    char experiment[256]; /* "" when not set */
    char policy[1024];    /* promotion policy file of the Registry screen; "" when not set */
} tui_config;

/* Parse config text into c (only the settings present are changed). Bad lines are skipped
 * and described in errs as "FILE:LINE: message; ..." (at most errlen bytes). Returns the
 * number of bad lines. */
int tui_config_parse(const char *text, size_t len, const char *fname, tui_config *c, char *errs,
                     size_t errlen);
/* Read and parse the file at path; a missing file is not an error. Returns the number of bad
 * lines (or 1 with a message when the file exists but cannot be read). */
int tui_config_load(const char *path, tui_config *c, char *errs, size_t errlen);

/* $XDG_CONFIG_HOME/lendlab/config, else ~/.config/lendlab/config; NULL without HOME. */
const char *tui_config_path(char *buf, size_t len);
/* $XDG_STATE_HOME/lendlab/recent, else ~/.local/state/lendlab/recent; NULL without HOME. */
const char *tui_recent_path(char *buf, size_t len);

#define TUI_RECENT_MAX 20

/* Read the recent-files list (one path a line, newest first, at most max). Returns the count;
 * *files is malloc'd (free with tui_strv_free). A missing file gives 0. */
size_t tui_recent_load(const char *path, char ***files, size_t max);
/* Move (or insert) file to the front of the list, keeping at most max entries. Returns 0, or
 * -1 when out of memory (the list is then unchanged). */
int tui_recent_add(char ***files, size_t *n, const char *file, size_t max);
/* Write the list, creating the parent directories; replaces the file atomically. */
int tui_recent_save(const char *path, char *const *files, size_t n);

/* Names of the CSV/TSV files (.csv, .tsv, .txt; case-insensitive) in dir, sorted. Returns the
 * count (0 when dir cannot be read); free with tui_strv_free. */
size_t tui_list_datasets(const char *dir, char ***names);
/* Free n malloc'd strings and the array. */
void tui_strv_free(char **v, size_t n);

#endif
