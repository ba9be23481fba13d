/* tree: binary decision trees shared by gradient boosting and random forests. */
#include "tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t ll_tree_push(ll_tree *t, const ll_tree_node *node)
{
    if (t->n == t->cap) {
        int32_t cap = t->cap ? t->cap * 2 : 64;
        ll_tree_node *n = realloc(t->nodes, (size_t)cap * sizeof *n);
        if (!n) return -1;
        t->nodes = n;
        t->cap = cap;
    }
    t->nodes[t->n] = *node;
    return t->n++;
}

void ll_tree_free(ll_tree *t)
{
    if (!t) return;
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

int32_t ll_tree_leaf_binned(const ll_tree *t, const ll_binned *b, size_t r)
{
    int32_t i = 0;
    while (t->nodes[i].left >= 0) {
        const ll_tree_node *nd = &t->nodes[i];
        unsigned v = b->bins[nd->feature][r];
        int go_left;
        if (v == LL_BIN_MISSING)
            go_left = nd->default_left;
        else if (nd->is_cat)
            go_left = !ll_tree_cat_in(nd, (int)v);
        else
            go_left = v <= nd->split_bin;
        i = go_left ? nd->left : nd->right;
    }
    return i;
}

int32_t ll_tree_leaf_raw(const ll_tree *t, const double *x)
{
    int32_t i = 0;
    while (t->nodes[i].left >= 0) {
        const ll_tree_node *nd = &t->nodes[i];
        double v = x[nd->feature];
        int go_left;
        if (isnan(v))
            go_left = nd->default_left;
        else if (nd->is_cat)
            go_left = !(v >= 0 && v < 256 && ll_tree_cat_in(nd, (int)v));
        else
            go_left = v < nd->threshold;
        i = go_left ? nd->left : nd->right;
    }
    return i;
}

static int tree_depth_from(const ll_tree *t, int32_t i)
{
    if (t->nodes[i].left < 0) return 0;
    int l = tree_depth_from(t, t->nodes[i].left), r = tree_depth_from(t, t->nodes[i].right);
    return 1 + (l > r ? l : r);
}

int ll_tree_depth(const ll_tree *t)
{
    return t->n ? tree_depth_from(t, 0) : 0;
}
