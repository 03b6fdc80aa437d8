/* daemon.h: the one struct daemon (DESIGN.md "Global state"): the running
 * config, its desired model (sadb) and the runtime objects beside it, the
 * kernel backend behind an ops table, the view, the control socket and the
 * loop.  main.c owns it; reconcile.c changes the model and the runtime;
 * status.c and the control commands read it.  Main thread only.
 */
#ifndef SPIGRP_DAEMON_H
#define SPIGRP_DAEMON_H

#include <stdint.h>

#include <stdbool.h>

#include "klips_rt.h"
#include "labels.h"
#include "strbuf.h"

struct cfg;
struct klipsrt_txn;
struct ctl;
struct dp_ops;
struct kern_ops;
struct kview;
struct loop;
struct loop_timer;
struct pe_view;
struct runtime;
struct sadb;
struct seqstore;
struct snap;

struct daemon {
	const char *cfg_path;       /* absolute: SIGHUP re-reads it */
	struct cfg *file;           /* the config file's sections, as read */
	struct cfg *cfg;            /* the running config: file's plus the
				       runtime objects (klipsrt_merge()) */
	struct klips_rt krt;        /* the KLIPS commands' objects (klipsrt.h) */
	bool krt_locked;            /* state-dir/runtime could not be read:
				       the commands are refused ... */
	char krt_why[256];          /* ... for this reason */
	struct klipsrt_txn *txn;    /* the command under way, or NULL */
	/* The runtime objects a model leaves out (reconcile_build()): one
	 * SAID or group name per line, and the errors that made it so. */
	struct strbuf unfit;        /* the running model's (names) */
	struct strbuf *txn_unfit, *txn_unfit_msgs; /* set by a command for
				       the model it builds */
	struct sadb *db;            /* built from cfg: the desired model */
	struct runtime *rt;         /* db's runtime objects (runtime.h) */
	const struct kern_ops *ops; /* the kernel backend (reconcile.h) */
	void *kern;                 /* its handle */
	const struct dp_ops *dpops; /* the userspace datapath (reconcile.h) */
	void *dp;                   /* its engine, or NULL: not running ... */
	char dp_why[256];           /* ... for this reason */
	/* Start the engine (main.c: its TUN device, sockets, threads, and its
	 * fd in the loop), called the first time a group is placed in
	 * userspace (a host whose groups all run in the kernel has no TUN
	 * device and no datapath sockets); again after a reload when it
	 * failed.  NULL: never (tests).  0 or -errno, with dp_why set. */
	int (*dp_start)(struct daemon *d);
	bool dp_tried;              /* dp_start() was called for this config */
	struct seqstore *seq;       /* outbound sequence numbers (state-dir/seq) */
	bool dp_dirty;              /* removals staged in the datapath */
	bool filter_dirty;          /* the set of userspace inbound groups
				       changed: the nftables table follows */
	bool seq_failing;           /* the last sequence reservation failed */
	struct pe_view *view;       /* the FUSE view, or NULL */
	struct snap *view_snap;     /* the current ipsec_spigrp rendering */
	uint64_t view_objects, view_counters; /* the mirror's generations the
				       published view shows (reconcile.h) */
	struct loop_timer *view_timer; /* republishes after mirror changes */
	int64_t view_due;           /* the next publication, at the earliest
				       (ms, monotonic) */
	int64_t view_cost_us;       /* CPU per publication (averaged) ... */
	int64_t view_spent_us;      /* ... and spent since the last one */
	int64_t view_read_ms;       /* counters last read for the view (ms, monotonic) */
	struct kview *view_foreign; /* the latest foreign derivation, kept while
				       ipsec_spi or ipsec_eroute is read */
	uint64_t view_foreign_counters; /* the counters' generation it shows */
	uint64_t gen;               /* state generation: bumped by every
				       reconcile_publish() (the control socket
				       shares read answers within one) */
	struct ctl *ctl;            /* the control socket, or NULL */
	struct labels labels;       /* names of foreign groups by reqid
				       (set-label): kept across reloads */
	struct loop *loop;
	struct loop_timer *addr_timer; /* address events settle before a re-evaluation */
	struct loop_timer *seq_timer;  /* sequence reservations, also without a wake */
	struct loop_timer *kseq_timer; /* records the kernel SAs' sequence numbers */
	int sig_fd;
	int lock_fd;                /* one daemon per network namespace */
	int state_lock_fd;          /* one daemon per state dir */
};

#endif
