/* alg.c: the algorithm table and its lookups (alg.h). */
#include "config.h"

#include <errno.h>
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
	/* single DES (RFC 2405): 56-bit key, for legacy peers only; OpenSSL 3
	 * keeps it in its legacy provider (esp.c loads that for it) */
	{ "des", ALG_ENC, "cbc(des)", 8, 0, 0, "DES-CBC" },
	{ "null", ALG_ENC, "ecb(cipher_null)", 0, 0, 0, NULL },
	{ "sha1", ALG_AUTH, "hmac(sha1)", 20, 96, 0, "SHA1" },
	{ "sha256", ALG_AUTH, "hmac(sha256)", 32, 128, 0, "SHA256" },
	{ "sha384", ALG_AUTH, "hmac(sha384)", 48, 192, 0, "SHA384" },
	{ "sha512", ALG_AUTH, "hmac(sha512)", 64, 256, 0, "SHA512" },
	{ "md5", ALG_AUTH, "hmac(md5)", 16, 96, 0, "MD5" }, /* HMAC-MD5-96, RFC 2403 */
	{ "deflate", ALG_COMP, "deflate", 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL },
};

/*
 * KLIPS names.  `ipsec spi --ah` took hmac-md5-96 and hmac-sha1-96: other
 * names of the md5 and sha1 rows.  `ipsec spi --esp` took ESP transforms
 * that name an encryption and an integrity algorithm at once: 3des-md5-96,
 * 3des-sha1-96, des-md5-96, null-sha1-96, aes128-sha1-96, ... and, through
 * pluto's algorithm strings, 3des-sha1, aes128-sha1, 3des-md5: here any
 * ENC-AUTH of the table's names, "-96" allowed after md5 and sha1.  The
 * "-96" is the ICV length in bits, which the table gives MD5 and SHA-1
 * anyway: 3des-sha1 is the same transform (KLIPS never sent a 160-bit
 * SHA-1 ICV).
 */
static const struct {
	const char *name, *auth;
} klips_auth[] = {
	{ "hmac-md5-96", "md5" },
	{ "hmac-sha1-96", "sha1" },
};

/* @a is written where @kind is asked for (`enc =` takes AEAD too). */
static int kind_fits(const struct alg_desc *a, enum alg_kind kind)
{
	return a->kind == kind || (kind == ALG_ENC && a->kind == ALG_AEAD);
}

const struct alg_desc *alg_find(const char *name, enum alg_kind kind)
{
	const struct alg_desc *a;
	size_t i;

	if (!name)
		return NULL;
	for (a = alg_table; a->name; a++)
		if (!strcmp(a->name, name) && kind_fits(a, kind))
			return a;
	if (kind != ALG_AUTH)
		return NULL;
	for (i = 0; i < sizeof(klips_auth) / sizeof(klips_auth[0]); i++)
		if (!strcmp(klips_auth[i].name, name))
			return alg_find(klips_auth[i].auth, ALG_AUTH);
	return NULL;
}

/* A table row of @kind named by the @len bytes at @name. */
static const struct alg_desc *find_n(const char *name, size_t len, enum alg_kind kind)
{
	const struct alg_desc *a;

	for (a = alg_table; a->name; a++)
		if (a->kind == kind && strlen(a->name) == len && !strncmp(a->name, name, len))
			return a;
	return NULL;
}

int alg_find_esp(const char *name, const struct alg_desc **enc, const struct alg_desc **auth)
{
	const char *dash, *rest;

	*enc = *auth = NULL;
	if (!name)
		return -ENOENT;
	*enc = alg_find(name, ALG_ENC);
	if (*enc)
		return 0;
	*auth = alg_find(name, ALG_AUTH);
	if (*auth)
		return 0;
	/* ENC-AUTH or ENC-AUTH-96 */
	dash = strchr(name, '-');
	if (!dash || !(*enc = find_n(name, (size_t)(dash - name), ALG_ENC)))
		goto none;
	rest = dash + 1;
	dash = strchr(rest, '-');
	*auth = find_n(rest, dash ? (size_t)(dash - rest) : strlen(rest), ALG_AUTH);
	if (*auth && (!dash || (!strcmp(dash, "-96") && (*auth)->icv_bits == 96)))
		return 0;
none:
	*enc = *auth = NULL;
	return -ENOENT;
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

int alg_esp_name(const struct alg_desc *enc, const struct alg_desc *auth, char *buf, size_t len)
{
	const struct alg_desc *e, *a;
	int n;

	if (enc && auth)
		n = snprintf(buf, len, "%s-%s", enc->name, auth->name);
	else if (enc || auth)
		n = snprintf(buf, len, "%s", enc ? enc->name : auth->name);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	/* the name must give the pair back */
	if (alg_find_esp(buf, &e, &a) < 0 || e != enc || a != auth)
		return -ENOENT;
	return 0;
}
