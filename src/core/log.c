/* log.c: see log.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static bool log_stderr = true;
static bool log_copy_stderr;
static int log_max = LOG_INFO;
static const char *log_ident = "spigrpd";
static int64_t (*log_clock)(void);

void log_init(const char *ident, bool to_stderr, int max_prio)
{
	log_ident = ident;
	log_stderr = to_stderr;
	log_max = max_prio;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_also_stderr(bool on)
{
	log_copy_stderr = on;
}

void log_set_clock(int64_t (*now_ms)(void))
{
	log_clock = now_ms;
}

static int64_t log_now_ms(void)
{
	struct timespec ts;

	if (log_clock)
		return log_clock();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append @fmt's text to the @at bytes in @buf (@size bytes, room for the
 * newline kept).  A text that does not fit is cut and ends in "...".
 * Return: the new length. */
static size_t log_vput(char *buf, size_t size, size_t at, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static size_t log_vput(char *buf, size_t size, size_t at, const char *fmt, va_list ap)
{
	size_t room = size - 1 - at; /* the newline's byte stays free */
	int n;

	if (at + 1 >= size)
		return at;
	n = vsnprintf(buf + at, room + 1, fmt, ap);
	if (n < 0)
		return at;
	if ((size_t)n <= room)
		return at + (size_t)n;
	memcpy(buf + size - 1 - 3, "...", 3);
	return size - 1;
}

static size_t log_put(char *buf, size_t size, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t log_put(char *buf, size_t size, size_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	at = log_vput(buf, size, at, fmt, ap);
	va_end(ap);
	return at;
}

/* @len bytes to stderr: one write(), more only when it takes part of it. */
static void log_write(const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* The one place lines leave: @fmt, then ": strerror(@err)" when @err. */
static void log_vline(int prio, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void log_vline(int prio, int err, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "emerg", "alert", "crit", "error",
					   "warning", "notice", "info", "debug" };
	char line[LOG_LINE_MAX], ebuf[128];
	size_t head, len;

	if (log_stderr)
		head = log_put(line, sizeof(line), 0, "%s: %s: ", log_ident, tag[prio & 7]);
	else
		head = log_put(line, sizeof(line), 0, "%s: ", log_ident);
	len = log_vput(line, sizeof(line), head, fmt, ap);
	if (err)
		len = log_put(line, sizeof(line), len, ": %s",
			      strerror_r(err < 0 ? -err : err, ebuf, sizeof(ebuf)));
	line[len] = '\0';
	if (!log_stderr)
		syslog(prio, "%s", line + head);
	if (log_stderr || (log_copy_stderr && prio <= LOG_WARNING)) {
		line[len] = '\n';
		log_write(line, len + 1);
	}
}

void log_msg(int prio, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (prio <= log_max) {
		va_start(ap, fmt);
		log_vline(prio, 0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void log_errno(int prio, int err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (prio <= log_max) {
		va_start(ap, fmt);
		log_vline(prio, err, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

bool log_limit_pass(struct log_limit *l, int64_t now_ms, unsigned *report)
{
	*report = 0;
	if (!l->started || now_ms - l->start >= l->interval_ms || now_ms < l->start) {
		l->started = true;
		l->start = now_ms;
		l->n = 0;
	}
	if (l->n >= l->burst) {
		if (l->suppressed < UINT32_MAX)
			l->suppressed++;
		return false;
	}
	l->n++;
	*report = l->suppressed;
	l->suppressed = 0;
	return true;
}

void log_limited(struct log_limit *l, int prio, const char *fmt, ...)
{
	int saved = errno;
	unsigned held;
	va_list ap;

	if (prio > log_max || !log_limit_pass(l, log_now_ms(), &held))
		goto out;
	if (held)
		log_msg(prio, "%s: %u similar message%s suppressed (at most %u per %lld s)",
			l->what, held, held == 1 ? "" : "s", l->burst,
			(long long)(l->interval_ms / 1000));
	va_start(ap, fmt);
	log_vline(prio, 0, fmt, ap);
	va_end(ap);
out:
	errno = saved;
}
