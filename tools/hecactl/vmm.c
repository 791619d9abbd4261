// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: running the VMM's commands (see vmm.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm.h"

int hc_run_vmm_cmd(const char *cmd, const char *region, const char *phase,
		   bool out_to_err, int *status)
{
	sigset_t none;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid) {
		/* hecactl is single-threaded: setenv() is fine here. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (setenv("HECA_REGION", region, 1) ||
		    setenv("HECA_PHASE", phase, 1) ||
		    (out_to_err && dup2(STDERR_FILENO, STDOUT_FILENO) < 0))
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* A signal (the terminal's ^C reaches the command too) ends no wait. */
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return 0;
}
