/* store: experiments and runs in MLflow's FileStore layout (mlruns/), read and written. */
#ifndef LL_STORE_H
#define LL_STORE_H

#include <stddef.h>

#include "error.h"

/* Layout (exactly MLflow's, so `mlflow ui` opens a lendlab store and lendlab reads MLflow's):
 *   <store>/<exp_id>/meta.yaml            experiment (Default is id 0, created with the store)
 *   <store>/<exp_id>/<run_id>/meta.yaml   run info; status is MLflow's integer RunStatus
 *   <store>/<exp_id>/<run_id>/params/<key>   value, no newline
 *   <store>/<exp_id>/<run_id>/metrics/<key>  lines "<ms> <value> <step>"
 *   <store>/<exp_id>/<run_id>/tags/<key>     value, no newline
 *   <store>/<exp_id>/<run_id>/artifacts/
 *   <store>/.trash/<exp_id>/              deleted experiments
 * Every file lendlab replaces is written to a temporary file at the store root (MLflow only
 * lists directories there), fsynced and renamed into place; metric lines are appended.
 * An ll_store holds no mutable state after ll_store_open: threads may share one for reading;
 * an ll_run_handle and an ll_run belong to one thread at a time. */

typedef struct ll_store ll_store;
typedef struct ll_filter ll_filter;

/* MLflow's RunStatus values, as stored in meta.yaml. */
typedef enum {
    LL_RUN_RUNNING = 1,
    LL_RUN_SCHEDULED = 2,
    LL_RUN_FINISHED = 3,
    LL_RUN_FAILED = 4,
    LL_RUN_KILLED = 5,
    LL_RUN_STATUS_COUNT
} ll_run_status;

typedef struct {
    char *id;
    char *name;
    char *artifact_location;
    int deleted;                               /* lifecycle_stage "deleted" (or lives in .trash/) */
    long long creation_time, last_update_time; /* ms since the epoch, -1 when unknown */
    char *dir;                                 /* the experiment's directory */
} ll_experiment;

typedef struct {
    ll_experiment *items;
    size_t n;
} ll_experiment_list;

typedef struct {
    char *key;
    char *value;
} ll_kv;

/* One metric's latest value (largest step, then timestamp, as MLflow reports it). */
typedef struct {
    char *key;
    double value; /* NaN and infinities as logged */
    long long timestamp;
    long long step;
} ll_metric;

/* A run. Info fields are always loaded; params, metrics and tags hold what has been loaded so
 * far: everything once `complete` is set (ll_store_run_load), else the keys a search needed. */
typedef struct {
    char *run_id;
    char *experiment_id;
    char *run_name;
    char *user_id;
    char *artifact_uri;
    ll_run_status status;
    int died;    /* status RUNNING but the process recorded in tag lendlab.pid is gone */
    int deleted; /* lifecycle_stage "deleted" */
    long long start_time, end_time; /* ms since the epoch; end_time -1 while running */
    ll_kv *params;
    size_t nparams;
    ll_metric *metrics;
    size_t nmetrics;
    ll_kv *tags;
    size_t ntags;
    int complete;
    char *dir; /* the run's directory */
    /* private: keys probed and found absent, so a lookup is not retried */
    char **absent;
    size_t nabsent;
} ll_run;

typedef struct {
    ll_run **runs;
    size_t n;
    size_t matched; /* runs that passed the filter before --limit cut the list */
} ll_run_list;

/* Key kinds of filter and sort expressions. */
typedef enum {
    LL_KEY_ATTR = 0, /* run_id, run_name, status, user_id, start_time, end_time... */
    LL_KEY_METRIC,
    LL_KEY_PARAM,
    LL_KEY_TAG,
    LL_KEY_KIND_COUNT
} ll_keykind;

/* One sort key: "-metrics.auc" is {LL_KEY_METRIC, "auc", desc = 1}. */
typedef struct {
    ll_keykind kind;
    char name[256];
    int desc;
} ll_sortkey;

/* What ll_store_search_runs returns. */
typedef struct {
    const char *experiment;  /* experiment name or id; NULL = every active experiment */
    int include_deleted;     /* also runs (and experiments) whose lifecycle_stage is deleted */
    const ll_filter *filter; /* NULL = every run */
    const ll_sortkey *sort;  /* NULL/0 = start_time descending (MLflow's default) */
    size_t nsort;
    size_t limit;            /* 0 = no limit */
    int load_all;            /* load every param/metric/tag of the returned runs */
    const char *const *keys; /* else load these keys ("metrics.auc", "params.model"...) */
    size_t nkeys;
    int rescan; /* read every run's files, ignoring the run index (which is written anew) */
} ll_run_query;

/* Summary of a metric's whole history (learning curves). */
typedef struct {
    size_t steps;       /* number of points */
    double first, last; /* values at the first and last point (file order) */
    long long first_step, last_step;
    double best; /* max (higher_better) or min value */
    long long best_step;
} ll_metric_summary;

/* A point of a metric history. */
typedef struct {
    long long timestamp;
    double value;
    long long step;
} ll_metric_point;

/* Open the store at dir. With create, a missing store is created as MLflow does (dir, the
 * Default experiment 0, .trash/); without it a missing dir is LL_ENOTFOUND. */
ll_status ll_store_open(const char *dir, int create, ll_store **out, ll_error *err);
void ll_store_close(ll_store *st);
/* The store's root directory as given to ll_store_open. */
const char *ll_store_root(const ll_store *st);

/* Experiments, active ones (and deleted ones with include_deleted), sorted by id. */
ll_status ll_store_experiments(ll_store *st, int include_deleted, ll_experiment_list *out,
                               ll_error *err);
void ll_store_experiments_free(ll_experiment_list *l);
/* Find an active experiment by name or id; LL_ENOTFOUND when none. */
ll_status ll_store_experiment_find(ll_store *st, const char *name_or_id, ll_experiment *out,
                                   ll_error *err);
/* Id of the active experiment called name, creating it (under the store lock) when missing. */
ll_status ll_store_experiment_ensure(ll_store *st, const char *name, char *id, size_t idlen,
                                     ll_error *err);
void ll_experiment_clear(ll_experiment *e);

/* ---- Writing a run (the training API). A handle belongs to one thread. ---- */
typedef struct ll_run_handle ll_run_handle;

/* Begin a run in experiment exp_name (NULL = "Default") named run_name (NULL = a generated
 * name): status RUNNING, start_time now, user from $USER or the password database; tags
 * mlflow.runName, mlflow.user, mlflow.source.name (source, NULL = "lendlab"),
 * mlflow.source.type LOCAL, lendlab.version, and lendlab.pid "PID@HOST" so a run whose process
 * died is reported as DIED. */
ll_status ll_store_run_begin(ll_store *st, const char *exp_name, const char *run_name,
                             const char *source, ll_run_handle **out, ll_error *err);
/* The new run's id (32 hex digits) and directory. */
const char *ll_store_run_id(const ll_run_handle *h);
const char *ll_store_run_dir(const ll_run_handle *h);
/* Log a parameter (written at once). Params are immutable as in MLflow: logging a key again
 * with another value is LL_EEXIST. */
ll_status ll_store_log_param(ll_run_handle *h, const char *key, const char *value, ll_error *err);
/* Log a metric point with timestamp now. Points are buffered and appended to
 * metrics/<key> on ll_store_run_flush, ll_store_run_end, after 1 s or 64 KiB. */
ll_status ll_store_log_metric(ll_run_handle *h, const char *key, double value, long long step,
                              ll_error *err);
/* Same with an explicit timestamp (ms since the epoch). */
ll_status ll_store_log_metric_at(ll_run_handle *h, const char *key, double value, long long step,
                                 long long timestamp_ms, ll_error *err);
/* Set (replace) a tag. Setting mlflow.runName also renames the run as MLflow does. */
ll_status ll_store_set_tag(ll_run_handle *h, const char *key, const char *value, ll_error *err);
/* Delete a tag, as MLflow's delete_tag removes its file; a tag that is not set is fine. */
ll_status ll_store_delete_tag(ll_run_handle *h, const char *key, ll_error *err);
/* Append buffered metric points now (fsynced). */
ll_status ll_store_run_flush(ll_run_handle *h, ll_error *err);
/* Path of artifacts/<sub> (sub NULL or "" = artifacts/ itself), created if missing. */
ll_status ll_store_run_artifact_dir(ll_run_handle *h, const char *sub, char *path, size_t len,
                                    ll_error *err);
/* Flush, record status (FINISHED, FAILED or KILLED) and end_time, and free the handle (also
 * when an error is returned); SCHEDULED records a run paused to be reopened (no end_time).
 * When there is no room to write the status (disk full, quota, file size limit) the run's
 * artifacts are removed to make room and FAILED (KILLED) is recorded, else the run directory is
 * removed: a run never stays RUNNING for lack of room, unless it is kept (see below). */
ll_status ll_store_run_end(ll_run_handle *h, ll_run_status status, ll_error *err);
/* Free a handle without ending the run (flushes what it can; the run stays RUNNING, and shows
 * as DIED once this process exits). */
void ll_store_run_abandon(ll_run_handle *h);
/* Reopen the active run run_id (full id) for writing, as MLflow resumes a run: status RUNNING,
 * end_time cleared, tag lendlab.pid naming this process. The handle is kept (below). A deleted
 * run is LL_ESTATE, an unknown one LL_ENOTFOUND. */
ll_status ll_store_run_reopen(ll_store *st, const char *run_id, ll_run_handle **out, ll_error *err);
/* Keep run h whole: when its end cannot be recorded for lack of room, ll_store_run_end removes
 * nothing and returns the error (the run stays RUNNING, DIED once this process exits). For runs
 * other runs point to or that outlive one process: the parent of a study or a pipeline. */
void ll_store_run_keep(ll_run_handle *h);
/* Set (replace) a tag of the active run run_id (full id) without a handle, e.g. on a finished
 * run; written atomically, and mlflow.runName renames the run, as ll_store_set_tag. */
ll_status ll_store_set_run_tag(ll_store *st, const char *run_id, const char *key, const char *value,
                               ll_error *err);

/* ---- Reading runs ---- */
/* Search runs: filter, sort (runs missing a sort key go last), limit, then load the keys the
 * caller asked for. Ended runs come from each experiment's run index (runindex.h) while their
 * directory is unchanged; other runs are read from meta.yaml plus the files the filter, sort and
 * keys need (only the tail of metric files); what was read is then written to the index, so
 * listing 10,000 runs takes a fraction of a second even when the page cache is cold. */
ll_status ll_store_search_runs(ll_store *st, const ll_run_query *q, ll_run_list *out,
                               ll_error *err);
void ll_run_list_free(ll_run_list *l);
/* Find a run by id or unique id prefix (active or deleted). Ambiguous prefixes are LL_EINVAL
 * naming the candidates. *out is a new run with every param/metric/tag loaded. */
ll_status ll_store_get_run(ll_store *st, const char *id_or_prefix, ll_run **out, ll_error *err);
void ll_run_free(ll_run *r);
/* Load every param, metric (latest values) and tag of r. */
ll_status ll_store_run_load(ll_store *st, ll_run *r, ll_error *err);
/* Load one key ("metrics.auc" style kind + name) if not loaded yet; absent keys are fine. */
ll_status ll_store_run_load_key(ll_store *st, ll_run *r, ll_keykind kind, const char *name,
                                ll_error *err);
/* Lookups among loaded keys (NULL when absent or not loaded). */
const char *ll_run_param(const ll_run *r, const char *key);
const char *ll_run_tag(const ll_run *r, const char *key);
const ll_metric *ll_run_metric(const ll_run *r, const char *key);
/* Status as shown in listings: RUNNING, SCHEDULED, FINISHED, FAILED, KILLED, or DIED. */
const char *ll_run_status_name(const ll_run *r);
/* MLflow's name of a status value ("FINISHED"), or "UNKNOWN". */
const char *ll_run_status_str(ll_run_status s);
/* Parse "FINISHED" (case-insensitive); -1 when unknown. */
int ll_run_status_parse(const char *s);
/* Whole history of metric key of r, in file order (*points malloc'd). */
ll_status ll_store_metric_history(ll_store *st, const ll_run *r, const char *key,
                                  ll_metric_point **points, size_t *n, ll_error *err);
/* Summary of a metric history; higher_better selects max or min for best. LL_ENOTFOUND when
 * the run never logged key. */
ll_status ll_store_metric_summary(ll_store *st, const ll_run *r, const char *key, int higher_better,
                                  ll_metric_summary *out, ll_error *err);
/* Directory holding the run's artifacts/<sub>: the artifact_uri's path when it is a local
 * file: URI that exists, else <run dir>/artifacts (a store copied elsewhere). */
ll_status ll_store_run_artifact_path(const ll_store *st, const ll_run *r, const char *sub,
                                     char *path, size_t len, ll_error *err);

/* Mark a run deleted / active again (lifecycle_stage in meta.yaml; files are kept). */
ll_status ll_store_delete_run(ll_store *st, const char *run_id, ll_error *err);
ll_status ll_store_restore_run(ll_store *st, const char *run_id, ll_error *err);

/* ---- Helpers shared with the registry ---- */
/* Current time in ms since the epoch. */
long long ll_store_now_ms(void);
/* The user name lendlab records ($USER, else the password database, else "unknown"). */
void ll_store_user(char *out, size_t len);
/* Write a file of the store atomically (temporary file at the store root). */
ll_status ll_store_write_file(const ll_store *st, const char *path, const char *data, size_t len,
                              ll_error *err);
/* Direction of a metric by name (also with a prefix such as valid_ or test_): 0 for losses
 * (logloss, brier, loss, error, rmse, mae), 1 otherwise (auc, pr_auc, ks, gini, accuracy,
 * precision, recall, f1...). */
int ll_store_metric_higher_better(const char *metric);
/* MLflow's rule for param, metric and tag keys: letters, digits, '_', '-', '.', ' ', '/', no
 * leading '/', no "." or ".." component, at most 250 characters. */
int ll_store_valid_key(const char *key);

/* A metric value as a metric file holds it: the shortest text that reads back to v, or nan,
 * inf, -inf (as Python writes them). */
void ll_store_metric_value_format(double v, char *buf, size_t len);

/* Path of a local file: URI (file:///p, file://localhost/p, file:p) with %XX decoded into out;
 * 0 when uri is not a file: URI or does not fit. */
int ll_store_file_uri_path(const char *uri, char *out, size_t len);

#endif
