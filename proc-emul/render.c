/* render.c: the KLIPS /proc/net views as text, from a sadb and its runtime.
 *
 * Pure: reads the sadb and its runtime, appends to a strbuf.  No FUSE, no I/O, no
 * locking (the caller renders on the thread that owns the sadb and hands the
 * finished text to readers).  Built for size: 100,000 groups render in a few
 * tens of milliseconds, one said_format() per SAID straight into the buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* Append one SAID and its trailing space. */
static int put_said(struct strbuf *b, const struct said *s, char fmt)
{
	size_t n;

	if (strbuf_reserve(b, SAID_BUF + 1))
		return -ENOMEM;
	n = said_format(s, fmt, b->s + b->len, SAID_BUF);
	if (n >= SAID_BUF) /* cannot happen: SAID_BUF is the longest SAID */
		n = SAID_BUF - 1;
	b->len += n;
	b->s[b->len++] = ' ';
	b->s[b->len] = '\0';
	return 0;
}

/* Sort keys next to the pointers: qsort then never touches the groups. */
struct line_ref {
	uint64_t order;
	const struct sadb_group *g;
};

static int cmp_order(const void *a, const void *b)
{
	const struct line_ref *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/* render_spigrp() - see render.h.  Lines are sorted by order only when
 * db->group is not in that order already. */
int render_spigrp(const struct sadb *db, const struct runtime *rt, enum cfg_said_format fmt,
		  struct strbuf *out)
{
	struct line_ref *sorted = NULL;
	size_t i, n = 0;
	bool in_order = true;
	char f;
	int ret = 0;

	switch (fmt) {
	case CFG_SAID_SEED:
		f = '0';
		break;
	case CFG_SAID_X:
		f = 'x';
		break;
	default:
		return -EINVAL;
	}
	if (strbuf_reserve(out, 0))
		return -ENOMEM;
	if (!db || !rt || db->ngroup == 0)
		goto out;

	sorted = malloc(db->ngroup * sizeof(*sorted));
	if (!sorted) {
		out->oom = true;
		return -ENOMEM;
	}
	for (i = 0; i < db->ngroup; i++) {
		const struct sadb_group *g = db->group[i];
		const struct rt_group *r = g ? rt_of(rt, g) : NULL;

		if (!r || r->state != RT_INSTALLED)
			continue;
		if (n && sorted[n - 1].order > g->order)
			in_order = false;
		sorted[n].order = g->order;
		sorted[n++].g = g;
	}
	if (!in_order)
		qsort(sorted, n, sizeof(*sorted), cmp_order);
	/* a typical line: four SAIDs of ~25 bytes */
	if (strbuf_reserve(out, n * 100)) {
		ret = -ENOMEM;
		goto out;
	}

	for (i = 0; i < n; i++) {
		const struct sadb_group *g = sorted[i].g;

		if (g->shunt) {
			ret = put_said(out, &g->shunt_said, f);
		} else {
			for (unsigned k = 0; k < g->nsa && !ret; k++)
				ret = put_said(out, &g->sa[k]->cfg->said, f);
		}
		if (!ret)
			ret = strbuf_reserve(out, 1);
		if (ret)
			break;
		strbuf_add(out, "\n", 1);
	}
out:
	free(sorted);
	return ret;
}

/* render_version() - see render.h.  Same NUL and -ENOMEM rules as above. */
int render_version(struct strbuf *out)
{
	static const char text[] = "spigrpd version: " PACKAGE_VERSION "\n";

	strbuf_add(out, text, sizeof(text) - 1);
	return out->oom ? -ENOMEM : 0;
}

/* ---- the kview files: ipsec_spigrp's foreign lines, ipsec_spi,
 * ipsec_eroute ---- */

static int fmt_char(enum cfg_said_format fmt)
{
	switch (fmt) {
	case CFG_SAID_SEED:
		return '0';
	case CFG_SAID_X:
		return 'x';
	default:
		return 0;
	}
}

struct kv_ref {
	uint64_t order;
	size_t i;
};

static int cmp_kv_ref(const void *a, const void *b)
{
	const struct kv_ref *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i; /* stable */
}

/* render_spigrp_kview() - see render.h. */
int render_spigrp_kview(const struct kview *v, enum cfg_said_format fmt, struct strbuf *out)
{
	struct kv_ref *ref;
	size_t i, n = 0;
	int f = fmt_char(fmt), ret = 0;

	if (!f)
		return -EINVAL;
	if (strbuf_reserve(out, 0))
		return -ENOMEM;
	if (!v || !v->ngrp)
		return 0;
	ref = malloc(v->ngrp * sizeof(*ref));
	if (!ref) {
		out->oom = true;
		return -ENOMEM;
	}
	for (i = 0; i < v->ngrp; i++)
		if (!v->grp[i].ours)
			ref[n++] = (struct kv_ref){ v->grp[i].order, i };
	qsort(ref, n, sizeof(*ref), cmp_kv_ref);
	for (i = 0; i < n && !ret; i++) {
		const struct kv_group *g = &v->grp[ref[i].i];

		for (unsigned k = 0; k < g->nsa && !ret; k++)
			ret = put_said(out, &v->sa[g->sa[k]].said, (char)f);
		strbuf_add(out, "\n", 1);
		if (out->oom)
			ret = -ENOMEM;
	}
	free(ref);
	return ret;
}

/* Kernel crypto API names -> KLIPS transform suffixes.  KLIPS named the
 * GCM and CCM variants by their ICV (A/B/C = 8/12/16 bytes); we write the
 * ICV length in bytes instead, as IKE proposals do. */
struct xf_name {
	const char *kernel, *klips;
};

static const struct xf_name xf_enc[] = {
	{ "cbc(aes)", "_AES" },
	{ "cbc(des3_ede)", "_3DES" },
	{ "cbc(des)", "_DES" },
	{ "ecb(cipher_null)", "_NULL" },
	{ "cipher_null", "_NULL" },
	{ "rfc3686(ctr(aes))", "_AES_CTR" },
	{ "cbc(camellia)", "_CAMELLIA" },
	{ "cbc(serpent)", "_SERPENT" },
	{ "cbc(twofish)", "_TWOFISH" },
	{ "cbc(cast5)", "_CAST" },
	{ "cbc(blowfish)", "_BLOWFISH" },
	{ "rfc4106(gcm(aes))", "_AES_GCM" },
	{ "rfc4309(ccm(aes))", "_AES_CCM" },
	{ "rfc4543(gcm(aes))", "_NULL_AUTH_AES_GMAC" },
	{ "rfc7539esp(chacha20,poly1305)", "_CHACHA20_POLY1305" },
	{ NULL, NULL },
};

static const struct xf_name xf_auth[] = {
	{ "hmac(md5)", "_HMAC_MD5" },
	{ "hmac(sha1)", "_HMAC_SHA1" },
	{ "hmac(sha256)", "_HMAC_SHA2_256" },
	{ "hmac(sha384)", "_HMAC_SHA2_384" },
	{ "hmac(sha512)", "_HMAC_SHA2_512" },
	{ "hmac(rmd160)", "_HMAC_RIPEMD" },
	{ "xcbc(aes)", "_AES_XCBC" },
	{ "cmac(aes)", "_AES_CMAC" },
	{ "digest_null", "" },
	{ NULL, NULL },
};

static const struct xf_name xf_comp[] = {
	{ "deflate", "_DEFLATE" },
	{ "lzs", "_LZS" },
	{ "lzjh", "_LZJH" },
	{ NULL, NULL },
};

/* Append the suffix of kernel name @name (table @t) to @b. */
static void xf_suffix(struct strbuf *b, const struct xf_name *t, const char *name)
{
	bool sep = true;

	for (; t->kernel; t++) {
		if (strcmp(t->kernel, name) == 0) {
			strbuf_puts(b, t->klips);
			return;
		}
	}
	for (const char *p = name; *p; p++) {
		char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			if (sep)
				strbuf_add(b, "_", 1);
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			strbuf_add(b, &c, 1);
			sep = false;
		} else {
			sep = true;
		}
	}
}

static const char *xf_proto(uint8_t proto)
{
	switch (proto) {
	case SAID_PROTO_AH:
		return "AH";
	case SAID_PROTO_ESP:
		return "ESP";
	case SAID_PROTO_TUN:
		return "IPIP";
	case SAID_PROTO_COMP:
		return "COMP";
	default:
		return "UNKNOWN_proto";
	}
}

static void put_xform(struct strbuf *b, const struct kv_sa *sa)
{
	strbuf_puts(b, xf_proto(sa->said.proto));
	if (sa->said.proto == SAID_PROTO_COMP) {
		if (sa->comp[0])
			xf_suffix(b, xf_comp, sa->comp);
		return;
	}
	if (sa->enc[0]) {
		xf_suffix(b, xf_enc, sa->enc);
		if (sa->aead && sa->icv_bits && (strstr(sa->enc, "gcm(") || strstr(sa->enc, "ccm(")) &&
		    !strstr(sa->enc, "rfc4543"))
			strbuf_printf(b, "_%u", sa->icv_bits / 8);
	}
	if (sa->auth[0] && !sa->aead)
		xf_suffix(b, xf_auth, sa->auth);
}

/* render_xform() - see render.h. */
size_t render_xform(const struct kv_sa *sa, char *buf, size_t len)
{
	struct strbuf b = STRBUF_INIT;
	size_t n;

	put_xform(&b, sa);
	n = b.oom ? 0 : b.len;
	if (len)
		snprintf(buf, len, "%s", b.oom ? "" : b.s);
	strbuf_free(&b);
	return n;
}

static void put_addr(struct strbuf *b, const struct ip_addr *a)
{
	char t[IP_ADDR_BUF];

	ip_addr_format(a, t, sizeof(t));
	strbuf_puts(b, t);
}

static void put_prefix(struct strbuf *b, const struct ip_prefix *p)
{
	char t[IP_PREFIX_BUF];

	ip_prefix_format(p, t, sizeof(t));
	strbuf_puts(b, t);
}

/* A label as one field: bytes outside printable ASCII, space and '\\' as
 * \xNN. */
static void put_label(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c > ' ' && c < 0x7f && c != '\\')
			strbuf_add(b, s, 1);
		else
			strbuf_printf(b, "\\x%02x", c);
	}
}

static uint64_t since(uint64_t now, uint64_t t)
{
	return t && now > t ? now - t : 0;
}

/* " life(c,s,h)=" and its parts: each with a current value or a limit. */
static void put_life(struct strbuf *b, const struct kv_sa *sa, uint64_t now)
{
	const struct cfg_life *l = &sa->life;
	uint64_t add = since(now, sa->add_time), use = since(now, sa->use_time);

	strbuf_puts(b, " life(c,s,h)=");
	if (sa->bytes || l->soft_bytes || l->hard_bytes)
		strbuf_printf(b, "bytes(%llu,%llu,%llu)", (unsigned long long)sa->bytes,
			      (unsigned long long)l->soft_bytes, (unsigned long long)l->hard_bytes);
	if (add || l->soft_seconds || l->hard_seconds)
		strbuf_printf(b, "addtime(%llu,%llu,%llu)", (unsigned long long)add,
			      (unsigned long long)l->soft_seconds,
			      (unsigned long long)l->hard_seconds);
	if (use)
		strbuf_printf(b, "usetime(%llu,0,0)", (unsigned long long)use);
	if (sa->packets || l->soft_packets || l->hard_packets)
		strbuf_printf(b, "packets(%llu,%llu,%llu)", (unsigned long long)sa->packets,
			      (unsigned long long)l->soft_packets,
			      (unsigned long long)l->hard_packets);
}

static const char *natencap_name(uint16_t type)
{
	switch (type) {
	case 0:
		return "none";
	case 1: /* UDP_ENCAP_ESPINUDP_NON_IKE */
		return "nonike";
	case 2: /* UDP_ENCAP_ESPINUDP (RFC 3948) */
		return "nonesp";
	default:
		return "unknown";
	}
}

static void put_u64_if(struct strbuf *b, const char *name, uint64_t v)
{
	if (v)
		strbuf_printf(b, " %s=%llu", name, (unsigned long long)v);
}

static int spi_line(struct strbuf *b, const struct kv_sa *sa, char f, uint64_t now)
{
	int r = put_said(b, &sa->said, f);

	if (r)
		return r;
	put_xform(b, sa);
	strbuf_add(b, ":", 1);
	if (sa->dir == SADB_DIR_IN)
		strbuf_puts(b, " dir=in ");
	else if (sa->dir == SADB_DIR_OUT)
		strbuf_puts(b, " dir=out");
	if (sa->src.family) {
		strbuf_puts(b, " src=");
		put_addr(b, &sa->src);
	}
	if (sa->has_policy) {
		strbuf_puts(b, " policy=");
		put_prefix(b, &sa->policy_src);
		strbuf_puts(b, "->");
		put_prefix(b, &sa->policy_dst);
	}
	if (sa->enc[0] || sa->auth[0]) {
		put_u64_if(b, "ooowin", sa->replay_window);
		put_u64_if(b, "ooo_errs", (uint64_t)sa->replay_errs + sa->replay_window_errs);
		put_u64_if(b, "seq", sa->seq);
	}
	put_u64_if(b, "alen", sa->icv_bits);
	put_u64_if(b, "aklen", sa->akey_bits);
	put_u64_if(b, "auth_errs", sa->integrity_errs);
	put_u64_if(b, "eklen", sa->ekey_bits);
	put_life(b, sa, now);
	if (sa->last_used)
		strbuf_printf(b, " idle=%llu", (unsigned long long)since(now, sa->last_used));
	strbuf_printf(b, " natencap=%s natsport=%u natdport=%u", natencap_name(sa->encap_type),
		      sa->encap_sport, sa->encap_dport);
	put_u64_if(b, "reqid", sa->reqid);
	if (sa->label[0]) {
		strbuf_puts(b, " label=");
		put_label(b, sa->label);
	}
	strbuf_add(b, "\n", 1);
	return b->oom ? -ENOMEM : 0;
}

/* A selector: prefix, ":port" when set ("[prefix]:port" for IPv6). */
static void selector(char *buf, size_t len, const struct ip_prefix *p, uint16_t port)
{
	char t[IP_PREFIX_BUF];

	ip_prefix_format(p, t, sizeof(t));
	if (!port)
		snprintf(buf, len, "%s", t);
	else if (p->addr.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", t, port);
	else
		snprintf(buf, len, "%s:%u", t, port);
}

static int eroute_line(struct strbuf *b, const struct kv_eroute *e, char f)
{
	char src[IP_PREFIX_BUF + 8], dst[IP_PREFIX_BUF + 8], said[SAID_BUF];

	selector(src, sizeof(src), &e->src, e->sport);
	selector(dst, sizeof(dst), &e->dst, e->dport);
	said_format(&e->said, f, said, sizeof(said));
	strbuf_printf(b, "%-10llu %-18s -> %-18s => %s", (unsigned long long)e->count, src, dst,
		      said);
	if (e->proto)
		strbuf_printf(b, ":%u", e->proto);
	strbuf_add(b, "\n", 1);
	return b->oom ? -ENOMEM : 0;
}

/* Call @line for the SAs (@er false) or the eroutes of @v, ours first:
 * the frame of render_spi() and render_eroute(). */
static int render_ours_first(const struct kview *v, enum cfg_said_format fmt, bool er,
			     uint64_t now, struct strbuf *out)
{
	int f = fmt_char(fmt), r = 0;
	size_t n = v ? (er ? v->ner : v->nsa) : 0;

	if (!f)
		return -EINVAL;
	if (strbuf_reserve(out, 0))
		return -ENOMEM;
	for (int pass = 0; pass < 2 && !r; pass++) {
		for (size_t i = 0; i < n && !r; i++) {
			if ((er ? v->er[i].ours : v->sa[i].ours) != (pass == 0))
				continue;
			r = er ? eroute_line(out, &v->er[i], (char)f)
			       : spi_line(out, &v->sa[i], (char)f, now);
		}
	}
	return r;
}

/* render_spi() - see render.h.  The put_said() above leaves a space after
 * the SAID: the one KLIPS printed before the transform name. */
int render_spi(const struct kview *v, enum cfg_said_format fmt, uint64_t now,
	       struct strbuf *out)
{
	return render_ours_first(v, fmt, false, now, out);
}

/* render_eroute() - see render.h. */
int render_eroute(const struct kview *v, enum cfg_said_format fmt, struct strbuf *out)
{
	return render_ours_first(v, fmt, true, 0, out);
}

/* ---- the small files ---- */

/* render_tncfg() - see render.h. */
int render_tncfg(const struct render_tunif *d, size_t n, struct strbuf *out)
{
	strbuf_reserve(out, 0);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, "%s -> %s mtu=%u(%u) -> %u\n", d[i].name,
			      d[i].phys[0] ? d[i].phys : "NULL", d[i].mtu, d[i].priv_mtu,
			      d[i].phys_mtu);
	return out->oom ? -ENOMEM : 0;
}

/* render_klipsdebug() - see render.h: Openswan 2.4's and LS3's nine names,
 * in their order. */
int render_klipsdebug(struct strbuf *out)
{
	static const char *const names[] = {
		"tunnel", "xform", "eroute", "spi", "radij", "esp", "ah", "rcv", "pfkey",
	};

	strbuf_reserve(out, 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		strbuf_printf(out, "debug_%s=%08x.\n", names[i], 0u);
	return out->oom ? -ENOMEM : 0;
}

/* render_natt() - see render.h. */
int render_natt(struct strbuf *out)
{
	strbuf_puts(out, "1\n");
	return out->oom ? -ENOMEM : 0;
}
