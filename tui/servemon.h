/* servemon: a scoring server's own counters as the Serve screen shows them — /metrics read
 * over HTTP, parsed, turned into rates and latency percentiles. */
#ifndef TUI_SERVEMON_H
#define TUI_SERVEMON_H

#include <stddef.h>

#define TUI_SERVE_BUCKETS   24
#define TUI_SERVE_ENDPOINTS 8

/* One endpoint's counters (the server's label: "/ping", "/invocations", "other"...). */
typedef struct {
    char name[32];
    double requests, errors;
    double lat_sum, lat_count; /* seconds, requests */
} tui_serve_endpoint;

/* One reading of /metrics. The scrape's own request is left out: /metrics is not counted in
 * the totals, the latency histogram or in flight. */
typedef struct {
    double t_ms;     /* when it was taken (monotonic ms) */
    double requests; /* answered requests */
    double errors;   /* of those, status 400 and above */
    double errors_4xx, errors_5xx;
    size_t nb;                     /* latency buckets */
    double le[TUI_SERVE_BUCKETS];  /* upper bounds, ascending; the last is +Inf */
    double cum[TUI_SERVE_BUCKETS]; /* requests at or below each bound */
    double lat_sum, lat_count;     /* seconds, requests */
    tui_serve_endpoint ep[TUI_SERVE_ENDPOINTS];
    size_t nep;
    double rows, inflight, reloads;
    int loaded;
    long version;
    char name[256], alias[128], kind[32], run_id[64], uri[1024];
} tui_serve_sample;

/* Parse the text of lendlab's /metrics into s (t_ms left as it is). Returns 0, or -1 when
 * the text holds no lendlab counter. */
int tui_serve_parse(const char *text, size_t len, tui_serve_sample *s);
/* Requests and errors per second from a to b (b the later reading); NaN when the time
 * between them is not positive or a counter went down (a restarted server). */
double tui_serve_rate(const tui_serve_sample *a, const tui_serve_sample *b);
double tui_serve_error_rate(const tui_serve_sample *a, const tui_serve_sample *b);
/* Latency quantile q (0..1) in seconds of the requests answered between a and b (a NULL:
 * since the start), interpolated inside the bucket as Prometheus' histogram_quantile does;
 * a quantile in the +Inf bucket is the largest finite bound. NaN without requests. */
double tui_serve_quantile(const tui_serve_sample *a, const tui_serve_sample *b, double q);
/* A duration in seconds as "0.42 ms", "12.3 ms", "1.25 s"; NaN as "-". Returns buf. */
char *tui_serve_fmt_latency(double seconds, char *buf, size_t len);

/* GET url with libcurl within timeout_s: the body (malloc'd, NUL-terminated) and the HTTP
 * status. Returns 0, or -1 with a message in err (the server could not be reached). */
int tui_http_get(const char *url, double timeout_s, char **body, size_t *len, long *status,
                 char *err, size_t errlen);

#endif
