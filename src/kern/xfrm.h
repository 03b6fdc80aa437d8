/* xfrm.h: the model's groups in the kernel's XFRM tables, and back.
 *
 * Installs a group's states and policies (all or nothing) and removes
 * them; at start-up adopts our leftovers that match the config exactly and
 * deletes the other objects of ours; follows the kernel's events so that a
 * group whose objects are deleted, flushed, replaced or hard-expired
 * behind our back is reported lost; reads per-SA counters; and asks a
 * throw-away network namespace whether the kernel can hold a group at all.
 * The objects come from xfrm_plan.h, the messages from xfrm_msg.h, the
 * socket from nlsock.h, the shunt record from shuntrec.h, the probe from
 * probe.h.
 *
 * Ownership (xfrm_own.h, DESIGN.md decision 4): never flushes; deletes,
 * adopts or reports only objects of ours: states and templated policies by
 * our reqid band, template-less (shunt) policies only when in our priority
 * band AND in our shunt record.  A foreign object with one of our keys
 * refuses the group that wants the key.
 *
 * Runtime state is the caller's: this module keeps none about groups, and
 * asks a struct xfrm_owner which groups are placed in the kernel and
 * installed, and tells it which were adopted or lost.  Keeps the kernel
 * mirror (mirror.h) of every foreign object (ours are the model's) and
 * derives the view from it (kderive.h).  Failures are
 * returned (-errno, and a struct reason where a person needs the why), not
 * logged; what only this module sees is logged: stale leftovers removed at
 * start-up, leftovers it could not remove, an event socket overrun, and
 * the shunt record's own messages (shuntrec.h).  Main thread only (the
 * probe runs its own thread inside xfrm_probe_group()).
 */
#ifndef SPIGRP_XFRM_H
#define SPIGRP_XFRM_H

#include <stdbool.h>
#include <stddef.h>

#include "reason.h"
#include "runtime.h"
#include "sadb.h"
#include "xfrm_plan.h"

struct xfrm;
struct nlsock;
struct kmirror;
struct kview;

/* The daemon's answers about runtime state.  Groups are passed as the
 * sadb's (const) pointers. */
struct xfrm_owner {
	void *arg;
	bool (*wants_kernel)(void *arg, const struct sadb_group *g); /* placed in the kernel */
	bool (*installed)(void *arg, const struct sadb_group *g);    /* installed now */
	void (*adopted)(void *arg, const struct sadb_group *g);      /* adopt: objects matched */
	void (*lost)(void *arg, const struct sadb_group *g, const struct reason *why);
		/* deleted/expired behind our back; its remaining objects were removed */
};

/**
 * xfrm_open() - open the request and event sockets (NETLINK_XFRM,
 * extended ACKs on; the event socket joins the SA, policy, expire,
 * acquire and aevent groups, and its filter drops the events of our own
 * requests and the aevents of our own states) in the caller's network
 * namespace.  The environment variable SPIGRPD_TEST_EVENT_RCVBUF (bytes;
 * tests only, spigrpd(8)) shrinks the event socket's receive buffer.
 * Return: 0, or -errno (-EPROTONOSUPPORT: no XFRM netlink in this kernel).
 */
int xfrm_open(struct xfrm **out);

/* What xfrm_open_backend() runs on: two sockets (taken over, closed by
 * xfrm_close(), also on failure) and the probe's socket opener (probe.h;
 * NULL: the throw-away network namespace). */
struct xfrm_backend {
	struct nlsock *req, *ev;
	int (*probe_open)(void *arg, struct nlsock **out, struct reason *why);
	void *probe_arg;
};
/* xfrm_open() over other sockets (the unit tests' fake kernel). 0 or -ENOMEM. */
int xfrm_open_backend(struct xfrm **out, const struct xfrm_backend *b);
void xfrm_close(struct xfrm *x); /* NULL is a no-op */

/**
 * xfrm_set_state_dir() - keep the shunt record (shuntrec.h) in @dir/shunts;
 * NULL: in memory only.  Call it once, after xfrm_open() and before
 * xfrm_adopt(); @dir is copied.
 */
void xfrm_set_state_dir(struct xfrm *x, const char *dir);

/**
 * xfrm_probe_group() - can this kernel hold @g?  A trial add of each of
 * its states in a throw-away network namespace (probe.h).
 * Return: 0 yes; -EINVAL (XFRM cannot express @g); -EPROTONOSUPPORT
 * (transform type missing), -ENOSYS / -ENOENT (algorithm missing), other
 * -errno; the reason (the kernel's text) in @why.
 */
int xfrm_probe_group(struct xfrm *x, const struct sadb_group *g, struct reason *why);

/**
 * xfrm_install_group() - add @g's states, then its policies (all or
 * nothing: on a failure everything of @g added so far is deleted again).
 * A foreign object with the same key (state: daddr+SPI+proto; policy:
 * selector+dir) refuses the group (-EEXIST).
 * Return: 0 or -errno; why in @why: "adding OBJECT: strerror: kernel's
 * extended-ACK text", or the plan's reason.
 */
int xfrm_install_group(struct xfrm *x, const struct sadb_group *g, struct reason *why);

/**
 * xfrm_install_group_seq() - xfrm_install_group() whose state of
 * @g->sa[k] sends @first[k] first when @first[k] > 1 (xm_state_set_oseq():
 * the kernel's output sequence number set in the NEWSA), so that a state
 * added again never reuses a number with its key (seqstore.h).  @first
 * NULL: every state starts at 1.
 * Return: as xfrm_install_group(); -ERANGE when a number does not fit the
 * SA's space (no ESN: 32 bits).
 */
int xfrm_install_group_seq(struct xfrm *x, const struct sadb_group *g, const uint64_t *first,
			   struct reason *why);

/**
 * xfrm_remove_group() - delete @g's policies (out first), then its
 * states; objects already gone are not an error.  @why may be NULL.
 * Return: 0, or the first -errno with "deleting OBJECT: ..." in @why.
 */
int xfrm_remove_group(struct xfrm *x, const struct sadb_group *g, struct reason *why);

/**
 * xfrm_remove_group_final() - xfrm_remove_group() that, between deleting
 * the policies and the states, reads each state's output sequence number
 * (GETSA): with no policy left nothing more is sent, so @last[k] is the
 * exact last number the state of @g->sa[k] used (XFRM_OSEQ_UNKNOWN when it
 * could not be read, and for SAs without sequence numbers: 0).  @last
 * NULL: as xfrm_remove_group().
 */
#define XFRM_OSEQ_UNKNOWN UINT64_MAX
int xfrm_remove_group_final(struct xfrm *x, const struct sadb_group *g, uint64_t *last,
			    struct reason *why);

/**
 * xfrm_adopt() - start-up: dump SAD and SPD once; each group of @db that
 * @o says wants the kernel and is not installed, and whose kernel objects
 * (ours, see above) match its plan exactly, is reported @o->adopted()
 * without a request sent; every other object of ours is deleted (stale
 * leftovers, partial or changed groups, which the caller then installs
 * anew).  Foreign objects are never touched.  Groups are read, not changed.
 * Return: the number of groups adopted, or -errno when the kernel's tables
 * could not be read.
 */
int xfrm_adopt(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o);

/**
 * xfrm_event_filter() - attach the event socket's filter to @fd: it drops
 * the events of requests whose nlmsg_pid was @port (ours), the NEWAE
 * notices of states in our reqid band and those caused by traffic
 * (XFRM_AE_CR), and lets the rest through.  xfrm_open() uses it; exposed
 * for the unit tests (any datagram socket takes it).  0 or -errno.
 */
int xfrm_event_filter(int fd, uint32_t port);

/* The event socket, for poll() (-1 on a fake backend). */
int xfrm_event_fd(struct xfrm *x);

/**
 * xfrm_process_events() - read the pending events.  A group that wants the
 * kernel and is installed (@o) and one of whose objects was deleted,
 * flushed, replaced or hard-expired without us has the rest of its objects
 * removed and is reported @o->lost() with why ("state esp.1000@192.0.2.1
 * deleted behind our back").  Every event feeds the mirror; ACQUIREs are
 * logged (rate-limited).  After lost events (socket overrun), a flush or
 * an event the mirror cannot follow, every installed group is compared
 * with a fresh dump, which also reloads the mirror.
 * Return: the number of groups lost, or -errno.
 */
int xfrm_process_events(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o);

/**
 * xfrm_read_counters() - the kernel's counters of each SA of @g
 * (XFRM_MSG_GETSA): @ctr[i] for @g->sa[i], i < @g->nsa; a tun SA gets the
 * counters of the SA after it (its tunnel mode); an SA the kernel does not
 * hold keeps zeroes.  oseq is the state's output sequence number
 * (xm_state_oseq()).
 * Return: 0, or the first -errno.
 */
int xfrm_read_counters(struct xfrm *x, const struct sadb_group *g, struct sa_counters *ctr);

/* The kernel mirror (mirror.h): every foreign state and policy of the
 * namespace, kept by xfrm_adopt()'s dump and xfrm_process_events(). */
const struct kmirror *xfrm_mirror(const struct xfrm *x);

/**
 * xfrm_foreign_view() - append the view of every object that is not ours
 * (kderive.h: groups, SAs, eroutes) to @v; our template-less policies are
 * told by the shunt record.  Return: 0 or -ENOMEM.
 */
int xfrm_foreign_view(struct xfrm *x, struct kview *v);

/* The mirror's generations (kmirror_gen(), kmirror_counters_gen()). */
void xfrm_view_gen(const struct xfrm *x, uint64_t *objects, uint64_t *counters);

/* Read the kernel's SAD into the mirror again (fresh counters of every
 * SA; what changed meanwhile converges as after an overrun).  0 or
 * -errno. */
int xfrm_mirror_refresh(struct xfrm *x);

/* Netlink requests sent so far (benchmarks and tests). */
unsigned long xfrm_requests_sent(const struct xfrm *x);

#endif
