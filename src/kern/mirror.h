/* mirror.h: the XFRM states and policies of the network namespace (every
 * one, or those a filter keeps: the daemon keeps the foreign ones), as the
 * kernel last told us: kept from one dump plus the events
 * (NEWSA, UPDSA, DELSA, EXPIRE, NEWPOLICY, UPDPOLICY, DELPOLICY, POLEXPIRE,
 * NEWAE; a flush or an event it cannot follow asks for a new dump).
 *
 * Pure: no socket, no logging.  xfrm.c feeds it (the dumps and the events
 * it reads) and tells it which objects to keep (kmirror_set_filter(): the
 * daemon keeps the foreign ones); kderive.h turns them into the KLIPS
 * view.  Objects are parsed messages (xfrm_msg.h) with every key
 * pointer cleared: the mirror holds no key bytes.  The kernel-made helper
 * states (proto IPIP/IPv6, reqid 0, made with IPComp tunnels) and larval
 * states without an SPI come and go without events: they are not kept.
 *
 * Hash tables keyed as the kernel keys its tables (xm_state_key(),
 * xm_policy_key()): no scan per event.  At most KM_MAX_OBJECTS objects
 * (then -ENOSPC).  Main thread only.
 */
#ifndef SPIGRP_MIRROR_H
#define SPIGRP_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfrm_msg.h"

#define KM_MAX_OBJECTS (1u << 21) /* states + policies kept, at most */

/* What an event changed (a mask). */
#define KM_OBJECTS 1  /* a state or policy appeared, changed or went */
#define KM_COUNTERS 2 /* only counters or current lifetimes (NEWAE, soft expiry) */
#define KM_RESYNC 4   /* the mirror cannot follow (a flush, a delete by index,
			  a full table): dump again (kmirror_load_begin()) */

/* A kept state / policy, read-only for the caller.  @order grows with
 * every object that appears (kept across a new dump of the same object):
 * the order in which this daemon first saw them. */
struct km_state {
	struct xm_state s;
	uint64_t order;
};
struct km_policy {
	struct xm_policy p;
	uint64_t order;
};

struct kmirror;

/* An empty mirror, or NULL (no memory). */
struct kmirror *kmirror_new(void);
void kmirror_free(struct kmirror *m); /* NULL is a no-op */

/**
 * kmirror_set_filter() - keep only the states and policies @keep_state and
 * @keep_policy (either NULL: all) say yes to; an object replaced by one
 * they refuse is forgotten.  The daemon keeps foreign objects only: its
 * own are rendered from its model, and at 100,000 groups a copy of each
 * would cost more than the rest of the daemon.
 */
void kmirror_set_filter(struct kmirror *m, bool (*keep_state)(void *arg, const struct xm_state *s),
			bool (*keep_policy)(void *arg, const struct xm_policy *p), void *arg);

/**
 * kmirror_event() - apply event @msg (any XFRM message xm_parse() read
 * from the event socket, or a dump reply: NEWSA / NEWPOLICY).  An UPDSA
 * of a state that has its algorithms changes only what XFRM changes
 * (lifetimes, encapsulation, care-of address, if_id): the event carries
 * the request, whose algorithms and keys the kernel ignored.  A delete
 * or hard expiry of an object not kept is nothing; ACQUIRE and other
 * types change nothing (the caller logs ACQUIREs).
 * Return: a mask of KM_*, or -ENOMEM / -ENOSPC (the mirror missed an
 * object: dump again).
 */
int kmirror_event(struct kmirror *m, const struct xm_msg *msg);

/* Keep @s / @p (copied without keys; nothing when the filter refuses it,
 * and the object it replaces is forgotten).  0, -ENOMEM or -ENOSPC. */
int kmirror_put_state(struct kmirror *m, const struct xm_state *s);
int kmirror_put_policy(struct kmirror *m, const struct xm_policy *p);
/* Forget the object with @s's / @p's key.  True when it was kept. */
bool kmirror_del_state(struct kmirror *m, const struct xm_state *s);
bool kmirror_del_policy(struct kmirror *m, const struct xm_policy *p);

/**
 * kmirror_load_begin() - a new dump of the SAD (@policies false) or the
 * SPD starts (call it again when the dump is restarted); kmirror_event()
 * its replies; kmirror_load_end() then forgets every object of that table
 * the dump did not hold (@complete false: the dump failed, nothing is
 * forgotten).  An object already kept keeps its order.
 */
void kmirror_load_begin(struct kmirror *m, bool policies);
void kmirror_load_end(struct kmirror *m, bool policies, bool complete);

/* Iterate: start with *@pos = 0; NULL after the last.  Any change to the
 * mirror ends an iteration. */
const struct km_state *kmirror_next_state(const struct kmirror *m, size_t *pos);
const struct km_policy *kmirror_next_policy(const struct kmirror *m, size_t *pos);

/* The state with key @k (xm_state_key()), or NULL. */
const struct km_state *kmirror_find_state(const struct kmirror *m, const struct xm_key *k);
const struct km_policy *kmirror_find_policy(const struct kmirror *m, const struct xm_key *k);

size_t kmirror_nstates(const struct kmirror *m);
size_t kmirror_npolicies(const struct kmirror *m);
/* Bytes the mirror holds (tables and indexes), for the status. */
size_t kmirror_bytes(const struct kmirror *m);
/* Bumped by every change of an object (not counters). */
uint64_t kmirror_gen(const struct kmirror *m);
/* Bumped by every change of counters only (KM_COUNTERS; an object put
 * again with nothing but its counters moved, as a dump for fresh counters
 * puts them, changes only this one). */
uint64_t kmirror_counters_gen(const struct kmirror *m);

#endif
