/* Unit tests for fetch: downloads, revalidation and failures against a loopback HTTP server. */
#include <arpa/inet.h>
#include <dirent.h>
#include <ftw.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fetch.h"
#include "version.h"

#define BIG_SIZE     (1024 * 1024)
#define STALL_MAX_MS 6000

/* What the server serves and what it saw; guarded by mu (MHD runs a thread per connection). */
typedef struct {
    pthread_mutex_t mu;
    char body[256];
    char etag[64];
    char last_modified[64];
    int flaky_mode; /* /flaky.csv: 0 serve normally, 1 truncate, 2 HTTP 500, 3 HTTP 404 */
    int requests;
    int served_304;
    int saw_inm; /* last request carried If-None-Match */
    int saw_ims;
    char inm[128];
    char ims[128];
    char user_agent[128];
    volatile int quit; /* lets stalled responses end when the daemon stops */
} server_state;

static struct MHD_Daemon *daemon_;
static server_state srv = {.mu = PTHREAD_MUTEX_INITIALIZER};
static unsigned short port_;
static char big_body[BIG_SIZE];

static const char BODY_V1[] = "id,loan_amnt,default\n1,1000,0\n2,2500,1\n";
static const char BODY_V2[] = "id,loan_amnt,default\n1,1000,0\n2,2500,1\n3,4000,0\n";
static const char LM_V1[] = "Wed, 21 Oct 2015 07:28:00 GMT";

/* Per-test fixture: a private cache directory. */
typedef struct {
    char root[256];
    char cache[300];
    ll_fetch_options opt;
} fixture;

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t len,
                        int *seen)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    if (seen) *seen = v != NULL;
    snprintf(out, len, "%s", v ? v : "");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *body,
                             const char *etag, const char *lm, const char *location)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (etag && etag[0]) MHD_add_response_header(r, "ETag", etag);
    if (lm && lm[0]) MHD_add_response_header(r, "Last-Modified", lm);
    if (location) MHD_add_response_header(r, "Location", location);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* Declares 1000 bytes but sends 100, then drops the connection. */
static ssize_t truncated_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos >= 100) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = 100 - (size_t)pos < max ? 100 - (size_t)pos : max;
    memset(buf, 'x', n);
    return (ssize_t)n;
}

/* Sends the first cls bytes (0 or 10) of a declared 1000, then goes silent until the test
 * ends. */
static ssize_t stalling_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    size_t first = (size_t)(uintptr_t)cls;
    if (pos < first && max >= first) {
        memcpy(buf, "id,amount\n", first);
        return (ssize_t)first;
    }
    for (int ms = 0; ms < STALL_MAX_MS && !srv.quit; ms += 20) usleep(20 * 1000);
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

static enum MHD_Result reply_reader(struct MHD_Connection *c, MHD_ContentReaderCallback fn,
                                    size_t first)
{
    struct MHD_Response *r =
        MHD_create_response_from_callback(1000, 256, fn, (void *)(uintptr_t)first, NULL);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    char body[256], etag[64], lm[64];
    int flaky;
    pthread_mutex_lock(&srv.mu);
    srv.requests++;
    copy_header(c, "If-None-Match", srv.inm, sizeof srv.inm, &srv.saw_inm);
    copy_header(c, "If-Modified-Since", srv.ims, sizeof srv.ims, &srv.saw_ims);
    copy_header(c, "User-Agent", srv.user_agent, sizeof srv.user_agent, NULL);
    snprintf(body, sizeof body, "%s", srv.body);
    snprintf(etag, sizeof etag, "%s", srv.etag);
    snprintf(lm, sizeof lm, "%s", srv.last_modified);
    int inm_match = srv.saw_inm && strcmp(srv.inm, etag) == 0;
    int ims_match = srv.saw_ims && strcmp(srv.ims, lm) == 0;
    flaky = srv.flaky_mode;
    pthread_mutex_unlock(&srv.mu);

    if (strcmp(url, "/flaky.csv") == 0) {
        if (flaky == 1) return reply_reader(c, truncated_reader, 0);
        if (flaky == 2) return reply(c, 500, "boom", NULL, NULL, NULL);
        if (flaky == 3) return reply(c, 404, "gone", NULL, NULL, NULL);
        url = "/etag/data.csv";
    }
    if (strcmp(url, "/etag/data.csv") == 0 || strcmp(url, "/lm/data.csv") == 0) {
        int by_etag = url[1] == 'e';
        if (by_etag ? inm_match : ims_match) {
            pthread_mutex_lock(&srv.mu);
            srv.served_304++;
            pthread_mutex_unlock(&srv.mu);
            return reply(c, MHD_HTTP_NOT_MODIFIED, "", by_etag ? etag : NULL, by_etag ? NULL : lm,
                         NULL);
        }
        return reply(c, MHD_HTTP_OK, body, by_etag ? etag : NULL, by_etag ? NULL : lm, NULL);
    }
    if (strcmp(url, "/trunc.csv") == 0) return reply_reader(c, truncated_reader, 0);
    if (strcmp(url, "/stall.csv") == 0) return reply_reader(c, stalling_reader, 10);
    /* curl averages speed over about 5 s, so only a silent body shows a stall within 1 s */
    if (strcmp(url, "/hang.csv") == 0) return reply_reader(c, stalling_reader, 0);
    if (strcmp(url, "/redirect.csv") == 0)
        return reply(c, MHD_HTTP_FOUND, "moved", NULL, NULL, "/etag/data.csv");
    if (strcmp(url, "/loop.csv") == 0)
        return reply(c, MHD_HTTP_FOUND, "again", NULL, NULL, "/loop.csv");
    if (strcmp(url, "/big.bin") == 0) {
        struct MHD_Response *r =
            MHD_create_response_from_buffer(BIG_SIZE, big_body, MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
    }
    return reply(c, MHD_HTTP_NOT_FOUND, "no such file", NULL, NULL, NULL);
}

static int group_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < BIG_SIZE; i++) big_body[i] = (char)('a' + i % 26);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                         NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    if (!daemon_) return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || info->port == 0) return -1;
    port_ = info->port;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    srv.quit = 1;
    if (daemon_) MHD_stop_daemon(daemon_);
    return 0;
}

static void server_set(const char *body, const char *etag, const char *lm, int flaky)
{
    pthread_mutex_lock(&srv.mu);
    snprintf(srv.body, sizeof srv.body, "%s", body);
    snprintf(srv.etag, sizeof srv.etag, "%s", etag);
    snprintf(srv.last_modified, sizeof srv.last_modified, "%s", lm);
    srv.flaky_mode = flaky;
    pthread_mutex_unlock(&srv.mu);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->root, sizeof f->root, "/tmp/lendlab-fetch-XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    snprintf(f->cache, sizeof f->cache, "%s/cache", f->root);
    f->opt.cache_dir = f->cache;
    f->opt.timeout_s = 20;
    f->opt.connect_timeout_s = 5;
    pthread_mutex_lock(&srv.mu);
    srv.requests = srv.served_304 = srv.saw_inm = srv.saw_ims = 0;
    pthread_mutex_unlock(&srv.mu);
    server_set(BODY_V1, "\"v1\"", LM_V1, 0);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void url_for(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%u%s", (unsigned)port_, path);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    static char buf[BIG_SIZE + 1];
    size_t n = fread(buf, 1, BIG_SIZE, fp);
    fclose(fp);
    buf[n] = '\0';
    return buf;
}

/* Entries in the cache directory (a failed download must leave no temp file behind). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_is_url(void **state)
{
    (void)state;
    assert_true(ll_fetch_is_url("http://example.com/a.csv"));
    assert_true(ll_fetch_is_url("https://bucket.s3.amazonaws.com/a.csv?X-Amz-Signature=1"));
    assert_true(ll_fetch_is_url("HTTPS://example.com/"));
    assert_false(ll_fetch_is_url("data/lending_club.csv"));
    assert_false(ll_fetch_is_url("ftp://example.com/a.csv"));
    assert_false(ll_fetch_is_url("http:/example.com"));
    assert_false(ll_fetch_is_url("-"));
    assert_false(ll_fetch_is_url(""));
    assert_false(ll_fetch_is_url(NULL));
}

static void test_first_download(void **state)
{
    fixture *f = *state;
    char url[128], path[4096], meta[4200];
    ll_error err;
    ll_fetch_result res;
    snprintf(f->cache, sizeof f->cache, "%s/deep/cache", f->root); /* parents are created too */
    url_for(url, sizeof url, "/etag/data.csv");
    assert_int_equal(ll_fetch_to_cache_ex(url, &f->opt, path, sizeof path, &res, &err), LL_OK);
    assert_int_equal(res.http_status, 200);
    assert_int_equal(res.from_cache, 0);
    assert_int_equal(res.bytes, (long long)strlen(BODY_V1));
    assert_string_equal(slurp(path), BODY_V1);
    assert_true(strncmp(path, f->cache, strlen(f->cache)) == 0);
    assert_non_null(strstr(path, "-data.csv")); /* basename kept for readability */
    struct stat sb;
    assert_int_equal(stat(f->cache, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(meta, sizeof meta, "%s.meta", path);
    char *m = slurp(meta);
    assert_non_null(m);
    assert_non_null(strstr(m, "etag: \"v1\"\n"));
    assert_non_null(strstr(m, url));
    assert_non_null(strstr(m, "size: 39\n"));
    assert_int_equal(count_entries(f->cache), 2);
    assert_int_equal(srv.saw_inm, 0);
    assert_string_equal(srv.user_agent, "lendlab/" LL_VERSION);
    char again[4096];
    assert_int_equal(ll_fetch_cache_path(url, &f->opt, again, sizeof again, &err), LL_OK);
    assert_string_equal(again, path);
}

static void test_revalidate_etag(void **state)
{
    fixture *f = *state;
    char url[128], path[4096], path2[4096];
    ll_error err;
    ll_fetch_result res;
    url_for(url, sizeof url, "/etag/data.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_OK);
    assert_int_equal(ll_fetch_to_cache_ex(url, &f->opt, path2, sizeof path2, &res, &err), LL_OK);
    assert_string_equal(path, path2);
    assert_int_equal(res.http_status, 304);
    assert_int_equal(res.from_cache, 1);
    assert_int_equal(res.bytes, 0);
    assert_int_equal(srv.requests, 2);
    assert_int_equal(srv.served_304, 1);
    assert_int_equal(srv.saw_inm, 1);
    assert_string_equal(srv.inm, "\"v1\"");
    assert_string_equal(slurp(path), BODY_V1);
    assert_int_equal(count_entries(f->cache), 2);
}

static void test_revalidate_last_modified(void **state)
{
    fixture *f = *state;
    char url[128], path[4096];
    ll_error err;
    ll_fetch_result res;
    url_for(url, sizeof url, "/lm/data.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_OK);
    assert_int_equal(srv.saw_ims, 0);
    assert_int_equal(ll_fetch_to_cache_ex(url, &f->opt, path, sizeof path, &res, &err), LL_OK);
    assert_int_equal(res.http_status, 304);
    assert_int_equal(srv.saw_ims, 1);
    assert_string_equal(srv.ims, LM_V1);
    assert_int_equal(srv.saw_inm, 0); /* no ETag was ever given */
    assert_string_equal(slurp(path), BODY_V1);
}

static void test_content_changed(void **state)
{
    fixture *f = *state;
    char url[128], path[4096], meta[4200];
    ll_error err;
    ll_fetch_result res;
    url_for(url, sizeof url, "/etag/data.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_OK);
    server_set(BODY_V2, "\"v2\"", LM_V1, 0);
    assert_int_equal(ll_fetch_to_cache_ex(url, &f->opt, path, sizeof path, &res, &err), LL_OK);
    assert_int_equal(res.http_status, 200);
    assert_int_equal(res.from_cache, 0);
    assert_string_equal(srv.inm, "\"v1\"");
    assert_string_equal(slurp(path), BODY_V2);
    snprintf(meta, sizeof meta, "%s.meta", path);
    assert_non_null(strstr(slurp(meta), "etag: \"v2\"\n"));
    /* the next revalidation uses the new validator */
    assert_int_equal(ll_fetch_to_cache_ex(url, &f->opt, path, sizeof path, &res, &err), LL_OK);
    assert_int_equal(res.http_status, 304);
    assert_string_equal(srv.inm, "\"v2\"");
    assert_string_equal(slurp(path), BODY_V2);
    assert_int_equal(count_entries(f->cache), 2);
}

static void test_http_404(void **state)
{
    fixture *f = *state;
    char url[128], path[4096];
    ll_error err;
    url_for(url, sizeof url, "/missing.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_ENET);
    assert_int_equal(err.code, LL_ENET);
    assert_non_null(strstr(err.msg, "HTTP 404 Not Found"));
    assert_non_null(strstr(err.msg, url));
    assert_string_equal(path, "");
    assert_int_equal(count_entries(f->cache), 0);
}

static void test_connection_refused(void **state)
{
    fixture *f = *state;
    /* A port that was just free: bind, read it back, close, so nothing listens there. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
    close(s);
    char url[128], path[4096];
    ll_error err;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/data.csv", (unsigned)ntohs(sa.sin_port));
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_ENET);
    assert_non_null(strstr(err.msg, "connection refused"));
    assert_non_null(strstr(err.msg, url));
    assert_int_equal(count_entries(f->cache), 0);
}

static void test_dns_failure(void **state)
{
    fixture *f = *state;
    char path[4096];
    ll_error err;
    const char *url = "http://lendlab-no-such-host.invalid/data.csv";
    f->opt.connect_timeout_s = 3;
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_ENET);
    assert_non_null(strstr(err.msg, url));
    /* a resolver that cannot be reached times out instead of answering NXDOMAIN */
    assert_true(strstr(err.msg, "resolve") || strstr(err.msg, "timed out"));
}

static void test_truncated(void **state)
{
    fixture *f = *state;
    char url[128], path[4096];
    ll_error err;
    url_for(url, sizeof url, "/trunc.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_ENET);
    assert_non_null(strstr(err.msg, "truncated"));
    assert_non_null(strstr(err.msg, "of 1000 bytes"));
    assert_non_null(strstr(err.msg, url));
    assert_int_equal(count_entries(f->cache), 0);
}

static void test_timeout(void **state)
{
    fixture *f = *state;
    char url[128], path[4096];
    ll_error err;
    url_for(url, sizeof url, "/stall.csv");
    f->opt.timeout_s = 1;
    double t0 = now_s();
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_ENET);
    double dt = now_s() - t0;
    assert_true(dt >= 0.9 && dt < 4.0);
    assert_non_null(strstr(err.msg, "timed out"));
    assert_non_null(strstr(err.msg, url));
    assert_int_equal(count_entries(f->cache), 0);
}

static void test_stall_detected(void **state)
{
    fixture *f = *state;
    char url[128], path[4096];
    ll_error err;
    url_for(url, sizeof url, "/hang.csv");
    f->opt.timeout_s = 30;
    f->opt.stall_timeout_s = 1;
    double t0 = now_s();
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_ENET);
    assert_true(now_s() - t0 < 5.0);
    assert_non_null(strstr(err.msg, "stalled"));
    assert_non_null(strstr(err.msg, url));
    assert_int_equal(count_entries(f->cache), 0);
}

static void test_failed_refresh_keeps_cache(void **state)
{
    fixture *f = *state;
    char url[128], path[4096], path2[4096], meta[4200], meta_before[512];
    ll_error err;
    url_for(url, sizeof url, "/flaky.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_OK);
    snprintf(meta, sizeof meta, "%s.meta", path);
    const char *m = slurp(meta);
    assert_true(strlen(m) < sizeof meta_before);
    memcpy(meta_before, m, strlen(m) + 1);
    static const int modes[] = {1, 2, 3};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        server_set(BODY_V2, "\"v2\"", LM_V1, modes[i]);
        assert_int_equal(ll_fetch_to_cache(url, &f->opt, path2, sizeof path2, &err), LL_ENET);
        assert_non_null(strstr(err.msg, url));
        assert_string_equal(slurp(path), BODY_V1);
        assert_string_equal(slurp(meta), meta_before);
        assert_int_equal(count_entries(f->cache), 2);
    }
    assert_non_null(strstr(err.msg, "404"));
    /* once the server recovers the new content replaces the old */
    server_set(BODY_V2, "\"v2\"", LM_V1, 0);
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path2, sizeof path2, &err), LL_OK);
    assert_string_equal(path2, path);
    assert_string_equal(slurp(path), BODY_V2);
}

static void test_torn_cache_redownloads(void **state)
{
    fixture *f = *state;
    char url[128], path[4096];
    ll_error err;
    ll_fetch_result res;
    url_for(url, sizeof url, "/etag/data.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_OK);
    FILE *fp = fopen(path, "w"); /* damaged entry: size no longer matches the sidecar */
    assert_non_null(fp);
    fputs("id\n", fp);
    fclose(fp);
    assert_int_equal(ll_fetch_to_cache_ex(url, &f->opt, path, sizeof path, &res, &err), LL_OK);
    assert_int_equal(res.http_status, 200);
    assert_int_equal(srv.saw_inm, 0);
    assert_string_equal(slurp(path), BODY_V1);
}

static void test_redirects(void **state)
{
    fixture *f = *state;
    char url[128], path[4096];
    ll_error err;
    url_for(url, sizeof url, "/redirect.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_OK);
    assert_string_equal(slurp(path), BODY_V1);
    assert_non_null(strstr(path, "-redirect.csv"));
    url_for(url, sizeof url, "/loop.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_ENET);
    assert_non_null(strstr(err.msg, "too many redirects"));
    assert_non_null(strstr(err.msg, url));
}

typedef struct {
    size_t last_done, last_total, calls;
    int cancel_after_bytes;
} progress_log;

static int on_progress(size_t done, size_t total, void *ud)
{
    progress_log *p = ud;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return p->cancel_after_bytes && done > 0;
}

static void test_progress_and_cancel(void **state)
{
    fixture *f = *state;
    char url[128], path[4096];
    ll_error err;
    progress_log log = {0};
    f->opt.progress = on_progress;
    f->opt.progress_ud = &log;
    url_for(url, sizeof url, "/big.bin");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_OK);
    assert_true(log.calls > 0);
    assert_int_equal(log.last_done, BIG_SIZE);
    assert_int_equal(log.last_total, BIG_SIZE);
    assert_memory_equal(slurp(path), big_body, BIG_SIZE);

    /* cancelled part-way: nothing is kept */
    progress_log cancel = {.cancel_after_bytes = 1};
    f->opt.progress_ud = &cancel;
    url_for(url, sizeof url, "/stall.csv");
    double t0 = now_s();
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_ECANCELLED);
    assert_true(now_s() - t0 < 3.0);
    assert_non_null(strstr(err.msg, "cancelled"));
    assert_non_null(strstr(err.msg, url));
    assert_int_equal(count_entries(f->cache), 2); /* big.bin and its sidecar only */
}

static void test_signed_url(void **state)
{
    fixture *f = *state;
    char url_a[160], url_b[160], path_a[4096], path_b[4096];
    ll_error err;
    url_for(url_a, sizeof url_a, "/etag/data.csv?X-Amz-Signature=secretA&X-Amz-Expires=60");
    url_for(url_b, sizeof url_b, "/etag/data.csv?X-Amz-Signature=secretB&X-Amz-Expires=60");
    assert_int_equal(ll_fetch_to_cache(url_a, &f->opt, path_a, sizeof path_a, &err), LL_OK);
    assert_int_equal(ll_fetch_to_cache(url_b, &f->opt, path_b, sizeof path_b, &err), LL_OK);
    assert_string_not_equal(path_a, path_b); /* the whole URL is the cache key */
    assert_non_null(strstr(path_a, "-data.csv"));
    assert_null(strstr(path_a, "secret"));
    assert_string_equal(slurp(path_a), BODY_V1);
    /* error messages name the URL but not its credentials */
    url_for(url_a, sizeof url_a, "/missing.csv?X-Amz-Signature=secretA");
    assert_int_equal(ll_fetch_to_cache(url_a, &f->opt, path_a, sizeof path_a, &err), LL_ENET);
    assert_null(strstr(err.msg, "secretA"));
    assert_non_null(strstr(err.msg, "/missing.csv?..."));
    assert_int_equal(
        ll_fetch_to_cache("http://user:pw@127.0.0.1:1/x.csv", &f->opt, path_a, sizeof path_a, &err),
        LL_ENET);
    assert_null(strstr(err.msg, "pw"));
    assert_non_null(strstr(err.msg, "127.0.0.1:1/x.csv"));
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    char url[128], path[4096], tiny[8];
    ll_error err;
    assert_int_equal(ll_fetch_to_cache("data/x.csv", &f->opt, path, sizeof path, &err), LL_EINVAL);
    assert_int_equal(ll_fetch_to_cache("http://h/a\nb", &f->opt, path, sizeof path, &err),
                     LL_EINVAL);
    url_for(url, sizeof url, "/etag/data.csv");
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, tiny, sizeof tiny, &err), LL_EINVAL);
    assert_int_equal(srv.requests, 0);
}

static void test_default_cache_dir(void **state)
{
    fixture *f = *state;
    char url[128], path[4096], want[400];
    ll_error err;
    char *old_xdg = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    f->opt.cache_dir = NULL;
    url_for(url, sizeof url, "/etag/data.csv");

    snprintf(want, sizeof want, "%s/xdg", f->root);
    setenv("XDG_CACHE_HOME", want, 1);
    assert_int_equal(ll_fetch_to_cache(url, &f->opt, path, sizeof path, &err), LL_OK);
    snprintf(want, sizeof want, "%s/xdg/lendlab/", f->root);
    assert_true(strncmp(path, want, strlen(want)) == 0);
    struct stat sb;
    want[strlen(want) - 1] = '\0';
    assert_int_equal(stat(want, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);

    unsetenv("XDG_CACHE_HOME");
    snprintf(want, sizeof want, "%s/home", f->root);
    setenv("HOME", want, 1);
    assert_int_equal(ll_fetch_cache_path(url, &f->opt, path, sizeof path, &err), LL_OK);
    snprintf(want, sizeof want, "%s/home/.cache/lendlab/", f->root);
    assert_true(strncmp(path, want, strlen(want)) == 0);

    if (old_xdg) setenv("XDG_CACHE_HOME", old_xdg, 1);
    if (old_home) setenv("HOME", old_home, 1);
    free(old_xdg);
    free(old_home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_url),
        cmocka_unit_test_setup_teardown(test_first_download, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revalidate_etag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revalidate_last_modified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_404, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_refresh_keeps_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_cache_redownloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_cache_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
