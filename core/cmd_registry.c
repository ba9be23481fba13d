/* cmd_registry: register, registry, promote and history over the model registry. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "numfmt.h"
#include "registry.h"
#include "store.h"

static const char *const key_metrics[] = {"auc", "ks", "logloss"};

static int open_store(const ll_cmd_ctx *ctx, const char *cmd, int create, ll_store **st)
{
    ll_error err;
    ll_error_clear(&err);
    if (ll_store_open(ctx->store, create, st, &err)) {
        fprintf(ctx->err, "lendlab %s: %s\n", cmd, err.msg);
        return LL_EXIT_ERROR;
    }
    return LL_EXIT_OK;
}

static int exit_for(ll_status s)
{
    return s == LL_EPOLICY ? LL_EXIT_POLICY : LL_EXIT_ERROR;
}

/* ------------------------------------------------------------------ register */

static const ll_optspec register_opts[] = {
    {"name", 'm', LL_OPT_STRING, "MODEL", "registered model name (created when new)"},
    {"alias", 'a', LL_OPT_STRING, "ALIAS", "point this alias at the new version"},
    {"comment", 'c', LL_OPT_STRING, "TEXT", "note recorded in the history"},
    {"json", 0, LL_OPT_FLAG, NULL, "write JSON"},
};

static int register_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    const char *name = ll_args_str(args, "name");
    if (!name) {
        fprintf(ctx->err, "lendlab register: --name MODEL is required\n"
                          "Try 'lendlab --batch register --help'.\n");
        return LL_EXIT_USAGE;
    }
    const char *alias = ll_args_str(args, "alias");
    if (!ll_registry_valid_name(name)) {
        fprintf(ctx->err, "lendlab register: invalid model name '%s'\n", name);
        return LL_EXIT_USAGE;
    }
    if (alias && !ll_registry_valid_alias(alias)) {
        fprintf(ctx->err,
                "lendlab register: invalid alias '%s' (letters, digits, '_' and '-'; not "
                "'latest' nor v<number>)\n",
                alias);
        return LL_EXIT_USAGE;
    }
    ll_store *st;
    int rc = open_store(ctx, "register", 0, &st);
    if (rc) return rc;
    ll_error err;
    ll_error_clear(&err);
    long v;
    ll_status s =
        ll_registry_register(st, args->pos[0], name, alias, ll_args_str(args, "comment"), &v, &err);
    if (s) {
        fprintf(ctx->err, "lendlab register: %s\n", err.msg);
        ll_store_close(st);
        return exit_for(s);
    }
    ll_registered_model *m = NULL;
    const ll_model_version *mv = NULL;
    if (!ll_registry_get(st, name, &m, &err)) mv = ll_registry_version(m, v);
    if (ll_args_has(args, "json")) {
        fputs("{\"model\": ", ctx->out);
        ll_cmd_json_string(ctx->out, name);
        fprintf(ctx->out, ", \"version\": %ld, \"run_id\": ", v);
        ll_cmd_json_string(ctx->out, mv ? mv->run_id : "");
        fputs(", \"source\": ", ctx->out);
        ll_cmd_json_string(ctx->out, mv ? mv->source : "");
        fputs(", \"stage\": ", ctx->out);
        ll_cmd_json_string(ctx->out, mv ? mv->stage : "None");
        fputs(", \"alias\": ", ctx->out);
        if (alias)
            ll_cmd_json_string(ctx->out, alias);
        else
            fputs("null", ctx->out);
        fputs("}\n", ctx->out);
    } else {
        fprintf(ctx->out, "registered %s version %ld", name, v);
        if (mv) fprintf(ctx->out, " from run %.8s", mv->run_id);
        if (alias) fprintf(ctx->out, ", alias '%s'", alias);
        if (mv && strcmp(mv->stage, "None")) fprintf(ctx->out, ", stage %s", mv->stage);
        fputc('\n', ctx->out);
    }
    ll_registry_model_free(m);
    ll_store_close(st);
    return LL_EXIT_OK;
}

const ll_cmd_entry ll_cmd_register = {
    "register",
    "RUN_ID",
    "register a run's model as a new version of a registered model",
    "The run (id or unique prefix) must hold artifacts/model/. The new version's source\n"
    "is <artifact_uri>/model, as MLflow records it. With --alias the alias moves to the\n"
    "new version; aliases production and staging also set MLflow's stage. The change is\n"
    "appended to models/MODEL/history.jsonl. See lendlab-registry(1).",
    register_opts,
    sizeof register_opts / sizeof *register_opts,
    1,
    1,
    register_exec,
};

/* ------------------------------------------------------------------ registry */

static const ll_optspec registry_opts[] = {
    {"json", 0, LL_OPT_FLAG, NULL, "write JSON"},
};

/* Key metrics of a version's run (NaN when the run or the metric is missing). */
static void version_metrics(ll_store *st, const ll_model_version *v, double out[3])
{
    for (int i = 0; i < 3; i++) out[i] = NAN;
    ll_run *r;
    ll_error err;
    if (!v->run_id[0] || ll_store_get_run(st, v->run_id, &r, &err)) return;
    for (int i = 0; i < 3; i++) {
        const ll_metric *m = ll_run_metric(r, key_metrics[i]);
        if (m) out[i] = m->value;
    }
    ll_run_free(r);
}

static void json_model(FILE *f, ll_store *st, const ll_registered_model *m, int with_versions)
{
    fputs("{\"name\": ", f);
    ll_cmd_json_string(f, m->name);
    fputs(", \"description\": ", f);
    ll_cmd_json_string(f, m->description);
    fprintf(f, ", \"creation_timestamp\": %lld, \"last_updated_timestamp\": %lld, \"aliases\": {",
            m->creation_timestamp, m->last_updated_timestamp);
    for (size_t i = 0; i < m->naliases; i++) {
        fputs(i ? ", " : "", f);
        ll_cmd_json_string(f, m->aliases[i].key);
        fprintf(f, ": %ld", strtol(m->aliases[i].value, NULL, 10));
    }
    fprintf(f, "}, \"latest_version\": %ld",
            m->nversions ? m->versions[m->nversions - 1].version : 0L);
    if (with_versions) {
        fputs(", \"versions\": [", f);
        for (size_t i = 0; i < m->nversions; i++) {
            const ll_model_version *v = &m->versions[i];
            double mets[3];
            version_metrics(st, v, mets);
            fprintf(f, "%s{\"version\": %ld, \"stage\": ", i ? ",\n   " : "\n   ", v->version);
            ll_cmd_json_string(f, v->stage);
            fputs(", \"status\": ", f);
            ll_cmd_json_string(f, v->status);
            fputs(", \"aliases\": [", f);
            for (size_t a = 0; a < v->naliases; a++) {
                fputs(a ? ", " : "", f);
                ll_cmd_json_string(f, v->aliases[a]);
            }
            fputs("], \"run_id\": ", f);
            ll_cmd_json_string(f, v->run_id);
            fputs(", \"source\": ", f);
            ll_cmd_json_string(f, v->source);
            fprintf(f, ", \"creation_timestamp\": %lld, \"last_updated_timestamp\": %lld",
                    v->creation_timestamp, v->last_updated_timestamp);
            fputs(", \"metrics\": {", f);
            for (int k = 0; k < 3; k++) {
                fprintf(f, "%s\"%s\": ", k ? ", " : "", key_metrics[k]);
                ll_cmd_json_number(f, mets[k]);
            }
            fputs("}}", f);
        }
        fputs("]", f);
    }
    fputs("}", f);
}

static int registry_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    ll_store *st;
    int rc = open_store(ctx, "registry", 0, &st);
    if (rc) return rc;
    ll_error err;
    ll_error_clear(&err);
    int json = ll_args_has(args, "json");
    if (args->npos == 1) {
        ll_registered_model *m;
        if (ll_registry_get(st, args->pos[0], &m, &err)) {
            fprintf(ctx->err, "lendlab registry: %s\n", err.msg);
            ll_store_close(st);
            return LL_EXIT_ERROR;
        }
        if (json) {
            json_model(ctx->out, st, m, 1);
            fputc('\n', ctx->out);
        } else {
            char when[32];
            fprintf(ctx->out, "%s: %zu version%s, updated %s\n", m->name, m->nversions,
                    m->nversions == 1 ? "" : "s",
                    ll_cmd_local_time(m->last_updated_timestamp, when, sizeof when));
            if (m->description[0]) fprintf(ctx->out, "%s\n", m->description);
            fprintf(ctx->out, "%-7s  %-10s  %-20s  %-8s  %7s  %7s  %7s  %s\n", "VERSION", "STAGE",
                    "ALIASES", "RUN", "AUC", "KS", "LOGLOSS", "CREATED");
            for (size_t i = m->nversions; i-- > 0;) {
                const ll_model_version *v = &m->versions[i];
                double mets[3];
                char a[32], b[32], c[32], al[256] = "";
                version_metrics(st, v, mets);
                for (size_t k = 0; k < v->naliases; k++) {
                    size_t l = strlen(al);
                    snprintf(al + l, sizeof al - l, "%s%s", k ? "," : "", v->aliases[k]);
                }
                fprintf(ctx->out, "%7ld  %-10s  %-20s  %-8.8s  %7s  %7s  %7s  %s\n", v->version,
                        v->stage, al[0] ? al : "-", v->run_id[0] ? v->run_id : "-",
                        isnan(mets[0]) ? "-" : ll_cmd_fixed(mets[0], 4, a, sizeof a),
                        isnan(mets[1]) ? "-" : ll_cmd_fixed(mets[1], 4, b, sizeof b),
                        isnan(mets[2]) ? "-" : ll_cmd_fixed(mets[2], 4, c, sizeof c),
                        ll_cmd_local_time(v->creation_timestamp, when, sizeof when));
            }
        }
        ll_registry_model_free(m);
        ll_store_close(st);
        return LL_EXIT_OK;
    }
    char **names;
    size_t n;
    if (ll_registry_list(st, &names, &n, &err)) {
        fprintf(ctx->err, "lendlab registry: %s\n", err.msg);
        ll_store_close(st);
        return LL_EXIT_ERROR;
    }
    if (json) fputs("[", ctx->out);
    if (!json && n)
        fprintf(ctx->out, "%-24s  %8s  %6s  %-32s  %s\n", "MODEL", "VERSIONS", "LATEST", "ALIASES",
                "UPDATED");
    for (size_t i = 0; i < n; i++) {
        ll_registered_model *m;
        if (ll_registry_get(st, names[i], &m, &err)) continue;
        if (json) {
            fputs(i ? ",\n " : "", ctx->out);
            json_model(ctx->out, st, m, 0);
        } else {
            char al[512] = "", when[32];
            for (size_t k = 0; k < m->naliases; k++) {
                size_t l = strlen(al);
                snprintf(al + l, sizeof al - l, "%s%s=%s", k ? "," : "", m->aliases[k].key,
                         m->aliases[k].value);
            }
            fprintf(ctx->out, "%-24s  %8zu  %6ld  %-32s  %s\n", m->name, m->nversions,
                    m->nversions ? m->versions[m->nversions - 1].version : 0L, al[0] ? al : "-",
                    ll_cmd_local_time(m->last_updated_timestamp, when, sizeof when));
        }
        ll_registry_model_free(m);
    }
    if (json) fputs("]\n", ctx->out);
    if (!json && !n) fprintf(ctx->out, "no registered models\n");
    ll_registry_names_free(names, n);
    ll_store_close(st);
    return LL_EXIT_OK;
}

const ll_cmd_entry ll_cmd_registry = {
    "registry",
    "[MODEL]",
    "list registered models, or one model's versions with aliases, stages and metrics",
    "Without MODEL: every registered model with its version count and aliases. With\n"
    "MODEL: its versions, newest first, with aliases, MLflow stage and the AUC, KS and\n"
    "log loss of the run that produced each. See lendlab-registry(1).",
    registry_opts,
    sizeof registry_opts / sizeof *registry_opts,
    0,
    1,
    registry_exec,
};

/* ------------------------------------------------------------------ promote */

static const ll_optspec promote_opts[] = {
    {"from", 0, LL_OPT_STRING, "ALIAS", "candidate: the version holding ALIAS"},
    {"version", 'v', LL_OPT_INT, "N", "candidate: version N (also the rollback path)"},
    {"to", 0, LL_OPT_STRING, "ALIAS", "alias to point at the candidate"},
    {"policy", 'p', LL_OPT_STRING, "FILE", "promotion policy (lendlab-policy(5))"},
    {"force", 0, LL_OPT_FLAG, NULL, "promote although rules fail (needs --comment)"},
    {"comment", 'c', LL_OPT_STRING, "TEXT", "reason, recorded in the history"},
    {"demote", 0, LL_OPT_STRING, "ALIAS", "remove ALIAS instead (its version is archived)"},
    {"json", 0, LL_OPT_FLAG, NULL, "write JSON"},
};

static void print_rules(FILE *f, const ll_policy *p, const ll_promote_result *res)
{
    if (!p) return;
    fprintf(f, "policy %s:\n", p->path ? p->path : "");
    if (!res->nrules) fprintf(f, "  (no rules)\n");
    size_t w = 0;
    for (size_t i = 0; i < res->nrules; i++)
        if (strlen(res->rules[i].rule) > w) w = strlen(res->rules[i].rule);
    for (size_t i = 0; i < res->nrules; i++) {
        const ll_rule_result *r = &res->rules[i];
        char v[32];
        fprintf(f, "  %s  %-*s  %8s", r->passed ? "PASS" : "FAIL", (int)w, r->rule,
                isnan(r->value) ? "n/a" : ll_cmd_fixed(r->value, 4, v, sizeof v));
        if (r->detail[0]) fprintf(f, "  %s", r->detail);
        fputc('\n', f);
    }
}

static void json_result(FILE *f, const char *model, const char *to, const ll_promote_result *res,
                        int done)
{
    fputs("{\"model\": ", f);
    ll_cmd_json_string(f, model);
    fprintf(f, ", \"version\": %ld, \"to_alias\": ", res->version);
    ll_cmd_json_string(f, to);
    fputs(", \"previous_version\": ", f);
    if (res->previous)
        fprintf(f, "%ld", res->previous);
    else
        fputs("null", f);
    fprintf(f, ", \"action\": \"%s\", \"promoted\": %s, \"passed\": %s, \"forced\": %s",
            res->action, done ? "true" : "false", res->passed ? "true" : "false",
            res->forced ? "true" : "false");
    fputs(", \"stage\": ", f);
    if (done)
        ll_cmd_json_string(f, res->stage);
    else
        fputs("null", f);
    fputs(", \"archived\": [", f);
    for (size_t i = 0; i < res->narchived; i++)
        fprintf(f, "%s%ld", i ? ", " : "", res->archived[i]);
    fputs("], \"rules\": [", f);
    for (size_t i = 0; i < res->nrules; i++) {
        const ll_rule_result *r = &res->rules[i];
        fputs(i ? ", " : "", f);
        fputs("{\"rule\": ", f);
        ll_cmd_json_string(f, r->rule);
        fputs(", \"metric\": ", f);
        ll_cmd_json_string(f, r->metric);
        fputs(", \"value\": ", f);
        ll_cmd_json_number(f, r->value);
        fputs(", \"threshold\": ", f);
        ll_cmd_json_number(f, r->threshold);
        fputs(", \"incumbent\": ", f);
        ll_cmd_json_number(f, r->incumbent);
        fprintf(f, ", \"passed\": %s, \"detail\": ", r->passed ? "true" : "false");
        ll_cmd_json_string(f, r->detail);
        fputs("}", f);
    }
    fputs("]}\n", f);
}

static int promote_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    const char *model = args->pos[0];
    const char *from = ll_args_str(args, "from"), *to = ll_args_str(args, "to");
    const char *demote = ll_args_str(args, "demote"), *comment = ll_args_str(args, "comment");
    const char *policy_path = ll_args_str(args, "policy");
    int has_version = ll_args_has(args, "version"), force = ll_args_has(args, "force");
    int json = ll_args_has(args, "json");
    long version = ll_args_int(args, "version", 0);
    int sources = !!from + has_version + !!demote;
    if (sources != 1) {
        fprintf(ctx->err, "lendlab promote: give exactly one of --from ALIAS, --version N or "
                          "--demote ALIAS\nTry 'lendlab --batch promote --help'.\n");
        return LL_EXIT_USAGE;
    }
    if (!demote && !to) {
        fprintf(ctx->err, "lendlab promote: --to ALIAS is required\n"
                          "Try 'lendlab --batch promote --help'.\n");
        return LL_EXIT_USAGE;
    }
    if (has_version && version <= 0) {
        fprintf(ctx->err, "lendlab promote: --version must be a positive version number\n");
        return LL_EXIT_USAGE;
    }
    if (force && (!comment || !*comment)) {
        fprintf(ctx->err, "lendlab promote: --force needs --comment TEXT (the reason is recorded "
                          "in the history)\n");
        return LL_EXIT_USAGE;
    }
    if ((to && !ll_registry_valid_alias(to)) || (from && !ll_registry_valid_alias(from)) ||
        (demote && !ll_registry_valid_alias(demote))) {
        fprintf(ctx->err, "lendlab promote: invalid alias '%s'\n",
                to && !ll_registry_valid_alias(to) ? to
                : from                             ? from
                                                   : demote);
        return LL_EXIT_USAGE;
    }
    ll_error err;
    ll_error_clear(&err);
    ll_policy *policy = NULL;
    if (policy_path && ll_registry_policy_load(policy_path, &policy, &err)) {
        char buf[1600];
        fprintf(ctx->err, "lendlab promote: %s\n", ll_error_format(&err, buf, sizeof buf));
        return LL_EXIT_ERROR;
    }
    ll_store *st;
    int rc = open_store(ctx, "promote", 0, &st);
    if (rc) {
        ll_registry_policy_free(policy);
        return rc;
    }
    if (demote) {
        long v;
        if (ll_registry_demote(st, model, demote, comment, &v, &err)) {
            fprintf(ctx->err, "lendlab promote: %s\n", err.msg);
            rc = LL_EXIT_ERROR;
        } else if (json) {
            fputs("{\"model\": ", ctx->out);
            ll_cmd_json_string(ctx->out, model);
            fprintf(ctx->out, ", \"version\": %ld, \"action\": \"demote\", \"alias\": ", v);
            ll_cmd_json_string(ctx->out, demote);
            fputs("}\n", ctx->out);
        } else {
            fprintf(ctx->out, "removed alias '%s' from %s version %ld\n", demote, model, v);
        }
        ll_registry_policy_free(policy);
        ll_store_close(st);
        return rc;
    }
    ll_promote_request req = {.model = model,
                              .from_alias = from,
                              .version = version,
                              .to_alias = to,
                              .policy = policy,
                              .force = force,
                              .comment = comment};
    ll_promote_result res;
    ll_status s = ll_registry_promote(st, &req, &res, &err);
    if (json && (s == LL_OK || s == LL_EPOLICY)) {
        json_result(ctx->out, model, to, &res, s == LL_OK);
    } else if (s == LL_OK || s == LL_EPOLICY) {
        print_rules(ctx->out, policy, &res);
    }
    if (s) {
        fprintf(ctx->err, "lendlab promote: %s%s\n", err.msg,
                s == LL_EPOLICY ? " (use --force --comment TEXT to override)" : "");
        rc = exit_for(s);
    } else if (!json) {
        fprintf(ctx->out, "%s %s version %ld to '%s' (stage %s)",
                !strcmp(res.action, "rollback") ? "rolled back" : "promoted", model, res.version,
                to, res.stage);
        if (res.previous) fprintf(ctx->out, "; '%s' was on version %ld", to, res.previous);
        for (size_t i = 0; i < res.narchived; i++)
            fprintf(ctx->out, "%s%ld", i ? ", " : "; archived version ", res.archived[i]);
        if (res.forced) fprintf(ctx->out, "; FORCED despite failing rules");
        fputc('\n', ctx->out);
    }
    ll_promote_result_clear(&res);
    ll_registry_policy_free(policy);
    ll_store_close(st);
    return rc;
}

const ll_cmd_entry ll_cmd_promote = {
    "promote",
    "MODEL",
    "move an alias to a model version under a promotion policy",
    "promote MODEL --from staging --to production --policy data/policy.json checks the\n"
    "version holding 'staging' against the policy's required metrics and the challenger\n"
    "rule (it must beat the version holding 'production' by min_gain, on the same test\n"
    "data), then moves the alias. A refused promotion prints each rule and exits 4;\n"
    "--force --comment TEXT overrides and is recorded as forced. promote MODEL --version\n"
    "N --to ALIAS points an alias at a given version (the rollback path). Aliases\n"
    "production/staging keep MLflow's stages in step; the previous production version\n"
    "becomes Archived. Every change is appended to the history. See lendlab-registry(1)\n"
    "and lendlab-policy(5).",
    promote_opts,
    sizeof promote_opts / sizeof *promote_opts,
    1,
    1,
    promote_exec,
};

/* ------------------------------------------------------------------ history */

static const ll_optspec history_opts[] = {
    {"json", 0, LL_OPT_FLAG, NULL, "write the entries as a JSON array"},
};

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int history_exec(const ll_cmd_ctx *ctx, const ll_args *args)
{
    ll_store *st;
    int rc = open_store(ctx, "history", 0, &st);
    if (rc) return rc;
    ll_error err;
    ll_error_clear(&err);
    char **lines;
    size_t n;
    if (ll_registry_history(st, args->pos[0], &lines, &n, &err)) {
        fprintf(ctx->err, "lendlab history: %s\n", err.msg);
        ll_store_close(st);
        return LL_EXIT_ERROR;
    }
    if (ll_args_has(args, "json")) {
        fputs("[", ctx->out);
        for (size_t i = 0; i < n; i++) fprintf(ctx->out, "%s%s", i ? ",\n " : "", lines[i]);
        fputs("]\n", ctx->out);
    } else {
        if (n)
            fprintf(ctx->out, "%-24s  %-12s  %-8s  %7s  %-22s  %-8s  %s\n", "TIME (UTC)", "USER",
                    "ACTION", "VERSION", "ALIAS", "POLICY", "COMMENT");
        for (size_t i = 0; i < n; i++) {
            cJSON *o = cJSON_Parse(lines[i]);
            if (!o) {
                fprintf(ctx->out, "(line %zu is not valid JSON)\n", i + 1);
                continue;
            }
            const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "version");
            const cJSON *pol = cJSON_GetObjectItemCaseSensitive(o, "policy");
            const cJSON *forced = cJSON_GetObjectItemCaseSensitive(o, "forced");
            const char *from = jstr(o, "from_alias"), *to = jstr(o, "to_alias");
            char alias[160], vbuf[32] = "-";
            if (from && to)
                snprintf(alias, sizeof alias, "%s -> %s", from, to);
            else if (to)
                snprintf(alias, sizeof alias, "%s", to);
            else if (from)
                snprintf(alias, sizeof alias, "%s -> (none)", from);
            else
                snprintf(alias, sizeof alias, "-");
            if (cJSON_IsNumber(ver)) snprintf(vbuf, sizeof vbuf, "%d", ver->valueint);
            const char *verdict = "-";
            if (cJSON_IsObject(pol)) {
                const cJSON *passed = cJSON_GetObjectItemCaseSensitive(pol, "passed");
                verdict = cJSON_IsTrue(passed) ? "passed" : "failed";
            }
            if (cJSON_IsTrue(forced)) verdict = "FORCED";
            const char *comment = jstr(o, "comment");
            fprintf(ctx->out, "%-24s  %-12s  %-8s  %7s  %-22s  %-8s  %s\n",
                    jstr(o, "time") ? jstr(o, "time") : "?",
                    jstr(o, "user") ? jstr(o, "user") : "?",
                    jstr(o, "action") ? jstr(o, "action") : "?", vbuf, alias, verdict,
                    comment ? comment : "");
            cJSON_Delete(o);
        }
        if (!n) fprintf(ctx->out, "no history for %s\n", args->pos[0]);
    }
    ll_registry_names_free(lines, n);
    ll_store_close(st);
    return LL_EXIT_OK;
}

const ll_cmd_entry ll_cmd_history = {
    "history",
    "MODEL",
    "show the audit trail of a registered model",
    "Reads models/MODEL/history.jsonl: one entry per registration, alias move, promotion,\n"
    "rollback or demotion, with time (UTC), user, versions, aliases, the run's metrics at\n"
    "the time, the policy verdict with every rule, the forced flag and the comment.",
    history_opts,
    sizeof history_opts / sizeof *history_opts,
    1,
    1,
    history_exec,
};
