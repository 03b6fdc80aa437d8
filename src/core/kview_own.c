/* kview_own.c: our own part of the KLIPS view, from the model (kview_own.h). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kview_own.h"
#include "salive.h"

/* The sequence number a userspace SA shows: outbound the last one sent
 * (none before the first packet: seq_next then only says where the numbers
 * reserved for this run start), inbound the top of its anti-replay window
 * (the highest accepted; written by the inbound worker, replay.h). */
static uint64_t live_seq(const struct sa_live *l, uint8_t dir)
{
	uint64_t next;

	if (dir == SADB_DIR_IN)
		return __atomic_load_n(&l->replay.top, __ATOMIC_RELAXED);
	if (!atomic_load_explicit(&l->packets, memory_order_relaxed))
		return 0;
	next = atomic_load_explicit(&l->seq_next, memory_order_relaxed);
	return next > 1 ? next - 1 : 0;
}

/* One SA of @g (index @k), with its runtime @r (may be NULL). */
static void own_sa(const struct sadb_group *g, unsigned k, const struct rt_sa *r,
		   struct kv_sa *out)
{
	const struct sadb_sa *sa = g->sa[k];
	const struct cfg_sa *c = sa->cfg;

	memset(out, 0, sizeof(*out));
	out->said = c->said;
	out->src = c->src;
	out->dir = sa->dir;
	if (c->enc) {
		snprintf(out->enc, sizeof(out->enc), "%s", c->enc->kernel_name);
		out->aead = c->enc->kind == ALG_AEAD;
		out->ekey_bits = c->enc->key_bytes * 8;
		if (out->aead)
			out->icv_bits = c->enc->icv_bits;
	}
	if (c->auth) {
		snprintf(out->auth, sizeof(out->auth), "%s", c->auth->kernel_name);
		out->akey_bits = c->auth->key_bytes * 8;
		out->icv_bits = c->auth->icv_bits;
	}
	if (c->comp)
		snprintf(out->comp, sizeof(out->comp), "%s", c->comp->kernel_name);
	out->replay_window = c->replay_window;
	out->life = c->life;
	out->reqid = g->reqid;
	out->ours = true;
	snprintf(out->label, sizeof(out->label), "%s", g->name);
	if (c->said.proto == SAID_PROTO_TUN && sa->dir == SADB_DIR_IN && g->nsrc_ts &&
	    g->ndst_ts) {
		out->has_policy = true;
		out->policy_src = g->src_ts[0];
		out->policy_dst = g->dst_ts[0];
	}
	if (!r)
		return;
	out->bytes = r->ctr.bytes;
	out->packets = r->ctr.packets;
	out->replay_errs = r->ctr.replay_errs;
	out->replay_window_errs = r->ctr.replay_window_errs;
	out->integrity_errs = r->ctr.integrity_errs;
	out->add_time = r->ctr.add_time;
	out->seq = sa->dir == SADB_DIR_IN ? r->ctr.iseq : r->ctr.oseq;
	if (r->live)
		out->seq = live_seq(r->live, sa->dir);
}

/* The eroutes of outbound group @g: one per src-ts x dst-ts pair. */
static int own_eroutes(struct kview *v, const struct sadb_group *g, const struct rt_group *r)
{
	struct kv_eroute e = { 0 };

	if (g->implicit || g->dir != SADB_DIR_OUT)
		return 0;
	if (g->shunt) {
		e.said = g->shunt_said;
	} else {
		if (!g->nsa)
			return 0;
		e.said = g->sa[0]->cfg->said;
		if (r->nsa && r->sa[0])
			e.count = r->sa[0]->ctr.packets;
	}
	e.proto = g->proto;
	e.sport = g->sport;
	e.dport = g->dport;
	e.ours = true;
	for (unsigned i = 0; i < g->nsrc_ts; i++) {
		for (unsigned j = 0; j < g->ndst_ts; j++) {
			e.src = g->src_ts[i];
			e.dst = g->dst_ts[j];
			if (kview_add_eroute(v, &e) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int own_group(struct kview *v, const struct sadb_group *g, const struct rt_group *r)
{
	struct kv_group kg = { .order = g->order, .ours = true };
	struct kv_sa sa;
	long idx;

	snprintf(kg.label, sizeof(kg.label), "%s", g->name);
	for (unsigned k = 0; k < g->nsa && k < KV_MAX_GROUP; k++) {
		own_sa(g, k, k < r->nsa ? r->sa[k] : NULL, &sa);
		idx = kview_add_sa(v, &sa);
		if (idx < 0)
			return (int)idx;
		kg.sa[kg.nsa++] = (uint32_t)idx;
	}
	if (kg.nsa && kview_add_group(v, &kg) < 0)
		return -ENOMEM;
	return own_eroutes(v, g, r);
}

static int cmp_ref(const void *a, const void *b)
{
	const struct own_ref *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

int kview_own_begin(struct kview_own_iter *it, const struct sadb *db, const struct runtime *rt)
{
	size_t i;

	memset(it, 0, sizeof(*it));
	it->db = db;
	it->rt = rt;
	if (!db || !rt || !db->ngroup)
		return 0;
	it->ref = malloc(db->ngroup * sizeof(*it->ref));
	if (!it->ref)
		return -ENOMEM;
	for (i = 0; i < db->ngroup; i++) {
		const struct sadb_group *g = db->group[i];
		const struct rt_group *rg = g ? rt_of(rt, g) : NULL;

		if (rg && rg->state == RT_INSTALLED)
			it->ref[it->n++] = (struct own_ref){ g->order, i };
	}
	qsort(it->ref, it->n, sizeof(*it->ref), cmp_ref);
	return 0;
}

int kview_own_next(struct kview_own_iter *it, struct kview *v, size_t max)
{
	int r = 0;

	for (size_t k = 0; k < max && it->next < it->n && !r; k++) {
		const struct sadb_group *g = it->db->group[it->ref[it->next++].i];

		r = own_group(v, g, rt_of(it->rt, g));
	}
	return r < 0 ? r : it->next < it->n;
}

void kview_own_end(struct kview_own_iter *it)
{
	free(it->ref);
	it->ref = NULL;
}

int kview_add_own(struct kview *v, const struct sadb *db, const struct runtime *rt)
{
	struct kview_own_iter it;
	int r = kview_own_begin(&it, db, rt);

	if (r == 0)
		r = kview_own_next(&it, v, SIZE_MAX);
	kview_own_end(&it);
	return r < 0 ? r : 0;
}
