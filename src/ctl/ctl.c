/* ctl.c: the control socket (unix stream), server and client side.
 *
 * One request line per connection, answer lines, last line "errno=N".  The
 * daemon serves its clients from its single-threaded main loop, so nothing
 * here ever waits on a client: sockets are non-blocking, a table holds the
 * open connections (at most CTL_MAX_CLIENTS), each with a deadline.  A
 * client must send its request line within CTL_REQ_TIMEOUT_MS of being
 * accepted; its answer is kept until the client has read it, which must
 * make progress every CTL_IO_TIMEOUT_MS and end within
 * CTL_ANSWER_TIMEOUT_MS.  A client that dawdles is dropped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#define CTL_MAX_REQ 4096           /* bytes of one request line */
#define CTL_MAX_ARGS 64
#define CTL_REQ_TIMEOUT_MS 1000    /* whole request line */
#define CTL_IO_TIMEOUT_MS 1000     /* no progress while answering */
#define CTL_ANSWER_TIMEOUT_MS 10000 /* whole answer */
#define CTL_ACCEPT_BURST CTL_MAX_CLIENTS /* accepts per ctl_dispatch() */
#define CTL_FULL_LOG_MS 60000      /* "table full" notice at most this often */
#define CTL_CLIENT_TIMEOUT_S 30    /* client: connect, send, and each read of
				      the answer wait at most this long for
				      the daemon (spigrp(8) says so); long
				      enough for a daemon busy applying a
				      large config, short enough for a human */
#define CTL_MAX_ANSWER (256u << 20) /* client: refuse more than 256 MiB */

/* One open connection.  fd < 0: a free slot. */
struct ctl_client {
	int fd;
	bool writing;       /* request served, answer being sent */
	int pfd_idx;        /* its entry in the last ctl_pollfds(), or -1 */
	struct ucred cred;  /* of the peer, at accept time */
	uint64_t seq;       /* accept order: the oldest goes first when full */
	int64_t deadline;   /* ms (monotonic): dropped then */
	int64_t answer_end; /* ms (monotonic): the whole answer by then */
	size_t len;         /* request bytes so far */
	char req[CTL_MAX_REQ];
	/* the answer: head (our message), body (the handler's), tail */
	struct iovec iov[3];
	int iov_at;         /* first iov with bytes left */
	char *body;         /* owned */
	char head[256];
	char tail[32];
};

struct ctl {
	int fd;          /* listening socket, non-blocking */
	int lock_fd;     /* flock on PATH.lock: one daemon per socket */
	char *path;
	char *lock_path;
	dev_t dev;       /* the socket file we made: unlink only that one */
	ino_t ino;
	dev_t lock_dev;  /* the lock file we hold */
	ino_t lock_ino;
	bool lock_held;
	bool lock_created; /* we made the lock file: we remove it at close */
	gid_t group;
	int64_t full_logged; /* last "table full" notice, ms; 0 never */
	uint64_t seq;        /* accepts so far */
	struct ctl_client cl[CTL_MAX_CLIENTS];
};

/* Commands anyone may send.  Everything else counts as a change, so a
 * command added later is privileged unless listed here. */
static const char *const ctl_read_cmds[] = {
	"view", "list", "status", "status-json", "version", "help", NULL,
};

bool ctl_cmd_is_change(const char *cmd)
{
	size_t i;

	for (i = 0; ctl_read_cmds[i]; i++)
		if (strcmp(cmd, ctl_read_cmds[i]) == 0)
			return false;
	return true;
}

static int64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ctl_fill_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

/* Connect a client socket to @path, with @timeout_s send/receive timeouts
 * (0: none).  Return: the fd, or -errno. */
static int ctl_connect(const char *path, time_t timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	struct sockaddr_un sun;
	int fd, r;

	r = ctl_fill_addr(&sun, path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_s) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Is a daemon answering on @path?  1 yes, 0 no (nothing there, or a socket
 * file nobody listens on), -errno when we cannot tell. */
static int ctl_probe(const char *path)
{
	int fd = ctl_connect(path, 0);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return fd == -ECONNREFUSED || fd == -ENOENT ? 0 : fd;
}

/*
 * Take the lock on @c->lock_path.  A lock file this process created
 * (O_CREAT | O_EXCL succeeded) is removed at a clean close (while locked);
 * one that was there before is the admin's or a crashed daemon's and is
 * left alone.  A lock won on a file that is no longer at that path is
 * worthless: then retry with the file there now.  0, -EADDRINUSE when
 * another process holds it, or -errno.
 */
static int ctl_lock(struct ctl *c)
{
	struct stat fst, pst;
	int tries, r;

	for (tries = 0; tries < 100; tries++) {
		c->lock_created = false;
		c->lock_fd = open(c->lock_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
				  0600);
		if (c->lock_fd >= 0) {
			c->lock_created = true;
		} else if (errno == EEXIST) {
			c->lock_fd = open(c->lock_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
			if (c->lock_fd < 0 && errno == ENOENT)
				continue; /* removed in between: create it */
		}
		if (c->lock_fd < 0) {
			r = -errno;
			log_err("ctl: %s: %s", c->lock_path, strerror(-r));
			return r;
		}
		if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0)
			return errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		if (fstat(c->lock_fd, &fst) < 0)
			return -errno;
		if (lstat(c->lock_path, &pst) == 0 && pst.st_dev == fst.st_dev &&
		    pst.st_ino == fst.st_ino) {
			c->lock_dev = fst.st_dev;
			c->lock_ino = fst.st_ino;
			c->lock_held = true;
			return 0;
		}
		/* removed (or replaced) by the daemon that held it: again */
		close(c->lock_fd);
		c->lock_fd = -1;
	}
	return -EAGAIN;
}

int ctl_open(struct ctl **out, const char *path, gid_t group)
{
	struct sockaddr_un sun;
	struct ctl *c;
	struct stat st;
	int i, r;

	*out = NULL;
	r = ctl_fill_addr(&sun, path);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->lock_fd = -1;
	c->group = group;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		c->cl[i].fd = -1;
		c->cl[i].pfd_idx = -1;
	}
	c->path = strdup(path);
	if (!c->path || asprintf(&c->lock_path, "%s.lock", path) < 0) {
		c->lock_path = NULL;
		r = -ENOMEM;
		goto fail;
	}

	/* The lock closes the window between "nobody answers on the stale
	 * socket" and our bind, when two daemons start at once. */
	r = ctl_lock(c);
	if (r < 0)
		goto fail;

	r = ctl_probe(path);
	if (r > 0) {
		r = -EADDRINUSE;
		goto fail;
	}
	if (r < 0) {
		log_err("ctl: probing %s: %s", path, strerror(-r));
		goto fail;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("ctl: %s exists and is not a socket: not replacing it", path);
			r = -EEXIST;
			goto fail;
		}
		log_info("ctl: replacing the stale socket %s", path);
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			goto fail;
		}
	}

	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		r = -errno;
		goto fail;
	}
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		goto fail;
	}
	/* Anyone may connect: read requests are public, changes are checked
	 * per request with the peer's credentials. */
	if (chmod(path, 0666) < 0 || lstat(path, &st) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (listen(c->fd, 128) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	ctl_close(c);
	return r;
}

/* Forget client @cl: drop its connection and answer. */
static void ctl_client_drop(struct ctl_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl->body);
	cl->body = NULL;
	cl->fd = -1;
	cl->pfd_idx = -1;
	cl->writing = false;
	cl->len = 0;
}

void ctl_close(struct ctl *c)
{
	struct stat st;
	int i;

	if (!c)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl_client_drop(&c->cl[i]);
	if (c->fd >= 0) {
		if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
			unlink(c->path);
		close(c->fd);
	}
	if (c->lock_fd >= 0) {
		/* only while we hold the lock, only the file we created
		 * (one that was there before stays), and only if it is
		 * still that file: a starter that opened it meanwhile sees
		 * it gone and retries */
		if (c->lock_held && c->lock_created && lstat(c->lock_path, &st) == 0 && st.st_dev == c->lock_dev &&
		    st.st_ino == c->lock_ino)
			unlink(c->lock_path);
		close(c->lock_fd);
	}
	free(c->lock_path);
	free(c->path);
	free(c);
}

int ctl_fd(const struct ctl *c)
{
	return c ? c->fd : -1;
}

void ctl_set_group(struct ctl *c, gid_t group)
{
	if (c)
		c->group = group;
}

/*
 * May the peer on @fd change things?  uid 0, or @group as its primary or
 * one of its supplementary groups.  The supplementary groups come from
 * SO_PEERGROUPS (Linux >= 4.13): the kernel's copy of the peer's groups at
 * connect() time, so no race with the peer exiting and its pid being
 * reused (which /proc/PID/status would have).  Older kernels: getgrouplist()
 * of the peer uid's user, i.e. the group database rather than the process.
 */
static bool ctl_peer_may_change(int fd, gid_t group, const struct ucred *cred)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];
	bool ok = false;
	int i, n, r;

	if (cred->uid == 0)
		return true;
	if (group == (gid_t)-1)
		return false;
	if (cred->gid == group)
		return true;

	r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (r < 0 && errno == ERANGE) {
		groups = malloc(len);
		if (!groups)
			return false;
		r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	}
	if (r < 0 && errno == ENOPROTOOPT) {
		/* no SO_PEERGROUPS: fall back to the group database */
		if (getpwuid_r(cred->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp)
			goto out;
		n = (int)(sizeof(small) / sizeof(small[0]));
		if (getgrouplist(pwp->pw_name, pwp->pw_gid, small, &n) < 0)
			goto out; /* more than 64 groups: refuse rather than guess */
		for (i = 0; i < n; i++)
			if (small[i] == group)
				ok = true;
		goto out;
	}
	if (r < 0)
		goto out;
	n = (int)(len / sizeof(gid_t));
	for (i = 0; i < n; i++)
		if (groups[i] == group)
			ok = true;
out:
	if (groups != small)
		free(groups);
	return ok;
}

/* Split @line at blanks into @argv (at most @max words).  Return the word
 * count, or -E2BIG. */
static int ctl_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

/* Discard what the client sent beyond its request line (at most 1 MiB,
 * without waiting): closing a unix socket with unread input resets the
 * connection, and the client would lose our answer. */
static void ctl_drain(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while (total < (1u << 20)) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
}

/* The answer is out: close. */
static void ctl_client_done(struct ctl_client *cl)
{
	ctl_drain(cl->fd);
	ctl_client_drop(cl);
}

/* Send what the socket takes of @cl's answer, now.  Done: close. */
static void ctl_client_write(struct ctl_client *cl, int64_t now)
{
	struct msghdr mh = { 0 };
	ssize_t n;
	size_t left;

	for (;;) {
		while (cl->iov_at < 3 && cl->iov[cl->iov_at].iov_len == 0)
			cl->iov_at++;
		if (cl->iov_at == 3) {
			ctl_client_done(cl);
			return;
		}
		mh.msg_iov = cl->iov + cl->iov_at;
		mh.msg_iovlen = (size_t)(3 - cl->iov_at);
		n = sendmsg(cl->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			/* a peer that hung up (a probe, say) is no news */
			log_msg(errno == EPIPE || errno == ECONNRESET ? LOG_DEBUG : LOG_INFO,
				"ctl: answer to pid %d not sent: %s", (int)cl->cred.pid,
				strerror(errno));
			ctl_client_drop(cl);
			return;
		}
		/* progress: a new I/O deadline, within the answer's */
		cl->deadline = now + CTL_IO_TIMEOUT_MS;
		if (cl->deadline > cl->answer_end)
			cl->deadline = cl->answer_end;
		for (left = (size_t)n; left && cl->iov_at < 3; cl->iov_at++) {
			struct iovec *v = &cl->iov[cl->iov_at];

			if (left < v->iov_len) {
				v->iov_base = (char *)v->iov_base + left;
				v->iov_len -= left;
				break;
			}
			left -= v->iov_len;
			v->iov_len = 0;
		}
	}
}

/*
 * Is @line (@len bytes, no newline) well formed?  Blanks (space, tab) and
 * printable bytes only: a NUL or another control character means the
 * client and we would not agree on what the request says.  0, or -EINVAL
 * with a message in @msg.
 */
static int ctl_check_line(const char *line, size_t len, char *msg, size_t msglen)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			snprintf(msg, msglen,
				 "malformed request: control character 0x%02x at byte %zu\n", ch,
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

/* @cl's request line is complete (its first @len bytes): serve it and
 * start sending the answer. */
static void ctl_client_serve(struct ctl *c, struct ctl_client *cl, size_t len,
			     ctl_handler_fn fn, void *arg, int64_t now)
{
	char *argv[CTL_MAX_ARGS + 1];
	size_t bodylen = 0;
	int argc, r;

	cl->head[0] = '\0';
	cl->req[len] = '\0';
	if (len && cl->req[len - 1] == '\r')
		cl->req[--len] = '\0';
	r = ctl_check_line(cl->req, len, cl->head, sizeof(cl->head));
	if (r < 0) {
		log_info("ctl: malformed request from uid %u (pid %d): refused",
			 (unsigned)cl->cred.uid, (int)cl->cred.pid);
		goto answer;
	}
	argc = ctl_split(cl->req, argv, CTL_MAX_ARGS);
	if (argc <= 0) {
		snprintf(cl->head, sizeof(cl->head), "%s\n",
			 argc == 0 ? "empty request" : "too many arguments");
		r = argc == 0 ? -EINVAL : -E2BIG;
	} else if (ctl_cmd_is_change(argv[0]) &&
		   !ctl_peer_may_change(cl->fd, c->group, &cl->cred)) {
		log_notice("ctl: refused \"%s\" from uid %u (pid %d): not root nor in the control group",
			   argv[0], (unsigned)cl->cred.uid, (int)cl->cred.pid);
		snprintf(cl->head, sizeof(cl->head),
			 "permission denied: \"%s\" needs root or the control group\n", argv[0]);
		r = -EPERM;
	} else {
		log_debug("ctl: \"%s\" from uid %u (pid %d)", argv[0], (unsigned)cl->cred.uid,
			  (int)cl->cred.pid);
		r = fn(arg, argv[0], argc - 1, argv + 1, &cl->body, &bodylen);
		if (r > 0)
			r = -r; /* be lenient with a handler returning errno */
		if (!cl->body)
			bodylen = 0;
		/* the handler may have taken a while */
		now = ctl_now_ms();
	}
answer:
	snprintf(cl->tail, sizeof(cl->tail), "%serrno=%d\n",
		 bodylen && cl->body[bodylen - 1] != '\n' ? "\n" : "", -r);
	cl->iov[0].iov_base = cl->head;
	cl->iov[0].iov_len = strlen(cl->head);
	cl->iov[1].iov_base = cl->body;
	cl->iov[1].iov_len = bodylen;
	cl->iov[2].iov_base = cl->tail;
	cl->iov[2].iov_len = strlen(cl->tail);
	cl->iov_at = 0;
	cl->writing = true;
	cl->answer_end = now + CTL_ANSWER_TIMEOUT_MS;
	cl->deadline = now + CTL_IO_TIMEOUT_MS;
	ctl_client_write(cl, now);
}

/* Read what @cl sent, without waiting; serve it once the line is whole. */
static void ctl_client_read(struct ctl *c, struct ctl_client *cl, ctl_handler_fn fn,
			    void *arg, int64_t now)
{
	ssize_t n;
	char *nl;

	for (;;) {
		if (cl->len + 1 >= sizeof(cl->req)) {
			log_info("ctl: dropping client pid %d uid %u: request too long",
				 (int)cl->cred.pid, (unsigned)cl->cred.uid);
			/* answer without a handler: head, no body */
			free(cl->body);
			cl->body = NULL;
			snprintf(cl->head, sizeof(cl->head), "request too long\n");
			snprintf(cl->tail, sizeof(cl->tail), "errno=%d\n", EMSGSIZE);
			cl->iov[0].iov_base = cl->head;
			cl->iov[0].iov_len = strlen(cl->head);
			cl->iov[1].iov_len = 0;
			cl->iov[2].iov_base = cl->tail;
			cl->iov[2].iov_len = strlen(cl->tail);
			cl->iov_at = 0;
			cl->writing = true;
			cl->answer_end = now + CTL_IO_TIMEOUT_MS;
			cl->deadline = cl->answer_end;
			ctl_client_write(cl, now);
			return;
		}
		n = recv(cl->fd, cl->req + cl->len, sizeof(cl->req) - 1 - cl->len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				log_info("ctl: dropping client pid %d uid %u: %s", (int)cl->cred.pid,
					 (unsigned)cl->cred.uid, strerror(errno));
				ctl_client_drop(cl);
			}
			return;
		}
		if (n == 0) {
			/* EOF ends the line too */
			ctl_client_serve(c, cl, cl->len, fn, arg, now);
			return;
		}
		nl = memchr(cl->req + cl->len, '\n', (size_t)n);
		cl->len += (size_t)n;
		if (nl) {
			ctl_client_serve(c, cl, (size_t)(nl - cl->req), fn, arg, now);
			return;
		}
	}
}

/* A slot for a new client: a free one, else the oldest one still waiting
 * for its request (else the oldest of all) is dropped for it. */
static struct ctl_client *ctl_slot(struct ctl *c, int64_t now)
{
	struct ctl_client *old = NULL, *old_w = NULL, *cl;
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		cl = &c->cl[i];
		if (cl->fd < 0)
			return cl;
		if (!cl->writing && (!old || cl->seq < old->seq))
			old = cl;
		if (cl->writing && (!old_w || cl->seq < old_w->seq))
			old_w = cl;
	}
	if (!old)
		old = old_w;
	if (!c->full_logged || now - c->full_logged >= CTL_FULL_LOG_MS) {
		log_notice("ctl: more than %d clients at once: dropping the oldest (pid %d uid %u; logged at most once a minute)",
			   CTL_MAX_CLIENTS, (int)old->cred.pid, (unsigned)old->cred.uid);
		c->full_logged = now;
	}
	ctl_client_drop(old);
	return old;
}

/* Accept the clients waiting in the backlog (a bounded number). */
static void ctl_accept(struct ctl *c, ctl_handler_fn fn, void *arg, int64_t now)
{
	struct ctl_client *cl;
	struct ucred cred;
	socklen_t clen;
	int i, fd;

	for (i = 0; i < CTL_ACCEPT_BURST; i++) {
		fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn("ctl: accept: %s", strerror(errno));
			return;
		}
		clen = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
			log_warn("ctl: SO_PEERCRED: %s", strerror(errno));
			close(fd);
			continue;
		}
		cl = ctl_slot(c, now);
		cl->fd = fd;
		cl->cred = cred;
		cl->seq = ++c->seq;
		cl->deadline = now + CTL_REQ_TIMEOUT_MS;
		cl->writing = false;
		cl->len = 0;
		cl->pfd_idx = -1;
		/* the request often comes with the connection */
		ctl_client_read(c, cl, fn, arg, now);
	}
}

int ctl_pollfds(struct ctl *c, struct pollfd *pfd, int max)
{
	struct ctl_client *cl;
	int i, n = 0;

	if (!c || max < 1)
		return 0;
	pfd[n].fd = c->fd;
	pfd[n].events = POLLIN;
	pfd[n].revents = 0;
	n++;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		cl = &c->cl[i];
		cl->pfd_idx = -1;
		if (cl->fd < 0 || n == max)
			continue;
		pfd[n].fd = cl->fd;
		pfd[n].events = cl->writing ? POLLOUT : POLLIN;
		pfd[n].revents = 0;
		cl->pfd_idx = n++;
	}
	return n;
}

int ctl_timeout_ms(const struct ctl *c)
{
	int64_t first = INT64_MAX, left;
	int i;

	if (!c)
		return -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0 && c->cl[i].deadline < first)
			first = c->cl[i].deadline;
	if (first == INT64_MAX)
		return -1;
	left = first - ctl_now_ms();
	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

void ctl_dispatch(struct ctl *c, const struct pollfd *pfd, int n, ctl_handler_fn fn, void *arg)
{
	int64_t now = ctl_now_ms();
	struct ctl_client *cl;
	int i;

	if (!c)
		return;
	/* first the clients we know: a request that arrived is served before
	 * the new connections below could push its client out */
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		cl = &c->cl[i];
		if (cl->fd < 0 || cl->pfd_idx < 0 || cl->pfd_idx >= n ||
		    pfd[cl->pfd_idx].fd != cl->fd || !pfd[cl->pfd_idx].revents)
			continue;
		if (cl->writing)
			ctl_client_write(cl, now);
		else
			ctl_client_read(c, cl, fn, arg, now);
	}
	if (n > 0 && pfd[0].fd == c->fd && pfd[0].revents)
		ctl_accept(c, fn, arg, now);
	now = ctl_now_ms();
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		cl = &c->cl[i];
		if (cl->fd < 0 || cl->deadline > now)
			continue;
		/* Past its deadline, but the daemon may have been busy (a long
		 * reload) while the client did its part: one last try. */
		if (cl->writing)
			ctl_client_write(cl, now);
		else
			ctl_client_read(c, cl, fn, arg, now);
		if (cl->fd < 0 || cl->deadline > now)
			continue;
		if (cl->writing)
			log_info("ctl: answer to pid %d not sent: client too slow, dropped",
				 (int)cl->cred.pid);
		else
			log_debug("ctl: dropping client pid %d uid %u: no request within %d ms",
				  (int)cl->cred.pid, (unsigned)cl->cred.uid, CTL_REQ_TIMEOUT_MS);
		ctl_client_drop(cl);
	}
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		c->cl[i].pfd_idx = -1;
}

/* Each blocking step (connect, send, every recv) gives up after
 * CTL_CLIENT_TIMEOUT_S without progress: -ETIMEDOUT. */
int ctl_request(const char *path, const char *line, char **body, size_t *bodylen)
{
	char *buf = NULL, *nb, *last, *end;
	size_t len = 0, cap = 0, ll = strlen(line);
	ssize_t n;
	long e;
	int fd, r;

	*body = NULL;
	*bodylen = 0;
	fd = ctl_connect(path, CTL_CLIENT_TIMEOUT_S);
	if (fd < 0)
		return fd;
	if (send(fd, line, ll, MSG_NOSIGNAL) != (ssize_t)ll ||
	    ((!ll || line[ll - 1] != '\n') && send(fd, "\n", 1, MSG_NOSIGNAL) != 1)) {
		/* The daemon may have refused the request and closed before we
		 * finished sending (e.g. "request too long"): its answer is
		 * still queued for us, so read it. */
		if (errno != EPIPE && errno != ECONNRESET) {
			r = -errno;
			goto out;
		}
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= CTL_MAX_ANSWER) {
				r = -EMSGSIZE;
				goto out;
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET && len > 0)
				break; /* closed with our request unread: answer complete */
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* The answer ends with "errno=N\n"; everything before is the body. */
	if (!buf || len < 8 || buf[len - 1] != '\n') {
		r = -EPROTO;
		goto out;
	}
	buf[len] = '\0';
	buf[len - 1] = '\0';
	last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	if (strncmp(last, "errno=", 6) != 0) {
		r = -EPROTO;
		goto out;
	}
	errno = 0;
	e = strtol(last + 6, &end, 10);
	if (errno || *end || end == last + 6 || e < 0 || e > 4095) {
		r = -EPROTO;
		goto out;
	}
	*last = '\0';
	*bodylen = (size_t)(last - buf);
	*body = buf;
	buf = NULL;
	r = (int)e;
out:
	free(buf);
	close(fd);
	return r;
}
