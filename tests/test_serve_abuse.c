/* Unit tests for serve under abuse: slow and idle clients, connection limits, oversized and
 * malformed requests, answered over loopback by an in-process server on an ephemeral port. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "csv.h"
#include "model.h"
#include "payload.h"
#include "serve.h"

static ll_model *lr;
static char sample[8192];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ll_error err;
    ll_csv_options o = {0};
    ll_table *t;
    if (ll_csv_read_table("fixtures/lending_club_train.csv", &o, &t, NULL, &err)) return -1;
    ll_model_params p;
    ll_model_params_default(LL_MODEL_LOGREG, &p);
    ll_status st =
        ll_model_fit(LL_MODEL_LOGREG, &p, t, NULL, "Class", "bad", NULL, NULL, NULL, &lr, &err);
    ll_table_free(t);
    FILE *f = fopen("../data/sample_input.json", "rb");
    if (st || !f) return -1;
    size_t n = fread(sample, 1, sizeof sample - 1, f);
    sample[n] = '\0';
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ll_model_free(lr);
    curl_global_cleanup();
    return 0;
}

/* A served copy of the logistic regression (the server frees its model). */
static ll_serve_model *handle(void)
{
    char dir[] = "/tmp/test_serve_abuse_m.XXXXXX";
    ll_error err;
    if (!mkdtemp(dir) || ll_model_save(lr, dir, &err)) return NULL;
    ll_model_ref ref;
    memset(&ref, 0, sizeof ref);
    snprintf(ref.dir, sizeof ref.dir, "%s", dir);
    ll_serve_model *h = NULL;
    ll_status st = ll_serve_model_load(&ref, &h, &err);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return NULL;
    return st ? NULL : h;
}

static ll_server *start(ll_serve_options *o)
{
    o->port = 0;
    ll_server *s = NULL;
    ll_error err;
    assert_int_equal(ll_serve_start(o, handle(), &s, &err), LL_OK);
    return s;
}

/* ---------- clients ---------- */

typedef struct {
    long status;
    char body[1 << 16];
    size_t len;
    long connects;
    double secs;
} reply;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    size_t k = size * n;
    if (r->len + k >= sizeof r->body) k = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return size * n;
}

/* One request with libcurl (reusing h's connection when h is given); status < 0 on failure. */
static void http(CURL *h, int port, const char *path, const char *ct, const char *body, size_t len,
                 reply *r)
{
    CURL *c = h ? h : curl_easy_init();
    curl_easy_reset(c);
    memset(r, 0, sizeof *r);
    char url[512], cth[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct curl_slist *hdr = curl_slist_append(NULL, "Expect:");
    if (ct) {
        snprintf(cth, sizeof cth, "Content-Type: %s", ct);
        hdr = curl_slist_append(hdr, cth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    double t0 = now_s();
    CURLcode rc = curl_easy_perform(c);
    r->secs = now_s() - t0;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
    } else {
        r->status = -(long)rc;
    }
    curl_slist_free_all(hdr);
    if (!h) curl_easy_cleanup(c);
}

static void get(int port, const char *path, reply *r)
{
    http(NULL, port, path, NULL, NULL, 0, r);
}

/* A TCP connection to the server from address src (NULL: any), or -1. */
static int dial(int port, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    if (src) {
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a)) {
            close(fd);
            return -1;
        }
    }
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Sends one byte of drip every step_ms (none when drip is NULL) until the server closes the
 * connection or limit_s pass; returns the seconds it took, or -1 when it stayed open. Any
 * answer bytes read go to got (may be NULL). */
static double until_closed(int fd, const char *drip, long step_ms, double limit_s, char *got,
                           size_t gotcap)
{
    double t0 = now_s();
    size_t glen = 0, di = 0;
    while (now_s() - t0 < limit_s) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)step_ms) > 0) {
            char buf[4096];
            ssize_t k = recv(fd, buf, sizeof buf, 0);
            if (k <= 0) return now_s() - t0;
            if (got && glen + 1 < gotcap) {
                size_t c = (size_t)k < gotcap - 1 - glen ? (size_t)k : gotcap - 1 - glen;
                memcpy(got + glen, buf, c);
                glen += c;
                got[glen] = '\0';
            }
            continue;
        }
        if (drip && drip[di] && send(fd, drip + di++, 1, MSG_NOSIGNAL) != 1) return now_s() - t0;
    }
    return -1;
}

/* The value of the Prometheus sample named exactly line (name and labels), or -1. */
static long metric(int port, const char *line)
{
    reply *r = malloc(sizeof *r);
    get(port, "/metrics", r);
    long v = -1;
    size_t n = strlen(line);
    for (const char *p = r->body; (p = strstr(p, line)); p++)
        if ((p == r->body || p[-1] == '\n') && p[n] == ' ') {
            v = strtol(p + n + 1, NULL, 10);
            break;
        }
    free(r);
    return v;
}

#define CLOSED(reason) "lendlab_http_connections_closed_total{reason=\"" reason "\"}"

/* A long header line, sent a byte at a time. */
static const char drip_header[] =
    "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/* ---------- slow and idle clients ---------- */

static void test_slow_header_is_closed(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.read_timeout_s = 1;
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    int fd = dial(port, NULL);
    assert_true(fd >= 0);
    assert_int_equal(send_all(fd, "GET /ping HTTP/1.1\r\nHost: x\r\n", 29), 0);
    /* the idle timeout (30 s) never fires for a byte every 200 ms; the header deadline does */
    double t = until_closed(fd, drip_header, 200, 6, NULL, 0);
    close(fd);
    assert_true(t >= 0.9 && t < 3);
    reply r;
    get(port, "/ping", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(metric(port, CLOSED("header_timeout")), 1);
    assert_int_equal(metric(port, CLOSED("body_timeout")), 0);
    ll_serve_stop(s, 1);
}

static void test_silent_connection_is_closed(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.read_timeout_s = 1;
    ll_server *s = start(&o);
    int fd = dial(ll_serve_port(s), NULL);
    assert_true(fd >= 0);
    double t = until_closed(fd, NULL, 100, 6, NULL, 0);
    close(fd);
    assert_true(t >= 0.9 && t < 3);
    ll_serve_stop(s, 1);
}

static void test_slow_body_is_closed(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.read_timeout_s = 1;
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    int fd = dial(port, NULL);
    assert_true(fd >= 0);
    const char *h = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: 100000\r\n\r\n{";
    assert_int_equal(send_all(fd, h, strlen(h)), 0);
    static char spaces[64];
    memset(spaces, ' ', sizeof spaces - 1);
    /* 5 bytes/s: the deadline is 1 s + bytes / 1 KiB/s */
    double t = until_closed(fd, spaces, 200, 6, NULL, 0);
    close(fd);
    assert_true(t >= 0.9 && t < 3);
    assert_int_equal(metric(port, CLOSED("body_timeout")), 1);
    ll_serve_stop(s, 1);
}

static void test_keepalive_waits_under_idle_timeout(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.read_timeout_s = 1;
    o.timeout_s = 4;
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    CURL *h = curl_easy_init();
    reply r;
    http(h, port, "/ping", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.connects, 1);
    /* longer than the read timeout, shorter than the idle one: the connection is reused */
    sleep_ms(1800);
    http(h, port, "/invocations", "application/json", sample, strlen(sample), &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.connects, 0);
    curl_easy_cleanup(h);
    assert_int_equal(metric(port, CLOSED("header_timeout")), 0);
    ll_serve_stop(s, 1);
}

/* ---------- connection limits ---------- */

static void test_idle_connections_make_room_at_the_limit(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.max_connections = 16;
    o.max_per_ip = 0;
    o.read_timeout_s = 0; /* only the limit is at work */
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    int fds[16];
    for (int i = 0; i < 16; i++) assert_true((fds[i] = dial(port, NULL)) >= 0);
    sleep_ms(700);
    /* without room made, this would wait in the listen queue for the 30 s idle timeout */
    reply r;
    get(port, "/ping", &r);
    assert_int_equal(r.status, 200);
    assert_true(r.secs < 3);
    assert_true(metric(port, CLOSED("evicted")) >= 1);
    int gone = 0;
    for (int i = 0; i < 16; i++) {
        if (until_closed(fds[i], NULL, 1, 0.05, NULL, 0) >= 0) gone++;
        close(fds[i]);
    }
    assert_true(gone >= 1);
    ll_serve_stop(s, 1);
}

static void test_per_address_limit(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.max_per_ip = 4;
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    int fds[5];
    fds[0] = dial(port, "127.0.0.2");
    if (fds[0] < 0) {
        /* no second loopback address here: the limit is checked from 127.0.0.1 alone */
        ll_serve_stop(s, 1);
        skip();
    }
    for (int i = 1; i < 5; i++) assert_true((fds[i] = dial(port, "127.0.0.2")) >= 0);
    /* the fifth from that address is closed at once, the first four are kept */
    assert_true(until_closed(fds[4], NULL, 50, 2, NULL, 0) >= 0);
    assert_true(until_closed(fds[0], NULL, 50, 0.3, NULL, 0) < 0);
    reply r;
    get(port, "/ping", &r);
    assert_int_equal(r.status, 200);
    for (int i = 0; i < 5; i++) close(fds[i]);
    ll_serve_stop(s, 1);
}

static void test_stop_with_idle_connections(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    ll_server *s = start(&o);
    int fds[8];
    for (int i = 0; i < 8; i++) assert_true((fds[i] = dial(ll_serve_port(s), NULL)) >= 0);
    sleep_ms(100);
    double t0 = now_s();
    ll_serve_stop(s, 5);
    assert_true(now_s() - t0 < 2);
    for (int i = 0; i < 8; i++) close(fds[i]);
}

static void test_quiesce_at_the_limit(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.max_connections = 8;
    o.max_per_ip = 0;
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    /* at the limit the workers take the listening socket out of their epoll sets and put it
     * back as connections go; quiescing meanwhile must leave that descriptor open (a thread
     * sanitizer build flags a close here) while new connections are refused at once */
    int fds[8];
    for (int i = 0; i < 8; i++) assert_true((fds[i] = dial(port, NULL)) >= 0);
    sleep_ms(700);
    ll_serve_quiesce(s);
    double t0 = now_s();
    int fd = dial(port, NULL);
    assert_int_equal(fd, -1);
    assert_true(now_s() - t0 < 1);
    ll_serve_stop(s, 1);
    for (int i = 0; i < 8; i++) close(fds[i]);
}

/* ---------- oversized and malformed requests ---------- */

static void test_declared_length_over_limit(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.max_body = 4096;
    ll_server *s = start(&o);
    int fd = dial(ll_serve_port(s), NULL);
    assert_true(fd >= 0);
    const char *h = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: 1000000000\r\n\r\n";
    assert_int_equal(send_all(fd, h, strlen(h)), 0);
    /* answered before a byte of the body is sent, and closed */
    char got[4096] = "";
    double t = until_closed(fd, NULL, 50, 3, got, sizeof got);
    close(fd);
    assert_true(t >= 0 && t < 1.5);
    assert_non_null(strstr(got, "HTTP/1.1 413"));
    assert_non_null(strstr(got, "4096 bytes"));
    ll_serve_stop(s, 1);
}

/* Sends a chunked POST of nchunks chunks of 1 KiB with a pause after each; returns the bytes
 * sent before the connection closed, the answer in got. */
static size_t chunked_post(int port, int nchunks, char *got, size_t gotcap, int *closed)
{
    int fd = dial(port, NULL);
    assert_true(fd >= 0);
    const char *h = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(send_all(fd, h, strlen(h)), 0);
    char chunk[1100];
    memcpy(chunk, "400\r\n", 5);
    memset(chunk + 5, ' ', 1024);
    memcpy(chunk + 1029, "\r\n", 2);
    size_t sent = 0;
    double t0 = now_s();
    *closed = 0;
    for (int i = 0; i < nchunks && !*closed && now_s() - t0 < 5; i++) {
        if (send_all(fd, chunk, 1031))
            *closed = 1;
        else
            sent += 1024;
        /* a pause, so the server's close arrives before the socket buffers fill */
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5) > 0) {
            char buf[256];
            if (recv(fd, buf, sizeof buf, 0) <= 0) *closed = 1;
        }
    }
    if (!*closed && send_all(fd, "0\r\n\r\n", 5)) *closed = 1;
    if (!*closed) *closed = until_closed(fd, NULL, 50, 3, got, gotcap) < 0 ? 0 : 2;
    close(fd);
    return sent;
}

static void test_chunked_body_over_limit(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.max_body = 8192;
    ll_server *s = start(&o);
    /* 12 KiB in 12 pieces: past the limit but not past twice it, so the body is read to its
     * end and answered 413 (the first cut counted the kept part too and closed at 8 KiB) */
    char got[4096] = "";
    int closed = 0;
    size_t sent = chunked_post(ll_serve_port(s), 12, got, sizeof got, &closed);
    assert_int_equal(sent, 12 * 1024);
    assert_non_null(strstr(got, "HTTP/1.1 413"));
    assert_non_null(strstr(got, "8192 bytes"));
    ll_serve_stop(s, 1);
}

static void test_endless_chunked_body(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    o.max_body = 8192;
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    /* a body that runs on is dropped --max-body bytes past the limit: the connection closes
     * (up to 4 MiB are offered; before, all of it was read) */
    char got[4096] = "";
    int closed = 0;
    size_t sent = chunked_post(port, 4096, got, sizeof got, &closed);
    assert_int_equal(closed, 1);
    assert_true(sent < ((size_t)1 << 20));
    reply r;
    get(port, "/ping", &r);
    assert_int_equal(r.status, 200);
    ll_serve_stop(s, 1);
}

/* Every byte is UTF-8 and the text is JSON: what a client's parser needs. */
static int utf8_json(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : 4;
        if (c >= 0x80 && (c < 0xC2 || c > 0xF4)) return 0;
        if (i + k > n) return 0;
        for (size_t j = 1; j < k; j++)
            if (((unsigned char)s[i + j] & 0xC0) != 0x80) return 0;
        i += k - 1;
    }
    cJSON *j = cJSON_ParseWithLength(s, n);
    int ok = cJSON_IsObject(j);
    cJSON_Delete(j);
    return ok;
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    reply *r = malloc(sizeof *r);
    static const char *const bodies[] = {
        "{\"dataframe_split\": {\"columns\": [\"a\\u00e9\", \"x\xff\"], \"data\": [[1, 2]]}}",
        "{\"dataframe_records\": [{\"term\": \"term_36\xc3\x28\"}]}",
        "{\"inputs\": {\"int_rate\": \"7\xed\xa0\x80\"}}",
        "{\"instances\": [{\"sub_grade\": \"A4\xf8\x88\x80\x80\x80\"}]}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        http(NULL, port, "/invocations", "application/json", bodies[i], strlen(bodies[i]), r);
        assert_int_equal(r->status, 400);
        assert_true(utf8_json(r->body, r->len));
        assert_non_null(strstr(r->body, "\"error_code\": \"BAD_REQUEST\""));
        assert_non_null(strstr(r->body, "can't decode byte"));
    }
    const char *csv = "funded_amnt,te\xffrm\n1,2\n";
    http(NULL, port, "/invocations", "text/csv", csv, strlen(csv), r);
    assert_int_equal(r->status, 400);
    assert_true(utf8_json(r->body, r->len));
    /* texts echoed from the URL are made UTF-8 (U+FFFD) */
    get(port, "/%ff%fe", r);
    assert_int_equal(r->status, 404);
    assert_true(utf8_json(r->body, r->len));
    assert_non_null(strstr(r->body, "No endpoint /\\ufffd\\ufffd."));
    http(NULL, port, "/invocations?output=%ff", "application/json", sample, strlen(sample), r);
    assert_int_equal(r->status, 400);
    assert_true(utf8_json(r->body, r->len));
    free(r);
    ll_serve_stop(s, 1);
}

static void test_json_string_replaces_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\xff!", "\"a\\ufffd!\""},
        {"\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\""},           /* valid: kept */
        {"\xf0\x9f\x92\xb3", "\"\xf0\x9f\x92\xb3\""},             /* 4 bytes: kept */
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},                       /* overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},            /* a surrogate */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* past U+10FFFF */
        {"x\xe2\x82", "\"x\\ufffd\\ufffd\""},                     /* cut short */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *buf = NULL;
        size_t len = 0, cap = 0;
        assert_int_equal(ll_payload_json_string(&buf, &len, &cap, cases[i].in, strlen(cases[i].in)),
                         0);
        assert_string_equal(buf, cases[i].out);
        free(buf);
    }
}

static void test_nul_in_path_and_arguments(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    reply r;
    /* %00 used to end the path: "/ping%00x" answered as /ping */
    get(port, "/ping%00x", &r);
    assert_int_equal(r.status, 404);
    get(port, "/ping%00", &r);
    assert_int_equal(r.status, 404);
    get(port, "/%70ing", &r);
    assert_int_equal(r.status, 200);
    http(NULL, port, "/invocations?output=probability%00x", "application/json", sample,
         strlen(sample), &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "INVALID_PARAMETER_VALUE"));
    ll_serve_stop(s, 1);
}

static void test_huge_parameter_values(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    /* refused without converting them to int first (undefined behaviour, which the
     * sanitizer build reports) */
    static const char *const paths[] = {"/invocations?reasons=1e300", "/invocations?reasons=-1e300",
                                        "/invocations?reasons=2147483648",
                                        "/invocations?threshold=1e999"};
    reply *r = malloc(sizeof *r);
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        http(NULL, port, paths[i], "application/json", sample, strlen(sample), r);
        assert_int_equal(r->status, 400);
        assert_non_null(strstr(r->body, "INVALID_PARAMETER_VALUE"));
    }
    const char *body = "{\"inputs\": [], \"params\": {\"reasons\": 1e300}}";
    http(NULL, port, "/invocations", "application/json", body, strlen(body), r);
    assert_int_equal(r->status, 400);
    free(r);
    ll_serve_stop(s, 1);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    ll_serve_options o;
    ll_serve_options_default(&o);
    ll_server *s = start(&o);
    int port = ll_serve_port(s);
    size_t n = 100000;
    char *b = malloc(2 * n + 16);
    memcpy(b, "{\"inputs\": ", 11);
    memset(b + 11, '[', n);
    reply *r = malloc(sizeof *r);
    http(NULL, port, "/invocations", "application/json", b, 11 + n, r);
    assert_int_equal(r->status, 400);
    assert_true(utf8_json(r->body, r->len));
    memset(b, '[', n);
    memset(b + n, ']', n);
    http(NULL, port, "/invocations", "application/json", b, 2 * n, r);
    assert_int_equal(r->status, 400);
    assert_non_null(strstr(r->body, "JSONDecodeError"));
    get(port, "/ping", r);
    assert_int_equal(r->status, 200);
    free(b);
    free(r);
    ll_serve_stop(s, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_header_is_closed),
        cmocka_unit_test(test_silent_connection_is_closed),
        cmocka_unit_test(test_slow_body_is_closed),
        cmocka_unit_test(test_keepalive_waits_under_idle_timeout),
        cmocka_unit_test(test_idle_connections_make_room_at_the_limit),
        cmocka_unit_test(test_per_address_limit),
        cmocka_unit_test(test_stop_with_idle_connections),
        cmocka_unit_test(test_quiesce_at_the_limit),
        cmocka_unit_test(test_declared_length_over_limit),
        cmocka_unit_test(test_chunked_body_over_limit),
        cmocka_unit_test(test_endless_chunked_body),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_json_string_replaces_invalid_utf8),
        cmocka_unit_test(test_nul_in_path_and_arguments),
        cmocka_unit_test(test_huge_parameter_values),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
