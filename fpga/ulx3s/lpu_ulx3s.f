# The ULX3S board top, on top of rtl/lpu_core.f and rtl/lpu_uart_top.f (synthesis only: it
# instantiates the ECP5 PLL; lint reads fpga/lint/EHXPLLL.sv in the PLL's place).
# Paths are relative to the repository root.
fpga/ulx3s/lpu_ulx3s_top.sv
