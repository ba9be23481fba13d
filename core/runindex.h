/* runindex: per-experiment cache of run listings, so a large store lists from one file. */
#ifndef LL_RUNINDEX_H
#define LL_RUNINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "error.h"
#include "store.h"

/* <experiment dir>/.lendlab-runs holds, for every ended run of the experiment, what a listing
 * read of it (meta.yaml's fields and the params, latest metric values and tags loaded so far,
 * keys found absent) with the inode, ctime and mtime of its run directory at that time. MLflow
 * lists only directories in an experiment, so it never sees the file. A cached run is used only
 * while its directory's status is unchanged: replacing meta.yaml (status, name, lifecycle)
 * changes it, and lendlab marks the directory after every other write to a run (params, metric
 * points, tags). The file is only a cache: one that is missing, torn, of another version or
 * experiment, or whose checksum fails is ignored and written anew. */
#define LL_RUNINDEX_FILE ".lendlab-runs"

typedef struct {
    char *name; /* run directory name (the run id) */
    unsigned long long ino;
    long long ctime_s, ctime_ns, mtime_s, mtime_ns;
    ll_run *run; /* owned; NULL once taken */
} ll_runindex_entry;

typedef struct {
    ll_runindex_entry *items; /* sorted by name */
    size_t n;
} ll_runindex;

/* The checksum an index's trailer holds: FNV-1a 64 of every byte before the trailer line. */
uint64_t ll_runindex_checksum(const char *text, size_t len);

/* Parse an index's text (len bytes, no terminator needed) for experiment exp_id. Anything not
 * exactly a well-formed index of this version and experiment yields an empty index and LL_OK;
 * LL_ENOMEM only when memory runs out. */
ll_status ll_runindex_parse(const char *text, size_t len, const char *exp_id, ll_runindex *out,
                            ll_error *err);
/* Read and parse <exp_dir>/.lendlab-runs; a missing or unreadable file is an empty index. */
ll_status ll_runindex_load(const char *exp_dir, const char *exp_id, ll_runindex *out,
                           ll_error *err);
/* The cached run of directory name when the status recorded for it matches sb (same inode,
 * ctime and mtime); the caller owns it and must set its dir. NULL otherwise. */
ll_run *ll_runindex_take(ll_runindex *ix, const char *name, const struct stat *sb);
void ll_runindex_free(ll_runindex *ix);

/* May run r, whose directory had status sb, be cached when a scan starts at now_s (seconds
 * since the epoch)? Only ended runs (FINISHED, FAILED, KILLED) whose directory has not changed
 * for 2 s: a change within the file system's timestamp granularity could go unseen otherwise. */
int ll_runindex_cacheable(const ll_run *r, const struct stat *sb, long long now_s);

/* The text of an index of experiment exp_id holding runs[i] with directory status sbs[i];
 * deleted[i] is the run's own lifecycle_stage (not its experiment's). *text is malloc'd. */
ll_status ll_runindex_format(const char *exp_id, const ll_run *const *runs, const struct stat *sbs,
                             const int *deleted, size_t n, char **text, size_t *len, ll_error *err);

#endif
