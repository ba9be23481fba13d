/* Unit tests for registry: versions, aliases and stages, policy, history, concurrency. */
#define _GNU_SOURCE
#include <cJSON.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "registry.h"
#include "store.h"
#include "yamlmap.h"

#define SHA_A "9b1e4c6a0f7d2e8b3c5a1d9f4e7b2c8a6d0f3e5b7c9a1d2e4f6b8c0a2d4e6f8a"
#define SHA_B "41d8cd98f00b204e9800998ecf8427e0a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define POLICY                                                                                     \
    "{\"require\": {\"auc\": {\"min\": 0.70}, \"ks\": {\"min\": 0.25}, \"logloss\": {\"max\": "    \
    "0.2}}, \"challenger\": {\"metric\": \"auc\", \"min_gain\": 0.005}}"

typedef struct {
    char dir[256];
    char store[300];
    ll_store *st;
} fixture;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lendlab-registry-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->store, sizeof f->store, "%s/mlruns", f->dir);
    if (ll_store_open(f->store, 1, &f->st, NULL)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ll_store_close(f->st);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* A finished run with final metrics, the test-data hash as a param, and (with_model) a model
 * artifact directory. Writes its id into id (33 bytes). */
static void make_run(fixture *f, double auc, double ks, double logloss, const char *sha,
                     int with_model, char *id)
{
    ll_run_handle *h;
    ll_error err = {0};
    assert_int_equal(ll_store_run_begin(f->st, "credit", NULL, NULL, &h, &err), LL_OK);
    snprintf(id, 33, "%s", ll_store_run_id(h));
    ll_store_log_param(h, "model", "gbdt", &err);
    if (sha) ll_store_log_param(h, "test_sha256", sha, &err);
    if (!isnan(auc)) ll_store_log_metric(h, "auc", auc, 0, &err);
    if (!isnan(ks)) ll_store_log_metric(h, "ks", ks, 0, &err);
    if (!isnan(logloss)) ll_store_log_metric(h, "logloss", logloss, 0, &err);
    if (with_model) {
        char path[4096];
        assert_int_equal(ll_store_run_artifact_dir(h, "model", path, sizeof path, &err), LL_OK);
        char mlmodel[4200];
        snprintf(mlmodel, sizeof mlmodel, "%s/MLmodel", path);
        assert_int_equal(ll_fsutil_write_atomic(mlmodel, "artifact_path: model\n", 21, NULL, &err),
                         LL_OK);
    }
    assert_int_equal(ll_store_run_end(h, LL_RUN_FINISHED, &err), LL_OK);
}

static const char *stage_of(ll_registered_model *m, long v)
{
    const ll_model_version *mv = ll_registry_version(m, v);
    return mv ? mv->stage : "(missing)";
}

static size_t history_count(fixture *f, const char *model)
{
    char **lines;
    size_t n;
    ll_error err = {0};
    assert_int_equal(ll_registry_history(f->st, model, &lines, &n, &err), LL_OK);
    ll_registry_names_free(lines, n);
    return n;
}

/* The last history entry, parsed (caller deletes). */
static cJSON *history_last(fixture *f, const char *model)
{
    char **lines;
    size_t n;
    ll_error err = {0};
    assert_int_equal(ll_registry_history(f->st, model, &lines, &n, &err), LL_OK);
    assert_true(n > 0);
    cJSON *o = cJSON_Parse(lines[n - 1]);
    ll_registry_names_free(lines, n);
    assert_non_null(o);
    return o;
}

static void test_register(void **state)
{
    fixture *f = *state;
    char r1[33], r2[33];
    ll_error err = {0};
    make_run(f, 0.74, 0.35, 0.19, SHA_A, 1, r1);
    make_run(f, 0.75, 0.36, 0.18, SHA_A, 0, r2);
    long v = 0;
    assert_int_equal(ll_registry_register(f->st, r1, "credit-risk", NULL, NULL, &v, &err), LL_OK);
    assert_int_equal(v, 1);
    /* no artifacts/model: refused, and no version is allocated */
    assert_int_equal(ll_registry_register(f->st, r2, "credit-risk", NULL, NULL, &v, &err),
                     LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no model artifact"));
    assert_int_equal(ll_registry_register(f->st, r1, "bad/name", NULL, NULL, &v, &err), LL_EINVAL);
    assert_int_equal(ll_registry_register(f->st, r1, "credit-risk", "latest", NULL, &v, &err),
                     LL_EINVAL);
    assert_int_equal(ll_registry_register(f->st, r1, "credit-risk", "v2", NULL, &v, &err),
                     LL_EINVAL);
    assert_int_equal(ll_registry_register(f->st, "0000", "credit-risk", NULL, NULL, &v, &err),
                     LL_ENOTFOUND);

    /* version meta.yaml as MLflow's registry FileStore writes it */
    char path[600];
    snprintf(path, sizeof path, "%s/models/credit-risk/version-1/meta.yaml", f->store);
    ll_yamlmap y;
    assert_int_equal(ll_yamlmap_load(path, &y, &err), LL_OK);
    assert_int_equal(ll_yamlmap_int(&y, "version", 0), 1);
    assert_false(ll_yamlmap_find(&y, "version")->quoted);
    assert_string_equal(ll_yamlmap_str(&y, "current_stage"), "None");
    assert_string_equal(ll_yamlmap_str(&y, "status"), "READY");
    assert_string_equal(ll_yamlmap_str(&y, "name"), "credit-risk");
    assert_string_equal(ll_yamlmap_str(&y, "run_id"), r1);
    assert_int_equal(ll_yamlmap_find(&y, "description")->kind, LL_YAML_NULL);
    assert_int_equal(ll_yamlmap_find(&y, "aliases")->kind, LL_YAML_SEQ);
    ll_run *run;
    assert_int_equal(ll_store_get_run(f->st, r1, &run, &err), LL_OK);
    char want[4200];
    snprintf(want, sizeof want, "%s/model", run->artifact_uri);
    assert_string_equal(ll_yamlmap_str(&y, "source"), want);
    assert_string_equal(ll_yamlmap_str(&y, "storage_location"), want);
    assert_true(!strncmp(want, "file:///", 8));
    ll_run_free(run);
    ll_yamlmap_free(&y);
    /* the test-data hash travels with the version */
    snprintf(path, sizeof path, "%s/models/credit-risk/version-1/tags/lendlab.test_sha256",
             f->store);
    char *text;
    assert_int_equal(ll_fsutil_read(path, &text, NULL, &err), LL_OK);
    assert_string_equal(text, SHA_A);
    free(text);
    snprintf(path, sizeof path, "%s/models/credit-risk/meta.yaml", f->store);
    assert_int_equal(ll_yamlmap_load(path, &y, &err), LL_OK);
    assert_string_equal(ll_yamlmap_str(&y, "name"), "credit-risk");
    assert_int_equal(ll_yamlmap_find(&y, "aliases")->kind, LL_YAML_MAP);
    assert_true(ll_yamlmap_int(&y, "creation_timestamp", 0) > 0);
    ll_yamlmap_free(&y);

    char **names;
    size_t n;
    assert_int_equal(ll_registry_list(f->st, &names, &n, &err), LL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "credit-risk");
    ll_registry_names_free(names, n);
    cJSON *h = history_last(f, "credit-risk");
    assert_string_equal(cJSON_GetObjectItem(h, "action")->valuestring, "register");
    assert_int_equal(cJSON_GetObjectItem(h, "version")->valueint, 1);
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(h, "metrics"), "auc")->valuedouble == 0.74);
    cJSON_Delete(h);
    assert_int_equal(history_count(f, "credit-risk"), 1);
}

static void test_alias_stage_consistency(void **state)
{
    fixture *f = *state;
    char r1[33], r2[33], r3[33];
    ll_error err = {0};
    make_run(f, 0.74, 0.35, 0.19, SHA_A, 1, r1);
    make_run(f, 0.75, 0.36, 0.18, SHA_A, 1, r2);
    make_run(f, 0.76, 0.37, 0.17, SHA_A, 1, r3);
    long v;
    assert_int_equal(ll_registry_register(f->st, r1, "m", "production", NULL, &v, &err), LL_OK);
    assert_int_equal(ll_registry_register(f->st, r2, "m", "staging", NULL, &v, &err), LL_OK);
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_string_equal(stage_of(m, 1), "Production");
    assert_string_equal(stage_of(m, 2), "Staging");
    ll_registry_model_free(m);

    /* a version directory a killed writer was building: the next change under the model lock
     * (here a promotion, not only a registration) removes it */
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    assert_true(dead > 0);
    waitpid(dead, NULL, 0);
    char stale[700];
    snprintf(stale, sizeof stale, "%s/models/m/.version.%ld.5eed.tmp", f->store, (long)dead);
    assert_int_equal(mkdir(stale, 0755), 0);
    ll_promote_result res;
    ll_promote_request req = {.model = "m", .from_alias = "staging", .to_alias = "production"};
    assert_int_equal(ll_registry_promote(f->st, &req, &res, &err), LL_OK);
    assert_false(ll_fsutil_exists(stale));
    assert_int_equal(res.version, 2);
    assert_int_equal(res.previous, 1);
    assert_string_equal(res.action, "promote");
    assert_string_equal(res.stage, "Production");
    assert_int_equal(res.narchived, 1);
    assert_int_equal(res.archived[0], 1);
    ll_promote_result_clear(&res);
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_string_equal(stage_of(m, 1), "Archived");
    assert_string_equal(stage_of(m, 2), "Production");
    assert_int_equal(ll_registry_alias_version(m, "production"), 2);
    assert_int_equal(ll_registry_alias_version(m, "staging"), 2);
    ll_registry_model_free(m);
    /* the alias file holds the version number, as MLflow writes it */
    char path[600], *text;
    snprintf(path, sizeof path, "%s/models/m/aliases/production", f->store);
    assert_int_equal(ll_fsutil_read(path, &text, NULL, &err), LL_OK);
    assert_string_equal(text, "2");
    free(text);
    /* the model's meta.yaml mirrors the aliases */
    snprintf(path, sizeof path, "%s/models/m/meta.yaml", f->store);
    ll_yamlmap y;
    assert_int_equal(ll_yamlmap_load(path, &y, &err), LL_OK);
    const ll_yamlmap_entry *e = ll_yamlmap_find(&y, "aliases");
    assert_int_equal(e->kind, LL_YAML_MAP);
    assert_int_equal(e->nitems, 4);
    ll_yamlmap_free(&y);

    /* a new staging version: production untouched */
    assert_int_equal(ll_registry_register(f->st, r3, "m", "staging", NULL, &v, &err), LL_OK);
    assert_int_equal(v, 3);
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_string_equal(stage_of(m, 2), "Production");
    assert_string_equal(stage_of(m, 3), "Staging");
    ll_registry_model_free(m);
    /* the same alias twice is a state error */
    req.from_alias = NULL;
    req.version = 2;
    assert_int_equal(ll_registry_promote(f->st, &req, &res, &err), LL_ESTATE);
    ll_promote_result_clear(&res);
    /* rollback: an older version takes production back */
    assert_int_equal(ll_registry_set_alias(f->st, "m", "production", 1, "rollback", &res, &err),
                     LL_OK);
    assert_string_equal(res.action, "rollback");
    assert_int_equal(res.previous, 2);
    ll_promote_result_clear(&res);
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_string_equal(stage_of(m, 1), "Production");
    assert_string_equal(stage_of(m, 2), "Archived");
    assert_string_equal(stage_of(m, 3), "Staging");
    ll_registry_model_free(m);
    /* any other alias leaves stages alone */
    assert_int_equal(ll_registry_set_alias(f->st, "m", "champion", 3, NULL, &res, &err), LL_OK);
    assert_string_equal(res.stage, "Staging");
    ll_promote_result_clear(&res);
    /* demote staging: version 3 loses it and is archived */
    assert_int_equal(ll_registry_demote(f->st, "m", "staging", "retired", &v, &err), LL_OK);
    assert_int_equal(v, 3);
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_string_equal(stage_of(m, 3), "Archived");
    assert_int_equal(ll_registry_alias_version(m, "staging"), 0);
    assert_int_equal(ll_registry_alias_version(m, "champion"), 3);
    ll_registry_model_free(m);
    assert_int_equal(ll_registry_demote(f->st, "m", "staging", NULL, &v, &err), LL_ENOTFOUND);
    /* one history line per change: 3 registers, promote, rollback, champion, demote */
    assert_int_equal(history_count(f, "m"), 7);
    cJSON *h = history_last(f, "m");
    assert_string_equal(cJSON_GetObjectItem(h, "action")->valuestring, "demote");
    assert_string_equal(cJSON_GetObjectItem(h, "stage")->valuestring, "Archived");
    assert_string_equal(cJSON_GetObjectItem(h, "comment")->valuestring, "retired");
    cJSON_Delete(h);
}

static void test_policy_require_and_force(void **state)
{
    fixture *f = *state;
    char r1[33], r2[33];
    ll_error err = {0};
    make_run(f, 0.74, 0.35, 0.19, SHA_A, 1, r1);
    make_run(f, 0.80, 0.20, 0.25, SHA_A, 1, r2); /* ks too low, logloss too high */
    long v;
    assert_int_equal(ll_registry_register(f->st, r1, "m", "production", NULL, &v, &err), LL_OK);
    assert_int_equal(ll_registry_register(f->st, r2, "m", "staging", NULL, &v, &err), LL_OK);
    ll_policy *p;
    assert_int_equal(ll_registry_policy_parse(POLICY, "policy.json", &p, &err), LL_OK);
    assert_int_equal(p->nrequire, 3);
    assert_true(p->has_challenger);
    assert_true(p->higher_better);
    size_t before = history_count(f, "m");
    ll_promote_result res;
    ll_promote_request req = {
        .model = "m", .from_alias = "staging", .to_alias = "production", .policy = p};
    assert_int_equal(ll_registry_promote(f->st, &req, &res, &err), LL_EPOLICY);
    assert_non_null(strstr(err.msg, "2 of 4 policy rules failed"));
    assert_int_equal(res.nrules, 4);
    assert_false(res.passed);
    assert_string_equal(res.rules[0].rule, "auc >= 0.7");
    assert_true(res.rules[0].passed);
    assert_true(res.rules[0].value == 0.80);
    assert_false(res.rules[1].passed); /* ks 0.2 < 0.25 */
    assert_true(res.rules[1].value == 0.20);
    assert_true(res.rules[1].threshold == 0.25);
    assert_false(res.rules[2].passed); /* logloss 0.25 > 0.2 */
    assert_true(res.rules[3].passed);  /* auc gain 0.06 over version 1 */
    assert_true(res.rules[3].incumbent == 0.74);
    ll_promote_result_clear(&res);
    /* refused: nothing changed, nothing logged */
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_int_equal(ll_registry_alias_version(m, "production"), 1);
    assert_string_equal(stage_of(m, 2), "Staging");
    ll_registry_model_free(m);
    assert_int_equal(history_count(f, "m"), before);
    /* --force needs a comment */
    req.force = 1;
    assert_int_equal(ll_registry_promote(f->st, &req, &res, &err), LL_EINVAL);
    ll_promote_result_clear(&res);
    req.comment = "approved by the risk committee";
    assert_int_equal(ll_registry_promote(f->st, &req, &res, &err), LL_OK);
    assert_true(res.forced);
    assert_false(res.passed);
    ll_promote_result_clear(&res);
    cJSON *h = history_last(f, "m");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(h, "forced")));
    assert_string_equal(cJSON_GetObjectItem(h, "comment")->valuestring,
                        "approved by the risk committee");
    cJSON *pol = cJSON_GetObjectItem(h, "policy");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(pol, "passed")));
    assert_string_equal(cJSON_GetObjectItem(pol, "file")->valuestring, "policy.json");
    cJSON *rules = cJSON_GetObjectItem(pol, "rules");
    assert_int_equal(cJSON_GetArraySize(rules), 4);
    cJSON *r1j = cJSON_GetArrayItem(rules, 1);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(r1j, "passed")));
    assert_true(cJSON_GetObjectItem(r1j, "value")->valuedouble == 0.2);
    assert_true(cJSON_GetObjectItem(r1j, "threshold")->valuedouble == 0.25);
    assert_string_equal(cJSON_GetObjectItem(h, "from_alias")->valuestring, "staging");
    assert_string_equal(cJSON_GetObjectItem(h, "to_alias")->valuestring, "production");
    assert_int_equal(cJSON_GetObjectItem(h, "previous_version")->valueint, 1);
    cJSON_Delete(h);
    ll_registry_policy_free(p);
}

/* The preview agrees with the promotion and changes nothing: same verdicts, same errors. */
static void test_promote_check(void **state)
{
    fixture *f = *state;
    char r1[33], r2[33], r3[33];
    ll_error err = {0};
    make_run(f, 0.74, 0.35, 0.19, SHA_A, 1, r1);
    make_run(f, 0.80, 0.20, 0.25, SHA_A, 1, r2); /* ks too low, logloss too high */
    make_run(f, 0.7462, 0.30, 0.18, SHA_A, 1, r3);
    long v;
    assert_int_equal(ll_registry_register(f->st, r1, "m", "production", NULL, &v, &err), LL_OK);
    assert_int_equal(ll_registry_register(f->st, r2, "m", "staging", NULL, &v, &err), LL_OK);
    assert_int_equal(ll_registry_register(f->st, r3, "m", NULL, NULL, &v, &err), LL_OK);
    ll_policy *p;
    assert_int_equal(ll_registry_policy_parse(POLICY, "policy.json", &p, &err), LL_OK);
    size_t before = history_count(f, "m");
    ll_promote_request req = {
        .model = "m", .from_alias = "staging", .to_alias = "production", .policy = p};
    ll_promote_result res;
    assert_int_equal(ll_registry_promote_check(f->st, &req, &res, &err), LL_OK);
    assert_int_equal(res.version, 2);
    assert_int_equal(res.previous, 1);
    assert_string_equal(res.action, "promote");
    assert_true(res.evaluated);
    assert_false(res.passed);
    assert_int_equal(res.nrules, 4);
    assert_false(res.rules[1].passed);
    assert_false(res.rules[2].passed);
    assert_true(res.rules[3].passed);
    assert_true(res.rules[3].incumbent == 0.74);
    ll_promote_result_clear(&res);
    /* version 3 by number: everything passes, the challenger gain is exactly 0.005 */
    ll_promote_request byv = {.model = "m", .version = 3, .to_alias = "production", .policy = p};
    assert_int_equal(ll_registry_promote_check(f->st, &byv, &res, &err), LL_OK);
    assert_true(res.passed);
    assert_int_equal(res.nrules, 4);
    ll_promote_result_clear(&res);
    /* the rollback direction is named; no policy means no rules */
    ll_promote_request back = {.model = "m", .version = 1, .to_alias = "staging"};
    assert_int_equal(ll_registry_promote_check(f->st, &back, &res, &err), LL_OK);
    assert_string_equal(res.action, "rollback");
    assert_false(res.evaluated);
    assert_true(res.passed);
    assert_int_equal(res.nrules, 0);
    ll_promote_result_clear(&res);
    /* the promotion's own errors */
    ll_promote_request same = {.model = "m", .version = 1, .to_alias = "production"};
    assert_int_equal(ll_registry_promote_check(f->st, &same, &res, &err), LL_ESTATE);
    ll_promote_result_clear(&res);
    ll_promote_request none = {.model = "m", .from_alias = "champion", .to_alias = "production"};
    assert_int_equal(ll_registry_promote_check(f->st, &none, &res, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no alias 'champion'"));
    ll_promote_result_clear(&res);
    ll_promote_request nomodel = {.model = "nope", .version = 1, .to_alias = "production"};
    assert_int_equal(ll_registry_promote_check(f->st, &nomodel, &res, &err), LL_ENOTFOUND);
    ll_promote_result_clear(&res);
    /* nothing changed */
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_int_equal(ll_registry_alias_version(m, "production"), 1);
    assert_int_equal(ll_registry_alias_version(m, "staging"), 2);
    ll_registry_model_free(m);
    assert_int_equal(history_count(f, "m"), before);
    /* and the promotion itself decides the same */
    assert_int_equal(ll_registry_promote(f->st, &req, &res, &err), LL_EPOLICY);
    assert_int_equal(res.nrules, 4);
    ll_promote_result_clear(&res);
    ll_registry_policy_free(p);
}

/* Promote the version holding staging under POLICY; returns the status and the challenger
 * rule's detail in detail. */
static ll_status challenge(fixture *f, double auc, const char *sha, char *detail, size_t len)
{
    char r[33];
    ll_error err = {0};
    long v;
    make_run(f, auc, 0.35, 0.18, sha, 1, r);
    assert_int_equal(ll_registry_register(f->st, r, "m", "staging", NULL, &v, &err), LL_OK);
    ll_policy *p;
    assert_int_equal(ll_registry_policy_parse(POLICY, NULL, &p, &err), LL_OK);
    ll_promote_request req = {
        .model = "m", .from_alias = "staging", .to_alias = "production", .policy = p};
    ll_promote_result res;
    ll_status s = ll_registry_promote(f->st, &req, &res, &err);
    assert_int_equal(res.nrules, 4);
    snprintf(detail, len, "%s", res.rules[3].detail);
    ll_promote_result_clear(&res);
    ll_registry_policy_free(p);
    return s;
}

static void test_challenger_rule(void **state)
{
    fixture *f = *state;
    char r1[33], detail[400];
    ll_error err = {0};
    long v;
    make_run(f, 0.7412, 0.35, 0.19, SHA_A, 1, r1);
    assert_int_equal(ll_registry_register(f->st, r1, "m", "production", NULL, &v, &err), LL_OK);
    /* below the required gain (0.004 < 0.005) */
    assert_int_equal(challenge(f, 0.7452, SHA_A, detail, sizeof detail), LL_EPOLICY);
    assert_non_null(strstr(detail, "below the required gain"));
    /* better, but evaluated on another test file */
    assert_int_equal(challenge(f, 0.80, SHA_B, detail, sizeof detail), LL_EPOLICY);
    assert_non_null(strstr(detail, "different test data"));
    /* no hash recorded: cannot tell */
    assert_int_equal(challenge(f, 0.80, NULL, detail, sizeof detail), LL_EPOLICY);
    assert_non_null(strstr(detail, "cannot tell"));
    /* exactly the required gain passes (0.7462 - 0.7412 is 0.005 up to rounding) */
    assert_int_equal(challenge(f, 0.7462, SHA_A, detail, sizeof detail), LL_OK);
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "m", &m, &err), LL_OK);
    assert_int_equal(ll_registry_alias_version(m, "production"), 5);
    assert_string_equal(stage_of(m, 1), "Archived");
    ll_registry_model_free(m);
    /* a lower-is-better challenger metric */
    ll_policy *p;
    assert_int_equal(ll_registry_policy_parse("{\"challenger\": {\"metric\": \"logloss\", "
                                              "\"min_gain\": 0.01}}",
                                              NULL, &p, &err),
                     LL_OK);
    assert_false(p->higher_better);
    ll_registry_policy_free(p);
}

static void test_policy_parse_errors(void **state)
{
    (void)state;
    ll_policy *p;
    ll_error err = {0};
    assert_int_equal(ll_registry_policy_parse("{\"require\": {\"auc\": {\"minimum\": 0.7}}}",
                                              "p.json", &p, &err),
                     LL_EPARSE);
    assert_non_null(strstr(err.msg, "require.auc.minimum"));
    assert_int_equal(
        ll_registry_policy_parse("{\"require\": {\"auc\": {\"min\": \"0.7\"}}}", NULL, &p, &err),
        LL_EPARSE);
    assert_non_null(strstr(err.msg, "must be a number"));
    assert_int_equal(
        ll_registry_policy_parse("{\"challenger\": {\"min_gain\": 0.1}}", NULL, &p, &err),
        LL_EPARSE);
    assert_non_null(strstr(err.msg, "needs \"metric\""));
    assert_int_equal(ll_registry_policy_parse("{\"requires\": {}}", NULL, &p, &err), LL_EPARSE);
    assert_non_null(strstr(err.msg, "unknown key \"requires\""));
    assert_int_equal(ll_registry_policy_parse("{\n  \"require\": {,}\n}", "p.json", &p, &err),
                     LL_EPARSE);
    assert_string_equal(err.file, "p.json");
    assert_int_equal(err.line, 2);
    assert_int_equal(ll_registry_policy_load("../data/policy.json", &p, &err), LL_OK);
    assert_int_equal(p->nrequire, 3);
    assert_string_equal(p->challenger_metric, "auc");
    assert_true(p->min_gain == 0.005);
    ll_registry_policy_free(p);
}

#define NPROC 8
#define NREG  10

static void test_concurrent_registrations(void **state)
{
    fixture *f = *state;
    char r1[33];
    ll_error err = {0};
    make_run(f, 0.74, 0.35, 0.19, SHA_A, 1, r1);
    pid_t pids[NPROC];
    for (int i = 0; i < NPROC; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            /* each process has its own store handle, as separate lendlab commands do */
            ll_store *st;
            if (ll_store_open(f->store, 0, &st, NULL)) _exit(2);
            for (int k = 0; k < NREG; k++) {
                char comment[32];
                snprintf(comment, sizeof comment, "p%d-%d", i, k);
                if (ll_registry_register(st, r1, "busy", k == NREG - 1 ? "latest-run" : NULL,
                                         comment, NULL, NULL))
                    _exit(1);
            }
            ll_store_close(st);
            _exit(0);
        }
    }
    for (int i = 0; i < NPROC; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(f->st, "busy", &m, &err), LL_OK);
    assert_int_equal(m->nversions, NPROC * NREG);
    for (size_t i = 0; i < m->nversions; i++) assert_int_equal(m->versions[i].version, (long)i + 1);
    ll_registry_model_free(m);
    /* the history: 80 valid JSON lines, each version once, each comment once */
    char **lines;
    size_t n;
    assert_int_equal(ll_registry_history(f->st, "busy", &lines, &n, &err), LL_OK);
    assert_int_equal(n, NPROC * NREG);
    int seen[NPROC * NREG + 1] = {0};
    int per_proc[NPROC] = {0};
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_Parse(lines[i]);
        assert_non_null(o);
        cJSON *ver = cJSON_GetObjectItem(o, "version");
        assert_true(cJSON_IsNumber(ver));
        assert_true(ver->valueint >= 1 && ver->valueint <= NPROC * NREG);
        assert_int_equal(seen[ver->valueint]++, 0);
        assert_string_equal(cJSON_GetObjectItem(o, "action")->valuestring, "register");
        const char *c = cJSON_GetObjectItem(o, "comment")->valuestring;
        int p = -1, k = -1;
        assert_int_equal(sscanf(c, "p%d-%d", &p, &k), 2);
        assert_int_equal(per_proc[p], k); /* each process's lines in its own order */
        per_proc[p]++;
        assert_non_null(cJSON_GetObjectItem(o, "time"));
        cJSON_Delete(o);
    }
    ll_registry_names_free(lines, n);
}

static void test_fixture_registry(void **state)
{
    (void)state;
    ll_store *st;
    ll_error err = {0};
    assert_int_equal(ll_store_open("fixtures/mlruns_mlflow", 0, &st, &err), LL_OK);
    ll_registered_model *m;
    assert_int_equal(ll_registry_get(st, "credit-risk", &m, &err), LL_OK);
    assert_string_equal(m->name, "credit-risk");
    assert_int_equal(m->nversions, 2);
    assert_int_equal(m->naliases, 1);
    assert_string_equal(m->aliases[0].key, "champion");
    assert_int_equal(ll_registry_alias_version(m, "champion"), 2);
    assert_string_equal(stage_of(m, 1), "Production");
    assert_string_equal(stage_of(m, 2), "None");
    const ll_model_version *v2 = ll_registry_version(m, 2);
    assert_int_equal(v2->naliases, 1);
    assert_string_equal(v2->aliases[0], "champion");
    assert_string_equal(v2->run_id, "b7e3d1c9a5f24b6e8d0c2a4f6e8b1d3f");
    assert_string_equal(v2->status, "READY");
    assert_int_equal(v2->creation_timestamp, 1714561260000LL);
    assert_string_equal(v2->source, "file:///home/analyst/credit/mlruns/473823019427317474/"
                                    "b7e3d1c9a5f24b6e8d0c2a4f6e8b1d3f/artifacts/model");
    ll_registry_model_free(m);
    char **lines;
    size_t n;
    assert_int_equal(ll_registry_history(st, "credit-risk", &lines, &n, &err), LL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ll_registry_get(st, "nope", &m, &err), LL_ENOTFOUND);
    ll_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alias_stage_consistency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_require_and_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promote_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_challenger_rule, setup, teardown),
        cmocka_unit_test(test_policy_parse_errors),
        cmocka_unit_test_setup_teardown(test_concurrent_registrations, setup, teardown),
        cmocka_unit_test(test_fixture_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
