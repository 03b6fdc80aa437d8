/* reconcile.h: desired vs installed.  Builds the desired model (sadb) from
 * the config, places every group (place.h), installs and removes groups
 * through a kernel backend, and applies reloads, address changes and
 * kernel events as differences: a group that did not change keeps its
 * runtime object (state, counters) and is not touched in the kernel.
 *
 * The backend is an ops table: kernops.c wraps kern/ (XFRM, routes,
 * address events); tests pass a fake.  This module decides and logs, once
 * per failure (the backend only returns -errno and a reason).  Main thread
 * only.
 */
#ifndef SPIGRP_RECONCILE_H
#define SPIGRP_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "reason.h"
#include "runtime.h"
#include "sadb.h"
#include "xfrm.h" /* struct xfrm_owner (no libnl) */

struct daemon;

/* The kernel as the reconciler sees it.  @k is the backend's handle.  Every
 * int function returns 0 or -errno. */
struct kern_ops {
	uint32_t reqid_base, reqid_count;  /* our reqid band */
	/* Can the kernel hold @g?  -EPROTONOSUPPORT, -ENOSYS, ... with @why. */
	int (*probe)(void *k, const struct sadb_group *g, struct reason *why);
	/* All of @g or nothing (xfrm_install_group_seq()); the state of
	 * @g->sa[k] sends @seq_first[k] first when it is above 1 (kseq.h). */
	int (*install)(void *k, const struct sadb_group *g, const uint64_t *seq_first,
		       struct reason *why);
	/* Remove @g (xfrm_remove_group_final()): @last[k] (when not NULL) gets
	 * the exact last sequence number of @g->sa[k]'s state, KSEQ_UNKNOWN
	 * when it could not be read. */
	int (*remove)(void *k, const struct sadb_group *g, uint64_t *last, struct reason *why);
	/* Start-up: match leftovers (xfrm_adopt()); >= 0: groups adopted. */
	int (*adopt)(void *k, const struct sadb *db, const struct xfrm_owner *o);
	/* Read kernel events (xfrm_process_events()); >= 0: groups lost. */
	int (*events)(void *k, const struct sadb *db, const struct xfrm_owner *o);
	/* Per SA of @g: counters and the output sequence number (oseq). */
	int (*read_counters)(void *k, const struct sadb_group *g, struct sa_counters *ctr);
	/* The one rule for which groups get routes (route_wanted()): false
	 * when routes are off. */
	bool (*route_wanted)(void *k, const struct sadb_group *g, bool in_kernel);
	int (*route_add)(void *k, const struct sadb_group *g, struct reason *why);
	int (*route_del)(void *k, const struct sadb_group *g);
	void (*route_cleanup)(void *k);    /* every route and rule of ours */
	/* sadb_is_local_fn: is @a an address of this host (@k: the handle)? */
	bool (*is_local)(const struct ip_addr *a, void *k);
	int (*event_fd)(void *k);          /* XFRM events, for poll(); -1: none */
	int (*addr_fd)(void *k);           /* address events, for poll(); -1: none */
	bool (*addr_changed)(void *k);     /* drain address events: any? */
};

/**
 * reconcile_start() - build the model from d->cfg (sadb, reqids, runtime),
 * adopt what an earlier run left in the kernel, install the adopted
 * groups' routes.  Installs nothing new: reconcile_install_pending() does,
 * once the view is up.
 * Return: 0; -EINVAL with @errs filled when the config does not fit this
 * host; -ENOMEM.
 */
int reconcile_start(struct daemon *d, struct cfg_errors *errs);

/* Place and install every PENDING group; log each outcome once. */
void reconcile_install_pending(struct daemon *d);

/**
 * reconcile_reload() - re-read d->cfg_path and apply it as a difference:
 * unchanged installed groups stay (not even a netlink message), refused
 * ones are tried again, changed and removed ones are removed first, new
 * and changed ones installed.  mount, control, state-dir and the route
 * settings keep their running values (logged).  A config with errors is
 * rejected (@errs) and the running one stays.  Publishes the view.
 * Return: 0, -EINVAL (errors), -ENOMEM.
 */
int reconcile_reload(struct daemon *d, struct cfg_errors *errs);

/* Local addresses changed: rebuild the model with the same config (new
 * directions), apply the difference (refused groups stay refused). */
void reconcile_addresses(struct daemon *d);

/* Kernel events: groups deleted or expired behind our back become LOST. */
void reconcile_events(struct daemon *d);

/* Fill the counters of every installed kernel group (for the status). */
void reconcile_read_counters(struct daemon *d);

/**
 * reconcile_record_seq() - read the output sequence number of every
 * outbound ESP/AH SA of the installed kernel groups (all outbound groups
 * with @all: at start, before adopting or replacing an earlier run's
 * states) and record it plus the margin in the sequence file (kseq.h),
 * written once.  The daemon calls it every SEQSTORE_KERNEL_PERIOD_S
 * seconds, at start and at stop.  Failures are logged.
 */
void reconcile_record_seq(struct daemon *d, bool all);

/* Stop: record the sequence numbers; remove our groups and routes, unless
 * keep-on-exit. */
void reconcile_stop(struct daemon *d);

/* Render ipsec_spigrp into d->view_snap and hand it to the view. */
void reconcile_publish(struct daemon *d);

/* The runtime object of @g (a group of d->db). */
struct rt_group *reconcile_rt(const struct daemon *d, const struct sadb_group *g);

#endif
