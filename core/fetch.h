/* fetch: download http(s) datasets with libcurl into a revalidated local cache. */
#ifndef LL_FETCH_H
#define LL_FETCH_H

#include <stddef.h>

#include "error.h"

typedef struct {
    const char *cache_dir;  /* NULL = $XDG_CACHE_HOME/lendlab (or ~/.cache/lendlab) */
    long timeout_s;         /* whole-transfer timeout; 0 = 300 s */
    long connect_timeout_s; /* 0 = 15 s */
    /* Optional progress: bytes so far and expected total (0 if unknown). Non-zero cancels. */
    int (*progress)(size_t done, size_t total, void *ud);
    void *progress_ud;
    long stall_timeout_s; /* fail when under 1 byte/s for this long; 0 = 60 s (<= timeout_s) */
} ll_fetch_options;

/* What one ll_fetch_to_cache_ex call did. */
typedef struct {
    long http_status; /* final HTTP status: 200 (downloaded), 304 (cache confirmed)... */
    int from_cache;   /* 1 when the cached copy was kept because the server answered 304 */
    long long bytes;  /* body bytes downloaded by this call (0 on 304) */
} ll_fetch_result;

/* True when s starts with http:// or https://. */
int ll_fetch_is_url(const char *s);
/* Make sure url is in the cache (revalidating with ETag / Last-Modified) and write the local
 * file path into path_out. Errors name the URL: HTTP status (e.g. 404), connection refused,
 * timeout, truncated transfer (LL_ENET). A failed transfer never replaces a good cached copy. */
ll_status ll_fetch_to_cache(const char *url, const ll_fetch_options *opt, char *path_out,
                            size_t path_len, ll_error *err);
/* ll_fetch_to_cache that also reports what happened in *res (res may be NULL). */
ll_status ll_fetch_to_cache_ex(const char *url, const ll_fetch_options *opt, char *path_out,
                               size_t path_len, ll_fetch_result *res, ll_error *err);
/* Write the path url would be cached at (no network access, nothing created). */
ll_status ll_fetch_cache_path(const char *url, const ll_fetch_options *opt, char *path_out,
                              size_t path_len, ll_error *err);

#endif
