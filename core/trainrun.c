/* trainrun: one tracked training job — read, split, fit with progress, evaluate, record the run
 * in the store (params, per-step metrics, artifacts) and register it. */
#include "trainrun.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "fetch.h"
#include "forest.h"
#include "fsutil.h"
#include "numfmt.h"
#include "prep.h"
#include "registry.h"
#include "sha256.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static cJSON *jnum(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

/* ---- checking ---------------------------------------------------------------------------- */

static ll_status bad(ll_trainrun_field *field, ll_trainrun_field f, ll_error *err, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
static ll_status bad(ll_trainrun_field *field, ll_trainrun_field f, ll_error *err, const char *fmt,
                     ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field) *field = f;
    return ll_error_set(err, LL_EINVAL, "%s", msg);
}

ll_status ll_trainrun_check(ll_trainrun_cfg *c, ll_trainrun_field *field, ll_error *err)
{
    if (field) *field = LL_TRAINRUN_F_NONE;
    if (!c->data || !*c->data) return bad(field, LL_TRAINRUN_F_DATA, err, "no data file given");
    if (!c->target || !*c->target)
        return bad(field, LL_TRAINRUN_F_TARGET, err, "no target column given");
    if (c->seed < 0)
        return bad(field, LL_TRAINRUN_F_SEED, err, "seed must be a non-negative integer");
    if (!isnan(ll_model_params_get(&c->params, "seed")) &&
        !ll_model_params_is_set(&c->params, "seed")) {
        char sb[32];
        snprintf(sb, sizeof sb, "%ld", c->seed);
        ll_error e;
        ll_error_clear(&e);
        if (ll_model_params_set(&c->params, "seed", sb, &e))
            return bad(field, LL_TRAINRUN_F_SEED, err, "%s", e.msg);
        /* still "not set explicitly": a later seed change carries over */
        int n;
        const ll_param_spec *s = ll_model_param_specs(c->params.kind, &n);
        for (int i = 0; i < n; i++)
            if (!strcmp(s[i].name, "seed")) c->params.set[i] = 0;
    }
    ll_error e;
    ll_error_clear(&e);
    if (ll_model_params_check(&c->params, &e))
        return bad(field, LL_TRAINRUN_F_PARAMS, err, "%s", e.msg);
    if (!c->test_path && !(c->test_fraction > 0 && c->test_fraction < 1))
        return bad(field, LL_TRAINRUN_F_TEST_FRACTION, err, "test fraction must be in (0, 1)");
    if (c->experiment && !*c->experiment)
        return bad(field, LL_TRAINRUN_F_EXPERIMENT, err, "the experiment needs a name");
    if (c->reg_name && !*c->reg_name) c->reg_name = NULL;
    if (c->alias && !*c->alias) c->alias = NULL;
    if (c->alias && !c->reg_name)
        return bad(field, LL_TRAINRUN_F_ALIAS, err, "an alias needs a model name to register");
    if ((c->reg_name || c->alias) && !c->track)
        return bad(field, LL_TRAINRUN_F_REGISTER, err, "registering needs a tracked run");
    if (c->reg_name && !ll_registry_valid_name(c->reg_name))
        return bad(field, LL_TRAINRUN_F_REGISTER, err, "invalid model name '%s'", c->reg_name);
    if (c->alias && !ll_registry_valid_alias(c->alias))
        return bad(field, LL_TRAINRUN_F_ALIAS, err,
                   "invalid alias '%s' (letters, digits, '_' and '-'; not 'latest' nor "
                   "v<number>)",
                   c->alias);
    return LL_OK;
}

/* ---- data fingerprints ------------------------------------------------------------------- */

/* A CSV source as the run records it: the bytes' SHA-256 and, for standard input (readable
 * only once), the spooled copy that is parsed instead. */
typedef struct {
    const char *given;     /* path, URL or "-" as given */
    const char *read_path; /* what ll_csv_read_table reads */
    char spool[4096];      /* temporary copy of standard input, "" when none */
    char sha[LL_SHA256_HEX];
} source;

static ll_status spool_stdin(source *s, const volatile int *cancel, ll_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(s->spool, sizeof s->spool, "%s/lendlab-train-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(s->spool);
    if (fd < 0) {
        ll_status st = ll_error_set(err, LL_EIO, "%s: cannot create a temporary file: %s", s->spool,
                                    strerror(errno));
        s->spool[0] = '\0';
        return st;
    }
    enum { CHUNK = 1 << 20 };
    char *buf = malloc(CHUNK);
    if (!buf) {
        close(fd);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    ll_sha256 c;
    ll_sha256_init(&c);
    ll_status st = LL_OK;
    for (;;) {
        if (cancel && *cancel) {
            st = ll_error_set(err, LL_ECANCELLED, "cancelled while reading standard input");
            break;
        }
        size_t n = fread(buf, 1, CHUNK, stdin);
        if (n == 0) {
            if (ferror(stdin)) st = ll_error_set(err, LL_EIO, "reading standard input failed");
            break;
        }
        ll_sha256_update(&c, buf, n);
        for (size_t off = 0; off < n && !st;) {
            ssize_t w = write(fd, buf + off, n - off);
            if (w < 0)
                st = ll_error_set(err, LL_EIO, "%s: %s", s->spool, strerror(errno));
            else
                off += (size_t)w;
        }
        if (st) break;
    }
    free(buf);
    if (close(fd) && !st) st = ll_error_set(err, LL_EIO, "%s: %s", s->spool, strerror(errno));
    if (!st) {
        uint8_t d[LL_SHA256_SIZE];
        ll_sha256_final(&c, d);
        ll_sha256_hex(d, s->sha);
        s->read_path = s->spool;
    }
    return st;
}

/* Set up a source; standard input is spooled (and hashed) when the run is tracked. */
static ll_status source_open(source *s, const char *given, int track, const volatile int *cancel,
                             ll_error *err)
{
    memset(s, 0, sizeof *s);
    s->given = s->read_path = given;
    if (track && !strcmp(given, "-")) return spool_stdin(s, cancel, err);
    return LL_OK;
}

/* SHA-256 of the bytes ll_csv_read_table read (a URL's are in the fetch cache). */
static ll_status source_hash(source *s, const volatile int *cancel, ll_error *err)
{
    if (s->sha[0]) return LL_OK;
    char cached[4096];
    const char *path = s->read_path;
    if (ll_fetch_is_url(path)) {
        ll_fetch_options fo;
        memset(&fo, 0, sizeof fo);
        ll_status st = ll_fetch_cache_path(path, &fo, cached, sizeof cached, err);
        if (st) return st;
        path = cached;
    }
    return ll_sha256_file(path, s->sha, cancel, err);
}

/* Errors about the spooled copy name standard input, as an unspooled read would. */
static void source_fix_error(const source *s, ll_error *err)
{
    if (s->spool[0] && !strcmp(err->file, s->spool))
        snprintf(err->file, sizeof err->file, "<stdin>");
}

static void source_close(source *s)
{
    if (s->spool[0]) unlink(s->spool);
    s->spool[0] = '\0';
}

/* ---- the job's state --------------------------------------------------------------------- */

typedef struct {
    const ll_trainrun_cfg *c;
    ll_trainrun_fn cb;
    void *ud;
    const volatile int *cancel;
    ll_store *st;
    ll_run_handle *run;   /* while the run is open */
    ll_status log_status; /* first failure to log a metric; it stops the fit */
    ll_error log_err;
} job;

static void stage(job *j, ll_trainrun_stage s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stage(job *j, ll_trainrun_stage s, const char *fmt, ...)
{
    if (!j->cb) return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ll_trainrun_event ev = {.kind = LL_TRAINRUN_EV_STAGE, .stage = s, .message = msg};
    j->cb(&ev, j->ud);
}

static ll_status log_param(job *j, const char *key, const char *value, ll_error *err)
{
    return j->run ? ll_store_log_param(j->run, key, value, err) : LL_OK;
}

static ll_status log_param_num(job *j, const char *key, double v, ll_error *err)
{
    char buf[64];
    return log_param(j, key, ll_numfmt_double(v, buf, sizeof buf), err);
}

/* Every hyper-parameter, defaults included. A learner's own "seed" is logged as learner_seed:
 * "seed" is the seed of the splits, which every kind has. */
static ll_status log_hyper_params(job *j, const ll_model_params *params, ll_error *err)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(params->kind, &n);
    for (int i = 0; i < n; i++) {
        char vb[64];
        const char *key = strcmp(s[i].name, "seed") ? s[i].name : "learner_seed";
        ll_status st =
            log_param(j, key, ll_model_param_text(&s[i], params->value[i], vb, sizeof vb), err);
        if (st) return st;
    }
    return LL_OK;
}

/* A data file as recorded: absolute when it is a local file. */
static ll_status log_file_param(job *j, const char *key, const char *given, ll_error *err)
{
    char abs[PATH_MAX];
    if (strcmp(given, "-") && !ll_fetch_is_url(given) && realpath(given, abs))
        return log_param(j, key, abs, err);
    return log_param(j, key, given, err);
}

/* Learner progress: the per-iteration metrics go to the run (every iteration), then to the
 * caller. */
static int on_fit(const ll_fit_progress *p, void *ud)
{
    job *j = ud;
    if (j->cancel && *j->cancel) return 1;
    if (j->run) {
        const struct {
            const char *key;
            double v;
        } m[] = {{"train_logloss", p->train_logloss},
                 {"train_auc", p->train_auc},
                 {"valid_logloss", p->valid_logloss},
                 {"valid_auc", p->valid_auc}};
        for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
            if (!isfinite(m[i].v)) continue;
            ll_status s = ll_store_log_metric(j->run, m[i].key, m[i].v, p->iteration, &j->log_err);
            if (s) {
                j->log_status = s;
                return 1;
            }
        }
    }
    if (j->cb) {
        ll_trainrun_event ev = {.kind = LL_TRAINRUN_EV_FIT, .stage = LL_TRAINRUN_FIT, .fit = p};
        if (j->cb(&ev, j->ud)) return 1;
    }
    return 0;
}

static int cmp_imp(const void *a, const void *b)
{
    const ll_trainrun_importance *x = a, *y = b;
    if (x->value != y->value) return x->value > y->value ? -1 : 1;
    return strcmp(x->name, y->name);
}

static ll_status write_predictions(const char *path, const ll_model *m, const double *p, size_t n,
                                   ll_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return ll_error_set(err, LL_ENOMEM, "out of memory");
    const ll_prep *pp = ll_model_prep(m);
    fputs("probability,label\n", f);
    for (size_t i = 0; i < n; i++) {
        char num[64];
        const char *lab = p[i] >= 0.5 ? ll_prep_positive_label(pp) : ll_prep_negative_label(pp);
        fprintf(f, "%s,", ll_numfmt_double(p[i], num, sizeof num));
        if (strpbrk(lab, ",\"\r\n")) {
            fputc('"', f);
            for (const char *c = lab; *c; c++) {
                if (*c == '"') fputc('"', f);
                fputc(*c, f);
            }
            fputs("\"\n", f);
        } else {
            fprintf(f, "%s\n", lab);
        }
    }
    if (fclose(f)) {
        free(buf);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    ll_status st = ll_fsutil_write_atomic(path, buf, len, NULL, err);
    free(buf);
    return st;
}

/* ---- results ----------------------------------------------------------------------------- */

cJSON *ll_trainrun_metrics_json(const ll_trainrun_result *r)
{
    const ll_metrics *mt = &r->mt;
    cJSON *met = cJSON_CreateObject();
    if (!met) return NULL;
    cJSON_AddItemToObject(met, "auc", jnum(mt->auc));
    cJSON_AddItemToObject(met, "pr_auc", jnum(mt->pr_auc));
    cJSON_AddItemToObject(met, "logloss", jnum(mt->logloss));
    cJSON_AddItemToObject(met, "ks", jnum(mt->ks));
    cJSON_AddItemToObject(met, "gini", jnum(mt->gini));
    cJSON_AddItemToObject(met, "brier", jnum(mt->brier));
    cJSON_AddItemToObject(met, "accuracy", jnum(mt->at.accuracy));
    cJSON_AddItemToObject(met, "precision", jnum(mt->at.precision));
    cJSON_AddItemToObject(met, "recall", jnum(mt->at.recall));
    cJSON_AddItemToObject(met, "f1", jnum(mt->at.f1));
    cJSON_AddItemToObject(met, "f1_best", jnum(mt->f1_best));
    cJSON_AddItemToObject(met, "threshold_best", jnum(mt->f1_best_threshold));
    cJSON_AddItemToObject(met, "accuracy_best", jnum(r->best.accuracy));
    cJSON_AddItemToObject(met, "precision_best", jnum(r->best.precision));
    cJSON_AddItemToObject(met, "recall_best", jnum(r->best.recall));
    return met;
}

/* The final metrics logged at step 0 (undefined ones, NaN, are not logged). */
static ll_status log_final_metrics(job *j, const ll_trainrun_result *r, ll_error *err)
{
    const ll_metrics *mt = &r->mt;
    const struct {
        const char *key;
        double v;
    } m[] = {{"auc", mt->auc},
             {"pr_auc", mt->pr_auc},
             {"ks", mt->ks},
             {"gini", mt->gini},
             {"logloss", mt->logloss},
             {"brier", mt->brier},
             {"accuracy", mt->at.accuracy},
             {"precision", mt->at.precision},
             {"recall", mt->at.recall},
             {"f1", mt->at.f1},
             {"f1_best", mt->f1_best},
             {"threshold_best", mt->f1_best_threshold},
             {"accuracy_best", r->best.accuracy},
             {"precision_best", r->best.precision},
             {"recall_best", r->best.recall},
             {"oob_auc", r->oob_auc},
             {"fit_seconds", r->fit_s}};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
        if (!isfinite(m[i].v)) continue;
        ll_status st = ll_store_log_metric(j->run, m[i].key, m[i].v, 0, err);
        if (st) return st;
    }
    return LL_OK;
}

static ll_status write_json_file(const job *j, const char *dir, const char *name, cJSON *o,
                                 ll_error *err)
{
    char *text = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!text) return ll_error_set(err, LL_ENOMEM, "out of memory");
    size_t len = strlen(text);
    char *t2 = realloc(text, len + 2);
    if (!t2) {
        free(text);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    t2[len++] = '\n';
    t2[len] = '\0';
    char path[4096];
    ll_status st = ll_fsutil_join(path, sizeof path, dir, name, err);
    if (!st) st = ll_store_write_file(j->st, path, t2, len, err);
    free(t2);
    return st;
}

static cJSON *confusion_json(const ll_confusion *c)
{
    if (isnan(c->threshold)) return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddItemToObject(o, "threshold", jnum(c->threshold));
    cJSON_AddItemToObject(o, "tn", jnum(c->tn));
    cJSON_AddItemToObject(o, "fp", jnum(c->fp));
    cJSON_AddItemToObject(o, "fn", jnum(c->fn));
    cJSON_AddItemToObject(o, "tp", jnum(c->tp));
    cJSON_AddItemToObject(o, "accuracy", jnum(c->accuracy));
    cJSON_AddItemToObject(o, "precision", jnum(c->precision));
    cJSON_AddItemToObject(o, "recall", jnum(c->recall));
    cJSON_AddItemToObject(o, "f1", jnum(c->f1));
    return o;
}

static cJSON *number_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) cJSON_AddItemToArray(a, jnum(v[i]));
    return a;
}

/* roc_curve.json, calibration.json, feature_importance.json, confusion_matrix.json and
 * metrics.json in the run's artifacts/. The curve and the table need both classes (rows):
 * without them those two files are left out. */
static ll_status write_artifacts(job *j, const ll_model *model, const ll_trainrun_result *r,
                                 const double *y, const double *prob, ll_error *err)
{
    char dir[4096];
    ll_status st = ll_store_run_artifact_dir(j->run, NULL, dir, sizeof dir, err);
    if (st) return st;
    size_t n = r->ntest;

    if (r->roc_n) {
        cJSON *o = cJSON_CreateObject();
        if (o) {
            cJSON_AddItemToObject(o, "auc", jnum(r->mt.auc));
            cJSON_AddItemToObject(o, "points", jnum((double)r->roc_n));
            cJSON_AddItemToObject(o, "fpr", number_array(r->roc_fpr, r->roc_n));
            cJSON_AddItemToObject(o, "tpr", number_array(r->roc_tpr, r->roc_n));
            cJSON_AddItemToObject(o, "threshold", number_array(r->roc_thr, r->roc_n));
        }
        if ((st = write_json_file(j, dir, "roc_curve.json", o, err))) return st;
    }

    ll_calib_bin bins[LL_METRICS_DECILES];
    if (ll_metrics_calibration(y, prob, n, NULL, LL_METRICS_DECILES, bins, NULL) == LL_OK) {
        cJSON *o = cJSON_CreateObject(), *a = o ? cJSON_AddArrayToObject(o, "bins") : NULL;
        for (int i = 0; a && i < LL_METRICS_DECILES; i++) {
            cJSON *b = cJSON_CreateObject();
            if (!b) break;
            cJSON_AddItemToObject(b, "n", jnum((double)bins[i].n));
            cJSON_AddItemToObject(b, "p_mean", jnum(bins[i].p_mean));
            cJSON_AddItemToObject(b, "y_rate", jnum(bins[i].y_rate));
            cJSON_AddItemToObject(b, "p_min", jnum(bins[i].p_min));
            cJSON_AddItemToObject(b, "p_max", jnum(bins[i].p_max));
            cJSON_AddItemToArray(a, b);
        }
        if ((st = write_json_file(j, dir, "calibration.json", o, err))) return st;
    }

    static const char *const imp_type[] = {"abs_standardised_coefficient", "impurity_decrease",
                                           "total_gain"};
    cJSON *o = cJSON_CreateObject(), *a = NULL;
    if (o) {
        cJSON_AddStringToObject(o, "type", imp_type[ll_model_kind_of(model)]);
        a = cJSON_AddArrayToObject(o, "features");
    }
    for (int i = 0; a && i < r->nf; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "feature", r->imp[i].name);
        cJSON_AddItemToObject(e, "gain", jnum(r->imp[i].value));
        cJSON_AddItemToArray(a, e);
    }
    if ((st = write_json_file(j, dir, "feature_importance.json", o, err))) return st;

    const ll_prep *pp = ll_model_prep(model);
    o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "positive_label", ll_prep_positive_label(pp));
        cJSON_AddStringToObject(o, "negative_label", ll_prep_negative_label(pp));
        cJSON_AddItemToObject(o, "at_0.5", confusion_json(&r->mt.at));
        cJSON_AddItemToObject(o, "at_f1_best", confusion_json(&r->best));
    }
    if ((st = write_json_file(j, dir, "confusion_matrix.json", o, err))) return st;

    o = ll_trainrun_metrics_json(r);
    if (o) {
        if (ll_model_kind_of(model) == LL_MODEL_FOREST)
            cJSON_AddItemToObject(o, "oob_auc", jnum(r->oob_auc));
        cJSON_AddItemToObject(o, "fit_seconds", jnum(r->fit_s));
    }
    return write_json_file(j, dir, "metrics.json", o, err);
}

/* ---- tracking ---------------------------------------------------------------------------- */

/* Open the store and begin the run with the parameters known before reading any data. */
static ll_status track_begin(job *j, ll_trainrun_result *r, ll_error *err)
{
    const ll_trainrun_cfg *c = j->c;
    ll_status st = ll_store_open(c->store ? c->store : "mlruns", 1, &j->st, err);
    if (st) return st;
    const char *kind = ll_model_kind_name(c->params.kind);
    char name[256];
    if (c->run_name) {
        snprintf(name, sizeof name, "%s", c->run_name);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        char ts[32];
        localtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
        snprintf(name, sizeof name, "%s-%s", kind, ts);
    }
    if ((st = ll_store_run_begin(j->st, c->experiment, name,
                                 c->source ? c->source : "lendlab train", &j->run, err)))
        return st;
    snprintf(r->run_id, sizeof r->run_id, "%s", ll_store_run_id(j->run));
    if (j->cb) {
        ll_trainrun_event ev = {
            .kind = LL_TRAINRUN_EV_RUN, .stage = LL_TRAINRUN_BEGIN, .run_id = r->run_id};
        j->cb(&ev, j->ud);
    }
    char sb[32];
    snprintf(sb, sizeof sb, "%ld", c->seed);
    if ((st = log_param(j, "model", kind, err)) || (st = log_param(j, "target", c->target, err)) ||
        (st = log_file_param(j, "train_file", c->data, err)) ||
        (st = log_param(j, "seed", sb, err)))
        return st;
    if (c->test_path)
        st = log_file_param(j, "test_file", c->test_path, err);
    else
        st = log_param_num(j, "test_fraction", c->test_fraction, err);
    if (!st) st = log_hyper_params(j, &c->params, err);
    return st;
}

/* End the run of a failed job: KILLED when cancelled, else FAILED with the error in tag
 * lendlab.error. */
static void track_abort(job *j, const ll_error *cause, ll_trainrun_result *r)
{
    int killed = cause->code == LL_ECANCELLED || (j->cancel && *j->cancel);
    r->aborted = 1;
    r->status = killed ? LL_RUN_KILLED : LL_RUN_FAILED;
    if (!killed) {
        char buf[1600];
        if (ll_store_set_tag(j->run, "lendlab.error", ll_error_format(cause, buf, sizeof buf),
                             &r->tag_err))
            r->tag_failed = 1;
    }
    if (ll_store_run_end(j->run, r->status, &r->end_err)) r->end_failed = 1;
    j->run = NULL;
}

/* ---- the job ----------------------------------------------------------------------------- */

ll_status ll_trainrun_run(const ll_trainrun_cfg *cfg, ll_trainrun_fn cb, void *ud,
                          const volatile int *cancel, ll_trainrun_result *r, ll_error *err)
{
    memset(r, 0, sizeof *r);
    r->oob_auc = NAN;
    ll_trainrun_cfg cc = *cfg;
    ll_status chk = ll_trainrun_check(&cc, NULL, err);
    if (chk) return chk;
    const ll_trainrun_cfg *c = &cc;
    job j;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.cb = cb;
    j.ud = ud;
    j.cancel = cancel;
    ll_csv_options copt = {0};
    copt.cancel = cancel;
    ll_table *all = NULL, *train = NULL, *test = NULL, *fit_part = NULL, *valid = NULL;
    double *prob = NULL, *y = NULL;
    const char **names = NULL;
    double *vals = NULL;
    source sdata, stest;
    memset(&sdata, 0, sizeof sdata);
    memset(&stest, 0, sizeof stest);
    char num[64];
    const char *kind = ll_model_kind_name(c->params.kind);

    if (c->track) {
        stage(&j, LL_TRAINRUN_BEGIN, "recording the run in %s", c->store ? c->store : "mlruns");
        if (track_begin(&j, r, err)) goto failed;
    }
    if (source_open(&sdata, c->data, c->track, cancel, err)) goto failed;
    stage(&j, LL_TRAINRUN_READ, "reading %s", c->data);
    if (ll_csv_read_table(sdata.read_path, &copt, &all, NULL, err)) {
        source_fix_error(&sdata, err);
        goto failed;
    }
    if (c->track) {
        if (source_hash(&sdata, cancel, err) || log_param(&j, "data_sha256", sdata.sha, err) ||
            log_param_num(&j, "rows", (double)all->nrows, err))
            goto failed;
    }
    if (c->test_path) {
        if (source_open(&stest, c->test_path, c->track, cancel, err)) goto failed;
        stage(&j, LL_TRAINRUN_READ, "reading %s", c->test_path);
        if (ll_csv_read_table(stest.read_path, &copt, &test, NULL, err)) {
            source_fix_error(&stest, err);
            goto failed;
        }
        if (c->track &&
            (source_hash(&stest, cancel, err) || log_param(&j, "test_sha256", stest.sha, err)))
            goto failed;
        train = all;
        all = NULL;
    } else {
        stage(&j, LL_TRAINRUN_SPLIT, "holding out %s of the rows for testing",
              ll_numfmt_double(c->test_fraction, num, sizeof num));
        if (c->track) {
            /* the test rows are a function of the data, the fraction and the seed */
            char key[160], hex[LL_SHA256_HEX];
            snprintf(key, sizeof key, "%s:%s:%ld", sdata.sha,
                     ll_numfmt_double(c->test_fraction, num, sizeof num), c->seed);
            if (log_param(&j, "test_sha256", ll_sha256_buf(key, strlen(key), hex), err))
                goto failed;
        }
        if (ll_prep_split(all, c->target, c->test_fraction, (unsigned long)c->seed, &train, &test,
                          err))
            goto failed;
        ll_table_free(all);
        all = NULL;
    }
    source_close(&sdata);
    source_close(&stest);
    /* early stopping watches a part carved from the training rows, never the test rows */
    double esr = ll_model_params_get(&c->params, "early_stopping_rounds");
    if (!isnan(esr) && esr > 0) {
        stage(&j, LL_TRAINRUN_SPLIT, "holding out 10%% of the training rows for early stopping");
        if (ll_prep_split(train, c->target, 0.1, (unsigned long)c->seed + 1, &fit_part, &valid,
                          err))
            goto failed;
    }
    const ll_table *fit_on = fit_part ? fit_part : train;
    r->ntrain = fit_on->nrows;
    r->nvalid = valid ? valid->nrows : 0;
    r->ntest = test->nrows;
    if (c->track && (log_param_num(&j, "rows_train", (double)r->ntrain, err) ||
                     log_param_num(&j, "rows_test", (double)r->ntest, err) ||
                     (r->nvalid && log_param_num(&j, "rows_valid", (double)r->nvalid, err))))
        goto failed;
    stage(&j, LL_TRAINRUN_FIT, "fitting %s on %zu rows", kind, fit_on->nrows);
    double t0 = now_s();
    if (ll_model_fit(c->params.kind, &c->params, fit_on, valid, c->target, c->positive, on_fit, &j,
                     cancel, &r->model, err)) {
        if (j.log_status) *err = j.log_err; /* the store failed, not the learner */
        goto failed;
    }
    r->fit_s = now_s() - t0;
    ll_table_free(fit_part);
    ll_table_free(valid);
    ll_table_free(train);
    fit_part = valid = train = NULL;
    if (c->track && log_param(&j, "positive", ll_prep_positive_label(ll_model_prep(r->model)), err))
        goto failed;

    stage(&j, LL_TRAINRUN_EVALUATE, "evaluating on %zu test rows", r->ntest);
    size_t n = r->ntest;
    prob = malloc((n ? n : 1) * sizeof *prob);
    y = malloc((n ? n : 1) * sizeof *y);
    if (!prob || !y) {
        ll_error_set(err, LL_ENOMEM, "out of memory");
        goto failed;
    }
    if (ll_model_predict(r->model, test, prob, err)) goto failed;
    if (ll_prep_labels(ll_model_prep(r->model), test, y, err)) goto failed;
    if (ll_metrics_all(y, prob, n, NULL, 0.5, &r->mt, err)) goto failed;
    memset(&r->best, 0, sizeof r->best);
    r->best.threshold = r->best.accuracy = r->best.precision = r->best.recall = r->best.f1 = NAN;
    if (!isnan(r->mt.f1_best_threshold))
        ll_metrics_confusion(y, prob, n, NULL, r->mt.f1_best_threshold, &r->best, NULL);
    if (c->params.kind == LL_MODEL_FOREST && ll_model_forest(r->model))
        r->oob_auc = ll_forest_oob_auc(ll_model_forest(r->model));
    if (ll_metrics_roc_curve(y, prob, n, NULL, LL_TRAINRUN_ROC_POINTS, r->roc_fpr, r->roc_tpr,
                             r->roc_thr, &r->roc_n, NULL) != LL_OK)
        r->roc_n = 0;

    r->nf = ll_model_nfeat(r->model);
    names = malloc((size_t)(r->nf ? r->nf : 1) * sizeof *names);
    vals = malloc((size_t)(r->nf ? r->nf : 1) * sizeof *vals);
    r->imp = malloc((size_t)(r->nf ? r->nf : 1) * sizeof *r->imp);
    if (!names || !vals || !r->imp) {
        ll_error_set(err, LL_ENOMEM, "out of memory");
        goto failed;
    }
    ll_model_importance(r->model, names, vals);
    for (int i = 0; i < r->nf; i++) r->imp[i] = (ll_trainrun_importance){names[i], vals[i]};
    qsort(r->imp, (size_t)r->nf, sizeof *r->imp, cmp_imp);

    if (c->pred_path && write_predictions(c->pred_path, r->model, prob, n, err)) goto failed;
    if (c->outdir && ll_model_save(r->model, c->outdir, err)) goto failed;
    if (c->track) {
        stage(&j, LL_TRAINRUN_RECORD, "saving the model and artifacts of run %s", r->run_id);
        char mdir[4096];
        if (log_final_metrics(&j, r, err) ||
            ll_store_run_artifact_dir(j.run, "model", mdir, sizeof mdir, err) ||
            ll_model_save_ex(r->model, mdir, "model", r->run_id, err) ||
            write_artifacts(&j, r->model, r, y, prob, err))
            goto failed;
        if (cancel && *cancel) {
            ll_error_set(err, LL_ECANCELLED, "training cancelled");
            goto failed;
        }
        ll_status s = ll_store_run_end(j.run, LL_RUN_FINISHED, err);
        j.run = NULL;
        if (s) goto failed;
        r->status = LL_RUN_FINISHED;
        if (ll_store_get_run(j.st, r->run_id, &r->info, err)) goto failed;
    }

    /* registration comes after the run finished; when it fails the results still stand */
    if (c->reg_name) {
        stage(&j, LL_TRAINRUN_REGISTER, "registering run %s as %s", r->run_id, c->reg_name);
        ll_error_clear(&r->reg_err);
        if (ll_registry_register(j.st, r->run_id, c->reg_name, c->alias, NULL, &r->version,
                                 &r->reg_err)) {
            r->reg_failed = 1;
        } else {
            ll_registered_model *m = NULL;
            const ll_model_version *mv = NULL;
            ll_error ignored;
            snprintf(r->reg_stage, sizeof r->reg_stage, "None");
            if (!ll_registry_get(j.st, c->reg_name, &m, &ignored) &&
                (mv = ll_registry_version(m, r->version)) && mv->stage)
                snprintf(r->reg_stage, sizeof r->reg_stage, "%s", mv->stage);
            ll_registry_model_free(m);
            r->registered = 1;
        }
    }
    ll_error_clear(err);
    goto done;
failed:
    if (err->code == LL_OK) ll_error_set(err, LL_EIO, "training failed");
    if (j.run) track_abort(&j, err, r);
done:
    source_close(&sdata);
    source_close(&stest);
    if (j.run) ll_store_run_abandon(j.run);
    if (j.st) ll_store_close(j.st);
    ll_table_free(all);
    ll_table_free(train);
    ll_table_free(test);
    ll_table_free(fit_part);
    ll_table_free(valid);
    free(prob);
    free(y);
    free(names);
    free(vals);
    return err->code;
}

void ll_trainrun_result_free(ll_trainrun_result *r)
{
    if (!r) return;
    ll_model_free(r->model);
    r->model = NULL;
    free(r->imp);
    r->imp = NULL;
    ll_run_free(r->info);
    r->info = NULL;
}
