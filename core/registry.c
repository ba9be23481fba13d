/* registry: registered models, versions, aliases, MLflow stages, promotion policy, audit log. */
#include "registry.h"

#include <cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "numfmt.h"
#include "yamlmap.h"

#define PATH_CAP 4096

static char *xstrdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* snprintf for paths: the store root and model names are validated, so a path that does not
 * fit only happens with absurd roots; it then fails to open and the error names it. */
static int pathf(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int pathf(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, len, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int ll_registry_valid_name(const char *name)
{
    if (!name || !*name || name[0] == '.' || strlen(name) > 255) return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p == '/' || *p == '\\' || *p == '%' || *p < 0x20) return 0;
    return 1;
}

int ll_registry_valid_alias(const char *alias)
{
    if (!alias || !*alias || strlen(alias) > 255) return 0;
    for (const char *p = alias; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-')) return 0;
    if (!strcasecmp(alias, "latest")) return 0;
    /* "v3" would read as a version reference in models:/name@... URIs */
    if ((alias[0] == 'v' || alias[0] == 'V') && alias[1] &&
        strspn(alias + 1, "0123456789") == strlen(alias + 1))
        return 0;
    return 1;
}

static ll_status model_dir(const ll_store *st, const char *name, char *out, size_t len,
                           ll_error *err)
{
    if (!ll_registry_valid_name(name))
        return ll_error_set(err, LL_EINVAL, "invalid model name '%s'", name ? name : "");
    if (snprintf(out, len, "%s/models/%s", ll_store_root(st), name) >= (int)len)
        return ll_error_set(err, LL_EINVAL, "model name too long");
    return LL_OK;
}

/* ------------------------------------------------------------------ reading */

static void version_clear(ll_model_version *v)
{
    free(v->source);
    free(v->run_id);
    free(v->stage);
    free(v->status);
    free(v->user_id);
    free(v->description);
    for (size_t i = 0; i < v->naliases; i++) free(v->aliases[i]);
    free(v->aliases);
    memset(v, 0, sizeof *v);
}

void ll_registry_model_free(ll_registered_model *m)
{
    if (!m) return;
    free(m->name);
    free(m->description);
    for (size_t i = 0; i < m->nversions; i++) version_clear(&m->versions[i]);
    free(m->versions);
    for (size_t i = 0; i < m->naliases; i++) {
        free(m->aliases[i].key);
        free(m->aliases[i].value);
    }
    free(m->aliases);
    free(m);
}

void ll_registry_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ll_status ll_registry_list(ll_store *st, char ***names, size_t *n, ll_error *err)
{
    *names = NULL;
    *n = 0;
    char dir[PATH_CAP];
    pathf(dir, sizeof dir, "%s/models", ll_store_root(st));
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return LL_OK;
        return ll_error_set(err, LL_EIO, "cannot read %s: %s", dir, strerror(errno));
    }
    struct dirent *de;
    size_t cap = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char meta[PATH_CAP];
        if (pathf(meta, sizeof meta, "%s/%s/meta.yaml", dir, de->d_name) >= (int)sizeof meta)
            continue;
        if (!ll_fsutil_exists(meta)) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            char **nn = realloc(*names, cap * sizeof *nn);
            if (!nn) {
                closedir(d);
                ll_registry_names_free(*names, *n);
                *names = NULL;
                *n = 0;
                return ll_error_set(err, LL_ENOMEM, "out of memory");
            }
            *names = nn;
        }
        if (!((*names)[*n] = xstrdup(de->d_name))) {
            closedir(d);
            ll_registry_names_free(*names, *n);
            *names = NULL;
            *n = 0;
            return ll_error_set(err, LL_ENOMEM, "out of memory");
        }
        (*n)++;
    }
    closedir(d);
    if (*n > 1) qsort(*names, *n, sizeof **names, cmp_str_ptr);
    return LL_OK;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const ll_kv *)a)->key, ((const ll_kv *)b)->key);
}

static int cmp_version(const void *a, const void *b)
{
    long x = ((const ll_model_version *)a)->version, y = ((const ll_model_version *)b)->version;
    return x < y ? -1 : x > y;
}

static int read_aliases(const char *mdir, ll_registered_model *m)
{
    char adir[PATH_CAP];
    pathf(adir, sizeof adir, "%s/aliases", mdir);
    DIR *d = opendir(adir);
    if (!d) return 0;
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[PATH_CAP];
        if (pathf(path, sizeof path, "%s/%s", adir, de->d_name) >= (int)sizeof path) continue;
        char *text;
        size_t len;
        if (ll_fsutil_read(path, &text, &len, NULL)) continue;
        while (len && isspace((unsigned char)text[len - 1])) text[--len] = '\0';
        ll_kv *na = realloc(m->aliases, (m->naliases + 1) * sizeof *na);
        if (!na) {
            free(text);
            rc = -1;
            break;
        }
        m->aliases = na;
        na[m->naliases].key = xstrdup(de->d_name);
        na[m->naliases].value = text;
        if (!na[m->naliases].key) rc = -1;
        m->naliases++;
    }
    closedir(d);
    if (m->naliases > 1) qsort(m->aliases, m->naliases, sizeof *m->aliases, cmp_kv);
    return rc;
}

static int read_versions(const char *mdir, ll_registered_model *m)
{
    DIR *d = opendir(mdir);
    if (!d) return 0;
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        if (strncmp(de->d_name, "version-", 8)) continue;
        char path[PATH_CAP];
        if (pathf(path, sizeof path, "%s/%s/meta.yaml", mdir, de->d_name) >= (int)sizeof path)
            continue;
        ll_yamlmap y;
        if (ll_yamlmap_load(path, &y, NULL)) continue;
        const char *stage = ll_yamlmap_str(&y, "current_stage");
        long long ver = ll_yamlmap_int(&y, "version", -1);
        if (ver < 0) ver = strtol(de->d_name + 8, NULL, 10);
        /* MLflow marks deleted versions with this internal stage */
        if ((stage && !strcmp(stage, "Deleted_Internal")) || ver <= 0) {
            ll_yamlmap_free(&y);
            continue;
        }
        ll_model_version *nv = realloc(m->versions, (m->nversions + 1) * sizeof *nv);
        if (!nv) {
            ll_yamlmap_free(&y);
            rc = -1;
            break;
        }
        m->versions = nv;
        ll_model_version *v = &nv[m->nversions++];
        memset(v, 0, sizeof *v);
        v->version = (long)ver;
        v->source = xstrdup(ll_yamlmap_str(&y, "source") ? ll_yamlmap_str(&y, "source") : "");
        v->run_id = xstrdup(ll_yamlmap_str(&y, "run_id") ? ll_yamlmap_str(&y, "run_id") : "");
        v->stage = xstrdup(stage ? stage : "None");
        v->status = xstrdup(ll_yamlmap_str(&y, "status") ? ll_yamlmap_str(&y, "status") : "READY");
        v->user_id = xstrdup(ll_yamlmap_str(&y, "user_id") ? ll_yamlmap_str(&y, "user_id") : "");
        v->description =
            xstrdup(ll_yamlmap_str(&y, "description") ? ll_yamlmap_str(&y, "description") : "");
        v->creation_timestamp = ll_yamlmap_int(&y, "creation_timestamp", -1);
        v->last_updated_timestamp = ll_yamlmap_int(&y, "last_updated_timestamp", -1);
        ll_yamlmap_free(&y);
        if (!v->source || !v->run_id || !v->stage || !v->status || !v->user_id || !v->description)
            rc = -1;
    }
    closedir(d);
    if (m->nversions > 1) qsort(m->versions, m->nversions, sizeof *m->versions, cmp_version);
    return rc;
}

ll_status ll_registry_get(ll_store *st, const char *name, ll_registered_model **out, ll_error *err)
{
    *out = NULL;
    char mdir[PATH_CAP], path[PATH_CAP];
    ll_status s = model_dir(st, name, mdir, sizeof mdir, err);
    if (s) return s;
    pathf(path, sizeof path, "%s/meta.yaml", mdir);
    ll_yamlmap y;
    if ((s = ll_yamlmap_load(path, &y, err))) {
        if (s == LL_ENOTFOUND)
            ll_error_set(err, s, "no registered model '%s' in %s", name, ll_store_root(st));
        return s;
    }
    ll_registered_model *m = calloc(1, sizeof *m);
    if (!m) {
        ll_yamlmap_free(&y);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    m->name = xstrdup(ll_yamlmap_str(&y, "name") ? ll_yamlmap_str(&y, "name") : name);
    m->description =
        xstrdup(ll_yamlmap_str(&y, "description") ? ll_yamlmap_str(&y, "description") : "");
    m->creation_timestamp = ll_yamlmap_int(&y, "creation_timestamp", -1);
    m->last_updated_timestamp = ll_yamlmap_int(&y, "last_updated_timestamp", -1);
    ll_yamlmap_free(&y);
    if (!m->name || !m->description || read_aliases(mdir, m) || read_versions(mdir, m)) {
        ll_registry_model_free(m);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    /* each version lists the aliases pointing at it */
    for (size_t a = 0; a < m->naliases; a++) {
        long v = strtol(m->aliases[a].value, NULL, 10);
        for (size_t i = 0; i < m->nversions; i++) {
            if (m->versions[i].version != v) continue;
            ll_model_version *mv = &m->versions[i];
            char **na = realloc(mv->aliases, (mv->naliases + 1) * sizeof *na);
            if (!na || !(na[mv->naliases] = xstrdup(m->aliases[a].key))) {
                if (na) mv->aliases = na;
                ll_registry_model_free(m);
                return ll_error_set(err, LL_ENOMEM, "out of memory");
            }
            mv->aliases = na;
            mv->naliases++;
        }
    }
    *out = m;
    return LL_OK;
}

const ll_model_version *ll_registry_version(const ll_registered_model *m, long n)
{
    for (size_t i = 0; i < m->nversions; i++)
        if (m->versions[i].version == n) return &m->versions[i];
    return NULL;
}

long ll_registry_alias_version(const ll_registered_model *m, const char *alias)
{
    for (size_t i = 0; i < m->naliases; i++)
        if (!strcmp(m->aliases[i].key, alias)) return strtol(m->aliases[i].value, NULL, 10);
    return 0;
}

static int holds(const ll_model_version *v, const char *alias)
{
    for (size_t i = 0; i < v->naliases; i++)
        if (!strcmp(v->aliases[i], alias)) return 1;
    return 0;
}

ll_status ll_registry_history(ll_store *st, const char *name, char ***lines, size_t *n,
                              ll_error *err)
{
    *lines = NULL;
    *n = 0;
    char mdir[PATH_CAP], path[PATH_CAP];
    ll_status s = model_dir(st, name, mdir, sizeof mdir, err);
    if (s) return s;
    pathf(path, sizeof path, "%s/meta.yaml", mdir);
    if (!ll_fsutil_exists(path))
        return ll_error_set(err, LL_ENOTFOUND, "no registered model '%s' in %s", name,
                            ll_store_root(st));
    pathf(path, sizeof path, "%s/history.jsonl", mdir);
    char *text;
    size_t len;
    s = ll_fsutil_read(path, &text, &len, err);
    if (s == LL_ENOTFOUND) return LL_OK;
    if (s) return s;
    size_t cap = 0;
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        /* a last line without its newline is a record whose writer died mid-write */
        if (!nl) break;
        size_t ln = (size_t)(nl - p);
        if (ln) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                char **nlines = realloc(*lines, cap * sizeof *nlines);
                if (!nlines) goto oom;
                *lines = nlines;
            }
            char *l = malloc(ln + 1);
            if (!l) goto oom;
            memcpy(l, p, ln);
            l[ln] = '\0';
            (*lines)[(*n)++] = l;
        }
        p += ln + 1;
    }
    free(text);
    return LL_OK;
oom:
    free(text);
    ll_registry_names_free(*lines, *n);
    *lines = NULL;
    *n = 0;
    return ll_error_set(err, LL_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------ policy */

void ll_registry_policy_free(ll_policy *p)
{
    if (!p) return;
    free(p->path);
    free(p->require);
    free(p);
}

ll_status ll_registry_policy_parse(const char *json, const char *path, ll_policy **out,
                                   ll_error *err)
{
    *out = NULL;
    const char *where = path ? path : "policy";
    cJSON *root = cJSON_Parse(json);
    if (!root) {
        const char *e = cJSON_GetErrorPtr();
        long line = 1, col = 1;
        for (const char *c = json; e && c < e && *c; c++) {
            if (*c == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return ll_error_set_at(err, LL_EPARSE, where, line, col, "invalid JSON");
    }
    ll_policy *p = calloc(1, sizeof *p);
    ll_status s = LL_OK;
    if (!p || (path && !(p->path = xstrdup(path)))) {
        s = ll_error_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        s = ll_error_set(err, LL_EPARSE, "%s: a policy is a JSON object", where);
        goto done;
    }
    for (cJSON *k = root->child; k; k = k->next) {
        if (!strcmp(k->string, "require")) {
            if (!cJSON_IsObject(k)) {
                s = ll_error_set(err, LL_EPARSE, "%s: \"require\" must be an object", where);
                goto done;
            }
            for (cJSON *m = k->child; m; m = m->next) {
                if (!cJSON_IsObject(m) || !m->child) {
                    s = ll_error_set(err, LL_EPARSE,
                                     "%s: require.%s must be an object with \"min\" and/or "
                                     "\"max\"",
                                     where, m->string);
                    goto done;
                }
                if (strlen(m->string) >= sizeof p->require[0].metric ||
                    !ll_store_valid_key(m->string)) {
                    s = ll_error_set(err, LL_EPARSE, "%s: invalid metric name '%s'", where,
                                     m->string);
                    goto done;
                }
                ll_policy_require *nr = realloc(p->require, (p->nrequire + 1) * sizeof *nr);
                if (!nr) {
                    s = ll_error_set(err, LL_ENOMEM, "out of memory");
                    goto done;
                }
                p->require = nr;
                ll_policy_require *r = &nr[p->nrequire++];
                memset(r, 0, sizeof *r);
                snprintf(r->metric, sizeof r->metric, "%s", m->string);
                for (cJSON *b = m->child; b; b = b->next) {
                    int is_min = !strcmp(b->string, "min"), is_max = !strcmp(b->string, "max");
                    if (!is_min && !is_max) {
                        s = ll_error_set(err, LL_EPARSE,
                                         "%s: unknown key require.%s.%s (expected min or max)",
                                         where, m->string, b->string);
                        goto done;
                    }
                    if (!cJSON_IsNumber(b)) {
                        s = ll_error_set(err, LL_EPARSE, "%s: require.%s.%s must be a number",
                                         where, m->string, b->string);
                        goto done;
                    }
                    if (is_min) {
                        r->has_min = 1;
                        r->min = b->valuedouble;
                    } else {
                        r->has_max = 1;
                        r->max = b->valuedouble;
                    }
                }
            }
        } else if (!strcmp(k->string, "challenger")) {
            if (!cJSON_IsObject(k)) {
                s = ll_error_set(err, LL_EPARSE, "%s: \"challenger\" must be an object", where);
                goto done;
            }
            p->has_challenger = 1;
            int has_dir = 0;
            for (cJSON *b = k->child; b; b = b->next) {
                if (!strcmp(b->string, "metric")) {
                    if (!cJSON_IsString(b) || !ll_store_valid_key(b->valuestring) ||
                        strlen(b->valuestring) >= sizeof p->challenger_metric) {
                        s = ll_error_set(err, LL_EPARSE,
                                         "%s: challenger.metric must be a metric name", where);
                        goto done;
                    }
                    snprintf(p->challenger_metric, sizeof p->challenger_metric, "%s",
                             b->valuestring);
                } else if (!strcmp(b->string, "min_gain")) {
                    if (!cJSON_IsNumber(b)) {
                        s = ll_error_set(err, LL_EPARSE, "%s: challenger.min_gain must be a number",
                                         where);
                        goto done;
                    }
                    p->min_gain = b->valuedouble;
                } else if (!strcmp(b->string, "higher_is_better")) {
                    if (!cJSON_IsBool(b)) {
                        s = ll_error_set(err, LL_EPARSE,
                                         "%s: challenger.higher_is_better must be true or false",
                                         where);
                        goto done;
                    }
                    has_dir = 1;
                    p->higher_better = cJSON_IsTrue(b);
                } else {
                    s = ll_error_set(err, LL_EPARSE,
                                     "%s: unknown key challenger.%s (expected metric, min_gain, "
                                     "higher_is_better)",
                                     where, b->string);
                    goto done;
                }
            }
            if (!p->challenger_metric[0]) {
                s = ll_error_set(err, LL_EPARSE, "%s: challenger needs \"metric\"", where);
                goto done;
            }
            if (!has_dir) p->higher_better = ll_store_metric_higher_better(p->challenger_metric);
        } else if (strcmp(k->string, "description") && strcmp(k->string, "comment")) {
            s = ll_error_set(err, LL_EPARSE,
                             "%s: unknown key \"%s\" (expected require, challenger, description)",
                             where, k->string);
            goto done;
        }
    }
done:
    cJSON_Delete(root);
    if (s) {
        ll_registry_policy_free(p);
        return s;
    }
    *out = p;
    return LL_OK;
}

ll_status ll_registry_policy_load(const char *path, ll_policy **out, ll_error *err)
{
    *out = NULL;
    char *text;
    size_t len;
    ll_status s = ll_fsutil_read(path, &text, &len, err);
    if (s) return s;
    s = ll_registry_policy_parse(text, path, out, err);
    free(text);
    return s;
}

/* The test-data fingerprint a run recorded, looked up as params then tags. */
static const char *const hash_keys[] = {"test_sha256", "data_sha256", "lendlab.test_sha256",
                                        "lendlab.data_sha256"};

static const char *run_hash(const ll_run *r, const char *key)
{
    const char *v = ll_run_param(r, key);
    return v ? v : ll_run_tag(r, key);
}

static int push_rule(ll_promote_result *res, const ll_rule_result *rr)
{
    ll_rule_result *nr = realloc(res->rules, (res->nrules + 1) * sizeof *nr);
    if (!nr) return -1;
    res->rules = nr;
    nr[res->nrules++] = *rr;
    return 0;
}

static const char *fmtnum(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "n/a");
    else
        ll_numfmt_double(v, buf, len);
    return buf;
}

ll_status ll_registry_policy_eval(const ll_policy *p, const ll_run *cand, const ll_run *inc,
                                  long inc_version, ll_promote_result *res, ll_error *err)
{
    res->evaluated = 1;
    res->passed = 1;
    if (!p) return LL_OK;
    for (size_t i = 0; i < p->nrequire; i++) {
        const ll_policy_require *q = &p->require[i];
        ll_rule_result rr;
        memset(&rr, 0, sizeof rr);
        snprintf(rr.metric, sizeof rr.metric, "%s", q->metric);
        char a[64], b[64];
        if (q->has_min && q->has_max) {
            snprintf(rr.rule, sizeof rr.rule, "%s in [%s, %s]", q->metric,
                     ll_numfmt_double(q->min, a, sizeof a), ll_numfmt_double(q->max, b, sizeof b));
        } else {
            snprintf(rr.rule, sizeof rr.rule, "%s %s %s", q->metric, q->has_min ? ">=" : "<=",
                     ll_numfmt_double(q->has_min ? q->min : q->max, a, sizeof a));
        }
        rr.threshold = q->has_min ? q->min : q->max;
        rr.incumbent = NAN;
        const ll_metric *m = cand ? ll_run_metric(cand, q->metric) : NULL;
        rr.value = m ? m->value : NAN;
        if (!cand) {
            snprintf(rr.detail, sizeof rr.detail, "the candidate's run is not in the store");
        } else if (!m || isnan(m->value)) {
            snprintf(rr.detail, sizeof rr.detail, "run %.8s did not log metric '%s'", cand->run_id,
                     q->metric);
        } else {
            int ok = (!q->has_min || m->value >= q->min) && (!q->has_max || m->value <= q->max);
            rr.passed = ok;
            if (!ok)
                snprintf(rr.detail, sizeof rr.detail, "%s = %s is %s", q->metric,
                         fmtnum(m->value, a, sizeof a),
                         q->has_min && m->value < q->min ? "below the minimum"
                                                         : "above the maximum");
        }
        if (push_rule(res, &rr)) return ll_error_set(err, LL_ENOMEM, "out of memory");
        if (!rr.passed) res->passed = 0;
    }
    if (p->has_challenger) {
        ll_rule_result rr;
        memset(&rr, 0, sizeof rr);
        const char *mk = p->challenger_metric;
        char g[64], a[64], b[64];
        snprintf(rr.metric, sizeof rr.metric, "%s", mk);
        ll_numfmt_double(p->min_gain, g, sizeof g);
        rr.incumbent = NAN;
        rr.threshold = NAN;
        const ll_metric *cm = cand ? ll_run_metric(cand, mk) : NULL;
        rr.value = cm ? cm->value : NAN;
        if (!inc_version) {
            snprintf(rr.rule, sizeof rr.rule, "challenger: %.60s %s by >= %.24s", mk,
                     p->higher_better ? "up" : "down", g);
            snprintf(rr.detail, sizeof rr.detail, "no version holds the target alias yet");
            rr.passed = 1;
        } else {
            snprintf(rr.rule, sizeof rr.rule, "challenger: %.60s %s by >= %.24s vs version %ld", mk,
                     p->higher_better ? "up" : "down", g, inc_version);
            const ll_metric *im = inc ? ll_run_metric(inc, mk) : NULL;
            rr.incumbent = im ? im->value : NAN;
            const char *hk = NULL, *hc = NULL, *hi = NULL;
            for (size_t i = 0; cand && i < sizeof hash_keys / sizeof *hash_keys && !hc; i++)
                if ((hc = run_hash(cand, hash_keys[i]))) hk = hash_keys[i];
            if (hk && inc) hi = run_hash(inc, hk);
            if (!cand) {
                snprintf(rr.detail, sizeof rr.detail, "the candidate's run is not in the store");
            } else if (!inc) {
                snprintf(rr.detail, sizeof rr.detail,
                         "the run of version %ld (the incumbent) is not in the store", inc_version);
            } else if (!hc) {
                snprintf(rr.detail, sizeof rr.detail,
                         "cannot tell whether both were evaluated on the same test data: run "
                         "%.8s records no test_sha256 / data_sha256",
                         cand->run_id);
            } else if (!hi) {
                snprintf(rr.detail, sizeof rr.detail,
                         "cannot tell whether both were evaluated on the same test data: run "
                         "%.8s (version %ld) records no %s",
                         inc->run_id, inc_version, hk);
            } else if (strcmp(hc, hi)) {
                snprintf(rr.detail, sizeof rr.detail,
                         "evaluated on different test data (%s %.12s... vs %.12s...): the "
                         "comparison is meaningless",
                         hk, hc, hi);
            } else if (!cm || isnan(cm->value)) {
                snprintf(rr.detail, sizeof rr.detail, "run %.8s did not log metric '%s'",
                         cand->run_id, mk);
            } else if (!im || isnan(im->value)) {
                snprintf(rr.detail, sizeof rr.detail, "version %ld's run did not log metric '%s'",
                         inc_version, mk);
            } else {
                double gain = p->higher_better ? cm->value - im->value : im->value - cm->value;
                rr.threshold = p->higher_better ? im->value + p->min_gain : im->value - p->min_gain;
                /* a relative epsilon keeps 0.755 - 0.75 >= 0.005 true in binary floating point */
                rr.passed = gain >= p->min_gain - 1e-12 * fmax(1.0, fabs(im->value));
                /* the difference of two decimals carries binary noise: show 10 decimals */
                snprintf(rr.detail, sizeof rr.detail,
                         "%.60s %.24s vs %.24s (version %ld): gain %.24s%s", mk,
                         fmtnum(cm->value, a, sizeof a), fmtnum(im->value, b, sizeof b),
                         inc_version, fmtnum(round(gain * 1e10) / 1e10, g, sizeof g),
                         rr.passed ? "" : ", below the required gain");
            }
        }
        if (push_rule(res, &rr)) return ll_error_set(err, LL_ENOMEM, "out of memory");
        if (!rr.passed) res->passed = 0;
    }
    return LL_OK;
}

void ll_promote_result_clear(ll_promote_result *res)
{
    if (!res) return;
    free(res->rules);
    free(res->archived);
    memset(res, 0, sizeof *res);
}

/* ------------------------------------------------------------------ writing */

static void iso_time(long long ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
}

static cJSON *json_num(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[64];
    return cJSON_CreateRaw(ll_numfmt_double(v, buf, sizeof buf));
}

static cJSON *json_int(long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    return cJSON_CreateRaw(buf);
}

static cJSON *json_str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

typedef struct {
    const char *action;
    long version;
    const char *run_id;
    const char *from_alias, *to_alias;
    long previous;
    const char *stage;
    const ll_run *run; /* metrics at the time (may be NULL) */
    const ll_promote_result *res;
    const char *policy_file;
    int forced;
    const char *comment;
} history_entry;

/* The history object of a change (NULL when out of memory). */
static cJSON *history_json(const char *model, const history_entry *h, long long now)
{
    char user[256], t[48];
    ll_store_user(user, sizeof user);
    iso_time(now, t, sizeof t);
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddItemToObject(o, "time", cJSON_CreateString(t));
    cJSON_AddItemToObject(o, "user", cJSON_CreateString(user));
    cJSON_AddItemToObject(o, "action", cJSON_CreateString(h->action));
    cJSON_AddItemToObject(o, "model", cJSON_CreateString(model));
    cJSON_AddItemToObject(o, "version", h->version ? json_int(h->version) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "run_id", json_str_or_null(h->run_id));
    cJSON_AddItemToObject(o, "from_alias", json_str_or_null(h->from_alias));
    cJSON_AddItemToObject(o, "to_alias", json_str_or_null(h->to_alias));
    cJSON_AddItemToObject(o, "previous_version",
                          h->previous ? json_int(h->previous) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "stage", json_str_or_null(h->stage));
    cJSON *arch = cJSON_CreateArray();
    for (size_t i = 0; h->res && i < h->res->narchived; i++)
        cJSON_AddItemToArray(arch, json_int(h->res->archived[i]));
    cJSON_AddItemToObject(o, "archived", arch);
    cJSON *mets = cJSON_CreateObject();
    for (size_t i = 0; h->run && i < h->run->nmetrics; i++)
        cJSON_AddItemToObject(mets, h->run->metrics[i].key, json_num(h->run->metrics[i].value));
    cJSON_AddItemToObject(o, "metrics", mets);
    if (h->res && h->res->evaluated && (h->res->nrules || h->policy_file)) {
        cJSON *pol = cJSON_CreateObject();
        cJSON_AddItemToObject(pol, "file", json_str_or_null(h->policy_file));
        cJSON_AddItemToObject(pol, "passed", cJSON_CreateBool(h->res->passed));
        cJSON *rules = cJSON_CreateArray();
        for (size_t i = 0; i < h->res->nrules; i++) {
            const ll_rule_result *r = &h->res->rules[i];
            cJSON *ro = cJSON_CreateObject();
            cJSON_AddItemToObject(ro, "rule", cJSON_CreateString(r->rule));
            cJSON_AddItemToObject(ro, "metric", cJSON_CreateString(r->metric));
            cJSON_AddItemToObject(ro, "value", json_num(r->value));
            cJSON_AddItemToObject(ro, "threshold", json_num(r->threshold));
            if (!isnan(r->incumbent))
                cJSON_AddItemToObject(ro, "incumbent", json_num(r->incumbent));
            cJSON_AddItemToObject(ro, "passed", cJSON_CreateBool(r->passed));
            cJSON_AddItemToObject(ro, "detail", cJSON_CreateString(r->detail));
            cJSON_AddItemToArray(rules, ro);
        }
        cJSON_AddItemToObject(pol, "rules", rules);
        cJSON_AddItemToObject(o, "policy", pol);
    } else {
        cJSON_AddItemToObject(o, "policy", cJSON_CreateNull());
    }
    cJSON_AddItemToObject(o, "forced", cJSON_CreateBool(h->forced));
    cJSON_AddItemToObject(o, "comment", json_str_or_null(h->comment));
    return o;
}

/* Append object o as one line to history.jsonl (one write, fsynced, under the model lock). */
static ll_status append_history_obj(const char *mdir, const cJSON *o, ll_error *err)
{
    char *line = cJSON_PrintUnformatted(o);
    if (!line) return ll_error_set(err, LL_ENOMEM, "out of memory");
    size_t len = strlen(line);
    char *withnl = realloc(line, len + 2);
    if (!withnl) {
        free(line);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    withnl[len] = '\n';
    withnl[len + 1] = '\0';
    char path[PATH_CAP];
    pathf(path, sizeof path, "%s/history.jsonl", mdir);
    ll_status s = ll_fsutil_append_record(path, withnl, len + 1, err);
    free(withnl);
    return s;
}

/* Append the history line of a change. */
static ll_status append_history(const char *mdir, const char *model, const history_entry *h,
                                long long now, ll_error *err)
{
    cJSON *o = history_json(model, h, now);
    if (!o) return ll_error_set(err, LL_ENOMEM, "out of memory");
    ll_status s = append_history_obj(mdir, o, err);
    cJSON_Delete(o);
    return s;
}

static ll_status write_yaml_file(ll_store *st, const char *path, const ll_yamlmap *m, ll_error *err)
{
    char *text;
    size_t len;
    ll_status s = ll_yamlmap_dump(m, &text, &len, err);
    if (s) return s;
    s = ll_store_write_file(st, path, text, len, err);
    free(text);
    return s;
}

/* Rewrite the model's meta.yaml: aliases as MLflow stores them ({alias: 'N'}) and the update
 * time; other keys are kept as they are. */
static ll_status touch_model_meta(ll_store *st, const char *mdir, const ll_registered_model *m,
                                  long long now, ll_error *err)
{
    char path[PATH_CAP];
    pathf(path, sizeof path, "%s/meta.yaml", mdir);
    ll_yamlmap y;
    ll_status s = ll_yamlmap_load(path, &y, err);
    if (s) return s;
    const char **kv = malloc((2 * m->naliases + 1) * sizeof *kv);
    if (!kv) {
        ll_yamlmap_free(&y);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m->naliases; i++) {
        kv[2 * i] = m->aliases[i].key;
        kv[2 * i + 1] = m->aliases[i].value;
    }
    if (ll_yamlmap_set_pairs(&y, "aliases", kv, m->naliases) ||
        ll_yamlmap_set_int(&y, "last_updated_timestamp", now))
        s = ll_error_set(err, LL_ENOMEM, "out of memory");
    free(kv);
    if (!s) s = write_yaml_file(st, path, &y, err);
    ll_yamlmap_free(&y);
    return s;
}

/* Rewrite version v's meta.yaml with a new stage (NULL = keep) and its alias list. */
static ll_status touch_version_meta(ll_store *st, const char *mdir, const ll_model_version *v,
                                    const char *stage, long long now, ll_error *err)
{
    char path[PATH_CAP];
    pathf(path, sizeof path, "%s/version-%ld/meta.yaml", mdir, v->version);
    ll_yamlmap y;
    ll_status s = ll_yamlmap_load(path, &y, err);
    if (s) return s;
    ll_yamlmap_entry *e = NULL;
    int rc = 0;
    if (stage) rc |= ll_yamlmap_set_str(&y, "current_stage", stage) != LL_OK;
    rc |= ll_yamlmap_set_int(&y, "last_updated_timestamp", now) != LL_OK;
    rc |= ll_yamlmap_set_empty(&y, "aliases", LL_YAML_SEQ) != LL_OK;
    for (size_t i = 0; i < y.n && !e; i++)
        if (!strcmp(y.e[i].key, "aliases")) e = &y.e[i];
    for (size_t i = 0; e && i < v->naliases && !rc; i++) {
        char **ni = realloc(e->items, (e->nitems + 1) * sizeof *ni);
        if (!ni || !(ni[e->nitems] = xstrdup(v->aliases[i]))) {
            if (ni) e->items = ni;
            rc = 1;
            break;
        }
        e->items = ni;
        e->nitems++;
    }
    if (rc) s = ll_error_set(err, LL_ENOMEM, "out of memory");
    if (!s) s = write_yaml_file(st, path, &y, err);
    ll_yamlmap_free(&y);
    return s;
}

static const char *stage_of_alias(const char *alias)
{
    if (!alias) return NULL;
    if (!strcmp(alias, "production")) return "Production";
    if (!strcmp(alias, "staging")) return "Staging";
    return NULL;
}

/* After alias moved from version oldv to newv (either may be 0), bring every version's
 * current_stage in line with its aliases and record the versions archived. */
static ll_status sync_stages(ll_store *st, const char *mdir, const char *name, const char *alias,
                             long newv, long oldv, long long now, ll_promote_result *res,
                             char *new_stage, size_t nslen, ll_error *err)
{
    ll_registered_model *m;
    ll_status s = ll_registry_get(st, name, &m, err);
    if (s) return s;
    const char *changed_stage = stage_of_alias(alias);
    for (size_t i = 0; i < m->nversions && !s; i++) {
        ll_model_version *v = &m->versions[i];
        const char *want = v->stage;
        int active = !strcmp(v->stage, "Production") || !strcmp(v->stage, "Staging");
        if (holds(v, "production"))
            want = "Production";
        else if (holds(v, "staging"))
            want = "Staging";
        else if (active && v->version == oldv && changed_stage)
            want = "Archived"; /* lost its production/staging alias */
        else if (active && changed_stage && v->version != newv && !strcmp(v->stage, changed_stage))
            want = "Archived"; /* MLflow's archive_existing_versions */
        int stage_changed = strcmp(want, v->stage) != 0;
        if (stage_changed || v->version == newv || v->version == oldv)
            s = touch_version_meta(st, mdir, v, stage_changed ? want : NULL, now, err);
        if (!s && stage_changed && !strcmp(want, "Archived") && res) {
            long *na = realloc(res->archived, (res->narchived + 1) * sizeof *na);
            if (!na) {
                s = ll_error_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            res->archived = na;
            na[res->narchived++] = v->version;
        }
        if (v->version == newv && new_stage) snprintf(new_stage, nslen, "%s", want);
    }
    if (!s) s = touch_model_meta(st, mdir, m, now, err);
    ll_registry_model_free(m);
    return s;
}

static ll_status lock_model(ll_store *st, const char *mdir, ll_fsutil_lock *lk, ll_error *err)
{
    ll_status s = ll_fsutil_mkdir_p(mdir, err);
    if (s) return s;
    char path[PATH_CAP];
    pathf(path, sizeof path, "%s/.lock", mdir);
    s = ll_fsutil_lock_acquire(path, lk, err);
    /* every change under the lock clears what killed writers left (a version directory being
     * built), not only the next registration */
    if (!s) ll_fsutil_sweep_tmp(mdir);
    return s;
}

static ll_status write_alias(ll_store *st, const char *mdir, const char *alias, long version,
                             ll_error *err)
{
    char dir[PATH_CAP], path[PATH_CAP], num[32];
    pathf(dir, sizeof dir, "%s/aliases", mdir);
    ll_status s = ll_fsutil_mkdir_p(dir, err);
    if (s) return s;
    pathf(path, sizeof path, "%s/%s", dir, alias);
    pathf(num, sizeof num, "%ld", version);
    return ll_store_write_file(st, path, num, strlen(num), err);
}

/* ------------------------------------------------------------------ crash recovery
 * A change touches several files (version directory, alias, stages, model meta.yaml, history).
 * Before its first visible write it records its history entry in models/<name>/.pending (a
 * dot file MLflow never reads); the entry goes when the history line is appended. A process
 * that dies in between leaves the record, and the next change of the model (under the same
 * lock) finishes it: when the change's commit point was reached (version directory renamed
 * into place, alias file written or removed) its stages are brought in line and its history
 * line is appended, marked "recovered"; otherwise what it did before the commit point (a
 * candidate's stage set ahead of its alias) is undone. Either way no change goes unrecorded. */

#define PENDING ".pending"

/* Record the change h is about to make. cand_stage is the candidate version's stage before
 * it, restored when the change never commits. */
static ll_status pending_begin(ll_store *st, const char *mdir, const char *model,
                               const history_entry *h, const char *cand_stage, long long now,
                               ll_error *err)
{
    cJSON *o = history_json(model, h, now);
    if (!o || !cJSON_AddItemToObject(o, "candidate_stage", json_str_or_null(cand_stage))) {
        cJSON_Delete(o);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text) return ll_error_set(err, LL_ENOMEM, "out of memory");
    char path[PATH_CAP];
    pathf(path, sizeof path, "%s/" PENDING, mdir);
    ll_status s = ll_store_write_file(st, path, text, strlen(text), err);
    free(text);
    return s;
}

/* The change is in the history: forget its record. */
static ll_status pending_end(const char *mdir, ll_error *err)
{
    char path[PATH_CAP];
    pathf(path, sizeof path, "%s/" PENDING, mdir);
    if (unlink(path) && errno != ENOENT)
        return ll_error_set(err, LL_EIO, "cannot remove %s: %s", path, strerror(errno));
    return ll_fsutil_fsync_dir(mdir, err);
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long jlong(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

/* Non-zero when the last line of history.jsonl records the change o (same time, action and
 * version): the process died after appending it but before forgetting the record. */
static int history_has(const char *mdir, const cJSON *o)
{
    char path[PATH_CAP], *text;
    size_t len;
    pathf(path, sizeof path, "%s/history.jsonl", mdir);
    if (ll_fsutil_read(path, &text, &len, NULL)) return 0;
    while (len && text[len - 1] == '\n') text[--len] = '\0';
    char *last = strrchr(text, '\n');
    cJSON *l = cJSON_Parse(last ? last + 1 : text);
    free(text);
    const char *t1 = jstr(o, "time"), *t2 = jstr(l, "time"), *a1 = jstr(o, "action"),
               *a2 = jstr(l, "action");
    int same = l && t1 && t2 && a1 && a2 && !strcmp(t1, t2) && !strcmp(a1, a2) &&
               jlong(o, "version") == jlong(l, "version");
    cJSON_Delete(l);
    return same;
}

static ll_status sync_stages(ll_store *st, const char *mdir, const char *name, const char *alias,
                             long newv, long oldv, long long now, ll_promote_result *res,
                             char *new_stage, size_t nslen, ll_error *err);

/* Finish or undo the change recorded in .pending by a process that died (or failed) midway. */
static ll_status recover_pending(ll_store *st, const char *mdir, const char *name, ll_error *err)
{
    char path[PATH_CAP], *text;
    size_t len;
    pathf(path, sizeof path, "%s/" PENDING, mdir);
    ll_status s = ll_fsutil_read(path, &text, &len, err);
    if (s == LL_ENOTFOUND) return LL_OK;
    if (s) return s;
    cJSON *o = cJSON_Parse(text);
    free(text);
    const char *action = jstr(o, "action");
    if (!o || !action) {
        /* written atomically, so never torn; anything else is not ours to finish */
        cJSON_Delete(o);
        return pending_end(mdir, err);
    }
    long v = jlong(o, "version"), previous = jlong(o, "previous_version");
    const char *to = jstr(o, "to_alias"), *from = jstr(o, "from_alias");
    int demote = !strcmp(action, "demote"), reg = !strcmp(action, "register");
    ll_registered_model *m = NULL;
    if ((s = ll_registry_get(st, name, &m, err))) {
        cJSON_Delete(o);
        return s;
    }
    const ll_model_version *mv = ll_registry_version(m, v);
    long holder = ll_registry_alias_version(m, demote ? (from ? from : "") : (to ? to : ""));
    int committed = reg ? mv != NULL : demote ? holder == 0 : holder == v && v > 0;
    long long now = ll_store_now_ms();
    if (!committed) {
        /* undo the candidate's stage set ahead of the alias that never moved */
        const char *was = jstr(o, "candidate_stage");
        if (mv && was && strcmp(mv->stage, was))
            s = touch_version_meta(st, mdir, mv, was, now, err);
        ll_registry_model_free(m);
        cJSON_Delete(o);
        return s ? s : pending_end(mdir, err);
    }
    ll_registry_model_free(m);
    const char *alias = demote ? from : to;
    if (reg && to && holder != v) s = write_alias(st, mdir, to, v, err);
    ll_promote_result res;
    memset(&res, 0, sizeof res);
    char stage[32] = "";
    if (!s)
        s = sync_stages(st, mdir, name, alias, demote ? 0 : v, demote ? v : previous, now, &res,
                        stage, sizeof stage, err);
    if (!s && !history_has(mdir, o)) {
        if (demote) {
            ll_registered_model *m2 = NULL;
            const ll_model_version *v2;
            if (!ll_registry_get(st, name, &m2, NULL) && (v2 = ll_registry_version(m2, v)))
                snprintf(stage, sizeof stage, "%s", v2->stage);
            ll_registry_model_free(m2);
        }
        cJSON *arch = cJSON_CreateArray();
        for (size_t i = 0; arch && i < res.narchived; i++)
            cJSON_AddItemToArray(arch, json_int(res.archived[i]));
        cJSON_DeleteItemFromObjectCaseSensitive(o, "candidate_stage");
        if (!arch || !cJSON_ReplaceItemInObjectCaseSensitive(o, "archived", arch) ||
            !cJSON_ReplaceItemInObjectCaseSensitive(o, "stage",
                                                    json_str_or_null(*stage ? stage : NULL)) ||
            !cJSON_AddItemToObject(o, "recovered", cJSON_CreateTrue()))
            s = ll_error_set(err, LL_ENOMEM, "out of memory");
        if (!s) s = append_history_obj(mdir, o, err);
    }
    ll_promote_result_clear(&res);
    cJSON_Delete(o);
    return s ? s : pending_end(mdir, err);
}

/* A change failed after pending_begin: settle it now if possible (else the next change will);
 * the change's own error is what the caller reports. */
static void settle_failed_change(ll_store *st, const char *mdir, const char *name)
{
    ll_error ignored;
    recover_pending(st, mdir, name, &ignored);
}

static ll_status create_model_meta(ll_store *st, const char *mdir, const char *name, long long now,
                                   ll_error *err)
{
    char path[PATH_CAP];
    pathf(path, sizeof path, "%s/meta.yaml", mdir);
    if (ll_fsutil_exists(path)) return LL_OK;
    ll_yamlmap y = {0};
    int rc = 0;
    rc |= ll_yamlmap_set_empty(&y, "aliases", LL_YAML_MAP);
    rc |= ll_yamlmap_set_int(&y, "creation_timestamp", now);
    rc |= ll_yamlmap_set_str(&y, "description", NULL);
    rc |= ll_yamlmap_set_int(&y, "last_updated_timestamp", now);
    rc |= ll_yamlmap_set_str(&y, "name", name);
    ll_status s =
        rc ? ll_error_set(err, LL_ENOMEM, "out of memory") : write_yaml_file(st, path, &y, err);
    ll_yamlmap_free(&y);
    return s;
}

static long next_version(const char *mdir)
{
    long max = 0;
    DIR *d = opendir(mdir);
    if (!d) return 1;
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "version-", 8)) {
            long v = strtol(de->d_name + 8, NULL, 10);
            if (v > max) max = v;
        }
    closedir(d);
    return max + 1;
}

/* Build version-<N>/ (meta.yaml in stage, the test-data fingerprint tag) under a temporary
 * name, record the registration h as pending and rename the directory into place, so that a
 * version exists whole or not at all; N (also set in h) is the next free number. Runs under
 * the model lock. */
static ll_status create_version(ll_store *st, const char *mdir, const char *name, const ll_run *r,
                                const char *source, const char *stage, history_entry *h,
                                long long now, long *version, char *vdir, size_t vlen,
                                ll_error *err)
{
    char tmp[PATH_CAP], path[PATH_CAP], user[256];
    ll_store_user(user, sizeof user);
    ll_status s = ll_fsutil_mkdtemp(mdir, "version", tmp, sizeof tmp, err);
    if (s) return s;
    /* the test-data fingerprint travels with the version, for audits */
    for (size_t i = 0; !s && i < sizeof hash_keys / sizeof *hash_keys; i++) {
        const char *h = run_hash(r, hash_keys[i]);
        if (!h) continue;
        char tdir[PATH_CAP];
        pathf(tdir, sizeof tdir, "%s/tags", tmp);
        pathf(path, sizeof path, "%s/lendlab.%s", tdir,
              strncmp(hash_keys[i], "lendlab.", 8) ? hash_keys[i] : hash_keys[i] + 8);
        if (!(s = ll_fsutil_mkdir_p(tdir, err)))
            s = ll_store_write_file(st, path, h, strlen(h), err);
        break;
    }
    /* the lock serialises lendlab; the no-replace rename also guards against another writer */
    long cand = next_version(mdir);
    for (int attempt = 0; !s; attempt++, cand++) {
        ll_yamlmap y = {0};
        int rc = 0;
        rc |= ll_yamlmap_set_empty(&y, "aliases", LL_YAML_SEQ);
        rc |= ll_yamlmap_set_int(&y, "creation_timestamp", now);
        rc |= ll_yamlmap_set_str(&y, "current_stage", stage);
        rc |= ll_yamlmap_set_str(&y, "description", NULL);
        rc |= ll_yamlmap_set_int(&y, "last_updated_timestamp", now);
        rc |= ll_yamlmap_set_str(&y, "name", name);
        rc |= ll_yamlmap_set_str(&y, "run_id", r->run_id);
        rc |= ll_yamlmap_set_str(&y, "run_link", NULL);
        rc |= ll_yamlmap_set_str(&y, "source", source);
        rc |= ll_yamlmap_set_str(&y, "status", "READY");
        rc |= ll_yamlmap_set_str(&y, "status_message", NULL);
        rc |= ll_yamlmap_set_str(&y, "storage_location", source);
        rc |= ll_yamlmap_set_str(&y, "user_id", user);
        rc |= ll_yamlmap_set_int(&y, "version", cand);
        pathf(path, sizeof path, "%s/meta.yaml", tmp);
        s = rc ? ll_error_set(err, LL_ENOMEM, "out of memory") : write_yaml_file(st, path, &y, err);
        ll_yamlmap_free(&y);
        if (s) break;
        if (pathf(vdir, vlen, "%s/version-%ld", mdir, cand)) {
            s = ll_error_set(err, LL_EINVAL, "path too long: %s", mdir);
            break;
        }
        h->version = cand;
        if ((s = pending_begin(st, mdir, name, h, NULL, now, err))) break;
        s = ll_fsutil_rename_noreplace(tmp, vdir, err);
        if (s == LL_EEXIST && attempt < 64) {
            s = LL_OK;
            continue;
        }
        if (!s) *version = cand;
        break;
    }
    if (s) ll_fsutil_remove_tree(tmp, NULL);
    return s;
}

ll_status ll_registry_register(ll_store *st, const char *run_id, const char *name,
                               const char *alias, const char *comment, long *version, ll_error *err)
{
    if (version) *version = 0;
    char mdir[PATH_CAP], art[PATH_CAP], source[PATH_CAP];
    ll_status s = model_dir(st, name, mdir, sizeof mdir, err);
    if (s) return s;
    if (alias && !ll_registry_valid_alias(alias))
        return ll_error_set(err, LL_EINVAL,
                            "invalid alias '%s' (letters, digits, '_' and '-'; not 'latest' nor "
                            "v<number>)",
                            alias);
    ll_run *r;
    if ((s = ll_store_get_run(st, run_id, &r, err))) return s;
    if ((s = ll_store_run_artifact_path(st, r, "model", art, sizeof art, err))) {
        ll_run_free(r);
        return s;
    }
    if (!ll_fsutil_is_dir(art)) {
        ll_error_set(err, LL_ENOTFOUND, "run %s has no model artifact (%s is missing)", r->run_id,
                     art);
        ll_run_free(r);
        return LL_ENOTFOUND;
    }
    /* MLmodel is written last: without it the model is half-saved (its run died saving it) */
    char mlmodel[PATH_CAP];
    if (pathf(mlmodel, sizeof mlmodel, "%s/MLmodel", art) || !ll_fsutil_exists(mlmodel)) {
        ll_error_set(err, LL_ENOTFOUND, "run %s has an incomplete model artifact (%s is missing)",
                     r->run_id, mlmodel);
        ll_run_free(r);
        return LL_ENOTFOUND;
    }
    if (snprintf(source, sizeof source, "%s/model", r->artifact_uri) >= (int)sizeof source) {
        ll_run_free(r);
        return ll_error_set(err, LL_EINVAL, "artifact URI too long");
    }
    ll_fsutil_lock lk;
    if ((s = lock_model(st, mdir, &lk, err))) {
        ll_run_free(r);
        return s;
    }
    long long now = ll_store_now_ms();
    long v = 0;
    char vdir[PATH_CAP];
    ll_promote_result res;
    memset(&res, 0, sizeof res);
    long previous = 0;
    char stage[32] = "None";
    s = recover_pending(st, mdir, name, err);
    if (!s) s = create_model_meta(st, mdir, name, now, err);
    if (!s && alias) {
        ll_registered_model *m;
        if (!(s = ll_registry_get(st, name, &m, err))) {
            previous = ll_registry_alias_version(m, alias);
            ll_registry_model_free(m);
        }
    }
    history_entry h = {.action = "register",
                       .run_id = r->run_id,
                       .to_alias = alias,
                       .previous = previous,
                       .run = r,
                       .comment = comment};
    /* a version that gets production or staging is created in that stage, so it never holds
     * the alias in another stage */
    if (!s)
        s = create_version(st, mdir, name, r, source,
                           stage_of_alias(alias) ? stage_of_alias(alias) : "None", &h, now, &v,
                           vdir, sizeof vdir, err);
    if (!s && alias) {
        s = write_alias(st, mdir, alias, v, err);
        if (!s)
            s = sync_stages(st, mdir, name, alias, v, previous, now, &res, stage, sizeof stage,
                            err);
    } else if (!s) {
        ll_registered_model *m;
        if (!(s = ll_registry_get(st, name, &m, err))) {
            s = touch_model_meta(st, mdir, m, now, err);
            ll_registry_model_free(m);
        }
    }
    if (!s) {
        h.stage = stage;
        h.res = &res;
        s = append_history(mdir, name, &h, now, err);
    }
    if (!s) s = pending_end(mdir, err);
    if (s) settle_failed_change(st, mdir, name);
    ll_promote_result_clear(&res);
    ll_fsutil_lock_release(&lk);
    ll_run_free(r);
    if (!s && version) *version = v;
    return s;
}

/* The checks every promotion request passes before the model is read: valid names, an
 * existing model. Fills mdir with the model's directory. */
static ll_status check_request(ll_store *st, const ll_promote_request *req, char *mdir, size_t len,
                               ll_error *err)
{
    char mpath[PATH_CAP];
    ll_status s = model_dir(st, req->model, mdir, len, err);
    if (s) return s;
    if (!req->to_alias || !ll_registry_valid_alias(req->to_alias))
        return ll_error_set(err, LL_EINVAL, "invalid target alias '%s'",
                            req->to_alias ? req->to_alias : "");
    pathf(mpath, sizeof mpath, "%s/meta.yaml", mdir);
    if (!ll_fsutil_exists(mpath))
        return ll_error_set(err, LL_ENOTFOUND, "no registered model '%s' in %s", req->model,
                            ll_store_root(st));
    return LL_OK;
}

/* The part of a promotion that changes nothing, so a preview and the promotion itself agree:
 * resolve the candidate and the version holding the target alias, find the incumbent and
 * evaluate the policy into res. *cvp gets the candidate version, *candp its run (NULL when
 * the run is not in the store; the caller frees it). */
static ll_status plan_promotion(ll_store *st, const ll_registered_model *m,
                                const ll_promote_request *req, ll_promote_result *res,
                                const ll_model_version **cvp, ll_run **candp, ll_error *err)
{
    *cvp = NULL;
    *candp = NULL;
    long v = req->version;
    if (req->from_alias) {
        v = ll_registry_alias_version(m, req->from_alias);
        if (!v)
            return ll_error_set(err, LL_ENOTFOUND, "model '%s' has no alias '%s'", req->model,
                                req->from_alias);
    }
    const ll_model_version *cv = ll_registry_version(m, v);
    if (!cv) return ll_error_set(err, LL_ENOTFOUND, "model '%s' has no version %ld", req->model, v);
    long previous = ll_registry_alias_version(m, req->to_alias);
    res->version = v;
    res->previous = previous;
    snprintf(res->action, sizeof res->action, "%s",
             previous && v < previous ? "rollback" : "promote");
    if (previous == v)
        return ll_error_set(err, LL_ESTATE, "version %ld of '%s' already holds alias '%s'", v,
                            req->model, req->to_alias);
    /* the runs' final metrics; a missing run only matters to the rules that need it */
    ll_error ignored;
    ll_run *cand = NULL, *inc = NULL;
    if (ll_store_get_run(st, cv->run_id, &cand, &ignored)) cand = NULL;
    const ll_model_version *pv = previous ? ll_registry_version(m, previous) : NULL;
    /* no version holds the alias yet: the incumbent is the latest version already in the
     * alias's legacy stage (a registry MLflow managed with stages only) */
    const char *tstage = stage_of_alias(req->to_alias);
    for (size_t i = m->nversions; !pv && tstage && i-- > 0;)
        if (m->versions[i].version != v && !strcmp(m->versions[i].stage, tstage))
            pv = &m->versions[i];
    if (pv && req->policy && req->policy->has_challenger &&
        ll_store_get_run(st, pv->run_id, &inc, &ignored))
        inc = NULL;
    ll_status s = ll_registry_policy_eval(req->policy, cand, inc, pv ? pv->version : 0, res, err);
    ll_run_free(inc);
    if (!req->policy) res->evaluated = 0;
    if (s) {
        ll_run_free(cand);
        return s;
    }
    *cvp = cv;
    *candp = cand;
    return LL_OK;
}

ll_status ll_registry_promote_check(ll_store *st, const ll_promote_request *req,
                                    ll_promote_result *res, ll_error *err)
{
    memset(res, 0, sizeof *res);
    char mdir[PATH_CAP];
    ll_status s = check_request(st, req, mdir, sizeof mdir, err);
    if (s) return s;
    ll_registered_model *m = NULL;
    if ((s = ll_registry_get(st, req->model, &m, err))) return s;
    const ll_model_version *cv;
    ll_run *cand = NULL;
    s = plan_promotion(st, m, req, res, &cv, &cand, err);
    ll_run_free(cand);
    ll_registry_model_free(m);
    return s;
}

ll_status ll_registry_promote(ll_store *st, const ll_promote_request *req, ll_promote_result *res,
                              ll_error *err)
{
    memset(res, 0, sizeof *res);
    char mdir[PATH_CAP];
    ll_status s = check_request(st, req, mdir, sizeof mdir, err);
    if (s) return s;
    if (req->force && (!req->comment || !*req->comment))
        return ll_error_set(err, LL_EINVAL, "a forced promotion needs a comment (--comment TEXT)");
    ll_fsutil_lock lk;
    if ((s = lock_model(st, mdir, &lk, err))) return s;
    ll_registered_model *m = NULL;
    ll_run *cand = NULL;
    const ll_model_version *cv = NULL;
    int pending = 0;
    if ((s = recover_pending(st, mdir, req->model, err))) goto out;
    if ((s = ll_registry_get(st, req->model, &m, err))) goto out;
    if ((s = plan_promotion(st, m, req, res, &cv, &cand, err))) goto out;
    long v = res->version, previous = res->previous;
    if (!res->passed) {
        if (!req->force) {
            size_t failed = 0;
            for (size_t i = 0; i < res->nrules; i++) failed += !res->rules[i].passed;
            s = ll_error_set(err, LL_EPOLICY,
                             "promotion of '%s' version %ld to '%s' refused: %zu of %zu policy "
                             "rules failed",
                             req->model, v, req->to_alias, failed, res->nrules);
            goto out;
        }
        res->forced = 1;
    }
    long long now = ll_store_now_ms();
    history_entry h = {.action = res->action,
                       .version = v,
                       .run_id = cv->run_id,
                       .from_alias = req->from_alias,
                       .to_alias = req->to_alias,
                       .previous = previous,
                       .run = cand,
                       .res = res,
                       .policy_file = req->policy ? req->policy->path : NULL,
                       .forced = res->forced,
                       .comment = req->comment};
    if ((s = pending_begin(st, mdir, req->model, &h, cv->stage, now, err))) goto out;
    pending = 1;
    /* the candidate enters the alias's stage before it gets the alias: wherever a crash stops
     * the change, the version holding production is in stage Production */
    const char *tstage = stage_of_alias(req->to_alias);
    if (tstage && strcmp(cv->stage, tstage) &&
        !(!strcmp(tstage, "Staging") && holds(cv, "production")) &&
        (s = touch_version_meta(st, mdir, cv, tstage, now, err)))
        goto out;
    if ((s = write_alias(st, mdir, req->to_alias, v, err))) goto out;
    if ((s = sync_stages(st, mdir, req->model, req->to_alias, v, previous, now, res, res->stage,
                         sizeof res->stage, err)))
        goto out;
    h.stage = res->stage;
    if (!(s = append_history(mdir, req->model, &h, now, err))) s = pending_end(mdir, err);
out:
    if (s && pending) settle_failed_change(st, mdir, req->model);
    ll_run_free(cand);
    ll_registry_model_free(m);
    ll_fsutil_lock_release(&lk);
    return s;
}

ll_status ll_registry_set_alias(ll_store *st, const char *name, const char *alias, long version,
                                const char *comment, ll_promote_result *res, ll_error *err)
{
    ll_promote_request req = {
        .model = name, .version = version, .to_alias = alias, .comment = comment};
    return ll_registry_promote(st, &req, res, err);
}

ll_status ll_registry_demote(ll_store *st, const char *name, const char *alias, const char *comment,
                             long *version, ll_error *err)
{
    if (version) *version = 0;
    char mdir[PATH_CAP], path[PATH_CAP];
    ll_status s = model_dir(st, name, mdir, sizeof mdir, err);
    if (s) return s;
    pathf(path, sizeof path, "%s/meta.yaml", mdir);
    if (!ll_fsutil_exists(path))
        return ll_error_set(err, LL_ENOTFOUND, "no registered model '%s' in %s", name,
                            ll_store_root(st));
    ll_fsutil_lock lk;
    if ((s = lock_model(st, mdir, &lk, err))) return s;
    ll_registered_model *m = NULL;
    ll_run *r = NULL;
    ll_promote_result res;
    memset(&res, 0, sizeof res);
    int pending = 0;
    if ((s = recover_pending(st, mdir, name, err))) goto out;
    if ((s = ll_registry_get(st, name, &m, err))) goto out;
    long v = ll_registry_alias_version(m, alias);
    if (!v) {
        s = ll_error_set(err, LL_ENOTFOUND, "model '%s' has no alias '%s'", name, alias);
        goto out;
    }
    const ll_model_version *mv = ll_registry_version(m, v);
    ll_error ignored;
    if (mv && ll_store_get_run(st, mv->run_id, &r, &ignored)) r = NULL;
    long long now = ll_store_now_ms();
    history_entry h = {.action = "demote",
                       .version = v,
                       .run_id = mv ? mv->run_id : NULL,
                       .from_alias = alias,
                       .run = r,
                       .res = &res,
                       .comment = comment};
    if ((s = pending_begin(st, mdir, name, &h, mv ? mv->stage : NULL, now, err))) goto out;
    pending = 1;
    pathf(path, sizeof path, "%s/aliases/%s", mdir, alias);
    if (unlink(path)) {
        s = ll_error_set(err, LL_EIO, "cannot remove %s: %s", path, strerror(errno));
        goto out;
    }
    pathf(path, sizeof path, "%s/aliases", mdir);
    if ((s = ll_fsutil_fsync_dir(path, err))) goto out;
    char stage[32] = "";
    /* the demoted version is "newv" 0: sync reports its stage through the archived list */
    if ((s = sync_stages(st, mdir, name, alias, 0, v, now, &res, stage, sizeof stage, err)))
        goto out;
    const char *vstage = NULL;
    for (size_t i = 0; i < res.narchived; i++)
        if (res.archived[i] == v) vstage = "Archived";
    h.stage = vstage ? vstage : (mv ? mv->stage : NULL);
    if (!(s = append_history(mdir, name, &h, now, err))) s = pending_end(mdir, err);
    if (!s && version) *version = v;
out:
    if (s && pending) settle_failed_change(st, mdir, name);
    ll_promote_result_clear(&res);
    ll_run_free(r);
    ll_registry_model_free(m);
    ll_fsutil_lock_release(&lk);
    return s;
}
