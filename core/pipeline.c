/* pipeline: train -> register -> promote -> predict -> monitor -> retrain, resumable per date. */
#include "pipeline.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "csv.h"
#include "drift.h"
#include "filter.h"
#include "fsutil.h"
#include "model.h"
#include "modeluri.h"
#include "numfmt.h"
#include "registry.h"

#define PATH_CAP   4096
#define TAG_PREFIX "lendlab."

static char *xstrdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static void kv_free(ll_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

/* Append a copy of key=value; -1 on ENOMEM. */
static int kv_push(ll_kv **kv, size_t *n, const char *key, const char *value)
{
    ll_kv *p = realloc(*kv, (*n + 1) * sizeof *p);
    if (!p) return -1;
    *kv = p;
    p[*n].key = xstrdup(key);
    p[*n].value = xstrdup(value ? value : "");
    if (!p[*n].key || !p[*n].value) {
        free(p[*n].key);
        free(p[*n].value);
        return -1;
    }
    (*n)++;
    return 0;
}

static const char *kv_get(const ll_kv *kv, size_t n, const char *key)
{
    for (size_t i = n; i-- > 0;)
        if (!strcmp(kv[i].key, key)) return kv[i].value;
    return NULL;
}

static const char *fmt_num(double v, char *buf, size_t len)
{
    return ll_numfmt_double(v, buf, len);
}

/* ------------------------------------------------------------------ config */

void ll_pipeline_config_free(ll_pipeline_config *c)
{
    if (!c) return;
    free(c->path);
    free(c->dir);
    free(c->experiment);
    free(c->model_name);
    free(c->train_data);
    free(c->target);
    free(c->positive);
    free(c->model_kind);
    kv_free(c->params, c->nparams);
    free(c->test_data);
    kv_free(c->tune_opts, c->ntune_opts);
    free(c->policy);
    free(c->batch);
    free(c->retrain_data);
    free(c->output_dir);
    free(c);
}

/* p made absolute against dir ("" and NULL stay NULL). */
static char *resolve(const char *dir, const char *p)
{
    if (!p) return NULL;
    if (p[0] == '/') return xstrdup(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *o = malloc(n);
    if (!o) return NULL;
    /* "./x" reads better as "x" once joined */
    while (p[0] == '.' && p[1] == '/') p += 2;
    snprintf(o, n, "%s/%s", dir, p);
    return o;
}

typedef struct {
    const char *where; /* file name for messages */
    ll_error *err;
    ll_status st;
} cfgp;

static int cfg_fail(cfgp *p, ll_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfg_fail(cfgp *p, ll_status code, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->st = ll_error_set(p->err, code, "%s: %s", p->where, msg);
    return -1;
}

/* A string member (or null when nullable); *out NULL when absent/null. */
static int cfg_string(cfgp *p, const cJSON *v, const char *name, int nullable, const char **out)
{
    *out = NULL;
    if (!v) return 0;
    if (cJSON_IsNull(v)) {
        if (nullable) return 0;
        return cfg_fail(p, LL_EPARSE, "%s must be a string, not null", name);
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return cfg_fail(p, LL_EPARSE, "%s must be a string%s", name, nullable ? " or null" : "");
    if (!*v->valuestring) return cfg_fail(p, LL_EPARSE, "%s must not be empty", name);
    *out = v->valuestring;
    return 0;
}

static int cfg_number(cfgp *p, const cJSON *v, const char *name, double *out)
{
    if (!cJSON_IsNumber(v)) return cfg_fail(p, LL_EPARSE, "%s must be a number", name);
    *out = v->valuedouble;
    return 0;
}

/* A JSON scalar as the text a command-line option takes. */
static int cfg_scalar_text(cfgp *p, const cJSON *v, const char *name, char *buf, size_t len)
{
    if (cJSON_IsString(v) && v->valuestring)
        snprintf(buf, len, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        fmt_num(v->valuedouble, buf, len);
    else if (cJSON_IsBool(v))
        snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else
        return cfg_fail(p, LL_EPARSE, "%s must be a string, a number or a boolean", name);
    return 0;
}

static int parse_train(cfgp *p, const cJSON *t, ll_pipeline_config *c)
{
    if (!cJSON_IsObject(t)) return cfg_fail(p, LL_EPARSE, "train must be an object");
    const char *s;
    int has_fraction = 0;
    for (const cJSON *k = t->child; k; k = k->next) {
        const char *key = k->string;
        if (!strcmp(key, "data") || !strcmp(key, "target") || !strcmp(key, "positive") ||
            !strcmp(key, "model") || !strcmp(key, "test")) {
            char name[64];
            snprintf(name, sizeof name, "train.%s", key);
            int nullable = !strcmp(key, "positive") || !strcmp(key, "test");
            if (cfg_string(p, k, name, nullable, &s)) return -1;
            if (!s) continue;
            char **dst = !strcmp(key, "data")     ? &c->train_data
                         : !strcmp(key, "target") ? &c->target
                         : !strcmp(key, "model")  ? &c->model_kind
                         : !strcmp(key, "test")   ? &c->test_data
                                                  : &c->positive;
            free(*dst);
            *dst = (!strcmp(key, "data") || !strcmp(key, "test")) ? resolve(c->dir, s) : xstrdup(s);
            if (!*dst) return cfg_fail(p, LL_ENOMEM, "out of memory");
        } else if (!strcmp(key, "params")) {
            if (cJSON_IsNull(k)) continue;
            if (!cJSON_IsObject(k))
                return cfg_fail(p, LL_EPARSE, "train.params must be an object {name: value}");
            for (const cJSON *m = k->child; m; m = m->next) {
                char name[300], val[256];
                snprintf(name, sizeof name, "train.params.%s", m->string);
                if (cfg_scalar_text(p, m, name, val, sizeof val)) return -1;
                if (kv_push(&c->params, &c->nparams, m->string, val))
                    return cfg_fail(p, LL_ENOMEM, "out of memory");
            }
        } else if (!strcmp(key, "test_fraction")) {
            if (cfg_number(p, k, "train.test_fraction", &c->test_fraction)) return -1;
            if (!(c->test_fraction > 0 && c->test_fraction < 1))
                return cfg_fail(p, LL_EPARSE, "train.test_fraction must be in (0, 1)");
            has_fraction = 1;
        } else if (!strcmp(key, "seed")) {
            double d = 0;
            if (cfg_number(p, k, "train.seed", &d)) return -1;
            if (d < 0 || d > 4294967295.0 || d != floor(d))
                return cfg_fail(p, LL_EPARSE, "train.seed must be an integer in 0..4294967295");
            c->seed = (long)d;
        } else {
            return cfg_fail(p, LL_EPARSE,
                            "unknown key train.%s (expected data, target, positive, model, "
                            "params, test, test_fraction or seed)",
                            key);
        }
    }
    if (!c->train_data) return cfg_fail(p, LL_EPARSE, "train.data is required");
    if (!c->target) return cfg_fail(p, LL_EPARSE, "train.target is required");
    if (c->test_data && has_fraction)
        return cfg_fail(p, LL_EPARSE, "train.test and train.test_fraction exclude each other");
    if (!c->model_kind && !(c->model_kind = xstrdup("gbdt")))
        return cfg_fail(p, LL_ENOMEM, "out of memory");
    int kind = ll_model_kind_parse(c->model_kind);
    if (kind < 0)
        return cfg_fail(p, LL_EPARSE, "train.model: unknown model '%s' (logreg, forest or gbdt)",
                        c->model_kind);
    /* the parameters are checked now so that a typo fails before anything runs */
    ll_model_params mp;
    ll_model_params_default((ll_model_kind)kind, &mp);
    ll_error e;
    ll_error_clear(&e);
    for (size_t i = 0; i < c->nparams; i++)
        if (ll_model_params_set(&mp, c->params[i].key, c->params[i].value, &e))
            return cfg_fail(p, LL_EPARSE, "train.params: %s", e.msg);
    return 0;
}

static int parse_tune(cfgp *p, const cJSON *t, ll_pipeline_config *c)
{
    if (cJSON_IsNull(t)) return 0;
    if (!cJSON_IsObject(t)) return cfg_fail(p, LL_EPARSE, "tune must be an object or null");
    c->tune = 1;
    for (const cJSON *k = t->child; k; k = k->next) {
        char name[300], val[512];
        snprintf(name, sizeof name, "tune.%s", k->string);
        if (!strcmp(k->string, "trials")) {
            double d = 0;
            if (cfg_number(p, k, name, &d)) return -1;
            if (d < 1 || d > 1e6 || d != floor(d))
                return cfg_fail(p, LL_EPARSE, "tune.trials must be an integer in 1..1000000");
            c->tune_trials = (long)d;
            continue;
        }
        if (!ll_store_valid_key(k->string) || k->string[0] == '-' || strchr(k->string, ' '))
            return cfg_fail(p, LL_EPARSE, "tune: '%s' is not an option name", k->string);
        if (cJSON_IsArray(k)) {
            for (const cJSON *m = k->child; m; m = m->next) {
                if (cfg_scalar_text(p, m, name, val, sizeof val)) return -1;
                if (kv_push(&c->tune_opts, &c->ntune_opts, k->string, val))
                    return cfg_fail(p, LL_ENOMEM, "out of memory");
            }
            continue;
        }
        if (cJSON_IsFalse(k) || cJSON_IsNull(k)) continue; /* an option left out */
        if (cJSON_IsTrue(k))
            val[0] = '\0';
        else if (cfg_scalar_text(p, k, name, val, sizeof val))
            return -1;
        if (kv_push(&c->tune_opts, &c->ntune_opts, k->string, val))
            return cfg_fail(p, LL_ENOMEM, "out of memory");
    }
    if (!c->tune_trials) return cfg_fail(p, LL_EPARSE, "tune.trials is required");
    return 0;
}

static int parse_drift(cfgp *p, const cJSON *d, ll_pipeline_config *c)
{
    if (cJSON_IsNull(d)) return 0;
    if (!cJSON_IsObject(d)) return cfg_fail(p, LL_EPARSE, "drift must be an object or null");
    for (const cJSON *k = d->child; k; k = k->next) {
        if (!strcmp(k->string, "drift_share")) {
            if (cfg_number(p, k, "drift.drift_share", &c->drift_share)) return -1;
            if (!(c->drift_share > 0 && c->drift_share <= 1))
                return cfg_fail(p, LL_EPARSE, "drift.drift_share must be in (0, 1]");
        } else if (!strcmp(k->string, "stattest")) {
            const char *s;
            if (cfg_string(p, k, "drift.stattest", 1, &s)) return -1;
            if (!s) continue;
            int t = ll_stattest_parse(s);
            if (t < 0)
                return cfg_fail(p, LL_EPARSE,
                                "drift.stattest: unknown test '%s' (auto, ks, chisquare, z, "
                                "wasserstein, jensenshannon or psi)",
                                s);
            c->stattest = t;
        } else if (!strcmp(k->string, "threshold")) {
            if (cJSON_IsNull(k)) continue;
            if (cfg_number(p, k, "drift.threshold", &c->threshold)) return -1;
            if (!(c->threshold >= 0)) return cfg_fail(p, LL_EPARSE, "drift.threshold must be >= 0");
        } else {
            return cfg_fail(p, LL_EPARSE,
                            "unknown key drift.%s (expected drift_share, stattest or threshold)",
                            k->string);
        }
    }
    return 0;
}

/* Directory of path, absolute (the current directory when path is NULL). */
static char *config_dir(const char *path)
{
    char buf[PATH_CAP];
    if (path) {
        char *rp = realpath(path, NULL);
        const char *src = rp ? rp : path;
        snprintf(buf, sizeof buf, "%s", src);
        free(rp);
        char *slash = strrchr(buf, '/');
        if (slash == buf)
            buf[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            snprintf(buf, sizeof buf, ".");
        if (buf[0] == '/') return xstrdup(buf);
    } else {
        snprintf(buf, sizeof buf, ".");
    }
    char cwd[PATH_CAP];
    if (!getcwd(cwd, sizeof cwd)) return xstrdup(buf);
    if (!strcmp(buf, ".")) return xstrdup(cwd);
    char *o = malloc(strlen(cwd) + strlen(buf) + 2);
    if (o) sprintf(o, "%s/%s", cwd, buf);
    return o;
}

ll_status ll_pipeline_config_parse(const char *json, const char *path, ll_pipeline_config **out,
                                   ll_error *err)
{
    *out = NULL;
    const char *where = path ? path : "pipeline config";
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 0);
    if (!root) {
        long line = 1, col = 1;
        for (const char *q = json; end && q < end && *q; q++) {
            if (*q == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return ll_error_set_at(err, LL_EPARSE, where, line, col, "invalid JSON");
    }
    cfgp p = {where, err, LL_OK};
    ll_pipeline_config *c = calloc(1, sizeof *c);
    if (!c) {
        cJSON_Delete(root);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    c->test_fraction = 0.2;
    c->seed = 42;
    c->drift_share = LL_DRIFT_DEFAULT_SHARE;
    c->stattest = LL_STATTEST_AUTO;
    c->threshold = NAN;
    c->dir = config_dir(path);
    if (!c->dir || (path && !(c->path = resolve(c->dir, strrchr(path, '/') ? strrchr(path, '/') + 1
                                                                           : path)))) {
        cfg_fail(&p, LL_ENOMEM, "out of memory");
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        cfg_fail(&p, LL_EPARSE, "a pipeline config is a JSON object");
        goto done;
    }
    int has_train = 0;
    for (const cJSON *k = root->child; k; k = k->next) {
        const char *key = k->string;
        const char *s;
        if (!strcmp(key, "experiment") || !strcmp(key, "model_name")) {
            if (cfg_string(&p, k, key, 0, &s)) goto done;
            char **dst = !strcmp(key, "experiment") ? &c->experiment : &c->model_name;
            free(*dst);
            if (!(*dst = xstrdup(s))) {
                cfg_fail(&p, LL_ENOMEM, "out of memory");
                goto done;
            }
        } else if (!strcmp(key, "policy") || !strcmp(key, "batch") ||
                   !strcmp(key, "retrain_data") || !strcmp(key, "output_dir")) {
            int nullable = !strcmp(key, "policy") || !strcmp(key, "retrain_data");
            if (cfg_string(&p, k, key, nullable, &s)) goto done;
            char **dst = !strcmp(key, "policy")         ? &c->policy
                         : !strcmp(key, "batch")        ? &c->batch
                         : !strcmp(key, "retrain_data") ? &c->retrain_data
                                                        : &c->output_dir;
            free(*dst);
            *dst = NULL;
            if (s && !(*dst = resolve(c->dir, s))) {
                cfg_fail(&p, LL_ENOMEM, "out of memory");
                goto done;
            }
        } else if (!strcmp(key, "train")) {
            has_train = 1;
            if (parse_train(&p, k, c)) goto done;
        } else if (!strcmp(key, "tune")) {
            if (parse_tune(&p, k, c)) goto done;
        } else if (!strcmp(key, "drift")) {
            if (parse_drift(&p, k, c)) goto done;
        } else if (!strcmp(key, "description") || !strcmp(key, "comment")) {
            if (!cJSON_IsString(k) && !cJSON_IsNull(k)) {
                cfg_fail(&p, LL_EPARSE, "%s must be a string", key);
                goto done;
            }
        } else {
            cfg_fail(&p, LL_EPARSE,
                     "unknown key %s (expected experiment, model_name, train, tune, policy, "
                     "batch, retrain_data, output_dir, drift, description)",
                     key);
            goto done;
        }
    }
    if (!c->model_name) {
        cfg_fail(&p, LL_EPARSE, "model_name is required");
    } else if (!ll_registry_valid_name(c->model_name)) {
        cfg_fail(&p, LL_EPARSE, "model_name: invalid registered model name '%s'", c->model_name);
    } else if (!has_train) {
        cfg_fail(&p, LL_EPARSE, "train is required (an object with data and target)");
    } else if (!c->batch) {
        cfg_fail(&p, LL_EPARSE, "batch is required (the CSV file to score)");
    } else if ((!c->experiment && !(c->experiment = xstrdup(LL_PIPELINE_DEFAULT_EXPERIMENT))) ||
               (!c->output_dir &&
                !(c->output_dir = resolve(c->dir, LL_PIPELINE_DEFAULT_OUTPUT_DIR)))) {
        cfg_fail(&p, LL_ENOMEM, "out of memory");
    }
done:
    cJSON_Delete(root);
    if (p.st) {
        ll_pipeline_config_free(c);
        return p.st;
    }
    *out = c;
    return LL_OK;
}

ll_status ll_pipeline_config_load(const char *path, ll_pipeline_config **out, ll_error *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    ll_status s = ll_fsutil_read(path, &text, &len, err);
    if (s == LL_ENOTFOUND) return ll_error_set(err, s, "no pipeline config %s", path);
    if (s) return s;
    s = ll_pipeline_config_parse(text, path, out, err);
    free(text);
    return s;
}

/* ------------------------------------------------------------------ steps and ledger */

static const char *const step_names[LL_PIPE_STEP_COUNT] = {
    "train",   "register",         "promote",         "predict",         "monitor",
    "retrain", "retrain-register", "retrain-promote", "retrain-predict", "retrain-monitor",
};

const char *ll_pipeline_step_name(ll_pipeline_step s)
{
    return s >= 0 && s < LL_PIPE_STEP_COUNT ? step_names[s] : "?";
}

int ll_pipeline_step_parse(const char *name)
{
    if (!name) return -1;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", name);
    for (char *q = buf; *q; q++)
        if (*q == '_') *q = '-';
    for (int i = 0; i < LL_PIPE_STEP_COUNT; i++)
        if (!strcmp(buf, step_names[i])) return i;
    return -1;
}

int ll_pipeline_valid_date(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)d[i])) return 0;
    int y = atoi(d), m = atoi(d + 5), day = atoi(d + 8);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || m < 1 || m > 12 || day < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return day <= mdays[m - 1] + (m == 2 && leap);
}

void ll_pipeline_ledger_clear(ll_pipeline_ledger *l)
{
    if (!l) return;
    for (int i = 0; i < LL_PIPE_STEP_COUNT; i++) kv_free(l->steps[i].values, l->steps[i].nvalues);
    memset(l, 0, sizeof *l);
}

ll_status ll_pipeline_ledger_record(ll_pipeline_ledger *l, ll_pipeline_step s, const char *run_id,
                                    const ll_kv *values, size_t n, ll_error *err)
{
    if (s < 0 || s >= LL_PIPE_STEP_COUNT) return ll_error_set(err, LL_EINVAL, "no such step");
    ll_pipeline_record *r = &l->steps[s];
    kv_free(r->values, r->nvalues);
    r->values = NULL;
    r->nvalues = 0;
    for (size_t i = 0; i < n; i++)
        if (kv_push(&r->values, &r->nvalues, values[i].key, values[i].value))
            return ll_error_set(err, LL_ENOMEM, "out of memory");
    r->done = 1;
    snprintf(r->run_id, sizeof r->run_id, "%s", run_id ? run_id : "");
    return LL_OK;
}

const char *ll_pipeline_ledger_value(const ll_pipeline_ledger *l, ll_pipeline_step s,
                                     const char *key)
{
    if (s < 0 || s >= LL_PIPE_STEP_COUNT || !l->steps[s].done) return NULL;
    return kv_get(l->steps[s].values, l->steps[s].nvalues, key);
}

static int run_newer(const ll_run *a, const ll_run *b)
{
    if (a->start_time != b->start_time) return a->start_time > b->start_time;
    return strcmp(a->run_id, b->run_id) > 0;
}

ll_status ll_pipeline_ledger_load(ll_store *st, const char *experiment, const char *date,
                                  ll_pipeline_ledger *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->date, sizeof out->date, "%s", date);
    if (!ll_pipeline_valid_date(date))
        return ll_error_set(err, LL_EINVAL, "invalid date '%s' (YYYY-MM-DD)", date);
    ll_experiment e;
    ll_error ig;
    if (ll_store_experiment_find(st, experiment, &e, &ig) != LL_OK) return LL_OK;
    ll_experiment_clear(&e);
    char expr[128];
    snprintf(expr, sizeof expr, "tags.`lendlab.pipeline_date` = '%s'", date);
    ll_filter *f = NULL;
    ll_status s = ll_filter_parse(expr, &f, err);
    if (s) return s;
    ll_run_query q;
    memset(&q, 0, sizeof q);
    q.experiment = experiment;
    q.filter = f;
    q.load_all = 1;
    ll_run_list rl;
    memset(&rl, 0, sizeof rl);
    s = ll_store_search_runs(st, &q, &rl, err);
    ll_filter_free(f);
    if (s) return s;
    const ll_run *parent = NULL;
    for (size_t i = 0; i < rl.n; i++) {
        const ll_run *r = rl.runs[i];
        if (!ll_run_tag(r, "lendlab.pipeline_step") && (!parent || run_newer(r, parent)))
            parent = r;
    }
    if (parent) {
        snprintf(out->parent_id, sizeof out->parent_id, "%s", parent->run_id);
        out->parent_status = parent->status;
        out->parent_running = parent->status == LL_RUN_RUNNING && !parent->died;
        const ll_run *best[LL_PIPE_STEP_COUNT] = {0}, *failed[LL_PIPE_STEP_COUNT] = {0};
        for (size_t i = 0; i < rl.n && !s; i++) {
            const ll_run *r = rl.runs[i];
            const char *pid = ll_run_tag(r, "mlflow.parentRunId");
            int step = ll_pipeline_step_parse(ll_run_tag(r, "lendlab.pipeline_step"));
            if (step < 0 || !pid || strcmp(pid, parent->run_id)) continue;
            ll_pipeline_record *rec = &out->steps[step];
            if (r->status == LL_RUN_FINISHED) {
                if (!best[step] || run_newer(r, best[step])) best[step] = r;
            } else if (r->status == LL_RUN_FAILED || r->status == LL_RUN_KILLED || r->died) {
                rec->failures++;
                if (!failed[step] || run_newer(r, failed[step])) failed[step] = r;
            }
        }
        for (int i = 0; i < LL_PIPE_STEP_COUNT && !s; i++) {
            ll_pipeline_record *rec = &out->steps[i];
            if (failed[i]) {
                const char *e2 = ll_run_tag(failed[i], "lendlab.error");
                snprintf(rec->error, sizeof rec->error, "%s",
                         e2                ? e2
                         : failed[i]->died ? "the process died"
                                           : "failed");
            }
            const ll_run *r = best[i];
            if (!r) continue;
            ll_kv *vals = NULL;
            size_t nv = 0;
            for (size_t k = 0; k < r->ntags && !s; k++) {
                const char *key = r->tags[k].key;
                if (strncmp(key, TAG_PREFIX, strlen(TAG_PREFIX))) continue;
                key += strlen(TAG_PREFIX);
                if (!strncmp(key, "pipeline_", 9) || !strcmp(key, "pid") || !strcmp(key, "version"))
                    continue;
                if (kv_push(&vals, &nv, key, r->tags[k].value))
                    s = ll_error_set(err, LL_ENOMEM, "out of memory");
            }
            if (!s)
                s = ll_pipeline_ledger_record(out, (ll_pipeline_step)i, r->run_id, vals, nv, err);
            kv_free(vals, nv);
        }
    }
    ll_run_list_free(&rl);
    if (s) ll_pipeline_ledger_clear(out);
    return s;
}

/* The drift found by a monitor step, as a sentence part: "4 of 22 columns drifted (share 0.1818
 * >= 0.1): int_rate, term". */
static void drift_phrase(const ll_pipeline_ledger *l, ll_pipeline_step mon, char *buf, size_t len)
{
    const char *nd = ll_pipeline_ledger_value(l, mon, "number_of_drifted_columns");
    const char *nc = ll_pipeline_ledger_value(l, mon, "number_of_columns");
    const char *sh = ll_pipeline_ledger_value(l, mon, "share_of_drifted_columns");
    const char *ds = ll_pipeline_ledger_value(l, mon, "drift_share");
    const char *cols = ll_pipeline_ledger_value(l, mon, "drifted_columns");
    double share = NAN;
    char sb[48];
    if (sh) ll_numparse(sh, strlen(sh), &share);
    snprintf(buf, len, "%s of %s columns drifted (share %s >= %s)%s%s", nd ? nd : "?",
             nc ? nc : "?", ll_drift_fmt(share, sb, sizeof sb), ds ? ds : "?",
             cols && *cols ? ": " : "", cols ? cols : "");
}

static int value_true(const ll_pipeline_ledger *l, ll_pipeline_step s, const char *key)
{
    const char *v = ll_pipeline_ledger_value(l, s, key);
    return v && !strcmp(v, "true");
}

ll_pipeline_state ll_pipeline_next(const ll_pipeline_ledger *l, int has_retrain_data,
                                   ll_pipeline_step *step, char *reason, size_t len)
{
    char dummy[8];
    if (!reason) {
        reason = dummy;
        len = sizeof dummy;
    }
    reason[0] = '\0';
    *step = LL_PIPE_STEP_COUNT;
    for (int s = LL_PIPE_TRAIN; s <= LL_PIPE_MONITOR; s++) {
        if (!l->steps[s].done) {
            *step = (ll_pipeline_step)s;
            return LL_PIPE_PENDING;
        }
    }
    if (!value_true(l, LL_PIPE_MONITOR, "dataset_drift")) return LL_PIPE_COMPLETED;
    char ph[700];
    drift_phrase(l, LL_PIPE_MONITOR, ph, sizeof ph);
    /* a retrain already begun is finished even if the config lost retrain_data since */
    if (!has_retrain_data && !l->steps[LL_PIPE_RETRAIN].done) {
        snprintf(reason, len, "dataset drift (%s) and no retrain_data is configured", ph);
        return LL_PIPE_STOPPED;
    }
    for (int s = LL_PIPE_RETRAIN; s <= LL_PIPE_RETRAIN_PROMOTE; s++) {
        if (!l->steps[s].done) {
            *step = (ll_pipeline_step)s;
            return LL_PIPE_PENDING;
        }
    }
    const char *out = ll_pipeline_ledger_value(l, LL_PIPE_RETRAIN_PROMOTE, "outcome");
    if (!out || strcmp(out, "promoted")) {
        const char *v = ll_pipeline_ledger_value(l, LL_PIPE_RETRAIN_REGISTER, "model_version");
        const char *why = ll_pipeline_ledger_value(l, LL_PIPE_RETRAIN_PROMOTE, "policy_failed");
        snprintf(reason, len, "the retrained version %s was refused by the policy%s%s", v ? v : "?",
                 why && *why ? ": " : "", why ? why : "");
        return LL_PIPE_STOPPED;
    }
    for (int s = LL_PIPE_RETRAIN_PREDICT; s <= LL_PIPE_RETRAIN_MONITOR; s++) {
        if (!l->steps[s].done) {
            *step = (ll_pipeline_step)s;
            return LL_PIPE_PENDING;
        }
    }
    if (value_true(l, LL_PIPE_RETRAIN_MONITOR, "dataset_drift")) {
        drift_phrase(l, LL_PIPE_RETRAIN_MONITOR, ph, sizeof ph);
        snprintf(reason, len, "dataset drift persists after retraining: %s", ph);
        return LL_PIPE_STOPPED;
    }
    return LL_PIPE_COMPLETED;
}

/* ------------------------------------------------------------------ running */

typedef struct {
    const ll_pipeline_config *c;
    const ll_pipeline_options *o;
    ll_store *st;
    ll_pipeline_ledger *led;
    char parent_id[33];
    ll_run_handle *parent; /* the pipeline's run of the date, kept (runs point to it) */
    ll_run_handle *h;      /* the current step's run */
    char failed_id[33];    /* the run of the step that failed */
    const char *cur;       /* the current step's name */
    char step_id[33];
    ll_kv *vals; /* what the current step records */
    size_t nvals;
    char detail[512];
} pipe_run;

static void progress(const pipe_run *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void progress(const pipe_run *pr, const char *fmt, ...)
{
    if (!pr->o->progress) return;
    char line[1400];
    int n = snprintf(line, sizeof line, "pipeline %s: ", pr->o->date);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    pr->o->progress(line, pr->o->progress_ud);
}

static int cancelled(const pipe_run *pr)
{
    return pr->o->cancel && *pr->o->cancel;
}

/* Record key=value for the current step: a lendlab.KEY tag now, the ledger once it finished. */
static ll_status put(pipe_run *pr, const char *key, const char *value, ll_error *err)
{
    char tag[300];
    snprintf(tag, sizeof tag, TAG_PREFIX "%s", key);
    ll_status s = ll_store_set_tag(pr->h, tag, value ? value : "", err);
    if (s) return s;
    if (kv_push(&pr->vals, &pr->nvals, key, value))
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

static ll_status put_long(pipe_run *pr, const char *key, long v, ll_error *err)
{
    char b[32];
    snprintf(b, sizeof b, "%ld", v);
    return put(pr, key, b, err);
}

static ll_status put_num(pipe_run *pr, const char *key, double v, ll_error *err)
{
    char b[64];
    return put(pr, key, fmt_num(v, b, sizeof b), err);
}

static ll_status param(pipe_run *pr, const char *key, const char *value, ll_error *err)
{
    return ll_store_log_param(pr->h, key, value ? value : "", err);
}

/* Begin the parent run of the date, or reopen the one the ledger found. */
static ll_status parent_open(pipe_run *pr, ll_error *err)
{
    const ll_pipeline_config *c = pr->c;
    ll_status s;
    char buf[64];
    if (!pr->led->parent_id[0]) {
        char name[64];
        snprintf(name, sizeof name, "pipeline-%s", pr->o->date);
        ll_run_handle *h = NULL;
        if ((s = ll_store_run_begin(pr->st, c->experiment, name, "lendlab pipeline", &h, err)))
            return s;
        snprintf(pr->parent_id, sizeof pr->parent_id, "%s", ll_store_run_id(h));
        const char *params[][2] = {{"date", pr->o->date},
                                   {"config", c->path ? c->path : ""},
                                   {"model_name", c->model_name},
                                   {"train_data", c->train_data},
                                   {"batch", c->batch},
                                   {"retrain_data", c->retrain_data ? c->retrain_data : ""},
                                   {"policy", c->policy ? c->policy : ""},
                                   {"output_dir", c->output_dir},
                                   {"drift_share", fmt_num(c->drift_share, buf, sizeof buf)}};
        for (size_t i = 0; i < sizeof params / sizeof *params && !s; i++)
            s = ll_store_log_param(h, params[i][0], params[i][1], err);
        if (!s) s = ll_store_set_tag(h, "lendlab.pipeline_date", pr->o->date, err);
        if (!s) s = ll_store_set_tag(h, "lendlab.pipeline_model", c->model_name, err);
        if (!s) s = ll_store_set_tag(h, "lendlab.pipeline_attempts", "1", err);
        if (s) {
            ll_store_run_end(h, LL_RUN_FAILED, NULL);
            return s;
        }
        ll_store_run_keep(h); /* the steps' runs point to it, a later attempt reopens it */
        pr->parent = h;
        memset(pr->led->parent_id, 0, sizeof pr->led->parent_id);
        snprintf(pr->led->parent_id, sizeof pr->led->parent_id, "%s", pr->parent_id);
        pr->led->parent_status = LL_RUN_RUNNING;
        return LL_OK;
    }
    ll_run *r = NULL;
    if ((s = ll_store_get_run(pr->st, pr->led->parent_id, &r, err))) return s;
    snprintf(pr->parent_id, sizeof pr->parent_id, "%s", r->run_id);
    const char *att = ll_run_tag(r, "lendlab.pipeline_attempts");
    long n = att ? strtol(att, NULL, 10) : 1;
    ll_run_free(r);
    snprintf(buf, sizeof buf, "%ld", n + 1);
    if ((s = ll_store_run_reopen(pr->st, pr->parent_id, &pr->parent, err)) ||
        (s = ll_store_set_tag(pr->parent, "lendlab.pipeline_attempts", buf, err)))
        return s;
    pr->led->parent_status = LL_RUN_RUNNING;
    return LL_OK;
}

/* ---- running other commands in-process ---- */

typedef struct {
    char **v;
    int n, cap;
    int oom;
} argvec;

static void av_push(argvec *a, const char *s)
{
    if (a->oom) return;
    if (a->n + 2 > a->cap) {
        int nc = a->cap ? a->cap * 2 : 32;
        char **p = realloc(a->v, (size_t)nc * sizeof *p);
        if (!p) {
            a->oom = 1;
            return;
        }
        a->v = p;
        a->cap = nc;
    }
    if (!(a->v[a->n] = xstrdup(s))) {
        a->oom = 1;
        return;
    }
    a->v[++a->n] = NULL;
}

static void av_free(argvec *a)
{
    for (int i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

typedef struct {
    char *out, *errtext;
    size_t outlen, errlen;
    int rc;
} cmd_result;

static void cmd_result_free(cmd_result *r)
{
    free(r->out);
    free(r->errtext);
    memset(r, 0, sizeof *r);
}

/* Run command argv[0] with its output in memory. A non-zero exit becomes an error holding the
 * command's first error line (without its "lendlab NAME: " prefix). */
static ll_status run_cmd(const pipe_run *pr, argvec *av, cmd_result *res, ll_error *err)
{
    memset(res, 0, sizeof *res);
    if (av->oom) return ll_error_set(err, LL_ENOMEM, "out of memory");
    FILE *out = open_memstream(&res->out, &res->outlen);
    FILE *e = out ? open_memstream(&res->errtext, &res->errlen) : NULL;
    if (!out || !e) {
        if (out) fclose(out);
        free(res->out);
        res->out = NULL;
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    ll_cmd_ctx ctx = {out, e, pr->o->store, 0, pr->o->cancel};
    res->rc = ll_cmd_run(&ctx, av->n, av->v);
    fclose(out);
    fclose(e);
    if (res->rc == LL_EXIT_OK) return LL_OK;
    if (res->rc == LL_EXIT_CANCELLED) return ll_error_set(err, LL_ECANCELLED, "cancelled");
    char prefix[64];
    snprintf(prefix, sizeof prefix, "lendlab %s: ", av->v[0]);
    const char *msg = res->errtext && *res->errtext ? res->errtext : NULL;
    const char *line = msg ? strstr(msg, prefix) : NULL;
    if (line) msg = line + strlen(prefix);
    if (!msg) return ll_error_set(err, LL_EINVAL, "%s exited with status %d", av->v[0], res->rc);
    return ll_error_set(err, res->rc == LL_EXIT_POLICY ? LL_EPOLICY : LL_EINVAL, "%.*s",
                        (int)strcspn(msg, "\n"), msg);
}

/* ---- data files ---- */

static void csv_field(FILE *f, const char *s, size_t n)
{
    int q = n && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !q; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') q = 1;
    if (!q) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

typedef struct {
    FILE *f;
    int second;   /* scanning the retrain file */
    int in_body;  /* the current file's header was read */
    char **names; /* the training header */
    size_t ncols;
    size_t *map; /* retrain file: field index of each training column */
    size_t rows[2];
    const char *path; /* file being scanned */
    ll_error *err;
    ll_status st;
} concat_state;

static int concat_row(const ll_csv_row *row, void *ud)
{
    concat_state *cs = ud;
    int header = !cs->in_body;
    cs->in_body = 1;
    if (!cs->second && header) {
        cs->names = calloc(row->nfields ? row->nfields : 1, sizeof *cs->names);
        if (!cs->names) goto oom;
        cs->ncols = row->nfields;
        for (size_t i = 0; i < row->nfields; i++)
            if (!(cs->names[i] = xstrdup(row->field[i]))) goto oom;
    } else if (header) {
        cs->map = calloc(cs->ncols ? cs->ncols : 1, sizeof *cs->map);
        if (!cs->map) goto oom;
        for (size_t j = 0; j < cs->ncols; j++) {
            size_t i = 0;
            while (i < row->nfields && strcmp(row->field[i], cs->names[j])) i++;
            if (i == row->nfields) {
                cs->st = ll_error_set(cs->err, LL_EINVAL,
                                      "%s lacks the column '%s' of the training data", cs->path,
                                      cs->names[j]);
                return 1;
            }
            cs->map[j] = i;
        }
        return 0;
    } else {
        cs->rows[cs->second]++;
    }
    for (size_t j = 0; j < cs->ncols; j++) {
        size_t i = cs->second ? cs->map[j] : j;
        if (j) fputc(',', cs->f);
        if (i < row->nfields) csv_field(cs->f, row->field[i], row->len[i]);
    }
    fputc('\n', cs->f);
    return 0;
oom:
    cs->st = ll_error_set(cs->err, LL_ENOMEM, "out of memory");
    return 1;
}

/* Write the training rows followed by the retrain rows (columns matched by name, in the
 * training file's order) to out, through a temporary file renamed into place. */
static ll_status concat_csv(const pipe_run *pr, const char *a, const char *b, const char *out,
                            size_t *rows_a, size_t *rows_b, ll_error *err)
{
    char tmp[PATH_CAP + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    concat_state cs;
    memset(&cs, 0, sizeof cs);
    cs.err = err;
    cs.f = fopen(tmp, "w");
    if (!cs.f) return ll_error_set(err, LL_EIO, "cannot write %s", tmp);
    ll_csv_options o;
    memset(&o, 0, sizeof o);
    o.cancel = pr->o->cancel;
    ll_status s = LL_OK;
    const char *files[2] = {a, b};
    for (int k = 0; k < 2 && !s; k++) {
        cs.second = k;
        cs.in_body = 0;
        cs.path = files[k];
        s = ll_csv_scan(files[k], &o, concat_row, &cs, NULL, err);
        if (cs.st) s = cs.st;
    }
    if (fflush(cs.f) || ferror(cs.f) || fsync(fileno(cs.f))) {
        if (!s) s = ll_error_set(err, LL_EIO, "cannot write %s", tmp);
    }
    fclose(cs.f);
    if (!s && rename(tmp, out)) s = ll_error_set(err, LL_EIO, "cannot rename %s", tmp);
    if (s) unlink(tmp);
    for (size_t i = 0; i < cs.ncols && cs.names; i++) free(cs.names[i]);
    free(cs.names);
    free(cs.map);
    *rows_a = cs.rows[0];
    *rows_b = cs.rows[1];
    return s;
}

typedef struct {
    long prob_col; /* -1 until the header was read, -2 when it has no probability column */
    size_t rows;
    double sum;
} scored_state;

static int scored_row(const ll_csv_row *row, void *ud)
{
    scored_state *s = ud;
    if (s->prob_col == -1) {
        s->prob_col = -2;
        for (size_t i = 0; i < row->nfields; i++)
            if (!strcmp(row->field[i], "probability")) s->prob_col = (long)i;
        return s->prob_col < 0;
    }
    s->rows++;
    double v;
    if ((size_t)s->prob_col < row->nfields &&
        ll_numparse(row->field[s->prob_col], row->len[s->prob_col], &v))
        s->sum += v;
    return 0;
}

/* Now in UTC as predict's marker writes it. */
static void iso_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/* ---- the steps ---- */

static int is_retrain(ll_pipeline_step s)
{
    return s >= LL_PIPE_RETRAIN;
}

static ll_status out_path(const pipe_run *pr, const char *stem, const char *ext, int retrained,
                          char *path, size_t len, ll_error *err)
{
    ll_status s = ll_fsutil_mkdir_p(pr->c->output_dir, err);
    if (s) return s;
    if (snprintf(path, len, "%s/%s_%s%s.%s", pr->c->output_dir, stem, pr->o->date,
                 retrained ? "_retrained" : "", ext) >= (int)len)
        return ll_error_set(err, LL_EINVAL, "output path too long");
    return LL_OK;
}

/* Non-zero when command e declares option name. */
static int has_opt(const ll_cmd_entry *e, const char *name)
{
    for (size_t i = 0; i < e->nopts; i++)
        if (!strcmp(e->opts[i].name, name)) return 1;
    return 0;
}

/* --name value for e, left out when e has no such option (tune may lack some of train's). */
static void av_opt(argvec *av, const ll_cmd_entry *e, const char *name, const char *value)
{
    if (!has_opt(e, name)) return;
    char o[300];
    snprintf(o, sizeof o, "--%s", name);
    av_push(av, o);
    if (value) av_push(av, value);
}

/* The options train and tune share. */
static void av_common(argvec *av, const ll_cmd_entry *e, const ll_pipeline_config *c)
{
    char b[64];
    av_opt(av, e, "target", c->target);
    if (c->positive) av_opt(av, e, "positive", c->positive);
    av_opt(av, e, "model", c->model_kind);
    if (c->test_data)
        av_opt(av, e, "test", c->test_data);
    else
        av_opt(av, e, "test-fraction", fmt_num(c->test_fraction, b, sizeof b));
    snprintf(b, sizeof b, "%ld", c->seed);
    av_opt(av, e, "seed", b);
    av_opt(av, e, "experiment", c->experiment);
}

/* Tune on data; the best parameters are added to *sets as KEY=VALUE texts. */
static ll_status tune_params(pipe_run *pr, const ll_cmd_entry *e, const char *data,
                             const char *run_name, ll_kv **sets, size_t *nsets, ll_error *err)
{
    const ll_pipeline_config *c = pr->c;
    argvec av = {0};
    char b[64], study[128];
    av_push(&av, e->name);
    av_push(&av, data);
    av_common(&av, e, c);
    snprintf(study, sizeof study, "%s-tune", run_name);
    av_opt(&av, e, "study-name", study);
    snprintf(b, sizeof b, "%ld", c->tune_trials);
    av_opt(&av, e, "trials", b);
    /* the other tune keys are passed through as given: tune checks them */
    for (size_t i = 0; i < c->ntune_opts; i++) {
        char opt[300];
        snprintf(opt, sizeof opt, "--%s", c->tune_opts[i].key);
        av_push(&av, opt);
        if (c->tune_opts[i].value[0]) av_push(&av, c->tune_opts[i].value);
    }
    av_push(&av, "--json");
    progress(pr, "%s: tuning %s with %ld trials", pr->cur, c->model_kind, c->tune_trials);
    cmd_result res;
    ll_status s = run_cmd(pr, &av, &res, err);
    av_free(&av);
    cJSON *j = s ? NULL : cJSON_Parse(res.out ? res.out : "");
    cmd_result_free(&res);
    if (s) return s;
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(j, "best_params");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "study_run_id");
    if (!cJSON_IsObject(best)) s = ll_error_set(err, LL_EPARSE, "tune --json gave no best_params");
    cfgp p = {"tune", err, LL_OK};
    for (const cJSON *m = best ? best->child : NULL; m && !s; m = m->next) {
        char val[256], kv[600];
        if (cfg_scalar_text(&p, m, m->string, val, sizeof val)) {
            s = p.st;
            break;
        }
        snprintf(kv, sizeof kv, "%s=%s", m->string, val);
        if (kv_push(sets, nsets, m->string, kv)) s = ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    if (!s && cJSON_IsString(sid) && sid->valuestring && *sid->valuestring) {
        s = put(pr, "tune_run_id", sid->valuestring, err);
        if (!s)
            s = ll_store_set_run_tag(pr->st, sid->valuestring, "mlflow.parentRunId", pr->step_id,
                                     err);
    }
    cJSON_Delete(j);
    return s;
}

/* Train (after tuning when configured) on data; *run_id gets the tracked training run. The
 * tuned parameters are refitted by train so that the run holds the metrics, the test-data
 * fingerprint and the artifacts that registration and the policy read. */
static ll_status fit_model(pipe_run *pr, const char *data, const char *run_name, char *run_id,
                           size_t idlen, cJSON **metrics_out, ll_error *err)
{
    const ll_pipeline_config *c = pr->c;
    const ll_cmd_entry *tune = c->tune ? ll_cmd_find("tune") : NULL;
    const ll_cmd_entry *e = ll_cmd_find("train");
    if (!e) return ll_error_set(err, LL_ENOTFOUND, "this lendlab has no train command");
    ll_status s = LL_OK;
    ll_kv *sets = NULL;
    size_t nsets = 0;
    for (size_t i = 0; i < c->nparams && !s; i++) {
        char kv[600];
        snprintf(kv, sizeof kv, "%s=%s", c->params[i].key, c->params[i].value);
        if (kv_push(&sets, &nsets, c->params[i].key, kv))
            s = ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    if (!s && c->tune && !tune) {
        progress(pr,
                 "%s: tune is configured but this lendlab has no tune command; training "
                 "with the configured parameters",
                 pr->cur);
        s = put(pr, "tune", "unavailable", err);
    } else if (!s && tune) {
        s = tune_params(pr, tune, data, run_name, &sets, &nsets, err);
        if (!s) s = put(pr, "tune", "tuned", err);
    }
    argvec av = {0};
    av_push(&av, e->name);
    av_push(&av, data);
    av_common(&av, e, c);
    for (size_t i = 0; i < nsets; i++) av_opt(&av, e, "set", sets[i].value);
    kv_free(sets, nsets);
    av_opt(&av, e, "run-name", run_name);
    av_push(&av, "--json");
    cmd_result res;
    memset(&res, 0, sizeof res);
    if (!s) s = run_cmd(pr, &av, &res, err);
    av_free(&av);
    cJSON *j = NULL;
    if (!s) {
        j = cJSON_Parse(res.out ? res.out : "");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "run_id");
        if (!cJSON_IsString(id) || !id->valuestring)
            s = ll_error_set(err, LL_EPARSE, "train --json gave no run id");
        else
            snprintf(run_id, idlen, "%s", id->valuestring);
        if (!s && metrics_out) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "metrics");
            *metrics_out = m ? cJSON_Duplicate(m, 1) : NULL;
        }
    }
    cJSON_Delete(j);
    cmd_result_free(&res);
    return s;
}

/* train / retrain: fit, save the data's drift profile as an artifact of the training run, and
 * nest the training run under the step. */
static ll_status step_train(pipe_run *pr, int retrain, ll_error *err)
{
    const ll_pipeline_config *c = pr->c;
    ll_status s;
    char data[PATH_CAP], b[64];
    snprintf(data, sizeof data, "%s", c->train_data);
    if (retrain) {
        char reason[900], ph[700];
        drift_phrase(pr->led, LL_PIPE_MONITOR, ph, sizeof ph);
        snprintf(reason, sizeof reason, "dataset drift on %s: %s", pr->o->date, ph);
        if ((s = put(pr, "retrain_reason", reason, err))) return s;
        if (!c->retrain_data) return ll_error_set(err, LL_EINVAL, "retrain_data is not configured");
        if ((s = out_path(pr, "training", "csv", 1, data, sizeof data, err))) return s;
        size_t ra = 0, rb = 0;
        progress(pr, "%s: writing %s (training data + %s)", pr->cur, data, c->retrain_data);
        if ((s = concat_csv(pr, c->train_data, c->retrain_data, data, &ra, &rb, err))) return s;
        if ((s = param(pr, "retrain_data", c->retrain_data, err)) ||
            (s = put_long(pr, "rows_retrain_data", (long)rb, err)))
            return s;
    }
    if ((s = param(pr, "data", data, err)) || (s = param(pr, "target", c->target, err)) ||
        (s = param(pr, "model", c->model_kind, err)) ||
        (s = param(pr, c->test_data ? "test" : "test_fraction",
                   c->test_data ? c->test_data : fmt_num(c->test_fraction, b, sizeof b), err)))
        return s;
    if ((s = put(pr, "training_data", data, err))) return s;
    char run_name[64], run_id[64] = "";
    snprintf(run_name, sizeof run_name, "pipeline-%s-%s", pr->o->date,
             retrain ? "retrain" : "train");
    cJSON *metrics = NULL;
    if ((s = fit_model(pr, data, run_name, run_id, sizeof run_id, &metrics, err))) return s;
    /* the metrics the policy reads, also on the step so a listing of steps shows them */
    static const char *const keys[] = {"auc", "ks", "logloss", "pr_auc", "brier"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys && !s; i++) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(metrics, keys[i]);
        if (cJSON_IsNumber(m)) s = ll_store_log_metric(pr->h, keys[i], m->valuedouble, 0, err);
    }
    const cJSON *auc = cJSON_GetObjectItemCaseSensitive(metrics, "auc");
    snprintf(pr->detail, sizeof pr->detail, "run %.8s, auc %s", run_id,
             ll_drift_fmt(cJSON_IsNumber(auc) ? auc->valuedouble : NAN, b, sizeof b));
    cJSON_Delete(metrics);
    if (s) return s;
    if ((s = put(pr, "model_run_id", run_id, err))) return s;
    ll_run *r = NULL;
    if ((s = ll_store_get_run(pr->st, run_id, &r, err))) return s;
    /* the model run has ended: its reference profile is written in a temporary directory at
     * the store root (which the next store writer sweeps if this process dies) and renamed
     * into the run's artifacts whole, so an ended run never holds a half-written file */
    char dir[PATH_CAP], prof[PATH_CAP], tdir[PATH_CAP], tmp[PATH_CAP + 16];
    s = ll_store_run_artifact_path(pr->st, r, "reference", dir, sizeof dir, err);
    if (!s) s = ll_fsutil_mkdir_p(dir, err);
    if (!s && snprintf(prof, sizeof prof, "%s/profile.json", dir) >= (int)sizeof prof)
        s = ll_error_set(err, LL_EINVAL, "path too long");
    if (!s) s = ll_fsutil_mkdtemp(ll_store_root(pr->st), "reference", tdir, sizeof tdir, err);
    if (!s) {
        snprintf(tmp, sizeof tmp, "%s/profile.json", tdir);
        argvec av = {0};
        av_push(&av, "profile");
        av_push(&av, data);
        av_push(&av, "--output");
        av_push(&av, tmp);
        av_push(&av, "--target");
        av_push(&av, c->target);
        cmd_result res;
        s = run_cmd(pr, &av, &res, err);
        av_free(&av);
        cmd_result_free(&res);
        if (!s && rename(tmp, prof))
            s = ll_error_set(err, LL_EIO, "cannot rename %s to %s: %s", tmp, prof, strerror(errno));
        if (!s) s = ll_fsutil_fsync_dir(dir, err);
        ll_fsutil_remove_tree(tdir, NULL);
    }
    if (!s) s = put(pr, "reference_profile", prof, err);
    if (!s) s = ll_store_set_run_tag(pr->st, r->run_id, "mlflow.parentRunId", pr->step_id, err);
    if (!s) s = ll_store_set_run_tag(pr->st, r->run_id, "lendlab.pipeline_run", pr->parent_id, err);
    if (!s && retrain) {
        const char *why = kv_get(pr->vals, pr->nvals, "retrain_reason");
        s = ll_store_set_run_tag(pr->st, r->run_id, "lendlab.retrain_reason", why, err);
    }
    ll_run_free(r);
    if (!s) s = put(pr, "outcome", "trained", err);
    return s;
}

static ll_status step_register(pipe_run *pr, int retrain, ll_error *err)
{
    const ll_pipeline_config *c = pr->c;
    const char *run_id = ll_pipeline_ledger_value(
        pr->led, retrain ? LL_PIPE_RETRAIN : LL_PIPE_TRAIN, "model_run_id");
    if (!run_id) return ll_error_set(err, LL_ESTATE, "the training step recorded no run");
    ll_status s;
    if ((s = param(pr, "run_id", run_id, err)) || (s = param(pr, "model_name", c->model_name, err)))
        return s;
    /* a registration whose step did not get recorded is found again, not repeated */
    long version = 0;
    ll_registered_model *m = NULL;
    ll_error ig;
    if (ll_registry_get(pr->st, c->model_name, &m, &ig) == LL_OK) {
        for (size_t i = 0; i < m->nversions; i++)
            if (m->versions[i].run_id && !strcmp(m->versions[i].run_id, run_id))
                version = m->versions[i].version;
        long staged = ll_registry_alias_version(m, "staging");
        ll_registry_model_free(m);
        if (version && staged != version) {
            ll_promote_result res;
            s = ll_registry_set_alias(pr->st, c->model_name, "staging", version, NULL, &res, err);
            ll_promote_result_clear(&res);
            if (s) return s;
        }
    }
    if (!version) {
        char comment[128];
        snprintf(comment, sizeof comment, "pipeline %s%s", pr->o->date,
                 retrain ? " (retrain)" : "");
        if ((s = ll_registry_register(pr->st, run_id, c->model_name, "staging", comment, &version,
                                      err)))
            return s;
    }
    snprintf(pr->detail, sizeof pr->detail, "%s version %ld, alias staging", c->model_name,
             version);
    if ((s = put_long(pr, "model_version", version, err))) return s;
    return put(pr, "outcome", "registered", err);
}

static void rules_text(const ll_promote_result *res, int failed_only, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < res->nrules && o < len; i++) {
        const ll_rule_result *r = &res->rules[i];
        if (failed_only && r->passed) continue;
        char v[48];
        int n;
        if (r->detail[0])
            n = snprintf(buf + o, len - o, "%s%s: %s (%s)", o ? "; " : "", r->rule,
                         r->passed ? "PASS" : "FAIL", r->detail);
        else
            n = snprintf(buf + o, len - o, "%s%s: %s (%s)", o ? "; " : "", r->rule,
                         r->passed ? "PASS" : "FAIL", ll_drift_fmt(r->value, v, sizeof v));
        if (n < 0) break;
        o += (size_t)n;
    }
}

static ll_status step_promote(pipe_run *pr, int retrain, ll_error *err)
{
    const ll_pipeline_config *c = pr->c;
    const char *vs = ll_pipeline_ledger_value(
        pr->led, retrain ? LL_PIPE_RETRAIN_REGISTER : LL_PIPE_REGISTER, "model_version");
    if (!vs) return ll_error_set(err, LL_ESTATE, "the register step recorded no version");
    long version = strtol(vs, NULL, 10);
    ll_status s;
    if ((s = param(pr, "model_name", c->model_name, err)) || (s = param(pr, "version", vs, err)) ||
        (s = param(pr, "policy", c->policy ? c->policy : "", err)))
        return s;
    ll_registered_model *m = NULL;
    if ((s = ll_registry_get(pr->st, c->model_name, &m, err))) return s;
    long prod = ll_registry_alias_version(m, "production");
    ll_registry_model_free(m);
    if (prod == version) { /* promoted by an attempt whose step was not recorded */
        snprintf(pr->detail, sizeof pr->detail, "version %ld is in production", version);
        if ((s = put_long(pr, "production_version", version, err))) return s;
        return put(pr, "outcome", "promoted", err);
    }
    ll_policy *pol = NULL;
    if (c->policy && (s = ll_registry_policy_load(c->policy, &pol, err))) return s;
    char comment[128];
    snprintf(comment, sizeof comment, "pipeline %s%s", pr->o->date, retrain ? " (retrain)" : "");
    ll_promote_request req;
    memset(&req, 0, sizeof req);
    req.model = c->model_name;
    req.version = version;
    req.to_alias = "production";
    req.policy = pol;
    req.comment = comment;
    ll_promote_result res;
    memset(&res, 0, sizeof res);
    ll_error perr;
    ll_error_clear(&perr);
    s = ll_registry_promote(pr->st, &req, &res, &perr);
    ll_registry_policy_free(pol);
    char rules[1024];
    rules_text(&res, 0, rules, sizeof rules);
    ll_status s2 = LL_OK;
    if (s == LL_OK) {
        if (res.previous)
            snprintf(pr->detail, sizeof pr->detail,
                     "version %ld promoted to production (was version %ld)", version, res.previous);
        else
            snprintf(pr->detail, sizeof pr->detail, "version %ld promoted to production", version);
        if (!(s2 = put(pr, "policy", rules, err)) &&
            !(s2 = put_long(pr, "production_version", version, err)) &&
            !(s2 = put_long(pr, "previous_version", res.previous, err)))
            s2 = put(pr, "outcome", "promoted", err);
        ll_promote_result_clear(&res);
        return s2;
    }
    if (s != LL_EPOLICY) {
        ll_promote_result_clear(&res);
        *err = perr;
        return s;
    }
    char failed[1024];
    rules_text(&res, 1, failed, sizeof failed);
    ll_promote_result_clear(&res);
    if (!(s2 = put(pr, "policy", rules, err)) && !(s2 = put(pr, "policy_failed", failed, err)) &&
        !(s2 = put(pr, "outcome", "refused", err)))
        s2 = put_long(pr, "production_version", prod, err);
    if (s2) return s2;
    if (!prod)
        return ll_error_set(err, LL_EPOLICY,
                            "version %ld of %s was refused by the policy %s (%s) and no version is "
                            "in production yet",
                            version, c->model_name, c->policy ? c->policy : "", failed);
    snprintf(pr->detail, sizeof pr->detail,
             "version %ld refused (%.380s); version %ld stays in production", version, failed,
             prod);
    return LL_OK;
}

/* Replace the latest-predictions marker unless it already names a later date (a backfill). The
 * members are those predict --marker writes, plus date, pipeline_run_id and step_run_id. */
static ll_status write_marker(pipe_run *pr, const char *path, const char *pred, size_t rows,
                              const ll_model_ref *ref, ll_error *err)
{
    char *old = NULL;
    size_t len = 0;
    if (ll_fsutil_read(path, &old, &len, NULL) == LL_OK) {
        cJSON *j = cJSON_Parse(old);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "date");
        int later = cJSON_IsString(d) && d->valuestring && strcmp(d->valuestring, pr->o->date) > 0;
        char kept[16];
        if (later) snprintf(kept, sizeof kept, "%.10s", d->valuestring);
        cJSON_Delete(j);
        free(old);
        if (later) {
            progress(pr, "predict: %s names the later date %s; left as it is", path, kept);
            return put(pr, "marker_kept", kept, err);
        }
    }
    char now[40];
    iso_now(now, sizeof now);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "path", pred);
        cJSON_AddStringToObject(o, "created_at", now);
        cJSON_AddStringToObject(o, "date", pr->o->date);
        cJSON_AddNumberToObject(o, "rows", (double)rows);
    }
    cJSON *mo = o ? cJSON_AddObjectToObject(o, "model") : NULL;
    if (!mo) {
        cJSON_Delete(o);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    char uri[600];
    snprintf(uri, sizeof uri, "models:/%s@production", pr->c->model_name);
    cJSON_AddStringToObject(mo, "name", pr->c->model_name);
    cJSON_AddNumberToObject(mo, "version", (double)ref->version);
    cJSON_AddStringToObject(mo, "alias", "production");
    cJSON_AddStringToObject(mo, "uri", uri);
    cJSON_AddStringToObject(mo, "run_id", ref->run_id);
    /* the members of predict --marker, then the pipeline's own */
    cJSON_AddStringToObject(o, "input", pr->c->batch);
    cJSON_AddNumberToObject(o, "threshold", 0.5);
    cJSON_AddStringToObject(o, "pipeline_run_id", pr->parent_id);
    cJSON_AddStringToObject(o, "step_run_id", pr->step_id);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return ll_error_set(err, LL_ENOMEM, "out of memory");
    size_t n = strlen(text);
    char *t2 = realloc(text, n + 2);
    if (!t2) {
        free(text);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    t2[n] = '\n';
    t2[n + 1] = '\0';
    ll_status s = ll_fsutil_write_atomic(path, t2, n + 1, NULL, err);
    free(t2);
    return s;
}

static ll_status step_predict(pipe_run *pr, int retrain, ll_error *err)
{
    const ll_pipeline_config *c = pr->c;
    char uri[600];
    snprintf(uri, sizeof uri, "models:/%s@production", c->model_name);
    ll_status s;
    if ((s = param(pr, "batch", c->batch, err)) || (s = param(pr, "model_uri", uri, err))) return s;
    ll_model_ref ref;
    if ((s = ll_modeluri_resolve(pr->o->store, uri, &ref, err))) return s;
    char pred[PATH_CAP], marker[PATH_CAP];
    if ((s = out_path(pr, "predictions", "csv", retrain, pred, sizeof pred, err))) return s;
    if (snprintf(marker, sizeof marker, "%s/latest_predictions.json", c->output_dir) >=
        (int)sizeof marker)
        return ll_error_set(err, LL_EINVAL, "path too long");
    argvec av = {0};
    av_push(&av, "predict");
    av_push(&av, "--model");
    av_push(&av, ref.dir);
    av_push(&av, "--input");
    av_push(&av, c->batch);
    av_push(&av, "--output");
    av_push(&av, pred);
    cmd_result res;
    s = run_cmd(pr, &av, &res, err);
    av_free(&av);
    cmd_result_free(&res);
    if (s) return s;
    scored_state ss = {-1, 0, 0};
    ll_csv_options o;
    memset(&o, 0, sizeof o);
    o.cancel = pr->o->cancel;
    if ((s = ll_csv_scan(pred, &o, scored_row, &ss, NULL, err))) {
        if (ss.prob_col == -2)
            s = ll_error_set(err, LL_EPARSE, "%s has no probability column", pred);
        return s;
    }
    if ((s = write_marker(pr, marker, pred, ss.rows, &ref, err))) return s;
    double mean = ss.rows ? ss.sum / (double)ss.rows : NAN;
    if ((s = ll_store_log_metric(pr->h, "rows", (double)ss.rows, 0, err)) ||
        (ss.rows && (s = ll_store_log_metric(pr->h, "mean_probability", mean, 0, err))))
        return s;
    if ((s = put(pr, "predictions", pred, err)) || (s = put(pr, "marker", marker, err)) ||
        (s = put_long(pr, "rows", (long)ss.rows, err)) ||
        (s = put_long(pr, "model_version", ref.version, err)) ||
        (s = put(pr, "model_run_id", ref.run_id, err)))
        return s;
    snprintf(pr->detail, sizeof pr->detail, "%zu rows scored by version %ld", ss.rows, ref.version);
    return put(pr, "outcome", "scored", err);
}

typedef struct {
    pipe_run *pr;
    ll_error *err;
    ll_status st;
} metric_sink;

static void log_drift_metric(const char *key, double value, void *ud)
{
    metric_sink *m = ud;
    if (m->st || !ll_store_valid_key(key)) return;
    m->st = ll_store_log_metric(m->pr->h, key, value, 0, m->err);
}

static ll_status copy_file(const char *from, const char *to, ll_error *err)
{
    char *data = NULL;
    size_t len = 0;
    ll_status s = ll_fsutil_read(from, &data, &len, err);
    if (!s) s = ll_fsutil_write_atomic(to, data, len, NULL, err);
    free(data);
    return s;
}

static ll_status step_monitor(pipe_run *pr, int retrain, ll_error *err)
{
    const ll_pipeline_config *c = pr->c;
    ll_status s;
    /* the reference is the training data of the model that scored the batch */
    const char *mrun = ll_pipeline_ledger_value(
        pr->led, retrain ? LL_PIPE_RETRAIN_PREDICT : LL_PIPE_PREDICT, "model_run_id");
    char ref_path[PATH_CAP] = "";
    if (mrun && *mrun) {
        ll_run *r = NULL;
        ll_error ig;
        char dir[PATH_CAP];
        if (ll_store_get_run(pr->st, mrun, &r, &ig) == LL_OK &&
            ll_store_run_artifact_path(pr->st, r, "reference", dir, sizeof dir, &ig) == LL_OK &&
            snprintf(ref_path, sizeof ref_path, "%s/profile.json", dir) < (int)sizeof ref_path &&
            !ll_fsutil_exists(ref_path))
            ref_path[0] = '\0';
        ll_run_free(r);
    }
    if (!ref_path[0]) {
        const char *p = ll_pipeline_ledger_value(pr->led, retrain ? LL_PIPE_RETRAIN : LL_PIPE_TRAIN,
                                                 "reference_profile");
        if (!p) return ll_error_set(err, LL_ENOTFOUND, "no reference profile was recorded");
        snprintf(ref_path, sizeof ref_path, "%s", p);
        progress(pr, "monitor: model run %s has no reference profile; using %s", mrun ? mrun : "?",
                 ref_path);
    }
    char b[64];
    if ((s = param(pr, "reference", ref_path, err)) || (s = param(pr, "current", c->batch, err)) ||
        (s = param(pr, "drift_share", fmt_num(c->drift_share, b, sizeof b), err)))
        return s;
    ll_drift_profile *ref = NULL, *cur = NULL;
    ll_drift_report *rep = NULL;
    ll_table *t = NULL;
    if ((s = ll_drift_profile_load(ref_path, &ref, err))) return s;
    ll_csv_options o;
    memset(&o, 0, sizeof o);
    o.cancel = pr->o->cancel;
    s = ll_csv_read_table(c->batch, &o, &t, NULL, err);
    if (!s) s = ll_drift_profile_from_table(t, c->batch, NULL, 2, pr->o->cancel, &cur, err);
    ll_table_free(t);
    ll_drift_options dopt;
    ll_drift_options_init(&dopt);
    dopt.drift_share = c->drift_share;
    dopt.stattest = (ll_stattest)c->stattest;
    dopt.threshold = c->threshold;
    if (!s) s = ll_drift_compare(ref, cur, &dopt, &rep, err);
    ll_drift_profile_free(ref);
    ll_drift_profile_free(cur);
    char json[PATH_CAP], html[PATH_CAP], adir[PATH_CAP], apath[PATH_CAP + 32];
    if (!s) s = out_path(pr, "drift", "json", retrain, json, sizeof json, err);
    if (!s) s = out_path(pr, "drift", "html", retrain, html, sizeof html, err);
    if (!s) {
        char tmp[PATH_CAP + 8];
        snprintf(tmp, sizeof tmp, "%s.tmp", json);
        FILE *f = fopen(tmp, "w");
        if (!f) {
            s = ll_error_set(err, LL_EIO, "cannot write %s", tmp);
        } else {
            ll_drift_write_json(rep, f);
            int bad = fflush(f) || ferror(f) || fsync(fileno(f));
            if (fclose(f) || bad)
                s = ll_error_set(err, LL_EIO, "cannot write %s", tmp);
            else if (rename(tmp, json))
                s = ll_error_set(err, LL_EIO, "cannot rename %s", tmp);
            if (s) unlink(tmp);
        }
    }
    if (!s) s = ll_drift_write_html(rep, html, err);
    if (!s) s = ll_store_run_artifact_dir(pr->h, "drift", adir, sizeof adir, err);
    if (!s) {
        snprintf(apath, sizeof apath, "%s/drift_report.json", adir);
        s = copy_file(json, apath, err);
    }
    if (!s) {
        snprintf(apath, sizeof apath, "%s/drift_report.html", adir);
        s = copy_file(html, apath, err);
    }
    if (!s) {
        metric_sink ms = {pr, err, LL_OK};
        ll_drift_report_metrics(rep, log_drift_metric, &ms);
        s = ms.st;
    }
    char cols[1024] = "";
    if (!s && rep) {
        size_t *idx = malloc((rep->ncols ? rep->ncols : 1) * sizeof *idx);
        if (!idx) {
            s = ll_error_set(err, LL_ENOMEM, "out of memory");
        } else {
            ll_drift_report_order(rep, idx);
            size_t o2 = 0;
            for (size_t i = 0; i < rep->ncols; i++) {
                const ll_drift_result *r = &rep->cols[idx[i]];
                if (!r->drifted) continue;
                int n =
                    snprintf(cols + o2, sizeof cols - o2, "%s%s", o2 ? ", " : "", r->column_name);
                if (n < 0 || (size_t)n >= sizeof cols - o2) break;
                o2 += (size_t)n;
            }
            free(idx);
        }
    }
    if (!s) {
        int drift = rep->dataset_drift;
        if (!(s = put(pr, "dataset_drift", drift ? "true" : "false", err)) &&
            !(s = put_num(pr, "share_of_drifted_columns", rep->share_of_drifted_columns, err)) &&
            !(s = put_long(pr, "number_of_drifted_columns", (long)rep->number_of_drifted_columns,
                           err)) &&
            !(s = put_long(pr, "number_of_columns", (long)rep->number_of_columns, err)) &&
            !(s = put_num(pr, "drift_share", c->drift_share, err)) &&
            !(s = put(pr, "drifted_columns", cols, err)) &&
            !(s = put(pr, "drift_json", json, err)) && !(s = put(pr, "drift_html", html, err)) &&
            !(s = put(pr, "reference_profile", ref_path, err)) &&
            !(s = put(pr, "reference_run_id", mrun ? mrun : "", err)))
            s = put(pr, "outcome", drift ? "drift" : "no_drift", err);
        char b1[48], b2[48];
        snprintf(pr->detail, sizeof pr->detail, "%s: %zu of %zu columns drifted (share %s %s %s)",
                 drift ? "dataset drift" : "no dataset drift", rep->number_of_drifted_columns,
                 rep->number_of_columns, ll_drift_fmt(rep->share_of_drifted_columns, b1, sizeof b1),
                 drift ? ">=" : "<", ll_drift_fmt(c->drift_share, b2, sizeof b2));
    }
    ll_drift_report_free(rep);
    return s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run one step as a child run of the parent. A failure ends the child FAILED (KILLED when
 * cancelled) with the error in lendlab.error and is returned. */
static ll_status run_step(pipe_run *pr, ll_pipeline_step step, ll_error *err)
{
    const char *name = ll_pipeline_step_name(step);
    pr->cur = name;
    ll_status s =
        ll_store_run_begin(pr->st, pr->c->experiment, name, "lendlab pipeline", &pr->h, err);
    if (s) return s;
    snprintf(pr->step_id, sizeof pr->step_id, "%s", ll_store_run_id(pr->h));
    kv_free(pr->vals, pr->nvals);
    pr->vals = NULL;
    pr->nvals = 0;
    pr->detail[0] = '\0';
    progress(pr, "%s: started (run %.8s)", name, pr->step_id);
    double t0 = now_s();
    if (!(s = ll_store_set_tag(pr->h, "mlflow.parentRunId", pr->parent_id, err)) &&
        !(s = ll_store_set_tag(pr->h, "lendlab.pipeline_step", name, err)) &&
        !(s = ll_store_set_tag(pr->h, "lendlab.pipeline_date", pr->o->date, err)) &&
        !(s = ll_store_log_param(pr->h, "step", name, err))) {
        if (cancelled(pr)) {
            s = ll_error_set(err, LL_ECANCELLED, "cancelled");
        } else {
            int re = is_retrain(step);
            switch (step) {
            case LL_PIPE_TRAIN:
            case LL_PIPE_RETRAIN:
                s = step_train(pr, re, err);
                break;
            case LL_PIPE_REGISTER:
            case LL_PIPE_RETRAIN_REGISTER:
                s = step_register(pr, re, err);
                break;
            case LL_PIPE_PROMOTE:
            case LL_PIPE_RETRAIN_PROMOTE:
                s = step_promote(pr, re, err);
                break;
            case LL_PIPE_PREDICT:
            case LL_PIPE_RETRAIN_PREDICT:
                s = step_predict(pr, re, err);
                break;
            case LL_PIPE_MONITOR:
            case LL_PIPE_RETRAIN_MONITOR:
                s = step_monitor(pr, re, err);
                break;
            default:
                s = ll_error_set(err, LL_EINVAL, "no such step");
            }
        }
    }
    if (!s && cancelled(pr)) s = ll_error_set(err, LL_ECANCELLED, "cancelled");
    ll_error e2;
    ll_error_clear(&e2);
    if (s) {
        char buf[1600];
        ll_store_set_tag(pr->h, "lendlab.error", ll_error_format(err, buf, sizeof buf), &e2);
        if (!kv_get(pr->vals, pr->nvals, "outcome"))
            ll_store_set_tag(pr->h, "lendlab.outcome", s == LL_ECANCELLED ? "cancelled" : "failed",
                             &e2);
        ll_store_run_end(pr->h, s == LL_ECANCELLED ? LL_RUN_KILLED : LL_RUN_FAILED, &e2);
        pr->h = NULL;
        snprintf(pr->failed_id, sizeof pr->failed_id, "%s", pr->step_id);
        progress(pr, "%s: %s after %.1f s", name, s == LL_ECANCELLED ? "KILLED" : "FAILED",
                 now_s() - t0);
        return s;
    }
    if (pr->detail[0]) ll_store_set_tag(pr->h, "lendlab.detail", pr->detail, &e2);
    s = ll_store_run_end(pr->h, LL_RUN_FINISHED, err);
    pr->h = NULL;
    if (s) return s;
    if ((s = ll_pipeline_ledger_record(pr->led, step, pr->step_id, pr->vals, pr->nvals, err)))
        return s;
    /* the detail is recorded with the values so a later summary can show it */
    if (pr->detail[0] &&
        kv_push(&pr->led->steps[step].values, &pr->led->steps[step].nvalues, "detail", pr->detail))
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    progress(pr, "%s: done in %.1f s%s%s", name, now_s() - t0, pr->detail[0] ? ": " : "",
             pr->detail);
    return LL_OK;
}

/* ---- summary ---- */

static long value_long(const ll_pipeline_ledger *l, ll_pipeline_step s, const char *key)
{
    const char *v = ll_pipeline_ledger_value(l, s, key);
    return v ? strtol(v, NULL, 10) : 0;
}

static void copy_value(const ll_pipeline_ledger *l, ll_pipeline_step s, const char *key, char *dst,
                       size_t len)
{
    const char *v = ll_pipeline_ledger_value(l, s, key);
    if (v) snprintf(dst, len, "%s", v);
}

static void fill_summary(const ll_pipeline_config *c, const ll_pipeline_ledger *l, const int *fresh,
                         ll_pipeline_step failed, const char *failed_id, ll_pipeline_state state,
                         ll_pipeline_summary *sum)
{
    snprintf(sum->model_name, sizeof sum->model_name, "%s", c->model_name);
    snprintf(sum->experiment, sizeof sum->experiment, "%s", c->experiment);
    snprintf(sum->parent_id, sizeof sum->parent_id, "%s", l->parent_id);
    int drift = value_true(l, LL_PIPE_MONITOR, "dataset_drift");
    int with_retrain = drift && (c->retrain_data || l->steps[LL_PIPE_RETRAIN].done);
    sum->nsteps = 0;
    for (int i = 0; i < LL_PIPE_STEP_COUNT; i++) {
        if (i >= LL_PIPE_RETRAIN && !with_retrain && !l->steps[i].done && (int)failed != i)
            continue;
        ll_pipeline_step_result *r = &sum->steps[sum->nsteps++];
        memset(r, 0, sizeof *r);
        r->step = (ll_pipeline_step)i;
        const ll_pipeline_record *rec = &l->steps[i];
        if (rec->done) {
            snprintf(r->status, sizeof r->status, "FINISHED");
            r->reused = !fresh[i];
            snprintf(r->run_id, sizeof r->run_id, "%s", rec->run_id);
            copy_value(l, (ll_pipeline_step)i, "outcome", r->outcome, sizeof r->outcome);
            copy_value(l, (ll_pipeline_step)i, "detail", r->detail, sizeof r->detail);
        } else if ((int)failed == i) {
            snprintf(r->status, sizeof r->status, "%s",
                     sum->error.code == LL_ECANCELLED ? "KILLED" : "FAILED");
            snprintf(r->run_id, sizeof r->run_id, "%s", failed_id);
            snprintf(r->detail, sizeof r->detail, "%.*s", (int)sizeof r->detail - 1,
                     sum->error.msg);
        } else if (rec->failures && state == LL_PIPE_PENDING) {
            /* failed in an earlier invocation and not retried by this one (--step) */
            snprintf(r->status, sizeof r->status, "FAILED");
            r->reused = 1;
            snprintf(r->detail, sizeof r->detail, "%.*s", (int)sizeof r->detail - 1, rec->error);
        } else {
            snprintf(r->status, sizeof r->status, "%s",
                     state == LL_PIPE_PENDING ? "pending" : "skipped");
        }
    }
    sum->candidate_version = value_long(l, LL_PIPE_REGISTER, "model_version");
    sum->retrained_version = value_long(l, LL_PIPE_RETRAIN_REGISTER, "model_version");
    sum->promoted_version = 0;
    const char *o1 = ll_pipeline_ledger_value(l, LL_PIPE_PROMOTE, "outcome");
    const char *o2 = ll_pipeline_ledger_value(l, LL_PIPE_RETRAIN_PROMOTE, "outcome");
    if (o2 && !strcmp(o2, "promoted"))
        sum->promoted_version = sum->retrained_version;
    else if (o1 && !strcmp(o1, "promoted"))
        sum->promoted_version = sum->candidate_version;
    ll_pipeline_step last_promote =
        l->steps[LL_PIPE_RETRAIN_PROMOTE].done ? LL_PIPE_RETRAIN_PROMOTE : LL_PIPE_PROMOTE;
    sum->production_version = value_long(l, last_promote, "production_version");
    sum->dataset_drift = l->steps[LL_PIPE_MONITOR].done ? drift : -1;
    const char *sh = ll_pipeline_ledger_value(l, LL_PIPE_MONITOR, "share_of_drifted_columns");
    sum->drift_share_observed = NAN;
    if (sh) ll_numparse(sh, strlen(sh), &sum->drift_share_observed);
    sum->drift_after_retrain = l->steps[LL_PIPE_RETRAIN_MONITOR].done
                                   ? value_true(l, LL_PIPE_RETRAIN_MONITOR, "dataset_drift")
                                   : -1;
    sum->retrained = l->steps[LL_PIPE_RETRAIN].done;
    copy_value(l, LL_PIPE_RETRAIN, "retrain_reason", sum->retrain_reason,
               sizeof sum->retrain_reason);
    ll_pipeline_step pred =
        l->steps[LL_PIPE_RETRAIN_PREDICT].done ? LL_PIPE_RETRAIN_PREDICT : LL_PIPE_PREDICT;
    ll_pipeline_step mon =
        l->steps[LL_PIPE_RETRAIN_MONITOR].done ? LL_PIPE_RETRAIN_MONITOR : LL_PIPE_MONITOR;
    copy_value(l, pred, "predictions", sum->predictions, sizeof sum->predictions);
    copy_value(l, pred, "marker", sum->marker, sizeof sum->marker);
    sum->rows = l->steps[pred].done ? value_long(l, pred, "rows") : -1;
    copy_value(l, mon, "drift_json", sum->drift_json, sizeof sum->drift_json);
    copy_value(l, mon, "drift_html", sum->drift_html, sizeof sum->drift_html);
}

static const char *state_outcome(ll_pipeline_state st)
{
    return st == LL_PIPE_COMPLETED ? "completed" : st == LL_PIPE_STOPPED ? "stopped" : "partial";
}

/* End the parent after the steps: outcome tags, then the status. */
static ll_status parent_finish(pipe_run *pr, ll_pipeline_summary *sum, ll_run_status status,
                               ll_error *err)
{
    char b[32];
    ll_run_handle *h = pr->parent;
    ll_status s = ll_store_set_tag(h, "lendlab.pipeline_outcome", sum->outcome, err);
    if (!s)
        s = sum->stop_reason[0] ? ll_store_set_tag(h, "lendlab.stop_reason", sum->stop_reason, err)
                                : ll_store_delete_tag(h, "lendlab.stop_reason", err);
    if (!s && sum->failed_step[0]) {
        char buf[1600];
        s = ll_store_set_tag(h, "lendlab.failed_step", sum->failed_step, err);
        if (!s)
            s = ll_store_set_tag(h, "lendlab.error", ll_error_format(&sum->error, buf, sizeof buf),
                                 err);
    } else if (!s) {
        s = ll_store_delete_tag(h, "lendlab.failed_step", err);
        if (!s) s = ll_store_delete_tag(h, "lendlab.error", err);
    }
    if (!s && sum->promoted_version) {
        snprintf(b, sizeof b, "%ld", sum->promoted_version);
        s = ll_store_set_tag(h, "lendlab.promoted_version", b, err);
    }
    if (!s && sum->production_version) {
        snprintf(b, sizeof b, "%ld", sum->production_version);
        s = ll_store_set_tag(h, "lendlab.production_version", b, err);
    }
    if (!s && sum->dataset_drift >= 0)
        s = ll_store_set_tag(h, "lendlab.dataset_drift", sum->dataset_drift ? "true" : "false",
                             err);
    if (!s) s = ll_store_set_tag(h, "lendlab.retrained", sum->retrained ? "true" : "false", err);
    if (!s && sum->retrain_reason[0])
        s = ll_store_set_tag(h, "lendlab.retrain_reason", sum->retrain_reason, err);
    if (!s) {
        /* SCHEDULED (steps left for a later invocation) records no end time */
        pr->parent = NULL;
        s = ll_store_run_end(h, status, err);
    }
    snprintf(sum->status, sizeof sum->status, "%s", ll_run_status_str(status));
    return s;
}

ll_status ll_pipeline_run(const ll_pipeline_config *c, const ll_pipeline_options *opt,
                          ll_pipeline_summary *sum, ll_error *err)
{
    memset(sum, 0, sizeof *sum);
    sum->dataset_drift = sum->drift_after_retrain = -1;
    sum->rows = -1;
    if (!ll_pipeline_valid_date(opt->date))
        return ll_error_set(err, LL_EINVAL, "invalid date '%s' (YYYY-MM-DD)", opt->date);
    snprintf(sum->date, sizeof sum->date, "%s", opt->date);
    pipe_run pr;
    memset(&pr, 0, sizeof pr);
    pr.c = c;
    pr.o = opt;
    ll_status s = ll_store_open(opt->store, 1, &pr.st, err);
    if (s) return s;
    /* one pipeline at a time per store: a second one of the same date waits, then finds the
     * steps done */
    char lockpath[PATH_CAP];
    ll_fsutil_lock lk = {-1};
    if ((s = ll_fsutil_join(lockpath, sizeof lockpath, opt->store, ".lendlab-pipeline.lock",
                            err)) ||
        (s = ll_fsutil_lock_acquire(lockpath, &lk, err))) {
        ll_store_close(pr.st);
        return s;
    }
    ll_pipeline_ledger led;
    memset(&led, 0, sizeof led);
    pr.led = &led;
    int fresh[LL_PIPE_STEP_COUNT] = {0};
    ll_pipeline_step failed = LL_PIPE_STEP_COUNT, next = LL_PIPE_STEP_COUNT;
    ll_pipeline_state state = LL_PIPE_PENDING;
    if ((s = ll_pipeline_ledger_load(pr.st, c->experiment, opt->date, &led, err))) goto out;
    if (led.parent_running) {
        s = ll_error_set(err, LL_ESTATE,
                         "the pipeline of %s is running in another process (run %s)", opt->date,
                         led.parent_id);
        goto out;
    }
    state = ll_pipeline_next(&led, c->retrain_data != NULL, &next, sum->stop_reason,
                             sizeof sum->stop_reason);
    if (state != LL_PIPE_PENDING || (opt->until >= 0 && (int)next > opt->until)) {
        sum->already_done = 1;
        fill_summary(c, &led, fresh, failed, "", state, sum);
        snprintf(sum->outcome, sizeof sum->outcome, "%s", state_outcome(state));
        snprintf(sum->status, sizeof sum->status, "%s",
                 led.parent_id[0] ? ll_run_status_str(led.parent_status) : "");
        for (int i = 0; i < LL_PIPE_STEP_COUNT; i++)
            if (led.steps[i].done)
                progress(&pr, "%s: already done (run %.8s)", step_names[i], led.steps[i].run_id);
        if (state != LL_PIPE_PENDING)
            progress(&pr, "nothing to do: the pipeline of this date is %s", sum->outcome);
        goto out;
    }
    if ((s = parent_open(&pr, err))) goto out;
    progress(&pr, "pipeline run %s (experiment '%s')", pr.parent_id, c->experiment);
    for (int i = 0; i < LL_PIPE_STEP_COUNT; i++)
        if (led.steps[i].done)
            progress(&pr, "%s: already done (run %.8s)", step_names[i], led.steps[i].run_id);
    while (state == LL_PIPE_PENDING && (opt->until < 0 || (int)next <= opt->until)) {
        ll_error serr;
        ll_error_clear(&serr);
        if (run_step(&pr, next, &serr)) {
            failed = next;
            sum->error = serr;
            snprintf(sum->failed_step, sizeof sum->failed_step, "%s", step_names[next]);
            break;
        }
        fresh[next] = 1;
        state = ll_pipeline_next(&led, c->retrain_data != NULL, &next, sum->stop_reason,
                                 sizeof sum->stop_reason);
    }
    ll_run_status ps;
    if (failed != LL_PIPE_STEP_COUNT) {
        int killed = sum->error.code == LL_ECANCELLED;
        snprintf(sum->outcome, sizeof sum->outcome, killed ? "cancelled" : "failed");
        sum->stop_reason[0] = '\0';
        ps = killed ? LL_RUN_KILLED : LL_RUN_FAILED;
    } else {
        snprintf(sum->outcome, sizeof sum->outcome, "%s", state_outcome(state));
        ps = state == LL_PIPE_PENDING ? LL_RUN_SCHEDULED : LL_RUN_FINISHED;
    }
    fill_summary(c, &led, fresh, failed, pr.failed_id, state, sum);
    if (state == LL_PIPE_STOPPED) progress(&pr, "stopped: %s", sum->stop_reason);
    s = parent_finish(&pr, sum, ps, err);
    progress(&pr, "pipeline run %.8s %s (%s)", pr.parent_id, sum->status, sum->outcome);
out:
    if (pr.h) ll_store_run_abandon(pr.h);
    if (pr.parent) ll_store_run_abandon(pr.parent); /* stays RUNNING: DIED once we exit */
    kv_free(pr.vals, pr.nvals);
    ll_pipeline_ledger_clear(&led);
    ll_fsutil_lock_release(&lk);
    ll_store_close(pr.st);
    return s;
}

static cJSON *jstr_or_null(const char *s)
{
    return s && *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *jver(long v)
{
    return v > 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

static cJSON *jtri(int v)
{
    return v < 0 ? cJSON_CreateNull() : cJSON_CreateBool(v);
}

cJSON *ll_pipeline_summary_json(const ll_pipeline_summary *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "date", s->date);
    cJSON_AddStringToObject(o, "experiment", s->experiment);
    cJSON_AddItemToObject(o, "pipeline_run_id", jstr_or_null(s->parent_id));
    cJSON_AddItemToObject(o, "status", jstr_or_null(s->status));
    cJSON_AddStringToObject(o, "outcome", s->outcome);
    cJSON_AddBoolToObject(o, "already_done", s->already_done);
    cJSON_AddItemToObject(o, "stop_reason", jstr_or_null(s->stop_reason));
    if (s->failed_step[0]) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        char buf[1600];
        cJSON_AddStringToObject(e, "step", s->failed_step);
        cJSON_AddStringToObject(e, "message", ll_error_format(&s->error, buf, sizeof buf));
    } else {
        cJSON_AddNullToObject(o, "error");
    }
    cJSON *steps = cJSON_AddArrayToObject(o, "steps");
    for (size_t i = 0; steps && i < s->nsteps; i++) {
        const ll_pipeline_step_result *r = &s->steps[i];
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "step", ll_pipeline_step_name(r->step));
        cJSON_AddStringToObject(e, "status", r->status);
        cJSON_AddBoolToObject(e, "reused", r->reused);
        cJSON_AddItemToObject(e, "run_id", jstr_or_null(r->run_id));
        cJSON_AddItemToObject(e, "outcome", jstr_or_null(r->outcome));
        cJSON_AddItemToObject(e, "detail", jstr_or_null(r->detail));
        cJSON_AddItemToArray(steps, e);
    }
    cJSON *m = cJSON_AddObjectToObject(o, "model");
    if (m) {
        cJSON_AddStringToObject(m, "name", s->model_name);
        cJSON_AddItemToObject(m, "candidate_version", jver(s->candidate_version));
        cJSON_AddItemToObject(m, "retrained_version", jver(s->retrained_version));
        cJSON_AddItemToObject(m, "promoted_version", jver(s->promoted_version));
        cJSON_AddItemToObject(m, "production_version", jver(s->production_version));
    }
    cJSON *d = cJSON_AddObjectToObject(o, "drift");
    if (d) {
        cJSON_AddItemToObject(d, "dataset_drift", jtri(s->dataset_drift));
        if (isfinite(s->drift_share_observed))
            cJSON_AddNumberToObject(d, "share_of_drifted_columns", s->drift_share_observed);
        else
            cJSON_AddNullToObject(d, "share_of_drifted_columns");
        cJSON_AddItemToObject(d, "after_retrain", jtri(s->drift_after_retrain));
    }
    cJSON_AddBoolToObject(o, "retrained", s->retrained);
    cJSON_AddItemToObject(o, "retrain_reason", jstr_or_null(s->retrain_reason));
    cJSON *out = cJSON_AddObjectToObject(o, "outputs");
    if (out) {
        cJSON_AddItemToObject(out, "predictions", jstr_or_null(s->predictions));
        if (s->rows >= 0)
            cJSON_AddNumberToObject(out, "rows", (double)s->rows);
        else
            cJSON_AddNullToObject(out, "rows");
        cJSON_AddItemToObject(out, "marker", jstr_or_null(s->marker));
        cJSON_AddItemToObject(out, "drift_json", jstr_or_null(s->drift_json));
        cJSON_AddItemToObject(out, "drift_html", jstr_or_null(s->drift_html));
    }
    return o;
}

/* ------------------------------------------------------------------ schedule and export */

/* Paths go into crontab, shell, systemd and Python text: refuse what any of them would
 * reinterpret instead of escaping it four ways. */
static ll_status check_path(const char *what, const char *p, ll_error *err)
{
    if (!p || p[0] != '/') return ll_error_set(err, LL_EINVAL, "%s must be an absolute path", what);
    for (const unsigned char *q = (const unsigned char *)p; *q; q++)
        if (*q < 0x20 || *q == 0x7f || *q == '\'' || *q == '"' || *q == '\\' || *q == '$' ||
            *q == '`')
            return ll_error_set(err, LL_EINVAL,
                                "%s '%s' holds a character a scheduler would reinterpret "
                                "(quote, backslash, '$', '`' or a control character)",
                                what, p);
    return LL_OK;
}

static int shell_safe(const char *p)
{
    for (const char *q = p; *q; q++)
        if (!isalnum((unsigned char)*q) && !strchr("/._-+,:=@%", *q)) return 0;
    return 1;
}

/* p for a shell, quoted with qc when it needs quoting, every '%' written as pct. */
static void put_shell(FILE *f, const char *p, char qc, const char *pct)
{
    int q = !shell_safe(p);
    if (q) fputc(qc, f);
    for (const char *s = p; *s; s++) {
        if (*s == '%')
            fputs(pct, f);
        else
            fputc(*s, f);
    }
    if (q) fputc(qc, f);
}

static void unit_name(const ll_pipeline_config *c, char *buf, size_t len)
{
    char n[200];
    size_t o = 0;
    for (const char *s = c->model_name; *s && o + 1 < sizeof n; s++)
        n[o++] = isalnum((unsigned char)*s) || *s == '_' || *s == '-' ? *s : '-';
    n[o] = '\0';
    snprintf(buf, len, "lendlab-pipeline-%s", n);
}

/* The pipeline command line; pct is how '%' is written, qc the quote character. */
static void put_command(FILE *f, const char *exe, const char *store, const char *config, char qc,
                        const char *pct)
{
    put_shell(f, exe, qc, pct);
    fputs(" --store ", f);
    put_shell(f, store, qc, pct);
    fputs(" --batch pipeline run --config ", f);
    put_shell(f, config, qc, pct);
}

ll_status ll_pipeline_schedule_text(const ll_pipeline_config *c, const char *exe, const char *store,
                                    ll_pipeline_period period, int hour, int minute, char **text,
                                    ll_error *err)
{
    *text = NULL;
    ll_status s;
    if ((s = check_path("the lendlab executable", exe, err)) ||
        (s = check_path("the store", store, err)) || (s = check_path("the config", c->path, err)))
        return s;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59)
        return ll_error_set(err, LL_EINVAL, "invalid time %02d:%02d", hour, minute);
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    if (!f) return ll_error_set(err, LL_ENOMEM, "out of memory");
    char unit[256];
    unit_name(c, unit, sizeof unit);
    int daily = period == LL_PIPE_DAILY;
    char when[64];
    if (daily)
        snprintf(when, sizeof when, "daily at %02d:%02d", hour, minute);
    else
        snprintf(when, sizeof when, "hourly at minute %02d", minute);
    fprintf(f,
            "# lendlab pipeline of %s, %s; every run of a day after the first one that\n"
            "# completed does nothing, and a failed run is resumed at its failed step.\n\n",
            c->model_name, when);
    /* cron turns an unescaped % into a newline */
    fprintf(f, "# ---- crontab line (crontab -e) ----\n");
    if (daily)
        fprintf(f, "%d %d * * * ", minute, hour);
    else
        fprintf(f, "%d * * * * ", minute);
    put_command(f, exe, store, c->path, '\'', "\\%");
    fputs(" --date \"$(date +\\%F)\"\n\n", f);
    /* systemd expands %-specifiers and $VARIABLES in ExecStart=: both are doubled */
    fprintf(f, "# ---- %s.service (/etc/systemd/system/ or ~/.config/systemd/user/) ----\n", unit);
    fprintf(f,
            "[Unit]\n"
            "Description=lendlab pipeline of %s\n"
            "After=network-online.target\n\n"
            "[Service]\n"
            "Type=oneshot\n"
            "ExecStart=/bin/sh -c 'exec ",
            c->model_name);
    put_command(f, exe, store, c->path, '"', "%%");
    fputs(" --date \"$$(date +%%F)\"'\n\n", f);
    fprintf(f, "# ---- %s.timer ----\n", unit);
    fprintf(f,
            "[Unit]\n"
            "Description=Run the lendlab pipeline of %s %s\n\n"
            "[Timer]\n",
            c->model_name, when);
    if (daily)
        fprintf(f, "OnCalendar=*-*-* %02d:%02d:00\n", hour, minute);
    else
        fprintf(f, "OnCalendar=*-*-* *:%02d:00\n", minute);
    fprintf(f,
            "Persistent=true\n"
            "Unit=%s.service\n\n"
            "[Install]\n"
            "WantedBy=timers.target\n",
            unit);
    if (fclose(f)) {
        free(*text);
        *text = NULL;
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    return LL_OK;
}

/* A Python string literal. */
static void put_py(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        if (*q == '"' || *q == '\\')
            fprintf(f, "\\%c", *q);
        else if (*q < 0x20)
            fprintf(f, "\\x%02x", *q);
        else
            fputc(*q, f);
    }
    fputc('"', f);
}

ll_status ll_pipeline_airflow_text(const ll_pipeline_config *c, const char *exe, const char *store,
                                   ll_pipeline_period period, int hour, int minute, char **text,
                                   ll_error *err)
{
    *text = NULL;
    ll_status s;
    if ((s = check_path("the lendlab executable", exe, err)) ||
        (s = check_path("the store", store, err)) || (s = check_path("the config", c->path, err)) ||
        (s = check_path("the output directory", c->output_dir, err)))
        return s;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59)
        return ll_error_set(err, LL_EINVAL, "invalid time %02d:%02d", hour, minute);
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    if (!f) return ll_error_set(err, LL_ENOMEM, "out of memory");
    char dag_id[256];
    unit_name(c, dag_id, sizeof dag_id);
    for (char *q = dag_id; *q; q++)
        if (*q == '-') *q = '_';
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    fprintf(f,
            "\"\"\"Airflow DAG running the lendlab pipeline of %s, one task per step.\n"
            "\n"
            "Written by `lendlab --batch pipeline export --airflow`. Every task runs\n"
            "`lendlab --batch pipeline run --step STEP` for the DAG run's logical date: the\n"
            "steps already done for that date are not repeated, so retrying a task or\n"
            "clearing the DAG run is safe. After the monitor step the branch reads the drift\n"
            "report and follows the retrain steps only on dataset drift. See lendlab-pipeline(1).\n"
            "\"\"\"\n\n",
            c->model_name);
    fputs("import json\n"
          "import os\n"
          "import shlex\n"
          "from datetime import datetime, timedelta\n\n"
          "from airflow import DAG\n\n"
          "try:  # Airflow 3\n"
          "    from airflow.providers.standard.operators.bash import BashOperator\n"
          "    from airflow.providers.standard.operators.empty import EmptyOperator\n"
          "    from airflow.providers.standard.operators.python import BranchPythonOperator\n"
          "except ImportError:  # Airflow 2\n"
          "    from airflow.operators.bash import BashOperator\n"
          "    from airflow.operators.empty import EmptyOperator\n"
          "    from airflow.operators.python import BranchPythonOperator\n\n",
          f);
    fputs("LENDLAB = ", f);
    put_py(f, exe);
    fputs("\nSTORE = ", f);
    put_py(f, store);
    fputs("\nCONFIG = ", f);
    put_py(f, c->path);
    fputs("\nOUTPUT_DIR = ", f);
    put_py(f, c->output_dir);
    fputs("\n\n\n", f);
    fputs(
        "def step(name):\n"
        "    \"\"\"A task running one pipeline step (exit 3: dataset drift left "
        "unresolved).\"\"\"\n"
        "    return BashOperator(\n"
        "        task_id=name.replace(\"-\", \"_\"),\n"
        "        bash_command=(\n"
        "            f\"{shlex.quote(LENDLAB)} --store {shlex.quote(STORE)} --batch pipeline run "
        "\"\n"
        "            f\"--config {shlex.quote(CONFIG)} --date {{{{ ds }}}} --step {name}\"\n"
        "        ),\n"
        "    )\n\n\n"
        "def drift_branch(ds, **_):\n"
        "    \"\"\"Follow the retrain steps when the monitor step found dataset drift.\"\"\"\n"
        "    with open(os.path.join(OUTPUT_DIR, f\"drift_{ds}.json\"), encoding=\"utf-8\") as f:\n"
        "        drifted = json.load(f).get(\"dataset_drift\")\n"
        "    return \"retrain\" if drifted else \"no_drift\"\n\n\n",
        f);
    fputs("with DAG(\n    dag_id=", f);
    put_py(f, dag_id);
    fputs(",\n    description=", f);
    char desc[400];
    snprintf(desc, sizeof desc, "lendlab pipeline of %s", c->model_name);
    put_py(f, desc);
    if (period == LL_PIPE_DAILY)
        fprintf(f, ",\n    schedule=\"%d %d * * *\",\n", minute, hour);
    else
        fprintf(f, ",\n    schedule=\"%d * * * *\",\n", minute);
    fprintf(f,
            "    start_date=datetime(%d, %d, %d),\n"
            "    catchup=False,\n"
            "    max_active_runs=1,\n"
            "    default_args={\"retries\": 1, \"retry_delay\": timedelta(minutes=5)},\n"
            "    tags=[\"lendlab\"],\n"
            ") as dag:\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    fputs("    train = step(\"train\")\n"
          "    register = step(\"register\")\n"
          "    promote = step(\"promote\")\n"
          "    predict = step(\"predict\")\n"
          "    monitor = step(\"monitor\")\n"
          "    retrain_on_drift = BranchPythonOperator(\n"
          "        task_id=\"retrain_on_drift\", python_callable=drift_branch\n"
          "    )\n"
          "    no_drift = EmptyOperator(task_id=\"no_drift\")\n"
          "    retrain = step(\"retrain\")\n"
          "    retrain_register = step(\"retrain-register\")\n"
          "    retrain_promote = step(\"retrain-promote\")\n"
          "    retrain_predict = step(\"retrain-predict\")\n"
          "    retrain_monitor = step(\"retrain-monitor\")\n\n"
          "    train >> register >> promote >> predict >> monitor >> retrain_on_drift\n"
          "    retrain_on_drift >> [retrain, no_drift]\n"
          "    retrain >> retrain_register >> retrain_promote >> retrain_predict >> "
          "retrain_monitor\n",
          f);
    if (fclose(f)) {
        free(*text);
        *text = NULL;
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    return LL_OK;
}
