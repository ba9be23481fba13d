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

static const tui_binding train_b[] = {
    {"Tab", "focus next", "move the focus: the runs of this session, the form or the run"},
    {"BTab", "focus prev", "move the focus backwards"},
    {"Up", "cursor up", "previous field, or previous run in the list"},
    {"k", "cursor up", NULL},
    {"Down", "cursor down", "next field, or next run in the list"},
    {"j", "cursor down", NULL},
    {"Home", "cursor top", "first field or run"},
    {"g", "cursor top", NULL},
    {"End", "cursor bottom", "last field or run"},
    {"G", "cursor bottom", NULL},
    {"PgUp", "page up", "scroll the run's log up"},
    {"PgDn", "page down", "scroll the run's log down"},
    {"e", "edit", "edit the selected field (the value is checked when you press Enter)"},
    {"Left", "choice prev", "previous choice of the field (model, true/false, none/balanced)"},
    {"h", "choice prev", NULL},
    {"Right", "choice next", "next choice of the field"},
    {"l", "choice next", NULL},
    {"d", "default", "reset the selected field to its default"},
    {"Enter", "start", "start a training run with the form's values (on a worker thread)"},
    {"s", "start", NULL},
    {"c", "cancel-run", "cancel the selected run (recorded KILLED in the store)"},
    {"n", "new", "show the form for a new run"},
};
TABLE(tui_keys_train, "train", "Train screen", train_b);

static const tui_binding edit_b[] = {
    {"Enter", "accept", "keep the text typed (a refused value is shown beside its field)"},
    {"Esc", "abort", "leave the field or the filter unchanged"},
    {"C-g", "abort", NULL},
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
    {"Up", "history prev", "previous text typed there"},
    {"Down", "history next", "next text typed there"},
};
TABLE(tui_keys_edit, "edit", "Editing a Train field or the Runs filter", edit_b);

static const tui_binding runs_b[] = {
    {"Tab", "focus next", "move the focus: experiments, runs"},
    {"BTab", "focus prev", "move the focus backwards"},
    {"Up", "cursor up", "previous row"},
    {"k", "cursor up", NULL},
    {"Down", "cursor down", "next row"},
    {"j", "cursor down", NULL},
    {"PgUp", "page up", "one page up"},
    {"PgDn", "page down", "one page down"},
    {"Home", "cursor top", "first row"},
    {"g", "cursor top", NULL},
    {"End", "cursor bottom", "last row"},
    {"G", "cursor bottom", NULL},
    {"Enter", "details", "the run's params, metrics, tags and artifacts (again: hide them)"},
    {"Space", "mark", "mark the run for Compare (again: unmark it)"},
    {"u", "unmark", "unmark every run"},
    {"C", "compare", "compare the marked runs: params, metrics, learning and ROC curves"},
    {"s", "sort next", "sort by the next column (a click on a header sorts by it)"},
    {"S", "sort reverse", "reverse the sort order"},
    {"f", "filter", "filter the runs with an MLflow expression (empty: every run)"},
    {"r", "reload", "read the store again"},
    {"Esc", "close", "close the details"},
};
TABLE(tui_keys_runs, "runs", "Runs screen", runs_b);

static const tui_binding compare_b[] = {
    {"d", "diff-only", "params: only those that differ between the runs (again: all)"},
    {"Up", "scroll up", "scroll the params and metrics up"},
    {"k", "scroll up", NULL},
    {"Down", "scroll down", "scroll the params and metrics down"},
    {"j", "scroll down", NULL},
    {"PgUp", "page up", "one page up"},
    {"PgDn", "page down", "one page down"},
    {"Esc", "back", "back to the list of runs"},
    {"C", "back", NULL},
};
TABLE(tui_keys_compare, "compare", "Compare (from the Runs screen)", compare_b);

static const tui_binding registry_b[] = {
    {"Tab", "focus next", "move the focus: models, versions, history"},
    {"BTab", "focus prev", "move the focus backwards"},
    {"Up", "cursor up", "previous row"},
    {"k", "cursor up", NULL},
    {"Down", "cursor down", "next row"},
    {"j", "cursor down", NULL},
    {"PgUp", "page up", "one page up"},
    {"PgDn", "page down", "one page down"},
    {"Home", "cursor top", "first row"},
    {"g", "cursor top", NULL},
    {"End", "cursor bottom", "last row"},
    {"G", "cursor bottom", NULL},
    {"Enter", "select", "models: go to the model's versions"},
    {"p", "promote-version", "promote the selected version to an alias, after the policy verdict"},
    {"P", "promote-alias", "promote from one alias to another (staging to production)"},
    {"r", "rollback", "roll back: point production at the selected older version"},
    {"D", "demote-alias", "demote: remove an alias from the model"},
    {"R", "reload", "read the registry and its history again"},
};
TABLE(tui_keys_registry, "registry", "Registry screen", registry_b);

static const tui_binding drift_b[] = {
    {"Up", "cursor up", "previous row"},
    {"k", "cursor up", NULL},
    {"Down", "cursor down", "next row"},
    {"j", "cursor down", NULL},
    {"PgUp", "page up", "one page up"},
    {"PgDn", "page down", "one page down"},
    {"Home", "cursor top", "first row"},
    {"g", "cursor top", NULL},
    {"End", "cursor bottom", "last row"},
    {"G", "cursor bottom", NULL},
    {"r", "pick-reference", "choose the reference: a data file, a saved profile"},
    {"c", "pick-current", "choose the current data: a file, a profile, the latest predictions"},
    {"s", "swap", "swap the reference and the current data"},
    {"Enter", "compare-again", "compare again, reading both files anew"},
};
TABLE(tui_keys_drift, "drift", "Drift screen", drift_b);

static const tui_binding serve_b[] = {
    {"s", "serve-start", "start a scoring server: model URI and port"},
    {"S", "serve-stop", "stop the server (requests in flight finish first)"},
};
TABLE(tui_keys_serve, "serve", "Serve screen", serve_b);

static const tui_binding dialog_b[] = {
    {"Enter", "accept", "accept: the highlighted choice, the typed text, or yes"},
    {"y", "yes", "yes: go ahead (confirmation dialogs)"},
    {"n", "no", "no: close the dialog without doing anything"},
    {"Esc", "no", NULL},
    {"f", "force", "force a promotion the policy refuses (asks for a comment)"},
    {"Up", "choice prev", "previous choice (or scroll the message up)"},
    {"Down", "choice next", "next choice (or scroll the message down)"},
    {"Tab", "complete", "copy the highlighted choice into the text to edit it"},
};
TABLE(tui_keys_dialog, "dialog", "Dialogs (pick lists and confirmations; typing edits the text)",
      dialog_b);

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

const tui_keytable *const tui_keytables[] = {&tui_keys_global,   &tui_keys_datasets,
                                             &tui_keys_train,    &tui_keys_edit,
                                             &tui_keys_runs,     &tui_keys_compare,
                                             &tui_keys_registry, &tui_keys_drift,
                                             &tui_keys_serve,    &tui_keys_dialog,
                                             &tui_keys_output,   &tui_keys_help,
                                             &tui_keys_prompt,   NULL};

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
