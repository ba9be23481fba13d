/* Unit tests for sha256: FIPS 180-4 vectors, padding boundaries, chunked updates, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static const char *hash_str(const char *s, char hex[LL_SHA256_HEX])
{
    return ll_sha256_buf(s, strlen(s), hex);
}

static void test_fips_vectors(void **state)
{
    (void)state;
    char hex[LL_SHA256_HEX];
    assert_string_equal(hash_str("abc", hex),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(hash_str("", hex),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(hash_str("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex),
                        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', fed in uneven pieces so every buffering path is taken */
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    for (int accel = 0; accel < 2; accel++) {
        ll_sha256 c;
        uint8_t d[LL_SHA256_SIZE];
        ll_sha256_init(&c);
        if (!accel) c.accel = 0; /* the portable code, whatever the CPU offers */
        size_t off = 0, step = 1;
        while (off < 1000000) {
            size_t n = step < 1000000 - off ? step : 1000000 - off;
            ll_sha256_update(&c, a + off, n);
            off += n;
            step = step * 3 % 4099 + 1;
        }
        ll_sha256_final(&c, d);
        assert_string_equal(ll_sha256_hex(d, hex),
                            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    assert_string_equal(ll_sha256_buf(a, 1000000, hex),
                        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Lengths around the padding boundaries (55/56 bytes fit the length in the last block or
 * not); expected digests from Python's hashlib for bytes (7 i + 3) mod 256. */
static void test_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
        {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
        {128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"},
    };
    uint8_t data[128];
    for (int i = 0; i < 128; i++) data[i] = (uint8_t)(i * 7 + 3);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char hex[LL_SHA256_HEX];
        assert_string_equal(ll_sha256_buf(data, cases[k].n, hex), cases[k].hex);
        /* byte by byte, and in one piece on the portable code, give the same digest */
        ll_sha256 c;
        uint8_t d[LL_SHA256_SIZE];
        ll_sha256_init(&c);
        for (size_t i = 0; i < cases[k].n; i++) ll_sha256_update(&c, data + i, 1);
        ll_sha256_final(&c, d);
        assert_string_equal(ll_sha256_hex(d, hex), cases[k].hex);
        ll_sha256_init(&c);
        c.accel = 0;
        ll_sha256_update(&c, data, cases[k].n);
        ll_sha256_final(&c, d);
        assert_string_equal(ll_sha256_hex(d, hex), cases[k].hex);
    }
}

static void test_file(void **state)
{
    (void)state;
    char hex[LL_SHA256_HEX];
    ll_error err;
    ll_error_clear(&err);
    /* sha256sum tests/fixtures/lending_club_test.csv */
    assert_int_equal(ll_sha256_file("fixtures/lending_club_test.csv", hex, NULL, &err), LL_OK);
    assert_string_equal(hex, "b0d98d616748fa1435b8dd1c795a150961fe9f22b0c50e00021e4821039cadbb");
    assert_int_equal(ll_sha256_file("fixtures/no_such_file.csv", hex, NULL, &err), LL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no_such_file.csv"));
    volatile int cancel = 1;
    assert_int_equal(ll_sha256_file("fixtures/lending_club_test.csv", hex, &cancel, &err),
                     LL_ECANCELLED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_vectors),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
