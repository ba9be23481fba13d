/* keys: key names and the key tables (key -> action, with the note the help screen shows). */
#define _XOPEN_SOURCE_EXTENDED 1
#include "keys.h"

#include <ctype.h>
#include <ncurses.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TABLE(var, nm, ttl, arr) const tui_keytable var = {nm, ttl, arr, sizeof arr / sizeof *arr}

static const tui_binding global_b[] = {
    {"1", "tab 1", "Datasets: files, column profiles and the data grid"},
    {"F1", "tab 1", NULL},
    {"2", "tab 2", "Train: models and their training progress"},
    {"F2", "tab 2", NULL},
    {"3", "tab 3", "Runs: tracked runs and their comparison"},
    {"F3", "tab 3", NULL},
    {"4", "tab 4", "Registry: registered models, versions and aliases"},
    {"F4", "tab 4", NULL},
    {"5", "tab 5", "Drift: data drift against a reference"},
    {"F5", "tab 5", NULL},
    {"6", "tab 6", "Serve: the scoring server"},
    {"F6", "tab 6", NULL},
    {"7", "tab 7", "Help: this screen"},
    {"F7", "tab 7", NULL},
    {"?", "tab 7", NULL},
    {"]", "tab next", "next screen"},
    {"[", "tab prev", "previous screen"},
    {":", "prompt", "command prompt: run any command (Tab completes names)"},
    {"o", "output", "show the output of the last command again"},
    {"T", "theme next", "switch to the next colour theme"},
    {"x", "cancel", "cancel the running jobs"},
    {"C-l", "redraw", "redraw the whole screen"},
    {"q", "quit", "quit (asks first while jobs are running)"},
};
TABLE(tui_keys_global, "global", "Everywhere", global_b);

static const tui_binding datasets_b[] = {
    {"Tab", "focus next", "move the focus: files, columns, data grid"},
    {"BTab", "focus prev", "move the focus backwards"},
    {"Up", "cursor up", "previous row"},
    {"k", "cursor up", NULL},
    {"Down", "cursor down", "next row"},
    {"j", "cursor down", NULL},
    {"Left", "cursor left", "data grid: previous column"},
    {"h", "cursor left", NULL},
    {"Right", "cursor right", "data grid: next column"},
    {"l", "cursor right", NULL},
    {"PgUp", "page up", "one page up"},
    {"PgDn", "page down", "one page down"},
    {"Home", "cursor top", "first row"},
    {"g", "cursor top", NULL},
    {"End", "cursor bottom", "last row"},
    {"G", "cursor bottom", NULL},
    {"Enter", "select",
     "files: load the file; columns: go to the column in the grid (narrow: its detail)"},
    {"s", "sort", "sort the grid by the current column: ascending, descending, file order"},
    {"/", "search", "search the focused pane: file names, column names or cells"},
    {"n", "search-next", "next match of the last search"},
    {"t", "target", "make the current column the target (again: no target)"},
    {"r", "reload", "read the file again from disk"},
    {"d", "describe %f", "describe the file with the command table (output pane)"},
};
TABLE(tui_keys_datasets, "datasets", "Datasets screen", datasets_b);

static const tui_binding help_b[] = {
    {"Up", "scroll up", "scroll up"},       {"k", "scroll up", NULL},
    {"Down", "scroll down", "scroll down"}, {"j", "scroll down", NULL},
    {"PgUp", "page up", "one page up"},     {"PgDn", "page down", "one page down"},
    {"Space", "page down", NULL},           {"Home", "cursor top", "top"},
    {"End", "cursor bottom", "bottom"},
};
TABLE(tui_keys_help, "help", "Help screen", help_b);

static const tui_binding output_b[] = {
    {"Up", "scroll up", "scroll up"},
    {"k", "scroll up", NULL},
    {"Down", "scroll down", "scroll down"},
    {"j", "scroll down", NULL},
    {"PgUp", "page up", "one page up"},
    {"PgDn", "page down", "one page down"},
    {"Space", "page down", NULL},
    {"Home", "cursor top", "top"},
    {"End", "cursor bottom", "bottom"},
    {"Left", "scroll left", "scroll left"},
    {"h", "scroll left", NULL},
    {"Right", "scroll right", "scroll right"},
    {"l", "scroll right", NULL},
    {"Esc", "close", "close the output pane"},
    {"q", "close", NULL},
};
TABLE(tui_keys_output, "output", "Output pane (command results)", output_b);

static const tui_binding prompt_b[] = {
    {"Enter", "accept", "run the command line"},
    {"Esc", "abort", "leave the prompt"},
    {"C-g", "abort", NULL},
    {"Tab", "complete", "complete a command name"},
    {"Left", "left", "move the cursor left"},
    {"C-b", "left", NULL},
    {"Right", "right", "move the cursor right"},
    {"C-f", "right", NULL},
    {"Home", "home", "start of the line"},
    {"C-a", "home", NULL},
    {"End", "end", "end of the line"},
    {"C-e", "end", NULL},
    {"BSpace", "delete back", "delete the character before the cursor"},
    {"DC", "delete", "delete the character under the cursor"},
    {"C-d", "delete", NULL},
    {"C-u", "kill start", "delete to the start of the line"},
    {"C-k", "kill end", "delete to the end of the line"},
    {"C-w", "kill word", "delete the word before the cursor"},
    {"Up", "history prev", "previous command line"},
    {"Down", "history next", "next command line"},
};
TABLE(tui_keys_prompt, "prompt", "Command prompt (':' and '/')", prompt_b);

const tui_keytable *const tui_keytables[] = {&tui_keys_global, &tui_keys_datasets, &tui_keys_output,
                                             &tui_keys_help,   &tui_keys_prompt,   NULL};

static const struct {
    const char *name;
    int key;
} named_keys[] = {
    {"Enter", '\n'},         {"Tab", '\t'},
    {"BTab", KEY_BTAB},      {"Esc", 27},
    {"Escape", 27},          {"BSpace", KEY_BACKSPACE},
    {"DC", KEY_DC},          {"Delete", KEY_DC},
    {"IC", KEY_IC},          {"Insert", KEY_IC},
    {"Space", ' '},          {"Up", KEY_UP},
    {"Down", KEY_DOWN},      {"Left", KEY_LEFT},
    {"Right", KEY_RIGHT},    {"Home", KEY_HOME},
    {"End", KEY_END},        {"PgUp", KEY_PPAGE},
    {"PPage", KEY_PPAGE},    {"PageUp", KEY_PPAGE},
    {"PgDn", KEY_NPAGE},     {"NPage", KEY_NPAGE},
    {"PageDown", KEY_NPAGE}, {"S-Left", KEY_SLEFT},
    {"S-Right", KEY_SRIGHT},
};

int tui_key_normalize(int key)
{
    if (key == '\r' || key == KEY_ENTER) return '\n';
    if (key == 127 || key == 8) return KEY_BACKSPACE;
    return key;
}

int tui_key_parse(const char *name)
{
    if (!name || !*name) return -1;
    if (!name[1]) return isprint((unsigned char)name[0]) ? (unsigned char)name[0] : -1;
    if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' && name[2] && !name[3]) {
        int c = tolower((unsigned char)name[2]);
        if (c >= 'a' && c <= 'z') return c - 'a' + 1;
        return -1;
    }
    if ((name[0] == 'F' || name[0] == 'f') && isdigit((unsigned char)name[1])) {
        int n = 0;
        for (const char *p = name + 1; *p; p++) {
            if (!isdigit((unsigned char)*p)) return -1;
            n = n * 10 + (*p - '0');
            if (n > 12) return -1;
        }
        return n >= 1 ? KEY_F(n) : -1;
    }
    for (size_t i = 0; i < sizeof named_keys / sizeof *named_keys; i++)
        if (!strcasecmp(named_keys[i].name, name)) return named_keys[i].key;
    return -1;
}

const char *tui_key_name(int key, char *buf, size_t len)
{
    key = tui_key_normalize(key);
    for (size_t i = 0; i < sizeof named_keys / sizeof *named_keys; i++) {
        if (named_keys[i].key == key) {
            snprintf(buf, len, "%s", named_keys[i].name);
            return buf;
        }
    }
    if (key >= KEY_F(1) && key <= KEY_F(12))
        snprintf(buf, len, "F%d", key - KEY_F(0));
    else if (key >= 1 && key <= 26)
        snprintf(buf, len, "C-%c", 'a' + key - 1);
    else if (key > 32 && key < 127)
        snprintf(buf, len, "%c", key);
    else
        snprintf(buf, len, "<%d>", key);
    return buf;
}

const tui_binding *tui_keytable_lookup(const tui_keytable *t, int key)
{
    if (!t) return NULL;
    key = tui_key_normalize(key);
    for (size_t i = 0; i < t->n; i++)
        if (tui_key_parse(t->bindings[i].key) == key) return &t->bindings[i];
    return NULL;
}

const tui_keytable *tui_keytable_find(const char *name)
{
    for (size_t i = 0; tui_keytables[i]; i++)
        if (!strcmp(tui_keytables[i]->name, name)) return tui_keytables[i];
    return NULL;
}

size_t tui_keytable_help(const tui_keytable *t, tui_help_row *rows, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const tui_binding *b = &t->bindings[i];
        size_t r = 0;
        while (r < n && strcmp(rows[r].action, b->action)) r++;
        if (r == n) {
            if (n == max) continue;
            rows[n].keys[0] = '\0';
            rows[n].action = b->action;
            rows[n].note = NULL;
            n++;
        }
        size_t kl = strlen(rows[r].keys);
        snprintf(rows[r].keys + kl, sizeof rows[r].keys - kl, "%s%s", kl ? ", " : "", b->key);
        if (!rows[r].note && b->note) rows[r].note = b->note;
    }
    size_t o = 0;
    for (size_t r = 0; r < n; r++)
        if (rows[r].note) rows[o++] = rows[r];
    return o;
}
