/* fuzz_util: helpers shared by the libFuzzer targets (input as a file, NUL-terminated copies). */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* A malloc'd NUL-terminated copy of the input (parsers that take C strings). */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* Write the whole buffer to fd from offset 0, aborting on failure (a harness fault). */
static inline void fz_write_all(int fd, const uint8_t *data, size_t size)
{
    if (ftruncate(fd, 0) != 0) abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) abort();
        off += (size_t)w;
    }
}

/* The input as an in-memory file reachable by path (/proc/self/fd/N). One memfd per slot is
 * reused across runs, so parsers that take a path see exactly these bytes. */
static inline const char *fz_memfd_path(int slot, const uint8_t *data, size_t size)
{
    static int fds[4] = {-1, -1, -1, -1};
    static char paths[4][64];
    if (slot < 0 || slot >= 4) abort();
    if (fds[slot] < 0) {
        fds[slot] = memfd_create("fuzz-input", 0);
        if (fds[slot] < 0) abort();
        snprintf(paths[slot], sizeof paths[slot], "/proc/self/fd/%d", fds[slot]);
    }
    fz_write_all(fds[slot], data, size);
    return paths[slot];
}

/* Write data to path (created or truncated), aborting on failure. */
static inline void fz_write_file(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) abort();
    fz_write_all(fd, data, size);
    close(fd);
}

static char fz_tmpdir_path[256];

static void fz_tmpdir_cleanup(void)
{
    if (fz_tmpdir_path[0]) ll_fsutil_remove_tree(fz_tmpdir_path, NULL);
}

/* A private temporary directory, removed at exit: <shm>/lendlab-fuzz/.run.<pid>.<random>.tmp
 * (in /dev/shm when there is one). A crash skips atexit, so the directories of runs whose
 * process is gone are swept first, as the store sweeps its writers' temporaries. */
static inline const char *fz_tmpdir(void)
{
    if (!fz_tmpdir_path[0]) {
        struct stat sb;
        char parent[64];
        snprintf(parent, sizeof parent, "%s/lendlab-fuzz",
                 stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp");
        if (mkdir(parent, 0700) != 0 && errno != EEXIST) abort();
        ll_fsutil_sweep_tmp(parent);
        if (ll_fsutil_mkdtemp(parent, "run", fz_tmpdir_path, sizeof fz_tmpdir_path, NULL))
            abort();
        atexit(fz_tmpdir_cleanup);
    }
    return fz_tmpdir_path;
}

/* Read a small 0..n-1 choice from the last input byte (the rest is the payload). */
static inline unsigned fz_take_last(const uint8_t *data, size_t *size, unsigned n)
{
    if (*size == 0) return 0;
    --*size;
    return data[*size] % n;
}

#endif
