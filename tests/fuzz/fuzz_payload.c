/* fuzz_payload: MLflow /invocations request bodies (JSON dataframe_split, dataframe_records,
 * instances, inputs, params; CSV) through ll_payload_parse and the whole endpoint
 * ll_payload_invoke, for a small logistic regression fitted once. The last input byte picks
 * the Content-Type header and the query string. */
#include "fuzz_util.h"

#include <math.h>

#include "model.h"
#include "payload.h"
#include "shap.h"
#include "table.h"

#define N 40

static ll_model *model;
static ll_shap *shap;

static void setup(void)
{
    ll_table *t = ll_table_new(N, "fuzz");
    if (!t) abort();
    double amnt[N], rate[N], flag[N];
    int32_t grade[N], cls[N];
    for (int i = 0; i < N; i++) {
        amnt[i] = i % 9 == 0 ? NAN : 1000.0 * (i % 13 + 1);
        rate[i] = 5 + (i * 7) % 20;
        flag[i] = i % 3 == 0;
        grade[i] = i % 11 == 0 ? -1 : i % 4;
        cls[i] = (i * 5) % 7 < 2 || rate[i] > 20;
    }
    static const char *const grades[] = {"A1", "B2", "C3", "D4"};
    static const char *const classes[] = {"good", "bad"};
    if (ll_table_add_numeric(t, "funded_amnt", LL_COL_NUMERIC, amnt) < 0 ||
        ll_table_add_numeric(t, "int_rate", LL_COL_NUMERIC, rate) < 0 ||
        ll_table_add_categorical(t, "sub_grade", grade, grades, 4) < 0 ||
        ll_table_add_numeric(t, "flag", LL_COL_BOOLEAN, flag) < 0 ||
        ll_table_add_categorical(t, "Class", cls, classes, 2) < 0)
        abort();
    ll_error err;
    if (ll_model_fit(LL_MODEL_LOGREG, NULL, t, NULL, "Class", "bad", NULL, NULL, NULL, &model,
                     &err) != LL_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        abort();
    }
    if (ll_shap_new(model, &shap, &err) != LL_OK) shap = NULL;
    ll_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model) setup();
    static const char *const ctypes[] = {"application/json",
                                         "text/csv",
                                         "application/json; charset=utf-8",
                                         "text/csv; charset=latin-1",
                                         NULL,
                                         "application/octet-stream",
                                         "application/json;format=pandas-split",
                                         "TEXT/CSV"};
    static const char *const query[] = {"output", "full", "threshold", "0.3", "reasons", "2"};
    unsigned mode = fz_take_last(data, &size, 32);
    const char *ct = ctypes[mode & 7];
    size_t nquery = (mode >> 3) & 3; /* 0..3 name/value pairs */

    /* A copy without a terminating NUL, so reads past the body are caught. */
    char *body = malloc(size ? size : 1);
    if (!body) abort();
    memcpy(body, data, size);

    ll_payload_request *req = NULL;
    ll_payload_response resp;
    memset(&resp, 0, sizeof resp);
    ll_status s =
        ll_payload_parse(ll_model_prep(model), ct, body, size, query, nquery, &req, &resp);
    if (s == LL_OK) {
        const ll_table *t = ll_payload_table(req);
        if (!t || t->ncols != (size_t)ll_model_nfeat(model)) abort();
        (void)ll_payload_params_of(req);
        ll_payload_response sr;
        memset(&sr, 0, sizeof sr);
        (void)ll_payload_score(model, shap, req, &sr);
        ll_payload_response_free(&sr);
        ll_payload_request_free(req);
    } else if (resp.status < 400 || !resp.body) {
        fprintf(stderr, "rejected request without an error answer (status %d)\n", resp.status);
        abort();
    }
    ll_payload_response_free(&resp);

    ll_payload_response ir;
    memset(&ir, 0, sizeof ir);
    size_t rows = 0;
    ll_payload_invoke(model, shap, ct, body, size, query, nquery, &ir, &rows);
    if (!ir.body || ir.status < 200) abort();
    ll_payload_response_free(&ir);
    free(body);
    return 0;
}
