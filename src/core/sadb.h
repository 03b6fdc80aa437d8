/* sadb.h: SAs and SA groups (the KLIPS spigrp model): the desired model.
 *
 * Built from a struct cfg plus a "which addresses are local" callback; it
 * resolves directions, synthesizes tun SAs and validates what the config
 * asks for (placement wishes included, with place.h's rule).  Immutable
 * once built and given its reqids (reqid.h): what happened to a group at
 * run time (installed, refused, lost, where it was placed, counters) lives
 * in runtime.h's objects beside it, so a reload can hand them to the next
 * sadb.  No libnl, FUSE or socket header here; kern/, the view and the
 * status read it through this API.  Built and freed by the daemon's main
 * thread; other threads get snapshots (snap.h, dpsnap.h).
 */
#ifndef SPIGRP_SADB_H
#define SPIGRP_SADB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cfg.h"
#include "hash.h"
#include "said.h"

enum sadb_dir { SADB_DIR_NONE = 0, SADB_DIR_IN, SADB_DIR_OUT };

struct sadb_group;

struct sadb_sa {
	const struct cfg_sa *cfg;   /* borrowed from the struct cfg the sadb was
				       built from (see sadb_build()), keys
				       included: the cfg owns and wipes them; a
				       synthesized tun SA's is owned (cfg_owned) */
	enum sadb_dir dir;
	bool tunnel_mode;           /* follows a tun SA: this SA carries the
				       tun's outer header (tunnel mode) */
	bool cfg_owned;             /* cfg is ours (a tun made from mode = tunnel):
				       sadb_free() frees it */
	struct sadb_group *group;   /* the group holding it (every SA has one) */
	uint64_t hash;              /* of its SAID and parameters, keys excluded
				       (sadb_sa_equal() compares those): a
				       runtime SA is found again by it */
};

struct sadb_group {
	char *name;                 /* [group NAME], or the SAID text of an implicit one */
	unsigned line;
	size_t index;               /* its place in sadb.group[]: runtime.h's key */
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
	char *skip_reason;          /* dir NONE: why this host cannot run the
				       group (neither end local); else NULL */
	uint32_t reqid;             /* set by reqid_assign(); 0 until then */
	uint32_t priority;          /* configured exact priority, or 0 = computed */
	enum cfg_datapath want;     /* the config's wish: the group's own
				       datapath, else [daemon]'s (place.h
				       applies what XFRM can express) */
	bool want_daemon;           /* want came from [daemon] */
	uint64_t order;             /* creation order: the view's line order */
};

struct sadb {
	struct sadb_group **group;  /* in creation order */
	size_t ngroup;
	uint64_t next_order;
	struct hidx by_name;        /* group names -> index in group[] */
};

/* Callback: is @a an address of this host (network namespace)? */
typedef bool (*sadb_is_local_fn)(const struct ip_addr *a, void *arg);

/**
 * sadb_build() - build the model from a parsed config.
 * Resolves each SA's direction with @is_local (destination local: inbound;
 * source local: outbound; neither: the group cannot run here, skip_reason
 * says why; both: an error unless `dir` says), turns `mode = tunnel` on a
 * first SA into a tun SA with the same SPI, makes an implicit group for
 * every SA in no group, and checks: SA defined, SA in at most one group, one
 * direction per group, a tun's destination equals the next SA's, XFRM
 * expressibility (place_xfrm_expressible(): such a group goes to userspace;
 * an error when the group itself says datapath = kernel), selector
 * families, and two groups whose policies would share an XFRM policy key
 * (same direction and selectors: the kernel holds one).
 * Errors go to @errs as "FILE:LINE: text", sorted by line.
 * Groups are in view order: a [group] at the line of its section, an SA in
 * no group (implicit group named by its SAID in seed format) at the line of
 * its [sa]; `order` = `index` = position.  Shunt groups (%pass/%drop/%reject)
 * have no SAs and dir OUT (KLIPS eroutes act on outbound packets).
 * Lifetime: the sadb borrows from @c, it does not copy it.  Each SA's `cfg`
 * points at its cfg_sa in @c (keys included: they are not copied, and @c
 * wipes them), each group's src_ts/dst_ts at its cfg_group's arrays; only a
 * tun SA synthesized from `mode = tunnel` owns its cfg_sa.  So @c must
 * outlive the sadb: sadb_free() it before cfg_free(@c).  What must outlive
 * a cfg (a datapath's keys) is copied into a snapshot: dpsnap.h.
 * Return: a new sadb (reqids 0: see reqid_assign()), or NULL on errors.
 */
struct sadb *sadb_build(const struct cfg *c, sadb_is_local_fn is_local, void *arg,
			struct cfg_errors *errs);
void sadb_free(struct sadb *db); /* before its cfg is freed; NULL is a no-op */

/* The lines of a config that sadb_build_lines() found errors at, one per
 * error (in the errors' order); free(line). */
struct sadb_lines {
	unsigned *line;
	size_t n;
};

/**
 * sadb_build_lines() - sadb_build(), and when it fails the line of each
 * error in @bad (when not NULL): the caller can tell the runtime objects
 * at fault (cfg.rt_line and after) and build again without them.
 */
struct sadb *sadb_build_lines(const struct cfg *c, sadb_is_local_fn is_local, void *arg,
			      struct cfg_errors *errs, struct sadb_lines *bad);

/* The group named @name (hash lookup), or NULL.  Borrowed: valid as long as
 * @db. */
struct sadb_group *sadb_find_group(const struct sadb *db, const char *name);
/* The SA with this SAID (either spelling), or NULL.  Borrowed.  A scan: for
 * requests, not for loops over groups. */
struct sadb_sa *sadb_find_sa(const struct sadb *db, const struct said *s);

/* True when @a and @b would produce the same kernel objects (name, SAs,
 * keys, algorithms, lifetimes, selectors, direction, reqid, placement
 * wish): a reload leaves such a group alone.  Keys compare in constant
 * time. */
bool sadb_group_equal(const struct sadb_group *a, const struct sadb_group *b);
/* True when @a and @b are the same SA: SAID, addresses, direction, mode,
 * algorithms, keys (constant time), lifetimes, replay settings. */
bool sadb_sa_equal(const struct sadb_sa *a, const struct sadb_sa *b);

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

const char *sadb_dir_name(enum sadb_dir d);

/* Does @g install inbound policies (an inbound group, or a shunt)?  An
 * implicit group has no policy. */
bool sadb_inbound(const struct sadb_group *g);

/**
 * sadb_ts_overlap() - could one packet match the selectors of both @a and
 * @b: a src-ts prefix of each overlapping (one holds the other), a dst-ts
 * prefix of each too, protocol and ports equal or "any" on one side?
 * Direction is the caller's business (sadb_inbound()).  On true, *@src and
 * *@dst (each may be NULL) name the narrower prefix of each overlapping
 * pair.  Pure (sadb_overlap.c).
 */
bool sadb_ts_overlap(const struct sadb_group *a, const struct sadb_group *b,
		     const struct ip_prefix **src, const struct ip_prefix **dst);

/* Do @a and @b have a dst-ts prefix in common (equal)?  *@dst (may be
 * NULL): that prefix. */
bool sadb_same_dst_ts(const struct sadb_group *a, const struct sadb_group *b,
		      const struct ip_prefix **dst);

#endif
