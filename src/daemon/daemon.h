/* daemon.h: the one struct daemon, shared by the daemon's modules (main.c,
 * commands.c).  Changed only in the main thread. */
#ifndef SPIGRP_DAEMON_H
#define SPIGRP_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "xfrm.h"

struct cfg;
struct cfg_errors;
struct addrmon;
struct ctl;
struct pe_view;
struct route;
struct sadb;
struct xfrm;

struct daemon {
	const char *cfg_path;
	struct cfg *cfg;
	struct sadb *db;
	struct xfrm *xfrm;
	struct xfrm_owner owner; /* runtime state for xfrm.c (owner_*()) */
	struct pe_view *view;
	struct ctl *ctl;
	uint64_t gen;    /* state generation: bumped whenever the groups'
			    state may have changed (the control socket shares
			    read answers within one generation) */
	int sig_fd;
	struct addrmon *am; /* local addresses: directions follow them */
	struct route *route; /* NULL: install-routes off */
	bool addr_dirty;
	bool stop;
	int lock_fd;     /* one daemon per network namespace */
	int state_lock_fd; /* one daemon per state dir */
};

/* Re-read the config file and apply the differences (SIGHUP, `reload`).
 * A config with errors is refused (they go to @errs) and the running one
 * stays.  Return: 0, -EINVAL or -ENOMEM. */
int daemon_reload(struct daemon *d, struct cfg_errors *errs);

#endif
