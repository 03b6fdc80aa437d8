/* dpops.c: the reconciler's datapath ops over the engine (dpops.h).
 * Thin: every function hands over to dp.h or xform.h. */
#include "config.h"

#include "cfg.h"
#include "dp.h"
#include "dpops.h"
#include "dpsnap.h"
#include "reconcile.h"
#include "xform.h"

static int d_stage(void *dp, struct snap *snap, struct sa_live *const *live, uint32_t mtu,
		   struct reason *why)
{
	return dp_group_add(dp, snap, live, mtu, why);
}

static void d_unstage(void *dp, const char *name)
{
	dp_group_del(dp, name);
}

static int d_commit(void *dp, struct reason *why)
{
	return dp_commit(dp, why);
}

static int d_ifindex(void *dp)
{
	return dp_ifindex(dp);
}

static uint32_t d_inner_mtu(const struct snap *snap, uint32_t path_mtu)
{
	return xf_inner_mtu(dpsnap_group(snap), path_mtu);
}

static void d_stats(void *dp, struct dp_stats *st)
{
	dp_stats(dp, st);
}

static int d_seq_fd(void *dp)
{
	return dp_seq_fd(dp);
}

static int d_seq_tick(void *dp, struct reason *why)
{
	return dp_seq_tick(dp, why);
}

const struct dp_ops dpops_real = {
	.stage = d_stage,
	.unstage = d_unstage,
	.commit = d_commit,
	.ifindex = d_ifindex,
	.inner_mtu = d_inner_mtu,
	.stats = d_stats,
	.seq_fd = d_seq_fd,
	.seq_tick = d_seq_tick,
};

int dpops_open(void **out, const struct cfg *c, struct seqstore *seq, struct reason *why)
{
	struct dp_config dc = {
		.tun_name = c->tun_device,
		.fwmark = c->fwmark,
		.fwmask = c->fwmask,
		.seq = seq,
		.batch = c->dp_batch,
	};
	struct dp *dp = NULL;
	int r = dp_open(&dp, &dc, why);

	*out = r < 0 ? NULL : dp;
	return r;
}

void dpops_close(void *dp)
{
	dp_close(dp);
}
