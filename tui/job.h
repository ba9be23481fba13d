/* job: worker-thread jobs whose progress reaches the UI thread through a queue and a pipe. */
#ifndef TUI_JOB_H
#define TUI_JOB_H

#include <pthread.h>
#include <stddef.h>

typedef struct tui_job tui_job;
typedef struct tui_jobs tui_jobs;

/* Work done on the worker thread; returns a result handed to the done callback. It reports
 * with tui_job_progress and checks tui_job_cancelled (or passes tui_job_cancel_flag on). */
typedef void *(*tui_job_fn)(tui_job *job, void *arg);
/* Called on the UI thread (from tui_jobs_drain) once the worker has finished; owns result. */
typedef void (*tui_job_done_fn)(tui_job *job, void *result, void *ud);

struct tui_job {
    unsigned id;
    char name[128];
    volatile int cancel; /* set by the UI thread, read by the worker */
    /* UI-thread copies of the latest progress, updated by tui_jobs_drain */
    double progress; /* 0..1, or negative when unknown */
    char stage[96];
    /* private */
    tui_jobs *owner;
    pthread_t thread;
    tui_job_fn fn;
    void *arg;
    tui_job_done_fn done;
    void *ud;
    double last_sent;  /* worker side: progress of the last event sent */
    long long last_ms; /* worker side: time of the last event sent */
    char last_stage[96];
    tui_job *next;
};

typedef enum { TUI_EV_PROGRESS = 0, TUI_EV_DONE } tui_event_kind;

typedef struct {
    tui_job *job;
    tui_event_kind kind;
    double progress;
    char stage[96];
    void *result;
} tui_event;

struct tui_jobs {
    pthread_mutex_t mu; /* guards the queue */
    tui_event *q;
    size_t qn, qcap;
    int pipe[2];   /* [0] polled by the UI thread, [1] written by workers */
    tui_job *list; /* running jobs (UI thread only) */
    unsigned next_id;
};

/* Set up the queue and the wake-up pipe (non-blocking, close-on-exec). Returns 0 or -1. */
int tui_jobs_init(tui_jobs *J);
/* Cancel every job, wait for the workers and release everything (done callbacks still run,
 * so results are freed). */
void tui_jobs_destroy(tui_jobs *J);
/* The descriptor to poll for readability. */
int tui_jobs_fd(const tui_jobs *J);
/* Write one wake-up byte (async-signal-safe; a full pipe already means "wake up"). */
void tui_jobs_wake_fd(int fd);

/* Start fn(job, arg) on a new worker thread (signals blocked there). done(job, result, ud)
 * runs later on the UI thread. Returns the job, or NULL when the thread could not start. */
tui_job *tui_job_start(tui_jobs *J, const char *name, tui_job_fn fn, void *arg,
                       tui_job_done_fn done, void *ud);
/* Worker side: report progress (0..1, negative = unknown) and the current stage. Events are
 * throttled (a change of 1% or of stage, or 100 ms) and coalesced in the queue. */
void tui_job_progress(tui_job *job, double progress, const char *stage);
/* Worker side: non-zero once the job was cancelled. */
int tui_job_cancelled(const tui_job *job);
/* The cancel flag, for core functions taking `const volatile int *cancel`. */
const volatile int *tui_job_cancel_flag(const tui_job *job);

/* UI side: empty the pipe, apply queued progress to the jobs and finish completed ones
 * (join, done callback, free). Returns the number of events handled. */
size_t tui_jobs_drain(tui_jobs *J);
/* Number of running jobs, and the first one (NULL when none). */
size_t tui_jobs_running(const tui_jobs *J);
tui_job *tui_jobs_first(const tui_jobs *J);
/* Ask every running job to stop. */
void tui_jobs_cancel_all(tui_jobs *J);
/* True while job (compared by address and id) is still running. */
int tui_jobs_alive(const tui_jobs *J, const tui_job *job, unsigned id);

#endif
