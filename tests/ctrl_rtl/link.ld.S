/* Test programs of tests/ctrl_rtl: everything (code and read-only tables) in IMEM from the reset
 * PC; results go to DMEM at run time, so the flat IMEM image is the whole program. Preprocessed
 * with the generated memory map (fw_ld_gen in firmware/module.mk). */
#include "tessera/gen/map.h"
TESSERA_LD_BEGIN
OUTPUT_ARCH(riscv)
ENTRY(_start)
MEMORY {
  imem (rx) : ORIGIN = TESSERA_IMEM_BASE, LENGTH = TESSERA_IMEM_SIZE
  dmem (rw) : ORIGIN = TESSERA_DMEM_BASE, LENGTH = TESSERA_DMEM_SIZE
}
SECTIONS {
  .text : { *(.text.start) *(.text*) *(.rodata*) *(.srodata*) } > imem
  .bss (NOLOAD) : { *(.bss*) *(.sbss*) *(COMMON) } > dmem
  /DISCARD/ : { *(.data*) *(.sdata*) *(.comment) *(.riscv.attributes) }
}
