/* Shared definitions of the tests/ctrl_rtl assembly programs. Addresses come from the generated
 * memory map (hwcfg.h is skipped: the assembler cannot read its C types). */
#define TESSERA_GEN_HWCFG_H
#include "tessera/gen/map.h"

#define SIMCTRL_CONSOLE (TESSERA_SIMCTRL_BASE + TESSERA_SIMCTRL_CONSOLE_OFFSET)
#define SIMCTRL_EXIT (TESSERA_SIMCTRL_BASE + TESSERA_SIMCTRL_EXIT_OFFSET)
#define TIMER_MTIME_LO (TESSERA_TIMER_BASE + TESSERA_TIMER_MTIME_LO_OFFSET)
#define TIMER_MTIMECMP_LO (TESSERA_TIMER_BASE + TESSERA_TIMER_MTIMECMP_LO_OFFSET)
#define TIMER_MTIMECMP_HI (TESSERA_TIMER_BASE + TESSERA_TIMER_MTIMECMP_HI_OFFSET)
/* Results for the host test start at the base of DMEM; the host may place inputs at INPUTS. */
#define RESULTS TESSERA_DMEM_BASE
#define INPUTS (TESSERA_DMEM_BASE + 0x8000)

/* Write register REG to the exit register and stop. */
#define EXIT_WITH(reg) \
  li t6, SIMCTRL_EXIT; \
  sw reg, 0(t6);       \
  j .
