/* xfrm.h: sadb groups -> kernel XFRM states and policies (libnl-xfrm), and
 * back: start-up adoption of our leftovers, events for objects deleted or
 * expired behind our back, counters.  The only module that talks NETLINK_XFRM.
 *
 * Mapping (spec/xfrm-notes.md §1): one state per ESP/AH/COMP SA, all with the
 * group's reqid; a tun SA becomes tunnel mode on the next SA; policies out
 * (outbound group) or in + fwd (inbound group), templates in group order,
 * COMP optional on in/fwd.  Lifetimes default to XFRM_INF, template algorithm
 * masks to ~0.  Never flushes; touches only objects of ours: states and
 * templated policies by our reqid band, template-less (shunt) policies only
 * when in our priority band AND recorded as installed by us (see
 * xfrm_set_state_dir()).
 */
#ifndef SPIGRP_XFRM_H
#define SPIGRP_XFRM_H

#include <stdbool.h>
#include <stddef.h>
#include "reason.h"
#include "runtime.h"
#include "sadb.h"

struct xfrm;
struct nl_msg;

/* Our XFRM ownership tags (DESIGN.md decision 4).  (Stand-in in this tree
 * for kern/xfrm_own.h: XFRM-only, out of sadb.h.) */
#define XFRM_REQID_BASE 0x53400000u /* our reqid band, 0x53400000- ... */
#define XFRM_REQID_COUNT 0x100000u  /* ... 0x534fffff: 2^20 reqids */
#define XFRM_PRIO_BASE 1000000u     /* policy priorities >= this are ours
				       (charon uses ~68,000..600,000) */
#define XFRM_PRIO_MAX 1999999u

/**
 * xfrm_policy_priority() - the XFRM policy priority for one selector pair of
 * @g: the configured `priority`, or XFRM_PRIO_BASE + 0x10100 minus 256 per
 * prefix bit of @src and @dst, minus 128 with a `proto`, minus 64 with a
 * port (more specific selectors win, as charon's formula); always within
 * XFRM_PRIO_BASE + 64 .. XFRM_PRIO_BASE + 0x10100.
 */
uint32_t xfrm_policy_priority(const struct sadb_group *g, const struct ip_prefix *src,
			      const struct ip_prefix *dst);

/* The daemon's answers about runtime state (the sadb holds none). */
struct xfrm_owner {
	void *arg;
	bool (*wants_kernel)(void *arg, const struct sadb_group *g); /* placed in the kernel */
	bool (*installed)(void *arg, const struct sadb_group *g);    /* installed now */
	void (*adopted)(void *arg, const struct sadb_group *g);      /* adopt: objects matched */
	void (*lost)(void *arg, const struct sadb_group *g, const struct reason *why);
};

/* One netlink request of a group plan, in send order (states first, then
 * in/fwd policies, out last).  Pure data: built without a socket. */
struct xfrm_plan {
	struct nl_msg **msg;  /* XFRM_MSG_NEWSA / XFRM_MSG_NEWPOLICY requests */
	size_t nmsg;
};

/**
 * xfrm_plan_group() - build the NEWSA/NEWPOLICY requests for @g (no kernel).
 * Messages holding keys are wiped by xfrm_plan_free().
 * Return: 0, -EINVAL (group not expressible in XFRM, reason in @err),
 * -ENOMEM.
 */
int xfrm_plan_group(const struct sadb_group *g, struct xfrm_plan *plan, char *err, size_t errlen);
void xfrm_plan_free(struct xfrm_plan *plan);

/**
 * xfrm_open() - open the request and event netlink sockets (NETLINK_XFRM,
 * extended ACKs on) in the caller's network namespace.
 * Return: 0, or -errno (-EPROTONOSUPPORT: no XFRM netlink in this kernel).
 */
int xfrm_open(struct xfrm **out);
void xfrm_close(struct xfrm *x);

/**
 * xfrm_set_state_dir() - where to keep the record of the template-less
 * (shunt) policies we install: @dir/shunts (a journal of lines, rewritten
 * atomically with mode 0600; @dir is created, mkdir -p, when first written).
 * A template-less policy carries no reqid, so only this record tells ours
 * from someone else's with a priority in our band: xfrm_adopt() removes
 * recorded leftovers that are stale and leaves unrecorded ones alone.  The
 * record is tied to the network namespace and boot; a missing or unreadable
 * file, one from another namespace or boot, and bad lines record nothing.
 * Call it once, after xfrm_open() and before xfrm_adopt(); @dir is copied
 * (NULL: keep the record in memory only).  Write errors are logged once,
 * never fatal.
 */
void xfrm_set_state_dir(struct xfrm *x, const char *dir);

/**
 * xfrm_probe_group() - can this kernel hold @g?  A trial add of every state
 * in a throw-away network namespace (module autoload and crypto are global,
 * the SAD per namespace, so nothing of ours or charon's is touched).
 * Return: 0 yes; -EPROTONOSUPPORT (transform type missing), -ENOSYS/-ENOENT
 * (algorithm missing), other -errno; the kernel's text in @reason.
 */
int xfrm_probe_group(struct xfrm *x, const struct sadb_group *g, struct reason *why);

/**
 * xfrm_install_group() - add @g's states, then policies (all or nothing: on
 * any failure everything of @g added so far is deleted again).  A foreign
 * object with the same key (state: daddr+SPI+proto; policy: selector+dir+mark)
 * refuses the group.  The kernel's errno and extended-ACK text go to @why.
 * Not logged: the caller logs.  Return: 0 or -errno.
 */
int xfrm_install_group(struct xfrm *x, const struct sadb_group *g, struct reason *why);

/* Delete @g's policies (out first), then states.  Missing objects are not an
 * error.  Return: 0 or the first -errno. */
int xfrm_remove_group(struct xfrm *x, const struct sadb_group *g);

/**
 * xfrm_adopt() - start-up sync: dump SAD and SPD once; for each group of @db
 * that @o wants in the kernel and that is not installed, whose kernel
 * objects (ours: reqid band, or for template-less policies priority band
 * plus the shunt record) match its plan exactly, call @o->adopted() without
 * sending anything; delete every other object in our band (stale
 * leftovers, or partial/mismatching groups, which are then installed anew
 * by the caller).  Foreign objects are never touched.
 * Return: number of adopted groups, or -errno.
 */
int xfrm_adopt(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o);

/* The event socket (SA/policy/expire groups), for poll(). */
int xfrm_event_fd(struct xfrm *x);

/**
 * xfrm_process_events() - read pending events; a state or policy of a group
 * @o says is installed that was deleted, flushed or hard-expired: its
 * remaining objects are removed and @o->lost() is called with the reason.
 * Return: number of groups lost, or -errno.
 */
int xfrm_process_events(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o);

/* Fill @ctr[i] for every SA @g->sa[i] from the kernel (XFRM_MSG_GETSA; a tun
 * SA gets the counters of the SA after it).  0 or -errno. */
int xfrm_read_counters(struct xfrm *x, const struct sadb_group *g, struct sa_counters *ctr);

/* Number of netlink requests sent so far (for benchmarks and tests). */
unsigned long xfrm_requests_sent(const struct xfrm *x);

/* --- routes (route.c, libnl-route) --- */

/**
 * route_install_group() - for an INSTALLED outbound kernel group: a route for
 * each dst-ts prefix in @table (with a source address inside src-ts when the
 * host has one) and one rule per family sending lookups to @table; the rule
 * is shared and added once.  Return: 0 or -errno.
 */
int route_install_group(const struct sadb_group *g, unsigned table);
int route_remove_group(const struct sadb_group *g, unsigned table);
/* Remove our rules (at exit, once nothing uses the table). */
void route_cleanup(unsigned table);

/* Local address test for sadb_build(): asks the kernel (rtnetlink) for the
 * addresses of this network namespace; @arg is unused. */
bool route_addr_is_local(const struct ip_addr *a, void *arg);

#endif
