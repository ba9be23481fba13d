/* sha256: SHA-256 (FIPS 180-4) of buffers and files, for data fingerprints in tracked runs. */
#ifndef LL_SHA256_H
#define LL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define LL_SHA256_SIZE 32
/* Hex digest length including the terminating NUL. */
#define LL_SHA256_HEX 65

/* Incremental hashing state (plain struct: init, update any number of times, final). */
typedef struct {
    uint32_t h[8];
    uint64_t nbytes; /* message length so far */
    uint8_t buf[64]; /* partial block */
    size_t nbuf;
    int accel; /* private: 1 when the CPU's SHA extensions are used (set by ll_sha256_init) */
} ll_sha256;

/* Start a new hash. */
void ll_sha256_init(ll_sha256 *c);
/* Add len bytes of data. */
void ll_sha256_update(ll_sha256 *c, const void *data, size_t len);
/* Finish: write the 32-byte digest into out (c must be re-initialised before reuse). */
void ll_sha256_final(ll_sha256 *c, uint8_t out[LL_SHA256_SIZE]);
/* Lower-case hex of a digest into hex (65 bytes with the NUL). Returns hex. */
char *ll_sha256_hex(const uint8_t digest[LL_SHA256_SIZE], char hex[LL_SHA256_HEX]);
/* Hex SHA-256 of len bytes of data. Returns hex. */
char *ll_sha256_buf(const void *data, size_t len, char hex[LL_SHA256_HEX]);
/* Hex SHA-256 of the bytes of the file at path, read in chunks (never held whole); *cancel
 * non-zero stops with LL_ECANCELLED (cancel may be NULL). */
ll_status ll_sha256_file(const char *path, char hex[LL_SHA256_HEX], const volatile int *cancel,
                         ll_error *err);

#endif
