/* mirror.c: the kernel's XFRM states and policies as last told (mirror.h).
 *
 * Each table is an array of records with a slot header beside each (its
 * key, whether it is live, the dump epoch that last saw it), a free list
 * of dead slots, and a hash index (util/hash.h) from xm_key_hash() to
 * slots.  The index never forgets an entry by itself: a lookup skips
 * entries whose slot is dead or holds another key, and the index is
 * rebuilt from the live slots once such stale entries outnumber them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "hash.h"
#include "mirror.h"

struct slot {
	struct xm_key key;
	uint64_t epoch;
	bool live;
};

struct ktab {
	uint64_t epoch;      /* the current dump's */
	unsigned char *rec;  /* cap records of @size bytes */
	size_t size, order_off;
	struct slot *slot;
	size_t n, cap;       /* slots in use (live or free), allocated */
	size_t *freel;
	size_t nfree;        /* the free list has room for cap entries */
	size_t nlive;
	struct hidx idx;
};

struct kmirror {
	struct ktab st, sp;
	bool (*keep_state)(void *arg, const struct xm_state *s);
	bool (*keep_policy)(void *arg, const struct xm_policy *p);
	void *keep_arg;
	uint64_t order;      /* the last order given */
	uint64_t gen, cgen;
};

static int tab_init(struct ktab *t, size_t size, size_t order_off)
{
	memset(t, 0, sizeof(*t));
	t->size = size;
	t->order_off = order_off;
	return hidx_init(&t->idx, 64);
}

static void tab_free(struct ktab *t)
{
	free(t->rec);
	free(t->slot);
	free(t->freel);
	hidx_free(&t->idx);
}

static void *tab_rec(const struct ktab *t, size_t i)
{
	return t->rec + i * t->size;
}

static size_t tab_find(const struct ktab *t, const struct xm_key *k)
{
	size_t pos = 0, v;
	uint64_t h = xm_key_hash(k);

	while (hidx_next(&t->idx, h, &pos, &v))
		if (t->slot[v].live && xm_key_equal(&t->slot[v].key, k))
			return v;
	return SIZE_MAX;
}

/* Build the index again from the live slots (stale entries gone). */
static int tab_reindex(struct ktab *t)
{
	struct hidx n;
	size_t i;

	if (hidx_init(&n, t->nlive + 64))
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		if (t->slot[i].live && hidx_put(&n, xm_key_hash(&t->slot[i].key), i)) {
			hidx_free(&n);
			return -ENOMEM;
		}
	}
	hidx_free(&t->idx);
	t->idx = n;
	return 0;
}

static int tab_grow(struct ktab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	unsigned char *rec;
	struct slot *slot;
	size_t *freel;

	rec = realloc(t->rec, cap * t->size);
	if (!rec)
		return -ENOMEM;
	t->rec = rec;
	slot = realloc(t->slot, cap * sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	t->slot = slot;
	freel = realloc(t->freel, cap * sizeof(*freel));
	if (!freel)
		return -ENOMEM;
	t->freel = freel;
	t->cap = cap;
	return 0;
}

/* Keep record @rec under key @k: replace the one with that key (its order
 * stays) or take a new slot (order *@order + 1).  1 when it is new, 0
 * when replaced, or -errno. */
static int tab_put(struct ktab *t, const struct xm_key *k, const void *rec, uint64_t *order,
		   size_t others)
{
	size_t i = tab_find(t, k);
	uint64_t ord;

	if (i != SIZE_MAX) {
		memcpy(&ord, (unsigned char *)tab_rec(t, i) + t->order_off, sizeof(ord));
		memcpy(tab_rec(t, i), rec, t->size);
		memcpy((unsigned char *)tab_rec(t, i) + t->order_off, &ord, sizeof(ord));
		t->slot[i].epoch = t->epoch;
		return 0;
	}
	if (t->nlive + others >= KM_MAX_OBJECTS)
		return -ENOSPC;
	if (t->nfree) {
		i = t->freel[--t->nfree];
	} else {
		if (t->n == t->cap && tab_grow(t))
			return -ENOMEM;
		i = t->n++;
	}
	if (hidx_put(&t->idx, xm_key_hash(k), i)) {
		t->freel[t->nfree++] = i;
		return -ENOMEM;
	}
	ord = ++*order;
	memcpy(tab_rec(t, i), rec, t->size);
	memcpy((unsigned char *)tab_rec(t, i) + t->order_off, &ord, sizeof(ord));
	t->slot[i] = (struct slot){ .key = *k, .epoch = t->epoch, .live = true };
	t->nlive++;
	return 1;
}

static void tab_kill(struct ktab *t, size_t i)
{
	t->slot[i].live = false;
	t->freel[t->nfree++] = i;
	t->nlive--;
	/* stale index entries: rebuild once they outnumber the live ones
	 * (a failed rebuild only leaves the index longer) */
	if (t->idx.n > 2 * t->nlive + 1024)
		tab_reindex(t);
}

static bool tab_del(struct ktab *t, const struct xm_key *k)
{
	size_t i = tab_find(t, k);

	if (i == SIZE_MAX)
		return false;
	tab_kill(t, i);
	return true;
}

static const void *tab_next(const struct ktab *t, size_t *pos)
{
	while (*pos < t->n) {
		size_t i = (*pos)++;

		if (t->slot[i].live)
			return tab_rec(t, i);
	}
	return NULL;
}

struct kmirror *kmirror_new(void)
{
	struct kmirror *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (tab_init(&m->st, sizeof(struct km_state), offsetof(struct km_state, order)) ||
	    tab_init(&m->sp, sizeof(struct km_policy), offsetof(struct km_policy, order))) {
		kmirror_free(m);
		return NULL;
	}
	return m;
}

void kmirror_free(struct kmirror *m)
{
	if (!m)
		return;
	tab_free(&m->st);
	tab_free(&m->sp);
	free(m);
}

/* States the kernel makes and drops without a word (mirror.h). */
static bool state_silent(const struct xm_state *s)
{
	return s->proto == IPPROTO_IPIP || s->proto == IPPROTO_IPV6 || !s->spi;
}

static void drop_keys(struct xm_state *s)
{
	s->crypt.key = NULL;
	s->auth.key = NULL;
	s->aead.key = NULL;
	s->comp.key = NULL;
}

/* Is @n state @o with only its counters moved (current lifetime,
 * statistics, replay counters, last use)?  Then the lines of the view stay
 * (a dump for fresh counters changes no object). */
static bool state_counters_only(const struct xm_state *o, const struct xm_state *n)
{
	struct xm_state t = *n;

	t.curlft = o->curlft;
	t.stats = o->stats;
	t.replay = o->replay;
	t.replay_esn.oseq = o->replay_esn.oseq;
	t.replay_esn.seq = o->replay_esn.seq;
	t.replay_esn.oseq_hi = o->replay_esn.oseq_hi;
	t.replay_esn.seq_hi = o->replay_esn.seq_hi;
	t.lastused = o->lastused;
	return memcmp(&t, o, sizeof(t)) == 0;
}

static bool policy_counters_only(const struct xm_policy *o, const struct xm_policy *n)
{
	struct xm_policy t = *n;

	t.curlft = o->curlft;
	return memcmp(&t, o, sizeof(t)) == 0;
}

void kmirror_set_filter(struct kmirror *m, bool (*keep_state)(void *arg, const struct xm_state *s),
			bool (*keep_policy)(void *arg, const struct xm_policy *p), void *arg)
{
	m->keep_state = keep_state;
	m->keep_policy = keep_policy;
	m->keep_arg = arg;
}

int kmirror_put_state(struct kmirror *m, const struct xm_state *s)
{
	const struct km_state *old;
	struct km_state r;
	bool same;
	struct xm_key k;
	int ret;

	if (state_silent(s))
		return 0;
	if (m->keep_state && !m->keep_state(m->keep_arg, s)) {
		kmirror_del_state(m, s);
		return 0;
	}
	r = (struct km_state){ .s = *s };
	drop_keys(&r.s);
	xm_state_key(s, &k);
	old = kmirror_find_state(m, &k);
	same = old && state_counters_only(&old->s, &r.s);
	ret = tab_put(&m->st, &k, &r, &m->order, m->sp.nlive);
	if (ret >= 0 && same)
		m->cgen++;
	else if (ret >= 0)
		m->gen++;
	return ret < 0 ? ret : 0;
}

int kmirror_put_policy(struct kmirror *m, const struct xm_policy *p)
{
	const struct km_policy *old;
	struct km_policy r;
	bool same;
	struct xm_key k;
	int ret;

	if (m->keep_policy && !m->keep_policy(m->keep_arg, p)) {
		kmirror_del_policy(m, p);
		return 0;
	}
	r = (struct km_policy){ .p = *p };
	xm_policy_key(p, &k);
	old = kmirror_find_policy(m, &k);
	same = old && policy_counters_only(&old->p, &r.p);
	ret = tab_put(&m->sp, &k, &r, &m->order, m->st.nlive);
	if (ret >= 0 && same)
		m->cgen++;
	else if (ret >= 0)
		m->gen++;
	return ret < 0 ? ret : 0;
}

bool kmirror_del_state(struct kmirror *m, const struct xm_state *s)
{
	struct xm_key k;

	xm_state_key(s, &k);
	if (!tab_del(&m->st, &k))
		return false;
	m->gen++;
	return true;
}

bool kmirror_del_policy(struct kmirror *m, const struct xm_policy *p)
{
	struct xm_key k;

	xm_policy_key(p, &k);
	if (!tab_del(&m->sp, &k))
		return false;
	m->gen++;
	return true;
}

/* NEWAE or a soft EXPIRE: the kept state's counters (an EXPIRE carries
 * the state's header, none of its algorithms: it replaces nothing else).
 * KM_COUNTERS, or 0 when not kept. */
static int counters(struct kmirror *m, const struct xm_msg *msg)
{
	struct xm_key k;
	struct km_state *r;
	size_t i;

	xm_state_key(&msg->sa, &k);
	i = tab_find(&m->st, &k);
	if (i == SIZE_MAX)
		return 0;
	r = tab_rec(&m->st, i);
	if (msg->type == XFRM_MSG_EXPIRE) {
		r->s.curlft = msg->sa.curlft;
		r->s.stats = msg->sa.stats;
		return KM_COUNTERS;
	}
	if (msg->ae_ltime)
		r->s.curlft = msg->sa.curlft;
	if (msg->sa.has_replay && r->s.has_replay)
		r->s.replay = msg->sa.replay;
	if (msg->sa.has_replay_esn && r->s.has_replay_esn) {
		r->s.replay_esn.oseq = msg->sa.replay_esn.oseq;
		r->s.replay_esn.seq = msg->sa.replay_esn.seq;
		r->s.replay_esn.oseq_hi = msg->sa.replay_esn.oseq_hi;
		r->s.replay_esn.seq_hi = msg->sa.replay_esn.seq_hi;
	}
	return KM_COUNTERS;
}

/* A state event. */
/*
 * UPDSA carries the request, not the result: XFRM's xfrm_state_update()
 * replaces a larval state whole, but of a valid one takes only the
 * lifetimes, the encapsulation and care-of address (when both have one),
 * the if_id (when set) and, for a protocol without SPI, the selector; its
 * algorithms and keys stay.  The mirror applies what the kernel applied.
 */
static int update_state(struct kmirror *m, const struct xm_state *s)
{
	const struct km_state *old;
	struct xm_state n;
	struct xm_key k;

	xm_state_key(s, &k);
	old = kmirror_find_state(m, &k);
	if (!old || !(old->s.crypt.present || old->s.aead.present || old->s.auth.present ||
		      old->s.comp.present))
		return kmirror_put_state(m, s);
	n = old->s;
	n.lft = s->lft;
	if (s->has_encap && n.has_encap)
		n.encap = s->encap;
	if (s->has_coaddr && n.has_coaddr)
		n.coaddr = s->coaddr;
	if (s->if_id)
		n.if_id = s->if_id;
	if (!s->spi)
		n.sel = s->sel;
	return kmirror_put_state(m, &n);
}

static int state_event(struct kmirror *m, const struct xm_msg *msg)
{
	int r;

	switch (msg->type) {
	case XFRM_MSG_NEWSA:
		r = kmirror_put_state(m, &msg->sa);
		return r < 0 ? r : KM_OBJECTS;
	case XFRM_MSG_UPDSA:
		r = update_state(m, &msg->sa);
		return r < 0 ? r : KM_OBJECTS;
	case XFRM_MSG_DELSA:
		return kmirror_del_state(m, &msg->sa) ? KM_OBJECTS : 0;
	case XFRM_MSG_EXPIRE:
		if (msg->hard) /* the kernel deletes it, without a DELSA */
			return kmirror_del_state(m, &msg->sa) ? KM_OBJECTS : 0;
		return counters(m, msg);
	default:
		return counters(m, msg);
	}
}

static int policy_event(struct kmirror *m, const struct xm_msg *msg)
{
	int r;

	switch (msg->type) {
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		r = kmirror_put_policy(m, &msg->sp);
		return r < 0 ? r : KM_OBJECTS;
	case XFRM_MSG_DELPOLICY:
		/* the kernel sends the whole policy; an id alone may name
		 * it by index (an empty selector): dump again */
		if (!msg->full)
			return KM_RESYNC;
		return kmirror_del_policy(m, &msg->sp) ? KM_OBJECTS : 0;
	default: /* POLEXPIRE: the kernel deletes it at the hard one */
		if (msg->hard)
			return kmirror_del_policy(m, &msg->sp) ? KM_OBJECTS : 0;
		return 0;
	}
}

static int event(struct kmirror *m, const struct xm_msg *msg)
{
	switch (msg->type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_DELSA:
	case XFRM_MSG_EXPIRE:
	case XFRM_MSG_NEWAE:
		return state_event(m, msg);
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
	case XFRM_MSG_DELPOLICY:
	case XFRM_MSG_POLEXPIRE:
		return policy_event(m, msg);
	case XFRM_MSG_FLUSHSA:
	case XFRM_MSG_FLUSHPOLICY:
		return KM_RESYNC;
	default:
		return 0;
	}
}

int kmirror_event(struct kmirror *m, const struct xm_msg *msg)
{
	int r = event(m, msg);

	if (r > 0 && (r & KM_COUNTERS))
		m->cgen++;
	return r;
}

void kmirror_load_begin(struct kmirror *m, bool policies)
{
	(policies ? &m->sp : &m->st)->epoch++;
}

void kmirror_load_end(struct kmirror *m, bool policies, bool complete)
{
	struct ktab *t = policies ? &m->sp : &m->st;
	size_t i;

	for (i = 0; complete && i < t->n; i++) {
		if (t->slot[i].live && t->slot[i].epoch != t->epoch) {
			tab_kill(t, i);
			m->gen++;
		}
	}
}

const struct km_state *kmirror_next_state(const struct kmirror *m, size_t *pos)
{
	return tab_next(&m->st, pos);
}

const struct km_policy *kmirror_next_policy(const struct kmirror *m, size_t *pos)
{
	return tab_next(&m->sp, pos);
}

const struct km_state *kmirror_find_state(const struct kmirror *m, const struct xm_key *k)
{
	size_t i = tab_find(&m->st, k);

	return i == SIZE_MAX ? NULL : tab_rec(&m->st, i);
}

const struct km_policy *kmirror_find_policy(const struct kmirror *m, const struct xm_key *k)
{
	size_t i = tab_find(&m->sp, k);

	return i == SIZE_MAX ? NULL : tab_rec(&m->sp, i);
}

size_t kmirror_nstates(const struct kmirror *m)
{
	return m->st.nlive;
}

size_t kmirror_npolicies(const struct kmirror *m)
{
	return m->sp.nlive;
}

static size_t tab_bytes(const struct ktab *t)
{
	return t->cap * (t->size + sizeof(struct slot) + sizeof(size_t)) +
	       t->idx.cap * (sizeof(uint64_t) + sizeof(size_t));
}

size_t kmirror_bytes(const struct kmirror *m)
{
	return sizeof(*m) + tab_bytes(&m->st) + tab_bytes(&m->sp);
}

uint64_t kmirror_gen(const struct kmirror *m)
{
	return m->gen;
}

uint64_t kmirror_counters_gen(const struct kmirror *m)
{
	return m->cgen;
}
