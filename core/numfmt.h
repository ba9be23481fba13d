/* numfmt: locale-independent number parsing and shortest round-trip formatting. */
#ifndef LL_NUMFMT_H
#define LL_NUMFMT_H

#include <stddef.h>

/* Parse a whole field [s, s+len) as a decimal number ("12", "-3.5", "1e-3", ".5", "inf" is not
 * accepted). Leading/trailing blanks allowed. Returns 1 and sets *out on success, 0 otherwise.
 * Independent of LC_NUMERIC; correctly rounded. */
int ll_numparse(const char *s, size_t len, double *out);
/* Write the shortest text that reads back to exactly v ("%.17g" at worst), always with '.'
 * as the decimal point; NaN is written as "NaN", infinities "Infinity"/"-Infinity", -0 as "0".
 * Cut to len - 1 bytes like snprintf. Returns buf. */
char *ll_numfmt_double(double v, char *buf, size_t len);

/* Room ll_numfmt_put needs: the longest text, "-1.2345678901234567e-308", and its NUL. */
#define LL_NUMFMT_MAX 32

/* ll_numfmt_double's text of v, NUL-terminated, into buf of LL_NUMFMT_MAX bytes; returns its
 * length (for writers appending many numbers, which then need no strlen). */
size_t ll_numfmt_put(double v, char *buf);

#endif
