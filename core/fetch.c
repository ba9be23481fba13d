/* fetch: download http(s) datasets with libcurl into a revalidated local cache. */
#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "version.h"

#define FETCH_PATH_MAX          4096
#define FETCH_URL_SHOW          512
#define FETCH_MAX_REDIRS        5L
#define FETCH_TIMEOUT_S         300L
#define FETCH_CONNECT_TIMEOUT_S 15L
#define FETCH_STALL_S           60L
#define FETCH_BASENAME_MAX      80

/* curl_global_init is not thread-safe on every libcurl build, so it runs exactly once, on the
 * first fetch rather than at program start (most runs never touch the network). */
static pthread_once_t fetch_curl_once = PTHREAD_ONCE_INIT;
static CURLcode fetch_curl_init_rc = CURLE_FAILED_INIT;

static void fetch_curl_init(void)
{
    fetch_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Cache metadata: what revalidation needs, plus the size to detect a torn cache entry. */
typedef struct {
    char etag[512];
    char last_modified[128];
    long long size;
} fetch_meta;

/* Per-transfer state shared by the libcurl callbacks. */
typedef struct {
    FILE *fp;
    long long written;
    int write_errno; /* non-zero when writing the temp file failed */
    int cancelled;
    long status; /* status of the response currently being received */
    char reason[96];
    char etag[512];
    char last_modified[128];
    const ll_fetch_options *opt;
} fetch_xfer;

int ll_fetch_is_url(const char *s)
{
    return s && (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}

/* Signed object-store URLs carry credentials in the query string (and some URLs in the
 * userinfo part), so messages show the URL without them. */
static const char *url_show(const char *url, char *buf, size_t len)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    size_t auth_len = strcspn(host, "/?#");
    const char *at = memchr(host, '@', auth_len);
    size_t query = strcspn(url, "?#");
    int n;
    if (at && at < url + query) {
        n = snprintf(buf, len, "%.*s***%.*s", (int)(host - url), url, (int)(url + query - at), at);
    } else {
        n = snprintf(buf, len, "%.*s", (int)query, url);
    }
    if (url[query] == '?' && n >= 0 && (size_t)n + 5 < len) strcat(buf, "?...");
    return buf;
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Last path segment of the URL (query and fragment dropped), reduced to a safe file name. */
static void url_basename(const char *url, char *out, size_t len)
{
    const char *scheme_end = strstr(url, "://");
    const char *p = scheme_end ? scheme_end + 3 : url;
    size_t end = strcspn(p, "?#");
    const char *path = memchr(p, '/', end);
    size_t o = 0;
    if (path) {
        const char *stop = p + end;
        const char *b = stop;
        while (b > path && b[-1] != '/') b--;
        for (; b < stop && o + 1 < len; b++) {
            unsigned char c = (unsigned char)*b;
            /* ASCII only: isalnum() would let a locale admit non-portable bytes */
            int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
            out[o++] = keep ? (char)c : '_';
        }
    }
    out[o] = '\0';
    if (o == 0) snprintf(out, len, "download");
    if (out[0] == '.') out[0] = '_'; /* never a hidden file, never "." or ".." */
}

static ll_status cache_dir_resolve(const ll_fetch_options *opt, char *out, size_t len,
                                   ll_error *err)
{
    int n;
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (opt && opt->cache_dir && opt->cache_dir[0]) {
        n = snprintf(out, len, "%s", opt->cache_dir);
    } else if (xdg && xdg[0] == '/') { /* the XDG spec says relative values are ignored */
        n = snprintf(out, len, "%s/lendlab", xdg);
    } else if (home && home[0]) {
        n = snprintf(out, len, "%s/.cache/lendlab", home);
    } else {
        return ll_error_set(err, LL_EINVAL,
                            "no cache directory for downloads: set XDG_CACHE_HOME or HOME");
    }
    if (n < 0 || (size_t)n >= len) return ll_error_set(err, LL_EINVAL, "cache directory too long");
    while (n > 1 && out[n - 1] == '/') out[--n] = '\0';
    return LL_OK;
}

/* mkdir -p with mode 0700 for every directory it creates (a cache may hold private data). */
static ll_status mkdir_private(const char *dir, ll_error *err)
{
    char buf[FETCH_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return ll_error_set(err, LL_EIO, "cannot create cache directory '%s': %s", buf,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return ll_error_set(err, LL_EIO, "cannot create cache directory '%s': %s", buf,
                            strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return ll_error_set(err, LL_EIO, "cache directory '%s' is not a directory", buf);
    return LL_OK;
}

/* Cache entry name: hash of the full URL (query included, so each signed URL variant is its own
 * entry) plus the basename so people can recognise files in the cache directory. */
static void cache_name(const char *url, char *out, size_t len)
{
    char base[FETCH_BASENAME_MAX + 1];
    url_basename(url, base, sizeof base);
    snprintf(out, len, "%016llx-%s", (unsigned long long)fnv1a64(url), base);
}

static ll_status cache_paths(const char *url, const ll_fetch_options *opt, char *dir, char *file,
                             char *meta, ll_error *err)
{
    char name[FETCH_BASENAME_MAX + 32];
    ll_status st = cache_dir_resolve(opt, dir, FETCH_PATH_MAX, err);
    if (st != LL_OK) return st;
    cache_name(url, name, sizeof name);
    int n1 = snprintf(file, FETCH_PATH_MAX, "%s/%s", dir, name);
    int n2 = snprintf(meta, FETCH_PATH_MAX, "%s/%s.meta", dir, name);
    if (n1 < 0 || n2 < 0 || n1 >= FETCH_PATH_MAX || n2 >= FETCH_PATH_MAX)
        return ll_error_set(err, LL_EINVAL, "cache path too long under '%s'", dir);
    return LL_OK;
}

static void copy_trimmed(char *dst, size_t dlen, const char *src, size_t slen)
{
    while (slen && (src[0] == ' ' || src[0] == '\t')) src++, slen--;
    while (slen && isspace((unsigned char)src[slen - 1])) slen--;
    if (slen >= dlen) { /* a value we cannot keep whole is useless for revalidation */
        dst[0] = '\0';
        return;
    }
    memcpy(dst, src, slen);
    dst[slen] = '\0';
}

/* Reads the sidecar; returns 1 only when it describes this exact URL. */
static int meta_load(const char *path, const char *url, fetch_meta *m)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return 0;
    memset(m, 0, sizeof *m);
    m->size = -1;
    int url_ok = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) > 0) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = '\0';
        const char *val = colon + 1;
        size_t vlen = (size_t)(line + n - val);
        if (strcmp(line, "url") == 0) {
            char *v = colon + 1;
            if (*v == ' ') v++;
            v[strcspn(v, "\r\n")] = '\0';
            url_ok = strcmp(v, url) == 0;
        } else if (strcmp(line, "etag") == 0) {
            copy_trimmed(m->etag, sizeof m->etag, val, vlen);
        } else if (strcmp(line, "last-modified") == 0) {
            copy_trimmed(m->last_modified, sizeof m->last_modified, val, vlen);
        } else if (strcmp(line, "size") == 0) {
            char *end;
            errno = 0;
            long long v = strtoll(val, &end, 10);
            if (errno == 0 && end != val && v >= 0) m->size = v;
        }
    }
    free(line);
    fclose(fp);
    return url_ok && m->size >= 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Flush, fsync and close; on any failure the file may be incomplete. */
static int close_synced(FILE *fp)
{
    int rc = 0;
    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) rc = -1;
    if (fclose(fp) != 0) rc = -1;
    return rc;
}

/* Written to a temp file and renamed, so a reader never sees a half-written sidecar. */
static ll_status meta_save(const char *dir, const char *path, const char *url, const fetch_meta *m,
                           ll_error *err)
{
    char tmp[FETCH_PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/.meta-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ll_error_set(err, LL_EIO, "cannot create file in cache directory '%s': %s", dir,
                            strerror(errno));
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        close(fd);
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    }
    fprintf(fp, "url: %s\n", url);
    if (m->etag[0]) fprintf(fp, "etag: %s\n", m->etag);
    if (m->last_modified[0]) fprintf(fp, "last-modified: %s\n", m->last_modified);
    fprintf(fp, "size: %lld\n", m->size);
    int bad = ferror(fp);
    if (close_synced(fp) != 0 || bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "cannot write cache metadata '%s': %s", path, strerror(e));
    }
    return LL_OK;
}

/* HTTP/2 responses carry no reason phrase, so common ones are supplied here. */
static const char *status_reason(long code)
{
    switch (code) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 410:
        return "Gone";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

/* Matches "Name: value" case-insensitively and copies the trimmed value. */
static int header_is(const char *line, size_t len, const char *name, char *out, size_t olen)
{
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0) return 0;
    copy_trimmed(out, olen, line + nl + 1, len - nl - 1);
    return 1;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
    fetch_xfer *x = ud;
    size_t len = size * nitems;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new status line starts a new response (redirect hop or 1xx): forget the old one. */
        x->status = 0;
        x->reason[0] = x->etag[0] = x->last_modified[0] = '\0';
        const char *sp = memchr(line, ' ', len);
        if (sp) {
            size_t rest = len - (size_t)(sp + 1 - line);
            long code = 0;
            size_t i = 0;
            while (i < rest && isdigit((unsigned char)sp[1 + i]) && i < 3)
                code = code * 10 + (sp[1 + i++] - '0');
            x->status = code;
            if (i < rest) copy_trimmed(x->reason, sizeof x->reason, sp + 1 + i, rest - i);
        }
        return len;
    }
    if (!header_is(line, len, "etag", x->etag, sizeof x->etag))
        header_is(line, len, "last-modified", x->last_modified, sizeof x->last_modified);
    return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    fetch_xfer *x = ud;
    size_t len = size * nmemb;
    if (x->status < 200 || x->status >= 300) return len; /* error pages are not the dataset */
    if (len && fwrite(data, 1, len, x->fp) != len) {
        x->write_errno = errno ? errno : EIO;
        return 0;
    }
    x->written += (long long)len;
    return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    fetch_xfer *x = ud;
    (void)ultotal;
    (void)ulnow;
    size_t done = dlnow > 0 ? (size_t)dlnow : 0;
    size_t total = dltotal > 0 ? (size_t)dltotal : 0;
    if (x->opt->progress(done, total, x->opt->progress_ud)) {
        x->cancelled = 1;
        return 1;
    }
    return 0;
}

/* Turns a failed curl_easy_perform into an LL_ENET (or LL_EIO / LL_ECANCELLED) message. */
static ll_status transfer_error(CURL *c, CURLcode rc, const fetch_xfer *x, const char *errbuf,
                                const char *shown, const char *tmp, long timeout_s, long connect_s,
                                long stall_s, ll_error *err)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (x->cancelled || rc == CURLE_ABORTED_BY_CALLBACK)
        return ll_error_set(err, LL_ECANCELLED, "download cancelled for %s", shown);
    if (x->write_errno)
        return ll_error_set(err, LL_EIO, "cannot write cache file '%s' for %s: %s", tmp, shown,
                            strerror(x->write_errno));
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return ll_error_set(err, LL_ENET, "cannot resolve host for %s (%s)", shown, detail);
    case CURLE_COULDNT_CONNECT: {
        long os_errno = 0;
        curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == ECONNREFUSED)
            return ll_error_set(err, LL_ENET, "connection refused for %s", shown);
        return ll_error_set(err, LL_ENET, "cannot connect for %s (%s)", shown, detail);
    }
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connect_us = 0;
        curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connect_us);
        if (strstr(detail, "too slow"))
            return ll_error_set(err, LL_ENET, "transfer stalled (under 1 byte/s for %ld s) for %s",
                                stall_s, shown);
        if (connect_us == 0)
            return ll_error_set(err, LL_ENET, "connection timed out after %ld s for %s", connect_s,
                                shown);
        return ll_error_set(err, LL_ENET, "transfer timed out after %ld s for %s", timeout_s,
                            shown);
    }
    case CURLE_PARTIAL_FILE: {
        curl_off_t got = 0, want = -1;
        curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &got);
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want);
        if (want >= 0)
            return ll_error_set(err, LL_ENET,
                                "truncated transfer: received %lld of %lld bytes for %s",
                                (long long)got, (long long)want, shown);
        return ll_error_set(err, LL_ENET, "truncated transfer after %lld bytes for %s",
                            (long long)got, shown);
    }
    case CURLE_TOO_MANY_REDIRECTS:
        return ll_error_set(err, LL_ENET, "too many redirects (more than %ld) for %s",
                            FETCH_MAX_REDIRS, shown);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return ll_error_set(err, LL_ENET, "redirected to a non-http(s) URL for %s (%s)", shown,
                            detail);
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return ll_error_set(err, LL_ENET, "connection lost for %s (%s)", shown, detail);
    default:
        return ll_error_set(err, LL_ENET, "%s for %s (%s)", curl_easy_strerror(rc), shown, detail);
    }
}

ll_status ll_fetch_cache_path(const char *url, const ll_fetch_options *opt, char *path_out,
                              size_t path_len, ll_error *err)
{
    char dir[FETCH_PATH_MAX], file[FETCH_PATH_MAX], meta[FETCH_PATH_MAX];
    if (!ll_fetch_is_url(url))
        return ll_error_set(err, LL_EINVAL, "not an http(s) URL: '%s'", url ? url : "(null)");
    if (!path_out || path_len == 0) return ll_error_set(err, LL_EINVAL, "no path buffer");
    ll_status st = cache_paths(url, opt, dir, file, meta, err);
    if (st != LL_OK) return st;
    if (strlen(file) >= path_len)
        return ll_error_set(err, LL_EINVAL, "path buffer too small for cache path '%s'", file);
    memcpy(path_out, file, strlen(file) + 1);
    return LL_OK;
}

ll_status ll_fetch_to_cache(const char *url, const ll_fetch_options *opt, char *path_out,
                            size_t path_len, ll_error *err)
{
    return ll_fetch_to_cache_ex(url, opt, path_out, path_len, NULL, err);
}

ll_status ll_fetch_to_cache_ex(const char *url, const ll_fetch_options *opt, char *path_out,
                               size_t path_len, ll_fetch_result *res, ll_error *err)
{
    static const ll_fetch_options defaults = {0};
    char dir[FETCH_PATH_MAX], file[FETCH_PATH_MAX], meta_path[FETCH_PATH_MAX];
    char tmp[FETCH_PATH_MAX + 32], shown[FETCH_URL_SHOW], errbuf[CURL_ERROR_SIZE];
    fetch_meta cached;
    fetch_xfer x;
    ll_status st;

    if (!opt) opt = &defaults;
    if (res) memset(res, 0, sizeof *res);
    if (path_out && path_len) path_out[0] = '\0';
    st = ll_fetch_cache_path(url, opt, file, sizeof file, err);
    if (st != LL_OK) return st;
    if (!path_out || strlen(file) >= path_len)
        return ll_error_set(err, LL_EINVAL, "path buffer too small for cache path '%s'", file);
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return ll_error_set(err, LL_EINVAL, "URL contains control characters");
    url_show(url, shown, sizeof shown);
    if ((st = cache_paths(url, opt, dir, file, meta_path, err)) != LL_OK) return st;
    if ((st = mkdir_private(dir, err)) != LL_OK) return st;

    /* Only a sidecar whose size matches the file vouches for it: a crash between the data and
     * the metadata rename leaves a mismatch, which forces a clean download. */
    struct stat sb;
    int have_cache = meta_load(meta_path, url, &cached) && stat(file, &sb) == 0 &&
                     S_ISREG(sb.st_mode) && (long long)sb.st_size == cached.size;

    pthread_once(&fetch_curl_once, fetch_curl_init);
    if (fetch_curl_init_rc != CURLE_OK)
        return ll_error_set(err, LL_ENET, "cannot initialise libcurl (%s) for %s",
                            curl_easy_strerror(fetch_curl_init_rc), shown);

    long timeout_s = opt->timeout_s > 0 ? opt->timeout_s : FETCH_TIMEOUT_S;
    long connect_s = opt->connect_timeout_s > 0 ? opt->connect_timeout_s : FETCH_CONNECT_TIMEOUT_S;
    long stall_s = opt->stall_timeout_s > 0 ? opt->stall_timeout_s : FETCH_STALL_S;
    if (stall_s > timeout_s) stall_s = timeout_s;

    snprintf(tmp, sizeof tmp, "%s/.download-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ll_error_set(err, LL_EIO, "cannot create file in cache directory '%s': %s", dir,
                            strerror(errno));
    memset(&x, 0, sizeof x);
    x.opt = opt;
    x.fp = fdopen(fd, "wb");
    if (!x.fp) {
        close(fd);
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    }

    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    if (!c) {
        fclose(x.fp);
        unlink(tmp);
        return ll_error_set(err, LL_ENOMEM, "cannot create a libcurl handle for %s", shown);
    }
    if (have_cache) {
        char h[700];
        if (cached.etag[0]) {
            snprintf(h, sizeof h, "If-None-Match: %s", cached.etag);
            hdrs = curl_slist_append(hdrs, h);
        }
        if (cached.last_modified[0]) {
            snprintf(h, sizeof h, "If-Modified-Since: %s", cached.last_modified);
            struct curl_slist *n = curl_slist_append(hdrs, h);
            if (n) hdrs = n;
        }
    }
    errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, FETCH_MAX_REDIRS);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "lendlab/" LL_VERSION);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* signals would not be thread-safe */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    if (hdrs) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (opt->progress) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }

    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_off_t content_length = -1;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
    if (res) {
        res->http_status = status;
        res->bytes = x.written;
    }

    if (rc != CURLE_OK) {
        st = transfer_error(c, rc, &x, errbuf, shown, tmp, timeout_s, connect_s, stall_s, err);
    } else if (status == 304 && have_cache) {
        st = LL_OK;
    } else if (status >= 400) {
        const char *reason = x.reason[0] ? x.reason : status_reason(status);
        st = ll_error_set(err, LL_ENET, "HTTP %ld%s%s for %s", status, reason[0] ? " " : "", reason,
                          shown);
    } else if (status < 200 || status >= 300 || status == 206) {
        st = ll_error_set(err, LL_ENET, "unexpected HTTP status %ld for %s", status, shown);
    } else if (content_length >= 0 && (long long)content_length != x.written) {
        st = ll_error_set(err, LL_ENET, "truncated transfer: received %lld of %lld bytes for %s",
                          x.written, (long long)content_length, shown);
    } else {
        st = LL_OK;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);

    int downloaded = st == LL_OK && status != 304;
    if (!downloaded) {
        fclose(x.fp);
        unlink(tmp);
    } else if (close_synced(x.fp) != 0 || (unlink(meta_path) != 0 && errno != ENOENT) ||
               rename(tmp, file) != 0) {
        /* The old sidecar goes first: a crash before the new one is written then leaves no
         * validators for the new file, rather than stale ones. */
        int e = errno;
        unlink(tmp);
        return ll_error_set(err, LL_EIO, "cannot store download of %s in '%s': %s", shown, file,
                            strerror(e));
    }
    if (st != LL_OK) return st;

    fetch_meta m;
    memset(&m, 0, sizeof m);
    if (downloaded) {
        snprintf(m.etag, sizeof m.etag, "%s", x.etag);
        snprintf(m.last_modified, sizeof m.last_modified, "%s", x.last_modified);
        m.size = x.written;
    } else {
        /* A 304 may carry fresher validators; keep them for the next revalidation. */
        m = cached;
        if (x.etag[0]) snprintf(m.etag, sizeof m.etag, "%s", x.etag);
        if (x.last_modified[0])
            snprintf(m.last_modified, sizeof m.last_modified, "%s", x.last_modified);
    }
    if (downloaded || x.etag[0] || x.last_modified[0]) {
        st = meta_save(dir, meta_path, url, &m, err);
        if (st != LL_OK) return st;
    }
    fsync_dir(dir); /* best effort: makes both renames durable */
    if (res) res->from_cache = !downloaded;
    memcpy(path_out, file, strlen(file) + 1);
    return LL_OK;
}
