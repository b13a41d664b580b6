/* loader.h — private to policy/: the state of one system.yaml load, shared by the
 * file loader (system.c), the snaps: entries (snapentry.c) and the resolver
 * (resolve.c: connections, disconnections and auto-connection). */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include "snapd.h"
#include "system.h"
#include "yamlnode.h"

/* A plug/slot pair by index: snap index in sys->snaps (sorted by name), plug or slot
 * index in that snap's yaml (sorted by name), so that index order is name order. */
struct mqfs_conn_ref {
        size_t plug_snap, plug, slot_snap, slot;
        bool manual;
        bool by_gadget;                      /* snapd's by-gadget */
        enum mqfs_conn_source source;        /* who made it */
        const struct mqfs_slot *slot_static; /* snapd's slot-static, when it recorded one */
};

/* A posix-mq entry of snapd's data.conns, by name until the snaps are loaded. */
struct mqfs_snapd_conn {
        char *plug_snap, *plug, *slot_snap, *slot;
        char *key; /* the conns key, escaped, for messages */
        bool manual, undesired, by_gadget;
        struct mqfs_snap_yaml *slot_static; /* parsed slot-static, or NULL */
};

struct mqfs_loader {
        struct mqfs_system *sys;
        struct mqfs_ydoc *yd;
        const char *origin;  /* the system.yaml, for messages */
        const char **files;  /* per sys->snaps[i]: where its plugs and slots were written */
        size_t *entry_lines; /* per sys->snaps[i]: the line of its entry in system.yaml */
        /* Messages are put in system.yaml order at the end: each is keyed with the line
         * of the entry it concerns (the current one when it is added). */
        size_t key;
        size_t *keys;
        size_t cap_messages;
        struct mqfs_conn_ref *conns; /* manual, then auto; merged by mqfs_resolve */
        size_t nconns, cap_conns;
        struct mqfs_conn_ref *disconnected;
        size_t ndisconnected, cap_disconnected;
        /* snapd as a source (snapd.c): data.conns' posix-mq entries, the state.json path
         * as messages show it, and the plugs snapd decides (sorted by ref_cmp order). */
        struct mqfs_snapd_conn *snapd_conns;
        size_t nsnapd_conns, cap_snapd_conns;
        char *snapd_file;
        size_t snapd_line; /* of the snapd: key, the key of snapd's messages */
        struct mqfs_conn_ref *held;
        size_t nheld, cap_held;
};

/* Appends "FILE:LINE: ..." to sys->messages, keyed with ld->key. 0 or -ENOMEM. */
__attribute__((format(printf, 4, 5))) int
mqfs_loader_message(struct mqfs_loader *ld, const char *file, size_t line, const char *fmt, ...);
/* The same for a file without lines: "FILE: KEY: ..." (KEY names the entry). */
__attribute__((format(printf, 4, 5))) int mqfs_loader_message_key(struct mqfs_loader *ld,
                                                                  const char *file, const char *key,
                                                                  const char *fmt, ...);

__attribute__((format(printf, 4, 0))) int mqfs_loader_vmessage_key(struct mqfs_loader *ld,
                                                                   const char *file,
                                                                   const char *key, const char *fmt,
                                                                   va_list ap);

/* Appends ref to a growing array. 0 or -ENOMEM. */
int mqfs_push_ref(struct mqfs_conn_ref **v, size_t *n, size_t *cap,
                  const struct mqfs_conn_ref *ref);
/* Index order of refs: plug snap, plug, slot snap, slot. */
int mqfs_ref_cmp(const void *a, const void *b);
/* Index of the snap called name (len bytes) in sys->snaps, or -1; of the plug (slots
 * false) or slot called name in yaml, or -1. */
ssize_t mqfs_find_snap(const struct mqfs_system *sys, const char *name, size_t len);
ssize_t mqfs_find_end(const struct mqfs_snap_yaml *yaml, bool slots, const char *name, size_t len);

/* Reads the connections: or disconnected: list (manual = true for connections). Bad
 * entries become messages. 0, -ENOMEM, or -E2BIG when the document budget ran out. */
int mqfs_resolve_read_list(struct mqfs_loader *ld, const struct mqfs_ynode *list, bool manual);

/* Auto-connects, merges with the manual connections and fills sys->conns. 0 or -ENOMEM. */
int mqfs_resolve(struct mqfs_loader *ld);

/* ---- snapentry.c ---- */

/* The snaps: section while it loads. */
struct mqfs_loaded_snap {
        struct mqfs_system_snap snap;
        const char *file; /* as shown in messages; owned by files below */
        size_t line;      /* of the entry in system.yaml */
};

struct mqfs_snaps {
        struct mqfs_loader *ld;
        const char *base_dir;
        const struct mqfs_snapd_config *snapd; /* NULL: no snapd: key */
        struct mqfs_loaded_snap *v;
        size_t n, cap;
        char **files; /* snap.yaml paths read, kept for messages until the load ends */
        size_t nfiles, cap_files;
        size_t *dup_of; /* per entry: line of the entry that claimed its name first */
        struct mqfs_read_ahead *ahead; /* per entry: its snap.yaml, read before its turn */
        size_t nahead;
};

/* Loads every entry of the snaps: list (skipped ones become messages), then moves the
 * snaps, sorted by name, into ld->sys with ld->files and ld->entry_lines. 0, -ENOMEM,
 * or -E2BIG when the document budget ran out. */
int mqfs_snaps_load(struct mqfs_snaps *st, const struct mqfs_ynode *list);
/* Keeps path (escaped, as messages show it) until the load ends. 0 or -ENOMEM (path is
 * then not taken). */
int mqfs_snaps_keep_file(struct mqfs_snaps *st, char *path);
/* Messages for the snap's bad plugs and slots; refuses its slots when they are
 * super-privileged for it (SPEC §2.3), hint saying what would allow them. 0 or -ENOMEM. */
int mqfs_snaps_report(struct mqfs_snaps *st, struct mqfs_loaded_snap *l, const char *hint);
/* Frees what the load kept (the file names used in messages). */
void mqfs_snaps_clear(struct mqfs_snaps *st);

/* ---- readahead.c ---- */

/* The snap.yaml of one snaps: entry, read and parsed before the entry's turn comes: what
 * mqfs_read_snap_yaml(path, shown, &yaml, &error) returned. */
struct mqfs_read_ahead {
        char *path;                  /* opened as is; NULL: nothing to read */
        char *shown;                 /* the path as messages name it */
        int result;                  /* 0, or what reading or parsing returned */
        struct mqfs_snap_yaml *yaml; /* on 0, until taken */
        char *error;                 /* on failure, when there is one (to free()) */
        bool by_helper;              /* read on a helper thread */
};

/* mqfs_snap_yaml_load of path, naming the file as shown (escaped) in every message. */
int mqfs_read_snap_yaml(const char *path, const char *shown, struct mqfs_snap_yaml **out,
                        char **error);

/* Reads every v[i] with a path. Parsing is most of a large system's load and each file
 * stands alone, so with enough files and free cores they are shared out among a few
 * threads (with every signal blocked); the results are the same as one by one. Returns
 * how many helper threads were started (0: this thread read everything). */
size_t mqfs_read_ahead_run(struct mqfs_read_ahead *v, size_t n);

/* Frees the paths and whatever was not taken. */
void mqfs_read_ahead_clear(struct mqfs_read_ahead *v, size_t n);

/* ---- system.c ---- */

/* A printable (escaped) copy of a scalar for a message, "?" for another node. */
char *mqfs_shown_scalar(const struct mqfs_ynode *node);
void mqfs_system_snap_clear(struct mqfs_system_snap *snap);
