/* The device firmware (firmware/app/, docs/firmware.md "The device firmware"): the port layer over
 * the controller's bus that the ring consumer and the scheduler run on. */
#ifndef TFW_APP_H
#define TFW_APP_H

#include <stdint.h>

#include "tfw_port.h"
#include "tfw_sched.h"

/* The port of the device: DRAM blocks by DMA into DMEM, single words through the dram window,
 * bus registers, the cycle counter and hostif.irq. sched: the scheduler whose DMA tickets the
 * port's own transfers share (one DMA engine, one ticket count). */
void tfw_app_port_init(struct tfw_port *port, struct tfw_sched *sched);

/* DMEM byte offset of TFW_SCHED_ZERO_BYTES zero bytes (the scheduler's zero source). */
uint32_t tfw_app_zero_dmem(void);

#endif /* TFW_APP_H */
