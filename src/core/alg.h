/* alg.h: the algorithm table, pinned in spigrpd.conf(5) (ALGORITHMS).
 *
 * One row per algorithm name that a config may write in `enc`, `auth` or
 * `comp`: the name, the kernel crypto API name that XFRM takes
 * (XFRMA_ALG_CRYPT, XFRMA_ALG_AEAD, XFRMA_ALG_AUTH_TRUNC, XFRMA_ALG_COMP),
 * the OpenSSL name a userspace datapath fetches (EVP cipher or, for HMAC,
 * the digest), the exact key length and the ICV length.  The table is
 * constant; lookups are pure (no I/O, no allocation).
 */
#ifndef SPIGRP_ALG_H
#define SPIGRP_ALG_H

#include <stdbool.h>
#include <stddef.h>

enum alg_kind { ALG_ENC, ALG_AEAD, ALG_AUTH, ALG_COMP };

/* One row of the table. */
struct alg_desc {
	const char *name;         /* config name: "aes128gcm16" */
	enum alg_kind kind;
	const char *kernel_name;  /* crypto API name: "rfc4106(gcm(aes))" */
	unsigned key_bytes;       /* exact key length, salt included for AEAD */
	unsigned icv_bits;        /* AEAD ICV / auth truncation, bits; 0 for enc/comp */
	unsigned salt_bytes;      /* AEAD: the nonce salt at the end of the key
				     (RFC 4106 section 8.1, RFC 7634 section 2); else 0 */
	const char *openssl_name; /* EVP_get_cipherbyname() name (enc, AEAD) or
				     EVP_get_digestbyname() name of the HMAC digest
				     (auth); NULL for null (no cipher) and deflate */
};

/* The whole table, in the order spigrpd.conf(5) lists it, terminated by a
 * row with name == NULL. */
extern const struct alg_desc alg_table[];

/* Look up an algorithm by config name (case-sensitive); NULL if @name is
 * NULL, unknown or of another kind (ALG_ENC also finds ALG_AEAD rows: both
 * are written `enc =`).  ALG_AUTH also takes KLIPS's names of integrity
 * algorithms: hmac-md5-96 (md5), hmac-sha1-96 (sha1). */
const struct alg_desc *alg_find(const char *name, enum alg_kind kind);

/**
 * alg_find_esp() - the algorithms of an ESP transform as `ipsec spi --esp`
 * names it: a KLIPS transform ENC-AUTH or ENC-AUTH-96 (3des-md5-96,
 * 3des-sha1-96, 3des-sha1, des-md5-96, null-sha1-96, aes128-sha1-96,
 * aes256-sha256: an encryption row that is not AEAD and an auth row, "-96"
 * only after md5 and sha1, whose ICV the table makes 96 bits anyway), or a
 * single name alg_find() takes (an enc or AEAD name: *@auth = NULL; an
 * auth name: *@enc = NULL).
 * Return: 0 with *@enc and *@auth set (borrowed rows of alg_table), or
 * -ENOENT (both NULL).
 */
int alg_find_esp(const char *name, const struct alg_desc **enc, const struct alg_desc **auth);

/* The names alg_find(NAME, @kind) accepts, in table order, as
 * "aes128, aes192, ..." into @buf (always NUL-terminated when @len > 0).
 * Return: the length of the whole list (like snprintf: >= @len means cut). */
size_t alg_names(enum alg_kind kind, char *buf, size_t len);

/*
 * alg_esp_name() - a name of `spi --esp` (alg_find_esp()) that gives @enc
 * and @auth back: a KLIPS name for a pair, a config name for one alone.
 * Return: 0, -ENOENT (no name gives that pair), -ENOSPC (@len too small).
 */
int alg_esp_name(const struct alg_desc *enc, const struct alg_desc *auth, char *buf, size_t len);

#endif
