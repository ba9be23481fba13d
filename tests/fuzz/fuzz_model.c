/* fuzz_model: model.json loading through ll_model_load on a model directory (lendlab's own
 * format or an XGBoost JSON model), then scoring a small table built from the loaded plan. */
#include "fuzz_util.h"

#include <math.h>

#include "model.h"
#include "prep.h"
#include "table.h"

#define NROWS 5

static ll_table *plan_table(const ll_model *m)
{
    const ll_prep *p = ll_model_prep(m);
    int nfeat = ll_prep_nfeat(p);
    ll_table *t = ll_table_new(NROWS, "fuzz");
    if (!t) abort();
    static const double num[NROWS] = {NAN, 0, 1e300, -3.5, 13.99};
    static const double boo[NROWS] = {NAN, 0, 1, 1, 0};
    static const int32_t codes[NROWS] = {-1, 0, 1, 2, 0};
    static const char *const dict[] = {"A1", "term_36", "zz"};
    for (int f = 0; f < nfeat; f++) {
        const char *name = ll_prep_feature_name(p, f);
        if (!name || ll_table_find(t, name) >= 0) continue;
        long r;
        switch (ll_prep_feature_type(p, f)) {
        case LL_COL_CATEGORICAL:
            r = ll_table_add_categorical(t, name, codes, dict, 3);
            break;
        case LL_COL_BOOLEAN:
            r = ll_table_add_numeric(t, name, LL_COL_BOOLEAN, boo);
            break;
        default:
            r = ll_table_add_numeric(t, name, LL_COL_NUMERIC, num);
        }
        if (r < 0) abort();
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[512], file[600];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/model", fz_tmpdir());
        if (mkdir(dir, 0755) != 0) abort();
        snprintf(file, sizeof file, "%s/model.json", dir);
    }
    fz_write_file(file, data, size);

    ll_model *m = NULL;
    ll_error err;
    if (ll_model_load(dir, &m, &err) != LL_OK) {
        if (!err.msg[0]) abort();
        return 0;
    }
    int nfeat = ll_model_nfeat(m);
    if (nfeat < 0 || nfeat != ll_prep_nfeat(ll_model_prep(m))) abort();
    if (nfeat <= 4096) {
        ll_table *t = plan_table(m);
        double prob[NROWS];
        (void)ll_model_predict(m, t, prob, &err);
        ll_table_free(t);
        const char **names = calloc((size_t)nfeat + 1, sizeof *names);
        double *values = calloc((size_t)nfeat + 1, sizeof *values);
        if (!names || !values) abort();
        ll_model_importance(m, names, values);
        free(names);
        free(values);
    }
    (void)ll_model_kind_name(ll_model_kind_of(m));
    cJSON *pj = ll_model_params_to_json(ll_model_params_of(m));
    cJSON_Delete(pj);
    ll_model_free(m);
    return 0;
}
