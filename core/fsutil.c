/* fsutil: durable file writes (temp + fsync + rename), mkdir -p, whole-file reads, fcntl locks. */
#define _GNU_SOURCE /* renameat2, nftw */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

ll_status ll_fsutil_join(char *out, size_t len, const char *a, const char *b, ll_error *err)
{
    size_t la = strlen(a);
    int n;
    if (la && a[la - 1] == '/')
        n = snprintf(out, len, "%s%s", a, b);
    else
        n = snprintf(out, len, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= len)
        return ll_error_set(err, LL_EINVAL, "path too long: %s/%s", a, b);
    return LL_OK;
}

static void dirname_of(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, len, ".");
    } else if (slash == path) {
        snprintf(out, len, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= len) n = len - 1;
        memcpy(out, path, n);
        out[n] = '\0';
    }
}

ll_status ll_fsutil_fsync_dir(const char *dir, ll_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ll_error_set(err, LL_EIO, "%s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    /* some file systems refuse fsync on directories; the rename is still atomic there */
    if (rc && e != EINVAL && e != EROFS)
        return ll_error_set(err, LL_EIO, "fsync %s: %s", dir, strerror(e));
    return LL_OK;
}

ll_status ll_fsutil_mkdir_p(const char *dir, ll_error *err)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0) return ll_error_set(err, LL_EINVAL, "empty directory name");
    if (n >= sizeof buf) return ll_error_set(err, LL_EINVAL, "path too long: %s", dir);
    memcpy(buf, dir, n + 1);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
    struct stat sb;
    if (stat(buf, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) return LL_OK;
        return ll_error_set(err, LL_EIO, "%s exists and is not a directory", buf);
    }
    /* create each missing component from the top, so every parent exists before its child */
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0777) == 0) {
            char parent[4096];
            dirname_of(buf, parent, sizeof parent);
            ll_status st = ll_fsutil_fsync_dir(parent, err);
            if (st) return st;
        } else if (errno != EEXIST) {
            ll_error_set(err, LL_EIO, "mkdir %s: %s", buf, strerror(errno));
            return LL_EIO;
        } else if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            return ll_error_set(err, LL_EIO, "%s exists and is not a directory", buf);
        }
        *p = saved;
        if (saved == '\0') break;
    }
    return LL_OK;
}

static int write_full(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

ll_status ll_fsutil_check_output(const char *path, int *in_place, ll_error *err)
{
    struct stat sb;
    *in_place = 0;
    /* missing or unreachable: creating the file will report why it cannot be written */
    if (stat(path, &sb)) return LL_OK;
    if (S_ISDIR(sb.st_mode))
        return ll_error_set(err, LL_EIO, "cannot write %s: %s", path, strerror(EISDIR));
    *in_place = !S_ISREG(sb.st_mode);
    return LL_OK;
}

/* Write data into an existing device, FIFO or socket: renaming a file over it would replace
 * the node itself (/dev/null becoming a regular file when run as root). Nothing to fsync. */
static ll_status write_in_place(const char *path, const void *data, size_t len, ll_error *err)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return ll_error_set(err, LL_EIO, "cannot open %s: %s", path, strerror(errno));
    if (write_full(fd, data, len)) {
        int e = errno;
        close(fd);
        return ll_error_set(err, LL_EIO, "cannot write %s: %s", path, strerror(e));
    }
    if (close(fd)) return ll_error_set(err, LL_EIO, "cannot write %s: %s", path, strerror(errno));
    return LL_OK;
}

ll_status ll_fsutil_write_atomic(const char *path, const void *data, size_t len, const char *tmpdir,
                                 ll_error *err)
{
    int in_place;
    ll_status st = ll_fsutil_check_output(path, &in_place, err);
    if (st) return st;
    if (in_place) return write_in_place(path, data, len, err);
    char dir[4096], tmp[4096];
    dirname_of(path, dir, sizeof dir);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int fd = -1;
    for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
        unsigned long long r = 0;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            r = (unsigned long long)ts.tv_nsec * 2654435761u + (unsigned long long)attempt;
        }
        /* temporary names start with '.' and end in .tmp so MLflow's readers skip them */
        int n = snprintf(tmp, sizeof tmp, "%s/.%.60s.%ld.%llx.tmp", tmpdir ? tmpdir : dir, base,
                         (long)getpid(), r);
        if (n < 0 || (size_t)n >= sizeof tmp)
            return ll_error_set(err, LL_EINVAL, "path too long: %s", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            return ll_error_set(err, LL_EIO, "cannot create %s: %s", tmp, strerror(errno));
    }
    if (fd < 0) return ll_error_set(err, LL_EIO, "cannot create a temporary file for %s", path);
    if (write_full(fd, data, len) || fsync(fd)) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "cannot write %s: %s", path, strerror(e));
    }
    if (close(fd)) {
        int e = errno;
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "cannot write %s: %s", path, strerror(e));
    }
    if (rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "cannot rename into %s: %s", path, strerror(e));
    }
    return ll_fsutil_fsync_dir(dir, err);
}

/* Undo a failed append that began at offset start: cut the file back when nothing but our own
 * partial write lies beyond start (another appender's line is never cut). */
static void undo_append(int fd, off_t start, size_t written)
{
    struct stat sb;
    if (start >= 0 && fstat(fd, &sb) == 0 && sb.st_size == start + (off_t)written)
        if (ftruncate(fd, start) == 0) fsync(fd);
}

/* write_full for appends: also reports how many bytes went out before a failure. */
static int append_full(int fd, const void *data, size_t len, size_t *written)
{
    const char *p = data;
    *written = 0;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
        *written += (size_t)w;
    }
    return 0;
}

ll_status ll_fsutil_append(const char *path, const void *data, size_t len, int sync, ll_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) return ll_error_set(err, LL_EIO, "cannot open %s: %s", path, strerror(errno));
    off_t start = lseek(fd, 0, SEEK_END);
    size_t written = 0;
    if (append_full(fd, data, len, &written) || (sync && fsync(fd))) {
        int e = errno;
        /* a disk that filled up mid-write leaves a torn line: take it back */
        undo_append(fd, start, written);
        close(fd);
        return ll_error_set(err, LL_EIO, "cannot append to %s: %s", path, strerror(e));
    }
    if (close(fd))
        return ll_error_set(err, LL_EIO, "cannot append to %s: %s", path, strerror(errno));
    return LL_OK;
}

ll_status ll_fsutil_append_record(const char *path, const void *data, size_t len, ll_error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) return ll_error_set(err, LL_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb)) {
        int e = errno;
        close(fd);
        return ll_error_set(err, LL_EIO, "cannot append to %s: %s", path, strerror(e));
    }
    /* a writer killed inside its write() may have left part of a record: cut back to the end
     * of the last whole one so the new record starts on a line of its own */
    off_t end = sb.st_size;
    char buf[512];
    while (end > 0) {
        size_t n = end > (off_t)sizeof buf ? sizeof buf : (size_t)end;
        ssize_t r = pread(fd, buf, n, end - (off_t)n);
        if (r != (ssize_t)n) {
            int e = r < 0 ? errno : EIO;
            close(fd);
            return ll_error_set(err, LL_EIO, "cannot read %s: %s", path, strerror(e));
        }
        const char *nl = NULL;
        for (size_t i = n; i-- > 0 && !nl;)
            if (buf[i] == '\n') nl = buf + i;
        if (nl) {
            end -= (off_t)n - (off_t)(nl - buf) - 1;
            break;
        }
        end -= (off_t)n;
    }
    if (end != sb.st_size && ftruncate(fd, end)) {
        int e = errno;
        close(fd);
        return ll_error_set(err, LL_EIO, "cannot repair %s: %s", path, strerror(e));
    }
    size_t written = 0;
    if (append_full(fd, data, len, &written) || fsync(fd)) {
        int e = errno;
        undo_append(fd, end, written);
        close(fd);
        return ll_error_set(err, LL_EIO, "cannot append to %s: %s", path, strerror(e));
    }
    if (close(fd))
        return ll_error_set(err, LL_EIO, "cannot append to %s: %s", path, strerror(errno));
    return LL_OK;
}

ll_status ll_fsutil_read(const char *path, char **data, size_t *len, ll_error *err)
{
    *data = NULL;
    if (len) *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return ll_error_set(err, LL_ENOTFOUND, "%s does not exist", path);
        return ll_error_set(err, LL_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat sb;
    size_t cap = 4096;
    if (fstat(fd, &sb) == 0 && sb.st_size > 0) cap = (size_t)sb.st_size + 1;
    char *buf = malloc(cap);
    size_t n = 0;
    if (!buf) {
        close(fd);
        return ll_error_set(err, LL_ENOMEM, "out of memory reading %s", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return ll_error_set(err, LL_ENOMEM, "out of memory reading %s", path);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return ll_error_set(err, LL_EIO, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    if (len) *len = n;
    return LL_OK;
}

int ll_fsutil_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

int ll_fsutil_is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

ll_status ll_fsutil_lock_acquire(const char *path, ll_fsutil_lock *lk, ll_error *err)
{
    lk->fd = -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return ll_error_set(err, LL_EIO, "cannot open lock %s: %s", path, strerror(errno));
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    while (fcntl(fd, F_SETLKW, &fl) == -1) {
        if (errno == EINTR) continue;
        int e = errno;
        close(fd);
        return ll_error_set(err, LL_EIO, "cannot lock %s: %s", path, strerror(e));
    }
    lk->fd = fd;
    return LL_OK;
}

void ll_fsutil_lock_release(ll_fsutil_lock *lk)
{
    if (!lk || lk->fd < 0) return;
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    fcntl(lk->fd, F_SETLK, &fl);
    close(lk->fd);
    lk->fd = -1;
}

/* "<dir>/.<tag>.<pid>.<random>.tmp": the shape of every temporary name made here, so that
 * ll_fsutil_sweep_tmp can tell whose it is. */
static int tmp_name(char *out, size_t len, const char *dir, const char *tag, unsigned attempt)
{
    unsigned long long r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = (unsigned long long)ts.tv_nsec * 2654435761u + attempt;
    }
    int n = snprintf(out, len, "%s/.%.60s.%ld.%llx.tmp", dir, tag, (long)getpid(), r);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

ll_status ll_fsutil_mkdtemp(const char *parent, const char *tag, char *path, size_t len,
                            ll_error *err)
{
    for (unsigned attempt = 0; attempt < 16; attempt++) {
        if (tmp_name(path, len, parent, tag, attempt)) break;
        if (mkdir(path, 0777) == 0) return LL_OK;
        if (errno != EEXIST) {
            int e = errno;
            path[0] = '\0'; /* nothing of ours to clean up */
            return ll_error_set(err, LL_EIO, "cannot create a directory in %s: %s", parent,
                                strerror(e));
        }
    }
    if (len) path[0] = '\0';
    return ll_error_set(err, LL_EIO, "cannot create a temporary directory in %s", parent);
}

ll_status ll_fsutil_rename_noreplace(const char *from, const char *to, ll_error *err)
{
    char dir[4096];
    if (ll_fsutil_is_dir(from)) {
        /* the entries of a directory built in place must be durable before it appears */
        ll_status s = ll_fsutil_fsync_dir(from, err);
        if (s) return s;
    }
    int rc = -1;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
    rc = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
    if (rc && errno != EINVAL && errno != ENOSYS) {
        if (errno == EEXIST) return ll_error_set(err, LL_EEXIST, "%s exists", to);
        return ll_error_set(err, LL_EIO, "cannot rename %s to %s: %s", from, to, strerror(errno));
    }
#endif
    if (rc) {
        /* no RENAME_NOREPLACE on this file system: callers hold a lock against each other, and
         * rename() never replaces a non-empty directory */
        struct stat sb;
        if (lstat(to, &sb) == 0) return ll_error_set(err, LL_EEXIST, "%s exists", to);
        if (rename(from, to)) {
            if (errno == EEXIST || errno == ENOTEMPTY)
                return ll_error_set(err, LL_EEXIST, "%s exists", to);
            return ll_error_set(err, LL_EIO, "cannot rename %s to %s: %s", from, to,
                                strerror(errno));
        }
    }
    dirname_of(to, dir, sizeof dir);
    return ll_fsutil_fsync_dir(dir, err);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) && errno != ENOENT ? -1 : 0;
}

ll_status ll_fsutil_remove_tree(const char *path, ll_error *err)
{
    struct stat sb;
    if (lstat(path, &sb)) return LL_OK;
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS))
        return ll_error_set(err, LL_EIO, "cannot remove %s: %s", path, strerror(errno));
    return LL_OK;
}

void ll_fsutil_sweep_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        /* .<tag>.<pid>.<hex>.tmp */
        const char *nm = de->d_name;
        size_t n = strlen(nm);
        if (nm[0] != '.' || n < 10 || strcmp(nm + n - 4, ".tmp")) continue;
        char buf[256];
        if (n >= sizeof buf) continue;
        memcpy(buf, nm, n - 4);
        buf[n - 4] = '\0';
        char *hex = strrchr(buf, '.');
        if (!hex || hex == buf) continue;
        *hex = '\0';
        char *pid_s = strrchr(buf, '.');
        if (!pid_s || pid_s == buf) continue;
        char *end;
        long pid = strtol(pid_s + 1, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, nm) >= (int)sizeof path) continue;
        ll_fsutil_remove_tree(path, NULL);
    }
    closedir(d);
}

ll_status ll_fsutil_discard_tree(const char *path, ll_error *err)
{
    char dir[4096], tmp[4096];
    dirname_of(path, dir, sizeof dir);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (tmp_name(tmp, sizeof tmp, dir, base, 0))
        return ll_error_set(err, LL_EINVAL, "path too long: %s", path);
    /* a rename needs no free space; the name sweep_tmp knows finishes the removal if we die */
    if (rename(path, tmp))
        return ll_error_set(err, LL_EIO, "cannot remove %s: %s", path, strerror(errno));
    ll_fsutil_fsync_dir(dir, NULL);
    return ll_fsutil_remove_tree(tmp, err);
}
