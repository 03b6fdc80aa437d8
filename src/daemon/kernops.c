/* kernops.c: the reconciler's ops table over kern/ (kernops.h).  Thin:
 * every function hands over to xfrm.h, route.h or addrmon.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addrmon.h"
#include "cfg.h"
#include "kernops.h"
#include "reconcile.h"
#include "route.h"
#include "xfrm.h"
#include "xfrm_own.h"

struct kern {
	struct xfrm *x;      /* NULL in a handle from kernops_open_local() */
	struct addrmon *am;  /* the local addresses and their events */
	struct route *route; /* NULL: install-routes off */
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

static bool k_route_wanted(void *k, const struct sadb_group *g, bool in_kernel)
{
	return route_wanted(((struct kern *)k)->route, g, in_kernel);
}

static int k_route_add(void *k, const struct sadb_group *g, struct reason *why)
{
	return route_install_group(((struct kern *)k)->route, g, why);
}

static int k_route_del(void *k, const struct sadb_group *g)
{
	return route_remove_group(((struct kern *)k)->route, g);
}

static void k_route_cleanup(void *k)
{
	route_remove_all(((struct kern *)k)->route);
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
	.route_del = k_route_del,
	.route_cleanup = k_route_cleanup,
	.is_local = k_is_local,
	.event_fd = k_event_fd,
	.addr_fd = k_addr_fd,
	.addr_changed = k_addr_changed,
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
	if (c->install_routes) {
		r = route_open(&k->route, c->route_table, k->am);
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
	if (kn->x)
		xfrm_close(kn->x);
	addrmon_close(kn->am);
	free(kn);
}
