/* tree: binary decision trees shared by gradient boosting and random forests. */
#ifndef LL_TREE_H
#define LL_TREE_H

#include <stdint.h>

#include "features.h"

/* One node. Internal nodes route a row left when:
 *   numeric:     bin <= split_bin   (equivalently value < threshold, XGBoost's condition)
 *   categorical: its category is NOT in cat_set (categories in the set go right, as XGBoost)
 *   missing:     default_left. */
typedef struct {
    int32_t left, right; /* child node indexes; -1 on leaves */
    int32_t feature;     /* split feature (index into the binned matrix) */
    uint8_t default_left;
    uint8_t is_cat;
    uint8_t split_bin;   /* numeric split bin */
    double threshold;    /* numeric: cuts[feature][split_bin] */
    uint64_t cat_set[4]; /* categorical: bitset over category indexes 0..255 */
    double value;        /* leaf output (gbdt: margin delta already scaled by eta;
                            forest: positive-class probability) */
    double gain;         /* split loss reduction (internal nodes) */
    double cover;        /* sum of hessians (gbdt) or weighted row count (forest) */
} ll_tree_node;

typedef struct {
    ll_tree_node *nodes; /* nodes[0] is the root */
    int32_t n, cap;
} ll_tree;

/* Append a node (copied); returns its index or -1 on ENOMEM. */
int32_t ll_tree_push(ll_tree *t, const ll_tree_node *node);
void ll_tree_free(ll_tree *t);
/* Leaf index reached by row r of a binned matrix. */
int32_t ll_tree_leaf_binned(const ll_tree *t, const ll_binned *b, size_t r);
/* Leaf index reached by one raw row: x[f] is the numeric value (NaN = missing) or, for a
 * categorical feature, the category index as a double (NaN = missing; an index outside the
 * set's range goes as "not in set"). */
int32_t ll_tree_leaf_raw(const ll_tree *t, const double *x);
/* 1 when category c is in node's set. */
static inline int ll_tree_cat_in(const ll_tree_node *nd, int c)
{
    return c >= 0 && c < 256 && ((nd->cat_set[c >> 6] >> (c & 63)) & 1u);
}
/* Depth of the tree (root only = 0). */
int ll_tree_depth(const ll_tree *t);

#endif
