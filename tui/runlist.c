/* runlist: the Runs screen's table as pure functions — columns, cell text and sorting of runs. */
#include "runlist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const headers[TUI_RL_COUNT] = {"name", "status", "start",   "model",
                                                  "auc",  "ks",     "logloss", "duration"};

const char *tui_runlist_header(tui_rl_col c)
{
    return c < TUI_RL_COUNT ? headers[c] : "";
}

int tui_runlist_find(const char *name)
{
    for (int i = 0; i < TUI_RL_COUNT; i++)
        if (!strcmp(headers[i], name)) return i;
    return -1;
}

int tui_runlist_numeric(tui_rl_col c)
{
    return c == TUI_RL_AUC || c == TUI_RL_KS || c == TUI_RL_LOGLOSS || c == TUI_RL_DURATION;
}

double tui_runlist_duration(const ll_run *r, long long now_ms)
{
    if (r->start_time <= 0) return NAN;
    long long end = r->end_time > 0                           ? r->end_time
                    : r->status == LL_RUN_RUNNING && !r->died ? now_ms
                                                              : -1;
    if (end < r->start_time) return NAN;
    return (double)(end - r->start_time) / 1000.0;
}

static double metric(const ll_run *r, const char *key)
{
    const ll_metric *m = ll_run_metric(r, key);
    return m ? m->value : NAN;
}

static double number(const ll_run *r, tui_rl_col c, long long now_ms)
{
    switch (c) {
    case TUI_RL_AUC:
        return metric(r, "auc");
    case TUI_RL_KS:
        return metric(r, "ks");
    case TUI_RL_LOGLOSS:
        return metric(r, "logloss");
    case TUI_RL_DURATION:
        return tui_runlist_duration(r, now_ms);
    case TUI_RL_START:
        return r->start_time > 0 ? (double)r->start_time : NAN;
    default:
        return NAN;
    }
}

static const char *text(const ll_run *r, tui_rl_col c)
{
    switch (c) {
    case TUI_RL_NAME:
        return r->run_name;
    case TUI_RL_STATUS:
        return ll_run_status_name(r);
    case TUI_RL_MODEL:
        return ll_run_param(r, "model");
    default:
        return NULL;
    }
}

char *tui_runlist_cell(const ll_run *r, tui_rl_col c, long long now_ms, char *buf, size_t len)
{
    if (c == TUI_RL_START) {
        if (r->start_time <= 0) {
            snprintf(buf, len, "-");
            return buf;
        }
        time_t t = (time_t)(r->start_time / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
        return buf;
    }
    if (c == TUI_RL_DURATION) {
        double s = tui_runlist_duration(r, now_ms);
        if (isnan(s))
            snprintf(buf, len, "-");
        else if (s < 60)
            snprintf(buf, len, "%.1fs", s);
        else if (s < 3600)
            snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
        else
            snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
        return buf;
    }
    if (tui_runlist_numeric(c)) {
        double v = number(r, c, now_ms);
        if (isnan(v))
            snprintf(buf, len, "-");
        else
            snprintf(buf, len, "%.4f", v);
        return buf;
    }
    const char *s = text(r, c);
    snprintf(buf, len, "%s", s && *s ? s : "-");
    return buf;
}

typedef struct {
    ll_run *const *runs;
    tui_rl_col col;
    int desc;
    long long now;
} sort_ctx;

static int tie(const ll_run *a, const ll_run *b)
{
    if (a->start_time != b->start_time) return a->start_time > b->start_time ? -1 : 1;
    return strcmp(a->run_id ? a->run_id : "", b->run_id ? b->run_id : "");
}

static int cmp(const sort_ctx *cur, size_t ia, size_t ib)
{
    const ll_run *a = cur->runs[ia], *b = cur->runs[ib];
    int d = 0;
    if (cur->col == TUI_RL_START || tui_runlist_numeric(cur->col)) {
        double x = number(a, cur->col, cur->now), y = number(b, cur->col, cur->now);
        if (isnan(x) || isnan(y)) {
            if (isnan(x) != isnan(y)) return isnan(x) ? 1 : -1;
            return tie(a, b);
        }
        d = x < y ? -1 : x > y ? 1 : 0;
    } else {
        const char *x = text(a, cur->col), *y = text(b, cur->col);
        int mx = !x || !*x, my = !y || !*y;
        if (mx || my) {
            if (mx != my) return mx ? 1 : -1;
            return tie(a, b);
        }
        d = strcmp(x, y);
    }
    if (cur->desc) d = -d;
    return d ? d : tie(a, b);
}

/* Merge sort (qsort has no context argument; this needs the column and direction). */
static void msort(const sort_ctx *c, size_t *a, size_t *tmp, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    msort(c, a, tmp, h);
    msort(c, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp(c, a[j], a[i]) < 0 ? a[j++] : a[i++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

void tui_runlist_sort(ll_run *const *runs, size_t *idx, size_t n, tui_rl_col c, int desc,
                      long long now_ms)
{
    sort_ctx ctx = {runs, c, desc, now_ms};
    size_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (tmp) {
        msort(&ctx, idx, tmp, n);
        free(tmp);
        return;
    }
    /* no memory for the merge: insertion sort in place */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(&ctx, idx[j], idx[j - 1]) < 0; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
}
