/* features: the model-ready matrices produced by the feature plan (binned for trees, design
 * for linear models), shared by prep and the learners. */
#ifndef LL_FEATURES_H
#define LL_FEATURES_H

#include <stddef.h>
#include <stdint.h>

/* Bin index of a missing value in an ll_binned column. Non-missing bins are 0..nbins-1 (so a
 * feature has at most 255 non-missing bins in this representation). */
#define LL_BIN_MISSING 255

/* Quantised feature matrix for tree learners. Column-major: bins[f][row].
 * Numeric feature f: bin b holds values v with cuts[f][b-1] <= v < cuts[f][b] (bin 0: v <
 * cuts[f][0]; last bin: v >= cuts[f][nbins-2]); there are nbins-1 cut values. Splitting "left
 * when bin <= b" is therefore "left when v < cuts[f][b]", XGBoost's split condition.
 * Categorical feature f: bin = category index 0..nbins-1 in the plan's dictionary order. */
typedef struct {
    size_t n;        /* rows */
    int nfeat;       /* features */
    uint8_t **bins;  /* nfeat arrays of n bin indexes */
    int *nbins;      /* per feature: non-missing bins (numeric) or categories (categorical) */
    uint8_t *is_cat; /* per feature: 1 = categorical */
    double **cuts;   /* per numeric feature: nbins-1 increasing cut values (NULL if categorical) */
    char **names;    /* per feature: column name */
} ll_binned;

/* Design matrix for linear models: a dense standardised numeric block plus categorical
 * features as one-hot groups stored by index (no dense one-hot blow-up).
 * x_i . w = sum_j num[j][i] * w[j] + sum_g w[cat_offset[g] + cat[g][i]] (cat[g][i] >= 0)
 * Missing numeric values are imputed by the plan before standardisation (num has no NaN);
 * a missing category is its own level if the plan made one, else -1 (no contribution). */
typedef struct {
    size_t n;        /* rows */
    int pnum;        /* numeric (standardised) columns */
    double **num;    /* pnum arrays of n values */
    int ncat;        /* categorical groups */
    int32_t **cat;   /* ncat arrays of n level indexes (-1 = no level) */
    int *cat_levels; /* levels per group */
    int *cat_offset; /* weight index of level 0 of group g: pnum + sum of earlier levels */
    int nweights;    /* pnum + sum(cat_levels); the intercept is separate */
} ll_design;

/* Per-iteration report every learner sends through its callback. NaN where not computed. */
typedef struct {
    int iteration; /* 1-based */
    int total;     /* planned iterations (trees, solver iterations upper bound) */
    double train_logloss, train_auc;
    double valid_logloss, valid_auc;
    double elapsed_s;
} ll_fit_progress;

/* Learner progress callback: return non-zero to cancel the fit (LL_ECANCELLED). */
typedef int (*ll_fit_fn)(const ll_fit_progress *p, void *ud);

void ll_binned_free(ll_binned *b);
void ll_design_free(ll_design *d);

#endif
