/* dpsnap.c: one group as a self-contained datapath snapshot (dpsnap.h).
 * Layout of the one block: struct dpsnap_group, its SAs, its selectors,
 * then the name and the key bytes that the pointers point at; behind the
 * snapshot's bytes, the release hook (outside what snap.c wipes).
 *
 * The block holds keys, so it lives in locked memory that core dumps
 * leave out: OpenSSL's secure heap (mmap'ed, mlock'ed, MADV_DONTDUMP,
 * guard pages), set up here on first use with DPSNAP_SECURE_HEAP bytes;
 * when that is full, pages of its own with the same protections. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/crypto.h>

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

typedef void (*release_fn)(void *data, size_t len);

static size_t pages(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (len + pg - 1) / pg * pg;
}

/* @len zeroed bytes of locked, undumped memory, or NULL. */
static void *block_alloc(size_t len)
{
	void *p;

	if (!CRYPTO_secure_malloc_initialized())
		(void)CRYPTO_secure_malloc_init(DPSNAP_SECURE_HEAP, DPSNAP_SECURE_MIN);
	if (CRYPTO_secure_malloc_initialized()) {
		p = CRYPTO_secure_zalloc(len, OPENSSL_FILE, OPENSSL_LINE);
		if (p)
			return p;
	}
	p = mmap(NULL, pages(len), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, pages(len), MADV_DONTDUMP);
	(void)mlock(p, pages(len)); /* best effort: RLIMIT_MEMLOCK */
	return p;
}

static void block_free(void *p, size_t len)
{
	if (CRYPTO_secure_allocated(p)) {
		CRYPTO_secure_clear_free(p, len, OPENSSL_FILE, OPENSSL_LINE);
	} else {
		OPENSSL_cleanse(p, len);
		munlock(p, pages(len));
		munmap(p, pages(len));
	}
}

/* snap.c's free_data: the caller's hook looks (the bytes are wiped by
 * now), then the block goes back where it came from. */
static void release_block(void *data, size_t len)
{
	release_fn hook;

	memcpy(&hook, (uint8_t *)data + len, sizeof(hook));
	if (hook)
		hook(data, len);
	block_free(data, len + sizeof(hook));
}

bool dpsnap_locked(const struct snap *s)
{
	return CRYPTO_secure_allocated(snap_data(s));
}

struct snap *dpsnap_build(const struct sadb_group *g, void (*release)(void *data, size_t len))
{
	size_t len = block_size(g);
	struct dpsnap_group *d = block_alloc(len + sizeof(release_fn));
	struct dpsnap_sa *sa;
	uint8_t *p;

	if (!d)
		return NULL;
	memcpy((uint8_t *)d + len, &release, sizeof(release));
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
	return snap_new(d, len, SNAP_SECRET, release_block);
}

const struct dpsnap_group *dpsnap_group(const struct snap *s)
{
	return snap_data(s);
}
