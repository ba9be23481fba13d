/* numtext: ll_numfmt_double's exact text, computed with integer arithmetic for bulk output. */
#ifndef LL_NUMTEXT_H
#define LL_NUMTEXT_H

#include <stddef.h>

/* Room ll_numtext_double needs in buf. */
#define LL_NUMTEXT_MAX 64

/* Write the text ll_numfmt_double writes for v (byte for byte, so files and the scoring
 * server agree), NUL-terminated; returns its length. Finite non-integers with
 * 1e-4 <= |v| < 1e14 (probabilities, scores, contributions) take an exact integer path that
 * is several times faster; other values go through ll_numfmt_double. */
size_t ll_numtext_double(double v, char *buf);

#endif
