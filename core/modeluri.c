/* modeluri: model URIs (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/PATH, paths). */
#include "modeluri.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsutil.h"
#include "registry.h"
#include "store.h"

static int copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

ll_status ll_modeluri_parse(const char *uri, ll_model_uri *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    if (!uri || !*uri) return ll_error_set(err, LL_EINVAL, "empty model URI");
    if (!strncmp(uri, "models:/", 8)) {
        const char *s = uri + 8;
        while (*s == '/') s++;
        const char *slash = strchr(s, '/'), *at = strchr(s, '@');
        if (at && (!slash || at < slash)) {
            out->kind = LL_URI_MODEL_ALIAS;
            if (at == s || copy(out->name, sizeof out->name, s, (size_t)(at - s)) ||
                copy(out->alias, sizeof out->alias, at + 1, strlen(at + 1)) || !out->alias[0] ||
                strchr(out->alias, '/'))
                return ll_error_set(err, LL_EINVAL,
                                    "bad model URI '%s' (expected models:/NAME@ALIAS)", uri);
            return LL_OK;
        }
        out->kind = LL_URI_MODEL_VERSION;
        if (!slash || slash == s || copy(out->name, sizeof out->name, s, (size_t)(slash - s)) ||
            copy(out->selector, sizeof out->selector, slash + 1, strlen(slash + 1)) ||
            !out->selector[0] || strchr(out->selector, '/'))
            return ll_error_set(err, LL_EINVAL,
                                "bad model URI '%s' (expected models:/NAME/VERSION or "
                                "models:/NAME@ALIAS)",
                                uri);
        return LL_OK;
    }
    if (!strncmp(uri, "runs:/", 6)) {
        const char *s = uri + 6;
        while (*s == '/') s++;
        const char *slash = strchr(s, '/');
        out->kind = LL_URI_RUN;
        size_t idlen = slash ? (size_t)(slash - s) : strlen(s);
        if (!idlen || copy(out->run_id, sizeof out->run_id, s, idlen))
            return ll_error_set(err, LL_EINVAL, "bad model URI '%s' (expected runs:/RUN_ID/PATH)",
                                uri);
        const char *path = slash ? slash + 1 : "";
        while (*path == '/') path++;
        if (copy(out->path, sizeof out->path, path, strlen(path)))
            return ll_error_set(err, LL_EINVAL, "model URI too long");
        size_t pl = strlen(out->path);
        while (pl && out->path[pl - 1] == '/') out->path[--pl] = '\0';
        return LL_OK;
    }
    out->kind = LL_URI_PATH;
    if (ll_store_file_uri_path(uri, out->path, sizeof out->path)) return LL_OK;
    if (copy(out->path, sizeof out->path, uri, strlen(uri)))
        return ll_error_set(err, LL_EINVAL, "model path too long");
    return LL_OK;
}

/* Artifacts of run_id under sub (may be ""). */
static ll_status run_artifacts(ll_store *st, const char *run_id, const char *sub, char *dir,
                               size_t len, ll_error *err)
{
    ll_run *r = NULL;
    ll_status s = ll_store_get_run(st, run_id, &r, err);
    if (s) return s;
    s = ll_store_run_artifact_path(st, r, sub, dir, len, err);
    ll_run_free(r);
    return s;
}

/* The part of an artifact URI after ".../artifacts/" ("model" for a lendlab run), so a store
 * copied elsewhere still finds the run's copy. */
static const char *artifact_sub(const char *source)
{
    const char *p = strstr(source, "/artifacts/");
    if (p) return p + 11;
    p = strrchr(source, '/');
    return p ? p + 1 : source;
}

/* Local directory of a registered version's source. */
static ll_status resolve_depth(const char *store, const char *uri, ll_model_ref *out, int depth,
                               ll_error *err);

static ll_status source_dir(ll_store *st, const char *store, const char *source, const char *run_id,
                            ll_model_ref *out, int depth, ll_error *err)
{
    char path[4096];
    if (!strncmp(source, "runs:/", 6)) {
        ll_model_uri u;
        ll_status s = ll_modeluri_parse(source, &u, err);
        if (s) return s;
        if (!out->run_id[0]) snprintf(out->run_id, sizeof out->run_id, "%s", u.run_id);
        return run_artifacts(st, u.run_id, u.path, out->dir, sizeof out->dir, err);
    }
    if (!strncmp(source, "models:/", 8)) {
        /* a version registered from another registered model */
        if (depth >= 4)
            return ll_error_set(err, LL_EINVAL, "model source '%s' refers to itself", source);
        ll_model_ref inner;
        ll_status s = resolve_depth(store, source, &inner, depth + 1, err);
        if (s) return s;
        snprintf(out->dir, sizeof out->dir, "%s", inner.dir);
        if (!out->run_id[0]) snprintf(out->run_id, sizeof out->run_id, "%s", inner.run_id);
        return LL_OK;
    }
    int local = ll_store_file_uri_path(source, path, sizeof path);
    if (!local && !strstr(source, ":/")) {
        if (copy(path, sizeof path, source, strlen(source)))
            return ll_error_set(err, LL_EINVAL, "source path too long");
        local = 1;
    }
    if (local && ll_fsutil_exists(path)) {
        snprintf(out->dir, sizeof out->dir, "%s", path);
        return LL_OK;
    }
    if (run_id && *run_id)
        return run_artifacts(st, run_id, artifact_sub(source), out->dir, sizeof out->dir, err);
    return ll_error_set(err, LL_ENOTFOUND, "model source '%s' is not a local directory", source);
}

static int all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static ll_status resolve_registry(ll_store *st, const char *store, const ll_model_uri *u,
                                  ll_model_ref *out, int depth, ll_error *err)
{
    ll_registered_model *m = NULL;
    ll_status s = ll_registry_get(st, u->name, &m, err);
    if (s) return s;
    long v = 0;
    if (u->kind == LL_URI_MODEL_ALIAS) {
        v = ll_registry_alias_version(m, u->alias);
        if (v <= 0) {
            s = ll_error_set(err, LL_ENOTFOUND, "registered model '%s' has no alias '%s'", u->name,
                             u->alias);
            goto done;
        }
        snprintf(out->alias, sizeof out->alias, "%s", u->alias);
    } else if (all_digits(u->selector)) {
        v = strtol(u->selector, NULL, 10);
    } else if (!strcasecmp(u->selector, "latest")) {
        for (size_t i = 0; i < m->nversions; i++)
            if (m->versions[i].version > v) v = m->versions[i].version;
    } else {
        /* a legacy stage name: the newest version in that stage */
        for (size_t i = 0; i < m->nversions; i++)
            if (m->versions[i].stage && !strcasecmp(m->versions[i].stage, u->selector) &&
                m->versions[i].version > v)
                v = m->versions[i].version;
        if (v <= 0) {
            s = ll_error_set(err, LL_ENOTFOUND,
                             "registered model '%s' has no version in stage '%s'", u->name,
                             u->selector);
            goto done;
        }
    }
    const ll_model_version *mv = ll_registry_version(m, v);
    if (!mv) {
        s = ll_error_set(err, LL_ENOTFOUND, "registered model '%s' has no version %ld", u->name, v);
        goto done;
    }
    snprintf(out->name, sizeof out->name, "%s", m->name ? m->name : u->name);
    out->version = v;
    if (mv->run_id) snprintf(out->run_id, sizeof out->run_id, "%s", mv->run_id);
    if (mv->stage) snprintf(out->stage, sizeof out->stage, "%s", mv->stage);
    if (!mv->source || !*mv->source) {
        if (!mv->run_id || !*mv->run_id) {
            s = ll_error_set(err, LL_ENOTFOUND, "version %ld of '%s' has no source", v, u->name);
            goto done;
        }
        s = run_artifacts(st, mv->run_id, "model", out->dir, sizeof out->dir, err);
        goto done;
    }
    s = source_dir(st, store, mv->source, mv->run_id, out, depth, err);
done:
    ll_registry_model_free(m);
    return s;
}

static ll_status resolve_depth(const char *store, const char *uri, ll_model_ref *out, int depth,
                               ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_model_uri u;
    ll_status s = ll_modeluri_parse(uri, &u, err);
    if (s) return s;
    snprintf(out->uri, sizeof out->uri, "%s", uri);
    out->kind = u.kind;
    if (u.kind == LL_URI_PATH) {
        if (!ll_fsutil_exists(u.path))
            return ll_error_set(err, LL_ENOTFOUND, "no model at %s", u.path);
        snprintf(out->dir, sizeof out->dir, "%s", u.path);
        return LL_OK;
    }
    ll_store *st = NULL;
    if ((s = ll_store_open(store, 0, &st, err))) return s;
    if (u.kind == LL_URI_RUN) {
        snprintf(out->run_id, sizeof out->run_id, "%s", u.run_id);
        s = run_artifacts(st, u.run_id, u.path, out->dir, sizeof out->dir, err);
    } else {
        s = resolve_registry(st, store, &u, out, depth, err);
    }
    ll_store_close(st);
    if (!s && !ll_fsutil_exists(out->dir))
        s = ll_error_set(err, LL_ENOTFOUND, "%s resolves to %s, which does not exist", uri,
                         out->dir);
    return s;
}

ll_status ll_modeluri_resolve(const char *store, const char *uri, ll_model_ref *out, ll_error *err)
{
    return resolve_depth(store, uri, out, 0, err);
}

ll_status ll_modeluri_alias_version(const char *store, const char *name, const char *alias,
                                    long *version, ll_error *err)
{
    *version = 0;
    ll_store *st = NULL;
    ll_status s = ll_store_open(store, 0, &st, err);
    if (s) return s;
    ll_registered_model *m = NULL;
    if (!(s = ll_registry_get(st, name, &m, err))) {
        *version = ll_registry_alias_version(m, alias);
        ll_registry_model_free(m);
    }
    ll_store_close(st);
    return s;
}
