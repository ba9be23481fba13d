/* registry: registered models, versions, aliases, MLflow stages, promotion policy, audit log. */
#ifndef LL_REGISTRY_H
#define LL_REGISTRY_H

#include <stddef.h>

#include "error.h"
#include "store.h"

/* Layout (MLflow's model registry FileStore, plus lendlab's own files beside it):
 *   <store>/models/<name>/meta.yaml             name, timestamps, description, aliases
 *   <store>/models/<name>/aliases/<alias>       the version number
 *   <store>/models/<name>/version-<N>/meta.yaml version, source, run_id, current_stage...
 *   <store>/models/<name>/version-<N>/tags/
 *   <store>/models/<name>/.lock                 fcntl lock serialising every change
 *   <store>/models/<name>/history.jsonl         one JSON object per change (audit trail)
 * Aliases and MLflow's legacy stages are kept consistent: the version holding alias
 * "production" is in stage Production, "staging" in Staging; a version that loses either
 * alias, or another version still in that stage, becomes Archived. */

typedef struct {
    long version;
    char *source;
    char *run_id;
    char *stage; /* current_stage: None, Staging, Production, Archived */
    char *status;
    char *user_id;
    char *description;
    long long creation_timestamp, last_updated_timestamp;
    char **aliases; /* aliases pointing at this version, sorted */
    size_t naliases;
} ll_model_version;

typedef struct {
    char *name;
    char *description;
    long long creation_timestamp, last_updated_timestamp;
    ll_model_version *versions; /* ascending version numbers */
    size_t nversions;
    ll_kv *aliases; /* alias -> version number text, sorted by alias */
    size_t naliases;
} ll_registered_model;

/* A promotion policy (lendlab-policy(5)): minimum/maximum values of the candidate's final
 * metrics, and a challenger rule against the version holding the target alias. */
typedef struct {
    char metric[128];
    int has_min, has_max;
    double min, max;
} ll_policy_require;

typedef struct {
    char *path; /* file it was read from (may be NULL) */
    ll_policy_require *require;
    size_t nrequire;
    int has_challenger;
    char challenger_metric[128];
    double min_gain;   /* improvement needed over the incumbent (in the metric's direction) */
    int higher_better; /* direction of the challenger metric */
} ll_policy;

/* The outcome of one policy rule. */
typedef struct {
    char rule[160]; /* "auc >= 0.7", "challenger: auc gain >= 0.005 over version 2" */
    char metric[128];
    double value;     /* candidate's value (NaN when missing) */
    double threshold; /* bound, or the incumbent's value plus/minus the gain for challenger */
    double incumbent; /* challenger rule: the incumbent's value (NaN otherwise) */
    int passed;
    char detail[320]; /* why it failed, or a note ("no version holds production yet") */
} ll_rule_result;

typedef struct {
    const char *model;
    const char *from_alias;  /* candidate = version holding this alias, or */
    long version;            /* the candidate version when from_alias is NULL */
    const char *to_alias;    /* alias to point at the candidate */
    const ll_policy *policy; /* NULL = no rules */
    int force;               /* promote even when rules fail (needs comment) */
    const char *comment;
} ll_promote_request;

typedef struct {
    long version;    /* the candidate */
    long previous;   /* version that held to_alias before, 0 when none */
    char action[16]; /* "promote", or "rollback" when the candidate is older than previous */
    int evaluated;   /* a policy was evaluated */
    int passed;      /* every rule passed (1 when there was no policy) */
    int forced;      /* rules failed and force was given */
    ll_rule_result *rules;
    size_t nrules;
    char stage[32]; /* candidate's current_stage afterwards */
    long *archived; /* versions moved to Archived by this change */
    size_t narchived;
} ll_promote_result;

/* Names of the registered models, sorted (*names malloc'd; ll_registry_names_free). */
ll_status ll_registry_list(ll_store *st, char ***names, size_t *n, ll_error *err);
void ll_registry_names_free(char **names, size_t n);
/* Read a registered model with its versions and aliases. */
ll_status ll_registry_get(ll_store *st, const char *name, ll_registered_model **out, ll_error *err);
void ll_registry_model_free(ll_registered_model *m);
/* Version n of m, or NULL. */
const ll_model_version *ll_registry_version(const ll_registered_model *m, long n);
/* Version alias points at in m, 0 when unset. */
long ll_registry_alias_version(const ll_registered_model *m, const char *alias);
/* MLflow's rules: model names without '/', '%' or leading '.'; aliases [A-Za-z0-9_-], not
 * "latest" nor "v<digits>". */
int ll_registry_valid_name(const char *name);
int ll_registry_valid_alias(const char *alias);

/* Register run_id's artifacts/model/ as a new version of model name (created when missing).
 * The version's source is "<artifact_uri>/model". With alias, the alias moves to it (and the
 * stages follow). The version number is allocated under the model's lock, so concurrent
 * registrations get distinct versions. Appends a history line. *version may be NULL. */
ll_status ll_registry_register(ll_store *st, const char *run_id, const char *name,
                               const char *alias, const char *comment, long *version,
                               ll_error *err);
/* Point an alias at a version (the rollback path when the version is older). No policy. */
ll_status ll_registry_set_alias(ll_store *st, const char *name, const char *alias, long version,
                                const char *comment, ll_promote_result *res, ll_error *err);
/* Promote under a policy: evaluate the rules, refuse with LL_EPOLICY (res filled) when one
 * fails unless req->force (which needs a comment), else move the alias, sync the stages and
 * append a history line recording metrics, verdict, forced flag and comment. */
ll_status ll_registry_promote(ll_store *st, const ll_promote_request *req, ll_promote_result *res,
                              ll_error *err);
/* What ll_registry_promote would decide, changing nothing: the same candidate, previous holder,
 * incumbent and rule verdicts in res (LL_OK whether or not the rules pass; force and comment
 * are not looked at), or the same error (no such alias or version, alias already there). */
ll_status ll_registry_promote_check(ll_store *st, const ll_promote_request *req,
                                    ll_promote_result *res, ll_error *err);
/* Remove alias from its version; a version left without production/staging is Archived. */
ll_status ll_registry_demote(ll_store *st, const char *name, const char *alias, const char *comment,
                             long *version, ll_error *err);
void ll_promote_result_clear(ll_promote_result *res);

/* The history of model name: one JSON text per line, oldest first (*lines malloc'd). A model
 * without history gives 0 lines. */
ll_status ll_registry_history(ll_store *st, const char *name, char ***lines, size_t *n,
                              ll_error *err);

/* Read a policy file (JSON, lendlab-policy(5)). Errors name the file and the offending key. */
ll_status ll_registry_policy_load(const char *path, ll_policy **out, ll_error *err);
/* Parse a policy from JSON text (path only for messages, may be NULL). */
ll_status ll_registry_policy_parse(const char *json, const char *path, ll_policy **out,
                                   ll_error *err);
void ll_registry_policy_free(ll_policy *p);
/* Evaluate policy for candidate run cand against incumbent run inc (NULL = none; inc_version
 * names it in messages). Fills res->rules/nrules/passed; LL_OK even when rules fail. */
ll_status ll_registry_policy_eval(const ll_policy *p, const ll_run *cand, const ll_run *inc,
                                  long inc_version, ll_promote_result *res, ll_error *err);

#endif
