/* yamlmap: the flat YAML mappings of MLflow's meta.yaml files, read with libyaml, written sorted.
 */
#include "yamlmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "fsutil.h"

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void entry_clear(ll_yamlmap_entry *e)
{
    free(e->key);
    free(e->value);
    for (size_t i = 0; i < e->nitems; i++) free(e->items[i]);
    free(e->items);
    memset(e, 0, sizeof *e);
}

void ll_yamlmap_free(ll_yamlmap *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) entry_clear(&m->e[i]);
    free(m->e);
    memset(m, 0, sizeof *m);
}

static ll_yamlmap_entry *push_entry(ll_yamlmap *m)
{
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        ll_yamlmap_entry *ne = realloc(m->e, nc * sizeof *ne);
        if (!ne) return NULL;
        m->e = ne;
        m->cap = nc;
    }
    ll_yamlmap_entry *e = &m->e[m->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static int push_item(ll_yamlmap_entry *e, const char *s, size_t n)
{
    char **ni = realloc(e->items, (e->nitems + 1) * sizeof *ni);
    if (!ni) return -1;
    e->items = ni;
    if (!(ni[e->nitems] = dupn(s, n))) return -1;
    e->nitems++;
    return 0;
}

static int is_null_plain(const yaml_event_t *ev)
{
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    return n == 0 || (n == 1 && v[0] == '~') ||
           (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

/* The flat lines PyYAML writes for MLflow's meta files ("key: plain", "key: 'quoted'",
 * "key: null", "key: []") parsed without libyaml, which costs more than the file read when a
 * listing parses 10,000 of them. Anything outside that strict subset returns 1 and the caller
 * hands the text to libyaml; 0 = parsed, -1 = out of memory. */
static int parse_simple(const char *text, size_t len, ll_yamlmap *out)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *k = p;
        if (!(isalpha((unsigned char)*k) || *k == '_')) return 1;
        const char *c = k;
        while (c < le && (isalnum((unsigned char)*c) || *c == '_')) c++;
        if (c + 1 >= le || c[0] != ':' || c[1] != ' ') return 1;
        const char *v = c + 2, *ve = le;
        if (v >= ve || ve[-1] == ' ' || ve[-1] == '\r') return 1;
        ll_yamlmap_entry *e = push_entry(out);
        if (!e || !(e->key = dupn(k, (size_t)(c - k)))) return -1;
        size_t vl = (size_t)(ve - v);
        if ((vl == 2 && v[0] == '[' && v[1] == ']') || (vl == 2 && v[0] == '{' && v[1] == '}')) {
            e->kind = v[0] == '[' ? LL_YAML_SEQ : LL_YAML_MAP;
        } else if ((vl == 4 &&
                    (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4))) ||
                   (vl == 1 && v[0] == '~')) {
            e->kind = LL_YAML_NULL;
        } else if (v[0] == '\'') {
            if (vl < 2 || ve[-1] != '\'' || memchr(v + 1, '\'', vl - 2)) return 1;
            for (const char *q = v + 1; q < ve - 1; q++)
                if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f) return 1;
            e->kind = LL_YAML_STR;
            e->quoted = 1;
            if (!(e->value = dupn(v + 1, vl - 2))) return -1;
        } else {
            /* a blank after "key: " would be dropped by YAML: leave such lines to libyaml */
            if (strchr(" -?:,[]{}#&*!|>\"%@`", v[0])) return 1;
            for (const char *q = v; q < ve; q++) {
                if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f) return 1;
                if ((*q == ':' && (q + 1 == ve || q[1] == ' ')) || (*q == '#' && q[-1] == ' '))
                    return 1;
            }
            e->kind = LL_YAML_STR;
            e->verbatim = 1;
            if (!(e->value = dupn(v, vl))) return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

ll_status ll_yamlmap_parse(const char *text, size_t len, const char *file, ll_yamlmap *out,
                           ll_error *err)
{
    memset(out, 0, sizeof *out);
    int simple = parse_simple(text, len, out);
    if (simple == 0) return LL_OK;
    ll_yamlmap_free(out);
    if (simple < 0) return ll_error_set(err, LL_ENOMEM, "out of memory");
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return ll_error_set(err, LL_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    ll_status st = LL_OK;
    /* state: 0 before the mapping, 1 expecting a key, 2 expecting a value,
     * 3 inside a collection value (depth counts nesting) */
    int state = 0, depth = 0, done = 0;
    ll_yamlmap_entry *cur = NULL;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            st = ll_error_set_at(err, LL_EPARSE, file ? file : "", (long)p.problem_mark.line + 1,
                                 (long)p.problem_mark.column + 1, "YAML: %s",
                                 p.problem ? p.problem : "syntax error");
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_MAPPING_START_EVENT:
            if (state == 0) {
                state = 1;
            } else if (state == 2) {
                cur->kind = LL_YAML_MAP;
                state = 3;
                depth = 1;
            } else if (state == 3) {
                depth++;
            } else {
                st =
                    ll_error_set_at(err, LL_EPARSE, file ? file : "", (long)ev.start_mark.line + 1,
                                    (long)ev.start_mark.column + 1, "YAML: a key must be a scalar");
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
            if (state == 2) {
                cur->kind = LL_YAML_SEQ;
                state = 3;
                depth = 1;
            } else if (state == 3) {
                depth++;
            } else {
                st = ll_error_set_at(err, LL_EPARSE, file ? file : "", (long)ev.start_mark.line + 1,
                                     (long)ev.start_mark.column + 1, "YAML: expected a mapping");
            }
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (state == 3) {
                if (--depth == 0) state = 1;
            } else if (state == 1) {
                state = 4; /* end of the top-level mapping */
            }
            break;
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT: {
            const char *v = ev.type == YAML_SCALAR_EVENT ? (const char *)ev.data.scalar.value : "";
            size_t n = ev.type == YAML_SCALAR_EVENT ? ev.data.scalar.length : 0;
            if (state == 0) {
                if (!(ev.type == YAML_SCALAR_EVENT && is_null_plain(&ev)))
                    st = ll_error_set_at(
                        err, LL_EPARSE, file ? file : "", (long)ev.start_mark.line + 1,
                        (long)ev.start_mark.column + 1, "YAML: expected a mapping");
            } else if (state == 1) {
                if (!(cur = push_entry(out)) || !(cur->key = dupn(v, n))) {
                    st = ll_error_set(err, LL_ENOMEM, "out of memory");
                } else {
                    state = 2;
                }
            } else if (state == 2) {
                if (ev.type == YAML_ALIAS_EVENT || is_null_plain(&ev)) {
                    cur->kind = LL_YAML_NULL;
                } else {
                    cur->kind = LL_YAML_STR;
                    cur->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
                    cur->verbatim = !cur->quoted;
                    if (!(cur->value = dupn(v, n))) st = ll_error_set(err, LL_ENOMEM, "oom");
                }
                state = 1;
            } else if (state == 3 && depth == 1) {
                if (push_item(cur, v, n)) st = ll_error_set(err, LL_ENOMEM, "out of memory");
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (st) break;
    }
    yaml_parser_delete(&p);
    if (st) ll_yamlmap_free(out);
    return st;
}

ll_status ll_yamlmap_load(const char *path, ll_yamlmap *out, ll_error *err)
{
    char *text;
    size_t len;
    memset(out, 0, sizeof *out);
    ll_status st = ll_fsutil_read(path, &text, &len, err);
    if (st) return st;
    st = ll_yamlmap_parse(text, len, path, out, err);
    free(text);
    return st;
}

const ll_yamlmap_entry *ll_yamlmap_find(const ll_yamlmap *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].key, key)) return &m->e[i];
    return NULL;
}

const char *ll_yamlmap_str(const ll_yamlmap *m, const char *key)
{
    const ll_yamlmap_entry *e = ll_yamlmap_find(m, key);
    return e && e->kind == LL_YAML_STR ? e->value : NULL;
}

long long ll_yamlmap_int(const ll_yamlmap *m, const char *key, long long def)
{
    const char *s = ll_yamlmap_str(m, key);
    if (!s || !*s) return def;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return def;
    return v;
}

static ll_yamlmap_entry *set_entry(ll_yamlmap *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!strcmp(m->e[i].key, key)) {
            char *k = m->e[i].key;
            m->e[i].key = NULL;
            entry_clear(&m->e[i]);
            m->e[i].key = k;
            return &m->e[i];
        }
    }
    ll_yamlmap_entry *e = push_entry(m);
    if (!e) return NULL;
    if (!(e->key = dupn(key, strlen(key)))) {
        m->n--;
        return NULL;
    }
    return e;
}

void ll_yamlmap_remove(ll_yamlmap *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!strcmp(m->e[i].key, key)) {
            entry_clear(&m->e[i]);
            memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof *m->e);
            m->n--;
            return;
        }
    }
}

ll_status ll_yamlmap_set_str(ll_yamlmap *m, const char *key, const char *value)
{
    ll_yamlmap_entry *e = set_entry(m, key);
    if (!e) return LL_ENOMEM;
    if (!value) {
        e->kind = LL_YAML_NULL;
        return LL_OK;
    }
    e->kind = LL_YAML_STR;
    e->quoted = 1;
    return (e->value = dupn(value, strlen(value))) ? LL_OK : LL_ENOMEM;
}

ll_status ll_yamlmap_set_int(ll_yamlmap *m, const char *key, long long value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", value);
    ll_yamlmap_entry *e = set_entry(m, key);
    if (!e) return LL_ENOMEM;
    e->kind = LL_YAML_STR;
    e->verbatim = 1;
    return (e->value = dupn(buf, strlen(buf))) ? LL_OK : LL_ENOMEM;
}

ll_status ll_yamlmap_set_empty(ll_yamlmap *m, const char *key, ll_yaml_kind kind)
{
    ll_yamlmap_entry *e = set_entry(m, key);
    if (!e) return LL_ENOMEM;
    e->kind = kind == LL_YAML_MAP ? LL_YAML_MAP : LL_YAML_SEQ;
    return LL_OK;
}

ll_status ll_yamlmap_set_pairs(ll_yamlmap *m, const char *key, const char *const *kv, size_t npairs)
{
    ll_yamlmap_entry *e = set_entry(m, key);
    if (!e) return LL_ENOMEM;
    e->kind = LL_YAML_MAP;
    for (size_t i = 0; i < 2 * npairs; i++)
        if (push_item(e, kv[i], strlen(kv[i]))) return LL_ENOMEM;
    return LL_OK;
}

/* YAML 1.1 (PyYAML's resolver): would this plain scalar read back as a non-string? */
static int all_in(const char *s, const char *set)
{
    for (; *s; s++)
        if (!strchr(set, *s)) return 0;
    return 1;
}

static int resolves_non_string(const char *s)
{
    static const char *const words[] = {
        "y",    "Y",     "yes",   "Yes",   "YES",   "n",     "N",     "no",   "No",   "NO",
        "true", "True",  "TRUE",  "false", "False", "FALSE", "on",    "On",   "ON",   "off",
        "Off",  "OFF",   "~",     "null",  "Null",  "NULL",  "=",     "<<",   ".inf", ".Inf",
        ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strcmp(s, words[i])) return 1;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return 0;
    /* integers: decimal, 0b, 0x, octal and sexagesimal forms, underscores allowed */
    if ((p[0] == '0' && (p[1] == 'b' || p[1] == 'x')) && p[2])
        return all_in(p + 2, p[1] == 'b' ? "01_" : "0123456789abcdefABCDEF_");
    if (isdigit((unsigned char)p[0]) && all_in(p, "0123456789_:")) return 1;
    /* floats: digits with one '.', optional exponent (sign required in 1.1, accepted either
     * way here), also ".5" */
    if (isdigit((unsigned char)p[0]) || (p[0] == '.' && isdigit((unsigned char)p[1]))) {
        const char *q = p;
        int dots = 0;
        while (isdigit((unsigned char)*q) || *q == '_' || *q == ':' || *q == '.')
            dots += *q++ == '.';
        if (*q == 'e' || *q == 'E') {
            q++;
            if (*q == '+' || *q == '-') q++;
            if (!isdigit((unsigned char)*q)) return 0;
            while (isdigit((unsigned char)*q)) q++;
        }
        if (!*q && dots == 1) return 1; /* YAML 1.1 floats need a dot: 1e5 is a string */
    }
    /* timestamps: yyyy-mm-dd... */
    if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
        isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) && s[4] == '-')
        return 1;
    return 0;
}

/* Length of the Unicode line break YAML also breaks lines at (NEL, LS, PS) at p, else 0. */
static int unicode_break(const unsigned char *p)
{
    if (p[0] == 0xc2 && p[1] == 0x85) return 2;
    if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) return 3;
    return 0;
}

static int needs_double_quotes(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || unicode_break(p)) return 1;
    return 0;
}

/* Would s, written plain, break the line (an indicator, a comment, a document marker...)? */
static int plain_breaks(const char *s)
{
    size_t n = strlen(s);
    if (n == 0) return 1;
    if (strchr("#,[]{}&*!|>'\"%@` \t", s[0])) return 1;
    if (strchr("?:-", s[0]) && (s[1] == '\0' || s[1] == ' ')) return 1;
    /* "---" and "..." starting a line are document markers (a key is written at a line start) */
    if ((!strncmp(s, "---", 3) || !strncmp(s, "...", 3)) && (s[3] == '\0' || s[3] == ' ')) return 1;
    if (s[n - 1] == ' ' || s[n - 1] == ':') return 1;
    if (strstr(s, ": ") || strstr(s, " #")) return 1;
    return 0;
}

static int needs_quotes(const char *s)
{
    return resolves_non_string(s) || plain_breaks(s);
}

void ll_yamlmap_write_scalar(FILE *f, const char *s)
{
    if (needs_double_quotes(s)) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
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
            case '\t':
                fputs("\\t", f);
                break;
            case '\r':
                fputs("\\r", f);
                break;
            default:
                if (unicode_break(p)) {
                    fputs(p[0] == 0xc2 ? "\\N" : p[2] == 0xa8 ? "\\L" : "\\P", f);
                    p += unicode_break(p) - 1;
                } else if (*p < 0x20 || *p == 0x7f)
                    fprintf(f, "\\x%02X", *p);
                else
                    fputc(*p, f);
            }
        }
        fputc('"', f);
    } else if (needs_quotes(s)) {
        fputc('\'', f);
        for (const char *p = s; *p; p++) {
            if (*p == '\'') fputc('\'', f);
            fputc(*p, f);
        }
        fputc('\'', f);
    } else {
        fputs(s, f);
    }
}

/* A mapping key and its ':' at indent: a key of 128 bytes or more is written as an explicit key
 * ("? key" then ": value" on the next line), as PyYAML does; YAML allows an implicit key of at
 * most 1024 characters. */
static void write_key(FILE *f, const char *key, const char *indent)
{
    fputs(indent, f);
    if (strlen(key) >= 128) {
        fputs("? ", f);
        ll_yamlmap_write_scalar(f, key);
        fputc('\n', f);
        fputs(indent, f);
    } else {
        ll_yamlmap_write_scalar(f, key);
    }
    fputc(':', f);
}

static int cmp_entry_ptr(const void *a, const void *b)
{
    const ll_yamlmap_entry *const *x = a, *const *y = b;
    return strcmp((*x)->key, (*y)->key);
}

ll_status ll_yamlmap_write(const ll_yamlmap *m, FILE *f)
{
    const ll_yamlmap_entry **order = malloc((m->n ? m->n : 1) * sizeof *order);
    if (!order) return LL_ENOMEM;
    for (size_t i = 0; i < m->n; i++) order[i] = &m->e[i];
    qsort(order, m->n, sizeof *order, cmp_entry_ptr);
    for (size_t i = 0; i < m->n; i++) {
        const ll_yamlmap_entry *e = order[i];
        write_key(f, e->key, "");
        switch (e->kind) {
        case LL_YAML_NULL:
            fputs(" null\n", f);
            break;
        case LL_YAML_STR:
            fputc(' ', f);
            /* as read, unless it cannot stay plain here: folded over lines (it holds line
             * breaks), or plain only in a flow collection ("{a: -}") */
            if (e->verbatim && !needs_double_quotes(e->value) && !plain_breaks(e->value))
                fputs(e->value, f);
            else
                ll_yamlmap_write_scalar(f, e->value);
            fputc('\n', f);
            break;
        case LL_YAML_SEQ:
            if (!e->nitems) {
                fputs(" []\n", f);
                break;
            }
            fputc('\n', f);
            for (size_t k = 0; k < e->nitems; k++) {
                fputs("- ", f);
                ll_yamlmap_write_scalar(f, e->items[k]);
                fputc('\n', f);
            }
            break;
        case LL_YAML_MAP:
        default:
            if (e->nitems < 2) {
                fputs(" {}\n", f);
                break;
            }
            fputc('\n', f);
            for (size_t k = 0; k + 1 < e->nitems; k += 2) {
                write_key(f, e->items[k], "  ");
                fputc(' ', f);
                ll_yamlmap_write_scalar(f, e->items[k + 1]);
                fputc('\n', f);
            }
            break;
        }
    }
    free(order);
    return ferror(f) ? LL_EIO : LL_OK;
}

ll_status ll_yamlmap_dump(const ll_yamlmap *m, char **text, size_t *len, ll_error *err)
{
    *text = NULL;
    *len = 0;
    FILE *f = open_memstream(text, len);
    if (!f) return ll_error_set(err, LL_ENOMEM, "out of memory");
    ll_status st = ll_yamlmap_write(m, f);
    if (fclose(f) && !st) st = LL_ENOMEM;
    if (st) {
        free(*text);
        *text = NULL;
        return ll_error_set(err, st, "cannot format YAML");
    }
    return LL_OK;
}
