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
 *
 * Answers live in a table of their own (struct ctl_answer, one slot per
 * possible client): a snapshot of the bytes and the clients sending it.
 * A CMD_SHARED read finds an answer to the same words in the same
 * generation there and takes a reference instead of building its own.
 * The bytes of all answers are counted against the cap; an answer goes
 * with its last client, and big frees are handed back with malloc_trim().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
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
#include "snap.h"

#define CTL_REQ_TIMEOUT_MS 1000    /* whole request line */
#define CTL_IO_TIMEOUT_MS 1000     /* no progress while answering */
#define CTL_ANSWER_TIMEOUT_MS 10000 /* whole answer */
#define CTL_WAIT_MS (CTL_ANSWER_TIMEOUT_MS + CTL_IO_TIMEOUT_MS)
				   /* for buffer room: by then every answer
				      buffered when the wait began is gone */
#define CTL_ACCEPT_BURST CTL_MAX_CLIENTS /* accepts per ctl_dispatch() */
#define CTL_LOG_WINDOW_MS 60000    /* log limits: per minute ... */
#define CTL_LOG_BURST 10           /* ... this many lines of a kind */
#define CTL_TRIM_BYTES (1u << 20)  /* malloc_trim() once this much is freed */
#define CTL_SLACK_BYTES (64u << 10) /* an answer's buffer is shrunk to fit
				      when it has more room to spare */
#define CTL_CLIENT_TIMEOUT_S 30    /* client: connect, send, and each read of
				      the answer wait at most this long for
				      the daemon (spigrp(8) says so); long
				      enough for a daemon busy applying a
				      large config, short enough for a human */
#define CTL_MAX_ANSWER (256u << 20) /* client: refuse more than 256 MiB */

/* One answer, sent to one client or shared by several.  body NULL: a free
 * slot.  There are as many slots as clients: each client holds one answer
 * at most. */
struct ctl_answer {
	struct snap *body;
	int err;                   /* the command's result, -errno */
	const struct cmd_def *def; /* what it answers */
	uint64_t gen;              /* the generation it was built in */
	int64_t built;             /* ms (monotonic) */
	unsigned users;            /* clients sending it */
	bool shared;               /* may be given to identical requests */
	size_t keylen;             /* shared: the request's words */
	char *key;
};

enum ctl_state {
	CTL_READ,  /* the request is awaited */
	CTL_WAIT,  /* a read waits for room under the answer cap */
	CTL_WRITE, /* the answer is being sent */
};

/* One open connection.  fd < 0: a free slot. */
struct ctl_client {
	int fd;
	enum ctl_state state;
	int pfd_idx;        /* its entry in the last ctl_pollfds(), or -1 */
	struct ucred cred;  /* of the peer, at accept time */
	uint64_t seq;       /* accept order: the oldest goes first when full */
	int64_t deadline;   /* ms (monotonic): dropped (or refused) then */
	int64_t answer_end; /* ms (monotonic): the whole answer by then */
	size_t len;         /* request bytes so far */
	char req[CMD_LINE_MAX];
	/* the answer: head (our message), body (the answer's), tail */
	struct ctl_answer *ans; /* holds one of its users, or NULL */
	struct iovec iov[3];
	int iov_at;         /* first iov with bytes left */
	char head[REASON_LEN + 1];
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
	uint64_t seq;        /* accepts so far */
	const struct cmd_table *t; /* of the running ctl_dispatch() */
	void *arg;
	size_t cap;          /* answer bytes buffered at most (see ctl_room) */
	size_t buffered;     /* bytes of the answers in ans[] */
	size_t freed;        /* bytes freed since the last malloc_trim() */
	bool room_freed;     /* an answer went: serve the waiting clients */
	size_t *last;        /* per command of the table: the size of its
				last answer (a guess at the next one's) */
	size_t nlast;
	struct log_limit lim_refused, lim_io, lim_full, lim_busy;
	struct ctl_answer ans[CTL_MAX_CLIENTS];
	struct ctl_client cl[CTL_MAX_CLIENTS];
};

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
	c->cap = CTL_ANSWER_CAP;
	c->lim_refused = (struct log_limit)LOG_LIMIT_INIT("ctl: refused requests",
							  CTL_LOG_WINDOW_MS, CTL_LOG_BURST);
	c->lim_io = (struct log_limit)LOG_LIMIT_INIT("ctl: lost clients", CTL_LOG_WINDOW_MS,
						     CTL_LOG_BURST);
	c->lim_full = (struct log_limit)LOG_LIMIT_INIT("ctl: connection table full",
						       CTL_LOG_WINDOW_MS, 1);
	c->lim_busy = (struct log_limit)LOG_LIMIT_INIT("ctl: answer cap reached",
						       CTL_LOG_WINDOW_MS, CTL_LOG_BURST);
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

/* @a lost a client: the last one frees it (and every CTL_TRIM_BYTES freed
 * go back to the system). */
static void ctl_answer_put(struct ctl *c, struct ctl_answer *a)
{
	size_t len;

	if (--a->users > 0)
		return;
	len = snap_len(a->body);
	snap_put(a->body);
	free(a->key);
	memset(a, 0, sizeof(*a));
	c->buffered -= len;
	c->freed += len;
	c->room_freed = true;
	if (c->freed >= CTL_TRIM_BYTES) {
		malloc_trim(0);
		c->freed = 0;
	}
}

/* Forget client @cl: drop its connection and its hold on its answer. */
static void ctl_client_drop(struct ctl *c, struct ctl_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	if (cl->ans)
		ctl_answer_put(c, cl->ans);
	cl->ans = NULL;
	cl->fd = -1;
	cl->pfd_idx = -1;
	cl->state = CTL_READ;
	cl->len = 0;
}

void ctl_close(struct ctl *c)
{
	struct stat st;
	int i;

	if (!c)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl_client_drop(c, &c->cl[i]);
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
	free(c->last);
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

void ctl_set_answer_cap(struct ctl *c, size_t bytes)
{
	if (c)
		c->cap = bytes;
}

size_t ctl_answer_bytes(const struct ctl *c)
{
	return c ? c->buffered : 0;
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

/* Send what the socket takes of @cl's answer, now.  Done: close. */
static void ctl_client_write(struct ctl *c, struct ctl_client *cl, int64_t now)
{
	struct msghdr mh = { 0 };
	ssize_t n;
	size_t left;

	for (;;) {
		while (cl->iov_at < 3 && cl->iov[cl->iov_at].iov_len == 0)
			cl->iov_at++;
		if (cl->iov_at == 3) {
			ctl_drain(cl->fd);
			ctl_client_drop(c, cl);
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
			if (errno == EPIPE || errno == ECONNRESET)
				log_debug("ctl: answer to pid %d not sent: %s", (int)cl->cred.pid,
					  strerror(errno));
			else
				log_limited(&c->lim_io, LOG_INFO, "ctl: answer to pid %d not sent: %s",
					    (int)cl->cred.pid, strerror(errno));
			ctl_client_drop(c, cl);
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

/* Start sending @cl its answer: cl->head (set by the caller), the body of
 * @a (NULL: none; @cl becomes one of its users), "errno=-@r". */
static void ctl_client_answer(struct ctl *c, struct ctl_client *cl, int r, struct ctl_answer *a,
			      int64_t now)
{
	const char *body = a ? snap_data(a->body) : NULL;
	size_t len = a ? snap_len(a->body) : 0;

	cl->ans = a;
	if (a)
		a->users++;
	snprintf(cl->tail, sizeof(cl->tail), "%serrno=%d\n",
		 len && body[len - 1] != '\n' ? "\n" : "", -r);
	cl->iov[0].iov_base = cl->head;
	cl->iov[0].iov_len = strlen(cl->head);
	cl->iov[1].iov_base = (void *)body;
	cl->iov[1].iov_len = len;
	cl->iov[2].iov_base = cl->tail;
	cl->iov[2].iov_len = strlen(cl->tail);
	cl->iov_at = 0;
	cl->state = CTL_WRITE;
	cl->answer_end = now + CTL_ANSWER_TIMEOUT_MS;
	cl->deadline = now + CTL_IO_TIMEOUT_MS;
	ctl_client_write(c, cl, now);
}

/* Refuse @cl's request with -@r, saying @why (to the client; to the log at
 * @prio, within the limit: any client can cause this). */
static void ctl_client_refuse(struct ctl *c, struct ctl_client *cl, int r,
			      const struct reason *why, int prio, struct log_limit *lim,
			      int64_t now)
{
	log_limited(lim, prio, "ctl: refused a request from uid %u (pid %d): %s",
		    (unsigned)cl->cred.uid, (int)cl->cred.pid, why->text);
	snprintf(cl->head, sizeof(cl->head), "%s\n", why->text);
	ctl_client_answer(c, cl, r, NULL, now);
}

/* A live answer for @call that it may share: same command and words, same
 * generation @gen, not too old.  NULL when there is none. */
static struct ctl_answer *ctl_answer_find(struct ctl *c, const struct cmd_call *call,
					  uint64_t gen, int64_t now)
{
	unsigned max_age = call->def->max_age_ms;

	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_answer *a = &c->ans[i];

		if (a->body && a->shared && a->def == call->def && a->gen == gen &&
		    (!max_age || now - a->built <= (int64_t)max_age) &&
		    a->keylen == call->wordlen && !memcmp(a->key, call->words, a->keylen))
			return a;
	}
	return NULL;
}

/* Where the size of @def's last answer is kept, or NULL (out of memory). */
static size_t *ctl_last_size(struct ctl *c, const struct cmd_def *def)
{
	size_t i = (size_t)(def - c->t->cmd), *p;

	if (c->nlast < c->t->n) {
		p = realloc(c->last, c->t->n * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + c->nlast, 0, (c->t->n - c->nlast) * sizeof(*p));
		c->last = p;
		c->nlast = c->t->n;
	}
	return &c->last[i];
}

/*
 * May a new answer to @def be built now?  Always when nothing is buffered
 * (an answer of any size gets through); otherwise when the bytes buffered
 * plus a guess at the new answer's size (the size of @def's last answer)
 * stay within the cap.  So the bytes buffered go beyond the cap only by
 * what answers outgrow their guesses (a first answer, a growing config).
 */
static bool ctl_room(struct ctl *c, const struct cmd_def *def)
{
	size_t *last = ctl_last_size(c, def), guess = last ? *last : 0;

	if (c->buffered == 0)
		return true;
	return c->buffered <= c->cap && guess <= c->cap - c->buffered;
}

/* Run @call and keep its answer in a free slot, shared when @share (then
 * under the generation @gen).  NULL when out of memory. */
static struct ctl_answer *ctl_answer_build(struct ctl *c, const struct cmd_call *call,
					   bool share, uint64_t gen)
{
	struct strbuf out = STRBUF_INIT;
	struct ctl_answer *a = NULL;
	char *data, *fit;
	size_t len = 0, i, *last;
	int r;

	for (i = 0; i < CTL_MAX_CLIENTS && !a; i++)
		if (!c->ans[i].body)
			a = &c->ans[i];
	if (!a)
		return NULL; /* cannot be: one slot per client */
	r = cmd_exec(c->arg, call, &out);
	if (out.oom) {
		strbuf_free(&out);
		strbuf_puts(&out, "out of memory\n");
		r = -ENOMEM;
	}
	if (out.cap - out.len > CTL_SLACK_BYTES) {
		fit = realloc(out.s, out.len + 1);
		if (fit) {
			out.s = fit;
			out.cap = out.len + 1;
		}
	}
	data = strbuf_take(&out, &len);
	if (!data)
		return NULL;
	a->body = snap_new(data, len, 0, NULL);
	if (!a->body)
		return NULL;
	a->err = r;
	a->def = call->def;
	a->gen = gen;
	a->built = ctl_now_ms();
	a->users = 0;
	a->shared = share && r == 0;
	if (a->shared) {
		a->key = malloc(call->wordlen);
		a->shared = a->key != NULL;
		if (a->key)
			memcpy(a->key, call->words, call->wordlen);
		a->keylen = call->wordlen;
	}
	c->buffered += len;
	last = ctl_last_size(c, call->def);
	if (last)
		*last = len;
	return a;
}

/*
 * @cl's request is complete (the first cl->len bytes of cl->req): parse it,
 * check who may run it and its arguments, then answer it: with a shared
 * answer when there is one, else with one built now if there is room for
 * it under the cap; else the client waits (CTL_WAIT) for room.
 */
static void ctl_client_serve_call(struct ctl *c, struct ctl_client *cl, int64_t now,
				  struct cmd_call *call)
{
	struct reason why = { "" };
	struct ctl_answer *a = NULL;
	uint64_t gen = 0;
	bool share;
	int r;

	cl->head[0] = '\0';
	r = cmd_parse(c->t, cl->req, cl->len, call, &why);
	if (r < 0) { /* (a connection closed at once is a probe: no news) */
		ctl_client_refuse(c, cl, r, &why, cl->len ? LOG_INFO : LOG_DEBUG,
				  &c->lim_refused, now);
		return;
	}
	call->uid = cl->cred.uid;
	call->pid = cl->cred.pid;
	if (cmd_needs_privilege(call->def) && !ctl_peer_may_change(cl->fd, c->group, &cl->cred)) {
		reason_set(&why, "permission denied: \"%s\" needs root or the control group",
			   call->def->name);
		ctl_client_refuse(c, cl, -EPERM, &why, LOG_NOTICE, &c->lim_refused, now);
		return;
	}
	r = cmd_check_args(call, &why);
	if (r < 0) {
		ctl_client_refuse(c, cl, r, &why, LOG_INFO, &c->lim_refused, now);
		return;
	}
	share = (call->def->flags & CMD_SHARED) && c->t->generation;
	if (share) {
		gen = c->t->generation(c->arg);
		a = ctl_answer_find(c, call, gen, now);
	}
	if (!a) {
		/* changes never wait: their answers are short */
		if (!cmd_needs_privilege(call->def) && !ctl_room(c, call->def)) {
			if (cl->state != CTL_WAIT) {
				cl->state = CTL_WAIT;
				cl->deadline = now + CTL_WAIT_MS;
			}
			return;
		}
		log_debug("ctl: \"%s\" from uid %u (pid %d)", call->def->name,
			  (unsigned)cl->cred.uid, (int)cl->cred.pid);
		a = ctl_answer_build(c, call, share, gen);
		now = ctl_now_ms(); /* the command may have taken a while */
		if (!a) {
			reason_set(&why, "out of memory");
			ctl_client_refuse(c, cl, -ENOMEM, &why, LOG_WARNING, &c->lim_busy, now);
			return;
		}
	}
	ctl_client_answer(c, cl, a->err, a, now);
}

/* ctl_client_serve_call(); then the request's bytes are wiped (a KLIPS
 * command's words hold keys), unless the client waits to be served again. */
static void ctl_client_serve(struct ctl *c, struct ctl_client *cl, int64_t now)
{
	struct cmd_call call;

	ctl_client_serve_call(c, cl, now, &call);
	explicit_bzero(&call, sizeof(call));
	if (cl->state != CTL_WAIT)
		explicit_bzero(cl->req, sizeof(cl->req));
}

/* Read what @cl sent, without waiting; serve it once the line is whole (or
 * too long to be one). */
static void ctl_client_read(struct ctl *c, struct ctl_client *cl, int64_t now)
{
	ssize_t n;

	for (;;) {
		if (cl->len == sizeof(cl->req)) {
			ctl_client_serve(c, cl, now); /* refused: too long */
			return;
		}
		n = recv(cl->fd, cl->req + cl->len, sizeof(cl->req) - cl->len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				log_limited(&c->lim_io, LOG_INFO,
					    "ctl: dropping client pid %d uid %u: %s",
					    (int)cl->cred.pid, (unsigned)cl->cred.uid,
					    strerror(errno));
				ctl_client_drop(c, cl);
			}
			return;
		}
		cl->len += (size_t)n;
		/* EOF ends the line too */
		if (n == 0 || memchr(cl->req + cl->len - n, '\n', (size_t)n)) {
			ctl_client_serve(c, cl, now);
			return;
		}
	}
}

/* A slot for a new client: a free one, else the oldest one still waiting
 * for its request (else the oldest of all) is dropped for it. */
static struct ctl_client *ctl_slot(struct ctl *c, int64_t now)
{
	struct ctl_client *old = NULL, *old_w = NULL, *cl;
	uid_t me = geteuid();
	int i;

	(void)now;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		cl = &c->cl[i];
		if (cl->fd < 0)
			return cl;
		if (cl->state == CTL_READ && (!old || cl->seq < old->seq))
			old = cl;
		/* an answer to root (or to our own user) is never cut */
		if (cl->state != CTL_READ && cl->cred.uid != 0 && cl->cred.uid != me &&
		    (!old_w || cl->seq < old_w->seq))
			old_w = cl;
	}
	/* The oldest client still sending its request, else the oldest other
	 * user's answer under way; with neither, the new one is refused. */
	if (!old)
		old = old_w;
	if (!old)
		return NULL;
	log_limited(&c->lim_full, LOG_NOTICE,
		    "ctl: more than %d clients at once: dropping the oldest (pid %d uid %u)",
		    CTL_MAX_CLIENTS, (int)old->cred.pid, (unsigned)old->cred.uid);
	ctl_client_drop(c, old);
	return old;
}

/* Accept the clients waiting in the backlog (a bounded number). */
static void ctl_accept(struct ctl *c, int64_t now)
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
				log_limited(&c->lim_io, LOG_WARNING, "ctl: accept: %s",
					    strerror(errno));
			return;
		}
		clen = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
			log_limited(&c->lim_io, LOG_WARNING, "ctl: SO_PEERCRED: %s",
				    strerror(errno));
			close(fd);
			continue;
		}
		cl = ctl_slot(c, now);
		if (!cl) {
			/* every client is root's, being answered: this one is
			 * refused (it sees the connection closed) */
			log_limited(&c->lim_full, LOG_NOTICE,
				    "ctl: %d clients being answered: refusing a new one (pid %d uid %u)",
				    CTL_MAX_CLIENTS, (int)cred.pid, (unsigned)cred.uid);
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->cred = cred;
		cl->seq = ++c->seq;
		cl->deadline = now + CTL_REQ_TIMEOUT_MS;
		cl->state = CTL_READ;
		cl->len = 0;
		cl->pfd_idx = -1;
		/* the request often comes with the connection */
		ctl_client_read(c, cl, now);
	}
}

/* Room was freed: serve the clients waiting for it, oldest first. */
static void ctl_serve_waiting(struct ctl *c, int64_t now)
{
	struct ctl_client *next;
	uint64_t after = 0;
	int i;

	if (!c->room_freed)
		return;
	c->room_freed = false;
	for (;;) {
		next = NULL;
		for (i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *cl = &c->cl[i];

			if (cl->fd >= 0 && cl->state == CTL_WAIT && cl->seq > after &&
			    (!next || cl->seq < next->seq))
				next = cl;
		}
		if (!next)
			return;
		after = next->seq;
		ctl_client_serve(c, next, now);
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
		if (cl->fd < 0 || cl->state == CTL_WAIT || n == max)
			continue;
		pfd[n].fd = cl->fd;
		pfd[n].events = cl->state == CTL_WRITE ? POLLOUT : POLLIN;
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

/* One step for @cl: what its state asks for. */
static void ctl_client_step(struct ctl *c, struct ctl_client *cl, int64_t now)
{
	if (cl->state == CTL_WRITE)
		ctl_client_write(c, cl, now);
	else if (cl->state == CTL_READ)
		ctl_client_read(c, cl, now);
	else
		ctl_client_serve(c, cl, now);
}

/* @cl's deadline passed, and one last step did not help: drop it, or
 * refuse its read that found no room. */
static void ctl_client_expire(struct ctl *c, struct ctl_client *cl, int64_t now)
{
	struct reason why;

	switch (cl->state) {
	case CTL_WRITE:
		log_limited(&c->lim_io, LOG_INFO,
			    "ctl: answer to pid %d not sent: client too slow, dropped",
			    (int)cl->cred.pid);
		break;
	case CTL_READ:
		log_debug("ctl: dropping client pid %d uid %u: no request within %d ms",
			  (int)cl->cred.pid, (unsigned)cl->cred.uid, CTL_REQ_TIMEOUT_MS);
		break;
	case CTL_WAIT:
		reason_set(&why, "busy: %zu bytes of answers wait for other clients to read them; try again",
			   c->buffered);
		ctl_client_refuse(c, cl, -EAGAIN, &why, LOG_NOTICE, &c->lim_busy, now);
		return;
	}
	ctl_client_drop(c, cl);
}

void ctl_dispatch(struct ctl *c, const struct pollfd *pfd, int n, const struct cmd_table *t,
		  void *arg)
{
	int64_t now = ctl_now_ms();
	struct ctl_client *cl;
	int i;

	if (!c)
		return;
	c->t = t;
	c->arg = arg;
	/* first the clients we know: a request that arrived is served before
	 * the new connections below could push its client out */
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		cl = &c->cl[i];
		if (cl->fd < 0 || cl->pfd_idx < 0 || cl->pfd_idx >= n ||
		    pfd[cl->pfd_idx].fd != cl->fd || !pfd[cl->pfd_idx].revents)
			continue;
		ctl_client_step(c, cl, now);
	}
	if (n > 0 && pfd[0].fd == c->fd && pfd[0].revents)
		ctl_accept(c, now);
	ctl_serve_waiting(c, now);
	now = ctl_now_ms();
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		cl = &c->cl[i];
		if (cl->fd < 0 || cl->deadline > now)
			continue;
		/* Past its deadline, but the daemon may have been busy (a long
		 * reload) while the client did its part: one last try. */
		ctl_client_step(c, cl, now);
		if (cl->fd >= 0 && cl->deadline <= now)
			ctl_client_expire(c, cl, now);
	}
	ctl_serve_waiting(c, now);
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
