/* fuzz_drift_profile: saved drift reference profiles (ll_drift_profile_load, from an in-memory
 * file), then drift of the loaded profile against itself and the JSON report. */
#include "fuzz_util.h"

#include "drift.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_memfd_path(0, data, size);
    (void)ll_drift_profile_is_saved(path);
    ll_drift_profile *p = NULL;
    ll_error err;
    if (ll_drift_profile_load(path, &p, &err) != LL_OK) {
        if (!err.msg[0]) abort();
        return 0;
    }
    for (size_t c = 0; c < p->ncols; c++) (void)ll_drift_profile_find(p, p->cols[c].name);
    ll_drift_options opt;
    ll_drift_options_init(&opt);
    ll_drift_report *r = NULL;
    for (int t = 0; t < LL_STATTEST_COUNT; t++) {
        opt.stattest = (ll_stattest)t;
        if (ll_drift_compare(p, p, &opt, &r, &err) == LL_OK) {
            size_t idx[64];
            if (r->ncols <= 64) ll_drift_report_order(r, idx);
            if (t == 0) {
                FILE *f = fopen("/dev/null", "w");
                if (!f) abort();
                ll_drift_write_json(r, f);
                fclose(f);
            }
            ll_drift_report_free(r);
        }
    }
    ll_drift_profile_free(p);
    return 0;
}
