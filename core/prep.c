/* prep: the fitted feature plan (bins for trees, imputed/standardised design for linear models). */
#include "prep.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "numfmt.h"
#include "profile.h"

/* Cut values padded to 256 floats with NaN, so a branch-free 8-step search counts the cuts
 * <= v (NaN compares false, so padding never counts). */
#define SEARCH_SLOTS 256

typedef struct {
    char *name;
    ll_coltype type; /* type in the training data */
    int is_cat;
    int ncuts;
    double *cuts;
    float *search; /* SEARCH_SLOTS padded float cuts */
    double median, mean, std;
    int ncat;
    char **cats; /* sorted by byte order */
} pfeat;

struct ll_prep {
    int nfeat;
    pfeat *f;
    char *target;
    ll_coltype target_type;
    char *pos, *neg;
    int max_bin, max_categories;
    int raw;
    /* design layout, derived from the features */
    int pnum, ncatg;
    int *num_feat, *cat_feat;
    double *means, *stds;
};

void ll_prep_options_default(ll_prep_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_bin = 256;
    o->max_categories = LL_PREP_MAX_CATEGORIES;
}

/* ---------- small helpers ---------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compare text (s, len) with a NUL-terminated string in byte order. */
static int cmp_text(const char *s, size_t len, const char *c)
{
    size_t cl = strlen(c);
    int r = memcmp(s, c, len < cl ? len : cl);
    if (r) return r;
    return len < cl ? -1 : len > cl ? 1 : 0;
}

/* 1/0 for boolean spellings, -1 otherwise. */
static int bool_word(const char *s)
{
    static const char *const t[] = {"true", "t", "yes", "y", "1"};
    static const char *const f[] = {"false", "f", "no", "n", "0"};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcasecmp(s, t[i])) return 1;
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (!strcasecmp(s, f[i])) return 0;
    return -1;
}

/* Number a label or cell text stands for: a decimal number or a boolean word. */
static int text_number(const char *s, double *out)
{
    if (ll_numparse(s, strlen(s), out)) return 1;
    int b = bool_word(s);
    if (b < 0) return 0;
    *out = b;
    return 1;
}

/* Two spellings of a class label are the same class. */
static int label_eq(const char *a, const char *b)
{
    if (!strcmp(a, b) || !strcasecmp(a, b)) return 1;
    double x, y;
    return text_number(a, &x) && text_number(b, &y) && x == y;
}

static double float_round(double v)
{
    return isnan(v) ? v : (double)(float)v;
}

static void pfeat_clear(pfeat *f)
{
    free(f->name);
    free(f->cuts);
    free(f->search);
    if (f->cats)
        for (int i = 0; i < f->ncat; i++) free(f->cats[i]);
    free(f->cats);
    memset(f, 0, sizeof *f);
}

void ll_prep_free(ll_prep *p)
{
    if (!p) return;
    for (int i = 0; i < p->nfeat; i++) pfeat_clear(&p->f[i]);
    free(p->f);
    free(p->target);
    free(p->pos);
    free(p->neg);
    free(p->num_feat);
    free(p->cat_feat);
    free(p->means);
    free(p->stds);
    free(p);
}

static int build_search(pfeat *f)
{
    f->search = malloc(SEARCH_SLOTS * sizeof *f->search);
    if (!f->search) return -1;
    for (int i = 0; i < SEARCH_SLOTS; i++) f->search[i] = i < f->ncuts ? (float)f->cuts[i] : NAN;
    return 0;
}

/* Derived design layout and search tables, after features are set. */
static ll_status prep_finish(ll_prep *p, ll_error *err)
{
    p->pnum = p->ncatg = 0;
    for (int i = 0; i < p->nfeat; i++) {
        if (p->f[i].is_cat)
            p->ncatg++;
        else
            p->pnum++;
    }
    p->num_feat = malloc((size_t)(p->pnum ? p->pnum : 1) * sizeof *p->num_feat);
    p->cat_feat = malloc((size_t)(p->ncatg ? p->ncatg : 1) * sizeof *p->cat_feat);
    p->means = malloc((size_t)(p->pnum ? p->pnum : 1) * sizeof *p->means);
    p->stds = malloc((size_t)(p->pnum ? p->pnum : 1) * sizeof *p->stds);
    if (!p->num_feat || !p->cat_feat || !p->means || !p->stds)
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    int j = 0, g = 0;
    for (int i = 0; i < p->nfeat; i++) {
        pfeat *f = &p->f[i];
        if (f->is_cat) {
            p->cat_feat[g++] = i;
        } else {
            p->num_feat[j] = i;
            p->means[j] = f->mean;
            p->stds[j] = f->std;
            j++;
            if (build_search(f)) return ll_error_set(err, LL_ENOMEM, "out of memory");
        }
    }
    return LL_OK;
}

/* ---------- fitting numeric features ---------- */

static inline uint32_t float_key(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline float key_float(uint32_t k)
{
    uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* LSD radix sort of n keys (3 passes of 11 bits, so the sorted keys end in tmp). */
static void radix_sort_u32(uint32_t *a, uint32_t *tmp, size_t n)
{
    size_t count[2048];
    for (int pass = 0; pass < 3; pass++) {
        int shift = pass * 11;
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(a[i] >> shift) & 2047]++;
        size_t sum = 0;
        for (int b = 0; b < 2048; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) tmp[count[(a[i] >> shift) & 2047]++] = a[i];
        uint32_t *s = a;
        a = tmp;
        tmp = s;
    }
}

/* Wirth's selection: afterwards a[k] is the k-th smallest, a[0..k-1] <= a[k] <= a[k+1..]. */
static double kth_smallest(double *a, size_t n, size_t k)
{
    long l = 0, m = (long)n - 1, kk = (long)k;
    while (l < m) {
        double x = a[kk];
        long i = l, j = m;
        do {
            while (a[i] < x) i++;
            while (x < a[j]) j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk) l = i;
        if (kk < i) m = j;
    }
    return a[kk];
}

/* The k-th smallest (0-based) of the m non-NaN doubles among v[0..n-1], given their float32
 * keys sorted. Rounding to float32 keeps order, so the answer is among the doubles whose key
 * equals sorted[k]: only those (usually few) are gathered into buf and selected from. */
static double kth_exact(const double *v, size_t n, const uint32_t *sorted, size_t k, double *buf)
{
    uint32_t key = sorted[k];
    size_t lo = k;
    while (lo > 0 && sorted[lo - 1] == key) lo--;
    size_t nb = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]) && float_key((float)v[i]) == key) buf[nb++] = v[i];
    return kth_smallest(buf, nb, k - lo);
}

/* Quantile cuts over the float32-rounded non-missing values: every distinct value starts a bin
 * when they fit, else bins of about equal counts, recomputed after each cut so that a heavy
 * value does not waste the bins that follow it. */
static ll_status fit_numeric(pfeat *f, const double *v, size_t n, int max_bin, ll_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += !isnan(v[i]);
    f->median = 0;
    f->mean = 0;
    f->std = 1;
    f->ncuts = 0;
    f->cuts = malloc(LL_PREP_MAX_BINS * sizeof *f->cuts);
    if (!f->cuts) return ll_error_set(err, LL_ENOMEM, "out of memory");
    if (!m) return LL_OK;

    double *d = malloc(m * sizeof *d);
    uint32_t *k = malloc(m * sizeof *k), *tmp = malloc(m * sizeof *tmp);
    size_t *cnt = malloc(m * sizeof *cnt);
    if (!d || !k || !tmp || !cnt) {
        free(d);
        free(k);
        free(tmp);
        free(cnt);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    double sum = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) continue;
        k[j++] = float_key((float)v[i]);
        sum += v[i];
    }
    radix_sort_u32(k, tmp, m); /* sorted keys in tmp */
    /* mean and std after median imputation, as a median imputer then standard scaler do */
    double med = m % 2 ? kth_exact(v, n, tmp, m / 2, d)
                       : (kth_exact(v, n, tmp, m / 2 - 1, d) + kth_exact(v, n, tmp, m / 2, d)) / 2;
    double mean = (sum + (double)(n - m) * med) / (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double x = isnan(v[i]) ? med : v[i];
        ss += (x - mean) * (x - mean);
    }
    double sd = sqrt(ss / (double)n);
    f->median = med;
    f->mean = mean;
    f->std = sd > 0 && isfinite(sd) ? sd : 1.0;

    /* distinct values and their counts, in place */
    size_t nd = 0;
    for (size_t i = 0; i < m;) {
        size_t e = i;
        while (e < m && tmp[e] == tmp[i]) e++;
        k[nd] = tmp[i];
        cnt[nd] = e - i;
        nd++;
        i = e;
    }
    int maxb = max_bin > LL_PREP_MAX_BINS ? LL_PREP_MAX_BINS : max_bin;
    size_t last = 0, cum = 0;
    for (size_t i = 0; i + 1 < nd && f->ncuts < maxb - 1; i++) {
        cum += cnt[i];
        size_t bins_left = (size_t)(maxb - f->ncuts);
        size_t distinct_left = nd - 1 - i;
        int cut = distinct_left <= (size_t)(maxb - 1 - f->ncuts) ||
                  (double)(cum - last) * (double)bins_left >= (double)(m - last);
        if (!cut) continue;
        double c = key_float(k[i + 1]);
        if (!isfinite(c)) break; /* infinity cannot be written to JSON; it joins the last bin */
        f->cuts[f->ncuts++] = c;
        last = cum;
    }
    free(d);
    free(k);
    free(tmp);
    free(cnt);
    return LL_OK;
}

/* ---------- fitting categorical features ---------- */

typedef struct {
    const char *s;
    size_t count;
} catcount;

static int cmp_catcount(const void *a, const void *b)
{
    const catcount *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->s, y->s);
}

static ll_status fit_categorical(pfeat *f, const ll_column *c, size_t n, int max_cat, ll_error *err)
{
    size_t *counts = calloc((size_t)(c->ndict > 0 ? c->ndict : 1), sizeof *counts);
    catcount *cc = malloc((size_t)(c->ndict > 0 ? c->ndict : 1) * sizeof *cc);
    if (!counts || !cc) {
        free(counts);
        free(cc);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t r = 0; r < n; r++)
        if (c->codes[r] >= 0 && c->codes[r] < c->ndict) counts[c->codes[r]]++;
    int nc = 0;
    for (int32_t i = 0; i < c->ndict; i++)
        if (counts[i]) cc[nc++] = (catcount){c->dict[i], counts[i]};
    qsort(cc, (size_t)nc, sizeof *cc, cmp_catcount);
    if (nc > max_cat) nc = max_cat;
    f->cats = calloc((size_t)(nc ? nc : 1), sizeof *f->cats);
    if (!f->cats) goto oom;
    for (int i = 0; i < nc; i++) {
        if (!(f->cats[i] = strdup(cc[i].s))) goto oom;
        f->ncat = i + 1;
    }
    qsort(f->cats, (size_t)nc, sizeof *f->cats, cmp_str);
    /* a dictionary with two spellings of one text would make lookups ambiguous: merge */
    int w = 0;
    for (int i = 0; i < f->ncat; i++) {
        if (w && !strcmp(f->cats[w - 1], f->cats[i]))
            free(f->cats[i]);
        else
            f->cats[w++] = f->cats[i];
    }
    f->ncat = w;
    free(counts);
    free(cc);
    return LL_OK;
oom:
    free(counts);
    free(cc);
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

/* ---------- target ---------- */

typedef struct {
    char text[128];
    size_t count;
    double value; /* numeric and boolean targets */
} tclass;

/* The distinct non-missing classes of the target column (up to 3 to detect too many). */
static ll_status target_classes(const ll_column *c, size_t n, tclass *cls, int *ncls, ll_error *err)
{
    *ncls = 0;
    if (c->type == LL_COL_CATEGORICAL) {
        size_t *counts = calloc((size_t)(c->ndict > 0 ? c->ndict : 1), sizeof *counts);
        if (!counts) return ll_error_set(err, LL_ENOMEM, "out of memory");
        for (size_t r = 0; r < n; r++)
            if (c->codes[r] >= 0 && c->codes[r] < c->ndict) counts[c->codes[r]]++;
        for (int32_t i = 0; i < c->ndict && *ncls < 3; i++) {
            if (!counts[i]) continue;
            snprintf(cls[*ncls].text, sizeof cls[0].text, "%s", c->dict[i]);
            cls[*ncls].count = counts[i];
            (*ncls)++;
        }
        free(counts);
    } else {
        double vals[3] = {0, 0, 0};
        for (size_t r = 0; r < n; r++) {
            double v = c->num[r];
            if (isnan(v)) continue;
            int k = 0;
            while (k < *ncls && vals[k] != v) k++;
            if (k == *ncls) {
                if (*ncls == 3) break;
                vals[k] = v;
                cls[k].count = 0;
                cls[k].value = v;
                if (c->type == LL_COL_BOOLEAN)
                    snprintf(cls[k].text, sizeof cls[0].text, "%s",
                             c->dict && c->ndict == 2 ? c->dict[v != 0.0]
                             : v != 0.0               ? "true"
                                                      : "false");
                else
                    ll_numfmt_double(v, cls[k].text, sizeof cls[0].text);
                (*ncls)++;
            }
            cls[k].count++;
        }
        /* a stable order for numbers: ascending value */
        if (*ncls == 2 && vals[0] > vals[1]) {
            tclass t = cls[0];
            cls[0] = cls[1];
            cls[1] = t;
        }
    }
    return LL_OK;
}

static ll_status fit_target(ll_prep *p, const ll_column *c, size_t n, const char *positive,
                            ll_error *err)
{
    tclass cls[3];
    int ncls;
    ll_status st = target_classes(c, n, cls, &ncls, err);
    if (st) return st;
    if (ncls != 2) {
        if (ncls < 2)
            return ll_error_set(err, LL_EINVAL,
                                "target column '%s' must have two classes, found %d%s%s", c->name,
                                ncls, ncls ? ": " : "", ncls ? cls[0].text : "");
        return ll_error_set(err, LL_EINVAL,
                            "target column '%s' must have two classes, found more: %s, %s, %s...",
                            c->name, cls[0].text, cls[1].text, cls[2].text);
    }
    int pi;
    if (positive) {
        if (label_eq(positive, cls[0].text) && !label_eq(positive, cls[1].text))
            pi = 0;
        else if (label_eq(positive, cls[1].text) && !label_eq(positive, cls[0].text))
            pi = 1;
        else if (!strcmp(positive, cls[0].text))
            pi = 0;
        else if (!strcmp(positive, cls[1].text))
            pi = 1;
        else
            return ll_error_set(err, LL_EINVAL,
                                "positive label '%s' is not a class of target '%s' (classes: %s, "
                                "%s)",
                                positive, c->name, cls[0].text, cls[1].text);
    } else {
        /* the dataset profile's rule, so describe and train agree on the positive class */
        const char *labels[2] = {cls[0].text, cls[1].text};
        const size_t counts[2] = {cls[0].count, cls[1].count};
        pi = ll_profile_positive_label(
            labels, counts, c->type == LL_COL_BOOLEAN ? (cls[0].value != 0 ? 0 : 1) : -1);
    }
    p->pos = strdup(cls[pi].text);
    p->neg = strdup(cls[1 - pi].text);
    if (!p->pos || !p->neg) return ll_error_set(err, LL_ENOMEM, "out of memory");
    p->target_type = c->type;
    return LL_OK;
}

/* ---------- fit ---------- */

static int excluded(const ll_prep_options *o, const char *name)
{
    for (size_t i = 0; i < o->nexclude; i++)
        if (o->exclude[i] && !strcmp(o->exclude[i], name)) return 1;
    return 0;
}

typedef struct {
    ll_prep *p;
    const ll_column **cols;
    size_t n;
    const ll_prep_options *opt;
    int from, step;
    ll_status st;
    ll_error err;
} fit_job;

static void *fit_worker(void *arg)
{
    fit_job *j = arg;
    for (int i = j->from; i < j->p->nfeat && !j->st; i += j->step) {
        pfeat *f = &j->p->f[i];
        const ll_column *c = j->cols[i];
        j->st = f->is_cat ? fit_categorical(f, c, j->n, j->opt->max_categories, &j->err)
                          : fit_numeric(f, c->num, j->n, j->opt->max_bin, &j->err);
    }
    return NULL;
}

ll_status ll_prep_fit(const ll_table *train, const char *target, const char *positive,
                      const ll_prep_options *opt, ll_prep **out, ll_error *err)
{
    *out = NULL;
    ll_prep_options def;
    if (!opt) {
        ll_prep_options_default(&def);
        opt = &def;
    }
    if (opt->max_bin < 2 || opt->max_bin > 256)
        return ll_error_set(err, LL_EINVAL, "max_bin must be in 2..256, got %d", opt->max_bin);
    if (opt->max_categories < 1 || opt->max_categories > LL_PREP_MAX_CATEGORIES)
        return ll_error_set(err, LL_EINVAL, "max_categories must be in 1..%d, got %d",
                            LL_PREP_MAX_CATEGORIES, opt->max_categories);
    if (!target) return ll_error_set(err, LL_EINVAL, "no target column given");
    long ti = ll_table_find(train, target);
    if (ti < 0) {
        char names[512] = "";
        size_t len = 0;
        for (size_t i = 0; i < train->ncols && len + 4 < sizeof names; i++)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                    train->cols[i].name);
        if (len >= sizeof names) len = sizeof names - 1;
        return ll_error_set(err, LL_ENOTFOUND, "target column '%s' not found (columns: %s)", target,
                            names);
    }
    if (!train->nrows) return ll_error_set(err, LL_EINVAL, "no training rows");
    ll_prep *p = calloc(1, sizeof *p);
    if (!p) return ll_error_set(err, LL_ENOMEM, "out of memory");
    p->max_bin = opt->max_bin;
    p->max_categories = opt->max_categories;
    ll_status st = LL_OK;
    if (!(p->target = strdup(target))) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto fail;
    }
    if ((st = fit_target(p, &train->cols[ti], train->nrows, positive, err))) goto fail;
    p->f = calloc(train->ncols ? train->ncols : 1, sizeof *p->f);
    if (!p->f) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto fail;
    }
    const ll_column **cols = calloc(train->ncols ? train->ncols : 1, sizeof *cols);
    if (!cols) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < train->ncols; i++) {
        const ll_column *c = &train->cols[i];
        if ((long)i == ti || excluded(opt, c->name)) continue;
        cols[p->nfeat] = c;
        pfeat *f = &p->f[p->nfeat++];
        f->type = c->type;
        f->is_cat = c->type == LL_COL_CATEGORICAL;
        if (!(f->name = strdup(c->name))) {
            free(cols);
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (!p->nfeat) {
        free(cols);
        st = ll_error_set(err, LL_EINVAL, "no feature columns besides the target '%s'", target);
        goto fail;
    }
    /* features are fitted independently: two workers share them on big tables */
    fit_job jobs[2] = {{p, cols, train->nrows, opt, 0, 2, LL_OK, {0}},
                       {p, cols, train->nrows, opt, 1, 2, LL_OK, {0}}};
    pthread_t th;
    int threaded =
        train->nrows >= 50000 && p->nfeat > 1 && !pthread_create(&th, NULL, fit_worker, &jobs[1]);
    if (!threaded) jobs[0].step = 1;
    fit_worker(&jobs[0]);
    if (threaded) pthread_join(th, NULL);
    free(cols);
    for (int j = 0; j < 2; j++) {
        if (jobs[j].st) {
            if (err) *err = jobs[j].err;
            st = jobs[j].st;
            goto fail;
        }
    }
    if ((st = prep_finish(p, err))) goto fail;
    *out = p;
    return LL_OK;
fail:
    ll_prep_free(p);
    return st;
}

ll_status ll_prep_new_raw(const char *const *names, int nfeat, ll_prep **out, ll_error *err)
{
    *out = NULL;
    if (nfeat < 1) return ll_error_set(err, LL_EINVAL, "a model needs at least one feature");
    ll_prep *p = calloc(1, sizeof *p);
    if (!p) return ll_error_set(err, LL_ENOMEM, "out of memory");
    p->raw = 1;
    p->max_bin = 256;
    p->max_categories = LL_PREP_MAX_CATEGORIES;
    p->target = strdup("");
    p->pos = strdup("1");
    p->neg = strdup("0");
    p->f = calloc((size_t)nfeat, sizeof *p->f);
    if (!p->target || !p->pos || !p->neg || !p->f) goto oom;
    for (int i = 0; i < nfeat; i++) {
        pfeat *f = &p->f[i];
        char fallback[32];
        snprintf(fallback, sizeof fallback, "f%d", i); /* XGBoost's name for unnamed features */
        f->name = strdup(names && names[i] ? names[i] : fallback);
        if (!f->name) goto oom;
        f->type = LL_COL_NUMERIC;
        f->std = 1;
        p->nfeat = i + 1;
    }
    ll_status st = prep_finish(p, err);
    if (st) {
        ll_prep_free(p);
        return st;
    }
    *out = p;
    return LL_OK;
oom:
    ll_prep_free(p);
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

/* ---------- applying the plan ---------- */

/* Where one feature's values come from in a table being transformed. Numeric features get
 * num (the column's or a converted copy); categorical ones get per-row codes plus a map from
 * code to plan category (map NULL: codes already are plan indexes). */
typedef struct {
    const ll_column *col;
    const double *num;
    double *num_owned;
    const int32_t *codes;
    int32_t *codes_owned;
    int32_t *map;
    int32_t nmap;
} src;

static void src_clear(src *s)
{
    free(s->num_owned);
    free(s->codes_owned);
    free(s->map);
    memset(s, 0, sizeof *s);
}

int ll_prep_category_index(const ll_prep *p, int fi, const char *s, size_t len)
{
    const pfeat *f = &p->f[fi];
    int lo = 0, hi = f->ncat - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int r = cmp_text(s, len, f->cats[mid]);
        if (!r) return mid;
        if (r < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return f->ncat;
}

static ll_status src_resolve(const ll_prep *p, int fi, const ll_table *t, src *s, ll_error *err)
{
    const pfeat *f = &p->f[fi];
    memset(s, 0, sizeof *s);
    long ci = ll_table_find(t, f->name);
    if (ci < 0) return ll_error_set(err, LL_ENOTFOUND, "feature column '%s' is missing", f->name);
    const ll_column *c = &t->cols[ci];
    s->col = c;
    size_t n = t->nrows;
    if (!f->is_cat) {
        if (c->type != LL_COL_CATEGORICAL) {
            s->num = c->num;
            return LL_OK;
        }
        /* numbers that arrived as text: convert the dictionary, refuse the first non-number */
        double *dv = malloc((size_t)(c->ndict > 0 ? c->ndict : 1) * sizeof *dv);
        unsigned char *ok = malloc((size_t)(c->ndict > 0 ? c->ndict : 1));
        s->num_owned = malloc((n ? n : 1) * sizeof *s->num_owned);
        if (!dv || !ok || !s->num_owned) {
            free(dv);
            free(ok);
            return ll_error_set(err, LL_ENOMEM, "out of memory");
        }
        for (int32_t i = 0; i < c->ndict; i++) {
            ok[i] = (unsigned char)(f->type == LL_COL_BOOLEAN
                                        ? text_number(c->dict[i], &dv[i])
                                        : ll_numparse(c->dict[i], strlen(c->dict[i]), &dv[i]));
        }
        for (size_t r = 0; r < n; r++) {
            int32_t code = c->codes[r];
            if (code < 0 || code >= c->ndict) {
                s->num_owned[r] = NAN;
            } else if (!ok[code]) {
                ll_status st = ll_error_set(err, LL_EPARSE,
                                            "column '%s' should be numeric but holds '%s' "
                                            "(row %zu)",
                                            f->name, c->dict[code], r + 1);
                free(dv);
                free(ok);
                return st;
            } else {
                s->num_owned[r] = dv[code];
            }
        }
        free(dv);
        free(ok);
        s->num = s->num_owned;
        return LL_OK;
    }
    if (c->type == LL_COL_CATEGORICAL) {
        s->codes = c->codes;
        s->nmap = c->ndict;
        s->map = malloc((size_t)(c->ndict > 0 ? c->ndict : 1) * sizeof *s->map);
        if (!s->map) return ll_error_set(err, LL_ENOMEM, "out of memory");
        for (int32_t i = 0; i < c->ndict; i++)
            s->map[i] = ll_prep_category_index(p, fi, c->dict[i], strlen(c->dict[i]));
        return LL_OK;
    }
    /* categories that arrived as numbers or booleans: look their text up */
    s->codes_owned = malloc((n ? n : 1) * sizeof *s->codes_owned);
    if (!s->codes_owned) return ll_error_set(err, LL_ENOMEM, "out of memory");
    int bidx[2];
    for (int b = 0; b < 2; b++) {
        const char *txt = c->dict && c->ndict == 2 ? c->dict[b] : b ? "true" : "false";
        bidx[b] = ll_prep_category_index(p, fi, txt, strlen(txt));
    }
    for (size_t r = 0; r < n; r++) {
        double v = c->num[r];
        if (isnan(v)) {
            s->codes_owned[r] = -1;
        } else if (c->type == LL_COL_BOOLEAN) {
            s->codes_owned[r] = bidx[v != 0.0];
        } else {
            char buf[64];
            ll_numfmt_double(v, buf, sizeof buf);
            s->codes_owned[r] = ll_prep_category_index(p, fi, buf, strlen(buf));
        }
    }
    s->codes = s->codes_owned;
    return LL_OK;
}

/* Plan category of row r (-1 missing). */
static inline int32_t src_cat(const src *s, size_t r)
{
    int32_t c = s->codes[r];
    if (c < 0) return -1;
    if (!s->map) return c;
    return c < s->nmap ? s->map[c] : -1;
}

static ll_status resolve_all(const ll_prep *p, const ll_table *t, src **out, ll_error *err)
{
    src *s = calloc((size_t)p->nfeat, sizeof *s);
    if (!s) return ll_error_set(err, LL_ENOMEM, "out of memory");
    for (int i = 0; i < p->nfeat; i++) {
        ll_status st = src_resolve(p, i, t, &s[i], err);
        if (st) {
            for (int j = 0; j <= i; j++) src_clear(&s[j]);
            free(s);
            return st;
        }
    }
    *out = s;
    return LL_OK;
}

static void free_all(const ll_prep *p, src *s)
{
    if (!s) return;
    for (int i = 0; i < p->nfeat; i++) src_clear(&s[i]);
    free(s);
}

/* Count of cuts <= v, branch-free over the NaN-padded float table. */
static inline uint8_t bin_of(const float *c, float v)
{
    unsigned i = 0;
    i += (c[i + 127] <= v) ? 128u : 0u;
    i += (c[i + 63] <= v) ? 64u : 0u;
    i += (c[i + 31] <= v) ? 32u : 0u;
    i += (c[i + 15] <= v) ? 16u : 0u;
    i += (c[i + 7] <= v) ? 8u : 0u;
    i += (c[i + 3] <= v) ? 4u : 0u;
    i += (c[i + 1] <= v) ? 2u : 0u;
    i += (c[i] <= v) ? 1u : 0u;
    return (uint8_t)i;
}

typedef struct {
    const ll_prep *p;
    const src *s;
    ll_binned *b;
    int from, step;
} bin_job;

static void bin_feature(const ll_prep *p, const src *s, ll_binned *b, int fi)
{
    const pfeat *f = &p->f[fi];
    uint8_t *out = b->bins[fi];
    size_t n = b->n;
    if (f->is_cat) {
        for (size_t r = 0; r < n; r++) {
            int32_t c = src_cat(s, r);
            out[r] = c < 0 ? LL_BIN_MISSING : (uint8_t)c;
        }
        return;
    }
    const double *v = s->num;
    const float *cuts = f->search;
    for (size_t r = 0; r < n; r++) {
        double x = v[r];
        out[r] = isnan(x) ? LL_BIN_MISSING : bin_of(cuts, (float)x);
    }
}

static void *bin_worker(void *arg)
{
    bin_job *j = arg;
    for (int fi = j->from; fi < j->p->nfeat; fi += j->step) bin_feature(j->p, &j->s[fi], j->b, fi);
    return NULL;
}

static ll_status binned_alloc(const ll_prep *p, size_t n, ll_binned *b, ll_error *err)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->bins = calloc((size_t)p->nfeat, sizeof *b->bins);
    b->nbins = calloc((size_t)p->nfeat, sizeof *b->nbins);
    b->is_cat = calloc((size_t)p->nfeat, sizeof *b->is_cat);
    b->cuts = calloc((size_t)p->nfeat, sizeof *b->cuts);
    b->names = calloc((size_t)p->nfeat, sizeof *b->names);
    if (!b->bins || !b->nbins || !b->is_cat || !b->cuts || !b->names) goto oom;
    b->nfeat = p->nfeat;
    for (int i = 0; i < p->nfeat; i++) {
        const pfeat *f = &p->f[i];
        b->is_cat[i] = (uint8_t)f->is_cat;
        b->nbins[i] = f->is_cat ? f->ncat + 1 : f->ncuts + 1;
        if (!(b->names[i] = strdup(f->name))) goto oom;
        if (!f->is_cat) {
            b->cuts[i] = malloc((size_t)(f->ncuts ? f->ncuts : 1) * sizeof **b->cuts);
            if (!b->cuts[i]) goto oom;
            if (f->ncuts) memcpy(b->cuts[i], f->cuts, (size_t)f->ncuts * sizeof **b->cuts);
        }
        if (n && !(b->bins[i] = malloc(n))) goto oom;
    }
    return LL_OK;
oom:
    ll_binned_free(b);
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

ll_status ll_prep_binned_meta(const ll_prep *p, ll_binned *out, ll_error *err)
{
    return binned_alloc(p, 0, out, err);
}

ll_status ll_prep_binned(const ll_prep *p, const ll_table *t, ll_binned *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    src *s;
    ll_status st = resolve_all(p, t, &s, err);
    if (st) return st;
    if ((st = binned_alloc(p, t->nrows, out, err))) {
        free_all(p, s);
        return st;
    }
    /* two workers share the features when the table is big enough to repay a thread */
    bin_job jobs[2] = {{p, s, out, 0, 2}, {p, s, out, 1, 2}};
    pthread_t th;
    int threaded = t->nrows * (size_t)p->nfeat >= 2000000 && p->nfeat > 1 &&
                   !pthread_create(&th, NULL, bin_worker, &jobs[1]);
    if (!threaded) jobs[0].step = 1;
    bin_worker(&jobs[0]);
    if (threaded) pthread_join(th, NULL);
    free_all(p, s);
    return LL_OK;
}

ll_status ll_prep_design(const ll_prep *p, const ll_table *t, ll_design *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    if (p->raw) return ll_error_set(err, LL_ESTATE, "an imported plan has no design matrix");
    src *s;
    ll_status st = resolve_all(p, t, &s, err);
    if (st) return st;
    size_t n = t->nrows;
    out->n = n;
    out->num = calloc((size_t)(p->pnum ? p->pnum : 1), sizeof *out->num);
    out->cat = calloc((size_t)(p->ncatg ? p->ncatg : 1), sizeof *out->cat);
    out->cat_levels = calloc((size_t)(p->ncatg ? p->ncatg : 1), sizeof *out->cat_levels);
    out->cat_offset = calloc((size_t)(p->ncatg ? p->ncatg : 1), sizeof *out->cat_offset);
    if (!out->num || !out->cat || !out->cat_levels || !out->cat_offset) goto oom;
    out->pnum = p->pnum;
    out->ncat = p->ncatg;
    for (int j = 0; j < p->pnum; j++)
        if (!(out->num[j] = malloc((n ? n : 1) * sizeof **out->num))) goto oom;
    for (int g = 0; g < p->ncatg; g++)
        if (!(out->cat[g] = malloc((n ? n : 1) * sizeof **out->cat))) goto oom;
    for (int j = 0; j < p->pnum; j++) {
        const pfeat *f = &p->f[p->num_feat[j]];
        const double *v = s[p->num_feat[j]].num;
        double *o = out->num[j];
        double med = f->median, mean = f->mean, inv = 1.0 / f->std;
        for (size_t r = 0; r < n; r++) {
            double x = isnan(v[r]) ? med : v[r];
            o[r] = (x - mean) * inv;
        }
    }
    int off = p->pnum;
    for (int g = 0; g < p->ncatg; g++) {
        const pfeat *f = &p->f[p->cat_feat[g]];
        const src *sg = &s[p->cat_feat[g]];
        int32_t *o = out->cat[g];
        for (size_t r = 0; r < n; r++) {
            int32_t c = src_cat(sg, r);
            o[r] = c < 0 ? f->ncat + 1 : c; /* levels: categories, other, missing */
        }
        out->cat_levels[g] = f->ncat + 2;
        out->cat_offset[g] = off;
        off += f->ncat + 2;
    }
    out->nweights = off;
    free_all(p, s);
    return LL_OK;
oom:
    free_all(p, s);
    ll_design_free(out);
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

ll_status ll_prep_raw(const ll_prep *p, const ll_table *t, double *x, ll_error *err)
{
    src *s;
    ll_status st = resolve_all(p, t, &s, err);
    if (st) return st;
    size_t n = t->nrows, nf = (size_t)p->nfeat;
    /* row blocks, so the strided writes of each feature stay in cache */
    for (size_t r0 = 0; r0 < n; r0 += 2048) {
        size_t r1 = r0 + 2048 < n ? r0 + 2048 : n;
        for (int fi = 0; fi < p->nfeat; fi++) {
            const src *sf = &s[fi];
            double *xo = x + (size_t)fi;
            if (p->f[fi].is_cat) {
                for (size_t r = r0; r < r1; r++) {
                    int32_t c = src_cat(sf, r);
                    xo[r * nf] = c < 0 ? NAN : (double)c;
                }
            } else {
                for (size_t r = r0; r < r1; r++) xo[r * nf] = float_round(sf->num[r]);
            }
        }
    }
    free_all(p, s);
    return LL_OK;
}

ll_status ll_prep_labels(const ll_prep *p, const ll_table *t, double *y, ll_error *err)
{
    if (p->raw || !p->target[0]) return ll_error_set(err, LL_ESTATE, "the plan has no target");
    long ci = ll_table_find(t, p->target);
    if (ci < 0) return ll_error_set(err, LL_ENOTFOUND, "target column '%s' is missing", p->target);
    const ll_column *c = &t->cols[ci];
    size_t n = t->nrows;
    if (c->type == LL_COL_CATEGORICAL) {
        signed char *map = malloc((size_t)(c->ndict > 0 ? c->ndict : 1));
        if (!map) return ll_error_set(err, LL_ENOMEM, "out of memory");
        for (int32_t i = 0; i < c->ndict; i++) {
            /* exact spellings first, so "Bad" and "bad" can never both claim a class */
            map[i] = !strcmp(c->dict[i], p->pos)    ? 1
                     : !strcmp(c->dict[i], p->neg)  ? 0
                     : label_eq(c->dict[i], p->pos) ? 1
                     : label_eq(c->dict[i], p->neg) ? 0
                                                    : -1;
        }
        for (size_t r = 0; r < n; r++) {
            int32_t code = c->codes[r];
            if (code < 0 || code >= c->ndict) {
                free(map);
                return ll_error_set(err, LL_EINVAL, "target '%s' is missing in row %zu", p->target,
                                    r + 1);
            }
            if (map[code] < 0) {
                ll_status st = ll_error_set(err, LL_EINVAL,
                                            "target '%s' in row %zu is '%s', neither '%s' nor '%s'",
                                            p->target, r + 1, c->dict[code], p->pos, p->neg);
                free(map);
                return st;
            }
            y[r] = map[code];
        }
        free(map);
        return LL_OK;
    }
    double pv = NAN, nv = NAN;
    if (c->type == LL_COL_BOOLEAN && c->dict && c->ndict == 2) {
        /* the column's own spellings decide, then generic boolean words */
        for (int b = 0; b < 2; b++) {
            if (label_eq(c->dict[b], p->pos)) pv = b;
            if (label_eq(c->dict[b], p->neg)) nv = b;
        }
    }
    if (isnan(pv) && !text_number(p->pos, &pv)) pv = NAN;
    if (isnan(nv) && !text_number(p->neg, &nv)) nv = NAN;
    for (size_t r = 0; r < n; r++) {
        double v = c->num[r];
        if (isnan(v))
            return ll_error_set(err, LL_EINVAL, "target '%s' is missing in row %zu", p->target,
                                r + 1);
        if (c->type == LL_COL_BOOLEAN) v = v != 0.0;
        if (v == pv) {
            y[r] = 1;
        } else if (v == nv) {
            y[r] = 0;
        } else {
            char buf[64];
            return ll_error_set(err, LL_EINVAL,
                                "target '%s' in row %zu is '%s', neither '%s' nor '%s'", p->target,
                                r + 1, ll_column_cell_text(c, r, buf, sizeof buf), p->pos, p->neg);
        }
    }
    return LL_OK;
}

/* ---------- accessors ---------- */

int ll_prep_nfeat(const ll_prep *p)
{
    return p->nfeat;
}

const char *ll_prep_feature_name(const ll_prep *p, int f)
{
    return p->f[f].name;
}

ll_coltype ll_prep_feature_type(const ll_prep *p, int f)
{
    return p->f[f].type;
}

const char *const *ll_prep_categories(const ll_prep *p, int f, int *n)
{
    *n = p->f[f].is_cat ? p->f[f].ncat : 0;
    return p->f[f].is_cat ? (const char *const *)p->f[f].cats : NULL;
}

const double *ll_prep_cuts(const ll_prep *p, int f, int *n)
{
    *n = p->f[f].is_cat ? 0 : p->f[f].ncuts;
    return *n ? p->f[f].cuts : NULL;
}

void ll_prep_numeric_stats(const ll_prep *p, int f, double *median, double *mean, double *std)
{
    if (median) *median = p->f[f].median;
    if (mean) *mean = p->f[f].mean;
    if (std) *std = p->f[f].std;
}

const char *ll_prep_target(const ll_prep *p)
{
    return p->target;
}

const char *ll_prep_positive_label(const ll_prep *p)
{
    return p->pos;
}

const char *ll_prep_negative_label(const ll_prep *p)
{
    return p->neg;
}

int ll_prep_is_raw(const ll_prep *p)
{
    return p->raw;
}

int ll_prep_design_num_feature(const ll_prep *p, int j)
{
    return p->num_feat[j];
}

int ll_prep_design_cat_feature(const ll_prep *p, int g)
{
    return p->cat_feat[g];
}

void ll_prep_design_scaling(const ll_prep *p, const double **means, const double **stds, int *pnum)
{
    *means = p->means;
    *stds = p->stds;
    *pnum = p->pnum;
}

/* ---------- JSON ---------- */

/* Numbers go through ll_numfmt_double as raw JSON text: exact round trip, no locale. */
static cJSON *json_num(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

static int add_num(cJSON *o, const char *k, double v)
{
    cJSON *n = json_num(v);
    return n && cJSON_AddItemToObject(o, k, n) ? 0 : -1;
}

cJSON *ll_prep_to_json(const ll_prep *p)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON *feats = NULL;
    if (add_num(j, "schema", LL_PREP_SCHEMA_VERSION) ||
        !cJSON_AddStringToObject(j, "target", p->target) ||
        !cJSON_AddStringToObject(j, "target_type", ll_coltype_name(p->target_type)) ||
        !cJSON_AddStringToObject(j, "positive_label", p->pos) ||
        !cJSON_AddStringToObject(j, "negative_label", p->neg) ||
        add_num(j, "max_bin", p->max_bin) || add_num(j, "max_categories", p->max_categories) ||
        !cJSON_AddBoolToObject(j, "raw", p->raw) ||
        !(feats = cJSON_AddArrayToObject(j, "features")))
        goto fail;
    for (int i = 0; i < p->nfeat; i++) {
        const pfeat *f = &p->f[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(feats, o)) {
            cJSON_Delete(o);
            goto fail;
        }
        if (!cJSON_AddStringToObject(o, "name", f->name) ||
            !cJSON_AddStringToObject(o, "type", ll_coltype_name(f->type)))
            goto fail;
        if (f->is_cat) {
            cJSON *a = cJSON_AddArrayToObject(o, "categories");
            if (!a) goto fail;
            for (int c = 0; c < f->ncat; c++) {
                cJSON *s = cJSON_CreateString(f->cats[c]);
                if (!s || !cJSON_AddItemToArray(a, s)) {
                    cJSON_Delete(s);
                    goto fail;
                }
            }
        } else {
            cJSON *a = cJSON_AddArrayToObject(o, "cuts");
            if (!a) goto fail;
            for (int c = 0; c < f->ncuts; c++) {
                cJSON *n = json_num(f->cuts[c]);
                if (!n || !cJSON_AddItemToArray(a, n)) {
                    cJSON_Delete(n);
                    goto fail;
                }
            }
            if (add_num(o, "median", f->median) || add_num(o, "mean", f->mean) ||
                add_num(o, "std", f->std))
                goto fail;
        }
    }
    return j;
fail:
    cJSON_Delete(j);
    return NULL;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jnum(const cJSON *o, const char *k, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 1;
    }
    if (cJSON_IsNull(v)) {
        *out = NAN;
        return 1;
    }
    return 0;
}

ll_status ll_prep_from_json(const cJSON *j, ll_prep **out, ll_error *err)
{
    *out = NULL;
    double schema = 0, mb = 256, mc = LL_PREP_MAX_CATEGORIES;
    if (!cJSON_IsObject(j) || !jnum(j, "schema", &schema))
        return ll_error_set(err, LL_EPARSE, "feature plan: not a plan object");
    if (schema != LL_PREP_SCHEMA_VERSION)
        return ll_error_set(err, LL_EPARSE, "feature plan: schema %g is not supported (this is %d)",
                            schema, LL_PREP_SCHEMA_VERSION);
    const char *target = jstr(j, "target"), *pos = jstr(j, "positive_label"),
               *neg = jstr(j, "negative_label"), *tt = jstr(j, "target_type");
    const cJSON *feats = cJSON_GetObjectItemCaseSensitive(j, "features");
    if (!target || !pos || !neg || !cJSON_IsArray(feats))
        return ll_error_set(err, LL_EPARSE,
                            "feature plan: target, positive_label, negative_label and features "
                            "are required");
    jnum(j, "max_bin", &mb);
    jnum(j, "max_categories", &mc);
    if (!(mb >= 2 && mb <= 256) || !(mc >= 1 && mc <= LL_PREP_MAX_CATEGORIES))
        return ll_error_set(err, LL_EPARSE, "feature plan: max_bin or max_categories out of range");
    int nf = cJSON_GetArraySize(feats);
    if (nf < 1) return ll_error_set(err, LL_EPARSE, "feature plan: no features");
    ll_prep *p = calloc(1, sizeof *p);
    if (!p) return ll_error_set(err, LL_ENOMEM, "out of memory");
    ll_status st = LL_OK;
    p->raw = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "raw"));
    p->max_bin = (int)mb;
    p->max_categories = (int)mc;
    int ttype = tt ? ll_coltype_parse(tt) : LL_COL_CATEGORICAL;
    p->target_type = ttype < 0 ? LL_COL_CATEGORICAL : (ll_coltype)ttype;
    p->target = strdup(target);
    p->pos = strdup(pos);
    p->neg = strdup(neg);
    p->f = calloc((size_t)nf, sizeof *p->f);
    if (!p->target || !p->pos || !p->neg || !p->f) goto oom;
    const cJSON *fo;
    cJSON_ArrayForEach(fo, feats)
    {
        pfeat *f = &p->f[p->nfeat];
        const char *name = jstr(fo, "name"), *type = jstr(fo, "type");
        int ty = type ? ll_coltype_parse(type) : -1;
        if (!name || ty < 0) {
            st = ll_error_set(err, LL_EPARSE, "feature plan: feature %d needs a name and a type",
                              p->nfeat + 1);
            goto fail;
        }
        p->nfeat++;
        if (!(f->name = strdup(name))) goto oom;
        f->type = (ll_coltype)ty;
        f->is_cat = ty == LL_COL_CATEGORICAL;
        if (f->is_cat) {
            const cJSON *cats = cJSON_GetObjectItemCaseSensitive(fo, "categories");
            int nc = cJSON_GetArraySize(cats);
            if (!cJSON_IsArray(cats) || nc > LL_PREP_MAX_CATEGORIES) {
                st = ll_error_set(err, LL_EPARSE, "feature plan: '%s' needs at most %d categories",
                                  name, LL_PREP_MAX_CATEGORIES);
                goto fail;
            }
            if (!(f->cats = calloc((size_t)(nc ? nc : 1), sizeof *f->cats))) goto oom;
            const cJSON *c;
            cJSON_ArrayForEach(c, cats)
            {
                if (!cJSON_IsString(c)) {
                    st = ll_error_set(err, LL_EPARSE, "feature plan: '%s': category not a string",
                                      name);
                    goto fail;
                }
                if (f->ncat && strcmp(f->cats[f->ncat - 1], c->valuestring) >= 0) {
                    st = ll_error_set(err, LL_EPARSE,
                                      "feature plan: '%s': categories must be sorted and distinct",
                                      name);
                    goto fail;
                }
                if (!(f->cats[f->ncat] = strdup(c->valuestring))) goto oom;
                f->ncat++;
            }
        } else {
            const cJSON *cuts = cJSON_GetObjectItemCaseSensitive(fo, "cuts");
            int nc = cJSON_GetArraySize(cuts);
            if (!cJSON_IsArray(cuts) || nc > LL_PREP_MAX_BINS - 1) {
                st = ll_error_set(err, LL_EPARSE, "feature plan: '%s' needs at most %d cuts", name,
                                  LL_PREP_MAX_BINS - 1);
                goto fail;
            }
            if (!(f->cuts = malloc(LL_PREP_MAX_BINS * sizeof *f->cuts))) goto oom;
            const cJSON *c;
            cJSON_ArrayForEach(c, cuts)
            {
                if (!cJSON_IsNumber(c) || (f->ncuts && !(c->valuedouble > f->cuts[f->ncuts - 1]))) {
                    st = ll_error_set(err, LL_EPARSE,
                                      "feature plan: '%s': cuts must be increasing numbers", name);
                    goto fail;
                }
                f->cuts[f->ncuts++] = float_round(c->valuedouble);
            }
            if (!jnum(fo, "median", &f->median)) f->median = 0;
            if (!jnum(fo, "mean", &f->mean)) f->mean = 0;
            if (!jnum(fo, "std", &f->std) || !(f->std > 0)) f->std = 1;
            if (isnan(f->median)) f->median = 0;
            if (isnan(f->mean)) f->mean = 0;
        }
    }
    if ((st = prep_finish(p, err))) goto fail;
    *out = p;
    return LL_OK;
oom:
    st = ll_error_set(err, LL_ENOMEM, "out of memory");
fail:
    ll_prep_free(p);
    return st;
}

/* ---------- row subsets and splits ---------- */

ll_table *ll_prep_table_rows(const ll_table *t, const size_t *idx, size_t n)
{
    ll_table *o = ll_table_new(n, t->source);
    if (!o) return NULL;
    for (size_t ci = 0; ci < t->ncols; ci++) {
        const ll_column *c = &t->cols[ci];
        ll_column nc = {0};
        nc.type = c->type;
        nc.ndict = c->ndict;
        if (!(nc.name = strdup(c->name))) goto fail_col;
        if (c->dict) {
            nc.dict = calloc((size_t)(c->ndict > 0 ? c->ndict : 1), sizeof *nc.dict);
            if (!nc.dict) goto fail_col;
            for (int32_t i = 0; i < c->ndict; i++)
                if (!(nc.dict[i] = strdup(c->dict[i] ? c->dict[i] : ""))) goto fail_col;
        }
        if (c->type == LL_COL_CATEGORICAL) {
            if (!(nc.codes = malloc((n ? n : 1) * sizeof *nc.codes))) goto fail_col;
            for (size_t r = 0; r < n; r++) {
                nc.codes[r] = c->codes[idx[r]];
                nc.missing += nc.codes[r] < 0;
            }
        } else {
            if (!(nc.num = malloc((n ? n : 1) * sizeof *nc.num))) goto fail_col;
            for (size_t r = 0; r < n; r++) {
                nc.num[r] = c->num[idx[r]];
                nc.missing += isnan(nc.num[r]);
            }
        }
        if (ll_table_adopt_column(o, &nc) >= 0) continue;
    fail_col:
        ll_column_clear(&nc);
        ll_table_free(o);
        return NULL;
    }
    return o;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

ll_status ll_prep_split(const ll_table *t, const char *target, double fraction, unsigned long seed,
                        ll_table **a, ll_table **b, ll_error *err)
{
    *a = *b = NULL;
    if (!(fraction > 0 && fraction < 1))
        return ll_error_set(err, LL_EINVAL, "split fraction must be between 0 and 1, got %g",
                            fraction);
    long ci = ll_table_find(t, target);
    if (ci < 0) return ll_error_set(err, LL_ENOTFOUND, "target column '%s' not found", target);
    const ll_column *c = &t->cols[ci];
    size_t n = t->nrows;
    /* stratum of each row: the class code (missing is a stratum of its own) */
    int32_t *key = malloc((n ? n : 1) * sizeof *key);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t *ia = malloc((n ? n : 1) * sizeof *ia), *ib = malloc((n ? n : 1) * sizeof *ib);
    double *vals = NULL;
    ll_status st = LL_OK;
    if (!key || !order || !ia || !ib) goto oom;
    int32_t nkeys;
    if (c->type == LL_COL_CATEGORICAL) {
        for (size_t r = 0; r < n; r++) key[r] = c->codes[r] < 0 ? c->ndict : c->codes[r];
        nkeys = c->ndict + 1;
    } else {
        if (!(vals = malloc((n ? n : 1) * sizeof *vals))) goto oom;
        size_t nv = 0;
        for (size_t r = 0; r < n; r++)
            if (!isnan(c->num[r])) vals[nv++] = c->num[r];
        qsort(vals, nv, sizeof *vals, cmp_double);
        size_t nd = 0;
        for (size_t i = 0; i < nv; i++)
            if (!nd || vals[nd - 1] != vals[i]) vals[nd++] = vals[i];
        for (size_t r = 0; r < n; r++) {
            double v = c->num[r];
            if (isnan(v)) {
                key[r] = (int32_t)nd;
                continue;
            }
            size_t lo = 0, hi = nd;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (vals[mid] < v)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            key[r] = (int32_t)lo;
        }
        nkeys = (int32_t)nd + 1;
    }
    /* rows grouped by stratum (counting sort keeps row order inside each stratum) */
    size_t *start = calloc((size_t)nkeys + 1, sizeof *start);
    if (!start) goto oom;
    for (size_t r = 0; r < n; r++) start[key[r] + 1]++;
    for (int32_t k = 0; k < nkeys; k++) start[k + 1] += start[k];
    size_t *pos = malloc(((size_t)nkeys + 1) * sizeof *pos);
    if (!pos) {
        free(start);
        goto oom;
    }
    memcpy(pos, start, (size_t)nkeys * sizeof *pos);
    for (size_t r = 0; r < n; r++) order[pos[key[r]]++] = r;
    free(pos);
    uint64_t rng = (uint64_t)seed * 0x2545f4914f6cdd1dULL + 42;
    size_t na = 0, nb = 0;
    for (int32_t k = 0; k < nkeys; k++) {
        size_t *g = order + start[k], m = start[k + 1] - start[k];
        if (!m) continue;
        for (size_t i = m - 1; i > 0; i--) {
            size_t j = (size_t)(splitmix64(&rng) % (i + 1));
            size_t tmp = g[i];
            g[i] = g[j];
            g[j] = tmp;
        }
        size_t cut = (size_t)llround(fraction * (double)m);
        for (size_t i = 0; i < cut; i++) key[g[i]] = -1; /* key is free again: marks b rows */
    }
    free(start);
    for (size_t r = 0; r < n; r++) {
        if (key[r] < 0)
            ib[nb++] = r;
        else
            ia[na++] = r;
    }
    *a = ll_prep_table_rows(t, ia, na);
    *b = ll_prep_table_rows(t, ib, nb);
    if (!*a || !*b) {
        ll_table_free(*a);
        ll_table_free(*b);
        *a = *b = NULL;
        goto oom;
    }
    goto done;
oom:
    st = ll_error_set(err, LL_ENOMEM, "out of memory");
done:
    free(key);
    free(order);
    free(ia);
    free(ib);
    free(vals);
    return st;
}
