/* The backend interface inside libtessera (docs/driver.md, "Backends"): one implementation per
 * simulator of the whole chip. "cmodel" (host/lib/backend_cmodel.c, over sim/chip/) is always
 * linked in; "rtl" defines `tdev_backend_rtl` in its own object and is found through the weak
 * reference below when that object is linked into the program.
 *
 * Call order: open; then any of the others; close. Device time only passes inside run. Functions
 * returning int give 0 or -1 with one line in err. */
#ifndef TDEV_BACKEND_H
#define TDEV_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/tdev.h"

enum tdev_run_end {
  TDEV_RUN_EVENT = 0, /* the firmware raised hostif.irq or changed hostif.fw_state */
  TDEV_RUN_LIMIT,     /* max_cycles passed */
  TDEV_RUN_EXIT,      /* the program wrote simctrl.exit (firmware must never do that) */
  TDEV_RUN_FAULT,     /* the controller hit a bus error or left the map: err says where */
  TDEV_RUN_ERROR      /* the simulator itself failed: err */
};

struct tdev_backend {
  const char *name;
  void *(*open)(const struct tdev_config *cfg, char *err, size_t errlen);
  void (*close)(void *h);
  /* Load an ELF into the controller's memories and reset the controller (devices keep DRAM). */
  int (*load_elf)(void *h, const char *path, char *err, size_t errlen);
  /* Backdoor DRAM copies: no device time, not device traffic. */
  int (*dram_read)(void *h, uint64_t addr, void *dst, uint64_t len, char *err, size_t errlen);
  int (*dram_write)(void *h, uint64_t addr, const void *src, uint64_t len, char *err, size_t errlen);
  uint64_t (*dram_bytes)(void *h);
  int (*hostif_read)(void *h, uint32_t off, uint32_t *v);
  int (*hostif_write)(void *h, uint32_t off, uint32_t v);
  enum tdev_run_end (*run)(void *h, uint64_t max_cycles, char *err, size_t errlen);
  uint64_t (*now)(void *h);
  void (*counters)(void *h, struct tdev_counters *c);
  void (*counters_reset)(void *h);
  int (*timeline)(void *h, int on);
  /* A span recorded by the driver (a command: name, cycles [start, end)). */
  void (*timeline_mark)(void *h, const char *name, uint64_t start, uint64_t end);
  int (*timeline_write)(void *h, const char *path, char *err, size_t errlen);
  size_t (*console)(void *h, char *buf, size_t cap);
};

extern const struct tdev_backend tdev_backend_cmodel;
extern const struct tdev_backend tdev_backend_rtl __attribute__((weak));

#endif /* TDEV_BACKEND_H */
