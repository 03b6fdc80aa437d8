/* addrmon.c: the one rtnetlink address socket and the local-address cache
 * (see addrmon.h).
 *
 * One socket does both jobs: it is joined to the address groups, and the
 * dump is requested on it too.  Replies to our dump carry our port id and
 * sequence number; anything else read meanwhile is an event, and an event
 * during a dump (or a dump the kernel marks NLM_F_DUMP_INTR) may describe a
 * change the dump missed, so the dump is repeated (a bounded number of
 * times).  The socket is blocking for the dump (the kernel always answers)
 * and read with MSG_DONTWAIT for events.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>

#include "addrmon.h"

#define DUMP_TRIES 8        /* dumps raced by events before we settle */
#define RECV_BUF 32768

struct addrmon {
	int fd;
	uint32_t portid;        /* our netlink port id (the kernel's choice) */
	uint32_t seq;
	struct ip_addr *addr;   /* sorted by addr_cmp, no duplicates */
	size_t n;
};

struct addr_vec {
	struct ip_addr *v;
	size_t n, cap;
};

static int addr_cmp(const void *pa, const void *pb)
{
	const struct ip_addr *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, sizeof(a->b));
}

static int vec_add(struct addr_vec *v, int family, const void *bytes)
{
	struct ip_addr *a;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct ip_addr *nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	a = &v->v[v->n++];
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	memcpy(a->b, bytes, family == AF_INET ? 4 : 16);
	return 0;
}

/* Sort and drop duplicates (an address on two interfaces counts once). */
static void vec_sort(struct addr_vec *v)
{
	size_t i, k = 0;

	if (!v->n)
		return;
	qsort(v->v, v->n, sizeof(*v->v), addr_cmp);
	for (i = 1; i < v->n; i++)
		if (addr_cmp(&v->v[k], &v->v[i]))
			v->v[++k] = v->v[i];
	v->n = k + 1;
}

/* One RTM_NEWADDR: add its local address to @v (other families: ignored). */
static int parse_addr(const struct nlmsghdr *h, struct addr_vec *v)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *rta, *local = NULL, *address = NULL;
	size_t want;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return -EPROTO;
	if (ifa->ifa_family == AF_INET)
		want = 4;
	else if (ifa->ifa_family == AF_INET6)
		want = 16;
	else
		return 0;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) != want)
			continue;
		if (rta->rta_type == IFA_LOCAL)
			local = rta;
		else if (rta->rta_type == IFA_ADDRESS)
			address = rta;
	}
	/* IFA_ADDRESS is the peer on a point-to-point link: IFA_LOCAL wins */
	if (!local)
		local = address;
	return local ? vec_add(v, ifa->ifa_family, RTA_DATA(local)) : 0;
}

static int dump_request(struct addrmon *am)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req = {
		.h = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
			.nlmsg_type = RTM_GETADDR,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = ++am->seq,
		},
		.ifa = { .ifa_family = AF_UNSPEC },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(am->fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* The messages of one datagram.  Return: 1 at the dump's end, 0 to read on,
 * -errno; *@raced when an event came in between or the kernel flagged the
 * dump as interrupted. */
static int dump_datagram(struct addrmon *am, const void *buf, size_t n, struct addr_vec *v,
			 bool *raced)
{
	const struct nlmsghdr *h;
	int len = (int)n, r;

	for (h = buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_pid != am->portid || h->nlmsg_seq != am->seq) {
			*raced = true; /* an event */
			continue;
		}
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			*raced = true;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EPROTO;
			return e->error ? e->error : -EPROTO;
		}
		if (h->nlmsg_type == RTM_NEWADDR) {
			r = parse_addr(h, v);
			if (r)
				return r;
		}
	}
	return 0;
}

/* One dump into @v.  Return: 0, or -errno; *@raced as dump_datagram(). */
static int dump_once(struct addrmon *am, struct addr_vec *v, bool *raced)
{
	char buf[RECV_BUF] __attribute__((aligned(4)));
	ssize_t n;
	int r;

	r = dump_request(am);
	if (r)
		return r;
	for (;;) {
		/* MSG_TRUNC: the real length, to tell a cut datagram */
		n = recv(am->fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) { /* events lost: the dump goes on */
				*raced = true;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			return -EPROTO;
		if ((size_t)n > sizeof(buf))
			return -EMSGSIZE; /* the kernel caps dump datagrams at 32 KiB */
		r = dump_datagram(am, buf, (size_t)n, v, raced);
		if (r)
			return r < 0 ? r : 0;
	}
}

/* Dump until a dump ran undisturbed (or DUMP_TRIES were made); replace the
 * cache.  Return: 1 the set changed, 0 it did not, -errno. */
static int refresh(struct addrmon *am)
{
	struct addr_vec v = { 0 };
	bool raced = true, changed;
	int tries, r = 0;

	for (tries = 0; raced && tries < DUMP_TRIES; tries++) {
		raced = false;
		v.n = 0;
		r = dump_once(am, &v, &raced);
		if (r)
			break;
	}
	if (r) {
		free(v.v);
		return r;
	}
	vec_sort(&v);
	changed = v.n != am->n || (v.n && memcmp(v.v, am->addr, v.n * sizeof(*v.v)));
	free(am->addr);
	am->addr = v.v;
	am->n = v.n;
	return changed;
}

int addrmon_open(struct addrmon **out)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	socklen_t salen = sizeof(sa);
	struct addrmon *am = calloc(1, sizeof(*am));
	int r;

	*out = NULL;
	if (!am)
		return -ENOMEM;
	am->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (am->fd < 0) {
		r = -errno;
		free(am);
		return r;
	}
	if (bind(am->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(am->fd, (struct sockaddr *)&sa, &salen) < 0) {
		r = -errno;
		addrmon_close(am);
		return r;
	}
	am->portid = sa.nl_pid;
	r = refresh(am);
	if (r < 0) {
		addrmon_close(am);
		return r;
	}
	*out = am;
	return 0;
}

void addrmon_close(struct addrmon *am)
{
	if (!am)
		return;
	if (am->fd >= 0)
		close(am->fd);
	free(am->addr);
	free(am);
}

int addrmon_fd(const struct addrmon *am)
{
	return am->fd;
}

int addrmon_process(struct addrmon *am)
{
	char buf[4096];
	bool events = false;
	ssize_t n;

	for (;;) {
		n = recv(am->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			events = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		break;
	}
	return events ? refresh(am) : 0;
}

bool addrmon_is_local(const struct ip_addr *a, void *arg)
{
	const struct addrmon *am = arg;
	struct ip_addr key;

	if (!am || !am->n || (a->family != AF_INET && a->family != AF_INET6))
		return false;
	memset(&key, 0, sizeof(key));
	key.family = a->family;
	memcpy(key.b, a->b, ip_addr_len(a));
	return bsearch(&key, am->addr, am->n, sizeof(*am->addr), addr_cmp) != NULL;
}

const struct ip_addr *addrmon_local_in(const struct addrmon *am, const struct ip_prefix *p)
{
	size_t i;

	for (i = 0; am && i < am->n; i++)
		if (ip_prefix_contains(p, &am->addr[i]))
			return &am->addr[i];
	return NULL;
}

size_t addrmon_count(const struct addrmon *am)
{
	return am ? am->n : 0;
}
