/* loop.c: the poll loop (loop.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

struct loop_fd {
	int fd;
	loop_fn fn;
	void *arg;
};

struct loop_timer {
	struct loop_timer *next;
	int64_t due;     /* ms, monotonic */
	bool armed;
	loop_fn fn;
	void *arg;
};

struct loop {
	struct loop_fd *fd;
	size_t nfd;
	struct loop_source *src;
	size_t nsrc;
	struct loop_timer *timers;
	struct pollfd *pfd;
	size_t npfd_cap;
	int wake_fd;
	loop_fn wake_fn;
	void *wake_arg;
	bool stop;
};

int64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain_wake(void *arg)
{
	struct loop *l = arg;
	uint64_t v;

	if (read(l->wake_fd, &v, sizeof(v)) == sizeof(v) && l->wake_fn)
		l->wake_fn(l->wake_arg);
}

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));
	int r;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake_fd < 0) {
		r = -errno;
		free(l);
		return r;
	}
	r = loop_add_fd(l, l->wake_fd, drain_wake, l);
	if (r < 0) {
		loop_free(l);
		return r;
	}
	*out = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->timers) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		free(t);
	}
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	free(l->fd);
	free(l->src);
	free(l->pfd);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, loop_fn fn, void *arg)
{
	struct loop_fd *p;

	if (fd < 0)
		return 0;
	p = realloc(l->fd, (l->nfd + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->fd = p;
	l->fd[l->nfd++] = (struct loop_fd){ .fd = fd, .fn = fn, .arg = arg };
	return 0;
}

int loop_add_source(struct loop *l, const struct loop_source *src)
{
	struct loop_source *p = realloc(l->src, (l->nsrc + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	l->src = p;
	l->src[l->nsrc++] = *src;
	return 0;
}

struct loop_timer *loop_timer_new(struct loop *l, loop_fn fn, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->next = l->timers;
	l->timers = t;
	return t;
}

void loop_timer_arm(struct loop_timer *t, int64_t ms)
{
	t->due = loop_now_ms() + (ms > 0 ? ms : 0);
	t->armed = true;
}

void loop_timer_disarm(struct loop_timer *t)
{
	t->armed = false;
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->armed;
}

void loop_on_wake(struct loop *l, loop_fn fn, void *arg)
{
	l->wake_fn = fn;
	l->wake_arg = arg;
}

int loop_wake(struct loop *l)
{
	uint64_t one = 1;

	if (write(l->wake_fd, &one, sizeof(one)) != sizeof(one))
		return errno == EAGAIN ? 0 : -errno; /* EAGAIN: a wake is pending */
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

/* The poll timeout the timers ask for (-1: none armed). */
static int timer_timeout(const struct loop *l, int64_t now)
{
	int64_t best = -1;

	for (const struct loop_timer *t = l->timers; t; t = t->next) {
		int64_t left;

		if (!t->armed)
			continue;
		left = t->due > now ? t->due - now : 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best > 1000000 ? 1000000 : (int)best;
}

static void run_timers(struct loop *l)
{
	int64_t now = loop_now_ms();

	for (struct loop_timer *t = l->timers; t && !l->stop; t = t->next) {
		if (!t->armed || t->due > now)
			continue;
		t->armed = false;
		t->fn(t->arg); /* may re-arm t */
	}
}

static int ensure_pfd(struct loop *l, size_t n)
{
	struct pollfd *p;

	if (n <= l->npfd_cap)
		return 0;
	p = realloc(l->pfd, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->pfd = p;
	l->npfd_cap = n;
	return 0;
}

/* One round; 0 or -errno. */
static int round_once(struct loop *l)
{
	/* callbacks may add fds or sources: this round serves those it began with */
	size_t i, nfd = l->nfd, nsrc = l->nsrc, n = nfd, want = nfd;
	int timeout = timer_timeout(l, loop_now_ms()), got[nsrc ? nsrc : 1], r;

	for (i = 0; i < nsrc; i++)
		want += (size_t)l->src[i].max;
	if (ensure_pfd(l, want) < 0)
		return -ENOMEM;
	for (i = 0; i < nfd; i++)
		l->pfd[i] = (struct pollfd){ .fd = l->fd[i].fd, .events = POLLIN };
	for (i = 0; i < nsrc; i++) {
		int t = -1;

		got[i] = l->src[i].prepare(l->src[i].arg, l->pfd + n, l->src[i].max, &t);
		n += (size_t)got[i];
		if (t >= 0 && (timeout < 0 || t < timeout))
			timeout = t;
	}
	r = poll(l->pfd, (nfds_t)n, timeout);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < nfd && !l->stop; i++)
		if (l->pfd[i].revents)
			l->fd[i].fn(l->fd[i].arg);
	n = nfd;
	for (i = 0; i < nsrc && !l->stop; i++) {
		l->src[i].dispatch(l->src[i].arg, l->pfd + n, got[i]);
		n += (size_t)got[i];
	}
	run_timers(l);
	return 0;
}

int loop_run(struct loop *l)
{
	int r = 0;

	l->stop = false;
	while (!l->stop && !r)
		r = round_once(l);
	return r;
}
