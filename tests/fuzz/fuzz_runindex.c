/* fuzz_runindex: run index files (ll_runindex_parse). The input is tried as a whole file, and
 * as the records of one with a correct trailer appended (count and checksum), so mutations
 * reach the record parser; what parses is written back, must parse to the same runs, and its
 * entries are taken by their recorded directory status. */
#include "fuzz_util.h"

#include <math.h>

#include "runindex.h"
#include "store.h"

#define EXP "473823019427317474"

static int same_str(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static void check_same(const ll_run *a, const ll_run *b)
{
    if (!same_str(a->run_id, b->run_id) || !same_str(a->run_name, b->run_name) ||
        !same_str(a->user_id, b->user_id) || !same_str(a->artifact_uri, b->artifact_uri) ||
        !same_str(a->experiment_id, b->experiment_id) || a->status != b->status ||
        a->deleted != b->deleted || a->start_time != b->start_time || a->end_time != b->end_time ||
        a->complete != b->complete || a->nparams != b->nparams || a->ntags != b->ntags ||
        a->nmetrics != b->nmetrics || a->nabsent != b->nabsent)
        abort();
    for (size_t i = 0; i < a->nparams; i++)
        if (!same_str(a->params[i].key, b->params[i].key) ||
            !same_str(a->params[i].value, b->params[i].value))
            abort();
    for (size_t i = 0; i < a->ntags; i++)
        if (!same_str(a->tags[i].key, b->tags[i].key) ||
            !same_str(a->tags[i].value, b->tags[i].value))
            abort();
    for (size_t i = 0; i < a->nmetrics; i++) {
        const ll_metric *x = &a->metrics[i], *y = &b->metrics[i];
        if (!same_str(x->key, y->key) || x->timestamp != y->timestamp || x->step != y->step)
            abort();
        if (isnan(x->value) ? !isnan(y->value) : x->value != y->value) abort();
    }
    for (size_t i = 0; i < a->nabsent; i++)
        if (!same_str(a->absent[i], b->absent[i])) abort();
}

static struct stat entry_stat(const ll_runindex_entry *en)
{
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    sb.st_ino = (ino_t)en->ino;
    sb.st_ctim.tv_sec = (time_t)en->ctime_s;
    sb.st_ctim.tv_nsec = (long)en->ctime_ns;
    sb.st_mtim.tv_sec = (time_t)en->mtime_s;
    sb.st_mtim.tv_nsec = (long)en->mtime_ns;
    return sb;
}

static void exercise(const char *text, size_t len)
{
    ll_runindex ix;
    ll_error err;
    if (ll_runindex_parse(text, len, EXP, &ix, &err) != LL_OK) abort();
    if (!ix.n) return;
    /* write back what parsed; it must read back to the same runs */
    const ll_run **runs = malloc(ix.n * sizeof *runs);
    struct stat *sbs = malloc(ix.n * sizeof *sbs);
    int *del = malloc(ix.n * sizeof *del);
    if (!runs || !sbs || !del) abort();
    for (size_t i = 0; i < ix.n; i++) {
        runs[i] = ix.items[i].run;
        sbs[i] = entry_stat(&ix.items[i]);
        del[i] = ix.items[i].run->deleted;
    }
    char *again;
    size_t alen;
    if (ll_runindex_format(EXP, runs, sbs, del, ix.n, &again, &alen, &err) != LL_OK) abort();
    ll_runindex iy;
    if (ll_runindex_parse(again, alen, EXP, &iy, &err) != LL_OK || iy.n != ix.n) abort();
    /* entries are sorted by name; runs of one name may come in either order */
    int dups = 0;
    for (size_t i = 0; i + 1 < ix.n; i++) dups |= !strcmp(ix.items[i].name, ix.items[i + 1].name);
    for (size_t i = 0; i < ix.n; i++) {
        if (strcmp(ix.items[i].name, iy.items[i].name)) abort();
        if (!dups) check_same(ix.items[i].run, iy.items[i].run);
    }
    free(again);
    ll_runindex_free(&iy);
    /* every entry is found by its own status, never by another (unless another entry of its
     * name has that one) */
    for (size_t i = 0; i < ix.n; i++) {
        struct stat other = sbs[i];
        other.st_mtim.tv_nsec ^= 1;
        if (!dups && ll_runindex_take(&ix, ix.items[i].name, &other)) abort();
        ll_run *r = ll_runindex_take(&ix, ix.items[i].name, &sbs[i]);
        if (r) {
            (void)ll_runindex_cacheable(r, &sbs[i], 2000000000LL);
            ll_run_free(r);
        }
    }
    free(runs);
    free(sbs);
    free(del);
    ll_runindex_free(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    exercise((const char *)data, size);
    /* the input as records, with the trailer they need */
    const char *s = (const char *)data;
    size_t runs = 0;
    for (size_t i = 0; i + 2 < size; i++)
        if ((i == 0 || s[i - 1] == '\n') && s[i] == 'r' && s[i + 1] == '\t') runs++;
    char trailer[64];
    int tl = snprintf(trailer, sizeof trailer, "end\t%zu\t%016llx\n", runs,
                      (unsigned long long)ll_runindex_checksum(s, size));
    char *text = malloc(size + (size_t)tl);
    if (!text) abort();
    memcpy(text, s, size);
    memcpy(text + size, trailer, (size_t)tl);
    exercise(text, size + (size_t)tl);
    free(text);
    return 0;
}
