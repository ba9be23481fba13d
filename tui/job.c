/* job: worker-thread jobs whose progress reaches the UI thread through a queue and a pipe. */
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tui_jobs_init(tui_jobs *J)
{
    memset(J, 0, sizeof *J);
    if (pipe(J->pipe)) return -1;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(J->pipe[i], F_GETFL);
        fcntl(J->pipe[i], F_SETFL, fl | O_NONBLOCK);
        fcntl(J->pipe[i], F_SETFD, FD_CLOEXEC);
    }
    pthread_mutex_init(&J->mu, NULL);
    J->next_id = 1;
    return 0;
}

int tui_jobs_fd(const tui_jobs *J)
{
    return J->pipe[0];
}

void tui_jobs_wake_fd(int fd)
{
    char b = 1;
    ssize_t r = write(fd, &b, 1);
    (void)r; /* EAGAIN: the pipe is full, the reader will wake up anyway */
}

/* Append an event, or overwrite the job's queued progress event (the UI only needs the
 * latest one). Called with the mutex held. */
static int queue_push(tui_jobs *J, const tui_event *ev)
{
    if (ev->kind == TUI_EV_PROGRESS) {
        for (size_t i = J->qn; i-- > 0;) {
            if (J->q[i].job != ev->job) continue;
            if (J->q[i].kind == TUI_EV_PROGRESS) {
                J->q[i] = *ev;
                return 0;
            }
            break;
        }
    }
    if (J->qn == J->qcap) {
        size_t nc = J->qcap ? J->qcap * 2 : 16;
        tui_event *nq = realloc(J->q, nc * sizeof *nq);
        if (!nq) return -1;
        J->q = nq;
        J->qcap = nc;
    }
    J->q[J->qn++] = *ev;
    return 0;
}

static void post(tui_jobs *J, const tui_event *ev)
{
    pthread_mutex_lock(&J->mu);
    int r = queue_push(J, ev);
    pthread_mutex_unlock(&J->mu);
    if (r && ev->kind == TUI_EV_DONE) {
        /* cannot queue the completion: wait for memory rather than lose the job */
        for (;;) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&J->mu);
            r = queue_push(J, ev);
            pthread_mutex_unlock(&J->mu);
            if (!r) break;
        }
    }
    tui_jobs_wake_fd(J->pipe[1]);
}

static void *worker_main(void *p)
{
    tui_job *job = p;
    void *result = job->fn(job, job->arg);
    tui_event ev;
    memset(&ev, 0, sizeof ev);
    ev.job = job;
    ev.kind = TUI_EV_DONE;
    ev.progress = 1.0;
    ev.result = result;
    post(job->owner, &ev);
    return NULL;
}

tui_job *tui_job_start(tui_jobs *J, const char *name, tui_job_fn fn, void *arg,
                       tui_job_done_fn done, void *ud)
{
    tui_job *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->id = J->next_id++;
    snprintf(job->name, sizeof job->name, "%s", name);
    job->owner = J;
    job->fn = fn;
    job->arg = arg;
    job->done = done;
    job->ud = ud;
    job->progress = -1;
    job->last_sent = -2;
    /* workers never take asynchronous signals: SIGINT, SIGWINCH... belong to the UI thread */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGABRT);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&job->thread, NULL, worker_main, job);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        free(job);
        return NULL;
    }
    job->next = J->list;
    J->list = job;
    return job;
}

void tui_job_progress(tui_job *job, double progress, const char *stage)
{
    long long t = now_ms();
    const char *st = stage ? stage : "";
    int stage_changed = strcmp(st, job->last_stage) != 0;
    double d = progress - job->last_sent;
    if (!stage_changed && d < 0.01 && d > -0.01 && t - job->last_ms < 100) return;
    job->last_sent = progress;
    job->last_ms = t;
    snprintf(job->last_stage, sizeof job->last_stage, "%s", st);
    tui_event ev;
    memset(&ev, 0, sizeof ev);
    ev.job = job;
    ev.kind = TUI_EV_PROGRESS;
    ev.progress = progress;
    snprintf(ev.stage, sizeof ev.stage, "%s", st);
    post(job->owner, &ev);
}

int tui_job_cancelled(const tui_job *job)
{
    return job->cancel != 0;
}

const volatile int *tui_job_cancel_flag(const tui_job *job)
{
    return &job->cancel;
}

static void finish(tui_jobs *J, tui_job *job, void *result)
{
    pthread_join(job->thread, NULL);
    for (tui_job **pp = &J->list; *pp; pp = &(*pp)->next) {
        if (*pp == job) {
            *pp = job->next;
            break;
        }
    }
    if (job->done) job->done(job, result, job->ud);
    free(job);
}

size_t tui_jobs_drain(tui_jobs *J)
{
    char buf[256];
    while (read(J->pipe[0], buf, sizeof buf) > 0) {
    }
    pthread_mutex_lock(&J->mu);
    tui_event *q = J->q;
    size_t n = J->qn;
    J->q = NULL;
    J->qn = J->qcap = 0;
    pthread_mutex_unlock(&J->mu);
    for (size_t i = 0; i < n; i++) {
        tui_event *ev = &q[i];
        if (ev->kind == TUI_EV_PROGRESS) {
            ev->job->progress = ev->progress;
            snprintf(ev->job->stage, sizeof ev->job->stage, "%s", ev->stage);
        } else {
            finish(J, ev->job, ev->result);
        }
    }
    free(q);
    return n;
}

size_t tui_jobs_running(const tui_jobs *J)
{
    size_t n = 0;
    for (const tui_job *j = J->list; j; j = j->next) n++;
    return n;
}

tui_job *tui_jobs_first(const tui_jobs *J)
{
    tui_job *last = J->list;
    while (last && last->next) last = last->next;
    return last; /* the oldest */
}

void tui_jobs_cancel_all(tui_jobs *J)
{
    for (tui_job *j = J->list; j; j = j->next) j->cancel = 1;
}

int tui_jobs_alive(const tui_jobs *J, const tui_job *job, unsigned id)
{
    for (const tui_job *j = J->list; j; j = j->next)
        if (j == job && j->id == id) return 1;
    return 0;
}

void tui_jobs_destroy(tui_jobs *J)
{
    tui_jobs_cancel_all(J);
    while (J->list) {
        tui_jobs_drain(J);
        if (!J->list) break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    tui_jobs_drain(J);
    free(J->q);
    J->q = NULL;
    close(J->pipe[0]);
    close(J->pipe[1]);
    pthread_mutex_destroy(&J->mu);
}
