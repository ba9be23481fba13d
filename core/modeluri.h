/* modeluri: model URIs (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/PATH, paths). */
#ifndef LL_MODELURI_H
#define LL_MODELURI_H

#include <stddef.h>

#include "error.h"

typedef enum {
    LL_URI_PATH = 0,      /* a directory or file path, or a file: URI */
    LL_URI_MODEL_VERSION, /* models:/NAME/VERSION (also models:/NAME/latest or a stage) */
    LL_URI_MODEL_ALIAS,   /* models:/NAME@ALIAS */
    LL_URI_RUN,           /* runs:/RUN_ID/PATH */
    LL_URI_KIND_COUNT
} ll_uri_kind;

/* A parsed URI. */
typedef struct {
    ll_uri_kind kind;
    char name[256];    /* registered model (models:/) */
    char alias[256];   /* alias (models:/NAME@ALIAS) */
    char selector[64]; /* models:/NAME/X: the version number, "latest" or a stage name */
    char run_id[128];  /* runs:/ */
    char path[4096];   /* runs:/ID/PATH: PATH; LL_URI_PATH: the local path */
} ll_model_uri;

/* What a URI points at now. */
typedef struct {
    char uri[4096]; /* as given */
    ll_uri_kind kind;
    char dir[4096];   /* local model directory (or file) to load */
    char name[256];   /* registered model name, "" when not from the registry */
    char alias[256];  /* alias the version was found through, "" when none */
    long version;     /* registered version, 0 when none */
    char run_id[128]; /* run that produced the model, "" when unknown */
    char stage[64];   /* the version's current_stage, "" when none */
} ll_model_ref;

/* Split a URI into its parts (no file system access). LL_EINVAL names what is wrong. */
ll_status ll_modeluri_parse(const char *uri, ll_model_uri *out, ll_error *err);
/* Resolve uri against the tracking store (needed for models:/ and runs:/ only): registry
 * aliases and versions, the version's source (file: URI, path or runs:/ URI; when it no
 * longer exists, the run's artifacts in this store), runs' artifact directories. */
ll_status ll_modeluri_resolve(const char *store, const char *uri, ll_model_ref *out, ll_error *err);
/* Version an alias of a registered model points at now; 0 when the alias is unset. */
ll_status ll_modeluri_alias_version(const char *store, const char *name, const char *alias,
                                    long *version, ll_error *err);

#endif
