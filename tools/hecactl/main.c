// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: the heca control tool.  Entry point and the table of commands.
 */
#include <string.h>

#include "hecactl.h"

/*
 * The top-level commands.  Adding one is adding an entry here (a leaf with
 * .run, or a group with .subs).  Planned, not implemented yet: driving
 * QEMU over QMP itself (migrate reaches any VMM through commands).
 */
static const struct hc_cmd top;

static int help_run(const struct hc_cmd *self, const char *path, int argc,
		    char **argv)
{
	(void)self;
	(void)path;
	return hc_help_command(&top, argc, argv);
}

static const struct hc_cmd top_cmds[] = {
	{
		.name = "region",
		.synopsis = "COMMAND [ARGS]",
		.summary = "create, list and destroy regions (guest RAM)",
		.help = hc_region_help,
		.subs = hc_region_cmds,
	},
	{
		.name = "receive",
		.synopsis = "NAME",
		.summary = "destination: receive a VM's memory into the region NAME",
		.help = hc_receive_help,
		.run = hc_receive_run,
	},
	{
		.name = "migrate",
		.synopsis = "NAME",
		.summary = "source: migrate the VM in NAME to a destination (pre-copy, post-copy, hybrid)",
		.help = hc_migrate_help,
		.run = hc_migrate_run,
	},
	{
		.name = "status",
		.synopsis = "NAME",
		.summary = "show the session of a region: state, pages, faults, timings",
		.help = hc_status_help,
		.run = hc_status_run,
	},
	{
		.name = "abort",
		.synopsis = "NAME",
		.summary = "end the session of a region",
		.help = hc_abort_help,
		.run = hc_abort_run,
	},
	{
		.name = "token",
		.synopsis = "",
		.summary = "print a fresh random session token",
		.help = hc_token_help,
		.run = hc_token_run,
	},
	{
		.name = "version",
		.synopsis = "",
		.summary = "show the versions of hecactl and of the loaded heca.ko",
		.help = hc_version_help,
		.run = hc_version_run,
	},
	{
		.name = "help",
		.synopsis = "[COMMAND...]",
		.summary = "show the help of hecactl or of a command",
		.run = help_run,
	},
	{ .name = NULL },
};

static const struct hc_cmd top = {
	.name = "hecactl",
	.synopsis = "[--help] [--version] COMMAND [ARGS]",
	.help =
"Control heca, the kernel module that owns the guest RAM of KVM virtual\n"
"machines for live migration.\n"
"\n"
"Options:\n"
"  -h, --help     show this help ('hecactl COMMAND --help' for a command)\n"
"      --version  the same as 'hecactl version'\n"
"\n"
"Environment:\n"
"  HECA_CONTROL   the control device (default /dev/heca/control)\n"
"\n"
"Durations are whole numbers in the unit the option's value is named by:\n"
"seconds for SEC (--timeout SEC), milliseconds for MS; the options in\n"
"milliseconds end in -ms (--downtime-ms, --fault-timeout-ms).\n"
"\n"
"Exit status: 0 done (or help shown), 1 the operation failed,\n"
"2 the command line is wrong (nothing was done).\n",
	.subs = top_cmds,
};

int main(int argc, char **argv)
{
	/* "hecactl --version" is "hecactl version". */
	if (argc >= 2 && !strcmp(argv[1], "--version"))
		argv[1] = "version";
	return hc_dispatch("", &top, argc, argv);
}
