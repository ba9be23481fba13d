/* cmd: the command table, argument parsing and dispatch shared by --batch, the TUI and help. */
#include "cmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numfmt.h"

/* Each command family lives in its own core/cmd_*.c and exports one entry. */
extern const ll_cmd_entry ll_cmd_describe;
extern const ll_cmd_entry ll_cmd_train;
extern const ll_cmd_entry ll_cmd_tune;
extern const ll_cmd_entry ll_cmd_predict;
extern const ll_cmd_entry ll_cmd_drift;
extern const ll_cmd_entry ll_cmd_profile;
extern const ll_cmd_entry ll_cmd_experiments;
extern const ll_cmd_entry ll_cmd_runs;
extern const ll_cmd_entry ll_cmd_compare;
extern const ll_cmd_entry ll_cmd_delete_run;
extern const ll_cmd_entry ll_cmd_restore_run;
extern const ll_cmd_entry ll_cmd_register;
extern const ll_cmd_entry ll_cmd_registry;
extern const ll_cmd_entry ll_cmd_promote;
extern const ll_cmd_entry ll_cmd_history;
extern const ll_cmd_entry ll_cmd_serve;
extern const ll_cmd_entry ll_cmd_invoke;
extern const ll_cmd_entry ll_cmd_pipeline;

const ll_cmd_entry *const ll_cmd_table[] = {
    &ll_cmd_describe,
    &ll_cmd_train,
    &ll_cmd_tune,
    &ll_cmd_predict,
    &ll_cmd_drift,
    &ll_cmd_profile,
    &ll_cmd_experiments,
    &ll_cmd_runs,
    &ll_cmd_compare,
    &ll_cmd_delete_run,
    &ll_cmd_restore_run,
    &ll_cmd_register,
    &ll_cmd_registry,
    &ll_cmd_promote,
    &ll_cmd_history,
    &ll_cmd_serve,
    &ll_cmd_invoke,
    &ll_cmd_pipeline,
    NULL,
};

const ll_cmd_entry *ll_cmd_find(const char *name)
{
    for (size_t i = 0; ll_cmd_table[i]; i++)
        if (!strcmp(ll_cmd_table[i]->name, name)) return ll_cmd_table[i];
    return NULL;
}

void ll_cmd_list(FILE *f)
{
    for (size_t i = 0; ll_cmd_table[i]; i++)
        fprintf(f, "  %-14s %s\n", ll_cmd_table[i]->name, ll_cmd_table[i]->summary);
}

void ll_cmd_usage(const ll_cmd_entry *e, FILE *f)
{
    fprintf(f, "usage: lendlab --batch %s%s%s [OPTIONS]\n\n%s\n", e->name, e->args ? " " : "",
            e->args ? e->args : "", e->summary);
    if (e->nopts) fprintf(f, "\nOptions:\n");
    for (size_t i = 0; i < e->nopts; i++) {
        const ll_optspec *o = &e->opts[i];
        char left[64];
        if (o->shortname)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->shortname, o->name,
                     o->metavar ? " " : "", o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        fprintf(f, "  %-28s %s%s\n", left, o->help, o->type == LL_OPT_LIST ? " (repeatable)" : "");
    }
    fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
    if (e->help && e->help[0]) fprintf(f, "\n%s\n", e->help);
    fprintf(f, "\nExit status: 0 success, 1 error, 2 usage error%s.\n",
            !strcmp(e->name, "drift")     ? ", 3 dataset drift (with --fail-on-drift)"
            : !strcmp(e->name, "promote") ? ", 4 refused by policy"
                                          : "");
}

static const ll_optspec *spec_find(const ll_cmd_entry *e, const char *name, size_t *idx)
{
    for (size_t i = 0; i < e->nopts; i++) {
        if (!strcmp(e->opts[i].name, name)) {
            *idx = i;
            return &e->opts[i];
        }
    }
    return NULL;
}

static const ll_optspec *spec_find_short(const ll_cmd_entry *e, char c, size_t *idx)
{
    for (size_t i = 0; i < e->nopts; i++) {
        if (e->opts[i].shortname && e->opts[i].shortname == c) {
            *idx = i;
            return &e->opts[i];
        }
    }
    return NULL;
}

static int args_push(const char ***arr, size_t *n, const char *v)
{
    const char **p = realloc(*arr, (*n + 1) * sizeof *p);
    if (!p) return -1;
    p[(*n)++] = v;
    *arr = p;
    return 0;
}

static int check_value(const ll_optspec *o, const char *v, char *errbuf, size_t errlen)
{
    char *end = NULL;
    if (o->type == LL_OPT_INT) {
        strtol(v, &end, 10);
        if (!*v || *end) {
            snprintf(errbuf, errlen, "option --%s expects an integer, got '%s'", o->name, v);
            return -1;
        }
    } else if (o->type == LL_OPT_DOUBLE) {
        double d;
        if (!ll_numparse(v, strlen(v), &d)) {
            snprintf(errbuf, errlen, "option --%s expects a number, got '%s'", o->name, v);
            return -1;
        }
    }
    return 0;
}

int ll_args_parse(const ll_cmd_entry *e, int argc, char **argv, ll_args *out, char *errbuf,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->spec = e->opts;
    out->nspec = e->nopts;
    out->values = calloc(e->nopts ? e->nopts : 1, sizeof *out->values);
    out->nvalues = calloc(e->nopts ? e->nopts : 1, sizeof *out->nvalues);
    if (!out->values || !out->nvalues) goto oom;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || !strcmp(a, "-")) {
            if (args_push(&out->pos, &out->npos, a)) goto oom;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        const ll_optspec *o;
        size_t idx = 0;
        const char *inline_val = NULL;
        char namebuf[128];
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t nl = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            if (nl >= sizeof namebuf) nl = sizeof namebuf - 1;
            memcpy(namebuf, a + 2, nl);
            namebuf[nl] = '\0';
            if (eq) inline_val = eq + 1;
            o = spec_find(e, namebuf, &idx);
        } else {
            o = a[2] ? NULL : spec_find_short(e, a[1], &idx);
        }
        if (!o) {
            /* a negative number is a positional value, not an option */
            double d;
            if (ll_numparse(a, strlen(a), &d)) {
                if (args_push(&out->pos, &out->npos, a)) goto oom;
                continue;
            }
            snprintf(errbuf, errlen, "unknown option '%s' for '%s'", a, e->name);
            ll_args_free(out);
            return -1;
        }
        const char *v = "1";
        if (o->type == LL_OPT_FLAG) {
            if (inline_val) {
                snprintf(errbuf, errlen, "option --%s takes no value", o->name);
                ll_args_free(out);
                return -1;
            }
        } else if (inline_val) {
            v = inline_val;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            snprintf(errbuf, errlen, "option --%s needs a value (%s)", o->name,
                     o->metavar ? o->metavar : "VALUE");
            ll_args_free(out);
            return -1;
        }
        if (check_value(o, v, errbuf, errlen)) {
            ll_args_free(out);
            return -1;
        }
        if (args_push(&out->values[idx], &out->nvalues[idx], v)) goto oom;
    }
    if ((int)out->npos < e->min_pos) {
        snprintf(errbuf, errlen, "'%s' needs %s", e->name, e->args ? e->args : "more arguments");
        ll_args_free(out);
        return -1;
    }
    if (e->max_pos >= 0 && (int)out->npos > e->max_pos) {
        snprintf(errbuf, errlen, "'%s' got an unexpected argument '%s'", e->name,
                 out->pos[e->max_pos]);
        ll_args_free(out);
        return -1;
    }
    return 0;
oom:
    snprintf(errbuf, errlen, "out of memory");
    ll_args_free(out);
    return -1;
}

void ll_args_free(ll_args *a)
{
    if (!a) return;
    if (a->values)
        for (size_t i = 0; i < a->nspec; i++) free((void *)a->values[i]);
    free((void *)a->values);
    free(a->nvalues);
    free((void *)a->pos);
    memset(a, 0, sizeof *a);
}

static long args_index(const ll_args *a, const char *name)
{
    for (size_t i = 0; i < a->nspec; i++)
        if (!strcmp(a->spec[i].name, name)) return (long)i;
    return -1;
}

const char *ll_args_str(const ll_args *a, const char *name)
{
    long i = args_index(a, name);
    if (i < 0 || !a->nvalues[i]) return NULL;
    return a->values[i][a->nvalues[i] - 1];
}

long ll_args_int(const ll_args *a, const char *name, long def)
{
    const char *v = ll_args_str(a, name);
    return v ? strtol(v, NULL, 10) : def;
}

double ll_args_double(const ll_args *a, const char *name, double def)
{
    const char *v = ll_args_str(a, name);
    double d;
    return v && ll_numparse(v, strlen(v), &d) ? d : def;
}

int ll_args_has(const ll_args *a, const char *name)
{
    long i = args_index(a, name);
    return i >= 0 && a->nvalues[i] > 0;
}

size_t ll_args_list(const ll_args *a, const char *name, const char *const **vals)
{
    long i = args_index(a, name);
    if (i < 0) {
        *vals = NULL;
        return 0;
    }
    *vals = a->values[i];
    return a->nvalues[i];
}

int ll_cmd_run(const ll_cmd_ctx *ctx, int argc, char **argv)
{
    if (argc < 1) {
        ll_cmd_list(ctx->err);
        return LL_EXIT_USAGE;
    }
    const ll_cmd_entry *e = ll_cmd_find(argv[0]);
    if (!e) {
        fprintf(ctx->err, "lendlab: unknown command '%s'\nCommands:\n", argv[0]);
        ll_cmd_list(ctx->err);
        return LL_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            ll_cmd_usage(e, ctx->out);
            return LL_EXIT_OK;
        }
    }
    ll_args args;
    char errbuf[512];
    if (ll_args_parse(e, argc, argv, &args, errbuf, sizeof errbuf)) {
        fprintf(ctx->err, "lendlab %s: %s\nTry 'lendlab --batch %s --help'.\n", e->name, errbuf,
                e->name);
        return LL_EXIT_USAGE;
    }
    int rc = e->exec(ctx, &args);
    ll_args_free(&args);
    return rc;
}

void ll_cmd_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void ll_cmd_json_number(FILE *f, double v)
{
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    char buf[64];
    fputs(ll_numfmt_double(v, buf, sizeof buf), f);
}

const char *ll_cmd_fixed(double v, int decimals, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "nan");
        return buf;
    }
    snprintf(buf, len, "%.*f", decimals, v);
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
    return buf;
}

const char *ll_cmd_local_time(long long ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
    return buf;
}
