# The core behind the UART host bridge (lpu_uart_top), on top of rtl/lpu_core.f.
# Paths are relative to the repository root; every tool reads the core's list first.
rtl/lpu_uart_rx.sv
rtl/lpu_uart_tx.sv
rtl/lpu_host_bridge.sv
rtl/lpu_uart_top.sv
