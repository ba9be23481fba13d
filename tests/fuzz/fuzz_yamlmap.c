/* fuzz_yamlmap: MLflow meta.yaml text through ll_yamlmap_parse (fast path and libyaml), the
 * lookups the store makes, and the write-back round trip (dump, parse again, same entries). */
#include "fuzz_util.h"

#include "yamlmap.h"

static const char *kind_name(ll_yaml_kind k)
{
    static const char *const names[] = {"str", "null", "seq", "map"};
    return (unsigned)k < LL_YAML_KIND_COUNT ? names[k] : "?";
}

/* Same key, kind and text (C strings: up to a NUL). written: b is a read back after writing a,
 * which keeps only whole key/value pairs of a mapping whose nested values were skipped. */
static int same_entry(const ll_yamlmap_entry *a, const ll_yamlmap_entry *b, int written)
{
    if (strcmp(a->key, b->key) || a->kind != b->kind) return 0;
    if (a->kind == LL_YAML_STR) return !strcmp(a->value, b->value);
    if (a->kind == LL_YAML_SEQ || a->kind == LL_YAML_MAP) {
        size_t na = written && a->kind == LL_YAML_MAP ? a->nitems / 2 * 2 : a->nitems;
        if (na != b->nitems) return 0;
        for (size_t i = 0; i < na; i++)
            if (strcmp(a->items[i], b->items[i])) return 0;
    }
    return 1;
}

static const ll_yamlmap_entry *find_after(const ll_yamlmap *m, const ll_yamlmap_entry *e)
{
    for (size_t i = 0; i < m->n; i++)
        if (same_entry(e, &m->e[i], 1)) return &m->e[i];
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ll_yamlmap m;
    ll_error err;
    if (ll_yamlmap_parse((const char *)data, size, "meta.yaml", &m, &err) != LL_OK) {
        if (!err.msg[0]) abort();
        return 0;
    }
    static const char *const keys[] = {
        "run_id",   "run_uuid", "experiment_id",     "status", "lifecycle_stage", "start_time",
        "end_time", "name",     "artifact_location", "tags",   "aliases",         "version"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        (void)ll_yamlmap_str(&m, keys[i]);
        (void)ll_yamlmap_int(&m, keys[i], -1);
    }
    for (size_t i = 0; i < m.n; i++) {
        const ll_yamlmap_entry *e = &m.e[i];
        if (!e->key || (unsigned)e->kind >= LL_YAML_KIND_COUNT) abort();
        if ((e->kind == LL_YAML_STR) != (e->value != NULL)) abort();
        for (size_t k = 0; k < e->nitems; k++)
            if (!e->items[k]) abort();
    }

    /* The fast path must agree with libyaml: a leading comment line sends the same document
     * through libyaml. Not for a byte order mark, which picks the encoding only at the start. */
    int bom = size >= 2 &&
              ((data[0] == 0xff && data[1] == 0xfe) || (data[0] == 0xfe && data[1] == 0xff) ||
               (size >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf));
    if (!bom) {
        uint8_t *commented = malloc(size + 2);
        if (!commented) abort();
        memcpy(commented, "#\n", 2);
        memcpy(commented + 2, data, size);
        ll_yamlmap viayaml;
        if (ll_yamlmap_parse((const char *)commented, size + 2, "meta.yaml", &viayaml, &err) !=
            LL_OK) {
            fprintf(stderr, "parses alone but not after a comment line: %s\n", err.msg);
            abort();
        }
        if (viayaml.n != m.n) {
            fprintf(stderr, "%zu entries alone, %zu after a comment line\n", m.n, viayaml.n);
            abort();
        }
        for (size_t i = 0; i < m.n; i++) {
            if (!same_entry(&m.e[i], &viayaml.e[i], 0) || m.e[i].quoted != viayaml.e[i].quoted) {
                fprintf(stderr, "entry %zu ('%s') differs after a comment line\n", i, m.e[i].key);
                abort();
            }
        }
        ll_yamlmap_free(&viayaml);
        free(commented);
    }

    /* Round trip: what lendlab writes back must read back to the same entries. Keys and
     * values holding a NUL cannot be written (C strings), and duplicate keys may reorder. */
    char *text = NULL;
    size_t len = 0;
    if (ll_yamlmap_dump(&m, &text, &len, &err) != LL_OK) abort();
    ll_yamlmap back;
    if (ll_yamlmap_parse(text, len, "dump.yaml", &back, &err) != LL_OK) {
        fprintf(stderr, "written map does not parse back: %s\n---\n%s---\n", err.msg, text);
        abort();
    }
    if (back.n != m.n) {
        fprintf(stderr, "written map has %zu entries, read back %zu\n---\n%s---\n", m.n, back.n,
                text);
        abort();
    }
    for (size_t i = 0; i < m.n; i++) {
        if (!find_after(&back, &m.e[i])) {
            fprintf(stderr, "entry '%s' (%s) does not read back\n---\n%s---\n", m.e[i].key,
                    kind_name(m.e[i].kind), text);
            abort();
        }
    }
    ll_yamlmap_free(&back);
    free(text);
    ll_yamlmap_free(&m);
    return 0;
}
