/* ctl.c: the control socket (unix stream), server and client side.
 *
 * One request line per connection, answer lines, last line "errno=N".  The
 * daemon serves one client at a time from its main loop, so every wait on a
 * client is bounded: the request must arrive within CTL_REQ_TIMEOUT_MS, and
 * each write of the answer must make progress within CTL_IO_TIMEOUT_MS (at
 * most CTL_ANSWER_TIMEOUT_MS in all).  A client that dawdles is dropped.
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
#define CTL_CLIENT_TIMEOUT_S 120   /* client: waiting for the daemon */
#define CTL_MAX_ANSWER (256u << 20) /* client: refuse more than 256 MiB */

struct ctl {
	int fd;          /* listening socket, non-blocking */
	int lock_fd;     /* flock on PATH.lock: one daemon per socket */
	char *path;
	dev_t dev;       /* the socket file we made: unlink only that one */
	ino_t ino;
	gid_t group;
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

/* Is a daemon answering on @path?  1 yes, 0 no (nothing there, or a socket
 * file nobody listens on), -errno when we cannot tell. */
static int ctl_probe(const char *path)
{
	struct sockaddr_un sun;
	int fd, r;

	r = ctl_fill_addr(&sun, path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		r = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		r = 0;
	else
		r = -errno;
	close(fd);
	return r;
}

int ctl_open(struct ctl **out, const char *path, gid_t group)
{
	struct sockaddr_un sun;
	struct ctl *c;
	struct stat st;
	char *lock = NULL;
	int r;

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
	c->path = strdup(path);
	if (!c->path || asprintf(&lock, "%s.lock", path) < 0) {
		lock = NULL;
		r = -ENOMEM;
		goto fail;
	}

	/* The lock closes the window between "nobody answers on the stale
	 * socket" and our bind, when two daemons start at once.  The lock
	 * file stays: unlinking it would reopen that window. */
	c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (c->lock_fd < 0) {
		r = -errno;
		log_err("ctl: %s: %s", lock, strerror(-r));
		goto fail;
	}
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		goto fail;
	}

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
	if (listen(c->fd, 32) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
	free(lock);
	*out = c;
	return 0;
fail:
	free(lock);
	if (c->fd >= 0)
		close(c->fd);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->path);
	free(c);
	return r;
}

void ctl_close(struct ctl *c)
{
	struct stat st;

	if (!c)
		return;
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	if (c->fd >= 0)
		close(c->fd);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
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

/* Wait for @events on @fd until @deadline (ms, monotonic).  0 or -errno. */
static int ctl_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - ctl_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Read one request line (without the newline) into @buf within the
 * request deadline.  EOF without newline ends the line too.  Return its
 * length, or -errno (-EMSGSIZE: too long). */
static ssize_t ctl_read_line(int fd, char *buf, size_t size)
{
	int64_t deadline = ctl_now_ms() + CTL_REQ_TIMEOUT_MS;
	size_t len = 0;
	ssize_t n;
	char *nl;
	int r;

	for (;;) {
		if (len + 1 >= size)
			return -EMSGSIZE;
		r = ctl_wait(fd, POLLIN, deadline);
		if (r < 0)
			return r;
		n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl) {
			len = (size_t)(nl - buf);
			break;
		}
	}
	buf[len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return (ssize_t)len;
}

/* Write all of @data, each step within the I/O timeout, all of it before
 * @deadline.  0 or -errno. */
static int ctl_write_all(int fd, const char *data, size_t len, int64_t deadline)
{
	int64_t step;
	ssize_t n;
	int r;

	while (len) {
		step = ctl_now_ms() + CTL_IO_TIMEOUT_MS;
		r = ctl_wait(fd, POLLOUT, step < deadline ? step : deadline);
		if (r < 0)
			return r;
		n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
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

void ctl_serve(struct ctl *c, ctl_handler_fn fn, void *arg)
{
	char line[CTL_MAX_REQ], tail[64], msg[256];
	char *argv[CTL_MAX_ARGS + 1];
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char *body = NULL;
	size_t bodylen = 0;
	int64_t deadline;
	ssize_t n;
	int fd, argc, r, w;

	fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("ctl: accept: %s", strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		log_warn("ctl: SO_PEERCRED: %s", strerror(errno));
		goto out;
	}
	n = ctl_read_line(fd, line, sizeof(line));
	if (n < 0) {
		log_info("ctl: dropping client pid %d uid %u: %s", (int)cred.pid,
			 (unsigned)cred.uid,
			 n == -ETIMEDOUT ? "no request within 1 s" : strerror((int)-n));
		if (n == -EMSGSIZE) {
			snprintf(tail, sizeof(tail), "request too long\nerrno=%d\n", EMSGSIZE);
			ctl_write_all(fd, tail, strlen(tail), ctl_now_ms() + CTL_IO_TIMEOUT_MS);
		}
		goto out;
	}
	argc = ctl_split(line, argv, CTL_MAX_ARGS);
	deadline = ctl_now_ms() + CTL_ANSWER_TIMEOUT_MS;
	if (argc <= 0) {
		snprintf(msg, sizeof(msg), "%s\n",
			 argc == 0 ? "empty request" : "too many arguments");
		r = argc == 0 ? -EINVAL : -E2BIG;
	} else if (ctl_cmd_is_change(argv[0]) && !ctl_peer_may_change(fd, c->group, &cred)) {
		log_notice("ctl: refused \"%s\" from uid %u (pid %d): not root nor in the control group",
			   argv[0], (unsigned)cred.uid, (int)cred.pid);
		snprintf(msg, sizeof(msg),
			 "permission denied: \"%s\" needs root or the control group\n", argv[0]);
		r = -EPERM;
	} else {
		msg[0] = '\0';
		log_debug("ctl: \"%s\" from uid %u (pid %d)", argv[0], (unsigned)cred.uid,
			  (int)cred.pid);
		r = fn(arg, argv[0], argc - 1, argv + 1, &body, &bodylen);
		if (r > 0)
			r = -r; /* be lenient with a handler returning errno */
	}
	if (msg[0])
		ctl_write_all(fd, msg, strlen(msg), deadline);
	if (body && bodylen) {
		w = ctl_write_all(fd, body, bodylen, deadline);
		if (w < 0) {
			log_info("ctl: answer to pid %d not sent: %s", (int)cred.pid,
				 w == -ETIMEDOUT ? "client too slow, dropped" : strerror(-w));
			goto out;
		}
		if (body[bodylen - 1] != '\n')
			ctl_write_all(fd, "\n", 1, deadline);
	}
	snprintf(tail, sizeof(tail), "errno=%d\n", -r);
	ctl_write_all(fd, tail, strlen(tail), deadline);
out:
	free(body);
	ctl_drain(fd);
	close(fd);
}

int ctl_request(const char *path, const char *line, char **body, size_t *bodylen)
{
	struct timeval tv = { .tv_sec = CTL_CLIENT_TIMEOUT_S };
	struct sockaddr_un sun;
	char *buf = NULL, *nb, *last, *end;
	size_t len = 0, cap = 0, ll = strlen(line);
	ssize_t n;
	long e;
	int fd, r;

	*body = NULL;
	*bodylen = 0;
	r = ctl_fill_addr(&sun, path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		goto out;
	}
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
