/* door_proto.h — what mqfs-exec and mqfsd's door say to each other (SPEC §9).
 *
 * The socket: a SOCK_SEQPACKET Unix socket at a path beside the daemon's mount point,
 * MOUNTPOINT + ".door" (so /run/mqfs.door for /run/mqfs). Why there:
 * - /run is shared with every snap mount namespace (snap-confine binds the host's /run
 *   into it), so the path reaches the daemon from inside a snap;
 * - /run/mqfs itself is the FUSE mount: a socket inside it would be a file of our own
 *   filesystem, which cannot hold one;
 * - /run is writable by root alone, so while mqfsd is down nobody else can put a socket
 *   at that path and answer a victim's mq_open with a descriptor of its choice (an
 *   abstract socket name could be taken by anyone); the client checks on top that the
 *   peer runs as root (SO_PEERCRED) before it hands its listener over.
 *
 * One registration per connection: the client sends one struct mqfs_door_hello with
 * exactly two descriptors (SCM_RIGHTS): the seccomp listener, then an O_DIRECTORY
 * descriptor of its view (the daemon learns the snap from it, never from a name). The
 * daemon answers one struct mqfs_door_reply and closes the connection. */
#pragma once

#include <stdint.h>

#define MQFS_DOOR_SUFFIX  ".door"
#define MQFS_DOOR_DEFAULT "/run/mqfs" MQFS_DOOR_SUFFIX

enum {
        MQFS_DOOR_MAGIC = 0x4451464du, /* "MFQD" */
        MQFS_DOOR_VERSION = 1,
        MQFS_DOOR_REASON_MAX = 200,
};

struct mqfs_door_hello {
        uint32_t magic;
        uint32_t version;
};

struct mqfs_door_reply {
        uint32_t magic;
        int32_t err;                       /* 0: accepted; else a positive errno */
        char reason[MQFS_DOOR_REASON_MAX]; /* NUL-terminated; why, when refused */
};
