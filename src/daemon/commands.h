/* commands.h: the daemon's control-socket commands: the one table (cmd.h)
 * that ctl_dispatch() serves, with the struct daemon as its argument. */
#ifndef SPIGRP_COMMANDS_H
#define SPIGRP_COMMANDS_H

#include "cmd.h"

extern const struct cmd_table daemon_commands;

#endif
