/* loop.h: the daemon's main loop: poll() over descriptors, one-shot timers
 * on the monotonic clock, and an eventfd that any thread can use to wake
 * it (datapath threads, later).
 *
 * Everything but loop_wake() runs on the thread that calls loop_run().
 * Each round: poll every descriptor (fixed ones with a callback each, then
 * the "sources", whose set changes every round: the control socket's
 * clients), call the callbacks of the ready ones in the order they were
 * added, call every source's dispatch (also after a timeout), then the
 * timers that are due.  No I/O besides poll() and the eventfd.
 */
#ifndef SPIGRP_LOOP_H
#define SPIGRP_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fn)(void *arg);

/* A set of descriptors that changes from round to round (ctl.h's
 * ctl_pollfds() / ctl_timeout_ms() / ctl_dispatch() fit it). */
struct loop_source {
	/* Fill @pfd (at most @max entries), return how many; lower
	 * *@timeout_ms (-1 = none) when the source has a deadline. */
	int (*prepare)(void *arg, struct pollfd *pfd, int max, int *timeout_ms);
	/* After poll(), with the revents set (called every round). */
	void (*dispatch)(void *arg, const struct pollfd *pfd, int n);
	void *arg;
	int max;          /* most entries prepare() ever fills */
};

/* A new loop (with its eventfd), or -errno. */
int loop_new(struct loop **out);
/* Free @l, its timers and its eventfd (not the descriptors added).  NULL
 * is a no-op. */
void loop_free(struct loop *l);

/* Call @fn(@arg) when @fd is readable (or has an error).  A negative @fd is
 * ignored (returns 0).  0 or -ENOMEM. */
int loop_add_fd(struct loop *l, int fd, loop_fn fn, void *arg);
/* Add a source; @src is copied.  0 or -ENOMEM. */
int loop_add_source(struct loop *l, const struct loop_source *src);

/* A timer calling @fn(@arg), not armed; owned by the loop.  NULL: no
 * memory. */
struct loop_timer *loop_timer_new(struct loop *l, loop_fn fn, void *arg);
/* Fire once @ms milliseconds from now (re-arming moves the deadline). */
void loop_timer_arm(struct loop_timer *t, int64_t ms);
void loop_timer_disarm(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);

/* Call @fn(@arg) on the loop's thread after loop_wake(); several wakes
 * before the loop notices make one call. */
void loop_on_wake(struct loop *l, loop_fn fn, void *arg);
/* From any thread: wake the loop.  0 or -errno. */
int loop_wake(struct loop *l);

/* Run rounds until loop_stop().  Return: 0, or -errno when poll() failed
 * for another reason than EINTR. */
int loop_run(struct loop *l);
/* Make loop_run() return after the current round. */
void loop_stop(struct loop *l);

/* Milliseconds on the monotonic clock. */
int64_t loop_now_ms(void);

#endif
