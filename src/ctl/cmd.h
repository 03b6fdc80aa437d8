/* cmd.h: the one table of control-socket commands.
 *
 * A daemon describes each command once: its name, who may run it, how many
 * arguments it takes (and an optional checker for them), the function that
 * runs it and a line of help.  Everything that needs to know the command
 * set reads that table: the request parser (cmd_parse), the privilege
 * check (cmd_def.access, applied by ctl.c with the peer's credentials),
 * the argument check (cmd_check_args), dispatch (cmd_exec) and `help`
 * (cmd_help).  A request naming no command of the table is refused as
 * unknown, whoever sends it.
 *
 * Reads marked CMD_SHARED have answers that depend only on the daemon's
 * state (cmd_table.generation) and the request's words: ctl.c builds such
 * an answer once and hands the same bytes to every client asking the same
 * thing in the same generation.  Changes marked CMD_TXN run as
 * transactions: cmd_exec() begins one with the table's txn_begin, runs the
 * command, and commits it only when the command succeeded (else aborts),
 * so a change command applies all of what it was asked or nothing.
 *
 * The request parser is pure (no I/O, no allocation): bytes in, a command
 * and its words or a reason out; the unit tests and tests/fuzz/fuzz_ctl.c
 * drive it directly.
 */
#ifndef SPIGRP_CMD_H
#define SPIGRP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "reason.h"
#include "strbuf.h"

#define CMD_LINE_MAX 4096 /* bytes of a request line, its newline included */
#define CMD_ARGS_MAX 64   /* words after the command */
#define CMD_NAME_SHOWN 48 /* bytes of an unknown command name quoted back */

struct cmd_call;

enum cmd_access {
	CMD_ANYONE,     /* a read: anyone who can connect */
	CMD_PRIVILEGED, /* a change: root or a member of control-group */
};

enum cmd_flags {
	CMD_SHARED = 1, /* read; the answer is a function of the generation and
			   the words: identical requests share one answer */
	CMD_TXN = 2,    /* change run as a transaction (all or nothing) */
};

/*
 * What a command does.  @arg is the daemon's (cmd_exec's @arg); @call the
 * parsed request; the answer text goes to @out (also an error's
 * explanation).  Return: 0, or -errno (the client's errno=N).
 */
typedef int (*cmd_run_fn)(void *arg, const struct cmd_call *call, struct strbuf *out);

struct cmd_def {
	const char *name;
	enum cmd_access access;
	unsigned flags;         /* enum cmd_flags */
	int min_args, max_args; /* words after the name */
	/* optional: the arguments' form, before anything runs; 0 or -errno
	 * with @why set */
	int (*check)(const struct cmd_call *call, struct reason *why);
	cmd_run_fn run;
	unsigned max_age_ms;    /* CMD_SHARED: share an answer built at most
				   this long ago (answers with live counters);
				   0: for the whole generation */
	const char *args;       /* the arguments' synopsis for help, "" none */
	const char *help;       /* one line, no newline */
};

struct cmd_table {
	const struct cmd_def *cmd;
	size_t n;
	/* The daemon's state generation: it changes whenever an answer of a
	 * CMD_SHARED command could change (NULL: never share). */
	uint64_t (*generation)(void *arg);
	/* Transactions for CMD_TXN commands.  commit either applies
	 * everything and returns 0, or applies nothing and returns -errno;
	 * abort undoes what begin and the command prepared.  All three
	 * NULL: the daemon has no transactional commands. */
	int (*txn_begin)(void *arg, const struct cmd_call *call, struct strbuf *out);
	int (*txn_commit)(void *arg, const struct cmd_call *call, struct strbuf *out);
	void (*txn_abort)(void *arg, const struct cmd_call *call);
};

/* A parsed request.  Large (CMD_LINE_MAX bytes): not for deep stacks. */
struct cmd_call {
	const struct cmd_table *table;
	const struct cmd_def *def;   /* the command */
	int argc;                    /* words after the command */
	char **argv;                 /* = word + 1: the arguments, NULL-ended */
	uid_t uid;                   /* the peer (ctl.c fills these; for
					logging who changed what) */
	pid_t pid;
	size_t wordlen;              /* bytes of word[] used: every word with
					its NUL, the command's first */
	char *word[CMD_ARGS_MAX + 2];
	char words[CMD_LINE_MAX];
};

/**
 * cmd_parse() - read the request in the first @len bytes at @req: the bytes
 * up to the first newline (all @len bytes when there is none), a "\r"
 * before the newline dropped.  The line must be shorter than CMD_LINE_MAX
 * bytes and hold printable bytes and blanks only (space, tab; bytes from
 * 0x80 up are text, e.g. UTF-8); words are separated by blanks; the first
 * names a command of @t.  Arguments are not checked (cmd_check_args).
 * Pure: fills @call (its words are copies), reads nothing else.
 * Return: 0, or -EMSGSIZE (too long), -EINVAL (a control character, no
 * word, an unknown command: its name quoted in @why through escape_text(),
 * at most CMD_NAME_SHOWN bytes of it), -E2BIG (more than CMD_ARGS_MAX
 * arguments), -ENOMEM (quoting the name); @why says which.
 */
int cmd_parse(const struct cmd_table *t, const void *req, size_t len, struct cmd_call *call,
	      struct reason *why);

/* Does @def need root or control-group? */
bool cmd_needs_privilege(const struct cmd_def *def);

/**
 * cmd_check_args() - the argument count @call->def allows, then its
 * checker.  Return: 0, or -EINVAL with @why ("view takes no arguments").
 */
int cmd_check_args(const struct cmd_call *call, struct reason *why);

/**
 * cmd_exec() - run @call (parsed, allowed and checked): a CMD_TXN command
 * between the table's txn_begin and txn_commit (txn_abort when it fails;
 * -ENOSYS when the table has no transactions).  Return: 0 or -errno (a
 * positive errno from a handler is taken as its negative).
 */
int cmd_exec(void *arg, const struct cmd_call *call, struct strbuf *out);

/* The entry of @t named @name (exact, case-sensitive), or NULL. */
const struct cmd_def *cmd_find(const struct cmd_table *t, const char *name);

/* One line per command of @t: name, argument synopsis, help; changes
 * marked as needing root or control-group. */
void cmd_help(const struct cmd_table *t, struct strbuf *out);

/* A run function for a table's "help" entry: cmd_help() of the call's
 * table. */
int cmd_run_help(void *arg, const struct cmd_call *call, struct strbuf *out);

#endif
