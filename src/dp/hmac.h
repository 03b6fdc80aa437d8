/* hmac.h: HMAC (RFC 2104) with MD5, SHA-1, SHA-256, SHA-384 and SHA-512 for
 * the ICVs of ESP (esp.c) and AH (ah.c), allocation-free per packet.
 *
 * hmac_new() hashes the key once into two states, the inner one after
 * (key XOR ipad) and the outer one after (key XOR opad), in OpenSSL's
 * low-level digest structs (MD5_CTX, SHA_CTX, SHA256_CTX, SHA512_CTX: the
 * hashing is OpenSSL's, with its CPU-specific block functions).  Per packet,
 * hmac_start() copies the inner state into a working state, hmac_update()
 * hashes the data, hmac_final() finishes it, copies the outer state and
 * hashes the inner digest into it: no allocation, no key schedule and no
 * provider look-up per packet.  (OpenSSL 3's EVP_MAC and HMAC_CTX
 * duplicate their digest contexts on every restart, which allocates twice
 * per packet; tests/unit/check_esp.c counts that this does not.)
 *
 * The low-level digest API is deprecated in OpenSSL 3 but present (Debian
 * 12's libcrypto3 has it); hmac.c, and only hmac.c, silences the
 * deprecation (OPENSSL_SUPPRESS_DEPRECATED) and keeps those types out of
 * this header.
 *
 * One struct hmac is used by one thread at a time (it holds the working
 * state).  It owns copies of the keyed states, never the key itself;
 * hmac_free() wipes them (OPENSSL_cleanse).  No I/O.
 */
#ifndef SPIGRP_HMAC_H
#define SPIGRP_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"

#define HMAC_MAX_SIZE 64u /* HMAC-SHA-512, untruncated */

struct hmac;

/**
 * hmac_new() - keyed HMAC states for the digest @digest (an OpenSSL digest
 * name, as alg.h's auth rows give it: "MD5", "SHA1", "SHA256", "SHA384",
 * "SHA512", or an alias OpenSSL knows for them) under @key (@keylen bytes,
 * any length: a key longer than the digest's block is hashed first, RFC
 * 2104 section 2).  The key is not kept.
 * Return: 0 and *@out, or -errno with @why (-ENOSYS: not one of those
 * digests; -ENOMEM; -EIO: OpenSSL failed).
 */
int hmac_new(struct hmac **out, const char *digest, const uint8_t *key, size_t keylen,
	     struct reason *why);
void hmac_free(struct hmac *h); /* wipes; NULL: no-op */

/* The untruncated MAC length of @h, bytes (16, 20, 32, 48 or 64). */
size_t hmac_size(const struct hmac *h);

/* Restart @h's working state from the keyed inner state. */
void hmac_start(struct hmac *h);

/* Hash @len bytes at @data into the working state.  Return: false if
 * OpenSSL failed (the MAC is then to be discarded). */
bool hmac_update(struct hmac *h, const void *data, size_t len);

/**
 * hmac_final() - finish the MAC into @out (hmac_size() bytes, at most
 * HMAC_MAX_SIZE).  The intermediate inner digest is wiped; the caller
 * wipes @out when it is done with it.  Return: false if OpenSSL failed.
 */
bool hmac_final(struct hmac *h, uint8_t *out);

#endif
