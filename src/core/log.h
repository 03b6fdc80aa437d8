/* log.h: one logger for the daemon: stderr in the foreground, syslog
 * otherwise.
 *
 * Every line goes out whole in one system call: to stderr one write() of
 * "IDENT: LEVEL: TEXT\n" (so lines logged by several threads never mix,
 * and a pipe gets each line atomically: a line is at most LOG_LINE_MAX
 * bytes, PIPE_BUF, and a longer one is cut and ends in "..."), to syslog
 * one syslog() call.  Keeps errno.  Messages that anyone can cause (a
 * control client, a peer) go through a struct log_limit, which lets at
 * most a burst of them through per interval and then reports how many it
 * held back.  Callers escape untrusted text themselves (util/escape.h).
 * Pure modules (said, cfg, sadb, render) never log.
 */
#ifndef SPIGRP_LOG_H
#define SPIGRP_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#define LOG_LINE_MAX 4096 /* bytes of one line, newline included (PIPE_BUF) */

void log_init(const char *ident, bool to_stderr, int max_prio);
/* While on, warnings and errors sent to syslog are copied to stderr too
 * (daemon start-up, so that a failed start is seen where it was made). */
void log_also_stderr(bool on);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* log_msg() with ": " and the text of @err appended (a positive errno or a
 * -errno, as modules return them). */
void log_errno(int prio, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * A rate limit for one kind of message: at most @burst lines in a window of
 * @interval_ms milliseconds (fixed windows, the first one starting at the
 * first message).  The first line let through after some were held back is
 * preceded by one line "WHAT: N similar message(s) suppressed".  Used from
 * one thread (each call site of the daemon's main loop has its own).
 */
struct log_limit {
	const char *what;      /* names the kind in the "suppressed" line */
	int64_t interval_ms;
	unsigned burst;
	bool started;
	int64_t start;         /* this window's start, ms */
	unsigned n;            /* lines let through in this window */
	unsigned suppressed;   /* held back since the last line let through */
};

#define LOG_LIMIT_INIT(what, interval_ms, burst) \
	{ (what), (interval_ms), (burst), false, 0, 0, 0 }

/**
 * log_limit_pass() - the limit's decision for a line at @now_ms (any
 * monotonic clock; pure, no I/O).  Return: true when the line may be
 * logged, with *@report set to the number of lines held back before it
 * (0: none; the caller says so first); false when it is held back (and
 * counted).
 */
bool log_limit_pass(struct log_limit *l, int64_t now_ms, unsigned *report);

/* log_msg() through @l, on the log's clock (CLOCK_MONOTONIC unless
 * log_set_clock() set another). */
void log_limited(struct log_limit *l, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Tests: the clock log_limited() reads, in ms (NULL: CLOCK_MONOTONIC). */
void log_set_clock(int64_t (*now_ms)(void));

#endif
