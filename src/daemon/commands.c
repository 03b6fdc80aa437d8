/* commands.c: what each control-socket command does in the daemon (the
 * table, commands.h).  Reads render the daemon's state; `reload` re-reads
 * the config.  Runs in the main thread, called from ctl_dispatch(). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "cfg.h"
#include "commands.h"
#include "daemon.h"
#include "reconcile.h"
#include "render.h"
#include "snap.h"
#include "status.h"

static int cmd_view(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	const struct daemon *d = arg;

	(void)call;
	/* what the view serves: reconcile_publish() renders it once per change */
	if (d->view_snap) {
		strbuf_add(out, snap_data(d->view_snap), snap_len(d->view_snap));
		return out->oom ? -ENOMEM : 0;
	}
	return render_spigrp(d->db, d->rt, d->cfg->said_format, out);
}

static int cmd_list(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	status_list(arg, out);
	return 0;
}

static int cmd_status(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	reconcile_read_counters(arg);
	status_text(arg, out);
	return 0;
}

static int cmd_status_json(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	reconcile_read_counters(arg);
	status_json(arg, out);
	return 0;
}

static int cmd_version(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)arg;
	(void)call;
	strbuf_printf(out, "spigrpd %s\n", PACKAGE_VERSION);
	return 0;
}

static int cmd_reload(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct cfg_errors errs = { 0 };
	int r;

	(void)call;
	r = reconcile_reload(arg, &errs);
	for (size_t i = 0; i < errs.n; i++)
		strbuf_printf(out, "%s\n", errs.msg[i]);
	cfg_errors_free(&errs);
	return r;
}

static uint64_t daemon_generation(void *arg)
{
	const struct daemon *d = arg;

	return d->gen;
}

/* Answers with counters are shared for at most this long. */
#define COUNTERS_SHARE_MS 1000

static const struct cmd_def commands[] = {
	{ "view", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_view, 0, "",
	  "the installed SA groups, as ipsec_spigrp shows them" },
	{ "list", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_list, 0, "",
	  "one line per group: name, state, placement, direction, SAIDs" },
	{ "status", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_status, COUNTERS_SHARE_MS, "",
	  "one block per group: state, placement and their reasons, counters" },
	{ "status-json", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_status_json,
	  COUNTERS_SHARE_MS, "", "the status as JSON" },
	{ "version", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_version, 0, "",
	  "the daemon's version" },
	{ "help", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_run_help, 0, "", "this list" },
	{ "reload", CMD_PRIVILEGED, 0, 0, 0, NULL, cmd_reload, 0, "",
	  "re-read the config file and apply the differences, as SIGHUP does" },
};

/* No transactional commands yet: the runtime commands (spi, spigrp,
 * eroute) will set txn_begin/txn_commit/txn_abort here. */
const struct cmd_table daemon_commands = {
	.cmd = commands,
	.n = sizeof(commands) / sizeof(commands[0]),
	.generation = daemon_generation,
};
