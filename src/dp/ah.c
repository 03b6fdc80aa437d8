/* ah.c: AH (RFC 4302) through OpenSSL's HMAC (ah.h). */
#include "ah.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "alg.h"
#include "ipx.h"
#include "salive.h"

#define AH_MAX_MAC 64u /* HMAC-SHA-512 */

struct ah_sa {
	EVP_MAC_CTX *mac;
	uint32_t spi;
	size_t icvlen;  /* truncated ICV, bytes */
	size_t fulllen; /* the whole MAC, bytes */
	size_t align;   /* 4 or 8 */
	size_t hdrlen;  /* as sent: ALIGN(12 + icvlen) */
	bool esn;
	bool v6;
};

static const uint8_t zeros[256];

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

static size_t sa_align(const struct dpsnap_sa *sa)
{
	return sa->said.dst.family == AF_INET && sa->ah_align == 32 ? 4 : 8;
}

size_t ah_overhead(const struct dpsnap_sa *sa)
{
	if (!sa->auth)
		return 0;
	return align_up(AH_FIXED_LEN + sa->auth->icv_bits / 8, sa_align(sa));
}

size_t ah_hdr_len(const struct ah_sa *a)
{
	return a->hdrlen;
}

int ah_sa_new(struct ah_sa **out, const struct dpsnap_sa *sa, struct reason *why)
{
	EVP_MAC *m;
	OSSL_PARAM params[2];
	struct ah_sa *a;
	int ret = 0;

	*out = NULL;
	if (sa->said.proto != SAID_PROTO_AH || !sa->auth || !sa->auth->openssl_name ||
	    sa->auth->icv_bits == 0 || sa->auth->icv_bits / 8 > AH_MAX_MAC) {
		reason_set(why, "AH: no authentication algorithm");
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->spi = sa->said.spi;
	a->icvlen = sa->auth->icv_bits / 8;
	a->align = sa_align(sa);
	a->hdrlen = align_up(AH_FIXED_LEN + a->icvlen, a->align);
	a->esn = sa->esn;
	a->v6 = sa->said.dst.family == AF_INET6;
	m = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!m) {
		reason_set(why, "AH: OpenSSL has no HMAC");
		ret = -ENOSYS;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)sa->auth->openssl_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	a->mac = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m);
	if (!a->mac || !EVP_MAC_init(a->mac, sa->authkey, sa->authkey_len, params)) {
		reason_set(why, "AH: OpenSSL cannot do HMAC with %s", sa->auth->openssl_name);
		ret = -ENOSYS;
		goto out;
	}
	a->fulllen = EVP_MAC_CTX_get_mac_size(a->mac);
	if (a->fulllen < a->icvlen || a->fulllen > AH_MAX_MAC) {
		reason_set(why, "AH: HMAC-%s is shorter than its ICV", sa->auth->openssl_name);
		ret = -ENOSYS;
	}
out:
	if (ret) {
		ah_sa_free(a);
		return ret;
	}
	*out = a;
	return 0;
}

void ah_sa_free(struct ah_sa *a)
{
	if (!a)
		return;
	EVP_MAC_CTX_free(a->mac);
	free(a);
}

/* The MAC fed: bytes as they are, or zeros. */
static bool feed(struct ah_sa *a, const uint8_t *d, size_t n)
{
	return n == 0 || EVP_MAC_update(a->mac, d, n);
}

static bool feed0(struct ah_sa *a, size_t n)
{
	while (n > 0) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);

		if (!EVP_MAC_update(a->mac, zeros, k))
			return false;
		n -= k;
	}
	return true;
}

/* Is the IPv4 option of type @t immutable (RFC 4302 section 3.3.3.1.1.1)? */
static bool opt4_immutable(uint8_t t)
{
	return t == 130 || t == 133 || t == 134 || t == 148 || t == 149;
}

/* The final destination of an outbound IPv4 header's loose or strict
 * source route (@o, @n bytes of options), or NULL; -1 in *@bad when the
 * options are malformed. */
static const uint8_t *opt4_walk(const uint8_t *o, size_t n, bool *bad)
{
	const uint8_t *final = NULL;
	size_t i = 0, l;

	*bad = false;
	while (i < n && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (n - i < 2 || (l = o[i + 1]) < 2 || l > n - i) {
			*bad = true;
			return NULL;
		}
		if (o[i] == 131 || o[i] == 137) { /* LSRR, SSRR */
			if (l < 6) {
				*bad = true;
				return NULL;
			}
			final = o + i + l - 4;
		}
		i += l;
	}
	return final;
}

/* IPv4 header (@ihl bytes at @d) into the MAC, mutable fields as zero. */
static int icv_hdr4(struct ah_sa *a, const uint8_t *d, size_t ihl, bool out)
{
	const uint8_t *o = d + IPV4_HDR_LEN, *dst = d + 16, *final;
	size_t n = ihl - IPV4_HDR_LEN, i = 0;
	bool bad;

	final = opt4_walk(o, n, &bad);
	if (bad)
		return -1;
	if (out && final)
		dst = final;
	if (!feed(a, d, 1) || !feed0(a, 1) || !feed(a, d + 2, 4) || !feed0(a, 3) ||
	    !feed(a, d + 9, 1) || !feed0(a, 2) || !feed(a, d + 12, 4) || !feed(a, dst, 4))
		return -1;
	while (i < n && o[i] != 0) {
		size_t l = o[i] == 1 ? 1 : o[i + 1];

		if (!(o[i] == 1 || opt4_immutable(o[i]) ? feed(a, o + i, l) : feed0(a, l)))
			return -1;
		i += l;
	}
	return feed(a, o + i, n - i) ? 0 : -1; /* End and what follows, as is */
}

/* Hop-by-hop or destination options header (@len bytes at @h) into the
 * MAC, the data of options that may change en route as zero. */
static int icv_opts6(struct ah_sa *a, const uint8_t *h, size_t len)
{
	size_t i = 2;

	if (!feed(a, h, 2))
		return -1;
	while (i < len) {
		size_t l;

		if (h[i] == 0) { /* Pad1 */
			if (!feed(a, h + i, 1))
				return -1;
			i++;
			continue;
		}
		if (len - i < 2 || (l = (size_t)h[i + 1] + 2) > len - i)
			return -1;
		if (!feed(a, h + i, 2) ||
		    !(h[i] & 0x20 ? feed0(a, l - 2) : feed(a, h + i + 2, l - 2)))
			return -1;
		i += l;
	}
	return 0;
}

/* A routing header (@len bytes at @h) as it will arrive, with @daddr the
 * packet's current destination (ipv6_rearrange_rthdr()).  The final
 * destination is fed by the caller. */
static int icv_rthdr_out(struct ah_sa *a, const uint8_t *h, size_t len, const uint8_t *daddr)
{
	size_t segs = h[1] / 2, left = h[3], k;

	if (left == 0)
		return feed(a, h, len) ? 0 : -1;
	if (h[1] % 2 || left > segs || 8 + segs * 16 > len)
		return -1;
	k = segs - left;
	if (!feed(a, h, 3) || !feed0(a, 1) || !feed(a, h + 4, 4) || !feed(a, h + 8, k * 16) ||
	    !feed(a, daddr, 16) || !feed(a, h + 8 + k * 16, (left - 1) * 16) ||
	    !feed(a, h + 8 + segs * 16, len - 8 - segs * 16))
		return -1;
	return 0;
}

/* The final destination of an outbound IPv6 packet: the last address of
 * a routing header with segments left, or NULL. */
static const uint8_t *final6(const uint8_t *d, size_t hlen)
{
	size_t off = IPV6_HDR_LEN;
	uint8_t nh = d[6];

	while (off + 8 <= hlen && (nh == IPX_HOPOPTS || nh == IPX_ROUTING || nh == IPX_DSTOPTS)) {
		const uint8_t *h = d + off;
		size_t len = ((size_t)h[1] + 1) * 8;

		if (nh == IPX_ROUTING && h[3] > 0 && h[1] >= 2 && !(h[1] % 2) &&
		    8 + (size_t)(h[1] / 2) * 16 <= len && off + len <= hlen)
			return h + 8 + (size_t)(h[1] / 2 - 1) * 16;
		nh = h[0];
		off += len;
	}
	return NULL;
}

/* IPv6 header and the extension headers up to @hlen into the MAC. */
static int icv_hdr6(struct ah_sa *a, const uint8_t *d, size_t hlen, bool out)
{
	const uint8_t *final = out ? final6(d, hlen) : NULL;
	size_t off = IPV6_HDR_LEN;
	uint8_t v = 0x60, nh = d[6];

	if (!feed(a, &v, 1) || !feed0(a, 3) || !feed(a, d + 4, 3) || !feed0(a, 1) ||
	    !feed(a, d + 8, 16) || !feed(a, final ? final : d + 24, 16))
		return -1;
	while (off < hlen) {
		const uint8_t *h = d + off;
		size_t len;
		int r;

		if (off + 8 > hlen || off + (len = ((size_t)h[1] + 1) * 8) > hlen)
			return -1;
		if (nh == IPX_HOPOPTS || nh == IPX_DSTOPTS)
			r = icv_opts6(a, h, len);
		else if (nh == IPX_ROUTING)
			r = out ? icv_rthdr_out(a, h, len, d + 24) : (feed(a, h, len) ? 0 : -1);
		else
			return -1; /* not a header that goes before AH */
		if (r < 0)
			return -1;
		nh = h[0];
		off += len;
	}
	return 0;
}

/* The ICV of the datagram @d (@len bytes, AH at @hlen, its ICV field of
 * @a->icvlen bytes taken as zero) into @icv (AH_MAX_MAC bytes). */
static int icv(struct ah_sa *a, const uint8_t *d, size_t len, size_t hlen, uint64_t seq,
	       bool out, uint8_t *mac)
{
	const uint8_t *ah = d + hlen;
	size_t after = hlen + AH_FIXED_LEN + a->icvlen, n;
	uint8_t hi[4] = { (uint8_t)(seq >> 56), (uint8_t)(seq >> 48), (uint8_t)(seq >> 40),
			  (uint8_t)(seq >> 32) };
	int r;

	if (!EVP_MAC_init(a->mac, NULL, 0, NULL))
		return -1;
	r = d[0] >> 4 == 4 ? icv_hdr4(a, d, hlen, out) : icv_hdr6(a, d, hlen, out);
	if (r < 0 || !feed(a, ah, AH_FIXED_LEN) || !feed0(a, a->icvlen) ||
	    !feed(a, d + after, len - after) || (a->esn && !feed(a, hi, sizeof(hi))) ||
	    !EVP_MAC_final(a->mac, mac, &n, AH_MAX_MAC))
		return -1;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int ah_encap(struct ah_sa *a, struct pkt *p, size_t hlen, size_t nh_off, uint64_t seq)
{
	uint8_t mac[AH_MAX_MAC], *h, *d;

	if (nh_off >= hlen || hlen > p->len || p->len + a->hdrlen > PKT_MAX_IP ||
	    !(h = pkt_insert(p, hlen, a->hdrlen)))
		return -DP_DROP_MALFORMED;
	d = pkt_data(p);
	memset(h, 0, a->hdrlen);
	h[0] = d[nh_off];
	h[1] = (uint8_t)(a->hdrlen / 4 - 2);
	put32(h + 4, a->spi);
	put32(h + 8, (uint32_t)seq);
	d[nh_off] = IPX_AH;
	ipx_fix_len(d, d[0] >> 4 == 4 ? AF_INET : AF_INET6, p->len);
	if (icv(a, d, p->len, hlen, seq, true, mac) < 0) {
		d[nh_off] = h[0];
		pkt_remove(p, hlen, a->hdrlen);
		ipx_fix_len(pkt_data(p), d[0] >> 4 == 4 ? AF_INET : AF_INET6, p->len);
		return -DP_DROP_MALFORMED;
	}
	memcpy(h + AH_FIXED_LEN, mac, a->icvlen);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int ah_decap(struct ah_sa *a, struct pkt *p, size_t hlen, size_t nh_off, uint64_t seq)
{
	uint8_t mac[AH_MAX_MAC], *d = pkt_data(p);
	size_t ahl;
	int ok;

	if (nh_off >= hlen || hlen + AH_FIXED_LEN > p->len)
		return -DP_DROP_MALFORMED;
	ahl = ((size_t)d[hlen + 1] + 2) * 4;
	if ((ahl != a->hdrlen && ahl != align_up(AH_FIXED_LEN + a->fulllen, a->align)) ||
	    hlen + ahl > p->len)
		return -DP_DROP_MALFORMED;
	if (icv(a, d, p->len, hlen, seq, false, mac) < 0)
		return -DP_DROP_MALFORMED;
	ok = CRYPTO_memcmp(mac, d + hlen + AH_FIXED_LEN, a->icvlen) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	if (!ok)
		return -DP_DROP_ICV;
	d[nh_off] = d[hlen];
	if (pkt_remove(p, hlen, ahl) < 0)
		return -DP_DROP_MALFORMED;
	return 0;
}
