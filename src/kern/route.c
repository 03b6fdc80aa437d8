/* route.c: routes and rules for kernel groups, and the local-address test
 * (libnl-route).
 *
 * An outbound group's dst-ts prefixes are routed in our own table (default
 * 2336, `route-table`) through the device (and gateway, same family only)
 * that the main routing uses for the group's outer destination, with a
 * preferred source inside src-ts when the host has one; one rule per family
 * at priority ROUTE_RULE_PRIO sends every lookup through that table first.
 * A route is only there for the packet to reach xfrm_lookup(): the policy
 * then replaces its destination with the SA bundle.  Routes shared by
 * several groups are reference-counted.  Main thread only.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/rule.h>

#include "log.h"
#include "nlutil.h"
#include "xfrm.h"

/* Rule priority of our "lookup TABLE" rules: after the local table (0) and
 * charon's 220, well before main (32766).  Documented in spigrpd.conf(5). */
#define ROUTE_RULE_PRIO 9000u

/* One route we installed, with the names of the groups that need it (names,
 * not pointers: a reload hands unchanged groups to new sadb objects). */
struct route_ref {
	uint32_t table;
	struct ip_prefix dst;
	char **owner;
	size_t nowner;
	int ifindex;
	struct ip_addr gw, src; /* family 0 when unset */
};

static struct {
	struct nl_sock *sk;      /* requests */
	int addr_ev;             /* address change notifications, -1 if none */
	struct ip_addr *local;   /* cached local addresses */
	size_t nlocal;
	bool local_valid;
	bool rule_added[2];      /* [0] IPv4, [1] IPv6 */
	uint32_t rule_table;
	struct route_ref *rt;
	size_t nrt;
} R = { .addr_ev = -1 };

static int sock(void)
{
	int r;

	if (R.sk)
		return 0;
	R.sk = nl_socket_alloc();
	if (!R.sk)
		return -ENOMEM;
	r = nl_connect(R.sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(R.sk);
		R.sk = NULL;
		return xfrm_nle_errno(r);
	}
	return 0;
}

static struct nl_addr *nladdr(const struct ip_addr *a, unsigned prefixlen)
{
	struct nl_addr *n = nl_addr_build(a->family, a->b, ip_addr_len(a));

	if (n)
		nl_addr_set_prefixlen(n, prefixlen);
	return n;
}

/* ---- local addresses ---- */

/* Subscribe to address changes once: any notification makes the cache
 * stale, so a rebuild right after an address event sees the new set. */
static void addr_events_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	int fd;

	if (R.addr_ev >= 0)
		return;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	R.addr_ev = fd;
}

/* True if an address changed since the last dump (drains the socket). */
static bool addr_changed(void)
{
	char buf[8192];
	bool changed = false;
	ssize_t n;

	if (R.addr_ev < 0)
		return true; /* no notifications: never trust the cache */
	for (;;) {
		n = recv(R.addr_ev, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			changed = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	return changed;
}

static int addr_dump(void)
{
	struct nl_cache *c = NULL;
	struct nl_object *o;
	struct ip_addr *v;
	size_t n = 0;
	int r;

	r = sock();
	if (r)
		return r;
	r = rtnl_addr_alloc_cache(R.sk, &c);
	if (r < 0)
		return xfrm_nle_errno(r);
	v = calloc((size_t)nl_cache_nitems(c) + 1, sizeof(*v));
	if (!v) {
		nl_cache_free(c);
		return -ENOMEM;
	}
	for (o = nl_cache_get_first(c); o; o = nl_cache_get_next(o)) {
		struct nl_addr *l = rtnl_addr_get_local((struct rtnl_addr *)o);
		int fam = l ? nl_addr_get_family(l) : 0;
		size_t len = l ? nl_addr_get_len(l) : 0;

		if ((fam != AF_INET || len != 4) && (fam != AF_INET6 || len != 16))
			continue;
		v[n].family = fam;
		memcpy(v[n].b, nl_addr_get_binary_addr(l), len);
		n++;
	}
	nl_cache_free(c);
	free(R.local);
	R.local = v;
	R.nlocal = n;
	R.local_valid = true;
	return 0;
}

static int local_refresh(void)
{
	addr_events_open();
	if (addr_changed() || !R.local_valid)
		return addr_dump();
	return 0;
}

bool route_addr_is_local(const struct ip_addr *a, void *arg)
{
	size_t i;

	(void)arg;
	if (local_refresh() < 0)
		return false;
	for (i = 0; i < R.nlocal; i++)
		if (ip_addr_equal(&R.local[i], a))
			return true;
	return false;
}

/* A local address inside one of @g's src-ts of @family, or NULL. */
static const struct ip_addr *local_in_src_ts(const struct sadb_group *g, unsigned family)
{
	size_t i;
	unsigned j;

	if (local_refresh() < 0)
		return NULL;
	for (j = 0; j < g->nsrc_ts; j++) {
		if (g->src_ts[j].addr.family != family)
			continue;
		for (i = 0; i < R.nlocal; i++)
			if (ip_prefix_contains(&g->src_ts[j], &R.local[i]))
				return &R.local[i];
	}
	return NULL;
}

/* ---- rules ---- */

static int rule_msg(int family, uint32_t table, bool add)
{
	struct rtnl_rule *r = rtnl_rule_alloc();
	int ret;

	if (!r)
		return -ENOMEM;
	rtnl_rule_set_family(r, family);
	rtnl_rule_set_prio(r, ROUTE_RULE_PRIO);
	rtnl_rule_set_table(r, table);
	rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	if (add)
		ret = rtnl_rule_add(R.sk, r, NLM_F_CREATE | NLM_F_EXCL);
	else
		ret = rtnl_rule_delete(R.sk, r, 0);
	rtnl_rule_put(r);
	return xfrm_nle_errno(ret);
}

static int rule_ensure(unsigned family, uint32_t table)
{
	int i = family == AF_INET6, r;

	if (R.rule_added[i] && R.rule_table == table)
		return 0;
	r = rule_msg(family, table, true);
	if (r && r != -EEXIST)
		return r;
	R.rule_added[i] = true;
	R.rule_table = table;
	return 0;
}

static void ref_free_owners(struct route_ref *rr)
{
	size_t i;

	for (i = 0; i < rr->nowner; i++)
		free(rr->owner[i]);
	free(rr->owner);
	rr->owner = NULL;
	rr->nowner = 0;
}

void route_cleanup(unsigned table)
{
	int fam[2] = { AF_INET, AF_INET6 };
	size_t i;
	int k, n;

	if (sock())
		return;
	/* Routes still referenced (normally none by now). */
	for (i = 0; i < R.nrt; i++) {
		struct route_ref *rr = &R.rt[i];
		struct rtnl_route *rt = rtnl_route_alloc();
		struct nl_addr *d = nladdr(&rr->dst.addr, rr->dst.len);

		if (rt && d) {
			rtnl_route_set_family(rt, rr->dst.addr.family);
			rtnl_route_set_table(rt, rr->table);
			rtnl_route_set_dst(rt, d);
			rtnl_route_delete(R.sk, rt, 0);
		}
		nl_addr_put(d);
		if (rt)
			rtnl_route_put(rt);
		ref_free_owners(rr);
	}
	free(R.rt);
	R.rt = NULL;
	R.nrt = 0;
	/* Our rules, also those an earlier run left (a bounded loop: a rule
	 * may have been added more than once by hand). */
	for (k = 0; k < 2; k++)
		for (n = 0; n < 16 && !rule_msg(fam[k], table, false); n++)
			;
	R.rule_added[0] = R.rule_added[1] = false;
	free(R.local);
	R.local = NULL;
	R.nlocal = 0;
	R.local_valid = false;
	if (R.addr_ev >= 0)
		close(R.addr_ev);
	R.addr_ev = -1;
	nl_socket_free(R.sk);
	R.sk = NULL;
}

/* ---- routes ---- */

static struct route_ref *ref_find(uint32_t table, const struct ip_prefix *p)
{
	size_t i;

	for (i = 0; i < R.nrt; i++)
		if (R.rt[i].table == table && R.rt[i].dst.len == p->len &&
		    ip_addr_equal(&R.rt[i].dst.addr, &p->addr))
			return &R.rt[i];
	return NULL;
}

/* The destination the group's packets leave for after XFRM: the tunnel
 * endpoint of the first tunnel-mode SA, else the outermost SA's. */
static const struct ip_addr *outer_dst(const struct sadb_group *g)
{
	const struct ip_addr *last = NULL;
	unsigned i;

	for (i = 0; i < g->nsa; i++) {
		const struct cfg_sa *c = g->sa[i]->cfg;

		if (c->said.proto == SAID_PROTO_TUN)
			continue;
		if (g->sa[i]->tunnel_mode || (i > 0 && g->sa[i - 1]->cfg->said.proto == SAID_PROTO_TUN))
			return &c->said.dst;
		last = &c->said.dst;
	}
	return last;
}

/* Device and gateway the main routing uses towards @dst. */
static int route_towards(const struct ip_addr *dst, int *ifindex, struct ip_addr *gw)
{
	struct rtnl_route *res = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *d = nladdr(dst, ip_addr_len(dst) * 8), *g;
	int r;

	if (!d)
		return -ENOMEM;
	r = xfrm_nle_errno(rtnl_route_lookup(R.sk, d, &res));
	nl_addr_put(d);
	if (r)
		return r;
	memset(gw, 0, sizeof(*gw));
	*ifindex = 0;
	if (rtnl_route_get_nnexthops(res) > 0) {
		nh = rtnl_route_nexthop_n(res, 0);
		*ifindex = rtnl_route_nh_get_ifindex(nh);
		g = rtnl_route_nh_get_gateway(nh);
		if (g && (size_t)nl_addr_get_len(g) <= sizeof(gw->b) &&
		    (nl_addr_get_family(g) == AF_INET || nl_addr_get_family(g) == AF_INET6)) {
			gw->family = nl_addr_get_family(g);
			memcpy(gw->b, nl_addr_get_binary_addr(g), nl_addr_get_len(g));
		}
	}
	rtnl_route_put(res);
	return *ifindex ? 0 : -ENETUNREACH;
}

static struct rtnl_route *route_obj(const struct route_ref *rr)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *d = NULL, *a = NULL;

	if (!rt)
		return NULL;
	d = nladdr(&rr->dst.addr, rr->dst.len);
	if (!d)
		goto fail;
	rtnl_route_set_family(rt, rr->dst.addr.family);
	rtnl_route_set_table(rt, rr->table);
	rtnl_route_set_dst(rt, d);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_type(rt, RTN_UNICAST);
	nl_addr_put(d);
	if (rr->src.family) {
		a = nladdr(&rr->src, ip_addr_len(&rr->src) * 8);
		if (!a)
			goto fail;
		rtnl_route_set_pref_src(rt, a);
		nl_addr_put(a);
	}
	nh = rtnl_route_nh_alloc();
	if (!nh)
		goto fail;
	rtnl_route_nh_set_ifindex(nh, rr->ifindex);
	if (rr->gw.family) {
		a = nladdr(&rr->gw, ip_addr_len(&rr->gw) * 8);
		if (!a) {
			rtnl_route_nh_free(nh);
			goto fail;
		}
		rtnl_route_nh_set_gateway(nh, a);
		nl_addr_put(a);
	}
	rtnl_route_add_nexthop(rt, nh);
	return rt;
fail:
	rtnl_route_put(rt);
	return NULL;
}

static int ref_add_owner(struct route_ref *rr, const char *name)
{
	char **o = realloc(rr->owner, (rr->nowner + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	rr->owner = o;
	o[rr->nowner] = strdup(name);
	if (!o[rr->nowner])
		return -ENOMEM;
	rr->nowner++;
	return 0;
}

/* Drop @name from @rr's owners; true if it was one. */
static bool ref_drop_owner(struct route_ref *rr, const char *name)
{
	size_t i;

	for (i = 0; i < rr->nowner; i++) {
		if (strcmp(rr->owner[i], name))
			continue;
		free(rr->owner[i]);
		rr->owner[i] = rr->owner[--rr->nowner];
		return true;
	}
	return false;
}

/* Release @g's claim on the routes of its first @upto dst-ts prefixes;
 * delete those nobody needs any more. */
static int route_release(const struct sadb_group *g, unsigned table, unsigned upto)
{
	unsigned j;
	int ret = 0;

	for (j = 0; j < upto; j++) {
		struct route_ref *rr = ref_find(table, &g->dst_ts[j]);
		struct rtnl_route *rt;
		int r;

		if (!rr || !ref_drop_owner(rr, g->name) || rr->nowner)
			continue;
		rt = route_obj(rr);
		r = rt ? xfrm_nle_errno(rtnl_route_delete(R.sk, rt, 0)) : -ENOMEM;
		if (rt)
			rtnl_route_put(rt);
		if (r && r != -ENOENT && r != -ESRCH && !ret)
			ret = r;
		ref_free_owners(rr);
		*rr = R.rt[--R.nrt];
	}
	return ret;
}

int route_install_group(const struct sadb_group *g, unsigned table)
{
	const struct ip_addr *outer = outer_dst(g);
	struct ip_addr gw;
	int ifindex, r;
	unsigned j;

	if (g->shunt || g->implicit || g->dir != SADB_DIR_OUT || !outer)
		return 0;
	r = sock();
	if (r)
		return r;
	r = route_towards(outer, &ifindex, &gw);
	if (r) {
		log_warn("route: group %s: no route to its outer destination: %s", g->name,
			 strerror(-r));
		return r;
	}
	for (j = 0; j < g->ndst_ts; j++) {
		const struct ip_prefix *d = &g->dst_ts[j];
		struct route_ref *rr = ref_find(table, d), *n;
		const struct ip_addr *src;
		struct rtnl_route *rt;
		char t[IP_PREFIX_BUF];

		r = rule_ensure(d->addr.family, table);
		if (r) {
			log_warn("route: rule to table %u: %s", table, strerror(-r));
			goto fail;
		}
		if (rr) {
			ref_drop_owner(rr, g->name); /* installing twice claims once */
			r = ref_add_owner(rr, g->name);
			if (r)
				goto fail;
			continue;
		}
		n = realloc(R.rt, (R.nrt + 1) * sizeof(*n));
		if (!n) {
			r = -ENOMEM;
			goto fail;
		}
		R.rt = n;
		rr = &R.rt[R.nrt];
		memset(rr, 0, sizeof(*rr));
		rr->table = table;
		rr->dst = *d;
		rr->ifindex = ifindex;
		if (gw.family == d->addr.family)
			rr->gw = gw;
		src = local_in_src_ts(g, d->addr.family);
		if (src)
			rr->src = *src;
		rt = route_obj(rr);
		if (!rt) {
			r = -ENOMEM;
			goto fail;
		}
		/* The table is ours: a route an earlier run left (kill -9) is
		 * replaced with what this host needs now. */
		r = xfrm_nle_errno(rtnl_route_add(R.sk, rt, NLM_F_CREATE | NLM_F_REPLACE));
		rtnl_route_put(rt);
		if (r) {
			ip_prefix_format(d, t, sizeof(t));
			log_warn("route: group %s: route %s table %u: %s", g->name, t, table,
				 strerror(-r));
			goto fail;
		}
		R.nrt++;
		r = ref_add_owner(rr, g->name);
		if (r)
			goto fail;
	}
	return 0;
fail:
	route_release(g, table, j + 1);
	return r;
}

int route_remove_group(const struct sadb_group *g, unsigned table)
{
	if (g->shunt || g->implicit || g->dir != SADB_DIR_OUT || !R.sk)
		return 0;
	return route_release(g, table, g->ndst_ts);
}
