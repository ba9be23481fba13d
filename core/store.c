/* store: experiments and runs in MLflow's FileStore layout (mlruns/), read and written. */
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "fsutil.h"
#include "numfmt.h"
#include "runindex.h"
#include "version.h"
#include "yamlmap.h"

#define PATH_CAP    4096
#define META        "meta.yaml"
#define TRASH       ".trash"
#define METRIC_TAIL 256
#define FLUSH_BYTES (64 * 1024)
#define FLUSH_MS    1000

struct ll_store {
    char *root;     /* as given */
    char *abs_root; /* absolute, for file: URIs */
    char host[256];
};

/* ------------------------------------------------------------------ small helpers */

static char *xstrdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

long long ll_store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ll_store_user(char *out, size_t len)
{
    const char *u = getenv("USER");
    if (!u || !*u) u = getenv("LOGNAME");
    if (u && *u) {
        snprintf(out, len, "%s", u);
        return;
    }
    struct passwd pw, *res = NULL;
    char buf[1024];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_name)
        snprintf(out, len, "%s", res->pw_name);
    else
        snprintf(out, len, "unknown");
}

static void random_bytes(void *buf, size_t n)
{
    if (getrandom(buf, n, 0) == (ssize_t)n) return;
    /* no entropy source: time and pid are enough to avoid collisions in one store */
    unsigned long long x =
        (unsigned long long)ll_store_now_ms() ^ ((unsigned long long)getpid() << 32);
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)x;
    }
}

/* A version-4 UUID in hex without dashes, as MLflow's uuid.uuid4().hex. */
static void new_run_id(char out[33])
{
    unsigned char b[16];
    random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int ll_store_valid_key(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 250 || key[0] == '/') return 0;
    for (const char *p = key; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("_-. /", *p))) return 0;
    /* no "." or ".." path component: the key must stay inside its directory */
    const char *c = key;
    while (*c) {
        const char *e = strchr(c, '/');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.') || len == 0)
            return 0;
        if (!e) break;
        c = e + 1;
    }
    return 1;
}

int ll_store_metric_higher_better(const char *metric)
{
    static const char *const lower[] = {"logloss", "log_loss", "brier", "loss",
                                        "error",   "rmse",     "mae",   "mse"};
    const char *base = metric;
    /* valid_logloss, test.brier, train/loss: the last word decides */
    for (const char *p = metric; *p; p++)
        if (*p == '_' || *p == '.' || *p == '/' || *p == '-') base = p + 1;
    for (size_t i = 0; i < sizeof lower / sizeof *lower; i++) {
        if (!strcasecmp(metric, lower[i]) || !strcasecmp(base, lower[i])) return 0;
        /* also "log_loss" split at its underscore */
        size_t ml = strlen(metric), ll = strlen(lower[i]);
        if (ml > ll && !strcasecmp(metric + ml - ll, lower[i]) &&
            strchr("_./-", metric[ml - ll - 1]))
            return 0;
    }
    return 1;
}

static int valid_id(const char *id)
{
    if (!*id || strlen(id) > 64) return 0;
    for (const char *p = id; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-')) return 0;
    return 1;
}

/* Percent-encode a path for a file: URI (as pathlib's as_uri does). */
static void path_to_uri(const char *path, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < len; p++) {
        if (isalnum(*p) || strchr("/-._~!$&'()*+,;=:@", *p))
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, len - o, "%%%02X", *p);
    }
    out[o < len ? o : len - 1] = '\0';
}

int ll_store_file_uri_path(const char *uri, char *out, size_t len)
{
    const char *p;
    if (!strncmp(uri, "file://", 7)) {
        p = uri + 7;
        if (*p != '/') {
            /* file://localhost/path */
            p = strchr(p, '/');
            if (!p) return 0;
        }
    } else if (!strncmp(uri, "file:", 5)) {
        p = uri + 5;
    } else {
        return 0;
    }
    size_t o = 0;
    for (; *p && o + 1 < len; p++) {
        if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            char hex[3] = {p[1], p[2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return 1;
}

/* Path of a run's artifact URI: a file: URI or a plain absolute path; 0 when not local. */
static int uri_to_path(const char *uri, char *out, size_t len)
{
    if (uri[0] == '/') return snprintf(out, len, "%s", uri) < (int)len;
    return ll_store_file_uri_path(uri, out, len);
}

/* Parse a metric value as Python writes floats (also nan, inf, -inf). */
static int parse_value(const char *s, size_t n, double *out)
{
    if (ll_numparse(s, n, out)) return 1;
    char buf[16];
    if (n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    const char *b = buf;
    int neg = 0;
    if (*b == '-' || *b == '+') neg = *b++ == '-';
    if (!strcasecmp(b, "nan")) {
        *out = NAN;
        return 1;
    }
    if (!strcasecmp(b, "inf") || !strcasecmp(b, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 1;
    }
    return 0;
}

void ll_store_metric_value_format(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "nan");
    else if (isinf(v))
        snprintf(buf, len, v > 0 ? "inf" : "-inf");
    else
        ll_numfmt_double(v, buf, len);
}

/* One metric line "<ms> <value> [<step>]"; returns 1 when well formed. */
static int parse_metric_line(const char *s, size_t n, ll_metric_point *pt)
{
    const char *end = s + n;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t')) end--;
    if (s >= end) return 0;
    const char *f[4];
    size_t fl[4];
    int nf = 0;
    const char *p = s;
    while (p < end) {
        if (nf == 4) return 0;
        const char *q = p;
        while (q < end && *q != ' ') q++;
        f[nf] = p;
        fl[nf++] = (size_t)(q - p);
        p = q;
        while (p < end && *p == ' ') p++;
    }
    if (nf != 2 && nf != 3) return 0;
    char buf[32];
    if (fl[0] >= sizeof buf) return 0;
    memcpy(buf, f[0], fl[0]);
    buf[fl[0]] = '\0';
    char *e;
    pt->timestamp = strtoll(buf, &e, 10);
    if (*e) return 0;
    if (!parse_value(f[1], fl[1], &pt->value)) return 0;
    pt->step = 0;
    if (nf == 3) {
        if (fl[2] >= sizeof buf) return 0;
        memcpy(buf, f[2], fl[2]);
        buf[fl[2]] = '\0';
        pt->step = strtoll(buf, &e, 10);
        if (*e) return 0;
    }
    return 1;
}

/* MLflow reports max((step, timestamp, value)) as the latest value. */
static int point_later(const ll_metric_point *a, const ll_metric_point *b)
{
    if (a->step != b->step) return a->step > b->step;
    if (a->timestamp != b->timestamp) return a->timestamp > b->timestamp;
    return a->value > b->value;
}

/* Latest point of a metric file from its tail only (whole file when it is short). */
static int metric_latest_fd(int fd, ll_metric_point *best)
{
    struct stat sb;
    if (fstat(fd, &sb)) return 0;
    off_t size = sb.st_size;
    char buf[METRIC_TAIL + 1];
    off_t off = size > METRIC_TAIL ? size - METRIC_TAIL : 0;
    ssize_t r = pread(fd, buf, (size_t)(size - off), off);
    if (r <= 0) return 0;
    buf[r] = '\0';
    char *p = buf, *end = buf + r;
    if (off > 0) {
        /* the first chunk line may be cut: start after its newline */
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return 0;
        p = nl + 1;
    }
    int found = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        /* every line is written with its newline: one without is torn (writer died) */
        if (!nl) break;
        size_t n = (size_t)(nl - p);
        ll_metric_point pt = {0};
        if (parse_metric_line(p, n, &pt) && (!found || point_later(&pt, best))) {
            *best = pt;
            found = 1;
        }
        p += n + 1;
    }
    return found;
}

/* ------------------------------------------------------------------ the store */

const char *ll_store_root(const ll_store *st)
{
    return st->root;
}

ll_status ll_store_write_file(const ll_store *st, const char *path, const char *data, size_t len,
                              ll_error *err)
{
    return ll_fsutil_write_atomic(path, data, len, st->root, err);
}

static ll_status write_map(const ll_store *st, const char *path, const ll_yamlmap *m, ll_error *err)
{
    char *text;
    size_t len;
    ll_status s = ll_yamlmap_dump(m, &text, &len, err);
    if (s) return s;
    s = ll_store_write_file(st, path, text, len, err);
    free(text);
    return s;
}

/* Build <root>/<id>/ with its meta.yaml under a temporary name and rename it into place: an
 * experiment directory exists whole or not at all. LL_EEXIST when id is taken. */
static ll_status create_experiment_dir(ll_store *st, const char *id, const char *name,
                                       ll_error *err)
{
    char dir[PATH_CAP], tmp[PATH_CAP], path[PATH_CAP], absdir[PATH_CAP], uri[PATH_CAP];
    ll_status s = ll_fsutil_join(dir, sizeof dir, st->root, id, err);
    if (s) return s;
    if (ll_fsutil_exists(dir)) return ll_error_set(err, LL_EEXIST, "experiment %s exists", id);
    if ((s = ll_fsutil_mkdtemp(st->root, "experiment", tmp, sizeof tmp, err))) return s;
    snprintf(absdir, sizeof absdir, "%s/%s", st->abs_root, id);
    path_to_uri(absdir, uri, sizeof uri);
    long long now = ll_store_now_ms();
    ll_yamlmap m = {0};
    ll_yamlmap_set_str(&m, "artifact_location", uri);
    ll_yamlmap_set_int(&m, "creation_time", now);
    ll_yamlmap_set_str(&m, "experiment_id", id);
    ll_yamlmap_set_int(&m, "last_update_time", now);
    ll_yamlmap_set_str(&m, "lifecycle_stage", "active");
    ll_yamlmap_set_str(&m, "name", name);
    if ((s = ll_fsutil_join(path, sizeof path, tmp, META, err)) == LL_OK)
        s = write_map(st, path, &m, err);
    ll_yamlmap_free(&m);
    if (!s && (s = ll_fsutil_rename_noreplace(tmp, dir, err)) == LL_EEXIST)
        ll_error_set(err, LL_EEXIST, "experiment %s exists", id);
    if (s) ll_fsutil_remove_tree(tmp, NULL);
    return s;
}

ll_status ll_store_open(const char *dir, int create, ll_store **out, ll_error *err)
{
    *out = NULL;
    if (!dir || !*dir) return ll_error_set(err, LL_EINVAL, "no store directory given");
    struct stat sb;
    int exists = stat(dir, &sb) == 0;
    if (exists && !S_ISDIR(sb.st_mode))
        return ll_error_set(err, LL_EINVAL, "store %s is not a directory", dir);
    if (!exists && !create)
        return ll_error_set(err, LL_ENOTFOUND,
                            "no tracking store at %s (train a model first, or pass --store DIR)",
                            dir);
    ll_store *st = calloc(1, sizeof *st);
    if (!st) return ll_error_set(err, LL_ENOMEM, "out of memory");
    st->root = xstrdup(dir);
    if (!st->root) goto oom;
    if (gethostname(st->host, sizeof st->host)) snprintf(st->host, sizeof st->host, "localhost");
    st->host[sizeof st->host - 1] = '\0';
    ll_status s;
    if (!exists && (s = ll_fsutil_mkdir_p(dir, err))) {
        ll_store_close(st);
        return s;
    }
    char absbuf[PATH_MAX];
    if (!realpath(dir, absbuf)) {
        ll_store_close(st);
        return ll_error_set(err, LL_EIO, "%s: %s", dir, strerror(errno));
    }
    if (!(st->abs_root = xstrdup(absbuf))) goto oom;
    if (create) {
        /* MLflow creates Default (id 0) with the store and .trash/ whenever it opens one; the
         * store lock keeps a concurrent ll_store_experiment_ensure from seeing half of it */
        char p[PATH_CAP], t[PATH_CAP];
        ll_fsutil_lock lk;
        if ((s = ll_fsutil_join(p, sizeof p, dir, ".lock", err)) ||
            (s = ll_fsutil_lock_acquire(p, &lk, err))) {
            ll_store_close(st);
            return s;
        }
        /* temporary files and directories of writers killed before their rename */
        ll_fsutil_sweep_tmp(dir);
        if (!(s = ll_fsutil_join(p, sizeof p, dir, "0", err)) &&
            !(s = ll_fsutil_join(t, sizeof t, dir, TRASH "/0", err)) && !ll_fsutil_exists(p) &&
            !ll_fsutil_exists(t))
            s = create_experiment_dir(st, "0", "Default", err);
        if (!s && !(s = ll_fsutil_join(p, sizeof p, dir, TRASH, err)))
            s = ll_fsutil_mkdir_p(p, err);
        ll_fsutil_lock_release(&lk);
        if (s) {
            ll_store_close(st);
            return s;
        }
    }
    *out = st;
    return LL_OK;
oom:
    ll_store_close(st);
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

void ll_store_close(ll_store *st)
{
    if (!st) return;
    free(st->root);
    free(st->abs_root);
    free(st);
}

/* ------------------------------------------------------------------ experiments */

void ll_experiment_clear(ll_experiment *e)
{
    if (!e) return;
    free(e->id);
    free(e->name);
    free(e->artifact_location);
    free(e->dir);
    memset(e, 0, sizeof *e);
}

void ll_store_experiments_free(ll_experiment_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) ll_experiment_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Read <dir>/meta.yaml of experiment directory dir (name id). 0 on success. */
static int read_experiment(const char *dir, const char *id, int in_trash, ll_experiment *e)
{
    char path[PATH_CAP];
    memset(e, 0, sizeof *e);
    if (snprintf(path, sizeof path, "%s/%s", dir, META) >= (int)sizeof path) return -1;
    ll_yamlmap m;
    if (ll_yamlmap_load(path, &m, NULL)) return -1;
    const char *mid = ll_yamlmap_str(&m, "experiment_id");
    const char *name = ll_yamlmap_str(&m, "name");
    /* MLflow ignores an experiment whose recorded id differs from its directory */
    if (!mid || strcmp(mid, id) || !name) {
        ll_yamlmap_free(&m);
        return -1;
    }
    const char *stage = ll_yamlmap_str(&m, "lifecycle_stage");
    e->id = xstrdup(id);
    e->name = xstrdup(name);
    e->artifact_location = xstrdup(ll_yamlmap_str(&m, "artifact_location"));
    e->deleted = in_trash || (stage && !strcmp(stage, "deleted"));
    e->creation_time = ll_yamlmap_int(&m, "creation_time", -1);
    e->last_update_time = ll_yamlmap_int(&m, "last_update_time", -1);
    e->dir = xstrdup(dir);
    ll_yamlmap_free(&m);
    if (!e->id || !e->name || !e->dir) {
        ll_experiment_clear(e);
        return -1;
    }
    return 0;
}

static int exp_cmp(const void *a, const void *b)
{
    const ll_experiment *x = a, *y = b;
    /* numeric ids in numeric order, then anything else */
    size_t lx = strlen(x->id), ly = strlen(y->id);
    int nx = strspn(x->id, "0123456789") == lx, ny = strspn(y->id, "0123456789") == ly;
    if (nx && ny && lx != ly) return lx < ly ? -1 : 1;
    if (nx != ny) return nx ? -1 : 1;
    int c = strcmp(x->id, y->id);
    return c ? c : x->deleted - y->deleted;
}

static int is_dir_entry(int dfd, const struct dirent *de)
{
    if (de->d_type == DT_DIR) return 1;
    if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) return 0;
    struct stat sb;
    return fstatat(dfd, de->d_name, &sb, 0) == 0 && S_ISDIR(sb.st_mode);
}

static ll_status scan_experiments(const char *parent, int in_trash, ll_experiment_list *l,
                                  ll_error *err)
{
    DIR *d = opendir(parent);
    if (!d) {
        if (errno == ENOENT && in_trash) return LL_OK;
        return ll_error_set(err, LL_EIO, "cannot read %s: %s", parent, strerror(errno));
    }
    struct dirent *de;
    size_t cap = l->n;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (!in_trash && !strcmp(de->d_name, "models")) continue;
        if (!is_dir_entry(dirfd(d), de)) continue;
        char dir[PATH_CAP];
        if (snprintf(dir, sizeof dir, "%s/%s", parent, de->d_name) >= (int)sizeof dir) continue;
        ll_experiment e;
        if (read_experiment(dir, de->d_name, in_trash, &e)) continue;
        if (l->n == cap) {
            cap = cap ? cap * 2 : 8;
            ll_experiment *ni = realloc(l->items, cap * sizeof *ni);
            if (!ni) {
                ll_experiment_clear(&e);
                closedir(d);
                return ll_error_set(err, LL_ENOMEM, "out of memory");
            }
            l->items = ni;
        }
        l->items[l->n++] = e;
    }
    closedir(d);
    return LL_OK;
}

ll_status ll_store_experiments(ll_store *st, int include_deleted, ll_experiment_list *out,
                               ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_status s = scan_experiments(st->root, 0, out, err);
    if (!s && include_deleted) {
        char trash[PATH_CAP];
        if (!(s = ll_fsutil_join(trash, sizeof trash, st->root, TRASH, err)))
            s = scan_experiments(trash, 1, out, err);
    }
    if (s) {
        ll_store_experiments_free(out);
        return s;
    }
    if (!include_deleted) {
        /* an experiment marked deleted but not moved to .trash is still deleted */
        size_t k = 0;
        for (size_t i = 0; i < out->n; i++) {
            if (out->items[i].deleted)
                ll_experiment_clear(&out->items[i]);
            else
                out->items[k++] = out->items[i];
        }
        out->n = k;
    }
    if (out->n) qsort(out->items, out->n, sizeof *out->items, exp_cmp);
    return LL_OK;
}

static ll_status find_experiment(ll_store *st, const char *name_or_id, int include_deleted,
                                 ll_experiment *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_experiment_list l;
    ll_status s = ll_store_experiments(st, include_deleted, &l, err);
    if (s) return s;
    long hit = -1;
    for (size_t i = 0; i < l.n && hit < 0; i++)
        if (!strcmp(l.items[i].name, name_or_id)) hit = (long)i;
    for (size_t i = 0; i < l.n && hit < 0; i++)
        if (!strcmp(l.items[i].id, name_or_id)) hit = (long)i;
    if (hit < 0) {
        ll_store_experiments_free(&l);
        return ll_error_set(err, LL_ENOTFOUND, "no experiment named '%s' in %s", name_or_id,
                            st->root);
    }
    *out = l.items[hit];
    memset(&l.items[hit], 0, sizeof l.items[hit]);
    ll_store_experiments_free(&l);
    return LL_OK;
}

ll_status ll_store_experiment_find(ll_store *st, const char *name_or_id, ll_experiment *out,
                                   ll_error *err)
{
    return find_experiment(st, name_or_id, 0, out, err);
}

ll_status ll_store_experiment_ensure(ll_store *st, const char *name, char *id, size_t idlen,
                                     ll_error *err)
{
    if (!name || !*name) name = "Default";
    char lockpath[PATH_CAP];
    ll_status s = ll_fsutil_join(lockpath, sizeof lockpath, st->root, ".lock", err);
    if (s) return s;
    ll_fsutil_lock lk;
    if ((s = ll_fsutil_lock_acquire(lockpath, &lk, err))) return s;
    ll_experiment e;
    ll_error tmp;
    ll_error_clear(&tmp);
    s = find_experiment(st, name, 1, &e, &tmp);
    if (s == LL_OK && strcmp(e.name, name)) {
        /* matched an id, not a name: a name is what the caller asked for */
        ll_experiment_clear(&e);
        s = LL_ENOTFOUND;
    }
    if (s == LL_OK) {
        if (e.deleted)
            s = ll_error_set(err, LL_ESTATE,
                             "experiment '%s' exists in deleted state (restore it or remove it "
                             "from %s/.trash)",
                             name, st->root);
        else
            snprintf(id, idlen, "%s", e.id);
        ll_experiment_clear(&e);
    } else if (s == LL_ENOTFOUND) {
        for (int attempt = 0; attempt < 8; attempt++) {
            /* MLflow's ids: a random non-negative 63-bit integer */
            unsigned long long r;
            random_bytes(&r, sizeof r);
            r &= 0x7fffffffffffffffULL;
            char buf[32];
            snprintf(buf, sizeof buf, "%llu", r);
            s = create_experiment_dir(st, buf, name, err);
            if (s == LL_EEXIST) continue;
            if (!s) snprintf(id, idlen, "%s", buf);
            break;
        }
    } else {
        *err = tmp;
    }
    ll_fsutil_lock_release(&lk);
    return s;
}

/* ------------------------------------------------------------------ runs: reading */

const char *ll_run_status_str(ll_run_status s)
{
    switch (s) {
    case LL_RUN_RUNNING:
        return "RUNNING";
    case LL_RUN_SCHEDULED:
        return "SCHEDULED";
    case LL_RUN_FINISHED:
        return "FINISHED";
    case LL_RUN_FAILED:
        return "FAILED";
    case LL_RUN_KILLED:
        return "KILLED";
    default:
        return "UNKNOWN";
    }
}

int ll_run_status_parse(const char *s)
{
    for (int i = LL_RUN_RUNNING; i < LL_RUN_STATUS_COUNT; i++)
        if (!strcasecmp(s, ll_run_status_str((ll_run_status)i))) return i;
    return -1;
}

const char *ll_run_status_name(const ll_run *r)
{
    if (r->status == LL_RUN_RUNNING && r->died) return "DIED";
    return ll_run_status_str(r->status);
}

void ll_run_free(ll_run *r)
{
    if (!r) return;
    free(r->run_id);
    free(r->experiment_id);
    free(r->run_name);
    free(r->user_id);
    free(r->artifact_uri);
    free(r->dir);
    for (size_t i = 0; i < r->nparams; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
    }
    free(r->params);
    for (size_t i = 0; i < r->ntags; i++) {
        free(r->tags[i].key);
        free(r->tags[i].value);
    }
    free(r->tags);
    for (size_t i = 0; i < r->nmetrics; i++) free(r->metrics[i].key);
    free(r->metrics);
    for (size_t i = 0; i < r->nabsent; i++) free(r->absent[i]);
    free(r->absent);
    free(r);
}

void ll_run_list_free(ll_run_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) ll_run_free(l->runs[i]);
    free(l->runs);
    memset(l, 0, sizeof *l);
}

const char *ll_run_param(const ll_run *r, const char *key)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (!strcmp(r->params[i].key, key)) return r->params[i].value;
    return NULL;
}

const char *ll_run_tag(const ll_run *r, const char *key)
{
    for (size_t i = 0; i < r->ntags; i++)
        if (!strcmp(r->tags[i].key, key)) return r->tags[i].value;
    return NULL;
}

const ll_metric *ll_run_metric(const ll_run *r, const char *key)
{
    for (size_t i = 0; i < r->nmetrics; i++)
        if (!strcmp(r->metrics[i].key, key)) return &r->metrics[i];
    return NULL;
}

static int push_kv(ll_kv **arr, size_t *n, const char *key, const char *value, size_t vlen)
{
    ll_kv *na = realloc(*arr, (*n + 1) * sizeof *na);
    if (!na) return -1;
    *arr = na;
    char *k = xstrdup(key), *v = malloc(vlen + 1);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    memcpy(v, value, vlen);
    v[vlen] = '\0';
    na[*n].key = k;
    na[*n].value = v;
    (*n)++;
    return 0;
}

static int push_metric(ll_run *r, const char *key, const ll_metric_point *pt)
{
    ll_metric *na = realloc(r->metrics, (r->nmetrics + 1) * sizeof *na);
    if (!na) return -1;
    r->metrics = na;
    char *k = xstrdup(key);
    if (!k) return -1;
    na[r->nmetrics].key = k;
    na[r->nmetrics].value = pt->value;
    na[r->nmetrics].timestamp = pt->timestamp;
    na[r->nmetrics].step = pt->step;
    r->nmetrics++;
    return 0;
}

/* Build a run from its directory's meta.yaml; NULL when it is not a (valid) run. */
static ll_run *read_run(int basefd, const char *dir, const char *run_dir_name, const char *exp_id,
                        ll_error *err)
{
    char path[PATH_CAP], rel[PATH_CAP];
    if (snprintf(path, sizeof path, "%s/%s", dir, META) >= (int)sizeof path) return NULL;
    if (snprintf(rel, sizeof rel, "%s/%s", run_dir_name, META) >= (int)sizeof rel) return NULL;
    char stackbuf[8192];
    char *text = stackbuf;
    size_t len = 0;
    /* relative to the experiment directory: short lookups matter with 10,000 runs */
    int fd = basefd == AT_FDCWD ? open(path, O_RDONLY | O_CLOEXEC)
                                : openat(basefd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    for (;;) {
        ssize_t r = read(fd, text + len, sizeof stackbuf - 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
        if (len == sizeof stackbuf - 1) break;
    }
    close(fd);
    ll_yamlmap m;
    ll_status s;
    if (len == sizeof stackbuf - 1) {
        /* unusually large meta.yaml: read it whole */
        s = ll_yamlmap_load(path, &m, NULL);
    } else {
        text[len] = '\0';
        s = ll_yamlmap_parse(text, len, path, &m, NULL);
    }
    if (s) return NULL;
    const char *rid = ll_yamlmap_str(&m, "run_id");
    if (!rid) rid = ll_yamlmap_str(&m, "run_uuid");
    const char *eid = ll_yamlmap_str(&m, "experiment_id");
    if (!rid || !eid || strcmp(rid, run_dir_name) || (exp_id && strcmp(eid, exp_id))) {
        ll_yamlmap_free(&m);
        return NULL;
    }
    ll_run *r = calloc(1, sizeof *r);
    if (!r) {
        ll_yamlmap_free(&m);
        ll_error_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    r->run_id = xstrdup(rid);
    r->experiment_id = xstrdup(eid);
    r->run_name = xstrdup(ll_yamlmap_str(&m, "run_name") ? ll_yamlmap_str(&m, "run_name") : "");
    r->user_id = xstrdup(ll_yamlmap_str(&m, "user_id") ? ll_yamlmap_str(&m, "user_id") : "");
    r->artifact_uri =
        xstrdup(ll_yamlmap_str(&m, "artifact_uri") ? ll_yamlmap_str(&m, "artifact_uri") : "");
    r->dir = xstrdup(dir);
    long long status = ll_yamlmap_int(&m, "status", LL_RUN_RUNNING);
    if (status < LL_RUN_RUNNING || status >= LL_RUN_STATUS_COUNT) {
        /* very old stores wrote the status as a string */
        const char *ss = ll_yamlmap_str(&m, "status");
        int p = ss ? ll_run_status_parse(ss) : -1;
        status = p > 0 ? p : LL_RUN_RUNNING;
    }
    r->status = (ll_run_status)status;
    const char *stage = ll_yamlmap_str(&m, "lifecycle_stage");
    r->deleted = stage && !strcmp(stage, "deleted");
    r->start_time = ll_yamlmap_int(&m, "start_time", 0);
    r->end_time = ll_yamlmap_int(&m, "end_time", -1);
    ll_yamlmap_free(&m);
    if (!r->run_id || !r->experiment_id || !r->run_name || !r->user_id || !r->artifact_uri ||
        !r->dir) {
        ll_run_free(r);
        ll_error_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    return r;
}

static int key_absent(const ll_run *r, ll_keykind kind, const char *name)
{
    for (size_t i = 0; i < r->nabsent; i++)
        if (r->absent[i][0] == (char)('0' + kind) && !strcmp(r->absent[i] + 1, name)) return 1;
    return 0;
}

static int mark_absent(ll_run *r, ll_keykind kind, const char *name)
{
    char **na = realloc(r->absent, (r->nabsent + 1) * sizeof *na);
    if (!na) return -1;
    r->absent = na;
    size_t n = strlen(name);
    char *s = malloc(n + 2);
    if (!s) return -1;
    s[0] = (char)('0' + kind);
    memcpy(s + 1, name, n + 1);
    na[r->nabsent++] = s;
    return 0;
}

static const char *kind_dir(ll_keykind kind)
{
    return kind == LL_KEY_METRIC ? "metrics" : kind == LL_KEY_PARAM ? "params" : "tags";
}

/* Read a small text file (param or tag value) into a malloc'd string. */
static char *read_value(const char *path, size_t *len)
{
    char *data;
    if (ll_fsutil_read(path, &data, len, NULL)) return NULL;
    return data;
}

/* Load key of run r; its files are opened as basefd + rel (rel = "<run>" inside the experiment
 * directory during a scan, or basefd AT_FDCWD and rel = r->dir). */
static ll_status load_key_at(ll_run *r, int basefd, const char *rel, ll_keykind kind,
                             const char *name, ll_error *err)
{
    if (kind == LL_KEY_ATTR) return LL_OK;
    if (kind == LL_KEY_METRIC  ? ll_run_metric(r, name) != NULL
        : kind == LL_KEY_PARAM ? ll_run_param(r, name) != NULL
                               : ll_run_tag(r, name) != NULL)
        return LL_OK;
    if (r->complete || key_absent(r, kind, name)) return LL_OK;
    if (!ll_store_valid_key(name)) return mark_absent(r, kind, name) ? LL_ENOMEM : LL_OK;
    char path[PATH_CAP];
    if (snprintf(path, sizeof path, "%s/%s/%s", rel, kind_dir(kind), name) >= (int)sizeof path)
        return mark_absent(r, kind, name) ? LL_ENOMEM : LL_OK;
    int rc = 0;
    if (kind == LL_KEY_METRIC) {
        int fd = openat(basefd, path, O_RDONLY | O_CLOEXEC);
        ll_metric_point pt = {0};
        if (fd >= 0 && metric_latest_fd(fd, &pt))
            rc = push_metric(r, name, &pt);
        else
            rc = mark_absent(r, kind, name);
        if (fd >= 0) close(fd);
    } else {
        char buf[4096];
        ssize_t len = -1;
        int fd = openat(basefd, path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            len = read(fd, buf, sizeof buf);
            close(fd);
        }
        if (len == (ssize_t)sizeof buf) {
            /* a long value: read it whole */
            char full[PATH_CAP];
            size_t flen;
            char *v = NULL;
            if (basefd == AT_FDCWD)
                v = read_value(path, &flen);
            else if (snprintf(full, sizeof full, "%s/%s/%s", r->dir, kind_dir(kind), name) <
                     (int)sizeof full)
                v = read_value(full, &flen);
            rc = v ? push_kv(kind == LL_KEY_PARAM ? &r->params : &r->tags,
                             kind == LL_KEY_PARAM ? &r->nparams : &r->ntags, name, v, flen)
                   : mark_absent(r, kind, name);
            free(v);
        } else if (len >= 0) {
            rc = push_kv(kind == LL_KEY_PARAM ? &r->params : &r->tags,
                         kind == LL_KEY_PARAM ? &r->nparams : &r->ntags, name, buf, (size_t)len);
        } else {
            rc = mark_absent(r, kind, name);
        }
    }
    return rc ? ll_error_set(err, LL_ENOMEM, "out of memory") : LL_OK;
}

ll_status ll_store_run_load_key(ll_store *st, ll_run *r, ll_keykind kind, const char *name,
                                ll_error *err)
{
    (void)st;
    return load_key_at(r, AT_FDCWD, r->dir, kind, name, err);
}

/* Load every file under <run>/<sub>/ (recursing: keys may contain '/'). */
static int load_tree(ll_run *r, ll_keykind kind, const char *base, const char *prefix)
{
    char dirpath[PATH_CAP];
    if (snprintf(dirpath, sizeof dirpath, "%s%s%s", base, *prefix ? "/" : "", prefix) >=
        (int)sizeof dirpath)
        return 0;
    DIR *d = opendir(dirpath);
    if (!d) return 0;
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue; /* also skips temporary files */
        char key[PATH_CAP], path[PATH_CAP];
        if (snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) >=
                (int)sizeof key ||
            snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name) >= (int)sizeof path)
            continue;
        if (is_dir_entry(dirfd(d), de)) {
            rc = load_tree(r, kind, base, key);
            continue;
        }
        if (kind == LL_KEY_METRIC) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            ll_metric_point pt = {0};
            if (fd >= 0 && metric_latest_fd(fd, &pt)) rc = push_metric(r, key, &pt);
            if (fd >= 0) close(fd);
        } else {
            size_t len;
            char *v = read_value(path, &len);
            if (v)
                rc = push_kv(kind == LL_KEY_PARAM ? &r->params : &r->tags,
                             kind == LL_KEY_PARAM ? &r->nparams : &r->ntags, key, v, len);
            free(v);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const ll_kv *)a)->key, ((const ll_kv *)b)->key);
}

static int cmp_metric(const void *a, const void *b)
{
    return strcmp(((const ll_metric *)a)->key, ((const ll_metric *)b)->key);
}

ll_status ll_store_run_load(ll_store *st, ll_run *r, ll_error *err)
{
    (void)st;
    if (r->complete) return LL_OK;
    for (size_t i = 0; i < r->nparams; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
    }
    for (size_t i = 0; i < r->ntags; i++) {
        free(r->tags[i].key);
        free(r->tags[i].value);
    }
    for (size_t i = 0; i < r->nmetrics; i++) free(r->metrics[i].key);
    r->nparams = r->ntags = r->nmetrics = 0;
    char base[PATH_CAP];
    int rc = 0;
    for (int k = LL_KEY_METRIC; k <= LL_KEY_TAG && !rc; k++) {
        if (snprintf(base, sizeof base, "%s/%s", r->dir, kind_dir((ll_keykind)k)) >=
            (int)sizeof base)
            continue;
        rc = load_tree(r, (ll_keykind)k, base, "");
    }
    if (rc) return ll_error_set(err, LL_ENOMEM, "out of memory");
    if (r->nparams) qsort(r->params, r->nparams, sizeof *r->params, cmp_kv);
    if (r->ntags) qsort(r->tags, r->ntags, sizeof *r->tags, cmp_kv);
    if (r->nmetrics) qsort(r->metrics, r->nmetrics, sizeof *r->metrics, cmp_metric);
    r->complete = 1;
    return LL_OK;
}

/* Start time of process pid in ms since the epoch (Linux /proc), -1 when unknown. */
static long long proc_start_ms(long pid, int *zombie)
{
    char path[64], buf[1024];
    *zombie = 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    /* fields after the command name, which is in parentheses and may contain spaces */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    p += 2;
    *zombie = *p == 'Z' || *p == 'X';
    /* field 3 is the state; starttime is field 22 */
    unsigned long long start = 0;
    int field = 3;
    for (char *tok = p; tok && *tok; field++) {
        if (field == 22) {
            start = strtoull(tok, NULL, 10);
            break;
        }
        tok = strchr(tok, ' ');
        if (tok) tok++;
    }
    if (field != 22) return -1;
    fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char sbuf[8192];
    n = read(fd, sbuf, sizeof sbuf - 1);
    close(fd);
    if (n <= 0) return -1;
    sbuf[n] = '\0';
    char *bt = strstr(sbuf, "\nbtime ");
    if (!bt) return -1;
    long long btime = strtoll(bt + 7, NULL, 10);
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0) return -1;
    return btime * 1000 + (long long)(start * 1000ULL / (unsigned long long)hz);
}

/* A RUNNING run whose recorded process (tag lendlab.pid = "PID@HOST") no longer exists on this
 * host has died. Runs from other hosts, or without the tag, cannot be judged. */
static void check_died(ll_store *st, ll_run *r)
{
    r->died = 0;
    if (r->status != LL_RUN_RUNNING) return;
    if (ll_store_run_load_key(st, r, LL_KEY_TAG, "lendlab.pid", NULL)) return;
    const char *v = ll_run_tag(r, "lendlab.pid");
    if (!v) return;
    char *at;
    long pid = strtol(v, &at, 10);
    if (pid <= 0 || *at != '@' || strcmp(at + 1, st->host)) return;
    if (kill((pid_t)pid, 0) == -1 && errno == ESRCH) {
        r->died = 1;
        return;
    }
    int zombie;
    long long started = proc_start_ms(pid, &zombie);
    /* a zombie has died; a process started after the run did reuses the pid */
    if (zombie || (started > 0 && r->start_time > 0 && started > r->start_time + 5000)) r->died = 1;
}

/* Stable merge sort of runs with the filter module's comparator. */
static void sort_runs(ll_run **a, ll_run **tmp, size_t n, const ll_sortkey *keys, size_t nkeys)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_runs(a, tmp, h, keys, nkeys);
    sort_runs(a + h, tmp, n - h, keys, nkeys);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = ll_filter_compare(keys, nkeys, a[j], a[i]) < 0 ? a[j++] : a[i++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

/* Keys every scanned run needs (filter and sort), loaded while the scan is at the run. */
typedef struct {
    ll_keykind kind;
    const char *name;
} preload_key;

/* A run met by a search's scan, with what the run index needs to know of it. */
typedef struct {
    ll_run *run;
    struct stat sb;   /* its directory, taken before any of its files was read */
    int meta_deleted; /* lifecycle_stage of the run itself (not of its experiment) */
    size_t keys;      /* keys it held when taken from the index; SIZE_MAX when read from files */
    int included;     /* a candidate for the answer (not deleted, or deleted ones asked for) */
    int returned;     /* in the answer: the caller owns it */
} scanned;

typedef struct {
    scanned *items;
    size_t n, cap;
} scan_list;

static size_t run_keys(const ll_run *r)
{
    return r->nparams + r->nmetrics + r->ntags + r->nabsent + (size_t)r->complete;
}

/* Mark the run in dir as changed for the run index (see runindex.h): its directory's ctime and
 * mtime become now. Writes that replace meta.yaml change them by themselves. */
static void mark_run_changed(const char *dir)
{
    (void)utimensat(AT_FDCWD, dir, NULL, 0);
}

/* The status of an experiment's run directories, taken by a few threads: with the page cache
 * cold each fstatat waits for the disk, and the disk serves several at once. */
typedef struct {
    int dfd;
    char **names;
    struct stat *sbs;
    unsigned char *ok;
    size_t n, first, step;
} stat_job;

static void *stat_worker(void *arg)
{
    const stat_job *j = arg;
    for (size_t i = j->first; i < j->n; i += j->step)
        j->ok[i] = !fstatat(j->dfd, j->names[i], &j->sbs[i], 0) && S_ISDIR(j->sbs[i].st_mode);
    return NULL;
}

#define STAT_THREADS 8

/* A fan-out of fn over nt jobs of size bytes each: par_start starts jobs 1..nt-1 on threads
 * (the caller may work meanwhile), par_finish runs job 0 here, joins, and runs here any job
 * whose thread could not start. */
typedef struct {
    void *(*fn)(void *);
    char *jobs;
    size_t size, nt, started;
    pthread_t th[STAT_THREADS];
} par_run;

static void par_start(par_run *p, void *(*fn)(void *), void *jobs, size_t size, size_t nt)
{
    p->fn = fn;
    p->jobs = jobs;
    p->size = size;
    p->nt = nt;
    p->started = 0;
    for (size_t k = 1; k < nt; k++) {
        if (pthread_create(&p->th[k], NULL, fn, p->jobs + k * size)) break;
        p->started = k;
    }
}

static void par_finish(par_run *p)
{
    p->fn(p->jobs);
    for (size_t k = 1; k <= p->started; k++) pthread_join(p->th[k], NULL);
    for (size_t k = p->started + 1; k < p->nt; k++) p->fn(p->jobs + k * p->size);
}

/* Reading the runs the index did not have, and loading the keys every run needs. */
typedef struct {
    ll_store *st;
    const ll_experiment *e;
    int dfd;
    char **names;
    const unsigned char *ok;
    ll_run **runs;
    int *meta_del;
    int include_deleted;
    const preload_key *pk;
    size_t npk;
    size_t n, first, step;
    ll_status s;
    ll_error err;
} load_job;

static void *load_worker(void *arg)
{
    load_job *j = arg;
    for (size_t i = j->first; i < j->n && !j->s; i += j->step) {
        if (!j->ok[i]) continue;
        ll_run *r = j->runs[i];
        if (!r) {
            char dir[PATH_CAP];
            if (snprintf(dir, sizeof dir, "%s/%s", j->e->dir, j->names[i]) >= (int)sizeof dir)
                continue;
            r = read_run(j->dfd, dir, j->names[i], j->e->id, &j->err);
            if (!r) {
                if (j->err.code == LL_ENOMEM) j->s = LL_ENOMEM;
                continue;
            }
            j->runs[i] = r;
        }
        j->meta_del[i] = r->deleted;
        if (j->e->deleted) r->deleted = 1;
        if (r->deleted && !j->include_deleted) continue;
        check_died(j->st, r);
        for (size_t k = 0; k < j->npk && !j->s; k++)
            j->s = load_key_at(r, j->dfd, j->names[i], j->pk[k].kind, j->pk[k].name, &j->err);
    }
    return NULL;
}

/* Scan the runs of experiment e into sl, from the run index where it is current (unless
 * rescan); *dirty is set when the index should be written anew. */
static ll_status scan_runs(ll_store *st, const ll_experiment *e, int include_deleted,
                           const preload_key *pk, size_t npk, int rescan, long long now_s,
                           scan_list *sl, int *dirty, ll_error *err)
{
    ll_runindex ix = {0};
    ll_status s = LL_OK;
    DIR *d = opendir(e->dir);
    if (!d) return ll_error_set(err, LL_EIO, "cannot read %s: %s", e->dir, strerror(errno));
    /* the candidate run directories */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (nm[0] == '.' || !strcmp(nm, "tags") || !strcmp(nm, "datasets") ||
            !strcmp(nm, "traces") || !strcmp(nm, META))
            continue;
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) break;
            names = nn;
            cap = nc;
        }
        if (!(names[n] = xstrdup(nm))) break;
        n++;
    }
    struct stat *sbs = malloc((n ? n : 1) * sizeof *sbs);
    unsigned char *ok = calloc(n ? n : 1, 1);
    ll_run **runs = calloc(n ? n : 1, sizeof *runs);
    size_t *keys = malloc((n ? n : 1) * sizeof *keys);
    int *meta_del = calloc(n ? n : 1, sizeof *meta_del);
    if (de || !sbs || !ok || !runs || !keys || !meta_del) {
        s = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    /* stat the directories on a few threads while this one reads the run index */
    size_t nt = n >= 256 ? STAT_THREADS : 1;
    par_run par;
    stat_job jobs[STAT_THREADS];
    for (size_t k = 0; k < nt; k++) jobs[k] = (stat_job){dirfd(d), names, sbs, ok, n, k, nt};
    par_start(&par, stat_worker, jobs, sizeof *jobs, nt);
    if (!rescan) s = ll_runindex_load(e->dir, e->id, &ix, err);
    par_finish(&par);
    if (s) goto done;
    /* runs whose directory is unchanged come from the index ... */
    size_t taken = 0;
    for (size_t i = 0; i < n && !s; i++) {
        runs[i] = ok[i] ? ll_runindex_take(&ix, names[i], &sbs[i]) : NULL;
        keys[i] = SIZE_MAX;
        if (!runs[i]) continue;
        taken++;
        keys[i] = run_keys(runs[i]);
        char dir[PATH_CAP];
        snprintf(dir, sizeof dir, "%s/%s", e->dir, names[i]);
        if (!(runs[i]->dir = xstrdup(dir))) s = ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    /* ... the others are read from their files, and the keys the filter and sort need are
     * loaded, on a few threads (with a cold page cache each file waits for the disk) */
    load_job lj[STAT_THREADS];
    if (!s) {
        for (size_t k = 0; k < nt; k++) {
            lj[k] = (load_job){st, e,   dirfd(d), names, ok, runs,  meta_del, include_deleted,
                               pk, npk, n,        k,     nt, LL_OK, {0}};
            ll_error_clear(&lj[k].err);
        }
        par_start(&par, load_worker, lj, sizeof *lj, nt);
        par_finish(&par);
        for (size_t k = 0; k < nt && !s; k++)
            if (lj[k].s) {
                s = lj[k].s;
                if (err) *err = lj[k].err;
            }
    }
    for (size_t i = 0; i < n && !s; i++) {
        if (!runs[i]) continue;
        if (sl->n == sl->cap) {
            size_t nc = sl->cap ? sl->cap * 2 : 256;
            scanned *ni = realloc(sl->items, nc * sizeof *ni);
            if (!ni) {
                s = ll_error_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            sl->items = ni;
            sl->cap = nc;
        }
        ll_run *r = runs[i];
        if (keys[i] == SIZE_MAX && ll_runindex_cacheable(r, &sbs[i], now_s)) *dirty = 1;
        sl->items[sl->n++] =
            (scanned){r, sbs[i], meta_del[i], keys[i], !r->deleted || include_deleted, 0};
        runs[i] = NULL;
    }
    if (taken != ix.n) *dirty = 1; /* entries of runs gone, changed or no longer ended */
done:
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        if (runs) ll_run_free(runs[i]);
    }
    free(names);
    free(sbs);
    free(ok);
    free(runs);
    free(keys);
    free(meta_del);
    ll_runindex_free(&ix);
    return s;
}

/* Write the run index of experiment e anew from its scanned runs sl[from, to), when it changed:
 * a failure (a read-only store, a full disk) only means the next listing reads files again. */
static void save_index(ll_store *st, const ll_experiment *e, const scan_list *sl, size_t from,
                       size_t to, int dirty, long long now_s)
{
    for (size_t i = from; i < to && !dirty; i++)
        if (sl->items[i].keys != SIZE_MAX && run_keys(sl->items[i].run) != sl->items[i].keys)
            dirty = 1; /* keys loaded since it was taken from the index */
    if (!dirty) return;
    size_t n = 0, cap = to - from;
    const ll_run **runs = malloc((cap ? cap : 1) * sizeof *runs);
    struct stat *sbs = malloc((cap ? cap : 1) * sizeof *sbs);
    int *del = malloc((cap ? cap : 1) * sizeof *del);
    char *text = NULL, path[PATH_CAP];
    size_t len;
    if (runs && sbs && del) {
        for (size_t i = from; i < to; i++) {
            const scanned *sc = &sl->items[i];
            if (!ll_runindex_cacheable(sc->run, &sc->sb, now_s)) continue;
            runs[n] = sc->run;
            sbs[n] = sc->sb;
            del[n++] = sc->meta_deleted;
        }
        if (!ll_runindex_format(e->id, runs, sbs, del, n, &text, &len, NULL) &&
            snprintf(path, sizeof path, "%s/%s", e->dir, LL_RUNINDEX_FILE) < (int)sizeof path)
            (void)ll_store_write_file(st, path, text, len, NULL);
    }
    free(text);
    free(runs);
    free(sbs);
    free(del);
}

/* Split "metrics.auc" into kind and name (keys the caller asks for). */
static int split_key(const char *k, ll_keykind *kind, const char **name)
{
    static const struct {
        const char *prefix;
        ll_keykind kind;
    } pre[] = {{"metrics.", LL_KEY_METRIC}, {"params.", LL_KEY_PARAM}, {"tags.", LL_KEY_TAG}};
    for (size_t i = 0; i < sizeof pre / sizeof *pre; i++) {
        size_t n = strlen(pre[i].prefix);
        if (!strncmp(k, pre[i].prefix, n)) {
            *kind = pre[i].kind;
            *name = k + n;
            return 1;
        }
    }
    return 0;
}

/* Loading the keys a search's caller asked for (or everything) into runs[first::step]. */
typedef struct {
    ll_store *st;
    const ll_run_query *q;
    ll_run **runs;
    size_t n, first, step;
    ll_status s;
    ll_error err;
} keys_job;

static void *keys_worker(void *arg)
{
    keys_job *j = arg;
    for (size_t i = j->first; i < j->n && !j->s; i += j->step) {
        ll_run *r = j->runs[i];
        if (j->q->load_all) {
            j->s = ll_store_run_load(j->st, r, &j->err);
            continue;
        }
        for (size_t k = 0; k < j->q->nkeys && !j->s; k++) {
            ll_keykind kind;
            const char *name;
            if (split_key(j->q->keys[k], &kind, &name))
                j->s = ll_store_run_load_key(j->st, r, kind, name, &j->err);
        }
    }
    return NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

ll_status ll_store_search_runs(ll_store *st, const ll_run_query *q, ll_run_list *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_experiment_list exps;
    ll_status s = ll_store_experiments(st, q->include_deleted, &exps, err);
    if (s) return s;
    if (q->experiment) {
        long hit = -1;
        for (size_t i = 0; i < exps.n && hit < 0; i++)
            if (!strcmp(exps.items[i].name, q->experiment)) hit = (long)i;
        for (size_t i = 0; i < exps.n && hit < 0; i++)
            if (!strcmp(exps.items[i].id, q->experiment)) hit = (long)i;
        if (hit < 0) {
            ll_store_experiments_free(&exps);
            return ll_error_set(err, LL_ENOTFOUND, "no experiment named '%s' in %s", q->experiment,
                                st->root);
        }
        ll_experiment keep = exps.items[hit];
        exps.items[hit] = exps.items[0];
        exps.items[0] = keep;
        for (size_t i = 1; i < exps.n; i++) ll_experiment_clear(&exps.items[i]);
        exps.n = 1;
    }
    /* what the filter and the sort look at is loaded for every run, during the scan */
    ll_filter_key *fkeys = NULL;
    size_t nfk = 0;
    if (q->filter && (s = ll_filter_keys(q->filter, &fkeys, &nfk, err))) {
        ll_store_experiments_free(&exps);
        return s;
    }
    size_t npk = 0, nsort = q->sort ? q->nsort : 0;
    preload_key *pk = malloc((nfk + nsort + 1) * sizeof *pk);
    /* where each experiment's runs start in the scan, and whether its index is out of date */
    size_t *from = malloc((exps.n + 1) * sizeof *from);
    int *dirty = calloc(exps.n + 1, sizeof *dirty);
    scan_list sl = {0};
    if (!pk || !from || !dirty) {
        s = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < nfk; k++) pk[npk++] = (preload_key){fkeys[k].kind, fkeys[k].name};
    for (size_t k = 0; k < nsort; k++)
        if (q->sort[k].kind != LL_KEY_ATTR)
            pk[npk++] = (preload_key){q->sort[k].kind, q->sort[k].name};
    long long now_s = (long long)time(NULL);
    for (size_t i = 0; i < exps.n && !s; i++) {
        from[i] = sl.n;
        s = scan_runs(st, &exps.items[i], q->include_deleted, pk, npk, q->rescan, now_s, &sl,
                      &dirty[i], err);
    }
    from[exps.n] = sl.n;
    if (s) goto done;
    /* the answer borrows the scanned runs until the end; the filter, sort and limit only drop
     * pointers */
    if (sl.n && !(out->runs = malloc(sl.n * sizeof *out->runs))) {
        s = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < sl.n; i++)
        if (sl.items[i].included && (!q->filter || ll_filter_match(q->filter, sl.items[i].run)))
            out->runs[out->n++] = sl.items[i].run;
    out->matched = out->n;
    if (out->n > 1) {
        ll_run **tmp = malloc(out->n * sizeof *tmp);
        if (!tmp) {
            s = ll_error_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        sort_runs(out->runs, tmp, out->n, q->sort, q->sort ? q->nsort : 0);
        free(tmp);
    }
    if (q->limit && out->n > q->limit) out->n = q->limit;
    /* the keys the caller asked for, for the runs of the answer (on a few threads: a listing
     * of every run may read thousands of small files the index did not have) */
    size_t nt = out->n >= 64 ? STAT_THREADS : 1;
    par_run par;
    keys_job kj[STAT_THREADS];
    for (size_t k = 0; k < nt; k++) {
        kj[k] = (keys_job){st, q, out->runs, out->n, k, nt, LL_OK, {0}};
        ll_error_clear(&kj[k].err);
    }
    par_start(&par, keys_worker, kj, sizeof *kj, nt);
    par_finish(&par);
    for (size_t k = 0; k < nt && !s; k++)
        if (kj[k].s) {
            s = kj[k].s;
            if (err) *err = kj[k].err;
        }
    if (s) goto done;
    for (size_t i = 0; i < exps.n; i++)
        save_index(st, &exps.items[i], &sl, from[i], from[i + 1], dirty[i], now_s);
    /* hand the answer's runs over; free the others */
    if (out->n) {
        ll_run **sorted = malloc(out->n * sizeof *sorted);
        if (!sorted) {
            s = ll_error_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(sorted, out->runs, out->n * sizeof *sorted);
        qsort(sorted, out->n, sizeof *sorted, cmp_ptr);
        for (size_t i = 0; i < sl.n; i++)
            sl.items[i].returned =
                bsearch(&sl.items[i].run, sorted, out->n, sizeof *sorted, cmp_ptr) != NULL;
        free(sorted);
    }
done:
    for (size_t i = 0; i < sl.n; i++)
        if (s || !sl.items[i].returned) ll_run_free(sl.items[i].run);
    free(sl.items);
    if (s) {
        free(out->runs);
        memset(out, 0, sizeof *out);
    }
    free(pk);
    free(from);
    free(dirty);
    free(fkeys);
    ll_store_experiments_free(&exps);
    return s;
}

/* Every run directory whose name starts with prefix, in active and deleted experiments. */
ll_status ll_store_get_run(ll_store *st, const char *id_or_prefix, ll_run **out, ll_error *err)
{
    *out = NULL;
    if (!id_or_prefix || !*id_or_prefix || !valid_id(id_or_prefix))
        return ll_error_set(err, LL_EINVAL, "invalid run id '%s'",
                            id_or_prefix ? id_or_prefix : "");
    ll_experiment_list exps;
    ll_status s = ll_store_experiments(st, 1, &exps, err);
    if (s) return s;
    size_t plen = strlen(id_or_prefix);
    ll_run *found = NULL;
    int nfound = 0, exact = 0;
    char names[3][40];
    for (size_t i = 0; i < exps.n && !exact; i++) {
        DIR *d = opendir(exps.items[i].dir);
        if (!d) continue;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strncmp(de->d_name, id_or_prefix, plen)) continue;
            char dir[PATH_CAP];
            if (snprintf(dir, sizeof dir, "%s/%s", exps.items[i].dir, de->d_name) >=
                (int)sizeof dir)
                continue;
            ll_run *r = read_run(dirfd(d), dir, de->d_name, exps.items[i].id, NULL);
            if (!r) continue;
            if (exps.items[i].deleted) r->deleted = 1;
            int is_exact = !strcmp(de->d_name, id_or_prefix);
            if (is_exact) {
                ll_run_free(found);
                found = r;
                exact = 1;
                nfound = 1;
                break;
            }
            if (nfound < 3) snprintf(names[nfound], sizeof names[nfound], "%.32s", r->run_id);
            nfound++;
            if (!found)
                found = r;
            else
                ll_run_free(r);
        }
        closedir(d);
    }
    ll_store_experiments_free(&exps);
    if (!nfound)
        return ll_error_set(err, LL_ENOTFOUND, "no run '%s' in %s", id_or_prefix, st->root);
    if (nfound > 1 && !exact) {
        ll_run_free(found);
        return ll_error_set(err, LL_EINVAL, "run id prefix '%s' is ambiguous: %s, %s%s%s",
                            id_or_prefix, names[0], names[1], nfound > 2 ? ", " : "",
                            nfound > 3   ? "..."
                            : nfound > 2 ? names[2]
                                         : "");
    }
    check_died(st, found);
    if ((s = ll_store_run_load(st, found, err))) {
        ll_run_free(found);
        return s;
    }
    *out = found;
    return LL_OK;
}

ll_status ll_store_metric_history(ll_store *st, const ll_run *r, const char *key,
                                  ll_metric_point **points, size_t *n, ll_error *err)
{
    (void)st;
    *points = NULL;
    *n = 0;
    if (!ll_store_valid_key(key)) return ll_error_set(err, LL_EINVAL, "invalid metric '%s'", key);
    char path[PATH_CAP];
    if (snprintf(path, sizeof path, "%s/metrics/%s", r->dir, key) >= (int)sizeof path)
        return ll_error_set(err, LL_EINVAL, "path too long");
    char *text;
    size_t len;
    ll_status s = ll_fsutil_read(path, &text, &len, err);
    if (s) {
        if (s == LL_ENOTFOUND) ll_error_set(err, s, "run %s has no metric '%s'", r->run_id, key);
        return s;
    }
    size_t cap = 0;
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        if (!nl) break; /* a torn last line */
        size_t ln = (size_t)(nl - p);
        ll_metric_point pt = {0};
        if (parse_metric_line(p, ln, &pt)) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                ll_metric_point *np = realloc(*points, cap * sizeof *np);
                if (!np) {
                    free(text);
                    free(*points);
                    *points = NULL;
                    *n = 0;
                    return ll_error_set(err, LL_ENOMEM, "out of memory");
                }
                *points = np;
            }
            (*points)[(*n)++] = pt;
        }
        p += ln + 1;
    }
    free(text);
    return LL_OK;
}

ll_status ll_store_metric_summary(ll_store *st, const ll_run *r, const char *key, int higher_better,
                                  ll_metric_summary *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_metric_point *pts;
    size_t n;
    ll_status s = ll_store_metric_history(st, r, key, &pts, &n, err);
    if (s) return s;
    if (!n) {
        free(pts);
        return ll_error_set(err, LL_ENOTFOUND, "run %s has no values of metric '%s'", r->run_id,
                            key);
    }
    out->steps = n;
    out->first = pts[0].value;
    out->first_step = pts[0].step;
    out->last = pts[n - 1].value;
    out->last_step = pts[n - 1].step;
    out->best = pts[0].value;
    out->best_step = pts[0].step;
    for (size_t i = 1; i < n; i++) {
        double v = pts[i].value;
        if (isnan(v)) continue;
        if (isnan(out->best) || (higher_better ? v > out->best : v < out->best)) {
            out->best = v;
            out->best_step = pts[i].step;
        }
    }
    free(pts);
    return LL_OK;
}

ll_status ll_store_run_artifact_path(const ll_store *st, const ll_run *r, const char *sub,
                                     char *path, size_t len, ll_error *err)
{
    (void)st;
    char p[PATH_CAP];
    const char *suffix = sub && *sub ? sub : "";
    if (r->artifact_uri && uri_to_path(r->artifact_uri, p, sizeof p) && ll_fsutil_is_dir(p)) {
        if (snprintf(path, len, "%s%s%s", p, *suffix ? "/" : "", suffix) >= (int)len)
            return ll_error_set(err, LL_EINVAL, "path too long");
        return LL_OK;
    }
    if (snprintf(path, len, "%s/artifacts%s%s", r->dir, *suffix ? "/" : "", suffix) >= (int)len)
        return ll_error_set(err, LL_EINVAL, "path too long");
    return LL_OK;
}

static ll_status set_lifecycle(ll_store *st, const char *run_id, int deleted, ll_error *err)
{
    ll_run *r;
    ll_status s = ll_store_get_run(st, run_id, &r, err);
    if (s) return s;
    if (strcmp(r->run_id, run_id)) {
        ll_run_free(r);
        return ll_error_set(err, LL_EINVAL, "give the full run id (%s)", r->run_id);
    }
    char path[PATH_CAP];
    if (snprintf(path, sizeof path, "%s/%s", r->dir, META) >= (int)sizeof path) {
        ll_run_free(r);
        return ll_error_set(err, LL_EINVAL, "path too long");
    }
    ll_run_free(r);
    ll_yamlmap m;
    if ((s = ll_yamlmap_load(path, &m, err))) return s;
    ll_yamlmap_set_str(&m, "lifecycle_stage", deleted ? "deleted" : "active");
    if (deleted)
        ll_yamlmap_set_int(&m, "deleted_time", ll_store_now_ms());
    else
        ll_yamlmap_remove(&m, "deleted_time");
    s = write_map(st, path, &m, err);
    ll_yamlmap_free(&m);
    return s;
}

ll_status ll_store_delete_run(ll_store *st, const char *run_id, ll_error *err)
{
    return set_lifecycle(st, run_id, 1, err);
}

ll_status ll_store_restore_run(ll_store *st, const char *run_id, ll_error *err)
{
    return set_lifecycle(st, run_id, 0, err);
}

/* ------------------------------------------------------------------ runs: writing */

typedef struct {
    char *key;
    char *buf;
    size_t len, cap;
} pending_metric;

struct ll_run_handle {
    ll_store *st;
    char run_id[33];
    char *exp_id;
    char *dir;
    pending_metric *pend;
    size_t npend;
    size_t pending_bytes;
    long long last_flush_ms;
    int keep; /* never removed for lack of room (reopened, or ll_store_run_keep) */
};

static void handle_free(ll_run_handle *h);

const char *ll_store_run_id(const ll_run_handle *h)
{
    return h->run_id;
}

const char *ll_store_run_dir(const ll_run_handle *h)
{
    return h->dir;
}

static void random_run_name(char *out, size_t len)
{
    static const char *const adj[] = {"amber",  "bold",  "brisk",  "calm",  "clever", "crisp",
                                      "eager",  "fair",  "gentle", "keen",  "lucid",  "merry",
                                      "nimble", "quiet", "rapid",  "sharp", "steady", "vivid"};
    static const char *const noun[] = {"ledger", "lender", "loan",  "note",  "owl",  "fox",
                                       "heron",  "lynx",   "otter", "raven", "wren", "bison",
                                       "falcon", "marten", "quail", "stoat", "tern", "vole"};
    unsigned char b[3];
    random_bytes(b, sizeof b);
    snprintf(out, len, "%s-%s-%03d", adj[b[0] % (sizeof adj / sizeof *adj)],
             noun[b[1] % (sizeof noun / sizeof *noun)], b[2] % 1000);
}

static ll_status write_tag_file(ll_store *st, const char *dir, const char *key, const char *value,
                                ll_error *err)
{
    char path[PATH_CAP], sub[PATH_CAP];
    if (snprintf(path, sizeof path, "%s/tags/%s", dir, key) >= (int)sizeof path)
        return ll_error_set(err, LL_EINVAL, "tag key too long");
    /* keys with '/' live in subdirectories, as MLflow writes them */
    snprintf(sub, sizeof sub, "%s", path);
    char *slash = strrchr(sub, '/');
    *slash = '\0';
    ll_status s = ll_fsutil_mkdir_p(sub, err);
    if (!s) s = ll_store_write_file(st, path, value, strlen(value), err);
    if (!s) mark_run_changed(dir);
    return s;
}

/* Write the meta.yaml of a new run into dir. */
static ll_status write_run_meta(ll_store *st, const char *dir, const char *run_id,
                                const char *exp_id, const char *artifact_location, const char *name,
                                const char *user, long long now, ll_error *err)
{
    char uri[PATH_CAP], path[PATH_CAP];
    snprintf(uri, sizeof uri, "%s/%s/artifacts", artifact_location ? artifact_location : "",
             run_id);
    if (!artifact_location) {
        char absdir[PATH_CAP];
        snprintf(absdir, sizeof absdir, "%s/%s/%s/artifacts", st->abs_root, exp_id, run_id);
        path_to_uri(absdir, uri, sizeof uri);
    }
    ll_yamlmap m = {0};
    ll_yamlmap_set_str(&m, "artifact_uri", uri);
    ll_yamlmap_set_str(&m, "deleted_time", NULL);
    ll_yamlmap_set_str(&m, "end_time", NULL);
    ll_yamlmap_set_str(&m, "entry_point_name", "");
    ll_yamlmap_set_str(&m, "experiment_id", exp_id);
    ll_yamlmap_set_str(&m, "lifecycle_stage", "active");
    ll_yamlmap_set_str(&m, "run_id", run_id);
    ll_yamlmap_set_str(&m, "run_name", name);
    ll_yamlmap_set_str(&m, "run_uuid", run_id);
    ll_yamlmap_set_str(&m, "source_name", "");
    ll_yamlmap_set_int(&m, "source_type", 4); /* SourceType.LOCAL */
    ll_yamlmap_set_str(&m, "source_version", "");
    ll_yamlmap_set_int(&m, "start_time", now);
    ll_yamlmap_set_int(&m, "status", LL_RUN_RUNNING);
    ll_yamlmap_set_empty(&m, "tags", LL_YAML_SEQ);
    ll_yamlmap_set_str(&m, "user_id", user);
    ll_status s = LL_OK;
    if (m.n != 16) s = ll_error_set(err, LL_ENOMEM, "out of memory");
    if (!s) s = ll_fsutil_join(path, sizeof path, dir, META, err);
    if (!s) s = write_map(st, path, &m, err);
    ll_yamlmap_free(&m);
    return s;
}

ll_status ll_store_run_begin(ll_store *st, const char *exp_name, const char *run_name,
                             const char *source, ll_run_handle **out, ll_error *err)
{
    *out = NULL;
    char exp_id[32];
    ll_status s = ll_store_experiment_ensure(st, exp_name, exp_id, sizeof exp_id, err);
    if (s) return s;
    ll_experiment e;
    if ((s = find_experiment(st, exp_id, 0, &e, err))) return s;
    char dir[PATH_CAP], tmp[PATH_CAP] = "", name[128], user[256];
    if (run_name && *run_name)
        snprintf(name, sizeof name, "%s", run_name);
    else
        random_run_name(name, sizeof name);
    ll_store_user(user, sizeof user);
    long long now = ll_store_now_ms();
    /* the run is built under a temporary name and renamed into place, so that a run directory
     * always has its meta.yaml and tags (lendlab.pid tells a died run); temporary directories
     * of processes killed while doing this are removed first */
    ll_fsutil_sweep_tmp(e.dir);
    s = ll_fsutil_mkdtemp(e.dir, "run", tmp, sizeof tmp, err);
    static const char *const subdirs[] = {"metrics", "params", "artifacts", "tags"};
    for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs && !s; i++) {
        char p[PATH_CAP];
        if (!(s = ll_fsutil_join(p, sizeof p, tmp, subdirs[i], err))) s = ll_fsutil_mkdir_p(p, err);
    }
    char pidtag[320];
    snprintf(pidtag, sizeof pidtag, "%ld@%s", (long)getpid(), st->host);
    const char *tags[][2] = {{"mlflow.runName", name},
                             {"mlflow.user", user},
                             {"mlflow.source.name", source && *source ? source : "lendlab"},
                             {"mlflow.source.type", "LOCAL"},
                             {"lendlab.version", LL_VERSION},
                             {"lendlab.pid", pidtag}};
    for (size_t i = 0; i < sizeof tags / sizeof *tags && !s; i++)
        s = write_tag_file(st, tmp, tags[i][0], tags[i][1], err);
    char run_id[33];
    for (int attempt = 0; !s; attempt++) {
        new_run_id(run_id);
        if (snprintf(dir, sizeof dir, "%s/%s", e.dir, run_id) >= (int)sizeof dir) {
            s = ll_error_set(err, LL_EINVAL, "path too long");
            break;
        }
        s = write_run_meta(st, tmp, run_id, exp_id, e.artifact_location, name, user, now, err);
        if (!s) s = ll_fsutil_rename_noreplace(tmp, dir, err);
        if (s != LL_EEXIST || attempt > 8) break;
        s = LL_OK;
    }
    ll_experiment_clear(&e);
    if (s) {
        if (*tmp) ll_fsutil_remove_tree(tmp, NULL);
        return s;
    }
    ll_run_handle *h = calloc(1, sizeof *h);
    if (h) {
        h->st = st;
        memcpy(h->run_id, run_id, sizeof h->run_id);
        h->exp_id = xstrdup(exp_id);
        h->dir = xstrdup(dir);
    }
    if (!h || !h->exp_id || !h->dir) {
        /* the run exists: leave it RUNNING (it shows as DIED) rather than half-removed */
        if (h) handle_free(h);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    h->last_flush_ms = now;
    *out = h;
    return LL_OK;
}

ll_status ll_store_log_param(ll_run_handle *h, const char *key, const char *value, ll_error *err)
{
    if (!key || !ll_store_valid_key(key))
        return ll_error_set(err, LL_EINVAL, "invalid param name '%s'", key ? key : "");
    if (!value) value = "";
    char path[PATH_CAP], sub[PATH_CAP];
    if (snprintf(path, sizeof path, "%s/params/%s", h->dir, key) >= (int)sizeof path)
        return ll_error_set(err, LL_EINVAL, "param name too long");
    char *old;
    size_t olen;
    if (ll_fsutil_read(path, &old, &olen, NULL) == LL_OK) {
        int same = olen == strlen(value) && !memcmp(old, value, olen);
        ll_status s = same ? LL_OK
                           : ll_error_set(err, LL_EEXIST,
                                          "param '%s' was already logged as '%s' (params cannot "
                                          "change)",
                                          key, old);
        free(old);
        return s;
    }
    snprintf(sub, sizeof sub, "%s", path);
    *strrchr(sub, '/') = '\0';
    ll_status s = ll_fsutil_mkdir_p(sub, err);
    if (!s) s = ll_store_write_file(h->st, path, value, strlen(value), err);
    if (!s) mark_run_changed(h->dir);
    return s;
}

ll_status ll_store_run_flush(ll_run_handle *h, ll_error *err)
{
    ll_status first = LL_OK;
    int wrote = 0;
    for (size_t i = 0; i < h->npend; i++) {
        pending_metric *p = &h->pend[i];
        if (!p->len) continue;
        char path[PATH_CAP], sub[PATH_CAP];
        ll_status s = LL_OK;
        if (snprintf(path, sizeof path, "%s/metrics/%s", h->dir, p->key) >= (int)sizeof path) {
            s = ll_error_set(err, LL_EINVAL, "metric name too long");
        } else {
            snprintf(sub, sizeof sub, "%s", path);
            *strrchr(sub, '/') = '\0';
            s = ll_fsutil_mkdir_p(sub, err);
            if (!s) s = ll_fsutil_append(path, p->buf, p->len, 1, err);
        }
        if (s && !first) first = s;
        if (!s) p->len = 0;
        wrote = 1; /* even a failed append may have written part of a line */
    }
    if (wrote) mark_run_changed(h->dir);
    h->pending_bytes = 0;
    for (size_t i = 0; i < h->npend; i++) h->pending_bytes += h->pend[i].len;
    h->last_flush_ms = ll_store_now_ms();
    return first;
}

ll_status ll_store_log_metric_at(ll_run_handle *h, const char *key, double value, long long step,
                                 long long timestamp_ms, ll_error *err)
{
    if (!key || !ll_store_valid_key(key))
        return ll_error_set(err, LL_EINVAL, "invalid metric name '%s'", key ? key : "");
    pending_metric *p = NULL;
    for (size_t i = 0; i < h->npend && !p; i++)
        if (!strcmp(h->pend[i].key, key)) p = &h->pend[i];
    if (!p) {
        pending_metric *np = realloc(h->pend, (h->npend + 1) * sizeof *np);
        if (!np) return ll_error_set(err, LL_ENOMEM, "out of memory");
        h->pend = np;
        p = &np[h->npend];
        memset(p, 0, sizeof *p);
        if (!(p->key = xstrdup(key))) return ll_error_set(err, LL_ENOMEM, "out of memory");
        h->npend++;
    }
    char num[64], line[128];
    ll_store_metric_value_format(value, num, sizeof num);
    int n = snprintf(line, sizeof line, "%lld %s %lld\n", timestamp_ms, num, step);
    if (n < 0 || (size_t)n >= sizeof line) return ll_error_set(err, LL_EINVAL, "bad metric value");
    if (p->len + (size_t)n + 1 > p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 1024;
        while (nc < p->len + (size_t)n + 1) nc *= 2;
        char *nb = realloc(p->buf, nc);
        if (!nb) return ll_error_set(err, LL_ENOMEM, "out of memory");
        p->buf = nb;
        p->cap = nc;
    }
    memcpy(p->buf + p->len, line, (size_t)n);
    p->len += (size_t)n;
    h->pending_bytes += (size_t)n;
    long long now = ll_store_now_ms();
    if (h->pending_bytes >= FLUSH_BYTES || now - h->last_flush_ms >= FLUSH_MS)
        return ll_store_run_flush(h, err);
    return LL_OK;
}

ll_status ll_store_log_metric(ll_run_handle *h, const char *key, double value, long long step,
                              ll_error *err)
{
    return ll_store_log_metric_at(h, key, value, step, ll_store_now_ms(), err);
}

#define END_KEEP  (-1LL) /* update_meta: leave end_time as it is */
#define END_CLEAR (-2LL) /* update_meta: end_time null (running again, or paused) */

/* Rewrite the meta.yaml of the run in dir: run_name when not NULL, status when > 0, end_time
 * (a time, END_KEEP or END_CLEAR). */
static ll_status update_meta_dir(ll_store *st, const char *dir, const char *run_name, int status,
                                 long long end_time, ll_error *err)
{
    char path[PATH_CAP];
    ll_status s = ll_fsutil_join(path, sizeof path, dir, META, err);
    if (s) return s;
    ll_yamlmap m;
    if ((s = ll_yamlmap_load(path, &m, err))) return s;
    if (run_name) ll_yamlmap_set_str(&m, "run_name", run_name);
    if (status > 0) ll_yamlmap_set_int(&m, "status", status);
    if (end_time == END_CLEAR)
        ll_yamlmap_set_str(&m, "end_time", NULL);
    else if (end_time >= 0)
        ll_yamlmap_set_int(&m, "end_time", end_time);
    /* MLflow rewrites run info without deleted_time unless the run is deleted */
    const char *stage = ll_yamlmap_str(&m, "lifecycle_stage");
    if (!stage || strcmp(stage, "deleted")) ll_yamlmap_remove(&m, "deleted_time");
    s = write_map(st, path, &m, err);
    ll_yamlmap_free(&m);
    return s;
}

static ll_status update_meta(ll_run_handle *h, const char *run_name, int status, long long end_time,
                             ll_error *err)
{
    return update_meta_dir(h->st, h->dir, run_name, status, end_time, err);
}

/* Tag a run's directory; setting mlflow.runName also renames the run as MLflow does. */
static ll_status set_tag_dir(ll_store *st, const char *dir, const char *key, const char *value,
                             ll_error *err)
{
    if (!key || !ll_store_valid_key(key))
        return ll_error_set(err, LL_EINVAL, "invalid tag name '%s'", key ? key : "");
    if (!value) value = "";
    ll_status s = write_tag_file(st, dir, key, value, err);
    if (!s && !strcmp(key, "mlflow.runName"))
        s = update_meta_dir(st, dir, value, -1, END_KEEP, err);
    return s;
}

ll_status ll_store_set_tag(ll_run_handle *h, const char *key, const char *value, ll_error *err)
{
    return set_tag_dir(h->st, h->dir, key, value, err);
}

ll_status ll_store_delete_tag(ll_run_handle *h, const char *key, ll_error *err)
{
    if (!key || !ll_store_valid_key(key))
        return ll_error_set(err, LL_EINVAL, "invalid tag name '%s'", key ? key : "");
    char path[PATH_CAP];
    if (snprintf(path, sizeof path, "%s/tags/%s", h->dir, key) >= (int)sizeof path)
        return ll_error_set(err, LL_EINVAL, "tag key too long");
    if (unlink(path)) {
        if (errno == ENOENT) return LL_OK;
        return ll_error_set(err, LL_EIO, "cannot remove %s: %s", path, strerror(errno));
    }
    mark_run_changed(h->dir);
    *strrchr(path, '/') = '\0';
    return ll_fsutil_fsync_dir(path, err);
}

/* The active run whose id is run_id exactly, info fields only. */
static ll_status find_active_run(ll_store *st, const char *run_id, ll_run **out, ll_error *err)
{
    *out = NULL;
    if (!run_id || !valid_id(run_id))
        return ll_error_set(err, LL_EINVAL, "invalid run id '%s'", run_id ? run_id : "");
    ll_experiment_list exps;
    ll_status s = ll_store_experiments(st, 1, &exps, err);
    if (s) return s;
    ll_run *r = NULL;
    int exp_deleted = 0;
    for (size_t i = 0; i < exps.n && !r; i++) {
        char dir[PATH_CAP];
        if (snprintf(dir, sizeof dir, "%s/%s", exps.items[i].dir, run_id) >= (int)sizeof dir)
            continue;
        ll_error e2;
        r = read_run(AT_FDCWD, dir, run_id, exps.items[i].id, &e2);
        exp_deleted = exps.items[i].deleted;
    }
    ll_store_experiments_free(&exps);
    if (!r) return ll_error_set(err, LL_ENOTFOUND, "no run '%s' in %s", run_id, st->root);
    if (r->deleted || exp_deleted) {
        ll_run_free(r);
        return ll_error_set(err, LL_ESTATE, "run %s is deleted (restore it first)", run_id);
    }
    *out = r;
    return LL_OK;
}

ll_status ll_store_set_run_tag(ll_store *st, const char *run_id, const char *key, const char *value,
                               ll_error *err)
{
    ll_run *r;
    ll_status s = find_active_run(st, run_id, &r, err);
    if (s) return s;
    s = set_tag_dir(st, r->dir, key, value, err);
    ll_run_free(r);
    return s;
}

ll_status ll_store_run_reopen(ll_store *st, const char *run_id, ll_run_handle **out, ll_error *err)
{
    *out = NULL;
    ll_run *r;
    ll_status s = find_active_run(st, run_id, &r, err);
    if (s) return s;
    ll_run_handle *h = calloc(1, sizeof *h);
    if (h) {
        h->st = st;
        snprintf(h->run_id, sizeof h->run_id, "%s", r->run_id);
        h->exp_id = xstrdup(r->experiment_id);
        h->dir = xstrdup(r->dir);
        h->keep = 1;
        h->last_flush_ms = ll_store_now_ms();
    }
    ll_run_free(r);
    if (!h || !h->exp_id || !h->dir) {
        if (h) handle_free(h);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    /* the process tag first: a run shown RUNNING again names a live process */
    char pidtag[320];
    snprintf(pidtag, sizeof pidtag, "%ld@%s", (long)getpid(), st->host);
    s = write_tag_file(st, h->dir, "lendlab.pid", pidtag, err);
    if (!s) s = update_meta(h, NULL, LL_RUN_RUNNING, END_CLEAR, err);
    if (s) {
        handle_free(h);
        return s;
    }
    *out = h;
    return LL_OK;
}

void ll_store_run_keep(ll_run_handle *h)
{
    if (h) h->keep = 1;
}

ll_status ll_store_run_artifact_dir(ll_run_handle *h, const char *sub, char *path, size_t len,
                                    ll_error *err)
{
    if (sub && *sub && !ll_store_valid_key(sub))
        return ll_error_set(err, LL_EINVAL, "invalid artifact path '%s'", sub);
    if (snprintf(path, len, "%s/artifacts%s%s", h->dir, sub && *sub ? "/" : "", sub ? sub : "") >=
        (int)len)
        return ll_error_set(err, LL_EINVAL, "path too long");
    return ll_fsutil_mkdir_p(path, err);
}

static void handle_free(ll_run_handle *h)
{
    for (size_t i = 0; i < h->npend; i++) {
        free(h->pend[i].key);
        free(h->pend[i].buf);
    }
    free(h->pend);
    free(h->exp_id);
    free(h->dir);
    free(h);
}

/* Non-zero when e reports a write refused for lack of room: a full disk or quota, or the file
 * size limit (the messages of fsutil carry strerror of the failed call). */
static int no_room(const ll_error *e)
{
    static const int codes[] = {ENOSPC, EDQUOT, EFBIG};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (strstr(e->msg, strerror(codes[i]))) return 1;
    return 0;
}

/* The end of run h could not be recorded for lack of room (err says so). A run must not stay
 * RUNNING for ever, so: remove its artifacts (a partly saved model is the likely culprit) and
 * record FAILED (or KILLED) instead; failing that remove the run altogether. LL_OK only when
 * the status asked for was recorded. */
static ll_status end_without_room(ll_run_handle *h, ll_run_status status, ll_error *err)
{
    char why[1024], art[PATH_CAP];
    /* a kept run predates this process or has runs pointing to it: nothing is removed */
    if (h->keep) return LL_EIO;
    snprintf(why, sizeof why, "%s", err->msg);
    ll_run_status end = status == LL_RUN_FINISHED ? LL_RUN_FAILED : status;
    ll_error ignored;
    if (snprintf(art, sizeof art, "%s/artifacts", h->dir) < (int)sizeof art &&
        ll_fsutil_discard_tree(art, &ignored) == LL_OK) {
        mkdir(art, 0777);
        long long t = end == LL_RUN_SCHEDULED ? END_CLEAR : ll_store_now_ms();
        if (update_meta(h, NULL, (int)end, t, &ignored) == LL_OK) {
            if (end == status) return LL_OK;
            write_tag_file(h->st, h->dir, "lendlab.error", why, &ignored);
            return ll_error_set(err, LL_EIO,
                                "%s; run %s marked FAILED (its artifacts were removed to make "
                                "room)",
                                why, h->run_id);
        }
    }
    if (ll_fsutil_discard_tree(h->dir, &ignored) == LL_OK)
        return ll_error_set(err, LL_EIO,
                            "%s; run %s removed: there was no room to record how it ended", why,
                            h->run_id);
    return ll_error_set(err, LL_EIO, "%s", why);
}

ll_status ll_store_run_end(ll_run_handle *h, ll_run_status status, ll_error *err)
{
    if (!h) return ll_error_set(err, LL_EINVAL, "no run");
    if (status != LL_RUN_FINISHED && status != LL_RUN_FAILED && status != LL_RUN_KILLED &&
        status != LL_RUN_SCHEDULED) {
        handle_free(h);
        return ll_error_set(err, LL_EINVAL, "a run ends FINISHED, FAILED, KILLED or SCHEDULED");
    }
    ll_status s = ll_store_run_flush(h, err);
    ll_error me;
    ll_error_clear(&me);
    /* a SCHEDULED run waits to be reopened: it has no end time */
    long long end = status == LL_RUN_SCHEDULED ? END_CLEAR : ll_store_now_ms();
    ll_status s2 = update_meta(h, NULL, (int)status, end, &me);
    if (s2 && no_room(&me)) s2 = end_without_room(h, status, &me);
    if (s2 && !s && err) *err = me;
    handle_free(h);
    return s ? s : s2;
}

void ll_store_run_abandon(ll_run_handle *h)
{
    if (!h) return;
    if (h->dir) ll_store_run_flush(h, NULL);
    handle_free(h);
}
