/* loader.h — private to policy/: the state of one system.yaml load, shared by the
 * file loader (system.c), the snaps: entries (snapentry.c) and the resolver
 * (resolve.c: connections, disconnections and auto-connection). */
#pragma once

#include <stddef.h>

#include "system.h"
#include "yamlnode.h"

/* A plug/slot pair by index: snap index in sys->snaps (sorted by name), plug or slot
 * index in that snap's yaml (sorted by name), so that index order is name order. */
struct mqfs_conn_ref {
        size_t plug_snap, plug, slot_snap, slot;
        bool manual;
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
};

/* Appends "FILE:LINE: ..." to sys->messages, keyed with ld->key. 0 or -ENOMEM. */
__attribute__((format(printf, 4, 5))) int
mqfs_loader_message(struct mqfs_loader *ld, const char *file, size_t line, const char *fmt, ...);

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
