/* tsim_elf: load a statically linked 32-bit RISC-V ELF executable into the controller's memories.
 * Each PT_LOAD segment goes to its physical address (p_paddr); the part of p_memsz beyond
 * p_filesz (bss) is written as zeros. Every header field and table bound is checked first; on any
 * problem nothing is written and err holds one line naming the file and the problem. */
#ifndef TSIM_ELF_H
#define TSIM_ELF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes n bytes at addr into the target; returns 0, or -1 if the range is not memory. */
typedef int (*tsim_elf_write_fn)(void *ctx, uint32_t addr, const void *src, size_t n);

/* Load the file at path. Returns 0 and sets *entry, or -1 with a message in err. */
int tsim_elf_load(const char *path, tsim_elf_write_fn write, void *ctx, uint32_t *entry, char *err,
                  size_t errlen);

/* The same for an image already in memory; name is used in messages. */
int tsim_elf_load_buf(const void *buf, size_t len, const char *name, tsim_elf_write_fn write, void *ctx,
                      uint32_t *entry, char *err, size_t errlen);

/* Largest file tsim_elf_load accepts (bytes). */
#define TSIM_ELF_MAX_FILE (64u << 20)

#ifdef __cplusplus
}
#endif

#endif /* TSIM_ELF_H */
