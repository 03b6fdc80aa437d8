/* esp.c: ESP (RFC 4303) on one SA through OpenSSL's EVP (esp.h).
 *
 * Packet layout after the IP header (hlen bytes):
 *   SPI (4) | sequence number, low 32 bits (4) | IV (ivlen) |
 *   payload | padding 1, 2, 3, ... | pad length (1) | next header (1) | ICV
 * The part from the payload to the next header is encrypted; its length
 * is a multiple of the cipher's block (CBC) or of 4 (AEAD, NULL).
 *
 * Per SA, set up once in esp_sa_new(): the cipher context with the key
 * (EVP_CIPHER_CTX), the keyed HMAC states (hmac.h, HMAC with the row's
 * digest), and for outbound CBC an IV generator.  Per packet only the IV
 * is set (EVP_CipherInit_ex() with no cipher and no key) and the HMAC
 * restarted from its keyed state (hmac_start(), a struct copy): no key
 * schedule is computed and nothing is allocated per packet.
 *
 * IVs (outbound):
 *   - AEAD (RFC 4106 section 3.1, RFC 7634 section 2): the 8-byte IV is
 *     the 64-bit sequence number, big endian, XOR a random 8-byte value
 *     drawn per SA: what the kernel's seqiv does.  Sequence numbers never
 *     repeat (seqstore.h), so neither do IVs; the nonce is the key's salt
 *     followed by that IV.
 *   - CBC (RFC 3602 section 2 asks for unpredictable IVs): AES-128-ECB,
 *     under a random key drawn per SA, of (64-bit sequence number, big
 *     endian | a random 8-byte value drawn per SA), cut to the cipher's
 *     IV length (16 for AES, 8 for 3DES and DES).  Distinct sequence numbers give
 *     distinct ECB outputs (a permutation), which nobody without the IV
 *     key can predict.  (The kernel's echainiv reaches the same goal by
 *     other means; the bytes need not match, the peer reads the IV off
 *     the packet.)
 *
 * ESN (RFC 4303 section 2.2.1): the high 32 bits go after the packet into
 * the HMAC input (section 3.3.2.1), and between SPI and low bits into the
 * AEAD's additional data (RFC 4106 section 5, RFC 7634 section 2.1).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "esp.h"
#include "hmac.h"
#include "salive.h"

#define ESP_MAX_IV 16u
#define AEAD_SALT_MAX 4u
#define AEAD_IV 8u        /* RFC 4106, RFC 7634: explicit IV on the wire */
#define NEXTHDR_NONE 59u  /* RFC 4303 section 2.6: a dummy packet */

struct esp_sa {
	uint32_t spi;               /* host order */
	bool outbound, esn, aead;
	unsigned ivlen;             /* IV bytes on the wire */
	unsigned block;             /* payload + trailer aligned to this */
	unsigned icvlen;            /* ICV bytes on the wire */
	EVP_CIPHER_CTX *cipher;     /* keyed; NULL for NULL encryption */
	struct hmac *mac;           /* keyed HMAC; NULL for AEAD, encryption only */
	EVP_CIPHER_CTX *ivgen;      /* outbound CBC: AES-128-ECB, random key */
	uint8_t salt[AEAD_SALT_MAX]; /* AEAD nonce salt (end of the key) */
	unsigned salt_len;
	uint8_t ivmix[8];           /* outbound: random, see IVs above */
	uint8_t test_iv[ESP_MAX_IV];
	bool test_iv_set;
};

/* IV length and alignment of an encryption row (NULL: none), as on the
 * wire.  Checked against OpenSSL's cipher in esp_sa_new(). */
static void geometry(const struct alg_desc *enc, unsigned *ivlen, unsigned *block)
{
	if (enc && enc->kind == ALG_AEAD) {
		*ivlen = AEAD_IV;
		*block = 4;
	} else if (!enc || !enc->openssl_name) {
		*ivlen = 0;
		*block = 4;
	} else {
		*block = strstr(enc->openssl_name, "DES") ? 8 : 16;
		*ivlen = *block;
	}
}

static unsigned icv_len(const struct dpsnap_sa *sa)
{
	if (sa->enc && sa->enc->kind == ALG_AEAD)
		return sa->enc->icv_bits / 8;
	return sa->auth ? sa->auth->icv_bits / 8 : 0;
}

size_t esp_overhead(const struct dpsnap_sa *sa, size_t len)
{
	unsigned ivlen, block;

	geometry(sa->enc, &ivlen, &block);
	return ESP_HDR_LEN + ivlen + (block - (len + 2) % block) % block + 2 + icv_len(sa);
}

void esp_sa_free(struct esp_sa *e)
{
	if (!e)
		return;
	EVP_CIPHER_CTX_free(e->cipher);
	EVP_CIPHER_CTX_free(e->ivgen);
	hmac_free(e->mac);
	OPENSSL_clear_free(e, sizeof(*e));
}

/* OpenSSL 3 keeps single DES (the table's des row) in its legacy
 * provider.  That provider is loaded, once, into a library context of our
 * own, not the default one, so only what the default provider lacks is
 * fetched from it.  Lives until the process ends. */
static OSSL_LIB_CTX *legacy_libctx;
static CRYPTO_ONCE legacy_once = CRYPTO_ONCE_STATIC_INIT;

static void legacy_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (ctx && OSSL_PROVIDER_load(ctx, "legacy"))
		legacy_libctx = ctx;
	else
		OSSL_LIB_CTX_free(ctx);
}

/* @name from the default provider, else from the legacy one; NULL if
 * neither has it. */
static EVP_CIPHER *cipher_fetch(const char *name)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);

	if (c || !CRYPTO_THREAD_run_once(&legacy_once, legacy_init) || !legacy_libctx)
		return c;
	ERR_clear_error(); /* the default provider's miss */
	return EVP_CIPHER_fetch(legacy_libctx, name, NULL);
}

/* The keyed cipher context of @sa's encryption row. */
static int cipher_new(struct esp_sa *e, const struct dpsnap_sa *sa, struct reason *why)
{
	const struct alg_desc *a = sa->enc;
	EVP_CIPHER *c = cipher_fetch(a->openssl_name);
	unsigned keylen = a->key_bytes - a->salt_bytes;
	int ret = 0;

	if (!c) {
		reason_set(why, "ESP: OpenSSL has no %s (not in its default or legacy provider)",
			   a->openssl_name);
		return -ENOSYS;
	}
	if ((unsigned)EVP_CIPHER_get_key_length(c) != keylen ||
	    (!e->aead && ((unsigned)EVP_CIPHER_get_iv_length(c) != e->ivlen ||
			  (unsigned)EVP_CIPHER_get_block_size(c) != e->block))) {
		reason_set(why, "ESP: OpenSSL's %s does not fit the table's %s", a->openssl_name, a->name);
		ret = -ENOSYS;
		goto out;
	}
	e->cipher = EVP_CIPHER_CTX_new();
	if (!e->cipher ||
	    !EVP_CipherInit_ex(e->cipher, c, NULL, sa->enckey, NULL, e->outbound) ||
	    (!e->aead && !EVP_CIPHER_CTX_set_padding(e->cipher, 0))) {
		reason_set(why, "ESP: cannot set up %s", a->openssl_name);
		ret = -ENOMEM;
		goto out;
	}
	if (e->aead) {
		e->salt_len = a->salt_bytes;
		memcpy(e->salt, sa->enckey + keylen, e->salt_len);
	}
out:
	EVP_CIPHER_free(c);
	return ret;
}

/* The keyed HMAC states of @sa's authentication row. */
static int mac_new(struct esp_sa *e, const struct dpsnap_sa *sa, struct reason *why)
{
	int ret = hmac_new(&e->mac, sa->auth->openssl_name, sa->authkey, sa->authkey_len, why);

	if (ret) {
		reason_prefix(why, "ESP");
		return ret;
	}
	if (hmac_size(e->mac) < e->icvlen) {
		reason_set(why, "ESP: HMAC-%s is shorter than its ICV", sa->auth->openssl_name);
		return -ENOSYS;
	}
	return 0;
}

/* Outbound: the random per-SA IV material (and the CBC IV generator). */
static int ivgen_new(struct esp_sa *e, struct reason *why)
{
	uint8_t key[16];
	int ret = 0;

	if (RAND_bytes(e->ivmix, sizeof(e->ivmix)) != 1) {
		reason_set(why, "ESP: no random bytes for IVs");
		return -EIO;
	}
	if (e->aead || !e->cipher)
		return 0;
	e->ivgen = EVP_CIPHER_CTX_new();
	if (RAND_bytes(key, sizeof(key)) != 1) {
		reason_set(why, "ESP: no random bytes for IVs");
		ret = -EIO;
	} else if (!e->ivgen || !EVP_EncryptInit_ex(e->ivgen, EVP_aes_128_ecb(), NULL, key, NULL) ||
		   !EVP_CIPHER_CTX_set_padding(e->ivgen, 0)) {
		reason_set(why, "ESP: cannot set up the IV generator");
		ret = -ENOMEM;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

static int check_sa(const struct dpsnap_sa *sa, struct reason *why)
{
	const struct alg_desc *enc = sa->enc, *auth = sa->auth;

	if (enc && enc->kind != ALG_ENC && enc->kind != ALG_AEAD) {
		reason_set(why, "ESP: %s is not an encryption algorithm", enc->name);
		return -EINVAL;
	}
	if (auth && auth->kind != ALG_AUTH) {
		reason_set(why, "ESP: %s is not an authentication algorithm", auth->name);
		return -EINVAL;
	}
	if (enc && enc->kind == ALG_AEAD && auth) {
		reason_set(why, "ESP: %s carries its own ICV: no auth", enc->name);
		return -EINVAL;
	}
	if ((!enc || !enc->openssl_name) && !auth) {
		reason_set(why, "ESP: neither encryption nor authentication");
		return -EINVAL;
	}
	if (enc && (sa->enckey_len != enc->key_bytes || (enc->key_bytes && !sa->enckey))) {
		reason_set(why, "ESP: %s takes a %u-byte key, not %zu", enc->name, enc->key_bytes,
			   sa->enckey_len);
		return -EINVAL;
	}
	if (auth && (sa->authkey_len != auth->key_bytes || !sa->authkey)) {
		reason_set(why, "ESP: %s takes a %u-byte key, not %zu", auth->name, auth->key_bytes,
			   sa->authkey_len);
		return -EINVAL;
	}
	return 0;
}

int esp_sa_new(struct esp_sa **out, const struct dpsnap_sa *sa, bool outbound, struct reason *why)
{
	struct esp_sa *e;
	int ret;

	*out = NULL;
	ret = check_sa(sa, why);
	if (ret)
		return ret;
	e = OPENSSL_zalloc(sizeof(*e));
	if (!e) {
		reason_set(why, "ESP: out of memory");
		return -ENOMEM;
	}
	e->spi = sa->said.spi;
	e->outbound = outbound;
	e->esn = sa->esn;
	e->aead = sa->enc && sa->enc->kind == ALG_AEAD;
	e->icvlen = icv_len(sa);
	geometry(sa->enc, &e->ivlen, &e->block);
	if (sa->enc && sa->enc->openssl_name)
		ret = cipher_new(e, sa, why);
	if (!ret && sa->auth)
		ret = mac_new(e, sa, why);
	if (!ret && outbound)
		ret = ivgen_new(e, why);
	if (ret) {
		esp_sa_free(e);
		return ret;
	}
	*out = e;
	return 0;
}

void esp_sa_test_iv(struct esp_sa *e, const uint8_t *iv, size_t len)
{
	if (len != e->ivlen || len > sizeof(e->test_iv))
		return;
	memcpy(e->test_iv, iv, len);
	e->test_iv_set = true;
}

static int icv_mac(struct esp_sa *e, const uint8_t *data, size_t len, uint64_t seq, uint8_t *out);

int esp_test_icv(const struct alg_desc *auth, const uint8_t *key, size_t keylen, const uint8_t *data,
		 size_t len, uint8_t *out, size_t outlen)
{
	struct esp_sa e = { 0 };
	uint8_t mac[HMAC_MAX_SIZE];
	int ret = hmac_new(&e.mac, auth->openssl_name, key, keylen, NULL);

	if (!ret && icv_mac(&e, data, len, 0, mac))
		ret = -EIO;
	if (!ret) {
		ret = (int)hmac_size(e.mac);
		memcpy(out, mac, (size_t)ret < outlen ? (size_t)ret : outlen);
	}
	hmac_free(e.mac);
	OPENSSL_cleanse(mac, sizeof(mac));
	return ret;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The IV of outbound packet @seq into @iv (e->ivlen bytes). */
static int make_iv(struct esp_sa *e, uint64_t seq, uint8_t *iv)
{
	uint8_t in[16], ecb[16];
	int n, i;

	if (e->test_iv_set) {
		memcpy(iv, e->test_iv, e->ivlen);
		e->test_iv_set = false;
		return 0;
	}
	put32(in, (uint32_t)(seq >> 32));
	put32(in + 4, (uint32_t)seq);
	if (e->aead) {
		for (i = 0; i < 8; i++)
			iv[i] = in[i] ^ e->ivmix[i];
		return 0;
	}
	if (!e->ivlen)
		return 0;
	memcpy(in + 8, e->ivmix, 8);
	if (!EVP_EncryptUpdate(e->ivgen, ecb, &n, in, sizeof(in)) || n != sizeof(ecb))
		return -1;
	memcpy(iv, ecb, e->ivlen);
	return 0;
}

/* The HMAC of @len bytes at @data, then (ESN) the high half of @seq, into
 * @out (HMAC_MAX_SIZE bytes). */
static int icv_mac(struct esp_sa *e, const uint8_t *data, size_t len, uint64_t seq, uint8_t *out)
{
	uint8_t hi[4];

	put32(hi, (uint32_t)(seq >> 32));
	hmac_start(e->mac);
	if (!hmac_update(e->mac, data, len) || (e->esn && !hmac_update(e->mac, hi, sizeof(hi))) ||
	    !hmac_final(e->mac, out))
		return -1;
	return 0;
}

/* AEAD over the @len bytes at @text, in place (encrypt or decrypt as the
 * context was set up), with the ESP header at @esp and its IV after it;
 * @tag: the ICV, written (outbound) or checked (inbound).  0, or -1 when
 * the tag does not verify. */
static int aead(struct esp_sa *e, const uint8_t *esp, uint8_t *text, size_t len, uint64_t seq,
		uint8_t *tag)
{
	uint8_t nonce[AEAD_SALT_MAX + AEAD_IV], aad[12];
	size_t aadlen = 8;
	int n;

	memcpy(nonce, e->salt, e->salt_len);
	memcpy(nonce + e->salt_len, esp + ESP_HDR_LEN, AEAD_IV);
	memcpy(aad, esp, 4);
	if (e->esn) {
		put32(aad + 4, (uint32_t)(seq >> 32));
		aadlen = 12;
	}
	memcpy(aad + aadlen - 4, esp + 4, 4);
	if (!EVP_CipherInit_ex(e->cipher, NULL, NULL, NULL, nonce, -1) ||
	    !EVP_CipherUpdate(e->cipher, NULL, &n, aad, (int)aadlen) ||
	    !EVP_CipherUpdate(e->cipher, text, &n, text, (int)len))
		return -1;
	if (!e->outbound &&
	    !EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_AEAD_SET_TAG, (int)e->icvlen, tag))
		return -1;
	if (!EVP_CipherFinal_ex(e->cipher, text + n, &n))
		return -1;
	if (e->outbound &&
	    !EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_AEAD_GET_TAG, (int)e->icvlen, tag))
		return -1;
	return 0;
}

/* CBC over the @len bytes (whole blocks) at @text, in place, with @iv. */
static int cbc(struct esp_sa *e, const uint8_t *iv, uint8_t *text, size_t len)
{
	int n;

	if (!EVP_CipherInit_ex(e->cipher, NULL, NULL, NULL, iv, -1) ||
	    !EVP_CipherUpdate(e->cipher, text, &n, text, (int)len) || (size_t)n != len)
		return -1;
	return 0;
}

int esp_encap(struct esp_sa *e, struct pkt *p, size_t hlen, size_t nh_off, uint64_t seq)
{
	size_t len, pad, head, tail, i;
	uint8_t *esp, *tr, *text, mac[HMAC_MAX_SIZE];

	if (hlen > p->len || nh_off >= hlen)
		return -DP_DROP_MALFORMED;
	len = p->len - hlen;
	pad = (e->block - (len + 2) % e->block) % e->block;
	head = ESP_HDR_LEN + e->ivlen;
	tail = pad + 2 + e->icvlen;
	if (pkt_headroom(p) < head || pkt_tailroom(p) < tail || p->len + head + tail > PKT_MAX_IP)
		return -DP_DROP_MALFORMED;
	esp = pkt_insert(p, hlen, head);
	tr = pkt_put(p, tail);
	put32(esp, e->spi);
	put32(esp + 4, (uint32_t)seq);
	if (make_iv(e, seq, esp + ESP_HDR_LEN))
		return -DP_DROP_MALFORMED;
	for (i = 0; i < pad; i++)
		tr[i] = (uint8_t)(i + 1);
	tr[pad] = (uint8_t)pad;
	tr[pad + 1] = pkt_data(p)[nh_off];
	pkt_data(p)[nh_off] = 50; /* IPPROTO_ESP */
	text = esp + head;
	len += pad + 2;
	if (e->aead)
		return aead(e, esp, text, len, seq, text + len) ? -DP_DROP_MALFORMED : 0;
	if (e->cipher && cbc(e, esp + ESP_HDR_LEN, text, len))
		return -DP_DROP_MALFORMED;
	if (e->mac) {
		if (icv_mac(e, esp, head + len, seq, mac))
			return -DP_DROP_MALFORMED;
		memcpy(text + len, mac, e->icvlen);
		OPENSSL_cleanse(mac, sizeof(mac));
	}
	return 0;
}

int esp_decap(struct esp_sa *e, struct pkt *p, size_t hlen, size_t nh_off, uint64_t seq)
{
	size_t len, head = ESP_HDR_LEN + e->ivlen, clen;
	uint8_t *esp, *text, *icv, mac[HMAC_MAX_SIZE], padlen, nh;
	int bad;

	if (hlen > p->len || nh_off >= hlen)
		return -DP_DROP_MALFORMED;
	len = p->len - hlen;
	if (len < head + 2 + e->icvlen)
		return -DP_DROP_MALFORMED;
	esp = pkt_data(p) + hlen;
	text = esp + head;
	clen = len - head - e->icvlen;
	icv = text + clen;
	if (e->cipher && !e->aead && clen % e->block)
		return -DP_DROP_MALFORMED;
	if (e->mac) {
		if (icv_mac(e, esp, head + clen, seq, mac))
			return -DP_DROP_ICV;
		bad = CRYPTO_memcmp(mac, icv, e->icvlen);
		OPENSSL_cleanse(mac, sizeof(mac));
		if (bad)
			return -DP_DROP_ICV;
	}
	if (e->aead) {
		if (aead(e, esp, text, clen, seq, icv))
			return -DP_DROP_ICV;
	} else if (e->cipher && cbc(e, esp + ESP_HDR_LEN, text, clen)) {
		return -DP_DROP_MALFORMED;
	}
	padlen = text[clen - 2];
	nh = text[clen - 1];
	if ((size_t)padlen + 2 > clen)
		return -DP_DROP_MALFORMED;
	if (nh == NEXTHDR_NONE)
		return 1;
	if ((size_t)padlen + 2 == clen)
		return -DP_DROP_MALFORMED; /* no payload, as the kernel sees it */
	pkt_trim(p, p->len - e->icvlen - padlen - 2);
	pkt_remove(p, hlen, head);
	pkt_data(p)[nh_off] = nh;
	return 0;
}
