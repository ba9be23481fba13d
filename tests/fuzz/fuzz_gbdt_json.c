/* fuzz_gbdt_json: lendlab's gbdt section of model.json (ll_gbdt_from_json), then scoring,
 * importance and the write-back round trip of what was accepted. */
#include "fuzz_util.h"

#include "fuzz_rows.h"
#include "gbdt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);
    if (!j) return 0;
    ll_gbdt *m = NULL;
    ll_error err;
    if (ll_gbdt_from_json(j, &m, &err) == LL_OK) {
        int nfeat = ll_gbdt_nfeat(m);
        if (nfeat > 0 && nfeat <= FZ_MAX_FEAT) {
            double *x = fz_rows(nfeat), p[FZ_NROWS], mg[FZ_NROWS];
            ll_gbdt_predict_raw(m, x, FZ_NROWS, p);
            ll_gbdt_predict_margin_raw(m, x, FZ_NROWS, mg);
            double *imp = calloc((size_t)nfeat, sizeof *imp);
            if (!imp) abort();
            ll_gbdt_importance(m, imp);
            for (int f = 0; f < nfeat; f++) (void)ll_gbdt_feature_name(m, f);
            free(imp);
            free(x);
        }
        for (int t = 0; t < ll_gbdt_ntrees(m); t++)
            if (!ll_gbdt_tree(m, t)) abort();
        cJSON *back = ll_gbdt_to_json(m);
        if (back) {
            ll_gbdt *m2 = NULL;
            if (ll_gbdt_from_json(back, &m2, &err) != LL_OK) {
                fprintf(stderr, "written gbdt section does not load back: %s\n", err.msg);
                abort();
            }
            ll_gbdt_free(m2);
            cJSON_Delete(back);
        }
        ll_gbdt_free(m);
    } else if (!err.msg[0]) {
        abort();
    }
    cJSON_Delete(j);
    return 0;
}
