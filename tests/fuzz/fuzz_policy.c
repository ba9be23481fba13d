/* fuzz_policy: promotion policy files (ll_registry_policy_parse), evaluated against a fixed
 * candidate and incumbent run when they parse. */
#include "fuzz_util.h"

#include <math.h>

#include "registry.h"
#include "store.h"

static ll_metric cand_metrics[] = {
    {"auc", 0.7531, 0, 0}, {"ks", 0.3712, 0, 0}, {"logloss", 0.1842, 0, 0}, {"brier", NAN, 0, 0}};
static ll_metric inc_metrics[] = {{"auc", 0.7412, 0, 0}, {"logloss", INFINITY, 0, 0}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fz_cstr(data, size);
    ll_policy *p = NULL;
    ll_error err;
    ll_status s = ll_registry_policy_parse(json, "policy.json", &p, &err);
    if (s == LL_OK) {
        ll_run cand, inc;
        memset(&cand, 0, sizeof cand);
        memset(&inc, 0, sizeof inc);
        cand.run_id = "a1f0c2e4b6d8490a8c1e3f5a7b9d0c2e";
        cand.metrics = cand_metrics;
        cand.nmetrics = 4;
        cand.complete = 1;
        inc.run_id = "b7e3d1c9a5f24b6e8d0c2a4f6e8b1d3f";
        inc.metrics = inc_metrics;
        inc.nmetrics = 2;
        inc.complete = 1;
        for (int withinc = 0; withinc < 2; withinc++) {
            ll_promote_result res;
            memset(&res, 0, sizeof res);
            if (ll_registry_policy_eval(p, &cand, withinc ? &inc : NULL, 3, &res, &err) == LL_OK) {
                for (size_t i = 0; i < res.nrules; i++)
                    if (!memchr(res.rules[i].detail, 0, sizeof res.rules[i].detail)) abort();
            }
            ll_promote_result_clear(&res);
        }
        ll_registry_policy_free(p);
    } else if (!err.msg[0]) {
        abort();
    }
    free(json);
    return 0;
}
