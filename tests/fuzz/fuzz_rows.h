/* fuzz_rows: raw feature rows that exercise every branch kind of a loaded tree model. */
#ifndef FUZZ_ROWS_H
#define FUZZ_ROWS_H

#include <math.h>
#include <stdlib.h>

/* Most features a harness scores (a larger claimed count skips scoring, not loading). */
#define FZ_MAX_FEAT 4096
#define FZ_NROWS    6

/* FZ_NROWS rows of nfeat values: missing, zero, large, negative, fractional category-like,
 * and out-of-range category indexes. malloc'd. */
static inline double *fz_rows(int nfeat)
{
    static const double v[FZ_NROWS] = {NAN, 0, 1e300, -3.5, 2, 300};
    double *x = malloc((size_t)FZ_NROWS * (size_t)(nfeat > 0 ? nfeat : 1) * sizeof *x);
    if (!x) abort();
    for (int r = 0; r < FZ_NROWS; r++)
        for (int f = 0; f < nfeat; f++)
            x[(size_t)r * (size_t)nfeat + (size_t)f] = v[(r + f) % FZ_NROWS];
    return x;
}

#endif
