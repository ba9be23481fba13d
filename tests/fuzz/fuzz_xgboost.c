/* fuzz_xgboost: XGBoost JSON model import (ll_gbdt_import_xgboost, read from an in-memory
 * file), then scoring and the write-back to lendlab's own section. */
#include "fuzz_util.h"

#include "fuzz_rows.h"
#include "gbdt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_memfd_path(0, data, size);
    ll_gbdt *m = NULL;
    char **names = NULL;
    int nfeat = 0;
    ll_error err;
    if (ll_gbdt_import_xgboost(path, &m, &names, &nfeat, &err) == LL_OK) {
        if (nfeat != ll_gbdt_nfeat(m)) abort();
        if (nfeat > 0 && nfeat <= FZ_MAX_FEAT) {
            double *x = fz_rows(nfeat), p[FZ_NROWS];
            ll_gbdt_predict_raw(m, x, FZ_NROWS, p);
            double *imp = calloc((size_t)nfeat, sizeof *imp);
            if (!imp) abort();
            ll_gbdt_importance(m, imp);
            free(imp);
            free(x);
        }
        (void)ll_gbdt_best_iteration(m);
        (void)ll_gbdt_base_score(m);
        cJSON *back = ll_gbdt_to_json(m);
        if (back) {
            ll_gbdt *m2 = NULL;
            if (ll_gbdt_from_json(back, &m2, &err) != LL_OK) {
                fprintf(stderr, "imported model's gbdt section does not load back: %s\n", err.msg);
                abort();
            }
            ll_gbdt_free(m2);
            cJSON_Delete(back);
        }
        for (int f = 0; f < nfeat; f++) free(names[f]);
        free(names);
        ll_gbdt_free(m);
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
