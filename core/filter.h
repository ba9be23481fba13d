/* filter: MLflow's run search syntax (filter expressions and sort keys) evaluated on ll_run. */
#ifndef LL_FILTER_H
#define LL_FILTER_H

#include <stddef.h>

#include "error.h"
#include "store.h"

/* Grammar (keywords case-insensitive):
 *   expr       := term (OR term)*
 *   term       := factor (AND factor)*
 *   factor     := '(' expr ')' | comparison
 *   comparison := key op value | key [NOT] IN '(' value (',' value)* ')' | key IS [NOT] NULL
 *   key        := (metrics|metric).NAME | (params|param|parameters|parameter).NAME
 *               | (tags|tag).NAME | (attributes|attribute|attr|run).ATTR | ATTR
 *   NAME       := [A-Za-z0-9_.:/-]+ (dots allowed: tags.mlflow.runName) | `any` | "any"
 *   ATTR       := run_id run_name status user_id artifact_uri lifecycle_stage experiment_id
 *                 (strings), start_time end_time (numbers, ms since the epoch)
 *   op         := = != < <= > >= LIKE ILIKE NOT LIKE NOT ILIKE  (== and <> accepted)
 *   value      := 'string' | "string" | number
 * Metrics compare numerically; params, tags and string attributes as strings (=, !=, LIKE with
 * % and _, ILIKE case-insensitive, IN); ordering comparators on a param or tag need a number
 * and compare numerically when the value is one. A run that lacks the key never matches
 * (except IS NULL). status also accepts 'DIED' (RUNNING, process gone). */
typedef struct ll_filter ll_filter;

/* A key a filter reads (name borrowed from the filter). */
typedef struct {
    ll_keykind kind;
    const char *name;
} ll_filter_key;

/* Parse expr. Syntax errors are LL_EPARSE with the 1-based position in err->column and in the
 * message ("at position 14: expected a comparator after 'metrics.auc'"). */
ll_status ll_filter_parse(const char *expr, ll_filter **out, ll_error *err);
void ll_filter_free(ll_filter *f);
/* True when run r (with the filter's keys loaded) satisfies f. */
int ll_filter_match(const ll_filter *f, const ll_run *r);
/* The metric/param/tag keys f reads, deduplicated (*keys malloc'd; free() it). */
ll_status ll_filter_keys(const ll_filter *f, ll_filter_key **keys, size_t *n, ll_error *err);

/* Parse sort keys: comma-separated "-metrics.auc", "metrics.auc", "+start_time",
 * "metrics.auc DESC", "attributes.start_time ASC"... into keys[0..cap). */
ll_status ll_filter_parse_sort(const char *s, ll_sortkey *keys, size_t cap, size_t *n,
                               ll_error *err);
/* Order of a and b under keys (runs missing a key last whatever the direction), then
 * start_time descending, then run id. Negative when a comes first. */
int ll_filter_compare(const ll_sortkey *keys, size_t nkeys, const ll_run *a, const ll_run *b);
/* Text of key k as the user would write it ("metrics.auc"). */
const char *ll_filter_key_text(ll_keykind kind, const char *name, char *buf, size_t len);
/* SQL LIKE: % any run, _ one character; icase for ILIKE (ASCII). */
int ll_filter_like(const char *s, const char *pattern, int icase);

#endif
