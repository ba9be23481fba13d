/* runindex: per-experiment cache of run listings, so a large store lists from one file. */
#include "runindex.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "numfmt.h"

/* File layout, one record a line, fields separated by tabs; in text fields '\\', tab, newline,
 * carriage return and NUL are written \\ \t \n \r \0:
 *   lendlab-runs <TAB> 1 <TAB> <experiment id>
 *   r <run id> <inode> <ctime s> <ctime ns> <mtime s> <mtime ns> <status> <deleted> <start>
 *     <end> <complete> <run name> <user id> <artifact uri>
 *   p <key> <value>                         a param of the run above
 *   t <key> <value>                         a tag
 *   m <key> <value> <timestamp> <step>      a metric's latest point
 *   a <kind digit><key>                     a key found absent
 *   end <runs> <FNV-1a 64 of every byte before this line, 16 hex digits> */
#define MAGIC   "lendlab-runs"
#define VERSION "1"

uint64_t ll_runindex_checksum(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ------------------------------------------------------------------ writing */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n + 1) nc *= 2;
        char *nb = realloc(b->buf, nc);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = nc;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* A text field, escaped, after a tab. */
static void sb_field(sbuf *b, const char *s)
{
    sb_put(b, "\t", 1);
    const char *run = s;
    for (const char *p = s;; p++) {
        const char *esc = NULL;
        switch (*p) {
        case '\\':
            esc = "\\\\";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            break;
        }
        if (!esc && *p) continue;
        sb_put(b, run, (size_t)(p - run));
        if (!*p) break;
        sb_put(b, esc, 2);
        run = p + 1;
    }
}

static void sb_num(sbuf *b, long long v)
{
    char num[32];
    int n = snprintf(num, sizeof num, "\t%lld", v);
    sb_put(b, num, (size_t)n);
}

static void sb_double(sbuf *b, double v)
{
    char num[LL_NUMFMT_MAX];
    ll_store_metric_value_format(v, num, sizeof num);
    sb_field(b, num);
}

ll_status ll_runindex_format(const char *exp_id, const ll_run *const *runs, const struct stat *sbs,
                             const int *deleted, size_t n, char **text, size_t *len, ll_error *err)
{
    sbuf b = {0};
    sb_str(&b, MAGIC "\t" VERSION);
    sb_field(&b, exp_id);
    sb_put(&b, "\n", 1);
    for (size_t i = 0; i < n; i++) {
        const ll_run *r = runs[i];
        const struct stat *sb = &sbs[i];
        sb_str(&b, "r");
        sb_field(&b, r->run_id);
        char ino[32];
        snprintf(ino, sizeof ino, "%llu", (unsigned long long)sb->st_ino);
        sb_field(&b, ino);
        sb_num(&b, (long long)sb->st_ctim.tv_sec);
        sb_num(&b, (long long)sb->st_ctim.tv_nsec);
        sb_num(&b, (long long)sb->st_mtim.tv_sec);
        sb_num(&b, (long long)sb->st_mtim.tv_nsec);
        sb_num(&b, (long long)r->status);
        sb_num(&b, deleted[i] ? 1 : 0);
        sb_num(&b, r->start_time);
        sb_num(&b, r->end_time);
        sb_num(&b, r->complete ? 1 : 0);
        sb_field(&b, r->run_name);
        sb_field(&b, r->user_id);
        sb_field(&b, r->artifact_uri);
        sb_put(&b, "\n", 1);
        for (size_t k = 0; k < r->nparams; k++) {
            sb_str(&b, "p");
            sb_field(&b, r->params[k].key);
            sb_field(&b, r->params[k].value);
            sb_put(&b, "\n", 1);
        }
        for (size_t k = 0; k < r->ntags; k++) {
            sb_str(&b, "t");
            sb_field(&b, r->tags[k].key);
            sb_field(&b, r->tags[k].value);
            sb_put(&b, "\n", 1);
        }
        for (size_t k = 0; k < r->nmetrics; k++) {
            sb_str(&b, "m");
            sb_field(&b, r->metrics[k].key);
            sb_double(&b, r->metrics[k].value);
            sb_num(&b, r->metrics[k].timestamp);
            sb_num(&b, r->metrics[k].step);
            sb_put(&b, "\n", 1);
        }
        for (size_t k = 0; k < r->nabsent; k++) {
            sb_str(&b, "a");
            sb_field(&b, r->absent[k]);
            sb_put(&b, "\n", 1);
        }
    }
    if (!b.oom) {
        char end[64];
        int m = snprintf(end, sizeof end, "end\t%zu\t%016llx\n", n,
                         (unsigned long long)ll_runindex_checksum(b.buf, b.len));
        sb_put(&b, end, (size_t)m);
    }
    if (b.oom) {
        free(b.buf);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    *text = b.buf;
    *len = b.len;
    return LL_OK;
}

/* ------------------------------------------------------------------ reading */

/* Split line [s, e) at tabs into up to max fields, unescaping each in place (the line is a
 * private copy); returns the number of fields, -1 on a bad escape or too many fields. */
static int split_fields(char *s, char *e, char **f, size_t *fl, int max)
{
    int n = 0;
    char *p = s;
    for (;;) {
        if (n == max) return -1;
        char *w = p, *start = p;
        while (p < e && *p != '\t') {
            if (*p == '\\') {
                if (p + 1 >= e) return -1;
                char c = p[1];
                *w++ = c == '\\' ? '\\' : c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : 0;
                if (c != '\\' && c != 't' && c != 'n' && c != 'r') return -1;
                p += 2;
            } else {
                *w++ = *p++;
            }
        }
        f[n] = start;
        fl[n] = (size_t)(w - start);
        n++;
        if (p >= e) break;
        *w = '\0'; /* w <= p: the tab, or an earlier byte, becomes the terminator */
        p++;
    }
    f[n - 1][fl[n - 1]] = '\0'; /* e is the newline, also writable */
    return n;
}

static int parse_ll(const char *s, long long *out)
{
    if (!*s) return 0;
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (*e || errno) return 0;
    *out = v;
    return 1;
}

static int parse_ull(const char *s, unsigned long long *out)
{
    if (*s < '0' || *s > '9') return 0;
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (*e || errno) return 0;
    *out = v;
    return 1;
}

/* Exactly what ll_store_metric_value_format writes. */
static int parse_double(const char *s, size_t n, double *out)
{
    if (ll_numparse(s, n, out)) return 1;
    if (!strcmp(s, "nan")) {
        *out = NAN;
        return 1;
    }
    if (!strcmp(s, "inf") || !strcmp(s, "-inf")) {
        *out = s[0] == '-' ? -INFINITY : INFINITY;
        return 1;
    }
    return 0;
}

/* A run directory name: what read_run accepts as a run id and a path component. */
static int valid_name(const char *s, size_t n)
{
    if (!n || n > 255 || !strcmp(s, ".") || !strcmp(s, "..")) return 0;
    return !memchr(s, '/', n) && !memchr(s, '\0', n);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const ll_runindex_entry *)a)->name, ((const ll_runindex_entry *)b)->name);
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    void *na = realloc(*arr, nc * size);
    if (!na) return -1;
    *arr = na;
    *cap = nc;
    return 0;
}

/* Parse one record line (a private, writable copy ending at e, *e the newline) into ix; cur is
 * the entry records p/t/m/a belong to. Returns 1 when well formed, 0 when not, -1 on ENOMEM. */
typedef struct {
    size_t cap_items;
    size_t cap_params, cap_tags, cap_metrics, cap_absent;
} caps;

static int parse_record(char *s, char *e, ll_runindex *ix, caps *c, const char *exp_id)
{
    char *f[16];
    size_t fl[16];
    int nf = split_fields(s, e, f, fl, 16);
    if (nf < 1 || fl[0] != 1) return 0;
    ll_run *r = ix->n ? ix->items[ix->n - 1].run : NULL;
    switch (f[0][0]) {
    case 'r': {
        if (nf != 15 || !valid_name(f[1], fl[1])) return 0;
        ll_runindex_entry en = {0};
        long long status, deleted, complete, start, end;
        if (!parse_ull(f[2], &en.ino) || !parse_ll(f[3], &en.ctime_s) ||
            !parse_ll(f[4], &en.ctime_ns) || !parse_ll(f[5], &en.mtime_s) ||
            !parse_ll(f[6], &en.mtime_ns) || !parse_ll(f[7], &status) ||
            !parse_ll(f[8], &deleted) || !parse_ll(f[9], &start) || !parse_ll(f[10], &end) ||
            !parse_ll(f[11], &complete))
            return 0;
        if (status != LL_RUN_FINISHED && status != LL_RUN_FAILED && status != LL_RUN_KILLED)
            return 0;
        if ((deleted != 0 && deleted != 1) || (complete != 0 && complete != 1)) return 0;
        if (memchr(f[12], '\0', fl[12]) || memchr(f[13], '\0', fl[13]) ||
            memchr(f[14], '\0', fl[14]))
            return 0;
        if (grow((void **)&ix->items, &c->cap_items, ix->n, sizeof *ix->items)) return -1;
        r = calloc(1, sizeof *r);
        if (!r) return -1;
        en.run = r;
        en.name = strndup(f[1], fl[1]);
        ix->items[ix->n++] = en;
        c->cap_params = c->cap_tags = c->cap_metrics = c->cap_absent = 0;
        r->run_id = strndup(f[1], fl[1]);
        r->experiment_id = strdup(exp_id);
        r->run_name = strndup(f[12], fl[12]);
        r->user_id = strndup(f[13], fl[13]);
        r->artifact_uri = strndup(f[14], fl[14]);
        r->status = (ll_run_status)status;
        r->deleted = (int)deleted;
        r->start_time = start;
        r->end_time = end;
        r->complete = (int)complete;
        if (!en.name || !r->run_id || !r->experiment_id || !r->run_name || !r->user_id ||
            !r->artifact_uri)
            return -1;
        return 1;
    }
    case 'p':
    case 't': {
        if (!r || nf != 3 || !fl[1] || memchr(f[1], '\0', fl[1])) return 0;
        int param = f[0][0] == 'p';
        ll_kv **arr = param ? &r->params : &r->tags;
        size_t *n = param ? &r->nparams : &r->ntags;
        if (grow((void **)arr, param ? &c->cap_params : &c->cap_tags, *n, sizeof **arr)) return -1;
        char *k = strndup(f[1], fl[1]), *v = strndup(f[2], fl[2]);
        if (!k || !v) {
            free(k);
            free(v);
            return -1;
        }
        (*arr)[*n].key = k;
        (*arr)[*n].value = v;
        (*n)++;
        return 1;
    }
    case 'm': {
        if (!r || nf != 5 || !fl[1] || memchr(f[1], '\0', fl[1])) return 0;
        double v;
        long long ts, step;
        if (!parse_double(f[2], fl[2], &v) || !parse_ll(f[3], &ts) || !parse_ll(f[4], &step))
            return 0;
        if (grow((void **)&r->metrics, &c->cap_metrics, r->nmetrics, sizeof *r->metrics)) return -1;
        char *k = strndup(f[1], fl[1]);
        if (!k) return -1;
        r->metrics[r->nmetrics++] = (ll_metric){k, v, ts, step};
        return 1;
    }
    case 'a': {
        if (!r || nf != 2 || fl[1] < 2 || memchr(f[1], '\0', fl[1])) return 0;
        if (f[1][0] < '0' + LL_KEY_METRIC || f[1][0] > '0' + LL_KEY_TAG) return 0;
        if (grow((void **)&r->absent, &c->cap_absent, r->nabsent, sizeof *r->absent)) return -1;
        char *k = strndup(f[1], fl[1]);
        if (!k) return -1;
        r->absent[r->nabsent++] = k;
        return 1;
    }
    default:
        return 0;
    }
}

ll_status ll_runindex_parse(const char *text, size_t len, const char *exp_id, ll_runindex *out,
                            ll_error *err)
{
    memset(out, 0, sizeof *out);
    /* the trailer: "end\t<n>\t<16 hex>\n" closing the text */
    if (len < 2 || text[len - 1] != '\n') return LL_OK;
    const char *tl = text + len - 1;
    while (tl > text && tl[-1] != '\n') tl--;
    size_t body = (size_t)(tl - text), tlen = len - body;
    char trailer[96];
    if (tlen >= sizeof trailer || body == 0) return LL_OK;
    memcpy(trailer, tl, tlen);
    trailer[tlen - 1] = '\0';
    /* exactly as written: "end", the run count in decimal, 16 lowercase hex digits */
    char *e;
    if (strncmp(trailer, "end\t", 4) || trailer[4] < '0' || trailer[4] > '9') return LL_OK;
    errno = 0;
    unsigned long long want_n = strtoull(trailer + 4, &e, 10);
    if (errno || *e != '\t') return LL_OK;
    char expect[96];
    snprintf(expect, sizeof expect, "end\t%llu\t%016llx", want_n,
             (unsigned long long)ll_runindex_checksum(text, body));
    if (strcmp(trailer, expect)) return LL_OK;
    char *copy = malloc(body + 1);
    if (!copy) return ll_error_set(err, LL_ENOMEM, "out of memory");
    memcpy(copy, text, body);
    copy[body] = '\0';
    char *p = copy, *end = copy + body;
    /* header */
    char *nl = memchr(p, '\n', (size_t)(end - p));
    char *f[4];
    size_t fl[4];
    int ok = nl && split_fields(p, nl, f, fl, 4) == 3 && !strcmp(f[0], MAGIC) &&
             !strcmp(f[1], VERSION) && fl[2] == strlen(exp_id) && !strcmp(f[2], exp_id);
    caps c = {0};
    if (ok) p = nl + 1;
    while (ok && p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            ok = 0;
            break;
        }
        int rc = parse_record(p, nl, out, &c, exp_id);
        if (rc < 0) {
            free(copy);
            ll_runindex_free(out);
            return ll_error_set(err, LL_ENOMEM, "out of memory");
        }
        ok = rc;
        p = nl + 1;
    }
    free(copy);
    if (!ok || out->n != want_n) {
        ll_runindex_free(out);
        return LL_OK;
    }
    if (out->n > 1) qsort(out->items, out->n, sizeof *out->items, cmp_entry);
    return LL_OK;
}

ll_status ll_runindex_load(const char *exp_dir, const char *exp_id, ll_runindex *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", exp_dir, LL_RUNINDEX_FILE) >= (int)sizeof path)
        return LL_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return LL_OK;
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size <= 0 || sb.st_size > (off_t)1 << 32) {
        close(fd);
        return LL_OK;
    }
    size_t len = (size_t)sb.st_size;
    char *text = malloc(len);
    if (!text) {
        close(fd);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, text + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    ll_status s = got == len ? ll_runindex_parse(text, len, exp_id, out, err) : LL_OK;
    free(text);
    return s;
}

ll_run *ll_runindex_take(ll_runindex *ix, const char *name, const struct stat *sb)
{
    ll_runindex_entry key = {.name = (char *)name};
    ll_runindex_entry *en =
        ix->n ? bsearch(&key, ix->items, ix->n, sizeof *ix->items, cmp_entry) : NULL;
    if (!en || !en->run) return NULL;
    if (en->ino != (unsigned long long)sb->st_ino || en->ctime_s != (long long)sb->st_ctim.tv_sec ||
        en->ctime_ns != (long long)sb->st_ctim.tv_nsec ||
        en->mtime_s != (long long)sb->st_mtim.tv_sec ||
        en->mtime_ns != (long long)sb->st_mtim.tv_nsec)
        return NULL;
    ll_run *r = en->run;
    en->run = NULL;
    return r;
}

void ll_runindex_free(ll_runindex *ix)
{
    if (!ix) return;
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->items[i].name);
        ll_run_free(ix->items[i].run);
    }
    free(ix->items);
    memset(ix, 0, sizeof *ix);
}

int ll_runindex_cacheable(const ll_run *r, const struct stat *sb, long long now_s)
{
    if (r->status != LL_RUN_FINISHED && r->status != LL_RUN_FAILED && r->status != LL_RUN_KILLED)
        return 0;
    return (long long)sb->st_ctim.tv_sec + 2 <= now_s && (long long)sb->st_mtim.tv_sec + 2 <= now_s;
}
