# Unit tests of single blocks through their C harnesses.
$(eval $(call ctest,simctrl_rtl,$(O)/obj/tests/unit/test_simctrl.o $(SIMCTRL_MODEL)))
