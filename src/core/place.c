/* place.c: the placement rule (place.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "place.h"
#include "sadb.h"

static bool is_tun(const struct sadb_sa *sa)
{
	return sa->cfg->said.proto == SAID_PROTO_TUN;
}

bool place_xfrm_expressible(const struct sadb_group *g, struct reason *why)
{
	unsigned i, ntun = 0;

	for (i = 0; i < g->nsa; i++)
		ntun += is_tun(g->sa[i]);
	if (g->nsa && ntun == g->nsa) {
		reason_set(why, "the group has only tun SAs: XFRM cannot express it");
		return false;
	}
	for (i = 0; i + 1 < g->nsa; i++) {
		if (is_tun(g->sa[i]) && is_tun(g->sa[i + 1])) {
			reason_set(why, "two tun SAs in a row: XFRM cannot express it");
			return false;
		}
	}
	if (g->nsa && is_tun(g->sa[g->nsa - 1])) {
		reason_set(why, "a tun SA ends the group: XFRM cannot express it");
		return false;
	}
	return true;
}

const char *place_datapath_name(enum cfg_datapath dp)
{
	switch (dp) {
	case CFG_DP_AUTO:
		return "auto";
	case CFG_DP_KERNEL:
		return "kernel";
	case CFG_DP_USERSPACE:
		return "userspace";
	}
	return "unknown";
}

const char *place_name(enum place_where w)
{
	return w == PLACE_KERNEL ? "kernel" : "userspace";
}

enum cfg_datapath place_wish(const struct sadb_group *g, struct reason *why)
{
	if (!g->shunt && !place_xfrm_expressible(g, why))
		return CFG_DP_USERSPACE;
	reason_set(why, "datapath = %s%s", place_datapath_name(g->want),
		   g->want_daemon ? " in [daemon]" : "");
	return g->want;
}

enum place_where place_provisional(const struct sadb_group *g)
{
	return place_wish(g, NULL) == CFG_DP_USERSPACE ? PLACE_USERSPACE : PLACE_KERNEL;
}

enum place_where place_decide(const struct sadb_group *g, place_probe_fn probe, void *arg,
			      struct place_verdict *v)
{
	memset(v, 0, sizeof(*v));
	switch (place_wish(g, NULL)) {
	case CFG_DP_KERNEL:
		return v->where = PLACE_KERNEL;
	case CFG_DP_USERSPACE:
		return v->where = PLACE_USERSPACE;
	case CFG_DP_AUTO:
		break;
	}
	v->probed = true;
	v->err = probe ? probe(arg, g, &v->kernel) : -ENOSYS;
	return v->where = v->err ? PLACE_USERSPACE : PLACE_KERNEL;
}

void place_why(const struct sadb_group *g, bool probed, int err, const char *text,
	       struct reason *why)
{
	if (!probed)
		place_wish(g, why);
	else if (!err)
		reason_set(why, "the kernel accepts every transform");
	else
		reason_set(why, "kernel probe: %s", text && text[0] ? text : strerror(-err));
}
