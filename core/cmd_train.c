/* cmd_train: the `train` command — fit a model on a CSV file, evaluate it on held-out rows and
 * record the run in the tracking store (params, per-iteration metrics, artifacts, registry). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "csv.h"
#include "fetch.h"
#include "forest.h"
#include "fsutil.h"
#include "metrics.h"
#include "model.h"
#include "numfmt.h"
#include "prep.h"
#include "registry.h"
#include "sha256.h"
#include "store.h"

static const ll_optspec train_opts[] = {
    {"target", 't', LL_OPT_STRING, "COL", "target column (two classes)"},
    {"positive", 0, LL_OPT_STRING, "LABEL",
     "positive class (default: detected from the labels, as describe does)"},
    {"model", 'm', LL_OPT_STRING, "KIND", "logreg, forest or gbdt (default gbdt)"},
    {"test", 0, LL_OPT_STRING, "FILE", "evaluate on FILE instead of a split of DATA"},
    {"test-fraction", 0, LL_OPT_DOUBLE, "F", "held-out fraction of DATA without --test (0.2)"},
    {"set", 's', LL_OPT_LIST, "KEY=VALUE", "model parameter (--list-params shows them)"},
    {"seed", 0, LL_OPT_INT, "N", "seed of the splits and the learner (default 42)"},
    {"output", 'o', LL_OPT_STRING, "DIR", "also save a copy of the model into DIR"},
    {"predictions", 0, LL_OPT_STRING, "FILE", "write the test rows' probabilities to FILE"},
    {"experiment", 'e', LL_OPT_STRING, "NAME",
     "experiment to record the run in, created when new (default Default)"},
    {"run-name", 0, LL_OPT_STRING, "NAME", "name of the run (default MODEL-YYYYmmdd-HHMMSS)"},
    {"register", 0, LL_OPT_STRING, "MODEL",
     "register the finished run's model as a new version of MODEL"},
    {"alias", 0, LL_OPT_STRING, "ALIAS", "with --register: point ALIAS (e.g. staging) at it"},
    {"no-track", 0, LL_OPT_FLAG, NULL, "do not record the run in the tracking store"},
    {"json", 0, LL_OPT_FLAG, NULL, "print the results as JSON"},
    {"progress", 0, LL_OPT_FLAG, NULL, "print progress lines even when stderr is not a terminal"},
    {"list-params", 0, LL_OPT_FLAG, NULL, "list the parameters of --model (or of every kind)"},
};

#define TOP_IMPORTANCE 10
/* Points kept in roc_curve.json. */
#define ROC_POINTS 200

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const ll_cmd_ctx *ctx, const ll_error *err)
{
    char buf[1600];
    fprintf(ctx->err, "lendlab train: %s\n", ll_error_format(err, buf, sizeof buf));
    return err->code == LL_ECANCELLED ? LL_EXIT_CANCELLED : LL_EXIT_ERROR;
}

static int usage_error(const ll_cmd_ctx *ctx, const char *msg)
{
    fprintf(ctx->err, "lendlab train: %s\nTry 'lendlab --batch train --help'.\n", msg);
    return LL_EXIT_USAGE;
}

static void list_params(FILE *f, int kind)
{
    for (int k = 0; k < LL_MODEL_KIND_COUNT; k++) {
        if (kind >= 0 && k != kind) continue;
        int n;
        const ll_param_spec *s = ll_model_param_specs((ll_model_kind)k, &n);
        fprintf(f, "%s parameters (--set KEY=VALUE):\n", ll_model_kind_name((ll_model_kind)k));
        for (int i = 0; i < n; i++) {
            char def[64], range[96];
            fprintf(f, "  %-22s default %-8s %-28s %s\n", s[i].name,
                    ll_model_param_text(&s[i], s[i].def, def, sizeof def),
                    ll_model_param_range(&s[i], range, sizeof range), s[i].help);
        }
    }
}

/* Progress lines (throttled to a few per second, always the first and the last) and the
 * per-iteration metrics of the tracked run (every iteration). */
typedef struct {
    const ll_cmd_ctx *ctx;
    int show;
    double start, last;
    ll_fit_progress latest; /* the last report, printed or not */
    int latest_printed;
    ll_run_handle *run;   /* NULL without tracking */
    ll_status log_status; /* first failure to log a metric; it stops the fit */
    ll_error log_err;
} progress_state;

static void print_progress(progress_state *ps, const ll_fit_progress *p, double t)
{
    FILE *f = ps->ctx->err;
    fprintf(f, "train: iteration %d/%d", p->iteration, p->total);
    if (!isnan(p->train_logloss)) fprintf(f, "  train logloss %.5f", p->train_logloss);
    if (!isnan(p->train_auc)) fprintf(f, " auc %.4f", p->train_auc);
    if (!isnan(p->valid_logloss)) fprintf(f, "  valid logloss %.5f", p->valid_logloss);
    if (!isnan(p->valid_auc)) fprintf(f, " auc %.4f", p->valid_auc);
    double el = isnan(p->elapsed_s) ? t - ps->start : p->elapsed_s;
    fprintf(f, "  elapsed %.1fs", el);
    if (p->iteration > 0 && p->total > p->iteration)
        fprintf(f, "  ETA %.1fs", el / p->iteration * (p->total - p->iteration));
    fputc('\n', f);
    fflush(f);
}

static int log_progress(progress_state *ps, const ll_fit_progress *p)
{
    const struct {
        const char *key;
        double v;
    } m[] = {{"train_logloss", p->train_logloss},
             {"train_auc", p->train_auc},
             {"valid_logloss", p->valid_logloss},
             {"valid_auc", p->valid_auc}};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
        if (!isfinite(m[i].v)) continue;
        ll_status s = ll_store_log_metric(ps->run, m[i].key, m[i].v, p->iteration, &ps->log_err);
        if (s) {
            ps->log_status = s;
            return 1;
        }
    }
    return 0;
}

static int on_progress(const ll_fit_progress *p, void *ud)
{
    progress_state *ps = ud;
    if (ps->ctx->cancel && *ps->ctx->cancel) return 1;
    if (ps->run && log_progress(ps, p)) return 1;
    if (!ps->show) return 0;
    double t = now_s();
    ps->latest = *p;
    ps->latest_printed = 0;
    if (p->iteration != 1 && p->iteration < p->total && t - ps->last < 0.25) return 0;
    ps->last = t;
    ps->latest_printed = 1;
    print_progress(ps, p, t);
    return 0;
}

typedef struct {
    const char *name;
    double value;
} imp_entry;

static int cmp_imp(const void *a, const void *b)
{
    const imp_entry *x = a, *y = b;
    if (x->value != y->value) return x->value > y->value ? -1 : 1;
    return strcmp(x->name, y->name);
}

static cJSON *jnum(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
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

/* ---- tracking ---------------------------------------------------------------------------- */

typedef struct {
    ll_store *st;
    ll_run_handle *run; /* while the run is open */
    char run_id[33];
    ll_run *info; /* the finished run as stored (experiment id, artifact uri) */
    int registered;
    long version;
    char stage[32];
} tracker;

static ll_status log_param(tracker *tr, const char *key, const char *value, ll_error *err)
{
    return tr->run ? ll_store_log_param(tr->run, key, value, err) : LL_OK;
}

static ll_status log_param_num(tracker *tr, const char *key, double v, ll_error *err)
{
    char buf[64];
    return log_param(tr, key, ll_numfmt_double(v, buf, sizeof buf), err);
}

/* Every hyper-parameter, defaults included. A learner's own "seed" is logged as learner_seed:
 * "seed" is the --seed of the splits, which every kind has. */
static ll_status log_hyper_params(tracker *tr, const ll_model_params *params, ll_error *err)
{
    int n;
    const ll_param_spec *s = ll_model_param_specs(params->kind, &n);
    for (int i = 0; i < n; i++) {
        char vb[64];
        const char *key = strcmp(s[i].name, "seed") ? s[i].name : "learner_seed";
        ll_status st =
            log_param(tr, key, ll_model_param_text(&s[i], params->value[i], vb, sizeof vb), err);
        if (st) return st;
    }
    return LL_OK;
}

/* The training file as recorded: absolute when it is a local file. */
static ll_status log_file_param(tracker *tr, const char *key, const char *given, ll_error *err)
{
    char abs[PATH_MAX];
    if (strcmp(given, "-") && !ll_fetch_is_url(given) && realpath(given, abs))
        return log_param(tr, key, abs, err);
    return log_param(tr, key, given, err);
}

/* ---- results ----------------------------------------------------------------------------- */

typedef struct {
    size_t rows_data, ntrain, nvalid, ntest;
    double fit_s;
    ll_metrics mt;
    ll_confusion best; /* at the F1-optimal threshold */
    double oob_auc;    /* forest only, else NaN */
    int nf;
    imp_entry *imp; /* nf, most important first */
} train_result;

/* Final test metrics: the JSON output's "metrics" object. */
static cJSON *metrics_json(const train_result *r)
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
static ll_status log_final_metrics(tracker *tr, const train_result *r, ll_error *err)
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
        ll_status st = ll_store_log_metric(tr->run, m[i].key, m[i].v, 0, err);
        if (st) return st;
    }
    return LL_OK;
}

static ll_status write_json_file(const tracker *tr, const char *dir, const char *name, cJSON *j,
                                 ll_error *err)
{
    char *text = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
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
    if (!st) st = ll_store_write_file(tr->st, path, t2, len, err);
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
static ll_status write_artifacts(tracker *tr, const ll_model *model, const train_result *r,
                                 const double *y, const double *prob, ll_error *err)
{
    char dir[4096];
    ll_status st = ll_store_run_artifact_dir(tr->run, NULL, dir, sizeof dir, err);
    if (st) return st;
    size_t n = r->ntest;

    double fpr[ROC_POINTS], tpr[ROC_POINTS], thr[ROC_POINTS];
    size_t np = 0;
    if (ll_metrics_roc_curve(y, prob, n, NULL, ROC_POINTS, fpr, tpr, thr, &np, NULL) == LL_OK) {
        cJSON *o = cJSON_CreateObject();
        if (o) {
            cJSON_AddItemToObject(o, "auc", jnum(r->mt.auc));
            cJSON_AddItemToObject(o, "points", jnum((double)np));
            cJSON_AddItemToObject(o, "fpr", number_array(fpr, np));
            cJSON_AddItemToObject(o, "tpr", number_array(tpr, np));
            cJSON_AddItemToObject(o, "threshold", number_array(thr, np));
        }
        if ((st = write_json_file(tr, dir, "roc_curve.json", o, err))) return st;
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
        if ((st = write_json_file(tr, dir, "calibration.json", o, err))) return st;
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
    if ((st = write_json_file(tr, dir, "feature_importance.json", o, err))) return st;

    const ll_prep *pp = ll_model_prep(model);
    o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "positive_label", ll_prep_positive_label(pp));
        cJSON_AddStringToObject(o, "negative_label", ll_prep_negative_label(pp));
        cJSON_AddItemToObject(o, "at_0.5", confusion_json(&r->mt.at));
        cJSON_AddItemToObject(o, "at_f1_best", confusion_json(&r->best));
    }
    if ((st = write_json_file(tr, dir, "confusion_matrix.json", o, err))) return st;

    o = metrics_json(r);
    if (o) {
        if (ll_model_kind_of(model) == LL_MODEL_FOREST)
            cJSON_AddItemToObject(o, "oob_auc", jnum(r->oob_auc));
        cJSON_AddItemToObject(o, "fit_seconds", jnum(r->fit_s));
    }
    return write_json_file(tr, dir, "metrics.json", o, err);
}

/* ---- output ------------------------------------------------------------------------------ */

typedef struct {
    int kind;
    ll_model_params params;
    long seed;
    const char *data, *target, *test_path, *positive, *outdir, *pred_path;
    double frac;
    int json, track;
    const char *experiment, *run_name, *reg_name, *alias;
} train_cfg;

static int print_json(const ll_cmd_ctx *ctx, const train_cfg *c, const ll_model *model,
                      const train_result *r, const tracker *tr)
{
    const ll_prep *pp = ll_model_prep(model);
    cJSON *o = cJSON_CreateObject(), *rows, *ia;
    if (!o) return -1;
    cJSON_AddStringToObject(o, "model", ll_model_kind_name((ll_model_kind)c->kind));
    cJSON_AddItemToObject(o, "params", ll_model_params_to_json(&c->params));
    cJSON_AddStringToObject(o, "target", c->target);
    cJSON_AddStringToObject(o, "positive_label", ll_prep_positive_label(pp));
    cJSON_AddStringToObject(o, "negative_label", ll_prep_negative_label(pp));
    rows = cJSON_AddObjectToObject(o, "rows");
    cJSON_AddItemToObject(rows, "train", jnum((double)r->ntrain));
    cJSON_AddItemToObject(rows, "valid", jnum((double)r->nvalid));
    cJSON_AddItemToObject(rows, "test", jnum((double)r->ntest));
    cJSON_AddItemToObject(o, "features", jnum(r->nf));
    cJSON_AddItemToObject(o, "fit_seconds", jnum(r->fit_s));
    cJSON_AddItemToObject(o, "metrics", metrics_json(r));
    ia = cJSON_AddArrayToObject(o, "importance");
    for (int i = 0; ia && i < r->nf; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "feature", r->imp[i].name);
        cJSON_AddItemToObject(e, "gain", jnum(r->imp[i].value));
        cJSON_AddItemToArray(ia, e);
    }
    if (c->outdir)
        cJSON_AddStringToObject(o, "output", c->outdir);
    else
        cJSON_AddNullToObject(o, "output");
    if (tr->info) {
        cJSON_AddStringToObject(o, "run_id", tr->run_id);
        cJSON_AddStringToObject(o, "experiment_id", tr->info->experiment_id);
        cJSON_AddStringToObject(o, "artifact_uri", tr->info->artifact_uri);
    } else {
        cJSON_AddNullToObject(o, "run_id");
        cJSON_AddNullToObject(o, "experiment_id");
        cJSON_AddNullToObject(o, "artifact_uri");
    }
    if (tr->registered) {
        cJSON *reg = cJSON_AddObjectToObject(o, "registered");
        cJSON_AddStringToObject(reg, "name", c->reg_name);
        cJSON_AddItemToObject(reg, "version", jnum((double)tr->version));
        if (c->alias)
            cJSON_AddStringToObject(reg, "alias", c->alias);
        else
            cJSON_AddNullToObject(reg, "alias");
        cJSON_AddStringToObject(reg, "stage", tr->stage);
    } else {
        cJSON_AddNullToObject(o, "registered");
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return -1;
    fprintf(ctx->out, "%s\n", text);
    free(text);
    return 0;
}

static void print_text(const ll_cmd_ctx *ctx, const train_cfg *c, const ll_model *model,
                       const train_result *r, const tracker *tr)
{
    FILE *f = ctx->out;
    const ll_prep *pp = ll_model_prep(model);
    const ll_metrics *mt = &r->mt;
    int np;
    const ll_param_spec *specs = ll_model_param_specs((ll_model_kind)c->kind, &np);
    fprintf(f, "%-18s %s\n", "model", ll_model_kind_name((ll_model_kind)c->kind));
    fprintf(f, "%-18s", "parameters");
    for (int i = 0; i < np; i++) {
        char vb[64];
        fprintf(f, "%s%s=%s", i ? (i % 5 ? " " : "\n                   ") : " ", specs[i].name,
                ll_model_param_text(&specs[i], c->params.value[i], vb, sizeof vb));
    }
    fprintf(f, "\n%-18s %s (positive '%s', negative '%s')\n", "target", c->target,
            ll_prep_positive_label(pp), ll_prep_negative_label(pp));
    fprintf(f, "%-18s train %zu, test %zu", "rows", r->ntrain, r->ntest);
    if (r->nvalid) fprintf(f, ", early-stopping validation %zu", r->nvalid);
    fprintf(f, "\n%-18s %d\n%-18s %.3f\n\n", "features", r->nf, "fit seconds", r->fit_s);
    fprintf(f, "%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n%-18s %.4f\n",
            "test AUC", mt->auc, "PR AUC", mt->pr_auc, "log loss", mt->logloss, "KS", mt->ks,
            "Gini", mt->gini, "Brier", mt->brier);
    fprintf(f, "\n%-18s %-10s %s %.4f\n", "", "at 0.5", "at best-F1 threshold",
            mt->f1_best_threshold);
    fprintf(f, "%-18s %-10.4f %.4f\n", "accuracy", mt->at.accuracy, r->best.accuracy);
    fprintf(f, "%-18s %-10.4f %.4f\n", "precision", mt->at.precision, r->best.precision);
    fprintf(f, "%-18s %-10.4f %.4f\n", "recall", mt->at.recall, r->best.recall);
    fprintf(f, "%-18s %-10.4f %.4f\n", "F1", mt->at.f1, r->best.f1);
    fprintf(f, "\ntop features (%s)\n",
            c->kind == LL_MODEL_LOGREG ? "|coefficient|, standardised" : "gain");
    for (int i = 0; i < r->nf && i < TOP_IMPORTANCE; i++)
        fprintf(f, "  %2d. %-30s %.6g\n", i + 1, r->imp[i].name, r->imp[i].value);
    if (c->outdir) fprintf(f, "\nmodel saved to %s\n", c->outdir);
    if (tr->info) {
        fprintf(f, "\n%-18s %s (experiment '%s', id %s)\n", "run", tr->run_id,
                c->experiment ? c->experiment : "Default", tr->info->experiment_id);
        fprintf(f, "%-18s %s\n", "run name", tr->info->run_name ? tr->info->run_name : "");
        fprintf(f, "%-18s %s\n", "artifacts", tr->info->artifact_uri);
    }
    if (tr->registered) {
        fprintf(f, "%-18s %s version %ld", "registered", c->reg_name, tr->version);
        if (c->alias) fprintf(f, ", alias '%s'", c->alias);
        if (strcmp(tr->stage, "None")) fprintf(f, ", stage %s", tr->stage);
        fputc('\n', f);
    }
}

/* ---- the command ------------------------------------------------------------------------- */

/* Options into cfg; a usage error's exit code, or -1 to go on. */
static int parse_cfg(const ll_cmd_ctx *ctx, const ll_args *a, train_cfg *c)
{
    memset(c, 0, sizeof *c);
    const char *kind_s = ll_args_str(a, "model");
    c->kind = kind_s ? ll_model_kind_parse(kind_s) : LL_MODEL_GBDT;
    if (c->kind < 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "unknown model '%s' (logreg, forest or gbdt)", kind_s);
        return usage_error(ctx, msg);
    }
    if (ll_args_has(a, "list-params")) {
        list_params(ctx->out, kind_s ? c->kind : -1);
        return LL_EXIT_OK;
    }
    ll_model_params_default((ll_model_kind)c->kind, &c->params);
    const char *const *sets;
    size_t nsets = ll_args_list(a, "set", &sets);
    ll_error err;
    ll_error_clear(&err);
    for (size_t i = 0; i < nsets; i++)
        if (ll_model_params_parse(&c->params, sets[i], &err)) return usage_error(ctx, err.msg);
    c->seed = ll_args_int(a, "seed", 42);
    if (c->seed < 0) return usage_error(ctx, "--seed must be a non-negative integer");
    if (!isnan(ll_model_params_get(&c->params, "seed")) &&
        !ll_model_params_is_set(&c->params, "seed")) {
        char sb[32];
        snprintf(sb, sizeof sb, "%ld", c->seed);
        if (ll_model_params_set(&c->params, "seed", sb, &err)) return usage_error(ctx, err.msg);
    }
    if (ll_model_params_check(&c->params, &err)) return usage_error(ctx, err.msg);
    if (a->npos < 1) return usage_error(ctx, "'train' needs DATA (a CSV file)");
    c->data = a->pos[0];
    c->target = ll_args_str(a, "target");
    if (!c->target) return usage_error(ctx, "--target COL is required");
    c->test_path = ll_args_str(a, "test");
    c->frac = ll_args_double(a, "test-fraction", 0.2);
    if (c->test_path && ll_args_has(a, "test-fraction"))
        return usage_error(ctx, "--test and --test-fraction exclude each other");
    if (!(c->frac > 0 && c->frac < 1)) return usage_error(ctx, "--test-fraction must be in (0, 1)");
    c->positive = ll_args_str(a, "positive");
    c->outdir = ll_args_str(a, "output");
    c->pred_path = ll_args_str(a, "predictions");
    c->json = ll_args_has(a, "json");
    c->track = !ll_args_has(a, "no-track");
    c->experiment = ll_args_str(a, "experiment");
    c->run_name = ll_args_str(a, "run-name");
    c->reg_name = ll_args_str(a, "register");
    c->alias = ll_args_str(a, "alias");
    if (!c->track) {
        static const char *const tracked_only[] = {"experiment", "run-name", "register", "alias"};
        for (size_t i = 0; i < sizeof tracked_only / sizeof *tracked_only; i++)
            if (ll_args_has(a, tracked_only[i])) {
                char msg[128];
                snprintf(msg, sizeof msg, "--%s needs a tracked run (drop --no-track)",
                         tracked_only[i]);
                return usage_error(ctx, msg);
            }
    }
    if (c->experiment && !*c->experiment) return usage_error(ctx, "--experiment needs a name");
    if (c->alias && !c->reg_name) return usage_error(ctx, "--alias needs --register MODEL");
    if (c->reg_name && !ll_registry_valid_name(c->reg_name)) {
        char msg[512];
        snprintf(msg, sizeof msg, "invalid model name '%s'", c->reg_name);
        return usage_error(ctx, msg);
    }
    if (c->alias && !ll_registry_valid_alias(c->alias)) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "invalid alias '%s' (letters, digits, '_' and '-'; not 'latest' nor "
                 "v<number>)",
                 c->alias);
        return usage_error(ctx, msg);
    }
    return -1;
}

/* Open the store and begin the run with the parameters known before reading any data. */
static ll_status track_begin(const ll_cmd_ctx *ctx, const train_cfg *c, tracker *tr, ll_error *err)
{
    ll_status st = ll_store_open(ctx->store ? ctx->store : "mlruns", 1, &tr->st, err);
    if (st) return st;
    char name[256];
    if (c->run_name) {
        snprintf(name, sizeof name, "%s", c->run_name);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        char ts[32];
        localtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
        snprintf(name, sizeof name, "%s-%s", ll_model_kind_name((ll_model_kind)c->kind), ts);
    }
    if ((st = ll_store_run_begin(tr->st, c->experiment, name, "lendlab train", &tr->run, err)))
        return st;
    snprintf(tr->run_id, sizeof tr->run_id, "%s", ll_store_run_id(tr->run));
    char sb[32];
    snprintf(sb, sizeof sb, "%ld", c->seed);
    if ((st = log_param(tr, "model", ll_model_kind_name((ll_model_kind)c->kind), err)) ||
        (st = log_param(tr, "target", c->target, err)) ||
        (st = log_file_param(tr, "train_file", c->data, err)) ||
        (st = log_param(tr, "seed", sb, err)))
        return st;
    if (c->test_path)
        st = log_file_param(tr, "test_file", c->test_path, err);
    else
        st = log_param_num(tr, "test_fraction", c->frac, err);
    if (!st) st = log_hyper_params(tr, &c->params, err);
    return st;
}

/* End the run of a failed command: KILLED when interrupted, else FAILED with the error in tag
 * lendlab.error. Returns the exit code. */
static int track_abort(const ll_cmd_ctx *ctx, tracker *tr, const ll_error *cause, int rc)
{
    int killed = cause->code == LL_ECANCELLED || (ctx->cancel && *ctx->cancel);
    ll_run_status rs = killed ? LL_RUN_KILLED : LL_RUN_FAILED;
    ll_error e;
    ll_error_clear(&e);
    if (!killed) {
        char buf[1600];
        if (ll_store_set_tag(tr->run, "lendlab.error", ll_error_format(cause, buf, sizeof buf),
                             &e)) {
            fprintf(ctx->err, "lendlab train: cannot record the error in run %s: %s\n", tr->run_id,
                    e.msg);
            ll_error_clear(&e);
        }
    }
    ll_status s = ll_store_run_end(tr->run, rs, &e);
    tr->run = NULL;
    if (s)
        fprintf(ctx->err, "lendlab train: cannot record the end of run %s: %s\n", tr->run_id,
                e.msg);
    else
        fprintf(ctx->err, "lendlab train: run %s marked %s\n", tr->run_id, ll_run_status_str(rs));
    return killed ? LL_EXIT_CANCELLED : rc;
}

static int exec_train(const ll_cmd_ctx *ctx, const ll_args *a)
{
    train_cfg c;
    int rc = parse_cfg(ctx, a, &c);
    if (rc >= 0) return rc;
    rc = LL_EXIT_ERROR;

    ll_error err;
    ll_error_clear(&err);
    progress_state ps;
    memset(&ps, 0, sizeof ps);
    ps.ctx = ctx;
    ps.show = ctx->progress || ll_args_has(a, "progress");
    ps.start = now_s();
    ps.latest_printed = 1;
    ll_csv_options copt = {0};
    copt.cancel = ctx->cancel;
    ll_table *all = NULL, *train = NULL, *test = NULL, *fit_part = NULL, *valid = NULL;
    ll_model *model = NULL;
    double *prob = NULL, *y = NULL;
    const char **names = NULL;
    double *vals = NULL;
    train_result r;
    memset(&r, 0, sizeof r);
    r.oob_auc = NAN;
    tracker tr;
    memset(&tr, 0, sizeof tr);
    source sdata, stest;
    memset(&sdata, 0, sizeof sdata);
    memset(&stest, 0, sizeof stest);

    if (c.track && track_begin(ctx, &c, &tr, &err)) goto failed;
    ps.run = tr.run;

    if (source_open(&sdata, c.data, c.track, ctx->cancel, &err)) goto failed;
    if (ps.show) fprintf(ctx->err, "train: reading %s\n", c.data);
    if (ll_csv_read_table(sdata.read_path, &copt, &all, NULL, &err)) {
        source_fix_error(&sdata, &err);
        goto failed;
    }
    char num[64];
    if (c.track) {
        if (source_hash(&sdata, ctx->cancel, &err) ||
            log_param(&tr, "data_sha256", sdata.sha, &err) ||
            log_param_num(&tr, "rows", (double)all->nrows, &err))
            goto failed;
    }
    if (c.test_path) {
        if (source_open(&stest, c.test_path, c.track, ctx->cancel, &err)) goto failed;
        if (ps.show) fprintf(ctx->err, "train: reading %s\n", c.test_path);
        if (ll_csv_read_table(stest.read_path, &copt, &test, NULL, &err)) {
            source_fix_error(&stest, &err);
            goto failed;
        }
        if (c.track && (source_hash(&stest, ctx->cancel, &err) ||
                        log_param(&tr, "test_sha256", stest.sha, &err)))
            goto failed;
        train = all;
        all = NULL;
    } else {
        if (c.track) {
            /* the test rows are a function of the data, the fraction and the seed */
            char key[160], hex[LL_SHA256_HEX];
            snprintf(key, sizeof key, "%s:%s:%ld", sdata.sha,
                     ll_numfmt_double(c.frac, num, sizeof num), c.seed);
            if (log_param(&tr, "test_sha256", ll_sha256_buf(key, strlen(key), hex), &err))
                goto failed;
        }
        if (ll_prep_split(all, c.target, c.frac, (unsigned long)c.seed, &train, &test, &err))
            goto failed;
        ll_table_free(all);
        all = NULL;
    }
    source_close(&sdata);
    source_close(&stest);
    /* early stopping watches a part carved from the training rows, never the test rows */
    double esr = ll_model_params_get(&c.params, "early_stopping_rounds");
    if (!isnan(esr) && esr > 0) {
        if (ll_prep_split(train, c.target, 0.1, (unsigned long)c.seed + 1, &fit_part, &valid, &err))
            goto failed;
    }
    const ll_table *fit_on = fit_part ? fit_part : train;
    r.ntrain = fit_on->nrows;
    r.nvalid = valid ? valid->nrows : 0;
    r.ntest = test->nrows;
    if (c.track && (log_param_num(&tr, "rows_train", (double)r.ntrain, &err) ||
                    log_param_num(&tr, "rows_test", (double)r.ntest, &err) ||
                    (r.nvalid && log_param_num(&tr, "rows_valid", (double)r.nvalid, &err))))
        goto failed;
    if (ps.show)
        fprintf(ctx->err, "train: fitting %s on %zu rows\n",
                ll_model_kind_name((ll_model_kind)c.kind), fit_on->nrows);
    double t0 = now_s();
    if (ll_model_fit((ll_model_kind)c.kind, &c.params, fit_on, valid, c.target, c.positive,
                     on_progress, &ps, ctx->cancel, &model, &err)) {
        if (ps.log_status) err = ps.log_err; /* the store failed, not the learner */
        goto failed;
    }
    r.fit_s = now_s() - t0;
    /* a fit that stopped early ends on a report the throttle skipped: show where it stopped */
    if (ps.show && !ps.latest_printed && ps.latest.iteration > 0)
        print_progress(&ps, &ps.latest, now_s());
    ll_table_free(fit_part);
    ll_table_free(valid);
    ll_table_free(train);
    fit_part = valid = train = NULL;
    if (c.track && log_param(&tr, "positive", ll_prep_positive_label(ll_model_prep(model)), &err))
        goto failed;

    size_t n = r.ntest;
    prob = malloc((n ? n : 1) * sizeof *prob);
    y = malloc((n ? n : 1) * sizeof *y);
    if (!prob || !y) {
        ll_error_set(&err, LL_ENOMEM, "out of memory");
        goto failed;
    }
    if (ll_model_predict(model, test, prob, &err)) goto failed;
    if (ll_prep_labels(ll_model_prep(model), test, y, &err)) goto failed;
    if (ll_metrics_all(y, prob, n, NULL, 0.5, &r.mt, &err)) goto failed;
    memset(&r.best, 0, sizeof r.best);
    r.best.threshold = r.best.accuracy = r.best.precision = r.best.recall = r.best.f1 = NAN;
    if (!isnan(r.mt.f1_best_threshold))
        ll_metrics_confusion(y, prob, n, NULL, r.mt.f1_best_threshold, &r.best, NULL);
    if (c.kind == LL_MODEL_FOREST && ll_model_forest(model))
        r.oob_auc = ll_forest_oob_auc(ll_model_forest(model));

    r.nf = ll_model_nfeat(model);
    names = malloc((size_t)(r.nf ? r.nf : 1) * sizeof *names);
    vals = malloc((size_t)(r.nf ? r.nf : 1) * sizeof *vals);
    r.imp = malloc((size_t)(r.nf ? r.nf : 1) * sizeof *r.imp);
    if (!names || !vals || !r.imp) {
        ll_error_set(&err, LL_ENOMEM, "out of memory");
        goto failed;
    }
    ll_model_importance(model, names, vals);
    for (int i = 0; i < r.nf; i++) r.imp[i] = (imp_entry){names[i], vals[i]};
    qsort(r.imp, (size_t)r.nf, sizeof *r.imp, cmp_imp);

    if (c.pred_path && write_predictions(c.pred_path, model, prob, n, &err)) goto failed;
    if (c.outdir && ll_model_save(model, c.outdir, &err)) goto failed;
    if (c.track) {
        char mdir[4096];
        if (log_final_metrics(&tr, &r, &err) ||
            ll_store_run_artifact_dir(tr.run, "model", mdir, sizeof mdir, &err) ||
            ll_model_save_ex(model, mdir, "model", tr.run_id, &err) ||
            write_artifacts(&tr, model, &r, y, prob, &err))
            goto failed;
        if (ctx->cancel && *ctx->cancel) {
            ll_error_set(&err, LL_ECANCELLED, "training cancelled");
            goto failed;
        }
        ll_status s = ll_store_run_end(tr.run, LL_RUN_FINISHED, &err);
        tr.run = NULL;
        if (s) goto failed;
        if (ll_store_get_run(tr.st, tr.run_id, &tr.info, &err)) goto failed;
    }

    /* registration comes after the run finished; when it fails the results still print */
    ll_error reg_err;
    ll_error_clear(&reg_err);
    int reg_failed = 0;
    if (c.reg_name) {
        if (ll_registry_register(tr.st, tr.run_id, c.reg_name, c.alias, NULL, &tr.version,
                                 &reg_err)) {
            reg_failed = 1;
        } else {
            ll_registered_model *m = NULL;
            const ll_model_version *mv = NULL;
            ll_error ignored;
            snprintf(tr.stage, sizeof tr.stage, "None");
            if (!ll_registry_get(tr.st, c.reg_name, &m, &ignored) &&
                (mv = ll_registry_version(m, tr.version)) && mv->stage)
                snprintf(tr.stage, sizeof tr.stage, "%s", mv->stage);
            ll_registry_model_free(m);
            tr.registered = 1;
        }
    }
    if (c.json) {
        if (print_json(ctx, &c, model, &r, &tr)) {
            ll_error_set(&err, LL_ENOMEM, "out of memory");
            goto failed;
        }
    } else {
        print_text(ctx, &c, model, &r, &tr);
    }
    rc = LL_EXIT_OK;
    if (reg_failed) {
        fprintf(ctx->err, "lendlab train: run %s finished, but registering it as '%s' failed: %s\n",
                tr.run_id, c.reg_name, reg_err.msg);
        rc = LL_EXIT_ERROR;
    }
    goto done;
failed:
    rc = fail(ctx, &err);
    if (tr.run) rc = track_abort(ctx, &tr, &err, rc);
done:
    source_close(&sdata);
    source_close(&stest);
    if (tr.run) ll_store_run_abandon(tr.run);
    ll_run_free(tr.info);
    if (tr.st) ll_store_close(tr.st);
    ll_table_free(all);
    ll_table_free(train);
    ll_table_free(test);
    ll_table_free(fit_part);
    ll_table_free(valid);
    ll_model_free(model);
    free(prob);
    free(y);
    free(names);
    free(vals);
    free(r.imp);
    return rc;
}

const ll_cmd_entry ll_cmd_train = {
    "train",
    "DATA",
    "fit a logreg, forest or gbdt model on a CSV file, evaluate it and track the run",
    "DATA is split into training and test rows (stratified on the target, seeded by --seed)\n"
    "unless --test gives the test rows. With early_stopping_rounds set, 10 % of the training\n"
    "rows are held out to watch the validation loss. Results go to standard output (--json for\n"
    "a machine-readable object); progress lines go to standard error. Parameters use XGBoost's\n"
    "names for gbdt and scikit-learn's for forest and logreg; --list-params shows them with\n"
    "their defaults and ranges.\n"
    "Unless --no-track is given, the run is recorded in the tracking store (--store DIR before\n"
    "--batch, else $LENDLAB_STORE, else ./mlruns) in MLflow's layout: parameters (with the\n"
    "SHA-256 of the data and test rows), metrics per iteration and on the test rows, the model\n"
    "under artifacts/model and ROC, calibration, importance, confusion and metrics JSON files.\n"
    "The run ends FINISHED, FAILED (error in tag lendlab.error) or KILLED. --register MODEL\n"
    "then adds the model as a new registered version (--alias moves an alias to it).\n"
    "Interrupting the command marks the run KILLED and exits with status 130. See\n"
    "lendlab-train(1).",
    train_opts,
    sizeof train_opts / sizeof *train_opts,
    0,
    1,
    exec_train,
};
