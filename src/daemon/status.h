/* status.h: the daemon's status answers, as text and JSON (the control
 * socket's list, status and status-json; spigrp --list/--status/--json).
 *
 * Read-only over the daemon: the counters shown are what the runtime holds
 * (reconcile_read_counters() refreshes them first).  Append to a strbuf;
 * on out of memory the strbuf's oom is set.  No I/O.
 */
#ifndef SPIGRP_STATUS_H
#define SPIGRP_STATUS_H

#include "strbuf.h"

struct daemon;

/* One line per group: "NAME STATE PLACEMENT DIRECTION SAID...\n". */
void status_list(const struct daemon *d, struct strbuf *b);
/* Per group: state and reason, placement and reason, direction, reqid, and
 * each SA's counters. */
void status_text(const struct daemon *d, struct strbuf *b);
/* {"version":..., "groups":[{"name", "implicit", "state", "state_reason",
 * "placement", "placement_reason", "direction", "reqid", "sas":[{"said",
 * "bytes", "packets", "replay_errors", "integrity_errors"}]}]} and "\n". */
void status_json(const struct daemon *d, struct strbuf *b);

#endif
