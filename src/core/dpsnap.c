/* dpsnap.c: one group as a self-contained datapath snapshot (dpsnap.h).
 * Layout of the one block: struct dpsnap_group, its SAs, its selectors,
 * then the name and the key bytes that the pointers point at. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dpsnap.h"
#include "snap.h"

static size_t block_size(const struct sadb_group *g)
{
	size_t n = sizeof(struct dpsnap_group) + g->nsa * sizeof(struct dpsnap_sa) +
		   (g->nsrc_ts + g->ndst_ts) * sizeof(struct ip_prefix) + strlen(g->name) + 1;

	for (unsigned k = 0; k < g->nsa; k++)
		n += g->sa[k]->cfg->enckey.len + g->sa[k]->cfg->authkey.len;
	return n;
}

/* Copy @len bytes of @src to *@p, advance it; NULL for no bytes. */
static void *put(uint8_t **p, const void *src, size_t len)
{
	uint8_t *at = *p;

	if (!len)
		return NULL;
	memcpy(at, src, len);
	*p += len;
	return at;
}

static void copy_sa(struct dpsnap_sa *d, const struct sadb_sa *sa, uint8_t **p)
{
	const struct cfg_sa *c = sa->cfg;

	d->said = c->said;
	d->src = c->src;
	d->dir = sa->dir;
	d->tunnel_mode = sa->tunnel_mode;
	d->enc = c->enc;
	d->auth = c->auth;
	d->comp = c->comp;
	d->enckey = put(p, c->enckey.data, c->enckey.len);
	d->enckey_len = c->enckey.len;
	d->authkey = put(p, c->authkey.data, c->authkey.len);
	d->authkey_len = c->authkey.len;
	d->replay_window = c->replay_window;
	d->esn = c->esn;
	d->ah_align = c->ah_align;
	d->life = c->life;
}

struct snap *dpsnap_build(const struct sadb_group *g, void (*release)(void *data, size_t len))
{
	size_t len = block_size(g);
	struct dpsnap_group *d = calloc(1, len);
	struct dpsnap_sa *sa;
	uint8_t *p;

	if (!d)
		return NULL;
	sa = (struct dpsnap_sa *)(d + 1);
	p = (uint8_t *)(sa + g->nsa);
	d->src_ts = put(&p, g->src_ts, g->nsrc_ts * sizeof(*g->src_ts));
	d->dst_ts = put(&p, g->dst_ts, g->ndst_ts * sizeof(*g->dst_ts));
	d->name = put(&p, g->name, strlen(g->name) + 1);
	d->order = g->order;
	d->dir = g->dir;
	d->reqid = g->reqid;
	d->priority = g->priority;
	d->shunt = g->shunt;
	d->shunt_said = g->shunt_said;
	d->nsrc_ts = g->nsrc_ts;
	d->ndst_ts = g->ndst_ts;
	d->proto = g->proto;
	d->sport = g->sport;
	d->dport = g->dport;
	d->sa = g->nsa ? sa : NULL;
	d->nsa = g->nsa;
	for (unsigned k = 0; k < g->nsa; k++)
		copy_sa(&sa[k], g->sa[k], &p);
	return snap_new(d, len, SNAP_SECRET, release);
}

const struct dpsnap_group *dpsnap_group(const struct snap *s)
{
	return snap_data(s);
}
