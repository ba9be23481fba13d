/* error: stable status codes and the error struct every core function fills. */
#ifndef LL_ERROR_H
#define LL_ERROR_H

#include <stddef.h>

/* Stable status codes (values never change once released). */
typedef enum {
    LL_OK = 0,
    LL_EINVAL = 1,     /* bad argument or parameter value */
    LL_EIO = 2,        /* file system error */
    LL_EPARSE = 3,     /* malformed input (CSV, JSON, YAML...) */
    LL_ENOMEM = 4,     /* allocation failed */
    LL_ENOTFOUND = 5,  /* file, column, run, model... does not exist */
    LL_ENET = 6,       /* network error (refused, timeout, HTTP error, truncated) */
    LL_ECANCELLED = 7, /* a job was cancelled */
    LL_EEXIST = 8,     /* already exists */
    LL_ESTATE = 9,     /* operation not valid in the current state */
    LL_EPOLICY = 10,   /* refused by a promotion policy */
    LL_STATUS_COUNT
} ll_status;

/* Error detail: a human message plus, where it applies, the input position. */
typedef struct {
    ll_status code;
    char msg[1024];
    char file[512]; /* input file the error refers to, "" if none */
    long line;      /* 1-based line in that file, 0 if none */
    long column;    /* 1-based column (field number for CSV), 0 if none */
} ll_error;

/* Reset an error struct to LL_OK. */
void ll_error_clear(ll_error *err);
/* Set code and a printf-style message; returns code so callers can `return ll_error_set(...)`.
 * err may be NULL. */
ll_status ll_error_set(ll_error *err, ll_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like ll_error_set, also recording the input position (file, line, column). */
ll_status ll_error_set_at(ll_error *err, ll_status code, const char *file, long line, long column,
                          const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Short stable name of a status code ("LL_EPARSE" style without prefix: "parse error"). */
const char *ll_status_str(ll_status code);
/* Format "file:line:column: message" (omitting absent parts) into buf. */
const char *ll_error_format(const ll_error *err, char *buf, size_t len);

#endif
