# The ULX3S board top on top of rtl/lpu_core.f: UART, host bridge and the top itself.
# Paths are relative to the repository root; every tool reads the core's list first.
rtl/lpu_uart_rx.sv
rtl/lpu_uart_tx.sv
rtl/lpu_host_bridge.sv
fpga/ulx3s/lpu_ulx3s_top.sv
