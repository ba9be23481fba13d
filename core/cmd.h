/* cmd: the command table, argument parsing and dispatch shared by --batch, the TUI and help. */
#ifndef LL_CMD_H
#define LL_CMD_H

#include <stdio.h>

/* Documented exit codes of every command. */
enum {
    LL_EXIT_OK = 0,         /* success */
    LL_EXIT_ERROR = 1,      /* the command ran and failed (I/O, parse, network, model...) */
    LL_EXIT_USAGE = 2,      /* bad command line: unknown option, bad value, missing argument */
    LL_EXIT_DRIFT = 3,      /* drift --fail-on-drift: dataset drift detected */
    LL_EXIT_POLICY = 4,     /* promote: refused by the promotion policy */
    LL_EXIT_CANCELLED = 130 /* interrupted (Ctrl-C / SIGTERM) */
};

typedef enum {
    LL_OPT_FLAG,   /* --name */
    LL_OPT_STRING, /* --name VALUE (last one wins) */
    LL_OPT_INT,    /* --name N, checked to be an integer */
    LL_OPT_DOUBLE, /* --name X, checked to be a number */
    LL_OPT_LIST    /* --name VALUE, repeatable; all values kept in order */
} ll_opttype;

typedef struct {
    const char *name; /* long name without dashes: "target" for --target */
    char shortname;   /* optional one-letter alias ('o' for -o), 0 if none */
    ll_opttype type;
    const char *metavar; /* "COL", "N"... (NULL for flags) */
    const char *help;    /* one line */
} ll_optspec;

/* Parsed arguments of one command invocation (views into argv; nothing to free but the
 * struct's arrays through ll_args_free). */
typedef struct {
    const ll_optspec *spec;
    size_t nspec;
    const char ***values; /* per spec entry: array of values (flags store "1") */
    size_t *nvalues;
    const char **pos; /* positional arguments */
    size_t npos;
} ll_args;

/* Execution context: where output goes and what the command may read from the environment
 * of the caller. The command layer writes only to these streams and never exits. */
typedef struct {
    FILE *out;                  /* results (tables, JSON) */
    FILE *err;                  /* errors and progress lines */
    const char *store;          /* tracking store directory (from --store / LENDLAB_STORE) */
    int progress;               /* non-zero: write progress lines to err */
    const volatile int *cancel; /* set asynchronously (signal / UI) to cancel long work */
} ll_cmd_ctx;

typedef struct ll_cmd_entry {
    const char *name;    /* "describe" */
    const char *args;    /* positional synopsis: "FILE" */
    const char *summary; /* one line for the command list */
    const char *help;    /* paragraph(s) shown by --help after the options */
    const ll_optspec *opts;
    size_t nopts;
    int min_pos, max_pos; /* positional argument bounds (max_pos -1 = unbounded) */
    int (*exec)(const ll_cmd_ctx *ctx, const ll_args *args);
} ll_cmd_entry;

/* The table of all commands, NULL-terminated. */
extern const ll_cmd_entry *const ll_cmd_table[];

/* Find a command by exact name (NULL if none). */
const ll_cmd_entry *ll_cmd_find(const char *name);
/* Run a command: parse argv (argv[0] = command name), handle --help, exec. Returns an exit
 * code (LL_EXIT_*). Usage errors are written to ctx->err with a hint to --help. */
int ll_cmd_run(const ll_cmd_ctx *ctx, int argc, char **argv);
/* Write the command's usage and option list. */
void ll_cmd_usage(const ll_cmd_entry *e, FILE *f);
/* Write the list of commands with their summaries. */
void ll_cmd_list(FILE *f);

/* Parse argv[1..] against e's spec. On error writes a message into errbuf and returns -1. */
int ll_args_parse(const ll_cmd_entry *e, int argc, char **argv, ll_args *out, char *errbuf,
                  size_t errlen);
void ll_args_free(ll_args *a);
/* Last value of option name, or NULL when absent. */
const char *ll_args_str(const ll_args *a, const char *name);
/* Value of option name, or def when absent (values were validated by the parser). */
long ll_args_int(const ll_args *a, const char *name, long def);
double ll_args_double(const ll_args *a, const char *name, double def);
/* Non-zero when a flag (or any option) was given. */
int ll_args_has(const ll_args *a, const char *name);
/* All values of a repeatable option; returns the count and sets *vals. */
size_t ll_args_list(const ll_args *a, const char *name, const char *const **vals);

/* Helpers for command implementations: write a JSON string literal (escaped) to f. */
void ll_cmd_json_string(FILE *f, const char *s);
/* Write a double as JSON (null for NaN/inf), locale-independent, shortest round-trip. */
void ll_cmd_json_number(FILE *f, double v);
/* Fixed-point text for tables ("nan" for NaN), with '.' as the decimal point whatever the
 * locale. Returns buf. */
const char *ll_cmd_fixed(double v, int decimals, char *buf, size_t len);
/* Local "YYYY-mm-dd HH:MM" of a millisecond epoch timestamp, "-" when unset. Returns buf. */
const char *ll_cmd_local_time(long long ms, char *buf, size_t len);

#endif
