/* tune: hyper-parameter studies — CV-scored TPE trials, median pruning, tracking and resume. */
#include "tune.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "filter.h"
#include "forest.h"
#include "fsutil.h"
#include "gbdt.h"
#include "logreg.h"
#include "metrics.h"
#include "numfmt.h"
#include "prep.h"

#define PATH_CAP 4096

/* ---------- search spaces ---------- */

typedef struct {
    const char *name;
    ll_tpe_kind kind;
    double low, high;
    int log;
} default_dim;

static const default_dim gbdt_space[] = {
    {"max_depth", LL_TPE_INT, 3, 10, 0},
    {"eta", LL_TPE_FLOAT, 0.01, 0.3, 1},
    {"n_estimators", LL_TPE_INT, 100, 500, 0},
    {"subsample", LL_TPE_FLOAT, 0.5, 1, 0},
    {"colsample_bytree", LL_TPE_FLOAT, 0.5, 1, 0},
    {"gamma", LL_TPE_FLOAT, 0, 5, 0},
    {"alpha", LL_TPE_FLOAT, 0, 5, 0},
    {"lambda", LL_TPE_FLOAT, 0, 5, 0},
};
static const default_dim forest_space[] = {
    {"n_trees", LL_TPE_INT, 50, 300, 0},
    {"max_depth", LL_TPE_INT, 3, 20, 0},
    {"min_samples_leaf", LL_TPE_INT, 1, 50, 1},
    {"max_features", LL_TPE_FLOAT, 0.1, 1, 0},
};
static const default_dim logreg_space[] = {
    {"C", LL_TPE_FLOAT, 1e-3, 1e2, 1},
};

/* Parameters a study never tunes, and why. */
static const char *const untunable[][2] = {
    {"threads", "the worker threads are set with --threads"},
    {"seed", "the seed is set with --seed"},
    {"max_bin", "the bins are fitted once per fold; fix it with --set max_bin=N"},
    {"early_stopping_rounds",
     "early stopping would watch the validation fold the trial is scored on"},
};

static int spec_index(ll_model_kind kind, const char *name)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(kind, &n);
    for (int i = 0; i < n; i++)
        if (!strcmp(s[i].name, name)) return i;
    return -1;
}

static const ll_param_spec *dim_spec(const ll_tune_space *s, int d)
{
    int n;
    return &ll_model_param_specs(s->kind, &n)[s->param[d]];
}

void ll_tune_space_default(ll_model_kind kind, ll_tune_space *out)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    const default_dim *t = gbdt_space;
    size_t n = sizeof gbdt_space / sizeof *gbdt_space;
    if (kind == LL_MODEL_FOREST) {
        t = forest_space;
        n = sizeof forest_space / sizeof *forest_space;
    } else if (kind == LL_MODEL_LOGREG) {
        t = logreg_space;
        n = sizeof logreg_space / sizeof *logreg_space;
    }
    for (size_t i = 0; i < n; i++) {
        int p = spec_index(kind, t[i].name);
        if (p < 0) continue;
        ll_tpe_dist *d = &out->dist[out->ndim];
        d->kind = t[i].kind;
        d->low = t[i].low;
        d->high = t[i].high;
        d->step = t[i].kind == LL_TPE_INT ? 1 : 0;
        d->log = t[i].log;
        out->param[out->ndim++] = p;
    }
}

const char *ll_tune_space_name(const ll_tune_space *s, int d)
{
    return dim_spec(s, d)->name;
}

static int spec_in_range(const ll_param_spec *s, double v)
{
    if (!isfinite(v) || v > s->max) return 0;
    if (s->type == LL_PARAM_INT && v != floor(v)) return 0;
    return s->min_open ? v > s->min : v >= s->min;
}

static const char *num_text(double v, char *buf, size_t len)
{
    return ll_numfmt_double(v, buf, len);
}

/* "max_depth, eta, ..." : the parameters of kind a space may name. */
static void tunable_list(ll_model_kind kind, char *buf, size_t len)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(kind, &n);
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o < len; i++) {
        int skip = 0;
        for (size_t u = 0; u < sizeof untunable / sizeof *untunable; u++)
            if (!strcmp(untunable[u][0], s[i].name)) skip = 1;
        if (!skip) o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", s[i].name);
    }
}

/* Value of one categorical choice given as JSON (string, bool or number), checked by the
 * parameter table's own parser. */
static int choice_value(ll_model_kind kind, const char *name, const cJSON *c, double *v,
                        ll_error *err)
{
    char buf[64];
    const char *txt = NULL;
    if (cJSON_IsString(c))
        txt = c->valuestring;
    else if (cJSON_IsBool(c))
        txt = cJSON_IsTrue(c) ? "true" : "false";
    else if (cJSON_IsNumber(c))
        txt = num_text(c->valuedouble, buf, sizeof buf);
    if (!txt) return ll_error_set(err, LL_EINVAL, "a choice must be a string, number or boolean");
    ll_model_params p;
    ll_model_params_default(kind, &p);
    if (ll_model_params_set(&p, name, txt, err)) return err ? err->code : LL_EINVAL;
    *v = ll_model_params_get(&p, name);
    return LL_OK;
}

#define SPACE_FAIL(...)                                                                            \
    do {                                                                                           \
        snprintf(msg, sizeof msg, __VA_ARGS__);                                                    \
        goto bad;                                                                                  \
    } while (0)

ll_status ll_tune_space_parse(ll_model_kind kind, const char *text, size_t len, const char *file,
                              ll_tune_space *out, ll_error *err)
{
    const char *fn = file && *file ? file : "space";
    memset(out, 0, sizeof *out);
    out->kind = kind;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        long line = 1, col = 1;
        for (const char *c = text; end && c < end && c < text + len; c++) {
            if (*c == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return ll_error_set_at(err, LL_EPARSE, fn, line, col, "malformed JSON in the search space");
    }
    char msg[1000], list[600], a[64], b[64];
    const char *kn = ll_model_kind_name(kind);
    if (!cJSON_IsObject(j))
        SPACE_FAIL("the search space must be a JSON object of parameter names, such as "
                   "{\"eta\": {\"type\": \"float\", \"low\": 0.01, \"high\": 0.3, \"log\": true}}");
    const cJSON *it;
    cJSON_ArrayForEach(it, j)
    {
        const char *name = it->string;
        int p = spec_index(kind, name);
        if (p < 0) {
            tunable_list(kind, list, sizeof list);
            SPACE_FAIL("unknown parameter '%s' for %s (tunable: %s)", name, kn, list);
        }
        for (size_t u = 0; u < sizeof untunable / sizeof *untunable; u++)
            if (!strcmp(untunable[u][0], name))
                SPACE_FAIL("'%s' cannot be tuned: %s", name, untunable[u][1]);
        for (int d = 0; d < out->ndim; d++)
            if (out->param[d] == p) SPACE_FAIL("'%s' appears twice", name);
        if (out->ndim >= LL_TUNE_MAX_DIMS) SPACE_FAIL("too many parameters");
        int n;
        const ll_param_spec *sp = &ll_model_param_specs(kind, &n)[p];
        char range[96];
        ll_model_param_range(sp, range, sizeof range);
        if (!cJSON_IsObject(it))
            SPACE_FAIL("'%s': expected an object such as {\"type\": \"float\", \"low\": 0, "
                       "\"high\": 1}",
                       name);
        const cJSON *k;
        cJSON_ArrayForEach(k, it)
        {
            static const char *const keys[] = {"type", "low", "high", "log", "step", "choices"};
            int ok = 0;
            for (size_t q = 0; q < sizeof keys / sizeof *keys; q++)
                ok |= !strcmp(k->string, keys[q]);
            if (!ok)
                SPACE_FAIL("'%s': unknown key '%s' (type, low, high, log, step, choices)", name,
                           k->string);
        }
        const cJSON *jt = cJSON_GetObjectItemCaseSensitive(it, "type");
        const cJSON *jl = cJSON_GetObjectItemCaseSensitive(it, "low");
        const cJSON *jh = cJSON_GetObjectItemCaseSensitive(it, "high");
        const cJSON *jg = cJSON_GetObjectItemCaseSensitive(it, "log");
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(it, "step");
        const cJSON *jc = cJSON_GetObjectItemCaseSensitive(it, "choices");
        ll_tpe_kind tk = LL_TPE_FLOAT;
        if (jt && !cJSON_IsString(jt))
            SPACE_FAIL("'%s': \"type\" must be \"int\", \"float\" or \"categorical\"", name);
        if (!jt)
            tk = jc || sp->type == LL_PARAM_BOOL || sp->type == LL_PARAM_ENUM ? LL_TPE_CATEGORICAL
                 : sp->type == LL_PARAM_INT                                   ? LL_TPE_INT
                                                                              : LL_TPE_FLOAT;
        else if (!strcmp(jt->valuestring, "int"))
            tk = LL_TPE_INT;
        else if (!strcmp(jt->valuestring, "float"))
            tk = LL_TPE_FLOAT;
        else if (!strcmp(jt->valuestring, "categorical"))
            tk = LL_TPE_CATEGORICAL;
        else
            SPACE_FAIL("'%s': unknown type '%s' (int, float or categorical)", name,
                       jt->valuestring);
        ll_tpe_dist *d = &out->dist[out->ndim];
        memset(d, 0, sizeof *d);
        d->kind = tk;
        if (tk == LL_TPE_CATEGORICAL) {
            if (jl || jh || jg || js)
                SPACE_FAIL("'%s': a categorical parameter takes \"choices\", not low/high/log/step",
                           name);
            if (!cJSON_IsArray(jc) || cJSON_GetArraySize(jc) < 1)
                SPACE_FAIL("'%s': \"choices\" must be a non-empty array (%s)", name, range);
            int nc = cJSON_GetArraySize(jc);
            if (nc > LL_TUNE_MAX_CHOICES)
                SPACE_FAIL("'%s': at most %d choices", name, LL_TUNE_MAX_CHOICES);
            int c = 0;
            const cJSON *ch;
            cJSON_ArrayForEach(ch, jc)
            {
                ll_error e2;
                double v = NAN;
                if (choice_value(kind, name, ch, &v, &e2))
                    SPACE_FAIL("'%s': bad choice: %.500s", name, e2.msg);
                for (int q = 0; q < c; q++)
                    if (out->choice[out->ndim][q] == v)
                        SPACE_FAIL("'%s': a choice appears twice", name);
                out->choice[out->ndim][c++] = v;
            }
            d->nchoices = nc;
            d->low = 0;
            d->high = nc - 1;
        } else {
            if (sp->type == LL_PARAM_BOOL || sp->type == LL_PARAM_ENUM)
                SPACE_FAIL("'%s' takes one of %s: use \"type\": \"categorical\" with "
                           "\"choices\"",
                           name, range);
            if (jc) SPACE_FAIL("'%s': \"choices\" needs \"type\": \"categorical\"", name);
            if (sp->type == LL_PARAM_INT && tk == LL_TPE_FLOAT)
                SPACE_FAIL("'%s' is an integer parameter: use \"type\": \"int\"", name);
            if (!cJSON_IsNumber(jl) || !cJSON_IsNumber(jh))
                SPACE_FAIL("'%s': \"low\" and \"high\" must be numbers (%s)", name, range);
            d->low = jl->valuedouble;
            d->high = jh->valuedouble;
            if (tk == LL_TPE_INT && (d->low != floor(d->low) || d->high != floor(d->high)))
                SPACE_FAIL("'%s': an int range needs integer bounds", name);
            if (!spec_in_range(sp, d->low))
                SPACE_FAIL("'%s': low %s is out of range (%s)", name, num_text(d->low, a, 64),
                           range);
            if (!spec_in_range(sp, d->high))
                SPACE_FAIL("'%s': high %s is out of range (%s)", name, num_text(d->high, a, 64),
                           range);
            if (d->low > d->high)
                SPACE_FAIL("'%s': low %s is above high %s", name, num_text(d->low, a, 64),
                           num_text(d->high, b, 64));
            if (jg && !cJSON_IsBool(jg)) SPACE_FAIL("'%s': \"log\" must be true or false", name);
            d->log = jg && cJSON_IsTrue(jg);
            if (d->log && !(d->low > 0))
                SPACE_FAIL("'%s': a log scale needs low > 0 (got %s)", name,
                           num_text(d->low, a, 64));
            d->step = tk == LL_TPE_INT ? 1 : 0;
            if (js) {
                if (!cJSON_IsNumber(js) || !(js->valuedouble > 0) || !isfinite(js->valuedouble))
                    SPACE_FAIL("'%s': \"step\" must be a positive number", name);
                d->step = js->valuedouble;
                if (tk == LL_TPE_INT && d->step != floor(d->step))
                    SPACE_FAIL("'%s': an int step must be an integer", name);
                if (d->log && (tk == LL_TPE_FLOAT || d->step != 1))
                    SPACE_FAIL("'%s': \"step\" cannot be combined with \"log\"", name);
                double k = (d->high - d->low) / d->step;
                if (fabs(k - rint(k)) > 1e-9 * (k > 1 ? k : 1))
                    SPACE_FAIL("'%s': high - low must be a multiple of step", name);
            }
        }
        out->param[out->ndim++] = p;
    }
    if (out->ndim == 0) SPACE_FAIL("the search space names no parameter");
    cJSON_Delete(j);
    return LL_OK;
bad:
    cJSON_Delete(j);
    memset(out, 0, sizeof *out);
    out->kind = kind;
    return ll_error_set(err, LL_EINVAL, "%s: %s", fn, msg);
}

#undef SPACE_FAIL

ll_status ll_tune_space_load(ll_model_kind kind, const char *path, ll_tune_space *out,
                             ll_error *err)
{
    char *text;
    size_t len;
    ll_status st = ll_fsutil_read(path, &text, &len, err);
    if (st) return st;
    st = ll_tune_space_parse(kind, text, len, path, out, err);
    free(text);
    return st;
}

static cJSON *json_num(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

/* JSON value of a categorical choice or parameter value, as the table spells it. */
static cJSON *json_param_value(const ll_param_spec *sp, double v)
{
    char buf[64];
    if (sp->type == LL_PARAM_BOOL) return cJSON_CreateBool(v != 0);
    if (sp->type == LL_PARAM_ENUM)
        return cJSON_CreateString(ll_model_param_text(sp, v, buf, sizeof buf));
    return json_num(v);
}

cJSON *ll_tune_space_to_json(const ll_tune_space *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    static const char *const types[] = {"float", "int", "categorical"};
    for (int d = 0; d < s->ndim; d++) {
        const ll_tpe_dist *t = &s->dist[d];
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToObject(o, ll_tune_space_name(s, d), e)) {
            cJSON_Delete(e);
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddStringToObject(e, "type", types[t->kind]);
        if (t->kind == LL_TPE_CATEGORICAL) {
            cJSON *c = cJSON_AddArrayToObject(e, "choices");
            for (int k = 0; c && k < t->nchoices; k++)
                cJSON_AddItemToArray(c, json_param_value(dim_spec(s, d), s->choice[d][k]));
            continue;
        }
        cJSON_AddItemToObject(e, "low", json_num(t->low));
        cJSON_AddItemToObject(e, "high", json_num(t->high));
        if (t->log) cJSON_AddTrueToObject(e, "log");
        if ((t->kind == LL_TPE_INT && t->step != 1) || (t->kind == LL_TPE_FLOAT && t->step > 0))
            cJSON_AddItemToObject(e, "step", json_num(t->step));
    }
    return o;
}

int ll_tune_space_equal(const ll_tune_space *a, const ll_tune_space *b)
{
    if (a->kind != b->kind || a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++) {
        const ll_tpe_dist *x = &a->dist[d], *y = &b->dist[d];
        if (a->param[d] != b->param[d] || x->kind != y->kind || x->low != y->low ||
            x->high != y->high || x->step != y->step || x->log != y->log ||
            x->nchoices != y->nchoices)
            return 0;
        for (int k = 0; k < x->nchoices; k++)
            if (a->choice[d][k] != b->choice[d][k]) return 0;
    }
    return 1;
}

/* Parameter value of dimension d at point value x. */
static double dim_value(const ll_tune_space *s, int d, double x)
{
    const ll_tpe_dist *t = &s->dist[d];
    if (t->kind == LL_TPE_CATEGORICAL) {
        int c = (int)x;
        if (c < 0) c = 0;
        if (c >= t->nchoices) c = t->nchoices - 1;
        return s->choice[d][c];
    }
    return t->kind == LL_TPE_INT ? rint(x) : x;
}

void ll_tune_space_apply(const ll_tune_space *s, const double *x, ll_model_params *p)
{
    for (int d = 0; d < s->ndim; d++) {
        p->value[s->param[d]] = dim_value(s, d, x[d]);
        p->set[s->param[d]] = 1;
    }
}

const char *ll_tune_value_text(const ll_tune_space *s, int d, double x, char *buf, size_t len)
{
    return ll_model_param_text(dim_spec(s, d), dim_value(s, d, x), buf, len);
}

int ll_tune_value_parse(const ll_tune_space *s, int d, const char *text, double *x)
{
    const ll_tpe_dist *t = &s->dist[d];
    if (!text) return 0;
    if (t->kind == LL_TPE_CATEGORICAL) {
        char buf[64];
        for (int k = 0; k < t->nchoices; k++) {
            if (!strcasecmp(ll_tune_value_text(s, d, k, buf, sizeof buf), text)) {
                *x = k;
                return 1;
            }
        }
        return 0;
    }
    double v;
    if (!ll_numparse(text, strlen(text), &v)) return 0;
    if (t->kind == LL_TPE_INT && v != floor(v)) return 0;
    double tol = 1e-12 * (fabs(t->high) > 1 ? fabs(t->high) : 1);
    if (v < t->low - tol || v > t->high + tol) return 0;
    *x = v;
    return 1;
}

/* ---------- learner parameters ---------- */

/* The parameter counting a fit's iterations (the steps of a learning curve). */
static const char *iteration_param(ll_model_kind kind)
{
    return kind == LL_MODEL_GBDT     ? "n_estimators"
           : kind == LL_MODEL_FOREST ? "n_trees"
                                     : "max_iter";
}

/* ---------- folds ---------- */

/* One fold's matrices, fitted and built once and shared read-only by every trial. */
typedef struct {
    ll_prep *prep; /* fitted on the fold's training rows only */
    ll_binned btr, bva;
    ll_design dtr, dva;
    double *ytr, *yva;
    size_t ntr, nva;
} fold_data;

static void folds_free(fold_data *f, int k)
{
    for (int i = 0; f && i < k; i++) {
        ll_prep_free(f[i].prep);
        ll_binned_free(&f[i].btr);
        ll_binned_free(&f[i].bva);
        ll_design_free(&f[i].dtr);
        ll_design_free(&f[i].dva);
        free(f[i].ytr);
        free(f[i].yva);
    }
    free(f);
}

/* Stratified K-fold: each class's rows are shuffled (seeded) and dealt to the folds in turn,
 * so every fold holds floor or ceil of 1/K of each class. */
static ll_status build_folds(const ll_tune_options *o, const ll_table *train, const char *pos,
                             const double *y, fold_data **out, ll_error *err)
{
    int K = o->cv;
    size_t n = train->nrows;
    *out = NULL;
    fold_data *f = calloc((size_t)K, sizeof *f);
    int *fold = malloc((n ? n : 1) * sizeof *fold);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx), *tr = malloc((n ? n : 1) * sizeof *tr);
    size_t *va = malloc((n ? n : 1) * sizeof *va);
    ll_status st = LL_OK;
    if (!f || !fold || !idx || !tr || !va) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    ll_tpe_rng rng;
    ll_tpe_rng_seed(&rng, o->seed ^ 0x666f6c6473ull);
    for (int c = 0; c < 2; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if ((y[i] == 1.0) == c) idx[m++] = i;
        if (m < (size_t)K) {
            st = ll_error_set(err, LL_EINVAL,
                              "the %s class has %zu training rows, fewer than the %d folds",
                              c ? "positive" : "negative", m, K);
            goto done;
        }
        for (size_t i = m; i > 1; i--) {
            size_t j = (size_t)(ll_tpe_rng_next(&rng) % i), t = idx[i - 1];
            idx[i - 1] = idx[j];
            idx[j] = t;
        }
        for (size_t i = 0; i < m; i++) fold[idx[i]] = (int)(i % (size_t)K);
    }
    ll_prep_options po;
    ll_prep_options_default(&po);
    if (o->kind != LL_MODEL_LOGREG) po.max_bin = (int)ll_model_params_get(&o->base, "max_bin");
    for (int k = 0; k < K && !st; k++) {
        size_t ntr = 0, nva = 0;
        for (size_t i = 0; i < n; i++) {
            if (fold[i] == k)
                va[nva++] = i;
            else
                tr[ntr++] = i;
        }
        ll_table *ttr = ll_prep_table_rows(train, tr, ntr),
                 *tva = ll_prep_table_rows(train, va, nva);
        fold_data *fd = &f[k];
        fd->ntr = ntr;
        fd->nva = nva;
        fd->ytr = malloc(ntr * sizeof *fd->ytr);
        fd->yva = malloc(nva * sizeof *fd->yva);
        if (!ttr || !tva || !fd->ytr || !fd->yva)
            st = ll_error_set(err, LL_ENOMEM, "out of memory");
        if (!st) st = ll_prep_fit(ttr, o->target, pos, &po, &fd->prep, err);
        if (!st) st = ll_prep_labels(fd->prep, ttr, fd->ytr, err);
        if (!st) st = ll_prep_labels(fd->prep, tva, fd->yva, err);
        if (!st && o->kind == LL_MODEL_LOGREG) {
            st = ll_prep_design(fd->prep, ttr, &fd->dtr, err);
            if (!st) st = ll_prep_design(fd->prep, tva, &fd->dva, err);
        } else if (!st) {
            st = ll_prep_binned(fd->prep, ttr, &fd->btr, err);
            if (!st) st = ll_prep_binned(fd->prep, tva, &fd->bva, err);
        }
        ll_table_free(ttr);
        ll_table_free(tva);
        if (o->cancel && *o->cancel && !st) st = ll_error_set(err, LL_ECANCELLED, "cancelled");
    }
done:
    free(fold);
    free(idx);
    free(tr);
    free(va);
    if (st) {
        folds_free(f, K);
        return st;
    }
    *out = f;
    return LL_OK;
}

/* ---------- trials ---------- */

typedef struct {
    ll_tune_trial pub;
    double *curve; /* K x niter validation AUCs of a completed trial (NaN: not reported) */
    int niter;
    double fold_curve[LL_TUNE_MAX_FOLDS]; /* running mean AUC after each fold (NaN: none) */
    size_t hist_end;                      /* trials [0, hist_end) were its history */
    int started, finished, start_logged, end_logged, aborted;
    ll_run_handle *h; /* its child run, owned by the coordinating thread */
} trial_rec;

typedef struct {
    const ll_tune_options *o;
    fold_data *folds;
    int K;
    long stride; /* steps per fold in the global step numbering */
    trial_rec *tr;
    size_t ntr, nres; /* all trials; resumed ones (finished, first) */
    size_t next, first_unfinished;
    size_t lag;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, cancelled, timed_out, workers;
    double t0;
    /* tracking */
    int tracking;
    char parent_id[33];
    ll_run_handle *parent; /* the study's run, kept (it outlives a session); coordinator's */
    ll_status store_status;
    ll_error store_err;
} study;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* State the learner's callback needs for one fold of one trial. */
typedef struct {
    study *s;
    trial_rec *t;
    int fold;
    double best;    /* the trial's best validation AUC so far in this fold */
    long prev_step; /* previous reported iteration in this fold (-1: none) */
    size_t ncomplete;
    double *at; /* scratch: completed trials' values at the step */
    int pruned, cancelled;
} fit_ctx;

/* Median pruning on the fold's learning curve: steps are the fit's iterations (0-based) and the
 * history is the completed trials among this trial's own history, so the decision does not
 * depend on thread timing. */
static int on_iteration(const ll_fit_progress *pr, void *ud)
{
    fit_ctx *c = ud;
    const ll_tune_options *o = c->s->o;
    if (o->cancel && *o->cancel) {
        c->cancelled = 1;
        return 1;
    }
    double v = pr->valid_auc;
    long i = pr->iteration - 1;
    if (isnan(v) || i < 0 || i >= c->t->niter) return 0;
    c->t->curve[(size_t)c->fold * (size_t)c->t->niter + (size_t)i] = v;
    if (isnan(c->best) || v > c->best) c->best = v;
    c->t->pub.last_step = c->fold * c->s->stride + i;
    c->t->pub.last_value = v;
    if (o->prune != LL_TUNE_PRUNE_ITERATION) return 0;
    size_t nat = 0;
    for (size_t h = 0; h < c->t->hist_end; h++) {
        const trial_rec *q = &c->s->tr[h];
        if (q->pub.state != LL_TPE_COMPLETE || !q->curve || i >= q->niter) continue;
        double qv = q->curve[(size_t)c->fold * (size_t)q->niter + (size_t)i];
        if (!isnan(qv)) c->at[nat++] = qv;
    }
    int prune = ll_tpe_pruner_check(&o->pruner, c->ncomplete, i, c->prev_step, c->best, c->at, nat);
    c->prev_step = i;
    if (prune) {
        c->pruned = 1;
        c->t->pub.pruned_fold = c->fold;
        c->t->pub.pruned_iteration = (int)i + 1;
        return 1;
    }
    return 0;
}

/* Fit fold k with params p and return its validation AUC. */
static ll_status fit_fold(const study *s, int k, const ll_model_params *p, fit_ctx *c, double *auc,
                          ll_error *err)
{
    const fold_data *f = &s->folds[k];
    const ll_tune_options *o = s->o;
    /* Without per-iteration pruning the fit needs no validation rows (they only feed its
     * report and would cost a margin update and a log loss per iteration): score after. */
    int per_it = s->o->prune == LL_TUNE_PRUNE_ITERATION;
    ll_fit_fn cb = per_it ? on_iteration : NULL;
    const ll_binned *bva = per_it ? &f->bva : NULL;
    const ll_design *dva = per_it ? &f->dva : NULL;
    const double *yva = per_it ? f->yva : NULL;
    double *prob = malloc((f->nva ? f->nva : 1) * sizeof *prob);
    if (!prob) return ll_error_set(err, LL_ENOMEM, "out of memory");
    ll_status st;
    if (o->kind == LL_MODEL_GBDT) {
        ll_gbdt_params gp;
        ll_model_params_to_gbdt(p, &gp);
        ll_gbdt *m = NULL;
        st = ll_gbdt_fit(&f->btr, f->ytr, bva, yva, &gp, cb, c, o->cancel, &m, err);
        if (!st) ll_gbdt_predict_binned(m, &f->bva, prob);
        if (m) ll_gbdt_free(m);
    } else if (o->kind == LL_MODEL_FOREST) {
        ll_forest_params fp;
        ll_model_params_to_forest(p, &fp);
        ll_forest *m = NULL;
        st = ll_forest_fit(&f->btr, f->ytr, bva, yva, &fp, cb, c, o->cancel, &m, err);
        if (!st) ll_forest_predict_binned(m, &f->bva, prob);
        ll_forest_free(m);
    } else {
        ll_logreg_params lp;
        ll_model_params_to_logreg(p, &lp);
        ll_logreg *m = NULL;
        st = ll_logreg_fit(&f->dtr, f->ytr, &lp, dva, yva, cb, c, o->cancel, &m, err);
        if (!st) st = ll_logreg_predict(m, &f->dva, prob);
        if (m) ll_logreg_free(m);
    }
    if (!st) st = ll_metrics_auc(f->yva, prob, f->nva, NULL, auc, err);
    free(prob);
    return st;
}

/* Median pruning at fold boundaries: step k reports the mean AUC of folds 0..k, compared (as
 * the trial's best report so far) with completed trials' reports after the same fold. */
static int prune_after_fold(const study *s, const trial_rec *t, int k, size_t ncomplete,
                            double best, double *at)
{
    size_t nat = 0;
    for (size_t h = 0; h < t->hist_end; h++) {
        const trial_rec *q = &s->tr[h];
        if (q->pub.state == LL_TPE_COMPLETE && !isnan(q->fold_curve[k]))
            at[nat++] = q->fold_curve[k];
    }
    return ll_tpe_pruner_check(&s->o->pruner, ncomplete, k, k - 1, best, at, nat);
}

/* Evaluate one trial: the folds in order, stopping when the pruner says so. */
static void eval_trial(study *s, trial_rec *t, double *scratch)
{
    const ll_tune_options *o = s->o;
    ll_tune_trial *pub = &t->pub;
    double t0 = now_s();
    ll_model_params p = o->base;
    ll_tune_space_apply(&o->space, pub->x, &p);
    ll_error err;
    ll_error_clear(&err);
    pub->state = LL_TPE_FAIL;
    if (ll_model_params_check(&p, &err)) {
        snprintf(pub->error, sizeof pub->error, "%.200s", err.msg);
        pub->seconds = now_s() - t0;
        return;
    }
    double it = ll_model_params_get(&p, iteration_param(o->kind));
    t->niter = isnan(it) || it < 1 ? 1 : (int)it;
    if (o->prune == LL_TUNE_PRUNE_ITERATION) { /* learning curves for the pruner */
        t->curve = malloc((size_t)s->K * (size_t)t->niter * sizeof *t->curve);
        if (!t->curve) {
            snprintf(pub->error, sizeof pub->error, "out of memory");
            return;
        }
        for (size_t i = 0; i < (size_t)s->K * (size_t)t->niter; i++) t->curve[i] = NAN;
    }
    size_t ncomplete = 0;
    for (size_t h = 0; h < t->hist_end; h++) ncomplete += s->tr[h].pub.state == LL_TPE_COMPLETE;
    double sum = 0, fold_best = NAN;
    for (int k = 0; k < s->K; k++) {
        fit_ctx c = {s, t, k, NAN, -1, ncomplete, scratch, 0, 0};
        double auc = NAN;
        ll_status st = fit_fold(s, k, &p, &c, &auc, &err);
        if (st == LL_ECANCELLED && c.pruned) {
            pub->state = LL_TPE_PRUNED;
            break;
        }
        if (st == LL_ECANCELLED || c.cancelled) {
            pub->state = LL_TPE_RUNNING;
            t->aborted = 1;
            break;
        }
        if (st) {
            snprintf(pub->error, sizeof pub->error, "fold %d: %.200s", k + 1, err.msg);
            break;
        }
        if (!isfinite(auc)) {
            snprintf(pub->error, sizeof pub->error, "fold %d: the validation AUC is undefined",
                     k + 1);
            break;
        }
        pub->fold_auc[k] = auc;
        pub->folds_done = k + 1;
        sum += auc;
        double m = sum / (k + 1);
        t->fold_curve[k] = m;
        if (o->prune != LL_TUNE_PRUNE_ITERATION) { /* else the learner's reports are the last */
            pub->last_step = k * s->stride + t->niter - 1;
            pub->last_value = m;
        }
        if (!isnan(fold_best) && fold_best >= m) m = fold_best;
        fold_best = m;
        if (o->prune == LL_TUNE_PRUNE_FOLD && k < s->K - 1 &&
            prune_after_fold(s, t, k, ncomplete, fold_best, scratch)) {
            pub->state = LL_TPE_PRUNED;
            pub->pruned_fold = k;
            pub->pruned_iteration = t->niter;
            break;
        }
    }
    if (pub->folds_done == s->K) {
        pub->state = LL_TPE_COMPLETE;
        pub->value = sum / s->K;
    }
    if (pub->state != LL_TPE_COMPLETE) { /* only completed curves serve the pruner */
        free(t->curve);
        t->curve = NULL;
    }
    pub->seconds = now_s() - t0;
}

/* Trial t's point: TPE over trials [0, hist_end), with a generator seeded by (seed, number) so
 * the point does not depend on what ran before in this process. Called with the lock held. */
static void sample_trial(study *s, trial_rec *t)
{
    const ll_tune_options *o = s->o;
    size_t n = t->hist_end;
    ll_tpe_obs *h = malloc((n ? n : 1) * sizeof *h);
    ll_error err;
    ll_tpe_rng rng;
    ll_tpe_rng_seed(&rng,
                    o->seed * 0x9e3779b97f4a7c15ull + 0x7470650000ull + (uint64_t)t->pub.number);
    if (!h) {
        t->pub.state = LL_TPE_FAIL;
        snprintf(t->pub.error, sizeof t->pub.error, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const ll_tune_trial *q = &s->tr[i].pub;
        h[i] = (ll_tpe_obs){q->state, q->x, q->value, q->last_step, q->last_value};
    }
    if (ll_tpe_suggest(o->space.dist, o->space.ndim, h, n, &o->tpe, &rng, t->pub.x, &err)) {
        t->pub.state = LL_TPE_FAIL;
        snprintf(t->pub.error, sizeof t->pub.error, "%.200s", err.msg);
    }
    free(h);
}

static void advance_unfinished(study *s)
{
    while (s->first_unfinished < s->ntr && s->tr[s->first_unfinished].finished)
        s->first_unfinished++;
}

static void *worker(void *arg)
{
    study *s = arg;
    const ll_tune_options *o = s->o;
    double *scratch = malloc((s->ntr ? s->ntr : 1) * sizeof *scratch);
    pthread_mutex_lock(&s->mu);
    while (scratch && !s->stop && s->next < s->ntr) {
        /* another worker may take the trial while this one waits: re-read it after waking */
        size_t t = s->next;
        size_t hend = t >= s->lag ? t - s->lag : 0;
        if (hend < s->nres) hend = s->nres;
        if (s->first_unfinished < hend) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        if (o->cancel && *o->cancel) {
            s->stop = s->cancelled = 1;
            break;
        }
        if (o->timeout_s > 0 && now_s() - s->t0 >= o->timeout_s) {
            s->stop = s->timed_out = 1;
            break;
        }
        s->next++;
        trial_rec *r = &s->tr[t];
        r->hist_end = hend;
        r->pub.state = LL_TPE_RUNNING;
        sample_trial(s, r);
        r->started = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        if (r->pub.state == LL_TPE_RUNNING) eval_trial(s, r, scratch);
        pthread_mutex_lock(&s->mu);
        r->finished = 1;
        if (r->aborted) s->stop = s->cancelled = 1;
        advance_unfinished(s);
        pthread_cond_broadcast(&s->cv);
    }
    if (!scratch) s->stop = 1;
    s->workers--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    free(scratch);
    return NULL;
}

/* ---------- tracking ---------- */

/* A parent metric is flushed at once: a study killed later keeps its progress so far. */
static ll_status parent_metric(study *s, const char *key, double value, long long step,
                               ll_error *err)
{
    ll_status st = ll_store_log_metric(s->parent, key, value, step, err);
    return st ? st : ll_store_run_flush(s->parent, err);
}

static ll_status write_json_file(const char *dir, const char *name, cJSON *j, ll_error *err)
{
    char path[PATH_CAP];
    char *text = j ? cJSON_Print(j) : NULL;
    if (!text) return ll_error_set(err, LL_ENOMEM, "out of memory");
    ll_status st = ll_fsutil_join(path, sizeof path, dir, name, err);
    size_t len = strlen(text);
    text[len] = '\n'; /* cJSON's buffer ends in the NUL we overwrite; length excludes it */
    if (!st) st = ll_fsutil_write_atomic(path, text, len + 1, NULL, err);
    free(text);
    return st;
}

static const char *const prune_names[LL_TUNE_PRUNE_COUNT] = {"none", "median per fold",
                                                             "median per iteration"};

static ll_status parent_create(study *s, const char *pos, ll_error *err)
{
    const ll_tune_options *o = s->o;
    ll_run_handle *h;
    ll_status st =
        ll_store_run_begin(o->store, o->experiment, o->study_name, "lendlab tune", &h, err);
    if (st) return st;
    snprintf(s->parent_id, sizeof s->parent_id, "%s", ll_store_run_id(h));
    char buf[64], dir[PATH_CAP];
    const char *tags[][2] = {{"lendlab.study", o->study_name},
                             {"lendlab.tune.model", ll_model_kind_name(o->kind)},
                             {"lendlab.tune.sampler", "TPE"},
                             {"lendlab.tune.pruner", prune_names[o->prune]},
                             {"lendlab.tune.objective", "cv_auc (maximize)"}};
    for (size_t i = 0; i < sizeof tags / sizeof *tags && !st; i++)
        st = ll_store_set_tag(h, tags[i][0], tags[i][1], err);
    snprintf(buf, sizeof buf, "%d", o->cv);
    if (!st) st = ll_store_log_param(h, "cv", buf, err);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->seed);
    if (!st) st = ll_store_log_param(h, "seed", buf, err);
    if (!st) st = ll_store_log_param(h, "model", ll_model_kind_name(o->kind), err);
    if (!st) st = ll_store_log_param(h, "target", o->target, err);
    if (!st) st = ll_store_log_param(h, "positive", pos, err);
    if (!st && o->data_name) st = ll_store_log_param(h, "data", o->data_name, err);
    if (!st && o->test_name) st = ll_store_log_param(h, "test", o->test_name, err);
    if (!st) st = ll_store_run_artifact_dir(h, NULL, dir, sizeof dir, err);
    if (!st) {
        cJSON *j = ll_tune_space_to_json(&o->space);
        st = write_json_file(dir, "space.json", j, err);
        cJSON_Delete(j);
    }
    if (st) {
        ll_error e2;
        ll_store_run_end(h, LL_RUN_FAILED, &e2);
        return st;
    }
    ll_store_run_keep(h); /* the trials point to it, and --resume reopens it */
    s->parent = h;
    return LL_OK;
}

static void record_store_error(study *s, ll_status st, const ll_error *err)
{
    pthread_mutex_lock(&s->mu);
    if (!s->store_status) {
        s->store_status = st;
        s->store_err = *err;
        s->stop = 1; /* no further trials once the store refuses writes */
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
}

static void log_trial_start(study *s, trial_rec *t)
{
    const ll_tune_options *o = s->o;
    char name[64], num[32], val[64];
    ll_error err;
    snprintf(name, sizeof name, "trial-%d", t->pub.number);
    snprintf(num, sizeof num, "%d", t->pub.number);
    ll_status st = ll_store_run_begin(o->store, o->experiment, name, "lendlab tune", &t->h, &err);
    if (!st) {
        snprintf(t->pub.run_id, sizeof t->pub.run_id, "%s", ll_store_run_id(t->h));
        st = ll_store_set_tag(t->h, "mlflow.parentRunId", s->parent_id, &err);
    }
    if (!st) st = ll_store_set_tag(t->h, "lendlab.study", o->study_name, &err);
    if (!st) st = ll_store_set_tag(t->h, "lendlab.trial_number", num, &err);
    if (!st) st = ll_store_set_tag(t->h, "lendlab.trial_state", "RUNNING", &err);
    for (int d = 0; d < o->space.ndim && !st; d++)
        st = ll_store_log_param(t->h, ll_tune_space_name(&o->space, d),
                                ll_tune_value_text(&o->space, d, t->pub.x[d], val, sizeof val),
                                &err);
    if (!st) st = ll_store_run_flush(t->h, &err);
    if (st) record_store_error(s, st, &err);
}

static void log_trial_end(study *s, trial_rec *t)
{
    const ll_tune_trial *p = &t->pub;
    ll_error err;
    ll_status st = LL_OK;
    if (t->h) {
        ll_run_handle *h = t->h;
        t->h = NULL;
        for (int k = 0; k < p->folds_done && !st; k++)
            st = ll_store_log_metric(h, "fold_auc", p->fold_auc[k], k, &err);
        if (!st && p->state == LL_TPE_COMPLETE)
            st = ll_store_log_metric(h, "cv_auc", p->value, 0, &err);
        if (!st && p->last_step >= 0)
            st = ll_store_log_metric(h, "intermediate_auc", p->last_value, p->last_step, &err);
        if (!st && p->state == LL_TPE_PRUNED) {
            st = ll_store_log_metric(h, "pruned_fold", p->pruned_fold, 0, &err);
            if (!st) st = ll_store_log_metric(h, "pruned_iteration", p->pruned_iteration, 0, &err);
        }
        if (!st) st = ll_store_log_metric(h, "trial_seconds", p->seconds, 0, &err);
        if (!st && p->state == LL_TPE_FAIL && p->error[0])
            st = ll_store_set_tag(h, "lendlab.trial_error", p->error, &err);
        if (!st && !t->aborted)
            st = ll_store_set_tag(h, "lendlab.trial_state", ll_tpe_state_name(p->state), &err);
        ll_run_status rs = t->aborted                ? LL_RUN_KILLED
                           : p->state == LL_TPE_FAIL ? LL_RUN_FAILED
                                                     : LL_RUN_FINISHED;
        ll_error e2;
        ll_status s2 = ll_store_run_end(h, rs, st ? &e2 : &err);
        if (!st) st = s2;
    }
    if (!st && p->state == LL_TPE_COMPLETE)
        st = parent_metric(s, "trial_cv_auc", p->value, p->number, &err);
    if (st) record_store_error(s, st, &err);
}

/* Find the latest run of experiment named name carrying the study tag. */
static ll_status study_lookup(ll_store *st, const char *experiment, const char *name,
                              ll_tune_study_info *info, char *dir, size_t dirlen, ll_error *err)
{
    const char *exp = experiment ? experiment : "Default";
    const char *keys[] = {"tags.lendlab.study", "tags.lendlab.tune.model", "params.cv",
                          "params.seed"};
    ll_run_query q = {0};
    q.experiment = exp;
    q.keys = keys;
    q.nkeys = sizeof keys / sizeof *keys;
    ll_run_list l;
    ll_error e2;
    ll_status s = ll_store_search_runs(st, &q, &l, &e2);
    if (s == LL_ENOTFOUND)
        return ll_error_set(err, LL_ENOTFOUND, "no study named '%s' in experiment '%s'", name, exp);
    if (s) {
        if (err) *err = e2;
        return s;
    }
    const ll_run *r = NULL;
    for (size_t i = 0; i < l.n && !r; i++) {
        /* trials carry the study's tag too; only the study run names its model */
        const char *t = ll_run_tag(l.runs[i], "lendlab.study");
        if (t && !strcmp(t, name) && ll_run_tag(l.runs[i], "lendlab.tune.model")) r = l.runs[i];
    }
    if (!r) {
        ll_run_list_free(&l);
        return ll_error_set(err, LL_ENOTFOUND, "no study named '%s' in experiment '%s'", name, exp);
    }
    memset(info, 0, sizeof *info);
    snprintf(info->run_id, sizeof info->run_id, "%s", r->run_id);
    snprintf(dir, dirlen, "%s", r->dir);
    const char *kind = ll_run_tag(r, "lendlab.tune.model"), *cv = ll_run_param(r, "cv");
    const char *seed = ll_run_param(r, "seed");
    int k = ll_model_kind_parse(kind);
    double v;
    s = LL_OK;
    if (k < 0 || !cv || !seed)
        s = ll_error_set(err, LL_EPARSE, "study '%s' (run %s) lacks its model, cv or seed", name,
                         info->run_id);
    if (!s) {
        info->kind = (ll_model_kind)k;
        info->cv = ll_numparse(cv, strlen(cv), &v) ? (int)v : 0;
        info->seed = ll_numparse(seed, strlen(seed), &v) ? (uint64_t)v : 0;
        char path[PATH_CAP];
        s = ll_store_run_artifact_path(st, r, "space.json", path, sizeof path, err);
        if (!s) s = ll_tune_space_load(info->kind, path, &info->space, err);
    }
    ll_run_list_free(&l);
    return s;
}

static int cmp_trial_number(const void *a, const void *b)
{
    const trial_rec *x = a, *y = b;
    return (x->pub.number > y->pub.number) - (x->pub.number < y->pub.number);
}

static void trial_init(trial_rec *t, int number)
{
    memset(t, 0, sizeof *t);
    t->pub.number = number;
    t->pub.state = LL_TPE_RUNNING;
    t->pub.value = NAN;
    for (int k = 0; k < LL_TUNE_MAX_FOLDS; k++) t->pub.fold_auc[k] = t->fold_curve[k] = NAN;
    for (int d = 0; d < LL_TUNE_MAX_DIMS; d++) t->pub.x[d] = NAN;
    t->pub.last_step = -1;
    t->pub.last_value = NAN;
    t->pub.pruned_fold = -1;
    t->pub.pruned_iteration = -1;
}

/* The finished trials of a stored study, by number (interrupted ones are left out). */
static ll_status load_trials(ll_store *st, const char *experiment, const char *parent_id,
                             const ll_tune_space *space, trial_rec **out, size_t *nout,
                             ll_error *err)
{
    *out = NULL;
    *nout = 0;
    char expr[128];
    snprintf(expr, sizeof expr, "tags.mlflow.parentRunId = '%s'", parent_id);
    ll_filter *f;
    ll_status s = ll_filter_parse(expr, &f, err);
    if (s) return s;
    ll_run_query q = {0};
    q.experiment = experiment ? experiment : "Default";
    q.filter = f;
    q.load_all = 1;
    ll_run_list l;
    s = ll_store_search_runs(st, &q, &l, err);
    ll_filter_free(f);
    if (s) return s;
    trial_rec *t = calloc(l.n ? l.n : 1, sizeof *t);
    size_t n = 0;
    if (!t) {
        ll_run_list_free(&l);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < l.n; i++) {
        const ll_run *r = l.runs[i];
        const char *num = ll_run_tag(r, "lendlab.trial_number");
        int state = ll_tpe_state_parse(ll_run_tag(r, "lendlab.trial_state"));
        double v;
        if (!num || !ll_numparse(num, strlen(num), &v) || v < 0 || v != floor(v) || state < 0 ||
            state == LL_TPE_RUNNING)
            continue;
        trial_rec *tr = &t[n++];
        trial_init(tr, (int)v);
        tr->pub.state = (ll_tpe_state)state;
        tr->pub.resumed = 1;
        tr->started = tr->finished = tr->start_logged = tr->end_logged = 1;
        snprintf(tr->pub.run_id, sizeof tr->pub.run_id, "%s", r->run_id);
        int ok = 1;
        for (int d = 0; d < space->ndim; d++)
            ok &= ll_tune_value_parse(space, d, ll_run_param(r, ll_tune_space_name(space, d)),
                                      &tr->pub.x[d]);
        const ll_metric *m;
        if (tr->pub.state == LL_TPE_COMPLETE) {
            m = ll_run_metric(r, "cv_auc");
            if (m && isfinite(m->value))
                tr->pub.value = m->value;
            else
                ok = 0;
        }
        if ((m = ll_run_metric(r, "intermediate_auc"))) {
            tr->pub.last_step = m->step;
            tr->pub.last_value = m->value;
        }
        if ((m = ll_run_metric(r, "trial_seconds"))) tr->pub.seconds = m->value;
        /* the fold AUCs rebuild the running means the fold pruner compares against */
        ll_metric_point *pts = NULL;
        size_t np = 0;
        if (ok && ll_store_metric_history(st, r, "fold_auc", &pts, &np, NULL) == LL_OK) {
            for (size_t k = 0; k < np; k++)
                if (pts[k].step >= 0 && pts[k].step < LL_TUNE_MAX_FOLDS)
                    tr->pub.fold_auc[pts[k].step] = pts[k].value;
            double sum = 0;
            for (int k = 0; k < LL_TUNE_MAX_FOLDS && !isnan(tr->pub.fold_auc[k]); k++) {
                sum += tr->pub.fold_auc[k];
                tr->fold_curve[k] = sum / (k + 1);
                tr->pub.folds_done = k + 1;
            }
        }
        free(pts);
        if (!ok && tr->pub.state != LL_TPE_FAIL) {
            tr->pub.state = LL_TPE_FAIL; /* no longer usable: kept only for the count */
            snprintf(tr->pub.error, sizeof tr->pub.error,
                     "stored parameters or cv_auc do not fit the study");
        }
    }
    ll_run_list_free(&l);
    qsort(t, n, sizeof *t, cmp_trial_number);
    *out = t;
    *nout = n;
    return LL_OK;
}

ll_status ll_tune_study_find(ll_store *st, const char *experiment, const char *name,
                             ll_tune_study_info *out, ll_error *err)
{
    char dir[PATH_CAP];
    ll_status s = study_lookup(st, experiment, name, out, dir, sizeof dir, err);
    if (s) return s;
    trial_rec *t;
    size_t n;
    if ((s = load_trials(st, experiment, out->run_id, &out->space, &t, &n, err))) return s;
    out->ntrials = (int)n;
    free(t);
    return LL_OK;
}

/* ---------- the study ---------- */

void ll_tune_options_default(ll_model_kind kind, ll_tune_options *o)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    ll_model_params_default(kind, &o->base);
    ll_tune_space_default(kind, &o->space);
    o->trials = 50;
    o->cv = 5;
    o->seed = 42;
    o->jobs = 1;
    o->prune = LL_TUNE_PRUNE_FOLD;
    ll_tpe_options_default(&o->tpe);
    ll_tpe_pruner_default(&o->pruner);
}

void ll_tune_result_free(ll_tune_result *r)
{
    if (!r) return;
    free(r->trials);
    ll_model_free(r->model);
    r->trials = NULL;
    r->model = NULL;
}

/* Best completed trial among the reported ones (-1: none); ties go to the earlier trial. */
static int best_index(const study *s)
{
    int b = -1;
    for (size_t i = 0; i < s->ntr; i++) {
        const trial_rec *t = &s->tr[i];
        if (!t->end_logged || t->pub.state != LL_TPE_COMPLETE) continue;
        if (b < 0 || t->pub.value > s->tr[b].pub.value) b = (int)i;
    }
    return b;
}

static int reported_count(const study *s)
{
    int n = 0;
    for (size_t i = 0; i < s->ntr; i++) n += s->tr[i].end_logged && !s->tr[i].aborted;
    return n;
}

static void emit(const study *s, ll_tune_event *ev)
{
    if (!s->o->progress) return;
    ev->space = &s->o->space;
    ev->study_run_id = s->parent_id;
    ev->folds = s->K;
    ev->total = (int)s->ntr;
    ev->resumed = (int)s->nres;
    ev->elapsed_s = now_s() - s->t0;
    s->o->progress(ev, s->o->progress_ud);
}

/* The calling thread logs trials to the store as workers start and finish them, and reports
 * progress; the workers never wait for the store. */
static void coordinate(study *s)
{
    pthread_mutex_lock(&s->mu);
    for (;;) {
        trial_rec *t = NULL;
        int ending = 0;
        for (size_t i = s->nres; i < s->ntr && !t; i++) {
            trial_rec *r = &s->tr[i];
            if (r->started && !r->start_logged) {
                t = r;
            } else if (r->finished && r->start_logged && !r->end_logged) {
                t = r;
                ending = 1;
            }
        }
        if (!t) {
            if (s->workers == 0) break;
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        if (!ending) {
            t->start_logged = 1;
            pthread_mutex_unlock(&s->mu);
            if (s->tracking && !s->store_status) log_trial_start(s, t);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        t->end_logged = 1;
        int b = best_index(s), done = reported_count(s), fin_new = 0;
        for (size_t i = s->nres; i < s->ntr; i++) fin_new += s->tr[i].finished;
        pthread_mutex_unlock(&s->mu);
        if (s->tracking && !s->store_status) {
            log_trial_end(s, t);
            if (b >= 0 && !s->store_status) {
                ll_error err;
                ll_status st =
                    parent_metric(s, "best_cv_auc", s->tr[b].pub.value, t->pub.number, &err);
                if (st) record_store_error(s, st, &err);
            }
        }
        if (!t->aborted) {
            ll_tune_event ev = {0};
            ev.kind = LL_TUNE_EV_TRIAL;
            ev.trial = &t->pub;
            ev.best = b >= 0 ? &s->tr[b].pub : NULL;
            ev.done = done;
            double el = now_s() - s->t0;
            size_t left = s->ntr - s->nres - (size_t)fin_new;
            ev.eta_s = fin_new > 0 ? el / fin_new * (double)left : NAN;
            emit(s, &ev);
        }
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
}

static int refit_cb(const ll_fit_progress *p, void *ud)
{
    const volatile int *cancel = ud;
    (void)p;
    return cancel && *cancel;
}

/* Check a resumed study against the options; LL_EINVAL naming the first difference. */
static ll_status check_resume(const ll_tune_options *o, const ll_tune_study_info *info,
                              ll_error *err)
{
    const char *name = o->study_name;
    if (info->kind != o->kind)
        return ll_error_set(err, LL_EINVAL, "study '%s' tunes %s, not %s", name,
                            ll_model_kind_name(info->kind), ll_model_kind_name(o->kind));
    if (info->cv != o->cv)
        return ll_error_set(err, LL_EINVAL, "study '%s' uses %d folds, not %d", name, info->cv,
                            o->cv);
    if (info->seed != o->seed)
        return ll_error_set(err, LL_EINVAL, "study '%s' uses seed %llu, not %llu", name,
                            (unsigned long long)info->seed, (unsigned long long)o->seed);
    if (!ll_tune_space_equal(&info->space, &o->space))
        return ll_error_set(err, LL_EINVAL,
                            "study '%s' was created with another search space (see its "
                            "space.json artifact)",
                            name);
    return LL_OK;
}

static ll_status check_options(const ll_tune_options *o, ll_error *err)
{
    if ((unsigned)o->kind >= LL_MODEL_KIND_COUNT || o->base.kind != o->kind ||
        o->space.kind != o->kind)
        return ll_error_set(err, LL_EINVAL, "tune: model kind, parameters and space disagree");
    if (o->space.ndim < 1) return ll_error_set(err, LL_EINVAL, "tune: the search space is empty");
    if (o->cv < 2 || o->cv > LL_TUNE_MAX_FOLDS)
        return ll_error_set(err, LL_EINVAL, "tune: --cv must be in 2..%d", LL_TUNE_MAX_FOLDS);
    if (o->trials < 0) return ll_error_set(err, LL_EINVAL, "tune: trials must be >= 0");
    if (o->jobs < 1 || o->jobs > 64)
        return ll_error_set(err, LL_EINVAL, "tune: jobs must be 1..64");
    if (!o->target) return ll_error_set(err, LL_EINVAL, "tune: no target column");
    if (o->store && (!o->study_name || !*o->study_name))
        return ll_error_set(err, LL_EINVAL, "tune: a tracked study needs a name");
    return ll_model_params_check(&o->base, err);
}

/* Parameters the best trial stands for, as JSON, with its score. */
static cJSON *best_json(const study *s, const ll_tune_result *r)
{
    const ll_tune_options *o = s->o;
    cJSON *j = cJSON_CreateObject(), *p = cJSON_CreateObject();
    if (!j || !p) {
        cJSON_Delete(j);
        cJSON_Delete(p);
        return NULL;
    }
    const ll_tune_trial *b = &r->trials[r->best];
    for (int d = 0; d < o->space.ndim; d++) {
        int n;
        const ll_param_spec *sp = &ll_model_param_specs(o->kind, &n)[o->space.param[d]];
        cJSON_AddItemToObject(p, sp->name,
                              json_param_value(sp, r->best_params.value[o->space.param[d]]));
    }
    cJSON_AddItemToObject(j, "params", p);
    cJSON_AddItemToObject(j, "best_trial", json_num(b->number));
    cJSON_AddItemToObject(j, "best_cv_auc", json_num(r->best_cv_auc));
    cJSON_AddItemToObject(j, "test_auc", json_num(r->test_auc));
    return j;
}

static ll_status finish_parent(study *s, ll_tune_result *r, ll_error *err)
{
    long long step = (long long)r->ntrials;
    ll_status st = parent_metric(s, "best_cv_auc", r->best_cv_auc, step, err);
    if (!st && !isnan(r->test_auc)) st = parent_metric(s, "test_auc", r->test_auc, step, err);
    if (!st) st = parent_metric(s, "trials_complete", r->ncomplete, step, err);
    if (!st) st = parent_metric(s, "trials_pruned", r->npruned, step, err);
    if (!st) st = parent_metric(s, "trials_failed", r->nfail, step, err);
    char buf[64], dir[PATH_CAP];
    snprintf(buf, sizeof buf, "%d", r->trials[r->best].number);
    if (!st) st = ll_store_set_tag(s->parent, "lendlab.best_trial", buf, err);
    if (!st && r->trials[r->best].run_id[0])
        st = ll_store_set_tag(s->parent, "lendlab.best_run_id", r->trials[r->best].run_id, err);
    if (!st) st = ll_store_run_artifact_dir(s->parent, NULL, dir, sizeof dir, err);
    if (!st) {
        cJSON *j = best_json(s, r);
        st = write_json_file(dir, "best_params.json", j, err);
        cJSON_Delete(j);
    }
    if (!st) st = ll_store_run_artifact_dir(s->parent, "model", dir, sizeof dir, err);
    if (!st) st = ll_model_save_ex(r->model, dir, "model", s->parent_id, err);
    if (!st) {
        ll_run_handle *h = s->parent;
        s->parent = NULL;
        st = ll_store_run_end(h, LL_RUN_FINISHED, err);
    }
    return st;
}

/* End the parent run of a study that stopped early (best effort: the first error wins). */
static void abort_parent(study *s, ll_run_status status)
{
    ll_error e2;
    if (s->parent) ll_store_run_end(s->parent, status, &e2);
    s->parent = NULL;
}

ll_status ll_tune_run(const ll_tune_options *o, const ll_table *train, const ll_table *test,
                      ll_tune_result *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    out->best = -1;
    out->best_cv_auc = out->test_auc = NAN;
    ll_status st = check_options(o, err);
    if (st) return st;
    study s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.K = o->cv;
    s.t0 = now_s();
    s.lag = (size_t)o->jobs - 1;
    s.tracking = o->store != NULL;
    /* global steps: fold * stride + iteration, stride = the most iterations a trial can run */
    const char *ip = iteration_param(o->kind);
    s.stride = (long)ll_model_params_get(&o->base, ip);
    for (int d = 0; d < o->space.ndim; d++)
        if (!strcmp(ll_tune_space_name(&o->space, d), ip)) s.stride = (long)o->space.dist[d].high;
    if (s.stride < 1) s.stride = 1;

    ll_prep *full = NULL;
    double *y = NULL;
    char pos[256] = "";
    trial_rec *res = NULL;
    size_t nres = 0;
    pthread_t th[64];
    int nth = 0, sync_up = 0;
    if ((st = ll_prep_fit(train, o->target, o->positive, NULL, &full, err))) goto done;
    snprintf(pos, sizeof pos, "%s", ll_prep_positive_label(full));
    y = malloc((train->nrows ? train->nrows : 1) * sizeof *y);
    if (!y) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = ll_prep_labels(full, train, y, err))) goto done;
    if (o->store && o->resume) {
        ll_tune_study_info info;
        char dir[PATH_CAP];
        st = study_lookup(o->store, o->experiment, o->study_name, &info, dir, sizeof dir, err);
        if (st) goto done;
        if ((st = check_resume(o, &info, err))) goto done;
        snprintf(s.parent_id, sizeof s.parent_id, "%s", info.run_id);
        if ((st = load_trials(o->store, o->experiment, s.parent_id, &o->space, &res, &nres, err)))
            goto done;
    }
    size_t nnew = (size_t)o->trials > nres ? (size_t)o->trials - nres : 0;
    s.nres = nres;
    s.ntr = nres + nnew;
    s.tr = calloc(s.ntr ? s.ntr : 1, sizeof *s.tr);
    if (!s.tr) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if (nres) memcpy(s.tr, res, nres * sizeof *res);
    int first = nres ? s.tr[nres - 1].pub.number + 1 : 0;
    for (size_t i = nres; i < s.ntr; i++) trial_init(&s.tr[i], first + (int)(i - nres));
    s.first_unfinished = nres;
    advance_unfinished(&s);
    s.next = nres;
    if ((st = build_folds(o, train, pos, y, &s.folds, err))) goto done;
    if (s.tracking) {
        st = o->resume ? ll_store_run_reopen(o->store, s.parent_id, &s.parent, err)
                       : parent_create(&s, pos, err);
        if (st) goto done;
    }
    {
        ll_tune_event ev = {0};
        ev.kind = LL_TUNE_EV_START;
        ev.rows = train->nrows;
        ev.done = (int)nres;
        int b = best_index(&s);
        ev.best = b >= 0 ? &s.tr[b].pub : NULL;
        emit(&s, &ev);
    }
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    sync_up = 1;
    int want = o->jobs < (int)nnew ? o->jobs : (int)nnew;
    s.workers = want;
    for (int i = 0; i < want; i++) {
        if (pthread_create(&th[nth], NULL, worker, &s) == 0) {
            nth++;
        } else {
            pthread_mutex_lock(&s.mu);
            s.workers--;
            pthread_mutex_unlock(&s.mu);
        }
    }
    if (want > 0 && nth == 0) { /* no thread to be had: run the trials here */
        s.workers = 1;
        worker(&s);
    }
    coordinate(&s);
    for (int i = 0; i < nth; i++) pthread_join(th[i], NULL);

    if (s.cancelled || (o->cancel && *o->cancel)) {
        abort_parent(&s, LL_RUN_KILLED);
        st = ll_error_set(err, LL_ECANCELLED, "tuning cancelled");
        goto done;
    }
    if (s.store_status) {
        abort_parent(&s, LL_RUN_FAILED);
        if (err) *err = s.store_err;
        st = s.store_status;
        goto done;
    }
    out->timed_out = s.timed_out;
    out->trials = calloc(s.ntr ? s.ntr : 1, sizeof *out->trials);
    if (!out->trials) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    const char *first_error = NULL;
    for (size_t i = 0; i < s.ntr; i++) {
        const trial_rec *t = &s.tr[i];
        if (!t->finished) continue;
        if (t->pub.state == LL_TPE_COMPLETE &&
            (out->best < 0 || t->pub.value > out->trials[out->best].value))
            out->best = (int)out->ntrials;
        out->ncomplete += t->pub.state == LL_TPE_COMPLETE;
        out->npruned += t->pub.state == LL_TPE_PRUNED;
        out->nfail += t->pub.state == LL_TPE_FAIL;
        if (t->pub.state == LL_TPE_FAIL && !first_error && t->pub.error[0])
            first_error = t->pub.error;
        out->nresumed += t->pub.resumed;
        out->nnew += !t->pub.resumed;
        out->trials[out->ntrials++] = t->pub;
    }
    snprintf(out->study_run_id, sizeof out->study_run_id, "%s", s.parent_id);
    out->ntrain = train->nrows;
    if (out->best < 0) {
        abort_parent(&s, LL_RUN_FAILED);
        st = ll_error_set(err, LL_EINVAL, "no trial completed (%d pruned, %d failed%s%s)",
                          out->npruned, out->nfail, first_error ? ": " : "",
                          first_error ? first_error : "");
        goto done;
    }
    out->best_cv_auc = out->trials[out->best].value;
    out->best_params = o->base;
    ll_tune_space_apply(&o->space, out->trials[out->best].x, &out->best_params);
    {
        ll_tune_event ev = {0};
        ev.kind = LL_TUNE_EV_REFIT;
        ev.rows = train->nrows;
        ev.done = (int)out->ntrials;
        ev.best = &out->trials[out->best];
        emit(&s, &ev);
    }
    if ((st = ll_model_fit(o->kind, &out->best_params, train, NULL, o->target, pos, refit_cb,
                           (void *)o->cancel, o->cancel, &out->model, err))) {
        abort_parent(&s, st == LL_ECANCELLED ? LL_RUN_KILLED : LL_RUN_FAILED);
        goto done;
    }
    if (test) {
        size_t n = test->nrows;
        double *p = malloc((n ? n : 1) * sizeof *p), *yt = malloc((n ? n : 1) * sizeof *yt);
        if (!p || !yt) st = ll_error_set(err, LL_ENOMEM, "out of memory");
        if (!st) st = ll_model_predict(out->model, test, p, err);
        if (!st) st = ll_prep_labels(ll_model_prep(out->model), test, yt, err);
        if (!st) st = ll_metrics_auc(yt, p, n, NULL, &out->test_auc, err);
        free(p);
        free(yt);
        out->ntest = n;
        if (st) {
            abort_parent(&s, LL_RUN_FAILED);
            goto done;
        }
    }
    out->seconds = now_s() - s.t0;
    if (s.tracking && (st = finish_parent(&s, out, err))) abort_parent(&s, LL_RUN_FAILED);
done:
    if (sync_up) {
        pthread_mutex_destroy(&s.mu);
        pthread_cond_destroy(&s.cv);
    }
    for (size_t i = 0; s.tr && i < s.ntr; i++) {
        free(s.tr[i].curve);
        if (s.tr[i].h) ll_store_run_abandon(s.tr[i].h);
    }
    if (s.parent) ll_store_run_abandon(s.parent); /* stays RUNNING: DIED once we exit */
    free(s.tr);
    free(res);
    folds_free(s.folds, s.K);
    ll_prep_free(full);
    free(y);
    if (st) {
        ll_tune_result_free(out);
        out->best = -1;
    }
    return st;
}
