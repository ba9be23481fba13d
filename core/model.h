/* model: one interface over the learners (fit, predict, importance, save/load, parameters). */
#ifndef LL_MODEL_H
#define LL_MODEL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "features.h"
#include "forest.h"
#include "gbdt.h"
#include "logreg.h"
#include "prep.h"
#include "table.h"

/* Version of model.json; bumped when its meaning changes. */
#define LL_MODEL_SCHEMA_VERSION 1

typedef enum {
    LL_MODEL_LOGREG = 0, /* L2-regularised logistic regression */
    LL_MODEL_FOREST,     /* random forest */
    LL_MODEL_GBDT,       /* gradient boosted trees (XGBoost semantics) */
    LL_MODEL_KIND_COUNT
} ll_model_kind;

/* "logreg", "forest", "gbdt". */
const char *ll_model_kind_name(ll_model_kind k);
/* Parse a kind name (also "xgboost", "rf", "lr"); -1 if unknown. */
int ll_model_kind_parse(const char *s);

/* ---------- parameters ---------- */

typedef enum {
    LL_PARAM_INT = 0, /* integer in [min, max] */
    LL_PARAM_DOUBLE,  /* number in [min, max] ((min, max] with min_open) */
    LL_PARAM_BOOL,    /* true/false (also 1/0, yes/no) */
    LL_PARAM_ENUM,    /* one of choices; the value is the choice's index */
    LL_PARAM_TYPE_COUNT
} ll_param_type;

/* One tunable parameter of a model kind (the TUI's form and the man page use the same table). */
typedef struct {
    const char *name; /* XGBoost/scikit-learn spelling: "eta", "max_depth", "C"... */
    ll_param_type type;
    double def, min, max;
    int min_open;               /* 1: the minimum itself is not allowed */
    const char *help;           /* one line */
    const char *const *choices; /* LL_PARAM_ENUM: NULL-terminated names */
} ll_param_spec;

#define LL_MODEL_MAX_PARAMS 24

/* Parameter values of one model kind, indexed like its spec table. */
typedef struct {
    ll_model_kind kind;
    double value[LL_MODEL_MAX_PARAMS];
    unsigned char set[LL_MODEL_MAX_PARAMS]; /* 1 = given explicitly (not the default) */
} ll_model_params;

/* The parameter table of a kind (*n entries). */
const ll_param_spec *ll_model_param_specs(ll_model_kind kind, int *n);
/* Every parameter at its default. */
void ll_model_params_default(ll_model_kind kind, ll_model_params *p);
/* Set parameter key from text. Unknown keys and bad or out-of-range values are refused with
 * a message listing the valid keys and ranges (LL_EINVAL). */
ll_status ll_model_params_set(ll_model_params *p, const char *key, const char *value,
                              ll_error *err);
/* Same for one "KEY=VALUE" string. */
ll_status ll_model_params_parse(ll_model_params *p, const char *assignment, ll_error *err);
/* Value of parameter name (NaN when the kind has no such parameter). */
double ll_model_params_get(const ll_model_params *p, const char *name);
/* Non-zero when name was set explicitly. */
int ll_model_params_is_set(const ll_model_params *p, const char *name);
/* Text of a value as it is written back ("0.3", "true", "balanced"). Returns buf. */
const char *ll_model_param_text(const ll_param_spec *s, double v, char *buf, size_t len);
/* Allowed values of a parameter ("integer 1..100000", "number in (0, 1]", "none|balanced"). */
const char *ll_model_param_range(const ll_param_spec *s, char *buf, size_t len);
/* Validate all values (ranges, then the learner's own checks). */
ll_status ll_model_params_check(const ll_model_params *p, ll_error *err);
/* Parameters as a JSON object {name: value}; NULL on ENOMEM. */
cJSON *ll_model_params_to_json(const ll_model_params *p);
/* Read parameters of kind from a JSON object (unknown names are ignored, bad values refused). */
ll_status ll_model_params_from_json(ll_model_kind kind, const cJSON *j, ll_model_params *p,
                                    ll_error *err);
/* The learner's parameter struct (its defaults, then every model-level value) for p of kind
 * LL_MODEL_GBDT, LL_MODEL_FOREST or LL_MODEL_LOGREG respectively; what ll_model_fit trains with. */
void ll_model_params_to_gbdt(const ll_model_params *p, ll_gbdt_params *out);
void ll_model_params_to_forest(const ll_model_params *p, ll_forest_params *out);
void ll_model_params_to_logreg(const ll_model_params *p, ll_logreg_params *out);

/* ---------- models ---------- */

typedef struct ll_model ll_model;

/* Fit the feature plan on train, then the learner (params NULL = defaults of kind; its kind
 * must be kind). valid (may be NULL) feeds progress and early stopping. cb reports every
 * iteration; *cancel non-zero or cb returning non-zero stops with LL_ECANCELLED. */
ll_status ll_model_fit(ll_model_kind kind, const ll_model_params *params, const ll_table *train,
                       const ll_table *valid, const char *target, const char *positive,
                       ll_fit_fn cb, void *ud, const volatile int *cancel, ll_model **out,
                       ll_error *err);
/* Positive-class probability of every row of t (columns found by name, extras ignored). */
ll_status ll_model_predict(const ll_model *m, const ll_table *t, double *prob_out, ll_error *err);
/* Number of features and their names in plan order. */
int ll_model_nfeat(const ll_model *m);
/* Importance per feature in plan order: names[i] (pointers owned by the model) and values[i]
 * (total split gain for gbdt, impurity decrease for forest, largest |coefficient| of the
 * feature in standardised units for logreg; 0 for an imported model's unused features). */
void ll_model_importance(const ll_model *m, const char **names, double *values);
ll_model_kind ll_model_kind_of(const ll_model *m);
const ll_model_params *ll_model_params_of(const ll_model *m);
const ll_prep *ll_model_prep(const ll_model *m);
/* Non-zero for a model imported from an XGBoost JSON file (no feature plan, raw scoring). */
int ll_model_is_imported(const ll_model *m);
/* The learner inside (NULL when the model is of another kind). */
const struct ll_gbdt *ll_model_gbdt(const ll_model *m);
const struct ll_forest *ll_model_forest(const ll_model *m);
const struct ll_logreg *ll_model_logreg(const ll_model *m);

/* Save into directory dir (created if needed): model.json, MLmodel and, for gbdt,
 * model.xgb.json (XGBoost's JSON format). Every file is written to a temporary name,
 * synced, then renamed into place. */
ll_status ll_model_save(const ll_model *m, const char *dir, ll_error *err);
/* ll_model_save with the MLmodel's artifact_path and run_id (run_id may be NULL). */
ll_status ll_model_save_ex(const ll_model *m, const char *dir, const char *artifact_path,
                           const char *run_id, ll_error *err);
/* Load from a model directory or a model.json path. A directory holding only an XGBoost JSON
 * model (model.xgb.json or another *.json in XGBoost's schema), or such a file itself, loads
 * as an imported gbdt scored on raw values. */
ll_status ll_model_load(const char *path, ll_model **out, ll_error *err);
void ll_model_free(ll_model *m);

#endif
