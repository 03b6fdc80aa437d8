/* sadb.h: SAs and SA groups (the KLIPS spigrp model), the daemon's one model.
 *
 * Built from a struct cfg plus a "which addresses are local" callback; it
 * resolves directions, synthesizes tun SAs, validates what XFRM cannot
 * express, and carries per-group placement, reqid, install state and
 * counters.  No libnl, FUSE or socket header here: xfrm.c, the view and the
 * control socket read and change it through this API.  Owned and changed by
 * the daemon's main thread only; other threads get rendered snapshots.
 */
#ifndef SPIGRP_SADB_H
#define SPIGRP_SADB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cfg.h"
#include "said.h"

/* Our XFRM ownership tags (DESIGN.md decision 4). */
#define SADB_REQID_BASE 0x53400000u /* our reqid band, 0x53400000- ... */
#define SADB_REQID_COUNT 0x100000u  /* ... 0x534fffff: 2^20 reqids */
#define SADB_PRIO_BASE 1000000u     /* policy priorities >= this are ours
				       (charon uses ~68,000..600,000) */
#define SADB_PRIO_MAX 1999999u

enum sadb_dir { SADB_DIR_NONE = 0, SADB_DIR_IN, SADB_DIR_OUT };
enum sadb_place { SADB_PLACE_KERNEL = 0, SADB_PLACE_USERSPACE };
enum sadb_state {
	SADB_PENDING = 0, /* not (yet) installed */
	SADB_INSTALLED,   /* in the kernel (or userspace datapath): in the view */
	SADB_REFUSED,     /* the kernel refused it; reason says why */
	SADB_SKIPPED,     /* neither end is local, or no datapath can take it */
	SADB_LOST,        /* was installed, then deleted or expired behind our back */
};

/* Per-SA counters, as the kernel (or our datapath) reports them. */
struct sadb_counters {
	uint64_t bytes, packets;
	uint32_t replay_window_errs, replay_errs, integrity_errs;
	uint64_t add_time; /* seconds since the epoch */
};

struct sadb_group;

struct sadb_sa {
	const struct cfg_sa *cfg;   /* borrowed from the struct cfg the sadb was
				       built from (see sadb_build()), keys
				       included: the cfg owns and wipes them; a
				       synthesized tun SA's is owned (cfg_owned) */
	enum sadb_dir dir;
	bool xfrm_tunnel;           /* follows a tun SA: tunnel mode in XFRM */
	bool cfg_owned;             /* cfg is ours (a tun made from mode = tunnel):
				       sadb_free() frees it */
	struct sadb_group *group;   /* the group holding it (every SA has one) */
	struct sadb_counters ctr;
};

struct sadb_group {
	char *name;                 /* [group NAME], or the SAID text of an implicit one */
	unsigned line;
	bool implicit;              /* an SA in no [group]: a line of its own, no policy */
	struct sadb_sa *sa[CFG_MAX_GROUP_SAS + 1]; /* inside -> outside, tun included */
	unsigned nsa;
	bool shunt;                 /* said = %pass/%drop/%reject: policy, no state */
	struct said shunt_said;
	const struct ip_prefix *src_ts, *dst_ts; /* borrowed: the [group]'s cfg_group
					    arrays (NULL with no prefixes) */
	unsigned nsrc_ts, ndst_ts;
	uint8_t proto;
	uint16_t sport, dport;
	enum sadb_dir dir;
	uint32_t reqid;             /* in our band; 0 until assigned */
	uint32_t priority;          /* configured exact priority, or 0 = computed */
	enum cfg_datapath want;     /* resolved: never CFG_DP_AUTO after placement */
	enum sadb_place place;
	char place_reason[160];
	enum sadb_state state;
	char state_reason[256];
	uint64_t order;             /* creation order: the view's line order */
};

struct sadb {
	struct sadb_group **group;  /* in creation order */
	size_t ngroup;
	uint64_t next_order;
};

/* Callback: is @a an address of this host (network namespace)? */
typedef bool (*sadb_is_local_fn)(const struct ip_addr *a, void *arg);

/**
 * sadb_build() - build the model from a parsed config.
 * Resolves each SA's direction with @is_local (destination local: inbound;
 * source local: outbound; neither: the group is SKIPPED with a reason; both:
 * an error unless `dir` says), turns `mode = tunnel` on a first SA into a tun
 * SA with the same SPI, makes an implicit group for every SA in no group, and
 * checks: SA defined, SA in at most one group, one direction per group,
 * a tun's destination equals the next SA's, XFRM expressibility (a group
 * that is only tun, ends in tun or has two tuns in a row goes to userspace),
 * selector families, and two groups whose policies would share an XFRM
 * policy key (same direction and selectors: the kernel holds one).
 * Errors go to @errs as "FILE:LINE: text", sorted by line.
 * Groups are in view order: a [group] at the line of its section, an SA in
 * no group (implicit group named by its SAID in seed format) at the line of
 * its [sa]; `order` = index.  Shunt groups (%pass/%drop/%reject) have no SAs
 * and dir OUT (KLIPS eroutes act on outbound packets).  `want` stays AUTO
 * when the config says auto; an inexpressible group is USERSPACE (an error
 * when the group itself says datapath = kernel).
 * Lifetime: the sadb borrows from @c, it does not copy it.  Each SA's `cfg`
 * points at its cfg_sa in @c (keys included: they are not copied, and @c
 * wipes them), each group's src_ts/dst_ts at its cfg_group's arrays; only a
 * tun SA synthesized from `mode = tunnel` owns its cfg_sa.  So @c must
 * outlive the sadb: sadb_free() it before cfg_free(@c).
 * Return: a new sadb (all groups PENDING or SKIPPED), or NULL on errors.
 */
struct sadb *sadb_build(const struct cfg *c, sadb_is_local_fn is_local, void *arg,
			struct cfg_errors *errs);
void sadb_free(struct sadb *db); /* before its cfg is freed; NULL is a no-op */

struct sadb_group *sadb_find_group(const struct sadb *db, const char *name);
/* The SA with this SAID (either spelling), or NULL.  Borrowed. */
struct sadb_sa *sadb_find_sa(const struct sadb *db, const struct said *s);

/* True when @a and @b would produce the same kernel objects (SAs, keys,
 * algorithms, lifetimes, selectors, direction, placement wish): a reload
 * leaves such a group alone. */
bool sadb_group_equal(const struct sadb_group *a, const struct sadb_group *b);

/**
 * sadb_assign_reqids() - give every group a reqid in our band, stable
 * across restarts and reordering: a group keeps the reqid stored for its name
 * in @path (one "REQID NAME" line each: REQID as 0x hex or decimal; bad lines,
 * reqids outside the band and repeated names/reqids are ignored); new names
 * get the lowest reqid no line holds and the file is rewritten (temp file +
 * rename, mode 0600), only when a name was added.  Lines of names no longer
 * configured are kept (a reqid is not reused while its line is there).  A
 * NULL @path only assigns.
 * Return: 0, or -errno from the file (the reqids are assigned anyway;
 * -ENOSPC when the band is full: those groups keep reqid 0).
 */
int sadb_assign_reqids(struct sadb *db, const char *path);

/**
 * sadb_policy_priority() - the XFRM policy priority for one selector pair of
 * @g: the configured `priority`, or SADB_PRIO_BASE + 0x10100 minus 256 per
 * prefix bit of @src and @dst, minus 128 with a `proto`, minus 64 with a
 * port (more specific selectors win, as charon's formula); always within
 * SADB_PRIO_BASE + 64 .. SADB_PRIO_BASE + 0x10100.
 */
uint32_t sadb_policy_priority(const struct sadb_group *g, const struct ip_prefix *src,
			      const struct ip_prefix *dst);

void sadb_set_state(struct sadb_group *g, enum sadb_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * sadb_print_config() - write the canonical config (spigrpd -n) to @out:
 * [daemon] with every setting (defaults included), then the sections in the
 * view's order: per group its [sa] sections (file order) and then its
 * [group]; an SA in no group where its line puts it.  Each [sa] has a comment
 * line giving its direction on this host and why, keys printed as <hidden>,
 * tun SAs written out explicitly (mode = tunnel shorthand expanded).  The
 * output parses back to an equal model (keys aside), same order included,
 * and printing that again gives the same text.
 */
void sadb_print_config(const struct sadb *db, const struct cfg *c, FILE *out);

const char *sadb_state_name(enum sadb_state st);
const char *sadb_dir_name(enum sadb_dir d);

#endif
