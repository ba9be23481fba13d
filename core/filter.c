/* filter: MLflow's run search syntax (filter expressions and sort keys) evaluated on ll_run. */
#include "filter.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "numfmt.h"

typedef enum {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_LIKE,
    OP_ILIKE,
    OP_NLIKE,
    OP_NILIKE,
    OP_IN,
    OP_NIN,
    OP_ISNULL,
    OP_NOTNULL
} op_t;

typedef enum { N_AND, N_OR, N_CMP } ntype;

typedef struct node {
    ntype t;
    struct node *l, *r;
    /* N_CMP */
    ll_keykind kind;
    char *name;
    op_t op;
    char **svals; /* literal texts */
    double *nums;
    int *isnum;
    size_t nv;
} node;

struct ll_filter {
    node *root;
};

/* Attributes a filter or sort may name, and whether they are numbers. */
static const struct {
    const char *name;
    int numeric;
} attrs[] = {
    {"run_id", 0},        {"run_name", 0},     {"status", 0},
    {"user_id", 0},       {"artifact_uri", 0}, {"lifecycle_stage", 0},
    {"experiment_id", 0}, {"start_time", 1},   {"end_time", 1},
};
#define NATTRS (sizeof attrs / sizeof *attrs)

static int attr_index(const char *s)
{
    for (size_t i = 0; i < NATTRS; i++)
        if (!strcmp(attrs[i].name, s)) return (int)i;
    if (!strcmp(s, "created")) return 7; /* MLflow's alias of start_time */
    return -1;
}

static void node_free(node *n)
{
    if (!n) return;
    node_free(n->l);
    node_free(n->r);
    free(n->name);
    for (size_t i = 0; i < n->nv; i++) free(n->svals[i]);
    free(n->svals);
    free(n->nums);
    free(n->isnum);
    free(n);
}

void ll_filter_free(ll_filter *f)
{
    if (!f) return;
    node_free(f->root);
    free(f);
}

/* ------------------------------------------------------------------ parser */

typedef struct {
    const char *s;
    size_t pos;
    ll_error *err;
    int failed;
} parser;

static int perr(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int perr(parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed) return -1;
    p->failed = 1;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ll_error_set_at(p->err, LL_EPARSE, "", 0, (long)at + 1, "syntax error at position %zu: %s",
                    at + 1, msg);
    return -1;
}

static void skip_ws(parser *p)
{
    while (isspace((unsigned char)p->s[p->pos])) p->pos++;
}

static int bare_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == ':' || c == '/' || c == '-' ||
           c == '+';
}

/* Read a bare word at the cursor into buf (empty when none). */
static size_t read_bare(parser *p, char *buf, size_t len)
{
    size_t n = 0;
    while (bare_char(p->s[p->pos])) {
        if (n + 1 < len) buf[n++] = p->s[p->pos];
        p->pos++;
    }
    buf[n] = '\0';
    return n;
}

/* Quoted text starting at the cursor (quote char q); doubled quotes or a backslash escape the
 * quote. Returns a malloc'd string or NULL on error. */
static char *read_quoted(parser *p)
{
    char q = p->s[p->pos];
    size_t start = p->pos++;
    size_t cap = 32, n = 0;
    char *out = malloc(cap);
    if (!out) {
        perr(p, start, "out of memory");
        return NULL;
    }
    for (;;) {
        char c = p->s[p->pos];
        if (!c) {
            free(out);
            perr(p, start, "unterminated string starting here");
            return NULL;
        }
        p->pos++;
        if (c == '\\' && (p->s[p->pos] == q || p->s[p->pos] == '\\')) {
            c = p->s[p->pos++];
        } else if (c == q) {
            if (p->s[p->pos] != q) break;
            p->pos++;
        }
        if (n + 2 > cap) {
            char *no = realloc(out, cap *= 2);
            if (!no) {
                free(out);
                perr(p, start, "out of memory");
                return NULL;
            }
            out = no;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return out;
}

static int word_is(const char *w, const char *kw)
{
    return !strcasecmp(w, kw);
}

/* Peek a keyword at the cursor (case-insensitive, whole word). */
static int peek_kw(parser *p, const char *kw)
{
    size_t n = strlen(kw);
    if (strncasecmp(p->s + p->pos, kw, n)) return 0;
    char c = p->s[p->pos + n];
    return !bare_char(c);
}

static node *parse_expr(parser *p);

static int parse_key(parser *p, node *n)
{
    skip_ws(p);
    size_t at = p->pos;
    char word[512];
    char c = p->s[p->pos];
    if (c == '`' || c == '"') {
        /* a quoted attribute name: `run_name` */
        char *q = read_quoted(p);
        if (!q) return -1;
        snprintf(word, sizeof word, "%s", q);
        free(q);
        int ai = attr_index(word);
        if (ai < 0) return perr(p, at, "unknown attribute '%s'", word);
        n->kind = LL_KEY_ATTR;
        n->name = strdup(attrs[ai].name);
        return n->name ? 0 : perr(p, at, "out of memory");
    }
    if (!read_bare(p, word, sizeof word)) {
        if (!c)
            return perr(p, at,
                        "expected a key (metrics.X, params.X, tags.X or an attribute) at "
                        "the end");
        char ch[2] = {c, 0};
        return perr(p, at,
                    "expected a key (metrics.X, params.X, tags.X or an attribute), found '%s'", ch);
    }
    char *dot = strchr(word, '.');
    if (!dot) {
        int ai = attr_index(word);
        if (ai < 0)
            return perr(p, at,
                        "unknown attribute '%s' (a key needs its type: metrics.%s, params.%s or "
                        "tags.%s; attributes are run_id, run_name, status, user_id, start_time, "
                        "end_time, artifact_uri)",
                        word, word, word, word);
        n->kind = LL_KEY_ATTR;
        n->name = strdup(attrs[ai].name);
        return n->name ? 0 : perr(p, at, "out of memory");
    }
    *dot = '\0';
    const char *prefix = word, *rest = dot + 1;
    if (word_is(prefix, "metrics") || word_is(prefix, "metric"))
        n->kind = LL_KEY_METRIC;
    else if (word_is(prefix, "params") || word_is(prefix, "param") ||
             word_is(prefix, "parameters") || word_is(prefix, "parameter"))
        n->kind = LL_KEY_PARAM;
    else if (word_is(prefix, "tags") || word_is(prefix, "tag"))
        n->kind = LL_KEY_TAG;
    else if (word_is(prefix, "attributes") || word_is(prefix, "attribute") ||
             word_is(prefix, "attr") || word_is(prefix, "run"))
        n->kind = LL_KEY_ATTR;
    else
        return perr(p, at, "unknown key type '%s' (expected metrics, params, tags or attributes)",
                    prefix);
    char name[512];
    if (!*rest) {
        char q = p->s[p->pos];
        if (q != '`' && q != '"') return perr(p, p->pos, "expected a name after '%s.'", prefix);
        char *qs = read_quoted(p);
        if (!qs) return -1;
        snprintf(name, sizeof name, "%s", qs);
        free(qs);
        if (!*name) return perr(p, at, "empty name after '%s.'", prefix);
    } else {
        snprintf(name, sizeof name, "%s", rest);
    }
    if (n->kind == LL_KEY_ATTR) {
        int ai = attr_index(name);
        if (ai < 0)
            return perr(p, at,
                        "unknown attribute '%s' (expected run_id, run_name, status, user_id, "
                        "start_time, end_time, artifact_uri, lifecycle_stage or experiment_id)",
                        name);
        snprintf(name, sizeof name, "%s", attrs[ai].name);
    }
    n->name = strdup(name);
    return n->name ? 0 : perr(p, at, "out of memory");
}

static int parse_op(parser *p, node *n, const char *keytext)
{
    skip_ws(p);
    size_t at = p->pos;
    const char *s = p->s + p->pos;
    static const struct {
        const char *sym;
        op_t op;
    } syms[] = {{"<=", OP_LE}, {">=", OP_GE}, {"!=", OP_NE}, {"<>", OP_NE},
                {"==", OP_EQ}, {"=", OP_EQ},  {"<", OP_LT},  {">", OP_GT}};
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++) {
        size_t l = strlen(syms[i].sym);
        if (!strncmp(s, syms[i].sym, l)) {
            p->pos += l;
            n->op = syms[i].op;
            return 0;
        }
    }
    if (peek_kw(p, "LIKE")) {
        p->pos += 4;
        n->op = OP_LIKE;
        return 0;
    }
    if (peek_kw(p, "ILIKE")) {
        p->pos += 5;
        n->op = OP_ILIKE;
        return 0;
    }
    if (peek_kw(p, "IN")) {
        p->pos += 2;
        n->op = OP_IN;
        return 0;
    }
    if (peek_kw(p, "IS")) {
        p->pos += 2;
        skip_ws(p);
        int neg = 0;
        if (peek_kw(p, "NOT")) {
            p->pos += 3;
            skip_ws(p);
            neg = 1;
        }
        if (!peek_kw(p, "NULL")) return perr(p, p->pos, "expected NULL after IS");
        p->pos += 4;
        n->op = neg ? OP_NOTNULL : OP_ISNULL;
        return 0;
    }
    if (peek_kw(p, "NOT")) {
        p->pos += 3;
        skip_ws(p);
        if (peek_kw(p, "LIKE")) {
            p->pos += 4;
            n->op = OP_NLIKE;
            return 0;
        }
        if (peek_kw(p, "ILIKE")) {
            p->pos += 5;
            n->op = OP_NILIKE;
            return 0;
        }
        if (peek_kw(p, "IN")) {
            p->pos += 2;
            n->op = OP_NIN;
            return 0;
        }
        return perr(p, p->pos, "expected LIKE, ILIKE or IN after NOT");
    }
    if (!*s)
        return perr(p, at,
                    "expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN) after '%s' at "
                    "the end",
                    keytext);
    return perr(p, at, "expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN) after '%s'",
                keytext);
}

static int push_value(node *n, char *text, int isnum, double v)
{
    char **ns = realloc(n->svals, (n->nv + 1) * sizeof *ns);
    if (!ns) return -1;
    n->svals = ns;
    double *nn = realloc(n->nums, (n->nv + 1) * sizeof *nn);
    if (!nn) return -1;
    n->nums = nn;
    int *ni = realloc(n->isnum, (n->nv + 1) * sizeof *ni);
    if (!ni) return -1;
    n->isnum = ni;
    ns[n->nv] = text;
    nn[n->nv] = v;
    ni[n->nv] = isnum;
    n->nv++;
    return 0;
}

static int parse_value(parser *p, node *n)
{
    skip_ws(p);
    size_t at = p->pos;
    char c = p->s[p->pos];
    if (c == '\'' || c == '"') {
        char *q = read_quoted(p);
        if (!q) return -1;
        if (push_value(n, q, 0, NAN)) {
            free(q);
            return perr(p, at, "out of memory");
        }
        return 0;
    }
    char word[256];
    if (!read_bare(p, word, sizeof word)) {
        if (!c) return perr(p, at, "expected a value (a quoted string or a number) at the end");
        char ch[2] = {c, 0};
        return perr(p, at, "expected a value (a quoted string or a number), found '%s'", ch);
    }
    double v;
    if (!ll_numparse(word, strlen(word), &v))
        return perr(p, at, "'%s' is neither a number nor a quoted string (write '%s')", word, word);
    char *t = strdup(word);
    if (!t || push_value(n, t, 1, v)) {
        free(t);
        return perr(p, at, "out of memory");
    }
    return 0;
}

static const char *kind_prefix(ll_keykind k)
{
    return k == LL_KEY_METRIC  ? "metrics."
           : k == LL_KEY_PARAM ? "params."
           : k == LL_KEY_TAG   ? "tags."
                               : "";
}

const char *ll_filter_key_text(ll_keykind kind, const char *name, char *buf, size_t len)
{
    int plain = 1;
    for (const char *c = name; *c; c++)
        if (!bare_char(*c)) plain = 0;
    if (plain)
        snprintf(buf, len, "%s%s", kind_prefix(kind), name);
    else
        snprintf(buf, len, "%s`%s`", kind_prefix(kind), name);
    return buf;
}

static node *parse_cmp(parser *p)
{
    node *n = calloc(1, sizeof *n);
    if (!n) {
        perr(p, p->pos, "out of memory");
        return NULL;
    }
    n->t = N_CMP;
    size_t keyat = p->pos;
    if (parse_key(p, n)) goto fail;
    char keytext[600];
    ll_filter_key_text(n->kind, n->name, keytext, sizeof keytext);
    size_t opat;
    skip_ws(p);
    opat = p->pos;
    if (parse_op(p, n, keytext)) goto fail;
    if (n->op == OP_IN || n->op == OP_NIN) {
        skip_ws(p);
        if (p->s[p->pos] != '(') {
            perr(p, p->pos, "expected '(' after IN");
            goto fail;
        }
        p->pos++;
        for (;;) {
            if (parse_value(p, n)) goto fail;
            skip_ws(p);
            if (p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->s[p->pos] == ')') {
                p->pos++;
                break;
            }
            perr(p, p->pos, "expected ',' or ')' in the IN list");
            goto fail;
        }
    } else if (n->op != OP_ISNULL && n->op != OP_NOTNULL) {
        if (parse_value(p, n)) goto fail;
    }
    /* type checks, with the positions of the parts that do not fit */
    int numeric_key =
        n->kind == LL_KEY_METRIC || (n->kind == LL_KEY_ATTR && attrs[attr_index(n->name)].numeric);
    int like = n->op == OP_LIKE || n->op == OP_ILIKE || n->op == OP_NLIKE || n->op == OP_NILIKE;
    int order = n->op == OP_LT || n->op == OP_LE || n->op == OP_GT || n->op == OP_GE;
    if (numeric_key) {
        if (like) {
            perr(p, opat, "'%s' is a number: LIKE and ILIKE compare strings", keytext);
            goto fail;
        }
        for (size_t i = 0; i < n->nv; i++) {
            if (!n->isnum[i] && !ll_numparse(n->svals[i], strlen(n->svals[i]), &n->nums[i])) {
                perr(p, keyat, "'%s' compares with numbers, not '%s'", keytext, n->svals[i]);
                goto fail;
            }
            n->isnum[i] = 1;
        }
    } else if (order) {
        if (!n->isnum[0]) {
            perr(p, opat,
                 "'%s' is compared as a string: use =, !=, LIKE, ILIKE or IN (or compare with a "
                 "number)",
                 keytext);
            goto fail;
        }
    }
    return n;
fail:
    node_free(n);
    return NULL;
}

static node *parse_factor(parser *p)
{
    skip_ws(p);
    if (p->s[p->pos] == '(') {
        size_t at = p->pos++;
        node *n = parse_expr(p);
        if (!n) return NULL;
        skip_ws(p);
        if (p->s[p->pos] != ')') {
            node_free(n);
            char opened[32];
            snprintf(opened, sizeof opened, "%zu", at + 1);
            perr(p, p->pos, "expected ')' to close the '(' at position %s", opened);
            return NULL;
        }
        p->pos++;
        return n;
    }
    return parse_cmp(p);
}

static node *join(parser *p, ntype t, node *l, node *r)
{
    node *n = calloc(1, sizeof *n);
    if (!n) {
        node_free(l);
        node_free(r);
        perr(p, p->pos, "out of memory");
        return NULL;
    }
    n->t = t;
    n->l = l;
    n->r = r;
    return n;
}

static node *parse_term(parser *p)
{
    node *l = parse_factor(p);
    while (l) {
        skip_ws(p);
        if (!peek_kw(p, "AND")) break;
        p->pos += 3;
        node *r = parse_factor(p);
        if (!r) {
            node_free(l);
            return NULL;
        }
        l = join(p, N_AND, l, r);
    }
    return l;
}

static node *parse_expr(parser *p)
{
    node *l = parse_term(p);
    while (l) {
        skip_ws(p);
        if (!peek_kw(p, "OR")) break;
        p->pos += 2;
        node *r = parse_term(p);
        if (!r) {
            node_free(l);
            return NULL;
        }
        l = join(p, N_OR, l, r);
    }
    return l;
}

ll_status ll_filter_parse(const char *expr, ll_filter **out, ll_error *err)
{
    *out = NULL;
    parser p = {expr ? expr : "", 0, err, 0};
    skip_ws(&p);
    if (!p.s[p.pos]) return ll_error_set(err, LL_EPARSE, "empty filter expression");
    node *root = parse_expr(&p);
    if (!root) return err ? err->code : LL_EPARSE;
    skip_ws(&p);
    if (p.s[p.pos]) {
        node_free(root);
        char tok[32];
        snprintf(tok, sizeof tok, "%.20s", p.s + p.pos);
        perr(&p, p.pos, "expected AND, OR or the end, found '%s'", tok);
        return LL_EPARSE;
    }
    ll_filter *f = malloc(sizeof *f);
    if (!f) {
        node_free(root);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    f->root = root;
    *out = f;
    return LL_OK;
}

/* ------------------------------------------------------------------ evaluation */

int ll_filter_like(const char *s, const char *pat, int icase)
{
    /* iterative wildcard match with one backtrack point (the last %) */
    const char *star = NULL, *ss = NULL;
    while (*s) {
        char pc = *pat, sc = *s;
        if (icase) {
            pc = (char)tolower((unsigned char)pc);
            sc = (char)tolower((unsigned char)sc);
        }
        if (*pat == '%') {
            star = ++pat;
            ss = s;
        } else if (*pat && (*pat == '_' || pc == sc)) {
            pat++;
            s++;
        } else if (star) {
            pat = star;
            s = ++ss;
        } else {
            return 0;
        }
    }
    while (*pat == '%') pat++;
    return !*pat;
}

/* Value of a key on run r: *str for strings, *num for numbers; returns 0 when absent. */
static int key_value(const ll_run *r, ll_keykind kind, const char *name, const char **str,
                     double *num, char *buf, size_t len)
{
    *str = NULL;
    *num = NAN;
    switch (kind) {
    case LL_KEY_METRIC: {
        const ll_metric *m = ll_run_metric(r, name);
        if (!m) return 0;
        *num = m->value;
        return 1;
    }
    case LL_KEY_PARAM:
        *str = ll_run_param(r, name);
        return *str != NULL;
    case LL_KEY_TAG:
        *str = ll_run_tag(r, name);
        return *str != NULL;
    case LL_KEY_ATTR:
    default:
        if (!strcmp(name, "start_time")) {
            *num = (double)r->start_time;
            return 1;
        }
        if (!strcmp(name, "end_time")) {
            if (r->end_time < 0) return 0;
            *num = (double)r->end_time;
            return 1;
        }
        if (!strcmp(name, "run_id"))
            *str = r->run_id;
        else if (!strcmp(name, "run_name"))
            *str = r->run_name;
        else if (!strcmp(name, "status"))
            *str = ll_run_status_str(r->status);
        else if (!strcmp(name, "user_id"))
            *str = r->user_id;
        else if (!strcmp(name, "artifact_uri"))
            *str = r->artifact_uri;
        else if (!strcmp(name, "experiment_id"))
            *str = r->experiment_id;
        else if (!strcmp(name, "lifecycle_stage")) {
            snprintf(buf, len, "%s", r->deleted ? "deleted" : "active");
            *str = buf;
        }
        return *str != NULL;
    }
}

static int cmp_num(double a, op_t op, double b)
{
    switch (op) {
    case OP_EQ:
        return a == b;
    case OP_NE:
        return a != b;
    case OP_LT:
        return a < b;
    case OP_LE:
        return a <= b;
    case OP_GT:
        return a > b;
    case OP_GE:
        return a >= b;
    default:
        return 0;
    }
}

static int str_eq(const node *n, const ll_run *r, const char *s, const char *lit)
{
    if (n->kind == LL_KEY_ATTR && !strcmp(n->name, "status")) {
        /* DIED refines RUNNING: such a run matches both */
        if (!strcasecmp(lit, "DIED")) return r->status == LL_RUN_RUNNING && r->died;
        return !strcasecmp(s, lit);
    }
    return !strcmp(s, lit);
}

static int eval(const node *n, const ll_run *r)
{
    if (n->t == N_AND) return eval(n->l, r) && eval(n->r, r);
    if (n->t == N_OR) return eval(n->l, r) || eval(n->r, r);
    const char *s;
    double v;
    char buf[32];
    int present = key_value(r, n->kind, n->name, &s, &v, buf, sizeof buf);
    if (n->op == OP_ISNULL) return !present;
    if (n->op == OP_NOTNULL) return present;
    if (!present) return 0;
    if (!s) {
        /* numbers: metrics and numeric attributes */
        if (n->op == OP_IN || n->op == OP_NIN) {
            int hit = 0;
            for (size_t i = 0; i < n->nv && !hit; i++) hit = v == n->nums[i];
            return n->op == OP_IN ? hit : !hit;
        }
        return cmp_num(v, n->op, n->nums[0]);
    }
    switch (n->op) {
    case OP_EQ:
        return str_eq(n, r, s, n->svals[0]);
    case OP_NE:
        return !str_eq(n, r, s, n->svals[0]);
    case OP_LIKE:
        return ll_filter_like(s, n->svals[0], 0);
    case OP_ILIKE:
        return ll_filter_like(s, n->svals[0], 1);
    case OP_NLIKE:
        return !ll_filter_like(s, n->svals[0], 0);
    case OP_NILIKE:
        return !ll_filter_like(s, n->svals[0], 1);
    case OP_IN:
    case OP_NIN: {
        int hit = 0;
        for (size_t i = 0; i < n->nv && !hit; i++) hit = str_eq(n, r, s, n->svals[i]);
        return n->op == OP_IN ? hit : !hit;
    }
    default: {
        /* ordering on a param or tag against a number: numeric when the value is one */
        double sv;
        if (!ll_numparse(s, strlen(s), &sv)) return 0;
        return cmp_num(sv, n->op, n->nums[0]);
    }
    }
}

int ll_filter_match(const ll_filter *f, const ll_run *r)
{
    return !f || eval(f->root, r);
}

static int collect(const node *n, ll_filter_key **keys, size_t *nk, size_t *cap)
{
    if (n->t != N_CMP) return collect(n->l, keys, nk, cap) || collect(n->r, keys, nk, cap);
    if (n->kind == LL_KEY_ATTR) return 0;
    for (size_t i = 0; i < *nk; i++)
        if ((*keys)[i].kind == n->kind && !strcmp((*keys)[i].name, n->name)) return 0;
    if (*nk == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        ll_filter_key *nkp = realloc(*keys, *cap * sizeof *nkp);
        if (!nkp) return -1;
        *keys = nkp;
    }
    (*keys)[*nk].kind = n->kind;
    (*keys)[*nk].name = n->name;
    (*nk)++;
    return 0;
}

ll_status ll_filter_keys(const ll_filter *f, ll_filter_key **keys, size_t *n, ll_error *err)
{
    *keys = NULL;
    *n = 0;
    size_t cap = 0;
    if (f && collect(f->root, keys, n, &cap)) {
        free(*keys);
        *keys = NULL;
        *n = 0;
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    return LL_OK;
}

/* ------------------------------------------------------------------ sorting */

ll_status ll_filter_parse_sort(const char *s, ll_sortkey *keys, size_t cap, size_t *n,
                               ll_error *err)
{
    *n = 0;
    parser p = {s ? s : "", 0, err, 0};
    for (;;) {
        skip_ws(&p);
        if (!p.s[p.pos]) {
            if (*n == 0) return ll_error_set(err, LL_EPARSE, "empty sort key");
            perr(&p, p.pos, "expected a sort key after ','");
            return LL_EPARSE;
        }
        int desc = 0;
        if (p.s[p.pos] == '-' || p.s[p.pos] == '+') desc = p.s[p.pos++] == '-';
        node tmp;
        memset(&tmp, 0, sizeof tmp);
        if (parse_key(&p, &tmp)) {
            free(tmp.name);
            return LL_EPARSE;
        }
        skip_ws(&p);
        if (peek_kw(&p, "DESC")) {
            p.pos += 4;
            desc = 1;
        } else if (peek_kw(&p, "ASC")) {
            p.pos += 3;
            desc = 0;
        }
        if (*n == cap) {
            free(tmp.name);
            return ll_error_set(err, LL_EINVAL, "too many sort keys (at most %zu)", cap);
        }
        if (strlen(tmp.name) >= sizeof keys[0].name) {
            free(tmp.name);
            return ll_error_set(err, LL_EINVAL, "sort key name too long");
        }
        keys[*n].kind = tmp.kind;
        snprintf(keys[*n].name, sizeof keys[*n].name, "%s", tmp.name);
        keys[*n].desc = desc;
        (*n)++;
        free(tmp.name);
        skip_ws(&p);
        if (!p.s[p.pos]) break;
        if (p.s[p.pos] != ',') {
            char tok[32];
            snprintf(tok, sizeof tok, "%.20s", p.s + p.pos);
            perr(&p, p.pos, "expected ',', ASC, DESC or the end, found '%s'", tok);
            return LL_EPARSE;
        }
        p.pos++;
    }
    return LL_OK;
}

/* Strings that both read as numbers compare as numbers ("9" < "10"), others bytewise. */
static int cmp_str(const char *a, const char *b)
{
    double x, y;
    if (ll_numparse(a, strlen(a), &x) && ll_numparse(b, strlen(b), &y))
        return x < y ? -1 : x > y ? 1 : 0;
    return strcmp(a, b);
}

int ll_filter_compare(const ll_sortkey *keys, size_t nkeys, const ll_run *a, const ll_run *b)
{
    char ba[32], bb[32];
    for (size_t i = 0; i < nkeys; i++) {
        const char *sa, *sb;
        double na, nb;
        int pa = key_value(a, keys[i].kind, keys[i].name, &sa, &na, ba, sizeof ba);
        int pb = key_value(b, keys[i].kind, keys[i].name, &sb, &nb, bb, sizeof bb);
        /* NaN metrics sort with the missing ones */
        if (pa && !sa && isnan(na)) pa = 0;
        if (pb && !sb && isnan(nb)) pb = 0;
        if (!pa || !pb) {
            if (pa != pb) return pa ? -1 : 1;
            continue;
        }
        int c = sa ? cmp_str(sa, sb) : (na < nb ? -1 : na > nb ? 1 : 0);
        if (c) return keys[i].desc ? -c : c;
    }
    if (a->start_time != b->start_time) return a->start_time > b->start_time ? -1 : 1;
    return strcmp(a->run_id, b->run_id);
}
