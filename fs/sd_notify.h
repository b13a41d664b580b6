/* sd_notify.h — the daemon's state told to its service manager, by systemd's notify
 * protocol (sd_notify(3)): one datagram of "KEY=VALUE" lines sent to the AF_UNIX socket
 * that $NOTIFY_SOCKET names (a path, or an abstract name written with a leading '@').
 *
 * Written here rather than linking libsystemd: the protocol is one sendto(), documented
 * and stable, and the daemon runs as root for every snap, so it keeps its dependencies to
 * what it uses. Without $NOTIFY_SOCKET (not started by systemd as Type=notify) nothing is
 * sent and the calls return 0. */
#pragma once

/* Sends state ("READY=1", "STATUS=...", lines joined by '\n'). 0, or -errno (EINVAL for
 * a $NOTIFY_SOCKET that names no socket address). */
int mqfs_sd_notify(const char *state);

/* "RELOADING=1" with MONOTONIC_USEC=now (systemd 253's Type=notify-reload wants the
 * time; 252, Debian 12's, takes RELOADING=1 and ignores the rest). */
int mqfs_sd_notify_reloading(void);
