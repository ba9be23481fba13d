/* fuzz_forest_json: lendlab's forest section of model.json (ll_forest_from_json, compact node
 * strings included), then scoring, importance and the write-back round trip. */
#include "fuzz_util.h"

#include "forest.h"
#include "fuzz_rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);
    if (!j) return 0;
    ll_forest *m = NULL;
    ll_error err;
    if (ll_forest_from_json(j, &m, &err) == LL_OK) {
        int nfeat = ll_forest_nfeat(m);
        if (nfeat > 0 && nfeat <= FZ_MAX_FEAT) {
            double *x = fz_rows(nfeat), p[FZ_NROWS];
            ll_forest_predict_raw(m, x, FZ_NROWS, p);
            double *imp = calloc((size_t)nfeat, sizeof *imp);
            if (!imp) abort();
            ll_forest_importance(m, imp);
            free(imp);
            free(x);
        }
        (void)ll_forest_oob_auc(m);
        cJSON *back = ll_forest_to_json(m);
        if (back) {
            ll_forest *m2 = NULL;
            if (ll_forest_from_json(back, &m2, &err) != LL_OK) {
                fprintf(stderr, "written forest section does not load back: %s\n", err.msg);
                abort();
            }
            ll_forest_free(m2);
            cJSON_Delete(back);
        }
        ll_forest_free(m);
    } else if (!err.msg[0]) {
        abort();
    }
    cJSON_Delete(j);
    return 0;
}
