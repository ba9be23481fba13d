/* drift: per-column and dataset drift between a reference and a current data set, PSI,
 * saved reference profiles and the JSON/HTML drift report. */
#ifndef LL_DRIFT_H
#define LL_DRIFT_H

#include <stdio.h>

#include "error.h"
#include "table.h"

/* Version of the saved reference profile format (the "schema_version" member). */
#define LL_DRIFT_PROFILE_VERSION 1
/* Default share of drifted feature columns at which the data set counts as drifted. */
#define LL_DRIFT_DEFAULT_SHARE 0.5

/* How a column is compared: numbers (ordered) or categories (labels). Columns read as
 * booleans are numeric when their spellings are numbers (0/1), categorical otherwise. */
typedef enum { LL_DRIFT_NUM = 0, LL_DRIFT_CAT, LL_DRIFT_KIND_COUNT } ll_drift_kind;

/* The statistical tests, as Evidently names them. */
typedef enum {
    LL_STATTEST_AUTO = 0,      /* Evidently's default choice by size, type and distinct values */
    LL_STATTEST_KS,            /* two-sample Kolmogorov-Smirnov, p-value (numeric) */
    LL_STATTEST_CHISQUARE,     /* chi-square goodness of fit to reference shares, p-value */
    LL_STATTEST_Z,             /* two-proportion Z-test (first label against the rest), p-value */
    LL_STATTEST_WASSERSTEIN,   /* Wasserstein distance / reference std (numeric) */
    LL_STATTEST_JENSENSHANNON, /* Jensen-Shannon distance of binned shares */
    LL_STATTEST_PSI,           /* population stability index (the report's PSI) */
    LL_STATTEST_COUNT
} ll_stattest;

/* Option name of a test: "auto", "ks", "chisquare", "z", "wasserstein", "jensenshannon",
 * "psi". */
const char *ll_stattest_name(ll_stattest t);
/* Evidently's display name ("K-S p_value", "Wasserstein distance (normed)"...). */
const char *ll_stattest_display(ll_stattest t);
/* Parse an option name; -1 if unknown. */
int ll_stattest_parse(const char *s);
/* Default threshold: 0.05 for the p-value tests, 0.1 for the distances and PSI. */
double ll_stattest_default_threshold(ll_stattest t);
/* Non-zero when the score is a p-value (drift when score < threshold), zero for distances
 * (drift when score >= threshold). */
int ll_stattest_is_pvalue(ll_stattest t);
/* PSI band: "stable" (< 0.1), "moderate" (0.1 - 0.25), "significant" (> 0.25). */
const char *ll_drift_psi_band(double psi);

/* Everything drift needs to know about one column of one data set, so monitoring never
 * re-reads the data: exact distinct values (or categories) with counts. */
typedef struct {
    char *name;
    ll_drift_kind kind;
    size_t nrows;      /* rows of the data set */
    size_t missing;    /* missing cells */
    size_t k;          /* distinct values (numeric) or categories */
    double *values;    /* numeric: k distinct values, ascending */
    char **cats;       /* categorical: k spellings in strcmp order */
    size_t *counts;    /* k counts (sum = nrows - missing) */
    double *psi_edges; /* numeric with > 5 distinct values: interior PSI bin edges, else NULL */
    size_t npsi_edges; /* the PSI bins are (-inf, e0), [e0, e1), ..., [e_last, +inf) */
} ll_drift_column;

/* A data set's drift profile: one ll_drift_column per CSV column, in file order. */
typedef struct {
    char *source; /* file the data came from */
    char *target; /* target column recorded with the profile, or NULL */
    size_t nrows;
    size_t ncols;
    ll_drift_column *cols;
} ll_drift_profile;

/* Build a profile of every column of t, using up to nthreads threads across columns (0 = 2).
 * source names the data (may be NULL); target (may be NULL) must name a column of t. */
ll_status ll_drift_profile_from_table(const ll_table *t, const char *source, const char *target,
                                      int nthreads, const volatile int *cancel,
                                      ll_drift_profile **out, ll_error *err);
/* Profile of a single numeric sample (for example model scores): NaN counts as missing. */
ll_status ll_drift_column_from_values(const char *name, const double *v, size_t n,
                                      ll_drift_column *out, ll_error *err);
/* Free a column's contents (not the struct). */
void ll_drift_column_clear(ll_drift_column *c);
void ll_drift_profile_free(ll_drift_profile *p);
/* Index of the column named name, or -1. */
long ll_drift_profile_find(const ll_drift_profile *p, const char *name);
/* Write p as JSON (schema version, source, rows, target, columns) to path, atomically
 * (temporary file + rename). */
ll_status ll_drift_profile_save(const ll_drift_profile *p, const char *path, ll_error *err);
/* Read a profile written by ll_drift_profile_save, checking its structure. */
ll_status ll_drift_profile_load(const char *path, ll_drift_profile **out, ll_error *err);
/* 1 when path holds a saved profile (a JSON object) rather than CSV, 0 otherwise. */
int ll_drift_profile_is_saved(const char *path);

/* A per-column test choice: COL=TEST[:THRESHOLD] on the command line. */
typedef struct {
    const char *column; /* column name; may be the whole "COL=TEST[:X]" text (the name then
                         * ends at its last '=') */
    ll_stattest test;
    double threshold; /* NaN = the test's default (or the global threshold) */
} ll_drift_column_test;

typedef struct {
    double drift_share;   /* dataset drift when drifted/tested >= this (default 0.5) */
    ll_stattest stattest; /* test for every column it applies to; AUTO = Evidently's choice */
    double threshold;     /* threshold for every column; NaN = each test's default */
    const ll_drift_column_test *column_tests; /* per-column overrides (win over the above) */
    size_t ncolumn_tests;
    const char *target; /* target column (tested and reported apart); NULL = profile's */
} ll_drift_options;

/* Defaults: drift share 0.5, automatic tests, default thresholds, no target. */
void ll_drift_options_init(ll_drift_options *o);
/* Parse "COL=TEST[:THRESHOLD]" into t (t->column points into s). Returns 0 or -1 with a
 * message in errbuf. */
int ll_drift_column_test_parse(const char *s, ll_drift_column_test *t, char *errbuf, size_t errlen);

/* The outcome for one column. */
typedef struct {
    char *column_name;
    ll_drift_kind kind;
    int tested;       /* 0 when the column has no values on one side (then not drifted) */
    const char *note; /* why it was not tested, or NULL */
    ll_stattest test; /* the test used (never AUTO) */
    double threshold; /* threshold used */
    double score;     /* p-value or distance; NaN when not tested */
    double statistic; /* KS D, chi-square or z where the test has one; else NaN */
    int drifted;      /* drift detected */
    double psi;       /* population stability index (NaN when not tested) */
    double missing_share_reference, missing_share_current;
    size_t nref, ncur;     /* non-missing values compared */
    char **new_categories; /* categories of the current set unseen in the reference */
    size_t nnew;
    /* histogram for the report: nbins shares per side; labels for categories or few values,
     * else equal-width bins on [hist_lo, hist_hi] (values outside in the end bins) */
    size_t nbins;
    double *hist_ref, *hist_cur;
    char **hist_labels;
    double hist_lo, hist_hi;
} ll_drift_result;

typedef struct {
    char *reference, *current; /* names as given */
    size_t rows_reference, rows_current;
    double drift_share;
    size_t ncols; /* feature columns (target excluded), in reference order */
    ll_drift_result *cols;
    size_t number_of_columns;         /* feature columns tested */
    size_t number_of_drifted_columns; /* of those, drifted */
    double share_of_drifted_columns;  /* drifted / tested (0 when none tested) */
    int dataset_drift;                /* share_of_drifted_columns >= drift_share */
    ll_drift_result *target;          /* target drift, NULL without a target in both sets */
    ll_drift_result *prediction;      /* model score drift; NULL until scores are compared */
    char *run_id; /* tracking run the report was logged to (JSON "run_id"), or NULL */
} ll_drift_report;

/* Compare current against reference. Errors (LL_EINVAL) name columns missing on one side,
 * columns whose kinds differ, an empty data set, or an unknown column in a per-column test. */
ll_status ll_drift_compare(const ll_drift_profile *ref, const ll_drift_profile *cur,
                           const ll_drift_options *opt, ll_drift_report **out, ll_error *err);
/* Compare one pair of columns (same kind) with test and threshold (AUTO / NaN = defaults):
 * the building block for the features, the target and model scores. */
ll_status ll_drift_compare_columns(const ll_drift_column *ref, const ll_drift_column *cur,
                                   ll_stattest test, double threshold, ll_drift_result *out,
                                   ll_error *err);
void ll_drift_result_clear(ll_drift_result *r);
void ll_drift_report_free(ll_drift_report *r);

/* Column indexes of r->cols from most to least severe drift (drifted first, then by how far
 * the score is past or short of its threshold, then PSI); idx has r->ncols slots. */
void ll_drift_report_order(const ll_drift_report *r, size_t *idx);
/* Call fn once per numeric result (dataset_drift, share_of_drifted_columns,
 * number_of_drifted_columns, drift_score.COL, psi.COL, target_drift_score,
 * prediction_drift_score...): the metrics a tracking store records for a drift run. */
void ll_drift_report_metrics(const ll_drift_report *r,
                             void (*fn)(const char *key, double value, void *ud), void *ud);
/* Format v for display with 4 significant digits, locale-independent ("0.1235", "3.2e-41",
 * "-" for NaN). Returns buf. */
char *ll_drift_fmt(double v, char *buf, size_t len);
/* Write the report as JSON (Evidently's member names) to f. */
void ll_drift_write_json(const ll_drift_report *r, FILE *f);
/* Write a self-contained HTML report (inline CSS and SVG, no scripts) to path atomically. */
ll_status ll_drift_write_html(const ll_drift_report *r, const char *path, ll_error *err);

#endif
