/* runtime.h: what the daemon knows about its groups and SAs at run time,
 * beside the desired model (sadb.h): per group its state (installed,
 * refused, skipped, lost, pending), the placement chosen and the reasons;
 * per SA its counters and, in the userspace datapath, its live object
 * (salive.h: counters, outbound sequence number, replay window).
 *
 * A runtime belongs to one sadb: group[i] is the runtime of the sadb's
 * group[i] (sadb_group.index).  A reload or an address change builds a new
 * sadb and rt_handover() moves the objects across by identity: a group by
 * its name (the sadb's hash index, never a scan) when sadb_group_equal()
 * says nothing changed, so it keeps its state; an SA of a changed group by
 * its SAID and parameter hash (sadb_sa.hash, then sadb_sa_equal()), so it
 * keeps its counters.  Objects move by pointer: a datapath thread holding
 * one never sees it copied.  Owned and changed by the main thread; pure (no
 * I/O, no logging).
 */
#ifndef SPIGRP_RUNTIME_H
#define SPIGRP_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "place.h"
#include "reason.h"

struct sa_live;
struct sadb;
struct sadb_group;
struct snap;

/* Per-SA counters, as the kernel (or our datapath) reports them. */
struct sa_counters {
	uint64_t bytes, packets;
	uint32_t replay_window_errs, replay_errs, integrity_errs;
	uint64_t add_time; /* seconds since the epoch */
	uint64_t oseq;     /* outbound: the last sequence number sent (the
			      next packet gets one more); 0: none, or unknown */
	uint64_t iseq;     /* inbound: the highest sequence number accepted
			      (the top of the anti-replay window); 0: none */
};

enum rt_state {
	RT_PENDING = 0, /* not (yet) installed */
	RT_INSTALLED,   /* in the kernel (or userspace datapath): in the view */
	RT_REFUSED,     /* the kernel refused it; the reason says why */
	RT_SKIPPED,     /* neither end is local, or no datapath can take it */
	RT_LOST,        /* was installed, then deleted or expired behind our back */
};

/* One SA at run time. */
struct rt_sa {
	struct sa_counters ctr;
	struct sa_live *live;     /* the userspace datapath's object of the SA
				     (salive.h): one reference, taken when the
				     SA is first placed in userspace and kept
				     (with its counters, sequence number and
				     window) as long as this object; NULL
				     before.  The datapath's tables hold their
				     own references. */
};

/* One group at run time.  The placement's reason is not stored (it is
 * most of the time one of a few fixed texts): rt_place_why() makes it from
 * the verdict kept here. */
struct rt_group {
	enum rt_state state;
	enum place_where place;   /* chosen (or, before the first attempt, the
				     provisional place_provisional()) */
	bool probed;              /* the kernel was asked where to place it ... */
	int probe_err;            /* ... and said 0 or -errno ... */
	char *probe_text;         /* ... with this text (malloc'ed), or NULL */
	struct reason why;        /* the state's reason; "" = none */
	struct rt_sa *sa[CFG_MAX_GROUP_SAS + 1]; /* sa[k]: the group's sa[k] */
	unsigned nsa;
	struct snap *dp;          /* userspace placement: the datapath's
				     snapshot of the group (dpsnap.h), or NULL */
};

struct runtime {
	struct rt_group **group;  /* group[i]: the sadb's group[i]; NULL once
				     handed over */
	size_t n;
};

/**
 * rt_new() - fresh runtime objects for every group of @db: PENDING (SKIPPED
 * with the sadb's skip_reason when no end is local), placed provisionally
 * (place_provisional(), not probed), counters 0.
 * Return: the runtime (free with rt_free()), or NULL when out of memory.
 */
struct runtime *rt_new(const struct sadb *db);
/* Free @rt and every object still in it (snapshots put).  NULL is a no-op. */
void rt_free(struct runtime *rt);

/* The runtime of @g (a group of the sadb @rt belongs to).  Borrowed. */
struct rt_group *rt_of(const struct runtime *rt, const struct sadb_group *g);

/**
 * rt_handover() - the runtime of @ndb, taking over @old's objects (@old
 * belongs to @odb): every group of @ndb whose name @odb holds and that is
 * sadb_group_equal() to it gets that group's object, state, reasons,
 * counters and snapshot included; the SAs of the other groups get the
 * object of an SA of @odb's that changed groups held when sadb_sa_equal();
 * everything else is fresh (as rt_new()).  What moved is NULL in @old
 * afterwards: what is left there is the runtime of groups that changed or
 * went (the caller removes them from the kernel, then rt_free()s @old).
 * O(groups): hash lookups only.  @kept (may be NULL) counts groups taken
 * over.
 * Return: the new runtime, or NULL when out of memory (@old unchanged).
 */
struct runtime *rt_handover(struct runtime *old, const struct sadb *odb, const struct sadb *ndb,
			    size_t *kept);

/* Make @r (of @g) what rt_new() would: PENDING (or SKIPPED), provisional
 * placement; its SAs' objects and its snapshot stay. */
void rt_reset(struct rt_group *r, const struct sadb_group *g);

/* Keep the placement @v of @r.  0, or -ENOMEM (the text is dropped). */
int rt_set_placement(struct rt_group *r, const struct place_verdict *v);
/* The placement's reason of @r (the runtime of @g): place_why(). */
void rt_place_why(const struct rt_group *r, const struct sadb_group *g, struct reason *why);

/* Set @r's state and reason (@fmt NULL: no reason). */
void rt_set_state(struct rt_group *r, enum rt_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

const char *rt_state_name(enum rt_state st); /* "installed", ... */

#endif
