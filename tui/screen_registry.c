/* screen_registry: registered models, versions with aliases and metrics, promotion under the
 * policy (verdict shown before confirming), rollback, demotion and the audit history. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dialog.h"
#include "draw.h"
#include "fmt.h"
#include "registry.h"
#include "store.h"
#include "verdict.h"

enum { FOCUS_MODELS = 0, FOCUS_VERSIONS, FOCUS_HISTORY, FOCUS_COUNT };
enum { JOB_NONE = 0, JOB_LOAD, JOB_CHECK, JOB_APPLY };
enum { OP_PROMOTE = 0, OP_ROLLBACK, OP_DEMOTE };
/* dialog tags */
enum {
    DLG_TO_ALIAS = 1, /* p: the alias to move to the selected version */
    DLG_FROM_ALIAS,   /* P: the alias whose version is the candidate */
    DLG_VERDICT,      /* the policy verdict: y promotes, f forces */
    DLG_COMMENT,      /* the reason of a forced promotion */
    DLG_ROLLBACK,     /* y rolls production back */
    DLG_DEMOTE_PICK,  /* D: the alias to remove */
    DLG_DEMOTE,       /* y removes it */
    DLG_INFO          /* a history entry in full */
};

/* The registry is read again when the screen is shown and its data is older than this. */
#define RELOAD_MS 3000
#define NMETRICS  3
static const char *const metric_keys[NMETRICS] = {"auc", "ks", "logloss"};
/* Aliases offered by p and P besides the model's own. */
static const char *const common_aliases[] = {"production", "staging", "champion", "challenger"};

typedef struct {
    char name[256];
    size_t nversions;
    char aliases[256]; /* "production=2, staging=3" */
} model_row;

typedef struct {
    char time[24]; /* "2026-11-28 04:40:04" (UTC) */
    char user[64];
    char action[16];
    long version;
    char alias[160]; /* "staging -> production", "production", "staging -> (none)" */
    char verdict[12];
    char comment[256];
    char *json; /* the whole entry, for its detail */
} hist_row;

/* A promotion, rollback or demotion being prepared or applied. */
typedef struct {
    int kind;
    char model[256];
    char from[256]; /* candidate alias ("" = by version) */
    long version;
    char to[256]; /* target alias (demote: the alias removed) */
    int force;
    char comment[TUI_LINE_MAX];
} op_t;

typedef struct {
    tui_app *app;
    char store[1024];
    char policy[1024]; /* "" = no policy */

    int loaded, no_store;
    char load_error[512];
    model_row *models;
    size_t nmodels;
    ll_registered_model *m; /* the model whose versions show */
    double (*mets)[NMETRICS];
    hist_row *hist; /* newest first */
    size_t nhist;
    char want_model[256]; /* the model to show (the models list's selection) */
    double loaded_ms;

    long msel, mtop, vsel, vtop, hsel, htop;
    long keep_version; /* version to keep selected across a reload */
    int focus;

    tui_job *job;
    unsigned job_id;
    int job_kind;
    int reload_pending;

    tui_dialog dlg;
    op_t op;

    tui_rect info, lm, lv, lh; /* layout of the last draw */
} reg;

static const tui_verb reg_verbs[] = {
    {"policy", "[FILE|none]", "Registry: the promotion policy checked before an alias moves"},
    {"model", "NAME", "Registry: show the versions of model NAME"},
    {"promote-version", "[ALIAS]", "Registry: promote the selected version (as p)"},
    {"promote-alias", "[FROM [TO]]", "Registry: promote from one alias to another (as P)"},
    {"rollback", "", "Registry: point production at the selected older version (as r)"},
    {"demote-alias", "[ALIAS]", "Registry: remove an alias (as D)"},
    {NULL, NULL, NULL},
};

/* ---- data ---- */

static void hist_free(hist_row *h, size_t n)
{
    for (size_t i = 0; i < n; i++) free(h[i].json);
    free(h);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* One audit line as a row (the fields history prints). */
static void hist_parse(const char *line, hist_row *h)
{
    memset(h, 0, sizeof *h);
    h->json = strdup(line);
    cJSON *o = cJSON_Parse(line);
    if (!o) {
        snprintf(h->action, sizeof h->action, "?");
        snprintf(h->comment, sizeof h->comment, "(not valid JSON)");
        return;
    }
    const char *t = jstr(o, "time");
    /* ISO 8601 "2026-11-28T04:40:04.164Z" shown as "2026-11-28 04:40:04" */
    snprintf(h->time, sizeof h->time, "%.19s", t ? t : "?");
    if (h->time[10] == 'T') h->time[10] = ' ';
    snprintf(h->user, sizeof h->user, "%s", jstr(o, "user") ? jstr(o, "user") : "?");
    snprintf(h->action, sizeof h->action, "%s", jstr(o, "action") ? jstr(o, "action") : "?");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
    h->version = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
    const char *from = jstr(o, "from_alias"), *to = jstr(o, "to_alias");
    if (from && to)
        snprintf(h->alias, sizeof h->alias, "%.70s -> %.70s", from, to);
    else if (to)
        snprintf(h->alias, sizeof h->alias, "%s", to);
    else if (from)
        snprintf(h->alias, sizeof h->alias, "%.140s -> (none)", from);
    else
        snprintf(h->alias, sizeof h->alias, "-");
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(o, "policy");
    const char *verdict = "-";
    if (cJSON_IsObject(pol))
        verdict =
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pol, "passed")) ? "passed" : "failed";
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "forced"))) verdict = "FORCED";
    snprintf(h->verdict, sizeof h->verdict, "%s", verdict);
    const char *c = jstr(o, "comment");
    snprintf(h->comment, sizeof h->comment, "%s", c ? c : "");
    cJSON_Delete(o);
}

/* ---- the load job ---- */

typedef struct {
    char store[1024];
    char model[256];
} load_arg;

typedef struct {
    ll_status st;
    ll_error err;
    int no_store;
    model_row *models;
    size_t nmodels;
    ll_registered_model *m;
    double (*mets)[NMETRICS];
    hist_row *hist;
    size_t nhist;
} load_res;

static void load_res_free(load_res *r)
{
    if (!r) return;
    free(r->models);
    ll_registry_model_free(r->m);
    free(r->mets);
    hist_free(r->hist, r->nhist);
    free(r);
}

static void *load_worker(tui_job *job, void *p)
{
    load_arg *a = p;
    load_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    tui_job_progress(job, -1, "reading the registry");
    ll_store *st = NULL;
    r->st = ll_store_open(a->store, 0, &st, &r->err);
    if (r->st == LL_ENOTFOUND) {
        r->no_store = 1;
        r->st = LL_OK;
        return r;
    }
    if (r->st) return r;
    char **names = NULL;
    size_t n = 0;
    if ((r->st = ll_registry_list(st, &names, &n, &r->err))) goto out;
    r->models = calloc(n ? n : 1, sizeof *r->models);
    if (!r->models) {
        r->st = ll_error_set(&r->err, LL_ENOMEM, "out of memory");
        goto out;
    }
    const char *want = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], a->model)) want = names[i];
    if (!want && n) want = names[0];
    for (size_t i = 0; i < n && !tui_job_cancelled(job); i++) {
        ll_registered_model *m;
        ll_error e2;
        model_row *row = &r->models[r->nmodels++];
        snprintf(row->name, sizeof row->name, "%s", names[i]);
        if (ll_registry_get(st, names[i], &m, &e2)) continue;
        row->nversions = m->nversions;
        for (size_t k = 0; k < m->naliases; k++) {
            size_t l = strlen(row->aliases);
            snprintf(row->aliases + l, sizeof row->aliases - l, "%s%s=%s", k ? ", " : "",
                     m->aliases[k].key, m->aliases[k].value);
        }
        if (names[i] == want)
            r->m = m;
        else
            ll_registry_model_free(m);
    }
    if (r->m) {
        r->mets = calloc(r->m->nversions ? r->m->nversions : 1, sizeof *r->mets);
        for (size_t i = 0; r->mets && i < r->m->nversions; i++) {
            for (int k = 0; k < NMETRICS; k++) r->mets[i][k] = NAN;
            ll_run *run;
            ll_error e2;
            const ll_model_version *v = &r->m->versions[i];
            if (!v->run_id[0] || ll_store_get_run(st, v->run_id, &run, &e2)) continue;
            for (int k = 0; k < NMETRICS; k++) {
                const ll_metric *mm = ll_run_metric(run, metric_keys[k]);
                if (mm) r->mets[i][k] = mm->value;
            }
            ll_run_free(run);
        }
        char **lines = NULL;
        size_t nl = 0;
        ll_error e2;
        if (ll_registry_history(st, r->m->name, &lines, &nl, &e2) == LL_OK) {
            r->hist = calloc(nl ? nl : 1, sizeof *r->hist);
            for (size_t i = 0; r->hist && i < nl; i++) hist_parse(lines[nl - 1 - i], &r->hist[i]);
            if (r->hist) r->nhist = nl;
            ll_registry_names_free(lines, nl);
        }
    }
out:
    ll_registry_names_free(names, n);
    ll_store_close(st);
    return r;
}

static void start_load(reg *g);

static long version_index(const reg *g, long version)
{
    for (size_t i = 0; g->m && i < g->m->nversions; i++)
        if (g->m->versions[i].version == version) return (long)i;
    return -1;
}

/* The selected version (rows are newest first), or NULL. */
static const ll_model_version *selected_version(const reg *g)
{
    if (!g->m || !g->m->nversions) return NULL;
    long i = (long)g->m->nversions - 1 - tui_clamp_cursor(g->vsel, (long)g->m->nversions);
    return &g->m->versions[i];
}

static void load_done(tui_job *job, void *result, void *ud)
{
    reg *g = ud;
    load_res *r = result;
    free(job->arg);
    if (g->job == job) {
        g->job = NULL;
        g->job_kind = JOB_NONE;
    }
    g->loaded_ms = tui_now_ms();
    if (!r) {
        tui_app_error(g->app, "registry: out of memory");
    } else if (r->st) {
        char buf[1400];
        snprintf(g->load_error, sizeof g->load_error, "%s",
                 ll_error_format(&r->err, buf, sizeof buf));
        tui_app_error(g->app, "registry: %s", g->load_error);
        load_res_free(r);
    } else {
        g->load_error[0] = '\0';
        g->loaded = 1;
        g->no_store = r->no_store;
        free(g->models);
        ll_registry_model_free(g->m);
        free(g->mets);
        hist_free(g->hist, g->nhist);
        g->models = r->models;
        g->nmodels = r->nmodels;
        g->m = r->m;
        g->mets = r->mets;
        g->hist = r->hist;
        g->nhist = r->nhist;
        free(r);
        if (g->m) {
            snprintf(g->want_model, sizeof g->want_model, "%s", g->m->name);
            for (size_t i = 0; i < g->nmodels; i++)
                if (!strcmp(g->models[i].name, g->m->name)) g->msel = (long)i;
            long vi = version_index(g, g->keep_version);
            if (vi >= 0) g->vsel = (long)g->m->nversions - 1 - vi;
            g->vsel = tui_clamp_cursor(g->vsel, (long)g->m->nversions);
        }
        const ll_model_version *v = selected_version(g);
        g->keep_version = v ? v->version : 0;
    }
    if (g->reload_pending) {
        g->reload_pending = 0;
        start_load(g);
    }
    tui_app_touch(g->app, &tui_screen_registry);
}

static void start_load(reg *g)
{
    if (g->job) {
        g->reload_pending = 1;
        return;
    }
    load_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    snprintf(a->store, sizeof a->store, "%s", g->store);
    snprintf(a->model, sizeof a->model, "%s", g->want_model);
    tui_job *job = tui_job_start(&g->app->jobs, "registry", load_worker, a, load_done, g);
    if (!job) {
        free(a);
        tui_app_error(g->app, "cannot start a worker thread");
        return;
    }
    g->job = job;
    g->job_id = job->id;
    g->job_kind = JOB_LOAD;
}

/* ---- the check and apply jobs ---- */

typedef struct {
    char store[1024];
    char policy[1024];
    op_t op;
    int apply; /* 0: check only */
} op_arg;

typedef struct {
    ll_status st;
    ll_error err;
    ll_promote_result res;
    long demoted;             /* demote: the version that lost the alias */
    double mets[2][NMETRICS]; /* candidate's and the alias holder's key metrics */
} op_res;

static void run_metrics(ll_store *st, const ll_registered_model *m, long version, double *out)
{
    for (int k = 0; k < NMETRICS; k++) out[k] = NAN;
    const ll_model_version *v = m ? ll_registry_version(m, version) : NULL;
    ll_run *run;
    ll_error e;
    if (!v || !v->run_id[0] || ll_store_get_run(st, v->run_id, &run, &e)) return;
    for (int k = 0; k < NMETRICS; k++) {
        const ll_metric *mm = ll_run_metric(run, metric_keys[k]);
        if (mm) out[k] = mm->value;
    }
    ll_run_free(run);
}

static void *op_worker(tui_job *job, void *p)
{
    op_arg *a = p;
    op_res *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    tui_job_progress(job, -1, a->apply ? "changing the registry" : "checking the policy");
    ll_policy *policy = NULL;
    ll_store *st = NULL;
    const op_t *o = &a->op;
    if (o->kind == OP_PROMOTE && a->policy[0] &&
        (r->st = ll_registry_policy_load(a->policy, &policy, &r->err)))
        return r;
    if ((r->st = ll_store_open(a->store, 0, &st, &r->err))) {
        ll_registry_policy_free(policy);
        return r;
    }
    ll_promote_request req = {.model = o->model,
                              .from_alias = o->from[0] ? o->from : NULL,
                              .version = o->version,
                              .to_alias = o->to,
                              .policy = o->kind == OP_PROMOTE ? policy : NULL,
                              .force = o->force,
                              .comment = o->comment[0] ? o->comment : NULL};
    if (o->kind == OP_DEMOTE)
        r->st = a->apply
                    ? ll_registry_demote(st, o->model, o->to, req.comment, &r->demoted, &r->err)
                    : LL_OK;
    else if (!a->apply)
        r->st = ll_registry_promote_check(st, &req, &r->res, &r->err);
    else if (o->kind == OP_ROLLBACK)
        r->st =
            ll_registry_set_alias(st, o->model, o->to, o->version, req.comment, &r->res, &r->err);
    else
        r->st = ll_registry_promote(st, &req, &r->res, &r->err);
    if (!a->apply && r->st == LL_OK && o->kind != OP_DEMOTE) {
        ll_registered_model *m = NULL;
        ll_error e;
        if (ll_registry_get(st, o->model, &m, &e) == LL_OK) {
            run_metrics(st, m, r->res.version, r->mets[0]);
            run_metrics(st, m, r->res.previous, r->mets[1]);
            ll_registry_model_free(m);
        }
    }
    ll_registry_policy_free(policy);
    ll_store_close(st);
    return r;
}

static void op_done(tui_job *job, void *result, void *ud);

static void start_op(reg *g, int apply)
{
    if (g->job && g->job_kind != JOB_LOAD) {
        tui_app_error(g->app, "busy (%s); try again when it ends", g->job->name);
        return;
    }
    op_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    snprintf(a->store, sizeof a->store, "%s", g->store);
    snprintf(a->policy, sizeof a->policy, "%s", g->policy);
    a->op = g->op;
    a->apply = apply;
    const char *name = !apply                      ? "policy check"
                       : g->op.kind == OP_DEMOTE   ? "demote"
                       : g->op.kind == OP_ROLLBACK ? "rollback"
                                                   : "promote";
    /* a load in flight finishes on its own; this job's result is what the user waits for */
    tui_job *job = tui_job_start(&g->app->jobs, name, op_worker, a, op_done, g);
    if (!job) {
        free(a);
        tui_app_error(g->app, "cannot start a worker thread");
        return;
    }
    if (!g->job) {
        g->job = job;
        g->job_id = job->id;
        g->job_kind = apply ? JOB_APPLY : JOB_CHECK;
    }
}

static const char *fmt4(double v, char *buf, size_t len)
{
    if (!isnan(v)) return tui_verdict_num(v, buf, len);
    snprintf(buf, len, "-");
    return buf;
}

static void metrics_text(const double *m, char *buf, size_t len)
{
    char a[32], b[32], c[32];
    snprintf(buf, len, "auc %s  ks %s  logloss %s", fmt4(m[0], a, sizeof a),
             fmt4(m[1], b, sizeof b), fmt4(m[2], c, sizeof c));
}

static tui_slot verdict_slot(tui_verdict_kind k)
{
    switch (k) {
    case TUI_VERDICT_PASS:
    case TUI_VERDICT_OK:
        return TUI_SLOT_METRIC_GOOD;
    case TUI_VERDICT_FAIL:
    case TUI_VERDICT_REFUSED:
        return TUI_SLOT_METRIC_BAD;
    default:
        return TUI_SLOT_TEXT_DIM;
    }
}

/* The check came back: show the verdict (or the rollback summary) and ask. */
static void show_verdict(reg *g, const op_res *r)
{
    const op_t *o = &g->op;
    const ll_promote_result *res = &r->res;
    char title[1024], mt[160];
    tui_dialog *d = &g->dlg;
    if (o->kind == OP_ROLLBACK) {
        snprintf(title, sizeof title, "Roll back %s: '%s' to version %ld", o->model, o->to,
                 res->version);
        tui_dialog_confirm(d, DLG_ROLLBACK, title, 1, 0, "y roll back   n cancel");
        tui_dialog_line_add(d, TUI_SLOT_TEXT, "'%s' moves from version %ld to version %ld.", o->to,
                            res->previous, res->version);
        metrics_text(r->mets[1], mt, sizeof mt);
        tui_dialog_line_add(d, TUI_SLOT_TEXT, "  now:   version %-4ld %s", res->previous, mt);
        metrics_text(r->mets[0], mt, sizeof mt);
        tui_dialog_line_add(d, TUI_SLOT_TEXT, "  after: version %-4ld %s", res->version, mt);
        tui_dialog_line_add(d, TUI_SLOT_TEXT_DIM,
                            "A rollback applies no policy rule; the history records it as a "
                            "rollback.");
        return;
    }
    if (o->from[0])
        snprintf(title, sizeof title, "Promote %s@%s (version %ld) to '%s'", o->model, o->from,
                 res->version, o->to);
    else
        snprintf(title, sizeof title, "Promote %s version %ld to '%s'", o->model, res->version,
                 o->to);
    tui_dialog_confirm(d, DLG_VERDICT, title, res->passed, !res->passed,
                       res->passed ? "y promote   n cancel"
                                   : "f force with a comment   n cancel (the policy refuses)");
    metrics_text(r->mets[0], mt, sizeof mt);
    tui_dialog_line_add(d, TUI_SLOT_TEXT, "candidate  version %-4ld %s", res->version, mt);
    if (res->previous) {
        metrics_text(r->mets[1], mt, sizeof mt);
        tui_dialog_line_add(d, TUI_SLOT_TEXT, "'%s' now  version %-4ld %s%s", o->to, res->previous,
                            mt, !strcmp(res->action, "rollback") ? "  (newer: a rollback)" : "");
    } else {
        tui_dialog_line_add(d, TUI_SLOT_TEXT, "'%s' is not set yet", o->to);
    }
    tui_dialog_line_add(d, TUI_SLOT_HEADER, "policy %s",
                        res->evaluated ? g->policy : "none (:policy FILE sets one)");
    tui_verdict_line lines[48];
    size_t n = tui_verdict_lines(res, 100, lines, 48);
    for (size_t i = 0; i < n; i++)
        tui_dialog_line_add(d, verdict_slot(lines[i].kind), "%s", lines[i].text);
}

static void op_done(tui_job *job, void *result, void *ud)
{
    reg *g = ud;
    op_arg *a = job->arg;
    op_res *r = result;
    if (g->job == job) {
        g->job = NULL;
        g->job_kind = JOB_NONE;
    }
    tui_app *app = g->app;
    const op_t *o = &a->op;
    if (!r) {
        tui_app_error(app, "registry: out of memory");
    } else if (r->st) {
        char buf[1400];
        tui_app_error(app, "%s: %s", job->name, ll_error_format(&r->err, buf, sizeof buf));
    } else if (!a->apply) {
        g->op.version = r->res.version;
        show_verdict(g, r);
    } else if (o->kind == OP_DEMOTE) {
        tui_app_status(app, "removed alias '%s' from %s version %ld", o->to, o->model, r->demoted);
    } else {
        const ll_promote_result *res = &r->res;
        char arch[128] = "";
        for (size_t i = 0; i < res->narchived; i++) {
            size_t l = strlen(arch);
            snprintf(arch + l, sizeof arch - l, "%s%ld", i ? ", " : "; archived version ",
                     res->archived[i]);
        }
        tui_app_status(app, "%s %s version %ld to '%s' (stage %s)%s%s",
                       !strcmp(res->action, "rollback") ? "rolled back" : "promoted", o->model,
                       res->version, o->to, res->stage, arch,
                       res->forced ? "; FORCED despite failing rules" : "");
    }
    if (r) ll_promote_result_clear(&r->res);
    free(r);
    int applied = a->apply;
    free(a);
    if (applied) start_load(g);
    tui_app_touch(app, &tui_screen_registry);
}

/* ---- starting operations ---- */

static int need_model(reg *g)
{
    if (!g->m) {
        tui_app_error(g->app, g->no_store ? "no tracking store at %s" : "no registered model%s",
                      g->no_store ? g->store : "");
        return 0;
    }
    return 1;
}

static void op_reset(reg *g, int kind)
{
    memset(&g->op, 0, sizeof g->op);
    g->op.kind = kind;
    snprintf(g->op.model, sizeof g->op.model, "%s", g->m->name);
}

/* Add the usual aliases and the model's own as choices, with the version each is on. */
static void alias_items(reg *g, const char *skip)
{
    char note[64];
    const ll_registered_model *m = g->m;
    for (size_t i = 0; i < sizeof common_aliases / sizeof *common_aliases; i++) {
        if (skip && !strcmp(skip, common_aliases[i])) continue;
        long v = ll_registry_alias_version(m, common_aliases[i]);
        if (v)
            snprintf(note, sizeof note, "now on version %ld", v);
        else
            snprintf(note, sizeof note, "not set");
        tui_dialog_item_add(&g->dlg, common_aliases[i], note);
    }
    for (size_t i = 0; i < m->naliases; i++) {
        if (skip && !strcmp(skip, m->aliases[i].key)) continue;
        snprintf(note, sizeof note, "now on version %s", m->aliases[i].value);
        tui_dialog_item_add(&g->dlg, m->aliases[i].key, note);
    }
}

static void set_target(reg *g, const char *alias)
{
    if (!ll_registry_valid_alias(alias)) {
        tui_app_error(g->app,
                      "invalid alias '%s' (letters, digits, '_' and '-'; not 'latest' nor "
                      "v<number>)",
                      alias);
        return;
    }
    snprintf(g->op.to, sizeof g->op.to, "%s", alias);
    start_op(g, 0);
}

static void promote_version(reg *g, const char *alias)
{
    if (!need_model(g)) return;
    const ll_model_version *v = selected_version(g);
    if (!v) return;
    op_reset(g, OP_PROMOTE);
    g->op.version = v->version;
    if (alias) {
        set_target(g, alias);
        return;
    }
    char title[1024];
    snprintf(title, sizeof title, "Promote %s version %ld to alias", g->m->name, v->version);
    tui_dialog_pick(&g->dlg, DLG_TO_ALIAS, title, 1,
                    "alias:", "Enter choose (or type a new alias)   Esc cancel");
    alias_items(g, NULL);
}

static void promote_alias(reg *g, const char *from, const char *to)
{
    if (!need_model(g)) return;
    if (!g->m->naliases) {
        tui_app_error(g->app, "%s has no alias yet: p promotes a version", g->m->name);
        return;
    }
    op_reset(g, OP_PROMOTE);
    char title[1024], note[64];
    if (from) {
        if (!ll_registry_alias_version(g->m, from)) {
            tui_app_error(g->app, "%s has no alias '%s'", g->m->name, from);
            return;
        }
        snprintf(g->op.from, sizeof g->op.from, "%s", from);
        if (to) {
            set_target(g, to);
            return;
        }
        snprintf(title, sizeof title, "Promote %s@%s (version %ld) to alias", g->m->name, from,
                 ll_registry_alias_version(g->m, from));
        tui_dialog_pick(&g->dlg, DLG_TO_ALIAS, title, 1,
                        "alias:", "Enter choose (or type a new alias)   Esc cancel");
        alias_items(g, g->op.from);
        return;
    }
    snprintf(title, sizeof title, "Promote %s from alias", g->m->name);
    tui_dialog_pick(&g->dlg, DLG_FROM_ALIAS, title, 0, "alias:", "Enter choose   Esc cancel");
    for (size_t i = 0; i < g->m->naliases; i++) {
        snprintf(note, sizeof note, "version %s", g->m->aliases[i].value);
        tui_dialog_item_add(&g->dlg, g->m->aliases[i].key, note);
    }
}

static void rollback(reg *g)
{
    if (!need_model(g)) return;
    const ll_model_version *v = selected_version(g);
    if (!v) return;
    long prod = ll_registry_alias_version(g->m, "production");
    if (!prod) {
        tui_app_error(g->app, "%s has no production version to roll back (p promotes one)",
                      g->m->name);
        return;
    }
    if (v->version >= prod) {
        tui_app_error(g->app,
                      "version %ld is not older than production (version %ld): choose an older "
                      "version, or p to promote",
                      v->version, prod);
        return;
    }
    op_reset(g, OP_ROLLBACK);
    g->op.version = v->version;
    snprintf(g->op.to, sizeof g->op.to, "production");
    start_op(g, 0);
}

static void demote_confirm(reg *g, const char *alias)
{
    long v = ll_registry_alias_version(g->m, alias);
    if (!v) {
        tui_app_error(g->app, "%s has no alias '%s'", g->m->name, alias);
        return;
    }
    op_reset(g, OP_DEMOTE);
    snprintf(g->op.to, sizeof g->op.to, "%s", alias);
    g->op.version = v;
    char title[1024];
    snprintf(title, sizeof title, "Demote %s: remove alias '%s'", g->m->name, alias);
    tui_dialog_confirm(&g->dlg, DLG_DEMOTE, title, 1, 0, "y remove the alias   n cancel");
    tui_dialog_line_add(&g->dlg, TUI_SLOT_TEXT, "'%s' is on version %ld; it will point nowhere.",
                        alias, v);
    if (!strcmp(alias, "production") || !strcmp(alias, "staging"))
        tui_dialog_line_add(&g->dlg, TUI_SLOT_TEXT_DIM,
                            "A version left without production or staging becomes Archived.");
}

static void demote(reg *g, const char *alias)
{
    if (!need_model(g)) return;
    if (!g->m->naliases) {
        tui_app_error(g->app, "%s has no alias to remove", g->m->name);
        return;
    }
    if (alias) {
        demote_confirm(g, alias);
        return;
    }
    char title[1024], note[64];
    snprintf(title, sizeof title, "Demote %s: the alias to remove", g->m->name);
    tui_dialog_pick(&g->dlg, DLG_DEMOTE_PICK, title, 0, "alias:", "Enter choose   Esc cancel");
    const ll_model_version *sv = selected_version(g);
    /* the selected version's aliases first: the likeliest choice */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < g->m->naliases; i++) {
            int on_sel = sv && strtol(g->m->aliases[i].value, NULL, 10) == sv->version;
            if (on_sel != !pass) continue;
            snprintf(note, sizeof note, "version %s", g->m->aliases[i].value);
            tui_dialog_item_add(&g->dlg, g->m->aliases[i].key, note);
        }
}

static void show_history_entry(reg *g)
{
    if (!g->nhist) return;
    const hist_row *h = &g->hist[tui_clamp_cursor(g->hsel, (long)g->nhist)];
    char title[300];
    snprintf(title, sizeof title, "History: %s %s version %ld", h->time, h->action, h->version);
    tui_dialog_confirm(&g->dlg, DLG_INFO, title, 1, 0, "Enter or Esc closes   Up/Down scroll");
    tui_dialog *d = &g->dlg;
    tui_dialog_line_add(d, TUI_SLOT_TEXT, "user %s   alias %s   policy %s", h->user, h->alias,
                        h->verdict);
    if (h->comment[0]) tui_dialog_line_add(d, TUI_SLOT_TEXT, "comment: %s", h->comment);
    cJSON *o = h->json ? cJSON_Parse(h->json) : NULL;
    const cJSON *mets = cJSON_GetObjectItemCaseSensitive(o, "metrics");
    if (cJSON_IsObject(mets)) {
        /* every metric the run had, a few a line */
        char line[320] = "metrics:", num[32];
        const cJSON *it;
        cJSON_ArrayForEach(it, mets)
        {
            char one[160];
            snprintf(one, sizeof one, " %.100s %s", it->string ? it->string : "?",
                     cJSON_IsNumber(it) ? tui_verdict_num(it->valuedouble, num, sizeof num) : "-");
            if (strlen(line) + strlen(one) > 96) {
                tui_dialog_line_add(d, TUI_SLOT_TEXT, "%s", line);
                snprintf(line, sizeof line, "        ");
            }
            size_t l = strlen(line);
            snprintf(line + l, sizeof line - l, "%s", one);
        }
        tui_dialog_line_add(d, TUI_SLOT_TEXT, "%s", line);
    }
    /* the rules as recorded, laid out as the promotion dialog shows them */
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(o, "policy");
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(pol, "rules");
    if (cJSON_IsObject(pol)) {
        const char *f = jstr(pol, "file");
        tui_dialog_line_add(d, TUI_SLOT_HEADER, "policy %s", f ? f : "");
        ll_rule_result rr[16];
        ll_promote_result res;
        memset(&res, 0, sizeof res);
        res.evaluated = 1;
        res.rules = rr;
        const cJSON *rule;
        cJSON_ArrayForEach(rule, rules)
        {
            if (res.nrules == sizeof rr / sizeof *rr) break;
            ll_rule_result *x = &rr[res.nrules++];
            memset(x, 0, sizeof *x);
            const char *rt = jstr(rule, "rule"), *det = jstr(rule, "detail");
            snprintf(x->rule, sizeof x->rule, "%s", rt ? rt : "?");
            snprintf(x->detail, sizeof x->detail, "%s", det ? det : "");
            const char *keys[3] = {"value", "threshold", "incumbent"};
            double *dst[3] = {&x->value, &x->threshold, &x->incumbent};
            for (int k = 0; k < 3; k++) {
                const cJSON *nv = cJSON_GetObjectItemCaseSensitive(rule, keys[k]);
                *dst[k] = cJSON_IsNumber(nv) ? nv->valuedouble : NAN;
            }
            x->passed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rule, "passed"));
        }
        tui_verdict_line lines[48];
        size_t n = tui_verdict_lines(&res, 100, lines, 48);
        for (size_t i = 0; i < n; i++)
            tui_dialog_line_add(d, verdict_slot(lines[i].kind), "%s", lines[i].text);
    }
    cJSON_Delete(o);
}

/* ---- dialogs answered ---- */

static void dialog_answer(reg *g, tui_dialog_result res)
{
    tui_dialog *d = &g->dlg;
    int tag = d->tag;
    /* the answer is copied: opening the next dialog resets this one */
    char value[TUI_LINE_MAX];
    snprintf(value, sizeof value, "%s", d->value);
    if (res == TUI_DIALOG_CANCEL) {
        if (tag != DLG_INFO) tui_app_status(g->app, "nothing changed");
        return;
    }
    switch (tag) {
    case DLG_TO_ALIAS:
        if (g->op.version && !g->op.from[0] &&
            ll_registry_alias_version(g->m, value) == g->op.version) {
            tui_app_error(g->app, "version %ld already holds '%s'", g->op.version, value);
            return;
        }
        set_target(g, value);
        break;
    case DLG_FROM_ALIAS:
        promote_alias(g, value, NULL);
        break;
    case DLG_VERDICT:
        if (res == TUI_DIALOG_FORCE) {
            char title[1024];
            snprintf(title, sizeof title, "Force %s%s%s version %ld to '%s'", g->op.model,
                     g->op.from[0] ? "@" : "", g->op.from, g->op.version, g->op.to);
            tui_dialog_input(d, DLG_COMMENT, title, "comment:", NULL,
                             "the reason is recorded in the history   Enter forces   Esc cancels");
            tui_dialog_line_add(d, TUI_SLOT_METRIC_BAD,
                                "The policy refuses this promotion. Forcing it needs a comment.");
        } else {
            start_op(g, 1);
        }
        break;
    case DLG_COMMENT: {
        const char *c = value;
        while (*c == ' ') c++;
        if (!*c) {
            tui_app_error(g->app, "a forced promotion needs a comment; nothing changed");
            return;
        }
        g->op.force = 1;
        snprintf(g->op.comment, sizeof g->op.comment, "%s", c);
        start_op(g, 1);
        break;
    }
    case DLG_ROLLBACK:
    case DLG_DEMOTE:
        start_op(g, 1);
        break;
    case DLG_DEMOTE_PICK:
        demote_confirm(g, value);
        break;
    default:
        break;
    }
}

static int reg_modal_key(void *self, tui_app *app, int key, int is_char)
{
    reg *g = self;
    if (!g || !tui_dialog_is_open(&g->dlg)) return 0;
    if (g->dlg.kind == TUI_DIALOG_CONFIRM && g->dlg.allow_force && (key == 'y' || key == '\n')) {
        tui_app_error(app, "the policy refuses this promotion: f forces it with a comment, n "
                           "cancels");
        return 1;
    }
    tui_dialog_result r = tui_dialog_key(&g->dlg, key, is_char);
    if (r != TUI_DIALOG_KEEP) dialog_answer(g, r);
    return 1;
}

/* ---- create / destroy / update ---- */

static void *reg_create(tui_app *app)
{
    reg *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->app = app;
    snprintf(g->store, sizeof g->store, "%s", app->store);
    snprintf(g->policy, sizeof g->policy, "%s", app->config.policy);
    g->focus = FOCUS_VERSIONS;
    return g;
}

static void reg_destroy(void *self)
{
    reg *g = self;
    if (!g) return;
    free(g->models);
    ll_registry_model_free(g->m);
    free(g->mets);
    hist_free(g->hist, g->nhist);
    tui_lineedit_free(&g->dlg.ed);
    free(g);
}

static void reg_update(void *self, tui_app *app)
{
    reg *g = self;
    if (!g) return;
    /* update runs only for the screen on view: a stale registry is read again when shown */
    if (!g->job && (!g->loaded || tui_now_ms() - g->loaded_ms > RELOAD_MS)) {
        g->loaded_ms = tui_now_ms();
        start_load(g);
    }
}

/* ---- drawing ---- */

static tui_slot border_of(const reg *g, int f)
{
    return g->focus == f && !tui_dialog_is_open(&g->dlg) ? TUI_SLOT_PANE_BORDER_FOCUS
                                                         : TUI_SLOT_PANE_BORDER;
}

static tui_slot sel_of(const reg *g, int f)
{
    return g->focus == f ? TUI_SLOT_SELECTION : TUI_SLOT_SELECTION_DIM;
}

static void layout(reg *g, tui_rect r)
{
    g->info = (tui_rect){r.y, r.x, 1, r.w};
    int lw = r.w / 4 < 24 ? 24 : r.w / 4 > 36 ? 36 : r.w / 4;
    int h = r.h - 1;
    g->lm = (tui_rect){r.y + 1, r.x, h, lw};
    int vh = h / 2 > 8 ? h / 2 : (h > 8 ? 8 : h);
    g->lv = (tui_rect){r.y + 1, r.x + lw, vh, r.w - lw};
    g->lh = (tui_rect){r.y + 1 + vh, r.x + lw, h - vh, r.w - lw};
}

static void draw_models(reg *g, tui_rect r)
{
    char title[64];
    snprintf(title, sizeof title, "Models (%zu)", g->nmodels);
    tui_draw_box(r, border_of(g, FOCUS_MODELS), title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    if (!g->nmodels) {
        const char *msg = !g->loaded         ? "reading..."
                          : g->load_error[0] ? "cannot read the registry"
                          : g->no_store      ? "no tracking store yet"
                                             : "no registered model";
        tui_draw_text(in.y, in.x + 1, in.w - 1, TUI_SLOT_TEXT_DIM, msg, TUI_ALIGN_LEFT);
        return;
    }
    /* two lines a model: the name, then its versions and aliases */
    long rows = in.h / 2 > 0 ? in.h / 2 : 1;
    g->msel = tui_clamp_cursor(g->msel, (long)g->nmodels);
    g->mtop = tui_scroll_follow(g->mtop, g->msel, rows, (long)g->nmodels);
    for (long i = 0; i < rows; i++) {
        long k = g->mtop + i;
        if (k >= (long)g->nmodels) break;
        const model_row *m = &g->models[k];
        int y = in.y + (int)i * 2;
        int sel = k == g->msel;
        tui_slot s = sel ? sel_of(g, FOCUS_MODELS) : TUI_SLOT_TEXT;
        tui_draw_fill(y, in.x, in.w, s);
        tui_draw_text(y, in.x + 1, in.w - 1, s, m->name, TUI_ALIGN_LEFT);
        char sub[320];
        snprintf(sub, sizeof sub, "%zu version%s%s%s", m->nversions, m->nversions == 1 ? "" : "s",
                 m->aliases[0] ? ", " : "", m->aliases);
        if (y + 1 < in.y + in.h)
            tui_draw_text(y + 1, in.x + 2, in.w - 2, TUI_SLOT_TEXT_DIM, sub, TUI_ALIGN_LEFT);
    }
}

enum { VC_VER, VC_STAGE, VC_ALIASES, VC_RUN, VC_AUC, VC_KS, VC_LOGLOSS, VC_CREATED, VC_COUNT };

static void draw_versions(reg *g, tui_rect r)
{
    char title[1024];
    if (g->m)
        snprintf(title, sizeof title, "Versions: %s (%zu)", g->m->name, g->m->nversions);
    else
        snprintf(title, sizeof title, "Versions");
    tui_draw_box(r, border_of(g, FOCUS_VERSIONS), title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    if (!g->m) return;
    static const char *const head[VC_COUNT] = {"ver", "stage", "aliases", "run",
                                               "auc", "ks",    "logloss", "created"};
    int want[VC_COUNT] = {4, 10, 20, 8, 7, 7, 7, 16};
    static const int prio[VC_COUNT] = {0, 1, 2, 6, 3, 4, 5, 7};
    int shown[VC_COUNT];
    tui_layout_columns(want, prio, VC_COUNT, in.w - 2, want[VC_VER], shown);
    int xs[VC_COUNT], x = in.x + 1;
    for (int c = 0; c < VC_COUNT; c++) {
        xs[c] = x;
        if (shown[c]) x += shown[c] + 1;
    }
    for (int c = 0; c < VC_COUNT; c++)
        if (shown[c])
            tui_draw_text(in.y, xs[c], shown[c], TUI_SLOT_HEADER, head[c],
                          c == VC_VER || (c >= VC_AUC && c <= VC_LOGLOSS) ? TUI_ALIGN_RIGHT
                                                                          : TUI_ALIGN_LEFT);
    long n = (long)g->m->nversions, rows = in.h - 1;
    g->vsel = tui_clamp_cursor(g->vsel, n);
    g->vtop = tui_scroll_follow(g->vtop, g->vsel, rows, n);
    for (long i = 0; i < rows; i++) {
        long k = g->vtop + i;
        if (k >= n) break;
        long vi = n - 1 - k;
        const ll_model_version *v = &g->m->versions[vi];
        int y = in.y + 1 + (int)i, sel = k == g->vsel;
        tui_slot base = sel ? sel_of(g, FOCUS_VERSIONS) : TUI_SLOT_TEXT;
        tui_draw_fill(y, in.x, in.w, base);
        char buf[300];
        snprintf(buf, sizeof buf, "%ld", v->version);
        tui_draw_text(y, xs[VC_VER], shown[VC_VER], base, buf, TUI_ALIGN_RIGHT);
        tui_slot ss = sel                               ? base
                      : !strcmp(v->stage, "Production") ? TUI_SLOT_METRIC_GOOD
                      : !strcmp(v->stage, "Archived")   ? TUI_SLOT_TEXT_DIM
                                                        : TUI_SLOT_TEXT;
        if (shown[VC_STAGE])
            tui_draw_text(y, xs[VC_STAGE], shown[VC_STAGE], ss, v->stage, TUI_ALIGN_LEFT);
        buf[0] = '\0';
        for (size_t a = 0; a < v->naliases; a++) {
            size_t l = strlen(buf);
            snprintf(buf + l, sizeof buf - l, "%s%s", a ? "," : "", v->aliases[a]);
        }
        if (shown[VC_ALIASES])
            tui_draw_text(y, xs[VC_ALIASES], shown[VC_ALIASES], sel ? base : TUI_SLOT_KEY,
                          buf[0] ? buf : "", TUI_ALIGN_LEFT);
        snprintf(buf, sizeof buf, "%.8s", v->run_id[0] ? v->run_id : "-");
        if (shown[VC_RUN])
            tui_draw_text(y, xs[VC_RUN], shown[VC_RUN], sel ? base : TUI_SLOT_TEXT_DIM, buf,
                          TUI_ALIGN_LEFT);
        for (int k2 = 0; k2 < NMETRICS; k2++) {
            int c = VC_AUC + k2;
            if (!shown[c]) continue;
            double val = g->mets ? g->mets[vi][k2] : NAN;
            tui_draw_text(y, xs[c], shown[c], base, fmt4(val, buf, sizeof buf), TUI_ALIGN_RIGHT);
        }
        if (shown[VC_CREATED]) {
            time_t t = (time_t)(v->creation_timestamp / 1000);
            struct tm tm;
            if (v->creation_timestamp > 0 && localtime_r(&t, &tm))
                strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
            else
                snprintf(buf, sizeof buf, "-");
            tui_draw_text(y, xs[VC_CREATED], shown[VC_CREATED], sel ? base : TUI_SLOT_TEXT_DIM, buf,
                          TUI_ALIGN_LEFT);
        }
    }
}

enum { HC_TIME, HC_USER, HC_ACTION, HC_VER, HC_ALIAS, HC_POLICY, HC_COMMENT, HC_COUNT };

static void draw_history(reg *g, tui_rect r)
{
    char title[1024];
    snprintf(title, sizeof title, "History%s%s (%zu, newest first; Enter shows an entry)",
             g->m ? ": " : "", g->m ? g->m->name : "", g->nhist);
    tui_draw_box(r, border_of(g, FOCUS_HISTORY), title, TUI_SLOT_PANE_TITLE);
    tui_rect in = tui_rect_inner(r);
    if (!g->nhist) {
        tui_draw_text(in.y, in.x + 1, in.w - 1, TUI_SLOT_TEXT_DIM, g->m ? "no history" : "",
                      TUI_ALIGN_LEFT);
        return;
    }
    static const char *const head[HC_COUNT] = {"time (UTC)", "user",   "action", "ver",
                                               "alias",      "policy", "comment"};
    int want[HC_COUNT] = {19, 10, 8, 4, 20, 7, 10};
    static const int prio[HC_COUNT] = {0, 6, 1, 2, 3, 4, 5};
    int shown[HC_COUNT];
    int used = tui_layout_columns(want, prio, HC_COUNT, in.w - 2, want[HC_TIME], shown);
    if (shown[HC_COMMENT] && used < in.w - 2) shown[HC_COMMENT] += in.w - 2 - used;
    int xs[HC_COUNT], x = in.x + 1;
    for (int c = 0; c < HC_COUNT; c++) {
        xs[c] = x;
        if (shown[c]) x += shown[c] + 1;
    }
    for (int c = 0; c < HC_COUNT; c++)
        if (shown[c])
            tui_draw_text(in.y, xs[c], shown[c], TUI_SLOT_HEADER, head[c],
                          c == HC_VER ? TUI_ALIGN_RIGHT : TUI_ALIGN_LEFT);
    long n = (long)g->nhist, rows = in.h - 1;
    g->hsel = tui_clamp_cursor(g->hsel, n);
    g->htop = tui_scroll_follow(g->htop, g->hsel, rows, n);
    for (long i = 0; i < rows; i++) {
        long k = g->htop + i;
        if (k >= n) break;
        const hist_row *h = &g->hist[k];
        int y = in.y + 1 + (int)i, sel = k == g->hsel && g->focus == FOCUS_HISTORY;
        tui_slot base = sel ? TUI_SLOT_SELECTION : TUI_SLOT_TEXT;
        tui_draw_fill(y, in.x, in.w, base);
        char ver[32];
        snprintf(ver, sizeof ver, h->version ? "%ld" : "-", h->version);
        const char *cells[HC_COUNT] = {h->time,  h->user,    h->action, ver,
                                       h->alias, h->verdict, h->comment};
        for (int c = 0; c < HC_COUNT; c++) {
            if (!shown[c]) continue;
            tui_slot s = base;
            if (!sel && c == HC_POLICY)
                s = !strcmp(h->verdict, "passed") ? TUI_SLOT_METRIC_GOOD
                    : !strcmp(h->verdict, "-")    ? TUI_SLOT_TEXT_DIM
                                                  : TUI_SLOT_METRIC_BAD;
            if (!sel && c == HC_TIME) s = TUI_SLOT_TEXT_DIM;
            tui_draw_text(y, xs[c], shown[c], s, cells[c],
                          c == HC_VER ? TUI_ALIGN_RIGHT : TUI_ALIGN_LEFT);
        }
    }
}

static void reg_draw(void *self, tui_app *app, tui_rect r)
{
    reg *g = self;
    if (!g) return;
    tui_draw_clear(r, TUI_SLOT_TEXT);
    layout(g, r);
    char info[4096];
    snprintf(
        info, sizeof info,
        " store %s %s policy %s %s p promote  P alias to alias  r rollback  D demote  R reload",
        g->store, tui_draw_glyphs()->sep, g->policy[0] ? g->policy : "none (:policy FILE)",
        tui_draw_glyphs()->sep);
    tui_draw_text(g->info.y, g->info.x, g->info.w, TUI_SLOT_TEXT_DIM, info, TUI_ALIGN_LEFT);
    draw_models(g, g->lm);
    draw_versions(g, g->lv);
    draw_history(g, g->lh);
    if (tui_dialog_is_open(&g->dlg)) tui_dialog_draw(&g->dlg, r);
}

static void reg_resize(void *self, tui_app *app, tui_rect r)
{
    reg *g = self;
    if (g) layout(g, r);
}

/* ---- actions ---- */

static void select_model(reg *g, long k)
{
    if (k < 0 || k >= (long)g->nmodels) return;
    g->msel = k;
    if (strcmp(g->want_model, g->models[k].name)) {
        snprintf(g->want_model, sizeof g->want_model, "%s", g->models[k].name);
        g->vsel = g->hsel = 0;
        g->keep_version = 0;
        start_load(g);
    }
}

static void move_cursor(reg *g, long delta, int absolute)
{
    if (g->focus == FOCUS_MODELS) {
        long k = tui_clamp_cursor(absolute ? delta : g->msel + delta, (long)g->nmodels);
        select_model(g, k);
    } else if (g->focus == FOCUS_VERSIONS) {
        long n = g->m ? (long)g->m->nversions : 0;
        g->vsel = tui_clamp_cursor(absolute ? delta : g->vsel + delta, n);
        const ll_model_version *v = selected_version(g);
        g->keep_version = v ? v->version : 0;
    } else {
        g->hsel = tui_clamp_cursor(absolute ? delta : g->hsel + delta, (long)g->nhist);
    }
}

static long page_of(const reg *g)
{
    tui_rect r = g->focus == FOCUS_MODELS ? g->lm : g->focus == FOCUS_VERSIONS ? g->lv : g->lh;
    long p = r.h - 3;
    if (g->focus == FOCUS_MODELS) p = (r.h - 2) / 2;
    return p > 1 ? p : 1;
}

static int reg_action(void *self, tui_app *app, int argc, char **argv)
{
    reg *g = self;
    if (!g) return 0;
    const char *v = argv[0], *a = argc > 1 ? argv[1] : NULL;
    if (!strcmp(v, "focus")) {
        g->focus = (g->focus + (a && !strcmp(a, "prev") ? FOCUS_COUNT - 1 : 1)) % FOCUS_COUNT;
    } else if (!strcmp(v, "cursor") && a && !strcmp(a, "up")) {
        move_cursor(g, -1, 0);
    } else if (!strcmp(v, "cursor") && a && !strcmp(a, "down")) {
        move_cursor(g, 1, 0);
    } else if (!strcmp(v, "cursor") && a && !strcmp(a, "top")) {
        move_cursor(g, 0, 1);
    } else if (!strcmp(v, "cursor") && a && !strcmp(a, "bottom")) {
        move_cursor(g, LONG_MAX / 2, 1);
    } else if (!strcmp(v, "page") && a && !strcmp(a, "up")) {
        move_cursor(g, -page_of(g), 0);
    } else if (!strcmp(v, "page") && a && !strcmp(a, "down")) {
        move_cursor(g, page_of(g), 0);
    } else if (!strcmp(v, "select")) {
        if (g->focus == FOCUS_MODELS)
            g->focus = FOCUS_VERSIONS;
        else if (g->focus == FOCUS_HISTORY)
            show_history_entry(g);
    } else if (!strcmp(v, "reload")) {
        start_load(g);
        tui_app_status(app, "reading the registry of %s", g->store);
    } else if (!strcmp(v, "policy")) {
        if (!a) {
            tui_app_status(app, "policy: %s", g->policy[0] ? g->policy : "none");
        } else if (!strcmp(a, "none") || !strcmp(a, "-")) {
            g->policy[0] = '\0';
            tui_app_status(app, "no policy: promotions apply no rule");
        } else {
            ll_policy *p = NULL;
            ll_error err;
            ll_error_clear(&err);
            if (ll_registry_policy_load(a, &p, &err)) {
                char buf[1400];
                tui_app_error(app, "policy not changed: %s",
                              ll_error_format(&err, buf, sizeof buf));
            } else {
                snprintf(g->policy, sizeof g->policy, "%s", a);
                tui_app_status(app, "policy %s: %zu bound%s%s", a, p->nrequire,
                               p->nrequire == 1 ? "" : "s",
                               p->has_challenger ? " and a challenger rule" : "");
            }
            ll_registry_policy_free(p);
        }
    } else if (!strcmp(v, "model")) {
        long found = -1;
        for (size_t i = 0; a && i < g->nmodels; i++)
            if (!strcmp(g->models[i].name, a)) found = (long)i;
        if (found < 0)
            tui_app_error(app, "no registered model '%s'", a ? a : "");
        else
            select_model(g, found);
    } else if (!strcmp(v, "promote-version")) {
        promote_version(g, a);
    } else if (!strcmp(v, "promote-alias")) {
        promote_alias(g, a, argc > 2 ? argv[2] : NULL);
    } else if (!strcmp(v, "rollback")) {
        rollback(g);
    } else if (!strcmp(v, "demote-alias")) {
        demote(g, a);
    } else {
        return 0;
    }
    return 1;
}

static void reg_mouse(void *self, tui_app *app, int y, int x, int what)
{
    reg *g = self;
    if (!g || tui_dialog_is_open(&g->dlg)) return;
    int focus = tui_rect_contains(g->lm, y, x)   ? FOCUS_MODELS
                : tui_rect_contains(g->lv, y, x) ? FOCUS_VERSIONS
                : tui_rect_contains(g->lh, y, x) ? FOCUS_HISTORY
                                                 : -1;
    if (focus < 0) return;
    g->focus = focus;
    if (what != TUI_MOUSE_CLICK) {
        move_cursor(g, what == TUI_MOUSE_WHEEL_UP ? -3 : 3, 0);
        return;
    }
    if (focus == FOCUS_MODELS) {
        tui_rect in = tui_rect_inner(g->lm);
        if (y >= in.y) select_model(g, g->mtop + (y - in.y) / 2);
    } else if (focus == FOCUS_VERSIONS) {
        tui_rect in = tui_rect_inner(g->lv);
        long n = g->m ? (long)g->m->nversions : 0, k = g->vtop + (y - in.y - 1);
        if (y > in.y && k < n) move_cursor(g, k, 1);
    } else {
        tui_rect in = tui_rect_inner(g->lh);
        long k = g->htop + (y - in.y - 1);
        if (y > in.y && k < (long)g->nhist) g->hsel = k;
    }
}

const tui_pane_ops tui_screen_registry = {
    .name = "Registry",
    .keys = &tui_keys_registry,
    .verbs = reg_verbs,
    .create = reg_create,
    .destroy = reg_destroy,
    .update = reg_update,
    .draw = reg_draw,
    .action = reg_action,
    .resize = reg_resize,
    .mouse = reg_mouse,
    .modal_key = reg_modal_key,
};
