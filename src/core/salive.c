/* salive.c: the refcounted live state of one datapath SA (salive.h). */
#include "config.h"

#include <stdlib.h>

#include "salive.h"

static const char *const drop_names[DP_DROP_NR] = {
	[DP_DROP_ICV] = "icv",
	[DP_DROP_REPLAY] = "replay",
	[DP_DROP_POLICY] = "policy",
	[DP_DROP_SELECTOR] = "selector",
	[DP_DROP_MALFORMED] = "malformed",
	[DP_DROP_INFLATE] = "inflate",
	[DP_DROP_MTU] = "mtu",
	[DP_DROP_SEQ] = "seq",
};

const char *dp_drop_name(enum dp_drop r)
{
	if ((unsigned)r >= DP_DROP_NR)
		return NULL;
	return drop_names[r];
}

struct sa_live *sa_live_new(uint32_t replay_window, bool esn)
{
	struct sa_live *l = calloc(1, sizeof(*l));
	unsigned i;

	if (!l)
		return NULL;
	atomic_init(&l->refs, 1);
	atomic_init(&l->packets, 0);
	atomic_init(&l->bytes, 0);
	for (i = 0; i < DP_DROP_NR; i++)
		atomic_init(&l->drop[i], 0);
	atomic_init(&l->seq_next, 1);
	atomic_init(&l->seq_limit, 0);
	replay_init(&l->replay, replay_window, esn);
	return l;
}

struct sa_live *sa_live_get(struct sa_live *l)
{
	if (l)
		atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
	return l;
}

void sa_live_put(struct sa_live *l)
{
	if (!l)
		return;
	/* release: this thread's writes happen before the free; acquire in
	 * the last put: every other thread's writes are seen by it */
	if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (l->ctx_free)
		l->ctx_free(l->ctx);
	free(l);
}
