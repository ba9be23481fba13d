/* payload: MLflow scoring requests parsed into a table with the model's schema, and responses. */
#ifndef LL_PAYLOAD_H
#define LL_PAYLOAD_H

#include <stddef.h>

#include "error.h"
#include "model.h"
#include "prep.h"
#include "scorecard.h"
#include "shap.h"
#include "table.h"

/* MLflow's error codes (databricks_pb2.ErrorCode names) as the scoring server sends them. */
#define LL_PAYLOAD_BAD_REQUEST       "BAD_REQUEST"
#define LL_PAYLOAD_INVALID_PARAMETER "INVALID_PARAMETER_VALUE"
#define LL_PAYLOAD_NOT_FOUND         "ENDPOINT_NOT_FOUND"
#define LL_PAYLOAD_INTERNAL_ERROR    "INTERNAL_ERROR"
#define LL_PAYLOAD_UNAVAILABLE       "TEMPORARILY_UNAVAILABLE"

/* What /invocations answers for each row. */
typedef enum {
    LL_OUTPUT_LABEL = 0,   /* 1 when probability >= threshold (the positive class), else 0 */
    LL_OUTPUT_PROBABILITY, /* probability of the positive class */
    LL_OUTPUT_FULL,        /* {probability, label, class, score, reasons} */
    LL_OUTPUT_COUNT
} ll_payload_output;

/* Request parameters ("params" of a JSON request, or the query string). */
typedef struct {
    ll_payload_output output;
    double threshold;   /* label cut-off, default 0.5 */
    ll_scorecard scale; /* points scaling for output=full */
    int reasons;        /* reason codes per row for output=full, default 3 */
} ll_payload_params;

/* An HTTP answer: status, content type (a static string) and a malloc'd body. */
typedef struct {
    int status;
    const char *content_type;
    char *body;
    size_t len;
} ll_payload_response;

/* A parsed request: a table holding exactly the model's features (plan order and types). */
typedef struct ll_payload_request ll_payload_request;

/* Defaults: output label, threshold 0.5, 600 points at 50:1 doubling every 20, 3 reasons. */
void ll_payload_params_default(ll_payload_params *p);
/* "label", "probability", "full". */
const char *ll_payload_output_name(ll_payload_output o);

/* Parse an /invocations body for plan p. content_type is the request's header (NULL when
 * absent). query holds nquery name/value pairs from the query string (parameters; may be
 * NULL), overridden by a JSON body's "params". On a client error the status is non-zero and
 * resp holds the answer MLflow's scoring server gives (400 JSON error, or 415 text); a body
 * that is not UTF-8 is a 400. */
ll_status ll_payload_parse(const ll_prep *p, const char *content_type, const char *body, size_t len,
                           const char *const *query, size_t nquery, ll_payload_request **out,
                           ll_payload_response *resp);
/* The request's rows (valid until ll_payload_request_free). */
const ll_table *ll_payload_table(const ll_payload_request *r);
/* The request's parameters. */
const ll_payload_params *ll_payload_params_of(const ll_payload_request *r);
void ll_payload_request_free(ll_payload_request *r);

/* Score a parsed request with m and write the JSON answer {"predictions": [...]} into resp.
 * shap is needed for output=full (NULL: such requests get a 400). */
ll_status ll_payload_score(const ll_model *m, const ll_shap *shap, const ll_payload_request *r,
                           ll_payload_response *resp);
/* The whole /invocations endpoint: parse, score, answer. Always fills resp; *rows (may be
 * NULL) gets the number of rows scored. */
void ll_payload_invoke(const ll_model *m, const ll_shap *shap, const char *content_type,
                       const char *body, size_t len, const char *const *query, size_t nquery,
                       ll_payload_response *resp, size_t *rows);

/* Fill resp with MLflow's JSON error {"error_code": code, "message": ...}. */
void ll_payload_error(ll_payload_response *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Fill resp with a copy of text. */
void ll_payload_text(ll_payload_response *resp, int status, const char *content_type,
                     const char *text, size_t len);
void ll_payload_response_free(ll_payload_response *r);

/* Append s as a JSON string literal (escaped, quotes included; bytes that are not UTF-8 as
 * U+FFFD) to a malloc'd buffer (*buf, *len, *cap); returns -1 on ENOMEM. */
int ll_payload_json_string(char **buf, size_t *len, size_t *cap, const char *s, size_t n);

#endif
