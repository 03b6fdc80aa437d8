/* route.c: routes and rules for outbound kernel groups (see route.h).
 * libnl-route for the messages; the local addresses come from the address
 * monitor (addrmon.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/handlers.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/rule.h>
#include <linux/fib_rules.h>

#include "addrmon.h"
#include "nlsock.h"
#include "route.h"

/* One route we installed, with the names of the groups that need it (names,
 * not pointers: a reload hands unchanged groups to new sadb objects). */
struct route_ref {
	struct ip_prefix dst;
	char **owner;
	size_t nowner;
	int ifindex;
	struct ip_addr gw, src; /* family 0 when unset */
	uint32_t mtu;           /* into the TUN device: `mtu lock` (0: none) */
	bool dev;               /* a userspace group's route into the TUN */
};

struct route {
	struct nl_sock *sk;      /* requests */
	struct addrmon *am;      /* borrowed: preferred sources; may be NULL */
	uint32_t table;
	uint32_t fwmark, fwmask; /* the rule skips packets so marked (0: none) */
	bool rule_added[2];      /* [0] IPv4, [1] IPv6 */
	int syserr;              /* the kernel's errno of the last refusal */
	struct route_ref *rt;
	size_t nrt;
};

/* libnl turns the kernel's errno into its own codes and loses some on the
 * way (ENETUNREACH becomes NLE_FAILURE): keep the kernel's.  Returning
 * NL_STOP makes libnl fail the request as it would have. */
static int keep_errno(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	(void)who;
	*(int *)arg = e->error;
	return NL_STOP;
}

/* The -errno of a request's libnl result @nle: the kernel's own if it
 * refused, else libnl's mapped (xfrm_nle_errno()); 0 for success. */
static int kerr(struct route *r, int nle)
{
	int e = r->syserr;

	r->syserr = 0;
	if (nle >= 0)
		return 0;
	return e < 0 ? e : xfrm_nle_errno(nle);
}

int route_open(struct route **out, uint32_t table, uint32_t fwmark, uint32_t fwmask,
	       struct addrmon *am)
{
	struct route *r = calloc(1, sizeof(*r));
	int ret;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->sk = nl_socket_alloc();
	if (!r->sk) {
		free(r);
		return -ENOMEM;
	}
	ret = nl_connect(r->sk, NETLINK_ROUTE);
	if (ret < 0) {
		nl_socket_free(r->sk);
		free(r);
		return xfrm_nle_errno(ret);
	}
	nl_socket_modify_err_cb(r->sk, NL_CB_CUSTOM, keep_errno, &r->syserr);
	r->table = table;
	r->fwmark = fwmark;
	r->fwmask = fwmask;
	r->am = am;
	*out = r;
	return 0;
}

static struct nl_addr *nladdr(const struct ip_addr *a, unsigned prefixlen)
{
	struct nl_addr *n = nl_addr_build(a->family, a->b, ip_addr_len(a));

	if (n)
		nl_addr_set_prefixlen(n, prefixlen);
	return n;
}

/* A local address inside one of @g's src-ts of @family, or NULL. */
static const struct ip_addr *local_in_src_ts(const struct route *r, const struct sadb_group *g,
					     unsigned family)
{
	const struct ip_addr *a;
	unsigned j;

	for (j = 0; j < g->nsrc_ts; j++) {
		if (g->src_ts[j].addr.family != family)
			continue;
		a = addrmon_local_in(r->am, &g->src_ts[j]);
		if (a)
			return a;
	}
	return NULL;
}

/* ---- rules ---- */

/* Add "not fwmark M/MASK lookup TABLE" (libnl-route cannot say "not":
 * its request gets FIB_RULE_INVERT in the header). */
static int rule_add(struct route *r, struct rtnl_rule *rule)
{
	struct nl_msg *msg = NULL;
	struct fib_rule_hdr *frh;
	int ret = rtnl_rule_build_add_request(rule, NLM_F_CREATE | NLM_F_EXCL, &msg);

	if (ret < 0)
		return kerr(r, ret);
	frh = nlmsg_data(nlmsg_hdr(msg));
	frh->flags |= FIB_RULE_INVERT;
	ret = nl_send_auto_complete(r->sk, msg);
	nlmsg_free(msg);
	if (ret >= 0)
		ret = nl_wait_for_ack(r->sk);
	return kerr(r, ret);
}

/* Our rule in @family: add it (with the mark condition when there is a
 * mark), or delete every rule at our priority into our table (a delete
 * without a mark matches any). */
static int rule_msg(struct route *r, int family, bool add)
{
	struct rtnl_rule *rule = rtnl_rule_alloc();
	int ret;

	if (!rule)
		return -ENOMEM;
	rtnl_rule_set_family(rule, family);
	rtnl_rule_set_prio(rule, ROUTE_RULE_PRIO);
	rtnl_rule_set_table(rule, r->table);
	rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
	if (add && r->fwmark) {
		rtnl_rule_set_mark(rule, r->fwmark);
		rtnl_rule_set_mask(rule, r->fwmask);
		ret = rule_add(r, rule);
	} else if (add) {
		ret = kerr(r, rtnl_rule_add(r->sk, rule, NLM_F_CREATE | NLM_F_EXCL));
	} else {
		ret = kerr(r, rtnl_rule_delete(r->sk, rule, 0));
	}
	rtnl_rule_put(rule);
	return ret;
}

/*
 * Is there a rule of ours in @family as we would add it?  Rules an earlier
 * run left at our priority into our table with another mark (an older
 * release's has none) are deleted on the way, each by its own mark.
 * Return: 1 (there is), 0 (none), or -errno.
 */
static int rule_take_over(struct route *r, int family)
{
	struct nl_cache *c = NULL;
	struct nl_object *o;
	int found = 0, ret = kerr(r, rtnl_rule_alloc_cache(r->sk, family, &c));

	if (ret)
		return ret;
	for (o = nl_cache_get_first(c); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *rule = (struct rtnl_rule *)o;

		/* libnl's rule cache holds every family's rules, whatever
		 * family it was asked for: the IPv4 rule is not the IPv6 one */
		if (rtnl_rule_get_family(rule) != family ||
		    rtnl_rule_get_prio(rule) != ROUTE_RULE_PRIO ||
		    rtnl_rule_get_table(rule) != r->table)
			continue;
		if (!found && rtnl_rule_get_mark(rule) == r->fwmark &&
		    (!r->fwmark || rtnl_rule_get_mask(rule) == r->fwmask)) {
			found = 1;
			continue;
		}
		ret = kerr(r, rtnl_rule_delete(r->sk, rule, 0));
		if (ret && ret != -ENOENT)
			break;
		ret = 0;
	}
	nl_cache_free(c);
	return ret ? ret : found;
}

/* Our rule for @family, added once (one an earlier run left in the same
 * form is taken over; one in another form replaced). */
static int rule_ensure(struct route *r, unsigned family)
{
	int i = family == AF_INET6, ret;

	if (r->rule_added[i])
		return 0;
	ret = rule_take_over(r, (int)family);
	if (ret == 0)
		ret = rule_msg(r, (int)family, true);
	if (ret < 0 && ret != -EEXIST)
		return ret;
	r->rule_added[i] = true;
	return 0;
}

/* ---- routes ---- */

static void ref_free_owners(struct route_ref *rr)
{
	size_t i;

	for (i = 0; i < rr->nowner; i++)
		free(rr->owner[i]);
	free(rr->owner);
	rr->owner = NULL;
	rr->nowner = 0;
}

static struct route_ref *ref_find(const struct route *r, const struct ip_prefix *p)
{
	size_t i;

	for (i = 0; i < r->nrt; i++)
		if (r->rt[i].dst.len == p->len && ip_addr_equal(&r->rt[i].dst.addr, &p->addr))
			return &r->rt[i];
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
	/* only tun SAs (userspace): the outer header's */
	return last ? last : g->nsa ? &g->sa[g->nsa - 1]->cfg->said.dst : NULL;
}

bool route_wanted(const struct route *r, const struct sadb_group *g)
{
	return r && g->dir == SADB_DIR_OUT && !g->shunt && !g->implicit && outer_dst(g);
}

/* The MTU of device @ifindex, or 0. */
static uint32_t link_mtu(struct route *r, int ifindex)
{
	struct rtnl_link *link = NULL;
	uint32_t mtu = 0;

	if (kerr(r, rtnl_link_get_kernel(r->sk, ifindex, NULL, &link)) == 0) {
		mtu = rtnl_link_get_mtu(link);
		rtnl_link_put(link);
	}
	return mtu;
}

/* Device and gateway the main routing uses towards @dst, and (@mtu not
 * NULL) the path MTU: the route's mtu metric, else its device's. */
static int route_towards(struct route *r, const struct ip_addr *dst, int *ifindex,
			 struct ip_addr *gw, uint32_t *mtu)
{
	struct rtnl_route *res = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *d = nladdr(dst, ip_addr_len(dst) * 8), *g;
	int ret;

	if (!d)
		return -ENOMEM;
	ret = kerr(r, rtnl_route_lookup(r->sk, d, &res));
	nl_addr_put(d);
	if (ret)
		return ret;
	memset(gw, 0, sizeof(*gw));
	*ifindex = 0;
	if (rtnl_route_get_nnexthops(res) > 0) {
		nh = rtnl_route_nexthop_n(res, 0);
		*ifindex = rtnl_route_nh_get_ifindex(nh);
		g = rtnl_route_nh_get_gateway(nh);
		if (g && (size_t)nl_addr_get_len(g) <= sizeof(gw->b) &&
		    (nl_addr_get_family(g) == AF_INET || nl_addr_get_family(g) == AF_INET6)) {
			gw->family = (uint8_t)nl_addr_get_family(g);
			memcpy(gw->b, nl_addr_get_binary_addr(g), nl_addr_get_len(g));
		}
	}
	if (mtu && *ifindex && (rtnl_route_get_metric(res, RTAX_MTU, mtu) < 0 || !*mtu))
		*mtu = link_mtu(r, *ifindex);
	rtnl_route_put(res);
	if (mtu && *ifindex && !*mtu)
		return -EIO;
	return *ifindex ? 0 : -ENETUNREACH;
}

/* The route object of @rr in @table (libnl), or (@hole) its blackhole
 * twin (route.h); NULL when out of memory. */
static struct rtnl_route *route_obj(const struct route_ref *rr, uint32_t table, bool hole)
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
	rtnl_route_set_table(rt, table);
	rtnl_route_set_dst(rt, d);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_type(rt, hole ? RTN_BLACKHOLE : RTN_UNICAST);
	nl_addr_put(d);
	if (hole) {
		rtnl_route_set_priority(rt, ROUTE_HOLE_METRIC);
		return rt;
	}
	if (rr->mtu && (rtnl_route_set_metric(rt, RTAX_MTU, rr->mtu) < 0 ||
			rtnl_route_set_metric(rt, RTAX_LOCK, 1u << RTAX_MTU) < 0))
		goto fail;
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

/* Delete @rr's route (or @hole, its twin) from the kernel.  Return: 0
 * (also: already gone) or -errno. */
static int route_del_one(struct route *r, const struct route_ref *rr, bool hole)
{
	struct rtnl_route *rt = route_obj(rr, r->table, hole);
	int ret;

	if (!rt)
		return -ENOMEM;
	ret = kerr(r, rtnl_route_delete(r->sk, rt, 0));
	rtnl_route_put(rt);
	return ret == -ENOENT || ret == -ESRCH ? 0 : ret;
}

/* Delete @rr's route and, into the TUN, its blackhole twin. */
static int route_del(struct route *r, const struct route_ref *rr)
{
	int ret = route_del_one(r, rr, false), e = rr->dev ? route_del_one(r, rr, true) : 0;

	return ret ? ret : e;
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
static int route_release(struct route *r, const struct sadb_group *g, unsigned upto)
{
	unsigned j;
	int ret = 0;

	for (j = 0; j < upto; j++) {
		struct route_ref *rr = ref_find(r, &g->dst_ts[j]);
		int e;

		if (!rr || !ref_drop_owner(rr, g->name) || rr->nowner)
			continue;
		e = route_del(r, rr);
		if (e && !ret)
			ret = e;
		ref_free_owners(rr);
		*rr = r->rt[--r->nrt];
	}
	return ret;
}

/* Add (or with @replace, change) the route @rr in the kernel.  0 or -errno
 * with @why. */
static int route_put(struct route *r, const struct route_ref *rr, struct reason *why)
{
	struct rtnl_route *rt = route_obj(rr, r->table, false);
	struct rtnl_route *hole = rr->dev ? route_obj(rr, r->table, true) : NULL;
	char t[IP_PREFIX_BUF];
	int ret = 0;

	if (!rt || (rr->dev && !hole)) {
		rtnl_route_put(rt);
		rtnl_route_put(hole);
		return -ENOMEM;
	}
	/* The table is ours: a route an earlier run left (kill -9) is
	 * replaced with what this host needs now.  The twin goes first: the
	 * prefix is never routed by the main table in between. */
	if (hole)
		ret = kerr(r, rtnl_route_add(r->sk, hole, NLM_F_CREATE | NLM_F_REPLACE));
	if (!ret)
		ret = kerr(r, rtnl_route_add(r->sk, rt, NLM_F_CREATE | NLM_F_REPLACE));
	rtnl_route_put(rt);
	rtnl_route_put(hole);
	if (ret) {
		ip_prefix_format(&rr->dst, t, sizeof(t));
		reason_set(why, "route %s table %u: %s", t, r->table, strerror(-ret));
	}
	return ret;
}

/* Add the route for dst-ts prefix @d of @g (new: not yet in r->rt), as
 * @tmpl says (ifindex, gateway, mtu, dev). */
static int route_add_new(struct route *r, const struct sadb_group *g, const struct ip_prefix *d,
			 const struct route_ref *tmpl, struct reason *why)
{
	struct route_ref *rr, *n;
	const struct ip_addr *src;
	int ret;

	n = realloc(r->rt, (r->nrt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->rt = n;
	rr = &r->rt[r->nrt];
	*rr = *tmpl;
	rr->owner = NULL;
	rr->nowner = 0;
	rr->dst = *d;
	if (tmpl->gw.family != d->addr.family)
		memset(&rr->gw, 0, sizeof(rr->gw));
	src = local_in_src_ts(r, g, d->addr.family);
	if (src)
		rr->src = *src;
	ret = ref_add_owner(rr, g->name);
	if (ret) {
		ref_free_owners(rr);
		return ret;
	}
	ret = route_put(r, rr, why);
	if (ret) {
		ref_free_owners(rr);
		return ret;
	}
	r->nrt++;
	return 0;
}

/* Claim the route of @d for @g: an existing one of the same kind is
 * shared (a route into the TUN takes the smaller MTU of its groups); one
 * of the other kind is a conflict (-EEXIST). */
static int route_claim(struct route *r, const struct sadb_group *g, const struct ip_prefix *d,
		       const struct route_ref *tmpl, struct reason *why)
{
	struct route_ref *rr = ref_find(r, d);
	char t[IP_PREFIX_BUF];
	int ret;

	if (!rr)
		return route_add_new(r, g, d, tmpl, why);
	if (rr->dev != tmpl->dev) {
		ip_prefix_format(d, t, sizeof(t));
		reason_set(why, "dst-ts %s is routed for group %s of the %s datapath", t,
			   rr->nowner ? rr->owner[0] : "?", rr->dev ? "userspace" : "kernel");
		return -EEXIST;
	}
	if (rr->dev && tmpl->mtu < rr->mtu) {
		struct route_ref n = *rr;

		n.mtu = tmpl->mtu;
		ret = route_put(r, &n, why);
		if (ret)
			return ret;
		rr->mtu = n.mtu;
	}
	ref_drop_owner(rr, g->name); /* installing twice claims once */
	return ref_add_owner(rr, g->name);
}

/* A route per dst-ts prefix of @g as @tmpl says, and the rule.  All or
 * nothing. */
static int install_routes(struct route *r, const struct sadb_group *g,
			  const struct route_ref *tmpl, struct reason *why)
{
	unsigned j;
	int ret;

	for (j = 0; j < g->ndst_ts; j++) {
		const struct ip_prefix *d = &g->dst_ts[j];

		ret = rule_ensure(r, d->addr.family);
		if (ret) {
			reason_set(why, "rule to table %u: %s", r->table, strerror(-ret));
			goto fail;
		}
		ret = route_claim(r, g, d, tmpl, why);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	if (ret == -ENOMEM)
		reason_set(why, "out of memory");
	route_release(r, g, j + 1);
	return ret;
}

int route_install_group(struct route *r, const struct sadb_group *g, struct reason *why)
{
	struct route_ref tmpl = { .dev = false };
	int ret;

	if (!route_wanted(r, g))
		return 0;
	ret = route_towards(r, outer_dst(g), &tmpl.ifindex, &tmpl.gw, NULL);
	if (ret) {
		reason_set(why, "no route to its outer destination: %s", strerror(-ret));
		return ret;
	}
	return install_routes(r, g, &tmpl, why);
}

int route_install_dev(struct route *r, const struct sadb_group *g, int ifindex, uint32_t mtu,
		      struct reason *why)
{
	struct route_ref tmpl = { .ifindex = ifindex, .mtu = mtu, .dev = true };

	if (!route_wanted(r, g))
		return 0;
	return install_routes(r, g, &tmpl, why);
}

int route_path_mtu(struct route *r, const struct sadb_group *g, uint32_t *mtu,
		   struct reason *why)
{
	struct ip_addr gw;
	int ifindex, ret;

	if (!r || !outer_dst(g))
		return -ENOENT;
	ret = route_towards(r, outer_dst(g), &ifindex, &gw, mtu);
	if (ret)
		reason_set(why, "no route to its outer destination: %s", strerror(-ret));
	return ret;
}

int route_remove_group(struct route *r, const struct sadb_group *g)
{
	return r ? route_release(r, g, g->ndst_ts) : 0;
}

void route_remove_all(struct route *r)
{
	int fam[2] = { AF_INET, AF_INET6 };
	size_t i;
	int k, n;

	if (!r)
		return;
	/* routes still claimed (normally none by now) */
	for (i = 0; i < r->nrt; i++) {
		route_del(r, &r->rt[i]);
		ref_free_owners(&r->rt[i]);
	}
	r->nrt = 0;
	/* our rules, also those an earlier run left (a bounded loop: a rule
	 * may have been added more than once by hand) */
	for (k = 0; k < 2; k++)
		for (n = 0; n < 16 && !rule_msg(r, fam[k], false); n++)
			;
	r->rule_added[0] = r->rule_added[1] = false;
}

void route_close(struct route *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nrt; i++)
		ref_free_owners(&r->rt[i]);
	free(r->rt);
	nl_socket_free(r->sk);
	free(r);
}

size_t route_count(const struct route *r)
{
	return r ? r->nrt : 0;
}
