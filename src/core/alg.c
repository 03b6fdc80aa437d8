/* alg.c: the algorithm table and its lookups (alg.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "alg.h"

#define AEAD_SALT 4 /* RFC 4106 / RFC 7634 nonce salt */

const struct alg_desc alg_table[] = {
	{ "aes128", ALG_ENC, "cbc(aes)", 16, 0, 0, "AES-128-CBC" },
	{ "aes192", ALG_ENC, "cbc(aes)", 24, 0, 0, "AES-192-CBC" },
	{ "aes256", ALG_ENC, "cbc(aes)", 32, 0, 0, "AES-256-CBC" },
	{ "aes128gcm16", ALG_AEAD, "rfc4106(gcm(aes))", 16 + AEAD_SALT, 128, AEAD_SALT, "AES-128-GCM" },
	{ "aes256gcm16", ALG_AEAD, "rfc4106(gcm(aes))", 32 + AEAD_SALT, 128, AEAD_SALT, "AES-256-GCM" },
	{ "chacha20poly1305", ALG_AEAD, "rfc7539esp(chacha20,poly1305)", 32 + AEAD_SALT, 128, AEAD_SALT,
	  "ChaCha20-Poly1305" },
	{ "3des", ALG_ENC, "cbc(des3_ede)", 24, 0, 0, "DES-EDE3-CBC" },
	{ "null", ALG_ENC, "ecb(cipher_null)", 0, 0, 0, NULL },
	{ "sha1", ALG_AUTH, "hmac(sha1)", 20, 96, 0, "SHA1" },
	{ "sha256", ALG_AUTH, "hmac(sha256)", 32, 128, 0, "SHA256" },
	{ "sha384", ALG_AUTH, "hmac(sha384)", 48, 192, 0, "SHA384" },
	{ "sha512", ALG_AUTH, "hmac(sha512)", 64, 256, 0, "SHA512" },
	{ "deflate", ALG_COMP, "deflate", 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL },
};

/* @a is written where @kind is asked for (`enc =` takes AEAD too). */
static int kind_fits(const struct alg_desc *a, enum alg_kind kind)
{
	return a->kind == kind || (kind == ALG_ENC && a->kind == ALG_AEAD);
}

const struct alg_desc *alg_find(const char *name, enum alg_kind kind)
{
	const struct alg_desc *a;

	if (!name)
		return NULL;
	for (a = alg_table; a->name; a++)
		if (!strcmp(a->name, name) && kind_fits(a, kind))
			return a;
	return NULL;
}

size_t alg_names(enum alg_kind kind, char *buf, size_t len)
{
	const struct alg_desc *a;
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (a = alg_table; a->name; a++) {
		if (!kind_fits(a, kind))
			continue;
		off += (size_t)snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, "%s%s",
					off ? ", " : "", a->name);
	}
	return off;
}
