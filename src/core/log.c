/* log.c: see log.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static bool log_stderr = true;
static bool log_copy_stderr;
static int log_max = LOG_INFO;
static const char *log_ident = "spigrpd";

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

void log_msg(int prio, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (prio > log_max)
		goto out;
	va_start(ap, fmt);
	if (log_stderr) {
		static const char *const tag[] = { "emerg", "alert", "crit", "error",
						   "warning", "notice", "info", "debug" };
		fprintf(stderr, "%s: %s: ", log_ident, tag[prio & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		if (log_copy_stderr && prio <= LOG_WARNING) {
			va_list aq;
			va_copy(aq, ap);
			fprintf(stderr, "%s: ", log_ident);
			vfprintf(stderr, fmt, aq);
			fputc('\n', stderr);
			va_end(aq);
		}
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
out:
	errno = saved;
}
