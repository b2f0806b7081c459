/* Linker script of Tessera firmware. Preprocessed with the generated memory map
 * (firmware/module.mk keeps only what follows the marker and drops the C 'u' suffixes). */
#include "tessera/gen/map.h"
TESSERA_LD_BEGIN
OUTPUT_ARCH(riscv)
ENTRY(_start)

MEMORY {
  IMEM (rx) : ORIGIN = TESSERA_IMEM_BASE, LENGTH = TESSERA_IMEM_SIZE
  DMEM (rw) : ORIGIN = TESSERA_DMEM_BASE, LENGTH = TESSERA_DMEM_SIZE
}

__tessera_simctrl_console = TESSERA_SIMCTRL_BASE + TESSERA_SIMCTRL_CONSOLE_OFFSET;
__tessera_simctrl_exit = TESSERA_SIMCTRL_BASE + TESSERA_SIMCTRL_EXIT_OFFSET;

SECTIONS {
  .text : {
    KEEP(*(.text.start))
    *(.text .text.*)
  } > IMEM
  .rodata : ALIGN(4) {
    *(.rodata .rodata.* .srodata .srodata.*)
  } > IMEM
  .data : ALIGN(4) {
    *(.data .data.*)
    . = ALIGN(4);
    __global_pointer$ = . + 0x800;
    *(.sdata .sdata.*)
  } > DMEM
  .bss : ALIGN(4) {
    __bss_start = .;
    *(.sbss .sbss.* .bss .bss.* COMMON)
    . = ALIGN(4);
    __bss_end = .;
  } > DMEM
  __stack_top = ORIGIN(DMEM) + LENGTH(DMEM);
  /DISCARD/ : { *(.eh_frame .eh_frame_hdr .comment .note .note.*) }
}
