/* log.h: one logger for the daemon: stderr in the foreground, syslog
 * otherwise.  Keeps errno.  Pure modules (said, cfg, sadb, render) never log. */
#ifndef SPIGRP_LOG_H
#define SPIGRP_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_init(const char *ident, bool to_stderr, int max_prio);
/* While on, warnings and errors sent to syslog are copied to stderr too
 * (daemon start-up, so that a failed start is seen where it was made). */
void log_also_stderr(bool on);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
