/* runtime.h: what the daemon knows about its groups and SAs at run time,
 * beside the desired model (sadb): per-group state and per-SA counters,
 * kept across reloads by identity.  (Being built: only the counters type
 * so far.) */
#ifndef SPIGRP_RUNTIME_H
#define SPIGRP_RUNTIME_H

#include <stdint.h>

/* Per-SA counters, as the kernel (or our datapath) reports them. */
struct sa_counters {
	uint64_t bytes, packets;
	uint32_t replay_window_errs, replay_errs, integrity_errs;
	uint64_t add_time; /* seconds since the epoch */
};

#endif
