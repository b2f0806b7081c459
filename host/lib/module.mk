# libtessera, the host driver (host/include/tessera/tdev.h, docs/driver.md): the driver and its
# backends, built into the static library $(LIBTESSERA) together with the chip cmodel (whose
# objects sim/chip/module.mk adds as prerequisites), and the pkg-config file $(LIBTESSERA_PC).
TDEV_OBJS := $(O)/obj/host/lib/tdev.o $(O)/obj/host/lib/backend_cmodel.o
LIBTESSERA := $(O)/lib/libtessera.a
LIBTESSERA_PC := $(O)/lib/pkgconfig/tessera.pc
$(O)/obj/host/lib/%.o: CFLAGS += -Ifirmware/sched

$(LIBTESSERA): $(TDEV_OBJS) host/lib/module.mk
	@mkdir -p $(@D)
	@echo "  AR       $@"
	@rm -f $@ && $(AR) rcs $@ $(TDEV_OBJS) $(TCHIP_OBJS)

$(LIBTESSERA_PC): host/lib/module.mk
	@mkdir -p $(@D)
	@echo "  GEN      $@"
	@printf '%s\n' 'Name: tessera' \
	  'Description: Tessera host driver and chip cmodel (preset $(PRESET))' 'Version: 0.1' \
	  'Cflags: -I$(abspath host/include) -I$(abspath common/include) -DTESSERA_PRESET=TESSERA_PRESET_ID_$(PRESET_UC)' \
	  'Libs: $(abspath $(LIBTESSERA)) -lm' > $@.tmp && mv $@.tmp $@

.PHONY: libtessera
libtessera: $(LIBTESSERA) $(LIBTESSERA_PC)
all: libtessera
