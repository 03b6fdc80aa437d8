/* kernops.c: the reconciler's ops table over kern/ (kernops.h).  Thin:
 * every function hands over to xfrm.h, route.h or addrmon.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addrmon.h"
#include "cfg.h"
#include "kernops.h"
#include "nft.h"
#include "reconcile.h"
#include "route.h"
#include "routelist.h"
#include "xfrm.h"
#include "xfrm_own.h"

struct kern {
	struct xfrm *x;      /* NULL in a handle from kernops_open_local() */
	struct addrmon *am;  /* the local addresses and their events */
	struct route *route; /* NULL: install-routes off */
	struct nft *nft;     /* the nftables table of userspace inbound groups */
	uint32_t table;      /* route-table */
};

static int k_probe(void *k, const struct sadb_group *g, struct reason *why)
{
	return xfrm_probe_group(((struct kern *)k)->x, g, why);
}

static int k_install(void *k, const struct sadb_group *g, const uint64_t *seq_first,
		     struct reason *why)
{
	return xfrm_install_group_seq(((struct kern *)k)->x, g, seq_first, why);
}

static int k_remove(void *k, const struct sadb_group *g, uint64_t *last, struct reason *why)
{
	return xfrm_remove_group_final(((struct kern *)k)->x, g, last, why);
}

static int k_adopt(void *k, const struct sadb *db, const struct xfrm_owner *o)
{
	return xfrm_adopt(((struct kern *)k)->x, db, o);
}

static int k_events(void *k, const struct sadb *db, const struct xfrm_owner *o)
{
	return xfrm_process_events(((struct kern *)k)->x, db, o);
}

static int k_counters(void *k, const struct sadb_group *g, struct sa_counters *ctr)
{
	return xfrm_read_counters(((struct kern *)k)->x, g, ctr);
}

static bool k_route_wanted(void *k, const struct sadb_group *g)
{
	return route_wanted(((struct kern *)k)->route, g);
}

static int k_route_add(void *k, const struct sadb_group *g, struct reason *why)
{
	return route_install_group(((struct kern *)k)->route, g, why);
}

static int k_route_add_dev(void *k, const struct sadb_group *g, int ifindex, uint32_t mtu,
			   struct reason *why)
{
	return route_install_dev(((struct kern *)k)->route, g, ifindex, mtu, why);
}

static int k_path_mtu(void *k, const struct sadb_group *g, uint32_t *mtu, struct reason *why)
{
	return route_path_mtu(((struct kern *)k)->route, g, mtu, why);
}

/* @g as the nftables table needs it: its inbound selectors and, when its
 * outermost SA is COMP, the peer's IPIP that carries uncompressed packets. */
static void nft_group_of(const struct sadb_group *g, struct nft_group *n)
{
	const struct cfg_sa *outer = g->nsa ? g->sa[g->nsa - 1]->cfg : NULL;

	*n = (struct nft_group){
		.name = g->name,
		.src_ts = g->src_ts,
		.dst_ts = g->dst_ts,
		.nsrc_ts = g->nsrc_ts,
		.ndst_ts = g->ndst_ts,
		.proto = g->proto,
		.sport = g->sport,
		.dport = g->dport,
	};
	if (outer && outer->said.proto == SAID_PROTO_COMP) {
		n->ipip_src = &outer->src;
		n->ipip_dst = &outer->said.dst;
	}
}

static int k_filter_set(void *k, const struct sadb_group *const *g, size_t n,
			struct reason *why)
{
	struct nft_group *ng = calloc(n + 1, sizeof(*ng));
	int r;

	if (!ng)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		nft_group_of(g[i], &ng[i]);
	r = nft_set_groups(((struct kern *)k)->nft, ng, n, why);
	free(ng);
	return r;
}

static void k_filter_remove(void *k)
{
	struct reason why = { "" };

	nft_remove(((struct kern *)k)->nft, &why);
}

static int k_route_del(void *k, const struct sadb_group *g)
{
	return route_remove_group(((struct kern *)k)->route, g);
}

static void k_route_cleanup(void *k)
{
	route_remove_all(((struct kern *)k)->route);
}

static int k_route_text(void *k, struct strbuf *out, struct reason *why)
{
	struct kern *kk = k;

	return kk->route ? route_list(kk->table, out, why) : 0;
}

static bool k_is_local(const struct ip_addr *a, void *k)
{
	return addrmon_is_local(a, ((struct kern *)k)->am);
}

static int k_event_fd(void *k)
{
	return xfrm_event_fd(((struct kern *)k)->x);
}

static int k_addr_fd(void *k)
{
	return addrmon_fd(((struct kern *)k)->am);
}

/* Read the address events; true when the set of local addresses changed
 * (an error reading them counts as a change: the next build asks again). */
static bool k_addr_changed(void *k)
{
	return addrmon_process(((struct kern *)k)->am) != 0;
}

static int k_foreign_view(void *k, struct kview *v)
{
	struct kern *kk = k;

	return kk->x ? xfrm_foreign_view(kk->x, v) : 0;
}

static void k_view_gen(void *k, uint64_t *objects, uint64_t *counters)
{
	struct kern *kk = k;

	*objects = *counters = 0;
	if (kk->x)
		xfrm_view_gen(kk->x, objects, counters);
}

static int k_view_refresh(void *k)
{
	struct kern *kk = k;

	return kk->x ? xfrm_mirror_refresh(kk->x) : 0;
}

const struct kern_ops kernops_real = {
	.reqid_base = XFRM_OWN_REQID_BASE,
	.reqid_count = XFRM_OWN_REQID_COUNT,
	.probe = k_probe,
	.install = k_install,
	.remove = k_remove,
	.adopt = k_adopt,
	.events = k_events,
	.read_counters = k_counters,
	.route_wanted = k_route_wanted,
	.route_add = k_route_add,
	.route_add_dev = k_route_add_dev,
	.path_mtu = k_path_mtu,
	.route_del = k_route_del,
	.route_cleanup = k_route_cleanup,
	.route_text = k_route_text,
	.is_local = k_is_local,
	.event_fd = k_event_fd,
	.addr_fd = k_addr_fd,
	.addr_changed = k_addr_changed,
	.filter_set = k_filter_set,
	.filter_remove = k_filter_remove,
	.foreign_view = k_foreign_view,
	.view_gen = k_view_gen,
	.view_refresh = k_view_refresh,
};

int kernops_open_local(void **out, struct reason *why)
{
	struct kern *k = calloc(1, sizeof(*k));
	int r;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	r = addrmon_open(&k->am);
	if (r < 0) {
		reason_set(why, "the local addresses (rtnetlink): %s", strerror(-r));
		free(k);
		return r;
	}
	*out = k;
	return 0;
}

int kernops_open(void **out, const struct cfg *c, struct reason *why)
{
	struct kern *k;
	int r = kernops_open_local(out, why);

	if (r < 0)
		return r;
	k = *out;
	r = xfrm_open(&k->x);
	if (r < 0) {
		reason_set(why, "XFRM netlink: %s", strerror(-r));
		goto fail;
	}
	xfrm_set_state_dir(k->x, c->state_dir);
	r = nft_open(&k->nft, c->tun_device, why);
	if (r < 0)
		goto fail;
	k->table = c->route_table;
	if (c->install_routes) {
		r = route_open(&k->route, c->route_table, c->fwmark, c->fwmask, k->am);
		if (r < 0) {
			reason_set(why, "routes (rtnetlink): %s", strerror(-r));
			goto fail;
		}
	}
	return 0;
fail:
	kernops_close(k);
	*out = NULL;
	return r;
}

void kernops_close(void *k)
{
	struct kern *kn = k;

	if (!kn)
		return;
	route_close(kn->route);
	nft_close(kn->nft);
	if (kn->x)
		xfrm_close(kn->x);
	addrmon_close(kn->am);
	free(kn);
}
