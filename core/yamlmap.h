/* yamlmap: the flat YAML mappings of MLflow's meta.yaml files, read with libyaml, written sorted.
 */
#ifndef LL_YAMLMAP_H
#define LL_YAMLMAP_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

typedef enum {
    LL_YAML_STR = 0, /* scalar (quoted or plain) */
    LL_YAML_NULL,    /* null, ~ or an empty plain scalar */
    LL_YAML_SEQ,     /* a sequence (kept as its scalar items, nested collections skipped) */
    LL_YAML_MAP,     /* a mapping (kept as alternating key/value scalars, nested skipped) */
    LL_YAML_KIND_COUNT
} ll_yaml_kind;

typedef struct {
    char *key;
    ll_yaml_kind kind;
    char *value;   /* LL_YAML_STR: the scalar text; NULL otherwise */
    char **items;  /* LL_YAML_SEQ: nitems scalars; LL_YAML_MAP: key, value, key, value... */
    size_t nitems; /* for LL_YAML_MAP twice the number of pairs */
    int quoted;    /* LL_YAML_STR: the scalar was quoted (so "3" is a string, not a number) */
    int verbatim;  /* written back as is, unquoted: plain scalars read from a file (so an
                      integer stays an integer) and integers set by ll_yamlmap_set_int */
} ll_yamlmap_entry;

/* The top-level mapping of one YAML document, entries in file order. */
typedef struct {
    ll_yamlmap_entry *e;
    size_t n, cap;
} ll_yamlmap;

/* Parse text (len bytes) whose top level is a mapping. file names the input in errors (line and
 * column are filled from libyaml's mark). An empty document gives an empty map. The one-line
 * "key: scalar" form PyYAML writes for MLflow is read by a strict fast path; everything else
 * (nested collections, comments, multi-line or escaped scalars...) by libyaml. */
ll_status ll_yamlmap_parse(const char *text, size_t len, const char *file, ll_yamlmap *out,
                           ll_error *err);
/* Read and parse a file (LL_ENOTFOUND when missing). */
ll_status ll_yamlmap_load(const char *path, ll_yamlmap *out, ll_error *err);
void ll_yamlmap_free(ll_yamlmap *m);
/* The entry for key, or NULL. */
const ll_yamlmap_entry *ll_yamlmap_find(const ll_yamlmap *m, const char *key);
/* The scalar text of key; NULL when absent, null or not a scalar. */
const char *ll_yamlmap_str(const ll_yamlmap *m, const char *key);
/* The value of key as an integer (plain or quoted digits); def when absent, null or not one. */
long long ll_yamlmap_int(const ll_yamlmap *m, const char *key, long long def);

/* Add entries to a map that will be written (copies key and value; value NULL = null). */
ll_status ll_yamlmap_set_str(ll_yamlmap *m, const char *key, const char *value);
ll_status ll_yamlmap_set_int(ll_yamlmap *m, const char *key, long long value);
/* An empty sequence ("[]") or empty mapping ("{}"). */
ll_status ll_yamlmap_set_empty(ll_yamlmap *m, const char *key, ll_yaml_kind kind);
/* A mapping of string pairs (kv holds npairs key/value pairs flattened). */
ll_status ll_yamlmap_set_pairs(ll_yamlmap *m, const char *key, const char *const *kv,
                               size_t npairs);
/* Remove key (no-op when absent). */
void ll_yamlmap_remove(ll_yamlmap *m, const char *key);
/* Write the map as PyYAML's safe_dump(default_flow_style=False, sort_keys=True) lays it out:
 * keys sorted, strings quoted only when a plain scalar would read back as something else,
 * integers plain (as MLflow stores timestamps and the run status), "null" for null. */
ll_status ll_yamlmap_write(const ll_yamlmap *m, FILE *f);
/* ll_yamlmap_write into a malloc'd string. */
ll_status ll_yamlmap_dump(const ll_yamlmap *m, char **text, size_t *len, ll_error *err);
/* Write one YAML scalar for s, quoted when needed (exposed for tests). */
void ll_yamlmap_write_scalar(FILE *f, const char *s);

#endif
