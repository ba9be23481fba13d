/* error: stable status codes and the error struct every core function fills. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ll_error_clear(ll_error *err)
{
    if (!err) return;
    err->code = LL_OK;
    err->msg[0] = '\0';
    err->file[0] = '\0';
    err->line = 0;
    err->column = 0;
}

static void error_vset(ll_error *err, ll_status code, const char *file, long line, long column,
                       const char *fmt, va_list ap)
{
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->column = column;
}

ll_status ll_error_set(ll_error *err, ll_status code, const char *fmt, ...)
{
    if (!err) return code;
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

ll_status ll_error_set_at(ll_error *err, ll_status code, const char *file, long line, long column,
                          const char *fmt, ...)
{
    if (!err) return code;
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, file, line, column, fmt, ap);
    va_end(ap);
    return code;
}

const char *ll_status_str(ll_status code)
{
    static const char *const names[LL_STATUS_COUNT] = {
        [LL_OK] = "ok",
        [LL_EINVAL] = "invalid argument",
        [LL_EIO] = "i/o error",
        [LL_EPARSE] = "parse error",
        [LL_ENOMEM] = "out of memory",
        [LL_ENOTFOUND] = "not found",
        [LL_ENET] = "network error",
        [LL_ECANCELLED] = "cancelled",
        [LL_EEXIST] = "already exists",
        [LL_ESTATE] = "invalid state",
        [LL_EPOLICY] = "refused by policy",
    };
    if ((int)code < 0 || code >= LL_STATUS_COUNT) return "unknown error";
    return names[code];
}

const char *ll_error_format(const ll_error *err, char *buf, size_t len)
{
    if (!err) {
        snprintf(buf, len, "unknown error");
    } else if (err->file[0] && err->line > 0 && err->column > 0) {
        snprintf(buf, len, "%s:%ld:%ld: %s", err->file, err->line, err->column, err->msg);
    } else if (err->file[0] && err->line > 0) {
        snprintf(buf, len, "%s:%ld: %s", err->file, err->line, err->msg);
    } else if (err->file[0]) {
        snprintf(buf, len, "%s: %s", err->file, err->msg);
    } else {
        snprintf(buf, len, "%s", err->msg[0] ? err->msg : ll_status_str(err->code));
    }
    return buf;
}
