/* fsutil: durable file writes (temp + fsync + rename), mkdir -p, whole-file reads, fcntl locks. */
#ifndef LL_FSUTIL_H
#define LL_FSUTIL_H

#include <stddef.h>

#include "error.h"

/* An exclusive advisory lock held on a lock file (fcntl F_WRLCK on the whole file). fcntl locks
 * belong to the process: a second lock on the same file from the same process does not block,
 * and closing any descriptor of that file releases it. Use one lock per file per process. */
typedef struct {
    int fd; /* -1 when not held */
} ll_fsutil_lock;

/* Create dir and its missing parents (mode 0777 & ~umask); every directory created is made
 * durable by fsyncing its parent. An existing directory is not an error. */
ll_status ll_fsutil_mkdir_p(const char *dir, ll_error *err);
/* Replace path with data atomically: write a temporary file (in tmpdir when not NULL, which must
 * be on the same file system, else beside path), fsync it, rename it over path, fsync the
 * directory of path. Readers see the old or the new content, never a mix. An existing device,
 * FIFO or socket at path is written into instead (no rename, no fsync); a directory is an error. */
ll_status ll_fsutil_write_atomic(const char *path, const void *data, size_t len, const char *tmpdir,
                                 ll_error *err);
/* Check path before a write that replaces it: *in_place is set when path is a device, FIFO or
 * socket (open and write it, never rename over it), cleared when missing or a regular file; a
 * directory is LL_EIO naming path. */
ll_status ll_fsutil_check_output(const char *path, int *in_place, ll_error *err);
/* Append data to path (created 0666 & ~umask if missing) in one O_APPEND write; fsync when sync
 * is non-zero. A failed write (disk full) is cut back off unless another appender followed. */
ll_status ll_fsutil_append(const char *path, const void *data, size_t len, int sync, ll_error *err);
/* Append one newline-terminated record to a file whose writers hold a lock: a torn last record
 * (writer killed mid-write) is cut off first, a failed write is undone; fsynced. */
ll_status ll_fsutil_append_record(const char *path, const void *data, size_t len, ll_error *err);
/* Read the whole file into a malloc'd NUL-terminated buffer (*len excludes the NUL). A missing
 * file is LL_ENOTFOUND. */
ll_status ll_fsutil_read(const char *path, char **data, size_t *len, ll_error *err);
/* fsync a directory (makes a rename or a new entry in it durable). */
ll_status ll_fsutil_fsync_dir(const char *dir, ll_error *err);
/* Non-zero when path exists (any type) / is a directory. */
int ll_fsutil_exists(const char *path);
int ll_fsutil_is_dir(const char *path);
/* Block until an exclusive lock on path (created if missing) is held. */
ll_status ll_fsutil_lock_acquire(const char *path, ll_fsutil_lock *lk, ll_error *err);
/* Release a lock taken by ll_fsutil_lock_acquire (no-op when not held). */
void ll_fsutil_lock_release(ll_fsutil_lock *lk);
/* Create an empty directory "<parent>/.<tag>.<pid>.<random>.tmp" to build an entry in before
 * ll_fsutil_rename_noreplace publishes it whole; path receives its name. */
ll_status ll_fsutil_mkdtemp(const char *parent, const char *tag, char *path, size_t len,
                            ll_error *err);
/* Rename from to to unless to exists (LL_EEXIST), then fsync to's directory; a directory's own
 * entries are fsynced first. Atomic with RENAME_NOREPLACE; elsewhere callers must hold a lock. */
ll_status ll_fsutil_rename_noreplace(const char *from, const char *to, ll_error *err);
/* Remove path and everything under it (a missing path is fine). */
ll_status ll_fsutil_remove_tree(const char *path, ll_error *err);
/* Remove directory path so that it vanishes at once: renamed to a temporary name beside it
 * (no free space needed), then deleted. */
ll_status ll_fsutil_discard_tree(const char *path, ll_error *err);
/* Remove the temporary entries of dir (".<tag>.<pid>.<random>.tmp", as ll_fsutil_write_atomic
 * and ll_fsutil_mkdtemp name them) whose process no longer exists on this host. */
void ll_fsutil_sweep_tmp(const char *dir);
/* Join a and b with one '/' into out; LL_EINVAL when it does not fit. */
ll_status ll_fsutil_join(char *out, size_t len, const char *a, const char *b, ll_error *err);

#endif
