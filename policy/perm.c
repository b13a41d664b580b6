#include "perm.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char *const perm_words[MQFS_PERM_COUNT] = {"open", "read", "write", "create",
                                                        "delete"};

const char *mqfs_perm_word(unsigned bit)
{
        for (unsigned i = 0; i < MQFS_PERM_COUNT; i++)
                if (bit == 1u << i)
                        return perm_words[i];
        return NULL;
}

int mqfs_perm_parse(const char *word, unsigned *bit)
{
        for (unsigned i = 0; i < MQFS_PERM_COUNT; i++) {
                if (strcmp(word, perm_words[i]) == 0) {
                        *bit = 1u << i;
                        return 0;
                }
        }
        return -EINVAL;
}

int mqfs_perm_format(unsigned set, char *buf, size_t size)
{
        size_t len = 0;

        if (size == 0)
                return -ENOSPC;
        buf[0] = '\0';
        for (unsigned i = 0; i < MQFS_PERM_COUNT; i++) {
                if (!(set & (1u << i)))
                        continue;
                size_t word_len = strlen(perm_words[i]);
                size_t need = (len ? 1 : 0) + word_len;
                if (len + need + 1 > size)
                        return -ENOSPC;
                if (len)
                        buf[len++] = ' ';
                memcpy(buf + len, perm_words[i], word_len + 1);
                len += word_len;
        }
        return (int)len;
}

unsigned mqfs_perm_for_access(int mask)
{
        return ((mask & R_OK) ? MQFS_PERM_READ : 0) | ((mask & W_OK) ? MQFS_PERM_WRITE : 0);
}
