/* pipeline: train -> register -> promote -> predict -> monitor -> retrain, resumable per date. */
#ifndef LL_PIPELINE_H
#define LL_PIPELINE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "store.h"

/* Defaults of the config keys (lendlab-pipeline(1)). */
#define LL_PIPELINE_DEFAULT_EXPERIMENT "pipeline"
#define LL_PIPELINE_DEFAULT_OUTPUT_DIR "pipeline-out"

/* The pipeline's configuration, every path made absolute against the config file's
 * directory. Strings are owned; optional ones are NULL when absent or null. */
typedef struct {
    char *path; /* the config file (absolute), NULL when parsed from text without a path */
    char *dir;  /* directory relative paths were resolved against */
    char *experiment;
    char *model_name;
    /* train */
    char *train_data;
    char *target;
    char *positive;   /* NULL = detected by train */
    char *model_kind; /* "gbdt" by default */
    ll_kv *params;    /* model parameters as train --set KEY=VALUE pairs, in file order */
    size_t nparams;
    char *test_data;      /* fixed test rows (train --test), NULL = a split of the data */
    double test_fraction; /* 0.2 by default */
    long seed;            /* 42 by default */
    /* tune: present when the config holds a tune object */
    int tune;
    long tune_trials;
    ll_kv *tune_opts; /* every key but trials, as --KEY VALUE ("" for true flags) */
    size_t ntune_opts;
    char *policy; /* lendlab-policy(5) file; NULL = promote without rules */
    char *batch;
    char *retrain_data; /* labelled rows added to the training data on retrain; NULL = none */
    char *output_dir;
    /* drift */
    double drift_share;
    int stattest;     /* ll_stattest; LL_STATTEST_AUTO by default */
    double threshold; /* NaN = each test's default */
} ll_pipeline_config;

/* Read and check a config file (JSON). Errors name the file, the position of a syntax error
 * and the offending key ("unknown key train.parms"). */
ll_status ll_pipeline_config_load(const char *path, ll_pipeline_config **out, ll_error *err);
/* Parse config text; relative paths resolve against the directory of path (the current
 * directory when path is NULL). The file itself is not read. */
ll_status ll_pipeline_config_parse(const char *json, const char *path, ll_pipeline_config **out,
                                   ll_error *err);
void ll_pipeline_config_free(ll_pipeline_config *c);

/* The steps, in the order they run. The retrain steps run only after dataset drift. */
typedef enum {
    LL_PIPE_TRAIN = 0,
    LL_PIPE_REGISTER,
    LL_PIPE_PROMOTE,
    LL_PIPE_PREDICT,
    LL_PIPE_MONITOR,
    LL_PIPE_RETRAIN,
    LL_PIPE_RETRAIN_REGISTER,
    LL_PIPE_RETRAIN_PROMOTE,
    LL_PIPE_RETRAIN_PREDICT,
    LL_PIPE_RETRAIN_MONITOR,
    LL_PIPE_STEP_COUNT
} ll_pipeline_step;

/* "train", "register", ..., "retrain-monitor". */
const char *ll_pipeline_step_name(ll_pipeline_step s);
/* Parse a step name (also with '_' for '-'); -1 if unknown. */
int ll_pipeline_step_parse(const char *name);

/* What the store holds about one step of a date's pipeline run. */
typedef struct {
    int done;        /* a FINISHED child run of the parent records the step */
    char run_id[33]; /* that run */
    ll_kv *values;   /* its lendlab.* tags without the prefix (outcome, model_version...) */
    size_t nvalues;
    int failures;     /* FAILED or KILLED runs of the step */
    char error[1024]; /* lendlab.error of the latest of those */
} ll_pipeline_record;

/* The bookkeeping of one date: the parent run (tag lendlab.pipeline_date) and its steps. */
typedef struct {
    char date[11];
    char parent_id[33]; /* "" when the date never ran */
    ll_run_status parent_status;
    int parent_running; /* RUNNING in a live process (not DIED) */
    ll_pipeline_record steps[LL_PIPE_STEP_COUNT];
} ll_pipeline_ledger;

/* Load the ledger of date from experiment (a missing experiment gives an empty ledger). The
 * newest active parent run of the date is used; its FINISHED children are the done steps. */
ll_status ll_pipeline_ledger_load(ll_store *st, const char *experiment, const char *date,
                                  ll_pipeline_ledger *out, ll_error *err);
/* Record step s as done by run_id with values (key/value pairs, keys without "lendlab."). */
ll_status ll_pipeline_ledger_record(ll_pipeline_ledger *l, ll_pipeline_step s, const char *run_id,
                                    const ll_kv *values, size_t n, ll_error *err);
/* A recorded value of step s (NULL when the step is not done or lacks it). */
const char *ll_pipeline_ledger_value(const ll_pipeline_ledger *l, ll_pipeline_step s,
                                     const char *key);
void ll_pipeline_ledger_clear(ll_pipeline_ledger *l);

/* Where a ledger stands. */
typedef enum {
    LL_PIPE_PENDING = 0, /* *step is the next step to run */
    LL_PIPE_COMPLETED,   /* every needed step is done; no unresolved drift */
    LL_PIPE_STOPPED,     /* done, but dataset drift was not resolved (reason says why) */
    LL_PIPE_STATE_COUNT
} ll_pipeline_state;

/* Decide what comes next from the recorded steps alone: the five main steps in order; then,
 * when monitor found dataset drift, the retrain steps (once: nothing ever loops), unless
 * has_retrain_data is 0 or the retrained version was refused, which stops with a reason; a
 * retrain that leaves drift behind stops too. reason (may be NULL) gets the stop reason. */
ll_pipeline_state ll_pipeline_next(const ll_pipeline_ledger *l, int has_retrain_data,
                                   ll_pipeline_step *step, char *reason, size_t len);

/* Check a date: YYYY-MM-DD naming a real day. */
int ll_pipeline_valid_date(const char *date);

/* Progress line callback (one line, no newline). */
typedef void (*ll_pipeline_progress_fn)(const char *line, void *ud);

typedef struct {
    const char *store;          /* tracking store directory (created when missing) */
    const char *date;           /* YYYY-MM-DD */
    int until;                  /* run steps up to and including this one; -1 = all */
    const volatile int *cancel; /* non-zero cancels between and inside steps */
    ll_pipeline_progress_fn progress;
    void *progress_ud;
} ll_pipeline_options;

/* One step in a summary. */
typedef struct {
    ll_pipeline_step step;
    char status[16]; /* FINISHED, FAILED, KILLED, or "pending" */
    int reused;      /* done by an earlier invocation for this date */
    char run_id[33];
    char outcome[32]; /* trained, registered, promoted, refused, scored, drift, no_drift */
    char detail[512];
} ll_pipeline_step_result;

/* What a pipeline run did (filled from the ledger, so a re-run reports the same). */
typedef struct {
    char date[11];
    char experiment[256];
    char parent_id[33];
    char status[16];  /* the parent's status: FINISHED, FAILED, KILLED, SCHEDULED */
    char outcome[16]; /* completed, stopped, failed, cancelled, partial */
    int already_done; /* nothing was left to run */
    char stop_reason[1024];
    char failed_step[32];
    ll_error error; /* the failure, when outcome is failed or cancelled */
    ll_pipeline_step_result steps[LL_PIPE_STEP_COUNT];
    size_t nsteps;
    char model_name[256];
    long candidate_version, retrained_version; /* 0 = none */
    long promoted_version;                     /* promoted for this date, 0 = none */
    long production_version;                   /* in production at the end, 0 = none */
    int dataset_drift;                         /* -1 = not monitored yet */
    double drift_share_observed;
    int drift_after_retrain; /* -1 = not checked */
    int retrained;
    char retrain_reason[512];
    char predictions[4096], marker[4096], drift_json[4096], drift_html[4096];
    long rows;
} ll_pipeline_summary;

/* Run the pipeline of opt->date: load the ledger, reopen (or begin) the parent run, run the
 * steps the ledger still needs, each as a child run, and end the parent FINISHED (SCHEDULED
 * after a partial run with until, FAILED or KILLED on error). Serialised per store by a lock.
 * A failed step is LL_OK with sum->outcome "failed" and sum->error; other errors (config,
 * store) are returned. */
ll_status ll_pipeline_run(const ll_pipeline_config *c, const ll_pipeline_options *opt,
                          ll_pipeline_summary *sum, ll_error *err);
/* The summary as JSON (lendlab-pipeline(1)); NULL on ENOMEM. */
cJSON *ll_pipeline_summary_json(const ll_pipeline_summary *s);

/* How often a schedule runs. */
typedef enum { LL_PIPE_DAILY = 0, LL_PIPE_HOURLY, LL_PIPE_PERIOD_COUNT } ll_pipeline_period;

/* The crontab line and systemd service and timer units running `exe --store store --batch
 * pipeline run --config config --date $(date +%F)` at hour:minute (hourly: at minute).
 * Paths must be absolute and free of quotes, backslashes, '$' and control characters.
 * *text is malloc'd. */
ll_status ll_pipeline_schedule_text(const ll_pipeline_config *c, const char *exe, const char *store,
                                    ll_pipeline_period period, int hour, int minute, char **text,
                                    ll_error *err);
/* An Airflow DAG (Python) with one BashOperator per step calling `exe ... pipeline run --step`
 * and a branch on the monitor's drift JSON to the retrain steps. *text is malloc'd. */
ll_status ll_pipeline_airflow_text(const ll_pipeline_config *c, const char *exe, const char *store,
                                   ll_pipeline_period period, int hour, int minute, char **text,
                                   ll_error *err);

#endif
