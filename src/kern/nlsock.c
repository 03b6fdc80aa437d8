/* nlsock.c: a netlink socket and its request/reply loop (nlsock.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <netlink/errno.h>
#include <openssl/crypto.h>

#include "nlsock.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NLSOCK_DUMP_TRIES 4

struct nlsock {
	const struct nlsock_ops *ops;
	void *arg;
	int fd;             /* a real socket's, or -1 */
	uint8_t *buf;       /* NLSOCK_BUF bytes, wiped after every read */
	uint32_t seq;
	uint32_t port;      /* our port id: nlmsg_pid of our requests */
	unsigned long nsent;
};

/* ---- the real transport: an AF_NETLINK socket ---- */

static int fd_send(void *arg, const void *buf, size_t len)
{
	int fd = (int)(intptr_t)arg;
	ssize_t n;

	do {
		n = send(fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

static ssize_t fd_recv(void *arg, void *buf, size_t cap, bool wait)
{
	int fd = (int)(intptr_t)arg;
	ssize_t n;

	do {
		n = recv(fd, buf, cap, MSG_TRUNC | (wait ? 0 : MSG_DONTWAIT));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static void fd_close(void *arg)
{
	close((int)(intptr_t)arg);
}

static const struct nlsock_ops fd_ops = { fd_send, fd_recv, fd_close };

/* Ports of ops sockets: distinct, and unlike the kernel's (a process id,
 * or negative). */
static uint32_t ops_ports;

int nlsock_open_ops(struct nlsock **out, const struct nlsock_ops *ops, void *arg)
{
	struct nlsock *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s)
		s->buf = malloc(NLSOCK_BUF);
	if (!s || !s->buf) {
		free(s);
		ops->close(arg);
		return -ENOMEM;
	}
	s->ops = ops;
	s->arg = arg;
	s->fd = -1;
	s->port = 0x7f000000u + (uint32_t)__atomic_add_fetch(&ops_ports, 1, __ATOMIC_RELAXED);
	*out = s;
	return 0;
}

int nlsock_open(struct nlsock **out, int protocol, const unsigned *groups, size_t ngroups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	int fd, one = 1, ret;
	size_t i;

	*out = NULL;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* Extended ACK text, and no echo of our request (it holds keys). */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	for (i = 0; i < ngroups; i++) {
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i])) < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = nlsock_open_ops(out, &fd_ops, (void *)(intptr_t)fd);
	if (!ret) {
		(*out)->fd = fd;
		(*out)->port = sa.nl_pid;
	}
	return ret;
}

void nlsock_close(struct nlsock *s)
{
	if (!s)
		return;
	s->ops->close(s->arg);
	OPENSSL_cleanse(s->buf, NLSOCK_BUF);
	free(s->buf);
	free(s);
}

int nlsock_fd(const struct nlsock *s)
{
	return s->fd;
}

int nlsock_set_rcvbuf(struct nlsock *s, int bytes)
{
	if (s->fd < 0)
		return 0;
	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped at rmem_max. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) == 0)
		return 0;
	return -errno;
}

uint32_t nlsock_port(const struct nlsock *s)
{
	return s->port;
}

unsigned long nlsock_requests(const struct nlsock *s)
{
	return s->nsent;
}

/* ---- replies ---- */

/* The errno and extended-ACK text of NLMSG_ERROR @h: "strerror: text". */
static int parse_nlerr(const struct nlmsghdr *h, struct reason *why)
{
	const uint8_t *b = (const uint8_t *)h;
	struct nlmsgerr e;
	const char *text = NULL;
	size_t off, end = h->nlmsg_len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e))) {
		reason_set(why, "truncated netlink error");
		return -EIO;
	}
	memcpy(&e, NLMSG_DATA(h), sizeof(e));
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = NLMSG_HDRLEN + sizeof(e);
		if (!(h->nlmsg_flags & NLM_F_CAPPED) && e.msg.nlmsg_len >= NLMSG_HDRLEN)
			off += NLMSG_ALIGN(e.msg.nlmsg_len - NLMSG_HDRLEN);
		while (off + NLA_HDRLEN <= end) {
			struct nlattr a;

			memcpy(&a, b + off, sizeof(a));
			if (a.nla_len < NLA_HDRLEN || a.nla_len > end - off)
				break;
			if ((a.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a.nla_len > NLA_HDRLEN &&
			    memchr(b + off + NLA_HDRLEN, 0, a.nla_len - NLA_HDRLEN))
				text = (const char *)b + off + NLA_HDRLEN;
			off += NLA_ALIGN(a.nla_len);
		}
	}
	if (e.error) {
		int err = e.error > 0 ? e.error : -e.error;

		if (text && *text)
			reason_set(why, "%s: %s", strerror(err), text);
		else
			reason_set(why, "%s", strerror(err));
	}
	return e.error > 0 ? -e.error : e.error;
}

/* The answer of request @seq: see nlsock_request(). */
static int read_replies(struct nlsock *s, uint32_t seq, nlsock_msg_fn fn, void *arg,
			struct reason *why)
{
	int ret = 0, fnret = 0;
	bool done = false, intr = false;

	while (!done) {
		ssize_t n = s->ops->recv(s->arg, s->buf, NLSOCK_BUF, true);
		struct nlmsghdr *h;
		size_t left;

		if (n < 0) {
			if (n == -EAGAIN)
				n = -EIO; /* nothing will come: no answer */
			reason_set(why, "netlink receive: %s", strerror((int)-n));
			return (int)n;
		}
		if ((size_t)n > NLSOCK_BUF) {
			OPENSSL_cleanse(s->buf, NLSOCK_BUF);
			reason_set(why, "netlink reply larger than %u bytes", NLSOCK_BUF);
			return -EMSGSIZE;
		}
		left = (size_t)n;
		for (h = (struct nlmsghdr *)s->buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (h->nlmsg_type == NLMSG_ERROR) {
				ret = parse_nlerr(h, why);
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(e)))
					memcpy(&e, NLMSG_DATA(h), sizeof(e));
				if (e < 0) {
					ret = e;
					reason_set(why, "%s", strerror(-e));
				}
				done = true;
				break;
			}
			if (fn && !fnret)
				fnret = fn(h, arg);
		}
		OPENSSL_cleanse(s->buf, (size_t)n);
	}
	if (!ret && intr) {
		reason_set(why, "dump interrupted by changes");
		ret = -EAGAIN;
	}
	return ret ? ret : fnret;
}

int nlsock_request(struct nlsock *s, struct nlmsghdr *req, nlsock_msg_fn fn, void *arg,
		   struct reason *why)
{
	int ret;

	reason_set(why, "%s", "");
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nlmsg_seq = ++s->seq;
	req->nlmsg_pid = s->port; /* the kernel's events echo it (nlsock_port()) */
	ret = s->ops->send(s->arg, req, req->nlmsg_len);
	if (ret < 0) {
		reason_set(why, "netlink send: %s", strerror(-ret));
		return ret;
	}
	s->nsent++;
	return read_replies(s, req->nlmsg_seq, fn, arg, why);
}

int nlsock_dump(struct nlsock *s, struct nlmsghdr *req, nlsock_msg_fn fn, void *arg,
		void (*restart)(void *arg), struct reason *why)
{
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < NLSOCK_DUMP_TRIES && ret == -EAGAIN; tries++) {
		if (restart)
			restart(arg);
		ret = nlsock_request(s, req, fn, arg, why);
	}
	return ret;
}

int nlsock_read_events(struct nlsock *s, nlsock_msg_fn fn, void *arg, bool *lost)
{
	for (unsigned i = 0; i < NLSOCK_EVENT_BATCH; i++) {
		ssize_t n = s->ops->recv(s->arg, s->buf, NLSOCK_BUF, false);
		struct nlmsghdr *h;
		size_t left;

		if (n == -EAGAIN)
			return 0;
		if (n == -ENOBUFS) {
			*lost = true;
			continue;
		}
		if (n < 0)
			return (int)n;
		if ((size_t)n > NLSOCK_BUF) {
			*lost = true;
			n = NLSOCK_BUF;
		}
		left = (size_t)n;
		for (h = (struct nlmsghdr *)s->buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
			fn(h, arg);
		OPENSSL_cleanse(s->buf, (size_t)n);
	}
	return 0;
}

int nlsock_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_PERM:
		return -EPERM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}
