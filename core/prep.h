/* prep: the fitted feature plan (bins for trees, imputed/standardised design for linear models). */
#ifndef LL_PREP_H
#define LL_PREP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "features.h"
#include "table.h"

/* Version of the plan's JSON section; bumped when its meaning changes. */
#define LL_PREP_SCHEMA_VERSION 1
/* Most non-missing bins a numeric feature gets (LL_BIN_MISSING takes the 256th code). */
#define LL_PREP_MAX_BINS 255
/* Most categories kept per categorical feature; the "other" bucket is the 255th. */
#define LL_PREP_MAX_CATEGORIES 254

/* How to fit a plan. */
typedef struct {
    int max_bin;        /* bins per numeric feature, 2..256 (256 behaves as 255) */
    int max_categories; /* categories kept per categorical feature, 1..254 (rest -> other) */
    const char *const *exclude; /* columns never used as features (may be NULL) */
    size_t nexclude;
} ll_prep_options;

/* A fitted feature plan. Feature f of the plan is the training column of the same name; every
 * column but the target (and excluded ones) is a feature, in table order. */
typedef struct ll_prep ll_prep;

/* Defaults: max_bin 256, max_categories 254, nothing excluded. */
void ll_prep_options_default(ll_prep_options *o);

/* Fit a plan on training data only. target must have exactly two classes; positive names the
 * positive class (matched exactly, then ignoring case, then as a number or boolean word). NULL
 * detects it as the dataset profile does: 1/0, true/false, t/f, yes/no, y/n, bad/good, or
 * default/defaulted/charged off against anything; else a boolean's true value; else the rarer
 * class (on a tie the label sorting last). Numeric cuts are float32 values (so XGBoost's float
 * comparisons agree); categories are kept in byte order of their text. opt may be NULL. */
ll_status ll_prep_fit(const ll_table *train, const char *target, const char *positive,
                      const ll_prep_options *opt, ll_prep **out, ll_error *err);
/* A plan without training data: numeric features by name, no cuts and no target (for models
 * imported from XGBoost, scored through ll_prep_raw). Labels are "1" (positive) and "0". */
ll_status ll_prep_new_raw(const char *const *names, int nfeat, ll_prep **out, ll_error *err);
void ll_prep_free(ll_prep *p);

/* Binned matrix of table for tree learners (columns found by name; extra columns ignored).
 * Missing values get LL_BIN_MISSING, unseen categories the "other" bucket. Errors name a
 * missing feature column, or a numeric feature whose text is not a number (first bad value). */
ll_status ll_prep_binned(const ll_prep *p, const ll_table *t, ll_binned *out, ll_error *err);
/* An empty (n = 0) binned matrix carrying names, types, bin counts and cuts of the plan. */
ll_status ll_prep_binned_meta(const ll_prep *p, ll_binned *out, ll_error *err);
/* Design matrix for linear models: numeric features median-imputed and standardised, each
 * categorical feature one-hot by index with levels categories..., other, missing. */
ll_status ll_prep_design(const ll_prep *p, const ll_table *t, ll_design *out, ll_error *err);
/* Raw row-major matrix (t->nrows x nfeat): numeric values rounded to float32 (as the trees'
 * thresholds compare them; NaN = missing), categorical features as their category index. */
ll_status ll_prep_raw(const ll_prep *p, const ll_table *t, double *x_rowmajor, ll_error *err);
/* 0/1 labels of the target column (1 = positive class). A missing target or a value that is
 * neither class is an error naming the row. */
ll_status ll_prep_labels(const ll_prep *p, const ll_table *t, double *y01, ll_error *err);

/* Number of features. */
int ll_prep_nfeat(const ll_prep *p);
/* Name of feature f. */
const char *ll_prep_feature_name(const ll_prep *p, int f);
/* Type feature f had in the training data (the type to parse it as at predict time). */
ll_coltype ll_prep_feature_type(const ll_prep *p, int f);
/* Kept categories of categorical feature f in index order (*n of them; NULL for numeric). */
const char *const *ll_prep_categories(const ll_prep *p, int f, int *n);
/* Index of category text s (len bytes) of feature f: 0..n-1, n for other/unseen. */
int ll_prep_category_index(const ll_prep *p, int f, const char *s, size_t len);
/* Cut values of numeric feature f (*n of them, increasing; NULL when none). */
const double *ll_prep_cuts(const ll_prep *p, int f, int *n);
/* Training median, mean and standard deviation (after imputation) of numeric feature f. */
void ll_prep_numeric_stats(const ll_prep *p, int f, double *median, double *mean, double *std);
/* Target column name ("" for a raw plan). */
const char *ll_prep_target(const ll_prep *p);
/* Positive and negative class labels as text. */
const char *ll_prep_positive_label(const ll_prep *p);
const char *ll_prep_negative_label(const ll_prep *p);
/* Non-zero for a plan made by ll_prep_new_raw. */
int ll_prep_is_raw(const ll_prep *p);
/* Design-matrix feature of weight group: for design column j < pnum the plan feature index of
 * numeric block column j; for group g the plan feature of one-hot group g. */
int ll_prep_design_num_feature(const ll_prep *p, int j);
int ll_prep_design_cat_feature(const ll_prep *p, int g);
/* Means and standard deviations of the design's numeric block (pnum values each, in design
 * order) for turning standardised coefficients into original units. */
void ll_prep_design_scaling(const ll_prep *p, const double **means, const double **stds, int *pnum);

/* The plan as JSON (with "schema": LL_PREP_SCHEMA_VERSION); NULL on ENOMEM. */
cJSON *ll_prep_to_json(const ll_prep *p);
/* Rebuild a plan from ll_prep_to_json's output. */
ll_status ll_prep_from_json(const cJSON *j, ll_prep **out, ll_error *err);

/* Copy of rows idx[0..n-1] of t (dictionaries copied whole). NULL on ENOMEM. */
ll_table *ll_prep_table_rows(const ll_table *t, const size_t *idx, size_t n);
/* Stratified seeded split of t on target's classes: round(fraction * class count) rows of each
 * class go to *b, the rest to *a; both keep the original row order. */
ll_status ll_prep_split(const ll_table *t, const char *target, double fraction, unsigned long seed,
                        ll_table **a, ll_table **b, ll_error *err);

#endif
