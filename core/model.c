/* model: one interface over the learners (fit, predict, importance, save/load, parameters). */
#include "model.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forest.h"
#include "fsutil.h"
#include "gbdt.h"
#include "logreg.h"
#include "numfmt.h"
#include "version.h"

/* ---------- kinds ---------- */

static const char *const kind_names[LL_MODEL_KIND_COUNT] = {"logreg", "forest", "gbdt"};

const char *ll_model_kind_name(ll_model_kind k)
{
    return (unsigned)k < LL_MODEL_KIND_COUNT ? kind_names[k] : "unknown";
}

int ll_model_kind_parse(const char *s)
{
    if (!s) return -1;
    for (int k = 0; k < LL_MODEL_KIND_COUNT; k++)
        if (!strcasecmp(s, kind_names[k])) return k;
    if (!strcasecmp(s, "xgboost")) return LL_MODEL_GBDT;
    if (!strcasecmp(s, "rf") || !strcasecmp(s, "random_forest")) return LL_MODEL_FOREST;
    if (!strcasecmp(s, "lr") || !strcasecmp(s, "logistic")) return LL_MODEL_LOGREG;
    return -1;
}

/* ---------- parameter tables ---------- */

static const char *const class_weight_choices[] = {"none", "balanced", NULL};

#define BIG 1e9

static const ll_param_spec gbdt_specs[] = {
    {"n_estimators", LL_PARAM_INT, 100, 1, 100000, 0, "boosting rounds (trees)", NULL},
    {"eta", LL_PARAM_DOUBLE, 0.3, 0, 1, 1, "learning rate (shrinkage of each tree)", NULL},
    {"max_depth", LL_PARAM_INT, 6, 1, 20, 0, "maximum depth of a tree", NULL},
    {"min_child_weight", LL_PARAM_DOUBLE, 1, 0, BIG, 0, "minimum hessian sum in a child", NULL},
    {"lambda", LL_PARAM_DOUBLE, 1, 0, BIG, 0, "L2 penalty on leaf weights", NULL},
    {"alpha", LL_PARAM_DOUBLE, 0, 0, BIG, 0, "L1 penalty on leaf weights", NULL},
    {"gamma", LL_PARAM_DOUBLE, 0, 0, BIG, 0, "minimum loss reduction to split", NULL},
    {"subsample", LL_PARAM_DOUBLE, 1, 0, 1, 1, "fraction of rows sampled per tree", NULL},
    {"colsample_bytree", LL_PARAM_DOUBLE, 1, 0, 1, 1, "fraction of features sampled per tree",
     NULL},
    {"scale_pos_weight", LL_PARAM_DOUBLE, 1, 0, BIG, 1, "weight of positive rows", NULL},
    {"max_bin", LL_PARAM_INT, 256, 2, 256, 0, "histogram bins per numeric feature", NULL},
    {"early_stopping_rounds", LL_PARAM_INT, 0, 0, 100000, 0,
     "stop after this many rounds without validation improvement (0 = off)", NULL},
    {"max_cat_to_onehot", LL_PARAM_INT, 256, 1, 256, 0,
     "categorical features with fewer categories split one-vs-rest, others by partition "
     "(XGBoost's default is 4)",
     NULL},
    {"threads", LL_PARAM_INT, 2, 1, 64, 0, "worker threads", NULL},
    {"seed", LL_PARAM_INT, 0, 0, 4294967295.0, 0, "random seed (train's --seed sets it)", NULL},
};

static const ll_param_spec forest_specs[] = {
    {"n_trees", LL_PARAM_INT, 100, 1, 100000, 0, "number of trees", NULL},
    {"max_depth", LL_PARAM_INT, 0, 0, 64, 0, "maximum depth of a tree (0 = unlimited)", NULL},
    {"min_samples_leaf", LL_PARAM_INT, 1, 1, 100000000, 0, "minimum rows in a leaf", NULL},
    {"max_features", LL_PARAM_DOUBLE, 0, 0, 1, 0,
     "fraction of features tried per split (0 = square root of the count)", NULL},
    {"bootstrap", LL_PARAM_BOOL, 1, 0, 1, 0, "draw a bootstrap sample for each tree", NULL},
    {"class_weight", LL_PARAM_ENUM, 0, 0, 1, 0, "balanced: weight classes by n / (2 n_class)",
     class_weight_choices},
    {"max_bin", LL_PARAM_INT, 256, 2, 256, 0, "histogram bins per numeric feature", NULL},
    {"threads", LL_PARAM_INT, 2, 1, 64, 0, "worker threads", NULL},
    {"seed", LL_PARAM_INT, 0, 0, 4294967295.0, 0, "random seed (train's --seed sets it)", NULL},
};

static const ll_param_spec logreg_specs[] = {
    {"C", LL_PARAM_DOUBLE, 1, 0, BIG, 1, "inverse L2 regularisation strength", NULL},
    {"max_iter", LL_PARAM_INT, 100, 1, 100000, 0, "maximum solver iterations", NULL},
    {"tol", LL_PARAM_DOUBLE, 1e-6, 0, 0.5, 1,
     "stop when the gradient norm falls below tol times its start value", NULL},
    {"class_weight", LL_PARAM_ENUM, 0, 0, 1, 0, "balanced: weight classes by n / (2 n_class)",
     class_weight_choices},
    {"threads", LL_PARAM_INT, 2, 1, 64, 0, "worker threads", NULL},
};

const ll_param_spec *ll_model_param_specs(ll_model_kind kind, int *n)
{
    switch (kind) {
    case LL_MODEL_GBDT:
        *n = (int)(sizeof gbdt_specs / sizeof *gbdt_specs);
        return gbdt_specs;
    case LL_MODEL_FOREST:
        *n = (int)(sizeof forest_specs / sizeof *forest_specs);
        return forest_specs;
    case LL_MODEL_LOGREG:
        *n = (int)(sizeof logreg_specs / sizeof *logreg_specs);
        return logreg_specs;
    default:
        *n = 0;
        return NULL;
    }
}

void ll_model_params_default(ll_model_kind kind, ll_model_params *p)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    int n;
    const ll_param_spec *s = ll_model_param_specs(kind, &n);
    for (int i = 0; i < n && i < LL_MODEL_MAX_PARAMS; i++) p->value[i] = s[i].def;
}

static int spec_index(ll_model_kind kind, const char *name)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(kind, &n);
    for (int i = 0; i < n; i++)
        if (!strcmp(s[i].name, name)) return i;
    return -1;
}

double ll_model_params_get(const ll_model_params *p, const char *name)
{
    int i = spec_index(p->kind, name);
    return i < 0 ? NAN : p->value[i];
}

int ll_model_params_is_set(const ll_model_params *p, const char *name)
{
    int i = spec_index(p->kind, name);
    return i >= 0 && p->set[i];
}

const char *ll_model_param_text(const ll_param_spec *s, double v, char *buf, size_t len)
{
    switch (s->type) {
    case LL_PARAM_BOOL:
        snprintf(buf, len, "%s", v != 0 ? "true" : "false");
        break;
    case LL_PARAM_ENUM: {
        int n = 0;
        while (s->choices[n]) n++;
        int k = (int)v;
        snprintf(buf, len, "%s", k >= 0 && k < n ? s->choices[k] : "?");
        break;
    }
    default:
        ll_numfmt_double(v, buf, len);
        break;
    }
    return buf;
}

const char *ll_model_param_range(const ll_param_spec *s, char *buf, size_t len)
{
    char lo[32], hi[32];
    ll_numfmt_double(s->min, lo, sizeof lo);
    ll_numfmt_double(s->max, hi, sizeof hi);
    switch (s->type) {
    case LL_PARAM_INT:
        snprintf(buf, len, "integer %s..%s", lo, hi);
        break;
    case LL_PARAM_DOUBLE:
        snprintf(buf, len, "number in %c%s, %s]", s->min_open ? '(' : '[', lo, hi);
        break;
    case LL_PARAM_BOOL:
        snprintf(buf, len, "true|false");
        break;
    case LL_PARAM_ENUM: {
        size_t o = 0;
        buf[0] = '\0';
        for (int i = 0; s->choices[i] && o < len; i++)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "|" : "", s->choices[i]);
        break;
    }
    default:
        snprintf(buf, len, "?");
        break;
    }
    return buf;
}

/* "valid keys: name (range), ..." for error messages. */
static void valid_keys(ll_model_kind kind, char *buf, size_t len)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(kind, &n);
    size_t o = (size_t)snprintf(buf, len, "valid keys for %s: ", ll_model_kind_name(kind));
    for (int i = 0; i < n && o < len; i++) {
        char r[96];
        o += (size_t)snprintf(buf + o, len - o, "%s%s (%s)", i ? ", " : "", s[i].name,
                              ll_model_param_range(&s[i], r, sizeof r));
    }
}

static int parse_bool(const char *v, double *out)
{
    static const char *const t[] = {"true", "yes", "on", "1"};
    static const char *const f[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(v, t[i])) {
            *out = 1;
            return 1;
        }
        if (!strcasecmp(v, f[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static ll_status value_error(const ll_model_params *p, const ll_param_spec *s, const char *value,
                             ll_error *err)
{
    char r[96];
    return ll_error_set(err, LL_EINVAL, "%s: %s must be %s, got '%s'", ll_model_kind_name(p->kind),
                        s->name, ll_model_param_range(s, r, sizeof r), value);
}

static int in_range(const ll_param_spec *s, double v)
{
    if (!isfinite(v) || v > s->max) return 0;
    return s->min_open ? v > s->min : v >= s->min;
}

ll_status ll_model_params_set(ll_model_params *p, const char *key, const char *value, ll_error *err)
{
    int n;
    const ll_param_spec *specs = ll_model_param_specs(p->kind, &n);
    int i = key ? spec_index(p->kind, key) : -1;
    if (i < 0) {
        char keys[900];
        valid_keys(p->kind, keys, sizeof keys);
        return ll_error_set(err, LL_EINVAL, "unknown parameter '%s' for %s; %s", key ? key : "",
                            ll_model_kind_name(p->kind), keys);
    }
    const ll_param_spec *s = &specs[i];
    double v = NAN;
    size_t vl = value ? strlen(value) : 0;
    switch (s->type) {
    case LL_PARAM_INT:
        if (!value || !ll_numparse(value, vl, &v) || v != floor(v) || !in_range(s, v))
            return value_error(p, s, value ? value : "", err);
        break;
    case LL_PARAM_DOUBLE:
        if (!value || !ll_numparse(value, vl, &v) || !in_range(s, v))
            return value_error(p, s, value ? value : "", err);
        break;
    case LL_PARAM_BOOL:
        if (!value || !parse_bool(value, &v)) return value_error(p, s, value ? value : "", err);
        break;
    case LL_PARAM_ENUM:
        for (int k = 0; value && s->choices[k]; k++)
            if (!strcasecmp(value, s->choices[k])) v = k;
        if (isnan(v)) return value_error(p, s, value ? value : "", err);
        break;
    default:
        return ll_error_set(err, LL_EINVAL, "bad parameter type");
    }
    p->value[i] = v;
    p->set[i] = 1;
    return LL_OK;
}

ll_status ll_model_params_parse(ll_model_params *p, const char *assignment, ll_error *err)
{
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    if (!eq || eq == assignment) {
        char keys[900];
        valid_keys(p->kind, keys, sizeof keys);
        return ll_error_set(err, LL_EINVAL, "expected KEY=VALUE, got '%s'; %s",
                            assignment ? assignment : "", keys);
    }
    char key[128];
    size_t kl = (size_t)(eq - assignment);
    if (kl >= sizeof key) kl = sizeof key - 1;
    memcpy(key, assignment, kl);
    key[kl] = '\0';
    return ll_model_params_set(p, key, eq + 1, err);
}

#define GET(name) ll_model_params_get(p, name)
void ll_model_params_to_gbdt(const ll_model_params *p, ll_gbdt_params *g)
{
    ll_gbdt_params_default(g);
    g->n_estimators = (int)GET("n_estimators");
    g->eta = GET("eta");
    g->max_depth = (int)GET("max_depth");
    g->min_child_weight = GET("min_child_weight");
    g->lambda = GET("lambda");
    g->alpha = GET("alpha");
    g->gamma = GET("gamma");
    g->subsample = GET("subsample");
    g->colsample_bytree = GET("colsample_bytree");
    g->scale_pos_weight = GET("scale_pos_weight");
    g->max_bin = (int)GET("max_bin");
    g->early_stopping_rounds = (int)GET("early_stopping_rounds");
    g->max_cat_to_onehot = (int)GET("max_cat_to_onehot");
    g->threads = (int)GET("threads");
    g->seed = (uint64_t)GET("seed");
}

void ll_model_params_to_forest(const ll_model_params *p, ll_forest_params *f)
{
    ll_forest_params_default(f);
    f->n_trees = (int)GET("n_trees");
    f->max_depth = (int)GET("max_depth");
    f->min_samples_leaf = (int)GET("min_samples_leaf");
    f->max_features = GET("max_features");
    f->bootstrap = GET("bootstrap") != 0;
    f->class_weight_balanced = GET("class_weight") == 1;
    f->threads = (int)GET("threads");
    f->seed = (uint64_t)GET("seed");
}

void ll_model_params_to_logreg(const ll_model_params *p, ll_logreg_params *l)
{
    ll_logreg_params_default(l);
    l->C = GET("C");
    l->max_iter = (int)GET("max_iter");
    l->tol = GET("tol");
    l->class_weight = GET("class_weight") == 1 ? LL_CLASS_WEIGHT_BALANCED : LL_CLASS_WEIGHT_NONE;
    l->threads = (int)GET("threads");
}
#undef GET

ll_status ll_model_params_check(const ll_model_params *p, ll_error *err)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(p->kind, &n);
    if (!s) return ll_error_set(err, LL_EINVAL, "unknown model kind %d", (int)p->kind);
    for (int i = 0; i < n; i++) {
        double v = p->value[i];
        int ok = in_range(&s[i], v);
        if (s[i].type == LL_PARAM_INT && v != floor(v)) ok = 0;
        if (!ok) {
            char buf[64];
            return value_error(p, &s[i], ll_numfmt_double(v, buf, sizeof buf), err);
        }
    }
    char msg[512] = "";
    int bad = 0;
    if (p->kind == LL_MODEL_GBDT) {
        ll_gbdt_params g;
        ll_model_params_to_gbdt(p, &g);
        bad = ll_gbdt_params_check(&g, msg, sizeof msg);
    } else if (p->kind == LL_MODEL_FOREST) {
        ll_forest_params f;
        ll_model_params_to_forest(p, &f);
        bad = ll_forest_params_check(&f, msg, sizeof msg);
    } else {
        ll_logreg_params l;
        ll_model_params_to_logreg(p, &l);
        const char *m = ll_logreg_params_check(&l);
        if (m) {
            snprintf(msg, sizeof msg, "%s", m);
            bad = 1;
        }
    }
    if (bad) return ll_error_set(err, LL_EINVAL, "%s: %s", ll_model_kind_name(p->kind), msg);
    return LL_OK;
}

static cJSON *json_num(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

cJSON *ll_model_params_to_json(const ll_model_params *p)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(p->kind, &n);
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    for (int i = 0; i < n; i++) {
        cJSON *v;
        char buf[64];
        if (s[i].type == LL_PARAM_BOOL)
            v = cJSON_CreateBool(p->value[i] != 0);
        else if (s[i].type == LL_PARAM_ENUM)
            v = cJSON_CreateString(ll_model_param_text(&s[i], p->value[i], buf, sizeof buf));
        else
            v = json_num(p->value[i]);
        if (!v || !cJSON_AddItemToObject(o, s[i].name, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

ll_status ll_model_params_from_json(ll_model_kind kind, const cJSON *j, ll_model_params *p,
                                    ll_error *err)
{
    ll_model_params_default(kind, p);
    if (!j) return LL_OK;
    if (!cJSON_IsObject(j)) return ll_error_set(err, LL_EPARSE, "params: not an object");
    const cJSON *it;
    cJSON_ArrayForEach(it, j)
    {
        if (!it->string || spec_index(kind, it->string) < 0) continue;
        char buf[64];
        const char *txt;
        if (cJSON_IsBool(it))
            txt = cJSON_IsTrue(it) ? "true" : "false";
        else if (cJSON_IsString(it))
            txt = it->valuestring;
        else if (cJSON_IsNumber(it))
            txt = ll_numfmt_double(it->valuedouble, buf, sizeof buf);
        else if (cJSON_IsRaw(it)) /* built in memory by ll_model_params_to_json */
            txt = it->valuestring;
        else
            return ll_error_set(err, LL_EPARSE, "params: bad value for '%s'", it->string);
        ll_status st = ll_model_params_set(p, it->string, txt, err);
        if (st) return st;
    }
    return LL_OK;
}

/* ---------- the model ---------- */

struct ll_model {
    ll_model_kind kind;
    ll_model_params params;
    ll_prep *prep;
    ll_gbdt *gbdt;
    ll_forest *forest;
    ll_logreg *logreg;
    int imported;
};

void ll_model_free(ll_model *m)
{
    if (!m) return;
    ll_prep_free(m->prep);
    if (m->gbdt) ll_gbdt_free(m->gbdt);
    if (m->forest) ll_forest_free(m->forest);
    if (m->logreg) ll_logreg_free(m->logreg);
    free(m);
}

ll_model_kind ll_model_kind_of(const ll_model *m)
{
    return m->kind;
}

const ll_model_params *ll_model_params_of(const ll_model *m)
{
    return &m->params;
}

const ll_prep *ll_model_prep(const ll_model *m)
{
    return m->prep;
}

int ll_model_is_imported(const ll_model *m)
{
    return m->imported;
}

const struct ll_gbdt *ll_model_gbdt(const ll_model *m)
{
    return m->gbdt;
}

const struct ll_forest *ll_model_forest(const ll_model *m)
{
    return m->forest;
}

const struct ll_logreg *ll_model_logreg(const ll_model *m)
{
    return m->logreg;
}

int ll_model_nfeat(const ll_model *m)
{
    return ll_prep_nfeat(m->prep);
}

static int cancelled(const volatile int *cancel)
{
    return cancel && *cancel;
}

ll_status ll_model_fit(ll_model_kind kind, const ll_model_params *params, const ll_table *train,
                       const ll_table *valid, const char *target, const char *positive,
                       ll_fit_fn cb, void *ud, const volatile int *cancel, ll_model **out,
                       ll_error *err)
{
    *out = NULL;
    if ((unsigned)kind >= LL_MODEL_KIND_COUNT)
        return ll_error_set(err, LL_EINVAL, "unknown model kind %d", (int)kind);
    ll_model *m = calloc(1, sizeof *m);
    if (!m) return ll_error_set(err, LL_ENOMEM, "out of memory");
    m->kind = kind;
    if (params) {
        if (params->kind != kind) {
            ll_model_free(m);
            return ll_error_set(err, LL_EINVAL, "parameters are for %s, not %s",
                                ll_model_kind_name(params->kind), ll_model_kind_name(kind));
        }
        m->params = *params;
    } else {
        ll_model_params_default(kind, &m->params);
    }
    double *y = NULL, *yv = NULL;
    ll_binned bt = {0}, bv = {0};
    ll_design dt = {0}, dv = {0};
    ll_status st = ll_model_params_check(&m->params, err);
    if (st) goto done;
    ll_prep_options po;
    ll_prep_options_default(&po);
    if (kind != LL_MODEL_LOGREG) po.max_bin = (int)ll_model_params_get(&m->params, "max_bin");
    if ((st = ll_prep_fit(train, target, positive, &po, &m->prep, err))) goto done;
    y = malloc((train->nrows ? train->nrows : 1) * sizeof *y);
    if (valid) yv = malloc((valid->nrows ? valid->nrows : 1) * sizeof *yv);
    if (!y || (valid && !yv)) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = ll_prep_labels(m->prep, train, y, err))) goto done;
    if (valid && (st = ll_prep_labels(m->prep, valid, yv, err))) goto done;
    if (cancelled(cancel)) {
        st = ll_error_set(err, LL_ECANCELLED, "training cancelled");
        goto done;
    }
    if (kind == LL_MODEL_LOGREG) {
        if ((st = ll_prep_design(m->prep, train, &dt, err))) goto done;
        if (valid && (st = ll_prep_design(m->prep, valid, &dv, err))) goto done;
        ll_logreg_params lp;
        ll_model_params_to_logreg(&m->params, &lp);
        st = ll_logreg_fit(&dt, y, &lp, valid ? &dv : NULL, yv, cb, ud, cancel, &m->logreg, err);
    } else {
        if ((st = ll_prep_binned(m->prep, train, &bt, err))) goto done;
        if (valid && (st = ll_prep_binned(m->prep, valid, &bv, err))) goto done;
        if (kind == LL_MODEL_GBDT) {
            ll_gbdt_params gp;
            ll_model_params_to_gbdt(&m->params, &gp);
            st = ll_gbdt_fit(&bt, y, valid ? &bv : NULL, yv, &gp, cb, ud, cancel, &m->gbdt, err);
        } else {
            ll_forest_params fp;
            ll_model_params_to_forest(&m->params, &fp);
            st =
                ll_forest_fit(&bt, y, valid ? &bv : NULL, yv, &fp, cb, ud, cancel, &m->forest, err);
        }
    }
done:
    free(y);
    free(yv);
    ll_binned_free(&bt);
    ll_binned_free(&bv);
    ll_design_free(&dt);
    ll_design_free(&dv);
    if (st) {
        ll_model_free(m);
        return st;
    }
    *out = m;
    return LL_OK;
}

/* ---------- prediction ---------- */

typedef struct {
    const ll_model *m;
    ll_binned part;
    double *out;
} predict_job;

static void predict_binned_part(const ll_model *m, const ll_binned *b, double *out)
{
    if (m->gbdt)
        ll_gbdt_predict_binned(m->gbdt, b, out);
    else
        ll_forest_predict_binned(m->forest, b, out);
}

static void *predict_worker(void *arg)
{
    predict_job *j = arg;
    predict_binned_part(j->m, &j->part, j->out);
    return NULL;
}

/* Trees on a binned matrix. gbdt scores with its own threads; a forest's big tables are scored
 * by two threads on the two halves (views into the same bins). */
static ll_status predict_trees(const ll_model *m, const ll_binned *b, double *prob, ll_error *err)
{
    if (m->gbdt || b->n < 32768) {
        predict_binned_part(m, b, prob);
        return LL_OK;
    }
    predict_job job = {m, *b, NULL};
    size_t half = b->n / 2;
    job.part.n = b->n - half;
    job.part.bins = malloc((size_t)b->nfeat * sizeof *job.part.bins);
    if (!job.part.bins) return ll_error_set(err, LL_ENOMEM, "out of memory");
    for (int f = 0; f < b->nfeat; f++) job.part.bins[f] = b->bins[f] + half;
    job.out = prob + half;
    ll_binned first = *b;
    first.n = half;
    pthread_t th;
    int threaded = !pthread_create(&th, NULL, predict_worker, &job);
    predict_binned_part(m, &first, prob);
    if (threaded)
        pthread_join(th, NULL);
    else
        predict_worker(&job);
    free(job.part.bins);
    return LL_OK;
}

ll_status ll_model_predict(const ll_model *m, const ll_table *t, double *prob, ll_error *err)
{
    ll_status st;
    if (m->imported) {
        size_t nf = (size_t)ll_prep_nfeat(m->prep), n = t->nrows;
        double *x = malloc((n ? n : 1) * nf * sizeof *x);
        if (!x) return ll_error_set(err, LL_ENOMEM, "out of memory");
        if (!(st = ll_prep_raw(m->prep, t, x, err))) ll_gbdt_predict_raw(m->gbdt, x, n, prob);
        free(x);
        return st;
    }
    if (m->kind == LL_MODEL_LOGREG) {
        ll_design d;
        if ((st = ll_prep_design(m->prep, t, &d, err))) return st;
        st = ll_logreg_predict(m->logreg, &d, prob);
        ll_design_free(&d);
        if (st) return ll_error_set(err, st, "logreg: the design does not match the model");
        return LL_OK;
    }
    ll_binned b;
    if ((st = ll_prep_binned(m->prep, t, &b, err))) return st;
    st = predict_trees(m, &b, prob, err);
    ll_binned_free(&b);
    return st;
}

void ll_model_importance(const ll_model *m, const char **names, double *values)
{
    int nf = ll_prep_nfeat(m->prep);
    for (int i = 0; i < nf; i++) {
        if (names) names[i] = ll_prep_feature_name(m->prep, i);
        values[i] = 0;
    }
    if (m->gbdt) {
        ll_gbdt_importance(m->gbdt, values);
    } else if (m->forest) {
        ll_forest_importance(m->forest, values);
    } else if (m->logreg) {
        const double *w = ll_logreg_coef(m->logreg);
        int nw = ll_logreg_nweights(m->logreg);
        const double *means, *stds;
        int pnum;
        ll_prep_design_scaling(m->prep, &means, &stds, &pnum);
        for (int j = 0; j < pnum && j < nw; j++)
            values[ll_prep_design_num_feature(m->prep, j)] = fabs(w[j]);
        int off = pnum;
        for (int g = 0; off < nw; g++) {
            int fi = ll_prep_design_cat_feature(m->prep, g), ncat;
            ll_prep_categories(m->prep, fi, &ncat);
            double mx = 0;
            for (int l = 0; l < ncat + 2 && off + l < nw; l++)
                if (fabs(w[off + l]) > mx) mx = fabs(w[off + l]);
            values[fi] = mx;
            off += ncat + 2;
        }
    }
}

/* ---------- files ---------- */

/* Sync an already written temporary file and move it over path. */
static ll_status commit_tmp(const char *tmp, const char *path, ll_error *err)
{
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd)) {
        int e = errno;
        if (fd >= 0) close(fd);
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "%s: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "%s: %s", path, strerror(e));
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    return ll_fsutil_fsync_dir(dir, err);
}

/* logreg's section of model.json: the design layout and the coefficients (standardised, as the
 * model scores, and in original units for people reading the file). */
static cJSON *logreg_to_json(const ll_model *m)
{
    const ll_logreg *lr = m->logreg;
    const double *means, *stds;
    int pnum;
    ll_prep_design_scaling(m->prep, &means, &stds, &pnum);
    int nw = ll_logreg_nweights(lr);
    const double *w = ll_logreg_coef(lr);
    double *orig = malloc((size_t)(nw ? nw : 1) * sizeof *orig), b0 = NAN;
    cJSON *o = cJSON_CreateObject(), *levels = NULL, *coef = NULL, *co = NULL;
    if (!orig || !o) goto fail;
    if (ll_logreg_unstandardize(lr, means, stds, pnum, orig, &b0)) goto fail;
    if (!cJSON_AddItemToObject(o, "pnum", json_num(pnum)) ||
        !(levels = cJSON_AddArrayToObject(o, "cat_levels")) ||
        !(coef = cJSON_AddArrayToObject(o, "coef")) ||
        !cJSON_AddItemToObject(o, "intercept", json_num(ll_logreg_intercept(lr))) ||
        !(co = cJSON_AddArrayToObject(o, "coef_original")) ||
        !cJSON_AddItemToObject(o, "intercept_original", json_num(b0)))
        goto fail;
    int off = pnum;
    for (int g = 0; off < nw; g++) {
        int ncat;
        ll_prep_categories(m->prep, ll_prep_design_cat_feature(m->prep, g), &ncat);
        if (!cJSON_AddItemToArray(levels, json_num(ncat + 2))) goto fail;
        off += ncat + 2;
    }
    for (int i = 0; i < nw; i++)
        if (!cJSON_AddItemToArray(coef, json_num(w[i])) ||
            !cJSON_AddItemToArray(co, json_num(orig[i])))
            goto fail;
    free(orig);
    return o;
fail:
    free(orig);
    cJSON_Delete(o);
    return NULL;
}

static ll_status logreg_from_json(const cJSON *j, ll_logreg **out, ll_error *err)
{
    const cJSON *pn = cJSON_GetObjectItemCaseSensitive(j, "pnum");
    const cJSON *lv = cJSON_GetObjectItemCaseSensitive(j, "cat_levels");
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(j, "coef");
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(j, "intercept");
    if (!cJSON_IsNumber(pn) || !cJSON_IsArray(lv) || !cJSON_IsArray(cf) || !cJSON_IsNumber(ic))
        return ll_error_set(err, LL_EPARSE,
                            "logreg section: pnum, cat_levels, coef and intercept "
                            "are required");
    int ncat = cJSON_GetArraySize(lv), nw = cJSON_GetArraySize(cf);
    int *levels = malloc((size_t)(ncat ? ncat : 1) * sizeof *levels);
    double *w = malloc((size_t)(nw ? nw : 1) * sizeof *w);
    ll_status st = LL_OK;
    if (!levels || !w) {
        st = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    /* counts are whole numbers within the coefficients: their sum is checked below, in 64
     * bits (cJSON clamps huge numbers to INT_MAX, which would overflow an int sum) */
    double pd = pn->valuedouble;
    if (!(pd >= 0 && pd <= nw) || pd != (double)(int)pd) {
        st = ll_error_set(err, LL_EPARSE, "logreg section: bad \"pnum\"");
        goto done;
    }
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, lv)
    {
        double v = cJSON_IsNumber(it) ? it->valuedouble : -1;
        if (!(v >= 0 && v <= nw) || v != (double)(int)v) {
            st = ll_error_set(err, LL_EPARSE, "logreg section: bad \"cat_levels\"");
            goto done;
        }
        levels[i++] = (int)v;
    }
    i = 0;
    cJSON_ArrayForEach(it, cf)
    {
        if (!cJSON_IsNumber(it)) {
            st = ll_error_set(err, LL_EPARSE, "logreg section: coefficients must be numbers");
            goto done;
        }
        w[i++] = it->valuedouble;
    }
    long long total = (int)pd;
    for (int g = 0; g < ncat; g++) total += levels[g];
    if (total != nw) {
        st = ll_error_set(err, LL_EPARSE, "logreg section: %d coefficients for %lld weights", nw,
                          total);
        goto done;
    }
    st = ll_logreg_new((int)pd, ncat, levels, w, ic->valuedouble, out, err);
done:
    free(levels);
    free(w);
    return st;
}

static cJSON *model_json(const ll_model *m)
{
    cJSON *root = cJSON_CreateObject(), *feats, *sub;
    if (!root) return NULL;
    const ll_prep *p = m->prep;
    if (!cJSON_AddStringToObject(root, "format", "lendlab-model") ||
        !cJSON_AddItemToObject(root, "schema_version", json_num(LL_MODEL_SCHEMA_VERSION)) ||
        !cJSON_AddStringToObject(root, "lendlab_version", LL_VERSION) ||
        !cJSON_AddStringToObject(root, "kind", ll_model_kind_name(m->kind)) ||
        !cJSON_AddBoolToObject(root, "imported", m->imported) ||
        !cJSON_AddStringToObject(root, "target", ll_prep_target(p)) ||
        !cJSON_AddStringToObject(root, "positive_label", ll_prep_positive_label(p)) ||
        !cJSON_AddStringToObject(root, "negative_label", ll_prep_negative_label(p)) ||
        !(feats = cJSON_AddArrayToObject(root, "features")))
        goto fail;
    for (int i = 0; i < ll_prep_nfeat(p); i++) {
        cJSON *f = cJSON_CreateObject();
        if (!f || !cJSON_AddItemToArray(feats, f)) {
            cJSON_Delete(f);
            goto fail;
        }
        if (!cJSON_AddStringToObject(f, "name", ll_prep_feature_name(p, i)) ||
            !cJSON_AddStringToObject(f, "type", ll_coltype_name(ll_prep_feature_type(p, i))))
            goto fail;
    }
    if (!(sub = ll_model_params_to_json(&m->params)) || !cJSON_AddItemToObject(root, "params", sub))
        goto fail_sub;
    if (!(sub = ll_prep_to_json(p)) || !cJSON_AddItemToObject(root, "prep", sub)) goto fail_sub;
    sub = m->gbdt     ? ll_gbdt_to_json(m->gbdt)
          : m->forest ? ll_forest_to_json(m->forest)
                      : logreg_to_json(m);
    if (!sub || !cJSON_AddItemToObject(root, "model", sub)) goto fail_sub;
    return root;
fail_sub:
    cJSON_Delete(sub);
fail:
    cJSON_Delete(root);
    return NULL;
}

/* A YAML single-quoted scalar (quotes doubled). */
static void yaml_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* JSON string body (escaped, no quotes) into f. */
static void json_escaped(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char b[32] = {0};
    if (nbytes > sizeof b) nbytes = sizeof b;
    int fd = open("/dev/urandom", O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, b, nbytes) : -1;
    if (fd >= 0) close(fd);
    if (got != (ssize_t)nbytes) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
        for (size_t i = 0; i < nbytes; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = (unsigned char)(s >> 56);
        }
    }
    for (size_t i = 0; i < nbytes; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static const char *mlflow_type(ll_coltype t)
{
    return t == LL_COL_CATEGORICAL ? "string" : t == LL_COL_BOOLEAN ? "boolean" : "double";
}

/* MLflow's MLmodel file (YAML, keys in the order MLflow sorts them). */
static char *mlmodel_text(const ll_model *m, const char *artifact_path, const char *run_id,
                          size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) return NULL;
    const ll_prep *p = m->prep;
    fputs("artifact_path: ", f);
    yaml_quoted(f, artifact_path);
    fputs("\nflavors:\n  lendlab:\n    data: model.json\n", f);
    fprintf(f, "    model_kind: %s\n    lendlab_version: %s\n", ll_model_kind_name(m->kind),
            LL_VERSION);
    fprintf(f, "    schema_version: %d\n", LL_MODEL_SCHEMA_VERSION);
    if (m->gbdt) fputs("    xgboost_data: model.xgb.json\n", f);
    fputs("  python_function:\n    data: model.json\n    loader_module: lendlab\n", f);
    if (m->gbdt)
        fputs("  xgboost:\n    code: null\n    data: model.xgb.json\n"
              "    model_class: xgboost.core.Booster\n    model_format: json\n",
              f);
    char uuid[33];
    random_hex(uuid, 16);
    fprintf(f, "model_uuid: %s\n", uuid);
    if (run_id) {
        fputs("run_id: ", f);
        yaml_quoted(f, run_id);
        fputc('\n', f);
    }
    /* the signature is a JSON document stored as a YAML string, as MLflow writes it */
    fputs("signature:\n  inputs: '[", f);
    for (int i = 0; i < ll_prep_nfeat(p); i++) {
        char *name = NULL;
        size_t nl = 0;
        FILE *nf = open_memstream(&name, &nl);
        if (nf) {
            json_escaped(nf, ll_prep_feature_name(p, i));
            fclose(nf);
        }
        fprintf(f, "%s{\"type\": \"%s\", \"name\": \"", i ? ", " : "",
                mlflow_type(ll_prep_feature_type(p, i)));
        for (const char *c = name ? name : ""; *c; c++) {
            if (*c == '\'') fputc('\'', f);
            fputc(*c, f);
        }
        fputs("\", \"required\": true}", f);
        free(name);
    }
    fputs("]'\n  outputs: '[{\"type\": \"double\", \"name\": \"probability\", \"required\": "
          "true}]'\n",
          f);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(f, "utc_time_created: '%04d-%02d-%02d %02d:%02d:%02d.%06ld'\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}

static const char *base_name(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
    const char *s = strrchr(buf, '/');
    return s && s[1] ? s + 1 : buf;
}

ll_status ll_model_save_ex(const ll_model *m, const char *dir, const char *artifact_path,
                           const char *run_id, ll_error *err)
{
    ll_status st = ll_fsutil_mkdir_p(dir, err);
    if (st) return st;
    char path[4096];
    cJSON *j = model_json(m);
    if (!j) return ll_error_set(err, LL_ENOMEM, "out of memory writing the model");
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text) return ll_error_set(err, LL_ENOMEM, "out of memory writing the model");
    snprintf(path, sizeof path, "%s/model.json", dir);
    size_t tl = strlen(text);
    text[tl] = '\n'; /* the terminator becomes the final newline */
    st = ll_fsutil_write_atomic(path, text, tl + 1, NULL, err);
    free(text);
    if (st) return st;
    if (m->gbdt) {
        ll_binned meta;
        if ((st = ll_prep_binned_meta(m->prep, &meta, err))) return st;
        char tmp[4200];
        snprintf(path, sizeof path, "%s/model.xgb.json", dir);
        /* a dot name, as every temporary file of the store: artifact listings skip it */
        snprintf(tmp, sizeof tmp, "%s/.model.xgb.json.%ld.0.tmp", dir, (long)getpid());
        st = ll_gbdt_export_xgboost(m->gbdt, &meta, tmp, err);
        ll_binned_free(&meta);
        if (st) {
            unlink(tmp); /* the exporter's message names the file and the cause */
            return st;
        }
        if ((st = commit_tmp(tmp, path, err))) return st;
    }
    char base[512];
    size_t ml;
    char *yml = mlmodel_text(m, artifact_path ? artifact_path : base_name(dir, base, sizeof base),
                             run_id, &ml);
    if (!yml) return ll_error_set(err, LL_ENOMEM, "out of memory writing MLmodel");
    snprintf(path, sizeof path, "%s/MLmodel", dir);
    st = ll_fsutil_write_atomic(path, yml, ml, NULL, err);
    free(yml);
    return st;
}

ll_status ll_model_save(const ll_model *m, const char *dir, ll_error *err)
{
    return ll_model_save_ex(m, dir, NULL, NULL, err);
}

/* ---------- loading ---------- */

static int is_xgboost_json(const cJSON *j)
{
    return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "learner")) &&
           cJSON_GetObjectItemCaseSensitive(j, "version");
}

static ll_status import_xgboost(const char *path, ll_model **out, ll_error *err)
{
    ll_model *m = calloc(1, sizeof *m);
    if (!m) return ll_error_set(err, LL_ENOMEM, "out of memory");
    m->kind = LL_MODEL_GBDT;
    m->imported = 1;
    ll_model_params_default(LL_MODEL_GBDT, &m->params);
    char **names = NULL;
    int nfeat = 0;
    ll_status st = ll_gbdt_import_xgboost(path, &m->gbdt, &names, &nfeat, err);
    if (!st) st = ll_prep_new_raw((const char *const *)names, nfeat, &m->prep, err);
    if (names) {
        for (int i = 0; i < nfeat; i++) free(names[i]);
        free(names);
    }
    if (st) {
        ll_model_free(m);
        return st;
    }
    const ll_gbdt_params *gp = ll_gbdt_params_of(m->gbdt);
    if (gp) {
        /* record what the file says, where it fits the table */
        char buf[64];
        ll_error ignore;
        ll_model_params_set(
            &m->params, "n_estimators",
            ll_numfmt_double(ll_gbdt_ntrees(m->gbdt) > 0 ? ll_gbdt_ntrees(m->gbdt) : 1, buf,
                             sizeof buf),
            &ignore);
        ll_model_params_set(&m->params, "eta", ll_numfmt_double(gp->eta, buf, sizeof buf), &ignore);
        ll_model_params_set(&m->params, "max_depth",
                            ll_numfmt_double(gp->max_depth, buf, sizeof buf), &ignore);
    }
    *out = m;
    return LL_OK;
}

/* Columns of the plan's design matrix: one per numeric feature, categories + other + missing
 * per categorical one (what a logistic regression on this plan has weights for). */
static long design_width(const ll_prep *p)
{
    const double *means, *stds;
    int pnum;
    ll_prep_design_scaling(p, &means, &stds, &pnum);
    long w = pnum;
    for (int g = 0; g < ll_prep_nfeat(p) - pnum; g++) {
        int ncat = 0;
        ll_prep_categories(p, ll_prep_design_cat_feature(p, g), &ncat);
        w += ncat + 2;
    }
    return w;
}

static ll_status load_json_model(const cJSON *j, const char *path, ll_model **out, ll_error *err)
{
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "schema_version");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "lendlab-model"))
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0, "not a lendlab model file");
    if (!cJSON_IsNumber(ver) || ver->valuedouble > LL_MODEL_SCHEMA_VERSION || ver->valuedouble < 1)
        return ll_error_set_at(err, LL_EPARSE, path, 0, 0,
                               "model schema version %g is not supported (this lendlab reads "
                               "up to %d)",
                               cJSON_IsNumber(ver) ? ver->valuedouble : 0, LL_MODEL_SCHEMA_VERSION);
    int k = cJSON_IsString(kind) ? ll_model_kind_parse(kind->valuestring) : -1;
    if (k < 0) return ll_error_set_at(err, LL_EPARSE, path, 0, 0, "unknown model kind");
    ll_model *m = calloc(1, sizeof *m);
    if (!m) return ll_error_set(err, LL_ENOMEM, "out of memory");
    m->kind = (ll_model_kind)k;
    m->imported = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "imported"));
    const cJSON *learner = cJSON_GetObjectItemCaseSensitive(j, "model");
    ll_status st = ll_model_params_from_json(m->kind, cJSON_GetObjectItemCaseSensitive(j, "params"),
                                             &m->params, err);
    if (!st) st = ll_prep_from_json(cJSON_GetObjectItemCaseSensitive(j, "prep"), &m->prep, err);
    if (!st && !learner) st = ll_error_set(err, LL_EPARSE, "model.json has no model section");
    if (!st) {
        if (m->kind == LL_MODEL_GBDT)
            st = ll_gbdt_from_json(learner, &m->gbdt, err);
        else if (m->kind == LL_MODEL_FOREST)
            st = ll_forest_from_json(learner, &m->forest, err);
        else
            st = logreg_from_json(learner, &m->logreg, err);
    }
    if (!st) {
        int nf = ll_prep_nfeat(m->prep), lf = nf;
        if (m->gbdt) lf = ll_gbdt_nfeat(m->gbdt);
        if (m->forest) lf = ll_forest_nfeat(m->forest);
        if (lf != nf)
            st = ll_error_set(err, LL_EPARSE,
                              "model.json: the model has %d features but the plan %d", lf, nf);
        else if (m->logreg && ll_logreg_nweights(m->logreg) != design_width(m->prep))
            st = ll_error_set(err, LL_EPARSE,
                              "model.json: the model has %d weights but the plan's design %ld",
                              ll_logreg_nweights(m->logreg), design_width(m->prep));
    }
    if (st) {
        if (!err->file[0]) snprintf(err->file, sizeof err->file, "%s", path);
        ll_model_free(m);
        return st;
    }
    *out = m;
    return LL_OK;
}

static ll_status load_file(const char *path, ll_model **out, ll_error *err)
{
    char *text;
    ll_status st = ll_fsutil_read(path, &text, NULL, err);
    if (st) return st;
    cJSON *j = cJSON_Parse(text);
    if (!j) {
        const char *at = cJSON_GetErrorPtr();
        long line = 1, col = 1;
        for (const char *c = text; at && c < at && *c; c++) {
            if (*c == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        free(text);
        return ll_error_set_at(err, LL_EPARSE, path, line, col, "malformed JSON");
    }
    free(text);
    if (is_xgboost_json(j)) {
        cJSON_Delete(j);
        return import_xgboost(path, out, err);
    }
    st = load_json_model(j, path, out, err);
    cJSON_Delete(j);
    return st;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return !stat(path, &sb) && S_ISREG(sb.st_mode);
}

/* Small check on a file's start: an XGBoost model mentions "learner" early. */
static int looks_like_xgboost(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, "\"learner\"") != NULL || strstr(buf, "\"version\"") != NULL;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ll_status ll_model_load(const char *path, ll_model **out, ll_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb)) return ll_error_set(err, LL_ENOTFOUND, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return load_file(path, out, err);
    char p[4096];
    snprintf(p, sizeof p, "%s/model.json", path);
    if (file_exists(p)) return load_file(p, out, err);
    snprintf(p, sizeof p, "%s/model.xgb.json", path);
    if (file_exists(p)) return import_xgboost(p, out, err);
    DIR *d = opendir(path);
    if (!d) return ll_error_set(err, LL_EIO, "%s: %s", path, strerror(errno));
    char *names[256] = {0};
    int nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 256) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".json")) names[nn++] = strdup(de->d_name);
        if (nn && !names[nn - 1]) nn--;
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof *names, cmp_cstr);
    ll_status st = LL_ENOTFOUND;
    for (int i = 0; i < nn && st == LL_ENOTFOUND; i++) {
        snprintf(p, sizeof p, "%s/%s", path, names[i]);
        if (file_exists(p) && looks_like_xgboost(p)) {
            ll_model *m = NULL;
            if (!load_file(p, &m, err) && m) {
                *out = m;
                st = LL_OK;
            }
        }
    }
    for (int i = 0; i < nn; i++) free(names[i]);
    if (st == LL_OK) return LL_OK;
    return ll_error_set(err, LL_ENOTFOUND,
                        "%s holds no model (model.json, or an XGBoost JSON model file)", path);
}
