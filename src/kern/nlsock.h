/* nlsock.h: one netlink socket and its request/reply loop.
 *
 * Sends a request and reads its replies until the kernel's ACK or error
 * (the raw errno, and the extended-ACK text when there is one), runs
 * dumps (retried when the kernel says a change interrupted them) and drains
 * multicast events.  Knows netlink, not XFRM: the messages are built and
 * parsed by the caller (xfrm_msg.h).  The receive buffer is wiped after
 * every read (replies may carry keys).
 *
 * A socket is either a real AF_NETLINK socket (nlsock_open()) or any
 * transport given as an ops table (nlsock_open_ops()): the unit tests run
 * the XFRM code against a fake kernel that way, without privileges.
 * One thread at a time per socket.  No logging.
 */
#ifndef SPIGRP_NLSOCK_H
#define SPIGRP_NLSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>

#include "reason.h"

#define NLSOCK_BUF 65536u /* receive buffer: more than the 32 KiB of one dump skb */

struct nlsock;

/* A transport.  send(): the whole of one request, 0 or -errno.  recv():
 * one datagram into @buf (@cap bytes), returning its full length (more
 * than @cap when it was cut), -EAGAIN when none is pending and @wait is
 * false (or nothing will ever come), or another -errno (-ENOBUFS: the
 * kernel dropped messages for this socket).  close(): release @arg. */
struct nlsock_ops {
	int (*send)(void *arg, const void *buf, size_t len);
	ssize_t (*recv)(void *arg, void *buf, size_t cap, bool wait);
	void (*close)(void *arg);
};

/**
 * nlsock_open() - a netlink socket of @protocol (NETLINK_XFRM ...) in the
 * caller's network namespace, bound to a kernel-chosen port, with extended
 * ACKs and capped ACKs (an error does not echo our request, which may hold
 * keys), joined to the @ngroups multicast groups in @groups.
 * Return: 0 or -errno (-EPROTONOSUPPORT: no such netlink family).
 */
int nlsock_open(struct nlsock **out, int protocol, const unsigned *groups, size_t ngroups);
/* A socket over @ops (@arg is handed to them and closed with the socket).
 * 0 or -ENOMEM (@ops->close(@arg) is called then). */
int nlsock_open_ops(struct nlsock **out, const struct nlsock_ops *ops, void *arg);
void nlsock_close(struct nlsock *s); /* NULL is a no-op */

/* The file descriptor for poll(), or -1 for an ops socket. */
int nlsock_fd(const struct nlsock *s);
/* Ask for a receive buffer of @bytes (SO_RCVBUFFORCE, else SO_RCVBUF up
 * to rmem_max).  0 or -errno; nothing for an ops socket. */
int nlsock_set_rcvbuf(struct nlsock *s, int bytes);

/* Called for each reply message other than the ACK/error/DONE; @h lies in
 * the receive buffer (4-byte aligned, nlmsg_len checked against it) and is
 * wiped after the call.  A nonzero return is kept and ends the request
 * with it once the kernel's answer is read. */
typedef int (*nlsock_msg_fn)(const struct nlmsghdr *h, void *arg);

/**
 * nlsock_request() - send @req (NLM_F_REQUEST | NLM_F_ACK are added, the
 * sequence number and our port (nlsock_port()) set) and read its replies
 * until the ACK or error (a dump: NLMSG_DONE), calling @fn (may be NULL)
 * for the others.
 * Return: 0; the kernel's -errno with "strerror: extended-ACK text" (or
 * the strerror alone) in @why; -EAGAIN for a dump the kernel marked
 * interrupted (NLM_F_DUMP_INTR); -errno of send/recv (text in @why);
 * -EMSGSIZE for a reply larger than NLSOCK_BUF; or @fn's first nonzero
 * return.
 */
int nlsock_request(struct nlsock *s, struct nlmsghdr *req, nlsock_msg_fn fn, void *arg,
		   struct reason *why);

/**
 * nlsock_dump() - nlsock_request() of dump request @req, repeated (up to
 * four times) while the kernel says a change interrupted it; @restart (may
 * be NULL) is called before each try, so that @fn's collection starts
 * afresh.  Return: as nlsock_request() (-EAGAIN: still interrupted).
 */
int nlsock_dump(struct nlsock *s, struct nlmsghdr *req, nlsock_msg_fn fn, void *arg,
		void (*restart)(void *arg), struct reason *why);

/**
 * nlsock_read_events() - read the pending datagrams without blocking, at
 * most NLSOCK_EVENT_BATCH of them (under a stream of events the caller's
 * loop gets its turn: the rest stay readable), and call @fn for each
 * message in them (its return is ignored).  *@lost is set when the kernel
 * dropped messages (ENOBUFS) or a datagram was cut: the caller must
 * resynchronise.  Return: 0 or -errno.
 */
#define NLSOCK_EVENT_BATCH 256
int nlsock_read_events(struct nlsock *s, nlsock_msg_fn fn, void *arg, bool *lost);

/* The socket's port id (the kernel's, or one made up for an ops socket).
 * nlsock_request() puts it in nlmsg_pid; the kernel copies the nlmsg_pid
 * of a request into the multicast events it causes (xfrm_user.c:
 * km_event.portid), so that a listener can tell our own changes apart. */
uint32_t nlsock_port(const struct nlsock *s);

/* Requests sent so far. */
unsigned long nlsock_requests(const struct nlsock *s);

/**
 * nlsock_errno() - a libnl error code (-NLE_* or NLE_*, as libnl calls
 * return them) as -errno: 0 stays 0; codes without an errno counterpart
 * (and unknown ones) become -EIO.  For the modules that still use libnl
 * sockets (route.c).
 */
int nlsock_errno(int nle);
/* Its former name, kept for route.c. */
static inline int xfrm_nle_errno(int nle)
{
	return nlsock_errno(nle);
}

#endif
