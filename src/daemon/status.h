/* status.h: the daemon's status answers, as text and JSON (the control
 * socket's list, status and status-json; spigrp --list/--status/--json).
 *
 * Read-only over the daemon: the counters shown are what the runtime holds
 * (reconcile_read_counters() refreshes them first).  Append to a strbuf;
 * on out of memory the strbuf's oom is set.  No I/O.
 */
#ifndef SPIGRP_STATUS_H
#define SPIGRP_STATUS_H

#include <stdint.h>

#include "strbuf.h"

struct daemon;

/* One line per group: "NAME STATE PLACEMENT DIRECTION SAID...\n". */
void status_list(const struct daemon *d, struct strbuf *b);
/* Per group: state and reason, placement and reason, direction, reqid, and
 * each SA's counters (in the userspace datapath also its drops by reason,
 * dp_drop_name()); a line per label ("label reqid N (0xHEX): NAME");
 * then a line for the datapath's per-socket counters
 * ("datapath: DEVICE tun-packets N ..." and a line per socket, or
 * "datapath: not running (WHY)"). */
void status_text(const struct daemon *d, struct strbuf *b);
/* {"version":..., "groups":[{"name", "implicit", "state", "state_reason",
 * "placement", "placement_reason", "direction", "reqid", "sas":[{"said",
 * "bytes", "packets", "replay_errors", "integrity_errors", and in the
 * userspace datapath "drops":{"icv":N, ...}}]}], "labels":[{"reqid",
 * "label"}] (set-label, by reqid), "datapath":{"running",
 * "reason" | "device", "tun_packets", "tun_malformed", "tun_no_group",
 * "tun_write_errors", "tun_tx_dropped", "tx_packets", "tx_errors", "rx_packets",
 * "rx_not_ours", "rx_malformed", "sockets":[{"name", "packets",
 * "not_ours", "malformed"}]}} and "\n". */
void status_json(const struct daemon *d, struct strbuf *b);

/* The transmit "drop" count (packets the kernel dropped on the way into
 * the device: for a TUN, its queue to the reader full) of device @dev in
 * @text, the content of /proc/net/dev (which, unlike /sys/class/net,
 * follows the reader's network namespace).  0 with *@val; -ENOENT: no such
 * device; -EINVAL: its line does not parse. */
int status_netdev_tx_dropped(const char *text, const char *dev, uint64_t *val);

#endif
