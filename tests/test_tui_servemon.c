/* Unit tests for the Serve screen's reading of /metrics: parsing, rates, latency quantiles. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "servemon.h"

/* What a server answered after GET /ping, one /invocations of 3 rows and a 404, during the
 * scrape (its own /metrics request in flight, an earlier scrape counted). */
static const char metrics[] =
    "# HELP lendlab_http_requests_total HTTP requests answered, by endpoint and status code.\n"
    "# TYPE lendlab_http_requests_total counter\n"
    "lendlab_http_requests_total{endpoint=\"/ping\",code=\"200\"} 1\n"
    "lendlab_http_requests_total{endpoint=\"/metrics\",code=\"200\"} 7\n"
    "lendlab_http_requests_total{endpoint=\"/invocations\",code=\"200\"} 1\n"
    "lendlab_http_requests_total{endpoint=\"other\",code=\"404\"} 1\n"
    "lendlab_http_request_errors_total{endpoint=\"other\",code=\"404\"} 1\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/ping\",le=\"0.0005\"} 1\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/ping\",le=\"0.001\"} 1\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/ping\",le=\"+Inf\"} 1\n"
    "lendlab_http_request_duration_seconds_sum{endpoint=\"/ping\"} 4.4055e-05\n"
    "lendlab_http_request_duration_seconds_count{endpoint=\"/ping\"} 1\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/metrics\",le=\"0.0005\"} 7\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/metrics\",le=\"0.001\"} 7\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/metrics\",le=\"+Inf\"} 7\n"
    "lendlab_http_request_duration_seconds_sum{endpoint=\"/metrics\"} 0.001\n"
    "lendlab_http_request_duration_seconds_count{endpoint=\"/metrics\"} 7\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/invocations\",le=\"0.0005\"} 1\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/invocations\",le=\"0.001\"} 1\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"/invocations\",le=\"+Inf\"} 1\n"
    "lendlab_http_request_duration_seconds_sum{endpoint=\"/invocations\"} 0.000174285\n"
    "lendlab_http_request_duration_seconds_count{endpoint=\"/invocations\"} 1\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"other\",le=\"0.0005\"} 0\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"other\",le=\"0.001\"} 1\n"
    "lendlab_http_request_duration_seconds_bucket{endpoint=\"other\",le=\"+Inf\"} 1\n"
    "lendlab_http_request_duration_seconds_sum{endpoint=\"other\"} 0.0007\n"
    "lendlab_http_request_duration_seconds_count{endpoint=\"other\"} 1\n"
    "lendlab_rows_scored_total 3\n"
    "lendlab_requests_in_flight 1\n"
    "lendlab_model_reloads_total 0\n"
    "lendlab_model_loaded 1\n"
    "lendlab_model_version{name=\"credit-risk\",alias=\"staging\"} 2\n"
    "lendlab_model_info{name=\"credit-risk\",version=\"2\",alias=\"staging\",run_id=\"79cfb5bb\","
    "kind=\"logreg\",uri=\"models:/credit-risk@staging\"} 1\n"
    "lendlab_build_info{version=\"0.1.0\"} 1\n";

static void test_parse(void **state)
{
    (void)state;
    tui_serve_sample s;
    memset(&s, 0, sizeof s);
    s.t_ms = 1234;
    assert_int_equal(tui_serve_parse(metrics, strlen(metrics), &s), 0);
    assert_true(s.t_ms == 1234);
    assert_true(s.requests == 3); /* the 7 scrapes are not traffic */
    assert_true(s.errors == 1);
    assert_true(s.errors_4xx == 1);
    assert_true(s.errors_5xx == 0);
    assert_true(s.rows == 3);
    assert_true(s.inflight == 0); /* the scrape in flight */
    assert_true(s.loaded);
    assert_int_equal(s.version, 2);
    assert_string_equal(s.name, "credit-risk");
    assert_string_equal(s.alias, "staging");
    assert_string_equal(s.kind, "logreg");
    assert_string_equal(s.uri, "models:/credit-risk@staging");
    /* buckets summed over the endpoints, ascending, +Inf last */
    assert_int_equal(s.nb, 3);
    assert_true(s.le[0] == 0.0005 && s.cum[0] == 2);
    assert_true(s.le[1] == 0.001 && s.cum[1] == 3);
    assert_true(isinf(s.le[2]) && s.cum[2] == 3);
    assert_true(s.lat_count == 3);
    assert_true(fabs(s.lat_sum - (4.4055e-05 + 0.000174285 + 0.0007)) < 1e-15);
    assert_int_equal(s.nep, 3);
    assert_string_equal(s.ep[0].name, "/ping");
    assert_string_equal(s.ep[2].name, "other");
    assert_true(s.ep[2].errors == 1);
    /* not lendlab's metrics */
    const char *other = "# nothing\nup 1\n";
    assert_int_equal(tui_serve_parse(other, strlen(other), &s), -1);
    /* escapes in label values */
    const char *esc = "lendlab_model_info{name=\"a\\\"b\\\\c\",alias=\"\"} 1\n";
    assert_int_equal(tui_serve_parse(esc, strlen(esc), &s), 0);
    assert_string_equal(s.name, "a\"b\\c");
}

static tui_serve_sample hist(double t, double c1, double c10, double cinf, double req)
{
    tui_serve_sample s;
    memset(&s, 0, sizeof s);
    s.t_ms = t;
    s.nb = 3;
    s.le[0] = 0.001;
    s.le[1] = 0.01;
    s.le[2] = INFINITY;
    s.cum[0] = c1;
    s.cum[1] = c10;
    s.cum[2] = cinf;
    s.requests = req;
    s.errors = req / 5;
    return s;
}

static void test_rates_and_quantiles(void **state)
{
    (void)state;
    tui_serve_sample a = hist(1000, 2, 2, 2, 5), b = hist(3000, 4, 10, 12, 25);
    assert_true(tui_serve_rate(&a, &b) == 10);      /* 20 requests in 2 s */
    assert_true(tui_serve_error_rate(&a, &b) == 2); /* 4 errors in 2 s */
    assert_true(isnan(tui_serve_rate(&b, &a)));     /* time backwards */
    tui_serve_sample restarted = hist(4000, 0, 0, 0, 1);
    assert_true(isnan(tui_serve_rate(&b, &restarted)));
    /* between a and b: 2 requests <= 1 ms, 6 more <= 10 ms, 2 beyond: 10 in all */
    assert_true(fabs(tui_serve_quantile(&a, &b, 0.5) - 0.0055) < 1e-12); /* 1 + 9 * 3/6 ms */
    assert_true(fabs(tui_serve_quantile(&a, &b, 0.1) - 0.0005) < 1e-12);
    assert_true(tui_serve_quantile(&a, &b, 0.95) == 0.01); /* in +Inf: the last finite bound */
    /* since the start: 4 of 12 <= 1 ms, 10 <= 10 ms */
    assert_true(fabs(tui_serve_quantile(NULL, &b, 0.5) - (0.001 + 0.009 * 2 / 6)) < 1e-12);
    /* no request in the window */
    assert_true(isnan(tui_serve_quantile(&b, &b, 0.5)));
    tui_serve_sample empty;
    memset(&empty, 0, sizeof empty);
    assert_true(isnan(tui_serve_quantile(NULL, &empty, 0.5)));
}

static void test_fmt_latency(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(tui_serve_fmt_latency(0.00025, b, sizeof b), "0.25 ms");
    assert_string_equal(tui_serve_fmt_latency(0.0123, b, sizeof b), "12.3 ms");
    assert_string_equal(tui_serve_fmt_latency(1.25, b, sizeof b), "1.25 s");
    assert_string_equal(tui_serve_fmt_latency(NAN, b, sizeof b), "-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_rates_and_quantiles),
        cmocka_unit_test(test_fmt_latency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
