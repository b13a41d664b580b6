/* make_seeds.c — writes the fuzz targets' seed corpora from the conformance cases
 * and the bundled examples, at build time, so that the seeds follow the cases.
 *
 *   make_seeds OUTDIR CASES.yaml EXAMPLES_DIR
 *
 * OUTDIR/snapyaml   each case's snap.yaml; the example snap.yaml files
 * OUTDIR/system     each case's snap wrapped into three system.yaml texts (see
 * OUTDIR/apparmor     write_systems); examples/system.yaml (the same seeds for both)
 * OUTDIR/qname      every path written in a case (as written, and with a leading "/"),
 *                   plus boundary names (255 and 256 bytes, ".", "..", "/", bytes that
 *                   need escaping)
 * Exit 0, or 1 with a message naming the file that could not be read or written. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "conformance.h"

static const char *outdir;

static void die(const char *fmt, ...)
{
        va_list ap;
        fputs("make_seeds: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

static void write_seed(const char *target, const char *name, const char *data, size_t len)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", outdir, target);
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
                die("cannot make %s: %s", path, strerror(errno));
        snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0)
                die("cannot write %s: %s", path, strerror(errno));
}

static char *read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "re");
        if (f == NULL)
                die("cannot open %s: %s", path, strerror(errno));
        char *buf = NULL;
        size_t cap = 0;
        FILE *mem = open_memstream(&buf, &cap);
        char chunk[4096];
        size_t n;
        while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                fwrite(chunk, 1, n, mem);
        if (mem == NULL || ferror(f) || fclose(mem) != 0)
                die("cannot read %s", path);
        fclose(f);
        *len = cap;
        return buf;
}

/* A case name as a file name: [a-z0-9-] only. */
static void file_name(char *out, size_t size, const char *prefix, const char *name,
                      const char *suffix)
{
        size_t o = (size_t)snprintf(out, size, "%s", prefix);
        for (const char *p = name; *p && o + 1 < size; p++)
                out[o++] = ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) ? *p : '-';
        out[o] = '\0';
        snprintf(out + o, size - o, "%s", suffix);
}

/* ---- the posix-mq plugs and slots of a case, read with libyaml ---- */

struct port {
        char name[128];
        char label[128];
};

struct ports {
        struct port v[32];
        size_t n;
};

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
        if (map == NULL || map->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yaml_document_get_node(doc, p->key);
                if (k && k->type == YAML_SCALAR_NODE &&
                    strcmp((char *)k->data.scalar.value, key) == 0)
                        return yaml_document_get_node(doc, p->value);
        }
        return NULL;
}

static const char *scalar(yaml_node_t *n)
{
        return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void add_qname_seed(const char *path, size_t *count)
{
        char name[64];
        snprintf(name, sizeof(name), "path-%03zu", (*count)++);
        write_seed("qname", name, path, strlen(path));
}

static void collect(yaml_document_t *doc, yaml_node_t *root, const char *key, struct ports *out,
                    size_t *qcount)
{
        yaml_node_t *map = map_get(doc, root, key);
        out->n = 0;
        if (map == NULL || map->type != YAML_MAPPING_NODE)
                return;
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
             p < map->data.mapping.pairs.top && out->n < 32; p++) {
                const char *name = scalar(yaml_document_get_node(doc, p->key));
                yaml_node_t *value = yaml_document_get_node(doc, p->value);
                const char *label = scalar(map_get(doc, value, "posix-mq"));
                if (name == NULL)
                        continue;
                struct port *port = &out->v[out->n++];
                snprintf(port->name, sizeof(port->name), "%s", name);
                snprintf(port->label, sizeof(port->label), "%s", label && *label ? label : name);
                yaml_node_t *path = map_get(doc, value, "path");
                if (scalar(path))
                        add_qname_seed(scalar(path), qcount);
                if (path && path->type == YAML_SEQUENCE_NODE)
                        for (yaml_node_item_t *i = path->data.sequence.items.start;
                             i < path->data.sequence.items.top; i++)
                                if (scalar(yaml_document_get_node(doc, *i)))
                                        add_qname_seed(scalar(yaml_document_get_node(doc, *i)),
                                                       qcount);
        }
}

/* ---- system.yaml texts around one case ---- */

/* The case's snap, called by the name its snap.yaml gives, and a partner snap that
 * plugs every slot of it and offers a slot for every plug of it:
 *   auto     both published by acme, slots allowed: auto-connections
 *   manual   different publishers, every pair connected by hand, one pair disconnected
 *   refused  the case snap asserted without slots-allowed (its slots refused), the
 *            partner unasserted, manual connections */
static void write_systems(const struct mqfs_conf_case *c, const char *snap_name,
                          const struct ports *slots, const struct ports *plugs)
{
        static const char *const variants[] = {"auto", "manual", "refused"};
        for (size_t v = 0; v < 3; v++) {
                char *text = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&text, &len);
                if (f == NULL)
                        die("out of memory");
                fprintf(f, "snaps:\n  - name: %s\n", snap_name);
                fprintf(f, "    publisher: %s\n", v == 1 ? "other" : "acme");
                if (v != 2)
                        fputs("    slots-allowed: true\n", f);
                fputs("    snap-yaml-inline:\n", f);
                for (const char *line = c->snap_yaml; *line;) {
                        size_t n = strcspn(line, "\n");
                        fprintf(f, "      %.*s\n", (int)n, line);
                        line += n + (line[n] == '\n');
                }
                fprintf(f, "  - name: partner\n    publisher: %s\n    slots-allowed: true\n",
                        v == 2 ? "\"\"" : "acme");
                fputs("    snap-yaml-inline:\n      name: partner\n", f);
                if (slots->n) {
                        fputs("      plugs:\n", f);
                        for (size_t i = 0; i < slots->n; i++)
                                fprintf(f, "        %s: {interface: posix-mq, posix-mq: %s}\n",
                                        slots->v[i].name, slots->v[i].label);
                }
                if (plugs->n) {
                        fputs("      slots:\n", f);
                        for (size_t i = 0; i < plugs->n; i++)
                                fprintf(f,
                                        "        %s: {interface: posix-mq, posix-mq: %s, "
                                        "path: /partner-%zu, permissions: [read]}\n",
                                        plugs->v[i].name, plugs->v[i].label, i);
                }
                if (v != 0 && slots->n + plugs->n > 0) {
                        fputs("connections:\n", f);
                        for (size_t i = 0; i < slots->n; i++)
                                fprintf(f, "  - {plug: 'partner:%s', slot: '%s:%s'}\n",
                                        slots->v[i].name, snap_name, slots->v[i].name);
                        for (size_t i = 0; i < plugs->n; i++)
                                fprintf(f, "  - plug: %s:%s\n    slot: partner:%s\n", snap_name,
                                        plugs->v[i].name, plugs->v[i].name);
                }
                if (v == 1 && slots->n > 0)
                        fprintf(f, "disconnected:\n  - plug: partner:%s\n    slot: %s:%s\n",
                                slots->v[0].name, snap_name, slots->v[0].name);
                if (fclose(f) != 0)
                        die("out of memory");
                char name[256];
                char suffix[32];
                snprintf(suffix, sizeof(suffix), "-%s.yaml", variants[v]);
                file_name(name, sizeof(name), "case-", c->name, suffix);
                write_seed("system", name, text, len);
                write_seed("apparmor", name, text, len);
                free(text);
        }
}

static void case_seeds(const struct mqfs_conf_case *c, size_t *qcount)
{
        char name[256];
        file_name(name, sizeof(name), "case-", c->name, ".yaml");
        write_seed("snapyaml", name, c->snap_yaml, c->snap_yaml_len);

        yaml_parser_t parser;
        yaml_document_t doc;
        if (!yaml_parser_initialize(&parser))
                die("out of memory");
        yaml_parser_set_input_string(&parser, (const unsigned char *)c->snap_yaml,
                                     c->snap_yaml_len);
        if (!yaml_parser_load(&parser, &doc))
                die("case %s: its snap.yaml does not parse", c->name);
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        const char *snap_name = scalar(map_get(&doc, root, "name"));
        struct ports slots, plugs;
        collect(&doc, root, "slots", &slots, qcount);
        collect(&doc, root, "plugs", &plugs, qcount);
        write_systems(c, snap_name && *snap_name ? snap_name : "case", &slots, &plugs);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
}

static void example_seeds(const char *examples)
{
        static const char *const snaps[] = {"provider", "consumer"};
        char path[4096], name[64];
        size_t len;
        for (size_t i = 0; i < 2; i++) {
                snprintf(path, sizeof(path), "%s/snaps/%s.yaml", examples, snaps[i]);
                snprintf(name, sizeof(name), "example-%s.yaml", snaps[i]);
                char *text = read_file(path, &len);
                write_seed("snapyaml", name, text, len);
                free(text);
        }
        snprintf(path, sizeof(path), "%s/system.yaml", examples);
        char *text = read_file(path, &len);
        write_seed("system", "example-system.yaml", text, len);
        write_seed("apparmor", "example-system.yaml", text, len);
        free(text);
}

static void boundary_qnames(void)
{
        char name[300];
        name[0] = '/';
        memset(name + 1, 'q', 256);
        write_seed("qname", "len-255", name, 256);
        write_seed("qname", "len-256", name, 257);
        /* Sizes from the literals themselves: some names hold a NUL byte. */
#define SEED(file, lit)                                                                            \
        {                                                                                          \
                file, lit, sizeof(lit) - 1                                                         \
        }
        static const struct {
                const char *file, *name;
                size_t len;
        } fixed[] = {
            SEED("root", "/"),
            SEED("dot", "/."),
            SEED("dotdot", "/.."),
            SEED("entry-dotdot", ".."),
            SEED("two-levels", "/a/b"),
            SEED("controls", "/a\n\t\r\x01\x7f\\b"),
            SEED("nul-inside", "/a\0b"),
            SEED("utf8", "/caf\xc3\xa9-\xf0\x9f\x93\xa8"),
            SEED("utf8-broken", "/\xc3\x28\xed\xa0\x80\xf4\x90\x80\x80\xe0\x80"),
            SEED("apparmor-bytes", "/q\"[*?]{}^"),
        };
#undef SEED
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                write_seed("qname", fixed[i].file, fixed[i].name, fixed[i].len);
}

int main(int argc, char **argv)
{
        if (argc != 4)
                die("usage: make_seeds OUTDIR CASES.yaml EXAMPLES_DIR");
        outdir = argv[1];
        if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
                die("cannot make %s: %s", outdir, strerror(errno));
        struct mqfs_conf *conf = NULL;
        char *error = NULL;
        int rc = mqfs_conf_load(argv[2], &conf, &error);
        if (rc != 0)
                die("%s", error ? error : strerror(-rc));
        size_t qcount = 0;
        for (size_t i = 0; i < conf->ncases; i++)
                case_seeds(&conf->cases[i], &qcount);
        mqfs_conf_free(conf);
        example_seeds(argv[3]);
        boundary_qnames();
        return 0;
}
