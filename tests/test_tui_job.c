/* Unit tests for worker jobs: progress through the queue and the wake-up pipe, completion on
 * the draining thread, cancellation. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "job.h"

typedef struct {
    int done_calls;
    long result_sum;
    double last_progress_seen;
    pthread_t drainer;
    int done_on_drainer;
} probe;

static void *count_worker(tui_job *job, void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 1; i <= n; i++) {
        tui_job_progress(job, (double)i / (double)n, i < n ? "counting" : "last");
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    long *r = malloc(sizeof *r);
    *r = n;
    return r;
}

static void on_done(tui_job *job, void *result, void *ud)
{
    probe *p = ud;
    p->done_calls++;
    p->result_sum += *(long *)result;
    p->last_progress_seen = job->progress;
    p->done_on_drainer = pthread_equal(pthread_self(), p->drainer);
    free(result);
}

/* Poll the wake-up pipe like the UI loop does until no job runs (or 5 s pass). */
static void run_loop(tui_jobs *J, size_t *events)
{
    for (int i = 0; i < 500 && tui_jobs_running(J); i++) {
        struct pollfd pf = {tui_jobs_fd(J), POLLIN, 0};
        if (poll(&pf, 1, 10) > 0) *events += tui_jobs_drain(J);
    }
}

static void test_progress_and_done(void **state)
{
    (void)state;
    tui_jobs J;
    assert_int_equal(tui_jobs_init(&J), 0);
    probe p;
    memset(&p, 0, sizeof p);
    p.drainer = pthread_self();
    tui_job *a = tui_job_start(&J, "a", count_worker, (void *)(intptr_t)200, on_done, &p);
    tui_job *b = tui_job_start(&J, "b", count_worker, (void *)(intptr_t)50, on_done, &p);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->name, "a");
    assert_true(a->id != b->id);
    assert_int_equal(tui_jobs_running(&J), 2);
    assert_ptr_equal(tui_jobs_first(&J), a); /* the oldest */
    assert_true(tui_jobs_alive(&J, a, a->id));
    size_t events = 0;
    run_loop(&J, &events);
    assert_int_equal(tui_jobs_running(&J), 0);
    assert_int_equal(p.done_calls, 2);
    assert_int_equal(p.result_sum, 250);
    assert_true(p.done_on_drainer); /* callbacks run on the thread that drains */
    /* throttled and coalesced: far fewer events than the 250 progress calls, at least DONE x2 */
    assert_true(events >= 2);
    assert_true(events < 250);
    tui_jobs_destroy(&J);
}

static void *wait_cancel(tui_job *job, void *arg)
{
    (void)arg;
    for (int i = 0; i < 5000 && !tui_job_cancelled(job); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    long *r = malloc(sizeof *r);
    *r = *tui_job_cancel_flag(job) ? -1 : 1;
    return r;
}

static void test_cancel(void **state)
{
    (void)state;
    tui_jobs J;
    assert_int_equal(tui_jobs_init(&J), 0);
    probe p;
    memset(&p, 0, sizeof p);
    p.drainer = pthread_self();
    tui_job *j = tui_job_start(&J, "long", wait_cancel, NULL, on_done, &p);
    assert_non_null(j);
    tui_jobs_cancel_all(&J);
    size_t events = 0;
    run_loop(&J, &events);
    assert_int_equal(p.done_calls, 1);
    assert_int_equal(p.result_sum, -1);
    /* destroy cancels and joins jobs still running; their done callbacks still run */
    tui_job_start(&J, "never drained", wait_cancel, NULL, on_done, &p);
    tui_jobs_destroy(&J);
    assert_int_equal(p.done_calls, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_and_done),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
