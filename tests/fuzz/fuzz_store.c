/* fuzz_store: the files of an MLflow tracking store that lendlab reads (experiment and run
 * meta.yaml, metric histories, params, registry model and version meta.yaml, aliases, history),
 * read back through ll_store and ll_registry. The input is split at lines "=====" into those
 * files in that order; missing parts keep a valid default. */
#include "fuzz_util.h"

#include "registry.h"
#include "store.h"

#define EXP "473823019427317474"
#define RUN "a1f0c2e4b6d8490a8c1e3f5a7b9d0c2e"
#define SEP "\n=====\n"

enum { P_EXP, P_RUN, P_METRIC, P_PARAM, P_MODEL, P_VERSION, P_ALIAS, P_HISTORY, NPARTS };

static const char *const part_path[NPARTS] = {
    EXP "/meta.yaml",
    EXP "/" RUN "/meta.yaml",
    EXP "/" RUN "/metrics/auc",
    EXP "/" RUN "/params/model",
    "models/credit-risk/meta.yaml",
    "models/credit-risk/version-1/meta.yaml",
    "models/credit-risk/aliases/champion",
    "models/credit-risk/history.jsonl",
};

static const char *const part_default[NPARTS] = {
    "artifact_location: file:///tmp/mlruns/" EXP "\ncreation_time: 1714557600000\n"
    "experiment_id: '" EXP "'\nlast_update_time: 1714557600000\nlifecycle_stage: active\n"
    "name: credit-default\n",
    "artifact_uri: file:///tmp/mlruns/" EXP "/" RUN "/artifacts\nend_time: 1714557702000\n"
    "experiment_id: '" EXP "'\nlifecycle_stage: active\nrun_id: " RUN "\nrun_name: gbdt\n"
    "run_uuid: " RUN "\nstart_time: 1714557660000\nstatus: 3\ntags: []\nuser_id: analyst\n",
    "1714557701000 0.7412 0\n1714557702000 0.75 1\n",
    "gbdt",
    "aliases:\n  champion: '1'\ncreation_timestamp: 1714557700000\ndescription: null\n"
    "last_updated_timestamp: 1714561270000\nname: credit-risk\n",
    "aliases: []\ncreation_timestamp: 1714557700000\ncurrent_stage: Production\n"
    "description: null\nlast_updated_timestamp: 1714557800000\nname: credit-risk\n"
    "run_id: " RUN "\nsource: file:///tmp/mlruns/" EXP "/" RUN "/artifacts/model\n"
    "status: READY\nuser_id: null\nversion: 1\n",
    "1",
    "{\"action\": \"register\", \"version\": 1}\n",
};

static char root[512];

static void mkdirs(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *q = path + strlen(root) + 1; *q; q++) {
        if (*q != '/') continue;
        *q = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST) abort();
        *q = '/';
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        snprintf(root, sizeof root, "%s/mlruns", fz_tmpdir());
        ll_store *st = NULL;
        ll_error e;
        if (ll_store_open(root, 1, &st, &e) != LL_OK) abort();
        ll_store_close(st);
        for (int i = 0; i < NPARTS; i++) mkdirs(part_path[i]);
        mkdirs(EXP "/" RUN "/tags/x");
        mkdirs(EXP "/" RUN "/artifacts/x");
        mkdirs("models/credit-risk/version-1/tags/x");
    }
    const char *p = (const char *)data, *end = p + size;
    for (int i = 0; i < NPARTS; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", root, part_path[i]);
        if (p) {
            const char *sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
            const char *pe = sep ? sep : end;
            fz_write_file(path, p, (size_t)(pe - p));
            p = sep ? sep + strlen(SEP) : NULL;
        } else {
            fz_write_file(path, part_default[i], strlen(part_default[i]));
        }
    }

    ll_store *st = NULL;
    ll_error err;
    if (ll_store_open(root, 0, &st, &err) != LL_OK) abort();
    ll_experiment_list el;
    if (ll_store_experiments(st, 1, &el, &err) == LL_OK) ll_store_experiments_free(&el);
    ll_experiment ex;
    if (ll_store_experiment_find(st, EXP, &ex, &err) == LL_OK) ll_experiment_clear(&ex);

    ll_run_query q;
    memset(&q, 0, sizeof q);
    q.include_deleted = 1;
    q.load_all = 1;
    ll_run_list rl;
    if (ll_store_search_runs(st, &q, &rl, &err) == LL_OK) ll_run_list_free(&rl);

    ll_run *r = NULL;
    if (ll_store_get_run(st, "a1f0", &r, &err) == LL_OK) {
        (void)ll_run_status_name(r);
        (void)ll_run_metric(r, "auc");
        ll_metric_point *pts = NULL;
        size_t n = 0;
        if (ll_store_metric_history(st, r, "auc", &pts, &n, &err) == LL_OK) free(pts);
        ll_metric_summary sum;
        (void)ll_store_metric_summary(st, r, "auc", 1, &sum, &err);
        char path[4096];
        (void)ll_store_run_artifact_path(st, r, "model", path, sizeof path, &err);
        ll_run_free(r);
    }

    char **names = NULL;
    size_t nn = 0;
    if (ll_registry_list(st, &names, &nn, &err) == LL_OK) ll_registry_names_free(names, nn);
    ll_registered_model *m = NULL;
    if (ll_registry_get(st, "credit-risk", &m, &err) == LL_OK) {
        (void)ll_registry_alias_version(m, "champion");
        (void)ll_registry_version(m, 1);
        ll_registry_model_free(m);
    }
    char **lines = NULL;
    size_t nl = 0;
    if (ll_registry_history(st, "credit-risk", &lines, &nl, &err) == LL_OK)
        ll_registry_names_free(lines, nl);
    ll_store_close(st);
    return 0;
}
