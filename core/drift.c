/* drift: per-column and dataset drift between a reference and a current data set, PSI,
 * saved reference profiles and the JSON/HTML drift report. */
#include "drift.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "numfmt.h"
#include "stats.h"

/* Evidently's size limit: references with more rows get the distance tests by default. */
#define AUTO_SMALL_REFERENCE 1000
/* Numeric columns with more distinct reference values than this get decile PSI bins. */
#define PSI_MIN_DISTINCT 5
/* Numeric columns with more distinct reference values than this get Sturges bins for the
 * Jensen-Shannon distance (Evidently's get_binned_data). */
#define JS_MIN_DISTINCT 20
/* Histogram shape in the HTML report. */
#define HIST_BINS       24
#define HIST_MAX_VALUES 20 /* numeric columns with at most this many values: a bar each */
#define HIST_MAX_CATS   36 /* categories drawn; the rest are summed as "other" */

/* ------------------------------------------------------------------ names */

static const char *const test_names[LL_STATTEST_COUNT] = {
    "auto", "ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi"};
static const char *const test_display[LL_STATTEST_COUNT] = {"auto",
                                                            "K-S p_value",
                                                            "chi-square p_value",
                                                            "Z-test p_value",
                                                            "Wasserstein distance (normed)",
                                                            "Jensen-Shannon distance",
                                                            "PSI"};

const char *ll_stattest_name(ll_stattest t)
{
    return t >= 0 && t < LL_STATTEST_COUNT ? test_names[t] : "?";
}

const char *ll_stattest_display(ll_stattest t)
{
    return t >= 0 && t < LL_STATTEST_COUNT ? test_display[t] : "?";
}

int ll_stattest_parse(const char *s)
{
    for (int i = 0; i < LL_STATTEST_COUNT; i++)
        if (s && !strcmp(s, test_names[i])) return i;
    return -1;
}

int ll_stattest_is_pvalue(ll_stattest t)
{
    return t == LL_STATTEST_KS || t == LL_STATTEST_CHISQUARE || t == LL_STATTEST_Z;
}

double ll_stattest_default_threshold(ll_stattest t)
{
    return ll_stattest_is_pvalue(t) ? 0.05 : 0.1;
}

const char *ll_drift_psi_band(double psi)
{
    if (isnan(psi)) return "-";
    return psi < 0.1 ? "stable" : psi <= 0.25 ? "moderate" : "significant";
}

static const char *kind_name(ll_drift_kind k)
{
    return k == LL_DRIFT_NUM ? "num" : "cat";
}

char *ll_drift_fmt(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (isinf(v) || v == 0) return ll_numfmt_double(v, buf, len);
    double a = fabs(v);
    int e = (int)floor(log10(a));
    if (a >= 1e-4 && a < 1e6) {
        double scale = pow(10.0, 3 - e);
        return ll_numfmt_double(round(v * scale) / scale, buf, len);
    }
    /* mantissa in [1, 10) without overflowing the scale for extreme exponents */
    double m = (v * pow(10.0, -e / 2)) * pow(10.0, -e + e / 2);
    double mr = round(m * 1000) / 1000;
    if (fabs(mr) >= 10) {
        mr /= 10;
        e++;
    }
    char mb[48];
    ll_numfmt_double(mr, mb, sizeof mb);
    snprintf(buf, len, "%se%s%02d", mb, e < 0 ? "-" : "+", abs(e));
    return buf;
}

/* ------------------------------------------------------- options & tests */

void ll_drift_options_init(ll_drift_options *o)
{
    memset(o, 0, sizeof *o);
    o->drift_share = LL_DRIFT_DEFAULT_SHARE;
    o->stattest = LL_STATTEST_AUTO;
    o->threshold = NAN;
}

int ll_drift_column_test_parse(const char *s, ll_drift_column_test *t, char *errbuf, size_t errlen)
{
    const char *eq = strrchr(s, '=');
    if (!eq || eq == s) {
        snprintf(errbuf, errlen, "expected COL=TEST[:THRESHOLD], got '%s'", s);
        return -1;
    }
    char test[64];
    const char *colon = strchr(eq + 1, ':');
    size_t tl = colon ? (size_t)(colon - (eq + 1)) : strlen(eq + 1);
    if (tl >= sizeof test) tl = sizeof test - 1;
    memcpy(test, eq + 1, tl);
    test[tl] = '\0';
    int id = ll_stattest_parse(test);
    if (id < 0) {
        snprintf(errbuf, errlen,
                 "unknown test '%s' in '%s' (auto, ks, chisquare, z, wasserstein, "
                 "jensenshannon, psi)",
                 test, s);
        return -1;
    }
    t->test = (ll_stattest)id;
    t->threshold = NAN;
    if (colon) {
        double th;
        if (!ll_numparse(colon + 1, strlen(colon + 1), &th) || !(th >= 0)) {
            snprintf(errbuf, errlen, "bad threshold '%s' in '%s'", colon + 1, s);
            return -1;
        }
        t->threshold = th;
    }
    t->column = s; /* the caller's string: the name is s up to eq */
    return 0;
}

/* ---------------------------------------------------------------- columns */

void ll_drift_column_clear(ll_drift_column *c)
{
    if (!c) return;
    free(c->name);
    free(c->values);
    if (c->cats)
        for (size_t i = 0; i < c->k; i++) free(c->cats[i]);
    free(c->cats);
    free(c->counts);
    free(c->psi_edges);
    memset(c, 0, sizeof *c);
}

void ll_drift_profile_free(ll_drift_profile *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->ncols; i++) ll_drift_column_clear(&p->cols[i]);
    free(p->cols);
    free(p->source);
    free(p->target);
    free(p);
}

long ll_drift_profile_find(const ll_drift_profile *p, const char *name)
{
    for (size_t i = 0; i < p->ncols; i++)
        if (!strcmp(p->cols[i].name, name)) return (long)i;
    return -1;
}

static size_t sum_counts(const size_t *c, size_t k)
{
    size_t s = 0;
    for (size_t i = 0; i < k; i++) s += c[i];
    return s;
}

/* Interior edges of the reference's decile bins: numpy.quantile at 0, 0.1, ..., 1, made
 * unique, first and last dropped (they become -inf and +inf). */
static int psi_edges_compute(ll_drift_column *c)
{
    free(c->psi_edges);
    c->psi_edges = NULL;
    c->npsi_edges = 0;
    if (c->kind != LL_DRIFT_NUM || c->k <= PSI_MIN_DISTINCT) return 0;
    size_t n = sum_counts(c->counts, c->k);
    double q[11];
    for (int i = 0; i < 11; i++)
        q[i] = ll_stats_quantile(c->values, c->counts, c->k, n, i == 10 ? 1.0 : i * 0.1);
    for (int i = 1; i < 11; i++) /* insertion sort, as np.unique sorts */
        for (int j = i; j > 0 && q[j] < q[j - 1]; j--) {
            double t = q[j];
            q[j] = q[j - 1];
            q[j - 1] = t;
        }
    double u[11] = {q[0]};
    int nu = 1;
    for (int i = 1; i < 11; i++)
        if (q[i] != u[nu - 1]) u[nu++] = q[i];
    if (nu <= 2) return 0;
    c->psi_edges = malloc((size_t)(nu - 2) * sizeof *c->psi_edges);
    if (!c->psi_edges) return -1;
    memcpy(c->psi_edges, u + 1, (size_t)(nu - 2) * sizeof *u);
    c->npsi_edges = (size_t)(nu - 2);
    return 0;
}

/* scratch (2 n uint64_t) may be NULL: the sort then allocates its own. */
static ll_status column_from_values(const char *name, const double *v, size_t n, uint64_t *scratch,
                                    ll_drift_column *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind = LL_DRIFT_NUM;
    out->nrows = n;
    out->name = strdup(name ? name : "");
    size_t nobs = 0;
    int bad = !out->name;
    if (!bad)
        bad = scratch ? ll_stats_distinct_with(v, n, scratch, &out->values, &out->counts, &out->k,
                                               &nobs)
                      : ll_stats_distinct(v, n, &out->values, &out->counts, &out->k, &nobs);
    if (bad || psi_edges_compute(out)) {
        ll_drift_column_clear(out);
        return ll_error_set(err, LL_ENOMEM, "out of memory profiling column '%s'", name);
    }
    out->missing = n - nobs;
    return LL_OK;
}

ll_status ll_drift_column_from_values(const char *name, const double *v, size_t n,
                                      ll_drift_column *out, ll_error *err)
{
    return column_from_values(name, v, n, NULL, out, err);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Categories with their counts (zero counts dropped), sorted by spelling. counts is
 * indexed like dict and is consumed. */
static int column_set_categories(ll_drift_column *out, char *const *dict, const size_t *counts,
                                 size_t ndict)
{
    size_t k = 0;
    for (size_t i = 0; i < ndict; i++)
        if (counts[i]) k++;
    /* sort (spelling, count) pairs: pack the index behind each spelling pointer */
    struct pair {
        const char *s;
        size_t c;
    } *pairs = malloc((k ? k : 1) * sizeof *pairs);
    out->cats = calloc(k ? k : 1, sizeof *out->cats);
    out->counts = malloc((k ? k : 1) * sizeof *out->counts);
    if (!pairs || !out->cats || !out->counts) {
        free(pairs);
        return -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < ndict; i++)
        if (counts[i]) {
            pairs[j].s = dict[i] ? dict[i] : "";
            pairs[j++].c = counts[i];
        }
    qsort(pairs, k, sizeof *pairs, cmp_str_ptr); /* s is the first member */
    out->k = k;
    for (size_t i = 0; i < k; i++) {
        out->cats[i] = strdup(pairs[i].s);
        out->counts[i] = pairs[i].c;
        if (!out->cats[i]) {
            free(pairs);
            return -1;
        }
    }
    /* identical spellings (a dictionary should not have them) are merged */
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        if (w && !strcmp(out->cats[w - 1], out->cats[i])) {
            out->counts[w - 1] += out->counts[i];
            free(out->cats[i]);
            continue;
        }
        out->cats[w] = out->cats[i];
        out->counts[w++] = out->counts[i];
    }
    out->k = w;
    free(pairs);
    return 0;
}

/* Profile one table column. */
static ll_status column_profile(const ll_column *col, size_t nrows, uint64_t *scratch,
                                ll_drift_column *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    if (col->type == LL_COL_NUMERIC)
        return column_from_values(col->name, col->num, nrows, scratch, out, err);
    out->nrows = nrows;
    out->name = strdup(col->name);
    if (!out->name) goto nomem;
    if (col->type == LL_COL_BOOLEAN) {
        size_t c[2] = {0, 0};
        for (size_t r = 0; r < nrows; r++)
            if (!isnan(col->num[r])) c[col->num[r] != 0]++;
        out->missing = nrows - c[0] - c[1];
        double v[2] = {0, 1};
        int numeric = 1;
        for (int t = 0; t < 2 && col->dict && col->ndict >= 2; t++)
            if (!col->dict[t] || !ll_numparse(col->dict[t], strlen(col->dict[t]), &v[t]))
                numeric = 0;
        if (numeric && v[0] != v[1]) {
            /* spelled as numbers (0/1): the same column as a numeric one elsewhere */
            out->kind = LL_DRIFT_NUM;
            int lo = v[0] < v[1] ? 0 : 1;
            out->values = malloc(2 * sizeof *out->values);
            out->counts = malloc(2 * sizeof *out->counts);
            if (!out->values || !out->counts) goto nomem;
            for (int t = 0; t < 2; t++) {
                int src = t == 0 ? lo : 1 - lo;
                if (!c[src]) continue;
                out->values[out->k] = v[src] == 0 ? 0.0 : v[src];
                out->counts[out->k++] = c[src];
            }
            if (psi_edges_compute(out)) goto nomem;
            return LL_OK;
        }
        out->kind = LL_DRIFT_CAT;
        char *names[2] = {(col->dict && col->ndict >= 1 && col->dict[0]) ? col->dict[0] : "false",
                          (col->dict && col->ndict >= 2 && col->dict[1]) ? col->dict[1] : "true"};
        if (column_set_categories(out, names, c, 2)) goto nomem;
        return LL_OK;
    }
    out->kind = LL_DRIFT_CAT;
    size_t nd = col->ndict > 0 ? (size_t)col->ndict : 0;
    size_t *cnt = calloc(nd ? nd : 1, sizeof *cnt);
    if (!cnt) goto nomem;
    size_t present = 0;
    for (size_t r = 0; r < nrows; r++) {
        int32_t code = col->codes[r];
        if (code >= 0 && (size_t)code < nd) {
            cnt[code]++;
            present++;
        }
    }
    out->missing = nrows - present;
    int rc = column_set_categories(out, col->dict, cnt, nd);
    free(cnt);
    if (rc) goto nomem;
    return LL_OK;
nomem:
    ll_drift_column_clear(out);
    return ll_error_set(err, LL_ENOMEM, "out of memory profiling column '%s'", col->name);
}

typedef struct {
    const ll_table *t;
    ll_drift_profile *p;
    const volatile int *cancel;
    pthread_mutex_t lock;
    size_t next;
    ll_status status;
    ll_error err;
} profile_job;

static void *profile_worker(void *arg)
{
    profile_job *j = arg;
    /* one sort buffer per thread, reused for every column */
    uint64_t *scratch = malloc((j->t->nrows ? 2 * j->t->nrows : 1) * sizeof *scratch);
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t i = j->next++;
        int stop = j->status != LL_OK || i >= j->t->ncols || (j->cancel && *j->cancel);
        if (j->cancel && *j->cancel && j->status == LL_OK) {
            j->status = LL_ECANCELLED;
            ll_error_set(&j->err, LL_ECANCELLED, "cancelled");
        }
        pthread_mutex_unlock(&j->lock);
        if (stop) break;
        ll_error e;
        ll_error_clear(&e);
        ll_status st = column_profile(&j->t->cols[i], j->t->nrows, scratch, &j->p->cols[i], &e);
        if (st != LL_OK) {
            pthread_mutex_lock(&j->lock);
            if (j->status == LL_OK) {
                j->status = st;
                j->err = e;
            }
            pthread_mutex_unlock(&j->lock);
        }
    }
    free(scratch);
    return NULL;
}

ll_status ll_drift_profile_from_table(const ll_table *t, const char *source, const char *target,
                                      int nthreads, const volatile int *cancel,
                                      ll_drift_profile **out, ll_error *err)
{
    *out = NULL;
    if (target && ll_table_find(t, target) < 0)
        return ll_error_set(err, LL_ENOTFOUND, "target column '%s' is not in %s", target,
                            source ? source : "the data");
    ll_drift_profile *p = calloc(1, sizeof *p);
    if (!p) return ll_error_set(err, LL_ENOMEM, "out of memory");
    p->nrows = t->nrows;
    p->ncols = t->ncols;
    p->cols = calloc(t->ncols ? t->ncols : 1, sizeof *p->cols);
    p->source = strdup(source ? source : (t->source ? t->source : ""));
    p->target = target ? strdup(target) : NULL;
    if (!p->cols || !p->source || (target && !p->target)) {
        ll_drift_profile_free(p);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    profile_job j = {.t = t, .p = p, .cancel = cancel, .next = 0, .status = LL_OK};
    ll_error_clear(&j.err);
    pthread_mutex_init(&j.lock, NULL);
    int nt = nthreads > 0 ? nthreads : 2;
    if ((size_t)nt > t->ncols) nt = t->ncols ? (int)t->ncols : 1;
    pthread_t tid[8];
    if (nt > 8) nt = 8;
    int started = 0;
    for (int i = 1; i < nt; i++) {
        if (pthread_create(&tid[started], NULL, profile_worker, &j)) break;
        started++;
    }
    profile_worker(&j);
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&j.lock);
    if (j.status != LL_OK) {
        if (err) *err = j.err;
        ll_drift_profile_free(p);
        return j.status;
    }
    *out = p;
    return LL_OK;
}

/* --------------------------------------------------------- profile files */

static cJSON *json_num(double v)
{
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

static cJSON *json_count(size_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", v);
    return cJSON_CreateRaw(buf);
}

static int json_add(cJSON *obj, const char *key, cJSON *item)
{
    if (!item) return -1;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

static int json_push(cJSON *arr, cJSON *item)
{
    if (!item) return -1;
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

static cJSON *column_to_json(const ll_drift_column *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON *vals = cJSON_CreateArray(), *cnts = cJSON_CreateArray();
    int bad = json_add(o, "name", cJSON_CreateString(c->name)) ||
              json_add(o, "type", cJSON_CreateString(kind_name(c->kind))) ||
              json_add(o, "rows", json_count(c->nrows)) ||
              json_add(o, "missing", json_count(c->missing));
    for (size_t i = 0; !bad && i < c->k; i++) {
        bad |= json_push(vals, c->kind == LL_DRIFT_NUM ? json_num(c->values[i])
                                                       : cJSON_CreateString(c->cats[i]));
        bad |= json_push(cnts, json_count(c->counts[i]));
    }
    bad |= json_add(o, c->kind == LL_DRIFT_NUM ? "values" : "categories", vals);
    bad |= json_add(o, "counts", cnts);
    if (!bad && c->kind == LL_DRIFT_NUM) {
        cJSON *edges = cJSON_CreateArray();
        for (size_t i = 0; edges && !bad && i < c->npsi_edges; i++)
            bad |= json_push(edges, json_num(c->psi_edges[i]));
        bad |= json_add(o, "psi_edges", edges);
    }
    if (bad) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

ll_status ll_drift_profile_save(const ll_drift_profile *p, const char *path, ll_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *cols = cJSON_CreateArray();
    int bad = !root || !cols;
    bad = bad || json_add(root, "schema", cJSON_CreateString("lendlab-drift-profile")) ||
          json_add(root, "schema_version", json_count(LL_DRIFT_PROFILE_VERSION)) ||
          json_add(root, "source", cJSON_CreateString(p->source ? p->source : "")) ||
          json_add(root, "rows", json_count(p->nrows)) ||
          json_add(root, "target", p->target ? cJSON_CreateString(p->target) : cJSON_CreateNull());
    for (size_t i = 0; !bad && i < p->ncols; i++)
        bad = json_push(cols, column_to_json(&p->cols[i]));
    if (!bad) {
        bad = json_add(root, "columns", cols);
        cols = NULL;
    }
    char *text = bad ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    cJSON_Delete(cols);
    if (!text) return ll_error_set(err, LL_ENOMEM, "out of memory writing %s", path);
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the terminator; write len + 1 bytes */
    ll_status st = ll_fsutil_write_atomic(path, text, len + 1, NULL, err);
    free(text);
    return st;
}

int ll_drift_profile_is_saved(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    int c;
    while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
    }
    fclose(f);
    return c == '{';
}

static char *read_file(const char *path, size_t *len, ll_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ll_error_set(err, errno == ENOENT ? LL_ENOTFOUND : LL_EIO, "cannot open %s: %s", path,
                     strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        ll_error_set(err, LL_ENOMEM, "out of memory reading %s", path);
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                ll_error_set(err, LL_ENOMEM, "out of memory reading %s", path);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (ioerr) {
        free(buf);
        ll_error_set(err, LL_EIO, "cannot read %s", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A non-negative integer count from a JSON number. */
static int json_get_count(const cJSON *it, size_t *out)
{
    if (!cJSON_IsNumber(it)) return -1;
    double d = it->valuedouble;
    if (!(d >= 0) || d != floor(d) || d > 9007199254740992.0) return -1;
    *out = (size_t)d;
    return 0;
}

static ll_status column_from_json(const cJSON *o, const char *path, size_t idx, ll_drift_column *c,
                                  ll_error *err)
{
    memset(c, 0, sizeof *c);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(o, "rows");
    const cJSON *miss = cJSON_GetObjectItemCaseSensitive(o, "missing");
    const cJSON *cnts = cJSON_GetObjectItemCaseSensitive(o, "counts");
    if (!cJSON_IsString(name) || !cJSON_IsString(type) || !cJSON_IsArray(cnts))
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                               "profile column %zu lacks name, type or counts", idx + 1);
    const char *nm = name->valuestring;
    int isnum = !strcmp(type->valuestring, "num");
    if (!isnum && strcmp(type->valuestring, "cat"))
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                               "profile column '%s' has unknown type '%s'", nm, type->valuestring);
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(o, isnum ? "values" : "categories");
    size_t k = (size_t)cJSON_GetArraySize(cnts);
    if (!cJSON_IsArray(vals) || (size_t)cJSON_GetArraySize(vals) != k ||
        json_get_count(rows, &c->nrows) || json_get_count(miss, &c->missing))
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                               "profile column '%s' is malformed (rows, missing, %s, counts)", nm,
                               isnum ? "values" : "categories");
    c->kind = isnum ? LL_DRIFT_NUM : LL_DRIFT_CAT;
    c->name = strdup(nm);
    c->counts = malloc((k ? k : 1) * sizeof *c->counts);
    if (isnum)
        c->values = malloc((k ? k : 1) * sizeof *c->values);
    else
        c->cats = calloc(k ? k : 1, sizeof *c->cats);
    if (!c->name || !c->counts || (isnum ? !c->values : !c->cats)) {
        ll_drift_column_clear(c);
        return ll_error_set(err, LL_ENOMEM, "out of memory reading %s", path);
    }
    const cJSON *v = vals->child, *n = cnts->child;
    size_t total = 0;
    for (size_t i = 0; i < k; i++, v = v->next, n = n->next) {
        int ok = !json_get_count(n, &c->counts[i]) && c->counts[i] > 0;
        if (isnum) {
            ok = ok && cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
                 (i == 0 || v->valuedouble > c->values[i - 1]);
            if (ok) c->values[i] = v->valuedouble;
        } else {
            ok = ok && cJSON_IsString(v) && (i == 0 || strcmp(v->valuestring, c->cats[i - 1]) > 0);
            if (ok && !(c->cats[i] = strdup(v->valuestring))) ok = 0;
        }
        c->k = i + 1;
        if (!ok) {
            ll_drift_column_clear(c);
            return ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                                   "profile column '%s': entry %zu is not a positive count of "
                                   "a distinct, ascending %s",
                                   nm, i + 1, isnum ? "value" : "category");
        }
        total += c->counts[i];
    }
    c->k = k;
    if (total + c->missing != c->nrows) {
        ll_drift_column_clear(c);
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                               "profile column '%s': counts and missing do not add up to rows", nm);
    }
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(o, "psi_edges");
    if (isnum && cJSON_IsArray(edges) && cJSON_GetArraySize(edges) > 0) {
        size_t ne = (size_t)cJSON_GetArraySize(edges);
        c->psi_edges = malloc(ne * sizeof *c->psi_edges);
        if (!c->psi_edges) {
            ll_drift_column_clear(c);
            return ll_error_set(err, LL_ENOMEM, "out of memory reading %s", path);
        }
        size_t i = 0;
        for (const cJSON *e = edges->child; e; e = e->next, i++) {
            if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) ||
                (i && e->valuedouble <= c->psi_edges[i - 1])) {
                ll_drift_column_clear(c);
                return ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                                       "profile column '%s': psi_edges must ascend", nm);
            }
            c->psi_edges[i] = e->valuedouble;
        }
        c->npsi_edges = ne;
    }
    return LL_OK;
}

ll_status ll_drift_profile_load(const char *path, ll_drift_profile **out, ll_error *err)
{
    *out = NULL;
    size_t len = 0;
    char *text = read_file(path, &len, err);
    if (!text) return err ? err->code : LL_EIO;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root) return ll_error_set_at(err, LL_EPARSE, path, 0, 0, "not valid JSON");
    ll_status st = LL_OK;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(root, "columns");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "source");
    const cJSON *tgt = cJSON_GetObjectItemCaseSensitive(root, "target");
    size_t rows = 0, version = 0;
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "lendlab-drift-profile")) {
        cJSON_Delete(root);
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0, "not a lendlab drift profile");
    }
    if (json_get_count(ver, &version) || version != LL_DRIFT_PROFILE_VERSION) {
        cJSON_Delete(root);
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                               "unsupported drift profile schema_version (this lendlab reads %d)",
                               LL_DRIFT_PROFILE_VERSION);
    }
    if (!cJSON_IsArray(cols) ||
        json_get_count(cJSON_GetObjectItemCaseSensitive(root, "rows"), &rows)) {
        cJSON_Delete(root);
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0, "profile lacks rows or columns");
    }
    ll_drift_profile *p = calloc(1, sizeof *p);
    size_t nc = (size_t)cJSON_GetArraySize(cols);
    if (p) {
        p->cols = calloc(nc ? nc : 1, sizeof *p->cols);
        p->source = strdup(cJSON_IsString(src) ? src->valuestring : "");
        p->target = cJSON_IsString(tgt) ? strdup(tgt->valuestring) : NULL;
    }
    if (!p || !p->cols || !p->source || (cJSON_IsString(tgt) && !p->target)) {
        ll_drift_profile_free(p);
        cJSON_Delete(root);
        return ll_error_set(err, LL_ENOMEM, "out of memory reading %s", path);
    }
    p->nrows = rows;
    size_t i = 0;
    for (const cJSON *c = cols->child; c && st == LL_OK; c = c->next, i++) {
        st = column_from_json(c, path, i, &p->cols[i], err);
        if (st == LL_OK) {
            p->ncols = i + 1;
            if (p->cols[i].nrows != rows)
                st = ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                                     "profile column '%s' has %zu rows, the profile %zu",
                                     p->cols[i].name, p->cols[i].nrows, rows);
            else if (ll_drift_profile_find(p, p->cols[i].name) != (long)i)
                st = ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                                     "profile column '%s' appears twice", p->cols[i].name);
        }
    }
    cJSON_Delete(root);
    if (st == LL_OK && p->target && ll_drift_profile_find(p, p->target) < 0)
        st = ll_error_set_at(err, LL_EPARSE, path, 0, 0, "profile target '%s' is not a column",
                             p->target);
    if (st != LL_OK) {
        ll_drift_profile_free(p);
        return st;
    }
    *out = p;
    return LL_OK;
}

/* ------------------------------------------------------------ comparison */

/* Both sides on the union of their distinct values (or categories), counts aligned. */
typedef struct {
    size_t k;
    size_t *rc, *cc;
    const double *const *vals; /* numeric: pointer to the value (from either side) */
    const char *const *cats;   /* categorical: pointer to the spelling */
    const double **vbuf;
    const char **cbuf;
} keyview;

static void keyview_free(keyview *kv)
{
    free(kv->rc);
    free(kv->cc);
    free(kv->vbuf);
    free(kv->cbuf);
    memset(kv, 0, sizeof *kv);
}

static int keyview_build(const ll_drift_column *r, const ll_drift_column *c, keyview *kv)
{
    memset(kv, 0, sizeof *kv);
    size_t cap = r->k + c->k + 1;
    kv->rc = calloc(cap, sizeof *kv->rc);
    kv->cc = calloc(cap, sizeof *kv->cc);
    if (r->kind == LL_DRIFT_NUM)
        kv->vbuf = calloc(cap, sizeof *kv->vbuf);
    else
        kv->cbuf = calloc(cap, sizeof *kv->cbuf);
    if (!kv->rc || !kv->cc || (!kv->vbuf && !kv->cbuf)) {
        keyview_free(kv);
        return -1;
    }
    size_t i = 0, j = 0, k = 0;
    while (i < r->k || j < c->k) {
        int d;
        if (i >= r->k)
            d = 1;
        else if (j >= c->k)
            d = -1;
        else if (r->kind == LL_DRIFT_NUM)
            d = r->values[i] < c->values[j] ? -1 : r->values[i] > c->values[j] ? 1 : 0;
        else
            d = strcmp(r->cats[i], c->cats[j]);
        if (d <= 0) {
            if (kv->vbuf) kv->vbuf[k] = &r->values[i];
            if (kv->cbuf) kv->cbuf[k] = r->cats[i];
            kv->rc[k] = r->counts[i++];
        }
        if (d >= 0) {
            if (kv->vbuf && d > 0) kv->vbuf[k] = &c->values[j];
            if (kv->cbuf && d > 0) kv->cbuf[k] = c->cats[j];
            kv->cc[k] = c->counts[j++];
        }
        k++;
    }
    kv->k = k;
    kv->vals = kv->vbuf;
    kv->cats = kv->cbuf;
    return 0;
}

/* Prefix sums of counts: cum[i] = number of values among the first i distinct ones. */
static size_t *prefix_counts(const ll_drift_column *c)
{
    size_t *cum = malloc((c->k + 1) * sizeof *cum);
    if (!cum) return NULL;
    cum[0] = 0;
    for (size_t i = 0; i < c->k; i++) cum[i + 1] = cum[i] + c->counts[i];
    return cum;
}

/* Number of values < x (or <= x when inclusive), by binary search on distinct values. */
static size_t count_below(const ll_drift_column *c, const size_t *cum, double x, int inclusive)
{
    size_t lo = 0, hi = c->k;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->values[mid] < x || (inclusive && c->values[mid] == x))
            lo = mid + 1;
        else
            hi = mid;
    }
    return cum[lo];
}

/* Shares of each side in bins [e_i, e_{i+1}) with the last bin closed, as numpy.histogram
 * with explicit edges; edges has nb + 1 entries (may be +-inf). */
static int histogram_shares(const ll_drift_column *c, const double *edges, size_t nb, double *share)
{
    size_t *cum = prefix_counts(c);
    if (!cum) return -1;
    size_t n = cum[c->k];
    for (size_t b = 0; b < nb; b++) {
        size_t lo = count_below(c, cum, edges[b], 0);
        size_t hi = count_below(c, cum, edges[b + 1], b + 1 == nb);
        share[b] = n ? (double)(hi - lo) / (double)n : 0;
    }
    free(cum);
    return 0;
}

/* PSI on decile bins of the reference (numeric with > 5 distinct reference values) or on
 * categories, zero shares replaced as Evidently does. */
static int compute_psi(const ll_drift_column *r, const ll_drift_column *c, const keyview *kv,
                       double *psi)
{
    size_t nb;
    double *p, *q;
    if (r->kind == LL_DRIFT_NUM && r->npsi_edges > 0) {
        nb = r->npsi_edges + 1;
        double *edges = malloc((nb + 1) * sizeof *edges);
        p = malloc(nb * sizeof *p);
        q = malloc(nb * sizeof *q);
        if (!edges || !p || !q) {
            free(edges);
            free(p);
            free(q);
            return -1;
        }
        edges[0] = -INFINITY;
        memcpy(edges + 1, r->psi_edges, r->npsi_edges * sizeof *edges);
        edges[nb] = INFINITY;
        int bad = histogram_shares(r, edges, nb, p) || histogram_shares(c, edges, nb, q);
        free(edges);
        if (bad) {
            free(p);
            free(q);
            return -1;
        }
    } else if (r->kind == LL_DRIFT_NUM && r->k > PSI_MIN_DISTINCT) {
        /* a profile without stored edges: one bin, no information */
        *psi = 0;
        return 0;
    } else {
        nb = kv->k;
        p = malloc((nb ? nb : 1) * sizeof *p);
        q = malloc((nb ? nb : 1) * sizeof *q);
        if (!p || !q) {
            free(p);
            free(q);
            return -1;
        }
        size_t nr = sum_counts(kv->rc, nb), nc = sum_counts(kv->cc, nb);
        for (size_t i = 0; i < nb; i++) {
            p[i] = (double)kv->rc[i] / (double)nr;
            q[i] = (double)kv->cc[i] / (double)nc;
        }
    }
    ll_stats_floor_zero_shares(p, nb);
    ll_stats_floor_zero_shares(q, nb);
    *psi = ll_stats_psi(p, q, nb);
    free(p);
    free(q);
    return 0;
}

/* Jensen-Shannon distance as Evidently bins it: Sturges equal-width bins over both samples
 * for numeric columns with > 20 distinct reference values, else the union of values. */
static int compute_js(const ll_drift_column *r, const ll_drift_column *c, const keyview *kv,
                      double *js)
{
    size_t nb;
    double *p, *q;
    if (r->kind == LL_DRIFT_NUM && r->k > JS_MIN_DISTINCT) {
        size_t n = sum_counts(r->counts, r->k) + sum_counts(c->counts, c->k);
        double first = fmin(r->values[0], c->values[0]);
        double last = fmax(r->values[r->k - 1], c->values[c->k - 1]);
        double ptp = last - first;
        if (first == last) {
            first -= 0.5;
            last += 0.5;
        }
        double width = ptp / (log2((double)n) + 1.0);
        nb = width > 0 ? (size_t)ceil((last - first) / width) : 1;
        double *edges = malloc((nb + 1) * sizeof *edges);
        p = malloc(nb * sizeof *p);
        q = malloc(nb * sizeof *q);
        if (!edges || !p || !q) {
            free(edges);
            free(p);
            free(q);
            return -1;
        }
        double step = (last - first) / (double)nb; /* numpy.linspace */
        for (size_t i = 0; i < nb; i++) edges[i] = (double)i * step + first;
        edges[nb] = last;
        int bad = histogram_shares(r, edges, nb, p) || histogram_shares(c, edges, nb, q);
        free(edges);
        if (bad) {
            free(p);
            free(q);
            return -1;
        }
    } else {
        nb = kv->k;
        p = malloc((nb ? nb : 1) * sizeof *p);
        q = malloc((nb ? nb : 1) * sizeof *q);
        if (!p || !q) {
            free(p);
            free(q);
            return -1;
        }
        size_t nr = sum_counts(kv->rc, nb), nc = sum_counts(kv->cc, nb);
        for (size_t i = 0; i < nb; i++) {
            p[i] = (double)kv->rc[i] / (double)nr;
            q[i] = (double)kv->cc[i] / (double)nc;
        }
    }
    *js = ll_stats_jensenshannon(p, q, nb);
    free(p);
    free(q);
    return 0;
}

/* Evidently's default test (get_stattest with no choice): by reference size, column kind and
 * the number of distinct values in both samples together. */
static ll_stattest auto_test(const ll_drift_column *r, size_t nref, size_t nvalues)
{
    if (nref <= AUTO_SMALL_REFERENCE) {
        if (r->kind == LL_DRIFT_NUM && nvalues > 5) return LL_STATTEST_KS;
        return nvalues > 2 ? LL_STATTEST_CHISQUARE : LL_STATTEST_Z;
    }
    if (r->kind == LL_DRIFT_NUM && nvalues > 5) return LL_STATTEST_WASSERSTEIN;
    return LL_STATTEST_JENSENSHANNON;
}

static int test_applies(ll_stattest t, ll_drift_kind k)
{
    return !(k == LL_DRIFT_CAT && (t == LL_STATTEST_KS || t == LL_STATTEST_WASSERSTEIN));
}

/* Histogram for the report: labels for categories and few-valued numbers (most frequent
 * first for categories, by value for numbers), else equal-width bins between the 1st and
 * 99th percentiles of both samples. */
static int build_histogram(const ll_drift_column *r, const ll_drift_column *c, const keyview *kv,
                           ll_drift_result *out)
{
    size_t nr = sum_counts(kv->rc, kv->k), nc = sum_counts(kv->cc, kv->k);
    if (r->kind == LL_DRIFT_CAT || kv->k <= HIST_MAX_VALUES) {
        size_t k = kv->k, *ord = malloc((k ? k : 1) * sizeof *ord);
        if (!ord) return -1;
        for (size_t i = 0; i < k; i++) ord[i] = i;
        if (r->kind == LL_DRIFT_CAT) /* by combined share, descending (stable insertion) */
            for (size_t i = 1; i < k; i++) {
                size_t t = ord[i], j = i;
                double st = (double)kv->rc[t] / (double)nr + (double)kv->cc[t] / (double)nc;
                while (j > 0 && (double)kv->rc[ord[j - 1]] / (double)nr +
                                        (double)kv->cc[ord[j - 1]] / (double)nc <
                                    st) {
                    ord[j] = ord[j - 1];
                    j--;
                }
                ord[j] = t;
            }
        size_t shown = k > HIST_MAX_CATS ? HIST_MAX_CATS - 1 : k;
        size_t nb = shown + (k > shown ? 1 : 0);
        out->hist_ref = calloc(nb ? nb : 1, sizeof *out->hist_ref);
        out->hist_cur = calloc(nb ? nb : 1, sizeof *out->hist_cur);
        out->hist_labels = calloc(nb ? nb : 1, sizeof *out->hist_labels);
        if (!out->hist_ref || !out->hist_cur || !out->hist_labels) {
            free(ord);
            return -1;
        }
        out->nbins = nb;
        for (size_t b = 0; b < k; b++) {
            size_t i = ord[b], slot = b < shown ? b : shown;
            out->hist_ref[slot] += (double)kv->rc[i] / (double)nr;
            out->hist_cur[slot] += (double)kv->cc[i] / (double)nc;
        }
        for (size_t b = 0; b < nb; b++) {
            char buf[64];
            const char *s = b < shown ? (r->kind == LL_DRIFT_CAT
                                             ? kv->cats[ord[b]]
                                             : ll_numfmt_double(*kv->vals[ord[b]], buf, sizeof buf))
                                      : "other";
            if (!(out->hist_labels[b] = strdup(s))) {
                free(ord);
                return -1;
            }
        }
        free(ord);
        return 0;
    }
    double lo = fmin(ll_stats_quantile(r->values, r->counts, r->k, nr, 0.01),
                     ll_stats_quantile(c->values, c->counts, c->k, nc, 0.01));
    double hi = fmax(ll_stats_quantile(r->values, r->counts, r->k, nr, 0.99),
                     ll_stats_quantile(c->values, c->counts, c->k, nc, 0.99));
    if (!(hi > lo)) {
        lo = fmin(r->values[0], c->values[0]);
        hi = fmax(r->values[r->k - 1], c->values[c->k - 1]);
    }
    size_t nb = HIST_BINS;
    double edges[HIST_BINS + 1];
    for (size_t i = 0; i <= nb; i++) edges[i] = lo + (hi - lo) * (double)i / (double)nb;
    edges[0] = -INFINITY;
    edges[nb] = INFINITY;
    out->hist_ref = calloc(nb, sizeof *out->hist_ref);
    out->hist_cur = calloc(nb, sizeof *out->hist_cur);
    if (!out->hist_ref || !out->hist_cur) return -1;
    out->nbins = nb;
    out->hist_lo = lo;
    out->hist_hi = hi;
    if (histogram_shares(r, edges, nb, out->hist_ref) ||
        histogram_shares(c, edges, nb, out->hist_cur))
        return -1;
    return 0;
}

void ll_drift_result_clear(ll_drift_result *r)
{
    if (!r) return;
    free(r->column_name);
    for (size_t i = 0; i < r->nnew; i++) free(r->new_categories[i]);
    free(r->new_categories);
    free(r->hist_ref);
    free(r->hist_cur);
    if (r->hist_labels)
        for (size_t i = 0; i < r->nbins; i++) free(r->hist_labels[i]);
    free(r->hist_labels);
    memset(r, 0, sizeof *r);
}

ll_status ll_drift_compare_columns(const ll_drift_column *ref, const ll_drift_column *cur,
                                   ll_stattest test, double threshold, ll_drift_result *out,
                                   ll_error *err)
{
    memset(out, 0, sizeof *out);
    out->score = out->statistic = out->psi = NAN;
    out->hist_lo = out->hist_hi = NAN;
    out->kind = ref->kind;
    out->column_name = strdup(ref->name);
    if (!out->column_name) return ll_error_set(err, LL_ENOMEM, "out of memory");
    out->missing_share_reference = ref->nrows ? (double)ref->missing / (double)ref->nrows : NAN;
    out->missing_share_current = cur->nrows ? (double)cur->missing / (double)cur->nrows : NAN;
    out->nref = sum_counts(ref->counts, ref->k);
    out->ncur = sum_counts(cur->counts, cur->k);
    out->test = test;
    out->threshold = threshold;
    if (!out->nref || !out->ncur) {
        /* nothing to compare: reported, never counted as drifted */
        out->note = !out->nref ? "no values in the reference" : "no values in the current data";
        return LL_OK;
    }
    if (ref->kind != cur->kind) {
        ll_drift_result_clear(out);
        return ll_error_set(err, LL_EINVAL,
                            "column '%s' is %s in the reference but %s in the current data",
                            ref->name, ref->kind == LL_DRIFT_NUM ? "numeric" : "text",
                            cur->kind == LL_DRIFT_NUM ? "numeric" : "text");
    }
    keyview kv;
    if (keyview_build(ref, cur, &kv)) {
        ll_drift_result_clear(out);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    if (test == LL_STATTEST_AUTO) test = auto_test(ref, out->nref, kv.k);
    if (!test_applies(test, ref->kind)) {
        keyview_free(&kv);
        ll_drift_result_clear(out);
        return ll_error_set(err, LL_EINVAL, "test '%s' needs a numeric column; '%s' is text",
                            ll_stattest_name(test), ref->name);
    }
    out->test = test;
    out->threshold = isnan(threshold) ? ll_stattest_default_threshold(test) : threshold;
    out->tested = 1;
    int bad = 0;
    double nr = (double)out->nref, nc = (double)out->ncur;
    switch (test) {
    case LL_STATTEST_KS: {
        double d, p;
        ll_stats_ks_2samp(ref->values, ref->counts, ref->k, cur->values, cur->counts, cur->k, &d,
                          &p, NULL);
        out->statistic = d;
        out->score = p;
        break;
    }
    case LL_STATTEST_CHISQUARE: {
        double *obs = malloc(kv.k * sizeof *obs), *ex = malloc(kv.k * sizeof *ex);
        if (!obs || !ex) {
            bad = 1;
        } else {
            double knorm = nc / nr;
            for (size_t i = 0; i < kv.k; i++) {
                ex[i] = (double)kv.rc[i] * knorm;
                obs[i] = (double)kv.cc[i];
            }
            ll_stats_chisquare(obs, ex, kv.k, &out->statistic, &out->score);
        }
        free(obs);
        free(ex);
        break;
    }
    case LL_STATTEST_Z:
        if (kv.k <= 1) {
            out->statistic = 0;
            out->score = 1.0;
        } else {
            /* the smallest label against all others, as Evidently's sorted keys */
            ll_stats_ztest_2prop(nr - (double)kv.rc[0], nr, nc - (double)kv.cc[0], nc,
                                 &out->statistic, &out->score);
        }
        break;
    case LL_STATTEST_WASSERSTEIN: {
        double sd = fmax(ll_stats_std(ref->values, ref->counts, ref->k), 0.001);
        out->score = ll_stats_wasserstein(ref->values, ref->counts, ref->k, cur->values,
                                          cur->counts, cur->k) /
                     sd;
        break;
    }
    case LL_STATTEST_JENSENSHANNON:
        bad = compute_js(ref, cur, &kv, &out->score);
        break;
    default:
        break;
    }
    bad = bad || compute_psi(ref, cur, &kv, &out->psi);
    if (test == LL_STATTEST_PSI) out->score = out->psi;
    out->drifted =
        ll_stattest_is_pvalue(test) ? out->score < out->threshold : out->score >= out->threshold;
    if (!bad && ref->kind == LL_DRIFT_CAT) {
        for (size_t i = 0; i < kv.k; i++)
            if (!kv.rc[i] && kv.cc[i]) out->nnew++;
        if (out->nnew) {
            out->new_categories = calloc(out->nnew, sizeof *out->new_categories);
            size_t j = 0;
            for (size_t i = 0; out->new_categories && i < kv.k; i++)
                if (!kv.rc[i] && kv.cc[i] && !(out->new_categories[j++] = strdup(kv.cats[i])))
                    bad = 1;
            if (!out->new_categories) {
                out->nnew = 0;
                bad = 1;
            }
        }
    }
    bad = bad || build_histogram(ref, cur, &kv, out);
    keyview_free(&kv);
    if (bad) {
        ll_drift_result_clear(out);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    return LL_OK;
}

void ll_drift_report_free(ll_drift_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->ncols; i++) ll_drift_result_clear(&r->cols[i]);
    free(r->cols);
    ll_drift_result_clear(r->target);
    free(r->target);
    ll_drift_result_clear(r->prediction);
    free(r->prediction);
    free(r->run_id);
    free(r->reference);
    free(r->current);
    free(r);
}

/* Append name to a comma-separated list in buf (truncating quietly). */
static void list_add(char *buf, size_t len, const char *name)
{
    size_t used = strlen(buf);
    if (used + 4 >= len) return;
    snprintf(buf + used, len - used, "%s'%s'", used ? ", " : "", name);
}

static const ll_drift_column_test *find_column_test(const ll_drift_options *o, const char *name)
{
    const ll_drift_column_test *hit = NULL;
    for (size_t i = 0; i < o->ncolumn_tests; i++) {
        const char *eq = strrchr(o->column_tests[i].column, '=');
        size_t nl =
            eq ? (size_t)(eq - o->column_tests[i].column) : strlen(o->column_tests[i].column);
        if (strlen(name) == nl && !strncmp(name, o->column_tests[i].column, nl))
            hit = &o->column_tests[i];
    }
    return hit;
}

/* The test and threshold for one column: per-column choice, else the global test where it
 * applies to the column's kind, else automatic. */
static void choose_test(const ll_drift_options *o, const ll_drift_column *c, ll_stattest *t,
                        double *th)
{
    const ll_drift_column_test *ct = find_column_test(o, c->name);
    if (ct) {
        *t = ct->test;
        *th = !isnan(ct->threshold) ? ct->threshold : o->threshold;
        return;
    }
    *t = test_applies(o->stattest, c->kind) ? o->stattest : LL_STATTEST_AUTO;
    *th = o->threshold;
}

ll_status ll_drift_compare(const ll_drift_profile *ref, const ll_drift_profile *cur,
                           const ll_drift_options *opt, ll_drift_report **out, ll_error *err)
{
    *out = NULL;
    ll_drift_options defaults;
    if (!opt) {
        ll_drift_options_init(&defaults);
        opt = &defaults;
    }
    if (!ref->nrows) return ll_error_set(err, LL_EINVAL, "the reference data has no rows");
    if (!cur->nrows) return ll_error_set(err, LL_EINVAL, "the current data has no rows");
    const char *target = opt->target ? opt->target : ref->target;
    if (target && ll_drift_profile_find(ref, target) < 0)
        return ll_error_set(err, LL_ENOTFOUND, "target column '%s' is not in the reference",
                            target);
    /* every feature on both sides, the same kind on both sides */
    char missing_cur[768] = "", missing_ref[768] = "";
    size_t nmc = 0, nmr = 0;
    for (size_t i = 0; i < ref->ncols; i++) {
        const char *n = ref->cols[i].name;
        if ((!target || strcmp(n, target)) && ll_drift_profile_find(cur, n) < 0) {
            list_add(missing_cur, sizeof missing_cur, n);
            nmc++;
        }
    }
    for (size_t i = 0; i < cur->ncols; i++) {
        const char *n = cur->cols[i].name;
        if ((!target || strcmp(n, target)) && ll_drift_profile_find(ref, n) < 0) {
            list_add(missing_ref, sizeof missing_ref, n);
            nmr++;
        }
    }
    if (nmc || nmr)
        return ll_error_set(
            err, LL_EINVAL, "%s%s%s%s%s%s", nmc ? "missing from the current data: " : "",
            missing_cur, nmc && nmr ? "; " : "", nmr ? "not in the reference: " : "", missing_ref,
            nmc + nmr > 1 ? " (columns must match)" : " (column must match)");
    for (size_t i = 0; i < opt->ncolumn_tests; i++) {
        const char *s = opt->column_tests[i].column, *eq = strrchr(s, '=');
        size_t nl = eq ? (size_t)(eq - s) : strlen(s);
        int found = 0;
        for (size_t j = 0; j < ref->ncols && !found; j++)
            found = strlen(ref->cols[j].name) == nl && !strncmp(ref->cols[j].name, s, nl);
        if (!found)
            return ll_error_set(err, LL_ENOTFOUND, "--column-test names unknown column '%.*s'",
                                (int)nl, s);
    }
    ll_drift_report *r = calloc(1, sizeof *r);
    if (!r) return ll_error_set(err, LL_ENOMEM, "out of memory");
    r->reference = strdup(ref->source ? ref->source : "");
    r->current = strdup(cur->source ? cur->source : "");
    r->cols = calloc(ref->ncols ? ref->ncols : 1, sizeof *r->cols);
    if (!r->reference || !r->current || !r->cols) {
        ll_drift_report_free(r);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    r->rows_reference = ref->nrows;
    r->rows_current = cur->nrows;
    r->drift_share = opt->drift_share;
    ll_status st = LL_OK;
    for (size_t i = 0; i < ref->ncols && st == LL_OK; i++) {
        const ll_drift_column *rc = &ref->cols[i];
        if (target && !strcmp(rc->name, target)) continue;
        const ll_drift_column *cc = &cur->cols[ll_drift_profile_find(cur, rc->name)];
        ll_stattest t;
        double th;
        choose_test(opt, rc, &t, &th);
        st = ll_drift_compare_columns(rc, cc, t, th, &r->cols[r->ncols], err);
        if (st == LL_OK) {
            ll_drift_result *res = &r->cols[r->ncols++];
            if (res->tested) {
                r->number_of_columns++;
                r->number_of_drifted_columns += res->drifted != 0;
            }
        }
    }
    if (st == LL_OK && target && ll_drift_profile_find(cur, target) >= 0) {
        const ll_drift_column *rc = &ref->cols[ll_drift_profile_find(ref, target)];
        const ll_drift_column *cc = &cur->cols[ll_drift_profile_find(cur, target)];
        ll_stattest t;
        double th;
        choose_test(opt, rc, &t, &th);
        r->target = calloc(1, sizeof *r->target);
        if (!r->target)
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
        else
            st = ll_drift_compare_columns(rc, cc, t, th, r->target, err);
        if (st != LL_OK) {
            free(r->target);
            r->target = NULL;
        }
    }
    if (st != LL_OK) {
        ll_drift_report_free(r);
        return st;
    }
    /* the observed share of drifted columns against the configured share */
    r->share_of_drifted_columns =
        r->number_of_columns ? (double)r->number_of_drifted_columns / (double)r->number_of_columns
                             : 0.0;
    r->dataset_drift = r->number_of_columns > 0 && r->share_of_drifted_columns >= r->drift_share;
    *out = r;
    return LL_OK;
}

/* ---------------------------------------------------------------- output */

/* How far past (> 1) or short of (< 1) its threshold a column's score is. */
static double severity(const ll_drift_result *r)
{
    if (!r->tested) return -1;
    if (ll_stattest_is_pvalue(r->test)) {
        double p = fmax(r->score, 1e-300), t = fmin(fmax(r->threshold, 1e-300), 0.999999);
        return log(p) / log(t);
    }
    return r->threshold > 0 ? r->score / r->threshold : r->score;
}

/* < 0 when x is more severe than y. */
static int compare_results(const ll_drift_result *x, const ll_drift_result *y)
{
    if (x->drifted != y->drifted) return y->drifted - x->drifted;
    double sx = severity(x), sy = severity(y);
    if (sx != sy) return sx > sy ? -1 : 1;
    double px = isnan(x->psi) ? -1 : x->psi, py = isnan(y->psi) ? -1 : y->psi;
    if (px != py) return px > py ? -1 : 1;
    return strcmp(x->column_name, y->column_name);
}

void ll_drift_report_order(const ll_drift_report *r, size_t *idx)
{
    /* insertion sort: qsort has no context argument in C11 and column counts are small */
    for (size_t i = 0; i < r->ncols; i++) {
        size_t t = i, j = i;
        while (j > 0 && compare_results(&r->cols[idx[j - 1]], &r->cols[t]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = t;
    }
}

void ll_drift_report_metrics(const ll_drift_report *r,
                             void (*fn)(const char *key, double value, void *ud), void *ud)
{
    fn("dataset_drift", r->dataset_drift ? 1.0 : 0.0, ud);
    fn("share_of_drifted_columns", r->share_of_drifted_columns, ud);
    fn("number_of_drifted_columns", (double)r->number_of_drifted_columns, ud);
    fn("number_of_columns", (double)r->number_of_columns, ud);
    char key[600];
    for (size_t i = 0; i < r->ncols; i++) {
        const ll_drift_result *c = &r->cols[i];
        if (!c->tested) continue;
        snprintf(key, sizeof key, "drift_score.%s", c->column_name);
        fn(key, c->score, ud);
        snprintf(key, sizeof key, "psi.%s", c->column_name);
        fn(key, c->psi, ud);
    }
    if (r->target && r->target->tested) {
        fn("target_drift", r->target->drifted ? 1.0 : 0.0, ud);
        fn("target_drift_score", r->target->score, ud);
        fn("target_psi", r->target->psi, ud);
    }
    if (r->prediction && r->prediction->tested) {
        fn("prediction_drift", r->prediction->drifted ? 1.0 : 0.0, ud);
        fn("prediction_drift_score", r->prediction->score, ud);
        fn("prediction_psi", r->prediction->psi, ud);
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_dbl(FILE *f, double v)
{
    char buf[64];
    fputs(isfinite(v) ? ll_numfmt_double(v, buf, sizeof buf) : "null", f);
}

/* with_threshold: also the plain "threshold" member (the prediction_drift object has it). */
static void json_result(FILE *f, const ll_drift_result *c, const char *indent, int with_threshold)
{
    fprintf(f, "{\n%s  \"column_name\": ", indent);
    json_str(f, c->column_name);
    fprintf(f, ",\n%s  \"column_type\": \"%s\",\n%s  \"stattest_name\": ", indent,
            kind_name(c->kind), indent);
    if (c->tested)
        json_str(f, ll_stattest_display(c->test));
    else
        fputs("null", f);
    fprintf(f, ",\n%s  \"stattest\": ", indent);
    if (c->tested)
        json_str(f, ll_stattest_name(c->test));
    else
        fputs("null", f);
    fprintf(f, ",\n%s  \"stattest_threshold\": ", indent);
    json_dbl(f, c->tested ? c->threshold : NAN);
    if (with_threshold) {
        fprintf(f, ",\n%s  \"threshold\": ", indent);
        json_dbl(f, c->tested ? c->threshold : NAN);
    }
    fprintf(f, ",\n%s  \"drift_score\": ", indent);
    json_dbl(f, c->score);
    fprintf(f, ",\n%s  \"statistic\": ", indent);
    json_dbl(f, c->statistic);
    fprintf(f, ",\n%s  \"drift_detected\": %s,\n%s  \"psi\": ", indent,
            c->drifted ? "true" : "false", indent);
    json_dbl(f, c->psi);
    fprintf(f, ",\n%s  \"psi_band\": ", indent);
    if (isnan(c->psi))
        fputs("null", f);
    else
        json_str(f, ll_drift_psi_band(c->psi));
    fprintf(f, ",\n%s  \"missing_share_reference\": ", indent);
    json_dbl(f, c->missing_share_reference);
    fprintf(f, ",\n%s  \"missing_share_current\": ", indent);
    json_dbl(f, c->missing_share_current);
    fprintf(f, ",\n%s  \"new_categories\": [", indent);
    for (size_t i = 0; i < c->nnew; i++) {
        if (i) fputs(", ", f);
        json_str(f, c->new_categories[i]);
    }
    fprintf(f, "],\n%s  \"note\": ", indent);
    if (c->note)
        json_str(f, c->note);
    else
        fputs("null", f);
    fprintf(f, "\n%s}", indent);
}

void ll_drift_write_json(const ll_drift_report *r, FILE *f)
{
    fputs("{\n  \"reference\": ", f);
    json_str(f, r->reference);
    fputs(",\n  \"current\": ", f);
    json_str(f, r->current);
    fprintf(f, ",\n  \"rows\": {\"reference\": %zu, \"current\": %zu},\n  \"drift_share\": ",
            r->rows_reference, r->rows_current);
    json_dbl(f, r->drift_share);
    fputs(",\n  \"share_of_drifted_columns\": ", f);
    json_dbl(f, r->share_of_drifted_columns);
    fprintf(f,
            ",\n  \"number_of_columns\": %zu,\n  \"number_of_drifted_columns\": %zu,\n"
            "  \"dataset_drift\": %s,\n  \"drift_by_columns\": {",
            r->number_of_columns, r->number_of_drifted_columns,
            r->dataset_drift ? "true" : "false");
    for (size_t i = 0; i < r->ncols; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        json_str(f, r->cols[i].column_name);
        fputs(": ", f);
        json_result(f, &r->cols[i], "    ", 0);
    }
    fputs(r->ncols ? "\n  },\n  \"target_drift\": " : "},\n  \"target_drift\": ", f);
    if (r->target)
        json_result(f, r->target, "  ", 0);
    else
        fputs("null", f);
    if (r->prediction) {
        fputs(",\n  \"prediction_drift\": ", f);
        json_result(f, r->prediction, "  ", 1);
    }
    fputs(",\n  \"run_id\": ", f);
    if (r->run_id)
        json_str(f, r->run_id);
    else
        fputs("null", f);
    fputs("\n}\n", f);
}

/* ------------------------------------------------------------------ HTML */

static void html_esc(FILE *f, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*p, f);
        }
    }
}

/* SVG coordinates in tenths of a pixel as integers (the viewBox scales them), so the drawing
 * never depends on the C library's decimal point. */
static long px10(double v)
{
    return lround(v * 10);
}

/* Reference and current shares side by side per bin, scaled to the largest share. */
static void html_svg(FILE *f, const ll_drift_result *c)
{
    const double W = 640, H = 170, L = 44, R = 8, T = 10, B = c->hist_labels ? 56 : 22;
    double pw = W - L - R, ph = H - T - B, mx = 0;
    char a[48], b[48];
    for (size_t i = 0; i < c->nbins; i++) mx = fmax(mx, fmax(c->hist_ref[i], c->hist_cur[i]));
    if (!(mx > 0)) mx = 1;
    fprintf(f, "<svg width=\"%ld\" height=\"%ld\" viewBox=\"0 0 %ld %ld\" role=\"img\">", lround(W),
            lround(H), px10(W), px10(H));
    fprintf(f, "<line x1=\"%ld\" y1=\"%ld\" x2=\"%ld\" y2=\"%ld\" class=\"ax\"/>", px10(L),
            px10(T + ph), px10(L + pw), px10(T + ph));
    fprintf(f, "<text x=\"%ld\" y=\"%ld\" class=\"lb\" text-anchor=\"end\">%s%%</text>",
            px10(L - 4), px10(T + 8), ll_drift_fmt(mx * 100, a, sizeof a));
    double bw = pw / (double)(c->nbins ? c->nbins : 1);
    for (size_t i = 0; i < c->nbins; i++) {
        double x = L + bw * (double)i, hr = c->hist_ref[i] / mx * ph, hc = c->hist_cur[i] / mx * ph;
        fprintf(f,
                "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" class=\"r\"/>"
                "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" class=\"c\"/>",
                px10(x + bw * 0.08), px10(T + ph - hr), px10(bw * 0.4), px10(hr),
                px10(x + bw * 0.5), px10(T + ph - hc), px10(bw * 0.4), px10(hc));
        if (c->hist_labels) {
            char lab[16];
            snprintf(lab, sizeof lab, "%.12s", c->hist_labels[i]);
            long lx = px10(x + bw / 2), ly = px10(T + ph + 10);
            fprintf(f,
                    "<text x=\"%ld\" y=\"%ld\" class=\"lb\" text-anchor=\"end\" "
                    "transform=\"rotate(-40 %ld %ld)\">",
                    lx, ly, lx, ly);
            html_esc(f, lab);
            fputs("</text>", f);
        }
    }
    if (!c->hist_labels && c->nbins) {
        fprintf(f, "<text x=\"%ld\" y=\"%ld\" class=\"lb\">&#8804; %s</text>", px10(L), px10(H - 6),
                ll_drift_fmt(c->hist_lo, a, sizeof a));
        fprintf(f, "<text x=\"%ld\" y=\"%ld\" class=\"lb\" text-anchor=\"end\">&#8805; %s</text>",
                px10(L + pw), px10(H - 6), ll_drift_fmt(c->hist_hi, b, sizeof b));
    }
    fputs("</svg>", f);
}

static void html_row(FILE *f, const ll_drift_result *c, const char *anchor)
{
    char s[48], t[48], p[48];
    fprintf(f, "<tr%s><td><a href=\"#%s\">", c->drifted ? " class=\"drift\"" : "", anchor);
    html_esc(f, c->column_name);
    fprintf(f,
            "</a></td><td>%s</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
            "<td>%s</td><td class=\"n\">%s</td><td class=\"%s\">%s</td></tr>\n",
            kind_name(c->kind), c->tested ? ll_stattest_display(c->test) : "-",
            ll_drift_fmt(c->score, s, sizeof s),
            c->tested ? ll_drift_fmt(c->threshold, t, sizeof t) : "-",
            c->tested ? (c->drifted ? "<b>yes</b>" : "no") : "not tested",
            ll_drift_fmt(c->psi, p, sizeof p), ll_drift_psi_band(c->psi),
            ll_drift_psi_band(c->psi));
}

static void html_section(FILE *f, const ll_drift_result *c, const char *anchor, const char *title)
{
    char a[48], b[48];
    fprintf(f, "<section id=\"%s\"><h3>%s", anchor, title);
    html_esc(f, c->column_name);
    fprintf(f, " <span class=\"%s\">%s</span></h3>\n<p>", c->drifted ? "bad" : "ok",
            c->tested ? (c->drifted ? "drift detected" : "no drift") : "not tested");
    if (c->tested)
        fprintf(f, "%s = %s (threshold %s). ", ll_stattest_display(c->test),
                ll_drift_fmt(c->score, a, sizeof a), ll_drift_fmt(c->threshold, b, sizeof b));
    if (c->note) {
        html_esc(f, c->note);
        fputs(". ", f);
    }
    fprintf(f, "PSI %s (%s). Missing: %s%% reference, ", ll_drift_fmt(c->psi, a, sizeof a),
            ll_drift_psi_band(c->psi), ll_drift_fmt(c->missing_share_reference * 100, b, sizeof b));
    fprintf(f, "%s%% current.", ll_drift_fmt(c->missing_share_current * 100, a, sizeof a));
    if (c->nnew) {
        fprintf(f, " %zu new categor%s: ", c->nnew, c->nnew == 1 ? "y" : "ies");
        for (size_t i = 0; i < c->nnew && i < 20; i++) {
            if (i) fputs(", ", f);
            html_esc(f, c->new_categories[i]);
        }
        if (c->nnew > 20) fputs(", ...", f);
    }
    fputs("</p>\n", f);
    if (c->nbins) html_svg(f, c);
    fputs("</section>\n", f);
}

static const char html_style[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;"
    "color:#222;max-width:980px}"
    "h1{font-size:22px}h2{font-size:17px;margin-top:28px}h3{font-size:15px;margin:0 0 4px}"
    "table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;"
    "text-align:left}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:"
    "tabular-nums}tr.drift td{background:#fdecea}"
    ".verdict{padding:10px 14px;border-radius:4px;margin:12px 0;font-weight:600}"
    ".verdict.yes{background:#fdecea;color:#8a1c12}.verdict.no{background:#e8f5e9;"
    "color:#1b5e20}.bad{color:#b3261e}.ok{color:#2e7d32}"
    ".moderate{color:#a15c00}.significant{color:#b3261e;font-weight:600}"
    "section{margin:18px 0;padding-top:6px;border-top:1px solid #eee}"
    "svg .r{fill:#7f9cc9}svg .c{fill:#f28e5b}svg .ax{stroke:#999;stroke-width:10}"
    "svg .lb{font-size:100px;fill:#555}.key span{display:inline-block;width:10px;height:10px;"
    "margin:0 4px 0 12px}";

ll_status ll_drift_write_html(const ll_drift_report *r, const char *path, ll_error *err)
{
    /* rendered in memory, then written as every output file is (fsutil: temporary file, fsync,
     * rename; a device or FIFO such as /dev/stdout is written in place) */
    char *html = NULL;
    size_t html_len = 0;
    size_t *idx = malloc((r->ncols ? r->ncols : 1) * sizeof *idx);
    FILE *f = idx ? open_memstream(&html, &html_len) : NULL;
    if (!f) {
        free(idx);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    ll_drift_report_order(r, idx);
    char a[48], b[48];
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>lendlab drift report</title><style>",
          f);
    fputs(html_style, f);
    fputs("</style></head><body>\n<h1>Drift report</h1>\n<p>Reference <b>", f);
    html_esc(f, r->reference);
    fprintf(f, "</b> (%zu rows) &#8594; current <b>", r->rows_reference);
    html_esc(f, r->current);
    fprintf(f, "</b> (%zu rows).</p>\n", r->rows_current);
    fprintf(f,
            "<div class=\"verdict %s\">Dataset drift %s: %zu of %zu columns drifted "
            "(share %s; dataset drift at %s)</div>\n",
            r->dataset_drift ? "yes" : "no", r->dataset_drift ? "detected" : "not detected",
            r->number_of_drifted_columns, r->number_of_columns,
            ll_drift_fmt(r->share_of_drifted_columns, a, sizeof a),
            ll_drift_fmt(r->drift_share, b, sizeof b));
    if (r->target) {
        fputs("<p>Target <a href=\"#target\">", f);
        html_esc(f, r->target->column_name);
        fprintf(f, "</a>: %s.</p>\n",
                r->target->tested
                    ? (r->target->drifted ? "<b class=\"bad\">drift detected</b>" : "no drift")
                    : "not tested");
    }
    if (r->prediction) {
        fputs("<p>Model scores (<a href=\"#prediction\">prediction drift</a>): ", f);
        fprintf(f, "%s, PSI %s (%s).</p>\n",
                r->prediction->tested
                    ? (r->prediction->drifted ? "<b class=\"bad\">drift detected</b>" : "no drift")
                    : "not tested",
                ll_drift_fmt(r->prediction->psi, a, sizeof a),
                ll_drift_psi_band(r->prediction->psi));
    }
    fputs("<p class=\"key\"><span style=\"background:#7f9cc9\"></span>reference"
          "<span style=\"background:#f28e5b\"></span>current</p>\n"
          "<h2>Columns, most severe first</h2>\n<table><tr><th>column</th><th>type</th>"
          "<th>test</th><th>score</th><th>threshold</th><th>drift</th><th>PSI</th>"
          "<th>band</th></tr>\n",
          f);
    char anchor[32];
    for (size_t i = 0; i < r->ncols; i++) {
        snprintf(anchor, sizeof anchor, "c%zu", idx[i]);
        html_row(f, &r->cols[idx[i]], anchor);
    }
    if (r->target) html_row(f, r->target, "target");
    if (r->prediction) html_row(f, r->prediction, "prediction");
    fputs("</table>\n<h2>Distributions</h2>\n", f);
    if (r->target) html_section(f, r->target, "target", "target: ");
    if (r->prediction) html_section(f, r->prediction, "prediction", "model scores: ");
    for (size_t i = 0; i < r->ncols; i++) {
        snprintf(anchor, sizeof anchor, "c%zu", idx[i]);
        html_section(f, &r->cols[idx[i]], anchor, "");
    }
    fputs("<p style=\"color:#777;font-size:12px\">Written by lendlab. PSI bands: &lt; 0.1 "
          "stable, 0.1&#8211;0.25 moderate, &gt; 0.25 significant.</p>\n</body></html>\n",
          f);
    free(idx);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    ll_status st = bad ? ll_error_set(err, LL_ENOMEM, "out of memory writing %s", path)
                       : ll_fsutil_write_atomic(path, html, html_len, NULL, err);
    free(html);
    return st;
}
