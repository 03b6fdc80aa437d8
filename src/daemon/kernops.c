/* kernops.c: the reconciler's ops table over kern/ (kernops.h).  Thin:
 * every function hands over to xfrm.h / route functions; the address
 * events come from one rtnetlink socket (RTMGRP_IPV4/IPV6_IFADDR). */
#include "config.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernops.h"
#include "log.h"
#include "reconcile.h"
#include "xfrm.h"

struct kern {
	struct xfrm *x;
	int addr_fd;
};

static int k_probe(void *k, const struct sadb_group *g, struct reason *why)
{
	return xfrm_probe_group(((struct kern *)k)->x, g, why);
}

static int k_install(void *k, const struct sadb_group *g, struct reason *why)
{
	return xfrm_install_group(((struct kern *)k)->x, g, why);
}

static int k_remove(void *k, const struct sadb_group *g)
{
	return xfrm_remove_group(((struct kern *)k)->x, g);
}

static int k_adopt(void *k, const struct sadb *db, const struct xfrm_owner *o)
{
	return xfrm_adopt(((struct kern *)k)->x, db, o);
}

static int k_events(void *k, const struct sadb *db, const struct xfrm_owner *o)
{
	return xfrm_process_events(((struct kern *)k)->x, db, o);
}

static int k_counters(void *k, const struct sadb_group *g, struct sa_counters *ctr)
{
	return xfrm_read_counters(((struct kern *)k)->x, g, ctr);
}

static int k_route_add(void *k, const struct sadb_group *g, unsigned table)
{
	(void)k;
	return route_install_group(g, table);
}

static int k_route_del(void *k, const struct sadb_group *g, unsigned table)
{
	(void)k;
	return route_remove_group(g, table);
}

static void k_route_cleanup(void *k, unsigned table)
{
	(void)k;
	route_cleanup(table);
}

static bool k_is_local(const struct ip_addr *a, void *k)
{
	(void)k;
	return route_addr_is_local(a, NULL);
}

static int k_event_fd(void *k)
{
	return xfrm_event_fd(((struct kern *)k)->x);
}

static int k_addr_fd(void *k)
{
	return ((struct kern *)k)->addr_fd;
}

/* Drain the address-event socket; true when anything (or an overrun:
 * ENOBUFS) came. */
static bool k_addr_changed(void *k)
{
	struct kern *kn = k;
	char buf[8192];
	bool any = false;
	ssize_t n;

	while ((n = recv(kn->addr_fd, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == ENOBUFS))
		any = true;
	return any;
}

const struct kern_ops kernops_real = {
	.reqid_base = XFRM_REQID_BASE,
	.reqid_count = XFRM_REQID_COUNT,
	.probe = k_probe,
	.install = k_install,
	.remove = k_remove,
	.adopt = k_adopt,
	.events = k_events,
	.read_counters = k_counters,
	.route_add = k_route_add,
	.route_del = k_route_del,
	.route_cleanup = k_route_cleanup,
	.is_local = k_is_local,
	.event_fd = k_event_fd,
	.addr_fd = k_addr_fd,
	.addr_changed = k_addr_changed,
};

static int open_addr_events(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int kernops_open(void **out, const char *state_dir, struct reason *why)
{
	struct kern *k = calloc(1, sizeof(*k));
	int r;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	r = xfrm_open(&k->x);
	if (r < 0) {
		reason_set(why, "XFRM netlink: %s", strerror(-r));
		free(k);
		return r;
	}
	xfrm_set_state_dir(k->x, state_dir);
	k->addr_fd = open_addr_events();
	if (k->addr_fd < 0)
		log_warn("address events: %s (directions follow the addresses at start only)",
			 strerror(-k->addr_fd));
	*out = k;
	return 0;
}

void kernops_close(void *k)
{
	struct kern *kn = k;

	if (!kn)
		return;
	xfrm_close(kn->x);
	if (kn->addr_fd >= 0)
		close(kn->addr_fd);
	free(kn);
}
