/* payload: MLflow scoring requests parsed into a table with the model's schema, and responses. */
#include "payload.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <csv.h>

#include "csv.h"
#include "numfmt.h"

/* The sentence MLflow starts its "wrong shape" errors with. */
#define REQUIRED_INPUT_FORMAT                                                                      \
    "The input must be a JSON dictionary with exactly one of the input fields "                    \
    "{'dataframe_split', "                                                                         \
    "'dataframe_records', 'instances', 'inputs'}"

#define MAX_REASONS 1000

/* ---------- growable text ---------- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static int sb_reserve(sbuf *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *n = realloc(b->p, cap);
    if (!n) {
        b->oom = 1;
        return -1;
    }
    b->p = n;
    b->cap = cap;
    return 0;
}

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (sb_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_putc(sbuf *b, char c)
{
    sb_put(b, &c, 1);
}

/* Length of the UTF-8 sequence starting s (n bytes available), 0 when it is not one (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t k;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < k || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return k;
}

/* Offset of the first byte of s that is not valid UTF-8, or n. */
static size_t utf8_valid_prefix(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(u + i, n - i);
        if (!k) return i;
        i += k;
    }
    return n;
}

int ll_payload_json_string(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    sbuf b = {*buf, *len, *cap, 0};
    static const char hex[] = "0123456789abcdef";
    if (sb_reserve(&b, n + 2)) return -1;
    b.p[b.len++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t el = 0;
        switch (c) {
        case '"':
            esc[el++] = '\\';
            esc[el++] = '"';
            break;
        case '\\':
            esc[el++] = '\\';
            esc[el++] = '\\';
            break;
        case '\n':
            esc[el++] = '\\';
            esc[el++] = 'n';
            break;
        case '\r':
            esc[el++] = '\\';
            esc[el++] = 'r';
            break;
        case '\t':
            esc[el++] = '\\';
            esc[el++] = 't';
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                memcpy(esc, "\\u00", 4);
                el = 4;
                esc[el++] = hex[c >> 4];
                esc[el++] = hex[c & 15];
            } else if (c < 0x80) {
                esc[el++] = (char)c;
            } else {
                /* a JSON text is UTF-8: a byte that does not start a valid sequence (a
                 * name or value echoed from a malformed request) becomes U+FFFD */
                size_t k = utf8_seq((const unsigned char *)s + i, n - i);
                if (k) {
                    memcpy(esc, s + i, k);
                    el = k;
                    i += k - 1;
                } else {
                    memcpy(esc, "\\ufffd", 6);
                    el = 6;
                }
            }
        }
        if (sb_reserve(&b, el + 1)) break;
        memcpy(b.p + b.len, esc, el);
        b.len += el;
    }
    if (!b.oom && !sb_reserve(&b, 1)) {
        b.p[b.len++] = '"';
        b.p[b.len] = '\0';
    }
    *buf = b.p;
    *len = b.len;
    *cap = b.cap;
    return b.oom ? -1 : 0;
}

static void sb_jstr(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (ll_payload_json_string(&b->p, &b->len, &b->cap, s, n)) b->oom = 1;
}

static void sb_jstrz(sbuf *b, const char *s)
{
    sb_jstr(b, s ? s : "", s ? strlen(s) : 0);
}

/* A JSON number; NaN and infinities (which JSON cannot hold) as null. */
static void sb_num(sbuf *b, double v)
{
    char buf[64];
    if (!isfinite(v)) {
        sb_puts(b, "null");
        return;
    }
    sb_puts(b, ll_numfmt_double(v, buf, sizeof buf));
}

/* ---------- responses ---------- */

void ll_payload_response_free(ll_payload_response *r)
{
    if (!r) return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

static void set_body(ll_payload_response *resp, int status, const char *ctype, sbuf *b)
{
    ll_payload_response_free(resp);
    resp->status = status;
    resp->content_type = ctype;
    if (b->oom || !b->p) {
        free(b->p);
        static const char oom[] =
            "{\"error_code\": \"INTERNAL_ERROR\", \"message\": \"out of memory\"}";
        resp->status = 500;
        resp->content_type = "application/json";
        resp->body = malloc(sizeof oom);
        resp->len = resp->body ? sizeof oom - 1 : 0;
        if (resp->body) memcpy(resp->body, oom, sizeof oom);
        return;
    }
    resp->body = b->p;
    resp->len = b->len;
}

void ll_payload_error(ll_payload_response *resp, int status, const char *code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sbuf b = {0};
    sb_puts(&b, "{\"error_code\": ");
    sb_jstrz(&b, code);
    sb_puts(&b, ", \"message\": ");
    sb_jstrz(&b, msg);
    sb_puts(&b, "}");
    set_body(resp, status, "application/json", &b);
}

void ll_payload_text(ll_payload_response *resp, int status, const char *content_type,
                     const char *text, size_t len)
{
    sbuf b = {0};
    sb_put(&b, text ? text : "", text ? len : 0);
    if (!b.p) sb_reserve(&b, 1);
    set_body(resp, status, content_type, &b);
}

/* ---------- parameters ---------- */

void ll_payload_params_default(ll_payload_params *p)
{
    p->output = LL_OUTPUT_LABEL;
    p->threshold = 0.5;
    ll_scorecard_default(&p->scale);
    p->reasons = 3;
}

const char *ll_payload_output_name(ll_payload_output o)
{
    static const char *const names[] = {"label", "probability", "full"};
    return o < LL_OUTPUT_COUNT ? names[o] : "?";
}

/* Set parameter key from a JSON value or (jv NULL) from text; unknown keys are ignored, as
 * MLflow ignores params a model does not declare. */
static int param_set(ll_payload_params *pp, const char *key, const cJSON *jv, const char *text,
                     ll_payload_response *resp)
{
    static const char *const known[] = {"output",    "threshold", "base_points",
                                        "base_odds", "pdo",       "reasons"};
    int k = -1;
    for (int i = 0; i < 6; i++)
        if (!strcmp(key, known[i])) k = i;
    if (k < 0) return 0;
    char shown[128];
    double v = NAN;
    int is_num = 0;
    if (jv) {
        if (cJSON_IsString(jv)) {
            text = jv->valuestring;
        } else if (cJSON_IsNumber(jv)) {
            v = jv->valuedouble;
            is_num = 1;
        } else {
            ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER,
                             "Invalid value for parameter '%s': expected %s", key,
                             k == 0 ? "one of label, probability, full" : "a number");
            return -1;
        }
    }
    if (is_num)
        ll_numfmt_double(v, shown, sizeof shown);
    else
        snprintf(shown, sizeof shown, "%s", text ? text : "");
    if (k == 0) {
        int o = -1;
        for (int i = 0; i < LL_OUTPUT_COUNT && !is_num && text; i++)
            if (!strcasecmp(text, ll_payload_output_name((ll_payload_output)i))) o = i;
        if (o < 0) {
            ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER,
                             "Invalid value for parameter 'output': '%s' (expected label, "
                             "probability or full)",
                             shown);
            return -1;
        }
        pp->output = (ll_payload_output)o;
        return 0;
    }
    if (!is_num && !(text && ll_numparse(text, strlen(text), &v))) {
        ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER,
                         "Invalid value for parameter '%s': '%s' is not a number", key, shown);
        return -1;
    }
    const char *why = NULL;
    switch (k) {
    case 1:
        if (!(v >= 0 && v <= 1)) why = "a number in [0, 1]";
        pp->threshold = v;
        break;
    case 2:
        if (!isfinite(v)) why = "a finite number";
        pp->scale.base_points = v;
        break;
    case 3:
        if (!(isfinite(v) && v > 0)) why = "a number > 0 (good:bad odds)";
        pp->scale.base_odds = v;
        break;
    case 4:
        if (!(isfinite(v) && v > 0)) why = "a number > 0";
        pp->scale.pdo = v;
        break;
    default:
        /* converted only in range: (int) of 1e300 is undefined */
        if (!(v >= 0 && v <= MAX_REASONS && v == floor(v)))
            why = "an integer in 0..1000";
        else
            pp->reasons = (int)v;
        break;
    }
    if (why) {
        ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER,
                         "Invalid value for parameter '%s': %s (expected %s)", key, shown, why);
        return -1;
    }
    return 0;
}

/* ---------- the request table ---------- */

typedef struct {
    int ncat;
    const char *const *cats;
    char **extra; /* texts unseen by the plan, codes ncat.. */
    size_t nextra, cap;
    char **dict;
} pcat;

struct ll_payload_request {
    const ll_prep *p;
    int nfeat;
    size_t n, cap;
    ll_column *cols;
    pcat *cat;
    ll_table table;
    ll_payload_params params;
    unsigned char *seen; /* per feature: a column of that name was given */
    int *lastkey;        /* records: feature of the k-th key of the previous record */
    size_t nlastkey;
};

static ll_payload_request *req_new(const ll_prep *p)
{
    ll_payload_request *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->p = p;
    r->nfeat = ll_prep_nfeat(p);
    size_t nf = (size_t)(r->nfeat ? r->nfeat : 1);
    r->cols = calloc(nf, sizeof *r->cols);
    r->cat = calloc(nf, sizeof *r->cat);
    r->seen = calloc(nf, 1);
    if (!r->cols || !r->cat || !r->seen) {
        ll_payload_request_free(r);
        return NULL;
    }
    for (int f = 0; f < r->nfeat; f++) {
        ll_column *c = &r->cols[f];
        c->name = (char *)ll_prep_feature_name(p, f);
        c->type = ll_prep_feature_type(p, f);
        if (c->type == LL_COL_CATEGORICAL)
            r->cat[f].cats = ll_prep_categories(p, f, &r->cat[f].ncat);
    }
    r->table.cols = r->cols;
    r->table.ncols = (size_t)r->nfeat;
    r->table.cap_cols = (size_t)r->nfeat;
    ll_payload_params_default(&r->params);
    return r;
}

void ll_payload_request_free(ll_payload_request *r)
{
    if (!r) return;
    for (int f = 0; r->cols && f < r->nfeat; f++) {
        free(r->cols[f].num);
        free(r->cols[f].codes);
    }
    for (int f = 0; r->cat && f < r->nfeat; f++) {
        for (size_t i = 0; i < r->cat[f].nextra; i++) free(r->cat[f].extra[i]);
        free(r->cat[f].extra);
        free(r->cat[f].dict);
    }
    free(r->cols);
    free(r->cat);
    free(r->seen);
    free(r->lastkey);
    free(r);
}

const ll_table *ll_payload_table(const ll_payload_request *r)
{
    return &r->table;
}

const ll_payload_params *ll_payload_params_of(const ll_payload_request *r)
{
    return &r->params;
}

static int oom(ll_payload_response *resp)
{
    ll_payload_error(resp, 500, LL_PAYLOAD_INTERNAL_ERROR, "out of memory");
    return -1;
}

/* Room for rows [0, need), new rows filled with missing values. */
static int req_reserve(ll_payload_request *r, size_t need)
{
    if (need <= r->cap) return 0;
    size_t cap = r->cap ? r->cap : 16;
    while (cap < need) cap *= 2;
    for (int f = 0; f < r->nfeat; f++) {
        ll_column *c = &r->cols[f];
        if (c->type == LL_COL_CATEGORICAL) {
            int32_t *n = realloc(c->codes, cap * sizeof *n);
            if (!n) return -1;
            for (size_t i = r->cap; i < cap; i++) n[i] = -1;
            c->codes = n;
        } else {
            double *n = realloc(c->num, cap * sizeof *n);
            if (!n) return -1;
            for (size_t i = r->cap; i < cap; i++) n[i] = NAN;
            c->num = n;
        }
    }
    r->cap = cap;
    return 0;
}

/* Finish the table: row count, dictionaries of categorical columns (plan categories, then the
 * unseen texts, which the plan maps to its "other" bucket). */
static int req_seal(ll_payload_request *r)
{
    r->table.nrows = r->n;
    for (int f = 0; f < r->nfeat; f++) {
        ll_column *c = &r->cols[f];
        if (c->type != LL_COL_CATEGORICAL) continue;
        pcat *pc = &r->cat[f];
        size_t nd = (size_t)pc->ncat + pc->nextra;
        char **d = realloc(pc->dict, (nd ? nd : 1) * sizeof *d);
        if (!d) return -1;
        pc->dict = d;
        for (int i = 0; i < pc->ncat; i++) d[i] = (char *)pc->cats[i];
        for (size_t i = 0; i < pc->nextra; i++) d[(size_t)pc->ncat + i] = pc->extra[i];
        c->dict = d;
        c->ndict = (int32_t)nd;
        if (!c->codes && !(c->codes = malloc(sizeof *c->codes))) return -1;
    }
    for (int f = 0; f < r->nfeat; f++)
        if (r->cols[f].type != LL_COL_CATEGORICAL && !r->cols[f].num &&
            !(r->cols[f].num = malloc(sizeof(double))))
            return -1;
    return 0;
}

static int bool_word(const char *s, size_t n, double *out)
{
    static const char *const t[] = {"true", "yes", "y", "t"};
    static const char *const f[] = {"false", "no", "n", "f"};
    for (int i = 0; i < 4; i++) {
        if (strlen(t[i]) == n && !strncasecmp(s, t[i], n)) {
            *out = 1;
            return 1;
        }
        if (strlen(f[i]) == n && !strncasecmp(s, f[i], n)) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

/* Where a cell came from, for messages: "row 3" of a JSON request, "line 4" of a CSV body. */
typedef struct {
    const char *word;
    size_t no;
} cellpos;

static int type_error(ll_payload_request *r, int f, cellpos at, const char *got,
                      ll_payload_response *resp)
{
    const ll_column *c = &r->cols[f];
    ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER,
                     "Incompatible input types for column '%s' (%s %zu): expected %s, got %s",
                     c->name, at.word, at.no, c->type == LL_COL_BOOLEAN ? "a boolean" : "a number",
                     got);
    return -1;
}

static int text_error(ll_payload_request *r, int f, cellpos at, const char *s, size_t n,
                      ll_payload_response *resp)
{
    char got[96];
    size_t k = n > 64 ? 64 : n;
    /* the text is shown JSON-quoted, cut at a UTF-8 boundary */
    while (k < n && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    snprintf(got, sizeof got, "'%.*s'%s", (int)k, s, k < n ? "..." : "");
    return type_error(r, f, at, got, resp);
}

static int32_t cat_code(pcat *pc, const ll_prep *p, int f, const char *s, size_t n)
{
    int idx = ll_prep_category_index(p, f, s, n);
    if (idx < pc->ncat) return idx;
    /* unseen: kept verbatim for the answer; repeats close together share an entry */
    size_t lo = pc->nextra > 8 ? pc->nextra - 8 : 0;
    for (size_t i = pc->nextra; i > lo; i--)
        if (strlen(pc->extra[i - 1]) == n && !memcmp(pc->extra[i - 1], s, n))
            return pc->ncat + (int32_t)(i - 1);
    if (pc->nextra == pc->cap) {
        size_t cap = pc->cap ? pc->cap * 2 : 8;
        char **e = realloc(pc->extra, cap * sizeof *e);
        if (!e) return -2;
        pc->extra = e;
        pc->cap = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy) return -2;
    memcpy(copy, s, n);
    copy[n] = '\0';
    pc->extra[pc->nextra] = copy;
    return pc->ncat + (int32_t)pc->nextra++;
}

/* Set cell (f, row) from text: numbers parsed locale-independently, missing markers as in CSV
 * files, categories looked up in the plan. */
static int set_text(ll_payload_request *r, int f, size_t row, const char *s, size_t n, cellpos at,
                    ll_payload_response *resp)
{
    ll_column *c = &r->cols[f];
    if (c->type == LL_COL_CATEGORICAL) {
        if (ll_csv_is_missing(s, n)) {
            c->codes[row] = -1;
            return 0;
        }
        int32_t code = cat_code(&r->cat[f], r->p, f, s, n);
        if (code < 0) return oom(resp);
        c->codes[row] = code;
        return 0;
    }
    double v;
    if (ll_numparse(s, n, &v) || (c->type == LL_COL_BOOLEAN && bool_word(s, n, &v))) {
        c->num[row] = v;
        return 0;
    }
    if (ll_csv_is_missing(s, n)) {
        c->num[row] = NAN;
        return 0;
    }
    return text_error(r, f, at, s, n, resp);
}

static int set_json(ll_payload_request *r, int f, size_t row, const cJSON *v, cellpos at,
                    ll_payload_response *resp)
{
    ll_column *c = &r->cols[f];
    if (!v || cJSON_IsNull(v)) {
        if (c->type == LL_COL_CATEGORICAL)
            c->codes[row] = -1;
        else
            c->num[row] = NAN;
        return 0;
    }
    if (cJSON_IsString(v))
        return set_text(r, f, row, v->valuestring, strlen(v->valuestring), at, resp);
    if (cJSON_IsNumber(v) || cJSON_IsBool(v)) {
        double d = cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsTrue(v) ? 1 : 0;
        if (c->type != LL_COL_CATEGORICAL) {
            c->num[row] = d;
            return 0;
        }
        char buf[64];
        if (cJSON_IsBool(v))
            snprintf(buf, sizeof buf, "%s", cJSON_IsTrue(v) ? "true" : "false");
        else
            ll_numfmt_double(d, buf, sizeof buf);
        return set_text(r, f, row, buf, strlen(buf), at, resp);
    }
    if (c->type == LL_COL_CATEGORICAL) {
        ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER,
                         "Incompatible input types for column '%s' (%s %zu): expected text, "
                         "got %s",
                         c->name, at.word, at.no, cJSON_IsArray(v) ? "a list" : "an object");
        return -1;
    }
    return type_error(r, f, at, cJSON_IsArray(v) ? "a list" : "an object", resp);
}

static int find_feature(const ll_payload_request *r, const char *name)
{
    for (int f = 0; f < r->nfeat; f++)
        if (!strcmp(ll_prep_feature_name(r->p, f), name)) return f;
    return -1;
}

/* Python's repr of a list of strings, as MLflow prints column lists. */
static void py_list(sbuf *b, const char *const *names, size_t n, size_t more)
{
    sb_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sb_puts(b, ", ");
        sb_putc(b, '\'');
        sb_puts(b, names[i]);
        sb_putc(b, '\'');
    }
    if (more) {
        char buf[48];
        snprintf(buf, sizeof buf, ", ... (%zu more)", more);
        sb_puts(b, buf);
    }
    sb_putc(b, ']');
}

/* MLflow's schema check: every feature must be given ("Model is missing inputs [...]"). */
static int check_missing(ll_payload_request *r, const char *const *extra, size_t nextra,
                         size_t extra_more, ll_payload_response *resp)
{
    const char **miss = malloc((size_t)(r->nfeat ? r->nfeat : 1) * sizeof *miss);
    if (!miss) return oom(resp);
    size_t nmiss = 0;
    for (int f = 0; f < r->nfeat; f++)
        if (!r->seen[f]) miss[nmiss++] = ll_prep_feature_name(r->p, f);
    if (!nmiss) {
        free(miss);
        return 0;
    }
    sbuf b = {0};
    sb_puts(&b, "Model is missing inputs ");
    py_list(&b, miss, nmiss, 0);
    sb_puts(&b, ".");
    if (nextra) {
        sb_puts(&b, " Note that there were extra inputs: ");
        py_list(&b, extra, nextra, extra_more);
    }
    free(miss);
    if (b.oom) {
        free(b.p);
        return oom(resp);
    }
    ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER, "%s", b.p);
    free(b.p);
    return -1;
}

/* ---------- JSON requests ---------- */

static const char *py_type(const cJSON *v)
{
    if (cJSON_IsString(v)) return "str";
    if (cJSON_IsBool(v)) return "bool";
    if (cJSON_IsNumber(v)) return v->valuedouble == floor(v->valuedouble) ? "int" : "float";
    if (cJSON_IsNull(v)) return "NoneType";
    if (cJSON_IsArray(v)) return "list";
    return "dict";
}

static int bad_request(ll_payload_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad_request(ll_payload_response *resp, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ll_payload_error(resp, 400, LL_PAYLOAD_BAD_REQUEST, "%s", msg);
    return -1;
}

#define MAX_EXTRA_SHOWN 16

/* Rows given as arrays of values in the model's feature order. */
static int rows_positional(ll_payload_request *r, const cJSON *rows, const char *what,
                           ll_payload_response *resp)
{
    size_t n = (size_t)cJSON_GetArraySize(rows);
    if (req_reserve(r, n)) return oom(resp);
    size_t i = 0;
    for (const cJSON *row = rows->child; row; row = row->next, i++) {
        if (!cJSON_IsArray(row))
            return bad_request(resp,
                               "Invalid input. Provided %s field is not a valid dataframe "
                               "representation. Error: 'row %zu is a %s, not a list of values'",
                               what, i + 1, py_type(row));
        int w = cJSON_GetArraySize(row);
        if (w != r->nfeat)
            return bad_request(resp,
                               "Invalid input. Provided %s field is not a valid dataframe "
                               "representation. Error: 'row %zu has %d values but the model "
                               "has %d inputs; name the columns or give every input in order'",
                               what, i + 1, w, r->nfeat);
        int f = 0;
        for (const cJSON *v = row->child; v; v = v->next, f++)
            if (set_json(r, f, i, v, (cellpos){"row", i + 1}, resp)) return -1;
    }
    r->n = n;
    memset(r->seen, 1, (size_t)r->nfeat);
    return 0;
}

static int parse_split(ll_payload_request *r, const cJSON *v, ll_payload_response *resp)
{
    if (!cJSON_IsObject(v)) {
        if (cJSON_IsArray(v))
            return bad_request(resp,
                               "Invalid input. Dataframe split format must be a dictionary. Got "
                               "list.");
        return bad_request(resp,
                           "Invalid input. Dataframe split format must be a dictionary. Got type "
                           "<class '%s'>.",
                           py_type(v));
    }
    const cJSON *columns = NULL, *data = NULL, *index = NULL;
    int bad_keys = 0;
    for (const cJSON *k = v->child; k; k = k->next) {
        if (!strcmp(k->string, "columns"))
            columns = k;
        else if (!strcmp(k->string, "data"))
            data = k;
        else if (!strcmp(k->string, "index"))
            index = k;
        else
            bad_keys = 1;
    }
    if (!data || bad_keys) {
        sbuf b = {0};
        sb_putc(&b, '{');
        for (const cJSON *k = v->child; k; k = k->next) {
            if (k != v->child) sb_puts(&b, ", ");
            sb_putc(&b, '\'');
            sb_puts(&b, k->string);
            sb_putc(&b, '\'');
        }
        sb_putc(&b, '}');
        if (b.oom) return oom(resp);
        bad_request(resp,
                    "Invalid input. Dataframe split format must have 'data' field and optionally "
                    "'columns' and 'index' fields. Got %s.",
                    b.p ? b.p : "set()");
        free(b.p);
        return -1;
    }
    static const char what[] = "dataframe_split";
    if (!cJSON_IsArray(data))
        return bad_request(resp,
                           "Invalid input. Provided dataframe_split field is not a valid "
                           "dataframe representation in 'split' format. Error: 'data must be a "
                           "list of rows, got %s'",
                           py_type(data));
    size_t n = (size_t)cJSON_GetArraySize(data);
    if (index && !cJSON_IsNull(index) &&
        (!cJSON_IsArray(index) || (size_t)cJSON_GetArraySize(index) != n))
        return bad_request(resp,
                           "Invalid input. Provided dataframe_split field is not a valid "
                           "dataframe representation in 'split' format. Error: 'Shape of passed "
                           "values is (%zu, ...), index implies (%d, ...)'",
                           n, cJSON_IsArray(index) ? cJSON_GetArraySize(index) : 1);
    if (!columns || cJSON_IsNull(columns)) return rows_positional(r, data, what, resp);
    if (!cJSON_IsArray(columns))
        return bad_request(resp,
                           "Invalid input. Provided dataframe_split field is not a valid "
                           "dataframe representation in 'split' format. Error: 'columns must be "
                           "a list of names, got %s'",
                           py_type(columns));
    int ncols = cJSON_GetArraySize(columns);
    int *map = malloc((size_t)(ncols ? ncols : 1) * sizeof *map);
    const char **extra = malloc((size_t)(ncols ? ncols : 1) * sizeof *extra);
    char(*numname)[64] = calloc((size_t)(ncols ? ncols : 1), sizeof *numname);
    if (!map || !extra || !numname) {
        free(map);
        free(extra);
        free(numname);
        return oom(resp);
    }
    size_t nextra = 0;
    int c = 0, rc = 0;
    for (const cJSON *k = columns->child; k; k = k->next, c++) {
        const char *name = NULL;
        if (cJSON_IsString(k)) {
            name = k->valuestring;
        } else if (cJSON_IsNumber(k)) {
            name = ll_numfmt_double(k->valuedouble, numname[c], sizeof numname[c]);
        } else {
            snprintf(numname[c], sizeof numname[c], "%s", cJSON_IsNull(k) ? "None" : py_type(k));
            name = numname[c];
        }
        int f = find_feature(r, name);
        /* a repeated column name: the first one is used */
        if (f >= 0 && r->seen[f]) f = -1;
        map[c] = f;
        if (f >= 0)
            r->seen[f] = 1;
        else
            extra[nextra++] = name;
    }
    rc = check_missing(r, extra, nextra > MAX_EXTRA_SHOWN ? MAX_EXTRA_SHOWN : nextra,
                       nextra > MAX_EXTRA_SHOWN ? nextra - MAX_EXTRA_SHOWN : 0, resp);
    if (!rc && req_reserve(r, n)) rc = oom(resp);
    size_t i = 0;
    for (const cJSON *row = data->child; !rc && row; row = row->next, i++) {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != ncols) {
            rc = bad_request(resp,
                             "Invalid input. Provided dataframe_split field is not a valid "
                             "dataframe representation in 'split' format. Error: '%d columns "
                             "passed, passed data had %d columns'",
                             ncols, cJSON_IsArray(row) ? cJSON_GetArraySize(row) : 1);
            break;
        }
        int j = 0;
        for (const cJSON *cell = row->child; cell; cell = cell->next, j++)
            if (map[j] >= 0 && set_json(r, map[j], i, cell, (cellpos){"row", i + 1}, resp)) {
                rc = -1;
                break;
            }
    }
    if (!rc) r->n = n;
    free(map);
    free(extra);
    free(numname);
    return rc;
}

/* A list of {column: value} objects; a key absent from a record is a missing value (as pandas
 * builds the frame), a column absent from every record is a missing input. */
static int rows_records(ll_payload_request *r, const cJSON *rows, const char *what,
                        ll_payload_response *resp)
{
    size_t n = (size_t)cJSON_GetArraySize(rows);
    const char *extra[MAX_EXTRA_SHOWN];
    size_t nextra = 0, extra_more = 0;
    size_t i = 0;
    /* first pass: shapes and columns, so a missing input is reported before any cell */
    for (const cJSON *rec = rows->child; rec; rec = rec->next, i++) {
        if (!cJSON_IsObject(rec))
            return bad_request(resp,
                               "Invalid input. Provided %s field is not a valid dataframe "
                               "representation in 'records' format. Error: 'record %zu is a "
                               "%s, not an object'",
                               what, i + 1, py_type(rec));
        size_t k = 0;
        for (const cJSON *kv = rec->child; kv; kv = kv->next, k++) {
            int f = -1;
            if (k < r->nlastkey && r->lastkey[k] >= 0 &&
                !strcmp(ll_prep_feature_name(r->p, r->lastkey[k]), kv->string))
                f = r->lastkey[k];
            else
                f = find_feature(r, kv->string);
            if (k >= r->nlastkey) {
                int *nl = realloc(r->lastkey, (k + 1) * sizeof *nl);
                if (!nl) return oom(resp);
                r->lastkey = nl;
                r->nlastkey = k + 1;
            }
            r->lastkey[k] = f;
            if (f >= 0) {
                r->seen[f] = 1;
                continue;
            }
            int dup = 0;
            for (size_t e = 0; e < nextra; e++) dup |= !strcmp(extra[e], kv->string);
            if (dup) continue;
            if (nextra < MAX_EXTRA_SHOWN)
                extra[nextra++] = kv->string;
            else
                extra_more++;
        }
    }
    if (check_missing(r, extra, nextra, extra_more, resp)) return -1;
    if (req_reserve(r, n)) return oom(resp);
    i = 0;
    for (const cJSON *rec = rows->child; rec; rec = rec->next, i++) {
        size_t k = 0;
        for (const cJSON *kv = rec->child; kv; kv = kv->next, k++) {
            int f = -1;
            if (k < r->nlastkey && r->lastkey[k] >= 0 &&
                !strcmp(ll_prep_feature_name(r->p, r->lastkey[k]), kv->string))
                f = r->lastkey[k];
            else
                f = find_feature(r, kv->string);
            if (k < r->nlastkey) r->lastkey[k] = f;
            if (f >= 0 && set_json(r, f, i, kv, (cellpos){"row", i + 1}, resp)) return -1;
        }
    }
    r->n = n;
    return 0;
}

static int parse_records(ll_payload_request *r, const cJSON *v, ll_payload_response *resp)
{
    if (!cJSON_IsArray(v)) {
        if (cJSON_IsObject(v))
            return bad_request(resp, "Invalid input. Dataframe records format must be a list of "
                                     "records. Got dictionary.");
        return bad_request(resp,
                           "Invalid input. Dataframe records format must be a list of records. "
                           "Got type <class '%s'>.",
                           py_type(v));
    }
    return rows_records(r, v, "dataframe_records", resp);
}

/* {column: [values...]} (columns of equal length) or {column: value} (one row). */
static int columns_dict(ll_payload_request *r, const cJSON *v, ll_payload_response *resp)
{
    long n = -1;
    for (const cJSON *kv = v->child; kv; kv = kv->next) {
        long len = cJSON_IsArray(kv) ? cJSON_GetArraySize(kv) : 1;
        if (n >= 0 && len != n)
            return bad_request(resp, "Invalid input. The length of values for each input/column "
                                     "name are not the same");
        n = len;
    }
    if (n < 0) n = 0;
    const char *extra[MAX_EXTRA_SHOWN];
    size_t nextra = 0, extra_more = 0;
    for (const cJSON *kv = v->child; kv; kv = kv->next) {
        int f = find_feature(r, kv->string);
        if (f >= 0)
            r->seen[f] = 1;
        else if (nextra < MAX_EXTRA_SHOWN)
            extra[nextra++] = kv->string;
        else
            extra_more++;
    }
    if (check_missing(r, extra, nextra, extra_more, resp)) return -1;
    if (req_reserve(r, (size_t)n)) return oom(resp);
    for (int f = 0; f < r->nfeat; f++) r->seen[f] = 0;
    for (const cJSON *kv = v->child; kv; kv = kv->next) {
        int f = find_feature(r, kv->string);
        if (f < 0 || r->seen[f]) continue;
        r->seen[f] = 1;
        if (!cJSON_IsArray(kv)) {
            if (set_json(r, f, 0, kv, (cellpos){"row", 1}, resp)) return -1;
            continue;
        }
        size_t i = 0;
        for (const cJSON *cell = kv->child; cell; cell = cell->next, i++)
            if (set_json(r, f, i, cell, (cellpos){"row", i + 1}, resp)) return -1;
    }
    r->n = (size_t)n;
    return 0;
}

/* "instances" and "inputs" (TF serving style). */
static int parse_tf(ll_payload_request *r, const char *key, const cJSON *v,
                    ll_payload_response *resp)
{
    if (cJSON_IsObject(v)) return columns_dict(r, v, resp);
    if (!cJSON_IsArray(v))
        return bad_request(resp,
                           "Invalid input. Failed to parse input data: '%s' must be a list of "
                           "records, a list of rows or a dictionary of columns, got <class "
                           "'%s'>",
                           key, py_type(v));
    const cJSON *first = v->child;
    if (!first) return 0;
    if (cJSON_IsObject(first)) return rows_records(r, v, key, resp);
    if (cJSON_IsArray(first)) return rows_positional(r, v, key, resp);
    if (r->nfeat != 1)
        return bad_request(resp,
                           "Invalid input. A list of single values fits a model with one input; "
                           "this model has %d: send a list of records, a list of rows or a "
                           "dictionary of columns",
                           r->nfeat);
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    if (req_reserve(r, n)) return oom(resp);
    for (const cJSON *cell = first; cell; cell = cell->next, i++)
        if (set_json(r, 0, i, cell, (cellpos){"row", i + 1}, resp)) return -1;
    r->n = n;
    r->seen[0] = 1;
    return 0;
}

static int parse_json(ll_payload_request *r, const char *body, size_t len,
                      ll_payload_response *resp)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) {
        long line = 1, col = 1;
        for (const char *c = body; end && c < end && c < body + len; c++) {
            if (*c == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return bad_request(resp,
                           "Invalid input. Ensure that input is a valid JSON formatted string. "
                           "Error: 'JSONDecodeError: %s: line %ld column %ld (char %ld)'",
                           len == 0 ? "Expecting value" : "malformed JSON", line, col,
                           end ? (long)(end - body) : 0L);
    }
    int rc = 0;
    if (cJSON_IsArray(root)) {
        rc = bad_request(resp, "Invalid input. %s. Received a list.", REQUIRED_INPUT_FORMAT);
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        rc = bad_request(resp, "Invalid input. %s. Received unexpected input type '<class '%s'>.",
                         REQUIRED_INPUT_FORMAT, py_type(root));
        goto done;
    }
    static const char *const formats[] = {"dataframe_split", "dataframe_records", "instances",
                                          "inputs"};
    const cJSON *found[4] = {0};
    const char *names[8];
    size_t nfound = 0;
    const cJSON *params = NULL;
    for (const cJSON *k = root->child; k; k = k->next) {
        if (!strcmp(k->string, "params")) {
            params = k;
            continue;
        }
        for (int i = 0; i < 4; i++)
            if (!strcmp(k->string, formats[i])) {
                if (nfound < 8) names[nfound] = k->string;
                nfound++;
                found[i] = k;
            }
    }
    if (nfound != 1) {
        sbuf b = {0};
        py_list(&b, names, nfound < 8 ? nfound : 8, 0);
        if (b.oom) {
            rc = oom(resp);
            goto done;
        }
        rc = bad_request(resp, "%s. Received dictionary with input fields: %s.",
                         REQUIRED_INPUT_FORMAT, b.p);
        free(b.p);
        goto done;
    }
    if (params && !cJSON_IsNull(params)) {
        if (!cJSON_IsObject(params)) {
            ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER,
                             "params must be a dictionary of parameter names to values, got "
                             "<class '%s'>",
                             py_type(params));
            rc = -1;
            goto done;
        }
        for (const cJSON *kv = params->child; kv && !rc; kv = kv->next)
            rc = param_set(&r->params, kv->string, kv, NULL, resp);
        if (rc) goto done;
    }
    if (found[0])
        rc = parse_split(r, found[0], resp);
    else if (found[1])
        rc = parse_records(r, found[1], resp);
    else
        rc = parse_tf(r, found[2] ? "instances" : "inputs", found[2] ? found[2] : found[3], resp);
done:
    cJSON_Delete(root);
    return rc;
}

/* ---------- CSV requests ---------- */

typedef struct {
    ll_payload_request *r;
    ll_payload_response *resp;
    int failed;
    int header_done;
    /* header */
    char **hdr;
    size_t nhdr, caphdr;
    int *map; /* per input column: feature or -1 */
    size_t field;
    size_t line; /* 1-based row number (the header is line 1) */
} csvstate;

static int csv_fail_pandas(csvstate *S, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int csv_fail_pandas(csvstate *S, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bad_request(S->resp,
                "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid "
                "CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` "
                "method. Error: '%s'",
                msg);
    S->failed = 1;
    return -1;
}

static void csv_on_field(void *s, size_t len, void *ud)
{
    csvstate *S = ud;
    if (S->failed) return;
    const char *txt = s ? s : "";
    if (!S->header_done) {
        if (S->nhdr == S->caphdr) {
            size_t cap = S->caphdr ? S->caphdr * 2 : 32;
            char **h = realloc(S->hdr, cap * sizeof *h);
            if (!h) {
                oom(S->resp);
                S->failed = 1;
                return;
            }
            S->hdr = h;
            S->caphdr = cap;
        }
        /* a UTF-8 byte order mark before the first name is not part of it */
        if (!S->nhdr && len >= 3 && !memcmp(txt, "\xEF\xBB\xBF", 3)) {
            txt += 3;
            len -= 3;
        }
        char *copy = malloc(len + 1);
        if (!copy) {
            oom(S->resp);
            S->failed = 1;
            return;
        }
        memcpy(copy, txt, len);
        copy[len] = '\0';
        S->hdr[S->nhdr++] = copy;
        return;
    }
    size_t i = S->field++;
    if (i >= S->nhdr) return; /* reported at the end of the row */
    int f = S->map[i];
    if (f < 0) return;
    ll_payload_request *r = S->r;
    if (req_reserve(r, r->n + 1)) {
        oom(S->resp);
        S->failed = 1;
        return;
    }
    if (set_text(r, f, r->n, txt, len, (cellpos){"line", S->line + 1}, S->resp)) S->failed = 1;
}

static void csv_on_row(int c, void *ud)
{
    (void)c;
    csvstate *S = ud;
    if (S->failed) return;
    S->line++;
    if (!S->header_done) {
        S->header_done = 1;
        S->map = malloc((S->nhdr ? S->nhdr : 1) * sizeof *S->map);
        if (!S->map) {
            oom(S->resp);
            S->failed = 1;
            return;
        }
        const char *extra[MAX_EXTRA_SHOWN];
        size_t nextra = 0, extra_more = 0;
        for (size_t i = 0; i < S->nhdr; i++) {
            int f = find_feature(S->r, S->hdr[i]);
            if (f >= 0 && S->r->seen[f]) f = -1;
            S->map[i] = f;
            if (f >= 0)
                S->r->seen[f] = 1;
            else if (nextra < MAX_EXTRA_SHOWN)
                extra[nextra++] = S->hdr[i];
            else
                extra_more++;
        }
        if (check_missing(S->r, extra, nextra, extra_more, S->resp)) S->failed = 1;
        return;
    }
    if (S->field != S->nhdr) {
        csv_fail_pandas(S, "Error tokenizing data. Expected %zu fields in line %zu, saw %zu",
                        S->nhdr, S->line, S->field);
        return;
    }
    S->field = 0;
    S->r->n++;
}

static int parse_csv(ll_payload_request *r, const char *body, size_t len, ll_payload_response *resp)
{
    struct csv_parser p;
    if (csv_init(&p, 0) != 0) return oom(resp);
    csvstate S;
    memset(&S, 0, sizeof S);
    S.r = r;
    S.resp = resp;
    int rc = 0;
    if (csv_parse(&p, body, len, csv_on_field, csv_on_row, &S) != len && !S.failed)
        rc = csv_fail_pandas(&S, "%s", csv_strerror(csv_error(&p)));
    if (!rc && !S.failed) csv_fini(&p, csv_on_field, csv_on_row, &S);
    csv_free(&p);
    if (!rc && !S.failed && !S.header_done)
        rc = csv_fail_pandas(&S, "No columns to parse from file");
    if (S.failed) rc = -1;
    for (size_t i = 0; i < S.nhdr; i++) free(S.hdr[i]);
    free(S.hdr);
    free(S.map);
    return rc;
}

/* ---------- content types ---------- */

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s)) (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

/* 0 JSON, 1 CSV, -1 refused (resp filled with MLflow's 415 text). */
static int content_kind(const char *ct, ll_payload_response *resp)
{
    static const char types[] = "['text/csv', 'application/json']";
    char msg[1024];
    if (!ct) {
        snprintf(msg, sizeof msg,
                 "This predictor only supports the following content types: Types: %s. Got "
                 "'None'.",
                 types);
        ll_payload_text(resp, 415, "text/plain", msg, strlen(msg));
        return -1;
    }
    const char *semi = strchr(ct, ';');
    const char *ms = ct, *me = semi ? semi : ct + strlen(ct);
    trim(&ms, &me);
    int kind = -1;
    if ((size_t)(me - ms) == 16 && !strncasecmp(ms, "application/json", 16)) kind = 0;
    if ((size_t)(me - ms) == 8 && !strncasecmp(ms, "text/csv", 8)) kind = 1;
    /* parameters: only charset, and only UTF-8 */
    char unknown[512] = "";
    size_t ul = 0;
    int bad_charset = 0;
    for (const char *p = semi; p && *p;) {
        p++;
        const char *ne = strchr(p, ';');
        const char *ks = p, *ke = ne ? ne : p + strlen(p);
        const char *eq = memchr(ks, '=', (size_t)(ke - ks));
        const char *vs = eq ? eq + 1 : ke, *ve = ke;
        const char *kend = eq ? eq : ke;
        trim(&ks, &kend);
        trim(&vs, &ve);
        if (vs < ve && *vs == '"' && ve[-1] == '"' && ve - vs >= 2) {
            vs++;
            ve--;
        }
        if (kend > ks) {
            if ((size_t)(kend - ks) == 7 && !strncasecmp(ks, "charset", 7)) {
                if (!((size_t)(ve - vs) == 5 && !strncasecmp(vs, "utf-8", 5))) bad_charset = 1;
            } else if (ul + (size_t)(kend - ks) + 3 < sizeof unknown) {
                ul += (size_t)snprintf(unknown + ul, sizeof unknown - ul, "%s%.*s", ul ? ", " : "",
                                       (int)(kend - ks), ks);
            }
        }
        p = ne;
    }
    if (bad_charset) {
        static const char m[] = "The scoring server only supports UTF-8";
        ll_payload_text(resp, 415, "text/plain", m, sizeof m - 1);
        return -1;
    }
    if (ul) {
        snprintf(msg, sizeof msg, "Unrecognized content type parameters: %s.", unknown);
        ll_payload_text(resp, 415, "text/plain", msg, strlen(msg));
        return -1;
    }
    if (kind < 0) {
        snprintf(msg, sizeof msg,
                 "This predictor only supports the following content types: Types: %s. Got "
                 "'%.*s'.",
                 types, (int)(strlen(ct) > 200 ? 200 : strlen(ct)), ct);
        ll_payload_text(resp, 415, "text/plain", msg, strlen(msg));
        return -1;
    }
    return kind;
}

ll_status ll_payload_parse(const ll_prep *p, const char *content_type, const char *body, size_t len,
                           const char *const *query, size_t nquery, ll_payload_request **out,
                           ll_payload_response *resp)
{
    *out = NULL;
    int kind = content_kind(content_type, resp);
    if (kind < 0) return LL_EINVAL;
    size_t bad = body ? utf8_valid_prefix(body, len) : len;
    if (bad < len) {
        bad_request(resp,
                    "Invalid input. The body must be UTF-8 text: 'utf-8' codec can't decode "
                    "byte 0x%02x in position %zu",
                    (unsigned char)body[bad], bad);
        return LL_EINVAL;
    }
    ll_payload_request *r = req_new(p);
    if (!r) {
        oom(resp);
        return LL_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < nquery && !rc; i++)
        if (query[2 * i] && query[2 * i + 1])
            rc = param_set(&r->params, query[2 * i], NULL, query[2 * i + 1], resp);
    if (!rc)
        rc = kind == 0 ? parse_json(r, body ? body : "", len, resp)
                       : parse_csv(r, body ? body : "", len, resp);
    if (!rc && req_seal(r)) rc = oom(resp);
    if (rc) {
        ll_payload_request_free(r);
        return resp->status >= 500 ? LL_ENOMEM : LL_EINVAL;
    }
    *out = r;
    return LL_OK;
}

/* ---------- answers ---------- */

/* The value the model saw in cell (f, row): a number, a category's text, or null. */
static void put_value(sbuf *b, const ll_column *c, size_t row)
{
    if (c->type == LL_COL_CATEGORICAL) {
        int32_t code = c->codes[row];
        if (code < 0 || code >= c->ndict)
            sb_puts(b, "null");
        else
            sb_jstrz(b, c->dict[code]);
        return;
    }
    sb_num(b, c->num[row]);
}

ll_status ll_payload_score(const ll_model *m, const ll_shap *shap, const ll_payload_request *r,
                           ll_payload_response *resp)
{
    const ll_payload_params *pp = &r->params;
    size_t n = r->n;
    int nf = r->nfeat;
    if (pp->output == LL_OUTPUT_FULL && !shap) {
        ll_payload_error(resp, 400, LL_PAYLOAD_INVALID_PARAMETER,
                         "output=full is not available for this model (no contributions)");
        return LL_ESTATE;
    }
    double *prob = malloc((n ? n : 1) * sizeof *prob);
    double *contrib = NULL;
    size_t *idx = NULL;
    if (!prob) {
        oom(resp);
        return LL_ENOMEM;
    }
    ll_error err;
    ll_error_clear(&err);
    ll_status st = ll_model_predict(m, &r->table, prob, &err);
    if (!st && pp->output == LL_OUTPUT_FULL) {
        contrib = malloc((n ? n : 1) * ((size_t)nf + 1) * sizeof *contrib);
        idx = malloc((size_t)(pp->reasons ? pp->reasons : 1) * sizeof *idx);
        if (!contrib || !idx)
            st = ll_error_set(&err, LL_ENOMEM, "out of memory");
        else
            st = ll_shap_explain(shap, &r->table, contrib, &err);
    }
    if (st) {
        char ebuf[1200];
        if (st == LL_ENOMEM)
            oom(resp);
        else
            ll_payload_error(resp, 400, LL_PAYLOAD_BAD_REQUEST,
                             "Encountered an unexpected error while evaluating the model. Verify "
                             "that the serialized input Dataframe is compatible with the model "
                             "for inference. Error: %s",
                             ll_error_format(&err, ebuf, sizeof ebuf));
        free(prob);
        free(contrib);
        free(idx);
        return st;
    }
    sbuf b = {0};
    sb_reserve(&b, 32 + n * (pp->output == LL_OUTPUT_LABEL ? 3 : 24));
    sb_puts(&b, "{\"predictions\": [");
    const ll_prep *plan = ll_model_prep(m);
    for (size_t i = 0; i < n && !b.oom; i++) {
        if (i) sb_puts(&b, ", ");
        int label = prob[i] >= pp->threshold;
        if (pp->output == LL_OUTPUT_LABEL) {
            sb_putc(&b, label ? '1' : '0');
            continue;
        }
        if (pp->output == LL_OUTPUT_PROBABILITY) {
            sb_num(&b, prob[i]);
            continue;
        }
        sb_puts(&b, "{\"probability\": ");
        sb_num(&b, prob[i]);
        sb_puts(&b, ", \"label\": ");
        sb_putc(&b, label ? '1' : '0');
        sb_puts(&b, ", \"class\": ");
        sb_jstrz(&b, label ? ll_prep_positive_label(plan) : ll_prep_negative_label(plan));
        sb_puts(&b, ", \"score\": ");
        sb_num(&b, ll_scorecard_points(&pp->scale, prob[i]));
        sb_puts(&b, ", \"reasons\": [");
        const double *row = contrib + i * ((size_t)nf + 1);
        size_t k = ll_scorecard_reasons(row, (size_t)nf, (size_t)pp->reasons, idx);
        for (size_t j = 0; j < k; j++) {
            int f = (int)idx[j];
            if (j) sb_puts(&b, ", ");
            sb_puts(&b, "{\"feature\": ");
            sb_jstrz(&b, ll_prep_feature_name(plan, f));
            sb_puts(&b, ", \"value\": ");
            put_value(&b, &r->cols[f], i);
            sb_puts(&b, ", \"contribution\": ");
            sb_num(&b, row[f]);
            sb_putc(&b, '}');
        }
        sb_puts(&b, "]}");
    }
    sb_puts(&b, "]}");
    free(prob);
    free(contrib);
    free(idx);
    set_body(resp, 200, "application/json", &b);
    return resp->status == 200 ? LL_OK : LL_ENOMEM;
}

void ll_payload_invoke(const ll_model *m, const ll_shap *shap, const char *content_type,
                       const char *body, size_t len, const char *const *query, size_t nquery,
                       ll_payload_response *resp, size_t *rows)
{
    if (rows) *rows = 0;
    ll_payload_request *r = NULL;
    if (ll_payload_parse(ll_model_prep(m), content_type, body, len, query, nquery, &r, resp))
        return;
    if (!ll_payload_score(m, shap, r, resp) && rows) *rows = r->n;
    ll_payload_request_free(r);
}
