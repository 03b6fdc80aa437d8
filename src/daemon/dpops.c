/* dpops.c: the reconciler's datapath ops over the engine (dpops.h).
 * Thin: every function hands over to dp.h or xform.h; the status adds the
 * TUN device's tx_dropped from /proc/net/dev. */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>

#include "cfg.h"
#include "dp.h"
#include "dpops.h"
#include "dpsnap.h"
#include "reconcile.h"
#include "status.h"
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

/* The TUN's tx_dropped from /proc/net/dev (our network namespace's; a
 * status request, not the hot path); 0 when it cannot be read. */
static uint64_t tun_tx_dropped(int ifindex)
{
	char name[IF_NAMESIZE], line[512];
	uint64_t v = 0;
	FILE *f;

	if (ifindex <= 0 || !if_indextoname((unsigned)ifindex, name))
		return 0;
	f = fopen("/proc/net/dev", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (status_netdev_tx_dropped(line, name, &v) != -ENOENT)
			break;
	fclose(f);
	return v;
}

static void d_stats(void *dp, struct dp_stats *st)
{
	dp_stats(dp, st);
	st->tun_tx_dropped = tun_tx_dropped(dp_ifindex(dp));
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
