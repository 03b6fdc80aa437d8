/* dpsnap.h: what a userspace datapath thread needs of one group, as an
 * immutable snapshot (snap.h) that owns everything it holds.
 *
 * A group's SAs (SAID, direction, mode, algorithms, replay and lifetime
 * settings) and selectors are copied out of the sadb, and the keys out of
 * the struct cfg, into one block; the snapshot is made with SNAP_SECRET,
 * so the key bytes are wiped (OPENSSL_cleanse) when the last reference
 * goes.  A reload frees the cfg and the sadb; a thread holding the
 * snapshot keeps valid keys until it puts it.  Algorithm descriptors point
 * into the static alg_table.  Pure: no I/O.
 */
#ifndef SPIGRP_DPSNAP_H
#define SPIGRP_DPSNAP_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "sadb.h"

struct snap;

struct dpsnap_sa {
	struct said said;
	struct ip_addr src;
	enum sadb_dir dir;
	bool tunnel_mode;
	const struct alg_desc *enc, *auth, *comp; /* NULL when none */
	const uint8_t *enckey, *authkey;          /* inside the snapshot, or NULL */
	size_t enckey_len, authkey_len;           /* bytes */
	uint32_t replay_window;                   /* packets */
	bool esn;
	unsigned ah_align;
	struct cfg_life life;
};

struct dpsnap_group {
	const char *name;                         /* inside the snapshot */
	uint64_t order;
	enum sadb_dir dir;
	uint32_t reqid;
	uint32_t priority;                        /* configured, or 0 = computed */
	bool shunt;
	struct said shunt_said;
	const struct ip_prefix *src_ts, *dst_ts;  /* inside the snapshot */
	unsigned nsrc_ts, ndst_ts;
	uint8_t proto;
	uint16_t sport, dport;                    /* host order */
	const struct dpsnap_sa *sa;               /* nsa of them, inside -> outside,
						     tun included; inside the snapshot */
	unsigned nsa;
};

/**
 * dpsnap_build() - a snapshot of @g (borrowed: read now, not kept), keys
 * copied into locked memory excluded from core dumps: OpenSSL's secure
 * heap (CRYPTO_secure_malloc_init(DPSNAP_SECURE_HEAP) on first use, if
 * the process has not set one up), else pages of its own (mlock,
 * MADV_DONTDUMP).  @release, when not NULL, is called with the block once
 * wiped, just before dpsnap frees it (tests look at the wiped bytes; it
 * must not free them).
 * Return: the snapshot with one reference, or NULL when out of memory.
 */
#define DPSNAP_SECURE_HEAP (4u << 20) /* bytes: about 2,500 four-SA groups */
#define DPSNAP_SECURE_MIN 64u         /* smallest secure heap block */
struct snap *dpsnap_build(const struct sadb_group *g, void (*release)(void *data, size_t len));

/* Is @s's block in OpenSSL's secure heap?  (For tests and the status.) */
bool dpsnap_locked(const struct snap *s);

/* The group in snapshot @s (valid while a reference is held). */
const struct dpsnap_group *dpsnap_group(const struct snap *s);

#endif
