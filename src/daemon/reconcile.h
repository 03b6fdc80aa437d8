/* reconcile.h: desired vs installed.  Builds the desired model (sadb) from
 * the config, places every group (place.h), installs and removes groups
 * through a kernel backend or the userspace datapath, and applies reloads,
 * address changes and kernel events as differences: a group that did not
 * change keeps its runtime object (state, counters, the datapath's live
 * SA objects) and is not touched in the kernel or the datapath.
 *
 * Both backends are ops tables: kernops.c wraps kern/ (XFRM, routes,
 * address events, the nftables table), dpops.c the datapath engine
 * (dp.h); tests pass fakes.  Every pass (start, reload, address change)
 * stages its datapath changes and publishes them with one commit.  This
 * module decides and logs, once per failure (the backends only return
 * -errno and a reason).  Main thread only; it never waits for a datapath
 * worker (the engine's commit swaps tables, it does not wait).
 */
#ifndef SPIGRP_RECONCILE_H
#define SPIGRP_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "reason.h"
#include "runtime.h"
#include "sadb.h"
#include "strbuf.h"
#include "xfrm.h" /* struct xfrm_owner (no libnl) */

struct daemon;
struct dp_stats;
struct kview;
struct sa_live;
struct snap;

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
	/* The one rule for which installed groups get routes, in either
	 * datapath (route_wanted()): false when routes are off. */
	bool (*route_wanted)(void *k, const struct sadb_group *g);
	/* A kernel group's routes (route_install_group()). */
	int (*route_add)(void *k, const struct sadb_group *g, struct reason *why);
	/* A userspace group's: into device @ifindex, `mtu lock` @mtu
	 * (route_install_dev()). */
	int (*route_add_dev)(void *k, const struct sadb_group *g, int ifindex, uint32_t mtu,
			     struct reason *why);
	/* Path MTU towards @g's outer destination (route_path_mtu()). */
	int (*path_mtu)(void *k, const struct sadb_group *g, uint32_t *mtu, struct reason *why);
	int (*route_del)(void *k, const struct sadb_group *g);
	void (*route_cleanup)(void *k);    /* every route and rule of ours */
	/* Our route table as `ip route show table N` lines (route_list());
	 * NULL: none. */
	int (*route_text)(void *k, struct strbuf *out, struct reason *why);
	/* sadb_is_local_fn: is @a an address of this host (@k: the handle)? */
	bool (*is_local)(const struct ip_addr *a, void *k);
	int (*event_fd)(void *k);          /* XFRM events, for poll(); -1: none */
	int (*addr_fd)(void *k);           /* address events, for poll(); -1: none */
	bool (*addr_changed)(void *k);     /* drain address events: any? */
	/* The nftables table that drops cleartext matching the inbound
	 * selectors of the @n userspace groups @g (replaced whole; n = 0:
	 * removed); filter_remove() at stop. */
	int (*filter_set)(void *k, const struct sadb_group *const *g, size_t n,
			  struct reason *why);
	void (*filter_remove)(void *k);
	/* The foreign part of the view (xfrm_foreign_view()), appended to
	 * @v; NULL: the backend has none. */
	int (*foreign_view)(void *k, struct kview *v);
	/* The kernel mirror's generations: *@objects changes when a state or
	 * policy does, *@counters when only counters do (kmirror_gen()). */
	void (*view_gen)(void *k, uint64_t *objects, uint64_t *counters);
	/* Read the kernel's counters of every SA again (xfrm_mirror_refresh()). */
	int (*view_refresh)(void *k);
};

/* The userspace datapath as the reconciler sees it (dp.h through dpops.c).
 * @dp is the engine's handle.  int functions return 0 or -errno. */
struct dp_ops {
	/* Stage @snap (a dpsnap.h snapshot of a userspace group) with the
	 * live objects of its SAs and its inner MTU (dp_group_add()). */
	int (*stage)(void *dp, struct snap *snap, struct sa_live *const *live, uint32_t mtu,
		     struct reason *why);
	/* Stage the removal of the group named @name (dp_group_del()). */
	void (*unstage)(void *dp, const char *name);
	/* Publish what was staged (dp_commit()); on failure nothing is. */
	int (*commit)(void *dp, struct reason *why);
	int (*ifindex)(void *dp);          /* the TUN device (dp_ifindex()) */
	/* Largest inner packet of @snap's group for @path_mtu
	 * (xf_inner_mtu()). */
	uint32_t (*inner_mtu)(const struct snap *snap, uint32_t path_mtu);
	void (*stats)(void *dp, struct dp_stats *st); /* dp_stats() */
	int (*seq_fd)(void *dp);           /* dp_seq_fd(); -1: none */
	int (*seq_tick)(void *dp, struct reason *why); /* dp_seq_tick() */
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

/* Fill the counters of every installed group (for the status): the
 * kernel's, or the datapath's live objects'. */
void reconcile_read_counters(struct daemon *d);

/* Reserve sequence numbers for the datapath (seq fd readable, or the
 * timer); logs a failure once until a tick succeeds again. */
void reconcile_seq_tick(struct daemon *d);

/**
 * reconcile_record_seq() - read the output sequence number of every
 * outbound ESP/AH SA of the installed kernel groups (all outbound groups
 * with @all: at start, before adopting or replacing an earlier run's
 * states) and record it plus the margin in the sequence file (kseq.h),
 * written once.  The daemon calls it every SEQSTORE_KERNEL_PERIOD_S
 * seconds, at start and at stop.  Failures are logged.
 */
void reconcile_record_seq(struct daemon *d, bool all);

/* Stop: record the sequence numbers; remove our groups and routes (and the
 * nftables table), unless keep-on-exit; the datapath's groups go with the
 * engine either way. */
void reconcile_stop(struct daemon *d);

/* The view after a change of our model or of the kernel's objects: render
 * ipsec_spigrp (our groups from the model, then the foreign ones, see
 * view_add_foreign() in reconcile.c) and ipsec_tncfg and hand them to the
 * view (ipsec_spigrp's text also stays in d->view_snap); drop ipsec_spi
 * and ipsec_eroute, which are rendered when a reader opens them
 * (reconcile_view_refresh()).  Notes the mirror's generations shown. */
void reconcile_publish(struct daemon *d);

/**
 * reconcile_view_text() - the text of the view's file @name
 * ("ipsec_spigrp", "ipsec_spi" or "ipsec_eroute"), rendered now from our
 * model and the kernel mirror (ipsec_spigrp: as last published), appended to @out (the control socket's
 * view-spi, view-eroute and look).  Return: 0, -ENOENT (another name),
 * -ENOMEM.
 */
int reconcile_view_text(struct daemon *d, const char *name, struct strbuf *out);

/* Only the kernel's counters changed (RECONCILE_VIEW_COUNTERS): drop
 * ipsec_spi and ipsec_eroute (their next open renders them). */
void reconcile_view_counters(struct daemon *d);

/* A reader waits for ipsec_spi or ipsec_eroute (pe_view_refresh_fd(),
 * pe_view_wanted()): read the counters (reconcile_read_counters(), the
 * kernel's view_refresh()) when the last read is RECONCILE_COUNTERS_AGE_MS
 * old, then render and publish the files waited for. */
#define RECONCILE_COUNTERS_AGE_MS 1000
void reconcile_view_refresh(struct daemon *d);

/* Has the kernel mirror changed since the view was last published?  0:
 * no; RECONCILE_VIEW_OBJECTS: a state or policy did; RECONCILE_VIEW_COUNTERS:
 * only counters did.  The daemon republishes after a short delay, so that a
 * flood of events costs one rendering per delay. */
#define RECONCILE_VIEW_OBJECTS 1
#define RECONCILE_VIEW_COUNTERS 2
int reconcile_view_stale(const struct daemon *d);

/* The model of config @c, with reqids (@errs: why it cannot be built).
 * Runtime objects that do not fit are left out of @c (logged; named in
 * d->txn_unfit when that is set). */
struct sadb *reconcile_build(struct daemon *d, struct cfg *c, struct cfg_errors *errs);

/**
 * reconcile_runtime() - apply @ndb (built from @ncfg) as a difference, for
 * a KLIPS command (@cause: why removed groups go, logged).  Afterwards
 * d->db is @ndb and d->cfg @ncfg (the caller frees the old config).  Every
 * group @ndb made or changed must be installed: each one refused or
 * skipped gets a line in @out ("group NAME: refused: WHY").
 * Return: 0; the refusal's -errno (or -EIO) when a made or changed group
 * was refused (the caller undoes the change); -ENOMEM (nothing applied).
 */
int reconcile_runtime(struct daemon *d, struct sadb *ndb, struct cfg *ncfg, const char *cause,
		      struct strbuf *out);

/* The runtime object of @g (a group of d->db). */
struct rt_group *reconcile_rt(const struct daemon *d, const struct sadb_group *g);

#endif
