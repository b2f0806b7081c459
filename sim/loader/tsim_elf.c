/* ELF loader of the controller's programs; see sim/include/tsim_elf.h. */
#include "tsim_elf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/gen/map.h"

enum {
  EHDR_SIZE = 52, PHDR_SIZE = 32, ET_EXEC = 2, EM_RISCV = 243, PT_LOAD = 1,
  EF_RISCV_RVC = 0x1, EF_RISCV_FLOAT_ABI = 0x6, EF_RISCV_RVE = 0x8,
};

static int fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, const char *name, const char *fmt, ...) {
  if (err && errlen) {
    int n = snprintf(err, errlen, "%s: ", name);
    if (n >= 0 && (size_t)n < errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return -1;
}

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 1 if [addr, addr + n) lies inside IMEM or DMEM (n > 0). */
static int inside(uint64_t addr, uint64_t n, uint64_t base, uint64_t size) {
  return addr - base < size && n <= size - (addr - base);
}
static int in_memory(uint64_t addr, uint64_t n) {
  return inside(addr, n, TESSERA_IMEM_BASE, TESSERA_IMEM_SIZE) || inside(addr, n, TESSERA_DMEM_BASE, TESSERA_DMEM_SIZE);
}

int tsim_elf_load_buf(const void *buf, size_t len, const char *name, tsim_elf_write_fn write, void *ctx,
                      uint32_t *entry, char *err, size_t errlen) {
  const uint8_t *f = buf;
  if (len < 4 || memcmp(f, "\177ELF", 4) != 0) return fail(err, errlen, name, "not an ELF file (bad magic)");
  if (len < EHDR_SIZE) return fail(err, errlen, name, "truncated ELF header (%zu bytes)", len);
  if (f[4] != 1)
    return fail(err, errlen, name, "not a 32-bit ELF (EI_CLASS %u%s)", f[4], f[4] == 2 ? ", a 64-bit ELF" : "");
  if (f[5] != 1) return fail(err, errlen, name, "not little-endian (EI_DATA %u)", f[5]);
  if (f[6] != 1) return fail(err, errlen, name, "unknown ELF version %u", f[6]);
  uint32_t type = rd16(f + 16), machine = rd16(f + 18), version = rd32(f + 20), e_entry = rd32(f + 24);
  uint32_t phoff = rd32(f + 28), flags = rd32(f + 36), ehsize = rd16(f + 40);
  uint32_t phentsize = rd16(f + 42), phnum = rd16(f + 44);
  if (type != ET_EXEC) return fail(err, errlen, name, "not an executable (e_type %u, want ET_EXEC)", type);
  if (machine != EM_RISCV) return fail(err, errlen, name, "not a RISC-V ELF (e_machine %u, want 243)", machine);
  if (version != 1) return fail(err, errlen, name, "unknown ELF version %u", version);
  if (ehsize != EHDR_SIZE) return fail(err, errlen, name, "bad ELF header size %u (want 52)", ehsize);
  if (flags & EF_RISCV_RVC)
    return fail(err, errlen, name, "uses compressed instructions (EF_RISCV_RVC); the controller is rv32im");
  if (flags & EF_RISCV_FLOAT_ABI) return fail(err, errlen, name, "hard-float ABI; the controller is rv32im (ilp32)");
  if (flags & EF_RISCV_RVE) return fail(err, errlen, name, "RV32E ABI; the controller is rv32im (ilp32)");
  if (phnum == 0) return fail(err, errlen, name, "no program headers");
  if (phentsize != PHDR_SIZE) return fail(err, errlen, name, "bad program header size %u (want 32)", phentsize);
  if ((uint64_t)phoff + (uint64_t)phnum * PHDR_SIZE > len)
    return fail(err, errlen, name, "program header table (offset %u, %u entries) beyond the end of the file (%zu bytes)",
                phoff, phnum, len);
  if (e_entry & 3u) return fail(err, errlen, name, "entry point 0x%08x is not word aligned", e_entry);
  if (!inside(e_entry, 4, TESSERA_IMEM_BASE, TESSERA_IMEM_SIZE))
    return fail(err, errlen, name, "entry point 0x%08x is outside IMEM", e_entry);
  unsigned loads = 0;
  /* First pass: check everything. */
  for (uint32_t i = 0; i < phnum; i++) {
    const uint8_t *ph = f + phoff + (size_t)i * PHDR_SIZE;
    if (rd32(ph) != PT_LOAD) continue;
    uint32_t off = rd32(ph + 4), paddr = rd32(ph + 12), filesz = rd32(ph + 16), memsz = rd32(ph + 20);
    if (filesz > memsz)
      return fail(err, errlen, name, "segment %u: p_filesz %u > p_memsz %u", i, filesz, memsz);
    if ((uint64_t)off + filesz > len)
      return fail(err, errlen, name, "segment %u: data (offset %u, %u bytes) beyond the end of the file (%zu bytes)",
                  i, off, filesz, len);
    if (memsz == 0) continue;
    if (!in_memory(paddr, memsz))
      return fail(err, errlen, name, "segment %u: [0x%08x, 0x%08llx) is not inside IMEM or DMEM", i, paddr,
                  (unsigned long long)paddr + memsz);
    loads++;
  }
  if (loads == 0) return fail(err, errlen, name, "no loadable segment");
  /* Second pass: write. */
  static const uint8_t zeros[4096];
  for (uint32_t i = 0; i < phnum; i++) {
    const uint8_t *ph = f + phoff + (size_t)i * PHDR_SIZE;
    if (rd32(ph) != PT_LOAD) continue;
    uint32_t off = rd32(ph + 4), paddr = rd32(ph + 12), filesz = rd32(ph + 16), memsz = rd32(ph + 20);
    if (memsz == 0) continue;
    if (filesz && write(ctx, paddr, f + off, filesz))
      return fail(err, errlen, name, "segment %u: cannot write 0x%08x..", i, paddr);
    for (uint32_t done = filesz; done < memsz;) {
      uint32_t n = memsz - done > sizeof zeros ? (uint32_t)sizeof zeros : memsz - done;
      if (write(ctx, paddr + done, zeros, n)) return fail(err, errlen, name, "segment %u: cannot zero bss", i);
      done += n;
    }
  }
  if (entry) *entry = e_entry;
  return 0;
}

int tsim_elf_load(const char *path, tsim_elf_write_fn write, void *ctx, uint32_t *entry, char *err, size_t errlen) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return fail(err, errlen, path, "cannot open: %s", strerror(errno));
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = malloc(cap);
  int rc = -1;
  if (!buf) {
    fail(err, errlen, path, "out of memory");
    goto out;
  }
  for (;;) {
    if (len == cap) {
      if (cap >= TSIM_ELF_MAX_FILE) {
        fail(err, errlen, path, "file larger than %u bytes: not a controller program", TSIM_ELF_MAX_FILE);
        goto out;
      }
      uint8_t *p = realloc(buf, cap * 2);
      if (!p) {
        fail(err, errlen, path, "out of memory");
        goto out;
      }
      buf = p, cap *= 2;
    }
    size_t n = fread(buf + len, 1, cap - len, fp);
    len += n;
    if (n == 0) break;
  }
  if (ferror(fp)) {
    fail(err, errlen, path, "cannot read: %s", strerror(errno));
    goto out;
  }
  rc = tsim_elf_load_buf(buf, len, path, write, ctx, entry, err, errlen);
out:
  free(buf);
  fclose(fp);
  return rc;
}
