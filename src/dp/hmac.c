/* hmac.c: HMAC from keyed low-level digest states (hmac.h).
 *
 * The only module that uses OpenSSL's deprecated low-level digest API
 * (MD5_Init/Update/Final, SHA1_*, SHA256_*, SHA384_*, SHA512_*): its contexts
 * are plain structs, so a keyed state is restarted by a struct copy,
 * without the allocations of EVP_MD_CTX_copy_ex() or EVP_MAC_init().
 */
#include "config.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1 /* the low-level digest API: see above */

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/objects.h>
#include <openssl/sha.h>

#include "hmac.h"

#define HMAC_MAX_BLOCK 128u /* SHA-384 and SHA-512 */
#define IPAD 0x36u
#define OPAD 0x5cu

enum md { MD_MD5, MD_SHA1, MD_SHA256, MD_SHA384, MD_SHA512 };

union md_state {
	MD5_CTX md5;
	SHA_CTX sha1;
	SHA256_CTX sha256;
	SHA512_CTX sha512; /* SHA-384 too */
};

struct hmac {
	enum md md;
	unsigned size;  /* digest bytes */
	unsigned block; /* digest block bytes */
	union md_state inner, outer; /* after key ^ ipad, key ^ opad */
	union md_state work;
};

static int md_init(enum md md, union md_state *s)
{
	switch (md) {
	case MD_MD5:
		return MD5_Init(&s->md5);
	case MD_SHA1:
		return SHA1_Init(&s->sha1);
	case MD_SHA256:
		return SHA256_Init(&s->sha256);
	case MD_SHA384:
		return SHA384_Init(&s->sha512);
	case MD_SHA512:
		return SHA512_Init(&s->sha512);
	}
	return 0;
}

static int md_update(enum md md, union md_state *s, const void *d, size_t n)
{
	switch (md) {
	case MD_MD5:
		return MD5_Update(&s->md5, d, n);
	case MD_SHA1:
		return SHA1_Update(&s->sha1, d, n);
	case MD_SHA256:
		return SHA256_Update(&s->sha256, d, n);
	case MD_SHA384:
		return SHA384_Update(&s->sha512, d, n);
	case MD_SHA512:
		return SHA512_Update(&s->sha512, d, n);
	}
	return 0;
}

static int md_final(enum md md, union md_state *s, uint8_t *out)
{
	switch (md) {
	case MD_MD5:
		return MD5_Final(out, &s->md5);
	case MD_SHA1:
		return SHA1_Final(out, &s->sha1);
	case MD_SHA256:
		return SHA256_Final(out, &s->sha256);
	case MD_SHA384:
		return SHA384_Final(out, &s->sha512);
	case MD_SHA512:
		return SHA512_Final(out, &s->sha512);
	}
	return 0;
}

/* Our digests: OpenSSL's NID, sizes in bytes. */
static const struct {
	int nid;
	enum md md;
	unsigned size, block;
} mds[] = {
	{ NID_md5, MD_MD5, MD5_DIGEST_LENGTH, MD5_CBLOCK },
	{ NID_sha1, MD_SHA1, SHA_DIGEST_LENGTH, SHA_CBLOCK },
	{ NID_sha256, MD_SHA256, SHA256_DIGEST_LENGTH, SHA256_CBLOCK },
	{ NID_sha384, MD_SHA384, SHA384_DIGEST_LENGTH, SHA512_CBLOCK },
	{ NID_sha512, MD_SHA512, SHA512_DIGEST_LENGTH, SHA512_CBLOCK },
};

/* Which of ours OpenSSL's digest @name is (by NID, so OpenSSL's aliases
 * work), with its sizes; -1 if none. */
static int md_find(const char *name, struct hmac *h)
{
	const EVP_MD *m = name ? EVP_get_digestbyname(name) : NULL;
	int nid = m ? EVP_MD_get_type(m) : NID_undef;
	size_t i;

	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		if (mds[i].nid == nid) {
			h->md = mds[i].md;
			h->size = mds[i].size;
			h->block = mds[i].block;
			return 0;
		}
	}
	return -1;
}

/* The inner and outer states of @h under @key (RFC 2104 section 2). */
static int keyed_states(struct hmac *h, const uint8_t *key, size_t keylen)
{
	uint8_t k[HMAC_MAX_BLOCK] = { 0 }, pad[HMAC_MAX_BLOCK];
	unsigned i;
	int ok;

	if (keylen > h->block) {
		ok = md_init(h->md, &h->work) && md_update(h->md, &h->work, key, keylen) &&
		     md_final(h->md, &h->work, k);
	} else {
		ok = 1;
		if (keylen)
			memcpy(k, key, keylen);
	}
	for (i = 0; i < h->block; i++)
		pad[i] = k[i] ^ IPAD;
	ok = ok && md_init(h->md, &h->inner) && md_update(h->md, &h->inner, pad, h->block);
	for (i = 0; i < h->block; i++)
		pad[i] = k[i] ^ OPAD;
	ok = ok && md_init(h->md, &h->outer) && md_update(h->md, &h->outer, pad, h->block);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&h->work, sizeof(h->work));
	return ok ? 0 : -1;
}

int hmac_new(struct hmac **out, const char *digest, const uint8_t *key, size_t keylen,
	     struct reason *why)
{
	struct hmac *h;

	*out = NULL;
	h = OPENSSL_zalloc(sizeof(*h));
	if (!h) {
		reason_set(why, "HMAC: out of memory");
		return -ENOMEM;
	}
	if (md_find(digest, h)) {
		reason_set(why, "HMAC: OpenSSL has no MD5, SHA-1 or SHA-2 digest named %s",
			   digest ? digest : "(none)");
		hmac_free(h);
		return -ENOSYS;
	}
	if (keyed_states(h, key, keylen)) {
		reason_set(why, "HMAC: OpenSSL failed to hash the %s key", digest);
		hmac_free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

void hmac_free(struct hmac *h)
{
	OPENSSL_clear_free(h, sizeof(*h));
}

size_t hmac_size(const struct hmac *h)
{
	return h->size;
}

void hmac_start(struct hmac *h)
{
	h->work = h->inner;
}

bool hmac_update(struct hmac *h, const void *data, size_t len)
{
	return md_update(h->md, &h->work, data, len) == 1;
}

bool hmac_final(struct hmac *h, uint8_t *out)
{
	uint8_t in[HMAC_MAX_SIZE];
	bool ok;

	ok = md_final(h->md, &h->work, in) == 1;
	h->work = h->outer;
	ok = ok && md_update(h->md, &h->work, in, h->size) == 1 &&
	     md_final(h->md, &h->work, out) == 1;
	OPENSSL_cleanse(in, sizeof(in));
	return ok;
}
