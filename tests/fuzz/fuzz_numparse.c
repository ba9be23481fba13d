/* fuzz_numparse: ll_numparse against strtod in the C locale, and the shortest-format round trip. */
#include "fuzz_util.h"

#include <locale.h>
#include <math.h>

#include "numfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    double v = 0;
    if (!ll_numparse((const char *)data, size, &v)) return 0;

    /* Accepted: strtod (C locale, the default locale of this process) must read the same
     * trimmed text completely and give the identical double, sign of zero included. */
    const char *s = (const char *)data;
    size_t len = size;
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    char *copy = fz_cstr((const uint8_t *)s, len);
    char *end = NULL;
    double ref = strtod(copy, &end);
    if (end != copy + len) {
        fprintf(stderr, "ll_numparse accepted \"%s\" but strtod stops at offset %td\n", copy,
                end - copy);
        abort();
    }
    if (memcmp(&ref, &v, sizeof v) != 0) {
        fprintf(stderr, "ll_numparse(\"%s\") = %.17g but strtod gives %.17g\n", copy, v, ref);
        abort();
    }
    free(copy);

    /* The shortest text written for a finite value reads back to the same value. */
    if (isfinite(v)) {
        char buf[64];
        ll_numfmt_double(v, buf, sizeof buf);
        double back = 0;
        if (!ll_numparse(buf, strlen(buf), &back) || back != v) {
            fprintf(stderr, "ll_numfmt_double(%.17g) = \"%s\" does not read back\n", v, buf);
            abort();
        }
    }
    return 0;
}
