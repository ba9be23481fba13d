/* tune: hyper-parameter studies — CV-scored TPE trials, median pruning, tracking and resume. */
#ifndef LL_TUNE_H
#define LL_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "model.h"
#include "store.h"
#include "table.h"
#include "tpe.h"

#define LL_TUNE_MAX_DIMS    LL_MODEL_MAX_PARAMS
#define LL_TUNE_MAX_FOLDS   20
#define LL_TUNE_MAX_CHOICES 16

/* A search space: dimensions over parameters of one model kind. */
typedef struct {
    ll_model_kind kind;
    int ndim;
    int param[LL_TUNE_MAX_DIMS]; /* index into ll_model_param_specs(kind) */
    ll_tpe_dist dist[LL_TUNE_MAX_DIMS];
    /* categorical dimensions: parameter value of each choice (enum index, bool 0/1) */
    double choice[LL_TUNE_MAX_DIMS][LL_TUNE_MAX_CHOICES];
} ll_tune_space;

/* The default space of a kind. gbdt: max_depth int 3-10, eta 0.01-0.3 log, n_estimators int
 * 100-500, subsample 0.5-1, colsample_bytree 0.5-1, gamma 0-5, alpha 0-5, lambda 0-5; forest:
 * n_trees int 50-300, max_depth int 3-20, min_samples_leaf int 1-50 log, max_features 0.1-1;
 * logreg: C 0.001-100 log. */
void ll_tune_space_default(ll_model_kind kind, ll_tune_space *out);
/* Parse a JSON space {"NAME": {"type": "int"|"float"|"categorical", "low": L, "high": H,
 * "log": BOOL, "step": S, "choices": [...]}, ...}, checked against the kind's parameter table
 * (unknown or untunable names, bad types, bounds outside the parameter's range, log with
 * low <= 0... are LL_EINVAL; malformed JSON is LL_EPARSE with line and column). file names the
 * input in messages. */
ll_status ll_tune_space_parse(ll_model_kind kind, const char *text, size_t len, const char *file,
                              ll_tune_space *out, ll_error *err);
/* Read and parse a space file. */
ll_status ll_tune_space_load(ll_model_kind kind, const char *path, ll_tune_space *out,
                             ll_error *err);
/* The space as JSON in the format ll_tune_space_parse reads; NULL on ENOMEM. */
cJSON *ll_tune_space_to_json(const ll_tune_space *s);
/* Non-zero when both spaces have the same dimensions in the same order. */
int ll_tune_space_equal(const ll_tune_space *a, const ll_tune_space *b);
/* Parameter name of dimension d. */
const char *ll_tune_space_name(const ll_tune_space *s, int d);
/* Set the space's parameters in p (marked as set) from point x (one value per dimension). */
void ll_tune_space_apply(const ll_tune_space *s, const double *x, ll_model_params *p);
/* Text of dimension d's value x ("5", "0.0312", "balanced"). Returns buf. */
const char *ll_tune_value_text(const ll_tune_space *s, int d, double x, char *buf, size_t len);
/* Parse that text back; 0 when it is not a value of the dimension. */
int ll_tune_value_parse(const ll_tune_space *s, int d, const char *text, double *x);

/* One trial of a study. */
typedef struct {
    int number;         /* 0-based, in the order trials were started */
    ll_tpe_state state; /* RUNNING here means the trial was interrupted */
    double x[LL_TUNE_MAX_DIMS];
    double value; /* COMPLETE: mean validation AUC over the folds (cv_auc); else NaN */
    double fold_auc[LL_TUNE_MAX_FOLDS];
    int folds_done;
    long last_step;    /* last reported step: fold * stride + iteration - 1; -1 none */
    double last_value; /* validation AUC reported at last_step */
    int pruned_fold;   /* PRUNED: 0-based fold and 1-based iteration where it stopped */
    int pruned_iteration;
    double seconds;
    int resumed; /* loaded from the store (an earlier session) */
    char run_id[33];
    char error[256]; /* FAIL: why */
} ll_tune_trial;

/* When the median pruner looks at a trial. */
typedef enum {
    LL_TUNE_PRUNE_NONE = 0,  /* every trial runs all its folds */
    LL_TUNE_PRUNE_FOLD,      /* after each fold: the running mean of the fold AUCs */
    LL_TUNE_PRUNE_ITERATION, /* after each iteration: the fold's validation AUC so far */
    LL_TUNE_PRUNE_COUNT
} ll_tune_prune;

/* What a progress callback is told. */
typedef enum {
    LL_TUNE_EV_START = 0, /* folds are ready; trials start */
    LL_TUNE_EV_TRIAL,     /* a trial finished (trial set) */
    LL_TUNE_EV_REFIT,     /* the study ended; refitting the best parameters on all rows */
    LL_TUNE_EV_COUNT
} ll_tune_ev_kind;

typedef struct {
    ll_tune_ev_kind kind;
    const ll_tune_space *space;
    const ll_tune_trial *trial; /* LL_TUNE_EV_TRIAL */
    const ll_tune_trial *best;  /* best completed trial so far (NULL: none) */
    int done;                   /* finished trials of the study, resumed ones included */
    int total;                  /* trials the study will have when it is not stopped early */
    int resumed;                /* trials loaded from the store */
    size_t rows;                /* training rows */
    int folds;
    double elapsed_s;         /* since this session started */
    double eta_s;             /* estimated seconds left (NaN: unknown) */
    const char *study_run_id; /* "" without tracking */
} ll_tune_event;

/* Progress callback, called from the thread that runs ll_tune_run. */
typedef void (*ll_tune_progress_fn)(const ll_tune_event *ev, void *ud);

typedef struct {
    ll_model_kind kind;
    ll_model_params base; /* fixed parameters; the space's entries are replaced per trial */
    ll_tune_space space;
    const char *target;
    const char *positive; /* NULL: detected as ll_prep_fit does */
    int trials;           /* trials of the study, resumed ones included (50) */
    double timeout_s;     /* no trial starts after this many seconds (0: no limit) */
    int cv;               /* stratified folds, 2..LL_TUNE_MAX_FOLDS (5) */
    uint64_t seed;        /* folds, sampler and learner seed (42) */
    int jobs;             /* trials evaluated in parallel (1) */
    ll_tune_prune prune;  /* when the median pruner looks (LL_TUNE_PRUNE_FOLD) */
    ll_tpe_options tpe;
    ll_tpe_pruner pruner;
    ll_store *store;        /* NULL: nothing is tracked */
    const char *experiment; /* NULL: "Default" */
    const char *study_name; /* the parent run's name (required with a store) */
    int resume;             /* continue the latest study of that name in the experiment */
    const char *data_name;  /* recorded as parameters of a new study (may be NULL) */
    const char *test_name;
    ll_tune_progress_fn progress;
    void *progress_ud;
    const volatile int *cancel;
} ll_tune_options;

/* Defaults for kind: its default space and parameters, 50 trials, 5 folds, seed 42, one job,
 * Optuna's TPE and median pruner settings, no store. */
void ll_tune_options_default(ll_model_kind kind, ll_tune_options *o);

typedef struct {
    ll_tune_trial *trials; /* every trial of the study by number (resumed ones first) */
    size_t ntrials;
    int best; /* index into trials of the best completed trial */
    ll_model_params best_params;
    double best_cv_auc;
    double test_auc; /* NaN without test rows */
    int ncomplete, npruned, nfail;
    int nresumed, nnew;
    int timed_out; /* --timeout stopped the study before all its trials */
    double seconds;
    char study_run_id[33]; /* "" without tracking */
    ll_model *model;       /* the best parameters refitted on every training row (owned) */
    size_t ntrain, ntest;
} ll_tune_result;

/* Run a study on train: every trial is scored by stratified K-fold CV (mean validation AUC),
 * binned folds are built once and shared by all trials; trials are sampled by TPE and pruned
 * by the median rule (o->prune: after each fold on the running mean of the fold AUCs, or after
 * each iteration on the fold's learning curve, always against completed trials at the same
 * step). Trial t's parameters and pruning decisions only see trials 0..t-jobs, so a
 * (seed, jobs) pair always gives the same trials. Afterwards the best parameters are refitted
 * on all of train and scored on test (may be NULL). Cancellation gives LL_ECANCELLED (the
 * parent run is marked KILLED). */
ll_status ll_tune_run(const ll_tune_options *o, const ll_table *train, const ll_table *test,
                      ll_tune_result *out, ll_error *err);
void ll_tune_result_free(ll_tune_result *r);

/* A stored study, as --resume finds it. */
typedef struct {
    char run_id[33];
    ll_model_kind kind;
    int cv;
    uint64_t seed;
    ll_tune_space space;
    int ntrials; /* finished child runs */
} ll_tune_study_info;

/* Find the latest study named name in experiment (NULL: "Default"): LL_ENOTFOUND when none. */
ll_status ll_tune_study_find(ll_store *st, const char *experiment, const char *name,
                             ll_tune_study_info *out, ll_error *err);

#endif
