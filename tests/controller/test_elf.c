/* The ELF loader against a real firmware ELF (path given at build time) and damaged copies of it:
 * every truncation, flipped header fields, segments moved outside the memories. Every bad input
 * must be rejected with one line naming the file, without writing anything and without crashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tessera/gen/map.h"
#include "tsim_elf.h"

#ifndef TEST_ELF
#error "TEST_ELF names a firmware ELF (tests/controller/module.mk)"
#endif

static uint8_t *elf;
static size_t elf_len;

struct sink {
  unsigned writes;
  uint64_t bytes;
  uint32_t lo, hi;
  int outside; /* a write fell outside IMEM and DMEM */
};

static int sink_write(void *ctx, uint32_t addr, const void *src, size_t n) {
  struct sink *k = ctx;
  (void)src;
  k->writes++;
  k->bytes += n;
  if (addr < k->lo) k->lo = addr;
  if (addr + n > k->hi) k->hi = (uint32_t)(addr + n);
  int in_imem = (uint64_t)addr + n <= (uint64_t)TESSERA_IMEM_BASE + TESSERA_IMEM_SIZE;
  int in_dmem = addr >= TESSERA_DMEM_BASE && (uint64_t)addr + n <= (uint64_t)TESSERA_DMEM_BASE + TESSERA_DMEM_SIZE;
  if (!in_imem && !in_dmem) k->outside = 1;
  return 0;
}

static int load(const uint8_t *buf, size_t len, struct sink *k, char *err, size_t errlen) {
  memset(k, 0, sizeof *k);
  k->lo = 0xffffffffu;
  uint32_t entry = 0x12345678u;
  return tsim_elf_load_buf(buf, len, "prog.elf", sink_write, k, &entry, err, errlen);
}

static void one_line_naming_file(const char *err) {
  assert_true(strncmp(err, "prog.elf: ", 10) == 0);
  assert_null(strchr(err, '\n'));
  assert_true(strlen(err) > 12);
}

static int read_elf(void **state) {
  (void)state;
  FILE *f = fopen(TEST_ELF, "rb");
  if (!f) return -1;
  elf = malloc(1 << 20);
  elf_len = fread(elf, 1, 1 << 20, f);
  fclose(f);
  return elf_len > 52 ? 0 : -1;
}

static int free_elf(void **state) {
  (void)state;
  free(elf);
  return 0;
}

static void real_elf_loads(void **state) {
  (void)state;
  struct sink k;
  char err[256] = "";
  uint32_t entry = 1;
  memset(&k, 0, sizeof k);
  k.lo = 0xffffffffu;
  assert_int_equal(tsim_elf_load(TEST_ELF, sink_write, &k, &entry, err, sizeof err), 0);
  assert_int_equal(entry, TESSERA_IMEM_BASE);
  assert_true(k.writes >= 2);
  assert_int_equal(k.lo, TESSERA_IMEM_BASE);
  assert_true(k.hi > TESSERA_DMEM_BASE && k.hi <= TESSERA_DMEM_BASE + TESSERA_DMEM_SIZE);
  assert_false(k.outside);
}

static void every_truncation_is_rejected(void **state) {
  (void)state;
  /* The last PT_LOAD's data ends before the end of the file (section headers follow), so find
   * the length below which the image is incomplete: every shorter prefix must fail. */
  struct sink k;
  char err[256];
  uint32_t phoff = (uint32_t)elf[28] | (uint32_t)elf[29] << 8, phnum = (uint32_t)elf[44] | (uint32_t)elf[45] << 8;
  size_t need = phoff + phnum * 32;
  for (uint32_t i = 0; i < phnum; i++) {
    const uint8_t *ph = elf + phoff + i * 32;
    uint32_t off, fsz;
    memcpy(&off, ph + 4, 4);
    memcpy(&fsz, ph + 16, 4);
    if (ph[0] == 1 && off + fsz > need) need = off + fsz;
  }
  for (size_t len = 0; len < need; len++) {
    err[0] = 0;
    assert_int_equal(load(elf, len, &k, err, sizeof err), -1);
    assert_int_equal(k.writes, 0);
    one_line_naming_file(err);
  }
  assert_int_equal(load(elf, need, &k, err, sizeof err), 0);
}

static void flip(size_t off, uint8_t value, const char *want) {
  uint8_t *copy = malloc(elf_len);
  memcpy(copy, elf, elf_len);
  copy[off] = value;
  struct sink k;
  char err[256] = "";
  assert_int_equal(load(copy, elf_len, &k, err, sizeof err), -1);
  assert_int_equal(k.writes, 0);
  one_line_naming_file(err);
  if (!strstr(err, want)) fail_msg("'%s' does not mention '%s'", err, want);
  free(copy);
}

static void flipped_header_fields_are_rejected(void **state) {
  (void)state;
  flip(0, 0x7e, "not an ELF");
  flip(4, 2, "64-bit");
  flip(5, 2, "little-endian");
  flip(16, 1, "ET_EXEC");          /* ET_REL */
  flip(18, 62, "RISC-V");          /* EM_X86_64 */
  flip(36, 1, "compressed");       /* EF_RISCV_RVC */
  flip(36, 2, "hard-float");
  flip(40, 64, "header size");
  flip(42, 56, "program header size");
  flip(44, 0, "no program headers"); /* phnum low byte = 0 (phnum < 256) */
  flip(31, 0x7f, "beyond the end");  /* phoff far away */
  flip(24, 2, "aligned");            /* entry 0x00000002 */
  flip(27, 0x10, "outside IMEM");    /* entry 0x10000000: DMEM */
}

/* Segment p_paddr / p_memsz / p_filesz of the first PT_LOAD. */
static void damage_segment(uint32_t field, uint32_t value, const char *want) {
  uint8_t *copy = malloc(elf_len);
  memcpy(copy, elf, elf_len);
  uint32_t phoff;
  memcpy(&phoff, copy + 28, 4);
  uint8_t *ph = copy + phoff;
  while (ph[0] != 1) ph += 32;
  memcpy(ph + field, &value, 4);
  struct sink k;
  char err[256] = "";
  assert_int_equal(load(copy, elf_len, &k, err, sizeof err), -1);
  assert_int_equal(k.writes, 0);
  one_line_naming_file(err);
  if (!strstr(err, want)) fail_msg("'%s' does not mention '%s'", err, want);
  free(copy);
}

static void segments_outside_memory_are_rejected(void **state) {
  (void)state;
  damage_segment(12, 0x30000000u, "not inside IMEM or DMEM");
  damage_segment(12, TESSERA_IMEM_BASE + TESSERA_IMEM_SIZE - 4, "not inside IMEM or DMEM");
  damage_segment(12, TESSERA_DMEM_BASE - 4, "not inside IMEM or DMEM");
  damage_segment(12, 0xfffffff0u, "not inside IMEM or DMEM");
  damage_segment(20, 0x7fffffffu, "not inside IMEM or DMEM"); /* p_memsz */
  damage_segment(16, 0xffffff00u, "p_filesz");                 /* p_filesz > p_memsz */
  damage_segment(4, 0xfffffff0u, "beyond the end");            /* p_offset */
}

static void files_that_are_not_elf(void **state) {
  (void)state;
  char err[256] = "";
  uint32_t e;
  struct sink k;
  assert_int_equal(tsim_elf_load("/nonexistent/prog.elf", sink_write, &k, &e, err, sizeof err), -1);
  assert_non_null(strstr(err, "/nonexistent/prog.elf: cannot open"));
  assert_int_equal(tsim_elf_load("/", sink_write, &k, &e, err, sizeof err), -1);
  assert_null(strchr(err, '\n'));
  /* random bytes with a valid magic: fixed seed */
  uint8_t junk[256];
  uint32_t x = 12345;
  for (int round = 0; round < 2000; round++) {
    for (size_t i = 0; i < sizeof junk; i++) {
      x = x * 1103515245u + 12345u;
      junk[i] = (uint8_t)(x >> 16);
    }
    memcpy(junk, "\177ELF\1\1\1", 7);
    junk[16] = 2, junk[17] = 0, junk[18] = 243, junk[19] = 0;
    if (load(junk, sizeof junk, &k, err, sizeof err) == 0) {
      /* accepted only if everything was consistent: writes then stayed in memory */
      assert_false(k.outside);
    } else {
      assert_int_equal(k.writes, 0);
      one_line_naming_file(err);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(real_elf_loads),
      cmocka_unit_test(every_truncation_is_rejected),
      cmocka_unit_test(flipped_header_fields_are_rejected),
      cmocka_unit_test(segments_outside_memory_are_rejected),
      cmocka_unit_test(files_that_are_not_elf),
  };
  return cmocka_run_group_tests_name("controller_elf", tests, read_elf, free_elf);
}
