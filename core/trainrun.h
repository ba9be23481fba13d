/* trainrun: one tracked training job — read, split, fit with progress, evaluate, record the run
 * in the store (params, per-step metrics, artifacts) and register it; `train` and the workbench
 * both run it. */
#ifndef LL_TRAINRUN_H
#define LL_TRAINRUN_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "features.h"
#include "metrics.h"
#include "model.h"
#include "store.h"

/* Points kept of the test ROC curve (roc_curve.json and the result). */
#define LL_TRAINRUN_ROC_POINTS 200

/* What to train. Strings are borrowed for the duration of the call. */
typedef struct {
    const char *data;       /* CSV path, http(s) URL or "-" (standard input) */
    const char *target;     /* target column (two classes) */
    const char *positive;   /* positive class; NULL = detected from the labels */
    ll_model_params params; /* the learner (params.kind) and its parameters */
    long seed;              /* seed of the splits, and of the learner unless params set it */
    const char *test_path;  /* test rows from this file; NULL = hold out test_fraction of data */
    double test_fraction;
    int track;              /* record the run in the tracking store */
    const char *store;      /* store directory; NULL = "mlruns" */
    const char *experiment; /* NULL = Default (created when new) */
    const char *run_name;   /* NULL = MODEL-YYYYmmdd-HHMMSS */
    const char *source;     /* tag mlflow.source.name; NULL = "lendlab train" */
    const char *reg_name;   /* register the finished run's model under this name (NULL: no) */
    const char *alias;      /* with reg_name: point this alias at the new version */
    const char *outdir;     /* also save the model into this directory (NULL: no) */
    const char *pred_path;  /* write the test rows' probabilities to this CSV (NULL: no) */
} ll_trainrun_cfg;

/* The configuration item a check failure is about (so a form can show it beside the field). */
typedef enum {
    LL_TRAINRUN_F_NONE = 0,
    LL_TRAINRUN_F_DATA,
    LL_TRAINRUN_F_TARGET,
    LL_TRAINRUN_F_SEED,
    LL_TRAINRUN_F_PARAMS, /* a model parameter (the message starts with its name or the kind) */
    LL_TRAINRUN_F_TEST_FRACTION,
    LL_TRAINRUN_F_EXPERIMENT,
    LL_TRAINRUN_F_RUN_NAME,
    LL_TRAINRUN_F_REGISTER,
    LL_TRAINRUN_F_ALIAS,
    LL_TRAINRUN_F_COUNT
} ll_trainrun_field;

/* Stages of a job, in order. */
typedef enum {
    LL_TRAINRUN_BEGIN = 0, /* opening the store and recording the parameters */
    LL_TRAINRUN_READ,      /* reading (and fingerprinting) the data and test files */
    LL_TRAINRUN_SPLIT,     /* splitting off the test (and validation) rows */
    LL_TRAINRUN_FIT,       /* the learner's iterations */
    LL_TRAINRUN_EVALUATE,  /* test metrics, importance */
    LL_TRAINRUN_RECORD,    /* metrics, model and artifacts into the run */
    LL_TRAINRUN_REGISTER,  /* the new registered version */
    LL_TRAINRUN_STAGE_COUNT
} ll_trainrun_stage;

typedef enum {
    LL_TRAINRUN_EV_STAGE = 0, /* a stage starts: message says what ("reading FILE") */
    LL_TRAINRUN_EV_RUN,       /* the tracked run began: run_id */
    LL_TRAINRUN_EV_FIT,       /* one learner iteration: fit */
    LL_TRAINRUN_EV_COUNT
} ll_trainrun_evkind;

typedef struct {
    ll_trainrun_evkind kind;
    ll_trainrun_stage stage;
    const char *message;        /* EV_STAGE */
    const char *run_id;         /* EV_RUN */
    const ll_fit_progress *fit; /* EV_FIT (already logged to the run) */
} ll_trainrun_event;

/* Progress callback (on the thread running the job). A non-zero return from an EV_FIT event
 * cancels the fit; other returns are ignored (the cancel flag stops those stages). */
typedef int (*ll_trainrun_fn)(const ll_trainrun_event *ev, void *ud);

typedef struct {
    const char *name; /* owned by the result's model */
    double value;
} ll_trainrun_importance;

/* What a job produced. Filled as far as the job got; free with ll_trainrun_result_free. */
typedef struct {
    ll_model *model; /* the fitted model, NULL when the job failed before or during the fit */
    size_t ntrain, nvalid, ntest;
    double fit_s;
    ll_metrics mt;     /* on the test rows, at threshold 0.5 */
    ll_confusion best; /* at the F1-optimal threshold */
    double oob_auc;    /* forest only, else NaN */
    int nf;
    ll_trainrun_importance *imp; /* nf features, most important first */
    /* the test ROC curve (roc_n 0 when a class is missing from the test rows) */
    double roc_fpr[LL_TRAINRUN_ROC_POINTS], roc_tpr[LL_TRAINRUN_ROC_POINTS],
        roc_thr[LL_TRAINRUN_ROC_POINTS];
    size_t roc_n;
    /* tracking */
    char run_id[33];      /* "" when no run was begun */
    ll_run *info;         /* the finished run as stored (experiment id, artifact uri) */
    int aborted;          /* the run was ended because the job failed: */
    ll_run_status status; /* ... KILLED (cancelled) or FAILED (error in tag lendlab.error) */
    int tag_failed;       /* recording the error in the tag failed (tag_err says why) */
    ll_error tag_err;
    int end_failed; /* recording the end of the run failed (end_err says why) */
    ll_error end_err;
    /* registration (after the run finished; its failure does not fail the job) */
    int registered;
    long version;
    char reg_stage[32]; /* the new version's stage ("None", "Staging"...) */
    int reg_failed;
    ll_error reg_err;
} ll_trainrun_result;

/* Apply the seed rule (the learner's "seed" follows cfg->seed unless set explicitly) and check
 * the configuration before any work: data, target, seed, parameters, test fraction (without a
 * test file), experiment, registered name and alias. LL_EINVAL with a message; *field (may be
 * NULL) names the item at fault. */
ll_status ll_trainrun_check(ll_trainrun_cfg *cfg, ll_trainrun_field *field, ll_error *err);

/* Run one job: read, split, fit, evaluate, record, register (as cfg asks). cb (may be NULL)
 * hears every stage and iteration; *cancel non-zero stops it with LL_ECANCELLED. When the job
 * fails after its run began, the run is ended KILLED (cancelled) or FAILED (the error in tag
 * lendlab.error) and res says so. A failed registration leaves LL_OK with res->reg_failed. */
ll_status ll_trainrun_run(const ll_trainrun_cfg *cfg, ll_trainrun_fn cb, void *ud,
                          const volatile int *cancel, ll_trainrun_result *res, ll_error *err);
void ll_trainrun_result_free(ll_trainrun_result *res);

/* The final test metrics as a JSON object (train --json's "metrics"); NULL on ENOMEM. */
cJSON *ll_trainrun_metrics_json(const ll_trainrun_result *res);

#endif
