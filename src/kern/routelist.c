/* routelist.c: a routing table as `ip route show table N` text
 * (routelist.h).  libnl core for the dump; the format is ours. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/icmpv6.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "routelist.h"

/* ---- format (pure) ---- */

static const char *const type_name[] = {
	[RTN_UNSPEC] = "none",         [RTN_UNICAST] = "unicast",   [RTN_LOCAL] = "local",
	[RTN_BROADCAST] = "broadcast", [RTN_ANYCAST] = "anycast",   [RTN_MULTICAST] = "multicast",
	[RTN_BLACKHOLE] = "blackhole", [RTN_UNREACHABLE] = "unreachable",
	[RTN_PROHIBIT] = "prohibit",   [RTN_THROW] = "throw",       [RTN_NAT] = "nat",
	[RTN_XRESOLVE] = "xresolve",
};

/* iproute2's names (its built-in table and Debian's rt_protos). */
static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 0: return "unspec";
	case 1: return "redirect";
	case 2: return "kernel";
	case 3: return "boot";
	case 4: return "static";
	case 8: return "gated";
	case 9: return "ra";
	case 10: return "mrt";
	case 11: return "zebra";
	case 12: return "bird";
	case 13: return "dnrouted";
	case 14: return "xorp";
	case 15: return "ntk";
	case 16: return "dhcp";
	case 18: return "keepalived";
	case 42: return "babel";
	case 99: return "openr";
	case 186: return "bgp";
	case 187: return "isis";
	case 188: return "ospf";
	case 189: return "rip";
	case 192: return "eigrp";
	default: return NULL;
	}
}

static const char *scope_name(uint8_t s)
{
	switch (s) {
	case RT_SCOPE_UNIVERSE: return "global";
	case RT_SCOPE_SITE: return "site";
	case RT_SCOPE_LINK: return "link";
	case RT_SCOPE_HOST: return "host";
	case RT_SCOPE_NOWHERE: return "nowhere";
	default: return NULL;
	}
}

static const char *const metric_name[RTAX_MAX + 1] = {
	[RTAX_MTU] = "mtu",           [RTAX_WINDOW] = "window",
	[RTAX_RTT] = "rtt",           [RTAX_RTTVAR] = "rttvar",
	[RTAX_SSTHRESH] = "ssthresh", [RTAX_CWND] = "cwnd",
	[RTAX_ADVMSS] = "advmss",     [RTAX_REORDERING] = "reordering",
	[RTAX_HOPLIMIT] = "hoplimit", [RTAX_INITCWND] = "initcwnd",
	[RTAX_FEATURES] = "features", [RTAX_RTO_MIN] = "rto_min",
	[RTAX_INITRWND] = "initrwnd", [RTAX_QUICKACK] = "quickack",
	[RTAX_FASTOPEN_NO_COOKIE] = "fastopen_no_cookie",
};

static const struct {
	uint32_t bit;
	const char *name;
} flag_name[] = {
	{ RTNH_F_DEAD, "dead" },           { RTNH_F_ONLINK, "onlink" },
	{ RTNH_F_PERVASIVE, "pervasive" }, { RTNH_F_OFFLOAD, "offload" },
	{ RTNH_F_TRAP, "trap" },           { RTM_F_NOTIFY, "notify" },
	{ RTNH_F_LINKDOWN, "linkdown" },   { RTNH_F_UNRESOLVED, "unresolved" },
	{ RTM_F_OFFLOAD, "rt_offload" },   { RTM_F_TRAP, "rt_trap" },
	{ RTM_F_OFFLOAD_FAILED, "rt_offload_failed" },
};

/* @pre, @a as inet_ntop() prints it (iproute2's form, not KLIPS's), @post. */
static void put_addr(struct strbuf *out, const char *pre, const struct ip_addr *a, const char *post)
{
	char t[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->b, t, sizeof(t)))
		snprintf(t, sizeof(t), "?");
	strbuf_printf(out, "%s%s%s", pre, t, post);
}

/* One metric's value: times in ms (or s from 1000 ms), as iproute2. */
static void put_metric(struct strbuf *out, int i, uint32_t v)
{
	switch (i) {
	case RTAX_RTT:
	case RTAX_RTTVAR:
	case RTAX_RTO_MIN:
		v = i == RTAX_RTT ? v / 8 : i == RTAX_RTTVAR ? v / 4 : v;
		if (v >= 1000)
			strbuf_printf(out, "%gs ", v / 1e3);
		else
			strbuf_printf(out, "%ums ", v);
		break;
	case RTAX_FEATURES:
		if (v & RTAX_FEATURE_ECN)
			strbuf_puts(out, "ecn ");
		v &= ~(uint32_t)RTAX_FEATURE_ECN;
		if (v)
			strbuf_printf(out, "0x%x ", v);
		break;
	default:
		strbuf_printf(out, "%u ", v);
	}
}

static void put_metrics(struct strbuf *out, const struct rl_route *r)
{
	int i;

	for (i = 2; i <= RTAX_MAX; i++) {
		bool set = r->metric_set & (1u << i), locked = r->lock & (1u << i);

		if (i == RTAX_CC_ALGO || (!set && !locked))
			continue;
		if (i == RTAX_HOPLIMIT && set && r->metric[i] == UINT32_MAX)
			continue;
		if (metric_name[i])
			strbuf_printf(out, "%s ", metric_name[i]);
		else
			strbuf_printf(out, "metric %d ", i);
		if (locked)
			strbuf_puts(out, "lock ");
		put_metric(out, i, set ? r->metric[i] : 0);
	}
}

/* "@what NAME " for a value iproute2 names, else "@what NUMBER ". */
static void put_named(struct strbuf *out, const char *what, const char *name, unsigned num)
{
	if (name)
		strbuf_printf(out, "%s %s ", what, name);
	else
		strbuf_printf(out, "%s %u ", what, num);
}

void routelist_format(const struct rl_route *r, struct strbuf *out)
{
	unsigned host_len = r->family == AF_INET6 ? 128 : 32;
	const char *name;
	size_t i;

	if (r->type != RTN_UNICAST) {
		if (r->type < sizeof(type_name) / sizeof(type_name[0]))
			strbuf_printf(out, "%s ", type_name[r->type]);
		else
			strbuf_printf(out, "%u ", r->type);
	}
	if (r->dst.family && r->dst_len != host_len)
		put_addr(out, "", &r->dst, "/"), strbuf_printf(out, "%u ", r->dst_len);
	else if (r->dst.family)
		put_addr(out, "", &r->dst, " ");
	else if (r->dst_len)
		strbuf_printf(out, "0/%u  ", r->dst_len); /* iproute2's double space */
	else
		strbuf_puts(out, "default ");
	if (r->tos)
		strbuf_printf(out, "tos 0x%02x ", r->tos);
	if (r->gw.family)
		put_addr(out, "via ", &r->gw, " ");
	if (r->dev[0])
		strbuf_printf(out, "dev %s ", r->dev);
	if (r->protocol != RTPROT_BOOT)
		put_named(out, "proto", proto_name(r->protocol), r->protocol);
	if (r->scope != RT_SCOPE_UNIVERSE)
		put_named(out, "scope", scope_name(r->scope), r->scope);
	if (r->prefsrc.family)
		put_addr(out, "src ", &r->prefsrc, " ");
	if (r->has_priority)
		strbuf_printf(out, "metric %u ", r->priority);
	for (i = 0; i < sizeof(flag_name) / sizeof(flag_name[0]); i++)
		if (r->flags & flag_name[i].bit)
			strbuf_printf(out, "%s ", flag_name[i].name);
	if (r->expires)
		strbuf_printf(out, "expires %dsec ", r->expires);
	put_metrics(out, r);
	if (r->has_pref) {
		name = r->pref == ICMPV6_ROUTER_PREF_LOW      ? "low"
		       : r->pref == ICMPV6_ROUTER_PREF_MEDIUM ? "medium"
		       : r->pref == ICMPV6_ROUTER_PREF_HIGH   ? "high"
							      : NULL;
		if (name)
			strbuf_printf(out, "pref %s", name);
		else
			strbuf_printf(out, "%u", r->pref);
	}
	strbuf_puts(out, "\n");
}

/* ---- the dump ---- */

struct dump {
	uint32_t table;
	struct strbuf *out;
	long hz;
};

/* @a as an address of @family into @ip (family 0 when it does not fit). */
static void get_addr(const struct nlattr *a, int family, struct ip_addr *ip)
{
	size_t len = family == AF_INET6 ? 16 : 4;

	memset(ip, 0, sizeof(*ip));
	if (a && (size_t)nla_len(a) == len) {
		ip->family = (uint8_t)family;
		memcpy(ip->b, nla_data(a), len);
	}
}

static void get_metrics(const struct nlattr *a, struct rl_route *r)
{
	struct nlattr *mx[RTAX_MAX + 1];
	int i;

	if (!a || nla_parse_nested(mx, RTAX_MAX, (struct nlattr *)a, NULL) < 0)
		return;
	for (i = 2; i <= RTAX_MAX; i++) {
		if (i == RTAX_CC_ALGO || !mx[i] || nla_len(mx[i]) < 4)
			continue;
		r->metric[i] = nla_get_u32(mx[i]);
		r->metric_set |= 1u << i;
	}
	if (mx[RTAX_LOCK] && nla_len(mx[RTAX_LOCK]) >= 4)
		r->lock = nla_get_u32(mx[RTAX_LOCK]);
}

static int on_route(struct nl_msg *msg, void *arg)
{
	struct dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;
	struct rl_route r;
	uint32_t table;
	unsigned oif;

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_OK;
	rtm = nlmsg_data(h);
	table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != d->table || (rtm->rtm_flags & RTM_F_CLONED))
		return NL_OK;
	memset(&r, 0, sizeof(r));
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.tos = rtm->rtm_tos;
	r.type = rtm->rtm_type;
	r.protocol = rtm->rtm_protocol;
	r.scope = rtm->rtm_scope;
	r.flags = rtm->rtm_flags;
	get_addr(tb[RTA_DST], r.family, &r.dst);
	get_addr(tb[RTA_GATEWAY], r.family, &r.gw);
	get_addr(tb[RTA_PREFSRC], r.family, &r.prefsrc);
	if (tb[RTA_OIF]) {
		oif = nla_get_u32(tb[RTA_OIF]);
		if (!if_indextoname(oif, r.dev))
			snprintf(r.dev, sizeof(r.dev), "if%u", oif);
	}
	if (tb[RTA_PRIORITY]) {
		r.has_priority = true;
		r.priority = nla_get_u32(tb[RTA_PRIORITY]);
	}
	if (tb[RTA_PREF]) {
		r.has_pref = true;
		r.pref = nla_get_u8(tb[RTA_PREF]);
	}
	if (tb[RTA_CACHEINFO] && (size_t)nla_len(tb[RTA_CACHEINFO]) >= sizeof(struct rta_cacheinfo)) {
		const struct rta_cacheinfo *ci = nla_data(tb[RTA_CACHEINFO]);

		r.expires = (int32_t)(ci->rta_expires / d->hz);
	}
	get_metrics(tb[RTA_METRICS], &r);
	routelist_format(&r, d->out);
	return NL_OK;
}

int route_list(uint32_t table, struct strbuf *out, struct reason *why)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct dump d = { table, out, sysconf(_SC_CLK_TCK) };
	struct nl_sock *sk = nl_socket_alloc();
	size_t i;
	int err = 0;

	if (d.hz <= 0)
		d.hz = 100;
	if (!sk) {
		reason_set(why, "listing the routes of table %u: out of memory", table);
		return -ENOMEM;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_route, &d);
	for (i = 0; !err && i < sizeof(families) / sizeof(families[0]); i++) {
		struct rtmsg rtm = { .rtm_family = (unsigned char)families[i] };

		err = nl_send_simple(sk, RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm));
		if (err >= 0)
			err = nl_recvmsgs_default(sk);
	}
	nl_socket_free(sk);
	if (err < 0) {
		reason_set(why, "listing the routes of table %u: %s", table, nl_geterror(err));
		return -EIO;
	}
	if (out->oom) {
		reason_set(why, "listing the routes of table %u: out of memory", table);
		return -ENOMEM;
	}
	return 0;
}
