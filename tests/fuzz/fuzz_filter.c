/* fuzz_filter: MLflow run search filters and sort keys (ll_filter_parse, ll_filter_parse_sort),
 * evaluated on two fixed runs. */
#include "fuzz_util.h"

#include <math.h>

#include "filter.h"
#include "store.h"

static ll_kv params[] = {{"model", "gbdt"}, {"max_depth", "6"}, {"eta", "0.3"}, {"empty", ""}};
static ll_metric metrics[] = {{"auc", 0.75, 1714557660000LL, 99},
                              {"logloss", 0.41, 1714557660000LL, 99},
                              {"nan_metric", NAN, 0, 0},
                              {"inf_metric", INFINITY, 0, 0}};
static ll_kv tags[] = {
    {"mlflow.runName", "gbdt-baseline"}, {"lendlab.pid", "1@host"}, {"note", "100%_sure"}};

static void make_run(ll_run *r, const char *id, long long start, int half)
{
    memset(r, 0, sizeof *r);
    r->run_id = (char *)id;
    r->experiment_id = "473823019427317474";
    r->run_name = half ? "forest-2" : "gbdt-baseline";
    r->user_id = "analyst";
    r->artifact_uri = "file:///tmp/mlruns/1/x/artifacts";
    r->status = half ? LL_RUN_RUNNING : LL_RUN_FINISHED;
    r->died = half;
    r->start_time = start;
    r->end_time = half ? -1 : start + 1000;
    r->params = params;
    r->nparams = half ? 2 : 4;
    r->metrics = metrics;
    r->nmetrics = half ? 1 : 4;
    r->tags = tags;
    r->ntags = half ? 1 : 3;
    r->complete = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_cstr(data, size);
    ll_run a, b;
    make_run(&a, "a1f0c2e4b6d8490a8c1e3f5a7b9d0c2e", 1714557660000LL, 0);
    make_run(&b, "b7e3d1c9a5f24b6e8d0c2a4f6e8b1d3f", 1714557000000LL, 1);

    ll_error err;
    ll_filter *f = NULL;
    if (ll_filter_parse(s, &f, &err) == LL_OK) {
        (void)ll_filter_match(f, &a);
        (void)ll_filter_match(f, &b);
        ll_filter_key *keys = NULL;
        size_t nkeys = 0;
        if (ll_filter_keys(f, &keys, &nkeys, &err) == LL_OK) {
            char buf[300];
            for (size_t i = 0; i < nkeys; i++)
                (void)ll_filter_key_text(keys[i].kind, keys[i].name, buf, sizeof buf);
            free(keys);
        }
        ll_filter_free(f);
    } else if (err.code == LL_OK || !err.msg[0]) {
        fprintf(stderr, "ll_filter_parse failed without an error message\n");
        abort();
    }

    ll_sortkey sk[8];
    size_t nsk = 0;
    if (ll_filter_parse_sort(s, sk, 8, &nsk, &err) == LL_OK) {
        if (nsk > 8) abort();
        int ab = ll_filter_compare(sk, nsk, &a, &b), ba = ll_filter_compare(sk, nsk, &b, &a);
        if ((ab < 0 && ba <= 0) || (ab > 0 && ba >= 0) || (ab == 0 && ba != 0)) {
            fprintf(stderr, "ll_filter_compare is not antisymmetric (%d, %d)\n", ab, ba);
            abort();
        }
    }

    /* LIKE matching: the first half of the input as subject, the rest as pattern. */
    size_t half = size / 2;
    char *subject = fz_cstr(data, half);
    (void)ll_filter_like(subject, s + half, 0);
    (void)ll_filter_like(subject, s + half, 1);
    free(subject);
    free(s);
    return 0;
}
