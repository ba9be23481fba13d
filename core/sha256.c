/* sha256: SHA-256 (FIPS 180-4) of buffers and files, for data fingerprints in tracked runs. */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LL_SHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n)    (((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z)  (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)     (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define BSIG1(x)     (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define SSIG0(x)     (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define SSIG1(x)     (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Compress nblocks consecutive 64-byte blocks into h. The message schedule is kept in a
 * 16-word ring, and the eight working variables rotate by renaming in an 8-round unrolled
 * loop, which lets the compiler keep them in registers. */
static void compress(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    for (; nblocks; nblocks--, p += 64) {
        uint32_t w[16];
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
        for (int i = 0; i < 16; i++) w[i] = load_be32(p + 4 * i);
#define ROUND(a, b, c, d, e, f, g, h, i)                                                           \
    do {                                                                                           \
        uint32_t wi;                                                                               \
        if ((i) < 16)                                                                              \
            wi = w[(i)&15];                                                                        \
        else                                                                                       \
            wi = w[(i)&15] += SSIG1(w[((i)-2) & 15]) + w[((i)-7) & 15] + SSIG0(w[((i)-15) & 15]);  \
        uint32_t t1 = (h) + BSIG1(e) + CH(e, f, g) + K[i] + wi;                                    \
        uint32_t t2 = BSIG0(a) + MAJ(a, b, c);                                                     \
        (d) += t1;                                                                                 \
        (h) = t1 + t2;                                                                             \
    } while (0)
        for (int i = 0; i < 64; i += 8) {
            ROUND(a, b, c, d, e, f, g, k, i);
            ROUND(k, a, b, c, d, e, f, g, i + 1);
            ROUND(g, k, a, b, c, d, e, f, i + 2);
            ROUND(f, g, k, a, b, c, d, e, i + 3);
            ROUND(e, f, g, k, a, b, c, d, i + 4);
            ROUND(d, e, f, g, k, a, b, c, i + 5);
            ROUND(c, d, e, f, g, k, a, b, i + 6);
            ROUND(b, c, d, e, f, g, k, a, i + 7);
        }
#undef ROUND
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += k;
    }
}

#ifdef LL_SHA256_X86
/* The same compression with the x86 SHA extensions (about five times faster): two rounds per
 * sha256rnds2, the state held as ABEF/CDGH halves, the schedule in a ring of four 4-word
 * vectors: W[q] = msg2(msg1(W[q-4], W[q-3]) + W[q-2..q-1] shifted by one word, W[q-1]). */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_x86(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i t = _mm_loadu_si128((const __m128i *)(const void *)&h[0]);
    __m128i s1 = _mm_loadu_si128((const __m128i *)(const void *)&h[4]);
    t = _mm_shuffle_epi32(t, 0xB1);         /* CDAB */
    s1 = _mm_shuffle_epi32(s1, 0x1B);       /* EFGH */
    __m128i s0 = _mm_alignr_epi8(t, s1, 8); /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);      /* CDGH */
    for (; nblocks; nblocks--, p += 64) {
        __m128i abef = s0, cdgh = s1, w[4];
        for (int q = 0; q < 16; q++) {
            if (q < 4) {
                w[q] = _mm_shuffle_epi8(
                    _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * q)), bswap);
            } else {
                __m128i m = _mm_sha256msg1_epu32(w[q & 3], w[(q + 1) & 3]);
                m = _mm_add_epi32(m, _mm_alignr_epi8(w[(q + 3) & 3], w[(q + 2) & 3], 4));
                w[q & 3] = _mm_sha256msg2_epu32(m, w[(q + 3) & 3]);
            }
            __m128i msg =
                _mm_add_epi32(w[q & 3], _mm_loadu_si128((const __m128i *)(const void *)&K[4 * q]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(msg, 0x0E));
        }
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    t = _mm_shuffle_epi32(s0, 0x1B);   /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);  /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xF0); /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);    /* HGFE */
    _mm_storeu_si128((__m128i *)(void *)&h[0], s0);
    _mm_storeu_si128((__m128i *)(void *)&h[4], s1);
}

static int cpu_has_sha(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 9)) || !(c & (1u << 19))) return 0; /* SSSE3, SSE4.1 */
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}
#endif

static void compress_any(const ll_sha256 *c, uint32_t h[8], const uint8_t *p, size_t nblocks)
{
#ifdef LL_SHA256_X86
    if (c->accel) {
        compress_x86(h, p, nblocks);
        return;
    }
#endif
    compress(h, p, nblocks);
}

void ll_sha256_init(ll_sha256 *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->nbytes = 0;
    c->nbuf = 0;
#ifdef LL_SHA256_X86
    c->accel = cpu_has_sha();
#else
    c->accel = 0;
#endif
}

void ll_sha256_update(ll_sha256 *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->nbytes += len;
    if (c->nbuf) {
        size_t take = 64 - c->nbuf < len ? 64 - c->nbuf : len;
        memcpy(c->buf + c->nbuf, p, take);
        c->nbuf += take;
        p += take;
        len -= take;
        if (c->nbuf < 64) return;
        compress_any(c, c->h, c->buf, 1);
        c->nbuf = 0;
    }
    if (len >= 64) {
        compress_any(c, c->h, p, len / 64);
        p += len / 64 * 64;
        len %= 64;
    }
    if (len) {
        memcpy(c->buf, p, len);
        c->nbuf = len;
    }
}

void ll_sha256_final(ll_sha256 *c, uint8_t out[LL_SHA256_SIZE])
{
    uint64_t bits = c->nbytes * 8;
    uint8_t pad[72] = {0x80};
    /* pad to 56 mod 64, then the 64-bit big-endian bit length */
    size_t npad = c->nbuf < 56 ? 56 - c->nbuf : 120 - c->nbuf;
    for (int i = 0; i < 8; i++) pad[npad + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    uint64_t keep = c->nbytes;
    ll_sha256_update(c, pad, npad + 8);
    c->nbytes = keep;
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

char *ll_sha256_hex(const uint8_t digest[LL_SHA256_SIZE], char hex[LL_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < LL_SHA256_SIZE; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * LL_SHA256_SIZE] = '\0';
    return hex;
}

char *ll_sha256_buf(const void *data, size_t len, char hex[LL_SHA256_HEX])
{
    ll_sha256 c;
    uint8_t d[LL_SHA256_SIZE];
    ll_sha256_init(&c);
    ll_sha256_update(&c, data, len);
    ll_sha256_final(&c, d);
    return ll_sha256_hex(d, hex);
}

ll_status ll_sha256_file(const char *path, char hex[LL_SHA256_HEX], const volatile int *cancel,
                         ll_error *err)
{
    hex[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ll_error_set(err, errno == ENOENT ? LL_ENOTFOUND : LL_EIO, "%s: %s", path,
                            strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK);
    if (!buf) {
        close(fd);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    ll_sha256 c;
    ll_sha256_init(&c);
    ll_status st = LL_OK;
    for (;;) {
        if (cancel && *cancel) {
            st = ll_error_set(err, LL_ECANCELLED, "cancelled while hashing %s", path);
            break;
        }
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            st = ll_error_set(err, LL_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        if (n == 0) break;
        ll_sha256_update(&c, buf, (size_t)n);
    }
    free(buf);
    close(fd);
    if (st == LL_OK) {
        uint8_t d[LL_SHA256_SIZE];
        ll_sha256_final(&c, d);
        ll_sha256_hex(d, hex);
    }
    return st;
}
