# The tessera command line, end to end.
SUITES += cli
SUITE_cli_MODE := tap
SUITE_cli_CMD  := tests/cli/test_cli.sh $(BIN)/tessera
SUITE_cli_DEPS := $(BIN)/tessera
