/* serve: the scoring server (MLflow's protocol over libmicrohttpd), hot-swappable models. */
#ifndef LL_SERVE_H
#define LL_SERVE_H

#include <stddef.h>

#include "error.h"
#include "model.h"
#include "modeluri.h"

/* A model as served: the model, its explainer, where it came from and its /model document.
 * Reference-counted, so requests in flight keep the model they started with across a swap. */
typedef struct ll_serve_model ll_serve_model;

/* Wrap a loaded model (taking ownership of m) with one reference. ref (may be NULL) says where
 * it came from. When the explainer cannot be built, output=full requests get a 400. */
ll_status ll_serve_model_new(ll_model *m, const ll_model_ref *ref, ll_serve_model **out,
                             ll_error *err);
/* Load the model at ref->dir and wrap it. */
ll_status ll_serve_model_load(const ll_model_ref *ref, ll_serve_model **out, ll_error *err);
/* Take / drop a reference; the last release frees the model. NULL is ignored. */
void ll_serve_model_retain(ll_serve_model *h);
void ll_serve_model_release(ll_serve_model *h);
const ll_model *ll_serve_model_get(const ll_serve_model *h);
/* Where the model came from (URI, registry name/version/alias, run, directory). */
const ll_model_ref *ll_serve_model_ref(const ll_serve_model *h);
/* The /model document (JSON text). */
const char *ll_serve_model_doc(const ll_serve_model *h);

typedef struct {
    const char *host;         /* address to bind, numeric or a name (default 127.0.0.1) */
    int port;                 /* 0 = any free port (see ll_serve_port) */
    int threads;              /* worker threads of the pool (default 2) */
    size_t max_body;          /* largest request body in bytes (default 16 MiB) */
    unsigned timeout_s;       /* idle connection timeout, 0 = none (default 30) */
    unsigned max_connections; /* concurrent connections (default 1024) */
    unsigned max_per_ip;      /* concurrent connections from one address, 0 = any (default 256) */
    unsigned read_timeout_s;  /* a request header must be complete this long after the connection
                                 opens (or timeout_s + this after the previous answer), and a body
                                 must average LL_SERVE_MIN_BODY_RATE after this grace; 0 = off
                                 (default 10) */
} ll_serve_options;

/* Bytes per second a request body must average once read_timeout_s has passed. */
#define LL_SERVE_MIN_BODY_RATE 1024

typedef struct ll_server ll_server;

/* The defaults above. */
void ll_serve_options_default(ll_serve_options *o);
/* Start listening (libmicrohttpd thread pool on epoll). model (may be NULL: /health answers
 * 503 and /invocations 503 until ll_serve_swap gives one) is taken over with its reference. */
ll_status ll_serve_start(const ll_serve_options *o, ll_serve_model *model, ll_server **out,
                         ll_error *err);
/* The port actually bound. */
int ll_serve_port(const ll_server *s);
/* Serve m from now on (taking over the caller's reference). Requests in flight finish with
 * the model they started with; it is freed when the last of them is done. Counts a reload. */
void ll_serve_swap(ll_server *s, ll_serve_model *m);
/* A new reference to the model being served (NULL when none). */
ll_serve_model *ll_serve_current(ll_server *s);
/* Requests being handled now (from their first byte to their last answer byte). */
long ll_serve_inflight(const ll_server *s);
/* Stop accepting connections; open keep-alive connections are closed after their next
 * answer. */
void ll_serve_quiesce(ll_server *s);
/* Wait up to drain_s seconds for requests in flight, then stop every thread, drop the model
 * reference and free the server. */
void ll_serve_stop(ll_server *s, double drain_s);

/* An HTTP answer received by ll_serve_post. */
typedef struct {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char content_type[128];
} ll_http_reply;

/* POST body to url (libcurl) and wait at most timeout_s seconds for the whole answer. Any
 * HTTP status is LL_OK (check out->status); LL_ENET says the server could not be reached
 * (refused, timeout, reset), with a message naming the URL. */
ll_status ll_serve_post(const char *url, const char *content_type, const char *body, size_t len,
                        double timeout_s, ll_http_reply *out, ll_error *err);
void ll_http_reply_free(ll_http_reply *r);

#endif
