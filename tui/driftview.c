/* driftview: pure parts of the Drift screen — severity classes, their order, histogram bars. */
#include "driftview.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

tui_severity tui_drift_severity(const ll_drift_result *r)
{
    if (!r->tested) return TUI_SEV_UNTESTED;
    if (r->drifted) return TUI_SEV_ALERT;
    if (r->psi >= 0.1) return TUI_SEV_WARN; /* ll_drift_psi_band's "moderate" and above */
    return TUI_SEV_OK;
}

const char *tui_severity_name(tui_severity s)
{
    static const char *const names[TUI_SEV_COUNT] = {"-", "ok", "warn", "ALERT"};
    return s < TUI_SEV_COUNT ? names[s] : "?";
}

int tui_drift_rows(const ll_drift_report *r, size_t *idx)
{
    size_t n = r->ncols;
    for (size_t i = 0; i < n; i++) idx[i] = i;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return -1;
    ll_drift_report_order(r, order);
    /* a stable pass per class, from the most severe down, keeps the core's order inside */
    size_t k = 0;
    for (int s = TUI_SEV_ALERT; s >= TUI_SEV_UNTESTED; s--)
        for (size_t i = 0; i < n; i++)
            if ((int)tui_drift_severity(&r->cols[order[i]]) == s) idx[k++] = order[i];
    free(order);
    return 0;
}

void tui_hist_scale(const double *a, const double *b, size_t n, int cells, int *ea, int *eb)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] > mx) mx = a[i];
        if (b[i] > mx) mx = b[i];
    }
    int full = cells > 0 ? cells * 8 : 0;
    for (size_t i = 0; i < n; i++) {
        const double v[2] = {a[i], b[i]};
        int *out[2] = {&ea[i], &eb[i]};
        for (int s = 0; s < 2; s++) {
            int e = 0;
            if (mx > 0 && v[s] > 0 && full > 0) {
                e = (int)lround(v[s] / mx * full);
                if (e < 1) e = 1;
                if (e > full) e = full;
            }
            *out[s] = e;
        }
    }
}

char *tui_hist_label(const ll_drift_result *r, size_t i, char *buf, size_t len)
{
    if (r->hist_labels) {
        snprintf(buf, len, "%s", i < r->nbins && r->hist_labels[i] ? r->hist_labels[i] : "?");
        return buf;
    }
    char lo[48], hi[48];
    double w = r->nbins ? (r->hist_hi - r->hist_lo) / (double)r->nbins : 0;
    ll_drift_fmt(r->hist_lo + w * (double)i, lo, sizeof lo);
    ll_drift_fmt(i + 1 == r->nbins ? r->hist_hi : r->hist_lo + w * (double)(i + 1), hi, sizeof hi);
    /* the end bins also hold the values outside [hist_lo, hist_hi] */
    if (r->nbins > 1 && i == 0)
        snprintf(buf, len, "< %s", hi);
    else if (r->nbins > 1 && i + 1 == r->nbins)
        snprintf(buf, len, ">= %s", lo);
    else
        snprintf(buf, len, "[%s, %s)", lo, hi);
    return buf;
}
