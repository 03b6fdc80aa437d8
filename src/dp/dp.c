/* dp.c: the userspace datapath engine (dp.h): staging, commit, table
 * publication, sequence blocks, counters. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dp.h"
#include "seqstore.h"
#include "snap.h"
#include "tun.h"
#include "worker.h"
#include "xform.h"

#define DP_BUF_DEFAULT (4 << 20)

/* A group as the engine holds it: in the staged set and in every table
 * that lists it (refs, main thread only). */
struct dp_grp {
	unsigned refs;
	struct xf_group xg;
};

/* What one publication owns: the lookup tables and a reference to each
 * group they point at. */
struct dp_tables {
	struct spd *spd;
	struct dp_grp **grp;
	size_t n;
};

struct dp {
	struct dp_config cfg;
	struct dp_tun tun;
	struct dp_core core;
	struct worker tx, rx;
	struct dp_tables *pub;
	struct dp_grp **stage;   /* the set the next commit publishes */
	size_t nstage, capstage;
};

static void grp_put(struct dp_grp *g)
{
	if (!g || --g->refs)
		return;
	for (unsigned k = 0; k < g->xg.g->nsa; k++)
		sa_live_put(g->xg.live[k]);
	snap_put(g->xg.snap);
	free(g);
}

static void tables_free(struct dp_tables *t)
{
	if (!t)
		return;
	spd_free(t->spd);
	for (size_t i = 0; i < t->n; i++)
		grp_put(t->grp[i]);
	free(t->grp);
	free(t);
}

/* Tables over the staged set (each group referenced once more). */
static int tables_build(struct dp *d, struct dp_tables **out, struct reason *why)
{
	struct dp_tables *t = calloc(1, sizeof(*t));
	const struct xf_group **v = calloc(d->nstage ? d->nstage : 1, sizeof(*v));
	int ret = -ENOMEM;

	if (!t || !v || !(t->grp = calloc(d->nstage ? d->nstage : 1, sizeof(*t->grp)))) {
		reason_set(why, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < d->nstage; i++)
		v[i] = &d->stage[i]->xg;
	ret = spd_build(&t->spd, v, d->nstage, why);
	if (ret)
		goto fail;
	for (size_t i = 0; i < d->nstage; i++) {
		t->grp[i] = d->stage[i];
		t->grp[i]->refs++;
	}
	t->n = d->nstage;
	free(v);
	*out = t;
	return 0;
fail:
	free(v);
	tables_free(t);
	return ret;
}

/* Publish @t, wait until no worker can hold the old tables, free those. */
static void tables_publish(struct dp *d, struct dp_tables *t)
{
	struct worker *w[2] = { &d->tx, &d->rx };
	struct dp_tables *old = d->pub;

	d->pub = t;
	atomic_store(&d->core.spd, t->spd);
	core_synchronize(&d->core, w, 2);
	tables_free(old);
}

/* ---- sequence numbers ---- */

static bool sa_has_seq(const struct dpsnap_sa *sa)
{
	return sa->said.proto == SAID_PROTO_ESP || sa->said.proto == SAID_PROTO_AH;
}

/* One SA's reservation under way: numbers [first, upto] noted in the
 * store, usable once it is synced. */
struct seq_res {
	struct sa_live *l;
	uint64_t first, upto;
	bool set_next;
};

struct seq_batch {
	struct seq_res *r;
	size_t n, cap;
};

/* Note @sa's next block, from @from: one block (a 32-bit SA stops at
 * 2^32 - 1; nothing left: nothing noted). */
static int seq_note(struct dp *d, struct seq_batch *b, const struct dpsnap_sa *sa,
		    struct sa_live *l, uint64_t from, bool set_next, struct reason *why)
{
	uint64_t upto = from - 1 + SEQSTORE_BLOCK;
	int ret;

	if (!sa->esn && upto > UINT32_MAX)
		upto = UINT32_MAX;
	if (!from || upto < from)
		return 0; /* space used up: xf_encap() counts DP_DROP_SEQ; rekey */
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;
		struct seq_res *r = realloc(b->r, cap * sizeof(*r));

		if (!r) {
			reason_set(why, "out of memory");
			return -ENOMEM;
		}
		b->r = r;
		b->cap = cap;
	}
	ret = seqstore_set(d->cfg.seq, &sa->said, upto);
	if (ret) {
		reason_set(why, "sequence numbers: %s", strerror(-ret));
		return ret;
	}
	b->r[b->n++] = (struct seq_res){ l, from, upto, set_next };
	return 0;
}

/* Write what @b noted (one fsync for all), then let the worker use it. */
static int seq_apply(struct dp *d, struct seq_batch *b, struct reason *why)
{
	int ret = b->n ? seqstore_sync(d->cfg.seq, why) : 0;

	for (size_t i = 0; !ret && i < b->n; i++) {
		if (b->r[i].set_next)
			atomic_store(&b->r[i].l->seq_next, b->r[i].first);
		atomic_store_explicit(&b->r[i].l->seq_limit, b->r[i].upto + 1,
				      memory_order_release);
	}
	free(b->r);
	return ret;
}

/* First blocks for the staged outbound SAs that have none yet. */
static int seq_first(struct dp *d, struct reason *why)
{
	struct seq_batch b = { NULL, 0, 0 };
	int ret = 0;

	for (size_t i = 0; !ret && i < d->nstage; i++) {
		const struct xf_group *g = &d->stage[i]->xg;

		for (unsigned k = 0; !ret && g->g->dir == SADB_DIR_OUT && k < g->g->nsa; k++) {
			const struct dpsnap_sa *sa = &g->g->sa[k];
			struct sa_live *l = g->live[k];

			if (atomic_load(&l->seq_limit))
				continue;
			if (!sa_has_seq(sa)) {
				atomic_store(&l->seq_limit, UINT64_MAX);
			} else if (!d->cfg.seq) {
				reason_set(why, "no sequence number store");
				ret = -EINVAL;
			} else {
				ret = seq_note(d, &b, sa, l, seqstore_first(d->cfg.seq, &sa->said),
					       true, why);
			}
		}
	}
	if (ret) {
		free(b.r);
		return ret;
	}
	return seq_apply(d, &b, why);
}

int dp_seq_tick(struct dp *d, struct reason *why)
{
	struct seq_batch b = { NULL, 0, 0 };
	uint64_t v;
	int ret = 0;

	(void)!read(d->core.seq_fd, &v, sizeof(v)); /* reset the eventfd */
	for (size_t i = 0; !ret && d->pub && i < d->pub->n; i++) {
		const struct xf_group *g = &d->pub->grp[i]->xg;

		for (unsigned k = 0; !ret && g->g->dir == SADB_DIR_OUT && k < g->g->nsa; k++) {
			struct sa_live *l = g->live[k];
			uint64_t lim = atomic_load(&l->seq_limit);

			if (!sa_has_seq(&g->g->sa[k]) || !lim ||
			    atomic_load(&l->seq_next) + SEQSTORE_BLOCK / 2 < lim)
				continue;
			ret = seq_note(d, &b, &g->g->sa[k], l, lim, false, why);
		}
	}
	if (ret) {
		free(b.r);
		return ret;
	}
	return seq_apply(d, &b, why);
}

int dp_seq_fd(const struct dp *d)
{
	return d ? d->core.seq_fd : -1;
}

/* ---- staging ---- */

static ssize_t stage_find(const struct dp *d, const char *name)
{
	for (size_t i = 0; i < d->nstage; i++)
		if (!strcmp(d->stage[i]->xg.g->name, name))
			return (ssize_t)i;
	return -1;
}

static int grp_new(struct dp_grp **out, struct snap *snap, struct sa_live *const *live,
		   uint32_t mtu, struct reason *why)
{
	const struct dpsnap_group *g = dpsnap_group(snap);
	struct dp_grp *n;
	int ret;

	if (g->shunt || !g->nsa || g->nsa > CFG_MAX_GROUP_SAS + 1) {
		reason_set(why, "group %s: not a group the datapath runs", g->name);
		return -EINVAL;
	}
	for (unsigned k = 0; k < g->nsa; k++) {
		ret = xf_sa_setup(live[k], &g->sa[k], why);
		if (ret)
			return ret;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		reason_set(why, "out of memory");
		return -ENOMEM;
	}
	n->refs = 1;
	n->xg.snap = snap_get(snap);
	n->xg.g = g;
	for (unsigned k = 0; k < g->nsa; k++)
		n->xg.live[k] = sa_live_get(live[k]);
	n->xg.mtu = mtu ? mtu : xf_inner_mtu(g, 1500);
	*out = n;
	return 0;
}

int dp_group_add(struct dp *d, struct snap *snap, struct sa_live *const *live, uint32_t mtu,
		 struct reason *why)
{
	struct dp_grp *n;
	ssize_t at;
	int ret = grp_new(&n, snap, live, mtu, why);

	if (ret)
		return ret;
	at = stage_find(d, n->xg.g->name);
	if (at >= 0) {
		grp_put(d->stage[at]);
		d->stage[at] = n;
		return 0;
	}
	if (d->nstage == d->capstage) {
		size_t cap = d->capstage ? 2 * d->capstage : 16;
		struct dp_grp **s = realloc(d->stage, cap * sizeof(*s));

		if (!s) {
			grp_put(n);
			reason_set(why, "out of memory");
			return -ENOMEM;
		}
		d->stage = s;
		d->capstage = cap;
	}
	d->stage[d->nstage++] = n;
	return 0;
}

void dp_group_del(struct dp *d, const char *name)
{
	ssize_t at = stage_find(d, name);

	if (at < 0)
		return;
	grp_put(d->stage[at]);
	memmove(&d->stage[at], &d->stage[at + 1], (d->nstage - (size_t)at - 1) * sizeof(*d->stage));
	d->nstage--;
}

int dp_commit(struct dp *d, struct reason *why)
{
	struct dp_tables *t;
	int ret = tables_build(d, &t, why);

	if (ret)
		return ret;
	ret = seq_first(d, why);
	if (ret) {
		tables_free(t);
		return ret;
	}
	tables_publish(d, t);
	return 0;
}

/* ---- open, close, counters ---- */

static int dp_start(struct dp *d, struct reason *why)
{
	struct dp_sock_params sp = {
		.mark = d->cfg.fwmark,
		.sndbuf = d->cfg.sndbuf ? d->cfg.sndbuf : DP_BUF_DEFAULT,
		.rcvbuf = d->cfg.rcvbuf ? d->cfg.rcvbuf : DP_BUF_DEFAULT,
	};
	struct dp_tables *t;
	int ret;

	ret = tun_open(&d->tun, d->cfg.tun_name, why);
	if (ret)
		return ret;
	d->core.tun_fd = d->tun.fd;
	sp.tun_ifindex = d->tun.ifindex;
	ret = socks_open(&d->core.socks, &sp, why);
	if (ret)
		return ret;
	d->core.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->core.seq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->core.stop_fd < 0 || d->core.seq_fd < 0) {
		ret = -errno;
		reason_set(why, "eventfd: %s", strerror(errno));
		return ret;
	}
	ret = tables_build(d, &t, why);
	if (ret)
		return ret;
	d->pub = t;
	atomic_store(&d->core.spd, t->spd);
	ret = worker_start(&d->tx, &d->core, true, why);
	if (!ret)
		ret = worker_start(&d->rx, &d->core, false, why);
	return ret;
}

int dp_open(struct dp **out, const struct dp_config *c, struct reason *why)
{
	struct dp *d = calloc(1, sizeof(*d));
	int ret;

	if (!d) {
		reason_set(why, "out of memory");
		return -ENOMEM;
	}
	d->cfg = *c;
	if (!d->cfg.batch || d->cfg.batch > DP_BATCH_MAX)
		d->cfg.batch = DP_BATCH_MAX;
	d->core.batch = d->cfg.batch;
	d->tun.fd = d->core.tun_fd = d->core.stop_fd = d->core.seq_fd = -1;
	d->core.socks.tx4 = d->core.socks.tx6 = -1;
	for (unsigned i = 0; i < DP_RX_NR; i++)
		d->core.socks.rx[i] = -1;
	for (unsigned i = 0; i < DP_SINK6_NR; i++)
		d->core.socks.sink6[i] = -1;
	ret = dp_start(d, why);
	if (ret) {
		dp_close(d);
		return ret;
	}
	*out = d;
	return 0;
}

void dp_close(struct dp *d)
{
	if (!d)
		return;
	if (d->core.stop_fd >= 0)
		(void)!write(d->core.stop_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
	worker_stop(&d->tx);
	worker_stop(&d->rx);
	tables_free(d->pub);
	for (size_t i = 0; i < d->nstage; i++)
		grp_put(d->stage[i]);
	free(d->stage);
	socks_close(&d->core.socks);
	tun_close(&d->tun);
	if (d->core.stop_fd >= 0)
		close(d->core.stop_fd);
	if (d->core.seq_fd >= 0)
		close(d->core.seq_fd);
	free(d);
}

int dp_ifindex(const struct dp *d)
{
	return d->tun.ifindex;
}

static uint64_t get(const atomic_uint_fast64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void dp_stats(const struct dp *d, struct dp_stats *st)
{
	const struct dp_core *c = &d->core;

	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < DP_RX_NR && i < DP_NSOCK; i++) {
		st->sock[i].name = socks_rx_name(i);
		st->sock[i].packets = get(&c->rx[i].packets);
		st->sock[i].not_ours = get(&c->rx[i].not_ours);
		st->sock[i].malformed = get(&c->rx[i].malformed);
		st->rx_packets += st->sock[i].packets;
		st->rx_not_ours += st->sock[i].not_ours;
		st->rx_malformed += st->sock[i].malformed;
	}
	st->tun_packets = get(&c->tun_packets);
	st->tun_malformed = get(&c->tun_malformed);
	st->tun_no_group = get(&c->tun_no_group);
	st->tun_write_errors = get(&c->tun_write_errors);
	st->tx_packets = get(&c->tx_packets);
	st->tx_errors = get(&c->tx_errors);
}
