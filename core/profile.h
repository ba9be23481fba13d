/* profile: per-column statistics of an ll_table (describe), target balance and rates. */
#ifndef LL_PROFILE_H
#define LL_PROFILE_H

#include <stddef.h>

#include "error.h"
#include "table.h"

/* Quantile levels reported for numeric columns: 1, 5, 25, 50, 75, 95 and 99 %. */
#define LL_PROFILE_NQUANT 7
/* Default number of equal-width histogram bins and of top categories. */
#define LL_PROFILE_BINS 20
#define LL_PROFILE_TOP  10
/* At most this many levels (categories) are kept per column, most frequent first. */
#define LL_PROFILE_MAX_LEVELS 1000

/* The quantile levels as fractions, in the order of ll_profile_column.quantiles. */
extern const double ll_profile_quantile_levels[LL_PROFILE_NQUANT];
/* Their names in --json output: "p1", "p5", "p25", "p50", "p75", "p95", "p99". */
extern const char *const ll_profile_quantile_names[LL_PROFILE_NQUANT];

typedef struct {
    const char *target;         /* target column name; NULL = no target */
    const char *positive;       /* positive class label; NULL = detect (see ll_profile_compute) */
    int bins;                   /* histogram bins; 0 = LL_PROFILE_BINS */
    int top;                    /* top categories reported per column; 0 = LL_PROFILE_TOP */
    int nthreads;               /* worker threads across columns; 0 = automatic (at most 2) */
    const volatile int *cancel; /* optional: non-zero cancels (LL_ECANCELLED) */
} ll_profile_options;

/* One category of a categorical or boolean column (or one class of the target). */
typedef struct {
    char *value;         /* label (owned by the profile) */
    size_t count;        /* rows with this value */
    size_t target_count; /* of those, rows whose target is not missing (0 without target) */
    size_t positives;    /* of those, rows of the positive class */
    double target_rate;  /* positives / target_count; NaN without target or when 0 rows */
} ll_profile_level;

/* Statistics of one column. Fields that do not apply to the column's type are NaN / 0 / NULL:
 * numeric columns have everything but levels; boolean columns have mean (share of true), std,
 * min/max and levels; categorical columns have levels only. */
typedef struct {
    char *name; /* owned */
    ll_coltype type;
    size_t count;    /* non-missing values */
    size_t missing;  /* missing values */
    size_t distinct; /* distinct non-missing values (-0.0 and 0.0 are one value) */
    double min, max, mean;
    double std;                          /* sample standard deviation (ddof = 1), as pandas */
    double quantiles[LL_PROFILE_NQUANT]; /* numpy's default "linear" method */
    int nbins;                           /* histogram bins (0 when count is 0 or not numeric) */
    double *hist_edges;                  /* nbins + 1 edges, numpy.histogram(bins=nbins) */
    size_t *hist_counts;                 /* nbins counts; the last bin includes its right edge */
    ll_profile_level *levels;            /* by count descending, ties by label (byte order) */
    size_t nlevels;                      /* at most LL_PROFILE_MAX_LEVELS */
    size_t ntop;                         /* min(nlevels, options.top): the "top" list */
    int is_target;                       /* this column is the profile's target */
} ll_profile_column;

/* The target column: its two classes and which one is positive. */
typedef struct {
    long column;                 /* index in the table */
    char *name;                  /* owned */
    ll_profile_level classes[2]; /* by count descending, ties by label */
    int positive_index;          /* 0 or 1: which of classes[] is the positive class */
    size_t count;                /* rows with a non-missing target */
    double positive_rate;        /* classes[positive_index].count / count */
} ll_profile_target;

typedef struct {
    size_t nrows, ncols;
    ll_profile_column *cols; /* ncols, in table order */
    int has_target;
    ll_profile_target target; /* valid when has_target */
} ll_profile;

/* Profile every column of t. With options->target, the target must have exactly 2 classes
 * (LL_EINVAL listing the classes found otherwise) and categorical/boolean levels get their
 * positive rate. The positive class is options->positive when given (matched exactly, then
 * case-insensitively, then numerically), else detected: 1/0, true/false, yes/no, y/n, bad/good,
 * "default" or "charged off" against anything (case, '_' and '-' ignored); otherwise a boolean
 * target's true value, else the minority class (on a tie the label sorting last). opt may be
 * NULL. On success *out is a new profile to release with ll_profile_free. */
ll_status ll_profile_compute(const ll_table *t, const ll_profile_options *opt, ll_profile **out,
                             ll_error *err);
/* Index (0 or 1) of the positive class of a two-class target whose classes are labels[k] with
 * counts[k] rows: by the encodings above; else bool_true (index of a boolean target's true
 * class, -1 for other targets); else the minority class, on a tie the label sorting last. The
 * one rule describe and train share. */
int ll_profile_positive_label(const char *const labels[2], const size_t counts[2], int bool_true);
/* Release a profile (NULL is fine). */
void ll_profile_free(ll_profile *p);
/* The column to use as target when the user names none: the rightmost column named (ignoring
 * case) Class, target, default, loan_status, y, label, outcome or bad_loan that has exactly two
 * distinct non-missing values; -1 when there is none. */
long ll_profile_guess_target(const ll_table *t);

#endif
