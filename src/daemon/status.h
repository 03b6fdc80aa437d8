/* status.h: the status answers of the control socket, built from the
 * daemon's groups (counters of kernel-placed groups read fresh). */
#ifndef SPIGRP_STATUS_H
#define SPIGRP_STATUS_H

#include <stdbool.h>

struct daemon;
struct strbuf;

/* One block per group (state, placement and their reasons, counters), or
 * with @list_only one line per group: name, state, placement, direction,
 * SAIDs. */
void status_text(const struct daemon *d, struct strbuf *b, bool list_only);
/* The status as one JSON object. */
void status_json(const struct daemon *d, struct strbuf *b);

#endif
