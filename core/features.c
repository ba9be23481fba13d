/* features: the model-ready matrices produced by the feature plan, shared by the learners. */
#include "features.h"

#include <stdlib.h>
#include <string.h>

void ll_binned_free(ll_binned *b)
{
    if (!b) return;
    for (int f = 0; f < b->nfeat; f++) {
        if (b->bins) free(b->bins[f]);
        if (b->cuts) free(b->cuts[f]);
        if (b->names) free(b->names[f]);
    }
    free(b->bins);
    free(b->cuts);
    free(b->names);
    free(b->nbins);
    free(b->is_cat);
    memset(b, 0, sizeof *b);
}

void ll_design_free(ll_design *d)
{
    if (!d) return;
    for (int j = 0; j < d->pnum; j++)
        if (d->num) free(d->num[j]);
    for (int g = 0; g < d->ncat; g++)
        if (d->cat) free(d->cat[g]);
    free(d->num);
    free(d->cat);
    free(d->cat_levels);
    free(d->cat_offset);
    memset(d, 0, sizeof *d);
}
