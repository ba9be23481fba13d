/* logreg: L2-regularised logistic regression on the design matrix (trust-region Newton). */
#include "logreg.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "numfmt.h"

/* Rows are cut into fixed blocks whatever the thread count; each block sums into its own partial
 * vector and partials are added in block order, so results are bit-identical for any number of
 * threads. Inside a block, rows go by chunks small enough for the chunk's margins to stay in L1
 * while the numeric columns stream past. */
#define BLOCK         8192
#define CHUNK         256
#define AUC_EVERY_MAX 200000 /* above this many rows, AUC is computed only every k-th step */

struct ll_logreg {
    int pnum, ncat, nweights;
    int *cat_levels;
    double *coef;
    double intercept;
    ll_logreg_info info;
};

void ll_logreg_params_default(ll_logreg_params *p)
{
    p->C = 1.0;
    p->max_iter = 100;
    p->tol = 1e-6;
    p->class_weight = LL_CLASS_WEIGHT_NONE;
    p->threads = 2;
}

const char *ll_logreg_params_check(const ll_logreg_params *p)
{
    if (!p) return "no parameters given";
    if (!(p->C > 0.0) || !isfinite(p->C)) return "C must be a finite number > 0";
    if (p->max_iter < 1) return "max_iter must be at least 1";
    if (!(p->tol > 0.0) || !(p->tol < 1.0)) return "tol must be > 0 and < 1";
    if ((int)p->class_weight < 0 || p->class_weight >= LL_CLASS_WEIGHT_COUNT)
        return "class_weight must be none or balanced";
    if (p->threads < 1 || p->threads > LL_LOGREG_MAX_THREADS)
        return "threads must be between 1 and 64";
    return NULL;
}

const char *ll_logreg_class_weight_name(ll_class_weight cw)
{
    return cw == LL_CLASS_WEIGHT_BALANCED ? "balanced" : cw == LL_CLASS_WEIGHT_NONE ? "none" : "?";
}

int ll_logreg_class_weight_parse(const char *s)
{
    if (!s) return -1;
    if (strcmp(s, "none") == 0) return LL_CLASS_WEIGHT_NONE;
    if (strcmp(s, "balanced") == 0) return LL_CLASS_WEIGHT_BALANCED;
    return -1;
}

/* ---------------------------------------------------------------------------------------------
 * Design checks and the "extended" weight layout. Row loops look weights up through a vector
 * where every categorical group has one extra slot in front holding 0 for level -1, so a missing
 * level needs no branch: ext = [numeric | g0: missing, levels... | g1: ... | intercept].
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    int pnum, ncat, nweights;
    int E;     /* length of the extended layout */
    int *eoff; /* per group: extended index of its missing slot */
} layout;

static void layout_free(layout *L)
{
    free(L->eoff);
    memset(L, 0, sizeof *L);
}

static ll_status design_check(const ll_design *X, const char *what, ll_error *err)
{
    if (!X) return ll_error_set(err, LL_EINVAL, "logreg: no %s design", what);
    if (X->pnum < 0 || X->ncat < 0 || (X->pnum && !X->num) ||
        (X->ncat && (!X->cat || !X->cat_levels || !X->cat_offset)))
        return ll_error_set(err, LL_EINVAL, "logreg: malformed %s design", what);
    int off = X->pnum;
    for (int g = 0; g < X->ncat; g++) {
        if (X->cat_levels[g] < 1 || X->cat_offset[g] != off)
            return ll_error_set(err, LL_EINVAL,
                                "logreg: %s design group %d has %d levels at offset %d "
                                "(expected offset %d)",
                                what, g, X->cat_levels[g], X->cat_offset[g], off);
        off += X->cat_levels[g];
    }
    if (X->nweights != off)
        return ll_error_set(err, LL_EINVAL, "logreg: %s design has nweights %d, expected %d", what,
                            X->nweights, off);
    for (int j = 0; j < X->pnum; j++)
        if (X->n && !X->num[j])
            return ll_error_set(err, LL_EINVAL, "logreg: %s design column %d is NULL", what, j);
    for (int g = 0; g < X->ncat; g++) {
        const int32_t *c = X->cat[g];
        int32_t lv = X->cat_levels[g];
        if (X->n && !c)
            return ll_error_set(err, LL_EINVAL, "logreg: %s design group %d is NULL", what, g);
        for (size_t i = 0; i < X->n; i++)
            if (c[i] < -1 || c[i] >= lv)
                return ll_error_set(err, LL_EINVAL,
                                    "logreg: %s design group %d row %zu has level %d (of %d)", what,
                                    g, i, (int)c[i], (int)lv);
    }
    return LL_OK;
}

static int layout_init(layout *L, int pnum, int ncat, const int *cat_levels)
{
    L->pnum = pnum;
    L->ncat = ncat;
    L->eoff = malloc((size_t)(ncat ? ncat : 1) * sizeof *L->eoff);
    if (!L->eoff) return 0;
    int e = pnum, nw = pnum;
    for (int g = 0; g < ncat; g++) {
        L->eoff[g] = e;
        e += cat_levels[g] + 1;
        nw += cat_levels[g];
    }
    L->E = e + 1;
    L->nweights = nw;
    return 1;
}

/* w (nweights values) and b into the extended layout. */
static void to_ext(const layout *L, const int *cat_levels, const double *w, double b, double *ext)
{
    memcpy(ext, w, (size_t)L->pnum * sizeof *ext);
    int src = L->pnum;
    for (int g = 0; g < L->ncat; g++) {
        double *t = ext + L->eoff[g];
        t[0] = 0.0;
        memcpy(t + 1, w + src, (size_t)cat_levels[g] * sizeof *t);
        src += cat_levels[g];
    }
    ext[L->E - 1] = b;
}

/* Extended layout back to nweights values plus the intercept (missing slots dropped). */
static void from_ext(const layout *L, const int *cat_levels, const double *ext, double *w,
                     double *b)
{
    memcpy(w, ext, (size_t)L->pnum * sizeof *w);
    int dst = L->pnum;
    for (int g = 0; g < L->ncat; g++) {
        memcpy(w + dst, ext + L->eoff[g] + 1, (size_t)cat_levels[g] * sizeof *w);
        dst += cat_levels[g];
    }
    *b = ext[L->E - 1];
}

/* Row-chunk kernels. Columns go four at a time so that each chunk value is loaded and stored
 * once per four columns, two rows at a time in 2-lane vectors (GCC/Clang vector extension, plain
 * SSE2 on x86-64): lane 0 sums even rows, lane 1 odd rows, exactly as the scalar tail would, so
 * the summation order is fixed and results are reproducible without -ffast-math. */
typedef double v2d __attribute__((vector_size(16)));

static inline v2d ld2(const double *p)
{
    v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st2(double *p, v2d v)
{
    memcpy(p, &v, sizeof v);
}

/* t[k] += sum_j num[j][c0 + k] * w[j] for k < m. */
static void chunk_axpy(const ll_design *X, const double *w, size_t c0, size_t m, double *t)
{
    int j = 0;
    for (; j + 4 <= X->pnum; j += 4) {
        const double *a = X->num[j] + c0, *b = X->num[j + 1] + c0;
        const double *c = X->num[j + 2] + c0, *d = X->num[j + 3] + c0;
        const double wa = w[j], wb = w[j + 1], wc = w[j + 2], wd = w[j + 3];
        const v2d va = {wa, wa}, vb = {wb, wb}, vc = {wc, wc}, vd = {wd, wd};
        size_t k = 0;
        for (; k + 2 <= m; k += 2)
            st2(t + k, ld2(t + k) + ((ld2(a + k) * va + ld2(b + k) * vb) +
                                     (ld2(c + k) * vc + ld2(d + k) * vd)));
        if (k < m) t[k] += (a[k] * wa + b[k] * wb) + (c[k] * wc + d[k] * wd);
    }
    for (; j < X->pnum; j++) {
        const double *a = X->num[j] + c0, wa = w[j];
        for (size_t k = 0; k < m; k++) t[k] += a[k] * wa;
    }
}

/* out[j] += sum_k num[j][c0 + k] * t[k] for every numeric column j. */
static void chunk_dots(const ll_design *X, size_t c0, size_t m, const double *t, double *out)
{
    int j = 0;
    for (; j + 4 <= X->pnum; j += 4) {
        const double *a = X->num[j] + c0, *b = X->num[j + 1] + c0;
        const double *c = X->num[j + 2] + c0, *d = X->num[j + 3] + c0;
        v2d sa = {0, 0}, sb = {0, 0}, sc = {0, 0}, sd = {0, 0};
        size_t k = 0;
        for (; k + 2 <= m; k += 2) {
            const v2d tt = ld2(t + k);
            sa += ld2(a + k) * tt;
            sb += ld2(b + k) * tt;
            sc += ld2(c + k) * tt;
            sd += ld2(d + k) * tt;
        }
        if (k < m) {
            sa[0] += a[k] * t[k];
            sb[0] += b[k] * t[k];
            sc[0] += c[k] * t[k];
            sd[0] += d[k] * t[k];
        }
        out[j] += sa[0] + sa[1];
        out[j + 1] += sb[0] + sb[1];
        out[j + 2] += sc[0] + sc[1];
        out[j + 3] += sd[0] + sd[1];
    }
    for (; j < X->pnum; j++) {
        const double *a = X->num[j] + c0;
        v2d sa = {0, 0};
        size_t k = 0;
        for (; k + 2 <= m; k += 2) sa += ld2(a + k) * ld2(t + k);
        if (k < m) sa[0] += a[k] * t[k];
        out[j] += sa[0] + sa[1];
    }
}

/* out[j] += sum_k D[k] * num[j][c0 + k]^2 (the Hessian diagonal) for every numeric column j. */
static void chunk_sqdots(const ll_design *X, size_t c0, size_t m, const double *D, double *out)
{
    for (int j = 0; j < X->pnum; j++) {
        const double *a = X->num[j] + c0;
        v2d s = {0, 0};
        size_t k = 0;
        for (; k + 2 <= m; k += 2) {
            const v2d x = ld2(a + k);
            s += ld2(D + k) * x * x;
        }
        if (k < m) s[0] += D[k] * a[k] * a[k];
        out[j] += s[0] + s[1];
    }
}

/* t[k] = b + x_(c0+k) . w over one chunk, w in the extended layout. */
static void chunk_margin(const ll_design *X, const layout *L, const double *wext, size_t c0,
                         size_t m, double *t)
{
    const double b = wext[L->E - 1];
    for (size_t k = 0; k < m; k++) t[k] = b;
    chunk_axpy(X, wext, c0, m, t);
    int g = 0;
    for (; g + 2 <= L->ncat; g += 2) {
        const int32_t *ca = X->cat[g] + c0, *cb = X->cat[g + 1] + c0;
        const double *ta = wext + L->eoff[g] + 1, *tb = wext + L->eoff[g + 1] + 1;
        for (size_t k = 0; k < m; k++) t[k] += ta[ca[k]] + tb[cb[k]];
    }
    if (g < L->ncat) {
        const int32_t *cc = X->cat[g] + c0;
        const double *tab = wext + L->eoff[g] + 1;
        for (size_t k = 0; k < m; k++) t[k] += tab[cc[k]];
    }
}

/* Margins of rows [r0, r1) of X for weights wext. */
static void margins(const ll_design *X, const layout *L, const double *wext, size_t r0, size_t r1,
                    double *z)
{
    for (size_t c0 = r0; c0 < r1; c0 += CHUNK)
        chunk_margin(X, L, wext, c0, r1 - c0 < CHUNK ? r1 - c0 : CHUNK, z + c0);
}

/* ---------------------------------------------------------------------------------------------
 * Block-parallel loops.
 * ------------------------------------------------------------------------------------------- */

typedef void (*block_fn)(void *ctx, size_t block);

typedef struct {
    block_fn fn;
    void *ctx;
    size_t nblocks;
    int t, nthreads;
} worker;

static void *worker_main(void *arg)
{
    const worker *wk = arg;
    for (size_t b = (size_t)wk->t; b < wk->nblocks; b += (size_t)wk->nthreads) wk->fn(wk->ctx, b);
    return NULL;
}

/* Run fn on every block, thread t taking blocks t, t + T, ... The calling thread is thread 0;
 * a thread that cannot be started has its share run by the caller instead. */
static void run_blocks(int threads, size_t nblocks, block_fn fn, void *ctx)
{
    int T = threads;
    if ((size_t)T > nblocks) T = (int)nblocks;
    if (T <= 1) {
        for (size_t b = 0; b < nblocks; b++) fn(ctx, b);
        return;
    }
    worker wk[LL_LOGREG_MAX_THREADS] = {{0}};
    pthread_t th[LL_LOGREG_MAX_THREADS];
    int started[LL_LOGREG_MAX_THREADS] = {0};
    for (int t = 0; t < T; t++) wk[t] = (worker){fn, ctx, nblocks, t, T};
    for (int t = 1; t < T; t++) started[t] = pthread_create(&th[t], NULL, worker_main, &wk[t]) == 0;
    worker_main(&wk[0]);
    for (int t = 1; t < T; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            worker_main(&wk[t]);
    }
}

/* ---------------------------------------------------------------------------------------------
 * The objective, its gradient and Hessian-vector products (row loops by block).
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const ll_design *X;
    const double *y; /* 0/1 labels */
    layout L;
    double cw[2]; /* C * class weight of class 0 and class 1 */
    size_t n, nblocks;
    int threads;
    double *z;    /* margins at the last fun_grad() point */
    double *D;    /* Hessian row weights C c_i sigma_i (1 - sigma_i) at the current iterate */
    double *Dn;   /* the same at the last fun_grad() point (swapped in when a step is taken) */
    double *part; /* per block partial sums: nblocks * (2E + 2) */
    double *vext; /* E: weights (fun_grad) or direction (Hv) in the extended layout */
    double *ext;  /* E: reduction buffer */
    double *ext2; /* E: second reduction buffer (Hessian diagonal) */
} problem;

static void problem_free(problem *P)
{
    free(P->z);
    free(P->D);
    free(P->Dn);
    free(P->part);
    free(P->vext);
    free(P->ext);
    free(P->ext2);
    layout_free(&P->L);
}

static inline size_t block_end(const problem *P, size_t b)
{
    size_t r1 = (b + 1) * BLOCK;
    return r1 < P->n ? r1 : P->n;
}

/* One pass over a block for a trial point: margins, loss (weighted and plain), the gradient
 * terms v_i = C c_i (sigma_i - 1) y_i summed into X^T v, and D_i with the Hessian diagonal
 * sum_i D_i x_ij^2. The gradient is computed even for a step that will be rejected: it costs
 * far less than a second pass over the data for every step taken. */
static void fun_grad_block(void *ctx, size_t b)
{
    problem *P = ctx;
    const layout *L = &P->L;
    const size_t E = (size_t)L->E;
    double *pg = P->part + b * (2 * E + 2), *pm = pg + E, *pl = pm + E;
    memset(pg, 0, (2 * E + 2) * sizeof *pg);
    size_t r0 = b * BLOCK, r1 = block_end(P, b);
    double v[CHUNK];
    for (size_t c0 = r0; c0 < r1; c0 += CHUNK) {
        size_t m = r1 - c0 < CHUNK ? r1 - c0 : CHUNK;
        double *zz = P->z + c0, *D = P->Dn + c0;
        const double *yy = P->y + c0;
        chunk_margin(P->X, L, P->vext, c0, m, zz);
        double lw = 0.0, lp = 0.0, sv = 0.0, sd = 0.0;
        for (size_t k = 0; k < m; k++) {
            int pos = yy[k] == 1.0;
            double mg = pos ? zz[k] : -zz[k], e, l, sg, c = P->cw[pos];
            if (mg >= 0.0) {
                e = exp(-mg);
                l = log1p(e);
                sg = 1.0 / (1.0 + e);
            } else {
                e = exp(mg);
                l = log1p(e) - mg;
                sg = e / (1.0 + e);
            }
            /* sg = sigma(y z): probability given to the true class */
            v[k] = pos ? c * (sg - 1.0) : c * (1.0 - sg);
            D[k] = c * sg * (1.0 - sg);
            lw += c * l;
            lp += l;
            sv += v[k];
            sd += D[k];
        }
        chunk_dots(P->X, c0, m, v, pg);
        chunk_sqdots(P->X, c0, m, D, pm);
        for (int g = 0; g < L->ncat; g++) {
            const int32_t *cc = P->X->cat[g] + c0;
            double *tg = pg + L->eoff[g] + 1, *tm = pm + L->eoff[g] + 1;
            for (size_t k = 0; k < m; k++) {
                tg[cc[k]] += v[k];
                tm[cc[k]] += D[k];
            }
        }
        pg[E - 1] += sv;
        pm[E - 1] += sd;
        pl[0] += lw;
        pl[1] += lp;
    }
}

/* At (w, bias): returns f(w, b) = 0.5 |w|^2 + sum_i C c_i log(1 + exp(-y_i z_i)); fills the
 * gradient g (nweights + 1 values, intercept last; the intercept is not regularised), the raw
 * Hessian diagonal M, P->Dn and the plain mean log loss. */
static double fun_grad(problem *P, const double *w, double bias, double *g, double *M,
                       double *logloss)
{
    const layout *L = &P->L;
    const size_t E = (size_t)L->E;
    const int nw = L->nweights;
    to_ext(L, P->X->cat_levels, w, bias, P->vext);
    run_blocks(P->threads, P->nblocks, fun_grad_block, P);
    memset(P->ext, 0, E * sizeof *P->ext);
    memset(P->ext2, 0, E * sizeof *P->ext2);
    double f = 0.0, lp = 0.0;
    for (size_t b = 0; b < P->nblocks; b++) {
        const double *pg = P->part + b * (2 * E + 2), *pm = pg + E;
        for (size_t e = 0; e < E; e++) {
            P->ext[e] += pg[e];
            P->ext2[e] += pm[e];
        }
        f += pm[E];
        lp += pm[E + 1];
    }
    from_ext(L, P->X->cat_levels, P->ext, g, &g[nw]);
    from_ext(L, P->X->cat_levels, P->ext2, M, &M[nw]);
    double reg = 0.0;
    for (int j = 0; j < nw; j++) {
        reg += w[j] * w[j];
        g[j] += w[j];
        M[j] += 1.0;
    }
    *logloss = lp / (double)P->n;
    return f + 0.5 * reg;
}

/* Hv: per block, sum_i D_i (x_i . s) x_i into part[b*E ...]. */
static void hv_block(void *ctx, size_t b)
{
    problem *P = ctx;
    const layout *L = &P->L;
    const int E = L->E;
    double *ph = P->part + b * (size_t)E;
    memset(ph, 0, (size_t)E * sizeof *ph);
    size_t r0 = b * BLOCK, r1 = block_end(P, b);
    double t[CHUNK];
    for (size_t c0 = r0; c0 < r1; c0 += CHUNK) {
        size_t m = r1 - c0 < CHUNK ? r1 - c0 : CHUNK;
        chunk_margin(P->X, L, P->vext, c0, m, t);
        const double *D = P->D + c0;
        double st = 0.0;
        for (size_t k = 0; k < m; k++) {
            t[k] *= D[k];
            st += t[k];
        }
        chunk_dots(P->X, c0, m, t, ph);
        for (int g = 0; g < L->ncat; g++) {
            const int32_t *cc = P->X->cat[g] + c0;
            double *tab = ph + L->eoff[g] + 1;
            for (size_t k = 0; k < m; k++) tab[cc[k]] += t[k];
        }
        ph[E - 1] += st;
    }
}

/* Hs = s + X^T D X s (intercept entry without the identity term). */
static void hv(problem *P, const double *s, double *Hs)
{
    const layout *L = &P->L;
    const size_t E = (size_t)L->E;
    int nw = L->nweights;
    to_ext(L, P->X->cat_levels, s, s[nw], P->vext);
    run_blocks(P->threads, P->nblocks, hv_block, P);
    memset(P->ext, 0, E * sizeof *P->ext);
    for (size_t b = 0; b < P->nblocks; b++) {
        const double *ph = P->part + b * E;
        for (size_t e = 0; e < E; e++) P->ext[e] += ph[e];
    }
    from_ext(L, P->X->cat_levels, P->ext, Hs, &Hs[nw]);
    for (int j = 0; j < nw; j++) Hs[j] += s[j];
}

/* ---------------------------------------------------------------------------------------------
 * Progress reporting.
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const ll_design *X;
    const layout *L;
    const double *wext;
    double *z;
    size_t n;
} margin_job;

static void margin_block(void *ctx, size_t b)
{
    margin_job *J = ctx;
    size_t r0 = b * BLOCK, r1 = (b + 1) * BLOCK < J->n ? (b + 1) * BLOCK : J->n;
    margins(J->X, J->L, J->wext, r0, r1, J->z);
}

static double mean_logloss(const double *y, const double *z, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double m = y[i] == 1.0 ? z[i] : -z[i];
        s += m >= 0.0 ? log1p(exp(-m)) : log1p(exp(m)) - m;
    }
    return s / (double)n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------------------------------------
 * Preconditioner. Real designs are badly conditioned in ways a diagonal cannot fix: a one-hot
 * group and the intercept trade off exactly, and numeric columns shadow categorical ones (the
 * interest rate is nearly a function of the sub-grade). So when the model is small enough, M is
 * the Hessian itself, estimated on a sample of rows (PC_WINDOWS evenly spread windows,
 * PC_SAMPLE rows in all, every row for smaller data) and Cholesky-factored:
 *     M = I' + (n / m) * sum_{sampled i} D_i x~_i x~_i^T.
 * CG then needs a handful of steps per Newton step. Otherwise (or should the factorisation
 * fail) M = (1 - a) I + a diag(H) with a = 0.01, as liblinear 2.2x.
 * ------------------------------------------------------------------------------------------- */

#define PC_SAMPLE  32768
#define PC_WINDOWS 64
#define PC_MAX_DIM 512

typedef struct {
    int nv;
    int dense;    /* 1: H and its Cholesky factor Lc are in use */
    double *diag; /* nv: diagonal preconditioner */
    double *H;    /* nv * nv: sampled Hessian (dense mode) */
    double *Lc;   /* nv * nv: lower Cholesky factor of H (dense mode) */
    double *tmp;  /* nv scratch */
    int *idx;     /* scratch: active weight indexes of one row */
    double *val;  /* scratch: their values */
} precond;

static void precond_free(precond *pc)
{
    free(pc->diag);
    free(pc->H);
    free(pc->Lc);
    free(pc->tmp);
    free(pc->idx);
    free(pc->val);
}

static int precond_alloc(precond *pc, int nv, int pnum, int ncat)
{
    memset(pc, 0, sizeof *pc);
    pc->nv = nv;
    pc->diag = malloc((size_t)nv * sizeof *pc->diag);
    pc->tmp = malloc((size_t)nv * sizeof *pc->tmp);
    if (!pc->diag || !pc->tmp) return 0;
    if (nv <= PC_MAX_DIM) {
        pc->H = malloc((size_t)nv * (size_t)nv * sizeof *pc->H);
        pc->Lc = malloc((size_t)nv * (size_t)nv * sizeof *pc->Lc);
        pc->idx = malloc((size_t)(pnum + ncat + 1) * sizeof *pc->idx);
        pc->val = malloc((size_t)(pnum + ncat + 1) * sizeof *pc->val);
        if (!pc->H || !pc->Lc || !pc->idx || !pc->val) return 0;
    }
    return 1;
}

/* Upper triangle of H += sum over rows [r0, r1) of D_i x~_i x~_i^T. */
static void pc_add_rows(const problem *P, precond *pc, size_t r0, size_t r1)
{
    const ll_design *X = P->X;
    const int nv = pc->nv, nw = nv - 1;
    int *idx = pc->idx;
    double *val = pc->val;
    for (size_t i = r0; i < r1; i++) {
        double d = P->D[i];
        if (d == 0.0) continue;
        int q = 0;
        for (int j = 0; j < X->pnum; j++) {
            idx[q] = j;
            val[q++] = X->num[j][i];
        }
        for (int g = 0; g < X->ncat; g++) {
            int32_t c = X->cat[g][i];
            if (c < 0) continue;
            idx[q] = X->cat_offset[g] + c;
            val[q++] = 1.0;
        }
        idx[q] = nw;
        val[q++] = 1.0;
        for (int a = 0; a < q; a++) { /* idx is increasing, so this stays in the upper half */
            double da = d * val[a], *row = pc->H + (size_t)idx[a] * (size_t)nv;
            for (int b = a; b < q; b++) row[idx[b]] += da * val[b];
        }
    }
}

/* Rebuild the preconditioner at the current iterate (P->D holds its row weights; diag is its raw
 * Hessian diagonal from fun_grad()). */
static void precond_build(const problem *P, precond *pc, const double *diag)
{
    const int nv = pc->nv, nw = nv - 1;
    for (int i = 0; i < nv; i++) pc->diag[i] = 0.99 + 0.01 * diag[i];
    pc->dense = 0;
    if (!pc->H) return;
    memset(pc->H, 0, (size_t)nv * (size_t)nv * sizeof *pc->H);
    size_t m = 0;
    if (P->n <= PC_SAMPLE) {
        pc_add_rows(P, pc, 0, P->n);
        m = P->n;
    } else {
        const size_t W = PC_SAMPLE / PC_WINDOWS;
        for (size_t k = 0; k < PC_WINDOWS; k++) {
            size_t r0 = (P->n - W) * k / (PC_WINDOWS - 1);
            pc_add_rows(P, pc, r0, r0 + W);
            m += W;
        }
    }
    const double scale = (double)P->n / (double)m;
    double *H = pc->H, *Lc = pc->Lc;
    for (int a = 0; a < nv; a++) {
        for (int b = a; b < nv; b++) {
            double v = H[(size_t)a * nv + b] * scale + (a == b && a < nw ? 1.0 : 0.0);
            H[(size_t)a * nv + b] = H[(size_t)b * nv + a] = v;
        }
    }
    /* Cholesky H = Lc Lc^T (lower triangle of Lc used) */
    for (int j = 0; j < nv; j++) {
        double sum = H[(size_t)j * nv + j];
        for (int k = 0; k < j; k++) sum -= Lc[(size_t)j * nv + k] * Lc[(size_t)j * nv + k];
        if (!(sum > 0.0)) return; /* not positive definite numerically: keep the diagonal */
        double ljj = sqrt(sum);
        Lc[(size_t)j * nv + j] = ljj;
        for (int i = j + 1; i < nv; i++) {
            double t = H[(size_t)i * nv + j];
            for (int k = 0; k < j; k++) t -= Lc[(size_t)i * nv + k] * Lc[(size_t)j * nv + k];
            Lc[(size_t)i * nv + j] = t / ljj;
        }
    }
    pc->dense = 1;
}

/* z = M^-1 r */
static void pc_solve(const precond *pc, const double *r, double *z)
{
    const int nv = pc->nv;
    if (!pc->dense) {
        for (int i = 0; i < nv; i++) z[i] = r[i] / pc->diag[i];
        return;
    }
    const double *Lc = pc->Lc;
    for (int i = 0; i < nv; i++) { /* Lc y = r */
        double t = r[i];
        for (int k = 0; k < i; k++) t -= Lc[(size_t)i * nv + k] * z[k];
        z[i] = t / Lc[(size_t)i * nv + i];
    }
    for (int i = nv - 1; i >= 0; i--) { /* Lc^T z = y */
        double t = z[i];
        for (int k = i + 1; k < nv; k++) t -= Lc[(size_t)k * nv + i] * z[k];
        z[i] = t / Lc[(size_t)i * nv + i];
    }
}

/* a^T M b */
static double pc_dot(const precond *pc, const double *a, const double *b)
{
    const int nv = pc->nv;
    double s = 0.0;
    if (!pc->dense) {
        for (int i = 0; i < nv; i++) s += a[i] * pc->diag[i] * b[i];
        return s;
    }
    for (int i = 0; i < nv; i++) {
        const double *row = pc->H + (size_t)i * nv;
        double t = 0.0;
        for (int k = 0; k < nv; k++) t += row[k] * b[k];
        s += a[i] * t;
    }
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * The solver.
 *
 * Objective (y_i in {-1, +1}, z_i = w . x_i + b, c_i the class weight of row i):
 *
 *     min_{w,b}  f(w, b) = 0.5 * ||w||^2 + C * sum_i c_i * log(1 + exp(-y_i z_i))
 *
 * The intercept b is not regularised. f is strictly convex (the Hessian I' + C X~^T D X~, with
 * I' the identity without its intercept entry and X~ = [X 1], is positive definite), so the
 * minimiser is unique and equals scikit-learn's LogisticRegression(C) solution.
 *
 * Trust-region Newton (TRON, Lin, Weng & Keerthi 2008, as in liblinear): each step solves the
 * Newton system H s = -g approximately by preconditioned conjugate gradient inside a trust
 * region ||s||_M <= delta (M: the preconditioner above). The step is taken when the actual
 * reduction of f is a fair share of the quadratic model's prediction, and delta grows or shrinks
 * with that ratio. CG stops at relative residual min(0.1, sqrt(|g| / |g0|)), which makes the
 * outer convergence superlinear. The fit stops when |g| <= tol * |g0|, g0 being the gradient at
 * the start point w = 0, b = log-odds of the (weighted) base rate.
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    problem *P;
    const double *g;
    const precond *pc;
    double *s, *r, *d, *Hd, *z;
    int nv;
    const volatile int *cancel;
    int *cg_total;
} cg_state;

static double dot(const double *a, const double *b, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* Preconditioned CG for H s = -g within ||s||_M <= delta. On return r = -g - H s. Returns -1 if
 * cancelled, else 1 when the boundary was reached, 0 otherwise. */
static int trpcg(cg_state *S, double delta, double rtol)
{
    const int n = S->nv;
    double *s = S->s, *r = S->r, *d = S->d, *Hd = S->Hd, *z = S->z;
    const double *g = S->g;
    const precond *pc = S->pc;
    for (int i = 0; i < n; i++) {
        s[i] = 0.0;
        r[i] = -g[i];
    }
    pc_solve(pc, r, z);
    memcpy(d, z, (size_t)n * sizeof *d);
    double zTr = dot(z, r, n);
    double cgtol = rtol * sqrt(zTr);
    int max_cg = n > 5 ? 2 * n : 10;
    for (int it = 0; it < max_cg; it++) {
        if (sqrt(zTr) <= cgtol) break;
        if (S->cancel && *S->cancel) return -1;
        hv(S->P, d, Hd);
        (*S->cg_total)++;
        double dHd = dot(d, Hd, n);
        if (!(dHd > 0.0)) break; /* numerically flat direction: keep what we have */
        double alpha = zTr / dHd;
        for (int i = 0; i < n; i++) s[i] += alpha * d[i];
        if (sqrt(pc_dot(pc, s, s)) > delta) {
            /* step back and go to the boundary along d */
            for (int i = 0; i < n; i++) s[i] -= alpha * d[i];
            double std = pc_dot(pc, s, d), sts = pc_dot(pc, s, s), dtd = pc_dot(pc, d, d);
            double dsq = delta * delta, rad = sqrt(std * std + dtd * (dsq - sts));
            alpha = std >= 0.0 ? (dsq - sts) / (std + rad) : (rad - std) / dtd;
            for (int i = 0; i < n; i++) {
                s[i] += alpha * d[i];
                r[i] -= alpha * Hd[i];
            }
            return 1;
        }
        for (int i = 0; i < n; i++) r[i] -= alpha * Hd[i];
        pc_solve(pc, r, z);
        double zTr_new = dot(z, r, n), beta = zTr_new / zTr;
        for (int i = 0; i < n; i++) d[i] = z[i] + beta * d[i];
        zTr = zTr_new;
    }
    return 0;
}

static ll_status cancelled(ll_error *err)
{
    return ll_error_set(err, LL_ECANCELLED, "logistic regression cancelled");
}

ll_status ll_logreg_fit(const ll_design *X, const double *y01, const ll_logreg_params *params,
                        const ll_design *Xvalid, const double *yvalid, ll_fit_fn cb, void *ud,
                        const volatile int *cancel, ll_logreg **out, ll_error *err)
{
    char buf[40];
    *out = NULL;
    const char *msg = ll_logreg_params_check(params);
    if (msg) return ll_error_set(err, LL_EINVAL, "logreg: %s", msg);
    ll_status st = design_check(X, "training", err);
    if (st != LL_OK) return st;
    if (X->n == 0) return ll_error_set(err, LL_EINVAL, "logreg: no training rows");
    if (!y01) return ll_error_set(err, LL_EINVAL, "logreg: no labels");
    size_t npos = 0;
    for (size_t i = 0; i < X->n; i++) {
        if (y01[i] != 0.0 && y01[i] != 1.0)
            return ll_error_set(err, LL_EINVAL, "logreg: label y[%zu] = %s is not 0 or 1", i,
                                ll_numfmt_double(y01[i], buf, sizeof buf));
        npos += y01[i] == 1.0;
    }
    if (npos == 0 || npos == X->n)
        return ll_error_set(err, LL_EINVAL,
                            "logreg: training labels hold a single class (%zu of %zu positive)",
                            npos, X->n);
    if (Xvalid) {
        if ((st = design_check(Xvalid, "validation", err)) != LL_OK) return st;
        int same = Xvalid->pnum == X->pnum && Xvalid->ncat == X->ncat;
        for (int g = 0; same && g < X->ncat; g++) same = Xvalid->cat_levels[g] == X->cat_levels[g];
        if (!same)
            return ll_error_set(err, LL_EINVAL,
                                "logreg: validation design shape differs from the training one");
        if (Xvalid->n && !yvalid) return ll_error_set(err, LL_EINVAL, "logreg: no valid labels");
        for (size_t i = 0; i < Xvalid->n; i++)
            if (yvalid[i] != 0.0 && yvalid[i] != 1.0)
                return ll_error_set(err, LL_EINVAL,
                                    "logreg: validation label y[%zu] = %s is not 0 or 1", i,
                                    ll_numfmt_double(yvalid[i], buf, sizeof buf));
    }

    const double t0 = now_s();
    const size_t n = X->n;
    problem P = {0};
    P.X = X;
    P.y = y01;
    P.n = n;
    P.nblocks = (n + BLOCK - 1) / BLOCK;
    P.threads = params->threads;
    double cwt[2] = {1.0, 1.0};
    if (params->class_weight == LL_CLASS_WEIGHT_BALANCED) {
        cwt[0] = (double)n / (2.0 * (double)(n - npos));
        cwt[1] = (double)n / (2.0 * (double)npos);
    }
    P.cw[0] = params->C * cwt[0];
    P.cw[1] = params->C * cwt[1];

    const int nw = X->nweights, nv = nw + 1;
    int ok = layout_init(&P.L, X->pnum, X->ncat, X->cat_levels);
    size_t E = ok ? (size_t)P.L.E : 1;
    P.z = malloc(n * sizeof *P.z);
    P.D = malloc(n * sizeof *P.D);
    P.Dn = malloc(n * sizeof *P.Dn);
    P.part = malloc(P.nblocks * (2 * E + 2) * sizeof *P.part);
    P.vext = malloc(E * sizeof *P.vext);
    P.ext = malloc(E * sizeof *P.ext);
    P.ext2 = malloc(E * sizeof *P.ext2);
    double *vec = calloc((size_t)nv * 12, sizeof *vec);
    double *zvalid = Xvalid && Xvalid->n ? malloc(Xvalid->n * sizeof *zvalid) : NULL;
    ll_auc_ctx *auc_tr = NULL, *auc_va = NULL;
    precond pc;
    int pc_ok = precond_alloc(&pc, nv, X->pnum, X->ncat);
    ll_logreg *m = calloc(1, sizeof *m);
    if (m) {
        m->cat_levels = malloc((size_t)(X->ncat ? X->ncat : 1) * sizeof *m->cat_levels);
        m->coef = calloc((size_t)(nw ? nw : 1), sizeof *m->coef);
    }
    if (!ok || !P.z || !P.D || !P.Dn || !P.part || !P.vext || !P.ext || !P.ext2 || !vec ||
        (Xvalid && Xvalid->n && !zvalid) || !pc_ok || !m || !m->cat_levels || !m->coef) {
        st = ll_error_set(err, LL_ENOMEM, "logreg: out of memory");
        goto done;
    }
    if (cb) {
        if ((st = ll_auc_ctx_new(y01, n, NULL, &auc_tr, err)) != LL_OK) goto done;
        if (zvalid && (st = ll_auc_ctx_new(yvalid, Xvalid->n, NULL, &auc_va, err)) != LL_OK)
            goto done;
    }

    double *w = vec, *g = vec + nv, *M = vec + 2 * nv, *gn = vec + 3 * nv, *wn = vec + 4 * nv;
    double *Mn = vec + 10 * nv;
    cg_state S = {.P = &P,
                  .g = g,
                  .pc = &pc,
                  .s = vec + 5 * nv,
                  .r = vec + 6 * nv,
                  .d = vec + 7 * nv,
                  .Hd = vec + 8 * nv,
                  .z = vec + 9 * nv,
                  .nv = nv,
                  .cancel = cancel,
                  .cg_total = &m->info.cg_iterations};
    const double eta0 = 1e-4, eta1 = 0.25, eta2 = 0.75;
    const double sigma1 = 0.25, sigma2 = 0.5, sigma3 = 4.0;
    double wpos = cwt[1] * (double)npos, wneg = cwt[0] * (double)(n - npos);
    w[nw] = log(wpos / wneg);

    double train_ll, f = fun_grad(&P, w, w[nw], g, M, &train_ll), *tmp;
    tmp = P.D, P.D = P.Dn, P.Dn = tmp;
    precond_build(&P, &pc, M);
    const double gnorm0 = sqrt(dot(g, g, nv));
    double gnorm = gnorm0;
    pc_solve(&pc, g, S.z);
    double delta = sqrt(fmax(dot(g, S.z, nv), 0.0));
    int converged = gnorm0 == 0.0, iter = 0;
    const int auc_every_tr =
        n <= AUC_EVERY_MAX ? 1 : (int)((n + AUC_EVERY_MAX - 1) / AUC_EVERY_MAX);
    const size_t nvalid = zvalid ? Xvalid->n : 0;
    const int auc_every_va =
        nvalid <= AUC_EVERY_MAX ? 1 : (int)((nvalid + AUC_EVERY_MAX - 1) / AUC_EVERY_MAX);
    ll_fit_progress pr = {0, params->max_iter, train_ll, NAN, NAN, NAN, 0.0};
    layout VL = {0};
    if (zvalid && !layout_init(&VL, Xvalid->pnum, Xvalid->ncat, Xvalid->cat_levels)) {
        st = ll_error_set(err, LL_ENOMEM, "logreg: out of memory");
        goto done;
    }

    while (!converged && iter < params->max_iter) {
        if (cancel && *cancel) {
            st = cancelled(err);
            break;
        }
        double rtol = fmin(0.1, sqrt(gnorm / gnorm0));
        int boundary = trpcg(&S, delta, rtol);
        if (boundary < 0) {
            st = cancelled(err);
            break;
        }
        iter++;
        const double *s = S.s, *r = S.r;
        for (int i = 0; i < nv; i++) wn[i] = w[i] + s[i];
        double gs = dot(g, s, nv), prered = -0.5 * (gs - dot(s, r, nv));
        double ll_new, fnew = fun_grad(&P, wn, wn[nw], gn, Mn, &ll_new);
        double actred = f - fnew, sMnorm = sqrt(pc_dot(&pc, s, s));
        if (iter == 1 && sMnorm < delta) delta = sMnorm;
        double alpha = fnew - f - gs <= 0.0 ? sigma3 : fmax(sigma1, -0.5 * (gs / (fnew - f - gs)));
        if (actred < eta0 * prered)
            delta = fmin(alpha * sMnorm, sigma2 * delta);
        else if (actred < eta1 * prered)
            delta = fmax(sigma1 * delta, fmin(alpha * sMnorm, sigma2 * delta));
        else if (actred < eta2 * prered)
            delta = fmax(sigma1 * delta, fmin(alpha * sMnorm, sigma3 * delta));
        else if (boundary)
            delta = sigma3 * delta;
        else
            delta = fmax(delta, fmin(alpha * sMnorm, sigma3 * delta));
        int accepted = actred > eta0 * prered, stalled = 0;
        if (accepted) {
            memcpy(w, wn, (size_t)nv * sizeof *w);
            f = fnew;
            train_ll = ll_new;
            tmp = g, g = gn, gn = tmp;
            tmp = M, M = Mn, Mn = tmp;
            tmp = P.D, P.D = P.Dn, P.Dn = tmp;
            S.g = g;
            precond_build(&P, &pc, M);
            gnorm = sqrt(dot(g, g, nv));
            converged = gnorm <= params->tol * gnorm0;
        }
        /* at the precision limit of f, or a model that cannot predict a decrease */
        if (!(prered > 0.0) || (fabs(actred) <= 1e-12 * fabs(f) && fabs(prered) <= 1e-12 * fabs(f)))
            stalled = 1;
        int last = converged || stalled || iter == params->max_iter;
        if (cb) {
            pr.iteration = iter;
            if (accepted) {
                pr.train_logloss = train_ll;
                pr.train_auc = (iter % auc_every_tr == 0 || last)
                                   ? ll_auc_ctx_eval(auc_tr, P.z) /* z is at w after accept */
                                   : NAN;
                if (zvalid) {
                    double *wext = P.vext;
                    to_ext(&VL, Xvalid->cat_levels, w, w[nw], wext);
                    margin_job J = {Xvalid, &VL, wext, zvalid, nvalid};
                    run_blocks(P.threads, (nvalid + BLOCK - 1) / BLOCK, margin_block, &J);
                    pr.valid_logloss = mean_logloss(yvalid, zvalid, nvalid);
                    pr.valid_auc =
                        (iter % auc_every_va == 0 || last) ? ll_auc_ctx_eval(auc_va, zvalid) : NAN;
                }
            }
            pr.elapsed_s = now_s() - t0;
            if (cb(&pr, ud)) {
                st = cancelled(err);
                break;
            }
        }
        if (stalled) break;
    }
    layout_free(&VL);
    if (st != LL_OK) goto done;

    m->pnum = X->pnum;
    m->ncat = X->ncat;
    m->nweights = nw;
    memcpy(m->cat_levels, X->cat_levels, (size_t)X->ncat * sizeof *m->cat_levels);
    memcpy(m->coef, w, (size_t)nw * sizeof *m->coef);
    m->intercept = w[nw];
    m->info.iterations = iter;
    m->info.converged = converged;
    m->info.grad_norm_rel = gnorm0 > 0.0 ? gnorm / gnorm0 : 0.0;
    m->info.objective = f;
    m->info.class_weight[0] = cwt[0];
    m->info.class_weight[1] = cwt[1];
    *out = m;
    m = NULL;
done:
    ll_logreg_free(m);
    ll_auc_ctx_free(auc_tr);
    ll_auc_ctx_free(auc_va);
    free(zvalid);
    free(vec);
    precond_free(&pc);
    problem_free(&P);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * Model use.
 * ------------------------------------------------------------------------------------------- */

static ll_status model_margins(const ll_logreg *m, const ll_design *X, double *z)
{
    if (!m || !z) return LL_EINVAL;
    if (design_check(X, "scoring", NULL) != LL_OK) return LL_EINVAL;
    if (X->pnum != m->pnum || X->ncat != m->ncat) return LL_EINVAL;
    for (int g = 0; g < m->ncat; g++)
        if (X->cat_levels[g] != m->cat_levels[g]) return LL_EINVAL;
    layout L = {0};
    if (!layout_init(&L, m->pnum, m->ncat, m->cat_levels)) return LL_ENOMEM;
    double *wext = malloc((size_t)L.E * sizeof *wext);
    if (!wext) {
        layout_free(&L);
        return LL_ENOMEM;
    }
    to_ext(&L, m->cat_levels, m->coef, m->intercept, wext);
    margins(X, &L, wext, 0, X->n, z);
    free(wext);
    layout_free(&L);
    return LL_OK;
}

ll_status ll_logreg_decision(const ll_logreg *m, const ll_design *X, double *z_out)
{
    return model_margins(m, X, z_out);
}

ll_status ll_logreg_predict(const ll_logreg *m, const ll_design *X, double *p_out)
{
    ll_status st = model_margins(m, X, p_out);
    if (st != LL_OK) return st;
    for (size_t i = 0; i < X->n; i++) {
        double z = p_out[i];
        p_out[i] = z >= 0.0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
    }
    return LL_OK;
}

ll_status ll_logreg_new(int pnum, int ncat, const int *cat_levels, const double *coef,
                        double intercept, ll_logreg **out, ll_error *err)
{
    *out = NULL;
    if (pnum < 0 || ncat < 0 || (ncat && !cat_levels))
        return ll_error_set(err, LL_EINVAL, "logreg: bad model shape");
    int nw = pnum;
    for (int g = 0; g < ncat; g++) {
        if (cat_levels[g] < 1)
            return ll_error_set(err, LL_EINVAL, "logreg: group %d has %d levels", g, cat_levels[g]);
        nw += cat_levels[g];
    }
    if (nw && !coef) return ll_error_set(err, LL_EINVAL, "logreg: no coefficients");
    ll_logreg *m = calloc(1, sizeof *m);
    if (m) {
        m->cat_levels = malloc((size_t)(ncat ? ncat : 1) * sizeof *m->cat_levels);
        m->coef = malloc((size_t)(nw ? nw : 1) * sizeof *m->coef);
    }
    if (!m || !m->cat_levels || !m->coef) {
        ll_logreg_free(m);
        return ll_error_set(err, LL_ENOMEM, "logreg: out of memory");
    }
    m->pnum = pnum;
    m->ncat = ncat;
    m->nweights = nw;
    if (ncat) memcpy(m->cat_levels, cat_levels, (size_t)ncat * sizeof *m->cat_levels);
    if (nw) memcpy(m->coef, coef, (size_t)nw * sizeof *m->coef);
    m->intercept = intercept;
    m->info.class_weight[0] = m->info.class_weight[1] = 1.0;
    *out = m;
    return LL_OK;
}

void ll_logreg_free(ll_logreg *m)
{
    if (!m) return;
    free(m->cat_levels);
    free(m->coef);
    free(m);
}

int ll_logreg_nweights(const ll_logreg *m)
{
    return m->nweights;
}

const double *ll_logreg_coef(const ll_logreg *m)
{
    return m->coef;
}

double ll_logreg_intercept(const ll_logreg *m)
{
    return m->intercept;
}

void ll_logreg_get_info(const ll_logreg *m, ll_logreg_info *info)
{
    *info = m->info;
}

ll_status ll_logreg_unstandardize(const ll_logreg *m, const double *means, const double *stds,
                                  int pnum, double *coef_out, double *intercept_out)
{
    if (!m || pnum != m->pnum || (pnum && (!means || !stds)) || !coef_out || !intercept_out)
        return LL_EINVAL;
    double b = m->intercept;
    for (int j = 0; j < pnum; j++) {
        double sd = stds[j];
        if (sd > 0.0 && isfinite(sd) && isfinite(means[j])) {
            coef_out[j] = m->coef[j] / sd;
            b -= m->coef[j] * means[j] / sd;
        } else {
            coef_out[j] = 0.0;
        }
    }
    memcpy(coef_out + pnum, m->coef + pnum, (size_t)(m->nweights - pnum) * sizeof *coef_out);
    *intercept_out = b;
    return LL_OK;
}
