/* fsutil: durable file writes (temp + fsync + rename), mkdir -p, whole-file reads, fcntl locks. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

ll_status ll_fsutil_write_atomic(const char *path, const void *data, size_t len, const char *tmpdir,
                                 ll_error *err)
{
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

ll_status ll_fsutil_append(const char *path, const void *data, size_t len, int sync, ll_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) return ll_error_set(err, LL_EIO, "cannot open %s: %s", path, strerror(errno));
    if (write_full(fd, data, len) || (sync && fsync(fd))) {
        int e = errno;
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
