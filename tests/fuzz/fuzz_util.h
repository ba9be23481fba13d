/* fuzz_util: helpers shared by the libFuzzer targets (input as a file, NUL-terminated copies). */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Remove a directory tree (the harness's own temporary files only). */
static inline void fz_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            struct stat sb;
            if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
                fz_rmtree(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

static char fz_tmpdir_path[256];

static void fz_tmpdir_cleanup(void)
{
    if (fz_tmpdir_path[0]) fz_rmtree(fz_tmpdir_path);
}

/* Remove the temporary directories earlier fuzzers left in base when they crashed (a crash
 * skips atexit): "lendlab-fuzz-<pid>-*" of a process that no longer exists. */
static inline void fz_sweep_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        int pid = 0, n = 0;
        if (sscanf(de->d_name, "lendlab-fuzz-%d-%n", &pid, &n) != 1 || n == 0 || pid <= 0) continue;
        if (kill(pid, 0) == 0 || errno != ESRCH) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", base, de->d_name);
        fz_rmtree(path);
    }
    closedir(d);
}

/* A private temporary directory (in /dev/shm when there is one), removed at exit; directories
 * that crashed runs left behind are removed first. */
static inline const char *fz_tmpdir(void)
{
    if (!fz_tmpdir_path[0]) {
        struct stat sb;
        const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp";
        fz_sweep_stale(base);
        snprintf(fz_tmpdir_path, sizeof fz_tmpdir_path, "%s/lendlab-fuzz-%d-XXXXXX", base,
                 (int)getpid());
        if (!mkdtemp(fz_tmpdir_path)) abort();
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
