/* nft.c: our nftables table (nft.h): the ruleset text, then libnftables. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nftables/libnftables.h>

#include "nft.h"

#define NFT_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

bool nft_ifname_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= NFT_IFNAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return i > 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* A comment for group @name: "group NAME", escaped, at most NFT_COMMENT_MAX
 * bytes (then ending in "..."). */
static void put_comment(struct strbuf *b, const char *name)
{
	char c[NFT_COMMENT_MAX + 1] = "group ";
	size_t n = strlen(c);
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		bool plain = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
		size_t need = plain ? 1 : 4;

		if (n + need > NFT_COMMENT_MAX - 3) {
			memcpy(c + n, "...", 4);
			n += 3;
			break;
		}
		if (plain)
			c[n++] = (char)*p;
		else
			n += (size_t)snprintf(c + n, sizeof(c) - n, "\\x%02x", *p);
		c[n] = '\0';
	}
	strbuf_printf(b, " comment \"%s\"", c);
}

/* Is @p[@i] inside another prefix of @p (the first of equal ones stays)? */
static bool covered(const struct ip_prefix *p, unsigned n, unsigned i)
{
	unsigned j;

	for (j = 0; j < n; j++) {
		if (j == i || p[j].addr.family != p[i].addr.family || p[j].len > p[i].len)
			continue;
		if (!ip_prefix_contains(&p[j], &p[i].addr))
			continue;
		if (p[j].len < p[i].len || j < i)
			return true;
	}
	return false;
}

/* " ip saddr { a, b }" for the prefixes of @fam in @p (nothing when one of
 * them is /0).  False when @p holds none of @fam. */
static bool put_match(struct strbuf *b, const struct ip_prefix *p, unsigned n, int fam,
		      const char *what)
{
	char text[IP_PREFIX_BUF];
	unsigned i, k = 0;
	bool any = false;

	for (i = 0; i < n; i++) {
		if (p[i].addr.family != fam)
			continue;
		any = true;
		if (p[i].len == 0)
			return true;
	}
	if (!any)
		return false;
	strbuf_printf(b, " %s %s {", fam == AF_INET ? "ip" : "ip6", what);
	for (i = 0; i < n; i++) {
		if (p[i].addr.family != fam || covered(p, n, i))
			continue;
		ip_prefix_format(&p[i], text, sizeof(text));
		strbuf_printf(b, "%s %s", k++ ? "," : "", text);
	}
	strbuf_puts(b, " }");
	return true;
}

static void put_group(struct strbuf *b, const struct nft_group *g, int fam)
{
	struct strbuf r = STRBUF_INIT;

	strbuf_printf(&r, "\t\tmeta nfproto %s", fam == AF_INET ? "ipv4" : "ipv6");
	if (put_match(&r, g->src_ts, g->nsrc_ts, fam, "saddr") &&
	    put_match(&r, g->dst_ts, g->ndst_ts, fam, "daddr")) {
		if (g->proto)
			strbuf_printf(&r, " meta l4proto %u", g->proto);
		if (g->proto && g->sport)
			strbuf_printf(&r, " th sport %u", g->sport);
		if (g->proto && g->dport)
			strbuf_printf(&r, " th dport %u", g->dport);
		strbuf_puts(&r, " counter drop");
		put_comment(&r, g->name);
		strbuf_puts(&r, "\n");
		if (r.oom)
			b->oom = true;
		else
			strbuf_add(b, r.s, r.len);
	}
	strbuf_free(&r);
}

/* The IPIP / IPv6-in-IP exemption of a group whose outermost SA is COMP. */
static void put_ipip(struct strbuf *b, const struct nft_group *g)
{
	char s[IP_ADDR_BUF], d[IP_ADDR_BUF];
	const char *ip = g->ipip_src->family == AF_INET ? "ip" : "ip6";

	ip_addr_format(g->ipip_src, s, sizeof(s));
	ip_addr_format(g->ipip_dst, d, sizeof(d));
	strbuf_printf(b, "\t\tmeta nfproto %s %s saddr %s %s daddr %s meta l4proto { 4, 41 } "
		      "counter accept", g->ipip_src->family == AF_INET ? "ipv4" : "ipv6", ip, s,
		      ip, d);
	put_comment(b, g->name);
	strbuf_puts(b, "\n");
}

static bool prefixes_ok(const struct ip_prefix *p, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (p[i].addr.family != AF_INET && p[i].addr.family != AF_INET6)
			return false;
	return true;
}

int nft_ruleset(struct strbuf *out, const char *tun, const struct nft_group *g, size_t ngroup)
{
	static const char hooks[] =
		"\tchain input {\n"
		"\t\ttype filter hook input priority filter; policy accept;\n"
		"\t\tjump check\n"
		"\t}\n"
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\tjump check\n"
		"\t}\n";
	size_t i;

	if (!nft_ifname_ok(tun))
		return -EINVAL;
	for (i = 0; i < ngroup; i++) {
		const struct nft_group *x = &g[i];

		if (!prefixes_ok(x->src_ts, x->nsrc_ts) || !prefixes_ok(x->dst_ts, x->ndst_ts))
			return -EINVAL;
		if (x->ipip_src && (!x->ipip_dst || x->ipip_src->family != x->ipip_dst->family ||
				    (x->ipip_src->family != AF_INET && x->ipip_src->family != AF_INET6)))
			return -EINVAL;
	}
	/* add (so that delete finds it), delete, add anew: one transaction */
	strbuf_puts(out, NFT_REMOVE_TEXT);
	strbuf_puts(out, "table " NFT_FAMILY " " NFT_TABLE " {\n"
		    "\tcomment \"spigrpd: cleartext packets of userspace groups' inbound traffic\"\n"
		    "\tchain check {\n");
	strbuf_printf(out, "\t\tiifname { \"lo\", \"%s\" } counter accept\n", tun);
	strbuf_puts(out, "\t\tmeta ipsec exists counter accept\n"
		    "\t\tmeta l4proto { 50, 51, 108 } counter accept\n");
	for (i = 0; i < ngroup; i++)
		if (g[i].ipip_src)
			put_ipip(out, &g[i]);
	strbuf_puts(out, "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, "
		    "nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } counter accept\n");
	for (i = 0; i < ngroup; i++) {
		put_group(out, &g[i], AF_INET);
		put_group(out, &g[i], AF_INET6);
	}
	strbuf_puts(out, "\t}\n");
	strbuf_puts(out, hooks);
	strbuf_puts(out, "}\n");
	return out->oom ? -ENOMEM : 0;
}

struct nft {
	struct nft_ctx *ctx;
	char tun[NFT_IFNAME_MAX + 1];
	char *last;   /* the text last applied, NULL before the first call */
};

int nft_open(struct nft **out, const char *tun, struct reason *why)
{
	struct nft *n;

	*out = NULL;
	if (!nft_ifname_ok(tun)) {
		reason_set(why, "bad TUN device name for nftables");
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n || !(n->ctx = nft_ctx_new(NFT_CTX_DEFAULT))) {
		free(n);
		reason_set(why, "nftables: out of memory");
		return -ENOMEM;
	}
	if (nft_ctx_buffer_output(n->ctx) < 0 || nft_ctx_buffer_error(n->ctx) < 0) {
		nft_close(n);
		reason_set(why, "nftables: out of memory");
		return -ENOMEM;
	}
	strcpy(n->tun, tun);
	*out = n;
	return 0;
}

/* Run @text; on failure nftables' first error line goes into @why. */
static int run(struct nft *n, const char *text, struct reason *why)
{
	const char *err;
	size_t len;

	if (nft_run_cmd_from_buffer(n->ctx, text) == 0)
		return 0;
	err = nft_ctx_get_error_buffer(n->ctx);
	if (!err || !*err)
		err = "refused";
	len = strcspn(err, "\n");
	reason_set(why, "nftables: %.*s", (int)(len < 200 ? len : 200), err);
	return -EIO;
}

int nft_set_groups(struct nft *n, const struct nft_group *g, size_t ngroup, struct reason *why)
{
	struct strbuf b = STRBUF_INIT;
	char *text;
	int rc;

	if (ngroup == 0) {
		strbuf_puts(&b, NFT_REMOVE_TEXT);
		rc = b.oom ? -ENOMEM : 0;
	} else {
		rc = nft_ruleset(&b, n->tun, g, ngroup);
	}
	text = rc == 0 ? strbuf_take(&b, NULL) : NULL;
	strbuf_free(&b);
	if (!text) {
		reason_set(why, rc == -EINVAL ? "nftables: a group's selectors have no family" :
			   "nftables: out of memory");
		return rc ? rc : -ENOMEM;
	}
	if (n->last && strcmp(n->last, text) == 0) {
		free(text);
		return 0;
	}
	free(n->last);
	n->last = NULL;
	rc = run(n, text, why);
	if (rc == 0)
		n->last = text;
	else
		free(text);
	return rc;
}

int nft_remove(struct nft *n, struct reason *why)
{
	free(n->last);
	n->last = NULL;
	return run(n, NFT_REMOVE_TEXT, why);
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	nft_ctx_free(n->ctx);
	free(n->last);
	free(n);
}
