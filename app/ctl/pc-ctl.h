/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* portcullisctl's exit status; README and --help describe the same. */
typedef enum
{
  PC_CTL_EXIT_OK         = 0,  /* done */
  PC_CTL_EXIT_FAILED     = 1,  /* the service refused or failed, or a local file could not be written */
  PC_CTL_EXIT_USAGE      = 2,  /* bad command line */
  PC_CTL_EXIT_NO_SERVICE = 3,  /* io.github.Portcullis1 is not on the bus, or the bus cannot be reached */
  PC_CTL_EXIT_WATCH_LOST = 4,  /* watch: the bus connection closed, or --timeout before --count changes */
} PcCtlExit;

int   pc_ctl_main  (int    argc,
                    char **argv);

/* Shared between the commands: the one-line "not running" message. */
void  pc_ctl_print_not_running  (GBusType  bus_type);

G_END_DECLS
